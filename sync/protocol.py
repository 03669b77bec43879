"""The sync exchange between two replicas, independent of any transport.

One side leads (`Initiator`, the `vledger sync` end), the other answers
(`Responder`, the `vledger serve` end): every frame the leader sends gets
exactly one answer. Half-duplex keeps a cut link simple: whatever was
answered is durable on both sides, whatever was not is sent again next time.

Frames (sync/frames.py adds `v`; hashes are 32-byte bin, heads are lists of them):

    hello  {office, device, township, docs: {doc: heads}}      -> hello (same fields)
    push   {doc, changes: [change]}                            -> ack {doc, heads}
                                                                | need {doc, missing}
    pull   {doc, heads, since}                                 -> changes {doc, changes}
                                                                | unknown {doc}
    sync   {doc, msg: bytes|nil, start}  automerge sync message -> sync {doc, msg}
    heads  {docs}  "this is what I hold now"                   -> heads {docs}
    wait   {digest, timeout}  (watch: answer when yours change) -> heads {docs}
    error  {code, message}  either way; the sender then closes

The exchange, per document whose heads differ after `hello`:

1. push what the responder lacks. If every one of its heads is known here,
   that is exactly `get_changes(its heads)`. Otherwise it holds changes we
   lack, and we send the changes since the heads both had after the last
   complete sync with this peer (`Store.peer_heads`) plus its heads we know.
   With no such record we cannot tell what it lacks: go to 3.
2. pull what we lack: the responder does the same computation from our heads.
3. Fallback (no record, or the other side answered `need`/`unknown` because a
   record was wrong, e.g. a restored replica): automerge's sync protocol with a
   fresh `SyncState` on both sides (it cannot be persisted, and a state kept
   across a lost message stalls). Received messages are applied to a fork;
   after each message the fork's new, causally complete changes go to the
   store as one batch, so nothing half-received is ever stored.
4. `heads`: both state what they hold; documents with equal heads are
   recorded for this peer (the next reconnect's starting point). Repeat from 1
   for documents still differing (someone else synced in between).

Every received batch goes through `Store.apply_batch` (all-or-nothing,
idempotent). Until documents are signed (a later issue), changes are accepted
for any document of this township (document ids start with the township id)
and refused for any other.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field

from automerge import core

from sync.automerge_doc import BadChange, MissingDependencies, changes_since
from sync.document import parse_doc_id
from sync.frames import (
    Frame,
    FrameError,
    blob,
    change_list,
    error_frame,
    heads,
    heads_map,
    split_changes,
    text,
)
from sync.store import Store

MAX_PASSES = 40  # rounds of "exchange, then compare heads" before a one-shot sync gives up
MAX_SYNC_STEPS = 64  # automerge sync messages per document and pass

Heads = list[bytes]
Ask = Callable[[Frame], Awaitable[Frame]]


class NoOffice(RuntimeError):
    """This home has no office yet (no township or office id in its settings)."""


class PeerRefused(RuntimeError):
    """The peer answered with an error frame (or an answer that makes no sense)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Identity:
    """Who this replica is: told to every peer in `hello`."""

    office: str
    device: str
    township: str

    @classmethod
    def of(cls, store: Store) -> Identity:
        office, township = store.setting("office"), store.setting("township")
        if not office or not township:
            raise NoOffice(
                f"{store.home} has no office yet: run `vledger init` or join a township first"
            )
        return cls(office, store.device_id(), township)

    def hello(self, docs: Mapping[str, Heads]) -> Frame:
        return {"t": "hello", "office": self.office, "device": self.device,
                "township": self.township, "docs": dict(docs)}


def peer_key(office: str, device: str) -> str:
    """How a peer is named in the store's peer records (`Store.peer_heads`)."""
    return f"{office}:{device}"


def own_documents(store: Store, township: str) -> dict[str, Heads]:
    """Heads of every document this replica holds for `township` (it serves them all)."""
    return {d: store.heads(d) for d in store.document_ids() if belongs(d, township)}


def belongs(doc: str, township: str) -> bool:
    try:
        return parse_doc_id(doc)[0] == township
    except ValueError:
        return False


def heads_digest(docs: Mapping[str, Iterable[bytes]]) -> bytes:
    digest = hashlib.sha256()
    for doc in sorted(docs):
        digest.update(doc.encode() + b"\x00" + b"".join(sorted(docs[doc])) + b"\x01")
    return digest.digest()


