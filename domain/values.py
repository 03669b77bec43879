"""Ledger values (spec/program.md §2): what a clerk types, parsed by the column's type.

Clerks type through a Chinese IME, so digits and punctuation often arrive full-width
(`１２．５`, `２０２６／３／５`, `－３`) and cells are padded with the ideographic space
U+3000. Numbers, dates and yes/no answers are read through a narrow map of those
forms to ASCII; choice and text cells are kept as typed, only trimmed, because their
exact characters are the value.

Forms a clerk reaches for first are taken too: "1,200" (thousands separated), a date
without its year ("3月10日", in the program's year: `Column.year`) or without separators
("20260311"), a date with a midnight time ("2026/3/5 0:00", as Excel writes a date cell
to CSV), and for a choice its unique prefix ("宣传" for 宣传活动), the pinyin initials of
its characters ("xchd", domain/pinyin.py) or its number in the list ("1" for the first).
A date outside the program's year is kept (spec §2: it counts in no period and the
ranking sheet lists it), but `date_warning` says so while the clerk still has the row
in front of them: a date typed for last December or next January is more often a slip
of the year than a mistake in the day, and refusing it would also refuse files that
hold a few such rows on purpose.

Control characters (C0 and C1 controls, DEL, NUL, bidirectional overrides and
isolates) are refused in text and choice cells: a cell is printed on terminals and
written into .xlsx files, where they would move the cursor, recolour the screen,
reorder the line or break the file. Line breaks and tabs stay (Excel cells hold them).
`visible` neutralises whatever such characters a stored value still holds, for output.

Stored forms (what `parse_cell` returns, `CellValue`):

    int      -> int
    decimal  -> str with exactly `places` places ("12.50"; places = 0: "12")
    date     -> "YYYY-MM-DD"
    choice   -> the choice string
    text     -> the trimmed string
    bool     -> True / False
    empty    -> None

Reading back from storage goes through `normalize_stored`, which never changes what a
value means: a stored value that no longer fits its column (the program file changed
a choice list, `max_length`, `places`, min/max, the type) comes back unchanged with
the reason attached, so screens can mark it and indicators can skip it rather than
guess.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext

from vledger.domain.pinyin import matches_initials
from vledger.domain.program import CellValue, Column, Program
from vledger.errors import VledgerError
from vledger.messages import Message, PerLang

__all__ = [
    "BOOL_FALSE",
    "BOOL_TRUE",
    "StoredCell",
    "ValueProblem",
    "cell_date",
    "cell_decimal",
    "choice_matches",
    "control_characters",
    "date_warning",
    "format_cell",
    "normalize_stored",
    "parse_cell",
    "visible",
]


class ValueProblem(VledgerError, ValueError):
    """A typed value the column refuses. `str(problem)` and `message` are the English
    message; `text(lang)` the one to show."""

    def __init__(self, column: Column, said: Message) -> None:
        super().__init__(said)
        self.column_id = column.id
        self.column_title = column.title
        self.said = said

    def text(self, lang: str = "zh") -> str:
        return self.said.text(lang)

    @property
    def message(self) -> str:
        return self.said.text("en")

    @property
    def message_zh(self) -> str:
        return self.said.text("zh")


# Full-width ASCII (U+FF01..U+FF5E) to ASCII, the ideographic space, the minus sign and
# the IME full stop (typing "." in Chinese mode gives "。"). Deliberately not NFKC: that
# would also turn "①" or "1²" into digits, which nobody meant as a number.
_ASCII = str.maketrans(
    {
        **{chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)},
        "\u3000": " ",
        "\u2212": "-",
        "\u3002": ".",
    }
)

_INT = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
# "1,200" and "12,345,678.5": groups of three only, so "1,2" (a decimal comma typed by
# mistake) is not read as twelve.
_GROUPED = re.compile(r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?")
_DATE = re.compile(
    r"(?P<y>[0-9]{4})(?:(?P<sep>[-/.])(?P<m>[0-9]{1,2})(?P=sep)(?P<d>[0-9]{1,2})"
    r"|年(?P<m2>[0-9]{1,2})月(?P<d2>[0-9]{1,2})日?"
    r"|(?P<m8>[0-9]{2})(?P<d8>[0-9]{2}))"
    r"|(?P<m3>[0-9]{1,2})月(?P<d3>[0-9]{1,2})日?"
    r"|(?P<m4>[0-9]{1,2})(?P<sep4>[-/.])(?P<d4>[0-9]{1,2})"  # "3/10": month first, as written here
)
# A time after the date, as Excel writes a date cell to CSV ("2026/3/5 0:00").
_TIME = re.compile(r"(?P<day>.*?)[\sT]+(?P<h>[0-9]{1,2}):(?P<min>[0-9]{2})(?::(?P<s>[0-9]{2}))?")
# What a cell must not hold: C0 controls but tab, line feed and carriage return; DEL and
# the C1 controls; the bidirectional marks, embeddings, overrides and isolates.
_CONTROL = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
_CONTROL_OR_BREAK = re.compile(r"\r\n|[\r\n\t]|" + _CONTROL.pattern)
_STORED_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_STORED_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

# Latin answers are compared case-insensitively (after full-width folding).
BOOL_TRUE: frozenset[str] = frozenset({"是", "y", "yes", "true", "1", "√", "✓", "✔"})
BOOL_FALSE: frozenset[str] = frozenset({"否", "n", "no", "false", "0", "×", "✗", "✘"})
_BOOL_FORMS = "是/否, y/n, yes/no, true/false, 1/0, √/×"

_MAX_DIGITS = 30  # a longer number is a typing accident, and keeps Decimal inside its precision


def _range(column: Column) -> Message | None:
    low, high = column.min, column.max
    if low is not None and high is not None:
        return Message("value.range.between", low=low, high=high)
    if low is not None:
        return Message("value.range.at-least", low=low)
    if high is not None:
        return Message("value.range.at-most", high=high)
    return None


def _form(column: Column) -> Message:
    places = column.places
    bounds = _range(column)
    match column.type:
        case "int":
            if bounds:
                return Message("value.form.int-in-range", range=bounds)
            return Message("value.form.int")
        case "decimal":
            if bounds:
                return Message("value.form.decimal-in-range", range=bounds, places=places)
            return Message("value.form.decimal", places=places)
        case "date":
            return Message("value.form.date")
        case "choice":
            return Message("value.form.choice", choices=column.choices)
        case "text":
            return Message("value.form.text", most=column.max_length)
        case "bool":
            return Message("value.form.bool", forms=_BOOL_FORMS)
    raise AssertionError(column.type)


def _refuse(column: Column, raw: str, why: Message | None = None) -> ValueProblem:
    """A problem naming the column (title and id), the expected form and what was typed."""
    named = {"title": column.title, "id": column.id, "form": _form(column),
             "shown": visible(raw.strip())}
    if why is None:
        return ValueProblem(column, Message("value.refused", **named))
    return ValueProblem(column, Message("value.refused-because", why=why, **named))


def _required(column: Column) -> ValueProblem:
    return ValueProblem(
        column, Message("value.required", title=column.title, id=column.id, form=_form(column))
    )


def _check_range(column: Column, number: Decimal, raw: str) -> None:
    """min/max are inclusive and compared as exact decimals."""
    too_low = column.min is not None and number < column.min
    too_high = column.max is not None and number > column.max
    if too_low or too_high:
        raise _refuse(column, raw, Message("value.why.out-of-range"))


def _number_text(raw: str) -> str:
    """The number typed, in ASCII, thousands separators dropped ("１，２００" -> "1200")."""
    text = raw.translate(_ASCII).strip()
    return text.replace(",", "") if _GROUPED.fullmatch(text) else text


def _parse_int(column: Column, raw: str) -> int:
    text = _number_text(raw)
    if not _INT.fullmatch(text) or len(text) > _MAX_DIGITS:
        raise _refuse(column, raw)
    number = int(text)
    _check_range(column, Decimal(number), raw)
    return number


def _exact_decimal(column: Column, raw: str) -> Decimal:
    text = _number_text(raw)
    if not _DECIMAL.fullmatch(text) or len(text) > _MAX_DIGITS:
        raise _refuse(column, raw)
    return Decimal(text)


def _round(number: Decimal, places: int) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = _MAX_DIGITS + places + 2
        rounded = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    # "-0.00" would read as a different value from "0.00" to a person and to a diff.
    return rounded.copy_abs() if rounded.is_zero() else rounded


def _parse_decimal(column: Column, raw: str) -> str:
    rounded = _round(_exact_decimal(column, raw), column.places)
    _check_range(column, rounded, raw)
    return f"{rounded:f}"


def _parse_date(column: Column, raw: str) -> str:
    text = raw.translate(_ASCII).strip()
    timed = _TIME.fullmatch(text)
    if timed:
        # A date cell Excel wrote with its time: midnight is the day itself; any other
        # time would be silently dropped, so it is refused.
        if any(int(timed[part] or 0) for part in ("h", "min", "s")):
            raise _refuse(column, raw, Message("value.why.time-of-day"))
        text = timed["day"]
    text = "".join(text.split())  # "2026年 3月 5日" is still a date
    found = _DATE.fullmatch(text)
    if not found:
        raise _refuse(column, raw)
    if found["y"]:
        year = int(found["y"])
    elif column.year is not None:
        year = column.year  # "3月10日": the program's year
    else:
        raise _refuse(column, raw, Message("value.why.no-year"))
    month = int(found["m"] or found["m2"] or found["m8"] or found["m3"] or found["m4"])
    day = int(found["d"] or found["d2"] or found["d8"] or found["d3"] or found["d4"])
    if not 1 <= month <= 12:
        raise _refuse(column, raw, Message("value.why.no-month", month=month))
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        name = PerLang(zh=str(month), en=calendar.month_name[month])
        raise _refuse(column, raw, Message(
            "value.why.short-month", year=year, month=name, days=days, day=day
        ))
    return date(year, month, day).isoformat()


def _refuse_controls(column: Column, raw: str, text: str) -> None:
    found = control_characters(text)
    if found:
        raise _refuse(column, visible(raw), Message("value.why.control", chars=found))


def choice_matches(column: Column, raw: str) -> list[str]:
    """The choices of `column` that `raw` can stand for, as `parse_cell` reads a choice:
    the choice written out, its number in the list, else every choice it is a prefix of
    or spells the pinyin initials of (several: the typed text is not enough yet). Empty
    text stands for any choice. A screen offers these to pick from while the clerk types."""
    text = raw.strip()
    choices = column.choices
    if not text:
        return list(choices)
    if text in choices:
        return [text]
    typed = text.translate(_ASCII).strip().casefold()
    # "1" is the first choice, unless a choice itself starts with a digit ("1级"): then
    # digits are its prefix.
    if typed.isdigit() and typed.isascii() and not any(c[:1].isdigit() for c in choices):
        number = int(typed)
        return [choices[number - 1]] if 1 <= number <= len(choices) else []
    found = [c for c in choices if c.casefold().startswith(typed)]
    if typed.isascii() and typed.isalnum():
        found += [c for c in choices if c not in found and matches_initials(c, typed)]
    return found


def _parse_choice(column: Column, raw: str) -> str:
    text = raw.strip()
    if text in column.choices:
        return text
    _refuse_controls(column, raw, text)
    found = choice_matches(column, raw)
    if len(found) == 1:
        return found[0]
    if found:
        raise _refuse(column, raw, Message("value.why.several-choices", choices=found))
    typed = text.translate(_ASCII).strip()
    if typed.isdigit() and typed.isascii() and not any(c[:1].isdigit() for c in column.choices):
        raise _refuse(column, raw, Message("value.why.no-such-number",
                                           count=len(column.choices)))
    raise _refuse(column, raw)


def _parse_text(column: Column, raw: str) -> str:
    text = raw.strip()
    _refuse_controls(column, raw, text)
    extra = len(text) - column.max_length
    if extra > 0:
        raise _refuse(column, raw, Message("value.why.too-long", extra=extra))
    return text


def _parse_bool(column: Column, raw: str) -> bool:
    text = raw.translate(_ASCII).strip().casefold()
    if text in BOOL_TRUE:
        return True
    if text in BOOL_FALSE:
        return False
    raise _refuse(column, raw)


_PARSERS: dict[str, Callable[[Column, str], CellValue]] = {
    "int": _parse_int,
    "decimal": _parse_decimal,
    "date": _parse_date,
    "choice": _parse_choice,
    "text": _parse_text,
    "bool": _parse_bool,
}


def parse_cell(column: Column, raw: str, *, exact: bool = False) -> CellValue:
    """Parse what a person typed into `column`; raise ValueProblem when it does not fit.

    Empty or whitespace-only input (U+3000 included) clears the cell: None, unless the
    column is required. `exact`: a choice must be written out whole (a program file's
    `where`, which nobody should have to guess at), not picked by prefix or number.
    """
    if not raw.strip():
        if column.required:
            raise _required(column)
        return None
    if exact and column.type == "choice" and raw.strip() not in column.choices:
        raise _refuse(column, raw)
    return _PARSERS[column.type](column, raw)


def format_cell(column: Column, value: CellValue, lang: str = "zh") -> str:
    """Display text of a stored value; parsing it back gives the same value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        if lang == "zh":
            return "是" if value else "否"
        return "yes" if value else "no"
    return str(value)


