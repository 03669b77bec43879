"""The grid's model, command stack and view, without a terminal."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.example_data import EXAMPLES
from vledger.domain.program import CellValue, Column, Program
from vledger.domain.program_file import load_program
from vledger.domain.values import ValueProblem
from vledger.tui.grid.model import CellRefused, GridColumn, MemoryLedgerModel
from vledger.tui.grid.row_view import RowView, sort_key
from vledger.tui.grid.undo import AddRow, CommandStack, DeleteRow, EditCell

ROOT = Path(__file__).resolve().parents[2]


def safety_program() -> Program:
    path = EXAMPLES / "safety-2026.toml"
    return load_program(path.read_text(encoding="utf-8"), path.name)


def ledger_rows(village: str) -> list[dict[str, str]]:
    path = EXAMPLES / "safety-2026" / "ledgers" / f"{village}.csv"
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def counter_ids() -> object:
    n = iter(range(1, 10**6))
    return lambda: f"r{next(n):05d}"


def example_model(village: str = "v01", lang: str = "zh") -> MemoryLedgerModel:
    return MemoryLedgerModel.from_texts(
        safety_program(), ledger_rows(village), lang=lang, make_id=counter_ids()
    )


def test_rows_from_csv_are_parsed_and_shown_in_date_order() -> None:
    model = example_model("v03")  # v03 writes dates as 2026年1月20日
    source = ledger_rows("v03")
    assert model.row_count() == len(source)
    dates = [model.display(r, "date") for r in model.row_ids()]
    assert dates == sorted(dates)
    assert "2026-01-20" in dates
    assert all(len(d) == 10 for d in dates)


def test_columns_carry_titles_types_and_choice_widths() -> None:
    model = example_model()
    by_id = {c.id: c for c in model.columns}
    assert [c.id for c in model.columns] == [c.id for c in safety_program().columns]
    assert by_id["kind"].title == "类别"
    assert by_id["kind"].type == "choice"
    assert by_id["kind"].width == 8  # "宣传活动": four wide characters
    assert all(c.editable for c in model.columns)


def test_commit_parses_full_width_digits_and_marks_the_cell_unsynced() -> None:
    model = example_model()
    row = model.row_ids()[0]
    before = model.version
    model.commit(row, "participants", "１２")
    assert model.value(row, "participants") == 12
    assert model.display(row, "participants") == "12"
    assert model.marks(row, "participants") == {"unsynced"}
    assert model.marks(row, "kind") == frozenset()
    assert model.version > before


def test_bad_value_raises_with_both_languages_and_changes_nothing() -> None:
    model = example_model()
    row = model.row_ids()[0]
    old, version = model.value(row, "participants"), model.version
    with pytest.raises(ValueProblem) as caught:
        model.commit(row, "participants", "很多")
    assert caught.value.message and caught.value.message_zh
    assert model.value(row, "participants") == old
    assert model.version == version
    assert model.marks(row, "participants") == frozenset()


def test_bool_display_follows_the_language_and_parses_back() -> None:
    zh, en = example_model("v01", "zh"), example_model("v01", "en")
    row = next(r for r in zh.row_ids() if zh.value(r, "attended") is True)
    assert zh.display(row, "attended") == "是"
    assert en.display(row, "attended") == "yes"
    zh.commit(row, "attended", zh.display(row, "attended"))
    assert zh.value(row, "attended") is True


def test_deleted_rows_stay_listed_refuse_edits_and_can_be_restored() -> None:
    model = example_model()
    row = model.row_ids()[2]
    model.delete_row(row)
    assert model.is_deleted(row)
    assert row in model.row_ids()
    with pytest.raises(CellRefused) as caught:
        model.commit(row, "note", "x")
    assert caught.value.message_zh == "该行已删除，请先恢复"
    model.restore_row(row)
    assert not model.is_deleted(row)
    model.commit(row, "note", "x")
    assert model.value(row, "note") == "x"


def test_new_row_is_empty_and_moves_into_date_order_once_dated() -> None:
    model = example_model()
    row = model.add_row()
    assert model.row_ids()[-1] == row
    assert all(model.value(row, c.id) is None for c in model.columns)
    model.commit(row, "date", "2026/1/1")
    assert model.row_ids()[0] == row


def test_conflict_marks_are_set_and_cleared_and_sync_clears_unsynced() -> None:
    model = example_model()
    row = model.row_ids()[0]
    model.commit(row, "note", "a")
    model.set_conflict(row, "note")
    assert model.marks(row, "note") == {"unsynced", "conflict"}
    model.mark_synced()
    assert model.marks(row, "note") == {"conflict"}
    model.set_conflict(row, "note", False)
    assert model.marks(row, "note") == frozenset()


# ---- command stack ----------------------------------------------------------------------


def test_edit_undo_redo_round_trip() -> None:
    model = example_model()
    stack = CommandStack(model)
    row = model.row_ids()[1]
    old = model.value(row, "participants")
    command = stack.edit_cell(row, "participants", "77")
    assert command == EditCell(row, "participants", old, 77)
    assert command is not None and command.name == "edit-cell"
    assert stack.undo() == command
    assert model.value(row, "participants") == old
    assert stack.redo() == command
    assert model.value(row, "participants") == 77
    assert stack.redo() is None


def test_unchanged_value_records_nothing() -> None:
    model = example_model()
    stack = CommandStack(model)
    row = model.row_ids()[1]
    assert stack.edit_cell(row, "date", model.display(row, "date")) is None
    assert not stack.can_undo


def test_refused_edit_records_nothing() -> None:
    model = example_model()
    stack = CommandStack(model)
    with pytest.raises(ValueProblem):
        stack.edit_cell(model.row_ids()[0], "date", "明天")
    assert not stack.can_undo


def test_undo_can_put_back_an_empty_required_cell() -> None:
    model = example_model()
    stack = CommandStack(model)
    added = stack.add_row()
    stack.edit_cell(added.row_id, "date", "2026-05-01")
    stack.undo()
    assert model.value(added.row_id, "date") is None  # parse_cell would refuse "" here


def test_add_and_delete_are_undone_by_the_soft_delete_flag() -> None:
    model = example_model()
    stack = CommandStack(model)
    added = stack.add_row()
    assert isinstance(added, AddRow) and added.name == "add-row"
    stack.undo()
    assert model.is_deleted(added.row_id)
    stack.redo()
    assert not model.is_deleted(added.row_id)
    row = model.row_ids()[0]
    assert stack.delete_row(row) == DeleteRow(row)
    stack.undo()
    assert not model.is_deleted(row)


def test_a_new_command_clears_redo() -> None:
    model = example_model()
    stack = CommandStack(model)
    row = model.row_ids()[0]
    stack.edit_cell(row, "note", "a")
    stack.undo()
    assert stack.can_redo
    stack.edit_cell(row, "note", "b")
    assert not stack.can_redo


EDITS = st.lists(
    st.tuples(
        st.integers(0, 9),
        st.sampled_from(["participants", "note", "fixed", "kind"]),
        st.sampled_from(["1", "２３", "", "是", "n", "宣传活动", "例会", "备注", "bad!"]),
    ),
    max_size=12,
)


@settings(max_examples=40, deadline=None)
@given(EDITS)
def test_undoing_everything_restores_every_cell(edits: list[tuple[int, str, str]]) -> None:
    model = example_model()
    stack = CommandStack(model)
    rows = list(model.row_ids())

    def snapshot() -> dict[tuple[str, str], object]:
        return {(r, c.id): model.value(r, c.id) for r in rows for c in model.columns}

    before = snapshot()
    for index, column, text in edits:
        try:
            stack.edit_cell(rows[index], column, text)
        except ValueProblem:
            pass
    after = snapshot()
    while stack.undo() is not None:
        pass
    assert snapshot() == before
    while stack.redo() is not None:
        pass
    assert snapshot() == after


# ---- view ------------------------------------------------------------------------------


def test_view_hides_deleted_rows_unless_asked() -> None:
    model = example_model()
    view = RowView(model)
    row = model.row_ids()[0]
    model.delete_row(row)
    assert row not in view.rows()
    view.show_deleted = True
    assert view.rows()[0] == row
    assert len(view.rows()) == model.row_count()


def test_sort_uses_typed_order_and_puts_empty_cells_last() -> None:
    model = example_model()
    view = RowView(model)
    view.sort("participants")
    numbers = [model.value(r, "participants") for r in view.rows()]
    filled = [n for n in numbers if n is not None]
    assert filled == sorted(filled)
    assert numbers == filled + [None] * (len(numbers) - len(filled))
    view.sort("participants", descending=True)
    numbers = [model.value(r, "participants") for r in view.rows()]
    assert numbers[: len(filled)] == sorted(filled, reverse=True)
    assert numbers[len(filled):] == [None] * (len(numbers) - len(filled))


def test_sort_keeps_choices_in_the_program_order() -> None:
    model = example_model()
    view = RowView(model)
    view.sort("kind")
    choices = safety_program().column("kind").choices
    kinds = [choices.index(str(model.value(r, "kind"))) for r in view.rows()]
    assert kinds == sorted(kinds)


def test_sort_is_stable_and_never_changes_the_model() -> None:
    model = example_model()
    order, version = list(model.row_ids()), model.version
    view = RowView(model)
    view.sort("kind")
    same_kind = [r for r in view.rows() if model.value(r, "kind") == "宣传活动"]
    assert same_kind == [r for r in order if model.value(r, "kind") == "宣传活动"]
    assert list(model.row_ids()) == order and model.version == version


def test_decimal_sort_is_numeric_not_textual() -> None:
    money = Column("amount", "金额", "decimal", places=2)
    program = replace(safety_program(), columns=(*safety_program().columns, money))
    model = MemoryLedgerModel.from_texts(
        program, [{"date": "2026-01-01", "kind": "例会", "amount": a} for a in ("9", "10.5", "2")]
    )
    assert sort_key(RowView(model).column("amount"), "10.50") > sort_key(
        RowView(model).column("amount"), "9.00"
    )
    view = RowView(model)
    view.sort("amount")
    assert [model.display(r, "amount") for r in view.rows()] == ["2.00", "9.00", "10.50"]


def test_values_that_do_not_fit_their_column_sort_after_those_that_do() -> None:
    """A choice the program no longer offers, or text in a number column (as a sync from
    another tool may bring): sorting puts them after the fitting values, never fails."""
    kind = GridColumn("kind", "类别", "choice", 8, True, ("宣传活动", "例会"))
    count = GridColumn("n", "人数", "int", 4)
    kinds = ["例会", "旧类别", "宣传活动", "", "另一个"]
    assert sorted(kinds, key=lambda v: sort_key(kind, v)) == [
        "宣传活动", "例会", "另一个", "旧类别", ""]
    counts: list[CellValue] = [3, "three", 1, None, True]
    assert sorted(counts, key=lambda v: sort_key(count, v)) == [1, True, 3, "three", None]


def test_filter_keeps_rows_with_the_same_text_and_clears() -> None:
    model = example_model()
    view = RowView(model)
    view.filter("kind", "例会")
    assert view.rows() and all(model.display(r, "kind") == "例会" for r in view.rows())
    expected = sum(1 for r in ledger_rows("v01") if r["kind"] == "例会")
    assert len(view.rows()) == expected
    view.filter(None)
    assert len(view.rows()) == model.row_count()


def test_view_follows_model_changes() -> None:
    model = example_model()
    view = RowView(model)
    view.filter("kind", "例会")
    count = len(view.rows())
    row = view.rows()[0]
    model.commit(row, "kind", "宣传活动")
    assert len(view.rows()) == count - 1 and row not in view.rows()


def test_find_wraps_both_ways_and_ignores_case() -> None:
    model = example_model(lang="en")
    view = RowView(model)
    hits = [
        (i, c)
        for i, r in enumerate(view.rows())
        for c, column in enumerate(model.columns)
        if "演练" in model.display(r, column.id)
    ]
    assert len(hits) >= 1
    first = view.find("演练", 0, 0)
    assert first == hits[0]
    last = view.find("演练", 0, 0, forward=False)
    assert last == hits[-1]
    assert view.find("YES", 0, 0) is not None  # bools show as yes/no in English
    assert view.find("no such text", 0, 0) is None
