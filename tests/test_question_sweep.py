"""The question set's own thresholds swept (peglab.risk.question_sweep, docs/questions.md §2a):
peg line and yes/no cut-offs re-evaluated on outcomes already computed, robust or flipping."""

from __future__ import annotations

import numpy as np
import pytest

from peglab.risk.question_set import (
    NO_AT,
    PEG_LINE,
    QUESTIONS,
    YES_AT,
    answer_word,
    wilson_interval,
)
from peglab.risk.question_sweep import (
    NO_CUTS,
    PEG_LINES,
    YES_CUTS,
    sweep_outcomes,
    sweep_terra,
)

CRASH = next(q for q in QUESTIONS if q.key == "ai-token-crash")
CREDIT = next(q for q in QUESTIONS if q.key == "default-wave")
COLS = ["peg_min", "bad_debt_final_usd"]


def _crash(peg_min: list[float], bad_debt: list[float] | None = None) -> np.ndarray:
    debt = bad_debt if bad_debt is not None else [0.0] * len(peg_min)
    return np.column_stack([np.array(peg_min), np.array(debt)])


def test_sweep__grid__our_choices_inside_it() -> None:
    assert PEG_LINE in PEG_LINES and YES_AT in YES_CUTS and NO_AT in NO_CUTS
    assert PEG_LINES == (0.97, 0.98, 0.99, 0.995, 0.999)
    assert YES_CUTS == (0.90, 0.95, 0.99) and NO_CUTS == (0.25, 0.5, 0.75)


def test_sweep__every_path_far_above_every_line__robust_yes() -> None:
    s = sweep_outcomes(CRASH, COLS, _crash([1.0] * 1000))
    assert s.base == "yes" and s.robust and s.settings == 45
    assert s.verdict() == "robust: yes at all 45 settings"
    assert all(r.held == 1000 for r in s.rows)


def test_sweep__lowest_prices_between_lines__answer_flips_at_the_high_line() -> None:
    # the canary: 200 of 1,000 paths bottom at 0.995; held at every line up to 0.995, not at 0.999
    s = sweep_outcomes(CRASH, COLS, _crash([0.995] * 200 + [0.9995] * 800))
    assert s.base == "yes" and not s.robust
    by_line = {r.line: r for r in s.rows}
    assert by_line[0.995].held == 1000 and by_line[0.999].held == 800
    flips = s.flips()
    assert len(flips) == 9 and {f[0] for f in flips} == {0.999}
    assert {f[2] for f in flips} == {"partly"}
    assert s.verdict() == "flips at 9 of 45 settings: peg line 0.999: partly"
    assert s.as_dict()["robust"] is False


def test_sweep__200_paths_all_held__flips_at_the_99pct_cut_off() -> None:
    # 200 of 200 has a Wilson lower bound of 98.1%: yes at 95%, partly at 99%, at every line
    s = sweep_outcomes(CRASH, COLS, _crash([1.0] * 200))
    assert s.base == "yes"
    flips = s.flips()
    assert len(flips) == 15 and {f[1][0] for f in flips if f[1]} == {0.99}
    assert s.verdict() == "flips at 15 of 45 settings: yes cut-off 99% at every peg line: partly"


def test_sweep__half_held__no_cut_off_moves_the_word() -> None:
    s = sweep_outcomes(CRASH, COLS, _crash([0.98] * 600 + [1.0] * 400))
    row = next(r for r in s.rows if r.line == PEG_LINE)
    assert row.held == 400  # below 0.99 on 600 paths
    words = dict(zip(s.cuts, row.words, strict=True))
    assert words[(0.95, 0.5)] == "no" and words[(0.95, 0.25)] == "partly"
    low = next(r for r in s.rows if r.line == 0.97)
    assert low.held == 1000 and set(low.words) == {"yes"}
    assert not s.robust and "peg line 0.97: yes" in s.verdict()


def test_sweep__200_paths_four_below_0999__flips_at_99pct_and_at_0999_with_95pct() -> None:
    # contagion's shape: 4 of 200 paths bottom between 0.995 and 0.999
    s = sweep_outcomes(CRASH, COLS, _crash([0.998] * 4 + [1.0] * 196))
    assert s.verdict() == ("flips at 18 of 45 settings: yes cut-off 99% at every peg line: "
                           "partly; peg line 0.999, yes cut-off 95%: partly")  # fmt: skip


def test_sweep__no_cut_off_matters__each_setting_named() -> None:
    s = sweep_outcomes(CRASH, COLS, _crash([0.98] * 600 + [1.0] * 400))
    assert s.base == "no" and "peg line 0.99, yes 90% / no 25%: partly" in s.verdict()


def test_sweep__bad_debt_condition__keeps_its_threshold_at_every_line() -> None:
    s = sweep_outcomes(CRASH, COLS, _crash([1.0] * 10, [0.0] * 9 + [5.0]))
    assert [r.held for r in s.rows] == [9] * 5


def test_sweep__credit_question__every_peg_column_moves_backing_does_not() -> None:
    cols = ["aid_price_min", "usdai_price_min", "aid_fully_backed", "usdai_fully_backed"]
    data = np.array([[0.9985, 0.9995, 1.0, 1.0], [0.9995, 0.996, 1.0, 1.0],
                     [1.0, 1.0, 0.0, 1.0]])  # fmt: skip
    s = sweep_outcomes(CREDIT, cols, data)
    assert {r.line: r.held for r in s.rows} == {0.97: 2, 0.98: 2, 0.99: 2, 0.995: 2, 0.999: 0}


def test_sweep__word_at_each_cut__is_answer_word_of_the_wilson_interval() -> None:
    s = sweep_outcomes(CRASH, COLS, _crash(list(np.linspace(0.975, 1.0, 300))))
    for r in s.rows:
        ci = wilson_interval(r.held, r.n)
        assert r.ci == ci
        assert list(r.words) == [answer_word(ci, y, n) for y, n in s.cuts]


def test_answer_word__custom_cut_offs() -> None:
    assert answer_word((0.91, 1.0), yes_at=0.9) == "yes"
    assert answer_word((0.91, 1.0)) == "partly"
    assert answer_word((0.1, 0.7), no_at=0.75) == "no"


@pytest.mark.parametrize(("low", "backed", "flips"), [(0.9892, True, 1), (0.999, True, 0),
                                                       (0.5, True, 0), (1.0, False, 0)])  # fmt: skip
def test_sweep_terra__line_swept__flips_only_where_the_lowest_price_is(
    low: float, backed: bool, flips: int
) -> None:
    s = sweep_terra(low, backed)
    assert len(s.flips()) == flips and s.settings == 5
    if low == 0.9892:
        assert s.base == "no" and s.verdict() == "flips at 1 of 5 settings: line 0.99: spiral"
    if not backed:
        assert s.verdict() == "robust: spiral at all 5 settings"
