"""The GPU economy: rental-price index, utilisation, operating cost, DSCR, correlated defaults (float64).

Shared by both GPU-credit families (Gaib deals, USD.AI loans); the model and its calibration are
in docs/gpu-economy.md. Monthly steps (``dt = 1/12`` year); every function draws from a caller's
``numpy.random.Generator`` so a path is reproducible alone.

Rental price index (H100-equivalent $/GPU-hour), docs/gpu-economy.md §1::

    ln p_t = m_t + y_t
    y_{t+dt} = y_t e^{-theta dt} + sigma sqrt((1 - e^{-2 theta dt}) / (2 theta)) eps      (OU, half-life 6 months)
    m_{t+dt} = m_t + mu[r_t] dt + sum_{launches in (t, t+dt]} ln(1 - s_j)                 (s_j ~ U(20%, 30%))
    r_t in {boom: +20%/yr, bust (oversupply): -35%/yr}, Markov, mean regime length 12 months
    launches ~ Poisson(1 / yr)

A generation's price is its performance ratio times the index. Utilisation follows its regime's
target (85% boom, 70% bust) with AR(1) noise. A borrower's month: revenue = gpus * p * u * 730,
opex = gpus * opex_per_gpu_hour * 730, DSCR = (revenue - opex) / debt service. Default, one
common factor per month (docs/gpu-economy.md §3)::

    h    = h0 * exp(beta * max(0, 1 - DSCR))   once the deal's reserve is spent, else h0
    default_k  <=>  sqrt(rho) Z_t + sqrt(1 - rho) eps_{k,t} < Phi^{-1}(h_k)

Collateral value ``V0 * residual(age) * launch_factor(t)``, where ``launch_factor`` is the product
of ``1 - s_j`` over the path's next-generation launches since origination (the same launches that
step the rental index down), and the residual curve is supplied by the caller.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from ..math.gpu import MONTH, THIRD_PARTY_H100, ResidualCurve, residual_wad

__all__ = [
    "BorrowerParams",
    "GpuGeneration",
    "IndexParams",
    "IndexPaths",
    "UtilisationParams",
    "breakeven_price",
    "collapse_index_paths",
    "default_draws",
    "ex_launch_curve",
    "hazard",
    "norm_ppf",
    "rental_index_paths",
    "utilisation_paths",
    "value_fraction_paths",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
DT = 1.0 / 12.0
HOURS_PER_MONTH = 730.0


@dataclass(frozen=True, slots=True)
class IndexParams:
    """The rental-price index. Defaults: docs/gpu-economy.md §1."""

    p0: float = 2.35  # $/GPU-hour, Mar 2026 anchor
    y0: float = 0.0  # initial log deviation from the trend (a scarcity premium when > 0)
    half_life_yr: float = 0.5
    sigma: float = 0.25
    drift_boom: float = 0.20
    drift_bust: float = -0.35
    regime_len_yr: float = 1.0
    start_regime: int = 0  # 0 boom, 1 bust (oversupply)
    launch_rate: float = 1.0  # next-generation launches per year
    step_lo: float = 0.20
    step_hi: float = 0.30


@dataclass(frozen=True, slots=True)
class UtilisationParams:
    """Utilisation targets per regime and its AR(1) dynamics (docs/gpu-economy.md §2)."""

    u0: float = 0.85
    target_boom: float = 0.85
    target_bust: float = 0.70
    speed: float = 0.3  # share of the gap closed per month
    sigma: float = 0.02  # per month
    floor: float = 0.05


@dataclass(frozen=True, slots=True)
class GpuGeneration:
    """A GPU generation: its price relative to the H100-equivalent index and its purchase price."""

    name: str
    price_ratio: float
    purchase_usd: float


@dataclass(frozen=True, slots=True)
class BorrowerParams:
    """Operating cost and default hazard of GPU borrowers (docs/gpu-economy.md §3)."""

    opex_per_gpu_hour: float = 0.45
    h0: float = 0.0025  # per month
    beta: float = 4.0
    rho: float = 0.3
    sale_cost: float = 0.10
    generations: tuple[GpuGeneration, ...] = field(
        default=(
            GpuGeneration("H100", 1.0, 30_000.0),
            GpuGeneration("H200", 1.25, 35_000.0),
            GpuGeneration("B200", 2.0, 45_000.0),
        )
    )


@dataclass(frozen=True, slots=True)
class IndexPaths:
    """Monthly index paths, shape ``(n_paths, n_months + 1)``; row 0 is the start."""

    price: FloatArray
    regime: IntArray
    launch_factor: FloatArray  # product of (1 - step) over launches so far (1.0 at start)


def rental_index_paths(
    rng: np.random.Generator, n_paths: int, n_months: int, p: IndexParams | None = None
) -> IndexPaths:
    """Simulate the index (see module docstring); all paths in one array pass per month."""
    p = p or IndexParams()
    theta = math.log(2.0) / p.half_life_yr
    decay = math.exp(-theta * DT)
    ou_sd = p.sigma * math.sqrt((1.0 - math.exp(-2.0 * theta * DT)) / (2.0 * theta))
    switch = 1.0 - math.exp(-DT / p.regime_len_yr)
    drift = np.array([p.drift_boom, p.drift_bust]) * DT
    eps = rng.standard_normal((n_paths, n_months))
    flips = rng.random((n_paths, n_months)) < switch
    n_launch = rng.poisson(p.launch_rate * DT, (n_paths, n_months))
    # at most a few launches a month; draw the steps for up to 3 and mask the rest
    steps = rng.uniform(p.step_lo, p.step_hi, (n_paths, n_months, 3))
    k = np.arange(3)[None, None, :]
    log_steps = np.where(k < n_launch[..., None], np.log1p(-steps), 0.0).sum(axis=2)

    regime = np.empty((n_paths, n_months + 1), dtype=np.int64)
    regime[:, 0] = p.start_regime
    regime[:, 1:] = (p.start_regime + np.cumsum(flips, axis=1)) % 2
    m = (
        math.log(p.p0)
        - p.y0
        + np.concatenate(
            [np.zeros((n_paths, 1)), np.cumsum(drift[regime[:, :-1]] + log_steps, axis=1)], axis=1
        )
    )
    y = np.empty((n_paths, n_months + 1))
    y[:, 0] = p.y0
    for t in range(n_months):
        y[:, t + 1] = y[:, t] * decay + ou_sd * eps[:, t]
    lf = np.exp(np.concatenate([np.zeros((n_paths, 1)), np.cumsum(log_steps, axis=1)], axis=1))
    return IndexPaths(np.exp(m + y), regime, lf)


def collapse_index_paths(
    rng: np.random.Generator,
    n_paths: int,
    n_months: int,
    *,
    start: float = 2.35,
    low: tuple[float, float] = (1.50, 1.70),
    fall_months: int = 6,
    hold_months: int = 12,
    launch_month: int = 3,
    launch_step: float = 0.25,
    sigma: float = 0.10,
) -> IndexPaths:
    """Stress case S2 (docs/gaib.md §5): the index falls log-linearly to a low drawn in ``low`` over ``fall_months``, holds
    it ``hold_months`` (small OU noise), then recovers half the gap per year; one next-generation
    launch of ``launch_step`` at ``launch_month`` (already inside the fall: it steps the collateral
    value, while the price path is pinned to the low)."""
    lows = rng.uniform(low[0], low[1], n_paths)
    t = np.arange(n_months + 1, dtype=np.float64)
    frac = np.clip(t / fall_months, 0.0, 1.0)[None, :]
    base = np.log(start) + frac * (np.log(lows)[:, None] - np.log(start))
    after = np.clip(t - fall_months - hold_months, 0.0, None)[None, :]
    recover = (np.log(start) - np.log(lows))[:, None] * (1.0 - 0.5 ** (after / 12.0))
    noise = np.zeros((n_paths, n_months + 1))
    eps = rng.standard_normal((n_paths, n_months))
    a = math.exp(-math.log(2.0) / 6.0)  # half-life 6 months
    for k in range(n_months):
        noise[:, k + 1] = noise[:, k] * a + sigma * math.sqrt(DT) * eps[:, k]
    lf = np.where(t >= launch_month, 1.0 - launch_step, 1.0)[None, :].repeat(n_paths, axis=0)
    regime = np.ones((n_paths, n_months + 1), dtype=np.int64)
    return IndexPaths(np.exp(base + recover + noise), regime, lf)


def utilisation_paths(
    rng: np.random.Generator, regime: IntArray, u: UtilisationParams | None = None
) -> FloatArray:
    """Utilisation per path and month, pulled toward its regime's target."""
    u = u or UtilisationParams()
    n_paths, n = regime.shape
    target = np.where(regime == 0, u.target_boom, u.target_bust)
    out = np.empty((n_paths, n))
    out[:, 0] = u.u0
    eps = rng.standard_normal((n_paths, n - 1))
    for t in range(n - 1):
        nxt = out[:, t] + u.speed * (target[:, t] - out[:, t]) + u.sigma * eps[:, t]
        out[:, t + 1] = np.clip(nxt, u.floor, 1.0)
    return out


