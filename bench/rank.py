"""Benchmark: measure ledgers and rank a generated township at 12, 60 and 300 villages.

`python -m bench.rank [--rows 2000] [--seed 1] [--program safety-2026]`

Prints ratios, not just seconds: the time per village-row relative to the
12-village run (it should stay flat: the engine is linear in rows), and the
engine's time (measuring every village and ranking every period and the year)
against a plain-Python loop computing the same indicators over the same rows in
the same run (the price of exact decimals, row ids for the explanations, and the
sheets; goal <= 3).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from bench.report import measure as report_measure
from vledger.domain.indicators import LedgerRow, VillageMeasures, measure
from vledger.domain.program import Program
from vledger.domain.ranking import SheetInputs, rank_sheet
from vledger.domain.values import ValueProblem, parse_cell
from vledger.domain.villages import Village

SIZES = (12, 60, 300)


@dataclass(frozen=True)
class Township:
    program: Program
    villages: list[Village]
    ledgers: dict[str, list[LedgerRow]]
    inputs: SheetInputs


def _parse_rows(program: Program, raw_rows: Sequence[Mapping[str, str]], village: str) -> list:
    rows = []
    for n, raw in enumerate(raw_rows):
        cells = {}
        for column in program.columns:
            try:
                cells[column.id] = parse_cell(column, raw.get(column.id, "") or "")
            except ValueProblem:
                cells[column.id] = None  # a clerk's typo: the grid would refuse it
        rows.append(LedgerRow(f"{village}-{n}", cells, deleted=False, order=n))
    return rows


def build(villages: int, rows: int, seed: int, program_id: str) -> Township:
    from vledger.fixtures.generate import generate_township

    try:
        township = generate_township(villages, rows, seed)
    except StopIteration:
        # The generator runs out of village names before 300; clone its villages'
        # ledgers under new ids instead (timing needs the rows, not new names).
        township = generate_township(60, rows, seed)
    data = township.programs[program_id]
    program = data.program
    offices = township.offices
    ledgers = {v: _parse_rows(program, raw, v) for v, raw in data.ledgers.items()}
    roster = [Village(o.id, o.name, o.area) for o in offices]
    for n in range(len(offices), villages):
        source = offices[n % len(offices)]
        vid = f"v{n + 1:03d}"
        roster.append(Village(vid, f"{source.name}{n + 1}", source.area))
        ledgers[vid] = [
            LedgerRow(f"{vid}-{r.order}", r.cells, r.deleted, r.order)
            for r in ledgers.get(source.id, [])
        ]
    return Township(
        program=program,
        villages=roster,
        ledgers=ledgers,
        inputs=SheetInputs(
            targets={(t.village, t.indicator): t.value for t in data.targets},
            entered={(e.village, e.indicator, e.period): e.value for e in data.entered},
            manual={(m.village, m.item, m.period): m.points for m in data.manual},
            adjustments={(a.village, a.adjustment, a.period): a.count for a in data.adjustments},
        ),
    )


def engine(town: Township, villages: list[Village]) -> None:
    measures: dict[str, VillageMeasures] = {
        v.id: measure(town.program, town.ledgers.get(v.id, [])) for v in villages
    }
    for period in town.program.period_ids:
        rank_sheet(town.program, villages, measures, town.inputs, period)


def baseline(town: Township, villages: list[Village]) -> None:
    """The same indicators in a plain loop: per village, period and indicator, count the
    rows matching each `where`, add up the summed column, and the rate's two counts,
    with strings and floats, no exact decimals, no row ids kept, no explanations, no
    ranking: the floor an engine that says how every number came about works against."""
    program = town.program
    spans = [(p.start.isoformat(), p.end.isoformat(), p.id) for p in program.periods]
    year = f"{program.year:04d}"
    compiled = []
    for indicator in program.indicators:
        if indicator.kind == "entered":
            continue
        wheres = ((indicator.numerator, indicator.denominator) if indicator.kind == "rate"
                  else (indicator.where,))
        clauses = [tuple(where) for where in wheres]
        column = indicator.column if indicator.kind == "sum" else None
        compiled.append((indicator.id, column, clauses))
    date_column = program.date_column
    results: dict[tuple[str, str, int, str], float] = {}
    for v in villages:
        for row in town.ledgers.get(v.id, []):
            if row.deleted:
                continue
            cells = row.cells
            day = cells.get(date_column)
            if not isinstance(day, str) or not day.startswith(year):
                continue
            periods = [pid for start, end, pid in spans if start <= day <= end]
            periods.append("year")
            for indicator_id, column, clauses in compiled:
                for n, clause in enumerate(clauses):
                    matched = True
                    for name, want in clause:
                        if cells.get(name) != want:
                            matched = False
                            break
                    if not matched:
                        continue
                    amount = float(cells.get(column) or 0) if column else 1.0
                    for pid in periods:
                        key = (v.id, indicator_id, n, pid)
                        results[key] = results.get(key, 0.0) + amount
    if len(results) < 0:  # keeps the loop from being optimised into nothing
        print(results)


def best_of(runs: int, fn: Callable[[], None]) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.rank")
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--program", default="safety-2026")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    town = build(max(SIZES), args.rows, args.seed, args.program)
    print(f"generated {len(town.villages)} villages × {args.rows} rows "
          f"of {args.program} in {time.perf_counter() - start:.1f} s")  # fmt: skip
    print(f"{'villages':>8} {'rows':>9} {'engine s':>9} {'per row vs 12':>14} "
          f"{'engine/loop':>12}")  # fmt: skip
    first_per_row = None
    for size in SIZES:
        villages = town.villages[:size]
        rows = sum(len(town.ledgers.get(v.id, [])) for v in villages)
        runs = 3 if size <= 60 else 1
        t_engine = best_of(runs, lambda v=villages: engine(town, v))
        t_base = best_of(runs, lambda v=villages: baseline(town, v))
        per_row = t_engine / max(rows, 1)
        first_per_row = first_per_row or per_row
        print(f"{size:>8} {rows:>9} {t_engine:>9.2f} {per_row / first_per_row:>14.2f} "
              f"{t_engine / t_base:>12.1f}")  # fmt: skip
        if size == 60:
            report_measure("rank.engine_vs_loop", t_engine, "s", baseline=t_base, goal=3.0)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
