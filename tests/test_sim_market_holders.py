"""Holders who run (sim.agents.holders): thresholds spread over cohorts, PSM first, cascades."""

from __future__ import annotations

import numpy as np
import pytest
from support.market import small_crash, started

from peglab.sim.agents import holders, pools
from peglab.sim.families.ai_dollar.run import AiDollarRun
from peglab.sim.runner import run_path
from peglab.sim.scenario import Scenario
from peglab.sim.world import HOLDERS

WAD = 10**18


def _scenario(**h: object) -> Scenario:
    return small_crash(transient=False, holders=h)


def _started(sc: Scenario) -> AiDollarRun:
    return started(sc)[1]


def _dump(run: AiDollarRun, wad: int) -> None:
    """A whale buys ``wad`` tUSD from holders and sells it into the peg pool."""
    s = run.s
    pool = s.peg_pool["tUSD"]
    s.w.chain.transfer("tUSD", "whale", wad, sender=HOLDERS)
    pool.swap_exact_in("tUSD", wad, 0, sender="whale")


def _running(run: AiDollarRun, peg: float) -> int:
    """Cohorts whose peg threshold lies above ``peg``."""
    h = run.s.sc.agents.holders
    lo, hi, n = float(h.peg[0]), float(h.peg[1]), int(h.cohorts)
    return sum(peg < hi - (i + 0.5) / n * (hi - lo) for i in range(n))


def test_start__cohorts__split_the_holders_float_equally() -> None:
    run = _started(_scenario())
    s = run.s
    held = s.cohorts["tUSD"]
    assert len(held) == 20 and len(set(held)) == 1
    assert sum(held) <= s.w.chain.ledger.balance_of("tUSD", HOLDERS) < sum(held) + 20
    assert sum(held) > 0  # keepers bought only a working inventory: holders keep a float


def test_act__peg_below_some_thresholds__those_cohorts_redeem_at_the_psm_first() -> None:
    run = _started(_scenario())
    s = run.s
    _dump(run, 150_000 * WAD)
    peg = pools.pool_price(s, s.peg_pool["tUSD"], "tUSD")
    expected = _running(run, peg)
    assert 0 < expected < 20
    gem0 = s.dollars["tUSD"].psm.gem_held
    before = list(s.cohorts["tUSD"])
    holders.act(s, 0, "tUSD", 1)
    ran = sum(a != b for a, b in zip(before, s.cohorts["tUSD"], strict=True))
    assert ran == expected
    assert [a != b for a, b in zip(before, s.cohorts["tUSD"], strict=True)][:ran] == [True] * ran
    paid = gem0 - s.dollars["tUSD"].psm.gem_held
    assert paid > 0 and s.run_usd[0, 1] == paid / 10**6  # all of it at the PSM, at par less tout
    assert pools.pool_price(s, s.peg_pool["tUSD"], "tUSD") == peg  # the pool was not touched


def test_act__empty_psm__sales_on_the_pool_cascade() -> None:
    """With the PSM empty, each step's sales lower the peg and more cohorts run the next step."""
    run = _started(_scenario(rate="0.5"))
    s = run.s
    d = s.dollars["tUSD"]
    gem = d.psm.gem_held
    need = gem * 10**12 + gem * 10**12 * d.psm.state.tout_wad // WAD
    s.w.chain.transfer("tUSD", "drain", need, sender=HOLDERS)
    d.buy_gem(gem, sender="drain")
    assert d.psm.gem_held == 0
    _dump(run, 130_000 * WAD)
    counts = []
    for k in range(1, 4):
        before = list(s.cohorts["tUSD"])
        holders.act(s, 0, "tUSD", k)
        counts.append(sum(a != b for a, b in zip(before, s.cohorts["tUSD"], strict=True)))
    assert counts[0] >= 1 and counts[1] > counts[0] and counts[2] > counts[1]  # the run spread
    assert s.run_usd[0, 1:4].sum() > 0


def test_act__disabled__nobody_runs() -> None:
    """Canary of the tests above: the same dump with holders disabled changes nothing."""
    run = _started(_scenario(enabled=False))
    s = run.s
    _dump(run, 150_000 * WAD)
    before = list(s.cohorts.get("tUSD", []))
    holders.act(s, 0, "tUSD", 1)
    assert s.cohorts.get("tUSD", []) == before and s.run_usd.sum() == 0


def test_run_path__series__runs_psm_and_pooled_dollars_are_reported() -> None:
    r = run_path(_scenario(), 1, np.random.SeedSequence(7, spawn_key=(1,)))
    assert "run_usd.tUSD" in r.series and "run_usd.tUSD" in r.metrics
    psm, pooled = np.asarray(r.series["psm_usd.tUSD"]), np.asarray(r.series["pooled.tUSD"])
    # at t0 the PSM holds its 300k inventory and the 250k the project sold in for its backstop
    assert psm[0] == pytest.approx(550_000)
    assert pooled[0] > 0 and np.all(psm >= 0)
    assert r.metrics["run_usd.tUSD"] == pytest.approx(float(np.sum(r.series["run_usd.tUSD"])))
