"""How vectorised agents acquire AI dollars (``sim.agents.dealer`` over a batch): PSM, then pool.

Each function takes full-batch vectors (one entry per path, 0 where a path does nothing) and
returns full-batch vectors, but the borrowers' ``buy_dollars`` (and ``psm_room``,
``debt_total``, ``pool_buy_size`` and ``psm_mint`` when given ``rows``) work on the distinct
paths ``rows`` only, one entry per row. The PSM mints ``x (1 - tin)`` for ``x`` stablecoin
within its room (the day's flow cap, its own ceiling, the instance's ceiling) and redeems
``x / (1 + tout)`` within its inventory; fees go to the buffer. Pool purchases are sized as
the exact dealer sizes them: the largest input whose average price stays within
``keepers.max_buy_price`` (the root of the cap by Newton's iteration on the StableSwap curve,
:data:`NEWTON` fixed steps, where the exact dealer bisects to 0.1%), and exact-out purchases
invert the StableSwap curve in closed form.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .vector_pools import VecPool
from .vector_state import Dol, VState

__all__ = [
    "NEWTON",
    "buy_dollars",
    "buy_exact",
    "debt_total",
    "payable",
    "pool_buy_size",
    "psm_mint",
    "psm_redeem",
    "psm_room",
]

F = NDArray[np.float64]
Rows = NDArray[np.intp] | slice
ALL = slice(None)
NEWTON = 8  # Newton steps of a capped pool purchase (quadratic convergence: float precision)


def debt_total(s: VState, d: Dol, rows: Rows = ALL) -> F:
    """The instance's total debt [AI dollars] on the paths ``rows``: its vaults (auctions' debt
    is off the vaults) and its PSM's."""
    out = np.array(d.psm_art[rows], dtype=np.float64)
    for il in s.ilks:
        if s.dols[il.d] is d:
            out += il.art[rows].sum(axis=1) * il.rate[rows]
    return out


def _debt_bound(s: VState, d: Dol, rows: Rows) -> F:
    """:func:`debt_total` on the paths ``rows`` with each collateral type's ``art`` total of the
    step's start (``Ilk.art_start``): the same float operations on inputs at least as large (a
    rounded sum or product never falls when an input rises), so at least the total now."""
    out = np.array(d.psm_art[rows], dtype=np.float64)
    for il in s.ilks:
        if s.dols[il.d] is d:
            out += il.art_start[rows] * il.rate[rows]
    return out


def psm_room(s: VState, d: Dol, k: int, rows: Rows = ALL, bounded: bool = False) -> F:
    """AI dollars the PSM can still mint today, per path of ``rows`` (0 after shutdown or
    without a PSM). ``bounded`` (callers between the step's start and its settlement: the
    borrowers, the keepers, the arbitrageur): the instance's debt ceiling is checked against
    :func:`_debt_bound` first, and the exact total is summed only on the paths where that bound
    (with a 1e-9 margin) could make the ceiling bind."""
    if not d.has_psm or s.stable_a is None:
        return np.zeros(s.P)[rows]
    day = s.now(k) // 86_400
    today = np.where(d.day[rows] == day, d.net[rows], 0.0)
    room = np.minimum(d.flow_cap - today, d.psm_line - d.psm_art[rows])
    if bounded:
        slack = d.line - _debt_bound(s, d, rows) * (1.0 + 1e-9) >= room
        near = np.flatnonzero(~slack)
        if near.size:
            at = near if isinstance(rows, slice) else rows[near]  # (a slice is ALL)
            room[near] = np.minimum(room[near], d.line - debt_total(s, d, at))
    else:
        room = np.minimum(room, d.line - debt_total(s, d, rows))
    gem_ok = s.venue.realised_at(k, s.stable_a)[rows] >= 0.98  # the gem's price (sell_gem halts)
    live = d.live()[rows] & gem_ok
    return np.asarray(np.where(live, np.maximum(room, 0.0), 0.0), dtype=np.float64)


def _day(s: VState, d: Dol, k: int, rows: Rows = ALL) -> None:
    """Start the day's flow count on the paths ``rows`` (a path whose count is of an earlier day
    reads as 0 in :func:`psm_room` either way)."""
    day = s.now(k) // 86_400
    d.net[rows] = np.where(d.day[rows] == day, d.net[rows], 0.0)
    d.day[rows] = day


