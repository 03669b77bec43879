"""The one receive gate: every change this home takes from outside comes through
`receive` — a sync (either side, either protocol), a bundle, an invitation at join.

The rule, the same for all of them:

- nothing that is not this township's, or not intact changes or a whole document,
  is looked at further: FrameError, nothing stored;
- every change is screened by the `ChangeCheck` the caller passes (trust/checks.py:
  signed by a device the signed roster lets write that document); the township
  document first, so a roster entry it brings (a newly enrolled village) counts for
  the other documents of the same call;
- what one call accepts is stored in ONE SQLite transaction with its signature
  records, and what it refuses is logged (with why) in that same transaction; per
  document a batch is all-or-nothing and idempotent (a batch whose dependencies are
  missing is refused alone and reported in `missing`);
- `whole_or_nothing` (join): any refused change refuses the whole call, and nothing
  is stored but the refusal log;
- a change refused before (say, by a device the roster did not know yet) and taken
  now leaves the refusal log: `vledger status` lists only what is still refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from vledger.sync.binding.chunks import (
    BadChange,
    MissingDependencies,
    change_actor_seq,
    parse_changes,
)
from vledger.sync.binding.doc import ROOT, Doc, load_checked
from vledger.sync.documents.replica import TOWNSHIP, VILLAGE, doc_id, parse_doc_id, roster_year
from vledger.sync.documents.replicas import Replicas
from vledger.sync.link.frames import FrameError
from vledger.sync.trust.checks import ChangeCheck
from vledger.sync.trust.roster import Roster, RosterError
from vledger.sync.trust.signatures import RefusedChange, Screened, log_refusals


@dataclass
class Received:
    """What receiving one document's part did."""

    applied: int = 0  # changes new to this replica
    missing: list[bytes] = field(default_factory=list)  # non-empty: batch refused, deps lacking
    refused: list[RefusedChange] = field(default_factory=list)  # not applied, and why
    changes: tuple[bytes, ...] = field(default=(), repr=False)  # the applied changes' bytes
    hashes: tuple[bytes, ...] = field(default=(), repr=False)  # and their hashes, in order


class RefusedWhole(FrameError):
    """A `whole_or_nothing` call in which some change was refused: nothing was stored."""

    def __init__(self, refused: list[RefusedChange]) -> None:
        super().__init__("refused", "; ".join(str(r) for r in refused))
        self.refused = refused


def belongs(doc: str, township: str) -> bool:
    try:
        return parse_doc_id(doc)[0] == township
    except ValueError:
        return False


def township_doc_of(replicas: Replicas, township: str) -> str:
    """The id of the township document holding the roster, whatever the year ("" before
    this home has an office): received first, as it decides whose changes the others
    may take."""
    year = roster_year(replicas.db.settings.all())
    return doc_id(township, township, year) if year else ""


def receive(
    replicas: Replicas,
    township: str,
    batches: Mapping[str, list[bytes]],
    origin: str,
    check: ChangeCheck,
    *,
    snapshots: Mapping[str, bytes] | None = None,
    sigs: Mapping[str, list[bytes]] | None = None,
    whole_or_nothing: bool = False,
) -> dict[str, Received]:
    """Accept what came in (the module docstring gives the rule).

    `batches`: per document, changes; `snapshots`: per document this home did not
    hold, its `save()`; `sigs`: per document, the signature records that came with
    them. FrameError for anything that is not this township's or not intact, or
    when this home cannot check (no pinned township key): then nothing is stored.
    """
    for doc in [*batches, *(snapshots or {})]:
        if not belongs(doc, township):
            raise FrameError("foreign_document",
                             f"{doc} is not a document of township {township}: refused")
    wholes = {doc: _whole_document(doc, data) for doc, data in (snapshots or {}).items()}
    sigs = sigs or {}
    found: dict[str, Received] = {}
    try:
        roster = check.roster(replicas, township)
        own_doc = township_doc_of(replicas, township)
        order = sorted({*batches, *wholes}, key=lambda d: (d != own_doc, d))
        with replicas.transaction():
            for doc in order:
                found[doc] = _receive_one(replicas, check, doc, batches.get(doc, []),
                                          wholes.get(doc), (snapshots or {}).get(doc),
                                          sigs.get(doc, []), origin, roster)
                if doc == own_doc and found[doc].applied:
                    roster = check.roster(replicas, township)  # what it says now
                    check.take_out_revoked(replicas, roster)
            refused = [r for got in found.values() for r in got.refused]
            if whole_or_nothing and refused:
                raise RefusedWhole(refused)
            log_refusals(replicas, refused, origin)
            for doc, got in found.items():  # refused before, taken now: no longer refused
                if got.hashes:
                    replicas.db.refusals.forget(doc, got.hashes)
    except RefusedWhole as whole:
        log_refusals(replicas, whole.refused, origin)
        raise
    except BadChange as problem:
        raise FrameError("bad_change", str(problem)) from None
    except RosterError as problem:
        raise FrameError("no_trust", f"{problem}; a village home gets the township's key by "
                         "joining with an invitation (`vledger join FILE`)") from None
    return found


