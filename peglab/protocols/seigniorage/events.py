"""Typed events of the seigniorage (Terra-style mint/burn) reference model and its savings pool."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ...kernel import Event

__all__ = ["NativePriceSet", "SavingsDeposited", "SavingsWithdrawn", "Swapped"]


@dataclass(frozen=True, slots=True)
class NativePriceSet(Event):
    kind: ClassVar[str] = "seigniorage/price"
    price_wad: int


@dataclass(frozen=True, slots=True)
class Swapped(Event):
    """A mint/burn swap through the market module: ``offer`` burnt, ``ask`` minted."""

    kind: ClassVar[str] = "seigniorage/swap"
    trader: str
    offer_token: str
    offer_wad: int
    ask_token: str
    ask_wad: int
    spread_wad: int
    delta_usd_wad: int


@dataclass(frozen=True, slots=True)
class SavingsDeposited(Event):
    kind: ClassVar[str] = "seigniorage/save"
    owner: str
    amount_wad: int
    shares_wad: int


@dataclass(frozen=True, slots=True)
class SavingsWithdrawn(Event):
    kind: ClassVar[str] = "seigniorage/unsave"
    owner: str
    shares_wad: int
    amount_wad: int
