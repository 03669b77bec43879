"""Reading and validating a program file (spec/program.md §1).

A program file is refused as a whole, with every problem found listed as
`FILE:LINE: message`, so the township fixes its file in one pass instead of
one error per try. Only a file with no problem at all becomes a `Program`.

Numbers: TOML floats are read with `tomllib`'s `parse_float` hook, which hands
over the literal text as written (`0.5`, `1_000.25`), so `bonus = 0.5` becomes
`Decimal("0.5")` exactly and never passes through a binary float. That is exact
for every literal, where `Decimal(repr(float))` is exact only for literals of at
most 15 significant digits.

Limits: a program file is a few kilobytes of hand-written TOML, so anything far beyond
that is refused before it can cost memory or time, each with a `FILE:LINE` message
saying the limit: the file's size, how deeply brackets nest and how many parts a
dotted key has (checked on the text before `tomllib` reads it, since tomllib recurses
on nesting and takes memory quadratic in a dotted key's parts), the length of a number,
the size of every number (`MAX_NUMBER`, `MAX_NUMBER_PLACES`: a score, an amount of
money or a level beyond them is a typing accident that would break ranking) and the
number of choices of a column.
"""

from __future__ import annotations

import difflib
import itertools
import re
import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation

from vledger.domain.program import (
    COLUMN_TYPES,
    INDICATOR_KINDS,
    RULES,
    YEAR,
    Adjustment,
    AreaMoney,
    CellValue,
    Column,
    Indicator,
    Item,
    Penalty,
    Period,
    Program,
    RankingRules,
    Reward,
    Where,
)
from vledger.domain.toml_lines import KeyPath, TomlLines, locate
from vledger.domain.values import ValueProblem, parse_cell
from vledger.errors import VledgerError
from vledger.messages import Message

__all__ = ["Problem", "ProgramError", "check_program", "load_program"]

PROGRAM_ID = re.compile(r"[a-z0-9-]{1,40}")
PERIOD_ID = re.compile(r"[A-Za-z0-9]{1,8}")
NAME_ID = re.compile(r"[a-z][a-z0-9_]{0,30}")  # columns, indicators, items, adjustments
PROGRAM_ID_FORM = Message("program.id.form.program")
PERIOD_ID_FORM = Message("program.id.form.period")
NAME_ID_FORM = Message("program.id.form.name")

FIRST_YEAR, LAST_YEAR = 2000, 2100  # a year outside this is a typing mistake
MAX_PLACES = 6
MAX_FILE_CHARS = 256 * 1024  # the shipped programs are under 10 KB
MAX_NESTING = 16  # brackets inside brackets ([[rewards]] and where tables need 3)
MAX_KEY_PARTS = 16  # a.b.c: parts of one dotted key or table header
MAX_DIGITS_RUN = 40  # digits in one number as written
MAX_NUMBER = Decimal(10) ** 9  # points, money, levels: a billion is beyond any program
MAX_NUMBER_PLACES = MAX_PLACES  # digits after the point
MAX_CHOICES = 500  # a pick list longer than this is not one a clerk can use

TOP_KEYS = (
    "id", "title", "year", "date_column",
    "periods", "columns", "indicators", "items", "adjustments", "ranking",
)
TOP_REQUIRED = ("id", "title", "year", "date_column", "columns", "items")
PERIOD_KEYS = ("id", "title", "start", "end", "share")
PERIOD_REQUIRED = ("id", "title", "start", "end")
COLUMN_KEYS = ("id", "title", "type", "required", "min", "max", "places", "choices", "max_length")
COLUMN_REQUIRED = ("id", "title", "type")
# The keys each column type takes beyond id, title, type and required.
COLUMN_TYPE_KEYS: dict[str, tuple[str, ...]] = {
    "int": ("min", "max"),
    "decimal": ("min", "max", "places"),
    "date": (),
    "choice": ("choices",),
    "text": ("max_length",),
    "bool": (),
}
INDICATOR_KEYS = ("id", "title", "unit", "kind", "where", "column", "numerator", "denominator")
INDICATOR_REQUIRED = ("id", "title", "kind")
# The keys each indicator kind takes beyond id, title, unit and kind.
INDICATOR_KIND_KEYS: dict[str, tuple[str, ...]] = {
    "count": ("where",),
    "sum": ("column", "where"),
    "rate": ("numerator", "denominator"),
    "entered": (),
}
ITEM_KEYS = (
    "id", "title", "section", "indicator", "points", "rule",
    "bonus", "penalty", "threshold", "max", "min", "money_per_unit", "money_per_missing",
)
ITEM_REQUIRED = ("id", "title", "points", "rule")
# The parameters each rule's formula uses (spec §4); giving another is a mistake
# the file would otherwise hide, since the score would silently ignore it.
RULE_KEYS: dict[str, tuple[str, ...]] = {
    "proportional": ("bonus",),
    "linear": ("bonus", "penalty"),
    "threshold": ("threshold", "bonus", "penalty"),
    "full_at": ("threshold",),
    "per_event": ("penalty",),
    "check": (),
    "manual": (),
}
RULE_PARAMETERS = ("bonus", "penalty", "threshold")
MONEY_KEYS = ("money_per_unit", "money_per_missing")
ADJUSTMENT_KEYS = ("id", "title", "points")
RANKING_KEYS = ("veto", "period_rank_bonus", "rewards", "penalties", "areas")
REWARD_KEYS = ("rank", "amount", "requires_complete")
REWARD_REQUIRED = ("rank", "amount")
PENALTY_KEYS = ("from_bottom", "amount", "requires_incomplete")
PENALTY_REQUIRED = ("from_bottom", "amount")
AREA_KEYS = ("reward_if_all_complete", "penalty_if_any_incomplete")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a program file, at the line to fix; `str()` is in English."""

    filename: str
    line: int
    message: Message

    def text(self, lang: str) -> str:
        """`FILE:LINE: message` in `lang`."""
        return f"{self.filename}:{self.line}: {self.message.text(lang)}"

    def __str__(self) -> str:
        return self.text("en")


class ProgramError(VledgerError, ValueError):
    """A program file that cannot be used; `problems` lists everything wrong, by line."""

    problems: list[Problem]

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__(*problems)
        self.problems = list(problems)


def load_program(text: str, filename: str) -> Program:
    """Parse and validate a program file's text; raise ProgramError listing every problem."""
    too_big = _shape_problem(text, filename)
    if too_big is not None:
        raise ProgramError([too_big])
    try:
        document = tomllib.loads(text, parse_float=_toml_float)
    except tomllib.TOMLDecodeError as error:
        raise ProgramError([_syntax_problem(error, text, filename)]) from None
    except (ValueError, RecursionError) as error:  # what the bounds above should prevent
        raise ProgramError([Problem(filename, 1, Message("program.toml.invalid",
                                                         error=str(error)[:200]))]) from None
    reader = _Reader(filename, lambda: locate(text))
    program = reader.program(document, text)
    if reader.problems or program is None:
        raise ProgramError(reader.sorted_problems())
    return program


