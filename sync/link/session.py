"""The sync exchange between two replicas, independent of any transport.

One side leads (`Initiator`, the `vledger sync` end), the other answers
(`Responder`, the `vledger serve` end): every frame the leader sends gets
exactly one answer. Half-duplex keeps a cut link simple: whatever was
answered is durable on both sides, whatever was not is sent again next time.

Frames (sync/frames.py adds `v`; hashes are 32-byte bin, heads are lists of them):

    hello  {office, device, township, docs: {doc: heads},      -> hello (same fields)
            enroll: join reply (a joined village not enrolled yet)}
    push   {docs: {doc: [change]}, whole: {doc: snapshot},     -> ack {docs: {doc: heads},
            sigs: {doc: [record]}}                                     need: {doc: missing},
                                                                       refused: {doc: [[hash,
                                                                                 reason]]}}
    pull   {docs: {doc: {heads, since}}, whole: bool}          -> changes {docs: {doc: [change]},
                                                                   whole: {doc: snapshot},
                                                                   sigs: {doc: [record]},
                                                                   unknown: [doc], more: bool}
    sync   {doc, msg: bytes|nil, start, sigs: [record]}        -> sync {doc, msg, sigs}
    heads  {docs}  "this is what I hold now"                   -> heads {docs}
    wait   {digest, timeout}  (watch: answer when yours change) -> heads {docs}
    error  {code, message}  either way; the sender then closes

`push` and `pull` carry every document of a pass in one frame (as many as
fit under the cap; `more` says the answer stopped short and the next pass
asks again), and each side stores what one frame brought in ONE SQLite
transaction: a sync touching fifty documents costs one fsync, not fifty. The
one-document forms `push {doc, changes}` -> `ack {doc, heads}` | `need {doc,
missing}` and `pull {doc, heads, since}` -> `changes {doc, changes}` |
`unknown {doc}` are still answered.

The exchange, per document whose heads differ after `hello`:

1. push what the responder lacks. If every one of its heads is known here,
   that is exactly `get_changes(its heads)`. Otherwise it holds changes we
   lack, and we send the changes since the heads both had after the last
   complete sync with this peer (the store's peer records) plus its heads we know.
   With no such record we cannot tell what it lacks: go to 3. A document it
   does not hold at all goes whole, as its `save()` (see 2).
2. pull what we lack: the responder does the same computation from our heads.
   For a document we do not hold at all (`whole`), it sends its `save()`
   instead: compressed, and a fraction of the size of every change one by one.
3. Fallback (no record, or the other side answered `need`/`unknown` because a
   record was wrong, e.g. a restored replica): automerge's sync protocol with a
   fresh `SyncState` on both sides (it cannot be persisted, and a state kept
   across a lost message stalls). Received messages are applied to a fork;
   after each message the fork's new, causally complete changes go to the
   store as one batch, so nothing half-received is ever stored.
4. `heads`: both state what they hold; documents with equal heads are
   recorded for this peer (the next reconnect's starting point, one
   transaction for all of them). Repeat from 1 for documents still differing
   (someone else synced in between).

What is received goes through the one receive gate (link/gate.py), checked by the
`ChangeCheck` in this side's `Identity` (trust/checks.py); refused changes are never
applied and are logged, the sender learns them (`refused` in `ack`) and stops
offering that document for the rest of the sync. What is sent is computed in one
place, `lacking` (and `snapshot` for a document the peer lacks entirely), and
always travels with its records (`ChangeCheck.records`: this home's own changes
are signed with its device key on the way out, so a write needs no key).
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field

from vledger.errors import VledgerError
from vledger.sync.binding.chunks import BadChange
from vledger.sync.binding.doc import Doc, changes_in_sync_message
from vledger.sync.documents.replica import parse_doc_id
from vledger.sync.documents.replicas import Replicas
from vledger.sync.link.answers import Answers
from vledger.sync.link.answers import Key as AnswerKey
from vledger.sync.link.frames import (
    MAX_FRAME,
    Frame,
    FrameError,
    blob,
    change_list,
    doc_map,
    error_frame,
    heads,
    heads_map,
    split_changes,
    text,
)
from vledger.sync.link.gate import Received, belongs, receive, township_doc_of
from vledger.sync.link.peers import Heads, PeerRecord, peer_records
from vledger.sync.trust.checks import SIGNED, ChangeCheck
from vledger.sync.trust.invitation import pending_enrollment
from vledger.sync.trust.keys import KeyFileError, SigningKey, ensure_device_key
from vledger.sync.trust.roster import Roster, RosterError, current_roster
from vledger.sync.trust.signatures import RefusedChange

MAX_PASSES = 40  # rounds of "exchange, then compare heads" before a one-shot sync gives up
MAX_SYNC_STEPS = 64  # automerge sync messages per document and pass
BUDGET = MAX_FRAME // 2  # bytes of changes one push or answer carries (the rest waits a pass)

Ask = Callable[[Frame], Awaitable[Frame]]


class NoOffice(VledgerError, RuntimeError):
    """This home has no office yet (no township or office id in its settings)."""


class PeerRefused(VledgerError, RuntimeError):
    """The peer answered with an error frame (or an answer that makes no sense)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Identity:
    """Who this replica is: told to every peer in `hello`; `key` signs what it sends."""

    office: str
    device: str
    township: str
    key: SigningKey | None = field(default=None, compare=False, repr=False)
    enroll: bytes | None = field(default=None, compare=False, repr=False)
    # how what is received is checked and what is sent is vouched for (trust/checks.py)
    check: ChangeCheck = field(default=SIGNED, compare=False, repr=False)

    @classmethod
    def of(cls, store: Replicas, check: ChangeCheck = SIGNED) -> Identity:
        """This home's identity, with its device key (made now for a home that has none:
        homes made before keys existed sign from their first sync on)."""
        office, township = store.db.settings.get("office"), store.db.settings.get("township")
        if not office or not township:
            raise NoOffice(
                f"{store.home} has no office yet: run `vledger init` or join a township first"
            )
        try:
            key = ensure_device_key(store.home)
        except KeyFileError as problem:
            raise NoOffice(str(problem)) from None
        return cls(office, store.device_id(), township, key,
                   pending_enrollment(store, key.id), check)

    def hello(self, docs: Mapping[str, Heads]) -> Frame:
        frame: Frame = {"t": "hello", "office": self.office, "device": self.device,
                        "township": self.township, "docs": dict(docs)}
        if self.enroll is not None:
            frame["enroll"] = self.enroll
        return frame


