"""Authorship: every change signed by its device, and checked before it is applied (issue 6, 4).

Signing. A change is signed by the device whose home made it: the message is

    b"vledger-change-v1\\0" + document id (UTF-8) + b"\\0" + change hash (32 bytes)

(the hash already commits to the change's bytes and, through its dependencies, to
its whole history; the document id keeps a signature from being moved to another
document). A *signature record* is 104 bytes: change hash (32) + device key id
(8, raw) + Ed25519 signature (64); frames and bundles carry lists of them next to
the changes (`sigs`), in any order.

Where signatures live: a table of this module in the home's SQLite database,
`change_signatures(doc_id, change, device, sig, origin, at)`, not a map in the
document. A map in the document cannot hold its own change's signature (the hash
depends on the content), so each signature would need a second change, which
would need a signature in turn; and every signature would then be stored in every
replica's automerge history forever. A table keeps them beside the changes, and a
relay sends each change with the record it received: the original signature, so
store-and-forward stays checkable end to end. The table is written in the same
SQLite database through the store's public `connection()` and `transaction()`.

Local changes are signed lazily, by `sign_local_changes`, before anything leaves
the home (the sync and bundle code call it first): the changes of documents whose
heads moved since the last pass whose automerge actor is this store's (the actor
is unique per database, sync/store.py). That also signs what was written before
this home had a key.

Checking (`screen_batch`, `receive_signed`): a received change that this replica
does not hold yet is accepted only if

- it is the document's genesis (identical on every replica, computed from the
  document id: nobody needs to sign it), or
- a signature record for it names a device on the verified roster, the signature
  verifies with that device's public key, the device's office may write this
  document (village: its own document only; township: the township document
  and, for corrections, every village document), and, for a revoked device,
  the change is one the township accepted before revoking it
  (sync/roster.py defines "after").

Refused changes, and every change of the batch that builds on one, are left out;
the rest of the batch is applied (all-or-nothing, by `Store.apply_batch`), so a
relay that adds one forged change cannot stop the legitimate ones. Every refusal
is logged in `refused_changes` with its reason (`refusal_log`), counted when it is
seen again, for `vledger status`.

The roster a batch is checked against is the home's township document's roster,
verified against the pinned township key; for a batch *of the township document*
it is that roster merged with the entries the batch brings (each still verified
against the pinned key, an entry whose seq goes back ignored), so a new home can
check the township document it is receiving for the first time. After screening,
a township-document batch whose accepted changes would leave a roster entry that
fails its signature, or goes back in seq, is refused whole.
"""

from __future__ import annotations

import sqlite3
import weakref
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache

from automerge import core

from vledger.sync.binding.automerge_doc import (
    CHUNK_COMPRESSED,
    ChunkInfo,
    apply_changes,
    parse_changes,
    read_uleb,
    split_heads,
)
from vledger.sync.documents.journal import now_iso
from vledger.sync.documents.replica import (
    TOWNSHIP,
    VILLAGE,
    BatchResult,
    new_document,
    parse_doc_id,
)
from vledger.sync.store.database import Store
from vledger.sync.trust.keys import KEY_ID_LEN, SIGNATURE_LEN, SigningKey, verify
from vledger.sync.trust.roster import (
    Device,
    Roster,
    RosterError,
    current_roster,
    newest,
    pinned_township_key,
    signed_blobs,
    township_doc_id,
    verify_entries,
)

CONTEXT = b"vledger-change-v1\x00"
HASH_LEN = 32
RECORD_LEN = HASH_LEN + KEY_ID_LEN + SIGNATURE_LEN

_SCHEMA = """
CREATE TABLE IF NOT EXISTS change_signatures(
    doc_id TEXT NOT NULL,
    change BLOB NOT NULL,
    device TEXT NOT NULL,
    sig BLOB NOT NULL,
    origin TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY(doc_id, change)
);
CREATE INDEX IF NOT EXISTS change_signatures_by_device ON change_signatures(device, doc_id);
CREATE TABLE IF NOT EXISTS signed_marks(doc_id TEXT PRIMARY KEY, heads BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS refused_changes(
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id TEXT NOT NULL,
    change BLOB NOT NULL,
    device TEXT NOT NULL,
    office TEXT NOT NULL,
    reason TEXT NOT NULL,
    origin TEXT NOT NULL,
    first_at TEXT NOT NULL,
    last_at TEXT NOT NULL,
    times INTEGER NOT NULL DEFAULT 1,
    UNIQUE(doc_id, change, reason)
);
"""


