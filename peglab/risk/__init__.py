"""Risk layer: risk measures, the scenario library, the Monte Carlo driver and reports (risk.md §6-7)."""

from __future__ import annotations

from . import measures

__all__ = ["measures"]
