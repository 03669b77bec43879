"""Journal entries as documents store them, and the per-cell index the write path needs.

An entry is stored as `journal/<entry id>` = msgpack bytes. Two forms are read:

- the old form (every entry vledger wrote before the lean journal): the entry's
  plain map, field names and all (domain/history.py, `JournalEntry.to_plain`);
- the lean form, written now: an array `[FORM, ms, tz, office, device, user, op,
  program, village, row, column, old, new, prev(, settles)]`. The time is Unix
  milliseconds and the writer's UTC offset in minutes (the ISO text itself when it
  is not to the millisecond); `office` and `village` are nil when they are the
  document's own office (`home`: a village's ledger entries and the township's own
  edits); the usual ops are small numbers; `prev` is `true` when it names the add
  entry the cell's row implies (documents/adds.py).

Village rows written now store no add entries at all: the row implies them
(documents/adds.py), and readers add them to what is stored.

The write path needs one thing from the journal on every edit: the cell's current
leaf (`prev`) and, when the cell holds concurrent values, the leaves the edit
settles. Building a `domain.history.History` on every keystroke would cost the
whole journal each time, so `JournalIndex` keeps just the leaves, per cell,
updated as entries arrive (in any order: a child may arrive before its parent). It
follows History's rules exactly; tests check the two agree.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import msgpack

from vledger.domain.history import (
    RESOLVE,
    Cell,
    JournalEntry,
    JournalError,
    parse_moment,
    same_value,
)
from vledger.sync.documents.adds import (
    ADD,
    implied_id,
    is_implied,
    moment_iso,
    row_adds,
)

_BASE32 = "abcdefghijklmnopqrstuvwxyz234567"
_NOT_GIVEN: Any = object()
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

FORM = 1  # the lean form's tag: the first item of its array
OLD_FORM, LEAN_FORM = "old", "lean"  # what a writer writes (Replica.journal_form)
# Ops the lean form writes as a number (their index); any other op is written as text.
_OPS = ("set", ADD, "delete", "restore", RESOLVE, "name", "office", "program",
        "target", "entered", "manual", "adjustment")
_OP_CODES = {op: n for n, op in enumerate(_OPS)}


@dataclass(frozen=True)
class Who:
    """Who makes an edit: recorded in every journal entry."""

    office: str
    device: str
    user: str = ""


def random_id(length: int) -> str:
    """Lowercase base32 from `secrets`: 5 random bits per character."""
    return "".join(secrets.choice(_BASE32) for _ in range(length))


def new_entry_id() -> str:
    # 16 characters = 80 bits: ids from every office meet in one journal map.
    return random_id(16)


# -- the two stored forms ----------------------------------------------------------------


def encode_entry(entry: JournalEntry, home: str = "", form: str = LEAN_FORM) -> bytes:
    """The bytes stored under `journal/<entry.id>`; `home` is the document's office."""
    if form == OLD_FORM:
        return bytes(msgpack.packb(entry.to_plain(), use_bin_type=True))
    instant = entry.instant
    offset = instant.utcoffset()
    tz = int(offset.total_seconds() // 60) if offset is not None else 0
    ms = (instant - _EPOCH) // timedelta(milliseconds=1)
    when: int | str = ms if moment_iso(ms, tz) == entry.at else entry.at
    prev: str | bool | None = entry.prev
    if prev is not None and prev == implied_id(entry.cell):
        prev = True
    items: list[Any] = [
        FORM, when, tz, None if entry.office == home else entry.office, entry.device,
        entry.user, _OP_CODES.get(entry.op, entry.op), entry.program,
        None if entry.village == home else entry.village, entry.row, entry.column,
        entry.old, entry.new, prev,
    ]
    if entry.settles:
        items.append(list(entry.settles))
    return bytes(msgpack.packb(items, use_bin_type=True))


def decode_entry(entry_id: str, data: bytes, home: str = "") -> JournalEntry:
    """Either form; JournalError when the bytes are not an entry (a peer's bug, or damage).
    `home`: the office of the document the entry is stored in."""
    try:
        plain = msgpack.unpackb(data, raw=False, strict_map_key=False)
    except Exception as problem:  # msgpack raises several unrelated types
        raise JournalError(entry_id, f"not msgpack: {problem}") from None
    if isinstance(plain, list) and plain and plain[0] == FORM:
        return _lean(entry_id, plain, home)
    return JournalEntry.from_plain(entry_id, plain)


def _lean(entry_id: str, items: list[Any], home: str) -> JournalEntry:
    if len(items) not in (14, 15):
        raise JournalError(entry_id, f"a lean entry has 14 or 15 items, not {len(items)}")
    _, when, tz, office, device, user, op, program, village, row, column, old, new, prev = (
        items[:14])
    if type(when) is int and type(tz) is int:
        try:
            at = moment_iso(when, tz)
        except (OverflowError, OSError, ValueError):
            raise JournalError(entry_id, f"time {when!r} {tz!r} is out of range") from None
    else:
        at = when
    if type(op) is int:
        if not 0 <= op < len(_OPS):
            raise JournalError(entry_id, f"unknown op number {op}")
        op = _OPS[op]
    village = home if village is None else village
    if prev is True:
        prev = implied_id((program, village, row, column))
    return JournalEntry(
        id=entry_id, at=at, office=home if office is None else office, device=device,
        user=user, op=op, program=program, village=village, row=row, column=column,
        old=old, new=new, prev=prev, settles=items[14] if len(items) == 15 else (),
    )


# A village document's row as stored, by (program, row id); None when there is none.
RowReader = Callable[[str, str], Mapping[str, Any] | None]


@dataclass
class _Leaf:
    """A leaf of a cell: the entry no other entry of the cell names, and its value."""

    id: str
    instant: datetime
    new: Any
    root_add: bool = False  # an add with no parent: its cell's first and (as a leaf) only entry


class JournalIndex:
    """The leaves of every cell, as `History.leaves` would compute them.

    Within one cell an entry's parents are its `prev` and its `settles`;
    the leaves are the cell's entries that no entry of the same cell names.

    With `rows` (a village document's rows, and the village), the add entries a
    row implies (documents/adds.py) are indexed the first time a cell of that row
    is asked about: opening a 20,000-row ledger to edit one cell reads one row,
    not every row. `ids` holds the stored entries indexed.

    For counting conflicts, the leaves also go to and from a plain form
    (`to_plain`, `from_plain`) that a store can cache with the heads they are for,
    to be brought up to date with only the entries that are new since.
    """

    def __init__(
        self, entries: Iterable[JournalEntry] = (), *, rows: RowReader | None = None,
        village: str = "",
    ) -> None:
        self.ids: set[str] = set()
        self._leaves: dict[Cell, dict[str, _Leaf]] = defaultdict(dict)
        # (cell, id) pairs some entry of the cell names as a parent; kept for entries
        # that have not arrived yet, so a late parent never becomes a leaf.
        self._named: set[tuple[Cell, str]] = set()
        self._several: set[Cell] = set()  # cells with two or more leaves
        self._rows = rows
        self._village = village
        self._implied: set[str] = set()
        self._rows_read: set[tuple[str, str]] = set()  # (program, row): implied adds indexed
        # (program, row) -> columns with stored entries, for the rule of implied adds
        self._entered: dict[tuple[str, str], set[str]] = defaultdict(set)
        self.add(entries)

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, entry_id: object) -> bool:
        return entry_id in self.ids or entry_id in self._implied

    def add(self, entries: Iterable[JournalEntry]) -> None:
        for entry in entries:
            if is_implied(entry.id):
                if entry.id in self._implied:
                    continue
                self._implied.add(entry.id)
                self._rows_read.add((entry.program, entry.row))
            else:
                if entry.id in self.ids:
                    continue
                self.ids.add(entry.id)
                if self._rows is not None:
                    self._entered[(entry.program, entry.row)].add(entry.column)
            cell = entry.cell
            leaves = self._leaves[cell]
            for parent in (entry.prev, *entry.settles):
                if parent is None or parent == entry.id:
                    continue
                self._named.add((cell, parent))
                leaves.pop(parent, None)
            if (cell, entry.id) not in self._named:
                root_add = entry.op == ADD and entry.prev is None and not entry.settles
                leaves[entry.id] = _Leaf(entry.id, parse_moment(entry.at), entry.new, root_add)
            if len(leaves) > 1:
                self._several.add(cell)
            else:
                self._several.discard(cell)

    def _found(self, cell: Cell) -> dict[str, _Leaf] | None:
        if self._rows is not None and cell[1] == self._village:
            self._read_row(cell[0], cell[2])
        return self._leaves.get(cell)

    def _read_row(self, program: str, row_id: str) -> None:
        """Index the add entries the row implies, once (documents/adds.py's rule)."""
        if (program, row_id) in self._rows_read or self._rows is None:
            return
        row = self._rows(program, row_id)
        if row is None:
            return  # not held (yet): asked again next time
        self._rows_read.add((program, row_id))
        village = self._village
        entered = {
            column: ((cell, implied_id(cell)) in self._named, None)
            for column in self._entered.get((program, row_id), ())
            for cell in [(program, village, row_id, column)]
        }
        self.add(row_adds(village, program, row_id, row, entered))

    def leaves(self, cell: Cell) -> list[str]:
        """Leaf ids of the cell, newest first (by `at`, then id), like History."""
        found = self._found(cell)
        if not found:
            return []
        ordered = sorted(found.values(), key=lambda leaf: (leaf.instant, leaf.id), reverse=True)
        return [leaf.id for leaf in ordered]

    def prev_for(self, cell: Cell, shown: Any = _NOT_GIVEN) -> str | None:
        """History.prev_for: the newest leaf that set the shown value, else the newest leaf."""
        found = self._found(cell)
        if not found:
            return None
        ordered = sorted(found.values(), key=lambda leaf: (leaf.instant, leaf.id), reverse=True)
        if shown is not _NOT_GIVEN:
            for leaf in ordered:
                if same_value(leaf.new, shown):
                    return leaf.id
        return ordered[0].id

    def settles_for(self, cell: Cell) -> tuple[str, ...]:
        """History.settles_for: every leaf, sorted, when there are two or more."""
        found = self._found(cell)
        return tuple(sorted(found)) if found and len(found) > 1 else ()

    def conflicted_cells(self) -> set[Cell]:
        """History.conflicted_cells: cells whose leaves hold two or more different values.

        Implied adds never take part: a cell's implied add is a leaf only while the
        cell has no stored entry, and then it is the cell's only leaf."""
        found: set[Cell] = set()
        for cell in self._several:
            first, *others = self._leaves[cell].values()
            if any(not same_value(first.new, leaf.new) for leaf in others):
                found.add(cell)
        return found

    # -- a plain form, for a cache -----------------------------------------------------

    def to_plain(self) -> list[list[Any]]:
        """The leaves as plain data: `[program, village, row, column, [id, ms, value]...]`
        per cell. Cells whose only leaf is an add with no parent are left out: every
        later entry of such a cell names that add (whoever edits the cell holds the
        row, and the add came with it), so the add never competes with anything and
        leaving it out changes no leaf set that later entries make."""
        plain: list[list[Any]] = []
        for cell, leaves in self._leaves.items():
            if not leaves:
                continue
            if len(leaves) == 1 and next(iter(leaves.values())).root_add:
                continue
            items: list[Any] = list(cell)
            for leaf in leaves.values():
                items.append([leaf.id, (leaf.instant - _EPOCH) // timedelta(milliseconds=1),
                              leaf.new])
            plain.append(items)
        return plain

    @classmethod
    def from_plain(cls, plain: object) -> JournalIndex:
        """The leaves `to_plain` gave; ValueError when `plain` is not that (a stale cache).

        Only the leaves come back: later entries must come in causal order across
        calls to `add` (each batch holds every entry that is new since the leaves
        were taken), which entries read at later heads of the same document do."""
        if not isinstance(plain, list):
            raise ValueError("not a list of cells")
        index = cls()
        for items in plain:
            if not isinstance(items, list) or len(items) < 5:
                raise ValueError("not a cell with leaves")
            program, village, row, column = items[:4]
            if not all(isinstance(part, str) for part in (program, village, row, column)):
                raise ValueError("not a cell")
            cell: Cell = (program, village, row, column)
            leaves = index._leaves[cell]
            for leaf in items[4:]:
                entry_id, ms, new = leaf
                if not isinstance(entry_id, str) or type(ms) is not int:
                    raise ValueError("not a leaf")
                leaves[entry_id] = _Leaf(entry_id, _EPOCH + timedelta(milliseconds=ms), new)
            if len(leaves) > 1:
                index._several.add(cell)
        return index


def make_entry(
    who: Who,
    *,
    at: str,
    op: str,
    cell: Cell,
    old: Any,
    new: Any,
    index: JournalIndex,
    shown: Any = _NOT_GIVEN,
    settles: tuple[str, ...] = (),
) -> JournalEntry:
    """The entry for one edit of `cell`, linked to what this replica saw.

    When the cell holds two or more leaves, automerge's put is about to
    overwrite all of them, so the edit is recorded as a resolve that settles
    them (domain/history.py's rule); an explicit `settles` is a resolve too.
    """
    program, village, row, column = cell
    settled = tuple(sorted(set(settles))) or index.settles_for(cell)
    if settled:
        op = RESOLVE
        prev: str | None = settled[0]
    else:
        prev = index.prev_for(cell, shown)
    return JournalEntry(
        id=new_entry_id(), at=at, office=who.office, device=who.device, user=who.user,
        op=op, program=program, village=village, row=row, column=column,
        old=old, new=new, prev=prev, settles=settled,
    )