@dataclass(frozen=True)
class Signature:
    """One signature record: which change, which device, and the signature."""

    change: bytes
    device: str  # key id, 16 hex characters
    sig: bytes

    def encode(self) -> bytes:
        return self.change + bytes.fromhex(self.device) + self.sig

    @classmethod
    def decode(cls, data: object) -> Signature:
        if not isinstance(data, bytes | bytearray) or len(data) != RECORD_LEN:
            raise ValueError(f"a signature record is {RECORD_LEN} bytes")
        data = bytes(data)
        return cls(
            data[:HASH_LEN], data[HASH_LEN : HASH_LEN + KEY_ID_LEN].hex(),
            data[HASH_LEN + KEY_ID_LEN :],
        )


def change_message(doc_id: str, change: bytes) -> bytes:
    return CONTEXT + doc_id.encode("utf-8") + b"\x00" + change


def sign_change(key: SigningKey, doc_id: str, change: bytes) -> Signature:
    return Signature(change, key.id, key.sign(change_message(doc_id, change)))


@dataclass(frozen=True)
class RefusedChange:
    """A received change that was not applied, and why."""

    doc: str
    change: bytes
    device: str
    office: str
    reason: str

    def __str__(self) -> str:
        who = f"device {self.device} ({self.office})" if self.device else "no device"
        return f"{self.doc}: change {self.change.hex()[:12]} by {who}: {self.reason}"


@dataclass
class Screened:
    """The verdict on one batch: what may be applied and what is refused."""

    accepted: list[bytes] = field(default_factory=list)
    signatures: list[Signature] = field(default_factory=list)
    refused: list[RefusedChange] = field(default_factory=list)
    held: int = 0  # changes this replica already holds (not checked again)


@dataclass
class Received:
    """What `receive_signed` did: the store's result and the refusals."""

    result: BatchResult
    refused: list[RefusedChange]

    @property
    def applied(self) -> int:
        return len(self.result.applied)


# -- the store's connection (see the module docstring) -------------------------------------

_READY: weakref.WeakKeyDictionary[Store, set[str]] = weakref.WeakKeyDictionary()


def store_connection(store: Store, schema: str = _SCHEMA) -> sqlite3.Connection:
    """The store's SQLite connection, with `schema` (CREATE ... IF NOT EXISTS) made once."""
    connection: sqlite3.Connection = store.connection()
    made = _READY.setdefault(store, set())
    if schema not in made:
        # Statement by statement: executescript would COMMIT a transaction the caller holds.
        for statement in schema.split(";"):
            if statement.strip():
                connection.execute(statement)
        made.add(schema)
    return connection


@contextmanager
def store_transaction(store: Store, schema: str = _SCHEMA) -> Iterator[sqlite3.Connection]:
    """One durable SQLite transaction (Store.transaction: nested ones join the outermost)."""
    store_connection(store, schema)
    with store.transaction() as connection:
        yield connection


_connection = store_connection
_transaction = store_transaction


# -- genesis and permissions ---------------------------------------------------------------


@lru_cache(maxsize=512)
def genesis_hash(doc_id: str) -> bytes:
    """The hash of the document's first change, the same on every replica."""
    township, office, _ = parse_doc_id(doc_id)
    kind = TOWNSHIP if office == township else VILLAGE
    return new_document(doc_id, kind).get_changes([])[0].hash


def write_refusal(device: Device, doc_id: str, township: str) -> str | None:
    """Why `device` may not write `doc_id` (None: it may)."""
    try:
        owner_township, owner, _ = parse_doc_id(doc_id)
    except ValueError:
        return f"{doc_id} is not a document id"
    if owner_township != township:
        return f"{doc_id} is not a document of township {township}"
    if device.kind == "township":
        return None  # the township document, and village documents for corrections
    if owner == township:
        return (f"village office {device.office} may not write the township's document "
                "(roster, programs, targets)")
    if owner != device.office:
        return f"village office {device.office} may not write {owner}'s ledgers"
    return None


