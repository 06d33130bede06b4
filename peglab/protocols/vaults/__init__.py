"""Tokenized vaults: the ERC-4626 vault and the ERC-7540 asynchronous request flow (docs/vaults.md).

Reusable bases: a concrete vault subclasses ``ERC4626Vault`` (synchronous) or ``AsyncVault``
(requests), overriding the extension surface listed in each class; other families depend on the
narrow ``typing.Protocol``s of ``interfaces``.
"""

from __future__ import annotations

from .erc4626 import ERC4626Vault, VaultConfig
from .erc7540 import AsyncConfig, AsyncVault, Direction, Request
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

__all__ = [
    "AsyncConfig",
    "AsyncVault",
    "AsyncVaultLike",
    "DepositRequested",
    "Direction",
    "ERC4626Vault",
    "OperatorSet",
    "RedeemRequested",
    "Request",
    "RequestCancelled",
    "RequestFulfilled",
    "SharesApproved",
    "SharesTransferred",
    "VaultConfig",
    "VaultDeposit",
    "VaultLike",
    "VaultPaused",
    "VaultWithdraw",
]
