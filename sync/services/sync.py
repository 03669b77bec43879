"""Sync acts: sync now with a peer, bundles, what peers have seen, and which of this
office's edits no peer holds yet.

Each act is one function over the home's `Replicas` (`status`, `export_bundle`,
`import_bundle`), called by both front ends: by `SyncService` over the open office's
documents, and by home_sync.py for the command line, which opens the home for the act.

Unsynced edits, precisely: a journal entry is unsynced when this device wrote it and it is
not in the journal the document had at any peer record's heads, where a peer record is a
sync after which both sides held the same heads for that document
(`link.session.peer_records`). Both sides keep every change they hold, so an entry present
at those heads is held by that peer. Found per document from the journal's keys now and at
each peer's heads, and cached in the store keyed by the document's heads and the peer heads
(the store's caches), so an unchanged document is never opened again to count them.

Nothing here imports the link (or cryptography) until an act needs it: the office is on
every start-up path.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vledger.errors import Unreachable
from vledger.sync.documents.replicas import Replicas
from vledger.sync.services.context import OfficeContext
from vledger.sync.services.permissions import Refusal

if TYPE_CHECKING:
    from vledger.sync.link.bundle import BundleSummary
    from vledger.sync.link.session import Identity
    from vledger.sync.link.transport import Connection
    from vledger.sync.services.brought import Brought

__all__ = ["PeerStatus", "SyncResult", "SyncService", "Unreachable", "export_bundle",
           "import_bundle", "status"]

Progress = Callable[[str], None]  # what is being done now, for a progress line
Cell = tuple[str, str, str, str]  # program, village, row, column
UNSYNCED_KEY = "__unsynced__"  # a reserved "program" in the store's measures cache
UNSYNCED_VERSION = "unsynced-1"
SYNC_TIMEOUT = 15.0
REFUSALS_SHOWN = 50  # of the refusal log, in `status`


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
    brought: Brought | None = None  # what went each way and who moved


# -- the acts, over a store ------------------------------------------------------------------


def me_of(store: Replicas) -> Identity:
    """The home's identity for a sync; refused when the home has no office (or no key)."""
    from vledger.sync.link.session import Identity, NoOffice

    try:
        return Identity.of(store)
    except NoOffice as problem:
        raise Refusal(str(problem)) from None


EARLIEST_SENSIBLE_YEAR = 2024  # vledger did not exist before: a clock saying so is wrong


def clock_problem(now: datetime | None = None) -> str | None:
    """What is wrong with this computer's clock, if it is obviously wrong: every edit
    records its time, and a clerk should set it right before working."""
    now = now or datetime.now().astimezone()
    if now.year < EARLIEST_SENSIBLE_YEAR:
        return (f"this computer's clock says {now:%Y-%m-%d %H:%M}: set the right date and "
                "time (edits are recorded with it; syncing still works)")
    return None


def status(store: Replicas) -> dict[str, Any]:
    """`vledger status --json`: documents held; per known peer, its last sync and the
    changes it has not confirmed; and the latest received changes refused. Reads the
    documents without building their journal index."""
    from vledger.sync.link.session import own_documents, peer_records
    from vledger.sync.trust.signatures import refusal_log

    me = me_of(store)
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
        "refused": [r.to_json_dict() for r in refusal_log(store, REFUSALS_SHOWN)],
        "damage": [str(d) for d in store.report],
        "set_aside": [{"doc": r.doc, "change": r.change.hex(), "device": r.device,
                       "reason": r.reason, "at": r.at} for r in store.db.set_aside.list()],
    }


def export_bundle(store: Replicas, path: Path, for_office: str | None = None) -> BundleSummary:
    """Write what `for_office` may lack (by its last sync), or everything, to `path`."""
    from vledger.sync.link.bundle import BundleRefused
    from vledger.sync.link.bundle import export_bundle as export
    from vledger.sync.link.session import NoOffice

    try:
        return export(store, Path(path), for_office)
    except (NoOffice, BundleRefused) as problem:
        raise Refusal(f"{path}: {problem}") from None
    except OSError as problem:
        raise Refusal(f"{path}: cannot write it ({problem.strerror or problem})") from None


def import_bundle(store: Replicas, path: Path) -> BundleSummary:
    """Apply a bundle file; refused whole (nothing stored) when it does not fit. Changes
    refused one by one (never applied) are listed in the summary's `refused`."""
    from vledger.sync.link.bundle import BundleRefused
    from vledger.sync.link.bundle import import_bundle as load
    from vledger.sync.link.session import NoOffice

    try:
        return load(store, Path(path))
    except (NoOffice, BundleRefused) as problem:
        raise Refusal(f"{path}: refused, nothing changed: {problem}") from None
    except OSError as problem:
        raise Refusal(f"{path}: cannot read it ({problem.strerror or problem})") from None


def address_of(text: str) -> tuple[str, int]:
    """HOST:PORT as typed; refused when it is not one."""
    from vledger.sync.link.transport import parse_address

    try:
        return parse_address(text)
    except ValueError as problem:
        raise Refusal(str(problem)) from None


# -- the open office's sync ------------------------------------------------------------------


