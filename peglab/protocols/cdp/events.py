"""Typed events of the AI-dollar CDP engine: one per state-changing action."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ...kernel import Event

__all__ = [
    "AIDollarLaunched",
    "AuctionReset",
    "AuctionTaken",
    "BufferChanged",
    "CollateralAdded",
    "CollateralDeposited",
    "CollateralWithdrawn",
    "ConsentChanged",
    "DebtAuctionChanged",
    "DebtMinted",
    "DebtRepaid",
    "ExchangeRateSlashed",
    "FeesAccrued",
    "FlipAuctionDealt",
    "FlipAuctionRestarted",
    "FlipBidPlaced",
    "LiquidationStarted",
    "ParameterChanged",
    "PriceHeld",
    "PricePoked",
    "PriceReported",
    "PsmSwapped",
    "ShutdownStep",
    "SpotUpdated",
    "StakeChanged",
    "SurplusAuctionChanged",
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
class PriceReported(Event):
    """A reporter set a feed's price (``ok`` False: an outage)."""

    kind: ClassVar[str] = "cdp/price-report"
    feed: str
    val_wad: int
    ok: bool


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


# -- liquidations, system buffer, PSM, shutdown (docs/liquidations.md) -------------------------
@dataclass(frozen=True, slots=True)
class LiquidationStarted(Event):
    kind: ClassVar[str] = "cdp/bark"
    symbol: str
    ilk: str
    vault: int
    auction: int
    ink_wad: int  # collateral seized (dink)
    art_wad: int  # normalised debt seized (dart)
    due_rad: int  # debt queued as bad debt in the buffer
    tab_rad: int  # debt + penalty to raise
    coin_rad: int  # keeper incentive minted as system debt
    keeper: str


@dataclass(frozen=True, slots=True)
class AuctionTaken(Event):
    kind: ClassVar[str] = "cdp/take"
    symbol: str
    ilk: str
    auction: int
    slice_wad: int
    owe_rad: int
    price_ray: int
    tab_rad: int  # left to raise
    lot_wad: int  # left for sale
    returned_wad: int  # collateral given back to the vault owner when the auction closed
    who: str


@dataclass(frozen=True, slots=True)
class AuctionReset(Event):
    kind: ClassVar[str] = "cdp/redo"
    symbol: str
    ilk: str
    auction: int
    top_ray: int
    coin_rad: int
    keeper: str


@dataclass(frozen=True, slots=True)
class FlipBidPlaced(Event):
    """An English-auction bid (flip.py): ``tend`` raises the bid, ``dent`` lowers the lot."""

    kind: ClassVar[str] = "cdp/flip-bid"
    symbol: str
    ilk: str
    op: str  # tend | dent
    auction: int
    bid_rad: int
    lot_wad: int
    tab_rad: int
    guy: str
    tic: int  # the bid's expiry
    end: int  # the auction's expiry
    freed_wad: int  # collateral a dent returned to the vault owner


@dataclass(frozen=True, slots=True)
class FlipAuctionDealt(Event):
    kind: ClassVar[str] = "cdp/flip-deal"
    symbol: str
    ilk: str
    auction: int
    winner: str
    lot_wad: int
    paid: int  # collateral tokens paid to the winner
    bid_rad: int  # AI dollars raised
    tab_rad: int
    shortfall_rad: int  # tab - bid: left as bad debt in the buffer


@dataclass(frozen=True, slots=True)
class FlipAuctionRestarted(Event):
    kind: ClassVar[str] = "cdp/flip-tick"
    symbol: str
    ilk: str
    auction: int
    end: int


@dataclass(frozen=True, slots=True)
class BufferChanged(Event):
    """The system buffer moved debt or surplus: flog, heal, cover, fund, flop/flap kicks."""

    kind: ClassVar[str] = "cdp/vow"
    symbol: str
    op: str  # flog | heal | cover | fund-backstop | flop | flap | release
    amount: int  # rad for debt/surplus, wad for token amounts
    auction: int  # auction id for flop/flap, else 0


@dataclass(frozen=True, slots=True)
class DebtAuctionChanged(Event):
    kind: ClassVar[str] = "cdp/flop"
    symbol: str
    op: str  # dent | tick | deal
    auction: int
    lot_wad: int
    bid_rad: int
    guy: str


@dataclass(frozen=True, slots=True)
class SurplusAuctionChanged(Event):
    kind: ClassVar[str] = "cdp/flap"
    symbol: str
    op: str  # tend | tick | deal
    auction: int
    lot_rad: int
    bid_wad: int
    guy: str


@dataclass(frozen=True, slots=True)
class PsmSwapped(Event):
    kind: ClassVar[str] = "cdp/psm-swap"
    symbol: str
    direction: str  # sell-gem (gem in, AI dollars out) | buy-gem (AI dollars in, gem out)
    usr: str
    gem_amount: int
    dai_wad: int  # AI dollars paid out (sell) or taken in (buy)
    fee_wad: int


@dataclass(frozen=True, slots=True)
class ShutdownStep(Event):
    kind: ClassVar[str] = "cdp/end"
    symbol: str
    step: str  # cage | cage-ilk | snip | skim | free | thaw | flow | pack | cash
    ilk: str
    subject: str  # vault id, auction id or holder, as text
    amount: int  # the step's main quantity (tag, fix, wad, collateral ...)
