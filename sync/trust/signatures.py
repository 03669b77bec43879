"""Authorship: every change vouched for by its device, and checked before it is applied.

Vouching. A device vouches for the changes it made, once per batch it sends: a
*voucher* (trust/vouchers.py) names the document, the automerge actors those
changes were written with and their frontier, signed with the device's key.
Vouchers travel next to the changes (`sigs` in frames and bundles), and a relay
sends each change with the voucher it received: the author's own, so
store-and-forward stays checkable end to end. Homes of the version before kept one
104-byte *record* per change (change hash, device key id, Ed25519 signature of
b"vledger-change-v1\\0" + document id + b"\\0" + change hash); those are still
read, kept and relayed (`Signature`).

Where they live: the store's vouchers and vouched tables (which voucher covers
which change held here) and change_signatures for the old records
(store/schema.py), not maps in the document: a document cannot hold its own
change's signature (the hash depends on the content), and every signature would
be stored in every replica's automerge history forever.

This home's own changes (the store's own_changes) are vouched for lazily, before
anything leaves the home (`credentials`, `sign_local_changes`), so a write needs
no key.

Checking (`screen_batch`): a received change that this replica
does not hold yet is accepted only if

- it is the document's genesis (identical on every replica, computed from the
  document id: nobody needs to sign it), or
- a voucher covering it (or an old record for it) names a device on the verified
  roster, its signature verifies with that device's public key, the device's
  office may write this
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

import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache

from vledger.sync.binding.chunks import (
    BadChange,
    ChunkInfo,
    change_actor,
    change_hash,
    parse_changes,
)
from vledger.sync.binding.doc import Doc
from vledger.sync.documents.replica import (
    TOWNSHIP,
    VILLAGE,
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
from vledger.sync.trust.vouchers import Voucher, make_voucher

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
    parsed: list[ChunkInfo] = field(default_factory=list)  # the accepted, as screened
    signatures: list[Signature] = field(default_factory=list)  # old records to keep
    vouchers: list[tuple[Voucher, list[bytes]]] = field(default_factory=list)  # and what
    refused: list[RefusedChange] = field(default_factory=list)
    held: int = 0  # changes this replica already holds (not checked again)


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


# -- vouching for this home's changes ----------------------------------------------------


def sign_local_changes(
    store: Replicas, key: SigningKey, doc_ids: Iterable[str] | None = None
) -> int:
    """Vouch for this home's changes that nothing vouches for yet; how many were covered.

    This home's changes are the ones its writes recorded (the store's own_changes);
    a home made before that also counts the changes of the one actor it used to
    write with, found by opening the documents whose heads moved since the last
    pass (closed again: the township must not hold every village document open).
    """
    legacy = store.legacy_actor
    covered = 0
    for doc in list(doc_ids) if doc_ids is not None else store.document_ids():
        mine = set(store.db.own_changes.unvouched(doc))
        heads = store.heads(doc)
        mark = store.db.signatures.mark(doc) if legacy is not None else None
        if legacy is not None and (mark is None or sorted(mark) != sorted(heads)):
            mine |= set(_legacy_changes(store, doc, legacy, mark or []))
        if mine:
            was_open = store.is_open(doc)
            try:
                changes = [c for c in store.document(doc).changes() if c.hash in mine]
            finally:
                if not was_open:
                    store.close_document(doc)
            _vouch(store, key, doc, [(c.hash, c.actor, c.deps) for c in changes])
            covered += len(changes)
        if legacy is not None:
            store.db.signatures.set_mark(doc, heads)
    return covered


def _legacy_changes(store: Replicas, doc: str, actor: bytes, since: list[bytes]) -> list[bytes]:
    was_open = store.is_open(doc)
    try:
        mine = [c.hash for c in store.document(doc).changes(since) if c.actor == actor]
    finally:
        if not was_open:
            store.close_document(doc)
    have = set(store.db.signatures.get(doc, mine)) | set(store.db.vouchers.covering(doc, mine))
    return [h for h in mine if h not in have]


def _own(store: Replicas, doc_id: str, candidates: Mapping[bytes, bytes]) -> set[bytes]:
    """Which of `candidates` (hash -> actor) this home made."""
    own = store.db.own_changes.among(doc_id, candidates)
    legacy = store.legacy_actor
    if legacy is not None:
        own |= {h for h, actor in candidates.items() if actor == legacy}
    return own


def _vouch(store: Replicas, key: SigningKey, doc_id: str,
           changes: Sequence[tuple[bytes, bytes, Sequence[bytes]]]) -> Voucher:
    """A voucher for `changes` (hash, actor, deps), kept here as covering them.

    Its heads are the changes no other of them builds on directly: each of the
    others is then an ancestor of a head (a change between two of ours counts too)."""
    hashes = {h for h, _, _ in changes}
    below = {d for _, _, deps in changes for d in deps}
    voucher = make_voucher(key, doc_id, {a for _, a, _ in changes}, hashes - below)
    # Not waited on to reach the disk (inside a durable transaction it is durable): a
    # voucher lost to a power cut is made again, signing the same claim, the next time
    # these changes leave; the one sent before stays valid wherever it went. A sync
    # that sends this home's edits spares a wait for the disk per link.
    with store.db.transaction(durable=False):
        store.db.vouchers.add(doc_id, voucher.digest, key.id, voucher.encode(), "local",
                              hashes)
    return voucher


def credentials(
    store: Replicas, key: SigningKey | None, doc_id: str, infos: Sequence[ChunkInfo]
) -> list[bytes]:
    """What to send with these changes: the vouchers covering them and old records, and
    for this home's own changes nothing covers yet, a voucher made now with `key`.

    Another office's change with neither (received before signatures existed) is
    never vouched for by this home: it travels bare and the receiver refuses it.
    """
    return _credentials(store, key, doc_id, [i.hash for i in infos], lambda: infos)


def _credentials(
    store: Replicas, key: SigningKey | None, doc_id: str, hashes: Sequence[bytes],
    parse: Callable[[], Sequence[ChunkInfo]],
) -> list[bytes]:
    """`credentials` from the changes' hashes; `parse` reads the changes (their actors and
    dependencies) only when some are this home's own and not vouched for yet."""
    vouched = store.db.vouchers.covering(doc_id, hashes)
    legacy = stored_signatures(store, doc_id, [h for h in hashes if h not in vouched])
    genesis = genesis_hash(doc_id)
    bare_hashes = {h for h in hashes if h not in vouched and h not in legacy and h != genesis}
    if bare_hashes and key is not None:
        bare = [i for i in parse() if i.hash in bare_hashes]
        actors = {i.hash: change_actor(i) for i in bare}
        own = _own(store, doc_id, actors)
        mine = [(i.hash, actors[i.hash], i.deps) for i in bare if i.hash in own]
        if mine:
            made = _vouch(store, key, doc_id, mine).encode()
            vouched.update({h: made for h, _, _ in mine})
    return [*dict.fromkeys(vouched.values()), *(s.encode() for s in legacy.values())]


