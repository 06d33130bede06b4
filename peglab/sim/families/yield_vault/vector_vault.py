"""The epoch vault, its safe, the curator and the interstable rules over a batch of paths (float64;
docs/scale.md "Vectorised models: yield vaults").

It restates ``YieldPath._settle``, ``_rebalance`` and ``_exploit`` and the pieces of
``EpochVault`` (docs/yield-vaults.md §1-2), ``Curator`` (§3) and ``InterstableRules`` (§4.1) they
use, per path:

* the vault's tracked assets ``A`` and share supply ``S`` in base units; one price per epoch:
  a deposit epoch mints ``floor(a (S + 1) / (A + 1))`` shares, a redemption epoch pays
  ``floor(s (A + 1) / (S + 1))`` and settles whole or not at all (the safe must hold the cash);
  the price per share is ``floor(10^d (A + 1) / (S + 1))``, as the exact vault's;
* the Lagoon fee take at each settlement (management over the day, performance over the
  high-water mark, minted as dilution-compensated shares, every division rounded up);
* controllers: column 0 the outside holders, ``1..L`` the loopers, ``L + 1`` the keeper; deposit
  requests wait in the open epoch and settle at the next valuation; redemption requests wait in
  the open epoch, which closes at a valuation when no earlier epoch is still waiting;
* the request log (day, epoch, shares per controller) and each epoch's settlement day, from which
  the exit waits are measured;
* the curator's cash freeing for pending redemptions (markets by what they can pay, largest
  first), the NAV (idle cash plus every position), the rules' desired book, their move decision
  (or, for ``allocator = "optimizer"``, ``vector_optimizer.VecOptimizer``'s proposal, with each
  path's last allocation for its cooldown), and the agent's clamps of the targets to the
  curator's guards.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from ....units import DAY, YEAR
from .vector_markets import VecLending, VecTerm, rowsum
from .vector_optimizer import VecOptimizer

__all__ = ["VecVault"]

F = NDArray[np.float64]
B = NDArray[np.bool_]
I = NDArray[np.intp]  # noqa: E741

LIQUID_MIN, LOCKED_MAX, PROTOCOL_CAP, MIN_PROTOCOLS = 0.10, 0.50, 0.30, 3
GAIN_BPS, SUSTAIN_DAYS, TVL_DROP, IDLE_EXCESS = 50.0, 7, 0.30, 0.05
MAX_SHARE_BPS, MAX_UTIL, IDLE_BUFFER_BPS = 1000, 0.95, 500  # the curator's guards


class VecVault:
    """The vault and its safe on every path (module docstring)."""

    def __init__(
        self,
        paths: int,
        days: int,
        controllers: int,
        markets: Sequence[VecLending | VecTerm],
        mgmt_bps: int,
        perf_bps: int,
        unit: float,
        optimizer: VecOptimizer | None = None,
    ) -> None:
        p, c = paths, controllers
        self.P, self.C, self.days, self.u = p, c, days, unit
        self.markets = list(markets)
        self.ids = [m.id for m in self.markets]
        rank = {mid: i for i, mid in enumerate(sorted(self.ids))}
        self.id_rank = np.array([rank[mid] for mid in self.ids], dtype=float)
        self.locked = np.array([isinstance(m, VecTerm) for m in self.markets])
        self.mgmt, self.perf = mgmt_bps / 1e4, perf_bps / 1e4
        z = np.zeros(p)
        self.A, self.S, self.idle = z.copy(), z.copy(), z.copy()
        self.hwm = np.full(p, unit)
        self.dep_open = np.zeros((p, c))
        self.dep_claim = np.zeros((p, c))
        self.red_open = np.zeros((p, c))
        self.red_closed = np.zeros((p, c))
        self.red_claim = np.zeros((p, c))
        self.has_closed = np.zeros(p, dtype=bool)
        self.open_ep = np.zeros(p, dtype=np.intp)  # epoch index j: redeem id 2 (j + 1)
        self.closed_ep = np.zeros(p, dtype=np.intp)
        self.req = np.zeros((p, days + 1, c))
        self.req_ep = np.zeros((p, days + 1), dtype=np.intp)
        self.settled = np.full((p, days + 2), np.nan)
        n = len(self.markets)
        self.hist = np.zeros((p, n, SUSTAIN_DAYS))
        self.nhist = 0
        self.tvl_prev = np.zeros((p, n))
        self.rows = np.arange(p)
        self.opt = optimizer  # None: the interstable rules
        self.last = np.zeros(p)  # each path's last allocation [s since t0]

    # -- reads -------------------------------------------------------------------------------------
    def to_assets(self, shares: F) -> F:
        return np.floor(shares * (self.A + 1.0) / (self.S + 1.0))

    def to_shares(self, assets: F) -> F:
        return np.floor(assets * (self.S + 1.0) / (self.A + 1.0))

    def pps(self) -> F:
        """Asset per whole share, floored to the asset's unit (``price_per_share``)."""
        return np.floor(self.u * (self.A + 1.0) / (self.S + 1.0)) / self.u

    def positions(self) -> F:
        """The safe's supply balances, floored to the unit as the markets report them."""
        return np.floor(np.stack([m.balance("safe") for m in self.markets], axis=1))

    def withdrawable(self) -> F:
        return np.floor(np.stack([m.max_withdraw("safe") for m in self.markets], axis=1))

    def nav(self) -> F:
        return np.asarray(self.idle + rowsum(self.positions()))

    def pending_redeem(self) -> F:
        return np.asarray(rowsum(self.red_open) + rowsum(self.red_closed))

    # -- requests and claims (``mask``: the paths that act) ----------------------------------------
    def request_deposit(self, c: int, assets: F, mask: B) -> None:
        self.dep_open[:, c] += np.where(mask & (assets > 0), assets, 0.0)

    def request_redeem(self, c: int, shares: F, mask: B, k: int) -> None:
        add = np.where(mask & (shares > 0), shares, 0.0)
        self.red_open[:, c] += add
        self.req[:, k, c] += add
        self.req_ep[:, k] = self.open_ep

    def claim(self, c: int) -> tuple[F, F]:
        """Claimable ``(shares, assets)`` of controller ``c``, now claimed."""
        sh, a = self.dep_claim[:, c].copy(), self.red_claim[:, c].copy()
        self.dep_claim[:, c] = 0.0
        self.red_claim[:, c] = 0.0
        return sh, a

    # -- the safe's day ------------------------------------------------------------------------------
    def _withdraw(self, j: int, amount: F, mask: B) -> None:
        self.idle = self.idle + self.markets[j].withdraw("safe", amount, mask)

    def exploit(self, frac: float) -> None:
        """``frac`` of NAV leaves: idle cash first, then the lending markets in order."""
        left = np.floor(self.nav() * frac)
        take = np.minimum(left, self.idle)
        self.idle = self.idle - take
        left = left - take
        for m in self.markets:
            if isinstance(m, VecLending):
                out = m.withdraw("safe", left, left > 0)
                left = left - out

    def settle(self, k: int) -> None:
        """``YieldPath._settle``: free cash for the pending redemptions (an allocation: it
        starts the optimiser's cooldown), value, settle."""
        short = self.to_assets(self.pending_redeem()) - self.idle
        if (short > 0).any():
            freed = np.zeros(self.P, dtype=bool)
            wd = self.withdrawable()
            order = np.lexsort((np.broadcast_to(self.id_rank, wd.shape), -wd), axis=1)
            for r in range(len(self.markets)):
                j = order[:, r]
                for jj in range(len(self.markets)):
                    sel = (j == jj) & (short > 0)
                    if sel.any():
                        take = np.minimum(short, wd[:, jj])
                        sel &= take > 0
                        self._withdraw(jj, take, sel)
                        short = np.where(sel, short - take, short)
                        freed |= sel
            self.last = np.where(freed, float(k * DAY), self.last)
        nav = self.nav()
        # propose: the open redemption epoch closes unless an earlier one still waits
        closing = (rowsum(self.red_open) > 0) & ~self.has_closed
        self.red_closed = np.where(closing[:, None], self.red_open, self.red_closed)
        self.red_open = np.where(closing[:, None], 0.0, self.red_open)
        self.closed_ep = np.where(closing, self.open_ep, self.closed_ep)
        self.open_ep = self.open_ep + closing
        self.has_closed = self.has_closed | closing
        self.A = nav
        self._take_fees()
        # deposits: one price for the epoch
        dep = self.dep_open
        total = rowsum(dep)
        each = np.floor(dep * ((self.S + 1.0) / (self.A + 1.0))[:, None])
        self.dep_claim += each
        self.S = self.S + np.floor(total * (self.S + 1.0) / (self.A + 1.0))
        self.A = self.A + total
        self.idle = self.idle + total
        self.dep_open = np.zeros_like(dep)
        # redemptions: whole or not at all
        shares = rowsum(self.red_closed)
        assets = self.to_assets(shares)
        ok = self.has_closed & (assets <= self.idle)
        paid = np.floor(self.red_closed * ((self.A + 1.0) / (self.S + 1.0))[:, None])
        self.red_claim += np.where(ok[:, None], paid, 0.0)
        self.idle = np.where(ok, self.idle - assets, self.idle)
        self.A = np.where(ok, self.A - assets, self.A)
        self.S = np.where(ok, self.S - shares, self.S)
        self.red_closed = np.where(ok[:, None], 0.0, self.red_closed)
        self.has_closed = self.has_closed & ~ok
        self.settled[self.rows[ok], self.closed_ep[ok]] = k

    def _take_fees(self) -> None:
        """The Lagoon fee take of one day (``math.lagoon.lagoon_fees``, divisions rounded up)."""
        a, s, one = self.A, self.S, self.u
        mgmt = np.ceil(np.ceil(a * self.mgmt) * 86_400 / YEAR)
        pps = np.ceil(one * (a + 1.0 - mgmt) / (s + 1.0))
        perf = np.where(
            pps > self.hwm, np.ceil(np.ceil((pps - self.hwm) * s / one) * self.perf), 0.0
        )
        fee = mgmt + perf
        minted = np.where(fee > 0, np.ceil(fee * (s + 1.0) / (a - fee + 1.0)), 0.0)
        self.S = s + minted
        self.hwm = np.maximum(self.hwm, np.floor(one * (a + 1.0) / (self.S + 1.0)))

    # -- the allocator ---------------------------------------------------------------------------------
    def rebalance(self, k: int) -> None:
        """The allocator's proposal (the rules, or the optimiser of ``vector_optimizer``),
        clamped to the curator's guards, executed where it moves (on day ``k``)."""
        pos, wd = self.positions(), self.withdrawable()
        supply = np.stack([m.total_supplied() for m in self.markets], axis=1)
        util = np.stack([m.utilisation() for m in self.markets], axis=1)
        capital = self.idle + rowsum(pos)
        if self.opt is None:
            apr = np.stack([m.rates()[0] for m in self.markets], axis=1)
            new = self._desired(pos, wd, supply, apr, capital)
            move = self._decide(new, pos, wd, supply, capital)
        else:
            curves = [m.supply_curve() for m in self.markets]
            whole = np.floor(self.idle) + rowsum(pos)  # the exact capital: integer units
            now = float(k * DAY)
            new, move = self.opt.propose(now, self.last, whole, pos, wd, supply, util, curves)
            self.last = np.where(move, now, self.last)
        if not move.any():
            return
        t = new.copy()
        up = t > pos
        t = np.where(up & (util > MAX_UTIL), pos, t)
        share = MAX_SHARE_BPS
        t = np.where(up, np.minimum(t, np.floor(share * (supply - pos) / (1e4 - share))), t)
        t = np.maximum(t, pos - wd)
        buffer = np.floor(IDLE_BUFFER_BPS * capital / 1e4)
        spend = rowsum(np.maximum(0.0, t - pos))
        free = self.idle + rowsum(np.maximum(0.0, pos - t))
        scale = spend > free - buffer
        room = np.maximum(0.0, free - buffer)
        t = np.where(
            scale[:, None] & (t > pos),
            pos + np.floor((t - pos) * (room / np.where(spend > 0, spend, 1.0))[:, None]),
            t,
        )
        t = np.where((t > pos) & (t - pos < self.u), pos, t)  # dust supplies are dropped
        for j in range(len(self.markets)):
            out = move & (t[:, j] < pos[:, j])
            if out.any():
                self._withdraw(j, pos[:, j] - t[:, j], out)
        for j, m in enumerate(self.markets):
            into = move & (t[:, j] > pos[:, j])
            if into.any():
                amt = np.where(into, t[:, j] - pos[:, j], 0.0)
                m.supply("safe", amt, into)
                self.idle = self.idle - amt

    def _desired(self, pos: F, wd: F, supply: F, apr: F, capital: F) -> F:
        liquid = np.floor(capital * LIQUID_MIN)
        budget = np.maximum(0.0, capital - liquid)
        locked_left = np.floor(capital * LOCKED_MAX)
        cap = np.floor(capital * PROTOCOL_CAP)
        x = np.maximum(0.0, pos - wd)
        locked_left = locked_left - rowsum(x * self.locked)
        budget = budget - rowsum(x)
        crashed = (self.tvl_prev > 0) & (supply < (1 - TVL_DROP) * self.tvl_prev)
        eligible = ~crashed
        few = eligible.sum(axis=1) < MIN_PROTOCOLS
        h = self.nhist
        sustained = apr if h == 0 else np.minimum(self.hist[:, :, -h:].min(axis=2), apr)
        sustained = np.where(self.locked, apr, sustained)  # a term deposit has no history
        key = np.where(eligible, -sustained, np.inf)
        order = np.lexsort((np.broadcast_to(self.id_rank, key.shape), key), axis=1)
        rows = self.rows
        for r in range(len(self.markets)):
            j = order[:, r]
            lock = self.locked[j]
            room = np.minimum(cap - x[rows, j], budget)
            room = np.where(lock, np.minimum(room, locked_left), room)
            go = eligible[rows, j] & ~few & (room > 0)
            add = np.where(go, room, 0.0)
            x[rows, j] += add
            budget = budget - add
            locked_left = locked_left - np.where(lock, add, 0.0)
        return x

    def _decide(self, new: F, pos: F, wd: F, supply: F, capital: F) -> B:
        """``InterstableRules.propose``: move when a rule is broken, or when the desired book beat
        the current one by more than ``GAIN_BPS`` on each of the last ``SUSTAIN_DAYS`` days."""
        same = (new == pos).all(axis=1)
        crashed = (self.tvl_prev > 0) & (supply < (1 - TVL_DROP) * self.tvl_prev)
        liquid = np.maximum(np.floor(capital * LIQUID_MIN), 0.0)
        movable = rowsum(np.minimum(pos, wd))
        broken = (crashed & (pos > 0) & (wd > 0)).any(axis=1)
        broken |= (self.idle < liquid) & (movable > 0)
        broken |= self.idle > liquid + capital * IDLE_EXCESS
        broken |= rowsum(pos * self.locked) > capital * LOCKED_MAX
        broken |= (pos > (capital * PROTOCOL_CAP + 1)[:, None]).any(axis=1)
        gain = np.zeros(self.P, dtype=bool)
        if self.nhist >= SUSTAIN_DAYS and not self.locked.any():
            cap = np.where(capital > 0, capital, 1.0)
            gain[:] = True
            for d in range(1, SUSTAIN_DAYS + 1):
                spread = rowsum((new - pos) * self.hist[:, :, -d]) / cap
                gain &= spread * 1e4 > GAIN_BPS
        return np.asarray(~same & (broken | gain))

    def record_history(self) -> None:
        """Today's supply rates and market sizes (the rules' APR history and TVL a day ago). As
        ``YieldPath.operate`` records them, of the lending markets only: a term deposit has no
        history (so the rules' gain test, which needs seven days of every market, never passes
        while the book holds one) and no TVL a day ago."""
        apr = np.stack([m.rates()[0] for m in self.markets], axis=1)
        self.hist = np.concatenate([self.hist[:, :, 1:], apr[:, :, None]], axis=2)
        self.nhist = min(self.nhist + 1, SUSTAIN_DAYS)
        tvl = np.stack([m.total_supplied() for m in self.markets], axis=1)
        self.tvl_prev = np.where(self.locked, 0.0, tvl)
