"""Journal benchmark: a lean journal and counts that follow changes, as ratios.

    python -m bench.journal [--rows 2000] [--edits 300] [--big 20000] [--repeat 3]

(a) store.journal_share: the journal's share of a village document's saved bytes, on
    `--rows` rows imported in one transaction (fixtures/generate.py, as clerks type
    them) plus `--edits` single-cell edits. The share is what the journal adds: one
    minus the bytes of the same document built without writing its journal entries
    over the bytes with them. Baseline: the document as vledger wrote it before the
    lean journal (Replica.journal_form = "old": every entry a map, every add stored).
    Goal: <= 0.30.

(b) store.counts_after_edit_s: on a township home holding a `--big`-row village ledger
    with `--edits` edits, counted once, then one more edit, the time to count open
    conflicts and unsynced edits over every held document (the home screen's two
    counts; the ledger is open, as in the UI after a keystroke). Baseline: the same on
    the home written the old way, counted as every count did before (the code of the
    services before this change, replayed here: a History of the whole journal for the
    conflicts, every entry no peer holds decoded again for the unsynced edits). Goal:
    <= 0.1 s. Also shown, not a goal: the new counting on the old-form home.

(c) store.counts_after_full_sync_s: the home screen's counts (open conflicts, unsynced
    edits, last sync) on the township home of bench.store (`--villages` x `--rows`, its
    cached build), right after a sync that touched every village document: each
    village's device edits one cell of its ledger in a copy of the home, and the
    township receives those changes (the store's receive path, `apply_batches`, from
    another handle on the home, as the sync's own process does) and records the heads
    each village's device now holds, as a sync does. The home was counted before (the
    home screen counts on start and after each sync), so each round is counted from
    what changed; the first round, where the peer records appear, is not timed. The
    baseline is the floor under it: automerge loading the 60 changed documents once.
    Goal: <= 2 s.

Prints a table, then one JSON line per measure. Not run by CI.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from unittest import mock

from bench.report import measure as report_measure
from vledger.domain.history import History
from vledger.fixtures.generate import generate_township
from vledger.fixtures.township import program_paths
from vledger.sync.binding.doc import ROOT, Tx
from vledger.sync.documents.journal import LEAN_FORM, OLD_FORM, Who, decode_entry
from vledger.sync.documents.ledger import VillageDoc
from vledger.sync.documents.replica import JOURNAL, VILLAGE, Replica, doc_id, new_document
from vledger.sync.services.homes import init_township
from vledger.sync.services.office import Office
from vledger.sync.services.permissions import parse_rows

PROGRAM_ID = "safety-2026"
VILLAGE_ID = "v01"
SHARE_GOAL = 0.30
COUNTS_GOAL_S = 0.1
FULL_SYNC_GOAL_S = 2.0
VILLAGE_DEVICE = "c0ffee01"  # every village's device in (c); the township's is another


def ledger_rows(rows: int, seed: int = 1) -> tuple[Any, list[dict[str, str]]]:
    township = generate_township(1, rows, seed)
    data = township.programs[PROGRAM_ID]
    return data.program, next(iter(data.ledgers.values()))


# -- (a) the journal's share ------------------------------------------------------------------


def village_document(rows: list[dict[str, Any]], edits: int, form: str, journal: bool) -> int:
    """Saved bytes of a village document with `rows` imported and `edits` edits."""
    document = doc_id("qingshi", VILLAGE_ID, 2026)
    replica = Replica(document, new_document(document, VILLAGE), b"\x01" * 16)
    replica.journal_form = form
    journal_id = replica.doc.object_at([JOURNAL])
    real_put = Tx.put

    def put(tx: Tx, obj: bytes, key: str, value: Any) -> None:
        if journal or obj != journal_id:
            real_put(tx, obj, key, value)

    who = Who(VILLAGE_ID, "k3j4h5g6", "王小明")
    with mock.patch.object(Tx, "put", put):
        village = VillageDoc(replica)
        ids = village.add_rows(who, PROGRAM_ID, rows)
        edit_cells(village, who, ids, rows, edits)
    return len(replica.doc.save())


def edit_cells(village: VillageDoc, who: Who, ids: Sequence[str],
               rows: Sequence[dict[str, Any]], edits: int, seed: int = 2) -> None:
    """`edits` single-cell edits, each putting another row's value of the column."""
    rng = random.Random(seed)
    columns = sorted({c for row in rows for c in row})
    done = 0
    while done < edits:
        row = rng.randrange(len(ids))
        column = rng.choice(columns)
        value = rows[rng.randrange(len(rows))].get(column)
        if value is None or value == rows[row].get(column):
            continue
        village.set_cells(who, PROGRAM_ID, ids[row], {column: value})
        done += 1


def journal_share(rows: int, edits: int) -> dict[str, Any]:
    program, raw = ledger_rows(rows)
    parsed, problems = parse_rows(program, raw, whole_rows=True)
    assert not problems
    found: dict[str, Any] = {}
    for form in (OLD_FORM, LEAN_FORM):
        whole = village_document(parsed, edits, form, journal=True)
        bare = village_document(parsed, edits, form, journal=False)
        found[form] = {"saved": whole, "without_journal": bare, "share": 1 - bare / whole}
    return found


