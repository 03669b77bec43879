"""The store's repositories: what the rest of the program may read and write in a home's
database, table by table (store/schema.py), in plain values (bytes, str, int).

Every write joins the open transaction or makes its own (store/sqlite.Connection).
Heads are stored as one canonical byte string: 32-byte hashes sorted and joined.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import msgpack

from vledger.clock import now_iso
from vledger.sync.store.sqlite import Connection

HASH_LEN = 32
_BATCH = 500  # SQLite's limit on host parameters is 999 in old builds


class UnknownDocument(KeyError):
    """The store holds no document with this id."""


def heads_blob(heads: Iterable[bytes]) -> bytes:
    return b"".join(sorted(heads))


def heads_of(blob: bytes | None) -> list[bytes]:
    if not blob:
        return []
    blob = bytes(blob)
    if len(blob) % HASH_LEN:
        raise ValueError("stored heads are not a whole number of hashes")
    return [blob[i : i + HASH_LEN] for i in range(0, len(blob), HASH_LEN)]


class Settings:
    """settings(key, value): the home's office, kind, township, year, user, device ..."""

    def __init__(self, sql: Connection) -> None:
        self._sql = sql

    def get(self, key: str, default: str | None = None) -> str | None:
        row = self._sql.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return default if row is None else str(row[0])

    def set(self, key: str, value: str) -> None:
        with self._sql.transaction():
            self._sql.execute(
                "INSERT INTO settings(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value),
            )

    def all(self) -> dict[str, str]:
        return {str(k): str(v) for k, v in self._sql.execute("SELECT key, value FROM settings")}

    def get_or_make(self, key: str, make: int) -> str:
        """The value, made now as `make` random bytes (hex) when there is none yet."""
        value = self.get(key)
        if value is None:
            value = secrets.token_hex(make)
            self.set(key, value)
        return value


@dataclass(frozen=True)
class StoredDocument:
    """What is stored of one document: its snapshot and its chunk rows, in order.

    `generation` counts the document's compactions: a reader that saw an older one
    knows the snapshot it loaded has been replaced (and chunk rows it saw deleted).
    """

    snapshot: bytes | None
    chunks: list[tuple[int, bytes]]  # (row id, concatenated change chunks)
    generation: int = 0


