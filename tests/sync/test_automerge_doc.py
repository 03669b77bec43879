"""Pins what the binding room (sync/binding/) relies on in automerge 1.0.0rc1.

If a binding upgrade changes any of this (the hand-made sync message that applies
changes above all), these tests fail loudly before anything else does. Raw
automerge is used only to make what another tool could write.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from automerge import core

from vledger.sync.binding.chunks import (
    BadChange,
    parse_changes,
    sync_message_carrying,
    sync_message_chunks,
    uleb,
)
from vledger.sync.binding.doc import ROOT, Doc, changes_in_sync_message, genesis


def _doc_with_changes(n: int) -> Doc:
    doc = Doc()
    for i in range(n):
        with doc.transaction() as tx:
            tx.put(ROOT, f"k{i}", f"value {i}" * (40 if i == 1 else 1))
    return doc


def test_uleb_matches_leb128() -> None:
    assert uleb(0) == b"\x00"
    assert uleb(127) == b"\x7f"
    assert uleb(128) == b"\x80\x01"
    assert uleb(300) == b"\xac\x02"


def test_sync_message_layout() -> None:
    message = sync_message_carrying([b"ab", b"c"])
    assert message == bytes([0x42, 0, 0, 0, 2, 2]) + b"ab" + bytes([1]) + b"c"


def test_the_changes_of_a_sync_message_are_read_back() -> None:
    changes = _doc_with_changes(3).change_bytes()
    message = sync_message_carrying(changes)
    assert [c.data for c in sync_message_chunks(message)] == changes
    assert changes_in_sync_message(message) == changes
    assert changes_in_sync_message(message[:-4]) == []  # cut short: nothing, no exception


def test_apply_applies_in_order_and_is_idempotent() -> None:
    source = _doc_with_changes(3)
    target = Doc()
    changes = source.change_bytes()
    assert len(changes) == 3
    target.apply(changes)
    assert target.heads() == source.heads()
    assert target.read_map(ROOT) == source.read_map(ROOT)
    target.apply(changes)  # twice: nothing changes
    assert target.heads() == source.heads()
    assert target.change_count() == 3


def test_apply_queues_a_change_until_its_dependency_arrives() -> None:
    source = _doc_with_changes(2)
    first, second = source.change_bytes()
    target = Doc()
    target.apply([second])
    assert target.heads() == []  # queued, not applied
    assert not target.has([source.heads()[0]])
    target.apply([first])
    assert target.heads() == source.heads()
    assert target.has(source.heads())


def test_bytes_automerge_cannot_read_are_bad_changes() -> None:
    with pytest.raises(BadChange):
        Doc().apply([b"\x85\x6f\x4a\x83garbage"])
    with pytest.raises(BadChange):
        Doc.load(b"not a document")
    with pytest.raises(BadChange):
        _doc_with_changes(1).fork([b"\x00" * 32])


def test_parse_changes_reads_hash_deps_and_actor_of_plain_and_compressed_changes() -> None:
    source = _doc_with_changes(2)
    source_actor = source.changes()[0].actor
    stored = source.changes()
    infos = parse_changes([c.bytes for c in stored])
    assert stored[1].bytes[8] == 2  # the long change is compressed: both kinds covered
    assert [i.hash for i in infos] == [c.hash for c in stored]
    assert [i.deps for i in infos] == [c.deps for c in stored]
    from vledger.sync.binding.chunks import change_actor

    assert [change_actor(i) for i in infos] == [source_actor, source_actor]


def test_parse_changes_reads_every_change_as_the_chunk_reader_does() -> None:
    """parse_changes reads the usual form without the chunk reader: every change of a
    merge (two dependencies, none, one; plain and compressed; a length of one byte and
    of two), and every one-byte damage of one, gives what the chunk reader gives, or
    BadChange from both."""
    from vledger.sync.binding.chunks import iter_chunks

    left, right = _doc_with_changes(1), Doc()
    with right.transaction() as tx:
        tx.put(ROOT, "other", "side")
    left.apply(right.change_bytes())
    with left.transaction() as tx:
        tx.put(ROOT, "after", "merge")
    longer = Doc()
    with longer.transaction() as tx:
        tx.put(ROOT, "long", "x" * 100)  # over 127 bytes, not compressed: a two-byte length
    changes = [c.bytes for c in left.changes()] + _doc_with_changes(2).change_bytes()
    changes += longer.change_bytes()
    assert changes[-1][8] == 1 and changes[-1][9] >= 0x80
    assert sorted(len(c.deps) for c in left.changes()) == [0, 0, 2]

    def chunk_reader(data: bytes) -> object:
        try:
            found = list(iter_chunks(data))
        except BadChange:
            return BadChange
        return found if len(found) == 1 and found[0].kind != 0 else BadChange

    def parsed(data: bytes) -> object:
        try:
            return parse_changes([data])
        except BadChange:
            return BadChange

    for change in changes:
        assert parsed(change) == chunk_reader(change) != BadChange
        for at in range(len(change)):
            for flip in (0x01, 0x80, 0xFF):
                damaged = change[:at] + bytes([change[at] ^ flip]) + change[at + 1 :]
                assert parsed(damaged) == chunk_reader(damaged), (at, flip)


def test_hashes_and_bytes_are_the_changes_in_order() -> None:
    doc = _doc_with_changes(4)
    first = doc.changes()[0].hash
    hashes, data = doc.hashes_and_bytes([first])
    assert hashes == [c.hash for c in doc.changes([first])] and len(hashes) == 3
    assert data == doc.change_bytes([first])


def test_change_hash_is_the_parsed_hash_of_plain_and_compressed_changes() -> None:
    from vledger.sync.binding.chunks import change_hash

    stored = _doc_with_changes(3).changes()
    assert any(c.bytes[8] == 2 for c in stored) and any(c.bytes[8] == 1 for c in stored)
    assert [change_hash(c.bytes) for c in stored] == [c.hash for c in stored]
    with pytest.raises(BadChange):
        change_hash(b"garbage")


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda b: b"garbage", "magic"),
        (lambda b: b[:-3], "cut off"),
        (lambda b: b[:20], "cut off"),
        (lambda b: b[:-1] + bytes([b[-1] ^ 0xFF]), "checksum"),
        (lambda b: b + b, "not exactly one change"),
    ],
)
def test_parse_changes_refuses_damaged_bytes(damage: object, message: str) -> None:
    change = _doc_with_changes(1).change_bytes()[0]
    with pytest.raises(BadChange, match=message):
        parse_changes([damage(change)])  # type: ignore[operator]


def test_compressed_change_with_garbled_body_is_refused() -> None:
    change = bytearray(_doc_with_changes(2).change_bytes()[1])
    change[len(change) // 2] ^= 0x55
    with pytest.raises(BadChange):
        parse_changes([bytes(change)])


def test_values_keep_their_types() -> None:
    doc = Doc()
    with doc.transaction() as tx:
        tx.put(ROOT, "flag", True)
        tx.put(ROOT, "count", 3)
        tx.put(ROOT, "amount", "12.50")
        tx.put(ROOT, "blob", b"\x00\x01")
        tx.put(ROOT, "row", {"a": 1, "b": None, "c": False})
    plain = doc.read_map(ROOT)
    assert plain["flag"] is True and plain["count"] == 3 and plain["amount"] == "12.50"
    assert plain["blob"] == b"\x00\x01"
    assert plain["row"] == {"a": 1, "c": False}
    raw = core.Document.load(doc.save())
    assert raw.get(ROOT, "flag")[0] == (core.ScalarType.Boolean, True)  # type: ignore[index]


def test_what_other_tools_write_is_read_exactly() -> None:
    """Floats become exact decimals, timestamps ISO text, and a Text object (automerge 3
    writes every string so) its string, never an empty cell."""
    raw = core.Document()
    with raw.transaction() as tx:
        tx.put(ROOT, "float", core.ScalarType.F64, 0.1)
        tx.put(ROOT, "when", core.ScalarType.Timestamp, datetime(2026, 1, 2, 3, 4, 5))
        tx.put(ROOT, "uint", core.ScalarType.Uint, 7)
        text = tx.put_object(ROOT, "note", core.ObjType.Text)
        tx.insert(text, 0, core.ScalarType.Str, "宣")  # type: ignore[call-arg]
        tx.insert(text, 1, core.ScalarType.Str, "传")  # type: ignore[call-arg]
    doc = Doc.load(raw.save())
    plain = doc.read_map(ROOT)
    assert plain["float"] == "0.1"
    assert str(plain["when"]).startswith("2026-01-02T03:04:05")
    assert plain["uint"] == 7
    assert plain["note"] == "宣传" == doc.read(ROOT, "note")


def with_a_conflict_on_n(raw: core.Document) -> tuple[Doc, Any]:
    """`raw` after two actors set row p/1's "n" at once (10 and 20), loaded; and p/1."""
    other = raw.fork()
    other.set_actor(b"\x02" * 16)
    row_1 = raw.get(ROOT, "p/1")[1]  # type: ignore[index]
    with raw.transaction() as tx:
        tx.put(row_1, "n", core.ScalarType.Int, 10)
    with other.transaction() as tx:
        tx.put(row_1, "n", core.ScalarType.Int, 20)
    raw.merge(other)
    return Doc.load(raw.save()), row_1


