"""The SQLite store: durability, compaction, damage on disk, and receiving batches."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

import pytest

from tests.sync.conftest import PROGRAM, TOWNSHIP_DOC, VILLAGE_DOC
from vledger.sync.binding.chunks import BadChange, MissingDependencies
from vledger.sync.documents.journal import Who
from vledger.sync.documents.ledger import VillageDoc
from vledger.sync.documents.replica import (
    TOWNSHIP,
    VILLAGE,
    BatchResult,
    Replica,
    doc_id,
    new_document,
)
from vledger.sync.documents.replicas import Replicas
from vledger.sync.store.database import DB_FILE
from vledger.sync.store.repositories import UnknownDocument

OTHER_DOC = doc_id("t1", "v02", 2026)


def sql(home: Path, statement: str, *args: object) -> list[tuple[object, ...]]:
    """Reach into the database behind the store's back (what damage on disk looks like)."""
    conn = sqlite3.connect(home / DB_FILE)
    try:
        rows = conn.execute(statement, args).fetchall()
        conn.commit()
        return rows
    finally:
        conn.close()


def chunk_ids(home: Path, document: str) -> list[int]:
    return [r[0] for r in sql(home, "SELECT id FROM chunks WHERE doc_id = ? ORDER BY id", document)]  # type: ignore[misc]


def fill(store: Replicas, who: Who, document: str = VILLAGE_DOC, edits: int = 5) -> list[str]:
    """A document with one row per edit (one chunk row each)."""
    village = VillageDoc(store.create_document(document, VILLAGE))
    return [village.add_row(who, PROGRAM, {"people": i}) for i in range(edits)]


def people(store: Replicas, document: str = VILLAGE_DOC) -> list[object]:
    return sorted(r.cells["people"] for r in store.village(document).rows(PROGRAM))  # type: ignore[type-var]


# -- round trips and settings ---------------------------------------------------------------


def test_settings_survive_reopening_and_every_opening_writes_with_a_new_actor(
    store: Replicas, home: Path
) -> None:
    """A copied or restored home, or a second process, must never write with an actor
    (and sequence numbers) a peer may already hold from another copy."""
    store.db.settings.set("office", "v01")
    actor, device = store.actor, store.device_id()
    store.close()
    with Replicas.open(home) as again, Replicas.open(home) as other:
        assert again.db.settings.get("office") == "v01"
        assert again.db.settings.get("nope", "x") == "x"
        assert again.device_id() == device
        assert len({actor, again.actor, other.actor}) == 3


def test_one_chunk_row_per_write_and_heads_kept_without_opening(
    store: Replicas, who: Who, home: Path
) -> None:
    fill(store, who, edits=3)
    heads = store.replica(VILLAGE_DOC).heads()
    store.close()
    assert len(chunk_ids(home, VILLAGE_DOC)) == 4  # genesis + 3 edits
    with Replicas.open(home) as again:
        assert again.heads(VILLAGE_DOC) == sorted(heads)
        assert not again.is_open(VILLAGE_DOC)  # heads come from SQLite alone
        assert people(again) == [0, 1, 2]
        with pytest.raises(UnknownDocument):
            again.replica("t1/v99/2026")


def test_creating_an_existing_document_opens_it(store: Replicas, who: Who) -> None:
    fill(store, who, edits=1)
    assert store.create_document(VILLAGE_DOC, VILLAGE) is store.replica(VILLAGE_DOC)
    store.close_document(VILLAGE_DOC)
    assert people(store) == [0]


# -- compaction ------------------------------------------------------------------------------


def test_compaction_keeps_everything_and_removes_covered_chunks(
    store: Replicas, who: Who, home: Path
) -> None:
    fill(store, who, edits=6)
    fill(store, who, document=OTHER_DOC, edits=2)
    store.compact(VILLAGE_DOC)
    assert chunk_ids(home, VILLAGE_DOC) == []
    assert len(chunk_ids(home, OTHER_DOC)) == 3  # another document's chunks untouched
    VillageDoc(store.replica(VILLAGE_DOC)).add_row(who, PROGRAM, {"people": 6})
    assert len(chunk_ids(home, VILLAGE_DOC)) == 1
    journal = len(store.replica(VILLAGE_DOC).journal_entries())
    store.close()
    with Replicas.open(home) as again:
        assert again.report == []
        assert people(again) == [0, 1, 2, 3, 4, 5, 6]
        assert len(again.replica(VILLAGE_DOC).journal_entries()) == journal == 7
        assert people(again, OTHER_DOC) == [0, 1]


