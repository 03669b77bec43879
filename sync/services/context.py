"""What every service of an office is built with: its store, who it is, and the language.

`Me` is read from the home's settings once, when the office opens: none of it changes
while a home is open (an office's id, kind, township and year are fixed when the home is
made). `OfficeContext` adds the store and the few document rules the services share:
which documents are this office's (per office and year, `doc_id`), that a village
document not held here is a refusal, that a refused document write is a `Refusal`, and
that only the township writes the township document.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from vledger.sync.documents.journal import Who
from vledger.sync.documents.ledger import VillageDoc
from vledger.sync.documents.replica import EditRefused, doc_id
from vledger.sync.documents.replicas import Replicas
from vledger.sync.documents.township import TownshipDoc
from vledger.sync.services.permissions import TOWNSHIP_KIND, Refusal, require_township

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
    year: int  # the year whose documents this office opens first

    @property
    def is_township(self) -> bool:
        return self.kind == TOWNSHIP_KIND

    @classmethod
    def of(cls, store: Replicas) -> Me:
        settings = store.db.settings.all()
        return cls(
            office=settings["office"], kind=settings["kind"], township=settings["township"],
            device=store.device_id(), user=settings.get("user", ""), home=store.home,
            year=int(settings["year"]),
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
    def township_doc_id(self) -> str:
        return doc_id(self.me.township, self.me.township, self.me.year)

    def village_doc_id(self, village: str) -> str:
        return doc_id(self.me.township, village, self.me.year)

    def township_doc(self) -> TownshipDoc:
        return self.store.township(self.township_doc_id)

    def holds(self, village: str) -> bool:
        return self.store.has_document(self.village_doc_id(village))

    def village_doc(self, village: str) -> VillageDoc:
        """The village's open document (opened on first use; `release` closes it)."""
        if not self.holds(village):
            raise Refusal(f"this office holds no ledgers of {village}; sync with the township")
        return self.store.village(self.village_doc_id(village))

    def release(self, village: str) -> None:
        """Close a village document to free its memory (the township opens many)."""
        self.store.close_document(self.village_doc_id(village))

    def documents(self, village: str | None = None) -> list[str]:
        """The documents whose journals make up the history: every one of this township
        and year held here, or the township's and one village's."""
        if village is not None:
            return [d for d in (self.township_doc_id, self.village_doc_id(village))
                    if self.store.has_document(d)]
        prefix, suffix = f"{self.me.township}/", f"/{self.me.year}"
        return [d for d in self.store.document_ids() if d.startswith(prefix) and d.endswith(suffix)]

    def close_unless(self, document: str, was_open: bool) -> None:
        """Close a document opened only to be read; the township's stays open (every
        screen and command reads it)."""
        if not was_open and document != self.township_doc_id:
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
