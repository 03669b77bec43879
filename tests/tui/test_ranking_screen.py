"""The ranking sheet screen under Pilot: the worked example through the real facade, the
drill-down compared with domain.explain.render, period and program keys, live recompute."""

from __future__ import annotations

import asyncio
import csv
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.widgets import OptionList, Static
from ui_helpers import settle as settle_app

from tests.example_data import EXAMPLES
from tests.sync.homes import create_township
from vledger.domain.explain import explain_village, render
from vledger.domain.ranking import RankingSheet
from vledger.sync.services.office import Office
from vledger.tui.screens.cell_words import ledger_row_labels
from vledger.tui.screens.explain import ExplainScreen, focus_lines
from vledger.tui.screens.ranking import RankingScreen

DATA = EXAMPLES / "safety-2026"
PROGRAM = "safety-2026"
Q1_DAY = date(2026, 3, 1)


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def build_example_home(home: Path) -> Office:
    """The worked example's township, typed in through the facade as a clerk would."""
    office = create_township(home, "示例乡", "t1", year=2026, user="clerk")
    for row in _csv(DATA / "offices.csv"):
        office.roster.add_office(row["id"], row["name"], row["area"])
    source = (EXAMPLES / "safety-2026.toml").read_text(encoding="utf-8")
    office.programs.add(source, "safety-2026.toml")
    for kind in ("targets", "entered", "manual", "adjustments"):
        office.sheets.import_csv(PROGRAM, kind, DATA / f"{kind}.csv")
    for village in ("v01", "v02", "v03", "v04"):
        ledger = office.ledgers.session(PROGRAM, village, writing=True)
        ledger.add_rows(_csv(DATA / "ledgers" / f"{village}.csv"))
    return office


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Office]:
    opened = build_example_home(tmp_path / "home")
    yield opened
    opened.close()


class ScreenApp(App[None]):
    """Hosts one screen the way the app's home screen will push it."""

    def __init__(self, make: Any) -> None:
        super().__init__()
        self.make = make

    def on_mount(self) -> None:
        self.push_screen(self.make())

    def run_test(self, *args: Any, **kwargs: Any) -> Any:
        return _settled(super().run_test(*args, **kwargs))


class _settled:
    """run_test, then wait for the screen's loading workers, so tests see the loaded data."""

    def __init__(self, context: Any) -> None:
        self.context = context

    async def __aenter__(self) -> Any:
        pilot = await self.context.__aenter__()
        await settle(pilot)
        return pilot

    async def __aexit__(self, *exc: Any) -> Any:
        return await self.context.__aexit__(*exc)


async def settle(pilot: Any) -> None:
    """Let posted messages run, finish every job and worker, and let their results show."""
    await settle_app(pilot)


def ranking_app(office: Office, lang: str = "zh", **kw: Any) -> ScreenApp:
    return ScreenApp(lambda: RankingScreen(office, lang, PROGRAM, today=lambda: Q1_DAY, **kw))


def shown_rows(screen: RankingScreen) -> list[dict[str, str]]:
    model = screen.model
    return [{c.id: model.display(r, c.id) for c in model.columns} for r in model.row_ids()]


async def test_q1_sheet_shows_the_worked_example(office: Office) -> None:
    expected = {r["village"]: r for r in _expected("Q1")["rows"]}
    async with ranking_app(office).run_test(size=(120, 40)) as pilot:
        screen = pilot.app.screen
        assert isinstance(screen, RankingScreen)
        assert screen.period == "Q1"  # today's period
        rows = shown_rows(screen)
        villages = [r for r in screen.model.row_ids()]
        assert villages == [r["village"] for r in _expected("Q1")["rows"]]
        first = rows[0]
        assert (villages[0], first["rank"], first["total"]) == ("v03", "1", "91.00")
        assert first["village"] == "梯岩村"
        for village, row in zip(villages, rows, strict=True):
            want = expected[village]
            assert row["total"] == want["total"]
            assert row["amount"] == want["amount"]
            for item, score in want["items"].items():
                assert row[item] == score
        title = str(screen.query_one("#ranking-title", Static).render())
        assert "第一阶段" in title


