"""Backtests of the fitted AI-token process on held-out data (docs/calibration.md §3, §5).

* **VaR99 (1 day)**: the 1% quantile of the fitted process's one-day log return, computed exactly
  (a Poisson mixture of normals, solved by bisection), against every held-out daily return
  (VIRTUAL whole, and every token from 2024-07-01 on); Kupiec's proportion-of-failures test, pooled
  and per token. Kupiec assumes independent days; breaches of different tokens on the same day
  are not independent, so the pooled test is also reported on distinct breach days.
* **published drawdowns in the 1-99% band**: VIRTUAL's -76.8% over 26 days (15 Jan - 10 Feb
  2025, after the series end, never seen by the fit) against simulated 26-day log returns.
* **tail dependence and correlation out of sample**: the model's lower-tail dependence at 5%
  (simulated daily returns of the fitted two-regime block) against the fit pair's empirical
  interval; held-out pairs' correlation against the fitted one.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from . import calibrate_series as cs
from .processes import DAY_S, Diffusion, gbm_paths, log_paths, rng_from

__all__ = [
    "breaches",
    "chi2_sf_1",
    "christoffersen",
    "diffusion_from_fit",
    "drawdown_band",
    "heldout_correlation",
    "kupiec",
    "merton_cdf_1d",
    "model_tail_dependence",
    "var_1d",
]


def chi2_sf_1(x: float) -> float:
    """Survival function of the chi-square distribution with one degree of freedom."""
    return math.erfc(math.sqrt(max(x, 0.0) / 2.0))


def kupiec(breaches: int, n: int, p: float) -> dict[str, Any]:
    """Kupiec's proportion-of-failures LR test: ``LR = -2 ln(L(p) / L(x/n))`` ~ chi2(1)."""
    if n < 1 or not 0.0 < p < 1.0 or not 0 <= breaches <= n:
        raise ValueError("need n >= 1, 0 < p < 1 and 0 <= breaches <= n")
    x = breaches
    phat = x / n

    def ll(q: float) -> float:
        a = (n - x) * math.log1p(-q) if n - x else 0.0
        b = x * math.log(q) if x else 0.0
        return a + b

    lr = -2.0 * (ll(p) - (ll(phat) if 0.0 < phat < 1.0 else 0.0))
    return {
        "breaches": float(x),
        "n": float(n),
        "expected": n * p,
        "lr": lr,
        "p_value": chi2_sf_1(lr),
    }


def christoffersen(hits: NDArray[np.bool_]) -> dict[str, float]:
    """Christoffersen's independence test on a day-ordered breach sequence, ~ chi2(1).

    Counts the transitions ``n_ij`` (a breach state ``i`` followed by ``j``) and compares the
    first-order Markov likelihood with the independent one. With no breach after a breach
    possible (``n_10 + n_11 = 0``) the test has nothing to measure and returns LR 0.
    """
    h = hits.astype(np.int8)
    prev, nxt = h[:-1], h[1:]
    n00 = int(np.sum((prev == 0) & (nxt == 0)))
    n01 = int(np.sum((prev == 0) & (nxt == 1)))
    n10 = int(np.sum((prev == 1) & (nxt == 0)))
    n11 = int(np.sum((prev == 1) & (nxt == 1)))

    def ll(stay: int, move: int, q: float) -> float:
        a = stay * math.log1p(-q) if stay else 0.0
        b = move * math.log(q) if move else 0.0
        return a + b

    total = n00 + n01 + n10 + n11
    pi = (n01 + n11) / total if total else 0.0
    pi01 = n01 / (n00 + n01) if n00 + n01 else 0.0
    pi11 = n11 / (n10 + n11) if n10 + n11 else 0.0
    lr = 0.0
    if 0.0 < pi < 1.0 and n10 + n11 > 0:
        lr = -2.0 * (ll(n00 + n10, n01 + n11, pi) - ll(n00, n01, pi01) - ll(n10, n11, pi11))
    return {
        "n00": float(n00),
        "n01": float(n01),
        "n10": float(n10),
        "n11": float(n11),
        "lr_ind": max(lr, 0.0),
        "p_value_ind": chi2_sf_1(max(lr, 0.0)),
    }


def diffusion_from_fit(jp: dict[str, Any], corr: dict[str, Any], jump_common: float) -> Diffusion:
    """The library block's process for the fitted parameters (jumps compensated, no drift)."""
    return Diffusion(
        sigma=jp["sigma_diffusion"],
        corr_normal=corr["corr_calm"],
        corr_stressed=corr["corr_stressed"],
        stress_rate=corr["stress_rate"],
        calm_rate=corr["calm_rate"],
        jump_rate=jp["jump_rate_per_year"],
        jump_mean=jp["jump_mean"],
        jump_std=jp["jump_std"],
        jump_common=jump_common,
        compensate=True,
    )


def _norm_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def merton_cdf_1d(x: float, d: Diffusion) -> float:
    """``P(r <= x)`` for the one-day log return of one asset of ``d`` (exact Poisson mixture)."""
    dt = 1.0 / cs.YEAR_DAYS
    sigma = float(np.asarray(d.sigma).reshape(-1)[0])
    mu = float(np.asarray(d.mu).reshape(-1)[0]) - d.jump_compensator()
    m = (mu - 0.5 * sigma * sigma) * dt
    lam = d.jump_rate * dt
    total, p_n, n = 0.0, math.exp(-lam), 0
    while n < 60 and (n <= 3 or p_n > 1e-16):
        sd = math.sqrt(sigma * sigma * dt + n * d.jump_std**2)
        total += p_n * _norm_cdf((x - m - n * d.jump_mean) / sd)
        n += 1
        p_n *= lam / n
    return total


