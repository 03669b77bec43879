"""Program files (方案) published in the township documents: adding one (the township's
act), reading them back parsed, and the period a day falls in.

A program belongs to one year (its file says which; its dates fall inside it) and is
published in the township document of that year; the ledgers kept for it are the
village documents of that year. A home keeps every year: adding a program of a year this
home holds no documents of yet makes them (the township's, and each village's that is on
the roster for that year), in the same transaction that publishes it. Commands name
programs by id, so a program id is unique across the years.

Cost stays flat with the years held: the programs of the year shown first are read from
its township document (open anyway); another year's township document is opened only
when one of its programs is asked for, and which ids a year holds is kept in the store's
caches by that document's heads, so looking a program up does not load every year.

A program is parsed once per source text: reading it again only compares the stored
text with the one parsed last.
"""

from __future__ import annotations

from datetime import date

from vledger.domain.program import YEAR, Program
from vledger.errors import VledgerError
from vledger.sync.documents.parsed_programs import keep_program, parsed_program
from vledger.sync.documents.replica import TOWNSHIP, VILLAGE
from vledger.sync.services.context import OfficeContext
from vledger.sync.services.permissions import Refusal

PROGRAMS_KEY = "__programs__"  # a reserved "program" in the store's measures cache
PROGRAMS_VERSION = "programs-1"


class ProgramService:
    """The township's programs of every year, as this office holds them."""

    def __init__(self, context: OfficeContext) -> None:
        self._context = context
        self._parsed: dict[str, tuple[str, Program]] = {}  # id -> (its text, parsed)

    # -- years --------------------------------------------------------------------------

    def years(self) -> list[int]:
        """The years this home holds programs' documents of: the year shown first, then
        the others, newest first."""
        held = self._context.years()
        shown = self._context.me.year
        return [y for y in held if y == shown] + sorted((y for y in held if y != shown),
                                                        reverse=True)

    def ids(self, year: int | None = None) -> list[str]:
        """The published programs' ids: of `year`, or of every year held (the year shown
        first, then the others newest first)."""
        years = [year] if year is not None else self.years()
        return [p for y in years for p in self._ids_of(y)]

    def first_id(self) -> str | None:
        """The program a screen opens on when none was chosen: the first of the year
        shown first (another year's only when that year has none)."""
        return next((ids[0] for y in self.years() if (ids := self._ids_of(y))), None)

    def all(self, year: int | None = None) -> list[Program]:
        return [self.get(p) for p in self.ids(year)]

    def year_of(self, program_id: str) -> int | None:
        """The year whose township document publishes `program_id` (None: no year does)."""
        return next((y for y in self.years() if program_id in self._ids_of(y)), None)

    def _ids_of(self, year: int) -> list[str]:
        context = self._context
        store = context.store
        document = context.township_doc_id(year)
        if not store.has_document(document):
            return []
        if year == context.me.year or store.is_open(document):
            return store.township(document).program_ids()
        heads = store.heads(document)
        cached = store.db.caches.get(document, PROGRAMS_KEY, heads, PROGRAMS_VERSION)
        if isinstance(cached, list) and all(isinstance(p, str) for p in cached):
            return list(cached)
        try:
            found = store.township(document).program_ids()
            if store.heads(document) == heads:  # not written meanwhile: the list is for `heads`
                store.db.caches.put(document, PROGRAMS_KEY, heads, found, PROGRAMS_VERSION)
        finally:
            context.close_unless(document, was_open=False)
        return found

    # -- one program --------------------------------------------------------------------

    def get(self, program_id: str) -> Program:
        """The published program, of whichever year; Refusal when there is none."""
        found = self._source(program_id)
        if found is None:
            known = ", ".join(self.ids()) or "none yet"
            raise Refusal(f"no program {program_id} (published: {known})")
        year, source = found
        cached = self._parsed.get(program_id)
        if cached is not None and cached[0] == source:
            return cached[1]
        context = self._context
        try:  # parsed at an earlier start, if the text is the same
            program = parsed_program(context.store.db.caches, context.township_doc_id(year),
                                     program_id, source)
        except VledgerError as error:  # a peer published a file this version cannot read
            from vledger.domain.program_file import ProgramError

            if not isinstance(error, ProgramError):
                raise
            raise Refusal(*error.problems) from None
        self._parsed[program_id] = (source, program)
        return program

    def _source(self, program_id: str) -> tuple[int, str] | None:
        """The year that publishes `program_id`, and its text there."""
        # The year it was found in last time first: asked again (every edit of a ledger
        # session asks), no other year is looked at.
        cached = self._parsed.get(program_id)
        if cached is not None:
            source = self._source_in(cached[1].year, program_id)
            if source is not None:
                return cached[1].year, source
        held = self.year_of(program_id)
        source = None if held is None else self._source_in(held, program_id)
        return None if held is None or source is None else (held, source)

    def _source_in(self, year: int, program_id: str) -> str | None:
        store = self._context.store
        document = self._context.township_doc_id(year)
        if not store.has_document(document):
            return None
        return store.township(document).program_source(program_id)

    def add(self, text: str, filename: str) -> Program:
        """Validate a program file and publish it in its year's township document
        (replacing one with the same id), making that year's documents if this home holds
        none yet. A program's year is fixed: an id published for another year is refused."""
        from vledger.domain.program_file import ProgramError, load_program

        context = self._context
        context.require_township("publish programs")
        try:
            program = load_program(text, filename)
        except ProgramError as error:
            raise Refusal(*error.problems) from None
        held = self.year_of(program.id)
        if held is not None and held != program.year:
            raise Refusal(
                f"{filename}: program {program.id} is published for {held}; a program's "
                f"year is fixed, so give the {program.year} program another id"
            )
        store = context.store
        made: list[str] = []
        with store.transaction():  # the year's documents and the program, or nothing
            made = self._make_year(program.year)
            context.write(lambda: context.township_doc(program.year).publish_program(
                context.who, program.id, text))
        for village in made:
            context.release(village, program.year)  # made, not needed open
        # Kept parsed for the next start (the text is the one just published).
        keep_program(store.db.caches, context.township_doc_id(program.year), program.id,
                     program)
        return program

    def _make_year(self, year: int) -> list[str]:
        """Make the township document of `year` and the documents of `year` of every
        village on the roster for it, where missing (inside the caller's transaction);
        the villages whose document was made."""
        context = self._context
        store = context.store
        store.create_document(context.township_doc_id(year), TOWNSHIP)
        made = []
        for office in context.roster_doc().offices():
            if office.kind != VILLAGE or not office.in_year(year):
                continue
            document = context.village_doc_id(office.id, year)
            if not store.has_document(document):
                store.create_document(document, VILLAGE)
                made.append(office.id)
        return made

    @staticmethod
    def current_period(program: Program, today: date | None = None) -> str:
        """The period containing `today`, else "year"."""
        today = today or date.today()
        for period in program.periods:
            if period.contains(today):
                return period.id
        return YEAR
