"""Sensitivity to the thresholds we chose (risk.sensitivity): registry, discovery, pinned flags."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from peglab.risk.backends import LocalPool
from peglab.risk.library import load_scenario
from peglab.risk.montecarlo import run_monte_carlo, run_variants
from peglab.risk.report import render_report
from peglab.risk.sensitivity import (
    chosen_thresholds,
    discover_thresholds,
    pinned,
    run_sensitivity,
    threshold_fields,
)
from peglab.sim.results import PathResult
from peglab.sim.runner import float_path
from peglab.sim.scenario import Scenario, load_scenario_file
from peglab.sim.scenario.fields import Model

SMALL = Path(__file__).parent / "scenarios" / "small-crash.toml"


def test_pinned__slopes__one_for_one_on_both_sides_only() -> None:
    assert pinned((1.0, 1.05, 1.10), (1.0007, 1.057, 1.124))  # the peg_max example
    assert not pinned((1.0, 1.05, 1.10), (1.06, 1.06, 1.06))  # flat: not pinned
    assert not pinned((1.0, 1.05, 1.10), (1.0, 1.05, 1.05))  # one side only
    assert not pinned((1.0, 1.05, 1.10), (0.0, 1.0, 2.0))  # slope 20: it reacts, not reads back
    assert not pinned((1.0, 1.0, 1.10), (1.0, 1.0, 1.1))


def test_discover_thresholds__library__registry_covers_every_threshold_field() -> None:
    sc = load_scenario("ai-token-crash")
    found = discover_thresholds(sc)
    assert {t.path for t in found} == {t.path for t in chosen_thresholds()}
    assert all(t.source == "registry" for t in found)
    paths = {p for p, _ in threshold_fields(sc.agents, "agents")}
    assert "agents.keepers.max_buy_price" in paths and "agents.lps.trigger_price" in paths
    assert "agents.keepers.dropout_prob" not in paths  # a probability, not a threshold


def test_threshold_fields__unregistered_field__discovered() -> None:
    class Holders(Model):  # canary: a threshold the registry does not know
        run_trigger: Decimal = Decimal("0.97")
        share: Decimal = Decimal("0.5")

    class Agents(Model):
        holders: Holders = Holders()

    assert threshold_fields(Agents(), "agents") == [("agents.holders.run_trigger", Decimal("0.97"))]


def _peg_reads_max_buy(sc: Scenario, i: int, seed: np.random.SeedSequence) -> PathResult:
    """The float model, with a peg maximum that reads back the keepers' price cap (a canary)."""
    res = float_path(sc, i, seed)
    metrics = dict(res.metrics)
    metrics["peg_max"] = float(sc.agents.keepers.max_buy_price) + 0.001 * i
    return PathResult(metrics, res.series)


@pytest.fixture(scope="module")
def small() -> Scenario:
    return load_scenario_file(SMALL)


def test_run_sensitivity__peg_reads_back_the_cap__flagged_pinned(
    small: Scenario, tmp_path: Path
) -> None:
    run_monte_carlo(small, _peg_reads_max_buy, paths=3, seed=2, out_dir=tmp_path, progress=False,
                    n_resamples=50)  # fmt: skip
    res = run_sensitivity(tmp_path, small, _peg_reads_max_buy, 2, 2, LocalPool(1), run_variants)
    rows = {r["path"]: r for r in res["thresholds"]}
    assert set(rows) == {t.path for t in chosen_thresholds()}
    mbp = rows["agents.keepers.max_buy_price"]
    assert mbp["values"] == ["1.01", "1.05", "1.10"]
    assert mbp["headlines"]["peg_max"]["pinned"]
    assert mbp["headlines"]["peg_max"]["values"] == pytest.approx([1.0105, 1.0505, 1.1005])
    others = [r for p, r in rows.items() if p != "agents.keepers.max_buy_price"]
    assert not any(h["pinned"] for r in others for h in r["headlines"].values())
    saved = json.loads((tmp_path / "sensitivity.json").read_text())
    assert saved["paths"] == 2 and saved == json.loads(json.dumps(res))
    page = render_report(tmp_path).read_text()
    assert "Sensitivity to the thresholds we chose" in page and "PINNED" in page
    assert "2 paths" in page


def test_run_stress__sensitivity_paths__writes_the_section_and_checks_the_count(
    tmp_path: Path,
) -> None:
    from peglab.errors import InvalidInput
    from peglab.risk.montecarlo import run_stress

    run_stress(SMALL, 2, 3, tmp_path, run_path=float_path, progress=False, n_resamples=20,
               sensitivity_paths=1)  # fmt: skip
    sens = json.loads((tmp_path / "sensitivity.json").read_text())
    assert sens["paths"] == 1 and len(sens["thresholds"]) == len(chosen_thresholds())
    page = (tmp_path / "report.html").read_text()
    assert "Sensitivity to the thresholds we chose" in page
    steps = {r["path"]: r for r in sens["thresholds"]}["agents.arbitrageurs.search_steps"]
    assert steps["values"] == ["10", "16", "24"] and set(steps["headlines"]) >= {"peg_max"}
    assert "<code>agents.arbitrageurs.search_steps</code>" in page and "10 / <b>16</b> / 24" in page
    with pytest.raises(InvalidInput) as info:
        run_stress(SMALL, 2, 3, tmp_path / "b", run_path=float_path, progress=False,
                   sensitivity_paths=3)  # fmt: skip
    assert info.value.code == "stress/bad-sensitivity-paths"


@pytest.mark.parametrize("engine", ["exact", "vector"])
def test_run_variants__each_run__same_bytes_as_its_own_run_monte_carlo(
    tmp_path: Path, small: Scenario, engine: str
) -> None:
    """The sensitivity's variants share one stream of chunks on two workers; each directory is
    byte for byte what a run of its own writes (the stream changes where paths run, not what)."""
    from peglab.risk.engines import engine_model
    from peglab.risk.params import apply_params

    model = engine_model(engine)
    runs = [(apply_params(small, {"agents.keepers.margin": m}), m) for m in ("0.01", "0.05")]
    runs.append((small, "default"))
    with LocalPool(2) as be:
        out = run_variants([(sc, tmp_path / "v" / name) for sc, name in runs], model, paths=3,
                           seed=5, backend=be, n_resamples=50)  # fmt: skip
    assert len(out) == 3
    for sc, name in runs:
        run_monte_carlo(sc, model, paths=3, seed=5, out_dir=tmp_path / "m" / name, workers=1,
                        keep_paths=0, progress=False, n_resamples=50)  # fmt: skip
        for f in ("paths.csv", "summary.json", "metrics.json"):
            assert (tmp_path / "v" / name / f).read_bytes() == (
                tmp_path / "m" / name / f
            ).read_bytes()
    for summary, (_, name) in zip(out, runs, strict=True):  # in the runs' order
        assert summary == json.loads((tmp_path / "m" / name / "summary.json").read_text())


def test_variant_job__chunk_spanning_two_runs__refused(small: Scenario) -> None:
    from peglab.risk.backends import ChunkJob, VariantJob

    job = VariantJob((ChunkJob(float_path, small, 1), ChunkJob(float_path, small, 1)), 4)
    assert [i for i, _ in job([5, 6])] == [5, 6]  # run 1's paths 1 and 2
    with pytest.raises(ValueError, match="spans two runs"):
        job([3, 4])
