"""A village office as the roster names it, on its own: the roster, the home screen and
the sheets read villages without importing the ranking sheet's rules."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Village:
    """A village office on the roster; `area` is its 管区, None when it has none."""

    id: str
    name: str
    area: str | None = None
