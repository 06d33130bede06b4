"""The series fit: data and provenance, estimators on synthetic data, the library carries the fit."""

from __future__ import annotations

import hashlib
import math
import re
import tomllib
from datetime import date
from decimal import Decimal
from importlib import resources

import numpy as np
import pytest

from peglab.sim import calibrate_backtest as cb
from peglab.sim import calibrate_series as cs
from peglab.sim.calibrate import (
    JUMP_COMMON_O,
    fit_series,
    kupiec,
    library_values,
    threshold_sensitivity,
)
from peglab.sim.processes import DAY_S, Diffusion, log_paths, rng_from

DATA = resources.files("peglab.sim").joinpath("data/prices")
PROV = resources.files("peglab.sim").joinpath(cs.PROVENANCE)


@pytest.fixture(scope="module")
def fit() -> dict[str, object]:
    return fit_series()


# --- data and provenance -----------------------------------------------------------------------


def test_provenance__every_data_file_has_an_entry_with_its_hash() -> None:
    text = PROV.read_text("utf-8")
    files = sorted(p.name for p in DATA.iterdir() if p.name != PROV.name)
    assert files == sorted(cs.PRICE_FILES.values())
    assert cs.undocumented(files, text) == []
    for name in files:
        row = next(line for line in text.splitlines() if line.startswith(f"| {name} |"))
        digest = hashlib.sha256(DATA.joinpath(name).read_bytes()).hexdigest()
        assert f"`{digest}`" in row, name
        first, last = re.findall(r"\| (\d{4}-\d\d-\d\d) ", row)
        days, _ = cs.load_prices(next(k for k, v in cs.PRICE_FILES.items() if v == name))
        assert (str(days[0]), str(days[-1])) == (first, last)


def test_provenance__file_without_entry__reported_canary() -> None:
    text = PROV.read_text("utf-8")
    assert cs.undocumented(["eth.csv", "fet.csv"], text) == ["fet.csv"]


def test_split__no_held_out_return_reaches_the_fit() -> None:
    for t in ("VIRTUAL", "AI16Z"):
        assert cs.fit_set(t).r.size == 0
    for t in cs.FIT_TOKENS:
        f, h = cs.fit_set(t), cs.holdout_set(t)
        assert f.days.max() <= np.datetime64(cs.FIT_END) < h.days.min()
        assert f.r.size + h.r.size == cs.log_returns(t).r.size
    assert date(2024, 7, 1) == cs.HOLDOUT_START


def test_log_returns__gap_drops_the_return_across_it() -> None:
    rets = cs.log_returns("ETH")  # the source skipped 2025-01-15
    assert np.datetime64("2025-01-16") not in rets.days
    assert np.all(np.diff(rets.days) >= np.timedelta64(1, "D"))
    days, prices = cs.load_prices("ETH")
    i = int(np.searchsorted(days, np.datetime64("2020-03-13")))
    j = int(np.searchsorted(rets.days, np.datetime64("2020-03-13")))
    assert rets.r[j] == pytest.approx(math.log(prices[i] / prices[i - 1]))  # Black Thursday


# --- estimators on synthetic data ------------------------------------------------------------


def test_jump_days__merton_sample__recovers_rate_and_size() -> None:
    rng = np.random.default_rng(11)
    n, sd, lam = 20_000, 0.05, 0.01
    r = rng.normal(0.0, sd, n)
    hit = rng.random(n) < lam
    r[hit] += rng.normal(-0.5, 0.1, hit.sum())
    found = cs.jump_days(r)
    assert abs(int(found.sum()) - int(hit.sum())) <= 0.05 * hit.sum()
    assert float(np.std(r[~found])) == pytest.approx(sd, rel=0.03)  # truncated variance
    assert float(np.mean(r[found])) == pytest.approx(-0.5, abs=0.02)


def test_jump_days__normal_sample__finds_almost_none_canary() -> None:
    r = np.random.default_rng(12).normal(0.0, 0.05, 20_000)
    assert int(cs.jump_days(r).sum()) <= 5  # 4 sd: 1.3 expected by chance


def test_lower_tail_dependence__comonotone_and_independent() -> None:
    x = np.random.default_rng(13).normal(size=20_000)
    assert cs.lower_tail_dependence(x, 2 * x, 0.05) == 1.0
    y = np.random.default_rng(14).normal(size=20_000)
    assert cs.lower_tail_dependence(x, y, 0.05) == pytest.approx(0.05, abs=0.02)


def test_fisher_and_wilson__known_values() -> None:
    lo, hi = cs.fisher(0.0, 103)  # z half-width 1.96 / 10
    assert lo == pytest.approx(-math.tanh(0.1959964)) and hi == pytest.approx(math.tanh(0.1959964))
    lo, hi = cs.wilson_interval(0, 10)
    assert lo == 0.0 and hi == pytest.approx(0.27753, abs=1e-4)


# --- Kupiec and the VaR of the fitted process ------------------------------------------------


