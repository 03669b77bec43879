"""An acknowledged edit survives the writer being killed at any moment.

A subprocess adds rows in a loop and prints each row id after the store
returned; we SIGKILL it at random points (mid-write, mid-compaction), start
it again, and at the end every acknowledged row must be there and the store
must open without any damage; the same with two writers on one home at once,
either killed. VLEDGER_CRASH_KILLS sets the number of kills.
"""

from __future__ import annotations

import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from vledger.sync.documents.ledger import VillageDoc
from vledger.sync.documents.replicas import Replicas

WRITER = Path(__file__).with_name("crash_writer.py")
KILLS = int(os.environ.get("VLEDGER_CRASH_KILLS", "50"))


def _one_life(home: Path, tag: str, rng: random.Random) -> list[tuple[str, str, int]]:
    """Start the writer, let it acknowledge a few writes, kill it; return what it acked."""
    proc = subprocess.Popen(
        [sys.executable, str(WRITER), str(home), tag],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    if first.strip() != "ready":
        proc.kill()
        pytest.fail(f"writer did not start: {first!r} {proc.stderr.read() if proc.stderr else ''}")
    acked: list[tuple[str, str, int]] = []
    for _ in range(rng.randint(0, 6)):
        line = proc.stdout.readline().split()
        acked.append((line[0], line[1], int(line[2])))
    time.sleep(rng.random() * 0.02)  # land anywhere inside the next write
    os.kill(proc.pid, signal.SIGKILL)
    rest, _ = proc.communicate()
    # A whole line was printed after the commit, so it is acknowledged; a line cut
    # by the kill (no newline yet) is not an acknowledgement the clerk could see.
    for line in rest.splitlines(keepends=True):
        if line.endswith("\n"):
            row_id, note, count = line.split()
            acked.append((row_id, note, int(count)))
    assert proc.returncode == -signal.SIGKILL
    return acked


def test_acknowledged_edits_survive_sigkill(tmp_path: Path) -> None:
    home = tmp_path / "home"
    rng = random.Random(20260305)
    acked: list[tuple[str, str, int]] = []
    for life in range(KILLS):
        acked.extend(_one_life(home, f"life{life}", rng))
    assert acked, "the writer never acknowledged anything"
    with Replicas.open(home) as store:
        assert store.report == []
        village = VillageDoc(store.replica("t1/v01/2026"))
        rows = {r.id: r for r in village.rows("safety-2026")}
        notes = {r.cells.get("note") for r in rows.values()}
    for row_id, note, count in acked:
        assert row_id in rows and rows[row_id].cells["note"] == note
        batch = {f"{note.rsplit('-', 1)[0]}-{i}" for i in range(count)}
        assert batch <= notes  # the whole import survived, not just its first row


class _Running:
    """One writer process; its acknowledgement lines are collected as they come."""

    def __init__(self, home: Path, tag: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(WRITER), str(home), tag],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def wait_for(self, count: int, timeout: float = 30.0) -> list[str]:
        got: list[str] = []
        deadline = time.monotonic() + timeout
        while len(got) < count and time.monotonic() < deadline:
            try:
                got.append(self.lines.get(timeout=0.1))
            except queue.Empty:
                continue
        return got

    def kill(self) -> list[tuple[str, str, int]]:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.reader.join(5)
        seen: list[str] = []
        while not self.lines.empty():
            seen.append(self.lines.get())
        return _acks(seen)


def _acks(lines: list[str]) -> list[tuple[str, str, int]]:
    found = []
    for line in lines:
        if line.endswith("\n") and line.strip() != "ready":
            row_id, note, count = line.split()
            found.append((row_id, note, int(count)))
    return found


def test_acknowledged_edits_survive_sigkill_with_two_writers_on_one_home(
    tmp_path: Path,
) -> None:
    """Two processes write the same document at once; either is killed at any moment, and
    nothing either acknowledged is lost, and the store names the heads it holds."""
    home = tmp_path / "home"
    rng = random.Random(20261130)
    acked: list[tuple[str, str, int]] = []
    running: dict[str, _Running] = {}
    for life in range(max(KILLS // 2, 4)):
        for name in ("a", "b"):
            if name not in running:
                running[name] = _Running(home, f"{name}{life}")
                first = running[name].wait_for(1)
                assert first == ["ready\n"], f"writer {name} did not start: {first!r}"
        for writer in running.values():  # let both acknowledge a few writes
            acked.extend(_acks(writer.wait_for(rng.randint(0, 4))))
        time.sleep(rng.random() * 0.02)
        victim = rng.choice(sorted(running))
        acked.extend(running.pop(victim).kill())
    for writer in running.values():
        acked.extend(writer.kill())
    assert len({note.split("-")[0][0] for _, note, _ in acked}) == 2, "both wrote"
    with Replicas.open(home) as store:
        assert store.report == []
        village = VillageDoc(store.replica("t1/v01/2026"))
        rows = {r.id: r for r in village.rows("safety-2026")}
        notes = {r.cells.get("note") for r in rows.values()}
        assert sorted(store.document("t1/v01/2026").heads()) == sorted(store.heads("t1/v01/2026"))
    for row_id, note, count in acked:
        assert row_id in rows and rows[row_id].cells["note"] == note
        batch = {f"{note.rsplit('-', 1)[0]}-{i}" for i in range(count)}
        assert batch <= notes
