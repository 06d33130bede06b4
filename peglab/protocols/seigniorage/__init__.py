"""A Terra-style mint/burn stablecoin (reference model for validation V2) and its savings pool."""

from __future__ import annotations

from .events import NativePriceSet, SavingsDeposited, SavingsWithdrawn, Swapped
from .market import MarketParams, MarketState, SeigniorageMarket
from .savings import SavingsPool, SavingsState

__all__ = [
    "MarketParams",
    "MarketState",
    "NativePriceSet",
    "SavingsDeposited",
    "SavingsPool",
    "SavingsState",
    "SavingsWithdrawn",
    "SeigniorageMarket",
    "Swapped",
]
