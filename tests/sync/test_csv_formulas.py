"""Every CSV vledger writes runs no formula in a spreadsheet, and reads back exactly
(sync/services/tabular.py: inert_cell, revive_cell); decimals in an .xlsx keep their
column's places."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
from hypothesis import given
from hypothesis import strategies as st

from tests.sync.example_homes import PROGRAM, build_example
from vledger.domain.program_file import load_program
from vledger.sync.services.ledgers import write_ledger_file
from vledger.sync.services.office import Office
from vledger.sync.services.tabular import export_ledger, inert_cell, revive_cell

REPO = Path(__file__).resolve().parents[2]
RISKY = ['=HYPERLINK("http://example.com/x","点这里")', "+86 138 0000 0000", "-2+3",
         "@SUM(A1:A9)", "'=already quoted", "''+twice", "=1+1", "-", "@", "'", "- 备注"]


@given(st.text())
def test_revive_gives_back_exactly_what_inert_was_given(text: str) -> None:
    assert revive_cell(inert_cell(text)) == text


@given(st.text())
def test_an_inert_cell_never_starts_a_formula(text: str) -> None:
    written = inert_cell(text)
    if written[:1] in ("=", "+", "-", "@"):
        assert written.lstrip("-").replace(".", "", 1).isdigit()  # a plain negative number


def test_plain_numbers_stay_numbers() -> None:
    for number in ("-4.00", "-400", "12", "0.5"):
        assert inert_cell(number) == number == revive_cell(number)


def test_a_ledger_csv_round_trips_formula_like_notes(tmp_path: Path) -> None:
    home = tmp_path / "home"
    build_example(home)
    with Office.open(home) as office:
        source = office.ledgers.session(PROGRAM, "v01", writing=True)
        source.add_rows([{"date": "2026-02-01", "kind": "宣传活动", "note": note}
                         for note in RISKY])
        program = office.programs.get(PROGRAM)
        rows = [dict(r.cells) for r in source.rows()]
        path = tmp_path / "v01.csv"
        write_ledger_file(path, program, rows)
        text = path.read_text(encoding="utf-8-sig")
        cells = [c for row in csv.reader(io.StringIO(text, newline="")) for c in row]
        assert not [c for c in cells if c[:1] in ("=", "+", "@")]
        assert "'=HYPERLINK(\"http://example.com/x\",\"点这里\")" in cells
        assert "'-2+3" in cells and "''=already quoted" in cells
        target = office.ledgers.session(PROGRAM, "v02", writing=True)
        before = {r.id for r in target.rows()}
        assert len(target.import_file(path).rows) == len(rows)
        back = [r for r in target.rows() if r.id not in before]
        notes = sorted(str(r.cells.get("note") or "") for r in back)
        assert notes == sorted(str(r.get("note") or "") for r in rows)
        assert set(RISKY) <= set(notes)


def test_decimals_in_an_xlsx_keep_their_places(tmp_path: Path) -> None:
    for name, column, value, shown in (("benefits-2026", "amount", "80.00", "0.00"),
                                       ("hazard-2026", "rainfall", "12.0", "0.0")):
        path = REPO / "fixtures" / "programs" / f"{name}.toml"
        program = load_program(path.read_text(encoding="utf-8"), path.name)
        out = tmp_path / f"{name}.xlsx"
        export_ledger(out, program, [{column: value}])
        sheet = openpyxl.load_workbook(out).active
        index = [c.id for c in program.columns].index(column) + 1
        cell = sheet.cell(row=2, column=index)
        assert cell.value == float(value) and cell.number_format == shown
