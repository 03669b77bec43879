"""Shared helpers for end-to-end tests: run the real `vledger` command in a subprocess.

    def test_something(run_vledger, tmp_path):
        code, out, err = run_vledger("init", "--township", "青石乡", home=tmp_path / "home")
        assert code == 0

`run_vledger(*args, home=None, lang="en", stdin=None, env=None, timeout=60)` runs
`.venv/bin/vledger` (the console script, as users run it) or, when that is not
installed, `python -m vledger`, with `--home HOME --lang LANG` put before `args`,
and returns (exit code, stdout, stderr) as text. `home=None` leaves `--home` out.
The working directory is the repository, so relative example paths work.

`store_state(home)` reads what a refused command must not change (heads, change
chunks, settings): compare it before and after.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CONSOLE_SCRIPT = REPO / ".venv" / "bin" / "vledger"

RunVledger = Callable[..., tuple[int, str, str]]


def vledger_command() -> list[str]:
    """How to start the command line: the console script, else the module."""
    if CONSOLE_SCRIPT.exists():
        return [str(CONSOLE_SCRIPT)]
    return [sys.executable, "-m", "vledger"]


def run(
    *args: str | Path,
    home: Path | None = None,
    lang: str = "en",
    stdin: str | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 60,
) -> tuple[int, str, str]:
    """Run `vledger [--home HOME] --lang LANG ARGS...`; (exit code, stdout, stderr)."""
    command = vledger_command()
    if home is not None:
        command += ["--home", str(home)]
    command += ["--lang", lang, *(str(a) for a in args)]
    environment = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONIOENCODING": "utf-8"}
    environment.pop("VLEDGER_HOME", None)
    environment.update(env or {})
    done = subprocess.run(
        command, cwd=REPO, input=stdin, capture_output=True, text=True, encoding="utf-8",
        env=environment, timeout=timeout, check=False,
    )
    return done.returncode, done.stdout, done.stderr


@pytest.fixture
def run_vledger() -> RunVledger:
    """The `run` function above, as a fixture."""
    return run


def store_state(home: Path) -> tuple[object, ...]:
    """What a refused command must leave as it was: every document's heads and snapshot,
    every stored change chunk, and the settings (read straight from the home's database)."""
    import sqlite3

    conn = sqlite3.connect(home / "vledger.db")
    try:
        return (
            conn.execute("SELECT doc_id, heads, snapshot FROM documents ORDER BY doc_id")
            .fetchall(),
            conn.execute("SELECT id, doc_id, data FROM chunks ORDER BY id").fetchall(),
            conn.execute("SELECT key, value FROM settings ORDER BY key").fetchall(),
        )
    finally:
        conn.close()
