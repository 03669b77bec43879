"""Open conflicts and unsynced edits per document, brought up to date with what changed.

The home screen counts both for every held document, and a ledger grid marks both; any
change to a document (a keystroke, a received batch) used to mean decoding its whole
journal again. Here both are counted together, from one load of the document, and kept
in the store's caches with the heads they are for (`Caches.latest`); the next count
starts from them and decodes only the journal entries whose keys are new since those
heads (`Doc.keys(journal, heads)`; entry ids are written once, so new keys are new
entries), and reads only the rows that are new since (for the adds they imply:
documents/adds.py). Three cached states per document:

- the counts (COUNTS_KEY): the conflicted cells and the number of unsynced edits; all a
  count reads when the document has not changed;
- the leaves of every cell (LEAVES_KEY; documents/journal.py, `JournalIndex.to_plain`:
  cells whose only leaf is an add are left out, so an old document's thousands of add
  entries cost nothing here), which the conflicted cells are found from as History finds
  them. Implied adds never take part in a conflict, so the stored entries are enough;
- the unsynced cells (UNSYNCED_KEY), grouped by row, for a grid's marks: brought up to
  date only when asked for (a never-synced 20,000-row import is 100,000 of them).

Unsynced edits (services/sync.py says what they are): while the peer records stay the
same, the ones made since the counted heads are this device's new entries and the adds
its new rows imply; when the peer records change, they are found afresh from the
journal's and the ledger's keys at each peer's heads, decoding only the entries no peer
holds. A cached state is used only when the document still holds every change of its
heads (a revoked device's changes taken out: counted afresh).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from vledger.domain.history import Cell, JournalEntry, JournalError
from vledger.sync.binding.doc import ROOT, Doc, Plain
from vledger.sync.documents.adds import implied_cells
from vledger.sync.documents.journal import JournalIndex, decode_entry
from vledger.sync.documents.replica import JOURNAL, LEDGERS
from vledger.sync.services.context import OfficeContext

COUNTS_KEY = "__counts__"  # reserved "program" names in the store's measures cache
LEAVES_KEY = "__leaves__"
UNSYNCED_KEY = "__unsynced__"
LEAVES_VERSION = "leaves-1"  # bump when a cached form or the finding changes
UNSYNCED_VERSION = "unsynced-2"


@dataclass(frozen=True)
class DocumentCounts:
    """One document's open conflicts (their cells) and how many edits this device made
    that no peer holds."""

    conflicted: frozenset[Cell]
    unsynced: int


@dataclass(frozen=True)
class _State:
    """A cached value and the heads it was derived at."""

    heads: list[bytes]
    data: Any


@dataclass(frozen=True)
class _Versions:
    """What a document's cached counts were derived from: its heads and the forms."""

    heads: list[bytes]  # the document's, as stored, sorted
    leaves: str
    unsynced: str  # depends on this device and on every peer record's heads
    confirmed: list[list[bytes]]  # those heads

    @property
    def counts(self) -> str:
        return f"{self.leaves}/{self.unsynced}"


def document_counts(context: OfficeContext, document: str) -> DocumentCounts:
    """The counts of one held document at its stored heads (see the module docstring)."""
    versions = _versions(context, document)
    cached = _state(context.store.db.caches.latest(document, COUNTS_KEY), versions.counts)
    if cached is not None and cached.heads == versions.heads:
        found = _counts(cached.data)
        if found is not None:
            return found
    return _count_all(context, document, versions)


def unsynced_cells(context: OfficeContext, document: str) -> list[Cell]:
    """One cell per edit this device made that no peer holds (a cell edited twice is
    there twice)."""
    versions = _versions(context, document)
    caches = context.store.db.caches
    cached = _state(caches.latest(document, UNSYNCED_KEY), versions.unsynced)
    if cached is not None and cached.heads == versions.heads:
        try:
            return _ungrouped(cached.data)
        except (TypeError, ValueError):
            cached = None  # a damaged cache row is only a miss
    store = context.store
    was_open = store.is_open(document)
    try:
        counter = _Counter(store.document(document), context.me.device)
        base: list[Cell] | None = None
        since: list[bytes] | None = None
        if cached is not None and counter.holds(cached.heads):
            try:
                base, since = _ungrouped(cached.data), cached.heads
            except (TypeError, ValueError):
                base = None
        cells = counter.unsynced(since, versions.confirmed)
        cells = cells if base is None else base + cells
    finally:
        context.close_unless(document, was_open)
    if sorted(store.heads(document)) == counter.heads:  # not written meanwhile
        with store.db.transaction(durable=False):
            caches.put(document, UNSYNCED_KEY, counter.heads,
                       _plain(counter.heads, versions.unsynced, _grouped(cells)),
                       versions.unsynced)
    return cells


