"""The recorded edits a document gained between two of its states, read without building
its journal index: what a sync brought, and which edits a publication did not include.

Journal entries are written once under a fresh random key (documents/journal.py), so
the edits a document gained between heads A and B are the journal keys it has at B and
did not have at A, and each one's bytes read now are the bytes it had then.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from vledger.domain.history import JournalEntry, JournalError
from vledger.sync.binding.doc import ROOT, Doc
from vledger.sync.documents.journal import decode_entry
from vledger.sync.documents.ledger import LEDGERS
from vledger.sync.documents.replica import JOURNAL


def known(doc: Doc, heads: Sequence[bytes]) -> list[bytes]:
    """The heads among `heads` this document holds (all of them, normally)."""
    return [h for h in heads if doc.has([h])]


def entries_between(
    doc: Doc, before: Sequence[bytes] | None, after: Sequence[bytes] | None = None
) -> list[JournalEntry]:
    """Entries at `after` (now when None) that were not there at `before` (None: the
    document did not exist then). Heads this document does not hold are left out, so a
    state it only partly knows is taken as the part it knows. Unreadable entries are
    skipped: the history reports them."""
    journal = doc.map_id(ROOT, JOURNAL)
    if journal is None:
        return []
    if after is None:
        keys = set(doc.keys(journal))
    else:
        now = known(doc, after)
        keys = set(doc.keys(journal, now)) if now else set()
    if before:
        then = known(doc, before)
        if then:
            keys -= set(doc.keys(journal, then))
    # Lean entries leave out the document's own office (documents/journal.py): without it
    # a village's edits would name no village and count in no period.
    office = doc.read(ROOT, "office")
    home = office if isinstance(office, str) else ""
    found: list[JournalEntry] = []
    for key in sorted(keys):
        data = doc.read(journal, key)
        if not isinstance(data, bytes):
            continue
        try:
            found.append(decode_entry(key, data, home))
        except JournalError:
            continue
    return found


def row_cells(doc: Doc, program: str, row: str) -> Mapping[str, Any]:
    """A ledger row's cells as the document holds them now (empty when there is none)."""
    ledgers = doc.map_id(ROOT, LEDGERS)
    if ledgers is None:
        return {}
    stored = doc.read(ledgers, f"{program}/{row}")
    cells = stored.get("cells") if isinstance(stored, dict) else None
    return cells if isinstance(cells, dict) else {}
