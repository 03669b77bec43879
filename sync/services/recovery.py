"""`vledger recover`: take back what a damaged database (set aside by the store when it
found the file damaged) still holds, into this home.

The documents' changes go back the way received changes do (all or nothing per
document, idempotent), so recovering twice, or after the home already synced some
of it back from a peer, changes nothing twice. Who this home is (its office,
township, device, pinned township key) comes back when this home does not say
already; a home that now says something else is refused, not overwritten. What
was lost with the damage is then one sync away: the peers hold every change they
synced.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from vledger.messages import Message
from vledger.sync.documents.replicas import Replicas, assemble
from vledger.sync.services.permissions import Refusal
from vledger.sync.store.database import damaged_copies
from vledger.sync.store.salvage import salvage


@dataclass(frozen=True)
class Recovered:
    source: Path
    documents: dict[str, int] = field(default_factory=dict)  # doc -> changes new here
    settings: tuple[str, ...] = ()  # identity settings taken back
    problems: tuple[str, ...] = ()  # what could not be read


def recover(home: Path, source: Path | None = None) -> Recovered:
    """Take back what `source` (default: the newest damaged copy in `home`) holds."""
    home = Path(home)
    if source is None:
        copies = damaged_copies(home)
        if not copies:
            raise Refusal(Message("sync.recover.nothing", home=str(home)))
        source = copies[0]
    if not Path(source).exists():
        raise Refusal(Message("sync.recover.missing", file=str(source)))
    found = salvage(Path(source))
    if found.empty:
        raise Refusal(
            Message("sync.recover.unreadable", file=str(source),
                    why="; ".join(found.problems) or "empty"),
            Message("sync.recover.instead"),
        )
    with Replicas.open(home) as replicas:
        taken = _take_settings(replicas, found.settings, source)
        counts: dict[str, int] = {}
        problems = list(found.problems)
        with replicas.transaction():
            for doc in sorted({*found.snapshots, *found.chunks}):
                rows = list(enumerate(found.chunks.get(doc, []), start=1))
                rebuilt, loaded = assemble(found.snapshots.get(doc), rows)
                if loaded.snapshot_bad or loaded.damaged:
                    problems.append(str(Message("sync.recover.part-lost", doc=doc)))
                result = replicas.apply_batch(doc, rebuilt.change_bytes(), "recovered")
                counts[doc] = len(result.applied)
            db = replicas.db
            for doc, change in found.own_changes:
                db.own_changes.add(doc, [change])
            for doc, change, device, sig in found.signatures:
                db.signatures.add(doc, [(change, device, sig)], "recovered")
            for doc, digest, device, data, changes in found.vouchers:
                db.vouchers.add(doc, digest, device, data, "recovered", changes)
    return Recovered(Path(source), counts, taken, tuple(problems))


def _take_settings(replicas: Replicas, salvaged: dict[str, str], source: Path) -> tuple[str, ...]:
    settings = replicas.db.settings
    here = settings.get("office")
    if here is not None and salvaged.get("office") not in (None, here):
        raise Refusal(Message("sync.recover.other-office", file=str(source),
                              office=salvaged["office"], here=here))
    taken = []
    # "office" last: it is what makes a home an office, so a failure before it leaves none
    for key, value in sorted(salvaged.items(), key=lambda item: item[0] == "office"):
        if settings.get(key) is None:
            settings.set(key, value)
            taken.append(key)
    return tuple(sorted(taken))
