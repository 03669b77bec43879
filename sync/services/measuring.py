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
import pickle
import struct
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

import msgpack

from vledger.collection import paused
from vledger.domain.indicators import VillageMeasures, measure_values
from vledger.domain.program import Program

# Below this many stored bytes to load, a helper's start (an interpreter and the
# imports, a few tenths of a second) costs about what it would save: automerge loads
# some 4 MB of a village document a second on a low-end laptop.
PARALLEL_FROM_BYTES = 2 << 20
# Documents a helper holds asked at once: the one it measures and the next, already in
# its pipe, so it never waits for this process to hand it work (which this process,
# busy measuring, does only between its own documents). One at a time at the end, so
# that the last documents end together.
IN_FLIGHT = 2
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
    work = _Work(documents)
    started = [_Helper.start(home, program, work) for _ in range(helpers)]
    team = [helper for helper in started if helper is not None]
    found: dict[str, Measured] = {}
    try:
        while (document := work.front()) is not None:
            found[document] = measure_here(document)
        for helper in team:
            helper.finished.wait()
    finally:
        for helper in team:
            helper.stop()
    for helper in team:
        found.update(helper.measured)
        for document in helper.unmeasured:
            found[document] = measure_here(document)
    return {document: found[document] for document in documents}


class _Work:
    """The documents left to measure: this process takes them from the front, helpers
    from the back (deque's ends are safe to take from in several threads)."""

    def __init__(self, documents: Sequence[str]) -> None:
        self._left = deque(documents)

    def front(self) -> str | None:
        try:
            return self._left.popleft()
        except IndexError:
            return None

    def back(self) -> str | None:
        try:
            return self._left.pop()
        except IndexError:
            return None

    def __len__(self) -> int:
        return len(self._left)


class _Helper:
    """One helper process. Its reader thread (threads, not select(), so pipes work on
    Windows too) takes each answer and at once asks for the next document, so the
    helper's work does not wait for this process's."""

    def __init__(self, process: subprocess.Popen[bytes], work: _Work) -> None:
        self._process = process
        self._work = work
        self._asked: deque[str] = deque()  # sent, not yet answered, in the order sent
        self.measured: dict[str, Measured] = {}
        self.unmeasured: list[str] = []  # given back: this process measures them
        self.finished = threading.Event()

    @classmethod
    def start(cls, home: Path, program: Program, work: _Work) -> _Helper | None:
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", __name__], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            )
        except OSError:
            return None  # cannot start one here: this process measures everything
        helper = cls(process, work)
        # The program as parsed here, pickled: the helper then needs neither the program
        # file's parser nor the message catalogue, a fifth of its start.
        first = {"home": str(home), "program": pickle.dumps(program, pickle.HIGHEST_PROTOCOL)}
        if helper._send(first):
            helper._ask_more()
        threading.Thread(target=helper._read, daemon=True).start()
        return helper

    def stop(self) -> None:
        self._close_input()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    def _ask_more(self) -> None:
        wanted = IN_FLIGHT if len(self._work) >= 2 * IN_FLIGHT else 1
        while len(self._asked) < wanted:
            document = self._work.back()
            if document is None:
                return
            self._asked.append(document)
            if not self._send({"documents": [document]}):
                return  # the reader finds the pipe closed and gives everything back

    def _send(self, message: dict[str, Any]) -> bool:
        try:
            assert self._process.stdin is not None
            _write_frame(self._process.stdin, message)
            return True
        except (OSError, ValueError):
            return False

    def _read(self) -> None:
        assert self._process.stdout is not None
        try:
            while self._asked:
                data = _read_frame_bytes(self._process.stdout)
                if data is None:
                    break
                document = self._asked.popleft()
                self._ask_more()  # before decoding: the helper goes on meanwhile
                self._take(document, _decoded(data))
        finally:
            self.unmeasured.extend(self._asked)  # died, or never started
            self._asked.clear()
            # Nothing more to ask: the helper ends now, while this process measures its
            # last documents, instead of when `stop` would wait for it.
            self._close_input()
            self.finished.set()

    def _close_input(self) -> None:
        try:
            assert self._process.stdin is not None
            self._process.stdin.close()
        except (OSError, ValueError):
            pass

    def _take(self, document: str, message: Any) -> None:
        try:
            if isinstance(message, list) and len(message) == 1 and message[0] is not None:
                heads, plain = message[0]
                self.measured[document] = (
                    [bytes(h) for h in heads], VillageMeasures.from_plain(plain))
                return
        except (TypeError, ValueError, KeyError):
            pass
        self.unmeasured.append(document)


def _write_frame(stream: IO[bytes], message: Any) -> None:
    data = msgpack.packb(message, use_bin_type=True)
    stream.write(_LENGTH.pack(len(data)) + data)
    stream.flush()


def _read_frame(stream: IO[bytes]) -> Any:
    """The next message, or None at the end of the stream (or a broken one)."""
    data = _read_frame_bytes(stream)
    return None if data is None else _decoded(data)


def _read_frame_bytes(stream: IO[bytes]) -> bytes | None:
    head = stream.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        return None
    (length,) = _LENGTH.unpack(head)
    data = stream.read(length)
    if len(data) < length:
        return None
    return data


def _decoded(data: bytes) -> Any:
    try:
        return msgpack.unpackb(data, raw=False, strict_map_key=False)
    except Exception:
        return None


# -- the helper's side --------------------------------------------------------------


def serve(source: IO[bytes], sink: IO[bytes]) -> None:
    """Answer requests until the parent closes our stdin: each document's heads and
    plain measures, or None for one this process cannot read (the parent measures
    that one itself, and says why if it must)."""
    from vledger.sync.documents.replicas import Replicas

    first = _read_frame(source)
    if not isinstance(first, dict):
        return
    # From the parent, which started this process and parsed the program itself.
    program = pickle.loads(first["program"])
    if not isinstance(program, Program):
        return
    with Replicas.open(Path(str(first["home"]))) as store:
        while (request := _read_frame(source)) is not None:
            _write_frame(sink, [_measured(store, program, str(d))
                                for d in request["documents"]])


def _measured(store: Any, program: Program, document: str) -> _Result:
    try:
        if store.report or not store.has_document(document):
            return None
        with paused():  # reading and measuring a ledger makes no cycles to collect
            village = store.village(document)
            if store.report:  # damage: set aside and said by the parent, not here
                store.close_document(document)
                return None
            measured = measure_values(program, village.rows_to_measure(program))
        heads = village.replica.heads()
        store.close_document(document)
        return heads, measured.to_plain()
    except Exception:
        return None


if __name__ == "__main__":
    serve(sys.stdin.buffer, sys.stdout.buffer)
