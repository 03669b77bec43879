"""Indicators measured from ledger rows (spec §3), and the cacheable measures record."""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction

import pytest

from tests.domain.example_loader import build_program
from vledger.domain.indicators import (
    LedgerRow,
    VillageMeasures,
    measure,
    measure_values,
    measured_columns,
)
from vledger.domain.program import CellValue

PROGRAM = build_program("""
[[indicators]]
id = "drills"
title = "演练"
kind = "count"
where = { kind = "演练" }

[[indicators]]
id = "all_rows"
title = "全部"
kind = "count"

[[indicators]]
id = "not_done"
title = "未完成"
kind = "count"
where = { done = false }

[[indicators]]
id = "money"
title = "金额"
kind = "sum"
column = "amount"
where = { kind = "宣传" }

[[indicators]]
id = "people"
title = "人数"
kind = "sum"
column = "people"

[[indicators]]
id = "fixed"
title = "整改率"
kind = "rate"
numerator = { kind = "排查", done = true }
denominator = { kind = "排查" }

[[indicators]]
id = "drill_share"
title = "演练占比"
kind = "rate"
numerator = { kind = "演练" }

[[indicators]]
id = "plan"
title = "预案"
kind = "entered"

[[items]]
id = "drills"
title = "演练"
indicator = "drills"
points = 10
rule = "proportional"
""")


def row(rid: str, date: str | None, kind: str | None = None, order: int = 0,
        deleted: bool = False, **cells: CellValue) -> LedgerRow:  # fmt: skip
    return LedgerRow(rid, {"date": date, "kind": kind, **cells}, deleted, order)


def value(m: VillageMeasures, indicator: str, period: str) -> Fraction:
    return m.get(PROGRAM.indicator(indicator), period).value


def test_count_with_and_without_where() -> None:
    m = measure(PROGRAM, [
        row("a", "2026-01-05", "演练"), row("b", "2026-05-05", "演练"),
        row("c", "2026-02-01", "宣传"),
    ])  # fmt: skip
    assert value(m, "drills", "Q1") == 1  # only row a is a drill in Q1
    assert value(m, "drills", "Q2") == 1
    assert value(m, "drills", "year") == 2
    assert value(m, "all_rows", "Q1") == 2  # no where: a and c
    assert m.get(PROGRAM.indicator("drills"), "year").rows == ("a", "b")


def test_empty_cell_equals_nothing() -> None:
    # { done = false } matches b only: a is true, c is empty
    m = measure(PROGRAM, [
        row("a", "2026-01-05", done=True), row("b", "2026-01-06", done=False),
        row("c", "2026-01-07"),
    ])  # fmt: skip
    assert m.get(PROGRAM.indicator("not_done"), "Q1").rows == ("b",)


def test_sum_adds_decimal_and_int_cells_exactly_and_skips_empty() -> None:
    m = measure(PROGRAM, [
        row("a", "2026-01-05", "宣传", amount="0.10", people=3),
        row("b", "2026-01-06", "宣传", amount="0.20", people=4),
        row("c", "2026-01-07", "宣传", amount=None, people=None),
        row("d", "2026-01-08", "演练", amount="5.00", people=10),
    ])  # fmt: skip
    # money: 0.10 + 0.20 = 0.30 exactly (rows c empty, d not 宣传)
    money = m.get(PROGRAM.indicator("money"), "Q1")
    assert (money.value, money.total, money.rows) == (Fraction(3, 10), Decimal("0.30"), ("a", "b"))
    # people: 3 + 4 + 10 = 17
    assert value(m, "people", "year") == 17


def test_a_sum_skips_a_cell_of_a_kind_no_ledger_writes() -> None:
    """Another tool syncing the document may leave bytes (or anything else) in a cell:
    the ranking counts it as no amount, as it does text that is not a number."""
    m = measure(PROGRAM, [
        row("a", "2026-01-05", "宣传", amount="0.10", people=3),
        row("b", "2026-01-06", "宣传", amount=b"0.20", people=4),  # type: ignore[arg-type]
        row("c", "2026-01-07", "宣传", amount=0.5, people=4),  # type: ignore[arg-type]
    ])  # fmt: skip
    money = m.get(PROGRAM.indicator("money"), "Q1")
    assert (money.total, money.rows) == (Decimal("0.10"), ("a",))


def test_rate_and_zero_denominator() -> None:
    m = measure(PROGRAM, [
        row("a", "2026-01-05", "排查", done=True), row("b", "2026-01-06", "排查", done=False),
        row("c", "2026-01-07", "排查", done=True), row("d", "2026-06-07", "宣传"),
    ])  # fmt: skip
    # Q1: 100 × 2/3
    assert value(m, "fixed", "Q1") == Fraction(200, 3)
    # Q2: no 排查 rows → 100
    assert value(m, "fixed", "Q2") == 100
    r = m.get(PROGRAM.indicator("fixed"), "Q1")
    assert (r.numerator_rows, r.rows) == (("a", "c"), ("a", "b", "c"))


