"""An automerge document as the rooms above use it: typed, plain values in and out.

automerge 1.0.0rc1's low-level binding is the only automerge this project talks
to, and only here. What it needs working around lives here too:

- its high-level proxy stores bools as ints, so every scalar is written with its
  ScalarType named, and read back as plain Python (bytes, exact decimals: never a
  float; Text objects written by other automerge tools read as their string);
- it has no `apply_changes`: `Doc.apply` hands it a sync message that carries the
  changes (binding/chunks.py builds it), and checks nothing: callers that need
  all-or-nothing compare heads (documents/replica.py);
- it raises bare `Exception`s: they become `BadChange` here;
- a document's first change (`genesis`) must be byte-identical on every replica,
  so that the top-level maps are the same objects everywhere (documents/replica.py
  says why).
"""

from __future__ import annotations

import builtins
import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from automerge import core

from vledger.collection import paused
from vledger.sync.binding.chunks import (
    CHUNK_DOCUMENT,
    BadChange,
    ChunkInfo,
    sync_message_carrying,
    sync_message_chunks,
)

ROOT: bytes = core.ROOT
ObjectId = bytes

# Plain values a document holds: what spec §2 stores in a cell, plus nested maps.
Plain = int | str | bool | bytes | None | Mapping[str, "Plain"]

# Scalars the binding already hands back as plain Python (Str, Int, Uint, Boolean,
# Null): telling them apart by Python type skips comparing the binding's enums, which
# is slow on a 20,000-row ledger.
_AS_IS = (str, int, bool, type(None))
_MAP = core.ObjType.Map  # the binding makes a new enum object each time: compare, not `is`


class Change:
    """One change of a document: its hash, bytes, dependencies and actor (read lazily:
    each costs a call into the binding, and most callers need one of them)."""

    __slots__ = ("_raw",)

    def __init__(self, raw: Any) -> None:
        self._raw = raw

    @property
    def hash(self) -> builtins.bytes:
        return builtins.bytes(self._raw.hash)

    @property
    def bytes(self) -> builtins.bytes:
        return builtins.bytes(self._raw.bytes)

    @property
    def deps(self) -> tuple[builtins.bytes, ...]:
        return tuple(builtins.bytes(d) for d in self._raw.deps)

    @property
    def actor(self) -> builtins.bytes:
        return builtins.bytes(self._raw.actor_id)

    @property
    def seq(self) -> int:
        """Its number among its actor's changes (1, 2, ...)."""
        return int(self._raw.seq)


