"""A small signed township for the identity tests: a township home, two joined villages.

`make_world(tmp)` runs the real flows (init with keys, office add, invite, join,
enroll), so the tests exercise what a clerk does. Helpers write a raw edit into any
document (as an attacker with a store of its own can), sign it with the home's key
and hand it to another home the way the sync protocol will (`deliver`).
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.sync.homes import who
from vledger.sync.documents.journal import Who
from vledger.sync.documents.replica import Edit
from vledger.sync.documents.replicas import Replicas
from vledger.sync.link.gate import Received, receive
from vledger.sync.services.homes import init_township, join
from vledger.sync.services.office import Office
from vledger.sync.trust.checks import SIGNED
from vledger.sync.trust.keys import (
    DEVICE_KEY_FILE,
    TOWNSHIP_KEY_FILE,
    SigningKey,
    load_device_key,
    load_township_key,
    write_key,
)
from vledger.sync.trust.roster import (
    current_roster,
    entry_for,
    pin_township_key,
    pinned_township_key,
    put_entry,
    with_device,
)
from vledger.sync.trust.signatures import (
    sign_local_changes,
    signatures_for,
)

TOWNSHIP = "t1"
YEAR = 2026


@dataclass
class World:
    tmp: Path
    township: Office
    v01: Office
    v02: Office

    def close(self) -> None:
        for office in (self.township, self.v01, self.v02):
            office.close()


def make_world(tmp: Path, *, enroll_villages: bool = True) -> World:
    township = init_township(tmp / "t", "青石乡", TOWNSHIP, year=YEAR, user="clerk")
    township.roster.add_office("v01", "东村")
    township.roster.add_office("v02", "西村")
    villages = []
    for village in ("v01", "v02"):
        path = township.devices.invite(village, tmp / f"{village}.invite")
        office, reply = join(tmp / village, path, user=f"{village}-clerk")
        if enroll_villages:
            township.devices.enroll(reply)
        villages.append(office)
    return World(tmp, township, villages[0], villages[1])


def doc_of(office: str) -> str:
    return f"{TOWNSHIP}/{office}/{YEAR}"


def scribble(office: Office, doc: str, key: str, value: str, where: str = "ledgers") -> None:
    """Write one value into `doc` straight through the write path (no permission check),
    as a home that wants to forge an edit can."""
    replica = office.store.replica(doc)
    who = Who(office.me.office, office.me.device, "someone")
    replica.write(who, [Edit("add", ("p", office.me.office, key, "c"), (where, key), value)])


def another_process(world: World, name: str) -> Office:
    """Reopen one office of the world, as a new process would: it writes with a new
    automerge actor."""
    office: Office = getattr(world, name)
    home = office.me.home
    office.close()
    again = Office.open(home)
    setattr(world, name, again)
    return again


def devices_of(credentials: list[bytes]) -> set[str]:
    """The devices named by credentials of either form (a voucher or an old record)."""
    from vledger.sync.trust.signatures import Signature
    from vledger.sync.trust.vouchers import LEGACY_RECORD_LEN, Voucher

    return {Signature.decode(c).device if len(c) == LEGACY_RECORD_LEN
            else Voucher.decode(c).device for c in credentials}


def outgoing(sender: Office, doc: str, since: list[bytes] | None = None
             ) -> tuple[list[bytes], list[bytes]]:
    """What `sender` would send for `doc`: its changes since `since`, with signatures."""
    sign_local_changes(sender.store, load_device_key(sender.me.home))
    changes = sender.store.changes_since(doc, since or [])
    return changes, signatures_for(sender.store, doc, changes)


def deliver(sender: Office, receiver: Office, doc: str) -> Received:
    """Send what `receiver` lacks of `doc`, through the receive gate."""
    since = receiver.store.heads(doc) if receiver.store.has_document(doc) else []
    known = {c.hash for c in sender.store.replica(doc).doc.changes()}
    changes, sigs = outgoing(sender, doc, [h for h in since if h in known])
    return receive_signed(receiver.store, doc, changes, sigs, f"test:{sender.me.office}")


def receive_signed(store: Replicas, doc: str, changes: list[bytes], sigs: list[bytes],
                   origin: str) -> Received:
    """One document's changes through the receive gate, checked as every sync checks them."""
    township = store.db.settings.get("township") or ""
    return receive(store, township, {doc: changes}, origin, SIGNED, sigs={doc: sigs})[doc]


