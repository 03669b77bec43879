"""The ranking sheet (排名): totals, veto, complete, ranks, rewards, penalties, areas (spec §6).

`rank_sheet` works from each village's cached `VillageMeasures` plus the
township's sheets (`SheetInputs`), never from ledgers, so the township can rank
sixty villages without opening sixty documents. The year sheet computes the
period sheets itself for the period rank bonus.

`check_inputs` is the validation the store and CLI run before writing a
township sheet entry: it reports every problem and the caller writes nothing.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal, Protocol

from vledger.domain.decimals import format_money, format_score, to_decimal, to_fraction
from vledger.domain.indicators import RowWarning, VillageMeasures
from vledger.domain.program import YEAR, Indicator, Item, Program
from vledger.domain.rules import ItemScore, score_item
from vledger.domain.targets import PeriodTarget, period_target
from vledger.errors import VledgerError
from vledger.messages import Message


class RankingError(VledgerError, ValueError):
    """The sheet cannot be ranked as asked (unknown period, duplicate village, stale measures)."""


class VillageLike(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def area(self) -> str | None: ...


@dataclass(frozen=True)
class SheetInputs:
    """The township's sheets for one program (spec §5, cli.md `sheet import`)."""

    targets: Mapping[tuple[str, str], Decimal] = field(default_factory=dict)  # (village, ind)
    entered: Mapping[tuple[str, str, str], Decimal] = field(default_factory=dict)  # +period
    manual: Mapping[tuple[str, str, str], Decimal] = field(default_factory=dict)  # (v, item, p)
    adjustments: Mapping[tuple[str, str, str], Decimal] = field(default_factory=dict)  # (v, a, p)


# --- results ------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorValue:
    """An indicator's value for one village and period, and where it came from."""

    indicator: str
    title: str
    unit: str
    kind: str
    period: str
    exact: Fraction
    rows: tuple[str, ...] = ()  # count/sum: rows that made it; rate: denominator rows
    numerator_rows: tuple[str, ...] = ()  # rate only
    total: Decimal = Decimal(0)  # sum only
    entered: bool = False  # entered only: whether the township entered a value

    @property
    def value(self) -> Decimal:
        return to_decimal(self.exact)


@dataclass(frozen=True)
class ItemResult:
    item: str
    title: str
    section: str
    indicator: IndicatorValue | None  # None for manual items
    target: PeriodTarget | None  # None for manual items
    scored: ItemScore
    definition: Item  # the program's item, for its points and parameters

    @property
    def score(self) -> Decimal:
        return self.scored.score

    @property
    def money(self) -> Decimal:
        return self.scored.money

    @property
    def met(self) -> bool | None:
        return self.scored.met


@dataclass(frozen=True)
class AdjustmentLine:
    adjustment: str
    title: str
    points: Decimal
    count: Decimal
    subtotal: Decimal


@dataclass(frozen=True)
class RankBonusLine:
    period: str
    title: str
    rank: int
    shared: bool  # the rank is shared with another village
    bonus: Decimal  # 0 when the list is too short


MoneyReason = Literal["granted", "not_complete", "vetoed", "complete"]


@dataclass(frozen=True)
class MoneyLine:
    """A reward or penalty rule that matched this village's rank or from_bottom."""

    kind: Literal["reward", "penalty"]
    place: int  # the rule's rank (reward) or from_bottom (penalty)
    amount: Decimal
    granted: bool
    reason: MoneyReason


