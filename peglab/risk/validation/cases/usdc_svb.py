"""V3: USDC / SVB, 10-13 March 2023 (docs/validation.md §5). Deterministic; nothing fitted.

Part 1, the 3pool: the engine's StableSwap at A = 2000 with $1B in equal shares; each hour the
external USDC (and DAI, which followed USDC through its PSM) price moves along the published
anchors and an arbitrageur sells USDC and DAI for USDT in the pool while the pool pays more than
their external price, and buys them back while it pays less. The USDT share at the USDC low is
the target; the interval is the equilibrium share at the two ends of the published low range.

Part 2, an AI dollar with a USDC PSM and an AI-dollar/USDT pool: arbitrageurs buy USDC outside,
sell it into the PSM for AI dollars and sell those on the pool while that pays more than USDC
costs (and the reverse: buy AI dollars on the pool, redeem USDC from the PSM). With the PSM's
off-peg guard off the AI dollar imports the USDC depeg; with it on, minting halts below 0.98.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ....errors import PeglabError
from ....kernel import Chain
from ....protocols.amm import StableSwapPool
from ....protocols.cdp import AIDollarSpec, Launchpad, PriceFeed, PsmSpec
from ....units import WAD
from ..core import Value
from ..market import arb_size, marginal_rate, one

__all__ = ["NAME", "equilibrium_usdt_share", "run", "usdc_path"]

NAME = "usdc-svb-2023-03"
HOURS = 84
LOW, LOW_HIGH_END, LOW_HOUR = 0.8774, 0.90, 36  # [P] low 0.8774 (11 Mar); 0.88-0.90 range
ARB = "arbitrageur"


def usdc_path(low: float = LOW) -> np.ndarray:
    """Hourly USDC price: 1.00 -> ``low`` at 36 h -> 1.00 at 84 h, log-linear between anchors."""
    t = np.arange(HOURS + 1, dtype=np.float64)
    logp = np.interp(t, [0, LOW_HOUR, HOURS], [0.0, np.log(low), 0.0])
    return np.asarray(np.exp(logp))


def _three_pool() -> tuple[Chain, StableSwapPool]:
    chain = Chain(keep_log=False)
    for sym, dec in (("DAI", 18), ("USDC", 6), ("USDT", 6)):
        chain.ledger.create_token(sym, dec)
    pool = StableSwapPool(chain, "3pool", ["DAI", "USDC", "USDT"], 2000, fee=1_000_000)
    each = 1_000_000_000 // 3
    amounts = [each * one(chain, c) for c in pool.coins]
    for c, a in zip(pool.coins, amounts, strict=True):
        chain.ledger.mint(c, "lp", a)
    pool.add_liquidity(amounts, 0, sender="lp")
    return chain, pool


def _arb_3pool(chain: Chain, pool: StableSwapPool, price: float) -> None:
    """Sell USDC and DAI (worth ``price``) for USDT while the pool pays more; buy back if less."""
    for coin in ("USDC", "DAI"):
        dx = arb_size(chain, pool, coin, "USDT", price, 400_000_000 * one(chain, coin))
        if dx:
            chain.ledger.mint(coin, ARB, dx)  # bought outside at the external price
            pool.swap_exact_in(coin, dx, 0, sender=ARB, token_out="USDT")
            continue
        dy = arb_size(chain, pool, "USDT", coin, 1.0 / price, 400_000_000 * one(chain, "USDT"))
        if dy:
            chain.ledger.mint("USDT", ARB, dy)
            pool.swap_exact_in("USDT", dy, 0, sender=ARB, token_out=coin)


def _share(pool: StableSwapPool, coin: str) -> float:
    xp = pool.xp()
    return xp[pool.coins.index(coin)] / sum(xp)


def equilibrium_usdt_share(price: float) -> float:
    """USDT share of the fresh 3pool once arbitrage has priced USDC and DAI at ``price``."""
    chain, pool = _three_pool()
    for _ in range(4):  # USDC and DAI interact through the shared USDT side: iterate
        _arb_3pool(chain, pool, price)
    return _share(pool, "USDT")


def _ai_dollar(guard: bool) -> tuple[Chain, object, StableSwapPool, PriceFeed]:
    chain = Chain(keep_log=False)
    chain.ledger.create_token("USDC", 6)
    chain.ledger.create_token("USDT", 6)
    feed = PriceFeed(chain, "USDC", WAD)
    chain.grant(feed.role, "oracle", sender=chain.root)
    pad = Launchpad(chain)
    line = 25_000_000
    spec = PsmSpec("USDC", line, price=feed if guard else None, flow_cap=None if guard else line)
    inst = pad.create_ai_usd(
        AIDollarSpec("aiUSD", "ai", 100_000_000, (), admin="ai-dao", psm=spec),
        sender=chain.root,
    )
    psm = inst.psm
    assert psm is not None
    # seed the pool: 10M aiUSD minted through the PSM (over a few days of the flow cap) + 10M USDT
    seed = 10_000_000
    chain.ledger.mint("USDC", "lp", seed * 10**6)
    for _ in range(seed // 2_000_000):
        psm.sell_gem(2_000_000 * 10**6, sender="lp")
        chain.advance(86_400)
    chain.ledger.mint("USDT", "lp", seed * 10**6)
    pool = StableSwapPool(chain, "ss:aiUSD/USDT", ["aiUSD", "USDT"], 200)
    pool.add_liquidity([chain.ledger.balance_of("aiUSD", "lp"), seed * 10**6], 0, sender="lp")
    return chain, inst, pool, feed


def _arb_psm(chain: Chain, inst: object, pool: StableSwapPool, price: float) -> None:
    psm = inst.psm  # type: ignore[attr-defined]
    tin = psm.state.tin_wad / WAD
    tout = psm.state.tout_wad / WAD
    # mint direction: USDC (cost price) -> PSM -> aiUSD -> pool -> USDT
    room = max(0, psm.state.flow_cap_wad - psm.state.net_in_wad) // WAD
    cap = int(min(room, 20_000_000) * (1 - tin)) * WAD
    dx = arb_size(chain, pool, "aiUSD", "USDT", price / (1 - tin), cap)
    if dx:
        gem = -(-dx * 10**6 // int(WAD * (1 - tin)))  # USDC in 6 decimals, rounded up
        chain.ledger.mint("USDC", ARB, gem)
        try:
            got = psm.sell_gem(gem, sender=ARB)
        except PeglabError:  # guard, flow cap: the arbitrage stops here
            return
        pool.swap_exact_in("aiUSD", got, 0, sender=ARB, token_out="USDT")
        return
    # redeem direction: USDT -> pool -> aiUSD -> PSM -> USDC (worth price)
    dy = arb_size(chain, pool, "USDT", "aiUSD", (1 + tout) / price, 20_000_000 * 10**6)
    if dy:
        chain.ledger.mint("USDT", ARB, dy)
        got = pool.swap_exact_in("USDT", dy, 0, sender=ARB, token_out="aiUSD")
        gem = got * WAD // (WAD + psm.state.tout_wad) // 10**12
        if gem:
            try:
                psm.buy_gem(gem, sender=ARB)
            except PeglabError:
                return


def ai_dollar_low(guard: bool, path: np.ndarray) -> float:
    """Lowest marginal aiUSD price (in USDT) on its pool over the path."""
    chain, inst, pool, feed = _ai_dollar(guard)
    low = 1.0
    for price in path:
        chain.advance(3600)
        feed.set_price(round(float(price) * 1e9) * 10**9, sender="oracle")
        for _ in range(3):
            _arb_psm(chain, inst, pool, float(price))
        low = min(low, marginal_rate(chain, pool, "aiUSD", "USDT", 0, 1000))
    return low


def run(draw: int, seed: np.random.SeedSequence) -> Mapping[str, Value]:
    """The deterministic case (``draw`` and ``seed`` unused)."""
    path = usdc_path()
    chain, pool = _three_pool()
    share_at_low = 1.0
    for hour, price in enumerate(path):
        _arb_3pool(chain, pool, float(price))
        if hour == LOW_HOUR:
            share_at_low = _share(pool, "USDT")
    usdc_low = float(path.min())
    return {
        "usdt_share_at_low": share_at_low,
        "usdt_share_low_range_hi": equilibrium_usdt_share(LOW_HIGH_END),
        "ai_off_gap": ai_dollar_low(False, path) - usdc_low,
        "ai_on_low": ai_dollar_low(True, path),
    }
