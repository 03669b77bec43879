"""`vledger sync --watch`, `status` and `bundle` as a clerk runs them."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from pathlib import Path

from tests.e2e.fault_proxy import (
    ServeProcess,
    add_rows,
    all_heads,
    make_township,
    make_village,
    rows_of,
    run_vledger,
    vledger_command,
)
from tests.e2e.fault_proxy import environment as env


async def wait_for_row(home: Path, village: str, row: str, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if row in rows_of(home, village):
            return True
        await asyncio.sleep(0.2)
    return False


async def test_watch_carries_edits_both_ways_and_survives_a_server_restart(
    tmp_path: Path,
) -> None:
    town, village = tmp_path / "town", tmp_path / "v01"
    make_township(town, villages=1)
    make_village(town, village, "v01")
    server = ServeProcess(town)
    port = server.port
    watcher = await asyncio.create_subprocess_exec(
        *vledger_command(), "--home", str(village), "sync", f"127.0.0.1:{port}", "--watch",
        "--timeout", "2", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env=env(),
    )
    try:
        [row] = add_rows(village, None, 1, "from the village")
        assert await wait_for_row(town, "v01", row)
        [row] = add_rows(town, "v01", 1, "from the township")
        assert await wait_for_row(village, "v01", row)
        assert server.stop() == 0
        [row] = add_rows(village, None, 1, "while the township was down")
        server = ServeProcess(town, "--listen", f"127.0.0.1:{port}")  # same port again
        assert await wait_for_row(town, "v01", row)
    finally:
        watcher.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(watcher.communicate(), 15)
        server.stop()
    assert watcher.returncode == 0, err
    assert "Traceback" not in err.decode()
    assert all_heads(town) == all_heads(village)


async def test_status_shows_peers_and_unconfirmed_changes(tmp_path: Path) -> None:
    town, village = tmp_path / "town", tmp_path / "v01"
    make_township(town, villages=1)
    make_village(town, village, "v01")
    server = ServeProcess(town)
    try:
        code, _, err = await run_vledger(village, "sync", f"127.0.0.1:{server.port}")
        assert code == 0, err
    finally:
        server.stop()
    add_rows(village, None, 2, "a")
    add_rows(village, None, 1, "b")
    code, out, err = await run_vledger(village, "status", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["office"] == "v01" and report["township"] == "t1"
    assert report["office_name"] == "村1" and report["township_name"] == "青石乡"
    assert {d["id"] for d in report["documents"]} == {"t1/t1/2026", "t1/v01/2026"}
    [peer] = report["peers"]
    assert peer["office"] == "t1" and peer["unconfirmed"] == 2 and peer["last_sync"]
    code, out, _ = await run_vledger(village, "--lang", "en", "status")
    assert code == 0 and out.startswith("村1 (v01) of 青石乡 (t1) (device "), out
    code, out, _ = await run_vledger(town, "--lang", "en", "status")
    assert code == 0 and "0 changes not confirmed" in out
    assert out.startswith("青石乡 (t1) (device "), out
    # Chinese text keeps to Chinese brackets throughout the line, names included
    code, out, _ = await run_vledger(village, "--lang", "zh", "status")
    assert code == 0 and out.startswith("青石乡（t1）的村1（v01）（设备 "), out
    assert "\n  2026 年：\n" in out, out


async def test_bundles_on_the_command_line(tmp_path: Path) -> None:
    town, village = tmp_path / "town", tmp_path / "v01"
    make_township(town, villages=1)
    make_village(town, village, "v01")
    rows = add_rows(village, None, 3, "usb")
    stick = tmp_path / "stick.vlb"
    code, out, err = await run_vledger(village, "bundle", "export", str(stick))
    assert code == 0 and "wrote" in out, err
    code, out, err = await run_vledger(town, "bundle", "import", str(stick))
    assert code == 0 and "1 new change" in out, (out, err)
    code, out, err = await run_vledger(town, "bundle", "import", str(stick))
    assert code == 0 and "0 new change" in out  # twice: nothing
    assert set(rows) <= set(rows_of(town, "v01"))
    stick.write_bytes(stick.read_bytes()[:-7])
    before = all_heads(town)
    code, _, err = await run_vledger(town, "bundle", "import", str(stick))
    assert code == 1 and "refused" in err and "Traceback" not in err
    assert all_heads(town) == before


async def test_sync_without_an_address_uses_the_invitation_then_the_last_that_worked(
    tmp_path: Path,
) -> None:
    from vledger.sync.services.homes import join
    from vledger.sync.services.office import Office

    town, village, lost = tmp_path / "town", tmp_path / "v01", tmp_path / "v02"
    make_township(town, villages=2)
    make_village(town, lost, "v02")  # invited with no address
    code, _, err = await run_vledger(lost, "sync")
    assert code == 1
    assert err.strip() == ("no address to sync with: give HOST:PORT (where the township runs "
                           "`vledger serve`); once a sync has worked, its address is "
                           "remembered")
    server = ServeProcess(town)
    try:
        with Office.open(town) as township:
            invitation = township.devices.invite("v01", tmp_path / "v01.invite",
                                                 address=f"127.0.0.1:{server.port}")
            office, reply = join(village, invitation, user="clerk")
            assert office.sync.address_to_offer() == f"127.0.0.1:{server.port}"
            office.close()
            township.devices.enroll(reply)
        [row] = add_rows(village, None, 1, "no address typed")
        code, _, err = await run_vledger(village, "sync")  # the invitation's address
        assert code == 0, err
        assert row in rows_of(town, "v01")
        first = server.port
    finally:
        server.stop()
    server = ServeProcess(town)  # the township moved to another port
    try:
        address = f"127.0.0.1:{server.port}"
        code, _, err = await run_vledger(village, "sync", "--timeout", "2")
        assert code == 3 and f"could not sync with 127.0.0.1:{first}" in err
        assert "if the township serves elsewhere now, give its HOST:PORT" in err
        code, _, err = await run_vledger(village, "sync", address)
        assert code == 0, err
        [row] = add_rows(village, None, 1, "the last address that worked")
        code, _, err = await run_vledger(village, "sync")
        assert code == 0, err
        assert row in rows_of(town, "v01")
        with Office.open(village) as office:
            assert office.sync.address_to_offer() == address
    finally:
        server.stop()


async def test_status_lists_damage_and_set_aside_changes_and_recover_takes_them_back(
    tmp_path: Path,
) -> None:
    town = tmp_path / "town"
    make_township(town, villages=1)
    db = town / "vledger.db"
    copy = tmp_path / "copy.db"
    copy.write_bytes(db.read_bytes())
    db.write_bytes(b"this is not a database" * 100)
    code, out, err = await run_vledger(town, "status")
    assert code == 1 and "vledger recover" in err  # the database itself was moved aside
    code, out, err = await run_vledger(town, "recover", "--from", str(copy))
    assert code == 0, err
    assert out.startswith(f"recovered from {copy}: ") and "sync with the township" in out
    code, out, err = await run_vledger(town, "status")
    assert code == 0, err
    code, out, err = await run_vledger(town, "recover", "--from", str(copy))
    assert code == 0 and "0 new changes" in out, (out, err)


async def test_status_text_shows_what_status_json_calls_damage_and_set_aside(
    tmp_path: Path,
) -> None:
    from vledger.sync.documents.replicas import Replicas

    town = tmp_path / "town"
    make_township(town, villages=1)
    with Replicas.open(town) as store:
        store.db.set_aside.add("t1/v01/2026", [(b"\x01" * 32, b"data", "dev1", "a clash")])
    code, out, err = await run_vledger(town, "status")
    assert code == 0, err
    assert "1 change set aside (never applied):" in out
    assert "t1/v01/2026 change 010101010101 by device dev1: a clash" in out
    code, out, _ = await run_vledger(town, "status", "--json")
    assert json.loads(out)["set_aside"][0]["reason"] == "a clash"


def test_serve_names_the_township_as_the_clerk_knows_it(tmp_path: Path) -> None:
    """`serve` says whom it serves by name, with the id beside it (not "t1 as t1")."""
    town = tmp_path / "town"
    make_township(town, villages=1)
    server = ServeProcess(town)
    try:
        assert server.first_line.startswith("serving 青石乡 (t1) on 127.0.0.1:"), \
            server.first_line
    finally:
        assert server.stop() == 0