# -- signing local changes -----------------------------------------------------------------


def sign_local_changes(
    store: Store, key: SigningKey, doc_ids: Iterable[str] | None = None
) -> int:
    """Sign this home's changes that have no signature yet; the number signed.

    Only documents whose heads moved since the last pass are opened; a document
    opened here only to sign is closed again (the township must not hold every
    village document open).
    """
    connection = _connection(store)
    actor = store.actor
    signed = 0
    for doc in list(doc_ids) if doc_ids is not None else store.document_ids():
        heads = store.heads(doc)
        row = connection.execute(
            "SELECT heads FROM signed_marks WHERE doc_id = ?", (doc,)
        ).fetchone()
        mark = split_heads(bytes(row[0])) if row else []
        if row is not None and sorted(mark) == sorted(heads):
            continue
        was_open = store.is_open(doc)
        try:
            replica = store.replica(doc)
            mine = [c.hash for c in replica.doc.get_changes(mark) if c.actor_id == actor]
            have = _signed_hashes(connection, doc, mine)
            records = [sign_change(key, doc, h) for h in mine if h not in have]
            heads = replica.heads()
        finally:
            if not was_open:
                store.close_document(doc)
        with _transaction(store) as conn:
            _insert_signatures(conn, doc, records, "local")
            conn.execute(
                "INSERT INTO signed_marks(doc_id, heads) VALUES (?, ?) "
                "ON CONFLICT(doc_id) DO UPDATE SET heads = excluded.heads",
                (doc, b"".join(sorted(heads))),
            )
        signed += len(records)
    return signed


def signatures_for(store: Store, doc_id: str, changes: Sequence[bytes]) -> list[bytes]:
    """The encoded signature records of `changes` (what a frame or bundle carries with them).

    Changes without a record (the genesis, or a local change not signed yet: call
    `sign_local_changes` first) are simply not covered.
    """
    hashes = [info.hash for info in parse_changes(changes)]
    return [s.encode() for s in stored_signatures(store, doc_id, hashes).values()]


def stored_signatures(
    store: Store, doc_id: str, hashes: Iterable[bytes]
) -> dict[bytes, Signature]:
    connection = _connection(store)
    found: dict[bytes, Signature] = {}
    wanted = list(dict.fromkeys(hashes))
    for start in range(0, len(wanted), 500):
        part = wanted[start : start + 500]
        marks = ",".join("?" * len(part))
        for change, device, sig in connection.execute(
            f"SELECT change, device, sig FROM change_signatures "
            f"WHERE doc_id = ? AND change IN ({marks})", (doc_id, *part)
        ):
            found[bytes(change)] = Signature(bytes(change), device, bytes(sig))
    return found


def change_actor(info: ChunkInfo) -> bytes:
    """The automerge actor of a parsed change (it follows the dependencies in the body)."""
    length, body_at = read_uleb(info.data, 9)
    body = info.data[body_at : body_at + length]
    if info.kind == CHUNK_COMPRESSED:
        body = zlib.decompress(body, -15)
    count, at = read_uleb(body, 0)
    size, at = read_uleb(body, at + count * HASH_LEN)
    return body[at : at + size]


def outgoing_signatures(
    store: Store, key: SigningKey | None, doc_id: str, changes: Sequence[bytes]
) -> list[bytes]:
    """The signature records to send with `changes`: stored ones, and for this home's own
    changes not signed yet, made now with `key` (signing happens before anything leaves).

    Another office's change without a record here (received before signatures existed)
    is never signed by this home: it travels unsigned and the receiver refuses it.
    """
    return signatures_of(store, key, doc_id, parse_changes(changes))


def signatures_of(
    store: Store, key: SigningKey | None, doc_id: str, infos: Sequence[ChunkInfo]
) -> list[bytes]:
    found = stored_signatures(store, doc_id, (i.hash for i in infos))
    genesis = genesis_hash(doc_id)
    unsigned = [i for i in infos if i.hash not in found and i.hash != genesis]
    if unsigned and key is not None:
        actor = store.actor
        made = [sign_change(key, doc_id, i.hash) for i in unsigned if change_actor(i) == actor]
        if made:
            with _transaction(store) as conn:
                _insert_signatures(conn, doc_id, made, "local")
            found.update({r.change: r for r in made})
    return [r.encode() for r in found.values()]


