"""Agents on the exact engine: purchases sized by the pool's price."""

from __future__ import annotations

from support.market import SMALL, started

from peglab.risk.library import load_scenario
from peglab.sim.agents.dealer import buy_dollars, max_price, pool_buy_size
from peglab.sim.families.ai_dollar.run import AiDollarRun
from peglab.sim.world import MARKET


def _started() -> AiDollarRun:
    return started(load_scenario(SMALL))[1]


def test_pool_buy_size__budget_too_large__largest_purchase_within_cap() -> None:
    s = _started().s
    pool, to18 = s.peg_pool["tUSD"], 10**12
    cash = 10**12 * 10**6  # far more than the pool can sell below the cap
    size, out = pool_buy_size(s, "tUSD", pool, cash)
    assert 0 < size < cash and size * to18 <= max_price(s) * out  # within the cap
    more = size + size // 100
    assert more * to18 > max_price(s) * pool.quote_exact_in("USDC", more, "tUSD")  # 1% more tops it
    assert pool_buy_size(s, "tUSD", pool, size // 2)[0] == size // 2  # a small budget buys in full


def test_buy_dollars__large_budget__buys_part_instead_of_nothing() -> None:
    s = _started().s
    ledger = s.w.chain.ledger
    ledger.transfer("USDC", MARKET, "whale", 10**7 * 10**6)
    got = buy_dollars(s, "tUSD", "whale", 10**7)  # 10M USD against a 600k pool
    assert got > 0 and ledger.balance_of("USDC", "whale") > 0  # bought some, kept the rest
