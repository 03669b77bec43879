"""The home's documents: loaded from the store, kept open as caches, written through it.

Any number of processes share one home (a server, the UI, commands). Each keeps the
documents it opened as caches of the store and never trusts them to be current:
a write takes the store's write transaction and first brings its copy up to the
stored heads (loading only the chunk rows it lacks, or the snapshot when another
process compacted), so no process can lose another's write; and a read first looks
at the store's cheap change signal (SQLite's data_version) and catches up the
cached documents only when it moved. Every process writes with an automerge actor
of its own, made when it opens the home: an actor is never reused by anything that
can be copied (a restored backup, a copied home, a second process), and this home's
own changes are known by their hashes (the store's own_changes), not by actor.

Loading a document is its snapshot plus its chunk rows (automerge's `load` takes
them concatenated); if that fails, the snapshot and then each row are applied one
by one and what cannot be applied is reported (`report`), never silently dropped.
Documents open lazily and stay open until `close_document`: two open copies of one
document would write with the same actor and sequence numbers.

A sync needs no journal index, so it reads and receives through `document()` and
`apply_batches`, which keep a document not open as a Replica as bare automerge
state; `replica()` later turns that same state into the Replica.

Compaction (a new snapshot replacing the chunk rows it covers, in one transaction)
runs after the commit of the write that pushed a document over its budget: it
snapshots the open document, which must by then hold everything its rows do.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from vledger.sync.binding.chunks import (
    CHUNK_DOCUMENT,
    BadChange,
    ChunkInfo,
    MissingDependencies,
    iter_chunks,
    parse_changes,
)
from vledger.sync.binding.doc import Doc
from vledger.sync.documents.journal import LEAN_FORM
from vledger.sync.documents.replica import BatchResult, Replica, new_document
from vledger.sync.store.database import Damage, Database
from vledger.sync.store.repositories import UnknownDocument

if TYPE_CHECKING:
    from vledger.sync.documents.ledger import VillageDoc
    from vledger.sync.documents.township import TownshipDoc


@dataclass
class _Loaded:
    """What loading a document from its snapshot and chunks found."""

    covered: list[int] = field(default_factory=list)  # chunk rows in the open document
    damaged: dict[int, str] = field(default_factory=dict)  # rows not applied, with why
    snapshot_bad: str | None = None
    generation: int = 0  # of the snapshot loaded (store/repositories.StoredDocument)

    @property
    def last_row(self) -> int:
        return max([*self.covered, *self.damaged], default=0)


class Replicas:
    """One home's documents over its database."""

    # The form the replicas write journal entries in (Replica.journal_form): the old
    # one only to make homes as vledger wrote them before, for tests and benchmarks.
    journal_form = LEAN_FORM

    def __init__(self, db: Database, *, compact_chunks: int = 200,
                 compact_bytes: int = 4 << 20) -> None:
        self.db = db
        self.report: list[Damage] = list(db.report)
        self._reported: set[tuple[str | None, str]] = {(d.doc_id, d.part) for d in self.report}
        self._mutex = threading.RLock()
        self._open: dict[str, Replica] = {}
        # Documents loaded only to sync (send or receive changes): no Replica, so no
        # journal index is built for them. `replica()` turns one into a Replica.
        self._bare: dict[str, Doc] = {}
        self._loaded: dict[str, _Loaded] = {}
        self.compact_chunks = compact_chunks
        self.compact_bytes = compact_bytes
        self._compact_later: set[str] = set()
        # A process with a clerk at its keys compacts only when told (`compact_due`):
        # saving a big document holds the GIL for the whole call, and would hold the
        # screen with it.
        self.compact_when_asked = False
        self.actor = secrets.token_bytes(16)  # this process's (the module docstring says why)
        self._seen_version = db.data_version()

    @classmethod
    def open(cls, home: Path, *, scan: bool = False, compact_chunks: int = 200,
             compact_bytes: int = 4 << 20) -> Replicas:
        """Open the home's database and its documents' cache; damage found is in `report`.

        `scan` checks every stored chunk's checksum now, so damage is reported at open
        rather than when a document is first loaded (`vledger status` does; everyone
        else leaves it to the load, where automerge checks them anyway).
        """
        replicas = cls(Database.open(home), compact_chunks=compact_chunks,
                       compact_bytes=compact_bytes)
        if scan:
            replicas.scan()
        return replicas

    def close(self) -> None:
        with self._mutex:
            for replica in self._open.values():
                replica.close()
            self._open.clear()
            self._bare.clear()
            self.db.close()

    def __enter__(self) -> Replicas:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @property
    def home(self) -> Path:
        return self.db.home

    @property
    def legacy_actor(self) -> bytes | None:
        """The one actor a home made before processes had their own wrote with: its
        changes are this home's too (trust/signatures.py signs them)."""
        value = self.db.settings.get("actor")
        return bytes.fromhex(value) if value else None

    def device_id(self) -> str:
        """This machine's device id (made on first use)."""
        return self.db.settings.get_or_make("device", 8)

    @contextmanager
    def transaction(self, *, durable: bool = True) -> Iterator[None]:
        """Every write inside is one SQLite transaction (store/sqlite.py); if it fails,
        every document it wrote to is closed, so its next use reloads what is really on
        disk (an open document may already hold changes whose rows were rolled back).
        Compaction runs once it committed."""
        with self._mutex, self.db.transaction(durable=durable):
            yield
        self._run_compactions()

    # -- documents ---------------------------------------------------------------------

    def document_ids(self) -> list[str]:
        return self.db.documents.ids()

    def has_document(self, doc_id: str) -> bool:
        return self.db.documents.has(doc_id)

    def heads(self, doc_id: str) -> list[bytes]:
        """The document's heads as stored (no need to open it)."""
        return self.db.documents.heads(doc_id)

    def is_open(self, doc_id: str) -> bool:
        return doc_id in self._open

    def create_document(self, doc_id: str, kind: str) -> Replica:
        """Make a document with its shared first change (or open it if it exists)."""
        with self._mutex:
            with self.transaction():  # another process may make it at the same moment
                if self.has_document(doc_id):
                    return self.replica(doc_id)
                doc = new_document(doc_id, kind)
                changes = doc.change_bytes()
                self.db.documents.create(doc_id)
                chunk = self.db.documents.add_chunk(doc_id, changes, "local", doc.heads())
                # Made inside a caller's transaction (a new year's documents with the
                # program that needs them): if that rolls back, so does this document.
                self.db.on_rollback(lambda: self.close_document(doc_id))
            self._loaded[doc_id] = _Loaded([chunk])
            return self._adopt(doc_id, doc)

    def replica(self, doc_id: str) -> Replica:
        """The open document, loading it on first use; UnknownDocument if absent."""
        with self._mutex:
            self.refresh()
            found = self._open.get(doc_id)
            if found is not None:
                return found
            bare = self._bare.pop(doc_id, None)
            if bare is not None:
                return self._adopt(doc_id, bare)
            if not self.has_document(doc_id):
                raise UnknownDocument(doc_id)
            doc, loaded = self._load(doc_id)
            self._loaded[doc_id] = loaded
            return self._adopt(doc_id, doc)

    def document(self, doc_id: str) -> Doc:
        """The document's automerge state, to read or send from (never to write to).

        The open Replica's when there is one; otherwise loaded without a journal
        index (a sync does not read the journal) and kept for the next sync.
        UnknownDocument if absent.
        """
        with self._mutex:
            self.refresh()
            found = self._open.get(doc_id)
            if found is not None:
                return found.doc
            bare = self._bare.get(doc_id)
            if bare is not None:
                return bare
            if not self.has_document(doc_id):
                raise UnknownDocument(doc_id)
            doc, loaded = self._load(doc_id)
            self._loaded[doc_id] = loaded
            self._bare[doc_id] = doc
            return doc

    def village(self, doc_id: str) -> VillageDoc:
        # Imported on first use: opening a home (the UI's first screen) reads only the
        # township's documents.
        from vledger.sync.documents.ledger import VillageDoc

        return VillageDoc(self.replica(doc_id))

    def township(self, doc_id: str) -> TownshipDoc:
        # Imported here, as VillageDoc is: a process that reads only ledgers (a measuring
        # helper) does without it.
        from vledger.sync.documents.township import TownshipDoc

        return TownshipDoc(self.replica(doc_id))

    def close_documents(self) -> None:
        """Drop every cached document (their data is on disk): memory back, nothing lost."""
        with self._mutex:
            for doc_id in [*self._open, *self._bare]:
                self.close_document(doc_id)

    def close_document(self, doc_id: str) -> None:
        """Drop the open document from memory (its data is on disk)."""
        with self._mutex:
            replica = self._open.pop(doc_id, None)
            if replica is not None:
                replica.close()
            self._bare.pop(doc_id, None)
            self._loaded.pop(doc_id, None)

    def changes_since(self, doc_id: str, heads: Sequence[bytes]) -> list[bytes]:
        """Changes of the document that are not ancestors of `heads` (all, if unknown)."""
        return self.document(doc_id).change_bytes(heads)

    def _adopt(self, doc_id: str, doc: Doc) -> Replica:
        replica = Replica(doc_id, doc, self.actor, self)
        replica.journal_form = self.journal_form
        self._open[doc_id] = replica
        return replica

    # -- the Writer of every open Replica (documents/replica.Writer) -------------------

    @contextmanager
    def write_transaction(self, doc_id: str) -> Iterator[None]:
        with self.transaction():
            self.catch_up(doc_id)
            yield

    def persist(self, doc_id: str, changes: list[bytes], origin: str,
                heads: list[bytes]) -> None:
        self._append(doc_id, changes, origin, heads)

    # -- keeping caches in step with the store ------------------------------------------

    def refresh(self) -> None:
        """Catch up every cached document if another process wrote since the last look
        (one cheap query when nobody did)."""
        version = self.db.data_version()
        if version == self._seen_version:
            return
        self._seen_version = version
        for doc_id in [*self._open, *self._bare]:
            self.catch_up(doc_id)

    def catch_up(self, doc_id: str) -> None:
        """Bring the cached copy of `doc_id` (if any) up to the stored heads."""
        with self._mutex:
            cached = self._cached(doc_id)
            if cached is None:
                return
            try:
                stored = self.db.documents.heads(doc_id)
            except UnknownDocument:
                self.close_document(doc_id)
                return
            if sorted(stored) == sorted(cached.heads()):
                return
            loaded = self._loaded.setdefault(doc_id, _Loaded())
            newer = self.db.documents.read(doc_id, after=loaded.last_row,
                                           generation=loaded.generation)
            try:
                changes = self._changes_of(cached, newer.snapshot, newer.chunks)
                self._absorb(doc_id, changes)
            except BadChange:
                pass  # damaged rows: the full reload below reports them
            if sorted(stored) == sorted(self._cached_heads(doc_id)):
                loaded.covered += [i for i, _ in newer.chunks]
                loaded.generation = newer.generation
            else:
                self._reload(doc_id)

    def _cached(self, doc_id: str) -> Doc | None:
        found = self._open.get(doc_id)
        return found.doc if found is not None else self._bare.get(doc_id)

    def _cached_heads(self, doc_id: str) -> list[bytes]:
        cached = self._cached(doc_id)
        return cached.heads() if cached is not None else []

    @staticmethod
    def _changes_of(cached: Doc, snapshot: bytes | None,
                    rows: list[tuple[int, bytes]]) -> list[bytes]:
        changes: list[bytes] = []
        if snapshot is not None:  # compacted by another process: its changes we lack
            whole = Doc.load(snapshot)
            known = whole.change_hashes()
            changes += whole.change_bytes([h for h in cached.heads() if h in known])
        for _, data in rows:
            changes += [info.data for info in iter_chunks(data)]
        return changes

    def _absorb(self, doc_id: str, changes: list[bytes]) -> None:
        replica = self._open.get(doc_id)
        if replica is not None:
            replica.absorb(changes)
            return
        bare = self._bare[doc_id].fork()
        bare.apply(changes)
        self._bare[doc_id] = bare

    def _reload(self, doc_id: str) -> None:
        """Load the document afresh into its open replica (or bare copy)."""
        doc, loaded = self._load(doc_id)
        self._loaded[doc_id] = loaded
        replica = self._open.get(doc_id)
        if replica is not None:
            replica.replace(doc)
        else:
            self._bare[doc_id] = doc

    # -- receiving ----------------------------------------------------------------------

    def apply_batch(self, doc_id: str, changes: Sequence[bytes],
                    origin: str = "peer") -> BatchResult:
        """Apply received changes all-or-nothing, idempotently (Replica.apply_batch).

        A document this home has never seen is created empty to receive them (its first
        change arrives in the batch); if the batch is refused, it is removed again.
        """
        with self.transaction():
            return self._apply_one(doc_id, changes, origin)

    def apply_batches(
        self, batches: Mapping[str, Sequence[bytes]], origin: str = "peer",
        parsed: Mapping[str, Sequence[ChunkInfo]] | None = None,
    ) -> dict[str, BatchResult | MissingDependencies]:
        """Apply received batches for several documents in ONE durable transaction.

        Per document the answer is its BatchResult, or the MissingDependencies that
        refused its batch whole (the other documents' batches still apply). BadChange
        (bytes that are not changes, or that automerge refuses) refuses every batch:
        nothing of any of them is stored. One commit instead of one per document is
        what lets a sync bring fifty documents in without fifty fsyncs.

        `parsed`: per document, its batch as the receive gate parsed it (`parse_changes`
        of the same items, in order), every change one this replica does not hold:
        then what was applied need not be read back from automerge (`_applied`).
        """
        results: dict[str, BatchResult | MissingDependencies] = {}
        with self.transaction():
            for doc_id, changes in batches.items():
                try:
                    if doc_id in self._open:
                        results[doc_id] = self._apply_one(doc_id, changes, origin)
                    else:
                        results[doc_id] = self._apply_bare(
                            doc_id, changes, origin, (parsed or {}).get(doc_id))
                except MissingDependencies as missing:
                    results[doc_id] = missing
        return results

    def _apply_bare(self, doc_id: str, changes: Sequence[bytes], origin: str,
                    parsed: Sequence[ChunkInfo] | None = None) -> BatchResult:
        """Replica.apply_batch's guarantees for a document not open as a Replica.

        Same steps: apply to a fork, refuse the batch whole when some of it builds on
        changes this replica lacks, persist, then swap the fork in. Two savings a sync
        needs: no journal index is read (BatchResult.entries stays empty), and the batch
        is parsed change by change only when automerge did not apply every item as a
        new change (duplicates, missing dependencies or bad bytes).
        """
        created = not self.has_document(doc_id)
        if created:
            if not changes:
                return BatchResult()
            base = Doc()
        else:
            self.catch_up(doc_id)
            base = self.document(doc_id)
        heads_before = base.heads()
        candidate = base.fork()
        try:
            candidate.apply(list(changes))
        except BadChange:  # say which item is bad
            parse_changes(changes)
            raise
        hashes, data = _applied(candidate, heads_before, changes, parsed)
        if len(hashes) != len(changes):
            infos = {info.hash: info for info in parse_changes(changes)}
            new_hashes = set(hashes)
            rest = [h for h in infos if h not in new_hashes]
            if rest and not base.has(rest):
                waiting = [h for h in rest if not base.has([h])]
                deps = {d for h in waiting for d in infos[h].deps
                        if d not in infos and d not in new_hashes}
                raise MissingDependencies(waiting, sorted(d for d in deps if not base.has([d])))
        if not hashes:
            return BatchResult()
        if created:
            self.db.documents.create(doc_id)
            self._loaded[doc_id] = _Loaded()
        self._append(doc_id, data, origin, candidate.heads())
        # A rollback of the transaction must drop the swapped-in fork.
        self.db.on_rollback(lambda: self.close_document(doc_id))
        self._bare[doc_id] = candidate
        return BatchResult(tuple(hashes), (), tuple(data))

    def _apply_one(self, doc_id: str, changes: Sequence[bytes], origin: str) -> BatchResult:
        with self._mutex:
            created = False
            if not self.has_document(doc_id):
                self.db.documents.create(doc_id)
                created = True
                self._loaded[doc_id] = _Loaded()
                self._adopt(doc_id, Doc())
            try:
                replica = self.replica(doc_id)
                self.catch_up(doc_id)
                return replica.apply_batch(changes, origin)
            except BaseException:
                if created:
                    self.close_document(doc_id)
                    self.db.documents.remove(doc_id)
                raise

    def store_snapshot(self, doc_id: str, snapshot: bytes, heads: Sequence[bytes]) -> None:
        """Store a whole document received as a checked `save()` for a document not held
        here (the caller has loaded it: whole and readable, with `heads`). ValueError when
        the document is held already (its changes must go through `apply_batch`)."""
        self.db.documents.add_snapshot(doc_id, snapshot, heads)

    # -- writing -----------------------------------------------------------------------

    def _append(self, doc_id: str, changes: list[bytes], origin: str,
                heads: list[bytes]) -> None:
        nested = self.db.in_transaction
        chunk = self.db.documents.add_chunk(doc_id, changes, origin, heads)
        if origin == "local":
            self.db.own_changes.add(doc_id, (i.hash for i in parse_changes(changes)))
        if nested:  # a failure later in the transaction rolls this row back
            self.db.on_rollback(lambda: self.close_document(doc_id))
        self._loaded.setdefault(doc_id, _Loaded()).covered.append(chunk)
        self._compact_later.add(doc_id)
        if not nested:
            self._run_compactions()

    def _run_compactions(self) -> None:
        # Inside a transaction, the outermost one runs them after its commit.
        if not self.db.in_transaction and not self.compact_when_asked:
            self.compact_due()

    def compact_due(self) -> int:
        """Run the compactions the writes since the last ones call for; how many ran
        (with `compact_when_asked`, only this runs them)."""
        with self._mutex:
            pending, self._compact_later = self._compact_later, set()
            return self._compact(pending)

    def _compact(self, pending: set[str]) -> int:
        ran = 0
        for doc_id in sorted(pending):
            if doc_id not in self._open and doc_id not in self._bare:
                continue
            count, size = self.db.documents.stats(doc_id)
            if count > self.compact_chunks or size > self.compact_bytes:
                self._compact_after_write(doc_id)
                ran += 1
        return ran

    def _compact_after_write(self, doc_id: str) -> None:
        # The write itself is durable already; a failed compaction only costs space.
        try:
            self.compact(doc_id)
        except Exception as problem:  # the store's own errors: report, keep the chunks
            self._note(Damage(doc_id, "compaction", "nothing", f"all chunks ({problem})"))

    def compact(self, doc_id: str) -> None:
        """Write a new snapshot and delete the chunks it covers, in one transaction.

        Damaged rows and a damaged snapshot are moved to lost_chunks, not deleted.
        """
        with self._mutex, self.transaction():
            self.catch_up(doc_id)  # the snapshot must hold what other processes wrote too
            doc = self.document(doc_id)
            loaded = self._loaded[doc_id]
            self.db.documents.compact(doc_id, doc.save(), doc.heads(), loaded.covered,
                                      loaded.damaged, loaded.snapshot_bad)
            self._loaded[doc_id] = _Loaded(generation=loaded.generation + 1)

    def take_out(self, doc_id: str, changes: set[bytes],
                 why: Callable[[bytes], tuple[str, str]]) -> set[bytes]:
        """Take `changes`, and every change held that builds on one of them, out of the
        document, in one transaction; what was taken out (kept in set_aside with its
        bytes, the device and the reason `why(hash)` gives). The document is then the
        one every office that never held them has: its heads are theirs."""
        with self._mutex, self.transaction():
            self.catch_up(doc_id)
            doc = self.document(doc_id)
            graph = doc.change_graph()
            out = _descendants(graph, {h for h in changes if h in graph})
            if not out:
                return set()
            kept = set(graph) - out
            below = {d for h in kept for d in graph[h]}
            remaining = doc.fork(sorted(kept - below))
            rows = []
            for change in doc.changes():
                if change.hash in out:
                    device, reason = why(change.hash)
                    rows.append((change.hash, change.bytes, device, reason))
            self.db.set_aside.add(doc_id, rows)
            self.db.documents.replace(doc_id, remaining.save(), remaining.heads())
            self._loaded[doc_id] = _Loaded(generation=self._loaded.get(
                doc_id, _Loaded()).generation + 1)
            self.db.on_rollback(lambda: self.close_document(doc_id))
            replica = self._open.get(doc_id)
            if replica is not None:
                replica.replace(remaining)
            else:
                self._bare[doc_id] = remaining
            return out

    def chunk_stats(self, doc_id: str) -> tuple[int, int]:
        return self.db.documents.stats(doc_id)

    def lost_chunks(self, doc_id: str | None = None) -> list[tuple[int, str, str, str]]:
        return self.db.documents.lost(doc_id)

    # -- loading -----------------------------------------------------------------------

    def _load(self, doc_id: str) -> tuple[Doc, _Loaded]:
        stored = self.db.documents.read(doc_id)
        doc, loaded = assemble(stored.snapshot, stored.chunks)
        loaded.generation = stored.generation
        if loaded.damaged or loaded.snapshot_bad is not None:
            self._report_load(doc_id, doc, stored.snapshot, loaded)
        return doc, loaded

    def _report_load(self, doc_id: str, doc: Doc, snapshot: bytes | None,
                     loaded: _Loaded) -> None:
        kept = (
            f"{len(loaded.covered)} chunk row(s)"
            + (" and the snapshot" if snapshot and loaded.snapshot_bad is None else "")
            + f" ({len(doc.heads())} head(s)); peers may still hold what was lost"
        )
        if loaded.snapshot_bad is not None:
            self._note(Damage(doc_id, "snapshot", f"the snapshot ({loaded.snapshot_bad})", kept))
        for chunk_id, problem in sorted(loaded.damaged.items()):
            self._note(Damage(doc_id, f"chunk {chunk_id}", f"its changes ({problem})", kept))

    def scan(self) -> None:
        """Check every stored snapshot and chunk's checksums; report what fails."""
        for doc_id, snapshot in self.db.documents.every_snapshot():
            try:
                parts = list(iter_chunks(snapshot))
                if len(parts) != 1 or parts[0].kind != CHUNK_DOCUMENT:
                    raise BadChange("not one document chunk")
            except BadChange as problem:
                self._note(Damage(
                    doc_id, "snapshot", f"the snapshot ({problem})",
                    "its chunk rows; the document will be rebuilt from them where it can",
                ))
        for chunk_id, doc_id, data in self.db.documents.every_chunk():
            try:
                list(iter_chunks(data))
            except BadChange as problem:
                self._note(Damage(
                    doc_id, f"chunk {chunk_id}", f"its changes ({problem})",
                    "every other row of the document",
                ))

    def _note(self, damage: Damage) -> None:
        key = (damage.doc_id, damage.part)
        if key not in self._reported:
            self._reported.add(key)
            self.report.append(damage)


