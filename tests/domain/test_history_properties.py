"""Replicas editing and merging journals at random: conflicts converge and settle.

Each replica holds a set of journal entries. It edits a few cells (prev from its
own History, as the write path does), sometimes resolves a conflict it sees, and
merges with another replica by set union. The checks use their own walk over
prev/settles links, not the code under test.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from vledger.domain.history import DELETED, RESOLVE, Cell, History, JournalEntry, resolve_entry

CELLS: tuple[Cell, ...] = (
    ("safety-2026", "v01", "r1", "count"),
    ("safety-2026", "v01", "r1", DELETED),
    ("safety-2026", "v02", "r2", "count"),
)


@dataclass(frozen=True)
class Edit:
    replica: int
    cell: int
    value: int
    minute: int
    settle_seen: bool  # write the edit as the write path should on a conflicted cell


@dataclass(frozen=True)
class Merge:
    a: int
    b: int


@dataclass(frozen=True)
class Resolve:
    replica: int
    which: int
    value: int


Replicas = list[dict[str, JournalEntry]]

edits = st.builds(
    Edit, st.integers(0, 4), st.integers(0, len(CELLS) - 1), st.integers(0, 3),
    st.integers(0, 59), st.booleans(),
)
actions = st.lists(
    st.one_of(
        edits, edits,
        st.builds(Merge, st.integers(0, 4), st.integers(0, 4)),
        st.builds(Resolve, st.integers(0, 4), st.integers(0, 9), st.integers(0, 3)),
    ),
    min_size=6,
    max_size=40,
)


def new_id(number: int) -> str:
    # Ids sort in no relation to the order they were made in, like random ones.
    return hashlib.sha1(str(number).encode()).hexdigest()[:8]


def at(minute: int) -> str:
    # Each laptop's clock is off: times say nothing reliable about order.
    return f"2026-03-05T10:{minute:02d}:00+08:00"


def shown(history: History, cell: Cell) -> Any:
    """Stand-in for automerge's pick among concurrent values: any fixed rule will do."""
    leaves = history.leaves(cell)
    return max(leaves, key=lambda e: e.id).new if leaves else None


def make_edit(history: History, step: Edit, entry_id: str) -> JournalEntry:
    cell = CELLS[step.cell]
    settles = history.settles_for(cell) if step.settle_seen else ()
    prev = settles[0] if settles else history.prev_for(cell, shown(history, cell))
    program, village, row, column = cell
    return JournalEntry(
        id=entry_id, at=at(step.minute), office=f"o{step.replica}", device="d", user="u",
        op=RESOLVE if settles else "set", program=program, village=village, row=row,
        column=column, old=shown(history, cell), new=step.value, prev=prev, settles=settles,
    )


def run(count: int, steps: list[Any]) -> Replicas:
    replicas: Replicas = [{} for _ in range(count)]
    for number, step in enumerate(steps):
        if isinstance(step, Merge):
            a, b = replicas[step.a % count], replicas[step.b % count]
            a.update(b)
            b.update(a)
            continue
        mine = replicas[step.replica % count]
        history = History(mine.values())
        if isinstance(step, Edit):
            entry = make_edit(history, step, new_id(number))
        else:
            open_now = history.conflicts(lambda cell, h=history: shown(h, cell))
            if not open_now:
                continue
            entry = resolve_entry(
                open_now[step.which % len(open_now)], step.value, entry_id=new_id(number),
                at=at(number % 60), office=f"o{step.replica}", device="d", user="u",
            )
        mine[entry.id] = entry
    return replicas


def everything(history: History) -> tuple[Any, ...]:
    """All that a replica shows: listing, concurrency, conflicts, leaves."""
    listing = history.listing()
    return (
        [e.id for e in listing],
        {e.id: history.concurrent_with(e) for e in listing},
        history.conflicts(lambda cell: shown(history, cell)),
        {cell: history.prev_for(cell, shown(history, cell)) for cell in CELLS},
    )


