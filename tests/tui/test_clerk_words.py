"""What a Chinese-speaking clerk reads around the screens: the palette's own words, the
Ctrl+C hint, a language switch that the next start remembers, and a village's look at
the township's sheets."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual.command import CommandList, CommandPalette
from textual.widgets import Input, Static
from ui_helpers import SAFETY, SIZE, choose_program, make_app, settle

from tests.sync.homes import create_village_home
from vledger.sync.services.office import Office, remembered_lang
from vledger.tui.screens.sheets import SheetsScreen


async def test_the_palette_speaks_chinese(demo_home: Path) -> None:
    app = make_app(demo_home, "zh")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        palette = app.screen
        assert isinstance(palette, CommandPalette)
        field = palette.query_one(Input)
        assert field.placeholder == "输入命令名称查找（中文或英文）…"
        field.value = "zzqqxxjj"
        prompts: list[str] = []
        for _ in range(60):  # "no matches" shows after half a second without any
            await asyncio.sleep(0.05)
            await pilot.pause()
            options = palette.query_one(CommandList)
            prompts = [str(getattr(options.get_option_at_index(i).prompt, "renderable", ""))
                       for i in range(options.option_count)]
            if len(prompts) == 1 and prompts[0]:
                break
        assert prompts == ["没有找到匹配的命令"]


async def test_ctrl_c_says_how_to_quit_in_chinese(demo_home: Path) -> None:
    app = make_app(demo_home, "zh")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+c")
        await pilot.pause()
        said = [(n.title, n.message) for n in app._notifications]
        assert ("要退出吗？", "按 ctrl+q 退出") in said, said


async def test_ctrl_l_is_remembered_for_the_next_start(demo_home: Path) -> None:
    assert remembered_lang(demo_home) is None
    app = make_app(demo_home, "zh")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert app.lang == "en"
    assert remembered_lang(demo_home) == "en"
    app = make_app(demo_home, "en")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+l")
        await settle(pilot)
    assert remembered_lang(demo_home) == "zh"


@pytest.fixture
def village_home(demo_home: Path, tmp_path: Path) -> Path:
    """Village v02 (东溪村) of the sample township, with the township's documents."""
    home = tmp_path / "v02"
    with Office.open(demo_home) as town:
        create_village_home(home, town, "v02", user="v02clerk").close()
    return home


async def test_a_village_sees_the_township_sheets_read_only(village_home: Path) -> None:
    with Office.open(village_home) as office:
        before = dict(office.sheets.inputs(SAFETY).targets)
    app = make_app(village_home, "zh")
    async with app.run_test(size=(80, 24)) as pilot:
        choose_program(app, SAFETY)
        await pilot.press("s")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SheetsScreen) and screen.grid is not None
        why = screen.query_one("#sheets-why", Static)
        assert why.display and "只读" in str(why.render())
        grid = screen.grid
        grid.move_to(1, 1)
        await pilot.press("enter", "f2", "1", "7", "enter", "a", "d")
        await settle(pilot)
        assert not grid.editing
        assert "add_row" not in {b.binding.action for b in app.screen.active_bindings.values()}
        assert app.errors == []  # nothing was tried, so nothing was refused
    with Office.open(village_home) as office:
        assert dict(office.sheets.inputs(SAFETY).targets) == before
