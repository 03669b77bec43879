"""Two-language labels for the UI (zh, en), on top of the message catalogue.

The words live in `vledger.messages` (ids `ui.*`, commands' `cmd.*`); a screen says them
with `say(lang, id, **args)` and re-runs its labelling code on a language switch.
`t(lang, key)` names the labels shared by several screens by a short key. Keep this module
free of Textual so headless code (tests, CLI) can import it cheaply.
"""

from __future__ import annotations

from vledger.messages import LANGS, Lang, say

__all__ = ["LANGS", "Lang", "T", "other", "t"]


def other(lang: str) -> Lang:
    """The language a switch goes to."""
    return "en" if lang == "zh" else "zh"


# Labels used by more than one screen, so the same thing is always called the same:
# short key -> catalogue id.
T: dict[str, str] = {
    "app-title": "ui.app-title",
    "township": "ui.township",
    "village": "ui.village",
    "office": "ui.office",
    "program": "ui.program",
    "programs": "ui.programs",
    "period": "ui.period",
    "ledger": "ui.ledger",
    "sheets": "ui.sheets",
    "targets": "ui.targets",
    "entered": "ui.entered",
    "manual": "ui.manual",
    "adjustments": "ui.adjustments",
    "ranking": "ui.ranking",
    "history": "ui.history",
    "conflicts": "ui.conflicts",
    "sync": "ui.sync",
    "home": "ui.home",
    "help": "ui.help",
    "quit": "ui.quit",
    "back": "ui.back",
    "language": "ui.language",
    "switch-language": "ui.switch-language",
    "connected": "ui.connected",
    "last-sync": "ui.last-sync",
    "unsynced": "ui.unsynced",
    "open-conflicts": "ui.open-conflicts",
    "error": "ui.error",
    "working": "ui.working",
    "done": "ui.done",
    "none": "ui.none",
    "rank": "ui.rank",
    "total": "ui.total",
    "complete": "ui.complete",
    "vetoed": "ui.vetoed",
}


def t(lang: str, key: str) -> str:
    """The shared label `key` in `lang`; KeyError names the missing key."""
    return say(lang, T[key])
