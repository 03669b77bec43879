"""The signed roster: entries verify only against the pinned township key."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import msgpack
import pytest

from tests.sync.homes import who
from tests.sync.identity_world import World, make_world
from vledger.sync.services.homes import join
from vledger.sync.services.permissions import Refusal
from vledger.sync.trust.keys import SigningKey, load_device_key
from vledger.sync.trust.roster import (
    RosterEntry,
    RosterError,
    current_roster,
    newest,
    open_entry,
    put_entry,
    sign_entry,
    verify_entries,
    with_device,
)

TOWNSHIP_KEY = SigningKey.generate()
DEVICE = SigningKey.generate()


def entry(office: str = "v01", seq: int = 1) -> RosterEntry:
    return with_device(RosterEntry("t1", office, "village", seq), DEVICE.public)


def test_an_entry_round_trips_and_verifies() -> None:
    blob = sign_entry(entry(), TOWNSHIP_KEY)
    opened = open_entry(blob, "t1", TOWNSHIP_KEY.public, "v01")
    assert opened.devices == {DEVICE.id: DEVICE.public} and opened.kind == "village"


@pytest.mark.parametrize("at", [5, 40, -3])
def test_a_flipped_byte_anywhere_is_refused(at: int) -> None:
    blob = bytearray(sign_entry(entry(), TOWNSHIP_KEY))
    blob[at] ^= 0x20
    with pytest.raises(RosterError):
        open_entry(bytes(blob), "t1", TOWNSHIP_KEY.public, "v01")


def test_an_entry_with_an_added_device_but_the_old_signature_is_refused() -> None:
    outer = msgpack.unpackb(sign_entry(entry(), TOWNSHIP_KEY))
    forged = with_device(entry(), SigningKey.generate().public)
    outer["entry"] = msgpack.packb(forged.to_plain(), use_bin_type=True)
    with pytest.raises(RosterError, match="fails the township's signature"):
        open_entry(msgpack.packb(outer), "t1", TOWNSHIP_KEY.public, "v01")


def test_an_entry_signed_by_another_key_is_refused() -> None:
    blob = sign_entry(entry(), SigningKey.generate())
    with pytest.raises(RosterError, match="fails the township's signature"):
        open_entry(blob, "t1", TOWNSHIP_KEY.public, "v01")


def test_an_entry_of_another_township_or_office_is_refused() -> None:
    blob = sign_entry(entry(), TOWNSHIP_KEY)
    with pytest.raises(RosterError, match="names township t1"):
        open_entry(blob, "t2", TOWNSHIP_KEY.public, "v01")
    with pytest.raises(RosterError, match="stored for v02 names office v01"):
        open_entry(blob, "t1", TOWNSHIP_KEY.public, "v02")


def test_a_device_listed_under_a_wrong_id_is_refused() -> None:
    bad = replace(entry(), devices={"0000000000000000": DEVICE.public})
    with pytest.raises(RosterError, match="wrong key"):
        open_entry(sign_entry(bad, TOWNSHIP_KEY), "t1", TOWNSHIP_KEY.public, "v01")


def test_verify_entries_keeps_the_good_and_names_the_bad() -> None:
    blobs = {"v01": sign_entry(entry("v01"), TOWNSHIP_KEY),
             "v02": sign_entry(entry("v02"), SigningKey.generate())}
    roster = verify_entries(blobs, "t1", TOWNSHIP_KEY.public)
    assert list(roster.entries) == ["v01"]
    assert roster.problems == ["roster entry of v02 fails the township's signature"]
    assert roster.device(DEVICE.id) is not None and roster.device(DEVICE.id).office == "v01"


def test_an_older_entry_does_not_replace_a_newer_one() -> None:
    held = verify_entries({"v01": sign_entry(entry(seq=3), TOWNSHIP_KEY)}, "t1",
                          TOWNSHIP_KEY.public)
    old = verify_entries({"v01": sign_entry(entry(seq=2), TOWNSHIP_KEY)}, "t1",
                         TOWNSHIP_KEY.public)
    merged, problems = newest(held, old)
    assert merged.entries["v01"].seq == 3
    assert problems == ["roster entry of v01 goes back from seq 3 to 2"]


def test_a_revoked_device_is_never_enrolled_again() -> None:
    from vledger.sync.trust.roster import without_device

    gone = without_device(entry(), DEVICE.id, {})
    with pytest.raises(RosterError, match="never enrolled again"):
        with_device(gone, DEVICE.public)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    made = make_world(tmp_path)
    yield made
    made.close()


def test_the_roster_every_home_holds_is_the_same_and_verified(world: World) -> None:
    township = current_roster(world.township.store)
    devices = {d.id: d.office for d in township.devices()}
    assert devices == {load_device_key(world.township.me.home).id: "t1",
                       load_device_key(world.v01.me.home).id: "v01",
                       load_device_key(world.v02.me.home).id: "v02"}
    assert township.kind_of("t1") == "township" and township.problems == []


def test_a_stray_key_cannot_sign_the_roster(world: World) -> None:
    with pytest.raises(RosterError, match="only the township key pinned"):
        put_entry(world.township.store, SigningKey.generate(), who(world.township), entry())


def test_villages_cannot_sign_invite_enroll_or_revoke(world: World, tmp_path: Path) -> None:
    for action in (
        lambda: world.v01.devices.invite("v02", tmp_path / "x.invite"),
        lambda: world.v01.devices.enroll(tmp_path / "v01.invite.reply"),
        lambda: world.v01.devices.revoke(load_device_key(world.v02.me.home).id),
        lambda: world.v01.devices.found_identity(),
    ):
        with pytest.raises(Refusal, match="only the township office"):
            action()
    assert not (tmp_path / "x.invite").exists()


def test_revoking_records_the_frontier_and_refuses_twice(world: World) -> None:
    device = load_device_key(world.v01.me.home).id
    record = world.township.devices.revoke(device[:6])
    assert record.id == device and record.state == "revoked"
    gone = current_roster(world.township.store).device(device)
    assert gone is not None and gone.revoked is not None
    with pytest.raises(Refusal, match="already revoked"):
        world.township.devices.revoke(device)
    with pytest.raises(Refusal, match="this home's own device"):
        world.township.devices.revoke(load_device_key(world.township.me.home).id)
    with pytest.raises(Refusal, match="no device"):
        world.township.devices.revoke("ffffffffffffffff")


def test_join_on_a_second_device_after_a_reinvite(world: World, tmp_path: Path) -> None:
    path = world.township.devices.invite("v01", tmp_path / "again.invite")
    laptop, reply = join(tmp_path / "laptop", path)
    try:
        world.township.devices.enroll(reply)
        entry_now = current_roster(world.township.store).entries["v01"]
        assert set(entry_now.devices) == {load_device_key(world.v01.me.home).id,
                                          load_device_key(laptop.me.home).id}
        assert entry_now.seq == 3  # made at invite, one device, then the second
    finally:
        laptop.close()
