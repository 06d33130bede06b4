"""The vectorised AI-dollar model (docs/scale.md "Vectorised models: AI dollars").

Batch invariance (a path's result does not depend on the other paths of its batch), determinism,
accounting that must add up (collateral flows, the PSM's 1:1 vault, the pools' invariant), and
the cross-validation against the exact runner on common paths of a reduced ``ai-token-crash``
within the tolerances the metrics state (``MetricSpec.agree``), with a canary showing the check
fails when a model parameter is perturbed.
"""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from peglab.risk.library import load_scenario
from peglab.risk.params import apply_params
from peglab.sim.families.ai_dollar.metrics import METRICS
from peglab.sim.families.ai_dollar.vector_arb import CP, Arbitrage, _Group
from peglab.sim.families.ai_dollar.vector_model import run_batch
from peglab.sim.families.ai_dollar.vector_pools import VecPool
from peglab.sim.family import VectorBatch, metric_spec
from peglab.sim.processes import rng_from
from peglab.sim.runner import run_path, vector_chunk
from peglab.sim.scenario import Scenario, simulate_prices

SMALL = Path(__file__).parent / "scenarios" / "small-crash.toml"
N_COMMON = 40  # common paths of the cross-validation (exact ~0.3 s a path)
STEPS = 16  # ``agents.arbitrageurs.search_steps`` by default


def seeds(root: int, n: int) -> list[np.random.SeedSequence]:
    return [np.random.SeedSequence(root, spawn_key=(i,)) for i in range(n)]


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


@pytest.fixture(scope="module")
def small() -> Scenario:
    return load_scenario(SMALL)


@pytest.fixture(scope="module")
def reduced() -> Scenario:
    return reduced_crash()


def reduced_crash() -> Scenario:
    """``ai-token-crash`` cut down: 2 days of 30-minute steps, the crash within a day, a fifth of
    the vaults (exact ~0.3 s a path)."""
    return apply_params(
        load_scenario("ai-token-crash"),
        {
            "horizon": "2d",
            "step": "30m",
            "prices[0].duration": "1d",
            "prices[0].start_spread": "6h",
            "system.ai_dollars[AUSD].collaterals[ATH-A].vaults.count": "40",
            "system.ai_dollars[AUSD].collaterals[stATH-A].vaults.count": "16",
            "system.ai_dollars[vUSD].collaterals[VIRTUAL-A].vaults.count": "50",
            "system.ai_dollars[ai16zUSD].collaterals[AI16Z-A].vaults.count": "24",
        },
    )


def test_vector_chunk__batch_of_six__equals_six_batches_of_one_bit_for_bit(
    reduced: Scenario,
) -> None:
    ss = seeds(3, 6)
    together = vector_chunk(reduced, ss)
    alone = [vector_chunk(reduced, [s])[0] for s in ss]
    for a, b in zip(together, alone, strict=True):
        assert a.metrics.keys() == b.metrics.keys()
        assert all(same(a.metrics[k], b.metrics[k]) for k in a.metrics)
        for k in a.series:
            np.testing.assert_array_equal(a.series[k], b.series[k])


def test_vector_chunk__same_seeds__identical_and_other_seeds_differ(small: Scenario) -> None:
    a, b = vector_chunk(small, seeds(7, 3)), vector_chunk(small, seeds(7, 3))
    for x, y in zip(a, b, strict=True):
        assert all(same(x.metrics[k], y.metrics[k]) for k in x.metrics)
        for k in x.series:
            np.testing.assert_array_equal(x.series[k], y.series[k])
    c = vector_chunk(small, seeds(8, 3))
    assert [r.metrics["liquidated_usd"] for r in c] != [r.metrics["liquidated_usd"] for r in a]


def _batch(sc: Scenario, ss: list[np.random.SeedSequence]) -> VectorBatch:
    rngs = tuple(rng_from(s) for s in ss)
    return VectorBatch(np.stack([simulate_prices(sc, r) for r in rngs]), rngs)