def control_characters(text: str) -> list[str]:
    """The control characters `text` holds that a cell may not, each once, as `U+XXXX`."""
    return list(dict.fromkeys(f"U+{ord(c):04X}" for c in _CONTROL.findall(text)))


def visible(text: str) -> str:
    """`text` on one line of a terminal, inert: a line break shows as ↵, a tab as a space,
    and any other control character as its escape (`\\x1b`, `\\u202e`), so what a stored
    value holds can neither move the cursor nor reorder the line, and still shows."""
    if not _CONTROL_OR_BREAK.search(text):
        return text
    return _CONTROL_OR_BREAK.sub(_neutral, text)


def _neutral(found: re.Match[str]) -> str:
    char = found[0]
    if char in ("\r\n", "\r", "\n"):
        return "↵"
    if char == "\t":
        return " "
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def date_warning(program: Program, column: Column, value: CellValue) -> Message | None:
    """What to tell the clerk about a value the column accepted but that will not count
    as they expect: a row date outside the program's year counts in no period."""
    if column.id != program.date_column:
        return None
    day = cell_date(value)
    if day is None or day.year == program.year:
        return None
    return Message("value.warn.outside-year", title=column.title, day=day.isoformat(),
                   year=program.year)


def cell_decimal(value: CellValue) -> Decimal | None:
    """The number in an int or decimal cell, for sums and scoring; None for anything else."""
    if isinstance(value, bool):  # bool is an int to Python, never a number to a ledger
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str) and _STORED_DECIMAL.fullmatch(value):
        return Decimal(value)
    return None


