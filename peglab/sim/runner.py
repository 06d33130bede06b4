"""Per-path functions of the Monte Carlo driver: the exact runner and the float models.

``run_path(scenario, path_index, seed_seq)`` runs one path through the integer engine. It draws the
path's market prices (``simulate_prices``, first, from the path's seed), builds the shared world
(``sim.world``), lets every family of the scenario build its part (``Family.build``, in
registration order, drawing from the same generator), seeds the pools, starts the families, and
then keeps only the step order:

1. the clock advances one step; the world publishes prices to the feeds (oracle shocks apply) and
   scheduled slashing hits staking pools;
2. for each phase of ``sim.family.PHASES`` (``operate``, ``agents``, ``market``, ``settle``,
   ``record``), every family runs that phase.

At the horizon it checks ledger conservation, collects each family's typed outcome and measures
it (``Family.measure``); every pool's reserve of each coin is sampled on the report grid
(``reserve.<pool>:<coin>``).

``vector_chunk(scenario, seeds)`` runs a batch of paths through the families' vectorised float64
models (``Family.vector_outcomes``): each path's prices are drawn from its own seed exactly as
``run_path`` draws them (``simulate_prices_each``), into one ``(paths, steps + 1, assets)`` array, and every family
sees the whole batch at once; the outcomes are measured by the same ``Family.measure``. So path
``i`` of the vectorised engine and path ``i`` of the exact engine share prices and per-path draws
and can be compared one to one. ``float_path`` is ``vector_chunk`` on one path, with the per-path
signature of ``run_path``.

Pool reserves on the vectorised engine: every model builds its own float copy of the pools it
trades on, so each pool of ``system.pools`` is recorded by exactly one model, its owner: the pool
pairing a yield-vault, Gaib or USD.AI token with the stablecoin by that family's model, every
other pool (AI dollars, assets) by the AI-dollar model, which leaves pools holding another
family's token to that family. ``vector_chunk`` merges the families' ``VectorResult.reserves``
into ``reserve.<pool>:<coin>`` series in ``system.pools`` order; a key reported by two models, or
one that names no pool coin of the scenario, is a model error (``RuntimeError``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import InvalidInput
from .conditions import Conditions
from .family import PHASES, Family, FamilyMetrics, VectorBatch, pool_coins, scenario_families
from .processes import rng_from
from .results import PathResult, assemble, report_grid, with_market_series, with_pool_series
from .scenario import Scenario, simulate_prices, simulate_prices_each
from .world import build_world

__all__ = ["float_path", "run_path", "vector_chunk"]


def run_path(sc: Scenario, path_index: int, seed_seq: np.random.SeedSequence) -> PathResult:
    """One path of ``sc`` on the exact engine (module docstring for the step order)."""
    rng = rng_from(seed_seq)
    prices = simulate_prices(sc, rng)
    world = build_world(sc, Conditions.of(sc, prices))
    fams = scenario_families(sc)
    runs = [fam.build(block, world, rng) for fam, block in fams]
    world.seed_pools()
    for r in runs:
        r.start()
    for r in runs:
        r.step("record", 0)
    grid = report_grid(sc.n_steps)
    reserves = {c: np.zeros(len(grid)) for c in world.pool_reserves()}
    g = 0
    t0 = world.chain.now
    for k in range(sc.n_steps + 1):
        if k:
            world.chain.warp(t0 + k * sc.step)
            world.venue.begin_step(k)
            world.publish_prices(k)
            for phase in PHASES:
                for r in runs:
                    r.step(phase, k)
        if k == grid[g]:  # pool reserves at the report's points, after the step's trades
            for c, units in world.pool_reserves().items():
                reserves[c][g] = units
            g = min(g + 1, len(grid) - 1)
    world.chain.check_conservation()
    measured: list[tuple[Family, FamilyMetrics]] = []
    for (fam, block), r in zip(fams, runs, strict=True):
        measured.append((fam, fam.measure(block, sc, r.outcome())))
    result = with_market_series(sc, assemble(sc, measured), world.venue.realised, prices)
    return with_pool_series(result, reserves)


def vector_chunk(sc: Scenario, seeds: Sequence[np.random.SeedSequence]) -> list[PathResult]:
    """The paths of ``seeds`` on the families' vectorised models, in order (module docstring).

    Where several families move market prices, each family's realised price replaces the
    fundamental one on the entries it changed (a later family wins on an entry both moved).
    """
    rngs = tuple(rng_from(s) for s in seeds)
    if not rngs:
        return []
    prices = simulate_prices_each(sc, rngs)
    batch = VectorBatch(prices, rngs)
    realised = prices.copy()
    reserves: dict[str, np.ndarray] = {}
    points = len(report_grid(sc.n_steps))
    per_family: list[tuple[Family, Any, list[Any]]] = []
    for fam, block in scenario_families(sc):
        res = fam.vector_outcomes(block, sc, batch)
        if res is None:
            raise InvalidInput(
                "stress/no-float-model",
                f"the {fam.key} family has no vectorised model; use the exact engine",
            )
        if len(res.outcomes) != len(rngs):
            raise RuntimeError(f"{fam.key}: {len(res.outcomes)} outcomes for {len(rngs)} paths")
        if res.realised is not None:
            moved = res.realised != prices
            realised[moved] = res.realised[moved]
        for key, arr in (res.reserves or {}).items():
            if key in reserves or arr.shape != (len(rngs), points):
                raise RuntimeError(f"{fam.key}: pool reserve {key} twice or of shape {arr.shape}")
            reserves[key] = arr
        per_family.append((fam, block, res.outcomes))
    coins = pool_coins(sc)
    if not reserves.keys() <= set(coins):
        raise RuntimeError(f"reserves of no pool coin: {sorted(reserves.keys() - set(coins))}")
    ordered = [c for c in coins if c in reserves]
    out = []
    for p in range(len(rngs)):
        measured = [(fam, fam.measure(block, sc, oc[p])) for fam, block, oc in per_family]
        path = with_market_series(sc, assemble(sc, measured), realised[p], prices[p])
        out.append(with_pool_series(path, {c: reserves[c][p].copy() for c in ordered}))
    return out


def float_path(sc: Scenario, path_index: int, seed_seq: np.random.SeedSequence) -> PathResult:
    """One path of ``sc`` on the vectorised models (same prices and draws as ``run_path``)."""
    return vector_chunk(sc, [seed_seq])[0]