def assemble(snapshot: bytes | None, rows: Sequence[tuple[int, bytes]]) -> tuple[Doc, _Loaded]:
    """A document from its snapshot and chunk rows: all in one load when every row is
    intact, else piece by piece, keeping what applies and naming what does not.

    The one load is tried first, on the stored bytes as they are: automerge checks
    every chunk's checksum as it loads (a flipped byte anywhere fails it), so the
    rows are parsed and checked here only when it fails."""
    try:
        return (Doc.load((snapshot or b"") + b"".join(data for _, data in rows)),
                _Loaded([chunk_id for chunk_id, _ in rows]))
    except BadChange:
        pass
    good: list[tuple[int, list[ChunkInfo]]] = []
    damaged: dict[int, str] = {}
    for chunk_id, data in rows:
        try:
            infos = list(iter_chunks(data))
            if any(i.kind == CHUNK_DOCUMENT for i in infos):
                raise BadChange("a snapshot where changes belong")
            good.append((chunk_id, infos))
        except BadChange as problem:
            damaged[chunk_id] = str(problem)
    if not damaged:
        whole = (snapshot or b"") + b"".join(i.data for _, infos in good for i in infos)
        try:
            return Doc.load(whole), _Loaded([c for c, _ in good])
        except BadChange:
            pass
    return _piece_by_piece(snapshot, good, damaged)


