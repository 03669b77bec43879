"""Publishing a ranking as a clerk does it on the command line, on the worked example:
`publish`, `publications`, `rank --published`, a late edit, `rank --changes`, `history`'s
late marks, the exports read back, a CSV with formula-like notes through export and
import, and the publication reaching villages by `serve`/`sync` and by bundle, with what
each sync brought (`sync --json`, serve's log line)."""

from __future__ import annotations

import csv
import io
import json
import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from tests.e2e.conftest import RunVledger
from tests.e2e.fault_proxy import ServeProcess
from tests.e2e.test_cli_example import example_home  # noqa: F401  (the module's fixture)
from tests.example_data import EXAMPLES

PROGRAM = "safety-2026"
Q1 = json.loads((EXAMPLES / PROGRAM / "expected-Q1.json").read_text(encoding="utf-8"))


@pytest.fixture
def town(example_home: Path, tmp_path: Path) -> Path:  # noqa: F811
    return Path(shutil.copytree(example_home, tmp_path / "town"))


def ok(result: tuple[int, str, str]) -> str:
    code, out, err = result
    assert code == 0, err
    return out


def unfixed_hazard(run_vledger: RunVledger, home: Path) -> str:
    listed = json.loads(ok(run_vledger("ledger", "list", PROGRAM, "--village", "v04",
                                       "--json", home=home)))
    return next(r["id"] for r in listed["rows"]
                if r["cells"].get("kind") == "隐患排查" and r["cells"].get("fixed") is False)


def test_publish_a_late_edit_and_what_changed(run_vledger: RunVledger, town: Path) -> None:
    publication = ok(run_vledger("publish", PROGRAM, "--period", "Q1", "--note", "全镇大会",
                                 home=town)).strip()
    listed = json.loads(ok(run_vledger("publications", "--json", home=town)))["publications"]
    assert [(p["id"], p["period"], p["version"], p["by"], p["note"]) for p in listed] == [
        (publication, "Q1", 1, "demo", "全镇大会")]
    published = json.loads(ok(run_vledger("rank", PROGRAM, "--period", "Q1", "--published",
                                          "--json", home=town)))
    assert published.pop("published")["id"] == publication
    assert published == Q1

    row = unfixed_hazard(run_vledger, town)
    ok(run_vledger("ledger", "set", PROGRAM, row, "fixed=是", "--village", "v04", home=town))
    [late] = [e for e in json.loads(ok(run_vledger("history", "--json", home=town)))["edits"]
              if e["late"]]
    assert (late["village"], late["row"], late["column"], late["new"]) == ("v04", row,
                                                                           "fixed", True)

    live = json.loads(ok(run_vledger("rank", PROGRAM, "--period", "Q1", "--json", home=town)))
    again = json.loads(ok(run_vledger("rank", PROGRAM, "--period", "Q1", "--published",
                                      "--json", home=town)))
    assert live != Q1 and {k: v for k, v in again.items() if k != "published"} == Q1

    changes = json.loads(ok(run_vledger("rank", PROGRAM, "--period", "Q1", "--changes",
                                        "--json", home=town)))
    assert changes["published"]["id"] == publication
    assert changes["late_edits"] == [late["id"]]
    fields = {(c["village"], c["field"]) for c in changes["changes"]}
    assert ("v04", "total") in fields and ("v04", "penalty") in fields
    moved = {(c["village"], c["field"]): (c["published"], c["now"])
             for c in changes["changes"]}
    assert moved[("v04", "total")][0] == "80.00"
    text = ok(run_vledger("rank", PROGRAM, "--period", "Q1", "--changes", home=town))
    assert late["id"] in text and "v04" in text and "80.00" in text


