"""`vledger history`, `blame`, `conflicts`, `resolve` end to end.

A conflict is made the way it happens in the field: the township and village v01 each
hold a replica of v01's document, both edit the same cell before they hear from each
other, and then exchange changes (Store.changes_since + Store.apply_batch in-process,
standing in for `vledger sync`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.example_data import EXAMPLE_PROGRAM
from tests.sync.homes import create_township, create_village_home, village_doc_id
from vledger.domain.history import parse_moment
from vledger.sync.services.office import Office

PROGRAM_FILE = EXAMPLE_PROGRAM
P = "safety-2026"
EDIT_FIELDS = {"id", "at", "office", "device", "op", "program", "village", "row", "column",
               "old", "new", "concurrent_with"}


def make_homes(tmp_path: Path) -> tuple[Path, Path]:
    """Township t1 with villages v01, v02 and the program; and v01's own home."""
    township, village = tmp_path / "t1", tmp_path / "v01"
    with create_township(township, "青石乡", "t1", year=2026, user="clerk") as office:
        office.roster.add_office("v01", "东坪村")
        office.roster.add_office("v02", "柳津村")
        office.programs.add(PROGRAM_FILE.read_text(encoding="utf-8"), "safety-2026.toml")
        create_village_home(village, office, "v01", user="clerk").close()
    return township, village


def exchange(a: Path, b: Path) -> None:
    """Both homes end up with every change of v01's document (what `vledger sync` does)."""
    with Office.open(a) as one, Office.open(b) as other:
        document = village_doc_id(one, "v01")
        one.store.apply_batch(document, other.store.changes_since(document, []), "peer")
        other.store.apply_batch(document, one.store.changes_since(document, []), "peer")


def device(home: Path) -> str:
    with Office.open(home) as office:
        return office.me.device


def ok(run_vledger: Any, *args: Any, home: Path) -> str:
    code, out, err = run_vledger(*args, home=home)
    assert code == 0, (args, err)
    return out


def as_json(run_vledger: Any, *args: Any, home: Path) -> Any:
    return json.loads(ok(run_vledger, *args, "--json", home=home))


@pytest.fixture
def homes(tmp_path: Path) -> tuple[Path, Path]:
    return make_homes(tmp_path)


def test_history_lists_edits_newest_first_with_every_field(
    run_vledger: Any, homes: tuple[Path, Path]
) -> None:
    _, village = homes
    row = ok(run_vledger, "ledger", "add", P, "date=2026-01-05", "kind=例会", "已参会=是",
             home=village).strip()
    ok(run_vledger, "ledger", "set", P, row, "note=补记", home=village)
    ok(run_vledger, "ledger", "set", P, row, "note=补记二", home=village)
    ok(run_vledger, "ledger", "delete", P, row, home=village)
    everything = as_json(run_vledger, "history", home=village)["edits"]
    # The township document's journal (roster, program) is part of the history too.
    assert {e["op"] for e in everything} >= {"office", "program", "add", "set", "delete"}
    edits = as_json(run_vledger, "history", "--village", "v01", "--program", P,
                    home=village)["edits"]
    assert edits == [e for e in everything if e["village"] == "v01" and e["program"] == P]
    assert all(EDIT_FIELDS <= set(e) for e in edits)
    assert [(e["op"], e["column"], e["old"], e["new"]) for e in edits[:3]] == [
        ("delete", "deleted", False, True),
        ("set", "note", "补记", "补记二"),
        ("set", "note", None, "补记"),
    ]
    adds = edits[3:]
    assert sorted((e["column"], e["new"]) for e in adds) == [
        ("attended", True), ("date", "2026-01-05"), ("kind", "例会"),
    ]
    assert all(e["op"] == "add" and e["old"] is None for e in adds)
    mine = device(village)
    for edit in edits:
        assert (edit["office"], edit["device"], edit["program"], edit["village"], edit["row"]) \
            == ("v01", mine, P, "v01", row)
        assert edit["concurrent_with"] == []
        assert parse_moment(edit["at"]).utcoffset() is not None
    instants = [parse_moment(e["at"]) for e in edits]
    assert instants == sorted(instants, reverse=True)
    # The note's second edit follows its first.
    assert edits[1]["prev"] == edits[2]["id"]

    text = ok(run_vledger, "history", "--village", "v01", "--program", P,
              home=village).splitlines()
    assert len(text) == 2 + len(edits)
    assert edits[1]["id"] in text[3] and "补记 → 补记二" in text[3]


