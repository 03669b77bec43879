"""The sample township end to end: `python -m vledger.fixtures.generate` writes CSV folders, and
each is read back the way a clerk's files are (program loader, cell parser), measured and
ranked for every period of every program."""

from __future__ import annotations

import csv
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from vledger.domain.indicators import LedgerRow, measure
from vledger.domain.program import YEAR, Program
from vledger.domain.program_file import load_program
from vledger.domain.ranking import RankingSheet, SheetInputs, rank_sheet
from vledger.domain.values import parse_cell
from vledger.domain.villages import Village
from vledger.fixtures.generate import generate_township
from vledger.fixtures.township import program_paths, program_stem

ROOT = Path(__file__).resolve().parents[2]
VILLAGES, ROWS, SEED = 12, 150, 4
PROGRAMS = sorted(program_stem(p) for p in program_paths())


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("township")
    done = subprocess.run(
        [sys.executable, "-m", "vledger.fixtures.generate", "--villages", str(VILLAGES),
         "--rows", str(ROWS), "--seed", str(SEED), "--out", str(folder)],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert sorted(Path(line).name for line in done.stdout.split()) == PROGRAMS
    return folder


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _program(program_id: str) -> Program:
    path = next(p for p in program_paths() if program_stem(p) == program_id)
    return load_program(path.read_text(encoding="utf-8"), path.name)


def _inputs(folder: Path) -> SheetInputs:
    def keyed(name: str, *key: str) -> dict[tuple[str, ...], Decimal]:
        value = {"targets.csv": "value", "entered.csv": "value", "manual.csv": "points"}
        return {
            tuple(r[k] for k in key): Decimal(r[value.get(name, "count")])
            for r in _read(folder / name)
        }

    return SheetInputs(
        targets=keyed("targets.csv", "village", "indicator"),  # type: ignore[arg-type]
        entered=keyed("entered.csv", "village", "indicator", "period"),  # type: ignore[arg-type]
        manual=keyed("manual.csv", "village", "item", "period"),  # type: ignore[arg-type]
        adjustments=keyed("adjustments.csv", "village", "adjustment", "period"),  # type: ignore[arg-type]
    )


def _sheets(out: Path, program_id: str) -> dict[str, RankingSheet]:
    program, folder = _program(program_id), out / program_id
    villages = [Village(r["id"], r["name"], r["area"]) for r in _read(folder / "offices.csv")]
    measures = {}
    for village in villages:
        rows = [
            LedgerRow(
                id=f"{village.id}-{line}",
                cells={c.id: parse_cell(c, raw[c.id]) for c in program.columns},
                order=line,
            )
            for line, raw in enumerate(_read(folder / "ledgers" / f"{village.id}.csv"), start=2)
        ]
        measures[village.id] = measure(program, rows)
    inputs = _inputs(folder)
    return {p: rank_sheet(program, villages, measures, inputs, p) for p in program.period_ids}


def test_the_command_writes_the_example_layout(out: Path) -> None:
    for program_id in PROGRAMS:
        folder = out / program_id
        names = {p.name for p in folder.iterdir()}
        assert names == {
            "offices.csv", "targets.csv", "entered.csv", "manual.csv", "adjustments.csv",
            "ledgers",
        }  # fmt: skip
        assert sorted(p.stem for p in (folder / "ledgers").iterdir()) == [
            f"v{n:02d}" for n in range(1, VILLAGES + 1)
        ]
        assert list(_read(folder / "offices.csv")[0]) == ["id", "name", "area"]
        assert list(_read(folder / "manual.csv")[0]) == ["village", "item", "period", "points"]
        ledger = _read(folder / "ledgers" / "v01.csv")
        assert len(ledger) == ROWS
        assert list(ledger[0]) == [c.id for c in _program(program_id).columns]


def test_the_files_hold_exactly_the_generated_township(out: Path) -> None:
    data = generate_township(VILLAGES, ROWS, SEED)
    for program_id, generated in data.programs.items():
        folder = out / program_id
        columns = [c.id for c in generated.program.columns]
        for village, ledger in generated.ledgers.items():
            written = _read(folder / "ledgers" / f"{village}.csv")
            assert written == [{c: row.get(c, "") for c in columns} for row in ledger]
        targets = _read(folder / "targets.csv")
        assert [(t["village"], t["indicator"], Decimal(t["value"])) for t in targets] == [
            (t.village, t.indicator, t.value) for t in generated.targets
        ]


@pytest.mark.parametrize("program_id", PROGRAMS)
def test_every_period_of_every_program_ranks_every_village(out: Path, program_id: str) -> None:
    program = _program(program_id)
    sheets = _sheets(out, program_id)
    assert set(sheets) == set(program.period_ids)
    ceiling = sum(i.max if i.max is not None else i.points for i in program.items)
    for period, sheet in sheets.items():
        assert len(sheet.rows) == VILLAGES
        ranks = [row.rank for row in sheet.rows]
        assert ranks[0] == 1 and ranks == sorted(ranks)
        totals = [row.total for row in sheet.rows if not row.vetoed]
        assert len(set(totals)) > VILLAGES // 2, f"{period}: the sheet hardly tells villages apart"
        for row in sheet.rows:
            items = sum(r.score for r in row.items.values())
            assert 0 <= items <= ceiling
            assert row.total == items + row.adjustments + row.rank_bonus
        vetoed = [row.rank for row in sheet.rows if row.vetoed]
        assert all(v > r.rank for v in vetoed for r in sheet.rows if not r.vetoed)


def test_the_sample_year_shows_what_a_township_meets_in_practice(out: Path) -> None:
    years = {pid: _sheets(out, pid)[YEAR] for pid in PROGRAMS}
    rows = [row for sheet in years.values() for row in sheet.rows]
    assert any(row.complete for row in rows)
    assert any(not row.complete for row in rows)
    assert any(row.warnings for row in rows)  # rows dated outside the year
    assert any(row.adjustments for row in rows)
    assert any(row.rank_bonus for row in years["safety-2026"].rows)
    assert any(row.reward for row in rows) and any(row.penalty for row in rows)
    assert any(row.item_money for row in rows)
    assert years["safety-2026"].areas and years["hazard-2026"].areas
