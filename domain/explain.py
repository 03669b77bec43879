"""Explanations (spec §7): how every number in a village's row was reached.

`explain_village(sheet, village)` gives a list of `Step`s: plain data (a kind,
the id it is about, and parameters with numbers as Decimal and row ids as
strings), so the UI can show them in a drill-down and the CLI can print them.
`describe(step)` is what a step says (a catalogue `Message`, in either language);
`render(steps, lang, rows)` writes one line per step in Chinese or English, with the
numbers filled in, so an assessor can check the sheet by hand; `rows` (row id -> how a
clerk knows the row: its date and first cells) names the counted rows, else their ids.
`marks_line(row)` says what the sheet's marks column shows for a village, and why.

Step kinds and their parameters:

- warning: row, reason (no_date|outside_year|bad_date), date, year
- indicator: title, unit, kind, period, value, rows, numerator_rows, total, entered
- target: indicator, title, method, annual, annual_set, value, period, period_title,
  shares, total_share, and when split: share, exact, floor, extra
- rule: item, title, rule, branch, points, bonus, penalty, v, t, level, over, under,
  raw, threshold_given
- clamp: item, side (min|max), raw, bound, result
- round: item, before, score
- met: item, title, met, v, level, level_name (t|h|max(t,1))
- money: item, title, per_unit, v, per_missing, under, money
- adjustment: title, points, count, subtotal
- rank_bonus: period, title, rank, shared, bonus
- total: items, adjustments, rank_bonus, total, year
- veto: title, unit, value, vetoed, rows, entered, kind
- complete: complete, vetoed, unmet (titles)
- rank: rank, villages, shared_with, vetoed, from_bottom
- reward / penalty: place, amount, granted, reason
- amount: reward, penalty, item_money, amount
- area: area, villages, incomplete, amount
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal

from vledger.domain.decimals import format_money, format_number, format_score, to_decimal
from vledger.domain.program import YEAR
from vledger.domain.ranking import IndicatorValue, ItemResult, RankingSheet, SheetRow
from vledger.domain.targets import PeriodTarget
from vledger.messages import Message, PerLang

StepKind = Literal[
    "warning", "indicator", "target", "rule", "clamp", "round", "met", "money",
    "adjustment", "rank_bonus", "total", "veto", "complete", "rank", "reward", "penalty",
    "amount", "area",
]  # fmt: skip

Lang = Literal["zh", "en"]
ROW_IDS_SHOWN = 12  # a line lists at most this many row ids, then "+N"
ROW_LABELS_SHOWN = 6  # or this many rows named by date and cells (longer)
SHORT_ID = 8  # row ids are this long; anything longer is a label


@dataclass(frozen=True)
class Step:
    """One line of an explanation."""

    kind: StepKind
    subject: str = ""  # the item, indicator, adjustment, period or area it is about
    params: Mapping[str, Any] = field(default_factory=dict)

    def to_plain(self) -> dict[str, Any]:
        """JSON-ready: decimals as strings, tuples as lists."""
        return {"kind": self.kind, "subject": self.subject, "params": _plain(self.params)}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _d(value: Fraction | Decimal | int | None) -> Decimal | None:
    return None if value is None else to_decimal(value)


# --- building steps -------------------------------------------------------------


def explain_village(sheet: RankingSheet, village_id: str) -> list[Step]:
    """Every step behind `village_id`'s row of `sheet` (KeyError if it is not on it)."""
    row = sheet.row(village_id)
    steps: list[Step] = [_warning(w, sheet) for w in row.warnings]
    for result in row.items.values():
        steps.extend(_item_steps(result, sheet))
    steps.extend(_veto_steps(sheet, row))
    steps.extend(
        Step("adjustment", a.adjustment, {
            "title": a.title, "points": a.points, "count": a.count, "subtotal": a.subtotal,
        })
        for a in row.adjustment_lines
    )  # fmt: skip
    steps.extend(
        Step("rank_bonus", b.period, {
            "period": b.period, "title": b.title, "rank": b.rank, "shared": b.shared,
            "bonus": b.bonus,
        })
        for b in row.rank_bonus_lines
    )  # fmt: skip
    item_sum = sum((r.score for r in row.items.values()), Decimal(0))
    steps.append(Step("total", row.village, {
        "items": item_sum, "adjustments": row.adjustments, "rank_bonus": row.rank_bonus,
        "total": row.total, "year": sheet.period == YEAR,
    }))  # fmt: skip
    unmet_titles = tuple(row.items[i].title for i in row.unmet)
    steps.append(Step("complete", row.village, {
        "complete": row.complete, "vetoed": row.vetoed, "unmet": unmet_titles,
    }))  # fmt: skip
    steps.append(Step("rank", row.village, {
        "rank": row.rank, "villages": len(sheet.rows), "shared_with": row.shared_with,
        "vetoed": row.vetoed, "from_bottom": row.from_bottom,
    }))  # fmt: skip
    steps.extend(
        Step(m.kind, str(m.place), {
            "place": m.place, "amount": m.amount, "granted": m.granted, "reason": m.reason,
        })
        for m in row.money_lines
    )  # fmt: skip
    steps.append(Step("amount", row.village, {
        "reward": row.reward, "penalty": row.penalty, "item_money": row.item_money,
        "amount": row.amount,
    }))  # fmt: skip
    steps.extend(_area_steps(sheet, row))
    return steps


