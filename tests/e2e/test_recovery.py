"""Offices that meet trouble recover, against real homes and a real `vledger serve`:
every office ends holding the same heads and ranking the same, or is told exactly what
happened and what to do."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.fault_proxy import (
    ServeProcess,
    add_rows,
    all_heads,
    make_township,
    make_village,
    rows_of,
    run_vledger,
)


async def sync(home: Path, port: int, *extra: str) -> tuple[int, str, str]:
    return await run_vledger(home, "sync", f"127.0.0.1:{port}", "--timeout", "10", *extra)


async def status(home: Path) -> dict[str, object]:
    code, out, err = await run_vledger(home, "status", "--json")
    assert code == 0, err
    return json.loads(out)  # type: ignore[no-any-return]


async def test_a_village_joining_with_an_old_invitation_takes_the_newer_roster_first(
    tmp_path: Path,
) -> None:
    """v01's invitation was written before v02 enrolled; its first sync brings v02's
    changes, which must not be refused for want of the roster entry that came later."""
    from vledger.sync.services.homes import join
    from vledger.sync.services.office import Office

    town, v01, v02 = tmp_path / "town", tmp_path / "v01", tmp_path / "v02"
    make_township(town, villages=2)
    with Office.open(town) as office:
        old_invitation = office.devices.invite("v01", tmp_path / "v01.invite")
    make_village(town, v02, "v02")
    server = ServeProcess(town)
    try:
        assert (await sync(v02, server.port))[0] == 0
        written = add_rows(v02, None, 3, "v02 work")
        assert (await sync(v02, server.port))[0] == 0
        office, reply = join(v01, old_invitation, user="clerk")
        office.close()
        with Office.open(town) as township:
            township.devices.enroll(reply)
        code, out, err = await sync(v01, server.port)
        assert code == 0, (out, err)
        assert set(written) <= set(rows_of(v01, "v02"))
        assert (await status(v01))["refused"] == []
        assert all_heads(v01) == all_heads(town)
    finally:
        server.stop()
