"""What a Chinese-speaking clerk reads around the screens: the palette's own words, the
Ctrl+C hint, and a language switch that the next start remembers."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.command import CommandList, CommandPalette
from textual.widgets import Input
from ui_helpers import SIZE, make_app, settle

from vledger.sync.services.office import remembered_lang


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
