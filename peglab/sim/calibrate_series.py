"""Fit the AI-token price process on the daily series in ``data/prices`` (docs/calibration.md §2).

The model being fitted is the library's block (``sim.processes.log_paths``): a constant
diffusion volatility, Merton jumps ``J ~ N(mu_J, sigma_J^2)`` at rate ``lambda`` of which a share
``jump_common`` is a sector jump, and a two-regime (calm / stressed) correlation of the diffusion
parts with Markov switching. Every estimator below reads that model off daily log returns:

* **returns**: ``r_t = ln(P_t / P_{t-1})`` between consecutive calendar days only (a gap in a
  series drops a return, it never makes a two-day return);
* **total volatility**: sample standard deviation x sqrt(365); standard error by the delta method
  with the sample fourth moment (``Var(s^2) ~ (m4 - s^4)/n``), so fat tails widen it honestly;
* **jumps, threshold method** (Mancini 2009, with a bipower scale as in Lee-Mykland 2008): the
  diffusion scale is the bipower variation ``BV = (pi/2) mean |r_t| |r_{t-1}|`` (robust to
  jumps); a day is a jump day when ``|r_t - median| > JUMP_THRESHOLD sqrt(BV)``. ``lambda`` =
  jump days / years, ``mu_J`` = mean of the jump-day returns, ``sigma_J^2`` = their variance minus
  the daily diffusion variance (the diffusion part of a jump day, deconvolved);
* **diffusion volatility**: the threshold (truncated) realised variance, i.e. the standard
  deviation of the non-jump days x sqrt(365);
* **correlation by regime**: Pearson correlation of two tokens' returns on common days where
  neither jumped, split into calm and stressed days; a day is **stressed** when ETH's trailing
  7-day realised volatility (days t-7..t-1, never day t) is in the top STRESS_QUANTILE of the fit
  window. 95% intervals by Fisher's z. The switching rates are the classification's transition
  counts per year spent in the state;
* **jump_common**: co-jump days / the mean of each token's jump days (the model's
  ``P(B jumps | A jumps)``), with a Wilson 95% interval;
* **tail dependence**: empirical lower-tail dependence ``lambda_L(q) = P(U_B <= q | U_A <= q)``
  on ranks, at q = 5% and 10%, with an iid bootstrap interval.

The fit set, the held-out token and the held-out dates are fixed constants (listed in
data/prices/PROVENANCE.md), set before the first fit was run.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "FIT_END",
    "FIT_TOKENS",
    "HOLDOUT_START",
    "HOLDOUT_TOKENS",
    "JUMP_THRESHOLD",
    "PRICE_FILES",
    "PROVENANCE",
    "STRESS_QUANTILE",
    "Returns",
    "fisher",
    "fit_correlation",
    "fit_jump_process",
    "fit_set",
    "fit_tail_dependence",
    "holdout_set",
    "load_prices",
    "log_returns",
    "undocumented",
    "wilson_interval",
]

FloatArray = NDArray[np.float64]
DayArray = NDArray[np.datetime64]

YEAR_DAYS = 365.0
PROVENANCE = "data/prices/PROVENANCE.md"  # one row per data file (tested)
PRICE_FILES: dict[str, str] = {
    "VIRTUAL": "virtual.csv",
    "AI16Z": "ai16z.csv",
    "TAO": "tao.csv",
    "RNDR": "rndr.csv",
    "ETH": "eth.csv",
}
# the split, fixed before fitting (data/prices/PROVENANCE.md): VIRTUAL and every return from HOLDOUT_START on
# are held out; the AI-token process is fitted on FIT_TOKENS up to FIT_END
FIT_TOKENS: tuple[str, ...] = ("TAO", "RNDR")
HOLDOUT_TOKENS: tuple[str, ...] = ("VIRTUAL", "AI16Z", "TAO", "RNDR")
FIT_END = date(2024, 6, 30)
HOLDOUT_START = date(2024, 7, 1)
JUMP_THRESHOLD = 4.0  # in bipower standard deviations: a normal day passes it with prob. 6e-5
STRESS_QUANTILE = 0.8  # top 20% of ETH's trailing 7-day volatility = stressed [O]
Z95 = 1.959963984540054  # the standard normal's 97.5% quantile


@dataclass(frozen=True)
class Returns:
    """Daily log returns of one series: ``days[i]`` is the day the return ends on."""

    symbol: str
    days: DayArray
    r: FloatArray

    def between(self, first: date | None, last: date | None) -> Returns:
        keep = np.ones(self.r.size, dtype=bool)
        if first is not None:
            keep &= self.days >= np.datetime64(first, "D")
        if last is not None:
            keep &= self.days <= np.datetime64(last, "D")
        return Returns(self.symbol, self.days[keep], self.r[keep])

    @property
    def years(self) -> float:
        return self.r.size / YEAR_DAYS

    def span(self) -> list[str]:
        return [str(self.days[0]), str(self.days[-1])] if self.r.size else []


def load_prices(symbol: str) -> tuple[DayArray, FloatArray]:
    """Days and USD prices of ``symbol`` from ``data/prices`` (data/prices/PROVENANCE.md)."""
    name = PRICE_FILES[symbol]
    text = resources.files(__package__).joinpath("data/prices", name).read_text("utf-8")
    rows = list(csv.reader(text.splitlines()))
    if rows[0] != ["date", "price_usd"]:
        raise ValueError(f"{name}: header must be date,price_usd")
    days = np.array([r[0][:10] for r in rows[1:]], dtype="datetime64[D]")
    prices = np.array([float(r[1]) for r in rows[1:]])
    if np.any(np.diff(days) <= np.timedelta64(0, "D")) or np.any(prices <= 0):
        raise ValueError(f"{name}: days must increase and prices be positive")
    return days, prices


def undocumented(files: list[str], provenance: str) -> list[str]:
    """The data files that have no row (``| name |``) in the provenance table."""
    rows = {line.split("|")[1].strip() for line in provenance.splitlines() if line.startswith("| ")}
    return [f for f in files if f not in rows]


def log_returns(symbol: str) -> Returns:
    """Log returns between consecutive calendar days (a gap drops the return across it)."""
    days, prices = load_prices(symbol)
    consecutive = np.diff(days) == np.timedelta64(1, "D")
    r = np.diff(np.log(prices))
    return Returns(symbol, days[1:][consecutive], r[consecutive])


def fit_set(symbol: str) -> Returns:
    """The fit part of a token's returns (empty for a held-out token)."""
    rets = log_returns(symbol)
    if symbol not in FIT_TOKENS:
        return Returns(symbol, rets.days[:0], rets.r[:0])
    return rets.between(None, FIT_END)


