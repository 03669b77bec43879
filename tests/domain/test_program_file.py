"""Program files (spec/program.md §1): the worked example loads exactly, and every
kind of mistake is refused at the line a clerk has to fix.

Malformed cases mark the line they expect with a trailing `# <-` comment, so the
expected line is written by hand in the case, never computed by the code under test.
"""

from __future__ import annotations

import textwrap
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.example_data import EXAMPLE_PROGRAM
from vledger.domain.program import Column, Indicator, Item, Period
from vledger.domain.program_file import Problem, ProgramError, check_program, load_program
from vledger.messages import Message

EXAMPLE = EXAMPLE_PROGRAM

MARK = "# <-"

HEAD = """\
id = "p-2026"
title = "测试方案"
year = 2026
date_column = "date"
"""

PERIODS = ""

COLUMNS = """
[[columns]]
id = "date"
title = "日期"
type = "date"

[[columns]]
id = "kind"
title = "类别"
type = "choice"
choices = ["演练", "检查"]

[[columns]]
id = "done"
title = "已完成"
type = "bool"

[[columns]]
id = "n"
title = "人数"
type = "int"

[[columns]]
id = "amount"
title = "金额"
type = "decimal"

[[columns]]
id = "note"
title = "备注"
type = "text"
"""

INDICATORS = """
[[indicators]]
id = "drills"
title = "应急演练"
kind = "count"
where = { kind = "演练" }
"""

ITEMS = """
[[items]]
id = "drills"
title = "应急演练"
indicator = "drills"
points = 20
rule = "proportional"
"""


def program(
    head: str = HEAD,
    periods: str = PERIODS,
    columns: str = COLUMNS,
    indicators: str = INDICATORS,
    items: str = ITEMS,
    extra: str = "",
) -> str:
    parts = (head, periods, columns, indicators, items, extra)
    return "\n".join(textwrap.dedent(part) for part in parts)


def marked_line(text: str) -> int:
    lines = [n for n, line in enumerate(text.splitlines(), 1) if line.rstrip().endswith(MARK)]
    assert len(lines) == 1, f"a case marks exactly one line, found {lines}"
    return lines[0]


def test_a_base_program_is_valid() -> None:
    # Every malformed case below differs from this in one place; it must load.
    loaded = load_program(program(), "base.toml")
    assert [c.id for c in loaded.columns] == ["date", "kind", "done", "n", "amount", "note"]
    assert loaded.periods == ()


# -- the worked example ---------------------------------------------------------


@pytest.fixture(scope="module")
def example_text() -> str:
    return EXAMPLE.read_text(encoding="utf-8")


def test_worked_example_loads_with_every_field(example_text: str) -> None:
    p = load_program(example_text, "safety-2026.toml")
    assert (p.id, p.title, p.year, p.date_column) == (
        "safety-2026", "2026年安全生产目标考核", 2026, "date",
    )
    assert p.source == example_text
    assert p.periods == (
        Period("Q1", "第一阶段", date(2026, 1, 1), date(2026, 4, 30), Decimal(4)),
        Period("Q2", "第二阶段", date(2026, 5, 1), date(2026, 8, 31), Decimal(3)),
        Period("Q3", "第三阶段", date(2026, 9, 1), date(2026, 12, 31), Decimal(3)),
    )
    assert p.period("Q2").share == Decimal(3)
    assert p.has_shares
    assert [c.id for c in p.columns] == [
        "date", "kind", "participants", "fixed", "attended", "note",
    ]
    assert p.column("kind") == Column(
        "kind", "类别", "choice", required=True,
        choices=("宣传活动", "应急演练", "隐患排查", "例会", "重大事故"),
    )
    assert p.column("participants").min == Decimal(0)
    assert p.column("participants").max is None
    assert p.column("note").max_length == 100
    assert p.column("fixed").type == "bool" and not p.column("fixed").required


def test_worked_example_indicators(example_text: str) -> None:
    p = load_program(example_text, "safety-2026.toml")
    assert [i.id for i in p.indicators] == [
        "publicity", "drills", "fix_rate", "missed_meetings", "participants", "plan",
        "major_accident",
    ]
    assert p.indicator("missed_meetings").where == (("kind", "例会"), ("attended", False))
    assert p.indicator("fix_rate") == Indicator(
        "fix_rate", "隐患整改率", "rate", unit="%",
        numerator=(("kind", "隐患排查"), ("fixed", True)),
        denominator=(("kind", "隐患排查"),),
    )
    assert p.indicator("participants").column == "participants"
    assert p.indicator("participants").where == (("kind", "宣传活动"),)
    assert p.indicator("plan").kind == "entered" and p.indicator("plan").unit == ""


def test_worked_example_items_and_ranking(example_text: str) -> None:
    p = load_program(example_text, "safety-2026.toml")
    assert [i.id for i in p.items] == [
        "publicity", "drills", "fix_rate", "meetings", "reach", "plan", "records",
    ]
    fix_rate = p.item("fix_rate")
    assert fix_rate.bonus == Decimal("0.5")
    assert str(fix_rate.bonus) == "0.5"  # read from the literal, not through a binary float
    assert (fix_rate.threshold, fix_rate.penalty, fix_rate.max) == (
        Decimal(80), Decimal(1), Decimal(30),
    )
    assert p.item("drills") == Item(
        "drills", "应急演练", Decimal(15), "linear", indicator="drills", section="应急管理",
        bonus=Decimal(2), penalty=Decimal(5), max=Decimal(20),
        money_per_unit=Decimal(200), money_per_missing=Decimal(100),
    )
    assert p.item("records").indicator is None and p.item("records").rule == "manual"
    assert p.item("meetings").min == Decimal(0) and p.item("meetings").max is None
    assert [(a.id, a.points) for a in p.adjustments] == [
        ("city_praise", Decimal(10)), ("county_praise", Decimal(5)), ("criticism", Decimal(-2)),
    ]
    r = p.ranking
    assert r.veto == ("major_accident",)
    assert r.period_rank_bonus == (Decimal(4), Decimal(2))
    assert [(w.rank, w.amount, w.requires_complete) for w in r.rewards] == [
        (1, Decimal(2000), True), (2, Decimal(1500), True), (3, Decimal(1000), True),
    ]
    assert [(x.from_bottom, x.amount, x.requires_incomplete) for x in r.penalties] == [
        (1, Decimal(1000), True), (2, Decimal(800), True),
    ]
    assert r.areas is not None
    assert (r.areas.reward_if_all_complete, r.areas.penalty_if_any_incomplete) == (
        Decimal(10000), Decimal(5000),
    )


