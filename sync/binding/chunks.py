"""automerge's storage and sync byte formats, as far as vledger needs to read them.

Pure bytes (no automerge import): LEB128; change and document chunks, checked
(magic, checksum, hash, dependencies, actor) before they reach automerge, because
the binding cannot tell which of the changes it was handed it actually applied;
the sync message (v1) vledger builds to hand a document changes (the binding has
no `apply_changes`) and reads to know which changes one carries; heads as stored.
A binding upgrade that changes any of this breaks this module and its pinning
tests (tests/sync/test_automerge_doc.py), not the rooms above.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from typing import NamedTuple

from vledger.errors import VledgerError

MAGIC = bytes([0x85, 0x6F, 0x4A, 0x83])
CHUNK_DOCUMENT, CHUNK_CHANGE, CHUNK_COMPRESSED = 0, 1, 2
HASH_LEN = 32
SYNC_MESSAGE_TYPE = 0x42


class BadChange(VledgerError, ValueError):
    """Bytes that are not a whole, intact automerge change (or document)."""


class MissingDependencies(VledgerError, ValueError):
    """Changes that build on changes this replica does not hold (yet)."""

    def __init__(self, waiting: Sequence[bytes], missing: Sequence[bytes]) -> None:
        self.waiting = list(waiting)
        self.missing = list(missing)
        super().__init__(
            f"{len(self.waiting)} change(s) build on {len(self.missing)} change(s) this replica "
            f"does not hold: {', '.join(h.hex()[:12] for h in self.missing[:5])}"
        )


# -- LEB128, as automerge's encodings use it -----------------------------------


@lru_cache(maxsize=4096)
def uleb(n: int) -> bytes:
    """LEB128 of `n` (kept for the small lengths every change and message repeats)."""
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


class ChunkInfo(NamedTuple):
    """One chunk of automerge's storage format, checked.

    For a change: `hash` is its change hash and `deps` the hashes it builds on.
    For a document (a `save()` snapshot) both are empty. (A named tuple: a sync
    parses a quarter of a million of them, and a frozen dataclass is slower to make.)
    """

    kind: int
    data: bytes  # the chunk's bytes exactly as given
    hash: bytes = b""
    deps: tuple[bytes, ...] = ()
    actor: bytes = b""  # a change's automerge actor (read with the dependencies before it)


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
    raw = data if start == 0 and end == len(data) else data[start:end]
    if kind == CHUNK_DOCUMENT:
        digest = hashlib.sha256(data[start + 8 : end]).digest()
        if digest[:4] != checksum:
            raise BadChange(f"the document chunk at byte {start} fails its checksum")
        return ChunkInfo(kind, raw), end
    if kind == CHUNK_CHANGE and body_at - start - 9 == _uleb_len(length):
        # The hash covers the kind, the length and the body as stored (the length in
        # its shortest form, as here): hash those bytes where they lie, no copy made.
        digest = hashlib.sha256(memoryview(data)[start + 8 : end]).digest()
        if digest[:4] != checksum:
            raise BadChange(f"the change at byte {start} fails its checksum")
        return ChunkInfo(kind, raw, digest, *_deps(data, body_at, end, start)), end
    body = data[body_at:end]
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
    return ChunkInfo(kind, raw, digest, *_deps(body, 0, len(body), start)), end


def _uleb_len(n: int) -> int:
    """How many bytes `uleb(n)` takes."""
    return max(1, (n.bit_length() + 6) // 7)


def _deps(body: bytes, at: int, end: int, start: int) -> tuple[tuple[bytes, ...], bytes]:
    """The dependencies listed at the start of the change body body[at:end], and the actor
    that follows them."""
    count = body[at] if at < end else 0x80
    if count < 0x80:  # one byte, the usual case
        at += 1
    else:
        count, at = read_uleb(body, at)
    deps_end = at + count * HASH_LEN
    if deps_end > end:
        raise BadChange(f"the change at byte {start} lists more dependencies than it holds")
    if count == 1:
        deps: tuple[bytes, ...] = (body[at:deps_end],)
    else:
        deps = tuple(body[at + i * HASH_LEN : at + (i + 1) * HASH_LEN] for i in range(count))
    size = body[deps_end] if deps_end < end else 0x80
    if size < 0x80:
        at = deps_end + 1
    else:
        size, at = read_uleb(body, deps_end)
    return deps, body[at : min(at + size, end)]


def parse_changes(changes: Iterable[bytes]) -> list[ChunkInfo]:
    """Check every item is exactly one intact change; BadChange names the first bad one."""
    found: list[ChunkInfo] = []
    sha256, make = hashlib.sha256, tuple.__new__
    for number, data in enumerate(changes, start=1):
        # The usual form, read here without a call per field (a sync of fifty villages
        # reads a quarter of a million): bytes holding one uncompressed change, its
        # length in one or two bytes of shortest form, with fewer than 128 dependencies
        # and an actor id under 128 bytes. The checks are those of _read_chunk; anything
        # else, intact or not, takes the long way below.
        if type(data) is bytes and len(data) > 11 and data[8] == CHUNK_CHANGE and (
            data.startswith(MAGIC)
        ):
            end, size = len(data), data[9]
            if size < 0x80:
                body_at = 10
            elif 0 < data[10] < 0x80:  # two bytes, the second not zero: shortest form
                size, body_at = (size & 0x7F) | data[10] << 7, 11
            else:
                size = body_at = 0
            if body_at and body_at + size == end:
                digest = sha256(data[8:]).digest()
                count = data[body_at]
                deps_end = body_at + 1 + count * HASH_LEN
                if count < 0x80 and deps_end < end and data[deps_end] < 0x80 and (
                    data.startswith(digest[:4], 4)
                ):
                    if count == 1:
                        deps: tuple[bytes, ...] = (data[body_at + 1 : deps_end],)
                    else:
                        deps = tuple(data[i : i + HASH_LEN]
                                     for i in range(body_at + 1, deps_end, HASH_LEN))
                    found.append(make(ChunkInfo, (
                        CHUNK_CHANGE, data, digest, deps,
                        data[deps_end + 1 : deps_end + 1 + data[deps_end]])))
                    continue
        if not isinstance(data, bytes | bytearray | memoryview):
            raise BadChange(f"change {number} is {type(data).__name__}, not bytes")
        data = bytes(data)
        try:
            first, end = _read_chunk(data, 0) if data else (None, 0)
            # one chunk that ends where the item does is the usual case; otherwise read
            # every chunk, to say what is wrong
            chunks = [first] if first is not None and end == len(data) else list(
                iter_chunks(data))
        except BadChange as problem:
            raise BadChange(f"change {number}: {problem}") from None
        if len(chunks) != 1 or chunks[0].kind == CHUNK_DOCUMENT:
            raise BadChange(f"change {number} is not exactly one change")
        found.append(chunks[0])
    return found


def change_hash(data: bytes) -> bytes:
    """The hash of one change (BadChange if `data` is not one intact change).

    The usual form, uncompressed with its length in shortest form, is hashed where it
    lies, its checksum not checked: for changes read from this home's own documents
    (what it sends), which automerge checked as it loaded them; a receiver checks all."""
    if len(data) > 9 and data[:4] == MAGIC and data[8] == CHUNK_CHANGE:
        length, body_at = read_uleb(data, 9)
        if body_at + length == len(data) and body_at - 9 == _uleb_len(length):
            return hashlib.sha256(memoryview(data)[8:]).digest()
    return parse_changes([data])[0].hash


def change_hashes_of(data: bytes) -> list[bytes]:
    """The change hashes in concatenated change chunks (a stored chunk row)."""
    return [c.hash for c in iter_chunks(data) if c.kind != CHUNK_DOCUMENT]


def change_actor(info: ChunkInfo) -> bytes:
    """The automerge actor of a parsed change (it follows the dependencies in the body)."""
    return info.actor


def change_actor_seq(info: ChunkInfo) -> tuple[bytes, int]:
    """(actor, sequence number) of a parsed change: the pair no two changes may share."""
    length, body_at = read_uleb(info.data, 9)
    body = info.data[body_at : body_at + length]
    if info.kind == CHUNK_COMPRESSED:
        body = zlib.decompress(body, -15)
    count, at = read_uleb(body, 0)
    size, at = read_uleb(body, at + count * HASH_LEN)
    actor = body[at : at + size]
    seq, _ = read_uleb(body, at + size)
    return actor, seq


# -- sync messages ---------------------------------------------------------------------


def sync_message_carrying(changes: Sequence[bytes]) -> bytes:
    """An automerge sync message (v1) with no heads, needs or haves, carrying `changes`."""
    parts = [bytes([SYNC_MESSAGE_TYPE]), uleb(0), uleb(0), uleb(0), uleb(len(changes))]
    for change in changes:
        parts.append(uleb(len(change)))
        parts.append(bytes(change))
    return b"".join(parts)


def sync_message_chunks(message: bytes) -> list[ChunkInfo]:
    """The chunks a sync message (v1) carries: changes, or a whole document (v2 may
    concatenate several changes in one item). BadChange when it cannot be read so."""
    try:
        at = 1
        for _ in range(2):  # heads, need
            count, at = read_uleb(message, at)
            at += HASH_LEN * count
        haves, at = read_uleb(message, at)
        for _ in range(haves):
            count, at = read_uleb(message, at)
            at += HASH_LEN * count
            size, at = read_uleb(message, at)
            at += size
        count, at = read_uleb(message, at)
        found: list[ChunkInfo] = []
        for _ in range(count):
            size, at = read_uleb(message, at)
            found += iter_chunks(message[at : at + size])
            at += size
    except IndexError:
        raise BadChange("the sync message is cut short") from None
    if at > len(message):
        raise BadChange("the sync message is cut short")
    return found


# -- heads --------------------------------------------------------------------------------

