"""Targets (目标/任务数) and their split over periods (spec §5).

An annual target T is split by the periods' shares: when T is whole, with the
largest-remainder method (each period gets floor(T × share / total), the units
left over go one each to the largest fractional remainders, ties to the earlier
period); when T is not whole, by plain proportion, unrounded. Rate targets are
levels and are never split; without shares every period uses T; the year
always uses T.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from typing import Literal

from vledger.domain.decimals import to_fraction
from vledger.domain.program import YEAR, Indicator, Program

SplitMethod = Literal["year", "no_shares", "rate_level", "largest_remainder", "proportion"]


@dataclass(frozen=True)
class SplitPart:
    """One period's part of an annual target."""

    period: str
    share: Decimal
    exact: Fraction  # T × share / total share
    floor: int  # floor(exact); for a non-whole T equal to exact's floor, shown only
    extra: int  # units given by the largest-remainder step (0 or 1)
    target: Fraction  # what the period is assessed against


@dataclass(frozen=True)
class PeriodTarget:
    """The target `t` used for one indicator in one period, and how it was reached."""

    indicator: str
    period: str
    annual: Decimal
    annual_set: bool  # False when the township set none (missing means 0)
    method: SplitMethod
    value: Fraction
    parts: tuple[SplitPart, ...] = ()  # every period's part, when split by shares
    total_share: Decimal = Decimal(0)


def split_target(annual: Decimal | int, shares: Sequence[Decimal | int]) -> list[Fraction]:
    """The parts of `annual` for periods with `shares`; they always add up to `annual`."""
    return [p.target for p in _split_parts(to_fraction(annual), [Decimal(s) for s in shares], ())]


def _split_parts(
    annual: Fraction, shares: Sequence[Decimal], period_ids: Sequence[str]
) -> list[SplitPart]:
    total = sum((to_fraction(s) for s in shares), Fraction(0))
    ids = list(period_ids) or [str(i) for i in range(len(shares))]
    if total == 0:
        raise ValueError("the shares add up to 0")
    exact = [annual * to_fraction(s) / total for s in shares]
    floors = [math.floor(x) for x in exact]
    if annual.denominator != 1:
        return [
            SplitPart(pid, Decimal(s), x, f, 0, x)
            for pid, s, x, f in zip(ids, shares, exact, floors, strict=True)
        ]
    left = int(annual) - sum(floors)
    # Largest remainder first; the earlier period wins a tie (stable on index).
    order = sorted(range(len(shares)), key=lambda i: (-(exact[i] - floors[i]), i))
    extra = [0] * len(shares)
    for i in order[:left]:
        extra[i] = 1
    return [
        SplitPart(pid, Decimal(s), x, f, e, Fraction(f + e))
        for pid, s, x, f, e in zip(ids, shares, exact, floors, extra, strict=True)
    ]


@lru_cache(maxsize=4096)
def _split_by_shares(
    annual: Fraction, shares: tuple[str, ...], period_ids: tuple[str, ...]
) -> tuple[SplitPart, ...]:
    """`_split_parts`, once per annual target and shares (kept as written: "4" and "4.0"
    split alike but show differently): a yearly sheet asks for every period's part of
    every village's targets, period by period, and each asks for the whole split."""
    return tuple(_split_parts(annual, [Decimal(s) for s in shares], period_ids))


def period_target(
    program: Program, indicator: Indicator, annual: Decimal | None, period_id: str
) -> PeriodTarget:
    """The target for `indicator` in `period_id` given the annual target (None: not set)."""
    program.period(period_id)  # KeyError for a period the program does not have
    annual_set = annual is not None
    t = Decimal(0) if annual is None else annual
    exact = to_fraction(t)

    def plain(method: SplitMethod) -> PeriodTarget:
        return PeriodTarget(indicator.id, period_id, t, annual_set, method, exact)

    if period_id == YEAR:
        return plain("year")
    if indicator.kind == "rate":
        return plain("rate_level")
    shares = [p.share for p in program.periods]
    if not program.has_shares or sum(s for s in shares if s is not None) == 0:
        return plain("no_shares")
    parts = _split_by_shares(exact, tuple(str(s) for s in shares if s is not None),
                             tuple(program.period_ids[:-1]))
    mine = next(p for p in parts if p.period == period_id)
    method: SplitMethod = "largest_remainder" if exact.denominator == 1 else "proportion"
    total_share = sum((s for s in shares if s is not None), Decimal(0))
    return PeriodTarget(
        indicator.id, period_id, t, annual_set, method, mine.target, parts, total_share
    )
