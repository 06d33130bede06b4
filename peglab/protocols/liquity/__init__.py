"""Liquity v1 on the kernel: troves, Stability Pool (product-sum), redistribution, recovery mode."""

from __future__ import annotations

from .events import (
    CollateralClaimed,
    LiquidationBatch,
    PriceSet,
    StabilityDeposited,
    StabilityWithdrawn,
    TroveAdjusted,
    TroveClosed,
    TroveOpened,
)
from .stability_pool import SCALE_FACTOR, Deposit, StabilityPool, StabilityPoolState
from .state import LiquityParams, LiquityState, Trove
from .system import Liquity

__all__ = [
    "SCALE_FACTOR",
    "CollateralClaimed",
    "Deposit",
    "LiquidationBatch",
    "Liquity",
    "LiquityParams",
    "LiquityState",
    "PriceSet",
    "StabilityDeposited",
    "StabilityPool",
    "StabilityPoolState",
    "StabilityWithdrawn",
    "Trove",
    "TroveAdjusted",
    "TroveClosed",
    "TroveOpened",
]
