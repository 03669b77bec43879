"""Device keys: made private, refused when others can read them, never overwritten."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.sync.homes import township_doc
from vledger.sync.services.homes import init_township
from vledger.sync.trust.keys import (
    KeyFileError,
    SigningKey,
    device_key_path,
    ensure_device_key,
    key_id,
    load_device_key,
    load_key,
    verify,
    write_key,
)

posix_only = pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")


@posix_only
def test_a_new_key_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    key = ensure_device_key(tmp_path / "home")
    mode = stat.S_IMODE(device_key_path(tmp_path / "home").stat().st_mode)
    assert mode == 0o600
    assert load_device_key(tmp_path / "home").public == key.public


@posix_only
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_a_key_others_can_read_is_refused_with_the_fix(tmp_path: Path, mode: int) -> None:
    path = write_key(tmp_path / "device.key", SigningKey.generate()).path
    assert path is not None
    path.chmod(mode)
    with pytest.raises(KeyFileError) as refused:
        load_key(path)
    assert f"chmod 600 {path}" in str(refused.value)
    assert f"{mode:04o}" in str(refused.value)


def test_a_key_is_never_overwritten(tmp_path: Path) -> None:
    first = ensure_device_key(tmp_path)
    with pytest.raises(KeyFileError, match="never overwritten"):
        write_key(device_key_path(tmp_path), SigningKey.generate())
    assert ensure_device_key(tmp_path).public == first.public


def test_garbage_and_missing_key_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="no key file"):
        load_key(tmp_path / "device.key")
    path = tmp_path / "device.key"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, b"not a key")
    os.close(fd)
    with pytest.raises(KeyFileError, match="not a readable private key"):
        load_key(path)


def test_key_ids_and_signatures() -> None:
    key, other = SigningKey.generate(), SigningKey.generate()
    assert len(key.id) == 16 and key.id == key_id(key.public) and key.id != other.id
    signature = key.sign(b"hello")
    assert verify(key.public, signature, b"hello")
    assert not verify(key.public, signature, b"hellp")
    assert not verify(other.public, signature, b"hello")
    assert not verify(key.public, signature[:-1], b"hello")
    with pytest.raises(ValueError):
        key_id(b"short")


def test_init_makes_both_keys_and_names_the_device_by_its_key(tmp_path: Path) -> None:
    office = init_township(tmp_path / "t", "青石乡", "t1", year=2026)
    try:
        key = load_device_key(office.me.home)
        assert office.me.device == key.id == office.roster.whoami().device
        assert (office.me.home / "township.key").exists()
        assert office.store.db.settings.get("township_key") is not None
        journal = township_doc(office).replica.journal_entries()
        assert journal and {e.device for e in journal} == {key.id}
    finally:
        office.close()


def test_link_certificates_are_valid_whatever_a_laptop_s_clock_says(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A laptop whose clock says 1999 must still link: a link is trusted by the roster
    pin, never by dates."""
    from datetime import UTC, datetime

    from cryptography import x509

    from vledger.sync.trust.keys import SigningKey, link_ca_pem, link_certificate

    cert = x509.load_pem_x509_certificate(link_certificate(SigningKey.generate()))
    issuer = x509.load_pem_x509_certificate(link_ca_pem().encode())
    for each in (cert, issuer):
        assert each.not_valid_before_utc <= datetime(1990, 1, 1, tzinfo=UTC)
        assert each.not_valid_after_utc >= datetime(2200, 1, 1, tzinfo=UTC)


def test_a_clock_that_is_obviously_wrong_is_said() -> None:
    from datetime import datetime

    from vledger.sync.services.sync import clock_problem

    assert clock_problem(datetime(1999, 12, 31, 23, 0)) is not None
    assert "1999-12-31" in str(clock_problem(datetime(1999, 12, 31, 23, 0)))
    assert clock_problem(datetime(2026, 11, 30, 9, 0)) is None
