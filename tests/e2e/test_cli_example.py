"""The worked example (shared/examples/safety-2026) loaded entirely through the CLI.

init, office add (with areas), program add, sheet import of every kind, the ledgers,
then `rank --json` must print exactly expected-Q1.json and expected-year.json,
rows in the same order with keys in the same order.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from tests.e2e.conftest import RunVledger
from tests.example_data import EXAMPLES

EXAMPLE = EXAMPLES / "safety-2026"
PROGRAM = "safety-2026"


def ledger_cli_exists(run_vledger: RunVledger) -> bool:
    code, _, _ = run_vledger("ledger", "import", "--help")
    return code == 0


def load_ledgers(run_vledger: RunVledger, home: Path) -> None:
    """Through `vledger ledger import` once it exists; until then through the facade."""
    villages = sorted(p.stem for p in (EXAMPLE / "ledgers").glob("*.csv"))
    if ledger_cli_exists(run_vledger):
        for village in villages:
            code, _, err = run_vledger(
                "ledger", "import", PROGRAM, EXAMPLE / "ledgers" / f"{village}.csv",
                "--village", village, home=home,
            )
            assert code == 0, err
        return
    from vledger.sync.services.office import Office

    with Office.open(home) as office:
        for village in villages:
            path = EXAMPLE / "ledgers" / f"{village}.csv"
            with path.open(encoding="utf-8-sig", newline="") as f:
                ledger = office.ledgers.session(PROGRAM, village, writing=True)
                ledger.add_rows(list(csv.DictReader(f)))


@pytest.fixture(scope="module")
def example_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.e2e.conftest import run as run_vledger

    home = tmp_path_factory.mktemp("example") / "home"
    code, out, err = run_vledger("init", "--township", "示例乡", "--id", "demo", "--year", "2026",
                                 home=home)
    assert (code, out.strip(), err) == (0, "demo", "")
    with (EXAMPLE / "offices.csv").open(encoding="utf-8-sig", newline="") as f:
        for office in csv.DictReader(f):
            code, out, err = run_vledger(
                "office", "add", office["id"], office["name"], "--area", office["area"], home=home
            )
            assert (code, out.strip()) == (0, office["id"]), err
    code, out, err = run_vledger("program", "add", EXAMPLES / "safety-2026.toml", home=home)
    assert code == 0 and out.startswith("safety-2026:"), err
    for kind in ("targets", "entered", "manual", "adjustments"):
        code, out, err = run_vledger("sheet", "import", PROGRAM, kind, EXAMPLE / f"{kind}.csv",
                                     home=home)
        assert code == 0, err
    load_ledgers(run_vledger, home)
    return home


@pytest.mark.parametrize("period", ["Q1", "year"])
def test_rank_json_is_the_expected_sheet(
    run_vledger: RunVledger, example_home: Path, period: str
) -> None:
    code, out, err = run_vledger("rank", PROGRAM, "--period", period, "--json", home=example_home)
    assert code == 0, err
    expected_text = (EXAMPLE / f"expected-{period}.json").read_text(encoding="utf-8")
    got, expected = json.loads(out), json.loads(expected_text)
    assert got == expected
    assert [r["village"] for r in got["rows"]] == [r["village"] for r in expected["rows"]]
    for mine, theirs in zip(got["rows"], expected["rows"], strict=True):
        assert list(mine) == list(theirs)
        assert list(mine["items"]) == list(theirs["items"])
    assert list(got) == list(expected)


def test_the_roster_lists_areas(run_vledger: RunVledger, example_home: Path) -> None:
    code, out, _ = run_vledger("office", "list", "--json", home=example_home)
    assert code == 0
    offices = {o["id"]: o for o in json.loads(out)["offices"]}
    assert offices["demo"] == {"id": "demo", "name": "示例乡", "area": None, "kind": "township",
                               "since": None}
    with (EXAMPLE / "offices.csv").open(encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            assert offices[row["id"]] == {**row, "kind": "village", "since": None}


def test_explain_names_the_rows_behind_a_score(run_vledger: RunVledger, example_home: Path) -> None:
    code, out, err = run_vledger("rank", PROGRAM, "--period", "Q1", "--explain", "v03",
                                 home=example_home)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("v03 ")
    assert any(line.startswith("rank") or "rank 1" in line.lower() for line in lines[1:])
    assert len(lines) > 10
    # counted rows by their date and first cells, as the clerk knows them
    assert any(re.search(r"(rows|台账行) 2026-\d\d-\d\d \S", line) for line in lines), out
    code, _, err = run_vledger("rank", PROGRAM, "--explain", "v77", home=example_home)
    assert (code, err.strip()) == (1, "no village v77 on the safety-2026 sheet")


def test_text_sheet_lines_up_chinese_names(run_vledger: RunVledger, example_home: Path) -> None:
    from rich.cells import cell_len

    code, out, err = run_vledger("rank", PROGRAM, "--period", "Q1", home=example_home, lang="zh")
    assert code == 0, err
    lines = out.splitlines()
    header, rule, *rows = lines[1:7]
    assert set(rule) <= {"-", " "}
    # Every row of the table is as wide as its rule on a terminal, names included.
    assert {cell_len(line) for line in (header, rule, *rows)} == {cell_len(rule)}
    ranks = [line.split()[0] for line in rows]
    assert ranks == ["1", "2", "3", "4"]
    assert "梯岩村" in rows[0]
