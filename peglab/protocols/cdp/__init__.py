"""AI dollars (Maitrix-style): one over-collateralised CDP stablecoin per AI ecosystem, dss semantics."""

from __future__ import annotations

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
from .spotter import DerivativeValuation, Spotter
from .staking import StakingPool
from .vat import VaultEngine

__all__ = [
    "GUARDRAILS",
    "OSM",
    "AIDollar",
    "AIDollarSpec",
    "CollateralParams",
    "CollateralSpec",
    "DerivativeValuation",
    "Guardrails",
    "IlkView",
    "Launchpad",
    "Median",
    "PriceFeed",
    "PriceSource",
    "Spotter",
    "StabilityFees",
    "StakingPool",
    "VaultEngine",
    "VaultView",
    "native_ai_token",
    "replace",
    "staked_derivative",
]