def peer_key(office: str, device: str) -> str:
    """How a peer is named in the store's peer records (the store's peer records)."""
    return f"{office}:{device}"


def own_documents(store: Replicas, township: str) -> dict[str, Heads]:
    """Heads of every document this replica holds for `township` (it serves them all),
    read in one statement."""
    return {d: h for d, h in store.db.documents.all_heads().items() if belongs(d, township)}


def heads_digest(docs: Mapping[str, Iterable[bytes]]) -> bytes:
    digest = hashlib.sha256()
    for doc in sorted(docs):
        digest.update(doc.encode() + b"\x00" + b"".join(sorted(docs[doc])) + b"\x01")
    return digest.digest()


def known_hashes(doc: Doc) -> set[bytes]:
    """Every change hash the document holds (cheap: no change bytes are encoded)."""
    return doc.change_hashes()


def lacking(
    store: Replicas, doc: str, theirs: Heads | None, records: Iterable[Heads]
) -> list[bytes] | None:
    """The changes a peer holding `theirs` lacks; None when that cannot be told from here.

    `records`: heads the peer is believed to hold (what both had after a past sync).
    The answer may include changes the peer already has (from a third office):
    receiving is idempotent, so that costs bytes, never correctness.
    """
    return lacking_exactly(store, doc, theirs, records)[0]


def lacking_exactly(
    store: Replicas, doc: str, theirs: Heads | None, records: Iterable[Heads]
) -> tuple[list[bytes] | None, bool]:
    """`lacking`, and whether the answer follows from `theirs` alone (every head of
    theirs is known here: the changes since them are exactly what the peer lacks)."""
    if theirs is None:
        return store.changes_since(doc, []), False
    known = known_hashes(store.document(doc))
    if all(h in known for h in theirs):
        return store.document(doc).change_bytes(theirs), True
    usable = [r for r in records if r and all(h in known for h in r)]
    if not usable:
        return None, False
    base = [h for h in theirs if h in known] + [h for r in usable for h in r]
    return store.document(doc).change_bytes(base), False


