"""What a sync brought (sync/services/brought.py), over a real TLS link in-process: what
went each way per program and village, and every village whose rank in the current period
moved here; the same on the serving side, and as JSON."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.sync.example_homes import PROGRAM, build_example
from vledger.domain.history import JournalEntry
from vledger.sync.documents.replicas import Replicas
from vledger.sync.link.session import Responder
from vledger.sync.link.transport import Server
from vledger.sync.services.brought import Brought, Flow, Move, flows, link_brought
from vledger.sync.services.homes import join
from vledger.sync.services.office import Office
from vledger.sync.services.ranking import Abandoned


@pytest.fixture
def township(tmp_path: Path) -> Iterator[Office]:
    build_example(tmp_path / "t", keys=True)
    office = Office.open(tmp_path / "t")
    yield office
    office.close()


async def sync_village(village: Path, township: Office, told: list[Brought]) -> Brought:
    """The village syncs with the township's server; what the village's side says (and in
    `told`, what the server's side says of the link)."""
    links: list[Responder] = []
    home = township.me.home
    township.close()
    server = Server(home, on_link=links.append)
    host, port = await server.start("127.0.0.1", 0)
    try:
        with Office.open(village) as office:
            result = await office.sync.sync_with_async(f"{host}:{port}", timeout=10)
    finally:
        await server.stop()
    with Replicas.open(home) as store:
        told += [link_brought(store, "t1", r.peer_office, r) for r in links]
    assert result.converged and result.brought is not None
    return result.brought


async def test_a_sync_that_moves_a_village_says_who_moved(
    township: Office, tmp_path: Path,
) -> None:
    invitation = township.devices.invite("v01", tmp_path / "v01.invite")
    village, reply = join(tmp_path / "v01", invitation, user="v01clerk")
    village.close()
    township.devices.enroll(reply)
    home = township.me.home
    told: list[Brought] = []
    first = await sync_village(tmp_path / "v01", township, told)
    # The first sync brings the other villages' ledgers; nothing could be ranked here
    # before it, so nothing "moved".
    assert {f.village for f in first.received} >= {"v02", "v03", "v04"}
    assert all(f.rows_added > 0 for f in first.received if f.village in ("v02", "v03"))
    assert first.moves == ()

    with Office.open(home) as office:
        program = office.programs.get(PROGRAM)
        period = office.programs.current_period(program)
        before = office.ranking.sheet(PROGRAM, period)
        last = before.rows[-1]
        office.sheets.set_adjustment(PROGRAM, last.village, "city_praise", period, 3)
        after = office.ranking.sheet(PROGRAM, period)
        assert after.row(last.village).rank < last.rank
        township = Office.open(home)
    told.clear()
    second = await sync_village(tmp_path / "v01", township, told)
    assert second.peer == "t1"
    assert second.received == (Flow(PROGRAM, last.village, 0, 1, 0),)
    assert second.sent == ()
    ranks_before = {r.village: r.rank for r in before.rows}
    ranks_after = {r.village: r.rank for r in after.rows}
    assert second.moves == tuple(
        Move(PROGRAM, period, v, ranks_before[v], ranks_after[v])
        for v in [r.village for r in after.rows] if ranks_before[v] != ranks_after[v])
    assert Move(PROGRAM, period, last.village, last.rank, after.row(last.village).rank) \
        in second.moves
    # The server's side: it sent that adjustment; nothing moved there (it had it already).
    [served] = told
    with Replicas.open(home) as store:  # a stopping server gives the work out up at once
        with pytest.raises(Abandoned):
            link_brought(store, "t1", "v01", SimpleNamespace(
                began_here={}, began_there={}, ended={}), abandon=lambda: True)
    assert served.peer == "v01"
    assert served.sent == (Flow(PROGRAM, last.village, 0, 1, 0),)
    assert served.received == () and served.moves == ()
    # Plain data, as `sync --json` prints it and the UI reads it back.
    plain = second.to_json_dict()
    assert set(plain) == {"peer", "documents", "sent", "received", "moves"}
    assert plain["moves"][0].keys() >= {"program", "period", "village", "from", "to"}
    assert Brought.from_json_dict(plain) == second
    assert any("→" in line for line in second.lines("en"))


def test_flows_count_rows_added_cells_changed_and_publications() -> None:
    def entry(n: int, op: str, village: str, row: str, column: str = "c") -> JournalEntry:
        return JournalEntry(id=f"e{n}", at="2026-03-01T09:00:00+08:00", office="t1",
                            device="d", user="", op=op, program=PROGRAM, village=village,
                            row=row, column=column, old=None, new=1, prev=None)

    found = flows([
        entry(1, "add", "v01", "r1", "date"), entry(2, "add", "v01", "r1", "kind"),
        entry(3, "add", "v01", "r2", "date"), entry(4, "set", "v01", "r0"),
        entry(5, "manual", "v02", "manual:records", "Q1"),
        entry(6, "publish", "", "publication", "p1"),
        JournalEntry(id="e7", at="2026-03-01T09:00:00+08:00", office="t1", device="d",
                     user="", op="office", program="", village="v03", row="roster",
                     column="", old=None, new={}, prev=None),
    ])
    assert found == (Flow(PROGRAM, "", 0, 0, 1), Flow(PROGRAM, "v01", 2, 1, 0),
                     Flow(PROGRAM, "v02", 0, 1, 0))