def test_read_fields_reads_the_named_fields_of_each_map_as_read_map_does() -> None:
    """Only maps under the prefix, only the fields they have, values as `read_map` gives
    them (the winner of a conflict, other tools' types made exact, nested maps whole)."""
    raw = core.Document(actor_id=b"\x01" * 16)
    with raw.transaction() as tx:
        for key in ("p/1", "p/2", "q/3"):
            row = tx.put_object(ROOT, key, core.ObjType.Map)
            tx.put(row, "n", core.ScalarType.Int, int(key[-1]))
            tx.put(row, "office", core.ScalarType.Str, "v01")
            cells = tx.put_object(row, "cells", core.ObjType.Map)
            tx.put(cells, "cost", core.ScalarType.F64, 0.1)
        tx.put(ROOT, "p/scalar", core.ScalarType.Str, "not a row")
    doc, row_1 = with_a_conflict_on_n(raw)
    found = doc.read_fields(ROOT, "p/", ("cells", "n", "deleted"))
    whole = doc.read_map(ROOT, "p/")
    assert found == {
        key: {f: v for f, v in row.items() if f in ("cells", "n", "deleted")}  # type: ignore[union-attr]
        for key, row in whole.items() if isinstance(row, dict)
    }
    assert found["p/2"] == {"n": 2, "cells": {"cost": "0.1"}}
    assert found["p/1"]["n"] in (10, 20) and found["p/1"]["n"] == doc.read(row_1, "n")


