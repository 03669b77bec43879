"""Authorship: every change signed by its device, and checked before it is applied (issue 6, 4).

Signing. A change is signed by the device whose home made it: the message is

    b"vledger-change-v1\\0" + document id (UTF-8) + b"\\0" + change hash (32 bytes)

(the hash already commits to the change's bytes and, through its dependencies, to
its whole history; the document id keeps a signature from being moved to another
document). A *signature record* is 104 bytes: change hash (32) + device key id
(8, raw) + Ed25519 signature (64); frames and bundles carry lists of them next to
the changes (`sigs`), in any order.

Where signatures live: the store's `change_signatures(doc_id, change, device, sig,
origin, at)` table (store/schema.py), not a map in the document. A map in the
document cannot hold its own change's signature (the hash depends on the
content), so each signature would need a second change, which
would need a signature in turn; and every signature would then be stored in every
replica's automerge history forever. A table keeps them beside the changes, and a
relay sends each change with the record it received: the original signature, so
store-and-forward stays checkable end to end.

Local changes are signed lazily, by `sign_local_changes`, before anything leaves
the home (the sync and bundle code call it first): the changes of documents whose
heads moved since the last pass whose automerge actor is this store's (the actor
is unique per database, sync/store.py). That also signs what was written before
this home had a key.

Checking (`screen_batch`, `receive_signed`): a received change that this replica
does not hold yet is accepted only if

- it is the document's genesis (identical on every replica, computed from the
  document id: nobody needs to sign it), or
- a signature record for it names a device on the verified roster, the signature
  verifies with that device's public key, the device's office may write this
  document (village: its own document only; township: the township document
  and, for corrections, every village document), and, for a revoked device,
  the change is one the township accepted before revoking it
  (sync/roster.py defines "after").

Refused changes, and every change of the batch that builds on one, are left out;
the rest of the batch is applied (all-or-nothing, by `Replicas.apply_batch`), so a
relay that adds one forged change cannot stop the legitimate ones. Every refusal
is logged in `refused_changes` with its reason (`refusal_log`), counted when it is
seen again, for `vledger status`.

The roster a batch is checked against is the home's township document's roster,
verified against the pinned township key; for a batch *of the township document*
it is that roster merged with the entries the batch brings (each still verified
against the pinned key, an entry whose seq goes back ignored), so a new home can
check the township document it is receiving for the first time. After screening,
a township-document batch whose accepted changes would leave a roster entry that
fails its signature, or goes back in seq, is refused whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from vledger.sync.binding.chunks import BadChange, ChunkInfo, change_actor, parse_changes
from vledger.sync.binding.doc import Doc
from vledger.sync.documents.replica import (
    TOWNSHIP,
    VILLAGE,
    BatchResult,
    new_document,
    parse_doc_id,
)
from vledger.sync.documents.replicas import Replicas
from vledger.sync.trust.keys import KEY_ID_LEN, SIGNATURE_LEN, SigningKey, verify
from vledger.sync.trust.roster import (
    Device,
    Roster,
    RosterError,
    current_roster,
    newest,
    pinned_township_key,
    signed_blobs,
    township_doc_id,
    verify_entries,
)

CONTEXT = b"vledger-change-v1\x00"
HASH_LEN = 32
RECORD_LEN = HASH_LEN + KEY_ID_LEN + SIGNATURE_LEN


@dataclass(frozen=True)
class Signature:
    """One signature record: which change, which device, and the signature."""

    change: bytes
    device: str  # key id, 16 hex characters
    sig: bytes

    def encode(self) -> bytes:
        return self.change + bytes.fromhex(self.device) + self.sig

    def row(self) -> tuple[bytes, str, bytes]:
        """As the store keeps it: (change, device, signature)."""
        return self.change, self.device, self.sig

    @classmethod
    def decode(cls, data: object) -> Signature:
        if not isinstance(data, bytes | bytearray) or len(data) != RECORD_LEN:
            raise ValueError(f"a signature record is {RECORD_LEN} bytes")
        data = bytes(data)
        return cls(
            data[:HASH_LEN], data[HASH_LEN : HASH_LEN + KEY_ID_LEN].hex(),
            data[HASH_LEN + KEY_ID_LEN :],
        )


def change_message(doc_id: str, change: bytes) -> bytes:
    return CONTEXT + doc_id.encode("utf-8") + b"\x00" + change


def sign_change(key: SigningKey, doc_id: str, change: bytes) -> Signature:
    return Signature(change, key.id, key.sign(change_message(doc_id, change)))


@dataclass(frozen=True)
class RefusedChange:
    """A received change that was not applied, and why."""

    doc: str
    change: bytes
    device: str
    office: str
    reason: str

    def __str__(self) -> str:
        who = f"device {self.device} ({self.office})" if self.device else "no device"
        return f"{self.doc}: change {self.change.hex()[:12]} by {who}: {self.reason}"


@dataclass
class Screened:
    """The verdict on one batch: what may be applied and what is refused."""

    accepted: list[bytes] = field(default_factory=list)
    signatures: list[Signature] = field(default_factory=list)
    refused: list[RefusedChange] = field(default_factory=list)
    held: int = 0  # changes this replica already holds (not checked again)


@dataclass
class Received:
    """What `receive_signed` did: the store's result and the refusals."""

    result: BatchResult
    refused: list[RefusedChange]

    @property
    def applied(self) -> int:
        return len(self.result.applied)


