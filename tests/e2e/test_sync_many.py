"""Many villages against one real `vledger serve`, and a village back after a month offline.

The fifty clients run in this process (asyncio, one HomeGate each) so the test
stays fast; the township is a real server subprocess on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.e2e.fault_proxy import (
    ServeProcess,
    add_rows,
    all_heads,
    make_township,
    make_village,
    rows_of,
    run_vledger,
    set_place,
)
from vledger.sync.link.transport import HomeGate, sync_once

VILLAGES = 50


async def test_fifty_villages_sync_concurrently_and_converge(tmp_path: Path) -> None:
    town = tmp_path / "town"
    make_township(town, villages=VILLAGES)
    names = [f"v{n:02d}" for n in range(1, VILLAGES + 1)]
    homes = {name: tmp_path / name for name in names}
    written: dict[str, list[str]] = {}
    for name, home in homes.items():
        make_village(town, home, name)
        written[name] = add_rows(home, None, 2, name)  # offline edits before the first sync
    server = ServeProcess(town)
    gates = [HomeGate(home) for home in homes.values()]
    try:
        for _ in range(2):  # the second round brings everyone what the others pushed later
            outcomes = await asyncio.wait_for(
                asyncio.gather(*(sync_once(g, "127.0.0.1", server.port, timeout=30,
                                           attempts=6) for g in gates)),
                timeout=240,
            )
            assert all(o.converged for o in outcomes)
    finally:
        for gate in gates:
            gate.close()
        assert server.stop() == 0
    expected = all_heads(town)
    assert len(expected) == VILLAGES + 1
    for home in homes.values():
        assert all_heads(home) == expected
    some = homes["v17"]
    for name in ("v01", "v33", "v50"):
        assert set(written[name]) <= set(rows_of(some, name))  # carried through the township


async def test_a_village_back_after_a_month_offline_syncs_in_one_go(tmp_path: Path) -> None:
    town, village = tmp_path / "town", tmp_path / "v01"
    make_township(town, villages=2)
    make_village(town, village, "v01")
    server = ServeProcess(town)
    try:
        code, _, err = await run_vledger(village, "sync", f"127.0.0.1:{server.port}")
        assert code == 0, err
        rows: list[str] = []
        for day in range(30):  # a month of clerk work, one action or two a day
            rows += add_rows(village, None, 3, f"day{day}")
            if day % 3 == 0:
                set_place(village, None, rows[0], f"corrected on day {day}")
        town_rows = add_rows(town, "v02", 5, "meanwhile")
        code, out, err = await run_vledger(village, "sync", f"127.0.0.1:{server.port}")
        assert code == 0, err
        assert "received 1 change" in out  # the township's one action came back too
    finally:
        assert server.stop() == 0
    assert all_heads(village) == all_heads(town)
    on_town = rows_of(town, "v01")
    assert set(rows) <= set(on_town) and on_town[rows[0]] == "corrected on day 27"
    assert set(town_rows) <= set(rows_of(village, "v02"))