def test_check_program_of_a_valid_file_is_empty(example_text: str) -> None:
    assert check_program(example_text, "safety-2026.toml") == []


# -- malformed files: one case per mistake ---------------------------------------

CASES: list[tuple[str, dict[str, str], str]] = [
    # TOML itself
    ("syntax", {"head": 'id = "p"\ntitle = = "x"  # <-\nyear = 2026\ndate_column = "date"\n'},
     "not valid TOML"),
    ("key twice", {"head": HEAD + 'title = "again"  # <-\n'}, 'key "title" is given twice'),
    ("key twice at end", {"extra": '[ranking]\nveto = []\nveto = []  # <-'},
     'key "ranking.veto" is given twice'),
    ("unterminated string", {"head": 'id = "p  # <-\n' + HEAD.split("\n", 1)[1]},
     "not valid TOML"),
    # top level
    ("unknown top key", {"head": HEAD + "colour = 1  # <-\n"}, 'unknown key "colour"'),
    ("missing id", {"head": 'title = "x"  # <-\nyear = 2026\ndate_column = "date"\n'},
     'missing required key "id"'),
    ("missing year", {"head": 'id = "p"  # <-\ntitle = "x"\ndate_column = "date"\n'},
     'missing required key "year"'),
    ("program id upper", {"head": HEAD.replace('id = "p-2026"', 'id = "P-2026"  # <-')},
     "not a valid id"),
    ("program id space", {"head": HEAD.replace('id = "p-2026"', 'id = "p 2026"  # <-')},
     "not a valid id"),
    ("program id too long", {"head": HEAD.replace('id = "p-2026"', f'id = "{"a" * 41}"  # <-')},
     "not a valid id"),
    ("program id not text", {"head": HEAD.replace('id = "p-2026"', "id = 2026  # <-")},
     '"id" must be text'),
    ("title empty", {"head": HEAD.replace('title = "测试方案"', 'title = "  "  # <-')},
     "title must not be empty"),
    ("year as text", {"head": HEAD.replace("year = 2026", 'year = "2026"  # <-')},
     '"year" must be a whole number'),
    ("year float", {"head": HEAD.replace("year = 2026", "year = 2026.0  # <-")},
     '"year" must be a whole number'),
    ("year implausible", {"head": HEAD.replace("year = 2026", "year = 206  # <-")},
     "not a plausible year"),
    ("date_column missing column", {"head": HEAD.replace('"date"', '"day"  # <-')},
     'date_column "day" is not a column'),
    ("date_column not a date", {"head": HEAD.replace('"date"', '"kind"  # <-')},
     "must name a date column, not a choice column"),
    ("items not tables", {"head": HEAD + "items = 3  # <-\n", "items": ""},
     "written as [[items]] tables"),
    ("no items", {"head": HEAD + "items = []  # <-\n", "items": ""}, "at least one [[items]]"),
    ("ranking not a table", {"head": HEAD + "ranking = 5  # <-\n"},
     '"ranking" must be a table'),
    # periods
    ("period id bad", {"periods": """
        [[periods]]
        id = "Q-1"  # <-
        title = "一"
        start = 2026-01-01
        end = 2026-06-30
        """}, "not a valid id"),
    ("period id too long", {"periods": """
        [[periods]]
        id = "Quarter01"  # <-
        title = "一"
        start = 2026-01-01
        end = 2026-06-30
        """}, "not a valid id"),
    ("period id year", {"periods": """
        [[periods]]
        id = "year"  # <-
        title = "一"
        start = 2026-01-01
        end = 2026-06-30
        """}, "reserved for the whole year"),
    ("period ends before start", {"periods": """
        [[periods]]
        id = "H1"
        title = "上半年"
        start = 2026-07-01
        end = 2026-06-30  # <-
        """}, "ends 2026-06-30 before it starts 2026-07-01"),
    ("period outside year", {"periods": """
        [[periods]]
        id = "H1"
        title = "上半年"
        start = 2026-07-01
        end = 2027-01-31  # <-
        """}, "outside the program's year 2026"),
    ("period starts before year", {"periods": """
        [[periods]]
        id = "H1"
        title = "上半年"
        start = 2025-12-01  # <-
        end = 2026-06-30
        """}, "start 2025-12-01 is outside"),
    ("periods overlap", {"periods": """
        [[periods]]
        id = "H1"
        title = "上半年"
        start = 2026-01-01
        end = 2026-06-30

        [[periods]]
        id = "H2"
        title = "下半年"
        start = 2026-06-30  # <-
        end = 2026-12-31
        """}, 'overlaps period "H1"'),
    ("periods out of order", {"periods": """
        [[periods]]
        id = "H2"
        title = "下半年"
        start = 2026-07-01
        end = 2026-12-31

        [[periods]]
        id = "H1"
        title = "上半年"
        start = 2026-01-01  # <-
        end = 2026-06-30
        """}, "periods must be in date order"),
    ("share on some periods only", {"periods": """
        [[periods]]
        id = "H1"
        title = "上半年"
        start = 2026-01-01
        end = 2026-06-30
        share = 6

        [[periods]]  # <-
        id = "H2"
        title = "下半年"
        start = 2026-07-01
        end = 2026-12-31
        """}, "has no share, but other periods do"),
    ("share zero", {"periods": """
        [[periods]]
        id = "Y"
        title = "全年"
        start = 2026-01-01
        end = 2026-12-31
        share = 0  # <-
        """}, "share must be more than 0"),
    ("share negative", {"periods": """
        [[periods]]
        id = "Y"
        title = "全年"
        start = 2026-01-01
        end = 2026-12-31
        share = -1.5  # <-
        """}, "share must be more than 0, not -1.5"),
    ("period start as text", {"periods": """
        [[periods]]
        id = "Y"
        title = "全年"
        start = "2026-01-01"  # <-
        end = 2026-12-31
        """}, '"start" must be a date without quotes'),
    ("period date-time", {"periods": """
        [[periods]]
        id = "Y"
        title = "全年"
        start = 2026-01-01T08:00:00  # <-
        end = 2026-12-31
        """}, "not the date-time 2026-01-01T08:00:00"),
    ("period missing title", {"periods": """
        [[periods]]  # <-
        id = "Y"
        start = 2026-01-01
        end = 2026-12-31
        """}, 'period "Y": missing required key "title"'),
    ("period unknown key", {"periods": """
        [[periods]]
        id = "Y"
        title = "全年"
        start = 2026-01-01
        end = 2026-12-31
        weight = 1  # <-
        """}, 'unknown key "weight"'),
    ("period id twice", {"periods": """
        [[periods]]
        id = "H"
        title = "上半年"
        start = 2026-01-01
        end = 2026-06-30

        [[periods]]
        id = "H"  # <-
        title = "下半年"
        start = 2026-07-01
        end = 2026-12-31
        """}, "already used by the period at line"),
    # columns
    ("column type unknown", {"columns": COLUMNS + """
        [[columns]]
        id = "x"
        title = "X"
        type = "number"  # <-
        """}, 'unknown column type "number"'),
    ("column type missing", {"columns": COLUMNS + """
        [[columns]]  # <-
        id = "x"
        title = "X"
        """}, 'missing required key "type"'),
    ("column id upper", {"columns": COLUMNS + """
        [[columns]]
        id = "Xy"  # <-
        title = "X"
        type = "text"
        """}, 'id "Xy" is not a valid id'),
    ("column id digit first", {"columns": COLUMNS + """
        [[columns]]
        id = "1x"  # <-
        title = "X"
        type = "text"
        """}, "not a valid id"),
    ("column id too long", {"columns": COLUMNS + f"""
        [[columns]]
        id = "{"x" * 32}"  # <-
        title = "X"
        type = "text"
        """}, "not a valid id"),
    ("column id twice", {"columns": COLUMNS + """
        [[columns]]
        id = "note"  # <-
        title = "X"
        type = "text"
        """}, "already used by the column at line"),
    ("min above max", {"columns": COLUMNS + """
        [[columns]]
        id = "x"
        title = "X"
        type = "decimal"
        min = 5
        max = 4.5  # <-
        """}, "max 4.5 is less than min 5"),
    ("min on text", {"columns": COLUMNS + """
        [[columns]]
        id = "x"
        title = "X"
        type = "text"
        min = 1  # <-
        """}, '"min" does not apply to a text column'),
    ("max on date", {"columns": COLUMNS + """
        [[columns]]
        id = "x"
        title = "X"
        type = "date"
        max = 1  # <-
        """}, '"max" does not apply to a date column'),
    ("int min not whole", {"columns": COLUMNS + """
        [[columns]]
        id = "x"
        title = "X"
        type = "int"
        min = 0.5  # <-
        """}, '"min" must be a whole number'),
    ("places too many", {"columns": COLUMNS + """
        [[columns]]
        id = "x"
        title = "X"
        type = "decimal"
        places = 7  # <-
        """}, "places must be from 0 to 6"),
    ("places negative", {"columns": COLUMNS + """
        [[columns]]
        id = "x"
        title = "X"
        type = "decimal"
        places = -1  # <-
        """}, "places must be from 0 to 6"),
    ("places on int", {"columns": COLUMNS + """
        [[columns]]
        id = "x"
        title = "X"
        type = "int"
        places = 2  # <-
        """}, '"places" does not apply to an int column'),
    ("choice without choices", {"columns": COLUMNS + """
        [[columns]]  # <-
        id = "x"
        title = "X"
        type = "choice"
        """}, "a choice column needs choices"),
    ("choices empty", {"columns": COLUMNS + """
        [[columns]]
        id = "x"
        title = "X"
        type = "choice"
        choices = []  # <-
        """}, "at least one choice"),
    ("choice twice on a later line", {"columns": COLUMNS + """
        [[columns]]
        id = "x"
        title = "X"
        type = "choice"
        choices = [
          "甲",
          "乙",
          "甲",  # <-
        ]
        """}, 'choice "甲" is listed twice'),
    ("choice blank", {"columns": COLUMNS + """
        [[columns]]
        id = "x"
        title = "X"
        type = "choice"
        choices = ["甲", ""]  # <-
        """}, "each choice must be non-empty text"),
    ("choice padded", {"columns": COLUMNS + """
        [[columns]]
        id = "x"
        title = "X"
        type = "choice"
        choices = [" 甲"]  # <-
        """}, "spaces around it"),
    ("choices on text", {"columns": COLUMNS + """
        [[columns]]
        id = "x"
        title = "X"
        type = "text"
        choices = ["甲"]  # <-
        """}, '"choices" does not apply to a text column'),
    ("max_length zero", {"columns": COLUMNS + """
        [[columns]]
        id = "x"
        title = "X"
        type = "text"
        max_length = 0  # <-
        """}, "max_length must be at least 1"),
    ("required not bool", {"columns": COLUMNS + """
        [[columns]]
        id = "x"
        title = "X"
        type = "text"
        required = "yes"  # <-
        """}, '"required" must be true or false'),
    ("column unknown key", {"columns": COLUMNS + """
        [[columns]]
        id = "x"
        title = "X"
        type = "text"
        maxlength = 5  # <-
        """}, 'unknown key "maxlength" (did you mean "max_length"?)'),
    # indicators
    ("indicator kind unknown", {"indicators": INDICATORS + """
        [[indicators]]
        id = "x"
        title = "X"
        kind = "average"  # <-
        """}, 'unknown indicator kind "average"'),
    ("indicator id bad", {"indicators": INDICATORS + """
        [[indicators]]
        id = "x-y"  # <-
        title = "X"
        kind = "count"
        """}, "not a valid id"),
    ("indicator id twice", {"indicators": INDICATORS + """
        [[indicators]]
        id = "drills"  # <-
        title = "X"
        kind = "count"
        """}, "already used by the indicator at line"),
    ("where unknown column", {"indicators": """
        [[indicators]]
        id = "drills"
        title = "应急演练"
        kind = "count"
        where = { kind = "演练", knd = "演练" }  # <-
        """}, 'where names unknown column "knd"'),
    ("where value outside choices", {"indicators": """
        [[indicators]]
        id = "drills"
        title = "应急演练"
        kind = "count"
        where = { kind = "宣传" }  # <-
        """}, "expected one of: 演练, 检查"),
    ("where maybe on bool", {"indicators": INDICATORS + """
        [[indicators]]
        id = "x"
        title = "X"
        kind = "count"
        where = { done = "maybe" }  # <-
        """}, "where done = ...: 已完成 (done): expected yes or no"),
    ("where number on choice", {"indicators": """
        [[indicators]]
        id = "drills"
        title = "应急演练"
        kind = "count"
        where = { kind = 3 }  # <-
        """}, "does not fit it"),
    ("where bool on int", {"indicators": INDICATORS + """
        [[indicators]]
        id = "x"
        title = "X"
        kind = "count"
        where = { n = true }  # <-
        """}, 'column "n" is an int column; true does not fit it'),
    ("where text on int", {"indicators": INDICATORS + """
        [[indicators]]
        id = "x"
        title = "X"
        kind = "count"
        where = { n = "abc" }  # <-
        """}, "expected a whole number"),
    ("where fraction on int", {"indicators": INDICATORS + """
        [[indicators]]
        id = "x"
        title = "X"
        kind = "count"
        where = { n = 1.5 }  # <-
        """}, "expected a whole number"),
    ("where bad date", {"indicators": INDICATORS + """
        [[indicators]]
        id = "x"
        title = "X"
        kind = "count"
        where = { date = "2026-02-30" }  # <-
        """}, "has 28 days, not 30"),
    ("where empty value", {"indicators": INDICATORS + """
        [[indicators]]
        id = "x"
        title = "X"
        kind = "count"
        where = { note = "" }  # <-
        """}, "an empty value matches no row"),
    ("where too many places", {"indicators": INDICATORS + """
        [[indicators]]
        id = "x"
        title = "X"
        kind = "count"
        where = { amount = 1.255 }  # <-
        """}, "can never match"),
    ("where not a table", {"indicators": """
        [[indicators]]
        id = "drills"
        title = "应急演练"
        kind = "count"
        where = "kind"  # <-
        """}, '"where" must be a table'),
    ("where as a sub-table", {"indicators": """
        [[indicators]]
        id = "drills"
        title = "应急演练"
        kind = "count"

        [indicators.where]
        knd = "演练"  # <-
        """}, 'where names unknown column "knd"'),
    ("sum without column", {"indicators": INDICATORS + """
        [[indicators]]  # <-
        id = "x"
        title = "X"
        kind = "sum"
        """}, "a sum indicator needs column"),
    ("sum of a choice column", {"indicators": INDICATORS + """
        [[indicators]]
        id = "x"
        title = "X"
        kind = "sum"
        column = "kind"  # <-
        """}, "a sum needs an int or decimal column"),
    ("sum of a missing column", {"indicators": INDICATORS + """
        [[indicators]]
        id = "x"
        title = "X"
        kind = "sum"
        column = "people"  # <-
        """}, 'column "people" is not a column'),
    ("column named deleted", {"columns": COLUMNS + """
        [[columns]]
        id = "deleted"  # <-
        title = "作废"
        type = "bool"
        """}, '"deleted" is reserved'),
    ("rate without numerator", {"indicators": INDICATORS + """
        [[indicators]]  # <-
        id = "x"
        title = "X"
        kind = "rate"
        denominator = { kind = "检查" }
        """}, "a rate indicator needs numerator"),
    ("rate with where", {"indicators": INDICATORS + """
        [[indicators]]
        id = "x"
        title = "X"
        kind = "rate"
        numerator = { done = true }
        denominator = {}
        where = { kind = "检查" }  # <-
        """}, '"where" does not apply to a rate indicator'),
    ("numerator missing column", {"indicators": INDICATORS + """
        [[indicators]]
        id = "x"
        title = "X"
        kind = "rate"
        numerator = { fixed = true }  # <-
        denominator = {}
        """}, 'numerator names unknown column "fixed"'),
    ("count with column", {"indicators": INDICATORS + """
        [[indicators]]
        id = "x"
        title = "X"
        kind = "count"
        column = "n"  # <-
        """}, '"column" does not apply to a count indicator'),
    ("entered with where", {"indicators": INDICATORS + """
        [[indicators]]
        id = "x"
        title = "X"
        kind = "entered"
        where = { done = true }  # <-
        """}, '"where" does not apply to an entered indicator'),
    ("indicator unknown key", {"indicators": INDICATORS + """
        [[indicators]]
        id = "x"
        title = "X"
        kind = "entered"
        units = "次"  # <-
        """}, 'unknown key "units" (did you mean "unit"?)'),
    # items
    ("rule unknown", {"items": ITEMS + """
        [[items]]
        id = "x"
        title = "X"
        indicator = "drills"
        points = 5
        rule = "ratio"  # <-
        """}, 'unknown rule "ratio"'),
    ("item names missing indicator", {"items": ITEMS + """
        [[items]]
        id = "x"
        title = "X"
        indicator = "drill"  # <-
        points = 5
        rule = "check"
        """}, 'indicator "drill" is not an indicator'),
    ("item without indicator", {"items": ITEMS + """
        [[items]]  # <-
        id = "x"
        title = "X"
        points = 5
        rule = "check"
        """}, 'rule "check" needs indicator'),
    ("manual item with indicator", {"items": ITEMS + """
        [[items]]
        id = "x"
        title = "X"
        indicator = "drills"  # <-
        points = 5
        rule = "manual"
        """}, "a manual item takes no indicator"),
    ("manual item with money", {"items": ITEMS + """
        [[items]]
        id = "x"
        title = "X"
        points = 5
        rule = "manual"
        money_per_unit = 10  # <-
        """}, "money_per_unit cannot apply"),
    ("points negative", {"items": ITEMS + """
        [[items]]
        id = "x"
        title = "X"
        indicator = "drills"
        points = -5  # <-
        rule = "check"
        """}, "points must not be negative, not -5"),
    ("points as text", {"items": ITEMS + """
        [[items]]
        id = "x"
        title = "X"
        indicator = "drills"
        points = "5"  # <-
        rule = "check"
        """}, '"points" must be a number, not the text "5"'),
    ("points infinite", {"items": ITEMS + """
        [[items]]
        id = "x"
        title = "X"
        indicator = "drills"
        points = inf  # <-
        rule = "check"
        """}, '"points" must be a number'),
    ("points missing", {"items": ITEMS + """
        [[items]]  # <-
        id = "x"
        title = "X"
        indicator = "drills"
        rule = "check"
        """}, 'missing required key "points"'),
    ("bonus negative", {"items": ITEMS + """
        [[items]]
        id = "x"
        title = "X"
        indicator = "drills"
        points = 5
        rule = "linear"
        bonus = -1  # <-
        """}, "bonus must not be negative"),
    ("penalty negative", {"items": ITEMS + """
        [[items]]
        id = "x"
        title = "X"
        indicator = "drills"
        points = 5
        rule = "per_event"
        penalty = -0.5  # <-
        """}, "penalty must not be negative"),
    ("money negative", {"items": ITEMS + """
        [[items]]
        id = "x"
        title = "X"
        indicator = "drills"
        points = 5
        rule = "linear"
        money_per_missing = -100  # <-
        """}, "money_per_missing must not be negative"),
    ("threshold on proportional", {"items": ITEMS + """
        [[items]]
        id = "x"
        title = "X"
        indicator = "drills"
        points = 5
        rule = "proportional"
        threshold = 80  # <-
        """}, 'rule "proportional" does not use "threshold"'),
    ("bonus on per_event", {"items": ITEMS + """
        [[items]]
        id = "x"
        title = "X"
        indicator = "drills"
        points = 5
        rule = "per_event"
        bonus = 1  # <-
        """}, 'rule "per_event" does not use "bonus"'),
    ("penalty on manual", {"items": ITEMS + """
        [[items]]
        id = "x"
        title = "X"
        points = 5
        rule = "manual"
        penalty = 1  # <-
        """}, 'rule "manual" takes no bonus, penalty or threshold'),
    ("threshold negative", {"items": ITEMS + """
        [[items]]
        id = "x"
        title = "X"
        indicator = "drills"
        points = 5
        rule = "full_at"
        threshold = -70  # <-
        """}, "threshold must not be negative"),
    ("item min above max", {"items": ITEMS + """
        [[items]]
        id = "x"
        title = "X"
        indicator = "drills"
        points = 5
        rule = "linear"
        min = 3
        max = 2  # <-
        """}, "max 2 is less than min 3"),
    ("item max below default min", {"items": ITEMS + """
        [[items]]
        id = "x"
        title = "X"
        indicator = "drills"
        points = 5
        rule = "linear"
        max = -1  # <-
        """}, "max -1 is less than min 0"),
    ("item id twice", {"items": ITEMS + """
        [[items]]
        id = "drills"  # <-
        title = "X"
        indicator = "drills"
        points = 5
        rule = "check"
        """}, "already used by the item at line"),
    ("item unknown key", {"items": ITEMS + """
        [[items]]
        id = "x"
        title = "X"
        indicator = "drills"
        points = 5
        rule = "check"
        weight = 2  # <-
        """}, 'unknown key "weight"'),
    # adjustments
    ("adjustment points zero", {"extra": """
        [[adjustments]]
        id = "praise"
        title = "表彰"
        points = 0  # <-
        """}, "points per occurrence cannot be 0"),
    ("adjustment points missing", {"extra": """
        [[adjustments]]  # <-
        id = "praise"
        title = "表彰"
        """}, 'missing required key "points"'),
    ("adjustment id twice", {"extra": """
        [[adjustments]]
        id = "praise"
        title = "表彰"
        points = 5

        [[adjustments]]
        id = "praise"  # <-
        title = "批评"
        points = -5
        """}, "already used by the adjustment at line"),
    # ranking
    ("veto missing indicator", {"extra": """
        [ranking]
        veto = ["accident"]  # <-
        """}, 'veto names unknown indicator "accident"'),
    ("veto on a later line", {"extra": """
        [ranking]
        veto = [
          "drills",
          "accident",  # <-
        ]
        """}, 'veto names unknown indicator "accident"'),
    ("veto not an array", {"extra": """
        [ranking]
        veto = "drills"  # <-
        """}, '"veto" must be an array'),
    ("rank bonus negative", {"extra": """
        [ranking]
        period_rank_bonus = [4, -2]  # <-
        """}, "period_rank_bonus must not be negative"),
    ("rank bonus text", {"extra": """
        [ranking]
        period_rank_bonus = ["4"]  # <-
        """}, "period_rank_bonus lists points"),
    ("reward rank zero", {"extra": """
        [[ranking.rewards]]
        rank = 0  # <-
        amount = 100
        """}, "rank must be 1 or more"),
    ("reward amount negative", {"extra": """
        [[ranking.rewards]]
        rank = 1
        amount = -100  # <-
        """}, "amount must not be negative"),
    ("reward rank twice", {"extra": """
        [[ranking.rewards]]
        rank = 1
        amount = 100

        [[ranking.rewards]]
        rank = 1  # <-
        amount = 50
        """}, "a reward for rank = 1 is already given"),
    ("reward without amount", {"extra": """
        [ranking]
        [[ranking.rewards]]  # <-
        rank = 1
        """}, 'missing required key "amount"'),
    ("penalty from_bottom zero", {"extra": """
        [[ranking.penalties]]
        from_bottom = 0  # <-
        amount = 100
        """}, "from_bottom must be 1 or more"),
    ("penalty from_bottom twice", {"extra": """
        [[ranking.penalties]]
        from_bottom = 1
        amount = 100
        [[ranking.penalties]]
        from_bottom = 1  # <-
        amount = 100
        """}, "a penalty for from_bottom = 1 is already given"),
    ("penalty flag not bool", {"extra": """
        [[ranking.penalties]]
        from_bottom = 1
        amount = 100
        requires_incomplete = 1  # <-
        """}, '"requires_incomplete" must be true or false'),
    ("area money negative", {"extra": """
        [ranking.areas]
        reward_if_all_complete = 100
        penalty_if_any_incomplete = -50  # <-
        """}, "penalty_if_any_incomplete must not be negative"),
    ("area unknown key", {"extra": """
        [ranking.areas]
        reward_if_complete = 100  # <-
        """}, 'unknown key "reward_if_complete" (did you mean "reward_if_all_complete"?)'),
    ("ranking unknown key", {"extra": """
        [ranking]
        vetos = ["drills"]  # <-
        """}, 'unknown key "vetos" (did you mean "veto"?)'),
]