# -- genesis and permissions ---------------------------------------------------------------


@lru_cache(maxsize=512)
def genesis_hash(doc_id: str) -> bytes:
    """The hash of the document's first change, the same on every replica."""
    township, office, _ = parse_doc_id(doc_id)
    kind = TOWNSHIP if office == township else VILLAGE
    return new_document(doc_id, kind).changes()[0].hash


def write_refusal(device: Device, doc_id: str, township: str) -> str | None:
    """Why `device` may not write `doc_id` (None: it may)."""
    try:
        owner_township, owner, _ = parse_doc_id(doc_id)
    except ValueError:
        return f"{doc_id} is not a document id"
    if owner_township != township:
        return f"{doc_id} is not a document of township {township}"
    if device.kind == "township":
        return None  # the township document, and village documents for corrections
    if owner == township:
        return (f"village office {device.office} may not write the township's document "
                "(roster, programs, targets)")
    if owner != device.office:
        return f"village office {device.office} may not write {owner}'s ledgers"
    return None


# -- signing local changes -----------------------------------------------------------------


def sign_local_changes(
    store: Replicas, key: SigningKey, doc_ids: Iterable[str] | None = None
) -> int:
    """Sign this home's changes that have no signature yet; the number signed.

    This home's changes are the ones its writes recorded (the store's own_changes);
    a home made before that also counts the changes of the one actor it used to
    write with, found by opening the documents whose heads moved since the last
    pass (closed again: the township must not hold every village document open).
    """
    rows = store.db.signatures
    legacy = store.legacy_actor
    signed = 0
    for doc in list(doc_ids) if doc_ids is not None else store.document_ids():
        mine = store.db.own_changes.unsigned(doc)
        heads = store.heads(doc)
        mark = rows.mark(doc) if legacy is not None else None
        if legacy is not None and (mark is None or sorted(mark) != sorted(heads)):
            mine += _legacy_changes(store, doc, legacy, mark or [])
        records = [sign_change(key, doc, h) for h in dict.fromkeys(mine)]
        with store.transaction():
            rows.add(doc, [r.row() for r in records], "local")
            if legacy is not None:
                rows.set_mark(doc, heads)
        signed += len(records)
    return signed


def _legacy_changes(store: Replicas, doc: str, actor: bytes, since: list[bytes]) -> list[bytes]:
    was_open = store.is_open(doc)
    try:
        mine = [c.hash for c in store.document(doc).changes(since) if c.actor == actor]
    finally:
        if not was_open:
            store.close_document(doc)
    have = store.db.signatures.get(doc, mine)
    return [h for h in mine if h not in have]


def _own(store: Replicas, doc_id: str, candidates: dict[bytes, bytes]) -> set[bytes]:
    """Which of `candidates` (hash -> actor) this home made."""
    own = store.db.own_changes.among(doc_id, candidates)
    legacy = store.legacy_actor
    if legacy is not None:
        own |= {h for h, actor in candidates.items() if actor == legacy}
    return own


