"""USD.AI loan-router interest models and the liquidation waterfall, exact (docs/usdai.md §5).

Restated from the loan router's rate notes and its Simple/Amortized interest-rate models. Amounts
are 18-decimal *scaled* units (a 6-dp currency is multiplied by 1e12 first, as the router does);
rates are per second in wad (``apr_wad // YEAR``). With tranche amounts ``a_k`` and rates ``r_k``::

    principal P = Σ a_k ;  weighted W = Σ r_k a_k ;  blended R = W // P          (floor)
    remaining intervals  M = (maturity - deadline) // D + 1
    due intervals        k = 1 if t < deadline else min((t - deadline) // D + 1, M)
    grace interest       = B * grace_rate * min(t - deadline, grace_duration) // 1e18  (t >= deadline)
    simple:     per interval  interest = B_i * R * D // 1e18 ; principal = B // M (fixed)
    amortised:  per interval  interest = B_i * R * D // 1e18 ;
                principal = interest * 1e18 // ((1e18 + R*D)^M - 1e18), last interval pays B_i
                (the power is the router's iterated floor product, ``pow_int``)
    tranche split: principal_k = total_p * a_k // P ; interest_k = total_i * r_k a_k // W ;
                   the rounding remainders go to tranche 0

Every division floors, as the contracts do; the router rounds the *total* owed up when it
unscales to the currency (the borrower pays the dust). ``waterfall`` applies liquidation
proceeds: fee first, then principal in tranche order (0 = most senior), then interest in tranche
order; what is left is surplus for the protocol's fee recipient, not the borrower.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from ..units import BPS, WAD, YEAR

__all__ = [
    "WRITEDOWN_STAGES",
    "Repayment",
    "Waterfall",
    "apr_to_rate",
    "blended",
    "pow_int",
    "repayment",
    "staged_writedown",
    "waterfall",
]

Model = Literal["simple", "amortised"]


def apr_to_rate(apr_wad: int) -> int:
    """Per-second rate in wad for an annual rate in wad (simple, 365-day year; floor)."""
    return apr_wad // YEAR


def pow_int(x: int, n: int) -> int:
    """``x**n`` in wad by repeated floored products (the router's ``_powInt``)."""
    if n == 0:
        return WAD
    if x == 0:
        return 0
    result = x
    for _ in range(1, n):
        result = result * x // WAD
    return result


def blended(amounts: Sequence[int], rates: Sequence[int]) -> tuple[int, int, int]:
    """``(principal, weighted_rate, blended_rate)`` of the tranches (blended floored)."""
    principal = sum(amounts)
    weighted = sum(r * a for r, a in zip(rates, amounts, strict=True))
    return principal, weighted, weighted // principal


@dataclass(frozen=True, slots=True)
class Repayment:
    """What a repayment at ``timestamp`` owes, in scaled units, and how it splits by tranche."""

    principal: int
    interest: int
    tranche_principals: tuple[int, ...]
    tranche_interests: tuple[int, ...]
    intervals: int


def repayment(
    model: Model,
    amounts: Sequence[int],
    rates: Sequence[int],
    interval_s: int,
    grace_rate: int,
    grace_duration_s: int,
    balance: int,
    deadline: int,
    maturity: int,
    timestamp: int,
) -> Repayment:
    """The router's ``IInterestRateModel.repayment`` for ``model`` (see the module docstring)."""
    remaining = (maturity - deadline) // interval_s + 1
    if timestamp < deadline:
        due, grace_elapsed = 1, 0
    else:
        due = min((timestamp - deadline) // interval_s + 1, remaining)
        grace_elapsed = min(timestamp - deadline, grace_duration_s)
    principal, weighted, rate = blended(amounts, rates)
    total_p = total_i = 0
    b = balance
    if model == "simple":
        step = balance // remaining
        total_p = step * due
        for _ in range(due):
            total_i += b * rate * interval_s // WAD
            b -= step
    else:
        growth = WAD + rate * interval_s
        for _ in range(due):
            interest = b * rate * interval_s // WAD
            if remaining == 1:
                p = b
            else:
                p = interest * WAD // (pow_int(growth, remaining) - WAD)
            total_i += interest
            total_p += p
            b -= p
            remaining -= 1
    total_i += balance * grace_rate * grace_elapsed // WAD
    tp = [total_p * a // principal for a in amounts]
    ti = [total_i * r * a // weighted for r, a in zip(rates, amounts, strict=True)]
    tp[0] += total_p - sum(tp)
    ti[0] += total_i - sum(ti)
    return Repayment(total_p, total_i, tuple(tp), tuple(ti), due)


@dataclass(frozen=True, slots=True)
class Waterfall:
    """How liquidation proceeds were applied (same units as the inputs)."""

    fee: int
    principals: tuple[int, ...]
    interests: tuple[int, ...]
    surplus: int

    @property
    def to_lenders(self) -> int:
        return sum(self.principals) + sum(self.interests)


def waterfall(
    proceeds: int, principals: Sequence[int], interests: Sequence[int], fee_bps: int
) -> Waterfall:
    """Fee ``proceeds * fee_bps // 1e4``, then principal by tranche index, then interest by index."""
    fee = proceeds * fee_bps // BPS
    left = proceeds - fee
    paid_p = []
    for owed in principals:
        x = min(owed, left)
        paid_p.append(x)
        left -= x
    paid_i = []
    for owed in interests:
        x = min(owed, left)
        paid_i.append(x)
        left -= x
    return Waterfall(fee, tuple(paid_p), tuple(paid_i), left)


# (days late, bps of principal written down), checked in order (docs/usdai.md §4.6, docs/gaib.md §4)
WRITEDOWN_STAGES: tuple[tuple[int, int], ...] = ((90, 6_000), (60, 3_000))


def staged_writedown(principal: int, late_days: int, expected_recovery: int | None = None) -> int:
    """The write-down of a late loan: ``principal - expected_recovery`` once a recovery is
    marked (never below 0), else 60% of principal at 90 days late, 30% at 60, nothing before;
    rounded up, so a late loan is never over-valued."""
    if expected_recovery is not None:
        return max(principal - expected_recovery, 0)
    for days, bps in WRITEDOWN_STAGES:
        if late_days >= days:
            return -((-principal * bps) // BPS)
    return 0
