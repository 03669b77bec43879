"""Devices on the signed roster: the township invites villages, enrolls their devices and
revokes lost ones; any office lists them.

The only service that needs cryptography (keys, signatures): the office builds it on
first use, so opening an office for anything else never loads it.

Settings this adds to a home: `township_key` (the pinned township public key, hex).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vledger.sync.services.context import OfficeContext
from vledger.sync.services.permissions import TOWNSHIP_KIND, VILLAGE_KIND, Refusal
from vledger.sync.trust.invitation import (
    Enrolled,
    InvitationError,
    accept_enrollment,
    make_invitation,
    write_private,
)
from vledger.sync.trust.keys import (
    KeyFileError,
    SigningKey,
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
from vledger.sync.trust.signatures import accepted_frontier, sign_local_changes


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


def device_key(home: Path) -> SigningKey:
    """This home's device key (made on first use); a refusal when its file is unusable."""
    try:
        return ensure_device_key(home)
    except KeyFileError as problem:
        raise Refusal(str(problem)) from None


class DeviceService:
    """The devices of the signed roster, and the township's keys that sign it."""

    def __init__(self, context: OfficeContext) -> None:
        self._context = context

    def found_identity(self) -> None:
        """Township: make the township key, pin it, sign the township's own roster entry.

        Idempotent; also gives a township home made before keys existed its keys.
        """
        context = self._context
        context.require_township("hold the township key")
        home, store = context.me.home, context.store
        device = device_key(home)
        try:
            township = ensure_township_key(home)
            pin_township_key(store, township.public)
            roster = current_roster(store)
            entry = entry_for(roster, context.me.office, TOWNSHIP_KIND)
            if device.id not in entry.devices:
                put_entry(store, township, context.who, with_device(entry, device.public))
            sign_local_changes(store, device, [context.roster_doc_id])
        except (KeyFileError, RosterError) as problem:
            raise Refusal(str(problem)) from None

    def _township_key(self) -> SigningKey:
        self._context.require_township("sign the roster")
        home = self._context.me.home
        if not township_key_path(home).exists():
            self.found_identity()  # a township home made before keys: give it its keys now
        try:
            return load_township_key(home)
        except KeyFileError as problem:
            raise Refusal(str(problem)) from None

    def invite(self, village: str, out: Path, address: str | None = None) -> Path:
        """Write the invitation file for `village` (township only)."""
        context = self._context
        context.require_township("invite offices")
        township_key = self._township_key()
        self.found_identity()
        known = context.roster_doc().office(village)
        if known is None or known.kind != VILLAGE_KIND:
            raise Refusal(f"no village {village} on the roster (add it with `vledger office add`)")
        device = device_key(context.me.home)
        store = context.store
        try:
            roster = current_roster(store)
            if village not in roster.entries:
                put_entry(store, township_key, context.who,
                          entry_for(roster, village, VILLAGE_KIND))
            # Every year's: the township documents (the roster's first) and the village's
            # own, so a village joining from a USB stick has its programs and ledgers.
            years = context.years()
            own = [context.village_doc_id(village, y) for y in years]
            own = [d for d in own if store.has_document(d)]
            if not own:
                raise Refusal(f"this office holds no document of {village}")
            docs = [context.roster_doc_id] + [
                d for d in (context.township_doc_id(y) for y in years)
                if d != context.roster_doc_id] + own
            sign_local_changes(store, device, docs)
            data = make_invitation(
                store, township_key, township_name=context.roster_doc().name, office=village,
                office_name=known.name, docs=docs, address=address,
                year=context.me.year, roster_year=context.me.roster_year,
            )
        except RosterError as problem:
            raise Refusal(str(problem)) from None
        finally:
            context.release(village)
        try:
            write_private(Path(out), data)
        except OSError as problem:
            raise Refusal(f"{out}: cannot write it ({problem.strerror or problem})") from None
        return Path(out)

    def enroll(self, reply_path: Path) -> Enrolled:
        """Enroll the device of a join reply file (township only)."""
        township_key = self._township_key()
        try:
            data = Path(reply_path).read_bytes()
        except OSError as problem:
            raise Refusal(f"{reply_path}: cannot read it ({problem.strerror or problem})") from None
        try:
            return accept_enrollment(self._context.store, township_key, self._context.who, data)
        except (InvitationError, RosterError) as problem:
            raise Refusal(f"{reply_path}: {problem}") from None

    def revoke(self, device: str) -> DeviceRecord:
        """Revoke a device: its changes the township does not hold now are refused everywhere."""
        context = self._context
        township_key = self._township_key()
        roster = self._roster()
        device_id = _find_device(roster, device)
        if device_id == device_key(context.me.home).id:
            raise Refusal(f"device {device_id} is this home's own device; it cannot revoke itself")
        found = roster.device(device_id)
        assert found is not None
        if found.revoked is not None:
            raise Refusal(f"device {device_id} was already revoked ({found.revoked.at})")
        try:
            sign_local_changes(context.store, device_key(context.me.home))
            entry = without_device(roster.entries[found.office], device_id,
                                   accepted_frontier(context.store, device_id))
            put_entry(context.store, township_key, context.who, entry)
        except RosterError as problem:
            raise Refusal(str(problem)) from None
        gone = self._roster().device(device_id)
        at = gone.revoked.at if gone and gone.revoked else None
        return DeviceRecord(device_id, found.office, found.kind, "revoked", at, False)

    def all(self) -> tuple[list[DeviceRecord], list[str]]:
        """Every device on the verified roster, and what of the roster failed verification.

        A township home made before keys existed gets them here (its first identity command).
        """
        context = self._context
        if context.me.is_township and pinned_township_key(context.store) is None:
            self.found_identity()
        roster = self._roster()
        home = context.me.home
        mine = device_key(home).id if home.exists() else ""
        records = [
            DeviceRecord(d.id, d.office, d.kind, "revoked" if d.revoked else "active",
                         d.revoked.at if d.revoked else None, d.id == mine)
            for d in roster.devices()
        ]
        order = {TOWNSHIP_KIND: 0, VILLAGE_KIND: 1}
        records.sort(key=lambda r: (order.get(r.kind, 2), r.office, r.state, r.id))
        return records, list(roster.problems)

    def _roster(self) -> Roster:
        try:
            return current_roster(self._context.store)
        except RosterError as problem:
            raise Refusal(str(problem)) from None


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