@dataclass(frozen=True)
class SheetRow:
    village: str
    name: str
    area: str | None
    rank: int
    from_bottom: int
    total: Decimal
    items: Mapping[str, ItemResult]  # in program order
    adjustments: Decimal
    adjustment_lines: tuple[AdjustmentLine, ...]
    rank_bonus: Decimal
    rank_bonus_lines: tuple[RankBonusLine, ...]
    vetoed: bool
    veto_by: tuple[IndicatorValue, ...]  # veto indicators with v > 0
    complete: bool
    unmet: tuple[str, ...]  # item ids that can be met and are not
    reward: Decimal
    penalty: Decimal
    money_lines: tuple[MoneyLine, ...]
    item_money: Decimal
    amount: Decimal
    indicators: Mapping[str, IndicatorValue]
    targets: Mapping[str, PeriodTarget]
    warnings: tuple[RowWarning, ...]
    shared_with: tuple[str, ...]  # other villages with the same rank

    @property
    def item_scores(self) -> dict[str, Decimal]:
        return {k: r.score for k, r in self.items.items()}

    @property
    def met(self) -> dict[str, bool | None]:
        return {k: r.met for k, r in self.items.items()}

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "village": self.village,
            "rank": self.rank,
            "from_bottom": self.from_bottom,
            "total": format_score(self.total),
            "items": {k: format_score(r.score) for k, r in self.items.items()},
            "adjustments": format_score(self.adjustments),
            "rank_bonus": format_score(self.rank_bonus),
            "vetoed": self.vetoed,
            "complete": self.complete,
            "reward": format_money(self.reward),
            "penalty": format_money(self.penalty),
            "amount": format_money(self.amount),
        }


@dataclass(frozen=True)
class AreaResult:
    area: str
    villages: tuple[str, ...]  # in rank order
    incomplete: tuple[str, ...]
    amount: Decimal  # reward (positive) or penalty (negative)


@dataclass(frozen=True)
class RankingSheet:
    program: str
    program_title: str
    period: str
    period_title: str
    rows: tuple[SheetRow, ...]  # rank order, ties by village id
    areas: tuple[AreaResult, ...]  # in order of first appearance in rank order
    period_ranks: Mapping[str, Mapping[str, int]] = field(default_factory=dict)  # year only
    year: int = 0
    veto_indicators: tuple[str, ...] = ()

    @property
    def area_amounts(self) -> dict[str, Decimal]:
        return {a.area: a.amount for a in self.areas}

    def row(self, village_id: str) -> SheetRow:
        for r in self.rows:
            if r.village == village_id:
                return r
        raise KeyError(village_id)

    def area(self, name: str) -> AreaResult:
        for a in self.areas:
            if a.area == name:
                return a
        raise KeyError(name)

    def to_json_dict(self) -> dict[str, Any]:
        """Exactly the `rank --json` shape of cli.md, decimals as strings."""
        return {
            "program": self.program,
            "period": self.period,
            "rows": [r.to_json_dict() for r in self.rows],
            "areas": {a.area: format_money(a.amount) for a in self.areas},
        }


# --- ranks --------------------------------------------------------------------


def competition_ranks(entries: Iterable[tuple[str, Decimal, bool]]) -> dict[str, int]:
    """Ranks for (village, total, vetoed): 1, 2, 2, 4; vetoed after all others, numbered on."""
    entries = list(entries)
    ranks: dict[str, int] = {}
    placed = 0
    for vetoed in (False, True):
        group = sorted((e for e in entries if e[2] is vetoed), key=lambda e: (-e[1], e[0]))
        previous: Decimal | None = None
        rank = 0
        for i, (village, total, _) in enumerate(group):
            if previous is None or total != previous:
                rank = placed + i + 1
                previous = total
            ranks[village] = rank
        placed += len(group)
    return ranks


def from_bottom(ranks: Mapping[str, int]) -> dict[str, int]:
    """1 + the number of villages ranked strictly below (shared last places are all 1)."""
    values = sorted(ranks.values())
    return {v: 1 + len(values) - bisect_right(values, r) for v, r in ranks.items()}


# --- scoring one village -------------------------------------------------------


@dataclass(frozen=True)
class _Scored:
    village: VillageLike
    items: dict[str, ItemResult]
    indicators: dict[str, IndicatorValue]
    targets: dict[str, PeriodTarget]
    adjustment_lines: tuple[AdjustmentLine, ...]
    adjustments: Decimal
    veto_by: tuple[IndicatorValue, ...]
    unmet: tuple[str, ...]
    warnings: tuple[RowWarning, ...]

    @property
    def vetoed(self) -> bool:
        return bool(self.veto_by)

    @property
    def complete(self) -> bool:
        return not self.vetoed and not self.unmet

    @property
    def base_total(self) -> Decimal:
        return sum((r.score for r in self.items.values()), Decimal(0)) + self.adjustments


