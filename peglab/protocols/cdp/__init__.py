"""AI dollars (Maitrix-style): one over-collateralised CDP stablecoin per AI ecosystem, dss semantics."""

from __future__ import annotations

from .buffer import SystemBuffer
from .clip import AuctionStatus, Clipper
from .dog import Liquidator
from .end import Shutdown
from .facade import BalanceSheet
from .flip import Flipper, FlipStatus
from .instance import AIDollar, IlkView, VaultView
from .jug import StabilityFees
from .launchpad import Launchpad
from .oracle import OSM, Median, PriceFeed, PriceSource
from .params import (
    GUARDRAILS,
    AIDollarSpec,
    CollateralParams,
    CollateralSpec,
    Guardrails,
    native_ai_token,
    replace,
    staked_derivative,
)
from .psm import HALTED, PegStabilityModule, PsmSpec
from .spotter import DerivativeValuation, Spotter
from .staking import StakingPool
from .vat import VaultEngine

__all__ = [
    "GUARDRAILS",
    "HALTED",
    "OSM",
    "AIDollar",
    "AIDollarSpec",
    "AuctionStatus",
    "BalanceSheet",
    "Clipper",
    "CollateralParams",
    "CollateralSpec",
    "DerivativeValuation",
    "FlipStatus",
    "Flipper",
    "Guardrails",
    "IlkView",
    "Launchpad",
    "Liquidator",
    "Median",
    "PegStabilityModule",
    "PriceFeed",
    "PriceSource",
    "PsmSpec",
    "Shutdown",
    "Spotter",
    "StabilityFees",
    "StakingPool",
    "SystemBuffer",
    "VaultEngine",
    "VaultView",
    "native_ai_token",
    "replace",
    "staked_derivative",
]
