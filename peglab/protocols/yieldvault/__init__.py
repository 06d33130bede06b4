"""AI yield vaults: the curator of an epoch vault's safe and allocators behind one policy interface
(interstable rules, the ARMA-style optimiser, baselines) with own-impact rate curves. The
Lagoon-style epoch vault itself is ``peglab.protocols.vaults.lagoon`` and its fee math
``peglab.math.lagoon``. See docs/yield-vaults.md."""

from __future__ import annotations

from .curator import Allocated, Curator, MarketLike
from .curves import AaveCurve, FlatCurve, JumpCurve, curve_of
from .optimizer import ArmaOptimizer, Constraints
from .policy import AllocationState, MarketView, Move, Policy, Proposal, check_proposal
from .rules import EqualWeight, InterstableRules, SingleMarket

__all__ = [
    "AaveCurve",
    "Allocated",
    "AllocationState",
    "ArmaOptimizer",
    "Constraints",
    "Curator",
    "EqualWeight",
    "FlatCurve",
    "InterstableRules",
    "JumpCurve",
    "MarketLike",
    "MarketView",
    "Move",
    "Policy",
    "Proposal",
    "SingleMarket",
    "check_proposal",
    "curve_of",
]