class DocumentRows:
    """documents, chunks and lost_chunks: every document's bytes."""

    def __init__(self, sql: Connection) -> None:
        self._sql = sql

    def ids(self) -> list[str]:
        rows = self._sql.execute("SELECT doc_id FROM documents ORDER BY doc_id")
        return [str(r[0]) for r in rows]

    def has(self, doc_id: str) -> bool:
        row = self._sql.execute("SELECT 1 FROM documents WHERE doc_id = ?", (doc_id,))
        return row.fetchone() is not None

    def heads(self, doc_id: str) -> list[bytes]:
        """The document's heads as stored (no need to load it)."""
        found = self._sql.execute(
            "SELECT heads FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
        if found is None:
            raise UnknownDocument(doc_id)
        return heads_of(found[0])

    def all_heads(self) -> dict[str, list[bytes]]:
        """Every document's stored heads, in one statement."""
        return {str(d): heads_of(h) for d, h in self._sql.execute(
            "SELECT doc_id, heads FROM documents ORDER BY doc_id")}

    def digest(self) -> str:
        """Changes whenever any document changes: one query, nothing loaded."""
        digest = hashlib.sha256()
        for doc, heads in self._sql.execute("SELECT doc_id, heads FROM documents ORDER BY doc_id"):
            digest.update(str(doc).encode() + b"\x00" + bytes(heads) + b"\x01")
        return digest.hexdigest()

    def create(self, doc_id: str) -> None:
        with self._sql.transaction():
            self._sql.execute("INSERT INTO documents(doc_id) VALUES (?)", (doc_id,))

    def remove(self, doc_id: str) -> None:
        """Forget a document made empty to receive a batch that was then refused."""
        with self._sql.transaction():
            self._sql.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))
            self._sql.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))

    def add_chunk(self, doc_id: str, changes: Sequence[bytes], origin: str,
                  heads: Sequence[bytes]) -> int:
        """Store one transaction's or batch's changes; the chunk row's id."""
        with self._sql.transaction():
            cursor = self._sql.execute(
                "INSERT INTO chunks(doc_id, origin, changes, data, at) VALUES (?, ?, ?, ?, ?)",
                (doc_id, origin, len(changes), b"".join(changes), now_iso()),
            )
            self._sql.execute("UPDATE documents SET heads = ? WHERE doc_id = ?",
                              (heads_blob(heads), doc_id))
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def add_snapshot(self, doc_id: str, snapshot: bytes, heads: Sequence[bytes]) -> None:
        """A whole document received for a document not held here (ValueError if held)."""
        with self._sql.transaction():
            if self.has(doc_id):
                raise ValueError(f"{doc_id} is held here already: merge its changes instead")
            self._sql.execute(
                "INSERT INTO documents(doc_id, snapshot, heads, snapshot_at) VALUES (?, ?, ?, ?)",
                (doc_id, snapshot, heads_blob(heads), now_iso()),
            )

    def read(self, doc_id: str, *, after: int = 0,
             generation: int | None = None) -> StoredDocument:
        """The document as stored; with `after`, only chunk rows newer than that row id,
        and the snapshot only when its generation is no longer `generation`."""
        with self._sql.snapshot():  # one consistent view across the two statements
            row = self._sql.execute(
                "SELECT snapshot, generation FROM documents WHERE doc_id = ?", (doc_id,)
            ).fetchone()
            rows = self._sql.execute(
                "SELECT id, data FROM chunks WHERE doc_id = ? AND id > ? ORDER BY id",
                (doc_id, after),
            ).fetchall()
        if row is None:
            raise UnknownDocument(doc_id)
        snapshot, current = row[0], int(row[1])
        if snapshot is not None and generation is not None and current == generation:
            snapshot = None  # the caller holds this snapshot already
        return StoredDocument(
            bytes(snapshot) if snapshot is not None else None,
            [(int(i), bytes(d) if d is not None else b"") for i, d in rows],
            current,
        )

    def stored_bytes(self, doc_ids: Sequence[str]) -> int:
        """The bytes of the documents' snapshots and chunk rows together: what loading
        them would read (SQLite knows each blob's length without reading it)."""
        total = 0
        for doc_id in doc_ids:
            row = self._sql.execute(
                "SELECT COALESCE(LENGTH(snapshot), 0) + (SELECT COALESCE(SUM(LENGTH(data)), 0)"
                " FROM chunks WHERE chunks.doc_id = documents.doc_id)"
                " FROM documents WHERE doc_id = ?", (doc_id,),
            ).fetchone()
            total += int(row[0]) if row else 0
        return total

    def stats(self, doc_id: str) -> tuple[int, int]:
        """(number of chunk rows, their bytes) for the document."""
        row = self._sql.execute(
            "SELECT COUNT(*), COALESCE(SUM(LENGTH(data)), 0) FROM chunks WHERE doc_id = ?",
            (doc_id,),
        ).fetchone()
        return int(row[0]), int(row[1])

    def compact(self, doc_id: str, snapshot: bytes, heads: Sequence[bytes],
                covered: Sequence[int], damaged: dict[int, str],
                snapshot_problem: str | None) -> None:
        """Replace the chunks a new snapshot covers by it, in one transaction; damaged
        rows (and a damaged old snapshot) move to lost_chunks, never deleted."""
        found = now_iso()
        with self._sql.transaction():
            if snapshot_problem is not None:
                self._sql.execute(
                    "INSERT INTO lost_chunks(doc_id, origin, data, problem, found_at) "
                    "SELECT doc_id, 'snapshot', snapshot, ?, ? FROM documents WHERE doc_id = ?",
                    (snapshot_problem, found, doc_id),
                )
            for chunk_id, problem in damaged.items():
                self._sql.execute(
                    "INSERT INTO lost_chunks(id, doc_id, origin, data, problem, found_at) "
                    "SELECT id, doc_id, origin, data, ?, ? FROM chunks WHERE id = ?",
                    (problem, found, chunk_id),
                )
            gone = [*covered, *damaged]
            self._sql.executemany("DELETE FROM chunks WHERE id = ?", [(i,) for i in gone])
            self._sql.execute(
                "UPDATE documents SET snapshot = ?, heads = ?, snapshot_at = ?, "
                "generation = generation + 1 WHERE doc_id = ?",
                (snapshot, heads_blob(heads), found, doc_id),
            )

    def replace(self, doc_id: str, snapshot: bytes, heads: Sequence[bytes]) -> None:
        """The document is now exactly `snapshot` (changes were taken out of it): every
        chunk row goes, and the generation moves so other processes reload it."""
        with self._sql.transaction():
            self._sql.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))
            self._sql.execute(
                "UPDATE documents SET snapshot = ?, heads = ?, snapshot_at = ?, "
                "generation = generation + 1 WHERE doc_id = ?",
                (snapshot, heads_blob(heads), now_iso(), doc_id),
            )

    def lost(self, doc_id: str | None = None) -> list[tuple[int, str, str, str]]:
        """(id, doc_id, origin, problem) of what compaction set aside as damaged."""
        sql = "SELECT id, doc_id, origin, problem FROM lost_chunks"
        args: tuple[str, ...] = ()
        if doc_id is not None:
            sql += " WHERE doc_id = ?"
            args = (doc_id,)
        return [(int(i), str(d), str(o), str(p))
                for i, d, o, p in self._sql.execute(sql + " ORDER BY id", args)]

    def every_snapshot(self) -> Iterator[tuple[str, bytes]]:
        for doc_id, snapshot in self._sql.execute(
                "SELECT doc_id, snapshot FROM documents WHERE snapshot IS NOT NULL").fetchall():
            yield str(doc_id), bytes(snapshot)

    def every_chunk(self) -> Iterator[tuple[int, str, bytes]]:
        for chunk_id, doc_id, data in self._sql.execute(
                "SELECT id, doc_id, data FROM chunks ORDER BY id"):
            yield int(chunk_id), str(doc_id), bytes(data) if data is not None else b""


