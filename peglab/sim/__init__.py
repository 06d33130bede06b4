"""Simulation layer: price processes, scenarios, the family interface, the exact runner (docs/risk-spec.md §2-5).

Modules: ``processes`` (price processes, liquidity model), ``scenario`` (the schema), ``family``
(how a protocol family plugs in), ``families`` (the built-in families), ``conditions`` and
``world`` (what families share on one path), ``agents`` (agent behaviour), ``runner`` (the
per-path functions) and ``results`` (what a path returns).
"""

from __future__ import annotations

from . import processes, scenario
from .scenario import Scenario, load_scenario_file, scenario_hash, simulate_prices

__all__ = [
    "Scenario",
    "load_scenario_file",
    "processes",
    "scenario",
    "scenario_hash",
    "simulate_prices",
]
