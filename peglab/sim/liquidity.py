"""The external-liquidity model of the risk lab, in float64 numpy (docs/risk-spec.md §5).

Pure functions: the external exit bid ``bid(q) = p (1 - eta (q p / V)^delta)`` (``q p / V`` is
the sale's notional over the depth, both in USD), its calibration to ``D10`` (a sale of ``D10``
costs 10%), depth dynamics ``V_t = V_0 exp(-kappa drawdown_t) * multiplier_t`` and a gas
multiplier correlated with crashes.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "calibrate_eta",
    "d10_from_depth",
    "depth_multiplier",
    "depth_path",
    "exit_bid",
    "exit_bid_one",
    "exit_proceeds",
    "gas_multiplier",
    "running_drawdown",
]

FloatArray = NDArray[np.float64]


def exit_bid(
    q: ArrayLike, price: ArrayLike, depth_usd: ArrayLike, eta: float = 0.1, delta: float = 0.5
) -> FloatArray:
    """Average price per unit for selling ``q`` units: ``p (1 - eta (q p / V)^delta)``, floored at 0.

    ``V`` is the depth in USD; with ``V = D10`` and ``eta = 0.1`` a sale of ``D10`` costs exactly 10%.
    """
    q_a = np.asarray(q, dtype=np.float64)
    p_a = np.asarray(price, dtype=np.float64)
    v_a = np.asarray(depth_usd, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(v_a > 0, np.maximum(q_a, 0.0) * p_a / v_a, np.inf)
        impact = np.where(q_a > 0, eta * ratio**delta, 0.0)
    return np.asarray(p_a * np.clip(1.0 - impact, 0.0, 1.0), dtype=np.float64)


def exit_bid_one(
    q: float, p: float, depth_usd: float, eta: float = 0.1, delta: float = 0.5
) -> float:
    """Scalar :func:`exit_bid` for hot loops: ``p (1 - eta (q p / V)^delta)``, floored at 0."""
    if q <= 0:
        return p
    if depth_usd <= 0:
        return 0.0
    return p * max(0.0, 1.0 - eta * math.pow(q * p / depth_usd, delta))


def exit_proceeds(
    q: ArrayLike, price: ArrayLike, depth_usd: ArrayLike, eta: float = 0.1, delta: float = 0.5
) -> FloatArray:
    """USD received for selling ``q`` units: ``q * bid(q)``."""
    return np.asarray(q, dtype=np.float64) * exit_bid(q, price, depth_usd, eta, delta)


def calibrate_eta(
    d10_usd: float, depth_usd: float, delta: float = 0.5, impact: float = 0.10
) -> float:
    """``eta`` such that selling ``d10_usd`` of notional into depth ``V`` costs ``impact``:
    ``eta = impact (V / D10)^delta``."""
    if d10_usd <= 0 or depth_usd <= 0:
        raise ValueError("D10 and depth must be positive")
    return float(impact * (depth_usd / d10_usd) ** delta)


def d10_from_depth(
    depth_usd: ArrayLike, eta: float = 0.1, delta: float = 0.5, impact: float = 0.10
) -> FloatArray:
    """USD notional sellable at ``impact`` (10%) cost: ``D10 = V (impact / eta)^(1/delta)``."""
    return np.asarray(depth_usd, dtype=np.float64) * float((impact / eta) ** (1.0 / delta))


def running_drawdown(prices: FloatArray, axis: int = -2) -> FloatArray:
    """``1 - p_t / max_{s <= t} p_s`` along the time axis (default: the step axis of ``(.., N+1, K)``)."""
    peak = np.maximum.accumulate(prices, axis=axis)
    return np.asarray(1.0 - prices / peak, dtype=np.float64)


def depth_multiplier(drawdown: ArrayLike, kappa: float) -> FloatArray:
    """``m_t = exp(-kappa drawdown_t)`` (depth thins as the price falls, §5)."""
    return np.exp(-kappa * np.asarray(drawdown, dtype=np.float64))


def depth_path(
    depth0_usd: ArrayLike,
    prices: FloatArray,
    kappa: float,
    multiplier: ArrayLike | None = None,
) -> FloatArray:
    """``V_t = V_0 exp(-kappa drawdown_t) * multiplier_t`` for prices ``(.., N+1, K)``.

    ``multiplier`` (scenario depth shocks) broadcasts against the prices.
    """
    out = np.asarray(depth0_usd, dtype=np.float64) * depth_multiplier(
        running_drawdown(prices), kappa
    )
    if multiplier is not None:
        out = out * np.asarray(multiplier, dtype=np.float64)
    return np.asarray(out, dtype=np.float64)


def gas_multiplier(drawdown: ArrayLike, spike: float = 6.0, full_at: float = 0.4) -> FloatArray:
    """Gas price over baseline, rising linearly with the drawdown to ``spike`` at ``full_at``.

    ``g = 1 + (spike - 1) min(1, drawdown / full_at)`` (Black Thursday ~6x, docs/risk-spec.md §5).
    """
    dd = np.clip(np.asarray(drawdown, dtype=np.float64), 0.0, None)
    return 1.0 + (spike - 1.0) * np.minimum(1.0, dd / full_at)
