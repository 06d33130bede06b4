"""Narrow interfaces governance depends on (dss ``VatLike`` style): a pool that yields trading fees,
the voter as its gauges and reward contracts see it, and the minter as the voter and the rebase
distributor see it (wired by ``set_minter``). No governance module imports the voter or the
minter at run time except the deployment (system.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from ...kernel import Chain

__all__ = ["FeeRewardLike", "FeeSource", "LockOwnership", "MinterLike", "VoterLike"]


@runtime_checkable
class FeeSource(Protocol):
    """What a pool gauge needs from an AMM pool.

    ``claim_fees`` moves the protocol's accrued trading fees to ``fee_receiver`` and returns the
    amounts per token symbol; ``file("fee_receiver", account, sender=...)`` points them at the
    gauge's fee reward contract.
    """

    @property
    def id(self) -> str: ...

    @property
    def coins(self) -> Sequence[str]: ...

    @property
    def lp_token(self) -> str: ...

    @property
    def fee_receiver(self) -> str: ...

    def file(self, what: str, value: Any, *, sender: str) -> None: ...

    def claim_fees(self, *, sender: str) -> dict[str, int]: ...


class MinterLike(Protocol):
    """What the voter and the rebase distributor call on the minter (Aerodrome ``IMinter``)."""

    @property
    def account(self) -> str: ...

    @property
    def active_period(self) -> int: ...

    def update_period_internal(self) -> int: ...


class FeeRewardLike(Protocol):
    """A gauge's fee reward contract, as the gauge books claimed trading fees into it."""

    @property
    def account(self) -> str: ...

    def add_fees(self, token: str, amount: int) -> int: ...


class LockOwnership(Protocol):
    """The voting escrow as reward contracts check who may claim for a lock."""

    def require_approved_or_owner(self, account: str, token_id: int) -> str: ...


class VoterLike(Protocol):
    """What gauges and voting-reward contracts read from the voter that created them."""

    @property
    def chain(self) -> Chain: ...
    @property
    def name(self) -> str: ...
    @property
    def token(self) -> str: ...
    @property
    def account(self) -> str: ...
    @property
    def escrow(self) -> LockOwnership: ...
    @property
    def fee_sources(self) -> Mapping[str, FeeSource]: ...

    def fees_reward(self, pool: str) -> FeeRewardLike: ...
    def is_whitelisted_token(self, token: str) -> bool: ...
