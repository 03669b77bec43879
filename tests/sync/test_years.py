"""Many years in one home (design.md, Documents; cli.md, Years): next year's program added
to this year's home, both years ranked, one roster, villages carrying over, old homes.

The 2027 program is the worked example's file and rows with the year changed, so its
sheet must be the 2026 one with another program id.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from tests.example_data import EXAMPLE_PROGRAM, EXAMPLES
from vledger.domain.ranking import RankingSheet
from vledger.sync.documents.township import TownshipDoc
from vledger.sync.services.homes import found_township, init_township, join
from vledger.sync.services.office import Office, Refusal

EXAMPLE = EXAMPLES / "safety-2026"
P2026, P2027 = "safety-2026", "safety-2027"
KINDS = ("targets", "entered", "manual", "adjustments")
ROSTER_YEAR = "roster_year"  # the setting a home made before homes kept many years lacks


def program_text(year: int) -> str:
    return EXAMPLE_PROGRAM.read_text(encoding="utf-8").replace("2026", str(year))


def example_rows(village: str, year: int) -> list[dict[str, str]]:
    """The example's rows moved to `year`, every date by the same number of years (a row
    dated just outside 2026 stays just outside `year`)."""
    path = EXAMPLE / "ledgers" / f"{village}.csv"
    with path.open(encoding="utf-8-sig", newline="") as f:
        return [{k: moved(v, year) if k == "date" else v for k, v in row.items()}
                for row in csv.DictReader(f)]


def moved(text: str, year: int) -> str:
    return re.sub(r"(?<!\d)20\d\d(?!\d)", lambda m: str(int(m.group()) + year - 2026), text)


def villages() -> list[dict[str, str]]:
    with (EXAMPLE / "offices.csv").open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def load_year(office: Office, year: int) -> None:
    """The example's program of `year`, its sheets and every village's ledger."""
    program = f"safety-{year}"
    office.programs.add(program_text(year), f"{program}.toml")
    for kind in KINDS:
        office.sheets.import_csv(program, kind, EXAMPLE / f"{kind}.csv")
    for village in villages():
        office.ledgers.session(program, village["id"], writing=True).add_rows(
            example_rows(village["id"], year))
        office.ledgers.release(village["id"])


@pytest.fixture
def township(tmp_path: Path) -> Iterator[Office]:
    """The worked example's township in 2026 (keys, signed roster), one year held."""
    office = init_township(tmp_path / "town", "示例乡", "demo", year=2026, user="clerk")
    for village in villages():
        office.roster.add_office(village["id"], village["name"], village["area"])
    load_year(office, 2026)
    yield office
    office.close()


def plain(sheet: RankingSheet) -> dict[str, object]:
    """As `rank --json` prints it."""
    return json.loads(json.dumps(sheet.to_json_dict(), default=str))  # type: ignore[no-any-return]


def expected(period: str, program: str) -> dict[str, object]:
    found = json.loads((EXAMPLE / f"expected-{period}.json").read_text(encoding="utf-8"))
    found["program"] = program
    return found  # type: ignore[no-any-return]


def township_doc(office: Office, year: int) -> TownshipDoc:
    return office.store.township(f"{office.me.township}/{office.me.township}/{year}")


# -- next year's program in this year's home ---------------------------------------------


def test_next_years_program_makes_its_documents_and_both_years_rank(township: Office) -> None:
    before = set(township.store.document_ids())
    assert township.programs.years() == [2026]
    load_year(township, 2027)
    made = set(township.store.document_ids()) - before
    assert made == {"demo/demo/2027"} | {f"demo/{v['id']}/2027" for v in villages()}
    # the program lives in its year's township document, the roster stays where it was
    assert township_doc(township, 2027).program_ids() == [P2027]
    assert township_doc(township, 2026).program_ids() == [P2026]
    assert township_doc(township, 2027).offices() == []
    assert [o.id for o in township.roster.offices()] == ["demo", *(v["id"] for v in villages())]
    assert township.programs.years() == [2026, 2027]
    assert township.programs.ids() == [P2026, P2027]  # the year shown first, first
    assert township.programs.year_of(P2027) == 2027
    # both years rank, each from its own ledgers and sheets: the same numbers
    for period in ("Q1", "year"):
        for program in (P2026, P2027):
            got = plain(township.ranking.sheet(program, period))
            assert got == expected(period, program), (program, period)
    rows = township.ledgers.session(P2027, "v01").rows()
    assert rows and all(str(r.cells["date"]).startswith("2027") for r in rows)


