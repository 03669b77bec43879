"""Reading a document never decodes its journal; the index is built when a write needs it.

The journal index is what links a new journal entry to the cell's history
(`prev`, `settles`). Built lazily, it must still be the index of the journal as
the replica holds it when it writes: these tests open documents fresh from
disk (nothing decoded), then write, and check the links.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from automerge import core

from tests.sync.conftest import PROGRAM, VILLAGE_DOC, PersistWith
from vledger.domain.history import RESOLVE, History, JournalEntry
from vledger.domain.indicators import measure
from vledger.domain.program_file import load_program
from vledger.fixtures.township import program_paths, program_stem
from vledger.sync.binding.doc import ROOT, Doc
from vledger.sync.documents import replica as replica_module
from vledger.sync.documents.adds import is_implied
from vledger.sync.documents.journal import Who
from vledger.sync.documents.ledger import LEDGERS, VillageDoc
from vledger.sync.documents.replica import JOURNAL, VILLAGE, Replica
from vledger.sync.documents.replicas import Replicas
from vledger.sync.services.ranking import villages_measures

A = Who("v01", "dev-a", "王")
B = Who("t1", "dev-b", "李")


@pytest.fixture
def decoded(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Ids of every journal entry decoded from now on."""
    seen: list[str] = []
    real: Callable[[str, bytes, str], JournalEntry] = replica_module.decode_entry

    def counting(entry_id: str, data: bytes, home: str = "") -> JournalEntry:
        seen.append(entry_id)
        return real(entry_id, data, home)

    monkeypatch.setattr(replica_module, "decode_entry", counting)
    return seen


@pytest.fixture
def two_homes(tmp_path: Path) -> Iterator[tuple[Replicas, Replicas]]:
    a, b = Replicas.open(tmp_path / "a"), Replicas.open(tmp_path / "b")
    try:
        yield a, b
    finally:
        a.close()
        b.close()


def exchange(a: Replicas, b: Replicas, doc: str = VILLAGE_DOC) -> None:
    """Both ways through the stores' apply_batch, as a sync does."""
    b.apply_batch(doc, a.changes_since(doc, b.heads(doc) if b.has_document(doc) else []))
    a.apply_batch(doc, b.changes_since(doc, a.heads(doc)))


def reopen(store: Replicas) -> Replicas:
    store.close()
    return Replicas.open(store.home)


def ledger_with_history(store: Replicas) -> tuple[str, str]:
    """A village ledger with two rows and several edits each; (first row, second row)."""
    store.create_document(VILLAGE_DOC, VILLAGE)
    village = store.village(VILLAGE_DOC)
    first, second = village.add_rows(A, PROGRAM, [
        {"date": "2026-03-05", "kind": "安全宣传", "participants": 12},
        {"date": "2026-01-02", "kind": "应急演练", "fixed": False},
    ])
    village.set_cells(A, PROGRAM, first, {"participants": 13})
    village.set_cells(A, PROGRAM, second, {"fixed": True, "note": "补记"})
    village.delete_row(A, PROGRAM, second)
    return first, second


def test_opening_and_reading_rows_decodes_no_journal_entry(
    tmp_path: Path, decoded: list[str]
) -> None:
    store = Replicas.open(tmp_path / "home")
    first, second = ledger_with_history(store)
    store = reopen(store)
    decoded.clear()
    try:
        village = store.village(VILLAGE_DOC)
        rows = village.rows(PROGRAM, "date")
        assert [r.id for r in rows] == [second, first]
        assert rows[1].cells["participants"] == 13 and rows[0].deleted
        assert village.row(PROGRAM, first) is not None and village.programs() == [PROGRAM]
        assert village.replica.header["office"] == "v01"
        assert decoded == []
        assert not village.replica.index_built
        # The counter does see decoding: the first write reads the whole journal once.
        stored = village.replica.keys([JOURNAL])
        village.set_cells(A, PROGRAM, first, {"participants": 14})
        # 4 stored: the two rows' 6 add entries are implied by the rows (documents/adds.py).
        assert sorted(decoded) == sorted(stored) and len(stored) == 4
    finally:
        store.close()


def test_measuring_a_village_decodes_no_journal_entry(
    tmp_path: Path, decoded: list[str]
) -> None:
    source = next(p for p in program_paths() if program_stem(p) == PROGRAM)
    program = load_program(source.read_text(encoding="utf-8"), str(source))
    store = Replicas.open(tmp_path / "home")
    first, _ = ledger_with_history(store)
    store = reopen(store)
    decoded.clear()
    try:
        measured = villages_measures(store, program, [VILLAGE_DOC])[VILLAGE_DOC]
        assert not store.is_open(VILLAGE_DOC)  # opened only to be measured, closed again
        expected = measure(program, store.village(VILLAGE_DOC).rows(PROGRAM))
    finally:
        store.close()
    assert decoded == []
    assert measured == expected
    # The live row is a 安全宣传 with 13 participants; the deleted one counts nowhere.
    assert measured.values[("audience", "year")].total == 13
    assert measured.values[("audience", "year")].rows == (first,)


