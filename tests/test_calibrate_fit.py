"""The published-moves cross-check fit, Kupiec's test, the drawdown band, `peglab calibrate`."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from peglab.cli import main
from peglab.sim.calibrate import (
    Move,
    calibrate,
    chi2_sf_1,
    fit_jumps,
    fit_volatility,
    kupiec,
    load_moves,
)
from peglab.sim.calibrate_backtest import drawdown_band
from peglab.sim.processes import Diffusion


def test_chi2_sf_1__known_quantiles() -> None:
    assert chi2_sf_1(3.841459) == pytest.approx(0.05, abs=1e-6)
    assert chi2_sf_1(6.634897) == pytest.approx(0.01, abs=1e-6)
    assert chi2_sf_1(0.0) == 1.0


def test_kupiec__no_breach_in_32_days__hand_value() -> None:
    k = kupiec(0, 32, 0.01)
    assert k["lr"] == pytest.approx(-2 * 32 * math.log(0.99))
    assert k["p_value"] > 0.4 and k["expected"] == pytest.approx(0.32)


def test_kupiec__too_many_breaches__rejected_canary() -> None:
    assert kupiec(5, 250, 0.01)["p_value"] > 0.05  # 2.5 expected: 5 is not rejected
    assert kupiec(12, 250, 0.01)["p_value"] < 0.001  # 12 of 250 at 1%: rejected
    with pytest.raises(ValueError):
        kupiec(3, 2, 0.01)


def test_fit_jumps__synthetic_normal_sample__recovers_parameters() -> None:
    rng = np.random.default_rng(2)
    logs = rng.normal(-0.3, 0.1, size=400)
    moves = [Move(f"t{i % 4}", "", "jump", 1, math.expm1(x), "fit") for i, x in enumerate(logs)]
    j = fit_jumps(moves)
    assert j["jump_mean"] == pytest.approx(-0.3, abs=0.02)
    assert j["jump_std"] == pytest.approx(0.1, abs=0.01)
    assert j["jump_rate_per_year"] == pytest.approx(400 / (4 * 2.0))


def test_fit_volatility__synthetic_windows__recovers_sigma() -> None:
    rng = np.random.default_rng(3)
    sigma, days = 0.9, rng.integers(5, 300, size=2000)
    x = rng.normal(0.0, sigma * np.sqrt(days / 365.0))
    moves = [Move("t", "", "window", float(d), math.expm1(v), "fit") for d, v in zip(days, x)]
    no_jumps = {"jump_rate_per_year": 0.0, "jump_mean": 0.0, "jump_std": 0.0}
    v = fit_volatility(moves, no_jumps)
    assert v["sigma_total"] == pytest.approx(sigma, rel=0.05)
    lo, hi = v["sigma_total_ci95"]
    assert lo < sigma < hi


def test_drawdown_band__inside_and_outside() -> None:
    d = Diffusion(sigma=1.0)
    inside = drawdown_band(d, 26, -0.20, n_paths=4000, seed=1)
    assert inside["inside"] and 0.01 < inside["percentile"] < 0.99
    outside = drawdown_band(d, 26, -0.90, n_paths=4000, seed=1)  # ln 0.1 = -2.3: beyond 1%
    assert not outside["inside"] and outside["percentile"] < 0.01


def test_data__holdout_never_used_in_fit() -> None:
    moves = load_moves()
    assert {m.token for m in moves if m.set == "holdout"} == {"VIRTUAL"}
    assert all(m.token != "VIRTUAL" for m in moves if m.set == "fit")


def test_calibrate__reproducible_tagged_and_backtested() -> None:
    a, b = calibrate(n_paths=3000), calibrate(n_paths=3000)
    assert a.as_dict() == b.as_dict()
    for name, p in a.parameters.items():
        assert p["tag"] in ("[F]", "[O]") and p["source"], name
    assert a.parameters["jump_common"]["tag"] == "[O]"
    held = a.backtests["kupiec_var99_heldout"]["pooled"]
    assert held["n"] > 500  # VIRTUAL whole and every token from 2024-07-01: real power
    assert a.cross_check["sigma_total"] > a.parameters["sigma_total"]["value"]  # selected moves
    assert "jump_common" in a.not_fitted


def test_cli_calibrate__writes_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cal.json"
    assert main(["calibrate", "--paths", "2000", "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert "jump_mean" in data["parameters"] and "not fitted" in capsys.readouterr().out
    assert data["fit"]["jump_process"]["n_days"] > 1900
