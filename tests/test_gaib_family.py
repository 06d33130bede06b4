"""The Gaib family in the risk lab: library scenarios run through the lab's runner, bad blocks
are refused with one located message."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from peglab.errors import InvalidInput
from peglab.risk.library import list_scenarios, load_scenario
from peglab.sim.family import registered_families
from peglab.sim.runner import run_path
from peglab.sim.scenario import load_scenario_file

CREDIT = ("gpu-rental-collapse", "default-wave", "redemption-run", "tbill-yield-drop",
          "regulatory-freeze")  # fmt: skip

SHORT = """
name = "gaib-short"
horizon = "{horizon}"
step = "{step}"

[[system.gaib]]
index = "collapse"
utilisation_to = "0.55"
deals = 6

[[assets]]
symbol = "USDC"
kind = "stable"
price = "1"

[[system.pools]]
id = "AID-USDC"
coins = ["AID", "USDC"]
depth_usd = "{depth}"
A = 200
"""


def write(tmp_path: Path, horizon: str = "420d", step: str = "1d", depth: str = "4000000") -> Path:
    p = tmp_path / "s.toml"
    p.write_text(SHORT.format(horizon=horizon, step=step, depth=depth))
    return p


def test_library__credit_scenarios__listed_and_loadable() -> None:
    assert set(CREDIT) <= set(list_scenarios())
    for name in CREDIT:
        sc = load_scenario(name)
        assert "gaib" in sc.system.blocks() and sc.n_steps == 720
    assert "gaib" in registered_families()


def test_run_path__short_collapse__metrics_and_series_through_the_runner(tmp_path: Path) -> None:
    sc = load_scenario_file(write(tmp_path))
    r = run_path(sc, 0, np.random.SeedSequence(4, spawn_key=(0,)))
    m = r.metrics
    assert m["aid_fully_backed.AID"] == 1 and m["aid_price_min.AID"] > 0.99
    assert m["deal_default_rate.AID"] > 0 and m["said_nav_drawdown.AID"] > 0
    assert m["aid_price_min"] == m["aid_price_min.AID"]
    again = run_path(sc, 0, np.random.SeedSequence(4, spawn_key=(0,)))
    assert again.metrics == m  # same seed, same path


@pytest.mark.parametrize(
    ("kw", "fragment"),
    [
        ({"step": "1h", "horizon": "60d"}, "step must be 1d"),
        ({"horizon": "45d"}, "whole 30-day months"),
    ],
)
def test_scenario__bad_gaib_block__one_line_refusal(
    tmp_path: Path, kw: dict[str, str], fragment: str
) -> None:
    with pytest.raises(InvalidInput, match=fragment):
        load_scenario_file(write(tmp_path, **kw))


def test_scenario__no_aid_pool__refused(tmp_path: Path) -> None:
    p = tmp_path / "s.toml"
    p.write_text(SHORT.format(horizon="60d", step="1d", depth="1").split("[[system.pools]]")[0])
    with pytest.raises(InvalidInput, match="pool pairing AID"):
        load_scenario_file(p)


def test_scenario__bad_field__located(tmp_path: Path) -> None:
    p = tmp_path / "s.toml"
    p.write_text(write(tmp_path).read_text().replace("deals = 6", "deals = 0"))
    with pytest.raises(InvalidInput, match=r"system\.gaib"):
        load_scenario_file(p)
