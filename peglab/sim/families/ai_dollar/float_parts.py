"""Pieces of the AI-dollar float model: the normalised StableSwap peg pool, the OSM, auction curves.

Float64 restatements of the engine's formulas (docs/amm-spec.md StableSwap invariant, docs/cdp-spec.md OSM and Dutch
auction ``calc``) for the float model (``float_model``); the exact runner uses the engine itself.
"""

from __future__ import annotations

import math

import numpy as np

from .schema import Collateral

__all__ = ["BUY_LIMIT", "PegPool", "clip_price", "crossing_age", "floor_age", "osm_path"]

BUY_LIMIT = (
    1.10  # [O] deleveraging buyers stop above $1.10 (DAI traded 1.06-1.12, docs/risk-spec.md V1)
)


def _stableswap_curve(amp: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """2-coin StableSwap with ``D = 1``: grid ``x``, balance ``y(x)``, price of x in y ``-dy/dx``.

    ``Ann (x + y) + D = Ann D + D^3 / (4 x y)`` with ``Ann = 2 A`` (A the contract value, docs/amm-spec.md):
    ``y = (-b + sqrt(b^2 + Ann / x)) / (2 Ann)``, ``b = Ann x + 1 - Ann``; the price follows from
    implicit differentiation, ``(Ann + 1/(4 x^2 y)) / (Ann + 1/(4 x y^2))``.
    """
    ann = 2.0 * amp
    x = np.geomspace(1e-3, 50.0, 6000)
    b = ann * x + 1.0 - ann
    y = (-b + np.sqrt(b * b + ann / x)) / (2.0 * ann)
    price = (ann + 1.0 / (4.0 * x * x * y)) / (ann + 1.0 / (4.0 * x * y * y))
    return x, y, price


class PegPool:
    """One AI dollar's USDC pool on the normalised curve: state ``r = x / D`` and depth ``D``."""

    def __init__(self, amp: int, depth_usd: float, fee: float) -> None:
        self.x, self.y, self.p = _stableswap_curve(amp)
        self.r = 0.5
        self.depth0 = self.depth = depth_usd  # D ~ TVL at balance
        self.fee = fee

    def price(self) -> float:
        return float(np.interp(self.r, self.x, self.p))

    def _r_at_price(self, target: float) -> float:
        return float(np.interp(target, self.p[::-1], self.x[::-1]))

    def _r_at_y(self, y: float) -> float:
        return float(np.interp(y, self.y[::-1], self.x[::-1]))

    def sell(self, amount: float, depth: float) -> None:
        """Sell ``amount`` AI USD into the pool."""
        if amount > 0 and depth > 0:
            self.r = min(self.x[-1], self.r + amount * (1 - self.fee) / depth)

    def buy(self, usdc: float, depth: float, limit: float = BUY_LIMIT) -> None:
        """Spend up to ``usdc`` on AI USD without pushing its price above ``limit``."""
        if usdc > 0 and depth > 0:
            y_now = float(np.interp(self.r, self.x, self.y))
            r_new = self._r_at_y(y_now + usdc * (1 - self.fee) / depth)
            self.r = max(r_new, self._r_at_price(limit), float(self.x[0]))

    def move_to_price(self, target: float, depth: float, cap: float) -> float:
        """Trade AI USD towards ``target`` price, at most ``cap`` coins; returns signed coins sold."""
        if depth <= 0 or cap <= 0:
            return 0.0
        dr = self._r_at_price(target) - self.r
        coins = max(-cap, min(cap, dr * depth))
        self.r += coins / depth
        return coins


def osm_path(
    source: np.ndarray, ok: np.ndarray, step_s: int, hop: int, max_age: int, max_jump: float = 0.4
) -> tuple[np.ndarray, np.ndarray]:
    """OSM value (cur) and validity per step (docs/cdp-spec.md §7.2-7.4), from a source feed and its ok flags."""
    n1 = source.shape[0]
    val = np.empty(n1)
    valid = np.empty(n1, dtype=bool)
    cur = nxt = float(source[0])
    zzz = 0
    pending: float | None = None
    for k in range(n1):
        t = k * step_s
        if t >= zzz + hop and ok[k]:
            v = float(source[k])
            cur = nxt
            if (
                cur > 0
                and abs(v / cur - 1.0) > max_jump
                and not (pending is not None and abs(v / pending - 1.0) <= 0.02)
            ):
                pending = v  # held by the deviation guard: nxt unchanged
            else:
                nxt, pending = v, None
            zzz = t - t % hop
        val[k] = cur
        valid[k] = t - zzz <= max_age
    return val, valid


def clip_price(c: Collateral, top: float, age: float) -> float:
    """Dutch auction price at ``age`` seconds (docs/cdp-spec.md §8.3 ``calc``)."""
    if c.calc == "linear":
        return top * max(0.0, (c.tau - age) / c.tau)
    if c.calc == "exponential":
        return top * math.pow(float(c.cut), age)
    return top * float(c.cut) ** math.floor(age / c.step)


def crossing_age(c: Collateral, top: float, thr: float) -> float:
    """First age at which the auction price is at or below ``thr`` (inf if never)."""
    if thr <= 0:
        return math.inf
    if thr >= top:
        return 0.0
    ratio = math.log(thr / top)
    if c.calc == "linear":
        return c.tau * (1.0 - thr / top)
    if c.calc == "exponential":
        return ratio / math.log(float(c.cut))
    return math.ceil(ratio / math.log(float(c.cut)) - 1e-12) * c.step


def floor_age(c: Collateral, top: float) -> float:
    """Age after which the auction needs a reset: past ``tail`` or below ``cusp * top``."""
    cusp = float(c.cusp)
    if c.calc == "linear":
        below = c.tau * (1.0 - cusp)
    elif c.calc == "exponential":
        below = math.log(cusp) / math.log(float(c.cut))
    else:
        below = (math.floor(math.log(cusp) / math.log(float(c.cut))) + 1) * c.step
    return min(float(c.tail), below - 1e-9)
