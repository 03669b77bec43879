"""How this home checks what it receives and vouches for what it sends: passed to the
link room as an argument (`ChangeCheck`), never switched by a global.

`SIGNED` is the product: every received change screened against the signed roster
(trust/signatures.py), every sent change with its signature record. `UNCHECKED`
exists for one purpose, measuring what checking costs (bench/sync.py): it sends no
records and accepts every change of this township as it comes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from vledger.sync.documents.replicas import Replicas
from vledger.sync.trust.keys import SigningKey
from vledger.sync.trust.roster import Roster, current_roster
from vledger.sync.trust.signatures import (
    Screened,
    keep_signatures,
    outgoing_signatures,
    screen_batch,
    take_out_revoked,
    whole_signatures,
)


class ChangeCheck(Protocol):
    def roster(self, replicas: Replicas, township: str) -> Roster:
        """The roster received changes are checked against (RosterError: cannot check)."""

    def screen(self, replicas: Replicas, doc: str, batch: Sequence[bytes],
               records: Sequence[bytes], roster: Roster) -> Screened:
        """Which changes of a received batch may be applied (nothing is written)."""

    def keep(self, replicas: Replicas, doc: str, screened: Screened, origin: str) -> None:
        """Keep the credentials of accepted changes (inside the receiving transaction)."""

    def take_out_revoked(self, replicas: Replicas, roster: Roster) -> None:
        """Take out what revoked devices wrote that the township never held (the roster
        just moved): every office then holds, and ranks from, the same changes."""

    def records(self, replicas: Replicas, key: SigningKey | None, doc: str,
                changes: Sequence[bytes]) -> list[bytes]:
        """The records to send with `changes`."""

    def whole_records(self, replicas: Replicas, key: SigningKey | None, doc: str) -> list[bytes]:
        """The records to send with a whole document."""


class SignedChanges:
    def roster(self, replicas: Replicas, township: str) -> Roster:
        return current_roster(replicas)

    def screen(self, replicas: Replicas, doc: str, batch: Sequence[bytes],
               records: Sequence[bytes], roster: Roster) -> Screened:
        return screen_batch(replicas, doc, batch, records, roster=roster)

    def keep(self, replicas: Replicas, doc: str, screened: Screened, origin: str) -> None:
        keep_signatures(replicas, doc, screened, origin)

    def take_out_revoked(self, replicas: Replicas, roster: Roster) -> None:
        take_out_revoked(replicas, roster)

    def records(self, replicas: Replicas, key: SigningKey | None, doc: str,
                changes: Sequence[bytes]) -> list[bytes]:
        return outgoing_signatures(replicas, key, doc, changes) if changes else []

    def whole_records(self, replicas: Replicas, key: SigningKey | None, doc: str) -> list[bytes]:
        return whole_signatures(replicas, key, doc)


class UncheckedChanges:
    def roster(self, replicas: Replicas, township: str) -> Roster:
        return Roster(township)

    def screen(self, replicas: Replicas, doc: str, batch: Sequence[bytes],
               records: Sequence[bytes], roster: Roster) -> Screened:
        return Screened(accepted=list(batch))

    def keep(self, replicas: Replicas, doc: str, screened: Screened, origin: str) -> None:
        return None

    def take_out_revoked(self, replicas: Replicas, roster: Roster) -> None:
        return None

    def records(self, replicas: Replicas, key: SigningKey | None, doc: str,
                changes: Sequence[bytes]) -> list[bytes]:
        return []

    def whole_records(self, replicas: Replicas, key: SigningKey | None, doc: str) -> list[bytes]:
        return []


SIGNED: ChangeCheck = SignedChanges()
UNCHECKED: ChangeCheck = UncheckedChanges()
