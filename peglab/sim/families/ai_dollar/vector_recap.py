"""The buffer, its recapitalisation waterfall and emergency shutdown over a batch (``sim.agents.recap``,
``shutdown``).

The buffer of each AI dollar holds ``sin`` (bad debt: auction debt queued at ``bark`` for
``wait``, keeper incentives at once), ``dai`` (surplus: fees, penalties, PSM fees, auction
payments) and ``ash`` (debt on auction). Each step, for each live AI dollar: heal, release the
queue after ``wait`` and heal again, debt bidders dent open lots, ended debt auctions are dealt
(the winner sells the minted governance tokens on the venue) or re-opened ``pad`` larger; with no
collateral auction running, the backstop covers what the surplus cannot, then debt auctions of
``sump`` are kicked within the recapitalisation limit; if the buffer then advises shutdown
(uncovered debt above the limit, or three re-opened debt auctions) governance cages the AI dollar.
After the End's ``wait`` holders redeem their share of the collateral frozen at the cage price.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from .vector_dealer import buy_exact, debt_total
from .vector_keepers import unit_bid
from .vector_state import Dol, VState, path_sum

__all__ = ["deficit", "settle", "signals"]

F = NDArray[np.float64]
B = NDArray[np.bool_]
WAIT_S = 4 * 3600  # the buffer's ``wait`` before queued debt is free
FLOP_TTL, FLOP_TAU, FLOP_BEG, FLOP_PAD = 3 * 3600, 2 * 86_400, 1.05, 1.5
END_WAIT_S = 72 * 3600


def _free(d: Dol) -> F:
    return np.asarray(d.sin - d.queued - d.ash, dtype=np.float64)


def _heal(d: Dol) -> None:
    amt = np.maximum(np.minimum(d.dai, _free(d)), 0.0)
    d.sin -= amt
    d.dai -= amt


def open_recovery(s: VState, d: Dol, k: int) -> F:
    """USD the open Dutch auctions of ``d`` will still raise at the venue's bid less margin."""
    margin = float(s.sc.agents.keepers.margin)
    total = np.zeros(s.P)
    for il in s.ilks:
        if s.dols[il.d] is not d or il.english or not il.on.any():
            continue
        r, c = np.nonzero(il.on)
        lot = il.lot[r, c]
        unit = unit_bid(s, il, lot, k, np.zeros(s.P), r)
        total += path_sum(r, np.minimum(il.tab[r, c], lot * unit * (1 - margin)), s.P)
    return total


def deficit(s: VState, d: Dol, k: int) -> F:
    """The buffer's uncovered debt: ``sin - dai`` less what open auctions will still raise."""
    owed = d.sin - d.dai
    if not (owed > 0).any():
        return np.zeros(s.P)
    return np.asarray(np.where(owed > 0, np.maximum(0.0, owed - open_recovery(s, d, k)), 0.0))


def signals(s: VState, d: Dol, k: int, peg: F) -> tuple[F, F, F, B]:
    """``(peg, unbacked share, uncovered share, shutdown advised)`` for the holders who run."""
    debt = debt_total(s, d) + d.sin  # vat.debt: vault and PSM debt plus what the buffer owes
    defi = deficit(s, d, k)
    buffers = d.dai + d.backstop
    with np.errstate(divide="ignore", invalid="ignore"):
        unbacked = np.where(debt > 0, defi / debt, 0.0)
        uncovered = np.where(debt > 0, np.maximum(0.0, defi - buffers) / debt, 0.0)
    return peg, unbacked, uncovered, _advised(d)


def _advised(d: Dol) -> B:
    return np.asarray((np.maximum(_free(d) - d.dai, 0.0) > d.recap_limit) | (d.resets >= 3))


