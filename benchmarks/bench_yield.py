"""Yield vaults throughput: allocator decisions/s on 20 markets and backtest days/s, each against a
plain reference measured in the same run.

    .venv/bin/python benchmarks/bench_yield.py [--days N]

1. Decisions: ``ArmaOptimizer.target`` (heap water-filling, 1,000 steps) vs a plain water-filling
   that re-evaluates every market's marginal gain at every step (the textbook loop), on the same
   20-market state; both allocations are compared (same income within 1e-9). The interstable rules'
   decisions/s are printed too. The same on 16 lending markets and 4 StableSwap pools
   (``PoolSleeve``), plus the full proposal (the gate with each pool's exact slippage).
2. Backtest: ``run_backtest`` (every protocol action an engine transaction, equal weights) vs a
   plain float loop of the same daily dynamics (Aave/Compound rate formulas in floats, the same
   borrowers and outside suppliers, no ledger, no journal) on the same paths; the net APYs are
   printed side by side. Timings are wall-clock best-of-3; nothing here is asserted in tests.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from peglab.kernel import Chain
from peglab.protocols.amm import AmmFactory
from peglab.protocols.lending import aave_params
from peglab.protocols.yieldvault import (
    AaveCurve,
    AllocationState,
    ArmaOptimizer,
    Curator,
    EqualWeight,
    InterstableRules,
    MarketView,
    PoolSleeve,
)
from peglab.sim.yield_backtest import BacktestConfig, draw_paths, run_backtest
from peglab.units import DAY, RAY, WAD

USDC = 10**6


def state20(seed: int = 5) -> AllocationState:
    rng = np.random.default_rng(seed)
    views = []
    for k in range(20):
        supply = int(rng.uniform(20e6, 300e6)) * USDC
        debt = int(supply * rng.uniform(0.4, 0.93))
        model = aave_params(int(rng.integers(70, 93)), 0, int(rng.integers(200, 700)), 6000)
        hist = tuple(int(rng.uniform(0.01, 0.08) * RAY) for _ in range(8))
        views.append(
            MarketView(
                id=f"m{k:02d}", protocol=f"p{k}", position=0, withdrawable=0,
                market_supply=supply, utilisation_wad=debt * WAD // supply,
                apr_after=AaveCurve(model, supply - debt, debt, 1000), gas_per_tx=5 * USDC,
                apr_history_ray=hist,
            )
        )  # fmt: skip
    return AllocationState(30 * DAY, 50_000_000 * USDC, tuple(views), 0)


def state_with_pools(seed: int = 5) -> AllocationState:
    """16 of ``state20``'s lending markets and 4 of the engine's StableSwap pools (USDC/DAI, one-
    sided USDC liquidity through ``PoolSleeve``, fee APRs 3-9%), as the curator shows them."""
    rng = np.random.default_rng(seed + 1)
    lending = state20(seed).markets[:16]
    pools = []
    for k in range(4):
        chain = Chain(keep_log=False)
        chain.ledger.create_token("USDC", 6)
        chain.ledger.create_token("DAI", 18)
        size = int(rng.uniform(20e6, 200e6))
        chain.ledger.mint("USDC", "lp", size * USDC)
        chain.ledger.mint("DAI", "lp", size * WAD)
        pool = AmmFactory(chain).deploy_stableswap(
            ["USDC", "DAI"], int(rng.integers(50, 500)), pool_id=f"pool{k}", sender=chain.root
        )
        pool.add_liquidity([size * USDC, size * WAD], 0, sender="lp")
        apr = int(rng.uniform(0.03, 0.09) * RAY)
        sleeve = PoolSleeve(pool, "USDC", chain.ledger, apr)
        cur = Curator(chain, "USDC", "safe", [sleeve], agent="agent", gas_per_tx=5 * USDC)
        pools.append(cur.state().market(f"pool{k}"))
    return AllocationState(30 * DAY, 50_000_000 * USDC, (*lending, *pools), 0)


def plain_water_fill(state: AllocationState, steps: int) -> dict[str, int]:
    """Textbook loop: every step, evaluate every market's marginal gain, take the best."""
    capital = state.capital
    step = max(capital // steps, 1)
    x = {m.id: 0 for m in state.markets}
    caps = {
        m.id: int(m.market_supply * 0.10 / 0.90) if m.utilisation_wad <= 95 * WAD // 100 else 0
        for m in state.markets
    }
    left = capital
    while left > 0:
        best, best_id, best_d = 0.0, "", 0
        for m in state.markets:
            cur = x[m.id]
            d = min(step, caps[m.id] - cur, left)
            if d <= 0:
                continue
            g = ((cur + d) * m.apr_at(cur + d) - cur * m.apr_at(cur)) / d
            if g > best or (g == best and best_id and m.id < best_id):
                best, best_id, best_d = g, m.id, d
        if best <= 0:
            break
        x[best_id] += best_d
        left -= best_d
    return x


def best_of(n: int, fn: Callable[[], object]) -> float:
    out = float("inf")
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out = min(out, time.perf_counter() - t)
    return out


def plain_backtest(cfg: BacktestConfig) -> float:
    """The backtest's market dynamics in floats, vault at equal weights; returns the net APY."""
    p = draw_paths(cfg)
    n = cfg.n_markets
    supply = p.supply0.copy()
    debt = supply * p.util0
    outside = p.supply0.copy()
    base = debt.copy()
    kinds = ["aave" if k % 2 == 0 else "comp" for k in range(n)]
    opt = np.array([(80 + 2 * (k % 6)) / 100 for k in range(n)])
    s1 = np.array([(300 + 50 * k % 400) / 1e4 for k in range(n)])
    mult = np.array([(350 + 40 * k % 300) / 1e4 / 0.8 for k in range(n)])

    def rates(s: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        u = np.where(s > 0, d / np.maximum(s, 1e-9), 0.0)
        b = np.empty(n)
        for k in range(n):
            if kinds[k] == "aave":
                b[k] = (
                    s1[k] * u[k] / opt[k]
                    if u[k] <= opt[k]
                    else s1[k] + 0.6 * (u[k] - opt[k]) / (1 - opt[k])
                )
            else:
                b[k] = u[k] * mult[k] if u[k] <= 0.8 else 0.8 * mult[k] + (u[k] - 0.8) * 1.09
        return b * u * 0.9, b

    vault = np.full(n, cfg.capital_usd * 0.95 / n)
    idle = cfg.capital_usd * 0.05
    supply += vault
    r_ref = np.maximum(rates(supply, debt)[1], 1e-4)
    for day in range(cfg.days):
        sr, br = rates(supply, debt)
        growth = 1 + sr / 365
        vault *= growth
        supply *= growth
        debt *= 1 + br / 365
        level = outside * p.supply_mult[day]
        supply += level - outside * (p.supply_mult[day - 1] if day else 1)
        target = base * p.borrow_mult[day] * (r_ref / np.maximum(rates(supply, debt)[1], 1e-4))
        debt += np.clip((target - debt) / 4, -debt, np.maximum(0.99 * supply - debt, 0))
    nav0 = cfg.capital_usd
    return float(((vault.sum() + idle) / nav0) ** (365 / cfg.days) - 1)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=90)
    args = ap.parse_args()
    s = state20()
    opt = ArmaOptimizer(max_market_share=0.10, steps=1000)
    ours = best_of(3, lambda: opt.target(s))
    plain = best_of(3, lambda: plain_water_fill(s, 1000))
    x_ours, x_plain = opt.target(s), plain_water_fill(s, 1000)
    v_ours, v_plain = ArmaOptimizer.value(s, x_ours), ArmaOptimizer.value(s, x_plain)
    rules = InterstableRules()
    t_rules = best_of(3, lambda: [rules.propose(s) for _ in range(20)]) / 20
    print("Allocator decisions on 20 markets (1,000 water-filling steps, best of 3)")
    print(f"  ARMA-style optimiser (heap):           {1 / ours:10,.1f} decisions/s")
    print(f"  plain water-filling (all gains/step):  {1 / plain:10,.1f} decisions/s")
    print(
        f"  ratio optimiser/plain: {plain / ours:.2f}x ; same income: {abs(v_ours - v_plain) <= 1e-9 * v_plain}"
    )
    print(f"  interstable rules:                     {1 / t_rules:10,.1f} decisions/s")
    m = state_with_pools()
    ours_m = best_of(3, lambda: opt.target(m))
    plain_m = best_of(3, lambda: plain_water_fill(m, 1000))
    full_m = best_of(3, lambda: opt.propose(m))
    v_o = ArmaOptimizer.value(m, opt.target(m))
    v_p = ArmaOptimizer.value(m, plain_water_fill(m, 1000))
    p = opt.propose(m)
    print("Allocator decisions on 16 lending markets + 4 StableSwap pools (best of 3)")
    print(f"  ARMA-style optimiser target (heap):    {1 / ours_m:10,.1f} decisions/s")
    print(f"  plain water-filling:                   {1 / plain_m:10,.1f} decisions/s")
    print(
        f"  ratio optimiser/plain: {plain_m / ours_m:.2f}x ; income difference "
        f"{abs(v_o - v_p) / v_p:.1e} (both greedy to one step; the last step can land apart)"
    )
    print(
        f"  full proposal (gate, exact pool slippage): {1 / full_m:6,.1f} decisions/s; "
        f"cost ${p.cost / USDC:,.0f}, rebalance {p.rebalance}"
    )
    cfg = BacktestConfig(days=args.days, n_markets=6, n_term=0)
    paths = draw_paths(cfg)
    t_engine = best_of(3, lambda: run_backtest(cfg, EqualWeight(), paths))
    t_plain = best_of(3, lambda: plain_backtest(cfg))
    apy_engine = run_backtest(cfg, EqualWeight(), paths).net_apy
    apy_plain = plain_backtest(cfg)
    print(f"Backtest, {cfg.n_markets} markets, {cfg.days} days, equal weights (best of 3)")
    print(
        f"  exact engine run_backtest: {cfg.days / t_engine:10,.1f} days/s (net APY {apy_engine:.4%})"
    )
    print(
        f"  plain float loop:          {cfg.days / t_plain:10,.1f} days/s (net APY {apy_plain:.4%})"
    )
    print(f"  ratio engine/plain: {t_plain / t_engine:.3f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