class Doc:
    """One automerge document."""

    __slots__ = ("_doc",)

    def __init__(self, raw: core.Document | None = None, *, actor: bytes | None = None) -> None:
        if raw is None:
            raw = core.Document(actor_id=actor) if actor is not None else core.Document()
        self._doc = raw

    @classmethod
    def load(cls, data: bytes) -> Doc:
        """A document from `save()` bytes, or saved and change chunks concatenated;
        BadChange when automerge cannot load them."""
        try:
            return cls(core.Document.load(data))
        except Exception as problem:  # the binding raises bare Exceptions
            raise BadChange(f"automerge cannot load the document: {problem}") from None

    # -- the document as a whole -----------------------------------------------------

    def save(self) -> bytes:
        return bytes(self._doc.save())

    def fork(self, heads: Sequence[bytes] | None = None) -> Doc:
        """A copy (at `heads`); BadChange when a head is not a change of this document."""
        try:
            raw = self._doc.fork() if heads is None else self._doc.fork(heads=list(heads))
        except Exception as problem:  # "invalid hash ..."
            raise BadChange(str(problem)) from None
        return Doc(raw)

    def heads(self) -> list[bytes]:
        return list(self._doc.get_heads())

    def set_actor(self, actor: bytes) -> None:
        self._doc.set_actor(actor)

    def changes(self, since: Sequence[bytes] = ()) -> list[Change]:
        """Changes that are not ancestors of `since` (all of them for none), causal order.

        Heads the document does not know are ignored, so a peer that claims unknown
        heads is sent everything (the safe answer)."""
        return [Change(c) for c in self._doc.get_changes(list(since))]

    def hashes_and_bytes(self, since: Sequence[bytes] = ()) -> tuple[list[bytes], list[bytes]]:
        """`changes(since)` as their hashes and their bytes, in the same order: a batch
        received reads both of every change it applied (no Change wrapper each)."""
        raw = self._doc.get_changes(list(since))
        return [bytes(c.hash) for c in raw], [bytes(c.bytes) for c in raw]

    def change_bytes(self, since: Sequence[bytes] = ()) -> list[bytes]:
        return [bytes(c.bytes) for c in self._doc.get_changes(list(since))]

    def change_hashes(self, since: Sequence[bytes] = ()) -> set[bytes]:
        """Every change hash held (after `since`): cheap, no change bytes are encoded."""
        return {bytes(c.hash) for c in self._doc.get_changes(list(since))}

    def change_graph(self) -> dict[bytes, tuple[bytes, ...]]:
        """Every change hash held, with the hashes it builds on."""
        return {bytes(c.hash): tuple(bytes(d) for d in c.deps)
                for c in self._doc.get_changes([])}

    def change_count(self) -> int:
        return len(self._doc.get_changes([]))

    def has(self, hashes: Sequence[bytes]) -> bool:
        """Whether every change in `hashes` is held (forks at them: not cheap)."""
        if not hashes:
            return True
        try:
            self._doc.fork(heads=list(hashes))
        except Exception:  # the binding raises a bare Exception("invalid hash ...")
            return False
        return True

    def apply(self, changes: Sequence[bytes]) -> None:
        """Hand `changes` to the document as a sync message (the binding has no
        apply_changes). automerge applies what it can, queues changes whose
        dependencies are missing, ignores what it holds, and says none of it; it
        raises (BadChange here) for bytes it cannot read."""
        if not changes:
            return
        try:
            message = core.Message.decode(sync_message_carrying(changes))
            self._doc.receive_sync_message(core.SyncState(), message)
        except Exception as problem:  # the binding raises bare Exceptions
            raise BadChange(f"automerge refused the batch: {problem}") from None

    # -- reading ---------------------------------------------------------------------

    def map_id(self, obj: ObjectId, key: str) -> ObjectId | None:
        """The object id of the map at obj/key, None when there is none."""
        return _map_id(self._doc, obj, key)

    def object_at(self, path: Sequence[str]) -> ObjectId | None:
        """The id of the map at `path` from the root, None when any step is not a map."""
        obj: ObjectId | None = ROOT
        for key in path:
            assert obj is not None
            obj = _map_id(self._doc, obj, key)
            if obj is None:
                return None
        return obj

    def keys(self, obj: ObjectId, heads: Sequence[bytes] | None = None) -> list[str]:
        """The map's keys (as the document was at `heads`, when given)."""
        if heads is None:
            return list(self._doc.keys(obj))
        return list(self._doc.keys(obj, list(heads)))

    def length(self, obj: ObjectId, heads: Sequence[bytes] | None = None) -> int:
        """How many keys the map has (had at `heads`): no key is handed over."""
        if heads is None:
            return int(self._doc.length(obj))
        return int(self._doc.length(obj, list(heads)))

    def read(self, obj: ObjectId, key: str) -> Plain:
        """The plain value at obj/key: a scalar, a dict for a map, None when absent."""
        return _read(self._doc, obj, key)

    def read_map(self, obj: ObjectId, prefix: str = "") -> dict[str, Plain]:
        """The map's keys that start with `prefix`, read whole: two binding calls per map
        (its keys and its values, paired in key order, each value the one `get` shows,
        the winner of a conflict) instead of one per key."""
        with paused():  # vledger/collection.py says why
            return _read_map(self._doc, obj, prefix)

    def read_fields(
        self, obj: ObjectId, prefix: str, fields: Sequence[str]
    ) -> dict[str, dict[str, Plain]]:
        """For each map under `obj` whose key starts with `prefix`: its values at `fields`
        (those it has), each read as `read` reads it; what is not a map is left out.

        One binding call per field of each map, where `read_map` makes two per map and
        then hands over every key: for a few fields of thousands of maps (a ledger's
        rows without the fields nobody asked for) a fifth less time."""
        with paused():  # vledger/collection.py says why
            return _read_fields(self._doc, obj, prefix, tuple(fields))

    def read_table(
        self, obj: ObjectId, prefix: str, fields: Sequence[str], inner: str,
        inner_fields: Sequence[str],
    ) -> list[list[Plain]]:
        """For each map under `obj` whose key starts with `prefix`, one list: its key, its
        values at `fields`, then the values at `inner_fields` of its map at `inner`; None
        for each one absent (every inner one when `inner` is no map). Values as `read`
        reads them, except that a map reads as None: a table's cells hold no map.

        One binding call per field and per inner field of each map and no dict made:
        for a few fields of thousands of maps (a ledger's rows, as measuring reads
        them) the least Python work per value."""
        with paused():  # vledger/collection.py says why
            return _read_table(self._doc, obj, prefix, tuple(fields), inner,
                               tuple(inner_fields))

    # -- writing ---------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """One automerge transaction: committed as one change when the block ends."""
        with self._doc.transaction() as tx:
            yield Tx(tx)

    # -- the sync protocol -----------------------------------------------------------

    def sync_peer(self) -> SyncPeer:
        return SyncPeer(self)


