"""The grid widget under Pilot: keys, editing, refusals, undo, search, sort, filter, looks."""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from test_grid_model import example_model, safety_program
from textual.app import App, ComposeResult
from textual.message import Message

from vledger.domain.program import CellValue
from vledger.domain.values import parse_cell
from vledger.tui.commands import GRID_COMMANDS
from vledger.tui.grid.model import GridColumn, MemoryLedgerModel
from vledger.tui.grid.view import Grid
from vledger.tui.textual_compat import own_bindings

SIZE = (100, 30)


class GridApp(App[None]):
    def __init__(self, model: MemoryLedgerModel, lang: str = "zh") -> None:
        super().__init__()
        self.model, self.lang = model, lang
        self.seen: list[Message] = []

    def compose(self) -> ComposeResult:
        yield Grid(self.model, lang=self.lang, id="ledger")

    def on_mount(self) -> None:
        self.query_one(Grid).focus()

    def on_grid_cell_edited(self, m: Grid.CellEdited) -> None:
        self.seen.append(m)

    def on_grid_edit_refused(self, m: Grid.EditRefused) -> None:
        self.seen.append(m)

    def on_grid_row_added(self, m: Grid.RowAdded) -> None:
        self.seen.append(m)

    def on_grid_row_deleted(self, m: Grid.RowDeleted) -> None:
        self.seen.append(m)

    def on_grid_undone(self, m: Grid.Undone) -> None:
        self.seen.append(m)

    def on_grid_cell_activated(self, m: Grid.CellActivated) -> None:
        self.seen.append(m)

    def of(self, kind: type[Message]) -> list[Message]:
        return [m for m in self.seen if type(m) is kind]


def line_text(grid: Grid, y: int) -> str:
    return grid.body.render_line(y).text


def cell_at(grid: Grid, row: int, column_id: str) -> CellValue:
    return grid.model.value(grid.view.rows()[row], column_id)


def col(grid: Grid, column_id: str) -> int:
    return [c.id for c in grid.model.columns].index(column_id)


async def test_hjkl_arrows_pages_and_ends_move_the_cursor() -> None:
    app = GridApp(example_model())
    async with app.run_test(size=SIZE) as pilot:
        grid = app.query_one(Grid)
        await pilot.press("down", "down", "right", "right", "right")
        assert (grid.cursor_row, grid.cursor_col) == (2, 3)
        await pilot.press("up", "left", "up", "left", "down", "right")
        assert (grid.cursor_row, grid.cursor_col) == (1, 2)
        await pilot.press("left", "left", "left", "left", "left")  # stops at the first column
        assert grid.cursor_col == 0
        await pilot.press("end")
        assert grid.cursor_row == grid.model.row_count() - 1
        await pilot.press("home")
        assert grid.cursor_row == 0
        await pilot.press("pagedown")  # 23 rows fit on one page: the last row
        assert grid.cursor_row == min(grid.body.data_height, grid.model.row_count() - 1)
        await pilot.press("pageup")
        assert grid.cursor_row == 0


async def test_cursor_cell_is_drawn_reversed() -> None:
    app = GridApp(example_model())
    async with app.run_test(size=SIZE) as pilot:
        grid = app.query_one(Grid)
        await pilot.press("down", "right")
        line = grid.body.render_line(2)  # header, row 0, row 1
        reversed_text = "".join(s.text for s in line if s.style and s.style.reverse)
        assert grid.model.display(grid.cursor_row_id, "kind") in reversed_text
        other = grid.body.render_line(1)
        assert not any(s.style and s.style.reverse for s in other)


async def test_enter_edits_and_commits_moving_down() -> None:
    app = GridApp(example_model())
    async with app.run_test(size=SIZE) as pilot:
        grid = app.query_one(Grid)
        await pilot.press("right", "right", "enter")
        assert grid.editing
        assert grid.editor.value == grid.model.display(grid.view.rows()[0], "participants")
        grid.editor.value = ""
        await pilot.press("4", "2", "enter")
        assert not grid.editing
        assert cell_at(grid, 0, "participants") == 42
        assert (grid.cursor_row, grid.cursor_col) == (1, 2)
        edited = app.of(Grid.CellEdited)
        assert len(edited) == 1 and edited[0].new == 42  # type: ignore[attr-defined]
        assert "*" in line_text(grid, 1)  # the unsynced marker


