"""Typed events of the lending markets: one per state-changing action."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ...kernel import Event

__all__ = [
    "Borrowed",
    "CollateralDeposited",
    "CollateralPriceSet",
    "CollateralWithdrawn",
    "InterestAccrued",
    "MarketParameterChanged",
    "Repaid",
    "Supplied",
    "TreasuryMinted",
    "Withdrawn",
]


@dataclass(frozen=True, slots=True)
class Supplied(Event):
    """``amount`` of the asset entered; ``units`` of the market's supply token were minted."""

    kind: ClassVar[str] = "lending/supply"
    market: str
    supplier: str
    on_behalf: str
    amount: int
    units: int


@dataclass(frozen=True, slots=True)
class Withdrawn(Event):
    kind: ClassVar[str] = "lending/withdraw"
    market: str
    owner: str
    to: str
    amount: int
    units: int


@dataclass(frozen=True, slots=True)
class Borrowed(Event):
    kind: ClassVar[str] = "lending/borrow"
    market: str
    borrower: str
    amount: int


@dataclass(frozen=True, slots=True)
class Repaid(Event):
    kind: ClassVar[str] = "lending/repay"
    market: str
    payer: str
    borrower: str
    amount: int


@dataclass(frozen=True, slots=True)
class CollateralDeposited(Event):
    kind: ClassVar[str] = "lending/collateral-deposit"
    market: str
    owner: str
    amount: int


@dataclass(frozen=True, slots=True)
class CollateralWithdrawn(Event):
    kind: ClassVar[str] = "lending/collateral-withdraw"
    market: str
    owner: str
    amount: int


@dataclass(frozen=True, slots=True)
class InterestAccrued(Event):
    """An explicit ``accrue`` poke; ``interest`` is the debt added since the last update."""

    kind: ClassVar[str] = "lending/accrue"
    market: str
    interest: int
    supply_rate_ray: int
    borrow_rate_ray: int


@dataclass(frozen=True, slots=True)
class MarketParameterChanged(Event):
    kind: ClassVar[str] = "lending/file"
    market: str
    what: str
    value: int


@dataclass(frozen=True, slots=True)
class CollateralPriceSet(Event):
    kind: ClassVar[str] = "lending/collateral-price"
    market: str
    price_wad: int


@dataclass(frozen=True, slots=True)
class TreasuryMinted(Event):
    kind: ClassVar[str] = "lending/treasury-mint"
    market: str
    amount: int
