"""CDP borrowers (docs/risk-spec.md §4): keep their ratio near a target, panic-close after a crash.

A borrower who attends (``p_attend`` per day) and sits below ``target - band`` tops up (buying
collateral on the external market, which moves its price) or repays (buying AI dollars on the PSM
or the pool) from a budget; one whose budget is spent deleverages with probability ``p_delever``
(withdraws what keeps the vault safe, sells it on the external market, repays); after a drop of
``panic_drop`` within ``panic_window`` some close their vault.
"""

from __future__ import annotations

from ...math import ceil_div
from ...units import RAY, WAD
from ..families.ai_dollar.build import VaultBook
from ..families.ai_dollar.state import DollarPath
from ..world import MARKET, to_wad
from . import dealer

__all__ = ["act", "deleverage", "repay", "top_up"]


def act(s: DollarPath, b: VaultBook, k: int) -> None:
    """The book's borrowers at step ``k``: top-ups, repayments, panic closes."""
    bw, vat = s.sc.agents.borrowers, b.dollar.vat
    day = s.dt / 86_400.0
    p_act = 1.0 - (1.0 - float(bw.p_attend)) ** day
    p_panic = 1.0 - (1.0 - float(bw.p_panic)) ** day
    panic_steps = max(1, round(bw.panic_window / s.dt))
    p = s.coll_price(b, k)
    n = len(b.ids)
    draws = s.rng.random(3 * n)  # one call: the same stream as three draws of ``n``
    attend = b.active & (draws[:n] < p_act)
    choice = draws[n : 2 * n]
    delever = draws[2 * n :] < float(bw.p_delever)
    rate = vat.ilks[b.ilk].rate_ray
    budget = s.budget[b.ilk]
    for i in attend.nonzero()[0].tolist():
        v = vat.vaults[b.ids[i]]
        debt = v.art_wad * rate / (WAD * RAY)
        if debt <= 0 or not v.is_open:
            continue
        ratio = v.ink_wad / WAD * p / debt
        if ratio >= b.target[i] - float(bw.band):
            continue
        spent = 0.0
        if choice[i] < float(bw.p_topup):
            usd = min(max(debt * b.target[i] - v.ink_wad / WAD * p, 0.0), budget[i])
            if usd > 1.0:
                spent = top_up(s, b, i, usd)
        elif choice[i] < float(bw.p_topup) + float(bw.p_repay):
            usd = min(max(debt - v.ink_wad / WAD * p / b.target[i], 0.0), budget[i])
            if usd > 1.0:
                spent = repay(s, b, i, usd)
        budget[i] -= spent
        if spent <= 1.0 and delever[i]:  # no budget left: sell collateral to repay instead
            # raise r with (C - r) / (D - r) = target: r = (target D - C) / (target - 1)
            need = (debt * b.target[i] - v.ink_wad / WAD * p) / max(b.target[i] - 1.0, 1e-9)
            if need > 1.0:
                deleverage(s, b, i, need)
    a = b.asset
    window_max = float(s.prices[max(0, k - panic_steps) : k + 1, a].max())
    if float(s.prices[k, a]) < (1.0 - float(bw.panic_drop)) * window_max:
        panic = b.active & (s.rng.random(n) < p_panic)
        for i in panic.nonzero()[0].tolist():
            v = vat.vaults[b.ids[i]]
            debt = ceil_div(v.art_wad * rate, RAY) / WAD
            if v.is_open and budget[i] >= debt * 1.02:
                spent = repay(s, b, i, debt * 1.02, close=True)
                budget[i] -= spent


def top_up(s: DollarPath, b: VaultBook, i: int, usd: float) -> float:
    """Buy collateral for up to ``usd`` of the borrower's stablecoin on the external market (the
    purchase moves its price; a staked derivative buys the underlying and stakes it) and deposit
    it. Returns the USD spent (0 when nothing was bought)."""
    w, owner, ledger = s.w, b.owners[i], s.w.chain.ledger
    if not w.stable:
        return 0.0
    usd = min(usd, ledger.balance_of(w.stable, owner) / 10**w.stable_decimals)
    units = s.venue.quote_buy(b.asset, usd)  # units of the priced asset (underlying)
    amount = to_wad(units)
    if amount <= 0:
        return 0.0
    s.venue.buy(b.asset, units)
    ledger.transfer(w.stable, owner, MARKET, w.stable_units(usd))
    token = w.staking[b.token].underlying if b.token in w.staking else b.token
    short = amount - ledger.balance_of(token, MARKET)
    if short > 0:  # the external market's stock is outside the chain
        ledger.mint(token, MARKET, short)
    ledger.transfer(token, MARKET, owner, amount)
    if b.token in w.staking:
        amount = s.attempt(b.dollar.symbol, w.staking[b.token].stake, amount, sender=owner) or 0
    if amount > 0:
        s.attempt(b.dollar.symbol, b.dollar.deposit, b.ids[i], amount, sender=owner)
    return usd


def deleverage(s: DollarPath, b: VaultBook, i: int, usd: float) -> float:
    """Sell collateral worth up to ``usd`` on the external market and repay with the proceeds:
    withdraw what keeps the vault safe at the engine's price (with 1% to spare), sell it (moving
    the price), buy AI dollars (PSM, then pool) and repay. Returns the USD raised."""
    w, owner, ledger, d = s.w, b.owners[i], s.w.chain.ledger, b.dollar
    v = d.vat.vaults[b.ids[i]]
    ilk = d.vat.ilks[b.ilk]
    if ilk.spot_ray <= 0 or not w.stable:
        return 0.0
    locked = v.art_wad * ilk.rate_ray * 101 // (ilk.spot_ray * 100) + 1  # ink the debt needs
    p = s.coll_price(b, s.k)
    amount = min(v.ink_wad - locked, to_wad(usd / p) if p > 0 else 0)
    if amount <= 0:
        return 0.0
    ink0 = v.ink_wad
    s.attempt(d.symbol, d.withdraw, b.ids[i], amount, sender=owner)
    if d.vat.vaults[b.ids[i]].ink_wad != ink0 - amount:
        return 0.0  # refused
    token, units = b.token, amount
    if b.token in w.staking:  # unstake the derivative, sell the underlying
        pool = w.staking[b.token]
        got = s.attempt(d.symbol, pool.unstake, amount, sender=owner)
        if not got:
            return 0.0
        token, units = pool.underlying, int(got)
    raised = s.venue.sell(b.asset, units / WAD)
    ledger.transfer(token, owner, MARKET, units)
    ledger.transfer(w.stable, MARKET, owner, w.stable_units(raised))
    got_dollars = dealer.buy_dollars(s, d.symbol, owner, raised)
    if got_dollars > 0:
        s.attempt(d.symbol, d.repay, b.ids[i], got_dollars, sender=owner)
    return raised


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
