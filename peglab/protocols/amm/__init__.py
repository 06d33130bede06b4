"""AMMs: legacy-exact StableSwap pools, Uniswap-v2 constant-product pools, a router, a factory."""

from __future__ import annotations

from .constant_product import ConstantProductPool, ConstantProductState
from .factory import AmmFactory, Pool
from .interfaces import SwapPool, SwapVenue
from .router import Hop, Router
from .stableswap import StableSwapPool, StableSwapState

__all__ = [
    "AmmFactory",
    "ConstantProductPool",
    "ConstantProductState",
    "Hop",
    "Pool",
    "Router",
    "StableSwapPool",
    "StableSwapState",
    "SwapPool",
    "SwapVenue",
]
