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

__all__ = ["PEG_THRESHOLDS", "PathResult", "RunPath", "peg_metrics", "report_grid"]

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
