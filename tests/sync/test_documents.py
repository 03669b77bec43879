"""Village and township documents: the one write path, its journal, and merging replicas."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.sync.conftest import PROGRAM, TOWNSHIP_DOC, VILLAGE_DOC, PersistWith
from vledger.domain.history import RESOLVE, History, JournalEntry
from vledger.sync.binding.doc import ROOT
from vledger.sync.documents.journal import JournalIndex, Who, decode_entry
from vledger.sync.documents.ledger import LEDGERS, VillageDoc
from vledger.sync.documents.replica import (
    JOURNAL,
    TOWNSHIP,
    VILLAGE,
    EditRefused,
    Replica,
    new_document,
)
from vledger.sync.documents.replicas import Replicas
from vledger.sync.documents.township import SheetValue, TownshipDoc

A = Who("v01", "dev-a", "王")
B = Who("t1", "dev-b", "李")


def replica(actor: bytes, kind: str = VILLAGE, doc: str = VILLAGE_DOC) -> Replica:
    """An in-memory replica (no store) with its own actor."""
    return Replica(doc, new_document(doc, kind), actor)


def exchange(a: Replica, b: Replica) -> None:
    """Sync two replicas both ways through apply_batch, as peers will."""
    b.apply_batch(a.changes_since(b.heads()))
    a.apply_batch(b.changes_since(a.heads()))


def test_ledger_round_trip_through_the_store(store: Replicas, who: Who) -> None:
    store.create_document(VILLAGE_DOC, VILLAGE)
    village = store.village(VILLAGE_DOC)
    first, second = village.add_rows(who, PROGRAM, [
        {"date": "2026-03-05", "kind": "演练", "people": 12, "cost": "120.50", "done": True},
        {"date": "2026-01-02", "kind": "宣传", "done": False, "note": None},
    ])
    village.set_cells(who, PROGRAM, first, {"people": 13, "kind": None})
    village.delete_row(who, PROGRAM, second)
    store.close()

    with Replicas.open(store.home) as again:
        assert again.report == []
        rows = again.village(VILLAGE_DOC).rows(PROGRAM, "date")
    assert [r.id for r in rows] == [second, first]  # date order
    assert rows[1].cells == {"date": "2026-03-05", "people": 13, "cost": "120.50", "done": True}
    assert rows[0].cells == {"date": "2026-01-02", "kind": "宣传", "done": False}
    assert rows[0].deleted and not rows[1].deleted
    assert isinstance(rows[1].cells["done"], bool)


def test_township_round_trip_through_the_store(store: Replicas) -> None:
    store.create_document(TOWNSHIP_DOC, TOWNSHIP)
    township = store.township(TOWNSHIP_DOC)
    township.set_name(B, "青石乡")
    township.put_office(B, "v01", "一村", "北片")
    township.put_office(B, "t1", "青石乡", kind="township")
    township.publish_program(B, PROGRAM, "id = 'safety-2026'\n")
    township.set_values(B, [
        SheetValue("targets", PROGRAM, "v01", "drills", Decimal("10")),
        SheetValue("entered", PROGRAM, "v01", "hazards", "2.5", period="Q1"),
        SheetValue("manual", PROGRAM, "v01", "records", "7.50", period="year"),
        SheetValue("adjustments", PROGRAM, "v01", "city_praise", 2, period="Q1"),
    ])
    store.close()
    with Replicas.open(store.home) as again:
        township = again.township(TOWNSHIP_DOC)
        assert township.name == "青石乡"
        assert [(o.id, o.name, o.area, o.kind) for o in township.offices()] == [
            ("t1", "青石乡", "", "township"), ("v01", "一村", "北片", "village"),
        ]
        assert township.program_source(PROGRAM) == "id = 'safety-2026'\n"
        assert township.targets(PROGRAM) == {("v01", "drills"): "10"}
        assert township.sheet("entered", PROGRAM) == {("v01", "Q1", "hazards"): "2.5"}
        assert township.sheet("manual", PROGRAM) == {("v01", "year", "records"): "7.50"}
        assert township.sheet("adjustments", PROGRAM) == {("v01", "Q1", "city_praise"): 2}
        cells = {e.cell for e in again.replica(TOWNSHIP_DOC).journal_entries()}
    assert (PROGRAM, "v01", "target:drills", "") in cells
    assert (PROGRAM, "v01", "entered:hazards", "Q1") in cells
    assert (PROGRAM, "v01", "adjustment:city_praise", "Q1") in cells


def test_the_roster_is_read_at_once_not_office_by_office(
    store: Replicas, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every UI start reads the roster (whoami, the villages of each year): one read of
    the roster map, however many villages it holds."""
    store.create_document(TOWNSHIP_DOC, TOWNSHIP)
    township = store.township(TOWNSHIP_DOC)
    for n in range(1, 13):
        township.put_office(B, f"v{n:02}", f"{n}村", "北片")
    reads: list[object] = []
    read = Replica.read
    monkeypatch.setattr(Replica, "read", lambda replica, path: reads.append(path)
                        or read(replica, path))
    offices = township.offices()
    assert [o.id for o in offices] == [f"v{n:02}" for n in range(1, 13)]
    assert offices[0].name == "1村" and offices[0].area == "北片"
    assert reads == []


