"""The seven item rules, clamping, rounding, met/unmet and item money (spec §4).

`score_item` is exact (Fraction) until the single rounding at the end of the
item; it returns every intermediate number so an explanation can show the rule
with its numbers filled in.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Literal

from vledger.domain.decimals import round_half_up, to_fraction
from vledger.domain.program import Item, Rule

# Which formula of the rule applied, so an explanation writes the right one.
Branch = Literal[
    "proportional",  # t > 0: P × min(v, t) / t + bonus × over
    "proportional_zero",  # t = 0: P + bonus × v
    "linear",
    "threshold",
    "full_at_reached",  # v >= h: P
    "full_at_part",  # P × v / h
    "full_at_zero",  # h = 0: P
    "per_event",
    "check_reached",
    "check_missed",
    "manual",
    "manual_missing",
]
ClampSide = Literal["min", "max"]

ZERO = Fraction(0)


@dataclass(frozen=True)
class ItemScore:
    """One item's score for one village and period, with every number on the way."""

    item: str
    rule: Rule
    branch: Branch
    v: Fraction  # indicator value; for manual: the points entered (0 when missing)
    t: Fraction  # target (manual: 0)
    level: Fraction | None  # what v is compared with: t, h or max(t, 1); None for manual/per_event
    over: Fraction
    under: Fraction
    raw: Fraction  # before clamping
    clamped: Fraction
    clamp: ClampSide | None  # which bound applied, if any
    score: Decimal  # clamped, rounded half up to 2 places
    met: bool | None  # None: the rule cannot be met (per_event, manual)
    money: Decimal  # item money, rounded half up to 2 places
    money_raw: Fraction


def level_of(item: Item, t: Fraction) -> Fraction | None:
    """The level v is compared with to decide whether the item is met."""
    if item.rule in ("threshold", "full_at"):
        return to_fraction(item.threshold) if item.threshold is not None else t
    if item.rule in ("proportional", "linear"):
        return t
    if item.rule == "check":
        return max(t, Fraction(1))
    return None


def _raw_score(
    item: Item, v: Fraction, t: Fraction, level: Fraction | None
) -> tuple[Fraction, Branch]:
    p = to_fraction(item.points)
    bonus, penalty = to_fraction(item.bonus), to_fraction(item.penalty)
    over, under = max(v - t, ZERO), max(t - v, ZERO)
    rule = item.rule
    if rule == "proportional":
        if t > 0:
            return p * min(v, t) / t + bonus * over, "proportional"
        return p + bonus * v, "proportional_zero"
    if rule == "linear":
        return p + bonus * over - penalty * under, "linear"
    if rule == "threshold":
        assert level is not None
        return p + bonus * max(v - level, ZERO) - penalty * max(level - v, ZERO), "threshold"
    if rule == "full_at":
        assert level is not None
        if v >= level:
            return p, "full_at_reached"
        if level == 0:  # only reached when v < 0: a negative sum still earns nothing extra
            return p, "full_at_zero"
        return p * v / level, "full_at_part"
    if rule == "per_event":
        return p - penalty * v, "per_event"
    if rule == "check":
        assert level is not None
        return (p, "check_reached") if v >= level else (ZERO, "check_missed")
    raise ValueError(f"rule {rule!r} is not scored from an indicator")


def clamp(item: Item, raw: Fraction) -> tuple[Fraction, ClampSide | None]:
    low = to_fraction(item.min)
    if raw < low:
        return low, "min"
    if item.max is not None and raw > to_fraction(item.max):
        return to_fraction(item.max), "max"
    return raw, None


def is_met(item: Item, v: Fraction, t: Fraction, level: Fraction | None) -> bool | None:
    """spec §4: proportional, linear: v >= t; check: v >= max(t, 1), the level that scores
    it; threshold, full_at: v >= h."""
    if item.rule in ("proportional", "linear"):
        return v >= t
    if item.rule in ("threshold", "full_at", "check"):
        assert level is not None
        return v >= level
    return None


def score_item(
    item: Item,
    v: Fraction | Decimal | int | None,
    t: Fraction | Decimal | int = 0,
    manual: Fraction | Decimal | int | None = None,
) -> ItemScore:
    """Score `item` for indicator value `v` and target `t`.

    For a `manual` item pass the entered points as `manual` (None: not entered,
    which scores 0) and leave `v` None.
    """
    if item.rule == "manual":
        entered = to_fraction(manual) if manual is not None else ZERO
        clamped, side = clamp(item, entered)
        return ItemScore(
            item=item.id,
            rule=item.rule,
            branch="manual" if manual is not None else "manual_missing",
            v=entered,
            t=ZERO,
            level=None,
            over=ZERO,
            under=ZERO,
            raw=entered,
            clamped=clamped,
            clamp=side,
            score=round_half_up(clamped),
            met=None,
            money=Decimal("0.00"),
            money_raw=ZERO,
        )
    if v is None:
        raise ValueError(f"item {item.id!r} needs an indicator value")
    fv, ft = to_fraction(v), to_fraction(t)
    level = level_of(item, ft)
    raw, branch = _raw_score(item, fv, ft, level)
    clamped, side = clamp(item, raw)
    under = max(ft - fv, ZERO)
    money = to_fraction(item.money_per_unit) * fv - to_fraction(item.money_per_missing) * under
    return ItemScore(
        item=item.id,
        rule=item.rule,
        branch=branch,
        v=fv,
        t=ft,
        level=level,
        over=max(fv - ft, ZERO),
        under=under,
        raw=raw,
        clamped=clamped,
        clamp=side,
        score=round_half_up(clamped),
        met=is_met(item, fv, ft, level),
        money=round_half_up(money),
        money_raw=money,
    )
