"""Operator, borrowers and market agents of the vectorised AI-dollar model (``sim.agents`` over a batch).

* ``operate``: reporters publish the market price (oracle shocks freeze, stale or manipulate it);
  each collateral type's OSM is poked once its hop has passed (one-hop delay, 40% jump guard
  with 2% confirmation, ``max_age`` staleness); ``spot`` follows; fees drip into the buffer.
* ``borrowers`` (``sim.agents.borrowers``): the same draws per vault (attendance, choice,
  deleveraging, panic), the same rules, and the same order: a path's acting vaults trade one at
  a time in vault order (round ``j`` takes every path's ``j``-th acting vault at once), each
  top-up a venue purchase, each repayment or deleveraging its own purchase of AI dollars (PSM
  or pool, chosen against the state the previous vault left) and each deleveraging its own
  venue sale.
* ``sellers``, ``panic``, ``holders``, ``lps``: ``sim.agents.sellers``, ``pools`` and ``holders``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from .vector_dealer import buy_dollars, psm_redeem
from .vector_state import Dol, Ilk, VState, Window, path_sum, where2

__all__ = ["borrowers", "holders", "lp_shocks", "lps", "operate", "panic", "peg_price", "sellers"]

F = NDArray[np.float64]
B = NDArray[np.bool_]


def operate(s: VState, k: int) -> None:
    """Publish, poke the OSMs, refresh spot, drip (module docstring); the drip reads each
    collateral type's ``art_start``, summed by the last step's record."""
    now = s.now(k)
    for il in s.ilks:
        a = il.a
        mode = int(s.modes[k, a])
        live = s.dols[il.d].live()
        if mode == 0:
            il.feed_val, il.feed_ok = s.prices[:, k, a].copy(), True
        elif mode == 2:
            il.feed_ok = False
        elif mode == 3:
            il.feed_val, il.feed_ok = s.prices[:, k, a] * (1.0 + float(s.msize[k, a])), True
        if now >= il.zzz + il.hop and il.feed_ok:
            val = il.feed_val
            jumps = np.abs(val - il.nxt) > 0.4 * il.nxt
            confirmed = (il.held > 0) & (np.abs(val - il.held) <= 0.02 * il.held)
            hold = jumps & ~confirmed
            il.held = np.where(hold, val, 0.0)
            new_nxt = np.where(hold, il.nxt, val)
            il.cur = np.where(live, il.nxt, il.cur)
            il.nxt = np.where(live, new_nxt, il.nxt)
            il.zzz = now - now % il.hop
        valid = now - il.zzz <= il.max_age
        il.feed = il.cur * il.er[k] * (1.0 - il.haircut) if valid else np.zeros(s.P)
        il.spot = np.where(live, il.feed / il.mat, il.spot)
        old = il.rate
        il.rate = np.where(live, il.rate * il.growth, il.rate)
        s.dols[il.d].dai += il.art_start * (il.rate - old)


def borrowers(s: VState, il: Ilk, k: int, take: Callable[[int, B], Window]) -> None:
    """The book's borrowers at step ``k``; ``take(n, paths)`` hands out the paths' next ``n``
    uniforms in the exact runner's order (attend, choice, deleverage; panic only after a drop).

    Only the vaults whose attendance draw fires are touched (``p_attend`` a day is under 1% of
    the vaults a 15-minute step): their indices ``(r, c)`` (row-major, so vault order within a
    path) carry every later rule. They act one vault per path at a time in vault order
    (:func:`_rounds`), as the exact borrowers do, so each purchase meets the state the previous
    one left."""
    bw = s.sc.agents.borrowers
    d = s.dols[il.d]
    day = s.dt / 86_400.0
    p_act = 1.0 - (1.0 - float(bw.p_attend)) ** day
    p_panic = 1.0 - (1.0 - float(bw.p_panic)) ** day
    panic_steps = max(1, round(bw.panic_window / s.dt))
    p_all = s.coll_price(il, k)
    live = d.live()
    n = il.art.shape[1]
    u = take(3 * n, live)  # per vault: attend, choice, deleverage (only the first read whole)
    r, c = _hits(u, np.flatnonzero(live), n, p_act, il.active)
    keep = il.art[r, c] > 0
    r, c = r[keep], c[keep]
    if r.size:
        _attend(s, d, il, k, r, c, u.pick(r, n + c), u.pick(r, 2 * n + c), p_all[r])
    window = s.recent_high(il.a, k, panic_steps)
    crashed = s.prices[:, k, il.a] < (1.0 - float(bw.panic_drop)) * window
    crashed &= live
    if crashed.any():
        r, c = _hits(take(n, crashed), np.flatnonzero(crashed), n, p_panic, il.active)
        debt = il.art[r, c] * il.rate[r]
        pan = il.budget[r, c] >= debt * 1.02
        r, c, debt = r[pan], c[pan], debt[pan]
        for e in _rounds(r):  # each path's closes one at a time, in vault order
            re, ce = r[e], c[e]
            usd = np.minimum(debt[e] * 1.02, il.cash[re, ce])
            got = _repay(s, d, il, re, ce, usd, k, close=True)
            il.budget[re, ce] -= np.where(got > 0, debt[e] * 1.02, 0.0)


def _hits(
    u: Window, rows: NDArray[np.intp], n: int, p: float, active: B
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """The active vaults ``(r, c)`` of the paths ``rows`` whose draw (the first ``n`` of the
    window ``u``) is below ``p``, in row-major order (vault order within a path): only those
    rows are read, and the sparse hits are found through the flat indices (several times
    faster than a 2-D ``nonzero``)."""
    hit = u.block(rows, 0, n) < p
    hit &= active if rows.size == active.shape[0] else active[rows]
    r, c = where2(hit)
    return rows[r], c


def _rounds(r: NDArray[np.intp]) -> list[NDArray[np.intp]]:
    """The entries of sorted path indices ``r`` by their rank within their path: round ``j``
    holds each path's ``j``-th entry (at most one per path), so a per-vault rule applied round
    by round meets the vaults of every path in vault order."""
    if r.size == 0:
        return []
    at = np.arange(r.size)
    new = np.empty(r.size, bool)
    new[0] = True
    np.not_equal(r[1:], r[:-1], out=new[1:])
    if new.all():  # one entry per path: a single round
        return [at]
    first = np.maximum.accumulate(np.where(new, at, 0))
    rank = at - first
    order = np.argsort(rank, kind="stable")
    counts = np.bincount(rank)
    return np.split(order, np.cumsum(counts)[:-1])


def _attend(
    s: VState, d: Dol, il: Ilk, k: int, r: NDArray[np.intp], c: NDArray[np.intp], u1: F, u2: F,
    p: F,
) -> None:  # fmt: skip
    """The attending vaults ``(r, c)`` (choice draw ``u1``, deleverage draw ``u2``, collateral
    price ``p`` per entry): those below their band act one per path at a time (:func:`_vault`)."""
    bw = s.sc.agents.borrowers
    rate = il.rate[r]
    debt = il.art[r, c] * rate
    low = il.ink[r, c] * p / debt < il.target[r, c] - float(bw.band)
    r, c, u1, u2, p, debt = r[low], c[low], u1[low], u2[low], p[low], debt[low]
    for e in _rounds(r):
        _vault(s, d, il, k, r[e], c[e], u1[e], u2[e], p[e], debt[e])


def _vault(
    s: VState, d: Dol, il: Ilk, k: int, r: NDArray[np.intp], c: NDArray[np.intp], u1: F, u2: F,
    p: F, debt: F,
) -> None:  # fmt: skip
    """One vault per path (``r`` distinct; ``sim.agents.borrowers.act``'s body for one vault):
    top up, or repay; then deleverage if nothing was spent. Paths never share state, so the
    repayments and the deleveragings of vaults that tried no repayment buy their AI dollars in
    one call; a vault whose repayment bought nothing deleverages after it."""
    bw = s.sc.agents.borrowers
    ink, target, budget = il.ink[r, c], il.target[r, c], il.budget[r, c]
    pt, pr = float(bw.p_topup), float(bw.p_topup) + float(bw.p_repay)
    top = u1 < pt
    rep = ~top & (u1 < pr)
    spent = np.zeros(r.size)
    if top.any():
        usd = np.minimum(np.maximum(debt * target - ink * p, 0.0), budget)
        usd = np.where(top & (usd > 1.0), np.minimum(usd, il.cash[r, c]), 0.0)
        units = s.venue.quote_buy(il.a, usd, r)
        s.venue.buy(il.a, units, r)
        added = units / il.er[k]
        il.ink[r, c] += added
        il.flow["topup"][r] += added
        spent = np.where(units > 0, usd, 0.0)
        il.cash[r, c] -= spent
    usd = np.zeros(r.size)
    if rep.any():
        usd = np.minimum(np.maximum(debt - ink * p / target, 0.0), budget)
        usd = np.where(rep & (usd > 1.0), np.minimum(usd, il.cash[r, c]), 0.0)
    tries = usd > 0
    delever = u2 < float(bw.p_delever)
    raised = _sell(s, il, k, r, c, p, debt, target, ~tries & (spent <= 1.0) & delever)
    got = _repay(s, d, il, r, c, np.where(tries, usd, raised), k)
    spent = np.where(tries & (got > 0), usd, spent)
    il.budget[r, c] -= spent
    late = tries & (got <= 0) & delever  # the repayment bought nothing: deleverage instead
    if late.any():
        r, c = r[late], c[late]
        raised = _sell(s, il, k, r, c, p[late], debt[late], target[late], np.ones(r.size, bool))
        _repay(s, d, il, r, c, raised, k)


def _sell(
    s: VState, il: Ilk, k: int, r: NDArray[np.intp], c: NDArray[np.intp], p: F, debt: F, target: F,
    on: B,
) -> F:  # fmt: skip
    """Deleveraging (``borrowers.deleverage``) of the entries ``on`` (one per path): withdraw
    what keeps the vault safe at the engine's price with 1% to spare, at most what restores the
    target, and sell it on the venue; the USD raised per entry (0 elsewhere) lands in the cash."""
    raised = np.zeros(r.size)
    if not on.any():
        return raised
    ink = il.ink[r, c]
    need = (debt * target - ink * p) / np.maximum(target - 1.0, 1e-9)
    spot = il.spot[r]
    with np.errstate(divide="ignore", invalid="ignore"):
        locked = np.where(spot > 0, il.art[r, c] * il.rate[r] * 1.01 / spot, np.inf)
        amount = np.minimum(ink - locked, np.where(p > 0, need / p, 0.0))
    amount = np.where(on & (need > 1.0) & (spot > 0) & (amount > 0), amount, 0.0)
    if not (amount > 0).any():
        return raised
    il.ink[r, c] -= amount
    il.flow["out"][r] += amount
    raised = s.venue.sell(il.a, amount * il.er[k], r)
    il.cash[r, c] += raised
    return raised


def _repay(
    s: VState, d: Dol, il: Ilk, r: NDArray[np.intp], c: NDArray[np.intp], usd: F, k: int,
    close: bool = False,
) -> F:  # fmt: skip
    """One vault per path (``r`` distinct) buys AI dollars for ``usd`` (``dealer.buy_dollars``:
    PSM or pool, paying what that purchase takes) and repays (a repayment that would leave dust
    is refused) or closes, returning the collateral; returns each entry's AI dollars."""
    got = np.zeros(r.size)
    buy = np.flatnonzero(usd > 0)
    if buy.size == 0:
        return got
    r, c = r[buy], c[buy]
    got[buy], paid = buy_dollars(s, d, usd[buy], k, r)
    il.cash[r, c] -= paid
    g = got[buy]
    rate = il.rate[r]
    debt = il.art[r, c] * rate
    if close:
        done = (g >= debt * (1 - 1e-9)) & (debt > 0)
        rd, cd = r[done], c[done]
        il.flow["out"] += path_sum(rd, il.ink[rd, cd], s.P)
        il.art[rd, cd] = 0.0
        il.ink[rd, cd] = 0.0
        il.active[rd, cd] = False
        return got
    pay = np.minimum(g, debt)
    left = debt - pay
    pay = np.where((left > 0) & (left < il.dust), 0.0, pay)  # a dusty vault is refused
    il.art[r, c] -= pay / rate
    return got


def sellers(s: VState, k: int) -> None:
    """Treasuries whose token trades more than ``trigger`` below its high sell ``rate`` per hour."""
    p = s.sc.agents.sellers
    share = min(1.0, float(p.rate) * s.dt_h)
    for i, inv in s.treasury.items():
        s.highs[i] = np.maximum(s.highs[i], s.prices[:, k, i])
        trig = s.venue.price(i) < (1.0 - float(p.trigger)) * s.highs[i]
        units = np.where(trig, inv * share, 0.0)
        if (units > 0).any():
            s.treasury_sold += s.venue.sell(i, units)
            inv -= units


def peg_price(s: VState, d: Dol) -> F:
    """The peg pool's marginal price of the AI dollar in the reference stablecoin, after fee."""
    pool = d.peg_pool
    if pool is None or s.stable is None:
        return np.ones(s.P)
    return pool.price(pool.index(d.sym), pool.index(s.stable))


def lp_shocks(s: VState, d: Dol, k: int) -> None:
    """Scheduled LP withdrawals and pool-depth shocks on the peg pool."""
    pool = d.peg_pool
    if pool is None:
        return
    target = float(s.pool_factor[k])
    for sh in s.sc.shocks:
        if sh.kind == "lp-withdraw" and (not sh.pools or pool.id in sh.pools):
            dur = sh.duration or (s.sc.horizon - sh.at) or s.dt
            start, stop = s.sc.step_of(sh.at), s.sc.step_of(sh.at + dur)
            if k > start:
                target *= 1.0 - float(sh.fraction) * min(1.0, (k - start) / max(stop - start, 1))
    want = s.lp0[pool.id] * target
    held = s.lp_held[pool.id]
    out = np.where((held > want) & (target < 1.0), held - want, 0.0)
    if (out > 0).any():
        s.lp_coins[pool.id] += pool.remove(out)
        s.lp_held[pool.id] = held - out


def panic(s: VState, d: Dol, k: int) -> None:
    """Before arbitrage: LP shocks, then panic sellers dump into the peg pool below their trigger."""
    pool = d.peg_pool
    if pool is None:
        return
    lp_shocks(s, d, k)
    ps = s.sc.agents.panic_sellers
    if not ps.enabled:
        return
    below = peg_price(s, d) < float(ps.trigger_price)
    amount = np.where(below, d.holders * min(1.0, float(ps.sell_rate) * s.dt_h), 0.0)
    if (amount > 0).any():
        assert s.stable is not None
        d.holders -= amount
        pool.swap(pool.index(d.sym), pool.index(s.stable), amount)


def holders(s: VState, d: Dol, k: int, signals: tuple[F, F, F, B]) -> None:
    """The cohorts whose threshold a signal crossed exit ``rate`` of their t0 holding this step:
    redeem at the PSM, sell the rest on the peg pool."""
    h = s.sc.agents.holders
    if not h.enabled:
        return
    peg, unbacked, uncovered, advised = signals
    n = d.cohorts.shape[1]
    q = (np.arange(n) + 0.5) / n
    p_lo, p_hi = float(h.peg[0]), float(h.peg[1])
    u_lo, u_hi = float(h.unbacked[0]), float(h.unbacked[1])
    c_lo, c_hi = float(h.uncovered[0]), float(h.uncovered[1])
    run = (
        (
            (peg[:, None] < p_hi - q * (p_hi - p_lo))
            | (unbacked[:, None] > u_lo + q * (u_hi - u_lo))
            | (uncovered[:, None] > c_lo + q * (c_hi - c_lo))
            | (advised & bool(h.on_shutdown))[:, None]
        )
        & (d.cohorts > 0)
        & d.live()[:, None]
    )
    if not run.any():
        return
    out = np.where(run, np.minimum(d.cohorts, d.cohort_step[:, None]), 0.0)
    d.cohorts -= out
    want = np.minimum(out.sum(axis=1), d.holders)
    gem, paid = psm_redeem(s, d, want, k)
    d.holders -= paid
    rest = want - paid
    got = gem
    pool = d.peg_pool
    if pool is not None and s.stable is not None:
        sell = np.where(rest >= 1.0, rest, 0.0)
        d.holders -= sell
        got = got + pool.swap(pool.index(d.sym), pool.index(s.stable), sell)
    d.run[:, k] += got


def lps(s: VState, d: Dol, k: int) -> None:
    """After arbitrage: LPs leave a stressed peg pool (keeping ``LP_FLOOR``) and return after calm."""
    pool = d.peg_pool
    if pool is None:
        return
    lp = s.sc.agents.lps
    price = peg_price(s, d)
    below = price < float(lp.trigger_price)
    d.below_since = np.where(below, np.where(d.below_since < 0, k, d.below_since), -1)
    share = pool.bal[:, pool.index(d.sym)] / np.maximum(pool.bal.sum(axis=1), 1e-300)
    imb = float(lp.imbalance)
    stressed = ((d.below_since >= 0) & ((k - d.below_since) * s.dt >= lp.trigger_duration)) | ~(
        (1 - imb <= share) & (share <= imb)
    )
    held = s.lp_held[pool.id]
    floor = s.lp0[pool.id] * 0.05  # sim.agents.pools.LP_FLOOR
    out = np.where(
        stressed,
        np.minimum(
            held * min(1.0, float(lp.withdraw_rate) * s.dt_h), np.maximum(held - floor, 0.0)
        ),
        0.0,
    )
    if (out > 0).any():
        s.lp_coins[pool.id] += pool.remove(out)
        s.lp_held[pool.id] = held - out
        rows = np.flatnonzero(out > 0)
        d.lp_stack[rows, d.lp_top[rows]] = out[rows]
        d.lp_top[rows] += 1
    d.calm_since = np.where(stressed, k, d.calm_since)
    back = ~stressed & ((k - d.calm_since) * s.dt >= lp.calm_return) & (d.lp_top > 0)
    if back.any():
        rows = np.flatnonzero(back)
        d.lp_top[rows] -= 1
        returning = np.zeros(s.P)
        returning[rows] = d.lp_stack[rows, d.lp_top[rows]]
        amounts = np.minimum(
            s.lp_coins[pool.id], pool.bal * (returning / np.maximum(pool.supply, 1e-300))[:, None]
        )
        amounts = np.where((amounts.min(axis=1) > 0)[:, None], amounts, 0.0)
        s.lp_coins[pool.id] -= amounts
        s.lp_held[pool.id] = s.lp_held[pool.id] + pool.add(amounts)
