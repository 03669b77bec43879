"""Sync acts: sync now with a peer, bundles, what peers have seen, and which of this
office's edits no peer holds yet.

Each act is one function over the home's `Replicas` (`status`, `export_bundle`,
`import_bundle`), called by both front ends: by `SyncService` over the open office's
documents, and by home_sync.py for the command line, which opens the home for the act.

Unsynced edits, precisely: a journal entry is unsynced when this device wrote it and it is
not in the journal the document had at any peer record's heads, where a peer record is a
sync after which both sides held the same heads for that document
(`link.peers.peer_records`). Both sides keep every change they hold, so an entry present
at those heads is held by that peer; an add a row implies (documents/adds.py) is held with
its row. Found per document with its conflicts and brought up to date from the entries new
since they were last counted (services/counts.py), so an unchanged document is never
opened again to count them.

Where to sync: the address that last worked (kept in the home's settings), else the one
the invitation named (kept when the home joined): `address_to_offer`. `vledger sync`
with no address and the UI's sync screen both start from it.

Nothing here imports the link (or cryptography) until an act needs it: the office is on
every start-up path.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vledger.errors import Unreachable
from vledger.messages import Message
from vledger.sync.documents.replica import parse_doc_id
from vledger.sync.documents.replicas import Replicas
from vledger.sync.services.context import OfficeContext
from vledger.sync.services.permissions import Refusal
from vledger.sync.services.programs import ProgramService

if TYPE_CHECKING:
    from vledger.sync.link.bundle import BundleSummary
    from vledger.sync.link.session import Identity
    from vledger.sync.link.transport import Connection
    from vledger.sync.services.brought import Brought

__all__ = [
    "PeerStatus", "SyncResult", "SyncService", "SyncState", "Unreachable", "address_to_offer",
    "clock_problem", "export_bundle", "import_bundle", "remember_address", "status",
]

Progress = Callable[[str], None]  # what is being done now, for a progress line
SYNC_TIMEOUT = 15.0
REFUSALS_SHOWN = 50  # of the refusal log, in `status`
LAST_ADDRESS = "sync_address"  # settings: the address the last successful sync used
INVITED_ADDRESS = "invited_address"  # settings: where the invitation said the township serves


@dataclass(frozen=True)
class PeerStatus:
    """One peer this office synced with: when last, and how many of our changes it lacks."""

    peer: str  # office:device, as the store names it
    office: str
    device: str
    last_sync: str  # ISO 8601, this machine's clock
    unconfirmed: int  # changes of ours the peer has not confirmed holding


@dataclass(frozen=True)
class SyncState:
    """This office's sync, as the home screen says it: "never synced", or the last sync
    and how many edits made here no peer holds yet."""

    last_sync: PeerStatus | None
    unsynced: int | None  # None: never synced (every edit is unsynced; not counted)

    @property
    def never_synced(self) -> bool:
        return self.last_sync is None

    def message(self) -> Message:
        if self.last_sync is None or self.unsynced is None:
            return Message("sync.state.never")
        return Message("sync.state.last", office=self.last_sync.office,
                       at=self.last_sync.last_sync, count=self.unsynced)

    def text(self, lang: str) -> str:
        return self.message().text(lang)


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
        said = lost_office(store)
        raise Refusal(*(said or [str(problem)])) from None


def lost_office(store: Replicas) -> list[object]:
    """Why a home without an office may have lost one (its database was found damaged
    and set aside, now or before), and what to do; empty when nothing says so."""
    from vledger.sync.store.database import damaged_copies

    lost: list[object] = [str(d) for d in store.report if d.doc_id is None]
    if not lost:
        copies = damaged_copies(store.home)
        if copies:
            lost = [Message("sync.damaged-copy", file=str(copies[0]))]
    # Do not send a clerk whose office is in a damaged file to `init`: that makes another.
    return [*lost, Message("sync.recover-first")] if lost else []


EARLIEST_SENSIBLE_YEAR = 2024  # vledger did not exist before: a clock saying so is wrong


def clock_problem(now: datetime | None = None) -> Message | None:
    """What is wrong with this computer's clock, if it is obviously wrong: every edit
    records its time, and a clerk should set it right before working."""
    now = now or datetime.now().astimezone()
    if now.year < EARLIEST_SENSIBLE_YEAR:
        return Message("sync.clock", now=f"{now:%Y-%m-%d %H:%M}")
    return None


def address_to_offer(store: Replicas) -> str | None:
    """Where to sync when the clerk names no address: the last address that worked,
    else the invitation's; None when there is neither."""
    settings = store.db.settings
    return settings.get(LAST_ADDRESS) or settings.get(INVITED_ADDRESS) or None


def remember_address(store: Replicas, address: str) -> None:
    """Keep the address a sync just worked with, for the next `address_to_offer`."""
    if store.db.settings.get(LAST_ADDRESS) != address:
        store.db.settings.set(LAST_ADDRESS, address)


