"""A started AI-dollar run on ``tests/scenarios/small-crash.toml`` for the market-agent tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from peglab.risk.library import load_scenario
from peglab.sim.conditions import Conditions
from peglab.sim.families.ai_dollar import FAMILY
from peglab.sim.families.ai_dollar.run import AiDollarRun
from peglab.sim.processes import rng_from
from peglab.sim.scenario import Scenario, simulate_prices
from peglab.sim.world import World, build_world

SMALL = Path(__file__).resolve().parents[1] / "scenarios" / "small-crash.toml"


def small_crash(transient: bool = True, **agents: dict[str, Any]) -> Scenario:
    """small-crash (transient venue unless told otherwise) with agent parameters overridden."""
    sc = load_scenario(SMALL)
    upd = {k: getattr(sc.agents, k).model_copy(update=v) for k, v in agents.items()}
    out = sc.model_copy(update={"agents": sc.agents.model_copy(update=upd)})
    if transient:
        liq = sc.liquidity.model_copy(update={"model": "transient"})
        out = out.model_copy(update={"liquidity": liq})
    return out


def started(sc: Scenario, seed: int = 5) -> tuple[World, AiDollarRun]:
    """The world and the AI-dollar run of path 0 of ``sc``, built, seeded and started."""
    rng = rng_from(np.random.SeedSequence(seed, spawn_key=(0,)))
    world = build_world(sc, Conditions.of(sc, simulate_prices(sc, rng)))
    run = FAMILY.build(sc.system.block("ai_dollars"), world, rng)
    world.seed_pools()
    assert isinstance(run, AiDollarRun)
    run.start()
    return world, run
