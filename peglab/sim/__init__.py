"""Simulation layer: price processes, the liquidity model and the scenario schema (risk.md §2-5)."""

from __future__ import annotations

from . import processes

__all__ = ["processes"]
