"""Bundles: sync frames in a file, for a USB stick or a chat attachment.

Layout: MAGIC, then frames exactly as on the wire (sync/frames.py):

    bundle  {township, office, device, for, created, docs: {doc: heads}}
    changes {doc, changes, sigs}   as many as needed, each under the frame cap; `sigs`
                                   are the changes' signature records (sync/authorship.py)
    end     {frames, sha256}       frames before it, and the SHA-256 of every byte before it

A file that is cut short, has a flipped byte, belongs to another township or
builds on changes this home does not hold is refused whole, before anything
is stored. The checksum only catches damage (anyone can recompute it): what
makes a bundle safe to carry is that every change in it is checked like a
synced one (`protocol.receive`: signed by a device the roster lets write that
document), so a forged or edited change is refused and logged, the rest
applied. Applying is the receive gate's, for every document in one
transaction, so importing the same bundle twice stores nothing the second time.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from vledger.clock import now_iso
from vledger.errors import VledgerError
from vledger.sync.binding.chunks import BadChange, parse_changes
from vledger.sync.documents.replicas import Replicas
from vledger.sync.link.frames import (
    FrameError,
    change_list,
    encode,
    heads_map,
    iter_frames,
    split_changes,
    text,
)
from vledger.sync.link.gate import belongs, receive
from vledger.sync.link.session import Identity, known_hashes, own_documents, peer_records

MAGIC = b"VLEDGER-BUNDLE\n\x00"


class BundleRefused(VledgerError, ValueError):
    """A bundle that cannot be imported (or exported); nothing was written."""


@dataclass(frozen=True)
class BundleSummary:
    township: str
    office: str  # who made it
    documents: int
    changes: int  # in the file (export) or new to this home (import)
    refused: tuple[str, ...] = ()  # import: changes refused, each with its reason


def export_bundle(store: Replicas, path: Path, for_office: str | None = None) -> BundleSummary:
    """Write what `for_office` may lack (by the heads it last synced), or everything."""
    me = Identity.of(store)
    docs = own_documents(store, me.township)
    bases = _bases(store, for_office) if for_office else {}
    frames: list[dict[str, object]] = [{
        "t": "bundle", "township": me.township, "office": me.office, "device": me.device,
        "for": for_office, "created": now_iso(), "docs": docs,
    }]
    total = 0
    for doc in sorted(docs):
        changes = _lacking(store, doc, bases.get(doc))
        total += len(changes)
        for run in split_changes(changes):
            frames.append({"t": "changes", "doc": doc, "changes": run,
                           "sigs": me.check.records(store, me.key, doc, run)})
    body = MAGIC + b"".join(encode(f) for f in frames)
    end = encode({"t": "end", "frames": len(frames), "sha256": hashlib.sha256(body).digest()})
    _write_atomically(Path(path), body + end)
    return BundleSummary(me.township, me.office, len(docs), total)


def _bases(store: Replicas, office: str) -> dict[str, list[list[bytes]]]:
    """Per document, the heads each device of `office` had after its last sync with us."""
    devices = {r.peer for r in peer_records(store) if r.office == office}
    found: dict[str, list[list[bytes]]] = {}
    for record in peer_records(store):
        if record.peer in devices:
            found.setdefault(record.doc, []).append(record.heads)
    # A device that never synced a document lacks all of it.
    counts = {doc: len(heads) for doc, heads in found.items()}
    return {doc: h for doc, h in found.items() if counts[doc] == len(devices)}


def _lacking(store: Replicas, doc: str, bases: list[list[bytes]] | None) -> list[bytes]:
    """Changes missing from at least one of `bases` (all of them without bases), in order."""
    document = store.document(doc)
    if not bases:
        return document.change_bytes()
    known = known_hashes(document)
    wanted: set[bytes] = set()
    for base in bases:
        usable = [h for h in base if h in known]
        wanted |= document.change_hashes(usable)
    return [c.bytes for c in document.changes() if c.hash in wanted]


def _write_atomically(path: Path, data: bytes) -> None:
    """Write the bundle whole, readable by its owner only (0600, as invitations): it holds
    every ledger the office may send."""
    temporary = path.with_name(path.name + ".part")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)
    handle = os.open(temporary, flags, 0o600)
    with open(handle, "wb") as out:
        if hasattr(os, "fchmod"):
            os.fchmod(out.fileno(), 0o600)  # a .part left by an earlier try kept its mode
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)


@dataclass(frozen=True)
class _Read:
    township: str
    office: str
    device: str
    changes: dict[str, list[bytes]]
    sigs: dict[str, list[bytes]]


def read_bundle(data: bytes) -> _Read:
    """Check a bundle's bytes whole; BundleRefused saying what is wrong."""
    if not data.startswith(MAGIC):
        raise BundleRefused("not a vledger bundle (it does not start like one)")
    try:
        frames = list(iter_frames(data[len(MAGIC) :]))
    except FrameError as problem:
        raise BundleRefused(f"the bundle is cut short or garbled ({problem.message})") from None
    if not frames or frames[-1][0]["t"] != "end":
        raise BundleRefused("the bundle is cut short: its end marker is missing")
    end, end_at, _ = frames[-1]
    digest = hashlib.sha256(data[: len(MAGIC) + end_at]).digest()
    if end.get("sha256") != digest or end.get("frames") != len(frames) - 1:
        raise BundleRefused("the bundle is garbled: its checksum does not match its contents")
    try:
        header = frames[0][0]
        if header["t"] != "bundle":
            raise FrameError("garbled", "it does not begin with a bundle header")
        heads_map(header)
        changes: dict[str, list[bytes]] = {}
        sigs: dict[str, list[bytes]] = {}
        for frame, _, _ in frames[1:-1]:
            if frame["t"] != "changes":
                raise FrameError("garbled", f"unexpected {frame['t']} frame")
            changes.setdefault(text(frame, "doc"), []).extend(change_list(frame))
            if frame.get("sigs") is not None:
                sigs.setdefault(text(frame, "doc"), []).extend(change_list(frame, "sigs"))
        return _Read(text(header, "township"), text(header, "office"),
                     text(header, "device", optional=True), changes, sigs)
    except FrameError as problem:
        raise BundleRefused(f"the bundle is garbled: {problem.message}") from None


