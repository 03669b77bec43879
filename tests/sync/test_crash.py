"""An acknowledged edit survives the writer being killed at any moment.

A subprocess adds rows in a loop and prints each row id after the store
returned; we SIGKILL it at random points (mid-write, mid-compaction), start
it again, and at the end every acknowledged row must be there and the store
must open without any damage. VLEDGER_CRASH_KILLS sets the number of kills.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
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
