"""The yield-vault family's vectorised model: ``YieldPath`` with paths as an array dimension
(float64; docs/scale.md "Vectorised models: yield vaults").

:func:`run_yield_batch` restates, day by day and in the exact engine's order, what
``sim.families.yield_vault.path.YieldPath`` does (docs/yield-vaults.md §8.1):

* setup: each path's generator draws, in ``YieldPath.__init__``'s order and amounts, the markets'
  sizes and utilisations, the daily borrow-demand and outside-supply multipliers, and the holders'
  daily deposit and redemption fractions, so path ``i`` of both engines faces the same markets and
  flows; holders deposit the capital at t0, passive borrowers take half of their shares to mint
  the AI dollars that seed the pool, the PSM and the keeper are funded, the loopers request their
  deposits;
* each day: ``operate`` (markets, the rate spike, the exploit, the vault's settlement and the
  rules' rebalance, the fee spike, the fee accrual and the OSM's poke), ``agents`` (holders, the
  loopers one after another, the keeper), ``market`` (the arbitrageur), ``record`` (also the
  pool's reserves on the report grid: the family's model owns its AI dollar's pool);
* at the horizon: the family's measures, computed as ``YieldPath.measures`` computes them.

The pieces live in ``vector_markets`` (lending markets, term deposits), ``vector_vault`` (the
epoch vault, curator and rules), ``vector_optimizer`` (the ARMA optimiser) and ``vector_agents`` (the AI dollar, loopers, keeper). A path's
arithmetic never mixes with another path's, so its result does not depend on the batch.
Both allocators are modelled: the interstable rules (``vector_vault``) and the ARMA optimiser
(``vector_optimizer``).
"""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
from numpy.typing import NDArray

from ....math import apr_to_duty
from ....units import DAY, RAY, YEAR
from ...family import VectorBatch
from ...results import PoolReserves
from ...scenario import Scenario
from ..ai_dollar.vector_pools import VecPool
from .path import YieldParams, family_optimizer
from .vector_agents import CdpParams, VecDollar, VecLoopers
from .vector_markets import VecLending, VecTerm, rowsum
from .vector_optimizer import VecOptimizer
from .vector_vault import VecVault

__all__ = ["YieldBatch", "path_draws", "run_yield_batch"]

F = NDArray[np.float64]
B = NDArray[np.bool_]


def _log_duty(apr: str) -> float:
    """Per-second log growth of the stability fee ``apr`` (the engine's ``duty`` as a float)."""
    duty = apr_to_duty(apr)
    return math.log1p((duty - RAY) / RAY)


class YieldBatch:
    """Per-path arrays and measures of one batch (the model's result before ``outcomes``)."""

    def __init__(
        self, pps: F, peg: F, lev: F, metrics: dict[str, F], reserves: PoolReserves
    ) -> None:
        self.pps, self.peg, self.lev, self.metrics = pps, peg, lev, metrics
        self.reserves = reserves  # the AI dollar's pool on the report grid


def path_draws(p: YieldParams, days: int, rngs: tuple[np.random.Generator, ...]) -> dict[str, F]:
    """``YieldPath.__init__``'s draws from each path's generator, stacked."""
    n = p.n_markets
    lo, hi = p.market_size_usd
    out: dict[str, list[F]] = {k: [] for k in ("s0", "u0", "bm", "sm", "dep", "red")}
    for rng in rngs:
        out["s0"].append(rng.uniform(lo, hi, n))
        out["u0"].append(rng.uniform(p.util0[0], p.util0[1], n))
        out["bm"].append(np.exp(np.cumsum(rng.normal(0, p.borrow_vol, (days + 1, n)), axis=0)))
        out["sm"].append(np.exp(np.cumsum(rng.normal(0, p.supply_vol, (days + 1, n)), axis=0)))
        out["dep"].append(rng.exponential(p.deposit_frac, days + 1))
        out["red"].append(rng.exponential(p.redeem_frac, days + 1))
    return {k: np.stack(v) for k, v in out.items()}


