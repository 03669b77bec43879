"""The one object the CLI and the UI talk to: this home's office (design.md, Layers).

`Office` turns what people ask for (add a village, publish a program, import a sheet,
add ledger rows, rank) into checked document transactions, and refuses what this
office may not do. Permissions live here, not in the CLI or the screens:

- only the township office writes the township document (roster, programs, sheets);
- a village office writes only its own ledgers; the township writes any village's
  ledger (corrections after verification, 核查).

Every refusal is one exception type, `Refusal`, with one line per problem, raised
before anything is written. One user action is one transaction (a whole CSV import,
a whole batch of rows).

Home settings (Replicas settings): office, kind ("township" | "village"), township,
year, user; the device id is the store's. Documents are per office and year
(sync/document.py `doc_id`): an office keeps the documents of its `year`, which is
fixed when the home is made (default: this year; the demo uses its programs' year).

Ranking never holds every village document open: each village's measures are cached
in the store keyed by the document's heads and the program's text (sync/measures.py),
and a village document opened only to measure is closed again.

A village home for tests and for `join`: `Office.create_village_home(home, township,
village)` copies the township document and that village's document from an open
township office, the way a join will receive them from a peer.
"""

from __future__ import annotations

import getpass
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from vledger.domain.history import JournalEntry
from vledger.domain.indicators import VillageMeasures
from vledger.domain.program import YEAR, CellValue, Program
from vledger.domain.ranking import (
    RankingError,
    RankingSheet,
    SheetInputs,
    Village,
    check_inputs,
    rank_sheet,
)
from vledger.sync.documents.ledger import Row, VillageDoc
from vledger.sync.documents.replica import TOWNSHIP, VILLAGE, EditRefused, doc_id
from vledger.sync.documents.replicas import Replicas
from vledger.sync.documents.township import SheetValue, TownshipDoc
from vledger.sync.services.history import HistoryMixin
from vledger.sync.services.identity_mixin import IdentityMixin
from vledger.sync.services.measures import village_measures, villages_measures
from vledger.sync.services.permissions import (
    TOWNSHIP_KIND,
    VILLAGE_KIND,
    CellProblem,
    Refusal,
    check_office_id,
    columns_by_name,
    ledger_village,
    parse_rows,
    refuse_cells,
    require_township,
)
from vledger.sync.services.sheets import (
    HEADERS,
    SHEET_KINDS,
    decode_csv,
    parse_sheet,
    problem_text,
    read_number,
)
from vledger.sync.services.sync import SyncMixin
from vledger.sync.store.database import DB_FILE, StoreBusy

__all__ = [
    "CellProblem", "Identity", "Office", "OfficeRecord", "Refusal", "check_office_id",
    "columns_by_name", "parse_rows",
]



@dataclass(frozen=True)
class Identity:
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


def default_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in this environment (some containers, services)
        return ""


def _new_township_id() -> str:
    from vledger.sync.documents.journal import random_id

    return "t" + random_id(5)


