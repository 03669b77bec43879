"""Sync over TCP: the `vledger serve` server, one-shot `vledger sync` and `--watch`.

Every link is TLS 1.3 with a certificate on both sides (mutual TLS), each for its
home's Ed25519 *device key* (sync/identity.py: link certificates). The handshake
proves that each end holds the private key of the certificate it shows
(CertificateVerify signs the handshake transcript, so a recorded session cannot be
replayed and a relay cannot splice itself in), and encrypts and authenticates every
byte after it (a flipped byte fails the record's AEAD tag: the link drops, nothing of
the frame is read). The certificates' issuer is no authority (its key is public):
after the handshake each end looks the other's key up in its own signed roster
(`check_server`, `Responder(authenticated=...)`): the client refuses a server whose
key is not an active device, before it sends anything; the server answers `hello`
only for an active device of the office that hello claims, or enrolls a joined
village whose hello carries its join reply (township only), and otherwise answers
`unknown_device` / `revoked_device` / `enroll_refused` and closes, before any
document data is sent.

The exchange itself is sync/protocol.py; this module moves its frames over
asyncio streams with a deadline on every read and write, retries with
exponential backoff and jitter, and keeps the home's store open only while
a sync needs it (`HomeGate`), so a clerk can still edit the home from the UI
or the command line while it serves or watches. Between syncs both sides
notice new local changes by reading the stored heads through a read-only
SQLite connection, which takes no lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import ssl
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

from vledger import errors
from vledger.sync.documents.journal import Who
from vledger.sync.documents.replicas import Replicas
from vledger.sync.link.answers import Answers
from vledger.sync.link.frames import (
    MAX_FRAME,
    MAX_UNAUTHENTICATED,
    ConnectionCut,
    Frame,
    FrameError,
    blob,
    encode,
    error_frame,
    read_frame,
    write_frame,
)
from vledger.sync.link.gate import belongs
from vledger.sync.link.session import (
    Identity,
    Initiator,
    Outcome,
    PeerRefused,
    Responder,
    heads_digest,
    refusal,
)
from vledger.sync.store.database import HeadsReader, StoreBusy
from vledger.sync.trust.checks import SIGNED, UNCHECKED
from vledger.sync.trust.invitation import InvitationError, accept_enrollment, read_reply
from vledger.sync.trust.keys import KeyFileError, load_township_key
from vledger.sync.trust.roster import RosterError
from vledger.sync.trust.tls import (
    UntrustedPeer,
    certificate_device,
    client_context,
    server_context,
    trusted_device,
)

DEFAULT_TIMEOUT = 15.0  # seconds any one read, write or connect may take
WAIT_SECONDS = 0.5  # how long a watching client lets the server hold a `wait` (local edit latency)
SERVER_POLL = 0.1
MAX_STALE_ANSWERS = 8  # how often a held `wait` looks at the server's stored heads
RETRY_ERRORS = (OSError, ConnectionCut, TimeoutError, FrameError)


class Unreachable(errors.Unreachable, RuntimeError):
    """The peer could not be reached (or kept dropping the link) after every retry.

    `last` is what the last try met (an exception, or the peer's busy message), for a
    front end to say it in the clerk's language.
    """

    def __init__(self, *problems: object, last: BaseException | str | None = None) -> None:
        super().__init__(*problems)
        self.last = last


# -- the home, opened only while needed ---------------------------------------------------


class HomeGate:
    """The home as this process's syncs use it: opened on first use and kept open.

    Other processes use the same home at the same time (the UI, commands): the
    store serialises their short write transactions and each process's cached
    documents catch up with what the others wrote (documents/replicas.py). What
    `linger` bounds is memory: the documents a sync loaded stay cached while
    frames keep coming (a burst of fifty villages loads each document once), and
    are dropped once no sync has used the home for `linger` seconds, so a server
    does not keep every village's document in memory all day (design.md, Store).
    Documents that grew are compacted then too, not in the middle of a burst.
    """

    def __init__(self, home: Path, *, linger: float = 2.0) -> None:
        self.home = Path(home)
        self.linger = linger
        self._store: Replicas | None = None
        self._users = 0
        self._closer: asyncio.TimerHandle | None = None
        self._reader = HeadsReader(self.home)
        self._idle_hooks: list[Callable[[], None]] = []

    def on_idle(self, hook: Callable[[], None]) -> None:
        """Call `hook` whenever the cached documents are dropped (nothing used the home for
        `linger` seconds): for whatever else is kept only while syncs keep coming."""
        self._idle_hooks.append(hook)

    @contextlib.asynccontextmanager
    async def use(self) -> AsyncIterator[Replicas]:
        self._users += 1
        if self._closer is not None:
            self._closer.cancel()
            self._closer = None
        try:
            if self._store is None:
                self._store = Replicas.open(self.home, scan=False)
                # Compacting mid-burst would stall the links; and the UI on this home
                # would then load the whole new snapshot to catch up, holding its
                # screen. Once the syncs stop, what grew is compacted.
                self._store.compact_when_asked = True
            yield self._store
        finally:
            self._users -= 1
            if self._users == 0 and self._store is not None:
                self._closer = asyncio.get_running_loop().call_later(self.linger, self._idle)

    def _idle(self) -> None:
        self._closer = None
        if self._users == 0 and self._store is not None:
            self._store.compact_due()
            self._store.close_documents()
            for hook in self._idle_hooks:
                hook()

    def close(self) -> None:
        if self._closer is not None:
            self._closer.cancel()
            self._closer = None
        if self._store is not None:
            self._store.compact_due()
            self._store.close()
            self._store = None
        self._reader.close()

    def peek(self, township: str) -> dict[str, list[bytes]]:
        """The township's documents' stored heads (one query, nothing loaded)."""
        if self._store is not None:
            return {d: h for d, h in self._store.db.documents.all_heads().items()
                    if belongs(d, township)}
        return {d: h for d, h in self._reader.read().items() if belongs(d, township)}

    async def identity(self, *, secure: bool = True) -> Identity:
        """This home's identity; `secure=False` (benchmarks only) sends no signatures and
        checks none (trust/checks.UNCHECKED)."""
        async with self.use() as store:
            return Identity.of(store, SIGNED if secure else UNCHECKED)


# -- a connection -----------------------------------------------------------------------


@dataclass
class Traffic:
    sent: int = 0
    received: int = 0


class Connection:
    """One TCP link to a peer that answers every frame we send (half-duplex)."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, timeout: float
    ) -> None:
        self.reader, self.writer, self.timeout = reader, writer, timeout
        self.traffic = Traffic()
        self._number = 0

    @classmethod
    async def open(
        cls, host: str, port: int, timeout: float, *, tls: ssl.SSLContext | None = None
    ) -> Connection:
        """A link to HOST:PORT; over TLS with `tls` (see `client_context`; `open_link`
        also checks the server's key against the roster)."""
        opening = asyncio.open_connection(
            host, port, ssl=tls, server_hostname="" if tls is not None else None,
            ssl_handshake_timeout=timeout if tls is not None else None,
        )
        reader, writer = await asyncio.wait_for(opening, timeout)
        return cls(reader, writer, timeout)

    @property
    def peer_device(self) -> str | None:
        """The key id of the device the TLS handshake proved is at the other end."""
        return link_peer(self.writer)

    async def ask(self, frame: Frame, extra_wait: float = 0.0) -> Frame:
        """Send `frame`, return its answer; answers to earlier frames are skipped.

        Each frame carries a number its answer echoes, so a frame duplicated on
        the way (and answered twice) cannot shift every later answer by one.
        """
        self._number += 1
        self.traffic.sent += await write_frame(self.writer, {**frame, "n": self._number},
                                               self.timeout)
        for _ in range(MAX_STALE_ANSWERS):
            answer = await read_frame(self.reader, self.timeout + extra_wait)
            self.traffic.received += len(encode(answer))
            if answer.get("n") in (self._number, None):  # errors may come before numbering
                return answer
        raise FrameError("out_of_step", "the peer's answers are out of step with our frames")

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.close()
            await asyncio.wait_for(self.writer.wait_closed(), 1.0)