def import_bundle(store: Replicas, path: Path) -> BundleSummary:
    """Check the whole bundle, then apply it; BundleRefused (nothing stored) otherwise."""
    me = Identity.of(store)
    try:
        data = Path(path).read_bytes()
    except OSError as problem:
        raise BundleRefused(f"cannot read it ({problem.strerror or problem})") from None
    found = read_bundle(data)
    if found.township != me.township:
        raise BundleRefused(
            f"the bundle belongs to township {found.township}; this home to {me.township}"
        )
    _check_applicable(store, me.township, found.changes)
    origin = f"bundle:{found.office}:{found.device}"
    try:
        with store.transaction():  # the whole bundle, or nothing of it
            got = receive(store, me.township, found.changes, origin, me.check, sigs=found.sigs)
            lacking = sorted(doc for doc, outcome in got.items() if outcome.missing)
            if lacking:  # _check_applicable makes this unreachable; keep it loud
                raise BundleRefused(f"{lacking[0]}: builds on changes this home does not hold")
    except FrameError as problem:
        if problem.code == "no_trust":
            raise BundleRefused(problem.message) from None
        raise BundleRefused(f"the bundle is garbled: {problem.message}") from None
    new = sum(outcome.applied for outcome in got.values())
    refused = tuple(str(r) for outcome in got.values() for r in outcome.refused)
    return BundleSummary(found.township, found.office, len(found.changes), new, refused)


def _check_applicable(store: Replicas, township: str, changes: Mapping[str, list[bytes]]) -> None:
    """Every document ours, every change intact, every dependency here or in the bundle."""
    for doc, items in sorted(changes.items()):
        if not belongs(doc, township):
            raise BundleRefused(f"it holds {doc}, a document of another township")
        try:
            infos = parse_changes(items)
        except BadChange as problem:
            raise BundleRefused(f"the bundle is garbled: {doc}: {problem}") from None
        have = known_hashes(store.document(doc)) if store.has_document(doc) else set()
        inside = {i.hash for i in infos}
        lacking = {d for i in infos for d in i.deps if d not in inside and d not in have}
        if lacking:
            raise BundleRefused(
                f"{doc}: the bundle builds on {len(lacking)} change(s) this home does not hold "
                "(made for another office? export one without --for)"
            )
