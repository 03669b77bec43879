"""Keys a clerk types as data are data: on an editable cell a printable key starts an edit
with it (the grid's commands are on keys that type nothing). Keys typed in one burst land
where they were meant, after a key that opened a picker or the search box too; Esc cancels
what is in progress before it leaves; Ctrl+Q never drops a value being typed.

`burst` (tests/tui/test_grid_burst.py) hands every key to the driver at once, as a terminal
delivers a fast typist's keys."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len
from test_grid_burst import burst, type_now
from test_ledger_screen import column, grid_of, stored_rows
from textual.pilot import Pilot
from ui_helpers import SIZE, make_app, open_ledger, settle

from vledger.tui.screens.home import HomeScreen
from vledger.tui.screens.ledger import LedgerScreen
from vledger.tui.widgets.picker import Picker


async def quits(pilot: Pilot[int]) -> None:
    for _ in range(200):
        if not pilot.app.is_running:
            return
        await pilot.pause(0.05)
    raise AssertionError("Ctrl+Q did not quit")


async def test_typing_no_in_a_yes_no_cell_stores_no(demo_home: Path) -> None:
    app = make_app(demo_home, "en")
    async with app.run_test(size=SIZE) as pilot:
        await open_ledger(pilot)
        grid = grid_of(app)
        grid.move_to(3, column(grid, "fixed"))
        row_id = grid.cursor_row_id
        await pilot.press("n", "o")
        assert grid.editing and grid.editor.value == "no"
        await pilot.press("enter")
        await settle(pilot)
        assert grid.cursor_row == 4  # n was not "next match", o not a command
        assert app.errors == []
    assert row_id is not None and stored_rows(demo_home)[row_id]["fixed"] is False


async def test_command_letters_typed_on_a_cell_are_its_value(demo_home: Path) -> None:
    app = make_app(demo_home, "en")
    async with app.run_test(size=SIZE) as pilot:
        await open_ledger(pilot)
        grid = grid_of(app)
        rows = grid.model.row_count()
        grid.move_to(0, column(grid, "note"))
        row_id = grid.cursor_row_id
        await burst(pilot, *"adufrD", "enter")
        await settle(pilot)
        assert grid.model.row_count() == rows  # no row added, none deleted
        assert not grid.view.show_deleted and grid.view.filter_column is None
    assert row_id is not None and stored_rows(demo_home)[row_id]["note"] == "adufrD"


async def test_slash_and_a_word_in_one_burst_search_for_the_word(demo_home: Path) -> None:
    app = make_app(demo_home, "en")
    async with app.run_test(size=SIZE) as pilot:
        await open_ledger(pilot)
        grid = grid_of(app)
        await burst(pilot, "slash", *"应急", "enter")
        await settle(pilot)
        assert grid.search_pattern == "应急"
        assert not grid.searching and app.focused is grid
        assert grid.model.display(grid.cursor_row_id or "", "kind") == "应急演练"
        # Enter on the box opened again is not the old search again: it stops searching.
        at = grid.cursor_row
        await burst(pilot, "slash", "enter")
        await settle(pilot)
        assert grid.search_pattern == "" and grid.cursor_row == at


async def test_f7_and_a_pick_in_one_burst_open_the_picked_village(demo_home: Path) -> None:
    app = make_app(demo_home, "en")
    async with app.run_test(size=SIZE) as pilot:
        await open_ledger(pilot)
        first = grid_of(app)
        at = first.cursor_row
        await burst(pilot, "f7", "down", "enter")
        await settle(pilot)
        assert not isinstance(app.screen, Picker)
        assert first.cursor_row == at and not first.editing  # the keys were the picker's
        grid = grid_of(app)
        assert grid.model.village == "v02"  # type: ignore[attr-defined]
        title = str(app.screen.query_one("#ledger-title").render())
        assert "东溪村" in title


async def test_a_key_read_while_the_picker_opens_waits_for_the_keys_before_it(
    demo_home: Path,
) -> None:
    """`F7 Home` read in one go, `Enter` a moment later (the terminal's next read), as the
    picker shows: Home was read while the grid still had focus, so it must reach the
    picker before Enter does, and the first village is picked."""
    app = make_app(demo_home, "en")
    async with app.run_test(size=SIZE) as pilot:
        await open_ledger(pilot)
        await pilot.press("f7", "end", "enter")  # start from the last village
        await settle(pilot)
        assert grid_of(app).model.village != "v01"  # type: ignore[attr-defined]
        type_now(pilot, "f7", "home")
        for _ in range(500):
            if isinstance(app.screen, Picker):
                break
            await asyncio.sleep(0)
        assert isinstance(app.screen, Picker)
        type_now(pilot, "enter")
        await settle(pilot)
        assert not isinstance(app.screen, Picker)
        assert grid_of(app).model.village == "v01"  # type: ignore[attr-defined]


async def test_keys_reaching_the_picker_before_its_list_has_focus_still_pick(
    demo_home: Path,
) -> None:
    """On a busy machine keys sent right after F6 can reach the picker screen before its
    list takes focus; they move and pick as if the list had focus."""
    app = make_app(demo_home, "en")
    async with app.run_test(size=SIZE) as pilot:
        await open_ledger(pilot)
        screen = app.screen
        assert isinstance(screen, LedgerScreen)
        before = screen.program_id
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(app.screen, Picker)
        app.screen.set_focus(None)  # as before the list's mount gave it focus
        await pilot.press("home", "enter")
        await settle(pilot)
        assert app.screen is screen
        first = screen.facts.programs[0].id
        assert first != before and screen.program_id == first


async def test_escape_cancels_a_search_then_a_filter_then_leaves(demo_home: Path) -> None:
    app = make_app(demo_home, "en")
    async with app.run_test(size=SIZE) as pilot:
        await open_ledger(pilot)
        grid = grid_of(app)
        grid.move_to(0, column(grid, "kind"))
        await pilot.press("ctrl+e")  # filter on this cell's value
        await burst(pilot, "slash", *"例会", "enter")
        assert grid.search_pattern and grid.view.filter_column == "kind"
        await pilot.press("escape")
        assert isinstance(app.screen, LedgerScreen) and grid.search_pattern == ""
        await pilot.press("escape")
        assert isinstance(app.screen, LedgerScreen) and grid.view.filter_column is None
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)


async def test_ctrl_q_while_typing_stores_the_value_then_quits(demo_home: Path) -> None:
    app = make_app(demo_home, "en")
    async with app.run_test(size=SIZE) as pilot:
        await open_ledger(pilot)
        grid = grid_of(app)
        grid.move_to(2, column(grid, "participants"))
        row_id = grid.cursor_row_id
        await burst(pilot, "4", "2", "ctrl+q")
        await quits(pilot)
    assert row_id is not None and stored_rows(demo_home)[row_id]["participants"] == 42


async def test_ctrl_q_on_a_value_the_column_refuses_does_not_quit(demo_home: Path) -> None:
    app = make_app(demo_home, "en")
    async with app.run_test(size=SIZE) as pilot:
        await open_ledger(pilot)
        grid = grid_of(app)
        grid.move_to(2, column(grid, "participants"))
        await burst(pilot, "x", "ctrl+q")
        await settle(pilot)
        assert app.is_running and grid.editing and grid.editor.value == "x"
        assert "Not quit" in str(grid.status.render())
        await pilot.press("escape", "ctrl+q")
        await quits(pilot)


async def test_the_title_names_the_ledger_the_grid_shows_while_another_opens(
    demo_home: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The clerk picked another village; until its ledger is open the grid still shows
    (and edits) the old one, and so must the title, whatever relabels it meanwhile."""
    from vledger.tui.screens import ledger

    opening = threading.Event()
    real_open = ledger.open_ledger

    def slow_open(office: Any, program_id: str, village: str) -> Any:
        if village == "v02":
            opening.wait(30)
        return real_open(office, program_id, village)

    monkeypatch.setattr(ledger, "open_ledger", slow_open)
    app = make_app(demo_home, "en")
    async with app.run_test(size=SIZE) as pilot:
        await open_ledger(pilot)
        await pilot.press("f7", "down", "enter")  # 东溪村: held on the worker
        await pilot.press("ctrl+l")  # the language switch relabels the title meanwhile
        await pilot.pause(0.2)
        screen = app.screen
        title = str(screen.query_one("#ledger-title").render())
        assert grid_of(app).model.village == "v01"  # type: ignore[attr-defined]
        assert "青石村" in title and "东溪村" not in title
        opening.set()
        await settle(pilot)
        title = str(screen.query_one("#ledger-title").render())
        assert grid_of(app).model.village == "v02"  # type: ignore[attr-defined]
        assert "东溪村" in title


async def test_a_long_refusal_wraps_and_shows_whole_at_80_columns(demo_home: Path) -> None:
    app = make_app(demo_home, "en")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_ledger(pilot)
        grid = grid_of(app)
        grid.move_to(0, column(grid, "kind"))
        await pilot.press(*"xyz", "enter")
        await pilot.pause()
        status = grid.status
        text = str(status.render())
        assert 'got "xyz"' in text and "生产安全事故" in text  # the last kind allowed
        assert status.size.height >= 2
        assert status.size.height * status.size.width >= cell_len(text)
        await pilot.press("escape", "down")
        await pilot.pause()
        assert grid.status.size.height == 1


async def test_scrolled_right_the_first_column_shown_starts_with_its_title(
    demo_home: Path,
) -> None:
    app = make_app(demo_home, "en")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_ledger(pilot)
        grid = grid_of(app)
        widths, columns = grid.widths, grid.model.columns
        starts = [sum(w + 3 for w in widths[1:c]) for c in range(1, len(widths))]
        frozen = widths[0] + 3
        scrolled = False
        for _ in columns[1:]:
            await pilot.press("right")
            await pilot.pause()
            x = grid.body.scroll_offset.x
            scrolled = scrolled or x > 0
            assert x in starts, (x, starts)
            first = starts.index(x) + 1  # the column shown right of the frozen one
            header = grid.body.render_line(0).crop(frozen, 80).text
            assert header.startswith(" " + columns[first].title[:2]), header
        assert scrolled


async def test_reopening_a_ledger_puts_the_cursor_back_where_it_was(demo_home: Path) -> None:
    app = make_app(demo_home, "en")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_ledger(pilot)
        grid = grid_of(app)
        await pilot.press(*["down"] * 25, "right", "right", "right")
        await settle(pilot)
        place = (grid.cursor_row_id, grid.cursor_column_id)
        assert place[1] == "participants" and grid.cursor_row == 25
        await pilot.press("escape")  # home, then the same ledger again
        await settle(pilot)
        await open_ledger(pilot)
        grid = grid_of(app)
        assert (grid.cursor_row_id, grid.cursor_column_id) == place
        assert grid.body.scroll_offset.y > 0  # the row is on screen
        await pilot.press("f7", "down", "enter")  # another village: its own place
        await settle(pilot)
        assert grid_of(app).cursor_row == 0
        await pilot.press("f7", "up", "enter")
        await settle(pilot)
        grid = grid_of(app)
        assert (grid.cursor_row_id, grid.cursor_column_id) == place


async def test_a_choice_cell_offers_a_pick_list_and_takes_a_prefix_initials_or_a_part(
    demo_home: Path,
) -> None:
    app = make_app(demo_home, "en")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_ledger(pilot)
        grid = grid_of(app)
        rows = [grid.view.rows()[i] for i in range(4)]
        grid.move_to(0, column(grid, "kind"))
        await pilot.press("y", "j")  # pinyin initials of 应急演练
        assert grid.choice_list.display and grid.choice_list.shown == ["应急演练"]
        await pilot.press("enter")
        await pilot.press("宣", "传")  # part of 安全宣传: offered, highlighted
        assert grid.choice_list.shown == ["安全宣传"]
        await pilot.press("enter")
        await pilot.press("安", "全")  # a prefix of several: all offered, ↓ picks
        assert grid.choice_list.shown[:2] == ["安全宣传", "安全例会"]
        await pilot.press("down", "enter")
        await pilot.press("f2", "ctrl+u")  # empty: every choice, none taken by Enter
        assert grid.choice_list.shown == list(grid.model.columns[grid.cursor_col].choices)
        await pilot.press("up", "tab")  # ↑ from nothing: the last choice
        await settle(pilot)
        assert not grid.choice_list.display
        assert [grid.model.value(r, "kind") for r in rows] == [
            "应急演练", "安全宣传", "安全例会", "生产安全事故"]
    kinds = {r: stored_rows(demo_home)[r]["kind"] for r in rows}
    assert list(kinds.values()) == ["应急演练", "安全宣传", "安全例会", "生产安全事故"]


async def test_dates_and_numbers_as_typed_and_a_date_of_another_year_is_warned(
    demo_home: Path,
) -> None:
    app = make_app(demo_home, "en")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_ledger(pilot)
        grid = grid_of(app)
        grid.move_to(0, column(grid, "participants"))
        row_id = grid.cursor_row_id or ""
        await pilot.press(*"1,200", "enter")
        assert grid.model.value(row_id, "participants") == 1200
        grid.move_to_row_id(row_id, "date")
        await pilot.press(*"3月10日", "enter")
        assert grid.model.value(row_id, "date") == "2026-03-10"
        grid.move_to_row_id(row_id, "date")
        await pilot.press(*"20260311", "enter")
        assert grid.model.value(row_id, "date") == "2026-03-11"
        assert "2026" not in str(grid.status.render()).split("row")[0]  # no warning
        grid.move_to_row_id(row_id, "date")
        await pilot.press(*"2027-03-12", "enter")
        await settle(pilot)
        assert grid.model.value(row_id, "date") == "2027-03-12"  # kept, and said
        said = str(grid.status.render())
        assert "2027-03-12" in said and "2026" in said, said


async def test_import_a_file_from_the_ledger_every_problem_shown_then_all_rows(
    demo_home: Path, tmp_path: Path,
) -> None:
    from textual.widgets import Input

    from vledger.tui.screens.ledger_import import ImportScreen

    bad = tmp_path / "bad.csv"
    bad.write_text("日期,工作类别,参加人数\n2026-04-01,安全宣传,12\n2026-13-01,宣,x\n"
                   "2026-04-03,开会,5\n", encoding="utf-8")
    good = tmp_path / "good.csv"
    good.write_text('日期,工作类别,参加人数\n4月1日,aqxc,"1,200"\n20260402,应急,30\n',
                    encoding="utf-8")
    before = stored_rows(demo_home)
    app = make_app(demo_home, "en")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_ledger(pilot)
        grid = grid_of(app)
        rows = grid.model.row_count()
        await pilot.press("ctrl+o")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ImportScreen)
        field = screen.query_one("#import-path", Input)
        field.value = str(bad)
        await pilot.press("enter")
        await settle(pilot)
        said = str(screen.query_one("#import-text").render())
        assert "4 problems" in said and "bad.csv:3:" in said and "bad.csv:4:" in said, said
        await pilot.press("enter")  # a file with problems is checked again, never imported
        await settle(pilot)
        field.value = str(good)
        await pilot.press("enter")
        await settle(pilot)
        said = str(screen.query_one("#import-text").render())
        assert "all 2 rows can be imported" in said, said
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is not screen
        assert grid_of(app).model.row_count() == rows + 2
        assert "2 rows imported" in str(grid_of(app).status.render())
    added = [r for r in stored_rows(demo_home).values() if r not in before.values()]
    assert sorted((r["date"], r["kind"], r["participants"]) for r in added) == [
        ("2026-04-01", "安全宣传", 1200), ("2026-04-02", "应急演练", 30)]


async def test_tab_on_the_grid_moves_to_the_next_cell_to_skip_one(demo_home: Path) -> None:
    app = make_app(demo_home, "en")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_ledger(pilot)
        grid = grid_of(app)
        await pilot.press("ctrl+n")
        await settle(pilot)
        row_id = grid.cursor_row_id or ""
        # today's date kept, the kind by its number, no place, 12 people
        await burst(pilot, "tab", "1", "tab", "tab", "1", "2", "tab", "shift+tab")
        await settle(pilot)
        assert app.focused is grid and grid.cursor_column_id == "participants"
        assert grid.model.value(row_id, "kind") == "安全宣传"
        assert grid.model.value(row_id, "place") is None
        assert grid.model.value(row_id, "participants") == 12