# -- TLS: contexts and pinning -------------------------------------------------------------


class LinkRefused(PeerRefused):
    """The other end of a link is not a device this home's roster trusts."""


def link_peer(writer: asyncio.StreamWriter) -> str | None:
    """The device key id the other end proved in the TLS handshake (None without TLS)."""
    tls = writer.get_extra_info("ssl_object")
    if tls is None:
        return None
    der = tls.getpeercert(binary_form=True)
    return certificate_device(der) if der else None


def check_server(store: Replicas, conn: Connection) -> str:
    """The server's device id if this home's roster trusts it; LinkRefused otherwise.

    Called before the first frame: nothing (not even our heads) goes to a stranger.
    """
    try:
        return trusted_device(store, conn.peer_device).id
    except UntrustedPeer as problem:
        raise LinkRefused(problem.code, problem.message) from None


def _tls(home: Path, server: bool = False) -> ssl.SSLContext:
    try:
        return server_context(home) if server else client_context(home)
    except UntrustedPeer as problem:
        raise LinkRefused(problem.code, problem.message) from None


async def open_link(
    gate: HomeGate, host: str, port: int, timeout: float, *, secure: bool = True
) -> Connection:
    """A TLS link to a server this home's roster trusts (see `check_server`)."""
    tls = _tls(gate.home) if secure else None
    conn = await Connection.open(host, port, timeout, tls=tls)
    if secure:
        try:
            async with gate.use() as store:
                check_server(store, conn)
        except BaseException:
            await conn.close()
            raise
    return conn


