"""Reading and validating a program file (spec/program.md §1).

A program file is refused as a whole, with every problem found listed as
`FILE:LINE: message`, so the township fixes its file in one pass instead of
one error per try. Only a file with no problem at all becomes a `Program`.

Numbers: TOML floats are read with `tomllib`'s `parse_float` hook, which hands
over the literal text as written (`0.5`, `1_000.25`), so `bonus = 0.5` becomes
`Decimal("0.5")` exactly and never passes through a binary float. That is exact
for every literal, where `Decimal(repr(float))` is exact only for literals of at
most 15 significant digits.
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

__all__ = ["Problem", "ProgramError", "check_program", "load_program"]

PROGRAM_ID = re.compile(r"[a-z0-9-]{1,40}")
PERIOD_ID = re.compile(r"[A-Za-z0-9]{1,8}")
NAME_ID = re.compile(r"[a-z][a-z0-9_]{0,30}")  # columns, indicators, items, adjustments
PROGRAM_ID_FORM = "1 to 40 of a-z, 0-9 and -"
PERIOD_ID_FORM = "1 to 8 letters or digits"
NAME_ID_FORM = "a lowercase letter, then up to 30 of a-z, 0-9 and _"

FIRST_YEAR, LAST_YEAR = 2000, 2100  # a year outside this is a typing mistake
MAX_PLACES = 6

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
    """One thing wrong with a program file, at the line to fix."""

    filename: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.filename}:{self.line}: {self.message}"


class ProgramError(VledgerError, ValueError):
    """A program file that cannot be used; `problems` lists everything wrong, by line."""

    problems: list[Problem]

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__(*problems)
        self.problems = list(problems)


def load_program(text: str, filename: str) -> Program:
    """Parse and validate a program file's text; raise ProgramError listing every problem."""
    try:
        document = tomllib.loads(text, parse_float=_toml_float)
    except tomllib.TOMLDecodeError as error:
        raise ProgramError([_syntax_problem(error, text, filename)]) from None
    reader = _Reader(filename, locate(text))
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


# -- TOML syntax ---------------------------------------------------------------

_WHERE_IN_TOML = re.compile(
    r"^(?P<what>.*) \(at (?:line (?P<line>\d+), column (?P<col>\d+)|end of document)\)$"
)


def _toml_float(literal: str) -> Decimal:
    return Decimal(literal.replace("_", ""))


def _syntax_problem(error: tomllib.TOMLDecodeError, text: str, filename: str) -> Problem:
    found = _WHERE_IN_TOML.match(str(error))
    if found is None:
        return Problem(filename, 1, f"not valid TOML: {error}")
    what = found["what"]
    if what.startswith("Cannot overwrite a value"):
        # tomllib's words for a key given twice, sometimes "at end of document":
        # name the key and point at its second line.
        repeated = locate(text).repeated
        if repeated:
            key, line = repeated[0]
            return Problem(filename, line, f'not valid TOML: key "{key}" is given twice')
    if found["line"] is not None:
        message = f"not valid TOML: {what} (column {found['col']})"
        return Problem(filename, int(found["line"]), message)
    last_line = text.count("\n") + (0 if text.endswith("\n") else 1)
    return Problem(filename, max(last_line, 1), f"not valid TOML: {what} (at the end of the file)")


# -- reading tables ------------------------------------------------------------


