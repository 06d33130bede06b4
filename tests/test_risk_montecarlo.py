"""Monte Carlo driver: reproducibility, streamed outputs, bad input, and the keeper-failure contrast."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from peglab.errors import InvalidInput
from peglab.risk.library import load_scenario
from peglab.risk.montecarlo import (
    PathResult,
    path_seed,
    report_grid,
    run_monte_carlo,
    run_stress,
)
from peglab.sim.runner import float_path as float_cdp_path
from peglab.sim.scenario import Scenario, load_scenario_file

TINY = """
base = "default-system"
name = "tiny-crash"
horizon = "6h"
step = "15m"

[[prices]]
model = "bridge"
assets = ["ATH", "VIRTUAL", "AI16Z"]
drawdown = "0.4"
start = "1h"
duration = "3h"
regime = "stressed"
jump_rate = "12"
jump_mean = "-0.12"
jump_std = "0.08"

[[prices]]
model = "ou"
assets = ["USDC"]
"""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    p = tmp_path_factory.mktemp("sc") / "tiny.toml"
    p.write_text(TINY)
    return load_scenario_file(p)


def _run(sc: Scenario, out: Path, seed: int = 5, workers: int = 1, paths: int = 6) -> dict:
    return run_monte_carlo(
        sc,
        float_cdp_path,
        paths=paths,
        seed=seed,
        out_dir=out,
        workers=workers,
        progress=False,
        n_resamples=200,
    )


def test_path_seed__index__equals_spawned_child() -> None:
    children = np.random.SeedSequence(99).spawn(5)
    for i, child in enumerate(children):
        assert path_seed(99, i).generate_state(4).tolist() == child.generate_state(4).tolist()


def test_run_monte_carlo__same_seed__identical_summary_and_table_bytes(
    tiny: Scenario, tmp_path: Path
) -> None:
    _run(tiny, tmp_path / "a")
    _run(tiny, tmp_path / "b")
    _run(tiny, tmp_path / "c", workers=2)
    a = (tmp_path / "a" / "summary.json").read_bytes()
    assert a == (tmp_path / "b" / "summary.json").read_bytes()
    assert a == (tmp_path / "c" / "summary.json").read_bytes()  # any worker count
    assert (tmp_path / "a" / "paths.csv").read_bytes() == (
        tmp_path / "c" / "paths.csv"
    ).read_bytes()
    timings = json.loads((tmp_path / "c" / "timings.json").read_text())
    assert timings["workers"] == 2 and "workers" not in a.decode()


def test_run_monte_carlo__different_seeds__differ(tiny: Scenario, tmp_path: Path) -> None:
    s1 = _run(tiny, tmp_path / "a", seed=1)
    s2 = _run(tiny, tmp_path / "b", seed=2)
    assert s1["metrics"]["liquidated_usd"] != s2["metrics"]["liquidated_usd"]
    assert (tmp_path / "a" / "paths.csv").read_bytes() != (
        tmp_path / "b" / "paths.csv"
    ).read_bytes()


def test_run_monte_carlo__outputs__table_series_and_summary_fields(
    tiny: Scenario, tmp_path: Path
) -> None:
    s = _run(tiny, tmp_path, paths=7)
    with (tmp_path / "paths.csv").open() as fh:
        rows = list(csv.reader(fh))
    assert rows[0][0] == "path" and [int(r[0]) for r in rows[1:]] == list(range(7))
    n_points = len(report_grid(tiny.n_steps))
    peg = np.load(tmp_path / "series" / "peg.AUSD.npy")
    assert peg.shape == (7, n_points) and np.all(peg > 0)
    assert sorted(p.name for p in (tmp_path / "paths").iterdir()) == [
        "path-00000.csv",
        "path-00001.csv",
        "path-00002.csv",
    ]
    assert s["scenario"]["name"] == "tiny-crash" and len(s["scenario"]["hash"]) == 64
    assert s["seed"] == 5 and s["paths"] == 7 and s["peglab_version"]
    bad = s["metrics"]["bad_debt_usd"]
    assert {"mean", "VaR95", "VaR99", "ES97.5", "EVaR95"} <= set(bad) and bad["n"] == 7
    assert "VaR95" not in s["metrics"]["peg_min"] and "p05" in s["metrics"]["peg_min"]
    assert (tmp_path / "timings.json").is_file()


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"paths": 0}, "stress/bad-paths"),
        ({"seed": -1}, "stress/bad-seed"),
        ({"workers": 0}, "stress/bad-workers"),
        ({"paths": 2.5}, "stress/bad-paths"),
    ],
)
def test_run_monte_carlo__bad_arguments__invalid_input(
    tiny: Scenario, tmp_path: Path, kwargs: dict, code: str
) -> None:
    args = {"paths": 2, "seed": 1, "workers": 1} | kwargs
    with pytest.raises(InvalidInput) as info:
        run_monte_carlo(tiny, float_cdp_path, out_dir=tmp_path, progress=False, **args)
    assert info.value.code == code


def test_run_stress__unknown_scenario__lists_names(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as info:
        run_stress("nope", 2, 1, tmp_path, progress=False)
    assert info.value.code == "scenario/unknown" and "keeper-failure" in str(info.value)


def _inconsistent(sc: Scenario, i: int, seed: np.random.SeedSequence) -> PathResult:
    return PathResult(metrics={"a": 1.0} if i == 0 else {"b": 2.0})


def _failing(sc: Scenario, i: int, seed: np.random.SeedSequence) -> PathResult:
    if i == 2:
        raise RuntimeError("boom")
    return PathResult(metrics={"x": float(i)})


def test_run_monte_carlo__inconsistent_metrics__refused(tiny: Scenario, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as info:
        run_monte_carlo(tiny, _inconsistent, paths=2, seed=1, out_dir=tmp_path, progress=False)
    assert info.value.code == "stress/inconsistent-metrics"


def test_run_monte_carlo__path_raises__traceback_note_and_partial_rows(
    tiny: Scenario, tmp_path: Path
) -> None:
    with pytest.raises(RuntimeError) as info:
        run_monte_carlo(tiny, _failing, paths=4, seed=3, out_dir=tmp_path, progress=False)
    assert any("path 2" in note for note in info.value.__notes__)
    rows = (tmp_path / "paths.csv").read_text().splitlines()
    assert rows == ["path,x", "0,0.0", "1,1.0"]  # partial results stay on disk


def test_float_cdp_path__dutch_crash__no_zero_bids_and_sane_accounting(tiny: Scenario) -> None:
    r = float_cdp_path(tiny, 0, path_seed(11, 0))
    m = r.metrics
    assert m["zero_bids"] == 0.0  # Dutch auctions reset instead of clearing at zero
    assert m["liquidations"] > 0 and m["liquidated_usd"] > 0
    assert 0.0 < m["clear_ratio.AUSD"] <= 1.0
    assert m["bad_debt_final_usd"] <= m["bad_debt_usd"]
    assert set(r.series) >= {"peg.AUSD", "liquidated_usd.vUSD", "cr.ai16zUSD"}


def test_keeper_failure__with_and_without_keepers__black_thursday_contrast() -> None:
    """Keeper-failure (4 paths, seed 1) on the vectorised model: mean 5.8M bad debt with no bids
    for 6 h, 1.8M with keepers (the exact engine on the same paths: 5.9M and 1.9M).

    Without keepers the English auctions clear at zero (hundreds of zero-bid lots), the deficit
    exhausts the backstop and every path either recapitalises through debt auctions or shuts an
    AI dollar down (cage refunds the debt-auction bids). With keepers present on the same price
    paths most of the deficit goes: their capital still runs out in the burst of 10-minute
    auctions (some zero bids remain, as on Black Thursday), and debt auctions cover the rest.
    """
    failing = load_scenario("keeper-failure")
    working = failing.model_copy(
        update={"shocks": [s for s in failing.shocks if s.kind != "keepers"]}
    )
    bad_fail = [float_cdp_path(failing, i, path_seed(1, i)).metrics for i in range(4)]
    bad_work = [float_cdp_path(working, i, path_seed(1, i)).metrics for i in range(4)]
    mean_fail = np.mean([m["bad_debt_usd"] for m in bad_fail])
    mean_work = np.mean([m["bad_debt_usd"] for m in bad_work])
    assert mean_fail > 3_000_000 and all(m["zero_bids"] > 100 for m in bad_fail)
    assert all(m["recap_usd"] > 0 or m["shutdown"] >= 1 for m in bad_fail)
    assert mean_work <= 0.4 * mean_fail
    assert all(m["recap_usd"] > 0 and m["shutdown"] == 0 for m in bad_work)


def test_aggregate__process_pool__same_summary_bytes_as_one_process(tmp_path: Path) -> None:
    """From AGGREGATE_POOL_PATHS paths the columns are summarised on a pool; each column is
    seeded by its position, so one process and two write the same summary.json."""
    from peglab.risk.engines import engine_model
    from peglab.risk.montecarlo import AGGREGATE_POOL_PATHS, aggregate
    from peglab.risk.rundir import load_catalog
    from peglab.sim.scenario import load_scenario_file

    sc = load_scenario_file(Path(__file__).parent / "scenarios" / "small-crash.toml")
    n = AGGREGATE_POOL_PATHS
    model = engine_model("vector")
    run_monte_carlo(sc, model, paths=n, seed=3, out_dir=tmp_path, workers=1, progress=False,
                    n_resamples=100)  # fmt: skip
    one = (tmp_path / "summary.json").read_bytes()
    cat = load_catalog(tmp_path)
    aggregate(tmp_path, sc, model, cat, paths=n, seed=3, n_resamples=100, workers=2)
    assert (tmp_path / "summary.json").read_bytes() == one
    aggregate(tmp_path, sc, model, cat, paths=n, seed=4, n_resamples=100, workers=2)
    assert (tmp_path / "summary.json").read_bytes() != one  # canary: the bytes follow the seed


def test_read_paths_table__repr_floats__same_bits_as_float(tmp_path: Path) -> None:
    from peglab.risk.rundir import read_paths_table

    rng = np.random.default_rng(9)
    values = [float(v) for v in rng.normal(size=40) * 10.0 ** rng.integers(-300, 300, size=40)]
    values += [5e-324, 0.1 + 0.2]
    values += [float("nan"), float("inf"), float("-inf"), -0.0]
    path = tmp_path / "paths.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["path", "a", "b"])
        for i in range(0, len(values) - 1, 2):
            w.writerow([7 * i, repr(values[i]), repr(values[i + 1])])
    ids, cols, data = read_paths_table(path)
    want = np.array(values, dtype=np.float64).reshape(-1, 2)
    assert ids == [7 * i for i in range(0, len(values) - 1, 2)] and cols == ["a", "b"]
    assert np.array_equal(data.view(np.int64), want.view(np.int64))
    path.write_text("path,a,b\r\n")
    ids, cols, data = read_paths_table(path)
    assert ids == [] and cols == ["a", "b"] and data.shape == (0, 2)