async def test_tab_commits_and_moves_right() -> None:
    app = GridApp(example_model())
    async with app.run_test(size=SIZE) as pilot:
        grid = app.query_one(Grid)
        await pilot.press("down", "right", "right", "f2")
        grid.editor.value = "７"
        await pilot.press("tab")
        assert cell_at(grid, 1, "participants") == 7
        assert (grid.cursor_row, grid.cursor_col) == (1, 3)


async def test_typing_a_character_starts_an_edit_with_it() -> None:
    app = GridApp(example_model())
    async with app.run_test(size=SIZE) as pilot:
        grid = app.query_one(Grid)
        grid.move_to(0, col(grid, "note"))
        await pilot.press("宣")
        assert grid.editing and grid.editor.value == "宣"
        await pilot.press("u", "d", "enter")  # command letters are text while editing
        assert cell_at(grid, 0, "note") == "宣ud"
        assert grid.model.row_count() == len(grid.view.rows())  # nothing deleted


async def test_escape_cancels_and_keeps_the_old_value() -> None:
    app = GridApp(example_model())
    async with app.run_test(size=SIZE) as pilot:
        grid = app.query_one(Grid)
        grid.move_to(0, col(grid, "kind"))
        before = cell_at(grid, 0, "kind")
        await pilot.press("9", "9", "escape")
        assert not grid.editing
        assert cell_at(grid, 0, "kind") == before
        assert app.focused is grid
        assert not app.of(Grid.CellEdited)


async def test_bad_value_keeps_the_editor_open_with_the_reason() -> None:
    app = GridApp(example_model())
    async with app.run_test(size=SIZE) as pilot:
        grid = app.query_one(Grid)
        grid.move_to(0, col(grid, "participants"))
        await pilot.press("x", "enter")
        assert grid.editing and grid.editor.value == "x"
        refused = app.of(Grid.EditRefused)
        assert len(refused) == 1
        column = safety_program().column("participants")
        try:
            parse_cell(column, "x")
        except ValueError as problem:
            expected = problem.message_zh  # type: ignore[attr-defined]
        assert refused[0].reason == expected  # type: ignore[attr-defined]
        assert expected in str(grid.status.render())
        await pilot.press("backspace", "5", "enter")
        assert not grid.editing and cell_at(grid, 0, "participants") == 5


async def test_reason_is_in_english_for_an_english_grid() -> None:
    app = GridApp(example_model(lang="en"), lang="en")
    async with app.run_test(size=SIZE) as pilot:
        grid = app.query_one(Grid)
        grid.move_to(0, col(grid, "date"))
        await pilot.press("x", "enter")
        reason = app.of(Grid.EditRefused)[0].reason  # type: ignore[attr-defined]
        assert "expected a date" in reason
        assert reason in str(grid.status.render())


async def test_add_delete_undo_redo() -> None:
    model = example_model()
    app = GridApp(model)
    async with app.run_test(size=SIZE) as pilot:
        grid = app.query_one(Grid)
        count = len(grid.view.rows())
        await pilot.press("ctrl+n")
        assert len(grid.view.rows()) == count + 1
        added = app.of(Grid.RowAdded)[0].row_id  # type: ignore[attr-defined]
        assert grid.cursor_row_id == added and grid.cursor_col == 0
        await pilot.press("2", "0", "2", "6", "-", "0", "1", "-", "0", "1", "enter")
        assert grid.view.rows()[0] == added  # dated, it moved into date order
        await pilot.press("home")
        first = grid.cursor_row_id
        await pilot.press("ctrl+d")
        assert first not in grid.view.rows() and model.is_deleted(first)
        await pilot.press("ctrl+z")
        assert first in grid.view.rows() and not model.is_deleted(first)
        assert grid.cursor_row_id == first
        await pilot.press("ctrl+y")
        assert model.is_deleted(first)
        await pilot.press("ctrl+z", "ctrl+z")  # restore, then un-date the added row
        assert model.value(added, "date") is None
        assert [type(m) for m in app.of(Grid.Undone)] == [Grid.Undone] * 3


