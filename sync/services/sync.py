"""Sync through the facade (the office's part): sync now, bundles, what peers have seen,
and which of this office's edits no peer holds yet.

`SyncMixin` is mixed into `sync.office.Office`. The UI holds the home's lock while it runs,
so a sync from the UI goes over the office's own open store (not a `HomeGate`, which would
open the home a second time and find it busy).

Unsynced edits, precisely: a journal entry is unsynced when this device wrote it
(`entry.device == office.device`) and it is not in the journal the document had at any
peer record's heads, where a peer record is a sync after which both sides held the same
heads for that document (`sync.protocol.peer_records`). Both sides keep every change they
hold, so an entry present at those heads is held by that peer. Found per document from
the journal's keys now and at each peer's heads, and cached in the store keyed by the
document's heads and the peer heads (`Store.cached_measures`), so an unchanged document is
never opened again to count them.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vledger.sync.services.permissions import Refusal

if TYPE_CHECKING:
    from vledger.sync.documents.replicas import Replicas
    from vledger.sync.link.bundle import BundleSummary
    from vledger.sync.services.office import Office

    _Base = Office
else:
    _Base = object

Progress = Callable[[str], None]  # what is being done now, for a progress line
Cell = tuple[str, str, str, str]  # program, village, row, column

UNSYNCED_KEY = "__unsynced__"  # a reserved "program" in the store's measures cache
UNSYNCED_VERSION = "unsynced-1"
SYNC_TIMEOUT = 15.0


@dataclass(frozen=True)
class PeerStatus:
    """One peer this office synced with: when last, and how many of our changes it lacks."""

    peer: str  # office:device, as the store names it
    office: str
    device: str
    last_sync: str  # ISO 8601, this machine's clock
    unconfirmed: int  # changes of ours the peer has not confirmed holding


@dataclass(frozen=True)
class SyncResult:
    """What one `sync_with` did, with the bytes that went each way."""

    address: str
    peer: str  # office:device, as `peers()` names it
    peer_office: str
    converged: bool
    documents: int
    sent: int  # changes pushed
    received: int  # changes new to this home
    bytes_sent: int
    bytes_received: int


def status_of(store: Replicas) -> dict[str, Any]:
    """Documents held and, per known peer, its last sync and the changes it has not confirmed
    (`vledger status --json`). Reads documents without building their journal index."""
    from vledger.sync.link.session import Identity, own_documents, peer_records

    me = Identity.of(store)
    docs = own_documents(store, me.township)
    counts = {d: store.document(d).change_count() for d in docs}
    peers: dict[str, dict[str, Any]] = {}
    for record in peer_records(store):
        entry = peers.setdefault(record.peer, {
            "peer": record.peer, "office": record.office, "device": record.device,
            "last_sync": record.at, "confirmed": {},
        })
        entry["last_sync"] = max(entry["last_sync"], record.at)
        entry["confirmed"][record.doc] = record.heads
    listed = []
    for entry in peers.values():
        unconfirmed = 0
        for doc in docs:
            heads = entry["confirmed"].get(doc)
            if heads is None:
                unconfirmed += counts[doc]
            else:
                unconfirmed += len(store.document(doc).change_hashes(heads))
        listed.append({k: v for k, v in entry.items() if k != "confirmed"}
                      | {"unconfirmed": unconfirmed})
    return {
        "office": me.office, "township": me.township, "device": me.device,
        "documents": [
            {"id": d, "changes": counts[d], "heads": [h.hex() for h in docs[d]]}
            for d in sorted(docs)
        ],
        "peers": sorted(listed, key=lambda p: p["peer"]),
    }


class SyncMixin(_Base):
    # -- sync now -----------------------------------------------------------------------

    def sync_with(
        self, address: str, *, timeout: float = SYNC_TIMEOUT, progress: Progress | None = None,
        attempts: int = 2,
    ) -> SyncResult:
        """Exchange changes with the peer at HOST:PORT until both hold the same (blocking).

        Refusal for a bad address or a peer that refuses us; `sync.peer.Unreachable` when
        it cannot be reached in `attempts` tries. From a running event loop (the UI), await
        `sync_with_async` instead.
        """
        return asyncio.run(self.sync_with_async(
            address, timeout=timeout, progress=progress, attempts=attempts))

    async def sync_with_async(
        self, address: str, *, timeout: float = SYNC_TIMEOUT, progress: Progress | None = None,
        attempts: int = 2,
    ) -> SyncResult:
        from vledger.sync.link.session import Identity, PeerRefused
        from vledger.sync.link.transport import (
            RETRY_ERRORS,
            Backoff,
            Connection,
            Unreachable,
            parse_address,
        )

        try:
            host, port = parse_address(address)
        except ValueError as problem:
            raise Refusal(str(problem)) from None
        me = Identity.of(self.store)
        say = progress or (lambda _text: None)
        backoff = Backoff()
        last = "no attempt made"
        for attempt in range(1, attempts + 1):
            say(f"connecting to {host}:{port}" + (f" (try {attempt})" if attempt > 1 else ""))
            conn: Connection | None = None
            try:
                conn = await _open_link(self.store, host, port, timeout)
                result = await self._exchange(me, conn, address, say)
                if result.converged:
                    return result
                last = "the peer's documents kept changing"
            except PeerRefused as refused:
                if refused.code not in ("busy", "internal"):
                    raise Refusal(f"{address} refused the sync: {refused.message}") from None
                last = refused.message
            except RETRY_ERRORS as problem:  # unreachable, cut or garbled: try again
                last = _describe(problem)
            finally:
                if conn is not None:
                    await conn.close()
            if attempt < attempts:
                await asyncio.sleep(backoff.next())
        raise Unreachable(f"could not sync with {address}: {last}")

    async def _exchange(self, me: Any, conn: Any, address: str, say: Progress) -> SyncResult:
        import contextlib

        from vledger.sync.link.frames import write_frame
        from vledger.sync.link.session import Initiator

        frames = 0

        async def ask(frame: Any) -> Any:
            nonlocal frames
            frames += 1
            say(f"exchanging with {address}: frame {frames}, "
                f"{conn.traffic.sent + conn.traffic.received} bytes")
            return await conn.ask(frame)

        initiator = Initiator(me, ask)
        outcome = await initiator.run(self.store)
        with contextlib.suppress(Exception):
            await write_frame(conn.writer, {"t": "bye"}, 1.0)
        return SyncResult(
            address=address, peer=initiator.peer or outcome.peer_office,
            peer_office=outcome.peer_office, converged=outcome.converged,
            documents=outcome.documents, sent=outcome.sent, received=outcome.received,
            bytes_sent=conn.traffic.sent, bytes_received=conn.traffic.received,
        )

    # -- bundles ------------------------------------------------------------------------

    def export_bundle(self, path: Path, for_office: str | None = None) -> BundleSummary:
        """Write what `for_office` may lack (by its last sync), or everything, to `path`."""
        from vledger.sync.link.bundle import BundleRefused, export_bundle

        try:
            return export_bundle(self.store, Path(path), for_office)
        except BundleRefused as problem:
            raise Refusal(f"{path}: {problem}") from None
        except OSError as problem:
            raise Refusal(f"{path}: cannot write it ({problem.strerror or problem})") from None

    def import_bundle(self, path: Path) -> BundleSummary:
        """Apply a bundle file; refused whole (nothing stored) when it does not fit."""
        from vledger.sync.link.bundle import BundleRefused, import_bundle

        try:
            return import_bundle(self.store, Path(path))
        except BundleRefused as problem:
            raise Refusal(f"{path}: refused, nothing changed: {problem}") from None
        except OSError as problem:
            raise Refusal(f"{path}: cannot read it ({problem.strerror or problem})") from None

    # -- what peers have seen -----------------------------------------------------------

    def peers(self) -> list[PeerStatus]:
        """Every peer this home synced with, as `vledger status` lists them."""
        return [
            PeerStatus(p["peer"], p["office"], p["device"], p["last_sync"], p["unconfirmed"])
            for p in status_of(self.store)["peers"]
        ]

    def data_version(self) -> str:
        """Changes whenever any held document changes; one query, no document opened (the
        ranking and conflicts screens poll it every second)."""
        # The store has no call listing every document's heads at once; this reads the
        # same column `Store.heads` does, in one statement.
        return self.store.data_version()

    def unsynced_cells(self, program: str, village: str) -> set[tuple[str, str]]:
        """(row, column) of the ledger cells whose edits by this device no peer holds yet."""
        document = self.village_doc_id(village)
        if not self.store.has_document(document):
            return set()
        return {(c[2], c[3]) for c in self._unsynced(document)
                if c[0] == program and c[1] == village}

    def unsynced_edits(self) -> int:
        """How many edits made on this device no peer holds yet (every held document)."""
        return sum(len(self._unsynced(d)) for d in self._documents())

    def last_sync(self) -> PeerStatus | None:
        """The peer record of the most recent sync that ended in step (None: never)."""
        from vledger.sync.link.session import peer_records

        records = peer_records(self.store)
        if not records:
            return None
        newest = max(records, key=lambda r: r.at)
        return PeerStatus(newest.peer, newest.office, newest.device, newest.at, 0)

    def _unsynced(self, document: str) -> list[Cell]:
        from vledger.sync.link.session import peer_records

        store = self.store
        heads = store.heads(document)
        confirmed = sorted(sorted(r.heads) for r in peer_records(store) if r.doc == document)
        version = _unsynced_version(self.device, confirmed)
        cached = store.cached_measures(document, UNSYNCED_KEY, heads, version)
        if isinstance(cached, list):
            try:
                return [(str(p), str(v), str(r), str(c)) for p, v, r, c in cached]
            except (TypeError, ValueError):
                pass  # a damaged cache row is only a miss
        found = self._find_unsynced(document, confirmed)
        if store.heads(document) == heads:  # not written meanwhile: the result is for `heads`
            store.cache_measures(document, UNSYNCED_KEY, heads, [list(c) for c in found],
                                 version)
        return found

    def _find_unsynced(self, document: str, confirmed: list[list[bytes]]) -> list[Cell]:
        from vledger.sync.binding.doc import ROOT
        from vledger.sync.documents.journal import decode_entry
        from vledger.sync.documents.replica import JOURNAL
        from vledger.sync.link.session import known_hashes

        store = self.store
        was_loaded = store.is_open(document)
        doc = store.document(document)
        try:
            journal = doc.map_id(ROOT, JOURNAL)
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
                data = doc.read(journal, key)
                if not isinstance(data, bytes):
                    continue
                try:
                    entry = decode_entry(key, data)
                except ValueError:  # an unreadable entry is reported by the history
                    continue
                if entry.device == self.device:
                    cells.append((entry.program, entry.village, entry.row, entry.column))
            return cells
        finally:
            if not was_loaded and document != self.township_doc_id:
                store.close_document(document)


async def _open_link(store: Replicas, host: str, port: int, timeout: float) -> Any:
    """A link to the peer, checked as the sync layer checks it (TLS and the server's key
    when the sync layer has them: `sync.peer.open_checked`)."""
    from vledger.sync.link import transport as peer

    open_checked = getattr(peer, "open_checked", None)
    if open_checked is not None:
        return await open_checked(store, host, port, timeout)
    return await peer.Connection.open(host, port, timeout)


def _unsynced_version(device: str, confirmed: list[list[bytes]]) -> str:
    digest = hashlib.sha256(device.encode())
    for heads in confirmed:
        digest.update(b"".join(heads) + b"\x00")
    return f"{UNSYNCED_VERSION}:{digest.hexdigest()}"


def _describe(problem: BaseException) -> str:
    if isinstance(problem, TimeoutError):
        return "no answer in time"
    if isinstance(problem, ConnectionRefusedError):
        return "connection refused (is `vledger serve` running there?)"
    return str(problem) or type(problem).__name__
