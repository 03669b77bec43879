"""One replicated document: its automerge state, its journal index, and the one write path.

Every edit of every document goes through `Replica.write`: in ONE automerge
transaction it writes the values and appends a journal entry per changed
cell, then hands the transaction's change to the store, and returns only
after the store has committed it. One call is one user action (a 500-row
import is one call, one change).

Received changes go through `Replica.apply_batch`: checked, applied to a
fork, persisted, and only then swapped in, so a bad or partial batch leaves
both the store and the open document as they were.

Layout rule for documents (why keys are flat): two replicas that each create
a map under the same key concurrently end up with two maps, and automerge
shows only one of them. So every container that more than one office writes
into is created in the document's first change (`genesis`, identical on every
replica), and everything below it is addressed by flat keys
(`<program>/<row id>`, `<program>/<village>/<indicator>`), or is a map created
once by the one edit that owns it (a new row with a fresh random id).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any, Protocol

from vledger.clock import now_iso
from vledger.domain.history import Cell, History, JournalEntry, JournalError, same_value
from vledger.errors import VledgerError
from vledger.sync.binding.chunks import MissingDependencies, parse_changes
from vledger.sync.binding.doc import ROOT, Doc, Plain, Tx, check_plain, genesis
from vledger.sync.documents.adds import implied_adds, implied_id
from vledger.sync.documents.journal import (
    LEAN_FORM,
    JournalIndex,
    Who,
    decode_entry,
    encode_entry,
    make_entry,
)

FORMAT = 1  # bump only with a migration: genesis bytes must match across replicas
JOURNAL = "journal"
LEDGERS = "ledgers"  # a village's rows (documents/ledger.py)
VILLAGE, TOWNSHIP = "village", "township"
# The maps each kind of document is born with (see the module docstring).
GENESIS_MAPS: dict[str, tuple[str, ...]] = {
    VILLAGE: (LEDGERS, JOURNAL),
    TOWNSHIP: ("roster", "programs", "targets", "entered", "manual", "adjustments", JOURNAL),
}
_ID = re.compile(r"[A-Za-z0-9_-]{1,40}\Z")
_SAME: Any = object()


class DocumentClosed(RuntimeError):
    """The document was closed; open it again from the store."""


class EditRefused(VledgerError, ValueError):
    """An edit that cannot be written; nothing was written."""


def check_id(kind: str, value: str) -> str:
    """Ids become parts of flat keys and document ids, so they may not hold '/' or ':'."""
    if not isinstance(value, str) or not _ID.match(value):
        raise EditRefused(f"{kind} id {value!r} must be 1-40 letters, digits, '-' or '_'")
    return value


def doc_id(township: str, office: str, year: int) -> str:
    """The id of one office's document for one year (the township's own is its township doc)."""
    check_id("township", township)
    check_id("office", office)
    if not isinstance(year, int) or not 1900 <= year <= 9999:
        raise EditRefused(f"year {year!r} is not a year")
    return f"{township}/{office}/{year}"


ROSTER_YEAR = "roster_year"  # the setting: the year of the township document with the roster


def roster_year(settings: Mapping[str, str]) -> int | None:
    """The year of the township document that holds the roster, from a home's settings.

    A township keeps one roster whatever the year: it lives in the township document of
    the year the township was founded (or, for a village, the year its invitation
    named). A home made before homes kept many years has only `year`, which is then
    that year: such a home opens unchanged. None before the home has an office.
    """
    value = settings.get(ROSTER_YEAR) or settings.get("year")
    return int(value) if value else None


def parse_doc_id(value: str) -> tuple[str, str, int]:
    parts = value.split("/")
    if len(parts) != 3 or not parts[2].isdigit():
        raise ValueError(f"not a document id: {value!r}")
    return parts[0], parts[1], int(parts[2])


def new_document(document_id: str, kind: str) -> Doc:
    """The shared first change of a document (binding/doc.genesis)."""
    if kind not in GENESIS_MAPS:
        raise ValueError(f"unknown document kind {kind!r}")
    township, office, year = parse_doc_id(document_id)
    header: dict[str, Plain] = {
        "kind": kind, "township": township, "office": office, "year": year, "format": FORMAT,
    }
    return genesis(document_id, header, GENESIS_MAPS[kind])


@dataclass(frozen=True)
class Record:
    """One journal entry an edit writes: which cell, and the old and new value.

    `implied_at`: the entry is one of the add entries a new row implies
    (documents/adds.py): not stored, indexed and returned with this time."""

    op: str
    cell: Cell
    new: Any
    old: Any = _SAME  # default: the value found at the edit's path
    implied_at: str | None = None


@dataclass(frozen=True)
class Edit:
    """Put `value` at `path` (None deletes the key, a mapping makes a new map).

    Every key of `path` but the last must name an existing map: edits never
    create containers on the way (module docstring). `records` are the journal
    entries; by default one, for `cell`, with the old and new value.
    """

    op: str
    cell: Cell
    path: tuple[str, ...]
    value: Plain
    records: tuple[Record, ...] | None = None
    settles: tuple[str, ...] = ()

    def journal_records(self, old: Plain) -> tuple[Record, ...]:
        if self.records is not None:
            return self.records
        return (Record(self.op, self.cell, self.value, old),)


@dataclass(frozen=True)
class BatchResult:
    """What a received batch changed: new change hashes and journal entries."""

    applied: tuple[bytes, ...] = ()
    entries: tuple[JournalEntry, ...] = ()
    changes: tuple[bytes, ...] = field(default=(), repr=False)


class Writer(Protocol):
    """Where a replica's writes go (documents/replicas.py): `write_transaction` holds the store's
    write lock for one write and first brings the replica up to what is stored (another
    process may have written since); `persist` must return only once the changes are
    durable (or, inside `write_transaction`, will be when it commits)."""

    def write_transaction(self, doc_id: str) -> AbstractContextManager[None]: ...

    def refresh(self) -> None:
        """Catch up with what other processes stored, if anything (a cheap check first)."""

    def persist(self, doc_id: str, changes: list[bytes], origin: str,
                heads: list[bytes]) -> None: ...


class Replica:
    """One open automerge document with its journal index.

    The index is built on first use (the first write, or the first time the
    whole journal is read for a history), not at open: a document opened to be
    read or measured never decodes its journal, which costs more than loading it.
    Built later, it is the same index: it is made from the journal as the
    replica holds it at that moment, and the index does not depend on the
    order entries arrived in.

    `journal_form` is the form new entries are written in (documents/journal.py):
    the lean one; the old one (entries as maps, village rows with stored add
    entries) only to make documents as vledger wrote them before, for tests and
    benchmarks.
    """

    journal_form = LEAN_FORM

    def __init__(
        self,
        document_id: str,
        doc: Doc,
        actor: bytes,
        writer: Writer | None = None,
    ) -> None:
        self.doc_id = document_id
        self.doc = doc
        self.actor = actor
        self.doc.set_actor(actor)
        self._writer = writer
        self.closed = False
        self._problems: list[JournalError] = []
        self._index: JournalIndex | None = None  # None: not built yet (see the class docstring)

    @property
    def index(self) -> JournalIndex:
        """The per-cell leaves the write path links new entries to (built on first use)."""
        return self._built_index()

    def _built_index(self) -> JournalIndex:
        if self._index is None:
            self._problems = []
            entries, _ = self._read_journal()
            self._index = self._new_index(entries)
        return self._index

    def _new_index(self, entries: list[JournalEntry]) -> JournalIndex:
        if self.kind != VILLAGE:
            return JournalIndex(entries)
        return JournalIndex(entries, rows=self._row, village=self.home)

    def _row(self, program: str, row_id: str) -> Mapping[str, Any] | None:
        """A row as stored, for the index's implied adds (read inside a write's transaction
        too: the document then shows what the transaction wrote so far)."""
        ledgers = self.doc.object_at([LEDGERS])
        found = None if ledgers is None else self.doc.read(ledgers, f"{program}/{row_id}")
        return found if type(found) is dict else None

    @property
    def index_built(self) -> bool:
        """Whether the journal has been decoded into the index yet (reading never does)."""
        return self._index is not None

    @property
    def journal_problems(self) -> list[JournalError]:
        """Journal entries that could not be read (the whole journal is read to know)."""
        self._built_index()  # building it reads every entry once
        return self._problems

    # -- reading ------------------------------------------------------------------

    @property
    def header(self) -> dict[str, Plain]:
        return {k: self.doc.read(ROOT, k) for k in ("kind", "township", "office", "year")}

    @property
    def kind(self) -> str | None:
        kind = self.doc.read(ROOT, "kind")
        return kind if isinstance(kind, str) else None

    @property
    def home(self) -> str:
        """The document's office: entries name it by leaving it out (documents/journal.py)."""
        office = self.doc.read(ROOT, "office")
        return office if isinstance(office, str) else ""

    def heads(self) -> list[bytes]:
        self._fresh()
        return self.doc.heads()

    def object_at(self, path: Sequence[str]) -> bytes | None:
        """The id of the map at `path`, None when any step is missing or not a map."""
        self._fresh()
        return self.doc.object_at(path)

    def read(self, path: Sequence[str]) -> Plain:
        parent = self.object_at(path[:-1])
        return None if parent is None else self.doc.read(parent, path[-1])

    def keys(self, path: Sequence[str]) -> list[str]:
        obj = self.object_at(path)
        return [] if obj is None else self.doc.keys(obj)

    def writing(self) -> AbstractContextManager[None]:
        """Hold the store's write transaction for a write that reads the document first
        (an id that must be new, a row that must exist): what it reads is then what
        every other process has stored, and nobody writes in between."""
        if self._writer is None:
            return nullcontext()
        return self._writer.write_transaction(self.doc_id)

    def _fresh(self) -> None:
        if self._writer is not None:
            self._writer.refresh()

    def read_children(self, path: Sequence[str], prefix: str = "") -> dict[str, Plain]:
        """Every key under the map at `path` that starts with `prefix`, read as `read` would.

        Two binding calls per map (its keys and its values) instead of one per
        key: reading a 2,000-row ledger this way is several times faster.
        """
        obj = self.object_at(path)
        if obj is None:
            return {}
        return self.doc.read_map(obj, prefix)

    def read_fields(
        self, path: Sequence[str], prefix: str, fields: Sequence[str]
    ) -> dict[str, dict[str, Plain]]:
        """Each map under `path` whose key starts with `prefix`, with only its `fields`
        (binding/doc.py, `Doc.read_fields`)."""
        obj = self.object_at(path)
        if obj is None:
            return {}
        return self.doc.read_fields(obj, prefix, fields)

    def read_table(
        self, path: Sequence[str], prefix: str, fields: Sequence[str], inner: str,
        inner_fields: Sequence[str],
    ) -> list[list[Plain]]:
        """Each map under `path` whose key starts with `prefix`, as one list of its key and
        values (binding/doc.py, `Doc.read_table`)."""
        obj = self.object_at(path)
        if obj is None:
            return []
        return self.doc.read_table(obj, prefix, fields, inner, inner_fields)

    def journal_entries(self, rows: Iterable[str] | None = None) -> list[JournalEntry]:
        """Every readable journal entry (unreadable ones land in `journal_problems`),
        with the add entries a village's rows imply (documents/adds.py); with `rows`
        (`<program>/<row id>` keys), only those rows' implied adds: enough for their
        cells' history, without reading a whole ledger."""
        entries, _ = self._read_journal()
        if self.kind == VILLAGE:
            if rows is None:
                entries += implied_adds(self.home, self.read_children([LEDGERS]), entries)
                self._index_from(entries)
            else:
                ledgers = self.object_at([LEDGERS])
                found = {} if ledgers is None else {k: self.doc.read(ledgers, k) for k in rows}
                entries += implied_adds(self.home, found, entries)
            return entries
        self._index_from(entries)
        return entries

    def _index_from(self, entries: list[JournalEntry]) -> None:
        if self._index is None:
            # A history or conflict view often comes before a resolve: index what was
            # decoded anyway, so that write does not decode the whole journal again.
            self._index = self._new_index(entries)

    def stored_entries(self) -> list[JournalEntry]:
        """The readable entries stored in the journal: without the implied adds, which
        never take part in a conflict (documents/journal.py, `conflicted_cells`)."""
        return self._read_journal()[0]

    def history(self) -> History:
        return History(self.journal_entries())

    def changes_since(self, heads: Sequence[bytes]) -> list[bytes]:
        return self.doc.change_bytes(heads)

    # -- the write path -------------------------------------------------------------

    def write(self, who: Who, edits: Iterable[Edit]) -> list[JournalEntry]:
        """Write `edits` and their journal entries in one transaction, durably.

        Edits that would not change anything are skipped (no entry). Returns
        the journal entries written, after the store committed them.
        """
        self._check_open()
        edits = list(edits)
        for edit in edits:
            _check_edit(edit)
        if self._writer is None:
            return self._write(who, edits)
        with self._writer.write_transaction(self.doc_id):
            return self._write(who, edits)

    def _write(self, who: Who, edits: list[Edit]) -> list[JournalEntry]:
        self._built_index()  # from the document as it is now, before the transaction opens
        heads_before = self.doc.heads()
        at = now_iso()
        home = self.home
        entries: list[JournalEntry] = []
        try:
            with self.doc.transaction() as tx:
                journal = tx.object_at([JOURNAL])
                if journal is None:
                    raise EditRefused(f"document {self.doc_id} has no journal (not created yet?)")
                for edit in edits:
                    entries.extend(self._write_one(tx, journal, who, at, home, edit))
        except BaseException:
            self._forget_index()  # entries of the failed transaction were indexed
            raise
        changes = self.doc.change_bytes(heads_before)
        if not changes:
            return entries
        # Persist whenever the document moved, journal entries or not: an
        # acknowledged change that lives only in memory is lost at the next start.
        if self._writer is not None:
            try:
                self._writer.persist(self.doc_id, changes, "local", self.doc.heads())
            except BaseException:
                self._roll_back(heads_before)
                raise
        return entries

    def _write_one(
        self, tx: Tx, journal: bytes, who: Who, at: str, home: str, edit: Edit
    ) -> list[JournalEntry]:
        parent = tx.object_at(edit.path[:-1])
        if parent is None:
            raise EditRefused(f"nothing at {'/'.join(edit.path[:-1])} in {self.doc_id}")
        key = edit.path[-1]
        old = tx.read(parent, key)
        if (
            edit.records is None
            and not edit.settles
            and same_value(old, edit.value)
            and not self.index.settles_for(edit.cell)
        ):
            return []
        written: list[JournalEntry] = []
        for record in edit.journal_records(old):
            if record.implied_at is not None:
                entry = _implied(who, record)
                self.index.add([entry])
                written.append(entry)
                continue
            record_old = old if record.old is _SAME else record.old
            entry = make_entry(
                who, at=at, op=record.op, cell=record.cell, old=record_old, new=record.new,
                index=self.index, shown=record_old, settles=edit.settles,
            )
            self.index.add([entry])
            tx.put(journal, entry.id, encode_entry(entry, home, self.journal_form))
            written.append(entry)
        tx.put(parent, key, edit.value)
        return written

    def _roll_back(self, heads: list[bytes]) -> None:
        # The change never reached the store: forget it, so the next local change
        # reuses its sequence number instead of leaving a gap no peer can fill.
        self.doc = self.doc.fork(heads)
        self.doc.set_actor(self.actor)
        self._forget_index()

    # -- receiving ---------------------------------------------------------------------

    def apply_batch(self, changes: Sequence[bytes], origin: str = "peer") -> BatchResult:
        """Apply received changes all-or-nothing; applying the same batch twice does nothing.

        BadChange: bytes that are not intact changes, or that automerge refuses.
        MissingDependencies: changes building on changes this replica lacks; the
        batch is refused whole (the sender should send from older heads).
        """
        self._check_open()
        infos = {info.hash: info for info in parse_changes(changes)}
        if not infos:
            return BatchResult()
        heads_before = self.doc.heads()
        candidate = self.doc.fork()
        candidate.apply([info.data for info in infos.values()])
        new = candidate.changes(heads_before)
        new_hashes = {change.hash for change in new}
        rest = [h for h in infos if h not in new_hashes]
        if rest and not self.doc.has(rest):
            raise self._missing(infos, rest, new_hashes)
        if not new:
            return BatchResult()
        data = [change.bytes for change in new]
        if self._writer is not None:
            self._writer.persist(self.doc_id, data, origin, candidate.heads())
        entries = self._swap_in(candidate)
        return BatchResult(tuple(c.hash for c in new), tuple(entries), tuple(data))

    def absorb(self, changes: Sequence[bytes]) -> None:
        """Take in changes that are already stored (written by another process): no
        checks beyond automerge's own, nothing persisted. The caller compares heads
        with the store's afterwards."""
        self._check_open()
        candidate = self.doc.fork()
        candidate.apply(list(changes))
        self._swap_in(candidate)

    def replace(self, doc: Doc) -> None:
        """Start over from `doc` (the document as stored, loaded afresh)."""
        doc.set_actor(self.actor)
        self.doc = doc
        self._forget_index()

    def _swap_in(self, candidate: Doc) -> list[JournalEntry]:
        known = set(self.keys([JOURNAL]))
        before = self.doc.heads()
        candidate.set_actor(self.actor)
        self.doc = candidate
        # Entry ids are random and written once, so the new entries are the new keys,
        # and the new rows' implied adds come with them (documents/adds.py: every stored
        # entry that bears on them is new too). An index not built yet needs nothing:
        # it will be built from this journal.
        entries, _ = self._read_journal(k for k in self.keys([JOURNAL]) if k not in known)
        if self.kind == VILLAGE:
            entries += implied_adds(self.home, self._new_rows(before), entries)
        if self._index is not None:
            self._index.add(entries)
        return entries

    def _new_rows(self, before: list[bytes]) -> dict[str, Plain]:
        """The rows added since `before`, as stored. Rows are never removed, so a ledger
        as long as it was has none: no need to list 20,000 keys for every batch."""
        ledgers = self.doc.object_at([LEDGERS])
        if ledgers is None:
            return {}
        if not before:  # an empty document that received its first changes
            return self.read_children([LEDGERS])
        if self.doc.length(ledgers) == self.doc.length(ledgers, before):
            return {}
        known = set(self.doc.keys(ledgers, before))
        return {k: self.doc.read(ledgers, k) for k in self.doc.keys(ledgers) if k not in known}

    def _missing(
        self, infos: Mapping[bytes, Any], rest: list[bytes], applied: set[bytes]
    ) -> MissingDependencies:
        waiting = [h for h in rest if not self.doc.has([h])]
        deps = {d for h in waiting for d in infos[h].deps if d not in infos and d not in applied}
        missing = sorted(d for d in deps if not self.doc.has([d]))
        return MissingDependencies(waiting, missing)

    # -- housekeeping ------------------------------------------------------------------

    def close(self) -> None:
        self.closed = True

    def _check_open(self) -> None:
        if self.closed:
            raise DocumentClosed(f"document {self.doc_id} is closed")

    def _forget_index(self) -> None:
        # Rebuilt on next use from the document as it then is.
        self._index = None
        self._problems = []

    def _read_journal(
        self, ids: Iterable[str] | None = None
    ) -> tuple[list[JournalEntry], list[JournalError]]:
        """The entries `ids` (None: every entry, read in bulk), decoded."""
        journal = self.object_at([JOURNAL])
        good: list[JournalEntry] = []
        bad: list[JournalError] = []
        if journal is None:
            return good, bad
        home = self.home
        stored: Iterable[tuple[str, Plain]] = (
            self.read_children([JOURNAL]).items()
            if ids is None
            else ((entry_id, self.doc.read(journal, entry_id)) for entry_id in ids)
        )
        for entry_id, data in stored:
            try:
                if not isinstance(data, bytes):
                    raise JournalError(entry_id, f"stored as {type(data).__name__}, not bytes")
                good.append(decode_entry(entry_id, data, home))
            except JournalError as problem:
                bad.append(problem)
        known = {p.entry_id for p in self._problems}
        self._problems.extend(p for p in bad if p.entry_id not in known)
        return good, bad


def _implied(who: Who, record: Record) -> JournalEntry:
    """The add entry a new row implies (documents/adds.py makes the same from the row)."""
    program, village, row, column = record.cell
    assert record.implied_at is not None
    return JournalEntry(
        id=implied_id(record.cell), at=record.implied_at, office=who.office,
        device=who.device, user=who.user, op=record.op, program=program, village=village,
        row=row, column=column, old=None, new=record.new, prev=None,
    )


def _check_edit(edit: Edit) -> None:
    if not edit.path or not all(isinstance(k, str) and k for k in edit.path):
        raise EditRefused(f"bad path {edit.path!r}")
    if edit.path[0] == JOURNAL:
        raise EditRefused("the journal is written only by the write path")
    if not (isinstance(edit.cell, tuple) and len(edit.cell) == 4):
        raise EditRefused(f"a cell is (program, village, row, column), got {edit.cell!r}")
    try:
        check_plain(edit.value)
    except TypeError as problem:
        raise EditRefused(str(problem)) from None
