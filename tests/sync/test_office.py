"""The office's services: homes, roster, programs, sheets, ledgers, permissions, measures
cache."""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from tests.example_data import EXAMPLES
from tests.sync.homes import (
    create_township,
    create_village_home,
    township_doc_id,
    village_doc_id,
)
from vledger.sync.documents.replicas import Replicas
from vledger.sync.services.office import Office, Refusal
from vledger.sync.store.database import DB_FILE

EXAMPLE = EXAMPLES
PROGRAM = "safety-2026"
SOURCE = (EXAMPLE / "safety-2026.toml").read_text(encoding="utf-8")


def ledger(village: str) -> list[dict[str, str]]:
    path = EXAMPLE / "safety-2026" / "ledgers" / f"{village}.csv"
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def written(home: Path) -> tuple[object, ...]:
    """Everything a refused action must leave as it was: heads, chunks, settings."""
    conn = sqlite3.connect(home / DB_FILE)
    try:
        return (
            conn.execute("SELECT doc_id, heads, snapshot FROM documents ORDER BY doc_id")
            .fetchall(),
            conn.execute("SELECT id, doc_id, data FROM chunks ORDER BY id").fetchall(),
            conn.execute("SELECT key, value FROM settings ORDER BY key").fetchall(),
        )
    finally:
        conn.close()


