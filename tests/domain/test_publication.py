"""A publication's plain form, what moved between two sheets, which edits touch a period and
which late edits are behind one moved number (domain/publication.py), on plain data."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.example_data import EXAMPLES
from vledger.domain.history import JournalEntry
from vledger.domain.program_file import load_program
from vledger.domain.publication import (
    Labels,
    Publication,
    PublicationError,
    edits_behind,
    latest,
    latest_each,
    moved_cells,
    sheet_changes,
    touches_period,
)

PROGRAM = load_program((EXAMPLES / "safety-2026.toml").read_text(encoding="utf-8"),
                       "safety-2026.toml")
Q1 = json.loads((EXAMPLES / "safety-2026" / "expected-Q1.json").read_text(encoding="utf-8"))


def publication(version: int = 1, period: str = "Q1", at: str = "2026-05-05T09:00:00+08:00",
                sheet: dict[str, Any] | None = None) -> Publication:
    return Publication(
        id=f"p{version}{period}", program="safety-2026", period=period, version=version, at=at,
        office="t1", device="d1", user="clerk", note="全镇大会",
        heads={"t1/t1/2026": ("ab" * 32,), "t1/v01/2026": ()}, sheet=sheet or Q1,
        labels=Labels("示例乡", "安全生产", "第一阶段", {"v01": "东坪村"}, {"v01": "北片"},
                      {"publicity": "宣传活动"}),
    )


def entry(op: str = "set", village: str = "v04", row: str = "r1", column: str = "fixed",
          old: Any = None, new: Any = True, program: str = "safety-2026",
          at: str = "2026-05-06T10:00:00+08:00", entry_id: str = "e1") -> JournalEntry:
    return JournalEntry(id=entry_id, at=at, office="v04", device="d4", user="", op=op,
                        program=program, village=village, row=row, column=column, old=old,
                        new=new, prev=None)


def test_a_publication_survives_its_plain_form_and_refuses_what_is_not_one() -> None:
    made = publication()
    assert Publication.from_plain(json.loads(json.dumps(made.to_plain()))) == made
    assert made.stamp() == {"id": "p1Q1", "at": made.at, "by": "t1", "note": "全镇大会",
                            "version": 1, "device": "d1"}
    plain = made.to_plain()
    for broken in ({**plain, "version": 0}, {**plain, "sheet": {"rows": "x"}},
                   {k: v for k, v in plain.items() if k != "heads"}, {**plain, "id": ""}, [1]):
        with pytest.raises(PublicationError):
            Publication.from_plain(broken)


def test_the_latest_is_the_highest_version_of_its_period() -> None:
    found = [publication(1), publication(2), publication(1, "Q2"), publication(3)]
    assert latest(found, "safety-2026", "Q1") == publication(3)
    assert latest(found, "safety-2026", "Q3") is None
    assert [(p.period, p.version) for p in latest_each(found)] == [("Q1", 3), ("Q2", 1)]


def test_changes_name_the_moved_fields_of_each_village() -> None:
    now = copy.deepcopy(Q1)
    rows = {r["village"]: r for r in now["rows"]}
    rows["v04"].update(rank=1, total="91.43", penalty="0", amount="200")
    rows["v04"]["items"]["fix_rate"] = "16.43"
    rows["v03"]["rank"] = 2
    changes = sheet_changes(Q1, now)
    assert [(c.village, c.field, c.published, c.now) for c in changes] == [
        ("v03", "rank", 1, 2),
        ("v04", "rank", 4, 1), ("v04", "total", "80.00", "91.43"),
        ("v04", "penalty", "1000", "0"), ("v04", "amount", "-800", "200"),
    ]
    every = {(c.village, c.field) for c in moved_cells(Q1, now)}
    assert ("v04", "fix_rate") in every and ("v04", "total") in every
    assert sheet_changes(Q1, copy.deepcopy(Q1)) == []


def test_a_village_new_since_is_a_change_from_nothing() -> None:
    now = copy.deepcopy(Q1)
    now["rows"].append({**Q1["rows"][0], "village": "v05", "rank": 5})
    added = [c for c in sheet_changes(Q1, now) if c.village == "v05"]
    assert {c.field for c in added} == {"rank", "total", "reward", "penalty", "amount",
                                        "complete", "vetoed"}
    assert all(c.published is None for c in added)


@pytest.mark.parametrize(("made", "days", "touches"), [
    (entry(), ["2026-04-16"], True),  # a cell of a row dated in Q1
    (entry(), ["2026-07-01"], False),  # ... of a row dated in Q2
    (entry(), [None], False),  # a row without a date counts nowhere
    (entry(column="date", old="2026-04-16", new="2026-06-01"), ["2026-06-01"], True),
    (entry(column="date", old="2026-06-01", new="2026-04-16"), ["2026-04-16"], True),
    (entry(op="target", row="target:fixes", column=""), [], True),  # targets are annual
    (entry(op="manual", row="manual:records", column="Q1"), [], True),
    (entry(op="manual", row="manual:records", column="Q2"), [], False),
    (entry(op="program", village="", row="program", column=""), [], True),
    (entry(op="publish", village="", row="publication", column="p1"), [], False),
    (entry(program="other-2026"), ["2026-04-16"], False),
])
def test_which_edits_touch_a_period(made: JournalEntry, days: list[Any], touches: bool) -> None:
    assert touches_period(made, PROGRAM, "Q1", days) is touches


def test_the_year_sheet_is_touched_by_every_period() -> None:
    assert touches_period(entry(op="manual", row="manual:records", column="Q2"), PROGRAM,
                          "year", [])
    assert touches_period(entry(), PROGRAM, "year", ["2026-11-01"])


def test_the_edits_behind_a_move() -> None:
    now = copy.deepcopy(Q1)
    rows = {r["village"]: r for r in now["rows"]}
    rows["v04"].update(rank=1, total="91.43")
    rows["v03"]["rank"] = 2
    moved = moved_cells(Q1, now)
    mine = entry(entry_id="e-v04")
    theirs = entry(village="v02", entry_id="e-v02")
    program = entry(op="program", village="", row="program", column="", entry_id="e-prog")
    late = [mine, theirs, program]
    # v04's own total: its own edits and the program's
    assert edits_behind("v04", "total", moved, late) == [mine, program]
    # v03 moved only because v04 did: v04's edits are behind it
    assert edits_behind("v03", "rank", moved, late) == [mine, program]
