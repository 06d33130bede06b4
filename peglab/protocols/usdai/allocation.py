"""Staged allocation from T-bills to GPU loans: how much the strategy may lend (docs/usdai.md §6).

USD.AI's published roadmap moves in stages: Genesis (T-bill yield only), Unity (loans added
slowly, "20-30% utilization", 70-80% kept in T-bills), Sprawl (governance, insurance fund,
gauge-weighted collateral). The policy [O] is pure integer arithmetic on the NAV, in USDai wad::

    loan_share <= u_max(stage)              Genesis 0, Unity 30%, Sprawl 50% (configurable)
    T-bills >= max(liquidity_floor * NAV, projected 60-day redemptions)   floor 50%
    new loan <= min(u_max * NAV - loans, T-bills - floor)   (never negative)
    each loan waits an onboarding delay (14-60 days of burn-in) before it can be funded

``onboarding_delay`` maps a uniform draw in [0, 1e18] (the caller's seeded generator) to a delay,
so the policy itself holds no randomness.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ...errors import InvalidInput
from ...units import BPS, DAY, WAD

__all__ = ["AllocationPolicy", "Stage"]

Stage = Literal["genesis", "unity", "sprawl"]


def _default_caps() -> dict[str, int]:
    return {"genesis": 0, "unity": 3_000, "sprawl": 5_000}


@dataclass(frozen=True, slots=True)
class AllocationPolicy:
    """Loan caps per stage (bps of NAV), the liquidity floor and the onboarding delay range."""

    stage: Stage = "unity"
    u_max_bps: dict[str, int] = field(default_factory=_default_caps)
    liquidity_floor_bps: int = 5_000
    min_onboarding_s: int = 14 * DAY
    max_onboarding_s: int = 60 * DAY

    def __post_init__(self) -> None:
        if self.stage not in self.u_max_bps:
            raise InvalidInput("usdai/bad-stage", f"unknown stage {self.stage!r}")
        if (
            any(not 0 <= v <= BPS for v in self.u_max_bps.values())
            or not 0 <= self.liquidity_floor_bps <= BPS
        ):
            raise InvalidInput("usdai/bad-config", "caps and floor are bps in [0, 10000]")
        if not 0 <= self.min_onboarding_s <= self.max_onboarding_s:
            raise InvalidInput("usdai/bad-config", "onboarding delay range is inverted")

    def loan_cap(self, nav: int) -> int:
        """``u_max(stage) * NAV`` (floor)."""
        return nav * self.u_max_bps[self.stage] // BPS

    def tbill_floor(self, nav: int, projected_redemptions_60d: int) -> int:
        """T-bills that must stay: ``max(floor * NAV, projected 60-day redemptions)`` (ceil)."""
        return max(-(-nav * self.liquidity_floor_bps // BPS), projected_redemptions_60d)

    def max_new_loan(
        self, nav: int, loans: int, tbills: int, projected_redemptions_60d: int
    ) -> int:
        """The largest new loan both limits allow (0 when either binds)."""
        room_cap = self.loan_cap(nav) - loans
        room_liq = tbills - self.tbill_floor(nav, projected_redemptions_60d)
        return max(0, min(room_cap, room_liq))

    def onboarding_delay(self, u_wad: int) -> int:
        """Delay for a uniform draw ``u_wad`` in [0, 1e18]: ``min + u * (max - min)`` seconds."""
        if type(u_wad) is not int or not 0 <= u_wad <= WAD:
            raise InvalidInput("usdai/bad-draw", f"draw must be an int in [0, 1e18], got {u_wad!r}")
        return (
            self.min_onboarding_s + u_wad * (self.max_onboarding_s - self.min_onboarding_s) // WAD
        )