def _receive_one(
    replicas: Replicas, check: ChangeCheck, doc: str, batch: list[bytes], whole: Doc | None,
    data: bytes | None, records: list[bytes], origin: str, roster: Roster,
) -> Received:
    """Screen and store one document's part (inside the caller's transaction)."""
    if whole is not None:
        batch = whole.change_bytes() + batch
    screened = check.screen(replicas, doc, batch, records, roster)
    if not screened.accepted:
        return Received(0, [], screened.refused)
    if whole is not None and not screened.refused and not replicas.has_document(doc) and (
        len(screened.accepted) == whole.change_count()
    ):
        assert data is not None
        replicas.store_snapshot(doc, data, whole.heads())
        check.keep(replicas, doc, screened, origin)
        return Received(len(screened.accepted), [], [], tuple(screened.accepted),
                        tuple(c.hash for c in whole.changes()))
    try:
        result = replicas.apply_batches({doc: screened.accepted}, origin,
                                        {doc: screened.parsed})[doc]
    except BadChange as problem:
        if not _refuse_clashes(replicas, doc, screened) or not screened.accepted:
            if screened.accepted:
                raise problem from None
            return Received(0, [], screened.refused)
        result = replicas.apply_batches({doc: screened.accepted}, origin,
                                        {doc: screened.parsed})[doc]
    if isinstance(result, MissingDependencies):
        return Received(0, result.missing or result.waiting, screened.refused)
    check.keep(replicas, doc, screened, origin)
    return Received(len(result.applied), [], screened.refused, result.changes, result.applied)


def _refuse_clashes(replicas: Replicas, doc: str, screened: Screened) -> bool:
    """Refuse the accepted changes that reuse an actor and sequence number a held change
    has (automerge refuses a whole batch for one), and what builds on them; whether any.

    Such pairs exist only in homes restored from a backup or copied by a vledger that
    wrote with one actor per home: the rest of the batch must still get through."""
    held = ({} if not replicas.has_document(doc) else
            {(c.actor, c.seq): c.hash for c in replicas.document(doc).changes()})
    infos = parse_changes(screened.accepted)
    bad: set[bytes] = set()
    for info in infos:
        pair = change_actor_seq(info)
        if held.setdefault(pair, info.hash) != info.hash:
            bad.add(info.hash)
            screened.refused.append(RefusedChange(
                doc, info.hash, "", "", "another change already has its automerge actor and "
                "number (a home restored from a backup or copied by an older vledger): the "
                "one held here stays"))
    if not bad:
        return False
    for info in infos:  # in causal order: what builds on a refused change is refused too
        if info.hash not in bad and any(d in bad for d in info.deps):
            bad.add(info.hash)
            screened.refused.append(RefusedChange(doc, info.hash, "", "",
                                                  "it builds on a refused change"))
    screened.parsed = [i for i in infos if i.hash not in bad]
    screened.accepted = [i.data for i in screened.parsed]
    screened.vouchers = [(v, [c for c in changes if c not in bad])
                         for v, changes in screened.vouchers]
    screened.signatures = [s for s in screened.signatures if s.change not in bad]
    return True


def _whole_document(doc: str, data: bytes) -> Doc:
    """A received `save()`, loaded and checked to be `doc` of its township; FrameError if not."""
    try:
        whole, _ = load_checked(data)
    except BadChange as problem:
        raise FrameError("bad_snapshot", f"{doc}: the document sent is unreadable "
                         f"({problem})") from None
    township, office, year = parse_doc_id(doc)
    header = {k: whole.read(ROOT, k) for k in ("kind", "township", "office", "year")}
    kind = TOWNSHIP if office == township else VILLAGE
    if (header["township"], header["office"], header["year"], header["kind"]) != (
        township, office, year, kind
    ):
        raise FrameError("foreign_document", f"the document sent as {doc} is another one "
                         f"({header['township']!s}/{header['office']!s}/{header['year']!s})")
    return whole
