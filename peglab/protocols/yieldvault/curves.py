"""Own-impact supply-rate curves for ``MarketView.apr_after``, frozen at one market state.

``AaveCurve(model, cash, debt, rf)(delta)`` is the annual supply rate [ray] Aave's kinked model
gives if ``delta`` more (or, negative, less) cash sat in the market; ``JumpCurve`` the same for
Compound's jump-rate model (per-second rate × YEAR); ``FlatCurve`` a fixed rate (a term deposit);
``DilutedCurve`` a pool's fee APR spread over the vault's added liquidity. ``curve_of(market)``
gives a market's curve (live, or the market's frozen one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from ...math.rates import (
    AaveRateParams,
    JumpRateParams,
    aave_interest_rates,
    compound_supply_rate,
)
from ...units import RAY, WAD, YEAR

__all__ = ["AaveCurve", "DilutedCurve", "FlatCurve", "JumpCurve", "RateQuoting", "curve_of"]


@dataclass(frozen=True, slots=True)
class AaveCurve:
    model: AaveRateParams
    cash: int
    debt: int
    reserve_factor_bps: int

    def __call__(self, delta: int) -> int:
        return aave_interest_rates(
            self.model, max(0, self.cash + delta), self.debt, self.reserve_factor_bps
        )[0]


@dataclass(frozen=True, slots=True)
class JumpCurve:
    model: JumpRateParams
    cash: int
    borrows: int
    reserves: int
    reserve_factor_bps: int

    def __call__(self, delta: int) -> int:
        rf = self.reserve_factor_bps * WAD // 10_000
        cash = max(0, self.cash + delta)
        if self.borrows and cash + self.borrows <= self.reserves:
            return 0
        rate = compound_supply_rate(self.model, cash, self.borrows, self.reserves, rf)
        return rate * (RAY // WAD) * YEAR


@dataclass(frozen=True, slots=True)
class DilutedCurve:
    """A fixed income spread over more liquidity: ``rate · value / (value + delta)`` (a pool's
    fee APR when the vault adds ``delta``)."""

    rate_ray: int
    value: int

    def __call__(self, delta: int) -> int:
        return self.rate_ray * self.value // max(1, self.value + delta)


@dataclass(frozen=True, slots=True)
class FlatCurve:
    rate_ray: int

    def __call__(self, delta: int) -> int:
        return self.rate_ray


class RateQuoting(Protocol):
    """What ``curve_of`` needs from a market: its exact rates after a cash delta."""

    def rates_ray(self, supply_delta: int = 0, debt_delta: int = 0) -> tuple[int, int]: ...


@dataclass(frozen=True, slots=True)
class _LiveCurve:
    market: RateQuoting

    def __call__(self, delta: int) -> int:
        return self.market.rates_ray(supply_delta=delta)[0]


def curve_of(market: RateQuoting) -> Callable[[int], int]:
    """The market's own curve, frozen by the market if it offers ``curve()`` (a pool sleeve),
    else read live; either is valid until the market's state changes (read at decision time)."""
    frozen = getattr(market, "curve", None)
    if callable(frozen):
        curve: Callable[[int], int] = frozen()
        return curve
    return _LiveCurve(market)