def whole_signatures(store: Store, key: SigningKey | None, doc_id: str) -> list[bytes]:
    """The records of every change of `doc_id` (what a whole document travels with)."""
    document = store.document(doc_id)
    changes = document.get_changes([])
    found = stored_signatures(store, doc_id, (c.hash for c in changes))
    genesis = genesis_hash(doc_id)
    actor = store.actor
    made = [sign_change(key, doc_id, c.hash) for c in changes
            if c.hash not in found and c.hash != genesis and key is not None
            and c.actor_id == actor]
    if made:
        with _transaction(store) as conn:
            _insert_signatures(conn, doc_id, made, "local")
        found.update({r.change: r for r in made})
    return [r.encode() for r in found.values()]


def keep_signatures(store: Store, doc_id: str, records: Iterable[Signature], origin: str) -> None:
    """Store received records of accepted changes (inside the caller's transaction)."""
    at = now_iso()
    with _transaction(store) as conn:
        conn.executemany(
            "INSERT OR IGNORE INTO change_signatures(doc_id, change, device, sig, origin, at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(doc_id, r.change, r.device, r.sig, origin, at) for r in records],
        )


def _signed_hashes(connection: sqlite3.Connection, doc: str, hashes: list[bytes]) -> set[bytes]:
    found: set[bytes] = set()
    for start in range(0, len(hashes), 500):
        part = hashes[start : start + 500]
        marks = ",".join("?" * len(part))
        found |= {bytes(r[0]) for r in connection.execute(
            f"SELECT change FROM change_signatures WHERE doc_id = ? "
            f"AND change IN ({marks})", (doc, *part))}
    return found


def _insert_signatures(
    conn: sqlite3.Connection, doc: str, records: Iterable[Signature], origin: str
) -> list[bytes]:
    """Insert records not held yet; the change hashes that were new."""
    at = now_iso()
    new: list[bytes] = []
    for record in records:
        cursor = conn.execute(
            "INSERT OR IGNORE INTO change_signatures(doc_id, change, device, sig, origin, at) "
            "VALUES (?, ?, ?, ?, ?, ?)", (doc, record.change, record.device, record.sig, origin, at)
        )
        if cursor.rowcount:
            new.append(record.change)
    return new


# -- checking received changes -------------------------------------------------------------


def decode_signatures(records: Iterable[object]) -> dict[bytes, Signature]:
    """Signature records by change hash; malformed records are dropped (their changes
    then count as unsigned and are refused with that reason)."""
    found: dict[bytes, Signature] = {}
    for data in records:
        try:
            record = Signature.decode(data)
        except ValueError:
            continue
        found.setdefault(record.change, record)
    return found


def screen_batch(
    store: Store,
    doc_id: str,
    changes: Sequence[bytes],
    sigs: Iterable[object],
    *,
    roster: Roster | None = None,
) -> Screened:
    """Which changes of a received batch may be applied (nothing is written).

    BadChange for bytes that are not changes; RosterError when this home has no
    pinned township key (it cannot check anything, so it accepts nothing).
    """
    infos = list({i.hash: i for i in parse_changes(changes)}.values())
    township = store.setting("township") or ""
    pub = pinned_township_key(store)
    if pub is None:
        raise RosterError(f"{store.home} has no pinned township key: it cannot check signatures")
    held_doc = store.document(doc_id) if store.has_document(doc_id) else None
    held = {c.hash for c in held_doc.get_changes([])} if held_doc is not None else set()
    fresh = [i for i in infos if i.hash not in held]
    verdict = Screened(held=len(infos) - len(fresh))
    if not fresh:
        return verdict
    is_township_doc = doc_id == township_doc_id(store)
    before = current_roster(store) if roster is None else roster
    roster = before
    if is_township_doc:
        arriving = _roster_after(held_doc, fresh, township, pub)
        roster, _ = newest(before, arriving)
    records = decode_signatures(sigs)
    refused: dict[bytes, RefusedChange] = {}
    revoked: list[tuple[ChunkInfo, Device]] = []
    for info in fresh:
        problem, device = _check_one(doc_id, township, info, records, roster)
        if problem is not None:
            refused[info.hash] = problem
        elif device is not None and device.revoked is not None:
            revoked.append((info, device))
    if revoked:
        _check_revoked(doc_id, held_doc, fresh, revoked, refused)
    _refuse_dependents(doc_id, fresh, records, roster, refused)
    accepted = [i for i in fresh if i.hash not in refused]
    if is_township_doc and accepted:
        problems = _roster_problems(before, _roster_after(held_doc, accepted, township, pub))
        if problems:
            for info in accepted:
                refused[info.hash] = _refusal(doc_id, info, records, roster,
                                              "it would leave the roster " + "; ".join(problems))
            accepted = []
    verdict.accepted = [i.data for i in accepted]
    verdict.signatures = [records[i.hash] for i in accepted if i.hash in records]
    verdict.refused = [refused[i.hash] for i in fresh if i.hash in refused]
    return verdict


