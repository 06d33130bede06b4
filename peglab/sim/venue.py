"""The external market (CEX/DEX aggregate) as a venue whose price answers to the flows it absorbs.

Two models (``liquidity.model`` in the scenario; docs/risk-lab.md "The external venue"):

* ``static`` (the earlier model): the market price is the scenario's fundamental path; a sale of
  ``q`` units fetches ``bid(q) = p (1 - eta (q p / V)^delta)`` per unit and leaves no trace.
* ``transient``: a linear propagator with exponential resilience, the discrete form of
  Obizhaeva and Wang's limit-order-book model (J. Financial Markets 16, 2013). The market price
  of an asset is ``p = F exp(-I)``: the fundamental ``F`` (the scenario's price process, exogenous)
  times the impact of net flows. Selling ``q`` units of fundamental notional ``x = F q`` raises
  ``I`` by ``k x``, buying lowers it; between steps the book refills, ``I <- I exp(-dt ln2 / h)``
  (``h = liquidity.recovery_half_life``). Integrating the price over the sale gives the exact
  proceeds ``F exp(-I) (1 - exp(-k x)) / k`` (a purchase costs ``F exp(-I) (exp(k x) - 1) / k``).
  ``k`` is calibrated to the asset's ``D10``: a sale of ``D10`` of notional at once averages
  ``1 - impact`` (10% below the price), i.e. ``(1 - e^-u)/u = 1 - impact`` with ``u = k D10``
  (``u = 0.2146`` for 10%), and thins with the depth multiplier of docs/risk-spec.md §5
  (``exp(-kappa drawdown) x depth shocks``).

``realised`` holds the market price at the start of every step (after the book's recovery,
before that step's trades): the oracles publish it and agents value collateral at it.
"""

from __future__ import annotations

import math

import numpy as np

from .conditions import Conditions
from .liquidity import exit_bid_one
from .scenario import Scenario

__all__ = ["Venue", "VenueConstants", "impact_per_usd"]


def impact_per_usd(d10_usd: float, impact: float = 0.10) -> float:
    """``k`` such that selling ``d10_usd`` of notional at once averages ``1 - impact``."""
    target = 1.0 - impact
    u = 2.0 * impact  # Newton on g(u) = (1 - e^-u)/u - target, decreasing and convex in u
    for _ in range(50):
        e = math.exp(-u)
        g = (1.0 - e) / u - target
        dg = (e * u - (1.0 - e)) / (u * u)
        step = g / dg
        u -= step
        if abs(step) < 1e-15:
            break
    return u / d10_usd


class VenueConstants:
    """What a venue needs from the scenario, shared by the exact and the vectorised venue: each
    asset's ``D10`` (``inf``: not traded) and impact per USD ``k0``, the book's refill factor per
    step, and ``(derivative, underlying)`` index pairs (a staking receipt trades as its
    underlying times the exchange rate)."""

    def __init__(self, sc: Scenario, n_assets: int) -> None:
        liq = sc.liquidity
        self.d10 = np.full(n_assets, math.inf)
        for i, a in enumerate(sc.assets):
            if a.d10_usd is not None:
                self.d10[i] = float(a.d10_usd)
        self.k0 = np.array(
            [0.0 if math.isinf(d) else impact_per_usd(d, float(liq.impact)) for d in self.d10]
        )
        self.refill = math.exp(-math.log(2.0) * sc.step / max(liq.recovery_half_life, 1))
        idx = sc.asset_index
        self.derivatives = [
            (idx[a.symbol], idx[a.underlying])
            for a in sc.assets
            if a.kind == "derivative" and a.underlying is not None
        ]


