"""Ledger files read as tables: header by id or title, every bad cell at FILE:ROW:COLUMN."""

from __future__ import annotations

from decimal import Decimal

import pytest

from vledger.domain.ledger_table import (
    Problem,
    Record,
    column_letter,
    header_names,
    read_table,
)
from vledger.domain.program import Column, Program

COLUMNS = (
    Column("date", "日期", "date", required=True),
    Column("kind", "类别", "choice", required=True, choices=("宣传活动", "应急演练")),
    Column("participants", "参加人数", "int", min=Decimal(0)),
    Column("cost", "费用", "decimal", places=2),
    Column("fixed", "已整改", "bool"),
    Column("note", "备注", "text", max_length=5),
)
PROGRAM = Program(
    id="safety-2026", title="安全生产", year=2026, date_column="date", periods=(),
    columns=COLUMNS, indicators=(), items=(),
)


def records(*rows: tuple[str, ...], start: int = 1) -> list[Record]:
    return [Record(n, row) for n, row in enumerate(rows, start=start)]


def messages(table_problems: tuple[Problem, ...]) -> list[str]:
    return [str(p) for p in table_problems]


def test_header_by_ids() -> None:
    table = read_table(PROGRAM, "a.csv", records(
        ("date", "kind", "participants", "cost", "fixed", "note"),
        ("2026/3/5", "宣传活动", "６０", "12.5", "是", " 春节 "),
    ))
    assert table.ok, table.messages()
    assert [r.cells for r in table.rows] == [{
        "date": "2026-03-05", "kind": "宣传活动", "participants": 60, "cost": "12.50",
        "fixed": True, "note": "春节",
    }]
    assert table.rows[0].number == 2


def test_header_by_titles_in_any_order_and_missing_optional_columns() -> None:
    table = read_table(PROGRAM, "a.csv", records(
        ("类别", "日期", "已整改"),
        ("应急演练", "2026年4月1日", "否"),
    ))
    assert table.ok, table.messages()
    assert table.rows[0].cells == {"kind": "应急演练", "date": "2026-04-01", "fixed": False}


def test_header_mixing_ids_and_titles_with_padding() -> None:
    table = read_table(PROGRAM, "a.csv", records(
        (" date ", "类别\u3000", "cost"),
        ("2026-01-10", "宣传活动", ""),
    ))
    assert table.ok, table.messages()
    # An empty optional cell is left out, as the store keeps no key for it.
    assert table.rows[0].cells == {"date": "2026-01-10", "kind": "宣传活动"}


def test_every_bad_cell_is_reported_at_its_row_and_header_name() -> None:
    table = read_table(PROGRAM, "v01.csv", records(
        ("日期", "kind", "参加人数", "cost", "fixed", "备注"),
        ("2026-02-30", "宣传活动", "-1", "1.2.3", "也许", "123456"),
        ("2026-03-01", "开会", "ten", "", "", ""),
        ("", "", "", "", "", ""),  # entirely empty: skipped, no "required" problem
        ("", "应急演练", "1", "", "", ""),
    ))
    assert not table.ok
    located = [(p.file, p.row, p.column) for p in table.problems]
    assert located == [
        ("v01.csv", 2, "日期"), ("v01.csv", 2, "参加人数"), ("v01.csv", 2, "cost"),
        ("v01.csv", 2, "fixed"), ("v01.csv", 2, "备注"),
        ("v01.csv", 3, "kind"), ("v01.csv", 3, "参加人数"),
        ("v01.csv", 5, "日期"),
    ]
    text = messages(table.problems)
    assert text[0].startswith("v01.csv:2:日期: ")
    assert "February 2026 has 28 days, not 30" in text[0]
    assert "out of range" in text[1]
    assert "1 character too many" in text[4]
    assert "one of: 宣传活动, 应急演练" in text[5]
    assert text[7].startswith("v01.csv:5:日期: ") and "required" in text[7]


def test_messages_follow_the_language() -> None:
    table = read_table(PROGRAM, "v01.csv", records(
        ("日期", "类别"), ("2026-13-01", "宣传活动"),
    ))
    assert table.messages("zh") == [
        "v01.csv:2:日期: 日期（date）：没有13月；应填日期，如 2026-03-05、2026/3/5、3月5日 或 3/5，"
        "填的是“2026-13-01”"
    ]


