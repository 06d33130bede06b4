"""How AI-dollar agents acquire AI dollars: from holders at par, the PSM, or the peg pool.

Shared by borrowers (repaying), keepers (paying for auctions) and English-auction bidders. Amounts
are exact ints (wad for AI dollars, base units for the reference stablecoin). Nobody buys on the
pool above an average price of ``keepers.max_buy_price`` (1.05 by default [O]); a buyer whose
whole budget would average more buys the largest amount that stays within it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...errors import PeglabError
from ...math import ceil_div
from ...math.stableswap import Settle
from ...protocols.amm.stableswap import StableSwapPool
from ...units import RAY, WAD
from ..families.ai_dollar.state import DollarPath
from ..world import HOLDERS

__all__ = [
    "buy_dollars",
    "buy_exact",
    "hold",
    "max_price",
    "otc_buy",
    "payable",
    "pool_buy_quote",
    "pool_buy_size",
    "psm_quote",
    "psm_redeem",
    "psm_room",
]


def otc_buy(s: DollarPath, sym: str, who: str, usd: float) -> int:
    """``who`` buys AI dollars from their holders at par, paying stablecoin [O]; returns wad."""
    w, ledger = s.w, s.w.chain.ledger
    if not w.stable:
        return 0
    to18 = 10 ** (18 - w.stable_decimals)
    units = min(
        s.w.stable_units(usd),
        ledger.balance_of(w.stable, who),
        ledger.balance_of(sym, HOLDERS) // to18,
    )
    if units <= 0:
        return 0
    ledger.transfer(w.stable, who, HOLDERS, units)
    w.chain.transfer(sym, who, units * to18, sender=HOLDERS)
    return int(units * to18)


def psm_room(s: DollarPath, sym: str) -> int:
    """AI dollars [wad] the PSM can still mint today (flow cap, its ceiling, the instance's)."""
    d = s.dollars[sym]
    psm = d.psm
    if psm is None or not psm.state.live:
        return 0
    st = psm.state
    today = 0 if st.day != s.w.chain.now // 86_400 else st.net_in_wad
    ilk = d.vat.ilks[psm.ilk]
    room_ilk = (ilk.line_rad - ilk.art_total_wad * ilk.rate_ray) // RAY
    room_all = (d.vat.state.line_rad - d.vat.debt_rad) // RAY
    return max(0, min(st.flow_cap_wad - today, room_ilk, room_all))


def psm_redeem(s: DollarPath, sym: str, amount: int) -> tuple[int, int]:
    """``(gem, paid)``: the most reference stablecoin [base units] ``amount`` AI dollars [wad]
    redeem at the PSM (``buy_gem`` takes ``g18 + floor(g18 tout)``), within its inventory, and
    the AI dollars that costs; ``(0, 0)`` when redemption is closed."""
    d = s.dollars[sym]
    psm = d.psm
    if psm is None or not s.live(sym) or not psm.state.live or psm.state.tout_wad > WAD:
        return 0, 0
    tout = psm.state.tout_wad
    to18 = 10 ** (18 - s.w.stable_decimals)
    gem = min(amount * WAD // ((WAD + tout) * to18), psm.gem_held)
    while gem > 0 and gem * to18 + gem * to18 * tout // WAD > amount:
        gem -= 1  # the fee floors, so the division can be one unit short
    return (gem, gem * to18 + gem * to18 * tout // WAD) if gem > 0 else (0, 0)


def payable(s: DollarPath, sym: str, who: str) -> int:
    """AI dollars [wad] ``who`` holds plus what its cash buys now (PSM room, then the pool)."""
    w, ledger = s.w, s.w.chain.ledger
    have = ledger.balance_of(sym, who) + ledger.balance_of(s.dollars[sym].vat.dai, who) // RAY
    if not w.stable:
        return have
    cash = ledger.balance_of(w.stable, who)
    via_psm, cash_left = psm_quote(s, sym, cash)
    pool = s.peg_pool.get(sym)
    via_pool = 0
    if pool is not None and cash_left > 0:
        via_pool = pool_buy_quote(s, sym, pool, cash_left)
    return have + via_psm + via_pool


def max_price(s: DollarPath) -> float:
    """The highest average price anyone pays for AI dollars on a pool (``keepers.max_buy_price``)."""
    return float(s.sc.agents.keepers.max_buy_price)


def pool_buy_size(s: DollarPath, sym: str, pool: Any, cash: int) -> tuple[int, int]:
    """``(input, output)``: the largest input up to ``cash`` whose average price on the pool stays
    within ``max_price`` (the average rises with the size, so bisection finds it), and the AI
    dollars [wad] it buys. Buyers size their purchase by the pool's price instead of giving up.
    Kept per path, keyed by everything a quote reads (the coin bought, balances, A, fee, cash).

    Speed, same result: midpoints are decided by ``_decider`` (the price test is non-decreasing
    in the output for ``cap > 0``: a float product rounds monotonely), which on a StableSwap
    pool answers from proven bounds; the exact quote runs for ``cash`` (the answer when it
    passes), an undecided midpoint and the answer. Each decision is the exact quote's own, so
    the bisection visits the same midpoints and ends at the same ``lo``
    (tests/test_sim_dealer_buy_size.py against the plain bisection, with a canary)."""
    key = (pool.id, sym, pool.balances, pool.A(), pool.fee, cash)
    known = s.buy_sizes.get(key)
    if known is not None:
        return known
    s.buy_sizes[key] = found = _buy_size(s, sym, pool, cash)
    return found


def _buy_size(s: DollarPath, sym: str, pool: Any, cash: int, fast: bool = True) -> tuple[int, int]:
    """``pool_buy_size`` without its memo; ``fast=False`` is the plain bisection (tests)."""
    to18 = 10 ** (18 - s.w.stable_decimals)
    cap = max_price(s)

    def passes(x: int, out: int) -> bool:
        return out > 0 and x * to18 <= cap * out

    if cash <= 0:
        return 0, 0
    try:
        fast = fast and cap > 0 and cash < 2**256
        quote, decide = _decider(pool, s.w.stable, sym, passes, fast)
        full = quote(cash)  # exact: it is the answer when it passes
        if passes(cash, full):
            return cash, full
        lo, hi = 0, cash
        while hi - lo > max(1, hi // 1000):  # to 0.1% of the size
            mid = (lo + hi) // 2
            if decide(mid):
                lo = mid
            else:
                hi = mid
        return (lo, quote(lo)) if lo else (0, 0)
    except PeglabError:
        return 0, 0


def _decider(
    pool: Any, src: str | None, dst: str, passes: Callable[[int, int], bool], fast: bool
) -> tuple[Callable[[int], int], Callable[[int], bool]]:
    """``(quote, decide)`` of ``src`` into ``dst`` on ``pool``: ``quote(x)`` is the pool's
    ``quote_exact_in(src, x, dst)`` and ``decide(x)`` is ``passes(x, quote(x))`` for a test
    ``passes`` non-decreasing in the output. With ``fast`` on a StableSwap pool the quote skips
    the query boundary (``x`` must be a positive int below ``2^256``, what the boundary admits)
    and ``decide`` answers from the pool's proven bounds (``quoter``) when the least output
    passes or the most fails: the quote's own answer, and a bound proves the quote raises
    nothing, so a caller sees the same answers and the same errors without the quotes."""
    if fast and isinstance(pool, StableSwapPool):
        quote, out_test = pool.quoter(src, dst)
        settle: Settle | None = None

        def decide(x: int) -> bool:
            nonlocal settle
            if settle is None:  # built on first use
                settle = out_test()
            known = settle(x, passes)
            return passes(x, quote(x)) if known is None else known

        return quote, decide

    def plain(x: int) -> int:
        out: int = pool.quote_exact_in(src, x, dst)
        return out

    return plain, lambda x: passes(x, plain(x))


def pool_buy_quote(s: DollarPath, sym: str, pool: Any, cash: int) -> int:
    """AI dollars [wad] up to ``cash`` buys on the pool within ``max_price`` (``pool_buy_size``)."""
    return pool_buy_size(s, sym, pool, cash)[1]


def psm_quote(s: DollarPath, sym: str, cash: int) -> tuple[int, int]:
    """(AI dollars the PSM pays for up to ``cash`` stablecoin units within its room, cash left)."""
    d, w = s.dollars[sym], s.w
    if d.psm is None or d.psm.state.tin_wad > WAD:
        return 0, cash
    to18 = 10 ** (18 - w.stable_decimals)
    room = psm_room(s, sym)
    gem = min(cash, room // to18)
    out = gem * to18 - gem * to18 * d.psm.state.tin_wad // WAD
    return out, cash - gem


def buy_dollars(s: DollarPath, sym: str, who: str, usd: float) -> int:
    """Spend up to ``usd`` of stablecoin on AI dollars (cheaper of PSM and pool); returns wad."""
    w, ledger = s.w, s.w.chain.ledger
    if not w.stable or usd <= 0:
        return 0
    dx = min(s.w.stable_units(usd), ledger.balance_of(w.stable, who))
    if dx <= 0:
        return 0
    d = s.dollars[sym]
    pool = s.peg_pool.get(sym)
    before = ledger.balance_of(sym, who)
    via_psm, left = psm_quote(s, sym, dx)
    size, via_pool = pool_buy_size(s, sym, pool, dx) if pool is not None else (0, 0)
    if left == 0 and via_psm >= via_pool and via_psm > 0:
        s.attempt(sym, d.sell_gem, dx, sender=who)
    elif pool is not None and via_pool > 0:
        s.attempt(sym, pool.swap_exact_in, w.stable, size, 0, sender=who)
    return ledger.balance_of(sym, who) - before


def buy_exact(s: DollarPath, sym: str, who: str, need: int) -> None:
    """Acquire at least ``need`` AI dollars [wad] more: PSM within its room, then the pool."""
    w, ledger, d = s.w, s.w.chain.ledger, s.dollars[sym]
    if not w.stable or need <= 0:
        return
    target = ledger.balance_of(sym, who) + need
    to18 = 10 ** (18 - w.stable_decimals)
    if d.psm is not None and d.psm.state.tin_wad < WAD:
        gem = ceil_div(need * WAD, (WAD - d.psm.state.tin_wad) * to18) + 1
        gem = min(gem, psm_room(s, sym) // to18, ledger.balance_of(w.stable, who))
        if gem > 0:
            s.attempt(sym, d.sell_gem, gem, sender=who)
    short = target - ledger.balance_of(sym, who)
    pool = s.peg_pool.get(sym)
    if short <= 0 or pool is None:
        return
    hi = _smallest_input(pool, w.stable, sym, short, ledger.balance_of(w.stable, who))
    if hi is None:
        return
    if hi * to18 > max_price(s) * short:
        return  # too expensive: the keeper waits for the auction price or for supply
    s.attempt(sym, pool.swap_exact_in, w.stable, hi, short, sender=who)


def _smallest_input(
    pool: Any, src: str | None, dst: str, short: int, cash: int, fast: bool = True
) -> int | None:
    """The input up to ``cash`` that buys at least ``short`` on ``pool``, by bisection to
    ``1e-7`` of ``cash`` (``None``: ``cash`` does not, or a quote is refused); ``fast=False``
    quotes every midpoint exactly (tests; the same answer, ``_decider``)."""
    lo, hi = 0, cash
    if cash <= 0:
        return None  # the quote of nothing is refused
    try:
        buys = _decider(pool, src, dst, lambda _x, out: out >= short, fast and cash < 2**256)[1]
        if not buys(cash):
            return None
        while hi - lo > max(1, hi // 10**7):
            mid = (lo + hi) // 2
            if mid and buys(mid):
                hi = mid
            else:
                lo = mid
    except PeglabError:
        return None
    return hi


def hold(s: DollarPath, sym: str, who: str, rad: int) -> bool:
    """Make sure ``who`` holds ``rad`` of AI dollars (tokens plus internal), buying the rest."""
    ledger = s.w.chain.ledger
    have = ledger.balance_of(sym, who) * RAY + ledger.balance_of(s.dollars[sym].vat.dai, who)
    if have < rad:
        buy_exact(s, sym, who, ceil_div(rad - have, RAY))
        have = ledger.balance_of(sym, who) * RAY + ledger.balance_of(s.dollars[sym].vat.dai, who)
    return have >= rad