def hazard(dscr: FloatArray, reserve_spent: NDArray[np.bool_], b: BorrowerParams) -> FloatArray:
    """Monthly default probability: ``h0`` while the reserve lasts, ``h0 e^{beta (1 - DSCR)+}`` after."""
    excess = np.where(reserve_spent, np.maximum(0.0, 1.0 - dscr), 0.0)
    return np.minimum(b.h0 * np.exp(b.beta * excess), 1.0)


def default_draws(
    rng: np.random.Generator, n_paths: int, n_months: int, n_deals: int, rho: float
) -> FloatArray:
    """The one-factor latent variable ``sqrt(rho) Z_t + sqrt(1 - rho) eps_{k,t}``, shape
    ``(n_paths, n_months, n_deals)``; a deal defaults in a month when it is below ``Phi^{-1}(h)``."""
    z = rng.standard_normal((n_paths, n_months, 1))
    e = rng.standard_normal((n_paths, n_months, n_deals))
    return math.sqrt(rho) * z + math.sqrt(1.0 - rho) * e


def breakeven_price(
    debt_service_per_gpu_month: float, utilisation: float, opex_per_gpu_hour: float
) -> float:
    """Index price at which DSCR = 1: ``(service / 730 + opex) / utilisation``."""
    return (debt_service_per_gpu_month / HOURS_PER_MONTH + opex_per_gpu_hour) / utilisation


