"""Across screens: Ctrl+L re-titles every read-only table (history, blame, conflicts, sync,
ranking); history and conflicts open unfiltered from home whatever the ledger showed; the
ledger marks cells edited here that no peer holds yet."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from ui_helpers import SIZE, make_app, open_ledger
from ui_helpers import settle as settle_app

from vledger.sync.link.session import peer_key
from vledger.sync.services.office import Office
from vledger.tui.screens.ledger import LedgerScreen


def titles(screen: Any) -> list[str]:
    return [c.title for c in screen.model.columns]


async def settle(pilot: Pilot[int]) -> None:
    await settle_app(pilot)


async def switch_and_compare(pilot: Pilot[int]) -> tuple[list[str], list[str]]:
    """The screen's column titles before and after Ctrl+L."""
    await settle(pilot)
    screen = pilot.app.screen
    before = titles(screen)
    await pilot.press("ctrl+l")
    await settle(pilot)
    assert pilot.app.screen is screen
    return before, titles(screen)


async def test_ctrl_l_retitles_history_conflicts_sync_and_blame(demo_home: Path) -> None:
    app = make_app(demo_home, "zh")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        expected = {
            "history": ("时间", "time"), "conflicts": ("单元格", "cell"),
            "sync": ("对方", "peer"),
        }
        for key, name in (("h", "history"), ("c", "conflicts"), ("y", "sync")):
            await pilot.press(key)
            before, after = await switch_and_compare(pilot)
            zh, en = expected[name]
            start, end = (zh, en) if app.lang == "en" else (en, zh)
            assert before[0] == start and after[0] == end, (name, before, after)
            grid = app.screen.grid  # type: ignore[attr-defined]
            assert grid.lang == app.lang
            shown = {b.binding.description for b in app.screen.active_bindings.values()}
            back = "back" if app.lang == "en" else "返回"
            assert back in shown, (name, shown)
            await pilot.press("escape")
            await pilot.press("escape")
            await settle(pilot)
        # blame, from a ledger cell
        await open_ledger(pilot)
        await pilot.press("ctrl+b")
        before, after = await switch_and_compare(pilot)
        assert {before[0], after[0]} == {"链", "chain"} and before != after
        assert app.errors == []


async def test_history_and_conflicts_from_home_are_not_narrowed_by_the_ledger(
    demo_home: Path,
) -> None:
    app = make_app(demo_home, "en")
    async with app.run_test(size=SIZE) as pilot:
        await open_ledger(pilot)
        await pilot.press("f7")  # another village: the app now remembers program and village
        await pilot.press("down", "enter")
        await settle(pilot)
        assert app.village == "v02" and app.program_id is not None
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        screen = app.screen
        assert type(screen).__name__ == "HistoryScreen"
        assert not any(screen.filters.values()), screen.filters  # type: ignore[attr-defined]
        villages = {r["village"] for r in screen.records}  # type: ignore[attr-defined]
        assert len(villages) > 2
        await pilot.press("escape")
        await pilot.press("c")
        await settle(pilot)
        assert type(app.screen).__name__ == "ConflictsScreen"
        assert app.screen.params == {}  # type: ignore[attr-defined]


async def test_cells_edited_after_the_last_sync_are_marked_unsynced(demo_home: Path) -> None:
    with Office.open(demo_home) as office:  # as if a village had synced everything
        for document in office.store.document_ids():
            heads = office.store.heads(document)
            office.store.db.peers.set(peer_key("v01", "d1"), document, heads, heads)
    app = make_app(demo_home, "en")
    async with app.run_test(size=SIZE) as pilot:
        await open_ledger(pilot)
        screen = app.screen
        assert isinstance(screen, LedgerScreen) and screen.grid is not None
        grid = screen.grid
        rows = list(grid.view.rows())
        assert not any(grid.model.marks(r, c.id) for r in rows[:20] for c in grid.model.columns)
        grid.move_to(2, [c.id for c in grid.model.columns].index("note"))
        row = grid.cursor_row_id
        assert row is not None
        await pilot.press("f2", "ctrl+u", *"marked", "enter")
        await settle(pilot)
        assert grid.model.marks(row, "note") == frozenset({"unsynced"})
        # and it is the facade's view too, read again from the store
        await pilot.press("f5")
        await settle(pilot)
        grid = screen.grid
        assert grid is not None and grid.model.marks(row, "note") == frozenset({"unsynced"})
        assert grid.model.marks(rows[0], "note") == frozenset()
