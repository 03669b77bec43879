"""Hand-built journal scenarios for domain/history.py."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import pytest

from vledger.domain.history import (
    DELETED,
    RESOLVE,
    Cell,
    Conflict,
    History,
    JournalEntry,
    JournalError,
    load_entries,
    resolve_entry,
    same_value,
)

COUNT: Cell = ("safety-2026", "v01", "r7", "count")
NAME: Cell = ("safety-2026", "v01", "r7", "place")
FLAG: Cell = ("safety-2026", "v01", "r7", DELETED)


def edit(
    entry_id: str,
    minute: int,
    new: Any,
    prev: str | None = None,
    *,
    cell: Cell = COUNT,
    office: str = "v01",
    op: str = "set",
    old: Any = None,
    settles: tuple[str, ...] = (),
) -> JournalEntry:
    program, village, row, column = cell
    return JournalEntry(
        id=entry_id, at=f"2026-03-05T10:{minute:02d}:00+08:00", office=office,
        device=f"{office}-laptop", user="clerk", op=op, program=program, village=village,
        row=row, column=column, old=old, new=new, prev=prev, settles=settles,
    )


def shown_as(value: Any):
    return lambda cell: value


def ids(entries: list[JournalEntry]) -> list[str]:
    return [e.id for e in entries]


def settle(history: History, conflict: Conflict, value: Any, entry_id: str) -> History:
    fix = resolve_entry(
        conflict, value, entry_id=entry_id, at="2026-03-05T11:00:00+08:00",
        office="town", device="town-pc", user="专干",
    )
    return History([*history.listing(), fix])


# -- entries -----------------------------------------------------------------


def test_plain_round_trip_and_missing_optional_keys() -> None:
    full = edit("e1", 1, 5, "e0", old=3)
    assert JournalEntry.from_plain("e1", full.to_plain()) == full
    fix = edit("e2", 2, 5, "e1", op=RESOLVE, settles=("e1", "e9"))
    assert fix.to_plain()["settles"] == ["e1", "e9"]
    assert JournalEntry.from_plain("e2", fix.to_plain()) == fix

    bare = {"at": "2026-03-05T10:12:00Z", "office": "v02", "op": "add", "program": "p",
            "village": "v02", "row": "r1", "column": "count", "extra": "later field"}
    entry = JournalEntry.from_plain("x", bare)
    assert (entry.device, entry.user, entry.old, entry.new, entry.prev, entry.settles) == (
        "", "", None, None, None, ()
    )
    assert entry.cell == ("p", "v02", "r1", "count")
    assert "extra" not in entry.to_plain()


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"at": None}, "'at'"),
        ({"at": "yesterday"}, "'at'"),
        ({"at": "2026-03-05T10:12:00"}, "offset"),
        ({"op": 3}, "'op'"),
        ({"column": None}, "'column'"),
        ({"device": 7}, "'device'"),
        ({"prev": ""}, "'prev'"),
        ({"prev": 12}, "'prev'"),
        ({"settles": ["a"]}, "only a resolve"),
        ({"op": RESOLVE}, "must name"),
        ({"op": RESOLVE, "settles": "ab"}, "'settles'"),
        ({"op": RESOLVE, "settles": [1]}, "'settles'"),
    ],
)
def test_malformed_entry_is_refused_clearly(change: dict[str, Any], problem: str) -> None:
    plain = edit("bad", 1, 5).to_plain() | change
    with pytest.raises(JournalError) as caught:
        JournalEntry.from_plain("bad", plain)
    assert problem in str(caught.value)
    assert caught.value.entry_id == "bad"


def test_missing_required_keys_are_all_named() -> None:
    plain = edit("bad", 1, 5).to_plain()
    del plain["row"], plain["office"]
    with pytest.raises(JournalError, match="'office', 'row'"):
        JournalEntry.from_plain("bad", plain)
    with pytest.raises(JournalError, match="expected a map"):
        JournalEntry.from_plain("bad", [1, 2])
    with pytest.raises(JournalError, match="non-empty"):
        JournalEntry.from_plain("", edit("x", 1, 5).to_plain())


def test_load_entries_keeps_the_good_and_reports_the_bad() -> None:
    good = edit("ok", 1, 5)
    good_entries, problems = load_entries(
        [("ok", good.to_plain()), ("broken", {"op": "set"}), ("junk", b"\x00")]
    )
    assert good_entries == [good]
    assert sorted(p.entry_id for p in problems) == ["broken", "junk"]


def test_same_value_tells_bool_from_int() -> None:
    assert not same_value(True, 1)
    assert not same_value(None, "")
    assert same_value({"a": [1, 2], "b": 3}, {"b": 3, "a": [1, 2]})


# -- history, leaves, blame ----------------------------------------------------


def test_linear_history_has_one_leaf_and_full_blame() -> None:
    chain = [edit("a", 1, 1, op="add"), edit("b", 2, 2, "a", old=1), edit("c", 3, 3, "b", old=2)]
    history = History(reversed(chain))
    assert ids(history.leaves(COUNT)) == ["c"]
    assert history.prev_for(COUNT, 3) == "c"
    assert history.prev_for(("p", "v9", "r", "c")) is None
    assert ids(history.blame(*COUNT, shown=3)) == ["c", "b", "a"]
    assert history.conflicts(shown_as(3)) == []
    assert history.conflicted_cells() == set()
    assert all(history.concurrent_with(e) == [] for e in chain)
    assert history.settles_for(COUNT) == ()
    assert ids(history.children("a")) == ["b"]


def test_two_concurrent_edits_are_one_conflict() -> None:
    history = History([edit("a", 1, 1), edit("b", 2, 2, "a", office="v01"),
                       edit("c", 3, 7, "a", office="town")])
    assert history.concurrent_with("b") == ["c"]
    assert history.concurrent_with("c") == ["b"]
    assert history.concurrent_with("a") == []
    [conflict] = history.conflicts(shown_as(7))
    assert conflict.cell == COUNT
    assert conflict.shown == 7
    assert {(v.edit, v.office, v.value) for v in conflict.values} == {
        ("b", "v01", 2), ("c", "town", 7)
    }
    assert ids([history.entry(v.edit) for v in conflict.values]) == ["c", "b"]  # newest first
    assert conflict.roots == ("b", "c")
    assert history.conflicted_cells() == {COUNT}
    assert history.open_conflict_count() == 1
    assert history.settles_for(COUNT) == ("b", "c")
    # The leaf behind the shown value is the one a new edit builds on.
    assert history.prev_for(COUNT, 2) == "b"
    assert history.prev_for(COUNT, 7) == "c"
    assert ids(history.blame(*COUNT, shown=2)) == ["b", "a"]
    assert history.conflict(conflict.id, shown_as(7)) == conflict
    assert history.conflict("c-none", shown_as(7)) is None


def test_conflict_json_shape_and_keep() -> None:
    history = History([edit("b", 2, 2, "a"), edit("c", 3, 7, "a", office="town")])
    [conflict] = history.conflicts(shown_as(2))
    plain = conflict.to_plain()
    assert set(plain) == {"id", "program", "village", "row", "column", "shown", "values"}
    # who made each value too (cli.md: "more fields may be added")
    assert plain["values"][0] == {
        "edit": "c", "office": "town", "user": "clerk", "at": "2026-03-05T10:03:00+08:00",
        "value": 7,
    }
    assert conflict.value_of("b") == 2
    with pytest.raises(ValueError, match="not one of the competing"):
        conflict.value_of("a")


def test_chains_of_a_conflicted_cell_one_per_value_shown_first() -> None:
    history = History([edit("a", 1, 1), edit("b", 2, 2, "a"),
                       edit("c", 3, 7, "a", office="town"), edit("d", 4, 8, "c", office="town")])
    chains = history.chains(COUNT, 2)
    assert [[e.id for e in chain] for chain in chains] == [["b", "a"], ["d", "c", "a"]]
    assert [e.id for e in history.chains(COUNT, 8)[0]] == ["d", "c", "a"]
    settled = History([edit("a", 1, 1), edit("b", 2, 2, "a")])
    assert [[e.id for e in c] for c in settled.chains(COUNT, 2)] == [["b", "a"]]


def test_conflict_id_depends_on_cell_and_branches() -> None:
    first = History([edit("b", 2, 2, "a"), edit("c", 3, 7, "a")]).conflicts(shown_as(2))[0]
    other_cell = History(
        [edit("b", 2, 2, "a", cell=NAME), edit("c", 3, 7, "a", cell=NAME)]
    ).conflicts(shown_as(2))[0]
    other_branch = History([edit("b", 2, 2, "a"), edit("d", 3, 7, "a")]).conflicts(shown_as(2))[0]
    assert len({first.id, other_cell.id, other_branch.id}) == 3


def test_concurrent_edits_that_agree_are_not_a_conflict() -> None:
    history = History([edit("a", 1, 1), edit("b", 2, 5, "a"), edit("c", 3, 5, "a")])
    assert history.concurrent_with("b") == ["c"]  # still shown as concurrent in the history
    assert history.conflicts(shown_as(5)) == []
    # ...but a new edit here overwrites both, so the write path must settle them.
    assert history.settles_for(COUNT) == ("b", "c")


def test_three_way_is_one_conflict_with_three_values() -> None:
    history = History([edit("a", 1, 1), edit("b", 2, 2, "a", office="v01"),
                       edit("c", 3, 3, "a", office="town"), edit("d", 4, 4, "a", office="v02")])
    [conflict] = history.conflicts(shown_as(3))
    assert sorted(v.edit for v in conflict.values) == ["b", "c", "d"]
    assert conflict.roots == ("b", "c", "d")
    assert history.concurrent_with("c") == ["b", "d"]


def test_resolve_settles_and_becomes_the_only_leaf() -> None:
    history = History([edit("a", 1, 1), edit("b", 2, 2, "a"), edit("c", 3, 7, "a")])
    [conflict] = history.conflicts(shown_as(2))
    settled = settle(history, conflict, 7, "r")
    fix = settled.entry("r")
    assert (fix.op, fix.prev, fix.settles, fix.old, fix.new) == (RESOLVE, "b", ("b", "c"), 2, 7)
    assert settled.conflicts(shown_as(7)) == []
    assert ids(settled.leaves(COUNT)) == ["r"]
    assert settled.prev_for(COUNT, 7) == "r"
    # Kept c's value: blame walks c's branch, not the prev link to b.
    assert ids(settled.blame(*COUNT, shown=7)) == ["r", "c", "a"]
    # A resolve is not concurrent with what it settles even though they share a prev.
    assert settled.concurrent_with("r") == []
    assert settled.concurrent_with("b") == ["c"]


def test_edit_after_resolve_is_linear_until_two_offices_edit_again() -> None:
    history = History([edit("a", 1, 1), edit("b", 2, 2, "a"), edit("c", 3, 7, "a")])
    [old] = history.conflicts(shown_as(2))
    settled = settle(history, old, 2, "r")
    after = History([*settled.listing(), edit("e", 20, 9, "r")])
    assert after.conflicts(shown_as(9)) == []
    assert ids(after.blame(*COUNT, shown=9)) == ["e", "r", "b", "a"]
    again = History([*after.listing(), edit("f", 21, 11, "r", office="town")])
    [new] = again.conflicts(shown_as(9))
    assert new.roots == ("e", "f")
    assert new.id != old.id
    assert "b" not in new.entries and "c" not in new.entries


def test_edit_on_one_branch_keeps_the_conflict_and_shows_its_leaf() -> None:
    base = [edit("a", 1, 1), edit("b", 2, 2, "a"), edit("c", 3, 7, "a", office="town")]
    [before] = History(base).conflicts(shown_as(2))
    history = History([*base, edit("d", 4, 3, "b")])  # a plain edit on b's branch
    [conflict] = history.conflicts(shown_as(3))
    assert conflict.id == before.id  # same fork, same id
    assert {(v.edit, v.value) for v in conflict.values} == {("d", 3), ("c", 7)}
    assert conflict.entries == ("b", "c", "d")
    assert ids(history.blame(*COUNT, shown=3)) == ["d", "b", "a"]
    settled = settle(history, conflict, 3, "r")
    assert settled.entry("r").settles == ("b", "c", "d")
    assert settled.conflicts(shown_as(3)) == []
    # r and d both hang from b, but r settles d: they were not concurrent.
    assert settled.entry("r").prev == settled.entry("d").prev == "b"
    assert settled.concurrent_with("d") == []
    assert settled.concurrent_with("r") == []


def test_write_path_edit_on_conflicted_cell_settles_it() -> None:
    history = History([edit("a", 1, 1), edit("b", 2, 2, "a"), edit("c", 3, 7, "a")])
    settles = history.settles_for(COUNT)
    typed = edit("d", 5, 4, settles[0], op=RESOLVE, settles=settles, old=7)
    after = History([*history.listing(), typed])
    assert after.conflicts(shown_as(4)) == []
    assert ids(after.leaves(COUNT)) == ["d"]


def test_resolve_made_before_a_branch_edit_arrived_conflicts_with_it() -> None:
    # r settles b and c; meanwhile d was written on b's branch by an office that saw only b.
    history = History([
        edit("a", 1, 1), edit("b", 2, 2, "a"), edit("c", 3, 7, "a"),
        edit("r", 5, 7, "b", op=RESOLVE, settles=("b", "c"), office="town"),
        edit("d", 4, 3, "b", office="v01"),
    ])
    [conflict] = history.conflicts(shown_as(7))
    assert {(v.edit, v.value) for v in conflict.values} == {("r", 7), ("d", 3)}
    assert history.concurrent_with("d") == ["r"]
    assert history.concurrent_with("r") == ["d"]
    settled = settle(history, conflict, 3, "s")
    assert settled.conflicts(shown_as(3)) == []


def test_resolve_whose_prev_is_the_other_branch_still_meets_the_late_edit() -> None:
    # Same as above but the settled ids sort so that r's prev is c, not b.
    history = History([
        edit("a", 1, 1), edit("m", 2, 2, "a"), edit("c", 3, 7, "a"),
        edit("r", 5, 7, "c", op=RESOLVE, settles=("c", "m")),
        edit("d", 4, 3, "m"),
    ])
    assert history.concurrent_with("d") == ["r"]
    assert sorted(v.edit for v in history.conflicts(shown_as(7))[0].values) == ["d", "r"]


def test_two_clerks_resolving_the_same_way_agree() -> None:
    base = [edit("a", 1, 1), edit("b", 2, 2, "a"), edit("c", 3, 7, "a")]
    both = History([
        *base,
        edit("r1", 5, 7, "b", op=RESOLVE, settles=("b", "c"), office="town"),
        edit("r2", 6, 7, "b", op=RESOLVE, settles=("b", "c"), office="v01"),
    ])
    assert both.conflicts(shown_as(7)) == []
    assert both.concurrent_with("r1") == ["r2"]
    differ = History([
        *base,
        edit("r1", 5, 7, "b", op=RESOLVE, settles=("b", "c")),
        edit("r2", 6, 2, "b", op=RESOLVE, settles=("b", "c")),
    ])
    [conflict] = differ.conflicts(shown_as(7))
    assert conflict.roots == ("r1", "r2")


# -- deleted rows ----------------------------------------------------------------


def test_row_delete_racing_a_cell_edit_is_reviewable_not_a_conflict() -> None:
    history = History([
        edit("add1", 1, 4, cell=COUNT, op="add"),
        edit("add2", 1, "村口", cell=NAME, op="add"),
        edit("del", 5, True, cell=FLAG, op="delete", old=False, office="town"),
        edit("set", 6, 9, "add1", cell=COUNT, old=4, office="v01"),
    ])
    assert history.conflicts(shown_as(None)) == []
    row = history.listing(program="safety-2026", village="v01", row="r7")
    assert ids(row) == ["set", "del", "add2", "add1"]
    assert ids(history.blame(*COUNT, shown=9)) == ["set", "add1"]
    assert ids(history.blame(*FLAG, shown=True)) == ["del"]


def test_delete_racing_restore_is_a_conflict_but_two_deletes_agree() -> None:
    deleted = edit("del", 2, True, cell=FLAG, op="delete", old=False)
    restore = edit("res", 3, False, "del", cell=FLAG, op="restore", old=True, office="v01")
    again = edit("del2", 4, True, "del", cell=FLAG, op="delete", old=True, office="town")
    [conflict] = History([deleted, restore, again]).conflicts(shown_as(True))
    assert {(v.edit, v.value) for v in conflict.values} == {("res", False), ("del2", True)}
    twice = edit("del3", 3, True, cell=FLAG, op="delete", old=False, office="town")
    assert History([deleted, twice]).conflicts(shown_as(True)) == []


# -- listing -------------------------------------------------------------------------


def test_within_one_clock_tick_an_edit_lists_above_the_edit_it_replaced() -> None:
    # A clerk typing 61 then 62 within a millisecond: same `at`, and ids that sort
    # the wrong way round. The prev link says which came last.
    chain = [edit("zz", 1, 61), edit("aa", 1, 62, prev="zz"), edit("mm", 1, 63, prev="aa")]
    for seed in range(5):
        random.Random(seed).shuffle(chain)
        history = History(chain)
        assert ids(history.listing()) == ["mm", "aa", "zz"]
        assert ids(history.blame(*COUNT, shown=63)) == ["mm", "aa", "zz"]


def test_a_link_cycle_does_not_hang_the_listing() -> None:
    looped = [edit("a", 1, 1, prev="b"), edit("b", 1, 2, prev="a")]
    assert sorted(ids(History(looped).listing())) == ["a", "b"]


def test_listing_is_newest_first_by_instant_then_id() -> None:
    def at(entry_id: str, when: str, **fields: Any) -> JournalEntry:
        return JournalEntry.from_plain(entry_id, edit(entry_id, 0, 1).to_plain() | {"at": when}
                                       | fields)

    entries = [
        at("e1", "2026-03-05T10:00:00+08:00"),  # 02:00Z
        at("e2", "2026-03-05T03:00:00Z"),  # later, though its text sorts first
        at("e3", "2026-03-05T10:00:00+08:00", office="town", column="place"),  # ties with e1
        at("e4", "2026-03-04T23:00:00-05:00", village="v02"),  # 04:00Z, newest
    ]
    for seed in range(5):
        random.Random(seed).shuffle(entries)
        history = History(entries)
        assert ids(history.listing()) == ["e4", "e2", "e3", "e1"]
    assert ids(history.listing(office="town")) == ["e3"]
    assert ids(history.listing(village="v02")) == ["e4"]
    assert ids(history.listing(column="place")) == ["e3"]
    assert ids(history.listing(program="other")) == []
    assert ids(history.listing(since="2026-03-05T03:00:00Z")) == ["e4", "e2"]
    assert ids(history.listing(until="2026-03-05T03:00:00Z")) == ["e3", "e1"]
    window = history.listing(
        since=datetime(2026, 3, 5, 2, 30, tzinfo=UTC), until="2026-03-05T11:59:00+08:00"
    )
    assert ids(window) == ["e2"]
    with pytest.raises(ValueError, match="since"):
        history.listing(since=datetime(2026, 3, 5))
    with pytest.raises(ValueError, match="until"):
        history.listing(until="2026-03-05")


def test_edit_record_has_the_history_json_fields() -> None:
    history = History([edit("b", 2, 2, "a"), edit("c", 3, 7, "a")])
    record = history.edit_record(history.entry("b"))
    required = {"id", "at", "office", "device", "op", "program", "village", "row", "column",
                "old", "new", "concurrent_with"}
    assert required <= set(record)
    assert record["concurrent_with"] == ["c"]


# -- odd journals ----------------------------------------------------------------------


def test_duplicate_ids_merge_unless_they_differ() -> None:
    one = edit("a", 1, 1)
    assert len(History([one, edit("a", 1, 1)])) == 1
    with pytest.raises(JournalError, match="share this id"):
        History([one, edit("a", 1, 2)])


def test_links_to_unknown_or_foreign_entries_start_a_new_chain() -> None:
    history = History([
        edit("x", 1, "村口", cell=NAME),
        edit("b", 2, 2, "gone"), edit("c", 3, 7, "gone"),  # prev never arrived
        edit("d", 4, 5, "x"),  # prev names another cell's entry
    ])
    assert ids(history.blame(*COUNT, shown=5)) == ["d"]
    assert history.concurrent_with("b") == ["c"]
    [conflict] = history.conflicts(shown_as(5))
    assert conflict.roots == ("b", "c", "d")


def test_a_cycle_of_links_does_not_hang() -> None:
    history = History([edit("a", 1, 1, "b"), edit("b", 2, 2, "a"), edit("c", 3, 3, "c")])
    assert ids(history.leaves(COUNT)) == ["c"]
    assert ids(history.blame(*COUNT)) == ["c"]
    assert history.conflicts(shown_as(3)) == []


def test_an_edit_made_with_a_wrong_clock_still_lists_above_the_edit_it_changed() -> None:
    """A laptop whose clock says 1999 edits a cell after the township did: the chain of the
    cell decides the order, the times stay as recorded, the rest is by time."""
    town = edit("a", 5, 1)
    wrong_clock = JournalEntry(
        id="b", at="1999-12-31T23:59:00+08:00", office="v01", device="v01-laptop",
        user="clerk", op="set", program=COUNT[0], village=COUNT[1], row=COUNT[2],
        column=COUNT[3], old=1, new=2, prev="a",
    )
    other_cell = edit("c", 7, "村委会", cell=NAME)
    listed = History([wrong_clock, town, other_cell]).listing()
    assert ids(listed) == ["c", "b", "a"]
    assert listed[1].at.startswith("1999")  # shown as recorded
