"""The worked example's township (tests/examples/safety-2026) as a home, made once per test
session and copied for each test that changes it (a copy is a few files; typing the example
in again costs seconds)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

from tests.example_data import EXAMPLES
from tests.sync.homes import create_township
from vledger.sync.services.office import Office

DATA = EXAMPLES / "safety-2026"
PROGRAM = "safety-2026"
VILLAGES = ("v01", "v02", "v03", "v04")


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def build_example(home: Path, *, keys: bool = False) -> None:
    """Type the worked example in through the services, as a clerk would; `keys`: with the
    township's keys and signed roster, as `vledger init` makes it (to sync over TLS)."""
    from vledger.sync.services.homes import init_township

    make = init_township if keys else create_township
    with make(home, "示例乡", "t1", year=2026, user="clerk") as office:
        for row in _csv(DATA / "offices.csv"):
            office.roster.add_office(row["id"], row["name"], row["area"])
        source = (EXAMPLES / "safety-2026.toml").read_text(encoding="utf-8")
        office.programs.add(source, "safety-2026.toml")
        for kind in ("targets", "entered", "manual", "adjustments"):
            office.sheets.import_csv(PROGRAM, kind, DATA / f"{kind}.csv")
        for village in VILLAGES:
            ledger = office.ledgers.session(PROGRAM, village, writing=True)
            ledger.add_rows(_csv(DATA / "ledgers" / f"{village}.csv"))


def copy_home(template: Path, home: Path) -> Path:
    shutil.copytree(template, home)
    return home


def late_fix(office: Office) -> list[str]:
    """Mark v04's two unfixed hazards of April fixed: its Q1 fix rate, total and rank move
    (v04 goes from last to first). The journal entries' ids."""
    ledger = office.ledgers.session(PROGRAM, "v04", writing=True)
    unfixed = [r for r in ledger.rows()
               if r.cells.get("kind") == "隐患排查" and r.cells.get("fixed") is False]
    assert len(unfixed) == 2
    return [e.id for row in unfixed for e in ledger.set_cells(row.id, {"fixed": "是"})]