def check_program(text: str, filename: str) -> list[Problem]:
    """Every problem of a program file's text, in line order; empty when it is valid."""
    try:
        load_program(text, filename)
    except ProgramError as error:
        return error.problems
    return []


# -- size and shape, before TOML is parsed -----------------------------------------

# What the shape check looks at: strings and comments (skipped whole), brackets, line
# ends, numbers (a run of digits with at most one point) and the dots left over, which
# join the parts of a dotted key or table header.
_SHAPE = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'.*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\''
    r"|#[^\n]*|[\[\]{}\n.]|[0-9][0-9_]*(?:\.[0-9][0-9_]*)?",
    re.S,
)


def _shape_problem(text: str, filename: str) -> Problem | None:
    """The first limit the text goes beyond (see the module docstring), or None.

    Bracket depth is counted over the whole text (arrays may span lines); the parts of
    dotted keys per line (a key and a table header are each on one line).
    """
    if len(text) > MAX_FILE_CHARS:
        return Problem(filename, 1, Message(
            "program.limit.file", size=len(text), most=MAX_FILE_CHARS))
    depth = parts = 0
    line = 1
    for found in _SHAPE.finditer(text):
        token = found[0]
        first = token[0]
        if first == "\n":
            line += 1
            parts = 0
        elif first in "[{":
            depth += 1
            if depth > MAX_NESTING:
                return Problem(filename, line, Message("program.limit.nesting", most=MAX_NESTING))
        elif first in "]}":
            depth = max(depth - 1, 0)
        elif first == ".":
            parts += 1
            if parts >= MAX_KEY_PARTS:
                return Problem(filename, line, Message("program.limit.key-parts",
                                                       most=MAX_KEY_PARTS))
        elif first.isdigit():
            if len(token) > MAX_DIGITS_RUN:
                return Problem(filename, line, Message("program.limit.digits",
                                                       most=MAX_DIGITS_RUN))
        else:  # a string or a comment
            line += token.count("\n")
    return None


# -- TOML syntax ---------------------------------------------------------------

_WHERE_IN_TOML = re.compile(
    r"^(?P<what>.*) \(at (?:line (?P<line>\d+), column (?P<col>\d+)|end of document)\)$"
)


def _toml_float(literal: str) -> Decimal:
    return Decimal(literal.replace("_", ""))


def _syntax_problem(error: tomllib.TOMLDecodeError, text: str, filename: str) -> Problem:
    found = _WHERE_IN_TOML.match(str(error))
    if found is None:
        return Problem(filename, 1, Message("program.toml.invalid", error=str(error)))
    what = found["what"]
    if what.startswith("Cannot overwrite a value"):
        # tomllib's words for a key given twice, sometimes "at end of document":
        # name the key and point at its second line.
        repeated = locate(text).repeated
        if repeated:
            key, line = repeated[0]
            return Problem(filename, line, Message("program.toml.key-twice", key=key))
    said = _TOML_WORDS.get(what, what)
    if found["line"] is not None:
        message = Message("program.toml.at-column", what=said, column=found["col"])
        return Problem(filename, int(found["line"]), message)
    last_line = text.count("\n") + (0 if text.endswith("\n") else 1)
    return Problem(filename, max(last_line, 1), Message("program.toml.at-end", what=said))


