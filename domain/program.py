"""The program (方案): ledger columns, indicators, items and ranking rules.

These are plain frozen dataclasses built from a program file after it has been
validated (see domain/program_file.py). Everything else in the project reads a
program through these types, never through raw TOML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal

ColumnType = Literal["int", "decimal", "date", "choice", "text", "bool"]
IndicatorKind = Literal["count", "sum", "rate", "entered"]
Rule = Literal["proportional", "linear", "threshold", "full_at", "per_event", "check", "manual"]

# What a ledger cell holds once parsed (spec §2): int for int columns, a decimal
# string for decimal columns (exact and JSON-friendly), "YYYY-MM-DD" for dates,
# str for choice and text, bool for bool; None for an empty cell.
CellValue = int | str | bool | None

YEAR = "year"  # the reserved period id for the whole year

COLUMN_TYPES: tuple[ColumnType, ...] = ("int", "decimal", "date", "choice", "text", "bool")
INDICATOR_KINDS: tuple[IndicatorKind, ...] = ("count", "sum", "rate", "entered")
RULES: tuple[Rule, ...] = (
    "proportional", "linear", "threshold", "full_at", "per_event", "check", "manual",
)


@dataclass(frozen=True)
class Period:
    """A period (阶段) of the program's year: its days, and its share of annual targets."""

    id: str
    title: str
    start: date
    end: date  # inclusive
    share: Decimal | None = None

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True)
class Column:
    """A ledger column: its type and what a cell of it may hold."""

    id: str
    title: str
    type: ColumnType
    required: bool = False
    min: Decimal | None = None
    max: Decimal | None = None
    places: int = 2
    choices: tuple[str, ...] = ()
    max_length: int = 200
    # The program's year, for a date typed without one ("3月10日"); set on the columns
    # of a loaded program. Not part of what the column is: two programs' identical
    # columns stay equal.
    year: int | None = field(default=None, compare=False)


# A `where` table after parsing each value by its column's type.
Where = tuple[tuple[str, CellValue], ...]


@dataclass(frozen=True)
class Indicator:
    """An indicator (指标): a number computed from a ledger per period."""

    id: str
    title: str
    kind: IndicatorKind
    unit: str = ""
    where: Where = ()
    column: str | None = None  # for kind = "sum"
    numerator: Where = ()  # for kind = "rate"
    denominator: Where = ()  # for kind = "rate"


@dataclass(frozen=True)
class Item:
    """An item of the rubric (考核细则): its points and the rule that scores it."""

    id: str
    title: str
    points: Decimal
    rule: Rule
    indicator: str | None = None  # None only for rule = "manual"
    section: str = ""
    bonus: Decimal = Decimal(0)
    penalty: Decimal = Decimal(0)
    threshold: Decimal | None = None
    max: Decimal | None = None
    min: Decimal = Decimal(0)
    money_per_unit: Decimal = Decimal(0)
    money_per_missing: Decimal = Decimal(0)


@dataclass(frozen=True)
class Adjustment:
    """An adjustment (加分 / 扣分): flat points per occurrence."""

    id: str
    title: str
    points: Decimal  # per occurrence; negative for a deduction


@dataclass(frozen=True)
class Reward:
    """A reward (奖): money for a rank."""

    rank: int
    amount: Decimal
    requires_complete: bool = False


@dataclass(frozen=True)
class Penalty:
    """A penalty (罚): money for a rank counted from the bottom (倒数第N)."""

    from_bottom: int
    amount: Decimal
    requires_incomplete: bool = False


@dataclass(frozen=True)
class AreaMoney:
    """Money for an area (管区): when all its villages are complete, or any is not."""

    reward_if_all_complete: Decimal = Decimal(0)
    penalty_if_any_incomplete: Decimal = Decimal(0)


@dataclass(frozen=True)
class RankingRules:
    """How villages are ranked and paid: vetoes, period rank bonuses, rewards, penalties."""

    veto: tuple[str, ...] = ()
    period_rank_bonus: tuple[Decimal, ...] = ()
    rewards: tuple[Reward, ...] = ()
    penalties: tuple[Penalty, ...] = ()
    areas: AreaMoney | None = None


@dataclass(frozen=True)
class Program:
    """A program (方案), as parsed from its file (domain/program_file.py)."""

    id: str
    title: str
    year: int
    date_column: str
    periods: tuple[Period, ...]
    columns: tuple[Column, ...]
    indicators: tuple[Indicator, ...]
    items: tuple[Item, ...]
    adjustments: tuple[Adjustment, ...] = ()
    ranking: RankingRules = field(default_factory=RankingRules)
    source: str = ""  # the program file's text, kept so every office publishes the same file

    @property
    def year_period(self) -> Period:
        return Period(YEAR, f"{self.year}", date(self.year, 1, 1), date(self.year, 12, 31))

    @property
    def has_shares(self) -> bool:
        return bool(self.periods) and all(p.share is not None for p in self.periods)

    def period(self, period_id: str) -> Period:
        if period_id == YEAR:
            return self.year_period
        for p in self.periods:
            if p.id == period_id:
                return p
        raise KeyError(period_id)

    @property
    def period_ids(self) -> tuple[str, ...]:
        """The ids a sheet can be ranked for: each period, then the year."""
        return (*(p.id for p in self.periods), YEAR)

    def column(self, column_id: str) -> Column:
        for c in self.columns:
            if c.id == column_id:
                return c
        raise KeyError(column_id)

    def indicator(self, indicator_id: str) -> Indicator:
        for i in self.indicators:
            if i.id == indicator_id:
                return i
        raise KeyError(indicator_id)

    def item(self, item_id: str) -> Item:
        for i in self.items:
            if i.id == item_id:
                return i
        raise KeyError(item_id)

    def adjustment(self, adjustment_id: str) -> Adjustment:
        for a in self.adjustments:
            if a.id == adjustment_id:
                return a
        raise KeyError(adjustment_id)