async def open_checked(store: Replicas, host: str, port: int, timeout: float) -> Connection:
    """`open_link` for a caller that holds the home's store open (the UI's facade)."""
    conn = await Connection.open(host, port, timeout, tls=_tls(store.home))
    try:
        check_server(store, conn)
    except BaseException:
        await conn.close()
        raise
    return conn


def enroll_over_link(me: Identity) -> Callable[[Replicas, bytes, str | None], None]:
    """How a township server enrolls a joined device whose hello carries its join reply."""

    def enroll(store: Replicas, data: bytes, device: str | None) -> None:
        try:
            reply = read_reply(data)
            if device is not None and reply.device != device:
                raise InvitationError(f"the join reply enrolls device {reply.device}, but "
                                      f"the link is from device {device}")
            township_key = load_township_key(store.home)
            accept_enrollment(store, township_key, Who(me.office, me.device, "sync"), data)
        except (InvitationError, KeyFileError, RosterError) as problem:
            raise FrameError("enroll_refused", str(problem)) from None

    return enroll


# -- the server -------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkEvent:
    """One step of a link a server answers, for whoever watches the server
    (`vledger serve --json-log`, the UI's sync screen).

    `kind`: "connected" (the peer said hello and was admitted), "synced" (an exchange
    ended with both sides holding the same heads; `sent` and `received` count the
    changes since the previous "synced" of this link), "disconnected" (the link ended;
    the counts are the link's totals), "refused" (the server refused the peer or one of
    its frames: `code` and `message` say why).
    """

    kind: str
    address: str  # the peer's HOST:PORT as the server saw it
    peer: str = ""  # office:device, once the peer said hello
    office: str = ""
    sent: int = 0
    received: int = 0
    code: str = ""
    message: str = ""


Watcher = Callable[[LinkEvent], None]


@dataclass
class ServerStats:
    connections: int = 0
    refused: int = 0
    errors: list[str] = field(default_factory=list)


LinkDone = Callable[[Responder], None]


