"""The sync screen under Pilot: sync now with a real server over TCP, bundles out and in,
and failures shown on screen with the home unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from test_ranking_screen import DATA, EXAMPLES, PROGRAM, ScreenApp, _csv
from textual.pilot import Pilot
from textual.widgets import Input, Static
from ui_helpers import settle

from vledger.sync.link.bundle import export_bundle
from vledger.sync.link.transport import Server
from vledger.sync.services.homes import init_township, join
from vledger.sync.services.office import Office
from vledger.tui.screens.sync import SyncScreen


@pytest.fixture
def township(tmp_path: Path) -> Iterator[Office]:
    """The worked example's township, made with keys (changes are signed and checked)."""
    opened = init_township(tmp_path / "township", "示例乡", "t1", year=2026, user="clerk")
    for row in _csv(DATA / "offices.csv"):
        opened.roster.add_office(row["id"], row["name"], row["area"])
    opened.programs.add((EXAMPLES / "safety-2026.toml").read_text(encoding="utf-8"),
                           "safety-2026.toml")
    for village in ("v01", "v02"):
        ledger = opened.ledgers.session(PROGRAM, village, writing=True)
        ledger.add_rows(_csv(DATA / "ledgers" / f"{village}.csv"))
    yield opened
    opened.close()


def join_village(township: Office, tmp_path: Path, village: str = "v01",
                 address: str | None = None) -> Office:
    """`village` joined with an invitation (naming where the township serves, when
    `address`), its device enrolled by the township."""
    invitation = township.devices.invite(village, tmp_path / f"{village}.invite", address)
    office, reply = join(tmp_path / village, invitation, user=f"{village}-clerk")
    township.devices.enroll(reply)
    return office


def status_of(screen: SyncScreen) -> Static:
    return screen.query_one("#sync-status", Static)


async def wait_idle(pilot: Pilot[None], screen: SyncScreen) -> None:
    """Until the screen's worker has finished and shown its result (a busy machine is slow)."""
    for _ in range(400):
        await pilot.pause(0.025)
        await pilot.app.workers.wait_for_complete()
        if not screen.busy and str(status_of(screen).render()):
            break
    await pilot.pause()


async def test_sync_now_sends_the_townships_edit_to_a_village_server(
    township: Office, tmp_path: Path
) -> None:
    village_home = tmp_path / "v01"
    join_village(township, tmp_path).close()
    row = township.ledgers.session(PROGRAM, "v01").rows()[0].id
    township.ledgers.session(PROGRAM, "v01", writing=True).set_cells(row, {"note": "乡镇核查"})
    server = Server(village_home)
    host, port = await server.start("127.0.0.1", 0)
    try:
        app = ScreenApp(lambda: SyncScreen(township, "en"))
        async with app.run_test(size=(100, 30)) as pilot:
            screen = pilot.app.screen
            assert isinstance(screen, SyncScreen)
            screen.query_one("#sync-address", Input).value = f"{host}:{port}"
            await pilot.press("s")
            await wait_idle(pilot, screen)
            text = str(status_of(screen).render())
            assert "synced with 东坪村" in text and not status_of(screen).has_class("-refused")
            [address] = screen.model.row_ids()
            assert screen.model.display(address, "office") == "东坪村"
            assert screen.model.display(address, "state") == "in step"
            sent, received = screen.model.display(address, "changes").split("/")
            assert int(sent) > 0 and int(received) >= 0
    finally:
        await server.stop()
    with Office.open(village_home) as village:
        assert village.ledgers.session(PROGRAM).rows()[0].cells["note"] == "乡镇核查"


async def test_unreachable_peer_is_reported(township: Office) -> None:
    app = ScreenApp(lambda: SyncScreen(township, "zh"))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = pilot.app.screen
        assert isinstance(screen, SyncScreen)
        screen.query_one("#sync-address", Input).value = "127.0.0.1:1"
        await pilot.press("s")
        await wait_idle(pilot, screen)
        assert status_of(screen).has_class("-refused")
        assert "无法与 127.0.0.1:1 同步" in str(status_of(screen).render())
        [address] = screen.model.row_ids()
        assert screen.model.display(address, "state").startswith("失败：连接被拒绝")
        screen.query_one("#sync-address", Input).value = "no port here:x"
        await pilot.press("s")
        await wait_idle(pilot, screen)
        # The service's refusal is in the catalogue: said in the screen's language.
        assert "“no port here:x”不是 HOST:PORT 形式的地址" in str(status_of(screen).render())


