"""A fault-injecting TCP proxy and a harness for the end-to-end sync tests.

`FaultProxy` listens on 127.0.0.1 and forwards to a real `vledger serve`. Each
new connection takes the next `Fault` from its plan (then passes traffic
untouched): cut the link after N bytes, cut it in the middle of the k-th record,
delay every record, send a record twice, flip one byte of a record (a
man-in-the-middle that alters bytes), or swallow everything (a blackhole).
Links are TLS (sync/peer.py), so what it sees are TLS records: it knows their
layout (type, version, 2-byte length) only to find record boundaries, never
what is inside (it could not read it). Every connection's bytes are kept per
direction (`recorded`), so a test can replay a whole session.

The harness starts `vledger serve` as a subprocess on a free port and builds
homes through the office's services (sync/services/), as the CLI would.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

REPO = Path(__file__).resolve().parents[2]
PROGRAM_FILE = REPO / "fixtures" / "programs" / "safety-2026.toml"
CONSOLE_SCRIPT = REPO / ".venv" / "bin" / "vledger"
T = TypeVar("T")

UP, DOWN = "up", "down"  # client -> server, server -> client


@dataclass(frozen=True)
class Fault:
    """What to do to one connection. `direction` is UP or DOWN."""

    kind: str  # "cut_after", "cut_in_frame", "delay", "duplicate", "flip", "blackhole", "none"
    direction: str = UP
    amount: int = 0  # bytes for cut_after, record index for cut_in_frame / duplicate / flip
    seconds: float = 0.0


NONE = Fault("none")


@dataclass
class FaultProxy:
    target: tuple[str, int]
    plan: list[Fault] = field(default_factory=list)
    connections: int = 0
    faults_done: list[str] = field(default_factory=list)
    recorded: list[dict[str, bytearray]] = field(default_factory=list)
    _server: asyncio.base_events.Server | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)  # type: ignore[arg-type]
        fault = self.plan.pop(0) if self.plan else NONE
        self.connections += 1
        try:
            if fault.kind == "blackhole":
                self.faults_done.append("blackhole")
                with contextlib.suppress(Exception):
                    while await reader.read(65536):
                        pass
                return
            up_reader, up_writer = await asyncio.open_connection(*self.target)
            cut = asyncio.Event()
            record = {UP: bytearray(), DOWN: bytearray()}
            self.recorded.append(record)
            pumps = [
                asyncio.create_task(self._pump(reader, up_writer, fault, UP, cut, record[UP])),
                asyncio.create_task(self._pump(up_reader, writer, fault, DOWN, cut,
                                               record[DOWN])),
            ]
            await cut.wait()
            for pump in pumps:
                pump.cancel()
            await asyncio.gather(*pumps, return_exceptions=True)
            with contextlib.suppress(Exception):
                up_writer.close()
        except asyncio.CancelledError:
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()
            self._tasks.discard(task)  # type: ignore[arg-type]

    async def _pump(
        self,
        source: asyncio.StreamReader,
        sink: asyncio.StreamWriter,
        fault: Fault,
        direction: str,
        cut: asyncio.Event,
        seen: bytearray,
    ) -> None:
        mine = fault.direction == direction
        sent = 0
        frames = 0
        try:
            while True:
                head = await source.readexactly(5)  # a TLS record: type, version, length
                (length,) = struct.unpack(">H", head[3:5])
                frame = head + await source.readexactly(length)
                seen += frame
                if mine and fault.kind == "flip" and frames == fault.amount:
                    altered = bytearray(frame)
                    altered[-1] ^= 0x01
                    frame = bytes(altered)
                    self.faults_done.append(f"flipped a byte of record {frames} {direction}")
                if mine and fault.kind == "delay":
                    await asyncio.sleep(fault.seconds)
                    self.faults_done.append(f"delayed frame {frames} {direction}")
                if mine and fault.kind == "cut_after" and sent + len(frame) > fault.amount:
                    await self._send(sink, frame[: max(0, fault.amount - sent)])
                    self.faults_done.append(f"cut after {fault.amount} bytes {direction}")
                    return
                if mine and fault.kind == "cut_in_frame" and frames == fault.amount:
                    await self._send(sink, frame[: len(frame) // 2])
                    self.faults_done.append(f"cut inside frame {frames} {direction}")
                    return
                await self._send(sink, frame)
                if mine and fault.kind == "duplicate" and frames == fault.amount:
                    await self._send(sink, frame)
                    self.faults_done.append(f"duplicated frame {frames} {direction}")
                sent += len(frame)
                frames += 1
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            return
        finally:
            cut.set()

    @staticmethod
    async def _send(sink: asyncio.StreamWriter, data: bytes) -> None:
        sink.write(data)
        await sink.drain()


# -- the vledger command ----------------------------------------------------------------


def vledger_command() -> list[str]:
    if CONSOLE_SCRIPT.exists():
        return [str(CONSOLE_SCRIPT)]
    return [sys.executable, "-m", "vledger"]


def environment() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}


async def run_vledger(home: Path, *args: str, timeout: float = 60) -> tuple[int, str, str]:
    """Run `vledger --home HOME ARGS` without blocking the event loop (the proxy lives there)."""
    process = await asyncio.create_subprocess_exec(
        *vledger_command(), "--home", str(home), "--lang", "en", *args,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment(), cwd=REPO,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


class ServeProcess:
    """`vledger serve --listen 127.0.0.1:0` in a subprocess; `port` once it listens."""

    def __init__(self, home: Path, *extra: str) -> None:
        self.home = home
        self.process = subprocess.Popen(
            [*vledger_command(), "--home", str(home), "--lang", "en", "serve",
             "--listen", "127.0.0.1:0", *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment(), cwd=REPO,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()  # "serving T as O on HOST:PORT"
        if not line.startswith("serving"):
            self.process.kill()
            raise RuntimeError(f"serve did not start: {line!r} {self.process.stderr.read()!r}")  # type: ignore[union-attr]
        self.port = int(line.rsplit(":", 1)[1])
        # The server says what each link brought, a line per link: read them all the
        # while, or a full pipe would stop the server mid-line (and its SIGTERM with it).
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def log(self) -> str:
        """What the server printed after its first line (all of it once it stopped)."""
        if self.process.poll() is not None:
            self._reader.join(timeout=5)
        return "".join(self.lines)

    def stop(self) -> int:
        """SIGTERM, then the exit code (it must stop cleanly by itself)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return -9


