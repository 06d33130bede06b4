"""Typed events of the USD.AI family: one per state-changing action."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ...kernel import Event

__all__ = [
    "AuctionBid",
    "AuctionRestarted",
    "AuctionSettled",
    "BaseYieldClaimed",
    "BaseYieldDeposited",
    "Blacklisted",
    "Bridged",
    "CollateralRedeemed",
    "LoanAdminFeeSwept",
    "LoanBorrowed",
    "LoanLiquidated",
    "LoanRecoveryMarked",
    "LoanRepaid",
    "LoanRepaymentDeposited",
    "LoanTermsApproved",
    "LoanTimelockChanged",
    "ParameterSet",
    "PositionTransferred",
    "QevBid",
    "QevSettled",
    "QueueDeposited",
    "QueueServiced",
    "QueueTokenSet",
    "RedemptionsServiced",
    "SupplyCapSet",
    "TimelockChanged",
    "USDaiDeposited",
    "USDaiWithdrawn",
    "WaterfallPaid",
]


@dataclass(frozen=True, slots=True)
class USDaiDeposited(Event):
    kind: ClassVar[str] = "usdai/deposit"
    token: str
    amount: int
    usdai: int
    recipient: str


@dataclass(frozen=True, slots=True)
class USDaiWithdrawn(Event):
    kind: ClassVar[str] = "usdai/withdraw"
    token: str
    usdai: int
    amount: int
    recipient: str


@dataclass(frozen=True, slots=True)
class SupplyCapSet(Event):
    kind: ClassVar[str] = "usdai/set-cap"
    cap: int


@dataclass(frozen=True, slots=True)
class Bridged(Event):
    kind: ClassVar[str] = "usdai/bridge"
    token: str
    account: str
    amount: int  # > 0: bridged in (minted here), < 0: bridged out (burned here)


@dataclass(frozen=True, slots=True)
class BaseYieldClaimed(Event):
    kind: ClassVar[str] = "usdai/claim-yield"
    token: str
    account: str
    recipient: str
    amount: int


@dataclass(frozen=True, slots=True)
class QueueTokenSet(Event):
    kind: ClassVar[str] = "usdai/queue-token"
    token: str
    min_amount: int


@dataclass(frozen=True, slots=True)
class QueueDeposited(Event):
    kind: ClassVar[str] = "usdai/queue-deposit"
    queue: str
    token: str
    index: int
    depositor: str
    recipient: str
    amount: int


@dataclass(frozen=True, slots=True)
class QueueServiced(Event):
    kind: ClassVar[str] = "usdai/queue-service"
    queue: str
    token: str
    serviced: int
    converted: int
    head: int


@dataclass(frozen=True, slots=True)
class RedemptionsServiced(Event):
    kind: ClassVar[str] = "usdai/service-redemptions"
    shares: int
    amount: int
    price_wad: int
    all_serviced: bool


@dataclass(frozen=True, slots=True)
class BaseYieldDeposited(Event):
    kind: ClassVar[str] = "usdai/deposit-base-yield"
    usdai: int
    admin_fee: int


@dataclass(frozen=True, slots=True)
class Blacklisted(Event):
    kind: ClassVar[str] = "usdai/blacklist"
    account: str
    blacklisted: bool


@dataclass(frozen=True, slots=True)
class LoanTimelockChanged(Event):
    kind: ClassVar[str] = "usdai/loan-timelock"
    loan: str
    amount: int  # > 0 escrowed, < 0 released back to the idle balance


@dataclass(frozen=True, slots=True)
class LoanRecoveryMarked(Event):
    kind: ClassVar[str] = "usdai/mark-recovery"
    loan: str
    tranche: int
    expected: int  # USDai the strategy expects to recover on the position


@dataclass(frozen=True, slots=True)
class LoanRepaymentDeposited(Event):
    kind: ClassVar[str] = "usdai/deposit-loan-repayment"
    amount: int


@dataclass(frozen=True, slots=True)
class LoanAdminFeeSwept(Event):
    kind: ClassVar[str] = "usdai/sweep-loan-fee"
    amount: int


@dataclass(frozen=True, slots=True)
class TimelockChanged(Event):
    kind: ClassVar[str] = "usdai/timelock"
    loan: str
    depositor: str
    token: str
    amount: int  # > 0 deposit, < 0 cancel or withdrawal by the router
    expiration: int


@dataclass(frozen=True, slots=True)
class LoanTermsApproved(Event):
    kind: ClassVar[str] = "usdai/approve-terms"
    loan: str
    lender: str


@dataclass(frozen=True, slots=True)
class LoanBorrowed(Event):
    kind: ClassVar[str] = "usdai/borrow"
    loan: str
    borrower: str
    principal: int
    origination_fee: int


@dataclass(frozen=True, slots=True)
class LoanRepaid(Event):
    kind: ClassVar[str] = "usdai/repay"
    loan: str
    principal: int
    interest: int
    prepayment: int
    exit_fee: int
    fully_repaid: bool


@dataclass(frozen=True, slots=True)
class LoanLiquidated(Event):
    kind: ClassVar[str] = "usdai/liquidate"
    loan: str
    liquidator: str


@dataclass(frozen=True, slots=True)
class WaterfallPaid(Event):
    kind: ClassVar[str] = "usdai/waterfall"
    loan: str
    proceeds: int
    fee: int
    to_lenders: int
    surplus: int
    insurance: int


@dataclass(frozen=True, slots=True)
class CollateralRedeemed(Event):
    kind: ClassVar[str] = "usdai/redeem-collateral"
    loan: str
    amount: int


@dataclass(frozen=True, slots=True)
class PositionTransferred(Event):
    kind: ClassVar[str] = "usdai/transfer-position"
    loan: str
    tranche: int
    frm: str
    to: str


@dataclass(frozen=True, slots=True)
class AuctionBid(Event):
    kind: ClassVar[str] = "usdai/bid"
    loan: str
    bidder: str
    amount: int
    end: int


@dataclass(frozen=True, slots=True)
class AuctionRestarted(Event):
    kind: ClassVar[str] = "usdai/auction-restart"
    loan: str
    end: int


@dataclass(frozen=True, slots=True)
class AuctionSettled(Event):
    kind: ClassVar[str] = "usdai/auction-settle"
    loan: str
    winner: str
    proceeds: int


@dataclass(frozen=True, slots=True)
class ParameterSet(Event):
    kind: ClassVar[str] = "usdai/set"
    module: str
    what: str
    value: str


@dataclass(frozen=True, slots=True)
class QevBid(Event):
    kind: ClassVar[str] = "usdai/qev-bid"
    request_id: int
    controller: str
    bid_bps: int


@dataclass(frozen=True, slots=True)
class QevSettled(Event):
    kind: ClassVar[str] = "usdai/qev-settle"
    epoch: int
    shares: int  # filled
    paid: int  # USDai claimable by the filled holders (after fees)
    fees: int  # USDai kept by sUSDai for the holders who stay
    clearing_bps: int
    price: int  # the redemption price used
    rolled: int  # matured requests still pending after the settlement