def give_raw(sender: Office, receiver: Office, doc: str) -> None:
    """Copy a document without any check (what an attacker does to its own store)."""
    receiver.store.apply_batch(doc, sender.store.changes_since(doc, []), "raw")


def store_state(store: Replicas) -> tuple[object, ...]:
    """Documents, change chunks and signature records: what a refusal must not change."""
    conn = sqlite3.connect(store.home / "vledger.db")
    try:
        return (
            conn.execute("SELECT doc_id, heads FROM documents ORDER BY doc_id").fetchall(),
            conn.execute("SELECT id, doc_id, data FROM chunks ORDER BY id").fetchall(),
            conn.execute("SELECT doc_id, change, device, sig FROM change_signatures "
                         "ORDER BY doc_id, change").fetchall(),
            conn.execute("SELECT doc_id, digest, device FROM vouchers ORDER BY id").fetchall(),
            conn.execute("SELECT doc_id, voucher, changes FROM vouched "
                         "ORDER BY id").fetchall(),
        )
    finally:
        conn.close()


# -- keyed homes for the sync tests ---------------------------------------------------------


def test_key(township: str, office: str, role: str = "device") -> SigningKey:
    """A key that is the same in every run (tests only: never derive real keys like this)."""
    seed = hashlib.sha256(f"vledger-test-key:{township}:{office}:{role}".encode()).digest()
    return SigningKey(Ed25519PrivateKey.from_private_bytes(seed))


ENROLLED = tuple(f"v{n:02d}" for n in range(1, 5))  # villages every keyed township trusts


def keyed_township(path: Path, township: str = TOWNSHIP, *, year: int = YEAR,
                   villages: Iterable[str] = ENROLLED) -> Office:
    """A township home (init with keys) whose roster already holds the test keys of
    `villages`, so `keyed_home(..., village)` homes sync with it at once."""
    path.mkdir(parents=True, exist_ok=True)
    for role, name in (("device", DEVICE_KEY_FILE), ("township", TOWNSHIP_KEY_FILE)):
        if not (path / name).exists():
            write_key(path / name, test_key(township, township, role))
    office = init_township(path, "青石乡", township, year=year, user="clerk")
    township_key = load_township_key(path)
    for village in villages:
        roster = current_roster(office.store)
        entry = entry_for(roster, village, "village")
        if test_key(township, village).id not in entry.devices:
            put_entry(office.store, township_key, who(office),
                      with_device(entry, test_key(township, village).public))
    return office


def keyed_home(path: Path, office: str, township: str = TOWNSHIP, *, year: int = YEAR,
               roster_from: Replicas | None = None) -> Replicas:
    """A home that knows only its office, township and keys (what a first sync starts from):
    its test device key, enrolled by `keyed_township`, and the pinned township key; with
    `roster_from`, also that home's township document (as an invitation brings it), so it
    can check who is at the other end of a TLS link."""
    path.mkdir(parents=True, exist_ok=True)
    if not (path / DEVICE_KEY_FILE).exists():
        write_key(path / DEVICE_KEY_FILE, test_key(township, office))
    store = Replicas.open(path, scan=False)
    store.db.settings.set("device", test_key(township, office).id)
    if pinned_township_key(store) is None:
        pin_township_key(store, test_key(township, township, "township").public)
    store.db.settings.set("office", office)
    store.db.settings.set("township", township)
    store.db.settings.set("year", str(year))
    store.db.settings.set("kind", "township" if office == township else "village")
    if roster_from is not None:
        from vledger.sync.link.session import Identity
        from vledger.sync.trust.signatures import whole_signatures

        document = f"{township}/{township}/{year}"
        key = Identity.of(roster_from).key
        receive(store, township, {}, "invitation", SIGNED,
                snapshots={document: roster_from.document(document).save()},
                sigs={document: whole_signatures(roster_from, key, document)})
    return store
