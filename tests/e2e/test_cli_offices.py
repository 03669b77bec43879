"""`vledger init`, `office add|list`, `whoami`, `program add|list|show` through the real command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.conftest import RunVledger, store_state
from tests.example_data import EXAMPLES

PROGRAM_FILE = EXAMPLES / "safety-2026.toml"


@pytest.fixture
def home(run_vledger: RunVledger, tmp_path: Path) -> Path:
    home = tmp_path / "home"
    code, out, err = run_vledger("init", "--township", "青石乡", "--id", "qs", "--year", "2026",
                                 home=home)
    assert (code, out, err) == (0, "qs\n", "")
    return home


def test_init_prints_a_new_id_when_none_is_given(run_vledger: RunVledger, tmp_path: Path) -> None:
    code, out, err = run_vledger("init", "--township", "青石乡", home=tmp_path / "h")
    assert code == 0, err
    code, me, _ = run_vledger("whoami", "--json", home=tmp_path / "h")
    assert json.loads(me)["township"] == out.strip()


def test_init_twice_is_refused_and_changes_nothing(run_vledger: RunVledger, home: Path) -> None:
    before = store_state(home)
    code, out, err = run_vledger("init", "--township", "别的乡", home=home)
    assert (code, out) == (1, "")
    assert err.strip() == f"{home} already holds an office; use another --home"
    assert store_state(home) == before


def test_a_home_without_office_says_what_to_do(run_vledger: RunVledger, tmp_path: Path) -> None:
    code, out, err = run_vledger("office", "list", home=tmp_path / "empty")
    assert (code, out) == (1, "")
    assert "vledger init" in err and "vledger join" in err and "Traceback" not in err
    assert not (tmp_path / "empty").exists()


def test_offices_are_added_and_listed(run_vledger: RunVledger, home: Path) -> None:
    assert run_vledger("office", "add", "v01", "青石村", "--area", "东溪管区", home=home)[:2] == (
        0, "v01\n")
    assert run_vledger("office", "add", "v02", "东溪村", home=home)[0] == 0
    code, out, _ = run_vledger("office", "list", "--json", home=home)
    assert json.loads(out) == {"offices": [
        {"id": "qs", "name": "青石乡", "area": None, "kind": "township", "since": None},
        {"id": "v01", "name": "青石村", "area": "东溪管区", "kind": "village", "since": None},
        {"id": "v02", "name": "东溪村", "area": None, "kind": "village", "since": None},
    ]}
    code, out, _ = run_vledger("office", "list", home=home, lang="zh")
    assert code == 0 and "东溪管区" in out and "村" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("V01", "大写村"), "office id 'V01' must be 1-16 lowercase letters"),
        (("v01", "重复村"), "office v01 is already on the roster (青石村)"),
        (("qs", "乡"), "office qs is already on the roster (青石乡)"),
    ],
)
def test_bad_offices_are_refused(
    run_vledger: RunVledger, home: Path, args: tuple[str, ...], message: str
) -> None:
    run_vledger("office", "add", "v01", "青石村", home=home)
    before = store_state(home)
    code, out, err = run_vledger("office", "add", *args, home=home)
    assert (code, out) == (1, "")
    assert err.strip().startswith(message)
    assert store_state(home) == before


def test_whoami(run_vledger: RunVledger, home: Path) -> None:
    code, out, _ = run_vledger("whoami", "--json", home=home)
    me = json.loads(out)
    assert {k: me[k] for k in ("office", "kind", "township", "township_name", "year")} == {
        "office": "qs", "kind": "township", "township": "qs", "township_name": "青石乡",
        "year": 2026,
    }
    assert me["device"] and me["home"] == str(home)
    code, out, _ = run_vledger("whoami", home=home)
    assert code == 0 and "qs 青石乡 (township)" in out


def test_programs_are_published_listed_and_shown(run_vledger: RunVledger, home: Path) -> None:
    code, out, err = run_vledger("program", "add", PROGRAM_FILE, home=home)
    assert code == 0, err
    code, out, _ = run_vledger("program", "list", "--json", home=home)
    [listed] = json.loads(out)["programs"]
    assert (listed["id"], listed["year"], listed["periods"]) == (
        "safety-2026", 2026, ["Q1", "Q2", "Q3"])
    code, out, _ = run_vledger("program", "show", "safety-2026", "--json", home=home)
    shown = json.loads(out)
    assert [p["share"] for p in shown["periods"]] == ["4", "3", "3"]
    assert shown["periods"][0]["start"] == "2026-01-01"
    items = {i["id"]: i for i in shown["items"]}
    assert items["records"]["rule_text"] == "assessor's points, up to 8"
    assert items["meetings"]["rule_text"] == "12, -3 per event (not below 0)"
    code, text, _ = run_vledger("program", "show", "safety-2026", home=home, lang="zh")
    assert code == 0
    for part in ("第一阶段", "2026-01-01 – 2026-04-30", "占 4 份", "评估人员打分，满分 8 分"):
        assert part in text


def test_program_refusals_write_nothing(
    run_vledger: RunVledger, home: Path, tmp_path: Path
) -> None:
    before = store_state(home)
    broken = tmp_path / "broken.toml"
    broken.write_text(PROGRAM_FILE.read_text(encoding="utf-8").replace("year = 2026", "year = x"),
                      encoding="utf-8")
    code, _, err = run_vledger("program", "add", broken, home=home)
    assert code == 1 and err.startswith(f"{broken}:") and "Traceback" not in err
    code, _, err = run_vledger("program", "show", "nope", home=home)
    assert (code, err.strip()) == (1, "no program nope (published: none yet)")
    code, _, err = run_vledger("rank", "nope", home=home)
    assert (code, err.strip()) == (1, "no program nope (published: none yet)")
    assert store_state(home) == before


def test_a_village_home_cannot_write_township_data(
    run_vledger: RunVledger, home: Path, tmp_path: Path
) -> None:
    from tests.sync.homes import create_village_home
    from vledger.sync.services.office import Office

    run_vledger("office", "add", "v01", "青石村", home=home)
    run_vledger("program", "add", PROGRAM_FILE, home=home)
    village_home = tmp_path / "v01"
    with Office.open(home) as township:
        create_village_home(village_home, township, "v01").close()
    code, out, _ = run_vledger("whoami", "--json", home=village_home)
    assert json.loads(out)["office"] == "v01" and json.loads(out)["kind"] == "village"
    before = store_state(village_home)
    refused = [
        (("office", "add", "v02", "东溪村"), "only the township office can add offices"),
        (("program", "add", PROGRAM_FILE), "only the township office can publish programs"),
        (("target", "set", "safety-2026", "v01", "drills", "3"),
         "only the township office can change the ranking sheet's inputs"),
        (("sheet", "import", "safety-2026", "targets", EXAMPLES / "safety-2026" / "targets.csv"),
         "only the township office can import sheets"),
    ]
    for args, message in refused:
        code, out, err = run_vledger(*args, home=village_home)
        assert (code, out, err.strip()) == (1, "", f"{message}; this is village office v01")
    assert store_state(village_home) == before


def test_usage_errors_exit_2(run_vledger: RunVledger, home: Path) -> None:
    assert run_vledger("office", "add", "v01", home=home)[0] == 2
    assert run_vledger("init", home=home)[0] == 2
    assert run_vledger("office", home=home)[0] == 2
