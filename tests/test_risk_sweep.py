"""Parameter sweeps (risk.sweep): common random numbers, reproducible bytes, one-line refusals."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from peglab.cli import main
from peglab.errors import InvalidInput
from peglab.risk.sweep import Param, apply_params, parse_param, run_sweep
from peglab.sim.runner import float_path
from peglab.sim.scenario import Scenario, load_scenario_file, scenario_hash

SMALL = Path(__file__).parent / "scenarios" / "small-crash.toml"


@pytest.fixture(scope="module")
def small() -> Scenario:
    return load_scenario_file(SMALL)


def test_parse_param__grid_text__path_and_values() -> None:
    assert parse_param("agents.keepers.max_buy_price=1.0, 1.05,1.1") == Param(
        "agents.keepers.max_buy_price", ("1.0", "1.05", "1.1")
    )
    for bad in ("agents.keepers.max_buy_price", "=1,2", "a.b=", "a.b=1,,2", "a.b=1,1"):
        with pytest.raises(InvalidInput) as info:
            parse_param(bad)
        assert info.value.code == "sweep/bad-param"


def test_apply_params__paths_by_index_and_name__set_and_validated(small: Scenario) -> None:
    same = apply_params(small, {})
    assert scenario_hash(same) == scenario_hash(small)  # the dump round-trips
    sc = apply_params(
        small,
        {
            "agents.keepers.max_buy_price": "1.2",
            "system.ai_dollars[tUSD].collaterals[TOK-A].mat": "2",
        },
    )
    assert float(sc.agents.keepers.max_buy_price) == 1.2
    assert float(sc.system.ai_dollars[0].collaterals[0].mat) == 2.0
    for path, code in (
        ("agents.keepers.max_buy_prize", "sweep/unknown-param"),
        ("system.ai_dollars[3].line_usd", "sweep/unknown-param"),
        ("system.ai_dollars[nope].line_usd", "sweep/unknown-param"),
        ("agents.keepers", "sweep/bad-param"),
        ("agents..keepers", "sweep/bad-param"),
    ):
        with pytest.raises(InvalidInput) as info:
            apply_params(small, {path: "1"})
        assert info.value.code == code, path
    with pytest.raises(InvalidInput) as info:
        apply_params(small, {"system.ai_dollars[0].collaterals[0].mat": "0.5"})
    assert info.value.code == "scenario/invalid" and "must be at least 1" in str(info.value)


def test_run_sweep__agent_parameter__common_random_numbers_and_identical_bytes(
    small: Scenario, tmp_path: Path
) -> None:
    grid = {"agents.keepers.max_buy_price": ["1.01", "1.20"], "agents.keepers.margin": ["0.02"]}
    a = run_sweep(small, grid, 4, 9, tmp_path / "a", run_path=float_path, progress=False)
    assert [p["values"] for p in a["points"]] == [
        {"agents.keepers.max_buy_price": "1.01", "agents.keepers.margin": "0.02"},
        {"agents.keepers.max_buy_price": "1.20", "agents.keepers.margin": "0.02"},
    ]
    f0 = np.load(tmp_path / "a/points/000/series/fundamental.TOK.npy")
    f1 = np.load(tmp_path / "a/points/001/series/fundamental.TOK.npy")
    assert np.array_equal(f0, f1)  # the same fundamental paths at every grid point
    run_sweep(small, grid, 4, 9, tmp_path / "b", run_path=float_path, progress=False)
    for name in ("sweep.json", "table.csv", "points/000/summary.json", "points/001/summary.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert (tmp_path / "a/sweep.html").stat().st_size > 1000
    header = (tmp_path / "a/table.csv").read_text().splitlines()[0].split(",")
    assert header[:3] == ["point", "agents.keepers.max_buy_price", "agents.keepers.margin"]
    assert "bad_debt_usd.mean" in header


def test_run_sweep__price_parameter__moves_the_metric_on_the_same_seeds(
    small: Scenario, tmp_path: Path
) -> None:
    res = run_sweep(
        small, {"prices[0].drawdown": ["0.2", "0.7"]}, 3, 4, tmp_path, run_path=float_path,
        progress=False, report=False,
    )  # fmt: skip
    mild, deep = (p["metrics"]["liquidated_usd"]["mean"] for p in res["points"])
    assert mild < deep
    saved = json.loads((tmp_path / "sweep.json").read_text())
    assert saved["points"][1]["scenario_hash"] != saved["points"][0]["scenario_hash"]


def test_cli_sweep__unknown_parameter__one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["sweep", str(SMALL), "--param", "agents.keepers.max_buy_prize=1,2",
                 "--paths", "2", "--out", str(tmp_path / "x")])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert err.startswith("peglab: error: sweep/unknown-param: ")
    assert not (tmp_path / "x").exists()  # refused before any work


def test_cli_sweep__float_engine__writes_the_run_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "s"
    code = main(["sweep", str(SMALL), "--param", "agents.keepers.margin=0.01,0.05", "--paths", "2",
                 "--workers", "1", "--engine", "float", "--no-progress", "--out", str(out)])  # fmt: skip
    assert code in (0, None)
    assert "margin" in capsys.readouterr().out
    assert (out / "sweep.json").is_file() and (out / "points/001/summary.json").is_file()


def test_cli_sweep__tiered_engine__each_point_a_tiered_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "s"
    code = main(["sweep", str(SMALL), "--param", "agents.keepers.margin=0.01,0.05", "--paths", "12",
                 "--workers", "1", "--engine", "tiered", "--control-paths", "2", "--chunk", "5",
                 "--no-progress", "--out", str(out)])  # fmt: skip
    assert code in (0, None)
    capsys.readouterr()
    sweep = json.loads((out / "sweep.json").read_text())
    assert sweep["engine"] == "tiered"
    assert all(isinstance(p["tier_flags"], list) for p in sweep["points"])
    for point in ("000", "001"):
        summary = json.loads((out / "points" / point / "summary.json").read_text())
        assert summary["engine"] == "tiered" and summary["tiers"]["rule"]["control"] == 2
        assert (out / "points" / point / "tiers/exact/paths.csv").is_file()