@pytest.mark.parametrize(
    ("sections", "fragment"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_a_malformed_file_is_refused_at_its_line(sections: dict[str, str], fragment: str) -> None:
    text = program(**sections)
    line = marked_line(text)
    problems = check_program(text, "p.toml")
    assert problems, "the file should be refused"
    rendered = [str(p) for p in problems]
    assert any(p.line == line and fragment in str(p.message) for p in problems), rendered
    # One mistake, one message: a broken entry must not also fail what refers to it.
    assert len(problems) == 1, rendered
    assert rendered[0].startswith(f"p.toml:{line}: ")
    with pytest.raises(ProgramError) as refused:
        load_program(text, "p.toml")
    assert refused.value.problems == problems


def test_case_ids_are_unique() -> None:
    names = [c[0] for c in CASES]
    assert len(names) == len(set(names))


# -- several problems at once ----------------------------------------------------


def test_every_problem_of_a_file_is_reported_in_line_order() -> None:
    text = program(
        head=HEAD.replace("year = 2026", "year = 1026  # year"),
        columns=COLUMNS + '\n[[columns]]\nid = "x"\ntitle = "X"\ntype = "float"  # type\n',
        items=ITEMS + (
            '\n[[items]]\nid = "y"\ntitle = "Y"\nindicator = "nope"  # ind\n'
            'points = -1  # points\nrule = "check"\n'
        ),
        extra='[ranking]\nveto = ["gone"]  # veto\n',
    )
    problems = check_program(text, "multi.toml")
    lines = text.splitlines()
    expected = [
        (next(n for n, s in enumerate(lines, 1) if s.endswith(tag)), fragment)
        for tag, fragment in [
            ("# year", "not a plausible year"),
            ("# type", 'unknown column type "float"'),
            ("# ind", 'indicator "nope" is not an indicator'),
            ("# points", "points must not be negative"),
            ("# veto", 'veto names unknown indicator "gone"'),
        ]
    ]
    assert [(p.line, fragment) for p, (_, fragment) in zip(problems, expected, strict=True)] == [
        (line, fragment) for line, fragment in expected
    ]
    for problem, (_, fragment) in zip(problems, expected, strict=True):
        assert fragment in str(problem.message)


def test_a_broken_entry_does_not_hide_problems_in_the_next_one() -> None:
    items = ITEMS + "".join(
        f'\n[[items]]\nid = "i{n}"\ntitle = "T"\nindicator = "drills"\npoints = -{n}\n'
        'rule = "check"\n'
        for n in (1, 2, 3)
    )
    problems = check_program(program(items=items), "p.toml")
    assert [str(p.message) for p in problems] == [
        f'item "i{n}": points must not be negative, not -{n}' for n in (1, 2, 3)
    ]


def test_problem_renders_as_file_line_message() -> None:
    unknown = Message("program.key.unknown", key="x", guess="", allowed=("id", "title"))
    problem = Problem("方案/safety.toml", 12, unknown)
    assert str(problem) == '方案/safety.toml:12: unknown key "x"; allowed: id, title'
    assert problem.text("zh") == "方案/safety.toml:12: 不认识的设置项“x”；可以写的有：id、title"
    error = ProgramError([problem, Problem("a.toml", 3, Message("program.title.empty"))])
    assert str(error).splitlines() == [
        '方案/safety.toml:12: unknown key "x"; allowed: id, title',
        "a.toml:3: title must not be empty",
    ]


def test_empty_text_lists_each_missing_key_on_line_1() -> None:
    problems = check_program("", "empty.toml")
    assert {p.line for p in problems} == {1}
    assert [str(p.message) for p in problems] == [
        f'missing required key "{key}"'
        for key in ("id", "title", "year", "date_column", "columns", "items")
    ]


# -- numbers and where values -----------------------------------------------------


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        ("0.5", Decimal("0.5")),
        ("0.1", Decimal("0.1")),
        ("1_000.25", Decimal("1000.25")),
        ("999999999.999999", Decimal("999999999.999999")),  # the largest, most precise kept
        ("2e1", Decimal(20)),
        ("7", Decimal(7)),
    ],
)
def test_decimal_parameters_are_read_exactly(literal: str, expected: Decimal) -> None:
    items = ITEMS.replace('rule = "proportional"', f'rule = "proportional"\nbonus = {literal}')
    item = load_program(program(items=items), "p.toml").item("drills")
    assert item.bonus == expected
    assert isinstance(item.bonus, Decimal)