# tomllib's words for the mistakes clerks make most, so they read in either language;
# rarer ones are passed on in tomllib's English.
_TOML_WORDS: dict[str, Message] = {
    "Invalid value": Message("program.toml.invalid-value"),
    "Invalid statement": Message("program.toml.invalid-statement"),
    "Unterminated string": Message("program.toml.unterminated-string"),
    "Unclosed array": Message("program.toml.unclosed-array"),
    "Unclosed inline table": Message("program.toml.unclosed-table"),
    "Expected '=' after a key in a key/value pair": Message("program.toml.expected-equals"),
    "Expected newline or end of document after a statement": Message(
        "program.toml.expected-newline"
    ),
    "Expected ']' at the end of a table declaration": Message("program.toml.expected-table-end"),
    "Expected ']]' at the end of an array declaration": Message(
        "program.toml.expected-array-end"
    ),
    "Invalid initial character for a key part": Message("program.toml.bad-key"),
    "Invalid date or datetime": Message("program.toml.bad-date"),
}


# -- reading tables ------------------------------------------------------------


def _describe(value: object) -> Message | str:
    """A TOML value as the clerk wrote it, for "must be X, not Y" messages."""
    if isinstance(value, bool):
        return Message("program.value.true" if value else "program.value.false")
    if isinstance(value, str):
        return Message("program.value.text", value=value)
    if isinstance(value, int | Decimal):
        return Message("program.value.number", value=value)
    if isinstance(value, datetime):
        return Message("program.value.date-time", value=value.isoformat())
    if isinstance(value, date):
        return Message("program.value.date", value=value.isoformat())
    if isinstance(value, time):
        return Message("program.value.time", value=value.isoformat())
    if isinstance(value, list):
        return Message("program.value.array")
    if isinstance(value, dict):
        return Message("program.value.table")
    return repr(value)


def _is_number(value: object) -> bool:
    return isinstance(value, int | Decimal) and not isinstance(value, bool)


def _as_decimal(value: object) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _listing(names: Iterable[str]) -> tuple[str, ...] | Message:
    names = tuple(names)
    return names if names else Message("program.none")


def _guess(word: str, options: Sequence[str]) -> Message | str:
    """A "did you mean" for a near miss (a typo in a key or a kind), else nothing."""
    hint = difflib.get_close_matches(word, options, n=1)
    return Message("program.key.did-you-mean", hint=hint[0]) if hint else ""


# A money line is called by its own name in a sentence, and with "ranking" as a label.
_REWARD = (Message("program.what.reward"), Message("program.what.ranking-reward"))
_PENALTY = (Message("program.what.penalty"), Message("program.what.ranking-penalty"))


