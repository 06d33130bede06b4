"""The vectorised keepers' shortcuts give the same arrays, to the bit, as what they replace."""

from __future__ import annotations

import numpy as np
import pytest

from peglab.risk.library import load_scenario
from peglab.risk.params import apply_params
from peglab.sim.families.ai_dollar.vector_dealer import payable
from peglab.sim.families.ai_dollar.vector_keepers import _unsafe
from peglab.sim.families.ai_dollar.vector_model import run_batch
from peglab.sim.families.ai_dollar.vector_state import VState, where2
from peglab.sim.family import VectorBatch
from peglab.sim.processes import rng_from
from peglab.sim.scenario import simulate_prices


@pytest.fixture(scope="module")
def crashed() -> VState:
    """The final state of 6 paths of a cut-down ``ai-token-crash`` (a day of hourly steps)."""
    sc = apply_params(
        load_scenario("ai-token-crash"),
        {
            "horizon": "1d",
            "step": "1h",
            "prices[0].duration": "12h",
            "prices[0].start_spread": "3h",
            "system.ai_dollars[AUSD].collaterals[ATH-A].vaults.count": "20",
            "system.ai_dollars[AUSD].collaterals[stATH-A].vaults.count": "8",
            "system.ai_dollars[vUSD].collaterals[VIRTUAL-A].vaults.count": "25",
            "system.ai_dollars[ai16zUSD].collaterals[AI16Z-A].vaults.count": "12",
        },
    )
    rngs = tuple(rng_from(np.random.SeedSequence(11, spawn_key=(i,))) for i in range(6))
    batch = VectorBatch(np.stack([simulate_prices(sc, r) for r in rngs]), rngs)
    return run_batch(list(sc.system.block("ai_dollars")), sc, batch)


@pytest.mark.parametrize("shape", [(5, 7), (1, 1), (4, 1), (3, 0), (0, 4)])
def test_where2__any_mask__same_indices_in_the_same_order_as_nonzero(
    shape: tuple[int, int],
) -> None:
    rng = np.random.default_rng(3)
    for density in (0.0, 0.3, 1.0):
        mask = rng.random(shape) < density
        r, c = where2(mask)
        want_r, want_c = np.nonzero(mask)
        assert np.array_equal(r, want_r) and np.array_equal(c, want_c)
        assert r.dtype == want_r.dtype and c.dtype == want_c.dtype


def test_unsafe__kept_buffers__the_formula_each_call(crashed: VState) -> None:
    for il in crashed.ilks:
        want = (il.art * il.rate[:, None] > il.ink * il.spot[:, None]) & il.active
        assert np.array_equal(_unsafe(il), want)
        il.spot = il.spot * 0.5  # a second call reuses the buffers and sees the new inputs
        want = (il.art * il.rate[:, None] > il.ink * il.spot[:, None]) & il.active
        assert np.array_equal(_unsafe(il), want)


def test_payable__some_paths__the_dealer_payable_of_those_paths_bit_for_bit(
    crashed: VState,
) -> None:
    s = crashed
    k = s.n
    for il in s.ilks:
        d = s.dols[il.d]
        for cash in (il.kcash, np.linspace(0.0, 5e6, s.P)):  # the pool's cap binds on the large
            il.kcash = np.array(cash, dtype=np.float64)
            full = payable(s, d, il.kdol, il.kcash, k)
            for rows in (np.arange(s.P), np.array([1, 4]), np.array([5]), np.array([], np.intp)):
                got = payable(s, d, il.kdol[rows], il.kcash[rows], k, rows)
                assert got.tobytes() == full[rows].tobytes()
