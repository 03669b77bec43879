"""Invitations and enrollment: join offline from a file; the secret enrolls one device once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import msgpack
import pytest

from tests.sync.homes import who
from tests.sync.identity_world import doc_of, scribble
from vledger.sync.services.homes import init_township, join
from vledger.sync.services.office import Office
from vledger.sync.services.permissions import Refusal
from vledger.sync.trust.invitation import (
    InvitationError,
    accept_enrollment,
    make_reply,
    pending_enrollment,
    read_invitation,
)
from vledger.sync.trust.keys import SigningKey, load_device_key


@pytest.fixture
def township(tmp_path: Path) -> Iterator[Office]:
    office = init_township(tmp_path / "t", "青石乡", "t1", year=2026)
    office.roster.add_office("v01", "东村")
    office.roster.add_office("v02", "西村")
    yield office
    office.close()


def test_an_invitation_carries_what_a_village_needs(township: Office, tmp_path: Path) -> None:
    path = township.devices.invite("v01", tmp_path / "v01.invite", address="10.0.0.5:7420")
    found = read_invitation(path)
    assert (found.township, found.office, found.year) == ("t1", "v01", 2026)
    assert found.township_key.hex() == township.store.db.settings.get("township_key")
    assert found.address == "10.0.0.5:7420" and len(found.secret) == 32
    assert set(found.docs) == {doc_of("t1"), doc_of("v01")}  # never another village's ledger


def test_join_works_offline_at_once(township: Office, tmp_path: Path) -> None:
    path = township.devices.invite("v01", tmp_path / "v01.invite")
    village, reply = join(tmp_path / "v01", path, user="clerk")
    try:
        me = village.roster.whoami()
        assert (me.office, me.kind, me.township_name) == ("v01", "village", "青石乡")
        assert me.device == load_device_key(village.me.home).id
        assert [o.id for o in village.roster.offices()] == ["t1", "v01", "v02"]
        scribble(village, doc_of("v01"), "r1", "written offline")
        assert village.store.replica(doc_of("v01")).read(["ledgers", "r1"]) == "written offline"
        assert reply.exists() and pending_enrollment(village.store, me.device) is not None
    finally:
        village.close()


def test_the_reply_enrolls_once_and_again_is_harmless(township: Office, tmp_path: Path) -> None:
    path = township.devices.invite("v01", tmp_path / "v01.invite")
    village, reply = join(tmp_path / "v01", path)
    village.close()
    first = township.devices.enroll(reply)
    assert not first.already and first.office == "v01"
    assert township.devices.enroll(reply).already
    # Another device holding the same invitation cannot use the secret again.
    thief = make_reply(read_invitation(path), SigningKey.generate(), "thief")
    with pytest.raises(InvitationError, match="already used"):
        accept_enrollment(township.store, _tkey(township), who(township), thief)


def test_a_reply_without_the_secret_is_refused(township: Office, tmp_path: Path) -> None:
    path = township.devices.invite("v01", tmp_path / "v01.invite")
    invitation = read_invitation(path)
    guessed = make_reply(invitation.__class__(**{**invitation.__dict__, "secret": b"\x00" * 32}),
                         SigningKey.generate(), "guess")
    with pytest.raises(InvitationError, match="does not prove an invitation"):
        accept_enrollment(township.store, _tkey(township), who(township), guessed)
    # The secret was issued for v01: it does not enroll a device as v02.
    other = make_reply(invitation.__class__(**{**invitation.__dict__, "office": "v02"}),
                       SigningKey.generate(), "x")
    with pytest.raises(InvitationError, match="does not prove"):
        accept_enrollment(township.store, _tkey(township), who(township), other)


def test_a_reply_whose_body_was_changed_is_refused(township: Office, tmp_path: Path) -> None:
    path = township.devices.invite("v01", tmp_path / "v01.invite")
    reply = make_reply(read_invitation(path), SigningKey.generate(), "x")
    outer = msgpack.unpackb(reply)
    body = msgpack.unpackb(outer["body"])
    body["device_key"] = SigningKey.generate().public  # swap in another key
    outer["body"] = msgpack.packb(body, use_bin_type=True)
    import hashlib

    outer["sha256"] = hashlib.sha256(outer["body"]).digest()
    with pytest.raises(InvitationError, match="not signed by the device"):
        accept_enrollment(township.store, _tkey(township), who(township), msgpack.packb(outer))


def test_a_damaged_invitation_is_refused_and_the_home_stays_empty(
    township: Office, tmp_path: Path
) -> None:
    path = township.devices.invite("v01", tmp_path / "v01.invite")
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(Refusal, match=r"damaged|garbled"):
        join(tmp_path / "v01", path)
    assert not (tmp_path / "v01").exists()


def test_an_invitation_with_forged_documents_is_refused(township: Office, tmp_path: Path) -> None:
    path = township.devices.invite("v01", tmp_path / "v01.invite")
    # A forger builds its own invitation around a township key it made: the village
    # would pin that key, and its documents do not verify against it.
    fake = init_township(tmp_path / "fake", "假乡", "t1", year=2026)
    try:
        fake.roster.add_office("v01", "东村")
        forged = fake.devices.invite("v01", tmp_path / "forged.invite")
    finally:
        fake.close()
    invitation = read_invitation(forged)
    assert invitation.township_key != read_invitation(path).township_key
    # Splice the real township's documents into the forged file: refused whole.
    outer = msgpack.unpackb(forged.read_bytes())
    body = msgpack.unpackb(outer["body"])
    body["docs"] = msgpack.unpackb(msgpack.unpackb(path.read_bytes())["body"])["docs"]
    outer["body"] = msgpack.packb(body, use_bin_type=True)
    import hashlib

    outer["sha256"] = hashlib.sha256(outer["body"]).digest()
    spliced = tmp_path / "spliced.invite"
    spliced.write_bytes(msgpack.packb(outer, use_bin_type=True))
    with pytest.raises(Refusal, match="not signed by the township key"):
        join(tmp_path / "v01", spliced)
    assert not (tmp_path / "v01").exists()


def test_join_into_a_home_with_an_office_is_refused(township: Office, tmp_path: Path) -> None:
    path = township.devices.invite("v01", tmp_path / "v01.invite")
    with pytest.raises(Refusal, match="already holds an office"):
        join(township.me.home, path)


def test_inviting_an_unknown_office_writes_nothing(township: Office, tmp_path: Path) -> None:
    with pytest.raises(Refusal, match="no village v09"):
        township.devices.invite("v09", tmp_path / "v09.invite")
    with pytest.raises(Refusal, match="no village t1"):
        township.devices.invite("t1", tmp_path / "t1.invite")
    assert not list(tmp_path.glob("*.invite"))


def _tkey(office: Office) -> SigningKey:
    from vledger.sync.trust.keys import load_township_key

    return load_township_key(office.me.home)


def test_an_unsigned_change_inside_a_signed_invitation_is_refused(
    township: Office, tmp_path: Path
) -> None:
    from vledger.sync.trust.invitation import INVITE_CONTEXT, INVITE_FORMAT, _seal
    from vledger.sync.trust.keys import load_township_key

    path = township.devices.invite("v01", tmp_path / "v01.invite")
    body = msgpack.unpackb(msgpack.unpackb(path.read_bytes())["body"])
    scribble(township, doc_of("v01"), "sneaked", "x")  # never signed by any device
    body["docs"][doc_of("v01")] = township.store.changes_since(doc_of("v01"), [])
    key = load_township_key(township.me.home)
    path.write_bytes(_seal(INVITE_FORMAT, INVITE_CONTEXT, body, key))
    with pytest.raises(Refusal, match="carries no signature"):
        join(tmp_path / "v01", path)
    assert not (tmp_path / "v01").exists()