def holdout_set(symbol: str) -> Returns:
    """The held-out part: all of VIRTUAL, and every token from HOLDOUT_START on."""
    rets = log_returns(symbol)
    return rets if symbol not in FIT_TOKENS else rets.between(HOLDOUT_START, None)


def _sd_se(x: FloatArray) -> tuple[float, float]:
    """Sample standard deviation and its delta-method standard error (fourth moment)."""
    n = x.size
    d = x - x.mean()
    s2 = float(d @ d) / (n - 1)
    m4 = float(np.mean(d**4))
    return math.sqrt(s2), math.sqrt(max(m4 - s2 * s2, 0.0) / n) / (2.0 * math.sqrt(s2))


def bipower_var(r: FloatArray) -> float:
    """Daily bipower variation ``(pi/2) mean |r_t| |r_{t-1}|`` (robust to isolated jumps)."""
    return float(math.pi / 2.0 * np.mean(np.abs(r[1:]) * np.abs(r[:-1])))


def jump_days(r: FloatArray, threshold: float = JUMP_THRESHOLD) -> NDArray[np.bool_]:
    """Days whose return is more than ``threshold`` bipower standard deviations from the median."""
    return np.asarray(np.abs(r - np.median(r)) > threshold * math.sqrt(bipower_var(r)))


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a binomial share (95% by default); ``(0, 1)`` for ``n = 0``.

    ``(p + z²/2n ± z sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)``: unlike the normal interval it
    stays inside [0, 1] and is not empty when every path agrees (``p = 1`` gives
    ``[n / (n + z²), 1]``).
    """
    if n <= 0:
        return (0.0, 1.0)
    p = successes / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    lo = 0.0 if successes == 0 else max(0.0, centre - half)  # exact at the ends (no rounding)
    hi = 1.0 if successes == n else min(1.0, centre + half)
    return (lo, hi)


def _token_fit(rets: Returns) -> dict[str, Any]:
    r = rets.r
    sd, sd_se = _sd_se(r)
    jmp = jump_days(r)
    bv = bipower_var(r)
    return {
        "n_days": int(r.size),
        "dates": rets.span(),
        "sigma_total": sd * math.sqrt(YEAR_DAYS),
        "sigma_total_se": sd_se * math.sqrt(YEAR_DAYS),
        "sigma_bipower": math.sqrt(bv * YEAR_DAYS),
        "n_jumps": int(jmp.sum()),
        "jump_rate_per_year": float(jmp.sum()) / rets.years,
    }


def fit_jump_process(
    tokens: tuple[str, ...] = FIT_TOKENS, threshold: float = JUMP_THRESHOLD
) -> dict[str, Any]:
    """Pooled diffusion and jump parameters of the fit set, with per-token fits beside them."""
    sets = [fit_set(t) for t in tokens]
    per_token = {s.symbol: _token_fit(s) for s in sets}
    flags = [jump_days(s.r, threshold) for s in sets]
    calm = np.concatenate([s.r[~f] - s.r[~f].mean() for s, f in zip(sets, flags, strict=True)])
    jumps = np.concatenate([s.r[f] for s, f in zip(sets, flags, strict=True)])
    every = np.concatenate([s.r - s.r.mean() for s in sets])
    years = sum(s.years for s in sets)
    n_j = int(jumps.size)
    if n_j < 3:
        raise ValueError("fewer than three jump days in the fit set")
    sd_d, sd_d_se = _sd_se(calm)
    sd_t, sd_t_se = _sd_se(every)
    day_var = sd_d * sd_d
    mu_j = float(jumps.mean())
    var_j = float(jumps.var(ddof=1))
    sj = math.sqrt(max(var_j - day_var, 0.0))
    lam = n_j / years
    ann = math.sqrt(YEAR_DAYS)
    implied_total = math.sqrt(day_var * YEAR_DAYS + lam * (mu_j**2 + sj**2))
    return {
        "tokens": list(tokens),
        "dates": {s.symbol: s.span() for s in sets},
        "n_days": int(every.size),
        "years": years,
        "threshold_bipower_sd": threshold,
        "sigma_total": sd_t * ann,
        "sigma_total_ci95": [(sd_t - Z95 * sd_t_se) * ann, (sd_t + Z95 * sd_t_se) * ann],
        "sigma_diffusion": sd_d * ann,
        "sigma_diffusion_ci95": [(sd_d - Z95 * sd_d_se) * ann, (sd_d + Z95 * sd_d_se) * ann],
        "n_jumps": n_j,
        "jump_rate_per_year": lam,
        "jump_rate_ci95": [
            max(lam - Z95 * math.sqrt(n_j) / years, 0.0),
            lam + Z95 * math.sqrt(n_j) / years,
        ],
        "jump_mean": mu_j,
        "jump_mean_se": math.sqrt(var_j / n_j),
        "jump_std": sj,
        "jump_std_se": sj / math.sqrt(2.0 * (n_j - 1)),
        "jump_share_up": float((jumps > 0).mean()),
        "sigma_total_implied": implied_total,
        "per_token": per_token,
    }


def _common(a: Returns, b: Returns) -> tuple[DayArray, FloatArray, FloatArray]:
    days, ia, ib = np.intersect1d(a.days, b.days, return_indices=True)
    return days, a.r[ia], b.r[ib]


def stressed_days(days: DayArray, window: int = 7) -> NDArray[np.bool_]:
    """True where ETH's trailing ``window``-day realised volatility is in its top quantile.

    The trailing window ends the day before (no look-ahead into the day being classified); the
    quantile is taken over ``days`` themselves. Days without a full window count as calm.
    """
    eth = log_returns("ETH")
    vol = np.full(eth.r.size, np.nan)
    for i in range(window, eth.r.size):
        span = eth.days[i] - eth.days[i - window]
        if span == np.timedelta64(window, "D"):
            vol[i] = float(np.sqrt(np.mean(eth.r[i - window : i] ** 2)))
    _, ie, idays = np.intersect1d(eth.days, days, return_indices=True)
    v = np.full(days.size, np.nan)
    v[idays] = vol[ie]
    cut = float(np.nanquantile(v, STRESS_QUANTILE))
    return np.asarray(np.nan_to_num(v, nan=-1.0) > cut)


def fisher(r: float, n: int) -> list[float]:
    z = math.atanh(max(min(r, 0.999999), -0.999999))
    h = Z95 / math.sqrt(max(n - 3, 1))
    return [math.tanh(z - h), math.tanh(z + h)]


def _switching_rates(stress: NDArray[np.bool_]) -> dict[str, float]:
    s = stress.astype(np.int8)
    up = int(np.sum((s[1:] == 1) & (s[:-1] == 0)))
    down = int(np.sum((s[1:] == 0) & (s[:-1] == 1)))
    calm_years = float((s[:-1] == 0).sum()) / YEAR_DAYS
    stress_years = float((s[:-1] == 1).sum()) / YEAR_DAYS
    return {
        "stress_rate": up / calm_years if calm_years else 0.0,
        "calm_rate": down / stress_years if stress_years else 0.0,
        "stress_episodes": float(up),
        "stressed_share": float(s.mean()),
    }


def fit_correlation(a: str = "TAO", b: str = "RNDR") -> dict[str, Any]:
    """Diffusion correlation of two fit tokens by regime, ``jump_common`` and switching rates."""
    fa, fb = fit_set(a), fit_set(b)
    ja = dict(zip(fa.days.tolist(), jump_days(fa.r).tolist(), strict=True))
    jb = dict(zip(fb.days.tolist(), jump_days(fb.r).tolist(), strict=True))
    days, ra, rb = _common(fa, fb)
    jump_a = np.array([ja[d] for d in days.tolist()])
    jump_b = np.array([jb[d] for d in days.tolist()])
    quiet = ~(jump_a | jump_b)
    stress = stressed_days(days)
    out: dict[str, Any] = {"pair": [a, b], "dates": [str(days[0]), str(days[-1])]}
    for name, mask in (("calm", quiet & ~stress), ("stressed", quiet & stress)):
        n = int(mask.sum())
        rho = float(np.corrcoef(ra[mask], rb[mask])[0, 1])
        out[f"corr_{name}"] = rho
        out[f"corr_{name}_ci95"] = fisher(rho, n)
        out[f"n_{name}"] = n
    out["corr_all_days"] = float(np.corrcoef(ra, rb)[0, 1])
    both = int((jump_a & jump_b).sum())
    base = 0.5 * (int(jump_a.sum()) + int(jump_b.sum()))
    out["co_jumps"] = both
    out["jump_days"] = [int(jump_a.sum()), int(jump_b.sum())]
    out["jump_common"] = both / base if base else 0.0
    out["jump_common_ci95"] = list(wilson_interval(both, max(round(base), both)))
    out.update(_switching_rates(stress))
    return out


def lower_tail_dependence(x: FloatArray, y: FloatArray, q: float) -> float:
    """``P(V <= q | U <= q)`` on the ranks (pseudo-observations) of ``x`` and ``y``."""
    n = x.size
    u = (np.argsort(np.argsort(x)) + 1) / (n + 1)
    v = (np.argsort(np.argsort(y)) + 1) / (n + 1)
    lo = u <= q
    return float(np.mean(v[lo] <= q)) if lo.any() else 0.0


def fit_tail_dependence(
    a: str = "TAO", b: str = "RNDR", n_boot: int = 2000, seed: int = 3
) -> dict[str, Any]:
    """Empirical lower-tail dependence of the pair on common fit days (every day, jumps included)."""
    _, ra, rb = _common(fit_set(a), fit_set(b))
    rng = np.random.Generator(np.random.PCG64(seed))
    out: dict[str, Any] = {"pair": [a, b], "n": int(ra.size), "bootstrap": n_boot}
    idx = rng.integers(0, ra.size, size=(n_boot, ra.size))
    for q in (0.05, 0.10):
        est = lower_tail_dependence(ra, rb, q)
        boot = np.array([lower_tail_dependence(ra[i], rb[i], q) for i in idx])
        lo, hi = np.quantile(boot, [0.025, 0.975])
        key = f"q{round(q * 100):02d}"
        out[f"lambda_L_{key}"] = est
        out[f"lambda_L_{key}_ci95"] = [float(lo), float(hi)]
        out[f"n_tail_{key}"] = int(np.sum(ra <= np.quantile(ra, q)))
    return out
