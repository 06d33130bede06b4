"""Build the exact engine's world for one scenario run: tokens, feeds, AI dollars, vaults, pools.

Conversions from the scenario's decimals and the sampled floats into the engine's integers happen
here, once: prices and USD amounts enter as ``to_wad(x) = int(x * 1e18)`` (deterministic; relative
error ~1e-16), collateral parameters through ``exact_collateral_params`` (exact decimal text).

Who holds what at t0 [O]:
- each vault belongs to its own borrower account, funded with exactly the collateral it locks;
  the AI dollars it mints go to ``holders`` (the market of AI-dollar holders), as a borrower sells
  them; borrowers keep a USDC ``budget`` (risk.md §4: 20% of collateral value) for top-ups and
  repayments;
- pools are seeded by ``lp`` with half their depth in each coin, AI dollars taken from ``holders``
  (never more than they hold), reference stablecoins and AI tokens minted to ``lp``;
- ``market`` is the external market (CEX/DEX aggregate): it holds ample reference stablecoin and
  AI tokens, buys collateral from keepers at the exit bid of risk.md §5 and sells top-up collateral;
- keepers hold USDC capital and buy AI dollars (PSM first, pool second) inside the take callback.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np

from ..kernel import Chain
from ..math import apr_to_duty
from ..protocols.amm import AmmFactory
from ..protocols.cdp import (
    AIDollar,
    AIDollarSpec,
    CollateralParams,
    CollateralSpec,
    DerivativeValuation,
    Launchpad,
    PriceFeed,
    StakingPool,
)
from ..protocols.cdp.psm import PsmSpec
from ..units import WAD
from .scenario import Scenario, draw_vaults, exact_collateral_params

__all__ = ["ORACLE", "VaultBook", "World", "build_world", "to_wad"]

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
class VaultBook:
    """The vaults of one collateral type, with their borrowers' plans (numpy, aligned by index)."""

    dollar: AIDollar
    ilk: str
    token: str
    asset: int  # index into the scenario's assets (the priced asset: underlying for derivatives)
    ids: list[int]
    owners: list[str]
    target: np.ndarray  # target collateral ratio per vault
    active: np.ndarray  # still open and not fully liquidated
    unsafe_since: dict[int, int] = field(default_factory=dict)
    keeper: str = ""
    capital_usd: float = 0.0
    release: dict[int, float] = field(default_factory=dict)
    latencies: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    d10_usd: float = 1e30
    er: float = 1.0  # exchange rate for derivatives (collateral units -> priced asset units)


@dataclass
class World:
    """Everything one run needs, built by :func:`build_world`."""

    sc: Scenario
    chain: Chain
    launchpad: Launchpad
    amm: AmmFactory
    feeds: dict[str, PriceFeed]
    staking: dict[str, StakingPool]
    dollars: dict[str, AIDollar]
    books: list[VaultBook]
    stable: str | None
    stable_decimals: int
    peg_pool: dict[str, Any]  # AI dollar -> its pool against the reference stablecoin
    lp_tokens0: dict[str, int]  # pool id -> LP tokens held by ``lp`` at t0
    initial_debt_usd: dict[str, float]


def _params(c: Any, d10: float) -> CollateralParams:
    p = exact_collateral_params(c)
    hole = p["hole_rad"] if p["hole_rad"] is not None else to_wad(0.5 * d10) * 10**27
    return CollateralParams(
        mat_ray=p["mat_ray"], chop_wad=p["chop_wad"], duty_ray=apr_to_duty(p["apr"]),
        line_rad=p["line_rad"], dust_rad=p["dust_rad"], hole_rad=hole, buf_ray=p["buf_ray"],
        calc=p["calc"], step_s=p["step_s"], cut_ray=p["cut_ray"], tau_s=p["tau_s"],
        cusp_ray=p["cusp_ray"], tail_s=p["tail_s"], chip_wad=p["chip_wad"], tip_rad=p["tip_rad"],
        hop_s=p["hop_s"], max_age_s=p["max_age_s"],
        # English auctions (legacy Flipper): the scenario's ``tau`` is the bid duration (flip ttl;
        # 10 min on Black Thursday) and an auction lives at most 6 h (flip tau then) [risk.md V1]
        auction=c.auction, ttl_s=c.tau, flip_tau_s=max(6 * 3600, c.tau),
    )  # fmt: skip