def settle(s: VState, k: int) -> None:
    """The settle phase for every AI dollar (module docstring)."""
    gov = s.sc.agents.governance.shutdown
    for d in s.dols:
        live = d.live()
        _redeem(s, d, k)
        if not live.any():
            continue
        realised = _waterfall(s, d, k, live)
        cage = realised & live & _advised(d) & bool(gov)
        if cage.any():
            refund = np.where(d.fl_on & d.fl_won, d.fl_bid, 0.0).sum(axis=1)
            defi = deficit(s, d, k)
            d.shut_k = np.where(cage, k, d.shut_k)
            d.raised = np.where(cage, d.raised - refund, d.raised)
            d.deficit_at_shut = np.where(cage, defi + refund, d.deficit_at_shut)
            for il in s.ilks:  # cage_ilk freezes the price; snip returns auctions to vaults
                if s.dols[il.d] is d:
                    il.tag = np.where(cage, il.feed, il.tag)
                    snip = il.on & cage[:, None]
                    il.flow["snipped"] += np.where(snip, il.lot, 0.0).sum(axis=1)
                    il.ink = np.where(snip, il.ink + il.lot, il.ink)
                    il.art = np.where(snip, il.art + il.tab / il.rate[:, None], il.art)
                    il.on &= ~snip
                    il.tab = np.where(snip, 0.0, il.tab)
                    il.lot = np.where(snip, 0.0, il.lot)


def _waterfall(s: VState, d: Dol, k: int, live: B) -> B:
    now = s.now(k)
    _heal(d)
    released = max(0, k - math.ceil(WAIT_S / s.dt) + 1)
    # each step frees one more column of the queue (the earlier ones were freed on the paths
    # that were live then; a shut path stays shut, so its columns stay)
    col = d.queue[:, released - 1] if released else None
    if col is not None and (d.frozen or col.any()):
        d.queued -= np.where(live, col, 0.0)
        kept = np.where(live, 0.0, col)
        d.frozen = d.frozen or bool(kept.any())
        d.queue[:, released - 1] = kept
        _heal(d)
    _bid(s, d, k, live)
    _close_flops(s, d, k, live)
    running = np.zeros(s.P, bool)
    for il in s.ilks:
        if s.dols[il.d] is d:
            running |= il.on.any(axis=1)
    go = live & ~running
    cover = go & (_free(d) > d.dai) & (d.backstop > 0)
    used = np.where(cover, np.minimum(d.backstop, _free(d) - d.dai), 0.0)
    d.backstop -= used
    d.sin -= used
    d.backstop_used += used
    kick = go & (d.dai <= 1e-9) & (d.backstop <= 1e-9)
    count = np.minimum(
        np.floor(_free(d) / d.sump), np.floor((d.recap_limit - d.raised - d.ash) / d.sump + 1e-9)
    )
    count = np.where(kick, np.maximum(count, 0), 0).astype(np.int64)
    if count.any():
        for _ in range(int(count.max())):
            want = count > 0
            slot = np.argmin(d.fl_on, axis=1)
            ok = want & ~d.fl_on[np.arange(s.P), slot]
            r, c = np.flatnonzero(ok), slot[ok]
            d.fl_on[r, c] = True
            d.fl_won[r, c] = False
            d.fl_lot[r, c] = d.dump0
            d.fl_bid[r, c] = d.sump
            d.fl_tic[r, c] = 0.0
            d.fl_end[r, c] = now + FLOP_TAU
            d.ash[r] += d.sump
            count -= want.astype(np.int64)
        _bid(s, d, k, live)
    return go


def _lot_for(s: VState, bid: F, margin: float) -> F:
    """Governance tokens whose venue sale pays ``bid`` less ``margin`` (two fixed-point steps)."""
    assert s.gov_a is not None
    price = s.venue.price(s.gov_a)
    lot = np.zeros_like(bid)
    for _ in range(2):
        lot = np.where(price > 0, bid / np.maximum(price * (1 - margin), 1e-300), 0.0)
        price = np.where(lot > 0, s.venue.quote_sell(s.gov_a, lot) / np.maximum(lot, 1e-300), 0.0)
    return np.asarray(np.where(price > 0, bid / np.maximum(price * (1 - margin), 1e-300), 0.0))