def var_1d(d: Diffusion, p: float = 0.01) -> float:
    """The ``p`` quantile of the one-day log return (bisection on the exact CDF)."""
    lo, hi = -5.0, 5.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if merton_cdf_1d(mid, d) < p:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def breaches(
    d: Diffusion, tokens: tuple[str, ...] = cs.HOLDOUT_TOKENS, held_out: bool = True
) -> dict[str, Any]:
    """VaR99 breaches of the held-out (or the fit) returns: Kupiec per token and pooled, and
    Christoffersen's independence test per token (the days in order; the one-day gap of
    2025-01-15 is read as adjacent)."""
    var99 = var_1d(d, 0.01)
    out: dict[str, Any] = {"var99_log_1d": var99, "per_token": {}}
    days: list[np.datetime64] = []
    total_x = total_n = 0
    for t in tokens:
        rets = cs.holdout_set(t) if held_out else cs.fit_set(t)
        if rets.r.size == 0:
            continue
        hit = rets.r < var99
        x, n = int(hit.sum()), int(rets.r.size)
        k = kupiec(x, n, 0.01) | christoffersen(hit)
        k["lr_cc"] = k["lr"] + k["lr_ind"]
        k["p_value_cc"] = math.exp(-k["lr_cc"] / 2.0)  # chi2(2) survival function
        k["dates"] = rets.span()
        k["worst_log"] = float(rets.r.min())
        out["per_token"][t] = k
        total_x += x
        total_n += n
        days.extend(rets.days[hit].tolist())
    out["pooled"] = kupiec(total_x, total_n, 0.01)
    out["distinct_breach_days"] = sorted({str(day) for day in days})
    return out


def drawdown_band(
    d: Diffusion, days: int, observed: float, n_paths: int, seed: int
) -> dict[str, Any]:
    """Where a published ``days``-day move falls among the fitted process's simulated moves."""
    one = Diffusion(
        sigma=d.sigma,
        jump_rate=d.jump_rate,
        jump_mean=d.jump_mean,
        jump_std=d.jump_std,
        compensate=True,
    )
    final = np.log(gbm_paths(1.0, one, float(DAY_S), days, rng_from(seed), n_paths)[:, -1, 0])
    obs = math.log1p(observed)
    lo, hi = np.quantile(final, [0.01, 0.99])
    return {
        "observed_log": obs,
        "band_lo": float(lo),
        "band_hi": float(hi),
        "percentile": float((final <= obs).mean()),
        "inside": bool(lo <= obs <= hi),
        "n_paths": n_paths,
    }


def model_tail_dependence(d: Diffusion, n_days: int = 200_000, seed: int = 5) -> dict[str, float]:
    """Lower-tail dependence at 5%/10% of two assets' daily log returns under ``d``.

    Days are drawn in the regimes' stationary proportions (stressed share
    ``stress_rate / (stress_rate + calm_rate)``), each a one-step path of the block.
    """
    share = d.stress_rate / (d.stress_rate + d.calm_rate) if d.stress_rate > 0 else 0.0
    n_stress = round(n_days * share)
    rng = rng_from(seed)
    parts = []
    for regime, n in ((0, n_days - n_stress), (1, n_stress)):
        if n == 0:
            continue
        block = Diffusion(
            sigma=d.sigma,
            corr_normal=d.corr_normal,
            corr_stressed=d.corr_stressed,
            initial_regime=regime,
            jump_rate=d.jump_rate,
            jump_mean=d.jump_mean,
            jump_std=d.jump_std,
            jump_common=d.jump_common,
            compensate=True,
        )
        x = log_paths([1.0, 1.0], block, float(DAY_S), 1, rng, n)
        parts.append(x[:, 1, :] - x[:, 0, :])
    r = np.concatenate(parts)
    return {
        f"lambda_L_q{round(q * 100):02d}": cs.lower_tail_dependence(r[:, 0], r[:, 1], q)
        for q in (0.05, 0.10)
    } | {"corr_all_days": float(np.corrcoef(r[:, 0], r[:, 1])[0, 1]), "n_days": float(n_days)}


def heldout_correlation() -> dict[str, Any]:
    """Correlation of held-out token pairs on common days (every day), with Fisher intervals."""
    out: dict[str, Any] = {}
    for a, b in (("VIRTUAL", "TAO"), ("VIRTUAL", "AI16Z"), ("AI16Z", "TAO")):
        ha, hb = cs.holdout_set(a), cs.holdout_set(b)
        days, ia, ib = np.intersect1d(ha.days, hb.days, return_indices=True)
        rho = float(np.corrcoef(ha.r[ia], hb.r[ib])[0, 1])
        out[f"{a}-{b}"] = {
            "corr": rho,
            "ci95": cs.fisher(rho, int(days.size)),
            "n": int(days.size),
            "dates": [str(days[0]), str(days[-1])],
        }
    return out
