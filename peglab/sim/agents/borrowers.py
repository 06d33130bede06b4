"""CDP borrowers (docs/risk-spec.md §4): keep their ratio near a target, panic-close after a crash.

A borrower who attends (``p_attend`` per day) and sits below ``target - band`` tops up (buying
collateral on the external market) or repays (buying AI dollars on the PSM or the pool) from a
budget; after a drop of ``panic_drop`` within ``panic_window`` some close their vault.
"""

from __future__ import annotations

import numpy as np

from ...math import ceil_div
from ...units import RAY, WAD
from ..families.ai_dollar.build import VaultBook
from ..families.ai_dollar.state import DollarPath
from ..world import MARKET, to_wad
from . import dealer

__all__ = ["act", "repay", "top_up"]


def act(s: DollarPath, b: VaultBook, k: int) -> None:
    """The book's borrowers at step ``k``: top-ups, repayments, panic closes."""
    bw, vat = s.sc.agents.borrowers, b.dollar.vat
    day = s.dt / 86_400.0
    p_act = 1.0 - (1.0 - float(bw.p_attend)) ** day
    p_panic = 1.0 - (1.0 - float(bw.p_panic)) ** day
    panic_steps = max(1, round(bw.panic_window / s.dt))
    p = s.coll_price(b, k)
    n = len(b.ids)
    attend = b.active & (s.rng.random(n) < p_act)
    choice = s.rng.random(n)
    rate = vat.ilks[b.ilk].rate_ray
    budget = s.budget[b.ilk]
    for i in map(int, np.flatnonzero(attend)):
        v = vat.vaults[b.ids[i]]
        debt = v.art_wad * rate / (WAD * RAY)
        if debt <= 0 or not v.is_open:
            continue
        ratio = v.ink_wad / WAD * p / debt
        if ratio >= b.target[i] - float(bw.band):
            continue
        if choice[i] < float(bw.p_topup):
            usd = min(max(debt * b.target[i] - v.ink_wad / WAD * p, 0.0), budget[i])
            if usd > 1.0 and top_up(s, b, i, usd / p):
                budget[i] -= usd
        elif choice[i] < float(bw.p_topup) + float(bw.p_repay):
            usd = min(max(debt - v.ink_wad / WAD * p / b.target[i], 0.0), budget[i])
            if usd > 1.0:
                budget[i] -= repay(s, b, i, usd)
    a = b.asset
    window_max = float(s.prices[max(0, k - panic_steps) : k + 1, a].max())
    if float(s.prices[k, a]) < (1.0 - float(bw.panic_drop)) * window_max:
        panic = b.active & (s.rng.random(n) < p_panic)
        for i in map(int, np.flatnonzero(panic)):
            v = vat.vaults[b.ids[i]]
            debt = ceil_div(v.art_wad * rate, RAY) / WAD
            if v.is_open and budget[i] >= debt * 1.02:
                spent = repay(s, b, i, debt * 1.02, close=True)
                budget[i] -= spent


def top_up(s: DollarPath, b: VaultBook, i: int, units: float) -> bool:
    """Buy ``units`` of collateral on the external market and deposit them."""
    w, owner, ledger = s.w, b.owners[i], s.w.chain.ledger
    amount = to_wad(units)
    if amount <= 0:
        return False
    if b.token in w.staking:
        pool = w.staking[b.token]
        ledger.mint(pool.underlying, owner, amount * pool.exchange_rate_wad() // WAD + 1)
        shares = s.attempt(
            b.dollar.symbol, pool.stake, ledger.balance_of(pool.underlying, owner), sender=owner
        )
        amount = shares or 0
    else:
        ledger.mint(
            b.token, owner, amount
        )  # bought from the market; the market's stock is not modelled
    if s.venue.transient:  # the purchase moves the market price
        er = s.coll_price(b, s.k) / max(float(s.prices[s.k, b.asset]), 1e-300)
        cost = s.venue.buy(b.asset, units * er)
    else:
        cost = units * s.coll_price(b, s.k)
    if w.stable:
        ledger.transfer(
            w.stable, owner, MARKET, min(ledger.balance_of(w.stable, owner), s.w.stable_units(cost))
        )
    return (
        amount > 0
        and s.attempt(b.dollar.symbol, b.dollar.deposit, b.ids[i], amount, sender=owner) is not None
    )


def repay(s: DollarPath, b: VaultBook, i: int, usd: float, *, close: bool = False) -> float:
    """Buy AI dollars for ``usd`` and repay (or close); returns the USD spent."""
    d, owner = b.dollar, b.owners[i]
    got = dealer.buy_dollars(s, d.symbol, owner, usd)
    if got <= 0:
        return 0.0
    if close:
        res = s.attempt(d.symbol, d.close, b.ids[i], sender=owner)
        if res is not None:
            b.active[i] = False
    else:
        s.attempt(d.symbol, d.repay, b.ids[i], got, sender=owner)
    return usd
