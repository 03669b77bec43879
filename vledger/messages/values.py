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
        "日期，如 2026-03-05、2026/3/5、2026.3.5 或 2026年3月5日",
        "a date, e.g. 2026-03-05, 2026/3/5, 2026.3.5 or 2026年3月5日",
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
    "value.why.stored-type": ("存储的值类型不符", "stored value of another type"),
    "value.why.too-many-places": ("超过{places}位小数", "more than {places} decimal places"),
}