def describe(met: BaseException | str | None) -> Message | str:
    """What a failed try met, as the clerk reads it."""
    if met is None:
        return Message("sync.why.kept-changing")
    if isinstance(met, str):
        return met  # the peer's own words (it was busy)
    if isinstance(met, TimeoutError):
        return Message("sync.why.timeout")
    if isinstance(met, ConnectionRefusedError):
        return Message("sync.why.connection-refused")
    if isinstance(met, OSError) and met.strerror:
        return met.strerror
    return str(met) or type(met).__name__


def status(store: Replicas) -> dict[str, Any]:
    """`vledger status --json`: documents held, newest year first, each with its year, and
    `years` (year -> its documents); per known peer, its last sync and the
    changes it has not confirmed; and the latest received changes refused. Reads the
    documents without building their journal index."""
    from vledger.sync.link.session import own_documents
    from vledger.sync.trust.signatures import refusal_log

    me = me_of(store)
    docs = own_documents(store, me.township)
    # Every document is read to count its changes; those not open before are closed again
    # (a township does not keep every village's document in memory: design.md, Store).
    was_open = {d for d in docs if store.is_open(d)}
    try:
        counts = {d: store.document(d).change_count() for d in docs}
        unconfirmed = _unconfirmed(store, docs, counts)
        office_name, township_name = _names(store)
    finally:
        for doc in docs:
            if doc not in was_open:
                store.close_document(doc)
    documents = [
        {"id": d, "year": parse_doc_id(d)[2], "changes": counts[d],
         "heads": [h.hex() for h in docs[d]]}
        for d in sorted(docs, key=lambda d: (-parse_doc_id(d)[2], d))
    ]
    years: dict[str, list[str]] = {}
    for document in documents:
        years.setdefault(str(document["year"]), []).append(str(document["id"]))
    return {
        "office": me.office, "township": me.township, "device": me.device,
        "office_name": office_name, "township_name": township_name,
        "documents": documents,
        "years": years,
        "peers": unconfirmed,
        "refused": [r.to_json_dict() for r in refusal_log(store, REFUSALS_SHOWN)],
        "damage": [str(d) for d in store.report],
        "set_aside": [{"doc": r.doc, "change": r.change.hex(), "device": r.device,
                       "reason": r.reason, "at": r.at} for r in store.db.set_aside.list()],
    }


def _names(store: Replicas) -> tuple[str, str]:
    """This office's and its township's names from the roster ("" for a name the home
    does not hold yet, e.g. before its first sync)."""
    from vledger.sync.services.context import Me
    from vledger.sync.services.roster import RosterService

    context = OfficeContext(store, Me.of(store), "en")
    if not store.has_document(context.roster_doc_id):
        return "", ""
    who = RosterService(context).whoami()
    return who.office_name, who.township_name


def _unconfirmed(
    store: Replicas, docs: dict[str, list[bytes]], counts: dict[str, int]
) -> list[dict[str, Any]]:
    """Per known peer: its last sync and how many of our changes it has not confirmed."""
    from vledger.sync.link.peers import peer_records

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
    return sorted(listed, key=lambda p: p["peer"])


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
        raise Refusal(Message("sync.file.unwritable", file=str(path),
                              why=problem.strerror or str(problem))) from None


def import_bundle(store: Replicas, path: Path) -> BundleSummary:
    """Apply a bundle file; refused whole (nothing stored) when it does not fit. Changes
    refused one by one (never applied) are listed in the summary's `refused`."""
    from vledger.sync.link.bundle import BundleRefused
    from vledger.sync.link.bundle import import_bundle as load
    from vledger.sync.link.session import NoOffice

    try:
        return load(store, Path(path))
    except (NoOffice, BundleRefused) as problem:
        raise Refusal(Message("sync.bundle.refused", file=str(path), why=str(problem))) from None
    except OSError as problem:
        raise Refusal(Message("sync.file.unreadable", file=str(path),
                              why=problem.strerror or str(problem))) from None


def address_of(text: str) -> tuple[str, int]:
    """HOST:PORT as typed; refused when it is not one."""
    from vledger.sync.link.transport import parse_address

    try:
        return parse_address(text)
    except ValueError:
        raise Refusal(Message("sync.bad-address", address=text)) from None


# -- the open office's sync ------------------------------------------------------------------


