"""The spotter: turns delayed prices into each collateral type's ``spot`` (price / liquidation ratio).

    spot = rdiv(rdiv(val * 10^9, par), mat)   if the price is valid and fresh, else 0     [ray]

Staked derivatives (docs/cdp-spec.md §4) are valued through the staking pool's exchange rate ``er``:

    er_eff   = min(er_now, er_prev + er_prev * g_max * dt / 1 day)      growth rate-limited
               er_now at once if er_now < er_prev * (1 - s_max)          slashing: flag, pause new debt
    val      = wmul(wmul(val_underlying, er_eff), 1 - haircut)          (min with a market feed if any)

Decreases pass through at once; increases are capped so a manipulated rate cannot inflate
borrowing power. ``value`` is a pure read; ``poke`` writes ``spot`` and the guard's state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ...errors import InvalidInput
from ...kernel import Chain, Record, Table
from ...math import rdiv, wmul
from ...units import DAY, RAY, WAD
from .events import ExchangeRateSlashed, SpotUpdated
from .interfaces import VatLike
from .oracle import OSM

__all__ = ["DerivativeValuation", "ExchangeRateSource", "Spotter"]


class ExchangeRateSource(Protocol):
    """A staking contract reporting underlying per receipt [wad]."""

    def exchange_rate_wad(self) -> int: ...


@dataclass(frozen=True, slots=True)
class DerivativeValuation:
    """How a staked derivative is valued (immutable launch parameters)."""

    pool: ExchangeRateSource
    haircut_wad: int = 2 * WAD // 100
    g_max_wad: int = WAD // 1000  # 0.1% per day
    s_max_wad: int = WAD // 100  # a drop beyond 1% is a slashing event
    market: OSM | None = None


class SpotIlk(Record):
    """Per-ilk spotter state: liquidation ratio and the exchange-rate guard."""

    __slots__ = ("er_prev_wad", "er_time", "mat_ray")
    mat_ray: int
    er_prev_wad: int
    er_time: int


class _Par(Record):
    __slots__ = ("par_ray",)
    par_ray: int


class Spotter:
    """dss Spot plus derivative valuation for one instance."""

    def __init__(self, chain: Chain, vat: VatLike) -> None:
        self.chain = chain
        self.vat = vat
        self.par = _Par(chain.journal, par_ray=RAY)
        self.ilks: Table[str, SpotIlk] = Table(chain.journal)
        self.osm: Table[str, OSM] = Table(
            chain.journal
        )  # wiring, journaled so a failed launch unwinds
        self.derivative: Table[str, DerivativeValuation] = Table(chain.journal)
        chain.register(f"cdp/{vat.symbol}/spot/par", self.par)
        chain.register(f"cdp/{vat.symbol}/spot/ilks", self.ilks)

    @property
    def par_ray(self) -> int:
        """The target price of one AI dollar [ray] (1.0; dss ``par``)."""
        return self.par.par_ray

    def init_ilk(
        self, ilk: str, osm: OSM, mat_ray: int, derivative: DerivativeValuation | None = None
    ) -> None:
        """Wire ``ilk`` to its OSM (the underlying's, for a derivative)."""
        er = derivative.pool.exchange_rate_wad() if derivative else 0
        self.ilks[ilk] = SpotIlk(
            self.chain.journal, mat_ray=mat_ray, er_prev_wad=er, er_time=self.chain.now
        )
        self.osm[ilk] = osm
        if derivative is not None:
            self.derivative[ilk] = derivative

    def _guarded_rate(self, ilk: str) -> tuple[int, bool]:
        """(er_eff, slashed) at now, from the guard state; a pure read."""
        d = self.derivative[ilk]
        s = self.ilks[ilk]
        er_now = d.pool.exchange_rate_wad()
        prev = s.er_prev_wad
        if prev == 0:
            return er_now, False
        if er_now * WAD < prev * (WAD - d.s_max_wad):
            return er_now, True
        cap = prev + prev * d.g_max_wad * (self.chain.now - s.er_time) // (DAY * WAD)
        return min(er_now, cap), False

    def value(self, ilk: str) -> tuple[int, bool]:
        """Price used for ``ilk`` [wad] and whether it is valid (a pure read)."""
        osm = self.osm.get(ilk)
        if osm is None:
            self.vat.ilk(ilk)
            raise InvalidInput("cdp/ilk-not-init", f"{ilk} has no price feed configured")
        val, has = osm.peek()
        d = self.derivative.get(ilk)
        if d is None or not has:
            return val, has
        er_eff, _ = self._guarded_rate(ilk)
        val = wmul(val, er_eff)
        if d.market is not None:
            m_val, m_has = d.market.peek()
            if m_has:
                val = min(val, m_val)
        return wmul(val, WAD - d.haircut_wad), True

    def spot_of(self, val_wad: int, has: bool, ilk: str) -> int:
        """``rdiv(rdiv(val * 1e9, par), mat)`` or 0 without a valid price."""
        if not has:
            return 0
        return rdiv(rdiv(val_wad * 10**9, self.par.par_ray), self.ilks[ilk].mat_ray)

    def poke(self, ilk: str) -> int:
        """Write ``spot`` for ``ilk`` (and advance the exchange-rate guard); returns it."""
        guard_moved = False  # the derivative's exchange-rate guard advanced: reported too
        if ilk in self.derivative:
            s = self.ilks[ilk]
            er_eff, slashed = self._guarded_rate(ilk)
            if slashed:
                self.vat.ilks[ilk].paused = True
                self.chain.emit(ExchangeRateSlashed(self.vat.symbol, ilk, s.er_prev_wad, er_eff))
            now = self.chain.now
            if er_eff != s.er_prev_wad or s.er_time != now:
                s.er_prev_wad, s.er_time = er_eff, now
                guard_moved = True
        val, has = self.value(ilk)
        spot = self.spot_of(val, has, ilk)
        vat_ilk = self.vat.ilks[ilk]
        if vat_ilk.spot_ray != spot or guard_moved:
            vat_ilk.spot_ray = spot
            self.chain.emit(SpotUpdated(self.vat.symbol, ilk, val, spot))
        return spot