def test_exports_of_each_kind_read_back(run_vledger: RunVledger, town: Path,
                                        tmp_path: Path) -> None:
    ok(run_vledger("publish", PROGRAM, "--period", "Q1", home=town))
    totals = [Decimal(r["total"]) for r in Q1["rows"]]
    for kind in ("xlsx", "csv", "html"):
        out = tmp_path / f"q1.{kind}"
        said = ok(run_vledger("rank", PROGRAM, "--period", "Q1", "--published", "--out", out,
                              home=town, lang="zh"))
        assert str(out) in said
    sheet = openpyxl.load_workbook(tmp_path / "q1.xlsx").active
    header = [c.value for c in sheet[2]]
    column = header.index("总分")
    got = [Decimal(str(r[column].value)) for r in sheet.iter_rows(min_row=3, max_row=6)]
    assert got == totals
    assert "通报" in str(sheet["A1"].value)
    data = (tmp_path / "q1.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert [Decimal(r[rows[0].index("总分")]) for r in rows[1:]] == totals
    page = (tmp_path / "q1.html").read_text(encoding="utf-8")
    assert "A4 landscape" in page and all(str(t) in page for t in totals)
    code, _, err = run_vledger("rank", PROGRAM, "--period", "Q1", "--out", tmp_path / "q1.pdf",
                               home=town)
    assert code == 1 and ".xlsx, .csv or .html" in err


def test_a_ledger_csv_with_formulas_goes_out_and_back_exactly(
    run_vledger: RunVledger, town: Path, tmp_path: Path,
) -> None:
    note = '=HYPERLINK("http://example.com","看")'
    ok(run_vledger("ledger", "add", PROGRAM, "--village", "v01", "date=2026-02-01",
                   "kind=宣传活动", f"note={note}", home=town))
    out = tmp_path / "v01.csv"
    ok(run_vledger("ledger", "export", PROGRAM, "--village", "v01", "--out", out, home=town))
    assert "'=HYPERLINK" in out.read_text(encoding="utf-8-sig")
    ok(run_vledger("ledger", "import", PROGRAM, out, "--village", "v02", home=town))
    rows = json.loads(ok(run_vledger("ledger", "list", PROGRAM, "--village", "v02", "--json",
                                     home=town)))["rows"]
    assert [r["cells"]["note"] for r in rows if r["cells"].get("note", "").startswith("=")] \
        == [note]


def current_period_and_last(home: Path) -> tuple[str, str]:
    """Today's period of the program and the village last on its sheet."""
    from vledger.sync.services.office import Office

    with Office.open(home) as office:
        program = office.programs.get(PROGRAM)
        period = office.programs.current_period(program)
        return period, office.ranking.sheet(PROGRAM, period).rows[-1].village


def test_a_publication_reaches_villages_by_sync_and_by_bundle(
    run_vledger: RunVledger, town: Path, tmp_path: Path,
) -> None:
    for village in ("v01", "v02"):
        ok(run_vledger("invite", village, "--out", tmp_path / f"{village}.invite", home=town))
        ok(run_vledger("join", tmp_path / f"{village}.invite", home=tmp_path / village))
    # Published after both joined: only a sync or a bundle can bring it to them.
    publication = ok(run_vledger("publish", PROGRAM, "--period", "Q1", home=town)).strip()
    for village in ("v01", "v02"):
        assert json.loads(ok(run_vledger("publications", "--json", home=tmp_path / village))
                          ) == {"publications": []}
    server = ServeProcess(town)
    try:
        address = f"127.0.0.1:{server.port}"
        first = json.loads(ok(run_vledger("sync", address, "--json", home=tmp_path / "v01")))
        listed = json.loads(ok(run_vledger("publications", "--json",
                                           home=tmp_path / "v01")))["publications"]
        assert [p["id"] for p in listed] == [publication]
        shown = json.loads(ok(run_vledger("rank", PROGRAM, "--period", "Q1", "--published",
                                          "--json", home=tmp_path / "v01")))
        assert {k: v for k, v in shown.items() if k != "published"} == Q1
        assert first["peer"] == "demo" and first["moves"] == []
        assert {"program": PROGRAM, "village": "", "rows_added": 0, "cells_changed": 0,
                "publications": 1} in first["received"]

        # The township moves the last village up; the village's next sync says so.
        period, last = current_period_and_last(town)
        sheet = tmp_path / "adjustments.csv"
        sheet.write_text(f"village,adjustment,period,count\n{last},city_praise,{period},3\n",
                         encoding="utf-8")
        ok(run_vledger("sheet", "import", PROGRAM, "adjustments", sheet, home=town))
        second = json.loads(ok(run_vledger("sync", address, "--json", home=tmp_path / "v01")))
        assert second["received"] == [{"program": PROGRAM, "village": last, "rows_added": 0,
                                       "cells_changed": 1, "publications": 0}]
        [move] = [m for m in second["moves"] if m["village"] == last]
        assert (move["program"], move["period"]) == (PROGRAM, period)
        assert move["to"] < move["from"]
        text = ok(run_vledger("sync", address, home=tmp_path / "v01"))
        assert "nothing went either way" in text
    finally:
        assert server.stop() == 0
    log = server.log()
    assert f"synced with v01: sent {PROGRAM} {last}: 1 cell changed" in log

    bundle = tmp_path / "for-v02.vlb"
    ok(run_vledger("bundle", "export", bundle, home=town))
    ok(run_vledger("bundle", "import", bundle, home=tmp_path / "v02"))
    listed = json.loads(ok(run_vledger("publications", PROGRAM, "--json",
                                       home=tmp_path / "v02")))["publications"]
    assert [p["id"] for p in listed] == [publication]
