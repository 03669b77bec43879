"""The township's document: roster, programs and everything the ranking sheet takes as input.

Layout (genesis makes every map below; flat keys so concurrent edits of
different cells never touch the same object, see sync/document.py):

    kind = "township", township, office (= township), year, format
    name                                            township name (str)
    roster/<office id>      = {name, area, kind[, since]}  kind "township" | "village";
                                                    since: the first year it keeps
                                                    ledgers (absent: every year)
    programs/<program id>   = program file text (str; parsed on read)
    targets/<program>/<village>/<indicator>             = decimal string
    entered/<program>/<village>/<period>/<indicator>    = decimal string
    manual/<program>/<village>/<period>/<item>          = decimal string (points)
    adjustments/<program>/<village>/<period>/<adjustment> = int (count)
    journal/<entry id>      = msgpack bytes of a journal entry
    publication:<id>        = msgpack bytes of a publication (domain/publication.py)

Publications sit at the root under flat keys, not in a map of their own: a new map would
have to be made in the genesis (the layout rule in documents/replica.py), and that would
change the first change of every township document already made. Each key is written
once, by the one publish that makes its random id, so no two offices ever write it.

Journal cells (program, village, row, column), following domain/history.py so
that different values never share a cell:

    target      (program, village, "target:<indicator>",     "")
    entered     (program, village, "entered:<indicator>",    <period>)
    manual      (program, village, "manual:<item>",          <period>)
    adjustment  (program, village, "adjustment:<adjustment>", <period>)
    office      ("", <office>, "roster", "")          new = {name, area, kind[, since]}

The roster and the name are kept in ONE township document, the one of the year the
township was founded (services/context.py); the other years' township documents hold
their programs and sheets, and an empty roster.
    program     (<program>, "", "program", "")        new = sha256 of the text
    name        ("", "", "township", "name")
    publication (<program>, "", "publication", <id>)  new = {period, version, note}
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Literal

import msgpack

from vledger.domain.decimals import decimal_to_plain
from vledger.domain.history import RESOLVE, Cell, JournalEntry
from vledger.domain.program import YEAR, Program
from vledger.sync.binding.doc import ROOT, Plain
from vledger.sync.documents.journal import Who
from vledger.sync.documents.replica import TOWNSHIP, Edit, EditRefused, Record, Replica, check_id

if TYPE_CHECKING:
    from vledger.domain.publication import Publication

SheetKind = Literal["targets", "entered", "manual", "adjustments"]
SHEET_KINDS: tuple[SheetKind, ...] = ("targets", "entered", "manual", "adjustments")
# The journal's row prefix per sheet (domain/history.py's convention).
_ROW_PREFIX = {"targets": "target", "entered": "entered", "manual": "manual",
               "adjustments": "adjustment"}
OFFICE_KINDS = ("township", "village")
PUBLICATION_PREFIX = "publication:"
_PUBLICATION_ID_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no 0/o, 1/l: read aloud


@dataclass(frozen=True)
class Office:
    """An office of the roster: the township or one of its villages."""

    id: str
    name: str
    area: str
    kind: str
    since: int | None = None  # the first year this office keeps ledgers (None: every year)

    def in_year(self, year: int) -> bool:
        """Whether this office takes part in `year` (its documents of that year exist)."""
        return self.since is None or self.since <= year


@dataclass(frozen=True)
class SheetValue:
    """One value of the ranking sheet's inputs.

    `key` is the indicator (targets, entered), item (manual) or adjustment id;
    `period` is a period id or "year" (None for targets, which are annual).
    `value` None clears it.
    """

    kind: SheetKind
    program: str
    village: str
    key: str
    value: Decimal | int | str | None
    period: str | None = None

    @property
    def doc_key(self) -> str:
        if self.kind == "targets":
            return f"{self.program}/{self.village}/{self.key}"
        return f"{self.program}/{self.village}/{self.period}/{self.key}"

    @property
    def cell(self) -> Cell:
        row = f"{_ROW_PREFIX[self.kind]}:{self.key}"
        return (self.program, self.village, row, "" if self.kind == "targets" else str(self.period))


def _stored(value: SheetValue) -> int | str | None:
    raw = value.value
    if raw is None:
        return None
    if isinstance(raw, bool) or isinstance(raw, float):
        raise EditRefused(f"{value.kind} {value.key}: {raw!r} is not an exact number")
    if value.kind == "adjustments":
        if isinstance(raw, int):
            return raw
        try:
            number = Decimal(str(raw).strip())
        except InvalidOperation:
            raise EditRefused(f"adjustment {value.key}: {raw!r} is not a count") from None
        if not number.is_finite() or number != number.to_integral_value():
            raise EditRefused(f"adjustment {value.key}: {raw!r} is not a whole count")
        return int(number)
    try:
        number = raw if isinstance(raw, Decimal) else Decimal(str(raw).strip())
    except InvalidOperation:
        raise EditRefused(f"{value.kind} {value.key}: {raw!r} is not a number") from None
    if not number.is_finite():
        raise EditRefused(f"{value.kind} {value.key}: {raw!r} is not a number")
    return decimal_to_plain(number)


def _check_sheet_value(value: SheetValue) -> None:
    if value.kind not in SHEET_KINDS:
        raise EditRefused(f"unknown sheet {value.kind!r} (expected {', '.join(SHEET_KINDS)})")
    for what, text in (("program", value.program), ("village", value.village),
                       ("key", value.key)):
        check_id(what, text)
    if value.kind == "targets":
        if value.period is not None:
            raise EditRefused("targets are set for the year, without a period")
    elif value.period is None:
        raise EditRefused(f"{value.kind} values name a period (or {YEAR!r})")
    else:
        check_id("period", value.period)


class TownshipDoc:
    """Reads and edits the township document; every edit is one durable transaction."""

    def __init__(self, replica: Replica) -> None:
        if replica.kind not in (TOWNSHIP, None):
            raise ValueError(f"{replica.doc_id} is a {replica.kind} document, not a township's")
        self.replica = replica

    # -- township and roster ------------------------------------------------------

    @property
    def township_id(self) -> str:
        found = self.replica.header["township"]
        return found if isinstance(found, str) else ""

    @property
    def name(self) -> str:
        found = self.replica.doc.read(ROOT, "name")
        return found if isinstance(found, str) else ""

    def set_name(self, who: Who, name: str) -> list[JournalEntry]:
        if not isinstance(name, str) or not name.strip():
            raise EditRefused("a township needs a name")
        edit = Edit("name", ("", "", "township", "name"), ("name",), name.strip())
        return self.replica.write(who, [edit])

    def offices(self) -> list[Office]:
        """The roster, by office id."""
        found: list[Office] = []
        # One read of the whole roster, not one per office: the UI reads it at every start.
        for office_id, entry in sorted(self.replica.read_children(["roster"]).items()):
            if isinstance(entry, Mapping):
                since = entry.get("since")
                found.append(Office(
                    office_id, str(entry.get("name") or ""), str(entry.get("area") or ""),
                    str(entry.get("kind") or "village"),
                    since if isinstance(since, int) and not isinstance(since, bool) else None,
                ))
        return found

    def office(self, office_id: str) -> Office | None:
        return next((o for o in self.offices() if o.id == office_id), None)

    def put_office(
        self, who: Who, office_id: str, name: str, area: str = "", kind: str = "village",
        since: int | None = None,
    ) -> list[JournalEntry]:
        """Add an office to the roster, or replace its name, area, kind and first year."""
        check_id("office", office_id)
        if kind not in OFFICE_KINDS:
            raise EditRefused(f"office kind {kind!r} is not one of {', '.join(OFFICE_KINDS)}")
        if not isinstance(name, str) or not name.strip():
            raise EditRefused(f"office {office_id} needs a name")
        entry: dict[str, Plain] = {"name": name.strip(), "area": (area or "").strip(),
                                   "kind": kind}
        if since is not None:
            if isinstance(since, bool) or not isinstance(since, int) or not 1900 <= since <= 9999:
                raise EditRefused(f"year {since!r} is not a year")
            entry["since"] = since
        edit = Edit("office", ("", office_id, "roster", ""), ("roster", office_id), entry)
        return self.replica.write(who, [edit])

    # -- programs ------------------------------------------------------------------------

    def program_ids(self) -> list[str]:
        return sorted(self.replica.keys(["programs"]))

    def program_source(self, program_id: str) -> str | None:
        found = self.replica.read(["programs", program_id])
        return found if isinstance(found, str) else None

    def program(self, program_id: str) -> Program:
        """The parsed program; KeyError when absent, ProgramError when its text is bad."""
        from vledger.domain.program_file import load_program

        source = self.program_source(program_id)
        if source is None:
            raise KeyError(program_id)
        return load_program(source, f"{program_id}.toml")

    def publish_program(self, who: Who, program_id: str, source: str) -> list[JournalEntry]:
        """Store a program file's text (validate it first with domain.program_file)."""
        check_id("program", program_id)
        if not isinstance(source, str) or not source.strip():
            raise EditRefused("a program file cannot be empty")
        with self.replica.writing():
            return self._publish_program(who, program_id, source)

    def _publish_program(self, who: Who, program_id: str, source: str) -> list[JournalEntry]:
        old = self.program_source(program_id)
        edit = Edit(
            "program", (program_id, "", "program", ""), ("programs", program_id), source,
        )
        if old == source:
            return []
        records = (_program_record(program_id, old, source),)
        return self.replica.write(who, [_with_records(edit, records)])

    # -- publications ------------------------------------------------------------------

    @staticmethod
    def new_publication_id() -> str:
        return "p" + "".join(secrets.choice(_PUBLICATION_ID_ALPHABET) for _ in range(7))

    def publications(self) -> tuple[list[Publication], list[str]]:
        """Every publication stored, and the keys of those that cannot be read."""
        # Imported here: every office opens its township document, few read publications.
        from vledger.domain.publication import Publication, PublicationError

        found: list[Publication] = []
        bad: list[str] = []
        for key, data in self.replica.read_children([], PUBLICATION_PREFIX).items():
            try:
                if not isinstance(data, bytes):
                    raise PublicationError("not stored as bytes")
                found.append(Publication.from_plain(msgpack.unpackb(data, raw=False)))
            except (PublicationError, ValueError, TypeError, msgpack.UnpackException):
                bad.append(key)
        return sorted(found, key=lambda p: (p.program, p.period, p.order)), bad

    def publish(self, who: Who, publication: Publication) -> list[JournalEntry]:
        """Store a publication under its own new key, with its journal entry."""
        check_id("publication", publication.id)
        key = PUBLICATION_PREFIX + publication.id
        data = bytes(msgpack.packb(publication.to_plain(), use_bin_type=True))
        summary: dict[str, Any] = {"period": publication.period,
                                   "version": publication.version, "note": publication.note}
        cell = (publication.program, "", "publication", publication.id)
        record = Record("publish", cell, summary, None)
        with self.replica.writing():
            if self.replica.read([key]) is not None:
                raise EditRefused(f"publication {publication.id} exists already")
            return self.replica.write(who, [Edit("publish", cell, (key,), data, (record,))])

    # -- the sheet's inputs -------------------------------------------------------------

    def sheet(self, kind: SheetKind, program: str) -> dict[tuple[str, ...], int | str]:
        """One sheet of one program: targets by (village, indicator); others by
        (village, period, key). Values as stored (decimal strings; counts as int)."""
        if kind not in SHEET_KINDS:
            raise KeyError(kind)
        prefix = f"{program}/"
        found: dict[tuple[str, ...], int | str] = {}
        for key in self.replica.keys([kind]):
            if key.startswith(prefix):
                value = self.replica.read([kind, key])
                if isinstance(value, int | str) and not isinstance(value, bool):
                    found[tuple(key[len(prefix) :].split("/"))] = value
        return found

    def targets(self, program: str) -> dict[tuple[str, ...], int | str]:
        return self.sheet("targets", program)

    def value(self, value: SheetValue) -> int | str | None:
        found = self.replica.read([value.kind, value.doc_key])
        return found if isinstance(found, int | str) and not isinstance(found, bool) else None

    def set_values(self, who: Who, values: Iterable[SheetValue]) -> list[JournalEntry]:
        """Write sheet values in one transaction (a whole CSV import is one call)."""
        return self.replica.write(who, [self.value_edit(v) for v in values])

    def set_target(
        self, who: Who, program: str, village: str, indicator: str, value: Decimal | str | None
    ) -> list[JournalEntry]:
        return self.set_values(who, [SheetValue("targets", program, village, indicator, value)])

    def resolve(
        self, who: Who, value: SheetValue, settles: Sequence[str]
    ) -> list[JournalEntry]:
        """Settle a conflict on one sheet value."""
        if not settles:
            raise EditRefused("a resolve names the edits it settles")
        edit = self.value_edit(value)
        resolved = Edit(RESOLVE, edit.cell, edit.path, edit.value, settles=tuple(settles))
        return self.replica.write(who, [resolved])

    def value_edit(self, value: SheetValue) -> Edit:
        _check_sheet_value(value)
        op = _ROW_PREFIX[value.kind]
        return Edit(op, value.cell, (value.kind, value.doc_key), _stored(value))


def _program_record(program_id: str, old: str | None, new: str) -> Record:
    def digest(text: str | None) -> str | None:
        return None if text is None else hashlib.sha256(text.encode("utf-8")).hexdigest()

    return Record("program", (program_id, "", "program", ""), digest(new), digest(old))


def _with_records(edit: Edit, records: tuple[Record, ...]) -> Edit:
    return Edit(edit.op, edit.cell, edit.path, edit.value, records, edit.settles)