def where_of(where: str, columns: str = COLUMNS) -> tuple[tuple[str, object], ...]:
    indicators = INDICATORS + f'\n[[indicators]]\nid = "x"\ntitle = "X"\nkind = "count"\n{where}\n'
    return load_program(program(columns=columns, indicators=indicators), "p.toml").indicator(
        "x"
    ).where


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ('where = { done = true }', (("done", True),)),
        ('where = { done = false }', (("done", False),)),
        ('where = { done = "是" }', (("done", True),)),
        ('where = { done = "否" }', (("done", False),)),
        ("where = { n = 12 }", (("n", 12),)),
        ('where = { n = "１２" }', (("n", 12),)),
        ("where = { amount = 12.5 }", (("amount", "12.50"),)),
        ("where = { amount = 3 }", (("amount", "3.00"),)),
        ("where = { date = 2026-03-05 }", (("date", "2026-03-05"),)),
        ('where = { date = "2026年3月5日" }', (("date", "2026-03-05"),)),
        ('where = { note = " 已上报 " }', (("note", "已上报"),)),
        ('where = { kind = "检查", done = true }', (("kind", "检查"), ("done", True))),
        ("where = {}", ()),
    ],
)
def test_where_values_are_parsed_by_column_type(where: str, expected: tuple) -> None:
    assert where_of(where) == expected


