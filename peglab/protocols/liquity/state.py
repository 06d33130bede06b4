"""Liquity v1 state: parameters, system totals and troves (journaled records)."""

from __future__ import annotations

from dataclasses import dataclass

from ...kernel import Record
from ...units import WAD

__all__ = ["LiquityParams", "LiquityState", "Trove"]


@dataclass(frozen=True, slots=True)
class LiquityParams:
    """Liquity v1 constants (docs/liquity.md §1): ratios and fees in wad, amounts in LUSD wad."""

    mcr_wad: int = 11 * WAD // 10  # 110% minimum collateral ratio
    ccr_wad: int = 15 * WAD // 10  # 150% critical system ratio (recovery mode below)
    gas_comp_wad: int = 200 * WAD  # liquidation reserve per trove
    min_net_debt_wad: int = 1800 * WAD
    percent_divisor: int = 200  # 0.5% of collateral to the liquidator
    borrowing_fee_wad: int = 5 * WAD // 1000  # the 0.5% floor; redemptions (base rate) not modelled


class LiquityState(Record):
    """System totals, redistribution accumulators, snapshots and the price."""

    __slots__ = (
        "active_debt_wad",
        "default_debt_wad",
        "l_coll_wad",
        "l_debt_wad",
        "last_coll_error_wad",
        "last_debt_error_wad",
        "price_wad",
        "total_coll_snapshot_wad",
        "total_stakes_snapshot_wad",
        "total_stakes_wad",
    )
    active_debt_wad: int
    default_debt_wad: int
    total_stakes_wad: int
    total_stakes_snapshot_wad: int
    total_coll_snapshot_wad: int
    l_coll_wad: int
    l_debt_wad: int
    last_coll_error_wad: int
    last_debt_error_wad: int
    price_wad: int


class Trove(Record):
    """One borrower's trove (Liquity allows one per address)."""

    __slots__ = ("coll_wad", "debt_wad", "l_coll_snapshot_wad", "l_debt_snapshot_wad", "stake_wad")
    coll_wad: int
    debt_wad: int
    stake_wad: int
    l_coll_snapshot_wad: int
    l_debt_snapshot_wad: int
