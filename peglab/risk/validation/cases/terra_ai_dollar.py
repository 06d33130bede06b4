"""V2, the other side: the Terra run against an AI dollar (a CDP dollar, no native-token mint).

An AI dollar with 500M of debt against an AI token at 200% (engine ``peglab.protocols.cdp``,
``native_ai_token`` preset, the token's price held at $1: the run is on the dollar, not on the
token), 100M + 100M on its StableSwap pool against USDC. Its holders run like UST's: the savers'
share (Anchor's share of UST, 75%) sells 10% of its initial holding a day for two days, and every
holder sells ``5% x discount(%)`` a day. Borrowers buy the dollar back below 0.99 and repay their
debt (deleveraging); nothing is minted against the peg. The pass criterion (docs/validation.md §4):
every outstanding AI dollar stays backed by at least $1 of collateral.
"""

from __future__ import annotations

from collections.abc import Callable

from ....kernel import Chain
from ....protocols.amm import StableSwapPool
from ....protocols.cdp import AIDollarSpec, CollateralSpec, Launchpad, PriceFeed, native_ai_token
from ....units import WAD
from ..market import arb_size, marginal_rate

__all__ = ["ai_dollar_under_run"]

DEBT = 500_000_000
POOL_SIDE = 100_000_000
USDC = 10**6


def ai_dollar_under_run(
    hours: int,
    run_per_day: float,
    savers_share: float,
    exit_fraction_per_hour: Callable[[float], float],
    prices: list[float] | None = None,
) -> dict[str, float | bool]:
    """Run the AI dollar through the same hourly run; its backing and its lowest price.

    ``prices``, when given, receives the pool price at the start and after every hour.
    """
    chain = Chain(keep_log=False)
    led = chain.ledger
    led.create_token("AIT", 18)
    led.create_token("USDC", 6)
    feed = PriceFeed(chain, "AIT", WAD)
    chain.grant(feed.role, "oracle", sender=chain.root)
    pad = Launchpad(chain)
    inst = pad.create_ai_usd(
        AIDollarSpec(
            "aiUSD",
            "ai",
            1_000_000_000,
            (CollateralSpec("AIT-A", "AIT", native_ai_token(1_000_000_000), feed),),
            admin="ai-dao",
        ),
        sender=chain.root,
    )
    coll = 2 * DEBT * WAD  # 200% at $1
    led.mint("AIT", "borrowers", coll)
    vault = inst.open_vault("AIT-A", sender="borrowers")
    inst.deposit(vault, coll, sender="borrowers")
    inst.mint(vault, DEBT * WAD, sender="borrowers")
    pool = StableSwapPool(chain, "ss:aiUSD/USDC", ["aiUSD", "USDC"], 200)
    led.mint("USDC", "lp", POOL_SIDE * USDC)
    led.transfer("aiUSD", "borrowers", "lp", POOL_SIDE * WAD)
    pool.add_liquidity([POOL_SIDE * WAD, POOL_SIDE * USDC], 0, sender="lp")
    rest = (DEBT - POOL_SIDE) * WAD
    savers = int(rest * savers_share)
    led.transfer("aiUSD", "borrowers", "savers", savers)
    led.transfer("aiUSD", "borrowers", "holders", rest - savers)
    per_hour = int(savers * run_per_day) // 24
    price = marginal_rate(chain, pool, "aiUSD", "USDC", 0, 1000)
    low, backed = price, True
    if prices is not None:
        prices.append(price)
    for hour in range(hours):
        chain.advance(3600)
        frac = exit_fraction_per_hour(price)
        for who in ("savers", "holders"):
            bal = led.balance_of("aiUSD", who)
            amount = min(bal, int(bal * frac) + (per_hour if who == "savers" and hour < 48 else 0))
            if amount > 0:
                pool.swap_exact_in("aiUSD", amount, 0, sender=who, token_out="USDC")
        # borrowers buy back below 0.99 and repay
        dx = arb_size(chain, pool, "USDC", "aiUSD", 1 / 0.99, 200_000_000 * USDC)
        if dx:
            led.mint("USDC", "borrowers", dx)
            got = pool.swap_exact_in("USDC", dx, 0, sender="borrowers", token_out="aiUSD")
            owed = inst.vault(vault).debt_wad
            dust = inst.ilk("AIT-A").dust_rad // 10**27
            if min(got, owed - dust) > 0:
                inst.repay(vault, min(got, owed - dust), sender="borrowers")
        debt = inst.total_debt_wad
        coll_value = inst.vault(vault).collateral_value_wad
        backed = backed and (debt == 0 or coll_value >= debt)
        price = marginal_rate(chain, pool, "aiUSD", "USDC", 0, 1000)
        low = min(low, price)
        if prices is not None:
            prices.append(price)
    return {"backed": backed, "min_price": low}
