"""Bundles: round trips, `--for` an office, and files refused whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.sync.test_protocol import (
    add_rows,
    open_home,
    people,
    same_everything,
    sync,
    township_home,
    village_doc,
)
from vledger.sync.documents.replicas import Replicas
from vledger.sync.link.bundle import MAGIC, BundleRefused, export_bundle, import_bundle


@pytest.fixture
def town(tmp_path: Path) -> Replicas:
    store = township_home(tmp_path / "town")
    yield store  # type: ignore[misc]
    store.close()


@pytest.fixture
def v01(tmp_path: Path) -> Replicas:
    store = open_home(tmp_path / "v01", "v01")
    yield store  # type: ignore[misc]
    store.close()


def stored(store: Replicas) -> dict[str, list[bytes]]:
    return {d: store.heads(d) for d in store.document_ids()}


def test_everything_round_trips_and_twice_is_a_no_op(
    tmp_path: Path, town: Replicas, v01: Replicas
) -> None:
    stick = tmp_path / "all.vlb"
    every = sum(len(town.changes_since(d, [])) for d in town.document_ids())
    written = export_bundle(town, stick)
    assert written.documents == 3 and written.changes == every
    first = import_bundle(v01, stick)
    assert first.changes == every and first.refused == () and same_everything(v01, town)
    again = import_bundle(v01, stick)
    assert again.changes == 0 and same_everything(v01, town)


async def test_a_bundle_for_an_office_holds_only_what_it_has_not_confirmed(
    tmp_path: Path, town: Replicas, v01: Replicas
) -> None:
    await sync(v01, town)
    add_rows(town, "v02", 2)
    full, small = tmp_path / "full.vlb", tmp_path / "small.vlb"
    export_bundle(town, full)
    written = export_bundle(town, small, "v01")
    assert written.changes == 1
    assert small.stat().st_size < full.stat().st_size / 2
    assert import_bundle(v01, small).changes == 1
    assert same_everything(v01, town) and len(people(v01, village_doc("v02"))) == 5


async def test_a_bundle_building_on_changes_this_home_lacks_is_refused_whole(
    tmp_path: Path, town: Replicas, v01: Replicas
) -> None:
    await sync(v01, town)
    add_rows(town, "v02", 1)
    add_rows(town, "v01", 1)
    stick = tmp_path / "for-v01.vlb"
    export_bundle(town, stick, "v01")
    fresh = open_home(tmp_path / "fresh", "v03")  # never synced: lacks what the bundle builds on
    try:
        with pytest.raises(BundleRefused, match="does not hold"):
            import_bundle(fresh, stick)
        assert fresh.document_ids() == []
    finally:
        fresh.close()


@pytest.mark.parametrize("cut", [1, 10, 100, -1, -40, -300])
def test_a_truncated_bundle_is_refused_and_changes_nothing(
    tmp_path: Path, town: Replicas, v01: Replicas, cut: int
) -> None:
    stick = tmp_path / "b.vlb"
    export_bundle(town, stick)
    data = stick.read_bytes()
    stick.write_bytes(data[:cut])
    with pytest.raises(BundleRefused):
        import_bundle(v01, stick)
    assert v01.document_ids() == []


def test_a_garbled_bundle_is_refused(tmp_path: Path, town: Replicas, v01: Replicas) -> None:
    stick = tmp_path / "b.vlb"
    export_bundle(town, stick)
    data = bytearray(stick.read_bytes())
    for at in (len(MAGIC) + 30, len(data) // 2, len(data) - 50):
        flipped = bytearray(data)
        flipped[at] ^= 0x5A
        stick.write_bytes(bytes(flipped))
        with pytest.raises(BundleRefused):
            import_bundle(v01, stick)
    stick.write_bytes(b"PK\x03\x04 a zip file, not a bundle")
    with pytest.raises(BundleRefused, match="not a vledger bundle"):
        import_bundle(v01, stick)
    assert v01.document_ids() == []


def test_a_bundle_of_another_township_is_refused(tmp_path: Path, v01: Replicas) -> None:
    other = township_home(tmp_path / "other", township="t9")
    stick = tmp_path / "t9.vlb"
    try:
        export_bundle(other, stick)
    finally:
        other.close()
    with pytest.raises(BundleRefused, match="township t9"):
        import_bundle(v01, stick)
    assert v01.document_ids() == []


@pytest.mark.skipif(not hasattr(__import__("os"), "fchmod"), reason="POSIX file modes")
def test_a_bundle_is_written_readable_by_its_owner_only(
    tmp_path: Path, town: Replicas
) -> None:
    """A bundle holds every ledger the office may send: 0600, as invitations are, also
    over a half-written file an earlier try left with a looser mode."""
    import os
    import stat

    stick = tmp_path / "all.vlb"
    export_bundle(town, stick)
    assert stat.S_IMODE(stick.stat().st_mode) == 0o600
    leftover = tmp_path / "again.vlb.part"
    leftover.write_bytes(b"x")
    os.chmod(leftover, 0o644)
    export_bundle(town, tmp_path / "again.vlb")
    assert stat.S_IMODE((tmp_path / "again.vlb").stat().st_mode) == 0o600
