"""The family interface: a second, tiny family runs through the runner, driver, report and CLI.

``support.redeemable_token`` is a real family (an engine StableSwap pool and holders who sell
into it) written only against ``peglab.sim.family``: nothing in the runner, the Monte Carlo
driver, the report or the command line knows about it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from support.redeemable_token import FAMILY, SCENARIO

from peglab.cli import main
from peglab.errors import InvalidInput
from peglab.risk.montecarlo import run_monte_carlo
from peglab.risk.report import render_report
from peglab.sim.family import FamilyMetrics, registered_families
from peglab.sim.results import assemble
from peglab.sim.runner import run_path
from peglab.sim.scenario import Scenario, load_scenario_file


@pytest.fixture(scope="module")
def sell_off(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sc") / "sell-off.toml"
    path.write_text(SCENARIO)
    return path


def seq(i: int) -> np.random.SeedSequence:
    return np.random.SeedSequence(3, spawn_key=(i,))


def test_register__test_family__known_next_to_ai_dollars() -> None:
    fams = registered_families()
    assert next(iter(fams)) == "ai_dollars" and fams["sell_tokens"] is FAMILY


def test_run_path__new_family__sells_into_its_pool(sell_off: Path) -> None:
    sc = load_scenario_file(sell_off)
    m = run_path(sc, 0, seq(0)).metrics
    assert m["token_sold.SELL"] > 0 and 0 < m["token_price_min.SELL"] < 1.0
    assert m["holder_loss_usd"] == m["holder_loss_usd.SELL"] > 0  # sold below par
    assert m["token_price_min"] == m["token_price_min.SELL"]


def test_monte_carlo_report_cli__new_family__no_change_needed(
    sell_off: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sc = load_scenario_file(sell_off)
    kw = {"paths": 3, "seed": 1, "progress": False, "n_resamples": 50}
    run_monte_carlo(sc, run_path, out_dir=tmp_path / "a", workers=1, **kw)  # type: ignore[arg-type]
    run_monte_carlo(sc, run_path, out_dir=tmp_path / "b", workers=2, **kw)  # type: ignore[arg-type]
    a = (tmp_path / "a" / "summary.json").read_bytes()
    assert a == (tmp_path / "b" / "summary.json").read_bytes()
    summary = json.loads(a)
    assert "VaR95" in summary["metrics"]["holder_loss_usd"]  # a loss: tail measures
    assert "VaR95" not in summary["metrics"]["token_sold"]
    catalog = json.loads((tmp_path / "a" / "metrics.json").read_text())
    assert catalog["families"][0]["instances"] == ["SELL"]
    page = render_report(tmp_path / "a").read_text()
    assert "SELL pool price: fan chart" in page and "holder_loss_usd per path" in page
    assert main(["stress", str(sell_off), "--paths", "2", "--workers", "1", "--no-progress",
                 "--out", str(tmp_path / "c")]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "Per sell token" in out and "holder_loss_usd" in out


def test_stress__float_engine_without_float_model__one_line_error(
    sell_off: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc = main(["stress", str(sell_off), "--paths", "1", "--engine", "float", "--workers", "1",
               "--no-progress", "--out", str(tmp_path)])  # fmt: skip
    assert rc == 2
    assert "peglab: error: stress/no-float-model" in capsys.readouterr().err


def test_scenario__unknown_system_block__lists_families(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(SCENARIO.replace("system.sell_tokens", "system.gpu_dollars"))
    with pytest.raises(InvalidInput) as info:
        load_scenario_file(path)
    msg = str(info.value)
    assert info.value.code == "scenario/invalid" and "unknown system block 'gpu_dollars'" in msg
    assert "ai_dollars" in msg and "sell_tokens" in msg


def test_scenario__bad_family_field__located_in_its_block(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(SCENARIO.replace('supply_usd = "1000000"', 'supply_usd = "-1"'))
    with pytest.raises(InvalidInput) as info:
        load_scenario_file(path)
    assert "system.sell_tokens[0].supply_usd: must be positive" in str(info.value)


def test_assemble__unregistered_metric__refused(sell_off: Path) -> None:
    """Canary: a family cannot report a metric it did not register."""
    sc: Scenario = load_scenario_file(sell_off)
    fm = FamilyMetrics(per_instance={"SELL": {"made_up": 1.0}})
    with pytest.raises(InvalidInput) as info:
        assemble(sc, [(FAMILY, fm)])
    assert info.value.code == "sim/unregistered"


def test_generic_layers__never_import_a_family() -> None:
    """The runner, driver, run directory, report and CLI know families only through the interface."""
    import ast

    root = Path(__file__).resolve().parent.parent / "peglab"
    generic = ["sim/runner.py", "sim/results.py", "sim/world.py", "sim/family.py",
               "risk/montecarlo.py", "risk/rundir.py", "risk/report.py", "cli.py"]  # fmt: skip
    for rel in generic:
        tree = ast.parse((root / rel).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert "families" not in node.module and "agents" not in node.module, rel
