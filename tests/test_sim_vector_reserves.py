"""Pool reserves on the vectorised engine (``reserve.<pool>:<coin>``, docs/scale.md "Vectorised
models"): on a reduced scenario of each family the vectorised result reports the same reserve
series as the exact ``run_path`` (same keys, same shapes), equal at the first grid point (the
seeding) and close over the path on the same seeds; a batch's reserves do not depend on the batch.

Tolerances, stated before the comparison was run. Seeding: relative 1e-15, because the exact
engine seeds ``int(x * 1e18)`` wei (``sim.world.to_wad``: relative error ~1e-16) where the float
models keep ``x``. Over the path: at every grid point of every compared path,
``|vectorised - exact| <= 0.02 * seed``, 2% of the coin's seeded reserve, the relative tolerance
the families state for their loss and drawdown means (``MetricSpec.agree`` rel 0.02:
``vault_nav_drawdown``, ``credit.AGREE_LOSS``), here applied per point, not to a mean. A canary
shifts the vectorised series by 2.5% of the seed on the second half of the path and fails the
same check.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from test_sim_vector_ai import reduced_crash
from test_sim_vector_credit import scenario
from test_sim_vector_yield import reduced

from peglab.sim.family import pool_coins
from peglab.sim.results import PathResult, PoolReserves, report_grid
from peglab.sim.runner import run_path, vector_chunk
from peglab.sim.scenario import Scenario, load_scenario_file

SEED_REL = 1e-15
PATH_REL = 0.02


def seeds(n: int, root: int = 11) -> list[np.random.SeedSequence]:
    return [np.random.SeedSequence(root, spawn_key=(i,)) for i in range(n)]


def reserves(r: PathResult) -> dict[str, np.ndarray]:
    return {k: np.asarray(v) for k, v in r.series.items() if k.startswith("reserve.")}


def mixed(tmp_path: Path) -> Scenario:
    """An AI dollar and a yield vault in one scenario: the AI-dollar model owns the AI dollar's
    and the asset's pools, the yield-vault model its own (``sim.runner``)."""
    text = (Path(__file__).parent / "scenarios" / "small-crash.toml").read_text()
    for old, new in (
        ('horizon = "2d"\nstep = "1h"', 'horizon = "10d"\nstep = "1d"'),
        ('start = "2h"', 'start = "1d"'),
        ('duration = "24h"', 'duration = "2d"'),
    ):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    text += (
        '\n[[system.yield_vaults]]\nshare = "alUSD"\ndollar = "yUSD"\n\n[[system.pools]]\n'
        'id = "yUSD-USDC"\ncoins = ["yUSD", "USDC"]\ndepth_usd = "40000000"\nA = 200\n'
    )
    p = tmp_path / "mixed.toml"
    p.write_text(text)
    return load_scenario_file(p)


def misses(exact: PathResult, vec: PathResult) -> list[str]:
    """The reserve series where the vectorised path leaves the stated tolerances."""
    bad = []
    ve = reserves(vec)
    for key, e in reserves(exact).items():
        v = ve[key]
        seed = abs(e[0])
        if abs(v[0] - e[0]) > SEED_REL * seed:
            bad.append(f"{key}: seeded {v[0]!r}, exact {e[0]!r}")
        gap = np.abs(v - e)
        if (gap > PATH_REL * seed).any():
            g = int(np.argmax(gap))
            bad.append(f"{key}: point {g} vectorised {v[g]:.6g} exact {e[g]:.6g}")
    return bad


def family_scenario(family: str, tmp_path: Path) -> Scenario:
    """The reduced scenarios of the families' own vector tests: ``ai-token-crash`` on 2 days of
    30 minutes, ``rate-spike`` on 30 days, Gaib and USD.AI on 120 days with a run."""
    if family == "ai_dollar":
        return reduced_crash()
    if family == "yield_vault":
        return reduced(tmp_path, "rate-spike")
    return scenario(tmp_path, extra='run_month = 1\nutilisation_to = "0.55"')


Runs = tuple[Scenario, list[PathResult], list[PathResult]]


@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Runs]:
    """``family -> (scenario, exact paths, vectorised paths)`` on 3 common seeds, run once."""
    known: dict[str, Runs] = {}

    def get(family: str) -> Runs:
        if family not in known:
            sc = family_scenario(family, tmp_path_factory.mktemp(family))
            ss = seeds(3)
            exact = [run_path(sc, i, s) for i, s in enumerate(ss)]
            known[family] = (sc, exact, vector_chunk(sc, ss))
        return known[family]

    return get