def test_where_can_be_written_as_a_sub_table_in_written_order() -> None:
    indicators = INDICATORS + (
        '\n[[indicators]]\nid = "x"\ntitle = "X"\nkind = "count"\n'
        '[indicators.where]\ndone = true\nkind = "检查"\n'
    )
    loaded = load_program(program(indicators=indicators), "p.toml")
    assert loaded.indicator("x").where == (("done", True), ("kind", "检查"))


def test_a_rate_without_denominator_counts_against_every_row() -> None:
    # spec §3: a missing `where` matches every row; the denominator is no exception.
    indicators = INDICATORS + """
        [[indicators]]
        id = "drill_share"
        title = "演练占比"
        kind = "rate"
        numerator = { kind = "演练" }
        """
    loaded = load_program(program(indicators=indicators), "p.toml")
    rate = loaded.indicator("drill_share")
    assert rate.numerator == (("kind", "演练"),)
    assert rate.denominator == ()


def test_a_program_without_periods_has_only_the_year() -> None:
    loaded = load_program(program(), "p.toml")
    assert loaded.periods == ()
    assert loaded.period_ids == ("year",)


def test_periods_without_shares_load_with_share_none() -> None:
    periods = """
        [[periods]]
        id = "H1"
        title = "上半年"
        start = 2026-01-01
        end = 2026-06-30

        [[periods]]
        id = "h2"
        title = "下半年"
        start = 2026-07-01
        end = 2026-12-31
    """
    loaded = load_program(program(periods=periods), "p.toml")
    assert [(p.id, p.share) for p in loaded.periods] == [("H1", None), ("h2", None)]
    assert not loaded.has_shares


