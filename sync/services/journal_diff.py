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
from vledger.sync.documents.adds import implied_adds
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
    skipped: the history reports them. The add entries a new row implies (stored as the
    row, not in the journal: documents/adds.py) count as entries of its add."""
    journal = doc.map_id(ROOT, JOURNAL)
    now = None if after is None else known(doc, after)
    then = known(doc, before) if before else []
    keys = _new_keys(doc, journal, now, then)
    # Lean entries leave out the document's own office (documents/journal.py): without it
    # a village's edits would name no village and count in no period.
    office = doc.read(ROOT, "office")
    home = office if isinstance(office, str) else ""
    found: list[JournalEntry] = []
    for key in sorted(keys):
        data = doc.read(journal, key) if journal is not None else None
        if not isinstance(data, bytes):
            continue
        try:
            found.append(decode_entry(key, data, home))
        except JournalError:
            continue
    ledgers = doc.map_id(ROOT, LEDGERS)
    added = _new_keys(doc, ledgers, now, then)
    if ledgers is not None and added:
        rows = {key: doc.read(ledgers, key) for key in sorted(added)}
        found += implied_adds(home, rows, found)
    return found


def _new_keys(doc: Doc, obj: bytes | None, now: list[bytes] | None,
              then: list[bytes]) -> set[str]:
    """The keys of map `obj` at `now` (None: as it is) that it did not have at `then`."""
    if obj is None:
        return set()
    if now is None:
        keys = set(doc.keys(obj))
    else:
        keys = set(doc.keys(obj, now)) if now else set()
    if then:
        keys -= set(doc.keys(obj, then))
    return keys


def row_cells(doc: Doc, program: str, row: str) -> Mapping[str, Any]:
    """A ledger row's cells as the document holds them now (empty when there is none)."""
    ledgers = doc.map_id(ROOT, LEDGERS)
    if ledgers is None:
        return {}
    stored = doc.read(ledgers, f"{program}/{row}")
    cells = stored.get("cells") if isinstance(stored, dict) else None
    return cells if isinstance(cells, dict) else {}