# -- (b) counts after an edit -----------------------------------------------------------------


def who(office: Office) -> Who:
    return Who(office.me.office, office.me.device, office.me.user)


def village_of(office: Office) -> VillageDoc:
    return office.store.village(doc_id(office.me.township, VILLAGE_ID, office.me.year))


def big_home(home: Path, raw: list[dict[str, str]], edits: int, form: str) -> Office:
    source = next(p for p in program_paths() if p.stem == PROGRAM_ID)
    office = init_township(home, "青石乡", "qingshi", year=2026, user="clerk")
    me = office.me
    office.store.journal_form = form  # documents opened from now on write this form
    office.store.replica(doc_id(me.township, me.township, me.year)).journal_form = form
    office.roster.add_office(VILLAGE_ID, "东坪村", "北片")
    office.programs.add(source.read_text(encoding="utf-8"), source.name)
    session = office.ledgers.session(PROGRAM_ID, VILLAGE_ID, writing=True)
    ids = session.add_rows(raw)
    parsed, _ = parse_rows(session.program, raw, whole_rows=True)
    edit_cells(village_of(office), who(office), ids, parsed, edits)
    return office


def counts_now(office: Office) -> tuple[int, int]:
    return office.history.open_conflict_count(), office.sync.unsynced_edits()


def counts_before(office: Office) -> tuple[int, int]:
    """The two counts as the services counted them before (nothing cached: the cache was
    keyed by heads, and an edit changes them): per document a History of the whole
    journal for the conflicts, and every journal entry no peer holds decoded again."""
    from vledger.sync.link.session import known_hashes, peer_records

    store = office.store
    conflicts = unsynced = 0
    for document in store.document_ids():
        entries = store.replica(document).stored_entries()  # the whole journal, decoded
        conflicts += len(History(entries).conflicts(office.history.current_value))
        doc = store.document(document)
        journal = doc.map_id(ROOT, JOURNAL)
        if journal is None:
            continue
        home = doc.read(ROOT, "office")
        keys = set(doc.keys(journal))
        confirmed = [r.heads for r in peer_records(store) if r.doc == document]
        known = known_hashes(doc) if confirmed else set()
        for heads in confirmed:
            usable = [h for h in heads if h in known]
            if usable:
                keys -= set(doc.keys(journal, usable))
        for key in sorted(keys):
            data = doc.read(journal, key)
            assert isinstance(data, bytes)
            if decode_entry(key, data, str(home)).device == office.me.device:
                unsynced += 1
    return conflicts, unsynced


def time_after_edits(office: Office, count: Callable[[Office], tuple[int, int]],
                     repeat: int, tag: str) -> tuple[float, tuple[int, int]]:
    """Median seconds of `count` right after one more edit (a value never typed before:
    `tag`), `repeat` times."""
    village = village_of(office)
    rows = village.rows(PROGRAM_ID)
    count(office)  # counted once before, as the home screen did at start
    times: list[float] = []
    found = (0, 0)
    for n in range(repeat):
        village.set_cells(who(office), PROGRAM_ID, rows[n].id, {"note": f"核对 {tag} {n}"})
        started = time.perf_counter()
        found = count(office)
        times.append(time.perf_counter() - started)
    return statistics.median(times), found


def counts_after_edit(rows: int, edits: int, repeat: int) -> dict[str, Any]:
    _, raw = ledger_rows(rows)
    found: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="vledger-bench-journal-") as scratch:
        for form in (OLD_FORM, LEAN_FORM):
            started = time.perf_counter()
            office = big_home(Path(scratch) / form, raw, edits, form)
            built = time.perf_counter() - started
            print(f"  built the {form}-form home in {built:.0f} s", file=sys.stderr)
            try:
                if form == OLD_FORM:
                    found["before"] = time_after_edits(office, counts_before, repeat, "before")
                found[form] = time_after_edits(office, counts_now, repeat, "now")
                if form == OLD_FORM:  # (the old counting knows no implied adds)
                    assert counts_before(office) == counts_now(office), "the counts disagree"
            finally:
                office.close()
    return found


# -- (c) counts after a sync that touched every village ----------------------------------


def home_counts(office: Office) -> tuple[int, int, object]:
    """What the home screen asks its office for (tui/screens/home.py `_count`)."""
    return (office.history.open_conflict_count(), office.sync.unsynced_edits(),
            office.sync.last_sync())


def village_edits(peer: Path, round_: int) -> dict[str, list[bytes]]:
    """Each village's device edits one cell of its own ledger in `peer` (a copy of the
    township's home); the changes each village document gained, by document."""
    batches: dict[str, list[bytes]] = {}
    with Office.open(peer) as office:
        store, me = office.store, office.me
        for village in office.roster.villages():
            document = doc_id(me.township, village.id, me.year)
            before = store.heads(document)
            ledger = store.village(document)
            row = ledger.rows(PROGRAM_ID)[round_]
            ledger.set_cells(Who(village.id, VILLAGE_DEVICE, "村文书"), PROGRAM_ID, row.id,
                             {"note": f"第{round_}轮 核对"})
            batches[document] = store.changes_since(document, before)
            store.close_document(document)
    return batches


