"""Keepers of Dutch auctions (docs/risk-spec.md §4): bark, restart, and take at the curve's crossing.

Keepers (after their latency, minus those who drop out when gas spikes) bark every vault unsafe
for long enough, restart stale auctions, and take each auction at the second its integer price
curve crosses their bid (``exit_bid (1 - margin) - gas / lot``). The take's callback sells the
slice to the external market and buys the AI dollars owed (``dealer``), inside the take's atomic
transaction. Sale proceeds return to the keeper's capital after ``recycle``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ...errors import LimitExceeded
from ...math import ceil_div
from ...protocols.cdp.clip import auction_price
from ...units import RAY, WAD
from ..families.ai_dollar.build import VaultBook
from ..families.ai_dollar.state import DollarPath
from ..world import MARKET, to_wad
from . import dealer, english

__all__ = ["act", "crossing", "flash_sale", "settle_closed", "take"]


def act(s: DollarPath, b: VaultBook, k: int) -> None:
    kp, d, sym = s.sc.agents.keepers, b.dollar, b.dollar.symbol
    st = s.stats[sym]
    n_k = len(b.latencies)
    if n_k == 0:
        return
    draws = s.rng.random(n_k)  # drawn every step: the path's random stream does not depend on gas
    share = 1.0  # keepers drop out only while gas spikes
    if s.cond.gas[k] > float(kp.dropout_gas):
        share = float(n_k - np.count_nonzero(draws < float(kp.dropout_prob))) / n_k
    min_lat = b.min_latency * s.cond.lat_factor[k]
    released = b.release.pop(k, 0.0)
    if released:
        s.capital_free[b.ilk] += released
        dealer.otc_buy(s, sym, b.keeper, released)  # sale proceeds back into AI dollars
    avail = s.capital_free[b.ilk] * share * s.cond.cap_factor[k]
    vat = d.vat
    ilk = vat.ilks[b.ilk]
    p = s.coll_price(b, k)
    # barks: every vault unsafe for at least the keepers' latency, in book order
    if ilk.spot_ray > 0 and share > 0:
        rate, spot = ilk.rate_ray, ilk.spot_ray
        vaults, ids, since_of = vat.vaults, b.ids, b.unsafe_since
        # a bark moves only its own vault, so which vaults are unsafe is known before the first
        order = b.active.nonzero()[0].tolist()
        of = s.vault_of[b.ilk]
        unsafe = [i for i in order if (u := of[i]).art_wad * rate > u.ink_wad * spot]
        stop = len(ids)  # the position of a refused bark: the vaults after it wait a step
        for i in unsafe:
            vid = ids[i]
            v = vaults[vid]
            since = since_of.setdefault(vid, k)
            if k - since < min_lat:
                continue
            art0, ink0 = v.art_wad, v.ink_wad
            aid = s.attempt(sym, d.bark, vid, b.keeper, sender=b.keeper)
            if aid is None:
                stop = i
                break  # liquidation limit reached (or price gone): try next step
            due = (art0 - v.art_wad) * rate / (WAD * RAY)
            lot = (ink0 - v.ink_wad) / WAD
            st["barks"] += 1
            st["liquidated"] += lot * p
            s.liq_step[s.sym.index(sym), k] += lot * p
            s.open[(b.ilk, aid)] = {"kick": k, "due": due, "given": 0.0}
            if v.art_wad == 0:
                b.active[i] = False
                since_of.pop(vid, None)
        if since_of:  # the vaults visited safe (those before a refused bark) leave the watch
            # visited: active when ``order`` was read; only a vault that left the watch above
            # was deactivated since, so ``b.active`` still tells the others (no set of ``order``)
            active, still = b.active, set(unsafe)
            for vid in list(since_of):
                i = b.index[vid]
                if i < stop and active[i] and i not in still:
                    del since_of[vid]
    if b.ilk in d.flippers:
        english.act(s, b, k, share, avail)
        return
    # restarts now; takes at the second the curve crosses each keeper's bid (this step)
    clip = d.clippers[b.ilk]
    s.ctx[b.ilk] = (share, k)
    pay = dealer.payable(s, sym, b.keeper) / WAD if clip.sales else 0.0
    s.pay[b.ilk] = pay
    if pay < 1.0:
        avail = 0.0  # no AI dollars to bid with: only restarts
    for aid in clip.active():
        status = clip.status(aid)
        if status.needs_redo:
            if share > 0:
                s.attempt(sym, d.redo, b.ilk, aid, b.keeper, sender=b.keeper)
            continue
        if avail <= 0:
            continue
        when = crossing(s, b, clip, aid, k)
        if when is not None:
            s.pending.append((when, b.ilk, aid))


def crossing(s: DollarPath, b: VaultBook, clip: Any, aid: int, k: int) -> int | None:
    """First time in [now, next step) when the auction price is at most the keeper's bid."""
    sale = clip.sales[aid]
    thr = s.threshold(b, sale.lot_wad / WAD, k)
    if thr <= 0:
        return None
    thr_ray = int(thr * 1e27)
    prm = clip.params
    now = s.w.chain.now
    end = s.t_step(k) + s.dt
    grain = prm.step_s if prm.calc == "stairstep" else max(1, s.dt // 120)
    age = now - sale.tic
    if prm.calc == "stairstep" and sale.top_ray > thr_ray and prm.cut_ray < RAY:
        # jump near the crossing: steps n with top * cut^n <= thr; the exact curve decides below
        n_est = math.log(thr_ray / sale.top_ray) / math.log(prm.cut_ray / RAY)
        age = max(age, (max(int(n_est) - 1, 0)) * grain)
    while True:
        price = auction_price(prm, sale.top_ray, age)
        if age > prm.tail_s or price == 0 or price * RAY < prm.cusp_ray * sale.top_ray:
            return None  # the auction needs a restart before any keeper would bid
        if price <= thr_ray:
            return int(sale.tic + age)
        nxt = (age // grain + 1) * grain
        if sale.tic + nxt >= end:
            return None
        age = nxt


def take(s: DollarPath, ilk: str, aid: int) -> str:
    """A keeper takes auction ``aid`` now, as much as its capital allows.

    Returns ``"later"`` when the price is still above the keeper's bid (which an earlier sale
    this step may have lowered), else ``"done"``.
    """
    b = s.book[ilk]
    d, sym = b.dollar, b.dollar.symbol
    share, k = s.ctx[ilk]
    if ilk in s.short:
        return "done"
    clip = d.clippers[ilk]
    if aid not in clip.sales:
        return "done"
    status = clip.status(aid)
    avail = s.capital_free[ilk] * share * s.cond.cap_factor[k]
    if status.needs_redo or status.price_ray == 0 or avail <= 0:
        return "done"
    lot, price = status.lot_wad / WAD, status.price_ray / RAY
    if price > s.threshold(b, lot, k):
        return "later"
    payable = s.pay.get(ilk, 0.0) * 0.995
    amount = min(status.lot_wad, to_wad(min(avail, payable) / price))
    if amount <= 0:
        return "done"
    p = s.coll_price(b, k)
    ctx = {
        "p": p,
        "depth": s.depth(b, k),
        "sold": s.sold.get(ilk, 0.0),
        "proceeds": 0.0,
        "spent": 0.0,
    }
    res = s.attempt(
        sym,
        d.take,
        ilk,
        aid,
        amount,
        status.price_ray,
        b.keeper,
        flash_sale(s, b, sym, ctx),
        None,
        sender=b.keeper,
    )
    if res is None:
        s.short.add(ilk)  # out of buying power for this step
        return "done"
    slice_wad, owe_rad = res
    owe = owe_rad / (WAD * RAY)
    st = s.stats[sym]
    kp = s.sc.agents.keepers
    s.sold[ilk] = s.sold.get(ilk, 0.0) + slice_wad / WAD
    s.pay[ilk] = s.pay.get(ilk, 0.0) - owe
    s.capital_free[ilk] -= owe
    due = k + s.recycle_steps
    b.release[due] = b.release.get(due, 0.0) + ctx["proceeds"]
    st["keeper"] += ctx["proceeds"] - owe - float(kp.gas_usd) * float(s.cond.gas[k])
    st["proceeds"] += owe
    st["take_value"] += slice_wad / WAD * p
    s.open[(ilk, aid)]["given"] += slice_wad / WAD * p
    return "done"


def settle_closed(s: DollarPath, k: int) -> None:
    """Book auctions that closed this step (fully sold, or covered with the rest returned)."""
    for key in list(s.open):
        ilk, aid = key
        b = s.book[ilk]
        house = (
            b.dollar.flippers[ilk].bids
            if ilk in b.dollar.flippers
            else b.dollar.clippers[ilk].sales
        )
        if aid in house:
            continue
        info = s.open.pop(key)
        st = s.stats[b.dollar.symbol]
        st["given"] += info["given"]
        st["cleared_due"] += info["due"]
        st["clear_time"] += (k - info["kick"]) * s.dt
        st["closed"] += 1


def flash_sale(s: DollarPath, b: VaultBook, sym: str, ctx: dict[str, float]) -> Any:
    """The take callback: sell the slice on the external market, buy the AI dollars owed."""
    w, ledger = s.w, s.w.chain.ledger

    def callback(sender: str, owe_rad: int, slice_wad: int, data: Any) -> None:
        units = slice_wad / WAD
        proceeds = s.sell_collateral(b, units, s.k, ctx["sold"])
        ledger.transfer(b.token, sender, MARKET, slice_wad)
        if w.stable:
            ledger.transfer(w.stable, MARKET, sender, s.w.stable_units(proceeds))
        ctx["proceeds"] = proceeds
        need = ceil_div(owe_rad, RAY) - ledger.balance_of(sym, sender)
        if need > 0:
            before = ledger.balance_of(w.stable, sender) if w.stable else 0
            dealer.buy_exact(s, sym, sender, need)
            spent = before - (ledger.balance_of(w.stable, sender) if w.stable else 0)
            ctx["spent"] = spent / 10**w.stable_decimals
            if ledger.balance_of(sym, sender) < need:
                raise LimitExceeded(
                    "sim/keeper-short", "keeper could not buy the AI dollars it owes"
                )

    return callback