def test_unknown_and_duplicate_headers() -> None:
    table = read_table(PROGRAM, "x.csv", records(
        ("date", "kind", "人数", "日期", "note"),
        ("2026-01-01", "宣传活动", "3", "2026-01-02", "ok"),
    ))
    text = messages(table.problems)
    assert len(text) == 2
    assert text[0].startswith("x.csv:1:人数: program safety-2026 has no such column")
    assert text[1].startswith("x.csv:1:日期: column 日期 (date) appears twice")
    # Cells under refused headers are not parsed; the rest still are.
    assert table.rows[0].cells == {"date": "2026-01-01", "kind": "宣传活动", "note": "ok"}


def test_missing_required_columns_are_named_once_at_the_header() -> None:
    table = read_table(PROGRAM, "x.csv", records(
        ("note",), ("a",), ("b",),
    ))
    assert messages(table.problems) == [
        "x.csv:1: the header has no column 日期 (date), which is required",
        "x.csv:1: the header has no column 类别 (kind), which is required",
    ]


def test_an_empty_file_and_a_file_of_blank_rows_are_refused() -> None:
    for given in ([], records(("", ""), (" ", "\u3000"))):
        table = read_table(PROGRAM, "empty.csv", given)
        assert messages(table.problems) == [
            "empty.csv: the file is empty; the first row must be the header "
            "(column ids or titles)"
        ]


def test_a_byte_order_mark_left_on_the_header_is_not_part_of_the_name() -> None:
    table = read_table(PROGRAM, "a.csv", records(("\ufeff日期", "kind"), ("2026-1-2", "宣传活动")))
    assert table.ok, table.messages()
    assert table.rows[0].cells == {"date": "2026-01-02", "kind": "宣传活动"}


def test_header_only_is_no_rows_and_no_problem() -> None:
    table = read_table(PROGRAM, "a.csv", records(("date", "kind")))
    assert table.ok and table.rows == ()


def test_rows_keep_their_file_numbers_past_blank_rows_and_a_late_header() -> None:
    table = read_table(PROGRAM, "a.xlsx", [
        Record(1, ()), Record(2, ("", "")),
        Record(3, ("date", "kind")),
        Record(4, ("2026-01-01", "宣传活动")),
        Record(7, ("2026-01-02", "检查")),
    ])
    assert table.header_row == 3
    assert [r.number for r in table.rows] == [4, 7]
    assert messages(table.problems)[0].startswith("a.xlsx:7:kind: ")


def test_cells_beyond_the_header_and_values_under_an_empty_header() -> None:
    table = read_table(PROGRAM, "a.csv", records(
        ("date", "", "kind", ""),
        ("2026-01-01", "oops", "宣传活动", "", "stray"),
        ("2026-01-02", "", "宣传活动"),
    ))
    assert messages(table.problems) == [
        "a.csv:1:B: this column has values but no header",
        'a.csv:2:E: "stray" is beyond the last column of the header',
    ]


def test_short_rows_leave_required_cells_empty() -> None:
    table = read_table(PROGRAM, "a.csv", records(
        ("note", "date", "kind"), ("hi", "2026-01-01"),
    ))
    assert len(table.problems) == 1
    assert str(table.problems[0]).startswith("a.csv:2:kind: 类别 (kind): required")


def test_a_title_shared_by_two_columns_is_ambiguous() -> None:
    program = Program(
        id="p", title="p", year=2026, date_column="a", periods=(), indicators=(), items=(),
        columns=(Column("a", "名称", "text"), Column("b", "名称", "text"),
                 Column("c", "a", "text")),
    )
    table = read_table(program, "f.csv", records(("名称", "a"), ("x", "y")))
    assert messages(table.problems) == [
        "f.csv:1:名称: several columns have this title (a, b); use the column id"
    ]
    # "a" is column a's id, which wins over column c's title.
    assert table.rows[0].cells == {"a": "y"}
    # Export names such columns by id so they read back as themselves.
    assert header_names(program) == {"a": "a", "b": "b", "c": "c"}
    assert header_names(PROGRAM)["date"] == "日期"


@pytest.mark.parametrize(("index", "letter"), [(0, "A"), (25, "Z"), (26, "AA"), (701, "ZZ"),
                                               (702, "AAA")])
def test_column_letters(index: int, letter: str) -> None:
    assert column_letter(index) == letter
