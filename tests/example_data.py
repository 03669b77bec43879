"""Where the worked example lives for tests: tests/examples (a copy of the spec's example)."""

from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent / "examples"
EXAMPLE_PROGRAM = EXAMPLES / "safety-2026.toml"
