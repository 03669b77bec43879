"""The cycle collector paused around bulk reads (vledger/collection.py)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest

from vledger.collection import paused
from vledger.sync.binding.doc import ROOT, Doc


@pytest.fixture
def collections() -> Iterator[list[str]]:
    """The phases of every collection the collector runs meanwhile."""
    seen: list[str] = []

    def note(phase: str, info: dict[str, Any]) -> None:
        seen.append(phase)

    gc.callbacks.append(note)
    try:
        yield seen
    finally:
        gc.callbacks.remove(note)


def test_nested_pauses_resume_the_collector_only_at_the_last_end() -> None:
    assert gc.isenabled()
    with paused():
        with paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_pause_leaves_a_collector_that_was_off_off() -> None:
    gc.disable()
    try:
        with paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_reading_a_ledger_sized_map_runs_at_most_one_collection(collections: list[str]) -> None:
    doc = Doc()
    with doc.transaction() as tx:
        for n in range(1500):
            tx.put(ROOT, f"p/{n:05}", {"cells": {"a": n, "b": "x"}, "n": n, "deleted": False})
    gc.collect()
    collections.clear()
    rows = doc.read_map(ROOT, "p/")
    # at most the one collection, put off until the read ends, instead of dozens
    assert collections.count("start") <= 1
    assert len(rows) == 1500 and rows["p/00007"] == {"cells": {"a": 7, "b": "x"}, "n": 7,
                                                     "deleted": False}
    assert gc.isenabled()


def test_a_hold_and_a_block_pause_share_one_count() -> None:
    """The UI's start-up hold ends while the worker may still be inside a bulk read's
    pause: the collector stays off until that read's pause ends too."""
    from vledger.collection import hold, resume

    assert gc.isenabled()
    hold()
    with paused():
        resume()
        assert not gc.isenabled()
    assert gc.isenabled()
