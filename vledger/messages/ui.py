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
    "ui.not-synced": ("尚未同步", "not synced yet"),
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
}