def _describe(value: object) -> str:
    """A TOML value as the clerk wrote it, for "must be X, not Y" messages."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'the text "{value}"'
    if isinstance(value, int | Decimal):
        return f"the number {value}"
    if isinstance(value, datetime):
        return f"the date-time {value.isoformat()}"
    if isinstance(value, date):
        return f"the date {value.isoformat()}"
    if isinstance(value, time):
        return f"the time {value.isoformat()}"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return repr(value)


def _is_number(value: object) -> bool:
    return isinstance(value, int | Decimal) and not isinstance(value, bool)


def _as_decimal(value: object) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _a(word: str) -> str:
    return f"an {word}" if word[:1] in "aeiou" else f"a {word}"


def _either(words: Sequence[str]) -> str:
    words = list(words)
    return " or ".join(filter(None, [", ".join(words[:-1]), words[-1]])) if words else ""


def _listing(names: Iterable[str]) -> str:
    names = list(names)
    return ", ".join(names) if names else "(none)"


class _Reader:
    """Walks a parsed program file, collecting problems and building the model."""

    def __init__(self, filename: str, lines: TomlLines) -> None:
        self.filename = filename
        self.lines = lines
        self.problems: list[Problem] = []

    def report(self, path: KeyPath, message: str) -> None:
        problem = Problem(self.filename, self.lines.line_of(path), message)
        if problem not in self.problems:
            self.problems.append(problem)

    def sorted_problems(self) -> list[Problem]:
        return sorted(self.problems, key=lambda p: p.line)

    # -- the whole file --------------------------------------------------------

    def program(self, document: dict[str, object], text: str) -> Program | None:
        top = _Table(self, document, (), "")
        top.check_keys(TOP_KEYS, TOP_REQUIRED)
        program_id = top.identifier("id", PROGRAM_ID, PROGRAM_ID_FORM)
        title = top.title()
        year = self.year(top)
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
            top.problem("year", f"year {year} is not a plausible year ({FIRST_YEAR}–{LAST_YEAR})")
            return None
        return year

    def date_column(self, top: _Table, columns: _Columns) -> str | None:
        name = top.string("date_column")
        if name is None:
            return None
        if name not in columns.declared:
            top.problem(
                "date_column",
                f'date_column "{name}" is not a column (columns: {_listing(columns.declared)})',
            )
            return None
        column_type = columns.type_of(name)
        if column_type is not None and column_type != "date":
            top.problem(
                "date_column",
                f'date_column "{name}" must name a date column, not {_a(column_type)} column',
            )
            return None
        return name

    # -- [[periods]] -----------------------------------------------------------

    def periods(self, top: _Table, year: int | None) -> list[Period]:
        entries = top.entries("periods", "period")
        built: list[tuple[_Table, Period]] = []
        for entry in entries:
            before = len(self.problems)
            period = self.period(entry, year)
            if period is not None and len(self.problems) == before:
                built.append((entry, period))
        _check_unique(self, entries, "period")
        self.period_order(built)
        with_share = [e for e in entries if "share" in e.data]
        if with_share and len(with_share) < len(entries):
            for entry in entries:
                if "share" not in entry.data:
                    entry.problem(
                        None,
                        "has no share, but other periods do: give every period a share, or none",
                    )
        return [period for _, period in built]

    def period(self, entry: _Table, year: int | None) -> Period | None:
        entry.check_keys(PERIOD_KEYS, PERIOD_REQUIRED)
        period_id = entry.identifier("id", PERIOD_ID, PERIOD_ID_FORM)
        if period_id is not None and period_id.lower() == YEAR:
            entry.problem("id", f'"{period_id}" is reserved for the whole year; choose another id')
            period_id = None
        title = entry.title()
        start = entry.day("start")
        end = entry.day("end")
        share = entry.number("share")
        if share is not None and share <= 0:
            entry.problem("share", f"share must be more than 0, not {share}")
        if start is not None and end is not None and start > end:
            entry.problem("end", f"ends {end} before it starts {start}")
            return None
        if year is not None:
            for key, day in (("start", start), ("end", end)):
                if day is not None and day.year != year:
                    entry.problem(key, f"{key} {day} is outside the program's year {year}")
        if period_id is None or title is None or start is None or end is None:
            return None
        return Period(period_id, title, start, end, share)

    def period_order(self, built: list[tuple[_Table, Period]]) -> None:
        for (_, before), (entry, period) in itertools.pairwise(built):
            if period.start < before.start:
                entry.problem(
                    "start",
                    f"periods must be in date order: starts {period.start}, "
                    f'before period "{before.id}" ({before.start})',
                )
            elif period.start <= before.end:
                entry.problem(
                    "start",
                    f'overlaps period "{before.id}" ({before.start} to {before.end}): '
                    f"starts {period.start}",
                )

    # -- [[columns]] -----------------------------------------------------------

    def columns(self, top: _Table) -> list[tuple[str, str | None, Column | None]]:
        entries = top.entries("columns", "column")
        if "columns" in top.data and isinstance(top.data["columns"], list) and not entries:
            top.problem("columns", "a program needs at least one [[columns]]")
        found: list[tuple[str, str | None, Column | None]] = []
        for entry in entries:
            before = len(self.problems)
            column = self.column(entry)
            column_id = entry.data.get("id")
            if isinstance(column_id, str):
                good = column if len(self.problems) == before else None
                column_type = entry.data.get("type")
                known = column_type if column_type in COLUMN_TYPES else None
                found.append((column_id, known, good))  # type: ignore[arg-type]
        _check_unique(self, entries, "column")
        return found

    def column(self, entry: _Table) -> Column | None:
        entry.check_keys(COLUMN_KEYS, COLUMN_REQUIRED)
        column_id = entry.identifier("id", NAME_ID, NAME_ID_FORM)
        if column_id == "deleted":
            # Every ledger row carries its own deleted flag (rows are never removed),
            # and the edit history records it under this name.
            entry.problem("id", '"deleted" is reserved for the row\'s deleted flag; '
                                "choose another id")
        title = entry.title()
        column_type = entry.choice("type", COLUMN_TYPES, "column type")
        required = entry.boolean("required")
        if column_type is not None:
            entry.keys_only_for(
                COLUMN_TYPE_KEYS[column_type],
                ("min", "max", "places", "choices", "max_length"),
                f"{_a(column_type)} column",
                COLUMN_TYPE_KEYS,
            )
        whole = column_type == "int"
        low = entry.number("min", whole=whole)
        high = entry.number("max", whole=whole)
        if low is not None and high is not None and low > high:
            entry.problem("max", f"max {high} is less than min {low}")
        places = entry.integer("places")
        if places is not None and not 0 <= places <= MAX_PLACES:
            entry.problem("places", f"places must be from 0 to {MAX_PLACES}, not {places}")
        choices = self.choices(entry, column_type)
        max_length = entry.integer("max_length")
        if max_length is not None and max_length < 1:
            entry.problem("max_length", f"max_length must be at least 1, not {max_length}")
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
        )

    def choices(self, entry: _Table, column_type: str | None) -> list[str]:
        if column_type == "choice" and "choices" not in entry.data:
            entry.problem(None, 'a choice column needs choices = ["...", ...]')
            return []
        values = entry.array("choices")
        if values is None:
            return []
        if column_type == "choice" and not values:
            entry.problem("choices", "choices must list at least one choice")
        choices: list[str] = []
        for index, value in enumerate(values):
            path = (*entry.path, "choices", index)
            if not isinstance(value, str) or not value.strip():
                self.report(path, f"{entry.prefix}each choice must be non-empty text, "
                                  f"not {_describe(value)}")
            elif value != value.strip():
                self.report(path, f'{entry.prefix}choice "{value}" has spaces around it; '
                                  "typed values are trimmed, so it could never match")
            elif value in choices:
                self.report(path, f'{entry.prefix}choice "{value}" is listed twice')
            else:
                choices.append(value)
        return choices

    # -- [[indicators]] --------------------------------------------------------

    def indicators(self, top: _Table, columns: _Columns) -> list[Indicator]:
        entries = top.entries("indicators", "indicator")
        built = [self.indicator(entry, columns) for entry in entries]
        _check_unique(self, entries, "indicator")
        return [indicator for indicator in built if indicator is not None]

    def indicator(self, entry: _Table, columns: _Columns) -> Indicator | None:
        before = len(self.problems)
        entry.check_keys(INDICATOR_KEYS, INDICATOR_REQUIRED)
        indicator_id = entry.identifier("id", NAME_ID, NAME_ID_FORM)
        title = entry.title()
        unit = entry.string("unit")
        kind = entry.choice("kind", INDICATOR_KINDS, "indicator kind")
        if kind is not None:
            entry.keys_only_for(
                INDICATOR_KIND_KEYS[kind],
                ("where", "column", "numerator", "denominator"),
                f"{_a(kind)} indicator",
                INDICATOR_KIND_KEYS,
            )
            # spec §3: a missing `where` matches every row, so a rate without a
            # denominator is "share of all rows in the period". Without a numerator it
            # would be 100 whatever happened: that is a mistake, not a rule.
            if kind == "rate" and "numerator" not in entry.data:
                entry.problem(None, "a rate indicator needs numerator = { column = value }")
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
            entry.problem(None, 'a sum indicator needs column = "..." (an int or decimal column)')
            return None
        name = entry.string("column")
        if name is None:
            return None
        if name not in columns.declared:
            entry.problem(
                "column", f'column "{name}" is not a column (columns: {_listing(columns.declared)})'
            )
            return None
        column_type = columns.type_of(name)
        if column_type is not None and column_type not in ("int", "decimal"):
            entry.problem(
                "column",
                f'a sum needs an int or decimal column, but "{name}" is {_a(column_type)} column',
            )
        return name

    def where(self, entry: _Table, key: str, columns: _Columns) -> Where | None:
        table = entry.table(key)
        if table is None:
            return None
        matched: list[tuple[str, CellValue]] = []
        for name, raw in table.items():
            path = (*entry.path, key, name)
            if name not in columns.declared:
                self.report(
                    path,
                    f'{entry.prefix}{key} names unknown column "{name}" '
                    f"(columns: {_listing(columns.declared)})",
                )
                continue
            column = columns.good.get(name)
            if column is None:
                continue  # the column itself is broken and already reported
            try:
                matched.append((name, _where_value(column, raw)))
            except ValueError as problem:
                self.report(path, f"{entry.prefix}{key} {name} = ...: {problem}")
        return tuple(matched)

    # -- [[items]] -------------------------------------------------------------

    def items(self, top: _Table, indicator_ids: Sequence[str]) -> list[Item]:
        entries = top.entries("items", "item")
        if "items" in top.data and isinstance(top.data["items"], list) and not entries:
            top.problem("items", "a program needs at least one [[items]]")
        built = [self.item(entry, indicator_ids) for entry in entries]
        _check_unique(self, entries, "item")
        return [item for item in built if item is not None]

    def item(self, entry: _Table, indicator_ids: Sequence[str]) -> Item | None:
        before = len(self.problems)
        entry.check_keys(ITEM_KEYS, ITEM_REQUIRED)
        item_id = entry.identifier("id", NAME_ID, NAME_ID_FORM)
        title = entry.title()
        section = entry.string("section")
        rule = entry.choice("rule", RULES, "rule")
        if rule is not None:
            entry.keys_only_for(
                RULE_KEYS[rule],
                RULE_PARAMETERS,
                f'rule "{rule}"',
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
            entry.problem("max", f"max {high} is less than min {low if low is not None else 0}")
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
                entry.problem(
                    "indicator",
                    'a manual item takes no indicator (an assessor enters its points); remove it',
                )
            for key in MONEY_KEYS:
                if key in entry.data:
                    entry.problem(key, f"a manual item has no indicator, so {key} cannot apply")
            return None
        if rule is not None and "indicator" not in entry.data:
            entry.problem(
                None, f'rule "{rule}" needs indicator = "..." (only manual items have none)'
            )
            return None
        name = entry.string("indicator")
        if name is not None and name not in indicator_ids:
            entry.problem(
                "indicator",
                f'indicator "{name}" is not an indicator (indicators: {_listing(indicator_ids)})',
            )
        return name

    # -- [[adjustments]] -------------------------------------------------------

    def adjustments(self, top: _Table) -> list[Adjustment]:
        entries = top.entries("adjustments", "adjustment")
        built: list[Adjustment] = []
        for entry in entries:
            entry.check_keys(ADJUSTMENT_KEYS, ADJUSTMENT_KEYS)
            adjustment_id = entry.identifier("id", NAME_ID, NAME_ID_FORM)
            title = entry.title()
            points = entry.number("points")
            if points is not None and points == 0:
                entry.problem("points", "points per occurrence cannot be 0 (negative deducts)")
                continue
            if adjustment_id and title and points is not None:
                built.append(Adjustment(adjustment_id, title, points))
        _check_unique(self, entries, "adjustment")
        return built

    # -- [ranking] -------------------------------------------------------------

    def ranking(self, top: _Table, indicator_ids: Sequence[str]) -> RankingRules | None:
        if "ranking" not in top.data:
            return RankingRules()
        data = top.table("ranking")
        if data is None:
            return None
        ranking = _Table(self, data, ("ranking",), "ranking")
        ranking.check_keys(RANKING_KEYS, ())
        veto = self.veto(ranking, indicator_ids)
        bonus = self.rank_bonus(ranking)
        rewards = self.money_lines(
            ranking, "rewards", "reward", REWARD_KEYS, REWARD_REQUIRED, "rank", "requires_complete"
        )
        penalties = self.money_lines(
            ranking, "penalties", "penalty", PENALTY_KEYS, PENALTY_REQUIRED,
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
                self.report(path, f"ranking: veto lists indicator ids, not {_describe(name)}")
            elif name not in indicator_ids:
                self.report(
                    path,
                    f'ranking: veto names unknown indicator "{name}" '
                    f"(indicators: {_listing(indicator_ids)})",
                )
            elif name in veto:
                self.report(path, f'ranking: veto lists "{name}" twice')
            else:
                veto.append(name)
        return veto

    def rank_bonus(self, ranking: _Table) -> list[Decimal]:
        values = ranking.array("period_rank_bonus")
        bonus: list[Decimal] = []
        for index, value in enumerate(values or []):
            path = ("ranking", "period_rank_bonus", index)
            if not _is_number(value) or not _as_decimal(value).is_finite():
                self.report(
                    path, f"ranking: period_rank_bonus lists points, not {_describe(value)}"
                )
            elif _as_decimal(value) < 0:
                self.report(path, f"ranking: period_rank_bonus must not be negative, not {value}")
            else:
                bonus.append(_as_decimal(value))
        return bonus

    def money_lines(
        self,
        ranking: _Table,
        key: str,
        what: str,
        keys: Sequence[str],
        required: Sequence[str],
        place_key: str,
        flag_key: str,
    ) -> list[tuple[int, Decimal, bool]]:
        entries = ranking.entries(key, f"ranking {what}")
        lines: list[tuple[int, Decimal, bool]] = []
        first_line: dict[int, int] = {}
        for entry in entries:
            entry.check_keys(keys, required)
            place = entry.integer(place_key)
            amount = entry.number("amount", at_least=Decimal(0))
            flag = entry.boolean(flag_key)
            if place is not None and place < 1:
                entry.problem(place_key, f"{place_key} must be 1 or more, not {place}")
                continue
            if place is not None and place in first_line:
                entry.problem(
                    place_key,
                    f"a {what} for {place_key} = {place} is already given "
                    f"(line {first_line[place]})",
                )
                continue
            if place is not None:
                first_line[place] = self.lines.line_of((*entry.path, place_key))
            if place is not None and amount is not None:
                lines.append((place, amount, bool(flag)))
        return lines

    def areas(self, ranking: _Table) -> AreaMoney | None:
        data = ranking.table("areas")
        if data is None:
            return None
        areas = _Table(self, data, ("ranking", "areas"), "ranking.areas")
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


def _check_unique(reader: _Reader, entries: Sequence[_Table], what: str) -> None:
    first: dict[str, int] = {}
    for entry in entries:
        entry_id = entry.data.get("id")
        if not isinstance(entry_id, str):
            continue
        line = reader.lines.line_of((*entry.path, "id"))
        if entry_id in first:
            earlier = first[entry_id]
            entry.problem("id", f"this id is already used by the {what} at line {earlier}")
        else:
            first[entry_id] = line


def _where_value(column: Column, raw: object) -> CellValue:
    """A `where` value, parsed by its column's type like a typed ledger cell (spec §2).

    TOML's own types are taken where they mean the same thing (true for a bool
    column, 2026-03-05 for a date column, 12 for a number column); text goes
    through the ledger's parser, so "是" also means true.
    """
    typed = _typed_text(column, raw)
    if not typed.strip():
        raise ValueError("an empty value matches no row (an empty cell equals nothing)")
    value = parse_cell(column, typed)
    if column.type == "decimal" and isinstance(value, str) and _exact(typed) != Decimal(value):
        raise ValueProblem(
            column,
            f"{column.title} ({column.id}): keeps {column.places} decimal places, "
            f"so {typed} can never match",
            f"{column.title}（{column.id}）：保留{column.places}位小数，{typed} 永远不会相等",
        )
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
        raise ValueError(
            f'column "{column.id}" is {_a(column.type)} column; {_describe(raw)} does not fit it'
        )
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, date):
        return raw.isoformat()
    return f"{_as_decimal(raw):f}"


class _Table:
    """One TOML table being read: its data, key path and the name messages use."""

    def __init__(self, reader: _Reader, data: dict[str, object], path: KeyPath, label: str) -> None:
        self.reader = reader
        self.data = data
        self.path = path
        self.label = label

    @property
    def prefix(self) -> str:
        return f"{self.label}: " if self.label else ""

    def problem(self, key: str | None, message: str) -> None:
        path = self.path if key is None else (*self.path, key)
        self.reader.report(path, self.prefix + message)

    # -- keys ------------------------------------------------------------------

    def check_keys(self, allowed: Sequence[str], required: Sequence[str]) -> None:
        for key in self.data:
            if key not in allowed:
                hint = difflib.get_close_matches(key, allowed, n=1)
                guess = f' (did you mean "{hint[0]}"?)' if hint else ""
                self.problem(key, f'unknown key "{key}"{guess}; allowed: {_listing(allowed)}')
        for key in required:
            if key not in self.data:
                self.problem(None, f'missing required key "{key}"')

    def keys_only_for(
        self,
        fits: Sequence[str],
        optional: Sequence[str],
        what: str,
        by_kind: dict[str, tuple[str, ...]],
        verb: str = "does not apply to",
    ) -> None:
        """Refuse keys of `optional` that `what` does not use (they would be silently ignored)."""
        for key in optional:
            if key in self.data and key not in fits:
                if verb == "does not apply to":
                    owners = [kind for kind, keys in by_kind.items() if key in keys]
                    message = f'"{key}" does not apply to {what} (only to {_either(owners)})'
                elif not fits:
                    message = f'{what} takes no {_either(optional)}; remove "{key}"'
                else:
                    message = f'{what} does not use "{key}"; it takes: {_listing(fits)}'
                self.problem(key, message)

    # -- typed values ----------------------------------------------------------

    def _typed(self, key: str, accepts: Callable[[object], bool], expected: str) -> object:
        if key not in self.data:
            return None
        value = self.data[key]
        if not accepts(value):
            self.problem(key, f'"{key}" must be {expected}, not {_describe(value)}')
            return None
        return value

    def string(self, key: str) -> str | None:
        value = self._typed(key, lambda v: isinstance(v, str), 'text in quotes ("...")')
        return value if isinstance(value, str) else None

    def title(self) -> str | None:
        value = self.string("title")
        if value is not None and not value.strip():
            self.problem("title", "title must not be empty")
            return None
        return value

    def identifier(self, key: str, pattern: re.Pattern[str], form: str) -> str | None:
        value = self.string(key)
        if value is not None and not pattern.fullmatch(value):
            self.problem(key, f'{key} "{value}" is not a valid id: use {form}')
            return None
        return value

    def choice(self, key: str, options: Sequence[str], what: str) -> str | None:
        value = self.string(key)
        if value is not None and value not in options:
            hint = difflib.get_close_matches(value, options, n=1)
            guess = f' (did you mean "{hint[0]}"?)' if hint else ""
            self.problem(key, f'unknown {what} "{value}"{guess}; use one of: {_listing(options)}')
            return None
        return value

    def integer(self, key: str) -> int | None:
        value = self._typed(
            key, lambda v: isinstance(v, int) and not isinstance(v, bool), "a whole number"
        )
        return value if isinstance(value, int) else None

    def number(
        self, key: str, at_least: Decimal | None = None, whole: bool = False
    ) -> Decimal | None:
        value = self._typed(
            key,
            lambda v: _is_number(v) and _as_decimal(v).is_finite(),
            "a whole number" if whole else "a number",
        )
        if value is None:
            return None
        number = _as_decimal(value)
        if whole and number != number.to_integral_value():
            self.problem(key, f'"{key}" must be a whole number, not {number}')
            return None
        if at_least is not None and number < at_least:
            self.problem(key, f"{key} must not be negative, not {number}")
            return None
        return number

    def boolean(self, key: str) -> bool | None:
        value = self._typed(key, lambda v: isinstance(v, bool), "true or false")
        return value if isinstance(value, bool) else None

    def day(self, key: str) -> date | None:
        value = self._typed(
            key,
            lambda v: isinstance(v, date) and not isinstance(v, datetime),
            "a date without quotes, like 2026-01-31",
        )
        return value if isinstance(value, date) else None

    def table(self, key: str) -> dict[str, object] | None:
        value = self._typed(key, lambda v: isinstance(v, dict), "a table, like { key = value }")
        return value if isinstance(value, dict) else None

    def array(self, key: str) -> list[object] | None:
        value = self._typed(key, lambda v: isinstance(v, list), "an array, like [...]")
        return value if isinstance(value, list) else None

    def entries(self, key: str, what: str) -> list[_Table]:
        """The tables of an array of tables ([[key]]), labelled by their ids for messages."""
        header = ".".join(str(p) for p in (*self.path, key))
        values = self._typed(
            key,
            lambda v: isinstance(v, list) and all(isinstance(e, dict) for e in v),
            f"written as [[{header}]] tables",
        )
        if not isinstance(values, list):
            return []
        entries = []
        for index, data in enumerate(values):
            entry_id = data.get("id")
            label = f'{what} "{entry_id}"' if isinstance(entry_id, str) else f"{what} #{index + 1}"
            entries.append(_Table(self.reader, data, (*self.path, key, index), label))
        return entries