def signatures_for(store: Replicas, doc_id: str, changes: Sequence[bytes]) -> list[bytes]:
    """The encoded signature records of `changes` (what a frame or bundle carries with them).

    Changes without a record (the genesis, or a local change not signed yet: call
    `sign_local_changes` first) are simply not covered.
    """
    hashes = [info.hash for info in parse_changes(changes)]
    return [s.encode() for s in stored_signatures(store, doc_id, hashes).values()]


def stored_signatures(
    store: Replicas, doc_id: str, hashes: Iterable[bytes]
) -> dict[bytes, Signature]:
    return {change: Signature(change, device, sig)
            for change, (device, sig) in store.db.signatures.get(doc_id, hashes).items()}


def outgoing_signatures(
    store: Replicas, key: SigningKey | None, doc_id: str, changes: Sequence[bytes]
) -> list[bytes]:
    """The signature records to send with `changes`: stored ones, and for this home's own
    changes not signed yet, made now with `key` (signing happens before anything leaves).

    Another office's change without a record here (received before signatures existed)
    is never signed by this home: it travels unsigned and the receiver refuses it.
    """
    return signatures_of(store, key, doc_id, parse_changes(changes))


def signatures_of(
    store: Replicas, key: SigningKey | None, doc_id: str, infos: Sequence[ChunkInfo]
) -> list[bytes]:
    found = stored_signatures(store, doc_id, (i.hash for i in infos))
    genesis = genesis_hash(doc_id)
    unsigned = [i for i in infos if i.hash not in found and i.hash != genesis]
    if unsigned and key is not None:
        own = _own(store, doc_id, {i.hash: change_actor(i) for i in unsigned})
        made = [sign_change(key, doc_id, i.hash) for i in unsigned if i.hash in own]
        if made:
            store.db.signatures.add(doc_id, [r.row() for r in made], "local")
            found.update({r.change: r for r in made})
    return [r.encode() for r in found.values()]


def whole_signatures(store: Replicas, key: SigningKey | None, doc_id: str) -> list[bytes]:
    """The records of every change of `doc_id` (what a whole document travels with)."""
    document = store.document(doc_id)
    changes = document.changes()
    found = stored_signatures(store, doc_id, (c.hash for c in changes))
    genesis = genesis_hash(doc_id)
    unsigned = {c.hash: c.actor for c in changes if c.hash not in found and c.hash != genesis}
    own = _own(store, doc_id, unsigned) if key is not None else set()
    made = [sign_change(key, doc_id, h) for h in unsigned if h in own and key is not None]
    if made:
        store.db.signatures.add(doc_id, [r.row() for r in made], "local")
        found.update({r.change: r for r in made})
    return [r.encode() for r in found.values()]


def keep_signatures(
    store: Replicas, doc_id: str, records: Iterable[Signature], origin: str
) -> list[bytes]:
    """Store received records of accepted changes (inside the caller's transaction); the
    changes whose record was new here."""
    return store.db.signatures.add(doc_id, [r.row() for r in records], origin)


# -- checking received changes -------------------------------------------------------------


def decode_signatures(records: Iterable[object]) -> dict[bytes, Signature]:
    """Signature records by change hash; malformed records are dropped (their changes
    then count as unsigned and are refused with that reason)."""
    found: dict[bytes, Signature] = {}
    for data in records:
        try:
            record = Signature.decode(data)
        except ValueError:
            continue
        found.setdefault(record.change, record)
    return found


