"""The home's database: one SQLite file (WAL, synchronous=FULL), opened, migrated and
written in transactions here; the rest of the program gets repositories, never the
connection (store/schema.py lists the tables).

A write returns only after its transaction committed (store/sqlite.py): an edit
acknowledged on screen survives a power cut.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

from vledger.errors import VledgerError
from vledger.sync.store import schema
from vledger.sync.store.repositories import (
    Caches,
    DocumentRows,
    InvitationRows,
    PeerRecords,
    RefusalLog,
    Settings,
    SignatureRows,
    heads_of,
)
from vledger.sync.store.sqlite import Connection

DB_FILE = "vledger.db"
MARKER_FILE = "vledger.db.id"  # written with the database: its absence later means loss
LOCK_FILE = "vledger.lock"


class StoreBusy(VledgerError):
    """Another vledger process has this home open."""


@dataclass(frozen=True)
class Damage:
    """Something found damaged on disk: what was lost and what was kept.

    `doc_id` None is the database itself. `part` names the piece
    ("database", "snapshot", "chunk 12").
    """

    doc_id: str | None
    part: str
    lost: str
    kept: str

    def __str__(self) -> str:
        where = f"{self.doc_id}: " if self.doc_id else ""
        return f"{where}{self.part}: lost {self.lost}; kept {self.kept}"


class Database:
    """One home's SQLite database and its repositories."""

    def __init__(self, home: Path, conn: sqlite3.Connection, lock: IO[bytes] | None,
                 report: list[Damage]) -> None:
        self.home = home
        self.sql = Connection(conn)
        self._lock_file = lock
        self.report = report
        self.settings = Settings(self.sql)
        self.documents = DocumentRows(self.sql)
        self.peers = PeerRecords(self.sql)
        self.caches = Caches(self.sql)
        self.signatures = SignatureRows(self.sql)
        self.refusals = RefusalLog(self.sql)
        self.invitations = InvitationRows(self.sql)

    @classmethod
    def open(cls, home: Path, *, lock: bool = True) -> Database:
        """Open (or create) the home's database, migrated to this version's schema.

        StoreBusy when another process holds the home; damage of the file itself
        is in `report` (a file that is not a database is moved aside and a new one
        made: peers still hold what was synced).
        """
        home = Path(home)
        home.mkdir(parents=True, exist_ok=True)
        held = _take_lock(home) if lock else None
        report: list[Damage] = []
        try:
            conn = _connect(home, report)
        except BaseException:
            _release_lock(held)
            raise
        return cls(home, conn, held, report)

    def close(self) -> None:
        self.sql.close()
        _release_lock(self._lock_file)
        self._lock_file = None

    # -- transactions (store/sqlite.py) ------------------------------------------------

    @property
    def in_transaction(self) -> bool:
        return self.sql.in_transaction

    def transaction(self, *, durable: bool = True) -> AbstractContextManager[None]:
        """One SQLite transaction for every write inside (store/sqlite.Connection)."""
        return self.sql.transaction(durable=durable)

    def on_commit(self, hook: Callable[[], None]) -> None:
        self.sql.on_commit(hook)

    def on_rollback(self, hook: Callable[[], None]) -> None:
        self.sql.on_rollback(hook)


# -- opening the database file ---------------------------------------------------------


def _connect(home: Path, report: list[Damage]) -> sqlite3.Connection:
    path = home / DB_FILE
    marker = home / MARKER_FILE
    if not path.exists() and marker.exists():
        report.append(Damage(
            None, "database", f"the whole local store ({DB_FILE} is missing)",
            "nothing on this machine; peers still hold every change they synced",
        ))
    try:
        conn = _open_sqlite(path)
    except sqlite3.DatabaseError as problem:
        aside = _move_aside(home, path)
        report.append(Damage(
            None, "database", f"the whole local store ({DB_FILE} is not a database: {problem})",
            f"the damaged file, moved to {aside.name}; peers still hold every change they synced",
        ))
        conn = _open_sqlite(path)
    store_id = conn.execute("SELECT value FROM meta WHERE key = 'store'").fetchone()
    if store_id is None:
        store_id = (secrets.token_hex(8),)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO meta(key, value) VALUES ('store', ?)", store_id)
        conn.execute("COMMIT")
    marker.write_text(store_id[0] + "\n", encoding="utf-8")
    return conn


def _open_sqlite(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA busy_timeout=5000")
        _migrate(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def _migrate(conn: sqlite3.Connection) -> None:
    """Bring the schema to `schema.VERSION`, all steps in one transaction."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        for statement in schema.statements(1):  # the meta table must exist to read it
            conn.execute(statement)
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        version = int(row[0]) if row is not None else 0
        if version > schema.VERSION:
            raise schema.SchemaTooNew(
                f"{DB_FILE} was written by a newer vledger (schema {version}; this one "
                f"reads up to {schema.VERSION}): update vledger on this machine"
            )
        for step in range(max(version, 1) + 1, schema.VERSION + 1):
            for statement in schema.statements(step):
                conn.execute(statement)
        if version != schema.VERSION:
            conn.execute(
                "INSERT INTO meta(key, value) VALUES ('schema', ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (str(schema.VERSION),)
            )
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _move_aside(home: Path, path: Path) -> Path:
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
    aside = home / f"{DB_FILE}.damaged-{stamp}"
    n = 1
    while aside.exists():
        n += 1
        aside = home / f"{DB_FILE}.damaged-{stamp}-{n}"
    os.replace(path, aside)
    for suffix in ("-wal", "-shm"):
        extra = Path(str(path) + suffix)
        if extra.exists():
            os.replace(extra, Path(str(aside) + suffix))
    return aside


def _take_lock(home: Path) -> IO[bytes]:
    handle = open(home / LOCK_FILE, "a+b")
    try:
        if os.name == "nt":
            import msvcrt

            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise StoreBusy(f"{home} is open in another vledger process") from None
    return handle


def _release_lock(handle: IO[bytes] | None) -> None:
    if handle is not None:
        handle.close()  # closing the file releases the lock on every platform


class HeadsReader:
    """Every document's stored heads, read through a read-only connection that takes no
    lock: how a process that does not hold the home open notices another's writes."""

    def __init__(self, home: Path) -> None:
        self.path = Path(home) / DB_FILE
        self._conn: sqlite3.Connection | None = None

    def read(self) -> dict[str, list[bytes]]:
        """{} when there is no database (yet), or it cannot be read just now."""
        if self._conn is None:
            if not self.path.exists():
                return {}
            self._conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        try:
            rows = self._conn.execute("SELECT doc_id, heads FROM documents").fetchall()
        except sqlite3.Error:
            self.close()
            return {}
        return {str(doc): heads_of(h) for doc, h in rows}

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