def test_compaction_happens_by_itself_past_the_chunk_limit(home: Path) -> None:
    who = Who("v01", "dev", "")
    with Replicas.open(home, compact_chunks=4) as store:
        fill(store, who, edits=10)
        count, _ = store.chunk_stats(VILLAGE_DOC)
        assert count <= 4
        assert sql(home, "SELECT snapshot IS NOT NULL FROM documents") == [(1,)]
    with Replicas.open(home) as again:
        assert people(again) == list(range(10))


def test_a_store_told_to_compact_when_asked_waits_until_asked(home: Path) -> None:
    """The UI's store: saving a big document holds the process, so it compacts only at
    the clerk's pause; until then the chunks stay, and everything still reads."""
    who = Who("v01", "dev", "")
    with Replicas.open(home, compact_chunks=4) as store:
        store.compact_when_asked = True
        fill(store, who, edits=10)
        assert store.chunk_stats(VILLAGE_DOC)[0] > 4
        assert sql(home, "SELECT snapshot IS NOT NULL FROM documents") == [(0,)]
        assert people(store) == list(range(10))
        assert store.compact_due() == 1
        assert store.chunk_stats(VILLAGE_DOC)[0] <= 4
        assert store.compact_due() == 0  # nothing grew since
    with Replicas.open(home) as again:
        assert people(again) == list(range(10))


# -- damage on disk --------------------------------------------------------------------------


def test_a_truncated_last_chunk_is_reported_and_the_rest_loads(
    store: Replicas, who: Who, home: Path
) -> None:
    fill(store, who, edits=4)
    fill(store, who, document=OTHER_DOC, edits=2)
    store.close()
    last = chunk_ids(home, VILLAGE_DOC)[-1]
    sql(home, "UPDATE chunks SET data = substr(data, 1, length(data) - 7) WHERE id = ?", last)
    with Replicas.open(home, scan=True) as again:
        assert [(d.doc_id, d.part) for d in again.report] == [(VILLAGE_DOC, f"chunk {last}")]
        assert "cut off" in again.report[0].lost
        assert people(again) == [0, 1, 2]
        assert len(again.report) == 1  # the load found the same damage: reported once
        assert people(again, OTHER_DOC) == [0, 1]


