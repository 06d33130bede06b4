"""The USD.AI family's vectorised model: USDai, its T-bill reserve, sUSDai and the GPU loans with
paths as an array dimension (float64; docs/scale.md "Vectorised models: GPU credit and yield
vaults").

It restates, day by day and in the same order, what ``sim.gpu_credit_usdai.UsdaiPath`` does on
the exact engine (docs/usdai.md §9 for the agents, §4-5 for the mechanisms):

* setup: holders buy USDai with the T-bill dollar and stake it at price 1; the LP buys the pool's
  USDai and the float; ``deals`` 36-month amortising loans at 15% are funded 30% of the fund from
  sUSDai (senior) beside an optional junior tranche, the 1% origination fee is taken, each
  borrower keeps three payments as its reserve and the rest goes to the GPU vendor;
* each day: the T-bill dollar accrues on USDai's reserve for sUSDai (the base yield, 10% admin
  fee, converted into idle USDai on each 30th day); on each 30th day borrowers with net revenue
  buy USDai and pay the month's annuity if they can (the walk-away hazard as a Gaib borrower's),
  repayments are booked (10% admin fee on interest); a loan that missed its payment is liquidated
  after the 10-day grace, its GPUs sit out the 14-day redemption window, are bid at ``V(t)`` and
  sold after the 7-day auction; the waterfall (5% fee, principal senior first, then interest)
  books the recovery into sUSDai; a position unsold 60/90 days after its deadline is written down
  30%/60%; holders request exits in each block's first 7 days (burnt now, maturing at the next
  30-day window, at most 50 open per holder), the strategy services matured requests FIFO at the
  current redemption price from idle USDai, holders claim, retail sells on the pool and the others
  burn; the GPU vendor burns; the float sells into a discount (and panics), the arbitrageur buys
  below 0.999, burns and sells the T-bill dollar at par.

Approximations (against the integer engine): float64 dollars, no integer floors (quotes rounded
up, pro-rata tranche remainders, the per-second rate's floor, the T-bill dollar's floored
accruals). The base yield follows the engine's settlement: the reserve's accrual settles into
sUSDai's own T-bill balance at each USDai mint or burn (and at the monthly claim), where it earns
too.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ...units import BPS
from ..gpu import norm_ppf
from ..gpu_credit import SAID_HOLDERS, CreditStress
from ..gpu_credit_usdai import LOAN_SHARE_BPS
from ..results import PoolReserves
from .credit_vector import VecPool, batch_drivers, common_measures

__all__ = ["run_usdai_batch"]

F = NDArray[np.float64]
B = NDArray[np.bool_]
I_MONTH = (0.15 * 1e18 // 31_536_000) * 2_592_000 / 1e18  # per-second rate (floored) x 30 days
GRACE = (0.05 * 1e18 // 31_536_000) * 864_000 / 1e18  # grace rate x 10 days
FEE_BASE = FEE_LOAN = 0.10
LIQ_FEE = 0.05
TERM = 36
MAX_OPEN = 50
# lot phases
NONE, WINDOW, OPEN, SETTLED = range(4)


def _annuity(balance: F, remaining: F) -> tuple[F, F]:
    """One interval of the amortised model: ``(principal, interest)`` with ``remaining`` left."""
    interest = balance * I_MONTH
    growth = (1.0 + I_MONTH) ** remaining - 1.0
    principal = np.where(remaining <= 1, balance, interest / np.where(growth > 0, growth, 1.0))
    return principal, interest


class UsdaiBatch:
    """The state of every path of a batch (module docstring)."""

    def __init__(
        self, sc: CreditStress, rngs: tuple[np.random.Generator, ...], pool: Any, junior_bps: int
    ) -> None:
        P = self.P = len(rngs)
        self.sc = sc
        self.drv = batch_drivers(sc, rngs)
        n = sc.n_deals
        fund = float(sc.fund_usd)
        pool_usd = float(sc.fund_usd // 5)
        each = float(sc.fund_usd * LOAN_SHARE_BPS // BPS // n)
        junior = float(int(each) * junior_bps // (BPS - junior_bps))
        self.lent = (each * n, junior * n)
        self.sen = each / (each + junior)  # the senior's share of principal and interest
        self.wl = np.array([w for _, _, w in SAID_HOLDERS])
        self.shares = np.tile(fund * np.array([s for _, s, _ in SAID_HOLDERS]), (P, 1))
        self.total_shares = np.full(P, fund)
        self.supply = np.full(P, fund + 2 * pool_usd + junior * n)
        self.reserve = self.supply.copy()  # the T-bill dollar behind USDai
        self.apr = sc.tbill_bps / BPS
        # sUSDai's base yield: its own T-bill balance (settled yield), the reserve's accrual not
        # yet settled into it, and its own balance's accrual not yet settled
        self.settled = np.zeros(P)
        self.acc_reserve = np.zeros(P)
        self.acc_own = np.zeros(P)
        principal = each + junior
        self.collateral = principal / 0.75
        self.gpus = float(max(1, int(principal) // 22_500))
        self.balance = np.full((P, n), principal)  # loan balance (both tranches)
        self.sen_pending = np.full((P, n), each)  # sUSDai's position
        self.paid = 0  # intervals paid by a live loan (all pay on the same dates)
        p0, i0 = _annuity(np.array([principal]), np.array([float(TERM)]))
        keep = 3.0 * float(p0[0] + i0[0])
        fee = principal / 100
        self.borrower = np.full((P, n), keep)
        self.vendor = np.full(P, (principal - fee - keep) * n)
        self.idle = np.full(P, fund - each * n)
        self.walked = np.zeros((P, n), dtype=bool)
        self.liquidated = np.zeros((P, n), dtype=bool)
        self.deadline = np.full((P, n), 30.0)  # day of the repayment deadline
        self.lot = np.zeros((P, n), dtype=np.int64)
        self.window_end = np.zeros((P, n))
        self.end = np.zeros((P, n))
        self.bid = np.zeros((P, n))
        self.tranche_loss = np.zeros((P, 2))
        self.float_ = np.full(P, pool_usd)
        self.arb_usd = np.full(P, pool_usd)
        x0 = min(float(pool.depth_usd) / 2, pool_usd)
        self.pool = VecPool(P, x0, float(pool.depth_usd) / 2, pool.A, float(pool.fee_bps), 6)
        self.pool_spec = pool
        self.reserves = PoolReserves(sc.months * 30, P)  # the pool's, after each grid day
        self.pool.sample(self.reserves, 0, pool, "USDai")
        slots = (sc.months + 1) * 7 * len(SAID_HOLDERS)
        self.q_pending = np.zeros((P, slots))
        self.q_holder = np.zeros((P, slots), dtype=np.int64)
        self.q_day = np.zeros(slots)
        self.q_mature = np.zeros(slots)
        self.q_made = np.zeros((P, slots), dtype=bool)
        self.q_filled = np.full((P, slots), -1.0)
        self.q_next = 0
        self.q_lo = 0
        self.day = 0
        self.nav_w = [self.price()]
        self.prices: list[F] = []
        self.nav_daily: list[F] = []
        self.shares_daily = [self.total_shares.copy()]  # the start, then after each day
        self.backed_min = np.full(P, np.inf)

    # -- reads ------------------------------------------------------------------------------
    def loans_value(self) -> F:
        """Conservative loans component: pending principal less staged write-downs."""
        late = np.maximum(self.day - self.deadline, 0.0)
        held = self.lot != SETTLED
        stage = np.where(late >= 90, 0.6, np.where(late >= 60, 0.3, 0.0))
        pend = np.where(held, self.sen_pending, 0.0)
        out: F = (pend - pend * stage).sum(axis=1)
        return out

    def price(self) -> F:
        """sUSDai's redemption price: base yield after its fee + loans + idle, per share."""
        base = self.settled + self.acc_reserve + self.acc_own
        assets = base * (1.0 - FEE_BASE) + self.loans_value() + self.idle
        ts = self.total_shares
        return np.where(ts > 0, assets / np.where(ts > 0, ts, 1.0), 1.0)

    # -- helpers ----------------------------------------------------------------------------
    def settle_yield(self, mask: B) -> None:
        """The T-bill dollar settles the reserve's and sUSDai's accruals into sUSDai's balance."""
        self.settled = np.where(mask, self.settled + self.acc_own + self.acc_reserve, self.settled)
        self.acc_own = np.where(mask, 0.0, self.acc_own)
        self.acc_reserve = np.where(mask, 0.0, self.acc_reserve)

    def mint(self, amount: F) -> None:
        """USDai minted against the T-bill dollar (the reserve's accrual settles first)."""
        self.settle_yield(amount > 0)
        self.supply = self.supply + amount
        self.reserve = self.reserve + amount

    def burn(self, amount: F) -> F:
        """Burn balances of at least one base unit for the T-bill dollar; returns what burnt."""
        out = np.where(amount >= 1e-6, amount, 0.0)
        self.settle_yield(out > 0)
        self.supply = self.supply - out
        self.reserve = self.reserve - out
        return out

    # -- agents -----------------------------------------------------------------------------
    def month(self, m: int) -> None:
        sc, drv = self.sc, self.drv
        bp = drv.bp
        if m == 1 and sc.tbill_drop_bps is not None:
            self.apr = sc.tbill_drop_bps / BPS
        live = ~self.liquidated & (self.balance > 1e-9)
        remaining = np.full(self.balance.shape, float(TERM - self.paid))
        prin, intr = _annuity(self.balance, remaining)
        pay = np.where(live, prin + intr, 0.0)
        net = self.gpus * (drv.price[:, m] * drv.util[:, m] * 730.0 - bp.opex_per_gpu_hour * 730.0)
        net = np.broadcast_to(net[:, None], pay.shape)
        spent = self.borrower < pay
        with np.errstate(divide="ignore", invalid="ignore"):
            dscr = np.where(pay > 0, net / np.where(pay > 0, pay, 1.0), 9.0)
        h = np.where(spent, bp.h0 * np.exp(bp.beta * np.maximum(0.0, 1.0 - dscr)), bp.h0)
        walk = live & ~self.walked & (drv.latent[:, m - 1, :] < norm_ppf(np.minimum(h, 1.0)))
        self.walked |= walk
        acting = live & ~self.walked
        income = np.where(acting & (net > 0), net, 0.0)
        self.mint(income.sum(axis=1))
        self.borrower = self.borrower + income
        repay = acting & (self.borrower >= pay)
        self.borrower = np.where(repay, self.borrower - pay, self.borrower)
        self.balance = np.where(repay, self.balance - prin, self.balance)
        self.deadline = np.where(repay, self.deadline + 30.0, self.deadline)
        sp, si = prin * self.sen, intr * self.sen  # sUSDai's part; the junior lender holds its own
        self.sen_pending = np.where(repay, self.sen_pending - sp, self.sen_pending)
        self.idle = self.idle + np.where(repay, sp + si * (1.0 - FEE_LOAN), 0.0).sum(axis=1)
        self.paid += 1
        # the base yield is claimed and sUSDai's T-bill dollar becomes USDai (admin fee out), idle
        self.settle_yield(np.ones(self.P, dtype=bool))
        got = self.settled
        self.mint(got)
        self.idle = self.idle + got * (1.0 - FEE_BASE)
        self.settled = np.zeros(self.P)

    def workouts(self) -> None:
        day = float(self.day)
        unsold = ~self.liquidated & (self.balance > 1e-9) & (day > self.deadline + 10.0)
        if not (unsold.any() or ((self.lot == WINDOW) | (self.lot == OPEN)).any()):
            return  # no loan to liquidate, no lot to bid on or settle
        self.liquidated |= unsold
        self.lot = np.where(unsold, WINDOW, self.lot)
        self.window_end = np.where(unsold, day + 14.0, self.window_end)
        self.end = np.where(unsold, day + 21.0, self.end)
        m = min(self.day // 30, self.sc.months)
        v = np.broadcast_to((self.collateral * self.drv.value[:, m])[:, None], self.lot.shape)
        bid = ~unsold & (self.lot == WINDOW) & (day >= self.window_end) & (v >= 1.0)
        self.mint(np.where(bid, v, 0.0).sum(axis=1))  # the GPU buyer brings its dollars
        self.bid = np.where(bid, v, self.bid)
        self.lot = np.where(bid, OPEN, self.lot)
        sell = ~unsold & ~bid & (self.lot == OPEN) & (day >= self.end)
        if not sell.any():
            return
        # the lenders' claim: all remaining principal, the schedule's interest, grace interest
        left_n = np.maximum(TERM - (self.deadline / 30.0 - 1.0), 1.0)
        b = self.balance
        ann = b * I_MONTH / (1.0 - (1.0 + I_MONTH) ** -left_n)
        claim_i = ann * left_n - b + b * GRACE
        proceeds = self.bid * (1.0 - LIQ_FEE)
        got_sen = np.minimum(b * self.sen, proceeds)
        got_jun = np.minimum(b * (1.0 - self.sen), proceeds - got_sen)
        rest = proceeds - got_sen - got_jun
        int_sen = np.minimum(claim_i * self.sen, rest)
        loss_s = np.where(sell, b * self.sen - got_sen, 0.0).sum(axis=1)
        loss_j = np.where(sell, b * (1.0 - self.sen) - got_jun, 0.0).sum(axis=1)
        self.tranche_loss = self.tranche_loss + np.stack([loss_s, loss_j], axis=1)
        booked = got_sen + int_sen * (1.0 - FEE_LOAN)
        self.idle = self.idle + np.where(sell, booked, 0.0).sum(axis=1)
        self.sen_pending = np.where(sell, 0.0, self.sen_pending)
        self.balance = np.where(sell, 0.0, self.balance)
        self.lot = np.where(sell, SETTLED, self.lot)

    def requests_window(self, block: int, day_in: int) -> None:
        navs = np.stack(self.nav_w, axis=1)
        peak = navs.max(axis=1)
        dd = np.where(peak > 0, np.maximum(0.0, 1.0 - navs[:, -1] / peak), 0.0)
        frac = np.minimum(0.001 + 5.0 * dd / 7.0, 0.5)
        sc = self.sc
        run = sc.run_month is not None and block == sc.run_month and day_in < 2
        run_left = self.total_shares / 10 if run else np.zeros(self.P)
        order = np.argsort(-self.shares, axis=1, kind="stable")
        rows = np.arange(self.P)
        # matures at the first 30-day window after now (windows from genesis, one day before t0)
        mature = float((self.day + 1) // 30 * 30 + 29)
        lo = self.q_lo  # earlier slots hold nothing pending on any path
        opened = self.q_made[:, lo:] & (self.q_pending[:, lo:] > 0)
        who = self.q_holder[:, lo:]
        for r in range(order.shape[1]):
            h = order[:, r]
            bal = self.shares[rows, h]
            shares = bal * frac
            extra = np.minimum(bal - shares, run_left)
            shares, run_left = shares + extra, run_left - extra
            n_open = (opened & (who == h[:, None])).sum(axis=1)
            ok = (shares >= 1.0) & (n_open < MAX_OPEN)
            q = self.q_next
            self.q_next += 1
            self.shares[rows, h] = np.where(ok, bal - shares, bal)
            self.q_pending[:, q] = np.where(ok, shares, 0.0)
            self.q_holder[:, q] = h
            self.q_made[:, q] = ok
            self.q_day[q] = self.day
            self.q_mature[q] = mature

    def service(self) -> None:
        lo, hi = self.q_lo, self.q_next
        if hi > lo:
            price = self.price()
            pend = self.q_pending[:, lo:hi]
            ripe = self.q_mature[lo:hi] < self.day
            ready = np.where(ripe[None, :], pend, 0.0)
            can = np.minimum(ready.sum(axis=1), self.idle / np.maximum(price, 1e-18))
            can = np.where(can >= 1.0, can, 0.0)
            before = np.cumsum(ready, axis=1) - ready
            fill = np.clip(can[:, None] - before, 0.0, ready)
            self.q_pending[:, lo:hi] = pend - fill
            self.total_shares = self.total_shares - fill.sum(axis=1)
            paid = fill * price[:, None]
            holder = self.q_holder[:, lo:hi]
            for j in range(len(SAID_HOLDERS)):
                got = np.where(holder == j, paid, 0.0).sum(axis=1)
                self.idle = self.idle - got
                if self.wl[j]:
                    self.burn(got)
                else:
                    sold = got >= 1.0
                    self.pool.sell(got, sold)
                    self.burn(np.where(sold, 0.0, got))
            made = self.q_made[:, lo:hi]
            done = made & (self.q_pending[:, lo:hi] <= 0.0) & (self.q_filled[:, lo:hi] < 0)
            self.q_filled[:, lo:hi] = np.where(done, float(self.day), self.q_filled[:, lo:hi])
            live = (self.q_pending[:, lo:hi] > 0).any(axis=0)
            self.q_lo = lo + (int(np.argmax(live)) if live.any() else hi - lo)

    def arbitrage(self) -> None:
        chunk = float(self.sc.fund_usd // 200)
        bought = np.zeros(self.P)
        while True:
            go = (self.pool.price() < 0.999) & (self.arb_usd >= chunk)
            if not go.any():
                break
            bought = bought + self.pool.buy(np.full(self.P, chunk), go)
            self.arb_usd = np.where(go, self.arb_usd - chunk, self.arb_usd)
        self.arb_usd = self.arb_usd + self.burn(bought)  # the market buys the T-bill dollar at par

    def step_day(self) -> None:
        sc = self.sc
        self.acc_reserve = self.acc_reserve + self.reserve * self.apr / 365.0
        self.acc_own = self.acc_own + self.settled * self.apr / 365.0
        self.day += 1
        day = self.day
        if day % 30 == 0:
            self.month(day // 30)
            self.nav_w.append(self.price())
        self.workouts()
        block, day_in = divmod(day, 30)
        if day_in < 7:
            self.requests_window(block, day_in)
        self.service()
        self.vendor = self.vendor - self.burn(self.vendor)
        price = self.pool.price()
        sell = self.float_ * np.minimum(np.maximum(0.0, (1.0 - price) * 100 * 0.05), 0.5)
        if sc.float_panic and sc.freeze_day is not None and 0 <= day - sc.freeze_day < 2:
            sell = np.maximum(sell, self.float_ / 10)
        ok = sell >= 1.0
        self.pool.sell(sell, ok)
        self.float_ = np.where(ok, self.float_ - sell, self.float_)
        self.arbitrage()
        self.prices.append(self.pool.price())
        self.nav_daily.append(self.price())
        self.shares_daily.append(self.total_shares.copy())
        self.pool.sample(self.reserves, day, self.pool_spec, "USDai")
        self.backed_min = np.minimum(self.backed_min, self.reserve - self.supply)

    def measures(self) -> dict[str, F]:
        sc = self.sc
        navs = np.stack(self.nav_w, axis=1)
        prices = np.stack(self.prices, axis=1)
        made = self.q_made[:, : self.q_next]
        filled = self.q_filled[:, : self.q_next]
        end = np.where(filled >= 0, filled, float(self.day))
        waits = np.where(made, end - self.q_day[None, : self.q_next], np.nan)
        daily = (
            np.column_stack([self.nav_w[0], *self.nav_daily]),
            np.stack(self.shares_daily, axis=1),
        )
        out = common_measures(navs, prices, self.backed_min, waits, self.drv.price, daily)
        senior, junior = self.lent
        out["default_rate"] = self.liquidated.sum(axis=1) / sc.n_deals
        out["loss_senior"] = self.tranche_loss[:, 0] / senior
        out["loss_junior"] = self.tranche_loss[:, 1] / junior if junior else np.zeros(self.P)
        return out


def run_usdai_batch(
    sc: CreditStress, rngs: tuple[np.random.Generator, ...], pool: Any, junior_bps: int
) -> tuple[dict[str, F], F, F, dict[str, F]]:
    """Measures ``{name: [P]}``, the daily redemption price and the pool price ``[P, days + 1]``
    and the pool's reserves on the report grid (``results.PoolReserves``)."""
    b = UsdaiBatch(sc, rngs, pool, junior_bps)
    for _ in range(sc.months * 30):
        b.step_day()
    nav = np.column_stack([b.nav_w[0], *b.nav_daily])
    price = np.column_stack([np.ones(b.P), *b.prices])
    return b.measures(), nav, price, b.reserves.series
