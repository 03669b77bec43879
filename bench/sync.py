"""Sync benchmarks (issue 4), each printed as a ratio.

    python -m bench.sync [--villages 50] [--rows 2000]

(a) bytes on the wire to reconnect after 200 single-cell edits and 20 new rows
    on a village with 2,000 rows: ratio to the new changes alone (the floor;
    target <= 1.5) and to automerge's sync protocol with a fresh SyncState;
(b) time for 50 villages + the township to converge over TCP (a real server on
    127.0.0.1) after every village made 100 offline edits: ratio to merging the
    same changes into every replica in one process (target <= 3);
(c) bytes for a new village home's first sync: ratio to the saved documents
    and to them compressed (no target; a document the new home lacks travels
    as its `save()` with one 104-byte signature record per change), and the
    same with whole documents off (every change one by one, with its record).

Issue 6: every home has keys and every change is signed and checked, links are
mutual TLS. (b) runs twice, without (plain TCP, nothing signed or checked: the
sync of issue 4) and with, and prints the ratio: the cost of signing and
verifying, and of TLS, for the 50-village case.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import zlib
from pathlib import Path

from tests.sync.identity_world import keyed_home, keyed_township
from vledger.sync.binding.doc import Doc
from vledger.sync.documents.journal import Who
from vledger.sync.documents.ledger import VillageDoc
from vledger.sync.documents.replica import VILLAGE, doc_id
from vledger.sync.documents.replicas import Replicas
from vledger.sync.link.frames import Frame, FrameError, decode_body, encode
from vledger.sync.link.session import Identity, Initiator, Responder, refusal
from vledger.sync.link.transport import HomeGate, Server, sync_once

TOWN = "t1"
PROGRAM = "safety-2026"


def home(path: Path, office: str) -> Replicas:
    """A home with its (test) device key on the bench township's roster."""
    return keyed_home(path, office, TOWN)


def township(path: Path, villages: list[str]) -> Replicas:
    """A township home (keys, signed roster) trusting the bench villages' devices."""
    return keyed_township(path, TOWN, villages=villages).store


class Link:
    """An in-process link counting the bytes both ways, frames encoded as on a socket."""

    def __init__(self, server: Replicas, *, whole: bool = True) -> None:
        self.server, self.responder, self.bytes = server, Responder(Identity.of(server)), 0
        self.whole = whole

    async def ask(self, frame: Frame) -> Frame:
        if frame["t"] == "pull" and not self.whole:
            frame = {**frame, "whole": False}
        data = encode(frame)
        try:
            answer = self.responder.handle(self.server, decode_body(data[4:]))
        except FrameError as problem:
            answer = refusal(problem)
        reply = encode(answer)
        self.bytes += len(data) + len(reply)
        return decode_body(reply[4:])


async def sync_bytes(client: Replicas, server: Replicas, *, whole: bool = True) -> int:
    link = Link(server, whole=whole)
    outcome = await Initiator(Identity.of(client), link.ask).run(client)
    assert outcome.converged
    return link.bytes


def fresh_state_bytes(a: Doc, b: Doc) -> int:
    """Bytes automerge's own sync protocol sends, both ways, from fresh states."""
    pa, pb = a.fork().sync_peer(), b.fork().sync_peer()
    total = 0
    for _ in range(100):
        quiet = True
        for src, dst in ((pa, pb), (pb, pa)):
            data = src.generate()
            if data is not None:
                total += len(data)
                dst.receive(data)
                quiet = False
        if quiet:
            break
    return total


async def bench_reconnect(root: Path, rows: int) -> None:
    town = township(root / "a-town", ["v01"])
    village = home(root / "a-v01", "v01")
    doc = doc_id(TOWN, "v01", 2026)
    who = Who("v01", village.device_id(), "clerk")
    ledger = VillageDoc(village.create_document(doc, VILLAGE))
    for start in range(0, rows, 500):
        ledger.add_rows(who, PROGRAM, [{"people": i, "place": f"村委会{i}"}
                                       for i in range(start, min(rows, start + 500))])
    await sync_bytes(village, town)
    before = village.heads(doc)
    ids = [r.id for r in ledger.rows(PROGRAM)]
    for i in range(200):
        ledger.set_cells(who, PROGRAM, ids[i * 7 % len(ids)], {"people": 10_000 + i})
    for i in range(20):
        ledger.add_row(who, PROGRAM, {"people": i, "place": "新增"})
    floor = sum(len(c) for c in village.changes_since(doc, before))
    baseline = fresh_state_bytes(village.replica(doc).doc, town.replica(doc).doc)
    wire = await sync_bytes(village, town)
    print(f"(a) reconnect after 200 edits + 20 rows on {rows} rows: {wire} bytes on the wire")
    print(f"    floor (the new changes) {floor} bytes: ratio {wire / floor:.2f} (target <= 1.5)")
    print(f"    fresh-SyncState sync protocol {baseline} bytes: ratio {wire / baseline:.2f}")
    town.close()
    village.close()


