"""Edit history, blame and conflicts (冲突), computed from plain journal entries.

Every edit writes, in the same automerge transaction as the cell, a journal
entry `journal/<entry id>` (design.md, Documents). The sync layer decodes the
msgpack bytes and hands the plain dicts here; nothing in this module knows
about automerge, so all of it is tested with hand-built entries.

Conventions (the write path must follow them):

- A cell is `(program, village, row, column)`. `prev` is the id of the entry
  that last set this cell as the writing replica saw it (`History.prev_for`).
- `add` writes one entry per cell it fills, each with `prev` None: blame and
  conflicts are per cell, so a row-level entry would be a second kind of
  record that every lookup has to special-case, and it could never conflict
  (a new row has a fresh random id). Cells left empty on add get no entry.
- `delete` and `restore` write the row's flag cell, column `deleted`
  (`DELETED`), with booleans `old`/`new`. So a delete racing a restore is an
  ordinary conflict on that cell, while a delete racing an edit of another
  cell of the row is not a conflict: both stay in the history of the row
  (`listing(row=...)`) and the row keeps its cells (rows are never removed).
- Township values (targets, entered values, manual points, adjustments) need
  cell keys that never collide with one another, e.g. row `target:<indicator>`
  and column "" for a target, row `entered:<indicator>` and column `<period>`.
  Their `op` is free text here.
- `resolve` is the only op that settles: its `settles` names the entries it
  settles and it becomes their child; by convention its `prev` is the lowest
  of them (`resolve_entry`). An ordinary edit names one `prev` and never
  settles anything, so a plain edit on one branch of a conflict leaves the
  conflict open (its value then competes with the other branch's leaf).
  But automerge's put overwrites every concurrent value the writing replica
  holds, so when a clerk edits a cell that has two or more leaves on their
  replica, the write path should record the edit as a `resolve` with
  `settles = history.settles_for(cell)` and `prev = settles[0]`: otherwise the
  journal would keep a conflict that automerge no longer has.

The model: within one cell, an entry's parents are its `prev` and, for a
resolve, the entries it settles (only those that exist in the same cell).
The leaves of a cell are the entries nobody names as a parent. A cell is in
conflict while its leaves hold two or more different values; leaves that all
agree (two offices typed the same value) leave nothing to choose, so they are
not reported. A conflict is one per cell however many branches compete.

Times come from the clocks of different laptops, so ordering by `at` is best
effort: a child may carry an earlier time than its parent. Lists are ordered
by the instant of `at`, then by id, so every replica holding the same entries
shows the same order; blame follows the links, not the clocks.
"""

from __future__ import annotations

import hashlib
import heapq
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from vledger.errors import VledgerError

Cell = tuple[str, str, str, str]  # (program, village, row, column)

RESOLVE = "resolve"
DELETED = "deleted"  # the column that delete and restore write

_REQUIRED = ("at", "office", "op", "program", "village", "row", "column")
_TEXT = ("at", "office", "device", "user", "op", "program", "village", "row", "column")
_NOT_GIVEN: Any = object()
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class JournalError(VledgerError, ValueError):
    """A journal entry that cannot be used; the sync layer reports and skips it."""

    def __init__(self, entry_id: object, problem: str) -> None:
        super().__init__(f"journal entry {entry_id!r}: {problem}")
        self.entry_id = entry_id
        self.problem = problem


