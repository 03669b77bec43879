"""Conflict and unsynced counts that follow changes (sync/services/counts.py).

Whatever the counts cached, after any mix of edits, imports, merges and recorded syncs
they must be what a count from nothing finds: the conflicted cells of the History of the
whole journal, and one cell per entry this device wrote that the journal at no peer
record's heads holds (implied adds included: documents/adds.py). The truth here is
computed with neither the cache nor the counting code: History over `journal_entries()`,
and the journal of the document forked at each peer's heads.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.example_data import EXAMPLES
from tests.sync.homes import create_township, create_village_home, village_doc, village_doc_id, who
from vledger.domain.history import Cell, History, JournalEntry
from vledger.sync.documents.journal import OLD_FORM
from vledger.sync.documents.replica import Replica
from vledger.sync.link.session import peer_key, peer_records
from vledger.sync.services import counts as counts_module
from vledger.sync.services.counts import COUNTS_KEY, LEAVES_KEY, UNSYNCED_KEY
from vledger.sync.services.office import Office

PROGRAM = "safety-2026"
ROWS = [{"date": "2026-03-05", "kind": "安全宣传", "participants": 12, "note": "一"},
        {"date": "2026-04-01", "kind": "应急演练", "participants": 30}, {}]


def _rows(village: str) -> list[dict[str, str]]:
    with (EXAMPLES / "safety-2026" / "ledgers" / f"{village}.csv").open(
            encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))[:6]


def make_township(home: Path, *, old: bool = False) -> Office:
    office = create_township(home, "示例乡", "t1", year=2026, user="clerk")
    if old:
        write_old_form(office)
    office.roster.add_office("v01", "东坪村", "北片")
    office.programs.add((EXAMPLES / "safety-2026.toml").read_text(encoding="utf-8"),
                        "safety-2026.toml")
    office.ledgers.session(PROGRAM, "v01", writing=True).add_rows(_rows("v01"))
    return office


def write_old_form(office: Office) -> None:
    """From now on this office writes as vledger did before the lean journal."""
    office.store.journal_form = OLD_FORM
    for document in office.store.document_ids():
        if office.store.is_open(document):
            office.store.replica(document).journal_form = OLD_FORM


@pytest.fixture
def homes(tmp_path: Path) -> Iterator[tuple[Office, Office]]:
    township = make_township(tmp_path / "t")
    village = create_village_home(tmp_path / "v", township, "v01", user="v01clerk")
    yield township, village
    village.close()
    township.close()


def exchange(a: Office, b: Office, document: str) -> None:
    for source, target in ((a, b), (b, a)):
        changes = source.store.changes_since(document, target.store.heads(document))
        target.store.apply_batch(document, changes, origin=source.me.office)


def record_sync(a: Office, b: Office, document: str) -> None:
    exchange(a, b, document)
    heads = a.store.heads(document)
    assert heads == b.store.heads(document)
    for me, peer in ((a, b), (b, a)):
        me.store.db.peers.set(peer_key(peer.me.office, peer.me.device), document, heads, heads)


def truth(office: Office, document: str) -> tuple[set[Cell], list[Cell]]:
    """Conflicted cells and unsynced cells found from nothing (see the module docstring)."""
    replica = office.store.replica(document)
    entries = replica.journal_entries()
    conflicted = History(entries).conflicted_cells()
    held: set[str] = set()
    for record in peer_records(office.store):
        if record.doc == document:
            forked = Replica(document, replica.doc.fork(record.heads), b"\x00" * 16)
            held |= {e.id for e in forked.journal_entries()}
    unsynced = sorted(e.cell for e in entries
                      if e.device == office.me.device and e.id not in held)
    return conflicted, unsynced


def check(office: Office) -> None:
    """The office's counts are the truth, document by document."""
    context = office.history._context
    conflicts = unsynced_edits = 0
    for document in context.documents():
        conflicted, unsynced = truth(office, document)
        counted = counts_module.document_counts(context, document)
        assert counted.conflicted == conflicted
        assert counted.unsynced == len(unsynced)
        assert sorted(counts_module.unsynced_cells(context, document)) == unsynced
        conflicts += len(conflicted)
        unsynced_edits += len(unsynced)
        if document == village_doc_id(office, "v01"):
            assert office.history.conflicted_cells(PROGRAM, "v01") == conflicted
            assert office.sync.unsynced_cells(PROGRAM, "v01") == {c[2:] for c in unsynced}
    assert office.history.open_conflict_count() == conflicts
    assert office.sync.unsynced_edits() == unsynced_edits


# -- following changes ------------------------------------------------------------------------


