"""Forgeries, relays, revocations, replays and tampered bundles against real
`vledger serve` / `vledger sync` processes, real TLS links and real bundle files.

Each attack is refused, nothing of it is applied (the victim's stored documents, chunks
and signature records are as before, or only the honest part of a mixed sync is), the
refusal is logged for `vledger status`, and the legitimate offices keep syncing: an
honest sync afterwards converges.

An attacking village writes with the raw write path (`identity_world.scribble`): the
facade would refuse it, a modified program would not.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
from pathlib import Path

import msgpack

from tests.e2e.fault_proxy import (
    UP,
    Fault,
    FaultProxy,
    ServeProcess,
    add_rows,
    all_heads,
    make_township,
    make_village,
    retry_busy,
    rows_of,
    run_vledger,
)
from vledger.sync.link.frames import FrameError, encode, read_frame

TOWN_DOC, V01, V02, V03 = "t1/t1/2026", "t1/v01/2026", "t1/v02/2026", "t1/v03/2026"


def scribble(home: Path, doc: str, key: str, value: str, where: str = "ledgers") -> None:
    """Write into any document of `home` past every permission check (the attacker)."""
    from tests.sync.identity_world import scribble as raw_write
    from vledger.sync.services.office import Office

    def act() -> None:
        with Office.open(home) as office:
            raw_write(office, doc, key, value, where)

    retry_busy(act)


def value_at(home: Path, doc: str, *path: str) -> object:
    from vledger.sync.documents.replicas import Replicas

    def act() -> object:
        with Replicas.open(home, scan=False) as store:
            return store.replica(doc).read(list(path)) if store.has_document(doc) else None

    return retry_busy(act)


def stored(home: Path, doc: str | None = None) -> tuple[object, ...]:
    """What a refused attack must not change: heads, chunks and signature records."""
    conn = sqlite3.connect(home / "vledger.db")
    where, args = (" WHERE doc_id = ?", (doc,)) if doc else ("", ())
    try:
        return (
            conn.execute("SELECT doc_id, heads FROM documents" + where + " ORDER BY doc_id",
                         args).fetchall(),
            conn.execute("SELECT doc_id, data FROM chunks" + where + " ORDER BY id",
                         args).fetchall(),
            conn.execute("SELECT doc_id, change, sig FROM change_signatures" + where
                         + " ORDER BY doc_id, change", args).fetchall(),
        )
    finally:
        conn.close()


async def refused_log(home: Path) -> list[dict[str, object]]:
    code, out, err = await run_vledger(home, "status", "--json")
    assert code == 0, err
    return json.loads(out)["refused"]


def device_of(home: Path) -> str:
    from vledger.sync.trust.keys import load_device_key

    return load_device_key(home).id


async def sync(home: Path, port: int, *extra: str) -> tuple[int, str, str]:
    return await run_vledger(home, "sync", f"127.0.0.1:{port}", "--timeout", "5", *extra)


# -- a village forging another village's edit, and writing the township's targets ---------


async def test_forged_edits_are_refused_through_a_sync_and_a_bundle(tmp_path: Path) -> None:
    town, v01, v02 = tmp_path / "town", tmp_path / "v01", tmp_path / "v02"
    make_township(town, villages=2)
    make_village(town, v01, "v01")
    make_village(town, v02, "v02")
    server = ServeProcess(town)
    try:
        assert (await sync(v01, server.port))[0] == 0  # v01 now holds v02's ledger too
        scribble(v01, V02, "forged", "paid 10000")  # another village's ledger
        scribble(v01, TOWN_DOC, "safety-2026/v01/visits", "0", where="targets")
        honest = add_rows(v01, None, 1, "honest")  # and one honest edit of its own
        victim, targets = stored(town, V02), stored(town, TOWN_DOC)
        code, out, err = await sync(v01, server.port)
        assert code == 1 and "refused" in err and "Traceback" not in err, (out, err)
        assert "may not write v02's ledgers" in err
        assert "may not write the township's document" in err
        assert stored(town, V02) == victim and stored(town, TOWN_DOC) == targets
        assert value_at(town, V02, "ledgers", "forged") is None
        assert value_at(town, TOWN_DOC, "targets", "safety-2026/v01/visits") is None
        assert set(honest) <= set(rows_of(town, "v01"))  # the honest part still went through
        logged = await refused_log(town)
        assert {entry["doc"] for entry in logged} == {V02, TOWN_DOC}
        assert all(entry["office"] == "v01" and entry["device"] == device_of(v01)
                   for entry in logged)
        code, out, _ = await run_vledger(town, "status")
        assert "refused (never applied)" in out and "may not write v02's ledgers" in out

        # The same forged changes on a USB stick: refused again, nothing applied.
        stick = tmp_path / "forged.vlb"
        assert (await run_vledger(v01, "bundle", "export", str(stick)))[0] == 0
        before = stored(town)
        code, out, err = await run_vledger(town, "bundle", "import", str(stick))
        assert code == 1 and "refused" in err and "v02's ledgers" in err, (out, err)
        assert stored(town) == before
        assert [e["times"] for e in await refused_log(town)] == [2, 2]  # seen again, counted

        # The legitimate offices keep syncing.
        add_rows(v02, None, 2, "v02 honest")
        code, _, err = await sync(v02, server.port)
        assert code == 0, err
        assert all_heads(v02) == all_heads(town)
        assert value_at(v02, V02, "ledgers", "forged") is None
    finally:
        assert server.stop() == 0


# -- a revoked device, and its new changes relayed by a third office --------------------------


async def test_a_revoked_device_is_refused_and_its_relayed_changes_too(tmp_path: Path) -> None:
    from vledger.sync.services.office import Office

    town, v01, v02, v03 = (tmp_path / n for n in ("town", "v01", "v02", "v03"))
    make_township(town, villages=3)
    for village, home in (("v01", v01), ("v02", v02), ("v03", v03)):
        make_village(town, home, village)
    server = ServeProcess(town)
    try:
        for home in (v01, v02, v03):
            assert (await sync(home, server.port))[0] == 0
        before_revoke = add_rows(v01, None, 1, "before")
        assert (await sync(v01, server.port))[0] == 0

        def revoke() -> None:
            with Office.open(town) as office:
                office.devices.revoke(device_of(v01))

        retry_busy(revoke)
        after_revoke = add_rows(v01, None, 1, "after")  # made after the revocation
        held = stored(town, V01)
        code, out, err = await sync(v01, server.port)  # refused at hello, before any data
        assert code == 1 and "was revoked" in err and "Traceback" not in err, (out, err)
        assert stored(town, V01) == held

        # v03 has not heard of the revocation: it takes v01's new row (v01 serves it).
        relay = ServeProcess(v01)
        try:
            code, _, err = await sync(v03, relay.port)
            assert code == 0, err
        finally:
            relay.stop()
        assert set(after_revoke) <= set(rows_of(v03, "v01"))
        own = add_rows(v03, None, 1, "v03 honest")
        code, out, err = await sync(v03, server.port)  # relayed, original signature kept
        assert code == 1 and "was revoked" in err, (out, err)
        assert stored(town, V01) == held  # nothing of the relayed change was applied
        assert set(before_revoke) <= set(rows_of(town, "v01"))
        assert not set(after_revoke) & set(rows_of(town, "v01"))
        assert set(own) <= set(rows_of(town, "v03"))  # v03's own edit went through
        logged = await refused_log(town)
        assert logged and all("revoked" in str(e["reason"]) for e in logged)
        assert {e["origin"] for e in logged} == {f"v03:{device_of(v03)}"}

        # v02 learned the revocation from the township: it refuses v01 at the door too.
        assert (await sync(v02, server.port))[0] == 0
        guard = ServeProcess(v02)
        try:
            code, _, err = await sync(v01, guard.port)
            assert code == 1 and "revoked" in err
        finally:
            guard.stop()
        assert all_heads(v02) == all_heads(town)  # the legitimate offices still converge
    finally:
        assert server.stop() == 0


# -- strangers, enrollment over the link, replayed and altered bytes -------------------------


async def test_an_unknown_device_is_refused_before_any_data(tmp_path: Path) -> None:
    from vledger.sync.link.transport import client_context
    from vledger.sync.services.homes import init_township

    town = tmp_path / "town"
    make_township(town, villages=1)
    stranger = tmp_path / "stranger"  # a home of its own, claiming to be township t1's v01
    init_township(stranger, "假乡", "t1", year=2026).close()
    server = ServeProcess(town)
    try:
        before = stored(town)
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", server.port, ssl=client_context(stranger), server_hostname="")
        hello = {"t": "hello", "office": "v01", "device": device_of(stranger),
                 "township": "t1", "docs": {}, "n": 1}
        writer.write(encode(hello))
        await writer.drain()
        answer = await read_frame(reader, 5.0)
        rest = await asyncio.wait_for(reader.read(), 5.0)
        writer.close()
        assert answer["t"] == "error" and answer["code"] == "unknown_device"
        assert "docs" not in answer and rest == b""  # no heads, no documents: closed
        assert stored(town) == before
        # Through the command line the stranger refuses the township just the same.
        code, _, err = await sync(stranger, server.port)
        assert code == 1 and "not on the township's roster" in err
    finally:
        assert server.stop() == 0


async def test_a_joined_village_is_enrolled_by_its_first_sync_and_a_reused_reply_is_not(
    tmp_path: Path,
) -> None:
    town, v01, copy = tmp_path / "town", tmp_path / "v01", tmp_path / "copy"
    make_township(town, villages=1)
    make_village(town, v01, "v01", enroll=False)  # the reply never went back by hand
    server = ServeProcess(town)
    try:
        rows = add_rows(v01, None, 2, "offline")
        code, out, err = await sync(v01, server.port)
        assert code == 0, (out, err)
        assert set(rows) <= set(rows_of(town, "v01"))
        code, out, _ = await run_vledger(town, "device", "list", "--json")
        listed = {d["id"]: d for d in json.loads(out)["devices"]}
        assert listed[device_of(v01)]["office"] == "v01"
        # A second home joined with the same invitation: its secret is used up.
        from vledger.sync.services.homes import join

        invitation = tmp_path / "v01.invite"
        office, _ = join(copy, invitation)
        office.close()
        before = stored(town)
        code, out, err = await sync(copy, server.port)
        assert code == 1 and "already used" in err, (out, err)
        assert stored(town) == before
    finally:
        assert server.stop() == 0


async def test_replayed_and_altered_bytes_fail_the_link_and_honest_retries_converge(
    tmp_path: Path,
) -> None:
    town, v01 = tmp_path / "town", tmp_path / "v01"
    make_township(town, villages=1)
    make_village(town, v01, "v01")
    server = ServeProcess(town)
    proxy = FaultProxy(("127.0.0.1", server.port))
    port = await proxy.start()
    try:
        # A session recorded on the wire (a push of two rows) ...
        rows = add_rows(v01, None, 2, "recorded")
        assert (await sync(v01, port))[0] == 0
        session = bytes(proxy.recorded[-1][UP])
        assert len(session) > 1000
        # ... replayed byte for byte later: the server's fresh handshake does not match it.
        from vledger.sync.services.office import Office

        def delete() -> None:
            with Office.open(town) as office:
                office.ledgers.session("safety-2026", "v01", writing=True).delete_row(rows[0])

        retry_busy(delete)
        before = stored(town)
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(session)
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 10.0)
        writer.close()
        assert b"safety" not in answer and len(answer) < len(session)  # handshake bytes only
        assert stored(town) == before  # the deleted row stays deleted

        # A man in the middle flips one byte of the fourth record going up.
        for record in (2, 4):
            add_rows(v01, None, 3, f"through a bad proxy {record}")
            proxy.plan = [Fault("flip", UP, record)]
            done = len(proxy.faults_done)
            code, out, err = await sync(v01, port)
            assert code == 0, (out, err)  # the retry (untouched) converged
            assert len(proxy.faults_done) > done
        assert all_heads(v01) == all_heads(town)
        # Every attempt altered: the sync gives up, and nothing half-received is stored.
        add_rows(v01, None, 1, "never arrives")
        proxy.plan = [Fault("flip", UP, 3)] * 10
        before = stored(town)
        code, _, err = await sync(v01, port)
        assert code == 3 and "Traceback" not in err
        assert stored(town) == before
        assert (await sync(v01, server.port))[0] == 0  # and the honest link still works
        assert all_heads(v01) == all_heads(town)
    finally:
        await proxy.stop()
        assert server.stop() == 0


# -- a tampered bundle --------------------------------------------------------------------


def rewrite_bundle(data: bytes, change: callable) -> bytes:  # type: ignore[valid-type]
    """Re-encode a bundle's frames after `change(frame)`, with a correct checksum again
    (an attacker can always recompute a plain SHA-256)."""
    from vledger.sync.link.bundle import MAGIC
    from vledger.sync.link.frames import iter_frames

    frames = [f for f, _, _ in iter_frames(data[len(MAGIC):])][:-1]
    for frame in frames:
        frame.pop("v", None)
        change(frame)
    body = MAGIC + b"".join(encode(f) for f in frames)
    return body + encode({"t": "end", "frames": len(frames),
                          "sha256": hashlib.sha256(body).digest()})


async def test_a_tampered_bundle_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    town, v01 = tmp_path / "town", tmp_path / "v01"
    make_township(town, villages=1)
    make_village(town, v01, "v01")
    add_rows(v01, None, 2, "on the stick")
    add_rows(v01, None, 1, "and another action")
    stick = tmp_path / "stick.vlb"
    assert (await run_vledger(v01, "bundle", "export", str(stick)))[0] == 0
    data = stick.read_bytes()
    before = stored(town)

    flipped = bytearray(data)  # 1. damaged: refused whole by its checksum
    flipped[len(data) // 2] ^= 0x01
    stick.write_bytes(bytes(flipped))
    code, _, err = await run_vledger(town, "bundle", "import", str(stick))
    assert code == 1 and "garbled" in err

    def swap_signatures(frame: dict[str, object]) -> None:  # 2. signatures moved around
        sigs = frame.get("sigs")
        changes = frame.get("changes")
        if frame.get("doc") == V01 and isinstance(sigs, list) and isinstance(changes, list):
            # each voucher's signature now claims other heads: the one before the last
            from vledger.sync.binding.chunks import parse_changes
            from vledger.sync.trust.vouchers import Voucher

            first = parse_changes(changes[-2:-1])[0].hash
            moved = []
            for blob in sigs:
                voucher = Voucher.decode(blob)
                body = msgpack.unpackb(voucher.body, raw=False)
                body["heads"] = [first]
                moved.append(msgpack.packb({"b": msgpack.packb(body, use_bin_type=True),
                                            "s": voucher.sig}, use_bin_type=True))
            frame["sigs"] = moved

    stick.write_bytes(rewrite_bundle(data, swap_signatures))
    code, _, err = await run_vledger(town, "bundle", "import", str(stick))
    assert code == 1 and "signature does not match" in err, err

    def edit_change(frame: dict[str, object]) -> None:  # 3. a change's bytes edited
        changes = frame.get("changes")
        if frame.get("doc") == V01 and isinstance(changes, list) and changes:
            edited = bytearray(changes[-1])
            edited[-3] ^= 0x01
            changes[-1] = bytes(edited)

    stick.write_bytes(rewrite_bundle(data, edit_change))
    code, _, err = await run_vledger(town, "bundle", "import", str(stick))
    assert code == 1 and "refused" in err
    assert stored(town) == before  # none of the three stored anything

    stick.write_bytes(data)  # the stick as v01 wrote it still imports
    code, out, err = await run_vledger(town, "bundle", "import", str(stick))
    assert code == 0 and "new change" in out, err


# -- a replayed old frame inside an authenticated session ------------------------------------


def test_a_replayed_push_frame_has_no_effect(tmp_path: Path) -> None:
    """Frames recorded from an honest session, sent again after the township deleted the row
    they brought: idempotent, so the row stays deleted and nothing is stored."""
    from tests.sync.test_protocol import add_rows as add
    from tests.sync.test_protocol import open_home, township_home
    from vledger.sync.link.frames import decode_body
    from vledger.sync.link.session import Identity, Initiator, Responder

    town = township_home(tmp_path / "town")
    v01 = open_home(tmp_path / "v01", "v01")
    try:
        responder = Responder(Identity.of(town))
        frames: list[bytes] = []

        async def ask(frame: dict[str, object]) -> dict[str, object]:
            data = encode(frame)
            frames.append(data)
            try:
                answer = responder.handle(town, decode_body(data[4:]))
            except FrameError as problem:
                answer = {"t": "error", "code": problem.code, "message": problem.message}
            return decode_body(encode(answer)[4:])

        asyncio.run(Initiator(Identity.of(v01), ask).run(v01))
        [row] = add(v01, "v01", 1)
        frames.clear()
        asyncio.run(Initiator(Identity.of(v01), ask).run(v01))
        push = next(f for f in frames if msgpack.unpackb(f[4:])["t"] == "push")
        from vledger.sync.documents.journal import Who

        town.village(V01).delete_row(Who("t1", town.device_id(), "clerk"), "safety-2026", row)
        heads = town.heads(V01)
        again = Responder(Identity.of(town))
        again.handle(town, decode_body(encode(Identity.of(v01).hello({}))[4:]))
        answer = again.handle(town, decode_body(push[4:]))
        assert answer["t"] == "ack" and not answer["refused"]
        assert town.heads(V01) == heads  # nothing new: the deletion stands
        found = town.village(V01).row("safety-2026", row)
        assert found is not None and found.deleted
    finally:
        town.close()
        v01.close()
