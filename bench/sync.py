"""Sync benchmarks, each printed as a ratio and as JSON measures (bench/report.py).

    python -m bench.sync [--villages 50] [--rows 2000]

(a) bytes on the wire to reconnect after 200 single-cell edits and 20 new rows
    on a village with 2,000 rows: ratio to the new changes alone (the floor;
    target <= 1.5) and to automerge's sync protocol with a fresh SyncState;
(b) time for 50 villages + the township to converge over TCP (a real server on
    127.0.0.1) after every village made 100 offline edits: ratio to merging the
    same changes into every replica in one process (target <= 3);
(c) bytes for a new village home's first sync: ratio to the saved documents
    (target <= 1.2; a document the new home lacks travels as its `save()` with
    its devices' vouchers), and the same with whole documents off.

Every home is made the way offices make them (init, invite, join, enroll), has
keys, and every change is vouched for and checked over mutual TLS. (b) also runs
without (plain TCP, nothing vouched or checked) and prints the ratio: the cost
of signing, verifying and TLS for the 50-village case.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import zlib
from pathlib import Path

from bench.report import measure
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


def township(path: Path, villages: list[str]) -> Replicas:
    """A township home (keys, signed roster) with `villages` on its roster."""
    from vledger.sync.services.homes import init_township

    with init_township(path, "青石乡", TOWN, year=2026, user="clerk") as office:
        for name in villages:
            office.roster.add_office(name, f"村{name}")
    return Replicas.open(path)


def join(town_path: Path, path: Path, village: str) -> None:
    """`village`'s home as offices make it: the township invites, the village joins, the
    township enrolls its device."""
    from vledger.sync.services.homes import join as join_with
    from vledger.sync.services.office import Office

    with Office.open(town_path) as town:
        invitation = town.devices.invite(village, path.parent / f"{path.name}.invite")
        joined, reply = join_with(path, invitation, user="clerk")
        joined.close()
        town.devices.enroll(reply)


def home(path: Path) -> Replicas:
    return Replicas.open(path)


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
    township(root / "a-town", ["v01"]).close()
    join(root / "a-town", root / "a-v01", "v01")
    town, village = home(root / "a-town"), home(root / "a-v01")
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
    measure("sync.reconnect_bytes_vs_floor", wire, "bytes", baseline=floor, goal=1.1)
    town.close()
    village.close()


async def bench_many(root: Path, villages: int, edits: int, *, secure: bool) -> float:
    """(b) once: with `secure`, TLS links and signed, checked changes; without, neither."""
    tag = "b-signed" if secure else "b-plain"
    names = [f"v{n:02d}" for n in range(1, villages + 1)]
    township(root / f"{tag}-town", names).close()
    paths = {name: root / f"{tag}-{name}" for name in names}
    for name, path in paths.items():
        join(root / f"{tag}-town", path, name)
    server = Server(root / f"{tag}-town", secure=secure)
    _, port = await server.start("127.0.0.1", 0)
    gates = {name: HomeGate(p) for name, p in paths.items()}
    for name in paths:
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
    if secure:
        measure("sync.converge_signed_vs_merge", elapsed, "s", baseline=merge, goal=3.0)
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
    town.close()
    join(root / "b-signed-town", root / "c-new", "v01")
    # the invitation brought the township's and v01's documents: the first sync brings
    # the others, so what it should cost is their saved size
    fresh = home(root / "c-new")
    town = home(root / "b-signed-town")
    held = set(fresh.document_ids())
    lacking = sum(len(town.replica(d).doc.save()) for d in town.document_ids()
                  if d not in held)
    wire = await sync_bytes(fresh, town)
    print(f"(c) a new village replica's first sync: {wire} bytes; saved documents {saved} "
          f"bytes (zlib {compressed}), of which it lacked {lacking}: ratio "
          f"{wire / lacking:.2f}")
    measure("sync.first_sync_bytes_vs_saved", wire, "bytes", baseline=lacking, goal=1.2)
    fresh.close()
    join(root / "b-signed-town", root / "c-changes", "v01")
    one_by_one = home(root / "c-changes")
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
