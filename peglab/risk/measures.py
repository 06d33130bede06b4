"""Risk measures of the lab: VaR, ES, entropic EVaR, LaR, peg metrics and bootstrap CIs (risk.md §6).

Design
------
Losses are positive numbers (bad debt in USD); ``N`` runs sorted ``B_(1) <= ... <= B_(N)``.

* ``VaR_q = B_(ceil(qN))`` (nearest rank; ``q N`` is computed with exact fractions, so
  ``q = 0.95, N = 100`` gives rank 95, not 96).
* ``ES_q`` = mean of the worst ``k = ceil((1 - q) N) = N - floor(q N)`` outcomes. When ``(1-q)N`` is
  an integer this is the spec's "mean of the worst (1-q)N"; otherwise the partly-covered outcome
  is counted in full. Every averaged outcome has rank ``>= ceil(qN)``, so ``ES_q >= VaR_q``.
* ``EVaR_q = inf_{z>0} z^-1 ln( (1/N) sum_i e^{z B_i} / (1 - q) )`` (Ahmadi-Javid). Positive
  homogeneity lets us minimise on ``b = B / max|B|`` and scale back. With ``K(z)`` the (convex)
  log-moment function, the objective in ``t = 1/z`` is ``t K(1/t) - t ln(1-q)``: a perspective of a
  convex function plus a linear term, hence convex in ``t``, hence unimodal in ``ln z``. We run a
  golden-section search on ``ln z in [-12, 25]`` (log-sum-exp for stability) and take the minimum
  with ``max b`` (the ``z -> infinity`` limit). ``EVaR_q >= ES_q`` for the empirical distribution.
* ``LaR_q`` = the nearest-rank ``q``-quantile of liquidated collateral value.
* Bootstrap CIs: percentile intervals over ``n_resamples`` resamples drawn with replacement from a
  generator seeded by the caller; all statistics of one column share the same resamples, drawn in
  batches so memory stays ``O(batch * N)``.

Peg metrics of one price series ``p_0 .. p_n`` on a regular grid with step ``dt``:
``dev_t = |p_t - 1|``; min/max price; max deviation; fraction of the sampled instants with
``p < 0.99, 0.98, 0.95``; deviation-time area ``sum_{k<n} dev_k dt`` (USD-hours per coin);
time to recover = length of the excursion outside ``+-50 bps`` that contains the largest deviation,
from its first sample outside the band to the first sample back inside (censored at the horizon,
then ``recovered = 0``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..sim.results import PEG_THRESHOLDS, peg_metrics  # re-exported: defined with the runners

__all__ = [
    "PEG_THRESHOLDS",
    "bootstrap_ci",
    "bootstrap_cis",
    "entropic_var",
    "expected_shortfall",
    "liquidations_at_risk",
    "nearest_rank",
    "peg_metrics",
    "quantile",
    "risk_summary",
    "value_at_risk",
]

FloatArray = NDArray[np.float64]
Statistic = Callable[[FloatArray], FloatArray]


def _frac(q: float) -> Fraction:
    if not 0.0 < q < 1.0:
        raise ValueError(f"q must be in (0, 1), got {q}")
    return Fraction(q).limit_denominator(10**9)


def nearest_rank(q: float, n: int) -> int:
    """``ceil(q n)`` in exact arithmetic, clamped to ``[1, n]`` (1-based rank)."""
    if n < 1:
        raise ValueError("need at least one value")
    return min(n, max(1, math.ceil(_frac(q) * n)))


def _tail_count(q: float, n: int) -> int:
    """``ceil((1 - q) n) = n - floor(q n)``, at least 1."""
    return max(1, n - math.floor(_frac(q) * n))


def _as_rows(values: ArrayLike) -> FloatArray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.shape[-1] == 0:
        raise ValueError("need at least one value")
    if not np.all(np.isfinite(arr)):
        raise ValueError("values must be finite")
    return arr


def quantile(values: ArrayLike, q: float, presorted: bool = False) -> FloatArray | float:
    """Nearest-rank ``q``-quantile along the last axis: ``x_(ceil(qN))``."""
    arr = _as_rows(values)
    srt = arr if presorted else np.sort(arr, axis=-1)
    out = srt[..., nearest_rank(q, arr.shape[-1]) - 1]
    return float(out) if np.ndim(out) == 0 else np.asarray(out)


def value_at_risk(losses: ArrayLike, q: float, presorted: bool = False) -> FloatArray | float:
    """``VaR_q = B_(ceil(qN))`` (nearest rank) along the last axis."""
    return quantile(losses, q, presorted)


def liquidations_at_risk(liquidated: ArrayLike, q: float) -> FloatArray | float:
    """``LaR_q``: nearest-rank ``q``-quantile of liquidated collateral value (USD)."""
    return quantile(liquidated, q)


def expected_shortfall(losses: ArrayLike, q: float, presorted: bool = False) -> FloatArray | float:
    """``ES_q``: mean of the worst ``ceil((1 - q) N)`` outcomes along the last axis."""
    arr = _as_rows(losses)
    srt = arr if presorted else np.sort(arr, axis=-1)
    k = _tail_count(q, arr.shape[-1])
    out = srt[..., -k:].mean(axis=-1)
    return float(out) if np.ndim(out) == 0 else np.asarray(out)


_PHI = (math.sqrt(5.0) - 1.0) / 2.0


def _evar_objective(b: FloatArray, log_z: FloatArray, log_tail: float) -> FloatArray:
    """``(LSE(z b) - ln N - ln(1-q)) / z`` per row of ``b`` for per-row ``ln z``."""
    z = np.exp(log_z)[..., None]
    zb = z * b
    m = zb.max(axis=-1, keepdims=True)
    lse = m[..., 0] + np.log(np.exp(zb - m).sum(axis=-1))
    return np.asarray((lse - math.log(b.shape[-1]) - log_tail) / z[..., 0], dtype=np.float64)


def entropic_var(
    losses: ArrayLike, q: float, lo: float = -12.0, hi: float = 25.0, iterations: int = 80
) -> FloatArray | float:
    """Entropic VaR (Ahmadi-Javid) along the last axis, by golden section on ``ln z``."""
    arr = _as_rows(losses)
    log_tail = math.log(1.0 - float(_frac(q)))
    scale = np.abs(arr).max(axis=-1, keepdims=True)
    safe = np.where(scale > 0, scale, 1.0)
    b = arr / safe
    batch = b.shape[:-1]
    a_ = np.full(batch, lo)
    d_ = np.full(batch, hi)
    c1 = d_ - _PHI * (d_ - a_)
    c2 = a_ + _PHI * (d_ - a_)
    f1 = _evar_objective(b, c1, log_tail)
    f2 = _evar_objective(b, c2, log_tail)
    for _ in range(iterations):
        left = f1 < f2  # minimum in [a, c2]
        d_ = np.where(left, c2, d_)
        a_ = np.where(left, a_, c1)
        new_c1 = np.where(left, d_ - _PHI * (d_ - a_), c2)
        new_c2 = np.where(left, c1, a_ + _PHI * (d_ - a_))
        new_f = _evar_objective(b, np.where(left, new_c1, new_c2), log_tail)
        f1, f2 = np.where(left, new_f, f2), np.where(left, f1, new_f)
        c1, c2 = new_c1, new_c2
    best = np.minimum(np.minimum(f1, f2), b.max(axis=-1))
    out = best * scale[..., 0]
    return float(out) if np.ndim(out) == 0 else np.asarray(out)


def bootstrap_cis(
    values: ArrayLike,
    statistics: Mapping[str, Statistic],
    *,
    n_resamples: int = 1000,
    level: float = 0.95,
    seed: np.random.SeedSequence | int = 0,
    max_cells: int = 2_000_000,
) -> dict[str, tuple[float, float]]:
    """Percentile bootstrap intervals for several statistics on shared resamples.

    Each statistic maps sorted resamples ``(B, N)`` to ``(B,)``. Resample indices come from
    ``PCG64(seed)`` in batches of at most ``max_cells`` values (bounded memory).
    """
    arr = _as_rows(values).ravel()
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    rng = np.random.Generator(np.random.PCG64(ss))
    if n_resamples < 1:
        raise ValueError("n_resamples must be >= 1")
    results: dict[str, list[FloatArray]] = {name: [] for name in statistics}
    n = arr.shape[0]
    per_batch = max(1, max_cells // n)
    done = 0
    while done < n_resamples:
        b = min(per_batch, n_resamples - done)
        sample = np.sort(arr[rng.integers(0, n, size=(b, n))], axis=-1)
        for name, stat in statistics.items():
            results[name].append(np.atleast_1d(np.asarray(stat(sample), dtype=np.float64)))
        done += b
    alpha = (1.0 - level) / 2.0
    out: dict[str, tuple[float, float]] = {}
    for name, parts in results.items():
        dist = np.concatenate(parts)
        lo, hi = np.quantile(dist, [alpha, 1.0 - alpha])
        out[name] = (float(lo), float(hi))
    return out


def bootstrap_ci(
    values: ArrayLike,
    statistic: Statistic,
    *,
    n_resamples: int = 1000,
    level: float = 0.95,
    seed: np.random.SeedSequence | int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval of one statistic (see :func:`bootstrap_cis`)."""
    return bootstrap_cis(values, {"s": statistic}, n_resamples=n_resamples, level=level, seed=seed)[
        "s"
    ]