def signatures_for(store: Replicas, doc_id: str, changes: Sequence[bytes]) -> list[bytes]:
    """The credentials held for `changes` (vouch for this home's first:
    `sign_local_changes`); changes with none are simply not covered."""
    return credentials(store, None, doc_id, parse_changes(changes))


def stored_signatures(
    store: Replicas, doc_id: str, hashes: Iterable[bytes]
) -> dict[bytes, Signature]:
    return {change: Signature(change, device, sig)
            for change, (device, sig) in store.db.signatures.get(doc_id, hashes).items()}


def outgoing_signatures(
    store: Replicas, key: SigningKey | None, doc_id: str, changes: Sequence[bytes]
) -> list[bytes]:
    """The credentials to send with `changes` (`credentials`). A server sends the same
    changes to every office that pulls them: only their hashes are read here."""
    return _credentials(store, key, doc_id, [change_hash(c) for c in changes],
                        lambda: parse_changes(changes))


def whole_signatures(store: Replicas, key: SigningKey | None, doc_id: str) -> list[bytes]:
    """The credentials of every change of `doc_id` (what a whole document travels with)."""
    return credentials(store, key, doc_id, parse_changes(store.document(doc_id).change_bytes()))


def keep_signatures(store: Replicas, doc_id: str, screened: Screened, origin: str) -> None:
    """Keep the credentials of accepted changes (inside the caller's transaction)."""
    store.db.signatures.add(doc_id, [r.row() for r in screened.signatures], origin)
    for voucher, changes in screened.vouchers:
        store.db.vouchers.add(doc_id, voucher.digest, voucher.device, voucher.encode(),
                              origin, changes)


# -- checking received changes -------------------------------------------------------------


def decode_signatures(records: Iterable[object]) -> dict[bytes, Signature]:
    """Old per-change records by change hash; anything else is dropped (a change with no
    credential that checks is refused as unsigned)."""
    found: dict[bytes, Signature] = {}
    for data in records:
        try:
            record = Signature.decode(data)
        except ValueError:
            continue
        found.setdefault(record.change, record)
    return found


def decode_vouchers(records: Iterable[object], doc_id: str) -> list[Voucher]:
    """The vouchers among `records` that are about `doc_id` (one for another document
    vouches for nothing here), each once."""
    found: dict[bytes, Voucher] = {}
    for data in records:
        try:
            voucher = Voucher.decode(data)
        except ValueError:
            continue
        if voucher.doc == doc_id:
            found.setdefault(voucher.digest, voucher)
    return list(found.values())