def parse_moment(text: str) -> datetime:
    """An ISO 8601 time with a UTC offset, as `at` must be; ValueError otherwise."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"time {text!r} has no UTC offset")
    return moment


@dataclass(frozen=True)
class JournalEntry:
    """One recorded edit. `settles` is only for op "resolve"."""

    id: str
    at: str
    office: str
    device: str
    user: str
    op: str
    program: str
    village: str
    row: str
    column: str
    old: Any
    new: Any
    prev: str | None
    settles: tuple[str, ...] = ()
    _instant: datetime = field(init=False, repr=False, compare=False)
    _order: tuple[int, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id:
            raise JournalError(self.id, "the id must be a non-empty string")
        for name in _TEXT:
            if not isinstance(getattr(self, name), str):
                raise JournalError(self.id, f"{name!r} must be a string")
        try:
            instant = parse_moment(self.at)
        except ValueError:
            raise JournalError(self.id, f"'at' is not ISO 8601 with offset: {self.at!r}") from None
        object.__setattr__(self, "_instant", instant)
        # Sorting on aware datetimes is slow; whole microseconds since 1970 order the same.
        micros = (instant - _EPOCH) // timedelta(microseconds=1)
        object.__setattr__(self, "_order", (micros, self.id))
        if self.prev is not None and (not isinstance(self.prev, str) or not self.prev):
            raise JournalError(self.id, "'prev' must be an entry id or None")
        self._check_settles()

    def _check_settles(self) -> None:
        settles = self.settles
        if not isinstance(settles, list | tuple) or not all(
            isinstance(s, str) and s for s in settles
        ):
            raise JournalError(self.id, "'settles' must be a list of entry ids")
        object.__setattr__(self, "settles", tuple(settles))
        if self.op == RESOLVE and not settles:
            raise JournalError(self.id, "a resolve must name the entries it settles")
        if self.op != RESOLVE and settles:
            raise JournalError(self.id, f"only a resolve settles entries, not {self.op!r}")

    def __hash__(self) -> int:
        # Values may be lists or maps (plain msgpack data); the id identifies an entry.
        return hash(self.id)

    @property
    def cell(self) -> Cell:
        return (self.program, self.village, self.row, self.column)

    @property
    def instant(self) -> datetime:
        return self._instant

    @classmethod
    def from_plain(cls, entry_id: str, data: object) -> JournalEntry:
        """Build from the decoded journal map value; unknown keys are ignored."""
        if not isinstance(data, Mapping):
            raise JournalError(entry_id, f"expected a map, got {type(data).__name__}")
        missing = [key for key in _REQUIRED if key not in data]
        if missing:
            raise JournalError(entry_id, "missing " + ", ".join(repr(k) for k in missing))
        return cls(
            id=entry_id,
            at=data["at"],
            office=data["office"],
            device=data.get("device", ""),
            user=data.get("user", ""),
            op=data["op"],
            program=data["program"],
            village=data["village"],
            row=data["row"],
            column=data["column"],
            old=data.get("old"),
            new=data.get("new"),
            prev=data.get("prev"),
            settles=data.get("settles") or (),
        )

    def to_plain(self) -> dict[str, Any]:
        """The map the write path stores under `journal/<id>` (the id is the key)."""
        plain: dict[str, Any] = {
            "at": self.at, "office": self.office, "device": self.device, "user": self.user,
            "op": self.op, "program": self.program, "village": self.village, "row": self.row,
            "column": self.column, "old": self.old, "new": self.new, "prev": self.prev,
        }
        if self.settles:
            plain["settles"] = list(self.settles)
        return plain


def load_entries(
    items: Iterable[tuple[str, object]],
) -> tuple[list[JournalEntry], list[JournalError]]:
    """Decode (id, plain map) pairs, keeping the good ones and reporting the rest."""
    good: list[JournalEntry] = []
    bad: list[JournalError] = []
    for entry_id, data in items:
        try:
            good.append(JournalEntry.from_plain(entry_id, data))
        except JournalError as problem:
            bad.append(problem)
    return good, bad


def same_value(a: object, b: object) -> bool:
    """Equal as stored values: True is not 1, and maps compare by content."""
    return _value_key(a) == _value_key(b)


def _value_key(value: object) -> object:
    if isinstance(value, list | tuple):
        return ("list", tuple(_value_key(v) for v in value))
    if isinstance(value, Mapping):
        items = ((repr(_value_key(k)), _value_key(v)) for k, v in value.items())
        return ("map", tuple(sorted(items)))
    if value is None or isinstance(value, bool | int | str | bytes | float):
        return (type(value).__name__, value)
    return ("other", repr(value))


@dataclass(frozen=True)
class ConflictValue:
    """One competing value: the leaf of a branch and the entry that set it."""

    edit: str
    office: str
    at: str
    value: Any
    user: str = ""  # who at that office made the edit


@dataclass(frozen=True)
class Conflict:
    """An open conflict on one cell.

    `values`: the leaf of every competing branch, newest first. `roots`: the
    first entry of each branch (where the cell's history forked); the id is
    derived from the cell and the roots, so it stays the same while people keep
    editing on one branch. `entries`: every entry not shared by all branches.
    """

    id: str
    program: str
    village: str
    row: str
    column: str
    shown: Any
    values: tuple[ConflictValue, ...]
    roots: tuple[str, ...]
    entries: tuple[str, ...]

    def __hash__(self) -> int:
        return hash(self.id)

    @property
    def cell(self) -> Cell:
        return (self.program, self.village, self.row, self.column)

    def value_of(self, edit: str) -> Any:
        """The value a competing edit set (for `resolve --keep EDIT`)."""
        for competing in self.values:
            if competing.edit == edit:
                return competing.value
        known = ", ".join(v.edit for v in self.values)
        raise ValueError(f"edit {edit!r} is not one of the competing values ({known})")

    def to_plain(self) -> dict[str, Any]:
        return {
            "id": self.id, "program": self.program, "village": self.village, "row": self.row,
            "column": self.column, "shown": self.shown,
            "values": [
                {"edit": v.edit, "office": v.office, "user": v.user, "at": v.at,
                 "value": v.value}
                for v in self.values
            ],
        }


def conflict_id(cell: Cell, roots: Iterable[str]) -> str:
    """Short, stable id of the conflict that forked at these roots."""
    import json  # here: opening an office (every start of the UI) needs no JSON

    text = json.dumps([list(cell), sorted(roots)], ensure_ascii=False)
    return "c" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]


def resolve_entry(
    conflict: Conflict, value: Any, *, entry_id: str, at: str, office: str, device: str, user: str
) -> JournalEntry:
    """The entry that settles `conflict` with `value`; the sync layer writes it.

    It settles every branch's root and leaf, so it becomes the cell's only leaf.
    """
    settles = sorted(set(conflict.roots) | {v.edit for v in conflict.values})
    program, village, row, column = conflict.cell
    return JournalEntry(
        id=entry_id, at=at, office=office, device=device, user=user, op=RESOLVE,
        program=program, village=village, row=row, column=column,
        old=conflict.shown, new=value, prev=settles[0], settles=tuple(settles),
    )


class History:
    """The journal of one or more documents, indexed; entries may come in any order."""

    def __init__(self, entries: Iterable[JournalEntry]) -> None:
        self._by_id: dict[str, JournalEntry] = {}
        for entry in entries:
            known = self._by_id.get(entry.id)
            if known is not None and known != entry:
                raise JournalError(entry.id, "two different entries share this id")
            self._by_id[entry.id] = entry
        self._by_cell: dict[Cell, list[JournalEntry]] = defaultdict(list)
        self._depths: dict[str, int] = {}
        self._children: dict[str, list[str]] = defaultdict(list)
        # Entries hanging from the same prev (or settled entry): candidates for concurrency.
        self._siblings: dict[tuple[Cell, str | None], list[str]] = defaultdict(list)
        for entry in self._by_id.values():
            self._by_cell[entry.cell].append(entry)
            for parent in self._parents(entry):
                self._children[parent].append(entry.id)
            for key in _sibling_keys(entry):
                self._siblings[(entry.cell, key)].append(entry.id)

    # -- lookups -----------------------------------------------------------

    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, entry_id: object) -> bool:
        return entry_id in self._by_id

    def entry(self, entry_id: str) -> JournalEntry:
        return self._by_id[entry_id]

    def cells(self) -> list[Cell]:
        return sorted(self._by_cell)

    def entries_for(self, cell: Cell) -> list[JournalEntry]:
        """Every entry of one cell, newest first."""
        return self._newest_first(self._by_cell.get(cell, ()))

    def children(self, entry_id: str) -> list[JournalEntry]:
        """Entries that name this one as prev or settle it, newest first."""
        return self._newest_first(self._by_id[c] for c in self._children.get(entry_id, ()))

    def _parents(self, entry: JournalEntry) -> list[str]:
        # Links to unknown entries or to another cell's entries carry no history here.
        found: list[str] = []
        for parent in (entry.prev, *entry.settles):
            if parent is None or parent == entry.id or parent in found:
                continue
            linked = self._by_id.get(parent)
            if linked is not None and linked.cell == entry.cell:
                found.append(parent)
        return found

    def _newest_first(self, entries: Iterable[JournalEntry]) -> list[JournalEntry]:
        """Newest first, and never below an edit it replaced: the chain of a cell decides
        over the clocks (an office whose clock is wrong still lists its edit above the
        one it changed), the recorded times order everything else; within one clock
        tick, then by id. Times are shown as recorded."""
        chosen = {e.id: e for e in entries}

        def key(entry: JournalEntry) -> tuple[Any, ...]:
            return (entry._order[0], self._depth(entry.id), entry.id)

        waiting = dict.fromkeys(chosen, 0)  # children still to be listed above each
        for entry in chosen.values():
            for parent in self._parents(entry):
                if parent in waiting:
                    waiting[parent] += 1
        ready = [(_Descending(key(e)), e.id) for e in chosen.values() if not waiting[e.id]]
        heapq.heapify(ready)
        listed: list[JournalEntry] = []
        while ready:
            _, entry_id = heapq.heappop(ready)
            entry = chosen[entry_id]
            listed.append(entry)
            for parent in self._parents(entry):
                if parent in waiting:
                    waiting[parent] -= 1
                    if not waiting[parent]:
                        heapq.heappush(ready, (_Descending(key(chosen[parent])), parent))
        if len(listed) < len(chosen):  # a cycle of links (damage): the rest by time
            done = {e.id for e in listed}
            listed += sorted((e for e in chosen.values() if e.id not in done), key=key,
                             reverse=True)
        return listed

    def _depth(self, entry_id: str) -> int:
        """Links back to the first entry of the cell (longest path; cycle-safe)."""
        depths = self._depths
        stack, visiting = [entry_id], set()
        while stack:
            current = stack[-1]
            if current in depths:
                stack.pop()
                continue
            parents = self._parents(self._by_id[current])
            waiting = [p for p in parents if p not in depths and p not in visiting]
            if waiting and current not in visiting:
                visiting.add(current)
                stack.extend(waiting)
                continue
            # A link back into an entry still being walked is a cycle: it counts as 0.
            depths[current] = 1 + max((depths.get(p, -1) for p in parents), default=-1)
            visiting.discard(current)
            stack.pop()
        return depths[entry_id]

    def _ancestry(self, entry_id: str) -> set[str]:
        """The entry and everything it descends from (cycle-safe)."""
        seen = {entry_id}
        todo = [entry_id]
        while todo:
            for parent in self._parents(self._by_id[todo.pop()]):
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
        return seen

    def _descends(self, entry_id: str, ancestor: str) -> bool:
        return ancestor in self._ancestry(entry_id)

    # -- listing -----------------------------------------------------------

    def listing(
        self,
        program: str | None = None,
        village: str | None = None,
        office: str | None = None,
        since: datetime | str | None = None,
        until: datetime | str | None = None,
        column: str | None = None,
        row: str | None = None,
    ) -> list[JournalEntry]:
        """Recorded edits newest first; `since` is inclusive, `until` exclusive."""
        start = _bound(since, "since")
        end = _bound(until, "until")
        wanted = (
            ("program", program), ("village", village), ("office", office),
            ("column", column), ("row", row),
        )
        chosen = [
            e for e in self._by_id.values()
            if all(value is None or getattr(e, name) == value for name, value in wanted)
            and (start is None or e.instant >= start)
            and (end is None or e.instant < end)
        ]
        return self._newest_first(chosen)

    def concurrent_with(self, entry: JournalEntry | str) -> list[str]:
        """Ids of entries made concurrently to the same cell, sorted.

        Same cell, same prev (for a resolve: or one of the entries it
        settles), and neither descends from the other: a resolve that settles
        an entry is not concurrent with it even when they share a prev.
        """
        found = self._by_id[entry if isinstance(entry, str) else entry.id]
        others: set[str] = set()
        for key in _sibling_keys(found):
            others.update(self._siblings.get((found.cell, key), ()))
        others.discard(found.id)
        return sorted(other for other in others if not self._ordered(found.id, other))

    def _ordered(self, a: str, b: str) -> bool:
        # Entries with a single parent that share it cannot descend from one another.
        if self._by_id[a].op != RESOLVE and self._by_id[b].op != RESOLVE:
            return False
        return self._descends(a, b) or self._descends(b, a)

    def edit_record(self, entry: JournalEntry) -> dict[str, Any]:
        """One edit as `vledger history --json` prints it (cli.md)."""
        return {
            "id": entry.id, "at": entry.at, "office": entry.office, "device": entry.device,
            "user": entry.user, "op": entry.op, "program": entry.program,
            "village": entry.village, "row": entry.row, "column": entry.column,
            "old": entry.old, "new": entry.new, "prev": entry.prev,
            "settles": list(entry.settles), "concurrent_with": self.concurrent_with(entry),
        }

    # -- leaves, prev and blame ---------------------------------------------

    def leaves(self, cell: Cell) -> list[JournalEntry]:
        """Entries of the cell that no entry names as prev or settles, newest first."""
        return self._newest_first(
            e for e in self._by_cell.get(cell, ()) if not self._children.get(e.id)
        )

    def current_leaf(self, cell: Cell, shown: Any = _NOT_GIVEN) -> JournalEntry | None:
        """The leaf behind the value on screen.

        Only automerge knows which concurrent value won, so the caller passes
        the shown value: the newest (by `at`, then id) leaf that set it. Without
        `shown`, or if no leaf set it, the newest leaf.
        """
        leaves = self.leaves(self._cell(cell))
        if shown is not _NOT_GIVEN:
            matching = [leaf for leaf in leaves if same_value(leaf.new, shown)]
            if matching:
                return matching[0]
        return leaves[0] if leaves else None

    def prev_for(self, cell: Cell, shown: Any = _NOT_GIVEN) -> str | None:
        """The `prev` of a new edit to this cell (None: nobody has set it yet)."""
        leaf = self.current_leaf(cell, shown)
        return leaf.id if leaf is not None else None

    def settles_for(self, cell: Cell) -> tuple[str, ...]:
        """The leaves a new edit to this cell overwrites, when there are several.

        Non-empty means this replica holds concurrent values for the cell: the
        write path should record the edit as a resolve settling these (module
        docstring). Empty means a plain edit with `prev_for` is right.
        """
        leaves = self.leaves(self._cell(cell))
        return tuple(sorted(leaf.id for leaf in leaves)) if len(leaves) > 1 else ()

    def blame(
        self, program: str, village: str, row: str, column: str, shown: Any = _NOT_GIVEN
    ) -> list[JournalEntry]:
        """The chain of edits behind the cell's value, newest first.

        Starts at `current_leaf` and follows prev links. Through a resolve it
        follows the settled leaf whose value the resolve kept (newest such),
        else its prev, so `--keep C` blames C's branch.
        """
        return self._chain(self.current_leaf((program, village, row, column), shown))

    def chains(self, cell: Cell, shown: Any = _NOT_GIVEN) -> list[list[JournalEntry]]:
        """The chain behind each competing value of a conflicted cell (the shown value's
        first, then newest first); for a cell in no conflict, its one blame chain."""
        leaves = self._disagreeing_leaves(self._cell(cell))
        if not leaves:
            return [self.blame(*cell, shown)]
        first = self.current_leaf(cell, shown)
        ordered = [first] + [leaf for leaf in leaves if leaf is not first]
        return [self._chain(leaf) for leaf in ordered]

    def _chain(self, leaf: JournalEntry | None) -> list[JournalEntry]:
        chain: list[JournalEntry] = []
        seen: set[str] = set()
        while leaf is not None and leaf.id not in seen:
            chain.append(leaf)
            seen.add(leaf.id)
            leaf = self._blamed_parent(leaf)
        return chain

    def _blamed_parent(self, entry: JournalEntry) -> JournalEntry | None:
        parents = self._parents(entry)
        if not parents:
            return None
        if entry.op != RESOLVE:
            return self._by_id[parents[0]]
        # The settled leaves: parents that are not an ancestor of another parent.
        tops = [
            p for p in parents
            if not any(q != p and self._descends(q, p) for q in parents)
        ]
        kept = self._newest_first(
            self._by_id[p] for p in tops if same_value(self._by_id[p].new, entry.new)
        )
        if kept:
            return kept[0]
        if entry.prev in parents:
            return self._by_id[entry.prev]
        return self._newest_first(self._by_id[p] for p in tops)[0]

    # -- conflicts ------------------------------------------------------------

    def conflicts(self, current_value: Callable[[Cell], Any]) -> list[Conflict]:
        """Open conflicts, ordered by cell; `current_value(cell)` is what automerge shows."""
        found: list[Conflict] = []
        for cell in sorted(self._by_cell):
            conflict = self._cell_conflict(cell, current_value)
            if conflict is not None:
                found.append(conflict)
        return found

    def conflict(self, conflict_id: str, current_value: Callable[[Cell], Any]) -> Conflict | None:
        for cell in self.conflicted_cells():
            conflict = self._cell_conflict(cell, current_value)
            if conflict is not None and conflict.id == conflict_id:
                return conflict
        return None

    def conflicted_cells(self) -> set[Cell]:
        """Cells to mark in grids: their leaves hold two or more different values."""
        return {cell for cell in self._by_cell if self._disagreeing_leaves(cell)}

    def open_conflict_count(self) -> int:
        return len(self.conflicted_cells())

    def _disagreeing_leaves(self, cell: Cell) -> list[JournalEntry]:
        leaves = self.leaves(cell)
        if len({_value_key(leaf.new) for leaf in leaves}) < 2:
            return []
        return leaves

    def _cell_conflict(
        self, cell: Cell, current_value: Callable[[Cell], Any]
    ) -> Conflict | None:
        leaves = self._disagreeing_leaves(cell)
        if not leaves:
            return None
        shared = set.intersection(*(self._ancestry(leaf.id) for leaf in leaves))
        branches = {e.id for e in self._by_cell[cell] if e.id not in shared}
        roots = sorted(
            e for e in branches if not any(p in branches for p in self._parents(self._by_id[e]))
        )
        program, village, row, column = cell
        return Conflict(
            id=conflict_id(cell, roots), program=program, village=village, row=row,
            column=column, shown=current_value(cell),
            values=tuple(ConflictValue(e.id, e.office, e.at, e.new, e.user) for e in leaves),
            roots=tuple(roots), entries=tuple(sorted(branches)),
        )

    @staticmethod
    def _cell(cell: Cell) -> Cell:
        if not (isinstance(cell, tuple) and len(cell) == 4):
            raise ValueError(f"a cell is (program, village, row, column), got {cell!r}")
        return cell


def _sibling_keys(entry: JournalEntry) -> tuple[str | None, ...]:
    return (entry.prev, *entry.settles)


def _bound(value: datetime | str | None, name: str) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return parse_moment(value)
        except ValueError as problem:
            raise ValueError(f"{name}: {problem}") from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must carry a UTC offset")
    return value


class _Descending:
    """A heap key that pops the largest first."""

    __slots__ = ("key",)

    def __init__(self, key: tuple[Any, ...]) -> None:
        self.key = key

    def __lt__(self, other: _Descending) -> bool:
        return self.key > other.key