@pytest.fixture
def decoded(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Ids of the journal entries the counts decode from now on."""
    seen: list[str] = []
    real: Callable[[str, bytes, str], JournalEntry] = counts_module.decode_entry

    def counting(entry_id: str, data: bytes, home: str = "") -> JournalEntry:
        seen.append(entry_id)
        return real(entry_id, data, home)

    monkeypatch.setattr(counts_module, "decode_entry", counting)
    return seen


def test_counts_after_an_edit_decode_only_the_new_entry(
    homes: tuple[Office, Office], decoded: list[str]
) -> None:
    township, village = homes
    document = village_doc_id(township, "v01")
    rows = [r.id for r in village.ledgers.session(PROGRAM).rows()]
    for n, row in enumerate(rows[:4]):
        village_doc(village, "v01").set_cells(who(village), PROGRAM, row, {"note": f"改{n}"})
    decoded.clear()
    assert village.history.open_conflict_count() == 0
    assert village.sync.unsynced_edits() == 4
    stored = [e.id for d in village.store.document_ids()
              for e in village.store.replica(d).stored_entries()]
    assert sorted(decoded) == sorted(stored)  # counted from nothing: every stored entry, once
    check(village)
    decoded.clear()
    [entry] = village_doc(village, "v01").set_cells(who(village), PROGRAM, rows[5],
                                                    {"participants": 99})
    assert village.history.open_conflict_count() == 0
    assert village.sync.unsynced_edits() == 5
    assert decoded == [entry.id]  # both counts, one decoding of the one new entry
    decoded.clear()
    added = village_doc(village, "v01").add_rows(who(village), PROGRAM, ROWS)
    assert village.sync.unsynced_edits() == 5 + 4 + 3 + 1  # the rows' implied adds
    assert decoded == []
    assert (added[2], "deleted") in village.sync.unsynced_cells(PROGRAM, "v01")
    record_sync(township, village, document)
    decoded.clear()
    check(village)
    assert village.sync.unsynced_edits() == 0
    assert decoded == []  # a sync that brought nothing new: no entry to decode
    check(township)


def test_a_second_count_at_the_same_heads_opens_no_document(
    homes: tuple[Office, Office], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, village = homes
    row = village.ledgers.session(PROGRAM).rows()[0].id
    village_doc(village, "v01").set_cells(who(village), PROGRAM, row, {"note": "x"})
    conflicts, unsynced = village.history.open_conflict_count(), village.sync.unsynced_edits()
    village.store.close_documents()

    def no_opening(document: str) -> None:
        raise AssertionError(f"{document} opened")

    monkeypatch.setattr(village.store, "replica", no_opening)
    monkeypatch.setattr(village.store, "document", no_opening)
    assert (village.history.open_conflict_count(), village.sync.unsynced_edits()) == \
        (conflicts, unsynced) == (0, 1)


def test_a_count_after_a_sync_that_changed_nothing_here_opens_no_document(
    homes: tuple[Office, Office], monkeypatch: pytest.MonkeyPatch
) -> None:
    township, village = homes
    document = village_doc_id(village, "v01")
    row = village.ledgers.session(PROGRAM).rows()[0].id
    village_doc(village, "v01").set_cells(who(village), PROGRAM, row, {"note": "x"})
    assert village.sync.unsynced_edits() == 1  # counted: the leaves at these heads kept
    heads = village.store.heads(document)
    record_sync(village, township, document)  # the township takes it; nothing comes back
    assert village.store.heads(document) == heads
    village.store.close_documents()

    def no_opening(document: str) -> None:
        raise AssertionError(f"{document} opened")

    with monkeypatch.context() as patched:
        patched.setattr(village.store, "replica", no_opening)
        patched.setattr(village.store, "document", no_opening)
        assert village.sync.unsynced_edits() == 0
        assert village.history.open_conflict_count() == 0
    check(village)


def test_concurrent_edits_are_counted_as_one_conflict_until_settled(
    homes: tuple[Office, Office],
) -> None:
    township, village = homes
    document = village_doc_id(township, "v01")
    assert village.history.open_conflict_count() == 0  # counted, and cached
    row = village.ledgers.session(PROGRAM).rows()[0].id
    village_doc(township, "v01").set_cells(who(township), PROGRAM, row, {"participants": 1})
    village_doc(village, "v01").set_cells(who(village), PROGRAM, row, {"participants": 2})
    exchange(township, village, document)
    assert village.history.open_conflict_count() == 1
    cell = (PROGRAM, "v01", row, "participants")
    assert village.history.conflicted_cells(PROGRAM, "v01") == {cell}
    [conflict] = village.history.conflicts()
    village.history.resolve(conflict.id, keep=conflict.values[0].edit)
    assert village.history.open_conflict_count() == 0
    exchange(township, village, document)
    check(village)
    check(township)


def test_a_damaged_or_foreign_cached_state_is_counted_afresh(
    homes: tuple[Office, Office],
) -> None:
    _, village = homes
    document = village_doc_id(village, "v01")
    row = village.ledgers.session(PROGRAM).rows()[0].id
    village_doc(village, "v01").set_cells(who(village), PROGRAM, row, {"note": "x"})
    check(village)
    caches = village.store.db.caches
    heads = village.store.heads(document)
    # Heads the document does not hold (a revoked device's changes taken out), junk data.
    bogus = {"heads": [b"\x01" * 32], "version": "leaves-1", "data": [[], []]}
    caches.put(document, LEAVES_KEY, [b"\x01" * 32], bogus, "leaves-1")
    caches.put(document, UNSYNCED_KEY, heads, {"heads": heads, "version": "?", "data": 7}, "?")
    caches.put(document, COUNTS_KEY, heads, {"heads": heads, "version": "?", "data": 7}, "?")
    check(village)
    for key, data in ((LEAVES_KEY, [["bad"]]), (COUNTS_KEY, "junk"), (UNSYNCED_KEY, 7)):
        caches.put(document, key, heads, {"heads": heads, "version": "leaves-1",
                                          "data": data}, "leaves-1")
    check(village)
    caches.put(document, COUNTS_KEY, heads, b"\x00not msgpack of a state")
    check(village)


@st.composite
def steps(draw: st.DrawFn) -> list[tuple[str, int, int]]:
    kinds = st.sampled_from(["township edits", "village edits", "both edit", "village adds",
                             "township adds", "exchange", "record sync", "count"])
    return draw(st.lists(st.tuples(kinds, st.integers(0, 5), st.integers(0, 3)),
                         min_size=1, max_size=10))


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(plan=steps(), old=st.booleans())
def test_counts_follow_any_mix_of_changes(
    tmp_path_factory: pytest.TempPathFactory, plan: list[tuple[str, int, int]], old: bool,
) -> None:
    """Counted after every step (from what the last count cached), the counts are always
    what counting from nothing gives; on old documents too."""
    root = tmp_path_factory.mktemp("mix")
    township = make_township(root / "t", old=old)
    village = create_village_home(root / "v", township, "v01", user="v01clerk")
    if old:
        write_old_form(village)
    document = village_doc_id(township, "v01")
    columns = ["participants", "note", "kind"]
    try:
        for kind, n, value in plan:
            rows = [r.id for r in village.ledgers.session(PROGRAM).rows()]
            offices = {"township edits": [township], "village edits": [village],
                       "both edit": [township, village]}.get(kind, [])
            for office in offices:
                rows_here = [r.id for r in office.ledgers.session(PROGRAM, "v01").rows()]
                row = rows[n % len(rows)] if rows[n % len(rows)] in rows_here else rows_here[0]
                cell = {columns[value % 3]: value if value % 3 == 0 else f"值{value}"}
                village_doc(office, "v01").set_cells(who(office), PROGRAM, row, cell)
            if kind in ("village adds", "township adds"):
                office = village if kind == "village adds" else township
                village_doc(office, "v01").add_rows(who(office), PROGRAM, ROWS[: value + 1])
            elif kind == "exchange":
                exchange(township, village, document)
            elif kind == "record sync":
                record_sync(township, village, document)
            if kind != "count" or value % 2:
                check(village)
                check(township)
    finally:
        village.close()
        township.close()


def test_unsynced_counts_follow_a_device_that_edits_twice(homes: tuple[Office, Office]) -> None:
    _, village = homes
    row = village.ledgers.session(PROGRAM).rows()[0].id
    for value in ("a", "b", "c"):
        village_doc(village, "v01").set_cells(who(village), PROGRAM, row, {"note": value})
        check(village)
    found = counts_module.unsynced_cells(village.history._context,
                                         village_doc_id(village, "v01"))
    assert Counter(found)[(PROGRAM, "v01", row, "note")] == 3


def test_two_first_values_of_a_cell_empty_when_added_are_counted_as_a_conflict(
    homes: tuple[Office, Office],
) -> None:
    """Both edits name no parent (the cell was empty when its row was added): the cached
    leaves must keep a lone first value, or the second would seem to be the only one."""
    township, village = homes
    document = village_doc_id(township, "v01")
    [row] = village_doc(township, "v01").add_rows(who(township), PROGRAM, [{}])
    exchange(township, village, document)
    [first] = village_doc(village, "v01").set_cells(who(village), PROGRAM, row, {"note": "村"})
    assert first.prev is None
    check(village)  # cached with the village's lone value
    [other] = village_doc(township, "v01").set_cells(who(township), PROGRAM, row, {"note": "乡"})
    assert other.prev is None
    exchange(township, village, document)
    assert village.history.conflicted_cells(PROGRAM, "v01") == {(PROGRAM, "v01", row, "note")}
    check(village)
    check(township)