def known_hashes(doc: core.Document) -> set[bytes]:
    """Every change hash the document holds (cheap: no change bytes are encoded)."""
    return {change.hash for change in doc.get_changes([])}


def lacking(
    store: Store, doc: str, theirs: Heads | None, records: Iterable[Heads]
) -> list[bytes] | None:
    """The changes a peer holding `theirs` lacks; None when that cannot be told from here.

    `records`: heads the peer is believed to hold (what both had after a past sync).
    The answer may include changes the peer already has (from a third office):
    receiving is idempotent, so that costs bytes, never correctness.
    """
    if theirs is None:
        return store.changes_since(doc, [])
    known = known_hashes(store.replica(doc).doc)
    if all(h in known for h in theirs):
        return changes_since(store.replica(doc).doc, theirs)
    usable = [r for r in records if r and all(h in known for h in r)]
    if not usable:
        return None
    base = [h for h in theirs if h in known] + [h for r in usable for h in r]
    return changes_since(store.replica(doc).doc, base)


def common_heads(store: Store, peer: str, doc: str) -> Heads | None:
    """The heads both sides had after the last complete sync with `peer`, if any."""
    record = store.peer_heads(peer, doc)
    if record is None or record[0] != record[1]:
        return None
    return record[0]


def record_equal(store: Store, peer: str, mine: Mapping[str, Heads],
                 theirs: Mapping[str, Heads]) -> None:
    """Remember, per document both hold identically, that this peer has these heads."""
    for doc, heads_now in mine.items():
        if sorted(theirs.get(doc) or [b"-"]) != sorted(heads_now):
            continue
        if common_heads(store, peer, doc) == sorted(heads_now):
            continue  # already recorded: spare the disk a write per document
        store.set_peer_heads(peer, doc, heads_now, heads_now)


@dataclass
class Received:
    """What applying one batch did."""

    applied: int = 0  # changes new to this replica
    missing: list[bytes] = field(default_factory=list)  # non-empty: batch refused, deps lacking


def receive(store: Store, township: str, doc: str, changes: list[bytes], origin: str) -> Received:
    """Apply a received batch all-or-nothing; FrameError for bytes that are not changes."""
    if not belongs(doc, township):
        raise FrameError(
            "foreign_document",
            f"{doc} is not a document of township {township}: refused (changes are accepted "
            "only for this township's documents until they are signed)",
        )
    try:
        result = store.apply_batch(doc, changes, origin)
    except MissingDependencies as problem:
        return Received(0, problem.missing or problem.waiting)
    except BadChange as problem:
        raise FrameError("bad_change", f"{doc}: {problem}") from None
    return Received(len(result.applied))


class SyncSide:
    """One side of automerge's sync protocol for one document, on a fork.

    The fork keeps whatever automerge could not apply yet (changes whose
    dependencies have not arrived) out of the store; what it could apply is
    handed to the store after every message, as one all-or-nothing batch.
    """

    def __init__(self, store: Store, township: str, doc: str, origin: str) -> None:
        self.doc, self.township, self.origin = doc, township, origin
        self.work = store.replica(doc).doc.fork() if store.has_document(doc) else core.Document()
        self.base = self.work.get_heads()
        self.state = core.SyncState()
        self.received = 0

    def generate(self) -> bytes | None:
        message = self.work.generate_sync_message(self.state)
        return None if message is None else bytes(message.encode())

    def receive(self, store: Store, message: bytes) -> None:
        try:
            decoded = core.Message.decode(message)
            self.work.receive_sync_message(self.state, decoded)
        except Exception as problem:  # the binding raises bare Exceptions
            raise FrameError(
                "bad_sync", f"{self.doc}: unreadable sync message ({problem})"
            ) from None
        new = [c.bytes for c in self.work.get_changes(self.base)]
        if new:
            outcome = receive(store, self.township, self.doc, new, self.origin)
            if outcome.missing:  # cannot happen: the fork holds their dependencies
                raise FrameError("bad_sync", f"{self.doc}: sync changes lack dependencies")
            self.received += outcome.applied
        self.base = self.work.get_heads()


# -- the answering side ---------------------------------------------------------------