# -- an independent oracle over the links ------------------------------------------


def links(entry: JournalEntry) -> tuple[str, ...]:
    return tuple(p for p in (entry.prev, *entry.settles) if p is not None)


def descends(entries: dict[str, JournalEntry], child: str, ancestor: str) -> bool:
    seen, todo = set(), [child]
    while todo:
        current = todo.pop()
        if current == ancestor:
            return True
        if current not in seen and current in entries:
            seen.add(current)
            todo.extend(links(entries[current]))
    return False


def leaf_ids(entries: dict[str, JournalEntry], cell: Cell) -> set[str]:
    named = {p for e in entries.values() for p in links(e)}
    return {e.id for e in entries.values() if e.cell == cell and e.id not in named}


def settled(entries: dict[str, JournalEntry], x: str, y: str) -> bool:
    return any(
        z.op == RESOLVE and descends(entries, z.id, x) and descends(entries, z.id, y)
        for z in entries.values()
    )


# -- properties ------------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(st.integers(3, 5), actions, st.randoms(use_true_random=False))
def test_replicas_agree_and_conflicts_are_exact(
    count: int, steps: list[Any], shuffler: random.Random
) -> None:
    replicas = run(count, steps)

    # (a) The same entries give the same picture, whatever order they arrive in.
    seen: dict[frozenset[str], tuple[Any, ...]] = {}
    for replica in replicas:
        entries = list(replica.values())
        shuffler.shuffle(entries)
        picture = everything(History(entries))
        assert picture == everything(History(sorted(entries, key=lambda e: e.id)))
        assert seen.setdefault(frozenset(replica), picture) == picture

    # (b) Once everyone has everything, conflicts are exactly the disagreeing cells.
    merged: dict[str, JournalEntry] = {}
    for replica in replicas:
        merged.update(replica)
    history = History(merged.values())
    conflicts = history.conflicts(lambda cell: shown(history, cell))
    by_cell = {c.cell: c for c in conflicts}
    assert len(by_cell) == len(conflicts)
    for cell in CELLS:
        leaves = leaf_ids(merged, cell)
        disagree = len({repr(merged[e].new) for e in leaves}) > 1
        assert (cell in by_cell) == disagree
        if disagree:
            assert {v.edit for v in by_cell[cell].values} == leaves
    for x in merged.values():
        for y in merged.values():
            if x.id < y.id and x.cell == y.cell and x.prev == y.prev:
                if settled(merged, x.id, y.id) or x.cell not in by_cell:
                    continue
                holding = [c for c in conflicts if {x.id, y.id} <= set(c.entries)]
                assert len(holding) == 1

    # (c) Settling every open conflict leaves none.
    fixes = [
        resolve_entry(c, c.values[-1].value, entry_id=f"fix{n}", at=at(0), office="town",
                      device="d", user="u")
        for n, c in enumerate(conflicts)
    ]
    after = History([*merged.values(), *fixes])
    assert after.conflicts(lambda cell: None) == []
    assert after.conflicted_cells() == set()


single_edits = st.lists(
    st.tuples(st.integers(0, len(CELLS) - 1), st.integers(0, 3), st.integers(0, 59)),
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(single_edits)
def test_one_replica_alone_never_conflicts(steps: list[tuple[int, int, int]]) -> None:
    # (d) A single replica's history is linear per cell, whatever its clock says.
    made: list[JournalEntry] = []
    for number, (cell, value, minute) in enumerate(steps):
        history = History(made)
        made.append(make_edit(history, Edit(0, cell, value, minute, True), new_id(number)))
    history = History(made)
    assert history.conflicts(lambda cell: None) == []
    assert all(e.op == "set" for e in made)
    for cell in CELLS:
        mine = [e.id for e in made if e.cell == cell]
        assert len(history.leaves(cell)) == min(1, len(mine))
        assert [e.id for e in history.blame(*cell)] == mine[::-1]