class Tx:
    """The open transaction of a `Doc.transaction()` block."""

    __slots__ = ("_tx",)

    def __init__(self, raw: core.Transaction) -> None:
        self._tx = raw

    def map_id(self, obj: ObjectId, key: str) -> ObjectId | None:
        return _map_id(self._tx, obj, key)

    def object_at(self, path: Sequence[str]) -> ObjectId | None:
        obj: ObjectId | None = ROOT
        for key in path:
            assert obj is not None
            obj = _map_id(self._tx, obj, key)
            if obj is None:
                return None
        return obj

    def read(self, obj: ObjectId, key: str) -> Plain:
        return _read(self._tx, obj, key)

    def put(self, obj: ObjectId, key: str, value: Plain) -> None:
        """Write one plain value; None deletes the key (an empty cell has no key), a
        mapping makes a new map (never put one where another office may make the same
        map concurrently: documents/replica.py says why)."""
        put_value(self._tx, obj, key, value)

    def put_map(self, obj: ObjectId, key: str) -> ObjectId:
        return bytes(self._tx.put_object(obj, key, core.ObjType.Map))


class SyncPeer:
    """One side of automerge's own sync protocol over a document, with a fresh state
    (the binding cannot persist a SyncState, and one kept across a lost message stalls)."""

    def __init__(self, doc: Doc) -> None:
        self.doc = doc
        self._state = core.SyncState()

    def generate(self) -> bytes | None:
        message = self.doc._doc.generate_sync_message(self._state)
        return None if message is None else bytes(message.encode())

    def receive(self, message: bytes) -> None:
        try:
            self.doc._doc.receive_sync_message(self._state, core.Message.decode(message))
        except Exception as problem:  # the binding raises bare Exceptions
            raise BadChange(f"unreadable sync message ({problem})") from None


def changes_in_sync_message(message: bytes) -> list[bytes]:
    """The changes a sync message carries, a whole document expanded into its changes;
    [] when it cannot be read that way."""
    try:
        found: list[bytes] = []
        for chunk in sync_message_chunks(message):
            if chunk.kind == CHUNK_DOCUMENT:
                found += Doc.load(chunk.data).change_bytes()
            else:
                found.append(chunk.data)
        return found
    except BadChange:
        return []


def load_checked(data: bytes) -> tuple[Doc, ChunkInfo]:
    """A whole document received as `save()` bytes: exactly one intact document chunk
    that automerge loads; BadChange otherwise."""
    from vledger.sync.binding.chunks import iter_chunks

    parts = list(iter_chunks(data))
    if len(parts) != 1 or parts[0].kind != CHUNK_DOCUMENT:
        raise BadChange("not exactly one whole document")
    return Doc.load(data), parts[0]


# -- typed values ---------------------------------------------------------------------


def put_value(tx: core.Transaction, obj: ObjectId, key: str, value: Plain) -> None:
    if value is None:
        if tx.get(obj, key) is not None:
            tx.delete(obj, key)
        return
    if isinstance(value, Mapping):
        child = tx.put_object(obj, key, core.ObjType.Map)
        for child_key, child_value in value.items():
            if child_value is not None:
                put_value(tx, child, child_key, child_value)
        return
    tx.put(obj, key, *_scalar(value))


def _scalar(value: object) -> tuple[core.ScalarType, Any]:
    # bool before int: True is an int to Python but a boolean to every other replica.
    if isinstance(value, bool):
        return core.ScalarType.Boolean, value
    if isinstance(value, int):
        return core.ScalarType.Int, value
    if isinstance(value, str):
        return core.ScalarType.Str, value
    if isinstance(value, bytes | bytearray):
        return core.ScalarType.Bytes, bytes(value)
    raise TypeError(
        f"cannot store {type(value).__name__} {value!r}: documents hold int, str, bool, bytes "
        "(decimals as strings, never floats)"
    )


def check_plain(value: object) -> None:
    """Raise TypeError if `value` could not be stored (checked before any write)."""
    if value is None:
        return
    if isinstance(value, Mapping):
        for key, child in value.items():
            if not isinstance(key, str):
                raise TypeError(f"map keys must be strings, not {key!r}")
            check_plain(child)
        return
    _scalar(value)


def scalar_to_plain(kind: core.ScalarType, value: Any) -> Plain:
    """A stored scalar as plain Python; odd types written by other tools are made exact."""
    if kind == core.ScalarType.Bytes:
        return bytes(value)  # the binding hands bytes back as a list of ints
    if kind == core.ScalarType.F64:
        return str(Decimal(repr(value)))  # never let a float into the ledger
    if kind == core.ScalarType.Timestamp:
        return str(value.isoformat())
    return value  # type: ignore[no-any-return]  # Str, Int, Uint, Counter, Boolean, Null


