"""The seven item rules, clamping, rounding, met and money (spec §4), worked by hand."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from vledger.domain.decimals import format_money, format_score, round_half_up
from vledger.domain.program import Item
from vledger.domain.rules import score_item

D = Decimal


def item(rule: str, points: str = "20", **kw: str | None) -> Item:
    params = {k: (None if v is None else D(v)) for k, v in kw.items()}
    return Item(id="x", title="x", points=D(points), rule=rule, indicator="x", **params)  # type: ignore[arg-type]


def test_proportional_reaching_and_passing_the_target() -> None:
    # t = 3, v = 4, bonus 1: 20 × min(4, 3)/3 + 1 × (4 − 3) = 20 + 1 = 21
    s = score_item(item("proportional", bonus="1"), 4, 3)
    assert (s.raw, s.score, s.met) == (21, D("21.00"), True)
    # t = 3, v = 2: 20 × 2/3 = 13.333… → 13.33, not met
    s = score_item(item("proportional", bonus="1"), 2, 3)
    assert (s.score, s.met) == (D("13.33"), False)


def test_proportional_with_zero_target() -> None:
    # t = 0: P + bonus × v = 20 + 1 × 4 = 24; met since 4 >= 0
    s = score_item(item("proportional", bonus="1"), 4, 0)
    assert (s.branch, s.score, s.met) == ("proportional_zero", D("24.00"), True)
    # t = 0, v = 0: 20
    assert score_item(item("proportional"), 0, 0).score == D("20.00")


def test_linear() -> None:
    # 10 + 2 × over − 1 × under; v = 13, t = 10: 10 + 6 = 16
    it = item("linear", "10", bonus="2", penalty="1")
    assert score_item(it, 13, 10).score == D("16.00")
    # v = 7, t = 10: 10 − 3 = 7, not met
    s = score_item(it, 7, 10)
    assert (s.score, s.met) == (D("7.00"), False)


def test_linear_clamped_at_the_floor_of_zero() -> None:
    # 10 − 5 × (10 − 2) = −30 → min 0 (扣完为止)
    s = score_item(item("linear", "10", penalty="5"), 2, 10)
    assert (s.raw, s.clamp, s.score) == (-30, "min", D("0.00"))


def test_clamp_at_a_given_min_and_max() -> None:
    # −30 with min = −5 → −5
    s = score_item(item("linear", "10", penalty="5", min="-5"), 2, 10)
    assert (s.clamp, s.score) == ("min", D("-5.00"))
    # 15 + 2 × 5 = 25 above max 20 → 20
    s = score_item(item("linear", "15", bonus="2", max="20"), 7, 2)
    assert (s.raw, s.clamp, s.score) == (25, "max", D("20.00"))


def test_threshold_with_given_level() -> None:
    # 达70%计30分，每低1%扣1分，每超1%加5分; v = 200/3 %: 30 − (70 − 66.667) = 26.666… → 26.67
    it = item("threshold", "30", threshold="70", penalty="1", bonus="5")
    s = score_item(it, Fraction(200, 3), 0)
    assert (s.level, s.score, s.met) == (70, D("26.67"), False)
    # v = 72.5: 30 + 5 × 2.5 = 42.5, met
    s = score_item(it, Fraction(145, 2), 0)
    assert (s.score, s.met) == (D("42.50"), True)


def test_threshold_without_level_uses_the_target() -> None:
    # h = t = 90; v = 85: 25 − 1 × 5 = 20
    s = score_item(item("threshold", "25", penalty="1"), 85, 90)
    assert (s.level, s.score, s.met) == (90, D("20.00"), False)


def test_full_at() -> None:
    it = item("full_at", "10", threshold="72")
    # v = 72 ≥ 72 → 10
    assert score_item(it, 72, 0).score == D("10.00")
    # v = 36: 10 × 36/72 = 5
    s = score_item(it, 36, 0)
    assert (s.score, s.met) == (D("5.00"), False)
    # no threshold: h = t = 120; v = 65: 10 × 65/120 = 5.41666… → 5.42
    assert score_item(item("full_at", "10"), 65, 120).score == D("5.42")
    # h = t = 0 → full points
    assert score_item(item("full_at", "10"), 0, 0).score == D("10.00")


def test_per_event() -> None:
    # 每缺席一次例会扣3分: 12 − 3 × 2 = 6; 12 − 3 × 5 = −3 → 0
    it = item("per_event", "12", penalty="3")
    s = score_item(it, 2, 0)
    assert (s.score, s.met) == (D("6.00"), None)
    assert score_item(it, 5, 0).score == D("0.00")


def test_check_uses_at_least_one() -> None:
    it = item("check", "8")
    # t = 0, v = 0: 0 < max(0, 1) → 0 points, and not met: met uses the same level
    s = score_item(it, 0, 0)
    assert (s.score, s.level, s.met) == (D("0.00"), 1, False)
    # t = 0, v = 1 → 8
    assert score_item(it, 1, 0).score == D("8.00")
    # t = 2, v = 1 → 0, not met; v = 2 → 8
    s = score_item(it, 1, 2)
    assert (s.score, s.met) == (D("0.00"), False)
    assert score_item(it, 2, 2).score == D("8.00")


def test_manual() -> None:
    it = item("manual", "8")
    s = score_item(it, None, manual=D("6.5"))
    assert (s.score, s.met, s.money) == (D("6.50"), None, D(0))
    s = score_item(it, None)
    assert (s.branch, s.score) == ("manual_missing", D("0.00"))


def test_rounding_half_up_once_at_the_end() -> None:
    # 1 × 1/8 = 0.125 exactly → 0.13 (half up, not to even)
    assert score_item(item("full_at", "1"), 1, 8).score == D("0.13")
    # 10 × 1/3 + 10 × 1/3 would round each part to 3.33; one item rounds once:
    # proportional 20 × 2/3 = 13.333… → 13.33 (and not 6.67 + 6.67 = 13.34)
    assert score_item(item("proportional"), 2, 3).score == D("13.33")
    assert round_half_up(Fraction(-2345, 1000)) == D("-2.35")
    assert round_half_up(Fraction(2345, 1000)) == D("2.35")


def test_item_money() -> None:
    # money = 200 × v − 100 × under; v = 1, t = 3: 200 − 200 = 0; v = 4: 800
    it = item("linear", "15", money_per_unit="200", money_per_missing="100")
    assert score_item(it, 1, 3).money == D(0)
    assert score_item(it, 4, 3).money == D(800)
    # v = 0, t = 2: −200
    assert score_item(it, 0, 2).money == D(-200)


def test_formatting() -> None:
    assert format_score(D("87.5")) == "87.50"
    assert format_score(D("-0.001")) == "0.00"
    assert format_money(D(2000)) == "2000"
    assert format_money(D("-400.00")) == "-400"
    assert format_money(D("12.5")) == "12.50"


def test_indicator_rule_needs_a_value() -> None:
    with pytest.raises(ValueError):
        score_item(item("linear"), None, 1)
