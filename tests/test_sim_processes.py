"""Price processes and the liquidity model: exact pins, moments, reproducibility (docs/risk-spec.md §3, §5)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from peglab.sim.liquidity import (
    calibrate_eta,
    d10_from_depth,
    depth_path,
    exit_bid,
    exit_proceeds,
    gas_multiplier,
    running_drawdown,
)
from peglab.sim.processes import (
    YEAR_S,
    Diffusion,
    anchor_path,
    anchor_paths,
    apply_price_shocks,
    bridge_path,
    bridge_paths,
    cholesky_equicorrelation,
    gbm_path,
    gbm_paths,
    markov_regimes,
    merton_jumps,
    ou_paths,
    rng_from,
)

AI = Diffusion(sigma=1.2, jump_rate=12.0, jump_mean=-0.12, jump_std=0.08)


def test_gbm_paths__same_seed__identical_and_shaped() -> None:
    a = gbm_paths([1.0, 2.0, 3.0], AI, 3600, 48, rng_from(7), n_paths=5)
    b = gbm_paths([1.0, 2.0, 3.0], AI, 3600, 48, rng_from(7), n_paths=5)
    assert a.shape == (5, 49, 3) and a.dtype == np.float64
    assert np.array_equal(a, b)
    assert np.array_equal(a[:, 0], np.broadcast_to([1.0, 2.0, 3.0], (5, 3)))


def test_gbm_paths__different_seeds__differ() -> None:
    a = gbm_paths([1.0], AI, 3600, 48, rng_from(1))
    b = gbm_paths([1.0], AI, 3600, 48, rng_from(2))
    assert not np.array_equal(a, b)


def test_gbm_path__single__equals_vectorised_with_one_path() -> None:
    one = gbm_path([1.0, 5.0], AI, 300, 100, rng_from(np.random.SeedSequence(3)))
    many = gbm_paths([1.0, 5.0], AI, 300, 100, rng_from(np.random.SeedSequence(3)), n_paths=1)
    assert one.shape == (101, 2)
    assert np.array_equal(one, many[0])


def test_gbm_paths__log_return_moments__match_formula() -> None:
    d = Diffusion(sigma=0.8, mu=0.1, corr_normal=0.0)
    t_years = 24 * 30 * 3600 / YEAR_S
    p = gbm_paths([1.0], d, 3600, 24 * 30, rng_from(11), n_paths=20_000)
    lr = np.log(p[:, -1, 0])
    se_mean = 0.8 * math.sqrt(t_years) / math.sqrt(20_000)
    assert abs(lr.mean() - (0.1 - 0.32) * t_years) < 5 * se_mean
    assert abs(lr.var() / (0.64 * t_years) - 1.0) < 0.05


def test_gbm_paths__regime_correlation__matches_normal_and_stressed() -> None:
    normal = Diffusion(sigma=1.0, corr_normal=0.6, corr_stressed=0.85)
    stressed = Diffusion(sigma=1.0, corr_normal=0.6, corr_stressed=0.85, initial_regime=1)
    for diff, rho in ((normal, 0.6), (stressed, 0.85)):
        p = gbm_paths([1.0, 1.0, 1.0], diff, 3600, 200, rng_from(5), n_paths=100)
        inc = np.diff(np.log(p), axis=1).reshape(-1, 3)
        c = np.corrcoef(inc.T)
        assert abs(c[0, 1] - rho) < 0.02 and abs(c[1, 2] - rho) < 0.02


def test_markov_regimes__rates__switch_with_stationary_share() -> None:
    reg = markov_regimes(200, 2000, 1 / 365, 20.0, 60.0, rng_from(3))
    share = reg.mean()
    assert abs(share - 20.0 / 80.0) < 0.03  # stationary share of the stressed regime
    assert markov_regimes(2, 10, 0.01, 0.0, 0.0, rng_from(1), initial=1).all()


def test_merton_jumps__mean__is_rate_dt_times_jump_mean() -> None:
    j = merton_jumps(4000, 100, 1, 1 / 365, 12.0, -0.12, 0.08, rng_from(9))
    expected = 12.0 / 365 * -0.12
    assert abs(j.mean() - expected) < 0.1 * abs(expected)
    assert not merton_jumps(2, 3, 1, 0.1, 0.0, -0.1, 0.1, rng_from(1)).any()


def test_cholesky_equicorrelation__factor__reproduces_matrix() -> None:
    lower = cholesky_equicorrelation(4, 0.85)
    corr = lower @ lower.T
    assert np.allclose(np.diag(corr), 1.0) and np.allclose(corr[0, 3], 0.85)
    with pytest.raises(ValueError):
        cholesky_equicorrelation(3, -0.9)


def _bridge_loop(x0: float, x_t: float, sigma: float, dt: float, z: np.ndarray) -> np.ndarray:
    """Straightforward transcription of docs/risk-spec.md §3.4 (the reference for the vectorised form)."""
    n = len(z)
    x = [x0]
    for k in range(n):
        rem = n - k
        x.append(
            x[-1] + (x_t - x[-1]) / rem + sigma * math.sqrt(dt) * math.sqrt((rem - 1) / rem) * z[k]
        )
    return np.array(x)


def test_bridge_path__vectorised__equals_gauntlet_recursion_and_pins_target() -> None:
    d = Diffusion(sigma=1.2, corr_normal=0.0)
    n = 96
    path = bridge_path([4.0], 0.35, 0, n, d, 900, n, rng_from(21))
    z = rng_from(21).standard_normal((1, n, 1))[0, :, 0]
    ref = _bridge_loop(math.log(4.0), math.log(4.0 * 0.65), 1.2, 900 / YEAR_S, z)
    assert np.allclose(np.log(path[:, 0]), ref, rtol=0, atol=1e-12)
    assert path[-1, 0] == pytest.approx(2.6, rel=1e-12)


def test_bridge_paths__with_jumps_and_window__hits_drawdown_relative_to_start() -> None:
    p = bridge_paths([1.0, 2.0], [0.5, 0.8], 10, 34, AI, 300, 60, rng_from(4), n_paths=50)
    ratio = p[:, 34] / p[:, 10]
    assert np.allclose(ratio, [0.5, 0.2], rtol=1e-10)
    assert not np.allclose(p[:, 60], p[:, 34])  # free GBM continues after the pin


def test_bridge_paths__midpoint_variance__is_bridge_variance() -> None:
    d = Diffusion(sigma=1.0, corr_normal=0.0)
    n, dt = 100, 3600 / YEAR_S
    p = bridge_paths([1.0], 0.5, 0, n, d, 3600, n, rng_from(8), n_paths=20_000)
    var_mid = np.log(p[:, 50, 0]).var()
    assert abs(var_mid / (dt * 50 * 50 / n) - 1.0) < 0.05


def test_anchor_paths__anchors__are_hit_with_severity_and_compression() -> None:
    days = [7 * 86400, 26 * 86400]
    p = anchor_paths([5.0], days, [0.7, 0.33], AI, 3600, 30 * 24, rng_from(2), n_paths=3)
    assert np.allclose(p[:, 7 * 24, 0], 3.5) and np.allclose(p[:, 26 * 24, 0], 1.65)
    sev = anchor_path([5.0], days, [0.7, 0.33], AI, 3600, 30 * 24, rng_from(2), severity=0.5)
    assert sev[26 * 24, 0] == pytest.approx(5.0 * math.sqrt(0.33))
    fast = anchor_path([5.0], days, [0.7, 0.33], AI, 3600, 30 * 24, rng_from(2), compression=2.0)
    assert fast[13 * 24, 0] == pytest.approx(1.65)
    with pytest.raises(ValueError):
        anchor_path([5.0], [3600, 1800], [0.9, 0.8], AI, 3600, 10, rng_from(1))


def test_ou_paths__no_depeg__mean_reverts_with_stationary_variance() -> None:
    half_life = 86400.0
    p = ou_paths([0.9], half_life, 0.2, 3600, 24 * 20, rng_from(12), n_paths=4000)
    theta = math.log(2) / (half_life / YEAR_S)
    after_day = p[:, 24, 0] - 1.0
    assert abs(after_day.mean() - (-0.1 * 0.5)) < 0.002  # one half-life halves the gap
    stat_var = 0.04 / (2 * theta)
    assert abs(p[:, -1, 0].var() / stat_var - 1.0) < 0.08


def test_ou_path__depeg__jumps_to_level_and_recovers_at_depeg_half_life() -> None:
    dt, hl_d, hl_n = 3600, 3 * 86400, 86400
    p = ou_paths(
        [1.0],
        hl_n,
        0.0,
        dt,
        2000,
        rng_from(1),
        1,
        depeg_rate=20.0,
        depeg_level=0.8774,
        depeg_half_life_s=hl_d,
    )[0, :, 0]
    assert p.min() == pytest.approx(0.8774)
    a_d, a_n = 0.5 ** (dt / hl_d), 0.5 ** (dt / hl_n)
    depegged = False
    for k in range(len(p) - 1):
        gap, nxt = p[k] - 1.0, p[k + 1] - 1.0
        if p[k + 1] == 0.8774:
            depegged = True
            continue
        assert nxt == pytest.approx(gap * (a_d if depegged else a_n), abs=1e-15)
        depegged = depegged and abs(nxt) > 0.005
    assert np.all(p >= 0)


def test_apply_price_shocks__scheduled__multiplies_from_step_on() -> None:
    base = np.ones((5, 2))
    out = apply_price_shocks(base, [(2, 1, -0.5)])
    assert out[:, 0].tolist() == [1] * 5 and out[:, 1].tolist() == [1, 1, 0.5, 0.5, 0.5]
    assert base[4, 1] == 1.0
    with pytest.raises(ValueError):
        apply_price_shocks(base, [(0, 0, -1.0)])


def test_exit_bid__sale_of_d10__costs_ten_percent() -> None:
    assert exit_bid(1_000.0, 2.0, 2_000.0) == pytest.approx(1.8)
    eta = calibrate_eta(d10_usd=1e6, depth_usd=4e6)
    assert eta == pytest.approx(0.2)
    assert exit_bid(1e6, 1.0, 4e6, eta=eta) == pytest.approx(0.9)
    assert d10_from_depth(4e6, eta=eta) == pytest.approx(1e6)
    assert exit_bid(0.0, 3.0, 1.0) == pytest.approx(3.0)
    assert exit_bid(1e9, 1.0, 1.0) == 0.0
    assert exit_bid(1.0, 1.0, 0.0) == 0.0


@settings(max_examples=100, deadline=None)
@given(
    q1=st.floats(0, 1e7),
    q2=st.floats(0, 1e7),
    p=st.floats(1e-3, 1e3),
    v=st.floats(1.0, 1e8),
    delta=st.floats(0.2, 1.0),
)
def test_exit_bid__any_sizes__bounded_and_decreasing(
    q1: float, q2: float, p: float, v: float, delta: float
) -> None:
    lo, hi = sorted((q1, q2))
    b_lo, b_hi = float(exit_bid(lo, p, v, delta=delta)), float(exit_bid(hi, p, v, delta=delta))
    assert 0.0 <= b_hi <= b_lo <= p
    assert float(exit_proceeds(hi, p, v, delta=delta)) >= 0.0


def test_depth_path__drawdown__thins_depth_and_gas_spikes() -> None:
    prices = np.array([[1.0], [1.2], [0.6], [0.9]])
    dd = running_drawdown(prices)
    assert np.allclose(dd[:, 0], [0, 0, 0.5, 0.25])
    v = depth_path(1e6, prices, kappa=2.0, multiplier=np.array([[1], [1], [1], [0.5]]))
    assert v[2, 0] == pytest.approx(1e6 * math.exp(-1.0))
    assert v[3, 0] == pytest.approx(0.5e6 * math.exp(-0.5))
    g = gas_multiplier(dd, spike=6.0, full_at=0.4)
    assert g[0, 0] == 1.0 and g[2, 0] == 6.0


def test_gbm_paths__jump_common__shares_jumps_by_the_stated_fraction() -> None:
    # no diffusion: every log increment is a jump sum; with jump_common = c, two assets' jump
    # counts share a Poisson(c lambda dt) part, so their increments correlate by about c
    # (same size law for sector and idiosyncratic jumps, small lambda dt)
    for share in (0.0, 0.6, 1.0):
        d = Diffusion(sigma=0.0, jump_rate=200.0, jump_mean=-0.1, jump_std=0.0, jump_common=share)
        p = gbm_paths([1.0, 1.0], d, 3600, 500, rng_from(12), n_paths=40)
        inc = np.diff(np.log(p), axis=1).reshape(-1, 2)
        assert abs(np.corrcoef(inc.T)[0, 1] - share) < 0.05
        rate = (inc != 0).mean(axis=0) * YEAR_S / 3600  # each asset's jump law is unchanged
        assert np.all(np.abs(rate / 200.0 - 1.0) < 0.1)


def test_gbm_paths__compensated_jumps__price_is_a_martingale() -> None:
    # stated before running: |mean(S_T/S_0) - 1| < 4 standard errors with compensation, and the
    # uncompensated process loses lambda (E[e^J] - 1) T = -2.5% over a week (the canary)
    base = Diffusion(sigma=1.2, jump_rate=12.0, jump_mean=-0.12, jump_std=0.08)
    comp = Diffusion(sigma=1.2, jump_rate=12.0, jump_mean=-0.12, jump_std=0.08, compensate=True)
    assert comp.jump_compensator() == pytest.approx(12.0 * math.expm1(-0.12 + 0.0032))
    n, steps = 20_000, 168
    ratio = gbm_paths([1.0], comp, 3600, steps, rng_from(31), n_paths=n)[:, -1, 0]
    se = ratio.std() / math.sqrt(n)
    assert abs(ratio.mean() - 1.0) < 4 * se
    raw = gbm_paths([1.0], base, 3600, steps, rng_from(31), n_paths=n)[:, -1, 0]
    expected = math.exp(base.jump_rate * math.expm1(-0.12 + 0.0032) * steps * 3600 / YEAR_S)
    assert abs(raw.mean() - expected) < 4 * se and raw.mean() < 1.0 - 8 * se