def psm_mint(s: VState, d: Dol, gem: F, k: int, rows: Rows = ALL) -> F:
    """``sell_gem``: ``gem`` stablecoin in (the caller kept it within the room), AI dollars out;
    ``gem`` per path, or per path of the distinct ``rows`` (the other paths untouched)."""
    gem = np.maximum(gem, 0.0)
    _day(s, d, k, rows)
    d.gem[rows] += gem
    d.psm_art[rows] += gem
    d.net[rows] += gem
    d.dai[rows] += gem * d.tin
    return np.asarray(gem * (1.0 - d.tin), dtype=np.float64)


def psm_redeem(s: VState, d: Dol, amount: F, k: int) -> tuple[F, F]:
    """``buy_gem`` for up to ``amount`` AI dollars: ``(gem out, AI dollars paid)``."""
    if not d.has_psm:
        z = np.zeros(s.P)
        return z, z
    gem = np.where(d.live(), np.minimum(np.maximum(amount, 0.0) / (1.0 + d.tout), d.gem), 0.0)
    _day(s, d, k)
    d.gem -= gem
    d.psm_art -= gem
    d.net -= gem
    d.dai += gem * d.tout
    return np.asarray(gem, dtype=np.float64), np.asarray(gem * (1.0 + d.tout), dtype=np.float64)


def _ij(s: VState, pool: VecPool, sym: str) -> tuple[int, int]:
    assert s.stable is not None
    return pool.index(s.stable), pool.index(sym)


def pool_buy_size(s: VState, d: Dol, cash: F, rows: NDArray[np.intp] | None = None) -> tuple[F, F]:
    """``(input, AI dollars out)``: the largest input up to ``cash`` whose average price on the
    peg pool stays within ``max_buy_price`` (``cash`` one entry per path, or per path of the
    distinct ``rows``).

    Where all of ``cash`` is too dear, the input is the root of ``h(x) = cap out(x) - x``:
    ``h(0) = 0`` and ``h`` is concave (the average price rises with the size), so the root is
    0 when the marginal price is already above the cap, else Newton's iteration from ``cash``
    (right of the root, where the tangent lies above ``h``) descends to it without overshooting;
    :data:`NEWTON` steps, then ``1e-9`` of it is left on the table so the average stays within
    the cap."""
    pool = d.peg_pool
    z = np.zeros(cash.size)
    if pool is None or not (cash > 0).any():
        return z, z
    i, j = _ij(s, pool, d.sym)
    cap = float(s.sc.agents.keepers.max_buy_price)
    cash = np.maximum(cash, 0.0)
    on = np.flatnonzero(cash > 0)  # the quote is 0 elsewhere: only these rows are folded
    curve = pool.curve(i, j, on if rows is None else rows[on])
    full = np.zeros(cash.size)
    full[on] = curve.quote(cash[on])
    ok_full = (full > 0) & (cash <= cap * full)
    capped = np.flatnonzero(~ok_full[on])  # positions in ``on``
    if capped.size == 0:
        return cash, full
    sub = on[capped]
    size = np.where(ok_full, cash, 0.0)
    got = np.where(ok_full, full, 0.0)
    curve = curve.take(capped)
    with np.errstate(divide="ignore", invalid="ignore"):
        rising = np.flatnonzero(cap * curve.quote_slope(np.zeros(sub.size))[1] > 1.0)
    sub = sub[rising]  # the others buy nothing (the marginal price already above the cap)
    if sub.size == 0:
        return size, got
    curve = curve.take(rising)
    with np.errstate(divide="ignore", invalid="ignore"):  # on the capped paths only
        x = curve.cap_root(cash[sub], cap, NEWTON)
    x = x * (1.0 - 1e-9)
    size[sub] = x
    got[sub] = curve.quote(x)
    return size, got


