"""Typed events of the AI-dollar CDP engine: one per state-changing action."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ...kernel import Event

__all__ = [
    "AIDollarLaunched",
    "CollateralAdded",
    "CollateralDeposited",
    "CollateralWithdrawn",
    "ConsentChanged",
    "DebtMinted",
    "DebtRepaid",
    "ExchangeRateSlashed",
    "FeesAccrued",
    "ParameterChanged",
    "PriceHeld",
    "PricePoked",
    "SpotUpdated",
    "StakeChanged",
    "VaultClosed",
    "VaultOpened",
    "VaultTransferred",
]


@dataclass(frozen=True, slots=True)
class AIDollarLaunched(Event):
    kind: ClassVar[str] = "cdp/launch"
    symbol: str
    ecosystem: str
    line_rad: int


@dataclass(frozen=True, slots=True)
class CollateralAdded(Event):
    kind: ClassVar[str] = "cdp/add-collateral"
    symbol: str
    ilk: str
    token: str
    kind_: str


@dataclass(frozen=True, slots=True)
class ParameterChanged(Event):
    kind: ClassVar[str] = "cdp/file"
    module: str
    ilk: str
    what: str
    value: int


@dataclass(frozen=True, slots=True)
class VaultOpened(Event):
    kind: ClassVar[str] = "cdp/open"
    symbol: str
    vault: int
    ilk: str
    owner: str


@dataclass(frozen=True, slots=True)
class CollateralDeposited(Event):
    kind: ClassVar[str] = "cdp/deposit"
    symbol: str
    vault: int
    amount: int
    ink_wad: int


@dataclass(frozen=True, slots=True)
class CollateralWithdrawn(Event):
    kind: ClassVar[str] = "cdp/withdraw"
    symbol: str
    vault: int
    amount: int
    ink_wad: int


@dataclass(frozen=True, slots=True)
class DebtMinted(Event):
    kind: ClassVar[str] = "cdp/mint"
    symbol: str
    vault: int
    amount_wad: int
    art_wad: int


@dataclass(frozen=True, slots=True)
class DebtRepaid(Event):
    kind: ClassVar[str] = "cdp/repay"
    symbol: str
    vault: int
    amount_wad: int
    art_wad: int


@dataclass(frozen=True, slots=True)
class VaultClosed(Event):
    kind: ClassVar[str] = "cdp/close"
    symbol: str
    vault: int
    repaid_wad: int
    returned: int


@dataclass(frozen=True, slots=True)
class VaultTransferred(Event):
    kind: ClassVar[str] = "cdp/give"
    symbol: str
    vault: int
    frm: str
    to: str


@dataclass(frozen=True, slots=True)
class ConsentChanged(Event):
    kind: ClassVar[str] = "cdp/consent"
    symbol: str
    subject: str
    operator: str
    allowed: bool


@dataclass(frozen=True, slots=True)
class FeesAccrued(Event):
    kind: ClassVar[str] = "cdp/drip"
    symbol: str
    ilk: str
    rate_ray: int
    fee_rad: int


@dataclass(frozen=True, slots=True)
class PricePoked(Event):
    kind: ClassVar[str] = "cdp/osm-poke"
    feed: str
    cur_wad: int
    nxt_wad: int
    zzz: int


@dataclass(frozen=True, slots=True)
class PriceHeld(Event):
    kind: ClassVar[str] = "cdp/price-jump-held"
    feed: str
    held_wad: int
    reference_wad: int


@dataclass(frozen=True, slots=True)
class SpotUpdated(Event):
    kind: ClassVar[str] = "cdp/spot"
    symbol: str
    ilk: str
    val_wad: int
    spot_ray: int


@dataclass(frozen=True, slots=True)
class ExchangeRateSlashed(Event):
    kind: ClassVar[str] = "cdp/slash-event"
    symbol: str
    ilk: str
    er_prev_wad: int
    er_now_wad: int


@dataclass(frozen=True, slots=True)
class StakeChanged(Event):
    kind: ClassVar[str] = "cdp/stake"
    pool: str
    account: str
    assets: int
    shares: int
