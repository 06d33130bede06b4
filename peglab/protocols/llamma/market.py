"""One LLAMMA market assembled: its oracle, its AMM and its Controller (docs/llamma.md §1)."""

from __future__ import annotations

from dataclasses import dataclass

from ...kernel import Chain
from .amm import Llamma, PriceOracle
from .controller import Controller

__all__ = ["LlammaMarket", "MarketParams", "create_market"]


@dataclass(frozen=True, slots=True)
class MarketParams:
    """A market's parameters; the defaults are crvUSD's ETH markets at launch (docs/llamma.md §5)."""

    a: int = 100
    fee_wad: int = 6 * 10**15  # 0.6%
    admin_fee_wad: int = 0
    loan_discount_wad: int = 9 * 10**16  # 9%
    liquidation_discount_wad: int = 6 * 10**16  # 6%


@dataclass(frozen=True, slots=True)
class LlammaMarket:
    oracle: PriceOracle
    amm: Llamma
    controller: Controller


def create_market(
    chain: Chain,
    *,
    borrowed: str,
    collateral: str,
    price_wad: int,
    params: MarketParams | None = None,
    name: str = "llamma",
) -> LlammaMarket:
    """A market on existing tokens; band 0 starts at ``price_wad`` (the base price)."""
    p = params or MarketParams()
    oracle = PriceOracle(chain, price_wad, name=name)
    amm = Llamma(
        chain,
        borrowed=borrowed,
        collateral=collateral,
        a=p.a,
        base_price_wad=price_wad,
        fee_wad=p.fee_wad,
        admin_fee_wad=p.admin_fee_wad,
        oracle=oracle,
        name=name,
    )
    controller = Controller(
        chain,
        amm,
        loan_discount_wad=p.loan_discount_wad,
        liquidation_discount_wad=p.liquidation_discount_wad,
        name=name,
    )
    return LlammaMarket(oracle, amm, controller)
