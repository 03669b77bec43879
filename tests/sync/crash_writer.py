"""Writes ledger rows in a loop, printing each row id only after its write returned.

Run by test_crash.py, which kills it with SIGKILL at random moments:
    python tests/sync/crash_writer.py HOME TAG
Prints "ready", then one line "ROW_ID NOTE COUNT" per acknowledged add.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from vledger.sync.documents.journal import Who  # noqa: E402
from vledger.sync.documents.ledger import VillageDoc  # noqa: E402
from vledger.sync.documents.replica import VILLAGE, doc_id  # noqa: E402
from vledger.sync.documents.replicas import Replicas  # noqa: E402

DOC = doc_id("t1", "v01", 2026)
PROGRAM = "safety-2026"


def main() -> None:
    home, tag = Path(sys.argv[1]), sys.argv[2]
    store = Replicas.open(home, compact_chunks=15)  # compactions get killed too
    if store.report:
        print("damage", *store.report, sep="\n", file=sys.stderr)
        sys.exit(3)
    village = VillageDoc(store.create_document(DOC, VILLAGE))
    who = Who("v01", store.device_id(), tag)
    print("ready", flush=True)
    n = 0
    while True:
        n += 1
        count = 40 if n % 4 == 0 else 1  # some writes are big, to widen the window
        rows = [{"note": f"{tag}-{n}-{i}", "people": i} for i in range(count)]
        ids = village.add_rows(who, PROGRAM, rows)
        print(ids[0], f"{tag}-{n}-0", count, flush=True)


if __name__ == "__main__":
    main()