def build_world(sc: Scenario, prices0: np.ndarray, rng: np.random.Generator) -> World:
    """Create the chain and every protocol of ``sc`` at the t0 prices ``prices0`` (one per asset)."""
    chain = Chain(start_time=START_TIME, keep_log=False)
    ledger = chain.ledger
    idx = sc.asset_index
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

    pad = Launchpad(chain)
    dollars: dict[str, AIDollar] = {}
    specs: dict[str, dict[str, Any]] = {}
    for dol in sc.system.ai_dollars:
        colls = []
        for c in dol.collaterals:
            asset = sc.asset(c.asset)
            d10 = float(asset.d10_usd) if asset.d10_usd is not None else 1e30
            params = _params(c, d10)
            if asset.kind == "derivative":
                assert asset.underlying is not None
                val = DerivativeValuation(
                    staking[asset.symbol], haircut_wad=to_wad(float(c.haircut))
                )
                colls.append(
                    CollateralSpec(
                        c.ilk,
                        asset.symbol,
                        params,
                        feeds[asset.underlying],
                        kind="derivative",
                        underlying=asset.underlying,
                        valuation=val,
                    )
                )
            else:
                colls.append(CollateralSpec(c.ilk, asset.symbol, params, feeds[asset.symbol]))
            specs[c.ilk] = {"d10": d10}
        psm = None
        if dol.psm is not None and dol.psm.gem in feeds:
            psm = PsmSpec(
                token=dol.psm.gem,
                line=int(dol.psm.line_usd),
                tin_wad=to_wad(float(dol.psm.tin)),
                tout_wad=to_wad(float(dol.psm.tout)),
                price=feeds[dol.psm.gem],
            )
        spec = AIDollarSpec(dol.symbol, dol.ecosystem, int(dol.line_usd), tuple(colls), psm=psm)
        dollars[dol.symbol] = pad.create_ai_usd(spec, sender=chain.root)

    books = _open_vaults(sc, chain, dollars, staking, prices0, rng, specs)
    if stable:
        for d in dollars.values():
            if d.psm is not None and sc.system.ai_dollars:
                dol = next(x for x in sc.system.ai_dollars if x.symbol == d.symbol)
                inv = int(float(dol.psm.inventory_usd)) if dol.psm else 0
                if inv:  # inventory built up before t0: outside today's flow cap
                    module, cap = d.psm, d.psm.state.flow_cap_wad
                    module.file("flow_cap", 2**255, sender=chain.root)
                    ledger.transfer(stable, MARKET, "psm-seed", inv * 10**stable_decimals)
                    d.sell_gem(inv * 10**stable_decimals, HOLDERS, sender="psm-seed")
                    module.file("flow_cap", cap, sender=chain.root)
                    module.state.net_in_wad = 0
    amm = AmmFactory(chain)
    peg_pool, lp0 = _seed_pools(sc, chain, amm, dollars, prices0, stable, stable_decimals)
    initial = {
        sym: sum(float(c.vaults.debt_usd) for c in dol.collaterals)
        for sym, dol in ((d.symbol, d) for d in sc.system.ai_dollars)
    }
    return World(
        sc,
        chain,
        pad,
        amm,
        feeds,
        staking,
        dollars,
        books,
        stable,
        stable_decimals,
        peg_pool,
        lp0,
        initial,
    )