class _Reader:
    """Walks a parsed program file, collecting problems and building the model."""

    def __init__(self, filename: str, lines: Callable[[], TomlLines]) -> None:
        self.filename = filename
        self._locate = lines
        self._lines: TomlLines | None = None
        self.problems: list[Problem] = []
        self.year_of_file: int | None = None  # for date columns (`Column.year`)

    @property
    def lines(self) -> TomlLines:
        """Where each key is written: found only when a problem must say its line (a
        valid file, as every stored program is, never needs it: half of the load)."""
        if self._lines is None:
            self._lines = self._locate()
        return self._lines

    def report(self, path: KeyPath, message: Message) -> None:
        problem = Problem(self.filename, self.lines.line_of(path), message)
        if problem not in self.problems:
            self.problems.append(problem)

    def sorted_problems(self) -> list[Problem]:
        return sorted(self.problems, key=lambda p: p.line)

    # -- the whole file --------------------------------------------------------

    def program(self, document: dict[str, object], text: str) -> Program | None:
        top = _Table(self, document, (), None)
        top.check_keys(TOP_KEYS, TOP_REQUIRED)
        program_id = top.identifier("id", PROGRAM_ID, PROGRAM_ID_FORM)
        title = top.title()
        year = self.year(top)
        self.year_of_file = year
        columns = _Columns(self.columns(top))
        date_column = self.date_column(top, columns)
        periods = self.periods(top, year)
        indicators = self.indicators(top, columns)
        indicator_ids = _declared_ids(top, "indicators")
        items = self.items(top, indicator_ids)
        adjustments = self.adjustments(top)
        ranking = self.ranking(top, indicator_ids)
        if self.problems:
            return None
        assert program_id and title and year and date_column and ranking is not None
        return Program(
            id=program_id,
            title=title,
            year=year,
            date_column=date_column,
            periods=tuple(periods),
            columns=tuple(columns.good.values()),
            indicators=tuple(indicators),
            items=tuple(items),
            adjustments=tuple(adjustments),
            ranking=ranking,
            source=text,
        )

    def year(self, top: _Table) -> int | None:
        year = top.integer("year")
        if year is not None and not FIRST_YEAR <= year <= LAST_YEAR:
            top.problem("year", Message(
                "program.year.implausible", year=year, first=FIRST_YEAR, last=LAST_YEAR
            ))
            return None
        return year

    def date_column(self, top: _Table, columns: _Columns) -> str | None:
        name = top.string("date_column")
        if name is None:
            return None
        if name not in columns.declared:
            top.problem("date_column", Message(
                "program.date-column.unknown", name=name, columns=_listing(columns.declared)
            ))
            return None
        column_type = columns.type_of(name)
        if column_type is not None and column_type != "date":
            top.problem(
                "date_column", Message("program.date-column.not-date", name=name, type=column_type)
            )
            return None
        return name

    # -- [[periods]] -----------------------------------------------------------

    def periods(self, top: _Table, year: int | None) -> list[Period]:
        entries = top.entries("periods", Message("program.what.period"))
        built: list[tuple[_Table, Period]] = []
        for entry in entries:
            before = len(self.problems)
            period = self.period(entry, year)
            if period is not None and len(self.problems) == before:
                built.append((entry, period))
        _check_unique(self, entries, Message("program.what.period"))
        self.period_order(built)
        with_share = [e for e in entries if "share" in e.data]
        if with_share and len(with_share) < len(entries):
            for entry in entries:
                if "share" not in entry.data:
                    entry.problem(None, Message("program.period.share-missing"))
        return [period for _, period in built]

    def period(self, entry: _Table, year: int | None) -> Period | None:
        entry.check_keys(PERIOD_KEYS, PERIOD_REQUIRED)
        period_id = entry.identifier("id", PERIOD_ID, PERIOD_ID_FORM)
        if period_id is not None and period_id.lower() == YEAR:
            entry.problem("id", Message("program.period.id-reserved", id=period_id))
            period_id = None
        title = entry.title()
        start = entry.day("start")
        end = entry.day("end")
        share = entry.number("share")
        if share is not None and share <= 0:
            entry.problem("share", Message("program.period.share-not-positive", share=share))
        if start is not None and end is not None and start > end:
            entry.problem("end", Message("program.period.ends-before-start", end=end, start=start))
            return None
        if year is not None:
            for key, day in (("start", start), ("end", end)):
                if day is not None and day.year != year:
                    entry.problem(key, Message(
                        "program.period.outside-year", key=key, day=day, year=year
                    ))
        if period_id is None or title is None or start is None or end is None:
            return None
        return Period(period_id, title, start, end, share)

    def period_order(self, built: list[tuple[_Table, Period]]) -> None:
        for (_, before), (entry, period) in itertools.pairwise(built):
            if period.start < before.start:
                entry.problem("start", Message(
                    "program.period.order",
                    start=period.start, before=before.id, before_start=before.start,
                ))
            elif period.start <= before.end:
                entry.problem("start", Message(
                    "program.period.overlap", before=before.id, before_start=before.start,
                    before_end=before.end, start=period.start,
                ))

    # -- [[columns]] -----------------------------------------------------------

    def columns(self, top: _Table) -> list[tuple[str, str | None, Column | None]]:
        entries = top.entries("columns", Message("program.what.column"))
        if "columns" in top.data and isinstance(top.data["columns"], list) and not entries:
            top.problem("columns", Message("program.columns.none"))
        found: list[tuple[str, str | None, Column | None]] = []
        for entry in entries:
            before = len(self.problems)
            column = self.column(entry)
            column_id = entry.data.get("id")
            if isinstance(column_id, str):
                good = column if len(self.problems) == before else None
                column_type = entry.data.get("type")
                known = column_type if isinstance(column_type, str) else None
                found.append((column_id, known if known in COLUMN_TYPES else None, good))
        _check_unique(self, entries, Message("program.what.column"))
        return found

    def column(self, entry: _Table) -> Column | None:
        entry.check_keys(COLUMN_KEYS, COLUMN_REQUIRED)
        column_id = entry.identifier("id", NAME_ID, NAME_ID_FORM)
        if column_id == "deleted":
            # Every ledger row carries its own deleted flag (rows are never removed),
            # and the edit history records it under this name.
            entry.problem("id", Message("program.column.id-deleted"))
        title = entry.title()
        column_type = entry.choice("type", COLUMN_TYPES, Message("program.what.column-type"))
        required = entry.boolean("required")
        if column_type is not None:
            entry.keys_only_for(
                COLUMN_TYPE_KEYS[column_type],
                ("min", "max", "places", "choices", "max_length"),
                Message("program.what.typed-column", type=column_type),
                COLUMN_TYPE_KEYS,
            )
        whole = column_type == "int"
        low = entry.number("min", whole=whole)
        high = entry.number("max", whole=whole)
        if low is not None and high is not None and low > high:
            entry.problem("max", Message("program.max-below-min", high=high, low=low))
        places = entry.integer("places")
        if places is not None and not 0 <= places <= MAX_PLACES:
            entry.problem(
                "places", Message("program.column.places-range", most=MAX_PLACES, places=places)
            )
        choices = self.choices(entry, column_type)
        max_length = entry.integer("max_length")
        if max_length is not None and max_length < 1:
            entry.problem("max_length", Message("program.column.max-length", value=max_length))
        if column_id is None or title is None or column_type is None:
            return None
        return Column(
            id=column_id,
            title=title,
            type=column_type,  # type: ignore[arg-type]  # checked against COLUMN_TYPES
            required=bool(required),
            min=low,
            max=high,
            places=2 if places is None else places,
            choices=tuple(choices),
            max_length=200 if max_length is None else max_length,
            year=self.year_of_file if column_type == "date" else None,
        )

    def choices(self, entry: _Table, column_type: str | None) -> list[str]:
        if column_type == "choice" and "choices" not in entry.data:
            entry.problem(None, Message("program.column.choices-missing"))
            return []
        values = entry.array("choices")
        if values is None:
            return []
        if column_type == "choice" and not values:
            entry.problem("choices", Message("program.column.choices-empty"))
        if len(values) > MAX_CHOICES:
            entry.problem("choices", Message(
                "program.limit.choices", count=len(values), most=MAX_CHOICES))
            return []
        choices: dict[str, None] = {}  # ordered, and a repeat is found at once
        for index, value in enumerate(values):
            path = (*entry.path, "choices", index)
            if not isinstance(value, str) or not value.strip():
                entry.report_at(path, Message(
                    "program.column.choice-not-text", value=_describe(value)
                ))
            elif value != value.strip():
                entry.report_at(path, Message("program.column.choice-spaces", value=value))
            elif value in choices:
                entry.report_at(path, Message("program.column.choice-twice", value=value))
            else:
                choices[value] = None
        return list(choices)

    # -- [[indicators]] --------------------------------------------------------

    def indicators(self, top: _Table, columns: _Columns) -> list[Indicator]:
        entries = top.entries("indicators", Message("program.what.indicator"))
        built = [self.indicator(entry, columns) for entry in entries]
        _check_unique(self, entries, Message("program.what.indicator"))
        return [indicator for indicator in built if indicator is not None]

    def indicator(self, entry: _Table, columns: _Columns) -> Indicator | None:
        before = len(self.problems)
        entry.check_keys(INDICATOR_KEYS, INDICATOR_REQUIRED)
        indicator_id = entry.identifier("id", NAME_ID, NAME_ID_FORM)
        title = entry.title()
        unit = entry.string("unit")
        kind = entry.choice("kind", INDICATOR_KINDS, Message("program.what.indicator-kind"))
        if kind is not None:
            entry.keys_only_for(
                INDICATOR_KIND_KEYS[kind],
                ("where", "column", "numerator", "denominator"),
                Message("program.what.kind-indicator", kind=kind),
                INDICATOR_KIND_KEYS,
            )
            # spec §3: a missing `where` matches every row, so a rate without a
            # denominator is "share of all rows in the period". Without a numerator it
            # would be 100 whatever happened: that is a mistake, not a rule.
            if kind == "rate" and "numerator" not in entry.data:
                entry.problem(None, Message("program.indicator.rate-numerator"))
        where = self.where(entry, "where", columns)
        numerator = self.where(entry, "numerator", columns)
        denominator = self.where(entry, "denominator", columns)
        column = self.sum_column(entry, kind, columns)
        if len(self.problems) != before:
            return None
        assert indicator_id and title and kind
        return Indicator(
            id=indicator_id,
            title=title,
            kind=kind,  # type: ignore[arg-type]  # checked against INDICATOR_KINDS
            unit=unit or "",
            where=where or (),
            column=column,
            numerator=numerator or (),
            denominator=denominator or (),
        )

    def sum_column(self, entry: _Table, kind: str | None, columns: _Columns) -> str | None:
        if kind == "sum" and "column" not in entry.data:
            entry.problem(None, Message("program.indicator.sum-column-missing"))
            return None
        name = entry.string("column")
        if name is None:
            return None
        if name not in columns.declared:
            entry.problem("column", Message(
                "program.indicator.column-unknown", name=name, columns=_listing(columns.declared)
            ))
            return None
        column_type = columns.type_of(name)
        if column_type is not None and column_type not in ("int", "decimal"):
            entry.problem("column", Message(
                "program.indicator.sum-column-type", name=name, type=column_type
            ))
        return name

    def where(self, entry: _Table, key: str, columns: _Columns) -> Where | None:
        table = entry.table(key)
        if table is None:
            return None
        matched: list[tuple[str, CellValue]] = []
        for name, raw in table.items():
            path = (*entry.path, key, name)
            if name not in columns.declared:
                entry.report_at(path, Message(
                    "program.where.unknown-column",
                    key=key, name=name, columns=_listing(columns.declared),
                ))
                continue
            column = columns.good.get(name)
            if column is None:
                continue  # the column itself is broken and already reported
            try:
                matched.append((name, _where_value(column, raw)))
            except ValueProblem as problem:
                entry.report_at(path, Message(
                    "program.where.bad-value", key=key, name=name, problem=problem.said
                ))
        return tuple(matched)

    # -- [[items]] -------------------------------------------------------------

    def items(self, top: _Table, indicator_ids: Sequence[str]) -> list[Item]:
        entries = top.entries("items", Message("program.what.item"))
        if "items" in top.data and isinstance(top.data["items"], list) and not entries:
            top.problem("items", Message("program.items.none"))
        built = [self.item(entry, indicator_ids) for entry in entries]
        _check_unique(self, entries, Message("program.what.item"))
        return [item for item in built if item is not None]

    def item(self, entry: _Table, indicator_ids: Sequence[str]) -> Item | None:
        before = len(self.problems)
        entry.check_keys(ITEM_KEYS, ITEM_REQUIRED)
        item_id = entry.identifier("id", NAME_ID, NAME_ID_FORM)
        title = entry.title()
        section = entry.string("section")
        rule = entry.choice("rule", RULES, Message("program.what.rule"))
        if rule is not None:
            entry.keys_only_for(
                RULE_KEYS[rule],
                RULE_PARAMETERS,
                Message("program.what.named-rule", rule=rule),
                RULE_KEYS,
                verb="does not use",
            )
        indicator = self.item_indicator(entry, rule, indicator_ids)
        points = entry.number("points", at_least=Decimal(0))
        numbers = {
            key: entry.number(key, at_least=Decimal(0))
            for key in ("bonus", "penalty", "threshold", *MONEY_KEYS)
        }
        low = entry.number("min")
        high = entry.number("max")
        if high is not None and high < (low if low is not None else Decimal(0)):
            entry.problem("max", Message(
                "program.max-below-min", high=high, low=low if low is not None else 0
            ))
        if len(self.problems) != before:
            return None
        assert item_id and title and rule and points is not None
        return Item(
            id=item_id,
            title=title,
            points=points,
            rule=rule,  # type: ignore[arg-type]  # checked against RULES
            indicator=indicator,
            section=section or "",
            bonus=numbers["bonus"] or Decimal(0),
            penalty=numbers["penalty"] or Decimal(0),
            threshold=numbers["threshold"],
            max=high,
            min=Decimal(0) if low is None else low,
            money_per_unit=numbers["money_per_unit"] or Decimal(0),
            money_per_missing=numbers["money_per_missing"] or Decimal(0),
        )

    def item_indicator(
        self, entry: _Table, rule: str | None, indicator_ids: Sequence[str]
    ) -> str | None:
        if rule == "manual":
            if "indicator" in entry.data:
                entry.problem("indicator", Message("program.item.manual-indicator"))
            for key in MONEY_KEYS:
                if key in entry.data:
                    entry.problem(key, Message("program.item.manual-money", key=key))
            return None
        if rule is not None and "indicator" not in entry.data:
            entry.problem(None, Message("program.item.indicator-missing", rule=rule))
            return None
        name = entry.string("indicator")
        if name is not None and name not in indicator_ids:
            entry.problem("indicator", Message(
                "program.item.indicator-unknown", name=name, indicators=_listing(indicator_ids)
            ))
        return name

    # -- [[adjustments]] -------------------------------------------------------

    def adjustments(self, top: _Table) -> list[Adjustment]:
        entries = top.entries("adjustments", Message("program.what.adjustment"))
        built: list[Adjustment] = []
        for entry in entries:
            entry.check_keys(ADJUSTMENT_KEYS, ADJUSTMENT_KEYS)
            adjustment_id = entry.identifier("id", NAME_ID, NAME_ID_FORM)
            title = entry.title()
            points = entry.number("points")
            if points is not None and points == 0:
                entry.problem("points", Message("program.adjustment.zero-points"))
                continue
            if adjustment_id and title and points is not None:
                built.append(Adjustment(adjustment_id, title, points))
        _check_unique(self, entries, Message("program.what.adjustment"))
        return built

    # -- [ranking] -------------------------------------------------------------

    def ranking(self, top: _Table, indicator_ids: Sequence[str]) -> RankingRules | None:
        if "ranking" not in top.data:
            return RankingRules()
        data = top.table("ranking")
        if data is None:
            return None
        ranking = _Table(self, data, ("ranking",), Message("program.label.ranking"))
        ranking.check_keys(RANKING_KEYS, ())
        veto = self.veto(ranking, indicator_ids)
        bonus = self.rank_bonus(ranking)
        rewards = self.money_lines(
            ranking, "rewards", _REWARD, REWARD_KEYS, REWARD_REQUIRED, "rank", "requires_complete"
        )
        penalties = self.money_lines(
            ranking, "penalties", _PENALTY, PENALTY_KEYS, PENALTY_REQUIRED,
            "from_bottom", "requires_incomplete",
        )
        areas = self.areas(ranking)
        return RankingRules(
            veto=tuple(veto),
            period_rank_bonus=tuple(bonus),
            rewards=tuple(Reward(place, amount, flag) for place, amount, flag in rewards),
            penalties=tuple(Penalty(place, amount, flag) for place, amount, flag in penalties),
            areas=areas,
        )

    def veto(self, ranking: _Table, indicator_ids: Sequence[str]) -> list[str]:
        values = ranking.array("veto")
        veto: list[str] = []
        for index, name in enumerate(values or []):
            path = ("ranking", "veto", index)
            if not isinstance(name, str):
                ranking.report_at(path, Message("program.veto.not-text", value=_describe(name)))
            elif name not in indicator_ids:
                ranking.report_at(path, Message(
                    "program.veto.unknown", name=name, indicators=_listing(indicator_ids)
                ))
            elif name in veto:
                ranking.report_at(path, Message("program.veto.twice", name=name))
            else:
                veto.append(name)
        return veto

    def rank_bonus(self, ranking: _Table) -> list[Decimal]:
        values = ranking.array("period_rank_bonus")
        bonus: list[Decimal] = []
        for index, value in enumerate(values or []):
            path = ("ranking", "period_rank_bonus", index)
            if not _is_number(value) or not _as_decimal(value).is_finite():
                ranking.report_at(path, Message(
                    "program.rank-bonus.not-number", value=_describe(value)
                ))
            elif _as_decimal(value) < 0:
                ranking.report_at(path, Message("program.rank-bonus.negative", value=value))
            else:
                bonus.append(_as_decimal(value))
        return bonus

    def money_lines(
        self,
        ranking: _Table,
        key: str,
        what: tuple[Message, Message],
        keys: Sequence[str],
        required: Sequence[str],
        place_key: str,
        flag_key: str,
    ) -> list[tuple[int, Decimal, bool]]:
        entries = ranking.entries(key, what[1])
        lines: list[tuple[int, Decimal, bool]] = []
        first_line: dict[int, KeyPath] = {}  # where each place was first given
        for entry in entries:
            entry.check_keys(keys, required)
            place = entry.integer(place_key)
            amount = entry.number("amount", at_least=Decimal(0))
            flag = entry.boolean(flag_key)
            if place is not None and place < 1:
                entry.problem(place_key, Message(
                    "program.money.place-below-one", key=place_key, place=place
                ))
                continue
            if place is not None and place in first_line:
                entry.problem(place_key, Message(
                    "program.money.place-twice",
                    what=what[0], key=place_key, place=place,
                    line=self.lines.line_of(first_line[place]),
                ))
                continue
            if place is not None:
                first_line[place] = (*entry.path, place_key)
            if place is not None and amount is not None:
                lines.append((place, amount, bool(flag)))
        return lines

    def areas(self, ranking: _Table) -> AreaMoney | None:
        data = ranking.table("areas")
        if data is None:
            return None
        areas = _Table(self, data, ("ranking", "areas"), Message("program.label.areas"))
        areas.check_keys(AREA_KEYS, ())
        reward = areas.number("reward_if_all_complete", at_least=Decimal(0))
        penalty = areas.number("penalty_if_any_incomplete", at_least=Decimal(0))
        return AreaMoney(reward or Decimal(0), penalty or Decimal(0))


