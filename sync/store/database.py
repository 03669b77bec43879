"""The home's durable store: one SQLite database (WAL, synchronous=FULL).

Tables (schema version 1):

    meta(key, value)                 schema version, the store's id
    settings(key, value)             office, device, user, actor, ... (text)
    documents(doc_id, snapshot, heads, snapshot_at)
        snapshot: automerge save() bytes, NULL until the first compaction
        heads:    heads after the newest chunk, 32-byte hashes sorted and concatenated
    chunks(id, doc_id, origin, changes, data, at)
        one row per local transaction or received batch: its changes' bytes,
        concatenated ('local' or the peer it came from as origin)
    lost_chunks(id, doc_id, origin, data, problem, found_at)
        damaged rows and snapshots, moved here by compaction: never silently dropped
    peer_heads(peer, doc_id, ours, theirs, at)
        the heads both sides had after the last sync with a peer (for the sync issue)
    measures(doc_id, program, key, plain)
        a village's indicator measures, valid while `key` (its heads and the
        program's version) matches, so the township ranks without opening ledgers

A write returns only after its SQLite transaction committed. Loading a
document is its snapshot plus its chunks; if that fails, the snapshot and then
each chunk are applied one by one and what cannot be applied is reported.
Documents open lazily and stay open until `close_document`: two open copies of
one document would write with the same actor and sequence numbers. A sync
needs no journal index, so it reads and receives through `document()` and
`apply_batches`, which keep a document it did not find open as bare automerge
state; `replica()` later turns that same state into the Replica.

Several writes can share one transaction (`transaction()`): a sync stores the
batches of fifty documents and its peer records with one fsync each.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import msgpack
from automerge import core

from vledger.sync.binding.automerge_doc import (
    CHUNK_DOCUMENT,
    BadChange,
    ChunkInfo,
    MissingDependencies,
    apply_changes,
    changes_since,
    has_changes,
    heads_key,
    iter_chunks,
    parse_changes,
    split_heads,
)
from vledger.sync.documents.journal import now_iso
from vledger.sync.documents.ledger import VillageDoc
from vledger.sync.documents.replica import BatchResult, Replica, new_document
from vledger.sync.documents.township import TownshipDoc

DB_FILE = "vledger.db"
MARKER_FILE = "vledger.db.id"  # written with the database: its absence later means loss
LOCK_FILE = "vledger.lock"
SCHEMA_VERSION = "1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS settings(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents(
    doc_id TEXT PRIMARY KEY,
    snapshot BLOB,
    heads BLOB NOT NULL DEFAULT x'',
    snapshot_at TEXT
);
CREATE TABLE IF NOT EXISTS chunks(
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id TEXT NOT NULL,
    origin TEXT NOT NULL,
    changes INTEGER NOT NULL,
    data BLOB NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_by_doc ON chunks(doc_id, id);
CREATE TABLE IF NOT EXISTS lost_chunks(
    id INTEGER PRIMARY KEY,
    doc_id TEXT NOT NULL,
    origin TEXT NOT NULL,
    data BLOB,
    problem TEXT NOT NULL,
    found_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS peer_heads(
    peer TEXT NOT NULL,
    doc_id TEXT NOT NULL,
    ours BLOB NOT NULL,
    theirs BLOB NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY(peer, doc_id)
);
CREATE TABLE IF NOT EXISTS measures(
    doc_id TEXT NOT NULL,
    program TEXT NOT NULL,
    key TEXT NOT NULL,
    plain BLOB NOT NULL,
    PRIMARY KEY(doc_id, program)
);
"""


class StoreBusy(RuntimeError):
    """Another vledger process has this home open."""


class UnknownDocument(KeyError):
    """The store holds no document with this id."""


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


@dataclass
class _Loaded:
    covered: list[int]  # chunk rows whose changes are in the open document
    damaged: dict[int, str]  # chunk rows that could not be applied, with why
    snapshot_bad: str | None = None


