"""Many years in one home through the real command line (cli.md, Years): next year's
program added to a 2026 home, both years ranked and exported, `status` by year, and a
village that joined in 2026 syncing with a real `vledger serve` and then keeping its
2027 ledger with no new invitation.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from tests.e2e.conftest import RunVledger
from tests.e2e.fault_proxy import PROGRAM_FILE, ServeProcess, make_township, make_village
from tests.e2e.fault_proxy import run_vledger as run_async
from tests.example_data import EXAMPLE_PROGRAM, EXAMPLES

EXAMPLE = EXAMPLES / "safety-2026"


def moved(text: str, year: int) -> str:
    """Every year in `text` moved by the same number of years as 2026 -> `year`."""
    return re.sub(r"(?<!\d)20\d\d(?!\d)", lambda m: str(int(m.group()) + year - 2026), text)


def write_year(folder: Path, year: int) -> tuple[Path, dict[str, Path]]:
    """The worked example's program file and ledgers moved to `year`."""
    program = folder / f"safety-{year}.toml"
    program.write_text(EXAMPLE_PROGRAM.read_text(encoding="utf-8").replace("2026", str(year)),
                       encoding="utf-8")
    ledgers: dict[str, Path] = {}
    for source in sorted((EXAMPLE / "ledgers").glob("*.csv")):
        with source.open(encoding="utf-8-sig", newline="") as f:
            rows = list(csv.DictReader(f))
        target = folder / f"{year}-{source.name}"
        with target.open("w", encoding="utf-8", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows({**r, "date": moved(r["date"], year)} for r in rows)
        ledgers[source.stem] = target
    return program, ledgers


@pytest.fixture(scope="module")
def two_years(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The worked example's township, founded for 2026, with the 2027 program added."""
    from tests.e2e.conftest import run

    folder = tmp_path_factory.mktemp("years")
    home = folder / "home"
    assert run("init", "--township", "示例乡", "--id", "demo", "--year", "2026",
               home=home)[0] == 0
    with (EXAMPLE / "offices.csv").open(encoding="utf-8-sig", newline="") as f:
        for office in csv.DictReader(f):
            assert run("office", "add", office["id"], office["name"], "--area",
                       office["area"], home=home)[0] == 0
    for year in (2026, 2027):
        program, ledgers = write_year(folder, year)
        code, _, err = run("program", "add", program, home=home)
        assert code == 0, err
        for kind in ("targets", "entered", "manual", "adjustments"):
            code, _, err = run("sheet", "import", f"safety-{year}", kind,
                               EXAMPLE / f"{kind}.csv", home=home)
            assert code == 0, err
        for village, path in ledgers.items():
            code, _, err = run("ledger", "import", f"safety-{year}", path, "--village", village,
                               home=home)
            assert code == 0, err
    return home


@pytest.mark.parametrize("program", ["safety-2026", "safety-2027"])
@pytest.mark.parametrize("period", ["Q1", "year"])
def test_both_years_rank(run_vledger: RunVledger, two_years: Path, program: str,
                         period: str) -> None:
    code, out, err = run_vledger("rank", program, "--period", period, "--json", home=two_years)
    assert code == 0, err
    expected = json.loads((EXAMPLE / f"expected-{period}.json").read_text(encoding="utf-8"))
    assert json.loads(out) == {**expected, "program": program}


@pytest.mark.parametrize("year", [2026, 2027])
def test_both_years_export(run_vledger: RunVledger, two_years: Path, tmp_path: Path,
                           year: int) -> None:
    out_file = tmp_path / f"v01-{year}.csv"
    code, _, err = run_vledger("ledger", "export", f"safety-{year}", "--village", "v01",
                               "--out", out_file, home=two_years)
    assert code == 0, err
    with out_file.open(encoding="utf-8-sig", newline="") as f:
        exported = list(csv.DictReader(f))
    with (EXAMPLE / "ledgers" / "v01.csv").open(encoding="utf-8-sig", newline="") as f:
        example = list(csv.DictReader(f))
    assert len(exported) == len(example)
    date_column = next(k for k in exported[0] if k in ("date", "日期"))
    assert sorted(r[date_column] for r in exported) == sorted(
        moved(r["date"], year) for r in example)


def test_programs_and_status_by_year(run_vledger: RunVledger, two_years: Path) -> None:
    code, out, err = run_vledger("program", "list", "--json", home=two_years)
    assert code == 0, err
    listed = json.loads(out)
    programs = listed["programs"] if isinstance(listed, dict) else listed
    assert [(p["id"], p["year"]) for p in programs] == [("safety-2026", 2026),
                                                        ("safety-2027", 2027)]
    code, out, err = run_vledger("status", "--json", home=two_years)
    assert code == 0, err
    report = json.loads(out)
    assert list(report["years"]) == ["2027", "2026"]
    assert report["years"]["2027"] == ["demo/demo/2027"] + [
        f"demo/v0{n}/2027" for n in range(1, 5)]
    code, out, err = run_vledger("status", home=two_years)
    assert code == 0, err
    assert out.index("  2027:") < out.index("    demo/demo/2027") < out.index("  2026:")


def test_a_program_keeps_its_year(run_vledger: RunVledger, two_years: Path,
                                  tmp_path: Path) -> None:
    from tests.e2e.conftest import store_state

    wrong = tmp_path / "wrong.toml"
    wrong.write_text(EXAMPLE_PROGRAM.read_text(encoding="utf-8").replace("2026", "2028")
                     .replace('id = "safety-2028"', 'id = "safety-2027"'), encoding="utf-8")
    before = store_state(two_years)
    code, out, err = run_vledger("program", "add", wrong, home=two_years)
    assert (code, out) == (1, "")
    assert "safety-2027 is published for 2027" in err and "Traceback" not in err
    assert store_state(two_years) == before


# -- a village of 2026, a real serve and sync -------------------------------------------------


async def test_a_village_that_joined_in_2026_syncs_and_keeps_its_2027_ledger(
    tmp_path: Path,
) -> None:
    town, village = tmp_path / "town", tmp_path / "v01"
    make_township(town, villages=2)  # 2026, the safety-2026 program
    make_village(town, village, "v01")
    program_2027 = tmp_path / "safety-2027.toml"
    program_2027.write_text(PROGRAM_FILE.read_text(encoding="utf-8").replace("2026", "2027"),
                            encoding="utf-8")
    code, _, err = await run_async(town, "program", "add", str(program_2027))
    assert code == 0, err
    code, _, err = await run_async(village, "ledger", "list", "safety-2027")
    assert code == 1 and "no program safety-2027" in err  # not synced yet
    server = ServeProcess(town)
    try:
        address = f"127.0.0.1:{server.port}"
        code, _, err = await run_async(village, "sync", address)
        assert code == 0, err
        code, out, err = await run_async(village, "ledger", "add", "safety-2027",
                                         "date=2027-02-01", "kind=安全宣传", "place=村委会",
                                         "participants=40")
        assert code == 0, err
        row = out.strip()
        code, _, err = await run_async(village, "ledger", "add", "safety-2027", "--village",
                                       "v02", "date=2027-02-01", "kind=安全宣传")
        assert code == 1 and "writes only its own ledgers" in err
        code, _, err = await run_async(village, "sync", address)
        assert code == 0, err
    finally:
        assert server.stop() == 0
    code, out, err = await run_async(town, "ledger", "list", "safety-2027", "--village", "v01",
                                     "--json")
    assert code == 0, err
    assert [r["id"] for r in json.loads(out)["rows"]] == [row]
    code, out, err = await run_async(town, "rank", "safety-2027", "--json")
    assert code == 0, err
    assert {r["village"] for r in json.loads(out)["rows"]} == {"v01", "v02"}
    code, out, err = await run_async(village, "status", "--json")
    assert code == 0, err
    assert set(json.loads(out)["years"]) == {"2026", "2027"}


async def test_bundles_carry_the_new_year_to_a_village_and_back(tmp_path: Path) -> None:
    town, village = tmp_path / "town", tmp_path / "v01"
    make_township(town, villages=2)
    make_village(town, village, "v01")
    program_2027 = tmp_path / "safety-2027.toml"
    program_2027.write_text(PROGRAM_FILE.read_text(encoding="utf-8").replace("2026", "2027"),
                            encoding="utf-8")
    assert (await run_async(town, "program", "add", str(program_2027)))[0] == 0
    down, up = tmp_path / "down.vlb", tmp_path / "up.vlb"
    code, _, err = await run_async(town, "bundle", "export", str(down))
    assert code == 0, err
    code, _, err = await run_async(village, "bundle", "import", str(down))
    assert code == 0, err
    code, out, err = await run_async(village, "ledger", "add", "safety-2027",
                                     "date=2027-03-01", "kind=安全宣传", "participants=9")
    assert code == 0, err
    row = out.strip()
    assert (await run_async(village, "bundle", "export", str(up)))[0] == 0
    code, _, err = await run_async(town, "bundle", "import", str(up))
    assert code == 0, err
    code, out, err = await run_async(town, "ledger", "list", "safety-2027", "--village", "v01",
                                     "--json")
    assert code == 0 and [r["id"] for r in json.loads(out)["rows"]] == [row], err
