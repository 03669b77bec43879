"""Properties of scoring and ranking that must hold for any input (hypothesis)."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.domain.example_loader import example_program, example_rows
from vledger.domain.indicators import LedgerRow, measure
from vledger.domain.program import Item
from vledger.domain.ranking import SheetInputs, rank_sheet
from vledger.domain.rules import score_item
from vledger.domain.targets import split_target
from vledger.domain.villages import Village

SETTINGS = settings(max_examples=60, deadline=None)

decimals = st.decimals(min_value=-50, max_value=200, places=2, allow_nan=False)
totals = st.integers(min_value=0, max_value=40)


@SETTINGS
@given(
    annual=st.integers(min_value=0, max_value=10_000),
    shares=st.lists(st.integers(min_value=1, max_value=9), min_size=1, max_size=6),
)
def test_split_adds_up_and_each_part_is_within_one_of_proportional(
    annual: int, shares: list[int]
) -> None:
    parts = split_target(Decimal(annual), shares)
    assert sum(parts) == annual
    total = sum(shares)
    for part, share in zip(parts, shares, strict=True):
        exact = Fraction(annual * share, total)
        assert part.denominator == 1 and abs(part - exact) < 1
        assert part in (math.floor(exact), math.floor(exact) + 1)


@SETTINGS
@given(
    annual=st.decimals(min_value=0, max_value=1000, places=2, allow_nan=False),
    shares=st.lists(st.integers(min_value=1, max_value=9), min_size=1, max_size=6),
)
def test_split_of_any_target_adds_up(annual: Decimal, shares: list[int]) -> None:
    assert sum(split_target(annual, shares)) == Fraction(annual)


@SETTINGS
@given(
    rule=st.sampled_from(["proportional", "linear", "threshold", "full_at", "per_event", "check"]),
    points=st.integers(min_value=0, max_value=50),
    bonus=decimals, penalty=decimals, v=decimals, t=st.decimals(0, 100, places=1),
    low=st.one_of(st.just(Decimal(0)), st.decimals(-10, 10, places=0)),
    high=st.one_of(st.none(), st.decimals(10, 60, places=0)),
    threshold=st.one_of(st.none(), st.decimals(0, 100, places=0)),
)  # fmt: skip
def test_scores_stay_within_min_and_max(
    rule: str, points: int, bonus: Decimal, penalty: Decimal, v: Decimal, t: Decimal,
    low: Decimal, high: Decimal | None, threshold: Decimal | None,
) -> None:  # fmt: skip
    item = Item(
        id="x", title="x", points=Decimal(points), rule=rule, indicator="x",  # type: ignore[arg-type]
        bonus=abs(bonus), penalty=abs(penalty), min=low, max=high, threshold=threshold,
    )  # fmt: skip
    s = score_item(item, v, t)
    assert s.score >= low
    if high is not None:
        assert s.score <= high
    assert s.score == s.score.quantize(Decimal("0.01"))


villages = st.lists(
    st.tuples(st.integers(0, 30), st.booleans(), st.sampled_from(["北片", "南片", None])),
    min_size=1, max_size=9,
)  # fmt: skip


def _sheet(entries: list[tuple[int, bool, str | None]], order: list[int] | None = None):  # type: ignore[no-untyped-def]
    """A sheet on the worked example's program where only entered/manual numbers vary."""
    program = example_program()
    roster = [Village(f"w{i:02d}", f"村{i}", area) for i, (_, _, area) in enumerate(entries)]
    manual = {(f"w{i:02d}", "records", "Q1"): Decimal(p % 9) for i, (p, _, _) in enumerate(entries)}
    adjustments = {
        (f"w{i:02d}", "criticism", "Q1"): Decimal(p // 9) for i, (p, _, _) in enumerate(entries)
    }
    entered = {(f"w{i:02d}", "plan", "Q1"): Decimal(p % 2) for i, (p, _, _) in enumerate(entries)}
    measures = {}
    for i, (_, vetoed, _) in enumerate(entries):
        rows = [LedgerRow(f"r{i}", {"date": "2026-02-01", "kind": "重大事故"})] if vetoed else []
        measures[f"w{i:02d}"] = measure(program, rows)
    if order is not None:
        roster = [roster[k % len(roster)] for k in order]
        roster = list(dict.fromkeys(roster))
    inputs = SheetInputs(entered=entered, manual=manual, adjustments=adjustments)
    return rank_sheet(program, roster, measures, inputs, "Q1")


@SETTINGS
@given(entries=villages)
def test_ranks_are_a_competition_ranking_with_vetoed_last(
    entries: list[tuple[int, bool, str | None]],
) -> None:
    rows = _sheet(entries).rows
    vetoed_flags = [r.vetoed for r in rows]
    assert vetoed_flags == sorted(vetoed_flags)  # every non-vetoed before every vetoed
    for i, row in enumerate(rows):
        same_group = [r for r in rows if r.vetoed == row.vetoed]
        above_in_group = sum(1 for r in same_group if r.total > row.total)
        others_before = 0 if not row.vetoed else sum(1 for r in rows if not r.vetoed)
        assert row.rank == 1 + others_before + above_in_group
        if i:
            prev = rows[i - 1]
            if prev.vetoed == row.vetoed:
                assert prev.total >= row.total
                assert (prev.rank == row.rank) == (prev.total == row.total)
                if prev.total == row.total:
                    assert prev.village < row.village
        below = sum(1 for r in rows if r.rank > row.rank)
        assert row.from_bottom == 1 + below
        if row.vetoed:
            assert row.reward == 0 and not row.complete


@SETTINGS
@given(entries=villages, order=st.lists(st.integers(0, 50), min_size=1, max_size=20))
def test_result_does_not_depend_on_village_order(
    entries: list[tuple[int, bool, str | None]], order: list[int]
) -> None:
    full = _sheet(entries)
    shuffled = _sheet(entries, order=[*order, *range(len(entries))])
    assert shuffled.to_json_dict() == full.to_json_dict()


@SETTINGS
@given(perm=st.permutations(list(range(22))))
def test_measures_do_not_depend_on_row_order(perm: list[int]) -> None:
    program = example_program()
    rows = example_rows("v01")
    shuffled = [rows[i] for i in perm if i < len(rows)] + rows[22:]
    assert measure(program, shuffled) == measure(program, rows)
