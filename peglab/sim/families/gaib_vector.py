"""The Gaib family's vectorised model: AID, its reserve, sAID and the deal book with paths as an
array dimension (float64; docs/scale.md "Vectorised models: GPU credit and yield vaults").

It restates, day by day and in the same order, what ``sim.gpu_credit.GaibPath`` does on the
exact engine (docs/gaib.md §5 for the agents, §2-4 for the mechanisms):

* setup: holders deposit the fund into sAID at NAV 1, the LP mints the pool's AID and the float,
  the reserve puts 80% of its cash in a 30/60/90-day bill ladder, ``deals`` deals (12 debt, 5
  hybrid, 3 equity per 20) are originated with the tokenisation fee and the cash reserve taken
  from each principal;
* each day: bills settle (at maturity, or T+1 after a sale), the manager sells the earliest bill
  when cash is under 10% of supply or buys a 91-day bill when it is over 30%; on each 30th day the
  month's GPU revenue is minted to the borrowers, the deals settle (walk-away hazard, revenue
  share, first loss from the reserve, arrears, 60/90-day write-downs, default, recovery mark,
  re-hosting or sale at the collateral value), the reserve's surplus is harvested into sAID and
  the cycle's requests are filled pro rata at one withdrawal NAV above the 10% buffer floor;
  holders request exits in each cycle's first 7 days (base rate plus fear, the run), whitelisted
  holders, vendors and operators redeem at the desk from cash, retail holders and the float sell
  on the AID pool, the arbitrageur buys below 0.999 in chunks and redeems;
* at the horizon: the same measures as ``GaibPath.outcome``.

Approximations (against the integer engine): amounts are float64 dollars, so integer floors (fee
ceilings, micro-dollar truncation of revenue, share and payout floors of the pro-rata fill) are
not reproduced; a sub-dollar fill that the engine leaves pending is filled here; T-bill marks
accrue linearly in float. Order within a day and within a month is the exact one (deals settle
independently, so they are one array operation).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ...units import BPS
from ..gpu import norm_ppf
from ..gpu_credit import SAID_HOLDERS, CreditStress
from ..results import PoolReserves
from .credit_vector import VecPool, batch_drivers, common_measures

__all__ = ["run_gaib_batch"]

F = NDArray[np.float64]
B = NDArray[np.bool_]
HOURS = 730.0
# deal status codes
PERF, DELINQ, DEFAULT, RECOVERY, REPAID, SOLD = range(6)
LOTS = 16  # T-bill slots per path (grown when a path needs more)


class _Bills:
    """The reserve's T-bill lots per path: ``[P, slots]`` arrays; a slot is free when not live."""

    def __init__(self, paths: int) -> None:
        z = np.zeros((paths, LOTS))
        self.cost, self.face, self.start, self.mat = z.copy(), z.copy(), z.copy(), z.copy()
        self.sale, self.settles = z.copy(), z.copy()
        self.live = np.zeros((paths, LOTS), dtype=bool)
        self.sold = np.zeros((paths, LOTS), dtype=bool)

    def _grow(self) -> None:
        for name in ("cost", "face", "start", "mat", "sale", "settles", "live", "sold"):
            a = getattr(self, name)
            setattr(self, name, np.concatenate([a, np.zeros_like(a)], axis=1))

    def buy(self, cost: F, tenor_days: float, day: int, rate: float, mask: B) -> None:
        if not mask.any():
            return
        if (self.live[mask].all(axis=1)).any():
            self._grow()
        slot = np.argmin(self.live, axis=1)  # the first free slot of each path
        rows = np.nonzero(mask)[0]
        s = slot[rows]
        self.cost[rows, s] = cost[rows]
        self.face[rows, s] = cost[rows] * (1.0 + rate * tenor_days / 365.0)
        self.start[rows, s] = day
        self.mat[rows, s] = day + tenor_days
        self.live[rows, s] = True
        self.sold[rows, s] = False

    def mark(self, day: int) -> F:
        """Every lot's value now (a sold lot at its sale price), summed slot by slot in order."""
        tenor = np.maximum(self.mat - self.start, 1.0)
        acc = self.cost + (self.face - self.cost) * np.clip(day - self.start, 0.0, tenor) / tenor
        each = np.where(self.live, np.where(self.sold, self.sale, acc), 0.0)
        total = np.zeros(each.shape[0])
        for j in range(each.shape[1]):
            total = total + each[:, j]
        return total

    def settle(self, day: int) -> F:
        """Collect matured and settled-sold lots; returns the cash paid per path."""
        due = self.live & np.where(self.sold, day >= self.settles, day >= self.mat)
        paid = np.where(due, np.where(self.sold, self.sale, self.face), 0.0)
        self.live &= ~due
        total = np.zeros(paid.shape[0])
        for j in range(paid.shape[1]):
            total = total + paid[:, j]
        return total

    def sell_earliest(self, day: int, mask: B) -> None:
        """Sell each masked path's unsold lot with the earliest maturity (T+1 settlement)."""
        cand = self.live & ~self.sold & mask[:, None]
        has = cand.any(axis=1)
        if not has.any():
            return
        key = np.where(cand, self.mat, np.inf)
        slot = np.argmin(key, axis=1)
        rows = np.nonzero(has)[0]
        s = slot[rows]
        tenor = np.maximum(self.mat[rows, s] - self.start[rows, s], 1.0)
        el = np.clip(day - self.start[rows, s], 0.0, tenor)
        c, f = self.cost[rows, s], self.face[rows, s]
        self.sale[rows, s] = c + (f - c) * el / tenor
        self.settles[rows, s] = day + 1
        self.sold[rows, s] = True


