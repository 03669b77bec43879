"""Targets and their split over periods (spec §5), each expected value worked by hand."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from tests.domain.example_loader import build_program
from vledger.domain.targets import period_target, split_target

INDICATORS = """
[[indicators]]
id = "drills"
title = "演练"
kind = "count"
where = { kind = "演练" }

[[indicators]]
id = "rate"
title = "完成率"
kind = "rate"
numerator = { kind = "排查", done = true }
denominator = { kind = "排查" }

[[items]]
id = "drills"
title = "演练"
indicator = "drills"
points = 10
rule = "proportional"
"""

NO_SHARES = """
[[periods]]
id = "H1"
title = "上半年"
start = 2026-01-01
end = 2026-06-30

[[periods]]
id = "H2"
title = "下半年"
start = 2026-07-01
end = 2026-12-31
"""


@pytest.mark.parametrize(
    ("annual", "parts"),
    [
        # 10 × 4/10 = 4, 10 × 3/10 = 3, 3: no remainders
        (10, [4, 3, 3]),
        # 11 → 4.4, 3.3, 3.3: floors 4, 3, 3 = 10, one unit to the largest remainder .4 → Q1
        (11, [5, 3, 3]),
        # 2 → 0.8, 0.6, 0.6: floors 0, 0, 0, two units: .8 (Q1), then .6 tie → earlier Q2
        (2, [1, 1, 0]),
        # 1 → 0.4, 0.3, 0.3: one unit to Q1
        (1, [1, 0, 0]),
        # 3 → 1.2, 0.9, 0.9: floors 1, 0, 0, two units to .9 and .9 → 1, 1, 1
        (3, [1, 1, 1]),
        (0, [0, 0, 0]),
    ],
)
def test_largest_remainder_split_of_whole_targets(annual: int, parts: list[int]) -> None:
    assert split_target(Decimal(annual), [4, 3, 3]) == [Fraction(p) for p in parts]


def test_ties_go_to_the_earlier_period() -> None:
    # 1 over shares 1:1 → 0.5, 0.5: the single unit goes to the first period.
    assert split_target(Decimal(1), [1, 1]) == [1, 0]
    # 2 over 1:1:1 → .667 each: first two periods.
    assert split_target(Decimal(2), [1, 1, 1]) == [1, 1, 0]


def test_a_target_that_is_not_whole_is_split_by_plain_proportion() -> None:
    # 7.5 × 4/10 = 3, 7.5 × 3/10 = 2.25 twice; no rounding.
    assert split_target(Decimal("7.5"), [4, 3, 3]) == [3, Fraction(9, 4), Fraction(9, 4)]
    # 1.1 over 1:1:1 → 11/30 each, kept exact.
    assert split_target(Decimal("1.1"), [1, 1, 1]) == [Fraction(11, 30)] * 3


def test_period_target_records_the_split() -> None:
    program = build_program(INDICATORS)
    drills = program.indicator("drills")
    # annual 8 → 3.2, 2.4, 2.4 → floors 3, 2, 2 (7), one unit: remainders .2, .4, .4 → Q2
    q1 = period_target(program, drills, Decimal(8), "Q1")
    assert (q1.method, q1.value, q1.annual_set) == ("largest_remainder", 3, True)
    part = next(p for p in q1.parts if p.period == "Q1")
    assert (part.exact, part.floor, part.extra) == (Fraction(16, 5), 3, 0)
    q2 = period_target(program, drills, Decimal(8), "Q2")
    assert q2.value == 3 and q2.total_share == 10
    assert period_target(program, drills, Decimal(8), "Q3").value == 2


def test_missing_target_is_zero() -> None:
    program = build_program(INDICATORS)
    t = period_target(program, program.indicator("drills"), None, "Q1")
    assert t.value == 0 and not t.annual_set


def test_year_uses_the_annual_target() -> None:
    program = build_program(INDICATORS)
    t = period_target(program, program.indicator("drills"), Decimal(11), "year")
    assert (t.method, t.value) == ("year", 11)


def test_rate_targets_are_levels_not_split() -> None:
    program = build_program(INDICATORS)
    t = period_target(program, program.indicator("rate"), Decimal(85), "Q2")
    assert (t.method, t.value) == ("rate_level", 85)


def test_without_shares_every_period_uses_the_annual_target() -> None:
    program = build_program(INDICATORS, periods=NO_SHARES)
    t = period_target(program, program.indicator("drills"), Decimal(9), "H2")
    assert (t.method, t.value) == ("no_shares", 9)


def test_unknown_period_is_refused() -> None:
    program = build_program(INDICATORS)
    with pytest.raises(KeyError):
        period_target(program, program.indicator("drills"), Decimal(1), "Q9")