async def bench_many(root: Path, villages: int, edits: int, *, secure: bool) -> float:
    """(b) once: with `secure`, TLS links and signed, checked changes; without, neither."""
    tag = "b-signed" if secure else "b-plain"
    names = [f"v{n:02d}" for n in range(1, villages + 1)]
    town = township(root / f"{tag}-town", names)
    for name in names:
        VillageDoc(town.create_document(doc_id(TOWN, name, 2026), VILLAGE))
    paths = {name: root / f"{tag}-{name}" for name in names}
    for name, path in paths.items():  # each joined: it holds the roster
        keyed_home(path, name, TOWN, roster_from=town).close()
    town.close()
    server = Server(root / f"{tag}-town", secure=secure)
    _, port = await server.start("127.0.0.1", 0)
    gates = {name: HomeGate(p) for name, p in paths.items()}
    for name, path in paths.items():
        home(path, name).close()
        await sync_once(gates[name], "127.0.0.1", port, secure=secure)  # all start in sync
    new: list[tuple[str, list[bytes]]] = []
    for name in paths:
        async with gates[name].use() as store:
            doc = doc_id(TOWN, name, 2026)
            before = store.heads(doc)
            ledger = store.village(doc)
            who = Who(name, store.device_id(), "clerk")
            row = ledger.add_row(who, PROGRAM, {"people": 0})
            for i in range(edits - 1):
                ledger.set_cells(who, PROGRAM, row, {"people": i + 1})
            new.append((doc, store.changes_since(doc, before)))
    started = time.perf_counter()
    for _ in range(2):  # push everything, then everyone pulls what the others pushed
        await asyncio.gather(*(sync_once(g, "127.0.0.1", port, timeout=60, attempts=8,
                                         secure=secure) for g in gates.values()))
    elapsed = time.perf_counter() - started
    await server.stop()
    heads = set()
    for gate in gates.values():
        async with gate.use() as store:
            heads.add(tuple(sorted((d, tuple(store.heads(d))) for d in store.document_ids())))
        gate.close()
    assert len(heads) == 1, "replicas did not converge"
    merge = merge_in_one_process(root / f"{tag}-town", new, villages + 1)
    how = "TLS, signed and checked" if secure else "plain TCP, unsigned"
    print(f"(b) {villages} villages x {edits} offline edits converge ({how}) in {elapsed:.2f} s")
    print(f"    merging the same changes into {villages + 1} replicas in one process "
          f"{merge:.2f} s: ratio {elapsed / merge:.2f} (target <= 3)")
    return elapsed


def merge_in_one_process(town_home: Path, new: list[tuple[str, list[bytes]]],
                         replicas: int) -> float:
    """Apply every village's new changes to every replica's documents (in memory)."""
    with Replicas.open(town_home, scan=False) as town:
        saved = {d: town.replica(d).doc.save() for d in town.document_ids()}
    started = time.perf_counter()
    for _ in range(replicas):
        for doc, changes in new:
            Doc.load(saved[doc]).apply(changes)
    return time.perf_counter() - started


async def bench_new_replica(root: Path) -> None:
    town = Replicas.open(root / "b-signed-town", scan=False)
    saved = sum(len(town.replica(d).doc.save()) for d in town.document_ids())
    compressed = sum(len(zlib.compress(town.replica(d).doc.save(), 9))
                     for d in town.document_ids())
    changes = sum(len(town.changes_since(d, [])) - 1 for d in town.document_ids())
    records = 104 * changes  # one signature record per change (the genesis needs none)
    fresh = home(root / "c-new", "v01")
    wire = await sync_bytes(fresh, town)
    print(f"(c) a new village replica's first sync: {wire} bytes; saved documents {saved} "
          f"bytes (zlib {compressed}): ratio {wire / saved:.2f} ({wire / compressed:.2f})")
    print(f"    of which {records} bytes are the {changes} changes' signature records: "
          f"ratio to the saved documents plus them {wire / (saved + records):.2f}")
    fresh.close()
    one_by_one = home(root / "c-changes", "v01")
    wire_changes = await sync_bytes(one_by_one, town, whole=False)
    print(f"    with whole documents off (every change, with its record): {wire_changes} "
          f"bytes, ratio {wire_changes / saved:.2f}: whole documents stay on")
    one_by_one.close()
    town.close()


async def main(villages: int, rows: int, edits: int) -> None:
    with tempfile.TemporaryDirectory(prefix="vledger-bench-sync-") as folder:
        root = Path(folder)
        await bench_reconnect(root, rows)
        plain = await bench_many(root, villages, edits, secure=False)
        signed = await bench_many(root, villages, edits, secure=True)
        print(f"    signing, checking and TLS: {signed:.2f} s / {plain:.2f} s = "
              f"ratio {signed / plain:.2f} to the same sync without them")
        await bench_new_replica(root)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--villages", type=int, default=50)
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--edits", type=int, default=100)
    options = parser.parse_args()
    asyncio.run(main(options.villages, options.rows, options.edits))