def _warning(w: Any, sheet: RankingSheet) -> Step:
    return Step("warning", w.row, {
        "row": w.row, "reason": w.reason, "date": w.date, "year": sheet.year,
    })  # fmt: skip


def _indicator_step(value: IndicatorValue, period_title: str) -> Step:
    return Step("indicator", value.indicator, {
        "title": value.title, "unit": value.unit, "kind": value.kind, "period": value.period,
        "period_title": period_title, "value": value.value, "rows": value.rows,
        "numerator_rows": value.numerator_rows, "total": value.total, "entered": value.entered,
    })  # fmt: skip


def _target_step(target: PeriodTarget, title: str, period_title: str) -> Step:
    params: dict[str, Any] = {
        "indicator": target.indicator, "title": title, "method": target.method,
        "annual": target.annual, "annual_set": target.annual_set, "value": _d(target.value),
        "period": target.period, "period_title": period_title,
        "shares": tuple(p.share for p in target.parts), "total_share": target.total_share,
    }  # fmt: skip
    mine = [p for p in target.parts if p.period == target.period]
    if mine:
        part = mine[0]
        params.update(share=part.share, exact=_d(part.exact), floor=part.floor, extra=part.extra)
    return Step("target", target.indicator, params)


def _item_steps(result: ItemResult, sheet: RankingSheet) -> list[Step]:
    s, item = result.scored, result.definition
    steps: list[Step] = []
    if result.indicator is not None:
        steps.append(_indicator_step(result.indicator, sheet.period_title))
    if result.target is not None and _target_matters(result):
        steps.append(_target_step(result.target, result.indicator.title if result.indicator
                                  else result.title, sheet.period_title))  # fmt: skip
    steps.append(Step("rule", item.id, {
        "title": result.title, "rule": item.rule, "branch": s.branch, "points": item.points,
        "bonus": item.bonus, "penalty": item.penalty, "v": _d(s.v), "t": _d(s.t),
        "level": _d(s.level), "over": _d(s.over), "under": _d(s.under), "raw": _d(s.raw),
        "threshold_given": item.threshold is not None,
    }))  # fmt: skip
    if s.clamp is not None:
        steps.append(Step("clamp", item.id, {
            "title": result.title, "side": s.clamp, "raw": _d(s.raw),
            "bound": item.min if s.clamp == "min" else item.max, "result": _d(s.clamped),
        }))  # fmt: skip
    if Fraction(s.score) != s.clamped:
        steps.append(Step("round", item.id, {
            "title": result.title, "before": _d(s.clamped), "score": s.score,
        }))  # fmt: skip
    if s.met is not None:
        name = "h" if item.rule in ("threshold", "full_at") else "t"
        steps.append(Step("met", item.id, {
            "title": result.title, "met": s.met, "v": _d(s.v), "level": _d(s.t if name == "t"
                                                                             else s.level),
            "level_name": name,
        }))  # fmt: skip
    if item.money_per_unit or item.money_per_missing:
        steps.append(Step("money", item.id, {
            "title": result.title, "per_unit": item.money_per_unit, "v": _d(s.v),
            "per_missing": item.money_per_missing, "under": _d(s.under), "money": s.money,
        }))  # fmt: skip
    return steps


