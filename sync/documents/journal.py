"""Journal entries as documents store them, and the per-cell index the write path needs.

An entry is stored as `journal/<entry id>` = msgpack bytes of the entry's plain
map (domain/history.py, `JournalEntry.to_plain`). The write path needs one
thing from the journal on every edit: the cell's current leaf (`prev`) and,
when the cell holds concurrent values, the leaves the edit settles. Building
a `domain.history.History` on every keystroke would cost the whole journal
each time, so `JournalIndex` keeps just the leaves, per cell, updated as
entries arrive (in any order: a child may arrive before its parent). It
follows History's rules exactly; tests check the two agree.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
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

_BASE32 = "abcdefghijklmnopqrstuvwxyz234567"
_NOT_GIVEN: Any = object()


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


def encode_entry(entry: JournalEntry) -> bytes:
    return bytes(msgpack.packb(entry.to_plain(), use_bin_type=True))


def decode_entry(entry_id: str, data: bytes) -> JournalEntry:
    """JournalError when the bytes are not an entry (a peer's bug, or damage)."""
    try:
        plain = msgpack.unpackb(data, raw=False, strict_map_key=False)
    except Exception as problem:  # msgpack raises several unrelated types
        raise JournalError(entry_id, f"not msgpack: {problem}") from None
    return JournalEntry.from_plain(entry_id, plain)


@dataclass
class _Leaf:
    id: str
    instant: datetime
    new: Any


class JournalIndex:
    """The leaves of every cell, as `History.leaves` would compute them.

    Within one cell an entry's parents are its `prev` and its `settles`;
    the leaves are the cell's entries that no entry of the same cell names.
    """

    def __init__(self, entries: Iterable[JournalEntry] = ()) -> None:
        self.ids: set[str] = set()
        self._leaves: dict[Cell, dict[str, _Leaf]] = defaultdict(dict)
        # (cell, id) pairs some entry of the cell names as a parent; kept for entries
        # that have not arrived yet, so a late parent never becomes a leaf.
        self._named: set[tuple[Cell, str]] = set()
        self.add(entries)

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, entry_id: object) -> bool:
        return entry_id in self.ids

    def add(self, entries: Iterable[JournalEntry]) -> None:
        for entry in entries:
            if entry.id in self.ids:
                continue
            self.ids.add(entry.id)
            cell = entry.cell
            leaves = self._leaves[cell]
            for parent in (entry.prev, *entry.settles):
                if parent is None or parent == entry.id:
                    continue
                self._named.add((cell, parent))
                leaves.pop(parent, None)
            if (cell, entry.id) not in self._named:
                leaves[entry.id] = _Leaf(entry.id, parse_moment(entry.at), entry.new)

    def leaves(self, cell: Cell) -> list[str]:
        """Leaf ids of the cell, newest first (by `at`, then id), like History."""
        found = self._leaves.get(cell)
        if not found:
            return []
        ordered = sorted(found.values(), key=lambda leaf: (leaf.instant, leaf.id), reverse=True)
        return [leaf.id for leaf in ordered]

    def prev_for(self, cell: Cell, shown: Any = _NOT_GIVEN) -> str | None:
        """History.prev_for: the newest leaf that set the shown value, else the newest leaf."""
        found = self._leaves.get(cell)
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
        found = self._leaves.get(cell)
        return tuple(sorted(found)) if found and len(found) > 1 else ()


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
