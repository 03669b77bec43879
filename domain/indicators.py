"""Indicators (指标) measured from one village's ledger (spec §3).

`measure(program, rows)` reads a village's ledger rows once and keeps, per
indicator and period (and the year), only what scoring and explanations need:
the ids of the rows that made each value and, for `sum`, the total. The result
is small and plain (`to_plain`/`from_plain`), so the store can cache it keyed
by the village document's heads and the township never holds every ledger open.

`entered` indicators are not measured here: their values come from the
township's sheet at ranking time (domain/ranking.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation, localcontext
from fractions import Fraction
from operator import itemgetter
from typing import Any, Literal, Protocol

from vledger.domain.decimals import decimal_to_plain, plain_to_decimal
from vledger.domain.program import YEAR, CellValue, Indicator, Program, Where

WarningReason = Literal["no_date", "outside_year", "bad_date"]
MEASURED_KINDS = ("count", "sum", "rate")
PLAIN_VERSION = 1


class LedgerRowLike(Protocol):
    """What `measure` reads from a ledger row; the store's row type fits it."""

    @property
    def id(self) -> str: ...

    @property
    def cells(self) -> Mapping[str, CellValue]: ...

    @property
    def deleted(self) -> bool: ...


@dataclass(frozen=True)
class LedgerRow:
    """A ledger row as the engine sees it. `order` is creation order (ties within a date)."""

    id: str
    cells: Mapping[str, CellValue]
    deleted: bool = False
    order: int = 0


@dataclass(frozen=True)
class RowWarning:
    """A row that counts in no period: its date is empty, unreadable or outside the year."""

    row: str
    reason: WarningReason
    date: str | None = None


@dataclass(frozen=True)
class Measure:
    """One indicator's value for one period, with the rows that made it.

    count: `rows` are the matching rows, value = len(rows).
    sum: `rows` are the matching rows with a value in the column; value = `total`.
    rate: `rows` are the denominator rows, `numerator_rows` the numerator rows;
    value = 100 * len(numerator_rows) / len(rows), 100 when there are none.
    """

    kind: str
    rows: tuple[str, ...] = ()
    total: Decimal = Decimal(0)
    numerator_rows: tuple[str, ...] = ()

    @property
    def value(self) -> Fraction:
        if self.kind == "count":
            return Fraction(len(self.rows))
        if self.kind == "sum":
            return Fraction(self.total)
        if not self.rows:
            return Fraction(100)
        return Fraction(100 * len(self.numerator_rows), len(self.rows))

    def to_plain(self) -> dict[str, Any]:
        plain: dict[str, Any] = {"kind": self.kind, "rows": list(self.rows)}
        if self.kind == "sum":
            plain["total"] = decimal_to_plain(self.total)
        if self.kind == "rate":
            plain["numerator_rows"] = list(self.numerator_rows)
        return plain

    @classmethod
    def from_plain(cls, plain: Mapping[str, Any]) -> Measure:
        kind = plain["kind"]
        if kind not in MEASURED_KINDS:
            raise ValueError(f"unknown indicator kind {kind!r}")
        return cls(
            kind=kind,
            rows=_strings(plain.get("rows", [])),
            total=plain_to_decimal(plain["total"]) if kind == "sum" else Decimal(0),
            numerator_rows=_strings(plain.get("numerator_rows", [])),
        )


def empty_measure(kind: str) -> Measure:
    return Measure(kind=kind)


