"""Homes for tests, made on the real paths without what a test does not need.

- `create_township`: a township home as `vledger init` makes it, but without keys (as
  homes were before keys existed): `homes.check_new_township` + `homes.found_township`,
  the very steps `init_township` takes around making the keys.
- `create_village_home`: a village's home holding the township's document and its own,
  copied from an open township office the way a join receives them, without an
  invitation or keys.

And short names for what tests reach below the services: an office's documents and who
its edits are recorded as.
"""

from __future__ import annotations

from pathlib import Path

from vledger.sync.documents.journal import Who
from vledger.sync.documents.ledger import VillageDoc
from vledger.sync.documents.replica import doc_id
from vledger.sync.documents.replicas import Replicas
from vledger.sync.documents.township import TownshipDoc
from vledger.sync.services.homes import check_new_township, default_user, found_township
from vledger.sync.services.office import Office
from vledger.sync.services.permissions import TOWNSHIP_KIND, VILLAGE_KIND, Refusal


def create_township(
    home: Path, name: str, township_id: str | None = None, *, user: str | None = None,
    year: int | None = None, lang: str = "en",
) -> Office:
    """Make `home` the township office of a new township, without keys."""
    home, township_id, year = check_new_township(home, name, township_id, year)
    return found_township(home, name, township_id, year, user=user, lang=lang)


def create_village_home(
    home: Path, township: Office, village: str, *, user: str | None = None, lang: str = "en",
) -> Office:
    """Make `home` village office `village`, from an open township office's documents."""
    if township.me.kind != TOWNSHIP_KIND:
        raise Refusal("a village home is made from the township office's documents")
    if township.roster.office(village) is None or village == township.me.office:
        raise Refusal(f"no village {village} on the roster")
    if Office.exists(home):
        raise Refusal(f"{home} already holds an office; use another --home")
    store = Replicas.open(Path(home))
    try:
        for document in (township_doc_id(township), village_doc_id(township, village)):
            store.apply_batch(document, township.store.changes_since(document, []), "join")
            store.close_document(document)
        store.db.settings.set("township", township.me.township)
        store.db.settings.set("kind", VILLAGE_KIND)
        store.db.settings.set("year", str(township.me.year))
        store.db.settings.set("user", user if user is not None else default_user())
        store.db.settings.set("office", village)
    except BaseException:
        store.close()
        raise
    return Office(store, lang=lang)


def who(office: Office) -> Who:
    """Who `office`'s edits are recorded as."""
    return Who(office.me.office, office.me.device, office.me.user)


def township_doc_id(office: Office) -> str:
    return doc_id(office.me.township, office.me.township, office.me.year)


def village_doc_id(office: Office, village: str) -> str:
    return doc_id(office.me.township, village, office.me.year)


def township_doc(office: Office) -> TownshipDoc:
    return office.store.township(township_doc_id(office))


def village_doc(office: Office, village: str) -> VillageDoc:
    return office.store.village(village_doc_id(office, village))
