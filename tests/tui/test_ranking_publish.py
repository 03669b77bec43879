"""The ranking screen once a period is published, under Pilot: it says live or published and
`v` switches, every number that moved is marked, the explanation of a moved number gives the
old and new value and the late edits behind it, `P` publishes with a note, `e` exports; the
history marks late edits and the home screen says what the last sync brought."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, Static

from tests.sync.example_homes import PROGRAM, build_example, copy_home, late_fix
from tests.tui.test_ranking_screen import ranking_app, settle, shown_rows
from vledger.sync.services.brought import Brought, Flow, Move
from vledger.sync.services.office import Office
from vledger.tui.screens.explain import ExplainScreen
from vledger.tui.screens.history import history_rows
from vledger.tui.screens.ranking import RankingScreen


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("example") / "home"
    build_example(home)
    return home


@pytest.fixture
def office(template: Path, tmp_path: Path) -> Iterator[Office]:
    opened = Office.open(copy_home(template, tmp_path / "home"))
    opened.publications.publish(PROGRAM, "Q1", "全镇大会")
    late_fix(opened)
    yield opened
    opened.close()


def title(screen: RankingScreen) -> str:
    """The title and the line under it that says which sheet is shown."""
    return " ".join(str(screen.query_one(f"#ranking-{part}", Static).render())
                    for part in ("title", "view"))


async def test_live_and_published_sheets_and_the_moved_numbers(office: Office) -> None:
    async with ranking_app(office).run_test(size=(120, 40)) as pilot:
        screen = pilot.app.screen
        assert isinstance(screen, RankingScreen)
        assert "实时" in title(screen) and "已通报第 1 版" in title(screen)
        assert screen.model.row_ids()[0] == "v04"  # live: the late edit moved v04 up
        assert screen.model.marks("v04", "total") == {"moved"}
        assert screen.model.marks("v04", "rank") == {"moved"}
        assert screen.model.marks("v04", "publicity") == frozenset()  # did not move
        await pilot.press("v")
        await pilot.pause()
        assert screen.showing_published and "通报第 1 版" in title(screen)
        rows = shown_rows(screen)
        assert screen.model.row_ids()[0] == "v03"
        assert (rows[0]["rank"], rows[0]["total"]) == ("1", "91.00")
        assert rows[-1]["total"] == "80.00"  # v04 as it was announced
        await pilot.press("v")
        await pilot.pause()
        assert not screen.showing_published


async def test_the_explanation_of_a_moved_number_says_why(office: Office) -> None:
    async with ranking_app(office).run_test(size=(120, 40)) as pilot:
        screen = pilot.app.screen
        assert isinstance(screen, RankingScreen)
        screen.grid.move_to_row_id("v04", "total")
        await pilot.press("enter")
        await pilot.pause()
        panel = pilot.app.screen
        assert isinstance(panel, ExplainScreen)
        notes = "\n".join(panel.notes)
        assert "通报时 80.00" in notes
        assert "迟于通报的修改（2 条）" in notes
        assert notes.count("fixed") == 2


async def test_the_published_sheet_is_explained_as_it_was(office: Office) -> None:
    async with ranking_app(office).run_test(size=(120, 40)) as pilot:
        screen = pilot.app.screen
        assert isinstance(screen, RankingScreen)
        await pilot.press("v")
        screen.grid.move_to_row_id("v04", "total")
        await pilot.press("enter")
        await settle(pilot)
        panel = pilot.app.screen
        assert isinstance(panel, ExplainScreen)
        assert panel.sheet.row("v04").rank == 4  # computed from the recorded heads
        assert "按当时的数据重新计算" in panel.notes[0]


async def test_publish_with_a_note_and_export_from_the_screen(
    office: Office, tmp_path: Path,
) -> None:
    async with ranking_app(office).run_test(size=(120, 40)) as pilot:
        screen = pilot.app.screen
        assert isinstance(screen, RankingScreen)
        await pilot.press("P")
        await pilot.pause()
        await pilot.press(*"note 2", "enter")
        await settle(pilot)
        latest = office.publications.latest(PROGRAM, "Q1")
        assert (latest.version, latest.note) == (2, "note 2")
        assert screen.model.moved == set() and "第 2 版" in title(screen)
        await pilot.press("e")
        await pilot.pause()
        box = pilot.app.screen.query_one("#prompt-input", Input)
        target = tmp_path / "out.html"
        box.value = str(target)
        await pilot.press("enter")
        await settle(pilot)
        assert target.exists() and "第一阶段" in target.read_text(encoding="utf-8")


def test_the_history_marks_late_edits(office: Office) -> None:
    records: list[dict[str, Any]] = office.history.edits()
    rows = dict(history_rows(records, "zh"))
    late = [r["id"] for r in records if r["late"]]
    assert late and all(rows[i]["late"] == "迟于通报" for i in late)
    assert all(rows[r["id"]]["late"] == "" for r in records if not r["late"])


async def test_the_home_screen_says_what_the_last_sync_brought(office: Office) -> None:
    from tests.tui.test_ranking_screen import ScreenApp
    from vledger.tui.screens.home import HomeScreen

    brought = Brought("t1", 5, (), (Flow(PROGRAM, "v02", 3, 0),),
                      (Move(PROGRAM, "Q1", "v02", 3, 1),))
    app = ScreenApp(lambda: HomeScreen(office, "en"))
    app.last_brought = brought  # type: ignore[attr-defined]
    async with app.run_test(size=(100, 30)) as pilot:
        text = str(pilot.app.screen.query_one("#home-brought", Static).render())
        assert "v02: 3 rows added" in text and "v02 3 → 1" in text
