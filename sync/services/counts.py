"""Open conflicts and unsynced edits per document, brought up to date with what changed.

The home screen counts both for every held document, and a ledger grid marks both; any
change to a document (a keystroke, a received batch) used to mean decoding its whole
journal again. Here both are found together, from one load of the document, and kept in
the store's caches with the heads they are for (`Caches.latest`); the next count starts
from them and decodes only the journal entries whose keys are new since those heads
(`Doc.keys(journal, heads)`; entry ids are written once, so new keys are new entries),
and reads only the rows that are new since (for the adds they imply: documents/adds.py).

- Conflicts: the leaves of every cell (documents/journal.py, `JournalIndex.to_plain`:
  cells whose only leaf is an add are left out, so an old document's thousands of add
  entries cost nothing here), and the cells whose leaves disagree, as History finds them.
  Implied adds never take part in a conflict, so the stored entries are enough.
- Unsynced edits (services/sync.py says what they are): one cell per entry this device
  wrote that no peer record's heads hold. While the peer records stay the same, the new
  ones since the counted heads are the new entries and rows of this device; when they
  change, they are found afresh from the journal's and the ledger's keys at each peer's
  heads, decoding only the entries no peer holds.

A cached state is used only when the document still holds every change of its heads (a
revoked device's changes taken out: counted afresh).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from vledger.domain.history import Cell, JournalEntry, JournalError
from vledger.sync.binding.doc import ROOT, Doc
from vledger.sync.documents.adds import implied_adds
from vledger.sync.documents.journal import JournalIndex, decode_entry
from vledger.sync.documents.replica import JOURNAL, LEDGERS
from vledger.sync.services.context import OfficeContext

LEAVES_KEY = "__leaves__"  # reserved "program" names in the store's measures cache
LEAVES_VERSION = "leaves-1"  # bump when the cached form or the finding changes
UNSYNCED_KEY = "__unsynced__"
UNSYNCED_VERSION = "unsynced-2"


@dataclass(frozen=True)
class DocumentCounts:
    """One document's open conflicts (their cells) and this device's unsynced edits
    (one cell per edit: a cell edited twice counts twice)."""

    conflicted: frozenset[Cell]
    unsynced: tuple[Cell, ...]


@dataclass(frozen=True)
class _State:
    heads: list[bytes]
    data: Any


def document_counts(context: OfficeContext, document: str) -> DocumentCounts:
    """The counts of one held document at its stored heads (see the module docstring)."""
    from vledger.sync.link.session import peer_records

    store = context.store
    heads = sorted(store.heads(document))
    confirmed = sorted(sorted(r.heads) for r in peer_records(store) if r.doc == document)
    unsynced_version = _unsynced_version(context.me.device, confirmed)
    caches = store.db.caches
    leaves = _state(caches.latest(document, LEAVES_KEY), LEAVES_VERSION)
    unsynced = _state(caches.latest(document, UNSYNCED_KEY), unsynced_version)
    if leaves is not None and unsynced is not None and leaves.heads == unsynced.heads == heads:
        try:
            return DocumentCounts(frozenset(_cells(leaves.data[1])), tuple(_cells(unsynced.data)))
        except (IndexError, TypeError, ValueError):
            pass  # a damaged cache row is only a miss
    was_open = store.is_open(document)
    try:
        doc = store.document(document)
        counted = sorted(doc.heads())
        counter = _Counter(doc, context.me.device)
        index, conflicted = counter.conflicts(leaves)
        cells = counter.unsynced(unsynced, confirmed)
    finally:
        context.close_unless(document, was_open)
    if sorted(store.heads(document)) == counted:  # not written meanwhile: for `counted`
        found = [index.to_plain(), [list(c) for c in conflicted]]
        caches.put(document, LEAVES_KEY, counted, _plain(counted, LEAVES_VERSION, found),
                   LEAVES_VERSION)
        caches.put(document, UNSYNCED_KEY, counted,
                   _plain(counted, unsynced_version, [list(c) for c in cells]), unsynced_version)
    return DocumentCounts(frozenset(conflicted), tuple(cells))


class _Counter:
    """One loaded document: its journal and ledger keys, decoding each entry at most once."""

    def __init__(self, doc: Doc, device: str) -> None:
        self.doc = doc
        self.device = device
        self.journal = doc.map_id(ROOT, JOURNAL)
        self.ledgers = doc.map_id(ROOT, LEDGERS)
        office = doc.read(ROOT, "office")
        self.home = office if isinstance(office, str) else ""
        self._keys = self._keys_at(None)
        self._known: set[bytes] | None = None
        self._decoded: dict[str, JournalEntry | None] = {}

    def conflicts(self, cached: _State | None) -> tuple[JournalIndex, set[Cell]]:
        index: JournalIndex | None = None
        new = self._keys[0]
        if cached is not None and self._holds(cached.heads):
            try:
                index = JournalIndex.from_plain(cached.data[0])
            except (IndexError, TypeError, ValueError):
                index = None  # a damaged cache row is only a miss
            else:
                new = self._keys[0] - self._keys_at(cached.heads)[0]
        if index is None:
            index = JournalIndex()
        index.add(self._entries(new))
        return index, index.conflicted_cells()

    def unsynced(self, cached: _State | None, confirmed: list[list[bytes]]) -> list[Cell]:
        entries, rows = self._keys
        found: list[Cell] = []
        if cached is not None and self._holds(cached.heads):
            try:
                found = _cells(cached.data)
            except (TypeError, ValueError):
                cached = None
            else:
                before = self._keys_at(cached.heads)
                entries, rows = entries - before[0], rows - before[1]
        else:
            cached = None
        if cached is None:
            found = []
            known = self._known_hashes() if confirmed else set()
            for heads in confirmed:
                usable = [h for h in heads if h in known]
                if usable:
                    held = self._keys_at(usable)
                    entries, rows = entries - held[0], rows - held[1]
        stored = self._entries(entries)
        made = [*stored, *self._implied(rows, stored)]
        found += [(e.program, e.village, e.row, e.column) for e in made
                  if e.device == self.device]
        return found

    # -- reading -----------------------------------------------------------------------

    def _keys_at(self, heads: Sequence[bytes] | None) -> tuple[set[str], set[str]]:
        """The journal's and the ledger's keys (at `heads`)."""
        doc = self.doc
        return (
            set(doc.keys(self.journal, heads)) if self.journal is not None else set(),
            set(doc.keys(self.ledgers, heads)) if self.ledgers is not None else set(),
        )

    def _known_hashes(self) -> set[bytes]:
        if self._known is None:
            self._known = self.doc.change_hashes()
        return self._known

    def _holds(self, heads: Sequence[bytes]) -> bool:
        known = self._known_hashes()
        return all(h in known for h in heads)

    def _entries(self, keys: Iterable[str]) -> list[JournalEntry]:
        """The entries stored under `keys`, in key order, each decoded once; unreadable
        ones are left out (the history reports them)."""
        wanted = sorted(keys)
        journal = self.journal
        if journal is None:
            return []
        fresh = [k for k in wanted if k not in self._decoded]
        if len(fresh) > len(self._keys[0]) // 2:
            # Most of the journal (a first count): read in bulk, as the history does.
            every = self.doc.read_map(journal)
            stored = [(key, every.get(key)) for key in fresh]
        else:
            stored = [(key, self.doc.read(journal, key)) for key in fresh]
        for key, data in stored:
            entry: JournalEntry | None = None
            if isinstance(data, bytes):
                try:
                    entry = decode_entry(key, data, self.home)
                except JournalError:
                    entry = None
            self._decoded[key] = entry
        return [e for e in (self._decoded[k] for k in wanted) if e is not None]

    def _implied(self, rows: set[str], stored: list[JournalEntry]) -> list[JournalEntry]:
        """The adds that `rows` imply (every stored entry bearing on them is in `stored`:
        an entry of a row comes after the row)."""
        if not rows or self.ledgers is None:
            return []
        ledgers = self.ledgers
        return implied_adds(self.home, {k: self.doc.read(ledgers, k) for k in rows}, stored)


# -- the cached forms ----------------------------------------------------------------------


def _plain(heads: list[bytes], version: str, data: Any) -> dict[str, Any]:
    return {"heads": heads, "version": version, "data": data}


def _state(plain: object, version: str) -> _State | None:
    """A cached state of this version, None for anything else (a miss)."""
    if not isinstance(plain, dict) or plain.get("version") != version:
        return None
    heads = plain.get("heads")
    if not isinstance(heads, list) or not all(isinstance(h, bytes) for h in heads):
        return None
    return _State(sorted(heads), plain.get("data"))


def _cells(plain: object) -> list[Cell]:
    if not isinstance(plain, list):
        raise ValueError("not a list of cells")
    found: list[Cell] = []
    for item in plain:
        program, village, row, column = item
        found.append((str(program), str(village), str(row), str(column)))
    return found


def _unsynced_version(device: str, confirmed: list[list[bytes]]) -> str:
    digest = hashlib.sha256(device.encode())
    for heads in confirmed:
        digest.update(b"".join(heads) + b"\x00")
    return f"{UNSYNCED_VERSION}:{digest.hexdigest()}"
