"""The database connection and its transactions (the store room's own; repositories
write through it, nobody outside the room sees it).

A write returns only after its transaction committed: an edit acknowledged on
screen survives a power cut. Writes inside an open `transaction()` join it, so a
sync stores the batches of fifty documents and its peer records with one fsync.
Whoever needs to act on the outcome (the document cache drops what a rollback
undid, and compacts after a commit) registers `on_commit` / `on_rollback`.
"""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from vledger.errors import VledgerError


class StoreWriteFailed(VledgerError):
    """The disk refused a write (full, read-only, failing); nothing of it was stored."""


class StoreBusy(VledgerError):
    """Another process kept the home's database locked for longer than a write may wait."""

    exit_code = 3


class Connection:
    """One SQLite connection with nested, hookable transactions."""

    def __init__(self, conn: sqlite3.Connection, home: Path, busy_seconds: float) -> None:
        self._conn = conn
        self._home = home
        self.busy_seconds = busy_seconds
        self._mutex = threading.RLock()
        self._depth = 0  # nesting of transaction blocks: inner ones join the outermost
        self._after_commit: list[Callable[[], None]] = []
        self._after_rollback: list[Callable[[], None]] = []

    def close(self) -> None:
        with self._mutex:
            self._conn.close()

    def execute(self, sql: str, args: tuple[Any, ...] | list[Any] = ()) -> sqlite3.Cursor:
        return self._conn.execute(sql, args)

    def executemany(self, sql: str, rows: list[tuple[Any, ...]]) -> sqlite3.Cursor:
        return self._conn.executemany(sql, rows)

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Several reads that must see one state of the database (a read transaction;
        inside a write transaction they see it anyway)."""
        with self._mutex:
            if self._depth or self._conn.in_transaction:
                yield
                return
            self._conn.execute("BEGIN")
            try:
                yield
            finally:
                self._conn.execute("COMMIT")

    @property
    def in_transaction(self) -> bool:
        return self._depth > 0

    def _said(self, problem: sqlite3.OperationalError) -> VledgerError | sqlite3.Error:
        """A write the disk refused, said as the clerk can act on it (nothing of it was
        stored: the transaction was rolled back)."""
        text = str(problem)
        if "full" in text:
            return StoreWriteFailed(
                f"the disk holding {self._home} is full: nothing of this was stored; free "
                "some space and do it again")
        if "readonly" in text or "read-only" in text:
            return StoreWriteFailed(
                f"{self._home} cannot be written (a read-only folder or disk?): nothing of "
                "this was stored")
        if "disk I/O" in text:
            return StoreWriteFailed(
                f"the disk holding {self._home} failed to write (disk I/O error): nothing of "
                "this was stored; check the disk and do it again")
        return problem

    def data_version(self) -> int:
        return int(self._conn.execute("PRAGMA data_version").fetchone()[0])

    def _begin(self) -> None:
        """BEGIN IMMEDIATE, waiting for another process's write transaction to end.

        SQLite's own busy handler backs off to 100 ms sleeps, so a process that writes
        back to back (a server taking a burst of syncs) would keep a clerk's one edit
        waiting for as long as the burst lasts; polling every millisecond or so gets
        the next free moment instead. Readers are never blocked (WAL).
        """
        deadline = time.monotonic() + self.busy_seconds
        self._conn.execute("PRAGMA busy_timeout=0")
        try:
            while True:
                try:
                    self._conn.execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.OperationalError as problem:
                    if "locked" not in str(problem) and "busy" not in str(problem):
                        raise
                if time.monotonic() > deadline:
                    raise StoreBusy(
                        f"{self._home} is busy: another vledger process has been writing "
                        "to it for too long; try again in a moment"
                    )
                time.sleep(random.uniform(0.0002, 0.0015))
        finally:
            self._conn.execute(f"PRAGMA busy_timeout={int(self.busy_seconds * 1000)}")

    @contextmanager
    def transaction(self, *, durable: bool = True) -> Iterator[None]:
        """Make every write inside the block one SQLite transaction, committed (durably)
        when the outermost block ends; if the block or the commit fails, nothing of it
        is stored.

        A nested block that fails leaves what it wrote to the outer transaction: let
        the exception reach the outermost block (which rolls everything back) unless
        the failing code undid its own writes.

        `durable=False` (only for hints a power cut may lose, like peer records):
        committed without waiting for the disk. WAL keeps it atomic, and the next
        durable commit's fsync carries it to disk too. Inside a durable transaction
        it is durable.
        """
        with self._mutex:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            relaxed = not durable
            if relaxed:
                self._conn.execute("PRAGMA synchronous=NORMAL")
            try:
                self._begin()
                self._depth = 1
                try:
                    yield
                    self._depth = 0
                    self._conn.execute("COMMIT")
                except BaseException as problem:
                    self._depth = 0
                    if self._conn.in_transaction:
                        self._conn.execute("ROLLBACK")
                    undo, self._after_rollback = self._after_rollback, []
                    self._after_commit = []
                    for hook in undo:
                        hook()
                    if isinstance(problem, sqlite3.OperationalError):
                        raise self._said(problem) from problem
                    raise
            finally:
                if relaxed:
                    self._conn.execute("PRAGMA synchronous=FULL")
            done, self._after_commit = self._after_commit, []
            self._after_rollback = []
        for hook in done:
            hook()

    def on_commit(self, hook: Callable[[], None]) -> None:
        """Run `hook` once the open transaction committed (at once when none is open)."""
        if self._depth:
            self._after_commit.append(hook)
        else:
            hook()

    def on_rollback(self, hook: Callable[[], None]) -> None:
        """Run `hook` if the open transaction is rolled back."""
        if self._depth:
            self._after_rollback.append(hook)
