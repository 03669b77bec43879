"""The signed roster: which devices act for which office.

The township document's `roster` map already holds `roster/<office>` = {name, area,
kind} (sync/township_doc.py). Next to each, the township keeps a *signed entry*:

    roster/signed:<office> = msgpack {"entry": ENTRY, "sig": 64 bytes}

    ENTRY = msgpack {"v": 1, "township": id, "office": id, "kind": "township"|"village",
                     "seq": n, "at": ISO time,
                     "devices": {key id: raw public key (32 bytes)},
                     "revoked": {key id: {"pub": raw public key, "at": ISO time,
                                          "accepted": {doc id: [change hash, ...]}}}}
    sig   = Ed25519 signature by the township key of b"vledger-roster-v1\\0" + ENTRY

Why a sibling key and not a field of `roster/<office>`: `put_office` replaces that
map whole, and would drop a signature kept inside it; and `TownshipDoc.offices()`
skips values that are not maps, so a bytes value named `signed:...` (office ids
cannot contain ':') never shows up as an office.

Verification (`verify_entries`) trusts only the township public key pinned in this
home at init or join (identity.TOWNSHIP_KEY_SETTING), never a key found in the
document. An entry counts only if its signature verifies, its `township` is this
township and its `office` is the key it is stored under (a validly signed entry
copied to another office's key would otherwise move devices between offices).
`seq` grows by one with every change the township signs for that office, so an
older entry written back (a replay) is told apart from the current one
(`newest`).

Revocation, and what "after" means: revoking a device moves it from `devices` to
`revoked`, listing per document the *frontier* of that device's changes this
township office held when it revoked it (its changes that no other of its changes
builds on; sync/authorship.accepted_frontier). A change signed by a revoked device
is accepted only if it is one of those changes or an ancestor of one (automerge's
hash chain makes that unforgeable: a change made later cannot be an ancestor of
changes that already exist). So "after revocation" means "not held by the township
when it revoked": a device's changes still on a USB stick at that moment are
refused everywhere, which is the safe reading, and the same on every replica
whatever the clocks say.

Only the township writes entries (`put_entry` needs the township's private key,
and authorship refuses township-document changes from any other office).
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import msgpack

from vledger.clock import now_iso
from vledger.domain.history import JournalEntry
from vledger.errors import VledgerError
from vledger.sync.binding.doc import ROOT, Doc
from vledger.sync.documents.journal import Who
from vledger.sync.documents.replica import TOWNSHIP, Edit, Record, doc_id, roster_year
from vledger.sync.documents.replicas import Replicas
from vledger.sync.trust.keys import (
    PUBLIC_KEY_LEN,
    SIGNATURE_LEN,
    TOWNSHIP_KEY_SETTING,
    SigningKey,
    key_id,
    verify,
)

ENTRY_VERSION = 1
SIGNED_PREFIX = "signed:"
CONTEXT = b"vledger-roster-v1\x00"
KINDS = ("township", "village")


class RosterError(VledgerError, ValueError):
    """A roster entry that does not verify, or a roster change that is not allowed."""


@dataclass(frozen=True)
class Revoked:
    """A revoked device: its key, when, and the frontier of its changes still accepted."""

    pub: bytes
    at: str
    accepted: Mapping[str, tuple[bytes, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class RosterEntry:
    """One office's signed roster entry (the module docstring gives the format)."""

    township: str
    office: str
    kind: str
    seq: int = 1
    devices: Mapping[str, bytes] = field(default_factory=dict)
    revoked: Mapping[str, Revoked] = field(default_factory=dict)
    at: str = ""

    def to_plain(self) -> dict[str, Any]:
        return {
            "v": ENTRY_VERSION, "township": self.township, "office": self.office,
            "kind": self.kind, "seq": self.seq, "at": self.at,
            "devices": dict(sorted(self.devices.items())),
            "revoked": {
                k: {"pub": r.pub, "at": r.at,
                    "accepted": {d: list(h) for d, h in sorted(r.accepted.items())}}
                for k, r in sorted(self.revoked.items())
            },
        }

    @classmethod
    def from_plain(cls, plain: object) -> RosterEntry:
        if not isinstance(plain, Mapping) or plain.get("v") != ENTRY_VERSION:
            raise RosterError("not a roster entry of a version this program reads")
        try:
            devices = {str(k): bytes(v) for k, v in plain["devices"].items()}
            revoked = {
                str(k): Revoked(
                    bytes(r["pub"]), str(r["at"]),
                    {str(d): tuple(bytes(h) for h in hs) for d, hs in r["accepted"].items()},
                )
                for k, r in plain["revoked"].items()
            }
            entry = cls(str(plain["township"]), str(plain["office"]), str(plain["kind"]),
                        int(plain["seq"]), devices, revoked, str(plain["at"]))
        except (KeyError, TypeError, ValueError, AttributeError) as problem:
            raise RosterError(f"a roster entry is garbled ({problem})") from None
        if entry.kind not in KINDS:
            raise RosterError(f"roster entry of {entry.office}: unknown kind {entry.kind!r}")
        for kid, pub in [*devices.items(), *((k, r.pub) for k, r in revoked.items())]:
            if len(pub) != PUBLIC_KEY_LEN or key_id(pub) != kid:
                raise RosterError(f"roster entry of {entry.office}: device {kid} has a wrong key")
        return entry

    def summary(self) -> str:
        """One line for the journal: what this entry says."""
        devices = ", ".join(sorted(self.devices)) or "none"
        revoked = ", ".join(sorted(self.revoked)) or "none"
        return f"seq {self.seq} ({self.kind}): devices {devices}; revoked {revoked}"