def screen_batch(
    store: Replicas,
    doc_id: str,
    changes: Sequence[bytes],
    sigs: Iterable[object],
    *,
    roster: Roster | None = None,
) -> Screened:
    """Which changes of a received batch may be applied (nothing is written).

    BadChange for bytes that are not changes; RosterError when this home has no
    pinned township key (it cannot check anything, so it accepts nothing).
    """
    infos = list({i.hash: i for i in parse_changes(changes)}.values())
    township = store.db.settings.get("township") or ""
    pub = pinned_township_key(store)
    if pub is None:
        raise RosterError(f"{store.home} has no pinned township key: it cannot check signatures")
    held_doc = store.document(doc_id) if store.has_document(doc_id) else None
    held = held_doc.change_hashes() if held_doc is not None else set()
    fresh = [i for i in infos if i.hash not in held]
    verdict = Screened(held=len(infos) - len(fresh))
    if not fresh:
        return verdict
    is_township_doc = doc_id == township_doc_id(store)
    before = current_roster(store) if roster is None else roster
    roster = before
    if is_township_doc:
        arriving = _roster_after(held_doc, fresh, township, pub)
        roster, _ = newest(before, arriving)
    records = decode_signatures(sigs)
    refused: dict[bytes, RefusedChange] = {}
    revoked: list[tuple[ChunkInfo, Device]] = []
    for info in fresh:
        problem, device = _check_one(doc_id, township, info, records, roster)
        if problem is not None:
            refused[info.hash] = problem
        elif device is not None and device.revoked is not None:
            revoked.append((info, device))
    if revoked:
        _check_revoked(doc_id, held_doc, fresh, revoked, refused)
    _refuse_dependents(doc_id, fresh, records, roster, refused)
    accepted = [i for i in fresh if i.hash not in refused]
    if is_township_doc and accepted:
        problems = _roster_problems(before, _roster_after(held_doc, accepted, township, pub))
        if problems:
            for info in accepted:
                refused[info.hash] = _refusal(doc_id, info, records, roster,
                                              "it would leave the roster " + "; ".join(problems))
            accepted = []
    verdict.accepted = [i.data for i in accepted]
    verdict.signatures = [records[i.hash] for i in accepted if i.hash in records]
    verdict.refused = [refused[i.hash] for i in fresh if i.hash in refused]
    return verdict


def _check_one(
    doc_id: str, township: str, info: ChunkInfo, records: Mapping[bytes, Signature],
    roster: Roster,
) -> tuple[RefusedChange | None, Device | None]:
    if info.hash == genesis_hash(doc_id):
        return None, None
    record = records.get(info.hash)
    if record is None:
        return RefusedChange(doc_id, info.hash, "", "", "it carries no signature"), None
    device = roster.device(record.device)
    if device is None:
        return RefusedChange(doc_id, info.hash, record.device, "",
                             f"device {record.device} is not on the township's roster"), None
    if not verify(device.pub, record.sig, change_message(doc_id, info.hash)):
        return RefusedChange(doc_id, info.hash, device.id, device.office,
                             "its signature does not match the change"), device
    why = write_refusal(device, doc_id, township)
    if why is not None:
        return RefusedChange(doc_id, info.hash, device.id, device.office, why), device
    return None, device


def _check_revoked(
    doc_id: str, held_doc: Doc | None, fresh: Sequence[ChunkInfo],
    revoked: Sequence[tuple[ChunkInfo, Device]], refused: dict[bytes, RefusedChange],
) -> None:
    """Refuse changes of revoked devices that are not in their accepted frontier's past."""
    deps: dict[bytes, tuple[bytes, ...]] = {i.hash: i.deps for i in fresh}
    if held_doc is not None:
        deps.update(held_doc.change_graph())
    for info, device in revoked:
        assert device.revoked is not None
        frontier = device.revoked.accepted.get(doc_id, ())
        if info.hash not in ancestry(deps, frontier):
            refused[info.hash] = RefusedChange(
                doc_id, info.hash, device.id, device.office,
                f"device {device.id} was revoked ({device.revoked.at}) before the township "
                "held this change",
            )


def ancestry(deps: Mapping[bytes, Sequence[bytes]], starts: Iterable[bytes]) -> set[bytes]:
    """`starts` and every change they build on (as far as `deps` knows them)."""
    seen: set[bytes] = set()
    todo = [h for h in starts if h in deps]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        todo.extend(d for d in deps.get(current, ()) if d not in seen)
    return seen