def _versions(context: OfficeContext, document: str) -> _Versions:
    store = context.store
    # Many peers often hold the same heads (every village synced since the last edit):
    # each distinct heads once, as they are what the keys held are listed at.
    confirmed = sorted(sorted(heads) for heads in store.db.peers.held_by_both(document))
    return _Versions(sorted(store.heads(document)), LEAVES_VERSION,
                     _unsynced_version(context.me.device, confirmed), confirmed)


def _count_all(context: OfficeContext, document: str, versions: _Versions) -> DocumentCounts:
    """Both counts from the cached states, brought up to the document's heads; one load
    (none when only the peer records moved and a peer holds these very heads)."""
    store = context.store
    caches = store.db.caches
    leaves = _state(caches.latest(document, LEAVES_KEY), versions.leaves)
    counted = _state(caches.latest(document, COUNTS_KEY), versions.counts)
    if leaves is not None and leaves.heads == versions.heads and \
            versions.heads in versions.confirmed:
        # A sync ended with the peer on our heads: it holds every entry and row, so
        # nothing is unsynced, and the leaves counted at these heads are still the leaves.
        # (After a sync the peer records move for every document the peer holds, most of
        # them unchanged: none of those needs loading.)
        try:
            index = JournalIndex.from_plain(leaves.data)
        except (TypeError, ValueError):
            pass  # a damaged cache row is only a miss
        else:
            found = DocumentCounts(frozenset(index.conflicted_cells()), 0)
            _keep(context, document, versions.heads, versions, found, None)
            return found
    was_open = store.is_open(document)
    try:
        counter = _Counter(store.document(document), context.me.device)
        index = _leaves(counter, leaves)
        before = _counts(counted.data) if counted is not None else None
        if counted is not None and before is not None and counter.holds(counted.heads):
            since = counter.unsynced(counted.heads, versions.confirmed)
            unsynced = before.unsynced + len(since)
        else:
            unsynced = len(counter.unsynced(None, versions.confirmed))
    finally:
        context.close_unless(document, was_open)
    found = DocumentCounts(frozenset(index.conflicted_cells()), unsynced)
    _keep(context, document, counter.heads, versions, found, index)
    return found


def _keep(context: OfficeContext, document: str, heads: list[bytes], versions: _Versions,
          found: DocumentCounts, index: JournalIndex | None) -> None:
    """Cache the counts (and the leaves, when counted anew) found for `heads`, unless the
    document was written meanwhile."""
    store = context.store
    if sorted(store.heads(document)) != heads:  # not written meanwhile: for `heads`
        return
    conflicted = [list(c) for c in sorted(found.conflicted)]
    # Hints: a power cut that loses them costs a count from nothing, so no fsync.
    with store.db.transaction(durable=False):
        if index is not None:
            store.db.caches.put(document, LEAVES_KEY, heads,
                                _plain(heads, versions.leaves, index.to_plain()),
                                versions.leaves)
        store.db.caches.put(document, COUNTS_KEY, heads,
                            _plain(heads, versions.counts, [conflicted, found.unsynced]),
                            versions.counts)


def _leaves(counter: _Counter, cached: _State | None) -> JournalIndex:
    """The leaves at the document's heads: the cached ones given the entries new since."""
    if cached is not None and counter.holds(cached.heads):
        try:
            index = JournalIndex.from_plain(cached.data)
        except (TypeError, ValueError):
            pass  # a damaged cache row is only a miss
        else:
            index.add(counter.entries(counter.journal_keys() - counter.journal_keys(cached.heads)))
            return index
    return JournalIndex(counter.entries(counter.journal_keys()))