class Responder:
    """Answers one connection's frames; `handle` never does I/O beyond the store."""

    def __init__(self, me: Identity) -> None:
        self.me = me
        self.peer: str | None = None
        self.peer_office = ""
        self._syncs: dict[str, SyncSide] = {}

    def handle(self, store: Store, frame: Frame) -> Frame:
        """The answer to `frame`; FrameError for a frame that breaks the protocol."""
        kind = frame["t"]
        if kind == "hello":
            return self._hello(store, frame)
        if self.peer is None:
            raise FrameError("no_hello", f"a {kind} frame before hello")
        handler = {
            "push": self._push, "pull": self._pull, "sync": self._sync, "heads": self._heads,
        }.get(kind)
        if handler is None:
            raise FrameError("unknown_frame", f"unknown frame type {kind!r}")
        return handler(store, frame)

    def _hello(self, store: Store, frame: Frame) -> Frame:
        township = text(frame, "township")
        if township != self.me.township:
            raise FrameError(
                "foreign_township",
                f"this replica belongs to township {self.me.township}, the peer to {township}",
            )
        heads_map(frame)
        self.peer_office = text(frame, "office")
        self.peer = peer_key(self.peer_office, text(frame, "device"))
        return self.me.hello(own_documents(store, self.me.township))

    def _push(self, store: Store, frame: Frame) -> Frame:
        doc = text(frame, "doc")
        outcome = receive(store, self.me.township, doc, change_list(frame), self._origin())
        if outcome.missing:
            return {"t": "need", "doc": doc, "missing": outcome.missing[:64]}
        return {"t": "ack", "doc": doc, "heads": store.heads(doc)}

    def _pull(self, store: Store, frame: Frame) -> Frame:
        doc = text(frame, "doc")
        theirs = heads(frame.get("heads"), "pull frame")
        since = heads(frame.get("since") or [], "pull frame")
        if not belongs(doc, self.me.township) or not store.has_document(doc):
            return {"t": "changes", "doc": doc, "changes": []}
        assert self.peer is not None
        own = common_heads(store, self.peer, doc)
        found = lacking(store, doc, theirs, [since, own or []])
        if found is None:
            return {"t": "unknown", "doc": doc}
        return {"t": "changes", "doc": doc, "changes": found}

    def _sync(self, store: Store, frame: Frame) -> Frame:
        doc = text(frame, "doc")
        if not belongs(doc, self.me.township):
            raise FrameError("foreign_document", f"{doc} is not a document of this township")
        message = blob(frame, "msg")
        side = self._syncs.get(doc)
        if side is None or frame.get("start") is True:
            side = self._syncs[doc] = SyncSide(store, self.me.township, doc, self._origin())
        if message is not None:
            side.receive(store, message)
        answer = side.generate()
        if message is None and answer is None:
            del self._syncs[doc]  # both quiet: this document's exchange is over
        return {"t": "sync", "doc": doc, "msg": answer}

    def _heads(self, store: Store, frame: Frame) -> Frame:
        theirs = heads_map(frame)
        mine = own_documents(store, self.me.township)
        assert self.peer is not None
        record_equal(store, self.peer, mine, theirs)
        return {"t": "heads", "docs": mine}

    def _origin(self) -> str:
        return self.peer or "peer"


# -- the leading side -------------------------------------------------------------------


@dataclass
class Outcome:
    """What one sync did, for messages and tests."""

    converged: bool = False
    passes: int = 0
    sent: int = 0  # changes pushed
    received: int = 0  # changes new to this replica
    fallbacks: int = 0  # documents that needed automerge's sync protocol
    peer_office: str = ""
    documents: int = 0


