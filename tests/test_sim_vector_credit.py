"""The GPU-credit families' vectorised models (docs/scale.md "Vectorised models: GPU credit and
yield vaults"): a path's result does not depend on its batch, the same seed gives the same bytes,
and on common paths the vectorised means agree with the exact engine's within each metric's
stated tolerance (``MetricSpec.agree``), a check that a perturbed model fails."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from peglab.risk.library import scenario_path
from peglab.sim.family import metric_spec, scenario_families
from peglab.sim.results import PathResult
from peglab.sim.runner import float_path, run_path, vector_chunk
from peglab.sim.scenario import Scenario, load_scenario_file

BOTH = """
name = "credit-vector"
horizon = "{horizon}"
step = "1d"

[[system.gaib]]
index = "{index}"
deals = {deals}
{extra}

[[system.usdai]]
index = "{index}"
deals = {deals}
junior_share = "0.2"
{extra}

[[assets]]
symbol = "USDC"
kind = "stable"
price = "1"

[[system.pools]]
id = "AID-USDC"
coins = ["AID", "USDC"]
depth_usd = "4000000"
A = 200

[[system.pools]]
id = "USDai-USDC"
coins = ["USDai", "USDC"]
depth_usd = "4000000"
A = 200
"""


def scenario(tmp_path: Path, name: str = "s", **kw: object) -> Scenario:
    args: dict[str, object] = {"horizon": "120d", "index": "collapse", "deals": 6, "extra": ""}
    args.update(kw)
    p = tmp_path / f"{name}.toml"
    p.write_text(BOTH.format(**args))
    return load_scenario_file(p)


def seeds(n: int, root: int = 3) -> list[np.random.SeedSequence]:
    return [np.random.SeedSequence(root, spawn_key=(i,)) for i in range(n)]


def same(a: PathResult, b: PathResult) -> bool:
    if a.metrics.keys() != b.metrics.keys() or a.series.keys() != b.series.keys():
        return False
    scalars = all(
        np.float64(a.metrics[k]).tobytes() == np.float64(b.metrics[k]).tobytes() for k in a.metrics
    )
    return scalars and all(a.series[k].tobytes() == b.series[k].tobytes() for k in a.series)


@pytest.mark.parametrize(
    "extra",
    ['run_month = 1\nutilisation_to = "0.55"', "freeze_day = 20\nfloat_panic = true"],
)
def test_vector_chunk__batch_of_six__equals_six_batches_of_one(tmp_path: Path, extra: str) -> None:
    sc = scenario(tmp_path, extra=extra)
    ss = seeds(6)
    batch = vector_chunk(sc, ss)
    alone = [float_path(sc, i, s) for i, s in enumerate(ss)]
    assert all(same(a, b) for a, b in zip(batch, alone, strict=True))
    assert len({r.metrics["said_realised_yield.AID"] for r in batch}) > 1  # paths differ


def test_vector_chunk__same_seed__same_bytes(tmp_path: Path) -> None:
    sc = scenario(tmp_path, index="free", extra='rho = "0.6"\nhazard_per_month = "0.0237"')
    a, b = vector_chunk(sc, seeds(3, 9)), vector_chunk(sc, seeds(3, 9))
    assert all(same(x, y) for x, y in zip(a, b, strict=True))
    assert not same(a[0], vector_chunk(sc, seeds(1, 10))[0])


def disagreements(sc: Scenario, exact: list[PathResult], vec: list[PathResult]) -> list[str]:
    """The per-instance columns whose vectorised mean lies outside the metric's ``agree``."""
    specs = [m for fam, _ in scenario_families(sc) for m in fam.metrics]
    bad = []
    for col in exact[0].metrics:
        spec = metric_spec(col, specs)
        if "." not in col or spec is None or spec.agree is None:
            continue
        e = float(np.mean([r.metrics[col] for r in exact]))
        v = float(np.mean([r.metrics[col] for r in vec]))
        tol_abs, tol_rel = spec.agree
        if abs(v - e) > tol_abs + tol_rel * abs(e):
            bad.append(f"{col}: exact {e:.6g} vectorised {v:.6g}")
    return bad


def reduced_library(
    tmp_path: Path, name: str, horizon: str, deals: int, extra: str = ""
) -> Scenario:
    """A library scenario on a shorter horizon with fewer deals (the same mechanisms); ``extra``
    lines go into both credit blocks."""
    text = scenario_path(name).read_text()
    text = re.sub(r'horizon = "\d+d"', f'horizon = "{horizon}"', text)
    text = re.sub(r"(\[\[system\.(gaib|usdai)\]\]\n)", rf"\1deals = {deals}\n{extra}", text)
    p = tmp_path / f"{name}{len(extra)}.toml"
    p.write_text(text)
    return load_scenario_file(p)


@pytest.mark.slow
def test_cross_validation__reduced_redemption_run__means_agree_within_stated_tolerances(
    tmp_path: Path,
) -> None:
    sc = reduced_library(tmp_path, "redemption-run", "300d", 10)
    ss = seeds(24, 11)
    exact = [run_path(sc, i, s) for i, s in enumerate(ss)]
    vec = vector_chunk(sc, ss)
    assert disagreements(sc, exact, vec) == []
    # canary: a vectorised model whose T-bill rate is off by 2 points fails the same check
    canary = reduced_library(tmp_path, "redemption-run", "300d", 10, 'tbill_apr = "0.0615"\n')
    bad = disagreements(sc, exact, vector_chunk(canary, ss))
    assert any("realised_yield" in b for b in bad)


def test_vector_chunk__usdai_block_added__gaib_paths_unchanged(tmp_path: Path) -> None:
    """As on the exact engine, the second credit family reuses the first one's GPU draws, so
    adding the USD.AI block leaves the Gaib paths of a seed unchanged to the bit."""
    both = scenario(tmp_path, extra='run_month = 1\nutilisation_to = "0.55"')
    text = (tmp_path / "s.toml").read_text()
    gaib_only = text.split("[[system.usdai]]")[0] + "[[assets]]" + text.split("[[assets]]")[1]
    gaib_only = gaib_only.split('[[system.pools]]\nid = "USDai-USDC"')[0]
    p = tmp_path / "gaib.toml"
    p.write_text(gaib_only)
    alone = vector_chunk(load_scenario_file(p), seeds(3))
    side = vector_chunk(both, seeds(3))
    for a, b in zip(alone, side, strict=True):
        for k, v in a.metrics.items():
            if k.endswith(".AID"):
                assert np.float64(v).tobytes() == np.float64(b.metrics[k]).tobytes(), k
        assert a.series["said_nav.AID"].tobytes() == b.series["said_nav.AID"].tobytes()
    assert side[0].metrics["gpu_low.USDai"] == side[0].metrics["gpu_low.AID"]