@pytest.mark.parametrize(
    ("x", "n", "p"), [(0, 250, 0.01), (5, 250, 0.01), (9, 582, 0.01), (12, 250, 0.01)]
)
def test_kupiec__known_vectors__match_the_likelihood_ratio(x: int, n: int, p: float) -> None:
    phat = x / n
    ll0 = (n - x) * math.log(1 - p) + (x * math.log(p) if x else 0.0)
    ll1 = ((n - x) * math.log(1 - phat) + x * math.log(phat)) if x else 0.0
    k = kupiec(x, n, p)
    assert k["lr"] == pytest.approx(-2 * (ll0 - ll1), rel=1e-12)
    assert k["p_value"] == pytest.approx(math.erfc(math.sqrt(k["lr"] / 2)), rel=1e-12)


def test_kupiec__hand_values() -> None:
    assert kupiec(0, 250, 0.01)["lr"] == pytest.approx(5.0252, abs=1e-4)  # -500 ln 0.99
    assert kupiec(5, 250, 0.01)["lr"] == pytest.approx(1.9568, abs=1e-3)
    assert kupiec(12, 250, 0.01)["p_value"] < 1e-4


def test_var_1d__matches_the_simulated_quantile() -> None:
    d = Diffusion(sigma=1.4, jump_rate=3.0, jump_mean=0.1, jump_std=0.35, compensate=True)
    v = cb.var_1d(d, 0.01)
    assert cb.merton_cdf_1d(v, d) == pytest.approx(0.01, abs=1e-9)
    x = log_paths([1.0], d, float(DAY_S), 1, rng_from(4), 400_000)
    assert float(np.quantile(x[:, 1, 0], 0.01)) == pytest.approx(v, abs=0.004)


# --- the fit on the committed data, and the library --------------------------------------------


def _blocks(name: str) -> list[dict[str, object]]:
    lib = resources.files("peglab.risk.library").joinpath(f"{name}.toml")
    data = tomllib.loads(lib.read_text("utf-8"))
    ai = {"ATH", "VIRTUAL", "AI16Z"}
    return [b for b in data.get("prices", []) if ai & set(b["assets"])]


def test_library__default_system_states_the_committed_fit(fit: dict[str, object]) -> None:
    values = library_values(fit)
    (block,) = _blocks("_default-system")
    for key, text in values.items():
        assert Decimal(str(block[key])) == Decimal(text), key
    assert Decimal(str(block["jump_common"])) == Decimal(str(JUMP_COMMON_O))


@pytest.mark.parametrize(
    "name", ["ai-token-crash", "contagion", "flash-crash", "liquidity-crunch", "oracle-failure"]
)
def test_library__scenarios_state_the_fitted_values(fit: dict[str, object], name: str) -> None:
    values = library_values(fit)
    blocks = _blocks(name)
    assert blocks
    for block in blocks:
        assert Decimal(str(block["vol"])) == Decimal(values["vol"])
        for key in ("jump_rate", "jump_mean", "jump_std", "corr_normal", "corr_stressed"):
            if key in block and not (name == "contagion" and key == "corr_stressed"):
                assert Decimal(str(block[key])) == Decimal(values[key]), (name, key)


def test_fit__statistics_are_the_documented_ones(fit: dict[str, object]) -> None:
    jp = fit["jump_process"]
    assert isinstance(jp, dict)
    assert jp["n_days"] == 1942 and jp["n_jumps"] == 13
    lo, hi = jp["sigma_diffusion_ci95"]
    assert lo < jp["sigma_diffusion"] < hi < jp["sigma_total"] + 0.1
    # the decomposition adds up: diffusion + jump variance ~ total variance (within 2%)
    assert jp["sigma_total_implied"] == pytest.approx(jp["sigma_total"], rel=0.02)


def test_threshold_sensitivity__preset_row_is_the_fit_and_total_is_invariant(
    fit: dict[str, object],
) -> None:
    rows = threshold_sensitivity(fit, (3.0, 4.0, 5.0))
    jp = fit["jump_process"]
    assert isinstance(jp, dict)
    preset = next(r for r in rows if r["threshold"] == cs.JUMP_THRESHOLD)
    assert preset["jump_rate"] == jp["jump_rate_per_year"] and preset["n_jumps"] == jp["n_jumps"]
    assert [r["n_jumps"] for r in rows] == sorted((r["n_jumps"] for r in rows), reverse=True)
    for r in rows:  # the split moves, the total variance does not
        assert r["sigma_total_implied"] == pytest.approx(jp["sigma_total"], rel=0.02)


def test_christoffersen__clustered_breaches__hand_counts_and_ratio() -> None:
    hits = np.array([0] * 50 + [1, 1, 1] + [0] * 47, dtype=bool)
    c = cb.christoffersen(hits)
    assert (c["n00"], c["n01"], c["n10"], c["n11"]) == (95.0, 1.0, 1.0, 2.0)
    pi, pi01, pi11 = 3 / 99, 1 / 96, 2 / 3
    ll0 = 96 * math.log(1 - pi) + 3 * math.log(pi)
    ll1 = 95 * math.log(1 - pi01) + math.log(pi01) + math.log(1 - pi11) + 2 * math.log(pi11)
    assert c["lr_ind"] == pytest.approx(-2 * (ll0 - ll1), rel=1e-12)
    assert c["p_value_ind"] < 0.001  # three breaches in a row are not independent


def test_christoffersen__independent_breaches__not_rejected_canary() -> None:
    hits = np.random.default_rng(21).random(20_000) < 0.05
    assert cb.christoffersen(hits)["p_value_ind"] > 0.01
    assert cb.christoffersen(np.zeros(10, dtype=bool))["lr_ind"] == 0.0