class SyncService:
    """Sync over the open office's store (see the module docstring)."""

    def __init__(self, context: OfficeContext) -> None:
        self._context = context

    async def sync_with_async(
        self, address: str, *, timeout: float = SYNC_TIMEOUT, progress: Progress | None = None,
        attempts: int = 2,
    ) -> SyncResult:
        """Exchange changes with the peer at HOST:PORT until both hold the same.

        Refusal for a bad address or a peer that refuses us; Unreachable when it cannot
        be reached in `attempts` tries.
        """
        from vledger.sync.link.session import PeerRefused
        from vledger.sync.link.transport import RETRY_ERRORS, Backoff, open_checked

        host, port = address_of(address)
        store = self._context.store
        me = me_of(store)
        say = progress or (lambda _text: None)
        backoff = Backoff()
        last = "no attempt made"
        for attempt in range(1, attempts + 1):
            say(f"connecting to {host}:{port}" + (f" (try {attempt})" if attempt > 1 else ""))
            conn: Connection | None = None
            try:
                conn = await open_checked(store, host, port, timeout)
                result = await _exchange(store, me, conn, address, say)
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

    def status(self) -> dict[str, Any]:
        """As `vledger status --json` (the same function the command calls)."""
        return status(self._context.store)

    def peers(self) -> list[PeerStatus]:
        """Every peer this home synced with, as `vledger status` lists them."""
        return [
            PeerStatus(p["peer"], p["office"], p["device"], p["last_sync"], p["unconfirmed"])
            for p in self.status()["peers"]
        ]

    def last_sync(self) -> PeerStatus | None:
        """The peer record of the most recent sync that ended in step (None: never)."""
        from vledger.sync.link.session import peer_records

        records = peer_records(self._context.store)
        if not records:
            return None
        newest = max(records, key=lambda r: r.at)
        return PeerStatus(newest.peer, newest.office, newest.device, newest.at, 0)

    def export_bundle(self, path: Path, for_office: str | None = None) -> BundleSummary:
        return export_bundle(self._context.store, path, for_office)

    def import_bundle(self, path: Path) -> BundleSummary:
        return import_bundle(self._context.store, path)

    def data_version(self) -> str:
        """Changes whenever any held document changes; one query, no document opened (the
        ranking and conflicts screens poll it every second)."""
        return self._context.store.db.documents.digest()

    def unsynced_cells(self, program: str, village: str) -> set[tuple[str, str]]:
        """(row, column) of the ledger cells whose edits by this device no peer holds yet."""
        context = self._context
        if not context.holds(village):
            return set()
        return {(c[2], c[3]) for c in _unsynced(context, context.village_doc_id(village))
                if c[0] == program and c[1] == village}

    def unsynced_edits(self) -> int:
        """How many edits made on this device no peer holds yet (every held document)."""
        return sum(len(_unsynced(self._context, d)) for d in self._context.documents())


async def _exchange(
    store: Replicas, me: Identity, conn: Connection, address: str, say: Progress
) -> SyncResult:
    from vledger.sync.link.frames import Frame, write_frame
    from vledger.sync.link.session import Initiator
    from vledger.sync.services.brought import link_brought

    frames = 0

    async def ask(frame: Frame) -> Frame:
        nonlocal frames
        frames += 1
        say(f"exchanging with {address}: frame {frames}, "
            f"{conn.traffic.sent + conn.traffic.received} bytes")
        return await conn.ask(frame)

    initiator = Initiator(me, ask)
    outcome = await initiator.run(store)
    with contextlib.suppress(Exception):
        await write_frame(conn.writer, {"t": "bye"}, 1.0)
    told = link_brought(store, me.township, outcome.peer_office, outcome)
    return SyncResult(
        address=address, peer=initiator.peer or outcome.peer_office,
        peer_office=outcome.peer_office, converged=outcome.converged,
        documents=outcome.documents, sent=outcome.sent, received=outcome.received,
        bytes_sent=conn.traffic.sent, bytes_received=conn.traffic.received, brought=told,
    )


def _describe(problem: BaseException) -> str:
    if isinstance(problem, TimeoutError):
        return "no answer in time"
    if isinstance(problem, ConnectionRefusedError):
        return "connection refused (is `vledger serve` running there?)"
    return str(problem) or type(problem).__name__


# -- edits no peer holds yet --------------------------------------------------------------


def _unsynced(context: OfficeContext, document: str) -> list[Cell]:
    """The cells of `document` whose edits by this device no peer holds yet."""
    from vledger.sync.link.session import peer_records

    store = context.store
    heads = store.heads(document)
    confirmed = sorted(sorted(r.heads) for r in peer_records(store) if r.doc == document)
    version = _unsynced_version(context.me.device, confirmed)
    cached = store.db.caches.get(document, UNSYNCED_KEY, heads, version)
    if isinstance(cached, list):
        try:
            return [(str(p), str(v), str(r), str(c)) for p, v, r, c in cached]
        except (TypeError, ValueError):
            pass  # a damaged cache row is only a miss
    found = _find_unsynced(context, document, confirmed)
    if store.heads(document) == heads:  # not written meanwhile: the result is for `heads`
        store.db.caches.put(document, UNSYNCED_KEY, heads, [list(c) for c in found], version)
    return found


def _find_unsynced(
    context: OfficeContext, document: str, confirmed: list[list[bytes]]
) -> list[Cell]:
    from vledger.sync.binding.doc import ROOT
    from vledger.sync.documents.journal import decode_entry
    from vledger.sync.documents.replica import JOURNAL
    from vledger.sync.link.session import known_hashes

    store = context.store
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
            if entry.device == context.me.device:
                cells.append((entry.program, entry.village, entry.row, entry.column))
        return cells
    finally:
        context.close_unless(document, was_loaded)


def _unsynced_version(device: str, confirmed: list[list[bytes]]) -> str:
    digest = hashlib.sha256(device.encode())
    for heads in confirmed:
        digest.update(b"".join(heads) + b"\x00")
    return f"{UNSYNCED_VERSION}:{digest.hexdigest()}"
