"""Totals, veto, complete, ranks, from_bottom, rewards, penalties, areas (spec §6).

The program scores one entered indicator `work` with a linear item of 0 points
and bonus 1, so with target 0 a village's item score is exactly its `work`
value and every total below is the number we enter. A `check` item of 0 points
on `plan` decides completeness without changing any score: it is met only when
plan >= max(target, 1), so `inputs` enters plan 1 for every village (complete
unless a test says otherwise) and a test makes one incomplete with plan 0.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.domain.example_loader import build_program
from vledger.domain.ranking import (
    RankingError,
    SheetInputs,
    check_inputs,
    competition_ranks,
    from_bottom,
    rank_sheet,
)
from vledger.domain.villages import Village

D = Decimal

BODY = """
[[indicators]]
id = "work"
title = "工作量"
kind = "entered"

[[indicators]]
id = "accident"
title = "事故"
kind = "entered"

[[items]]
id = "work"
title = "工作量"
indicator = "work"
points = 0
rule = "linear"
bonus = 1

[[items]]
id = "notes"
title = "记录"
points = 5
rule = "manual"

[[indicators]]
id = "plan"
title = "预案"
kind = "entered"

[[items]]
id = "plan"
title = "预案"
indicator = "plan"
points = 0
rule = "check"

[[adjustments]]
id = "praise"
title = "表彰"
points = 5

[[adjustments]]
id = "blame"
title = "批评"
points = -2

[ranking]
veto = ["accident"]
period_rank_bonus = [4, 2]

[[ranking.rewards]]
rank = 1
amount = 1000
requires_complete = true

[[ranking.rewards]]
rank = 2
amount = 500

[[ranking.penalties]]
from_bottom = 1
amount = 300
requires_incomplete = true

[[ranking.penalties]]
from_bottom = 2
amount = 100