async def test_deleted_rows_can_be_shown_dimmed_and_are_not_editable() -> None:
    model = example_model()
    app = GridApp(model)
    async with app.run_test(size=SIZE) as pilot:
        grid = app.query_one(Grid)
        row = grid.cursor_row_id
        await pilot.press("ctrl+d", "ctrl+t")
        assert grid.view.rows()[0] == row
        grid.move_to(0, 0)
        line = grid.body.render_line(1)
        assert any(s.style and s.style.strike for s in line if s.text.strip())
        await pilot.press("enter")
        assert not grid.editing
        await pilot.press("ctrl+r")
        assert not model.is_deleted(row)


async def test_search_next_and_previous() -> None:
    app = GridApp(example_model())
    async with app.run_test(size=SIZE) as pilot:
        grid = app.query_one(Grid)
        rows, columns = grid.view.rows(), grid.model.columns
        hits = [
            (r, c) for r, row in enumerate(rows) for c, column in enumerate(columns)
            if "演练" in grid.model.display(row, column.id)
        ]
        assert len(hits) >= 3
        await pilot.press("slash")
        assert grid.searching
        await pilot.press("演", "练", "enter")
        assert not grid.searching
        assert (grid.cursor_row, grid.cursor_col) == hits[0]
        await pilot.press("f3")
        assert (grid.cursor_row, grid.cursor_col) == hits[1]
        await pilot.press("shift+f3", "shift+f3")
        assert (grid.cursor_row, grid.cursor_col) == hits[-1]


async def test_sort_brackets_order_by_the_cursor_column() -> None:
    app = GridApp(example_model())
    async with app.run_test(size=SIZE) as pilot:
        grid = app.query_one(Grid)
        grid.move_to(0, col(grid, "participants"))
        await pilot.press("left_square_bracket")
        values = [grid.model.value(r, "participants") for r in grid.view.rows()]
        filled = [v for v in values if v is not None]
        assert filled == sorted(filled) and values[: len(filled)] == filled
        assert "参加人数▲" in line_text(grid, 0)
        await pilot.press("right_square_bracket")
        values = [grid.model.value(r, "participants") for r in grid.view.rows()]
        assert values[: len(filled)] == sorted(filled, reverse=True)
        await pilot.press("right_square_bracket")  # again: back to date order
        assert list(grid.view.rows()) == [
            r for r in grid.model.row_ids() if not grid.model.is_deleted(r)
        ]


async def test_filter_by_the_cursor_value_and_clear() -> None:
    app = GridApp(example_model())
    async with app.run_test(size=SIZE) as pilot:
        grid = app.query_one(Grid)
        grid.move_to(0, col(grid, "kind"))
        kind = grid.model.display(grid.cursor_row_id, "kind")
        await pilot.press("ctrl+e")
        shown = grid.view.rows()
        assert 0 < len(shown) < grid.model.row_count()
        assert all(grid.model.display(r, "kind") == kind for r in shown)
        assert kind in str(grid.status.render())
        await pilot.press("ctrl+e")
        assert len(grid.view.rows()) == grid.model.row_count()


def separator_positions(text: str) -> list[int]:
    """Cell offsets of the column separators, measured as the terminal draws them."""
    return [cell_len(text[:i]) for i, ch in enumerate(text) if ch in "│┃"]


async def test_wide_characters_keep_columns_aligned() -> None:
    model = example_model()
    app = GridApp(model)
    async with app.run_test(size=SIZE) as pilot:
        grid = app.query_one(Grid)
        row = model.row_ids()[0]
        model.commit(row, "note", "这是一条非常非常长的备注，超过了列宽，需要截断显示")
        model.commit(model.row_ids()[1], "note", "ab中c")
        grid.refresh_model()
        await pilot.pause()
        width = grid.body.scrollable_content_region.width
        lines = [line_text(grid, y) for y in range(0, 8)]
        expected = separator_positions(lines[0])
        assert len(expected) == len(grid.model.columns)
        for line in lines[1:]:
            assert separator_positions(line) == expected
            assert cell_len(line) == width
        assert "…" in lines[1]


async def test_marks_for_unsynced_and_conflict_cells() -> None:
    model = example_model()
    app = GridApp(model)
    async with app.run_test(size=SIZE) as pilot:
        grid = app.query_one(Grid)
        first = model.row_ids()[0]
        model.commit(first, "note", "改")
        model.mark_synced()
        model.set_conflict(first, "note")
        model.commit(model.row_ids()[1], "note", "新")
        grid.refresh_model()
        await pilot.pause()
        conflict = grid.body.render_line(1)
        marker = [s for s in conflict if s.text == "!"]
        assert marker and marker[0].style is not None and marker[0].style.bold
        assert any(s.style and s.style.underline and "改" in s.text for s in conflict)
        assert "*" in line_text(grid, 2) and "!" not in line_text(grid, 2)


