"""Exports of a ranking sheet (sync/services/sheet_export.py), live and published, read back:
.xlsx with openpyxl (numbers as numbers with the sheet's places, the title row with the
publication stamp, the frozen header, widths that fit Chinese), .csv (BOM, the same
numbers), .html (one A4 landscape page with the stamp)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from tests.example_data import EXAMPLES
from tests.sync.example_homes import PROGRAM, build_example, copy_home, late_fix
from vledger.sync.services.office import Office, Refusal
from vledger.sync.services.sheet_export import cell_width

Q1 = json.loads((EXAMPLES / "safety-2026" / "expected-Q1.json").read_text(encoding="utf-8"))
ITEMS = list(Q1["rows"][0]["items"])
SCORES = ["adjustments", "rank_bonus", "total"]
MONEY = ["reward", "penalty", "amount"]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("example") / "home"
    build_example(home)
    return home


@pytest.fixture
def office(template: Path, tmp_path: Path) -> Iterator[Office]:
    opened = Office.open(copy_home(template, tmp_path / "home"), lang="zh")
    opened.publications.publish(PROGRAM, "Q1", "全镇大会")
    late_fix(opened)  # the live sheet differs from the published one from here on
    yield opened
    opened.close()


def expected_cells(sheet: dict[str, Any]) -> list[list[str]]:
    """Per village in rank order: rank, village, items, adjustments, bonus, total, money."""
    return [[str(r["rank"]), r["village"], *(r["items"][i] for i in ITEMS),
             *(r[k] for k in SCORES), *(r[k] for k in MONEY)] for r in sheet["rows"]]


def picked(header: list[str], row: list[Any], names: list[str]) -> list[Any]:
    return [row[header.index(n)] for n in names]


def test_the_published_xlsx_reads_back_with_the_exact_numbers(
    office: Office, tmp_path: Path,
) -> None:
    path = office.publications.export(PROGRAM, "Q1", tmp_path / "q1.xlsx", published=True)
    book = openpyxl.load_workbook(path)
    sheet = book.active
    title = str(sheet["A1"].value)
    for words in ("示例乡", "2026年安全生产目标考核", "第一阶段", "通报第 1 版", "全镇大会"):
        assert words in title
    header = [c.value for c in sheet[2]]
    ids = ["名次", "村编号", *["宣传活动", "应急演练", "隐患整改率", "例会出勤", "宣传受众",
                             "应急预案", "台账齐全"], "加扣分", "名次加分", "总分",
           "奖励", "处罚", "奖罚"]
    got = []
    for row in sheet.iter_rows(min_row=3, max_row=6):
        values = [c.value for c in row]
        cells = picked(header, values, ids)
        formats = picked(header, [c.number_format for c in row], ids)
        assert all(isinstance(v, int | float) for v in cells[2:])  # numbers, not text
        assert formats[2:-3] == ["0.00"] * (len(ITEMS) + 3)  # scores keep two places
        assert formats[-3:] == ["0"] * 3  # whole money
        places = [f"{Decimal(str(v)):.2f}" for v in cells[2:-3]]
        money = [f"{Decimal(str(v)):.0f}" for v in cells[-3:]]
        got.append([str(cells[0]), cells[1], *places, *money])
    assert got == expected_cells(Q1)
    assert sheet.freeze_panes == "E3"
    names = header.index("名称") + 1
    width = sheet.column_dimensions[openpyxl.utils.get_column_letter(names)].width
    assert width >= cell_width("梯岩村") >= 6  # a Chinese name fits its column


def test_the_live_csv_has_a_bom_and_the_live_numbers(office: Office, tmp_path: Path) -> None:
    path = office.publications.export(PROGRAM, "Q1", tmp_path / "live.csv")
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    header, body = rows[0], rows[1:]
    live = office.ranking.sheet(PROGRAM, "Q1").to_json_dict()
    ids = ["名次", "村编号", *header[4:4 + len(ITEMS)], "加扣分", "名次加分", "总分",
           "奖励", "处罚", "奖罚"]
    assert [picked(header, r, ids) for r in body] == expected_cells(live)
    assert body[0][1] == "v04" and live != Q1


def test_the_html_is_one_a4_landscape_page_with_the_stamp(
    office: Office, tmp_path: Path,
) -> None:
    path = office.publications.export(PROGRAM, "Q1", tmp_path / "q1.html", published=True)
    text = path.read_text(encoding="utf-8")
    assert "@page { size: A4 landscape" in text
    assert "通报第 1 版" in text and "全镇大会" in text
    assert text.count("<tr>") == 1 + len(Q1["rows"])
    for row in Q1["rows"]:
        assert f'<td class="n">{row["total"]}</td>' in text


def test_an_export_of_another_kind_is_refused(office: Office, tmp_path: Path) -> None:
    with pytest.raises(Refusal, match=r"exports as \.xlsx, \.csv or \.html"):
        office.publications.export(PROGRAM, "Q1", tmp_path / "q1.pdf")
    assert not (tmp_path / "q1.pdf").exists()
