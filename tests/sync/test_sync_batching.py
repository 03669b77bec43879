"""Sync in bulk: whole documents for a new replica, many documents per frame and transaction.

A replica that holds none of a document receives its `save()` (checked before
it is stored); every document of a pass travels in one push and one pull
frame; what one frame brings is stored in one SQLite transaction, and what
refuses part of it refuses all of it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sync.test_protocol import (
    PROGRAM,
    TOWN,
    add_rows,
    open_home,
    people,
    same_everything,
    sync,
    township_home,
    village_doc,
)
from vledger.sync.binding.chunks import MissingDependencies
from vledger.sync.documents.journal import Who
from vledger.sync.documents.ledger import VillageDoc
from vledger.sync.documents.replica import VILLAGE, doc_id
from vledger.sync.documents.replicas import Replicas
from vledger.sync.link.frames import FrameError
from vledger.sync.link.gate import receive
from vledger.sync.link.session import Identity, snapshot
from vledger.sync.store.database import DB_FILE
from vledger.sync.trust.checks import SIGNED
from vledger.sync.trust.signatures import outgoing_signatures, whole_signatures


@pytest.fixture
def town(tmp_path: Path) -> Iterator[Replicas]:
    store = township_home(tmp_path / "town", villages=3, rows=4)
    yield store
    store.close()


@pytest.fixture
def v01(tmp_path: Path) -> Iterator[Replicas]:
    store = open_home(tmp_path / "v01", "v01")
    yield store
    store.close()


def sql(home: Path, query: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(home / DB_FILE) as conn:
        return conn.execute(query).fetchall()


def commits(store: Replicas) -> list[str]:
    """Every COMMIT the store's connection runs from now on (one per fsync'd transaction)."""
    seen: list[str] = []
    store.db.sql._conn.set_trace_callback(  # counting transactions needs the connection
        lambda statement: seen.append(statement) if statement.startswith("COMMIT") else None
    )
    return seen


def garbles(data: bytes) -> list[bytes]:
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0x5A
    return [bytes(flipped), data[: len(data) - 7], data[:12], b"not automerge at all", b""]


# -- a new replica gets whole documents --------------------------------------------------


async def test_a_new_replica_receives_each_document_whole_and_smaller(
    town: Replicas, v01: Replicas
) -> None:
    for _ in range(30):  # a season of one-row actions: a document is many small changes
        add_rows(town, "v02", 1)
    changes = [c for d in town.document_ids() for c in town.changes_since(d, [])]
    every_change = sum(len(c) for c in changes)
    outcome, link = await sync(v01, town)
    assert outcome.converged and outcome.fallbacks == 0 and same_everything(v01, town)
    assert outcome.received == len(changes)
    assert link.frames == ["hello", "pull", "heads"]
    assert link.bytes < every_change  # compressed documents, not every change one by one
    stored = sql(v01.home, "SELECT doc_id, snapshot IS NOT NULL FROM documents ORDER BY doc_id")
    assert stored == [(d, 1) for d in town.document_ids()]
    assert sql(v01.home, "SELECT COUNT(*) FROM chunks") == [(0,)]
    v01.close()
    with Replicas.open(v01.home) as again:  # the scan at open finds every snapshot intact
        assert again.report == []
        assert people(again, village_doc("v02")) == [0, 1, 2, 3, *[100] * 30]
        VillageDoc(again.replica(village_doc("v02"))).add_row(
            Who("v01", again.device_id(), "clerk"), PROGRAM, {"people": 9}
        )  # and it is a document like any other: written to, journal indexed
        entries = len(town.replica(village_doc("v02")).journal_entries())
        assert len(again.replica(village_doc("v02")).journal_entries()) == entries + 1


async def test_the_new_replica_changes_on_both_sides_then_converge(
    town: Replicas, v01: Replicas
) -> None:
    await sync(v01, town)
    add_rows(v01, "v01", 2)
    add_rows(town, "v01", 1)
    outcome, link = await sync(v01, town)
    assert outcome.converged and outcome.fallbacks == 0 and "sync" not in link.frames
    assert same_everything(v01, town) and len(people(v01, village_doc("v01"))) == 4 + 3


@pytest.mark.parametrize("which", range(5))
def test_a_garbled_document_is_refused_and_nothing_is_stored(
    town: Replicas, v01: Replicas, which: int
) -> None:
    doc = village_doc("v02")
    bad = garbles(town.document(doc).save())[which]
    with pytest.raises(FrameError) as refused:
        receive(v01, TOWN, {}, "t1:x", SIGNED, snapshots={doc: bad})
    assert refused.value.code == "bad_snapshot"
    assert v01.document_ids() == []


def test_a_change_sent_as_a_whole_document_is_refused(town: Replicas, v01: Replicas) -> None:
    doc = village_doc("v02")
    with pytest.raises(FrameError) as refused:
        receive(v01, TOWN, {}, "t1:x", SIGNED,
                snapshots={doc: town.changes_since(doc, [])[0]})
    assert refused.value.code == "bad_snapshot"
    assert v01.document_ids() == []


def test_another_document_sent_under_this_id_is_refused(
    tmp_path: Path, town: Replicas, v01: Replicas
) -> None:
    other = township_home(tmp_path / "t9", villages=1, township="t9")
    try:
        foreign = other.document(village_doc("v01", "t9")).save()
    finally:
        other.close()
    cases = {
        village_doc("v01"): foreign,  # another township's document under our id
        village_doc("v03"): town.document(village_doc("v02")).save(),  # another village's
        doc_id(TOWN, TOWN, 2027): town.document(doc_id(TOWN, TOWN, 2026)).save(),  # other year
    }
    for doc, data in cases.items():
        with pytest.raises(FrameError) as refused:
            receive(v01, TOWN, {}, "t1:x", SIGNED, snapshots={doc: data})
        assert refused.value.code == "foreign_document", doc
    with pytest.raises(FrameError):
        receive(v01, TOWN, {}, "t1:x", SIGNED, snapshots={village_doc("v01", "t9"): foreign})
    assert v01.document_ids() == []


def test_one_bad_part_of_a_frame_refuses_all_of_it(town: Replicas, v01: Replicas) -> None:
    good = {village_doc("v02"): town.document(village_doc("v02")).save()}
    broken = town.changes_since(village_doc("v03"), [])
    broken[-1] = broken[-1][:-3]
    with pytest.raises(FrameError) as refused:
        receive(v01, TOWN, {village_doc("v03"): broken, village_doc("v01"):
                            town.changes_since(village_doc("v01"), [])}, "t1:x", SIGNED,
                snapshots=good)
    assert refused.value.code == "bad_change"
    assert v01.document_ids() == []
    assert sql(v01.home, "SELECT COUNT(*) FROM chunks") == [(0,)]


def test_a_whole_document_for_one_held_here_is_merged_not_replaced(
    town: Replicas, v01: Replicas
) -> None:
    doc = village_doc("v01")
    mine = add_rows(v01, "v01", 2)  # v01 made its own document offline
    key = Identity.of(town).key
    roster_doc = doc_id(TOWN, TOWN, 2026)  # first the roster that says who may write
    receive(v01, TOWN, {}, "t1:x", SIGNED, snapshots={roster_doc: town.document(roster_doc).save()},
            sigs={roster_doc: whole_signatures(town, key, roster_doc)})
    sigs = {doc: whole_signatures(town, key, doc)}
    got = receive(v01, TOWN, {}, "t1:x", SIGNED, snapshots={doc: town.document(doc).save()},
                  sigs=sigs)
    assert got[doc].applied == 1  # the township's one action on it; genesis is shared
    rows = {r.id for r in v01.village(doc).rows(PROGRAM)}
    assert set(mine) <= rows and len(rows) == 2 + 4


def test_a_document_over_the_budget_is_not_sent_whole(town: Replicas) -> None:
    doc = village_doc("v02")
    assert snapshot(town, doc) == town.document(doc).save()
    assert snapshot(town, doc, budget=100) is None


# -- many documents per frame, one transaction per frame --------------------------------


async def test_a_first_sync_commits_the_same_few_times_for_three_or_nine_documents(
    tmp_path: Path,
) -> None:
    counted = []
    for villages in (2, 8):
        town = township_home(tmp_path / f"town{villages}", villages=villages)
        client = open_home(tmp_path / f"v{villages}", "v01")
        try:
            seen = commits(client)
            outcome, link = await sync(client, town)
            assert outcome.converged and len(client.document_ids()) == villages + 1
            counted.append(len(seen))
            assert link.frames.count("pull") == 1
        finally:
            client.close()
            town.close()
    assert counted[0] == counted[1] <= 3  # the documents, then the peer records


async def test_edits_to_many_documents_travel_in_one_push_and_one_transaction(
    town: Replicas, v01: Replicas
) -> None:
    await sync(v01, town)
    for office in ("v01", "v02", "v03"):  # the township may write every village's ledger
        add_rows(town, office, 2)
    seen = commits(v01)
    outcome, link = await sync(town, v01)
    assert outcome.converged and outcome.sent == 3 and same_everything(v01, town)
    assert link.frames == ["hello", "push", "pull", "heads"]
    assert len(seen) == 2  # the three batches, then the peer records


async def test_frames_over_the_budget_are_split_and_the_sync_still_converges(
    monkeypatch: pytest.MonkeyPatch, town: Replicas, v01: Replicas
) -> None:
    monkeypatch.setattr("vledger.sync.link.session.BUDGET", 3000)
    await sync(v01, town)
    for office in ("v01", "v02", "v03"):  # the township may write every village's ledger
        for _ in range(4):
            add_rows(town, office, 3)
    for _ in range(12):
        add_rows(v01, "v01", 3)
    outcome, link = await sync(town, v01)
    assert outcome.converged and same_everything(v01, town)
    assert link.frames.count("push") > 1 and link.frames.count("pull") > 1
    assert len(people(town, village_doc("v01"))) == 4 + 12 + 36


def test_apply_batches_refuses_a_batch_lacking_dependencies_alone(
    town: Replicas, v01: Replicas
) -> None:
    v02, v03 = village_doc("v02"), village_doc("v03")
    _, *rest = town.changes_since(v03, [])
    got = v01.apply_batches({v02: town.changes_since(v02, []), v03: rest}, "t1:x")
    assert isinstance(got[v03], MissingDependencies) and got[v03].missing == [
        town.document(v03).changes()[0].hash
    ]
    assert v01.document_ids() == [v02]
    assert sorted(v01.heads(v02)) == sorted(town.heads(v02))
    assert not isinstance(got[v02], MissingDependencies) and len(got[v02].applied) == 2


def test_a_failure_after_some_batches_applied_rolls_all_back_and_reloads(
    town: Replicas, v01: Replicas
) -> None:
    v02, v03 = village_doc("v02"), village_doc("v03")
    v01.apply_batches({v02: town.changes_since(v02, [])[:1]}, "t1:x")  # v01 holds genesis
    held = v01.document(v02).heads()
    chunks = sql(v01.home, "SELECT COUNT(*) FROM chunks")
    with pytest.raises(RuntimeError), v01.transaction():
        v01.apply_batches({v02: town.changes_since(v02, []), v03: town.changes_since(v03, [])})
        assert sorted(v01.document(v02).heads()) == sorted(town.heads(v02))
        raise RuntimeError("the link dropped before the frame was answered")
    assert v01.document_ids() == [v02]
    assert sql(v01.home, "SELECT COUNT(*) FROM chunks") == chunks
    assert v01.document(v02).heads() == held  # reloaded from disk, not the rolled-back fork
    assert v01.heads(v02) == held


def test_receiving_without_a_replica_is_idempotent_and_indexed_when_opened(
    town: Replicas, v01: Replicas
) -> None:
    doc = village_doc("v02")
    batch = town.changes_since(doc, [])
    first = v01.apply_batches({doc: batch}, "t1:x")[doc]
    assert not isinstance(first, MissingDependencies) and len(first.applied) == 2
    chunks = sql(v01.home, "SELECT id FROM chunks")
    again = v01.apply_batches({doc: batch + batch[:1]}, "t1:x")[doc]
    assert not isinstance(again, MissingDependencies) and again.applied == ()
    assert sql(v01.home, "SELECT id FROM chunks") == chunks
    assert not v01.is_open(doc)
    entries = v01.replica(doc).journal_entries()  # the index is built now, from the same state
    assert {e.id for e in entries} == {e.id for e in town.replica(doc).journal_entries()}
    assert people(v01, doc) == [0, 1, 2, 3]
    add_rows(town, "v02", 1)
    more = v01.apply_batches({doc: town.changes_since(doc, v01.heads(doc))}, "t1:x")[doc]
    assert not isinstance(more, MissingDependencies) and len(more.entries) == 1  # open: indexed


def test_a_compaction_after_a_received_batch_keeps_it(tmp_path: Path, town: Replicas) -> None:
    receiver = Replicas.open(tmp_path / "small", compact_chunks=1)
    receiver.db.settings.set("office", "v01")
    receiver.db.settings.set("township", TOWN)
    doc = village_doc("v02")
    try:
        for change in town.changes_since(doc, []):
            receiver.apply_batches({doc: [change]}, "t1:x")
        assert sql(receiver.home, "SELECT COUNT(*) FROM chunks WHERE doc_id = 't1/v02/2026'")[0][
            0
        ] <= 1
    finally:
        receiver.close()
    with Replicas.open(tmp_path / "small") as again:
        assert again.report == [] and sorted(again.heads(doc)) == sorted(town.heads(doc))
        assert people(again, doc) == [0, 1, 2, 3]


def test_a_new_village_document_reaches_a_peer_that_never_had_it(
    town: Replicas, v01: Replicas
) -> None:
    own = doc_id(TOWN, "v01", 2027)
    VillageDoc(v01.create_document(own, VILLAGE)).add_row(
        Who("v01", v01.device_id(), "clerk"), PROGRAM, {"people": 1}
    )
    changes = v01.changes_since(own, [])
    sigs = {own: outgoing_signatures(v01, Identity.of(v01).key, own, changes)}
    got = receive(town, TOWN, {own: changes}, "v01:x", SIGNED, sigs=sigs)
    assert got[own].applied == 2 and not got[own].missing
    assert people(town, own) == [1]


def test_peer_records_skip_the_fsync_and_every_other_write_keeps_it(v01: Replicas) -> None:
    def synchronous() -> int:
        return int(v01.db.sql.execute("PRAGMA synchronous").fetchone()[0])

    full = synchronous()
    assert full == 2  # FULL: what an acknowledged edit needs
    seen: list[int] = []
    with v01.transaction(durable=False):
        seen.append(synchronous())
        v01.db.peers.set("t1:x", village_doc("v01"), [b"\x01" * 32], [b"\x01" * 32])
    with v01.transaction(), v01.transaction(durable=False):  # inside a durable one: durable
        seen.append(synchronous())
    with pytest.raises(RuntimeError), v01.transaction(durable=False):
        raise RuntimeError("failed")
    assert seen == [1, 2] and synchronous() == full
    assert v01.db.peers.get("t1:x", village_doc("v01")) == ([b"\x01" * 32], [b"\x01" * 32])


async def test_a_document_the_peer_lacks_is_pushed_whole(town: Replicas, v01: Replicas) -> None:
    await sync(v01, town)
    new_year = doc_id(TOWN, "v01", 2027)
    for _ in range(30):
        add_rows(v01, "v01", 1, new_year)  # a new year's ledger, made offline
    changes = v01.changes_since(new_year, [])
    outcome, link = await sync(v01, town)
    assert outcome.converged and outcome.fallbacks == 0 and same_everything(v01, town)
    assert outcome.sent == len(changes) and link.frames == ["hello", "push", "pull", "heads"]
    assert link.bytes < sum(len(c) for c in changes)
    assert sql(town.home, f"SELECT COUNT(*) FROM chunks WHERE doc_id = '{new_year}'") == [(0,)]
    assert people(town, new_year) == [100] * 30


async def test_a_garbled_whole_document_pushed_is_refused_and_nothing_is_stored(
    town: Replicas, v01: Replicas
) -> None:
    from tests.sync.test_protocol import wire
    from vledger.sync.link.session import Identity, Responder

    new_year = doc_id(TOWN, "v01", 2027)
    add_rows(v01, "v01", 2, new_year)
    data = bytearray(v01.document(new_year).save())
    data[len(data) // 2] ^= 0x33
    responder = Responder(Identity.of(town))
    responder.handle(town, wire(Identity.of(v01).hello({})))
    before = town.document_ids()
    with pytest.raises(FrameError) as refused:
        responder.handle(town, wire({"t": "push", "docs": {}, "whole": {new_year: bytes(data)}}))
    assert refused.value.code == "bad_snapshot" and town.document_ids() == before
    with pytest.raises(FrameError) as odd:
        responder.handle(town, wire({"t": "push", "docs": {}, "whole": {new_year: "text"}}))
    assert odd.value.code == "garbled" and town.document_ids() == before


def test_a_change_reusing_a_held_actor_and_number_is_refused_and_the_rest_applied(
    town: Replicas,
) -> None:
    """An older vledger wrote with one actor per home, so a home restored from a backup
    could write a second change with an actor and number a peer holds: automerge would
    refuse the whole batch for it, cutting the office off. Only it (and what builds on
    it) is refused now."""
    from vledger.sync.binding.doc import ROOT, Doc
    from vledger.sync.trust.checks import UNCHECKED

    doc = village_doc("v02")
    base = town.document(doc)
    restored_actor = b"\x05" * 16
    first = base.fork()
    first.set_actor(restored_actor)
    with first.transaction() as tx:
        tx.put(ROOT, "note", "written before the backup was restored")
    town.apply_batch(doc, first.change_bytes(base.heads()), "v02:old")
    again = base.fork()  # the restored home: same actor, same next number, other content
    again.set_actor(restored_actor)
    with again.transaction() as tx:
        tx.put(ROOT, "note", "written after the restore")
    on_top = again.fork()
    on_top.set_actor(b"\x06" * 16)
    with on_top.transaction() as tx:
        tx.put(ROOT, "more", "builds on the clash")
    aside = base.fork()  # independent of the clash
    aside.set_actor(b"\x07" * 16)
    with aside.transaction() as tx:
        tx.put(ROOT, "other", "independent")
    batch = (again.change_bytes(base.heads()) + on_top.change_bytes(again.heads())
             + aside.change_bytes(base.heads()))
    got = receive(town, TOWN, {doc: batch}, "v02:restored", UNCHECKED)[doc]
    assert got.applied == 1
    reasons = [r.reason for r in got.refused]
    assert len(reasons) == 2 and "automerge actor and number" in reasons[0]
    assert reasons[1] == "it builds on a refused change"
    held = Doc.load(town.document(doc).save())
    assert held.read(ROOT, "note") == "written before the backup was restored"
    assert held.read(ROOT, "other") == "independent" and held.read(ROOT, "more") is None
