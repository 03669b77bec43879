"""Frames: how sync messages travel on a connection and in a bundle file.

A frame is a 4-byte big-endian length, then that many bytes of msgpack: a map
with at least `v` (the protocol version) and `t` (the frame type). The length
is checked against a cap *before* the body is read, so a peer cannot make us
buffer a gigabyte by lying in four bytes. Anything that is not a well-formed
frame of our version is a `FrameError`; the connection answers it with an
`error` frame and closes, and nothing of it reaches the store.

This module knows nothing about documents; sync/protocol.py gives frames meaning.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Iterator, Mapping
from typing import Any

import msgpack

from vledger.errors import VledgerError

VERSION = 1
MAX_FRAME = 16 << 20  # 16 MiB: a whole 2,500-row village history fits many times over
# Before a peer is known (its hello, an enrollment reply) a frame is a few kilobytes:
# nobody may make a server read megabytes before saying who they are.
MAX_UNAUTHENTICATED = 256 << 10
# Objects one frame may decode into. A real frame is a few thousand byte strings (changes,
# heads, vouchers); 16 MiB of one-byte empty lists would be 16 million Python objects.
MAX_OBJECTS = 1 << 20
LENGTH = struct.Struct(">I")
HASH_LEN = 32

Frame = dict[str, Any]


class FrameError(VledgerError, ValueError):
    """Bytes that are not a frame we accept; `code` goes into the error frame."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class ConnectionCut(VledgerError, ConnectionError):
    """The link closed before a whole frame arrived (between or inside frames)."""


def error_frame(code: str, message: str) -> Frame:
    return {"t": "error", "code": code, "message": message}


def encode(frame: Mapping[str, Any], max_size: int = MAX_FRAME) -> bytes:
    """The frame's bytes on the wire; FrameError if it would exceed the cap."""
    body = msgpack.packb({"v": VERSION, **frame}, use_bin_type=True)
    if len(body) > max_size:
        raise FrameError("too_big", f"a {frame.get('t')} frame of {len(body)} bytes is over the "
                         f"{max_size}-byte cap")
    return bytes(LENGTH.pack(len(body)) + body)


def decode_body(body: bytes) -> Frame:
    """One frame's body as a dict; FrameError when it is not msgpack or not our version,
    or would decode into more than MAX_OBJECTS objects (counted before decoding)."""
    count_objects(body, MAX_OBJECTS)
    try:
        frame = msgpack.unpackb(body, raw=False, strict_map_key=True, use_list=True)
    except Exception as problem:  # msgpack raises several unrelated classes
        raise FrameError("garbled", f"a frame is not readable msgpack ({problem})") from None
    if not isinstance(frame, dict) or not isinstance(frame.get("t"), str):
        raise FrameError("garbled", "a frame is not a map with a type")
    if frame.get("v") != VERSION:
        raise FrameError(
            "version", f"the peer speaks sync protocol version {frame.get('v')!r}, we speak "
            f"{VERSION}"
        )
    return frame


_FIXED = {0xc0: 0, 0xc2: 0, 0xc3: 0, 0xca: 4, 0xcb: 8, 0xcc: 1, 0xcd: 2, 0xce: 4, 0xcf: 8,
          0xd0: 1, 0xd1: 2, 0xd2: 4, 0xd3: 8, 0xd4: 2, 0xd5: 3, 0xd6: 5, 0xd7: 9, 0xd8: 17}
_SIZED = {0xc4: 1, 0xc5: 2, 0xc6: 4, 0xd9: 1, 0xda: 2, 0xdb: 4}  # bin and str: skip the bytes
_EXT = {0xc7: 1, 0xc8: 2, 0xc9: 4}
_CONTAINER = {0xdc: (2, 1), 0xdd: (4, 1), 0xde: (2, 2), 0xdf: (4, 2)}  # (length size, per item)


def count_objects(data: bytes, limit: int) -> int:
    """How many msgpack objects `data` holds, read from their headers without decoding;
    FrameError past `limit` or when the headers run past the end."""
    at, pending, count = 0, 1, 0
    end = len(data)
    while pending:
        if at >= end:
            raise FrameError("garbled", "a frame's msgpack stops short")
        head = data[at]
        at += 1
        pending -= 1
        count += 1
        if count > limit:
            raise FrameError("too_big", f"a frame of more than {limit} values")
        if head <= 0x7F or head >= 0xE0:
            continue
        if 0x80 <= head <= 0x9F:
            pending += (head & 0x0F) * (2 if head <= 0x8F else 1)
        elif 0xA0 <= head <= 0xBF:
            at += head & 0x1F
        elif head in _FIXED:
            at += _FIXED[head]
        elif head in _SIZED or head in _EXT:
            size = _SIZED.get(head) or _EXT[head]
            at += size + int.from_bytes(data[at : at + size], "big") + (head in _EXT)
        elif head in _CONTAINER:
            size, per = _CONTAINER[head]
            pending += int.from_bytes(data[at : at + size], "big") * per
            at += size
        else:
            raise FrameError("garbled", f"a frame holds msgpack type 0x{head:02x}")
        if pending > limit:
            raise FrameError("too_big", f"a frame of more than {limit} values")
    return count