def cell_date(value: CellValue) -> date | None:
    """The day in a stored date cell ("YYYY-MM-DD"); None for anything else."""
    if isinstance(value, str) and _STORED_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


@dataclass(frozen=True)
class StoredCell:
    """A value read back from storage, and why it no longer fits its column, if it does not.

    `value` is the stored form when it fits, else exactly what storage held.
    """

    value: object
    problem: ValueProblem | None = None

    @property
    def fits(self) -> bool:
        return self.problem is None


def _as_typed(column: Column, value: object) -> str | None:
    """The text a person could have typed for a stored value, or None for a foreign type."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return ("true" if value else "false") if column.type == "bool" else None
    if isinstance(value, int):
        return str(value) if column.type in ("int", "decimal") else None
    return None


def normalize_stored(column: Column, value: object) -> StoredCell:
    """Check a stored value against its column without ever changing its meaning.

    A value that fits comes back in stored form (an int in a decimal column becomes
    "12.00"; "2026/3/5" in a date column becomes "2026-03-05"). A value that does not fit
    (wrong type, outside min/max, no longer a choice, too long, or needing rounding to the
    column's `places`) comes back unchanged with `problem` set. An empty required cell
    comes back as None with the "required" problem.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return StoredCell(None, _required(column) if column.required else None)
    typed = _as_typed(column, value)
    if typed is None:
        return StoredCell(
            value, _refuse(column, repr(value), Message("value.why.stored-type"))
        )
    try:
        # What a clerk may abbreviate when typing is never expanded in storage: a value
        # that is no longer one of the choices is flagged as it is.
        parsed = parse_cell(column, typed, exact=True)
        if column.type == "decimal" and Decimal(str(parsed)) != _exact_decimal(column, typed):
            raise _refuse(
                column, typed, Message("value.why.too-many-places", places=column.places)
            )
    except ValueProblem as problem:
        return StoredCell(value, problem)
    return StoredCell(parsed)
