"""Build the AI-dollar family's part of an exact world: AI dollars, vaults, PSM inventory.

Who holds what at t0 [O] (docs/risk-lab.md "The exact runner"): each vault belongs to its own
borrower account, funded with exactly the collateral it locks; the AI dollars it mints go to
``holders``; PSM inventory built up before t0 is sold in outside the day's flow cap. Collateral
parameters enter the engine as its one parameter type, ``CollateralParams`` (``collateral_params``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ....protocols.cdp import (
    AIDollar,
    AIDollarSpec,
    CollateralSpec,
    DerivativeValuation,
    Launchpad,
)
from ....protocols.cdp.psm import PsmSpec
from ...world import HOLDERS, MARKET, World, to_wad
from .schema import AiDollar, collateral_params, draw_book

__all__ = ["VaultBook", "build_dollars"]


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
    index: dict[int, int] = field(init=False)  # vault id -> its position in ``ids``
    min_latency: float = field(init=False)  # the fastest keeper's latency [steps] (inf: none)

    def __post_init__(self) -> None:
        self.index = {vid: i for i, vid in enumerate(self.ids)}
        self.min_latency = float(self.latencies.min()) if len(self.latencies) else math.inf


def build_dollars(
    block: list[AiDollar], world: World, rng: np.random.Generator
) -> tuple[dict[str, AIDollar], list[VaultBook]]:
    """Launch every AI dollar of ``block``, open its vaults and seed its PSM inventory."""
    sc, chain = world.sc, world.chain
    pad = Launchpad(chain)
    dollars: dict[str, AIDollar] = {}
    d10s: dict[str, float] = {}
    for dol in block:
        colls = []
        for c in dol.collaterals:
            asset = sc.asset(c.asset)
            d10 = float(asset.d10_usd) if asset.d10_usd is not None else 1e30
            params = collateral_params(c, d10)
            if asset.kind == "derivative":
                assert asset.underlying is not None
                val = DerivativeValuation(
                    world.staking[asset.symbol], haircut_wad=to_wad(float(c.haircut))
                )
                colls.append(
                    CollateralSpec(
                        c.ilk,
                        asset.symbol,
                        params,
                        world.feeds[asset.underlying],
                        kind="derivative",
                        underlying=asset.underlying,
                        valuation=val,
                    )
                )
            else:
                colls.append(CollateralSpec(c.ilk, asset.symbol, params, world.feeds[asset.symbol]))
            d10s[c.ilk] = d10
        psm = None
        if dol.psm is not None and dol.psm.gem in world.feeds:
            psm = PsmSpec(
                token=dol.psm.gem,
                line=int(dol.psm.line_usd),
                tin_wad=to_wad(float(dol.psm.tin)),
                tout_wad=to_wad(float(dol.psm.tout)),
                price=world.feeds[dol.psm.gem],
            )
        spec = AIDollarSpec(dol.symbol, dol.ecosystem, int(dol.line_usd), tuple(colls), psm=psm)
        dollars[dol.symbol] = pad.create_ai_usd(spec, sender=chain.root)
        world.issued.add(dol.symbol)
    books = _open_vaults(block, world, dollars, rng, d10s)
    if world.stable:
        _seed_psms(block, world, dollars)
    return dollars, books


def _seed_psms(block: list[AiDollar], world: World, dollars: dict[str, AIDollar]) -> None:
    chain, stable = world.chain, world.stable
    assert stable is not None
    for dol in block:
        d = dollars[dol.symbol]
        if d.psm is None or dol.psm is None:
            continue
        inv = int(float(dol.psm.inventory_usd))
        if inv:  # inventory built up before t0: outside today's flow cap
            module, cap = d.psm, d.psm.state.flow_cap_wad
            module.file("flow_cap", 2**255, sender=chain.root)
            chain.ledger.transfer(stable, MARKET, "psm-seed", inv * 10**world.stable_decimals)
            d.sell_gem(inv * 10**world.stable_decimals, HOLDERS, sender="psm-seed")
            module.file("flow_cap", cap, sender=chain.root)
            module.state.net_in_wad = 0


def _open_vaults(
    block: list[AiDollar],
    world: World,
    dollars: dict[str, AIDollar],
    rng: np.random.Generator,
    d10s: dict[str, float],
) -> list[VaultBook]:
    sc, chain = world.sc, world.chain
    ledger = chain.ledger
    prices0 = world.cond.prices[0]
    books = []
    for dol in block:
        d = dollars[dol.symbol]
        for c in dol.collaterals:
            asset = sc.asset(c.asset)
            drawn = draw_book(c, sc, prices0, rng)
            priced, er, debt, ink, target = (
                drawn.priced,
                drawn.er,
                drawn.debt,
                drawn.ink,
                drawn.target,
            )
            lat, caps = drawn.latencies, drawn.capital
            dust = float(c.dust)
            ids, owners = [], []
            for i in range(len(debt)):
                owner = f"b:{c.ilk}:{i}"
                debt_w = max(to_wad(float(debt[i])), to_wad(dust * 1.01))
                ink_w = to_wad(float(ink[i]) * max(1.0, debt_w / 1e18 / float(debt[i])))
                if asset.kind == "derivative":
                    assert asset.underlying is not None
                    pool = world.staking[asset.symbol]
                    need = ink_w * pool.total_assets() // pool.total_shares + 2
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
                d10_usd=d10s[c.ilk], er=er,
            ))  # fmt: skip
    return books


def peg_pools(world: World, dollars: dict[str, Any]) -> dict[str, Any]:
    """Each AI dollar's first StableSwap pool against the reference stablecoin (its peg venue)."""
    out: dict[str, Any] = {}
    for p in world.sc.system.pools:
        pool = world.pools.get(p.id)
        if pool is None or p.kind != "stableswap" or world.stable not in p.coins:
            continue
        for t in p.coins:
            if t in dollars and t not in out:
                out[t] = pool
    return out