def common_heads(store: Replicas, peer: str, doc: str) -> Heads | None:
    """The heads both sides had after the last complete sync with `peer`, if any."""
    return _common(store.db.peers.get(peer, doc))


def all_common_heads(store: Replicas, peer: str) -> dict[str, Heads]:
    """`common_heads` of every document that has them, read in one statement."""
    found: dict[str, Heads] = {}
    for doc, record in store.db.peers.of_peer(peer).items():
        heads = _common(record)
        if heads is not None:
            found[doc] = heads
    return found


def _common(record: tuple[list[bytes], list[bytes]] | None) -> Heads | None:
    if record is None or record[0] != record[1]:
        return None
    return record[0]


def record_equal(store: Replicas, peer: str, mine: Mapping[str, Heads],
                 theirs: Mapping[str, Heads]) -> None:
    """Remember, per document both hold identically, that this peer has these heads.

    One transaction for all of them, and not waited on to reach the disk: a
    record lost to a power cut only makes the next sync start from an older
    one (more bytes, or the fallback), never wrong.
    """
    with store.transaction(durable=False):
        recorded = all_common_heads(store, peer)
        for doc, heads_now in mine.items():
            if sorted(theirs.get(doc) or [b"-"]) != sorted(heads_now):
                continue
            if recorded.get(doc) == sorted(heads_now):
                continue  # already recorded: spare the disk a write
            store.db.peers.set(peer, doc, heads_now, heads_now)


def snapshot(store: Replicas, doc: str, budget: int = BUDGET) -> bytes | None:
    """The whole document for a peer that holds none of it, None if it is over `budget`."""
    data = store.document(doc).save()
    return data if len(data) <= budget else None


class SyncSide:
    """One side of automerge's sync protocol for one document, on a fork.

    The fork keeps whatever automerge could not apply yet (changes whose
    dependencies have not arrived) out of the store; what it could apply is
    handed to the gate after every message, as one batch, with the signature
    records that came with the messages so far (a sync message carries no
    signatures: each `sync` frame brings the records of the changes in its message).
    """

    def __init__(self, store: Replicas, me: Identity, doc: str, origin: str) -> None:
        self.doc, self.me, self.origin = doc, me, origin
        self.work = store.document(doc).fork() if store.has_document(doc) else Doc()
        self.peer = self.work.sync_peer()
        self.base = self.work.heads()
        self.received = 0
        self.records: list[bytes] = []
        self.refused: list[RefusedChange] = []

    def generate(self) -> bytes | None:
        return self.peer.generate()

    def signatures(self, store: Replicas, message: bytes | None) -> list[bytes]:
        """The records of the changes `message` carries (none if it carries none)."""
        changes = changes_in_sync_message(message) if message else []
        try:
            return self.me.check.records(store, self.me.key, self.doc, changes)
        except BadChange:
            return []

    def receive(self, store: Replicas, message: bytes, records: Iterable[bytes] = ()) -> None:
        self.records += [r for r in records if isinstance(r, bytes)]
        try:
            self.peer.receive(message)
        except BadChange as problem:
            raise FrameError("bad_sync", f"{self.doc}: {problem}") from None
        new = self.work.change_bytes(self.base)
        if new:
            outcome = receive(store, self.me.township, {self.doc: new}, self.origin,
                              self.me.check, sigs={self.doc: self.records})[self.doc]
            if outcome.missing:  # cannot happen: the fork holds their dependencies
                raise FrameError("bad_sync", f"{self.doc}: sync changes lack dependencies")
            self.received += outcome.applied
            self.refused += outcome.refused
        self.base = self.work.heads()


# -- the answering side ---------------------------------------------------------------


Enroll = Callable[[Replicas, bytes, str | None], None]


