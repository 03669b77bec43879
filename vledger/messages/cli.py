"""The command line's own words: table headers, confirmations, and its refusals.

Problems keep the `FILE:LINE: ` or `ID: ` location first in both languages, so a clerk
(or a script) finds the place the same way whatever the language.
"""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "cli.warning": ("警告：{text}", "warning: {text}"),
    "cli.yes": ("是", "yes"),
    "cli.no": ("否", "no"),
    "cli.empty": ("（空）", "(empty)"),
    "cli.kind.township": ("乡镇", "township"),
    "cli.kind.village": ("村", "village"),
    # -- table headers and labels
    "cli.head.id": ("编号", "id"),
    "cli.head.title": ("名称", "title"),
    "cli.head.name": ("名称", "name"),
    "cli.head.year": ("年度", "year"),
    "cli.head.periods": ("阶段", "periods"),
    "cli.head.area": ("管区", "area"),
    "cli.head.kind": ("类别", "kind"),
    "cli.head.office": ("办公室", "office"),
    "cli.head.township": ("乡镇", "township"),
    "cli.head.device": ("设备", "device"),
    "cli.head.user": ("用户", "user"),
    "cli.head.home": ("目录", "home"),
    "cli.head.state": ("状态", "state"),
    "cli.head.row": ("行", "row"),
    "cli.head.time": ("时间", "time"),
    "cli.head.edit": ("编号", "edit"),
    "cli.head.op": ("操作", "op"),
    "cli.head.cell": ("单元格", "cell"),
    "cli.head.change": ("原值 → 新值", "old → new"),
    "cli.head.rank": ("名次", "rank"),
    "cli.head.village": ("村", "village"),
    "cli.head.adjustments": ("加扣分", "adj"),
    "cli.head.rank-bonus": ("名次加分", "bonus"),
    "cli.head.total": ("总分", "total"),
    "cli.head.complete": ("全面完成", "complete"),
    "cli.head.amount": ("奖罚", "amount"),
    # -- reading a program file
    "cli.file.missing": ("{file}：找不到这个文件", "{file}: no such file"),
    "cli.file.is-folder": (
        "{file}：这是文件夹，不是方案文件", "{file}: is a folder, not a program file"
    ),
    "cli.file.unreadable": ("{file}：读不了这个文件（{why}）", "{file}: cannot read it ({why})"),
    "cli.file.not-utf8": (
        "{file}:{line}: 不是 UTF-8 编码的文字（第 {byte} 个字节）；请把文件另存为 UTF-8",
        "{file}:{line}: not UTF-8 text (byte {byte}); save the file as UTF-8",
    ),
    # -- program check / list / show
    "cli.program.ok": (
        "{file}：没有问题（{items} 个考核项目，{periods} 个考核阶段）",
        "{file}: ok ({items} {items:item|items}, {periods} {periods:period|periods})",
    ),
    "cli.program.periods": ("考核阶段", "Periods"),
    "cli.program.columns": ("台账列", "Columns"),
    "cli.program.indicators": ("指标", "Indicators"),
    "cli.program.items": ("考核项目", "Items"),
    "cli.program.adjustments": ("加扣分", "Adjustments"),
    "cli.program.share": ("占 {share} 份", "share {share}"),
    "cli.program.points": ("{points}分", "{points} pts"),
    # -- an item's rule in words
    "cli.rule.proportional": (
        "{points} 分 × 完成数 / 目标{over}", "{points} × achieved / target{over}"
    ),
    "cli.rule.bonus-over": ("，超额每个加 {bonus} 分", ", +{bonus} per unit over"),
    "cli.rule.linear": (
        "{points} 分，超目标每个加 {bonus} 分，差目标每个扣 {penalty} 分",
        "{points}, +{bonus} per unit over target, -{penalty} per unit under",
    ),
    "cli.rule.threshold": (
        "{points} 分，以{level}为线，超出每个加 {bonus} 分，不足每个扣 {penalty} 分",
        "{points} at level {level}, +{bonus} per unit above, -{penalty} per unit below",
    ),
    "cli.rule.full-at": (
        "达到{level}得满分 {points} 分，以下按比例",
        "full {points} at level {level}, proportional below",
    ),
    "cli.rule.per-event": (
        "{points} 分，每发生一次扣 {penalty} 分", "{points}, -{penalty} per event"
    ),
    "cli.rule.check": (
        "达到目标得 {points} 分，否则 0 分", "{points} if the target is reached, else 0"
    ),
    "cli.rule.manual": ("评估人员打分，满分 {points} 分", "assessor's points, up to {points}"),
    "cli.rule.level-target": ("目标", "target"),
    "cli.rule.bounded": ("{rule}（{bounds:comma}）", "{rule} ({bounds:comma})"),
    "cli.rule.at-most": ("最高 {points} 分", "at most {points}"),
    "cli.rule.at-least": ("最低 {points} 分", "at least {points}"),
    "cli.rule.floor": ("扣完为止", "not below 0"),
    # -- sheets
    "cli.sheet.imported": (
        "{program} {kind}：导入 {count} 项", "{program} {kind}: {count} imported"
    ),
    # -- ledgers
    "cli.ledger.cell-form": (
        "“{pair}”：应写成 列=值，如 date=2026-03-05",
        "{pair!r}: expected COL=VALUE, like date=2026-03-05",
    ),
    "cli.ledger.cell-twice": ("{column}：重复给出", "{column}: given twice"),
    "cli.ledger.cells-set": ("{row}：已修改 {count} 格", "{row}: {count} {count:cell|cells} set"),
    "cli.ledger.deleted": ("{row}：已删除", "{row}: deleted"),
    "cli.ledger.restored": ("{row}：已恢复", "{row}: restored"),
    "cli.ledger.no-rows": ("没有记录", "no rows"),
    "cli.ledger.deleted-mark": ("（已删除）", " (deleted)"),
    "cli.ledger.imported": (
        "已向 {village} 的 {program} 台账导入 {count} 行",
        "{count} {count:row|rows} added to {village}'s {program} ledger",
    ),
    "cli.ledger.export-kind": (
        "{file}：只能导出为 .csv 或 .xlsx", "{file}: export writes .csv or .xlsx"
    ),
    "cli.ledger.exported": (
        "已导出 {count} 行到 {file}", "{count} {count:row|rows} written to {file}"
    ),
    # -- history, blame, conflicts
    "cli.history.none": ("没有修改记录", "no recorded edits"),
    "cli.history.concurrent": ("⚡ 与之并发：{edits}", "⚡ concurrent with {edits}"),
    "cli.history.no-office": ("名册上没有办公室 {office}", "no office {office} on the roster"),
    "cli.history.no-row": (
        "{village} 的 {program} 台账中没有行 {row}", "no row {row} in {village}'s {program} ledger"
    ),
    "cli.history.no-column": (
        "方案 {program} 没有列 {name}（列有：{columns}）",
        "no column {name} in program {program} (columns: {columns})",
    ),
    "cli.history.deleted-column": ("已删除", "deleted"),
    "cli.conflicts.none": ("没有未解决的冲突", "no open conflicts"),
    "cli.conflicts.conflict": (
        "冲突 {id}: {cell}，当前显示：{shown}", "conflict {id}: {cell}, shown now: {shown}"
    ),
    "cli.conflicts.how": (
        "解决方法：vledger resolve 冲突编号 --keep 修改编号（或 --value 新值）",
        "settle one with: vledger resolve CONFLICT --keep EDIT (or --value VALUE)",
    ),
    "cli.conflicts.settled": ("{conflict}：已解决", "{conflict}: settled"),
    # -- ranking
    "cli.rank.no-village": (
        "{program} 的排名表上没有村 {village}", "no village {village} on the {program} sheet"
    ),
    "cli.rank.vetoed": ("否决", "veto"),
    "cli.rank.area": ("管区 {area}: {amount}", "area {area}: {amount}"),
    "cli.rank.warned": (
        "{count} 条台账记录未计入任何阶段（用 --explain 查看）",
        "{count} ledger row(s) count in no period (see --explain)",
    ),
    # -- identity
    "cli.invite.written": ("已写入邀请文件 {path}", "invitation written to {path}"),
    "cli.join.done": (
        "本目录现为 {township} 的 {office} {name}；设备 {device}",
        "this home is now office {office} {name} of {township}; device {device}",
    ),
    "cli.join.reply": (
        "请把 {reply} 交回乡镇（vledger device enroll），或直接同步",
        "take {reply} back to the township (vledger device enroll), or just sync",
    ),
    "cli.device.active": ("有效", "active"),
    "cli.device.revoked": ("已吊销", "revoked"),
    "cli.device.this": ("本机", "this device"),
    "cli.device.enrolled": (
        "设备 {device} 已登记为 {office} 的设备", "device {device} is now a device of {office}"
    ),
    "cli.device.already-enrolled": (
        "设备 {device} 已是 {office} 的设备", "device {device} was already a device of {office}"
    ),
    "cli.device.revoke-done": (
        "已吊销 {office} 的设备 {device}：之后的修改一律拒收",
        "device {device} of {office} revoked: its new changes are refused",
    ),
    # -- demo
    "cli.demo.bad-size": (
        "--villages 至少为 1，--rows 至少为 0",
        "--villages must be at least 1 and --rows at least 0",
    ),
    "cli.demo.not-empty": (
        "{home} 不是空文件夹；示例要建在空文件夹里",
        "{home} is not empty; the demo is built in an empty folder",
    ),
    "cli.demo.where": ("示例乡镇已建在 {home}", "The sample township is in {home}"),
    "cli.demo.again": (
        "示例乡镇在 {home}，上次的修改都还在（重新建一个：vledger demo --fresh）",
        "The sample township is in {home}, with the edits made in it before (to start over: "
        "vledger demo --fresh)",
    ),
    "cli.demo.rank-it": ("排名：{command}", "Rank it: {command}"),
    "cli.demo.progress": ("示例", "demo"),
    "cli.demo.offices": ("乡镇和村", "township and villages"),
    # -- status
    "cli.status.named": ("{name}（{id}）", "{name} ({id})"),
    "cli.status.township": ("{township}（设备 {device}）", "{township} (device {device})"),
    "cli.status.office": (
        "{township}的{office}（设备 {device}）", "{office} of {township} (device {device})"
    ),
    "cli.status.documents": (
        "{count} 个文档：", "{count} {count:document|documents}:"
    ),
    "cli.status.year": ("  {year} 年：", "  {year}:"),
    "cli.status.document": (
        "  {doc}：{changes} 个修改", "  {doc}: {changes} {changes:change|changes}"
    ),
    "cli.status.no-peer": (
        "还没有哪个办公室和这里同步过", "no peer has synced with this office yet"
    ),
    "cli.status.peer": (
        "对方 {office}（设备 {device}）：上次同步 {at}，{count} 个修改未确认收到",
        "peer {office} (device {device}): last sync {at}, {count} "
        "{count:change|changes} not confirmed",
    ),
    "cli.status.refused": (
        "收到的修改中有 {count} 个被拒收（从未应用）：",
        "{count} received {count:change|changes} refused (never applied):",
    ),
    "cli.status.by-device": ("设备 {device}（{office}）", "device {device} ({office})"),
    "cli.status.no-device": ("无设备", "no device"),
    "cli.status.seen": ("（见过 {times} 次）", " (seen {times} times)"),
    "cli.status.refused-change": (
        "  {at} {doc} 修改 {change}，{who}，来自 {origin}：{reason}{seen}",
        "  {at} {doc} change {change} by {who} from {origin}: {reason}{seen}",
    ),
    "cli.status.damage": (
        "这个目录的存储有 {count} 处损坏：",
        "{count} damaged {count:part|parts} of this home's store:",
    ),
    "cli.status.damage-how": (
        "  运行 `vledger recover` 取回损坏副本里还能读出的内容，再同步一次从其他办公室补齐",
        "  run `vledger recover` to take back what the damaged copy still holds, then sync "
        "to get the rest from a peer",
    ),
    "cli.status.set-aside": (
        "有 {count} 个修改被放在一边（从未应用）：",
        "{count} {count:change|changes} set aside (never applied):",
    ),
    "cli.status.set-aside-change": (
        "  {at} {doc} 修改 {change}，设备 {device}：{reason}",
        "  {at} {doc} change {change} by device {device}: {reason}",
    ),
    # -- recover
    "cli.recover.done": (
        "已从 {source} 取回：{documents} 个文档中新增 {changes} 个修改",
        "recovered from {source}: {changes} new {changes:change|changes} in {documents} "
        "{documents:document|documents}",
    ),
    "cli.recover.settings": ("  取回的设置：{keys}", "  settings taken back: {keys}"),
    "cli.recover.problem": ("  读不出：{problem}", "  could not be read: {problem}"),
    "cli.recover.next": (
        "再和乡镇同步一次，补齐损坏时丢掉的修改",
        "now sync with the township to get back what the damage lost",
    ),
}
