"""Stability fees (dss Jug): a per-second rate compounded into each collateral type's accumulator.

    drip(ilk):  rate' = rmul(rpow(base + duty, now - rho, RAY), rate) ;  fold(ilk, vow, rate' - rate) ;  rho = now

The fee ``Art * (rate' - rate)`` [rad] is created as internal AI dollars of the system buffer
(the vow). ``rmul`` floors, so the accumulator never runs ahead of the exact compound value:
borrowers are never over-charged by rounding, and the protocol's loss is below one ray-unit of
rate per drip. A changed ``duty`` applies from the drip at which it is set (the setter requires
``now == rho``, dss's ``jug/rho-not-updated``), so fees already accrued are never re-priced.
"""

from __future__ import annotations

from ...errors import InvalidInput
from ...kernel import Chain, Record, Table
from ...math import rmul, rpow
from ...units import RAY
from .events import FeesAccrued
from .interfaces import VatLike

__all__ = ["IlkFee", "StabilityFees"]


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
        return rmul(rpow(self.base.base_ray + fee.duty_ray, t - fee.rho, RAY), rate)

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
        new = rmul(rpow(self.base.base_ray + fee.duty_ray, now - fee.rho, RAY), old)
        fee_rad = self.vat.fold(ilk, self.vow, new - old)
        fee.rho = now
        self.chain.emit(FeesAccrued(self.vat.symbol, ilk, new, fee_rad))
        return new

    def set_duty(self, ilk: str, duty_ray: int) -> None:
        """Change ``duty``; refuses unless the ilk was dripped in this second."""
        fee = self.ilks[ilk]
        if fee.rho != self.chain.now:
            raise InvalidInput("cdp/drip-first", f"drip {ilk} before changing its stability fee")
        if self.base.base_ray + duty_ray < RAY:
            raise InvalidInput(
                "cdp/negative-rate", "base + duty must be >= RAY (no negative rates)"
            )
        fee.duty_ray = duty_ray

    def set_base(self, base_ray: int) -> None:
        """Change the global ``base``; every ilk must have been dripped in this second."""
        for name, fee in self.ilks.items():
            if fee.rho != self.chain.now:
                raise InvalidInput("cdp/drip-first", f"drip {name} before changing the base rate")
            if base_ray + fee.duty_ray < RAY:
                raise InvalidInput(
                    "cdp/negative-rate", "base + duty must be >= RAY (no negative rates)"
                )
        self.base.base_ray = base_ray