@dataclass(frozen=True)
class PeerRow:
    """A row of peer_heads: the heads both sides had after the last sync with a peer."""

    peer: str
    doc: str
    ours: list[bytes]
    theirs: list[bytes]
    at: str


class PeerRecords:
    """peer_heads: per peer and document, the heads both had after the last sync."""

    def __init__(self, sql: Connection) -> None:
        self._sql = sql

    def get(self, peer: str, doc_id: str) -> tuple[list[bytes], list[bytes]] | None:
        """(ours, theirs) after the last sync with `peer`, None when never synced."""
        row = self._sql.execute(
            "SELECT ours, theirs FROM peer_heads WHERE peer = ? AND doc_id = ?", (peer, doc_id)
        ).fetchone()
        return None if row is None else (heads_of(row[0]), heads_of(row[1]))

    def of_peer(self, peer: str) -> dict[str, tuple[list[bytes], list[bytes]]]:
        """(ours, theirs) per document after the last sync with `peer`, in one statement."""
        return {str(d): (heads_of(o), heads_of(t)) for d, o, t in self._sql.execute(
            "SELECT doc_id, ours, theirs FROM peer_heads WHERE peer = ?", (peer,))}

    def set(self, peer: str, doc_id: str, ours: Sequence[bytes], theirs: Sequence[bytes]) -> None:
        with self._sql.transaction():
            self._sql.execute(
                "INSERT INTO peer_heads(peer, doc_id, ours, theirs, at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(peer, doc_id) DO UPDATE SET ours = excluded.ours, "
                "theirs = excluded.theirs, at = excluded.at",
                (peer, doc_id, heads_blob(ours), heads_blob(theirs), now_iso()),
            )

    def all(self) -> list[PeerRow]:
        """Every record, by peer then document."""
        return [
            PeerRow(str(p), str(d), heads_of(o), heads_of(t), str(a))
            for p, d, o, t, a in self._sql.execute(
                "SELECT peer, doc_id, ours, theirs, at FROM peer_heads ORDER BY peer, doc_id")
        ]

    def held_by_both(self, doc_id: str) -> list[list[bytes]]:
        """The distinct heads of `doc_id` that some peer and this home both held after
        their last sync (the records where ours = theirs), each once, in order.

        What counting a document reads: a township that synced with sixty villages
        holding every document has thousands of records, most of a document's alike.
        """
        return [heads_of(blob) for (blob,) in self._sql.execute(
            "SELECT DISTINCT ours FROM peer_heads WHERE doc_id = ? AND ours = theirs "
            "ORDER BY ours", (doc_id,))]

    def forget(self, peer: str) -> None:
        with self._sql.transaction():
            self._sql.execute("DELETE FROM peer_heads WHERE peer = ?", (peer,))


