"""How the grid looks at 80x24 (design.md: the UI must work there), with CJK text, the
cursor, an unsynced and a conflicting cell, an open editor and a refusal.

Update the pictures after a deliberate change with `pytest --snapshot-update`.
"""

from __future__ import annotations

from test_grid import GridApp
from test_grid_model import example_model
from textual.pilot import Pilot

from vledger.tui.grid.view import Grid


def marked_app() -> GridApp:
    model = example_model()
    rows = model.row_ids()
    model.commit(rows[1], "note", "春节期间走访十二户")
    model.mark_synced()
    model.set_conflict(rows[1], "note")
    model.commit(rows[2], "participants", "33")
    return GridApp(model)


def test_ledger_at_80_by_24(snap_compare: object) -> None:
    assert snap_compare(marked_app(), terminal_size=(80, 24), press=["down", "right"])  # type: ignore[operator]


def test_refused_value_keeps_the_editor_open(snap_compare: object) -> None:
    async def type_bad_value(pilot: Pilot[None]) -> None:
        grid = pilot.app.query_one(Grid)
        grid.move_to(0, 2)
        await pilot.press("x", "y", "enter")

    assert snap_compare(  # type: ignore[operator]
        marked_app(), terminal_size=(80, 24), run_before=type_bad_value
    )