@dataclass(frozen=True)
class _Columns:
    """The columns a file declares, and those that are valid enough to parse values by."""

    found: list[tuple[str, str | None, Column | None]]  # id, type if valid, column if valid

    @property
    def declared(self) -> list[str]:
        return list(dict.fromkeys(name for name, _, _ in self.found))

    @property
    def good(self) -> dict[str, Column]:
        good: dict[str, Column] = {}
        for name, _, column in self.found:
            if column is not None and name not in good:
                good[name] = column
        return good

    def type_of(self, name: str) -> str | None:
        """The type a column declares, even when the column has other problems."""
        for found_name, column_type, _ in self.found:
            if found_name == name:
                return column_type
        return None


def _declared_ids(top: _Table, key: str) -> list[str]:
    """Ids written in a list of tables, even for entries with other problems.

    A reference to an entry that is itself broken is not a second problem.
    """
    values = top.data.get(key)
    if not isinstance(values, list):
        return []
    ids = (v.get("id") for v in values if isinstance(v, dict))
    return list(dict.fromkeys(i for i in ids if isinstance(i, str)))


def _check_unique(reader: _Reader, entries: Sequence[_Table], what: Message) -> None:
    first: dict[str, KeyPath] = {}  # where each id was first given
    for entry in entries:
        entry_id = entry.data.get("id")
        if not isinstance(entry_id, str):
            continue
        if entry_id in first:
            earlier = reader.lines.line_of(first[entry_id])
            entry.problem("id", Message("program.id.duplicate", what=what, line=earlier))
        else:
            first[entry_id] = (*entry.path, "id")