def _refuse_dependents(
    doc_id: str, fresh: Sequence[ChunkInfo], records: Mapping[bytes, Signature],
    roster: Roster, refused: dict[bytes, RefusedChange],
) -> None:
    changed = True
    while changed:
        changed = False
        for info in fresh:
            if info.hash in refused:
                continue
            bad = next((d for d in info.deps if d in refused), None)
            if bad is not None:
                refused[info.hash] = _refusal(doc_id, info, records, roster,
                                              f"it builds on refused change {bad.hex()[:12]}")
                changed = True


def _refusal(
    doc_id: str, info: ChunkInfo, records: Mapping[bytes, Signature], roster: Roster, why: str
) -> RefusedChange:
    record = records.get(info.hash)
    device = roster.device(record.device) if record else None
    return RefusedChange(doc_id, info.hash, record.device if record else "",
                         device.office if device else "", why)


def _roster_after(
    held_doc: Doc | None, changes: Sequence[ChunkInfo], township: str, pub: bytes
) -> Roster:
    candidate = held_doc.fork() if held_doc is not None else Doc()
    try:
        candidate.apply([i.data for i in changes])
    except BadChange:  # Replicas.apply_batch reports it
        return Roster(township)
    return verify_entries(signed_blobs(candidate), township, pub)


def _roster_problems(before: Roster, after: Roster) -> list[str]:
    _, went_back = newest(before, after)
    new = [p for p in after.problems if p not in before.problems]
    return [*new, *(p for p in went_back if p not in new)]


def receive_signed(
    store: Replicas,
    doc_id: str,
    changes: Sequence[bytes],
    sigs: Iterable[object],
    origin: str = "peer",
) -> Received:
    """Check a received batch, log what is refused, store the rest with its signatures.

    Signatures are stored first, then the changes (`Replicas.apply_batch`, all or
    nothing), so every stored change has its record to relay; if applying fails the
    records just added are removed again. Raises what `Replicas.apply_batch` raises
    (MissingDependencies, BadChange) with nothing stored but the refusal log.
    """
    screened = screen_batch(store, doc_id, changes, sigs)
    log_refusals(store, screened.refused, origin)
    if not screened.accepted:
        return Received(BatchResult(), screened.refused)
    added = keep_signatures(store, doc_id, screened.signatures, origin)
    try:
        result = store.apply_batch(doc_id, screened.accepted, origin)
    except BaseException:
        store.db.signatures.remove(doc_id, added)
        raise
    return Received(result, screened.refused)


# -- the refusal log -----------------------------------------------------------------------


@dataclass(frozen=True)
class LoggedRefusal:
    doc: str
    change: str  # hex
    device: str
    office: str
    reason: str
    origin: str
    first_at: str
    last_at: str
    times: int

    def to_json_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def log_refusals(store: Replicas, refused: Iterable[RefusedChange], origin: str) -> None:
    store.db.refusals.log(((r.doc, r.change, r.device, r.office, r.reason) for r in refused),
                          origin)


def refusal_log(store: Replicas, limit: int | None = None) -> list[LoggedRefusal]:
    """Refused changes, most recently seen first (for `vledger status`)."""
    return [LoggedRefusal(r.doc, r.change.hex(), r.device, r.office, r.reason, r.origin,
                          r.first_at, r.last_at, r.times)
            for r in store.db.refusals.list(limit)]


# -- revocation support --------------------------------------------------------------------


def accepted_frontier(store: Replicas, device_id: str) -> dict[str, list[bytes]]:
    """Per document, the frontier of `device_id`'s changes this home holds (sync/roster.py).

    The frontier is its changes that none of its other changes build on: every
    change of the device this home holds is one of them or an ancestor of one.
    """
    by_doc = store.db.signatures.by_device(device_id)
    found: dict[str, list[bytes]] = {}
    for doc, mine in sorted(by_doc.items()):
        if not store.has_document(doc):
            continue
        was_open = store.is_open(doc)
        try:
            deps = store.document(doc).change_graph()
        finally:
            if not was_open:
                store.close_document(doc)
        held = {h for h in mine if h in deps}
        below = ancestry(deps, (d for h in held for d in deps[h])) & held
        frontier = sorted(held - below)
        if frontier:
            found[doc] = frontier
    return found
