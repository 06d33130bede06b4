"""The yield-vault family's vectorised model (docs/scale.md "Vectorised models: yield vaults"): a
path's result does not depend on its batch, the same seed gives the same bytes (also through
``peglab stress --engine vector``), and on common paths of reduced ``rate-spike`` and
``vault-run`` scenarios the vectorised means agree with the exact engine's within each metric's
stated tolerance (``MetricSpec.agree``), a check that a perturbed model fails. The ARMA
optimiser's counterpart: tests/test_sim_vector_yield_optimizer.py."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from peglab.cli import main
from peglab.risk.library import scenario_path
from peglab.sim.family import metric_spec, scenario_families
from peglab.sim.results import PathResult
from peglab.sim.runner import float_path, run_path, vector_chunk
from peglab.sim.scenario import Scenario, load_scenario_file

# every metric of the family carries a stated tolerance
COLUMNS = (
    "vault_nav_drawdown", "vault_realised_apy", "vault_exit_wait_max", "vault_exit_wait_p95",
    "vault_unserved", "dollar_bad_debt", "dollar_price_min", "dollar_peg_dev_max",
    "loopers_liquidated", "loopers_unwound", "loop_leverage_max", "looper_return",
)  # fmt: skip


def reduced_file(
    tmp_path: Path, name: str, extra: str = "", subs: dict[str, str] | None = None
) -> Path:
    """Library scenario ``name`` on 30 days with its shocks moved into them; ``subs`` replaces
    text (``{'duration = "14d"': 'duration = "4d"'}``), ``extra`` goes into the family's block."""
    text = scenario_path(name).read_text()
    text = text.replace("[[system.yield_vaults]]\n", f"[[system.yield_vaults]]\n{extra}")
    text = re.sub(r'horizon = "\d+d"', 'horizon = "30d"', text)
    text = re.sub(r'at = "20d"', 'at = "10d"', text)
    text = re.sub(r'at = "21d"', 'at = "11d"', text)
    for old, new in (subs or {}).items():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    p = tmp_path / f"{name}-{len(list(tmp_path.iterdir()))}.toml"
    p.write_text(text)
    return p


def reduced(
    tmp_path: Path, name: str, extra: str = "", subs: dict[str, str] | None = None
) -> Scenario:
    return load_scenario_file(reduced_file(tmp_path, name, extra, subs))


def seeds(n: int, root: int = 5) -> list[np.random.SeedSequence]:
    return [np.random.SeedSequence(root, spawn_key=(i,)) for i in range(n)]


def same(a: PathResult, b: PathResult) -> bool:
    if a.metrics.keys() != b.metrics.keys() or a.series.keys() != b.series.keys():
        return False
    scalars = all(
        np.float64(a.metrics[k]).tobytes() == np.float64(b.metrics[k]).tobytes() for k in a.metrics
    )
    return scalars and all(a.series[k].tobytes() == b.series[k].tobytes() for k in a.series)


def disagreements(sc: Scenario, exact: list[PathResult], vec: list[PathResult]) -> list[str]:
    """The per-instance columns whose vectorised mean lies outside the metric's ``agree``."""
    specs = [m for fam, _ in scenario_families(sc) for m in fam.metrics]
    bad = []
    for col in exact[0].metrics:
        spec = metric_spec(col, specs)
        if "." not in col or spec is None:
            continue
        assert spec.agree is not None, col
        e = float(np.mean([r.metrics[col] for r in exact]))
        v = float(np.mean([r.metrics[col] for r in vec]))
        tol_abs, tol_rel = spec.agree
        if abs(v - e) > tol_abs + tol_rel * abs(e):
            bad.append(f"{col}: exact {e:.6g} vectorised {v:.6g}")
    return bad


