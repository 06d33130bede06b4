"""What other protocol families may use of the vaults family (the layering test's rule 2).

Two kinds of names: narrow ``typing.Protocol``s for families that only hold or drive a vault
(``VaultLike``, ``AsyncVaultLike``), and the **base classes** other families build their own
vaults on (sUSDai, sAID, epoch vaults, the CDP's staked derivative): ``ERC4626Vault`` and
``AsyncVault`` with their configurations, the request records and the events. Subclasses use only
the extension surface documented in docs/vaults.md §2 and §3, never private names.
"""

from __future__ import annotations

from typing import Protocol

from .erc4626 import ERC4626Vault, VaultConfig
from .erc7540 import AsyncVault
from .events import RequestFulfilled, VaultDeposit, VaultWithdraw
from .requests import AsyncConfig, ClaimRounding, Direction, Request, RequestBook, RequestTotals

__all__ = [
    "AsyncConfig",
    "AsyncVault",
    "AsyncVaultLike",
    "ClaimRounding",
    "Direction",
    "ERC4626Vault",
    "Request",
    "RequestBook",
    "RequestFulfilled",
    "RequestTotals",
    "VaultConfig",
    "VaultDeposit",
    "VaultLike",
    "VaultWithdraw",
]


class VaultLike(Protocol):
    """What a holder of ERC-4626 shares needs (a CDP valuing a staked derivative, an allocator)."""

    @property
    def asset(self) -> str: ...
    @property
    def share(self) -> str: ...
    def total_assets(self) -> int: ...
    def total_supply(self) -> int: ...
    def convert_to_assets(self, shares: int) -> int: ...
    def convert_to_shares(self, assets: int) -> int: ...
    def balance_of(self, account: str) -> int: ...
    def max_withdraw(self, owner: str) -> int: ...
    def max_redeem(self, owner: str) -> int: ...


class AsyncVaultLike(VaultLike, Protocol):
    """An ERC-7540 vault seen by its users: request, watch, claim."""

    def request_redeem(self, shares: int, controller: str, owner: str, *, sender: str) -> int: ...
    def pending_redeem_request(self, request_id: int, controller: str) -> int: ...
    def claimable_redeem_request(self, request_id: int, controller: str) -> int: ...
