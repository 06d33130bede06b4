"""V2: Terra, 7-13 May 2022, and the same run against an AI dollar (docs/validation.md §4).

Hourly, for 7 days:
1. the run: Anchor depositors withdraw 10% of the initial $14B a day for two days [P] and sell
   it on the UST pool; at all times UST holders (wallets and savings) sell ``5% x discount(%)``
   of their UST a day (docs/validation.md §3-4, cap 50%/day);
2. then twelve 5-minute rounds: the Luna Foundation Guard buys UST on the pool with its reserve
   while UST is below $0.99 [P: $3B, from 8 May]; arbitrage through the protocol buys UST on its
   pool, burns it for LUNA at the oracle price (the market module's spread applies; its virtual
   pool recovers over 36 blocks [P]) and sells the LUNA on its pool while the route pays (and the
   reverse route when UST is above $1); the oracle reports the LUNA pool's price.
Nothing is fitted; one path (the case has no random input: ``draws = 1``).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ....errors import PeglabError
from ....kernel import Chain
from ....protocols.amm import ConstantProductPool, StableSwapPool
from ....protocols.seigniorage import MarketParams, SavingsPool, SeigniorageMarket
from ....units import RAY, WAD
from ..core import Value
from ..market import best_size, marginal_rate
from .terra_ai_dollar import ai_dollar_under_run

__all__ = ["NAME", "ai_dollar_side", "run", "terra_path"]

NAME = "terra-2022-05"
HOURS = 7 * 24
UST_SUPPLY = 18_600_000_000  # [P]
ANCHOR = 14_000_000_000  # [P]
LUNA_PRICE = 86  # [P] 7 May
LUNA_SUPPLY = 350_000_000  # [O]
UST_POOL_SIDE = 500_000_000  # [O]
BASE_POOL_USD = 50_000_000  # [P] 50M SDT (kept in USD: [O])
RECOVERY_S = 36 * 6  # [P] pool_recovery_period: 36 blocks of ~6 s (May 2022)
ROUNDS_PER_HOUR = 12  # [O] arbitrage and oracle every 5 minutes
LFG_RESERVE_USD = 3_000_000_000  # [P] 80,394 BTC, > $3B, converted to UST from 8 May
LFG_DEFEND_BELOW = 0.99  # [O] the price below which the reserve buys
LUNA_POOL_USDC = 1_500_000_000  # [O]
ANCHOR_RUN_PER_DAY = 0.10  # [P] $14B -> $11.2B in two days
USDC = 10**6


def _exit_fraction_per_hour(price: float) -> float:
    """docs/validation.md §4 redeemer rule: 5% x discount in % per day, capped at 50%/day."""
    discount_pct = max(0.0, (1.0 - price) * 100.0)
    return min(0.5, 0.05 * discount_pct) / 24.0


def _build(
    ust_pool_side: int, base_pool_usd: int, recovery_s: int
) -> tuple[Chain, SeigniorageMarket, SavingsPool, StableSwapPool, ConstantProductPool]:
    chain = Chain(keep_log=False)
    led = chain.ledger
    led.create_token("USDC", 6)
    market = SeigniorageMarket(
        chain,
        price_wad=LUNA_PRICE * WAD,
        params=MarketParams(base_pool_usd_wad=base_pool_usd * WAD, recovery_s=recovery_s),
    )
    chain.grant(SeigniorageMarket.ORACLE_ROLE, "oracle", sender=chain.root)
    anchor = SavingsPool(chain, stable="UST", share="aUST")
    led.mint("UST", "depositors", ANCHOR * WAD)
    anchor.deposit(ANCHOR * WAD, sender="depositors")
    ust_pool = StableSwapPool(chain, "ss:UST/USDC", ["UST", "USDC"], 200)
    led.mint("UST", "lp", ust_pool_side * WAD)
    led.mint("USDC", "lp", ust_pool_side * USDC)
    ust_pool.add_liquidity([ust_pool_side * WAD, ust_pool_side * USDC], 0, sender="lp")
    led.mint("UST", "holders", (UST_SUPPLY - ANCHOR - ust_pool_side) * WAD)
    luna_pool = ConstantProductPool(chain, "cp:LUNA/USDC", "LUNA", "USDC")
    pool_luna = LUNA_POOL_USDC * WAD // LUNA_PRICE
    led.mint("LUNA", "lp", pool_luna)
    led.mint("USDC", "lp", LUNA_POOL_USDC * USDC)
    if luna_pool.token0 == "LUNA":
        luna_pool.mint(pool_luna, LUNA_POOL_USDC * USDC, sender="lp")
    else:
        luna_pool.mint(LUNA_POOL_USDC * USDC, pool_luna, sender="lp")
    led.mint("LUNA", "luna-holders", LUNA_SUPPLY * WAD - pool_luna)
    return chain, market, anchor, ust_pool, luna_pool


def _arbitrage(
    chain: Chain,
    market: SeigniorageMarket,
    ust_pool: StableSwapPool,
    luna_pool: ConstantProductPool,
) -> None:
    """Route USDC -> UST (pool) -> LUNA (burn) -> USDC (pool) while it pays, or the reverse."""
    led = chain.ledger

    def down(x: int) -> int:  # USDC in, USDC out, buying cheap UST
        if x <= 0:
            return 0
        try:
            ust = ust_pool.quote_exact_in("USDC", x, "UST")
            luna = market.quote_stable_for_native(ust)
            return luna_pool.quote_exact_in("LUNA", luna, "USDC") if luna else 0
        except PeglabError:
            return 0

    def up(x: int) -> int:  # USDC in, USDC out, selling dear UST
        if x <= 0:
            return 0
        try:
            luna = luna_pool.quote_exact_in("USDC", x, "LUNA")
            ust = market.quote_native_for_stable(luna)
            return ust_pool.quote_exact_in("UST", ust, "USDC") if ust else 0
        except PeglabError:
            return 0

    probe = 100_000 * USDC
    cap = 5_000_000_000 * USDC
    x = best_size(down, cap, probe)
    if x:
        led.mint("USDC", "arb", x)
        ust = ust_pool.swap_exact_in("USDC", x, 0, sender="arb", token_out="UST")
        luna = market.swap_stable_for_native(ust, sender="arb")
        luna_pool.swap_exact_in("LUNA", luna, 0, sender="arb", token_out="USDC")
        return
    x = best_size(up, cap, probe)
    if x:
        led.mint("USDC", "arb", x)
        luna = luna_pool.swap_exact_in("USDC", x, 0, sender="arb", token_out="LUNA")
        ust = market.swap_native_for_stable(luna, sender="arb")
        ust_pool.swap_exact_in("UST", ust, 0, sender="arb", token_out="USDC")


def _defend(chain: Chain, ust_pool: StableSwapPool, reserve: list[int]) -> None:
    """The LFG buys UST with its reserve (USDC units) until the pool pays at most
    ``1 / LFG_DEFEND_BELOW`` UST per USDC again, or the reserve is spent."""
    if reserve[0] <= 0:
        return

    def ust_bought(x: int) -> int:  # in USDC units, so the probe compares like with like
        if x <= 0:
            return 0
        try:
            return ust_pool.quote_exact_in("USDC", x, "UST") // 10**12
        except PeglabError:
            return 0

    x = best_size(ust_bought, reserve[0], 1_000 * USDC, 1.0 / LFG_DEFEND_BELOW - 1.0)
    if x:
        chain.ledger.mint("USDC", "lfg", x)  # the reserve's BTC sold outside for USDC
        ust_pool.swap_exact_in("USDC", x, 0, sender="lfg", token_out="UST")
        reserve[0] -= x


def _sell(chain: Chain, pool: StableSwapPool, who: str, amount: int) -> None:
    if amount > 0:
        try:
            pool.swap_exact_in("UST", amount, 0, sender=who, token_out="USDC")
        except PeglabError:  # the pool has nothing left to pay: the sale fails
            pass


def terra_path(
    ust_pool_side: int = UST_POOL_SIDE,
    base_pool_usd: int = BASE_POOL_USD,
    *,
    recovery_s: int = RECOVERY_S,
    rounds_per_hour: int = ROUNDS_PER_HOUR,
    reserve_usd: int = LFG_RESERVE_USD,
) -> tuple[np.ndarray, np.ndarray, float]:
    """Hourly UST price, LUNA price, and LUNA supply multiple at the end.

    The arguments exist for the sensitivities of docs/validation.md §8 (never for the verdict,
    which uses the defaults fixed before the run); ``recovery_s=86_400, rounds_per_hour=1,
    reserve_usd=0`` is the first version of the case.
    """
    chain, market, anchor, ust_pool, luna_pool = _build(ust_pool_side, base_pool_usd, recovery_s)
    led = chain.ledger
    reserve = [reserve_usd * USDC]
    ust_px = [marginal_rate(chain, ust_pool, "UST", "USDC", 0, 1000)]
    luna_px = [float(LUNA_PRICE)]
    per_hour = ANCHOR * WAD * int(ANCHOR_RUN_PER_DAY * 1000) // 1000 // 24
    for hour in range(HOURS):
        frac = _exit_fraction_per_hour(ust_px[-1])
        shares = led.balance_of("aUST", "depositors")
        run_shares = shares * int(frac * 1e9) // 10**9
        if hour < 48:  # the Anchor run [P]: 10% of the initial deposits a day
            run_shares += min(shares - run_shares, per_hour * RAY // anchor.state.rate_ray)
        if run_shares:
            _sell(chain, ust_pool, "depositors", anchor.withdraw(run_shares, sender="depositors"))
        held = led.balance_of("UST", "holders")
        _sell(chain, ust_pool, "holders", held * int(frac * 1e9) // 10**9)
        luna = luna_px[-1]
        for _ in range(rounds_per_hour):
            chain.advance(3600 // rounds_per_hour)
            _defend(chain, ust_pool, reserve)
            _arbitrage(chain, market, ust_pool, luna_pool)
            luna = marginal_rate(chain, luna_pool, "LUNA", "USDC", 0, 1)
            if luna > 0:
                market.set_price(max(1, round(luna * 1e9)) * 10**9, sender="oracle")
        ust_px.append(marginal_rate(chain, ust_pool, "UST", "USDC", 0, 1000))
        luna_px.append(luna)
    multiple = led.total_supply("LUNA") / (LUNA_SUPPLY * WAD)
    return np.asarray(ust_px), np.asarray(luna_px), multiple


def ai_dollar_side(prices: list[float] | None = None) -> dict[str, float | bool]:
    """The AI dollar under the same run as UST (``terra_ai_dollar``): backed, lowest price;
    ``prices`` (if given) receives its hourly pool price."""
    return ai_dollar_under_run(
        HOURS, ANCHOR_RUN_PER_DAY, ANCHOR / UST_SUPPLY, _exit_fraction_per_hour, prices
    )


def run(draw: int, seed: np.random.SeedSequence) -> Mapping[str, Value]:
    """The deterministic case (``draw`` and ``seed`` unused)."""
    ust, _, multiple = terra_path()
    ai = ai_dollar_side()
    return {
        "ust_below_half_in_5_days": bool(ust[: 5 * 24 + 1].min() < 0.5),
        "ust_8_may": float(ust[24]),
        "ust_10_may": float(ust[72]),
        "ust_11_may": float(ust[96]),
        "luna_supply_multiple": multiple,
        "ai_dollar_backed": ai["backed"],
        "ai_dollar_min_price": ai["min_price"],
    }
