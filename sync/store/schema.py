"""Every table of a home's database, made and migrated here and nowhere else.

The version is kept in `meta.schema`. A new home is made at the newest version; an
older one is brought up step by step inside one transaction when it is opened, so
a home never holds half a migration. Each step only adds (tables, indexes,
columns): an older vledger that meets a newer database refuses it rather than
guess (`SchemaTooNew`).

    meta(key, value)                 schema version, the store's id
    settings(key, value)             office, kind, township, year, user, device, ...
    documents(doc_id, snapshot, heads, snapshot_at)
        snapshot: automerge save() bytes, NULL until the first compaction
        heads:    heads after the newest chunk, 32-byte hashes sorted and concatenated
    chunks(id, doc_id, origin, changes, data, at)
        one row per local transaction or received batch: its changes' bytes
    lost_chunks(id, doc_id, origin, data, problem, found_at)
        damaged rows and snapshots set aside by compaction: never silently dropped
    peer_heads(peer, doc_id, ours, theirs, at)
        the heads both sides had after the last sync with a peer
    measures(doc_id, program, key, plain)
        derived values (a village's measures, conflicts, unsynced edits), valid while
        `key` (the document's heads and what they were computed with) matches
    change_signatures(doc_id, change, device, sig, origin, at)   (version 2)
        the signature record of every change held, to check and to relay
    signed_marks(doc_id, heads)                                   (version 2)
        the heads up to which this home's own changes are signed
    refused_changes(...)                                          (version 2)
        received changes that were not applied, with why, for `vledger status`
    invitations(secret, office, created, used_at, used_by)        (version 2)
        one-time enrollment secrets this (township) home issued
    own_changes(doc_id, change)                                   (version 3)
        the changes this home made: what it signs and vouches for (each process
        writes with an automerge actor of its own, so the actor cannot tell)
    documents.generation                                          (version 3)
        counts the document's compactions, so a process holding it open knows
        its snapshot was replaced
    vouchers(id, doc_id, digest, device, data, origin, at)        (version 3)
        a device's signed voucher for its changes in one document, once per batch
    vouched(id, doc_id, voucher, changes)                         (version 4)
        which voucher covers which changes held here (to check a revocation, and to
        relay each change with its author's voucher): one row per batch a voucher
        came with, `changes` their 32-byte hashes side by side; a change in two
        rows keeps the first (lowest id). Version 3 kept one row per change
        (doc_id, change, voucher): a sync that brings 5,000 changes wrote 5,000
        rows; its rows are carried over as they are, a batch of one each.
    set_aside(doc_id, change, data, device, reason, at)           (version 3)
        changes taken out of a document after they were held (a device revoked
        before the township held them, and what builds on them): kept, and listed,
        but no longer counted anywhere
"""

from __future__ import annotations

from vledger.errors import VledgerError

VERSION = 4

_V1 = """
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
)
"""

# Version 2 gathers the tables the trust room used to make for itself on first use
# (IF NOT EXISTS: a version-1 home may hold them already).
_V2 = """
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
CREATE TABLE IF NOT EXISTS invitations(
    secret BLOB PRIMARY KEY,
    office TEXT NOT NULL,
    created TEXT NOT NULL,
    used_at TEXT,
    used_by TEXT
)
"""

_V3 = """
CREATE TABLE IF NOT EXISTS own_changes(
    doc_id TEXT NOT NULL,
    change BLOB NOT NULL,
    PRIMARY KEY(doc_id, change)
);
ALTER TABLE documents ADD COLUMN generation INTEGER NOT NULL DEFAULT 0;
CREATE TABLE IF NOT EXISTS vouchers(
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id TEXT NOT NULL,
    digest BLOB NOT NULL UNIQUE,
    device TEXT NOT NULL,
    data BLOB NOT NULL,
    origin TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS vouched(
    doc_id TEXT NOT NULL,
    change BLOB NOT NULL,
    voucher INTEGER NOT NULL,
    PRIMARY KEY(doc_id, change)
);
CREATE INDEX IF NOT EXISTS vouched_by_voucher ON vouched(voucher);
CREATE TABLE IF NOT EXISTS set_aside(
    doc_id TEXT NOT NULL,
    change BLOB NOT NULL,
    data BLOB NOT NULL,
    device TEXT NOT NULL,
    reason TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY(doc_id, change)
)
"""

# One row per batch instead of one per change. SQLite cannot change a table's key in
# place: a new table is filled from the old one (each old row a batch of one change,
# in the order they were kept, so each change keeps the voucher it had), then takes
# its name. All of it runs in the one migration transaction.
_V4 = """
CREATE TABLE vouched_batches(
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id TEXT NOT NULL,
    voucher INTEGER NOT NULL,
    changes BLOB NOT NULL
);
INSERT INTO vouched_batches(doc_id, voucher, changes)
    SELECT doc_id, voucher, change FROM vouched ORDER BY rowid;
DROP INDEX IF EXISTS vouched_by_voucher;
DROP TABLE vouched;
ALTER TABLE vouched_batches RENAME TO vouched;
CREATE INDEX vouched_by_doc ON vouched(doc_id, id);
CREATE INDEX vouched_by_voucher ON vouched(voucher)
"""

# statements that bring a database from version n - 1 to version n
STEPS: dict[int, str] = {1: _V1, 2: _V2, 3: _V3, 4: _V4}


class SchemaTooNew(VledgerError):
    """The database was made by a newer vledger than this one."""


def statements(version: int) -> list[str]:
    """The statements of one step, one by one (executescript would commit the caller's
    transaction)."""
    return [s.strip() for s in STEPS[version].split(";") if s.strip()]
