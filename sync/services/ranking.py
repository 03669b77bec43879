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
from collections.abc import Sequence

from vledger.domain.indicators import VillageMeasures, measure
from vledger.domain.program import Program
from vledger.domain.ranking import RankingError, RankingSheet, rank_sheet
from vledger.messages import Message
from vledger.sync.documents.replicas import Replicas
from vledger.sync.services.context import OfficeContext
from vledger.sync.services.measuring import Measured, helper_count, measure_all
from vledger.sync.services.permissions import Refusal
from vledger.sync.services.programs import ProgramService
from vledger.sync.services.roster import RosterService
from vledger.sync.services.sheets import SheetService


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
    transaction at the end: one fsync for a cold township instead of one per
    village, and no store lock held while ledgers are read. Many closed documents to
    measure are shared with `helpers` processes (default: one per spare core; see
    measuring.py).
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
    ))
    if fresh:
        with store.transaction():
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
        village = store.village(document)
        rows = village.rows(program.id, include_deleted=True)
        return village.replica.heads(), measure(program, rows)
    finally:
        if not was_open:
            store.close_document(document)
