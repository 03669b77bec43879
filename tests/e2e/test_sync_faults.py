"""Real `vledger serve` and `vledger sync` processes with a faulty link between them.

Each test edits both homes, syncs through a proxy that breaks the link in
one way, edits again, and so on; at the end a clean sync must leave both
homes with the same heads for every document and every acknowledged edit
(a row id returned to the clerk) present on both sides.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.fault_proxy import (
    DOWN,
    UP,
    Fault,
    FaultProxy,
    ServeProcess,
    add_rows,
    all_heads,
    make_township,
    make_village,
    rows_of,
    run_vledger,
    set_place,
)


@pytest.fixture
def homes(tmp_path: Path) -> Iterator[tuple[Path, Path, ServeProcess]]:
    town, village = tmp_path / "town", tmp_path / "v01"
    make_township(town, villages=2)
    make_village(town, village, "v01")
    server = ServeProcess(town)
    yield town, village, server
    assert server.stop() == 0  # SIGTERM: a clean stop


CUTS = [
    Fault("cut_after", UP, 30),
    Fault("cut_after", DOWN, 700),
    Fault("cut_after", UP, 1500),  # inside the push of 20 rows
    Fault("cut_in_frame", UP, 1),
    Fault("cut_in_frame", DOWN, 2),
]
OTHERS = [
    Fault("delay", DOWN, seconds=0.05),
    Fault("duplicate", UP, 1),  # a push arrives twice
    Fault("duplicate", DOWN, 1),  # an answer arrives twice
]


@pytest.mark.parametrize("faults", [CUTS, OTHERS], ids=["cuts", "delay-and-duplicates"])
async def test_edits_survive_a_faulty_link(
    homes: tuple[Path, Path, ServeProcess], faults: list[Fault]
) -> None:
    town, village, server = homes
    proxy = FaultProxy(("127.0.0.1", server.port))
    port = await proxy.start()
    acknowledged: list[str] = []  # row ids returned to the clerks
    try:
        for number, fault in enumerate(faults):
            acknowledged += add_rows(village, None, 20, f"v{number}")
            town_rows = add_rows(town, "v01", 3, f"t{number}")  # both edit the same ledger
            acknowledged += town_rows
            set_place(town, "v01", town_rows[0], f"town edit {number}")
            proxy.plan = [fault]  # the next connection is faulty, the retry is not
            before = len(proxy.faults_done)
            code, out, err = await run_vledger(village, "sync", f"127.0.0.1:{port}",
                                               "--timeout", "3")
            assert code == 0, (fault, out, err, proxy.faults_done)
            assert len(proxy.faults_done) > before, f"{fault} never happened: proves nothing"
        code, out, err = await run_vledger(village, "sync", f"127.0.0.1:{server.port}")
        assert code == 0, err
    finally:
        await proxy.stop()
    assert all_heads(village) == all_heads(town)
    on_town, on_village = rows_of(town, "v01"), rows_of(village, "v01")
    assert on_town == on_village
    assert set(acknowledged) <= set(on_town)  # no acknowledged row lost
    assert len(on_town) == len(faults) * 23
    assert on_town[acknowledged[20]] == "town edit 0"


async def test_a_blackhole_times_out_with_exit_3(homes: tuple[Path, Path, ServeProcess]) -> None:
    town, village, server = homes
    add_rows(village, None, 2, "lost?")
    before = all_heads(town)
    proxy = FaultProxy(("127.0.0.1", server.port), [Fault("blackhole")] * 10)
    port = await proxy.start()
    try:
        code, out, err = await run_vledger(village, "sync", f"127.0.0.1:{port}",
                                           "--timeout", "0.5")
    finally:
        await proxy.stop()
    assert code == 3, (out, err)
    assert "could not sync" in err and "no answer in time" in err
    assert "Traceback" not in err
    assert all_heads(town) == before
    assert proxy.connections >= 2  # it retried before giving up
    code, _, err = await run_vledger(village, "sync", f"127.0.0.1:{server.port}")
    assert code == 0, err
    assert all_heads(town) == all_heads(village)


async def test_an_unreachable_peer_exits_3(tmp_path: Path) -> None:
    town, village = tmp_path / "town", tmp_path / "v01"
    make_township(town, villages=1)
    make_village(town, village, "v01")
    proxy = FaultProxy(("127.0.0.1", 9))
    port = await proxy.start()
    await proxy.stop()  # nothing listens there any more
    code, _, err = await run_vledger(village, "sync", f"127.0.0.1:{port}", "--timeout", "1")
    assert code == 3 and "connection refused" in err
