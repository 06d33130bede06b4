"""The shared part of one exact run: chain, tokens, feeds, staking pools, the external market, pools.

Families build their own protocols on this world (``Family.build``); the runner then seeds the
scenario's pools (:meth:`World.seed_pools`) and, each step, publishes prices to the feeds
(:meth:`World.publish_prices`). Conversions from the scenario's sampled floats into the engine's
integers happen once, as ``to_wad(x) = int(x * 1e18)`` (deterministic; relative error ~1e-16).

Accounts [O] (docs/risk-lab.md "The exact runner"):
- ``market`` is the external market (CEX/DEX aggregate): it holds ample reference stablecoin,
  buys collateral at the exit bid of docs/risk-spec.md §5 and sells what agents buy;
- ``holders`` holds every family-issued token that circulates (a borrower sells what it mints);
- ``lp`` seeds each pool with half its depth per coin: family tokens taken from ``holders``
  (never more than they hold), reference stablecoins from ``market``, other tokens minted;
- ``oracle`` reports prices, ``operator`` pokes, drips and heals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..kernel import Chain
from ..protocols.amm import AmmFactory, ConstantProductPool
from ..protocols.cdp import PriceFeed, StakingPool
from ..units import WAD
from .conditions import Conditions
from .scenario import Scenario
from .venue import Venue

__all__ = [
    "HOLDERS",
    "LP",
    "MARKET",
    "OPERATOR",
    "ORACLE",
    "START_TIME",
    "World",
    "build_world",
    "to_wad",
]

ORACLE = "oracle"
MARKET = "market"
HOLDERS = "holders"
LP = "lp"
OPERATOR = "operator"
START_TIME = 1_700_006_400  # a whole hour, so OSM hops align with steps
_MARKET_STABLE = 10**15  # reference stablecoins the external market can pay out (whole units)


def to_wad(x: float) -> int:
    """A float amount or price as wad (deterministic truncation)."""
    return int(x * 1e18)


@dataclass
class World:
    """Everything families share in one run, built by :func:`build_world`."""

    sc: Scenario
    cond: Conditions
    chain: Chain
    feeds: dict[str, PriceFeed]
    staking: dict[str, StakingPool]
    stable: str | None
    stable_decimals: int
    venue: Venue
    amm: AmmFactory | None = None
    pools: dict[str, Any] = field(default_factory=dict)  # pool id -> deployed pool
    lp_tokens0: dict[str, int] = field(default_factory=dict)  # pool id -> LP tokens of ``lp``
    issued: set[str] = field(default_factory=set)  # tokens issued by families (held by holders)
    # what families of one path share, by a key the producer chooses (e.g. the GPU economy's
    # draws, so two credit families face the same GPU path: sim.families.credit)
    shared: dict[Any, Any] = field(default_factory=dict)

    def stable_units(self, usd: float) -> int:
        """``usd`` in base units of the reference stablecoin (truncated, never negative)."""
        return int(max(usd, 0.0) * 10**self.stable_decimals)

    def publish_prices(self, k: int) -> None:
        """Reporters publish step ``k``'s market prices, unless an oracle shock freezes (no
        update), stales (an outage) or manipulates (``price * (1 + size)``) them; scheduled
        slashing hits staking pools."""
        idx, cond = self.sc.asset_index, self.cond
        for sym, feed in self.feeds.items():
            a = idx[sym]
            mode = cond.modes[k, a]
            p = float(self.venue.realised[k, a])  # what the market produced
            if mode == 1:
                continue  # frozen: the reporters stop updating
            if mode == 2:
                feed.set_price(0, ok=False, sender=ORACLE)
            else:
                if mode == 3:
                    p *= 1.0 + float(cond.msize[k, a])
                feed.set_price(max(to_wad(p), 1), sender=ORACLE)
        for sh in self.sc.shocks:
            if sh.kind == "slash" and self.sc.step_of(sh.at) == k:
                self.staking[sh.asset].slash(to_wad(float(sh.size)), sender=self.chain.root)

    def seed_pools(self) -> None:
        """Deploy and seed the scenario's pools at t0 prices (after every family is built)."""
        sc, chain = self.sc, self.chain
        ledger, idx = chain.ledger, sc.asset_index
        prices0 = self.cond.prices[0]
        amm = self.amm = AmmFactory(chain)

        def units(token: str, usd: float) -> int:
            if token in self.issued:
                return min(to_wad(usd), ledger.balance_of(token, HOLDERS))
            if token == self.stable:
                return int(usd * 10**self.stable_decimals)
            return to_wad(usd / float(prices0[idx[token]]))

        for p in sc.system.pools:
            half = float(p.depth_usd) / 2
            amounts = [units(t, half) for t in p.coins]
            if min(amounts) <= 0:
                continue
            for t, a in zip(p.coins, amounts):
                if t in self.issued:
                    chain.transfer(t, LP, a, sender=HOLDERS)
                elif t == self.stable:
                    ledger.transfer(t, MARKET, LP, a)
                else:
                    ledger.mint(t, LP, a)
            if p.kind == "stableswap":
                ss = amm.deploy_stableswap(
                    list(p.coins),
                    p.A,
                    fee=int(Decimal(p.fee_bps) * 10**6),
                    pool_id=p.id,
                    sender=chain.root,
                )
                self.lp_tokens0[p.id] = ss.add_liquidity(amounts, 0, sender=LP)
                self.pools[p.id] = ss
            else:
                cp = amm.deploy_constant_product(
                    p.coins[0], p.coins[1], pool_id=p.id, fee_bps=int(p.fee_bps), sender=chain.root
                )
                amt = dict(zip(p.coins, amounts))
                self.lp_tokens0[p.id] = cp.mint(amt[cp.coins[0]], amt[cp.coins[1]], sender=LP)
                self.pools[p.id] = cp

    def pool_reserves(self) -> dict[str, float]:
        """Every pool's reserve of each coin in tokens, keyed ``<pool id>:<coin>``."""
        ledger = self.chain.ledger
        out: dict[str, float] = {}
        for pid, pool in self.pools.items():
            cp = isinstance(pool, ConstantProductPool)
            held = pool.get_reserves()[:2] if cp else pool.balances
            for coin, units in zip(pool.coins, held, strict=True):
                out[f"{pid}:{coin}"] = units / 10 ** ledger.token(coin).decimals
        return out


