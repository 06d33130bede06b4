"""Simulation layer: price processes, the liquidity model and the scenario schema (risk.md §2-5)."""

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
