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

from vledger.errors import VledgerError
from vledger.sync.store import schema
from vledger.sync.store.repositories import (
    Caches,
    DocumentRows,
    InvitationRows,
    OwnChanges,
    PeerRecords,
    RefusalLog,
    SetAside,
    Settings,
    SignatureRows,
    Vouchers,
    heads_of,
)
from vledger.sync.store.sqlite import Connection, StoreBusy, StoreWriteFailed

DB_FILE = "vledger.db"
MARKER_FILE = "vledger.db.id"  # written with the database: its absence later means loss
BUSY_SECONDS = 10.0  # the longest a write waits for another process's write transaction
__all__ = ["DB_FILE", "MARKER_FILE", "Damage", "Database", "HeadsReader", "StoreBusy",
           "StoreUnreadable", "StoreWriteFailed", "damaged_copies"]




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

    def __init__(self, home: Path, sql: Connection, report: list[Damage]) -> None:
        self.home = home
        self.sql = sql
        self.report = report
        self.settings = Settings(self.sql)
        self.documents = DocumentRows(self.sql)
        self.peers = PeerRecords(self.sql)
        self.caches = Caches(self.sql)
        self.signatures = SignatureRows(self.sql)
        self.refusals = RefusalLog(self.sql)
        self.invitations = InvitationRows(self.sql)
        self.own_changes = OwnChanges(self.sql)
        self.vouchers = Vouchers(self.sql)
        self.set_aside = SetAside(self.sql)

    @classmethod
    def open(cls, home: Path, *, busy_seconds: float = BUSY_SECONDS) -> Database:
        """Open (or create) the home's database, migrated to this version's schema.

        Any number of processes may hold one home open (WAL: many readers, one short
        writer at a time). Damage of the file itself is in `report` (a file that is
        not a database is moved aside and a new one made: peers still hold what was
        synced).
        """
        home = Path(home)
        home.mkdir(parents=True, exist_ok=True)
        report: list[Damage] = []
        return cls(home, _connect(home, report, busy_seconds), report)

    def close(self) -> None:
        self.sql.close()

    def data_version(self) -> int:
        """Moves whenever another connection (another process) commits: the cheap signal
        that cached documents may be behind the store."""
        return self.sql.data_version()

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


class StoreUnreadable(VledgerError):
    """The home's database cannot be opened for a reason that is not damage (permissions,
    a read-only folder): nothing was moved or changed."""


DAMAGED_PREFIX = f"{DB_FILE}.damaged-"


def _connect(home: Path, report: list[Damage], busy_seconds: float) -> Connection:
    path = home / DB_FILE
    marker = home / MARKER_FILE
    if not path.exists() and marker.exists():
        report.append(Damage(
            None, "database", f"the whole local store ({DB_FILE} is missing)",
            "nothing on this machine; peers still hold every change they synced",
        ))
    _check_access(home, path)
    try:
        sql = _prepared(home, path, busy_seconds)
    except sqlite3.OperationalError as problem:
        # Locked by another program, unreadable, a read-only folder: not damage. Say what
        # is wrong and leave the file where it is.
        text = str(problem)
        if "locked" in text or "busy" in text:
            raise StoreBusy(
                f"{path} is locked by another program (a backup tool or a database "
                "viewer?): close it, or wait, and try again; nothing was changed"
            ) from None
        raise StoreUnreadable(
            f"{path} cannot be opened ({text}): check that this folder and the file can "
            "be read and written by you; nothing was changed"
        ) from None
    except sqlite3.DatabaseError as problem:  # not a database, or malformed: damage
        aside = _move_aside(home, path)
        report.append(Damage(
            None, "database", f"the whole local store ({DB_FILE} is damaged: {problem})",
            f"the damaged file, moved to {aside} (`vledger recover` takes back what it "
            "still holds; then sync: peers hold every change they synced)",
        ))
        sql = _prepared(home, path, busy_seconds)
    store_id = sql.execute("SELECT value FROM meta WHERE key = 'store'").fetchone()
    marker.write_text(f"{store_id[0]}\n", encoding="utf-8")
    return sql


def _check_access(home: Path, path: Path) -> None:
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        raise StoreUnreadable(
            f"{path} cannot be read and written by you (its permissions): fix them, for "
            f"example `chmod 600 {path}`; nothing was changed"
        )
    if not os.access(home, os.W_OK | os.X_OK):
        raise StoreUnreadable(
            f"{home} is not a folder you can write to (read-only, or its permissions): "
            "vledger keeps its database and journal files there; nothing was changed"
        )


def damaged_copies(home: Path) -> list[Path]:
    """Databases set aside as damaged in this home, newest first."""
    return sorted(Path(home).glob(DAMAGED_PREFIX + "*[0-9]"), reverse=True)


def _prepared(home: Path, path: Path, busy_seconds: float) -> Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute(f"PRAGMA busy_timeout={int(busy_seconds * 1000)}")
        sql = Connection(conn, home, busy_seconds)
        if _needs_migration(sql):
            with sql.transaction():  # another process may be migrating at the same moment
                _migrate(sql)
    except BaseException:
        conn.close()
        raise
    return sql


def _needs_migration(sql: Connection) -> bool:
    """Read without taking the write lock: opening a home every process shares must not
    wait for another's writes."""
    try:
        rows = dict(sql.execute("SELECT key, value FROM meta WHERE key IN ('schema', 'store')"))
    except sqlite3.OperationalError:  # no meta table: a new database
        return True
    return rows.get("schema") != str(schema.VERSION) or "store" not in rows


def _migrate(sql: Connection) -> None:
    """Bring the schema to `schema.VERSION` and give the store its id (in the caller's
    transaction, so a home never holds half a migration)."""
    for statement in schema.statements(1):  # the meta table must exist to read it
        sql.execute(statement)
    row = sql.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    version = int(row[0]) if row is not None else 0
    if version > schema.VERSION:
        raise schema.SchemaTooNew(
            f"{DB_FILE} was written by a newer vledger (schema {version}; this one "
            f"reads up to {schema.VERSION}): update vledger on this machine"
        )
    for step in range(max(version, 1) + 1, schema.VERSION + 1):
        for statement in schema.statements(step):
            sql.execute(statement)
    sql.execute("INSERT INTO meta(key, value) VALUES ('schema', ?) ON CONFLICT(key) "
                "DO UPDATE SET value = excluded.value", (str(schema.VERSION),))
    sql.execute("INSERT INTO meta(key, value) VALUES ('store', ?) ON CONFLICT(key) DO NOTHING",
                (secrets.token_hex(8),))


def _move_aside(home: Path, path: Path) -> Path:
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
    aside = home / f"{DAMAGED_PREFIX}{stamp}"
    n = 1
    while aside.exists():
        n += 1
        aside = home / f"{DAMAGED_PREFIX}{stamp}-{n}"
    os.replace(path, aside)
    for suffix in ("-wal", "-shm"):
        extra = Path(str(path) + suffix)
        if extra.exists():
            os.replace(extra, Path(str(aside) + suffix))
    return aside


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