def receive(home: Path, batches: dict[str, list[bytes]]) -> None:
    """What a sync with every village leaves in the township's store: their changes, and
    per village's device the heads both sides now hold of every document."""
    from vledger.sync.documents.replicas import Replicas

    with Replicas.open(home) as store:
        store.apply_batches(batches)
        villages = sorted(document.split("/")[1] for document in batches)
        every = store.document_ids()
        with store.transaction():
            for village in villages:
                for document in every:
                    heads = store.heads(document)
                    store.db.peers.set(f"{village}:{VILLAGE_DEVICE}", document, heads, heads)


def load_floor(home: Path, documents: Sequence[str]) -> float:
    """Seconds automerge takes to load `documents` once each (nothing else)."""
    from vledger.sync.documents.replicas import Replicas

    with Replicas.open(home) as store:
        started = time.perf_counter()
        for document in documents:
            store.document(document)
            store.close_document(document)
        return time.perf_counter() - started


def counts_after_full_sync(villages: int, rows: int, repeat: int) -> dict[str, Any]:
    import shutil

    from bench.store import built_home

    cache = Path(tempfile.gettempdir()) / "vledger-bench-store"
    built, how = built_home(cache, villages, rows, 1, False)
    print(f"  township home {how}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="vledger-bench-counts-") as scratch:
        home, peer = Path(scratch) / "home", Path(scratch) / "peer"
        shutil.copytree(built / "home", home)
        shutil.copytree(built / "home", peer)
        times: list[float] = []
        floors: list[float] = []
        found: tuple[int, int, object] = (0, 0, None)
        with Office.open(home) as office:
            home_counts(office)  # the home screen's first count, before any sync
            for round_ in range(repeat + 1):
                batches = village_edits(peer, round_)
                receive(home, batches)
                started = time.perf_counter()
                found = home_counts(office)
                took = time.perf_counter() - started
                if round_ > 0:  # the first: the peer records appear; not timed
                    times.append(took)
                    floors.append(load_floor(home, sorted(batches)))
    return {"seconds": statistics.median(times), "floor": statistics.median(floors),
            "counts": found[:2], "times": times}


# -- report -----------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.journal", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--edits", type=int, default=300)
    parser.add_argument("--big", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--villages", type=int, default=60, help="(c): bench.store's home")
    parser.add_argument("--village-rows", type=int, default=2000, help="(c): rows per village")
    args = parser.parse_args(argv)

    share = journal_share(args.rows, args.edits)
    old, lean = share[OLD_FORM], share[LEAN_FORM]
    print(f"(a) village document, {args.rows} imported rows + {args.edits} edits")
    print(f"    {'':10} {'saved':>10} {'no journal':>11} {'journal share':>14}")
    for name, found in (("before", old), ("now", lean)):
        print(f"    {name:10} {found['saved']:>10,} {found['without_journal']:>11,} "
              f"{found['share']:>13.1%}")
    print(f"    saved bytes now / before: {lean['saved'] / old['saved']:.2f}")

    counts = counts_after_edit(args.big, args.edits, args.repeat)
    before, now, old_now = counts["before"], counts[LEAN_FORM], counts[OLD_FORM]
    print(f"(b) counts after one edit, {args.big}-row ledger + {args.edits} edits "
          f"(median of {args.repeat})")
    print(f"    before (old documents, old counting): {before[0]:8.4f} s  counts {before[1]}")
    print(f"    now, old-form documents:              {old_now[0]:8.4f} s  counts {old_now[1]}")
    print(f"    now, documents written now:           {now[0]:8.4f} s  counts {now[1]}")

    synced = counts_after_full_sync(args.villages, args.village_rows, args.repeat)
    print(f"(c) home counts after a sync that touched all {args.villages} villages "
          f"({args.village_rows} rows each; median of {args.repeat} rounds): "
          f"{synced['seconds']:.2f} s (rounds: "
          + ", ".join(f"{t:.2f}" for t in synced["times"]) + " s), counts "
          f"{synced['counts']}; loading the {args.villages} documents alone: "
          f"{synced['floor']:.2f} s")

    # Every goal bounds the value; the baselines: what the old form took in the same run,
    # and for (c) the floor (loading the documents) beside it.
    report_measure("store.journal_share", lean["share"], "share", baseline=old["share"],
                   goal=SHARE_GOAL, goal_on="value")
    report_measure("store.counts_after_edit_s", now[0], "s", baseline=before[0],
                   goal=COUNTS_GOAL_S, goal_on="value")
    report_measure("store.counts_after_full_sync_s", synced["seconds"], "s",
                   baseline=synced["floor"], goal=FULL_SYNC_GOAL_S, goal_on="value")
    return 0


if __name__ == "__main__":
    sys.exit(main())
