"""GPU collateral value: residual-value curves and next-generation steps, exact (docs/gpu-economy.md
§3). Shared by both GPU-credit families and the risk lab::

    V(t) = V0 * residual(age(t)) * Π_j (1 - step_j)        next-generation launches j before t
    recovery = min(balance, V(t_sale) * (1 - sale_cost)) + insurance_top_up

A curve is a tuple of knots ``(age_s, residual_wad)`` starting at ``(0, 1e18)``; between knots the
residual is linear in time (floor), after the last knot it stays at the last value. Built in:

* ``THIRD_PARTY_H100`` (default): the midpoints of the third-party H100 residuals, 62.5% at 12
  months, 42.5% at 24, 30% at 36, 17.5% at 48 (observed values: the launches of their period are
  already in them);
* ``USDAI_OPTIMISTIC``: USD.AI's "about 15-20% a year", as 17.5% declining balance, yearly knots.

Next-generation launches knock the value down by 20-30% each (``steps_bps``). Everything rounds
down: a collateral value is never overstated. ``float_knots`` gives a curve in years and floats
for vectorised models. (The interface is the one the USD.AI family uses, so both families and
the lab share one module.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from ..units import BPS, WAD, YEAR

__all__ = [
    "MONTH",
    "THIRD_PARTY_H100",
    "USDAI_OPTIMISTIC",
    "ResidualCurve",
    "collateral_value",
    "float_knots",
    "recovery",
    "residual_wad",
]

MONTH: int = YEAR // 12  # 2,628,000 s


@dataclass(frozen=True, slots=True)
class ResidualCurve:
    """Residual value (fraction of the new price, wad) against age in seconds."""

    name: str
    knots: tuple[tuple[int, int], ...]

    def __post_init__(self) -> None:
        ages = [a for a, _ in self.knots]
        if not self.knots or self.knots[0] != (0, WAD) or ages != sorted(set(ages)):
            raise ValueError(f"{self.name}: knots must start at (0, 1e18) with rising ages")
        if any(not 0 <= r <= WAD for _, r in self.knots):
            raise ValueError(f"{self.name}: residuals must be in [0, 1e18]")


THIRD_PARTY_H100 = ResidualCurve(
    "third-party-h100",
    ((0, WAD), (12 * MONTH, 625 * WAD // 1000), (24 * MONTH, 425 * WAD // 1000),
     (36 * MONTH, 300 * WAD // 1000), (48 * MONTH, 175 * WAD // 1000)),
)  # fmt: skip


def _declining(rate_bps: int, years: int) -> tuple[tuple[int, int], ...]:
    knots = [(0, WAD)]
    r = WAD
    for y in range(1, years + 1):
        r = r * (BPS - rate_bps) // BPS
        knots.append((y * YEAR, r))
    return tuple(knots)


USDAI_OPTIMISTIC = ResidualCurve("usdai-optimistic", _declining(1_750, 6))


def residual_wad(curve: ResidualCurve, age_s: int) -> int:
    """Residual fraction at ``age_s`` seconds (linear between knots, floor; flat after the last)."""
    if age_s <= 0:
        return WAD
    for (a0, r0), (a1, r1) in pairwise(curve.knots):
        if age_s <= a1:
            return r0 + ((r1 - r0) * (age_s - a0)) // (a1 - a0)  # floor (r1 <= r0)
    return curve.knots[-1][1]


def collateral_value(
    v0: int, age_s: int, curve: ResidualCurve, steps_bps: Sequence[int] = ()
) -> int:
    """``V0 * residual(age) * Π (1 - step)``, each product floored."""
    v = v0 * residual_wad(curve, age_s) // WAD
    for s in steps_bps:
        v = v * (BPS - s) // BPS
    return v


def recovery(balance: int, value: int, sale_cost_bps: int, insurance_top_up: int = 0) -> int:
    """What a sale recovers against ``balance``: ``min(balance, value * (1 - cost)) + top-up``."""
    return min(balance, value * (BPS - sale_cost_bps) // BPS) + insurance_top_up


def float_knots(curve: ResidualCurve) -> tuple[list[float], list[float]]:
    """The curve as (ages in years, residual fractions) floats."""
    return [a / YEAR for a, _ in curve.knots], [r / WAD for _, r in curve.knots]
