"""Publishing a ranking through the services (sync/services/publications.py) on the worked
example: the frozen sheet, versions, a late edit that moves the live sheet and not the
published one, what moved and the late edits behind it, the sheet computed again from the
recorded heads, and the history's late marks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.example_data import EXAMPLES
from tests.sync.example_homes import PROGRAM, build_example, copy_home, late_fix
from tests.sync.homes import create_village_home
from vledger.sync.services.office import Office, Refusal

Q1 = json.loads((EXAMPLES / "safety-2026" / "expected-Q1.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("example") / "home"
    build_example(home)
    return home


@pytest.fixture
def office(template: Path, tmp_path: Path) -> Iterator[Office]:
    opened = Office.open(copy_home(template, tmp_path / "home"))
    yield opened
    opened.close()


def test_publishing_freezes_the_sheet_as_rank_json_prints_it(office: Office) -> None:
    made = office.publications.publish(PROGRAM, "Q1", "4月5日全镇大会通报")
    assert made.sheet == Q1 == office.ranking.sheet(PROGRAM, "Q1").to_json_dict()
    assert (made.version, made.office, made.note) == (1, "t1", "4月5日全镇大会通报")
    assert set(made.heads) == {"t1/t1/2026", *(f"t1/v0{n}/2026" for n in range(1, 5))}
    assert made.labels.villages["v03"] == "梯岩村" and made.labels.period == "第一阶段"
    assert office.publications.latest(PROGRAM, "Q1") == made
    [edit] = [e for e in office.history.edits(PROGRAM) if e["op"] == "publish"]
    assert edit["row"] == "publication" and edit["column"] == made.id


def test_publishing_again_adds_a_version_and_keeps_the_old_one(office: Office) -> None:
    first = office.publications.publish(PROGRAM, "Q1")
    late_fix(office)
    second = office.publications.publish(PROGRAM, "Q1", "更正")
    assert [p.version for p in office.publications.all(PROGRAM)] == [1, 2]
    assert office.publications.find(first.id).sheet == Q1  # the old one as it was
    assert office.publications.latest(PROGRAM, "Q1") == second != first
    assert second.sheet != Q1


def test_a_late_edit_moves_the_live_sheet_and_not_the_published_one(office: Office) -> None:
    made = office.publications.publish(PROGRAM, "Q1")
    late_fix(office)
    live = office.ranking.sheet(PROGRAM, "Q1").to_json_dict()
    assert live != Q1
    assert live["rows"][0]["village"] == "v04"  # last to first
    assert office.publications.latest(PROGRAM, "Q1").sheet == Q1 == made.sheet


def test_changes_name_the_moved_fields_and_the_late_edits(office: Office) -> None:
    ledger = office.ledgers.session(PROGRAM, "v01", writing=True)
    row = ledger.rows()[0]
    [before_publication] = ledger.set_cells(row.id, {"note": "核查过"})  # touches no number
    office.publications.publish(PROGRAM, "Q1")
    late = late_fix(office)
    later_q2 = office.ledgers.session(PROGRAM, "v01", writing=True).add_rows(
        [{"date": "2026-06-01", "kind": "宣传活动", "participants": "10"}])
    changes = office.publications.changes(PROGRAM, "Q1")
    plain = changes.to_json_dict()
    assert plain["program"] == PROGRAM and plain["period"] == "Q1"
    assert plain["published"]["by"] == "t1"
    moved = {(c["village"], c["field"]): (c["published"], c["now"]) for c in plain["changes"]}
    assert moved[("v04", "rank")] == (4, 1)
    assert moved[("v04", "total")][0] == "80.00"
    assert moved[("v04", "penalty")] == ("1000", "0")
    assert {f for _, f in moved} <= {"rank", "total", "reward", "penalty", "amount",
                                     "complete", "vetoed"}
    assert set(late) == set(plain["late_edits"])
    assert before_publication.id not in plain["late_edits"]
    assert later_q2  # a Q2 row is no late edit of Q1
    assert len(plain["late_edits"]) == 2


def test_recomputing_from_the_recorded_heads_gives_the_stored_sheet(office: Office) -> None:
    made = office.publications.publish(PROGRAM, "Q1")
    late_fix(office)  # the documents have moved on since
    office.ledgers.session(PROGRAM, "v02", writing=True).add_rows(
        [{"date": "2026-02-02", "kind": "宣传活动", "participants": "99"}])
    office.sheets.set_manual(PROGRAM, "v01", "records", "Q1", "1")
    again = office.publications.recompute(made, cached=False)
    assert again.to_json_dict() == made.sheet == Q1
    assert office.publications.recompute(made).to_json_dict() == Q1  # measures kept by heads
    assert office.ranking.sheet(PROGRAM, "Q1").to_json_dict() != Q1


def test_the_history_marks_late_edits_until_a_new_version_includes_them(
    office: Office,
) -> None:
    office.publications.publish(PROGRAM, "Q1")
    late = set(late_fix(office))
    edits = office.history.edits()
    assert {e["id"] for e in edits if e["late"]} == late
    assert all(e["late"] is False for e in edits if e["id"] not in late)
    office.publications.publish(PROGRAM, "Q1")
    assert not any(e["late"] for e in office.history.edits())


def test_only_the_township_publishes_and_a_bad_period_writes_nothing(
    office: Office, tmp_path: Path,
) -> None:
    heads = office.store.heads("t1/t1/2026")
    with pytest.raises(Refusal, match="no period Q9"):
        office.publications.publish(PROGRAM, "Q9")
    with pytest.raises(Refusal, match="has not been published"):
        office.publications.latest(PROGRAM, "Q1")
    assert office.store.heads("t1/t1/2026") == heads
    office.publications.publish(PROGRAM, "Q1")
    with create_village_home(tmp_path / "v01", office, "v01") as village:
        with pytest.raises(Refusal, match="only the township"):
            village.publications.publish(PROGRAM, "Q1")
        # The village document copy holds the publication: it reads it as published.
        assert village.publications.latest(PROGRAM, "Q1").sheet == Q1


def test_late_edits_are_kept_by_heads_and_no_document_is_opened_again(
    office: Office, monkeypatch: pytest.MonkeyPatch,
) -> None:
    office.publications.publish(PROGRAM, "Q1")
    late = sorted(late_fix(office))  # two edits in one millisecond have no order
    assert sorted(e.id for e in office.publications.changes(PROGRAM, "Q1").late) == late
    office.store.close_documents()
    opened: list[str] = []
    for name in ("document", "replica"):
        real = getattr(office.store, name)

        def record(doc: str, real: object = real) -> object:
            opened.append(doc)
            return real(doc)  # type: ignore[operator]

        monkeypatch.setattr(office.store, name, record)
    assert sorted(e.id for e in office.publications.changes(PROGRAM, "Q1").late) == late
    assert [d for d in opened if d != "t1/t1/2026"] == []