class SheetModel(MemoryLedgerModel):
    """A township-sheet-like model: the first column cannot be edited."""

    @property
    def columns(self) -> Sequence[GridColumn]:
        first, *rest = super().columns
        return (GridColumn(first.id, first.title, first.type, first.width, False), *rest)


async def test_enter_on_a_read_only_cell_activates_it() -> None:
    model = SheetModel.from_texts(safety_program(), [{"date": "2026-01-01", "kind": "例会"}])
    app = GridApp(model)  # type: ignore[arg-type]
    async with app.run_test(size=SIZE) as pilot:
        grid = app.query_one(Grid)
        await pilot.press("enter")
        assert not grid.editing
        activated = app.of(Grid.CellActivated)
        assert activated and activated[0].column_id == "date"  # type: ignore[attr-defined]


async def test_every_binding_has_an_id_and_a_description_in_the_grid_language() -> None:
    app = GridApp(example_model())
    async with app.run_test(size=SIZE):
        grid = app.query_one(Grid)
        bindings = [b for _, b in own_bindings(grid)]
        assert {b.id for b in bindings} == {c.name for c in GRID_COMMANDS}
        assert all(b.description and b.tooltip for b in bindings)
        by_id = {b.id: b for b in bindings}
        assert by_id["undo"].description == "撤销"
        active = app.screen.active_bindings
        assert active["ctrl+n"].binding.id == "add-row"
        assert active["left_square_bracket"].binding.id == "sort-asc"
        assert {c.name for c in grid.commands()} == {c.name for c in GRID_COMMANDS}


async def test_run_command_by_name_like_the_palette() -> None:
    app = GridApp(example_model())
    async with app.run_test(size=SIZE) as pilot:
        grid = app.query_one(Grid)
        await grid.run_command("cursor-down")
        await grid.run_command("add-row")
        await pilot.pause()
        assert len(app.of(Grid.RowAdded)) == 1


def big_model(rows: int = 20_000) -> MemoryLedgerModel:
    kinds = safety_program().column("kind").choices
    data = (
        {"date": f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}", "kind": kinds[i % 4],
         "participants": i % 97, "note": f"第{i}条"}
        for i in range(rows)
    )
    return MemoryLedgerModel(safety_program(), data)


async def test_twenty_thousand_rows_render_only_the_visible_lines() -> None:
    model = big_model()
    app = GridApp(model)
    async with app.run_test(size=SIZE) as pilot:
        grid = app.query_one(Grid)
        await pilot.pause()
        height = grid.body.size.height
        assert height < 30
        for keys in (("down",), ("pagedown",), ("end",), ("right", "right", "right"), ("up",),
                     ("home",)):
            grid.body.lines_rendered = 0
            await pilot.press(*keys)
            await pilot.pause()
            assert 0 < grid.body.lines_rendered <= height * len(keys)
        assert grid.cursor_row == 0
        await pilot.press("pagedown", "pagedown")
        assert grid.cursor_row == 2 * grid.body.data_height
        await pilot.press("end")
        assert grid.cursor_row == 19_999
        last = grid.view.rows()[-1]
        assert grid.model.display(last, "note") in line_text(grid, grid.body.data_height)


async def test_narrow_screen_scrolls_sideways_and_keeps_the_first_column() -> None:
    app = GridApp(example_model())
    async with app.run_test(size=(40, 12)) as pilot:
        grid = app.query_one(Grid)
        row = grid.view.rows()[0]
        await pilot.press("right", "right", "right", "right", "right")
        assert grid.cursor_column_id == "note"
        assert grid.body.scroll_offset.x > 0
        header, first = line_text(grid, 0), line_text(grid, 1)
        assert header.startswith(" 日期") and "备注" in header
        assert first.startswith(" " + grid.model.display(row, "date"))
        assert "类别" not in header  # scrolled out of view
        await pilot.press("left", "left", "left", "left")
        assert grid.body.scroll_offset.x == 0 and "类别" in line_text(grid, 0)
