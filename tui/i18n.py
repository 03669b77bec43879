"""Two-language labels for the UI (zh, en).

Every visible string goes through `tr(lang, zh, en)` or the shared table `T`, so a language
switch only has to re-run each widget's labelling code. Keep this module free of Textual so
headless code (tests, CLI) can import it cheaply.
"""

from __future__ import annotations

from typing import Literal

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")


def tr(lang: str, zh: str, en: str) -> str:
    """The label in `lang`; anything that is not "zh" falls back to English."""
    return zh if lang == "zh" else en


def other(lang: str) -> Lang:
    """The language a switch goes to."""
    return "en" if lang == "zh" else "zh"


# Labels used by more than one screen, so the same thing is always called the same.
# key -> (zh, en)
T: dict[str, tuple[str, str]] = {
    "app-title": ("村级台账", "vledger"),
    "township": ("乡镇", "Township"),
    "village": ("村", "Village"),
    "office": ("本单位", "Office"),
    "program": ("方案", "Program"),
    "programs": ("考核方案", "Programs"),
    "period": ("考核阶段", "Period"),
    "ledger": ("台账", "Ledger"),
    "sheets": ("乡镇表格", "Township sheets"),
    "targets": ("目标任务", "Targets"),
    "entered": ("录入值", "Entered values"),
    "manual": ("人工评分", "Manual points"),
    "adjustments": ("加扣分", "Adjustments"),
    "ranking": ("排名", "Ranking"),
    "history": ("历史记录", "History"),
    "conflicts": ("冲突", "Conflicts"),
    "sync": ("同步", "Sync"),
    "home": ("首页", "Home"),
    "help": ("帮助", "Help"),
    "quit": ("退出", "Quit"),
    "back": ("返回", "Back"),
    "language": ("切换语言", "Language"),
    "switch-language": ("切换到英文", "Switch to Chinese"),
    "not-synced": ("尚未同步", "not synced yet"),
    "connected": ("连接", "Connected"),
    "last-sync": ("上次同步", "Last sync"),
    "unsynced": ("未同步修改", "Unsynced edits"),
    "open-conflicts": ("未解决冲突", "Open conflicts"),
    "error": ("出错", "Error"),
    "working": ("处理中…", "Working…"),
    "done": ("完成", "Done"),
    "none": ("无", "none"),
    "rank": ("名次", "Rank"),
    "total": ("总分", "Total"),
    "complete": ("全面完成", "Complete"),
    "vetoed": ("一票否决", "Vetoed"),
}


def t(lang: str, key: str) -> str:
    """The shared label `key` in `lang`; KeyError names the missing key."""
    zh, en = T[key]
    return tr(lang, zh, en)
