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
    assert progress[-2].startswith("demo: 17/17 ")  # 1 + 4 programs × (1 + 3 villages)
    assert progress[-1] == f"The sample township is in {home}"
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


def test_demo_without_home_reopens_one_remembered_folder_with_its_edits(
    run_vledger: RunVledger, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    env = {"XDG_CACHE_HOME": str(cache), "HOME": str(tmp_path)}
    code, out, err = run_vledger("demo", "--no-ui", "--villages", "1", "--rows", "2", env=env)
    assert code == 0, err
    made = Path(out.strip())
    assert made == cache / "vledger" / "demo" and (made / "vledger.db").exists()
    assert f"The sample township is in {made}" in err
    code, row, err = run_vledger("ledger", "add", "safety-2026", "--village", "v01",
                                 "date=2026-05-01", "kind=1", home=made)
    assert code == 0, err
    code, again, err = run_vledger("demo", "--no-ui", "--villages", "1", "--rows", "2", env=env)
    assert code == 0 and Path(again.strip()) == made  # the same township, not a new one
    assert err.strip() == (f"The sample township is in {made}, with the edits made in it "
                           "before (to start over: vledger demo --fresh)")
    assert "demo:" not in err  # nothing was built again
    rows = json.loads(run_vledger("ledger", "list", "safety-2026", "--village", "v01",
                                  "--json", home=made)[1])["rows"]
    assert row.strip() in [r["id"] for r in rows]
    code, fresh, err = run_vledger("demo", "--no-ui", "--fresh", "--villages", "1", "--rows", "2",
                                   env=env)
    assert code == 0 and Path(fresh.strip()) == made and "demo:" in err
    rows = json.loads(run_vledger("ledger", "list", "safety-2026", "--village", "v01",
                                  "--json", home=made)[1])["rows"]
    assert row.strip() not in [r["id"] for r in rows]


def test_the_demo_rows_all_count_in_a_period(run_vledger: RunVledger, tmp_path: Path) -> None:
    """No "rows count in no period" warning on the demo a person opens: its rows are all
    dated in their program's year (the fixture keeps a few outside for the tests)."""
    home = tmp_path / "demo"
    code, _, err = run_vledger("demo", "--no-ui", "--villages", "12", "--rows", "200",
                               "--home", home, timeout=600)
    assert code == 0, err
    from vledger.sync.services.office import Office

    with Office.open(home) as office:
        for program in office.programs.all():
            sheet = office.ranking.sheet(program.id, "year")
            warned = [w for row in sheet.rows for w in row.warnings]
            assert not warned, (program.id, warned[:3])
    with_outside = generate_township(12, 200, 1)
    assert any(d.year != 2026 for data in with_outside.programs.values()
               for rows in data.ledgers.values() for d in _days(data.program, rows))


def _days(program: object, rows: list[dict[str, str]]) -> list[object]:
    from vledger.domain.values import cell_date, parse_cell

    column = program.column(program.date_column)  # type: ignore[attr-defined]
    return [cell_date(parse_cell(column, row[column.id])) for row in rows]