def _check_one(
    doc_id: str, township: str, info: ChunkInfo, records: Mapping[bytes, Signature],
    roster: Roster,
) -> tuple[RefusedChange | None, Device | None]:
    if info.hash == genesis_hash(doc_id):
        return None, None
    record = records.get(info.hash)
    if record is None:
        return RefusedChange(doc_id, info.hash, "", "", "it carries no signature"), None
    device = roster.device(record.device)
    if device is None:
        return RefusedChange(doc_id, info.hash, record.device, "",
                             f"device {record.device} is not on the township's roster"), None
    if not verify(device.pub, record.sig, change_message(doc_id, info.hash)):
        return RefusedChange(doc_id, info.hash, device.id, device.office,
                             "its signature does not match the change"), device
    why = write_refusal(device, doc_id, township)
    if why is not None:
        return RefusedChange(doc_id, info.hash, device.id, device.office, why), device
    return None, device


def _check_revoked(
    doc_id: str, held_doc: core.Document | None, fresh: Sequence[ChunkInfo],
    revoked: Sequence[tuple[ChunkInfo, Device]], refused: dict[bytes, RefusedChange],
) -> None:
    """Refuse changes of revoked devices that are not in their accepted frontier's past."""
    deps: dict[bytes, tuple[bytes, ...]] = {i.hash: i.deps for i in fresh}
    if held_doc is not None:
        deps.update({c.hash: tuple(c.deps) for c in held_doc.get_changes([])})
    for info, device in revoked:
        assert device.revoked is not None
        frontier = device.revoked.accepted.get(doc_id, ())
        if info.hash not in ancestry(deps, frontier):
            refused[info.hash] = RefusedChange(
                doc_id, info.hash, device.id, device.office,
                f"device {device.id} was revoked ({device.revoked.at}) before the township "
                "held this change",
            )


def ancestry(deps: Mapping[bytes, Sequence[bytes]], starts: Iterable[bytes]) -> set[bytes]:
    """`starts` and every change they build on (as far as `deps` knows them)."""
    seen: set[bytes] = set()
    todo = [h for h in starts if h in deps]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        todo.extend(d for d in deps.get(current, ()) if d not in seen)
    return seen


def _refuse_dependents(
    doc_id: str, fresh: Sequence[ChunkInfo], records: Mapping[bytes, Signature],
    roster: Roster, refused: dict[bytes, RefusedChange],
) -> None:
    changed = True
    while changed:
        changed = False
        for info in fresh:
            if info.hash in refused:
                continue
            bad = next((d for d in info.deps if d in refused), None)
            if bad is not None:
                refused[info.hash] = _refusal(doc_id, info, records, roster,
                                              f"it builds on refused change {bad.hex()[:12]}")
                changed = True


def _refusal(
    doc_id: str, info: ChunkInfo, records: Mapping[bytes, Signature], roster: Roster, why: str
) -> RefusedChange:
    record = records.get(info.hash)
    device = roster.device(record.device) if record else None
    return RefusedChange(doc_id, info.hash, record.device if record else "",
                         device.office if device else "", why)


