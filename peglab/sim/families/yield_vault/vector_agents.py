"""The AI dollar on vault shares, the loopers, the keeper and the arbitrageur over a batch of paths
(float64; docs/scale.md "Vectorised models: yield vaults").

They restate ``sim.agents.looping.Looper``, ``ShareKeeper`` and ``PegArbitrageur``
(docs/yield-vaults.md §7.2-7.3) and the pieces of the AI dollar they use: the one collateral type
``<share>-A`` (stability fee compounded per second, the OSM's one-day hop over the vault's
settled price per share, ``spot = price / mat``, the dust), the exponential Dutch auction
(``top = price × buf``, ``cut`` per second, a reset after ``tail`` or below ``cusp``), the PSM
(``tin``/``tout``, its debt ceiling) and the StableSwap pool (``ai_dollar.vector_pools.VecPool``).

Units: AI dollars, pool balances and the PSM's stablecoin in whole tokens; the vault's asset and
shares in base units (``unit`` = 10^decimals), as ``vector_vault``. Loopers are a second array
dimension ``[paths, loopers]`` and act one after another within a day, each vectorised over the
paths, as the exact loopers act one after another on the same pool.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ...agents.looping import LoopParams
from ..ai_dollar.vector_pools import VecPool
from .vector_markets import rowsum
from .vector_vault import VecVault

__all__ = ["CdpParams", "VecDollar", "VecLoopers", "pool_price"]

F = NDArray[np.float64]
B = NDArray[np.bool_]
DAY_S = 86_400.0


def pool_price(pool: VecPool, iy: int, iu: int, fee: float) -> F:
    """``agents.pool_price``: a quote of 1/100,000 of the AI dollar's balance (at least one
    token), floored to the stablecoin's unit, per token, with the fee added back."""
    probe = np.maximum(pool.bal[:, iy] / 100_000, 1.0)
    out = np.floor(pool.quote(iy, iu, probe) * 1e6) / 1e6
    return np.asarray(out / probe / (1.0 - fee))


@dataclass(frozen=True)
class CdpParams:
    """The collateral type's parameters as floats (``YieldParams``)."""

    mat: float
    chop: float
    buf: float
    cut: float
    cusp: float
    tail_s: float
    dust: float = 500.0
    chip: float = 0.001
    tip: float = 20.0


class VecDollar:
    """The AI dollar's state per path: fee accumulator, OSM, PSM, pool, keeper and arbitrageur."""

    def __init__(self, paths: int, cdp: CdpParams, pool: VecPool, iy: int, iu: int, fee: float):
        self.c = cdp
        self.rate = np.ones(paths)
        self.cur = np.ones(paths)  # OSM: the price in force (per whole share)
        self.nxt = np.ones(paths)
        self.pool, self.iy, self.iu, self.fee = pool, iy, iu, fee
        self.gem = np.zeros(paths)  # the PSM's stablecoin
        self.line = 0.0
        self.tin = self.tout = 0.0

    def poke(self, pps: F) -> None:
        self.cur, self.nxt = self.nxt, pps.copy()

    def sell_gem(self, usd: F, mask: B) -> tuple[F, B]:
        """Stablecoin in, AI dollars out (less ``tin``) where it fits under the PSM's line."""
        ok = mask & (usd > 0) & (self.gem + usd <= self.line)
        self.gem = np.where(ok, self.gem + usd, self.gem)
        return np.where(ok, usd * (1.0 - self.tin), 0.0), ok

    def swap_in_pool(self, sell_dollar: bool, amount: F) -> F:
        i, j = (self.iy, self.iu) if sell_dollar else (self.iu, self.iy)
        return self.pool.swap(i, j, np.maximum(amount, 0.0))

    def price(self) -> F:
        return pool_price(self.pool, self.iy, self.iu, self.fee)