async def test_enter_on_fix_rate_opens_its_explanation(office: Office) -> None:
    sheet = office.ranking.sheet(PROGRAM, "Q1")
    steps = explain_village(sheet, "v01")
    # counted rows by their date and first cells, not their random ids
    labels = ledger_row_labels(office, office.programs.get(PROGRAM), "v01")
    lines = render(steps, "zh", labels)
    wanted = [lines[i] for i in focus_lines(sheet, "v01", "fix_rate", steps)]
    assert any("隐患整改率" in line and "80" in line for line in wanted)  # the threshold line
    assert not any(row_id in line for row_id in labels for line in lines)
    async with ranking_app(office).run_test(size=(120, 40)) as pilot:
        screen = pilot.app.screen
        assert isinstance(screen, RankingScreen)
        grid = screen.grid
        grid.move_to_row_id("v01", "fix_rate")
        await pilot.press("enter")
        await settle(pilot)
        panel = pilot.app.screen
        assert isinstance(panel, ExplainScreen)
        assert panel.focused_lines == wanted
        marked = [str(w.render()) for w in panel.query(".explain-line.-focus")]
        assert [m.removeprefix("▶ ") for m in marked] == wanted
        every = [str(w.render()).removeprefix("▶ ").lstrip() for w in panel.query(".explain-line")]
        assert every == lines  # the whole derivation, in render()'s order
        await pilot.press("escape")
        await pilot.pause()
        assert pilot.app.screen is screen


async def test_explanation_in_english_and_for_the_total(office: Office) -> None:
    sheet = office.ranking.sheet(PROGRAM, "Q1")
    steps = explain_village(sheet, "v03")
    lines = render(steps, "en")
    total_line = next(line for s, line in zip(steps, lines, strict=True) if s.kind == "total")
    async with ranking_app(office, "en").run_test(size=(100, 30)) as pilot:
        screen = pilot.app.screen
        assert isinstance(screen, RankingScreen)
        screen.grid.move_to_row_id("v03", "total")
        await pilot.press("enter")
        await pilot.pause()
        panel = pilot.app.screen
        assert isinstance(panel, ExplainScreen)
        assert total_line in panel.focused_lines
        assert total_line.endswith("= 91.00")


async def test_typing_a_letter_does_not_edit_and_data_keys_are_off(office: Office) -> None:
    async with ranking_app(office).run_test(size=(100, 30)) as pilot:
        screen = pilot.app.screen
        assert isinstance(screen, RankingScreen)
        before = shown_rows(screen)
        await pilot.press("x", "a", "d", "u")
        await pilot.pause()
        assert pilot.app.screen is screen
        assert not screen.grid.editing
        assert shown_rows(screen) == before
        names = {c.name for c in screen.commands()}
        assert "choose-period" in names and "explain-cell" in names
        assert "add-row" not in names and "delete-row" not in names


async def test_the_period_key_and_a_pick_in_one_burst_switch_the_sheet(office: Office) -> None:
    """`t End Enter` as a fast clerk types them: the picker takes End and Enter, the
    sheet behind it does not."""
    from test_grid_burst import burst

    async with ranking_app(office).run_test(size=(100, 30)) as pilot:
        screen = pilot.app.screen
        assert isinstance(screen, RankingScreen)
        await burst(pilot, "t", "end", "enter")  # type: ignore[arg-type]
        await settle(pilot)
        assert pilot.app.screen is screen
        assert screen.period == "year"


async def test_period_keys_switch_the_sheet(office: Office) -> None:
    year = _expected("year")
    async with ranking_app(office).run_test(size=(100, 30)) as pilot:
        screen = pilot.app.screen
        assert isinstance(screen, RankingScreen)
        await pilot.press("t")
        await pilot.pause()
        picker = pilot.app.screen.query_one(OptionList)
        ids = [picker.get_option_at_index(i).id for i in range(picker.option_count)]
        assert ids == ["Q1", "Q2", "Q3", "year"]
        picker.highlighted = ids.index("year")
        await pilot.press("enter")
        await pilot.pause()
        assert pilot.app.screen is screen
        assert screen.period == "year"
        assert [r["total"] for r in shown_rows(screen)] == [r["total"] for r in year["rows"]]
        await pilot.press("full_stop")  # next period wraps to the first
        assert screen.period == "Q1"
        await pilot.press("comma")
        assert screen.period == "year"


