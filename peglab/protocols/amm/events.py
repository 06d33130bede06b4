"""Typed events of the AMMs: one per state-changing action (pools, router, factory)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ...kernel import Event

__all__ = [
    "AdminFeesDonated",
    "FeeChangeCommitted",
    "FeeChangeReverted",
    "FeeChanged",
    "FeesClaimed",
    "KillChanged",
    "LiquidityAdded",
    "LiquidityRemoved",
    "LiquidityRemovedImbalance",
    "LiquidityRemovedOne",
    "ParameterChanged",
    "PoolDeployed",
    "PoolSynced",
    "RampStarted",
    "RampStopped",
    "RouterSwapped",
    "SkimmedExcess",
    "Swapped",
    "TokenExchanged",
]


@dataclass(frozen=True, slots=True)
class PoolDeployed(Event):
    kind: ClassVar[str] = "amm/pool-deployed"
    pool: str
    pool_kind: str
    coins: tuple[str, ...]
    lp_token: str


@dataclass(frozen=True, slots=True)
class TokenExchanged(Event):
    """StableSwap ``exchange``: ``sold`` of coin ``i`` in, ``bought`` of coin ``j`` out."""

    kind: ClassVar[str] = "amm/exchange"
    pool: str
    buyer: str
    i: int
    sold: int
    j: int
    bought: int
    admin_fee: int


@dataclass(frozen=True, slots=True)
class LiquidityAdded(Event):
    kind: ClassVar[str] = "amm/add-liquidity"
    pool: str
    provider: str
    amounts: tuple[int, ...]
    fees: tuple[int, ...]
    invariant: int
    lp_minted: int
    lp_supply: int


@dataclass(frozen=True, slots=True)
class LiquidityRemoved(Event):
    kind: ClassVar[str] = "amm/remove-liquidity"
    pool: str
    provider: str
    amounts: tuple[int, ...]
    lp_burned: int
    lp_supply: int


@dataclass(frozen=True, slots=True)
class LiquidityRemovedImbalance(Event):
    kind: ClassVar[str] = "amm/remove-liquidity-imbalance"
    pool: str
    provider: str
    amounts: tuple[int, ...]
    fees: tuple[int, ...]
    invariant: int
    lp_burned: int
    lp_supply: int


@dataclass(frozen=True, slots=True)
class LiquidityRemovedOne(Event):
    kind: ClassVar[str] = "amm/remove-liquidity-one"
    pool: str
    provider: str
    lp_burned: int
    i: int
    amount: int
    fee: int


@dataclass(frozen=True, slots=True)
class RampStarted(Event):
    kind: ClassVar[str] = "amm/ramp-a"
    pool: str
    old_A: int
    new_A: int
    initial_time: int
    future_time: int


@dataclass(frozen=True, slots=True)
class RampStopped(Event):
    kind: ClassVar[str] = "amm/stop-ramp-a"
    pool: str
    A: int
    time: int


@dataclass(frozen=True, slots=True)
class FeeChangeCommitted(Event):
    kind: ClassVar[str] = "amm/commit-new-fee"
    pool: str
    deadline: int
    fee: int
    admin_fee: int


@dataclass(frozen=True, slots=True)
class FeeChanged(Event):
    kind: ClassVar[str] = "amm/new-fee"
    pool: str
    fee: int
    admin_fee: int


@dataclass(frozen=True, slots=True)
class FeeChangeReverted(Event):
    kind: ClassVar[str] = "amm/revert-new-parameters"
    pool: str


@dataclass(frozen=True, slots=True)
class KillChanged(Event):
    kind: ClassVar[str] = "amm/kill"
    pool: str
    killed: bool


@dataclass(frozen=True, slots=True)
class FeesClaimed(Event):
    """Protocol fees moved to the fee receiver: ``(token, amount)`` pairs."""

    kind: ClassVar[str] = "amm/claim-fees"
    pool: str
    receiver: str
    amounts: tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class AdminFeesDonated(Event):
    kind: ClassVar[str] = "amm/donate-admin-fees"
    pool: str
    amounts: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ParameterChanged(Event):
    kind: ClassVar[str] = "amm/file"
    pool: str
    what: str
    value: str


@dataclass(frozen=True, slots=True)
class Swapped(Event):
    """Constant-product swap (Uniswap v2 ``Swap``), with the reserves after it (v2 ``Sync``)."""

    kind: ClassVar[str] = "amm/swap"
    pool: str
    sender: str
    amount0_in: int
    amount1_in: int
    amount0_out: int
    amount1_out: int
    to: str
    reserve0: int
    reserve1: int


@dataclass(frozen=True, slots=True)
class PoolSynced(Event):
    kind: ClassVar[str] = "amm/sync"
    pool: str
    reserve0: int
    reserve1: int


@dataclass(frozen=True, slots=True)
class SkimmedExcess(Event):
    kind: ClassVar[str] = "amm/skim"
    pool: str
    to: str
    amount0: int
    amount1: int


@dataclass(frozen=True, slots=True)
class RouterSwapped(Event):
    kind: ClassVar[str] = "amm/router-swap"
    sender: str
    pools: tuple[str, ...]
    tokens: tuple[str, ...]
    amount_in: int
    amount_out: int
    to: str
