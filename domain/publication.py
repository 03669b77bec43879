"""A publication (通报): a ranking sheet as the township announced it, and what moved since.

Rankings decide money, so the township freezes the sheet it announces: a `Publication`
keeps the sheet exactly as `rank --json` printed it, the heads of every document it was
computed from (so the same sheet can be computed again from them), who published it,
when, with what note, and the names it was shown with (township, program, period,
villages, items) so an export of it reads the same years later.

After a publication, edits that the publication did not include may still change its
period's sheet ("late edits"): a ledger row dated in the period added in May for an
April announcement. This module says, without any I/O:

- which fields of which village differ between the published sheet and the one now
  (`sheet_changes`, `moved_cells`);
- whether a journal entry touches a program's period (`touches_period`): a ledger cell
  of a row dated in the period (before or after the edit), a target (targets are for the
  year, so they touch every period), an entered value, manual points or an adjustment of
  that period, or the program file itself;
- which late edits are behind one moved number (`edits_behind`).

Which edits are "late" is the caller's to say (sync/services/publications.py): those of
the documents' journals that are not in the journal at the publication's recorded heads,
so an edit made before the announcement on a laptop that synced only afterwards is late
too: the announced sheet did not include it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from vledger.domain.history import JournalEntry
from vledger.domain.program import YEAR, Program

# The fields `rank --changes` compares (cli.md, Publishing a ranking).
CHANGE_FIELDS = ("rank", "total", "reward", "penalty", "amount", "complete", "vetoed")
# Every number of a sheet row the ranking screen shows, besides the items.
ROW_NUMBERS = ("rank", "from_bottom", "total", "adjustments", "rank_bonus", "reward",
               "penalty", "amount", "complete", "vetoed")
# Numbers that move when another village's total moves (the village's place among them).
PLACE_FIELDS = frozenset({"rank", "from_bottom", "reward", "penalty", "amount"})
# Journal rows of the township document, by what they hold (documents/township.py).
_PERIOD_ROWS = ("entered:", "manual:", "adjustment:")


class PublicationError(ValueError):
    """A stored publication that cannot be read (a damaged or foreign value)."""


@dataclass(frozen=True)
class Labels:
    """The names a sheet was shown with when it was published."""

    township: str = ""
    program: str = ""
    period: str = ""
    villages: Mapping[str, str] = field(default_factory=dict)
    areas: Mapping[str, str] = field(default_factory=dict)  # village -> its area
    items: Mapping[str, str] = field(default_factory=dict)  # item id -> title, program order

    def to_plain(self) -> dict[str, Any]:
        return {"township": self.township, "program": self.program, "period": self.period,
                "villages": dict(self.villages), "areas": dict(self.areas),
                "items": [[k, v] for k, v in self.items.items()]}

    @classmethod
    def from_plain(cls, plain: object) -> Labels:
        if not isinstance(plain, Mapping):
            return cls()
        items = plain.get("items") or []
        return cls(
            township=_text(plain.get("township")), program=_text(plain.get("program")),
            period=_text(plain.get("period")),
            villages=_text_map(plain.get("villages")), areas=_text_map(plain.get("areas")),
            items={_text(i[0]): _text(i[1]) for i in items
                   if isinstance(i, list | tuple) and len(i) == 2},
        )


@dataclass(frozen=True)
class Publication:
    """One announced sheet. `sheet` is exactly the `rank --json` document; `heads` maps
    every document it was computed from to its heads (hex)."""

    id: str
    program: str
    period: str
    version: int  # 1 for the period's first publication, then 2, 3, ...
    at: str  # ISO 8601 with offset, the publishing laptop's clock
    office: str
    device: str
    user: str
    note: str
    heads: Mapping[str, tuple[str, ...]]
    sheet: Mapping[str, Any]
    labels: Labels = field(default_factory=Labels)

    @property
    def order(self) -> tuple[int, str, str]:
        """Later publications of a period sort after earlier ones (version, then time)."""
        return (self.version, self.at, self.id)

    def stamp(self) -> dict[str, Any]:
        """The `"published"` object of `rank --published` and `rank --changes`."""
        return {"id": self.id, "at": self.at, "by": self.office, "note": self.note,
                "version": self.version, "device": self.device}

    def listing(self) -> dict[str, Any]:
        """One entry of `publications --json`."""
        return {"id": self.id, "program": self.program, "period": self.period,
                "version": self.version, "at": self.at, "by": self.office,
                "device": self.device, "note": self.note}

    def to_plain(self) -> dict[str, Any]:
        return {
            "id": self.id, "program": self.program, "period": self.period,
            "version": self.version, "at": self.at, "office": self.office,
            "device": self.device, "user": self.user, "note": self.note,
            "heads": {d: list(h) for d, h in self.heads.items()},
            "sheet": dict(self.sheet), "labels": self.labels.to_plain(),
        }

    @classmethod
    def from_plain(cls, plain: object) -> Publication:
        """PublicationError when `plain` is not a publication (it came from a peer)."""
        if not isinstance(plain, Mapping):
            raise PublicationError("a publication is a map")
        try:
            heads = plain["heads"]
            sheet = plain["sheet"]
            if not isinstance(heads, Mapping) or not isinstance(sheet, Mapping):
                raise PublicationError("heads and sheet must be maps")
            if not isinstance(sheet.get("rows"), list):
                raise PublicationError("the sheet has no rows")
            version = plain["version"]
            if not isinstance(version, int) or isinstance(version, bool) or version < 1:
                raise PublicationError("the version must be a whole number from 1")
            found = cls(
                id=_required(plain, "id"), program=_required(plain, "program"),
                period=_required(plain, "period"), version=version,
                at=_required(plain, "at"), office=_required(plain, "office"),
                device=_text(plain.get("device")), user=_text(plain.get("user")),
                note=_text(plain.get("note")),
                heads={str(d): tuple(str(h) for h in hs) for d, hs in heads.items()
                       if isinstance(hs, list | tuple)},
                sheet=dict(sheet), labels=Labels.from_plain(plain.get("labels")),
            )
        except KeyError as missing:
            raise PublicationError(f"missing {missing}") from None
        return found


def _required(plain: Mapping[str, Any], key: str) -> str:
    value = plain[key]
    if not isinstance(value, str) or not value:
        raise PublicationError(f"{key} must be a non-empty string")
    return value


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _text_map(value: object) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {str(k): _text(v) for k, v in value.items()}


def latest(publications: Iterable[Publication], program: str,
           period: str | None = None) -> Publication | None:
    """The latest publication of the program's period (of any period when None)."""
    chosen = [p for p in publications
              if p.program == program and (period is None or p.period == period)]
    return max(chosen, key=lambda p: p.order, default=None)