@dataclass
class _Credentials:
    """What a batch brought to vouch for its changes, with the change graph to read it."""

    records: dict[bytes, Signature]
    covering: dict[bytes, tuple[Voucher, ...]]  # change -> vouchers whose claim includes it


def _credentials_of(
    doc_id: str, fresh: Sequence[ChunkInfo], sigs: Iterable[object]
) -> _Credentials:
    sigs = list(sigs)
    vouchers = decode_vouchers(sigs, doc_id)
    covering: dict[bytes, tuple[Voucher, ...]] = {}
    if vouchers:
        # Only the fresh changes' graph is walked: a held change never builds on one
        # this home lacks, so a path from a voucher's head down to a fresh change runs
        # through fresh changes only (the held history need not be read).
        deps: dict[bytes, tuple[bytes, ...]] = {i.hash: i.deps for i in fresh}
        by_actor: dict[bytes, set[bytes]] = {}
        for info in fresh:
            by_actor.setdefault(change_actor(info), set()).add(info.hash)
        for voucher in vouchers:
            written = set().union(*(by_actor.get(a, ()) for a in voucher.actors))
            claimed = ancestry(deps, voucher.heads) & written
            also = claimed & covering.keys()  # claimed by an earlier voucher too
            alone = (voucher,)
            covering.update(dict.fromkeys(claimed - also, alone))
            for change in also:
                covering[change] += alone
    return _Credentials(decode_signatures(sigs), covering)


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
    given = _credentials_of(doc_id, fresh, sigs)
    refused: dict[bytes, RefusedChange] = {}
    revoked: list[tuple[ChunkInfo, Device]] = []
    by: dict[bytes, Signature | Voucher] = {}
    verdicts: dict[int, tuple[RefusedChange | None, Device | None]] = {}
    for info in fresh:
        problem, device, credential = _check_one(store, doc_id, township, info, given,
                                                 roster, verdicts)
        if problem is not None:
            refused[info.hash] = problem
            continue
        if credential is not None:
            by[info.hash] = credential
        if device is not None and device.revoked is not None:
            revoked.append((info, device))
    if revoked:
        _check_revoked(doc_id, held_doc, fresh, revoked, refused)
    if refused:  # nothing refused, nothing builds on a refused change
        _refuse_dependents(doc_id, fresh, by, roster, refused)
    accepted = [i for i in fresh if i.hash not in refused]
    if is_township_doc and accepted:
        problems = _roster_problems(before, _roster_after(held_doc, accepted, township, pub))
        if problems:
            for info in accepted:
                refused[info.hash] = _refusal(doc_id, info, by, roster,
                                              "it would leave the roster " + "; ".join(problems))
            accepted = []
    verdict.accepted = [i.data for i in accepted]
    verdict.parsed = accepted
    verdict.signatures = [c for i in accepted if isinstance(c := by.get(i.hash), Signature)]
    vouched: dict[int, tuple[Voucher, list[bytes]]] = {}  # by id: `given` holds each once
    for info in accepted:
        credential = by.get(info.hash)
        if isinstance(credential, Voucher):
            vouched.setdefault(id(credential), (credential, []))[1].append(info.hash)
    verdict.vouchers = list(vouched.values())
    verdict.refused = [refused[i.hash] for i in fresh if i.hash in refused]
    return verdict


def _check_one(
    store: Replicas, doc_id: str, township: str, info: ChunkInfo, given: _Credentials,
    roster: Roster, verdicts: dict[int, tuple[RefusedChange | None, Device | None]],
) -> tuple[RefusedChange | None, Device | None, Signature | Voucher | None]:
    """(why refused, the device that vouches for it, the credential that checked).

    A voucher's verdict is the same for every change it covers (its device, signature
    and the document are all it depends on): `verdicts` keeps it per voucher of the
    batch, so a batch of a hundred changes under one voucher checks it once."""
    if info.hash == genesis_hash(doc_id):
        return None, None, None
    first: tuple[RefusedChange, Device | None] | None = None
    for voucher in given.covering.get(info.hash, ()):
        verdict = verdicts.get(id(voucher))
        if verdict is None:
            verdict = verdicts[id(voucher)] = _check_credential(
                doc_id, township, info.hash, voucher.device, verified_by(store, voucher),
                roster)
        problem, device = verdict
        if problem is not None and problem.change != info.hash:
            problem = replace(problem, change=info.hash)
        if problem is None:
            return None, device, voucher
        first = first or (problem, device)
    record = given.records.get(info.hash)
    if record is not None:
        def verifies(public: bytes) -> bool:
            return verify(public, record.sig, change_message(doc_id, info.hash))

        problem, device = _check_credential(doc_id, township, info.hash, record.device,
                                            verifies, roster)
        if problem is None:
            return None, device, record
        first = first or (problem, device)
    if first is not None:
        return first[0], first[1], None
    return RefusedChange(doc_id, info.hash, "", "", "it carries no signature"), None, None