def _indicator_value(
    indicator: Indicator, village: str, measures: VillageMeasures, inputs: SheetInputs, period: str
) -> IndicatorValue:
    common: dict[str, Any] = {
        "indicator": indicator.id,
        "title": indicator.title,
        "unit": indicator.unit,
        "kind": indicator.kind,
        "period": period,
    }
    if indicator.kind == "entered":
        entered = inputs.entered.get((village, indicator.id, period))
        exact = to_fraction(entered) if entered is not None else Fraction(0)
        return IndicatorValue(**common, exact=exact, entered=entered is not None)
    m = measures.get(indicator, period)
    return IndicatorValue(
        **common, exact=m.value, rows=m.rows, numerator_rows=m.numerator_rows, total=m.total
    )


# What one sheet has already scored, shared by all its villages and periods: many share
# a (value, target) pair or an annual target, and each scoring is exact Fraction
# arithmetic, the slowest part of a ranking. Keys hold values (a Fraction as its ratio,
# a target's annual as written, which its PeriodTarget shows); results are immutable.
_Memo = dict[tuple[Any, ...], Any]


def _exact(value: Fraction | Decimal | int) -> object:
    """A memo key part for a number: a Fraction by its ratio (its own hash is slow)."""
    return (value.numerator, value.denominator) if type(value) is Fraction else value


def _score_village(
    program: Program,
    village: VillageLike,
    measures: VillageMeasures,
    inputs: SheetInputs,
    period: str,
    memo: _Memo,
) -> _Scored:
    vid = village.id
    indicators = {
        i.id: _indicator_value(i, vid, measures, inputs, period) for i in program.indicators
    }
    targets: dict[str, PeriodTarget] = {}
    items: dict[str, ItemResult] = {}
    for item in program.items:
        items[item.id] = _score_one(program, item, vid, indicators, targets, inputs, period,
                                    memo)
    lines = []
    for adj in program.adjustments:
        count = inputs.adjustments.get((vid, adj.id, period))
        if count is not None:
            lines.append(AdjustmentLine(adj.id, adj.title, adj.points, count, adj.points * count))
    veto_by = tuple(
        indicators[i] for i in program.ranking.veto if i in indicators and indicators[i].exact > 0
    )
    unmet = tuple(k for k, r in items.items() if r.met is False)
    return _Scored(
        village=village,
        items=items,
        indicators=indicators,
        targets=targets,
        adjustment_lines=tuple(lines),
        adjustments=sum((line.subtotal for line in lines), Decimal(0)),
        veto_by=veto_by,
        unmet=unmet,
        warnings=measures.warnings,
    )


def _score_one(
    program: Program,
    item: Item,
    village: str,
    indicators: Mapping[str, IndicatorValue],
    targets: dict[str, PeriodTarget],
    inputs: SheetInputs,
    period: str,
    memo: _Memo,
) -> ItemResult:
    if item.rule == "manual" or item.indicator is None:
        manual = inputs.manual.get((village, item.id, period))
        key: tuple[Any, ...] = ("manual", item.id, manual)
        scored = memo.get(key)
        if scored is None:
            scored = memo[key] = score_item(item, None, 0, manual)
        return ItemResult(item.id, item.title, item.section, None, None, scored, item)
    indicator = program.indicator(item.indicator)
    if indicator.id not in targets:
        annual = inputs.targets.get((village, indicator.id))
        key = ("target", indicator.id, None if annual is None else str(annual), period)
        found = memo.get(key)
        if found is None:
            found = memo[key] = period_target(program, indicator, annual, period)
        targets[indicator.id] = found
    target = targets[indicator.id]
    value = indicators[indicator.id]
    key = ("score", item.id, _exact(value.exact), _exact(target.value))
    scored = memo.get(key)
    if scored is None:
        scored = memo[key] = score_item(item, value.exact, target.value)
    return ItemResult(item.id, item.title, item.section, value, target, scored, item)