class SyncService:
    """Sync over the open office's store (see the module docstring)."""

    def __init__(self, context: OfficeContext, programs: ProgramService) -> None:
        self._context = context
        self._programs = programs

    async def sync_with_async(
        self, address: str, *, timeout: float = SYNC_TIMEOUT, progress: Progress | None = None,
        attempts: int = 2,
    ) -> SyncResult:
        """Exchange changes with the peer at HOST:PORT until both hold the same.

        Refusal for a bad address or a peer that refuses us; Unreachable when it cannot
        be reached in `attempts` tries.
        """
        host, port = address_of(address)
        store = self._context.store
        me = me_of(store)
        was_open = {d for d in store.document_ids() if store.is_open(d)}
        try:
            return await self._sync_with(store, me, address, host, port, timeout,
                                         progress, attempts)
        finally:  # a sync reads every document: close those it opened (design.md, Store)
            for doc in store.document_ids():
                if doc not in was_open:
                    store.close_document(doc)

    async def _sync_with(
        self, store: Replicas, me: Identity, address: str, host: str, port: int,
        timeout: float, progress: Progress | None, attempts: int,
    ) -> SyncResult:
        # Here, not at the top: an office that only reads (a ranking) never loads
        # asyncio and what it brings (ssl, sockets, logging), a tenth of a second.
        import asyncio

        from vledger.sync.link.session import PeerRefused
        from vledger.sync.link.transport import RETRY_ERRORS, Backoff, open_checked

        say = progress or (lambda _text: None)
        backoff = Backoff()
        last: BaseException | str | None = None
        for attempt in range(1, attempts + 1):
            said = Message("sync.progress.connecting", address=f"{host}:{port}") \
                if attempt == 1 else \
                Message("sync.progress.retrying", address=f"{host}:{port}", attempt=attempt)
            say(said.text(self._context.lang))
            conn: Connection | None = None
            try:
                conn = await open_checked(store, host, port, timeout)
                result = await _exchange(store, me, conn, address, say, self._context.lang)
                if result.converged:
                    remember_address(store, address)
                    return result
                last = None
            except PeerRefused as refused:
                if refused.code not in ("busy", "internal"):
                    raise Refusal(Message("sync.peer-refused", address=address,
                                          why=refused.message)) from None
                last = refused.message
            except RETRY_ERRORS as problem:  # unreachable, cut or garbled: try again
                last = problem
            finally:
                if conn is not None:
                    await conn.close()
            if attempt < attempts:
                await asyncio.sleep(backoff.next())
        raise Unreachable(Message("sync.unreachable", address=address, why=describe(last)))

    def status(self) -> dict[str, Any]:
        """As `vledger status --json` (the same function the command calls)."""
        return status(self._context.store)

    def address_to_offer(self) -> str | None:
        """The address to put in front of the clerk: the last that worked, else the
        invitation's; None when there is neither."""
        return address_to_offer(self._context.store)

    def invited_address(self) -> str | None:
        """Where the invitation this office joined with said the township serves (None: a
        township, or an invitation without an address)."""
        return self._context.store.db.settings.get(INVITED_ADDRESS) or None

    def peers(self) -> list[PeerStatus]:
        """Every peer this home synced with, as `vledger status` lists them."""
        return [
            PeerStatus(p["peer"], p["office"], p["device"], p["last_sync"], p["unconfirmed"])
            for p in self.status()["peers"]
        ]

    def last_sync(self) -> PeerStatus | None:
        """The peer record of the most recent sync that ended in step (None: never)."""
        from vledger.sync.link.peers import peer_records

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

    def versions(self) -> dict[str, str]:
        """Per office whose documents this home holds (the township's own under the
        township's id), a digest of their stored heads: it moves whenever one of them
        does. One query, no document opened: the UI looks at it when `data_version()`
        moved, to refresh only the screens showing what changed."""
        from vledger.sync.documents.replica import parse_doc_id

        digests: dict[str, Any] = {}
        for doc, heads in self._context.store.db.documents.all_heads().items():
            try:
                township, office, _year = parse_doc_id(doc)
            except ValueError:
                continue
            if township == self._context.me.township:
                digest = digests.setdefault(office, hashlib.sha256())
                digest.update(doc.encode() + b"\x00" + b"".join(sorted(heads)) + b"\x01")
        return {office: digest.hexdigest()[:16] for office, digest in digests.items()}

    def unsynced_cells(self, program: str, village: str) -> set[tuple[str, str]]:
        """(row, column) of the ledger cells whose edits by this device no peer holds yet."""
        context = self._context
        year = self._programs.year_of(program)
        if year is None or not context.holds(village, year):
            return set()
        from vledger.sync.services.counts import unsynced_cells

        unsynced = unsynced_cells(context, context.village_doc_id(village, year))
        return {(c[2], c[3]) for c in unsynced if c[0] == program and c[1] == village}

    def sync_state(self) -> SyncState:
        """Whether this office ever synced, when last, and how many of its edits no peer
        holds yet (not counted when it never synced: then that is every edit)."""
        last = self.last_sync()
        if last is None:
            return SyncState(None, None)
        return SyncState(last, self.unsynced_edits())

    def unsynced_edits(self) -> int:
        """How many edits made on this device no peer holds yet (every held document, of
        every year: an edit of last year's ledger not yet synced counts too)."""
        from vledger.sync.services.counts import document_counts

        context = self._context
        return sum(document_counts(context, d).unsynced for d in context.documents())


async def _exchange(
    store: Replicas, me: Identity, conn: Connection, address: str, say: Progress, lang: str
) -> SyncResult:
    from vledger.sync.link.frames import Frame, write_frame
    from vledger.sync.link.session import Initiator
    from vledger.sync.services.brought import link_brought

    frames = 0

    async def ask(frame: Frame) -> Frame:
        nonlocal frames
        frames += 1
        say(Message("sync.progress.exchanging", address=address, frames=frames,
                    bytes=conn.traffic.sent + conn.traffic.received).text(lang))
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
