"""The office's sync service (sync/services/sync.py) and the cached conflicts of its history
service (sync/services/history.py): sync now over TCP, bundles, peers, data version, unsynced
cells, and conflicts found again from the cache without opening a document."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.example_data import EXAMPLES
from tests.sync.homes import township_doc_id, village_doc_id
from vledger.domain.history import History
from vledger.errors import Unreachable
from vledger.sync.link.session import peer_key
from vledger.sync.link.transport import Server
from vledger.sync.services.homes import init_township, join
from vledger.sync.services.office import Office, Refusal

PROGRAM = "safety-2026"


def _rows(village: str) -> list[dict[str, str]]:
    path = EXAMPLES / "safety-2026" / "ledgers" / f"{village}.csv"
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture
def township(tmp_path: Path) -> Iterator[Office]:
    office = init_township(tmp_path / "t", "示例乡", "t1", year=2026, user="clerk")
    office.roster.add_office("v01", "东坪村", "北片")
    office.roster.add_office("v02", "柳津村", "北片")
    office.programs.add((EXAMPLES / "safety-2026.toml").read_text(encoding="utf-8"),
                           "safety-2026.toml")
    for village in ("v01", "v02"):
        office.ledgers.session(PROGRAM, village, writing=True).add_rows(_rows(village))
    yield office
    office.close()


@pytest.fixture
def village(township: Office, tmp_path: Path) -> Iterator[Office]:
    """v01 joined with an invitation (the real flow: keys pinned, its device enrolled)."""
    invitation = township.devices.invite("v01", tmp_path / "v01.invite")
    office, reply = join(tmp_path / "v01", invitation, user="v01clerk")
    township.devices.enroll(reply)
    yield office
    office.close()


def exchange(a: Office, b: Office, document: str) -> None:
    """Both replicas send each other what the other lacks, as a sync would."""
    for source, target in ((a, b), (b, a)):
        changes = source.store.changes_since(document, target.store.heads(document))
        target.store.apply_batch(document, changes, origin=source.me.office)


def record_sync(a: Office, b: Office) -> None:
    """What a finished sync leaves behind: both hold the same, each records the other."""
    for document in a.store.document_ids():
        if b.store.has_document(document):
            exchange(a, b, document)
    for me, peer in ((a, b), (b, a)):
        for document in me.store.document_ids():
            if peer.store.has_document(document):
                heads = me.store.heads(document)
                assert heads == peer.store.heads(document)
                me.store.db.peers.set(peer_key(peer.me.office, peer.me.device), document,
                                        heads, heads)


def make_conflict(township: Office, village: Office) -> str:
    row = township.ledgers.session(PROGRAM, "v01").rows()[0].id
    township.ledgers.session(PROGRAM, "v01", writing=True).set_cells(row, {"note": "乡镇核查"})
    village.ledgers.session(PROGRAM, None, writing=True).set_cells(row, {"note": "村里待查"})
    exchange(township, village, village_doc_id(township, "v01"))
    return row


# -- conflicts, cached by heads ---------------------------------------------------------------


def test_cached_conflicts_match_the_whole_journal_and_open_no_document(
    township: Office, village: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    row = make_conflict(township, village)
    expected = History(township.history.journal().entries_for((PROGRAM, "v01", row, "note")))
    first = township.history.conflicts()
    assert [c.cell for c in first] == [(PROGRAM, "v01", row, "note")]
    assert first == township.history.journal().conflicts(township.history.current_value)
    assert {v.value for v in first[0].values} == {"乡镇核查", "村里待查"}
    assert expected.conflicts(township.history.current_value) == first
    # a second look reads the cache: no document is opened, the same conflicts come back
    for document in township.store.document_ids():
        if document != township_doc_id(township):
            township.ledgers.release(document.split("/")[1])

    def no_opening(document: str) -> None:
        raise AssertionError(f"{document} opened")

    monkeypatch.setattr(township.store, "replica", no_opening)
    monkeypatch.setattr(township.store, "document", no_opening)
    assert township.history.conflicts() == first
    assert township.history.open_conflict_count() == 1
    assert township.history.conflicted_cells(PROGRAM, "v01") == {(PROGRAM, "v01", row, "note")}


def test_settling_changes_the_heads_so_the_cached_conflict_is_gone(
    township: Office, village: Office
) -> None:
    make_conflict(township, village)
    [conflict] = township.history.conflicts()
    township.history.resolve(conflict.id, keep=conflict.values[0].edit)
    assert township.history.conflicts() == []
    assert village.history.open_conflict_count() == 1  # the village has not received the settle yet
    exchange(township, village, village_doc_id(township, "v01"))
    assert village.history.conflicts() == []


# -- data version -----------------------------------------------------------------------------


def test_data_version_moves_with_any_document_and_only_then(
    township: Office, village: Office
) -> None:
    before = township.sync.data_version()
    assert township.sync.data_version() == before
    township.ranking.sheet(PROGRAM, "year")  # reading (and filling caches) changes no document
    assert township.sync.data_version() == before
    row = township.ledgers.session(PROGRAM, "v02").rows()[0].id
    township.ledgers.session(PROGRAM, "v02", writing=True).set_cells(row, {"note": "x"})
    after_edit = township.sync.data_version()
    assert after_edit != before
    first_row = township.ledgers.session(PROGRAM, "v01").rows()[0].id
    village.ledgers.session(PROGRAM, None, writing=True).set_cells(first_row, {"note": "y"})
    exchange(township, village, village_doc_id(township, "v01"))  # arrives as a sync would
    assert township.sync.data_version() != after_edit


# -- unsynced cells and peers -----------------------------------------------------------------


def test_unsynced_cells_are_edits_made_here_that_no_peer_holds(
    township: Office, village: Office
) -> None:
    rows = [r.id for r in village.ledgers.session(PROGRAM).rows()]
    # made from the township's documents, the village has made no edit of its own yet
    assert village.sync.unsynced_cells(PROGRAM, "v01") == set()
    village.ledgers.session(PROGRAM, None, writing=True).set_cells(rows[0], {"note": "一"})
    village.ledgers.session(PROGRAM, None, writing=True).set_cells(rows[1], {"participants": "9"})
    assert village.sync.unsynced_cells(PROGRAM, "v01") == {(rows[0], "note"),
                                                           (rows[1], "participants")}
    assert village.sync.unsynced_edits() == 2
    exchange(township, village, village_doc_id(township, "v01"))
    assert village.sync.unsynced_edits() == 2  # the township holds them, but nobody confirmed it
    record_sync(township, village)
    assert village.sync.unsynced_cells(PROGRAM, "v01") == set()
    assert village.sync.unsynced_edits() == 0
    village.ledgers.session(PROGRAM, None, writing=True).set_cells(rows[2], {"note": "三"})
    assert village.sync.unsynced_cells(PROGRAM, "v01") == {(rows[2], "note")}
    # the township's own edits: every row it typed in was made on its device
    assert (rows[0], "date") in township.sync.unsynced_cells(PROGRAM, "v02") or \
        township.sync.unsynced_cells(PROGRAM, "v02")
    assert township.sync.unsynced_cells(PROGRAM, "v01") == set()  # confirmed by the village


def test_peers_list_the_last_sync_and_what_each_peer_lacks(
    township: Office, village: Office
) -> None:
    assert township.sync.peers() == [] and township.sync.last_sync() is None
    record_sync(township, village)
    [peer] = township.sync.peers()
    assert (peer.office, peer.device) == ("v01", village.me.device)
    # as `vledger status` counts: every change of every document we hold that the peer
    # has not confirmed, so v02's ledger (which v01 never holds) counts in full
    v02 = len(township.store.document(village_doc_id(township, "v02")).changes())
    assert peer.unconfirmed == v02
    last = township.sync.last_sync()
    assert last is not None and last.office == "v01" and last.last_sync == peer.last_sync
    row = township.ledgers.session(PROGRAM, "v01").rows()[0].id
    township.ledgers.session(PROGRAM, "v01", writing=True).set_cells(row, {"note": "新"})
    [peer] = township.sync.peers()
    assert peer.unconfirmed == v02 + 1  # one transaction, one change v01 has not seen


# -- sync now and bundles ---------------------------------------------------------------------


async def test_sync_with_a_village_server_converges_and_counts_bytes(
    township: Office, village: Office
) -> None:
    village_home = village.me.home
    row = township.ledgers.session(PROGRAM, "v01").rows()[0].id
    township.ledgers.session(PROGRAM, "v01", writing=True).set_cells(row, {"note": "乡镇核查"})
    village.close()
    server = Server(village_home)
    host, port = await server.start("127.0.0.1", 0)
    said: list[str] = []
    try:
        result = await township.sync.sync_with_async(f"{host}:{port}", timeout=10,
                                                progress=said.append)
    finally:
        await server.stop()
    assert result.converged and result.peer_office == "v01" and result.sent >= 1
    assert result.bytes_sent > 0 and result.bytes_received > 0
    assert said and said[0].startswith("connecting")
    assert [p.office for p in township.sync.peers()] == ["v01"]
    assert township.sync.unsynced_cells(PROGRAM, "v01") == set()
    with Office.open(village_home) as reopened:
        assert reopened.ledgers.session(PROGRAM).rows()[0].cells["note"] == "乡镇核查"
    assert township.sync.address_to_offer() == f"{host}:{port}"  # the address that worked


def test_the_address_to_offer_is_the_invitations_until_a_sync_works(
    township: Office, tmp_path: Path
) -> None:
    assert township.sync.address_to_offer() is None  # nothing to offer: the screen asks
    invitation = township.devices.invite("v02", tmp_path / "v02.invite",
                                         address="192.168.1.10:7420")
    office, _ = join(tmp_path / "v02", invitation, user="v02clerk")
    try:
        assert office.sync.address_to_offer() == "192.168.1.10:7420"
    finally:
        office.close()


def test_a_home_that_never_synced_says_so_instead_of_counting_every_edit(
    township: Office, village: Office
) -> None:
    state = township.sync.sync_state()
    assert state.never_synced and state.unsynced is None
    assert (state.text("en"), state.text("zh")) == ("never synced", "从未同步")
    record_sync(township, village)
    state = township.sync.sync_state()
    assert not state.never_synced and state.last_sync is not None
    assert state.unsynced == township.sync.unsynced_edits()
    assert state.text("en").startswith("last sync with v01 at ")


async def test_unreachable_and_bad_addresses_are_refused(township: Office) -> None:
    before = township.sync.data_version()
    with pytest.raises(Unreachable) as unreachable:
        await township.sync.sync_with_async("127.0.0.1:1", timeout=2, attempts=1)
    (said,) = unreachable.value.problems
    assert str(said).startswith("could not sync with 127.0.0.1:1: ")
    assert said.text("zh").startswith("无法与 127.0.0.1:1 同步：")  # type: ignore[attr-defined]
    with pytest.raises(Refusal) as refused:
        await township.sync.sync_with_async("no port here:x", timeout=2)
    assert refused.value.problems[0].text("zh") == "“no port here:x”不是 HOST:PORT 形式的地址"  # type: ignore[attr-defined]
    assert township.sync.data_version() == before
    assert township.sync.address_to_offer() is None  # nothing worked: nothing remembered


def test_bundle_out_and_in_through_the_facade(
    township: Office, village: Office, tmp_path: Path
) -> None:
    row = township.ledgers.session(PROGRAM, "v01").rows()[0].id
    township.ledgers.session(PROGRAM, "v01", writing=True).set_cells(row, {"note": "U盘"})
    stick = tmp_path / "stick.bundle"
    summary = township.sync.export_bundle(stick)
    assert stick.exists() and summary.changes > 0
    assert village.sync.import_bundle(stick).changes > 0
    assert village.ledgers.session(PROGRAM).rows()[0].cells["note"] == "U盘"
    assert village.sync.import_bundle(stick).changes == 0  # twice changes nothing
    garbled = tmp_path / "bad.bundle"
    garbled.write_bytes(stick.read_bytes()[:-20])
    before = village.sync.data_version()
    with pytest.raises(Refusal, match="nothing changed"):
        village.sync.import_bundle(garbled)
    assert village.sync.data_version() == before