def test_each_edit_is_one_change_holding_the_cell_and_its_journal_entry(
    store: Replicas, who: Who
) -> None:
    replica_ = store.create_document(VILLAGE_DOC, VILLAGE)
    village = VillageDoc(replica_)
    row = village.add_row(who, PROGRAM, {"people": 1})
    before = replica_.heads()
    [entry] = village.set_cells(who, PROGRAM, row, {"people": 2})
    after = replica_.heads()
    assert len(replica_.doc.changes(before)) == 1
    path = (LEDGERS, f"{PROGRAM}/{row}")

    def state(heads: list[bytes]) -> tuple[object, object]:
        doc = replica_.doc.fork(heads)
        row = doc.object_at([LEDGERS, path[1]])
        journal = doc.map_id(ROOT, JOURNAL)
        assert row is not None and journal is not None
        cells = doc.read(row, "cells")
        return cells["people"], doc.read(journal, entry.id)  # type: ignore[index]

    assert state(before) == (1, None)
    people, stored = state(after)
    assert people == 2
    assert decode_entry(entry.id, stored, "v01") == entry  # type: ignore[arg-type]
    assert (entry.op, entry.old, entry.new) == ("set", 1, 2)
    assert entry.cell == (PROGRAM, "v01", row, "people")


def test_a_500_row_import_is_one_change(store: Replicas, who: Who) -> None:
    replica_ = store.create_document(VILLAGE_DOC, VILLAGE)
    village = VillageDoc(replica_)
    before = replica_.heads()
    rows = [{"date": f"2026-03-{1 + i % 28:02d}", "kind": "检查", "people": i} for i in range(500)]
    ids = village.add_rows(who, PROGRAM, rows)
    assert len(replica_.doc.changes(before)) == 1
    assert len(set(ids)) == 500
    entries = replica_.journal_entries()
    assert len(entries) == 1500  # one per filled cell (domain/history.py's rule for add)
    assert {e.op for e in entries} == {"add"} and all(e.prev is None for e in entries)
    listed = village.rows(PROGRAM)
    assert [r.id for r in listed] == ids  # creation order within one add
    assert store.chunk_stats(VILLAGE_DOC)[0] == 2  # genesis + the import