class Initiator:
    """Leads the exchange over `ask` (send a frame, await its answer)."""

    def __init__(self, me: Identity, ask: Ask, *, max_passes: int = MAX_PASSES) -> None:
        self.me = me
        self._ask = ask
        self.max_passes = max_passes
        self.peer: str | None = None
        self.peer_office = ""
        self.theirs: dict[str, Heads] = {}

    async def ask(self, frame: Frame, *expected: str) -> Frame:
        answer = await self._ask(frame)
        if answer["t"] == "error":
            raise PeerRefused(str(answer.get("code")), str(answer.get("message")))
        if answer["t"] not in expected:
            raise PeerRefused("unexpected", f"the peer answered {frame['t']} with {answer['t']}")
        return answer

    async def hello(self, store: Store) -> None:
        answer = await self.ask(self.me.hello(own_documents(store, self.me.township)), "hello")
        township = text(answer, "township")
        if township != self.me.township:
            raise PeerRefused(
                "foreign_township",
                f"the peer belongs to township {township}, this replica to {self.me.township}",
            )
        self.peer_office = text(answer, "office")
        self.peer = peer_key(self.peer_office, text(answer, "device"))
        self.theirs = {d: h for d, h in heads_map(answer).items() if belongs(d, township)}

    async def refresh(self, store: Store) -> dict[str, Heads]:
        """Tell the peer what we hold, learn what it holds; records documents held alike."""
        mine = own_documents(store, self.me.township)
        answer = await self.ask({"t": "heads", "docs": mine}, "heads")
        self.theirs = {d: h for d, h in heads_map(answer).items() if belongs(d, self.me.township)}
        assert self.peer is not None
        record_equal(store, self.peer, mine, self.theirs)
        return mine

    async def run(self, store: Store) -> Outcome:
        """Exchange until both hold the same heads for every document (or passes run out)."""
        outcome = Outcome()
        if self.peer is None:
            await self.hello(store)
        outcome.peer_office = self.peer_office
        mine = own_documents(store, self.me.township)
        for number in range(1, self.max_passes + 1):
            outcome.passes = number
            differing = sorted(
                d for d in set(mine) | set(self.theirs)
                if sorted(mine.get(d, [b"-"])) != sorted(self.theirs.get(d, [b"+"]))
            )
            for doc in differing:
                await self._exchange(store, doc, outcome)
            mine = await self.refresh(store)
            if _same(mine, self.theirs):
                outcome.converged = True
                break
        outcome.documents = len(mine)
        return outcome

    async def _exchange(self, store: Store, doc: str, outcome: Outcome) -> None:
        assert self.peer is not None
        theirs = self.theirs.get(doc)
        record = common_heads(store, self.peer, doc)
        if store.has_document(doc):
            found = lacking(store, doc, theirs, [record or []])
            if found is None:
                await self._fallback(store, doc, outcome)
                return
            if not await self._push(store, doc, found, outcome):
                await self._fallback(store, doc, outcome)
                return
        mine = store.heads(doc) if store.has_document(doc) else []
        answer = await self.ask(
            {"t": "pull", "doc": doc, "heads": mine, "since": record or []}, "changes", "unknown"
        )
        if answer["t"] == "unknown":
            await self._fallback(store, doc, outcome)
            return
        got = receive(store, self.me.township, doc, change_list(answer), self.peer)
        if got.missing:
            await self._fallback(store, doc, outcome)
            return
        outcome.received += got.applied

    async def _push(self, store: Store, doc: str, changes: list[bytes], outcome: Outcome) -> bool:
        """Send `changes` in frames of bounded size; False when the peer lacks their base."""
        for run in split_changes(changes):
            answer = await self.ask({"t": "push", "doc": doc, "changes": run}, "ack", "need")
            if answer["t"] == "need":
                return False
            outcome.sent += len(run)
        return True

    async def _fallback(self, store: Store, doc: str, outcome: Outcome) -> None:
        assert self.peer is not None
        outcome.fallbacks += 1
        side = SyncSide(store, self.me.township, doc, self.peer)
        for step in range(MAX_SYNC_STEPS):
            message = side.generate()
            frame = {"t": "sync", "doc": doc, "msg": message, "start": step == 0}
            answer = await self.ask(frame, "sync")
            reply = blob(answer, "msg")
            if reply is not None:
                side.receive(store, reply)
            if message is None and reply is None:
                break
        outcome.received += side.received


def _same(mine: Mapping[str, Heads], theirs: Mapping[str, Heads]) -> bool:
    return set(mine) == set(theirs) and all(sorted(mine[d]) == sorted(theirs[d]) for d in mine)


def refusal(problem: FrameError | PeerRefused) -> Frame:
    return error_frame(problem.code, problem.message)


__all__ = [
    "Identity",
    "Initiator",
    "NoOffice",
    "Outcome",
    "PeerRecord",
    "PeerRefused",
    "Responder",
    "SyncSide",
    "heads_digest",
    "known_hashes",
    "lacking",
    "own_documents",
    "peer_key",
    "peer_records",
    "receive",
]


@dataclass(frozen=True)
class PeerRecord:
    """One row of the store's per-peer memory: heads both had after a sync, and when."""

    peer: str
    doc: str
    heads: Heads
    at: str

    @property
    def office(self) -> str:
        return self.peer.split(":", 1)[0]

    @property
    def device(self) -> str:
        return self.peer.split(":", 1)[1] if ":" in self.peer else ""


def peer_records(store: Store) -> list[PeerRecord]:
    """Every peer record where both sides ended the last sync on the same heads."""
    return [
        PeerRecord(peer, doc, ours, at)
        for peer, doc, ours, theirs, at in store.peers()
        if ours == theirs
    ]