[ranking.areas]
reward_if_all_complete = 10000
penalty_if_any_incomplete = 5000
"""

PROGRAM = build_program(BODY)


def villages(*ids: str, areas: dict[str, str] | None = None) -> list[Village]:
    areas = areas or {}
    return [Village(i, f"{i}村", areas.get(i)) for i in ids]


def inputs(work: dict[str, int | str], period: str = "Q1", **kw: object) -> SheetInputs:
    entered = {(v, "plan", period): D(1) for v in work}
    entered.update({(v, "work", period): D(str(x)) for v, x in work.items()})
    entered.update(kw.pop("entered", {}))  # type: ignore[arg-type]
    return SheetInputs(entered=entered, **kw)  # type: ignore[arg-type]


def summary(sheet) -> list[tuple[str, int, int, str]]:  # type: ignore[no-untyped-def]
    return [(r.village, r.rank, r.from_bottom, str(r.total)) for r in sheet.rows]


def test_ties_at_the_top_and_bottom_share_ranks_and_skip() -> None:
    work = {"a": 90, "b": 90, "c": 80, "d": 70, "e": 70}
    sheet = rank_sheet(PROGRAM, villages("e", "d", "c", "b", "a"), {}, inputs(work), "Q1")
    # 90, 90 → 1, 1; 80 → 3; 70, 70 → 4, 4. from_bottom: a: 1 + 3 below = 4; c: 1 + 2 = 3;
    # d, e: nobody strictly below → 1. Display order within a rank by id.
    assert [(v, r, fb) for v, r, fb, _ in summary(sheet)] == [
        ("a", 1, 4), ("b", 1, 4), ("c", 3, 3), ("d", 4, 1), ("e", 4, 1),
    ]  # fmt: skip
    assert sheet.row("a").shared_with == ("b",)


def test_vetoed_villages_come_after_all_others() -> None:
    # b has the highest total but an accident; c and d vetoed too, tied.
    work = {"a": 10, "b": 99, "c": 50, "d": 50, "e": 5}
    veto = {(v, "accident", "Q1"): D(1) for v in ("b", "c", "d")}
    sheet = rank_sheet(
        PROGRAM, villages("a", "b", "c", "d", "e"), {}, inputs(work, entered=veto), "Q1"
    )
    # not vetoed: a 10 (1), e 5 (2); vetoed numbered on: b 99 (3), c, d 50 (4, 4).
    # from_bottom: a 5, e 4, b 3, c/d 1.
    assert [(v, r, fb) for v, r, fb, _ in summary(sheet)] == [
        ("a", 1, 5), ("e", 2, 4), ("b", 3, 3), ("c", 4, 1), ("d", 4, 1),
    ]  # fmt: skip
    b = sheet.row("b")
    assert b.vetoed and not b.complete and [v.indicator for v in b.veto_by] == ["accident"]


def test_veto_needs_a_value_above_zero() -> None:
    veto = {("a", "accident", "Q1"): D(0)}
    sheet = rank_sheet(PROGRAM, villages("a"), {}, inputs({"a": 1}, entered=veto), "Q1")
    assert not sheet.row("a").vetoed


def test_rewards_require_complete_and_vetoed_get_none() -> None:
    # a 30 rank 1, b 20 rank 2, c 10. plan target 1 for a → Q1 part 1 (0.4, 0.3, 0.3 → 1, 0, 0).
    work = {"a": 30, "b": 20, "c": 10}
    done = {("a", "plan", "Q1"): D(1)}
    sheet = rank_sheet(PROGRAM, villages("a", "b", "c"), {},
                       inputs(work, entered=done, targets={("a", "plan"): D(1)}), "Q1")  # fmt: skip
    # a entered plan 1 ≥ 1: complete → rank-1 reward 1000; b rank 2 → 500 without condition
    assert sheet.row("a").complete and sheet.row("a").reward == 1000
    assert sheet.row("b").reward == 500
    sheet = rank_sheet(PROGRAM, villages("a", "b", "c"), {},
                       inputs(work, entered={("a", "plan", "Q1"): D(0)},
                              targets={("a", "plan"): D(1)}), "Q1")  # fmt: skip
    # plan 0 < 1 → not complete → no rank-1 reward
    assert not sheet.row("a").complete and sheet.row("a").reward == 0
    assert sheet.row("a").unmet == ("plan",)
    assert [m.reason for m in sheet.row("a").money_lines] == ["not_complete"]


def test_vetoed_village_in_a_reward_place_gets_no_reward() -> None:
    # two villages, b vetoed: a rank 1, b rank 2 → rank-2 reward has no condition but b is vetoed.
    veto = {("b", "accident", "Q1"): D(2)}
    sheet = rank_sheet(PROGRAM, villages("a", "b"), {}, inputs({"a": 1, "b": 9}, entered=veto),
                       "Q1")  # fmt: skip
    assert sheet.row("b").rank == 2 and sheet.row("b").reward == 0
    assert sheet.row("b").money_lines[0].reason == "vetoed"


def test_penalties_and_requires_incomplete() -> None:
    # a, b tie last (from_bottom 1); both complete (target 0) → the requires_incomplete
    # 300 does not apply. c is from_bottom 3 (2 below): no penalty rule.
    sheet = rank_sheet(PROGRAM, villages("a", "b", "c"), {}, inputs({"a": 1, "b": 1, "c": 5}),
                       "Q1")  # fmt: skip
    assert [(r.village, r.from_bottom, r.penalty) for r in sheet.rows] == [
        ("c", 3, 0), ("a", 1, 0), ("b", 1, 0),
    ]  # fmt: skip
    # with targets a and b are incomplete → 300 each; c from_bottom 3 → nothing
    sheet = rank_sheet(
        PROGRAM, villages("a", "b", "c"), {},
        inputs({"a": 1, "b": 1, "c": 5}, targets={("a", "work"): D(10), ("b", "work"): D(10)}),
        "Q1",
    )  # fmt: skip
    assert sheet.row("a").penalty == 300 and sheet.row("b").penalty == 300
    # three villages in a row: c 5, b 3, a 1 → b is from_bottom 2: 100 without condition
    sheet = rank_sheet(PROGRAM, villages("a", "b", "c"), {}, inputs({"a": 1, "b": 3, "c": 5}),
                       "Q1")  # fmt: skip
    # b is also rank 2 → reward 500: amount 500 − 100 = 400
    assert sheet.row("b").penalty == 100 and sheet.row("b").amount == 400


def test_total_adds_rounded_items_and_adjustments() -> None:
    # work 10.005 → item rounds to 10.01 (half up); manual 4.5; praise 2 × 5 + blame 1 × −2 = 8
    adj = {("a", "praise", "Q1"): D(2), ("a", "blame", "Q1"): D(1)}
    manual = {("a", "notes", "Q1"): D("4.5")}
    sheet = rank_sheet(PROGRAM, villages("a"), {},
                       inputs({"a": "10.005"}, adjustments=adj, manual=manual), "Q1")  # fmt: skip
    row = sheet.row("a")
    assert row.item_scores == {"work": D("10.01"), "notes": D("4.50"), "plan": D("0.00")}
    assert row.adjustments == 8
    assert row.total == D("22.51")  # 10.01 + 4.50 + 8
    assert sheet.to_json_dict()["rows"][0]["total"] == "22.51"


def test_period_rank_bonus_with_shared_ranks() -> None:
    # Q1: a 10, b 10, c 5 → a, b share rank 1 → 4 each; c rank 3 → no bonus (list [4, 2]).
    # Q2: c 9, a 8, b 1 → c 4, a 2, b 0. Q3: nothing entered → all 0, all share rank 1 → 4.
    # Year work: nothing entered for "year" → items 0; totals are the bonuses:
    # a 4 + 2 + 4 = 10, b 4 + 0 + 4 = 8, c 0 + 4 + 4 = 8.
    entered = {(v, "work", "Q1"): D(x) for v, x in {"a": 10, "b": 10, "c": 5}.items()}
    entered |= {(v, "work", "Q2"): D(x) for v, x in {"a": 8, "b": 1, "c": 9}.items()}
    sheet = rank_sheet(PROGRAM, villages("a", "b", "c"), {}, SheetInputs(entered=entered), "year")
    assert {r.village: r.rank_bonus for r in sheet.rows} == {"a": 10, "b": 8, "c": 8}
    assert [(b.period, b.rank, b.shared, b.bonus) for b in sheet.row("b").rank_bonus_lines] == [
        ("Q1", 1, True, 4), ("Q2", 3, False, 0), ("Q3", 1, True, 4),
    ]  # fmt: skip
    assert summary(sheet)[0][:3] == ("a", 1, 3)
    # period sheets themselves carry no bonus
    assert rank_sheet(PROGRAM, villages("a", "b"), {}, SheetInputs(entered=entered),
                      "Q1").row("a").rank_bonus == 0  # fmt: skip


def test_areas_in_order_of_first_appearance_and_villages_without_area() -> None:
    areas = {"a": "南片", "b": "北片", "c": "南片"}
    # ranks: d 40, c 30, b 20, a 10. d has no area. Targets make a incomplete.
    work = {"a": 10, "b": 20, "c": 30, "d": 40}
    sheet = rank_sheet(PROGRAM, villages("a", "b", "c", "d", areas=areas), {},
                       inputs(work, targets={("a", "work"): D(100)}), "Q1")  # fmt: skip
    # first area in rank order is c's 南片 (d has none), then b's 北片.
    # 南片: a incomplete → −5000; 北片: b complete → 10000.
    assert list(sheet.area_amounts.items()) == [("南片", D(-5000)), ("北片", D(10000))]
    assert sheet.to_json_dict()["areas"] == {"南片": "-5000", "北片": "10000"}
    assert sheet.area("南片").incomplete == ("a",)


def test_amount_is_reward_minus_penalty_plus_item_money() -> None:
    program = build_program(BODY.replace("bonus = 1\n", "bonus = 1\nmoney_per_unit = 10\n", 1))
    sheet = rank_sheet(program, villages("a", "b"), {}, inputs({"a": 3, "b": 1}), "Q1")
    # a: rank 1, complete (t = 0) → reward 1000; from_bottom 2 → penalty 100 (no condition);
    # money 10 × 3 = 30 → 1000 − 100 + 30 = 930.
    # b: from_bottom 1, complete → no 300; rank 2 → reward 500; money 10 → 510.
    assert (sheet.row("a").amount, sheet.row("b").amount) == (930, 510)


def test_json_shape_matches_the_cli_contract() -> None:
    sheet = rank_sheet(PROGRAM, villages("a"), {}, inputs({"a": 7}), "Q1")
    out = sheet.to_json_dict()
    assert set(out) == {"program", "period", "rows", "areas"}
    assert set(out["rows"][0]) == {
        "village", "rank", "from_bottom", "total", "items", "adjustments", "rank_bonus",
        "vetoed", "complete", "reward", "penalty", "amount",
    }  # fmt: skip
    assert out["rows"][0]["items"] == {"work": "7.00", "notes": "0.00", "plan": "0.00"}


def test_competition_ranks_and_from_bottom_helpers() -> None:
    ranks = competition_ranks([("a", D(5), False), ("b", D(5), False), ("c", D(1), True)])
    assert ranks == {"a": 1, "b": 1, "c": 3}
    assert from_bottom(ranks) == {"a": 2, "b": 2, "c": 1}


def test_ranking_refuses_unknown_period_and_duplicate_villages() -> None:
    with pytest.raises(RankingError):
        rank_sheet(PROGRAM, villages("a"), {}, SheetInputs(), "Q9")
    with pytest.raises(RankingError):
        rank_sheet(PROGRAM, villages("a", "a"), {}, SheetInputs(), "Q1")


def test_check_inputs_reports_every_problem() -> None:
    bad = SheetInputs(
        targets={("zz", "work"): D(1), ("a", "nope"): D(1), ("a", "work"): D(-1)},
        entered={("a", "notes", "Q1"): D(1), ("a", "work", "Q7"): D(1)},
        manual={("a", "notes", "Q1"): D(6), ("a", "work", "Q1"): D(1), ("a", "notes", "Q2"): D(-1)},
        adjustments={("a", "praise", "Q1"): D("1.5"), ("a", "nope", "year"): D(1)},
    )
    problems = {(p.sheet, p.key, p.code) for p in check_inputs(PROGRAM, villages("a"), bad)}
    assert problems == {
        ("targets", ("zz", "work"), "unknown_village"),
        ("targets", ("a", "nope"), "unknown_indicator"),
        ("targets", ("a", "work"), "negative"),
        ("entered", ("a", "notes", "Q1"), "unknown_indicator"),
        ("entered", ("a", "work", "Q7"), "unknown_period"),
        ("manual", ("a", "notes", "Q1"), "above_points"),  # 6 > 5
        ("manual", ("a", "work", "Q1"), "not_manual"),
        ("manual", ("a", "notes", "Q2"), "negative"),
        ("adjustments", ("a", "praise", "Q1"), "not_whole"),
        ("adjustments", ("a", "nope", "year"), "unknown_adjustment"),
    }
    above = next(p for p in check_inputs(PROGRAM, None, bad) if p.code == "above_points")
    assert "6" in above.message("en") and "5" in above.message("en")
    assert "满分" in above.message("zh")
    good = SheetInputs(manual={("a", "notes", "year"): D(5)}, targets={("a", "work"): D(3)})
    assert check_inputs(PROGRAM, villages("a"), good) == []


def test_a_sheet_scores_each_item_value_and_target_once_and_keeps_targets_as_written(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Villages and periods sharing an item's (value, target) share its scoring, exact
    Fraction work; the sheet is the same, and a target written "4.0" still shows so."""
    from fractions import Fraction

    from tests.domain.example_loader import (
        example_inputs,
        example_measures,
        example_program,
        example_villages,
    )
    from vledger.domain import ranking

    program, measures = example_program(), example_measures()
    villages_ = [*example_villages(), Village("v98", "九八村"), Village("v99", "九九村")]
    given = example_inputs()
    indicator = next(i.id for i in program.indicators if i.kind == "count")
    targets = {**given.targets,
               ("v98", indicator): Decimal("4"), ("v99", indicator): Decimal("4.0")}
    sheet_inputs = SheetInputs(targets, given.entered, given.manual, given.adjustments)
    seen: list[tuple[str, Fraction | None, Fraction | Decimal | int]] = []
    real = ranking.score_item

    def counting(item: object, v: Fraction | None, t: Fraction | Decimal | int = 0,
                 manual: Decimal | None = None) -> object:
        seen.append((item.id, v, t if manual is None else manual))  # type: ignore[attr-defined]
        return real(item, v, t, manual)  # type: ignore[arg-type]

    monkeypatch.setattr(ranking, "score_item", counting)
    sheet = rank_sheet(program, villages_, measures, sheet_inputs, "year")
    assert len(seen) == len(set(seen))  # nothing scored twice
    shown = {r.village: r.targets[indicator].annual for r in sheet.rows}
    assert (str(shown["v98"]), str(shown["v99"])) == ("4", "4.0")
    monkeypatch.setattr(ranking, "score_item", real)
    assert rank_sheet(program, villages_, measures, sheet_inputs, "year") == sheet