@pytest.fixture
def township(tmp_path: Path) -> Iterator[Office]:
    office = create_township(tmp_path / "t", "青石乡", "qs", year=2026, user="李")
    with (EXAMPLE / "safety-2026" / "offices.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            office.roster.add_office(row["id"], row["name"], row["area"])
    office.programs.add(SOURCE, "safety-2026.toml")
    yield office
    office.close()


@pytest.fixture
def loaded(township: Office) -> Office:
    """The worked example, loaded whole."""
    for kind in ("targets", "entered", "manual", "adjustments"):
        township.sheets.import_csv(PROGRAM, kind, EXAMPLE / "safety-2026" / f"{kind}.csv")
    for village in ("v01", "v02", "v03", "v04"):
        township.ledgers.session(PROGRAM, village, writing=True).add_rows(ledger(village))
    return township


def refuse(home: Path, action: object, *expected: str) -> list[str]:
    """Run `action`, expect a Refusal whose lines contain `expected`, and nothing written."""
    before = written(home)
    with pytest.raises(Refusal) as caught:
        action()  # type: ignore[operator]
    lines = [str(p) for p in caught.value.problems]  # a catalogue message reads in English
    text = "\n".join(lines)
    for part in expected:
        assert part in text
    assert written(home) == before
    return lines


# -- homes ------------------------------------------------------------------------------------


def test_a_new_township_knows_itself(township: Office) -> None:
    me = township.roster.whoami()
    assert (me.office, me.kind, me.township, me.township_name, me.office_name, me.user) == (
        "qs", "township", "qs", "青石乡", "青石乡", "李",
    )
    assert me.device and me.year == 2026
    assert [(o.id, o.area, o.kind) for o in township.roster.offices()] == [
        ("qs", None, "township"), ("v01", "北片", "village"), ("v02", "北片", "village"),
        ("v03", "南片", "village"), ("v04", "南片", "village"),
    ]
    assert township.damage == []


def test_a_home_with_an_office_is_not_made_again(township: Office, tmp_path: Path) -> None:
    township.close()
    with pytest.raises(Refusal, match="already holds an office"):
        create_township(tmp_path / "t", "别的乡", "other", year=2026)
    with Office.open(tmp_path / "t") as again:
        assert again.me.township == "qs"


def test_opening_an_empty_home_refuses_and_creates_nothing(tmp_path: Path) -> None:
    home = tmp_path / "nobody"
    with pytest.raises(Refusal, match="vledger init"):
        Office.open(home)
    assert not home.exists()


def test_township_ids_follow_the_office_pattern(tmp_path: Path) -> None:
    with pytest.raises(Refusal, match="lowercase"):
        create_township(tmp_path / "a", "青石乡", "Bad/Id", year=2026)
    assert not (tmp_path / "a").exists()
    with create_township(tmp_path / "b", "青石乡", year=2026) as office:
        assert office.me.township.startswith("t") and len(office.me.township) == 6


# -- roster ---------------------------------------------------------------------------------


def test_add_office_refuses_bad_ids_and_duplicates(township: Office) -> None:
    home = township.me.home
    roster = township.roster
    refuse(home, lambda: roster.add_office("V01", "大写村"), "lowercase")
    refuse(home, lambda: roster.add_office("-v9", "村"), "lowercase")
    refuse(home, lambda: roster.add_office("v01", "重复村"), "already on the roster", "东坪村")
    refuse(home, lambda: roster.add_office("qs", "同名"), "already on the roster")
    refuse(home, lambda: roster.add_office("v09", "  "), "needs a name")


def test_each_village_gets_its_document(township: Office) -> None:
    for village in ("v01", "v02", "v03", "v04"):
        assert township.store.has_document(village_doc_id(township, village))
        assert not township.store.is_open(village_doc_id(township, village))


# -- programs ---------------------------------------------------------------------------------


def test_a_broken_program_is_refused_with_its_lines(township: Office) -> None:
    broken = SOURCE.replace('rule = "proportional"', 'rule = "proportionate"', 1)
    problems = refuse(township.me.home, lambda: township.programs.add(broken, "bad.toml"))
    assert problems and all(p.startswith("bad.toml:") for p in problems)
    assert any("proportionate" in p for p in problems)


def test_a_program_of_another_year_is_refused(township: Office) -> None:
    other = SOURCE.replace("year = 2026", "year = 2025", 1).replace("2026-", "2025-")
    refuse(township.me.home, lambda: township.programs.add(other, "old.toml"), "2025", "2026")


def test_publishing_again_replaces_the_program(township: Office) -> None:
    retitled = SOURCE.replace("2026年安全生产目标考核", "2026年安全生产考核（修订）", 1)
    assert retitled != SOURCE
    township.programs.add(retitled, "safety-2026.toml")
    assert [p.title for p in township.programs.all()] == ["2026年安全生产考核（修订）"]


def test_unknown_program_is_refused(township: Office) -> None:
    refuse(township.me.home, lambda: township.ranking.sheet("nope", "Q1"), "no program nope",
           "safety-2026")


def test_current_period_is_the_one_containing_today(township: Office) -> None:
    program = township.programs.get(PROGRAM)
    current_period = township.programs.current_period
    assert current_period(program, date(2026, 2, 1)) == "Q1"
    assert current_period(program, date(2026, 9, 1)) == "Q3"
    assert current_period(program, date(2027, 1, 5)) == "year"


# -- sheets -------------------------------------------------------------------------------


def write(path: Path, text: str, bom: bool = False) -> Path:
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def test_sheet_import_reads_every_kind(loaded: Office) -> None:
    inputs = loaded.sheets.inputs(PROGRAM)
    assert inputs.targets[("v01", "publicity")] == Decimal(10)
    assert inputs.entered[("v01", "plan", "Q1")] == Decimal(1)
    assert inputs.manual[("v02", "records", "Q1")] == Decimal("6.5")
    assert inputs.adjustments[("v02", "criticism", "Q1")] == Decimal(2)


def test_sheet_import_with_bom_and_full_width_numbers(township: Office, tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "village,indicator,value\nv01,drills,１２\n", bom=True)
    assert township.sheets.import_csv(PROGRAM, "targets", path, shown_as="t.csv").count == 1
    assert township.sheets.inputs(PROGRAM).targets[("v01", "drills")] == Decimal(12)


def test_a_bad_header_is_refused(township: Office, tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "village,indicator,target\nv01,drills,3\n")
    refuse(township.me.home,
           lambda: township.sheets.import_csv(PROGRAM, "targets", path, shown_as="t.csv"),
           "t.csv:1: the header must be exactly village,indicator,value")


def test_every_bad_cell_is_reported_at_its_line_and_column(
    township: Office, tmp_path: Path
) -> None:
    text = (
        "village,item,period,points\n"
        "v01,records,Q1,8\n"
        "v99,records,Q1,5\n"  # line 3: unknown village
        "v02,records,Q9,5\n"  # line 4: unknown period
        "v03,records,Q1,9\n"  # line 5: above the item's 8 points
        "v04,publicity,Q1,3\n"  # line 6: not a manual item
        "v04,records,Q1,many\n"  # line 7: not a number
        "v04,nothing,Q2,1\n"  # line 8: unknown item
    )
    path = write(tmp_path / "m.csv", text)
    problems = refuse(
        township.me.home,
        lambda: township.sheets.import_csv(PROGRAM, "manual", path, shown_as="m.csv"),
    )
    assert [p.split(": ", 1)[0] for p in problems] == [
        "m.csv:3:village", "m.csv:4:period", "m.csv:5:points", "m.csv:6:item",
        "m.csv:7:points", "m.csv:8:item",
    ]
    assert "9 points is above the item's 8" in problems[2]
    assert township.sheets.inputs(PROGRAM).manual == {}


def test_single_values_are_checked_like_sheets(township: Office) -> None:
    township.sheets.set_target(PROGRAM, "v01", "drills", "3")
    township.sheets.set_manual(PROGRAM, "v01", "records", "Q1", "7.5")
    township.sheets.set_entered(PROGRAM, "v01", "plan", "year", Decimal(1))
    township.sheets.set_adjustment(PROGRAM, "v01", "county_praise", "Q1", 2)
    inputs = township.sheets.inputs(PROGRAM)
    assert inputs.targets == {("v01", "drills"): Decimal(3)}
    assert inputs.manual == {("v01", "records", "Q1"): Decimal("7.5")}
    assert inputs.entered == {("v01", "plan", "year"): Decimal(1)}
    assert inputs.adjustments == {("v01", "county_praise", "Q1"): Decimal(2)}
    home, sheets = township.me.home, township.sheets
    refuse(home, lambda: sheets.set_target(PROGRAM, "v77", "drills", "3"), "no village v77")
    refuse(home, lambda: sheets.set_manual(PROGRAM, "v01", "records", "Q1", "8.5"), "above")
    refuse(home, lambda: sheets.set_target(PROGRAM, "v01", "drills", "三"), "not a number")
    refuse(home, lambda: sheets.set_adjustment(PROGRAM, "v01", "county_praise", "Q1", "1.5"),
           "whole")
    township.sheets.set_target(PROGRAM, "v01", "drills", None)
    assert township.sheets.inputs(PROGRAM).targets == {}


# -- ledgers ------------------------------------------------------------------------------


def test_rows_typed_as_text_are_parsed_by_their_columns(township: Office) -> None:
    ids = township.ledgers.session(PROGRAM, "v01", writing=True).add_rows([
        {"date": "２０２６／３／５", "kind": "应急演练", "participants": "１２", "fixed": "是"},
        {"日期": "2026年1月2日", "类别": "宣传活动", "note": "  春节  "},
    ])
    rows = {r.id: r for r in township.ledgers.session(PROGRAM, "v01").rows()}
    assert rows[ids[0]].cells == {
        "date": "2026-03-05", "kind": "应急演练", "participants": 12, "fixed": True,
    }
    assert rows[ids[1]].cells == {"date": "2026-01-02", "kind": "宣传活动", "note": "春节"}
    assert [r.id for r in township.ledgers.session(PROGRAM, "v01").rows()] == [ids[1], ids[0]]


def test_bad_rows_are_refused_whole_with_every_cell(township: Office) -> None:
    rows = [
        {"date": "2026-03-05", "kind": "应急演练"},
        {"date": "someday", "kind": "应急演练", "colour": "red"},
        {"kind": "宣传活动", "participants": "-3"},
    ]
    with pytest.raises(Refusal) as caught:
        township.ledgers.session(PROGRAM, "v01", writing=True).add_rows(rows)
    located = {(p.row, p.column) for p in caught.value.cells}
    assert located == {(1, "date"), (1, "colour"), (2, "participants"), (2, "date")}
    assert township.ledgers.session(PROGRAM, "v01").rows(include_deleted=True) == []


def test_edit_delete_restore(township: Office) -> None:
    v02 = township.ledgers.session(PROGRAM, "v02", writing=True)
    [row] = v02.add_rows([{"date": "2026-02-01", "kind": "例会"}])
    v02.set_cells(row, {"attended": "否", "note": "雪天"})
    v02.delete_row(row)
    assert v02.rows() == []
    [deleted] = v02.rows(include_deleted=True)
    assert deleted.deleted and deleted.cells["attended"] is False
    v02.restore_row(row)
    assert [r.id for r in v02.rows()] == [row]
    home, ledgers = township.me.home, township.ledgers
    refuse(home, lambda: v02.set_cells(row, {"date": "x"}), "row 1: date")
    refuse(home, lambda: v02.delete_row("nosuchrw"), "no row nosuchrw")
    refuse(home, lambda: ledgers.session(PROGRAM, None, writing=True).add_rows(
        [{"date": "2026-01-01"}]), "name a village")
    refuse(home, lambda: ledgers.session(PROGRAM, "v42", writing=True).add_rows(
        [{"date": "2026-01-01"}]), "no village v42")


def test_write_cells_puts_back_stored_values_as_undo_needs(township: Office) -> None:
    v02 = township.ledgers.session(PROGRAM, "v02", writing=True)
    [row] = v02.add_rows([{"date": "2026-02-01", "kind": "例会"}])
    # Undoing the edit that filled a required cell has to empty it again, which the
    # typed-text path refuses ("required"); the stored-value path takes it.
    v02.write_cells(row, {"kind": None, "participants": 7})
    [again] = v02.rows()
    assert again.cells == {"date": "2026-02-01", "participants": 7}
    home = township.me.home
    refuse(home, lambda: v02.write_cells(row, {"nope": 1}), "no column")
    refuse(home, lambda: v02.write_cells("nosuchrw", {"note": "x"}), "no row nosuchrw")


# -- permissions ----------------------------------------------------------------------------


def test_a_village_writes_only_its_own_ledger(loaded: Office, tmp_path: Path) -> None:
    with create_village_home(tmp_path / "v01", loaded, "v01", user="王") as village:
        me = village.roster.whoami()
        assert (me.office, me.kind, me.office_name, me.township) == ("v01", "village", "东坪村",
                                                                      "qs")
        before = len(village.ledgers.session(PROGRAM).rows())
        ledgers = village.ledgers
        ledgers.session(PROGRAM, None, writing=True).add_rows(
            [{"date": "2026-03-01", "kind": "宣传活动"}])
        ledgers.session(PROGRAM, "v01", writing=True).add_rows(
            [{"date": "2026-03-02", "kind": "宣传活动"}])
        assert len(village.ledgers.session(PROGRAM).rows()) == before + 2
        home = village.me.home
        refuse(home, lambda: ledgers.session(PROGRAM, "v02", writing=True).add_rows(
            [{"date": "2026-03-01"}]), "writes only its own ledgers")
        refuse(home, lambda: village.programs.add(SOURCE, "s.toml"), "only the township")
        refuse(home, lambda: village.roster.add_office("v09", "新村"), "only the township")
        refuse(home, lambda: village.sheets.set_target(PROGRAM, "v01", "drills", "9"),
               "only the township")
        refuse(home, lambda: village.sheets.import_csv(
            PROGRAM, "targets", EXAMPLE / "safety-2026" / "targets.csv"), "only the township")
        refuse(home, lambda: village.ranking.sheet(PROGRAM, "Q1"), "v02")


def test_the_township_corrects_a_village_ledger(loaded: Office) -> None:
    row = loaded.ledgers.session(PROGRAM, "v03").rows()[0]
    loaded.ledgers.session(PROGRAM, "v03", writing=True).set_cells(row.id, {"participants": "101"})
    [edit] = [e for e in loaded.history.edits(village="v03") if e["column"] == "participants"
              and e["op"] == "set"]
    assert (edit["office"], edit["old"], edit["new"]) == ("qs", row.cells.get("participants"), 101)


# -- ranking and the measures cache ---------------------------------------------------------


def test_the_worked_example_ranks_as_expected(loaded: Office) -> None:
    for period in ("Q1", "year"):
        expected = json.loads((EXAMPLE / "safety-2026" / f"expected-{period}.json").read_text())
        assert loaded.ranking.sheet(PROGRAM, period).to_json_dict() == expected


def test_an_unknown_period_is_refused(loaded: Office) -> None:
    refuse(loaded.me.home, lambda: loaded.ranking.sheet(PROGRAM, "Q7"), "no period Q7",
           "Q1, Q2, Q3, year")


def count_loads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    loads: list[str] = []
    original = Replicas._load

    def spy(self: Replicas, doc_id: str) -> object:
        loads.append(doc_id)
        return original(self, doc_id)

    monkeypatch.setattr(Replicas, "_load", spy)
    return loads


def test_unchanged_villages_are_not_opened_to_rank(
    loaded: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = loaded.me.home
    loaded.close()
    loads = count_loads(monkeypatch)
    with Office.open(home) as office:
        villages = [village_doc_id(office, v) for v in ("v01", "v02", "v03", "v04")]
        first = office.ranking.sheet(PROGRAM, "Q1").to_json_dict()
        assert sorted(d for d in loads if d in villages) == sorted(villages)
        assert not any(office.store.is_open(d) for d in villages)  # closed after measuring
        loads.clear()
        office.ranking.sheet(PROGRAM, "year")
        assert office.ranking.sheet(PROGRAM, "Q1").to_json_dict() == first
        assert [d for d in loads if d in villages] == []
        office.ledgers.session(PROGRAM, "v02", writing=True).add_rows(
            [{"date": "2026-02-02", "kind": "宣传活动"}])
        office.ledgers.release("v02")
        loads.clear()
        again = office.ranking.sheet(PROGRAM, "Q1")
        assert [d for d in loads if d in villages] == [village_doc_id(office, "v02")]
        assert again.to_json_dict() != first  # v02 has one more publicity row in Q1


def test_a_changed_program_is_measured_again(loaded: Office, monkeypatch: pytest.MonkeyPatch
                                             ) -> None:
    for village in ("v01", "v02", "v03", "v04"):
        loaded.ledgers.release(village)
    loaded.ranking.sheet(PROGRAM, "Q1")
    loads = count_loads(monkeypatch)
    loaded.ranking.sheet(PROGRAM, "Q1")
    assert loads == []
    loaded.programs.add(SOURCE.replace("2026年安全生产目标考核", "改名", 1), "s.toml")
    loaded.ranking.sheet(PROGRAM, "Q1")
    assert len([d for d in loads if d != township_doc_id(loaded)]) == 4


# -- history and conflicts ---------------------------------------------------------------------


def exchange(a: Office, b: Office) -> None:
    """Carry every change both ways, as a sync would."""
    for document in set(a.store.document_ids()) & set(b.store.document_ids()):
        b.store.apply_batch(document, a.store.changes_since(document, []))
        a.store.apply_batch(document, b.store.changes_since(document, []))


def test_a_conflict_is_listed_and_settled(loaded: Office, tmp_path: Path) -> None:
    row = loaded.ledgers.session(PROGRAM, "v01").rows()[0]
    with create_village_home(tmp_path / "v01", loaded, "v01") as village:
        village.ledgers.session(PROGRAM, None).set_cells(row.id, {"participants": "61"})
        loaded.ledgers.session(PROGRAM, "v01").set_cells(row.id, {"participants": "62"})
        exchange(loaded, village)
        [conflict] = loaded.history.conflicts()
        assert conflict.cell == (PROGRAM, "v01", row.id, "participants")
        assert sorted(v.value for v in conflict.values) == [61, 62]
        assert loaded.history.conflicted_cells(PROGRAM, "v01") == {conflict.cell}
        keep = next(v.edit for v in conflict.values if v.value == 61)
        loaded.history.resolve(conflict.id, keep=keep)
        assert loaded.history.conflicts() == []
        assert loaded.ledgers.session(PROGRAM, "v01").rows()[0].cells["participants"] == 61
        chain = loaded.history.blame(PROGRAM, "v01", row.id, "participants")
        assert [e.op for e in chain][:2] == ["resolve", "set"] and chain[1].new == 61
        with pytest.raises(Refusal, match="no open conflict"):
            loaded.history.resolve(conflict.id, value="70")


def test_opening_an_office_and_ranking_loads_no_asyncio_nor_sheet_file_readers(
    loaded: Office,
) -> None:
    """asyncio (with ssl, sockets and logging) is for syncing, the sheet file readers for
    importing sheets: an office that only opens and ranks does without them, all of it
    start-up time before the first village is measured."""
    import subprocess
    import sys

    home = loaded.store.home
    loaded.close()
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from vledger.sync.services.office import Office\n"
        "with Office.open(Path(sys.argv[1])) as office:\n"
        f"    office.ranking.sheet({PROGRAM!r}, 'year')\n"
        "print(' '.join(sorted(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(home)], capture_output=True,
                         text=True, check=True, timeout=120).stdout.split()
    assert "vledger.sync.services.ranking" in out
    assert "asyncio" not in out
    assert not {"vledger.sync.services.sheet_files", "vledger.sync.services.tabular"} & set(out)