@pytest.mark.parametrize("family", ["ai_dollar", "yield_vault", "credit"])
def test_vector_chunk__reduced_scenario__same_reserve_series_as_exact_seeded_alike(
    engines: Callable[[str], Runs], family: str
) -> None:
    sc, exact, vec = engines(family)
    points = len(report_grid(sc.n_steps))
    for e, v in zip(exact, vec, strict=True):
        assert reserves(v).keys() == reserves(e).keys() == {f"reserve.{c}" for c in pool_coins(sc)}
        assert all(a.shape == (points,) for a in [*reserves(v).values(), *reserves(e).values()])
        for key, a in reserves(v).items():
            b = reserves(e)[key]
            assert abs(a[0] - b[0]) <= SEED_REL * abs(b[0]), key
            # canary: a seed off by one part in 1e12 fails the same check
            assert abs(a[0] * (1 + 1e-12) - b[0]) > SEED_REL * abs(b[0]), key


@pytest.mark.parametrize("family", ["ai_dollar", "yield_vault", "credit"])
def test_vector_chunk__reduced_scenario__reserves_within_two_percent_of_exact(
    engines: Callable[[str], Runs], family: str
) -> None:
    sc, exact, vec = engines(family)
    points = len(report_grid(sc.n_steps))
    for e, v in zip(exact, vec, strict=True):
        moved = {k: a.copy() for k, a in reserves(v).items()}  # canary: the same check fails
        for a in moved.values():
            a[points // 2 :] += 0.025 * abs(a[0])
        assert len(misses(e, PathResult(v.metrics, {**v.series, **moved}))) == len(moved)
        assert misses(e, v) == []
    # the pools do move: a check of constant series would prove nothing
    assert any(np.ptp(a) > 1e-3 * abs(a[0]) for r in vec for a in reserves(r).values())


def test_vector_chunk__two_families__each_pool_recorded_once_by_its_owner(tmp_path: Path) -> None:
    sc = mixed(tmp_path)
    ss = seeds(2)
    for i, (s, v) in enumerate(zip(ss, vector_chunk(sc, ss), strict=True)):
        e = run_path(sc, i, s)
        assert list(reserves(v)) == [f"reserve.{c}" for c in pool_coins(sc)]
        assert reserves(v).keys() == reserves(e).keys()
        for key in ("reserve.yUSD-USDC:yUSD", "reserve.yUSD-USDC:USDC"):  # the yield model's
            assert abs(reserves(v)[key][0] - reserves(e)[key][0]) <= SEED_REL * reserves(e)[key][0]


@pytest.mark.parametrize("family", ["ai_dollar", "yield_vault", "credit"])
def test_vector_chunk__batch_of_three__reserves_equal_three_batches_of_one(
    engines: Callable[[str], Runs], family: str
) -> None:
    sc, _, together = engines(family)  # one batch of the 3 seeds
    alone = [vector_chunk(sc, [s])[0] for s in seeds(3)]
    for a, b in zip(together, alone, strict=True):
        ra, rb = reserves(a), reserves(b)
        assert ra and ra.keys() == rb.keys()
        assert all(ra[k].tobytes() == rb[k].tobytes() for k in ra)
    first, second = reserves(together[0]), reserves(together[1])
    assert any(first[k].tobytes() != second[k].tobytes() for k in first)  # the paths differ


def test_pool_reserves__samples_on_the_grid_only() -> None:
    rec = PoolReserves(400, 2)  # grid 0, 3, 6, ..., 399, 400
    for k in range(401):
        rec.sample(k, "P", ("A", "B"), [np.full(2, float(k)), np.full(2, -float(k))])
    grid = report_grid(400)
    np.testing.assert_array_equal(rec.series["P:A"], np.tile(grid.astype(float), (2, 1)))
    np.testing.assert_array_equal(rec.series["P:B"], -rec.series["P:A"])
    part = PoolReserves(400, 1)
    part.sample(3, "P", ("A",), [np.ones(1)])
    assert np.isnan(part.series["P:A"][0, 0]) and part.series["P:A"][0, 1] == 1.0