class Responder:
    """Answers one connection's frames; `handle` never does I/O beyond the store.

    `authenticated`: the device key id the link proved (TLS, sync/peer.py), or None
    for an in-process link. With it, `hello` is answered only when that device is
    an active device on this home's signed roster of the office it claims, or
    when its hello carries a join reply this home (the township) can enroll
    (`enroll`); otherwise an error, before any document data is sent.
    """

    def __init__(self, me: Identity, *, authenticated: str | None = None,
                 enroll: Enroll | None = None, answers: Answers | None = None) -> None:
        """`answers`: shared by every link a server answers (link/answers.py), so what
        fifty peers pull from the same heads is computed once."""
        self.me = me
        self.authenticated = authenticated
        self.enroll = enroll
        self.answers = answers
        self.peer: str | None = None
        self.peer_office = ""
        self._syncs: dict[str, SyncSide] = {}
        # What this link did so far, for whoever watches the server (`serve --json-log`).
        self.sent = 0  # changes sent to the peer (a whole document counts its changes)
        self.received = 0  # changes new to this home
        self.in_step = 0  # exchanges that ended with both sides holding the same heads
        # As in Outcome: what both held at hello, and what the peer said it held last.
        self.began_here: dict[str, Heads] = {}
        self.began_there: dict[str, Heads] = {}
        self.ended: dict[str, Heads] = {}

    def handle(self, store: Replicas, frame: Frame) -> Frame:
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

    def _hello(self, store: Replicas, frame: Frame) -> Frame:
        township = text(frame, "township")
        if township != self.me.township:
            raise FrameError(
                "foreign_township",
                f"this replica belongs to township {self.me.township}, the peer to {township}",
            )
        heads_map(frame)
        office = text(frame, "office")
        if self.authenticated is not None:
            self._admit(store, office, blob(frame, "enroll"))
        self.peer_office = office
        # Named by the key it proved when there is one: a hello cannot borrow another
        # device's name (and with it that device's peer records).
        self.peer = peer_key(office, self.authenticated or text(frame, "device"))
        mine = own_documents(store, self.me.township)
        self.began_here = dict(mine)
        self.began_there = {d: h for d, h in heads_map(frame).items()
                            if belongs(d, self.me.township)}
        self.ended = dict(self.began_there)
        return self.me.hello(mine)

    def _admit(self, store: Replicas, office: str, enroll: bytes | None) -> None:
        """Refuse a device the roster does not let act for `office` (enrolling it first when
        its hello carries a join reply and this home can enroll)."""
        assert self.authenticated is not None
        device = _roster_of(store).device(self.authenticated)
        if (device is None or device.revoked is not None) and enroll is not None:
            if self.enroll is None:
                raise FrameError("enroll_refused", "this office cannot enroll devices (only the "
                                 "township's office can)")
            self.enroll(store, enroll, self.authenticated)
            device = _roster_of(store).device(self.authenticated)
        if device is None:
            raise FrameError("unknown_device", f"device {self.authenticated} is not on the "
                             "township's roster")
        if device.revoked is not None:
            raise FrameError("revoked_device", f"device {self.authenticated} was revoked "
                             f"({device.revoked.at})")
        if device.office != office:
            raise FrameError("wrong_office", f"device {self.authenticated} acts for "
                             f"{device.office}, not {office}")

    def _push(self, store: Replicas, frame: Frame) -> Frame:
        if "docs" not in frame:  # the one-document form
            doc = text(frame, "doc")
            got = receive(store, self.me.township, {doc: change_list(frame)}, self._origin(),
                          self.me.check, sigs={doc: _records(frame.get("sigs"))})
            self.received += got[doc].applied
            if got[doc].missing:
                return {"t": "need", "doc": doc, "missing": got[doc].missing[:64]}
            return {"t": "ack", "doc": doc, "heads": store.heads(doc),
                    "refused": _refused_map(got)}
        batches = doc_map(frame, "docs")
        wholes = doc_map(frame, "whole") if "whole" in frame else {}
        if not all(isinstance(data, bytes) for data in wholes.values()):
            raise FrameError("garbled", "push frame: a whole document must be bytes")
        records = doc_map(frame, "sigs") if "sigs" in frame else {}
        outcome = receive(store, self.me.township,
                          {doc: change_list(batches, doc) for doc in batches}, self._origin(),
                          self.me.check, snapshots=wholes,
                          sigs={doc: _records(r) for doc, r in records.items()})
        self.received += sum(got.applied for got in outcome.values())
        return {
            "t": "ack",
            "docs": {d: store.heads(d) for d, got in outcome.items()
                     if not got.missing and store.has_document(d)},
            "need": {d: got.missing[:64] for d, got in outcome.items() if got.missing},
            "refused": _refused_map(outcome),
        }

    def _pull(self, store: Replicas, frame: Frame) -> Frame:
        key = self.me.key
        if "docs" not in frame:  # the one-document form
            doc = text(frame, "doc")
            theirs = heads(frame.get("heads"), "pull frame")
            since = heads(frame.get("since") or [], "pull frame")
            found = self._lacking(store, doc, theirs, since)
            if found is None:
                return {"t": "unknown", "doc": doc}
            self.sent += len(found)
            return {"t": "changes", "doc": doc, "changes": found,
                    "sigs": self.me.check.records(store, key, doc, found)}
        wanted = doc_map(frame, "docs")
        whole = frame.get("whole") is True
        answer: Frame = {"t": "changes", "docs": {}, "whole": {}, "sigs": {}, "unknown": [],
                         "more": False}
        room = BUDGET
        own = township_doc_of(store, self.me.township)
        for doc in sorted(wanted, key=lambda d: (d != own, d)):
            ask = doc_map(wanted, doc)
            theirs = heads(ask.get("heads"), f"pull frame, {doc}")
            since = heads(ask.get("since") or [], f"pull frame, {doc}")
            if whole and not theirs and self._holds(store, doc):
                data = snapshot(store, doc, room)
                if data is not None:
                    answer["whole"][doc] = data
                    answer["sigs"][doc] = self.me.check.whole_records(store, key, doc)
                    self.sent += store.document(doc).change_count()
                    room -= len(data) + 104 * len(answer["sigs"][doc])
                    continue
            found, credentials, keep = self._lacking_kept(store, doc, theirs, since)
            if found is None:
                answer["unknown"].append(doc)
                continue
            runs = list(split_changes(found, BUDGET)) or [[]]
            size = sum(len(c) + 8 for c in runs[0])
            if size > room and room < BUDGET:
                answer["more"] = True  # the next pass asks again
                break
            answer["docs"][doc] = runs[0]
            self.sent += len(runs[0])
            if runs[0]:
                if credentials is None or len(runs) > 1:
                    credentials = self.me.check.records(store, key, doc, runs[0])
                    if keep is not None and self.answers is not None and len(runs) == 1:
                        self.answers.put(keep, runs[0], credentials)
                answer["sigs"][doc] = credentials
            room -= size
            answer["more"] = answer["more"] or len(runs) > 1
        return answer

    def _holds(self, store: Replicas, doc: str) -> bool:
        return belongs(doc, self.me.township) and store.has_document(doc)

    def _lacking_kept(
        self, store: Replicas, doc: str, theirs: Heads, since: Heads
    ) -> tuple[list[bytes] | None, list[bytes] | None, AnswerKey | None]:
        """`_lacking` through the server's `answers`: (the changes, their credentials
        if kept, the key to keep them under when they were not and may be)."""
        if self.answers is None or not theirs or not self._holds(store, doc):
            return self._lacking(store, doc, theirs, since), None, None
        name = Answers.key(doc, store.document(doc).heads(), theirs)
        kept = self.answers.get(name)
        if kept is not None:
            return kept[0], kept[1], None
        assert self.peer is not None
        own = common_heads(store, self.peer, doc)
        found, exact = lacking_exactly(store, doc, theirs, [since, own or []])
        return found, None, name if exact else None

    def _lacking(
        self, store: Replicas, doc: str, theirs: Heads, since: Heads
    ) -> list[bytes] | None:
        if not self._holds(store, doc):
            return []
        assert self.peer is not None
        own = common_heads(store, self.peer, doc)
        return lacking(store, doc, theirs, [since, own or []])

    def _sync(self, store: Replicas, frame: Frame) -> Frame:
        doc = text(frame, "doc")
        if not belongs(doc, self.me.township):
            raise FrameError("foreign_document", f"{doc} is not a document of this township")
        message = blob(frame, "msg")
        side = self._syncs.get(doc)
        if side is None or frame.get("start") is True:
            side = self._syncs[doc] = SyncSide(store, self.me, doc, self._origin())
        if message is not None:
            before = side.received
            side.receive(store, message, _records(frame.get("sigs")))
            self.received += side.received - before
        answer = side.generate()
        if message is None and answer is None:
            del self._syncs[doc]  # both quiet: this document's exchange is over
        return {"t": "sync", "doc": doc, "msg": answer, "sigs": side.signatures(store, answer)}

    def _heads(self, store: Replicas, frame: Frame) -> Frame:
        theirs = heads_map(frame)
        mine = own_documents(store, self.me.township)
        assert self.peer is not None
        record_equal(store, self.peer, mine, theirs)
        if {d: sorted(h) for d, h in mine.items()} == {d: sorted(h) for d, h in theirs.items()}:
            self.in_step += 1
        self.ended = {d: h for d, h in theirs.items() if belongs(d, self.me.township)}
        return {"t": "heads", "docs": mine}

    def _origin(self) -> str:
        return self.peer or "peer"


