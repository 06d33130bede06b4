"""Typed events of the Liquity v1 model: one per state-changing action."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ...kernel import Event

__all__ = [
    "CollateralClaimed",
    "LiquidationBatch",
    "PriceSet",
    "StabilityDeposited",
    "StabilityWithdrawn",
    "TroveAdjusted",
    "TroveClosed",
    "TroveOpened",
]


@dataclass(frozen=True, slots=True)
class PriceSet(Event):
    kind: ClassVar[str] = "liquity/price"
    price_wad: int


@dataclass(frozen=True, slots=True)
class TroveOpened(Event):
    kind: ClassVar[str] = "liquity/open-trove"
    owner: str
    coll_wad: int
    debt_wad: int
    fee_wad: int
    stake_wad: int


@dataclass(frozen=True, slots=True)
class TroveAdjusted(Event):
    kind: ClassVar[str] = "liquity/adjust-trove"
    owner: str
    coll_delta_wad: int
    debt_delta_wad: int
    fee_wad: int
    coll_wad: int
    debt_wad: int


@dataclass(frozen=True, slots=True)
class TroveClosed(Event):
    kind: ClassVar[str] = "liquity/close-trove"
    owner: str
    coll_wad: int
    repaid_wad: int


@dataclass(frozen=True, slots=True)
class LiquidationBatch(Event):
    """One liquidation transaction: which troves, in which mode, and where debt and coll went."""

    kind: ClassVar[str] = "liquity/liquidate"
    owners: tuple[str, ...]
    recovery_flags: tuple[bool, ...]  # per owner: liquidated under recovery-mode rules
    debt_offset_wad: int
    coll_to_sp_wad: int
    debt_redistributed_wad: int
    coll_redistributed_wad: int
    coll_surplus_wad: int
    coll_gas_comp_wad: int
    lusd_gas_comp_wad: int


@dataclass(frozen=True, slots=True)
class StabilityDeposited(Event):
    kind: ClassVar[str] = "liquity/sp-deposit"
    owner: str
    amount_wad: int
    deposit_wad: int
    eth_gain_wad: int


@dataclass(frozen=True, slots=True)
class StabilityWithdrawn(Event):
    kind: ClassVar[str] = "liquity/sp-withdraw"
    owner: str
    amount_wad: int
    deposit_wad: int
    eth_gain_wad: int


@dataclass(frozen=True, slots=True)
class CollateralClaimed(Event):
    kind: ClassVar[str] = "liquity/claim-collateral"
    owner: str
    coll_wad: int
