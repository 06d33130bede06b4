"""AI yield vaults: the Lagoon-style epoch vault (its fee math is ``peglab.math.lagoon``), the
curator of its safe, and allocators behind one policy interface (interstable rules, the
ARMA-style optimiser, baselines) with own-impact rate curves. See docs/yield-vaults.md."""

from __future__ import annotations

from .curator import Allocated, Curator, MarketLike
from .curves import AaveCurve, DilutedCurve, FlatCurve, JumpCurve, curve_of
from .epoch_vault import EpochVault
from .nav_oracle import SettledVaultLike, VaultSharePrice
from .optimizer import ArmaOptimizer, Constraints
from .policy import AllocationState, MarketView, Move, Policy, Proposal, check_proposal
from .pool_sleeve import PoolSleeve, StableSwapLike
from .rules import EqualWeight, InterstableRules, SingleMarket
from .sleeves import TermLike, TermSleeve

__all__ = [
    "AaveCurve",
    "Allocated",
    "AllocationState",
    "ArmaOptimizer",
    "Constraints",
    "Curator",
    "DilutedCurve",
    "EpochVault",
    "EqualWeight",
    "FlatCurve",
    "InterstableRules",
    "JumpCurve",
    "MarketLike",
    "MarketView",
    "Move",
    "Policy",
    "PoolSleeve",
    "Proposal",
    "SettledVaultLike",
    "SingleMarket",
    "StableSwapLike",
    "TermLike",
    "TermSleeve",
    "VaultSharePrice",
    "check_proposal",
    "curve_of",
]
