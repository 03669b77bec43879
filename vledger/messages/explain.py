"""Explanations (spec §7): one line per step of how a village's numbers were reached.

The Chinese reads like an assessor's working on the sheet (按完成比例计分, 扣完为止,
倒数第 N); formulas are written the same in both languages so they can be checked by
hand against the sheet.
"""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "explain.none": ("无", "none"),
    "explain.year": ("全年", "year"),
    # -- the sheet's marks column
    "explain.marks": ("标记栏：{marks:semi}", "marks column: {marks:semi}"),
    "explain.marks.complete": (
        "“完成”：未被否决，各项目标都已完成（全面完成）",
        "\"complete\": not vetoed and every item that can be met is met",
    ),
    "explain.marks.vetoed": (
        "“否决”：一票否决项大于 0，排在未被否决的村之后",
        "\"vetoed\": a veto indicator is above 0, so it ranks after every village not vetoed",
    ),
    "explain.marks.warnings": (
        "“⚠{count}”：{count} 行台账不计入任何阶段（日期缺失、无法识别或不在本年度）",
        "\"⚠{count}\": {count} ledger {count:row|rows} counted in no period "
        "(no date, an unreadable date or another year)",
    ),
    "explain.marks.none": (
        "标记栏为空：未全面完成，未被否决，所有台账行都计入了阶段",
        "the marks column is empty: not complete, not vetoed, and every ledger row counted",
    ),
    "explain.quantity": ("{value}{unit}", "{value} {unit}"),
    "explain.rows-more": ("{shown}、…（另 {more} 行）", "{shown}, … (+{more} more)"),
    # -- rows that count nowhere
    "explain.warning.no-date": (
        "台账行 {row} 未填日期，不计入任何阶段", "row {row} has no date: counted in no period"
    ),
    "explain.warning.bad-date": (
        "台账行 {row} 日期“{date}”无法识别，不计入任何阶段",
        "row {row} has an unreadable date {date!r}: counted in no period",
    ),
    "explain.warning.outside-year": (
        "台账行 {row} 日期 {date} 不在 {year} 年内，不计入任何阶段",
        "row {row} is dated {date}, outside {year}: counted in no period",
    ),
    # -- indicators
    "explain.indicator": ("{title}（{period}）：{detail}", "{title} ({period}): {detail}"),
    "explain.indicator.entered": ("乡镇录入 {qty}", "entered by the township: {qty}"),
    "explain.indicator.not-entered": (
        "乡镇未录入，按 0 计", "not entered by the township, counts as 0"
    ),
    "explain.indicator.count-none": ("{qty}，没有符合条件的台账行", "{qty}, no matching rows"),
    "explain.indicator.count": ("{qty}，台账行 {rows}", "{qty}, rows {rows}"),
    "explain.indicator.sum-none": ("合计 {qty}，没有符合条件的台账行", "total {qty}, no rows"),
    "explain.indicator.sum": (
        "合计 {qty}，来自 {count} 行：{rows}", "total {qty} from {count} {count:row|rows}: {rows}"
    ),
    "explain.indicator.rate-none": (
        "分母为 0 行，按 100% 计", "no rows in the denominator, so 100%"
    ),
    "explain.indicator.rate": (
        "100 × {num} / {den} = {value}%（分子 {num} 行：{num_rows}；分母 {den} 行：{den_rows}）",
        "100 × {num} / {den} = {value}% (numerator {num} {num:row|rows}: {num_rows}; "
        "denominator {den} {den:row|rows}: {den_rows})",
    ),
    # -- targets
    "explain.target.not-set": (
        "{title}目标：未下达，按 0 计", "{title} target: not set, counts as 0"
    ),
    "explain.target.year": (
        "{title}目标：年度任务 {annual}", "{title} target: annual target {annual}"
    ),
    "explain.target.rate-level": (
        "{title}目标：{annual}%（比率目标不分解，各阶段均按年度目标）",
        "{title} target: {annual}% (a rate target is a level, not split)",
    ),
    "explain.target.no-shares": (
        "{title}目标：{annual}（未设分解比例，各阶段同年度任务）",
        "{title} target: {annual} (no shares: every period uses the annual target)",
    ),
    "explain.target.proportion": (
        "{title}目标：年度任务 {annual}，按 {shares} 分解 → {period} {value}"
        "（{annual}×{share}/{total_share} = {exact}，非整数任务按比例，不取整）",
        "{title} target: annual {annual}, shares {shares} → {period} {value} "
        "({annual}×{share}/{total_share} = {exact}, not a whole number: plain proportion)",
    ),
    "explain.target.split": (
        "{title}目标：年度任务 {annual}，按 {shares} 分解 → {period} {value}"
        "（{annual}×{share}/{total_share} = {exact}，取整 {floor}，余数分配 +{extra}）",
        "{title} target: annual {annual}, shares {shares} → {period} {value} "
        "({annual}×{share}/{total_share} = {exact}, floor {floor}, +{extra} remainder)",
    ),
    # -- rules: the name, then the formula with the numbers filled in
    "explain.rule": ("{title}（{rule}）：{formula}", "{title} ({rule}): {formula}"),
    "explain.rule.proportional": ("按完成比例计分", "in proportion to the target"),
    "explain.rule.linear": ("按数量增减计分", "points up and down with the count"),
    "explain.rule.threshold": ("按达标线计分", "against a pass level"),
    "explain.rule.full-at": ("达标得满分，以下按比例", "full points at the level, less below"),
    "explain.rule.per-event": ("按次扣分", "points off for each event"),
    "explain.rule.check": ("达到即得分", "points once reached"),
    "explain.rule.manual": ("评估打分", "the assessor's points"),
    "explain.formula.proportional": (
        "{points} × min({v}, {t}) / {t}{extra} = {raw}",
        "{points} points × min({v}, {t}) / {t}{extra} = {raw}",
    ),
    "explain.formula.proportional-zero": (
        "目标为 0，得满分 {points}{extra} = {raw}",
        "the target is 0: full {points} points{extra} = {raw}",
    ),
    "explain.formula.linear": (
        "{points}{extra}{minus} = {raw}", "{points} points{extra}{minus} = {raw}"
    ),
    "explain.formula.threshold": (
        "{points}{extra}{minus} = {raw}", "{points} points{extra}{minus} = {raw}"
    ),
    "explain.formula.above": (
        " + {bonus} × {over}（超过{what}）", " + {bonus} for each of {over} above the {what}"
    ),
    "explain.formula.below": (
        " − {penalty} × {under}（低于{what}）", " − {penalty} for each of {under} below the {what}"
    ),
    "explain.formula.full-at-reached": ("{v} ≥ {h}，得满分 {points}", "{v} ≥ {h}, full {points}"),
    "explain.formula.full-at-part": (
        "{points} × {v} / {h} = {raw}", "{points} points × {v} done of {h} = {raw}"
    ),
    "explain.formula.full-at-zero": ("达标线为 0，得满分 {points}", "level 0, full {points}"),
    "explain.formula.per-event": (
        "{points} − {penalty} × {v} = {raw}",
        "{points} points − {penalty} for each of {v} = {raw}",
    ),
    "explain.formula.check-reached": (
        "{v} ≥ max({t}, 1)，得 {points} 分", "{v} ≥ max({t}, 1), so {points}"
    ),
    "explain.formula.check-missed": ("{v} < max({t}, 1)，得 0 分", "{v} < max({t}, 1), so 0"),
    "explain.formula.manual": (
        "评估人员打分 {v}（满分 {points}）", "assessor's points {v} (of {points})"
    ),
    "explain.formula.manual-missing": ("未打分，按 0 计", "no points entered, counts as 0"),
    "explain.formula.level-is-target": ("{formula}（达标线取目标）", "{formula} (level = target)"),
    # -- clamping, rounding, met
    "explain.clamp.max": (
        "{title}：{raw} 超过上限 {bound} → {bound}", "{title}: {raw} above max {bound} → {bound}"
    ),
    "explain.clamp.min": (
        "{title}：{raw} 低于下限 {bound} → {bound}（扣完为止）",
        "{title}: {raw} below min {bound} → {bound}",
    ),
    "explain.round": (
        "{title}：{before} 四舍五入保留两位 → {score}",
        "{title}: {before} rounded half up to 2 places → {score}",
    ),
    "explain.met": (
        "{title}：已完成（{v} ≥ {what} {level}）", "{title}: met ({v} ≥ {what} {level})"
    ),
    "explain.not-met": (
        "{title}：未完成（{v} < {what} {level}）", "{title}: not met ({v} < {what} {level})"
    ),
    "explain.level.target": ("目标", "target"),
    "explain.level.threshold": ("达标线", "level"),
    # -- money, adjustments, rank bonus, totals
    "explain.money": (
        "{title}单项奖罚：{per_unit} × {v} − {per_missing} × {under} = {money} 元",
        "{title} item money: {per_unit} for each of {v} − {per_missing} for each of {under} "
        "short of the target = {money}",
    ),
    "explain.adjustment": (
        "{title} {count} × {points} = {subtotal}", "{title}: {count} × {points} = {subtotal}"
    ),
    "explain.shared": ("（并列）", " (shared)"),
    "explain.rank-bonus": (
        "{title}排名第 {rank}{shared} → 加 {bonus} 分", "{title} ranked {rank}{shared} → +{bonus}"
    ),
    "explain.rank-bonus.none": (
        "{title}排名第 {rank}{shared} → 无排名加分", "{title} ranked {rank}{shared} → no rank bonus"
    ),
    "explain.total": (
        "总分：各项得分 {items} + 加扣分 {adjustments} = {total}",
        "total: items {items} + adjustments {adjustments} = {total}",
    ),
    "explain.total.year": (
        "总分：各项得分 {items} + 加扣分 {adjustments} + 阶段排名加分 {bonus} = {total}",
        "total: items {items} + adjustments {adjustments} + period rank bonus {bonus} = {total}",
    ),
    # -- veto, complete, rank
    "explain.veto.yes": ("一票否决：{title} {qty} > 0 → 否决", "veto: {title} {qty} > 0 → vetoed"),
    "explain.veto.no": ("一票否决：{title} {qty}，未触发", "veto: {title} {qty}: not vetoed"),
    "explain.complete.yes": (
        "全面完成：是（未被否决，各项目标均已完成）",
        "complete: yes (not vetoed, every item that can be met is met)",
    ),
    "explain.complete.no": ("全面完成：否（{reasons:semi}）", "complete: no ({reasons:semi})"),
    "explain.complete.vetoed": ("被一票否决", "vetoed"),
    "explain.complete.unmet": ("{items}未完成", "not met: {items}"),
    "explain.rank": (
        "排名：第 {rank} 名（共 {count} 个村），倒数第 {bottom}{shared}{vetoed}",
        "rank {rank} of {count}, {bottom} from the bottom{shared}{vetoed}",
    ),
    "explain.rank.shared": ("，与 {villages} 并列", ", shared with {villages}"),
    "explain.rank.vetoed": (
        "；被一票否决的村排在其他村之后", "; vetoed villages rank after all others"
    ),
    # -- money of the place, the amount, the area
    "explain.reward": ("奖励：第 {place} 名奖 {amount} 元", "reward: rank {place}, {amount}"),
    "explain.reward.vetoed": (
        "奖励：第 {place} 名奖 {amount} 元，但被一票否决，不发",
        "reward: rank {place} pays {amount}, but a vetoed village gets none",
    ),
    "explain.reward.incomplete": (
        "奖励：第 {place} 名奖 {amount} 元须全面完成，未全面完成，不发",
        "reward: rank {place} pays {amount} only when complete; not complete, none",
    ),
    "explain.penalty": (
        "处罚：倒数第 {place} 名罚 {amount} 元", "penalty: {place} from the bottom, {amount}"
    ),
    "explain.penalty.complete": (
        "处罚：倒数第 {place} 名罚 {amount} 元仅对未全面完成的村，已全面完成，不罚",
        "penalty: {place} from the bottom pays {amount} only when not complete; complete, none",
    ),
    "explain.amount": (
        "兑现：奖励 {reward} − 处罚 {penalty} + 单项奖罚 {item_money} = {amount} 元",
        "amount: reward {reward} − penalty {penalty} + item money {item_money} = {amount}",
    ),
    "explain.area.complete": (
        "{area}：所辖村全部全面完成 → 奖 {money} 元",
        "area {area}: every village complete → reward {money}",
    ),
    "explain.area.incomplete": (
        "{area}：{villages} 未全面完成 → 罚 {money} 元",
        "area {area}: {villages} not complete → penalty {money}",
    ),
}
