"""Risk measures against hand-computed cases and properties (docs/risk-spec.md §6)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from peglab.risk.measures import (
    bootstrap_ci,
    bootstrap_cis,
    distinct_rows,
    entropic_var,
    exceedances,
    expected_shortfall,
    liquidations_at_risk,
    nearest_rank,
    order_statistic_ci,
    paths_needed,
    peg_metrics,
    quantile,
    risk_summary,
    value_at_risk,
)

ONE_TO_100 = np.arange(1.0, 101.0)


def test_value_at_risk__one_to_hundred__nearest_rank() -> None:
    assert value_at_risk(ONE_TO_100, 0.95) == 95.0
    assert value_at_risk(ONE_TO_100, 0.99) == 99.0
    assert value_at_risk(ONE_TO_100[::-1], 0.5) == 50.0  # order does not matter


def test_nearest_rank__float_products__use_exact_fractions() -> None:
    # 0.07 * 100 == 7.000000000000001 in floats; the rank must still be 7
    assert nearest_rank(0.07, 100) == 7
    assert nearest_rank(0.95, 10) == 10 and nearest_rank(0.01, 10) == 1
    with pytest.raises(ValueError):
        nearest_rank(1.0, 10)


def test_expected_shortfall__hand_cases__mean_of_worst_tail() -> None:
    assert expected_shortfall(ONE_TO_100, 0.95) == pytest.approx(98.0)  # mean(96..100)
    assert expected_shortfall(ONE_TO_100, 0.975) == pytest.approx(99.0)  # 3 worst: 98, 99, 100
    assert expected_shortfall([5.0, 1.0, 3.0, 2.0], 0.5) == pytest.approx(4.0)  # mean(3, 5)
    assert expected_shortfall([0.0] * 9 + [10.0], 0.95) == 10.0


def test_entropic_var__constant__equals_constant() -> None:
    assert entropic_var(np.full(7, 3.0), 0.95) == pytest.approx(3.0, rel=1e-6)
    assert entropic_var(np.zeros(4), 0.95) == 0.0


def test_entropic_var__two_point__matches_dense_grid() -> None:
    losses = np.array([0.0] * 90 + [1.0] * 10)  # Bernoulli(0.1)
    z = np.exp(np.linspace(-8, 12, 400_001))
    grid = (np.logaddexp(math.log(0.9), math.log(0.1) + z) - math.log(0.05)) / z
    assert entropic_var(losses, 0.95) == pytest.approx(min(grid.min(), 1.0), rel=1e-6)


def test_entropic_var__normal_sample__near_closed_form() -> None:
    x = np.random.default_rng(0).standard_normal(200_000)
    assert entropic_var(x, 0.95) == pytest.approx(math.sqrt(-2 * math.log(0.05)), abs=0.02)


def test_liquidations_at_risk__quantile__nearest_rank() -> None:
    assert liquidations_at_risk([10.0, 0.0, 30.0, 20.0], 0.75) == 20.0


def test_quantile__rows__vectorised_along_last_axis() -> None:
    rows = np.array([[3.0, 1.0, 2.0], [6.0, 5.0, 4.0]])
    assert np.array_equal(quantile(rows, 0.5), [2.0, 5.0])
    assert np.allclose(expected_shortfall(rows, 0.5), [2.5, 5.5])
    assert np.allclose(entropic_var(rows, 0.5), [entropic_var(r, 0.5) for r in rows])


def test_measures__bad_input__raise_value_error() -> None:
    with pytest.raises(ValueError):
        value_at_risk([], 0.95)
    with pytest.raises(ValueError):
        expected_shortfall([1.0, float("nan")], 0.95)
    with pytest.raises(ValueError):
        entropic_var([1.0], 0.0)


losses_st = st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=60)
q_st = st.floats(0.01, 0.99)


@settings(max_examples=150, deadline=None)
@given(losses=losses_st, q=q_st)
def test_measures__any_sample__evar_ge_es_ge_var_and_evar_le_max(
    losses: list[float], q: float
) -> None:
    v = value_at_risk(losses, q)
    es = expected_shortfall(losses, q)
    ev = entropic_var(losses, q)
    tol = 1e-9 * (1 + max(abs(x) for x in losses))
    assert es >= v - tol
    assert ev >= es - 1e-6 * (1 + max(abs(x) for x in losses))
    assert ev <= max(losses) + tol


@settings(max_examples=100, deadline=None)
@given(losses=losses_st, q1=q_st, q2=q_st)
def test_measures__any_sample__monotone_in_q(losses: list[float], q1: float, q2: float) -> None:
    lo, hi = sorted((q1, q2))
    scale = 1e-6 * (1 + max(abs(x) for x in losses))
    assert value_at_risk(losses, lo) <= value_at_risk(losses, hi)
    assert expected_shortfall(losses, lo) <= expected_shortfall(losses, hi) + scale
    assert entropic_var(losses, lo) <= entropic_var(losses, hi) + scale


@settings(max_examples=60, deadline=None)
@given(losses=losses_st, c=st.floats(-1e3, 1e3), k=st.floats(0.1, 10.0))
def test_measures__shift_and_scale__translation_and_homogeneity(
    losses: list[float], c: float, k: float
) -> None:
    x = np.array(losses)
    assert value_at_risk(x + c, 0.9) == pytest.approx(value_at_risk(x, 0.9) + c, abs=1e-6)
    assert expected_shortfall(k * x, 0.9) == pytest.approx(
        k * expected_shortfall(x, 0.9), rel=1e-9, abs=1e-9
    )
    assert entropic_var(k * x, 0.9) == pytest.approx(k * entropic_var(x, 0.9), rel=1e-6, abs=1e-6)


def test_bootstrap_ci__seeded__reproducible_and_contains_point() -> None:
    x = np.random.default_rng(3).exponential(size=400)
    a = bootstrap_ci(x, lambda s: s.mean(axis=-1), seed=5)
    b = bootstrap_ci(x, lambda s: s.mean(axis=-1), seed=5)
    c = bootstrap_ci(x, lambda s: s.mean(axis=-1), seed=6)
    assert a == b and a != c
    assert a[0] < x.mean() < a[1]
    assert a[1] - a[0] == pytest.approx(2 * 1.96 * x.std() / 20, rel=0.2)


def test_bootstrap_cis__batches__same_result_as_one_batch() -> None:
    x = np.random.default_rng(1).normal(size=50)
    stats = {"var": lambda s: np.asarray(value_at_risk(s, 0.9, presorted=True))}
    small = bootstrap_cis(x, stats, n_resamples=300, seed=2, max_cells=50 * 7)
    big = bootstrap_cis(x, stats, n_resamples=300, seed=2)
    assert small == big


@pytest.mark.parametrize(
    "values",
    [np.zeros(300), np.r_[np.zeros(297), 5.0, 7.0, 1e9], np.r_[np.zeros(150), -np.zeros(150)]],
    ids=["constant", "three-values", "signed-zeros"],
)
def test_bootstrap_cis__repeated_rows__same_bits_as_every_row(
    values: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    import peglab.risk.measures as m

    stats = {
        "mean": lambda s: np.asarray(s.mean(axis=-1)),
        "evar": lambda s: np.asarray(entropic_var(s, 0.95, iterations=50)),
    }
    fast = risk_summary(values, seed=3, n_resamples=400), bootstrap_cis(values, stats, seed=3)
    monkeypatch.setattr(m, "distinct_rows", lambda sample: (sample, None))
    slow = risk_summary(values, seed=3, n_resamples=400), bootstrap_cis(values, stats, seed=3)
    assert repr(fast) == repr(slow)


def test_bootstrap_cis__one_value__interval_is_the_row_statistic() -> None:
    """A sample of one value draws nothing: every resample is the sample, so each interval is
    the statistic of that row, as the drawn resamples would give."""
    x = np.full(300, 0.3)
    stats = {
        "mean": lambda s: np.asarray(s.mean(axis=-1)),
        "evar": lambda s: np.asarray(entropic_var(s, 0.95, iterations=50)),
    }
    got = bootstrap_cis(x, stats, n_resamples=50, seed=4)
    for name, stat in stats.items():
        v = float(stat(np.tile(x, (3, 1)))[1])
        assert got[name] == (v, v)
    drawn = bootstrap_cis(np.r_[x, 0.3 + 1e-16], stats, n_resamples=50, seed=4)  # 2 values
    assert drawn["mean"] != got["mean"]


def test_distinct_rows__repeats__rows_and_positions_rebuild_sample() -> None:
    sample = np.array([[0.0, 1.0], [0.0, 2.0], [0.0, 1.0], [-0.0, 1.0], [0.0, 1.0], [0.0, 2.0]])
    rows, back = distinct_rows(sample)
    assert back is not None and rows.shape == (3, 2)
    assert np.array_equal(rows[back].view(np.int64), sample.view(np.int64))  # -0.0 kept apart
    assert distinct_rows(np.eye(3))[1] is None  # no repeats: the sample itself
    assert distinct_rows(sample[:5])[1] is None  # 3 distinct of 5: not worth it


def test_distinct_rows__key_collision__no_shortcut() -> None:
    """Rows whose bit sums collide (the same key) but differ are never merged."""
    a = np.array([1.0, 2.0]).view(np.int64)
    b = np.array([a[1], a[0]]).view(np.float64)  # same bits summed, another row
    sample = np.array([[1.0, 2.0], b, [1.0, 2.0], b])
    rows, back = distinct_rows(sample)
    assert rows is sample and back is None


def test_risk_summary__loss_column__has_tail_measures_with_cis() -> None:
    x = np.random.default_rng(4).exponential(size=1000)
    s = risk_summary(x, seed=1, n_resamples=200, conditional_on="a -80% crash in 7 days")
    assert s["n"] == 1000 and s["conditional_on"] == "a -80% crash in 7 days"
    for key in ("mean", "p50", "VaR95", "VaR99", "ES97.5", "EVaR95"):
        assert s[key]["status"] == "ok"
        lo, hi = s[key]["ci"]
        assert lo <= s[key]["value"] <= hi
    assert s["VaR99"]["ci_method"] == "order-statistic" and s["VaR99"]["exceedances"] == 10
    assert s["ES97.5"]["ci_method"] == "bootstrap"
    assert s["VaR95"]["value"] <= s["ES97.5"]["value"] <= s["EVaR95"]["value"] + 1e-9
    plain = risk_summary(x, seed=1, n_resamples=50, tail=False)
    assert "VaR99" not in plain and "p05" in plain and "conditional_on" not in plain


def test_risk_summary__sixty_paths__tail_withheld_with_paths_needed() -> None:
    x = np.random.default_rng(4).exponential(size=60)
    s = risk_summary(x, seed=1, n_resamples=50)
    needed = {"VaR95": 200, "VaR99": 1000, "ES97.5": 400, "EVaR95": 200}
    for key, n in needed.items():
        assert s[key]["status"] == "n-too-small" and s[key]["value"] is None
        assert s[key]["ci"] is None and s[key]["paths_needed"] == n
        assert f">= {n} paths" in s[key]["note"]
    assert s["VaR99"]["exceedances"] == 0 and s["VaR95"]["exceedances"] == 3
    assert s["mean"]["status"] == "ok" and s["p50"]["status"] == "ok"


def test_risk_summary__threshold__exactly_ten_exceedances_reported() -> None:
    x = np.arange(1.0, 1000.0)  # 999 paths: 9 beyond VaR99
    assert risk_summary(x, n_resamples=20)["VaR99"]["status"] == "n-too-small"
    s = risk_summary(np.arange(1.0, 1001.0), n_resamples=20)
    assert s["VaR99"]["value"] == 990.0 and s["VaR99"]["exceedances"] == 10


def test_exceedances__levels__tail_side_counts() -> None:
    assert exceedances(0.99, 1000) == 10 and exceedances(0.99, 999) == 9
    assert exceedances(0.05, 200) == 10 and exceedances(0.5, 21) == 10
    assert paths_needed(0.99) == 1000 and paths_needed(0.975) == 400 and paths_needed(0.5) == 20


def test_order_statistic_ci__known_ranks__textbook_values() -> None:
    # median of 100: the classical distribution-free 95% interval is (X_(40), X_(61))
    assert order_statistic_ci(100, 0.5) == (40, 61)
    assert order_statistic_ci(1000, 0.99) == (983, 997)
    lo, hi = order_statistic_ci(60, 0.99)  # upper bound beyond the sample: unbounded
    assert hi is None and lo is not None
    with pytest.raises(ValueError):
        order_statistic_ci(0, 0.5)


@pytest.mark.parametrize(("n", "q"), [(200, 0.95), (1000, 0.99), (50, 0.5)])
def test_order_statistic_ci__simulated__covers_at_least_nominal(n: int, q: float) -> None:
    rng = np.random.default_rng(11)
    lo, hi = order_statistic_ci(n, q)
    assert lo is not None and hi is not None
    true_q = -math.log(1.0 - q)  # exponential(1) quantile
    srt = np.sort(rng.exponential(size=(2000, n)), axis=1)
    covered = (srt[:, lo - 1] <= true_q) & (true_q < srt[:, hi - 1])
    assert covered.mean() >= 0.94  # nominal 0.95, discrete so conservative; MC error ~0.005


def test_order_statistic_ci__canary__rank_shifted_interval_misses() -> None:
    # the coverage check above can fail: an interval two standard errors too high does
    rng = np.random.default_rng(11)
    lo, hi = order_statistic_ci(1000, 0.99)
    assert lo is not None and hi is not None
    true_q = -math.log(0.01)
    srt = np.sort(rng.exponential(size=(2000, 1000)), axis=1)
    shift = 6
    covered = (srt[:, lo - 1 + shift] <= true_q) & (true_q < srt[:, min(999, hi - 1 + shift)])
    assert covered.mean() < 0.94


def test_peg_metrics__hand_series__thresholds_area_and_recovery() -> None:
    p = [1.0, 1.0, 0.99, 0.97, 0.98, 0.996, 1.0, 0.99]
    m = peg_metrics(p, 3600)
    assert m["min_price"] == 0.97 and m["max_dev"] == pytest.approx(0.03)
    assert m["below_0.99"] == 2 / 8 and m["below_0.98"] == 1 / 8 and m["below_0.95"] == 0.0
    assert m["dev_area_h"] == pytest.approx(0.01 + 0.03 + 0.02 + 0.004)
    # excursion outside 50 bps: samples 2..4 (0.99, 0.97, 0.98), back inside at 5 -> 3 hours
    assert m["time_to_recover_s"] == 3 * 3600 and m["recovered"] == 1.0


def test_peg_metrics__never_recovers__censored_at_horizon() -> None:
    m = peg_metrics([1.0, 0.9, 0.8, 0.85], 300)
    assert m["recovered"] == 0.0 and m["time_to_recover_s"] == 2 * 300
    calm = peg_metrics([1.0, 1.001, 0.999], 300)
    assert calm["time_to_recover_s"] == 0.0 and calm["recovered"] == 1.0


def test_aggregate__stress_run__every_column_conditional_on_the_scenario(tmp_path: Path) -> None:
    # docs/validation.md §1: the run's numbers hold given its scenario; aggregate says which
    from peglab.risk.library import load_scenario
    from peglab.risk.montecarlo import conditional_on, run_monte_carlo
    from peglab.risk.report import render_report
    from peglab.sim.runner import float_path

    sc = load_scenario("flash-crash")
    s = run_monte_carlo(
        sc, float_path, paths=4, seed=3, out_dir=tmp_path, progress=False, n_resamples=50
    )
    cond = conditional_on(sc)
    assert sc.name in cond and sc.description and sc.description in cond
    assert s["conditional_on"] == cond
    columns = [m for m in s["metrics"].values() if m.get("n")]
    assert columns and all(m["conditional_on"] == cond for m in columns)
    # four paths: the tail is withheld, and the report says so instead of printing a number
    bad = s["metrics"]["bad_debt_usd"]
    assert bad["VaR99"]["value"] is None and bad["VaR99"]["paths_needed"] == 1000
    page = render_report(tmp_path).read_text(encoding="utf-8")
    assert f"Conditional on: {cond}" in page.replace("&#x27;", "'")
    assert "n too small: 4 paths leave 0 beyond this level" in page


def _evar_reference(losses: np.ndarray, q: float, iterations: int = 80) -> np.ndarray:
    """The entropic VaR as it was computed before the in-place objective (2026-12-04): the
    log-sum-exp shifted by a fresh ``max(z b)``; the library must give these bits."""
    arr = np.asarray(losses, dtype=np.float64)
    log_tail = math.log(1.0 - q)
    scale = np.abs(arr).max(axis=-1, keepdims=True)
    b = arr / np.where(scale > 0, scale, 1.0)

    def f(log_z: np.ndarray) -> np.ndarray:
        z = np.exp(log_z)[..., None]
        zb = z * b
        m = zb.max(axis=-1, keepdims=True)
        lse = m[..., 0] + np.log(np.exp(zb - m).sum(axis=-1))
        return np.asarray((lse - math.log(b.shape[-1]) - log_tail) / z[..., 0])

    phi = (math.sqrt(5.0) - 1.0) / 2.0
    a_, d_ = np.full(b.shape[:-1], -12.0), np.full(b.shape[:-1], 25.0)
    c1, c2 = d_ - phi * (d_ - a_), a_ + phi * (d_ - a_)
    f1, f2 = f(c1), f(c2)
    for _ in range(iterations):
        left = f1 < f2
        d_ = np.where(left, c2, d_)
        a_ = np.where(left, a_, c1)
        n1 = np.where(left, d_ - phi * (d_ - a_), c2)
        n2 = np.where(left, c1, a_ + phi * (d_ - a_))
        nf = f(np.where(left, n1, n2))
        f1, f2 = np.where(left, nf, f2), np.where(left, f1, nf)
        c1, c2 = n1, n2
    return np.asarray(np.minimum(np.minimum(f1, f2), b.max(axis=-1)) * scale[..., 0])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-1e6, 1e6, allow_subnormal=False), min_size=1, max_size=40),
    st.integers(1, 4),
    st.sampled_from([0.5, 0.9, 0.95, 0.99]),
)
def test_entropic_var__in_place_objective__same_bits_as_reference(
    values: list[float], rows: int, q: float
) -> None:
    x = np.asarray(values)
    batch = np.stack([np.roll(x, r) * (r + 1) for r in range(rows)])  # rows of other scales
    assert np.array_equal(entropic_var(batch, q), _evar_reference(batch, q))
    assert entropic_var(x, q) == float(_evar_reference(x, q))


def test_entropic_var__row_blocks__same_bits_as_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    """The objective's passes in blocks of rows (two rows and a remainder here) give the bits
    of the whole batch at once."""
    import peglab.risk.measures as m

    x = np.sort(np.random.default_rng(8).pareto(2.0, size=(5, 300)) * 1e4, axis=-1)
    monkeypatch.setattr(m, "EVAR_BLOCK_CELLS", 2 * 300 + 1)
    assert np.array_equal(entropic_var(x, 0.95), _evar_reference(x, 0.95))
    assert entropic_var(x[0], 0.95) == float(_evar_reference(x[0], 0.95))


def test_evar_bits__canary__float32_exponentials_are_seen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The bit-for-bit check can fail: the objective with its exponentials rounded through
    float32 (a relative change near 1e-7) gives other bits on an ordinary sample. (Rearranging
    the shift as ``exp(z (b - top))`` did not: the golden section's answer absorbed it.)"""
    import peglab.risk.measures as m

    def rearranged(b, top, log_z, log_tail, buf):  # type: ignore[no-untyped-def]
        z = np.exp(log_z)
        e = np.exp((z[..., None] * b - (z * top)[..., None]).astype(np.float32))
        lse = z * top + np.log(e.astype(np.float64).sum(axis=-1))
        return (lse - math.log(b.shape[-1]) - log_tail) / z

    x = np.random.default_rng(5).normal(size=(3, 500)) * 1e3
    assert np.array_equal(entropic_var(x, 0.95), _evar_reference(x, 0.95))
    monkeypatch.setattr(m, "_evar_objective", rearranged)
    assert not np.array_equal(entropic_var(x, 0.95), _evar_reference(x, 0.95))