def _roster_after(
    held_doc: core.Document | None, changes: Sequence[ChunkInfo], township: str, pub: bytes
) -> Roster:
    candidate = held_doc.fork() if held_doc is not None else core.Document()
    try:
        apply_changes(candidate, [i.data for i in changes])
    except Exception:  # the binding raises bare Exceptions; Store.apply_batch reports it
        return Roster(township)
    return verify_entries(signed_blobs(candidate), township, pub)


def _roster_problems(before: Roster, after: Roster) -> list[str]:
    _, went_back = newest(before, after)
    new = [p for p in after.problems if p not in before.problems]
    return [*new, *(p for p in went_back if p not in new)]


def receive_signed(
    store: Store,
    doc_id: str,
    changes: Sequence[bytes],
    sigs: Iterable[object],
    origin: str = "peer",
) -> Received:
    """Check a received batch, log what is refused, store the rest with its signatures.

    Signatures are stored first, then the changes (`Store.apply_batch`, all or
    nothing), so every stored change has its record to relay; if applying fails the
    records just added are removed again. Raises what `Store.apply_batch` raises
    (MissingDependencies, BadChange) with nothing stored but the refusal log.
    """
    screened = screen_batch(store, doc_id, changes, sigs)
    log_refusals(store, screened.refused, origin)
    if not screened.accepted:
        return Received(BatchResult(), screened.refused)
    with _transaction(store) as conn:
        added = _insert_signatures(conn, doc_id, screened.signatures, origin)
    try:
        result = store.apply_batch(doc_id, screened.accepted, origin)
    except BaseException:
        with _transaction(store) as conn:
            conn.executemany("DELETE FROM change_signatures WHERE doc_id = ? AND change = ?",
                             [(doc_id, h) for h in added])
        raise
    return Received(result, screened.refused)


# -- the refusal log -----------------------------------------------------------------------


@dataclass(frozen=True)
class LoggedRefusal:
    doc: str
    change: str  # hex
    device: str
    office: str
    reason: str
    origin: str
    first_at: str
    last_at: str
    times: int

    def to_json_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def log_refusals(store: Store, refused: Iterable[RefusedChange], origin: str) -> None:
    refused = list(refused)
    if not refused:
        return
    at = now_iso()
    with _transaction(store) as conn:
        for item in refused:
            conn.execute(
                "INSERT INTO refused_changes(doc_id, change, device, office, reason, origin, "
                "first_at, last_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(doc_id, change, reason) DO UPDATE SET times = times + 1, "
                "last_at = excluded.last_at, origin = excluded.origin",
                (item.doc, item.change, item.device, item.office, item.reason, origin, at, at),
            )


def refusal_log(store: Store, limit: int | None = None) -> list[LoggedRefusal]:
    """Refused changes, most recently seen first (for `vledger status`)."""
    sql = ("SELECT doc_id, change, device, office, reason, origin, first_at, last_at, times "
           "FROM refused_changes ORDER BY last_at DESC, id DESC")
    rows = _connection(store).execute(sql + (f" LIMIT {int(limit)}" if limit else "")).fetchall()
    return [LoggedRefusal(r[0], bytes(r[1]).hex(), *r[2:]) for r in rows]


# -- revocation support --------------------------------------------------------------------


def accepted_frontier(store: Store, device_id: str) -> dict[str, list[bytes]]:
    """Per document, the frontier of `device_id`'s changes this home holds (sync/roster.py).

    The frontier is its changes that none of its other changes build on: every
    change of the device this home holds is one of them or an ancestor of one.
    """
    rows = _connection(store).execute(
        "SELECT doc_id, change FROM change_signatures WHERE device = ?", (device_id,)
    ).fetchall()
    by_doc: dict[str, set[bytes]] = {}
    for doc, change in rows:
        by_doc.setdefault(doc, set()).add(bytes(change))
    found: dict[str, list[bytes]] = {}
    for doc, mine in sorted(by_doc.items()):
        if not store.has_document(doc):
            continue
        was_open = store.is_open(doc)
        try:
            deps = {c.hash: tuple(c.deps) for c in store.document(doc).get_changes([])}
        finally:
            if not was_open:
                store.close_document(doc)
        held = {h for h in mine if h in deps}
        below = ancestry(deps, (d for h in held for d in deps[h])) & held
        frontier = sorted(held - below)
        if frontier:
            found[doc] = frontier
    return found
