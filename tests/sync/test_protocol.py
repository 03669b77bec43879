"""The sync exchange in one process: two stores, one Initiator, one Responder.

Frames go through the real encoder and decoder, so what is tested here is
what travels on a socket, without a socket.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.sync.identity_world import keyed_home, keyed_township
from vledger.sync.documents.journal import Who
from vledger.sync.documents.ledger import VillageDoc
from vledger.sync.documents.replica import VILLAGE, doc_id
from vledger.sync.documents.replicas import Replicas
from vledger.sync.link.frames import Frame, FrameError, decode_body, encode
from vledger.sync.link.session import (
    Identity,
    Initiator,
    Outcome,
    PeerRefused,
    Responder,
    own_documents,
    peer_key,
    refusal,
)
from vledger.sync.trust.signatures import outgoing_signatures

TOWN = "t1"
PROGRAM = "safety-2026"


def village_doc(office: str, township: str = TOWN) -> str:
    return doc_id(township, office, 2026)


def open_home(path: Path, office: str, township: str = TOWN) -> Replicas:
    """A home that knows only its office, township and keys (what a first sync starts from);
    its device is on the roster of `township_home` (tests/sync/identity_world.py)."""
    return keyed_home(path, office, township)


def township_home(path: Path, villages: int = 2, rows: int = 3, township: str = TOWN) -> Replicas:
    """A township replica (keys, signed roster) holding its own document and one document
    per village."""
    store = keyed_township(path, township).store
    who = Who(township, store.device_id(), "clerk")
    for n in range(1, villages + 1):
        village = VillageDoc(store.create_document(village_doc(f"v{n:02d}", township), VILLAGE))
        village.add_rows(who, PROGRAM, [{"people": i, "place": f"村{n}"} for i in range(rows)])
    return store


def add_rows(store: Replicas, office: str, count: int, doc: str | None = None) -> list[str]:
    who = Who(store.db.settings.get("office") or office, store.device_id(), "clerk")
    target = doc or village_doc(office)
    village = VillageDoc(store.create_document(target, VILLAGE))
    return village.add_rows(who, PROGRAM, [{"people": 100 + i} for i in range(count)])


def edit_cells(store: Replicas, doc: str, count: int, value: int) -> None:
    who = Who(store.db.settings.get("office") or "x", store.device_id(), "clerk")
    village = store.village(doc)
    for row in village.rows(PROGRAM)[:count]:
        village.set_cells(who, PROGRAM, row.id, {"people": value})


def wire(frame: Frame) -> Frame:
    return decode_body(encode(frame)[4:])


class Link:
    """An in-process connection: every frame is encoded and decoded, bytes counted."""

    def __init__(self, server: Replicas) -> None:
        self.server = server
        self.responder = Responder(Identity.of(server))
        self.bytes = 0
        self.frames: list[str] = []

    async def ask(self, frame: Frame) -> Frame:
        data = encode(frame)
        self.bytes += len(data)
        self.frames.append(frame["t"])
        try:
            answer = self.responder.handle(self.server, decode_body(data[4:]))
        except FrameError as problem:
            answer = refusal(problem)
        reply = encode(answer)
        self.bytes += len(reply)
        return decode_body(reply[4:])


async def sync(client: Replicas, server: Replicas) -> tuple[Outcome, Link]:
    link = Link(server)
    outcome = await Initiator(Identity.of(client), link.ask).run(client)
    return outcome, link


def same_everything(a: Replicas, b: Replicas) -> bool:
    docs_a, docs_b = own_documents(a, TOWN), own_documents(b, TOWN)
    return {d: sorted(h) for d, h in docs_a.items()} == {d: sorted(h) for d, h in docs_b.items()}


def people(store: Replicas, doc: str) -> list[object]:
    return sorted(r.cells.get("people") for r in store.village(doc).rows(PROGRAM))  # type: ignore[type-var]


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


# -- first sync: a new home pulls everything -----------------------------------------------


async def test_a_new_village_home_pulls_every_document(town: Replicas, v01: Replicas) -> None:
    outcome, _ = await sync(v01, town)
    assert outcome.converged and outcome.fallbacks == 0
    assert v01.document_ids() == town.document_ids() and len(town.document_ids()) == 3
    assert same_everything(v01, town)
    assert people(v01, village_doc("v02")) == [0, 1, 2]  # another village's rows came too


async def test_edits_on_both_sides_converge_and_are_remembered(
    town: Replicas, v01: Replicas
) -> None:
    await sync(v01, town)
    add_rows(v01, "v01", 4)
    edit_cells(town, village_doc("v01"), 2, 77)  # the township edits the same ledger concurrently
    add_rows(town, "v02", 1)
    outcome, link = await sync(v01, town)
    assert outcome.converged and outcome.fallbacks == 0
    assert same_everything(v01, town)
    assert people(v01, village_doc("v01")) == people(town, village_doc("v01"))
    assert len(people(town, village_doc("v01"))) == 7 and 77 in people(town, village_doc("v01"))
    assert "sync" not in link.frames  # known heads: no automerge sync protocol needed
    # both sides recorded the same heads for each other
    peer_town = peer_key("t1", town.device_id())
    peer_v01 = peer_key("v01", v01.device_id())
    for doc in town.document_ids():
        assert v01.db.peers.get(peer_town, doc) == town.db.peers.get(peer_v01, doc)
        assert sorted(v01.db.peers.get(peer_town, doc)[0]) == sorted(town.heads(doc))  # type: ignore[index]


async def test_syncing_again_with_nothing_new_sends_only_heads(
    town: Replicas, v01: Replicas
) -> None:
    await sync(v01, town)
    outcome, link = await sync(v01, town)
    assert outcome.converged and outcome.sent == 0 and outcome.received == 0
    assert link.frames == ["hello", "heads"]


async def test_the_fast_path_sends_exactly_the_new_changes(town: Replicas, v01: Replicas) -> None:
    await sync(v01, town)
    before = town.heads(village_doc("v01"))
    for _ in range(3):
        add_rows(v01, "v01", 1)  # three actions, three changes
    edit_cells(town, village_doc("v02"), 1, 5)  # the peer moved on too: its heads are unknown here
    outcome, _ = await sync(v01, town)
    expected = v01.replica(village_doc("v01")).doc.change_bytes(before)
    assert outcome.sent == len(expected) == 3  # the record of the last sync: nothing more
    assert outcome.received == 1


# -- store and forward ---------------------------------------------------------------------


async def test_a_village_carries_other_offices_changes(tmp_path: Path, town: Replicas) -> None:
    v01 = open_home(tmp_path / "a", "v01")
    v02 = open_home(tmp_path / "b", "v02")
    try:
        await sync(v01, town)
        await sync(v02, town)
        add_rows(v02, "v02", 2)
        await sync(v02, v01)  # v02 meets v01, never the township
        add_rows(v01, "v01", 1)
        outcome, _ = await sync(v01, town)  # v01 carries v02's rows to the township
        assert outcome.converged
        assert len(people(town, village_doc("v02"))) == 5
        assert same_everything(town, v01)
        assert not same_everything(town, v02)  # v02 has not seen v01's new row yet
    finally:
        v01.close()
        v02.close()


# -- the fallback: automerge's sync protocol with a fresh state ---------------------------------


async def test_without_a_record_diverged_replicas_use_the_sync_protocol(
    tmp_path: Path, town: Replicas, v01: Replicas
) -> None:
    await sync(v01, town)
    v01.db.peers.forget(peer_key("t1", town.device_id()))
    town.db.peers.forget(peer_key("v01", v01.device_id()))
    add_rows(v01, "v01", 2)
    add_rows(town, "v01", 3)  # both moved on, and neither remembers the other
    outcome, link = await sync(v01, town)
    assert outcome.converged and outcome.fallbacks >= 1 and "sync" in link.frames
    assert same_everything(town, v01)
    assert len(people(v01, village_doc("v01"))) == 3 + 2 + 3


async def test_a_record_the_peer_no_longer_backs_falls_back(
    tmp_path: Path, town: Replicas, v01: Replicas
) -> None:
    # v01 remembers a township that had more than the restored one has now.
    await sync(v01, town)
    add_rows(v01, "v01", 1)
    await sync(v01, town)
    restored = township_home(tmp_path / "restored", villages=0)
    restored.close()
    restored = open_home(tmp_path / "restored", "t1")
    # same device id as the old township, so v01's record applies to it
    restored.db.settings.set("device", town.device_id())
    add_rows(restored, "v01", 2)
    add_rows(v01, "v01", 1)
    outcome, _ = await sync(v01, restored)
    assert outcome.converged and outcome.fallbacks >= 1, outcome.refused
    assert same_everything(v01, restored), outcome.refused
    restored.close()


async def test_the_sync_protocol_alone_converges_and_applies_in_whole_batches(
    tmp_path: Path, town: Replicas, v01: Replicas
) -> None:
    await sync(v01, town)
    add_rows(v01, "v01", 5)
    for _ in range(4):
        add_rows(town, "v02", 1)
    client = Initiator(Identity.of(v01), Link(town).ask)
    await client.hello(v01)
    outcome = Outcome()
    for doc in sorted(set(v01.document_ids()) | set(town.document_ids())):
        await client._fallback(v01, doc, outcome)
    assert same_everything(v01, town)
    assert outcome.received == 4 and len(people(v01, village_doc("v02"))) == 3 + 4


# -- refusals -----------------------------------------------------------------------------


async def test_a_foreign_township_is_refused_and_nothing_changes(
    tmp_path: Path, town: Replicas
) -> None:
    other = township_home(tmp_path / "other", villages=1, township="t9")
    try:
        before = town.document_ids()
        with pytest.raises(PeerRefused) as refused:
            await sync(other, town)
        assert refused.value.code == "foreign_township"
        assert town.document_ids() == before
    finally:
        other.close()


async def test_changes_for_another_townships_document_are_refused(town: Replicas) -> None:
    responder = Responder(Identity.of(town))
    responder.handle(town, wire(Identity("v01", "d1", TOWN).hello({})))
    foreign = township_home(town.home.parent / "foreign", villages=1, township="t9")
    changes = foreign.changes_since(village_doc("v01", "t9"), [])
    foreign.close()
    with pytest.raises(FrameError) as refused:
        responder.handle(town, wire({"t": "push", "doc": village_doc("v01", "t9"),
                                     "changes": changes}))
    assert refused.value.code == "foreign_document"
    assert village_doc("v01", "t9") not in town.document_ids()


async def test_frames_before_hello_and_garbled_changes_are_refused(town: Replicas) -> None:
    responder = Responder(Identity.of(town))
    with pytest.raises(FrameError) as early:
        responder.handle(town, wire({"t": "heads", "docs": {}}))
    assert early.value.code == "no_hello"
    responder.handle(town, wire(Identity("v01", "d1", TOWN).hello({})))
    doc = village_doc("v01")
    heads = town.heads(doc)
    good = town.changes_since(doc, [])
    broken = bytearray(good[-1])
    broken[-1] ^= 0xFF
    with pytest.raises(FrameError) as garbled:
        responder.handle(town, wire({"t": "push", "doc": doc, "changes": [bytes(broken)]}))
    assert garbled.value.code == "bad_change"
    assert town.heads(doc) == heads


async def test_a_push_building_on_unknown_changes_gets_need(town: Replicas, v01: Replicas) -> None:
    await sync(v01, town)
    add_rows(v01, "v01", 1)
    add_rows(v01, "v01", 1)
    newest = v01.changes_since(village_doc("v01"), town.heads(village_doc("v01")))[-1:]
    responder = Responder(Identity.of(town))
    responder.handle(town, wire(Identity.of(v01).hello({})))
    sigs = outgoing_signatures(v01, Identity.of(v01).key, village_doc("v01"), newest)
    answer = responder.handle(town, wire({"t": "push", "doc": village_doc("v01"),
                                          "changes": newest, "sigs": sigs}))
    assert answer["t"] == "need" and answer["missing"]
    assert town.heads(village_doc("v01")) != v01.heads(village_doc("v01"))
