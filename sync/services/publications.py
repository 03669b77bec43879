"""Publishing a ranking (通报): freeze the sheet the township announces, show it exactly as
announced, and say what has moved since and which late edits moved it.

A publication (domain/publication.py) lives in the township document (documents/
township.py), so it is written by the one write path, signed and checked like every
change, and reaches every office by sync or bundle. It records the heads of every
document its sheet was computed from; `recompute` computes the sheet again from the
documents as they were at those heads (ranking.sheet_at), which gives the stored sheet.

Late edits of a publication are the recorded edits of this township's documents that
are not in their journals at the publication's heads and that touch its program's
period (`domain.publication.touches_period`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vledger.clock import now_iso
from vledger.domain.history import JournalEntry
from vledger.domain.program import Program
from vledger.domain.publication import (
    FieldChange,
    Labels,
    Publication,
    latest,
    latest_each,
    moved_cells,
    sheet_changes,
    touches_period,
)
from vledger.domain.ranking import RankingSheet
from vledger.messages import Message
from vledger.sync.documents.replica import parse_doc_id
from vledger.sync.documents.township import TownshipDoc
from vledger.sync.services.context import OfficeContext
from vledger.sync.services.journal_diff import entries_between, row_cells
from vledger.sync.services.permissions import Refusal
from vledger.sync.services.programs import ProgramService
from vledger.sync.services.ranking import RankingService, program_version, sheet_at
from vledger.sync.services.roster import RosterService
from vledger.sync.services.sheet_export import (
    SheetTable,
    check_export,
    export_sheet,
    sheet_table,
)

MAX_NOTE = 500  # characters of a publication's note
LATE_KEY = "__late__/"  # + a publication id: a reserved "program" in the measures cache
LATE_VERSION = "late-1"  # bump when what is kept, or how late edits are found, changes
_TRIES = 3  # sheets computed while documents kept changing, before giving up


@dataclass(frozen=True)
class Changes:
    """What differs now from a publication (`rank --changes`)."""

    publication: Publication
    now: dict[str, Any]  # the sheet now, as `rank --json`
    changes: list[FieldChange]  # the CHANGE_FIELDS that differ
    moved: list[FieldChange]  # every number that differs (items too), for the screen
    late: list[JournalEntry] = field(default_factory=list)  # oldest first

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "program": self.publication.program, "period": self.publication.period,
            "published": self.publication.stamp(),
            "changes": [c.to_json_dict() for c in self.changes],
            "late_edits": [e.id for e in self.late],
        }


class PublicationService:
    """The township's publications, as this office holds them."""

    def __init__(
        self, context: OfficeContext, programs: ProgramService, roster: RosterService,
        ranking: RankingService,
    ) -> None:
        self._context = context
        self._programs = programs
        self._roster = roster
        self._ranking = ranking
        # ((data version, year asked for), late edit ids)
        self._late_seen: tuple[tuple[str, int | None], set[str]] | None = None

    # -- reading ------------------------------------------------------------------------

    def _township(self, program_id: str) -> TownshipDoc:
        # A program's publications are kept in the township document that holds the
        # program: the one of its year.
        return self._context.township_doc(self._programs.get(program_id).year)

    def all(self, program_id: str | None = None, year: int | None = None) -> list[Publication]:
        """Every publication (of one program, else of `year`'s programs, else of every
        year's), by program, period and version."""
        if program_id is not None:
            found, _ = self._township(program_id).publications()
            return [p for p in found if p.program == program_id]
        every: list[Publication] = []
        for held in [year] if year is not None else self._programs.years():
            every += self._context.township_doc(held).publications()[0]
        return sorted(every, key=lambda p: (p.program, p.period, p.version))

    def latest(self, program_id: str, period: str | None = None) -> Publication:
        """The latest publication of the program's period; Refusal when there is none."""
        program = self._programs.get(program_id)
        period = period or self._programs.current_period(program)
        self._check_period(program, period)
        found = latest(self.all(program.id), program.id, period)
        if found is None:
            raise Refusal(Message("publish.none", program=program.id, period=period))
        return found

    def find(self, publication_id: str) -> Publication:
        found = next((p for p in self.all() if p.id == publication_id), None)
        if found is None:
            raise Refusal(Message("publish.no-such", id=publication_id))
        return found

    @staticmethod
    def _check_period(program: Program, period: str) -> None:
        if period not in program.period_ids:
            raise Refusal(Message("ranking.no-period", period=period, program=program.id,
                                  periods=list(program.period_ids)))

    # -- publishing -------------------------------------------------------------------

    def publish(self, program_id: str, period: str, note: str = "") -> Publication:
        """Freeze the sheet of `period` as it is now; the new publication."""
        context = self._context
        context.require_township("publish rankings")
        program = self._programs.get(program_id)
        self._check_period(program, period)
        note = (note or "").strip()
        if len(note) > MAX_NOTE:
            raise Refusal(Message("publish.note-long", limit=MAX_NOTE))
        for _ in range(_TRIES):
            heads = self._ranking.heads(program.id)
            sheet = self._ranking.sheet(program.id, period)
            if self._ranking.heads(program.id) == heads:
                break
        else:
            raise Refusal(Message("publish.busy"))
        township = self._township(program.id)
        earlier = [p.version for p in self.all(program.id) if p.period == period]
        me = context.me
        publication = Publication(
            id=township.new_publication_id(), program=program.id, period=period,
            version=max(earlier, default=0) + 1, at=now_iso(), office=me.office,
            device=me.device, user=me.user, note=note,
            heads={d: tuple(h.hex() for h in hs) for d, hs in heads.items()},
            sheet=sheet.to_json_dict(), labels=self._labels(program, sheet),
        )
        context.write(lambda: township.publish(context.who, publication))
        return publication

    # -- the sheet as published, and what moved -------------------------------------------

    def recompute(self, publication: Publication, *, cached: bool = True) -> RankingSheet:
        """The publication's sheet computed again from the documents as they were at its
        recorded heads (Refusal when this office lacks some of them)."""
        heads = {d: [bytes.fromhex(h) for h in hs] for d, hs in publication.heads.items()}
        year = self._programs.year_of(publication.program)
        township = next((d for d in heads if parse_doc_id(d)[1] == parse_doc_id(d)[0]
                         and (year is None or parse_doc_id(d)[2] == year)), "")
        return sheet_at(self._context.store, township, publication.program,
                        publication.period, heads, cached=cached)

    def changes(self, program_id: str, period: str | None = None) -> Changes:
        """What differs now from the latest publication of the period, and the late edits."""
        publication = self.latest(program_id, period)
        return self.changes_since(publication)

    def changes_since(self, publication: Publication,
                      now: RankingSheet | None = None) -> Changes:
        """What differs between `publication` and the sheet now (computed when not given)."""
        if now is None:
            now = self._ranking.sheet(publication.program, publication.period)
        current = now.to_json_dict()
        return Changes(publication, current, sheet_changes(publication.sheet, current),
                       moved_cells(publication.sheet, current), self.late_edits(publication))

    def latest_of(self, program_id: str, period: str) -> Publication | None:
        """The latest publication of the period, None when there is none (no refusal)."""
        return latest(self.all(program_id), program_id, period)

    def late_edits(self, publication: Publication) -> list[JournalEntry]:
        """The recorded edits the publication did not include that touch its period,
        oldest first."""
        program = self._programs.get(publication.program)
        found: list[JournalEntry] = []
        for document in self._context.documents(None, program.year):
            found += self._late_in(document, publication, program)
        return sorted(found, key=lambda e: (e.instant, e.id))

    def _late_in(self, document: str, publication: Publication,
                 program: Program) -> list[JournalEntry]:
        """The document's late edits for `publication`, kept in the store by the document's
        heads: the ranking screen asks on every change, and a document that has not
        changed is not opened again (a township holds sixty village documents)."""
        store = self._context.store
        heads = store.heads(document)
        name = f"{LATE_KEY}{publication.id}"
        version = f"{LATE_VERSION}:{program_version(program)}"
        cached = store.db.caches.get(document, name, heads, version)
        if isinstance(cached, list):
            try:
                return [JournalEntry.from_plain(str(p["id"]), p) for p in cached]
            except (KeyError, TypeError, ValueError):
                pass  # a damaged cache row is only a miss
        found = self._find_late(document, publication, program)
        if store.heads(document) == heads:  # not written meanwhile: the answer is for `heads`
            try:
                plain = [{**e.to_plain(), "id": e.id} for e in found]
                with store.transaction(durable=False):
                    store.db.caches.put(document, name, heads, plain, version)
            except (TypeError, ValueError):
                pass  # a value msgpack cannot keep: found again next time
        return found

    def _find_late(self, document: str, publication: Publication,
                   program: Program) -> list[JournalEntry]:
        store = self._context.store
        was_open = store.is_open(document)
        try:
            doc = store.document(document)
            heads = [bytes.fromhex(h) for h in publication.heads.get(document, ())]
            township = parse_doc_id(document)[1] == self._context.me.township
            found = []
            for entry in entries_between(doc, heads or None):
                days: list[object] = []
                if not township and entry.program == program.id:
                    days.append(row_cells(doc, program.id, entry.row).get(program.date_column))
                if touches_period(entry, program, publication.period, days):
                    found.append(entry)
            return found
        finally:
            self._context.close_unless(document, was_open)

    # -- exports -----------------------------------------------------------------------------

    def table(self, program_id: str, period: str | None = None, *,
              published: bool = False) -> SheetTable:
        """The sheet as an export writes it: the latest publication of the period, or the
        live sheet."""
        date = now_iso()[:10]
        lang = self._context.lang
        if published:
            publication = self.latest(program_id, period)
            return sheet_table(publication.sheet, publication.labels, lang, date, publication)
        program = self._programs.get(program_id)
        sheet = self._ranking.sheet(program.id, period)
        labels = self._labels(program, sheet)
        return sheet_table(sheet.to_json_dict(), labels, lang, date)

    def export(self, program_id: str, period: str | None, path: Path | str, *,
               published: bool = False) -> Path:
        """Write the sheet (live or published) to `path`: .xlsx, .csv or .html."""
        check_export(path)
        return export_sheet(path, self.table(program_id, period, published=published))

    def _labels(self, program: Program, sheet: RankingSheet) -> Labels:
        # The township's name is kept with the roster (context.py), in one year's document.
        return labels_of(self._context.roster_doc().name, program, sheet)

    def late_edit_ids(self, year: int | None = None) -> set[str]:
        """Edits late for the latest publication of some program's period (`history`
        marks them), of `year`'s programs only when given (another year's documents are
        not opened); kept until any document changes."""
        version = (self._context.store.db.documents.digest(), year)
        if self._late_seen is not None and self._late_seen[0] == version:
            return self._late_seen[1]
        found: set[str] = set()
        for publication in latest_each(self.all(year=year)):
            try:
                found |= {e.id for e in self.late_edits(publication)}
            except Refusal:
                continue  # its program is gone or unreadable here: nothing to mark
        self._late_seen = (version, found)
        return found


def labels_of(township: str, program: Program, sheet: RankingSheet) -> Labels:
    """The names the sheet is shown with now, kept with its publication."""
    return Labels(
        township=township, program=program.title, period=sheet.period_title,
        villages={r.village: r.name for r in sheet.rows},
        areas={r.village: r.area for r in sheet.rows if r.area},
        items={i.id: i.title for i in program.items},
    )
