"""Ledger values (台账单元格): why a typed value is refused, naming the column and the form.

`value.refused` reads "日期（date）：应填日期，如 …，填的是“x”": the column by title and id,
what it wants, and what was typed, so the clerk can retype it without asking anyone.
"""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "value.refused": (
        "{title}（{id}）：应填{form}，填的是“{shown}”",
        '{title} ({id}): expected {form}, got "{shown}"',
    ),
    "value.refused-because": (
        "{title}（{id}）：{why}；应填{form}，填的是“{shown}”",
        '{title} ({id}): {why}; expected {form}, got "{shown}"',
    ),
    "value.required": (
        "{title}（{id}）：必填，应填{form}", "{title} ({id}): required, expected {form}"
    ),
    "value.never-matches": (
        "{title}（{id}）：保留{places}位小数，{typed} 永远不会相等",
        "{title} ({id}): keeps {places} decimal places, so {typed} can never match",
    ),
    # -- what a column wants
    "value.range.between": ("{low}到{high}之间的", "from {low} to {high}"),
    "value.range.at-least": ("不小于{low}的", "of at least {low}"),
    "value.range.at-most": ("不大于{high}的", "of at most {high}"),
    "value.form.int": ("整数，如 12 或 -3", "a whole number, e.g. 12 or -3"),
    "value.form.int-in-range": ("{range}整数", "a whole number {range}"),
    "value.form.decimal": (
        "数字，如 12.5（保留{places}位小数）",
        "a number, e.g. 12.5 (kept to {places} decimal places)",
    ),
    "value.form.decimal-in-range": (
        "{range}数字，如 12.5（保留{places}位小数）",
        "a number {range}, e.g. 12.5 (kept to {places} decimal places)",
    ),
    "value.form.date": (
        "日期，如 2026-03-05、2026/3/5、3月5日 或 3/5",
        "a date, e.g. 2026-03-05, 2026/3/5, 3月5日 or 3/5",
    ),
    "value.form.choice": ("以下之一：{choices}", "one of: {choices}"),
    "value.form.text": ("不超过{most}个字的文字", "text of at most {most} characters"),
    "value.form.bool": ("是或否（{forms}）", "yes or no ({forms})"),
    # -- why, when the form alone does not say it
    "value.why.out-of-range": ("超出范围", "out of range"),
    "value.why.no-month": ("没有{month}月", "there is no month {month}"),
    "value.why.short-month": (
        "{year}年{month}月只有{days}天，没有{day}日", "{month} {year} has {days} days, not {day}"
    ),
    "value.why.too-long": ("多了{extra}个字", "{extra} {extra:character|characters} too many"),
    "value.why.time-of-day": (
        "日期不带钟点（只有 0:00 可以省去）", "a date has no time of day (only 0:00 is dropped)"
    ),
    "value.why.no-year": (
        "没写年份，这一列也没有方案年度", "no year, and the column has no program year"
    ),
    "value.why.control": (
        "含有控制字符 {chars}（会扰乱屏幕和表格文件）",
        "holds control characters {chars} (they garble screens and files)",
    ),
    "value.why.no-such-number": ("序号只有 1 到 {count}", "the choices are numbered 1 to {count}"),
    "value.why.several-choices": (
        "对得上好几个：{choices}，请多打几个字", "matches several: {choices}; type more of it"
    ),
    # -- accepted, but worth saying while the row is in front of the clerk
    "value.warn.outside-year": (
        "{title} {day} 不在方案年度 {year} 内，这一行不计入任何考核阶段",
        "{title} {day} is outside the program's year {year}: the row counts in no period",
    ),
    "value.why.stored-type": ("存储的值类型不符", "stored value of another type"),
    "value.why.too-many-places": ("超过{places}位小数", "more than {places} decimal places"),
}
