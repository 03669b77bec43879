"""Sync acts on a home that is not held open: serve, sync (once or watching), status and
bundles, as the command line runs them.

`serve` and `sync --watch` run all day beside the UI and other commands, so they hold
the home only while a frame is handled (`link.transport.HomeGate`); the other acts open
the home for their own length only, without the start-up scan of every stored chunk.
Status and bundles are the very functions the UI's sync screen calls over its open
office (sync.py), so both front ends say and do the same. `sync` and `watch` take no
address when the home has one to offer (sync.py, `address_to_offer`) and remember the
address once a sync with it has worked.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vledger.errors import Unreachable
from vledger.messages import Message
from vledger.sync.documents.replicas import Replicas
from vledger.sync.services import sync
from vledger.sync.services.brought import Brought, link_brought
from vledger.sync.services.permissions import Refusal
from vledger.sync.services.ranking import Abandoned
from vledger.sync.store.database import DB_FILE, StoreBusy

if TYPE_CHECKING:
    from vledger.sync.link.bundle import BundleSummary
    from vledger.sync.link.session import Identity, Responder
    from vledger.sync.link.transport import HomeGate, LinkEvent

Report = Callable[[str], None]
Told = Callable[[Brought], None]
DEFAULT_TIMEOUT = 15.0  # seconds any one connect, read or write may take


@dataclass(frozen=True)
class Serving:
    """Where `serve` listens, and as whom."""

    township: str
    office: str
    host: str
    port: int


@dataclass(frozen=True)
class SyncDone:
    """What `sync` did: both sides hold the same heads for every document; `brought`
    says what went each way and who moved."""

    peer_office: str
    address: str
    documents: int
    sent: int
    received: int
    brought: Brought | None = None


@contextmanager
def _opened(home: Path, *, scan: bool = False) -> Iterator[Replicas]:
    """The home's store for one act; refused (not created) when there is no home."""
    if not (Path(home) / DB_FILE).exists():
        raise Refusal(Message("sync.no-home", home=str(home)))
    try:
        store = Replicas.open(home, scan=scan)
    except StoreBusy as problem:
        raise Refusal(str(problem)) from None
    try:
        yield store
    finally:
        store.close()


def status(home: Path) -> dict[str, Any]:
    with _opened(home, scan=True) as store:  # checks every stored row: damage is listed
        return sync.status(store)


def export_bundle(home: Path, path: Path, for_office: str | None = None) -> BundleSummary:
    with _opened(home) as store:
        return sync.export_bundle(store, path, for_office)


def import_bundle(home: Path, path: Path) -> BundleSummary:
    with _opened(home) as store:
        return sync.import_bundle(store, path)


def address_to_offer(home: Path) -> str | None:
    """The address `sync` uses when given none (the last that worked, else the
    invitation's)."""
    with _opened(home) as store:
        return sync.address_to_offer(store)


def _address(home: Path, address: str | None) -> str:
    if address:
        return address
    offered = address_to_offer(home)
    if offered is None:
        raise Refusal(Message("sync.no-address"))
    return offered


def _remember(home: Path, address: str) -> None:
    with _opened(home) as store:
        sync.remember_address(store, address)


def _identity(home: Path) -> Identity:
    """Who this home is to its peers; refused when it has no office."""
    with _opened(home) as store:
        return sync.me_of(store)


def _gate(home: Path) -> HomeGate:
    """The gate a long-running link holds the home through, once the home has an office."""
    from vledger.sync.link.transport import HomeGate

    _identity(home)
    return HomeGate(home)


LinkStep = dict[str, Any]  # one step of a link the server answers, as `serve --json-log` says it


def link_step(event: LinkEvent) -> LinkStep:
    """A server's link event as its log line's fields (docs/cli.md, `serve --json-log`):
    "event" (connected, synced, disconnected, refused), "address", "peer", "office";
    "sent" and "received" (changes) for synced and disconnected; "code" and "message"
    for refused."""
    step: LinkStep = {"event": event.kind, "address": event.address, "peer": event.peer,
                      "office": event.office}
    if event.kind in ("synced", "disconnected"):
        step |= {"sent": event.sent, "received": event.received}
    if event.kind == "refused":
        step |= {"code": event.code, "message": event.message}
    return step


async def serve(
    home: Path, listen: str, stop: asyncio.Event, ready: Callable[[Serving], None], *,
    timeout: float | None = None, watch: Callable[[LinkStep], None] | None = None,
    told: Told | None = None,
) -> None:
    """Serve this home's replica on `listen` (HOST:PORT; port 0 picks one) until `stop`;
    `watch` hears of every link's steps (a peer connected, synced, left, was refused);
    `told` gets what each link brought when it ends."""
    from vledger.sync.link.transport import Server

    host, port = sync.address_of(listen)
    me = _identity(home)

    reports = None if told is None else LinkReports(home, me.township, told)
    server = Server(home, timeout=timeout or DEFAULT_TIMEOUT,
                    watch=None if watch is None else (lambda event: watch(link_step(event))),
                    on_link=None if reports is None else reports.link_done)
    try:
        bound_host, bound_port = await server.start(host, port)
    except OSError as problem:
        await server.stop()
        raise Refusal(Message("sync.listen-failed", address=listen,
                              why=problem.strerror or str(problem))) from None
    try:
        ready(Serving(me.township, me.office, bound_host, bound_port))
        await stop.wait()
    finally:
        await server.stop()
        if reports is not None:
            reports.close()


