"""The command reference a user of the repository reads (docs/cli.md) covers every command
the parser knows, and the README sends readers there, not outside the repository."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from vledger.tui.cli.main import build_parser

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "docs" / "cli.md"


def commands(parser: argparse.ArgumentParser, prefix: str = "vledger") -> list[str]:
    """Every command and action, as typed: "vledger ledger import", "vledger rank"."""
    found: list[str] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                found.append(f"{prefix} {name}")
                found.extend(commands(child, f"{prefix} {name}"))
    return found


def test_the_reference_covers_every_command_and_option() -> None:
    text = REFERENCE.read_text(encoding="utf-8")
    listed = commands(build_parser())
    assert "vledger recover" in listed and "vledger ledger import" in listed
    missing = [c for c in listed if c not in text]
    assert not missing
    for option in re.findall(r"--[a-z][a-z-]+", _all_help(build_parser())):
        assert option in text, option


def _all_help(parser: argparse.ArgumentParser) -> str:
    said = [a for action in parser._actions for a in action.option_strings]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            said += [_all_help(child) for child in action.choices.values()]
    return " ".join(s for s in said if s not in ("-h", "--help"))


def test_the_readme_links_the_reference_in_the_repository() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/cli.md" in readme
    assert "../shared" not in readme
    assert "program add" in readme  # setting up: the programs are published before syncing


def test_the_reference_has_the_sections_others_add_to() -> None:
    headings = re.findall(r"^## (.+)$", REFERENCE.read_text(encoding="utf-8"), re.M)
    for needed in ("Years", "Publishing a ranking", "One home, many processes", "Sync", "Ledgers"):
        assert needed in headings
