"""Authorship: changes vouched for by their device, checked against the signed roster
before they are applied.

Each attack that lives at this level: the forged or unwanted change is refused,
nothing of it is stored (documents, chunks, vouchers, signature records), the
refusal is logged with its reason, and legitimate changes keep flowing. Vouchers
(one signature per batch) and the old per-change records are both checked.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sync.identity_world import (
    World,
    another_process,
    deliver,
    devices_of,
    doc_of,
    give_raw,
    make_world,
    outgoing,
    receive_signed,
    scribble,
    store_state,
)
from vledger.sync.binding.chunks import change_hash
from vledger.sync.services.homes import join
from vledger.sync.trust.keys import SigningKey, ensure_device_key, load_device_key
from vledger.sync.trust.roster import RosterError
from vledger.sync.trust.signatures import (
    Signature,
    accepted_frontier,
    genesis_hash,
    refusal_log,
    screen_batch,
    sign_change,
    sign_local_changes,
    signatures_for,
)
from vledger.sync.trust.vouchers import Voucher, make_voucher

V01, V02, TOWN = doc_of("v01"), doc_of("v02"), doc_of("t1")


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    made = make_world(tmp_path)
    yield made
    made.close()


def reasons(world_office: object) -> list[str]:
    return [r.reason for r in refusal_log(world_office.store)]  # type: ignore[attr-defined]


def test_a_village_edit_of_its_own_ledger_reaches_the_township(world: World) -> None:
    scribble(world.v01, V01, "r1", "ok")
    got = deliver(world.v01, world.township, V01)
    assert got.applied == 1 and got.refused == []
    assert world.township.store.replica(V01).read(["ledgers", "r1"]) == "ok"
    # the township keeps the village device's own signature, to relay it
    kept = signatures_for(world.township.store, V01, list(got.changes))
    assert devices_of(kept) == {load_device_key(world.v01.me.home).id}


def test_a_village_forging_another_villages_edit_is_refused(world: World) -> None:
    give_raw(world.township, world.v01, V02)  # the forger gets v02's document somehow
    scribble(world.v01, V02, "forged", "paid 10000")
    before = store_state(world.township.store)
    got = deliver(world.v01, world.township, V02)
    assert got.applied == 0 and len(got.refused) == 1
    assert "v01 may not write v02's ledgers" in got.refused[0].reason
    assert store_state(world.township.store) == before
    assert world.township.store.replica(V02).read(["ledgers", "forged"]) is None
    logged = refusal_log(world.township.store)
    assert logged[0].office == "v01" and "v02's ledgers" in logged[0].reason


def test_a_village_writing_the_townships_targets_is_refused(world: World) -> None:
    scribble(world.v01, TOWN, "safety/v01/visits", "0", where="targets")
    for receiver in (world.township, world.v02):  # directly, and at another village
        before = store_state(receiver.store)
        got = deliver(world.v01, receiver, TOWN)
        assert got.applied == 0
        assert "may not write the township's document" in got.refused[0].reason
        assert store_state(receiver.store) == before
        assert receiver.store.replica(TOWN).read(["targets", "safety/v01/visits"]) is None


def test_the_township_may_correct_a_village_ledger(world: World) -> None:
    scribble(world.township, V01, "fix", "corrected")
    got = deliver(world.township, world.v01, V01)
    assert got.applied == 1 and got.refused == []


@pytest.mark.parametrize("form", ["voucher", "record"])
def test_an_unknown_device_is_refused(world: World, form: str) -> None:
    stranger = SigningKey.generate()
    scribble(world.v01, V01, "r1", "x")
    changes = world.v01.store.changes_since(V01, world.township.store.heads(V01))
    made = world.v01.store.replica(V01).doc.changes(world.township.store.heads(V01))
    sigs = ([make_voucher(stranger, V01, {c.actor for c in made}, [made[-1].hash]).encode()]
            if form == "voucher" else [sign_change(stranger, V01, c.hash).encode() for c in made])
    before = store_state(world.township.store)
    got = receive_signed(world.township.store, V01, changes, sigs, "stranger")
    assert got.applied == 0
    assert got.refused[0].reason == f"device {stranger.id} is not on the township's roster"
    assert store_state(world.township.store) == before


def test_a_joined_device_is_unknown_until_the_township_enrolls_it(tmp_path: Path) -> None:
    world = make_world(tmp_path, enroll_villages=False)
    try:
        scribble(world.v01, V01, "r1", "x")
        got = deliver(world.v01, world.township, V01)
        assert got.applied == 0 and "is not on the township's roster" in got.refused[0].reason
    finally:
        world.close()


def test_an_unsigned_change_is_refused(world: World) -> None:
    scribble(world.v01, V01, "r1", "x")
    changes = world.v01.store.changes_since(V01, world.township.store.heads(V01))
    got = receive_signed(world.township.store, V01, changes, [], "peer")
    assert got.applied == 0 and got.refused[0].reason == "it carries no signature"


def test_a_tampered_signature_is_refused(world: World) -> None:
    scribble(world.v01, V01, "r1", "x")
    changes, sigs = outgoing(world.v01, V01, world.township.store.heads(V01))
    record = bytearray(sigs[0])
    record[-1] ^= 0x01
    before = store_state(world.township.store)
    got = receive_signed(world.township.store, V01, changes, [bytes(record)], "peer")
    assert got.refused[0].reason == "its signature does not match the change"
    assert store_state(world.township.store) == before


def test_a_signature_moved_to_another_change_is_refused(world: World) -> None:
    scribble(world.v01, V01, "r1", "x")
    first, first_sigs = outgoing(world.v01, V01, world.township.store.heads(V01))
    heads = world.v01.store.heads(V01)
    scribble(world.v01, V01, "r2", "y")
    second, _ = outgoing(world.v01, V01, heads)
    moved = _moved(Voucher.decode(first_sigs[0]), world.v01.store.heads(V01))
    got = receive_signed(world.township.store, V01, first + second,
                         [first_sigs[0], moved.encode()], "peer")
    assert got.applied == 1  # the honest first change still goes through
    assert [r.reason for r in got.refused] == ["its signature does not match the change"]


def test_an_old_record_moved_to_another_change_is_refused(world: World) -> None:
    scribble(world.v01, V01, "r1", "x")
    start = world.township.store.heads(V01)
    first = world.v01.store.changes_since(V01, start)
    key = load_device_key(world.v01.me.home)
    [change] = world.v01.store.replica(V01).doc.changes(start)
    old = sign_change(key, V01, change.hash)
    scribble(world.v01, V01, "r2", "y")
    second = world.v01.store.changes_since(V01, [change.hash])
    moved = Signature(world.v01.store.heads(V01)[0], old.device, old.sig)
    got = receive_signed(world.township.store, V01, first + second,
                         [old.encode(), moved.encode()], "peer")
    assert got.applied == 1
    assert [r.reason for r in got.refused] == ["its signature does not match the change"]


def test_a_voucher_for_another_document_vouches_for_nothing_here(world: World) -> None:
    scribble(world.v01, V01, "r1", "x")
    changes, sigs = outgoing(world.v01, V01, world.township.store.heads(V01))
    voucher = Voucher.decode(sigs[0])
    key = load_device_key(world.v01.me.home)
    elsewhere = make_voucher(key, V02, voucher.actors, voucher.heads)  # really signed, for V02
    relabelled = _moved(voucher, voucher.heads, doc=V02)  # V01's signature, labelled V02
    for given in (elsewhere, relabelled):
        got = receive_signed(world.township.store, V01, changes, [given.encode()], "peer")
        assert got.applied == 0 and got.refused[0].reason == "it carries no signature"
    got = receive_signed(world.township.store, V02, changes, [relabelled.encode()], "peer")
    assert got.applied == 0


def test_one_voucher_is_one_signature_for_a_whole_batch(world: World) -> None:
    for n in range(20):
        scribble(world.v01, V01, f"r{n}", str(n))
    changes, sigs = outgoing(world.v01, V01, world.township.store.heads(V01))
    assert len(changes) == 20 and len(sigs) == 1
    rows = "SELECT count(*) FROM vouched WHERE doc_id = ?"
    before = world.township.store.db.sql.execute(rows, (V01,)).fetchone()[0]
    got = receive_signed(world.township.store, V01, changes, sigs, "peer")
    assert got.applied == 20 and got.refused == []
    # and what it covers is kept as one row, not one per change
    assert world.township.store.db.sql.execute(rows, (V01,)).fetchone()[0] == before + 1
    covering = world.township.store.db.vouchers.covering(V01, [*map(change_hash, changes)])
    assert set(covering.values()) == set(sigs) and len(covering) == 20


def test_each_home_checks_a_voucher_itself(world: World,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A home checks a voucher once, however often it meets it; another home in the same
    process (the sync benchmark runs many) checks it again, as another office would."""
    from vledger.sync.trust import vouchers

    checked: list[bytes] = []

    def counting(public: bytes, sig: bytes, message: bytes) -> bool:
        checked.append(sig)
        return verify(public, sig, message)

    verify = vouchers.verify
    monkeypatch.setattr(vouchers, "verify", counting)
    scribble(world.v01, V01, "r1", "x")
    changes, sigs = outgoing(world.v01, V01, world.township.store.heads(V01))
    for _ in range(2):
        assert screen_batch(world.township.store, V01, changes, sigs).accepted == changes
    assert len(checked) == 1
    assert screen_batch(world.v02.store, V01, changes, sigs).accepted == changes
    assert len(checked) == 2


