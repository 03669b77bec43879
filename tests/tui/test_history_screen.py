"""History, blame and conflicts screens under Pilot, over a real office: filters, blame of a
cell, and settling a conflict made by two replicas editing the same cell concurrently."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from test_ranking_screen import PROGRAM, ScreenApp, build_example_home, settle
from textual.widgets import Input, Static

from tests.sync.homes import create_village_home, village_doc_id
from vledger.sync.services.office import Office
from vledger.tui.screens.blame import BlameScreen
from vledger.tui.screens.conflicts import ConflictsScreen
from vledger.tui.screens.history import HistoryScreen


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Office]:
    opened = build_example_home(tmp_path / "township")
    yield opened
    opened.close()


def exchange(a: Office, b: Office, document: str) -> None:
    """Both replicas send each other what the other lacks, as a sync would."""
    for source, target in ((a, b), (b, a)):
        changes = source.store.changes_since(document, target.store.heads(document))
        target.store.apply_batch(document, changes, origin=source.me.office)


@pytest.fixture
def conflicted(office: Office, tmp_path: Path) -> Iterator[tuple[Office, Office, str]]:
    """The township and v01 both change the note of the same v01 row, then sync."""
    village = create_village_home(tmp_path / "v01", office, "v01", user="v01clerk")
    row = office.ledgers.session(PROGRAM, "v01").rows()[0].id
    office.ledgers.session(PROGRAM, "v01").set_cells(row, {"note": "乡镇核查：已整改"})
    village.ledgers.session(PROGRAM, None).set_cells(row, {"note": "村里：待复查"})
    exchange(office, village, village_doc_id(office, "v01"))
    yield office, village, row
    village.close()


async def test_history_lists_newest_first_and_filters(office: Office) -> None:
    row = office.ledgers.session(PROGRAM, "v02").rows()[0].id
    office.ledgers.session(PROGRAM, "v02", writing=True).set_cells(row, {"participants": "77"})
    everything = office.history.edits()
    app = ScreenApp(lambda: HistoryScreen(office, "en"))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = pilot.app.screen
        assert isinstance(screen, HistoryScreen)
        ids = list(screen.model.row_ids())
        assert ids == [r["id"] for r in everything]
        newest = screen.model.display(ids[0], "new")
        assert (newest, screen.model.display(ids[0], "village")) == ("77", "v02")
        # type a village filter and press Enter
        await pilot.press("ctrl+f")
        village_box = screen.query_one("#filter-village", Input)
        village_box.focus()
        village_box.value = "v03"
        await pilot.press("enter")
        await settle(pilot)
        shown = {screen.model.display(r, "village") for r in screen.model.row_ids()}
        assert shown == {"v03"}
        assert len(screen.model.row_ids()) == len(office.history.edits(village="v03"))
        assert screen.grid.has_focus
        await pilot.press("c")
        assert len(screen.model.row_ids()) == len(everything)


async def test_history_time_and_office_filters_and_bad_input(office: Office) -> None:
    app = ScreenApp(lambda: HistoryScreen(office, "zh", office="nobody"))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = pilot.app.screen
        assert isinstance(screen, HistoryScreen)
        assert screen.model.row_ids() == []
        assert screen.query_one("#filter-office", Input).value == "nobody"
        until = screen.query_one("#filter-until", Input)
        until.focus()
        until.value = "2000-01-01"
        screen.query_one("#filter-office", Input).value = ""
        await pilot.press("enter")
        await settle(pilot)
        assert screen.model.row_ids() == []  # every edit was made after 2000
        until.value = "not a date"
        before = list(screen.model.row_ids())
        until.focus()
        await pilot.press("enter")
        await settle(pilot)
        status = screen.query_one("#history-status", Static)
        assert status.has_class("-refused")
        assert "not a date" in str(status.render())
        assert list(screen.model.row_ids()) == before  # bad input changes nothing


async def test_enter_on_an_edit_shows_the_blame_of_its_cell(office: Office) -> None:
    row = office.ledgers.session(PROGRAM, "v01").rows()[0].id
    office.ledgers.session(PROGRAM, "v01", writing=True).set_cells(row, {"participants": "61"})
    office.ledgers.session(PROGRAM, "v01", writing=True).set_cells(row, {"participants": "62"})
    chain = office.history.blame(PROGRAM, "v01", row, "participants")
    assert [e.new for e in chain][:2] == [62, 61]
    app = ScreenApp(lambda: HistoryScreen(office, "zh", village="v01"))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = pilot.app.screen
        assert isinstance(screen, HistoryScreen)
        assert screen.model.display(screen.model.row_ids()[0], "new") == "62"
        await pilot.press("enter")
        await settle(pilot)
        blame = pilot.app.screen
        assert isinstance(blame, BlameScreen)
        assert list(blame.model.row_ids()) == [e.id for e in chain]
        title = str(blame.query_one("#blame-title", Static).render())
        assert "62" in title and str(len(chain)) in title
        await pilot.press("escape")
        await settle(pilot)
        assert pilot.app.screen is screen


async def test_history_of_one_cell_as_a_grid_asks_for_it(office: Office) -> None:
    row = office.ledgers.session(PROGRAM, "v01").rows()[0].id
    office.ledgers.session(PROGRAM, "v01", writing=True).set_cells(row, {"participants": "61"})
    office.ledgers.session(PROGRAM, "v01", writing=True).set_cells(row, {"participants": "62"})
    cell = (PROGRAM, "v01", row, "participants")
    app = ScreenApp(lambda: HistoryScreen(office, "en", program_id=PROGRAM, period="Q1",
                                          cell=cell))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = pilot.app.screen
        assert isinstance(screen, HistoryScreen)
        wanted = office.history.edits(PROGRAM, "v01", row=row, column="participants")
        assert len(wanted) >= 2 and {r["column"] for r in wanted} == {"participants"}
        assert list(screen.model.row_ids()) == [r["id"] for r in wanted]


async def test_blame_screen_opened_directly_from_a_grid_cell(office: Office) -> None:
    row = office.ledgers.session(PROGRAM, "v04").rows()[0].id
    app = ScreenApp(lambda: BlameScreen(office, "en", PROGRAM, "v04", row, "kind"))
    async with app.run_test(size=(80, 24)) as pilot:
        blame = pilot.app.screen
        assert isinstance(blame, BlameScreen)
        chain = office.history.blame(PROGRAM, "v04", row, "kind")
        assert len(chain) == 1 and list(blame.model.row_ids()) == [chain[0].id]
        assert blame.model.display(chain[0].id, "op") == "add"


async def test_conflict_is_listed_and_settled_with_one_key(
    conflicted: tuple[Office, Office, str],
) -> None:
    office, _village, row = conflicted
    [conflict] = office.history.conflicts()
    assert conflict.row == row and conflict.column == "note"
    app = ScreenApp(lambda: ConflictsScreen(office, "zh"))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = pilot.app.screen
        assert isinstance(screen, ConflictsScreen)
        rows = list(screen.model.row_ids())
        assert len(rows) == 2
        shown = {screen.model.display(r, "value"): screen.model.display(r, "office")
                 for r in rows}
        assert shown == {"乡镇核查：已整改": "t1", "村里：待复查": "v01"}
        keep = next(r for r in rows if screen.model.display(r, "office") == "v01")
        screen.grid.move_to_row_id(keep)
        await pilot.press("enter")  # keep the village's value
        await settle(pilot)
        assert screen.model.row_ids() == []
        assert "已解决" in str(screen.query_one("#conflicts-status", Static).render())
    assert office.history.conflicts() == []
    assert office.history.current_value(conflict.cell) == "村里：待复查"


async def test_a_refused_settle_is_shown(conflicted: tuple[Office, Office, str]) -> None:
    _office, village, _row = conflicted
    # v01 may settle its own ledger, but not with an edit that is not one of the values
    app = ScreenApp(lambda: ConflictsScreen(village, "en"))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = pilot.app.screen
        assert isinstance(screen, ConflictsScreen)
        [first, *_] = screen.model.row_ids()
        conflict_id = first.split("/")[0]
        screen.keep(f"{conflict_id}/no-such-edit")
        await settle(pilot)
        status = screen.query_one("#conflicts-status", Static)
        assert status.has_class("-refused")
        assert len(village.history.conflicts()) == 1


# ---- looks, on hand-made journal entries (times and ids fixed) ----------------------------


class FixedHistory:
    """A history service whose journal is fixed, so pictures of the history screens never
    change."""

    def __init__(self) -> None:
        from vledger.domain.history import History, JournalEntry

        def entry(i: str, at: str, office: str, new: object, prev: str | None,
                  op: str = "set", column: str = "note", old: object = None) -> JournalEntry:
            return JournalEntry(i, at, office, "dev1", "clerk", op, PROGRAM, "v01", "r1",
                                column, old, new, prev)

        self.journal = History([
            entry("e1", "2026-03-01T09:00:00+08:00", "v01", "春节安全宣传", None, op="add"),
            entry("e2", "2026-03-02T10:30:00+08:00", "t1", "乡镇核查：已整改", "e1",
                  old="春节安全宣传"),
            entry("e3", "2026-03-02T11:15:00+08:00", "v01", "村里：待复查", "e1",
                  old="春节安全宣传"),
            entry("e4", "2026-03-03T08:00:00+08:00", "v01", 45, None, op="add",
                  column="participants"),
            entry("e5", "2026-03-04T16:20:00+08:00", "t1", True, None, op="delete",
                  column="deleted", old=False),
        ])

    def edits(self, **filters: Any) -> list[dict[str, Any]]:
        chosen = self.journal.listing(**{k: v for k, v in filters.items() if v is not None})
        return [self.journal.edit_record(e) for e in chosen]


class JournalOffice:
    """An office with nothing but that history (and the little the screens' worker reads:
    who it is, no programs, a store that never moves)."""

    def __init__(self) -> None:
        self.history = FixedHistory()
        self.me = SimpleNamespace(township="t1", office="t1", is_township=True, home=Path("."),
                                  year=2026)
        self.roster = SimpleNamespace(whoami=lambda: None, villages=lambda year=None: [])
        self.programs = SimpleNamespace(all=lambda: [], years=lambda: [])
        self.sync = SimpleNamespace(data_version=lambda: "0", versions=lambda: {})


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_history_snapshot(size: tuple[int, int], snap_compare: Any) -> None:
    app = ScreenApp(lambda: HistoryScreen(JournalOffice(), "zh"))
    assert snap_compare(app, terminal_size=size, press=["j"], run_before=settle)
