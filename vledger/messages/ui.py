"""The terminal UI's words: shared labels, then each screen's own, in screen order.

Short labels (titles, column headers, footer words) fit an 80-column terminal in both
languages; status lines say what happened and what to do next.
"""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    # -- labels shared by several screens (tui/i18n.py names them by short key)
    "ui.app-title": ("村级台账", "vledger"),
    "ui.township": ("乡镇", "Township"),
    "ui.village": ("村", "Village"),
    "ui.office": ("本单位", "Office"),
    "ui.program": ("方案", "Program"),
    "ui.programs": ("考核方案", "Programs"),
    "ui.period": ("考核阶段", "Period"),
    "ui.ledger": ("台账", "Ledger"),
    "ui.sheets": ("乡镇表格", "Township sheets"),
    "ui.targets": ("目标任务", "Targets"),
    "ui.entered": ("录入值", "Entered values"),
    "ui.manual": ("人工评分", "Manual points"),
    "ui.adjustments": ("加扣分", "Adjustments"),
    "ui.ranking": ("排名", "Ranking"),
    "ui.history": ("历史记录", "History"),
    "ui.conflicts": ("冲突", "Conflicts"),
    "ui.sync": ("同步", "Sync"),
    "ui.home": ("首页", "Home"),
    "ui.help": ("帮助", "Help"),
    "ui.quit": ("退出", "Quit"),
    "ui.back": ("返回", "Back"),
    "ui.language": ("切换语言", "Language"),
    "ui.switch-language": ("切换到英文", "Switch to Chinese"),
    "ui.connected": ("连接", "Connected"),
    "ui.last-sync": ("上次同步", "Last sync"),
    "ui.unsynced": ("未同步修改", "Unsynced edits"),
    "ui.open-conflicts": ("未解决冲突", "Open conflicts"),
    "ui.error": ("出错", "Error"),
    "ui.working": ("处理中…", "Working…"),
    "ui.done": ("完成", "Done"),
    "ui.none": ("无", "none"),
    "ui.rank": ("名次", "Rank"),
    "ui.total": ("总分", "Total"),
    "ui.complete": ("全面完成", "Complete"),
    "ui.vetoed": ("一票否决", "Vetoed"),
    # -- first run: a home with no office
    "ui.first.welcome": ("欢迎使用村级台账", "Welcome to vledger"),
    "ui.first.no-office": (
        "此文件夹还没有办公室：{home}", "This folder holds no office yet: {home}"
    ),
    "ui.first.start": ("建立一个乡镇（本机为乡镇办公室）", "Start a township (this is its office)"),
    "ui.first.join": ("用邀请文件加入", "Join with an invitation file"),
    "ui.first.name": ("乡镇名称（回车确定）：", "Township name (Enter to create):"),
    "ui.first.name-example": ("例如 青石乡", "e.g. 青石乡"),
    "ui.first.invitation": (
        "邀请文件的路径（回车加入）：", "Path of the invitation file (Enter to join):"
    ),
    "ui.first.invitation-example": ("例如 /media/U盘/v01.invite", "e.g. /media/usb/v01.invite"),
    "ui.first.name-missing": ("请输入乡镇名称", "Type the township's name"),
    "ui.first.creating": ("正在建立…", "Creating…"),
    "ui.first.no-invitation": ("找不到邀请文件：{path}", "No invitation file at: {path}"),
    "ui.first.joining": ("正在加入…", "Joining…"),
    "ui.first.joined": (
        "已加入。请把回执文件交给乡镇：{reply}",
        "Joined. Hand this reply file to the township: {reply}",
    ),
    "ui.progress.wait": ("请稍候…", "Please wait…"),
    "ui.progress.quit": ("Ctrl+Q 退出", "Ctrl+Q to quit"),
    # -- home
    "ui.home.year": ("年度", "year"),
    "ui.home.hint": (
        "↑↓ 选方案，回车打开台账；F1 帮助，Ctrl+P 命令，Ctrl+Q 退出",
        "↑↓ choose a program, Enter opens its ledger; F1 help, Ctrl+P commands, Ctrl+Q quit",
    ),
    "ui.home.counting": ("统计中…", "counting…"),
    "ui.home.serving": (
        "正在提供同步服务：{address} · 已同步 {count} 个对方",
        "serving on {address} · {count} {count:peer|peers} synced",
    ),
    "ui.home.other-years": ("其他年度：{years}（按 o 显示）",
                            "other years: {years} (o shows them)"),
    "ui.home.open-program": ("打开 {title}（{year}）", "open {title} ({year})"),
    "ui.home.last-sync": ("上次同步 {office} {at}", "last with {office} at {at}"),
    "ui.home.no-programs": (
        "尚未发布方案（vledger program add）", "no programs yet (vledger program add)"
    ),
    # -- history, blame and conflicts: how journal values read
    "ui.op.add": ("新增", "add"),
    "ui.op.set": ("修改", "edit"),
    "ui.op.delete": ("删除", "delete"),
    "ui.op.restore": ("恢复", "restore"),
    "ui.op.resolve": ("解决冲突", "settle"),
    "ui.op.target": ("目标", "target"),
    "ui.op.entered": ("录入", "entered"),
    "ui.op.manual": ("评分", "points"),
    "ui.op.adjustment": ("加扣分", "adjustment"),
    "ui.op.name": ("乡镇名", "name"),
    "ui.op.office": ("单位", "office"),
    "ui.op.program": ("方案", "program"),
    "ui.op.device": ("设备", "device"),
    "ui.row.roster": ("单位名册", "roster"),
    "ui.row.program": ("方案文件", "program file"),
    "ui.row.township": ("乡镇", "township"),
    "ui.row.publication": ("通报", "publication"),
    "ui.value.deleted": ("已删除", "deleted"),
    "ui.cell.deleted": ("整行删除", "row deleted"),
    "ui.value.restored": ("未删除", "restored"),
    "ui.history.bad-bound": (
        "{name}：“{text}”不是日期（如 2026-03-01）或时间",
        "{name}: {text!r} is not a date (2026-03-01) or time",
    ),
    "ui.history.col.time": ("时间", "time"),
    "ui.history.col.office": ("单位", "office"),
    "ui.history.col.op": ("操作", "op"),
    "ui.history.col.program": ("方案", "program"),
    "ui.history.col.village": ("村", "village"),
    "ui.history.col.row": ("行", "row"),
    "ui.history.col.column": ("列", "column"),
    "ui.history.col.old": ("原值", "old"),
    "ui.history.col.new": ("新值", "new"),
    "ui.history.col.concurrent": ("同时修改", "concurrent"),
    "ui.history.since": ("自", "from"),
    "ui.history.edit": (
        "{where}：{old} → {new}（{who}，{at}，{op}）", "{where}: {old} → {new} ({who}, {at}, {op})"
    ),
    "ui.history.unknown-name": (
        "{what}：没有“{text}”（填编号或名称，如 v02 或 东溪村）",
        "{what}: nothing called {text!r} (type an id or a name, like v02 or 东溪村)",
    ),
    "ui.history.until": ("至", "until"),
    "ui.history.count": (
        "{count} 条修改记录，新的在前", "{count} {count:edit|edits}, newest first"
    ),
    # -- conflicts and blame
    "ui.conflicts.col.cell": ("单元格", "cell"),
    "ui.conflicts.col.value": ("值", "value"),
    "ui.conflicts.col.shown": ("显示", "shown"),
    "ui.conflicts.col.who": ("谁改的", "who"),
    "ui.conflicts.cell": (
        "{village} · {program}\n行：{row}　列：{column}　（● 当前显示的值）",
        "{village} · {program}\nrow: {row}   column: {column}   (● the value shown now)",
    ),
    "ui.conflicts.value-line": ("{mark} {value}　{who}　{at}", "{mark} {value}   {who}, {at}"),
    "ui.conflicts.col.edit": ("编号", "edit"),
    "ui.conflicts.col.conflict": ("冲突编号", "conflict"),
    "ui.conflicts.settled": ("已解决：{cell} 保留 {value}", "settled {cell}: kept {value}"),
    "ui.conflicts.open": (
        "{count} 个未解决的冲突：回车保留光标所在的值",
        "{count} open {count:conflict|conflicts}: Enter keeps the value under the cursor",
    ),
    "ui.conflicts.none": ("没有未解决的冲突", "no open conflicts"),
    "ui.blame.col.branch": ("链", "chain"),
    "ui.blame.edit": ("{old} → {new}（{who}，{at}，{op}）", "{old} → {new} ({who}, {at}, {op})"),
    "ui.blame.branches": (
        "{cell}\n冲突：{count} 个不同的值，各有一条修改链：{values}（① 为当前显示的值）",
        "{cell}\nin conflict: {count} competing values, each with its chain: {values} "
        "(① is shown now)",
    ),
    "ui.blame.none": ("{cell}：没有修改记录", "{cell}: no recorded edits"),
    "ui.blame.chain": (
        "{cell} 当前值 {now}，共 {count} 次修改", "{cell} now {now}, {count} {count:edit|edits}"
    ),
    # -- sync
    "ui.sync.col.peer": ("对方", "peer"),
    "ui.sync.col.state": ("状态", "state"),
    "ui.sync.col.last-sync": ("上次同步", "last sync"),
    "ui.sync.col.unconfirmed": ("待确认", "unconfirmed"),
    "ui.sync.col.changes": ("修改 发/收", "changes out/in"),
    "ui.sync.col.address": ("地址", "address"),
    "ui.sync.head": (
        "{township} · 本单位 {name}（{office}）· 设备 {device}",
        "{township} · office {name} ({office}) · device {device}",
    ),
    "ui.sync.address": ("对方地址", "peer address"),
    "ui.sync.listen": ("本机服务地址", "serve on"),
    "ui.sync.serving": (
        "正在 {address} 提供同步服务（v 停止）", "serving on {address} (v stops)"
    ),
    "ui.sync.serve-starting": ("正在启动同步服务 {address}…", "starting to serve on {address}…"),
    "ui.sync.not-serving": ("未提供同步服务（v 开始）", "not serving (v starts)"),
    "ui.sync.serve-failed": ("同步服务停止：{problem}", "serving stopped: {problem}"),
    "ui.sync.connected": ("连接中", "connected"),
    "ui.sync.left": ("已断开", "left"),
    "ui.sync.refused": ("被拒绝", "refused"),

    "ui.sync.bundle": ("同步包文件", "bundle file"),
    "ui.sync.in-step": ("一致", "in step"),
    "ui.sync.changing": ("对方仍在变化", "peer changing"),
    "ui.sync.failed": ("失败", "failed"),
    "ui.sync.failed-why": ("失败：{why}", "failed: {why}"),
    "ui.sync.not-reached": ("未连上", "no answer"),
    "ui.sync.syncing": ("正在与 {address} 同步…", "syncing with {address}…"),
    "ui.sync.unreachable": (
        "无法与 {address} 同步：{problem}", "could not sync with {address}: {problem}"
    ),
    "ui.sync.synced": (
        "已与 {office} 同步：发出 {sent} 个修改，收到 {received} 个",
        "synced with {office}: sent {sent} {sent:change|changes}, received {received}",
    ),
    "ui.sync.bundle-missing": ("请填写同步包文件路径", "type the bundle file's path"),
    "ui.sync.exporting": ("正在导出到 {path}…", "exporting to {path}…"),
    "ui.sync.importing": ("正在导入 {path}…", "importing {path}…"),
    "ui.sync.exported": (
        "已导出 {documents} 个文档、{changes} 个修改到 {path}（{size} 字节）",
        "exported {documents} {documents:document|documents}, {changes} "
        "{changes:change|changes} to {path} ({size} bytes)",
    ),
    "ui.sync.imported": (
        "已导入 {office} 的同步包：{changes} 个新修改",
        "imported {office}'s bundle: {changes} new {changes:change|changes}",
    ),
    "ui.sync.imported-refused": (
        "；{count} 个修改被拒收（未应用）",
        "; {count} {count:change|changes} refused (never applied)",
    ),
    "ui.sync.export-failed": ("导出失败：{problem}", "export failed: {problem}"),
    # -- the grid
    "ui.grid.row": ("行", "row"),
    "ui.grid.sorted": ("排序", "sorted by"),
    "ui.grid.filtered": ("筛选", "filter"),
    "ui.grid.deleted-shown": ("显示已删除行", "showing deleted rows"),
    "ui.grid.search": ("查找（回车确定，Esc 取消）", "search (Enter to find, Esc to cancel)"),
    "ui.grid.no-match": ("未找到“{pattern}”", "no match for “{pattern}”"),
    "ui.import.title": ("导入文件到台账 · {program} · {village}",
                        "Import a file into the ledger · {program} · {village}"),
    "ui.import.hint": (
        "输入或选择 .csv / .xlsx 文件，回车检查（不会写入）；Tab 到文件列表；Esc 关闭",
        "Type or pick a .csv / .xlsx file, Enter checks it (nothing is written); Tab to the "
        "file list; Esc closes",
    ),
    "ui.import.not-a-file": ("没有这个文件：{file}", "No such file: {file}"),
    "ui.import.checking": ("正在检查 {file}…", "Checking {file}…"),
    "ui.import.problems": (
        "{file}：发现 {count} 个问题，一行也不会导入。改正文件后再按回车检查：",
        "{file}: {count} problems found; no row will be imported. Fix the file and press "
        "Enter to check it again:",
    ),
    "ui.import.empty": ("{file} 里没有数据行。", "{file} holds no rows."),
    "ui.import.ready": (
        "{file}：{count} 行全部可以导入。再按回车导入全部；Esc 关闭，不导入。",
        "{file}: all {count} rows can be imported. Press Enter again to import them all; "
        "Esc closes without importing.",
    ),
    "ui.import.importing": ("正在导入 {file}…", "Importing {file}…"),
    "ui.import.refused": ("没有导入：", "Nothing imported:"),
    "ui.import.done": ("已导入 {count} 行", "{count} rows imported"),
    "ui.grid.search-last": (
        "查找（上次：{pattern}；回车不填则取消查找，F3 找下一个）",
        "search (last: {pattern}; Enter on empty stops searching, F3 finds the next)",
    ),
    "ui.grid.quit-refused": (
        "未退出：正在输入的值不能保存（{reason}）。改正后再按 Ctrl+Q，或按 Esc 放弃此值。",
        "Not quit: the value being typed cannot be stored ({reason}). Fix it and press "
        "Ctrl+Q again, or Esc to drop it.",
    ),
    "ui.grid.read-only": ("此列不可编辑", "this column cannot be edited"),
    "ui.grid.row-deleted": (
        "该行已删除，请先恢复（r）", "this row is deleted: restore it first (r)"
    ),
    "ui.grid.deleted": ("已删除一行（u 撤销）", "row deleted (u to undo)"),
    "ui.grid.not-deleted": ("该行未删除", "this row is not deleted"),
    "ui.grid.nothing-to-undo": ("没有可撤销的修改", "nothing to undo"),
    "ui.grid.nothing-to-redo": ("没有可重做的修改", "nothing to redo"),
    "ui.grid.restore-first": ("该行已删除，请先恢复", "this row is deleted: restore it first"),
    "ui.grid.village-read-only": ("村名列不可编辑", "the village column cannot be edited"),
    "ui.grid.sheet-add-row": (
        "表格每村一行：请在名册中添加村",
        "a sheet has one row per village: add villages to the roster",
    ),
    "ui.grid.sheet-delete-row": (
        "表格每村一行：请清空单元格", "a sheet has one row per village: clear the cells instead"
    ),
    "ui.grid.sheet-restore-row": ("表格没有已删除的行", "a sheet has no deleted rows"),
    # -- ledger and township sheets
    "ui.sheets.no-programs": ("尚未发布方案", "No programs yet"),
    "ui.sheets.no-such-sheet": (
        "本方案没有这种表（F6 换表）", "This program has no such sheet (F6: another sheet)"
    ),
    "ui.sheets.whole-year": ("全年", "whole year"),
    "ui.sheets.read-only": (
        "只读：乡镇表格由乡镇填写，村里可以查看",
        "Read only: the township fills these sheets; a village can look at them",
    ),
    "ui.ledger.none": (
        "没有可显示的台账：先发布方案、添加村",
        "No ledger to show: publish a program and add villages first",
    ),
    # -- computed tables
    "ui.grid.computed": ("此表为计算结果，不能编辑", "this sheet is computed and cannot be edited"),
    # -- the app, help and explanations
    "ui.app.no-office": ("请先建立或加入一个乡镇", "Start or join a township first"),
    "ui.app.quit-title": ("要退出吗？", "Do you want to quit?"),
    "ui.app.quit-how": ("按 {key} 退出", "Press {key} to quit"),
    "ui.palette.placeholder": ("输入命令名称查找（中文或英文）…", "Search for commands…"),
    "ui.palette.no-matches": ("没有找到匹配的命令", "No matches found"),
    "ui.app.not-available": ("“{screen}”尚未提供", "The {screen} is not available yet"),
    "ui.help.title": ("按键帮助（Esc 关闭）", "Keys (Esc closes)"),
    "ui.help.this-screen": ("本屏幕", "This screen"),
    "ui.help.grid": ("表格", "Grid"),
    "ui.help.editing": ("编辑单元格时", "While editing a cell"),
    "ui.help.anywhere": ("任何时候", "Anywhere"),
    "ui.explain.title": (
        "{village}（{id}）· {period} · {what} 的计算过程",
        "{village} ({id}) · {period} · how {what} was reached",
    ),
    "ui.ranking.no-program": ("还没有考核方案", "there is no program yet"),
    "ui.ranking.year": ("全年", "year"),
    "ui.ranking.col.marks": ("标记", "marks"),
    "ui.ranking.col.rank-bonus": ("排名加分", "rank bonus"),
    "ui.ranking.col.reward": ("奖励", "reward"),
    "ui.ranking.col.penalty": ("处罚", "penalty"),
    "ui.ranking.col.amount": ("兑现金额", "amount"),
    "ui.ranking.vetoed": ("否决", "vetoed"),
    "ui.ranking.complete": ("完成", "complete"),
    "ui.ranking.warned": (
        "⚠ {count} 条台账行不计入任何阶段（{villages}），回车查看",
        "⚠ {count} ledger rows count in no period ({villages}); Enter shows",
    ),
    "ui.ranking.areas": ("管区：{money}", "areas: {money}"),
}
