"""The roster (名册) as the front ends see it: who this office is, the offices of the
township, and adding a village office (the township's act).

A village office added here gets its (empty) ledger documents at once, one per year this
home holds that the village takes part in, so the township can invite it, keep its
ledgers and rank it before it ever syncs. The roster is one for every year (it lives in
the township document of the roster's year); a village takes part in the years from its
`since` on: every year when it was added before any program was published (setting up
the township), else from the year it was added in, unless the township says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from vledger.domain.villages import Village
from vledger.sync.documents.replica import VILLAGE
from vledger.sync.documents.township import Office
from vledger.sync.services.context import OfficeContext
from vledger.sync.services.permissions import (
    TOWNSHIP_KIND,
    VILLAGE_KIND,
    Refusal,
    check_office_id,
)


@dataclass(frozen=True)
class Identity:
    """`vledger whoami`: this office and its township, by id and by name."""

    office: str
    office_name: str
    kind: str
    township: str
    township_name: str
    device: str
    user: str
    home: Path
    year: int

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "office": self.office, "office_name": self.office_name, "kind": self.kind,
            "township": self.township, "township_name": self.township_name,
            "device": self.device, "user": self.user, "home": str(self.home), "year": self.year,
        }


@dataclass(frozen=True)
class OfficeRecord:
    """One office on the roster; `area` None when it belongs to no area (管区)."""

    id: str
    name: str
    area: str | None
    kind: str
    since: int | None = None  # the first year it takes part in; None: every year

    def to_json_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "area": self.area, "kind": self.kind,
                "since": self.since}

    def in_year(self, year: int) -> bool:
        return self.since is None or self.since <= year


class RosterService:
    """The offices of this township, read from (and added to) the township document."""

    def __init__(self, context: OfficeContext) -> None:
        self._context = context

    def whoami(self) -> Identity:
        me = self._context.me
        township = self._context.roster_doc()
        mine = township.office(me.office)
        return Identity(
            office=me.office, office_name=mine.name if mine else "", kind=me.kind,
            township=me.township, township_name=township.name, device=me.device,
            user=me.user, home=me.home, year=me.year,
        )

    def offices(self) -> list[OfficeRecord]:
        """The roster: the township first, then the villages by id."""
        found = [_record(o) for o in self._context.roster_doc().offices()]
        return sorted(found, key=lambda o: (o.kind != TOWNSHIP_KIND, o.id))

    def office(self, office_id: str) -> OfficeRecord | None:
        return next((o for o in self.offices() if o.id == office_id), None)

    def villages(self, year: int | None = None) -> list[Village]:
        """The village offices; with `year`, those taking part in it (a program of that
        year is kept and ranked by them)."""
        return [Village(o.id, o.name, o.area) for o in self.offices()
                if o.kind == VILLAGE_KIND and (year is None or o.in_year(year))]

    def add_office(
        self, office_id: str, name: str, area: str | None = None, *, since: int | None = None,
        today: date | None = None,
    ) -> OfficeRecord:
        """Add a village office to the roster and make its (empty) ledger documents of the
        years held that it takes part in, in one transaction.

        `since`: the first year it takes part in. By default every year while no program
        is published yet (the township is being set up), else the year of `today`."""
        context = self._context
        context.require_township("add offices")
        check_office_id(office_id)
        if not isinstance(name, str) or not name.strip():
            raise Refusal(f"office {office_id} needs a name")
        if since is not None and not 1900 <= since <= 9999:
            raise Refusal(f"year {since} is not a year")
        township = context.roster_doc()
        existing = township.office(office_id)
        if existing is not None:
            raise Refusal(f"office {office_id} is already on the roster ({existing.name})")
        if since is None and self._published_any():
            since = (today or date.today()).year
        years = [y for y in context.years() if since is None or y >= since]
        with context.store.transaction():  # on the roster with its documents, or not at all
            context.write(lambda: township.put_office(context.who, office_id, name, area or "",
                                                      since=since))
            for year in years:
                context.store.create_document(context.village_doc_id(office_id, year), VILLAGE)
        context.release(office_id)
        return OfficeRecord(office_id, name.strip(), (area or "").strip() or None, VILLAGE_KIND,
                            since)

    def _published_any(self) -> bool:
        store = self._context.store
        for year in self._context.years():
            document = self._context.township_doc_id(year)
            was_open = store.is_open(document)
            found = bool(store.township(document).program_ids())
            self._context.close_unless(document, was_open)
            if found:
                return True
        return False


def _record(office: Office) -> OfficeRecord:
    return OfficeRecord(office.id, office.name, office.area or None, office.kind, office.since)