def test_column_defaults_and_bounds() -> None:
    columns = COLUMNS + """
[[columns]]
id = "rate"
title = "比例"
type = "decimal"
min = -1.5
max = 100
places = 0
required = true
"""
    column = load_program(program(columns=columns), "p.toml").column("rate")
    assert column == Column(
        "rate", "比例", "decimal", required=True, min=Decimal("-1.5"), max=Decimal(100), places=0,
    )
    defaults = load_program(program(), "p.toml").column("note")
    assert (defaults.max_length, defaults.places, defaults.required) == (200, 2, False)


def test_item_defaults_and_negative_min_is_allowed() -> None:
    items = ITEMS + """
[[items]]
id = "late"
title = "迟报"
indicator = "drills"
points = 10
rule = "per_event"
penalty = 2
min = -5
"""
    loaded = load_program(program(items=items), "p.toml")
    assert loaded.item("late").min == Decimal(-5)
    drills = loaded.item("drills")
    assert (drills.bonus, drills.penalty, drills.threshold, drills.max, drills.min) == (
        Decimal(0), Decimal(0), None, None, Decimal(0),
    )
    assert loaded.ranking.rewards == () and loaded.ranking.areas is None


def test_a_duplicate_id_names_the_line_of_the_first() -> None:
    extra = """
[[adjustments]]
id = "praise"  # first
title = "表彰"
points = 5

[[adjustments]]
id = "praise"  # second
title = "批评"
points = -5
"""
    text = program(extra=extra)
    lines = text.splitlines()
    first = next(n for n, s in enumerate(lines, 1) if s.endswith("# first"))
    second = next(n for n, s in enumerate(lines, 1) if s.endswith("# second"))
    assert [(p.line, str(p.message)) for p in check_program(text, "p.toml")] == [
        (second, f'adjustment "praise": this id is already used by the adjustment at line {first}')
    ]