class Server:
    """Answers every peer that connects; each connection has its own Responder."""

    def __init__(
        self, home: Path, *, timeout: float = DEFAULT_TIMEOUT, secure: bool = True,
        watch: Watcher | None = None, on_link: LinkDone | None = None,
    ) -> None:
        """`secure=False` (plain TCP, peers not authenticated, no signatures) is for
        benchmarks only. `watch` hears of every link's steps (LinkEvent). `on_link` is
        called with the link's Responder when a link that said hello ends (to log what it
        brought); it must return at once (it runs on the loop every link is answered on)."""
        self.gate = HomeGate(home)
        # What the links pulled, for the next link that asks the same (link/answers.py);
        # forgotten with the documents when the home goes idle.
        self.answers = Answers()
        self.gate.on_idle(self.answers.clear)
        self.on_link = on_link
        self.timeout = timeout
        self.secure = secure
        self.watch = watch
        self.stats = ServerStats()
        self._server: asyncio.base_events.Server | None = None
        self._me: Identity | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self, host: str, port: int) -> tuple[str, int]:
        """Listen; returns the address really bound (port 0 picks a free one)."""
        self._me = await self.gate.identity(secure=self.secure)
        tls = _tls(self.gate.home, server=True) if self.secure else None
        self._server = await asyncio.start_server(
            self._accept, host, port, ssl=tls,
            ssl_handshake_timeout=self.timeout if tls is not None else None,
        )
        bound = self._server.sockets[0].getsockname()
        return str(bound[0]), int(bound[1])

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2.0)
        self.gate.close()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._serve(reader, writer)
        except asyncio.CancelledError:
            pass  # the server is stopping; asyncio would report a cancelled handler as an error
        finally:
            self._tasks.discard(task)
            with contextlib.suppress(Exception):
                writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        assert self._me is not None
        self.stats.connections += 1
        address = _address(writer)
        device = link_peer(writer)
        if self.secure and device is None:
            self._tell(LinkEvent("refused", address, code="unauthenticated",
                                 message="no device key proven"))
            await self._say(writer, error_frame("unauthenticated", "no device key proven"))
            return
        responder = Responder(self._me, authenticated=device, enroll=enroll_over_link(self._me),
                              answers=self.answers)
        await self._answer(reader, writer, responder, address)
        if responder.peer is not None and self.on_link is not None:
            try:
                self.on_link(responder)
            except Exception as problem:  # a report that fails must not stop the server
                self.stats.errors.append(repr(problem))
                print(f"vledger serve: {problem!r}", file=sys.stderr)

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                      responder: Responder, address: str) -> None:
        told = (0, 0, 0)  # in_step, sent, received when the last "synced" was told
        try:
            while True:
                limit = MAX_FRAME if responder.peer is not None else MAX_UNAUTHENTICATED
                frame = await read_frame(reader, self.timeout, limit)
                if frame["t"] == "bye":
                    return
                admitted = responder.peer is not None
                if frame["t"] == "wait" and responder.peer is not None:
                    answer = await self._wait(frame)
                else:
                    async with self.gate.use() as store:
                        answer = responder.handle(store, frame)
                if not admitted and responder.peer is not None:
                    self._tell(LinkEvent("connected", address, responder.peer,
                                         responder.peer_office))
                if responder.in_step > told[0]:
                    self._tell(LinkEvent("synced", address, responder.peer or "",
                                         responder.peer_office, responder.sent - told[1],
                                         responder.received - told[2]))
                    told = (responder.in_step, responder.sent, responder.received)
                await write_frame(writer, {**answer, "n": frame.get("n")}, self.timeout)
        except FrameError as problem:
            self.stats.refused += 1
            self._tell(LinkEvent("refused", address, responder.peer or "",
                                 responder.peer_office, code=problem.code,
                                 message=problem.message))
            await self._say(writer, refusal(problem))
        except (ConnectionCut, TimeoutError, OSError):
            return  # the link is gone or dead: nothing to say, nothing half-stored
        except StoreBusy:
            await self._say(writer, error_frame("busy", "the home is busy; try again"))
        except asyncio.CancelledError:
            raise
        except Exception as problem:  # report, keep serving the other peers
            self.stats.errors.append(repr(problem))
            print(f"vledger serve: {problem!r}", file=sys.stderr)
            await self._say(writer, error_frame("internal", f"the server failed: {problem}"))
        finally:
            if responder.peer is not None:
                self._tell(LinkEvent("disconnected", address, responder.peer,
                                     responder.peer_office, responder.sent, responder.received))

    def _tell(self, event: LinkEvent) -> None:
        if self.watch is not None:
            self.watch(event)

    async def _say(self, writer: asyncio.StreamWriter, frame: Frame) -> None:
        with contextlib.suppress(Exception):
            await write_frame(writer, frame, min(self.timeout, 2.0))

    async def _wait(self, frame: Frame) -> Frame:
        """Answer when our stored heads differ from the digest the peer saw, or at its timeout."""
        assert self._me is not None
        seen = blob(frame, "digest") or b""
        wanted = frame.get("timeout")
        limit = min(float(wanted), 30.0) if isinstance(wanted, int | float) else WAIT_SECONDS
        deadline = time.monotonic() + max(0.0, limit)
        while True:
            docs = self.gate.peek(self._me.township)
            if heads_digest(docs) != seen or time.monotonic() >= deadline:
                return {"t": "heads", "docs": docs}
            await asyncio.sleep(SERVER_POLL)


# -- the client ---------------------------------------------------------------------------


class Backoff:
    """Exponential backoff with full jitter, so fifty villages do not retry in step."""

    def __init__(self, first: float = 0.2, ceiling: float = 10.0) -> None:
        self.first, self.ceiling = first, ceiling
        self.failures = 0

    def next(self) -> float:
        self.failures += 1
        top = min(self.ceiling, self.first * 2 ** (self.failures - 1))
        return float(top / 2 + random.random() * top / 2)

    def reset(self) -> None:
        self.failures = 0