def _bid(s: VState, d: Dol, k: int, live: B) -> None:
    bidders = s.sc.agents.debt_bidders
    if not bidders.enabled or s.gov_a is None or not d.fl_on.any():
        return
    now = float(s.now(k))
    margin = float(bidders.margin)
    out_of_cash = np.zeros(s.P, bool)
    for c in np.flatnonzero(d.fl_on.any(axis=0)):
        tic, end = d.fl_tic[:, c], d.fl_end[:, c]
        open_ = d.fl_on[:, c] & ~d.fl_won[:, c] & (end > now) & ((tic == 0) | (tic > now)) & live
        open_ &= ~out_of_cash & (s.venue.price(s.gov_a) > 0)
        if not open_.any():
            continue
        bid = d.fl_bid[:, c]
        lot = _lot_for(s, np.where(open_, bid, 0.0), margin)
        want = open_ & (lot > 0) & (FLOP_BEG * lot <= d.fl_lot[:, c])
        got, spent, met = buy_exact(
            s, d, np.where(want, bid, 0.0), s.bidder_cash, k, want.astype(np.float64)
        )
        ok = want & (met > 0)
        out_of_cash |= want & ~ok
        s.bidder_cash -= spent
        first = ok & (tic == 0)
        d.raised += np.where(first, bid, 0.0)
        d.ash -= np.where(first, np.minimum(bid, d.ash), 0.0)
        d.dai += np.where(ok, bid, 0.0)
        d.fl_lot[:, c] = np.where(ok, lot, d.fl_lot[:, c])
        d.fl_won[:, c] |= ok
        d.fl_tic[:, c] = np.where(ok, now + FLOP_TTL, tic)
    _heal(d)


def _close_flops(s: VState, d: Dol, k: int, live: B) -> None:
    if not d.fl_on.any():
        return
    now = float(s.now(k))
    on = d.fl_on & live[:, None]
    deal = on & (d.fl_tic != 0) & ((d.fl_tic < now) | (d.fl_end < now))
    if deal.any():
        lots = np.where(deal, d.fl_lot, 0.0).sum(axis=1)
        d.minted += lots
        if s.gov_a is not None:
            usd = s.venue.sell(s.gov_a, lots)
            s.gov_sold += usd
            s.bidder_cash += usd
        d.fl_on &= ~deal
        d.resets = np.where(deal.any(axis=1), 0, d.resets)
    tick = d.fl_on & live[:, None] & (d.fl_tic == 0) & (d.fl_end < now)
    if tick.any():
        d.fl_lot = np.where(tick, d.fl_lot * FLOP_PAD, d.fl_lot)
        d.fl_end = np.where(tick, now + FLOP_TAU, d.fl_end)
        d.resets += tick.sum(axis=1)


def _redeem(s: VState, d: Dol, k: int) -> None:
    """After the End's wait, holders cash their AI dollars for the frozen collateral, valued at
    market: each vault and auction gives up collateral worth its debt at the cage price."""
    due = (d.shut_k >= 0) & (k >= d.shut_k + math.ceil(END_WAIT_S / s.dt)) & np.isnan(d.redemption)
    if not due.any():
        return
    value = d.gem * (s.prices[:, k, s.stable_a] if s.stable_a is not None else 1.0)
    debt = d.psm_art.copy()
    for il in s.ilks:
        if s.dols[il.d] is not d:
            continue
        tag = il.tag
        with np.errstate(divide="ignore", invalid="ignore"):
            units = np.where(
                tag[:, None] > 0, (il.art * il.rate[:, None] + il.tab) / tag[:, None], 0.0
            )
        units = np.minimum(units, il.ink + il.lot)
        value = value + units.sum(axis=1) * s.coll_price(il, k)
        debt = debt + (il.art * il.rate[:, None] + il.tab).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        d.redemption = np.where(due & (debt > 0), value / debt, d.redemption)
