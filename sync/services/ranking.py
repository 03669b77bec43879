"""The ranking sheet (排名) of a program for a period, computed from every village's
ledger and the township's sheets.

Ranking never holds every village document open: each village's measures are cached in
the store keyed by its document's heads and the program's text (measures.py), and a
village document opened only to be measured is closed again.
"""

from __future__ import annotations

from vledger.domain.ranking import RankingError, RankingSheet, rank_sheet
from vledger.sync.services.context import OfficeContext
from vledger.sync.services.measures import villages_measures
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
            raise Refusal(
                f"no period {period} in program {program.id} "
                f"(periods: {', '.join(program.period_ids)})"
            )
        villages = self._roster.villages()
        missing = [v.id for v in villages if not context.holds(v.id)]
        if missing:
            raise Refusal(
                f"this office does not hold the ledgers of {', '.join(missing)}; "
                "sync with the township before ranking"
            )
        documents = {v.id: context.village_doc_id(v.id) for v in villages}
        by_document = villages_measures(context.store, program, list(documents.values()))
        measures = {village: by_document[document] for village, document in documents.items()}
        try:
            return rank_sheet(program, villages, measures, self._sheets.inputs(program.id),
                              period)
        except RankingError as error:
            raise Refusal(str(error)) from None
