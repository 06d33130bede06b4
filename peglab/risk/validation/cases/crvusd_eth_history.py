"""V5 on ETH's own dips: the whitepaper's back-test anchored on ETH's daily history (docs/validation.md §12).

The windows are the 3-day stretches of ETH's daily prices (``peglab/sim/data/prices/eth.csv``)
whose lowest of the next three daily prices is 9-11% below the start, scanned forward without
overlap over consecutive days. Inside each window the minutes are a log-space Brownian bridge
through the daily prices with the series' own volatility. Each draw takes four windows at
random (its seed) and runs them through the same LLAMMA and Clipper runs as the simulated case
(``crvusd_soft_liquidation``), so the two cases differ only in where the dips come from.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import cache
from itertools import pairwise

import numpy as np

from ....sim.calibrate_series import load_prices
from ..core import Value
from .crvusd_soft_liquidation import DIP_BIN, P0, summarise

__all__ = ["NAME", "WINDOWS_PER_DRAW", "bridge", "eth_windows", "run"]

NAME = "crvusd-soft-liquidation-eth"
WINDOWS_PER_DRAW = 4  # [O] (full form: 8 draws, reduced: 1; targets.toml)
_DAY_MIN = 1440


@cache
def eth_windows() -> tuple[tuple[str, tuple[float, ...]], ...]:
    """(start day, four daily prices) of every qualifying dip, oldest first."""
    days, prices = load_prices("ETH")
    out: list[tuple[str, tuple[float, ...]]] = []
    t = 0
    while t + 3 < len(prices):
        span = days[t : t + 4]
        consecutive = bool(np.all(np.diff(span) == np.timedelta64(1, "D")))
        low = float(prices[t + 1 : t + 4].min() / prices[t])
        if consecutive and DIP_BIN[0] <= low <= DIP_BIN[1]:
            out.append((str(days[t]), tuple(float(p) for p in prices[t : t + 4])))
            t += 3
        t += 1
    return tuple(out)


@cache
def daily_sigma() -> float:
    """ETH's daily-return volatility over the whole series, per year ([F] on the series)."""
    _, prices = load_prices("ETH")
    return float(np.diff(np.log(prices)).std() * math.sqrt(365))


def bridge(daily: tuple[float, ...], rng: np.random.Generator) -> np.ndarray:
    """A 1-minute path through ``daily`` (one price a day), rescaled to start at ``P0``."""
    dt = 1.0 / (365 * _DAY_MIN)
    sd = daily_sigma() * math.sqrt(dt)
    logs = np.log(np.asarray(daily) / daily[0] * P0)
    pieces = [np.array([logs[0]])]
    for a, b in pairwise(logs):
        walk = np.concatenate([[0.0], np.cumsum(rng.normal(0.0, sd, _DAY_MIN))])
        frac = np.arange(_DAY_MIN + 1) / _DAY_MIN
        leg = a + walk - frac * walk[-1] + frac * (b - a)  # pinned at both days' prices
        pieces.append(leg[1:])
    path: np.ndarray = np.exp(np.concatenate(pieces))
    return path


def run(draw: int, seed: np.random.SeedSequence) -> Mapping[str, Value]:
    """One draw: four of ETH's dips chosen by the seed, each with its own intraday bridge."""
    rng = np.random.default_rng(seed)
    windows = eth_windows()
    picks = rng.choice(len(windows), size=WINDOWS_PER_DRAW, replace=False)
    paths = [bridge(windows[int(k)][1], rng) for k in sorted(picks)]
    return summarise(paths)