# --- the sheet ------------------------------------------------------------------


def _check_call(
    program: Program,
    villages: Sequence[VillageLike],
    measures: Mapping[str, VillageMeasures],
    period_id: str,
) -> None:
    if period_id not in program.period_ids:
        raise RankingError(Message("sheet.no-period", program=program.id, period=period_id))
    ids = [v.id for v in villages]
    if len(set(ids)) != len(ids):
        raise RankingError("a village is listed twice")
    for vid, m in measures.items():
        if m.program != program.id:
            raise RankingError(f"measures of {vid} are for program {m.program!r}")


def _score_all(
    program: Program,
    villages: Sequence[VillageLike],
    measures: Mapping[str, VillageMeasures],
    inputs: SheetInputs,
    period_id: str,
    memo: _Memo,
) -> dict[str, _Scored]:
    return {
        v.id: _score_village(
            program, v, measures.get(v.id) or VillageMeasures(program.id), inputs, period_id,
            memo,
        )
        for v in villages
    }


def _rank_bonus_lines(
    program: Program,
    villages: Sequence[VillageLike],
    measures: Mapping[str, VillageMeasures],
    inputs: SheetInputs,
    memo: _Memo,
) -> tuple[dict[str, list[RankBonusLine]], dict[str, dict[str, int]]]:
    bonuses = program.ranking.period_rank_bonus
    lines: dict[str, list[RankBonusLine]] = {v.id: [] for v in villages}
    period_ranks: dict[str, dict[str, int]] = {}
    if not bonuses:
        return lines, period_ranks
    for period in program.periods:
        scored = _score_all(program, villages, measures, inputs, period.id, memo)
        ranks = competition_ranks((k, s.base_total, s.vetoed) for k, s in scored.items())
        period_ranks[period.id] = ranks
        counts: dict[int, int] = {}
        for r in ranks.values():
            counts[r] = counts.get(r, 0) + 1
        for vid, r in ranks.items():
            bonus = bonuses[r - 1] if r <= len(bonuses) else Decimal(0)
            lines[vid].append(RankBonusLine(period.id, period.title, r, counts[r] > 1, bonus))
    return lines, period_ranks


def _money_lines(
    program: Program, rank: int, bottom: int, vetoed: bool, complete: bool
) -> tuple[MoneyLine, ...]:
    out: list[MoneyLine] = []
    for reward in program.ranking.rewards:
        if reward.rank != rank:
            continue
        if vetoed:
            out.append(MoneyLine("reward", reward.rank, reward.amount, False, "vetoed"))
        elif reward.requires_complete and not complete:
            out.append(MoneyLine("reward", reward.rank, reward.amount, False, "not_complete"))
        else:
            out.append(MoneyLine("reward", reward.rank, reward.amount, True, "granted"))
    for penalty in program.ranking.penalties:
        if penalty.from_bottom != bottom:
            continue
        if penalty.requires_incomplete and complete:
            out.append(MoneyLine("penalty", penalty.from_bottom, penalty.amount, False, "complete"))
        else:
            out.append(MoneyLine("penalty", penalty.from_bottom, penalty.amount, True, "granted"))
    return tuple(out)


