"""`vledger demo --no-ui`: the sample township built through the CLI's write path, then ranked."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.conftest import RunVledger, store_state
from vledger.fixtures.generate import generate_township


def test_demo_builds_a_township_every_program_ranks(
    run_vledger: RunVledger, tmp_path: Path
) -> None:
    home = tmp_path / "demo"
    code, out, err = run_vledger("demo", "--no-ui", "--villages", "3", "--rows", "20",
                                 "--seed", "1", "--home", home)
    assert code == 0, err
    assert out.strip() == str(home)
    progress = err.splitlines()
    assert progress[-1].startswith("demo: 17/17 ")  # 1 + 4 programs × (1 + 3 villages)
    sample = generate_township(3, 20, 1)
    code, out, _ = run_vledger("office", "list", "--json", home=home)
    offices = json.loads(out)["offices"]
    assert [(o["id"], o["name"], o["area"]) for o in offices if o["kind"] == "village"] == [
        (o.id, o.name, o.area) for o in sample.offices
    ]
    for program_id, data in sample.programs.items():
        for period in (*(p.id for p in data.program.periods), "year"):
            code, out, err = run_vledger("rank", program_id, "--period", period, "--json",
                                         home=home)
            assert code == 0, err
            sheet = json.loads(out)
            assert sorted(r["village"] for r in sheet["rows"]) == ["v01", "v02", "v03"]
            assert [r["rank"] for r in sheet["rows"]] == sorted(r["rank"] for r in sheet["rows"])
    # Every generated row landed in its village's ledger.
    from vledger.sync.services.office import Office

    with Office.open(home) as office:
        for program_id, data in sample.programs.items():
            for village, rows in data.ledgers.items():
                assert len(office.ledgers.session(program_id, village).rows(True)) == len(rows)


def test_demo_refuses_a_home_that_is_not_empty(run_vledger: RunVledger, tmp_path: Path) -> None:
    home = tmp_path / "busy"
    home.mkdir()
    (home / "notes.txt").write_text("mine", encoding="utf-8")
    code, out, err = run_vledger("demo", "--no-ui", "--home", home)
    assert (code, out) == (1, "")
    assert err.strip() == f"{home} is not empty; the demo is built in an empty folder"
    assert sorted(p.name for p in home.iterdir()) == ["notes.txt"]


def test_demo_refuses_over_an_existing_office(run_vledger: RunVledger, tmp_path: Path) -> None:
    home = tmp_path / "office"
    assert run_vledger("init", "--township", "乡", home=home)[0] == 0
    before = store_state(home)
    code, _, err = run_vledger("--home", home, "demo", "--no-ui", "--villages", "1", "--rows", "1")
    assert code == 1 and "not empty" in err
    assert store_state(home) == before


def test_demo_without_home_goes_to_a_new_cache_folder(
    run_vledger: RunVledger, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    env = {"XDG_CACHE_HOME": str(cache), "HOME": str(tmp_path)}
    code, out, err = run_vledger("demo", "--no-ui", "--villages", "1", "--rows", "2", env=env)
    assert code == 0, err
    made = Path(out.strip())
    assert made.is_relative_to(cache) and (made / "vledger.db").exists()
    code, again, _ = run_vledger("demo", "--no-ui", "--villages", "1", "--rows", "2", env=env)
    assert code == 0 and Path(again.strip()) != made  # a new folder every time