def latest_each(publications: Iterable[Publication]) -> list[Publication]:
    """The latest publication of every (program, period) that has one."""
    found: dict[tuple[str, str], Publication] = {}
    for p in publications:
        key = (p.program, p.period)
        if key not in found or p.order > found[key].order:
            found[key] = p
    return [found[k] for k in sorted(found)]


# -- what moved ------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    """One number of one village that differs from the published sheet (None: the village
    was not on that sheet, or is not on it now)."""

    village: str
    field: str  # a CHANGE_FIELDS name, or an item id
    published: Any
    now: Any

    def to_json_dict(self) -> dict[str, Any]:
        return {"village": self.village, "field": self.field, "published": self.published,
                "now": self.now}


def _rows(sheet: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    rows = sheet.get("rows") or []
    return {str(r["village"]): r for r in rows if isinstance(r, Mapping) and "village" in r}


def _value(row: Mapping[str, Any] | None, name: str) -> Any:
    if row is None:
        return None
    if name in row:
        return row[name]
    items = row.get("items")
    return items.get(name) if isinstance(items, Mapping) else None


def moved_cells(published: Mapping[str, Any], now: Mapping[str, Any],
                fields: Sequence[str] | None = None) -> list[FieldChange]:
    """Every field (default: every number of the row and every item) that differs, village
    by village in the order of the sheet now, then villages only the published one had."""
    old_rows, new_rows = _rows(published), _rows(now)
    order = [*new_rows, *(v for v in old_rows if v not in new_rows)]
    found: list[FieldChange] = []
    for village in order:
        old, new = old_rows.get(village), new_rows.get(village)
        names = list(fields) if fields is not None else _field_names(old, new)
        for name in names:
            before, after = _value(old, name), _value(new, name)
            if before != after:
                found.append(FieldChange(village, name, before, after))
    return found


def _field_names(*rows: Mapping[str, Any] | None) -> list[str]:
    names = list(ROW_NUMBERS)
    for row in rows:
        items = row.get("items") if row is not None else None
        if isinstance(items, Mapping):
            names += [k for k in items if k not in names]
    return names


def sheet_changes(published: Mapping[str, Any], now: Mapping[str, Any]) -> list[FieldChange]:
    """What `rank --changes` lists: the CHANGE_FIELDS that differ, per village."""
    return moved_cells(published, now, CHANGE_FIELDS)


# -- late edits -------------------------------------------------------------------------


def _in_period(program: Program, period: str, day: object) -> bool:
    if not isinstance(day, str) or not day:
        return False
    try:
        when = date.fromisoformat(day)
    except ValueError:
        return False
    return program.period(period).contains(when)


def touches_period(entry: JournalEntry, program: Program, period: str,
                   row_days: Iterable[object] = ()) -> bool:
    """Whether the edit can change `program`'s sheet of `period`.

    `row_days` are the dates the edited ledger row has now (its date cell); the entry's
    own old and new values count too when it edited the date. Township values: targets
    are annual (every period), the others belong to their period (`column`), the year
    sheet takes everything of the program.
    """
    if entry.program != program.id:
        return False
    row = entry.row
    if row == "program":
        return True
    if row.startswith("target:"):
        return True
    if row.startswith(_PERIOD_ROWS):
        return period == YEAR or entry.column == period
    if ":" in row or not entry.village:
        return False  # some other township record (a publication, the roster)
    days = list(row_days)
    if entry.column == program.date_column:
        days += [entry.old, entry.new]
    elif entry.op == "add" and isinstance(entry.new, Mapping):
        days.append(entry.new.get(program.date_column))
    return any(_in_period(program, period, d) for d in days)


def edits_behind(village: str, name: str, changes: Sequence[FieldChange],
                 late: Sequence[JournalEntry]) -> list[JournalEntry]:
    """The late edits behind the move of `village`'s `name`: edits of that village and of
    the whole program; for its place (rank, money), when its own total did not move, the
    edits of the villages whose totals did."""
    totals_moved = {c.village for c in changes if c.field == "total"}
    villages = {village}
    if name in PLACE_FIELDS and village not in totals_moved:
        villages = totals_moved or {village}
    return [e for e in late if e.village in villages or not e.village]