def _roster_of(store: Replicas) -> Roster:
    try:
        return current_roster(store)
    except RosterError as problem:
        raise FrameError("no_trust", str(problem)) from None


def _records(value: object) -> list[bytes]:
    """Signature records from a frame (malformed items are dropped: their changes then
    count as unsigned and are refused with that reason)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise FrameError("garbled", "sigs must be a list of signature records")
    return [r for r in value if isinstance(r, bytes)]


def _refused_map(outcome: Mapping[str, Received]) -> dict[str, list[list[object]]]:
    return {d: [[r.change, r.reason[:200]] for r in got.refused[:64]]
            for d, got in outcome.items() if got.refused}


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
    refused: list[str] = field(default_factory=list)  # "doc: change: reason", either side
    stuck: set[str] = field(default_factory=set)  # documents with refused changes
    # What each side held when the exchange began, and what the peer held at its end
    # (the heads both hold, once converged): what went each way is told from these
    # (services/brought.py).
    began_here: dict[str, Heads] = field(default_factory=dict)
    began_there: dict[str, Heads] = field(default_factory=dict)
    ended: dict[str, Heads] = field(default_factory=dict)


class Initiator:
    """Leads the exchange over `ask` (send a frame, await its answer)."""

    def __init__(self, me: Identity, ask: Ask, *, max_passes: int = MAX_PASSES) -> None:
        self.me = me
        self._ask = ask
        self.max_passes = max_passes
        self.peer: str | None = None
        self.peer_office = ""
        self.theirs: dict[str, Heads] = {}
        self.stuck: set[str] = set()  # documents with refused changes: not offered again

    async def ask(self, frame: Frame, *expected: str) -> Frame:
        answer = await self._ask(frame)
        if answer["t"] == "error":
            raise PeerRefused(str(answer.get("code")), str(answer.get("message")))
        if answer["t"] not in expected:
            raise PeerRefused("unexpected", f"the peer answered {frame['t']} with {answer['t']}")
        return answer

    async def hello(self, store: Replicas) -> None:
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

    async def refresh(self, store: Replicas) -> dict[str, Heads]:
        """Tell the peer what we hold, learn what it holds; records documents held alike."""
        mine = own_documents(store, self.me.township)
        answer = await self.ask({"t": "heads", "docs": mine}, "heads")
        self.theirs = {d: h for d, h in heads_map(answer).items() if belongs(d, self.me.township)}
        assert self.peer is not None
        record_equal(store, self.peer, mine, self.theirs)
        return mine

    async def run(self, store: Replicas) -> Outcome:
        """Exchange until both hold the same heads for every document (or passes run out)."""
        outcome = Outcome()
        self.stuck = set()  # a new run offers every document again (the roster may have moved)
        if self.peer is None:
            await self.hello(store)
        outcome.peer_office = self.peer_office
        mine = own_documents(store, self.me.township)
        outcome.began_here = dict(mine)
        outcome.began_there = dict(self.theirs)
        for number in range(1, self.max_passes + 1):
            outcome.passes = number
            differing = sorted(
                d for d in set(mine) | set(self.theirs)
                if sorted(mine.get(d, [b"-"])) != sorted(self.theirs.get(d, [b"+"]))
                and d not in self.stuck
            )
            if differing:
                await self._exchange(store, differing, outcome)
            mine = await self.refresh(store)
            if _same(mine, self.theirs, self.stuck):
                outcome.converged = True
                break
        outcome.documents = len(mine)
        outcome.stuck = set(self.stuck)
        outcome.ended = dict(self.theirs)
        return outcome

    def _note_refused(self, outcome: Outcome, doc: str, items: Iterable[object]) -> None:
        for item in items:
            if isinstance(item, RefusedChange):
                outcome.refused.append(f"{doc}: here: {item}")
            elif isinstance(item, list) and len(item) == 2 and isinstance(item[0], bytes):
                outcome.refused.append(f"{doc}: change {item[0].hex()[:12]} refused by "
                                       f"{self.peer_office}: {item[1]}")
            self.stuck.add(doc)

    async def _exchange(self, store: Replicas, docs: list[str], outcome: Outcome) -> None:
        """One pass over the differing documents: push, pull, then fall back where needed."""
        assert self.peer is not None
        recorded = all_common_heads(store, self.peer)
        records = {doc: recorded.get(doc) for doc in docs}
        outgoing: dict[str, list[bytes]] = {}
        wholes: dict[str, bytes] = {}
        key = self.me.key
        fallback: list[str] = []
        for doc in docs:
            if not store.has_document(doc):
                continue
            if doc not in self.theirs:  # the peer holds none of it: the document whole
                data = snapshot(store, doc)
                if data is not None:
                    wholes[doc] = data
                    continue
            found = lacking(store, doc, self.theirs.get(doc), [records[doc] or []])
            if found is None:
                fallback.append(doc)
            elif found:
                outgoing[doc] = found
        check = self.me.check
        sigs = {doc: check.whole_records(store, key, doc) for doc in wholes}
        sigs |= {doc: check.records(store, key, doc, found) for doc, found in outgoing.items()}
        await self._push_whole(store, wholes, sigs, outcome)
        fallback += await self._push(store, outgoing, sigs, outcome)
        # The roster in the township document decides whose changes every other document
        # may take: when it needs the slow way, it goes first, before the pull below.
        own = township_doc_of(store, self.me.township)
        if own in fallback:
            await self._fallback(store, own, outcome)
            fallback = [doc for doc in fallback if doc != own]
            docs = [doc for doc in docs if doc != own]
        wanted = {
            doc: {"heads": store.heads(doc) if store.has_document(doc) else [],
                  "since": records[doc] or []}
            for doc in docs if doc not in fallback
        }
        if wanted:
            fallback += await self._pull(store, wanted, outcome)
        for doc in sorted(set(fallback)):
            await self._fallback(store, doc, outcome)

    async def _push_whole(
        self, store: Replicas, wholes: Mapping[str, bytes], sigs: Mapping[str, list[bytes]],
        outcome: Outcome,
    ) -> None:
        """Send whole documents the peer lacks, as many per frame as fit the budget."""
        frames: list[dict[str, bytes]] = []
        size = BUDGET
        for doc in sorted(wholes):
            if size + len(wholes[doc]) > BUDGET:
                frames.append({})
                size = 0
            frames[-1][doc] = wholes[doc]
            size += len(wholes[doc])
        for frame_docs in frames:
            answer = await self.ask({"t": "push", "docs": {}, "whole": frame_docs,
                                     "sigs": {d: sigs.get(d, []) for d in frame_docs}}, "ack")
            self._peer_refused(answer, outcome)
            outcome.sent += sum(store.document(d).change_count() for d in frame_docs)

    def _peer_refused(self, answer: Frame, outcome: Outcome) -> None:
        refused = answer.get("refused") or {}
        if isinstance(refused, dict):
            for doc, items in refused.items():
                if isinstance(doc, str) and isinstance(items, list):
                    self._note_refused(outcome, doc, items)

    async def _push(
        self, store: Replicas, outgoing: Mapping[str, list[bytes]],
        sigs: Mapping[str, list[bytes]], outcome: Outcome,
    ) -> list[str]:
        """Send every document's changes in frames of bounded size; the documents refused.

        A document the peer answers `need` for (it lacks their base) is not
        pushed further: the fallback takes it over.
        """
        refused: list[str] = []
        for frame_docs in _pack(outgoing):
            frame_docs = {d: c for d, c in frame_docs.items() if d not in refused}
            if not frame_docs:
                continue
            answer = await self.ask({"t": "push", "docs": frame_docs,
                                     "sigs": {d: sigs.get(d, []) for d in frame_docs}}, "ack")
            self._peer_refused(answer, outcome)
            need = doc_map(answer, "need")
            refused += [d for d in frame_docs if d in need]
            outcome.sent += sum(len(c) for d, c in frame_docs.items() if d not in need)
        return refused

    async def _pull(
        self, store: Replicas, wanted: dict[str, Frame], outcome: Outcome
    ) -> list[str]:
        """Ask for what we lack of every document at once; the documents to fall back on."""
        assert self.peer is not None
        answer = await self.ask({"t": "pull", "docs": wanted, "whole": True}, "changes")
        batches = {doc: change_list(doc_map(answer, "docs"), doc)
                   for doc in doc_map(answer, "docs") if doc in wanted}
        wholes = {doc: data for doc, data in doc_map(answer, "whole").items()
                  if doc in wanted and isinstance(data, bytes)}
        unknown = answer.get("unknown")
        if not isinstance(unknown, list):
            raise PeerRefused("garbled", "the peer's changes frame lists no unknown documents")
        records = doc_map(answer, "sigs") if "sigs" in answer else {}
        got = receive(store, self.me.township, batches, self.peer, self.me.check,
                      snapshots=wholes, sigs={doc: _records(r) for doc, r in records.items()})
        outcome.received += sum(r.applied for r in got.values())
        for doc, result in got.items():
            if result.refused:
                self._note_refused(outcome, doc, result.refused)
        return [doc for doc in wanted if doc in unknown] + [
            doc for doc, r in got.items() if r.missing
        ]

    async def _fallback(self, store: Replicas, doc: str, outcome: Outcome) -> None:
        assert self.peer is not None
        outcome.fallbacks += 1
        side = SyncSide(store, self.me, doc, self.peer)
        for step in range(MAX_SYNC_STEPS):
            message = side.generate()
            frame = {"t": "sync", "doc": doc, "msg": message, "start": step == 0,
                     "sigs": side.signatures(store, message)}
            answer = await self.ask(frame, "sync")
            reply = blob(answer, "msg")
            if reply is not None:
                side.receive(store, reply, _records(answer.get("sigs")))
            if message is None and reply is None:
                break
        outcome.received += side.received
        if side.refused:
            self._note_refused(outcome, doc, side.refused)


def _pack(outgoing: Mapping[str, list[bytes]]) -> list[dict[str, list[bytes]]]:
    """The documents' changes as the `docs` of push frames, each under the budget.

    A document too big for one frame is split into consecutive runs (causal
    order kept), so each frame applies on top of the ones before it.
    """
    frames: list[dict[str, list[bytes]]] = []
    current: dict[str, list[bytes]] = {}
    size = 0
    for doc in sorted(outgoing, key=lambda d: (parse_doc_id(d)[0] != parse_doc_id(d)[1], d)):
        for run in split_changes(outgoing[doc], BUDGET):
            run_size = sum(len(c) + 8 for c in run)
            if current and (size + run_size > BUDGET or doc in current):
                frames.append(current)
                current, size = {}, 0
            current[doc] = run
            size += run_size
    if current:
        frames.append(current)
    return frames


def _same(mine: Mapping[str, Heads], theirs: Mapping[str, Heads],
          stuck: Iterable[str] = ()) -> bool:
    """Both hold the same heads for every document, apart from `stuck` ones (refused
    changes keep those apart: the refusing side will never hold them)."""
    skip = set(stuck)
    docs = (set(mine) | set(theirs)) - skip
    return all(sorted(mine.get(d, [b"-"])) == sorted(theirs.get(d, [b"+"])) for d in docs)


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
    "lacking_exactly",
    "own_documents",
    "peer_key",
    "peer_records",
    "snapshot",
]


