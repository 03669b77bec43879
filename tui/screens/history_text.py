"""How journal values, times and operations read on the history, blame and conflicts
screens, in the clerk's language (shared by those three screens; no Textual here)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from vledger.domain.history import DELETED
from vledger.errors import VledgerError
from vledger.messages import localize, say

OP_NAMES = {
    "add": "ui.op.add", "set": "ui.op.set", "delete": "ui.op.delete",
    "restore": "ui.op.restore", "resolve": "ui.op.resolve", "publish": "ui.op.publish",
    # the township document's own edits (documents/township.py, trust/roster.py)
    "target": "ui.op.target", "entered": "ui.op.entered", "manual": "ui.op.manual",
    "adjustment": "ui.op.adjustment", "name": "ui.op.name", "office": "ui.op.office",
    "program": "ui.op.program", "device": "ui.op.device",
}


def show_value(value: Any, lang: str, column: str = "") -> str:
    """A stored value as a clerk reads it (empty shown as "—", yes/no in the language)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        if column == DELETED:
            return say(lang, "ui.value.deleted" if value else "ui.value.restored")
        return say(lang, "cli.yes" if value else "cli.no")
    return str(value)


def show_time(at: str) -> str:
    """`at` as the recording laptop wrote it, to the minute: offices' clocks differ, so no
    conversion pretends to more precision than there is."""
    return at[:16].replace("T", " ")


def parse_bound(text: str, name: str, lang: str = "en") -> str | None:
    """A typed time filter as ISO 8601 with offset; a date alone is local midnight."""
    text = text.strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(say(lang, "ui.history.bad-bound", name=name, text=text)) from None
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return moment.isoformat()


def op_name(op: str, lang: str) -> str:
    return say(lang, OP_NAMES[op]) if op in OP_NAMES else op


def problem_text(problem: VledgerError, lang: str) -> str:
    """A refusal's lines on one status line, catalogue messages said in `lang`."""
    return "; ".join(localize(p, lang) for p in problem.problems) or str(problem)