class Caches:
    """measures: values derived from a document, valid for exactly the heads (and the
    version of what derived them) they were computed at."""

    def __init__(self, sql: Connection) -> None:
        self._sql = sql

    @staticmethod
    def key(heads: Sequence[bytes], version: str = "") -> str:
        return hashlib.sha256(heads_blob(heads) + b"\x00" + version.encode()).hexdigest()

    def get(self, doc_id: str, name: str, heads: Sequence[bytes], version: str = "") -> Any:
        """The plain value stored for exactly these heads and version, else None."""
        row = self._sql.execute(
            "SELECT key, plain FROM measures WHERE doc_id = ? AND program = ?", (doc_id, name)
        ).fetchone()
        if row is None or row[0] != self.key(heads, version):
            return None
        try:
            return msgpack.unpackb(row[1], raw=False, strict_map_key=False)
        except Exception:  # a damaged cache row is only a cache miss
            return None

    def latest(self, doc_id: str, name: str) -> Any:
        """The plain value stored under `name`, whatever heads and version it was for: for
        values that say which heads they are for, to be brought up to date from there."""
        row = self._sql.execute(
            "SELECT plain FROM measures WHERE doc_id = ? AND program = ?", (doc_id, name)
        ).fetchone()
        if row is None:
            return None
        try:
            return msgpack.unpackb(row[0], raw=False, strict_map_key=False)
        except Exception:  # a damaged cache row is only a cache miss
            return None

    def put(self, doc_id: str, name: str, heads: Sequence[bytes], plain: Any,
            version: str = "") -> None:
        data = msgpack.packb(plain, use_bin_type=True)
        with self._sql.transaction():
            self._sql.execute(
                "INSERT INTO measures(doc_id, program, key, plain) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(doc_id, program) DO UPDATE SET key = excluded.key, "
                "plain = excluded.plain",
                (doc_id, name, self.key(heads, version), data),
            )


    def kept(self, doc_id: str, name: str, key: str) -> bytes | None:
        """Bytes kept under `name` for exactly `key` (what they were made from), else None.
        The caller checks them: a row may be damaged like any other."""
        row = self._sql.execute(
            "SELECT key, plain FROM measures WHERE doc_id = ? AND program = ?", (doc_id, name)
        ).fetchone()
        if row is None or row[0] != key or not isinstance(row[1], bytes):
            return None
        return row[1]

    def keep(self, doc_id: str, name: str, key: str, data: bytes) -> None:
        """Keep `data` under `name` for `key`, in place of what was kept before. Not
        durable: a kept value lost in a crash is only made again."""
        with self._sql.transaction(durable=False):
            self._sql.execute(
                "INSERT INTO measures(doc_id, program, key, plain) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(doc_id, program) DO UPDATE SET key = excluded.key, "
                "plain = excluded.plain",
                (doc_id, name, key, data),
            )


