"""The database connection and its transactions (the store room's own; repositories
write through it, nobody outside the room sees it).

A write returns only after its transaction committed: an edit acknowledged on
screen survives a power cut. Writes inside an open `transaction()` join it, so a
sync stores the batches of fifty documents and its peer records with one fsync.
Whoever needs to act on the outcome (the document cache drops what a rollback
undid, and compacts after a commit) registers `on_commit` / `on_rollback`.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


class Connection:
    """One SQLite connection with nested, hookable transactions."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
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

    @property
    def in_transaction(self) -> bool:
        return self._depth > 0

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
                self._conn.execute("BEGIN IMMEDIATE")
                self._depth = 1
                try:
                    yield
                    self._depth = 0
                    self._conn.execute("COMMIT")
                except BaseException:
                    self._depth = 0
                    if self._conn.in_transaction:
                        self._conn.execute("ROLLBACK")
                    undo, self._after_rollback = self._after_rollback, []
                    self._after_commit = []
                    for hook in undo:
                        hook()
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