def _target_matters(result: ItemResult) -> bool:
    """Whether the target enters this item's numbers (score, met or money)."""
    item = result.definition
    if item.money_per_missing:
        return True
    if item.rule == "per_event":
        return False
    return not (item.rule in ("threshold", "full_at") and item.threshold is not None)


def _veto_steps(sheet: RankingSheet, row: SheetRow) -> list[Step]:
    steps = []
    for indicator_id in sheet.veto_indicators:
        value = row.indicators[indicator_id]
        steps.append(Step("veto", indicator_id, {
            "title": value.title, "unit": value.unit, "value": value.value,
            "vetoed": value.exact > 0, "rows": value.rows, "entered": value.entered,
            "kind": value.kind,
        }))  # fmt: skip
    return steps


def _area_steps(sheet: RankingSheet, row: SheetRow) -> list[Step]:
    if row.area is None:
        return []
    for area in sheet.areas:
        if area.area == row.area:
            return [Step("area", area.area, {
                "area": area.area, "villages": area.villages, "incomplete": area.incomplete,
                "amount": area.amount,
            })]  # fmt: skip
    return []


# --- rendering -------------------------------------------------------------------


def render(steps: Sequence[Step], lang: str = "zh",
           rows: Mapping[str, str] | None = None) -> list[str]:
    """One line per step, in Chinese ("zh") or English ("en"); `rows` names the rows."""
    return [describe(s, rows).text(lang) for s in steps]


def describe(step: Step, rows: Mapping[str, str] | None = None) -> Message:
    """What one step says, in whichever language it is shown; rows named by `rows` (row
    id -> label) where it has them."""
    params = step.params if not rows else _labelled(step.params, rows)
    return _DESCRIBE[step.kind](params)


def _labelled(params: Mapping[str, Any], rows: Mapping[str, str]) -> dict[str, Any]:
    out = dict(params)
    for key in ("rows", "numerator_rows"):
        if isinstance(out.get(key), list | tuple):
            out[key] = tuple(rows.get(r, r) for r in out[key])
    if isinstance(out.get("row"), str):
        out["row"] = rows.get(out["row"], out["row"])
    return out


def marks_line(row: SheetRow) -> Message:
    """What the sheet's marks column shows for `row`, each mark with its reason, or why
    it shows none."""
    said: list[Message] = []
    if row.vetoed:
        said.append(Message("explain.marks.vetoed"))
    elif row.complete:
        said.append(Message("explain.marks.complete"))
    if row.warnings:
        said.append(Message("explain.marks.warnings", count=len(row.warnings)))
    if not said:
        return Message("explain.marks.none")
    return Message("explain.marks", marks=said)


def n(value: Any) -> str:
    return "0" if value is None else format_number(value)


def _ids(ids: Sequence[str]) -> Message | tuple[str, ...]:
    limit = ROW_IDS_SHOWN if all(len(i) <= SHORT_ID for i in ids) else ROW_LABELS_SHOWN
    if len(ids) > limit:
        shown = tuple(ids[:limit])
        return Message("explain.rows-more", shown=shown, more=len(ids) - limit)
    return tuple(ids)