@dataclass(frozen=True)
class VillageMeasures:
    """Every measured indicator of one village's ledger, per period and for the year."""

    program: str
    values: Mapping[tuple[str, str], Measure] = field(default_factory=dict)
    warnings: tuple[RowWarning, ...] = ()
    rows_counted: int = 0  # live rows dated inside the year

    def get(self, indicator: Indicator, period_id: str) -> Measure:
        found = self.values.get((indicator.id, period_id))
        return found if found is not None else empty_measure(indicator.kind)

    def to_plain(self) -> dict[str, Any]:
        indicators: dict[str, dict[str, Any]] = {}
        for (indicator_id, period_id), m in self.values.items():
            indicators.setdefault(indicator_id, {})[period_id] = m.to_plain()
        return {
            "version": PLAIN_VERSION,
            "program": self.program,
            "indicators": indicators,
            "warnings": [{"row": w.row, "reason": w.reason, "date": w.date} for w in self.warnings],
            "rows_counted": self.rows_counted,
        }

    @classmethod
    def from_plain(cls, plain: Mapping[str, Any]) -> VillageMeasures:
        """Rebuild from `to_plain()`; raises ValueError on anything else (a stale cache)."""
        try:
            if plain.get("version") != PLAIN_VERSION:
                raise ValueError(f"unsupported measures version {plain.get('version')!r}")
            values = {
                (indicator_id, period_id): Measure.from_plain(m)
                for indicator_id, periods in plain["indicators"].items()
                for period_id, m in periods.items()
            }
            warnings = tuple(
                RowWarning(row=str(w["row"]), reason=w["reason"], date=w.get("date"))
                for w in plain["warnings"]
            )
            return cls(
                program=str(plain["program"]),
                values=values,
                warnings=warnings,
                rows_counted=int(plain["rows_counted"]),
            )
        except (KeyError, TypeError, AttributeError, InvalidOperation) as e:
            raise ValueError(f"not a measures record: {e!r}") from e


def _strings(values: Iterable[Any]) -> tuple[str, ...]:
    out = tuple(values)
    # Their types at C speed first (a cached ranking checks hundreds of thousands of ids);
    # one by one only when something is not exactly a str.
    if not {str}.issuperset(map(type, out)) and not all(isinstance(v, str) for v in out):
        raise ValueError("row ids must be strings")
    return out


# --- matching -----------------------------------------------------------------


class _Matcher:
    """A compiled `where` table: every listed cell equals its value; empty equals nothing."""

    __slots__ = ("columns", "conditions")

    def __init__(self, program: Program, where: Where) -> None:
        conditions: list[tuple[str, Any, bool]] = []
        for column_id, expected in where:
            is_decimal = program.column(column_id).type == "decimal"
            wanted = Decimal(str(expected)) if is_decimal and expected is not None else expected
            conditions.append((column_id, wanted, is_decimal))
        self.conditions = tuple(conditions)
        self.columns = tuple(c for c, _, _ in conditions)

    def __call__(self, cells: Mapping[str, CellValue]) -> bool:
        for column_id, wanted, is_decimal in self.conditions:
            cell = cells.get(column_id)
            if cell is None or wanted is None:
                return False
            if is_decimal:
                try:
                    if Decimal(str(cell)) != wanted:
                        return False
                except InvalidOperation:
                    return False
            elif type(cell) is not type(wanted) or cell != wanted:
                # type check: True == 1 in Python, but a bool cell is not an int cell
                return False
        return True


def _cell_amount(cell: object) -> Decimal | None:
    # `object`, not CellValue: a document another tool synced may hold any scalar.
    if cell is None or isinstance(cell, bool):
        return None
    if isinstance(cell, int):
        return Decimal(cell)
    if not isinstance(cell, str):  # bytes or a float: not an amount
        return None
    try:
        return Decimal(cell.strip())
    except InvalidOperation:
        return None


def _row_day(cell: CellValue) -> tuple[str | None, WarningReason | None]:
    """The row's date as "YYYY-MM-DD", or why it has none."""
    if cell is None or cell == "":
        return None, "no_date"
    if not isinstance(cell, str):
        return None, "bad_date"
    try:
        return date.fromisoformat(cell).isoformat(), None
    except ValueError:
        return None, "bad_date"


# --- measuring ----------------------------------------------------------------


