"""Invitations and enrollment: how a village home comes to be trusted.

The invitation file (`vledger invite ID --out FILE`) is everything a village needs
to start, offline, from a USB stick:

    FILE   = msgpack {"format": "vledger-invitation", "v": 1,
                      "body": BODY, "sha256": SHA-256 of BODY, "sig": SIG}
    BODY   = msgpack {"township": id, "township_name": str, "township_key": 32 bytes,
                      "office": village id, "office_name": str,
                      "year": int (the year shown first),
                      "roster_year": int (the year of the township document holding
                                      the roster; absent in older files: `year`),
                      "secret": 32 random bytes (one-time enrollment secret),
                      "address": "HOST:PORT" or nil (where the township serves),
                      "created": ISO time,
                      "docs": {doc id: [change, ...]},   the township's documents and
                                                          that village's, of every year
                                                          the township holds
                      "sigs": {doc id: [signature record, ...]}}
    SIG    = the township key's signature of b"vledger-invitation-v1\\0" + BODY

The checksum tells a damaged file from a forged one with a clear message. The
file itself is the trust anchor (it carries the township key the village pins),
so it must travel by hand; the signature only proves the file is whole and made
by the holder of the key it carries. Joining checks every change in it against
the roster it carries (sync/authorship.py), so a file whose documents were
edited is refused.

The secret is kept by the township in its home (`invitations` table below), is
valid once, and is never written to any document. `join` writes a reply:

    FILE.reply = msgpack {"format": "vledger-join-reply", "v": 1,
                          "body": RBODY, "sha256": SHA-256 of RBODY, "sig": RSIG}
    RBODY  = msgpack {"township": id, "office": id, "device_key": 32 bytes,
                      "user": str, "created": ISO time,
                      "proof": HMAC-SHA256(secret, b"vledger-enroll-v1\\0" + township
                                            + b"\\0" + office + b"\\0" + device_key)}
    RSIG   = the joining device's signature of b"vledger-join-reply-v1\\0" + RBODY

The proof shows the device was given the invitation without revealing the secret
to whoever carries the reply back; RSIG shows it holds the private key of the key
it asks to enroll. The township enrolls it with `vledger device enroll FILE.reply`
(`accept_enrollment`), or the sync protocol hands the same bytes over in `hello`
(the village keeps them in its settings until its key is on the roster:
`pending_enrollment`). Enrolling signs a new roster entry for the village with its
device key added; the secret is then used up.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgpack

from vledger.clock import now_iso
from vledger.errors import VledgerError
from vledger.sync.documents.journal import Who
from vledger.sync.documents.replicas import Replicas
from vledger.sync.trust.keys import PUBLIC_KEY_LEN, SigningKey, key_id, verify
from vledger.sync.trust.roster import (
    Roster,
    RosterError,
    current_roster,
    entry_for,
    put_entry,
    with_device,
)
from vledger.sync.trust.signatures import signatures_for

INVITE_FORMAT, REPLY_FORMAT = "vledger-invitation", "vledger-join-reply"
VERSION = 1
INVITE_CONTEXT = b"vledger-invitation-v1\x00"
REPLY_CONTEXT = b"vledger-join-reply-v1\x00"
ENROLL_CONTEXT = b"vledger-enroll-v1\x00"
PENDING_SETTING = "enroll_request"  # hex of the reply bytes, until this device is enrolled
MAX_FILE = 256 << 20

class InvitationError(VledgerError, ValueError):
    """An invitation or reply that cannot be used; nothing was written."""


@dataclass(frozen=True)
class Invitation:
    township: str
    township_name: str
    township_key: bytes
    office: str
    office_name: str
    year: int
    secret: bytes
    address: str | None
    created: str
    docs: Mapping[str, list[bytes]]
    sigs: Mapping[str, list[bytes]]
    roster_year: int = 0  # 0: the file predates it, the roster is the `year` document

    @property
    def roster_doc_year(self) -> int:
        return self.roster_year or self.year


@dataclass(frozen=True)
class JoinReply:
    township: str
    office: str
    device_key: bytes
    user: str
    created: str
    proof: bytes

    @property
    def device(self) -> str:
        return key_id(self.device_key)


# -- the container both files share --------------------------------------------------------


def _seal(kind: str, context: bytes, body: dict[str, Any], key: SigningKey) -> bytes:
    packed = bytes(msgpack.packb(body, use_bin_type=True))
    return bytes(msgpack.packb({
        "format": kind, "v": VERSION, "body": packed,
        "sha256": hashlib.sha256(packed).digest(), "sig": key.sign(context + packed),
    }, use_bin_type=True))


def _unseal(data: bytes, kind: str, what: str) -> tuple[dict[str, Any], bytes, bytes]:
    """(body, body bytes, signature) after the format and checksum checks."""
    try:
        outer = msgpack.unpackb(data, raw=False)
    except Exception:  # msgpack raises several unrelated types
        raise InvitationError(f"not a vledger {what} (or it is cut short)") from None
    if not isinstance(outer, dict) or outer.get("format") != kind:
        raise InvitationError(f"not a vledger {what}")
    if outer.get("v") != VERSION:
        raise InvitationError(f"a {what} of version {outer.get('v')!r}; this program reads "
                              f"version {VERSION}")
    packed, digest, sig = outer.get("body"), outer.get("sha256"), outer.get("sig")
    if not isinstance(packed, bytes) or not isinstance(sig, bytes):
        raise InvitationError(f"the {what} is garbled")
    if digest != hashlib.sha256(packed).digest():
        raise InvitationError(f"the {what} is damaged: its checksum does not match")
    try:
        body = msgpack.unpackb(packed, raw=False)
    except Exception:
        raise InvitationError(f"the {what} is garbled") from None
    if not isinstance(body, dict):
        raise InvitationError(f"the {what} is garbled")
    return body, packed, sig


def _read_file(path: Path, what: str) -> bytes:
    try:
        if Path(path).stat().st_size > MAX_FILE:
            raise InvitationError(f"{path}: too big to be a {what}")
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise InvitationError(f"{path}: no such file") from None
    except OSError as problem:
        raise InvitationError(f"{path}: cannot read it ({problem.strerror or problem})") from None


def write_private(path: Path, data: bytes) -> None:
    """Write a file atomically, readable by its owner only (it holds a secret)."""
    path = Path(path)
    temporary = path.with_name(path.name + ".part")
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0),
                     0o600)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(handle, 0o600)  # a .part left by an earlier try kept its mode
        os.write(handle, data)
        os.fsync(handle)
    finally:
        os.close(handle)
    os.replace(temporary, path)


# -- invitations ------------------------------------------------------------------------------


def make_invitation(
    store: Replicas,
    township_key: SigningKey,
    *,
    township_name: str,
    office: str,
    office_name: str,
    docs: list[str],
    address: str | None = None,
    year: int,
    roster_year: int,
) -> bytes:
    """The invitation bytes for `office`; records its one-time secret in this home.

    The documents' local changes must be signed already (authorship.sign_local_changes).
    """
    secret = secrets.token_bytes(32)
    township = store.db.settings.get("township") or ""
    body = {
        "township": township, "township_name": township_name,
        "township_key": township_key.public, "office": office, "office_name": office_name,
        "year": year, "roster_year": roster_year, "secret": secret, "address": address,
        "created": now_iso(),
        "docs": {d: store.changes_since(d, []) for d in docs},
        "sigs": {d: signatures_for(store, d, store.changes_since(d, [])) for d in docs},
    }
    data = _seal(INVITE_FORMAT, INVITE_CONTEXT, body, township_key)
    store.db.invitations.add(secret, office, str(body["created"]))
    return data


def read_invitation(path: Path) -> Invitation:
    """The invitation in `path`, checked whole (checksum, then the township's signature)."""
    body, packed, sig = _unseal(_read_file(path, "invitation"), INVITE_FORMAT, "invitation")
    try:
        found = Invitation(
            str(body["township"]), str(body["township_name"]), bytes(body["township_key"]),
            str(body["office"]), str(body["office_name"]), int(body["year"]),
            bytes(body["secret"]), body.get("address"), str(body["created"]),
            {str(d): [bytes(c) for c in cs] for d, cs in body["docs"].items()},
            {str(d): [bytes(s) for s in ss] for d, ss in body["sigs"].items()},
            int(body.get("roster_year") or 0),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as problem:
        raise InvitationError(f"the invitation is garbled ({problem})") from None
    if len(found.township_key) != PUBLIC_KEY_LEN or len(found.secret) != 32:
        raise InvitationError("the invitation is garbled (key or secret of the wrong size)")
    if not verify(found.township_key, sig, INVITE_CONTEXT + packed):
        raise InvitationError("the invitation is not signed by the township key it carries")
    return found


# -- the reply and enrollment -------------------------------------------------------------


def enrollment_proof(secret: bytes, township: str, office: str, device_key: bytes) -> bytes:
    message = ENROLL_CONTEXT + township.encode() + b"\x00" + office.encode() + b"\x00" + device_key
    return hmac.new(secret, message, hashlib.sha256).digest()


def make_reply(invitation: Invitation, device: SigningKey, user: str) -> bytes:
    body = {
        "township": invitation.township, "office": invitation.office,
        "device_key": device.public, "user": user, "created": now_iso(),
        "proof": enrollment_proof(invitation.secret, invitation.township, invitation.office,
                                  device.public),
    }
    return _seal(REPLY_FORMAT, REPLY_CONTEXT, body, device)


def read_reply(data: bytes) -> JoinReply:
    """A join reply, checked: checksum, and signed by the device key it asks to enroll."""
    body, packed, sig = _unseal(data, REPLY_FORMAT, "join reply")
    try:
        reply = JoinReply(str(body["township"]), str(body["office"]), bytes(body["device_key"]),
                          str(body.get("user") or ""), str(body["created"]), bytes(body["proof"]))
    except (KeyError, TypeError, ValueError) as problem:
        raise InvitationError(f"the join reply is garbled ({problem})") from None
    if len(reply.device_key) != PUBLIC_KEY_LEN:
        raise InvitationError("the join reply is garbled (a device key of the wrong size)")
    if not verify(reply.device_key, sig, REPLY_CONTEXT + packed):
        raise InvitationError("the join reply is not signed by the device it names")
    return reply


@dataclass(frozen=True)
class Enrolled:
    office: str
    device: str
    already: bool  # the device was enrolled before (a reply handed over twice)


def accept_enrollment(
    store: Replicas, township_key: SigningKey, who: Who, data: bytes
) -> Enrolled:
    """Enroll the device of a join reply in its village's roster entry (township only).

    Refused (InvitationError, nothing written) unless the reply is whole, signed by
    its device, for this township, and proves an unused invitation secret issued
    for that village by this home. Handing over the same reply again is harmless.
    """
    reply = read_reply(data)
    township = store.db.settings.get("township") or ""
    if reply.township != township:
        raise InvitationError(f"the join reply is for township {reply.township}, not {township}")
    roster = current_roster(store)
    held = roster.entries.get(reply.office)
    if held is not None and reply.device in held.devices:
        return Enrolled(reply.office, reply.device, already=True)
    rows = store.db.invitations.secrets_for(reply.office)
    match = next((r for r in rows if hmac.compare_digest(
        enrollment_proof(r[0], township, reply.office, reply.device_key), reply.proof)),
        None)
    if match is None:
        raise InvitationError(
            f"the join reply does not prove an invitation this office issued for {reply.office}"
        )
    if match[1] is not None:
        raise InvitationError(f"that invitation was already used (by device {match[1]})")
    _enroll(store, township_key, who, roster, reply)
    store.db.invitations.use(match[0], reply.device)
    return Enrolled(reply.office, reply.device, already=False)


def _enroll(
    store: Replicas, township_key: SigningKey, who: Who, roster: Roster, reply: JoinReply
) -> None:
    try:
        entry = with_device(entry_for(roster, reply.office, "village"), reply.device_key)
        put_entry(store, township_key, who, entry)
    except RosterError as problem:
        raise InvitationError(str(problem)) from None


def pending_enrollment(store: Replicas, device: str) -> bytes | None:
    """The join reply to hand to the township, while `device` is not on the roster yet."""
    value = store.db.settings.get(PENDING_SETTING)
    if not value:
        return None
    office = store.db.settings.get("office") or ""
    try:
        if current_roster(store).has_device(office, device):
            return None
    except RosterError:
        pass
    return bytes.fromhex(value)


def invitations(store: Replicas) -> list[tuple[str, str, str | None, str | None]]:
    """(office, created, used_at, used_by) of every invitation this home issued."""
    return store.db.invitations.all()
