"""Typed events of the LLAMMA model: one per state-changing action."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ...kernel import Event

__all__ = [
    "FeeSet",
    "LoanChanged",
    "LoanCreated",
    "LoanLiquidated",
    "LoanRepaid",
    "OraclePriceSet",
    "RateSet",
    "TokenExchange",
]


@dataclass(frozen=True, slots=True)
class OraclePriceSet(Event):
    kind: ClassVar[str] = "llamma/oracle-price"
    price_wad: int


@dataclass(frozen=True, slots=True)
class TokenExchange(Event):
    """A trade against the bands (``sold_id`` 0: stablecoin in; 1: collateral in)."""

    kind: ClassVar[str] = "llamma/exchange"
    buyer: str
    sold_id: int
    tokens_sold: int
    bought_id: int
    tokens_bought: int
    active_band: int


@dataclass(frozen=True, slots=True)
class LoanCreated(Event):
    kind: ClassVar[str] = "llamma/create-loan"
    user: str
    collateral: int
    debt: int
    n1: int
    n2: int
    liquidation_discount_wad: int


@dataclass(frozen=True, slots=True)
class LoanChanged(Event):
    """Collateral added or removed, or more borrowed: the loan re-deposited in new bands."""

    kind: ClassVar[str] = "llamma/change-loan"
    user: str
    collateral_delta: int
    debt_delta: int
    collateral: int
    debt: int
    n1: int
    n2: int


@dataclass(frozen=True, slots=True)
class LoanRepaid(Event):
    kind: ClassVar[str] = "llamma/repay"
    user: str
    payer: str
    debt_repaid: int
    debt_left: int
    collateral_returned: int
    stablecoin_returned: int


@dataclass(frozen=True, slots=True)
class LoanLiquidated(Event):
    kind: ClassVar[str] = "llamma/liquidate"
    liquidator: str
    user: str
    collateral_received: int
    stablecoin_received: int
    debt: int
    debt_left: int


@dataclass(frozen=True, slots=True)
class RateSet(Event):
    kind: ClassVar[str] = "llamma/rate"
    rate_wad: int
    rate_mul_wad: int


@dataclass(frozen=True, slots=True)
class FeeSet(Event):
    kind: ClassVar[str] = "llamma/fee"
    fee_wad: int
    admin_fee_wad: int
