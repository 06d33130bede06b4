"""Cross-validation of the vectorised models against the exact engine (docs/scale.md
"Cross-validation"): common paths, per-metric verdicts, files, and a canary that fails."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from peglab.cli import main
from peglab.errors import InvalidInput
from peglab.risk.backends import Batched
from peglab.risk.crossval import crossval, parse_agree
from peglab.risk.params import apply_params
from peglab.sim.results import PathResult
from peglab.sim.runner import vector_chunk
from peglab.sim.scenario import Scenario, load_scenario_file

SMALL = Path(__file__).parent / "scenarios" / "small-crash.toml"
REDUCED = {"horizon": "1d", "prices[0].duration": "12h",
           "system.ai_dollars[tUSD].collaterals[0].vaults.count": "12"}  # fmt: skip


@pytest.fixture(scope="module")
def reduced() -> Scenario:
    return apply_params(load_scenario_file(SMALL), REDUCED)


class Scaled:
    """The vector engine with every metric scaled by ``factor`` (a model that disagrees)."""

    def __init__(self, factor: float) -> None:
        self.factor = factor
        self.__qualname__ = self.__module__ = f"Scaled({factor})"

    def __call__(self, sc: Scenario, seeds: Sequence[np.random.SeedSequence]) -> list[PathResult]:
        return [PathResult({k: v * self.factor for k, v in r.metrics.items()}, r.series)
                for r in vector_chunk(sc, seeds)]  # fmt: skip


def test_crossval__real_engines__every_common_column_compared(
    reduced: Scenario, tmp_path: Path
) -> None:
    res = crossval(reduced, 8, 3, tmp_path, progress=False, n_resamples=100,
                   tolerances={"liquidations": (2.0, 0.0)})  # fmt: skip
    m = res["metrics"]["liquidated_usd"]
    assert m["n"] == 8 and m["ci"][0] <= m["difference"] <= m["ci"][1]
    # the mean of per-path differences is the difference of the means, to float rounding (the
    # two engines agree almost path by path, so the difference itself may be ~0)
    scale = abs(m["mean_exact"]) + abs(m["mean_vector"])
    assert abs(m["difference"] - (m["mean_vector"] - m["mean_exact"])) <= 1e-12 * scale
    assert res["metrics"]["liquidations"]["status"] in ("pass", "FLAG")
    assert res["metrics"]["liquidations"]["tolerance"] == 2.0
    # the vector model refuses nothing, so it reports no refused actions
    assert res["metrics"]["refused_actions.tUSD"]["status"] == "only-exact"
    assert (tmp_path / "exact/paths.csv").is_file() and (tmp_path / "vector/paths.csv").is_file()
    assert json.loads((tmp_path / "crossval.json").read_text()) == res
    assert "liquidations" in (tmp_path / "README.md").read_text()


def test_crossval__model_off_by_ten_percent__fails_its_tolerance(
    reduced: Scenario, tmp_path: Path
) -> None:
    """Canary: an "exact" model 10% above the vector engine fails a 1% tolerance and passes 20%."""
    kw = dict(progress=False, n_resamples=100, exact=Batched(Scaled(1.1)))
    bad = crossval(reduced, 6, 3, tmp_path / "a", tolerances={"liquidated_usd": (0.0, 0.01)}, **kw)
    # a metric's tolerance holds for its total and every instance column
    # (the AI dollars' stated peg tolerances fail too: a peg 10% off is far outside them)
    assert bad["passed"] is False
    assert {"liquidated_usd", "liquidated_usd.tUSD"} <= set(bad["failed"])
    assert bad["metrics"]["liquidated_usd"]["ci"][1] < 0
    ok = crossval(reduced, 6, 3, tmp_path / "b", tolerances={"liquidated_usd": (0.0, 0.2)}, **kw)
    assert not {"liquidated_usd", "liquidated_usd.tUSD"} & set(ok["failed"])
    assert set(ok["failed"]) == set(bad["failed"]) - {"liquidated_usd", "liquidated_usd.tUSD"}
    assert "FAIL" in (tmp_path / "a" / "README.md").read_text()


def test_cli_crossval__zero_tolerance__table_files_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cv"
    rc = main(["crossval", str(SMALL), "--paths", "3", "--seed", "2", "--workers", "1",
               "--agree", "liquidated_usd=0,0", "--no-progress", "--out", str(out)])  # fmt: skip
    printed = capsys.readouterr().out
    assert rc == 1 and "liquidated_usd" in printed and "FAILED" in printed
    failed = json.loads((out / "crossval.json").read_text())["failed"]
    assert failed == ["liquidated_usd", "liquidated_usd.tUSD"]


@pytest.mark.parametrize("text", ["x", "m=1", "m=a,b", "=1,2", "m=-1,0"])
def test_parse_agree__malformed__refused(text: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_agree(text)
    assert info.value.code == "crossval/bad-agree"


def test_cli_crossval__bad_agree__one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["crossval", str(SMALL), "--agree", "peg_min"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("peglab: error: crossval/bad-agree:") and err.count("\n") == 1