def sign_entry(entry: RosterEntry, township_key: SigningKey) -> bytes:
    """The stored bytes of an entry signed with the township key."""
    body = bytes(msgpack.packb(entry.to_plain(), use_bin_type=True))
    return bytes(msgpack.packb({"entry": body, "sig": township_key.sign(CONTEXT + body)},
                               use_bin_type=True))


def open_entry(blob: object, township: str, township_pub: bytes, office: str) -> RosterEntry:
    """The entry stored under `signed:<office>`, verified; RosterError saying what is wrong."""
    if not isinstance(blob, bytes):
        raise RosterError(f"roster entry of {office} is not signed bytes")
    try:
        outer = msgpack.unpackb(blob, raw=False)
        body, sig = outer["entry"], outer["sig"]
    except Exception:  # msgpack raises several unrelated types
        raise RosterError(f"roster entry of {office} is garbled") from None
    if not isinstance(body, bytes) or not isinstance(sig, bytes) or len(sig) != SIGNATURE_LEN:
        raise RosterError(f"roster entry of {office} is garbled")
    if not verify(township_pub, sig, CONTEXT + body):
        raise RosterError(f"roster entry of {office} fails the township's signature")
    try:
        plain = msgpack.unpackb(body, raw=False)
    except Exception:
        raise RosterError(f"roster entry of {office} is garbled") from None
    entry = RosterEntry.from_plain(plain)
    if entry.township != township:
        raise RosterError(f"roster entry of {office} names township {entry.township}")
    if entry.office != office:
        raise RosterError(f"roster entry stored for {office} names office {entry.office}")
    return entry


# -- the verified roster ------------------------------------------------------------------


@dataclass(frozen=True)
class Device:
    """A device the roster knows, with the office it acts for."""

    id: str
    pub: bytes
    office: str
    kind: str
    revoked: Revoked | None = None


@dataclass
class Roster:
    """The verified entries of one township, and what did not verify."""

    township: str
    entries: dict[str, RosterEntry] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def device(self, device_id: str) -> Device | None:
        for entry in self.entries.values():
            pub = entry.devices.get(device_id)
            if pub is not None:
                return Device(device_id, pub, entry.office, entry.kind)
            gone = entry.revoked.get(device_id)
            if gone is not None:
                return Device(device_id, gone.pub, entry.office, entry.kind, gone)
        return None

    def devices(self) -> list[Device]:
        found = [self.device(k) for e in self.entries.values()
                 for k in [*e.devices, *e.revoked]]
        return sorted((d for d in found if d is not None), key=lambda d: (d.office, d.id))

    def kind_of(self, office: str) -> str | None:
        entry = self.entries.get(office)
        return entry.kind if entry else None

    def has_device(self, office: str, device_id: str) -> bool:
        entry = self.entries.get(office)
        return entry is not None and device_id in entry.devices


def signed_blobs(doc: Doc) -> dict[str, object]:
    """The raw `roster/signed:<office>` values of a township document, by office."""
    roster = doc.map_id(ROOT, "roster")
    if roster is None:
        return {}
    return {key[len(SIGNED_PREFIX):]: value
            for key, value in doc.read_map(roster, SIGNED_PREFIX).items()}


def verify_entries(
    blobs: Mapping[str, object], township: str, township_pub: bytes
) -> Roster:
    """Every entry checked against the pinned key; bad ones are left out and named."""
    roster = Roster(township)
    for office, blob in sorted(blobs.items()):
        try:
            roster.entries[office] = open_entry(blob, township, township_pub, office)
        except RosterError as problem:
            roster.problems.append(str(problem))
    return roster


def newest(held: Roster, arriving: Roster) -> tuple[Roster, list[str]]:
    """Per office the entry with the higher seq; problems for entries that went back.

    An arriving entry with a lower seq than the held one is an old entry written
    back (a replay): it is ignored and named.
    """
    merged = Roster(held.township, dict(held.entries), list(held.problems))
    problems = list(arriving.problems)
    for office, entry in arriving.entries.items():
        mine = held.entries.get(office)
        if mine is not None and entry.seq < mine.seq:
            problems.append(
                f"roster entry of {office} goes back from seq {mine.seq} to {entry.seq}"
            )
            continue
        merged.entries[office] = entry
    return merged, problems


# -- this home's roster --------------------------------------------------------------------