def test_a_rate_without_denominator_divides_by_every_row_of_the_period() -> None:
    m = measure(PROGRAM, [
        row("a", "2026-01-05", "演练"), row("b", "2026-01-06", "宣传"),
        row("c", "2026-01-07", "排查"), row("d", "2026-01-08", "演练", deleted=True),
    ])  # fmt: skip
    # Q1: 1 drill (a; d is deleted) of 3 rows → 100 × 1/3
    assert value(m, "drill_share", "Q1") == Fraction(100, 3)
    # Q2: no rows at all → the spec's zero-denominator rule, 100
    assert value(m, "drill_share", "Q2") == 100


def test_deleted_rows_count_nowhere_and_warn_nothing() -> None:
    m = measure(PROGRAM, [
        row("a", "2026-01-05", "演练", deleted=True), row("b", None, "演练", deleted=True),
    ])  # fmt: skip
    assert value(m, "drills", "year") == 0
    assert m.warnings == () and m.rows_counted == 0


def test_rows_with_no_date_or_outside_the_year_are_warnings() -> None:
    m = measure(PROGRAM, [
        row("a", None, "演练"), row("b", "2027-01-02", "演练"), row("c", "2025-12-31", "演练"),
        row("d", "2026-12-31", "演练"), row("e", "not a date", "演练"),
    ])  # fmt: skip
    assert value(m, "drills", "year") == 1  # only d
    assert value(m, "drills", "Q3") == 1
    assert {(w.row, w.reason) for w in m.warnings} == {
        ("a", "no_date"), ("b", "outside_year"), ("c", "outside_year"), ("e", "bad_date"),
    }  # fmt: skip
    assert m.rows_counted == 1


def test_rows_are_listed_in_date_then_creation_order() -> None:
    m = measure(PROGRAM, [
        row("z", "2026-03-01", "演练", order=1), row("y", "2026-02-01", "演练", order=9),
        row("x", "2026-03-01", "演练", order=0),
    ])  # fmt: skip
    assert m.get(PROGRAM.indicator("drills"), "Q1").rows == ("y", "x", "z")


def test_measured_columns_are_the_date_and_what_wheres_and_sums_name() -> None:
    """An indicator with no `where` (all_rows, people's sum) names only its sum's column;
    the entered indicator names nothing."""
    assert measured_columns(PROGRAM) == ("amount", "date", "done", "kind", "people")


def test_measuring_the_measured_cells_alone_gives_the_same_measures() -> None:
    """`measure_values` of each live row's cells at `measured_columns` (what a store reads)
    equals `measure` of the whole rows: other cells change nothing, ties keep creation
    order, a bool is no int in a `where`."""
    rows = [
        row("a", "2026-01-05", "宣传", order=3, amount="1.25", people=4, note="x"),
        row("b", "2026-01-05", "宣传", order=1, amount=2, done=True),
        row("c", "2026-05-02", "排查", order=2, done=True),
        row("d", "2026-05-02", "排查", order=0, done=1),  # an int, not true
        row("e", "2026-06-01", "演练", order=4, deleted=True, people=9),
        row("f", None, "演练", order=5),
        row("g", "2025-12-31", "演练", order=6),
        row("h", "2026-09-09", None, order=7, done=False, people=2),
    ]
    columns = measured_columns(PROGRAM)
    live = [(r.id, r.order, [r.cells.get(c) for c in columns]) for r in rows if not r.deleted]
    assert measure_values(PROGRAM, live) == measure(PROGRAM, rows)
    assert measure_values(PROGRAM, reversed(live)) == measure(PROGRAM, rows)


def test_plain_record_round_trips_through_json() -> None:
    m = measure(PROGRAM, [
        row("a", "2026-01-05", "宣传", amount="1.25", people=2),
        row("b", "2026-01-06", "排查", done=True), row("c", None, "演练"),
    ])  # fmt: skip
    text = json.dumps(m.to_plain())
    back = VillageMeasures.from_plain(json.loads(text))
    assert back == m
    for indicator in ("money", "fixed", "people", "drills"):
        for period in PROGRAM.period_ids:
            assert value(back, indicator, period) == value(m, indicator, period)


def _only_plain(x: object) -> bool:
    if isinstance(x, dict):
        return all(isinstance(k, str) and _only_plain(v) for k, v in x.items())
    if isinstance(x, list):
        return all(_only_plain(v) for v in x)
    return x is None or isinstance(x, str | int | bool)


def test_plain_record_holds_only_plain_types() -> None:
    m = measure(PROGRAM, [row("a", "2026-01-05", "宣传", amount="1.25"), row("c", None)])
    assert _only_plain(m.to_plain())


@pytest.mark.parametrize(
    "bad",
    [{}, {"version": 99}, {"version": 1, "program": "x", "indicators": {"a": {"Q1": {
        "kind": "sum", "rows": [], "total": "abc"}}}, "warnings": [], "rows_counted": 0},
     {"version": 1, "program": "x", "indicators": {"a": {"Q1": {
        "kind": "count", "rows": ["r1", 7]}}}, "warnings": [], "rows_counted": 0}],
)  # fmt: skip
def test_from_plain_refuses_what_it_did_not_write(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        VillageMeasures.from_plain(bad)
