"""`vledger ledger ...` end to end: the real command on a township built with the facade."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from tests.example_data import EXAMPLES
from tests.sync.homes import create_township, create_village_home
from vledger.domain.program import CellValue, Program
from vledger.domain.program_file import load_program
from vledger.domain.values import parse_cell
from vledger.sync.services.office import Office

PROGRAM_FILE = EXAMPLES / "safety-2026.toml"
LEDGERS = EXAMPLES / "safety-2026" / "ledgers"
VILLAGES = (("v01", "东坪村"), ("v02", "柳津村"), ("v03", "梯岩村"), ("v04", "沙岭村"))
P = "safety-2026"


def program() -> Program:
    return load_program(PROGRAM_FILE.read_text(encoding="utf-8"), "safety-2026.toml")


def make_township(home: Path) -> None:
    """The example township 青石乡 with its four villages and the program published."""
    with create_township(home, "青石乡", "t1", year=2026, user="clerk") as office:
        for village, name in VILLAGES:
            office.roster.add_office(village, name)
        office.programs.add(PROGRAM_FILE.read_text(encoding="utf-8"), "safety-2026.toml")


def make_village(township_home: Path, home: Path, village: str) -> None:
    with Office.open(township_home) as township:
        create_village_home(home, township, village, user="clerk").close()


def csv_cells(path: Path) -> list[dict[str, CellValue]]:
    """The example CSV parsed cell by cell by the column parser (empty cells left out)."""
    columns = {c.id: c for c in program().columns}
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    parsed = []
    for row in rows:
        cells = {k: parse_cell(columns[k], v) for k, v in row.items()}
        parsed.append({k: v for k, v in cells.items() if v is not None})
    return parsed


def canonical(rows: list[dict[str, Any]]) -> list[str]:
    return sorted(json.dumps(r, ensure_ascii=False, sort_keys=True) for r in rows)


def listed(run_vledger: Any, home: Path, *extra: str) -> dict[str, Any]:
    code, out, err = run_vledger("ledger", "list", P, "--json", *extra, home=home)
    assert code == 0, err
    return json.loads(out)


def store_state(home: Path) -> dict[str, Any]:
    """Every document's heads and chunk count: any write at all changes them."""
    with Office.open(home) as office:
        store = office.store
        return {d: (store.heads(d), store.chunk_stats(d)) for d in store.document_ids()}


