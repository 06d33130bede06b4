"""Stability fees (dss Jug): a per-second rate compounded into each collateral type's accumulator.

    drip(ilk):  rate' = rmul(rpow(base + duty, now - rho, RAY), rate) ;  fold(ilk, vow, rate' - rate) ;  rho = now

The fee ``Art * (rate' - rate)`` [rad] is created as internal AI dollars of the system buffer
(the vow). ``rmul`` floors, so the accumulator never runs ahead of the exact compound value:
borrowers are never over-charged by rounding, and the protocol's loss is below one ray-unit of
rate per drip. A changed ``duty`` applies from the drip at which it is set (the setter requires
``now == rho``, dss's ``jug/rho-not-updated``), so fees already accrued are never re-priced.

Bounds. ``base + duty`` may not exceed ``MAX_RATE_RAY``, the per-second rate of 100% a year:
MakerDAO's own deployment and executive libraries refuse any rate above
``RATES_ONE_HUNDRED_PCT = 1000000021979553151239153027`` although the Jug itself accepts any
value; our bound is the same 100% rounded half up (``apr_to_duty("1")``). At that rate the
accumulator doubles yearly and stays below 2^256 for over 150 years; at ``duty = 2 * RAY`` it
would pass 2^256 within minutes. Past the bound of the contract's words a drip reverts as dss
does: ``rpow`` and ``rmul`` refuse with ``Overflow`` (``math/rpow-overflow``, ``cdp/overflow``),
so a drip is always a few hundred integer operations, never a runaway computation.
"""

from __future__ import annotations

from ...errors import InvalidInput, Overflow
from ...kernel import Chain, Record, Table
from ...math import rpow
from ...units import MAX_UINT256, RAY
from .events import FeesAccrued
from .interfaces import VatLike

__all__ = ["MAX_RATE_RAY", "IlkFee", "StabilityFees"]

MAX_RATE_RAY = 1000000021979553151239153028  # 100% a year per second (module docstring)


def _compound(rate_ray: int, per_second_ray: int, dt: int) -> int:
    """``rmul(rpow(per_second, dt), rate)`` with dss's reverts at 2^256."""
    product = rpow(per_second_ray, dt, RAY) * rate_ray
    if product > MAX_UINT256:
        raise Overflow("cdp/overflow", "the rate accumulator would pass 2^256 (dss rmul reverts)")
    return product // RAY


class IlkFee(Record):
    """Per-ilk stability fee: ``duty`` [ray per second] and the last drip time ``rho`` [s]."""

    __slots__ = ("duty_ray", "rho")
    duty_ray: int
    rho: int


class _Base(Record):
    __slots__ = ("base_ray",)
    base_ray: int


class StabilityFees:
    """dss Jug for one instance; fees go to ``vow``."""

    def __init__(self, chain: Chain, vat: VatLike, vow: str) -> None:
        self.chain = chain
        self.vat = vat
        self.vow = vow
        self.base = _Base(chain.journal, base_ray=0)
        self.ilks: Table[str, IlkFee] = Table(chain.journal)
        chain.register(f"cdp/{vat.symbol}/jug/base", self.base)
        chain.register(f"cdp/{vat.symbol}/jug/ilks", self.ilks)

    def init_ilk(self, ilk: str) -> None:
        """Start accruing for ``ilk`` at ``duty = RAY`` (0%) from now."""
        self.ilks[ilk] = IlkFee(self.chain.journal, duty_ray=RAY, rho=self.chain.now)

    def rate_after(self, ilk: str, t: int) -> int:
        """The accumulator ``drip`` would write at time ``t`` (a read; nothing changes)."""
        fee = self.ilks[ilk]
        rate = self.vat.ilks[ilk].rate_ray
        if t <= fee.rho:
            return rate
        return _compound(rate, self.base.base_ray + fee.duty_ray, t - fee.rho)

    def accrue(self, ilk: str) -> int:
        """dss ``drip``: compound the fee up to now; returns the new rate. Called inside actions."""
        fee = self.ilks.get(ilk)
        if fee is None:
            self.vat.ilk(ilk)  # raises the readable unknown-ilk error
            raise InvalidInput("cdp/ilk-not-init", f"{ilk} has no stability fee configured")
        now = self.chain.now
        if now == fee.rho:
            return self.vat.ilks[ilk].rate_ray
        old = self.vat.ilks[ilk].rate_ray
        new = _compound(old, self.base.base_ray + fee.duty_ray, now - fee.rho)
        fee_rad = self.vat.fold(ilk, self.vow, new - old)
        fee.rho = now
        self.chain.emit(FeesAccrued(self.vat.symbol, ilk, new, fee_rad))
        return new

    def set_duty(self, ilk: str, duty_ray: int) -> None:
        """Change ``duty``; refuses unless the ilk was dripped in this second."""
        fee = self.ilks[ilk]
        if fee.rho != self.chain.now:
            raise InvalidInput("cdp/drip-first", f"drip {ilk} before changing its stability fee")
        _check_rate(self.base.base_ray + duty_ray)
        fee.duty_ray = duty_ray

    def set_base(self, base_ray: int) -> None:
        """Change the global ``base``; every ilk must have been dripped in this second."""
        for name, fee in self.ilks.items():
            if fee.rho != self.chain.now:
                raise InvalidInput("cdp/drip-first", f"drip {name} before changing the base rate")
            _check_rate(base_ray + fee.duty_ray)
        self.base.base_ray = base_ray


def _check_rate(per_second_ray: int) -> None:
    if per_second_ray < RAY:
        raise InvalidInput("cdp/negative-rate", "base + duty must be >= RAY (no negative rates)")
    if per_second_ray > MAX_RATE_RAY:
        raise InvalidInput(
            "cdp/rate-too-high",
            f"base + duty must be <= {MAX_RATE_RAY} (100% a year; docs/cdp.md, jug.py)",
        )
