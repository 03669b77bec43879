"""Pausing Python's cycle collector around bulk reads.

Reading a ledger makes millions of small tuples and dicts (every value the binding
hands back, every row and its cells) and keeps thousands of them. Each few hundred
allocations the collector walks the young objects, and the kept rows are walked again
as they age: a tenth of a cold ranking went there, for no garbage, since reading makes
no reference cycles (plain values, dicts of them). Inside `paused()` the collector
waits; reference counting still frees everything at once, and the first collection
after the pause catches whatever cycles anything else made meanwhile.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0  # pauses open now, in every thread
_resume = False  # whether the collector was on when the first of them began


@contextmanager
def paused() -> Iterator[None]:
    """The collector off for the block (nested and concurrent pauses allowed: it comes
    back on when the last one ends, and only if it was on before the first)."""
    _pause()
    try:
        yield
    finally:
        _unpause()


_held = False  # `hold()` is one of the pauses open now


def hold() -> None:
    """A pause that is not a block: from here until `resume()` (a UI's start-up spans
    several functions). Held once, one `resume()` ends it; a second is nothing."""
    global _held
    with _lock:
        if _held:
            return
        _held = True
    _pause()


def resume() -> None:
    """End the pause `hold()` began (nothing without one)."""
    global _held
    with _lock:
        if not _held:
            return
        _held = False
    _unpause()


def _pause() -> None:
    global _depth, _resume
    with _lock:
        if _depth == 0:
            _resume = gc.isenabled()
            gc.disable()
        _depth += 1


def _unpause() -> None:
    global _depth
    with _lock:
        _depth -= 1
        if _depth == 0 and _resume:
            gc.enable()