class OwnChanges:
    """own_changes: the hashes of the changes this home made (its local writes)."""

    def __init__(self, sql: Connection) -> None:
        self._sql = sql

    def add(self, doc_id: str, hashes: Iterable[bytes]) -> None:
        with self._sql.transaction():
            self._sql.executemany(
                "INSERT OR IGNORE INTO own_changes(doc_id, change) VALUES (?, ?)",
                [(doc_id, h) for h in hashes],
            )

    def among(self, doc_id: str, hashes: Iterable[bytes]) -> set[bytes]:
        """Those of `hashes` this home made."""
        found: set[bytes] = set()
        wanted = list(dict.fromkeys(hashes))
        for start in range(0, len(wanted), _BATCH):
            part = wanted[start : start + _BATCH]
            marks = ",".join("?" * len(part))
            found |= {bytes(r[0]) for r in self._sql.execute(
                f"SELECT change FROM own_changes WHERE doc_id = ? AND change IN ({marks})",
                (doc_id, *part))}
        return found

    def unvouched(self, doc_id: str) -> list[bytes]:
        """This home's changes of `doc_id` that no voucher (nor old record) covers yet."""
        unsigned = [bytes(r[0]) for r in self._sql.execute(
            "SELECT o.change FROM own_changes o "
            "LEFT JOIN change_signatures s ON s.doc_id = o.doc_id AND s.change = o.change "
            "WHERE o.doc_id = ? AND s.change IS NULL", (doc_id,))]
        if not unsigned:
            return []
        covered = {change for change, _ in _coverage(self._sql, doc_id)}
        return [change for change in unsigned if change not in covered]


class Vouchers:
    """vouchers and vouched: devices' signed vouchers, and which changes each covers.

    Coverage is kept per batch (store/schema.py): a sync that brings a voucher with a
    hundred changes writes one row, not a hundred. A lookup reads the document's rows
    and picks the wanted hashes out of them.
    """

    def __init__(self, sql: Connection) -> None:
        self._sql = sql

    def add(self, doc_id: str, digest: bytes, device: str, data: bytes, origin: str,
            changes: Iterable[bytes]) -> None:
        """Keep a voucher (once) and record it as covering `changes` (a change keeps
        the first voucher it was received with)."""
        covered = b"".join(dict.fromkeys(changes))
        with self._sql.transaction():
            self._sql.execute(
                "INSERT OR IGNORE INTO vouchers(doc_id, digest, device, data, origin, at) "
                "VALUES (?, ?, ?, ?, ?, ?)", (doc_id, digest, device, data, origin, now_iso()),
            )
            if covered:
                self._sql.execute(
                    "INSERT INTO vouched(doc_id, voucher, changes) "
                    "SELECT ?, id, ? FROM vouchers WHERE digest = ?", (doc_id, covered, digest))

    def covering(self, doc_id: str, hashes: Iterable[bytes]) -> dict[bytes, bytes]:
        """The voucher (its bytes) covering each of `hashes` that has one.

        The newest rows are read first, and no further once every hash is found: what
        a sync sends is mostly what came in last. (A change kept in two rows, which
        only a recovery or a change received again after it was set aside makes, is
        sent with the newer voucher: each vouches for it.)"""
        wanted = set(hashes)
        by_id: dict[bytes, int] = {}
        for voucher, changes in self._sql.execute(
                "SELECT voucher, changes FROM vouched WHERE doc_id = ? ORDER BY id DESC",
                (doc_id,)):
            if len(by_id) == len(wanted):
                break
            row = bytes(changes)
            for at in range(0, len(row) - HASH_LEN + 1, HASH_LEN):
                change = row[at : at + HASH_LEN]
                if change in wanted and change not in by_id:
                    by_id[change] = int(voucher)
        data = self._data(set(by_id.values()))
        return {change: data[voucher] for change, voucher in by_id.items()}

    def by_device(self, device: str) -> dict[str, set[bytes]]:
        """Per document, the changes held here that a voucher of `device` covers."""
        found: dict[str, set[bytes]] = {}
        docs = [str(r[0]) for r in self._sql.execute(
            "SELECT DISTINCT v.doc_id FROM vouched v JOIN vouchers w ON w.id = v.voucher "
            "WHERE w.device = ?", (device,))]
        for doc in docs:
            first: dict[bytes, int] = {}
            for change, voucher in _coverage(self._sql, doc):
                first.setdefault(change, voucher)
            theirs = {int(r[0]) for r in self._sql.execute(
                "SELECT id FROM vouchers WHERE doc_id = ? AND device = ?", (doc, device))}
            mine = {change for change, voucher in first.items() if voucher in theirs}
            if mine:
                found[doc] = mine
        return found

    def _data(self, ids: set[int]) -> dict[int, bytes]:
        found: dict[int, bytes] = {}
        wanted = sorted(ids)
        for start in range(0, len(wanted), _BATCH):
            part = wanted[start : start + _BATCH]
            marks = ",".join("?" * len(part))
            for voucher, data in self._sql.execute(
                    f"SELECT id, data FROM vouchers WHERE id IN ({marks})", part):
                found[int(voucher)] = bytes(data)
        return found