def payable(s: VState, d: Dol, have: F, cash: F, k: int, rows: NDArray[np.intp] | None = None) -> F:
    """Keepers: AI dollars held plus what ``cash`` buys now: PSM room first, then the pool.
    ``have`` and ``cash`` are per path, or per entry of ``rows`` (the same arithmetic on those
    paths only)."""
    room = psm_room(s, d, k, ALL if rows is None else rows, bounded=True)
    gem = np.minimum(cash, room)
    left = cash - gem
    got = pool_buy_size(s, d, left, rows)[1]
    return np.asarray(have + gem * (1.0 - d.tin) + got, dtype=np.float64)


def buy_dollars(s: VState, d: Dol, usd: F, k: int, rows: NDArray[np.intp]) -> tuple[F, F]:
    """Borrowers (``dealer.buy_dollars``) on the distinct paths ``rows``: spend up to ``usd``
    (one entry per row) on AI dollars, all at the PSM if its room takes all of it and it pays at
    least the pool, else on the pool within the price cap. Returns ``(AI dollars out,
    stablecoin paid)`` per row (a pool purchase pays its size)."""
    usd = np.maximum(usd, 0.0)
    room = psm_room(s, d, k, rows, bounded=True)
    via_psm = np.minimum(usd, room) * (1.0 - d.tin)
    size, via_pool = pool_buy_size(s, d, usd, rows)
    psm = (usd <= room) & (via_psm >= via_pool) & (via_psm > 0)
    paid = np.where(psm, usd, 0.0)
    got = np.zeros(usd.size)
    at = np.flatnonzero(psm)
    if at.size:
        got[at] = psm_mint(s, d, paid[at], k, rows[at])
    at = np.flatnonzero(~psm & (via_pool > 0))
    if d.peg_pool is not None and at.size:  # the swap's quote is ``via_pool`` (the same state)
        i, j = _ij(s, d.peg_pool, d.sym)
        out = via_pool[at]
        d.peg_pool.book(i, j, size[at], out, rows[at])
        got[at] = got[at] + out
        paid[at] = paid[at] + size[at]
    return got, paid


def buy_exact(s: VState, d: Dol, need: F, cash: F, k: int, commit: F) -> tuple[F, F, F]:
    """Keepers: acquire ``need`` AI dollars with ``cash`` (PSM within its room, then the pool's
    smallest input that buys the rest, if its average stays within the cap). Nothing is traded
    on paths where ``commit`` is 0 or the need cannot be met (the take would be refused).
    Returns ``(AI dollars got, cash spent, met)``."""
    need = np.maximum(need, 0.0)
    wants = np.flatnonzero(need > 0)
    room = np.zeros(s.P)  # only read where the need is positive
    if d.tin < 1 and wants.size == s.P:
        room = psm_room(s, d, k)
    elif d.tin < 1 and wants.size:
        room[wants] = psm_room(s, d, k, wants)
    gem = np.minimum(np.minimum(need / max(1.0 - d.tin, 1e-12) + 1e-6, room), cash)
    gem = np.where(need > 0, gem, 0.0)
    via_psm = gem * (1.0 - d.tin)
    short = np.maximum(need - via_psm, 0.0)
    x = np.zeros(s.P)
    fits = np.zeros(s.P, bool)
    pool = d.peg_pool
    cap = float(s.sc.agents.keepers.max_buy_price)
    r = np.flatnonzero((short > 0) & (commit > 0))  # the pool's part is read there only
    if pool is not None and r.size:
        i, j = _ij(s, pool, d.sym)
        bal_j, sh = pool.bal[r, j], short[r]
        y_new = bal_j - sh / (1.0 - pool.fee) - 1e-18
        ok = y_new > 0
        x_new = pool.y(j, i, np.where(ok, y_new, bal_j), r)
        xr = np.where(ok, np.maximum(x_new - pool.bal[r, i], 0.0) * (1 + 1e-12), 0.0)
        fits[r] = ok & (xr <= cash[r] - gem[r]) & (xr <= cap * sh)
        x[r] = np.where(fits[r], xr, 0.0)
    met = (commit > 0) & ((short <= 1e-9) | fits)
    got = psm_mint(s, d, np.where(met, gem, 0.0), k)
    if pool is not None:
        i, j = _ij(s, pool, d.sym)
        got = got + pool.swap(i, j, np.where(met, x, 0.0))
    spent = np.where(met, gem + x, 0.0)
    return got, spent, met.astype(np.float64)