def _map_id(source: Any, obj: ObjectId, key: str) -> ObjectId | None:
    found = source.get(obj, key)
    if found is None or found[0] != core.ObjType.Map:
        return None
    return bytes(found[1])


def _read(source: Any, obj: ObjectId, key: str) -> Plain:
    found = source.get(obj, key)
    if found is None:
        return None
    return _plain(source, *found)


def _plain(source: Any, value: Any, child: bytes) -> Plain:
    if type(value) is tuple:
        scalar = value[1]
        return scalar if type(scalar) in _AS_IS else scalar_to_plain(*value)
    if value == core.ObjType.Map:
        return _read_map(source, child, "")
    if value == core.ObjType.Text:
        return str(source.text(child))
    return None


def _read_map(source: Any, obj: ObjectId, prefix: str) -> dict[str, Plain]:
    found: dict[str, Plain] = {}
    for key, (value, child) in zip(source.keys(obj), source.values(obj), strict=True):
        if prefix and not key.startswith(prefix):
            continue
        if type(value) is tuple:
            scalar = value[1]
            found[key] = scalar if type(scalar) in _AS_IS else scalar_to_plain(*value)
        else:
            found[key] = _plain(source, value, child)
    return found


def _read_fields(
    source: Any, obj: ObjectId, prefix: str, fields: tuple[str, ...]
) -> dict[str, dict[str, Plain]]:
    found: dict[str, dict[str, Plain]] = {}
    get = source.get
    for key, (value, child) in zip(source.keys(obj), source.values(obj), strict=True):
        if type(value) is tuple or (prefix and not key.startswith(prefix)) or value != _MAP:
            continue
        one: dict[str, Plain] = {}
        for field in fields:
            got = get(child, field)
            if got is None:
                continue
            kind, inner = got
            if type(kind) is tuple:
                scalar = kind[1]
                one[field] = scalar if type(scalar) in _AS_IS else scalar_to_plain(*kind)
            elif kind == _MAP:
                one[field] = _read_map(source, inner, "")
            else:
                one[field] = _plain(source, kind, inner)
        found[key] = one
    return found


def _read_table(
    source: Any, obj: ObjectId, prefix: str, fields: tuple[str, ...], inner: str,
    inner_fields: tuple[str, ...],
) -> list[list[Plain]]:
    found: list[list[Plain]] = []
    get = source.get
    none: list[Plain] = [None] * len(inner_fields)
    for key, (value, child) in zip(source.keys(obj), source.values(obj), strict=True):
        if type(value) is tuple or (prefix and not key.startswith(prefix)) or value != _MAP:
            continue
        row: list[Plain] = [key]
        for field in fields:
            got = get(child, field)
            if got is None:
                row.append(None)
            elif type(got[0]) is tuple and type(got[0][1]) in _AS_IS:
                row.append(got[0][1])  # the common case, inline: a plain scalar
            else:
                row.append(_cell(source, *got))
        got = get(child, inner)
        if got is None or type(got[0]) is tuple or got[0] != _MAP:
            row += none
        else:
            cells = got[1]
            for field in inner_fields:
                got = get(cells, field)
                if got is None:
                    row.append(None)
                elif type(got[0]) is tuple and type(got[0][1]) in _AS_IS:
                    row.append(got[0][1])
                else:
                    row.append(_cell(source, *got))
        found.append(row)
    return found


def _cell(source: Any, value: Any, child: bytes) -> Plain:
    """A value as `_plain` reads it, but None for a map."""
    if type(value) is not tuple and value == _MAP:
        return None
    return _plain(source, value, child)


# -- the shared first change --------------------------------------------------------


def genesis_actor(doc_id: str) -> bytes:
    return hashlib.sha256(b"vledger genesis\x00" + doc_id.encode("utf-8")).digest()[:16]


def genesis(doc_id: str, header: Mapping[str, Plain], maps: Iterable[str]) -> Doc:
    """The document's first change, byte-identical on every replica that makes it.

    The actor comes from the document id and the binding writes no time, so two
    offices creating the same document offline share one root and one map per name
    in `maps`: their later writes merge instead of replacing each other's maps
    (which concurrent `put_object` on one key would do).
    """
    doc = Doc(actor=genesis_actor(doc_id))
    with doc.transaction() as tx:
        for key in sorted(header):
            tx.put(ROOT, key, header[key])
        for name in maps:
            tx.put_map(ROOT, name)
    return doc
