"""The lending markets and term deposits under the yield vault, over a batch of paths (float64;
docs/scale.md "Vectorised models: yield vaults").

Each market restates, per path, what ``sim.yield_backtest.make_market`` builds on the exact
engine (market ``k``: even ``k`` an Aave v3-style market, odd ``k`` a Compound v2-style one, the
rate parameters varied by ``k`` the same way), with its outside supplier ``lp<k>`` and its one
rate-elastic borrower (``RateBorrower``):

* Aave: scaled supply balances and scaled debt against a liquidity index (linear interest) and a
  borrow index (the contract's three-term compounding), the reserve factor's share accrued to the
  treasury as scaled supply, rates (kinked model) stored after every action;
* Compound: cToken balances at an exchange rate ``(cash + borrows - reserves) / cTokens``, simple
  per-second interest on the borrows at the jump-rate model's rate, the reserve factor's share to
  the reserves;
* a term deposit (``TermSleeve``): one tranche per day of supply, simple interest up to its
  unlock, every matured tranche redeemed at once.

Amounts are float64 asset base units (USDC: 1e-6 dollars); an account is ``"lp"`` (the outside
supplier) or ``"safe"`` (the vault's safe). The integer floors and ceilings of the contracts are
not reproduced. Time is ``now`` in seconds since t0, set by the caller each day.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from ....protocols.lending.presets import aave_params, jump_params
from ....units import BPS, DAY, RAY, WAD, YEAR

__all__ = ["VecLending", "VecTerm", "rowsum"]

F = NDArray[np.float64]
B = NDArray[np.bool_]
RESERVE_FACTOR = 1000 / BPS  # LendingMarket's default reserve_factor_bps


def rowsum(a: F) -> F:
    """Each row's sum, columns added left to right (numpy's own reduction may associate a row
    differently in a batch of one than in a larger batch; a path must not depend on its batch)."""
    out = np.zeros(a.shape[0])
    for j in range(a.shape[1]):
        out = out + a[:, j]
    return out


class VecLending:
    """Market ``k`` of the book with its outside supplier and borrower (module docstring).

    Interest accrues lazily, as on the contracts: an action brings the market to ``now`` first
    (on the paths where it acts), reads see the interest accrued since the last action without
    writing it (``_current``). A market nobody touches for days (a pinned market whose lender
    cannot withdraw) accrues simple interest over the whole gap at the rate of its last action.
    """

    def __init__(self, k: int, supply0: F, util0: F, elasticity: float) -> None:
        self.k = k
        self.aave = k % 2 == 0
        self.id = f"aave{k}" if self.aave else f"comp{k}"
        p = len(supply0)
        self.now = 0.0
        self.last = np.zeros(p)
        if self.aave:
            am = aave_params(80 + 2 * (k % 6), 0, 300 + 50 * k % 400, 6000)
            self.opt = am.optimal_usage_ray / RAY
            self.base = am.base_rate_ray / RAY
            self.s1 = am.slope1_ray / RAY
            self.s2 = am.slope2_ray / RAY
            self.li = np.ones(p)
            self.bi = np.ones(p)
            self.treas = np.zeros(p)
            self.debt_s = np.zeros(p)
            self.liq_rate = np.zeros(p)
            self.borrow_rate = np.full(p, self.base)
        else:
            jm = jump_params(0, 350 + 40 * k % 300, 10_900, 80)
            self.base = jm.base_rate_wad / WAD  # per second
            self.mult = jm.multiplier_wad / WAD
            self.jump = jm.jump_multiplier_wad / WAD
            self.kink = jm.kink_wad / WAD
            self.borrows = np.zeros(p)
            self.reserves = np.zeros(p)
        self.cash = np.zeros(p)
        self.bal = {"lp": np.zeros(p), "safe": np.zeros(p)}  # scaled units / cTokens
        ones = np.ones(p, dtype=bool)
        self.supply("lp", supply0, ones)
        debt = np.floor(supply0 * util0)
        self.borrow(debt, ones)
        self.base_debt = debt
        self.elasticity = elasticity
        self.r_ref = np.maximum(self.rates()[1], 1e-4)

    # -- interest ----------------------------------------------------------------------------------
    def _current(self) -> tuple[F, F, F]:
        """Aave: ``(liquidity index, borrow index, treasury)``; Compound: ``(borrows, reserves,
        0)``, accrued to ``now`` from the last action (nothing written)."""
        dt = self.now - self.last
        if self.aave:
            li = np.where(self.liq_rate > 0, self.li * (1.0 + self.liq_rate * dt / YEAR), self.li)
            r = self.borrow_rate / YEAR
            growth = 1.0 + r * dt + dt * (dt - 1) / 2 * r * r
            growth = growth + dt * (dt - 1) * np.maximum(dt - 2, 0) / 6 * r**3
            bi = np.where((self.debt_s > 0) & (dt > 0), self.bi * growth, self.bi)
            treas = self.treas + RESERVE_FACTOR * self.debt_s * (bi - self.bi) / li
            return li, bi, treas
        _, rate = self._comp_rate(self.borrows, self.reserves)
        interest = rate * dt * self.borrows
        return self.borrows + interest, self.reserves + RESERVE_FACTOR * interest, self.cash * 0

    def _touch(self, mask: B) -> None:
        """Write the interest accrued to ``now`` where ``mask`` (an action's first step)."""
        a, b, c = self._current()
        if self.aave:
            self.li = np.where(mask, a, self.li)
            self.bi = np.where(mask, b, self.bi)
            self.treas = np.where(mask, c, self.treas)
        else:
            self.borrows = np.where(mask, a, self.borrows)
            self.reserves = np.where(mask, b, self.reserves)
        self.last = np.where(mask, self.now, self.last)

    def _after(self, mask: B) -> None:
        """Aave stores the rates of the new state after every action (where ``mask``)."""
        if self.aave:
            liq, borrow = self.rates()
            self.liq_rate = np.where(mask, liq, self.liq_rate)
            self.borrow_rate = np.where(mask, borrow, self.borrow_rate)

    # -- reads -------------------------------------------------------------------------------------
    def debt(self) -> F:
        a, b, _ = self._current()
        return self.debt_s * b if self.aave else a

    def _rate(self, borrows: F, reserves: F) -> F:
        """Exchange rate of a cToken (Compound; 1 before any supply)."""
        tokens = self.bal["lp"] + self.bal["safe"]
        live = tokens > 0
        return np.where(live, (self.cash + borrows - reserves) / np.where(live, tokens, 1.0), 1.0)

    def _per_unit(self) -> F:
        a, b, _ = self._current()
        return a if self.aave else self._rate(a, b)

    def balance(self, who: str) -> F:
        """What ``who`` could withdraw given unlimited cash."""
        return np.asarray(self.bal[who] * self._per_unit())

    def max_withdraw(self, who: str) -> F:
        return np.minimum(self.balance(who), self.cash)

    def total_supplied(self) -> F:
        a, b, c = self._current()
        if self.aave:
            return np.asarray((self.bal["lp"] + self.bal["safe"] + c) * a)
        return np.asarray((self.bal["lp"] + self.bal["safe"]) * self._rate(a, b))

    def utilisation(self) -> F:
        d = self.debt()
        return np.where(d > 0, d / np.maximum(self.cash + d, 1e-300), 0.0)

    def rates(self) -> tuple[F, F]:
        """Annual ``(supply, borrow)`` rates now (fractions), from the state accrued to now."""
        if self.aave:
            return self._aave_rates(self.cash, self.debt())
        a, b, _ = self._current()
        u, per_s = self._comp_rate(a, b)
        return u * per_s * (1.0 - RESERVE_FACTOR) * YEAR, per_s * YEAR

    def supply_curve(self) -> Callable[[F], F]:
        """The annual supply rate if ``delta`` more cash sat in the market (own impact; the
        exact ``rates_ray(supply_delta=delta)[0]`` as a fraction), frozen at the state now."""
        cash = self.cash.copy()
        if self.aave:
            debt = self.debt()
            return lambda delta: self._aave_rates(cash + delta, debt)[0]
        a, b, _ = self._current()

        def comp(delta: F) -> F:
            u, per_s = self._comp_rate(a, b, cash + delta)
            return np.asarray(u * per_s * (1.0 - RESERVE_FACTOR) * YEAR)

        return comp

    def _aave_rates(self, cash: F, d: F) -> tuple[F, F]:
        u = np.where(d > 0, d / np.maximum(cash + d, 1e-300), 0.0)
        borrow = np.where(
            u > self.opt,
            self.base + self.s1 + self.s2 * (u - self.opt) / (1.0 - self.opt),
            self.base + self.s1 * u / self.opt,
        )
        supply = np.where(d > 0, borrow * u * (1.0 - RESERVE_FACTOR), 0.0)
        return supply, borrow

    def _comp_rate(self, b: F, reserves: F, cash: F | None = None) -> tuple[F, F]:
        den = (self.cash if cash is None else cash) + b - reserves
        u = np.where(b > 0, b / np.maximum(den, 1e-300), 0.0)
        rate = np.where(
            u <= self.kink,
            u * self.mult + self.base,
            (u - self.kink) * self.jump + self.kink * self.mult + self.base,
        )
        return u, rate

    # -- actions (``mask``: the paths that act) ---------------------------------------------------------
    def supply(self, who: str, amount: F, mask: B) -> None:
        mask = mask & (amount > 0)
        if not mask.any():
            return
        self._touch(mask)
        amt = np.where(mask, amount, 0.0)
        self.bal[who] = self.bal[who] + amt / self._per_unit()
        self.cash = self.cash + amt
        self._after(mask)

    def withdraw(self, who: str, amount: F, mask: B) -> F:
        """Withdraw ``amount`` (within balance and cash) where ``mask``; returns what left."""
        mask = mask & (amount > 0)
        if not mask.any():
            return np.zeros_like(amount)
        self._touch(mask)
        amt = np.minimum(np.where(mask, amount, 0.0), self.max_withdraw(who))
        self.bal[who] = np.maximum(self.bal[who] - amt / self._per_unit(), 0.0)
        self.cash = self.cash - amt
        self._after(mask)
        return np.asarray(amt)

    def borrow(self, amount: F, mask: B) -> None:
        mask = mask & (amount > 0)
        if not mask.any():
            return
        self._touch(mask)
        amt = np.where(mask, amount, 0.0)
        if self.aave:
            self.debt_s = self.debt_s + amt / self.bi
        else:
            self.borrows = self.borrows + amt
        self.cash = self.cash - amt
        self._after(mask)

    def repay(self, amount: F, mask: B) -> None:
        mask = mask & (amount > 0)
        if not mask.any():
            return
        self._touch(mask)
        amt = np.minimum(np.where(mask, amount, 0.0), self.debt())
        if self.aave:
            self.debt_s = np.maximum(self.debt_s - amt / self.bi, 0.0)
        else:
            self.borrows = np.maximum(self.borrows - amt, 0.0)
        self.cash = self.cash + amt
        self._after(mask)

    # -- the outside supplier and the borrower (``YieldPath._markets``) ------------------------------
    def move_outside(self, level: F) -> None:
        have = self.balance("lp")
        self.supply("lp", level - have, level > have)
        down = (have > level) & (self.max_withdraw("lp") > 0)
        self.withdraw("lp", have - level, down)

    def borrower_act(self, mult: F, pin: B) -> None:
        """``RateBorrower.act``: toward ``base × mult × (r_ref / r)^e`` a quarter of the way, or
        every unit of cash while the market is pinned."""
        owed = self.debt()
        cash = self.cash
        r = np.maximum(self.rates()[1], 1e-4)
        target = np.floor(self.base_debt * mult * (self.r_ref / r) ** self.elasticity)
        step = np.where(pin, cash, np.floor((target - owed) / 4))
        room = np.where(
            pin, cash, np.maximum(0.0, np.trunc((99 * (cash + owed) - 100 * owed) / 100))
        )
        amount = np.where(step > 0, np.minimum(step, room), 0.0)
        self.borrow(amount, amount > 0)
        pay = np.where((step < 0) & (owed > 0), np.minimum(-step, owed), 0.0)
        self.repay(pay, pay > 0)


class VecTerm:
    """Term deposit ``j`` behind ``TermSleeve``: tranches by the day they were opened."""

    lock = True

    def __init__(self, j: int, paths: int, days: int, rate: float, lock_days: int, cap: float):
        self.id = f"term{j}"
        self.rate = (int(rate * BPS) * RAY // BPS + j * RAY // 200) / RAY
        self.lock_days = lock_days
        self.principal = np.zeros((paths, days + 1))
        self.capacity = cap
        self.day = 0

    def _grown(self, k: int) -> F:
        start = np.arange(self.principal.shape[1])
        elapsed = np.clip(np.minimum(k, start + self.lock_days) - start, 0, None)
        return self.principal * (1.0 + self.rate * elapsed * DAY / YEAR)

    def balance(self, who: str = "safe") -> F:
        return rowsum(self._grown(self.day))

    def max_withdraw(self, who: str = "safe") -> F:
        start = np.arange(self.principal.shape[1])
        matured = start + self.lock_days <= self.day
        return rowsum(self._grown(self.day) * matured)

    def total_supplied(self) -> F:
        return np.full(self.principal.shape[0], self.capacity)

    def utilisation(self) -> F:
        return np.zeros(self.principal.shape[0])

    def rates(self) -> tuple[F, F]:
        n = self.principal.shape[0]
        return np.full(n, self.rate), np.zeros(n)

    def supply_curve(self) -> Callable[[F], F]:
        """A fixed rate whatever the vault adds (no own impact)."""
        return lambda delta: np.full(len(delta), self.rate)

    def supply(self, who: str, amount: F, mask: B) -> None:
        self.principal[:, self.day] += np.where(mask, np.maximum(amount, 0.0), 0.0)

    def withdraw(self, who: str, amount: F, mask: B) -> F:
        """Redeem every matured tranche where ``mask`` (whatever ``amount`` asks)."""
        start = np.arange(self.principal.shape[1])
        matured = (start + self.lock_days <= self.day)[None, :] & mask[:, None]
        paid = rowsum(self._grown(self.day) * matured)
        self.principal[matured] = 0.0
        return np.asarray(paid)
