"""A vault book that fits its collateral (ai_dollar.vault_book; docs/calibration.md §7)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from peglab.risk.library import LIBRARY_DIR, load_scenario
from peglab.sim.families.ai_dollar import draw_vaults
from peglab.sim.families.ai_dollar.vault_book import buffer_fit, collateral_vol
from peglab.sim.processes import rng_from
from peglab.sim.runner import run_path
from peglab.sim.scenario import load_scenario_file

SHOCK = """
base = "{base}"
name = "shock-35"
horizon = "6h"
step = "15m"

[[shocks]]
kind = "price"
assets = ["ATH", "VIRTUAL", "AI16Z"]
at = "30m"
size = "-0.35"
"""


def test_buffer_fit__gamma__reproduces_the_liquity_facts_it_was_fitted_to() -> None:
    fit = buffer_fit()
    b = rng_from(1).gamma(fit.shape, fit.scale, size=400_000)
    assert abs(float(np.mean(b < math.log(fit.below_ratio))) - fit.share_below) < 0.005
    assert fit.mean_exp() == pytest.approx(fit.total_ratio / 1.10, rel=1e-3)
    assert float(np.exp(b).mean()) == pytest.approx(fit.mean_exp(), rel=0.01)
    # canary: the earlier book (Liquity's agent model, 1.1 + 0.03 chi2_16) misses both facts
    old = np.log1p(0.03 * rng_from(2).chisquare(16, size=100_000) / 1.1)
    assert float(np.mean(old < math.log(fit.below_ratio))) > 0.99


def test_collateral_vol__library__diffusion_and_jumps_derivative_follows_underlying() -> None:
    sc = load_scenario("calm")
    # the library's fitted AI-token block (docs/calibration.md §4): vol 1.38, jumps 2.44/yr N(0.140, 0.353^2)
    total = math.sqrt(1.38**2 + 2.44 * (0.140**2 + 0.353**2))
    assert collateral_vol(sc, "VIRTUAL") == pytest.approx(total)
    assert collateral_vol(sc, "stATH") == pytest.approx(total)
    assert collateral_vol(sc, "USDC") is None


def test_draw_vaults__cdp_data__wider_buffers_for_more_volatile_collateral() -> None:
    c = load_scenario("calm").system.ai_dollars[1].collaterals[0]
    assert c.vaults.ratios == "cdp-data"
    _, _, calm_t = draw_vaults(c, 1.5, rng_from(3), vol=1.0)
    _, _, wild_t = draw_vaults(c, 1.5, rng_from(3), vol=2.0)
    assert np.all(calm_t > float(c.mat)) and np.allclose(
        np.log(wild_t / float(c.mat)), 2 * np.log(calm_t / float(c.mat))
    )


def _liquidated_share(tmp_path: Path, ratios: str, paths: int) -> float:
    base = tmp_path / "base.toml"
    lib = (LIBRARY_DIR / "_default-system.toml").read_text()
    base.write_text(lib.replace('ratios = "cdp-data"', f'ratios = "{ratios}"'))
    f = tmp_path / f"shock-{ratios}.toml"
    f.write_text(SHOCK.format(base=base.as_posix()))
    sc = load_scenario_file(f)
    vaults = sum(c.vaults.count for d in sc.system.ai_dollars for c in d.collaterals)
    barks = 0.0
    for i in range(paths):
        res = run_path(sc, i, np.random.SeedSequence(5, spawn_key=(i,)))
        barks += res.metrics["liquidations"]
    return barks / (paths * vaults)


@pytest.mark.slow
def test_run_path__minus_35_percent__liquidates_the_share_the_data_implies(tmp_path: Path) -> None:
    # Stated before running (docs/calibration.md §7): Liquity's book lost 11.5-29% of its troves
    # to ETH -47%; a -35% move on a token 1.5x as volatile (the series fit, calibration.md §4; 1.3x
    # when this range was stated) is like ETH -25% (-28% then) for a book whose buffers are that
    # much wider, and the fitted book has 0.3% (0.8%) of vaults below the line there, so the share
    # of vaults liquidated within 6 h lies in [0.1%, 3%]. The earlier book lost > 90%.
    share = _liquidated_share(tmp_path, "cdp-data", 2)
    assert 0.001 <= share <= 0.03
    assert _liquidated_share(tmp_path, "chi2", 1) > 0.9