def _moved(voucher: Voucher, heads: list[bytes] | tuple[bytes, ...], doc: str = "") -> Voucher:
    """The voucher's signature on a body claiming other heads (or another document)."""
    import msgpack

    body = msgpack.unpackb(voucher.body, raw=False)
    body["heads"] = sorted(heads)
    body["doc"] = doc or voucher.doc
    packed = msgpack.packb(body, use_bin_type=True)
    return Voucher(body["doc"], voucher.device, voucher.actors, tuple(sorted(heads)), packed,
                   voucher.sig)


def test_a_forged_change_in_a_relayed_batch_does_not_stop_the_honest_ones(world: World) -> None:
    scribble(world.v01, V01, "honest", "1")
    honest, honest_sigs = outgoing(world.v01, V01, world.township.store.heads(V01))
    heads = world.v01.store.heads(V01)
    scribble(world.v01, V01, "later", "2")
    later, _ = outgoing(world.v01, V01, heads)  # its signature is withheld: unsigned
    got = receive_signed(world.township.store, V01, honest + later, honest_sigs, "relay")
    assert got.applied == 1 and len(got.refused) == 1
    assert world.township.store.replica(V01).read(["ledgers", "honest"]) == "1"
    assert world.township.store.replica(V01).read(["ledgers", "later"]) is None


