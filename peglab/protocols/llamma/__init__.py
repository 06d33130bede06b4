"""LLAMMA (crvUSD's lending-liquidating AMM) and its Controller, in exact integers (docs/llamma.md)."""

from __future__ import annotations

from .amm import AmmState, Llamma, PriceOracle
from .controller import Controller, ControllerState
from .events import (
    FeeSet,
    LoanChanged,
    LoanCreated,
    LoanLiquidated,
    LoanRepaid,
    OraclePriceSet,
    RateSet,
    TokenExchange,
)
from .market import LlammaMarket, MarketParams, create_market

__all__ = [
    "AmmState",
    "Controller",
    "ControllerState",
    "FeeSet",
    "Llamma",
    "LlammaMarket",
    "LoanChanged",
    "LoanCreated",
    "LoanLiquidated",
    "LoanRepaid",
    "MarketParams",
    "OraclePriceSet",
    "PriceOracle",
    "RateSet",
    "TokenExchange",
    "create_market",
]
