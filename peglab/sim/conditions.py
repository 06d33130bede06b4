"""Exogenous market conditions of one path, shared by every family and both models (docs/risk-spec.md §5).

From the path's market prices and the scenario's shocks: the running drawdown, the gas multiplier
(crash-correlated, or a gas shock, whichever is larger), external and pool depth factors, keeper
capital and latency factors, and the oracle modes. The exact runner and the float model read the
same arrays, so they see the same market.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .liquidity import gas_multiplier, running_drawdown
from .scenario import Scenario, oracle_modes, shock_factor

__all__ = ["Conditions"]


@dataclass(frozen=True, slots=True)
class Conditions:
    """Per-step arrays ``(n_steps + 1, ...)`` of one path (module docstring)."""

    prices: np.ndarray  # (n + 1, n_assets) market prices
    dd: np.ndarray  # (n + 1, n_assets) running drawdown
    gas: np.ndarray  # (n + 1,) gas over baseline
    ext_factor: np.ndarray  # external depth multiplier (depth shocks)
    pool_factor: np.ndarray  # pool depth multiplier (depth shocks)
    cap_factor: np.ndarray  # keeper capital multiplier
    lat_factor: np.ndarray  # keeper latency multiplier
    modes: np.ndarray  # (n + 1, n_assets) int8: 0 ok, 1 frozen, 2 stale, 3 manipulated
    msize: np.ndarray  # (n + 1, n_assets) manipulation size

    @classmethod
    def of(cls, sc: Scenario, prices: np.ndarray) -> Conditions:
        idx = sc.asset_index
        liq = sc.liquidity
        dd = running_drawdown(prices)
        volatile = [idx[a.symbol] for a in sc.assets if a.kind in ("ai-token", "major")]
        dd_sys = dd[:, volatile].max(axis=1) if volatile else np.zeros(sc.n_steps + 1)
        gas = np.maximum(
            gas_multiplier(dd_sys, float(liq.gas_spike), float(liq.gas_full_at)),
            shock_factor(sc, "gas"),
        )
        modes, msize = oracle_modes(sc)
        return cls(
            prices=prices,
            dd=dd,
            gas=gas,
            ext_factor=shock_factor(sc, "depth", target="external"),
            pool_factor=shock_factor(sc, "depth", target="pools"),
            cap_factor=shock_factor(sc, "keepers", "capital_factor"),
            lat_factor=shock_factor(sc, "keepers", "latency_factor"),
            modes=modes,
            msize=msize,
        )