class _Accumulator:
    __slots__ = ("at", "indicator", "kind", "match", "num_rows", "numerator", "rows", "total")

    def __init__(
        self, indicator: Indicator, match: int, numerator: int | None, at: int | None
    ) -> None:
        self.indicator = indicator
        self.kind = indicator.kind
        self.at = at  # a sum: where its column's value is in a row's values
        self.match = match  # where its `where` (a rate: its denominator) is in a row's plan
        self.numerator = numerator
        self.rows: dict[str, list[tuple[str, int, str]]] = {}
        self.num_rows: dict[str, list[tuple[str, int, str]]] = {}
        self.total: dict[str, Decimal] = {}

    def takes(self, plan: tuple[bool, ...]) -> bool:
        """Whether a row with this plan counts here at all (`add` does nothing otherwise)."""
        if self.kind == "rate":
            assert self.numerator is not None
            return plan[self.numerator] or plan[self.match]
        return plan[self.match]

    def add(
        self, periods: tuple[str, ...], key: tuple[str, int, str],
        values: Sequence[CellValue], plan: tuple[bool, ...],
    ) -> None:
        if self.kind == "rate":
            assert self.numerator is not None
            if plan[self.numerator]:
                for p in periods:
                    self.num_rows.setdefault(p, []).append(key)
            if plan[self.match]:
                for p in periods:
                    self.rows.setdefault(p, []).append(key)
            return
        if not plan[self.match]:
            return
        if self.kind == "sum":
            assert self.at is not None
            amount = _cell_amount(values[self.at])
            if amount is None:
                return
            for p in periods:
                self.total[p] = self.total.get(p, Decimal(0)) + amount
        for p in periods:
            self.rows.setdefault(p, []).append(key)

    def result(self, period_id: str) -> Measure:
        def ids(keys: list[tuple[str, int, str]] | None) -> tuple[str, ...]:
            return tuple(k[2] for k in sorted(keys or ()))

        return Measure(
            kind=self.kind,
            rows=ids(self.rows.get(period_id)),
            total=self.total.get(period_id, Decimal(0)),
            numerator_rows=ids(self.num_rows.get(period_id)) if self.kind == "rate" else (),
        )


def _accumulator(
    program: Program, indicator: Indicator, matchers: list[_Matcher], columns: Sequence[str]
) -> _Accumulator:
    def slot(where: Where) -> int:
        matchers.append(_Matcher(program, where))
        return len(matchers) - 1

    if indicator.kind == "rate":
        return _Accumulator(indicator, slot(indicator.denominator), slot(indicator.numerator),
                            None)
    at = columns.index(indicator.column) if indicator.kind == "sum" and indicator.column else None
    return _Accumulator(indicator, slot(indicator.where), None, at)


def measured_columns(program: Program) -> tuple[str, ...]:
    """The cells measuring reads, in the order `measure_values` takes them: the date
    column, every column a `where` names, each sum's column. A row's other cells
    change no measure, so a store need not read them."""
    columns = {program.date_column}
    for indicator in program.indicators:
        if indicator.kind == "entered":
            continue
        for where in (indicator.where, indicator.numerator, indicator.denominator):
            columns.update(column for column, _ in where)
        if indicator.kind == "sum" and indicator.column:
            columns.add(indicator.column)
    return tuple(sorted(columns))


# A live row as `measure_values` reads it: its id, its place in creation order (ties
# within a date), and its cells at `measured_columns(program)`, None for an empty one.
ValuesRow = tuple[str, int, Sequence[CellValue]]


def measure(program: Program, rows: Iterable[LedgerRowLike]) -> VillageMeasures:
    """Measure every count/sum/rate indicator of `program` from one village's rows.

    Deleted rows count nowhere and raise no warning. A live row whose date is
    empty, unreadable or outside the program year counts nowhere and is listed
    in `warnings`. The result does not depend on the order of `rows`.
    """
    columns = measured_columns(program)
    return measure_values(program, [
        (row.id, getattr(row, "order", 0), [row.cells.get(c) for c in columns])
        for row in rows if not row.deleted
    ])