def run_yield_batch(p: YieldParams, sc: Scenario, batch: VectorBatch) -> YieldBatch:
    """The batch's paths on the vectorised model (module docstring)."""
    days, P = sc.n_steps, batch.paths
    dr = path_draws(p, days, batch.rngs)
    u = 1e6  # the stablecoin's base unit (the lab world's stablecoin has 6 decimals)
    supply0 = np.floor(dr["s0"]) * u
    lending = [
        VecLending(k, supply0[:, k], dr["u0"][:, k], p.elasticity) for k in range(p.n_markets)
    ]
    terms = [
        VecTerm(j, P, days, p.term_rate, p.term_lock_days, 10.0 * p.capital_usd * u)
        for j in range(p.n_term)
    ]
    L = p.loopers
    books: list[VecLending | VecTerm] = [*lending, *terms]
    opt = None
    if p.allocator == "optimizer":
        opt = VecOptimizer(family_optimizer(int(u)), [m.id for m in books])
    vault = VecVault(P, days, L + 2, books, p.management_bps, p.performance_bps, u, opt)
    # t0: the holders' deposit settles at one share per unit
    cap = float(p.capital_usd) * u
    vault.A[:], vault.S[:], vault.idle[:] = cap, cap, cap
    h_free = np.full(P, cap)
    # passive borrowers: half the holders' shares at most, AI dollars at a 200% ratio
    base = float(p.base_debt_usd)
    passive = np.minimum(2 * base * u, np.floor(h_free / 2)) if base > 0 else np.zeros(P)
    h_free -= passive
    minted = np.minimum(base, np.floor(vault.to_assets(passive) / 2) / u)
    pool_sc = next(q for q in sc.system.pools if set(q.coins) == {p.dollar, _stable(sc)})
    coins = tuple(pool_sc.coins)
    iy, iu = coins.index(p.dollar), coins.index(_stable(sc))
    half = float(pool_sc.depth_usd) / 2
    bal = np.zeros((P, 2))
    bal[:, iy] = np.minimum(half, minted)
    bal[:, iu] = half
    fee = int(Decimal(pool_sc.fee_bps) * 10**6) / 1e10
    pool = VecPool(pool_sc.id, "stableswap", coins, bal, pool_sc.A, fee)
    reserves = PoolReserves(days, P)
    reserves.sample(0, pool.id, coins, [pool.bal[:, 0], pool.bal[:, 1]])
    cdp = CdpParams(
        float(p.mat), float(p.chop), float(p.buf), float(p.cut), float(p.cusp), float(p.tail_s)
    )
    d = VecDollar(P, cdp, pool, iy, iu, fee)
    d.tin = d.tout = p.psm_fee_bps / 1e4
    d.line = float(p.psm_line_usd)
    d.gem[:] = p.psm_inventory_usd + p.keeper_inventory_usd
    lp = VecLoopers(P, L, p.loop, float(p.looper_capital_usd), vault, d)
    lp.k_dollars[:] = p.keeper_inventory_usd * (1.0 - d.tin)
    lp.k_target = p.keeper_inventory_usd / 2
    for i in range(L):
        vault.dep_open[:, 1 + i] = p.looper_capital_usd * u
    arb_held = np.zeros(P)
    lr_base = _log_duty(p.fee_apr)
    lr_spike = lr_base if p.spike_fee_apr is None else _log_duty(p.spike_fee_apr)
    lr = lr_base
    spiked = np.full(P, -1)
    pps = np.zeros((P, days + 1))
    peg = np.ones((P, days + 1))
    lev = np.ones((P, days + 1))
    pps[:, 0] = vault.pps()
    ones = np.ones(P, dtype=bool)
    for k in range(1, days + 1):
        in_spike = p.spike_day is not None and p.spike_day <= k < p.spike_day + p.spike_days
        # -- operate --------------------------------------------------------------------------
        for t in terms:
            t.day = k
        for m in lending:  # reads see the interest accrued to now; actions write it
            m.now = float(k * DAY)
        if p.spike_day is not None and k == p.spike_day:
            if p.spike_market is not None:
                spiked[:] = p.spike_market
            else:
                held = np.stack([m.balance("safe") for m in lending], axis=1)
                spiked[:] = np.argmax(held, axis=1)  # first of equals: the lowest index
        for i, m in enumerate(lending):
            m.move_outside(np.floor(supply0[:, i] * dr["sm"][:, k, i]))
            m.borrower_act(dr["bm"][:, k, i], (spiked == i) & in_spike)
        if p.loss_day is not None and k == p.loss_day and p.loss_frac > 0:
            vault.exploit(p.loss_frac)
        vault.settle(k)
        vault.rebalance(k)
        vault.record_history()
        d.rate = d.rate * math.exp(lr * DAY)
        lr = lr_spike if (p.spike_fee_apr is not None and in_spike) else lr_base
        price = vault.pps()
        d.poke(price)
        borrow_apr = math.expm1(lr * YEAR)
        # -- agents ---------------------------------------------------------------------------
        sh, _ = vault.claim(0)
        h_free += sh
        running = p.run_day is not None and k >= p.run_day
        if not running:
            vault.request_deposit(0, np.floor(dr["dep"][:, k] * vault.A), ones)
        req = np.floor(h_free * dr["red"][:, k])
        if p.run_day is not None and k == p.run_day:
            req += np.floor((h_free - req) * p.run_frac)
        vault.request_redeem(0, req, req > 0, k)
        h_free -= req
        lp.observe(price)
        for i in range(L):
            lp.act(i, k, price, borrow_apr)
        now = np.full(P, float(k * DAY))
        lp.bark_all(now)
        margin = p.keeper_margin + _wait_days(vault, k) * p.keeper_wait_cost_apr / 365.0
        bid = price * np.maximum(0.0, 1.0 - margin)
        lp.take_all(now, bid, float((k + 1) * DAY))
        lp.redeem_and_refill(k)
        # -- market ---------------------------------------------------------------------------
        arb_held = _arbitrage(d, float(p.arb_budget_usd), arb_held)
        # -- record ---------------------------------------------------------------------------
        pps[:, k] = price
        peg[:, k] = d.price()
        levs = np.stack([lp.leverage(i) for i in range(L)], axis=1) if L else np.zeros((P, 0))
        keep = lp.has_cdp & np.isfinite(levs)
        cnt = keep.sum(axis=1)
        lev[:, k] = np.where(cnt > 0, rowsum(np.where(keep, levs, 0.0)) / np.maximum(cnt, 1), 1.0)
        reserves.sample(k, pool.id, coins, [pool.bal[:, 0], pool.bal[:, 1]])
    return YieldBatch(pps, peg, lev, _measures(p, days, vault, lp, pps, peg, lev), reserves)


