"""Lending markets on the kernel: Aave v3-style (kinked model, scaled balances) and Compound v2-style
(jump-rate model, cTokens), with reserve factors, caps, collateral and cash-limited withdrawals.
See docs/lending.md."""

from __future__ import annotations

from .aave import AaveMarket, AaveReserve
from .base import LendingMarket, MarketParams
from .compound import CompoundMarket, CompoundState
from .presets import AAVE_USDC, COMPOUND_USDC, aave_params, jump_params

__all__ = [
    "AAVE_USDC",
    "COMPOUND_USDC",
    "AaveMarket",
    "AaveReserve",
    "CompoundMarket",
    "CompoundState",
    "LendingMarket",
    "MarketParams",
    "aave_params",
    "jump_params",
]