def _coverage(sql: Connection, doc_id: str) -> Iterator[tuple[bytes, int]]:
    """(change, voucher id) of every vouched row of `doc_id`, in the order they were kept."""
    for voucher, changes in sql.execute(
            "SELECT voucher, changes FROM vouched WHERE doc_id = ? ORDER BY id", (doc_id,)):
        data = bytes(changes)
        for at in range(0, len(data) - HASH_LEN + 1, HASH_LEN):
            yield data[at : at + HASH_LEN], int(voucher)


@dataclass(frozen=True)
class SetAsideRow:
    """A row of set_aside: a change taken out of its document, and why."""

    doc: str
    change: bytes
    device: str
    reason: str
    at: str


class SetAside:
    """set_aside: changes taken out of their document, kept with why."""

    def __init__(self, sql: Connection) -> None:
        self._sql = sql

    def add(self, doc_id: str, rows: Iterable[tuple[bytes, bytes, str, str]]) -> None:
        """(change hash, change bytes, device, reason) rows."""
        at = now_iso()
        with self._sql.transaction():
            self._sql.executemany(
                "INSERT OR IGNORE INTO set_aside(doc_id, change, data, device, reason, at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(doc_id, h, data, device, reason, at) for h, data, device, reason in rows],
            )

    def list(self) -> list[SetAsideRow]:
        return [SetAsideRow(str(d), bytes(c), str(v), str(r), str(a)) for d, c, v, r, a in
                self._sql.execute("SELECT doc_id, change, device, reason, at FROM set_aside "
                                  "ORDER BY at, doc_id")]


class SignatureRows:
    """change_signatures and signed_marks: a record (device, signature) per change."""

    def __init__(self, sql: Connection) -> None:
        self._sql = sql

    def get(self, doc_id: str, hashes: Iterable[bytes]) -> dict[bytes, tuple[str, bytes]]:
        """(device, signature) by change hash, for those of `hashes` that have a record."""
        found: dict[bytes, tuple[str, bytes]] = {}
        wanted = list(dict.fromkeys(hashes))
        for start in range(0, len(wanted), _BATCH):
            part = wanted[start : start + _BATCH]
            marks = ",".join("?" * len(part))
            for change, device, sig in self._sql.execute(
                f"SELECT change, device, sig FROM change_signatures "
                f"WHERE doc_id = ? AND change IN ({marks})", (doc_id, *part)
            ):
                found[bytes(change)] = (str(device), bytes(sig))
        return found

    def add(self, doc_id: str, records: Iterable[tuple[bytes, str, bytes]],
            origin: str) -> list[bytes]:
        """Store (change, device, signature) records not held yet; the changes that were new."""
        at = now_iso()
        new: list[bytes] = []
        with self._sql.transaction():
            for change, device, sig in records:
                cursor = self._sql.execute(
                    "INSERT OR IGNORE INTO change_signatures(doc_id, change, device, sig, origin, "
                    "at) VALUES (?, ?, ?, ?, ?, ?)", (doc_id, change, device, sig, origin, at),
                )
                if cursor.rowcount:
                    new.append(change)
        return new

    def remove(self, doc_id: str, changes: Iterable[bytes]) -> None:
        with self._sql.transaction():
            self._sql.executemany(
                "DELETE FROM change_signatures WHERE doc_id = ? AND change = ?",
                [(doc_id, h) for h in changes],
            )

    def by_device(self, device: str) -> dict[str, set[bytes]]:
        """Per document, the changes whose record names `device`."""
        found: dict[str, set[bytes]] = {}
        for doc, change in self._sql.execute(
                "SELECT doc_id, change FROM change_signatures WHERE device = ?", (device,)):
            found.setdefault(str(doc), set()).add(bytes(change))
        return found

    def mark(self, doc_id: str) -> list[bytes] | None:
        """The heads up to which this home's own changes of `doc_id` are signed."""
        row = self._sql.execute(
            "SELECT heads FROM signed_marks WHERE doc_id = ?", (doc_id,)).fetchone()
        return None if row is None else heads_of(row[0])

    def set_mark(self, doc_id: str, heads: Sequence[bytes]) -> None:
        with self._sql.transaction():
            self._sql.execute(
                "INSERT INTO signed_marks(doc_id, heads) VALUES (?, ?) "
                "ON CONFLICT(doc_id) DO UPDATE SET heads = excluded.heads",
                (doc_id, heads_blob(heads)),
            )


