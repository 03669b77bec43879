"""Offices that meet trouble recover, against real homes and a real `vledger serve`:
every office ends holding the same heads and ranking the same, or is told exactly what
happened and what to do."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.fault_proxy import (
    ServeProcess,
    add_rows,
    all_heads,
    make_township,
    make_village,
    rows_of,
    run_vledger,
)


async def sync(home: Path, port: int, *extra: str) -> tuple[int, str, str]:
    return await run_vledger(home, "sync", f"127.0.0.1:{port}", "--timeout", "10", *extra)


async def status(home: Path) -> dict[str, object]:
    code, out, err = await run_vledger(home, "status", "--json")
    assert code == 0, err
    return json.loads(out)  # type: ignore[no-any-return]


async def test_a_village_joining_with_an_old_invitation_takes_the_newer_roster_first(
    tmp_path: Path,
) -> None:
    """v01's invitation was written before v02 enrolled; its first sync brings v02's
    changes, which must not be refused for want of the roster entry that came later."""
    from vledger.sync.services.homes import join
    from vledger.sync.services.office import Office

    town, v01, v02 = tmp_path / "town", tmp_path / "v01", tmp_path / "v02"
    make_township(town, villages=2)
    with Office.open(town) as office:
        old_invitation = office.devices.invite("v01", tmp_path / "v01.invite")
    make_village(town, v02, "v02")
    server = ServeProcess(town)
    try:
        assert (await sync(v02, server.port))[0] == 0
        written = add_rows(v02, None, 3, "v02 work")
        assert (await sync(v02, server.port))[0] == 0
        office, reply = join(v01, old_invitation, user="clerk")
        office.close()
        with Office.open(town) as township:
            township.devices.enroll(reply)
        code, out, err = await sync(v01, server.port)
        assert code == 0, (out, err)
        assert set(written) <= set(rows_of(v01, "v02"))
        assert (await status(v01))["refused"] == []
        assert all_heads(v01) == all_heads(town)
    finally:
        server.stop()


async def rank_json(home: Path) -> object:
    code, out, err = await run_vledger(home, "rank", "safety-2026", "--period", "year",
                                       "--json")
    assert code == 0, err
    return json.loads(out)


async def test_a_home_restored_from_a_backup_keeps_syncing(tmp_path: Path) -> None:
    """The disk died, the clerk restored last week's copy: its next edits must reach the
    township, and the township's (and its own lost ones, back from the township) must
    reach it; every office ends with the same heads and the same ranking."""
    import shutil

    town, v02 = tmp_path / "town", tmp_path / "v02"
    make_township(town, villages=2)
    make_village(town, v02, "v02")
    server = ServeProcess(town)
    try:
        assert (await sync(v02, server.port))[0] == 0
        backup = tmp_path / "v02.bak"
        shutil.copytree(v02, backup)
        lost = add_rows(v02, None, 2, "after the backup")
        assert (await sync(v02, server.port))[0] == 0
        shutil.rmtree(v02)
        shutil.copytree(backup, v02)  # restored: the two rows are gone here
        kept = add_rows(v02, None, 1, "after the restore")
        code, out, err = await sync(v02, server.port)
        assert code == 0, (out, err)
        assert (await status(v02))["refused"] == [] and (await status(town))["refused"] == []
        assert set(lost) | set(kept) <= set(rows_of(v02, "v02"))
        assert set(rows_of(town, "v02")) == set(rows_of(v02, "v02"))
        assert all_heads(v02) == all_heads(town)
        assert await rank_json(v02) == await rank_json(town)
    finally:
        server.stop()


def flip_a_chunk(home: Path, doc: str) -> None:
    """Damage the newest stored chunk row of `doc` (one byte of its changes)."""
    import sqlite3

    conn = sqlite3.connect(home / "vledger.db")
    try:
        chunk_id, data = conn.execute(
            "SELECT id, data FROM chunks WHERE doc_id = ? ORDER BY id DESC LIMIT 1", (doc,)
        ).fetchone()
        damaged = bytearray(data)
        damaged[len(damaged) // 2] ^= 0xFF
        conn.execute("UPDATE chunks SET data = ? WHERE id = ?", (bytes(damaged), chunk_id))
        conn.commit()
    finally:
        conn.close()


async def test_a_damaged_chunk_heals_from_a_peer_even_after_local_edits(tmp_path: Path) -> None:
    town, v02 = tmp_path / "town", tmp_path / "v02"
    make_township(town, villages=2)
    make_village(town, v02, "v02")
    server = ServeProcess(town)
    try:
        synced = add_rows(v02, None, 2, "synced")
        assert (await sync(v02, server.port))[0] == 0
        flip_a_chunk(v02, "t1/v02/2026")  # the rows just synced are damaged here
        damage = (await status(v02))["damage"]
        assert damage and "t1/v02/2026" in damage[0]  # status says so
        later = add_rows(v02, None, 1, "after the damage")  # the clerk keeps working
        code, out, err = await sync(v02, server.port)
        assert code == 0, (out, err)
        held = set(rows_of(v02, "v02"))
        assert set(synced) | set(later) <= held  # the lost rows came back from the peer
        assert held == set(rows_of(town, "v02"))
        assert all_heads(v02) == all_heads(town)
        assert await rank_json(v02) == await rank_json(town)
    finally:
        server.stop()


async def test_a_locked_database_is_waited_for_and_never_moved(tmp_path: Path) -> None:
    """Another program (a backup tool, a database viewer) holds the database for a few
    seconds: a write waits for it, nothing is moved, nothing is lost."""
    import sqlite3
    import threading
    import time

    town = tmp_path / "town"
    make_township(town, villages=1)
    holder = sqlite3.connect(town / "vledger.db", isolation_level=None,
                             check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")

    def release() -> None:
        time.sleep(2.0)
        holder.execute("ROLLBACK")
        holder.close()

    threading.Thread(target=release).start()
    code, out, err = await run_vledger(town, "office", "add", "v02", "村2", timeout=60)
    assert code == 0, err
    assert not list(town.glob("vledger.db.damaged-*"))
    code, out, _ = await run_vledger(town, "office", "list")
    assert code == 0 and "村1" in out and "村2" in out


def test_a_database_locked_too_long_says_so_and_is_not_moved(tmp_path: Path) -> None:
    import sqlite3

    import pytest

    from vledger.sync.store.database import Database, StoreBusy

    home = tmp_path / "home"
    Database.open(home).close()
    holder = sqlite3.connect(home / "vledger.db", isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreBusy, match="locked by another program"):
            Database.open(home, busy_seconds=0.2)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert not list(home.glob("vledger.db.damaged-*"))
    Database.open(home).close()


async def test_a_damaged_database_is_set_aside_said_and_recovered(tmp_path: Path) -> None:
    from vledger.sync.services.recovery import recover

    town, v01 = tmp_path / "town", tmp_path / "v01"
    make_township(town, villages=1)
    make_village(town, v01, "v01")
    server = ServeProcess(town)
    try:
        rows = add_rows(v01, None, 3, "before the damage")
        assert (await sync(v01, server.port))[0] == 0
        unsynced = add_rows(v01, None, 1, "never synced")
        data = bytearray((v01 / "vledger.db").read_bytes())
        data[0:16] = b"not a database!!"  # the file header is gone
        (v01 / "vledger.db").write_bytes(bytes(data))
        for extra in ("vledger.db-wal", "vledger.db-shm"):
            (v01 / extra).unlink(missing_ok=True)
        code, _, err = await run_vledger(v01, "ledger", "list", "safety-2026")
        assert code == 1 and "damaged" in err and "vledger recover" in err
        assert "holds no office yet" not in err  # not an invitation to start over
        [aside] = list(v01.glob("vledger.db.damaged-*[0-9]"))
        assert str(aside) in err  # where it went
        recovered = recover(v01)
        assert recovered.source == aside
        assert set(rows) <= set(rows_of(v01, "v01"))  # read back from the damaged file
        assert (await sync(v01, server.port))[0] == 0
        assert set(rows) <= set(rows_of(town, "v01"))
        # the row written after the last sync was only in the damaged file's newest
        # pages: what recover could read of it is back, and nothing else was invented
        assert set(rows_of(v01, "v01")) <= set(rows) | set(unsynced)
        assert all_heads(v01) == all_heads(town)
    finally:
        server.stop()


async def test_a_revoked_device_s_changes_stop_counting_at_every_office(tmp_path: Path) -> None:
    """v01's laptop wrote a row and handed it to v02 on a USB stick; the township, which
    never held that row, revokes the laptop. Once each office hears of the revocation
    the row counts nowhere: every office holds the same heads and ranks the same."""
    from vledger.sync.services.homes import join
    from vledger.sync.services.office import Office

    town, v01, laptop, v02 = (tmp_path / n for n in ("town", "v01", "laptop", "v02"))
    make_township(town, villages=2)
    make_village(town, v01, "v01")
    make_village(town, v02, "v02")
    with Office.open(town) as office:
        again = office.devices.invite("v01", tmp_path / "laptop.invite")
    joined, reply = join(laptop, again, user="clerk")
    joined.close()
    with Office.open(town) as office:
        office.devices.enroll(reply)
    server = ServeProcess(town)
    try:
        for home in (v01, laptop, v02):
            assert (await sync(home, server.port))[0] == 0
        assert (await sync(v01, server.port))[0] == 0
        stolen = add_rows(laptop, None, 1, "written on the laptop")
        stick = tmp_path / "stick.vlb"
        assert (await run_vledger(laptop, "bundle", "export", str(stick)))[0] == 0
        code, out, err = await run_vledger(v02, "bundle", "import", str(stick))
        assert code == 0, err
        assert set(stolen) <= set(rows_of(v02, "v01"))  # v02 took it: the laptop was fine
        from vledger.sync.trust.keys import load_device_key

        with Office.open(town) as office:
            office.devices.revoke(load_device_key(laptop).id)
        for _ in range(2):  # the first may report the refusal; the second is clean
            code, out, err = await sync(v02, server.port)
        assert code == 0, (out, err)
        assert (await sync(v01, server.port))[0] == 0
        assert not set(stolen) & set(rows_of(v02, "v01"))  # it counts nowhere
        assert not set(stolen) & set(rows_of(town, "v01"))
        set_aside = (await status(v02))["set_aside"]
        assert set_aside and "revoked" in set_aside[0]["reason"]  # kept, and said
        assert all_heads(v02) == all_heads(town) == all_heads(v01)
        assert await rank_json(v02) == await rank_json(town) == await rank_json(v01)
    finally:
        server.stop()
