"""Device keys and the township key: who this home is, provably.

Every home holds one Ed25519 key pair, its *device key*, made at `init` or `join`.
The township office's home also holds the *township key*: the root every office
trusts, which signs the roster (sync/roster.py). Its public half is pinned in every
home's settings at init or join (`township_key`, hex), so a home never has to take
a peer's word for who the township is.

Key files (in the home, next to vledger.db):

    device.key     the device's private key
    township.key   the township's private key (township office only)

Each is PEM "PRIVATE KEY" (PKCS#8, unencrypted: the home folder is the secret, as an
SSH key is), written with mode 0600 from the start (never chmod-ed after the fact,
so no other user can open it in between). Loading refuses a key file that group or
others may read or write, or that another user owns, with a clear message and the
command that fixes it: a key others can read could sign changes as this office.
Windows has no POSIX modes; there the folder's ACL is the protection and the check
is skipped.

A key's *id* is the first 8 bytes of SHA-256 of its raw 32-byte public key, as 16
hex characters: short enough to type in `vledger device revoke`, long enough that
nobody meets a collision among a township's devices (and a collision could not
forge anything: signatures are always checked against the whole public key).
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.x509.oid import NameOID

from vledger.errors import VledgerError

DEVICE_KEY_FILE = "device.key"
TOWNSHIP_KEY_FILE = "township.key"
PUBLIC_KEY_LEN = 32
SIGNATURE_LEN = 64
KEY_ID_LEN = 8  # bytes; 16 hex characters in text
TOWNSHIP_KEY_SETTING = "township_key"


class KeyFileError(VledgerError, RuntimeError):
    """A key file that is missing, unreadable, not a key, or readable by others."""


def key_id(public: bytes) -> str:
    """The short id of a raw Ed25519 public key (16 hex characters)."""
    if len(public) != PUBLIC_KEY_LEN:
        raise ValueError(f"an Ed25519 public key is {PUBLIC_KEY_LEN} bytes, not {len(public)}")
    return hashlib.sha256(public).digest()[:KEY_ID_LEN].hex()


def verify(public: bytes, signature: bytes, message: bytes) -> bool:
    """Whether `signature` is `public`'s signature of `message` (False for any malformed input)."""
    if len(public) != PUBLIC_KEY_LEN or len(signature) != SIGNATURE_LEN:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(frozen=True)