@dataclass(frozen=True)
class RefusalRow:
    """A row of refused_changes: a received change not applied, and why."""

    doc: str
    change: bytes
    device: str
    office: str
    reason: str
    origin: str
    first_at: str
    last_at: str
    times: int


class RefusalLog:
    """refused_changes: received changes not applied, each with its reason."""

    def __init__(self, sql: Connection) -> None:
        self._sql = sql

    def log(self, items: Iterable[tuple[str, bytes, str, str, str]], origin: str) -> None:
        """(doc, change, device, office, reason) items; seen again, counted."""
        rows = list(items)
        if not rows:
            return
        at = now_iso()
        with self._sql.transaction():
            for doc, change, device, office, reason in rows:
                self._sql.execute(
                    "INSERT INTO refused_changes(doc_id, change, device, office, reason, origin, "
                    "first_at, last_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT(doc_id, change, reason) DO UPDATE SET times = times + 1, "
                    "last_at = excluded.last_at, origin = excluded.origin",
                    (doc, change, device, office, reason, origin, at, at),
                )

    def forget(self, doc_id: str, changes: Iterable[bytes]) -> None:
        """Drop the entries of changes that were applied after all (the roster moved)."""
        if self._sql.execute("SELECT 1 FROM refused_changes WHERE doc_id = ? LIMIT 1",
                             (doc_id,)).fetchone() is None:
            return  # the usual case: nothing of the document was ever refused
        with self._sql.transaction():
            self._sql.executemany("DELETE FROM refused_changes WHERE doc_id = ? AND change = ?",
                                  [(doc_id, c) for c in changes])

    def list(self, limit: int | None = None) -> list[RefusalRow]:
        """Most recently seen first."""
        sql = ("SELECT doc_id, change, device, office, reason, origin, first_at, last_at, times "
               "FROM refused_changes ORDER BY last_at DESC, id DESC")
        args: tuple[int, ...] = ()
        if limit:
            sql += " LIMIT ?"
            args = (int(limit),)
        return [RefusalRow(str(r[0]), bytes(r[1]), str(r[2]), str(r[3]), str(r[4]), str(r[5]),
                           str(r[6]), str(r[7]), int(r[8]))
                for r in self._sql.execute(sql, args)]


class InvitationRows:
    """invitations: the one-time enrollment secrets this home issued."""

    def __init__(self, sql: Connection) -> None:
        self._sql = sql

    def add(self, secret: bytes, office: str, created: str) -> None:
        with self._sql.transaction():
            self._sql.execute("INSERT INTO invitations(secret, office, created) VALUES (?, ?, ?)",
                              (secret, office, created))

    def secrets_for(self, office: str) -> list[tuple[bytes, str | None]]:
        """(secret, device that used it or None) of every invitation issued for `office`."""
        return [(bytes(s), None if u is None else str(u)) for s, u in self._sql.execute(
            "SELECT secret, used_by FROM invitations WHERE office = ?", (office,))]

    def use(self, secret: bytes, device: str) -> None:
        with self._sql.transaction():
            self._sql.execute("UPDATE invitations SET used_at = ?, used_by = ? WHERE secret = ?",
                              (now_iso(), device, secret))

    def all(self) -> list[tuple[str, str, str | None, str | None]]:
        """(office, created, used_at, used_by), oldest first."""
        return [(str(o), str(c), None if a is None else str(a), None if b is None else str(b))
                for o, c, a, b in self._sql.execute(
                    "SELECT office, created, used_at, used_by FROM invitations ORDER BY created")]