class _Counter:
    """One loaded document: its journal and ledger keys, each entry decoded at most once."""

    def __init__(self, doc: Doc, device: str) -> None:
        self.doc = doc
        self.device = device
        self.heads = sorted(doc.heads())
        self.journal = doc.map_id(ROOT, JOURNAL)
        self.ledgers = doc.map_id(ROOT, LEDGERS)
        office = doc.read(ROOT, "office")
        self.home = office if isinstance(office, str) else ""
        self._known: set[bytes] | None = None
        self._keys: dict[tuple[str, tuple[bytes, ...] | None], set[str]] = {}
        self._decoded: dict[str, JournalEntry | None] = {}

    def holds(self, heads: Sequence[bytes]) -> bool:
        """Whether the document holds every change of `heads`."""
        if self._known is None:
            self._known = self.doc.change_hashes()
        return all(h in self._known for h in heads)

    def journal_keys(self, heads: Sequence[bytes] | None = None) -> set[str]:
        return self._keys_of("journal", heads)

    def row_keys(self, heads: Sequence[bytes] | None = None) -> set[str]:
        return self._keys_of("ledgers", heads)

    def _keys_of(self, name: str, heads: Sequence[bytes] | None) -> set[str]:
        key = (name, None if heads is None else tuple(sorted(heads)))
        found = self._keys.get(key)
        if found is None:
            obj = self.journal if name == "journal" else self.ledgers
            found = self._keys[key] = set(self.doc.keys(obj, heads)) if obj is not None else set()
        return found

    def unsynced(self, since: Sequence[bytes] | None, confirmed: list[list[bytes]]) -> list[Cell]:
        """The cells of this device's entries and implied adds that are new since `since`
        (known to be after every peer's heads), or (None) that no peer's heads hold."""
        entries, rows = self.journal_keys(), set()
        if since is not None:
            entries = entries - self.journal_keys(since)
            # Rows are never removed (documents/ledger.py), so as many rows as then means
            # no new one; counting them is much cheaper than listing 20,000 keys twice.
            if self.ledgers is not None and \
                    self.doc.length(self.ledgers) != self.doc.length(self.ledgers, since):
                rows = self.row_keys() - self.row_keys(since)
        else:
            rows = self.row_keys()
            for heads in confirmed:
                usable = [h for h in heads if self.holds([h])]
                if usable:
                    entries = entries - self.journal_keys(usable)
                    rows = rows - self.row_keys(usable)
        stored = self.entries(entries)
        cells: list[Cell] = [e.cell for e in stored if e.device == self.device]
        if rows:
            cells += implied_cells(self.home, self._rows(rows), stored, self.device)
        return cells

    def entries(self, keys: Iterable[str]) -> list[JournalEntry]:
        """The entries stored under `keys`, in key order, each decoded once; unreadable
        ones are left out (the history reports them)."""
        wanted = sorted(keys)
        if self.journal is None:
            return []
        fresh = [k for k in wanted if k not in self._decoded]
        for key, data in self._read(self.journal, fresh, len(self.journal_keys())):
            entry: JournalEntry | None = None
            if isinstance(data, bytes):
                try:
                    entry = decode_entry(key, data, self.home)
                except JournalError:
                    entry = None
            self._decoded[key] = entry
        return [e for e in (self._decoded[k] for k in wanted) if e is not None]

    def _rows(self, keys: set[str]) -> dict[str, Plain]:
        assert self.ledgers is not None
        return dict(self._read(self.ledgers, sorted(keys), len(self.row_keys())))

    def _read(self, obj: bytes, keys: list[str], size: int) -> list[tuple[str, Plain]]:
        """The values of `keys` in the map (of `size` keys): most of it in bulk."""
        if len(keys) > size // 2:
            every = self.doc.read_map(obj)
            return [(key, every.get(key)) for key in keys]
        return [(key, self.doc.read(obj, key)) for key in keys]


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


def _counts(data: object) -> DocumentCounts | None:
    """The counts a COUNTS_KEY state holds; None when damaged (only a miss)."""
    if not isinstance(data, list) or len(data) != 2 or type(data[1]) is not int:
        return None
    try:
        return DocumentCounts(frozenset(_cells(data[0])), data[1])
    except (TypeError, ValueError):
        return None


def _cells(plain: object) -> list[Cell]:
    if not isinstance(plain, list):
        raise ValueError("not a list of cells")
    found: list[Cell] = []
    for item in plain:
        program, village, row, column = item
        found.append((str(program), str(village), str(row), str(column)))
    return found


def _grouped(cells: Iterable[Cell]) -> dict[str, dict[str, dict[str, list[str]]]]:
    """program -> village -> row -> columns (repeated as often as edited): a fraction of
    the bytes and of the time of a list of cells, for 100,000 of them."""
    grouped: dict[str, dict[str, dict[str, list[str]]]] = {}
    for program, village, row, column in cells:
        grouped.setdefault(program, {}).setdefault(village, {}).setdefault(row, []).append(
            column)
    return grouped


def _ungrouped(plain: object) -> list[Cell]:
    """The cells `_grouped` gave; ValueError for anything else."""
    try:
        return [
            (str(program), str(village), str(row), str(column))
            for program, villages in plain.items()  # type: ignore[attr-defined]
            for village, rows in villages.items()
            for row, columns in rows.items()
            for column in columns
        ]
    except AttributeError:
        raise ValueError("not cells by program, village and row") from None


def _unsynced_version(device: str, confirmed: list[list[bytes]]) -> str:
    digest = hashlib.sha256(device.encode())
    for heads in confirmed:
        digest.update(b"".join(heads) + b"\x00")
    return f"{UNSYNCED_VERSION}:{digest.hexdigest()}"