def test_history_filters(run_vledger: Any, homes: tuple[Path, Path]) -> None:
    township, _ = homes
    for village in ("v01", "v02"):
        ok(run_vledger, "ledger", "add", P, "--village", village, "date=2026-01-05",
           "kind=例会", home=township)
    everything = as_json(run_vledger, "history", home=township)["edits"]
    v02 = as_json(run_vledger, "history", "--village", "v02", home=township)["edits"]
    assert {e["village"] for e in everything} >= {"v01", "v02"}
    assert v02 and {e["village"] for e in v02} == {"v02"}
    assert v02 == [e for e in everything if e["village"] == "v02"]
    by_office = as_json(run_vledger, "history", "--office", "t1", "--program", P,
                        home=township)["edits"]
    assert by_office and all(e["office"] == "t1" and e["program"] == P for e in by_office)
    assert as_json(run_vledger, "history", "--office", "v01", home=township)["edits"] == []
    for args in (("--office", "v99"), ("--village", "v99"), ("--program", "nope")):
        code, out, err = run_vledger("history", *args, home=township)
        assert code == 1 and out == "" and len(err.splitlines()) == 1, args


def test_a_concurrent_edit_is_a_conflict_until_resolved_with_keep(
    run_vledger: Any, homes: tuple[Path, Path]
) -> None:
    township, village = homes
    row = ok(run_vledger, "ledger", "add", P, "date=2026-03-20", "kind=例会", home=village)
    row = row.strip()
    exchange(township, village)
    assert as_json(run_vledger, "conflicts", home=township) == {"conflicts": []}

    ok(run_vledger, "ledger", "set", P, row, "kind=应急演练", home=village)
    ok(run_vledger, "ledger", "set", P, row, "--village", "v01", "类别=隐患排查", home=township)
    exchange(township, village)

    listing = as_json(run_vledger, "conflicts", home=township)
    assert listing == as_json(run_vledger, "conflicts", home=village)  # same on both replicas
    (conflict,) = listing["conflicts"]
    assert {k: conflict[k] for k in ("program", "village", "row", "column")} == {
        "program": P, "village": "v01", "row": row, "column": "kind"}
    assert sorted((v["office"], v["value"]) for v in conflict["values"]) == [
        ("t1", "隐患排查"), ("v01", "应急演练")]
    assert conflict["shown"] in ("隐患排查", "应急演练")
    assert set(conflict["values"][0]) == {"edit", "office", "user", "at", "value"}
    ids = {v["office"]: v["edit"] for v in conflict["values"]}

    edits = {e["id"]: e for e in as_json(run_vledger, "history", home=township)["edits"]}
    assert edits[ids["t1"]]["concurrent_with"] == [ids["v01"]]
    assert edits[ids["v01"]]["concurrent_with"] == [ids["t1"]]
    assert "⚡ concurrent with " + ids["v01"] in ok(run_vledger, "history", home=township)
    assert conflict["id"] in ok(run_vledger, "conflicts", home=township)

    # Blame before settling: the shown value's edit, then the add.
    blame = as_json(run_vledger, "blame", P, row, "kind", "--village", "v01", home=township)
    assert blame["value"] == conflict["shown"]
    assert [(e["op"], e["new"]) for e in blame["edits"]] == [
        ("set", conflict["shown"]), ("add", "例会")]

    ok(run_vledger, "resolve", conflict["id"], "--keep", ids["v01"], home=township)
    assert as_json(run_vledger, "conflicts", home=township) == {"conflicts": []}
    rows = as_json(run_vledger, "ledger", "list", P, "--village", "v01", home=township)["rows"]
    assert rows[0]["cells"]["kind"] == "应急演练"

    settled = as_json(run_vledger, "history", home=township)["edits"][0]
    assert settled["op"] == "resolve" and settled["office"] == "t1"
    assert settled["new"] == "应急演练" and sorted(settled["settles"]) == sorted(ids.values())
    blame = as_json(run_vledger, "blame", P, row, "类别", "--village", "v01", home=township)
    assert [(e["op"], e["office"], e["new"]) for e in blame["edits"]] == [
        ("resolve", "t1", "应急演练"), ("set", "v01", "应急演练"), ("add", "v01", "例会")]

    exchange(township, village)
    assert as_json(run_vledger, "conflicts", home=village) == {"conflicts": []}
    code, _, err = run_vledger("resolve", conflict["id"], "--keep", ids["v01"], home=village)
    assert code == 1 and "no open conflict" in err


