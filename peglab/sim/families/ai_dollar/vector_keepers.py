"""Keepers of the vectorised AI-dollar model: barks, Dutch takes, English bids (``sim.agents.keepers``,
``english``) over a batch.

* Barks: every vault unsafe (``art rate > ink spot``) for at least the fastest present keeper's
  latency, in vault order, within the collateral type's ``hole``: a cumulative sum of the tabs
  over the vault axis finds the vaults that fit and the one partial liquidation (with the dust
  rule) where the room runs out. The keeper receives ``tip + chip tab``; the buffer books the
  debt (queued) and the incentive.
* Dutch auctions (stair-step, linear or exponential curve; ``tail``/``cusp`` restarts): each
  keeper bid is ``venue sale price of the lot x (1 - margin) - gas / lot``; within a step the
  takes run in rounds, each round taking on every path the open auction whose curve crosses its
  bid first (the exact runner's time order), then re-pricing the rest at the venue the take
  moved. A take buys the AI dollars it owes (PSM, then pool within the price cap) and sells
  the slice on the venue; a keeper who cannot buy them is refused for the rest of the step.
* English auctions: deal, tick, the keeper tends up to the tab and dents the lot down to what
  covers it at its price; an opportunist bids 1 wei where nobody bid (the "zero bid").
"""

from __future__ import annotations

import math
import weakref

import numpy as np
from numpy.typing import NDArray

from .vector_dealer import buy_exact, payable
from .vector_state import Dol, Ilk, VState, otc_buy, path_sum, where2

__all__ = ["keepers", "unit_bid"]

F = NDArray[np.float64]
B = NDArray[np.bool_]
WEI = 1e-27  # one rad unit of internal AI dollar (the zero bid)
BLOCK_BYTES = 128 * 1024  # the safety test's products a block of rows at a time (cache-sized)
# scratch arrays of the barks' safety test, per collateral type (dropped with its state)
_SCRATCH: weakref.WeakKeyDictionary[Ilk, tuple[F, F, B]] = weakref.WeakKeyDictionary()


def _curve(il: Ilk, top: F, age: F) -> F:
    if il.calc == "linear":
        return np.asarray(top * np.maximum(0.0, (il.tau - age) / il.tau), dtype=np.float64)
    if il.calc == "exponential":
        return np.asarray(top * il.cut**age, dtype=np.float64)
    return np.asarray(top * il.cut ** np.floor(age / il.step_s), dtype=np.float64)


def _needs_redo(il: Ilk, top: F, age: F) -> B:
    price = _curve(il, top, age)
    return np.asarray((age > il.tail) | (price <= 0) | (price < il.cusp * top))


def _crossing(il: Ilk, top: F, thr: F, age0: F, window: float, grain: float) -> tuple[F, F]:
    """``(age, price)`` of the first point at or after ``age0`` (within ``window``) where the
    curve is at or below ``thr`` before it needs a restart; ``inf`` age where there is none."""
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where((thr > 0) & (top > 0), thr / top, 0.0)
        if il.calc == "linear":
            a = il.tau * (1.0 - r)
        else:
            n = np.log(r) / math.log(il.cut) if il.cut < 1 else np.where(r >= 1, 0.0, np.inf)
            a = np.ceil(n - 1e-9) * il.step_s if il.calc == "stairstep" else n
    a = np.where(r >= 1.0, 0.0, a)
    a = np.maximum(a, age0)
    if il.calc != "stairstep":
        a = age0 + np.ceil(np.maximum(a - age0, 0.0) / grain) * grain
    a = np.where(thr > 0, a, np.inf)
    price = _curve(il, top, np.where(np.isfinite(a), a, 0.0))
    bad = (
        ~np.isfinite(a)
        | (a >= age0 + window)
        | _needs_redo(il, top, np.where(np.isfinite(a), a, 0.0))
    )
    return np.where(bad, np.inf, a), np.where(bad, 0.0, price)


