"""Add entries that a village's rows imply: the journal does not store them.

domain/history.py wants one `add` entry per cell a new row fills (one for the
row's `deleted` flag when it fills none). Stored, they were most of a village
document's bytes (a 2,000-row import wrote ~9,000 of them), and everything they
say is already in the row's map, made once by the add: who (`office`, and now
`device`, `user`), when (`created`, in Unix milliseconds, and now the writer's UTC
offset `tz` in minutes) and the values. So a row written with those keys gets no
journal entries; readers make them from the row:

- their ids are the same on every replica, `+<village>/<program>/<row>/<column>`
  (`implied_id`), so later edits can name them as `prev` and the History of two
  replicas holding the same changes is the same;
- the values: a cell that has no stored entry still holds what the add put there;
  a cell whose stored entries name the add as a parent had the value their `old`
  records (every edit keeps the value it replaced); a cell whose stored entries do
  not name it was empty when the row was added (it was first set later, with prev
  None). A row that filled no cell implies one entry for its `deleted` flag, as
  the add always recorded.

Rows written before (no `device` key) have their add entries stored in the old
form, and imply nothing: old and new rows mix in one document.

The rule is stable: once a row is held, no later entry changes which adds it
implies or their values (whoever edits a cell holds the row, so an edit of a cell
the add filled names the add and keeps its value as `old`, and an edit of a cell
it left empty names nothing), so replicas and caches agree whenever they hold the
same changes.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from vledger.domain.history import DELETED, JournalEntry

ADD = "add"
IMPLIED = "+"  # implied ids start with it; stored ids are lowercase base32, never
# Keys of a row map that only rows with implied adds have (documents/ledger.py's layout).
ROW_DEVICE, ROW_USER, ROW_TZ = "device", "user", "tz"

# What `entered` says about one column of a row (see `row_adds`): whether a stored
# entry of that cell names the add, and the `old` value the lowest such entry records.
Entered = Mapping[str, tuple[bool, Any]]

_ZONES: dict[int, timezone] = {}


def implied_id(cell: tuple[str, str, str, str]) -> str:
    """The id of the add entry a row implies for `cell` (program, village, row, column)."""
    program, village, row, column = cell
    return f"{IMPLIED}{village}/{program}/{row}/{column}"


def is_implied(entry_id: str) -> bool:
    return entry_id.startswith(IMPLIED)


def _zone(minutes: int) -> timezone:
    found = _ZONES.get(minutes)
    if found is None:
        found = _ZONES[minutes] = UTC if minutes == 0 else timezone(timedelta(minutes=minutes))
    return found


def moment_iso(ms: int, tz_minutes: int) -> str:
    """ISO 8601 with the offset, to the millisecond: the form `vledger.clock.now_iso` has."""
    moment = datetime.fromtimestamp(ms / 1000, _zone(tz_minutes))
    return moment.isoformat(timespec="milliseconds")


def offset_minutes(ms: int) -> int:
    """This machine's UTC offset at that moment, in minutes."""
    return time.localtime(ms / 1000).tm_gmtoff // 60


def row_fields(office: str, device: str, user: str, created: int) -> dict[str, Any]:
    """The keys of a new row map that make it imply its add entries."""
    fields: dict[str, Any] = {
        "created": created, "office": office, ROW_DEVICE: device,
        ROW_TZ: offset_minutes(created),
    }
    if user:
        fields[ROW_USER] = user
    return fields


def implies_adds(row: object) -> bool:
    """Whether this stored row map implies its add entries (written with `row_fields`)."""
    return type(row) is dict and isinstance(row.get(ROW_DEVICE), str)


def row_time(row: Mapping[str, Any]) -> str:
    created, tz = row.get("created"), row.get(ROW_TZ)
    return moment_iso(created if type(created) is int else 0, tz if type(tz) is int else 0)


def implied_values(row: Mapping[str, Any], entered: Entered) -> dict[str, Any]:
    """Column -> value of the add entries `row` implies (none when it was written with
    stored adds). `entered`: for every column of the row that has stored entries, whether
    one of them names the implied add, and the value it records as `old` (module
    docstring)."""
    if not implies_adds(row):
        return {}
    cells = row.get("cells")
    values: dict[str, Any] = {}
    if type(cells) is dict:
        for column, value in cells.items():
            if value is not None and type(value) is not dict and column not in entered:
                values[column] = value
    for column, (named, old) in entered.items():
        if named and column != DELETED:
            values[column] = old
    if not values or entered.get(DELETED, (False, None))[0]:
        values[DELETED] = False
    return values


def row_adds(
    village: str, program: str, row_id: str, row: Mapping[str, Any], entered: Entered
) -> list[JournalEntry]:
    """The add entries `row` implies (`implied_values`)."""
    values = implied_values(row, entered)
    if not values:
        return []
    at = row_time(row)
    office = str(row.get("office") or "")
    device = row[ROW_DEVICE]
    user = row.get(ROW_USER)
    user = user if isinstance(user, str) else ""
    return [
        JournalEntry(
            id=implied_id((program, village, row_id, column)), at=at, office=office,
            device=device, user=user, op=ADD, program=program, village=village, row=row_id,
            column=column, old=None, new=value, prev=None,
        )
        for column, value in sorted(values.items())
    ]


def implied_adds(
    village: str, rows: Mapping[str, Any], stored: Iterable[JournalEntry]
) -> list[JournalEntry]:
    """Every add entry the rows imply: `rows` is the `ledgers` map as read
    (`<program>/<row id>` -> row map), `stored` the document's stored entries (those of
    these rows are enough)."""
    found: list[JournalEntry] = []
    for program, row_id, row, entered in _rows_entered(village, rows, stored):
        found.extend(row_adds(village, program, row_id, row, entered))
    return found


def implied_cells(
    village: str, rows: Mapping[str, Any], stored: Iterable[JournalEntry], device: str
) -> list[tuple[str, str, str, str]]:
    """The cells of the add entries that `rows` imply and `device` made, without making
    the entries (a count of a never-synced 20,000-row ledger needs only these)."""
    found: list[tuple[str, str, str, str]] = []
    for program, row_id, row, entered in _rows_entered(village, rows, stored):
        if row.get(ROW_DEVICE) == device:
            found.extend((program, village, row_id, c) for c in implied_values(row, entered))
    return found


def _rows_entered(
    village: str, rows: Mapping[str, Any], stored: Iterable[JournalEntry]
) -> Iterator[tuple[str, str, Mapping[str, Any], Entered]]:
    """(program, row id, row, entered) of every row that implies adds."""
    entered: dict[tuple[str, str], dict[str, tuple[bool, Any, str]]] = {}
    for entry in stored:
        if entry.village != village:
            continue
        columns = entered.setdefault((entry.program, entry.row), {})
        own = implied_id(entry.cell)
        known = columns.get(entry.column)
        if entry.prev == own or own in entry.settles:
            if known is None or not known[0] or entry.id < known[2]:
                columns[entry.column] = (True, entry.old, entry.id)
        elif known is None:
            columns[entry.column] = (False, None, "")
    for key, row in rows.items():
        program, slash, row_id = key.partition("/")
        if not slash or not implies_adds(row):
            continue
        columns = entered.get((program, row_id), {})
        yield program, row_id, row, {c: (named, old) for c, (named, old, _) in columns.items()}