def _where_value(column: Column, raw: object) -> CellValue:
    """A `where` value, parsed by its column's type like a typed ledger cell (spec §2).

    TOML's own types are taken where they mean the same thing (true for a bool
    column, 2026-03-05 for a date column, 12 for a number column); text goes
    through the ledger's parser, so "是" also means true.
    """
    typed = _typed_text(column, raw)
    if not typed.strip():
        raise ValueProblem(column, Message("program.where.empty"))
    value = parse_cell(column, typed, exact=True)
    if column.type == "decimal" and isinstance(value, str) and _exact(typed) != Decimal(value):
        raise ValueProblem(column, Message(
            "value.never-matches",
            title=column.title, id=column.id, places=column.places, typed=typed,
        ))
    return value


def _exact(typed: str) -> Decimal | None:
    try:
        return Decimal(typed.strip())
    except InvalidOperation:
        return None


def _typed_text(column: Column, raw: object) -> str:
    if isinstance(raw, str):
        return raw
    native: dict[str, Callable[[object], bool]] = {
        "bool": lambda v: isinstance(v, bool),
        "date": lambda v: isinstance(v, date) and not isinstance(v, datetime),
        "int": _is_number,
        "decimal": _is_number,
    }
    accepts = native.get(column.type)
    if accepts is None or not accepts(raw):
        raise ValueProblem(column, Message(
            "program.where.wrong-type", column=column.id, type=column.type, value=_describe(raw)
        ))
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, date):
        return raw.isoformat()
    return f"{_as_decimal(raw):f}"


