"""Which of this device's edits no peer holds yet, and a cheap version of all held data.

A journal entry is unsynced when this device wrote it (`entry.device == me.device`) and
it is not in the journal the document had at any peer record's heads, where a peer
record is a sync after which both sides held the same heads for that document
(`link.session.peer_records`). Both sides keep every change they hold, so an entry
present at those heads is held by that peer. Found per document from the journal's keys
now and at each peer's heads, and cached in the store keyed by the document's heads and
the peer heads (`Store.cached_measures`), so an unchanged document is never opened again
to count them.
"""

from __future__ import annotations

import hashlib

from vledger.sync.services.context import OfficeContext

Cell = tuple[str, str, str, str]  # program, village, row, column

UNSYNCED_KEY = "__unsynced__"  # a reserved "program" in the store's measures cache
UNSYNCED_VERSION = "unsynced-1"


def unsynced(context: OfficeContext, document: str) -> list[Cell]:
    """The cells of `document` whose edits by this device no peer holds yet."""
    from vledger.sync.link.session import peer_records

    store = context.store
    heads = store.heads(document)
    confirmed = sorted(sorted(r.heads) for r in peer_records(store) if r.doc == document)
    version = _version(context.me.device, confirmed)
    cached = store.cached_measures(document, UNSYNCED_KEY, heads, version)
    if isinstance(cached, list):
        try:
            return [(str(p), str(v), str(r), str(c)) for p, v, r, c in cached]
        except (TypeError, ValueError):
            pass  # a damaged cache row is only a miss
    found = _find(context, document, confirmed)
    if store.heads(document) == heads:  # not written meanwhile: the result is for `heads`
        store.cache_measures(document, UNSYNCED_KEY, heads, [list(c) for c in found], version)
    return found


def _find(context: OfficeContext, document: str, confirmed: list[list[bytes]]) -> list[Cell]:
    from vledger.sync.binding.automerge_doc import ROOT, map_id, read
    from vledger.sync.documents.journal import decode_entry
    from vledger.sync.documents.replica import JOURNAL
    from vledger.sync.link.session import known_hashes

    store = context.store
    was_loaded = store.is_open(document)
    doc = store.document(document)
    try:
        journal = map_id(doc, ROOT, JOURNAL)
        if journal is None:
            return []
        keys = set(doc.keys(journal))
        known = known_hashes(doc) if confirmed else set()
        for heads in confirmed:
            usable = [h for h in heads if h in known]
            if usable:
                keys -= set(doc.keys(journal, usable))
        cells: list[Cell] = []
        for key in sorted(keys):
            data = read(doc, journal, key)
            if not isinstance(data, bytes):
                continue
            try:
                entry = decode_entry(key, data)
            except ValueError:  # an unreadable entry is reported by the history
                continue
            if entry.device == context.me.device:
                cells.append((entry.program, entry.village, entry.row, entry.column))
        return cells
    finally:
        context.close_unless(document, was_loaded)


def data_version(context: OfficeContext) -> str:
    """Changes whenever any held document changes; one query, no document opened (the
    ranking and conflicts screens poll it every second)."""
    # The store has no call listing every document's heads at once; this reads the
    # same column `Store.heads` does, in one statement.
    rows = context.store.connection().execute(
        "SELECT doc_id, heads FROM documents ORDER BY doc_id").fetchall()
    digest = hashlib.sha256()
    for doc, heads in rows:
        digest.update(doc.encode() + b"\x00" + bytes(heads) + b"\x01")
    return digest.hexdigest()


def _version(device: str, confirmed: list[list[bytes]]) -> str:
    digest = hashlib.sha256(device.encode())
    for heads in confirmed:
        digest.update(b"".join(heads) + b"\x00")
    return f"{UNSYNCED_VERSION}:{digest.hexdigest()}"
