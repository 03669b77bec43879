"""The one clock every recorded time comes from (journal entries, chunk rows, peer
records, refusals): local time with its UTC offset, to the millisecond."""

from __future__ import annotations

from datetime import datetime


def now_iso() -> str:
    return datetime.now().astimezone().isoformat(timespec="milliseconds")
