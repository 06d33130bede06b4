"""Tokenized vaults: the ERC-4626 vault and the ERC-7540 asynchronous request flow (docs/vaults.md).

Reusable bases: a concrete vault subclasses ``ERC4626Vault`` (synchronous) or ``AsyncVault``
(requests), overriding the extension surface listed in each class; other families depend on the
narrow ``typing.Protocol``s of ``interfaces``.
"""

from __future__ import annotations

from .erc4626 import ERC4626Vault, VaultConfig
from .erc7540 import AsyncVault
from .events import (
    DepositRequested,
    OperatorSet,
    RedeemRequested,
    RequestCancelled,
    RequestFulfilled,
    SharesApproved,
    SharesTransferred,
    VaultDeposit,
    VaultPaused,
    VaultWithdraw,
)
from .interfaces import AsyncVaultLike, VaultLike
from .requests import AsyncConfig, ClaimRounding, Direction, Request, RequestBook, RequestTotals

__all__ = [
    "AsyncConfig",
    "AsyncVault",
    "AsyncVaultLike",
    "ClaimRounding",
    "DepositRequested",
    "Direction",
    "ERC4626Vault",
    "OperatorSet",
    "RedeemRequested",
    "Request",
    "RequestBook",
    "RequestCancelled",
    "RequestFulfilled",
    "RequestTotals",
    "SharesApproved",
    "SharesTransferred",
    "VaultConfig",
    "VaultDeposit",
    "VaultLike",
    "VaultPaused",
    "VaultWithdraw",
]
