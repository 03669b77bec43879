"""The few things vledger needs from automerge 1.0.0rc1's low-level binding.

Everything that knows how automerge encodes bytes lives here, so a binding
upgrade breaks one module (and its pinning tests), not the whole sync layer:

- reading and writing typed scalars (the binding's high-level proxy stores
  bools as ints, so we always name the ScalarType);
- checking change chunks before they reach automerge (magic, checksum, hash,
  dependencies), because the binding cannot tell us which of the changes it
  was handed it actually applied;
- applying received changes to an open document: the binding has no
  `apply_changes`, so we hand it a sync message that carries the changes;
- the deterministic first change (genesis) every replica of a document
  shares, so their top-level maps are the same objects and never conflict.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from automerge import core

ROOT: bytes = core.ROOT
MAGIC = bytes([0x85, 0x6F, 0x4A, 0x83])
CHUNK_DOCUMENT, CHUNK_CHANGE, CHUNK_COMPRESSED = 0, 1, 2
HASH_LEN = 32
SYNC_MESSAGE_TYPE = 0x42

# Plain values a document holds: what spec §2 stores in a cell, plus nested maps.
Plain = int | str | bool | bytes | None | Mapping[str, "Plain"]


class BadChange(ValueError):
    """Bytes that are not a whole, intact automerge change."""


class MissingDependencies(ValueError):
    """Changes that build on changes this replica does not hold (yet)."""

    def __init__(self, waiting: Sequence[bytes], missing: Sequence[bytes]) -> None:
        self.waiting = list(waiting)
        self.missing = list(missing)
        super().__init__(
            f"{len(self.waiting)} change(s) build on {len(self.missing)} change(s) this replica "
            f"does not hold: {', '.join(h.hex()[:12] for h in self.missing[:5])}"
        )


# -- LEB128, as automerge's encodings use it -----------------------------------


def uleb(n: int) -> bytes:
    if n < 0:
        raise ValueError("uleb of a negative number")
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def read_uleb(data: bytes, at: int) -> tuple[int, int]:
    """(value, position after it); BadChange when the bytes stop mid-number."""
    value = shift = 0
    while True:
        if at >= len(data):
            raise BadChange("the bytes stop in the middle of a length")
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, at
        if shift > 63:
            raise BadChange("a length field is too long")


# -- chunks ------------------------------------------------------------------------


@dataclass(frozen=True)
class ChunkInfo:
    """One chunk of automerge's storage format, checked.

    For a change: `hash` is its change hash and `deps` the hashes it builds on.
    For a document (a `save()` snapshot) both are empty.
    """

    kind: int
    data: bytes  # the chunk's bytes exactly as given
    hash: bytes = b""
    deps: tuple[bytes, ...] = ()


def iter_chunks(data: bytes) -> Iterator[ChunkInfo]:
    """Split concatenated chunks, verifying each one's checksum; BadChange on damage."""
    at = 0
    if not data:
        return
    while at < len(data):
        chunk, at = _read_chunk(data, at)
        yield chunk


def _read_chunk(data: bytes, start: int) -> tuple[ChunkInfo, int]:
    if data[start : start + 4] != MAGIC:
        raise BadChange(f"no automerge chunk at byte {start} (bad magic bytes)")
    if start + 9 > len(data):
        raise BadChange(f"the chunk at byte {start} is cut off in its header")
    checksum = data[start + 4 : start + 8]
    kind = data[start + 8]
    length, body_at = read_uleb(data, start + 9)
    end = body_at + length
    if end > len(data):
        raise BadChange(f"the chunk at byte {start} is cut off ({len(data) - body_at} of {length})")
    body = data[body_at:end]
    raw = data[start:end]
    if kind == CHUNK_DOCUMENT:
        digest = hashlib.sha256(data[start + 8 : end]).digest()
        if digest[:4] != checksum:
            raise BadChange(f"the document chunk at byte {start} fails its checksum")
        return ChunkInfo(kind, raw), end
    if kind == CHUNK_COMPRESSED:
        try:
            body = zlib.decompress(body, -15)
        except zlib.error as problem:
            raise BadChange(f"the compressed change at byte {start} is garbled") from problem
    elif kind != CHUNK_CHANGE:
        raise BadChange(f"unknown chunk type {kind} at byte {start}")
    digest = hashlib.sha256(bytes([CHUNK_CHANGE]) + uleb(len(body)) + body).digest()
    if digest[:4] != checksum:
        raise BadChange(f"the change at byte {start} fails its checksum")
    return ChunkInfo(kind, raw, digest, _deps(body, start)), end


def _deps(body: bytes, start: int) -> tuple[bytes, ...]:
    count, at = read_uleb(body, 0)
    if at + count * HASH_LEN > len(body):
        raise BadChange(f"the change at byte {start} lists more dependencies than it holds")
    return tuple(body[at + i * HASH_LEN : at + (i + 1) * HASH_LEN] for i in range(count))


