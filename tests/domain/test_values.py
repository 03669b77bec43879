"""Ledger values (spec/program.md §2): parsing what clerks type, and reading storage back."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vledger.domain.program import Column, Program
from vledger.domain.values import (
    StoredCell,
    ValueProblem,
    cell_date,
    cell_decimal,
    choice_matches,
    format_cell,
    normalize_stored,
    parse_cell,
)

COUNT = Column("participants", "参加人数", "int")
AGE = Column("age", "年龄", "int", min=Decimal(0), max=Decimal(120))
MONEY = Column("amount", "发放金额", "decimal", min=Decimal(0))
RATE = Column("rate", "比例", "decimal", places=1, min=Decimal("-5.5"), max=Decimal("99.9"))
WHOLE = Column("yuan", "元", "decimal", places=0)
DAY = Column("date", "日期", "date", required=True, year=2026)
KIND = Column("kind", "类别", "choice", choices=("宣传活动", "应急演练", "A B"))
NOTE = Column("note", "备注", "text", max_length=10)
DONE = Column("fixed", "已整改", "bool")
SIMILAR = Column("kind", "类别", "choice", choices=("安全宣传", "安全例会", "应急演练", "1级响应"))
NO_YEAR = Column("day", "日期", "date")  # a column built without its program's year
FW = "\u3000"  # the ideographic space an IME pads with

ACCEPTED = [
    # int
    (COUNT, "12", 12),
    (COUNT, "-3", -3),
    (COUNT, "+7", 7),
    (COUNT, "０", 0),
    (COUNT, "１２", 12),
    (COUNT, "－３", -3),
    (COUNT, "  12 ", 12),
    (COUNT, f"{FW}１２{FW}", 12),
    (COUNT, "\t40\n", 40),
    (COUNT, "007", 7),
    (COUNT, "1,200", 1200),  # thousands separated
    (COUNT, "１，２００", 1200),
    (COUNT, "-12,345,678", -12345678),
    (MONEY, "1,200.5", "1200.50"),
    (MONEY, "１，２００．５", "1200.50"),
    (AGE, "0", 0),
    (AGE, "120", 120),
    # decimal
    (MONEY, "12.5", "12.50"),
    (MONEY, "12", "12.00"),
    (MONEY, "１２．５", "12.50"),
    (MONEY, "12。5", "12.50"),
    (MONEY, ".5", "0.50"),
    (MONEY, "12.", "12.00"),
    (MONEY, "0.005", "0.01"),
    (MONEY, "0.004", "0.00"),
    (MONEY, "2.675", "2.68"),  # half up, where binary floats give 2.67
    (MONEY, "1.125", "1.13"),
    (MONEY, "-0.001", "0.00"),  # rounds to zero, so inside min 0, and never "-0.00"
    (MONEY, f"{FW}３０００{FW}", "3000.00"),
    (RATE, "99.94", "99.9"),  # compared after rounding: what is stored is in range
    (RATE, "-5.5", "-5.5"),
    (RATE, "－５．５", "-5.5"),
    (WHOLE, "12.5", "13"),
    (WHOLE, "-12.5", "-13"),  # half up means away from zero, as an assessor rounds
    (WHOLE, "12.49", "12"),
    # date
    (DAY, "2026-03-05", "2026-03-05"),
    (DAY, "2026-3-5", "2026-03-05"),
    (DAY, "2026/3/5", "2026-03-05"),
    (DAY, "2026/03/05", "2026-03-05"),
    (DAY, "2026.3.5", "2026-03-05"),
    (DAY, "2026年3月5日", "2026-03-05"),
    (DAY, "2026年3月5", "2026-03-05"),
    (DAY, "2026年 3月 5日", "2026-03-05"),
    (DAY, "２０２６年３月５日", "2026-03-05"),
    (DAY, "２０２６－０３－０５", "2026-03-05"),
    (DAY, "２０２６／３／５", "2026-03-05"),
    (DAY, "2026。3。5", "2026-03-05"),
    (DAY, f"{FW}2026-12-31 ", "2026-12-31"),
    (DAY, "2024-02-29", "2024-02-29"),
    (DAY, "3月10日", "2026-03-10"),  # the program's year
    (DAY, "３月１０日", "2026-03-10"),
    (DAY, "12月31", "2026-12-31"),
    (DAY, "3/10", "2026-03-10"),  # month/day in the program's year
    (DAY, "３／１０", "2026-03-10"),
    (DAY, "12-31", "2026-12-31"),
    (DAY, "3.5", "2026-03-05"),
    (DAY, "20260311", "2026-03-11"),
    (DAY, "２０２６０３１１", "2026-03-11"),
    (DAY, "2026/3/5 0:00", "2026-03-05"),  # a date cell as Excel writes it to CSV
    (DAY, "2026-03-05 00:00:00", "2026-03-05"),
    (DAY, "2026-03-05T00:00", "2026-03-05"),
    (DAY, "2025-12-30", "2025-12-30"),  # kept; date_warning says it counts in no period
    # choice
    (KIND, "宣传活动", "宣传活动"),
    (KIND, f"{FW}应急演练 ", "应急演练"),
    (KIND, "A B", "A B"),
    (KIND, "a b", "A B"),
    (KIND, "宣传", "宣传活动"),  # a unique prefix
    (KIND, "应", "应急演练"),
    (KIND, "1", "宣传活动"),  # the number in the list
    (KIND, "２", "应急演练"),
    (KIND, "3", "A B"),
    (KIND, "xchd", "宣传活动"),  # pinyin initials
    (KIND, "XC", "宣传活动"),
    (KIND, "ｙｊ", "应急演练"),
    (KIND, "yjyl", "应急演练"),
    (SIMILAR, "aqxc", "安全宣传"),
    (SIMILAR, "安全例", "安全例会"),
    (SIMILAR, "1", "1级响应"),  # a choice starting with a digit: digits are a prefix
    # text
    (NOTE, "电线老化", "电线老化"),
    (NOTE, f"{FW}已整改{FW}", "已整改"),
    (NOTE, "一二三四五六七八九十", "一二三四五六七八九十"),
    (NOTE, "１２", "１２"),  # text keeps what was typed
    (NOTE, "一\n二\t三", "一\n二\t三"),  # line breaks and tabs are what Excel cells hold
    # bool
    *[(DONE, raw, True) for raw in ("是", "y", "Y", "yes", "YES", "True", "true", "1", "√")],
    *[(DONE, raw, False) for raw in ("否", "n", "N", "no", "No", "FALSE", "false", "0", "×")],
    (DONE, "１", True),
    (DONE, "Ｙｅｓ", True),
    (DONE, f"{FW}否{FW}", False),
]


@pytest.mark.parametrize(("column", "raw", "stored"), ACCEPTED)
def test_accepted_input_is_stored_in_its_column_form(
    column: Column, raw: str, stored: object
) -> None:
    value = parse_cell(column, raw)
    assert value == stored
    assert type(value) is type(stored)


REFUSED = [
    (COUNT, "1.5", "whole number"),
    (COUNT, "1e3", "whole number"),
    (COUNT, "abc", "whole number"),
    (COUNT, "1,2", "whole number"),  # a decimal comma, not a thousands separator
    (COUNT, "12,00", "whole number"),
    (COUNT, "1,200,0", "whole number"),
    (COUNT, "12 3", "whole number"),
    (COUNT, "①", "whole number"),
    (COUNT, "١٢", "whole number"),  # Arabic-Indic digits are not what a clerk means
    (COUNT, "--3", "whole number"),
    (AGE, "-1", "from 0 to 120"),
    (AGE, "121", "from 0 to 120"),
    (MONEY, "abc", "a number"),
    (MONEY, "1e3", "a number"),
    (MONEY, "1.2.3", "a number"),
    (MONEY, "NaN", "a number"),
    (MONEY, "Infinity", "a number"),
    (MONEY, "-0.01", "of at least 0"),
    (MONEY, "-0.005", "of at least 0"),
    (MONEY, "9" * 40, "a number"),
    (RATE, "99.95", "from -5.5 to 99.9"),
    (RATE, "-5.6", "from -5.5 to 99.9"),
    (DAY, "2026-02-30", "February 2026 has 28 days"),
    (DAY, "2025年2月29日", "February 2025 has 28 days"),
    (DAY, "2026-04-31", "April 2026 has 30 days"),
    (DAY, "2026-13-01", "no month 13"),
    (DAY, "2026-00-10", "no month 0"),
    (DAY, "2026-01-00", "not 0"),
    (DAY, "2026-3/5", "a date"),
    (DAY, "26-3-5", "a date"),
    (DAY, "3/5/2026", "a date"),
    (DAY, "明天", "a date"),
    (DAY, "2026年3月", "a date"),
    (KIND, "宣传活动,应急演练", "one of: 宣传活动, 应急演练, A B"),
    (KIND, "检查", "one of"),
    (KIND, "4", "numbered 1 to 3"),
    (KIND, "0", "numbered 1 to 3"),
    (KIND, "zz", "one of"),
    (SIMILAR, "安", "matches several: 安全宣传, 安全例会"),
    (SIMILAR, "aq", "matches several: 安全宣传, 安全例会"),
    (KIND, "宣传\x1b[31m", "control characters U+001B"),
    (NOTE, "ab\x00c", "control characters U+0000"),
    (NOTE, "\u202eabc", "control characters U+202E"),
    (NOTE, "a\u2066b\x9bc", "control characters U+2066, U+009B"),
    (NOTE, "a\x7fb", "U+007F"),
    (DAY, "2026-03-05 08:30", "no time of day"),
    (DAY, "2026/3/5 0:01", "no time of day"),
    (NO_YEAR, "3月10日", "no year"),
    (NO_YEAR, "3/10", "no year"),
    (DAY, "13/1", "no month 13"),
    (DAY, "3/10/2026", "a date"),
    (DAY, "2026031", "a date"),
    (DAY, "20261301", "no month 13"),
    (NOTE, "一二三四五六七八九十一", "1 character too many"),
    (NOTE, "x" * 13, "3 characters too many"),
    (DONE, "maybe", "yes or no"),
    (DONE, "2", "yes or no"),
    (DONE, "是的", "yes or no"),
]


@pytest.mark.parametrize(("column", "raw", "reason"), REFUSED)
def test_refused_input_names_the_column_and_the_expected_form(
    column: Column, raw: str, reason: str
) -> None:
    with pytest.raises(ValueProblem) as caught:
        parse_cell(column, raw)
    problem = caught.value
    assert isinstance(problem, ValueError)
    assert problem.column_id == column.id
    assert problem.column_title == column.title
    assert str(problem) == problem.message
    assert f"{column.title} ({column.id})" in problem.message
    assert "expected" in problem.message
    assert reason in problem.message
    assert f"{column.title}（{column.id}）" in problem.message_zh
    assert "应填" in problem.message_zh
    assert problem.text("zh") == problem.message_zh
    assert problem.text("en") == problem.message


def test_chinese_messages_say_the_specific_problem() -> None:
    with pytest.raises(ValueProblem) as caught:
        parse_cell(DAY, "2026-02-30")
    assert "2026年2月只有28天" in caught.value.message_zh
    with pytest.raises(ValueProblem) as caught:
        parse_cell(NOTE, "x" * 13)
    assert "多了3个字" in caught.value.message_zh
    assert "不超过10个字" in caught.value.message_zh
    with pytest.raises(ValueProblem) as caught:
        parse_cell(AGE, "200")
    assert "0到120之间的整数" in caught.value.message_zh


@pytest.mark.parametrize("column", [COUNT, MONEY, KIND, NOTE, DONE])
@pytest.mark.parametrize("raw", ["", "   ", FW, f" {FW}\t"])
def test_empty_input_clears_an_optional_cell(column: Column, raw: str) -> None:
    assert parse_cell(column, raw) is None


@pytest.mark.parametrize("raw", ["", " ", FW * 2])
def test_empty_input_is_refused_for_a_required_column(raw: str) -> None:
    with pytest.raises(ValueProblem) as caught:
        parse_cell(DAY, raw)
    assert "required" in caught.value.message
    assert "必填" in caught.value.message_zh
    assert caught.value.column_id == "date"


@pytest.mark.parametrize(
    ("column", "value", "zh", "en"),
    [
        (DONE, True, "是", "yes"),
        (DONE, False, "否", "no"),
        (DONE, None, "", ""),
        (COUNT, 0, "0", "0"),
        (COUNT, -3, "-3", "-3"),
        (MONEY, "12.50", "12.50", "12.50"),
        (DAY, "2026-03-05", "2026-03-05", "2026-03-05"),
        (KIND, "应急演练", "应急演练", "应急演练"),
    ],
)
def test_format_cell_shows_the_stored_value(
    column: Column, value: object, zh: str, en: str
) -> None:
    assert format_cell(column, value) == zh
    assert format_cell(column, value, lang="en") == en


@pytest.mark.parametrize(
    ("value", "number"),
    [
        (12, Decimal(12)),
        (0, Decimal(0)),
        (-3, Decimal(-3)),
        ("12.50", Decimal("12.50")),
        ("-0.5", Decimal("-0.5")),
        ("13", Decimal(13)),
        (True, None),
        (False, None),
        (None, None),
        ("2026-03-05", None),
        ("宣传活动", None),
        ("1e3", None),
        ("NaN", None),
    ],
)
def test_cell_decimal_reads_only_numbers(value: object, number: Decimal | None) -> None:
    assert cell_decimal(value) == number  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "day"),
    [
        ("2026-03-05", date(2026, 3, 5)),
        ("2026-02-30", None),
        ("2026/3/5", None),
        ("", None),
        (None, None),
        (20260305, None),
        (True, None),
    ],
)
def test_cell_date_reads_only_stored_dates(value: object, day: date | None) -> None:
    assert cell_date(value) == day  # type: ignore[arg-type]


# --- reading back from storage -------------------------------------------------------------

FITTING = [
    (COUNT, 12, 12),
    (COUNT, "12", 12),
    (MONEY, "12.50", "12.50"),
    (MONEY, 12, "12.00"),
    (MONEY, "12.5", "12.50"),
    (RATE, "12.50", "12.5"),  # same value, fewer places: meaning unchanged
    (DAY, "2026-03-05", "2026-03-05"),
    (DAY, "2026/3/5", "2026-03-05"),
    (KIND, "应急演练", "应急演练"),
    (NOTE, "电线老化", "电线老化"),
    (DONE, True, True),
    (DONE, False, False),
    (DONE, "是", True),
    (COUNT, None, None),
    (COUNT, "", None),
]


@pytest.mark.parametrize(("column", "stored", "value"), FITTING)
def test_stored_value_that_fits_comes_back_in_stored_form(
    column: Column, stored: object, value: object
) -> None:
    cell = normalize_stored(column, stored)
    assert cell == StoredCell(value)
    assert cell.fits
    assert type(cell.value) is type(value)


MISFITS = [
    (KIND, "检查"),  # the choice list changed after the row was written
    (KIND, "宣传"),  # a prefix a clerk may type is never expanded in storage
    (KIND, "1"),
    (NOTE, "一二三四五六七八九十一"),  # max_length was lowered
    (AGE, 130),  # max was lowered
    (WHOLE, "12.50"),  # places lowered: rounding would change the amount
    (COUNT, "12.5"),  # the column became int
    (COUNT, True),  # a bool is not a count
    (COUNT, 1.5),  # floats are never stored; say so rather than guess
    (MONEY, 1.5),
    (DONE, 1),
    (NOTE, 12),
    (DAY, "2026-02-30"),
    (DAY, ["2026-03-05"]),
]


@pytest.mark.parametrize(("column", "stored"), MISFITS)
def test_stored_value_that_does_not_fit_comes_back_unchanged_and_flagged(
    column: Column, stored: object
) -> None:
    cell = normalize_stored(column, stored)
    assert cell.value is stored
    assert not cell.fits
    assert cell.problem is not None
    assert cell.problem.column_id == column.id
    assert column.title in cell.problem.message_zh


def test_empty_stored_value_in_a_required_column_is_flagged() -> None:
    cell = normalize_stored(DAY, None)
    assert cell.value is None
    assert cell.problem is not None
    assert "required" in cell.problem.message


# --- properties --------------------------------------------------------------------------

BOUNDED = Column("n", "数量", "int", min=Decimal(-1000), max=Decimal(1000))
DAYS = Column("day", "日期", "date")


@settings(max_examples=200)
@given(st.integers(-(10**12), 10**12), st.sampled_from(["zh", "en"]))
def test_int_round_trips_through_display(number: int, lang: str) -> None:
    assert parse_cell(COUNT, format_cell(COUNT, number, lang)) == number


@settings(max_examples=200)
@given(
    st.decimals(min_value=-(10**9), max_value=10**9, places=6),
    st.integers(0, 4),
)
def test_decimal_round_trips_and_rounds_half_up(number: Decimal, places: int) -> None:
    column = Column("x", "金额", "decimal", places=places)
    stored = parse_cell(column, f"{number:f}")
    assert isinstance(stored, str)
    # Independent oracle: rounding half up by hand on the scaled absolute value.
    scaled = abs(number) * 10**places
    whole = int(scaled) + (1 if scaled - int(scaled) >= Decimal("0.5") else 0)
    expected = Decimal(whole if number >= 0 else -whole) / 10**places
    assert Decimal(stored) == expected
    assert len(stored.partition(".")[2]) == places
    assert parse_cell(column, format_cell(column, stored)) == stored
    assert parse_cell(column, stored) == stored


@settings(max_examples=200)
@given(st.dates(date(1900, 1, 1), date(2199, 12, 31)))
def test_date_round_trips_in_every_accepted_form(day: date) -> None:
    iso = day.isoformat()
    typed = [
        iso,
        f"{day.year}/{day.month}/{day.day}",
        f"{day.year}.{day.month}.{day.day}",
        f"{day.year}年{day.month}月{day.day}日",
        iso.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789-"}),
    ]
    for raw in typed:
        assert parse_cell(DAYS, raw) == iso
    assert parse_cell(DAYS, format_cell(DAYS, iso)) == iso
    assert cell_date(parse_cell(DAYS, iso)) == day


FULL_WIDTH = str.maketrans({c: chr(ord(c) + 0xFEE0) for c in "0123456789-."})


@settings(max_examples=150)
@given(st.integers(-1000, 1000))
def test_full_width_and_half_width_int_agree(number: int) -> None:
    assert parse_cell(BOUNDED, str(number).translate(FULL_WIDTH)) == number


@settings(max_examples=150)
@given(
    st.sampled_from([COUNT, BOUNDED, MONEY, RATE, WHOLE, DAY, KIND, NOTE, DONE]),
    st.text(max_size=14),
)
def test_parse_is_idempotent_on_its_own_output(column: Column, raw: str) -> None:
    try:
        stored = parse_cell(column, raw)
    except ValueProblem:
        return
    if stored is None:
        assert not raw.strip()
        return
    again = format_cell(column, stored) if isinstance(stored, bool) else str(stored)
    assert parse_cell(column, again) == stored
    assert normalize_stored(column, stored) == StoredCell(stored)


@settings(max_examples=100)
@given(st.integers(-5000, 5000))
def test_int_range_is_inclusive_and_exact(number: int) -> None:
    if -1000 <= number <= 1000:
        assert parse_cell(BOUNDED, str(number)) == number
    else:
        with pytest.raises(ValueProblem):
            parse_cell(BOUNDED, str(number))


# --- warnings, neutral output, pinyin --------------------------------------------------------


def _example_program() -> Program:
    from tests.example_data import EXAMPLE_PROGRAM
    from vledger.domain.program_file import load_program

    return load_program(EXAMPLE_PROGRAM.read_text(encoding="utf-8"), EXAMPLE_PROGRAM.name)


def test_a_row_date_outside_the_program_year_is_warned_about() -> None:
    from vledger.domain.values import date_warning

    program = _example_program()
    column = program.column(program.date_column)
    assert date_warning(program, column, parse_cell(column, "2026-03-05")) is None
    assert date_warning(program, column, None) is None
    warning = date_warning(program, column, parse_cell(column, "2027-01-02"))
    assert warning is not None
    assert "2027-01-02" in warning.text("en") and "counts in no period" in warning.text("en")
    assert "不计入任何考核阶段" in warning.text("zh")
    other = next(c for c in program.columns if c.id != program.date_column)
    assert date_warning(program, other, "2027-01-02") is None


def test_a_loaded_program_gives_its_date_columns_its_year() -> None:
    program = _example_program()
    column = program.column(program.date_column)
    assert column.year == program.year
    assert parse_cell(column, "3月10日") == f"{program.year}-03-10"


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("plain 文字", "plain 文字"),
        ("a\nb\r\nc\rd", "a↵b↵c↵d"),
        ("a\tb", "a b"),
        ("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"),
        ("abc\u202edef", "abc\\u202edef"),
        ("nul\x00", "nul\\x00"),
        ("c1\x9b2J", "c1\\x9b2J"),
        ("𠀀", "𠀀"),
    ],
)
def test_visible_neutralises_control_characters(stored: str, shown: str) -> None:
    from vledger.domain.values import visible

    assert visible(stored) == shown


@pytest.mark.parametrize(
    ("text", "initials"),
    [
        ("宣传活动", ["x", "cz", "h", "d"]),  # 传 chuán or zhuàn
        ("应急演练", ["y", "j", "y", "l"]),
        ("隐患排查", ["y", "h", "p", "c"]),
        ("避险搬迁", ["b", "x", "b", "q"]),
        ("按时发放", ["a", "s", "f", "f"]),
        ("A区", ["a", "q"]),
        ("𠀀", []),  # no initial known: only its prefix or number finds it
    ],
)
def test_pinyin_initials_come_from_the_gb2312_order(text: str, initials: list[str]) -> None:
    from vledger.domain.pinyin import initials as initials_of_text

    assert initials_of_text(text) == initials


def test_every_shipped_choice_has_initials_for_each_chinese_character() -> None:
    from vledger.domain.pinyin import initials
    from vledger.fixtures.township import load_programs

    for program in load_programs():
        for column in program.columns:
            for choice in column.choices:
                assert len(initials(choice)) == len(choice.replace(" ", "")), choice


def test_choice_matches_are_what_the_parser_would_read_the_text_as() -> None:
    assert choice_matches(KIND, "") == ["宣传活动", "应急演练", "A B"]  # any
    assert choice_matches(KIND, "宣传") == ["宣传活动"]
    assert choice_matches(KIND, "2") == ["应急演练"]
    assert choice_matches(KIND, "9") == []
    assert choice_matches(KIND, "yj") == ["应急演练"]
    assert choice_matches(KIND, "a") == ["A B"]
    assert choice_matches(KIND, "活动") == []  # a part is not a prefix: the parser refuses it
