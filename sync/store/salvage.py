"""What can still be read from a database set aside as damaged (`vledger recover`).

SQLite keeps each table in its own pages, so a file whose header or one table is
damaged often still gives up the rest: every table is read on its own, row by row
where a whole read fails, and whatever reads is returned with a line per part that
did not. Nothing here writes: the caller (services/homes.recover) takes the
documents' changes back through the normal receive path and the small tables as
they are.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vledger.sync.store.repositories import HASH_LEN

# Settings that say who this home is; the rest (caches, peer records) are rebuilt.
IDENTITY_SETTINGS = ("office", "kind", "township", "year", "roster_year", "user", "device",
                     "township_key", "enroll_request", "actor")


@dataclass
class Salvaged:
    settings: dict[str, str] = field(default_factory=dict)
    snapshots: dict[str, bytes] = field(default_factory=dict)  # doc -> save() bytes
    chunks: dict[str, list[bytes]] = field(default_factory=dict)  # doc -> chunk rows' data
    own_changes: list[tuple[str, bytes]] = field(default_factory=list)
    signatures: list[tuple[str, bytes, str, bytes]] = field(default_factory=list)
    vouchers: list[tuple[str, bytes, str, bytes, list[bytes]]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.settings or self.snapshots or self.chunks)


SQLITE_MAGIC = b"SQLite format 3\x00"


def salvage(path: Path) -> Salvaged:
    """Everything readable in the database file at `path` (read, never written)."""
    found = Salvaged()
    with tempfile.TemporaryDirectory(prefix="vledger-recover-") as folder:
        readable = _with_header(Path(path), Path(folder) / "copy.db", found)
        try:
            conn = sqlite3.connect(f"file:{readable}?mode=ro&immutable=1", uri=True)
        except sqlite3.Error as problem:
            found.problems.append(f"{path}: cannot be opened at all ({problem})")
            return found
        try:
            _read_all(found, conn)
        finally:
            conn.close()
    return found


def _with_header(path: Path, copy: Path, found: Salvaged) -> Path:
    """`path`, or a copy with SQLite's 16-byte magic written back when that is what was
    lost: the pages after it are often intact."""
    with path.open("rb") as source:
        head = source.read(len(SQLITE_MAGIC))
    if head == SQLITE_MAGIC:
        return path
    shutil.copyfile(path, copy)
    with copy.open("r+b") as fixed:
        fixed.write(SQLITE_MAGIC)
    found.problems.append(f"{path}: its first bytes were damaged and are written back")
    return copy


def _read_all(found: Salvaged, conn: sqlite3.Connection) -> None:
    _read(found, conn, "settings", "SELECT key, value FROM settings", _setting)
    _read(found, conn, "documents",
          "SELECT doc_id, snapshot FROM documents WHERE snapshot IS NOT NULL", _snapshot)
    _read(found, conn, "chunks", "SELECT doc_id, data FROM chunks ORDER BY id", _chunk)
    _read(found, conn, "own_changes", "SELECT doc_id, change FROM own_changes",
          lambda f, r: f.own_changes.append((str(r[0]), bytes(r[1]))))
    _read(found, conn, "change_signatures",
          "SELECT doc_id, change, device, sig FROM change_signatures",
          lambda f, r: f.signatures.append((str(r[0]), bytes(r[1]), str(r[2]),
                                            bytes(r[3]))))
    # A home of schema 3 kept one change per vouched row (`change`), later ones a batch
    # (`changes`, hashes side by side): either reads as hashes to split.
    try:
        columns = {str(r[1]) for r in conn.execute("PRAGMA table_info(vouched)")}
    except sqlite3.Error:
        columns = set()
    column = "v.change" if "change" in columns else "v.changes"
    _read(found, conn, "vouchers",
          f"SELECT w.doc_id, w.digest, w.device, w.data, group_concat(hex({column})) "
          "FROM vouchers w LEFT JOIN vouched v ON v.voucher = w.id GROUP BY w.id",
          _voucher)


def _read(found: Salvaged, conn: sqlite3.Connection, table: str, sql: str,
          take: Any) -> None:
    try:
        rows = conn.execute(sql).fetchall()
    except sqlite3.Error as problem:
        found.problems.append(f"{table}: unreadable ({problem})")
        return
    for row in rows:
        try:
            take(found, row)
        except (TypeError, ValueError) as problem:
            found.problems.append(f"{table}: a row is unreadable ({problem})")


def _setting(found: Salvaged, row: tuple[Any, ...]) -> None:
    if row[0] in IDENTITY_SETTINGS:
        found.settings[str(row[0])] = str(row[1])


def _snapshot(found: Salvaged, row: tuple[Any, ...]) -> None:
    found.snapshots[str(row[0])] = bytes(row[1])


def _chunk(found: Salvaged, row: tuple[Any, ...]) -> None:
    found.chunks.setdefault(str(row[0]), []).append(bytes(row[1]))


def _voucher(found: Salvaged, row: tuple[Any, ...]) -> None:
    covered = b"".join(bytes.fromhex(h) for h in str(row[4] or "").split(",") if h)
    if len(covered) % HASH_LEN:
        raise ValueError("its changes are not whole hashes")
    changes = [covered[at : at + HASH_LEN] for at in range(0, len(covered), HASH_LEN)]
    found.vouchers.append((str(row[0]), bytes(row[1]), str(row[2]), bytes(row[3]), changes))
