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
(``reserve.<pool>:<coin>``). ``float_path`` is the same contract for the float models
(``Family.float_outcome``) on the same prices, so both can be compared path by path.
"""

from __future__ import annotations

import numpy as np

from ..errors import InvalidInput
from .conditions import Conditions
from .family import PHASES, Family, FamilyMetrics, scenario_families
from .processes import rng_from
from .results import PathResult, assemble, report_grid, with_market_series, with_pool_series
from .scenario import Scenario, simulate_prices
from .world import build_world

__all__ = ["float_path", "run_path"]


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


def float_path(sc: Scenario, path_index: int, seed_seq: np.random.SeedSequence) -> PathResult:
    """One path of ``sc`` on the families' float models (same prices and draws as ``run_path``)."""
    rng = rng_from(seed_seq)
    prices = simulate_prices(sc, rng)
    measured: list[tuple[Family, FamilyMetrics]] = []
    for fam, block in scenario_families(sc):
        outcome = fam.float_outcome(block, sc, prices, rng)
        if outcome is None:
            raise InvalidInput(
                "stress/no-float-model",
                f"the {fam.key} family has no float model; use the exact engine",
            )
        measured.append((fam, fam.measure(block, sc, outcome)))
    return with_market_series(sc, assemble(sc, measured), prices, prices)  # no flows move it
