"""The home screen with two years held: this year's programs first, the other years one
key away (`o`), and the palette finds a program of another year and opens its ledger."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import OptionList
from ui_helpers import SIZE, make_app, palette_prompts

from vledger.fixtures.township import program_paths
from vledger.sync.services.office import Office
from vledger.tui.screens.home import HomeScreen
from vledger.tui.screens.ledger import LedgerScreen

NEXT = "safety-2027"


def add_next_year(home: Path) -> None:
    source = next(p for p in program_paths() if p.stem == "safety-2026")
    with Office.open(home) as office:
        office.programs.add(source.read_text(encoding="utf-8").replace("2026", "2027"),
                            f"{NEXT}.toml")


def listed(screen: HomeScreen) -> list[tuple[str | None, str]]:
    options = screen.query_one("#home-programs", OptionList)
    return [(options.get_option_at_index(i).id, str(options.get_option_at_index(i).prompt))
            for i in range(options.option_count)]


async def test_home_shows_this_year_first_and_other_years_one_key_away(demo_home: Path) -> None:
    with Office.open(demo_home) as office:
        this_year = office.programs.ids()
    add_next_year(demo_home)
    app = make_app(demo_home, "en")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, HomeScreen)
        shown = listed(screen)
        assert [i for i, _ in shown if i] == this_year  # 2027 not listed, only named
        assert shown[-1] == (None, "other years: 2027 (o shows them)")
        await pilot.press("o")
        await pilot.pause()
        shown = listed(screen)
        assert [i for i, _ in shown if i] == [*this_year, NEXT]
        assert (None, "── 2027 ──") in shown
        options = screen.query_one("#home-programs", OptionList)
        options.highlighted = options.get_option_index(NEXT)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, LedgerScreen) and app.screen.program_id == NEXT
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("o")  # and back to this year only
        await pilot.pause()
        assert [i for i, _ in listed(app.screen) if i] == this_year  # type: ignore[arg-type]
        assert app.errors == []


async def test_the_palette_finds_a_program_of_another_year(demo_home: Path) -> None:
    add_next_year(demo_home)
    app = make_app(demo_home, "en")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        prompts = await palette_prompts(pilot, "2027")
        assert any("(2027)" in p for p in prompts), prompts
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, LedgerScreen) and app.screen.program_id == NEXT
        assert app.errors == []
