"""Typed events of the Gaib family (AID desk and reserve, sAID vault, deal book): one per action."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ...kernel import Event

__all__ = [
    "AidMinted",
    "AidRedeemed",
    "CollateralSold",
    "CycleProcessed",
    "DealOriginated",
    "DealRehosted",
    "DealSettled",
    "GaibParameterChanged",
    "RecoveryMarked",
    "ReserveHarvested",
    "SaidDeposited",
    "SaidRedeemRequested",
    "TBillBought",
    "TBillSaleRequested",
    "TBillSettled",
    "WhitelistChanged",
]


@dataclass(frozen=True, slots=True)
class GaibParameterChanged(Event):
    kind: ClassVar[str] = "gaib/file"
    module: str
    what: str
    value: int


@dataclass(frozen=True, slots=True)
class WhitelistChanged(Event):
    kind: ClassVar[str] = "gaib/whitelist"
    account: str
    allowed: bool


@dataclass(frozen=True, slots=True)
class AidMinted(Event):
    kind: ClassVar[str] = "gaib/aid-mint"
    token: str
    recipient: str
    paid: int
    aid_wad: int


@dataclass(frozen=True, slots=True)
class AidRedeemed(Event):
    kind: ClassVar[str] = "gaib/aid-redeem"
    token: str
    recipient: str
    aid_wad: int
    fee_wad: int
    paid: int


@dataclass(frozen=True, slots=True)
class TBillBought(Event):
    kind: ClassVar[str] = "gaib/tbill-buy"
    lot: int
    token: str
    cost: int
    face: int
    maturity: int


@dataclass(frozen=True, slots=True)
class TBillSaleRequested(Event):
    kind: ClassVar[str] = "gaib/tbill-sell"
    lot: int
    price: int
    settles_at: int


@dataclass(frozen=True, slots=True)
class TBillSettled(Event):
    kind: ClassVar[str] = "gaib/tbill-settle"
    lot: int
    token: str
    paid: int
    interest: int


@dataclass(frozen=True, slots=True)
class ReserveHarvested(Event):
    kind: ClassVar[str] = "gaib/harvest"
    recipient: str
    aid_wad: int


@dataclass(frozen=True, slots=True)
class DealOriginated(Event):
    kind: ClassVar[str] = "gaib/deal-originate"
    deal: int
    deal_kind: str
    borrower: str
    principal_wad: int
    reserve_wad: int
    tokenisation_fee_wad: int


@dataclass(frozen=True, slots=True)
class DealSettled(Event):
    kind: ClassVar[str] = "gaib/deal-settle"
    deal: int
    status: str
    pulled_wad: int
    reserve_draw_wad: int
    principal_paid_wad: int
    income_wad: int
    protocol_fee_wad: int
    performance_fee_wad: int
    arrears_wad: int
    writedown_wad: int


@dataclass(frozen=True, slots=True)
class RecoveryMarked(Event):
    kind: ClassVar[str] = "gaib/deal-mark"
    deal: int
    expected_recovery_wad: int
    writedown_wad: int


@dataclass(frozen=True, slots=True)
class DealRehosted(Event):
    kind: ClassVar[str] = "gaib/deal-rehost"
    deal: int
    old_borrower: str
    new_borrower: str


@dataclass(frozen=True, slots=True)
class CollateralSold(Event):
    kind: ClassVar[str] = "gaib/deal-sale"
    deal: int
    price_wad: int
    sale_cost_wad: int
    from_reserve_wad: int
    from_collateral_wad: int
    to_borrower_wad: int
    loss_wad: int


@dataclass(frozen=True, slots=True)
class SaidDeposited(Event):
    kind: ClassVar[str] = "gaib/said-deposit"
    receiver: str
    assets_wad: int
    shares: int


@dataclass(frozen=True, slots=True)
class SaidRedeemRequested(Event):
    kind: ClassVar[str] = "gaib/said-request"
    request: int
    owner: str
    cycle: int
    shares: int


@dataclass(frozen=True, slots=True)
class CycleProcessed(Event):
    kind: ClassVar[str] = "gaib/said-cycle"
    cycle: int
    nav_wad: int
    liquidity_wad: int
    filled_shares: int
    paid_wad: int
    rolled_shares: int