def _quantity(value: str, unit: str) -> Message | str:
    return Message("explain.quantity", value=value, unit=unit) if unit else value


def _r_warning(p: Mapping[str, Any]) -> Message:
    row, date = p["row"], p["date"]
    if p["reason"] == "no_date":
        return Message("explain.warning.no-date", row=row)
    if p["reason"] == "bad_date":
        return Message("explain.warning.bad-date", row=row, date=date)
    return Message("explain.warning.outside-year", row=row, date=date, year=p["year"])


def _period(p: Mapping[str, Any]) -> Message | PerLang:
    if p["period"] == YEAR:
        return Message("explain.year")
    # Period titles are the township's own words (第一阶段); English shows the id.
    return PerLang(zh=p["period_title"], en=p["period"])


def _r_indicator(p: Mapping[str, Any]) -> Message:
    return Message("explain.indicator", title=p["title"], period=_period(p), detail=_measured(p))


def _measured(p: Mapping[str, Any]) -> Message:
    unit = p["unit"]
    kind, rows = p["kind"], p["rows"]
    if kind == "entered":
        if p["entered"]:
            return Message("explain.indicator.entered", qty=_quantity(n(p["value"]), unit))
        return Message("explain.indicator.not-entered")
    if kind == "count":
        if not rows:
            return Message("explain.indicator.count-none", qty=_quantity("0", unit))
        return Message(
            "explain.indicator.count", qty=_quantity(str(len(rows)), unit), rows=_ids(rows)
        )
    if kind == "sum":
        if not rows:
            return Message("explain.indicator.sum-none", qty=_quantity("0", unit))
        return Message(
            "explain.indicator.sum",
            qty=_quantity(n(p["total"]), unit), count=len(rows), rows=_ids(rows),
        )
    num = p["numerator_rows"]
    if not rows:
        return Message("explain.indicator.rate-none")
    return Message(
        "explain.indicator.rate",
        num=len(num), den=len(rows), value=n(p["value"]),
        num_rows=_ids(num) if num else Message("explain.none"), den_rows=_ids(rows),
    )


def _r_target(p: Mapping[str, Any]) -> Message:
    title = p["title"]
    if not p["annual_set"]:
        return Message("explain.target.not-set", title=title)
    annual, method = n(p["annual"]), p["method"]
    if method == "year":
        return Message("explain.target.year", title=title, annual=annual)
    if method == "rate_level":
        return Message("explain.target.rate-level", title=title, annual=annual)
    if method == "no_shares":
        return Message("explain.target.no-shares", title=title, annual=annual)
    split = {
        "title": title, "annual": annual, "shares": ":".join(n(s) for s in p["shares"]),
        "period": _period(p), "value": n(p["value"]), "share": n(p["share"]),
        "total_share": n(p["total_share"]), "exact": n(p["exact"]),
    }  # fmt: skip
    if method == "proportion":
        return Message("explain.target.proportion", **split)
    return Message("explain.target.split", floor=p["floor"], extra=p["extra"], **split)


_RULE_NAME = {
    "proportional": "explain.rule.proportional",
    "linear": "explain.rule.linear",
    "threshold": "explain.rule.threshold",
    "full_at": "explain.rule.full-at",
    "per_event": "explain.rule.per-event",
    "check": "explain.rule.check",
    "manual": "explain.rule.manual",
}

