"""Pins what sync/automerge_doc.py relies on in automerge 1.0.0rc1's binding.

If a binding upgrade changes any of this (the hand-made sync message that applies
changes above all), these tests fail loudly before anything else does.
"""

from __future__ import annotations

import pytest
from automerge import core

from vledger.sync.binding.automerge_doc import (
    ROOT,
    BadChange,
    apply_changes,
    changes_since,
    genesis,
    has_changes,
    parse_changes,
    put_value,
    read,
    read_map,
    sync_message_carrying,
    uleb,
)


def _doc_with_changes(n: int) -> core.Document:
    doc = core.Document()
    for i in range(n):
        with doc.transaction() as tx:
            put_value(tx, ROOT, f"k{i}", f"value {i}" * (40 if i == 1 else 1))
    return doc


def test_uleb_matches_leb128() -> None:
    assert uleb(0) == b"\x00"
    assert uleb(127) == b"\x7f"
    assert uleb(128) == b"\x80\x01"
    assert uleb(300) == b"\xac\x02"


def test_sync_message_layout() -> None:
    message = sync_message_carrying([b"ab", b"c"])
    assert message == bytes([0x42, 0, 0, 0, 2, 2]) + b"ab" + bytes([1]) + b"c"


def test_apply_changes_applies_in_order_and_is_idempotent() -> None:
    source = _doc_with_changes(3)
    target = core.Document()
    changes = changes_since(source, [])
    assert len(changes) == 3
    apply_changes(target, changes)
    assert target.get_heads() == source.get_heads()
    assert read_map(target, ROOT) == read_map(source, ROOT)
    apply_changes(target, changes)  # twice: nothing changes
    assert target.get_heads() == source.get_heads()
    assert len(target.get_changes([])) == 3


def test_apply_changes_queues_a_change_until_its_dependency_arrives() -> None:
    source = _doc_with_changes(2)
    first, second = changes_since(source, [])
    target = core.Document()
    apply_changes(target, [second])
    assert target.get_heads() == []  # queued, not applied
    assert not has_changes(target, [source.get_heads()[0]])
    apply_changes(target, [first])
    assert target.get_heads() == source.get_heads()
    assert has_changes(target, source.get_heads())


def test_parse_changes_reads_hash_and_deps_of_plain_and_compressed_changes() -> None:
    source = _doc_with_changes(2)
    stored = source.get_changes([])
    infos = parse_changes([c.bytes for c in stored])
    assert stored[1].bytes[8] == 2  # the long change is compressed: both kinds covered
    assert [i.hash for i in infos] == [c.hash for c in stored]
    assert [list(i.deps) for i in infos] == [c.deps for c in stored]


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
    change = _doc_with_changes(1).get_changes([])[0].bytes
    with pytest.raises(BadChange, match=message):
        parse_changes([damage(change)])  # type: ignore[operator]


def test_compressed_change_with_garbled_body_is_refused() -> None:
    change = bytearray(_doc_with_changes(2).get_changes([])[1].bytes)
    change[len(change) // 2] ^= 0x55
    with pytest.raises(BadChange):
        parse_changes([bytes(change)])


def test_values_keep_their_types() -> None:
    doc = core.Document()
    with doc.transaction() as tx:
        put_value(tx, ROOT, "flag", True)
        put_value(tx, ROOT, "count", 3)
        put_value(tx, ROOT, "amount", "12.50")
        put_value(tx, ROOT, "blob", b"\x00\x01")
        put_value(tx, ROOT, "row", {"a": 1, "b": None, "c": False})
        tx.put(ROOT, "float", core.ScalarType.F64, 0.1)
    assert doc.get(ROOT, "flag")[0] == (core.ScalarType.Boolean, True)  # type: ignore[index]
    plain = read_map(doc, ROOT)
    assert plain["flag"] is True and plain["count"] == 3 and plain["amount"] == "12.50"
    assert plain["blob"] == b"\x00\x01"
    assert plain["row"] == {"a": 1, "c": False}
    assert plain["float"] == "0.1"  # a float written by another tool is read exactly


def test_put_value_refuses_floats_and_deletes_on_none() -> None:
    doc = core.Document()
    with pytest.raises(TypeError, match="never floats"), doc.transaction() as tx:
        put_value(tx, ROOT, "x", 0.5)  # type: ignore[arg-type]
    with doc.transaction() as tx:
        put_value(tx, ROOT, "x", "1")
    with doc.transaction() as tx:
        put_value(tx, ROOT, "x", None)
        put_value(tx, ROOT, "never-there", None)
    assert read(doc, ROOT, "x") is None


def test_genesis_is_the_same_change_on_every_replica() -> None:
    a = genesis("t/v/2026", {"kind": "village"}, ["ledgers", "journal"])
    b = genesis("t/v/2026", {"kind": "village"}, ["ledgers", "journal"])
    other = genesis("t/w/2026", {"kind": "village"}, ["ledgers", "journal"])
    assert a.get_heads() == b.get_heads() != other.get_heads()
    a.set_actor(b"\x01" * 16)
    b.set_actor(b"\x02" * 16)
    for doc, key in ((a, "r1"), (b, "r2")):
        ledgers = doc.get(ROOT, "ledgers")[1]  # type: ignore[index]
        with doc.transaction() as tx:
            put_value(tx, ledgers, key, {"x": 1})
    a.merge(b)
    ledgers = a.get(ROOT, "ledgers")[1]  # type: ignore[index]
    assert sorted(a.keys(ledgers)) == ["r1", "r2"]  # one shared map, nothing hidden
