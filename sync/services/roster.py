"""The roster (名册) as the front ends see it: who this office is, the offices of the
township, and adding a village office (the township's act).

A village office added here gets its (empty) ledger document at once, so the township
can invite it, keep its ledger and rank it before it ever syncs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vledger.domain.ranking import Village
from vledger.sync.documents.replica import VILLAGE
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

    def to_json_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "area": self.area, "kind": self.kind}


class RosterService:
    """The offices of this township, read from (and added to) the township document."""

    def __init__(self, context: OfficeContext) -> None:
        self._context = context

    def whoami(self) -> Identity:
        me = self._context.me
        township = self._context.township_doc()
        mine = township.office(me.office)
        return Identity(
            office=me.office, office_name=mine.name if mine else "", kind=me.kind,
            township=me.township, township_name=township.name, device=me.device,
            user=me.user, home=me.home, year=me.year,
        )

    def offices(self) -> list[OfficeRecord]:
        """The roster: the township first, then the villages by id."""
        found = [
            OfficeRecord(o.id, o.name, o.area or None, o.kind)
            for o in self._context.township_doc().offices()
        ]
        return sorted(found, key=lambda o: (o.kind != TOWNSHIP_KIND, o.id))

    def office(self, office_id: str) -> OfficeRecord | None:
        return next((o for o in self.offices() if o.id == office_id), None)

    def villages(self) -> list[Village]:
        return [Village(o.id, o.name, o.area) for o in self.offices() if o.kind == VILLAGE_KIND]

    def add_office(self, office_id: str, name: str, area: str | None = None) -> OfficeRecord:
        """Add a village office to the roster and make its (empty) ledger document."""
        context = self._context
        context.require_township("add offices")
        check_office_id(office_id)
        if not isinstance(name, str) or not name.strip():
            raise Refusal(f"office {office_id} needs a name")
        township = context.township_doc()
        existing = township.office(office_id)
        if existing is not None:
            raise Refusal(f"office {office_id} is already on the roster ({existing.name})")
        context.write(lambda: township.put_office(context.who, office_id, name, area or ""))
        context.store.create_document(context.village_doc_id(office_id), VILLAGE)
        context.release(office_id)
        return OfficeRecord(office_id, name.strip(), (area or "").strip() or None, VILLAGE_KIND)
