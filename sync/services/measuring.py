"""Measuring many villages at once, on every core the machine lends us.

Loading a village document is automerge's work and holds the interpreter lock, so a
township measuring sixty villages after a sync (or for the first time) is bound to
one core however it is threaded. Helper processes each open the home themselves
(many processes per home is the store's normal case) and send back plain measures;
this process measures its own share meanwhile, taking documents from the other end of
the same queue, so a helper that starts slowly (or never) costs no more than its start.

A helper is this module run as `python -m`, spoken to over its stdin and stdout in
length-prefixed msgpack frames. It is not a multiprocessing child: those re-run the
caller's main script on start, which breaks any script that uses an office without
an `if __name__ == "__main__"` guard.

Whatever a helper cannot measure (a damaged chunk, a document that went away, a
helper that died or never started) is measured here again the ordinary way, where
damage is set aside and said exactly as it would be without helpers.
"""

from __future__ import annotations

import os
import queue
import struct
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

import msgpack

from vledger.domain.indicators import VillageMeasures, measure
from vledger.domain.program import Program

# Below this many stored bytes to load, a helper's start (an interpreter and the
# imports, a few tenths of a second) costs about what it would save: automerge loads
# some 4 MB of a village document a second on a low-end laptop.
PARALLEL_FROM_BYTES = 2 << 20
# Documents per request: small enough that the last requests end together, large
# enough that the round trips do not matter.
BATCH = 3
_LENGTH = struct.Struct(">I")

Measured = tuple[list[bytes], VillageMeasures]
# What a helper sends back per document: its heads and plain measures, or None.
_Result = tuple[list[bytes], dict[str, Any]] | None


def helper_count() -> int:
    """Helper processes worth starting: one per usable core besides this one.

    `VLEDGER_HELPERS=0` turns them off (a machine that must stay quiet, a debugger).
    """
    setting = os.environ.get("VLEDGER_HELPERS", "").strip()
    if setting.isdigit():
        return int(setting)
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(0, min(cores - 1, 3))


def measure_all(
    home: Path, program: Program, documents: Sequence[str],
    measure_here: Callable[[str], Measured], *, helpers: int, stored_bytes: int,
    parallel_from: int | None = None,
) -> dict[str, Measured]:
    """Each document's (heads, measures), in `documents` order, `helpers` processes
    taking part when the `stored_bytes` to load pay for their start.

    `measure_here(document)` measures one document in this process: this process's
    share, and whatever a helper gave back unmeasured.
    """
    enough = PARALLEL_FROM_BYTES if parallel_from is None else parallel_from
    if helpers <= 0 or len(documents) < 2 or stored_bytes < enough:
        return {document: measure_here(document) for document in documents}
    batches = deque(list(documents[i:i + BATCH]) for i in range(0, len(documents), BATCH))
    found: dict[str, Measured] = {}
    again: list[str] = []
    answers: queue.Queue[tuple[_Helper, list[_Result] | None]] = queue.Queue()
    started = [_Helper.start(home, program, answers) for _ in range(helpers)]
    team = [helper for helper in started if helper is not None]
    try:
        def hand_out() -> None:
            for helper in team:
                if batches and helper.idle:
                    helper.ask(batches.pop())  # helpers from the end, we from the front

        def take(answer: tuple[_Helper, list[_Result] | None]) -> None:
            helper, results = answer
            batch = helper.answered()
            if results is None or len(results) != len(batch):
                again.extend(batch)
                return
            for document, result in zip(batch, results, strict=True):
                if result is None:
                    again.append(document)
                else:
                    found[document] = (list(result[0]), VillageMeasures.from_plain(result[1]))

        hand_out()
        while batches:
            for document in batches.popleft():
                found[document] = measure_here(document)
            while not answers.empty():
                take(answers.get_nowait())
            hand_out()
        while any(helper.busy for helper in team):
            take(answers.get())
    finally:
        for helper in team:
            helper.stop()
    for document in again:
        found[document] = measure_here(document)
    return {document: found[document] for document in documents}