class Venue:
    """The external market of every asset on one path (module docstring)."""

    def __init__(self, sc: Scenario, cond: Conditions) -> None:
        liq = sc.liquidity
        self.transient = liq.model == "transient"
        self.fundamental = cond.prices
        self.realised = np.array(cond.prices, dtype=np.float64, copy=True)
        self.cond = cond
        self.eta, self.delta = float(liq.impact), float(liq.delta)
        self.kappa = float(liq.kappa)
        n_assets = cond.prices.shape[1]
        self.impact = np.zeros(n_assets)
        const = VenueConstants(sc, n_assets)
        self.d10, self.k0, self.refill = const.d10, const.k0, const.refill
        self.derivatives = const.derivatives
        self.k = 0
        self._k_at: dict[int, float] = {}  # asset -> ``k_of`` at step ``_k_step`` (its memo)
        self._k_step = 0
        self.sold_usd = np.zeros(n_assets)  # fundamental notional sold (+) / bought (-) so far

    def begin_step(self, k: int) -> None:
        """The book refills since the last step; record the market price agents and oracles see."""
        self.k = k
        if self.transient:
            self.impact *= self.refill
            self.realised[k] = self.fundamental[k] * np.exp(-self.impact)
            for d, u in self.derivatives:
                self.realised[k, d] = self.fundamental[k, d] * math.exp(-float(self.impact[u]))

    def price(self, a: int) -> float:
        """The market price of asset ``a`` now (within the step, after its trades so far)."""
        return float(self.fundamental[self.k, a]) * math.exp(-float(self.impact[a]))

    def depth(self, a: int, k: int) -> float:
        """USD depth ``D10 exp(-kappa drawdown) x depth shocks`` (docs/risk-spec.md §5)."""
        return (
            float(self.d10[a])
            * math.exp(-self.kappa * float(self.cond.dd[k, a]))
            * float(self.cond.ext_factor[k])
        )

    def k_of(self, a: int) -> float:
        """Impact per USD of notional of asset ``a`` now (``k0`` over the depth multiplier),
        computed once per asset and step (it reads the step's conditions only)."""
        k = self.k
        if k != self._k_step:
            self._k_at.clear()
            self._k_step = k
        got = self._k_at.get(a)
        if got is None:
            m = math.exp(-self.kappa * float(self.cond.dd[k, a])) * float(self.cond.ext_factor[k])
            got = self._k_at[a] = float(self.k0[a]) / m if m > 0 else math.inf
        return got

    def quote_sell(self, a: int, units: float) -> float:
        """USD a sale of ``units`` of asset ``a`` fetches now (no state change)."""
        if units <= 0:
            return 0.0
        f = float(self.fundamental[self.k, a])
        x, k = f * units, self.k_of(a)
        if k == 0.0:
            return x * math.exp(-float(self.impact[a]))
        if math.isinf(k):
            return 0.0
        return f * math.exp(-float(self.impact[a])) * -math.expm1(-k * x) / (k * f)

    def sell(self, a: int, units: float) -> float:
        """Sell ``units`` of asset ``a``: the proceeds [USD]; the price falls (transient model)."""
        proceeds = self.quote_sell(a, units)
        self._move(a, units)
        return proceeds

    def quote_buy(self, a: int, usd: float) -> float:
        """Units of asset ``a`` that ``usd`` buys now (no state change): the inverse of the cost
        ``F e^{-I} (e^{k x} - 1) / k``, i.e. ``x = ln(1 + usd k e^{I}) / k`` of notional."""
        if usd <= 0:
            return 0.0
        f = float(self.fundamental[self.k, a])
        k = self.k_of(a)
        p = f * math.exp(-float(self.impact[a]))
        if p <= 0 or math.isinf(k):
            return 0.0
        if k == 0.0:
            return usd / p
        return math.log1p(usd * k * f / p) / (k * f)

    def buy(self, a: int, units: float) -> float:
        """Buy ``units`` of asset ``a``: the cost [USD]; the price rises (transient model)."""
        if units <= 0:
            return 0.0
        f = float(self.fundamental[self.k, a])
        x, k = f * units, self.k_of(a)
        p = f * math.exp(-float(self.impact[a]))
        cost = x * p / f if k == 0.0 or math.isinf(k) else p * math.expm1(k * x) / (k * f)
        self._move(a, -units)
        return cost

    def _move(self, a: int, units: float) -> None:
        f = float(self.fundamental[self.k, a])
        self.sold_usd[a] += f * units
        if self.transient:
            k = self.k_of(a)
            if not math.isinf(k):
                self.impact[a] += k * f * units

    def static_bid(self, q: float, p: float, depth: float) -> float:
        """The static model's average price per unit for ``q`` units (docs/risk-spec.md §5 exit bid)."""
        return exit_bid_one(q, p, depth, self.eta, self.delta)
