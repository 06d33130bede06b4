"""Typed events of the ERC-4626/7540 vaults: one per state-changing action."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ...kernel import Event

__all__ = [
    "DepositRequested",
    "OperatorSet",
    "RedeemRequested",
    "RequestCancelled",
    "RequestFulfilled",
    "SharesApproved",
    "SharesTransferred",
    "VaultDeposit",
    "VaultPaused",
    "VaultWithdraw",
]


@dataclass(frozen=True, slots=True)
class VaultDeposit(Event):
    """EIP-4626 ``Deposit(caller, owner, assets, shares)`` (also a 7540 deposit claim)."""

    kind: ClassVar[str] = "vault/deposit"
    vault: str
    caller: str
    owner: str
    assets: int
    shares: int


@dataclass(frozen=True, slots=True)
class VaultWithdraw(Event):
    """EIP-4626 ``Withdraw(caller, receiver, owner, assets, shares)`` (also a 7540 redeem claim)."""

    kind: ClassVar[str] = "vault/withdraw"
    vault: str
    caller: str
    receiver: str
    owner: str
    assets: int
    shares: int


@dataclass(frozen=True, slots=True)
class SharesApproved(Event):
    kind: ClassVar[str] = "vault/approve"
    vault: str
    owner: str
    spender: str
    shares: int


@dataclass(frozen=True, slots=True)
class SharesTransferred(Event):
    kind: ClassVar[str] = "vault/transfer"
    vault: str
    frm: str
    to: str
    shares: int


@dataclass(frozen=True, slots=True)
class VaultPaused(Event):
    kind: ClassVar[str] = "vault/pause"
    vault: str
    paused: bool


@dataclass(frozen=True, slots=True)
class OperatorSet(Event):
    """EIP-7540 ``OperatorSet(controller, operator, approved)``."""

    kind: ClassVar[str] = "vault/set-operator"
    vault: str
    controller: str
    operator: str
    approved: bool


@dataclass(frozen=True, slots=True)
class DepositRequested(Event):
    """EIP-7540 ``DepositRequest(controller, owner, requestId, sender, assets)``."""

    kind: ClassVar[str] = "vault/request-deposit"
    vault: str
    controller: str
    owner: str
    request_id: int
    assets: int


@dataclass(frozen=True, slots=True)
class RedeemRequested(Event):
    """EIP-7540 ``RedeemRequest(controller, owner, requestId, sender, shares)``."""

    kind: ClassVar[str] = "vault/request-redeem"
    vault: str
    controller: str
    owner: str
    request_id: int
    shares: int


@dataclass(frozen=True, slots=True)
class RequestFulfilled(Event):
    """Pending -> claimable for one (request id, controller): ``assets`` against ``shares``."""

    kind: ClassVar[str] = "vault/fulfil"
    vault: str
    direction: str  # "deposit" | "redeem"
    controller: str
    request_id: int
    assets: int
    shares: int


@dataclass(frozen=True, slots=True)
class RequestCancelled(Event):
    """The pending part of a request was returned (``amount`` in assets or shares)."""

    kind: ClassVar[str] = "vault/cancel"
    vault: str
    direction: str
    controller: str
    receiver: str
    request_id: int
    amount: int
