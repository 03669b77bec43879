"""Program files (方案) published in the township document: adding one (the township's
act), reading them back parsed, and the period a day falls in.

A program is parsed once per source text: reading it again only compares the stored
text with the one parsed last.
"""

from __future__ import annotations

from datetime import date

from vledger.domain.program import YEAR, Program
from vledger.domain.program_file import ProgramError, load_program
from vledger.sync.services.context import OfficeContext
from vledger.sync.services.permissions import Refusal


class ProgramService:
    """The township's programs, as this office holds them."""

    def __init__(self, context: OfficeContext) -> None:
        self._context = context
        self._parsed: dict[str, tuple[str, Program]] = {}  # id -> (its text, parsed)

    def ids(self) -> list[str]:
        return self._context.township_doc().program_ids()

    def all(self) -> list[Program]:
        return [self.get(p) for p in self.ids()]

    def get(self, program_id: str) -> Program:
        """The published program; Refusal when there is none with this id."""
        source = self._context.township_doc().program_source(program_id)
        if source is None:
            known = ", ".join(self.ids()) or "none yet"
            raise Refusal(f"no program {program_id} (published: {known})")
        cached = self._parsed.get(program_id)
        if cached is not None and cached[0] == source:
            return cached[1]
        try:
            program = load_program(source, f"{program_id}.toml")
        except ProgramError as error:  # a peer published a file this version cannot read
            raise Refusal(*error.problems) from None
        self._parsed[program_id] = (source, program)
        return program

    def add(self, text: str, filename: str) -> Program:
        """Validate a program file and add it (replacing one with the same id)."""
        context = self._context
        context.require_township("publish programs")
        try:
            program = load_program(text, filename)
        except ProgramError as error:
            raise Refusal(*error.problems) from None
        year = context.me.year
        if program.year != year:
            raise Refusal(
                f"{filename}: program {program.id} is for {program.year}, but this office "
                f"keeps the documents of {year}"
            )
        context.write(lambda: context.township_doc().publish_program(
            context.who, program.id, text))
        return program

    @staticmethod
    def current_period(program: Program, today: date | None = None) -> str:
        """The period containing `today`, else "year"."""
        today = today or date.today()
        for period in program.periods:
            if period.contains(today):
                return period.id
        return YEAR