class Office(HistoryMixin, SyncMixin, IdentityMixin):
    """This home's office: the facade over its store and documents."""

    def __init__(self, store: Replicas, *, lang: str = "en") -> None:
        self.store = store
        self.lang = lang
        settings = store.settings()
        self.office_id = settings["office"]
        self.kind = settings["kind"]
        self.township_id = settings["township"]
        self.year = int(settings["year"])
        self.user = settings.get("user", "")
        self.device = store.device_id()
        self._programs: dict[str, tuple[str, Program]] = {}

    # -- making and opening homes --------------------------------------------------------

    @classmethod
    def create_township(
        cls,
        home: Path,
        name: str,
        township_id: str | None = None,
        *,
        user: str | None = None,
        year: int | None = None,
        lang: str = "en",
    ) -> Office:
        """Make `home` the township office of a new township (cli.md `vledger init`)."""
        home = Path(home)
        if not isinstance(name, str) or not name.strip():
            raise Refusal("a township needs a name (--township NAME)")
        township_id = township_id or _new_township_id()
        check_office_id(township_id, "township")
        year = year or date.today().year
        if not 1900 <= year <= 9999:
            raise Refusal(f"year {year} is not a year")
        _refuse_existing_office(home)
        store = _open_store(home)
        try:
            document = doc_id(township_id, township_id, year)
            store.create_document(document, TOWNSHIP)
            who = _who(township_id, store.device_id(), user)
            township = store.township(document)
            township.set_name(who, name)
            township.put_office(who, township_id, name, kind=TOWNSHIP_KIND)
            # Settings last: a home whose init failed half-way still has no office.
            store.set_setting("township", township_id)
            store.set_setting("kind", TOWNSHIP_KIND)
            store.set_setting("year", str(year))
            store.set_setting("user", who.user)
            store.set_setting("office", township_id)
        except BaseException:
            store.close()
            raise
        return cls(store, lang=lang)

    @classmethod
    def create_village_home(
        cls, home: Path, township: Office, village: str, *, user: str | None = None,
        lang: str = "en",
    ) -> Office:
        """Make `home` village office `village`, from an open township office's documents.

        Copies the township document and that village's document as a join would
        receive them. Used by tests; the sync issue's `join` may build on it.
        """
        if township.kind != TOWNSHIP_KIND:
            raise Refusal("a village home is made from the township office's documents")
        if township.township_doc().office(village) is None or village == township.office_id:
            raise Refusal(f"no village {village} on the roster")
        home = Path(home)
        _refuse_existing_office(home)
        store = _open_store(home)
        try:
            for document in (township.township_doc_id, township.village_doc_id(village)):
                store.apply_batch(document, township.store.changes_since(document, []), "join")
                store.close_document(document)
            store.set_setting("township", township.township_id)
            store.set_setting("kind", VILLAGE_KIND)
            store.set_setting("year", str(township.year))
            store.set_setting("user", user if user is not None else default_user())
            store.set_setting("office", village)
        except BaseException:
            store.close()
            raise
        return cls(store, lang=lang)

    @classmethod
    def open(cls, home: Path, *, lang: str = "en") -> Office:
        """This home's office; a Refusal when the home has none (nothing is created)."""
        home = Path(home)
        if not (home / DB_FILE).exists():
            raise Refusal(_no_office(home))
        store = _open_store(home)
        if store.setting("office") is None:
            store.close()
            raise Refusal(_no_office(home))
        return cls(store, lang=lang)

    @staticmethod
    def exists(home: Path) -> bool:
        """Whether `home` already holds an office (without creating anything)."""
        home = Path(home)
        if not (home / DB_FILE).exists():
            return False
        try:
            with Replicas.open(home, scan=False) as store:
                return store.setting("office") is not None
        except StoreBusy:
            return True

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Office:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @property
    def home(self) -> Path:
        return self.store.home

    @property
    def damage(self) -> list[str]:
        """What the store found damaged, as readable lines (empty when all is well)."""
        return [str(d) for d in self.store.report]

    @property
    def who(self) -> Any:
        from vledger.sync.documents.journal import Who

        return Who(self.office_id, self.device, self.user)

    @property
    def is_township(self) -> bool:
        return self.kind == TOWNSHIP_KIND

    # -- documents ------------------------------------------------------------------------

    @property
    def township_doc_id(self) -> str:
        return doc_id(self.township_id, self.township_id, self.year)

    def village_doc_id(self, village: str) -> str:
        return doc_id(self.township_id, village, self.year)

    def township_doc(self) -> TownshipDoc:
        return self.store.township(self.township_doc_id)

    def village_doc(self, village: str) -> VillageDoc:
        """The village's open document (opened on first use; `release` closes it)."""
        document = self.village_doc_id(village)
        if not self.store.has_document(document):
            raise Refusal(f"this office holds no ledgers of {village}; sync with the township")
        return self.store.village(document)

    def release(self, village: str) -> None:
        """Close a village document to free its memory (the township opens many)."""
        self.store.close_document(self.village_doc_id(village))

    # -- identity and roster --------------------------------------------------------------

    def whoami(self) -> Identity:
        township = self.township_doc()
        mine = township.office(self.office_id)
        return Identity(
            office=self.office_id,
            office_name=mine.name if mine else "",
            kind=self.kind,
            township=self.township_id,
            township_name=township.name,
            device=self.device,
            user=self.user,
            home=self.home,
            year=self.year,
        )

    def offices(self) -> list[OfficeRecord]:
        """The roster: the township first, then the villages by id."""
        found = [
            OfficeRecord(o.id, o.name, o.area or None, o.kind)
            for o in self.township_doc().offices()
        ]
        return sorted(found, key=lambda o: (o.kind != TOWNSHIP_KIND, o.id))

    def villages(self) -> list[Village]:
        return [Village(o.id, o.name, o.area) for o in self.offices() if o.kind == VILLAGE_KIND]

    def add_office(self, office_id: str, name: str, area: str | None = None) -> OfficeRecord:
        """Add a village office to the roster and make its (empty) ledger document."""
        self._require_township("add offices")
        check_office_id(office_id)
        if not isinstance(name, str) or not name.strip():
            raise Refusal(f"office {office_id} needs a name")
        township = self.township_doc()
        existing = township.office(office_id)
        if existing is not None:
            raise Refusal(f"office {office_id} is already on the roster ({existing.name})")
        self._write(lambda: township.put_office(self.who, office_id, name, area or ""))
        self.store.create_document(self.village_doc_id(office_id), VILLAGE)
        self.release(office_id)
        return OfficeRecord(office_id, name.strip(), (area or "").strip() or None, VILLAGE_KIND)

    # -- programs ---------------------------------------------------------------------------

    def publish_program(self, text: str, filename: str) -> Program:
        """Validate a program file and publish it (replacing one with the same id)."""
        from vledger.domain.program_file import ProgramError, load_program

        self._require_township("publish programs")
        try:
            program = load_program(text, filename)
        except ProgramError as error:
            raise Refusal(*(str(p) for p in error.problems)) from None
        if program.year != self.year:
            raise Refusal(
                f"{filename}: program {program.id} is for {program.year}, but this office "
                f"keeps the documents of {self.year}"
            )
        self._write(lambda: self.township_doc().publish_program(self.who, program.id, text))
        return program

    def program_ids(self) -> list[str]:
        return self.township_doc().program_ids()

    def programs(self) -> list[Program]:
        return [self.program(p) for p in self.program_ids()]

    def program(self, program_id: str) -> Program:
        """The published program; Refusal when there is none with this id."""
        from vledger.domain.program_file import ProgramError, load_program

        source = self.township_doc().program_source(program_id)
        if source is None:
            known = ", ".join(self.program_ids()) or "none yet"
            raise Refusal(f"no program {program_id} (published: {known})")
        cached = self._programs.get(program_id)
        if cached is not None and cached[0] == source:
            return cached[1]
        try:
            program = load_program(source, f"{program_id}.toml")
        except ProgramError as error:  # a peer published a file this version cannot read
            raise Refusal(*(str(p) for p in error.problems)) from None
        self._programs[program_id] = (source, program)
        return program

    @staticmethod
    def current_period(program: Program, today: date | None = None) -> str:
        """The period containing `today`, else "year"."""
        today = today or date.today()
        for period in program.periods:
            if period.contains(today):
                return period.id
        return YEAR

    # -- the ranking sheet's inputs -----------------------------------------------------

    def sheet_inputs(self, program_id: str) -> SheetInputs:
        township = self.township_doc()
        self.program(program_id)
        targets = {
            (k[0], k[1]): Decimal(str(v)) for k, v in township.sheet("targets", program_id).items()
            if len(k) == 2
        }
        rest: dict[str, dict[tuple[str, str, str], Decimal]] = {}
        for kind in ("entered", "manual", "adjustments"):
            # Stored as village/period/key; SheetInputs wants (village, key, period).
            rest[kind] = {
                (k[0], k[2], k[1]): Decimal(str(v))
                for k, v in township.sheet(kind, program_id).items()  # type: ignore[arg-type]
                if len(k) == 3
            }
        return SheetInputs(targets=targets, **rest)

    def import_sheet(
        self, program_id: str, kind: str, path: Path | str, *, shown_as: str | None = None
    ) -> int:
        """Import a sheet CSV whole or not at all; returns the number of values written.

        Problems are `FILE:ROW:COLUMN: message`, FILE as `shown_as` (default: `path`).
        """
        self._require_township("import sheets")
        if kind not in HEADERS:
            raise Refusal(f"unknown sheet {kind!r} (expected one of {', '.join(SHEET_KINDS)})")
        program = self.program(program_id)
        filename = shown_as if shown_as is not None else str(path)
        try:
            data = Path(path).read_bytes()
        except FileNotFoundError:
            raise Refusal(f"{filename}: no such file") from None
        except OSError as error:
            raise Refusal(f"{filename}: cannot read it ({error.strerror or error})") from None
        try:
            text = decode_csv(data, filename)
        except ValueError as error:
            raise Refusal(str(error)) from None
        entries, problems = parse_sheet(program, kind, text, filename, self.villages(), self.lang)
        if problems:
            raise Refusal(*problems)
        values = [_sheet_value(kind, program.id, e.key, e.value) for e in entries]
        self._write(lambda: self.township_doc().set_values(self.who, values))
        return len(values)

    def set_target(
        self, program_id: str, village: str, indicator: str, value: Decimal | str | None
    ) -> None:
        """One annual target (None clears it)."""
        self._set_sheet_value("targets", program_id, (village, indicator), value)

    def set_entered(
        self, program_id: str, village: str, indicator: str, period: str,
        value: Decimal | str | None,
    ) -> None:
        self._set_sheet_value("entered", program_id, (village, indicator, period), value)

    def set_manual(
        self, program_id: str, village: str, item: str, period: str,
        points: Decimal | str | None,
    ) -> None:
        self._set_sheet_value("manual", program_id, (village, item, period), points)

    def set_adjustment(
        self, program_id: str, village: str, adjustment: str, period: str,
        count: Decimal | int | str | None,
    ) -> None:
        self._set_sheet_value("adjustments", program_id, (village, adjustment, period), count)

    def _set_sheet_value(
        self, kind: str, program_id: str, key: tuple[str, ...], raw: Decimal | int | str | None
    ) -> None:
        self._require_township("change the ranking sheet's inputs")
        program = self.program(program_id)
        value: Decimal | None = None
        if raw is not None:
            value = raw if isinstance(raw, Decimal) else read_number(str(raw))
            if value is None:
                raise Refusal(f"{HEADERS[kind][-1]}: {str(raw).strip()!r} is not a number")
        check = SheetInputs(**{kind: {key: value if value is not None else Decimal(0)}})
        problems = check_inputs(program, self.villages(), check)
        if problems:
            raise Refusal(*(f"{','.join(key)}: {problem_text(p, self.lang)}" for p in problems))
        sheet_value = _sheet_value(kind, program.id, key, value)
        self._write(lambda: self.township_doc().set_values(self.who, [sheet_value]))

    # -- ledgers -------------------------------------------------------------------------

    def ledger_village(self, village: str | None, *, writing: bool) -> str:
        """The village a ledger command is about; refused when this office may not use it."""
        roster = [v.id for v in self.villages()]
        return ledger_village(self.kind, self.office_id, roster, village, writing=writing)

    def ledger_rows(
        self, program_id: str, village: str | None = None, include_deleted: bool = False
    ) -> list[Row]:
        """The rows in display order (date, then creation), deleted ones only if asked."""
        program = self.program(program_id)
        village = self.ledger_village(village, writing=False)
        doc = self.village_doc(village)
        return doc.rows(program.id, program.date_column, include_deleted=include_deleted)

    def add_rows(
        self, program_id: str, village: str | None, rows: Sequence[Mapping[str, str]]
    ) -> list[str]:
        """Add rows typed as text (keys: column ids or titles), all or none; their ids."""
        program = self.program(program_id)
        village = self.ledger_village(village, writing=True)
        parsed, problems = parse_rows(program, rows, self.lang, whole_rows=True)
        refuse_cells(problems)
        return self.import_rows(program.id, village, parsed)

    def import_rows(
        self, program_id: str, village: str | None, rows: Sequence[Mapping[str, CellValue]]
    ) -> list[str]:
        """Add already parsed rows (column id -> stored value) in one transaction."""
        program = self.program(program_id)
        village = self.ledger_village(village, writing=True)
        known = {c.id for c in program.columns}
        unknown = sorted({k for row in rows for k in row if k not in known})
        if unknown:
            raise Refusal(*(f"no column {k} in program {program.id}" for k in unknown))
        doc = self.village_doc(village)
        return self._write(lambda: doc.add_rows(self.who, program.id, rows))

    def set_cells(
        self, program_id: str, village: str | None, row_id: str, cells: Mapping[str, str]
    ) -> list[JournalEntry]:
        """Edit cells of one row, typed as text; all or none."""
        program = self.program(program_id)
        village = self.ledger_village(village, writing=True)
        parsed, problems = parse_rows(program, [cells], self.lang, whole_rows=False)
        refuse_cells(problems)
        doc = self.village_doc(village)
        self._existing_row(doc, program.id, row_id, village)
        return self._write(lambda: doc.set_cells(self.who, program.id, row_id, parsed[0]))

    def write_cells(
        self, program_id: str, village: str | None, row_id: str, cells: Mapping[str, CellValue]
    ) -> list[JournalEntry]:
        """Write already-parsed values, as undo puts back what a cell held before.

        Unlike set_cells this takes stored values, so undo can empty a required
        cell that was empty before the edit being undone.
        """
        program = self.program(program_id)
        village = self.ledger_village(village, writing=True)
        unknown = sorted(set(cells) - {c.id for c in program.columns})
        if unknown:
            raise Refusal(*(f"{program.id}: no column {c!r}" for c in unknown))
        doc = self.village_doc(village)
        self._existing_row(doc, program.id, row_id, village)
        return self._write(lambda: doc.set_cells(self.who, program.id, row_id, dict(cells)))

    def delete_row(self, program_id: str, village: str | None, row_id: str) -> list[JournalEntry]:
        program = self.program(program_id)
        village = self.ledger_village(village, writing=True)
        doc = self.village_doc(village)
        self._existing_row(doc, program.id, row_id, village)
        return self._write(lambda: doc.delete_row(self.who, program.id, row_id))

    def restore_row(
        self, program_id: str, village: str | None, row_id: str
    ) -> list[JournalEntry]:
        program = self.program(program_id)
        village = self.ledger_village(village, writing=True)
        doc = self.village_doc(village)
        self._existing_row(doc, program.id, row_id, village)
        return self._write(lambda: doc.restore_row(self.who, program.id, row_id))

    @staticmethod
    def _existing_row(doc: VillageDoc, program: str, row_id: str, village: str) -> None:
        if doc.row(program, row_id) is None:
            raise Refusal(f"no row {row_id} in {village}'s {program} ledger")

    # -- ranking -------------------------------------------------------------------------

    def measures(self, program_id: str, village: str) -> VillageMeasures:
        """The village's indicator measures (from the cache when its ledger is unchanged)."""
        program = self.program(program_id)
        return village_measures(self.store, program, self.village_doc_id(village))

    def ranking(self, program_id: str, period: str | None = None) -> RankingSheet:
        """The ranking sheet for `period` (a period id or "year"; default: today's period)."""
        program = self.program(program_id)
        period = period or self.current_period(program)
        if period not in program.period_ids:
            raise Refusal(
                f"no period {period} in program {program.id} "
                f"(periods: {', '.join(program.period_ids)})"
            )
        villages = self.villages()
        missing = [v.id for v in villages if not self.store.has_document(self.village_doc_id(v.id))]
        if missing:
            raise Refusal(
                f"this office does not hold the ledgers of {', '.join(missing)}; "
                "sync with the township before ranking"
            )
        documents = {v.id: self.village_doc_id(v.id) for v in villages}
        by_document = villages_measures(self.store, program, list(documents.values()))
        measures = {village: by_document[document] for village, document in documents.items()}
        try:
            return rank_sheet(program, villages, measures, self.sheet_inputs(program.id), period)
        except RankingError as error:
            raise Refusal(str(error)) from None

    # -- history and conflicts -------------------------------------------------------------

    # -- internals ---------------------------------------------------------------------

    def _require_township(self, action: str) -> None:
        require_township(self.kind, self.office_id, action)

    @staticmethod
    def _write(action: Any) -> Any:
        try:
            return action()
        except EditRefused as error:
            raise Refusal(str(error)) from None


# -- small helpers --------------------------------------------------------------------------


def _who(office: str, device: str, user: str | None) -> Any:
    from vledger.sync.documents.journal import Who

    return Who(office, device, user if user is not None else default_user())


def _no_office(home: Path) -> str:
    return (
        f"{home} holds no office yet: run `vledger init --township NAME` to start a township, "
        "or `vledger join FILE` with an invitation"
    )


def _refuse_existing_office(home: Path) -> None:
    if Office.exists(home):
        raise Refusal(f"{home} already holds an office; use another --home")


def _open_store(home: Path) -> Replicas:
    try:
        return Replicas.open(home)
    except StoreBusy as error:
        raise Refusal(str(error)) from None


def _sheet_value(
    kind: str, program: str, key: tuple[str, ...], value: Decimal | None
) -> SheetValue:
    stored: Decimal | int | None = value
    if kind == "adjustments" and value is not None:
        stored = int(value)
    period = key[2] if len(key) == 3 else None
    return SheetValue(kind, program, key[0], key[1], stored, period)  # type: ignore[arg-type]