def build_world(sc: Scenario, cond: Conditions) -> World:
    """The chain with every asset of ``sc`` as a token with a feed at t0 prices, staking pools for
    derivatives, and the external market's reference stablecoins."""
    chain = Chain(start_time=START_TIME, keep_log=False)
    ledger = chain.ledger
    idx = sc.asset_index
    prices0 = cond.prices[0]
    stable = next((a.symbol for a in sc.assets if a.kind == "stable"), None)
    feeds: dict[str, PriceFeed] = {}
    staking: dict[str, StakingPool] = {}
    for a in sc.assets:
        if a.kind == "derivative":
            continue
        ledger.create_token(a.symbol, 6 if a.kind == "stable" else 18)
        feeds[a.symbol] = PriceFeed(chain, a.symbol, to_wad(float(prices0[idx[a.symbol]])))
        chain.grant(feeds[a.symbol].role, ORACLE, sender=chain.root)
    for a in sc.assets:
        if a.kind == "derivative":
            assert a.underlying is not None
            pool = StakingPool(chain, a.underlying, a.symbol)
            seed = 10**9 * WAD
            ledger.mint(
                a.underlying, "staking-seed", seed + int(seed * (float(a.exchange_rate) - 1.0))
            )
            pool.stake(seed, sender="staking-seed")
            extra = ledger.balance_of(a.underlying, "staking-seed")
            if extra:
                pool.add_rewards(extra, sender="staking-seed")
            staking[a.symbol] = pool
    stable_decimals = 6 if stable else 18
    if stable:
        ledger.mint(stable, MARKET, _MARKET_STABLE * 10**stable_decimals)
    return World(sc, cond, chain, feeds, staking, stable, stable_decimals, Venue(sc, cond))
