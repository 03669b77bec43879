"""The ranking sheet (排名) of a program for a period, from every village's measures.

The township ranks sixty villages for every period of every program; measuring means
reading every ledger row, and an open village document costs megabytes (design.md,
design.md, Store). So a village's indicator measures are kept in the store's `measures` table keyed
by the document's heads (read without opening it) and the program's text: a village whose
ledger has not changed since it was last measured is never opened, and one opened only to
be measured is closed again. Measuring reads the ledger map only: opening a document
builds no journal index, so no journal entry is decoded.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Mapping, Sequence

from vledger.collection import paused
from vledger.domain.indicators import VillageMeasures, measure, measure_values
from vledger.domain.program import Program
from vledger.domain.program_file import ProgramError
from vledger.domain.ranking import RankingError, RankingSheet, rank_sheet
from vledger.domain.villages import Village
from vledger.messages import Message
from vledger.sync.documents.ledger import VillageDoc
from vledger.sync.documents.replica import Replica, doc_id, parse_doc_id
from vledger.sync.documents.replicas import Replicas
from vledger.sync.documents.township import Office as RosterEntry
from vledger.sync.documents.township import TownshipDoc
from vledger.sync.services.context import OfficeContext
from vledger.sync.services.measuring import Measured, helper_count, measure_all
from vledger.sync.services.permissions import Refusal
from vledger.sync.services.programs import ProgramService
from vledger.sync.services.roster import RosterService
from vledger.sync.services.sheets import SheetService, inputs_of

Heads = Mapping[str, Sequence[bytes]]  # document id -> heads


class RankingService:
    def __init__(
        self, context: OfficeContext, programs: ProgramService, roster: RosterService,
        sheets: SheetService,
    ) -> None:
        self._context = context
        self._programs = programs
        self._roster = roster
        self._sheets = sheets

    def sheet(self, program_id: str, period: str | None = None) -> RankingSheet:
        """The ranking sheet for `period` (a period id or "year"; default: today's period)."""
        context = self._context
        program = self._programs.get(program_id)
        period = period or self._programs.current_period(program)
        if period not in program.period_ids:
            raise Refusal(Message("ranking.no-period", period=period, program=program.id,
                                  periods=list(program.period_ids)))
        # The villages taking part in the program's year, from their documents of it.
        villages = self._roster.villages(program.year)
        missing = [v.id for v in villages if not context.holds(v.id, program.year)]
        if missing:
            raise Refusal(Message("ranking.not-held", villages=missing))
        documents = {v.id: context.village_doc_id(v.id, program.year) for v in villages}
        by_document = villages_measures(context.store, program, list(documents.values()))
        measures = {village: by_document[document] for village, document in documents.items()}
        try:
            return rank_sheet(program, villages, measures, self._sheets.inputs(program.id),
                              period)
        except RankingError as error:
            raise Refusal(*error.problems) from None


    def heads(self, program_id: str) -> dict[str, list[bytes]]:
        """The heads of every document the program's sheets are computed from now: the
        township's of its year, the roster's, and every village's of its year that this
        office holds."""
        context = self._context
        year = self._programs.get(program_id).year
        documents = [context.township_doc_id(year), context.roster_doc_id] + [
            context.village_doc_id(v.id, year) for v in self._roster.villages(year)]
        return {d: context.store.heads(d) for d in documents if context.store.has_document(d)}


# -- the sheet as the documents were ----------------------------------------------------


def frozen(store: Replicas, document: str, heads: Sequence[bytes]) -> Replica | None:
    """The document as it was at `heads`, to read (nobody writes to it); None when this
    home does not hold every change those heads name."""
    doc = store.document(document)
    if not doc.has(list(heads)):
        return None
    return Replica(document, doc.fork(list(heads)), secrets.token_bytes(16), None)


class Abandoned(Exception):
    """Work given up because its caller said so (a server that stops)."""


def sheet_at(
    store: Replicas, township_document: str, program_id: str, period: str, heads: Heads, *,
    cached: bool = True, abandon: Callable[[], bool] | None = None,
) -> RankingSheet:
    """The ranking sheet of `period` as the documents were at `heads`: the roster, program
    and sheets of the township document then, each village's ledger then. `cached=False`
    measures every ledger afresh instead of trusting the measures kept for those heads.

    Refusal when this home lacks some of those changes (or some village's document is not
    in `heads`: it could not be ranked then), or the program was not there.
    """
    township_heads = heads.get(township_document)
    if township_heads is None:
        raise Refusal(Message("publish.not-held", documents=[township_document]))
    replica = frozen(store, township_document, township_heads)
    if replica is None:
        raise Refusal(Message("publish.not-held", documents=[township_document]))
    township = TownshipDoc(replica)
    try:
        program = township.program(program_id)
    except (KeyError, ProgramError):
        raise Refusal(Message("publish.no-program-then", program=program_id)) from None
    town, _, year = parse_doc_id(township_document)
    villages = [Village(o.id, o.name, o.area or None) for o in _roster_at(store, township, heads)
                if o.kind == "village" and o.in_year(year)]
    documents = {v.id: doc_id(town, v.id, year) for v in villages}
    missing = [d for d in documents.values() if d not in heads or not store.has_document(d)]
    if missing:  # a village not held then could not be ranked then
        raise Refusal(Message("publish.not-held", documents=missing))
    measures = {}
    for village, document in documents.items():
        if abandon is not None and abandon():
            raise Abandoned
        measures[village] = measures_at(store, program, document, heads[document],
                                        cached=cached)
    try:
        return rank_sheet(program, villages, measures, inputs_of(township, program.id), period)
    except RankingError as error:
        raise Refusal(*error.problems) from None


def _roster_at(store: Replicas, township: TownshipDoc, heads: Heads) -> list[RosterEntry]:
    """The roster as it was at `heads`: kept in one township document of all the years
    (context.py), the program's own or another year's among `heads`."""
    found = township.offices()
    if found:
        return found
    town = parse_doc_id(township.replica.doc_id)[0]
    for document in sorted(heads):
        if document == township.replica.doc_id or parse_doc_id(document)[:2] != (town, town):
            continue
        replica = frozen(store, document, heads[document])
        other = [] if replica is None else TownshipDoc(replica).offices()
        if other:
            return other
    return []


def measures_at(
    store: Replicas, program: Program, document: str, heads: Sequence[bytes], *,
    cached: bool = True,
) -> VillageMeasures:
    """The measures of one village document as it was at `heads`. The store keeps one
    measure per document and program, the latest: one for older heads is used when it is
    there, and kept only when `heads` are the document's heads now."""
    version = program_version(program)
    key = list(heads)
    if cached:
        found = _cached(store, program, document, key, version)
        if found is not None:
            return found
    was_open = store.is_open(document)
    try:
        replica = frozen(store, document, heads)
        if replica is None:
            raise Refusal(Message("publish.not-held", documents=[document]))
        found = measure_values(program, VillageDoc(replica).rows_to_measure(program))
    finally:
        if not was_open:
            store.close_document(document)
    if cached and sorted(store.heads(document)) == sorted(key):
        with store.transaction(durable=False):
            store.db.caches.put(document, program.id, key, found.to_plain(), version)
    return found


# -- measures, cached by heads ----------------------------------------------------------


def program_version(program: Program) -> str:
    """Changes whenever the program file does (its columns, indicators or periods may have)."""
    return hashlib.sha256(program.source.encode("utf-8")).hexdigest()


def villages_measures(
    store: Replicas, program: Program, documents: Sequence[str], *, helpers: int | None = None
) -> dict[str, VillageMeasures]:
    """The measures of `program` over each village document's rows (empty for a document
    not held), by document.

    The cache rows of the villages measured afresh are written together in one
    transaction at the end that does not wait for the disk (a cache): one commit
    instead of one per village, and no store lock held while ledgers are read. Many
    closed documents to measure are shared with `helpers` processes (default: one per
    spare core; see measuring.py).
    """
    version = program_version(program)
    found: dict[str, VillageMeasures] = {}
    stale: list[str] = []
    for document in documents:
        if not store.has_document(document):
            found[document] = measure(program, [])
            continue
        cached = _cached(store, program, document, store.heads(document), version)
        if cached is None:
            stale.append(document)
        else:
            found[document] = cached
    # Documents already open here are measured here (no load to save); the rest may
    # be shared with helper processes, unless a transaction of ours is open: they
    # would not see what it wrote.
    fresh = {d: _measure(store, program, d) for d in stale if store.is_open(d)}
    closed = [d for d in stale if d not in fresh]
    if store.db.in_transaction:
        helpers = 0
    elif helpers is None:
        helpers = helper_count()
    fresh.update(measure_all(
        store.home, program, closed, lambda document: _measure(store, program, document),
        helpers=helpers, stored_bytes=store.db.documents.stored_bytes(closed) if helpers else 0,
        stored=store.db.documents.read,
    ))
    if fresh:
        # A cache: a power cut may lose it (the next ranking measures again), so its
        # commit does not wait for the disk, as measures_at's does not.
        with store.transaction(durable=False):
            for document, (heads, measured) in fresh.items():
                store.db.caches.put(document, program.id, heads, measured.to_plain(), version)
    for document, (_, measured) in fresh.items():
        found[document] = measured
    return {document: found[document] for document in documents}


def _cached(
    store: Replicas, program: Program, document: str, heads: list[bytes], version: str
) -> VillageMeasures | None:
    plain = store.db.caches.get(document, program.id, heads, version)
    if plain is None:
        return None
    try:
        found = VillageMeasures.from_plain(plain)
    except ValueError:
        return None  # a stale or damaged cache row: measure again
    return found if found.program == program.id else None


def _measure(store: Replicas, program: Program, document: str) -> Measured:
    was_open = store.is_open(document)
    try:
        with paused():  # reading and measuring a ledger makes no cycles to collect
            village = store.village(document)
            rows = village.rows_to_measure(program)
            return village.replica.heads(), measure_values(program, rows)
    finally:
        if not was_open:
            store.close_document(document)