class SigningKey:
    """An Ed25519 private key with its public half and id."""

    private: Ed25519PrivateKey
    path: Path | None = None

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(Ed25519PrivateKey.generate())

    @property
    def public(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    @property
    def id(self) -> str:
        return key_id(self.public)

    def sign(self, message: bytes) -> bytes:
        return self.private.sign(message)

    def pem(self) -> bytes:
        return self.private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


# -- key files ----------------------------------------------------------------------------


def write_key(path: Path, key: SigningKey) -> SigningKey:
    """Write `key` to a new file readable by its owner only; refuses to overwrite a key."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    try:
        handle = os.open(path, flags, 0o600)
    except FileExistsError:
        raise KeyFileError(f"{path} already exists: a key is never overwritten") from None
    try:
        os.write(handle, key.pem())
        os.fsync(handle)
    finally:
        os.close(handle)
    return SigningKey(key.private, path)


def load_key(path: Path) -> SigningKey:
    """The key in `path`; KeyFileError when it is missing, not a key, or not private."""
    path = Path(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise KeyFileError(f"{path}: no key file (this home has no key yet)") from None
    _check_private(path, info)
    try:
        data = path.read_bytes()
    except OSError as problem:
        raise KeyFileError(f"{path}: cannot read it ({problem.strerror or problem})") from None
    try:
        private = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as problem:
        raise KeyFileError(f"{path}: not a readable private key ({problem})") from None
    if not isinstance(private, Ed25519PrivateKey):
        raise KeyFileError(f"{path}: not an Ed25519 key")
    return SigningKey(private, path)


def _check_private(path: Path, info: os.stat_result) -> None:
    if os.name == "nt":
        return  # no POSIX modes: the folder's ACL protects it
    if not stat.S_ISREG(info.st_mode):
        raise KeyFileError(f"{path}: not a regular file")
    loose = stat.S_IMODE(info.st_mode) & 0o077
    if loose:
        raise KeyFileError(
            f"{path} can be read or written by other users (mode "
            f"{stat.S_IMODE(info.st_mode):04o}): refused, since anyone who reads it can sign "
            f"as this office; make it private with `chmod 600 {path}`"
        )
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise KeyFileError(f"{path} belongs to another user: refused")


def device_key_path(home: Path) -> Path:
    return Path(home) / DEVICE_KEY_FILE


def township_key_path(home: Path) -> Path:
    return Path(home) / TOWNSHIP_KEY_FILE


def load_device_key(home: Path) -> SigningKey:
    return load_key(device_key_path(home))


def ensure_device_key(home: Path) -> SigningKey:
    """This home's device key, made now if the home has none (homes made before keys)."""
    path = device_key_path(home)
    if path.exists():
        return load_key(path)
    return write_key(path, SigningKey.generate())


def load_township_key(home: Path) -> SigningKey:
    """The township's private key; only the township office's home holds it."""
    path = township_key_path(home)
    if not path.exists():
        raise KeyFileError(
            f"{path}: this home does not hold the township key (only the township office "
            "signs the roster)"
        )
    return load_key(path)


def ensure_township_key(home: Path) -> SigningKey:
    path = township_key_path(home)
    if path.exists():
        return load_key(path)
    return write_key(path, SigningKey.generate())


# -- link certificates (TLS between offices, sync/peer.py) ---------------------------------
#
# Both ends of a sync link present an X.509 certificate for their *device key* and prove
# holding it in the TLS 1.3 handshake (CertificateVerify); each end then pins the other's
# key against the signed roster (sync/peer.py). The issuer of those certificates is a
# fixed "link CA" whose private key is derived from a public constant: it certifies
# nothing and anyone can issue with it. It exists only because OpenSSL asks a client
# for a certificate, and accepts one, only when it chains to a trusted issuer; the
# authentication is the roster pin, never the chain.

LINK_CERT_FILE = "link.crt"
_LINK_CA_SEED = hashlib.sha256(b"vledger-link-ca-v1 (public on purpose: not an authority)")
# Valid whatever a laptop's clock says (its battery died, it says 1999): a link is
# trusted by the roster pin, never by dates, so a wrong clock must not break TLS.
_LINK_VALID = (datetime(1970, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC))


def _link_ca() -> tuple[Ed25519PrivateKey, x509.Certificate]:
    key = Ed25519PrivateKey.from_private_bytes(_LINK_CA_SEED.digest())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "vledger link issuer")])
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(1)
        .not_valid_before(_LINK_VALID[0]).not_valid_after(_LINK_VALID[1])
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=False,
            encipher_only=False, decipher_only=False), critical=True)
        .sign(key, None)
    )
    return key, cert


def link_ca_pem() -> str:
    """The link issuer's certificate (the same bytes everywhere: Ed25519 is deterministic)."""
    return _link_ca()[1].public_bytes(serialization.Encoding.PEM).decode()


def link_certificate(device: SigningKey) -> bytes:
    """PEM certificate for the device key (subject: its key id), issued by the link issuer."""
    ca_key, ca_cert = _link_ca()
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, device.id)]))
        .issuer_name(ca_cert.subject).public_key(device.private.public_key())
        .serial_number(int(device.id, 16) or 1)
        .not_valid_before(_LINK_VALID[0]).not_valid_after(_LINK_VALID[1])
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, None)
    )
    return cert.public_bytes(serialization.Encoding.PEM)


def ensure_link_certificate(home: Path, device: SigningKey) -> Path:
    """The home's link certificate file for its device key (public: written as needed)."""
    path = Path(home) / LINK_CERT_FILE
    wanted = link_certificate(device)
    if not path.exists() or path.read_bytes() != wanted:
        temporary = path.with_name(path.name + ".part")
        temporary.write_bytes(wanted)
        os.replace(temporary, path)
    return path


def certificate_key(der: bytes) -> bytes:
    """The raw Ed25519 public key of a DER certificate; ValueError if it holds another kind."""
    public = x509.load_der_x509_certificate(der).public_key()
    if not isinstance(public, Ed25519PublicKey):
        raise ValueError("the certificate's key is not an Ed25519 key")
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
