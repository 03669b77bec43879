"""Full garbage collections between keys, not in the middle of typing.

Python's collector walks every object it tracks on a full collection. With Textual, our
modules and an open 20,000-row ledger that is a hundred thousand objects and more, and
with the default thresholds a full collection fell due every few keys while the clerk
typed (each edit opens and closes the cell editor: widgets, styles and rendered lines
are made and dropped): pauses of 40-250 ms in the middle of keystrokes, several frames.

So the app *settles* when the clerk pauses (no key for QUIET_SECONDS, looked at once a
second): one full collection of everything, then `gc.freeze()`, which leaves everything
alive at that moment (modules, widgets, the ledger's rows) out of later collections;
and from then on a full collection falls due only after FULL_AFTER collections of the
middle generation instead of Python's 10. The young generations are collected as
always, so what typing makes and drops is freed at once; cycles that reach the oldest
generation wait for the next pause, a fraction of a second of typing away. Settling is
due when many objects reached the oldest generation since the last settle (start-up, a
ledger or a ranking read); it walks the whole heap once (unfrozen first, so cyclic
garbage among the frozen is still found), at a moment the clerk does not wait on.
`release()` puts Python's thresholds back and unfreezes (the app ends).

While the UI starts (`hold()` until `resume()`: importing Textual and our modules, opening
the office, the first screen) the collector does not run at all. Nearly everything made
then lives as long as the app, and the oldest generation, growing by a quarter at a time,
was walked whole again and again to free next to nothing: tens of milliseconds of a start.
"""

from __future__ import annotations

import gc
import time

# The start-up pause is one of vledger.collection's pauses, so it and the office's bulk
# reads on the worker (paused too) never turn the collector on under each other.
from vledger.collection import hold as hold
from vledger.collection import resume as resume

QUIET_SECONDS = 0.5  # no key for this long: a collection now holds nobody up
SETTLE_FROM = 20_000  # objects in the oldest generation outside the frozen heap
FULL_AFTER = 1000  # middle-generation collections before a full one, once settled

_defaults: tuple[int, int, int] | None = None  # Python's thresholds before the first settle


def unsettled() -> int:
    """Objects in the oldest generation that the last settle did not freeze."""
    return len(gc.get_objects(generation=2))


def settle() -> float:
    """One full collection of everything, then freeze what is alive; its seconds."""
    global _defaults
    started = time.perf_counter()
    if _defaults is None:
        _defaults = gc.get_threshold()
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    young, middle, _old = _defaults
    gc.set_threshold(young, middle, FULL_AFTER)
    return time.perf_counter() - started


def settle_if_due(quiet_for: float) -> bool:
    """Settle when the clerk paused and enough objects came since; whether it did."""
    if quiet_for < QUIET_SECONDS or unsettled() < SETTLE_FROM:
        return False
    settle()
    return True


def release() -> None:
    """Python's own thresholds back, and the frozen heap given back to the collector."""
    global _defaults
    resume()
    if _defaults is not None:
        gc.set_threshold(*_defaults)
        _defaults = None
    gc.unfreeze()
