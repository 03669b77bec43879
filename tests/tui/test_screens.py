"""First run and home: start a township, join with an invitation, the home's facts and keys."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Static
from ui_helpers import SIZE, make_app

from vledger.sync.services.office import Office
from vledger.tui.screens.first_run import FirstRunScreen
from vledger.tui.screens.home import HomeScreen
from vledger.tui.screens.ledger import LedgerScreen
from vledger.tui.screens.sheets import SheetsScreen


async def test_first_run_starts_a_township(tmp_path: Path) -> None:
    home = tmp_path / "new"
    app = make_app(home, "zh")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, FirstRunScreen)
        await pilot.press("enter")  # "start a township" is the first choice
        await pilot.pause()
        name = app.screen.query_one("#first-name", Input)
        assert name.has_focus
        await pilot.press("enter")  # no name: refused, nothing made
        await pilot.pause()
        assert "请输入" in str(app.screen.query_one("#first-message", Static).render())
        assert not Office.exists(home)
        name.value = "白沙镇"
        await pilot.press("enter")
        for _ in range(40):
            await pilot.pause(0.05)
            if isinstance(app.screen, HomeScreen):
                break
        assert isinstance(app.screen, HomeScreen)
        assert str(app.screen.query_one("#home-township", Static).render()) == "白沙镇"
        assert app.errors == []
    with Office.open(home) as office:
        assert office.roster.whoami().township_name == "白沙镇"
        assert office.me.is_township


async def test_first_run_joins_with_an_invitation_file(tmp_path: Path) -> None:
    from vledger.sync.services.homes import init_township

    with init_township(tmp_path / "town", "青石乡", "qs", year=2026) as township:
        township.roster.add_office("v01", "东坪村", "北片")
        invitation = township.devices.invite("v01", tmp_path / "v01.invite")
    home = tmp_path / "new"
    app = make_app(home, "en")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("down", "enter")  # "join with an invitation file"
        await pilot.pause()
        field = app.screen.query_one("#first-name", Input)
        assert field.has_focus
        field.value = str(tmp_path / "missing.invite")
        await pilot.press("enter")
        await pilot.pause()
        assert "No invitation file" in str(app.screen.query_one("#first-message", Static).render())
        assert not Office.exists(home)
        field.value = str(invitation)
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
    with Office.open(home) as village:
        me = village.roster.whoami()
        assert (me.office, me.kind, me.township) == ("v01", "village", "qs")
    assert (tmp_path / "v01.invite.reply").is_file()


async def test_home_shows_township_office_programs_periods_and_conflicts(
    demo_home: Path,
) -> None:
    with Office.open(demo_home) as office:  # what the CLI would say (history --json)
        mine = sum(1 for r in office.history.edits() if r["device"] == office.me.device)
    app = make_app(demo_home, "en")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, HomeScreen)
        assert str(screen.query_one("#home-township", Static).render()) == "青石乡"
        office_line = str(screen.query_one("#home-office", Static).render())
        assert "qingshi" in office_line and "2026" in office_line
        await app.workers.wait_for_complete()
        await pilot.pause()
        sync_line = str(screen.query_one("#home-sync", Static).render())
        conflicts_line = str(screen.query_one("#home-conflicts", Static).render())
        # never synced: every edit made here is one no peer holds, so no count is shown
        assert sync_line == "Sync: never synced" and mine > 0
        assert conflicts_line == "Open conflicts: 0"
        from textual.widgets import OptionList

        options = screen.query_one("#home-programs", OptionList)
        prompts = [str(options.get_option_at_index(i).prompt)
                   for i in range(options.option_count)]
        # On 2026-05-15: benefits in H1, hazard in the flood season, safety in its second
        # period; health has no periods, so the whole year.
        periods = [p.split("  ·  ")[1] for p in prompts]
        assert periods == ["上半年", "主汛期（5—9月）", "2026", "第二阶段（5—8月）"], prompts


async def test_home_keys_open_ledger_and_sheets_and_escape_returns(demo_home: Path) -> None:
    app = make_app(demo_home, "zh")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("l")
        await pilot.pause()
        assert isinstance(app.screen, LedgerScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, SheetsScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert len(app.screen_stack) == 2
        assert app.errors == []