def test_rows_order_by_date_then_creation(store: Replicas, who: Who) -> None:
    village = VillageDoc(store.create_document(VILLAGE_DOC, VILLAGE))
    late = village.add_row(who, PROGRAM, {"date": "2026-05-01"})
    undated = village.add_row(who, PROGRAM, {"kind": "x"})
    early_1, early_2 = village.add_rows(who, PROGRAM, [{"date": "2026-01-01"}] * 2)
    assert [r.id for r in village.rows(PROGRAM, "date")] == [early_1, early_2, late, undated]
    assert [r.order for r in village.rows(PROGRAM, "date")] == [2, 3, 0, 1]


def test_rows_to_measure_are_the_live_rows_as_measuring_reads_them(
    store: Replicas, who: Who
) -> None:
    """Id and creation order as `rows` gives them and only the cells measuring reads,
    deleted rows left out (measuring skips them), and so the same measures."""
    from tests.sync.test_measures import program_of_fixtures
    from vledger.domain.indicators import measure, measure_values, measured_columns

    program = program_of_fixtures()
    columns = measured_columns(program)
    assert "date" in columns and "place" not in columns and "note" not in columns
    village = VillageDoc(store.create_document(VILLAGE_DOC, VILLAGE))
    late = village.add_row(who, PROGRAM, {"date": "2026-05-01", "kind": "安全宣传",
                                          "place": "村委会"})
    gone, kept = village.add_rows(who, PROGRAM, [
        {"date": "2026-01-01", "kind": "安全宣传", "participants": 3},
        {"date": "2026-01-01", "kind": "应急演练", "participants": 4, "note": "夜间"},
    ])
    village.delete_row(who, PROGRAM, gone)
    with village.replica.doc.transaction() as tx:  # a map where a cell belongs
        cells = tx.object_at([LEDGERS, f"{PROGRAM}/{kept}", "cells"])
        assert cells is not None
        tx.put(cells, "kind", {"odd": 1})
    live = [(r.id, r.order, [r.cells.get(c) for c in columns]) for r in village.rows(PROGRAM)
            if not r.deleted]
    found = village.rows_to_measure(program)
    assert [(i, order, list(values)) for i, order, values in found] == live
    assert [r[0] for r in live] == [late, kept]
    assert live[1][1] == 2 and live[1][2][columns.index("kind")] is None
    assert live[1][2][columns.index("participants")] == 4
    assert measure_values(program, found) == measure(program, village.rows(PROGRAM))


@pytest.mark.parametrize(
    "cells",
    [{"Bad Column": 1}, {"people": 1.5}, {"deleted": True}, {"people": [1]}],
)
def test_refused_edits_write_nothing(store: Replicas, who: Who, cells: dict[str, object]) -> None:
    replica_ = store.create_document(VILLAGE_DOC, VILLAGE)
    village = VillageDoc(replica_)
    row = village.add_row(who, PROGRAM, {"people": 1})
    heads, chunks = replica_.heads(), store.chunk_stats(VILLAGE_DOC)
    with pytest.raises(EditRefused):
        village.set_cells(who, PROGRAM, row, cells)  # type: ignore[arg-type]
    with pytest.raises(EditRefused):
        village.add_rows(who, PROGRAM, [{"people": 2}, cells])  # type: ignore[list-item]
    assert replica_.heads() == heads and store.chunk_stats(VILLAGE_DOC) == chunks
    assert len(replica_.journal_entries()) == 1


def test_editing_a_missing_row_is_refused(store: Replicas, who: Who) -> None:
    village = VillageDoc(store.create_document(VILLAGE_DOC, VILLAGE))
    with pytest.raises(EditRefused, match="no row"):
        village.set_cells(who, PROGRAM, "nosuchrw", {"people": 1})


def test_an_edit_that_changes_nothing_records_nothing(store: Replicas, who: Who) -> None:
    replica_ = store.create_document(VILLAGE_DOC, VILLAGE)
    village = VillageDoc(replica_)
    row = village.add_row(who, PROGRAM, {"people": 1})
    heads = replica_.heads()
    assert village.set_cells(who, PROGRAM, row, {"people": 1, "kind": None}) == []
    assert replica_.heads() == heads


