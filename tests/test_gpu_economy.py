"""The GPU economy: calibration to its published sources (docs/gpu-economy.md §4), determinism,
the normal quantile, the hazard and the one-factor default correlation."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest

from peglab.math.gpu import THIRD_PARTY_H100
from peglab.sim.gpu import (
    BorrowerParams,
    IndexParams,
    breakeven_price,
    collapse_index_paths,
    default_draws,
    ex_launch_curve,
    hazard,
    norm_ppf,
    rental_index_paths,
    utilisation_paths,
    value_fraction_paths,
)

# V-GPU-1: month offsets from July 2023 and the published anchors (docs/gpu-economy.md §1, §4)
ANCHORS_2023_2025 = [(7, 2.85), (15, 2.99), (24, 2.20), (24, 2.40), (27, 1.70)]
HISTORICAL = IndexParams(p0=8.0, y0=math.log(8.0 / 2.5), start_regime=1)


def test_index__h100_2023_to_2025__anchors_inside_5_95_band() -> None:
    x = rental_index_paths(np.random.default_rng(2023), 4_000, 33, HISTORICAL)
    for month, anchor in ANCHORS_2023_2025:
        lo, hi = np.quantile(x.price[:, month], [0.05, 0.95])
        assert lo <= anchor <= hi, f"month {month}: ${anchor} outside [{lo:.2f}, {hi:.2f}]"


def test_index__mar_2026_anchor__documented_miss_just_above_band() -> None:
    """docs/gpu-economy.md §4 records this miss: $2.35 sits just above the 95% quantile."""
    x = rental_index_paths(np.random.default_rng(2023), 4_000, 33, HISTORICAL)
    hi = float(np.quantile(x.price[:, 32], 0.95))
    assert 2.2 < hi < 2.35


def test_breakeven__h100_deal__near_published_1_65() -> None:
    service = 22_500 * 0.0347  # $30k H100 at a 75% advance, 36-month annuity at 15%: 3.47%/month
    assert abs(breakeven_price(service, 0.85, BorrowerParams().opex_per_gpu_hour) - 1.65) <= 0.25


def test_index__same_seed__bit_identical() -> None:
    a = rental_index_paths(np.random.default_rng(5), 50, 24)
    b = rental_index_paths(np.random.default_rng(5), 50, 24)
    assert np.array_equal(a.price, b.price) and np.array_equal(a.launch_factor, b.launch_factor)


def test_index__launches__step_both_price_trend_and_collateral_factor() -> None:
    p = IndexParams(sigma=0.0, drift_boom=0.0, drift_bust=0.0, launch_rate=6.0)
    x = rental_index_paths(np.random.default_rng(1), 200, 12, p)
    # no noise and no drift: the price is exactly p0 times the launch factor
    assert np.allclose(x.price, 2.35 * x.launch_factor)
    steps = x.launch_factor[:, 1:] / x.launch_factor[:, :-1]
    single = steps[(steps < 1.0) & (steps > 0.69)]
    assert single.size and single.min() >= 0.70 - 1e-12 and single.max() <= 0.80 + 1e-12


def test_collapse__s2_path__falls_to_low_and_holds() -> None:
    x = collapse_index_paths(np.random.default_rng(3), 500, 36, sigma=0.0)
    assert np.allclose(x.price[:, 0], 2.35)
    low = x.price[:, 6]
    assert low.min() >= 1.50 - 1e-9 and low.max() <= 1.70 + 1e-9
    assert np.allclose(x.price[:, 18], low)  # held 12 months
    assert (x.price[:, 30] > low).all() and np.allclose(x.launch_factor[:, 3:], 0.75)


def test_utilisation__bust_regime__moves_toward_70_percent() -> None:
    regime = np.ones((2_000, 25), dtype=np.int64)
    u = utilisation_paths(np.random.default_rng(2), regime)
    assert abs(u[:, -1].mean() - 0.70) < 0.01 and u.min() >= 0.05 and u.max() <= 1.0


@pytest.mark.parametrize("q", [1e-9, 1e-4, 0.0099, 0.02425, 0.1, 0.5, 0.77, 0.97575, 0.999999])
def test_norm_ppf__against_statistics__rel_error_below_1e8(q: float) -> None:
    ref = NormalDist().inv_cdf(q)
    assert abs(float(norm_ppf(q)) - ref) <= 1e-8 * max(1.0, abs(ref))


def test_hazard__reserve_then_dscr__rises_only_after_reserve() -> None:
    b = BorrowerParams()
    dscr = np.array([1.5, 0.5, 0.5, 0.0])
    spent = np.array([True, False, True, True])
    h = hazard(dscr, spent, b)
    assert h[0] == h[1] == b.h0
    assert h[2] == pytest.approx(b.h0 * math.exp(2.0)) and h[3] == pytest.approx(
        b.h0 * math.exp(4.0)
    )


def test_default_draws__one_factor__pairwise_correlation_rho() -> None:
    x = default_draws(np.random.default_rng(9), 1, 20_000, 2, 0.6)
    c = np.corrcoef(x[0, :, 0], x[0, :, 1])[0, 1]
    assert abs(c - 0.6) < 0.03
    # marginal default probability is the hazard whatever rho
    thr = norm_ppf(0.05)
    assert abs((x < thr).mean() - 0.05) < 0.005


# V-GPU-2: (months, published range) of the third-party H100 residual curve, tolerance 2 pp
RESIDUAL_RANGES = [(12, 0.60, 0.65), (24, 0.40, 0.45), (36, 0.25, 0.35), (48, 0.15, 0.20)]


def test_value__ex_launch_curve_times_launches__median_in_published_ranges() -> None:
    x = rental_index_paths(np.random.default_rng(30), 4_000, 48)
    v = value_fraction_paths(x, ex_launch_curve())
    for month, lo, hi in RESIDUAL_RANGES:
        med = float(np.median(v[:, month]))
        assert lo - 0.02 <= med <= hi + 0.02, f"month {month}: median residual {med:.3f}"


def test_value__no_launches__follows_curve_and_zero_before_start() -> None:
    p = IndexParams(launch_rate=0.0)
    x = rental_index_paths(np.random.default_rng(1), 3, 30, p)
    v = value_fraction_paths(x, THIRD_PARTY_H100, start_month=6)
    assert (v[:, :6] == 0).all() and np.allclose(v[:, 18], 0.625)