class _Deals:
    """The deal book per path: ``[P, deals]`` arrays; static terms are ``[deals]``."""

    def __init__(self, paths: int, sc: CreditStress) -> None:
        n = sc.n_deals
        each = float(sc.fund_usd * sc.deployed_bps // 10_000 // n)
        kind = np.array([0 if k % 20 < 12 else (2 if k % 20 < 17 else 1) for k in range(n)])
        self.kind = kind  # 0 debt, 1 equity, 2 hybrid
        self.coupon = np.where(kind == 0, 1500, np.where(kind == 2, 1200, 0)) / BPS
        self.share = np.where(kind == 2, 2000, np.where(kind == 1, 7000, 0)) / BPS
        self.gpus = np.maximum(1, each // np.where(kind == 1, 13_600, 22_500)).astype(float)
        self.term = 36
        r = self.coupon / 12.0
        with np.errstate(divide="ignore", invalid="ignore"):
            ann = np.where(r > 0, each * r / (1.0 - (1.0 + r) ** -self.term), 0.0)
        self.payment = ann
        self.original = each
        self.collateral = each * BPS / 7500
        self.service = np.where(ann > 0, ann, each / self.term)
        fee = each * max(300, 100 * self.term) / (BPS * 12)
        self.reserve0 = each * 660 / BPS
        self.to_vendor = each - fee - self.reserve0
        shape = (paths, n)
        self.principal = np.full(shape, each)
        self.schedule = np.full(shape, each)
        self.reserve = np.full(shape, self.reserve0)
        self.arrears_int = np.zeros(shape)
        self.arrears_since = np.full(shape, -1.0)  # day of the oldest unpaid due date
        self.status = np.zeros(shape, dtype=np.int64)
        self.writedown = np.zeros(shape)
        self.expected = np.full(shape, -1.0)
        self.dscr = np.full(shape, 100.0)
        self.done = 0  # months settled (every open deal settles every month)
        self.loss = np.zeros(shape)
        self.oc_used = np.zeros(shape)
        self.walked = np.zeros(shape, dtype=bool)
        self.restart = np.full(shape, -1)
        self.marked = np.zeros(shape, dtype=bool)


def _staged(principal: F, late_days: F, expected: F, marked: B) -> F:
    """``staged_writedown``: P - expected recovery once marked, else 60% at 90 days, 30% at 60."""
    stage = np.where(late_days >= 90, 0.6, np.where(late_days >= 60, 0.3, 0.0)) * principal
    return np.where(marked, np.maximum(principal - expected, 0.0), stage)


class GaibBatch:
    """The state of every path of a batch (module docstring)."""

    def __init__(self, sc: CreditStress, rngs: tuple[np.random.Generator, ...], pool: Any) -> None:
        P = self.P = len(rngs)
        self.sc = sc
        self.drv = batch_drivers(sc, rngs)
        fund = float(sc.fund_usd)
        pool_usd = float(sc.fund_usd // 5)
        self.hold_share = np.array([s for _, s, _ in SAID_HOLDERS])
        self.wl = np.array([w for _, _, w in SAID_HOLDERS])
        self.shares = np.tile(fund * self.hold_share, (P, 1))  # sAID balances (not escrowed)
        self.total_shares = np.full(P, fund)
        self.free = np.full(P, fund)  # the vault's AID
        self.supply = np.full(P, fund + 2 * pool_usd)
        self.cash = self.supply.copy()
        self.rate = sc.tbill_bps / BPS
        self.bills = _Bills(P)
        ladder = self.cash * 8 / 30
        for tenor in (30, 60, 90):
            self.bills.buy(ladder, tenor, 0, self.rate, np.ones(P, dtype=bool))
            self.cash = self.cash - ladder
        self.deals = d = _Deals(P, sc)
        self.free = self.free - d.original * sc.n_deals
        self.vendor = np.full(P, d.to_vendor * sc.n_deals)
        self.operators = np.zeros(P)
        self.float_ = np.full(P, pool_usd)
        self.arb_usd = np.full(P, pool_usd)
        self.arb_aid = np.zeros(P)
        self.hold_aid = np.zeros((P, len(SAID_HOLDERS)))
        x0 = min(float(pool.depth_usd) / 2, pool_usd)
        self.pool = VecPool(P, x0, float(pool.depth_usd) / 2, pool.A, float(pool.fee_bps), 6)
        self.pool_spec = pool
        self.reserves = PoolReserves(sc.months * 30, P)  # the pool's, after each grid day
        self.pool.sample(self.reserves, 0, pool, "AID")
        self.frozen = np.zeros(P, dtype=bool)
        m, H = sc.months, len(SAID_HOLDERS)
        C = m + 1
        self.pending = np.zeros((P, C, H))
        self.req_day = np.full((P, C, H), -1.0)
        self.req_shares = np.zeros((P, C, H))
        self.filled_day = np.full((P, C, H), -1.0)
        self.unfilled: dict[int, list[F]] = {30: [], 60: [], 90: []}
        self.unfilled_n = {hz: np.zeros(P) for hz in self.unfilled}
        self.ex_nav = np.zeros((P, C + 1))
        self.ex_shares = np.zeros((P, C + 1))
        self.nav_w = [self.nav()]
        self.prices: list[F] = []
        self.nav_daily: list[F] = []
        self.shares_daily = [self.total_shares.copy()]  # the start, then after each day
        self.backed_min = np.full(P, np.inf)
        self.first_loss = np.zeros(P)
        self.day = 0

    # -- reads ------------------------------------------------------------------------------
    def withdrawal_assets(self) -> F:
        d = self.deals
        out: F = self.free + d.principal.sum(axis=1) - d.writedown.sum(axis=1)
        return out

    def nav(self) -> F:
        ts = self.total_shares
        return np.where(ts > 0, self.withdrawal_assets() / np.where(ts > 0, ts, 1.0), 1.0)

    def reserve_value(self) -> F:
        return self.cash + self.bills.mark(self.day)

    # -- agents -----------------------------------------------------------------------------
    def reserve_ops(self) -> None:
        self.cash = self.cash + self.bills.settle(self.day)
        low = self.cash < self.supply / 10
        self.bills.sell_earliest(self.day, low)
        high = ~low & (self.cash > self.supply * 3 / 10)
        cost = self.cash - self.supply / 5
        self.bills.buy(cost, 91, self.day, self.rate, high)
        self.cash = np.where(high, self.cash - cost, self.cash)

    def redeem(self, bal: F) -> F:
        """Redeem ``min(bal, cash)`` at the desk (whitelisted, not frozen); returns the amount."""
        room = np.minimum(bal, self.cash)
        room = np.where((room >= 1.0) & ~self.frozen, room, 0.0)
        self.supply = self.supply - room
        self.cash = self.cash - room
        return room

    def month(self, m: int) -> None:
        sc, d, drv = self.sc, self.deals, self.drv
        bp = drv.bp
        if m == 1 and sc.tbill_drop_bps is not None:
            self.rate = sc.tbill_drop_bps / BPS
        p, u = drv.price[:, m][:, None], drv.util[:, m][:, None]
        open_ = (d.status != REPAID) & (d.status != SOLD)
        check = open_ & ~d.walked & (d.status != RECOVERY)
        h = np.where(
            d.reserve == 0.0, bp.h0 * np.exp(bp.beta * np.maximum(0.0, 1.0 - d.dscr)), bp.h0
        )
        walk = check & (drv.latent[:, m - 1, :] < norm_ppf(np.minimum(h, 1.0)))
        d.walked |= walk
        restarted = d.restart >= 0
        util = np.where(restarted, 0.8 * u, u)
        earning = open_ & ~d.walked & (m >= np.maximum(d.restart, 0))
        rev = np.where(earning, d.gpus * p * util * HOURS, 0.0)
        opex = np.where(earning, d.gpus * bp.opex_per_gpu_hour * HOURS, 0.0)
        bal = np.where(open_ & (rev > opex), rev - opex, 0.0)  # minted to the borrower
        self.supply = self.supply + bal.sum(axis=1)
        self.cash = self.cash + bal.sum(axis=1)
        pulled = self.settle_month(open_, rev - opex, bal)
        left = bal - pulled
        dflt = open_ & (d.status == DEFAULT)
        left = left + self.workout(dflt, m, p[:, 0], u[:, 0])
        self.operators = self.operators + left.sum(axis=1)
        surplus = self.reserve_value() - self.supply
        harvest = surplus > 1.0
        self.supply = np.where(harvest, self.supply + surplus, self.supply)
        self.free = np.where(harvest, self.free + surplus, self.free)

    def settle_month(self, open_: B, net: F, bal: F) -> F:
        """``DealBook.settle_month`` for every open deal; returns what was pulled from borrowers."""
        d = self.deals
        P0 = d.principal
        last = d.done + 1 >= d.term
        interest = np.where((d.kind != 1)[None, :] & (P0 > 0), P0 * d.coupon / 12, 0.0)
        if d.done >= d.term:
            amort = np.zeros_like(P0)
        elif last:
            amort = d.schedule.copy()
        else:
            eq = np.minimum(d.schedule, d.original / d.term)
            sched_int = d.schedule * d.coupon / 12
            deb = np.minimum(d.schedule, np.maximum(d.payment - sched_int, 0.0))
            amort = np.where((d.kind == 1)[None, :], eq, deb)
        due = d.arrears_int + interest + P0 - (d.schedule - amort)
        scheduled = interest + amort
        share = d.share[None, :]
        owed = np.where(
            (d.kind == 1)[None, :],
            np.maximum(net, 0.0) * share,
            due + np.where((d.kind == 2)[None, :], np.maximum(net - scheduled, 0.0) * share, 0.0),
        )
        pulled = np.where(open_, np.minimum(bal, owed), 0.0)
        applied = np.minimum(pulled, due)
        upside = pulled - applied
        draw = np.where(open_, np.minimum(d.reserve, due - applied), 0.0)
        received = applied + draw
        int_due = d.arrears_int + interest
        int_paid = np.minimum(received, int_due)
        prin_paid = received - int_paid
        income = int_paid + upside
        pfee = np.minimum(income, P0 * 25 / (12 * BPS))
        perf = (income - pfee) * 0.15
        to_fund = received + upside - pfee - perf
        w = open_
        d.reserve = np.where(w, d.reserve - draw, d.reserve)
        self.first_loss = self.first_loss + draw.sum(axis=1)
        d.arrears_int = np.where(w, int_due - int_paid, d.arrears_int)
        d.principal = np.where(w, P0 - prin_paid, P0)
        d.schedule = np.where(w, d.schedule - amort, d.schedule)
        self.free = self.free + np.where(w, to_fund, 0.0).sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            dscr = np.where(scheduled > 0, np.clip(net / scheduled, -100.0, 100.0), 100.0)
        d.dscr = np.where(w, dscr, d.dscr)
        arrears = d.arrears_int + d.principal - d.schedule
        late = arrears > 1e-6
        now = float(self.day)
        d.arrears_since = np.where(
            w, np.where(late, np.where(d.arrears_since < 0, now, d.arrears_since), -1.0),
            d.arrears_since,
        )  # fmt: skip
        d.done += 1
        late_days = np.where(d.arrears_since >= 0, now - d.arrears_since, 0.0)
        rec = d.status == RECOVERY
        repaid = (d.principal <= 1e-6) & ~late & (d.done >= d.term)
        status = np.where(
            repaid, REPAID,
            np.where(late_days >= 90, np.where(rec, RECOVERY, DEFAULT),
                     np.where(late | (d.dscr < 1.0), np.where(rec, RECOVERY, DELINQ), PERF)),
        )  # fmt: skip
        returned = np.where(w & repaid, d.reserve, 0.0)  # a repaid deal's reserve goes back
        d.reserve = d.reserve - returned
        d.status = np.where(w, status, d.status)
        d.expected = np.where(w & (d.status == PERF), -1.0, d.expected)
        marked = ((d.status == DEFAULT) | (d.status == RECOVERY)) & (d.expected >= 0)
        d.writedown = np.where(w, _staged(d.principal, late_days, d.expected, marked), d.writedown)
        return pulled - returned

    def workout(self, dflt: B, m: int, p: F, u: F) -> F:
        """Mark, re-host or sell each defaulted deal; returns AID handed back to borrowers."""
        d = self.deals
        if not dflt.any():
            return np.zeros_like(d.principal)
        v = d.collateral * self.drv.value[:, m][:, None]
        net = v * 0.9
        mark = dflt & ~d.marked
        d.expected = np.where(mark, np.minimum(d.principal, net + d.reserve), d.expected)
        d.writedown = np.where(mark, np.maximum(d.principal - d.expected, 0.0), d.writedown)
        d.marked |= mark
        margin = d.gpus * (p[:, None] * 0.8 * u[:, None] - self.drv.bp.opex_per_gpu_hour) * HOURS
        rehost = dflt & d.walked & (margin >= d.service) & (d.restart < 0)
        d.status = np.where(rehost, RECOVERY, d.status)
        d.walked &= ~rehost
        d.restart = np.where(rehost, m + 2, d.restart)
        sell = dflt & ~rehost
        bought = np.where(sell, v, 0.0)
        self.supply = self.supply + bought.sum(axis=1)  # the buyer mints the price
        self.cash = self.cash + bought.sum(axis=1)
        claim = d.principal + d.arrears_int
        from_res = np.minimum(d.reserve, claim)
        from_col = np.minimum(net, claim - from_res)
        recovered = from_res + from_col
        loss = np.maximum(d.principal - recovered, 0.0)
        back = np.where(sell, d.reserve - from_res + net - from_col, 0.0)
        self.free = self.free + np.where(sell, recovered, 0.0).sum(axis=1)
        d.oc_used = np.where(sell, from_col, d.oc_used)
        d.loss = np.where(sell, loss, d.loss)
        for name in ("reserve", "principal", "schedule", "arrears_int", "writedown"):
            setattr(d, name, np.where(sell, 0.0, getattr(d, name)))
        d.arrears_since = np.where(sell, -1.0, d.arrears_since)
        d.status = np.where(sell, SOLD, d.status)
        return back

    def process(self, m: int) -> None:
        """Fill the oldest unprocessed cycle (``m - 1``) and older leftovers pro rata; claims."""
        nav = self.nav()
        wa = self.withdrawal_assets()
        left = np.maximum(self.free - wa * 0.1, 0.0)
        stopped = np.zeros(self.P, dtype=bool)
        paid_h = np.zeros_like(self.shares)
        filled = np.zeros(self.P)
        for c in range(m):  # cohorts, oldest cycle first
            pend = self.pending[:, c, :]
            full = (pend * nav[:, None]).sum(axis=1)
            go = ~stopped & (full > 0)
            whole = go & (full <= left)
            frac = np.where(whole, 1.0, np.where(go, left / np.where(full > 0, full, 1.0), 0.0))
            fill = pend * frac[:, None]
            self.pending[:, c, :] = pend - fill
            paid_h += fill * nav[:, None]
            filled += fill.sum(axis=1)
            left = np.where(whole, left - full, np.where(go, 0.0, left))
            stopped |= go & ~whole
        paid = paid_h.sum(axis=1)
        self.total_shares = self.total_shares - filled
        self.free = self.free - paid
        k = len(self.nav_w)
        self.ex_nav[:, k] = np.where(filled > 0, nav, 0.0)
        self.ex_shares[:, k] = filled
        has = self.req_day >= 0
        done = has & (self.pending <= 0.0) & (self.filled_day < 0)
        self.filled_day = np.where(done, float(self.day), self.filled_day)
        age = self.day - self.req_day
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(has, self.pending / self.req_shares, 0.0)
        for hz, acc in self.unfilled.items():
            sel = has & (age >= hz) & (age < hz + 30)
            acc.append(np.where(sel, ratio, 0.0).sum(axis=(1, 2)))
            self.unfilled_n[hz] += sel.sum(axis=(1, 2))
        self.hold_aid = self.hold_aid + paid_h
        retail = np.where(self.wl[None, :], 0.0, self.hold_aid)
        for j in range(retail.shape[1]):  # each retail holder sells its AID on the pool in turn
            amt = retail[:, j]
            self.pool.sell(amt, amt >= 1.0)
            self.hold_aid[:, j] = np.where(amt >= 1.0, 0.0, self.hold_aid[:, j])

    def requests_window(self, cycle: int, day_in: int) -> None:
        navs = np.stack(self.nav_w, axis=1)
        peak = navs.max(axis=1)
        dd = np.where(peak > 0, np.maximum(0.0, 1.0 - navs[:, -1] / peak), 0.0)
        frac = np.minimum(0.001 + 5.0 * dd / 7.0, 0.5)
        sc = self.sc
        run = sc.run_month is not None and cycle == sc.run_month and day_in < 2
        run_left = self.total_shares / 10 if run else np.zeros(self.P)
        order = np.argsort(-self.shares, axis=1, kind="stable")
        rows = np.arange(self.P)
        for r in range(order.shape[1]):
            h = order[:, r]
            bal = self.shares[rows, h]
            shares = bal * frac
            extra = np.minimum(bal - shares, run_left)
            shares, run_left = shares + extra, run_left - extra
            ok = shares >= 1.0
            self.shares[rows, h] = np.where(ok, bal - shares, bal)
            self.pending[rows, cycle, h] += np.where(ok, shares, 0.0)
            first = ok & (self.req_day[rows, cycle, h] < 0)
            self.req_day[rows, cycle, h] = np.where(
                first, float(self.day), self.req_day[rows, cycle, h]
            )
            self.req_shares[rows, cycle, h] += np.where(ok, shares, 0.0)

    def arbitrage(self) -> None:
        chunk = float(self.sc.fund_usd // 200)
        while True:
            go = (self.pool.price() < 0.999) & (self.arb_usd >= chunk) & ~self.frozen
            if not go.any():
                break
            got = self.pool.buy(np.full(self.P, chunk), go)
            self.arb_usd = np.where(go, self.arb_usd - chunk, self.arb_usd)
            self.arb_aid = self.arb_aid + got
        out = self.redeem(self.arb_aid)
        self.arb_aid = self.arb_aid - out
        self.arb_usd = self.arb_usd + out

    def step_day(self) -> None:
        sc = self.sc
        self.day += 1
        day = self.day
        if sc.freeze_day is not None and day in (sc.freeze_day, sc.freeze_day + 14):
            self.frozen[:] = day == sc.freeze_day
        self.reserve_ops()
        if day % 30 == 0:
            m = day // 30
            self.month(m)
            self.process(m)
            self.nav_w.append(self.nav())
        cycle, day_in = divmod(day, 30)
        if day_in < 7:
            self.requests_window(cycle, day_in)
        self.vendor = self.vendor - self.redeem(self.vendor)
        self.operators = self.operators - self.redeem(self.operators)
        for j in np.nonzero(self.wl)[0]:
            self.hold_aid[:, j] = self.hold_aid[:, j] - self.redeem(self.hold_aid[:, j])
        price = self.pool.price()
        sell = self.float_ * np.minimum(np.maximum(0.0, (1.0 - price) * 100 * 0.05), 0.5)
        if sc.float_panic and sc.freeze_day is not None and 0 <= day - sc.freeze_day < 2:
            sell = np.maximum(sell, self.float_ * 0.10)
        ok = sell >= 1.0
        self.pool.sell(sell, ok)
        self.float_ = np.where(ok, self.float_ - sell, self.float_)
        self.arbitrage()
        self.prices.append(self.pool.price())
        self.nav_daily.append(self.nav())
        self.shares_daily.append(self.total_shares.copy())
        self.pool.sample(self.reserves, day, self.pool_spec, "AID")
        self.backed_min = np.minimum(self.backed_min, self.reserve_value() - self.supply)

    def run(self) -> dict[str, F]:
        for _ in range(self.sc.months * 30):
            self.step_day()
        return self.measures()

    def measures(self) -> dict[str, F]:
        sc, d = self.sc, self.deals
        navs = np.stack(self.nav_w, axis=1)
        prices = np.stack(self.prices, axis=1)
        waits = np.where(
            self.req_day >= 0,
            np.where(self.filled_day >= 0, self.filled_day, float(self.day)) - self.req_day,
            np.nan,
        ).reshape(self.P, -1)
        daily = (
            np.column_stack([self.nav_w[0], *self.nav_daily]),
            np.stack(self.shares_daily, axis=1),
        )
        out = common_measures(navs, prices, self.backed_min, waits, self.drv.price, daily)
        deployed = sc.fund_usd * sc.deployed_bps / 10_000
        defaulted = (d.status == DEFAULT) | (d.status == SOLD) | (d.status == RECOVERY)
        out["default_rate"] = defaulted.sum(axis=1) / sc.n_deals
        out["loss_first_reserve"] = self.first_loss / deployed
        out["loss_second_oc"] = d.oc_used.sum(axis=1) / deployed
        out["loss_fund"] = (d.loss.sum(axis=1) + d.writedown.sum(axis=1)) / deployed
        out["loss_max_portfolio"] = d.loss.max(axis=1) / (deployed / sc.n_deals)
        k = np.arange(navs.shape[1] + 1)
        ref = navs[:, np.minimum(k + 1, navs.shape[1] - 1)]
        sh = self.ex_shares
        num = (sh * (1.0 - np.where(sh > 0, self.ex_nav, 1.0) / ref)).sum(axis=1)
        den = sh.sum(axis=1)
        out["exit_haircut_vs_stayers"] = np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)
        for hz, acc in self.unfilled.items():
            n = self.unfilled_n[hz]
            tot = np.sum(acc, axis=0) if acc else np.zeros(self.P)
            out[f"unfilled_after_{hz}d"] = np.where(n > 0, tot / np.where(n > 0, n, 1.0), 0.0)
        return out


def run_gaib_batch(
    sc: CreditStress, rngs: tuple[np.random.Generator, ...], pool: Any
) -> tuple[dict[str, F], F, F, dict[str, F]]:
    """Measures ``{name: [P]}``, the daily exit price ``[P, days + 1]``, the pool price
    ``[P, days + 1]`` (step 0 = the start) of every path of the batch and the pool's reserves
    on the report grid (``results.PoolReserves``)."""
    b = GaibBatch(sc, rngs, pool)
    metrics = b.run()
    nav = np.column_stack([b.nav_w[0], *b.nav_daily])
    price = np.column_stack([np.ones(b.P), *b.prices])
    return metrics, nav, price, b.reserves.series