def _piece_by_piece(
    snapshot: bytes | None, good: list[tuple[int, list[ChunkInfo]]], damaged: dict[int, str],
) -> tuple[Doc, _Loaded]:
    loaded = _Loaded([], dict(damaged))
    doc = Doc()
    if snapshot:
        try:
            doc = Doc.load(snapshot)
        except BadChange as problem:
            loaded.snapshot_bad = f"snapshot unreadable: {problem}"
    known = doc.change_hashes()
    pending = list(good)
    progress = True
    while pending and progress:
        progress = False
        for item in list(pending):
            chunk_id, infos = item
            ours = {i.hash for i in infos}
            if any(d not in known and d not in ours for i in infos for d in i.deps):
                continue  # waits for a row still pending, or for lost changes
            before = doc.heads()
            try:
                doc.apply([i.data for i in infos])
            except BadChange as problem:
                loaded.damaged[chunk_id] = f"automerge refused it: {problem}"
                pending.remove(item)
                continue
            known |= doc.change_hashes(before)
            pending.remove(item)
            progress = True
            if ours <= known:
                loaded.covered.append(chunk_id)
            else:
                loaded.damaged[chunk_id] = "some of its changes could not be applied"
    for chunk_id, _ in pending:
        loaded.damaged[chunk_id] = "builds on changes that were lost"
    return doc, loaded


