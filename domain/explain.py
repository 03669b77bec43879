"""Explanations (spec §7): how every number in a village's row was reached.

`explain_village(sheet, village)` gives a list of `Step`s: plain data (a kind,
the id it is about, and parameters with numbers as Decimal and row ids as
strings), so the UI can show them in a drill-down and the CLI can print them.
`render(steps, lang)` writes one line per step in Chinese or English, with the
numbers filled in, so an assessor can check the sheet by hand.

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

StepKind = Literal[
    "warning", "indicator", "target", "rule", "clamp", "round", "met", "money",
    "adjustment", "rank_bonus", "total", "veto", "complete", "rank", "reward", "penalty",
    "amount", "area",
]  # fmt: skip

Lang = Literal["zh", "en"]
ROW_IDS_SHOWN = 12  # a line lists at most this many row ids, then "+N"


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


def render(steps: Sequence[Step], lang: str = "zh") -> list[str]:
    """One line per step, in Chinese ("zh") or English ("en")."""
    zh = lang == "zh"
    return [_RENDER[s.kind](s.params, zh) for s in steps]


def n(value: Any) -> str:
    return "0" if value is None else format_number(value)


def _ids(ids: Sequence[str], zh: bool) -> str:
    sep = "、" if zh else ", "
    shown = sep.join(ids[:ROW_IDS_SHOWN])
    if len(ids) > ROW_IDS_SHOWN:
        more = len(ids) - ROW_IDS_SHOWN
        shown += f"{sep}…（另 {more} 行）" if zh else f", … (+{more} more)"
    return shown


def _r_warning(p: Mapping[str, Any], zh: bool) -> str:
    row, date = p["row"], p["date"]
    if p["reason"] == "no_date":
        return (
            f"台账行 {row} 未填日期，不计入任何阶段"
            if zh
            else (f"row {row} has no date: counted in no period")
        )
    if p["reason"] == "bad_date":
        return (
            f"台账行 {row} 日期“{date}”无法识别，不计入任何阶段"
            if zh
            else (f"row {row} has an unreadable date {date!r}: counted in no period")
        )
    return f"台账行 {row} 日期 {date} 不在 {p['year']} 年内，不计入任何阶段" if zh else (
        f"row {row} is dated {date}, outside {p['year']}: counted in no period")  # fmt: skip


def _period(p: Mapping[str, Any], zh: bool) -> str:
    if p["period"] == YEAR:
        return "全年" if zh else "year"
    return p["period_title"] if zh else p["period"]


def _r_indicator(p: Mapping[str, Any], zh: bool) -> str:
    head = f"{p['title']}（{_period(p, zh)}）：" if zh else f"{p['title']} ({_period(p, zh)}): "
    unit = p["unit"]
    kind, rows = p["kind"], p["rows"]
    if kind == "entered":
        if p["entered"]:
            return head + (
                f"乡镇录入 {n(p['value'])}{unit}"
                if zh
                else f"entered by the township: {n(p['value'])} {unit}".rstrip()
            )
        return head + ("乡镇未录入，按 0 计" if zh else "not entered by the township, counts as 0")
    if kind == "count":
        if not rows:
            return head + (
                f"0{unit}，没有符合条件的台账行" if zh else f"0 {unit}, no matching rows"
            )
        return head + (
            f"{len(rows)}{unit}，台账行 {_ids(rows, True)}"
            if zh
            else f"{len(rows)} {unit}, rows {_ids(rows, False)}"
        )
    if kind == "sum":
        if not rows:
            return head + (
                f"合计 0{unit}，没有符合条件的台账行" if zh else f"total 0 {unit}, no rows"
            )
        return head + (
            f"合计 {n(p['total'])}{unit}，来自 {len(rows)} 行：{_ids(rows, True)}"
            if zh
            else f"total {n(p['total'])} {unit} from {len(rows)} rows: {_ids(rows, False)}"
        )
    num = p["numerator_rows"]
    if not rows:
        return head + ("分母为 0 行，按 100% 计" if zh else "no rows in the denominator, so 100%")
    value = f"100 × {len(num)} / {len(rows)} = {n(p['value'])}%"
    if zh:
        return (
            head + f"{value}（分子 {len(num)} 行：{_ids(num, True) or '无'}；"
            f"分母 {len(rows)} 行：{_ids(rows, True)}）"
        )
    return (
        head + f"{value} (numerator {len(num)} rows: {_ids(num, False) or 'none'}; "
        f"denominator {len(rows)} rows: {_ids(rows, False)})"
    )


def _r_target(p: Mapping[str, Any], zh: bool) -> str:
    if not p["annual_set"]:
        return f"{p['title']}目标：未下达，按 0 计" if zh else (
            f"{p['title']} target: not set, counts as 0")  # fmt: skip
    annual, value, method = n(p["annual"]), n(p["value"]), p["method"]
    if method == "year":
        return f"{p['title']}目标：年度任务 {annual}" if zh else (
            f"{p['title']} target: annual target {annual}")  # fmt: skip
    if method == "rate_level":
        return (
            f"{p['title']}目标：{annual}%（比率目标不分解，各阶段均按年度目标）"
            if zh
            else (f"{p['title']} target: {annual}% (a rate target is a level, not split)")
        )
    if method == "no_shares":
        return (
            f"{p['title']}目标：{annual}（未设分解比例，各阶段同年度任务）"
            if zh
            else (f"{p['title']} target: {annual} (no shares: every period uses the annual target)")
        )
    shares = ":".join(n(s) for s in p["shares"])
    calc = f"{annual}×{n(p['share'])}/{n(p['total_share'])} = {n(p['exact'])}"
    period = _period(p, zh)
    if method == "proportion":
        return (
            (
                f"{p['title']}目标：年度任务 {annual}，按 {shares} 分解 → {period} {value}"
                f"（{calc}，非整数任务按比例，不取整）"
            )
            if zh
            else (
                f"{p['title']} target: annual {annual}, shares {shares} → {period} {value} "
                f"({calc}, not a whole number: plain proportion)"
            )
        )
    extra = f"+{p['extra']}"
    return (
        (
            f"{p['title']}目标：年度任务 {annual}，按 {shares} 分解 → {period} {value}"
            f"（{calc}，取整 {p['floor']}，余数分配 {extra}）"
        )
        if zh
        else (
            f"{p['title']} target: annual {annual}, shares {shares} → {period} {value} "
            f"({calc}, floor {p['floor']}, {extra} remainder)"
        )
    )


_RULE_NAME = {
    "proportional": ("按完成比例计分", "proportional"),
    "linear": ("按数量增减计分", "linear"),
    "threshold": ("按达标线计分", "threshold"),
    "full_at": ("达标得满分，以下按比例", "full at level"),
    "per_event": ("按次扣分", "per event"),
    "check": ("达到即得分", "check"),
    "manual": ("评估打分", "manual"),
}


def _r_rule(p: Mapping[str, Any], zh: bool) -> str:
    P, b, pen = n(p["points"]), n(p["bonus"]), n(p["penalty"])
    v, t, h = n(p["v"]), n(p["t"]), n(p["level"])
    raw = format_number(p["raw"], approx_places=4)
    name = _RULE_NAME[p["rule"]][0 if zh else 1]
    head = f"{p['title']}（{name}）：" if zh else f"{p['title']} ({name}): "
    branch = p["branch"]
    formulas = {
        "proportional": f"{P} × min({v}, {t}) / {t} + {b} × {n(p['over'])} = {raw}",
        "proportional_zero": (
            f"目标为 0，{P} + {b} × {v} = {raw}" if zh else f"target 0, so {P} + {b} × {v} = {raw}"
        ),
        "linear": f"{P} + {b} × {n(p['over'])} − {pen} × {n(p['under'])} = {raw}",
        "threshold": f"{P} + {b} × max({v} − {h}, 0) − {pen} × max({h} − {v}, 0) = {raw}",
        "full_at_reached": (f"{v} ≥ {h}，得满分 {P}" if zh else f"{v} ≥ {h}, full {P}"),
        "full_at_part": f"{P} × {v} / {h} = {raw}",
        "full_at_zero": (f"达标线为 0，得满分 {P}" if zh else f"level 0, full {P}"),
        "per_event": f"{P} − {pen} × {v} = {raw}",
        "check_reached": (f"{v} ≥ max({t}, 1)，得 {P} 分" if zh else f"{v} ≥ max({t}, 1), so {P}"),
        "check_missed": (f"{v} < max({t}, 1)，得 0 分" if zh else f"{v} < max({t}, 1), so 0"),
        "manual": (f"评估人员打分 {v}（满分 {P}）" if zh else f"assessor's points {v} (of {P})"),
        "manual_missing": ("未打分，按 0 计" if zh else "no points entered, counts as 0"),
    }
    text = formulas[branch]
    if p["rule"] in ("threshold", "full_at") and not p["threshold_given"]:
        text += "（达标线取目标）" if zh else " (level = target)"
    return head + text


def _r_clamp(p: Mapping[str, Any], zh: bool) -> str:
    raw, bound = n(p["raw"]), n(p["bound"])
    if p["side"] == "max":
        return (
            f"{p['title']}：{raw} 超过上限 {bound} → {bound}"
            if zh
            else (f"{p['title']}: {raw} above max {bound} → {bound}")
        )
    return (
        f"{p['title']}：{raw} 低于下限 {bound} → {bound}（扣完为止）"
        if zh
        else (f"{p['title']}: {raw} below min {bound} → {bound}")
    )


def _r_round(p: Mapping[str, Any], zh: bool) -> str:
    before, score = format_number(p["before"], approx_places=4), format_score(p["score"])
    return (
        f"{p['title']}：{before} 四舍五入保留两位 → {score}"
        if zh
        else (f"{p['title']}: {before} rounded half up to 2 places → {score}")
    )


def _r_met(p: Mapping[str, Any], zh: bool) -> str:
    v, level, name = n(p["v"]), n(p["level"]), p["level_name"]
    what = ("目标" if name == "t" else "达标线") if zh else ("target" if name == "t" else "level")
    if p["met"]:
        return (
            f"{p['title']}：已完成（{v} ≥ {what} {level}）"
            if zh
            else (f"{p['title']}: met ({v} ≥ {what} {level})")
        )
    return (
        f"{p['title']}：未完成（{v} < {what} {level}）"
        if zh
        else (f"{p['title']}: not met ({v} < {what} {level})")
    )


def _r_money(p: Mapping[str, Any], zh: bool) -> str:
    calc = (f"{n(p['per_unit'])} × {n(p['v'])} − {n(p['per_missing'])} × {n(p['under'])}"
            f" = {format_money(p['money'])}")  # fmt: skip
    return f"{p['title']}单项奖罚：{calc} 元" if zh else f"{p['title']} item money: {calc}"


def _r_adjustment(p: Mapping[str, Any], zh: bool) -> str:
    count, points, sub = n(p["count"]), n(p["points"]), n(p["subtotal"])
    return (
        f"{p['title']} {count} × {points} = {sub}"
        if zh
        else (f"{p['title']}: {count} × {points} = {sub}")
    )


def _r_rank_bonus(p: Mapping[str, Any], zh: bool) -> str:
    rank, bonus = p["rank"], n(p["bonus"])
    shared = ("（并列）" if zh else " (shared)") if p["shared"] else ""
    if p["bonus"]:
        return (
            f"{p['title']}排名第 {rank}{shared} → 加 {bonus} 分"
            if zh
            else (f"{p['title']} ranked {rank}{shared} → +{bonus}")
        )
    return (
        f"{p['title']}排名第 {rank}{shared} → 无排名加分"
        if zh
        else (f"{p['title']} ranked {rank}{shared} → no rank bonus")
    )


def _r_total(p: Mapping[str, Any], zh: bool) -> str:
    items, adj, bonus, total = (
        format_score(p[k]) for k in ("items", "adjustments", "rank_bonus", "total")
    )
    if zh:
        text = f"总分：各项得分 {items} + 加扣分 {adj}"
        if p["year"]:
            text += f" + 阶段排名加分 {bonus}"
        return text + f" = {total}"
    text = f"total: items {items} + adjustments {adj}"
    if p["year"]:
        text += f" + period rank bonus {bonus}"
    return text + f" = {total}"


def _r_veto(p: Mapping[str, Any], zh: bool) -> str:
    value, unit = n(p["value"]), p["unit"]
    if p["vetoed"]:
        return (
            f"一票否决：{p['title']} {value}{unit} > 0 → 否决"
            if zh
            else (f"veto: {p['title']} {value} {unit} > 0 → vetoed".replace("  ", " "))
        )
    return (
        f"一票否决：{p['title']} {value}{unit}，未触发"
        if zh
        else (f"veto: {p['title']} {value} {unit}: not vetoed".replace("  ", " "))
    )


def _r_complete(p: Mapping[str, Any], zh: bool) -> str:
    if p["complete"]:
        return (
            "全面完成：是（未被否决，各项目标均已完成）"
            if zh
            else ("complete: yes (not vetoed, every item that can be met is met)")
        )
    reasons = []
    if p["vetoed"]:
        reasons.append("被一票否决" if zh else "vetoed")
    if p["unmet"]:
        sep = "、" if zh else ", "
        reasons.append(
            f"{sep.join(p['unmet'])}未完成" if zh else f"not met: {sep.join(p['unmet'])}"
        )
    return f"全面完成：否（{'；'.join(reasons)}）" if zh else f"complete: no ({'; '.join(reasons)})"


def _r_rank(p: Mapping[str, Any], zh: bool) -> str:
    rank, count, bottom = p["rank"], p["villages"], p["from_bottom"]
    shared = p["shared_with"]
    if zh:
        text = f"排名：第 {rank} 名（共 {count} 个村），倒数第 {bottom}"
        if shared:
            text += f"，与 {'、'.join(shared)} 并列"
        if p["vetoed"]:
            text += "；被一票否决的村排在其他村之后"
        return text
    text = f"rank {rank} of {count}, {bottom} from the bottom"
    if shared:
        text += f", shared with {', '.join(shared)}"
    if p["vetoed"]:
        text += "; vetoed villages rank after all others"
    return text


def _r_reward(p: Mapping[str, Any], zh: bool) -> str:
    place, amount = p["place"], format_money(p["amount"])
    if p["granted"]:
        return f"奖励：第 {place} 名奖 {amount} 元" if zh else f"reward: rank {place}, {amount}"
    if p["reason"] == "vetoed":
        return (
            f"奖励：第 {place} 名奖 {amount} 元，但被一票否决，不发"
            if zh
            else (f"reward: rank {place} pays {amount}, but a vetoed village gets none")
        )
    return (
        f"奖励：第 {place} 名奖 {amount} 元须全面完成，未全面完成，不发"
        if zh
        else (f"reward: rank {place} pays {amount} only when complete; not complete, none")
    )


def _r_penalty(p: Mapping[str, Any], zh: bool) -> str:
    place, amount = p["place"], format_money(p["amount"])
    if p["granted"]:
        return (
            f"处罚：倒数第 {place} 名罚 {amount} 元"
            if zh
            else (f"penalty: {place} from the bottom, {amount}")
        )
    return (
        f"处罚：倒数第 {place} 名罚 {amount} 元仅对未全面完成的村，已全面完成，不罚"
        if zh
        else (
            f"penalty: {place} from the bottom pays {amount} only when not complete; complete, none"
        )
    )


def _r_amount(p: Mapping[str, Any], zh: bool) -> str:
    r, pen, m, a = (format_money(p[k]) for k in ("reward", "penalty", "item_money", "amount"))
    return (
        f"兑现：奖励 {r} − 处罚 {pen} + 单项奖罚 {m} = {a} 元"
        if zh
        else (f"amount: reward {r} − penalty {pen} + item money {m} = {a}")
    )


def _r_area(p: Mapping[str, Any], zh: bool) -> str:
    area, amount, incomplete = p["area"], p["amount"], p["incomplete"]
    money = format_money(abs(amount))
    if not incomplete:
        return (
            f"{area}：所辖村全部全面完成 → 奖 {money} 元"
            if zh
            else (f"area {area}: every village complete → reward {money}")
        )
    sep = "、" if zh else ", "
    return (
        f"{area}：{sep.join(incomplete)} 未全面完成 → 罚 {money} 元"
        if zh
        else (f"area {area}: {sep.join(incomplete)} not complete → penalty {money}")
    )


_RENDER = {
    "warning": _r_warning, "indicator": _r_indicator, "target": _r_target, "rule": _r_rule,
    "clamp": _r_clamp, "round": _r_round, "met": _r_met, "money": _r_money,
    "adjustment": _r_adjustment, "rank_bonus": _r_rank_bonus, "total": _r_total,
    "veto": _r_veto, "complete": _r_complete, "rank": _r_rank, "reward": _r_reward,
    "penalty": _r_penalty, "amount": _r_amount, "area": _r_area,
}  # fmt: skip