def rank_sheet(
    program: Program,
    villages: Iterable[VillageLike],
    measures_by_village: Mapping[str, VillageMeasures],
    inputs: SheetInputs,
    period_id: str,
) -> RankingSheet:
    """The ranking sheet of `program` for `period_id` (a period id or "year").

    A village with no entry in `measures_by_village` has an empty ledger.
    Raises RankingError for an unknown period, a village listed twice, or
    measures made for another program.
    """
    villages = list(villages)
    _check_call(program, villages, measures_by_village, period_id)
    memo: _Memo = {}
    scored = _score_all(program, villages, measures_by_village, inputs, period_id, memo)
    bonus_lines: dict[str, list[RankBonusLine]] = {v.id: [] for v in villages}
    period_ranks: dict[str, dict[str, int]] = {}
    if period_id == YEAR:
        bonus_lines, period_ranks = _rank_bonus_lines(
            program, villages, measures_by_village, inputs, memo
        )
    totals = {
        vid: s.base_total + sum((b.bonus for b in bonus_lines[vid]), Decimal(0))
        for vid, s in scored.items()
    }
    ranks = competition_ranks((vid, totals[vid], s.vetoed) for vid, s in scored.items())
    bottoms = from_bottom(ranks)
    by_rank: dict[int, list[str]] = {}
    for vid in sorted(ranks):
        by_rank.setdefault(ranks[vid], []).append(vid)
    rows = []
    for vid in sorted(ranks, key=lambda k: (ranks[k], k)):
        s = scored[vid]
        money = _money_lines(program, ranks[vid], bottoms[vid], s.vetoed, s.complete)
        reward = sum((m.amount for m in money if m.kind == "reward" and m.granted), Decimal(0))
        penalty = sum((m.amount for m in money if m.kind == "penalty" and m.granted), Decimal(0))
        item_money = sum((r.money for r in s.items.values()), Decimal(0))
        rows.append(
            SheetRow(
                village=vid,
                name=s.village.name,
                area=s.village.area,
                rank=ranks[vid],
                from_bottom=bottoms[vid],
                total=totals[vid],
                items=s.items,
                adjustments=s.adjustments,
                adjustment_lines=s.adjustment_lines,
                rank_bonus=sum((b.bonus for b in bonus_lines[vid]), Decimal(0)),
                rank_bonus_lines=tuple(bonus_lines[vid]),
                vetoed=s.vetoed,
                veto_by=s.veto_by,
                complete=s.complete,
                unmet=s.unmet,
                reward=reward,
                penalty=penalty,
                money_lines=money,
                item_money=item_money,
                amount=reward - penalty + item_money,
                indicators=s.indicators,
                targets=s.targets,
                warnings=s.warnings,
                shared_with=tuple(k for k in by_rank[ranks[vid]] if k != vid),
            )
        )
    return RankingSheet(
        program=program.id,
        program_title=program.title,
        period=period_id,
        period_title=program.period(period_id).title,
        rows=tuple(rows),
        areas=_areas(program, rows),
        period_ranks=period_ranks,
        year=program.year,
        veto_indicators=program.ranking.veto,
    )


def _areas(program: Program, rows: Sequence[SheetRow]) -> tuple[AreaResult, ...]:
    rules = program.ranking.areas
    if rules is None:
        return ()
    members: dict[str, list[SheetRow]] = {}
    for row in rows:  # rank order, so areas come in order of first appearance
        if row.area:
            members.setdefault(row.area, []).append(row)
    out = []
    for area, group in members.items():
        incomplete = tuple(r.village for r in group if not r.complete)
        amount = -rules.penalty_if_any_incomplete if incomplete else rules.reward_if_all_complete
        out.append(AreaResult(area, tuple(r.village for r in group), incomplete, amount))
    return tuple(out)


# --- validating the township's sheets --------------------------------------------


ProblemCode = Literal[
    "unknown_village",
    "unknown_indicator",
    "unknown_item",
    "unknown_adjustment",
    "unknown_period",
    "not_entered",
    "not_manual",
    "negative",
    "above_points",
    "not_whole",
]

# The catalogue's id for each problem code.
_PROBLEM_IDS: dict[str, str] = {
    "unknown_village": "sheet.unknown-village",
    "unknown_indicator": "sheet.unknown-indicator",
    "unknown_item": "sheet.unknown-item",
    "unknown_adjustment": "sheet.unknown-adjustment",
    "unknown_period": "sheet.unknown-period",
    "not_entered": "sheet.not-entered",
    "not_manual": "sheet.not-manual",
    "negative": "sheet.negative",
    "above_points": "sheet.above-points",
    "not_whole": "sheet.not-whole",
}
_NEEDS = {"sheet.negative": ("value",), "sheet.above-points": ("value", "limit"),
          "sheet.not-whole": ("value",)}  # fmt: skip
