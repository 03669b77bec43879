"""Making a home an office: `init_township` (a new township, with its keys) and `join`
(a village's home from the invitation file the township handed over).

- `init_township(home, name, ...)`: the device key is made first and its id becomes
  the home's device id (so journal entries, `whoami` and the roster name the device
  the same way); then the township document is founded (`found_township`), and the
  township key made, pinned, and the township's roster entry (its device) signed.
- `join(home, invitation)`: the village home from an invitation file, checked whole;
  every change in it is checked against the roster it carries before anything is
  stored; writes `FILE.reply` for the township.

Either leaves a home that fails half-way without an office: the `office` setting is
written last.

Settings: office, kind ("township" | "village"), township, year, user; the device id is
the store's; a joined home keeps `enroll_request` (the reply, hex) until enrolled, and
the invitation's address (where the township serves) to offer for the first sync.
"""

from __future__ import annotations

import getpass
import shutil
from datetime import date
from pathlib import Path

from vledger.sync.documents.journal import Who, random_id
from vledger.sync.documents.replica import TOWNSHIP, doc_id
from vledger.sync.documents.replicas import Replicas
from vledger.sync.link.frames import FrameError
from vledger.sync.link.gate import RefusedWhole, receive
from vledger.sync.services.devices import device_key
from vledger.sync.services.office import Office
from vledger.sync.services.permissions import (
    TOWNSHIP_KIND,
    VILLAGE_KIND,
    Refusal,
    check_office_id,
)
from vledger.sync.services.sync import INVITED_ADDRESS
from vledger.sync.store.database import DB_FILE, MARKER_FILE, StoreBusy
from vledger.sync.trust.checks import SIGNED
from vledger.sync.trust.invitation import (
    PENDING_SETTING,
    Invitation,
    InvitationError,
    make_reply,
    read_invitation,
    write_private,
)
from vledger.sync.trust.keys import SigningKey, device_key_path
from vledger.sync.trust.roster import RosterError, current_roster, pin_township_key
from vledger.sync.trust.signatures import sign_local_changes

REPLY_SUFFIX = ".reply"


def default_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in this environment (some containers, services)
        return ""


def init_township(
    home: Path, name: str, township_id: str | None = None, *, user: str | None = None,
    year: int | None = None, lang: str = "en",
) -> Office:
    """`vledger init`: make `home` the township office of a new township, with its keys."""
    home, township_id, year = check_new_township(home, name, township_id, year)
    key = device_key(home)
    _preset_device(home, key)
    office = found_township(home, name, township_id, year, user=user, lang=lang)
    try:
        office.devices.found_identity()
    except BaseException:
        office.close()
        raise
    return office


def check_new_township(
    home: Path, name: str, township_id: str | None, year: int | None
) -> tuple[Path, str, int]:
    """The home, the township id (a new random one if None) and the year of a township
    about to be made; refused, with nothing written, when any of them will not do."""
    home = Path(home)
    if not isinstance(name, str) or not name.strip():
        raise Refusal("a township needs a name (--township NAME)")
    township_id = township_id or "t" + random_id(5)
    check_office_id(township_id, "township")
    year = year or date.today().year
    if not 1900 <= year <= 9999:
        raise Refusal(f"year {year} is not a year")
    _refuse_existing_office(home)
    return home, township_id, year


def found_township(
    home: Path, name: str, township_id: str, year: int, *, user: str | None = None,
    lang: str = "en",
) -> Office:
    """The township document of a new township, with the township on its roster, and the
    home's settings that make it the township's office (checked by `check_new_township`)."""
    store = _open_store(home)
    try:
        document = doc_id(township_id, township_id, year)
        store.create_document(document, TOWNSHIP)
        who = Who(township_id, store.device_id(), user if user is not None else default_user())
        township = store.township(document)
        township.set_name(who, name)
        township.put_office(who, township_id, name, kind=TOWNSHIP_KIND)
        # Settings last: a home whose init failed half-way still has no office.
        store.db.settings.set("township", township_id)
        store.db.settings.set("kind", TOWNSHIP_KIND)
        store.db.settings.set("year", str(year))
        store.db.settings.set("user", who.user)
        store.db.settings.set("office", township_id)
    except BaseException:
        store.close()
        raise
    return Office(store, lang=lang)


def join(
    home: Path, invitation_path: Path, *, user: str | None = None, lang: str = "en"
) -> tuple[Office, Path]:
    """Make `home` the invited village's office; (the office, the reply file written).

    Refused, with the home left as it was, when the file is damaged, forged, or any
    change in it fails the roster it carries.
    """
    home = Path(home)
    try:
        invitation = read_invitation(invitation_path)
    except InvitationError as problem:
        raise Refusal(f"{invitation_path}: {problem}") from None
    _refuse_existing_office(home)
    created = _files_absent(home)
    user = user if user is not None else default_user()
    try:
        key = device_key(home)
        _preset_device(home, key)
        with Replicas.open(home) as store:
            _receive_invitation(store, invitation, invitation_path)
            if invitation.address:  # where to sync first, until a sync has worked
                store.db.settings.set(INVITED_ADDRESS, invitation.address)
            reply = make_reply(invitation, key, user)
            store.db.settings.set(PENDING_SETTING, reply.hex())
            sign_local_changes(store, key)
            store.db.settings.set("kind", VILLAGE_KIND)
            store.db.settings.set("user", user)
            store.db.settings.set("office", invitation.office)  # last: now the home has an office
        reply_path = Path(str(invitation_path) + REPLY_SUFFIX)
        write_private(reply_path, reply)
    except BaseException:
        _remove_created(home, created)
        raise
    return Office.open(home, lang=lang), reply_path


def _refuse_existing_office(home: Path) -> None:
    if Office.exists(home):
        raise Refusal(f"{home} already holds an office; use another --home")


def _open_store(home: Path) -> Replicas:
    try:
        return Replicas.open(home)
    except StoreBusy as error:
        raise Refusal(str(error)) from None


def _preset_device(home: Path, key: SigningKey) -> None:
    """Make the home's device id the key's id before anything records the device."""
    try:
        with Replicas.open(home, scan=False) as store:
            if store.db.settings.get("device") is None:
                store.db.settings.set("device", key.id)
    except StoreBusy as problem:
        raise Refusal(str(problem)) from None


def _receive_invitation(store: Replicas, invitation: Invitation, path: Path) -> None:
    try:
        pin_township_key(store, invitation.township_key)
    except RosterError as problem:
        raise Refusal(f"{path}: {problem}") from None
    store.db.settings.set("township", invitation.township)
    store.db.settings.set("year", str(invitation.year))
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
    names = [DB_FILE, DB_FILE + "-wal", DB_FILE + "-shm", MARKER_FILE]
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
