"""Agents around each AI dollar's peg pool: panic sellers, PSM arbitrageurs, LPs (docs/risk-spec.md §4).

Panic sellers dump AI dollars into the pool while it trades below their trigger; arbitrageurs
trade the pool toward the PSM's band in chunks; LPs leave stressed pools and return after calm,
keeping at least ``LP_FLOOR`` of their t0 position [O]; scheduled LP withdrawals and pool-depth
shocks are applied first.
"""

from __future__ import annotations

from typing import Any

from ...errors import PeglabError
from ...units import WAD
from ..families.ai_dollar.state import DollarPath
from ..world import HOLDERS, LP, MARKET, to_wad
from . import dealer

__all__ = ["LP_FLOOR", "act", "arbitrage", "lp_shocks", "lps", "pool_price"]

_ARB_CHUNKS = 24  # trades per arbitrage per step, each a fraction of the pool
LP_FLOOR = 0.05  # [O] LPs keep at least this share of their t0 position (as the float model)


def act(s: DollarPath, d_i: int, sym: str, k: int) -> None:
    w = s.w
    pool = s.peg_pool.get(sym)
    usd = float(s.prices[k, s.sc.asset_index[w.stable]]) if w.stable else 1.0
    if pool is None:
        s.peg[d_i, k] = usd
        return
    sc = s.sc
    lp_shocks(s, pool, k)
    price = pool_price(s, pool, sym)
    ps = sc.agents.panic_sellers
    ledger = w.chain.ledger
    if ps.enabled and price < float(ps.trigger_price):
        amount = int(ledger.balance_of(sym, HOLDERS) * min(1.0, float(ps.sell_rate) * s.dt_h))
        if amount > 0:
            s.attempt(sym, pool.swap_exact_in, sym, amount, 0, sender=HOLDERS)
    if s.live(sym):  # the PSM stops at shutdown
        arbitrage(s, sym, pool)
    price = pool_price(s, pool, sym)
    lps(s, sym, pool, price, k)
    s.peg[d_i, k] = pool_price(s, pool, sym) * usd


def pool_price(s: DollarPath, pool: Any, sym: str) -> float:
    """Marginal price of the AI dollar in reference stablecoin (a small exact quote)."""
    w = s.w
    bal = pool.balances[pool.coin_index(sym)]
    probe = max(bal // 100_000, WAD)
    try:
        out = pool.quote_exact_in(sym, probe, w.stable)
    except PeglabError:
        return 0.0
    return float(out / 10**w.stable_decimals / (probe / WAD) / (1.0 - pool.fee / 1e10))


def arbitrage(s: DollarPath, sym: str, pool: Any) -> None:
    """Trade the pool toward the PSM's band [1 - tout, 1 + tin] in chunks (docs/risk-spec.md §4)."""
    w, d = s.w, s.dollars[sym]
    arb = s.sc.agents.arbitrageurs
    if not arb.enabled or d.psm is None or not w.stable:
        return
    ledger = w.chain.ledger
    tin = d.psm.state.tin_wad / WAD
    tout = d.psm.state.tout_wad / WAD
    fee = pool.fee / 1e10
    chunk_usd = max(pool.balances[pool.coin_index(sym)] / WAD / 200.0, 1.0)
    budget = float(arb.capital_usd)
    for _ in range(_ARB_CHUNKS):
        price = pool_price(s, pool, sym)
        if (
            price > (1 + tin) / (1 - fee)
            and budget > chunk_usd
            and dealer.psm_room(s, sym) > to_wad(chunk_usd)
        ):
            ledger.transfer(w.stable, MARKET, "arb", s.w.stable_units(chunk_usd))
            minted = s.attempt(sym, d.sell_gem, s.w.stable_units(chunk_usd), sender="arb")
            if not minted:
                break
            s.attempt(sym, pool.swap_exact_in, sym, ledger.balance_of(sym, "arb"), 0, sender="arb")
        elif price < (1 - tout) * (1 - fee) and budget > chunk_usd and d.psm.gem_held > 0:
            ledger.transfer(w.stable, MARKET, "arb", s.w.stable_units(chunk_usd))
            s.attempt(
                sym,
                pool.swap_exact_in,
                w.stable,
                s.w.stable_units(chunk_usd),
                0,
                sender="arb",
            )
            got = ledger.balance_of(sym, "arb")
            gem = min(
                got * 10**w.stable_decimals * WAD // ((WAD + d.psm.state.tout_wad) * WAD),
                d.psm.gem_held,
            )
            if gem <= 0 or s.attempt(sym, d.buy_gem, gem, sender="arb") is None:
                break
        else:
            break
        budget -= chunk_usd
        bal = ledger.balance_of(w.stable, "arb")
        if bal:
            ledger.transfer(w.stable, "arb", MARKET, bal)


def lps(s: DollarPath, sym: str, pool: Any, price: float, k: int) -> None:
    lps = s.sc.agents.lps
    ledger = s.w.chain.ledger
    if price < float(lps.trigger_price):
        if s.below_since[sym] < 0:
            s.below_since[sym] = k
    else:
        s.below_since[sym] = -1
    bals = pool.balances
    share = bals[pool.coin_index(sym)] / max(
        sum(
            bals[i] * (10 ** (18 - s.w.stable_decimals) if c == s.w.stable else 1)
            for i, c in enumerate(pool.coins)
        ),
        1,
    )
    stressed = (
        s.below_since[sym] >= 0 and (k - s.below_since[sym]) * s.dt >= lps.trigger_duration
    ) or not (1 - float(lps.imbalance) <= share <= float(lps.imbalance))
    held = ledger.balance_of(pool.lp_token, LP)
    floor = int(s.w.lp_tokens0.get(pool.id, 0) * LP_FLOOR)
    if stressed:
        out = min(int(held * min(1.0, float(lps.withdraw_rate) * s.dt_h)), max(held - floor, 0))
        if out > 0 and s.attempt(sym, pool.remove_liquidity, out, [0] * pool.n_coins, sender=LP):
            s.lp_out.setdefault(pool.id, []).append(out)
        s.calm_since[sym] = k
    elif (k - s.calm_since[sym]) * s.dt >= lps.calm_return and s.lp_out.get(pool.id):
        returning = s.lp_out[pool.id].pop()  # LP tokens burned at the last withdrawal
        supply = max(pool.lp_supply(), 1)
        amounts = [
            min(ledger.balance_of(c, LP), b * returning // supply) for c, b in zip(pool.coins, bals)
        ]
        if min(amounts) > 0:
            s.attempt(sym, pool.add_liquidity, amounts, 0, sender=LP)


def lp_shocks(s: DollarPath, pool: Any, k: int) -> None:
    """Scheduled LP withdrawals and pool-depth shocks: LPs hold ``factor`` of their t0 tokens."""
    target = s.cond.pool_factor[k]
    for sh in s.sc.shocks:
        if sh.kind == "lp-withdraw" and (not sh.pools or pool.id in sh.pools):
            dur = sh.duration or (s.sc.horizon - sh.at) or s.dt
            start, stop = s.sc.step_of(sh.at), s.sc.step_of(sh.at + dur)
            if k > start:
                done = min(1.0, (k - start) / max(stop - start, 1))
                target *= 1.0 - float(sh.fraction) * done
    want = int(s.w.lp_tokens0.get(pool.id, 0) * target)
    held = s.w.chain.ledger.balance_of(pool.lp_token, LP)
    if held > want and target < 1.0:
        s.attempt(pool.coins[0], pool.remove_liquidity, held - want, [0] * pool.n_coins, sender=LP)
