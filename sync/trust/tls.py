"""TLS for sync links: mutual TLS 1.3 with a certificate for each home's device key.

The certificates' issuer is no authority (its key is public, trust/keys.py): what
makes a link trusted is that, after the handshake, each end finds the other's key
among the active devices of its own signed roster (`trusted_device`).
"""

from __future__ import annotations

import ssl
from pathlib import Path

from vledger.errors import VledgerError
from vledger.sync.documents.replicas import Replicas
from vledger.sync.trust.keys import (
    KeyFileError,
    certificate_key,
    device_key_path,
    ensure_device_key,
    ensure_link_certificate,
    key_id,
    link_ca_pem,
)
from vledger.sync.trust.roster import Device, RosterError, current_roster


class UntrustedPeer(VledgerError):
    """The other end of a link is not a device this home's roster trusts (or this home
    cannot set up TLS). `code` is what the link layer reports it as."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _context(home: Path, purpose: int) -> ssl.SSLContext:
    try:
        key = ensure_device_key(home)  # checks the key file is private
    except KeyFileError as problem:
        raise UntrustedPeer("no_key", str(problem)) from None
    context = ssl.SSLContext(purpose)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    if purpose == ssl.PROTOCOL_TLS_CLIENT:
        context.check_hostname = False  # no names: the roster pins the key (trusted_device)
    context.verify_mode = ssl.CERT_REQUIRED  # both ends must show a certificate
    context.load_verify_locations(cadata=link_ca_pem())
    context.load_cert_chain(ensure_link_certificate(home, key), device_key_path(home))
    return context


def client_context(home: Path) -> ssl.SSLContext:
    return _context(home, ssl.PROTOCOL_TLS_CLIENT)


def server_context(home: Path) -> ssl.SSLContext:
    return _context(home, ssl.PROTOCOL_TLS_SERVER)


def certificate_device(der: bytes) -> str | None:
    """The device key id a peer's certificate (DER) is for, None when it is not one."""
    try:
        return key_id(certificate_key(der))
    except ValueError:
        return None


def trusted_device(replicas: Replicas, device: str | None) -> Device:
    """The roster's active device `device`; UntrustedPeer otherwise."""
    if device is None:
        raise UntrustedPeer("unauthenticated", "the peer proved no device key")
    try:
        known = current_roster(replicas).device(device)
    except RosterError as problem:
        raise UntrustedPeer("no_trust", str(problem)) from None
    if known is None:
        raise UntrustedPeer("unknown_device", f"the peer's device {device} is not on the "
                            "township's roster: refused")
    if known.revoked is not None:
        raise UntrustedPeer("revoked_device", f"the peer's device {device} was revoked "
                            f"({known.revoked.at}): refused")
    return known
