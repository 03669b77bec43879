"""The township's sheets (targets, entered values, manual points, adjustments): refused entries."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "ranking.no-period": (
        "方案 {program} 没有考核阶段 {period}（考核阶段有：{periods}）",
        "no period {period} in program {program} (periods: {periods})",
    ),
    "ranking.not-held": (
        "本办公室没有 {villages} 的台账；请先与乡镇同步再排名",
        "this office does not hold the ledgers of {villages}; sync with the township before "
        "ranking",
    ),
    "sheet.no-period": (
        "方案 {program} 没有考核阶段“{period}”", "program {program} has no period {period!r}"
    ),
    "sheet.entry": ("{sheet} {key}: {problem}", "{sheet} {key}: {problem}"),
    "sheet.unknown-village": ("没有村 {name}", "no village {name}"),
    "sheet.unknown-indicator": (
        "方案 {program} 没有指标 {name}", "no indicator {name} in program {program}"
    ),
    "sheet.unknown-item": (
        "方案 {program} 没有考核项目 {name}", "no item {name} in program {program}"
    ),
    "sheet.unknown-adjustment": (
        "方案 {program} 没有加扣分项 {name}", "no adjustment {name} in program {program}"
    ),
    "sheet.unknown-period": (
        "方案 {program} 没有考核阶段 {name}", "no period {name} in program {program}"
    ),
    "sheet.not-entered": (
        "指标 {name} 由台账自动统计，不能录入",
        "indicator {name} is computed from ledgers, not entered",
    ),
    "sheet.not-manual": (
        "考核项目 {name} 按规则计分，不能手工打分", "item {name} is scored by its rule, not by hand"
    ),
    "sheet.negative": ("{name}：{value} 不能为负数", "{name}: {value} is below 0"),
    "sheet.above-points": (
        "{name}：{value} 分超过该项满分 {limit} 分",
        "{name}: {value} points is above the item's {limit}",
    ),
    "sheet.not-whole": (
        "{name}：次数须为整数，不能是 {value}",
        "{name}: a count must be a whole number, not {value}",
    ),
}
