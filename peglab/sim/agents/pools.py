"""Agents around each AI dollar's peg pool: panic sellers and LPs (docs/risk-spec.md §4).

Before the arbitrageur trades (``sim.agents.arbitrage``), scheduled LP withdrawals and pool-depth
shocks apply and panic sellers dump AI dollars into the pool while it trades below their trigger;
after it, LPs leave stressed pools and return after calm, keeping at least ``LP_FLOOR`` of their
t0 position [O].
"""

from __future__ import annotations

from typing import Any

from ...errors import PeglabError
from ...units import WAD
from ..families.ai_dollar.state import DollarPath
from ..world import HOLDERS, LP

__all__ = ["LP_FLOOR", "lp_shocks", "lps", "panic", "pool_price", "settle"]

LP_FLOOR = 0.05  # [O] LPs keep at least this share of their t0 position (as the float model)


def panic(s: DollarPath, sym: str, k: int) -> None:
    """Before arbitrage: scheduled LP withdrawals, depth shocks and panic sellers on the peg pool."""
    pool = s.peg_pool.get(sym)
    if pool is None:
        return
    lp_shocks(s, pool, k)
    ps = s.sc.agents.panic_sellers
    if ps.enabled and pool_price(s, pool, sym) < float(ps.trigger_price):
        amount = int(
            s.w.chain.ledger.balance_of(sym, HOLDERS) * min(1.0, float(ps.sell_rate) * s.dt_h)
        )
        if amount > 0:
            s.attempt(sym, pool.swap_exact_in, sym, amount, 0, sender=HOLDERS)


def settle(s: DollarPath, d_i: int, sym: str, k: int) -> None:
    """After arbitrage: LPs act on the peg pool and the peg is recorded (pool price x USDC)."""
    w = s.w
    pool = s.peg_pool.get(sym)
    usd = float(s.prices[k, s.asset_index[w.stable]]) if w.stable else 1.0
    if pool is None:
        s.peg[d_i, k] = usd
        return
    lps(s, sym, pool, pool_price(s, pool, sym), k)
    s.peg[d_i, k] = pool_price(s, pool, sym) * usd


def pool_price(s: DollarPath, pool: Any, sym: str) -> float:
    """Marginal price of the AI dollar in reference stablecoin (a small exact quote).

    The quote is a function of the pool's balances, fee and amplification alone (its rates are
    fixed), so it is remembered per pool and per symbol and reused while those three are
    unchanged (``s.price_memo``)."""
    w = s.w
    balances = pool.balances
    key = (balances, pool.fee, pool.A())
    memo = s.price_memo.get((pool.id, sym))
    if memo is not None and memo[0] == key:
        return memo[1]
    probe = max(balances[pool.coin_index(sym)] // 100_000, WAD)
    try:
        out = pool.quote_exact_in(sym, probe, w.stable)
    except PeglabError:
        price = 0.0
    else:
        price = float(out / 10**w.stable_decimals / (probe / WAD) / (1.0 - pool.fee / 1e10))
    s.price_memo[(pool.id, sym)] = (key, price)
    return price


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
