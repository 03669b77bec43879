"""Refusals and the rules of who may write what (design.md, used by every service).

`Refusal` is what a service raises for anything this office will not do: a
`VledgerError`, so the CLI ends with exit 1 and one line per problem, and the UI
shows it. Typed rows (ledger cells as a clerk types them) are parsed here too, so a
refusal can name every bad cell at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from vledger.domain.program import CellValue, Column, Program
from vledger.errors import VledgerError
from vledger.messages import say

OFFICE_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,15}\Z")
TOWNSHIP_KIND, VILLAGE_KIND = "township", "village"


class Refusal(VledgerError):
    """What this office will not do, one line per problem; nothing was written.

    A problem is a line of text or a catalogue `Message` (or a domain problem that says
    itself in a language), which the front ends say in the clerk's language.
    `cells` locates problems of `add_rows`/`set_cells` for callers that report them
    in their own terms (the command line names the column of the one row it typed).
    """

    problems: list[object]

    def __init__(self, *problems: object, cells: Sequence[CellProblem] = ()) -> None:
        super().__init__(*problems)
        self.problems = list(problems)
        self.cells = list(cells)


@dataclass(frozen=True)
class CellProblem:
    """A refused cell: `row` is the 0-based index in the rows given, `column` the key given."""

    row: int
    column: str
    message: str


def check_office_id(office_id: str, what: str = "office") -> None:
    if not isinstance(office_id, str) or not OFFICE_ID.match(office_id):
        raise Refusal(
            f"{what} id {office_id!r} must be 1-16 lowercase letters, digits or '-', "
            "starting with a letter or digit (like v01)"
        )


def require_township(kind: str, office_id: str, action: str) -> None:
    """Only the township office writes the township document."""
    if kind != TOWNSHIP_KIND:
        raise Refusal(f"only the township office can {action}; this is village office {office_id}")


def ledger_village(
    kind: str, office_id: str, roster: Iterable[str], village: str | None, *, writing: bool
) -> str:
    """The village a ledger action is about: a village writes only its own ledgers, the
    township any village's (corrections); None means this office's own."""
    if village is None:
        if kind == TOWNSHIP_KIND:
            raise Refusal("the township keeps no ledger of its own; name a village (--village)")
        return office_id
    if village not in set(roster):
        raise Refusal(f"no village {village} on the roster")
    if writing and kind != TOWNSHIP_KIND and village != office_id:
        raise Refusal(f"village office {office_id} writes only its own ledgers, not {village}'s")
    return village


# -- parsing typed rows --------------------------------------------------------------------


def columns_by_name(program: Program) -> dict[str, Column]:
    """Columns by id and by title (a header may use either)."""
    found: dict[str, Column] = {}
    for column in program.columns:
        found.setdefault(column.title, column)
    for column in program.columns:
        found[column.id] = column
    return found


def parse_rows(
    program: Program, rows: Iterable[Mapping[str, str]], lang: str = "en", *, whole_rows: bool
) -> tuple[list[dict[str, CellValue]], list[CellProblem]]:
    """Rows typed as text parsed by their columns' types, and every refused cell.

    `whole_rows` (adding rows): columns left out count as empty, so a required
    column that is missing is refused; otherwise only the given cells are parsed.
    """
    # Here, not at the top: opening an office (every start of the UI) has no use for the
    # cell parser and its tables.
    from vledger.domain.values import ValueProblem, parse_cell

    by_name = columns_by_name(program)
    parsed: list[dict[str, CellValue]] = []
    problems: list[CellProblem] = []
    for index, row in enumerate(rows):
        cells: dict[str, CellValue] = {}
        for key, raw in row.items():
            column = by_name.get(key.strip() if isinstance(key, str) else key)
            if column is None:
                message = say(lang, "ledger.no-such-column", program=program.id)
                problems.append(CellProblem(index, key, message))
                continue
            try:
                cells[column.id] = parse_cell(column, raw if isinstance(raw, str) else str(raw))
            except ValueProblem as problem:
                problems.append(CellProblem(index, key, problem.text(lang)))
        if whole_rows:
            for column in program.columns:
                if column.id not in cells and column.required and not _named(row, column):
                    try:
                        parse_cell(column, "")
                    except ValueProblem as problem:
                        problems.append(CellProblem(index, column.id, problem.text(lang)))
        parsed.append(cells)
    return parsed, problems


def _named(row: Mapping[str, str], column: Column) -> bool:
    return any(k in (column.id, column.title) for k in row)


def refuse_cells(problems: Sequence[CellProblem]) -> None:
    if problems:
        raise Refusal(
            *(f"row {p.row + 1}: {p.column}: {p.message}" for p in problems), cells=problems
        )