class LinkReports:
    """What each of a server's links brought, worked out beside the server, not on it.

    Ranking the current period before and after a link takes a tenth of a second or more
    on a big township, and fifty villages syncing at once would wait for every one of them
    if it ran on the loop that answers their frames. So each ended link's heads go to one
    worker thread with its own store (a second connection to the home, as any other
    process has); the documents it loads are dropped after each report, and `told` is
    called back on the loop.
    """

    DRAIN_SECONDS = 3.0  # how long a stopping server waits for the reports still pending

    def __init__(self, home: Path, township: str, told: Told) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.home = home
        self.township = township
        self.told = told
        self._loop = asyncio.get_running_loop()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vledger-report")
        self._store: Replicas | None = None  # opened and used in the worker thread only
        self._pending: set[Any] = set()
        self._stopping = False

    def link_done(self, responder: Responder) -> None:
        link = _Ended(dict(responder.began_here), dict(responder.began_there),
                      dict(responder.ended))
        future = self._pool.submit(self._report, responder.peer_office, link)
        self._pending.add(future)
        future.add_done_callback(self._pending.discard)

    def _report(self, peer: str, link: _Ended) -> None:
        if self._stopping:
            return
        if self._store is None:
            self._store = Replicas.open(self.home, scan=False)
        try:
            found = link_brought(self._store, self.township, peer, link,
                                 abandon=lambda: self._stopping)
        except Abandoned:
            return  # the server stops: a report is not worth keeping it waiting
        finally:
            if len(self._pending) <= 1:  # no other report waits: memory back, a server
                self._store.close_documents()  # runs all day
        if not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self.told, found)

    def close(self) -> None:
        """Wait a little for the reports still pending, drop the rest, close the store."""
        from concurrent.futures import wait

        wait(list(self._pending), timeout=self.DRAIN_SECONDS)
        self._stopping = True
        for future in list(self._pending):
            future.cancel()
        self._pool.submit(self._close_store)
        self._pool.shutdown(wait=True)

    def _close_store(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


@dataclass(frozen=True)
class _Ended:
    """The heads a link began and ended with (brought.Exchanged), copied off the loop."""

    began_here: dict[str, list[bytes]]
    began_there: dict[str, list[bytes]]
    ended: dict[str, list[bytes]]


async def sync_once(
    home: Path, address: str | None = None, *, timeout: float | None = None
) -> SyncDone:
    """Exchange changes with the peer at `address` (None: the one the home offers)
    until both hold the same heads.

    Refused when there is no address, the peer refuses us, the home is busy, or changes
    were refused on either side (so some documents stay apart); Unreachable after every
    retry.
    """
    from vledger.sync.link.session import PeerRefused
    from vledger.sync.link.transport import Unreachable as LinkUnreachable
    from vledger.sync.link.transport import sync_once as exchange

    offered = not address
    address = _address(home, address)
    host, port = sync.address_of(address)
    gate = _gate(home)
    try:
        outcome = await exchange(gate, host, port, timeout=timeout or DEFAULT_TIMEOUT)
        told = await _told(gate, outcome)
    except LinkUnreachable as problem:
        said = Message("sync.unreachable", address=f"{host}:{port}",
                       why=sync.describe(problem.last))
        # Not typed: the clerk may not know where it came from, nor that another is taken.
        hint = [Message("sync.offered-address")] if offered else []
        raise Unreachable(said, *hint) from None
    except PeerRefused as problem:
        raise Refusal(Message("sync.peer-refused", address=f"{host}:{port}",
                              why=problem.message)) from None
    except StoreBusy as problem:
        raise Refusal(str(problem)) from None
    finally:
        gate.close()
    if outcome.refused:
        raise Refusal(
            Message("sync.changes-refused", address=f"{host}:{port}",
                    count=len(outcome.refused), stuck=len(outcome.stuck)),
            *(f"  {line}" for line in outcome.refused[:10]),
        )
    _remember(home, address)
    return SyncDone(outcome.peer_office, f"{host}:{port}", outcome.documents, outcome.sent,
                    outcome.received, told)


async def _told(gate: HomeGate, outcome: Any) -> Brought:
    async with gate.use() as store:
        township = str(store.db.settings.get("township") or "")
        return link_brought(store, township, outcome.peer_office, outcome)


async def watch(
    home: Path, address: str | None, stop: asyncio.Event, report: Report, *,
    timeout: float | None = None,
) -> None:
    """Stay in sync with the peer at `address` (None: the one the home offers) until
    `stop`: push and pull edits as they happen, reconnecting with backoff; `report` gets
    one line per thing that happened."""
    from vledger.sync.link.session import PeerRefused
    from vledger.sync.link.transport import watch as keep_in_step

    address = _address(home, address)
    host, port = sync.address_of(address)
    gate = _gate(home)

    def connected() -> None:
        _remember(home, address)

    try:
        await keep_in_step(gate, host, port, stop, timeout=timeout or DEFAULT_TIMEOUT,
                           report=report, connected=connected)
    except PeerRefused as problem:
        raise Refusal(Message("sync.peer-refused", address=f"{host}:{port}",
                              why=problem.message)) from None
    except StoreBusy as problem:
        raise Refusal(str(problem)) from None
    finally:
        gate.close()