def _stable(sc: Scenario) -> str:
    return next(a.symbol for a in sc.assets if a.kind == "stable")


def _wait_days(v: VecVault, k: int) -> F:
    """How long the oldest unsettled redemption request noted before day ``k`` has waited."""
    if k <= 1:
        return np.zeros(v.P)
    made = v.req[:, :k].sum(axis=2) > 0
    done = np.take_along_axis(v.settled, v.req_ep[:, :k], axis=1)
    open_ = made & np.isnan(done)
    first = np.argmax(open_, axis=1)
    return np.where(open_.any(axis=1), k - first, 0.0).astype(np.float64)


def _arbitrage(d: VecDollar, budget: float, held: F, max_chunks: int = 40) -> F:
    """``PegArbitrageur.act``: chunks of 1/200 of the pool's AI dollars toward the PSM's band."""
    pool, fee = d.pool, d.fee
    chunk = np.maximum(pool.bal[:, d.iy] / 200.0, 1.0)
    spent = np.zeros(len(chunk))
    active = np.ones(len(chunk), dtype=bool)
    units = np.floor(chunk * 1e6) / 1e6
    for _ in range(max_chunks):
        active &= spent + chunk <= budget
        if not active.any():
            break
        price = d.price()
        up = active & (price > (1 + d.tin) / (1 - fee))
        down = active & ~up & (price < (1 - d.tout) * (1 - fee)) & (d.gem > 0)
        got, minted = d.sell_gem(units, up)
        held = held + got
        if minted.any():
            d.swap_in_pool(True, np.where(minted, held, 0.0))
            held = np.where(minted, 0.0, held)
        bought = np.where(down, d.swap_in_pool(False, np.where(down, units, 0.0)), 0.0)
        held = held + bought
        gem = np.where(down, np.minimum(np.floor(held / (1 + d.tout) * 1e6) / 1e6, d.gem), 0.0)
        redeem = down & (gem > 0)
        held = np.where(redeem, held - gem * (1 + d.tout), held)
        d.gem = np.where(redeem, d.gem - gem, d.gem)
        active &= minted | redeem
        spent = spent + chunk
    return held


def _measures(
    p: YieldParams, days: int, v: VecVault, lp: VecLoopers, pps: F, peg: F, lev: F
) -> dict[str, F]:
    """``YieldPath.measures`` per path."""
    P, C = v.P, v.C
    peak = np.maximum.accumulate(pps, axis=1)
    done = np.take_along_axis(v.settled, v.req_ep, axis=1)  # [P, days + 1]
    wait = np.where(np.isnan(done), float(days), done) - np.arange(days + 1)[None, :]
    wmax, p95, unserved = np.zeros(P), np.zeros(P), np.zeros(P)
    for r in range(P):
        w = v.req[r]  # [days + 1, C], in request order: by day, then controller
        made = w > 0
        if not made.any():
            continue
        waits = np.broadcast_to(wait[r][:, None], (days + 1, C))[made]
        weights = w[made]
        wmax[r] = waits.max()
        order = np.argsort(waits, kind="stable")
        cum = np.cumsum(weights[order]) / weights.sum()
        p95[r] = waits[order][min(int(np.searchsorted(cum, 0.95)), len(waits) - 1)]
        open_ = np.broadcast_to(np.isnan(done[r])[:, None], (days + 1, C))[made]
        unserved[r] = weights[open_].sum() / weights.sum()
    n = lp.n
    nav = v.pps()
    ret = (
        np.stack([lp.equity(i) for i in range(n)], axis=1) / lp.capital - 1.0
        if n
        else np.zeros((P, 0))
    )
    return {
        "vault_nav_drawdown": np.max(1.0 - pps / peak, axis=1),
        "vault_realised_apy": (pps[:, -1] / pps[:, 0]) ** (365.0 / days) - 1.0,
        "vault_exit_wait_max": wmax,
        "vault_exit_wait_p95": p95,
        "vault_unserved": unserved,
        "dollar_bad_debt": lp.shortfall(nav),
        "dollar_price_min": peg.min(axis=1),
        "dollar_peg_dev_max": np.max(np.abs(peg - 1.0), axis=1),
        "loopers_liquidated": lp.liquidated.sum(axis=1) / n if n else np.zeros(P),
        "loopers_unwound": (lp.unwinds > 0).sum(axis=1) / n if n else np.zeros(P),
        "loop_leverage_max": lev.max(axis=1),
        "looper_return": rowsum(ret) / n if n else np.zeros(P),
    }
