"""The app: palette in both languages, F1 help, language switch, quit, the error handler
(refusals shown, bugs not swallowed), and that every binding has an id and a description."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Static
from ui_helpers import SIZE, make_app, open_ledger, palette_prompts

from vledger.errors import VledgerError
from vledger.messages import Message
from vledger.tui.app import SCREENS
from vledger.tui.commands import APP_COMMANDS
from vledger.tui.screens.help import HelpScreen
from vledger.tui.screens.home import HomeScreen
from vledger.tui.screens.ledger import LedgerScreen


async def test_palette_finds_the_ranking_sheet_by_chinese_or_english(demo_home: Path) -> None:
    for lang in ("zh", "en"):
        for query in ("排名", "ranking"):
            app = make_app(demo_home, lang)
            async with app.run_test(size=SIZE) as pilot:
                prompts = await palette_prompts(pilot, query)
                title = "排名" if lang == "zh" else "ranking"
                assert prompts and title in prompts[0].lower(), (lang, query, prompts)
                await pilot.press("enter")
                await pilot.pause()
                assert type(app.screen).__name__ == "RankingScreen"
                assert app.errors == []


async def test_palette_finds_the_ledger_and_opens_it(demo_home: Path) -> None:
    for query in ("台账", "ledger"):
        app = make_app(demo_home, "zh")
        async with app.run_test(size=SIZE) as pilot:
            prompts = await palette_prompts(pilot, query)
            assert prompts and "台账" in prompts[0], prompts
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, LedgerScreen)
            assert app.errors == []


async def test_palette_offers_the_grid_commands_of_the_screen_on_top(demo_home: Path) -> None:
    app = make_app(demo_home, "en")
    async with app.run_test(size=SIZE) as pilot:
        await open_ledger(pilot)
        prompts = await palette_prompts(pilot, "sort")
        assert any("sort asc" in p for p in prompts), prompts
        await pilot.press("escape")
        await pilot.press("escape")  # back home: no grid, no grid commands
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        prompts = await palette_prompts(pilot, "sort asc")
        assert not any("sort asc" in p for p in prompts), prompts


async def test_f1_lists_every_key_of_the_screen_and_the_grid(demo_home: Path) -> None:
    app = make_app(demo_home, "en")
    async with app.run_test(size=SIZE) as pilot:
        await open_ledger(pilot)
        ledger = app.screen
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = app.screen.text()
        for command in (*ledger.SCREEN_COMMANDS, *APP_COMMANDS):  # type: ignore[attr-defined]
            assert command.help("en") in text, command.name
        for help_line in ("Add a row", "Undo the last change", "Cancel the edit"):
            assert help_line in text
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is ledger


async def test_language_switch_relabels_screen_footer_and_grid(demo_home: Path) -> None:
    app = make_app(demo_home, "zh")
    async with app.run_test(size=SIZE) as pilot:
        await open_ledger(pilot)
        title = app.screen.query_one("#ledger-title", Static)
        assert "台账" in str(title.render())
        grid = app.screen.grid  # type: ignore[attr-defined]
        assert grid.lang == "zh"
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert app.lang == "en"
        assert "Ledger" in str(title.render())
        assert grid.lang == "en"
        shown = {b.binding.description for b in app.screen.active_bindings.values()}
        assert {"add row", "undo", "back", "quit"} <= shown
        await pilot.press("escape")  # the home screen under it switched too
        await pilot.pause()
        assert "Office" in str(app.screen.query_one("#home-office", Static).render())
        prompts = await palette_prompts(pilot, "语言")  # the palette command does it as well
        await pilot.press("enter")
        await pilot.pause()
        assert app.lang == "zh", prompts


async def test_ctrl_q_quits_with_exit_code_0_from_any_screen(demo_home: Path) -> None:
    for keys in ((), ("enter",), ("s",), ("enter", "f1")):
        app = make_app(demo_home, "zh")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.press(*keys)
            await pilot.pause()
            await pilot.press("ctrl+q")
            await pilot.pause()
        assert app.return_code == 0, keys


async def test_every_binding_has_an_id_and_a_description(demo_home: Path) -> None:
    """Ours, that is: the app's, the screens', the grid's and the cell editor's."""
    app = make_app(demo_home, "en")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for name in ("home", "ledger", "sheets"):
            app.open_screen(name)
            await pilot.pause()
            for key, active in app.screen.active_bindings.items():
                binding = active.binding
                if not type(active.node).__module__.startswith("vledger.tui."):
                    continue  # Textual's own widgets (the program list's arrows)
                assert binding.id, (name, key, binding)
                assert binding.description, (name, key, binding)


async def test_a_refusal_is_shown_not_a_crash(demo_home: Path) -> None:
    app = make_app(demo_home, "en")
    async with app.run_test(size=SIZE) as pilot:
        await open_ledger(pilot)

        def broken() -> None:
            raise VledgerError("disk on fire")

        app.screen.action_reload = broken  # type: ignore[method-assign]
        await pilot.press("f5")
        await pilot.pause()
        assert [str(e) for e in app.errors] == ["disk on fire"]
        assert any("disk on fire" in str(n.message) for n in app._notifications)
        await pilot.press("ctrl+q")
    assert app.return_code == 0


async def test_a_refusal_from_the_catalogue_is_shown_in_the_clerk_s_language(
    demo_home: Path,
) -> None:
    app = make_app(demo_home, "zh")
    async with app.run_test(size=SIZE) as pilot:
        await open_ledger(pilot)

        def refused() -> None:
            raise VledgerError(Message("ui.grid.computed"))

        app.screen.action_reload = refused  # type: ignore[method-assign]
        await pilot.press("f5")
        await pilot.pause()
        assert [str(e) for e in app.errors] == ["this sheet is computed and cannot be edited"]
        assert any(str(n.message) == "此表为计算结果，不能编辑" for n in app._notifications)
        await pilot.press("ctrl+q")
    assert app.return_code == 0


async def test_a_bug_in_a_key_s_action_fails_loudly(demo_home: Path) -> None:
    """Only a VledgerError is the clerk's to read; anything else is a bug, and a bug
    swallowed into a toast would pass every test."""
    app = make_app(demo_home, "en")
    with pytest.raises(RuntimeError, match="disk on fire"):
        async with app.run_test(size=SIZE) as pilot:
            await open_ledger(pilot)

            def broken() -> None:
                raise RuntimeError("disk on fire")

            app.screen.action_reload = broken  # type: ignore[method-assign]
            await pilot.press("f5")
            await pilot.pause()
    assert app.errors == []


async def test_a_bug_in_a_worker_fails_loudly(demo_home: Path) -> None:
    app = make_app(demo_home, "en")

    async def broken() -> None:
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError, match="disk on fire"):
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            app.run_worker(broken, exit_on_error=False)
            await pilot.pause()
            await pilot.pause()
    assert app.errors == []


async def test_a_refusal_in_a_worker_is_shown(demo_home: Path) -> None:
    app = make_app(demo_home, "en")

    async def refused() -> None:
        raise VledgerError("no such ledger here")

    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.run_worker(refused, exit_on_error=False)
        await pilot.pause()
        await pilot.pause()
        assert [str(e) for e in app.errors] == ["no such ledger here"]
        await pilot.press("ctrl+q")
    assert app.return_code == 0


async def test_a_screen_not_written_yet_is_reported_not_a_crash(demo_home: Path) -> None:
    app = make_app(demo_home, "en")
    SCREENS["missing"] = SCREENS["sync"].__class__(
        "missing", "vledger.tui.screen_missing", "MissingScreen", "cmd.screen.sync")
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            app.open_screen("missing")
            await pilot.pause()
            assert isinstance(app.screen, HomeScreen)
            assert any("not available yet" in str(n.message) for n in app._notifications)
    finally:
        del SCREENS["missing"]
