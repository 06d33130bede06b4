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
2. sizing is the exact arbitrageur's search (``Arbitrageur.size``) on the model's own quotes,
   vectorised over the chosen (path, cycle) pairs: from the estimated input, halving while the
   gain is not positive, doubling while it rises (within the cash), then the exact one's
   golden-section steps on the bracket (the gain is concave in the input);
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
from ...vector_stableswap import fold, price_folded, solve_y
from .vector_dealer import psm_mint, psm_redeem, psm_room
from .vector_state import VState

__all__ = ["Arbitrage"]

F = NDArray[np.float64]
_CANDIDATES = 2  # cycles sized per path and round (the best estimated gains), as the exact one
_SCREEN = 2.0  # a cycle is sized when twice its estimated gain covers gas + threshold
_G = (math.sqrt(5.0) - 1.0) / 2.0
PROBE = 1000.0  # the exact margin's probe of a PSM leg [reference stablecoin]
PAD, STABLE, CP, BUY, SELL, MINT, REDEEM = range(7)  # leg kinds (PAD: past a cycle's end)
_UNIT_MIN = 1e-6  # the exact search's smallest input: one base unit of a 6-decimal stablecoin


class _Group:
    """The pairs of one leg kind at one position of the cycles being sized: their indices in
    the pair list and the leg parameters gathered for them (fixed while a round sizes), with
    the quotes' input-free parts computed once (:meth:`pay` evaluates the rest per input)."""

    def __init__(self, kind: int, idx: NDArray[np.intp], a: F, b: F, c: F, e: F, fee: F) -> None:
        self.kind, self.idx = kind, idx
        self.a, self.b, self.c, self.e, self.fee = a, b, c, e, fee
        self.keep = 1.0 - fee
        if kind in (BUY, SELL):  # a: fundamental, b: price now, c: impact per USD of notional
            self.kf = c * a
            self.pos = c > 0
            self.b_floor = np.maximum(b, 1e-300)
            self.dead = np.isinf(c) | (b <= 0) if kind == BUY else np.isinf(c)
        elif kind == REDEEM:
            self.keep = 1.0 + fee  # the divisor of a redemption

    def subset(self, pos: NDArray[np.intp], keep: NDArray[np.intp]) -> _Group:
        """The group of the entries ``keep`` only, at the pair indices ``pos``."""
        return _Group(
            self.kind, pos, self.a[keep], self.b[keep], self.c[keep], self.e[keep], self.fee[keep]
        )

    def pay(self, x: F) -> F:
        """What the group's legs pay out for inputs ``x``: the quotes of ``VecPool.quote``,
        ``VecVenue.quote_buy``/``quote_sell`` and the PSM, on the gathered parameters (the
        caller silences float warnings: :meth:`Arbitrage.run`)."""
        kd = self.kind
        if kd == STABLE:
            raw = self.b - solve_y(self.a + x, self.e, self.c) - 1e-18
            return np.where((x > 0) & (raw > 0), raw * self.keep, 0.0)
        if kd == CP:
            xe = x * self.keep
            return np.asarray(self.b * xe / np.maximum(self.a + xe, 1e-300), dtype=np.float64)
        if kd == BUY:
            kf, b = self.kf, self.b
            out = np.where(self.pos, np.log1p(x * kf / self.b_floor) / kf, x / b)
            return np.where(self.dead | (x <= 0), 0.0, out)
        if kd == SELL:
            kf = self.kf
            out = np.where(self.pos, self.b * -np.expm1(-kf * x) / kf, x * self.b)
            return np.where(self.dead | (x <= 0), 0.0, out)
        if kd == MINT:  # all or nothing, as ``sell_gem`` within the room
            return np.where(x <= self.a, x * self.keep, 0.0)
        return np.minimum(x / self.keep, self.a)  # REDEEM (a: 0 after shutdown)


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
        n_l = len(legs) + 1  # the last row: the padding leg (identity)
        self.kind = np.full(n_l, PAD, np.int8)
        self.fee = np.zeros(n_l)
        for row, leg in enumerate(legs):
            if leg.kind == "pool":
                pool = s.pools[leg.key]
                self.kind[row], self.fee[row] = (STABLE if pool.stable else CP), pool.fee
            elif leg.kind == "venue":
                self.kind[row] = BUY if leg.src == s.stable else SELL
            else:
                d = s.dol_of[leg.key]
                mint = leg.src == s.stable
                self.kind[row], self.fee[row] = (MINT, d.tin) if mint else (REDEEM, d.tout)
        self.rows_of = {kd: np.flatnonzero(self.kind == kd) for kd in range(1, 7)}
        # leg parameters per active path, refreshed each round (``_tables``)
        self.a, self.b = np.zeros((n_l, 0)), np.zeros((n_l, 0))
        self.c, self.e = np.zeros((n_l, 0)), np.zeros((n_l, 0))
        self.n_gas = np.array([sum(leg.onchain for leg in cyc) for cyc in self.cycles], float)
        self.steps = int(p.search_steps)  # golden-section steps of ``_size``, as the exact one
        self.room: dict[str, F] = {}
        self.enabled = bool(p.enabled) and s.stable is not None and bool(self.cycles)

    # -- the legs' parameters and margins ------------------------------------------------------
    def _tables(self, rows: NDArray[np.intp]) -> None:
        """Every leg's parameters now on the paths ``rows`` (the active ones): pools ``a``, ``b``
        the in and out balances (StableSwap: ``e``, ``c`` the folded rest and ``k`` of
        ``sim.vector_stableswap.fold``); the venue ``a`` the fundamental price, ``b`` the
        current price, ``c`` the impact per USD; a PSM ``a`` its room (mint) or inventory
        (redeem, 0 after shutdown)."""
        s = self.s
        shape = (len(self.legs) + 1, rows.size)
        self.a, self.b, self.c, self.e = (np.zeros(shape) for _ in range(4))
        folded: dict[tuple[str, int, int], tuple[F, F]] = {}
        bals: dict[str, F] = {}
        for row, leg in enumerate(self.legs):
            kd = int(self.kind[row])
            if kd in (STABLE, CP):
                pool = s.pools[leg.key]
                bal = bals.get(leg.key)
                if bal is None:
                    bal = bals[leg.key] = pool.bal[rows]
                i, j = pool.index(leg.src), pool.index(leg.dst)
                self.a[row], self.b[row] = bal[:, i], bal[:, j]
                if kd == STABLE:
                    key = (leg.key, min(i, j), max(i, j))
                    if key not in folded:
                        rest = [bal[:, m] for m in range(pool.n) if m not in (i, j)]
                        folded[key] = fold(rest, pool.d[rows], pool.ann, pool.n)
                    self.e[row], self.c[row] = folded[key]
            elif kd in (BUY, SELL):
                a = self.idx[leg.key]
                self.a[row] = s.venue.f_now(a)[rows]
                self.b[row] = s.venue.price(a)[rows]
                self.c[row] = s.venue.k_of(a)[rows]
            elif kd == MINT:
                self.a[row] = self.room[leg.key][rows]
            else:
                d = s.dol_of[leg.key]
                self.a[row] = np.where(d.live()[rows], d.gem[rows], 0.0)

    def _margins(self) -> tuple[F, F]:
        """``(rate, scale)`` of every leg per path (``[legs + 1, P]``): the marginal rate less
        fees and the input over which it decays like ``1 / (1 + x / scale)``
        (``Arbitrageur.margin`` of the exact one)."""
        rate = np.ones_like(self.a)
        scale = np.full_like(self.a, np.inf)
        fee = self.fee[:, None]
        r = self.rows_of[STABLE]
        if r.size:
            xi, xj, kk = self.a[r], self.b[r], self.c[r]
            r0 = price_folded(xi, xj, kk)
            h = xi / 100
            mj = xj - r0 * h
            r1 = price_folded(xi + h, mj, kk)
            with np.errstate(divide="ignore", invalid="ignore"):
                sc_ = np.where((r1 < r0) & (mj > 0), h / (r0 / r1 - 1.0), np.inf)
            scale[r] = np.minimum(sc_, np.minimum(xi, xj))
            rate[r] = r0 * (1.0 - fee[r])
        r = self.rows_of[CP]
        if r.size:
            rate[r] = self.b[r] / np.maximum(self.a[r], 1e-300) * (1.0 - fee[r])
            scale[r] = self.a[r] / 2
        with np.errstate(divide="ignore", invalid="ignore"):
            for kd in (BUY, SELL):
                r = self.rows_of[kd]
                if r.size:
                    px, kf = self.b[r], self.c[r] * self.a[r]
                    if kd == BUY:
                        rate[r] = np.where(px > 0, 1.0 / px, 0.0)
                        scale[r] = np.where(kf > 0, px / kf, np.inf)
                    else:
                        rate[r] = px
                        scale[r] = np.where(kf > 0, 1.0 / kf, np.inf)
        # a PSM at the rate of a 1,000-dollar probe, as the exact ``margin``: a mint is refused
        # beyond the day's room (so a PSM with less room is closed), a redemption pays out at most
        # the inventory (``a``: 0 after shutdown)
        r = self.rows_of[MINT]
        if r.size:
            rate[r] = np.where(self.a[r] >= PROBE, 1.0 - fee[r], 0.0)
        r = self.rows_of[REDEEM]
        if r.size:
            rate[r] = np.minimum(PROBE / (1.0 + fee[r]), np.maximum(self.a[r], 0.0)) / PROBE
        return rate, scale

    # -- sizing: every chosen (path, cycle) pair at once ----------------------------------------
    def _groups(self, pp: NDArray[np.intp], cyc: NDArray[np.intp]) -> list[list[_Group]]:
        """Per position of the cycles, the pairs grouped by leg kind with their parameters."""
        P = self.a.shape[1]  # the active paths of the round
        a, b, c, e = self.a.ravel(), self.b.ravel(), self.c.ravel(), self.e.ravel()
        out = []
        for t in range(self.table.shape[1]):
            legs = self.table[cyc, t]
            kinds = self.kind[legs]
            flat = legs * P + pp
            groups = []
            for kd in range(1, 7):
                idx = np.flatnonzero(kinds == kd)
                if idx.size:
                    f = flat[idx]
                    fee = self.fee[legs[idx]]
                    groups.append(_Group(kd, idx, a[f], b[f], c[f], e[f], fee))
            out.append(groups)
        return out

    def _gain(self, groups: list[list[_Group]], x: F) -> F:
        """Every pair's cycle gain (output less input) for inputs ``x``, leg position by position."""
        amt = x
        for per_t in groups:
            if len(per_t) == 1 and per_t[0].idx.size == amt.size:  # one kind on every pair
                amt = per_t[0].pay(amt)  # (a group's indices ascend: here all, in order)
                continue
            nxt = amt.copy()  # the padding leg passes its input on
            for g in per_t:
                nxt[g.idx] = g.pay(amt[g.idx])
            amt = nxt
        return amt - x

    @staticmethod
    def _restrict(groups: list[list[_Group]], sub: NDArray[np.intp], n: int) -> list[list[_Group]]:
        """The groups of the pairs ``sub`` only (of ``n``), indexed by position in ``sub``."""
        at = np.full(n, -1, np.intp)
        at[sub] = np.arange(sub.size)
        out = []
        for per_t in groups:
            kept = []
            for g in per_t:
                pos = at[g.idx]
                keep = np.flatnonzero(pos >= 0)
                if keep.size:
                    kept.append(g.subset(pos[keep], keep))
            out.append(kept)
        return out

    def _gain_of(self, groups: list[list[_Group]], sub: NDArray[np.intp], n: int, x: F) -> F:
        """:meth:`_gain` of the pairs ``sub`` (of ``n``) at inputs ``x`` (one per entry)."""
        if sub.size == n:
            return self._gain(groups, x)
        return self._gain(self._restrict(groups, sub, n), x)

    def _size(self, groups: list[list[_Group]], cash: F, guess: F) -> tuple[F, F]:
        """``(input, gain)`` of every pair, searched as the exact ``Arbitrageur.size`` does: from
        the guess (the cash when it is infinite) within the cash, halve while the gain is not
        positive (down to one stablecoin), double while the gain rises and twice the input is
        within the cash, then golden section on ``[previous input or 0, min(2 x, cash)]``
        (``arbitrageurs.search_steps`` steps, as the exact one); the best of the three points
        kept. The pairs still halving or doubling are evaluated alone (:meth:`_gain_of`)."""
        n = cash.size
        x = np.maximum(np.minimum(cash, np.where(np.isfinite(guess), guess, cash)), _UNIT_MIN)
        gx = self._gain(groups, x)
        todo = np.flatnonzero((gx <= 0) & (x > 1.0))
        while todo.size:  # the guess overshot: halve
            x[todo] = x[todo] / 2.0
            gx[todo] = self._gain_of(groups, todo, n, x[todo])
            todo = todo[(gx[todo] <= 0) & (x[todo] > 1.0)]
        lo = np.zeros(n)
        todo = np.flatnonzero((gx > 0) & (2.0 * x <= cash))
        while todo.size:  # double while the gain rises
            g2 = self._gain_of(groups, todo, n, 2.0 * x[todo])
            up = g2 > gx[todo]
            todo = todo[up]
            lo[todo], x[todo], gx[todo] = x[todo], 2.0 * x[todo], g2[up]
            todo = todo[2.0 * x[todo] <= cash[todo]]
        found = np.flatnonzero(gx > 0)
        best_x, best_g = np.zeros(n), np.zeros(n)
        if found.size == 0:
            return best_x, best_g
        sub = groups if found.size == n else self._restrict(groups, found, n)
        a, b = lo[found], np.minimum(2.0 * x[found], cash[found])
        c, dd = b - (b - a) * _G, a + (b - a) * _G
        gc, gd = self._gain(sub, c), self._gain(sub, dd)
        for _ in range(self.steps):  # golden section on [a, b] (the gain is concave)
            left = gc >= gd
            b = np.where(left, dd, b)
            a = np.where(left, a, c)
            dd_new = np.where(left, c, a + (b - a) * _G)
            c_new = np.where(left, b - (b - a) * _G, dd)
            g_eval = self._gain(sub, np.where(left, c_new, dd_new))
            gd, gc = np.where(left, gc, g_eval), np.where(left, g_eval, gd)
            c, dd = c_new, dd_new
        bx, bg = x[found], gx[found]  # the best of (x, c, dd), ties to the larger input
        for g2, x2 in ((gc, c), (gd, dd)):
            better = (g2 > bg) | ((g2 == bg) & (x2 > bx))
            bx, bg = np.where(better, x2, bx), np.where(better, g2, bg)
        pos = bg > 0
        best_x[found] = np.where(pos, bx, 0.0)
        best_g[found] = np.where(pos, bg, 0.0)
        return best_x, best_g

    # -- execution --------------------------------------------------------------------------------
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

    def run(self, k: int) -> None:
        """Trade this step until no path's best cycle gains the threshold after gas."""
        if not self.enabled:
            return
        s = self.s
        p = s.sc.agents.arbitrageurs
        gas = float(p.gas_usd) * s.gas[:, k]
        floor = float(p.min_profit_usd)
        active = s.arb_cash > 0
        self.room = {d.sym: psm_room(s, d, k, bounded=True) for d in s.dols if d.has_psm}
        n_gas = self.n_gas
        for _ in range(int(p.max_trades)):
            rows = np.flatnonzero(active)  # later rounds: the paths that traded and have cash
            if rows.size == 0:
                return
            self._tables(rows)
            rate, scale = self._margins()
            n_c, n_t = len(self.cycles), self.table.shape[1]
            m = np.ones((n_c, rows.size))
            for t in range(n_t):  # every cycle's rate product at once, leg by leg
                m = m * rate[self.table[:, t]]
            # the rest on the cycles that gain at the margin only (the same products again)
            ci, pi = np.nonzero(m > 1.0)
            mh, inv = np.ones(ci.size), np.zeros(ci.size)
            for t in range(n_t):
                leg = self.table[ci, t]
                inv = inv + mh / scale[leg, pi]
                mh = mh * rate[leg, pi]
            with np.errstate(divide="ignore", invalid="ignore"):
                big_r = np.where(inv > 0, 1.0 / inv, np.inf)
            est = big_r * (mh - 1.0) ** 2 / 2.0
            gas_r = gas[rows]
            cost = n_gas[ci] * gas_r[pi]
            ok = _SCREEN * est >= floor + cost
            some, at_row = np.unique(pi[ok], return_inverse=True)  # paths with a cycle screened in
            if some.size == 0:
                return
            # each path's cycles sorted apart (a row's order does not depend on the others)
            score = np.full((some.size, n_c), -np.inf)
            score[at_row, ci[ok]] = est[ok] - cost[ok]
            order = np.argsort(-score, axis=1)[:, :_CANDIDATES]
            chosen = np.isfinite(np.take_along_axis(score, order, axis=1))
            sp, rank = np.nonzero(chosen)
            pp, cyc = some[sp], order[sp, rank]  # pp: positions in ``rows``
            inv_c = inv[np.searchsorted(ci * rows.size + pi, cyc * rows.size + pp)]
            with np.errstate(divide="ignore"):
                at = np.where(inv_c > 0, 1.0 / inv_c, np.inf) * (m[cyc, pp] - 1.0)
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # the quotes'
                x, g = self._size(self._groups(pp, cyc), s.arb_cash[rows[pp]], at)
            net = g - n_gas[cyc] * gas_r[pp]
            # per path the best sized candidate (ties: the lower cycle index)
            best = np.lexsort((cyc, -net, pp))
            best = best[np.r_[True, pp[best][1:] != pp[best][:-1]]]
            go = (net[best] >= floor) & (x[best] > 0)
            best = best[go]
            if best.size == 0:
                return
            trade = np.zeros(s.P, bool)
            trade[rows[pp[best]]] = True
            best_x = np.zeros(s.P)
            best_c = np.full(s.P, -1)
            best_x[rows[pp[best]]] = x[best]
            best_c[rows[pp[best]]] = cyc[best]
            self._trade(trade, best_x, best_c, k)
            active = trade & (s.arb_cash > 0)

    def _trade(self, trade: NDArray[np.bool_], x: F, cyc: NDArray[np.intp], k: int) -> None:
        """Each trading path runs its cycle leg by leg; the paths on the same leg at the same
        position trade together (paths never share state, so the order between them is moot)."""
        s = self.s
        amt = np.where(trade, x, 0.0)
        s.arb_cash -= amt
        pad = len(self.legs)
        for t in range(self.table.shape[1]):
            legs = np.where(trade, self.table[np.maximum(cyc, 0), t], pad)
            for row in np.unique(legs):
                if row == pad:
                    continue
                sel = legs == row
                amt = np.where(sel, self._execute(self.legs[row], np.where(sel, amt, 0.0), k), amt)
        s.arb_cash += amt