def test_resolve_with_a_typed_value_and_refusals(
    run_vledger: Any, homes: tuple[Path, Path]
) -> None:
    township, village = homes
    row = ok(run_vledger, "ledger", "add", P, "date=2026-02-01", "kind=宣传活动",
             "participants=30", home=village).strip()
    exchange(township, village)
    ok(run_vledger, "ledger", "set", P, row, "participants=35", home=village)
    ok(run_vledger, "ledger", "set", P, row, "--village", "v01", "participants=38",
       home=township)
    exchange(township, village)
    (conflict,) = as_json(run_vledger, "conflicts", home=village)["conflicts"]

    with Office.open(village) as office:
        heads = office.store.heads(village_doc_id(office, "v01"))
    for args in (
        (conflict["id"], "--value", "many"),  # not a whole number
        (conflict["id"], "--value", "-3"),  # participants has min = 0
        (conflict["id"], "--keep", "nosuchedit"),
        ("cnosuchconf", "--value", "3"),
    ):
        code, out, err = run_vledger("resolve", *args, home=village)
        assert code == 1 and out == "" and "Traceback" not in err, args
        assert len(err.splitlines()) == 1, (args, err)
    code, _, err = run_vledger("resolve", conflict["id"], home=village)
    assert code == 2  # neither --value nor --keep: wrong usage
    with Office.open(village) as office:
        assert office.store.heads(village_doc_id(office, "v01")) == heads

    ok(run_vledger, "resolve", conflict["id"], "--value", "４０", home=village)
    cells = as_json(run_vledger, "ledger", "list", P, home=village)["rows"][0]["cells"]
    assert cells["participants"] == 40
    exchange(township, village)
    assert as_json(run_vledger, "conflicts", home=township) == {"conflicts": []}
    blame = as_json(run_vledger, "blame", P, row, "participants", "--village", "v01",
                    home=township)
    assert blame["value"] == 40
    assert (blame["edits"][0]["op"], blame["edits"][0]["new"]) == ("resolve", 40)
    assert blame["edits"][-1]["op"] == "add" and blame["edits"][-1]["new"] == 30


def test_blame_refuses_unknown_rows_and_columns(
    run_vledger: Any, homes: tuple[Path, Path]
) -> None:
    _, village = homes
    row = ok(run_vledger, "ledger", "add", P, "date=2026-02-01", "kind=例会",
             home=village).strip()
    for args in ((P, "nosuchrow", "kind"), (P, row, "colour"), ("nope", row, "kind")):
        code, out, err = run_vledger("blame", *args, home=village)
        assert code == 1 and out == "" and len(err.splitlines()) == 1, (args, err)
    ok(run_vledger, "ledger", "delete", P, row, home=village)
    flag = as_json(run_vledger, "blame", P, row, "deleted", home=village)
    assert flag["value"] is True and [e["op"] for e in flag["edits"]] == ["delete"]
    text = ok(run_vledger, "blame", P, row, "类别", home=village, )
    assert text.splitlines()[0] == f"{P} v01 {row} 类别: 例会"