class VecLoopers:
    """``Looper`` × ``L`` per path, their CDP vaults, and the share keeper's auctions of them."""

    def __init__(
        self, paths: int, n: int, lp: LoopParams, capital: float, vault: VecVault, d: VecDollar
    ) -> None:
        self.n, self.lp, self.v, self.d = n, lp, vault, d
        self.capital = capital
        z = np.zeros((paths, n))
        self.cash, self.held, self.free = z.copy(), z.copy(), z.copy()
        self.ink, self.art = z.copy(), z.copy()
        self.has_cdp = np.zeros((paths, n), dtype=bool)
        self.unwind = np.zeros((paths, n), dtype=bool)
        self.unwinds = np.zeros((paths, n))
        self.liquidated = np.zeros((paths, n), dtype=bool)
        # one running auction per looper's vault: tab (AI dollars), lot (share units), top, tic
        self.a_live = np.zeros((paths, n), dtype=bool)
        self.a_tab, self.a_lot, self.a_top, self.a_tic = z.copy(), z.copy(), z.copy(), z.copy()
        self.a_id = np.full((paths, n), np.inf)
        self.a_due, self.a_got = z.copy(), z.copy()  # the running auction's books
        self.closed_short = np.zeros(paths)  # shortfall of the closed auctions
        self.kicks = 0
        h = lp.apy_lookback_days + 1
        self.pps_hist = np.zeros((paths, h))
        self.nhist = 0
        self.peak = np.zeros(paths)
        self.rows = np.arange(paths)
        # the keeper
        self.k_dollars = np.zeros(paths)
        self.k_cash = np.zeros(paths)
        self.k_shares = np.zeros(paths)
        self.k_target = 0.0

    # -- reads ---------------------------------------------------------------------------------------
    def debt(self, i: int) -> F:
        return np.asarray(self.art[:, i] * self.d.rate)

    def exposure(self, i: int) -> F:
        """Asset units in the vault: shares at NAV, pending deposits, claimable redemptions."""
        v, c = self.v, 1 + i
        shares = self.ink[:, i] + self.free[:, i] + v.dep_claim[:, c]
        shares = shares + v.red_open[:, c] + v.red_closed[:, c]
        return np.asarray(v.to_assets(shares) + v.dep_open[:, c] + v.red_claim[:, c])

    def equity(self, i: int) -> F:
        u = self.v.u
        return np.asarray((self.exposure(i) + self.cash[:, i]) / u + self.held[:, i] - self.debt(i))

    def leverage(self, i: int) -> F:
        debt = self.debt(i)
        eq = self.equity(i)
        with np.errstate(divide="ignore", invalid="ignore"):
            lev = np.where(eq > 0, self.exposure(i) / self.v.u / eq, np.inf)
        return np.asarray(np.where(debt > 0, lev, 1.0))

    # -- the day ---------------------------------------------------------------------------------------
    def observe(self, pps: F) -> None:
        """Every looper appends the vault's price per share to its history (all see the same)."""
        live = (self.v.S > 0) & (pps > 0)
        self.pps_hist = np.where(
            live[:, None],
            np.concatenate([self.pps_hist[:, 1:], pps[:, None]], axis=1),
            self.pps_hist,
        )
        self.nhist = min(self.nhist + 1, self.pps_hist.shape[1])
        self.peak = np.where(live, np.maximum(self.peak, pps), self.peak)

    def triggers(self, i: int, gap: float, pps: F, borrow_apr: float) -> B:
        p = self.lp
        out = np.zeros(len(pps), dtype=bool)
        if self.nhist >= self.pps_hist.shape[1]:
            h0, h1 = self.pps_hist[:, 0], self.pps_hist[:, -1]
            days = self.pps_hist.shape[1] - 1
            with np.errstate(divide="ignore", invalid="ignore"):
                apy = (h1 / h0) ** (365.0 / days) - 1.0
            out |= (h0 > 0) & (borrow_apr > apy - p.min_spread - gap)
        out |= (self.peak > 0) & (pps * (1.0 + gap) < self.peak * (1.0 - p.nav_drop))
        debt = self.debt(i)
        value = self.ink[:, i] / self.v.u * self.d.cur
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(debt > 0, value / debt, np.inf)
        out |= (
            self.has_cdp[:, i] & (debt > 0) & (ratio < self.d.c.mat * (1.0 + p.health_buffer + gap))
        )
        return out

    def act(self, i: int, k: int, pps: F, borrow_apr: float) -> None:
        """``Looper.act`` of looper ``i`` on every path."""
        c = 1 + i
        sh, a = self.v.claim(c)
        self.free[:, i] += sh
        self.cash[:, i] += a
        lever = ~self.unwind[:, i]
        dep = lever & (self.free[:, i] > 0)
        self.has_cdp[:, i] |= dep
        self.ink[:, i] += np.where(dep, self.free[:, i], 0.0)
        self.free[:, i] = np.where(dep, 0.0, self.free[:, i])
        start = lever & self.triggers(i, 0.0, pps, borrow_apr)
        stop = ~lever & ~self.triggers(i, self.lp.relever_gap, pps, borrow_apr)
        self.unwinds[:, i] += start
        self.unwind[:, i] = (self.unwind[:, i] | start) & ~stop
        self._lever(i, ~self.unwind[:, i])
        self._unwind(i, self.unwind[:, i], k)

    def _sell(self, i: int, amount: F, mask: B) -> None:
        """Sell up to ``amount`` AI dollars at no less than ``1 - max_slippage``, halving."""
        floor = 1.0 - self.lp.max_slippage_bps / 1e4
        dx = np.where(mask, amount, 0.0)
        active = dx >= 1.0
        while active.any():
            out = self.d.pool.quote(self.d.iy, self.d.iu, dx)
            ok = active & (np.floor(out * 1e6) >= np.floor(dx * floor * 1e6))
            if ok.any():
                got = self.d.swap_in_pool(True, np.where(ok, dx, 0.0))
                self.cash[:, i] += np.floor(got * self.v.u)
                self.held[:, i] -= np.where(ok, dx, 0.0)
            active &= ~ok
            dx = np.where(active, dx / 2, 0.0)
            active &= dx >= 1.0

    def _lever(self, i: int, m: B) -> None:
        p, d, u = self.lp, self.d, self.v.u
        has = m & (self.held[:, i] > 0)
        if has.any():
            self._sell(i, self.held[:, i], has)
        coll, debt = self.ink[:, i], self.debt(i)
        go = m & (coll > 0) & (self.held[:, i] < 1.0)
        if go.any():
            target = self.equity(i) * (p.target_leverage - 1.0)
            limit = coll / u * d.cur / (d.c.mat * (1.0 + p.health_buffer + p.relever_gap))
            room = np.maximum(0.0, (limit - debt) * (1.0 - p.mint_margin))
            want = np.minimum(target - debt, room)
            go &= (want > 0) & ((debt > 0) | (want >= d.c.dust))
            self.art[:, i] += np.where(go, want / d.rate, 0.0)
            self.held[:, i] += np.where(go, want, 0.0)
            if go.any():
                self._sell(i, self.held[:, i], go)
        cash = m & (self.cash[:, i] > 0)
        self.v.request_deposit(1 + i, self.cash[:, i], cash)
        self.cash[:, i] = np.where(cash, 0.0, self.cash[:, i])

    def _unwind(self, i: int, m: B, k: int) -> None:
        p, d, u = self.lp, self.d, self.v.u
        prem = 1.0 + p.max_unwind_premium_bps / 1e4
        debt = self.debt(i)
        buy = m & (debt > 0) & (self.cash[:, i] > 0)
        spend = np.where(buy, np.minimum(self.cash[:, i], np.floor(debt * 1.001 * u * prem)), 0.0)
        while buy.any():
            out = d.pool.quote(d.iu, d.iy, spend / u)
            ok = buy & (out >= spend / u / prem)
            if ok.any():
                got = d.swap_in_pool(False, np.where(ok, spend / u, 0.0))
                self.held[:, i] += got
                self.cash[:, i] -= np.where(ok, spend, 0.0)
            buy &= ~ok
            spend = np.where(buy, np.floor(spend / 2), 0.0)
            buy &= spend >= u
        have = self.held[:, i]
        pay = np.where(m & (debt > 0) & (have > 0), np.minimum(have, debt), 0.0)
        left = debt - pay
        pay = np.where((left > 0) & (left < d.c.dust) & (pay > 0), debt - d.c.dust, pay)
        full = (pay > 0) & (pay >= debt)
        self.art[:, i] = np.where(
            full, 0.0, np.maximum(self.art[:, i] - np.where(pay > 0, pay, 0.0) / d.rate, 0.0)
        )
        self.held[:, i] -= np.maximum(pay, 0.0)
        coll, debt = self.ink[:, i], self.debt(i)
        keep_ratio = d.c.mat * (1.0 + p.health_buffer + p.relever_gap)
        with np.errstate(divide="ignore", invalid="ignore"):
            keep = np.ceil(debt * keep_ratio / d.cur * u)
        free = np.where(debt > 0, np.maximum(0.0, coll - keep - 1), coll)
        free = np.where(m & (coll > 0) & ((debt == 0) | (d.cur > 0)), free, 0.0)
        self.ink[:, i] -= free
        self.free[:, i] += free
        red = m & (self.free[:, i] > 0)
        self.v.request_redeem(1 + i, self.free[:, i], red, k)
        self.free[:, i] = np.where(red, 0.0, self.free[:, i])

    # -- the share keeper (``ShareKeeper``) ------------------------------------------------------------
    def bark_all(self, now: F) -> None:
        d = self.d
        for i in range(self.n):
            debt = self.debt(i)
            unsafe = debt > self.ink[:, i] / self.v.u * d.cur / d.c.mat
            go = self.has_cdp[:, i] & (debt > 0) & unsafe
            if not go.any():
                continue
            tab = debt * d.c.chop
            self.a_tab[:, i] += np.where(go, tab, 0.0)
            self.a_lot[:, i] += np.where(go, self.ink[:, i], 0.0)
            self.a_due[:, i] += np.where(go, debt, 0.0)
            self.a_top[:, i] = np.where(go, d.cur * d.c.buf, self.a_top[:, i])
            self.a_tic[:, i] = np.where(go, now, self.a_tic[:, i])
            self.a_id[:, i] = np.where(go & ~self.a_live[:, i], self.kicks, self.a_id[:, i])
            self.a_live[:, i] |= go
            self.kicks += 1
            self.k_dollars += np.where(go, d.c.tip + d.c.chip * tab, 0.0)  # the keeper's coin
            self.ink[:, i] = np.where(go, 0.0, self.ink[:, i])
            self.art[:, i] = np.where(go, 0.0, self.art[:, i])
            self.liquidated[:, i] |= go

    def take_all(self, now: F, bid: F, before: float) -> F:
        """Take every running auction at its crossing with ``bid`` before ``before`` (in auction-id
        order on each path, the clock warped to each crossing); returns the clock."""
        d, c = self.d, self.d.c
        order = np.argsort(self.a_id, axis=1, kind="stable")
        rows = self.rows
        lcut = math.log(c.cut)
        for r in range(self.n):
            i = order[:, r]
            live = self.a_live[rows, i] & (bid > 0)
            if not live.any():
                continue
            top, tic = self.a_top[rows, i], self.a_tic[rows, i]
            age = now - tic
            redo = live & ((age > c.tail_s) | (c.cut**age < c.cusp))
            top = np.where(redo, d.cur * c.buf, top)
            tic = np.where(redo, now, tic)
            tab = self.a_tab[rows, i]
            chost = c.dust * c.chop  # a reset pays the keeper's coin on a lot worth chost or more
            paid = redo & (tab >= chost) & (self.a_lot[rows, i] / self.v.u * d.cur >= chost)
            self.k_dollars += np.where(paid, c.tip + c.chip * tab, 0.0)
            self.a_top[rows, i], self.a_tic[rows, i] = top, tic
            lo, hi = now - tic, np.minimum(before - 1 - tic, c.tail_s)
            with np.errstate(divide="ignore", invalid="ignore"):
                cross = np.ceil(np.log(bid / top) / lcut)
            cross = np.maximum(cross, lo)
            ok = live & (hi >= lo) & (top * c.cut**hi <= bid)
            when = np.where(ok, tic + np.minimum(cross, hi), now)
            now = np.where(ok, np.maximum(now, when), now)
            price = top * c.cut ** (now - tic)
            self._take(rows, i, ok & (price > 0), price)
        return now

    def _take(self, rows: NDArray[np.intp], i: NDArray[np.intp], ok: B, price: F) -> None:
        have = self.k_dollars
        ok = ok & (have > 0)
        if not ok.any():
            return
        lot, tab = self.a_lot[rows, i] / self.v.u, self.a_tab[rows, i]
        amount = np.minimum(lot, have / np.where(ok, price, 1.0))
        owe = amount * price
        over = owe >= tab
        owe = np.where(over, tab, owe)
        sl = np.where(over, tab / np.where(ok, price, 1.0), amount)
        whole = ~over & (amount >= lot)
        owe, sl = np.where(ok, owe, 0.0), np.where(ok, sl, 0.0)
        self.k_dollars -= owe
        self.k_shares += sl * self.v.u
        self.a_got[rows, i] += owe
        tab_left = np.where(ok & over, 0.0, tab - owe)
        lot_left = np.where(ok & whole, 0.0, lot - sl)
        back = ok & over  # tab raised: the rest of the lot returns to the looper
        self.free[rows, i] += np.where(back, lot_left * self.v.u, 0.0)
        close = ok & (over | whole)
        short = np.maximum(0.0, self.a_due[rows, i] - self.a_got[rows, i])
        self.closed_short += np.where(close & whole, short, 0.0)
        self.a_tab[rows, i] = np.where(close, 0.0, tab_left)
        self.a_lot[rows, i] = np.where(close, 0.0, lot_left * self.v.u)
        self.a_live[rows, i] &= ~close
        self.a_id[rows, i] = np.where(close, np.inf, self.a_id[rows, i])
        self.a_due[rows, i] = np.where(close, 0.0, self.a_due[rows, i])
        self.a_got[rows, i] = np.where(close, 0.0, self.a_got[rows, i])

    def redeem_and_refill(self, k: int) -> None:
        v, d, c = self.v, self.d, self.n + 1
        _, a = v.claim(c)
        self.k_cash += a
        go = self.k_shares > 0
        v.request_redeem(c, self.k_shares, go, k)
        self.k_shares = np.where(go, 0.0, self.k_shares)
        short = self.k_target - self.k_dollars
        refill = (short > 1.0) & (self.k_cash > 0)
        if not refill.any():
            return
        units = np.where(refill, np.minimum(self.k_cash, np.floor(short * v.u)), 0.0)
        got, ok = d.sell_gem(units / v.u, refill)
        self.k_dollars += got
        self.k_cash -= np.where(ok, units, 0.0)
        pool = refill & ~ok
        if pool.any():
            self.k_dollars += d.swap_in_pool(False, np.where(pool, units / v.u, 0.0))
            self.k_cash -= np.where(pool, units, 0.0)

    def shortfall(self, nav: F) -> F:
        """``ShareKeeper.shortfall_rad``: per auction ``due - recovered``, a running auction's lot
        at NAV off, never below zero (AI dollars)."""
        left = self.a_due - self.a_got - self.a_lot / self.v.u * nav[:, None]
        running = rowsum(np.where(self.a_live, np.maximum(0.0, left), 0.0))
        return np.asarray(self.closed_short + running)
