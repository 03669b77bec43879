"""A ledger session (program + village): resolved once, then every edit is one document
transaction with no roster or program read; its refusals are those of a writer."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.example_data import EXAMPLES
from tests.sync.homes import create_township, create_village_home, village_doc_id
from vledger.sync.documents.township import TownshipDoc
from vledger.sync.services.office import Office, Refusal

PROGRAM = "safety-2026"
SOURCE = (EXAMPLES / "safety-2026.toml").read_text(encoding="utf-8")


@pytest.fixture
def township(tmp_path: Path) -> Iterator[Office]:
    office = create_township(tmp_path / "t", "青石乡", "qs", year=2026, user="李")
    with (EXAMPLES / "safety-2026" / "offices.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            office.roster.add_office(row["id"], row["name"], row["area"])
    office.programs.add(SOURCE, "safety-2026.toml")
    yield office
    office.close()


def count_reads(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How often the township document's roster and program texts are read."""
    counts = {"offices": 0, "program_source": 0, "program_ids": 0}

    def counting(name: str) -> None:
        original: Callable[..., object] = getattr(TownshipDoc, name)

        def spy(self: TownshipDoc, *args: object) -> object:
            counts[name] += 1
            return original(self, *args)

        monkeypatch.setattr(TownshipDoc, name, spy)

    for name in counts:
        counting(name)
    return counts


def test_a_session_reads_the_roster_and_the_program_once(
    township: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = count_reads(monkeypatch)
    ledger = township.ledgers.session(PROGRAM, "v01", writing=True)
    assert reads["offices"] >= 1 and reads["program_source"] >= 1  # resolving them
    for name in reads:
        reads[name] = 0
    [row] = ledger.add_rows([{"date": "2026-03-01", "kind": "宣传活动"}])
    for n in range(20):  # a clerk typing in the grid: one edit per cell
        ledger.set_cells(row, {"participants": str(n)})
        ledger.write_cells(row, {"note": f"第{n}次"})
    ledger.import_rows([{"date": "2026-03-02", "kind": "宣传活动"}])
    ledger.delete_row(row)
    ledger.restore_row(row)
    assert reads == {"offices": 0, "program_source": 0, "program_ids": 0}
    [stored] = [r for r in ledger.rows() if r.id == row]
    assert stored.cells["participants"] == 19 and stored.cells["note"] == "第19次"


def test_the_old_way_read_them_on_every_edit(
    township: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a session saves: a session per edit (as the facade did) reads both each time."""
    [row] = township.ledgers.session(PROGRAM, "v01", writing=True).add_rows(
        [{"date": "2026-03-01", "kind": "宣传活动"}])
    reads = count_reads(monkeypatch)
    for n in range(5):
        township.ledgers.session(PROGRAM, "v01", writing=True).set_cells(
            row, {"participants": str(n)})
    assert reads["offices"] >= 5 and reads["program_source"] >= 5


def test_refusals_come_at_once_in_the_order_a_writer_meets_them(
    township: Office, tmp_path: Path
) -> None:
    ledgers = township.ledgers
    with pytest.raises(Refusal, match="no program nope"):
        ledgers.session("nope", "v01")
    with pytest.raises(Refusal, match="name a village"):
        ledgers.session(PROGRAM)
    with pytest.raises(Refusal, match="no village v42"):
        ledgers.session(PROGRAM, "v42", writing=True)
    with create_village_home(tmp_path / "v01", township, "v01") as village:
        with pytest.raises(Refusal, match="writes only its own ledgers"):
            village.ledgers.session(PROGRAM, "v02", writing=True)
        with pytest.raises(Refusal, match="holds no ledgers of v02"):
            village.ledgers.session(PROGRAM, "v02")
        own = village.ledgers.session(PROGRAM)
        assert (own.program.id, own.village) == (PROGRAM, "v01")


def test_a_read_session_refuses_writes_as_a_writer_would(
    township: Office, tmp_path: Path
) -> None:
    with create_village_home(tmp_path / "v01", township, "v01") as village:
        document = village_doc_id(township, "v02")  # v02's ledger carried here by hand
        village.store.apply_batch(document, township.store.changes_since(document, []))
        ledger = village.ledgers.session(PROGRAM, "v02")
        assert ledger.rows() == []
        with pytest.raises(Refusal, match="writes only its own ledgers, not v02's"):
            ledger.add_rows([{"date": "2026-03-01", "kind": "宣传活动"}])
        with pytest.raises(Refusal, match="writes only its own ledgers, not v02's"):
            ledger.delete_row("nosuchrw")


def test_a_session_outlives_its_document_being_released(township: Office) -> None:
    """Ranking closes the village documents it opened; the grid's session carries on."""
    ledger = township.ledgers.session(PROGRAM, "v03", writing=True)
    [row] = ledger.add_rows([{"date": "2026-03-01", "kind": "宣传活动"}])
    township.ledgers.release("v03")
    assert not township.store.is_open(village_doc_id(township, "v03"))
    ledger.set_cells(row, {"participants": "8"})
    found = ledger.row(row)
    assert found is not None and found.cells["participants"] == 8


def test_a_ledger_file_imports_whole_or_not_at_all(township: Office, tmp_path: Path) -> None:
    ledger = township.ledgers.session(PROGRAM, "v02", writing=True)
    good = tmp_path / "good.csv"
    good.write_text("date,kind,participants\n2026-03-01,宣传活动,12\n2026-03-02,例会,3\n",
                    encoding="utf-8")
    assert ledger.import_file(good, shown_as="good.csv").count == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("date,kind\n2026-03-01,宣传活动\nsomeday,例会\n", encoding="utf-8")
    with pytest.raises(Refusal) as refused:
        ledger.import_file(bad, shown_as="bad.csv")
    assert all(str(p).startswith("bad.csv:3:") for p in refused.value.problems)
    assert len(ledger.rows()) == 2


def test_a_file_is_checked_without_writing_with_every_problem_note_and_warning(
    township: Office, tmp_path: Path
) -> None:
    """What the ledger screen will show before the clerk confirms an import."""
    ledger = township.ledgers.session(PROGRAM, "v04", writing=True)
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("日期,类别\n2026-03-01,宣传\n2027-01-02,例会\n".encode("gbk"))
    found = ledger.check_file(gbk, shown_as="gbk.csv")
    assert found.ok and found.count == 2 and ledger.rows() == []
    assert [n.text("en") for n in found.notes] == [
        'gbk.csv: not UTF-8, so read as GBK (GB18030), as Chinese Excel saves a plain "CSV"']
    assert [w.text("en") for w in found.warnings] == [
        "gbk.csv:3:日期: 日期 2027-01-02 is outside the program's year 2026: the row counts "
        "in no period"]
    bad = tmp_path / "bad.csv"
    bad.write_text("date,kind\nsomeday,例会\n2026-03-01,nothing\n", encoding="utf-8")
    checked = ledger.check_file(bad, shown_as="bad.csv")
    assert not checked.ok and checked.count == 0
    assert [str(p).split(": ", 1)[0] for p in checked.problems] == ["bad.csv:2:date",
                                                                     "bad.csv:3:kind"]
    missing = ledger.check_file(tmp_path / "none.csv", shown_as="none.csv")
    assert [str(p) for p in missing.problems] == ["none.csv: no such file"]
    assert ledger.rows() == []
    done = ledger.import_file(gbk, shown_as="gbk.csv")
    assert done.count == 2 and len(ledger.rows()) == 2