def test_changes_building_on_a_refused_change_are_refused_too(world: World) -> None:
    start = world.township.store.heads(V01)
    scribble(world.v01, V01, "first", "1")
    first, _ = outgoing(world.v01, V01, start)  # its voucher is withheld
    heads = world.v01.store.heads(V01)
    v01 = another_process(world, "v01")  # a new actor: second's voucher cannot cover first
    scribble(v01, V01, "second", "2")
    second, second_sigs = outgoing(v01, V01, heads)  # validly vouched, on top of first
    got = receive_signed(world.township.store, V01, first + second, second_sigs, "relay")
    assert got.applied == 0
    assert got.refused[0].reason == "it carries no signature"
    assert got.refused[1].reason.startswith("it builds on refused change")


def test_a_revoked_devices_new_change_is_refused_and_its_old_ones_stay(
    world: World, tmp_path: Path
) -> None:
    scribble(world.v01, V01, "before", "1")
    assert deliver(world.v01, world.township, V01).applied == 1
    scribble(world.v01, V01, "in-transit", "2")  # made before, not held by the township
    heads_in_transit = world.v01.store.heads(V01)
    device = load_device_key(world.v01.me.home).id
    world.township.devices.revoke(device)
    assert accepted_frontier(world.township.store, device)[V01]
    scribble(world.v01, V01, "after", "3")
    before = store_state(world.township.store)
    got = deliver(world.v01, world.township, V01)
    assert got.applied == 0
    assert any("was revoked" in r.reason for r in got.refused)
    assert store_state(world.township.store) == before
    assert heads_in_transit  # "after" = not held by the township when it revoked
    assert world.township.store.replica(V01).read(["ledgers", "in-transit"]) is None
    # A new laptop for v01 receives the old changes, signed by the revoked device: accepted.
    path = world.township.devices.invite("v01", tmp_path / "again.invite")
    laptop, _ = join(tmp_path / "laptop", path)
    try:
        assert laptop.store.replica(V01).read(["ledgers", "before"]) == "1"
    finally:
        laptop.close()


def test_a_relayed_change_keeps_its_original_signature(world: World, tmp_path: Path) -> None:
    scribble(world.v01, V01, "r1", "from v01")
    deliver(world.v01, world.township, V01)
    # The township relays v01's change to v01's second device; v01's signature travels.
    path = world.township.devices.invite("v01", tmp_path / "again.invite")
    laptop, _ = join(tmp_path / "laptop", path)
    try:
        assert laptop.store.replica(V01).read(["ledgers", "r1"]) == "from v01"
        kept = signatures_for(laptop.store, V01, laptop.store.changes_since(V01, []))
        assert load_device_key(world.v01.me.home).id in devices_of(kept)
    finally:
        laptop.close()


def test_a_tampered_roster_entry_in_a_township_batch_is_refused(world: World) -> None:
    # A stolen township *device* (not the township key) writes a roster entry.
    replica = world.township.store.replica(TOWN)
    blob = bytearray(replica.read(["roster", "signed:v02"]))  # type: ignore[arg-type]
    blob[-1] ^= 0x01
    scribble(world.township, TOWN, "signed:v02", bytes(blob), where="roster")  # type: ignore[arg-type]
    before = store_state(world.v01.store)
    got = deliver(world.township, world.v01, TOWN)
    assert got.applied == 0
    assert "roster entry of v02 fails the township's signature" in got.refused[0].reason
    assert store_state(world.v01.store) == before