# Each branch of a rule (rules.py) and the numbers its formula shows. A bonus or penalty
# term shows only when it adds or takes something ("+ 0.5 × 0" says nothing).
_FORMULA: dict[str, tuple[str, tuple[str, ...]]] = {
    "proportional": ("explain.formula.proportional", ("points", "v", "t", "raw")),
    "proportional_zero": ("explain.formula.proportional-zero", ("points", "raw")),
    "linear": ("explain.formula.linear", ("points", "raw")),
    "threshold": ("explain.formula.threshold", ("points", "raw")),
    "full_at_reached": ("explain.formula.full-at-reached", ("v", "h", "points")),
    "full_at_part": ("explain.formula.full-at-part", ("points", "v", "h", "raw")),
    "full_at_zero": ("explain.formula.full-at-zero", ("points",)),
    "per_event": ("explain.formula.per-event", ("points", "penalty", "v", "raw")),
    "check_reached": ("explain.formula.check-reached", ("v", "t", "points")),
    "check_missed": ("explain.formula.check-missed", ("v", "t")),
    "manual": ("explain.formula.manual", ("v", "points")),
    "manual_missing": ("explain.formula.manual-missing", ()),
}
# Branches whose formula ends in the bonus above and the penalty below a mark: which mark,
# and the amounts above and below it.
_TERMS: dict[str, tuple[str, str, str]] = {
    "proportional": ("explain.level.target", "over", ""),
    "proportional_zero": ("explain.level.target", "v", ""),
    "linear": ("explain.level.target", "over", "under"),
    "threshold": ("explain.level.threshold", "above_h", "below_h"),
}


def _terms(branch: str, p: Mapping[str, Any]) -> dict[str, Message | str]:
    """The `extra` (bonus) and `minus` (penalty) parts of a formula: empty when zero."""
    if branch not in _TERMS:
        return {}
    mark, above, below = _TERMS[branch]
    v, level = p["v"] or 0, p["level"] or 0
    amounts = {"over": p["over"], "under": p["under"], "v": p["v"],
               "above_h": max(v - level, 0), "below_h": max(level - v, 0)}
    terms: dict[str, Message | str] = {"extra": ""}
    if p["bonus"] and amounts[above]:
        terms["extra"] = Message("explain.formula.above", bonus=n(p["bonus"]),
                                 over=n(amounts[above]), what=Message(mark))
    if below:
        terms["minus"] = ""
    if below and p["penalty"] and amounts[below]:
        terms["minus"] = Message("explain.formula.below", penalty=n(p["penalty"]),
                                 under=n(amounts[below]), what=Message(mark))
    return terms


def _r_rule(p: Mapping[str, Any]) -> Message:
    v, t = p["v"], p["t"]
    numbers = {
        "points": n(p["points"]), "penalty": n(p["penalty"]), "v": n(v), "t": n(t),
        "h": n(p["level"]), "raw": format_number(p["raw"], approx_places=4),
    }  # fmt: skip
    key, shown = _FORMULA[p["branch"]]
    formula = Message(key, **{name: numbers[name] for name in shown},
                      **_terms(p["branch"], p))
    if p["rule"] in ("threshold", "full_at") and not p["threshold_given"]:
        formula = Message("explain.formula.level-is-target", formula=formula)
    rule = Message(_RULE_NAME[p["rule"]])
    return Message("explain.rule", title=p["title"], rule=rule, formula=formula)


def _r_clamp(p: Mapping[str, Any]) -> Message:
    key = "explain.clamp.max" if p["side"] == "max" else "explain.clamp.min"
    return Message(key, title=p["title"], raw=n(p["raw"]), bound=n(p["bound"]))


def _r_round(p: Mapping[str, Any]) -> Message:
    before, score = format_number(p["before"], approx_places=4), format_score(p["score"])
    return Message("explain.round", title=p["title"], before=before, score=score)


def _r_met(p: Mapping[str, Any]) -> Message:
    what = Message("explain.level.target" if p["level_name"] == "t" else "explain.level.threshold")
    return Message(
        "explain.met" if p["met"] else "explain.not-met",
        title=p["title"], v=n(p["v"]), what=what, level=n(p["level"]),
    )


def _r_money(p: Mapping[str, Any]) -> Message:
    return Message(
        "explain.money",
        title=p["title"], per_unit=n(p["per_unit"]), v=n(p["v"]),
        per_missing=n(p["per_missing"]), under=n(p["under"]), money=format_money(p["money"]),
    )