class _Helper:
    """One helper process, one request at a time; its answers arrive on a queue that a
    reader thread fills (threads, not select(), so pipes work on Windows too)."""

    def __init__(self, process: subprocess.Popen[bytes],
                 answers: queue.Queue[tuple[_Helper, list[_Result] | None]]) -> None:
        self._process = process
        self._answers = answers
        self._asked: list[str] | None = None
        self._alive = True
        threading.Thread(target=self._read, daemon=True).start()

    @classmethod
    def start(cls, home: Path, program: Program,
              answers: queue.Queue[tuple[_Helper, list[_Result] | None]]) -> _Helper | None:
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", __name__], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            )
        except OSError:
            return None  # cannot start one here: this process measures everything
        helper = cls(process, answers)
        helper._send({"home": str(home), "program": program.source, "id": program.id})
        return helper

    @property
    def idle(self) -> bool:
        return self._alive and self._asked is None

    @property
    def busy(self) -> bool:
        return self._asked is not None

    def ask(self, documents: list[str]) -> None:
        self._asked = documents
        if not self._send({"documents": documents}):
            self._alive = False
            self._answers.put((self, None))

    def answered(self) -> list[str]:
        asked, self._asked = self._asked or [], None
        return asked

    def stop(self) -> None:
        try:
            assert self._process.stdin is not None
            self._process.stdin.close()
        except OSError:
            pass
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    def _send(self, message: dict[str, Any]) -> bool:
        try:
            assert self._process.stdin is not None
            _write_frame(self._process.stdin, message)
            return True
        except (OSError, ValueError):
            return False

    def _read(self) -> None:
        assert self._process.stdout is not None
        while True:
            message = _read_frame(self._process.stdout)
            if message is None:
                break
            self._answers.put((self, message if isinstance(message, list) else None))
        self._alive = False
        if self._asked is not None:  # died with a request in hand
            self._answers.put((self, None))


def _write_frame(stream: IO[bytes], message: Any) -> None:
    data = msgpack.packb(message, use_bin_type=True)
    stream.write(_LENGTH.pack(len(data)) + data)
    stream.flush()


def _read_frame(stream: IO[bytes]) -> Any:
    """The next message, or None at the end of the stream (or a broken one)."""
    head = stream.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        return None
    (length,) = _LENGTH.unpack(head)
    data = stream.read(length)
    if len(data) < length:
        return None
    try:
        return msgpack.unpackb(data, raw=False, strict_map_key=False)
    except Exception:
        return None


# -- the helper's side --------------------------------------------------------------


def serve(source: IO[bytes], sink: IO[bytes]) -> None:
    """Answer requests until the parent closes our stdin: each document's heads and
    plain measures, or None for one this process cannot read (the parent measures
    that one itself, and says why if it must)."""
    from vledger.domain.program_file import load_program
    from vledger.sync.documents.replicas import Replicas

    first = _read_frame(source)
    if not isinstance(first, dict):
        return
    program = load_program(str(first["program"]), f"{first['id']}.toml")
    with Replicas.open(Path(str(first["home"]))) as store:
        while (request := _read_frame(source)) is not None:
            _write_frame(sink, [_measured(store, program, str(d))
                                for d in request["documents"]])


def _measured(store: Any, program: Program, document: str) -> _Result:
    try:
        if store.report or not store.has_document(document):
            return None
        village = store.village(document)
        if store.report:  # damage: set aside and said by the parent, not here
            store.close_document(document)
            return None
        measured = measure(program, village.rows(program.id, include_deleted=True))
        heads = village.replica.heads()
        store.close_document(document)
        return heads, measured.to_plain()
    except Exception:
        return None


if __name__ == "__main__":
    serve(sys.stdin.buffer, sys.stdout.buffer)
