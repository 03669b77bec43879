"""`vledger sheet import` and `target set`: whole files or nothing, problems at FILE:ROW:COLUMN."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.conftest import RunVledger, store_state
from tests.example_data import EXAMPLES

PROGRAM = "safety-2026"


@pytest.fixture
def home(run_vledger: RunVledger, tmp_path: Path) -> Path:
    home = tmp_path / "home"
    assert run_vledger("init", "--township", "示例乡", "--id", "t1", "--year", "2026",
                       home=home)[0] == 0
    for village in ("v01", "v02"):
        assert run_vledger("office", "add", village, f"{village}村", home=home)[0] == 0
    assert run_vledger("program", "add", EXAMPLES / "safety-2026.toml", home=home)[0] == 0
    return home


def csv_file(tmp_path: Path, name: str, text: str, bom: bool = False) -> Path:
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def rank_json(run_vledger: RunVledger, home: Path) -> dict[str, object]:
    code, out, err = run_vledger("rank", PROGRAM, "--period", "year", "--json", home=home)
    assert code == 0, err
    return json.loads(out)


def test_a_file_with_bom_imports_and_counts(
    run_vledger: RunVledger, home: Path, tmp_path: Path
) -> None:
    path = csv_file(tmp_path, "manual.csv",
                    "village,item,period,points\r\nv01,records,year,7.5\r\nv02,records,year,６\r\n",
                    bom=True)
    code, out, err = run_vledger("sheet", "import", PROGRAM, "manual", path, home=home)
    assert (code, out.strip(), err) == (0, "safety-2026 manual: 2 imported", "")
    items = {r["village"]: r["items"]["records"] for r in rank_json(run_vledger, home)["rows"]}
    assert items == {"v01": "7.50", "v02": "6.00"}


def test_target_set_changes_one_target(run_vledger: RunVledger, home: Path) -> None:
    before = rank_json(run_vledger, home)
    code, out, err = run_vledger("target", "set", PROGRAM, "v01", "drills", "4", home=home)
    assert (code, out, err) == (0, "", "")
    after = rank_json(run_vledger, home)
    # drills is a linear item: with a target of 4 and no drills, v01 loses points for
    # each one missing; v02's items stay as they were.
    def items(sheet: dict[str, object]) -> dict[str, object]:
        return {r["village"]: r["items"] for r in sheet["rows"]}  # type: ignore[attr-defined, index]

    assert items(after)["v01"] != items(before)["v01"]
    assert items(after)["v02"] == items(before)["v02"]


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        ("targets", "village,indicator,target\nv01,drills,3\n",
         ["t.csv:1: the header must be exactly village,indicator,value "
          "(found village,indicator,target)"]),
        ("targets", "village,indicator,value\nv01,drills,3\nv09,drills,3\nv02,drill,x\n",
         ["t.csv:3:village: no village v09",
          't.csv:4:value: "x" is not a number']),
        ("targets", "village,indicator,value\nv01,drill,3\nv01,drills,-1\n",
         ["t.csv:2:indicator: no indicator drill in program safety-2026",
          "t.csv:3:value: drills: -1 is below 0"]),
        ("manual", "village,item,period,points\nv01,records,Q1,8.5\nv02,records,Q4,1\n",
         ["t.csv:2:points: records: 8.5 points is above the item's 8",
          "t.csv:3:period: no period Q4 in program safety-2026"]),
        ("entered", "village,indicator,period,value\nv01,drills,Q1,2\nv01,plan,Q1\n",
         ["t.csv:2:indicator: indicator drills is computed from ledgers, not entered",
          "t.csv:3: expected 4 cells (village,indicator,period,value), found 3"]),
        ("adjustments", "village,adjustment,period,count\nv01,praise,Q1,1\nv01,criticism,Q1,1.5\n"
         "v01,criticism,Q1,1\n",
         ["t.csv:2:adjustment: no adjustment praise in program safety-2026",
          "t.csv:3:count: criticism: a count must be a whole number, not 1.5",
          "t.csv:4:village: v01,criticism,Q1,1 repeats line 3"]),
    ],
)
def test_bad_sheets_are_refused_whole(
    run_vledger: RunVledger, home: Path, tmp_path: Path, kind: str, text: str,
    expected: list[str],
) -> None:
    path = csv_file(tmp_path, "t.csv", text)
    before = store_state(home)
    # The file is named in each problem as the user typed it (here, its full path).
    code, out, err = run_vledger("sheet", "import", PROGRAM, kind, path, home=home)
    assert (code, out) == (1, "")
    assert err.splitlines() == [line.replace("t.csv", str(path), 1) for line in expected]
    assert store_state(home) == before


def test_other_refusals(run_vledger: RunVledger, home: Path, tmp_path: Path) -> None:
    before = store_state(home)
    cases = [
        (("sheet", "import", "nope", "targets", tmp_path / "x.csv"),
         "no program nope (published: safety-2026)"),
        (("sheet", "import", PROGRAM, "targets", tmp_path / "missing.csv"),
         f"{tmp_path / 'missing.csv'}: no such file"),
        (("target", "set", PROGRAM, "v07", "drills", "3"), "v07,drills: no village v07"),
        (("target", "set", PROGRAM, "v01", "drills", "三"), "value: '三' is not a number"),
    ]
    for args, message in cases:
        code, out, err = run_vledger(*args, home=home)
        assert (code, out, err.strip()) == (1, "", message)
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("village,indicator,value\nv01,drills,3\n# caf\xe9\n".encode("latin-1"))
    code, _, err = run_vledger("sheet", "import", PROGRAM, "targets", latin1, home=home)
    assert (code, err.strip()) == (1, f'{latin1}:3: neither UTF-8 nor GBK text; save it as '
                                      '"CSV UTF-8 (Comma delimited)" and import again')
    assert run_vledger("sheet", "import", PROGRAM, "goals", latin1, home=home)[0] == 2
    assert store_state(home) == before
