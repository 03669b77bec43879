"""Frames on the wire, and what a real server does with bad ones: an error frame, then close."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncIterator
from pathlib import Path

import msgpack
import pytest

from tests.sync.test_protocol import open_home, township_home
from vledger.sync.link.frames import (
    MAX_FRAME,
    MAX_OBJECTS,
    MAX_UNAUTHENTICATED,
    ConnectionCut,
    FrameError,
    count_objects,
    decode_body,
    encode,
    iter_frames,
    read_frame,
    split_changes,
)
from vledger.sync.link.transport import Server, client_context


def reader_of(data: bytes, eof: bool = True) -> asyncio.StreamReader:
    reader = asyncio.StreamReader()
    reader.feed_data(data)
    if eof:
        reader.feed_eof()
    return reader


async def test_a_frame_round_trips_with_version_and_bytes() -> None:
    frame = {"t": "push", "doc": "t1/v01/2026", "changes": [b"\x00\xff", b""]}
    data = encode(frame)
    assert struct.unpack(">I", data[:4])[0] == len(data) - 4
    got = await read_frame(reader_of(data), 1.0)
    assert got == {"v": 1, **frame}


async def test_an_oversized_length_is_refused_before_the_body_is_read() -> None:
    # Only the 4 length bytes exist and the stream stays open: reading the body would hang.
    reader = reader_of(struct.pack(">I", MAX_FRAME + 1), eof=False)
    with pytest.raises(FrameError) as refused:
        await read_frame(reader, 5.0)
    assert refused.value.code == "too_big"


def test_encoding_a_frame_over_the_cap_is_refused() -> None:
    with pytest.raises(FrameError):
        encode({"t": "push", "changes": [b"x" * 100]}, max_size=50)


@pytest.mark.parametrize(
    "body, code",
    [
        (b"\xc1\xc1\xc1", "garbled"),  # not msgpack
        (msgpack.packb([1, 2, 3]), "garbled"),  # not a map
        (msgpack.packb({"v": 1}), "garbled"),  # no type
        (msgpack.packb({"v": 99, "t": "hello"}), "version"),
    ],
)
async def test_garbage_bodies_are_frame_errors(body: bytes, code: str) -> None:
    with pytest.raises(FrameError) as refused:
        await read_frame(reader_of(struct.pack(">I", len(body)) + body), 1.0)
    assert refused.value.code == code


async def test_a_frame_cut_short_is_a_cut_link_and_silence_a_timeout() -> None:
    data = encode({"t": "heads", "docs": {}})
    with pytest.raises(ConnectionCut):
        await read_frame(reader_of(data[:-2]), 1.0)
    with pytest.raises(TimeoutError):
        await read_frame(reader_of(data[:-2], eof=False), 0.05)


def test_frames_in_a_byte_string_and_a_truncated_tail() -> None:
    data = encode({"t": "a"}) + encode({"t": "b"})
    assert [f["t"] for f, _, _ in iter_frames(data)] == ["a", "b"]
    with pytest.raises(FrameError) as cut:
        list(iter_frames(data[:-1]))
    assert cut.value.code == "truncated"
    assert decode_body(data[4 : len(encode({"t": "a"}))]) == {"v": 1, "t": "a"}


def test_changes_are_split_in_order_under_a_budget() -> None:
    changes = [bytes([i]) * 40 for i in range(10)]
    runs = list(split_changes(changes, budget=100))
    assert [c for run in runs for c in run] == changes and len(runs) == 5
    with pytest.raises(FrameError):
        list(split_changes([b"x" * 101], budget=100))


# -- a real server answers bad frames with an error and closes -----------------------------


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[tuple[Server, int, Path]]:
    home = tmp_path / "town"
    township_home(home).close()
    open_home(tmp_path / "v01", "v01").close()  # an enrolled village: its link is trusted
    running = Server(home, timeout=2.0)
    _, port = await running.start("127.0.0.1", 0)
    yield running, port, tmp_path / "v01"
    await running.stop()


async def exchange(
    port: int, data: bytes, client: Path
) -> tuple[dict[str, object] | None, bytes]:
    """Over an authenticated TLS link from `client`'s home, send raw bytes, read one frame
    (if any) and whatever else comes before the close."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port,
                                                   ssl=client_context(client),
                                                   server_hostname="")
    writer.write(data)
    await writer.drain()
    try:
        frame = await read_frame(reader, 3.0)
    except ConnectionCut:
        frame = None
    rest = await asyncio.wait_for(reader.read(), 3.0)  # b"": the server closed
    writer.close()
    return frame, rest


def stored(running: Server) -> dict[str, list[bytes]]:
    """The stored heads, read as the server reads them (it may hold the home's lock)."""
    return running.gate.peek("t1")


@pytest.mark.parametrize(
    "data, code",
    [
        (b"\x00\x00\x00\x05hello", "garbled"),
        (struct.pack(">I", MAX_FRAME + 1), "too_big"),
        (struct.pack(">I", MAX_UNAUTHENTICATED + 1), "too_big"),  # megabytes before a hello
        (encode({"t": "push", "doc": "t1/v01/2026", "changes": [b"nope"]}), "no_hello"),
    ],
    ids=["garbage", "oversized", "big-before-hello", "before-hello"],
)
async def test_the_server_answers_bad_frames_with_an_error_and_closes(
    server: tuple[Server, int, Path], data: bytes, code: str
) -> None:
    running, port, client = server
    before = stored(running)
    frame, rest = await exchange(port, data, client)
    assert frame is not None and frame["t"] == "error" and frame["code"] == code
    assert rest == b""
    assert stored(running) == before


async def test_a_frame_cut_in_the_middle_changes_nothing(
    server: tuple[Server, int, Path],
) -> None:
    running, port, client = server
    before = stored(running)
    hello = encode({"t": "hello", "office": "v01", "device": "d", "township": "t1", "docs": {}})
    frame, rest = await exchange(port, hello + encode({"t": "push", "doc": "t1/v03/2026",
                                                       "changes": [b"x" * 500]})[:200],
                                 client)
    assert frame is not None and frame["t"] == "hello"  # the whole frame was answered
    assert rest == b""  # and the cut one only closed the link
    assert stored(running) == before


def test_a_frame_that_would_decode_into_millions_of_objects_is_refused_unread() -> None:
    """16 MiB of one-byte empty lists would be 16 million Python objects (gigabytes): the
    count is read from the msgpack headers first, and nothing is decoded."""
    many = MAX_OBJECTS * 4
    hostile = b"\xdd" + many.to_bytes(4, "big") + b"\x90" * many
    with pytest.raises(FrameError) as refused:
        decode_body(hostile)
    assert refused.value.code == "too_big"
    nested = b"\xdd" + (2).to_bytes(4, "big") + (b"\xdd" + (MAX_OBJECTS).to_bytes(4, "big"))
    with pytest.raises(FrameError):
        count_objects(nested + b"\x90" * 10, MAX_OBJECTS)
    # an ordinary frame of five thousand changes still decodes
    assert decode_body(encode({"t": "push", "docs": {"d": [b"x" * 100] * 5000}})[4:])["t"] == "push"


@pytest.mark.parametrize("data", [b"\xdd\x00\x00", b"\xc4\x05ab", b"\x92\x01", b"\xc1"])
def test_msgpack_headers_that_stop_short_are_garbled(data: bytes) -> None:
    with pytest.raises(FrameError):
        decode_body(data)