def test_sheet_values_are_exact(store: Replicas) -> None:
    township = TownshipDoc(store.create_document(TOWNSHIP_DOC, TOWNSHIP))
    with pytest.raises(EditRefused, match="exact"):
        township.set_target(B, PROGRAM, "v01", "drills", 0.1)  # type: ignore[arg-type]
    with pytest.raises(EditRefused, match="whole count"):
        township.set_values(B, [SheetValue("adjustments", PROGRAM, "v01", "a", "1.5", "Q1")])
    with pytest.raises(EditRefused, match="period"):
        township.set_values(B, [SheetValue("entered", PROGRAM, "v01", "x", "1")])
    township.set_target(B, PROGRAM, "v01", "drills", "１２".replace("１２", "12.0"))
    assert township.targets(PROGRAM) == {("v01", "drills"): "12.0"}


def test_a_failed_commit_leaves_the_document_as_it_was() -> None:
    calls: list[int] = []

    def failing(changes: list[bytes], origin: str, heads: list[bytes]) -> None:
        calls.append(len(changes))
        if len(calls) == 2:
            raise OSError("disk full")

    doc = Replica(VILLAGE_DOC, new_document(VILLAGE_DOC, VILLAGE), b"\x07" * 16,
                  PersistWith(failing))
    village = VillageDoc(doc)
    row = village.add_row(A, PROGRAM, {"people": 1})
    heads = doc.heads()
    [add_change] = [c for c in doc.doc.changes() if c.actor == b"\x07" * 16]
    with pytest.raises(OSError, match="disk full"):
        village.set_cells(A, PROGRAM, row, {"people": 2})
    assert doc.heads() == heads and village.row(PROGRAM, row).cells == {"people": 1}  # type: ignore[union-attr]
    # The add, implied by the row; the failed edit's entry is in neither.
    assert len(doc.journal_entries()) == 1 and len(doc.index) == 0
    village.set_cells(A, PROGRAM, row, {"people": 3})
    [change] = doc.doc.changes(heads)
    assert change.seq == add_change.seq + 1  # the lost change's number is reused: no gap for peers


def test_replicas_that_edit_offline_converge() -> None:
    a, b = replica(b"\x01" * 16), replica(b"\x02" * 16)
    va, vb = VillageDoc(a), VillageDoc(b)
    ra = va.add_rows(A, PROGRAM, [{"date": "2026-02-01", "people": 1}])[0]
    rb = vb.add_rows(B, PROGRAM, [{"date": "2026-02-02", "people": 2}])[0]
    exchange(a, b)
    va.set_cells(A, PROGRAM, rb, {"kind": "检查"})
    vb.delete_row(B, PROGRAM, ra)
    exchange(a, b)
    assert a.heads() == b.heads()
    assert va.rows(PROGRAM, "date") == vb.rows(PROGRAM, "date")
    assert {r.id: r.deleted for r in va.rows(PROGRAM)} == {ra: True, rb: False}
    assert sorted(e.id for e in a.journal_entries()) == sorted(e.id for e in b.journal_entries())
    assert a.index.ids == b.index.ids


def test_concurrent_edits_of_one_cell_share_prev_and_the_next_edit_resolves() -> None:
    a, b = replica(b"\x01" * 16), replica(b"\x02" * 16)
    va, vb = VillageDoc(a), VillageDoc(b)
    row = va.add_row(A, PROGRAM, {"people": 1})
    exchange(a, b)
    [add] = a.journal_entries()
    [ea] = va.set_cells(A, PROGRAM, row, {"people": 5})
    [eb] = vb.set_cells(B, PROGRAM, row, {"people": 7})
    assert ea.prev == eb.prev == add.id
    exchange(a, b)
    history = History(a.journal_entries())
    shown = va.row(PROGRAM, row).cells["people"]  # type: ignore[union-attr]
    assert shown == vb.row(PROGRAM, row).cells["people"]  # type: ignore[union-attr]
    [conflict] = history.conflicts(lambda cell: shown)
    assert {v.edit for v in conflict.values} == {ea.id, eb.id}
    assert a.index.settles_for(conflict.cell) == tuple(sorted((ea.id, eb.id)))
    [fix] = va.set_cells(A, PROGRAM, row, {"people": 6})
    assert fix.op == RESOLVE and set(fix.settles) == {ea.id, eb.id}
    exchange(a, b)
    assert History(b.journal_entries()).conflicts(lambda cell: 6) == []
    assert b.index.prev_for(conflict.cell) == fix.id