async def test_export_and_import_a_bundle(township: Office, tmp_path: Path) -> None:
    village = join_village(township, tmp_path)
    try:
        row = township.ledgers.session(PROGRAM, "v01").rows()[0].id
        township.ledgers.session(PROGRAM, "v01").set_cells(row, {"note": "U盘带来的修改"})
        stick = tmp_path / "stick.bundle"
        # the township exports from its sync screen
        app = ScreenApp(lambda: SyncScreen(township, "en"))
        async with app.run_test(size=(100, 30)) as pilot:
            screen = pilot.app.screen
            assert isinstance(screen, SyncScreen)
            screen.query_one("#sync-bundle", Input).value = str(stick)
            await pilot.press("e")
            await wait_idle(pilot, screen)
            assert "exported" in str(status_of(screen).render())
        assert stick.exists()
        # the village imports it from its own
        app = ScreenApp(lambda: SyncScreen(village, "en"))
        async with app.run_test(size=(100, 30)) as pilot:
            screen = pilot.app.screen
            assert isinstance(screen, SyncScreen)
            screen.query_one("#sync-bundle", Input).value = str(stick)
            await pilot.press("i")
            await wait_idle(pilot, screen)
            first = str(status_of(screen).render())
            assert "imported t1's bundle" in first and " 0 new" not in first
            assert village.ledgers.session(PROGRAM).rows()[0].cells["note"] == "U盘带来的修改"
            await pilot.press("i")  # the same bundle again changes nothing
            await wait_idle(pilot, screen)
            assert "0 new changes" in str(status_of(screen).render())
    finally:
        village.close()


async def test_a_bad_bundle_is_refused_and_changes_nothing(
    township: Office, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.bundle"
    good = tmp_path / "good.bundle"
    export_bundle(township.store, good)
    bad.write_bytes(good.read_bytes()[:-40])  # cut short on the way
    before = township.history.edits()
    app = ScreenApp(lambda: SyncScreen(township, "en"))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = pilot.app.screen
        assert isinstance(screen, SyncScreen)
        screen.query_one("#sync-bundle", Input).value = str(bad)
        await pilot.press("i")
        await wait_idle(pilot, screen)
        assert status_of(screen).has_class("-refused")
        assert "nothing changed" in str(status_of(screen).render())
    assert township.history.edits() == before


async def test_a_village_is_offered_the_invitations_address_and_a_failure_says_why(
    township: Office, tmp_path: Path
) -> None:
    village = join_village(township, tmp_path, address="127.0.0.1:1")
    try:
        app = ScreenApp(lambda: SyncScreen(village, "zh"))
        async with app.run_test(size=(80, 24)) as pilot:
            screen = pilot.app.screen
            assert isinstance(screen, SyncScreen)
            await settle(pilot)
            assert screen.query_one("#sync-address", Input).value == "127.0.0.1:1"
            await pilot.press("s")
            await wait_idle(pilot, screen)
            said = str(status_of(screen).render())
            assert said.count("无法与 127.0.0.1:1 同步") == 1, said
            [row] = [r for r in screen.model.row_ids()
                     if screen.model.display(r, "address") == "127.0.0.1:1"]
            # the invitation's address is where the township serves
            assert screen.model.display(row, "office") == "示例乡"
            state = screen.model.display(row, "state")
            assert state.startswith("失败：") and len(state) > len("失败：")
            assert screen.model.display(row, "at")
    finally:
        village.close()


async def test_a_failed_address_nobody_answered_at_is_named_so(township: Office) -> None:
    app = ScreenApp(lambda: SyncScreen(township, "en"))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = pilot.app.screen
        assert isinstance(screen, SyncScreen)
        await settle(pilot)
        # a township has no invitation: the usual address is offered
        assert screen.query_one("#sync-address", Input).value == "127.0.0.1:7420"
        screen.query_one("#sync-address", Input).value = "127.0.0.1:1"
        await pilot.press("s")
        await wait_idle(pilot, screen)
        said = str(status_of(screen).render())
        assert said.count("could not sync with") == 1, said
        [row] = screen.model.row_ids()
        assert screen.model.display(row, "office") == "no answer"
        assert screen.model.display(row, "state").startswith("failed: ")