# -- the line locator -------------------------------------------------------------

LOCATOR_TEXT = '''\
# a comment with [[items]] and key = "value" in it
id = "p"   # 2
"quoted key" = 1
'single quoted'.inner = 2
dotted.key.path = "x # not a comment"

[ranking]
veto = [
  "a",   # 9
  # a comment inside an array
  "b",
]
note = """
[[items]]
id = "inside a multi-line string"
"""
after = 'x'   # 17

[[items]]
id = "first"   # 20
where = { kind = "演练", "带引号" = true }   # 21

[[items]]   # 23
id = "second"
nested = [[1, 2], [3,
  4]]   # 26

[items.sub]   # 28
x = 1

[[ranking.rewards]]   # 31
rank = 1
[[ranking.rewards]]
rank = 2   # 34
[ ranking . areas ]
reward_if_all_complete = 5   # 36
'''


@pytest.mark.parametrize(
    ("path", "line"),
    [
        (("id",), 2),
        (("quoted key",), 3),
        (("single quoted", "inner"), 4),
        (("single quoted",), 4),
        (("dotted", "key", "path"), 5),
        (("ranking",), 7),
        (("ranking", "veto"), 8),
        (("ranking", "veto", 0), 9),
        (("ranking", "veto", 1), 11),
        (("ranking", "note"), 13),
        (("ranking", "after"), 17),
        (("items",), 19),
        (("items", 0), 19),
        (("items", 0, "id"), 20),
        (("items", 0, "where"), 21),
        (("items", 0, "where", "kind"), 21),
        (("items", 0, "where", "带引号"), 21),
        (("items", 1), 23),
        (("items", 1, "id"), 24),
        (("items", 1, "nested", 1), 25),
        (("items", 1, "nested", 1, 1), 26),
        (("items", 1, "sub"), 28),
        (("items", 1, "sub", "x"), 29),
        (("ranking", "rewards", 0), 31),
        (("ranking", "rewards", 1, "rank"), 34),
        (("ranking", "areas", "reward_if_all_complete"), 36),
    ],
)
def test_locator_finds_the_line_of_each_key(path: tuple, line: int) -> None:
    import tomllib

    from vledger.domain.toml_lines import locate

    tomllib.loads(LOCATOR_TEXT)  # the text is valid TOML, as the locator assumes
    assert locate(LOCATOR_TEXT).line_of(path) == line


def test_locator_falls_back_to_the_nearest_written_table() -> None:
    from vledger.domain.toml_lines import locate

    lines = locate(LOCATOR_TEXT)
    assert lines.line_of(("items", 1, "points")) == 23  # missing key: its [[items]] header
    assert lines.line_of(("items", 0, "where", "done")) == 21
    assert lines.line_of(("nothing", "here")) == 1
    assert lines.line_of(()) == 1
    # A multi-line string's content is not taken for a header: only two [[items]].
    assert ("items", 2) not in lines.lines


def test_locator_handles_windows_line_ends() -> None:
    from vledger.domain.toml_lines import locate

    text = 'a = 1\r\n\r\n[[t]]\r\nb = "x"\r\n[[t]]\r\nb = "y"\r\n'
    lines = locate(text)
    assert (lines.line_of(("t", 1, "b")), lines.line_of(("t", 0, "b"))) == (6, 4)


def test_locator_lists_keys_given_twice() -> None:
    from vledger.domain.toml_lines import locate

    text = "[t]\nx = 1\ny = 2\nx = 3\n[[u]]\nx = 1\n[[u]]\nx = 2\n"
    assert locate(text).repeated == [("t.x", 4)]


@pytest.mark.parametrize("text", ['a = "unterminated', "[[t", "= 1", "a = [1, 2", "a = {b = "])
def test_locator_never_raises_on_broken_text(text: str) -> None:
    from vledger.domain.toml_lines import locate

    lines = locate(text)
    assert lines.line_of(("a", "b")) == 1


def _toml_key(key: str) -> str:
    import re

    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else '"' + key.replace('"', '\\"') + '"'


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


