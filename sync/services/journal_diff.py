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
    document did not exist then), with the add entries of the rows added in between
    (a row's adds are implied by the row, not stored: documents/adds.py). Heads this
    document does not hold are left out, so a state it only partly knows is taken as
    the part it knows. Unreadable entries are skipped: the history reports them."""
    journal = doc.map_id(ROOT, JOURNAL)
    if journal is None:
        return []
    home = _home(doc)
    now_keys = set(doc.keys(journal))
    if after is None:
        keys = set(now_keys)
    else:
        then_after = known(doc, after)
        keys = set(doc.keys(journal, then_after)) if then_after else set()
    since = set(now_keys)  # every entry since `before`: later edits say what adds put
    then = known(doc, before) if before else []
    if then:
        earlier = set(doc.keys(journal, then))
        keys -= earlier
        since -= earlier
    decoded = _decode(doc, journal, since | keys, home)
    found = [decoded[k] for k in sorted(keys) if k in decoded]
    return found + _added_rows(doc, home, then, after, list(decoded.values()))


def _home(doc: Doc) -> str:
    office = doc.read(ROOT, "office")
    return office if isinstance(office, str) else ""


def _decode(doc: Doc, journal: bytes, keys: set[str], home: str) -> dict[str, JournalEntry]:
    found: dict[str, JournalEntry] = {}
    for key in sorted(keys):
        data = doc.read(journal, key)
        if not isinstance(data, bytes):
            continue
        try:
            found[key] = decode_entry(key, data, home)
        except JournalError:
            continue
    return found


def _added_rows(
    doc: Doc, home: str, before: Sequence[bytes], after: Sequence[bytes] | None,
    stored: list[JournalEntry],
) -> list[JournalEntry]:
    """The implied add entries of the ledger rows held at `after` (now) and not at
    `before`. Their values are what the adds put there: a row's later edits (all among
    `stored`, as the row is newer than `before`) record them as `old`."""
    ledgers = doc.map_id(ROOT, LEDGERS)
    if ledgers is None:
        return []
    if after is None:
        rows = set(doc.keys(ledgers))
    else:
        held = known(doc, after)
        rows = set(doc.keys(ledgers, held)) if held else set()
    if before:
        rows -= set(doc.keys(ledgers, before))
    if not rows:
        return []
    maps = {key: doc.read(ledgers, key) for key in sorted(rows)}
    return implied_adds(home, maps, stored)


def row_cells(doc: Doc, program: str, row: str) -> Mapping[str, Any]:
    """A ledger row's cells as the document holds them now (empty when there is none)."""
    ledgers = doc.map_id(ROOT, LEDGERS)
    if ledgers is None:
        return {}
    stored = doc.read(ledgers, f"{program}/{row}")
    cells = stored.get("cells") if isinstance(stored, dict) else None
    return cells if isinstance(cells, dict) else {}
