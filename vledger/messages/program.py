"""Program files (方案): every problem `vledger program check` can report, and its parts.

A problem is said as `FILE:LINE: message`; entries of a list of tables add their label
in front ("item \"drills\": ..."). Keys, ids and types stay as the file writes them, in
both languages: they are what the township has to find and change in its file.
"""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    # -- TOML itself: tomllib reports in English; the common cases are said in Chinese too
    # -- limits, checked before anything else (domain/program_file.py)
    "program.limit.file": (
        "文件有 {size} 个字符，方案文件最多 {most} 个字符",
        "the file has {size} characters; a program file has at most {most}",
    ),
    "program.limit.nesting": (
        "括号套得太深：方案文件里的 [ ] 和 {{ }} 最多套 {most} 层",
        "brackets nest too deep: [ ] and {{ }} nest at most {most} levels in a program file",
    ),
    "program.limit.key-parts": (
        "键名分段太多：用“.”连接的键最多 {most} 段",
        "a dotted key or table name has too many parts (at most {most})",
    ),
    "program.limit.digits": (
        "数字太长：一个数最多写 {most} 位", "a number is too long (at most {most} digits)"
    ),
    "program.limit.number": (
        "{key} = {value} 太大：方案里的数绝对值最多是 {most}",
        "{key} = {value} is too large: numbers in a program are at most {most} either side "
        "of zero",
    ),
    "program.limit.places": (
        "{key} = {value} 的小数位太多：最多 {most} 位",
        "{key} = {value} has too many decimal places (at most {most})",
    ),
    "program.limit.choices": (
        "列了 {count} 个选项，一列最多 {most} 个",
        "{count} choices; a column has at most {most}",
    ),
    "program.toml.invalid": ("不是有效的 TOML 格式：{error}", "not valid TOML: {error}"),
    "program.toml.key-twice": (
        "TOML 格式错误：“{key}”写了两次", 'not valid TOML: key "{key}" is given twice'
    ),
    "program.toml.at-column": (
        "TOML 格式错误：{what}（第 {column} 个字符处）", "not valid TOML: {what} (column {column})"
    ),
    "program.toml.at-end": (
        "TOML 格式错误：{what}（在文件末尾）", "not valid TOML: {what} (at the end of the file)"
    ),
    "program.toml.invalid-value": (
        "值的写法不对（文字要用英文双引号括起来）", "Invalid value"
    ),
    "program.toml.invalid-statement": ("这一行的写法不对", "Invalid statement"),
    "program.toml.unterminated-string": ("引号没有配对（缺少结尾的引号）", "Unterminated string"),
    "program.toml.unclosed-array": ("数组缺少结尾的“]”", "Unclosed array"),
    "program.toml.unclosed-table": ("缺少结尾的“}}”", "Unclosed inline table"),
    "program.toml.expected-equals": (
        "设置项名后面缺少“=”", "Expected '=' after a key in a key/value pair"
    ),
    "program.toml.expected-newline": (
        "一行只能写一个设置项，后面应换行",
        "Expected newline or end of document after a statement",
    ),
    "program.toml.expected-table-end": (
        "表头缺少结尾的“]”", "Expected ']' at the end of a table declaration"
    ),
    "program.toml.expected-array-end": (
        "表头缺少结尾的“]]”", "Expected ']]' at the end of an array declaration"
    ),
    "program.toml.bad-key": (
        "设置项名的开头字符不对", "Invalid initial character for a key part"
    ),
    "program.toml.bad-date": ("日期或时间的写法不对", "Invalid date or datetime"),
    # -- how a value in the file is named in "must be X, not Y"
    "program.value.true": ("布尔值 true", "true"),
    "program.value.false": ("布尔值 false", "false"),
    "program.value.text": ("文字“{value}”", 'the text "{value}"'),
    "program.value.number": ("数字 {value}", "the number {value}"),
    "program.value.date-time": ("日期时间 {value}", "the date-time {value}"),
    "program.value.date": ("日期 {value}", "the date {value}"),
    "program.value.time": ("时间 {value}", "the time {value}"),
    "program.value.array": ("一个数组", "an array"),
    "program.value.table": ("一个表", "a table"),
    # -- what a value must be
    "program.expect.text": ("带引号的文字（\"...\"）", 'text in quotes ("...")'),
    "program.expect.whole": ("整数", "a whole number"),
    "program.expect.number": ("数字", "a number"),
    "program.expect.bool": ("布尔值（true 或 false）", "true or false"),
    "program.expect.date": (
        "不带引号的日期，如 2026-01-31", "a date without quotes, like 2026-01-31"
    ),
    "program.expect.table": ("一个表，如 {{ 列 = 值 }}", "a table, like {{ key = value }}"),
    "program.expect.array": ("一个数组，如 [...]", "an array, like [...]"),
    "program.expect.tables": (
        "若干段 [[{header}]] 表", "written as [[{header}]] tables"
    ),
    # -- the parts of a file, as labels in front of a problem and in sentences
    "program.in-entry": ("{label}：{problem}", "{label}: {problem}"),
    "program.label.named": ("{what}“{id}”", '{what} "{id}"'),
    "program.label.numbered": ("第 {number} 个{what}", "{what} #{number}"),
    "program.label.ranking": ("排名规则 [ranking]", "ranking"),
    "program.label.areas": ("管区奖罚 [ranking.areas]", "ranking.areas"),
    "program.what.period": ("考核阶段", "period"),
    "program.what.column": ("台账列", "column"),
    "program.what.indicator": ("指标", "indicator"),
    "program.what.item": ("考核项目", "item"),
    "program.what.adjustment": ("加扣分项", "adjustment"),
    "program.what.reward": ("奖励", "reward"),
    "program.what.penalty": ("处罚", "penalty"),
    "program.what.ranking-reward": ("排名奖励", "ranking reward"),
    "program.what.ranking-penalty": ("排名处罚", "ranking penalty"),
    "program.what.column-type": ("列类型", "column type"),
    "program.what.indicator-kind": ("指标类型", "indicator kind"),
    "program.what.rule": ("计分规则", "rule"),
    "program.what.typed-column": ("类型为 {type} 的列", "{type:a} column"),
    "program.what.kind-indicator": ("类型为 {kind} 的指标", "{kind:a} indicator"),
    "program.what.named-rule": ("计分规则“{rule}”", 'rule "{rule}"'),
    "program.none": ("（无）", "(none)"),
    # -- keys
    "program.key.unknown": (
        "不认识的设置项“{key}”{guess}；可以写的有：{allowed}",
        'unknown key "{key}"{guess}; allowed: {allowed}',
    ),
    "program.key.did-you-mean": ("（是不是“{hint}”？）", ' (did you mean "{hint}"?)'),
    "program.key.missing": ("缺少必填的设置项“{key}”", 'missing required key "{key}"'),
    "program.key.wrong-type": (
        "“{key}”应为{expected}，不能是{value}", '"{key}" must be {expected}, not {value}'
    ),
    "program.key.not-applicable": (
        "“{key}”不适用于{what}（只适用于 {owners:or} 类型）",
        '"{key}" does not apply to {what} (only to {owners:or})',
    ),
    "program.key.takes-none": (
        "{what}不用 {keys:or}；请删去“{key}”", '{what} takes no {keys:or}; remove "{key}"'
    ),
    "program.key.not-used": (
        "{what}不用“{key}”；它用的是：{fits}", '{what} does not use "{key}"; it takes: {fits}'
    ),
    # -- ids, titles, numbers
    "program.id.invalid": (
        "{key}“{value}”不是有效的编号：{form}", '{key} "{value}" is not a valid id: use {form}'
    ),
    "program.id.form.program": (
        "请用 1 到 40 个小写字母 a-z、数字 0-9 或减号 -", "1 to 40 of a-z, 0-9 and -"
    ),
    "program.id.form.period": ("请用 1 到 8 个字母或数字", "1 to 8 letters or digits"),
    "program.id.form.name": (
        "请以小写字母开头，后面最多 30 个小写字母 a-z、数字 0-9 或下划线 _",
        "a lowercase letter, then up to 30 of a-z, 0-9 and _",
    ),
    "program.id.duplicate": (
        "这个编号已被第 {line} 行的{what}用过",
        "this id is already used by the {what} at line {line}",
    ),
    "program.title.empty": ("title 不能为空", "title must not be empty"),
    "program.choice.unknown": (
        "不认识的{what}“{value}”{guess}；只能是：{options}",
        'unknown {what} "{value}"{guess}; use one of: {options}',
    ),
    "program.number.not-whole": (
        "“{key}”应为整数，不能是 {value}", '"{key}" must be a whole number, not {value}'
    ),
    "program.number.negative": (
        "{key} 不能为负数，这里是 {value}", "{key} must not be negative, not {value}"
    ),
    "program.max-below-min": ("max {high} 小于 min {low}", "max {high} is less than min {low}"),
    # -- the program as a whole
    "program.year.implausible": (
        "年度 {year} 不是合理的年份（应在 {first}–{last} 之间）",
        "year {year} is not a plausible year ({first}–{last})",
    ),
    "program.date-column.unknown": (
        "date_column“{name}”不是台账列（台账列有：{columns}）",
        'date_column "{name}" is not a column (columns: {columns})',
    ),
    "program.date-column.not-date": (
        "date_column“{name}”必须是日期列，这一列的类型是 {type}",
        'date_column "{name}" must name a date column, not {type:a} column',
    ),
    # -- [[periods]]
    "program.period.share-missing": (
        "没有 share，但别的考核阶段有：要么每个阶段都写 share，要么都不写",
        "has no share, but other periods do: give every period a share, or none",
    ),
    "program.period.id-reserved": (
        "“{id}”专指全年，请换一个编号", '"{id}" is reserved for the whole year; choose another id'
    ),
    "program.period.share-not-positive": (
        "share 必须大于 0，这里是 {share}", "share must be more than 0, not {share}"
    ),
    "program.period.ends-before-start": (
        "结束日期 {end} 早于开始日期 {start}", "ends {end} before it starts {start}"
    ),
    "program.period.outside-year": (
        "{key} {day} 不在方案年度 {year} 年内", "{key} {day} is outside the program's year {year}"
    ),
    "program.period.order": (
        "考核阶段须按日期先后排列：这里从 {start} 开始，早于考核阶段“{before}”（{before_start}）",
        'periods must be in date order: starts {start}, before period "{before}" ({before_start})',
    ),
    "program.period.overlap": (
        "与考核阶段“{before}”（{before_start} 至 {before_end}）重叠：这里从 {start} 开始",
        'overlaps period "{before}" ({before_start} to {before_end}): starts {start}',
    ),
    # -- [[columns]]
    "program.columns.none": (
        "方案至少要有一个 [[columns]] 台账列", "a program needs at least one [[columns]]"
    ),
    "program.column.id-deleted": (
        "“deleted”留作台账行的删除标记，请换一个编号",
        '"deleted" is reserved for the row\'s deleted flag; choose another id',
    ),
    "program.column.places-range": (
        "places 应在 0 到 {most} 之间，这里是 {places}",
        "places must be from 0 to {most}, not {places}",
    ),
    "program.column.max-length": (
        "max_length 至少为 1，这里是 {value}", "max_length must be at least 1, not {value}"
    ),
    "program.column.choices-missing": (
        '选项列要写 choices = ["...", ...]', 'a choice column needs choices = ["...", ...]'
    ),
    "program.column.choices-empty": (
        "choices 至少要列一个选项", "choices must list at least one choice"
    ),
    "program.column.choice-not-text": (
        "每个选项都应是非空的文字，不能是{value}", "each choice must be non-empty text, not {value}"
    ),
    "program.column.choice-spaces": (
        "选项“{value}”前后有空格；填写的值会去掉前后空格，所以永远对不上",
        'choice "{value}" has spaces around it; typed values are trimmed, so it could never match',
    ),
    "program.column.choice-twice": ("选项“{value}”列了两次", 'choice "{value}" is listed twice'),
    # -- [[indicators]]
    "program.indicator.rate-numerator": (
        "比率指标要写 numerator = {{ 列 = 值 }}",
        "a rate indicator needs numerator = {{ column = value }}",
    ),
    "program.indicator.sum-column-missing": (
        '求和指标要写 column = "..."（一个 int 或 decimal 列）',
        'a sum indicator needs column = "..." (an int or decimal column)',
    ),
    "program.indicator.column-unknown": (
        "column“{name}”不是台账列（台账列有：{columns}）",
        'column "{name}" is not a column (columns: {columns})',
    ),
    "program.indicator.sum-column-type": (
        "求和要用 int 或 decimal 列，但“{name}”的类型是 {type}",
        'a sum needs an int or decimal column, but "{name}" is {type:a} column',
    ),
    "program.where.unknown-column": (
        "{key} 里的“{name}”不是台账列（台账列有：{columns}）",
        '{key} names unknown column "{name}" (columns: {columns})',
    ),
    "program.where.bad-value": ("{key} {name} = ...：{problem}", "{key} {name} = ...: {problem}"),
    "program.where.empty": (
        "空值不会与任何台账行相符（空单元格不等于任何值）",
        "an empty value matches no row (an empty cell equals nothing)",
    ),
    "program.where.wrong-type": (
        "列“{column}”的类型是 {type}，不能填{value}",
        'column "{column}" is {type:a} column; {value} does not fit it',
    ),
    # -- [[items]]
    "program.items.none": (
        "方案至少要有一个 [[items]] 考核项目", "a program needs at least one [[items]]"
    ),
    "program.item.manual-indicator": (
        "评估打分（manual）的项目不用指标（分数由评估人员录入）；请删去",
        "a manual item takes no indicator (an assessor enters its points); remove it",
    ),
    "program.item.manual-money": (
        "评估打分（manual）的项目没有指标，所以用不了 {key}",
        "a manual item has no indicator, so {key} cannot apply",
    ),
    "program.item.indicator-missing": (
        '计分规则“{rule}”要写 indicator = "..."（只有 manual 项目不用指标）',
        'rule "{rule}" needs indicator = "..." (only manual items have none)',
    ),
    "program.item.indicator-unknown": (
        "indicator“{name}”不是指标（指标有：{indicators}）",
        'indicator "{name}" is not an indicator (indicators: {indicators})',
    ),
    # -- [[adjustments]]
    "program.adjustment.zero-points": (
        "每次的分数不能为 0（扣分写负数）", "points per occurrence cannot be 0 (negative deducts)"
    ),
    # -- [ranking]
    "program.veto.not-text": (
        "veto 应列出指标编号，不能是{value}", "veto lists indicator ids, not {value}"
    ),
    "program.veto.unknown": (
        "veto 里的“{name}”不是指标（指标有：{indicators}）",
        'veto names unknown indicator "{name}" (indicators: {indicators})',
    ),
    "program.veto.twice": ("veto 里“{name}”列了两次", 'veto lists "{name}" twice'),
    "program.rank-bonus.not-number": (
        "period_rank_bonus 应列出分数，不能是{value}", "period_rank_bonus lists points, not {value}"
    ),
    "program.rank-bonus.negative": (
        "period_rank_bonus 不能为负数，这里是 {value}",
        "period_rank_bonus must not be negative, not {value}",
    ),
    "program.money.place-below-one": (
        "{key} 至少为 1，这里是 {place}", "{key} must be 1 or more, not {place}"
    ),
    "program.money.place-twice": (
        "{key} = {place} 的{what}已经写过了（第 {line} 行）",
        "a {what} for {key} = {place} is already given (line {line})",
    ),
}