_KEYS = st.sampled_from(["id", "title", "a_b", "x-1", "带空格 的键", "a.b", "q\"uote", "#x", "[y]"])
_SCALARS = st.one_of(
    st.integers(-1000, 1000).map(str),
    st.booleans().map(lambda b: "true" if b else "false"),
    st.text(alphabet="ab #[]{}=,'\"\\演练", max_size=6).map(_toml_string),
    st.just("2026-03-05"),
    st.just("0.5"),
)
_FILLER = st.sampled_from(["", "# [[fake]] = 1", "   ", "#"])


@st.composite
def _documents(draw: st.DrawFn) -> tuple[str, dict[tuple, int]]:
    """A TOML text and the line each key path was written on, by the writer itself."""
    out: list[str] = []
    expected: dict[tuple, int] = {}

    def write(line: str, path: tuple | None = None) -> None:
        if draw(st.booleans()):
            out.append(draw(_FILLER))
        out.append(line)
        if path is not None:
            expected[path] = len(out)

    def table_body(prefix: tuple) -> None:
        for key in draw(st.lists(_KEYS, unique=True, max_size=4)):
            shape = draw(st.sampled_from(["scalar", "inline", "array"]))
            path = (*prefix, key)
            if shape == "scalar":
                write(f"{_toml_key(key)} = {draw(_SCALARS)}", path)
            elif shape == "inline":
                inner = draw(st.lists(_KEYS, unique=True, max_size=3))
                body = ", ".join(f"{_toml_key(k)} = {draw(_SCALARS)}" for k in inner)
                write(f"{_toml_key(key)} = {{ {body} }}", path)
                for k in inner:
                    expected[(*path, k)] = len(out)
            else:
                write(f"{_toml_key(key)} = [", path)
                for index in range(draw(st.integers(0, 3))):
                    write(f"  {draw(_SCALARS)},", (*path, index))
                write("]")

    table_body(())
    for name in draw(st.lists(st.sampled_from(["items", "periods", "s p"]), unique=True)):
        for index in range(draw(st.integers(1, 3))):
            write(f"[[{_toml_key(name)}]]", (name, index))
            table_body((name, index))
    return "\n".join(out) + "\n", expected


@settings(max_examples=150, deadline=None)
@given(_documents())
def test_locator_agrees_with_the_writer(document: tuple[str, dict[tuple, int]]) -> None:
    import tomllib

    from vledger.domain.toml_lines import locate

    text, expected = document
    tomllib.loads(text)  # the writer only writes valid TOML
    lines = locate(text)
    assert {path: lines.line_of(path) for path in expected} == expected


# -- limits: what no program means is refused before it costs memory or time ----------


def _only_problem(text: str) -> str:
    (problem,) = check_program(text, "p.toml")
    return str(problem)


@pytest.mark.parametrize(
    ("literal", "said"),
    [
        ("1e308", "points = 1E+308 is too large: numbers in a program are at most 1000000000"),
        ("-2e9", "is too large"),
        ("1000000001", "points = 1000000001 is too large"),
        ("0.1234567", "points = 0.1234567 has too many decimal places (at most 6)"),
        ("1" * 41, "a number is too long (at most 40 digits)"),
        ("9" * 5000, "a number is too long"),  # past Python's own int() limit
    ],
)
def test_huge_or_very_precise_numbers_are_refused_at_their_line(literal: str, said: str) -> None:
    items = ITEMS.replace("points = 20", f"points = {literal}  {MARK}")
    text = program(items=items)
    line = _only_problem(text)
    assert line.startswith(f"p.toml:{marked_line(text)}: ")
    assert said in line


def test_limits_are_said_in_chinese_too() -> None:
    items = ITEMS.replace("points = 20", "points = 1e308")
    (problem,) = check_program(program(items=items), "p.toml")
    assert "太大" in problem.text("zh")


def test_a_column_of_too_many_choices_is_refused_quickly_saying_the_limit() -> None:
    from vledger.domain.program_file import MAX_CHOICES

    many = ", ".join(f'"{n}"' for n in range(300_000 // 10))  # within the file size limit
    columns = COLUMNS.replace('choices = ["演练", "检查"]', f"choices = [{many}]  {MARK}")
    text = program(columns=columns)
    problems = [str(p) for p in check_program(text, "p.toml")]
    assert f"p.toml:{marked_line(text)}: " in problems[0]
    assert f"choices; a column has at most {MAX_CHOICES}" in problems[0]


def test_three_hundred_thousand_choices_are_refused_by_the_file_size() -> None:
    many = ", ".join(f'"选项{n}"' for n in range(300_000))
    columns = COLUMNS.replace('choices = ["演练", "检查"]', f"choices = [{many}]")
    line = _only_problem(program(columns=columns))
    assert line.startswith("p.toml:1: the file has ")
    assert "a program file has at most 262144" in line


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        ("x = " + "[" * 100_000 + "]" * 100_000, "brackets nest too deep"),
        ("x = " + "{a=" * 50_000 + "1" + "}" * 50_000, "brackets nest too deep"),
        (".".join(["a"] * 100_000) + " = 1", "a dotted key or table name has too many parts"),
        ("[" + ".".join(["t"] * 40) + "]", "too many parts"),
        (".".join(str(n) for n in range(1000)) + " = 1", "too many parts"),
    ],
)
def test_deep_nesting_is_refused_before_toml_reads_it(extra: str, said: str) -> None:
    text = program() + f"\n{extra}  {MARK}\n"
    line = _only_problem(text)
    assert line.startswith(f"p.toml:{marked_line(text)}: ") and said in line


def test_brackets_dots_and_digits_inside_strings_and_comments_do_not_count() -> None:
    columns = COLUMNS.replace(
        'title = "备注"', 'title = "备注[[[[[[[[[[[[[[[[[[[[ ....................... 1234567890' +
        '12345678901234567890123456789012345678901234567890"  # [[[[[[[[[[[[[[[[[[[[[[[ ' +
        "." * 40,
    ) + "\n# " + "{" * 40 + "\n"
    assert check_program(program(columns=columns), "p.toml") == []
    multi = program() + '\nx_note = """\n' + "[" * 40 + '\n"quoted" \\""" still in\n"""\n'
    assert all("nest" not in str(p) for p in check_program(multi, "p.toml"))


def test_a_where_choice_is_written_out_whole_in_a_program_file() -> None:
    with pytest.raises(ProgramError, match="expected one of"):
        where_of('where = { kind = "检" }')
    with pytest.raises(ProgramError, match="expected one of"):
        where_of('where = { kind = "1" }')
