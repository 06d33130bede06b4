"""Typed events of the governance protocol (one per action)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ...kernel import Event

__all__ = [
    "EscrowCheckpointed",
    "FeesClaimed",
    "GaugeCreated",
    "GaugeKilled",
    "GaugeRevived",
    "GaugeStaked",
    "GaugeUnstaked",
    "GaugesDistributed",
    "GovernanceFiled",
    "LockApproved",
    "LockCreated",
    "LockDeposited",
    "LockExtended",
    "LockMadePermanent",
    "LockSplit",
    "LockTransferred",
    "LockUnlocked",
    "LockWithdrawn",
    "LocksMerged",
    "MinterInitialized",
    "OperatorApproved",
    "PeriodUpdated",
    "RebaseClaimed",
    "RewardClaimed",
    "RewardNotified",
    "StakerRewardPaid",
    "TailNudged",
    "VoteCast",
    "VotePoked",
    "VoteReset",
    "Whitelisted",
]


@dataclass(frozen=True, slots=True)
class LockCreated(Event):
    kind: ClassVar[str] = "gov/lock-created"
    token_id: int
    owner: str
    amount: int
    end: int


@dataclass(frozen=True, slots=True)
class LockDeposited(Event):
    kind: ClassVar[str] = "gov/lock-deposited"
    token_id: int
    payer: str
    amount: int
    new_amount: int


@dataclass(frozen=True, slots=True)
class LockExtended(Event):
    kind: ClassVar[str] = "gov/lock-extended"
    token_id: int
    old_end: int
    new_end: int


@dataclass(frozen=True, slots=True)
class LockWithdrawn(Event):
    kind: ClassVar[str] = "gov/lock-withdrawn"
    token_id: int
    owner: str
    amount: int


@dataclass(frozen=True, slots=True)
class LockMadePermanent(Event):
    kind: ClassVar[str] = "gov/lock-permanent"
    token_id: int
    amount: int


@dataclass(frozen=True, slots=True)
class LockUnlocked(Event):
    kind: ClassVar[str] = "gov/lock-unlocked"
    token_id: int
    amount: int
    end: int


@dataclass(frozen=True, slots=True)
class LocksMerged(Event):
    kind: ClassVar[str] = "gov/locks-merged"
    from_id: int
    to_id: int
    amount: int
    end: int


@dataclass(frozen=True, slots=True)
class LockSplit(Event):
    kind: ClassVar[str] = "gov/lock-split"
    from_id: int
    kept_id: int
    split_id: int
    split_amount: int


@dataclass(frozen=True, slots=True)
class LockTransferred(Event):
    kind: ClassVar[str] = "gov/lock-transferred"
    token_id: int
    frm: str
    to: str


@dataclass(frozen=True, slots=True)
class LockApproved(Event):
    kind: ClassVar[str] = "gov/lock-approved"
    token_id: int
    spender: str


@dataclass(frozen=True, slots=True)
class OperatorApproved(Event):
    kind: ClassVar[str] = "gov/operator-approved"
    owner: str
    operator: str
    approved: bool


@dataclass(frozen=True, slots=True)
class EscrowCheckpointed(Event):
    kind: ClassVar[str] = "gov/checkpoint"
    epoch: int
    ts: int


@dataclass(frozen=True, slots=True)
class GovernanceFiled(Event):
    kind: ClassVar[str] = "gov/file"
    component: str
    what: str
    value: object


@dataclass(frozen=True, slots=True)
class Whitelisted(Event):
    kind: ClassVar[str] = "gov/whitelisted"
    what: str  # "token", "nft" or "split"
    subject: str
    allowed: bool


@dataclass(frozen=True, slots=True)
class VoteCast(Event):
    kind: ClassVar[str] = "gov/vote"
    token_id: int
    pools: tuple[str, ...]
    shares: tuple[int, ...]
    power: int


@dataclass(frozen=True, slots=True)
class VoteReset(Event):
    kind: ClassVar[str] = "gov/vote-reset"
    token_id: int
    withdrawn: int


@dataclass(frozen=True, slots=True)
class VotePoked(Event):
    kind: ClassVar[str] = "gov/vote-poked"
    token_id: int
    pools: tuple[str, ...]
    shares: tuple[int, ...]
    power: int


@dataclass(frozen=True, slots=True)
class GaugeCreated(Event):
    kind: ClassVar[str] = "gov/gauge-created"
    pool: str
    gauge_kind: str
    stake_token: str


@dataclass(frozen=True, slots=True)
class GaugeKilled(Event):
    kind: ClassVar[str] = "gov/gauge-killed"
    pool: str
    returned_to_minter: int


@dataclass(frozen=True, slots=True)
class GaugeRevived(Event):
    kind: ClassVar[str] = "gov/gauge-revived"
    pool: str


@dataclass(frozen=True, slots=True)
class GaugesDistributed(Event):
    kind: ClassVar[str] = "gov/distributed"
    pools: tuple[str, ...]
    amounts: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class GaugeStaked(Event):
    kind: ClassVar[str] = "gov/gauge-staked"
    pool: str
    account: str
    amount: int


@dataclass(frozen=True, slots=True)
class GaugeUnstaked(Event):
    kind: ClassVar[str] = "gov/gauge-unstaked"
    pool: str
    account: str
    amount: int


@dataclass(frozen=True, slots=True)
class StakerRewardPaid(Event):
    kind: ClassVar[str] = "gov/gauge-reward-paid"
    pool: str
    account: str
    amount: int


@dataclass(frozen=True, slots=True)
class FeesClaimed(Event):
    kind: ClassVar[str] = "gov/fees-claimed"
    pool: str
    tokens: tuple[str, ...]
    amounts: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class RewardNotified(Event):
    kind: ClassVar[str] = "gov/reward-notified"
    pool: str
    reward: str  # "fees" or "bribes"
    token: str
    amount: int
    epoch: int


@dataclass(frozen=True, slots=True)
class RewardClaimed(Event):
    kind: ClassVar[str] = "gov/reward-claimed"
    pool: str
    reward: str
    token_id: int
    recipient: str
    tokens: tuple[str, ...]
    amounts: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class MinterInitialized(Event):
    kind: ClassVar[str] = "gov/minter-initialized"
    liquid_total: int
    locked_total: int
    lock_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class PeriodUpdated(Event):
    kind: ClassVar[str] = "gov/period-updated"
    period: int
    epoch_count: int
    emission: int
    growth: int
    team: int
    minted: int
    ve_supply: int
    total_supply: int
    tail: bool


@dataclass(frozen=True, slots=True)
class TailNudged(Event):
    kind: ClassVar[str] = "gov/tail-nudged"
    period: int
    old_rate_bps: int
    new_rate_bps: int


@dataclass(frozen=True, slots=True)
class RebaseClaimed(Event):
    kind: ClassVar[str] = "gov/rebase-claimed"
    token_id: int
    amount: int
    compounded: bool
