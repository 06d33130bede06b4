"""USD.AI: the USDai peg token, the sUSDai yield vault, GPU loans through a tranche-aware loan
router, and the staged T-bill-to-loans allocation (docs/usdai.md)."""

from __future__ import annotations

from .allocation import AllocationPolicy, Stage
from .auction import AuctionParams, CollateralAuction, Lot
from .base_token import TBillDollar
from .interfaces import LiquidationReceiver, LoanHooks, StakedLike, SwapVenue, USDaiLike
from .positions import PositionManager
from .qev import MAX_BID_BPS, QevAuction
from .queued import QueuedDepositor, QueueType
from .router import LoanRouter, LoanState
from .staked import (
    ARBITRUM_GENESIS,
    LOCKED_SHARES,
    REDEMPTION_WINDOW,
    StakedConfig,
    StakedUSDai,
    next_window,
)
from .system import USDaiSystem, build_usdai
from .terms import MAX_TRANCHES, LoanTerms, Tranche, validate_terms
from .timelock import DepositTimelock
from .usdai import USDai

__all__ = [
    "ARBITRUM_GENESIS",
    "LOCKED_SHARES",
    "MAX_BID_BPS",
    "MAX_TRANCHES",
    "REDEMPTION_WINDOW",
    "AllocationPolicy",
    "AuctionParams",
    "CollateralAuction",
    "DepositTimelock",
    "LiquidationReceiver",
    "LoanHooks",
    "LoanRouter",
    "LoanState",
    "LoanTerms",
    "Lot",
    "PositionManager",
    "QevAuction",
    "QueueType",
    "QueuedDepositor",
    "Stage",
    "StakedConfig",
    "StakedLike",
    "StakedUSDai",
    "SwapVenue",
    "TBillDollar",
    "Tranche",
    "USDai",
    "USDaiLike",
    "USDaiSystem",
    "build_usdai",
    "next_window",
    "validate_terms",
]
