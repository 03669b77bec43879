"""What every service of an office is built with: its store, who it is, and the language.

`Me` is read from the home's settings once, when the office opens: none of it changes
while a home is open (an office's id, kind, township, the year shown first and the
roster's year are fixed when the home is made). `OfficeContext` adds the store and the
few document rules the services share: which documents are this office's (one per office
and year, `doc_id`; a home keeps every year), that a village document not held here is
a refusal, that a refused document write is a `Refusal`, and that only the township
writes the township documents.

Years (design.md, Documents): the roster (offices, areas, signed devices) and the
township's name live in ONE township document, the one of `me.roster_year`; a program,
its sheets and the ledgers kept for it live in the documents of the program's year.
Nothing here opens a document of another year than the one asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from vledger.sync.documents.journal import Who
from vledger.sync.documents.replica import EditRefused, doc_id, parse_doc_id, roster_year
from vledger.sync.documents.replicas import Replicas
from vledger.sync.documents.township import TownshipDoc
from vledger.sync.services.permissions import TOWNSHIP_KIND, Refusal, require_township

if TYPE_CHECKING:
    from vledger.sync.documents.ledger import VillageDoc

T = TypeVar("T")


@dataclass(frozen=True)
class Me:
    """This home's office as its settings say; the names are on the roster (`whoami`)."""

    office: str
    kind: str  # "township" | "village"
    township: str
    device: str
    user: str
    home: Path
    year: int  # the year shown first (`init --year`); the home keeps every year
    roster_year: int  # the year of the township document holding the roster

    @property
    def is_township(self) -> bool:
        return self.kind == TOWNSHIP_KIND

    @classmethod
    def of(cls, store: Replicas) -> Me:
        settings = store.db.settings.all()
        return cls(
            office=settings["office"], kind=settings["kind"], township=settings["township"],
            device=store.device_id(), user=settings.get("user", ""), home=store.home,
            year=int(settings["year"]), roster_year=roster_year(settings) or int(settings["year"]),
        )


class OfficeContext:
    """The store, `me` and the language one open office's services share.

    `lang` changes when the clerk switches the UI's language; services read it when
    they word a refusal, so they never keep a copy.
    """

    def __init__(self, store: Replicas, me: Me, lang: str) -> None:
        self.store = store
        self.me = me
        self.lang = lang

    @property
    def who(self) -> Who:
        """Who this office's edits are recorded as."""
        return Who(self.me.office, self.me.device, self.me.user)

    # -- documents ----------------------------------------------------------------------

    @property
    def roster_doc_id(self) -> str:
        """The township document holding the roster and the township's name."""
        return doc_id(self.me.township, self.me.township, self.me.roster_year)

    def roster_doc(self) -> TownshipDoc:
        return self.store.township(self.roster_doc_id)

    def township_doc_id(self, year: int) -> str:
        """The township document of `year`: its programs and their sheets."""
        return doc_id(self.me.township, self.me.township, year)

    def township_doc(self, year: int) -> TownshipDoc:
        """The township document of `year`; a Refusal when this home holds none."""
        document = self.township_doc_id(year)
        if not self.store.has_document(document):
            raise Refusal(f"this office holds no documents of {year}; sync with the township")
        return self.store.township(document)

    def village_doc_id(self, village: str, year: int) -> str:
        return doc_id(self.me.township, village, year)

    def holds(self, village: str, year: int) -> bool:
        return self.store.has_document(self.village_doc_id(village, year))

    def village_doc(self, village: str, year: int) -> VillageDoc:
        """The village's open document of `year` (opened on first use; `release` closes it)."""
        if not self.holds(village, year):
            raise Refusal(f"this office holds no ledgers of {village} for {year}; sync with "
                          "the township")
        return self.store.village(self.village_doc_id(village, year))

    def release(self, village: str, year: int | None = None) -> None:
        """Close a village's document of `year` (None: of every year) to free its memory
        (the township opens many)."""
        for held in [year] if year is not None else self.years():
            self.store.close_document(self.village_doc_id(village, held))

    def years(self) -> list[int]:
        """The years this home holds a township document of, ascending (one query: no
        document is opened)."""
        found: set[int] = set()
        for document in self.store.document_ids():
            try:
                township, office, year = parse_doc_id(document)
            except ValueError:
                continue
            if township == office == self.me.township:
                found.add(year)
        return sorted(found)

    def documents(self, village: str | None = None, year: int | None = None) -> list[str]:
        """The documents whose journals make up the history: every one of this township
        held here (of `year`, or of every year), or only the township's and `village`'s.
        The roster's document is always among them: roster and device edits are there."""
        def wanted(document: str) -> bool:
            try:
                township, office, held = parse_doc_id(document)
            except ValueError:
                return False
            if township != self.me.township:
                return False
            if document == self.roster_doc_id:
                return True
            if year is not None and held != year:
                return False
            return village is None or office in (village, township)

        return sorted(d for d in self.store.document_ids() if wanted(d))

    def close_unless(self, document: str, was_open: bool) -> None:
        """Close a document opened only to be read; the roster's and the township document
        of the year shown first stay open (every screen and command reads them)."""
        kept = (self.roster_doc_id, self.township_doc_id(self.me.year))
        if not was_open and document not in kept:
            self.store.close_document(document)

    # -- writing ------------------------------------------------------------------------

    def require_township(self, action: str) -> None:
        require_township(self.me.kind, self.me.office, action)

    @staticmethod
    def write(action: Callable[[], T]) -> T:
        """Run a document write; one the document refuses is this office's Refusal."""
        try:
            return action()
        except EditRefused as error:
            raise Refusal(str(error)) from None