def test_a_roster_entry_moved_to_another_office_is_refused(world: World) -> None:
    replica = world.township.store.replica(TOWN)
    blob = replica.read(["roster", "signed:v01"])
    scribble(world.township, TOWN, "signed:v02", blob, where="roster")  # type: ignore[arg-type]
    got = deliver(world.township, world.v01, TOWN)
    assert got.applied == 0
    assert "roster entry stored for v02 names office v01" in got.refused[0].reason


def test_an_old_roster_entry_written_back_is_refused(world: World, tmp_path: Path) -> None:
    old = world.township.store.replica(TOWN).read(["roster", "signed:v01"])
    world.township.devices.revoke(load_device_key(world.v01.me.home).id)
    assert deliver(world.township, world.v02, TOWN).applied >= 1
    scribble(world.township, TOWN, "signed:v01", old, where="roster")  # type: ignore[arg-type]
    got = deliver(world.township, world.v02, TOWN)
    assert got.applied == 0 and "goes back from seq" in got.refused[0].reason


def test_genesis_needs_no_signature_and_a_fake_genesis_is_refused(world: World) -> None:
    genesis = world.township.store.changes_since(V01, [])[0]
    from vledger.sync.binding.chunks import parse_changes

    assert parse_changes([genesis])[0].hash == genesis_hash(V01)
    assert genesis_hash(V01) != genesis_hash(V02)


def test_a_home_without_a_pinned_key_accepts_nothing(tmp_path: Path, world: World) -> None:
    from tests.sync.homes import create_township

    legacy = create_township(tmp_path / "legacy", "旧乡", "t1", year=2026)
    try:
        with pytest.raises(RosterError, match="no pinned township key"):
            screen_batch(legacy.store, V01, [], [])
    finally:
        legacy.close()


def test_local_changes_are_vouched_for_once_by_this_homes_device(world: World) -> None:
    scribble(world.v01, V01, "r1", "x")
    v01 = another_process(world, "v01")
    scribble(v01, V01, "r2", "y")  # two processes, two actors: one voucher covers both
    key = ensure_device_key(v01.me.home)
    assert sign_local_changes(v01.store, key) == 2
    assert sign_local_changes(v01.store, key) == 0
    credentials = signatures_for(v01.store, V01, v01.store.changes_since(V01, []))
    mine = [Voucher.decode(c) for c in credentials if Voucher.decode(c).device == key.id]
    assert len(mine) == 1 and len(mine[0].actors) == 2


def test_a_change_refused_until_the_roster_knew_its_device_leaves_the_log_once_taken(
    tmp_path: Path,
) -> None:
    world = make_world(tmp_path, enroll_villages=False)
    try:
        scribble(world.v01, V01, "r1", "early")
        got = deliver(world.v01, world.township, V01)
        assert got.applied == 0 and [r.reason for r in refusal_log(world.township.store)]
        world.township.devices.enroll(tmp_path / "v01.invite.reply")
        got = deliver(world.v01, world.township, V01)  # offered again: the roster moved
        assert got.applied == 1 and got.refused == []
        assert refusal_log(world.township.store) == []
    finally:
        world.close()


def test_a_refusal_seen_twice_is_counted_not_duplicated(world: World) -> None:
    scribble(world.v01, TOWN, "x", "1", where="targets")
    deliver(world.v01, world.township, TOWN)
    deliver(world.v01, world.township, TOWN)
    logged = refusal_log(world.township.store)
    assert len(logged) == 1 and logged[0].times == 2


def test_vouching_on_the_way_out_does_not_wait_for_the_disk(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A voucher is made again if a power cut loses it: sending this home's edits
    commits it without an fsync of its own (a sync spares one wait per link)."""
    scribble(world.v01, V01, "r1", "ok")
    sql = world.v01.store.db.sql
    commits: list[bool] = []
    real = sql.transaction

    def spy(*, durable: bool = True) -> object:
        if not sql.in_transaction:
            commits.append(durable)
        return real(durable=durable)

    monkeypatch.setattr(sql, "transaction", spy)
    since = world.township.store.heads(V01)
    changes, sigs = outgoing(world.v01, V01, since)
    assert len(sigs) == 1 and commits == [False]
    monkeypatch.undo()
    assert outgoing(world.v01, V01, since) == (changes, sigs)  # kept: sent again as it was
    got = receive_signed(world.township.store, V01, changes, sigs, "peer")
    assert got.applied == 1 and got.refused == []
