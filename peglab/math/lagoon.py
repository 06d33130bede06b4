"""Lagoon v0.5.0 fee take (``FeeManager``), pure integer math: management and performance fees minted as shares, with a high-water mark.

Formulas (docs/yield-vaults.md §2). ``A`` is total assets just
after the accepted valuation, ``S`` the share supply, ``d`` the share decimals, ``o`` the
decimals offset, every division rounded **up** (the fee receiver is never short-changed; the
depositors' price moves down by at most a unit)::

    mgmt       = ceil(ceil(A * mgmt_bps / BPS) * dt / YEAR)
    pps        = ceil(10^d * (A + 1 - mgmt) / (S + 10^o))          price after the management fee
    perf       = ceil(ceil((pps - HWM) * S / 10^d) * perf_bps / BPS)   if pps > HWM else 0
    fee_shares = ceil((mgmt + perf) * (S + 10^o) / (A - (mgmt + perf) + 1))   dilution-compensated
    protocol   = ceil(fee_shares * protocol_bps / BPS) ;  manager = fee_shares - protocol
    HWM'       = max(HWM, floor(10^d * (A + 1) / (S + fee_shares + 10^o)))   post-fee price

As in the reference, nothing is minted when the manager's part is zero (the protocol's part
then lapses too), and the protocol rate is capped at 3000 bps.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InvalidInput
from ..units import BPS, YEAR
from .fixedpoint import mul_div_up

__all__ = [
    "MAX_MANAGEMENT_BPS",
    "MAX_PERFORMANCE_BPS",
    "MAX_PROTOCOL_BPS",
    "FeeTake",
    "lagoon_fees",
    "management_fee",
    "performance_fee",
]

MAX_MANAGEMENT_BPS = 1000
MAX_PERFORMANCE_BPS = 5000
MAX_PROTOCOL_BPS = 3000


@dataclass(frozen=True, slots=True)
class FeeTake:
    """One fee take: assets-denominated fees, shares minted, and the new high-water mark."""

    management_assets: int
    performance_assets: int
    price_after_mgmt: int
    manager_shares: int
    protocol_shares: int
    high_water_mark: int


def management_fee(total_assets: int, mgmt_bps: int, dt: int) -> int:
    """``ceil(ceil(A * bps / BPS) * dt / YEAR)`` in assets."""
    return mul_div_up(mul_div_up(total_assets, mgmt_bps, BPS), dt, YEAR)


def performance_fee(perf_bps: int, supply: int, pps: int, hwm: int, one_share: int) -> int:
    """``ceil(ceil((pps - hwm) * S / 10^d) * bps / BPS)`` if the price is above the mark, else 0."""
    if pps <= hwm:
        return 0
    return mul_div_up(mul_div_up(pps - hwm, supply, one_share), perf_bps, BPS)


def lagoon_fees(
    total_assets: int,
    supply: int,
    hwm: int,
    dt: int,
    mgmt_bps: int,
    perf_bps: int,
    protocol_bps: int,
    share_decimals: int,
    decimals_offset: int = 0,
) -> FeeTake:
    """The fee take of one settlement (module docstring); ``protocol_bps`` is capped at 3000."""
    if mgmt_bps > MAX_MANAGEMENT_BPS or perf_bps > MAX_PERFORMANCE_BPS:
        raise InvalidInput("vault/fee-above-max", f"fees {mgmt_bps}/{perf_bps} bps exceed the caps")
    if dt < 0:
        raise InvalidInput("vault/bad-time", f"time since the last fee take is negative: {dt}")
    protocol_bps = min(protocol_bps, MAX_PROTOCOL_BPS)
    one = 10**share_decimals
    virtual = 10**decimals_offset
    mgmt = management_fee(total_assets, mgmt_bps, dt)
    if mgmt > total_assets + 1:
        raise InvalidInput("vault/fee-above-assets", "management fee exceeds the assets")
    pps = mul_div_up(one, total_assets + 1 - mgmt, supply + virtual)
    perf = performance_fee(perf_bps, supply, pps, hwm, one)
    total = mgmt + perf
    if total > total_assets:
        raise InvalidInput("vault/fee-above-assets", "fees exceed the assets")
    shares = mul_div_up(total, supply + virtual, total_assets - total + 1)
    protocol = mul_div_up(shares, protocol_bps, BPS)
    manager = shares - protocol
    if manager == 0:
        protocol = 0
    minted = manager + protocol
    new_hwm = max(hwm, one * (total_assets + 1) // (supply + minted + virtual))
    return FeeTake(mgmt, perf, pps, manager, protocol, new_hwm)