# The vouchers each open home has verified. A relay sends the same voucher with every
# batch of that device's changes, and a server receives it from every village that
# carries it: a home checks it once. Kept per home, not per process: each office is a
# process of its own, and what one home checked spares no other (the sync benchmark
# runs fifty homes in one process, and must cost what fifty offices do).
_VERIFIED: weakref.WeakKeyDictionary[Replicas, dict[tuple[bytes, bytes, bytes], bool]] = (
    weakref.WeakKeyDictionary())
_VERIFIED_MAX = 4096


def verified_by(store: Replicas, voucher: Voucher) -> Callable[[bytes], bool]:
    """Whether a public key signed `voucher`, remembered by `store` once checked."""
    seen = _VERIFIED.setdefault(store, {})

    def verifies(public: bytes) -> bool:
        key = (public, voucher.sig, voucher.body)
        found = seen.get(key)
        if found is None:
            if len(seen) >= _VERIFIED_MAX:
                seen.clear()
            found = seen[key] = voucher.verifies(public)
        return found

    return verifies


def _check_credential(
    doc_id: str, township: str, change: bytes, device_id: str,
    verifies: Callable[[bytes], bool], roster: Roster,
) -> tuple[RefusedChange | None, Device | None]:
    device = roster.device(device_id)
    if device is None:
        return RefusedChange(doc_id, change, device_id, "",
                             f"device {device_id} is not on the township's roster"), None
    if not verifies(device.pub):
        return RefusedChange(doc_id, change, device.id, device.office,
                             "its signature does not match the change"), device
    why = write_refusal(device, doc_id, township)
    if why is not None:
        return RefusedChange(doc_id, change, device.id, device.office, why), device
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
    follow = deps.get
    while todo:  # a change reached twice is skipped when popped: cheaper than a filter
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo.extend(follow(current, ()))
    return seen


def _refuse_dependents(
    doc_id: str, fresh: Sequence[ChunkInfo], by: Mapping[bytes, Signature | Voucher],
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
                refused[info.hash] = _refusal(doc_id, info, by, roster,
                                              f"it builds on refused change {bad.hex()[:12]}")
                changed = True


def _refusal(
    doc_id: str, info: ChunkInfo, by: Mapping[bytes, Signature | Voucher], roster: Roster,
    why: str,
) -> RefusedChange:
    credential = by.get(info.hash)
    device = roster.device(credential.device) if credential else None
    return RefusedChange(doc_id, info.hash, credential.device if credential else "",
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
    for doc, changes in store.db.vouchers.by_device(device_id).items():
        by_doc.setdefault(doc, set()).update(changes)
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


def take_out_revoked(store: Replicas, roster: Roster) -> dict[str, set[bytes]]:
    """Take out of every held document the changes of revoked devices that the township
    did not hold when it revoked them (and whatever builds on them): per document, what
    was taken out. An office that took such a change before it heard of the revocation
    then holds what the township holds, and ranks the same (store: set_aside keeps them).

    Runs whenever the revocations this home knows of change (a township document with a
    new revocation arrived); a revoked device's later changes are refused at the gate.
    """
    revoked = [d for d in roster.devices() if d.revoked is not None]
    marker = ",".join(sorted(f"{d.id}:{d.revoked.at}" for d in revoked if d.revoked))
    if store.db.settings.get("revocations_checked", "") == marker:
        return {}
    taken: dict[str, set[bytes]] = {}
    for device in revoked:
        assert device.revoked is not None
        held = store.db.signatures.by_device(device.id)
        for doc, changes in store.db.vouchers.by_device(device.id).items():
            held.setdefault(doc, set()).update(changes)
        for doc, changes in sorted(held.items()):
            if not store.has_document(doc):
                continue
            graph = store.document(doc).change_graph()
            allowed = ancestry(graph, device.revoked.accepted.get(doc, ()))
            disputed = {h for h in changes if h in graph and h not in allowed}
            if not disputed:
                continue
            reason = (f"device {device.id} ({device.office}) was revoked "
                      f"({device.revoked.at}) before the township held this change")

            def why(change: bytes, device: Device = device, reason: str = reason,
                    disputed: set[bytes] = disputed) -> tuple[str, str]:
                if change in disputed:
                    return device.id, reason
                return "", f"it builds on a change of revoked device {device.id}"

            taken.setdefault(doc, set()).update(store.take_out(doc, disputed, why))
    store.db.settings.set("revocations_checked", marker)
    return taken
