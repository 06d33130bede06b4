"""What one simulated path returns, and the path-level helpers every family shares.

``PathResult`` is the interface between a per-path function (``sim.runner.run_path``, the exact
engine, or ``sim.runner.float_path``, the float models) and the Monte Carlo driver in ``risk``;
``assemble`` builds it from the families' measurements; ``report_grid`` fixes where series are
sampled (``PoolReserves``: a vectorised model's pool reserves on it); ``peg_metrics`` turns one
price series into the peg measures of docs/risk-spec.md §6. They live in ``sim`` so runners
never import ``risk``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from ..errors import InvalidInput
from .family import market_assets

if TYPE_CHECKING:
    from .family import Family, FamilyMetrics
    from .scenario import Scenario

__all__ = [
    "PEG_THRESHOLDS",
    "PathResult",
    "PoolReserves",
    "RunPath",
    "assemble",
    "peg_metrics",
    "report_grid",
    "with_market_series",
    "with_pool_series",
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


class PoolReserves:
    """A batch's pool reserves on ``report_grid(n_steps)``, as a vectorised model samples them:
    ``series[<pool id>:<coin>]`` is a float64 ``[paths, points]`` array in tokens (NaN until
    sampled), the ``reserve.<pool>:<coin>`` series of ``sim.runner.vector_chunk``."""

    def __init__(self, n_steps: int, paths: int) -> None:
        grid = report_grid(n_steps)
        self._at = {int(k): g for g, k in enumerate(grid)}
        self.paths, self.points = paths, len(grid)
        self.series: dict[str, np.ndarray] = {}

    def sample(self, k: int, pid: str, coins: Sequence[str], held: Sequence[np.ndarray]) -> None:
        """Pool ``pid``'s reserve of each coin after step ``k``'s trades (``held[i]``: coin
        ``coins[i]`` per path, tokens), kept when ``k`` is a point of the grid."""
        g = self._at.get(k)
        if g is None:
            return
        for coin, values in zip(coins, held, strict=True):
            key = f"{pid}:{coin}"
            arr = self.series.get(key)
            if arr is None:
                arr = self.series[key] = np.full((self.paths, self.points), np.nan)
            arr[:, g] = values


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


def assemble(sc: Scenario, measured: Sequence[tuple[Family, FamilyMetrics]]) -> PathResult:
    """One path's :class:`PathResult` from each family's measurements.

    Per-instance metrics become ``<name>.<instance>``; metrics whose spec has a ``total`` are
    combined across every instance of every family into ``<name>`` (sum, min or max, in family
    and instance order); family-level metrics keep their name; series become
    ``<name>.<instance>``. A metric a family did not register is refused (``sim/unregistered``).
    """
    metrics: dict[str, float] = {}
    series: dict[str, np.ndarray] = {}
    totals: dict[str, float] = {}
    kinds: dict[str, str] = {}
    for fam, fm in measured:
        specs = {m.name: m for m in fam.metrics}
        for inst, values in fm.per_instance.items():
            for key, val in values.items():
                spec = specs.get(key)
                if spec is None:
                    raise InvalidInput(
                        "sim/unregistered", f"family {fam.key}: metric {key!r} is not registered"
                    )
                metrics[f"{key}.{inst}"] = float(val)
                if spec.total is not None:
                    kinds[key] = spec.total
                    totals[key] = _combine(spec.total, totals.get(key), float(val))
        for key, val in fm.family.items():
            if key not in specs:
                raise InvalidInput(
                    "sim/unregistered", f"family {fam.key}: metric {key!r} is not registered"
                )
            metrics[key] = float(val)
        for inst, named in fm.series.items():
            for key, arr in named.items():
                series[f"{key}.{inst}"] = arr
    metrics.update(totals)
    return PathResult(metrics=metrics, series=series)


def with_market_series(
    sc: Scenario, result: PathResult, realised: np.ndarray, fundamental: np.ndarray
) -> PathResult:
    """``result`` plus ``price.<SYMBOL>`` (market) and ``fundamental.<SYMBOL>`` series."""
    grid = report_grid(sc.n_steps)
    idx = sc.asset_index
    series = dict(result.series)
    for sym in market_assets(sc):
        series[f"price.{sym}"] = np.asarray(realised[grid, idx[sym]])
        series[f"fundamental.{sym}"] = np.asarray(fundamental[grid, idx[sym]])
    return PathResult(metrics=result.metrics, series=series)


def with_pool_series(result: PathResult, reserves: Mapping[str, np.ndarray]) -> PathResult:
    """``result`` plus ``reserve.<pool>:<coin>``: each pool's reserve of each coin [tokens],
    sampled on ``report_grid`` (the exact runner: every deployed pool; the vectorised models:
    each pool recorded by the model that owns it, ``sim.runner.vector_chunk``)."""
    series = dict(result.series)
    for coin, values in reserves.items():
        series[f"reserve.{coin}"] = np.asarray(values)
    return PathResult(metrics=result.metrics, series=series)


def _combine(kind: str, acc: float | None, val: float) -> float:
    if kind == "sum":
        return (0.0 if acc is None else acc) + val
    if acc is None:
        return val
    return min(acc, val) if kind == "min" else max(acc, val)