def test_run_batch__crash__collateral_psm_and_pools_add_up(reduced: Scenario) -> None:
    """Every unit of collateral is in a vault, in an auction, sold, handed back or withdrawn; the
    PSM's vault stays 1:1; every StableSwap pool's stored ``D`` is its balances' invariant."""
    s = run_batch(list(reduced.system.block("ai_dollars")), reduced, _batch(reduced, seeds(5, 4)))
    barked = 0.0
    for il in s.ilks:
        f = il.flow
        in_vaults = f["ink0"] + f["topup"] - f["out"] - f["barked"] + f["snipped"]
        np.testing.assert_allclose(il.ink.sum(axis=1), in_vaults, rtol=1e-9, atol=1e-6)
        in_auctions = f["barked"] - f["sold"] - f["back"] - f["snipped"]
        np.testing.assert_allclose(
            np.where(il.on, il.lot, 0.0).sum(axis=1), in_auctions, rtol=1e-9, atol=1e-6
        )
        assert (il.ink >= -1e-9).all() and (il.art >= -1e-9).all() and (il.tab >= -1e-6).all()
        barked += float(f["barked"].sum())
    assert barked > 0  # the crash liquidates: the identities are not vacuous
    for d in s.dols:
        np.testing.assert_allclose(d.gem, d.psm_art, rtol=1e-12)
        assert (d.sin >= -1e-6).all() and (d.dai >= -1e-6).all() and (d.queue >= 0).all()
    for pool in s.pools.values():
        assert (pool.bal > 0).all()
        if pool.stable:
            fresh = VecPool(
                pool.id, "stableswap", pool.coins, pool.bal.copy(), int(pool.ann / pool.n), pool.fee
            )
            np.testing.assert_allclose(fresh.d, pool.d, rtol=1e-10)


def test_run_batch__collateral_identity__canary_a_lost_lot_breaks_it(reduced: Scenario) -> None:
    s = run_batch(list(reduced.system.block("ai_dollars")), reduced, _batch(reduced, seeds(5, 2)))
    il = next(il for il in s.ilks if il.flow["barked"].sum() > 0)
    il.flow["sold"] += 1.0  # a unit that left the auctions without being sold
    f = il.flow
    in_auctions = f["barked"] - f["sold"] - f["back"] - f["snipped"]
    assert not np.allclose(
        np.where(il.on, il.lot, 0.0).sum(axis=1), in_auctions, rtol=1e-9, atol=1e-6
    )


def _means(results: list[Any]) -> dict[str, float]:
    cols = results[0].metrics.keys()
    return {c: float(np.mean([r.metrics[c] for r in results])) for c in cols}


def _disagreements(exact: dict[str, float], vec: dict[str, float]) -> list[str]:
    out = []
    for col, e in exact.items():
        spec = metric_spec(col, METRICS)
        if spec is None or spec.agree is None or col not in vec:
            continue
        tol_abs, tol_rel = spec.agree
        if abs(vec[col] - e) > tol_abs + tol_rel * abs(e):
            out.append(f"{col}: exact {e:.6g} vector {vec[col]:.6g}")
    return out


@pytest.fixture(scope="module")
def exact_means(reduced: Scenario) -> dict[str, float]:
    return _means([run_path(reduced, i, s) for i, s in enumerate(seeds(11, N_COMMON))])


def test_vector_chunk__common_paths__means_within_stated_tolerances(
    reduced: Scenario, exact_means: dict[str, float]
) -> None:
    vec = _means(vector_chunk(reduced, seeds(11, N_COMMON)))
    checked = [c for c in exact_means if (sp := metric_spec(c, METRICS)) and sp.agree]
    assert len(checked) == 8 * 3 + 6  # 8 metrics per AI dollar, 6 of them with a total
    assert exact_means["liquidations"] > 10  # the reduced crash liquidates
    assert _disagreements(exact_means, vec) == []