# Acklam's rational approximation of the normal quantile (relative error < 1.2e-9).
_A = (-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.3577518672690,
      -30.66479806614716, 2.506628277459239)  # fmt: skip
_B = (-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972,
      -13.28068155288572)  # fmt: skip
_C = (-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734,
      4.374664141464968, 2.938163982698783)  # fmt: skip
_D = (0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416)


def _poly(c: tuple[float, ...], x: FloatArray) -> FloatArray:
    out = np.full_like(x, c[0])
    for k in c[1:]:
        out = out * x + k
    return out


def norm_ppf(q: FloatArray | float) -> FloatArray:
    """Standard normal quantile, vectorised (``q`` in (0, 1); 0 and 1 map to -inf and +inf)."""
    q = np.asarray(q, dtype=np.float64)
    lo = 0.02425
    out = np.empty_like(q)
    with np.errstate(divide="ignore", invalid="ignore"):
        mid = (q > lo) & (q < 1.0 - lo)
        r = (q - 0.5) ** 2
        out = np.where(mid, (q - 0.5) * _poly(_A, r) / (_poly(_B, r) * r + 1.0), out)
        ql = np.sqrt(-2.0 * np.log(np.where(q <= lo, q, 0.5)))
        tail = _poly(_C, ql) / (_poly(_D, ql) * ql + 1.0)
        out = np.where(q <= lo, tail, out)
        qh = np.sqrt(-2.0 * np.log(np.where(q >= 1.0 - lo, 1.0 - q, 0.5)))
        out = np.where(q >= 1.0 - lo, -(_poly(_C, qh) / (_poly(_D, qh) * qh + 1.0)), out)
    return out


def ex_launch_curve(
    curve: ResidualCurve = THIRD_PARTY_H100,
    launch_rate: float = 1.0,
    mean_step: float = 0.25,
) -> ResidualCurve:
    """The residual curve before launches: each knot divided by the expected launch factor
    ``exp(-launch_rate * mean_step * years)`` (docs/gpu-economy.md §4, V-GPU-2), capped at 100%."""
    knots = tuple(
        (a, min(10**18, round(r / math.exp(-launch_rate * mean_step * a / (12 * MONTH)))))
        for a, r in curve.knots
    )
    return ResidualCurve(f"{curve.name}-ex-launch", knots)


def value_fraction_paths(
    paths: IndexPaths, curve: ResidualCurve, start_month: int = 0
) -> FloatArray:
    """``V(t) / V0`` per path and month for GPUs new at ``start_month``: the residual curve times
    the launch factor accumulated since then; shape ``(n_paths, n_months + 1)``, zero before."""
    n = paths.price.shape[1]
    res = np.array([residual_wad(curve, max(t - start_month, 0) * MONTH) / 1e18 for t in range(n)])
    lf = paths.launch_factor / paths.launch_factor[:, [start_month]]
    out: FloatArray = res[None, :] * lf
    out[:, :start_month] = 0.0
    return out