def _descendants(graph: Mapping[bytes, Sequence[bytes]], starts: set[bytes]) -> set[bytes]:
    """`starts` and every change of `graph` that builds on one of them."""
    children: dict[bytes, list[bytes]] = {}
    for change, deps in graph.items():
        for dep in deps:
            children.setdefault(dep, []).append(change)
    found = set(starts)
    todo = list(starts)
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _applied(candidate: Doc, heads_before: Sequence[bytes], changes: Sequence[bytes],
             parsed: Sequence[ChunkInfo] | None) -> tuple[list[bytes], list[bytes]]:
    """The hashes and bytes of the changes `candidate` holds beyond `heads_before`.

    Read back from automerge (a call per change and field), unless the batch came
    parsed, none of it held before, and the candidate's heads are the ones the batch
    leads to: each of its changes lies below one of those heads, so automerge applied
    every one of them, and it was handed nothing else. (They are kept in the order
    they came: automerge loads a document's changes in any order.)"""
    if parsed is not None and len(parsed) == len(changes):
        batch = {info.hash for info in parsed}
        below = set().union(*(info.deps for info in parsed))
        if len(batch) == len(parsed) and set(candidate.heads()) == (
                (set(heads_before) | batch) - below):
            return [i.hash for i in parsed], [i.data for i in parsed]
    return candidate.hashes_and_bytes(heads_before)