@pytest.mark.parametrize("name", ["rate-spike", "vault-run"])
def test_vector_chunk__batch_of_five__equals_five_batches_of_one(tmp_path: Path, name: str) -> None:
    sc = reduced(tmp_path, name)
    ss = seeds(5)
    batch = vector_chunk(sc, ss)
    alone = [float_path(sc, i, s) for i, s in enumerate(ss)]
    assert all(same(a, b) for a, b in zip(batch, alone, strict=True))
    assert len({r.metrics["vault_realised_apy.alUSD"] for r in batch}) == 5  # paths differ
    assert {f"{c}.alUSD" for c in COLUMNS} <= set(batch[0].metrics)


def test_vector_chunk__same_seed__same_bytes(tmp_path: Path) -> None:
    sc = reduced(tmp_path, "vault-run")
    a, b = vector_chunk(sc, seeds(3, 9)), vector_chunk(sc, seeds(3, 9))
    assert all(same(x, y) for x, y in zip(a, b, strict=True))
    assert not same(a[0], vector_chunk(sc, seeds(1, 10))[0])


@pytest.mark.parametrize(
    ("name", "canary", "moved"),
    [
        # the spike lasting 4 days instead of 14: the pinned market pays less, the AI dollar's
        # fee falls back sooner and the loopers lever up again
        ("rate-spike", {'duration = "14d"': 'duration = "4d"'}, ("vault_realised_apy",)),
        # a 10% exploit instead of 6%
        ("vault-run", {'fraction = "0.06"': 'fraction = "0.1"'}, ("vault_nav_drawdown",)),
    ],
)
def test_cross_validation__reduced_library__means_agree_within_stated_tolerances(
    tmp_path: Path, name: str, canary: dict[str, str], moved: tuple[str, ...]
) -> None:
    sc = reduced(tmp_path, name)
    ss = seeds(12)
    exact = [run_path(sc, i, s) for i, s in enumerate(ss)]
    vec = vector_chunk(sc, ss)
    assert disagreements(sc, exact, vec) == []
    # canary: a vectorised model of a perturbed scenario fails the same check
    bad = disagreements(sc, exact, vector_chunk(reduced(tmp_path, name, subs=canary), ss))
    assert any(b.startswith(m + ".") for b in bad for m in moved), bad


def test_cross_validation__reduced_vault_run_with_bad_debt__auctions_agree(tmp_path: Path) -> None:
    """A 12% exploit at 8x leaves the AI dollar with bad debt (docs/yield-vaults.md §8.5): the
    keeper's auctions of both engines liquidate the same loopers and lose the same debt."""
    later = {'at = "10d"': 'at = "20d"', 'at = "11d"': 'at = "21d"'}  # loopers at 8x by then
    sc = reduced(tmp_path, "vault-run", subs={'fraction = "0.06"': 'fraction = "0.12"', **later})
    ss = seeds(6)
    exact = [run_path(sc, i, s) for i, s in enumerate(ss)]
    vec = vector_chunk(sc, ss)
    assert disagreements(sc, exact, vec) == []
    for e, v in zip(exact, vec, strict=True):
        assert e.metrics["dollar_bad_debt.alUSD"] > 100_000
        assert v.metrics["dollar_bad_debt.alUSD"] == pytest.approx(
            e.metrics["dollar_bad_debt.alUSD"], rel=1e-6
        )
        assert v.metrics["loopers_liquidated.alUSD"] == e.metrics["loopers_liquidated.alUSD"]


def test_cli_stress__engine_vector__same_seed_same_bytes(tmp_path: Path) -> None:
    path = reduced_file(tmp_path, "rate-spike")
    args = ["stress", str(path), "--paths", "3", "--workers", "1", "--engine", "vector"]
    args += ["--no-progress", "--sensitivity-paths", "0"]
    assert main([*args, "--out", str(tmp_path / "a")]) == 0
    assert main([*args, "--out", str(tmp_path / "b")]) == 0
    for name in ("summary.json", "paths.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert '"engine": "vector"' in (tmp_path / "a" / "summary.json").read_text()