def test_vector_chunk__perturbed_model__cross_validation_fails(
    reduced: Scenario, exact_means: dict[str, float]
) -> None:
    """Canary: the vectorised model with liquidation ratios 30% higher than the exact one's."""
    bumped = apply_params(
        reduced,
        {
            "system.ai_dollars[AUSD].collaterals[ATH-A].mat": "2.275",
            "system.ai_dollars[AUSD].collaterals[stATH-A].mat": "2.405",
            "system.ai_dollars[vUSD].collaterals[VIRTUAL-A].mat": "2.275",
            "system.ai_dollars[ai16zUSD].collaterals[AI16Z-A].mat": "2.275",
        },
    )
    vec = _means(vector_chunk(bumped, seeds(11, N_COMMON)))
    wrong = _disagreements(exact_means, vec)
    assert any(w.startswith("liquidat") for w in wrong), wrong


def _cp(x: np.ndarray, r_in: np.ndarray, r_out: np.ndarray, fee: float) -> np.ndarray:
    xe = x * (1.0 - fee)
    return np.asarray(r_out * xe / (r_in + xe), dtype=np.float64)


def test_arbitrage_size__two_pool_cycles__same_optimum_as_the_exact_search() -> None:
    """The vectorised sizing (``vector_arb.Arbitrage._size``) against the exact arbitrageur's
    ``size`` (integer base units, its own bracketing and golden steps) on 2-leg cycles through
    two constant-product pools: a guess far below the optimum (doubling), far above it (halving),
    an optimum beyond the cash, an infinite guess and a cycle that loses; both with the default
    ``arbitrageurs.search_steps``."""
    from peglab.sim.agents.arbitrage import Arbitrageur  # after the family (circular import)

    fee = 0.003
    r1 = np.array([1e6, 1e6, 1e6, 1e6, 1e6])  # stablecoin in, X out (pool 1)
    x1 = np.array([1e6, 1e6, 1e6, 1e6, 1e6])
    r2 = np.array([1e6, 1e6, 1e6, 1e6, 1.1e6])  # X in, stablecoin out (pool 2)
    s2 = np.array([1.1e6, 1.1e6, 1.1e6, 1.1e6, 1e6])  # the last cycle loses
    guess = np.array([100.0, 2e6, 5e4, np.inf, 1e3])
    cash = np.array([1e7, 1e7, 5e3, 1e7, 1e7])
    n = guess.size
    idx = np.arange(n)
    z = np.zeros(n)
    fees = np.full(n, fee)
    groups = [
        [_Group(CP, idx, r1, x1, z, z, fees)],
        [_Group(CP, idx, r2, s2, z, z, fees)],
    ]
    arb = Arbitrage.__new__(Arbitrage)
    arb.steps = STEPS
    x_vec, g_vec = arb._size(groups, cash.copy(), guess.copy())
    unit = 10**6

    def gain_of(p: int) -> Any:
        def gain(_cycle: Any, x: int) -> int:
            t = np.array([x / unit])
            out = _cp(_cp(t, r1[p : p + 1], x1[p : p + 1], fee), r2[p : p + 1], s2[p : p + 1], fee)
            return int(out[0] * unit) - x

        return SimpleNamespace(gain=gain, stable="USDC", unit={"USDC": unit}, steps=STEPS)

    for p in range(n):
        g_int = guess[p] * unit if np.isfinite(guess[p]) else cash[p] * unit
        x_ex, g_ex = Arbitrageur.size(gain_of(p), (), int(cash[p] * unit), int(g_int))
        if p == n - 1:
            assert x_ex == 0 and x_vec[p] == 0 and g_vec[p] == 0  # the losing cycle
            continue
        assert x_ex > 0
        assert abs(x_vec[p] * unit - x_ex) <= 1e-4 * x_ex, (p, x_vec[p], x_ex / unit)
        assert abs(g_vec[p] * unit - g_ex) <= 1e-6 * g_ex + 2, (p, g_vec[p], g_ex / unit)
    assert x_vec[2] == pytest.approx(cash[2], rel=1e-12)  # the optimum lies beyond the cash
    # canary: the first case's optimum lies far beyond a window of 16 times the guess (the
    # former search's edge), where the gain is much smaller, so a windowed search fails it
    edge = _cp(_cp(np.array([16 * guess[0]]), r1[:1], x1[:1], fee), r2[:1], s2[:1], fee)[0]
    assert x_vec[0] > 100 * guess[0] and edge - 16 * guess[0] < 0.2 * g_vec[0]