def check_length(length: int, max_size: int = MAX_FRAME) -> None:
    if length > max_size:
        raise FrameError("too_big", f"a frame announces {length} bytes, over the "
                         f"{max_size}-byte cap")
    if length == 0:
        raise FrameError("garbled", "an empty frame")


async def read_frame(
    reader: asyncio.StreamReader, timeout: float, max_size: int = MAX_FRAME
) -> Frame:
    """The next frame; TimeoutError, ConnectionCut or FrameError otherwise.

    Every read has a deadline: a peer that stops talking mid-frame is
    indistinguishable from a dead link, and either way we must not hang.
    """
    head = await _read_exactly(reader, LENGTH.size, timeout)
    (length,) = LENGTH.unpack(head)
    check_length(length, max_size)
    return decode_body(await _read_exactly(reader, length, timeout))


async def _read_exactly(reader: asyncio.StreamReader, n: int, timeout: float) -> bytes:
    try:
        return await asyncio.wait_for(reader.readexactly(n), timeout)
    except asyncio.IncompleteReadError as cut:
        where = "between frames" if not cut.partial and n == LENGTH.size else "inside a frame"
        raise ConnectionCut(f"the link closed {where}") from None
    except (ConnectionResetError, BrokenPipeError) as problem:
        raise ConnectionCut(f"the link was reset ({problem})") from None


async def write_frame(
    writer: asyncio.StreamWriter, frame: Mapping[str, Any], timeout: float
) -> int:
    """Send one frame and wait until it is handed to the OS; returns its size."""
    data = encode(frame)
    writer.write(data)
    try:
        await asyncio.wait_for(writer.drain(), timeout)
    except (ConnectionResetError, BrokenPipeError) as problem:
        raise ConnectionCut(f"the link was reset ({problem})") from None
    return len(data)


def iter_frames(data: bytes, max_size: int = MAX_FRAME) -> Iterator[tuple[Frame, int, int]]:
    """(frame, start, end) for each frame in `data`; FrameError when they stop mid-frame."""
    at = 0
    while at < len(data):
        if at + LENGTH.size > len(data):
            raise FrameError("truncated", f"the data stops inside a frame length at byte {at}")
        (length,) = LENGTH.unpack_from(data, at)
        check_length(length, max_size)
        end = at + LENGTH.size + length
        if end > len(data):
            raise FrameError("truncated", f"the data stops inside a frame at byte {at}")
        yield decode_body(data[at + LENGTH.size : end]), at, end
        at = end


# -- reading fields of a decoded frame -----------------------------------------------


def text(frame: Frame, key: str, *, optional: bool = False) -> str:
    value = frame.get(key)
    if value is None and optional:
        return ""
    if not isinstance(value, str) or len(value) > 200:
        raise FrameError("garbled", f"{frame['t']} frame: {key} must be a short string")
    return value


def blob(frame: Frame, key: str) -> bytes | None:
    value = frame.get(key)
    if value is not None and not isinstance(value, bytes):
        raise FrameError("garbled", f"{frame['t']} frame: {key} must be bytes or nil")
    return value


def heads(value: object, what: str) -> list[bytes]:
    if not isinstance(value, list) or not all(
        isinstance(h, bytes) and len(h) == HASH_LEN for h in value
    ):
        raise FrameError("garbled", f"{what}: heads must be a list of 32-byte hashes")
    return list(value)


def heads_map(frame: Frame, key: str = "docs") -> dict[str, list[bytes]]:
    value = frame.get(key)
    if not isinstance(value, dict):
        raise FrameError("garbled", f"{frame['t']} frame: {key} must map documents to heads")
    return {str(doc): heads(h, f"{frame['t']} frame, {doc}") for doc, h in value.items()}


def change_list(frame: Mapping[str, Any], key: str = "changes") -> list[bytes]:
    value = frame.get(key)
    if not isinstance(value, list) or not all(isinstance(c, bytes) for c in value):
        raise FrameError("garbled", f"{frame.get('t', 'a')} frame: {key} must be a list of bytes")
    return list(value)


def doc_map(frame: Mapping[str, Any], key: str) -> dict[str, Any]:
    """A map keyed by document ids (short strings); FrameError otherwise."""
    value = frame.get(key)
    if not isinstance(value, dict) or not all(
        isinstance(doc, str) and len(doc) <= 200 for doc in value
    ):
        raise FrameError("garbled", f"{frame.get('t', 'a')} frame: {key} must map documents")
    return value


def split_changes(changes: list[bytes], budget: int = MAX_FRAME // 2) -> Iterator[list[bytes]]:
    """Consecutive runs of `changes` of at most `budget` bytes each (order kept).

    Changes come in causal order, so each run applies on top of the ones before.
    """
    run: list[bytes] = []
    size = 0
    for change in changes:
        if len(change) > budget:
            raise FrameError("too_big", f"one change of {len(change)} bytes is over the "
                             f"{budget}-byte budget of a frame")
        if run and size + len(change) > budget:
            yield run
            run, size = [], 0
        run.append(change)
        size += len(change) + 8
    if run:
        yield run