def test_a_garbled_middle_chunk_is_reported_with_what_depends_on_it(
    store: Replicas, who: Who, home: Path
) -> None:
    fill(store, who, edits=4)
    store.close()
    ids = chunk_ids(home, VILLAGE_DOC)
    middle = ids[2]
    data = bytearray(sql(home, "SELECT data FROM chunks WHERE id = ?", middle)[0][0])  # type: ignore[arg-type]
    data[len(data) // 2] ^= 0xFF
    sql(home, "UPDATE chunks SET data = ? WHERE id = ?", bytes(data), middle)
    with Replicas.open(home, scan=True) as again:
        assert [d.part for d in again.report] == [f"chunk {middle}"]  # found by the scan
        assert people(again) == [0]
        parts = [d.part for d in again.report]
        assert parts == [f"chunk {i}" for i in ids[2:]]  # later rows build on the lost one
        assert "lost" in again.report[-1].lost
        # Compaction sets the damaged rows aside instead of deleting them.
        again.compact(VILLAGE_DOC)
        assert [r[0] for r in again.lost_chunks(VILLAGE_DOC)] == ids[2:]
    with Replicas.open(home, scan=True) as third:
        assert third.report == [] and people(third) == [0]


def test_a_garbled_snapshot_is_rebuilt_from_chunks_when_they_go_back_far_enough(
    store: Replicas, who: Who, home: Path
) -> None:
    fill(store, who, edits=3)
    store.close()
    garbage = b"\x85oJ\x83garbage"
    sql(home, "UPDATE documents SET snapshot = ? WHERE doc_id = ?", garbage, VILLAGE_DOC)
    with Replicas.open(home, scan=True) as again:
        assert [(d.doc_id, d.part) for d in again.report] == [(VILLAGE_DOC, "snapshot")]
        assert people(again) == [0, 1, 2]
        assert len(again.report) == 1  # nothing else lost: every chunk applied


def test_a_garbled_snapshot_after_compaction_loses_that_document_only(
    store: Replicas, who: Who, home: Path
) -> None:
    fill(store, who, edits=3)
    store.compact(VILLAGE_DOC)
    VillageDoc(store.replica(VILLAGE_DOC)).add_row(who, PROGRAM, {"people": 9})
    fill(store, who, document=OTHER_DOC, edits=2)
    store.close()
    [(stored,)] = sql(home, "SELECT snapshot FROM documents WHERE doc_id = ?", VILLAGE_DOC)
    snapshot = bytearray(stored)  # type: ignore[arg-type]
    snapshot[-10] ^= 0xFF
    sql(home, "UPDATE documents SET snapshot = ? WHERE doc_id = ?", bytes(snapshot), VILLAGE_DOC)
    with Replicas.open(home, scan=True) as again:
        assert people(again) == []
        parts = sorted(d.part for d in again.report if d.doc_id == VILLAGE_DOC)
        assert parts == sorted(["snapshot", f"chunk {chunk_ids(home, VILLAGE_DOC)[0]}"])
        assert people(again, OTHER_DOC) == [0, 1]


def test_a_missing_database_file_is_reported(store: Replicas, who: Who, home: Path) -> None:
    fill(store, who, edits=1)
    store.close()
    for name in (DB_FILE, DB_FILE + "-wal", DB_FILE + "-shm"):
        (home / name).unlink(missing_ok=True)
    with Replicas.open(home, scan=True) as again:
        [damage] = again.report
        assert damage.doc_id is None and "missing" in damage.lost
        assert again.document_ids() == []


def test_a_file_that_is_not_sqlite_is_moved_aside_and_reported(home: Path) -> None:
    home.mkdir(parents=True)
    (home / DB_FILE).write_bytes(b"this is not a database at all" * 100)
    with Replicas.open(home) as store:
        [damage] = store.report
        assert "not a database" in damage.lost
        aside = [p for p in home.iterdir() if p.name.startswith(DB_FILE + ".damaged-")]
        assert len(aside) == 1 and aside[0].read_bytes().startswith(b"this is not")
        assert damage.kept.count(aside[0].name) == 1
        store.db.settings.set("office", "v01")  # the fresh store works


def test_a_fresh_home_reports_nothing(home: Path) -> None:
    with Replicas.open(home) as store:
        assert store.report == []


# -- receiving batches -----------------------------------------------------------------------


def _peer_with_rows(rows: int) -> Replica:
    peer = Replica(VILLAGE_DOC, new_document(VILLAGE_DOC, VILLAGE), b"\x09" * 16)
    village = VillageDoc(peer)
    for i in range(rows):
        village.add_row(Who("v01", "peer", ""), PROGRAM, {"people": 100 + i})
    return peer


def test_apply_batch_is_idempotent_and_durable(store: Replicas, home: Path) -> None:
    peer = _peer_with_rows(3)
    batch = peer.changes_since([])
    result = store.apply_batch(VILLAGE_DOC, batch, origin="t1")
    assert len(result.applied) == 4 and len(result.entries) == 3
    chunks = chunk_ids(home, VILLAGE_DOC)
    assert len(chunks) == 1
    again = store.apply_batch(VILLAGE_DOC, batch, origin="t1")
    assert again.applied == () and chunk_ids(home, VILLAGE_DOC) == chunks
    assert store.replica(VILLAGE_DOC).heads() == peer.heads()
    store.close()
    with Replicas.open(home) as reopened:
        assert people(reopened) == [100, 101, 102]
        assert sql(home, "SELECT origin FROM chunks") == [("t1",)]


def test_apply_batch_merges_with_local_edits(store: Replicas, who: Who) -> None:
    fill(store, who, edits=2)
    peer = _peer_with_rows(1)
    store.apply_batch(VILLAGE_DOC, peer.changes_since([]))
    assert people(store) == [0, 1, 100]
    peer.apply_batch(store.changes_since(VILLAGE_DOC, peer.heads()))
    assert peer.heads() == store.replica(VILLAGE_DOC).heads()


@pytest.mark.parametrize(
    "spoil",
    [
        lambda batch: [*batch[:-1], b"garbage"],
        lambda batch: [*batch[:-1], batch[-1][:-4]],
        lambda batch: [*batch[:-1], batch[-1][:-1] + bytes([batch[-1][-1] ^ 1])],
        lambda batch: [*batch, "not bytes"],
    ],
)
def test_a_bad_batch_changes_nothing(store: Replicas, who: Who, home: Path, spoil: object) -> None:
    fill(store, who, edits=1)
    heads, chunks = store.replica(VILLAGE_DOC).heads(), chunk_ids(home, VILLAGE_DOC)
    batch = _peer_with_rows(3).changes_since([])
    with pytest.raises(BadChange):
        store.apply_batch(VILLAGE_DOC, spoil(batch))  # type: ignore[operator]
    assert store.replica(VILLAGE_DOC).heads() == heads
    assert chunk_ids(home, VILLAGE_DOC) == chunks
    assert people(store) == [0]


def test_a_batch_missing_its_dependencies_is_refused_whole(store: Replicas, home: Path) -> None:
    peer = _peer_with_rows(3)
    first, *rest = peer.changes_since([])
    with pytest.raises(MissingDependencies) as refused:
        store.apply_batch(VILLAGE_DOC, rest)
    assert refused.value.missing == [peer.doc.changes()[0].hash]
    assert not store.has_document(VILLAGE_DOC)  # the empty document made to receive is gone
    store.apply_batch(VILLAGE_DOC, [first])
    with pytest.raises(MissingDependencies):
        store.apply_batch(VILLAGE_DOC, rest[1:])
    assert store.replica(VILLAGE_DOC).heads() == [peer.doc.changes()[0].hash]
    store.apply_batch(VILLAGE_DOC, rest)
    assert people(store) == [100, 101, 102]


def test_a_parsed_batch_is_stored_without_reading_it_back_from_automerge(
    store: Replicas, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The receive gate hands over the batch it parsed: when the document's heads after
    the apply are the ones the batch leads to, the changes are stored as parsed; when
    not (a change waits for one the batch lacks), automerge says what it applied."""
    from vledger.sync.binding.chunks import parse_changes
    from vledger.sync.binding.doc import Doc

    peer = _peer_with_rows(3)
    first, second, *rest = peer.changes_since([])
    read_back: list[int] = []
    real = Doc.hashes_and_bytes

    def counted(doc: Doc, since: Sequence[bytes] = ()) -> tuple[list[bytes], list[bytes]]:
        read_back.append(1)
        return real(doc, since)

    monkeypatch.setattr(Doc, "hashes_and_bytes", counted)
    batch = [first, second]
    result = store.apply_batches({VILLAGE_DOC: batch}, "t1",
                                 {VILLAGE_DOC: parse_changes(batch)})[VILLAGE_DOC]
    assert read_back == [] and isinstance(result, BatchResult)
    assert list(result.applied) == [i.hash for i in parse_changes(batch)]
    waiting = store.apply_batches({VILLAGE_DOC: rest[1:]}, "t1",
                                  {VILLAGE_DOC: parse_changes(rest[1:])})[VILLAGE_DOC]
    assert isinstance(waiting, MissingDependencies)  # the second of `rest` lacks the first
    assert read_back == [1]
    backwards = rest[::-1]  # stored in the order it came: automerge loads any order
    store.apply_batches({VILLAGE_DOC: backwards}, "t1",
                        {VILLAGE_DOC: parse_changes(backwards)})
    assert store.heads(VILLAGE_DOC) == peer.heads() and read_back == [1]
    store.close()
    with Replicas.open(home) as reopened:
        assert people(reopened) == [100, 101, 102] and reopened.report == []


def test_a_received_township_document_opens_as_one(store: Replicas) -> None:
    peer = Replica(TOWNSHIP_DOC, new_document(TOWNSHIP_DOC, TOWNSHIP), b"\x09" * 16)
    from vledger.sync.documents.township import TownshipDoc

    TownshipDoc(peer).set_name(Who("t1", "d", ""), "青石乡")
    store.apply_batch(TOWNSHIP_DOC, peer.changes_since([]))
    assert store.township(TOWNSHIP_DOC).name == "青石乡"


# -- sync bookkeeping and the measures cache ------------------------------------------------


def test_peer_heads_are_kept_per_peer_and_document(store: Replicas, who: Who) -> None:
    fill(store, who, edits=1)
    ours = store.replica(VILLAGE_DOC).heads()
    assert store.db.peers.get("t1", VILLAGE_DOC) is None
    store.db.peers.set("t1", VILLAGE_DOC, ours, [])
    assert store.db.peers.get("t1", VILLAGE_DOC) == (ours, [])
    assert store.db.peers.get("v02", VILLAGE_DOC) is None
    store.db.peers.set("v02", VILLAGE_DOC, ours, ours)
    listed = [(r.peer, r.doc, r.ours, r.theirs) for r in store.db.peers.all()]
    assert listed == [("t1", VILLAGE_DOC, ours, []), ("v02", VILLAGE_DOC, ours, ours)]
    assert store.db.peers.held_by_both(VILLAGE_DOC) == [ours]  # t1's ours != theirs
    store.db.peers.set("v03", VILLAGE_DOC, ours, ours)
    store.db.peers.set("v03", "t1/t1/2026", [], [])
    assert store.db.peers.held_by_both(VILLAGE_DOC) == [ours]  # once for v02 and v03
    assert store.db.peers.held_by_both("t1/t1/2026") == [[]]
    assert store.db.peers.of_peer("v03") == {VILLAGE_DOC: (ours, ours), "t1/t1/2026": ([], [])}
    store.db.peers.forget("t1")
    assert store.db.peers.get("t1", VILLAGE_DOC) is None


def test_measures_cache_is_keyed_by_heads_and_version(store: Replicas, who: Who) -> None:
    fill(store, who, edits=1)
    heads = store.heads(VILLAGE_DOC)
    plain = {"version": 1, "indicators": {"drills": {"Q1": {"kind": "count", "rows": ["a"]}}}}
    store.db.caches.put(VILLAGE_DOC, PROGRAM, heads, plain, version="v1")
    assert store.db.caches.get(VILLAGE_DOC, PROGRAM, heads, "v1") == plain
    assert store.db.caches.get(VILLAGE_DOC, PROGRAM, heads, "v2") is None
    VillageDoc(store.replica(VILLAGE_DOC)).add_row(who, PROGRAM, {"people": 5})
    assert store.db.caches.get(VILLAGE_DOC, PROGRAM, store.heads(VILLAGE_DOC), "v1") is None


def test_a_full_disk_is_said_and_the_edit_is_not_half_stored(
    store: Replicas, who: Who, home: Path
) -> None:
    from vledger.sync.store.database import StoreWriteFailed

    fill(store, who, edits=2)
    store.db.sql.execute("VACUUM")  # no free page left inside the file (migrations free some)
    pages = int(store.db.sql.execute("PRAGMA page_count").fetchone()[0])
    store.db.sql.execute(f"PRAGMA max_page_count = {pages}")  # the disk is full now
    village = VillageDoc(store.replica(VILLAGE_DOC))
    with pytest.raises(StoreWriteFailed, match="is full: nothing of this was stored"):
        village.add_rows(who, PROGRAM, [{"people": 100 + i, "note": "x" * 500}
                                        for i in range(200)])
    assert people(store) == [0, 1]  # the open document forgot the refused write
    store.close()
    with Replicas.open(home, scan=True) as again:
        assert again.report == [] and people(again) == [0, 1]
        VillageDoc(again.replica(VILLAGE_DOC)).add_row(who, PROGRAM, {"people": 7})
        assert people(again) == [0, 1, 7]


def test_a_folder_that_cannot_be_written_is_said_and_nothing_moved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """(As root every folder can be written, so the refusal is reached by saying the
    folder cannot be written.)"""
    import os

    from vledger.sync.store.database import StoreUnreadable

    home = tmp_path / "home"
    Replicas.open(home).close()
    real = os.access
    monkeypatch.setattr(os, "access", lambda path, mode: False if Path(path) == home
                        else real(path, mode))
    with pytest.raises(StoreUnreadable, match="is not a folder you can write to"):
        Replicas.open(home)
    assert not list(home.glob("vledger.db.damaged-*"))