def parse_changes(changes: Iterable[bytes]) -> list[ChunkInfo]:
    """Check every item is exactly one intact change; BadChange names the first bad one."""
    found: list[ChunkInfo] = []
    for number, data in enumerate(changes, start=1):
        if not isinstance(data, bytes | bytearray | memoryview):
            raise BadChange(f"change {number} is {type(data).__name__}, not bytes")
        data = bytes(data)
        try:
            chunks = list(iter_chunks(data))
        except BadChange as problem:
            raise BadChange(f"change {number}: {problem}") from None
        if len(chunks) != 1 or chunks[0].kind == CHUNK_DOCUMENT:
            raise BadChange(f"change {number} is not exactly one change")
        found.append(chunks[0])
    return found


def change_hashes_of(data: bytes) -> list[bytes]:
    """The change hashes in concatenated change chunks (a stored chunk row)."""
    return [c.hash for c in iter_chunks(data) if c.kind != CHUNK_DOCUMENT]


# -- applying received changes ---------------------------------------------------------


def sync_message_carrying(changes: Sequence[bytes]) -> bytes:
    """An automerge sync message (v1) with no heads, needs or haves, carrying `changes`."""
    parts = [bytes([SYNC_MESSAGE_TYPE]), uleb(0), uleb(0), uleb(0), uleb(len(changes))]
    for change in changes:
        parts.append(uleb(len(change)))
        parts.append(bytes(change))
    return b"".join(parts)


def apply_changes(doc: core.Document, changes: Sequence[bytes]) -> None:
    """Hand `changes` to `doc` as a sync message (the binding has no apply_changes).

    Automerge applies what it can, queues changes whose dependencies are not
    in the document yet (applying them once those arrive), and ignores changes
    it already holds. It does not say which it did: callers that need
    all-or-nothing check the result (see `Replica.apply_batch`).
    """
    if not changes:
        return
    message = core.Message.decode(sync_message_carrying(changes))
    doc.receive_sync_message(core.SyncState(), message)


def changes_since(doc: core.Document, heads: Sequence[bytes]) -> list[bytes]:
    """The changes `doc` holds that are not ancestors of `heads`, in causal order.

    Heads the document does not know are ignored, so a peer that claims
    unknown heads gets everything (the safe answer).
    """
    return [change.bytes for change in doc.get_changes(list(heads))]


def has_changes(doc: core.Document, hashes: Sequence[bytes]) -> bool:
    """Whether `doc` holds every change in `hashes` (forks at them: not cheap)."""
    if not hashes:
        return True
    try:
        doc.fork(heads=list(hashes))
    except Exception:  # the binding raises a bare Exception("invalid hash ...")
        return False
    return True


def heads_key(heads: Iterable[bytes]) -> bytes:
    """Heads as one canonical byte string (sorted, concatenated) for storage and keys."""
    return b"".join(sorted(heads))


def split_heads(blob: bytes | None) -> list[bytes]:
    if not blob:
        return []
    if len(blob) % HASH_LEN:
        raise ValueError("stored heads are not a whole number of hashes")
    return [blob[i : i + HASH_LEN] for i in range(0, len(blob), HASH_LEN)]


# -- typed values ---------------------------------------------------------------------


def put_value(tx: core.Transaction, obj: bytes, key: str, value: Plain) -> None:
    """Write one plain value; None deletes the key (an empty cell has no key)."""
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
        return value.isoformat()
    return value  # Str, Int, Uint, Counter, Boolean, Null


def read(doc: core.Document, obj: bytes, key: str) -> Plain:
    """The plain value at obj/key: a scalar, a dict for a map, None when absent."""
    found = doc.get(obj, key)
    if found is None:
        return None
    value, child = found
    if isinstance(value, core.ObjType):
        return read_map(doc, child) if value == core.ObjType.Map else None
    return scalar_to_plain(*value)


def read_map(doc: core.Document, obj: bytes) -> dict[str, Plain]:
    return {key: read(doc, obj, key) for key in doc.keys(obj)}


def map_id(doc: core.Document, obj: bytes, key: str) -> bytes | None:
    """The object id of the map at obj/key, None when there is none."""
    found = doc.get(obj, key)
    if found is None or found[0] != core.ObjType.Map:
        return None
    return found[1]


# -- the shared first change --------------------------------------------------------


def genesis_actor(doc_id: str) -> bytes:
    return hashlib.sha256(b"vledger genesis\x00" + doc_id.encode("utf-8")).digest()[:16]


def genesis(doc_id: str, header: Mapping[str, Plain], maps: Sequence[str]) -> core.Document:
    """The document's first change, byte-identical on every replica that makes it.

    The actor comes from the document id and the binding writes no time, so two
    offices creating the same document offline share one root and one map
    per name in `maps`: their later writes merge instead of replacing each
    other's maps (which concurrent `put_object` on one key would do).
    """
    doc = core.Document(actor_id=genesis_actor(doc_id))
    with doc.transaction() as tx:
        for key in sorted(header):
            put_value(tx, ROOT, key, header[key])
        for name in maps:
            tx.put_object(ROOT, name, core.ObjType.Map)
    return doc