def pinned_township_key(store: Replicas) -> bytes | None:
    value = store.db.settings.get(TOWNSHIP_KEY_SETTING)
    return bytes.fromhex(value) if value else None


def pin_township_key(store: Replicas, public: bytes) -> None:
    """Pin the township's public key in this home (init and join only)."""
    pinned = pinned_township_key(store)
    if pinned is not None and pinned != public:
        raise RosterError("this home already trusts another township key; it is never replaced")
    if len(public) != PUBLIC_KEY_LEN:
        raise RosterError("a township key is 32 bytes")
    store.db.settings.set(TOWNSHIP_KEY_SETTING, public.hex())


def township_doc_id(store: Replicas) -> str:
    """The township document holding the roster: one for the township, whatever the year
    (the one of the roster's year, documents/replica.roster_year)."""
    settings = store.db.settings.all()
    township, year = settings.get("township"), roster_year(settings)
    if not township or not year:
        raise RosterError(f"{store.home} has no office yet")
    return doc_id(township, township, year)


def current_roster(store: Replicas) -> Roster:
    """This home's township document's roster, verified against the pinned key.

    RosterError when no township key is pinned (a home made before keys existed).
    An absent township document gives an empty roster.
    """
    township = store.db.settings.get("township") or ""
    pub = pinned_township_key(store)
    if pub is None:
        raise RosterError(f"{store.home} has no pinned township key: it cannot check signatures")
    document = township_doc_id(store)
    if not store.has_document(document):
        return Roster(township)
    doc = store.document(document)
    # Verifying every entry is an Ed25519 check per office; a sync asks for the roster
    # for every batch it screens, and the township document rarely moves meanwhile.
    key = (document, pub, tuple(sorted(doc.heads())))
    cached = _VERIFIED.get(store)
    if cached is not None and cached[0] == key:
        return _copy(cached[1])
    roster = verify_entries(signed_blobs(doc), township, pub)
    _VERIFIED[store] = (key, _copy(roster))
    return roster


_VERIFIED: weakref.WeakKeyDictionary[Replicas, tuple[tuple[object, ...], Roster]] = (
    weakref.WeakKeyDictionary())


def _copy(roster: Roster) -> Roster:
    # Callers merge entries into the roster they get (`newest`): never the cached one.
    return Roster(roster.township, dict(roster.entries), list(roster.problems))


# -- township-only writes ------------------------------------------------------------------


def put_entry(
    store: Replicas, township_key: SigningKey, who: Who, entry: RosterEntry
) -> list[JournalEntry]:
    """Sign `entry` (its seq one above the held entry's) and write it to the township document.

    Refused unless `township_key` is the key this home pins: a village home has no
    township key file, and a stray key cannot write a roster no one would accept.
    """
    if pinned_township_key(store) != township_key.public:
        raise RosterError("only the township key pinned in this home signs the roster")
    with store.transaction():  # the seq read here is the one every process sees
        return _put_entry(store, township_key, who, entry)


def _put_entry(
    store: Replicas, township_key: SigningKey, who: Who, entry: RosterEntry
) -> list[JournalEntry]:
    roster = current_roster(store)
    held = roster.entries.get(entry.office)
    seq = (held.seq if held else 0) + 1
    signed = replace(entry, township=roster.township, seq=seq, at=now_iso())
    blob = sign_entry(signed, township_key)
    document = township_doc_id(store)
    replica = store.replica(document)
    if replica.kind != TOWNSHIP:
        raise RosterError(f"{document} is not a township document")
    cell = ("", entry.office, "roster", "devices")
    record = Record("device", cell, signed.summary(), held.summary() if held else None)
    edit = Edit("device", cell, ("roster", SIGNED_PREFIX + entry.office), blob, (record,))
    return replica.write(who, [edit])


def with_device(entry: RosterEntry, public: bytes) -> RosterEntry:
    """The entry with one more device; refused for a key this office revoked."""
    kid = key_id(public)
    if kid in entry.revoked:
        raise RosterError(f"device {kid} was revoked: it is never enrolled again (make a new key)")
    return replace(entry, devices={**entry.devices, kid: public})


def without_device(
    entry: RosterEntry, device_id: str, accepted: Mapping[str, Sequence[bytes]]
) -> RosterEntry:
    """The entry with `device_id` revoked, keeping `accepted` (its frontier per document)."""
    pub = entry.devices.get(device_id)
    if pub is None:
        raise RosterError(f"device {device_id} is not an active device of {entry.office}")
    devices = {k: v for k, v in entry.devices.items() if k != device_id}
    gone = Revoked(pub, now_iso(), {d: tuple(h) for d, h in accepted.items() if h})
    return replace(entry, devices=devices, revoked={**entry.revoked, device_id: gone})


def entry_for(roster: Roster, office: str, kind: str) -> RosterEntry:
    """The held entry of `office`, or a new empty one."""
    held = roster.entries.get(office)
    if held is not None:
        if held.kind != kind:
            raise RosterError(f"office {office} is a {held.kind} office, not a {kind} office")
        return held
    return RosterEntry(roster.township, office, kind)