def _stat_table(tail: bool) -> dict[str, Statistic]:
    def mean(s: FloatArray) -> FloatArray:
        return np.asarray(s.mean(axis=-1))

    table: dict[str, Statistic] = {
        "mean": mean,
        "p50": lambda s: np.asarray(quantile(s, 0.50, presorted=True)),
    }
    if not tail:
        table["p05"] = lambda s: np.asarray(quantile(s, 0.05, presorted=True))
        table["p95"] = lambda s: np.asarray(quantile(s, 0.95, presorted=True))
    else:
        table.update(
            {
                "VaR95": lambda s: np.asarray(value_at_risk(s, 0.95, presorted=True)),
                "VaR99": lambda s: np.asarray(value_at_risk(s, 0.99, presorted=True)),
                "ES97.5": lambda s: np.asarray(expected_shortfall(s, 0.975, presorted=True)),
                "EVaR95": lambda s: np.asarray(entropic_var(s, 0.95, iterations=50)),
            }
        )
    return table


def risk_summary(
    values: ArrayLike,
    *,
    seed: np.random.SeedSequence | int = 0,
    tail: bool = True,
    n_resamples: int = 1000,
    level: float = 0.95,
) -> dict[str, Any]:
    """Point estimates with bootstrap CIs for one column of per-path results.

    Always: ``n``, ``min``, ``max``, ``std`` and ``mean``/``p50`` as ``{"value": x, "ci": [lo, hi]}``;
    with ``tail`` (loss columns) also ``VaR95``, ``VaR99``, ``ES97.5``, ``EVaR95`` (entropic),
    otherwise ``p05`` and ``p95``. Values are rounded to 12 significant digits so the JSON is stable.
    """
    arr = _as_rows(values).ravel()
    srt = np.sort(arr)
    stats = _stat_table(tail)
    cis = bootstrap_cis(arr, stats, n_resamples=n_resamples, level=level, seed=seed)
    out: dict[str, Any] = {
        "n": int(arr.shape[0]),
        "min": _r(float(srt[0])),
        "max": _r(float(srt[-1])),
        "std": _r(float(arr.std())),
    }
    for name, stat in stats.items():
        point = float(np.asarray(stat(srt[None, :])).ravel()[0])
        lo, hi = cis[name]
        out[name] = {"value": _r(point), "ci": [_r(lo), _r(hi)]}
    return out


def _r(x: float) -> float:
    """Round to 12 significant digits (stable JSON across platforms' last-bit noise)."""
    if x == 0 or not math.isfinite(x):
        return x
    return float(f"{x:.12g}")