class Store:
    """One home's SQLite database and the documents open from it."""

    def __init__(
        self,
        home: Path,
        conn: sqlite3.Connection,
        report: list[Damage],
        lock: Any,
        *,
        compact_chunks: int,
        compact_bytes: int,
    ) -> None:
        self.home = home
        self._conn = conn
        self.report = report
        self._lock_file = lock
        self._mutex = threading.RLock()
        self._open: dict[str, Replica] = {}
        # Documents loaded only to sync (send or receive changes): no Replica, so no journal
        # index is built for them. `replica()` turns one into a Replica, never two copies.
        self._bare: dict[str, core.Document] = {}
        self._loaded: dict[str, _Loaded] = {}
        self._reported: set[tuple[str | None, str]] = {(d.doc_id, d.part) for d in report}
        self.compact_chunks = compact_chunks
        self.compact_bytes = compact_bytes
        self._depth = 0  # nesting of _write blocks: inner ones join the outermost transaction
        self._touched: set[str] = set()  # documents written in the open transaction
        self._compact_later: set[str] = set()  # documents to compact once it committed

    # -- opening and closing --------------------------------------------------------------

    @classmethod
    def open(
        cls,
        home: Path,
        *,
        lock: bool = True,
        scan: bool = True,
        compact_chunks: int = 200,
        compact_bytes: int = 4 << 20,
    ) -> Store:
        """Open (or create) the home's store; damage found is in `store.report`.

        `scan` checks every stored chunk's checksum at open (cheap: hashing),
        so damage is reported now rather than when a document is first opened.
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
        store = cls(
            home, conn, report, held, compact_chunks=compact_chunks, compact_bytes=compact_bytes
        )
        if scan:
            store._scan()
        return store

    def close(self) -> None:
        with self._mutex:
            for replica in self._open.values():
                replica.close()
            self._open.clear()
            self._bare.clear()
            self._conn.close()
            _release_lock(self._lock_file)
            self._lock_file = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- settings -----------------------------------------------------------------------

    def setting(self, key: str, default: str | None = None) -> str | None:
        row = self._conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return default if row is None else row[0]

    def set_setting(self, key: str, value: str) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO settings(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def settings(self) -> dict[str, str]:
        return dict(self._conn.execute("SELECT key, value FROM settings").fetchall())

    @property
    def actor(self) -> bytes:
        """This database's automerge actor: made with the database, never reused.

        A restored or re-created database gets a new actor, so it can never
        write a change with a sequence number a peer already holds.
        """
        value = self.setting("actor")
        if value is None:
            value = secrets.token_hex(16)
            self.set_setting("actor", value)
        return bytes.fromhex(value)

    def device_id(self) -> str:
        """This machine's device id (made on first use)."""
        value = self.setting("device")
        if value is None:
            value = secrets.token_hex(8)
            self.set_setting("device", value)
        return value

    # -- documents ---------------------------------------------------------------------

    def document_ids(self) -> list[str]:
        return [r[0] for r in self._conn.execute("SELECT doc_id FROM documents ORDER BY doc_id")]

    def has_document(self, doc_id: str) -> bool:
        row = self._conn.execute("SELECT 1 FROM documents WHERE doc_id = ?", (doc_id,))
        return row.fetchone() is not None

    def is_open(self, doc_id: str) -> bool:
        return doc_id in self._open

    def heads(self, doc_id: str) -> list[bytes]:
        """The document's heads as stored (no need to open it)."""
        row = self._conn.execute("SELECT heads FROM documents WHERE doc_id = ?", (doc_id,))
        found = row.fetchone()
        if found is None:
            raise UnknownDocument(doc_id)
        return split_heads(found[0])

    def create_document(self, doc_id: str, kind: str) -> Replica:
        """Make a document with its shared first change (or open it if it exists)."""
        with self._mutex:
            if self.has_document(doc_id):
                return self.replica(doc_id)
            doc = new_document(doc_id, kind)
            changes = [c.bytes for c in doc.get_changes([])]
            with self._write() as conn:
                conn.execute("INSERT INTO documents(doc_id) VALUES (?)", (doc_id,))
                chunk = self._insert_chunk(conn, doc_id, changes, "local", doc.get_heads())
            self._loaded[doc_id] = _Loaded([chunk], {})
            return self._adopt(doc_id, doc)

    def replica(self, doc_id: str) -> Replica:
        """The open document, loading it on first use; UnknownDocument if absent."""
        with self._mutex:
            found = self._open.get(doc_id)
            if found is not None:
                return found
            bare = self._bare.pop(doc_id, None)
            if bare is not None:
                return self._adopt(doc_id, bare)
            if not self.has_document(doc_id):
                raise UnknownDocument(doc_id)
            doc, loaded = self._load(doc_id)
            self._loaded[doc_id] = loaded
            return self._adopt(doc_id, doc)

    def document(self, doc_id: str) -> core.Document:
        """The document's automerge state, to read or send from (never to write to).

        The open Replica's when there is one; otherwise loaded without a
        journal index (a sync does not read the journal) and kept for the
        next sync. UnknownDocument if absent.
        """
        with self._mutex:
            found = self._open.get(doc_id)
            if found is not None:
                return found.doc
            bare = self._bare.get(doc_id)
            if bare is not None:
                return bare
            if not self.has_document(doc_id):
                raise UnknownDocument(doc_id)
            doc, loaded = self._load(doc_id)
            self._loaded[doc_id] = loaded
            self._bare[doc_id] = doc
            return doc

    def village(self, doc_id: str) -> VillageDoc:
        return VillageDoc(self.replica(doc_id))

    def township(self, doc_id: str) -> TownshipDoc:
        return TownshipDoc(self.replica(doc_id))

    def close_document(self, doc_id: str) -> None:
        """Drop the open document from memory (its data is on disk)."""
        with self._mutex:
            replica = self._open.pop(doc_id, None)
            if replica is not None:
                replica.close()
            self._bare.pop(doc_id, None)
            self._loaded.pop(doc_id, None)

    def _adopt(self, doc_id: str, doc: core.Document) -> Replica:
        def persist(changes: list[bytes], origin: str, heads: list[bytes]) -> None:
            self._append(doc_id, changes, origin, heads)

        replica = Replica(doc_id, doc, self.actor, persist)
        self._open[doc_id] = replica
        return replica

    # -- receiving and sending ------------------------------------------------------------

    def apply_batch(
        self, doc_id: str, changes: Sequence[bytes], origin: str = "peer"
    ) -> BatchResult:
        """Apply received changes all-or-nothing, idempotently (Replica.apply_batch).

        A document this store has never seen is created empty to receive them
        (its first change arrives in the batch); if the batch is refused, the
        empty document is removed again.
        """
        with self.transaction():
            return self._apply_one(doc_id, changes, origin)

    def apply_batches(
        self, batches: Mapping[str, Sequence[bytes]], origin: str = "peer"
    ) -> dict[str, BatchResult | MissingDependencies]:
        """Apply received batches for several documents in ONE durable SQLite transaction.

        Per document the answer is its BatchResult, or the MissingDependencies
        that refused its batch whole (the other documents' batches still apply).
        BadChange (bytes that are not changes, or that automerge refuses) refuses
        every batch: nothing of any of them is stored. One commit instead of one
        per document is what lets a sync bring fifty documents in without fifty
        fsyncs.
        """
        results: dict[str, BatchResult | MissingDependencies] = {}
        with self.transaction():
            for doc_id, changes in batches.items():
                try:
                    if doc_id in self._open:
                        results[doc_id] = self._apply_one(doc_id, changes, origin)
                    else:
                        results[doc_id] = self._apply_bare(doc_id, changes, origin)
                except MissingDependencies as missing:
                    results[doc_id] = missing
        return results

    def _apply_bare(self, doc_id: str, changes: Sequence[bytes], origin: str) -> BatchResult:
        """Replica.apply_batch's guarantees for a document not open as a Replica.

        Same steps: apply to a fork, refuse the batch whole when some of it
        builds on changes this replica lacks, persist, then swap the fork in.
        Two savings a sync needs: no journal index is read (BatchResult.entries
        stays empty; the index is built when the document is opened), and the
        batch is parsed change by change only when automerge did not apply every
        item as a new change (duplicates, missing dependencies or bad bytes).
        """
        created = not self.has_document(doc_id)
        if created:
            if not changes:
                return BatchResult()
            base = core.Document()
        else:
            base = self.document(doc_id)
        heads_before = base.get_heads()
        candidate = base.fork()
        try:
            apply_changes(candidate, list(changes))
        except Exception:  # the binding raises bare Exceptions; say which item is bad
            parse_changes(changes)
            raise BadChange("automerge refused the batch") from None
        new = candidate.get_changes(heads_before)
        if len(new) != len(changes):
            infos = {info.hash: info for info in parse_changes(changes)}
            new_hashes = {change.hash for change in new}
            rest = [h for h in infos if h not in new_hashes]
            if rest and not has_changes(base, rest):
                waiting = [h for h in rest if not has_changes(base, [h])]
                deps = {d for h in waiting for d in infos[h].deps
                        if d not in infos and d not in new_hashes}
                raise MissingDependencies(
                    waiting, sorted(d for d in deps if not has_changes(base, [d]))
                )
        if not new:
            return BatchResult()
        data = [change.bytes for change in new]
        if created:
            with self._write() as conn:
                conn.execute("INSERT INTO documents(doc_id) VALUES (?)", (doc_id,))
            self._loaded[doc_id] = _Loaded([], {})
        self._append(doc_id, data, origin, candidate.get_heads())
        self._touched.add(doc_id)  # a rollback of the transaction drops the swapped-in fork
        self._bare[doc_id] = candidate
        return BatchResult(tuple(c.hash for c in new), (), tuple(data))

    def _apply_one(self, doc_id: str, changes: Sequence[bytes], origin: str) -> BatchResult:
        with self._mutex:
            created = False
            if not self.has_document(doc_id):
                with self._write() as conn:
                    conn.execute("INSERT INTO documents(doc_id) VALUES (?)", (doc_id,))
                created = True
                self._loaded[doc_id] = _Loaded([], {})
                self._adopt(doc_id, core.Document())
            try:
                return self.replica(doc_id).apply_batch(changes, origin)
            except BaseException:
                if created:
                    self.close_document(doc_id)
                    with self._write() as conn:
                        conn.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))
                raise

    def store_snapshot(self, doc_id: str, snapshot: bytes, heads: Sequence[bytes]) -> None:
        """Store a whole document received as a checked `save()` for a document not held here.

        The caller has loaded `snapshot` (it is a whole, readable document with
        `heads`) and checked its header; this writes it as the document's
        snapshot in one transaction. UnknownDocument's opposite: ValueError when
        the document exists here already (its changes must go through
        `apply_batch`, which merges).
        """
        with self._write() as conn:
            if self.has_document(doc_id):
                raise ValueError(f"{doc_id} is held here already: merge its changes instead")
            conn.execute(
                "INSERT INTO documents(doc_id, snapshot, heads, snapshot_at) VALUES (?, ?, ?, ?)",
                (doc_id, snapshot, heads_key(heads), now_iso()),
            )

    def changes_since(self, doc_id: str, heads: Sequence[bytes]) -> list[bytes]:
        """Changes of the document that are not ancestors of `heads` (all, if heads unknown)."""
        return changes_since(self.document(doc_id), heads)

    def peer_heads(self, peer: str, doc_id: str) -> tuple[list[bytes], list[bytes]] | None:
        """(ours, theirs) after the last sync with `peer`, None when never synced."""
        row = self._conn.execute(
            "SELECT ours, theirs FROM peer_heads WHERE peer = ? AND doc_id = ?", (peer, doc_id)
        ).fetchone()
        return None if row is None else (split_heads(row[0]), split_heads(row[1]))

    def set_peer_heads(
        self, peer: str, doc_id: str, ours: Sequence[bytes], theirs: Sequence[bytes]
    ) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO peer_heads(peer, doc_id, ours, theirs, at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(peer, doc_id) DO UPDATE SET ours = excluded.ours, "
                "theirs = excluded.theirs, at = excluded.at",
                (peer, doc_id, heads_key(ours), heads_key(theirs), now_iso()),
            )

    def peers(self) -> list[tuple[str, str, list[bytes], list[bytes], str]]:
        """Every peer record: (peer, doc_id, ours, theirs, when), by peer then document."""
        rows = self._conn.execute(
            "SELECT peer, doc_id, ours, theirs, at FROM peer_heads ORDER BY peer, doc_id"
        ).fetchall()
        return [
            (peer, doc, split_heads(bytes(ours)), split_heads(bytes(theirs)), at)
            for peer, doc, ours, theirs, at in rows
        ]

    def forget_peer(self, peer: str) -> None:
        with self._write() as conn:
            conn.execute("DELETE FROM peer_heads WHERE peer = ?", (peer,))

    # -- measures cache -------------------------------------------------------------------

    @staticmethod
    def measure_key(heads: Sequence[bytes], version: str = "") -> str:
        return hashlib.sha256(heads_key(heads) + b"\x00" + version.encode()).hexdigest()

    def cached_measures(
        self, doc_id: str, program: str, heads: Sequence[bytes], version: str = ""
    ) -> Any | None:
        """The plain measures stored for exactly these heads (and program version), else None."""
        row = self._conn.execute(
            "SELECT key, plain FROM measures WHERE doc_id = ? AND program = ?", (doc_id, program)
        ).fetchone()
        if row is None or row[0] != self.measure_key(heads, version):
            return None
        try:
            return msgpack.unpackb(row[1], raw=False, strict_map_key=False)
        except Exception:  # a damaged cache row is only a cache miss
            return None

    def cache_measures(
        self, doc_id: str, program: str, heads: Sequence[bytes], plain: Any, version: str = ""
    ) -> None:
        data = msgpack.packb(plain, use_bin_type=True)
        with self._write() as conn:
            conn.execute(
                "INSERT INTO measures(doc_id, program, key, plain) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(doc_id, program) DO UPDATE SET key = excluded.key, "
                "plain = excluded.plain",
                (doc_id, program, self.measure_key(heads, version), data),
            )

    # -- compaction -----------------------------------------------------------------------

    def chunk_stats(self, doc_id: str) -> tuple[int, int]:
        """(number of chunk rows, their bytes) for the document."""
        row = self._conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(LENGTH(data)), 0) FROM chunks WHERE doc_id = ?",
            (doc_id,),
        ).fetchone()
        return int(row[0]), int(row[1])

    def compact(self, doc_id: str) -> None:
        """Write a new snapshot and delete the chunks it covers, in one transaction.

        Damaged rows and a damaged snapshot are moved to `lost_chunks`, not deleted.
        """
        with self._mutex:
            doc = self.document(doc_id)
            loaded = self._loaded[doc_id]
            snapshot = doc.save()
            heads = doc.get_heads()
            found = now_iso()
            with self._write() as conn:
                if loaded.snapshot_bad is not None:
                    conn.execute(
                        "INSERT INTO lost_chunks(doc_id, origin, data, problem, found_at) "
                        "SELECT doc_id, 'snapshot', snapshot, ?, ? FROM documents WHERE doc_id = ?",
                        (loaded.snapshot_bad, found, doc_id),
                    )
                for chunk_id, problem in loaded.damaged.items():
                    conn.execute(
                        "INSERT INTO lost_chunks(id, doc_id, origin, data, problem, found_at) "
                        "SELECT id, doc_id, origin, data, ?, ? FROM chunks WHERE id = ?",
                        (problem, found, chunk_id),
                    )
                gone = [*loaded.covered, *loaded.damaged]
                conn.executemany("DELETE FROM chunks WHERE id = ?", [(i,) for i in gone])
                conn.execute(
                    "UPDATE documents SET snapshot = ?, heads = ?, snapshot_at = ? "
                    "WHERE doc_id = ?",
                    (snapshot, heads_key(heads), found, doc_id),
                )
            self._loaded[doc_id] = _Loaded([], {})

    def lost_chunks(self, doc_id: str | None = None) -> list[tuple[int, str, str, str]]:
        """(id, doc_id, origin, problem) of what compaction set aside as damaged."""
        sql = "SELECT id, doc_id, origin, problem FROM lost_chunks"
        args: tuple[str, ...] = ()
        if doc_id is not None:
            sql += " WHERE doc_id = ?"
            args = (doc_id,)
        return [tuple(r) for r in self._conn.execute(sql + " ORDER BY id", args)]

    # -- internals: writing ----------------------------------------------------------------

    def connection(self) -> sqlite3.Connection:
        """The store's SQLite connection, for modules keeping tables of their own in the home's
        database (sync/authorship.py: signatures, refusals). Write through `transaction()`."""
        return self._conn

    @contextmanager
    def transaction(self, *, durable: bool = True) -> Iterator[sqlite3.Connection]:
        """Make every store write inside the block one durable SQLite transaction.

        Writes (received batches, peer records, settings) join it instead of
        committing one by one: one fsync for the lot. If the block or the
        commit fails, nothing of it is stored, and every document it wrote to is
        closed so that its next use reloads what is really on disk (an open
        document may already hold changes whose rows were rolled back).
        Compaction waits until the commit: it snapshots the open document, which
        must by then hold everything its chunk rows do.

        `durable=False` (only for hints a power cut may lose, like peer
        records): committed without waiting for the disk. WAL keeps it atomic,
        and the next durable commit's fsync carries it to disk too. Inside a
        durable transaction it is durable.
        """
        with self._mutex:
            relaxed = not durable and self._depth == 0
            if relaxed:
                self._conn.execute("PRAGMA synchronous=NORMAL")
            try:
                with self._write() as connection:
                    yield connection
            finally:
                if relaxed:
                    self._conn.execute("PRAGMA synchronous=FULL")
        self._run_compactions()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One SQLite transaction; committed (durably) when the outermost block ends.

        A nested block that fails leaves what it wrote to the outer transaction:
        let the exception reach the outermost block (which rolls everything back)
        unless the failing code undid its own writes, as `_apply_one` does.
        """
        with self._mutex:
            if self._depth:
                self._depth += 1
                try:
                    yield self._conn
                finally:
                    self._depth -= 1
                return
            self._conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self._conn
                self._depth = 0
                self._conn.execute("COMMIT")
            except BaseException:
                self._depth = 0
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                touched, self._touched = self._touched, set()
                self._compact_later.clear()
                for doc_id in touched:
                    self.close_document(doc_id)
                raise
            self._touched.clear()

    def _insert_chunk(
        self,
        conn: sqlite3.Connection,
        doc_id: str,
        changes: list[bytes],
        origin: str,
        heads: list[bytes],
    ) -> int:
        cursor = conn.execute(
            "INSERT INTO chunks(doc_id, origin, changes, data, at) VALUES (?, ?, ?, ?, ?)",
            (doc_id, origin, len(changes), b"".join(changes), now_iso()),
        )
        conn.execute(
            "UPDATE documents SET heads = ? WHERE doc_id = ?", (heads_key(heads), doc_id)
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def _append(self, doc_id: str, changes: list[bytes], origin: str, heads: list[bytes]) -> None:
        nested = self._depth > 0
        with self._write() as conn:
            chunk = self._insert_chunk(conn, doc_id, changes, origin, heads)
            if nested:  # a failure later in the transaction rolls this row back
                self._touched.add(doc_id)
        self._loaded.setdefault(doc_id, _Loaded([], {})).covered.append(chunk)
        self._compact_later.add(doc_id)
        if not nested:
            self._run_compactions()

    def _run_compactions(self) -> None:
        if self._depth:
            return  # the outermost transaction runs them after its commit
        pending, self._compact_later = self._compact_later, set()
        for doc_id in sorted(pending):
            if doc_id not in self._open and doc_id not in self._bare:
                continue
            count, size = self.chunk_stats(doc_id)
            if count > self.compact_chunks or size > self.compact_bytes:
                self._compact_after_write(doc_id)

    def _compact_after_write(self, doc_id: str) -> None:
        # The write itself is durable already; a failed compaction only costs space.
        try:
            self.compact(doc_id)
        except sqlite3.Error as problem:
            self._note(Damage(doc_id, "compaction", "nothing", f"all chunks ({problem})"))

    # -- internals: loading ----------------------------------------------------------------

    def _load(self, doc_id: str) -> tuple[core.Document, _Loaded]:
        snapshot, rows = self._read_document(doc_id)
        good: list[tuple[int, list[ChunkInfo]]] = []
        damaged: dict[int, str] = {}
        for chunk_id, data in rows:
            try:
                infos = list(iter_chunks(data))
                if any(i.kind == CHUNK_DOCUMENT for i in infos):
                    raise BadChange("a snapshot where changes belong")
                good.append((chunk_id, infos))
            except BadChange as problem:
                damaged[chunk_id] = str(problem)
        whole = (snapshot or b"") + b"".join(i.data for _, infos in good for i in infos)
        doc: core.Document | None = None
        if not damaged:
            try:
                doc = core.Document.load(whole)
            except Exception:  # the binding raises bare Exceptions
                doc = None
        if doc is not None:
            return doc, _Loaded([c for c, _ in good], {})
        return self._load_piece_by_piece(doc_id, snapshot, good, damaged)

    def _load_piece_by_piece(
        self,
        doc_id: str,
        snapshot: bytes | None,
        good: list[tuple[int, list[ChunkInfo]]],
        damaged: dict[int, str],
    ) -> tuple[core.Document, _Loaded]:
        loaded = _Loaded([], dict(damaged))
        doc = core.Document()
        if snapshot:
            try:
                doc = core.Document.load(snapshot)
            except Exception as problem:
                loaded.snapshot_bad = f"snapshot unreadable: {problem}"
        known = {c.hash for c in doc.get_changes([])}
        pending = list(good)
        progress = True
        while pending and progress:
            progress = False
            for item in list(pending):
                chunk_id, infos = item
                ours = {i.hash for i in infos}
                if any(d not in known and d not in ours for i in infos for d in i.deps):
                    continue  # waits for a row still pending, or for lost changes
                before = doc.get_heads()
                try:
                    apply_changes(doc, [i.data for i in infos])
                except Exception as problem:
                    loaded.damaged[chunk_id] = f"automerge refused it: {problem}"
                    pending.remove(item)
                    continue
                known |= {c.hash for c in doc.get_changes(before)}
                pending.remove(item)
                progress = True
                if ours <= known:
                    loaded.covered.append(chunk_id)
                else:
                    loaded.damaged[chunk_id] = "some of its changes could not be applied"
        for chunk_id, _ in pending:
            loaded.damaged[chunk_id] = "builds on changes that were lost"
        self._report_load(doc_id, doc, snapshot, loaded)
        return doc, loaded

    def _report_load(
        self, doc_id: str, doc: core.Document, snapshot: bytes | None, loaded: _Loaded
    ) -> None:
        kept = (
            f"{len(loaded.covered)} chunk row(s)"
            + (" and the snapshot" if snapshot and loaded.snapshot_bad is None else "")
            + f" ({len(doc.get_heads())} head(s)); peers may still hold what was lost"
        )
        if loaded.snapshot_bad is not None:
            self._note(Damage(doc_id, "snapshot", f"the snapshot ({loaded.snapshot_bad})", kept))
        for chunk_id, problem in sorted(loaded.damaged.items()):
            self._note(Damage(doc_id, f"chunk {chunk_id}", f"its changes ({problem})", kept))

    def _read_document(self, doc_id: str) -> tuple[bytes | None, list[tuple[int, bytes]]]:
        try:
            row = self._conn.execute(
                "SELECT snapshot FROM documents WHERE doc_id = ?", (doc_id,)
            ).fetchone()
            rows = self._conn.execute(
                "SELECT id, data FROM chunks WHERE doc_id = ? ORDER BY id", (doc_id,)
            ).fetchall()
        except sqlite3.DatabaseError as problem:
            self._note(Damage(doc_id, "database", f"the document ({problem})", "nothing of it"))
            return None, []
        snapshot = row[0] if row is not None else None
        return (bytes(snapshot) if snapshot is not None else None), [
            (i, bytes(d) if d is not None else b"") for i, d in rows
        ]

    def _scan(self) -> None:
        """Check every stored snapshot and chunk's checksums; report what fails."""
        try:
            snapshots = self._conn.execute(
                "SELECT doc_id, snapshot FROM documents WHERE snapshot IS NOT NULL"
            ).fetchall()
            for doc_id, snapshot in snapshots:
                try:
                    parts = list(iter_chunks(bytes(snapshot)))
                    if len(parts) != 1 or parts[0].kind != CHUNK_DOCUMENT:
                        raise BadChange("not one document chunk")
                except BadChange as problem:
                    self._note(Damage(
                        doc_id, "snapshot", f"the snapshot ({problem})",
                        "its chunk rows; the document will be rebuilt from them where it can",
                    ))
            for chunk_id, doc_id, data in self._conn.execute(
                "SELECT id, doc_id, data FROM chunks ORDER BY id"
            ):
                try:
                    list(iter_chunks(bytes(data) if data is not None else b""))
                except BadChange as problem:
                    self._note(Damage(
                        doc_id, f"chunk {chunk_id}", f"its changes ({problem})",
                        "every other row of the document",
                    ))
        except sqlite3.DatabaseError as problem:
            self._note(Damage(None, "database", f"part of the database ({problem})",
                              "whatever still reads"))

    def _note(self, damage: Damage) -> None:
        key = (damage.doc_id, damage.part)
        if key not in self._reported:
            self._reported.add(key)
            self.report.append(damage)


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
        conn.execute("INSERT INTO meta(key, value) VALUES ('schema', ?)", (SCHEMA_VERSION,))
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
        conn.executescript(_SCHEMA)
    except sqlite3.DatabaseError:
        conn.close()
        raise
    return conn


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


def _take_lock(home: Path) -> Any:
    handle = open(home / LOCK_FILE, "a+b")  # held until close()
    try:
        if os.name == "nt":
            import msvcrt

            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise StoreBusy(f"{home} is open in another vledger process") from None
    return handle


def _release_lock(handle: Any) -> None:
    if handle is not None:
        handle.close()  # closing the file releases the lock on every platform