@pytest.fixture(scope="module")
def township(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("township") / "home"
    make_township(home)
    return home


@pytest.fixture
def fresh(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    make_township(home)
    return home


def test_import_every_example_ledger_and_list_it_back(run_vledger: Any, fresh: Path) -> None:
    for village, _ in VILLAGES:
        source = LEDGERS / f"{village}.csv"
        code, out, err = run_vledger("ledger", "import", P, source, "--village", village,
                                     home=fresh)
        expected = csv_cells(source)
        assert code == 0, err
        assert out.strip() == f"{len(expected)} rows added to {village}'s {P} ledger"
        shown = listed(run_vledger, fresh, "--village", village)
        assert shown["program"] == P and shown["village"] == village
        assert all(r["deleted"] is False and len(r["id"]) == 8 for r in shown["rows"])
        assert canonical([r["cells"] for r in shown["rows"]]) == canonical(expected)
        dates = [r["cells"]["date"] for r in shown["rows"]]
        assert dates == sorted(dates)  # display order: by date


def test_a_file_with_bad_cells_lists_them_all_and_writes_nothing(
    run_vledger: Any, township: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(
        "\ufeff日期,kind,参加人数,已整改,colour\r\n"
        "2026-01-10,宣传活动,60,,\r\n"
        "2026-02-30,开会,-1,也许,\r\n"
        ",,,,\r\n"
        ",例会,3,是,\r\n"
        "2026-03-01,例会,,,red\r\n".encode()
    )
    before = store_state(township)
    code, out, err = run_vledger("ledger", "import", P, bad, "--village", "v02", home=township)
    assert code == 1 and out == ""
    located = [line.split(": ", 1)[0] for line in err.splitlines()]
    name = str(bad)
    assert located == [
        f"{name}:1:colour",
        f"{name}:3:日期", f"{name}:3:kind", f"{name}:3:参加人数", f"{name}:3:已整改",
        f"{name}:5:日期",
    ]
    assert "Traceback" not in err
    assert store_state(township) == before


def test_import_names_the_file_as_typed_and_reads_gbk_saying_so(
    run_vledger: Any, township: Path, tmp_path: Path
) -> None:
    before = store_state(township)
    code, _, err = run_vledger("ledger", "import", P, tmp_path / "none.csv", "--village", "v02",
                               home=township)
    assert code == 1 and err.strip() == f"{tmp_path / 'none.csv'}: no such file"
    latin = tmp_path / "latin.csv"
    latin.write_bytes("日期,备注\r\n2026-01-10,café\r\n".encode()[:-9] + b"caf\xe9\r\n")
    code, _, err = run_vledger("ledger", "import", P, latin, "--village", "v02", home=township)
    assert code == 1
    assert err.startswith(f"{latin}:2: neither UTF-8 nor GBK text") and "CSV UTF-8" in err
    assert store_state(township) == before
    gbk = tmp_path / "gbk.csv"  # Chinese Excel's plain "CSV"
    gbk.write_bytes("日期,类别\r\n2026-01-10,宣传活动\r\n3月11日,应急\r\n".encode("gbk"))
    code, _, err = run_vledger("ledger", "import", P, gbk, "--village", "v02", home=township,
                               lang="zh")
    assert code == 0, err
    assert err.strip() == f"{gbk}：不是 UTF-8 编码，已按 GBK（Excel 的普通“CSV”）读取"
    rows = listed(run_vledger, township, "--village", "v02")["rows"]
    assert [(r["cells"]["date"], r["cells"]["kind"]) for r in rows][-2:] == [
        ("2026-01-10", "宣传活动"), ("2026-03-11", "应急演练")]


def test_xlsx_import_reads_typed_values(run_vledger: Any, fresh: Path, tmp_path: Path) -> None:
    from datetime import datetime

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["日期", "类别", "参加人数", "已参会", "备注"])
    sheet.append([datetime(2026, 3, 5), "宣传活动", 60, None, "春节"])
    sheet.append([])
    sheet.append(["2026/4/1", "例会", None, False, 12])
    path = tmp_path / "ledger.xlsx"
    book.save(path)
    code, out, err = run_vledger("ledger", "import", P, path, "--village", "v03", home=fresh)
    assert code == 0, err
    assert out.startswith("2 rows added")
    rows = listed(run_vledger, fresh, "--village", "v03")["rows"]
    assert [r["cells"] for r in rows] == [
        {"date": "2026-03-05", "kind": "宣传活动", "participants": 60, "note": "春节"},
        {"date": "2026-04-01", "kind": "例会", "attended": False, "note": "12"},
    ]
    sheet["B6"] = "开会"
    sheet["A6"] = "2026-05-01"
    book.save(path)
    code, _, err = run_vledger("ledger", "import", P, path, "--village", "v03", home=fresh)
    assert code == 1 and err.splitlines()[0].startswith(f"{path}:6:类别: ")


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_then_import_round_trips(
    run_vledger: Any, fresh: Path, tmp_path: Path, suffix: str
) -> None:
    source = LEDGERS / "v01.csv"
    assert run_vledger("ledger", "import", P, source, "--village", "v01", home=fresh)[0] == 0
    out = tmp_path / f"v01{suffix}"
    code, text, err = run_vledger("ledger", "export", P, "--village", "v01", "--out", out,
                                  home=fresh)
    assert code == 0, err
    expected = csv_cells(source)
    assert text.strip() == f"{len(expected)} rows written to {out}"
    if suffix == ".csv":
        data = out.read_bytes()
        assert data.startswith(b"\xef\xbb\xbf")
        assert data.decode("utf-8-sig").startswith("日期,类别,参加人数,已整改,已参会,备注\r\n")
    code, _, err = run_vledger("ledger", "import", P, out, "--village", "v02", home=fresh)
    assert code == 0, err
    copied = listed(run_vledger, fresh, "--village", "v02")["rows"]
    original = listed(run_vledger, fresh, "--village", "v01")["rows"]
    assert [r["cells"] for r in copied] == [r["cells"] for r in original]
    assert canonical([r["cells"] for r in copied]) == canonical(expected)


def test_add_set_delete_restore_and_list_deleted(run_vledger: Any, fresh: Path) -> None:
    code, out, err = run_vledger("ledger", "add", P, "--village", "v04", "date=2026/3/5",
                                 "类别=宣传活动", "participants=４０", home=fresh)
    assert code == 0, err
    row = out.strip()
    assert len(row) == 8
    assert listed(run_vledger, fresh, "--village", "v04")["rows"] == [
        {"id": row, "deleted": False,
         "cells": {"date": "2026-03-05", "kind": "宣传活动", "participants": 40}}
    ]
    code, _, err = run_vledger("ledger", "set", P, row, "--village", "v04", "participants=",
                               "note=补记", "已整改=是", home=fresh)
    assert code == 0, err
    cells = listed(run_vledger, fresh, "--village", "v04")["rows"][0]["cells"]
    assert cells == {"date": "2026-03-05", "kind": "宣传活动", "note": "补记", "fixed": True}

    assert run_vledger("ledger", "delete", P, row, "--village", "v04", home=fresh)[0] == 0
    assert listed(run_vledger, fresh, "--village", "v04")["rows"] == []
    with_deleted = listed(run_vledger, fresh, "--village", "v04", "--deleted")["rows"]
    assert [(r["id"], r["deleted"]) for r in with_deleted] == [(row, True)]
    code, text, _ = run_vledger("ledger", "list", P, "--village", "v04", "--deleted", home=fresh)
    assert code == 0 and f"{row} (deleted)" in text

    assert run_vledger("ledger", "restore", P, row, "--village", "v04", home=fresh)[0] == 0
    assert [r["id"] for r in listed(run_vledger, fresh, "--village", "v04")["rows"]] == [row]


def test_refusals_are_one_line_each_and_write_nothing(run_vledger: Any, township: Path) -> None:
    before = store_state(township)
    code, out, err = run_vledger("ledger", "add", P, "--village", "v01", "date=2026-02-30",
                                 "kind=开会", "oops", "colour=red", home=township)
    assert code == 1 and out == ""
    lines = err.splitlines()
    assert lines[0] == "'oops': expected COL=VALUE, like date=2026-03-05"
    assert any(line.startswith("日期 (date): February 2026 has 28 days") for line in lines)
    assert any(line.startswith("类别 (kind): expected one of") for line in lines)
    assert any(line.startswith("colour: no such column") for line in lines)
    assert len(lines) == 4
    for args in (
        ("ledger", "set", P, "nosuchrow", "--village", "v01", "note=x"),
        ("ledger", "delete", P, "nosuchrow", "--village", "v01"),
        ("ledger", "list", "no-such-program", "--village", "v01"),
        ("ledger", "list", P),  # the township keeps no ledger of its own
        ("ledger", "add", P, "--village", "v99", "date=2026-01-01", "kind=例会"),
        ("ledger", "export", P, "--village", "v01", "--out", "ledger.txt"),
    ):
        code, out, err = run_vledger(*args, home=township)
        assert code == 1 and out == "", args
        assert len(err.splitlines()) == 1 and "Traceback" not in err, (args, err)
    assert store_state(township) == before


def test_a_village_office_writes_only_its_own_ledger(
    run_vledger: Any, fresh: Path, tmp_path: Path
) -> None:
    village = tmp_path / "v01"
    make_village(fresh, village, "v01")
    code, out, err = run_vledger("ledger", "add", P, "date=2026-01-02", "kind=例会",
                                 home=village)
    assert code == 0, err
    assert [r["id"] for r in listed(run_vledger, village)["rows"]] == [out.strip()]
    before = store_state(village)
    code, _, err = run_vledger("ledger", "import", P, LEDGERS / "v02.csv", "--village", "v02",
                               home=village)
    assert code == 1 and err.strip() == "village office v01 writes only its own ledgers, not v02's"
    assert store_state(village) == before


def test_list_text_is_aligned_with_chinese_titles(run_vledger: Any, fresh: Path) -> None:
    assert run_vledger("ledger", "import", P, LEDGERS / "v03.csv", "--village", "v03",
                       home=fresh)[0] == 0
    code, out, _ = run_vledger("ledger", "list", P, "--village", "v03", home=fresh, lang="zh")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["行", "日期", "类别", "参加人数", "已整改", "已参会", "备注"]
    from rich.cells import cell_len

    # Every row's date starts in the same terminal column as the header's 日期.
    start = cell_len(lines[0][: lines[0].index("日期")])
    for line in lines[2:]:
        assert cell_len(line[: line.index("2026-")]) == start
    assert len(lines) == 2 + len(csv_cells(LEDGERS / "v03.csv"))