def _open_vaults(
    sc: Scenario,
    chain: Chain,
    dollars: dict[str, AIDollar],
    staking: dict[str, StakingPool],
    prices0: np.ndarray,
    rng: np.random.Generator,
    specs: dict[str, dict[str, Any]],
) -> list[VaultBook]:
    ledger = chain.ledger
    idx = sc.asset_index
    kp = sc.agents.keepers
    books = []
    for dol in sc.system.ai_dollars:
        d = dollars[dol.symbol]
        for c in dol.collaterals:
            asset = sc.asset(c.asset)
            priced = (
                idx[asset.underlying]
                if asset.kind == "derivative" and asset.underlying
                else idx[asset.symbol]
            )
            er = float(asset.exchange_rate) if asset.kind == "derivative" else 1.0
            p0 = float(prices0[priced]) * er
            debt, ink, target = draw_vaults(c, p0, rng)
            lo, hi = kp.latency_steps
            lat = rng.integers(lo, hi + 1, size=kp.count) if kp.count else np.zeros(0, int)
            caps = rng.uniform(float(kp.capital[0]), float(kp.capital[1]), size=kp.count)
            dust = float(c.dust)
            ids, owners = [], []
            for i in range(len(debt)):
                owner = f"b:{c.ilk}:{i}"
                debt_w = max(to_wad(float(debt[i])), to_wad(dust * 1.01))
                ink_w = to_wad(float(ink[i]) * max(1.0, debt_w / 1e18 / float(debt[i])))
                if asset.kind == "derivative":
                    assert asset.underlying is not None
                    pool = staking[asset.symbol]
                    need = ink_w * pool.state.total_assets // pool.total_shares + 2
                    ledger.mint(asset.underlying, owner, need)
                    pool.stake(need, sender=owner)
                    ink_w = min(ink_w, ledger.balance_of(asset.symbol, owner))
                else:
                    ledger.mint(asset.symbol, owner, ink_w)
                vid = d.open_vault(c.ilk, sender=owner)
                d.deposit(vid, ink_w, sender=owner)
                d.mint(vid, debt_w, sender=owner)
                chain.transfer(dol.symbol, HOLDERS, debt_w, sender=owner)
                ids.append(vid)
                owners.append(owner)
            books.append(VaultBook(
                dollar=d, ilk=c.ilk, token=asset.symbol, asset=priced, ids=ids, owners=owners,
                target=target, active=np.ones(len(ids), bool), keeper=f"keeper:{c.ilk}",
                capital_usd=float(caps.sum()) * float(c.vaults.debt_usd), latencies=lat,
                d10_usd=specs[c.ilk]["d10"], er=er,
            ))  # fmt: skip
    return books


def _seed_pools(
    sc: Scenario,
    chain: Chain,
    amm: AmmFactory,
    dollars: dict[str, AIDollar],
    prices0: np.ndarray,
    stable: str | None,
    stable_decimals: int,
) -> tuple[dict[str, Any], dict[str, int]]:
    ledger = chain.ledger
    idx = sc.asset_index
    peg_pool: dict[str, Any] = {}
    lp0: dict[str, int] = {}

    def units(token: str, usd: float) -> int:
        if token in dollars:
            return min(to_wad(usd), ledger.balance_of(token, HOLDERS))
        if token == stable:
            return int(usd * 10**stable_decimals)
        return to_wad(usd / float(prices0[idx[token]]))

    for p in sc.system.pools:
        half = float(p.depth_usd) / 2
        amounts = [units(t, half) for t in p.coins]
        if min(amounts) <= 0:
            continue
        for t, a in zip(p.coins, amounts):
            if t in dollars:
                chain.transfer(t, LP, a, sender=HOLDERS)
            elif t == stable:
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
            lp0[p.id] = ss.add_liquidity(amounts, 0, sender=LP)
            for t in p.coins:
                if t in dollars and stable in p.coins and t not in peg_pool:
                    peg_pool[t] = ss
        else:
            cp = amm.deploy_constant_product(
                p.coins[0], p.coins[1], pool_id=p.id, fee_bps=int(p.fee_bps), sender=chain.root
            )
            amt = dict(zip(p.coins, amounts))
            lp0[p.id] = cp.mint(amt[cp.coins[0]], amt[cp.coins[1]], sender=LP)
    return peg_pool, lp0
