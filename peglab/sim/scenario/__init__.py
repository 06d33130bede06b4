"""The scenario schema of the risk lab (docs/risk-spec.md §2-5; docs/risk-lab.md "Scenario files").

Modules by concept: ``fields`` (decimal, duration and symbol types), ``market`` (assets, price
processes, pools, liquidity, shocks), ``agents`` (agent parameters), ``model`` (``System`` with
its family blocks, ``Scenario`` and its cross-field checks), ``files`` (loading, one-line errors,
hash) and ``sampling`` (one run's prices and shock factors). A family's own block lives with the
family (``sim.families``).
"""

from __future__ import annotations

from .agents import Agents, Arbitrageurs, Borrowers, Keepers, LiquidityProviders, PanicSellers
from .fields import parse_duration
from .files import (
    LIBRARY_DIR,
    canonical_json,
    format_validation_error,
    load_scenario_file,
    parse_scenario,
    scenario_hash,
)
from .market import (
    Anchor,
    AnchorPrices,
    Asset,
    BridgePrices,
    CrashPrices,
    DepthShock,
    GasShock,
    GbmPrices,
    KeeperShock,
    Liquidity,
    LpShock,
    OracleShock,
    OuPrices,
    Pool,
    PriceShock,
    SlashShock,
    VolShock,
)
from .model import Scenario, System
from .sampling import oracle_modes, shock_factor, simulate_prices, simulate_prices_each

__all__ = [
    "LIBRARY_DIR",
    "Agents",
    "Anchor",
    "AnchorPrices",
    "Arbitrageurs",
    "Asset",
    "Borrowers",
    "BridgePrices",
    "CrashPrices",
    "DepthShock",
    "GasShock",
    "GbmPrices",
    "KeeperShock",
    "Keepers",
    "Liquidity",
    "LiquidityProviders",
    "LpShock",
    "OracleShock",
    "OuPrices",
    "PanicSellers",
    "Pool",
    "PriceShock",
    "Scenario",
    "SlashShock",
    "System",
    "VolShock",
    "canonical_json",
    "format_validation_error",
    "load_scenario_file",
    "oracle_modes",
    "parse_duration",
    "parse_scenario",
    "scenario_hash",
    "shock_factor",
    "simulate_prices",
    "simulate_prices_each",
]