def unit_bid(
    s: VState, il: Ilk, lot: F, k: int, sold: F, rows: NDArray[np.intp] | None = None
) -> F:
    """What one unit of a ``lot`` fetches on the venue now: ``lot`` is ``(P, V)`` (``rows``
    None) or flat with each entry's path in ``rows``."""

    def per(v: F) -> F:
        return v[:, None] if rows is None else v[rows]

    p = per(s.coll_price(il, k))
    if not s.venue.transient:
        v = per(s.venue.depth(il.a))
        with np.errstate(divide="ignore", invalid="ignore"):
            imp = s.venue.eta * (np.maximum(per(sold) + lot, 0.0) * p / v) ** s.venue.delta
        return np.asarray(p * np.clip(1.0 - imp, 0.0, 1.0), dtype=np.float64)
    ven = s.venue
    f = per(ven.f[:, k, il.a])
    kk = per(ven.k_of(il.a))
    pm = f * per(np.exp(-ven.impact[:, il.a]))
    x = f * lot * il.er[k]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        usd = np.where(kk > 0, pm * -np.expm1(-kk * x) / (kk * f), x * pm / f)
        return np.asarray(np.where(lot > 0, usd / lot, p), dtype=np.float64)


def _sell(s: VState, il: Ilk, units: F, k: int, sold: F) -> F:
    """Sell ``units`` of the collateral per path; USD proceeds."""
    if not s.venue.transient:
        p = s.coll_price(il, k)
        return np.asarray(units * s.venue.exit_bid(il.a, sold + units, p), dtype=np.float64)
    return s.venue.sell(il.a, units * il.er[k])


def _sell_at(s: VState, il: Ilk, r: NDArray[np.intp], units: F, k: int, sold: F) -> F:
    """:func:`_sell` of ``units`` on the distinct paths ``r``: the proceeds per entry (a
    transient venue trades and quotes those paths only)."""
    if s.venue.transient:
        return s.venue.sell(il.a, units * il.er[k], r)
    full = np.zeros(s.P)
    full[r] = units
    return _sell(s, il, full, k, sold)[r]


def _close(s: VState, il: Ilk, d: Dol, r: NDArray[np.intp], c: NDArray[np.intp], k: int) -> None:
    """End the auctions at ``(r, c)`` (each entry once): stats, the lot back to the vault's owner."""
    if r.size == 0:
        return
    st = d.stats
    P = s.P
    st["given"] += path_sum(r, il.given[r, c], P)
    st["cleared_due"] += path_sum(r, il.due[r, c], P)
    st["clear_time"] += path_sum(r, ((k - il.kick[r, c]) * s.dt).astype(np.float64), P)
    st["closed"] += np.bincount(r, minlength=P)
    il.flow["back"] += path_sum(r, il.lot[r, c], P)
    il.on[r, c] = False
    il.tab[r, c] = 0.0
    il.lot[r, c] = 0.0


def keepers(s: VState, il: Ilk, k: int, u_drop: F) -> None:
    """The keepers of ``il`` at step ``k`` (module docstring); ``u_drop``: ``(P, n_keepers)``."""
    kp, d = s.sc.agents.keepers, s.dols[il.d]
    n_k = il.lat.shape[1]
    if n_k == 0:
        return
    live = d.live()
    dropped = (s.gas[:, k] > float(kp.dropout_gas))[:, None] & (u_drop < float(kp.dropout_prob))
    share = (~dropped).sum(axis=1) / n_k
    min_lat = il.lat.min(axis=1) * float(s.lat_factor[k])
    rel = np.where(live, il.release[:, k], 0.0)
    if (rel > 0).any():
        il.free += rel
        otc_buy(d, il, rel)
    _bark(s, il, d, k, share, min_lat, live)
    avail = il.free * share * float(s.cap_factor[k])
    if il.english:
        _english(s, il, d, k, share, np.where(live, avail, 0.0))
        return
    if not il.on.any():
        return
    now = s.now(k)
    on_r, on_c = where2(il.on)  # the open auctions (row-major)
    keep = ((share > 0) & live & (il.feed > 0))[on_r]
    rr, rc = on_r[keep], on_c[keep]
    redo = _needs_redo(il, il.top[rr, rc], now - il.tic[rr, rc])
    if redo.any():
        rr, rc = rr[redo], rc[redo]
        il.top[rr, rc] = (il.feed * il.buf)[rr]
        il.tic[rr, rc] = float(now)
        chost = il.dust * il.chop
        tab, lot = il.tab[rr, rc], il.lot[rr, rc]
        incentive = (tab >= chost) & (lot * il.feed[rr] >= chost)
        coin = path_sum(rr, np.where(incentive, il.tip + il.chip * tab, 0.0), s.P)
        d.sin += coin
        il.kdol += coin
    has_sales = np.zeros(s.P, bool)
    has_sales[on_r] = True
    pay = np.zeros(s.P)
    rows = np.flatnonzero(has_sales & live)
    pay[rows] = payable(s, d, il.kdol[rows], il.kcash[rows], k, rows)
    avail = np.where(pay < 1.0, 0.0, avail)
    can = (live & (avail > 0))[on_r]
    _takes(s, il, d, k, share, pay, on_r[can], on_c[can])