class _Table:
    """One TOML table being read: its data, key path and the name messages use."""

    def __init__(
        self, reader: _Reader, data: dict[str, object], path: KeyPath, label: Message | None
    ) -> None:
        self.reader = reader
        self.data = data
        self.path = path
        self.label = label

    def problem(self, key: str | None, message: Message) -> None:
        self.report_at(self.path if key is None else (*self.path, key), message)

    def report_at(self, path: KeyPath, message: Message) -> None:
        """Report at any key path inside this table, named by this table's label."""
        if self.label is not None:
            message = Message("program.in-entry", label=self.label, problem=message)
        self.reader.report(path, message)

    # -- keys ------------------------------------------------------------------

    def check_keys(self, allowed: Sequence[str], required: Sequence[str]) -> None:
        for key in self.data:
            if key not in allowed:
                self.problem(key, Message(
                    "program.key.unknown", key=key, guess=_guess(key, allowed),
                    allowed=_listing(allowed),
                ))
        for key in required:
            if key not in self.data:
                self.problem(None, Message("program.key.missing", key=key))

    def keys_only_for(
        self,
        fits: Sequence[str],
        optional: Sequence[str],
        what: Message,
        by_kind: dict[str, tuple[str, ...]],
        verb: str = "does not apply to",
    ) -> None:
        """Refuse keys of `optional` that `what` does not use (they would be silently ignored)."""
        for key in optional:
            if key in self.data and key not in fits:
                if verb == "does not apply to":
                    owners = [kind for kind, keys in by_kind.items() if key in keys]
                    message = Message(
                        "program.key.not-applicable", key=key, what=what, owners=owners
                    )
                elif not fits:
                    message = Message("program.key.takes-none", what=what, keys=optional, key=key)
                else:
                    message = Message(
                        "program.key.not-used", what=what, key=key, fits=_listing(fits)
                    )
                self.problem(key, message)

    # -- typed values ----------------------------------------------------------

    def _typed(self, key: str, accepts: Callable[[object], bool], expected: Message) -> object:
        if key not in self.data:
            return None
        value = self.data[key]
        if not accepts(value):
            self.problem(key, Message(
                "program.key.wrong-type", key=key, expected=expected, value=_describe(value)
            ))
            return None
        return value

    def string(self, key: str) -> str | None:
        value = self._typed(key, lambda v: isinstance(v, str), Message("program.expect.text"))
        return value if isinstance(value, str) else None

    def title(self) -> str | None:
        value = self.string("title")
        if value is not None and not value.strip():
            self.problem("title", Message("program.title.empty"))
            return None
        return value

    def identifier(self, key: str, pattern: re.Pattern[str], form: Message) -> str | None:
        value = self.string(key)
        if value is not None and not pattern.fullmatch(value):
            self.problem(key, Message("program.id.invalid", key=key, value=value, form=form))
            return None
        return value

    def choice(self, key: str, options: Sequence[str], what: Message) -> str | None:
        value = self.string(key)
        if value is not None and value not in options:
            self.problem(key, Message(
                "program.choice.unknown", what=what, value=value,
                guess=_guess(value, options), options=_listing(options),
            ))
            return None
        return value

    def integer(self, key: str) -> int | None:
        value = self._typed(
            key,
            lambda v: isinstance(v, int) and not isinstance(v, bool),
            Message("program.expect.whole"),
        )
        if not isinstance(value, int) or not self.bounded(key, Decimal(value)):
            return None
        return value

    def bounded(self, key: str, number: Decimal) -> bool:
        """Whether a number is within what a program can mean; reported when not."""
        if abs(number) > MAX_NUMBER:
            self.problem(key, Message("program.limit.number", key=key, value=number,
                                      most=MAX_NUMBER))
            return False
        exponent = number.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > MAX_NUMBER_PLACES:
            self.problem(key, Message("program.limit.places", key=key, value=number,
                                      most=MAX_NUMBER_PLACES))
            return False
        return True

    def number(
        self, key: str, at_least: Decimal | None = None, whole: bool = False
    ) -> Decimal | None:
        value = self._typed(
            key,
            lambda v: _is_number(v) and _as_decimal(v).is_finite(),
            Message("program.expect.whole" if whole else "program.expect.number"),
        )
        if value is None:
            return None
        number = _as_decimal(value)
        if not self.bounded(key, number):
            return None
        if whole and number != number.to_integral_value():
            self.problem(key, Message("program.number.not-whole", key=key, value=number))
            return None
        if at_least is not None and number < at_least:
            self.problem(key, Message("program.number.negative", key=key, value=number))
            return None
        return number

    def boolean(self, key: str) -> bool | None:
        value = self._typed(key, lambda v: isinstance(v, bool), Message("program.expect.bool"))
        return value if isinstance(value, bool) else None

    def day(self, key: str) -> date | None:
        value = self._typed(
            key,
            lambda v: isinstance(v, date) and not isinstance(v, datetime),
            Message("program.expect.date"),
        )
        return value if isinstance(value, date) else None

    def table(self, key: str) -> dict[str, object] | None:
        value = self._typed(key, lambda v: isinstance(v, dict), Message("program.expect.table"))
        return value if isinstance(value, dict) else None

    def array(self, key: str) -> list[object] | None:
        value = self._typed(key, lambda v: isinstance(v, list), Message("program.expect.array"))
        return value if isinstance(value, list) else None

    def entries(self, key: str, what: Message) -> list[_Table]:
        """The tables of an array of tables ([[key]]), labelled by their ids for messages."""
        header = ".".join(str(p) for p in (*self.path, key))
        values = self._typed(
            key,
            lambda v: isinstance(v, list) and all(isinstance(e, dict) for e in v),
            Message("program.expect.tables", header=header),
        )
        if not isinstance(values, list):
            return []
        entries = []
        for index, data in enumerate(values):
            entry_id = data.get("id")
            label = (
                Message("program.label.named", what=what, id=entry_id)
                if isinstance(entry_id, str)
                else Message("program.label.numbered", what=what, number=index + 1)
            )
            entries.append(_Table(self.reader, data, (*self.path, key, index), label))
        return entries
