"""How the home and ledger screens look at 80x24 and 120x40, in Chinese, on the sample
township built with a fixed seed and a fixed clock (nothing per-run is shown).

Update the pictures after a deliberate change with `pytest --snapshot-update`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from ui_helpers import make_app, open_ledger, settle


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_home(snap_compare: object, demo_home: Path, size: tuple[int, int]) -> None:
    async def counted(pilot: Pilot[int]) -> None:  # the counts fill in from the worker
        await settle(pilot)

    assert snap_compare(  # type: ignore[operator]
        make_app(demo_home, "zh"), terminal_size=size, run_before=counted
    )


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_ledger(snap_compare: object, demo_home: Path, size: tuple[int, int]) -> None:
    async def to_ledger(pilot: Pilot[int]) -> None:
        await open_ledger(pilot)
        await pilot.press("down", "right", "right")
        await settle(pilot)

    assert snap_compare(  # type: ignore[operator]
        make_app(demo_home, "zh"), terminal_size=size, run_before=to_ledger
    )
