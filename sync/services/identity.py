"""The Office facade's identity side: init with keys, invite, join, enroll, devices, revoke.

Each operation is a function taking the open `Office` (so the CLI can call it before
the facade includes the mixin) and `sync.identity_mixin.IdentityMixin` exposes the same
as methods of `Office`, importing this module (and cryptography) only when called.

Making homes:

- `init_township(home, name, ...)`: `Office.create_township` with keys: the device
  key is made first and its id becomes the home's device id (so journal entries,
  `whoami` and the roster name the device the same way), then the township key is
  made, pinned, and the township's roster entry (its device) signed.
- `join(home, invitation)`: the village home from an invitation file, checked
  whole; every change in it is checked against the roster it carries before
  anything is stored; writes `FILE.reply` for the township.

Settings this adds to a home: `township_key` (the pinned township public key, hex)
and, on a joined home until enrolled, `enroll_request` (the reply, hex).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vledger.sync.documents.replicas import Replicas
from vledger.sync.link.frames import FrameError
from vledger.sync.link.gate import RefusedWhole, receive
from vledger.sync.services.permissions import TOWNSHIP_KIND, VILLAGE_KIND, Refusal, check_office_id
from vledger.sync.store.database import DB_FILE, MARKER_FILE, StoreBusy
from vledger.sync.trust.checks import SIGNED
from vledger.sync.trust.invitation import (
    PENDING_SETTING,
    Enrolled,
    InvitationError,
    accept_enrollment,
    make_invitation,
    make_reply,
    read_invitation,
    write_private,
)
from vledger.sync.trust.keys import (
    KeyFileError,
    SigningKey,
    device_key_path,
    ensure_device_key,
    ensure_township_key,
    load_township_key,
    township_key_path,
)
from vledger.sync.trust.roster import (
    Roster,
    RosterError,
    current_roster,
    entry_for,
    pin_township_key,
    pinned_township_key,
    put_entry,
    with_device,
    without_device,
)
from vledger.sync.trust.signatures import (
    LoggedRefusal,
    accepted_frontier,
    refusal_log,
    sign_local_changes,
)

if TYPE_CHECKING:
    from vledger.sync.services.office import Office

REPLY_SUFFIX = ".reply"


@dataclass(frozen=True)
class DeviceRecord:
    """One device on the roster, as `vledger device list` shows it."""

    id: str
    office: str
    kind: str
    state: str  # "active" | "revoked"
    revoked_at: str | None
    this: bool  # this home's own device

    def to_json_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _refusal(problem: Exception) -> Refusal:
    return Refusal(str(problem))


# -- making homes ------------------------------------------------------------------------


def init_township(
    home: Path, name: str, township_id: str | None = None, *, user: str | None = None,
    year: int | None = None, lang: str = "en",
) -> Office:
    """`vledger init` with keys (see the module docstring)."""
    from vledger.sync.services.office import Office

    home = Path(home)
    if not isinstance(name, str) or not name.strip():
        raise Refusal("a township needs a name (--township NAME)")
    if township_id is not None:
        check_office_id(township_id, "township")
    if year is not None and not 1900 <= year <= 9999:
        raise Refusal(f"year {year} is not a year")
    if Office.exists(home):
        raise Refusal(f"{home} already holds an office; use another --home")
    key = _device_key_or_refuse(home)
    _preset_device(home, key)
    office = Office.create_township(home, name, township_id, user=user,
                                    year=year or date.today().year, lang=lang)
    try:
        found_identity(office)
    except BaseException:
        office.close()
        raise
    return office


def _device_key_or_refuse(home: Path) -> SigningKey:
    try:
        return ensure_device_key(home)
    except KeyFileError as problem:
        raise Refusal(str(problem)) from None


def _preset_device(home: Path, key: SigningKey) -> None:
    """Make the home's device id the key's id before anything records the device."""
    try:
        with Replicas.open(home, scan=False) as store:
            if store.setting("device") is None:
                store.set_setting("device", key.id)
    except StoreBusy as problem:
        raise Refusal(str(problem)) from None


def found_identity(office: Office) -> None:
    """Township: make the township key, pin it, sign the township's own roster entry.

    Idempotent; also upgrades a township home made before keys existed.
    """
    require_township(office, "hold the township key")
    device = _device_key_or_refuse(office.home)
    try:
        township = ensure_township_key(office.home)
        pin_township_key(office.store, township.public)
        roster = current_roster(office.store)
        entry = entry_for(roster, office.office_id, TOWNSHIP_KIND)
        if device.id not in entry.devices:
            put_entry(office.store, township, office.who, with_device(entry, device.public))
        sign_local_changes(office.store, device, [office.township_doc_id])
    except (KeyFileError, RosterError) as problem:
        raise _refusal(problem) from None


def join(
    home: Path, invitation_path: Path, *, user: str | None = None, lang: str = "en"
) -> tuple[Office, Path]:
    """Make `home` the invited village's office; (the office, the reply file written).

    Refused, with the home left as it was, when the file is damaged, forged, or any
    change in it fails the roster it carries.
    """
    from vledger.sync.services.office import Office, default_user

    home = Path(home)
    try:
        invitation = read_invitation(invitation_path)
    except InvitationError as problem:
        raise Refusal(f"{invitation_path}: {problem}") from None
    if Office.exists(home):
        raise Refusal(f"{home} already holds an office; use another --home")
    created = _files_absent(home)
    user = user if user is not None else default_user()
    try:
        key = _device_key_or_refuse(home)
        _preset_device(home, key)
        with Replicas.open(home) as store:
            _receive_invitation(store, invitation, invitation_path)
            reply = make_reply(invitation, key, user)
            store.set_setting(PENDING_SETTING, reply.hex())
            sign_local_changes(store, key)
            store.set_setting("kind", VILLAGE_KIND)
            store.set_setting("user", user)
            store.set_setting("office", invitation.office)  # last: now the home has an office
        reply_path = Path(str(invitation_path) + REPLY_SUFFIX)
        write_private(reply_path, reply)
    except BaseException:
        _remove_created(home, created)
        raise
    return Office.open(home, lang=lang), reply_path


def _receive_invitation(store: Replicas, invitation: Any, path: Path) -> None:
    from vledger.sync.documents.replica import doc_id

    try:
        pin_township_key(store, invitation.township_key)
    except RosterError as problem:
        raise Refusal(f"{path}: {problem}") from None
    store.set_setting("township", invitation.township)
    store.set_setting("year", str(invitation.year))
    township_doc = doc_id(invitation.township, invitation.township, invitation.year)
    village_doc = doc_id(invitation.township, invitation.office, invitation.year)
    if set(invitation.docs) != {township_doc, village_doc}:
        raise Refusal(f"{path}: the invitation does not hold the documents of "
                      f"{invitation.township} and {invitation.office}")
    try:
        receive(store, invitation.township, dict(invitation.docs), "invitation", SIGNED,
                sigs=dict(invitation.sigs), whole_or_nothing=True)
    except RefusedWhole as refused:
        raise Refusal(*(f"{path}: {r}" for r in refused.refused)) from None
    except FrameError as problem:
        raise Refusal(f"{path}: {problem.message}") from None
    for document in (township_doc, village_doc):
        store.close_document(document)
    roster = current_roster(store)
    if roster.kind_of(invitation.office) != VILLAGE_KIND:
        raise Refusal(f"{path}: {invitation.office} is not a village on the signed roster")


def _files_absent(home: Path) -> list[Path]:
    """The files a join may create that do not exist yet (removed again if it fails)."""
    names = [DB_FILE, DB_FILE + "-wal", DB_FILE + "-shm", MARKER_FILE, "vledger.lock"]
    paths = [home / n for n in names] + [device_key_path(home)]
    found = [p for p in paths if not p.exists()]
    if not home.exists():
        found.append(home)
    return found


def _remove_created(home: Path, created: list[Path]) -> None:
    for path in created:
        if path == home:
            shutil.rmtree(home, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


# -- the township's actions ---------------------------------------------------------------


def require_township(office: Office, action: str) -> None:
    if office.kind != TOWNSHIP_KIND:
        raise Refusal(
            f"only the township office can {action}; this is village office {office.office_id}"
        )


def _township_key(office: Office) -> SigningKey:
    require_township(office, "sign the roster")
    if not township_key_path(office.home).exists():
        found_identity(office)  # a township home made before keys: give it its keys now
    try:
        return load_township_key(office.home)
    except KeyFileError as problem:
        raise _refusal(problem) from None


def invite(office: Office, village: str, out: Path, address: str | None = None) -> Path:
    """Write the invitation file for `village` (township only)."""
    require_township(office, "invite offices")
    township_key = _township_key(office)
    found_identity(office)
    known = office.township_doc().office(village)
    if known is None or known.kind != VILLAGE_KIND:
        raise Refusal(f"no village {village} on the roster (add it with `vledger office add`)")
    device = _device_key_or_refuse(office.home)
    store = office.store
    try:
        roster = current_roster(store)
        if village not in roster.entries:
            put_entry(store, township_key, office.who, entry_for(roster, village, VILLAGE_KIND))
        docs = [office.township_doc_id, office.village_doc_id(village)]
        if not store.has_document(docs[1]):
            raise Refusal(f"this office holds no document of {village}")
        sign_local_changes(store, device, docs)
        data = make_invitation(
            store, township_key, township_name=office.township_doc().name, office=village,
            office_name=known.name, docs=docs, address=address,
        )
    except RosterError as problem:
        raise _refusal(problem) from None
    finally:
        office.release(village)
    try:
        write_private(Path(out), data)
    except OSError as problem:
        raise Refusal(f"{out}: cannot write it ({problem.strerror or problem})") from None
    return Path(out)


def enroll(office: Office, reply_path: Path) -> Enrolled:
    """Enroll the device of a join reply file (township only)."""
    township_key = _township_key(office)
    try:
        data = Path(reply_path).read_bytes()
    except OSError as problem:
        raise Refusal(f"{reply_path}: cannot read it ({problem.strerror or problem})") from None
    try:
        return accept_enrollment(office.store, township_key, office.who, data)
    except (InvitationError, RosterError) as problem:
        raise Refusal(f"{reply_path}: {problem}") from None


def revoke_device(office: Office, device: str) -> DeviceRecord:
    """Revoke a device: its changes the township does not hold now are refused everywhere."""
    township_key = _township_key(office)
    roster = _roster(office)
    device_id = _find_device(roster, device)
    if device_id == _device_key_or_refuse(office.home).id:
        raise Refusal(f"device {device_id} is this home's own device; it cannot revoke itself")
    found = roster.device(device_id)
    assert found is not None
    if found.revoked is not None:
        raise Refusal(f"device {device_id} was already revoked ({found.revoked.at})")
    try:
        sign_local_changes(office.store, _device_key_or_refuse(office.home))
        entry = without_device(roster.entries[found.office], device_id,
                               accepted_frontier(office.store, device_id))
        put_entry(office.store, township_key, office.who, entry)
    except RosterError as problem:
        raise _refusal(problem) from None
    gone = _roster(office).device(device_id)
    at = gone.revoked.at if gone and gone.revoked else None
    return DeviceRecord(device_id, found.office, found.kind, "revoked", at, False)


def _find_device(roster: Roster, given: str) -> str:
    given = given.strip().lower()
    everyone = [d.id for d in roster.devices()]
    if given in everyone:
        return given
    matches = [d for d in everyone if len(given) >= 4 and d.startswith(given)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise Refusal(f"{given} names {len(matches)} devices: {', '.join(matches)}")
    raise Refusal(f"no device {given} on the roster (see `vledger device list`)")


# -- anyone ----------------------------------------------------------------------------------


def _roster(office: Office) -> Roster:
    try:
        return current_roster(office.store)
    except RosterError as problem:
        raise _refusal(problem) from None


def devices(office: Office) -> tuple[list[DeviceRecord], list[str]]:
    """Every device on the verified roster, and what of the roster failed verification.

    A township home made before keys existed gets them here (its first identity command).
    """
    if office.kind == TOWNSHIP_KIND and not has_pinned_key(office):
        found_identity(office)
    roster = _roster(office)
    mine = _device_key_or_refuse(office.home).id if office.home.exists() else ""
    records = [
        DeviceRecord(d.id, d.office, d.kind, "revoked" if d.revoked else "active",
                     d.revoked.at if d.revoked else None, d.id == mine)
        for d in roster.devices()
    ]
    order = {TOWNSHIP_KIND: 0, VILLAGE_KIND: 1}
    records.sort(key=lambda r: (order.get(r.kind, 2), r.office, r.state, r.id))
    return records, list(roster.problems)


def refused_changes(office: Office, limit: int | None = None) -> list[LoggedRefusal]:
    return refusal_log(office.store, limit)


def sign_pending(office: Office) -> int:
    """Sign this home's unsigned changes (before sending them anywhere)."""
    return sign_local_changes(office.store, _device_key_or_refuse(office.home))


def has_pinned_key(office: Office) -> bool:
    return pinned_township_key(office.store) is not None
