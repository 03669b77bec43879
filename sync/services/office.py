"""The one object the CLI and the UI hold: this home's office (design.md, Layers).

An `Office` is composed of services, each built with only what it needs:

    office.me         who this office is (`Me`: office, kind, township, device, user,
                      home, the year shown first and the roster's year), read once
                      from the home's settings
    office.roster     the offices of the township; whoami; add a village (township)
    office.programs   program files of every year: list, get, add (township; a new
                      year's documents with its first program), the current period
    office.ledgers    a village's ledgers, one `LedgerSession` per program and village
    office.sheets     the ranking sheet's inputs: targets, entered, manual, adjustments
    office.ranking    the ranking sheet of a program and period
    office.publications  rankings as announced (通报): publish, the published sheet,
                      what moved since and the late edits behind it
    office.history    recorded edits, blame, conflicts and settling them
    office.sync       sync now, bundles, peers, unsynced edits, the data version
    office.devices    invite, enroll, revoke, list the roster's devices (township keys)

Services turn what people ask for into checked document transactions and refuse, with
one `Refusal` (a `VledgerError`) listing every problem and before anything is written,
what this office may not do: only the township writes the township document (roster,
programs, sheets); a village writes only its own ledgers, the township any village's
(corrections after verification, 核查). One user action is one transaction.

Homes are made by homes.py (`init_township`, `join`); sync acts on a home that is not
held open by home_sync.py.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from vledger.sync.documents.replicas import Replicas
from vledger.sync.services.context import Me, OfficeContext
from vledger.sync.services.permissions import Refusal
from vledger.sync.services.programs import ProgramService
from vledger.sync.services.roster import RosterService
from vledger.sync.services.sync import SyncService, lost_office
from vledger.sync.store.database import DB_FILE, StoreBusy

if TYPE_CHECKING:
    from vledger.sync.services.devices import DeviceService
    from vledger.sync.services.history import HistoryService
    from vledger.sync.services.ledgers import LedgerService
    from vledger.sync.services.publications import PublicationService
    from vledger.sync.services.ranking import RankingService
    from vledger.sync.services.sheets import SheetService

__all__ = ["LANGS", "Office", "Refusal", "remembered_lang"]

LANG_SETTING = "lang"  # the interface language the clerk last chose in this home
LANGS = ("zh", "en")


def remembered_lang(home: Path) -> str | None:
    """The language last chosen in the UI of `home` (None: never chosen, or no home);
    read before the office opens, so the UI starts in it. Creates nothing."""
    home = Path(home)
    if not (home / DB_FILE).exists():
        return None
    try:
        with Replicas.open(home, scan=False) as store:
            chosen = store.db.settings.get(LANG_SETTING)
    except StoreBusy:
        return None
    return chosen if chosen in LANGS else None


class Office:
    """This home's office, open: its services over one store (see the module docstring)."""

    def __init__(self, store: Replicas, *, lang: str = "en") -> None:
        # The store the services are built on. The front ends never use it; tests and
        # benches of the rooms below read documents through it.
        self.store = store
        self._context = context = OfficeContext(store, Me.of(store), lang)
        self.roster = RosterService(context)
        self.programs = ProgramService(context)
        self.sync = SyncService(context, self.programs)
        self._devices: DeviceService | None = None

    @classmethod
    def open(cls, home: Path, *, lang: str = "en") -> Office:
        """This home's office; a Refusal when the home has none (nothing is created)."""
        home = Path(home)
        if not (home / DB_FILE).exists():
            raise Refusal(_no_office(home))
        try:
            store = Replicas.open(home)
        except StoreBusy as error:
            raise Refusal(str(error)) from None
        if store.db.settings.get("office") is None:
            lost = lost_office(store)
            store.close()
            raise Refusal(*(lost or [_no_office(home)]))
        return cls(store, lang=lang)

    @staticmethod
    def exists(home: Path) -> bool:
        """Whether `home` already holds an office (without creating anything)."""
        home = Path(home)
        if not (home / DB_FILE).exists():
            return False
        try:
            with Replicas.open(home, scan=False) as store:
                return store.db.settings.get("office") is not None
        except StoreBusy:
            return True

    def close(self) -> None:
        self.store.close()

    def tidy_when_asked(self) -> None:
        """From now on documents are compacted only by `tidy`: for a process whose clerk
        types while it writes (the UI), which tidies at a pause in typing. Compacting a
        big ledger holds the process for a quarter of a second or more."""
        self.store.compact_when_asked = True

    def tidy(self) -> int:
        """Compact the documents that grew enough since `tidy_when_asked`; how many."""
        return self.store.compact_due()

    def __enter__(self) -> Office:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @property
    def me(self) -> Me:
        return self._context.me

    @property
    def lang(self) -> str:
        """The language refusals are worded in ("zh" or "en"); the UI switches it."""
        return self._context.lang

    @lang.setter
    def lang(self, lang: str) -> None:
        self._context.lang = lang

    @property
    def remembered_lang(self) -> str | None:
        """The language last chosen in this home's UI (None: never chosen)."""
        chosen = self.store.db.settings.get(LANG_SETTING)
        return chosen if chosen in LANGS else None

    def remember_lang(self, lang: str) -> None:
        """Keep the clerk's choice of language (Ctrl+L) for the next start, and speak it."""
        if lang not in LANGS:
            raise Refusal(f"no language {lang!r} (zh or en)")
        self.store.db.settings.set(LANG_SETTING, lang)
        self.lang = lang

    @property
    def damage(self) -> list[str]:
        """What the store found damaged when it opened, as readable lines (empty: none)."""
        return [str(d) for d in self.store.report]

    # The services below are built on first use, and their modules imported then: the
    # UI's home screen needs none of them before it is drawn, and importing them all
    # (rankings, sheet files, publications, histories) was most of an office's opening.

    @cached_property
    def ledgers(self) -> LedgerService:
        from vledger.sync.services.ledgers import LedgerService

        return LedgerService(self._context, self.programs, self.roster)

    @cached_property
    def sheets(self) -> SheetService:
        from vledger.sync.services.sheets import SheetService

        return SheetService(self._context, self.programs, self.roster)

    @cached_property
    def ranking(self) -> RankingService:
        from vledger.sync.services.ranking import RankingService

        return RankingService(self._context, self.programs, self.roster, self.sheets)

    @cached_property
    def publications(self) -> PublicationService:
        from vledger.sync.services.publications import PublicationService

        return PublicationService(self._context, self.programs, self.roster, self.ranking)

    @cached_property
    def history(self) -> HistoryService:
        from vledger.sync.services.history import HistoryService

        # Late edits are marked from the publications, built only when a history asks.
        return HistoryService(self._context, self.programs, self.roster,
                              late=lambda year: self.publications.late_edit_ids(year))

    @property
    def devices(self) -> DeviceService:
        """The roster's devices. Built on first use: it loads cryptography, which nothing
        else an office does at start-up needs."""
        if self._devices is None:
            from vledger.sync.services.devices import DeviceService

            self._devices = DeviceService(self._context)
        return self._devices


def _no_office(home: Path) -> str:
    return (
        f"{home} holds no office yet: run `vledger init --township NAME` to start a township, "
        "or `vledger join FILE` with an invitation"
    )