def test_first_write_after_a_lazy_open_links_to_the_last_edit(tmp_path: Path) -> None:
    store = Replicas.open(tmp_path / "home")
    first, _ = ledger_with_history(store)
    [last] = [
        e for e in store.replica(VILLAGE_DOC).journal_entries()
        if e.cell[2:] == (first, "participants") and e.op == "set"
    ]
    store = reopen(store)
    try:
        village = store.village(VILLAGE_DOC)
        assert not village.replica.index_built
        [entry] = village.set_cells(A, PROGRAM, first, {"participants": 20})
        assert entry.prev == last.id and entry.settles == () and entry.op == "set"
    finally:
        store.close()


def test_first_write_after_a_lazy_open_settles_a_concurrent_edit(
    two_homes: tuple[Replicas, Replicas], decoded: list[str]
) -> None:
    a, b = two_homes
    a.create_document(VILLAGE_DOC, VILLAGE)
    row = a.village(VILLAGE_DOC).add_row(A, PROGRAM, {"date": "2026-02-01", "participants": 1})
    exchange(a, b)
    [ea] = a.village(VILLAGE_DOC).set_cells(A, PROGRAM, row, {"participants": 5})
    [eb] = b.village(VILLAGE_DOC).set_cells(B, PROGRAM, row, {"participants": 7})
    assert ea.prev == eb.prev  # both built on the add: a conflict once they meet
    exchange(a, b)
    a = reopen(a)
    try:
        village = a.village(VILLAGE_DOC)
        shown = village.row(PROGRAM, row).cells["participants"]  # type: ignore[union-attr]
        decoded.clear()
        assert not village.replica.index_built
        [fix] = village.set_cells(A, PROGRAM, row, {"participants": 6})
        assert decoded  # the index was built for this write, from the merged journal
        assert fix.op == RESOLVE and set(fix.settles) == {ea.id, eb.id}
        assert fix.prev == min(ea.id, eb.id) and shown in (5, 7)
        history = History(village.replica.journal_entries())
        assert history.conflicts(lambda cell: 6) == []
    finally:
        a.close()


def test_a_batch_received_before_the_index_is_built_is_linked_to(
    two_homes: tuple[Replicas, Replicas],
) -> None:
    a, b = two_homes
    a.create_document(VILLAGE_DOC, VILLAGE)
    row = a.village(VILLAGE_DOC).add_row(A, PROGRAM, {"participants": 1})
    exchange(a, b)
    [theirs] = b.village(VILLAGE_DOC).set_cells(B, PROGRAM, row, {"participants": 2})
    a = reopen(a)
    try:
        replica = a.replica(VILLAGE_DOC)
        assert not replica.index_built
        result = a.apply_batch(VILLAGE_DOC, b.changes_since(VILLAGE_DOC, a.heads(VILLAGE_DOC)))
        assert [e.id for e in result.entries] == [theirs.id]  # the batch's entries, decoded
        assert not replica.index_built  # receiving did not need the whole journal
        [mine] = a.village(VILLAGE_DOC).set_cells(A, PROGRAM, row, {"participants": 3})
        assert mine.prev == theirs.id and mine.op == "set"
    finally:
        a.close()


def test_a_built_index_follows_received_batches(two_homes: tuple[Replicas, Replicas]) -> None:
    a, b = two_homes
    a.create_document(VILLAGE_DOC, VILLAGE)
    row = a.village(VILLAGE_DOC).add_row(A, PROGRAM, {"participants": 1})
    exchange(a, b)
    replica = a.replica(VILLAGE_DOC)
    assert replica.index_built  # the add built it
    [theirs] = b.village(VILLAGE_DOC).set_cells(B, PROGRAM, row, {"participants": 2})
    exchange(a, b)
    assert theirs.id in replica.index
    assert replica.index.prev_for((PROGRAM, "v01", row, "participants")) == theirs.id


def test_a_failed_write_leaves_an_index_that_matches_the_document(tmp_path: Path) -> None:
    failing = [False]

    def persist(changes: list[bytes], origin: str, heads: list[bytes]) -> None:
        if failing[0]:
            raise OSError("disk full")

    doc = Replica(VILLAGE_DOC, replica_module.new_document(VILLAGE_DOC, VILLAGE), b"\x07" * 16,
                  PersistWith(persist))
    village = VillageDoc(doc)
    row = village.add_row(A, PROGRAM, {"participants": 1})
    [good] = village.set_cells(A, PROGRAM, row, {"participants": 2})
    failing[0] = True
    with pytest.raises(OSError):
        village.set_cells(A, PROGRAM, row, {"participants": 3})
    failing[0] = False
    cell = (PROGRAM, "v01", row, "participants")
    assert doc.index.ids == {e.id for e in doc.stored_entries()}
    assert doc.index.prev_for(cell) == good.id
    # Refused inside the transaction, after the first edit's entry was indexed.
    edits = [
        *village.set_cell_edits(PROGRAM, row, {"participants": 9}),
        replica_module.Edit("set", (PROGRAM, "v01", "gone", "x"), (LEDGERS, "no/row", "x"), 1),
    ]
    with pytest.raises(replica_module.EditRefused):
        doc.write(A, edits)
    assert doc.index.ids == {e.id for e in doc.stored_entries()}
    [after] = village.set_cells(A, PROGRAM, row, {"participants": 4})
    assert after.prev == good.id


