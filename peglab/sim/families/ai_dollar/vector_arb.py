"""The greedy arbitrageur of the vectorised AI-dollar model (``sim.agents.arbitrage`` over a batch).

The same graph: each ordered pair of coins of every pool, the venue's buy and sell of every
pooled asset with a ``D10`` (AI tokens, majors, the governance token), each AI dollar's PSM mint
and redemption; the same cycles (``arbitrage.cycles``: stablecoin to stablecoin, 2 to
``max_legs`` legs). Each round, for every path at once:

1. every leg's marginal rate and decay scale (pools from the invariant or the reserves, less
   the fee; the venue at its current price; the PSM at ``1 - tin`` while its room takes a
   1,000-dollar probe, and ``1 / (1 + tout)`` while its inventory pays the probe out, less
   beyond) give every cycle's first-order gain ``R (m - 1)^2 / 2`` at the input
   ``R (m - 1)``; cycles whose doubled estimate covers gas and threshold are screened in and a
   path's two best are sized;
2. sizing is a golden-section search on ``log x`` within a factor 16 of the estimated input
   (:data:`SEARCH` fixed steps, vectorised over the paths that chose the cycle) of the cycle's
   gain by the model's own quotes (the gain is concave in the input);
3. each path executes its best sized cycle if it gains at least ``min_profit_usd`` after gas
   (``gas_usd`` x the gas multiplier per on-chain leg), leg by leg on the pools, the venue and
   the PSMs.

Rounds repeat while any path still trades, at most ``max_trades`` times per step.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from ...agents.arbitrage import Leg, cycles, graph
from .vector_dealer import psm_mint, psm_redeem, psm_room
from .vector_state import VState

__all__ = ["SEARCH", "Arbitrage"]

F = NDArray[np.float64]
SEARCH = 12  # golden-section steps on log x: the bracket (a factor 256) shrinks to ~0.6% of x
_CANDIDATES = 2  # cycles sized per path and round (the best estimated gains), as the exact one
_SCREEN = 2.0  # a cycle is sized when twice its estimated gain covers gas + threshold
_G = (math.sqrt(5.0) - 1.0) / 2.0
PROBE = 1000.0  # the exact margin's probe of a PSM leg [reference stablecoin]


class Arbitrage:
    """The arbitrageur over the batch (module docstring)."""

    def __init__(self, s: VState) -> None:
        self.s = s
        sc = s.sc
        legs = graph(
            {pid: pool.coins for pid, pool in s.pools.items()},
            sc.assets,
            s.stable,
            [d.sym for d in s.dols if d.has_psm],
        )
        self.legs = legs
        p = sc.agents.arbitrageurs
        self.cycles = cycles(legs, s.stable, int(p.max_legs)) if s.stable else []
        self.idx = sc.asset_index
        where = {leg: i for i, leg in enumerate(self.legs)}
        longest = max((len(c) for c in self.cycles), default=0)
        self.table = np.full((len(self.cycles), longest), len(self.legs), np.intp)
        for ci, cyc in enumerate(self.cycles):
            self.table[ci, : len(cyc)] = [where[leg] for leg in cyc]
        self.room: dict[str, F] = {}
        self.enabled = bool(p.enabled) and s.stable is not None and bool(self.cycles)

    def _margin(self, leg: Leg, k: int) -> tuple[F, F]:
        """``(rate, scale)`` of ``leg`` per path: the marginal rate less fees and the input over
        which it decays like ``1 / (1 + x / scale)`` (``Arbitrageur.margin`` of the exact one)."""
        s = self.s
        inf = np.full(s.P, np.inf)
        if leg.kind == "pool":
            pool = s.pools[leg.key]
            i, j = pool.index(leg.src), pool.index(leg.dst)
            r0 = pool.price(i, j)
            if not pool.stable:
                return r0 * (1.0 - pool.fee), pool.bal[:, i] / 2
            h = pool.bal[:, i] / 100
            moved = pool.bal.copy()
            moved[:, i] += h
            moved[:, j] -= r0 * h
            r1 = pool.price(i, j, moved)
            with np.errstate(divide="ignore", invalid="ignore"):
                scale = np.where((r1 < r0) & (moved[:, j] > 0), h / (r0 / r1 - 1.0), np.inf)
            scale = np.minimum(scale, np.minimum(pool.bal[:, i], pool.bal[:, j]))
            return r0 * (1.0 - pool.fee), scale
        if leg.kind == "venue":
            a = self.idx[leg.key]
            px = s.venue.price(a)
            kf = s.venue.k_of(a) * s.venue.f[:, s.venue.k, a]
            with np.errstate(divide="ignore", invalid="ignore"):
                if leg.src == s.stable:
                    return np.where(px > 0, 1.0 / px, 0.0), np.where(kf > 0, px / kf, np.inf)
                return px, np.where(kf > 0, 1.0 / kf, np.inf)
        # a PSM at the rate of a 1,000-dollar probe, as the exact ``margin``: a mint is refused
        # beyond the day's room (so a PSM with less room is closed), a redemption pays out at most
        # the inventory
        d = s.dol_of[leg.key]
        if leg.src == s.stable:
            return np.where(self.room[leg.key] >= PROBE, 1.0 - d.tin, 0.0), inf
        probe = np.minimum(PROBE / (1.0 + d.tout), np.maximum(d.gem, 0.0)) / PROBE
        return np.where(d.live(), probe, 0.0), inf

    def _quote(self, leg: Leg, x: F, rows: NDArray[np.intp], k: int) -> F:
        s = self.s
        if leg.kind == "pool":
            pool = s.pools[leg.key]
            return pool.quote(pool.index(leg.src), pool.index(leg.dst), x, rows)
        if leg.kind == "venue":
            a = self.idx[leg.key]
            if leg.src == s.stable:
                return s.venue.quote_buy(a, x, rows)
            return s.venue.quote_sell(a, x, rows)
        d = s.dol_of[leg.key]
        if leg.src == s.stable:  # all or nothing, as ``sell_gem`` within the room
            return np.asarray(np.where(x <= self.room[leg.key][rows], x * (1.0 - d.tin), 0.0))
        live = d.live()[rows]
        return np.asarray(np.where(live, np.minimum(x / (1.0 + d.tout), d.gem[rows]), 0.0))

    def _execute(self, leg: Leg, x: F, k: int) -> F:
        s = self.s
        if leg.kind == "pool":
            pool = s.pools[leg.key]
            return pool.swap(pool.index(leg.src), pool.index(leg.dst), x)
        if leg.kind == "venue":
            a = self.idx[leg.key]
            if leg.src == s.stable:
                units = s.venue.quote_buy(a, x)
                s.venue.buy(a, units)
                return units
            return s.venue.sell(a, x)
        d = s.dol_of[leg.key]
        if leg.src == s.stable:
            gem = np.minimum(x, self.room[leg.key])
            self.room[leg.key] = self.room[leg.key] - gem
            return psm_mint(s, d, gem, k)
        return psm_redeem(s, d, x, k)[0]

    def _gain(self, cyc: tuple[Leg, ...], x: F, rows: NDArray[np.intp], k: int) -> F:
        amt = x
        for leg in cyc:
            amt = self._quote(leg, amt, rows, k)
        return amt - x

    def _size(
        self, cyc: tuple[Leg, ...], rows: NDArray[np.intp], cash: F, guess: F, k: int
    ) -> tuple[F, F]:
        """``(input, gain)``: golden section on ``log x`` within ``guess / 16 .. 16 guess``
        (capped by the cash) for the paths ``rows`` that chose ``cyc``."""
        g = np.where(np.isfinite(guess), guess, cash)
        lo = np.log(np.clip(g / 16, 1.0, np.maximum(cash, 1.0)))
        hi = np.log(np.clip(g * 16, 1.0, np.maximum(cash, 1.0)))
        c = hi - _G * (hi - lo)
        dd = lo + _G * (hi - lo)
        gc = self._gain(cyc, np.exp(c), rows, k)
        gd = self._gain(cyc, np.exp(dd), rows, k)
        for _ in range(SEARCH):
            left = gc >= gd
            hi = np.where(left, dd, hi)
            lo = np.where(left, lo, c)
            dd_new = np.where(left, c, lo + _G * (hi - lo))
            c_new = np.where(left, hi - _G * (hi - lo), dd)
            g_eval = self._gain(cyc, np.exp(np.where(left, c_new, dd_new)), rows, k)
            gd, gc = np.where(left, gc, g_eval), np.where(left, g_eval, gd)
            c, dd = c_new, dd_new
        x = np.exp(np.where(gc >= gd, c, dd))
        return x, np.maximum(gc, gd)

    def run(self, k: int) -> None:
        """Trade this step until no path's best cycle gains the threshold after gas."""
        if not self.enabled:
            return
        s = self.s
        p = s.sc.agents.arbitrageurs
        gas = float(p.gas_usd) * s.gas[:, k]
        floor = float(p.min_profit_usd)
        active = s.arb_cash > 0
        self.room = {d.sym: psm_room(s, d, k) for d in s.dols if d.has_psm}
        n_gas = np.array([sum(leg.onchain for leg in cyc) for cyc in self.cycles], float)
        for _ in range(int(p.max_trades)):
            if not active.any():
                return
            rate = np.ones((len(self.legs) + 1, s.P))  # the last row: the padding leg
            scale = np.full((len(self.legs) + 1, s.P), np.inf)
            for row, leg in enumerate(self.legs):
                rate[row], scale[row] = self._margin(leg, k)
            m, inv = np.ones((len(self.cycles), s.P)), np.zeros((len(self.cycles), s.P))
            for t in range(self.table.shape[1]):  # every cycle at once, leg by leg
                at_t = self.table[:, t]
                inv = inv + m / scale[at_t]
                m = m * rate[at_t]
            with np.errstate(divide="ignore", invalid="ignore"):
                big_r = np.where(inv > 0, 1.0 / inv, np.inf)
                est = np.where(m > 1.0, big_r * (m - 1.0) ** 2 / 2.0, 0.0)
                at = np.where(m > 1.0, big_r * (m - 1.0), 0.0).T
            cost = n_gas[:, None] * gas[None, :]
            ok = active[None, :] & (m > 1.0) & (_SCREEN * est >= floor + cost)
            score = np.where(ok, est - cost, -np.inf).T
            order = np.argsort(-score, axis=1)[:, :_CANDIDATES]
            best_net = np.full(s.P, -np.inf)
            best_x = np.zeros(s.P)
            best_c = np.full(s.P, -1)
            chosen = np.isfinite(np.take_along_axis(score, order, axis=1))
            for ci in np.unique(order[chosen]):
                rows = np.flatnonzero((chosen & (order == ci)).any(axis=1))
                x, g = self._size(self.cycles[ci], rows, s.arb_cash[rows], at[rows, ci], k)
                net = g - n_gas[ci] * gas[rows]
                better = net > best_net[rows]
                best_net[rows] = np.where(better, net, best_net[rows])
                best_x[rows] = np.where(better, x, best_x[rows])
                best_c[rows] = np.where(better, ci, best_c[rows])
            trade = active & (best_net >= floor) & (best_x > 0)
            if not trade.any():
                return
            for ci in np.unique(best_c[trade]):
                sel = trade & (best_c == ci)
                amt = np.where(sel, best_x, 0.0)
                s.arb_cash -= amt
                for leg in self.cycles[ci]:
                    amt = np.where(sel, self._execute(leg, amt, k), 0.0)
                s.arb_cash += amt
            active = trade & (s.arb_cash > 0)