def measure_values(program: Program, rows: Iterable[ValuesRow]) -> VillageMeasures:
    """`measure` of the live rows given as their measured cells only (`ValuesRow`): what
    a store reads fastest, without making a mapping of cells per row."""
    columns = measured_columns(program)
    matchers: list[_Matcher] = []
    accumulators = [_accumulator(program, i, matchers, columns) for i in program.indicators
                    if i.kind != "entered"]
    # A row's plan: whether it matches each `where`. A ledger holds few distinct values
    # in the columns the `where`s name (a kind, a yes or no), so each distinct
    # combination is decided once (the types are part of it: True == 1 in Python, not
    # in a ledger), with the accumulators such a row counts in.
    named = sorted({c for m in matchers for c in m.columns})
    planned_by: Callable[[Sequence[CellValue]], tuple[CellValue, ...]] = (
        _picker(tuple(columns.index(c) for c in named)))
    plans: dict[tuple[Any, ...], tuple[tuple[bool, ...], list[_Accumulator]]] = {}
    at_date = columns.index(program.date_column)
    year_start, year_end = f"{program.year:04d}-01-01", f"{program.year:04d}-12-31"
    spans = [(p.start.isoformat(), p.end.isoformat(), p.id) for p in program.periods]
    warnings: list[tuple[tuple[str, int, str], RowWarning]] = []
    counted = 0
    # Many rows share a date: parse each once, and find its periods once.
    days: dict[Any, tuple[str | None, WarningReason | None]] = {}
    periods_of: dict[str, tuple[str, ...]] = {}
    with localcontext() as ctx:
        ctx.prec = 60  # sums of decimal cells stay exact
        for row_id, order, values in rows:
            raw = values[at_date]
            parsed = days.get(raw) if isinstance(raw, str) else None
            if parsed is None:
                parsed = _row_day(raw)
                if isinstance(raw, str):
                    days[raw] = parsed
            day, reason = parsed
            if day is None or not (year_start <= day <= year_end):
                shown = None if raw is None else str(raw)
                warnings.append(
                    (
                        (day or "", order, row_id),
                        RowWarning(row_id, reason or "outside_year", shown),
                    )
                )
                continue
            counted += 1
            periods = periods_of.get(day)
            if periods is None:
                periods = periods_of[day] = (
                    *(pid for start, end, pid in spans if start <= day <= end), YEAR)
            found = planned_by(values)
            seen = (found, tuple(map(type, found)))
            planned = plans.get(seen)
            if planned is None:
                cells = dict(zip(columns, values, strict=True))
                plan = tuple(m(cells) for m in matchers)
                planned = plans[seen] = (plan, [a for a in accumulators if a.takes(plan)])
            plan, takers = planned
            if takers:
                key = (day, order, row_id)
                for acc in takers:  # a row matches few indicators' `where`s (one kind each)
                    acc.add(periods, key, values, plan)
        measures: dict[tuple[str, str], Measure] = {}
        for acc in accumulators:
            for period_id in program.period_ids:
                m = acc.result(period_id)
                if m.rows or m.numerator_rows:
                    measures[(acc.indicator.id, period_id)] = m
    return VillageMeasures(
        program=program.id,
        values=measures,
        warnings=tuple(w for _, w in sorted(warnings, key=lambda kw: kw[0])),
        rows_counted=counted,
    )


def _picker(at: tuple[int, ...]) -> Callable[[Sequence[CellValue]], tuple[CellValue, ...]]:
    """The values at `at` as a tuple (itemgetter gives a bare value for one place)."""
    if len(at) >= 2:
        return itemgetter(*at)
    if len(at) == 1:
        only = at[0]
        return lambda values: (values[only],)
    return lambda values: ()