def test_read_table_reads_fields_and_inner_fields_of_each_map_as_read_does() -> None:
    """One list per map under the prefix: key, fields, then the inner map's fields; None
    for what is absent or a map; values as `read` gives them (a conflict's winner,
    other tools' types made exact)."""
    raw = core.Document(actor_id=b"\x01" * 16)
    with raw.transaction() as tx:
        for key in ("p/1", "p/2", "q/3"):
            row = tx.put_object(ROOT, key, core.ObjType.Map)
            tx.put(row, "n", core.ScalarType.Int, int(key[-1]))
            cells = tx.put_object(row, "cells", core.ObjType.Map)
            tx.put(cells, "cost", core.ScalarType.F64, 0.1)
            tx.put(cells, "kind", core.ScalarType.Str, "宣传")
        tx.put(ROOT, "p/scalar", core.ScalarType.Str, "not a row")
        row_2 = tx.get(ROOT, "p/2")[1]  # type: ignore[index]
        tx.put(row_2, "done", core.ScalarType.Boolean, True)
        tx.put_object(row_2, "deleted", core.ObjType.Map)
        cells_2 = tx.get(row_2, "cells")[1]  # type: ignore[index]
        tx.put_object(cells_2, "kind", core.ObjType.Map)
        row_4 = tx.put_object(ROOT, "p/4", core.ObjType.Map)
        tx.put(row_4, "cells", core.ScalarType.Str, "not a map")
    doc, row_1 = with_a_conflict_on_n(raw)
    found = doc.read_table(ROOT, "p/", ("n", "done", "deleted"), "cells", ("cost", "kind"))
    assert [r[0] for r in found] == ["p/1", "p/2", "p/4"]
    assert found[0] == ["p/1", doc.read(row_1, "n"), None, None, "0.1", "宣传"]
    assert found[0][1] in (10, 20)
    assert found[1] == ["p/2", 2, True, None, "0.1", None]
    assert found[2] == ["p/4", None, None, None, None, None]
    assert doc.read_table(ROOT, "r/", ("n",), "cells", ("kind",)) == []


def test_put_refuses_floats_and_deletes_on_none() -> None:
    doc = Doc()
    with pytest.raises(TypeError, match="never floats"), doc.transaction() as tx:
        tx.put(ROOT, "x", 0.5)  # type: ignore[arg-type]
    with doc.transaction() as tx:
        tx.put(ROOT, "x", "1")
    with doc.transaction() as tx:
        tx.put(ROOT, "x", None)
        tx.put(ROOT, "never-there", None)
    assert doc.read(ROOT, "x") is None


def test_keys_at_old_heads_see_the_map_as_it_was() -> None:
    doc = _doc_with_changes(1)
    before = doc.heads()
    with doc.transaction() as tx:
        tx.put(ROOT, "later", 1)
    assert "later" in doc.keys(ROOT) and "later" not in doc.keys(ROOT, before)


def test_genesis_is_the_same_change_on_every_replica() -> None:
    a = genesis("t/v/2026", {"kind": "village"}, ["ledgers", "journal"])
    b = genesis("t/v/2026", {"kind": "village"}, ["ledgers", "journal"])
    other = genesis("t/w/2026", {"kind": "village"}, ["ledgers", "journal"])
    assert a.heads() == b.heads() != other.heads()
    a.set_actor(b"\x01" * 16)
    b.set_actor(b"\x02" * 16)
    for doc, key in ((a, "r1"), (b, "r2")):
        ledgers = doc.map_id(ROOT, "ledgers")
        assert ledgers is not None
        with doc.transaction() as tx:
            tx.put(ledgers, key, {"x": 1})
    a.apply(b.change_bytes())
    ledgers = a.map_id(ROOT, "ledgers")
    assert ledgers is not None
    assert sorted(a.keys(ledgers)) == ["r1", "r2"]  # one shared map, nothing hidden
