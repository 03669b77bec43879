"""The public worked example (spec §8) reproduced exactly, plus hand-checked Q2/Q3 facts."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.domain.example_loader import (
    example_inputs,
    example_measures,
    example_program,
    example_villages,
    expected_sheet,
)
from vledger.domain.ranking import RankingSheet, rank_sheet


def sheet(period: str) -> RankingSheet:
    return rank_sheet(
        example_program(), example_villages(), example_measures(), example_inputs(), period
    )


@pytest.mark.parametrize("period", ["Q1", "year"])
def test_sheet_matches_the_expected_json_field_by_field(period: str) -> None:
    got, want = sheet(period).to_json_dict(), expected_sheet(period)
    assert got["program"] == want["program"]
    assert got["period"] == want["period"]
    assert [r["village"] for r in got["rows"]] == [r["village"] for r in want["rows"]]
    for g, w in zip(got["rows"], want["rows"], strict=True):
        for key in w:
            assert g[key] == w[key], (period, w["village"], key)
        assert list(g["items"]) == list(w["items"])
    assert list(got["areas"].items()) == list(want["areas"].items())
    assert got == want


def test_year_rank_bonus_comes_from_period_rankings() -> None:
    year = sheet("year")
    # Q1 ranks v03, v01, v02, v04 (expected-Q1.json). Q2: v01 87.00 1st, v02 79.22 2nd,
    # v03 67.00 3rd, v04 vetoed (accident 07-01) 4th. Q3: v01 88.00, v04 85.67, v02 80.33,
    # v03 58.00. Bonus [4, 2]: v01 = 2 + 4 + 4 = 10, v02 = 0 + 2 + 0, v03 = 4, v04 = 0+0+2.
    assert {r.village: r.rank_bonus for r in year.rows} == {
        "v01": Decimal(10), "v02": Decimal(2), "v03": Decimal(4), "v04": Decimal(2),
    }  # fmt: skip
    assert year.period_ranks["Q2"] == {"v01": 1, "v02": 2, "v03": 3, "v04": 4}
    assert year.period_ranks["Q3"] == {"v01": 1, "v04": 2, "v02": 3, "v03": 4}


def test_q2_by_hand() -> None:
    q2 = sheet("Q2")
    v02 = q2.row("v02")
    # v02 Q2 rows: 宣传 06-01 (40), 07-07 (40); 演练 08-08. Targets Q2: publicity 10 split
    # 4:3:3 → 3; participants 300 → 90; drills 3 → 1,1,1 (remainders .2,.9,.9: Q2 first).
    # publicity: 20 × 2/3 = 13.333 → 13.33; reach: full_at h = 90, 10 × 80/90 = 8.888 → 8.89;
    # drills: v = t = 1 → 15; fix_rate: no rows → 100% → 25 + 0.5 × 20 = 35 → max 30;
    # meetings 12; plan: t = 1 × 3/10 → 0 (Q1 takes the unit), v = 0 < max(0, 1) → 0;
    # records: nothing entered for Q2 → 0. Total 13.33 + 15 + 30 + 12 + 8.89 = 79.22.
    assert v02.item_scores == {
        "publicity": Decimal("13.33"), "drills": Decimal("15.00"), "fix_rate": Decimal("30.00"),
        "meetings": Decimal("12.00"), "reach": Decimal("8.89"), "plan": Decimal("0.00"),
        "records": Decimal("0.00"),
    }  # fmt: skip
    assert v02.total == Decimal("79.22")
    v04 = q2.row("v04")
    assert v04.vetoed and v04.rank == 4 and v04.reward == 0
    # v04's accident row of 07-01 is the one that vetoes it.
    assert v04.veto_by[0].rows == ("v04-15",)


def test_q3_by_hand() -> None:
    q3 = sheet("Q3")
    v04 = q3.row("v04")
    # v04 Q3: 宣传 09-01 (30), 12-30 (10); 演练 10-01; the 2027-01-02 row counts nowhere.
    # publicity t: 8 → 3.2, 2.4, 2.4 → floors 3, 2, 2, one unit left → Q2 (.4 ties Q3,
    # earlier wins) → Q3 t = 2: 20 × min(2, 2)/2 = 20. drills t: 2 → 1, 1, 0 → Q3 t = 0:
    # 15 + 2 × 1 = 17. reach t: 200 → 80, 60, 60: 10 × 40/60 = 6.666 → 6.67.
    assert v04.items["publicity"].target.value == 2
    assert v04.items["drills"].score == Decimal("17.00")
    assert v04.items["reach"].score == Decimal("6.67")
    assert not v04.vetoed  # the accident was in Q2
    # drills money: 200 × 1 − 100 × max(0 − 1, 0) = 200
    assert v04.items["drills"].money == Decimal(200)


def test_row_outside_the_year_is_a_warning() -> None:
    measures = example_measures()
    assert [(w.row, w.reason, w.date) for w in measures["v04"].warnings] == [
        ("v04-20", "outside_year", "2027-01-02")
    ]
    assert measures["v01"].warnings == ()
