"""What this home remembers of each peer after a sync: the heads both sides held for each
document when it ended, and when (the store's peers table, as the link writes it).

On its own, apart from the exchange (session.py): the home screen's last sync and
unsynced count read these records, and need none of the link's cryptography.
"""

from __future__ import annotations

from dataclasses import dataclass

from vledger.sync.documents.replicas import Replicas

Heads = list[bytes]


@dataclass(frozen=True)
class PeerRecord:
    """One row of the store's per-peer memory: heads both had after a sync, and when."""

    peer: str
    doc: str
    heads: Heads
    at: str

    @property
    def office(self) -> str:
        return self.peer.split(":", 1)[0]

    @property
    def device(self) -> str:
        return self.peer.split(":", 1)[1] if ":" in self.peer else ""


def peer_records(store: Replicas) -> list[PeerRecord]:
    """Every peer record where both sides ended the last sync on the same heads."""
    return [
        PeerRecord(peer, doc, ours, at)
        for peer, doc, ours, theirs, at in ((r.peer, r.doc, r.ours, r.theirs, r.at)
                                        for r in store.db.peers.all())
        if ours == theirs
    ]
