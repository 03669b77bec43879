"""Shared fixtures for the UI tests.

`demo_home` is a small sample township (青石乡: 4 villages x 30 rows per program, seed 1)
built ONCE per test session through the office (tui/cli/demo.build_demo) and then copied:
each test gets its own copy (a Path to a folder holding the township office), so tests may
edit freely and run in any order. Open it with `Office.open(path)` or
`VLedgerApp(path, lang, today=FIXED_TODAY)`.

`FIXED_TODAY` is the clock the UI tests use (2026-05-15: Q2, flood season
period or H1), so the "current" period never depends on when the tests run.
"""

from __future__ import annotations

import io
import shutil
from datetime import date
from pathlib import Path

import pytest

FIXED_TODAY = date(2026, 5, 15)
DEMO_VILLAGES, DEMO_ROWS, DEMO_SEED = 4, 30, 1


@pytest.fixture(scope="session")
def demo_home_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's one built township; never edit it (use `demo_home`)."""
    from vledger.tui.cli.demo import build_demo

    home = tmp_path_factory.mktemp("demo-master") / "home"
    build_demo(home, DEMO_VILLAGES, DEMO_ROWS, DEMO_SEED, lang="en", out=io.StringIO())
    return home


@pytest.fixture
def demo_home(demo_home_master: Path, tmp_path: Path) -> Path:
    """A private copy of the small sample township's home for this test."""
    home = tmp_path / "home"
    shutil.copytree(demo_home_master, home, ignore=shutil.ignore_patterns("*.lock"))
    return home


@pytest.fixture
def fixed_today() -> date:
    return FIXED_TODAY