def _unsafe(il: Ilk) -> B:
    """The active vaults with ``art rate > ink spot`` (a ``(P, V)`` mask kept per collateral
    type in :data:`_SCRATCH`, valid until the next call). The products are formed a block of
    :data:`BLOCK_BYTES` at a time in two small buffers, so they stay in the cache instead of
    passing through memory as two ``(P, V)`` temporaries (fresh ones would also cost about as
    much again in page faults); elementwise, the same operations."""
    p, v = il.art.shape
    rows = max(1, BLOCK_BYTES // (8 * max(v, 1)))
    buf = _SCRATCH.get(il)
    if buf is None or buf[2].shape != il.art.shape:
        buf = (np.empty((rows, v)), np.empty((rows, v)), np.empty((p, v), bool))
        _SCRATCH[il] = buf
    debt, value, unsafe = buf
    rate, spot = il.rate[:, None], il.spot[:, None]
    for a in range(0, p, rows):
        b = min(a + rows, p)
        n = b - a
        np.multiply(il.art[a:b], rate[a:b], out=debt[:n])
        np.multiply(il.ink[a:b], spot[a:b], out=value[:n])
        np.greater(debt[:n], value[:n], out=unsafe[a:b])
    unsafe &= il.active
    return unsafe


def _bark(s: VState, il: Ilk, d: Dol, k: int, share: F, min_lat: F, live: B) -> None:
    rate = il.rate
    unsafe = _unsafe(il)
    since = il.unsafe_since
    # the vaults safe again forget when they became unsafe: only those of the last call can
    # (``il.unsafe_at``), so the reset is sparse where a mask over every vault was not
    flat = since.reshape(-1)
    was = il.unsafe_at
    flat[was[~unsafe.reshape(-1)[was]]] = -1
    at = np.flatnonzero(unsafe)
    r, c = np.divmod(at, unsafe.shape[1])  # ``where2``, with the flat indices kept
    il.unsafe_at = at
    s_rc = since[r, c]
    s_rc = np.where(s_rc < 0, k, s_rc)
    since[r, c] = s_rc
    ok = (il.spot > 0) & (share > 0) & live
    go_rc = (k - s_rc >= min_lat[r]) & ok[r] & ~il.on[r, c]
    if not go_rc.any():
        return
    r, c = r[go_rc], c[go_rc]
    # the room within ``hole`` runs out along the vaults in order: a cumulative sum per path, on
    # the paths with a ready vault only (``i``: each entry's path among them) and up to the last
    # ready vault (a row's sums depend on nothing else)
    paths, i = np.unique(r, return_inverse=True)
    width = int(c.max()) + 1
    ready = np.zeros((paths.size, width), bool)
    ready[i, c] = True
    rate_p = rate[paths, None]
    cum_p = np.cumsum(np.where(ready, il.art[paths, :width] * rate_p * il.chop, 0.0), axis=1)
    rate_r = rate[r]
    art = il.art[r, c]
    tab_full = art * rate_r * il.chop
    cum = cum_p[i, c]
    room = (il.hole - il.tab[paths].sum(axis=1))[i]
    full = cum <= room
    over = (cum > room) & (cum - tab_full <= room) & (room > 0)
    left = room - (cum - tab_full)
    dart = np.where(over, left / (rate_r * il.chop), art)
    dust_full = over & ((art - dart) * rate_r < il.dust)
    refused = over & ~dust_full & (dart * rate_r < il.dust)
    go = full | (over & ~refused)
    dart = np.where(full | dust_full, art, dart)
    r, c, dart, art, rate_r = r[go], c[go], dart[go], art[go], rate_r[go]
    if r.size == 0:
        return
    ink = il.ink[r, c]
    with np.errstate(divide="ignore", invalid="ignore"):
        lot = np.where(dart >= art, ink, ink * dart / art)
    due = dart * rate_r
    tab = due * il.chop
    il.art[r, c] = art - dart
    il.ink[r, c] = ink - lot
    P = s.P
    il.flow["barked"] += path_sum(r, lot, P)
    now = float(s.now(k))
    il.on[r, c] = True
    il.tab[r, c] = tab
    il.lot[r, c] = lot
    il.top[r, c] = (il.feed * il.buf)[r]
    il.tic[r, c] = now
    il.kick[r, c] = k
    il.due[r, c] = due
    il.given[r, c] = 0.0
    il.bid[r, c] = 0.0
    il.guy[r, c] = 0
    il.btic[r, c] = 0.0
    il.end[r, c] = now + il.flip_tau
    coin = path_sum(r, il.tip + il.chip * tab, P)
    debt = path_sum(r, due, P)
    d.sin += debt + coin
    d.queue[:, k] += debt
    d.queued += debt
    il.kdol += coin
    p = s.coll_price(il, k)
    value = path_sum(r, lot, P) * p
    d.stats["barks"] += np.bincount(r, minlength=P)
    d.stats["liquidated"] += value
    d.liq_step[:, k] += value
    emptied = il.art[r, c] <= 0
    il.active[r[emptied], c[emptied]] = False
    il.unsafe_since[r[emptied], c[emptied]] = -1


def _takes(
    s: VState,
    il: Ilk,
    d: Dol,
    k: int,
    share: F,
    pay: F,
    cr_all: NDArray[np.intp],
    cc_all: NDArray[np.intp],
) -> None:
    """The takes of step ``k`` from the open auctions ``(cr_all, cc_all)`` the keepers may take
    (row-major: vault order within a path). Each is tried at most once, and a path drops out
    once a keeper is short of AI dollars. A round works on its takers' paths ``r`` only; the
    venue sale and the purchase of AI dollars see full-batch vectors (0 off ``r``)."""
    kp = s.sc.agents.keepers
    margin = float(kp.margin)
    gas_usd = float(kp.gas_usd) * s.gas[:, k]
    recycle = max(1, round(kp.recycle / s.dt))
    due_k = min(k + recycle, s.n + 1)
    now = s.now(k)
    grain = float(il.step_s if il.calc == "stairstep" else max(1, s.dt // 120))
    cap = float(s.cap_factor[k])
    p_all = s.coll_price(il, k)
    P = s.P
    short = np.zeros(P, bool)
    sold = np.zeros(P)
    chost = il.dust * il.chop
    st = d.stats
    untried = np.ones(cr_all.size, bool)
    for _ in range(il.on.shape[1]):
        sel = np.flatnonzero(untried & ~short[cr_all])
        if sel.size == 0:
            return
        cr, cc = cr_all[sel], cc_all[sel]
        lot = il.lot[cr, cc]
        unit = unit_bid(s, il, lot, k, sold, cr)
        with np.errstate(divide="ignore", invalid="ignore"):
            thr = unit * (1.0 - margin) - gas_usd[cr] / np.maximum(lot, 1e-18)
        tic = il.tic[cr, cc]
        at, price = _crossing(il, il.top[cr, cc], thr, now - tic, float(s.dt), grain)
        # per path the auction whose curve crosses first (ties: the lower vault)
        order = np.lexsort((tic + at, cr))
        first = order[np.r_[True, cr[order][1:] != cr[order][:-1]]]
        first = first[np.isfinite(at[first])]
        if first.size == 0:
            return
        untried[sel[first]] = False
        r, j, price_j = cr[first], cc[first], price[first]  # distinct paths, ascending
        lot_j, tab_j = il.lot[r, j], il.tab[r, j]
        avail = il.free[r] * share[r] * cap
        with np.errstate(divide="ignore", invalid="ignore"):
            amount = np.minimum(lot_j, np.minimum(avail, pay[r] * 0.995) / price_j)
            amount = np.where(np.isfinite(amount) & (amount > 0), amount, 0.0)
            owe = amount * price_j
            over = owe >= tab_j
            owe = np.where(over, tab_j, owe)
            slc = np.where(over, tab_j / price_j, amount)
            part = ~over & (slc < lot_j) & (tab_j - owe < chost)
            owe = np.where(part, tab_j - chost, owe)
            slc = np.where(part, owe / price_j, slc)
        go = (amount > 0) & ~(part & (tab_j <= chost))
        slc = np.where(go, np.minimum(slc, lot_j), 0.0)
        owe = np.where(go, owe, 0.0)
        # the sale is inside the take; the venue keeps it if the take is refused
        proceeds = _sell_at(s, il, r, slc, k, sold)
        need = np.maximum(owe - il.kdol[r], 0.0)
        got, spent = np.zeros(r.size), np.zeros(r.size)
        done = go
        if (go & (need > 0)).any():  # else nothing is bought: every take is met as it is
            owe_all, commit = np.zeros(P), np.zeros(P)
            owe_all[r] = owe
            commit[r] = go
            need_all = np.maximum(owe_all - il.kdol, 0.0)
            cash = il.kcash.copy()
            cash[r] = il.kcash[r] + proceeds
            bought = buy_exact(s, d, need_all, cash, k, commit)
            got, spent, met = (x[r] for x in bought)
            done = go & ((need <= 0) | (met > 0))
        short[r] |= go & ~done
        owe = np.where(done, owe, 0.0)
        slc = np.where(done, slc, 0.0)
        proceeds = np.where(done, proceeds, 0.0)
        sold[r] += slc
        il.flow["sold"][r] += slc
        il.kcash[r] += proceeds - spent
        il.kdol[r] += got - owe
        d.dai[r] += owe
        pay[r] -= owe
        il.free[r] -= owe
        il.release[r, due_k] += proceeds
        p = p_all[r]
        st["keeper"][r] += np.where(done, proceeds - owe - gas_usd[r], 0.0)
        st["proceeds"][r] += owe
        st["take_value"][r] += slc * p
        r, c, slc, owe, p = r[done], j[done], slc[done], owe[done], p[done]
        il.given[r, c] += slc * p
        il.lot[r, c] -= slc
        il.tab[r, c] -= owe
        closed = (il.tab[r, c] <= 1e-9 * np.maximum(il.due[r, c], 1.0)) | (il.lot[r, c] <= 1e-12)
        _close(s, il, d, r[closed], c[closed], k)


def _english(s: VState, il: Ilk, d: Dol, k: int, share: F, avail: F) -> None:
    """Deal, tick, tend, dent and the zero bid (module docstring; ``sim.agents.english``)."""
    kp = s.sc.agents.keepers
    now = float(s.now(k))
    p = s.coll_price(il, k)
    on = il.on
    deal = on & (il.btic != 0) & ((il.btic < now) | (il.end < now))
    if deal.any():
        lot = np.where(deal, il.lot, 0.0)
        mine = deal & (il.guy == 1)
        units = np.where(mine, lot, 0.0).sum(axis=1)
        proceeds = _sell(s, il, units, k, np.zeros(s.P))
        il.kcash += proceeds
        recycle = max(1, round(kp.recycle / s.dt))
        il.release[:, min(k + recycle, s.n + 1)] += proceeds
        st = d.stats
        st["keeper"] += proceeds - np.where(mine, il.bid, 0.0).sum(axis=1)
        st["zero"] += (deal & (il.bid * 1000 < il.tab)).sum(axis=1)
        st["proceeds"] += np.where(deal, il.bid, 0.0).sum(axis=1)
        st["take_value"] += lot.sum(axis=1) * p
        il.given = il.given + lot * p[:, None]
        il.flow["sold"] += lot.sum(axis=1)
        il.lot = np.where(deal, 0.0, il.lot)
        dr, dc = np.nonzero(deal)
        _close(s, il, d, dr, dc, k)
    on = il.on
    tick = on & (il.end < now) & (il.btic == 0)
    il.end = np.where(tick, now + il.flip_tau, il.end)
    biddable = on & ~tick & ((il.btic > now) | (il.btic == 0)) & (il.end > now)
    if not biddable.any():
        return
    has = on.any(axis=1) & (avail > 0)
    pay = np.zeros(s.P)
    rows = np.flatnonzero(has)
    pay[rows] = payable(s, d, il.kdol[rows], il.kcash[rows], k, rows)
    keen = (share > 0) & (pay > 1.0)
    lot = np.where(biddable, il.lot, 0.0)
    unit = np.where(keen[:, None], unit_bid(s, il, lot, k, np.zeros(s.P)), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        unit = unit * (1.0 - float(kp.margin)) - float(kp.gas_usd) * s.gas[:, k][
            :, None
        ] / np.maximum(lot, 1e-18)
    unit = np.where(keen[:, None], unit, 0.0)
    worth = np.maximum(unit, 0.0) * lot
    dent_phase = il.bid >= il.tab
    min_bid = np.where(
        il.bid == 0, WEI, np.minimum(np.maximum(il.beg * il.bid, il.bid + WEI), il.tab)
    )
    bid = np.minimum(np.minimum(il.tab, worth), pay[:, None])
    tend = biddable & ~dent_phase & (worth >= min_bid) & (il.guy != 1) & (bid >= min_bid)
    cum = np.cumsum(np.where(tend, bid, 0.0), axis=1)
    tend &= cum <= pay[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        need_lot = np.where(unit > 0, il.tab / unit, np.inf)
    max_lot = np.maximum(np.minimum(il.lot / il.beg, il.lot - 1e-18), 0.0)
    own = il.guy == 1
    dent = biddable & dent_phase & (unit > 0) & (need_lot > 0) & (need_lot <= max_lot)
    dent &= own | (pay[:, None] >= il.tab + cum)
    cost = np.where(tend, bid - np.where(own, il.bid, 0.0), 0.0) + np.where(
        dent & ~own, il.tab, 0.0
    )
    total = cost.sum(axis=1)
    need = np.maximum(total - il.kdol, 0.0)
    got, spent, met = buy_exact(s, d, need, il.kcash, k, (total > 0).astype(np.float64))
    ok = ((need <= 0) | (met > 0))[:, None]
    tend &= ok
    dent &= ok
    total = np.where(ok[:, 0], total, 0.0)
    il.kcash -= spent
    il.kdol += got - total
    d.dai += np.where(tend, bid - il.bid, 0.0).sum(axis=1)
    il.free -= np.where(tend, bid, 0.0).sum(axis=1)
    il.bid = np.where(tend, bid, il.bid)
    il.flow["back"] += np.where(dent, il.lot - need_lot, 0.0).sum(axis=1)
    il.lot = np.where(dent, need_lot, il.lot)
    il.guy = np.where(tend | dent, 1, il.guy).astype(np.int8)
    il.btic = np.where(tend | dent, now + il.ttl, il.btic)
    zero = biddable & ~tend & ~dent & (il.bid == 0)
    il.bid = np.where(zero, WEI, il.bid)
    il.guy = np.where(zero, 2, il.guy).astype(np.int8)
    il.btic = np.where(zero, now + il.ttl, il.btic)
