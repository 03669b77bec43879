"""A device's voucher for its changes in one document: one signature per batch.

    body    = msgpack {"v": 1, "doc": document id, "device": key id,
                       "actors": [automerge actor, ...], "heads": [change hash, ...]}
    voucher = msgpack {"b": body, "s": Ed25519 signature of CONTEXT + body}

It says: "every change in `doc` written with one of `actors` that is one of `heads`
or an ancestor of one is mine". A change hash commits to its bytes and to every
change it builds on, so `heads` pin down exactly which changes are meant: the
voucher cannot be moved to other changes (a later change is nobody's ancestor
yet) nor to another document (the id is signed). Each process of a home writes
with an actor of its own, so a device lists the actors of the changes it vouches
for; the heads are the frontier of those changes.

A device signs once per batch it sends, and a receiver verifies each voucher once,
however many changes it covers (the old form, one 104-byte record per change,
cost a verification per change per office: trust/signatures.py still reads it).
A voucher is never 104 bytes long (it holds a signature, a hash, a document id
and a device id), which is how a list of credentials tells the two apart.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

import msgpack

from vledger.sync.trust.keys import SigningKey, verify

CONTEXT = b"vledger-voucher-v1\x00"
VERSION = 1
LEGACY_RECORD_LEN = 104


@dataclass(frozen=True)
class Voucher:
    doc: str
    device: str  # key id, 16 hex characters
    actors: frozenset[bytes]
    heads: tuple[bytes, ...]
    body: bytes
    sig: bytes

    def encode(self) -> bytes:
        return self._encoded

    # Kept once made: a voucher is encoded and hashed for every batch that comes with it
    # (the store keeps it by digest) and every batch that goes out with it.
    @cached_property
    def _encoded(self) -> bytes:
        return bytes(msgpack.packb({"b": self.body, "s": self.sig}, use_bin_type=True))

    @cached_property
    def digest(self) -> bytes:
        return hashlib.sha256(self.encode()).digest()

    def verifies(self, public: bytes) -> bool:
        """Whether `public` signed it (checked every time: a home that meets the same
        voucher again keeps the verdict, trust/signatures.py `verified_by`)."""
        return verify(public, self.sig, CONTEXT + self.body)

    @classmethod
    def decode(cls, data: object) -> Voucher:
        """ValueError for anything that is not a voucher of this version."""
        if not isinstance(data, bytes) or len(data) == LEGACY_RECORD_LEN:
            raise ValueError("not a voucher")
        try:
            outer = msgpack.unpackb(data, raw=False)
            body, sig = bytes(outer["b"]), bytes(outer["s"])
            inner = msgpack.unpackb(body, raw=False)
            if inner["v"] != VERSION:
                raise ValueError(f"a voucher of version {inner['v']}")
            return cls(str(inner["doc"]), str(inner["device"]),
                       frozenset(bytes(a) for a in inner["actors"]),
                       tuple(bytes(h) for h in inner["heads"]), body, sig)
        except (KeyError, TypeError, ValueError, msgpack.UnpackException) as problem:
            raise ValueError(f"not a voucher ({problem})") from None


def make_voucher(key: SigningKey, doc: str, actors: Iterable[bytes],
                 heads: Iterable[bytes]) -> Voucher:
    body = bytes(msgpack.packb({
        "v": VERSION, "doc": doc, "device": key.id,
        "actors": sorted(set(actors)), "heads": sorted(set(heads)),
    }, use_bin_type=True))
    found = Voucher.decode(msgpack.packb({"b": body, "s": key.sign(CONTEXT + body)},
                                         use_bin_type=True))
    return found
