"""AI yield vaults: the Lagoon-style fee take, allocators behind one policy interface (interstable
rules, the ARMA-style optimiser, baselines) and own-impact rate curves. See docs/yield-vaults.md."""

from __future__ import annotations

from .curves import AaveCurve, FlatCurve, JumpCurve, curve_of
from .fees import FeeTake, lagoon_fees
from .optimizer import ArmaOptimizer, Constraints
from .policy import AllocationState, MarketView, Move, Policy, Proposal, check_proposal
from .rules import EqualWeight, InterstableRules, SingleMarket

__all__ = [
    "AaveCurve",
    "AllocationState",
    "ArmaOptimizer",
    "Constraints",
    "EqualWeight",
    "FeeTake",
    "FlatCurve",
    "InterstableRules",
    "JumpCurve",
    "MarketView",
    "Move",
    "Policy",
    "Proposal",
    "SingleMarket",
    "check_proposal",
    "curve_of",
    "lagoon_fees",
]