def test_bulk_reads_give_what_reading_key_by_key_gives() -> None:
    """Replica.read_children and Replica.read against Doc.read key by key, odd values too."""
    replica = Replica(VILLAGE_DOC, replica_module.new_document(VILLAGE_DOC, VILLAGE), b"\x01" * 16)
    VillageDoc(replica).add_rows(A, PROGRAM, [
        {"date": "2026-01-02", "kind": "宣传", "participants": 3, "fixed": True},
        {},
    ])
    raw = core.Document.load(replica.doc.save())
    ledgers = Doc(raw).map_id(ROOT, LEDGERS)
    assert ledgers is not None
    with raw.transaction() as tx:  # what other tools (or damage) could leave behind
        odd = tx.put_object(ledgers, f"{PROGRAM}/oddrow01", core.ObjType.Map)
        cells = tx.put_object(odd, "cells", core.ObjType.Map)
        tx.put(cells, "f", core.ScalarType.F64, 1.25)
        tx.put(cells, "b", core.ScalarType.Bytes, b"\x00\x01")
        tx.put(cells, "t", core.ScalarType.Timestamp, datetime(2026, 1, 2, 3, 4, 5))
        tx.put(cells, "u", core.ScalarType.Uint, 7)
        tx.put(cells, "z", core.ScalarType.Null, None)
        tx.put_object(cells, "nested", core.ObjType.Map)
        tx.put_object(cells, "list", core.ObjType.List)
        tx.put(odd, "created", core.ScalarType.Str, "not a number")
        tx.put(ledgers, "other/notamap", core.ScalarType.Int, 1)
    replica = Replica(VILLAGE_DOC, Doc(raw), b"\x01" * 16)
    doc = replica.doc
    expected = {key: doc.read(ledgers, key) for key in doc.keys(ledgers)}
    assert replica.read_children([LEDGERS]) == expected
    assert replica.read_children([LEDGERS], f"{PROGRAM}/") == {
        k: v for k, v in expected.items() if k.startswith(f"{PROGRAM}/")
    }
    assert all(replica.read([LEDGERS, key]) == value for key, value in expected.items())
    odd_cells = expected[f"{PROGRAM}/oddrow01"]["cells"]  # type: ignore[index]
    assert odd_cells["f"] == "1.25" and odd_cells["b"] == b"\x00\x01"  # type: ignore[index]
    rows = {r.id: r for r in VillageDoc(replica).rows(PROGRAM)}
    assert rows["oddrow01"].cells == {
        k: v for k, v in odd_cells.items() if not isinstance(v, dict)  # type: ignore[union-attr]
    }
    assert "list" in rows["oddrow01"].cells and "nested" not in rows["oddrow01"].cells
    assert rows["oddrow01"].created == 0 and rows["oddrow01"].order == 0  # sorts first


def test_a_history_read_indexes_what_it_decoded(tmp_path: Path, decoded: list[str]) -> None:
    store = Replicas.open(tmp_path / "home")
    first, _ = ledger_with_history(store)
    store = reopen(store)
    try:
        replica = store.replica(VILLAGE_DOC)
        decoded.clear()
        entries = replica.journal_entries()
        stored = sorted(e.id for e in entries if not is_implied(e.id))
        assert sorted(decoded) == stored and replica.index_built
        [last] = [e for e in entries if e.cell[2:] == (first, "participants") and e.op == "set"]
        decoded.clear()
        [entry] = VillageDoc(replica).set_cells(A, PROGRAM, first, {"participants": 30})
        assert decoded == [] and entry.prev == last.id  # no second decoding for the write
    finally:
        store.close()


def test_bulk_reads_show_the_same_winner_of_a_conflict_as_get() -> None:
    replicas = [
        Replica(VILLAGE_DOC, replica_module.new_document(VILLAGE_DOC, VILLAGE), bytes([n]) * 16)
        for n in (1, 2, 3)
    ]
    first = replicas[0]
    row = VillageDoc(first).add_row(A, PROGRAM, {"participants": 1, "note": "x"})
    for other in replicas[1:]:
        other.apply_batch(first.changes_since([]))
    for n, replica in enumerate(replicas):
        VillageDoc(replica).set_cells(A, PROGRAM, row, {"participants": 10 + n, "note": None})
    for other in replicas[1:]:
        first.apply_batch(other.changes_since(first.heads()))
    doc = first.doc
    ledgers = doc.map_id(ROOT, LEDGERS)
    assert ledgers is not None
    expected = {key: doc.read(ledgers, key) for key in doc.keys(ledgers)}
    assert first.read_children([LEDGERS]) == expected
    assert expected[f"{PROGRAM}/{row}"]["cells"]["participants"] in (10, 11, 12)  # type: ignore[index]
