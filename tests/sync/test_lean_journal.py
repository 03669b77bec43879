"""The lean journal: entries in both stored forms, and the add entries rows imply.

Documents written before (every entry a map, every add stored) must list, blame, show
conflicts and resolve exactly as they did; documents written now store no add entries
and short entries, and must give the History that the entries the writers returned give.
The reference in each test is independent of the readers under test: the old form is
read back with `JournalEntry.from_plain` on the raw maps, and the new form is compared
with what `Replica.write` returned to its callers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.sync.conftest import PROGRAM, VILLAGE_DOC
from vledger.domain.history import DELETED, RESOLVE, Cell, History, JournalEntry, JournalError
from vledger.sync.documents import replica as replica_module
from vledger.sync.documents.adds import implied_id, is_implied
from vledger.sync.documents.journal import (
    LEAN_FORM,
    OLD_FORM,
    JournalIndex,
    Who,
    decode_entry,
    encode_entry,
)
from vledger.sync.documents.ledger import VillageDoc
from vledger.sync.documents.replica import JOURNAL, VILLAGE, Replica, new_document
from vledger.sync.documents.replicas import Replicas

A = Who("v01", "dev-a", "王")
B = Who("t1", "dev-b", "李")
T = Who("t1", "dev-t", "")


def replica(actor: int, form: str = LEAN_FORM) -> Replica:
    made = Replica(VILLAGE_DOC, new_document(VILLAGE_DOC, VILLAGE), bytes([actor]) * 16)
    made.journal_form = form
    return made


def exchange(*replicas: Replica) -> None:
    """Everyone ends up holding everything (two rounds through the first one)."""
    for _ in range(2):
        for other in replicas[1:]:
            other.apply_batch(replicas[0].changes_since(other.heads()))
            replicas[0].apply_batch(other.changes_since(replicas[0].heads()))


def shown_by(village: VillageDoc) -> Callable[[Cell], Any]:
    def value(cell: Cell) -> Any:
        row = village.row(cell[0], cell[2])
        assert row is not None
        return row.deleted if cell[3] == DELETED else row.cells.get(cell[3])

    return value


def raw_journal(doc: Replica) -> dict[str, Any]:
    """The journal as stored: msgpack decoded, nothing else."""
    journal = doc.doc.object_at([JOURNAL])
    assert journal is not None
    return {k: msgpack.unpackb(v, raw=False) for k, v in doc.doc.read_map(journal).items()}


def same_history(found: History, expected: History, shown: Callable[[Cell], Any]) -> None:
    """Listing, edit records, leaves, blame and conflicts agree, cell by cell."""
    assert [found.edit_record(e) for e in found.listing()] == \
        [expected.edit_record(e) for e in expected.listing()]
    assert found.cells() == expected.cells()
    for cell in expected.cells():
        assert [e.id for e in found.leaves(cell)] == [e.id for e in expected.leaves(cell)]
        assert found.blame(*cell, shown(cell)) == expected.blame(*cell, shown(cell))
        assert found.prev_for(cell, shown(cell)) == expected.prev_for(cell, shown(cell))
    assert found.conflicts(shown) == expected.conflicts(shown)
    assert found.conflicted_cells() == expected.conflicted_cells()


def unique(entries: Iterable[JournalEntry]) -> list[JournalEntry]:
    return list({e.id: e for e in entries}.values())


# -- the stored forms ------------------------------------------------------------------------

_text = st.text(max_size=6)
_values = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12), _text,
                    st.dictionaries(st.sampled_from(["name", "area"]), _text, max_size=2))


@st.composite
def entries(draw: st.DrawFn) -> tuple[JournalEntry, str]:
    home = draw(st.sampled_from(["v01", "t1"]))
    ms = draw(st.integers(0, 4_102_444_800_000))  # 1970 to 2100
    minutes = draw(st.sampled_from([0, 480, -300, 330, 345]))
    micro = draw(st.sampled_from([None, 0, 123456]))  # None: to the millisecond
    zone = UTC if minutes == 0 else timezone(timedelta(minutes=minutes))
    moment = datetime.fromtimestamp(ms / 1000, zone)
    if micro is None:
        at = moment.isoformat(timespec="milliseconds")
    else:
        at = moment.replace(microsecond=micro).isoformat()
    op = draw(st.sampled_from(["set", "add", "delete", "restore", "office", "target", "新"]))
    cell = (draw(st.sampled_from(["", PROGRAM])), draw(st.sampled_from(["", home, "v02"])),
            draw(st.sampled_from(["r1", "target:x"])), draw(st.sampled_from(["", "note"])))
    prev = draw(st.sampled_from([None, "abcdefghijklmnop", implied_id(cell),
                                 implied_id((*cell[:3], "other"))]))
    settles: tuple[str, ...] = ()
    if draw(st.booleans()):
        op, settles = RESOLVE, tuple(draw(st.lists(st.sampled_from(
            ["abcdefghijklmnop", "qrstuvwxyz234567", implied_id(cell)]), min_size=1,
            unique=True)))
    entry = JournalEntry(
        id="e" + draw(st.text("abc", min_size=1, max_size=4)), at=at,
        office=draw(st.sampled_from([home, "t1", "v02"])), device=draw(_text),
        user=draw(_text), op=op, program=cell[0], village=cell[1], row=cell[2], column=cell[3],
        old=draw(_values), new=draw(_values), prev=prev, settles=settles,
    )
    return entry, home


@settings(max_examples=300, deadline=None)
@given(entries())
def test_both_forms_give_back_the_entry_written(drawn: tuple[JournalEntry, str]) -> None:
    entry, home = drawn
    lean = encode_entry(entry, home)
    assert decode_entry(entry.id, lean, home) == entry
    assert decode_entry(entry.id, lean, home).at == entry.at  # the same text, not just instant
    old = encode_entry(entry, home, OLD_FORM)
    assert msgpack.unpackb(old, raw=False) == entry.to_plain()  # what vledger wrote before
    assert decode_entry(entry.id, old, home) == entry
    assert decode_entry(entry.id, old) == entry  # the old form needs no home


def test_a_lean_edit_is_under_half_the_old_one() -> None:
    entry = JournalEntry(
        id="abcdefghijklmnop", at="2026-03-05T10:11:12.345+08:00", office="v01",
        device="k3j4h5g6", user="王小明", op="set", program=PROGRAM, village="v01",
        row="ab12cd34", column="participants", old=12, new=13, prev="qrstuvwxyz234567",
    )
    lean, old = encode_entry(entry, "v01"), encode_entry(entry, "v01", OLD_FORM)
    assert len(lean) * 2 < len(old), (len(lean), len(old))


@pytest.mark.parametrize("items", [
    [1, 0, 0, None, "d", "u", 99, "p", None, "r", "c", None, 1, None],  # no op 99
    [1, 0, 0, None, "d", "u", 0, "p", None, "r"],  # too short
    [1, "yesterday", 0, None, "d", "u", 0, "p", None, "r", "c", None, 1, None],  # no time
    [1, 10**18, 0, None, "d", "u", 0, "p", None, "r", "c", None, 1, None],  # out of range
    [1, 0, 0, 5, "d", "u", 0, "p", None, "r", "c", None, 1, None],  # office not text
    [2, 0, 0, None, "d", "u", 0, "p", None, "r", "c", None, 1, None],  # a form to come
])
def test_a_damaged_lean_entry_is_a_journal_error(items: list[Any]) -> None:
    with pytest.raises(JournalError):
        decode_entry("x", msgpack.packb(items), "v01")


# -- old documents ---------------------------------------------------------------------------


def test_an_old_document_lists_blames_conflicts_and_resolves_as_before() -> None:
    a, b = replica(1, OLD_FORM), replica(2, OLD_FORM)
    va, vb = VillageDoc(a), VillageDoc(b)
    first, second, empty = va.add_rows(A, PROGRAM, [
        {"date": "2026-03-05", "kind": "演练", "participants": 12},
        {"date": "2026-01-02", "note": "补记"}, {},
    ])
    va.set_cells(A, PROGRAM, first, {"participants": 13})
    exchange(a, b)
    va.set_cells(A, PROGRAM, first, {"participants": 15})
    vb.set_cells(B, PROGRAM, first, {"participants": 14})
    vb.delete_row(B, PROGRAM, second)
    va.set_cells(A, PROGRAM, empty, {"note": "后补"})
    exchange(a, b)
    stored = raw_journal(a)
    assert all(isinstance(v, dict) for v in stored.values())  # every entry in the old form
    assert sum(v["op"] == "add" for v in stored.values()) == 6  # 3 + 2 cells, 1 empty row
    before = History(JournalEntry.from_plain(k, v) for k, v in stored.items())
    for doc, village in ((a, va), (b, vb)):
        assert not any(is_implied(e.id) for e in doc.journal_entries())
        same_history(History(doc.journal_entries()), before, shown_by(village))
    [conflict] = before.conflicts(shown_by(va))
    assert conflict.cell == (PROGRAM, "v01", first, "participants")
    # Settled now: the resolve is written in the lean form, into the old document.
    a.journal_form = b.journal_form = LEAN_FORM
    settles = sorted(set(conflict.roots) | {v.edit for v in conflict.values})
    [fix] = va.resolve(A, conflict.cell, 14, settles)
    assert isinstance(raw_journal(a)[fix.id], list)
    exchange(a, b)
    after = History([*before.listing(), fix])
    for doc, village in ((a, va), (b, vb)):
        history = History(doc.journal_entries())
        same_history(history, after, shown_by(village))
        assert history.conflicts(shown_by(village)) == []
        assert [e.id for e in history.blame(*conflict.cell, 14)][:2] == \
            [fix.id, next(v.edit for v in conflict.values if v.value == 14)]
    # A later edit of an old cell links to its stored chain as before.
    [more] = vb.set_cells(B, PROGRAM, first, {"participants": 16})
    assert more.prev == fix.id and more.op == "set"


# -- documents written now -------------------------------------------------------------------


def test_new_rows_store_no_add_entries_and_imply_them_with_their_values() -> None:
    a = replica(1)
    village = VillageDoc(a)
    written = a.write(A, village.add_row_edits(A, PROGRAM, [
        {"date": "2026-03-05", "participants": 12, "note": "一"}, {}])[0])
    first, empty = (e.row for e in (written[0], written[-1]))
    assert raw_journal(a) == {}
    assert [(e.row, e.column, e.new) for e in written] == [
        (first, "date", "2026-03-05"), (first, "note", "一"), (first, "participants", 12),
        (empty, DELETED, False),
    ]
    assert all(e.id == implied_id(e.cell) and e.prev is None and e.op == "add" for e in written)
    assert sorted(a.journal_entries(), key=lambda e: e.id) == sorted(written, key=lambda e: e.id)
    # Cleared and changed cells: the add still says what it put there (the edits' `old`).
    cleared = village.set_cells(A, PROGRAM, first, {"note": None, "participants": 13})
    filled = village.set_cells(A, PROGRAM, empty, {"note": "后补"})
    deleted = village.delete_row(A, PROGRAM, empty)
    assert [e.prev for e in cleared] == [implied_id((PROGRAM, "v01", first, c))
                                         for c in ("note", "participants")]
    assert filled[0].prev is None  # empty when the row was added
    assert deleted[0].prev == implied_id((PROGRAM, "v01", empty, DELETED))
    assert all(isinstance(v, list) for v in raw_journal(a).values())
    expected = History([*written, *cleared, *filled, *deleted])
    history = History(a.journal_entries())
    same_history(history, expected, shown_by(village))
    assert [(e.op, e.new) for e in history.blame(PROGRAM, "v01", first, "note", None)] == [
        ("set", None), ("add", "一")]


def test_implied_ids_and_entries_are_the_same_on_every_replica() -> None:
    a, b, c = replica(1), replica(2), replica(3)
    rows = VillageDoc(a).add_rows(A, PROGRAM, [{"participants": n} for n in range(5)])
    b.apply_batch(a.changes_since([]))
    c.apply_batch(b.changes_since([]))  # relayed: c never met a
    VillageDoc(c).set_cells(T, PROGRAM, rows[0], {"participants": 10})
    exchange(a, b, c)
    lists = [sorted(r.journal_entries(), key=lambda e: e.id) for r in (a, b, c)]
    assert lists[0] == lists[1] == lists[2]
    assert [e.id for e in lists[0] if e.op == "add"] == sorted(
        implied_id((PROGRAM, "v01", r, "participants")) for r in rows)
    # Each replica's write path links the first edit of a cell to the same implied add.
    for doc, who, n in ((a, A, 1), (b, B, 2), (c, T, 3)):
        [entry] = VillageDoc(doc).set_cells(who, PROGRAM, rows[n], {"participants": 20 + n})
        assert entry.prev == implied_id((PROGRAM, "v01", rows[n], "participants"))


def test_concurrent_first_edits_of_an_imported_cell_are_a_conflict_until_settled() -> None:
    a, b = replica(1), replica(2)
    va, vb = VillageDoc(a), VillageDoc(b)
    [row] = va.add_rows(A, PROGRAM, [{"participants": 1, "note": "x"}])
    exchange(a, b)
    [ea] = va.set_cells(A, PROGRAM, row, {"participants": 5})
    [eb] = vb.set_cells(B, PROGRAM, row, {"participants": 7})
    add = implied_id((PROGRAM, "v01", row, "participants"))
    assert ea.prev == eb.prev == add
    exchange(a, b)
    cell = (PROGRAM, "v01", row, "participants")
    for doc, village in ((a, va), (b, vb)):
        history = History(doc.journal_entries())
        [conflict] = history.conflicts(shown_by(village))
        assert {v.edit for v in conflict.values} == {ea.id, eb.id}
        assert sorted(conflict.roots) == sorted((ea.id, eb.id)) and add not in conflict.entries
        assert doc.index.conflicted_cells() == {cell}
        # The stored entries alone find the same conflict (implied adds never take part).
        assert History(doc.stored_entries()).conflicts(shown_by(village)) == [conflict]
    [fix] = vb.set_cells(B, PROGRAM, row, {"participants": 6})
    assert fix.op == RESOLVE and set(fix.settles) == {ea.id, eb.id}
    exchange(a, b)
    assert History(a.journal_entries()).conflicts(shown_by(va)) == []
    assert a.index.conflicted_cells() == set()


def test_a_mixed_document_gives_the_history_its_writers_returned() -> None:
    """Old rows with stored adds, new rows with implied ones, edits in both forms,
    concurrent edits, deletes and a resolve, on three replicas."""
    a, b, c = replica(1, OLD_FORM), replica(2, OLD_FORM), replica(3)
    va, vb, vc = VillageDoc(a), VillageDoc(b), VillageDoc(c)
    returned: list[JournalEntry] = []

    def add(village: VillageDoc, who: Who, rows: list[dict[str, Any]]) -> list[str]:
        edits, ids = village.add_row_edits(who, PROGRAM, rows)
        returned.extend(village.replica.write(who, edits))
        return ids

    old_rows = add(va, A, [{"date": "2026-01-01", "participants": 3, "note": "旧"}, {}])
    returned += va.set_cells(A, PROGRAM, old_rows[0], {"participants": 4})
    exchange(a, b, c)
    a.journal_form = b.journal_form = LEAN_FORM  # the clerks upgrade
    new_rows = add(vc, T, [{"date": "2026-02-02", "participants": 8}, {}, {"note": "新"}])
    returned += vb.set_cells(B, PROGRAM, old_rows[0], {"participants": 5})  # lean on old
    exchange(a, b, c)
    for village, who, value in ((va, A, 9), (vb, B, 10), (vc, T, 11)):
        returned += village.set_cells(who, PROGRAM, new_rows[0], {"participants": value})
        returned += village.set_cells(who, PROGRAM, old_rows[0], {"note": f"改{value}"})
    returned += va.delete_row(A, PROGRAM, new_rows[1])
    returned += vb.set_cells(B, PROGRAM, new_rows[1], {"note": "空行补记"})
    returned += vc.set_cells(T, PROGRAM, new_rows[2], {"note": None})
    returned += vb.delete_row(B, PROGRAM, old_rows[1])
    exchange(a, b, c)
    expected = History(unique(returned))
    conflicts = expected.conflicts(shown_by(va))
    assert {c.cell[2:] for c in conflicts} == {(new_rows[0], "participants"),
                                               (old_rows[0], "note")}
    for doc, village in ((a, va), (b, vb), (c, vc)):
        same_history(History(doc.journal_entries()), expected, shown_by(village))
        assert doc.index.conflicted_cells() == {c.cell for c in conflicts}
    keep = conflicts[0]
    settles = sorted(set(keep.roots) | {v.edit for v in keep.values})
    returned += va.resolve(A, keep.cell, keep.values[-1].value, settles)
    exchange(a, b, c)
    expected = History(unique(returned))
    for doc, village in ((a, va), (b, vb), (c, vc)):
        same_history(History(doc.journal_entries()), expected, shown_by(village))
        assert len(History(doc.journal_entries()).conflicts(shown_by(village))) == 1


def test_the_first_edit_after_opening_reads_one_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Replicas.open(tmp_path / "home")
    store.create_document(VILLAGE_DOC, VILLAGE)
    rows = store.village(VILLAGE_DOC).add_rows(A, PROGRAM, [{"participants": n}
                                                            for n in range(300)])
    store.close()
    read: list[tuple[str, str]] = []
    real = replica_module.Replica._row

    def counting(self: Replica, program: str, row_id: str) -> Any:
        read.append((program, row_id))
        return real(self, program, row_id)

    monkeypatch.setattr(replica_module.Replica, "_row", counting)
    with Replicas.open(tmp_path / "home") as again:
        village = again.village(VILLAGE_DOC)
        [entry] = village.set_cells(A, PROGRAM, rows[123], {"participants": 1000})
        assert entry.prev == implied_id((PROGRAM, "v01", rows[123], "participants"))
        assert read == [(PROGRAM, rows[123])]
        village.set_cells(A, PROGRAM, rows[123], {"participants": 1001})
        assert read == [(PROGRAM, rows[123])]  # once per row


# -- the index's plain form, for caches --------------------------------------------------------

_cells = st.sampled_from([("p", "v", "r1", "a"), ("p", "v", "r1", "b"), ("p", "v", "r2", "a")])


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_leaves_taken_to_plain_and_back_follow_later_entries_as_history_does(
    data: st.DataObject,
) -> None:
    """Entries in causal order, split into two batches at any point: the index of the
    first batch through `to_plain`/`from_plain`, given the second, has History's
    conflicted cells (and leaves, but for the adds it leaves out)."""
    made: list[JournalEntry] = []
    for n in range(data.draw(st.integers(1, 14))):
        cell = data.draw(_cells)
        same_cell = [e.id for e in made if e.cell == cell]
        # Whoever edits a cell that began with an add holds the add: they name an entry.
        added = any(e.cell == cell and e.op == "add" for e in made)
        prev = data.draw(st.sampled_from([*([] if added else [None]), *same_cell])) \
            if same_cell else None
        settles: tuple[str, ...] = ()
        if same_cell and data.draw(st.booleans()):
            settles = tuple(data.draw(st.lists(st.sampled_from(same_cell), min_size=1,
                                               max_size=2, unique=True)))
        # A cell's first entry is often its add (old documents), which nothing races.
        op = RESOLVE if settles else ("add" if not same_cell and data.draw(st.booleans())
                                      else "set")
        made.append(JournalEntry(
            id=f"e{n:02d}", at=f"2026-01-01T00:00:{n:02d}.5+08:00", office="o", device="d",
            user="u", op=op, program=cell[0], village=cell[1], row=cell[2], column=cell[3],
            old=None, new=data.draw(st.integers(0, 2)), prev=prev, settles=settles,
        ))
    split = data.draw(st.integers(0, len(made)))
    first = JournalIndex(data.draw(st.permutations(made[:split])))
    plain = first.to_plain()
    again = JournalIndex.from_plain(msgpack.unpackb(msgpack.packb(plain), raw=False))
    again.add(data.draw(st.permutations(made[split:])))
    history = History(made)
    assert again.conflicted_cells() == history.conflicted_cells()
    assert JournalIndex(made).conflicted_cells() == history.conflicted_cells()
    for cell in history.cells():
        leaves = [e.id for e in history.leaves(cell)]
        found = again.leaves(cell)
        assert found == leaves or (found == [] and leaves == [
            e.id for e in history.entries_for(cell) if e.op == "add"])


def test_old_documents_cache_only_the_cells_that_were_edited() -> None:
    a = replica(1, OLD_FORM)
    village = VillageDoc(a)
    rows = village.add_rows(A, PROGRAM, [{"participants": n, "note": "x"} for n in range(50)])
    village.set_cells(A, PROGRAM, rows[0], {"participants": 100})
    index = JournalIndex(a.stored_entries())
    assert len(index.ids) == 101
    assert [cell[:4] for cell in index.to_plain()] == [[PROGRAM, "v01", rows[0], "participants"]]
    with pytest.raises(ValueError):
        JournalIndex.from_plain([["p", "v", "r"]])


def test_an_index_follows_another_processs_writes_by_their_new_keys_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = Replicas.open(tmp_path / "home")
    first.create_document(VILLAGE_DOC, VILLAGE)
    rows = first.village(VILLAGE_DOC).add_rows(A, PROGRAM, [{"participants": n}
                                                            for n in range(20)])
    first.village(VILLAGE_DOC).set_cells(A, PROGRAM, rows[0], {"participants": 100})
    second = Replicas.open(tmp_path / "home")  # another process on the same home
    try:
        assert first.replica(VILLAGE_DOC).index_built
        [theirs] = second.village(VILLAGE_DOC).set_cells(B, PROGRAM, rows[1],
                                                         {"participants": 101})
        decoded: list[str] = []
        real = replica_module.decode_entry

        def counting(entry_id: str, data: bytes, home: str = "") -> JournalEntry:
            decoded.append(entry_id)
            return real(entry_id, data, home)

        monkeypatch.setattr(replica_module, "decode_entry", counting)
        village = first.village(VILLAGE_DOC)  # catches up with what the other one stored
        [mine] = village.set_cells(A, PROGRAM, rows[1], {"participants": 102})
        assert decoded == [theirs.id] and mine.prev == theirs.id
        assert first.replica(VILLAGE_DOC).index.ids == {
            e.id for e in first.replica(VILLAGE_DOC).stored_entries()}
    finally:
        second.close()
        first.close()