def test_a_programs_year_is_fixed_and_its_dates_inside_it(township: Office) -> None:
    before = {d: township.store.heads(d) for d in township.store.document_ids()}
    moved = program_text(2027).replace('id = "safety-2027"', 'id = "safety-2026"')
    with pytest.raises(Refusal, match="published for 2026; a program's year is fixed"):
        township.programs.add(moved, "moved.toml")
    outside = program_text(2027).replace("2027-12-31", "2028-01-31")
    with pytest.raises(Refusal, match="2028"):
        township.programs.add(outside, "outside.toml")
    assert {d: township.store.heads(d) for d in township.store.document_ids()} == before


def test_a_program_that_fails_to_publish_leaves_no_new_year(
    township: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = {d: township.store.heads(d) for d in township.store.document_ids()}

    def broken(*_: object) -> object:
        raise OSError("disk gone")

    monkeypatch.setattr(TownshipDoc, "publish_program", broken)
    with pytest.raises(OSError):
        township.programs.add(program_text(2027), "safety-2027.toml")
    assert {d: township.store.heads(d) for d in township.store.document_ids()} == before
    assert not any(township.store.is_open(d) for d in township.store.document_ids()
                   if d.endswith("/2027"))
    monkeypatch.undo()
    township.programs.add(program_text(2027), "safety-2027.toml")  # and then it works
    assert township.programs.years() == [2026, 2027]


def test_last_years_program_and_the_sheets_of_each_year(township: Office) -> None:
    load_year(township, 2025)
    assert township.programs.years() == [2026, 2025]  # shown first, then newest first
    township.sheets.set_target("safety-2025", "v01", "publicity", "99")
    assert township.sheets.inputs("safety-2025").targets[("v01", "publicity")] == 99
    assert township.sheets.inputs(P2026).targets[("v01", "publicity")] == 10
    # each year's sheets are in that year's township document
    assert township_doc(township, 2025).sheet("targets", "safety-2025")[
        ("v01", "publicity")] == "99"
    assert township_doc(township, 2026).sheet("targets", "safety-2025") == {}


def test_history_and_blame_work_by_program_across_years(township: Office) -> None:
    load_year(township, 2027)
    ledger = township.ledgers.session(P2027, "v01", writing=True)
    row = ledger.rows()[0].id
    ledger.set_cells(row, {"note": "明年核查"})
    edits = township.history.edits(program=P2027, village="v01")
    assert edits and {e["program"] for e in edits} == {P2027}
    assert any(e["new"] == "明年核查" for e in edits)
    assert {e["program"] for e in township.history.edits()} >= {P2026, P2027}
    blame = township.history.blame(P2027, "v01", row, "note")
    assert blame[0].new == "明年核查"
    assert township.history.current_value((P2027, "v01", row, "note")) == "明年核查"


# -- villages: one roster, every year -----------------------------------------------------


def test_a_village_added_later_takes_part_from_the_year_it_was_added(township: Office) -> None:
    load_year(township, 2027)
    added = township.roster.add_office("v05", "新村", "北片", today=date(2027, 1, 5))
    assert added.since == 2027
    assert township.store.has_document("demo/v05/2027")
    assert not township.store.has_document("demo/v05/2026")
    assert "v05" not in [v.id for v in township.roster.villages(2026)]
    assert "v05" in [v.id for v in township.roster.villages(2027)]
    assert [r.village for r in township.ranking.sheet(P2026, "year").rows] == \
        [r["village"] for r in expected("year", P2026)["rows"]]  # type: ignore[union-attr]
    assert "v05" in [r.village for r in township.ranking.sheet(P2027, "year").rows]
    with pytest.raises(Refusal, match="holds no ledgers of v05 for 2026"):
        township.ledgers.session(P2026, "v05")
    # a program of a later year makes its documents too; of an earlier one, not
    load_year(township, 2028)
    assert township.store.has_document("demo/v05/2028")
    township.programs.add(program_text(2025), "safety-2025.toml")
    assert not township.store.has_document("demo/v05/2025")
    assert township.store.has_document("demo/v01/2025")


def test_villages_added_while_setting_up_take_part_in_every_year(tmp_path: Path) -> None:
    with init_township(tmp_path / "t", "示例乡", "demo", year=2026) as office:
        office.roster.add_office("v01", "东坪村")
        assert office.roster.office("v01").since is None  # type: ignore[union-attr]
        office.programs.add(program_text(2025), "safety-2025.toml")  # last year's, later
        assert office.store.has_document("demo/v01/2025")
        office.roster.add_office("v02", "柳津村", since=2025)
        assert {d for d in office.store.document_ids() if "/v02/" in d} == {
            "demo/v02/2025", "demo/v02/2026"}


# -- an old home (one year, made before homes kept many) ------------------------------------


def old_home(home: Path) -> None:
    """A home as the code before years made it: settings with `year` only."""
    office = found_township(home, "示例乡", "demo", 2026, user="clerk")
    office.devices.found_identity()
    for village in villages():
        office.roster.add_office(village["id"], village["name"], village["area"])
    load_year(office, 2026)
    office.store.db.sql.execute("DELETE FROM settings WHERE key = ?", (ROSTER_YEAR,))
    office.close()


def test_an_old_one_year_home_opens_unchanged_and_gains_a_year(tmp_path: Path) -> None:
    home = tmp_path / "old"
    old_home(home)
    with Office.open(home) as office:
        assert office.store.db.settings.get(ROSTER_YEAR) is None
        before = {d: office.store.heads(d) for d in office.store.document_ids()}
        assert office.me.year == office.me.roster_year == 2026
        assert [o.id for o in office.roster.offices()] == ["demo", "v01", "v02", "v03", "v04"]
        assert office.roster.whoami().township_name == "示例乡"
        assert plain(office.ranking.sheet(P2026, "year")) == expected("year", P2026)
        assert office.programs.ids() == [P2026]
        assert [d.office for d in office.devices.all()[0]] == ["demo"]
        # opening, reading and ranking wrote nothing to any document, nor a setting
        assert {d: office.store.heads(d) for d in office.store.document_ids()} == before
        assert office.store.db.settings.get(ROSTER_YEAR) is None
        load_year(office, 2027)
        assert office.programs.years() == [2026, 2027]
        assert plain(office.ranking.sheet(P2027, "year")) == expected("year", P2027)
        # the roster stays in the 2026 document: invitations and signatures use it
        invitation = office.devices.invite("v01", tmp_path / "v01.invite")
    village, _ = join(tmp_path / "v01", invitation, user="v01clerk")
    with village:
        assert village.me.roster_year == 2026
        assert village.programs.ids() == [P2026, P2027]
        assert village.ledgers.session(P2027).rows() != []


# -- a village that joined in 2026: sync and bundles bring 2027 -----------------------------


@pytest.fixture
def village(township: Office, tmp_path: Path) -> Iterator[Office]:
    """v01 joined in 2026 (its invitation holds 2026 only), enrolled."""
    invitation = township.devices.invite("v01", tmp_path / "v01.invite")
    office, reply = join(tmp_path / "v01", invitation, user="v01clerk")
    township.devices.enroll(reply)
    assert office.programs.years() == [2026]
    yield office
    office.close()


async def sync(township: Office, village: Office) -> None:
    """The village syncs with the township serving (a real TCP/TLS link)."""
    from vledger.sync.link.transport import Server

    town_home = township.me.home
    township.close()
    server = Server(town_home)
    host, port = await server.start("127.0.0.1", 0)
    try:
        result = await village.sync.sync_with_async(f"{host}:{port}", timeout=15)
    finally:
        await server.stop()
    assert result.converged, result


async def test_a_village_of_2026_syncs_and_writes_its_2027_ledger(
    township: Office, village: Office
) -> None:
    town_home = township.me.home
    township.programs.add(program_text(2027), "safety-2027.toml")
    await sync(township, village)
    assert village.programs.years() == [2026, 2027]
    assert village.store.has_document("demo/v01/2027")
    [row] = village.ledgers.session(P2027, None, writing=True).add_rows(
        [{"date": "2027-02-01", "kind": "宣传活动", "participants": "30"}])
    # permissions are per document and by office, whatever the year
    with pytest.raises(Refusal, match="writes only its own ledgers"):
        village.ledgers.session(P2027, "v02", writing=True)
    with Office.open(town_home) as again:
        await sync(again, village)
    with Office.open(town_home) as town:
        rows = town.ledgers.session(P2027, "v01").rows()
        assert [r.id for r in rows] == [row]
        assert "v01" in [r.village for r in town.ranking.sheet(P2027, "year").rows]


async def test_the_township_refuses_a_villages_change_to_another_villages_2027_ledger(
    township: Office, village: Office
) -> None:
    from vledger.sync.documents.journal import Who

    town_home = township.me.home
    township.programs.add(program_text(2027), "safety-2027.toml")
    await sync(township, village)
    with Office.open(town_home) as town:
        v02 = town.store.heads("demo/v02/2027")
    forged = village.store.village("demo/v02/2027")  # below the services: no refusal here
    forged.add_rows(Who("v01", village.me.device, "v01clerk"), P2027,
                    [{"date": "2027-02-01", "kind": "宣传活动"}])
    with Office.open(town_home) as town:
        await sync(town, village)
    with Office.open(town_home) as town:
        assert town.store.heads("demo/v02/2027") == v02
        assert town.ledgers.session(P2027, "v02").rows() == []
        [refused] = town.sync.status()["refused"]
        assert refused["doc"] == "demo/v02/2027"
        assert "may not write v02's ledgers" in refused["reason"]


def test_bundles_carry_two_years_both_ways(
    township: Office, village: Office, tmp_path: Path
) -> None:
    township.programs.add(program_text(2027), "safety-2027.toml")
    township.ledgers.session(P2027, "v02", writing=True).add_rows(example_rows("v02", 2027))
    down = tmp_path / "down.vlb"
    summary = township.sync.export_bundle(down)
    assert summary.documents == len([d for d in township.store.document_ids()])
    assert village.sync.import_bundle(down).refused == ()
    assert {d for d in village.store.document_ids() if d.endswith("/2027")} == {
        "demo/demo/2027", "demo/v01/2027", "demo/v02/2027", "demo/v03/2027", "demo/v04/2027"}
    [row] = village.ledgers.session(P2027, None, writing=True).add_rows(
        [{"date": "2027-03-01", "kind": "宣传活动", "participants": "12"}])
    village.ledgers.session(P2026, None, writing=True).add_rows(
        [{"date": "2026-11-30", "kind": "宣传活动", "participants": "7"}])
    up = tmp_path / "up.vlb"
    village.sync.export_bundle(up)
    got = township.sync.import_bundle(up)
    assert got.refused == () and got.changes == 2
    assert row in [r.id for r in township.ledgers.session(P2027, "v01").rows()]
    assert len(township.ledgers.session(P2026, "v01").rows()) == \
        len(example_rows("v01", 2026)) + 1


def test_an_invitation_after_2027_carries_every_year_of_the_village_only(
    township: Office, tmp_path: Path
) -> None:
    township.programs.add(program_text(2027), "safety-2027.toml")
    invitation = township.devices.invite("v02", tmp_path / "v02.invite")
    office, _ = join(tmp_path / "v02", invitation)
    with office:
        assert sorted(office.store.document_ids()) == [
            "demo/demo/2026", "demo/demo/2027", "demo/v02/2026", "demo/v02/2027"]
        assert office.me.roster_year == 2026 and office.programs.ids() == [P2026, P2027]
        assert len(office.ledgers.session(P2026).rows()) == len(example_rows("v02", 2026))


# -- status and cost ------------------------------------------------------------------------


def test_status_lists_documents_by_year(township: Office) -> None:
    township.programs.add(program_text(2027), "safety-2027.toml")
    report = township.sync.status()
    assert list(report["years"]) == ["2027", "2026"]
    assert report["years"]["2027"][0] == "demo/demo/2027"
    assert {d["year"] for d in report["documents"]} == {2026, 2027}


def test_opening_and_ranking_this_year_loads_no_other_year(
    township: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vledger.sync.documents.replicas import Replicas

    load_year(township, 2025)
    load_year(township, 2027)
    home = township.me.home
    township.close()
    loaded: list[str] = []
    original = Replicas._load

    def spy(self: Replicas, doc_id: str) -> object:
        loaded.append(doc_id)
        return original(self, doc_id)

    monkeypatch.setattr(Replicas, "_load", spy)
    with Office.open(home) as office:
        office.roster.whoami()
        office.ranking.sheet(P2026, "year")
        office.ledgers.session(P2026, "v01").rows()
        office.history.edits(program=P2026, village="v01")
    others = [d for d in loaded if not d.endswith("/2026")]
    assert loaded and not others, others