async def test_edits_elsewhere_recompute_the_sheet(office: Office) -> None:
    async with ranking_app(office).run_test(size=(100, 30)) as pilot:
        screen = pilot.app.screen
        assert isinstance(screen, RankingScreen)
        before = dict(zip(screen.model.row_ids(), shown_rows(screen), strict=True))
        # v04 holds a drill in Q1: two more drills raise its drills score (linear, +2 each)
        # (written on the screen's worker: the office is used by one thread at a time)
        await asyncio.wrap_future(screen.worker.submit(
            lambda o: o.ledgers.session(PROGRAM, "v04", writing=True).add_rows([
                {"date": "2026-02-02", "kind": "应急演练"},
                {"date": "2026-02-03", "kind": "应急演练"},
            ])))
        computed = screen.recomputed
        screen.look_at_store()  # what the timer runs every second
        await settle(pilot)
        assert screen.recomputed == computed + 1
        after = dict(zip(screen.model.row_ids(), shown_rows(screen), strict=True))
        fresh = office.ranking.sheet(PROGRAM, "Q1").row("v04")
        assert after["v04"]["drills"] == f"{fresh.items['drills'].score:.2f}"
        assert after["v04"]["drills"] != before["v04"]["drills"]
        screen.look_at_store()  # nothing moved: no recompute
        await settle(pilot)
        assert screen.recomputed == computed + 1
        await pilot.press("f5")
        await settle(pilot)
        assert screen.recomputed == computed + 2


async def test_a_refusal_is_shown_not_raised(office: Office, tmp_path: Path) -> None:
    class BrokenRanking:
        """The ranking of a home whose ledgers are not all here yet."""

        def sheet(self, program: str, period: str | None = None) -> RankingSheet:
            from vledger.sync.services.office import Refusal

            raise Refusal("this office does not hold the ledgers of v02")

    class Broken:
        """The office of such a home."""

        def __init__(self, real: Office) -> None:
            self.real = real
            self.store = real.store
            self.ranking = BrokenRanking()

        def __getattr__(self, name: str) -> Any:
            return getattr(self.real, name)

    app = ScreenApp(lambda: RankingScreen(Broken(office), "en", PROGRAM, "Q1"))
    async with app.run_test(size=(100, 30)) as pilot:
        box = pilot.app.screen.query_one("#ranking-error", Static)
        assert box.display
        assert "ledgers of v02" in str(box.render())


def test_focus_lines_cover_every_column(office: Office) -> None:
    sheet = office.ranking.sheet(PROGRAM, "Q1")
    steps = explain_village(sheet, "v02")
    kinds = {c: {steps[i].kind for i in focus_lines(sheet, "v02", c, steps)}
             for c in ("rank", "total", "amount", "publicity", "village")}
    assert "rank" in kinds["rank"]
    assert "total" in kinds["total"]
    assert "amount" in kinds["amount"]
    assert {"indicator", "rule"} <= kinds["publicity"]
    assert kinds["village"] == set()


def _expected(period: str) -> dict[str, Any]:
    import json

    return json.loads((DATA / f"expected-{period}.json").read_text(encoding="utf-8"))



# ---- looks (update after a deliberate change: pytest --snapshot-update) ---------------------


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_ranking_snapshot(office: Office, size: tuple[int, int], snap_compare: Any) -> None:
    assert snap_compare(ranking_app(office), terminal_size=size, press=["down", "right", "right"],
                        run_before=settle)


def example_sheet(period: str) -> RankingSheet:
    """The worked example ranked straight from the domain, with row ids fixed by CSV line
    (the facade's row ids are random, so a picture of their explanation would change)."""
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "domain" / "example_loader.py"
    spec = importlib.util.spec_from_file_location("example_loader_for_tui", path)
    assert spec is not None and spec.loader is not None
    loader = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loader)
    from vledger.domain.ranking import rank_sheet

    return rank_sheet(loader.example_program(), loader.example_villages(),
                      loader.example_measures(), loader.example_inputs(), period)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_explanation_snapshot(size: tuple[int, int], snap_compare: Any) -> None:
    sheet = example_sheet("Q1")
    app = ScreenApp(lambda: ExplainScreen(sheet, "v01", "fix_rate", "zh", "隐患整改率"))
    assert snap_compare(app, terminal_size=size)


async def test_enter_on_the_marks_column_says_what_the_marks_mean(office: Office) -> None:
    sheet = office.ranking.sheet(PROGRAM, "Q1")
    async with ranking_app(office, "en").run_test(size=(80, 24)) as pilot:
        screen = pilot.app.screen
        assert isinstance(screen, RankingScreen)
        for village in ("v03", "v04"):
            screen.grid.move_to_row_id(village, "marks")
            await pilot.press("enter")
            await settle(pilot)
            panel = pilot.app.screen
            assert isinstance(panel, ExplainScreen)
            note = str(panel.query_one("#explain-note-0", Static).render())
            row = sheet.row(village)
            if row.vetoed:
                assert note.startswith('marks column: "vetoed"')
            elif row.complete:
                assert note.startswith('marks column: "complete"')
            elif row.warnings:
                assert f'"⚠{len(row.warnings)}": {len(row.warnings)} ledger row' in note
            else:
                assert note.startswith("the marks column is empty")
            await pilot.press("escape")
            await settle(pilot)
