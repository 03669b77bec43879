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
an `if __name__ == "__main__"` guard. On Linux, in a process with no other thread
(a command, not the UI), a helper is instead forked from this process, with the
stored documents read beforehand: it starts at once (no interpreter, no imports, a
tenth of a second or more of a cold ranking) and never opens the database, whose
SQLite state is not to be used across a fork; it speaks the same frames over pipes.

Whatever a helper cannot measure (a damaged chunk, a document that went away, a
helper that died or never started) is measured here again the ordinary way, where
damage is set aside and said exactly as it would be without helpers.
"""

from __future__ import annotations

import gc
import os
import pickle
import secrets
import signal
import struct
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any, Protocol

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
    parallel_from: int | None = None, stored: Callable[[str], Stored] | None = None,
) -> dict[str, Measured]:
    """Each document's (heads, measures), in `documents` order, `helpers` processes
    taking part when the `stored_bytes` to load pay for their start.

    `measure_here(document)` measures one document in this process: this process's
    share, and whatever a helper gave back unmeasured. With `stored(document)` (what
    the store holds of it), helpers may be forked from this process (see `_can_fork`).
    """
    enough = PARALLEL_FROM_BYTES if parallel_from is None else parallel_from
    if helpers <= 0 or len(documents) < 2 or stored_bytes < enough:
        return {document: measure_here(document) for document in documents}
    work = _Work(documents)
    if stored is not None and _can_fork():
        team = _Helper.fork(program, work, _read_all(stored, documents), helpers)
    else:
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

    def __init__(self, process: subprocess.Popen[bytes] | _Forked, work: _Work) -> None:
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

    @classmethod
    def fork(
        cls, program: Program, work: _Work, kept: dict[str, Stored | None], count: int
    ) -> list[_Helper]:
        """`count` helpers forked from this process: each starts at once with the program
        and the stored documents `kept` already in its memory (no interpreter to start,
        nothing to import, no database to open). All are forked before any reader thread
        starts, so that this process has no other thread when it forks."""
        team: list[_Helper] = []
        theirs: list[int] = []  # this process's ends of the pipes of those forked before
        for _ in range(count):
            forked = _Forked.start(program, kept, theirs)
            if forked is None:
                break
            theirs += [forked.stdin.fileno(), forked.stdout.fileno()]
            team.append(cls(forked, work))
        for helper in team:
            helper._ask_more()
            threading.Thread(target=helper._read, daemon=True).start()
        return team

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


class Stored(Protocol):
    """What the store holds of a document (store/repositories.py, StoredDocument)."""

    @property
    def snapshot(self) -> bytes | None: ...

    @property
    def chunks(self) -> list[tuple[int, bytes]]: ...


def _can_fork() -> bool:
    """Whether helpers may be forked from this process instead of started afresh: on
    Linux, and only while this process runs no other thread (one that held a lock at
    the fork would leave it held in the child forever; the UI's worker measures with
    other threads running and starts its helpers afresh)."""
    return (sys.platform.startswith("linux") and hasattr(os, "fork")
            and threading.active_count() == 1)


def _read_all(
    stored: Callable[[str], Stored], documents: Sequence[str]
) -> dict[str, Stored | None]:
    """Each document as stored, read here before forking: a forked helper never touches
    the database (SQLite's state does not survive a fork), it finds them in its memory."""
    kept: dict[str, Stored | None] = {}
    for document in documents:
        try:
            kept[document] = stored(document)
        except Exception:  # gone meanwhile, unreadable: measured here, said here
            kept[document] = None
    return kept


class _Forked:
    """A helper forked from this process: as much of Popen as `_Helper` uses."""

    def __init__(self, pid: int, stdin: IO[bytes], stdout: IO[bytes]) -> None:
        self.pid = pid
        self.stdin = stdin
        self.stdout = stdout
        self.returncode: int | None = None

    @classmethod
    def start(
        cls, program: Program, kept: dict[str, Stored | None], theirs: Sequence[int]
    ) -> _Forked | None:
        """Fork one; `theirs`: pipe ends of helpers forked before, which the child closes
        (else a helper would not see its input end while a later one holds it open)."""
        to_child, from_child = os.pipe(), os.pipe()
        # The objects made so far are left out of the child's collections: a collection
        # there would otherwise touch (and so copy) every page it shares with us. Given
        # back to our collector after, unless something here froze a heap before us (the
        # UI settles so): that one stays frozen, as its owner left it.
        ours = gc.get_freeze_count() == 0
        gc.freeze()
        try:
            pid = os.fork()
        except OSError:
            if ours:
                gc.unfreeze()
            for fd in (*to_child, *from_child):
                os.close(fd)
            return None
        if pid == 0:  # the child: answer, then exit; never return into the caller's code
            code = 1
            try:
                for fd in (*theirs, to_child[1], from_child[0]):
                    os.close(fd)
                _serve_forked(program, kept, to_child[0], from_child[1])
                code = 0
            finally:
                os._exit(code)
        if ours:
            gc.unfreeze()
        os.close(to_child[0])
        os.close(from_child[1])
        return cls(pid, os.fdopen(to_child[1], "wb"), os.fdopen(from_child[0], "rb"))

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is not None:
            return self.returncode
        end = None if timeout is None else time.monotonic() + timeout
        pause = 0.0005
        while True:
            pid, status = os.waitpid(self.pid, 0 if end is None else os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
                return self.returncode
            if end is not None and time.monotonic() >= end:
                raise subprocess.TimeoutExpired(f"helper {self.pid}", timeout or 0)
            time.sleep(pause)
            pause = min(pause * 2, 0.05)

    def kill(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


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


def _serve_forked(
    program: Program, kept: dict[str, Stored | None], source_fd: int, sink_fd: int
) -> None:
    """A forked helper's loop: the same requests and answers as `serve`'s, each document
    loaded from what its parent read of it before forking."""
    with os.fdopen(source_fd, "rb") as source, os.fdopen(sink_fd, "wb") as sink:
        while (request := _read_frame(source)) is not None:
            _write_frame(sink, [_measured_stored(program, str(d), kept.get(str(d)))
                                for d in request["documents"]])


def _measured_stored(program: Program, document: str, stored: Stored | None) -> _Result:
    from vledger.sync.documents.ledger import VillageDoc
    from vledger.sync.documents.replica import Replica
    from vledger.sync.documents.replicas import assemble

    if stored is None:
        return None
    try:
        with paused():  # reading and measuring a ledger makes no cycles to collect
            doc, loaded = assemble(stored.snapshot, stored.chunks)
            if loaded.damaged or loaded.snapshot_bad is not None:
                return None  # set aside and said by the parent, not here
            # Only read, never written: any actor will do.
            village = VillageDoc(Replica(document, doc, secrets.token_bytes(16)))
            measured = measure_values(program, village.rows_to_measure(program))
        return doc.heads(), measured.to_plain()
    except Exception:
        return None


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
