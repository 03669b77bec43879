"""The sync acts the command line runs on a home it does not hold open (home_sync.py) are the
very functions the UI's sync screen calls over its open office: they say the same, refuse
the same, and leave the home closed."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.example_data import EXAMPLES
from vledger.errors import Unreachable
from vledger.sync.services import home_sync
from vledger.sync.services.homes import init_township
from vledger.sync.services.office import Office, Refusal


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "t"
    with init_township(path, "示例乡", "t1", year=2026, user="clerk") as office:
        office.roster.add_office("v01", "东坪村", "北片")
        office.programs.add((EXAMPLES / "safety-2026.toml").read_text(encoding="utf-8"),
                            "safety-2026.toml")
    yield path


def test_status_is_the_same_from_the_home_and_from_the_open_office(home: Path) -> None:
    with Office.open(home) as office:
        seen = office.sync.status()
        assert [p.peer for p in office.sync.peers()] == [p["peer"] for p in seen["peers"]]
    assert home_sync.status(home) == seen
    assert {d["id"] for d in seen["documents"]} == {"t1/t1/2026", "t1/v01/2026"}
    assert seen["peers"] == [] and seen["refused"] == []


def test_a_bad_bundle_is_refused_alike_from_the_home_and_from_the_office(
    home: Path, tmp_path: Path
) -> None:
    stick, bad = tmp_path / "stick.vlb", tmp_path / "bad.vlb"
    summary = home_sync.export_bundle(home, stick)
    assert summary.documents == 2 and Office.exists(home)
    bad.write_bytes(stick.read_bytes()[:-20])
    with pytest.raises(Refusal) as from_home:
        home_sync.import_bundle(home, bad)
    with Office.open(home) as office:
        with pytest.raises(Refusal) as from_office:
            office.sync.import_bundle(bad)
        assert office.sync.import_bundle(stick).changes == 0  # all of it is here already
    assert from_home.value.problems == from_office.value.problems
    assert "refused, nothing changed" in from_home.value.message
    assert home_sync.import_bundle(home, stick).changes == 0


def test_a_home_without_an_office_is_refused_and_not_made(tmp_path: Path) -> None:
    nobody = tmp_path / "nobody"
    with pytest.raises(Refusal, match="no vledger home here"):
        home_sync.status(nobody)
    assert not nobody.exists()
    with pytest.raises(Refusal, match="not HOST:PORT"):
        asyncio.run(home_sync.sync_once(nobody, "no port here:x"))


def test_a_peer_nobody_serves_is_unreachable_exit_3(home: Path) -> None:
    with pytest.raises(Unreachable) as gone:
        asyncio.run(home_sync.sync_once(home, "127.0.0.1:1", timeout=1))
    assert gone.value.exit_code == 3 and "127.0.0.1:1" in gone.value.message
    with Office.open(home):  # the link let go of the home
        pass
