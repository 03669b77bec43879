"""How journal values, times and operations read on the history, blame and conflicts
screens, in the clerk's language (shared by those three screens; no Textual here)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from vledger.domain.history import DELETED
from vledger.errors import VledgerError

OP_NAMES = {
    "add": ("新增", "add"), "set": ("修改", "edit"), "delete": ("删除", "delete"),
    "restore": ("恢复", "restore"), "resolve": ("解决冲突", "settle"),
}


def show_value(value: Any, lang: str, column: str = "") -> str:
    """A stored value as a clerk reads it (empty shown as "—", yes/no in the language)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        if column == DELETED:
            return ("已删除" if value else "未删除") if lang == "zh" else (
                "deleted" if value else "restored")
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    return str(value)


def show_time(at: str) -> str:
    """`at` as the recording laptop wrote it, to the minute: offices' clocks differ, so no
    conversion pretends to more precision than there is."""
    return at[:16].replace("T", " ")


def parse_bound(text: str, name: str) -> str | None:
    """A typed time filter as ISO 8601 with offset; a date alone is local midnight."""
    text = text.strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{name}: {text!r} is not a date (2026-03-01) or time") from None
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return moment.isoformat()


def op_name(op: str, lang: str) -> str:
    zh, en = OP_NAMES.get(op, (op, op))
    return zh if lang == "zh" else en


def problem_text(problem: VledgerError) -> str:
    """A refusal's lines on one status line."""
    return "; ".join(str(p) for p in problem.problems) or str(problem)
