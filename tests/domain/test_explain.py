"""Explanations (spec §7): every number of a row has a step, with its numbers filled in."""

from __future__ import annotations

import json
import re

import pytest

from tests.domain.example_loader import (
    example_inputs,
    example_measures,
    example_program,
    example_villages,
)
from vledger.domain.explain import explain_village, marks_line, render
from vledger.domain.ranking import RankingSheet, rank_sheet


def sheet(period: str) -> RankingSheet:
    return rank_sheet(
        example_program(), example_villages(), example_measures(), example_inputs(), period
    )


def lines(period: str, village: str, lang: str) -> list[str]:
    return render(explain_village(sheet(period), village), lang)


def test_q1_v03_in_chinese_reads_like_the_assessor_s_sheet() -> None:
    text = lines("Q1", "v03", "zh")
    # publicity: 4 rows; annual 8 by 4:3:3 → 3.2 → 3; 20 × min(4, 3)/3 + 1 × 1 = 21
    assert "宣传活动（第一阶段）：4次，台账行 v03-2、v03-3、v03-4、v03-5" in text
    assert (
        "宣传活动目标：年度任务 8，按 4:3:3 分解 → 第一阶段 3（8×4/10 = 3.2，取整 3，余数分配 +0）"
        in text
    )
    assert "宣传活动（按完成比例计分）：20 × min(4, 3) / 3 + 1 × 1（超过目标） = 21" in text
    # fix_rate: no rows → 100%; 25 + 0.5 × 20 = 35 → max 30
    assert "隐患整改率（第一阶段）：分母为 0 行，按 100% 计" in text
    assert "隐患整改率：35 超过上限 30 → 30" in text
    assert "应急预案：未完成（0 < 目标 1）" in text
    assert "全面完成：否（应急预案未完成）" in text
    assert "排名：第 1 名（共 4 个村），倒数第 4" in text
    assert "应急演练单项奖罚：200 × 2 − 100 × 0 = 400 元" in text
    assert "兑现：奖励 0 − 处罚 0 + 单项奖罚 400 = 400 元" in text


def test_q1_v01_in_english_shows_rate_rounding_and_adjustment() -> None:
    text = lines("Q1", "v01", "en")
    # 2 of 3 排查 rows fixed: 66.67%; 25 − 1 × (80 − 66.67) = 11.6667 → 11.67
    assert any(t.startswith("隐患整改率 (Q1): 100 × 2 / 3 = ≈66.67%") for t in text)
    assert "隐患整改率: ≈11.6667 rounded half up to 2 places → 11.67" in text
    assert "县级表彰: 1 × 5 = 5" in text
    assert "total: items 83.67 + adjustments 5.00 = 88.67" in text
    assert "rank 2 of 4, 3 from the bottom" in text


def test_year_v04_shows_veto_warning_rank_bonus_and_penalty() -> None:
    text = lines("year", "v04", "zh")
    assert "台账行 v04-20 日期 2027-01-02 不在 2026 年内，不计入任何阶段" in text
    assert "一票否决：重大事故 1起 > 0 → 否决" in text
    assert "第三阶段排名第 2 → 加 2 分" in text
    assert "总分：各项得分 72.50 + 加扣分 0.00 + 阶段排名加分 2.00 = 74.50" in text
    assert "处罚：倒数第 1 名罚 1000 元" in text
    assert "南片：v03、v04 未全面完成 → 罚 5000 元" in text


def test_english_says_rules_in_plain_words_without_zero_terms() -> None:
    text = lines("Q1", "v03", "en")
    assert ("宣传活动 (in proportion to the target): 20 points × min(4, 3) / 3 + 1 for each of "
            "1 above the target = 21") in text
    every = [line for period in ("Q1", "Q2", "Q3", "year") for village in ("v01", "v02", "v03")
             for line in lines(period, village, "en")]
    assert not any("proportional" in line or "linear" in line for line in every)
    # a bonus or penalty term that adds nothing ("+ 0.5 × 0") is left out
    assert not any(re.search(r"[+−] [\d.]+ × 0\b|[+−] 0 ×", line) for line in every)


def test_counted_rows_are_named_by_their_date_and_cells() -> None:
    steps = explain_village(sheet("Q1"), "v03")
    labels = {f"v03-{i}": f"2026-01-0{i} 宣传活动" for i in range(1, 10)}
    text = render(steps, "zh", labels)
    assert "宣传活动（第一阶段）：4次，台账行 2026-01-02 宣传活动、2026-01-03 宣传活动、" \
           "2026-01-04 宣传活动、2026-01-05 宣传活动" in text
    assert not any("v03-2" in line for line in text)


def test_the_marks_column_is_explained() -> None:
    year = sheet("year")
    assert "一票否决项大于 0" in marks_line(year.row("v04")).text("zh")
    q1 = sheet("Q1")
    said = {r.village: marks_line(r).text("en") for r in q1.rows}
    assert said["v03"].startswith("the marks column is empty: not complete")
    assert any("\"complete\"" in line for line in said.values()) or all(
        not r.complete for r in q1.rows)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("period", ["Q1", "Q2", "Q3", "year"])
def test_every_village_renders_one_line_per_step(period: str, lang: str) -> None:
    s = sheet(period)
    for row in s.rows:
        steps = explain_village(s, row.village)
        text = render(steps, lang)
        assert len(text) == len(steps) and all(t.strip() for t in text)
        # every scored item has its rule line, and the total line ends with the row's total
        assert sum(1 for st in steps if st.kind == "rule") == len(row.items)
        total_step = next(st for st in steps if st.kind == "total")
        assert total_step.params["total"] == row.total
        json.dumps([st.to_plain() for st in steps], ensure_ascii=False)


def test_unknown_village_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        explain_village(sheet("Q1"), "v99")