def _r_adjustment(p: Mapping[str, Any]) -> Message:
    return Message(
        "explain.adjustment",
        title=p["title"], count=n(p["count"]), points=n(p["points"]), subtotal=n(p["subtotal"]),
    )


def _r_rank_bonus(p: Mapping[str, Any]) -> Message:
    shared = Message("explain.shared") if p["shared"] else ""
    if p["bonus"]:
        return Message(
            "explain.rank-bonus", title=p["title"], rank=p["rank"], shared=shared,
            bonus=n(p["bonus"]),
        )
    return Message("explain.rank-bonus.none", title=p["title"], rank=p["rank"], shared=shared)


def _r_total(p: Mapping[str, Any]) -> Message:
    items, adj, bonus, total = (
        format_score(p[k]) for k in ("items", "adjustments", "rank_bonus", "total")
    )
    if p["year"]:
        return Message(
            "explain.total.year", items=items, adjustments=adj, bonus=bonus, total=total
        )
    return Message("explain.total", items=items, adjustments=adj, total=total)


def _r_veto(p: Mapping[str, Any]) -> Message:
    qty = _quantity(n(p["value"]), p["unit"])
    return Message("explain.veto.yes" if p["vetoed"] else "explain.veto.no", title=p["title"],
                   qty=qty)  # fmt: skip


def _r_complete(p: Mapping[str, Any]) -> Message:
    if p["complete"]:
        return Message("explain.complete.yes")
    reasons: list[Message] = []
    if p["vetoed"]:
        reasons.append(Message("explain.complete.vetoed"))
    if p["unmet"]:
        reasons.append(Message("explain.complete.unmet", items=p["unmet"]))
    return Message("explain.complete.no", reasons=reasons)


def _r_rank(p: Mapping[str, Any]) -> Message:
    shared = p["shared_with"]
    return Message(
        "explain.rank",
        rank=p["rank"], count=p["villages"], bottom=p["from_bottom"],
        shared=Message("explain.rank.shared", villages=shared) if shared else "",
        vetoed=Message("explain.rank.vetoed") if p["vetoed"] else "",
    )


def _r_reward(p: Mapping[str, Any]) -> Message:
    if p["granted"]:
        key = "explain.reward"
    elif p["reason"] == "vetoed":
        key = "explain.reward.vetoed"
    else:
        key = "explain.reward.incomplete"
    return Message(key, place=p["place"], amount=format_money(p["amount"]))


def _r_penalty(p: Mapping[str, Any]) -> Message:
    key = "explain.penalty" if p["granted"] else "explain.penalty.complete"
    return Message(key, place=p["place"], amount=format_money(p["amount"]))


def _r_amount(p: Mapping[str, Any]) -> Message:
    reward, penalty, item_money, amount = (
        format_money(p[k]) for k in ("reward", "penalty", "item_money", "amount")
    )
    return Message(
        "explain.amount", reward=reward, penalty=penalty, item_money=item_money, amount=amount
    )


def _r_area(p: Mapping[str, Any]) -> Message:
    money = format_money(abs(p["amount"]))
    if not p["incomplete"]:
        return Message("explain.area.complete", area=p["area"], money=money)
    return Message(
        "explain.area.incomplete", area=p["area"], villages=p["incomplete"], money=money
    )


_DESCRIBE = {
    "warning": _r_warning, "indicator": _r_indicator, "target": _r_target, "rule": _r_rule,
    "clamp": _r_clamp, "round": _r_round, "met": _r_met, "money": _r_money,
    "adjustment": _r_adjustment, "rank_bonus": _r_rank_bonus, "total": _r_total,
    "veto": _r_veto, "complete": _r_complete, "rank": _r_rank, "reward": _r_reward,
    "penalty": _r_penalty, "amount": _r_amount, "area": _r_area,
}  # fmt: skip
