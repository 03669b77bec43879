"""Loads the public worked example (shared/examples/safety-2026) for domain tests.

The program goes through the project's own loader and the ledger cells through
the project's own cell parser, so the worked example checks the whole path a
clerk's CSV takes, not a test-only shortcut.
"""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from tests.example_data import EXAMPLES
from vledger.domain.indicators import LedgerRow, VillageMeasures, measure
from vledger.domain.program import Program
from vledger.domain.program_file import load_program
from vledger.domain.ranking import SheetInputs
from vledger.domain.values import parse_cell
from vledger.domain.villages import Village

HERE = Path(__file__).resolve()


DATA = EXAMPLES / "safety-2026"


def _csv(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


@cache
def example_program() -> Program:
    path = EXAMPLES / "safety-2026.toml"
    return load_program(path.read_text(encoding="utf-8"), path.name)


def example_villages() -> list[Village]:
    return [Village(r["id"], r["name"], r["area"] or None) for r in _csv("offices.csv")]


def example_inputs() -> SheetInputs:
    return SheetInputs(
        targets={(r["village"], r["indicator"]): Decimal(r["value"]) for r in _csv("targets.csv")},
        entered={
            (r["village"], r["indicator"], r["period"]): Decimal(r["value"])
            for r in _csv("entered.csv")
        },
        manual={
            (r["village"], r["item"], r["period"]): Decimal(r["points"]) for r in _csv("manual.csv")
        },
        adjustments={
            (r["village"], r["adjustment"], r["period"]): Decimal(r["count"])
            for r in _csv("adjustments.csv")
        },
    )


def example_rows(village: str) -> list[LedgerRow]:
    """The village's ledger; row ids are "<village>-<CSV line>" (header is line 1)."""
    program = example_program()
    rows = []
    for line, raw in enumerate(_csv(f"ledgers/{village}.csv"), start=2):
        cells = {c.id: parse_cell(c, raw.get(c.id, "") or "") for c in program.columns}
        rows.append(LedgerRow(id=f"{village}-{line}", cells=cells, order=line))
    return rows


def example_measures() -> dict[str, VillageMeasures]:
    program = example_program()
    return {v.id: measure(program, example_rows(v.id)) for v in example_villages()}


def expected_sheet(period: str) -> dict[str, Any]:
    return json.loads((DATA / f"expected-{period}.json").read_text(encoding="utf-8"))


def program_from_toml(text: str) -> Program:
    """A hand-written program for a test, through the project's loader."""
    return load_program(text, "test.toml")


# A small ledger layout shared by hand-computed tests: a date, a kind, an amount
# and a yes/no cell.
TEST_COLUMNS = """
[[columns]]
id = "date"
title = "日期"
type = "date"

[[columns]]
id = "kind"
title = "类别"
type = "choice"
choices = ["宣传", "演练", "排查"]

[[columns]]
id = "amount"
title = "金额"
type = "decimal"

[[columns]]
id = "people"
title = "人数"
type = "int"

[[columns]]
id = "done"
title = "已完成"
type = "bool"
"""

THREE_PERIODS = """
[[periods]]
id = "Q1"
title = "第一阶段"
start = 2026-01-01
end = 2026-04-30
share = 4

[[periods]]
id = "Q2"
title = "第二阶段"
start = 2026-05-01
end = 2026-08-31
share = 3

[[periods]]
id = "Q3"
title = "第三阶段"
start = 2026-09-01
end = 2026-12-31
share = 3
"""


def build_program(body: str, periods: str = THREE_PERIODS) -> Program:
    head = 'id = "test"\ntitle = "测试方案"\nyear = 2026\ndate_column = "date"\n'
    return program_from_toml(head + periods + TEST_COLUMNS + body)