async def sync_once(
    gate: HomeGate,
    host: str,
    port: int,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    attempts: int = 4,
    secure: bool = True,
) -> Outcome:
    """Connect and exchange until both hold the same heads; retry a failing link.

    Unreachable after `attempts` tries; PeerRefused when the peer refuses us
    (another township, an untrusted device, a bad frame of ours): retrying would not
    help. A converged outcome may still list refused changes (`Outcome.refused`:
    documents that stay apart because one side refused the other's changes).
    `secure=False` (plain TCP, no signatures) is for benchmarks only.
    """
    me = await gate.identity(secure=secure)
    backoff = Backoff()
    last = "no attempt made"
    last_met: BaseException | str | None = None
    for _ in range(attempts):
        conn: Connection | None = None
        try:
            conn = await open_link(gate, host, port, timeout, secure=secure)
            async with gate.use() as store:
                outcome = await Initiator(me, conn.ask).run(store)
            with contextlib.suppress(Exception):
                await write_frame(conn.writer, {"t": "bye"}, 1.0)
            if outcome.converged:
                return outcome
            last = "the peer's documents kept changing"
            last_met = None
        except PeerRefused as refused:
            if refused.code not in ("busy", "internal"):
                raise
            last = last_met = refused.message
        except RETRY_ERRORS as problem:
            last = _describe(problem)
            last_met = problem
        finally:
            if conn is not None:
                await conn.close()
        await asyncio.sleep(backoff.next())
    raise Unreachable(f"could not sync with {host}:{port} after {attempts} attempts: {last}",
                      last=last_met)


def _describe(problem: BaseException) -> str:
    if isinstance(problem, TimeoutError):
        return "no answer in time"
    if isinstance(problem, ConnectionRefusedError):
        return "connection refused (is `vledger serve` running there?)"
    return str(problem) or type(problem).__name__


Report = Callable[[str], None]


async def watch(
    gate: HomeGate,
    host: str,
    port: int,
    stop: asyncio.Event,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    report: Report = lambda line: None,
    connected: Callable[[], None] = lambda: None,
) -> None:
    """Stay in sync until `stop` is set: push local edits, pull the peer's, reconnect.

    Between syncs the client holds a `wait` at the server, which answers as
    soon as the server's heads change (or after WAIT_SECONDS, when the client
    checks its own stored heads): a change on either side starts a sync
    within about a second. A dropped link is retried with backoff and jitter.
    `connected` is called each time a link has made its first sync.
    """
    me = await gate.identity()
    backoff = Backoff()
    while not stop.is_set():
        conn: Connection | None = None
        try:
            conn = await open_link(gate, host, port, timeout)
            initiator = Initiator(me, conn.ask)
            await _watch_link(gate, me, conn, initiator, stop, report, backoff, connected)
        except PeerRefused as refused:
            if refused.code not in ("busy", "internal"):
                raise
            report(f"peer busy: {refused.message}")
        except RETRY_ERRORS as problem:
            report(f"link down: {_describe(problem)}")
        finally:
            if conn is not None:
                await conn.close()
        if not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), backoff.next())


async def _watch_link(
    gate: HomeGate,
    me: Identity,
    conn: Connection,
    initiator: Initiator,
    stop: asyncio.Event,
    report: Report,
    backoff: Backoff,
    connected: Callable[[], None],
) -> None:
    async def round_() -> tuple[bytes, dict[str, list[bytes]]]:
        async with gate.use() as store:
            outcome = await initiator.run(store)
        if outcome.sent or outcome.received or outcome.fallbacks:
            report(f"synced with {outcome.peer_office}: sent {outcome.sent}, "
                   f"received {outcome.received} change(s)")
        for line in outcome.refused[:5]:
            report(f"refused: {line}")
        # Not converged (the peer kept changing): an empty digest makes the next wait
        # answer at once, so another round follows.
        seen = heads_digest(initiator.theirs) if outcome.converged else b""
        return seen, gate.peek(me.township)

    server_seen, local_seen = await round_()
    backoff.reset()
    connected()
    report(f"connected to {initiator.peer_office}")
    while not stop.is_set():
        answer = await conn.ask(
            {"t": "wait", "digest": server_seen, "timeout": WAIT_SECONDS}, WAIT_SECONDS
        )
        if answer["t"] == "error":
            raise PeerRefused(str(answer.get("code")), str(answer.get("message")))
        theirs = answer.get("docs")
        changed_there = not isinstance(theirs, dict) or heads_digest(theirs) != server_seen
        if changed_there or gate.peek(me.township) != local_seen:
            server_seen, local_seen = await round_()
    with contextlib.suppress(Exception):
        await write_frame(conn.writer, {"t": "bye"}, 1.0)


def _address(writer: asyncio.StreamWriter) -> str:
    """The peer's HOST:PORT as this end of the link sees it ("" when unknown)."""
    found = writer.get_extra_info("peername")
    if isinstance(found, tuple) and len(found) >= 2:
        return f"{found[0]}:{found[1]}"
    return ""


def parse_address(text: str, default_port: int = 7420) -> tuple[str, int]:
    """HOST:PORT (or [v6]:PORT, or HOST alone); ValueError with a readable message."""
    host, sep, port = text.rpartition(":")
    if not sep:
        host, port = text, str(default_port)
    host = host.strip("[]")
    if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"{text!r} is not HOST:PORT")
    return host, int(port)
