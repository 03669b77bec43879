"""History, blame and conflicts screens under Pilot, over a real office: filters, blame of a
cell, and settling a conflict made by two replicas editing the same cell concurrently."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from test_ranking_screen import PROGRAM, ScreenApp, build_example_home, settle
from textual.geometry import Region
from textual.widgets import Input, Static

from tests.sync.homes import create_village_home, village_doc_id
from vledger.sync.services.office import Office
from vledger.tui.grid.layout import total_width
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
        assert (newest, screen.model.display(ids[0], "village")) == ("77", "柳津村")
        # type a village filter and press Enter
        await pilot.press("ctrl+f")
        village_box = screen.query_one("#filter-village", Input)
        village_box.focus()
        village_box.value = "v03"
        await pilot.press("enter")
        await settle(pilot)
        shown = {screen.model.display(r, "village") for r in screen.model.row_ids()}
        assert shown == {"梯岩村"}
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
        # an office nobody is called: said so, in the screen's language
        assert "单位：没有“nobody”" in str(screen.query_one("#history-status", Static).render())
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


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_history_is_filtered_by_a_villages_name(office: Office, lang: str) -> None:
    app = ScreenApp(lambda: HistoryScreen(office, lang))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = pilot.app.screen
        assert isinstance(screen, HistoryScreen)
        await settle(pilot)
        status = screen.query_one("#history-status", Static)
        village_box = screen.query_one("#filter-village", Input)
        village_box.focus()
        village_box.value = "柳津村"  # v02's name
        await pilot.press("enter")
        await settle(pilot)
        assert not status.has_class("-refused"), str(status.render())
        assert len(screen.model.row_ids()) == len(office.history.edits(village="v02")) > 0
        assert {screen.model.display(r, "village") for r in screen.model.row_ids()} == {"柳津村"}
        village_box.focus()
        village_box.value = "无此村"
        await pilot.press("enter")
        await settle(pilot)
        assert status.has_class("-refused")
        said = str(status.render())
        assert ("没有“无此村”" in said) if lang == "zh" else ("nothing called '无此村'" in said)


async def test_history_names_every_part_and_shows_old_and_new_at_80_columns(
    office: Office,
) -> None:
    row = office.ledgers.session(PROGRAM, "v02").rows()[0].id
    office.ledgers.session(PROGRAM, "v02", writing=True).set_cells(row, {"participants": "77"})
    indicator = office.programs.get(PROGRAM).indicators[0]
    office.sheets.set_target(PROGRAM, "v01", indicator.id, "9")
    app = ScreenApp(lambda: HistoryScreen(office, "zh"))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = pilot.app.screen
        assert isinstance(screen, HistoryScreen)
        await settle(pilot)
        target, edit = screen.model.row_ids()[:2]
        shown = {c.id: screen.model.display(target, c.id) for c in screen.model.columns}
        assert shown["op"] == "目标" and shown["village"] == "东坪村"
        assert shown["row"] == f"目标任务 · {indicator.title}" and shown["new"] == "9"
        assert shown["program"] == "2026年安全生产目标考核"
        shown = {c.id: screen.model.display(edit, c.id) for c in screen.model.columns}
        assert (shown["column"], shown["new"]) == ("参加人数", "77")
        assert shown["office"] == "示例乡 clerk"
        # when, where, old and new fit 80 columns; the line above says the edit whole
        widths = screen.grid.widths
        ids = [c.id for c in screen.model.columns]
        assert total_width(widths[:ids.index("new") + 1]) <= 78
        said = str(screen.query_one("#history-edit", Static).render())
        assert "目标任务" in said and "→ 9（示例乡 clerk" in said


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
        shown = {screen.model.display(r, "value"): screen.model.display(r, "who")
                 for r in rows}
        assert shown == {"乡镇核查：已整改": "示例乡 clerk", "村里：待复查": "东坪村 v01clerk"}
        keep = next(r for r in rows if screen.model.display(r, "who").startswith("东坪村"))
        screen.grid.move_to_row_id(keep)
        await pilot.press("enter")  # keep the village's value
        await settle(pilot)
        assert screen.model.row_ids() == []
        said = str(screen.query_one("#conflicts-status", Static).render())
        assert "已解决：东坪村 备注 保留 村里：待复查" in said
        # Enter kept a value: nothing here is edited, so the grid does not say it cannot be
        assert "不可编辑" not in str(screen.grid.status.render())
    assert office.history.conflicts() == []
    assert office.history.current_value(conflict.cell) == "村里：待复查"


async def test_a_conflict_reads_in_names_at_80_columns(
    conflicted: tuple[Office, Office, str],
) -> None:
    office, _village, row = conflicted
    stored = office.ledgers.session(PROGRAM, "v01").row(row)
    assert stored is not None
    date, kind = str(stored.cells["date"]), str(stored.cells["kind"])
    app = ScreenApp(lambda: ConflictsScreen(office, "zh"))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = pilot.app.screen
        assert isinstance(screen, ConflictsScreen)
        await settle(pilot)
        cell = str(screen.query_one("#conflicts-cell", Static).render())
        # where: the village's name, the program's title, the row by its date and first
        # cells, the column's title; each value whole, with the office's name, who, when
        assert "东坪村 · 2026年安全生产目标考核" in cell
        assert f"行：{date} {kind}" in cell and "列：备注" in cell
        [conflict] = office.history.conflicts()  # which value shows is automerge's pick
        town, mine = ("●", "○") if conflict.shown == "乡镇核查：已整改" else ("○", "●")
        assert f"{town} 乡镇核查：已整改　示例乡 clerk　" in cell
        assert f"{mine} 村里：待复查　东坪村 v01clerk　" in cell
        for row_id in screen.model.row_ids():
            assert screen.model.display(row_id, "where") == "东坪村 备注"
        # the cell, value, shown mark, who and when fit on an 80-column screen
        assert total_width(screen.grid.widths[:5]) <= 80
        lines = [line.text for line in screen.grid.body.render_lines(Region(0, 0, 80, 3))]
        assert "村里：待复查" in "".join(lines) and "东坪村 v01" in "".join(lines)


async def test_ctrl_b_on_a_conflicted_cell_shows_the_chain_of_every_value(
    conflicted: tuple[Office, Office, str],
) -> None:
    office, _village, row = conflicted
    [conflict] = office.history.conflicts()
    app = ScreenApp(lambda: BlameScreen(office, "en", PROGRAM, "v01", row, "note"))
    async with app.run_test(size=(80, 24)) as pilot:
        blame = pilot.app.screen
        assert isinstance(blame, BlameScreen)
        await settle(pilot)
        assert len(blame.chains) == 2
        shown = set(blame.model.row_ids())
        assert {v.edit for v in conflict.values} <= shown  # both offices' edits
        marks = {blame.model.display(v.edit, "branch") for v in conflict.values}
        assert marks == {"①", "②"}
        title = str(blame.query_one("#blame-title", Static).render())
        shown, other = sorted({"乡镇核查：已整改", "村里：待复查"},
                              key=lambda value: value != conflict.shown)
        assert f"① {shown}" in title and f"② {other}" in title  # the shown value's first
        # the edit under the cursor, whole: the list cuts long values at 80 columns
        edit = str(blame.query_one("#blame-edit", Static).render())
        assert f"→ {shown} (" in edit
        assert "东坪村" in title and "备注" in title


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
        from vledger.sync.services.office import Refusal

        def no_program(program_id: str) -> Any:
            raise Refusal(f"no program {program_id}")

        self.me = SimpleNamespace(township="t1", office="t1", is_township=True, home=Path("."),
                                  year=2026)
        who = SimpleNamespace(township="t1", township_name="示例乡", office="t1",
                              office_name="示例乡")
        villages = [SimpleNamespace(id="v01", name="东坪村", area="")]
        self.roster = SimpleNamespace(whoami=lambda: who,
                                      villages=lambda year=None: villages)
        self.programs = SimpleNamespace(all=lambda: [], years=lambda: [], get=no_program)
        self.sync = SimpleNamespace(data_version=lambda: "0", versions=lambda: {})


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_history_snapshot(size: tuple[int, int], snap_compare: Any) -> None:
    app = ScreenApp(lambda: HistoryScreen(JournalOffice(), "zh"))
    assert snap_compare(app, terminal_size=size, press=["j"], run_before=settle)