_ABOUT_PROGRAM = {"sheet.unknown-indicator", "sheet.unknown-item", "sheet.unknown-adjustment",
                  "sheet.unknown-period"}  # fmt: skip


@dataclass(frozen=True)
class InputProblem:
    """One refused entry of a township sheet."""

    sheet: Literal["targets", "entered", "manual", "adjustments"]
    key: tuple[str, ...]  # the entry's key, e.g. (village, item, period)
    code: ProblemCode
    name: str  # the id the problem is about
    value: Decimal | None = None
    limit: Decimal | None = None
    program: str = ""

    @property
    def said(self) -> Message:
        """What is wrong with the entry, without naming the sheet and the entry."""
        key = _PROBLEM_IDS[self.code]
        args: dict[str, object] = {"name": self.name}
        if key in _ABOUT_PROGRAM:
            args["program"] = self.program
        for name in _NEEDS.get(key, ()):
            number = getattr(self, name)
            args[name] = "" if number is None else _plain(number)
        return Message(key, **args)

    def message(self, lang: str = "en") -> str:
        entry = Message("sheet.entry", sheet=self.sheet, key=",".join(self.key), problem=self.said)
        return entry.text(lang)


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral_value() else str(value)


def check_inputs(
    program: Program, villages: Iterable[VillageLike] | None, inputs: SheetInputs
) -> list[InputProblem]:
    """Every problem with the township's sheets; empty when all entries may be written.

    `villages` None skips the roster check (a sheet checked before offices exist).
    """
    known = None if villages is None else {v.id for v in villages}
    indicators = {i.id: i for i in program.indicators}
    items = {i.id: i for i in program.items}
    adjustments = {a.id for a in program.adjustments}
    periods = set(program.period_ids)
    problems: list[InputProblem] = []

    def add(sheet: Any, key: tuple[str, ...], code: ProblemCode, name: str, **kw: Any) -> None:
        problems.append(InputProblem(sheet, key, code, name, program=program.id, **kw))

    def village_ok(sheet: str, key: tuple[str, ...]) -> None:
        if known is not None and key[0] not in known:
            add(sheet, key, "unknown_village", key[0])

    def period_ok(sheet: str, key: tuple[str, ...]) -> None:
        if key[2] not in periods:
            add(sheet, key, "unknown_period", key[2])

    key: tuple[str, ...]  # the sheets' keys differ in length: (village, indicator[, period])
    for key, value in inputs.targets.items():
        village_ok("targets", key)
        if key[1] not in indicators:
            add("targets", key, "unknown_indicator", key[1])
        if value < 0:
            add("targets", key, "negative", key[1], value=value)
    for key in inputs.entered:
        village_ok("entered", key)
        if key[1] not in indicators:
            add("entered", key, "unknown_indicator", key[1])
        elif indicators[key[1]].kind != "entered":
            add("entered", key, "not_entered", key[1])
        period_ok("entered", key)
    for key, value in inputs.manual.items():
        village_ok("manual", key)
        item = items.get(key[1])
        if item is None:
            add("manual", key, "unknown_item", key[1])
        elif item.rule != "manual":
            add("manual", key, "not_manual", key[1])
        elif value > item.points:
            add("manual", key, "above_points", key[1], value=value, limit=item.points)
        if value < 0:
            add("manual", key, "negative", key[1], value=value)
        period_ok("manual", key)
    for key, value in inputs.adjustments.items():
        village_ok("adjustments", key)
        if key[1] not in adjustments:
            add("adjustments", key, "unknown_adjustment", key[1])
        if value < 0:
            add("adjustments", key, "negative", key[1], value=value)
        elif value != value.to_integral_value():
            add("adjustments", key, "not_whole", key[1], value=value)
        period_ok("adjustments", key)
    return problems
