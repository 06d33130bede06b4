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
from peglab.risk.crossval import (
    LIBRARY_REDUCED,
    crossval,
    crossval_library,
    library_entries,
    parse_agree,
)
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


# --- the whole library (peglab crossval --all): one table, reuse of the exact side -------------


def test_crossval_library__reduced_entry__one_table_of_every_judged_column(
    reduced: Scenario, tmp_path: Path
) -> None:
    res = crossval_library(tmp_path, 3, 3, entries=[("small", reduced, "1 day, 12 vaults")],
                           progress=False, n_resamples=50)  # fmt: skip
    (entry,) = res["scenarios"]
    assert entry["compared"] and entry["judged"] == len(entry["metrics"]) > 0
    assert all(m["tolerance"] is not None for m in entry["metrics"].values())
    assert entry["run"]["exact_reused"] is False and entry["run"]["wall_s"]["exact"] > 0
    assert res["commit"] and res["paths"] == 3 and res["seed"] == 3
    assert json.loads((tmp_path / "library.json").read_text()) == res
    table = (tmp_path / "README.md").read_text()
    # the summary row, then one row per judged column, named by scenario and column
    summary, detail = table.split("| scenario | column |")
    verdict = "**PASS**" if res["passed"] else "**FAIL**"
    assert "| small | 1 day, 12 vaults |" in summary and verdict in summary
    rows = [line for line in detail.splitlines() if line.startswith("| small | ")]
    assert len(rows) == entry["judged"] and any("| liquidated_usd |" in r for r in rows)
    assert "seed 3" in table and res["commit"] in table and "1 day, 12 vaults" in table
    assert (tmp_path / "small" / "crossval.json").is_file()


def test_crossval_library__a_column_disagrees__fail_in_the_table(
    reduced: Scenario, tmp_path: Path
) -> None:
    """Canary: an "exact" model 10% above the vector engine fails the library verdict."""
    res = crossval_library(tmp_path, 3, 3, entries=[("small", reduced, "reduced")],
                           progress=False, n_resamples=50, exact=Batched(Scaled(1.1)),
                           tolerances={"liquidated_usd": (0.0, 0.01)})  # fmt: skip
    assert res["passed"] is False and "small:liquidated_usd" in res["failed"]
    table = (tmp_path / "README.md").read_text()
    assert "**FAIL**" in table
    assert any(r.startswith("| small | liquidated_usd |") and r.endswith("| FAIL |")
               for r in table.splitlines())  # fmt: skip


def _no_model(sc: Scenario, seeds: Sequence[np.random.SeedSequence]) -> list[PathResult]:
    raise InvalidInput("stress/no-float-model", "the test family has no vectorised model")


def test_crossval_library__no_vectorised_model__listed_not_compared_and_not_passed(
    reduced: Scenario, tmp_path: Path
) -> None:
    res = crossval_library(tmp_path, 2, 3, entries=[("small", reduced, "reduced")],
                           progress=False, vector=Batched(_no_model))  # fmt: skip
    assert res["not_compared"] == ["small"] and res["passed"] is False
    assert "not compared (stress/no-float-model" in (tmp_path / "README.md").read_text()


def test_crossval__reuse_exact__same_run_read_other_run_redone(
    reduced: Scenario, tmp_path: Path
) -> None:
    kw = dict(progress=False, n_resamples=50, exact=Batched(Scaled(1.0)), reuse_exact=True)
    first = crossval(reduced, 3, 3, tmp_path, **kw)
    csv = tmp_path / "exact" / "paths.csv"
    stamp = csv.stat().st_mtime_ns
    again = crossval(reduced, 3, 3, tmp_path, **kw)
    assert not first["run"]["exact_reused"] and again["run"]["exact_reused"]
    assert csv.stat().st_mtime_ns == stamp and again["metrics"] == first["metrics"]
    assert again["run"]["exact_commit"] == first["run"]["commit"]
    other = crossval(reduced, 3, 4, tmp_path, **kw)  # another seed: the exact side runs again
    assert not other["run"]["exact_reused"] and csv.stat().st_mtime_ns != stamp


def test_library_entries__calm_year__run_on_its_stated_prefix() -> None:
    (name, sc, how), (name2, sc2, how2) = library_entries(["calm-year", "calm"])
    assert (name, sc.n_steps) == ("calm-year", 720) and "horizon = 30d" in how
    assert LIBRARY_REDUCED["calm-year"][0] == {"horizon": "30d"}
    assert (name2, how2) == ("calm", "as in the library") and sc2.n_steps == 168


def test_cli_crossval_all__zero_tolerance__library_table_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "lib"
    rc = main(["crossval", "--all", "--only", str(SMALL), "--paths", "2", "--seed", "2",
               "--workers", "1", "--agree", "liquidated_usd=0,0", "--no-progress",
               "--out", str(out)])  # fmt: skip
    printed = capsys.readouterr().out
    assert rc == 1 and "small-crash" in printed and "FAIL" in printed
    assert "small-crash:liquidated_usd" in json.loads((out / "library.json").read_text())["failed"]
    assert (out / "README.md").is_file() and (out / "small-crash" / "exact" / "paths.csv").is_file()


@pytest.mark.parametrize("argv", [["crossval"], ["crossval", "calm", "--all"],
                                  ["crossval", "calm", "--only", "calm"]])  # fmt: skip
def test_cli_crossval__scenario_and_all_mixed__one_line(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("peglab: error: crossval/scenario:") and err.count("\n") == 1
