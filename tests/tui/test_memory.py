"""The app settles its memory between keys (tui/memory.py) and its footers do not keep
the keys they replaced (tui/textual_compat.py `mend_footer`)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Footer

from vledger.tui import memory
from vledger.tui.textual_compat import mend_footer


@pytest.fixture
def restored() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    memory.release()
    gc.set_threshold(*before)


def test_a_settle_freezes_what_is_alive_and_puts_full_collections_off(restored: None) -> None:
    kept = [[n] for n in range(memory.SETTLE_FROM)]
    memory.settle()
    assert gc.get_freeze_count() >= len(kept)
    assert memory.unsettled() < memory.SETTLE_FROM
    assert gc.get_threshold()[2] == memory.FULL_AFTER
    memory.release()
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold()[2] != memory.FULL_AFTER


def test_it_settles_only_at_a_pause_and_when_enough_came(restored: None) -> None:
    memory.settle()
    assert not memory.settle_if_due(quiet_for=10.0)  # nothing new since
    gc.collect()
    made = [[n] for n in range(2 * memory.SETTLE_FROM)]
    gc.collect()  # (what a while of work does: they reach the oldest generation)
    assert not memory.settle_if_due(quiet_for=0.1)  # the clerk is typing
    assert memory.settle_if_due(quiet_for=memory.QUIET_SECONDS)
    assert memory.unsettled() < memory.SETTLE_FROM and made


class Keys(App[None]):
    BINDINGS: ClassVar[list[Any]] = [Binding("a", "noop", "A"), Binding("b", "noop", "B")]

    def compose(self) -> ComposeResult:
        yield Footer()

    def action_noop(self, *_: object) -> None:
        pass


def watchers(footer: Footer) -> int:
    return sum(len(entries) for entries in getattr(footer, "__watchers", {}).values())


def test_the_collector_held_for_a_start_runs_again_on_resume(restored: None) -> None:
    memory.hold()
    try:
        assert not gc.isenabled()
        memory.hold()  # held once: one resume is enough
        memory.resume()
        assert gc.isenabled()
        memory.resume()  # and a second is nothing
        assert gc.isenabled()
    finally:
        gc.enable()


def test_a_collector_someone_else_turned_off_stays_off(restored: None) -> None:
    gc.disable()
    try:
        memory.hold()
        memory.resume()
        memory.release()
        assert not gc.isenabled()
    finally:
        gc.enable()


async def test_a_footer_keeps_its_keys_when_they_did_not_change() -> None:
    mend_footer()
    app = Keys()
    async with app.run_test() as pilot:
        footer = app.query_one(Footer)
        await pilot.pause()
        shown = list(footer.children)
        assert shown
        app.refresh_bindings()
        await pilot.pause()
        assert list(footer.children) == shown


async def test_a_footer_forgets_the_keys_it_replaced() -> None:
    mend_footer()
    app = Keys()
    async with app.run_test() as pilot:
        footer = app.query_one(Footer)
        await pilot.pause()
        shown = len(footer.children)
        for n in range(20):  # new keys each time: made again, the old ones let go
            app.bind(f"ctrl+{chr(ord('c') + n)}", f"noop({n})", description=f"K{n}")
            app.refresh_bindings()
            await pilot.pause()
        assert len(footer.children) > shown
        assert watchers(footer) <= len(footer.children) + 1


async def test_a_footers_keys_start_as_compact_as_it_is() -> None:
    """Textual makes each key compact and then binds it to its footer's `compact`: every
    key of a footer that is not compact changed class and had its styles worked out
    again once mounted. Made as their footer will make them, they have nothing to change
    (and look the same)."""
    from textual.widgets._footer import FooterKey

    mend_footer()
    changed: list[bool] = []
    watch = FooterKey._watch_compact

    def watched(key: FooterKey, compact: bool) -> None:
        if not key.has_class("-command-palette"):  # (compact from the start)
            changed.append(key.has_class("-compact") != compact)
        watch(key, compact)

    FooterKey._watch_compact = watched  # type: ignore[method-assign]
    try:
        app = Keys()
        async with app.run_test() as pilot:
            footer = app.query_one(Footer)
            await pilot.pause()
            keys = list(footer.query(FooterKey).exclude(".-command-palette"))
            assert keys and not any(k.compact or k.has_class("-compact") for k in keys)
            palette = footer.query_one(".-command-palette", FooterKey)  # Textual's own way
            assert palette.compact and palette.has_class("-compact")
    finally:
        FooterKey._watch_compact = watch  # type: ignore[method-assign]
    assert not any(changed)
