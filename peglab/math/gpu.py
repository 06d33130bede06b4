"""GPU collateral value: residual-value curves and next-generation steps (integer wad, pure).

    V(t) = V0 * residual(age(t)) * Π_j (1 - step_j)      over next-generation launches j before t

``residual_wad(curve, age_s)`` interpolates a curve given as knots ``(age in months, fraction in
bps)`` linearly in time and floors (a collateral value is never rounded up); past the last knot
it stays at the last value. ``launch_factor_wad(steps_bps)`` is the product of ``1 - step`` (floor
at each step). Curves (docs/gpu-economy.md §3):

* ``THIRD_PARTY_H100``: the published third-party H100 residuals, midpoints of 60-65% at 12
  months, 40-45% at 24, 25-35% at 36, 15-20% at 48 (these already include the launches of their
  period: use it alone when no launch model runs);
* ``USDAI_STRAIGHT_LINE``: USD.AI's "about 15-20% a year" depreciation, 17.5%/yr to zero (the
  optimistic variant);
* ``straight_line(years)``: the 3/4/5/6-year accounting lives of the sensitivity grid.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

from ..units import BPS, WAD

__all__ = [
    "MONTH_S",
    "THIRD_PARTY_H100",
    "USDAI_STRAIGHT_LINE",
    "collateral_value_wad",
    "launch_factor_wad",
    "residual_wad",
    "straight_line",
]

MONTH_S = 30 * 86_400
Curve = tuple[tuple[int, int], ...]  # (age in months, residual in bps), ages increasing from 0

THIRD_PARTY_H100: Curve = ((0, 10_000), (12, 6_250), (24, 4_250), (36, 3_000), (48, 1_750))
USDAI_STRAIGHT_LINE: Curve = ((0, 10_000), (12, 8_250), (24, 6_500), (36, 4_750), (48, 3_000),
                              (60, 1_250), (69, 0))  # fmt: skip


def straight_line(years: int) -> Curve:
    """Residual falling linearly to zero over ``years`` (accounting useful life)."""
    return ((0, BPS), (12 * years, 0))


def residual_wad(curve: Sequence[tuple[int, int]], age_s: int) -> int:
    """Residual fraction (wad) at ``age_s`` seconds: linear between knots, floored."""
    if age_s <= 0:
        return curve[0][1] * WAD // BPS
    for (m0, b0), (m1, b1) in pairwise(curve):
        t0, t1 = m0 * MONTH_S, m1 * MONTH_S
        if age_s <= t1:
            # b0 + (b1 - b0) * (age - t0) / (t1 - t0), in wad, floored
            num = (b0 * (t1 - t0) + (b1 - b0) * (age_s - t0)) * WAD
            return num // ((t1 - t0) * BPS)
    return curve[-1][1] * WAD // BPS


def launch_factor_wad(steps_bps: Sequence[int]) -> int:
    """Π (1 - step) over next-generation launches, each step in bps (floored at each step)."""
    f = WAD
    for s in steps_bps:
        f = f * (BPS - s) // BPS
    return f


def collateral_value_wad(
    v0_wad: int, curve: Sequence[tuple[int, int]], age_s: int, steps_bps: Sequence[int] = ()
) -> int:
    """``V0 * residual(age) * Π (1 - step)`` (floor)."""
    return v0_wad * residual_wad(curve, age_s) // WAD * launch_factor_wad(steps_bps) // WAD