# -- homes --------------------------------------------------------------------------------


def retry_busy(action: Callable[[], T], seconds: float = 20.0) -> T:
    """Run `action`, retrying while a serving or watching process holds the home for a sync."""
    from vledger.sync.services.office import Refusal
    from vledger.sync.store.database import StoreBusy

    deadline = time.monotonic() + seconds
    while True:
        try:
            return action()
        except (StoreBusy, Refusal) as problem:
            busy = isinstance(problem, StoreBusy) or "another vledger process" in str(problem)
            if not busy or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def make_township(home: Path, villages: int) -> None:
    """A township (keys, signed roster) with `villages` villages (v01, v02, ...) and the
    safety program published."""
    from vledger.sync.services.homes import init_township

    with init_township(home, "青石乡", "t1", user="clerk", year=2026) as town:
        for n in range(1, villages + 1):
            town.roster.add_office(f"v{n:02d}", f"村{n}")
        town.programs.add(PROGRAM_FILE.read_text(encoding="utf-8"), PROGRAM_FILE.name)


def make_village(town_home: Path, home: Path, village: str, *, enroll: bool = True) -> Path:
    """The village's home as a clerk makes it: the township invites, the village joins, the
    township enrolls the reply (or, with `enroll=False`, the first sync hands it over).
    Returns the reply file."""
    from vledger.sync.services.homes import join
    from vledger.sync.services.office import Office

    with Office.open(town_home) as town:
        path = town.devices.invite(village, home.parent / f"{home.name}.invite")
        office, reply = join(home, path, user="clerk")
        office.close()
        if enroll:
            town.devices.enroll(reply)
    return reply


def add_rows(home: Path, village: str | None, count: int, tag: str) -> list[str]:
    """Add `count` ledger rows in one action (as a clerk would); their ids once durable."""
    from vledger.sync.services.office import Office

    def act() -> list[str]:
        with Office.open(home) as office:
            rows = [{"date": "2026-03-01", "kind": "安全宣传", "place": f"{tag}-{i}",
                     "participants": str(i)} for i in range(count)]
            return office.ledgers.session("safety-2026", village, writing=True).add_rows(rows)

    return retry_busy(act)


def set_place(home: Path, village: str | None, row: str, place: str) -> None:
    from vledger.sync.services.office import Office

    def act() -> None:
        with Office.open(home) as office:
            ledger = office.ledgers.session("safety-2026", village, writing=True)
            ledger.set_cells(row, {"place": place})

    retry_busy(act)


def rows_of(home: Path, village: str) -> dict[str, object]:
    """Row id -> place, for one village's ledger in `home`."""
    from vledger.sync.services.office import Office

    def act() -> dict[str, object]:
        with Office.open(home) as office:
            ledger = office.ledgers.session("safety-2026", village)
            return {r.id: r.cells.get("place") for r in ledger.rows()}

    return retry_busy(act)


def all_heads(home: Path) -> dict[str, list[bytes]]:
    from vledger.sync.documents.replicas import Replicas

    def act() -> dict[str, list[bytes]]:
        with Replicas.open(home, scan=False) as store:
            return {d: sorted(store.heads(d)) for d in store.document_ids()}

    return retry_busy(act)
