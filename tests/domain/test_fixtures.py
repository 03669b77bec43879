"""The sample township 青石乡: program files, roster and the seeded data generator."""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest

from vledger.domain.program import (
    COLUMN_TYPES,
    INDICATOR_KINDS,
    RULES,
    YEAR,
    Program,
)
from vledger.domain.program_file import load_program
from vledger.domain.values import cell_date, parse_cell
from vledger.fixtures.generate import SampleTownship, generate_township, offices
from vledger.fixtures.township import AREAS, VILLAGES, load_programs, program_paths

ROOT = Path(__file__).resolve().parents[2]
EXPECTED_PROGRAMS = {"safety-2026", "hazard-2026", "health-2026", "benefits-2026"}


@cache
def township(villages: int = 12, rows: int = 200, seed: int = 1) -> SampleTownship:
    return generate_township(villages, rows, seed)


@cache
def programs() -> tuple[Program, ...]:
    return tuple(load_programs())


# --- program files ---------------------------------------------------------------------------


def test_the_four_program_files_are_bundled() -> None:
    paths = program_paths()
    assert {p.name for p in paths} == {f"{pid}.toml" for pid in EXPECTED_PROGRAMS}
    assert all(p.parent == ROOT / "fixtures" / "programs" for p in paths)


@pytest.mark.parametrize("path", program_paths(), ids=lambda p: p.name)
def test_program_file_loads_and_its_id_is_its_file_name(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    tomllib.loads(text)
    program = load_program(text, str(path))
    assert program.id == path.stem
    assert program.year == 2026
    assert sum(item.points for item in program.items) == 100  # 百分制


def test_fixture_programs_together_use_every_type_kind_rule_and_ranking_feature() -> None:
    loaded = programs()
    types = {c.type for p in loaded for c in p.columns}
    kinds = {i.kind for p in loaded for i in p.indicators}
    rules = {i.rule for p in loaded for i in p.items}
    assert types == set(COLUMN_TYPES)
    assert kinds == set(INDICATOR_KINDS)
    assert rules == set(RULES)
    assert any(p.adjustments for p in loaded)
    assert any(a.points < 0 for p in loaded for a in p.adjustments)
    assert any(a.points > 0 for p in loaded for a in p.adjustments)
    assert any(p.ranking.veto for p in loaded)
    assert any(p.ranking.period_rank_bonus for p in loaded)
    rewards = [r for p in loaded for r in p.ranking.rewards]
    assert {r.requires_complete for r in rewards} == {True, False}
    penalties = [r for p in loaded for r in p.ranking.penalties]
    assert {r.requires_incomplete for r in penalties} == {True, False}
    assert any(p.ranking.areas is not None for p in loaded)
    shares = {tuple(period.share for period in p.periods) for p in loaded if p.has_shares}
    assert (Decimal(4), Decimal(3), Decimal(3)) in shares
    assert any(p.periods and not p.has_shares for p in loaded)
    assert any(not p.periods for p in loaded)  # a year-only program
    assert any(i.money_per_unit for p in loaded for i in p.items)
    assert any(i.money_per_missing for p in loaded for i in p.items)
    assert any(i.rule == "threshold" and i.threshold is None for p in loaded for i in p.items)
    assert any(i.kind == "rate" and not i.denominator for p in loaded for i in p.indicators)


def test_titles_and_choices_are_written_in_chinese() -> None:
    han = re.compile(r"[\u4e00-\u9fff]")
    for program in programs():
        texts = [program.title]
        texts += [c.title for c in program.columns] + [
            x for c in program.columns for x in c.choices
        ]
        texts += [i.title for i in program.indicators] + [i.title for i in program.items]
        texts += [a.title for a in program.adjustments] + [p.title for p in program.periods]
        assert all(han.search(t) for t in texts), program.id


def test_ledgers_about_named_people_keep_only_the_minimum() -> None:
    benefits = next(p for p in programs() if p.id == "benefits-2026")
    titles = {c.title for c in benefits.columns}
    assert titles == {"发放日期", "姓名", "户", "发放金额(元)", "发放状态"}


# The same terms the project's stop hook looks for (shared/design.md, scope boundary).
FORBIDDEN = re.compile(
    r"结扎|流产|引产|上环|取环|社会抚养费|孕情|环情|孕检|sterili[sz]|abortion|IUD"
)


def test_fixture_files_stay_inside_the_scope_boundary() -> None:
    files = [
        p for p in (ROOT / "fixtures").rglob("*") if p.is_file() and "__pycache__" not in p.parts
    ]
    assert any(p.suffix == ".toml" for p in files)
    for path in files:
        hit = FORBIDDEN.search(path.read_text(encoding="utf-8"))
        assert hit is None, f"{path}: {hit and hit.group()}"


def test_generated_data_stays_inside_the_scope_boundary() -> None:
    data = township()
    for program in data.programs.values():
        for ledger in program.ledgers.values():
            for row in ledger:
                assert not any(FORBIDDEN.search(cell) for cell in row.values())


def test_the_scope_check_itself_catches_a_forbidden_term() -> None:
    assert FORBIDDEN.search("季度孕检任务")
    assert FORBIDDEN.search("IUD")
    assert not FORBIDDEN.search("健康讲座")


# --- roster ----------------------------------------------------------------------------------


def test_roster_has_twelve_villages_in_three_areas() -> None:
    assert [v.id for v in VILLAGES] == [f"v{n:02d}" for n in range(1, 13)]
    assert all(v.name.endswith("村") for v in VILLAGES)
    assert len({v.name for v in VILLAGES}) == 12
    assert len(AREAS) == 3 and all(a.endswith("管区") for a in AREAS)
    assert Counter(v.area for v in VILLAGES) == {a: 4 for a in AREAS}


def test_villages_beyond_twelve_get_generated_unique_names() -> None:
    roster = offices(60)
    assert [o.id for o in roster] == [f"v{n:02d}" for n in range(1, 61)]
    assert [(o.id, o.name, o.area) for o in roster[:12]] == [
        (v.id, v.name, v.area) for v in VILLAGES
    ]
    assert len({o.name for o in roster}) == 60
    assert all(o.name.endswith("村") and o.area in AREAS for o in roster)
    assert min(Counter(o.area for o in roster).values()) >= 19
    assert offices(3) == roster[:3]


@pytest.mark.parametrize("villages", [300, 1000])
def test_any_number_of_villages_gets_unique_ids_and_names(villages: int) -> None:
    data = generate_township(villages, 2, 1)
    roster = data.offices
    assert len(roster) == villages
    assert len({o.id for o in roster}) == villages
    assert len({o.name for o in roster}) == villages
    assert all(re.fullmatch(r"v\d{2,}", o.id) for o in roster)
    assert all(o.name.endswith("村") and o.area in AREAS for o in roster)
    assert roster[:60] == offices(60)  # growing the roster renames nobody
    for program in data.programs.values():
        assert set(program.ledgers) == {o.id for o in roster}


# --- generator -------------------------------------------------------------------------------


def _plain(data: SampleTownship) -> object:
    return (
        data.name,
        data.offices,
        {
            pid: (d.ledgers, d.targets, d.entered, d.manual, d.adjustments)
            for pid, d in data.programs.items()
        },
    )


def test_same_seed_gives_the_same_township() -> None:
    assert _plain(generate_township(5, 60, 7)) == _plain(generate_township(5, 60, 7))


def test_other_seed_gives_other_ledgers() -> None:
    one, two = generate_township(3, 50, 1), generate_township(3, 50, 2)
    assert one.programs["safety-2026"].ledgers != two.programs["safety-2026"].ledgers


def test_more_villages_leave_the_first_villages_unchanged() -> None:
    small, large = generate_township(3, 40, 9), generate_township(6, 40, 9)
    for pid, data in small.programs.items():
        for village, ledger in data.ledgers.items():
            assert large.programs[pid].ledgers[village] == ledger


@pytest.mark.parametrize(("villages", "rows"), [(1, 0), (2, 1), (12, 200), (15, 33)])
def test_row_and_village_counts_are_as_asked(villages: int, rows: int) -> None:
    data = generate_township(villages, rows, 3)
    assert len(data.offices) == villages
    assert set(data.programs) == EXPECTED_PROGRAMS
    for program in data.programs.values():
        assert set(program.ledgers) == {o.id for o in data.offices}
        assert all(len(ledger) == rows for ledger in program.ledgers.values())


@pytest.mark.parametrize("bad", [(0, 10), (3, -1)])
def test_impossible_sizes_are_refused(bad: tuple[int, int]) -> None:
    with pytest.raises(ValueError):
        generate_township(*bad, seed=1)


@pytest.mark.parametrize("program_id", sorted(EXPECTED_PROGRAMS))
def test_every_generated_cell_parses_for_its_column(program_id: str) -> None:
    data = township().programs[program_id]
    columns = {c.id: c for c in data.program.columns}
    for ledger in data.ledgers.values():
        for row in ledger:
            assert set(row) <= set(columns)
            for column in columns.values():
                parse_cell(column, row.get(column.id, ""))  # raises on a bad cell


def _cells(program_id: str, column: str) -> list[str]:
    data = township().programs[program_id]
    return [row[column] for ledger in data.ledgers.values() for row in ledger if column in row]


def test_dates_are_typed_the_way_clerks_type_them() -> None:
    dates = [d for pid in EXPECTED_PROGRAMS for d in _cells(pid, "date")]
    iso = sum(bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", d)) for d in dates)
    slashes = sum("/" in d for d in dates)
    chinese = sum("年" in d for d in dates)
    wide = sum(bool(re.search("[０-９]", d)) for d in dates)
    assert iso > len(dates) / 3
    assert slashes > 0 and chinese > 0 and wide > 0
    assert iso + slashes + chinese + wide >= len(dates)


def test_a_few_rows_fall_outside_the_year_and_work_clusters_before_deadlines() -> None:
    safety = next(p for p in programs() if p.id == "safety-2026")
    column = safety.column("date")
    days = [cell_date(parse_cell(column, d)) for d in _cells("safety-2026", "date")]
    assert all(d is not None for d in days)
    outside = [d for d in days if d is not None and d.year != 2026]
    assert 0 < len(outside) < len(days) / 50
    inside = [d for d in days if d is not None and d.year == 2026]
    months = Counter(d.month for d in inside)
    # April closes the first period and June is 安全生产月: both above a quiet month.
    assert months[4] > months[2] and months[6] > months[2]


def test_choice_frequencies_make_sense() -> None:
    kinds = Counter(_cells("safety-2026", "kind"))
    assert kinds["隐患排查"] > kinds["安全宣传"] > kinds["安全例会"] > kinds["应急演练"]
    assert kinds["生产安全事故"] < 12  # rare, at most one per village
    statuses = Counter(_cells("benefits-2026", "status"))
    assert statuses["按时发放"] > 10 * (statuses["延期发放"] + statuses["退回"]) / 2


def test_sheets_name_only_what_the_program_has() -> None:
    for data in township().programs.values():
        program = data.program
        villages = set(data.ledgers)
        indicators = {i.id: i for i in program.indicators}
        for target in data.targets:
            assert target.village in villages and target.indicator in indicators
            assert target.value >= 0
        for entry in data.entered:
            assert indicators[entry.indicator].kind == "entered"
            assert entry.period in program.period_ids and entry.value > 0
        for manual in data.manual:
            item = program.item(manual.item)
            assert item.rule == "manual" and manual.period in program.period_ids
            assert 0 <= manual.points <= item.points
            assert manual.points * 2 == int(manual.points * 2)
        for adj in data.adjustments:
            program.adjustment(adj.adjustment)
            assert adj.period in program.period_ids and adj.count > 0


def test_every_item_that_needs_a_target_gets_one_per_village() -> None:
    for data in township().programs.values():
        program = data.program
        needing = {
            i.indicator
            for i in program.items
            if i.rule in ("proportional", "linear", "full_at", "check")
            or (i.rule == "threshold" and i.threshold is None)
        }
        set_for = Counter(t.indicator for t in data.targets)
        assert needing <= set(set_for), program.id
        assert all(set_for[i] == len(data.ledgers) for i in needing)


def test_year_adjustment_counts_add_up_the_periods() -> None:
    for data in township(villages=40).programs.values():
        if not data.program.periods:
            continue
        counts: Counter[tuple[str, str, str]] = Counter()
        for adj in data.adjustments:
            period = YEAR if adj.period == YEAR else "periods"
            counts[(adj.village, adj.adjustment, period)] += adj.count
        for (village, adjustment, period), n in counts.items():
            if period == YEAR:
                assert counts[(village, adjustment, "periods")] == n


def test_manual_points_exist_for_every_village_item_and_period() -> None:
    for data in township().programs.values():
        manual_items = [i.id for i in data.program.items if i.rule == "manual"]
        keys = {(m.village, m.item, m.period) for m in data.manual}
        assert keys == {
            (v, i, p) for v in data.ledgers for i in manual_items for p in data.program.period_ids
        }
