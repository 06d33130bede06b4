"""What one simulated path returns, and the path-level metrics both runners share.

``PathResult`` is the interface between a per-path runner (``sim.runner.run_path``, the exact
engine, or the float reference model in ``risk.montecarlo``) and the Monte Carlo driver in
``risk``; ``report_grid`` fixes where series are sampled; ``peg_metrics`` turns one price series
into the peg measures of risk.md §6. They live in ``sim`` so runners never import ``risk``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

if TYPE_CHECKING:
    from .scenario import Scenario

__all__ = [
    "PEG_THRESHOLDS",
    "TOTALS",
    "PathResult",
    "RunPath",
    "assemble_result",
    "peg_metrics",
    "report_grid",
]

PEG_THRESHOLDS: tuple[float, ...] = (0.99, 0.98, 0.95)


@dataclass(frozen=True, slots=True)
class PathResult:
    """One path's outcome: scalar ``metrics`` (one CSV row) and small per-step ``series``.

    Series are 1-D sequences sampled on ``report_grid(scenario.n_steps)`` (at most a few hundred
    points). Metric and series names follow the convention in the module docstring.
    """

    metrics: Mapping[str, float]
    series: Mapping[str, Sequence[float] | np.ndarray] = field(default_factory=dict)


RunPath = Callable[["Scenario", int, np.random.SeedSequence], PathResult]


def report_grid(n_steps: int, max_points: int = 193) -> np.ndarray:
    """Step indices of the report series: ``0, s, 2s, ..., n_steps`` with ``s = ceil(n/(m-1))``."""
    stride = max(1, math.ceil(n_steps / max(1, max_points - 1)))
    grid = np.arange(0, n_steps + 1, stride)
    if grid[-1] != n_steps:
        grid = np.append(grid, n_steps)
    return grid


def peg_metrics(
    prices: ArrayLike,
    step_s: float,
    thresholds: tuple[float, ...] = PEG_THRESHOLDS,
    band: float = 0.005,
) -> dict[str, float]:
    """Peg metrics of one price series on a regular grid (module docstring for definitions).

    Keys: ``min_price``, ``max_price``, ``max_dev``, ``below_<thr>`` (fraction of samples, e.g.
    ``below_0.99``), ``dev_area_h``, ``time_to_recover_s``, ``recovered`` (1.0 or 0.0).
    """
    p = np.asarray(prices, dtype=np.float64).ravel()
    if p.size == 0 or not np.all(np.isfinite(p)):
        raise ValueError("prices must be a non-empty finite series")
    dev = np.abs(p - 1.0)
    out: dict[str, float] = {
        "min_price": float(p.min()),
        "max_price": float(p.max()),
        "max_dev": float(dev.max()),
    }
    for thr in thresholds:
        out[f"below_{thr:g}"] = float(np.mean(p < thr))
    out["dev_area_h"] = float(dev[:-1].sum() * step_s / 3600.0)
    outside = dev > band
    if not outside.any():
        out["time_to_recover_s"] = 0.0
        out["recovered"] = 1.0
        return out
    worst = int(np.argmax(dev))
    inside_before = np.flatnonzero(~outside[:worst])
    start = int(inside_before[-1]) + 1 if inside_before.size else 0
    inside_after = np.flatnonzero(~outside[worst:])
    if inside_after.size:
        end = worst + int(inside_after[0])
        out["time_to_recover_s"] = float((end - start) * step_s)
        out["recovered"] = 1.0
    else:
        out["time_to_recover_s"] = float((p.size - 1 - start) * step_s)
        out["recovered"] = 0.0
    return out


# the per-path totals summed over AI dollars (the Monte Carlo's tail measures apply to them)
TOTALS: tuple[str, ...] = (
    "bad_debt_usd",
    "bad_debt_final_usd",
    "recap_usd",
    "liquidated_usd",
    "borrower_loss_usd",
    "keeper_profit_usd",
    "zero_bids",
    "liquidations",
)


def assemble_result(
    sc: Scenario,
    deficits_usd: Sequence[float],
    stats: Sequence[Mapping[str, float]],
    peg: np.ndarray,
    cr: np.ndarray,
    liq_step: np.ndarray,
    gov_price: float,
    extra: Sequence[Mapping[str, float]] = (),
) -> PathResult:
    """One path's metrics and series from per-AI-dollar outcomes (both runners call this).

    ``deficits_usd[i]``: buffer deficit of AI dollar ``i`` at the horizon (open auctions valued at
    the exit bid). The recapitalisation waterfall (cdp.md §9) applies the surplus buffer
    (``surplus_buffer`` x initial debt), then the project backstop (``backstop`` x Line), then
    governance-token recapitalisation (``recap_limit`` x initial debt); what remains is
    ``bad_debt_final_usd``. ``stats[i]`` holds: liquidated, barks, zero, proceeds, take_value,
    clear_time, closed, given, cleared_due, keeper. ``peg``, ``cr``, ``liq_step`` are
    ``(n_dollars, n_steps + 1)`` arrays.
    """
    grid = report_grid(sc.n_steps)
    metrics: dict[str, float] = {}
    series: dict[str, np.ndarray] = {}
    totals = dict.fromkeys(TOTALS, 0.0)
    for d_i, dol in enumerate(sc.system.ai_dollars):
        sym, st = dol.symbol, stats[d_i]
        debt0 = sum(float(c.vaults.debt_usd) for c in dol.collaterals)
        bad = max(0.0, deficits_usd[d_i] - float(dol.surplus_buffer) * debt0)
        backstop = min(bad, float(dol.backstop) * float(dol.line_usd))
        recap = min(bad - backstop, float(dol.recap_limit) * debt0)
        pm = peg_metrics(peg[d_i], sc.step)
        closed = st["closed"]
        finite = np.isfinite(cr[d_i])
        m = {
            "bad_debt_usd": bad,
            "bad_debt_final_usd": bad - backstop - recap,
            "backstop_used_usd": backstop,
            "recap_usd": recap,
            "liquidated_usd": st["liquidated"],
            "liquidations": st["barks"],
            "zero_bids": st["zero"],
            "clear_ratio": st["proceeds"] / st["take_value"] if st["take_value"] > 0 else math.nan,
            "time_to_clear_s": st["clear_time"] / closed if closed else math.nan,
            "borrower_loss_usd": st["given"] - st["cleared_due"],
            "keeper_profit_usd": st["keeper"],
            "peg_min": pm["min_price"],
            "peg_max": pm["max_price"],
            "below_0.99": pm["below_0.99"],
            "below_0.95": pm["below_0.95"],
            "time_to_recover_s": pm["time_to_recover_s"],
            "cr_end": float(cr[d_i, -1]),
            "cr_min": float(np.nanmin(cr[d_i])) if finite.any() else math.nan,
        }
        if d_i < len(extra):
            m.update(extra[d_i])
        for key, val in m.items():
            metrics[f"{key}.{sym}"] = float(val)
        for key in TOTALS:
            totals[key] += float(m[key])
        series[f"peg.{sym}"] = peg[d_i, grid]
        cum = np.concatenate([[0.0], np.cumsum(liq_step[d_i, 1:])])[grid]
        series[f"liquidated_usd.{sym}"] = np.diff(cum, prepend=0.0)
        series[f"cr.{sym}"] = cr[d_i, grid]
    metrics.update(totals)
    metrics["peg_min"] = float(peg.min())
    metrics["dilution_tokens"] = totals["recap_usd"] / gov_price if gov_price > 0 else math.nan
    return PathResult(metrics=metrics, series=series)