def test_explicit_resolve_of_a_deleted_flag() -> None:
    a, b = replica(b"\x01" * 16), replica(b"\x02" * 16)
    va, vb = VillageDoc(a), VillageDoc(b)
    row = va.add_row(A, PROGRAM, {"people": 1})
    exchange(a, b)
    [deleted] = va.delete_row(A, PROGRAM, row)
    vb.delete_row(B, PROGRAM, row)
    [restored] = vb.restore_row(B, PROGRAM, row)
    exchange(a, b)
    cell = (PROGRAM, "v01", row, "deleted")
    [conflict] = History(a.journal_entries()).conflicts(lambda c: True)
    assert conflict.cell == cell
    [fix] = va.resolve(A, cell, False, [deleted.id, restored.id])
    assert fix.op == RESOLVE and fix.prev == min(deleted.id, restored.id)
    assert va.row(PROGRAM, row).deleted is False  # type: ignore[union-attr]


_cells = st.sampled_from([("p", "v", "r1", "a"), ("p", "v", "r1", "b"), ("p", "v", "r2", "a")])


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_journal_index_agrees_with_history(data: st.DataObject) -> None:
    """Entries arriving in any order give the leaves History computes."""
    entries: list[JournalEntry] = []
    for n in range(data.draw(st.integers(1, 12))):
        cell = data.draw(_cells)
        same_cell = [e.id for e in entries if e.cell == cell]
        prev = data.draw(st.sampled_from([None, *same_cell])) if same_cell else None
        settles: tuple[str, ...] = ()
        if same_cell:
            chosen = st.lists(st.sampled_from(same_cell), max_size=2, unique=True)
            settles = tuple(data.draw(chosen))
        op = RESOLVE if settles else "set"
        entries.append(JournalEntry(
            id=f"e{n:02d}", at=f"2026-01-01T00:00:{n:02d}+08:00", office="o", device="d",
            user="u", op=op, program=cell[0], village=cell[1], row=cell[2], column=cell[3],
            old=None, new=data.draw(st.integers(0, 2)), prev=prev, settles=settles,
        ))
    shuffled = data.draw(st.permutations(entries))
    index = JournalIndex()
    for entry in shuffled:
        index.add([entry])
    history = History(entries)
    for cell in {e.cell for e in entries}:
        assert index.leaves(cell) == [e.id for e in history.leaves(cell)]
        assert index.settles_for(cell) == history.settles_for(cell)
        for shown in (0, 1, 2):
            assert index.prev_for(cell, shown) == history.prev_for(cell, shown)


def test_an_empty_row_is_recorded_and_survives_a_restart(store: Replicas, who: Who) -> None:
    # A clerk presses `a` and leaves the row blank for now: the row was
    # acknowledged, so it must be in the history and still there after reopening.
    store.create_document(VILLAGE_DOC, VILLAGE)
    (row,) = store.village(VILLAGE_DOC).add_rows(who, PROGRAM, [{}])
    store.close()

    with Replicas.open(store.home) as again:
        village = again.village(VILLAGE_DOC)
        assert [r.id for r in village.rows(PROGRAM, "date")] == [row]
        added = [e for e in village.replica.journal_entries() if e.row == row]
    assert [(e.op, e.column, e.new) for e in added] == [("add", "deleted", False)]
