"""Several processes on one home: each `Replicas` here has its own SQLite connection and
its own cached documents, as a separate process has (tests/e2e runs real processes).

Both writes are kept whether two processes write the same document or different ones,
each sees what the other wrote, the stored heads are always the heads of everything
stored, and a compaction by one does not lose what the other writes next.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sync.conftest import PROGRAM, VILLAGE_DOC
from vledger.sync.binding.doc import Doc
from vledger.sync.documents.journal import Who
from vledger.sync.documents.ledger import VillageDoc
from vledger.sync.documents.replica import VILLAGE, doc_id
from vledger.sync.documents.replicas import Replicas
from vledger.sync.link.transport import HomeGate

OTHER_DOC = doc_id("t1", "v02", 2026)


@pytest.fixture
def two(tmp_path: Path) -> Iterator[tuple[Replicas, Replicas]]:
    home = tmp_path / "home"
    a = Replicas.open(home)
    a.create_document(VILLAGE_DOC, VILLAGE)
    a.create_document(OTHER_DOC, VILLAGE)
    b = Replicas.open(home)
    try:
        yield a, b
    finally:
        a.close()
        b.close()


def people(store: Replicas, document: str = VILLAGE_DOC) -> list[int]:
    return sorted(int(r.cells["people"]) for r in store.village(document).rows(PROGRAM))


def stored_heads_are_the_whole_document(home: Path, document: str) -> None:
    """What a fresh process loads from the rows has exactly the heads the store names."""
    with Replicas.open(home) as fresh:
        assert sorted(fresh.document(document).heads()) == sorted(fresh.heads(document))


def test_two_processes_writing_one_document_keep_both_writes(
    two: tuple[Replicas, Replicas],
) -> None:
    a, b = two
    who_a, who_b = Who("v01", "dev-a", "甲"), Who("v01", "dev-b", "乙")
    VillageDoc(a.replica(VILLAGE_DOC)).add_row(who_a, PROGRAM, {"people": 1})
    # b opened the document before a wrote: its copy is behind the store
    b.replica(VILLAGE_DOC)
    VillageDoc(a.replica(VILLAGE_DOC)).add_row(who_a, PROGRAM, {"people": 2})
    VillageDoc(b.replica(VILLAGE_DOC)).add_row(who_b, PROGRAM, {"people": 3})
    VillageDoc(a.replica(VILLAGE_DOC)).add_row(who_a, PROGRAM, {"people": 4})
    assert people(a) == people(b) == [1, 2, 3, 4]
    assert a.heads(VILLAGE_DOC) == b.heads(VILLAGE_DOC)
    stored_heads_are_the_whole_document(a.home, VILLAGE_DOC)


def test_two_processes_writing_different_documents_keep_both(
    two: tuple[Replicas, Replicas],
) -> None:
    a, b = two
    VillageDoc(a.replica(VILLAGE_DOC)).add_row(Who("v01", "a"), PROGRAM, {"people": 1})
    VillageDoc(b.replica(OTHER_DOC)).add_row(Who("v02", "b"), PROGRAM, {"people": 2})
    assert people(b, VILLAGE_DOC) == [1] and people(a, OTHER_DOC) == [2]
    for document in (VILLAGE_DOC, OTHER_DOC):
        stored_heads_are_the_whole_document(a.home, document)


def test_an_edit_links_to_the_edit_another_process_made_before_it(
    two: tuple[Replicas, Replicas],
) -> None:
    """The history stays one chain: b's edit of a cell that a set names a's entry as prev."""
    a, b = two
    b_ledger = VillageDoc(b.replica(VILLAGE_DOC))  # b's copy, then a writes
    row = VillageDoc(a.replica(VILLAGE_DOC)).add_row(Who("v01", "a"), PROGRAM, {"people": 1})
    [first] = VillageDoc(a.replica(VILLAGE_DOC)).set_cells(Who("v01", "a"), PROGRAM, row,
                                                          {"people": 2})
    [second] = b_ledger.set_cells(Who("v01", "b"), PROGRAM, row, {"people": 3})
    assert second.prev == first.id and second.old == 2
    assert people(a) == [3]


def test_received_changes_land_on_top_of_another_process_s_write(
    two: tuple[Replicas, Replicas], tmp_path: Path,
) -> None:
    a, b = two
    b.document(VILLAGE_DOC)  # cached, bare
    VillageDoc(a.replica(VILLAGE_DOC)).add_row(Who("v01", "a"), PROGRAM, {"people": 1})
    peer = Replicas.open(tmp_path / "peer")
    try:
        peer.apply_batch(VILLAGE_DOC, a.changes_since(VILLAGE_DOC, []))
        VillageDoc(peer.replica(VILLAGE_DOC)).add_row(Who("v01", "p"), PROGRAM, {"people": 2})
        b.apply_batches({VILLAGE_DOC: peer.changes_since(VILLAGE_DOC, [])}, "peer")
    finally:
        peer.close()
    assert people(a) == [1, 2]
    stored_heads_are_the_whole_document(a.home, VILLAGE_DOC)


def test_a_compaction_by_one_process_loses_nothing_the_other_writes_next(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    a = Replicas.open(home, compact_chunks=3)
    b = Replicas.open(home, compact_chunks=1000)
    try:
        a.create_document(VILLAGE_DOC, VILLAGE)
        b_ledger = VillageDoc(b.replica(VILLAGE_DOC))
        for n in range(6):  # a compacts on the way: the rows b saw are gone
            VillageDoc(a.replica(VILLAGE_DOC)).add_row(Who("v01", "a"), PROGRAM, {"people": n})
        assert a.chunk_stats(VILLAGE_DOC)[0] < 6
        b_ledger.add_row(Who("v01", "b"), PROGRAM, {"people": 100})
        assert people(a) == people(b) == [0, 1, 2, 3, 4, 5, 100]
        a.compact(VILLAGE_DOC)
        stored_heads_are_the_whole_document(home, VILLAGE_DOC)
    finally:
        a.close()
        b.close()


def test_a_reader_sees_another_process_s_write_without_reopening(
    two: tuple[Replicas, Replicas],
) -> None:
    a, b = two
    assert people(b) == []
    VillageDoc(a.replica(VILLAGE_DOC)).add_row(Who("v01", "a"), PROGRAM, {"people": 7})
    assert people(b) == [7]


def test_this_home_s_own_changes_are_known_by_hash_whatever_the_actor(
    two: tuple[Replicas, Replicas],
) -> None:
    a, b = two
    VillageDoc(a.replica(VILLAGE_DOC)).add_row(Who("v01", "a"), PROGRAM, {"people": 1})
    VillageDoc(b.replica(VILLAGE_DOC)).add_row(Who("v01", "b"), PROGRAM, {"people": 2})
    changes = a.document(VILLAGE_DOC).changes()
    genesis = changes[0].hash
    made_here = {c.hash for c in changes} - {genesis}
    assert len({c.actor for c in changes if c.hash in made_here}) == 2
    assert a.db.own_changes.among(VILLAGE_DOC, made_here) == made_here
    assert set(a.db.own_changes.unvouched(VILLAGE_DOC)) == made_here
    received = Doc()
    received.apply(a.changes_since(VILLAGE_DOC, []))
    assert received.heads() == a.heads(VILLAGE_DOC)


async def test_a_server_compacts_once_its_syncs_stop_not_in_the_middle(
    tmp_path: Path,
) -> None:
    """The server's home compacts a document that grew only when no sync has used it
    for a moment: mid-burst, a compaction stalls the links, and a UI on the same home
    would load the whole new snapshot to catch up."""
    home = tmp_path / "home"
    with Replicas.open(home) as first:
        first.create_document(VILLAGE_DOC, VILLAGE)
    gate = HomeGate(home, linger=0.05)
    try:
        async with gate.use() as store:
            store.compact_chunks = 2
            for n in range(5):
                VillageDoc(store.replica(VILLAGE_DOC)).add_row(Who("v01", "a"), PROGRAM,
                                                               {"people": n})
            assert store.chunk_stats(VILLAGE_DOC)[0] > 2
        for _ in range(100):
            await asyncio.sleep(0.02)
            if store.chunk_stats(VILLAGE_DOC)[0] <= 2:
                break
        assert store.chunk_stats(VILLAGE_DOC)[0] <= 2
        assert people(store) == [0, 1, 2, 3, 4]
    finally:
        gate.close()
    stored_heads_are_the_whole_document(home, VILLAGE_DOC)
