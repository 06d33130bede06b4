"""The exact runner: reproducibility, engine invariants, cross-check against the float model."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from peglab.risk.library import load_scenario
from peglab.risk.montecarlo import run_stress
from peglab.sim.runner import float_path as float_cdp_path
from peglab.sim.runner import run_path

SMALL = Path(__file__).parent / "scenarios" / "small-crash.toml"


def seq(root: int, i: int = 0) -> np.random.SeedSequence:
    return np.random.SeedSequence(root, spawn_key=(i,))


@pytest.fixture(scope="module")
def small():  # type: ignore[no-untyped-def]
    return load_scenario(SMALL)


def test_run_path__same_seed__identical_metrics_and_series(small) -> None:  # type: ignore[no-untyped-def]
    a, b = run_path(small, 0, seq(7)), run_path(small, 0, seq(7))
    assert a.metrics == b.metrics or all(
        (math.isnan(a.metrics[k]) and math.isnan(b.metrics[k])) or a.metrics[k] == b.metrics[k]
        for k in a.metrics
    )
    for k in a.series:
        np.testing.assert_array_equal(a.series[k], b.series[k])


def test_run_path__pool_reserves__every_coin_sampled_from_the_seeded_depth(small) -> None:  # type: ignore[no-untyped-def]
    """``reserve.<pool>:<coin>`` holds each pool's reserve [tokens] on the report grid: at t0 the
    stable pool holds half its depth of each coin (both at $1); trades move it over the crash."""
    r = run_path(small, 0, seq(11))
    names = {k for k in r.series if k.startswith("reserve.")}
    assert names == {
        "reserve.tUSD-USDC:tUSD",
        "reserve.tUSD-USDC:USDC",
        "reserve.TOK-tUSD:TOK",
        "reserve.TOK-tUSD:tUSD",
    }
    usdc = r.series["reserve.tUSD-USDC:USDC"]
    assert usdc[0] == pytest.approx(300_000, rel=1e-9)
    assert r.series["reserve.TOK-tUSD:tUSD"][0] == pytest.approx(200_000, rel=1e-9)
    assert len(usdc) == len(r.series["peg.tUSD"])
    assert np.ptp(r.series["reserve.TOK-tUSD:TOK"]) > 0  # the crash trades the AI-token pool


def test_run_path__different_seeds__differ(small) -> None:  # type: ignore[no-untyped-def]
    a, b = run_path(small, 0, seq(7)), run_path(small, 0, seq(8))
    assert a.metrics["liquidated_usd"] != b.metrics["liquidated_usd"]


def test_run_path__crash__liquidates_and_keeps_peg(small) -> None:  # type: ignore[no-untyped-def]
    m = run_path(small, 1, seq(7)).metrics
    assert m["liquidations"] == 40  # a 60% fall takes every vault below 1.75
    assert m["bad_debt_usd"] == 0.0
    assert 0.85 < m["clear_ratio.tUSD"] < 1.0  # keepers buy near the market, not at the floor
    assert m["peg_min.tUSD"] > 0.99


@pytest.mark.parametrize("i", [0, 1, 2])
def test_run_path__same_paths__agrees_with_float_model(small, i: int) -> None:  # type: ignore[no-untyped-def]
    """Cross-check (docs/risk-spec.md §2): the exact engine and the float model on the same price paths."""
    e = run_path(small, i, seq(7, i)).metrics
    f = float_cdp_path(small, i, seq(7, i)).metrics
    assert e["liquidations"] == f["liquidations"]
    assert abs(e["liquidated_usd"] - f["liquidated_usd"]) <= 0.01 * f["liquidated_usd"]
    assert abs(e["clear_ratio.tUSD"] - f["clear_ratio.tUSD"]) < 0.06
    assert abs(e["borrower_loss_usd"] - f["borrower_loss_usd"]) <= 0.25 * f["borrower_loss_usd"]
    assert e["bad_debt_usd"] == f["bad_debt_usd"] == 0.0


def test_run_stress__exact_engine__same_seed_same_summary_any_workers(tmp_path: Path) -> None:
    kw = {"report": False, "progress": False, "n_resamples": 100}
    s1 = run_stress(SMALL, 4, 11, tmp_path / "a", 1, run_path, **kw)
    s2 = run_stress(SMALL, 4, 11, tmp_path / "b", 2, run_path, **kw)
    assert (tmp_path / "a" / "summary.json").read_bytes() == (
        tmp_path / "b" / "summary.json"
    ).read_bytes()
    assert s1["seed"] == 11 and s2["parameters"]["run_path"] == "peglab.sim.runner:run_path"
    assert s1["scenario"]["name"] == "small-crash" and s1["peglab_version"]
    s3 = run_stress(SMALL, 4, 12, tmp_path / "c", 1, run_path, **kw)
    assert (tmp_path / "c" / "summary.json").read_bytes() != (
        tmp_path / "a" / "summary.json"
    ).read_bytes()
    assert s3["seed"] == 12


def test_keeper_failure__black_thursday_mechanism__and_keepers_halve_bad_debt() -> None:
    """docs/risk-spec.md V1 on the exact engine: English auctions, a 43% fall, keepers absent for 6 h.

    Without keepers, auctions go to 1-wei bids (zero bids); the engine's backstop covers what it
    can, the uncovered debt exceeds the recapitalisation limit and governance shuts every AI
    dollar down (cage refunds the debt-auction bids, so nothing stays recapitalised). With keepers
    present on the same price path a quarter of the bad debt remains (keepers' capital still runs
    out in the burst of auctions, so some zero bids remain), and debt auctions raise AI dollars.
    """
    sc = load_scenario("keeper-failure")
    with_keepers = sc.model_copy(update={"shocks": [s for s in sc.shocks if s.kind != "keepers"]})
    absent = run_path(sc, 1, seq(3, 1))
    out, run_series = absent.metrics, absent.series
    present = run_path(with_keepers, 1, seq(3, 1)).metrics
    assert out["zero_bids"] >= 300 and out["shutdown"] == 3  # Black Thursday: zero bids
    assert 6_500_000 < out["bad_debt_usd"] < 8_500_000  # ~7.75M USD before backstop and recap
    assert out["recap_usd"] == 0.0 and out["dilution_tokens"] == 0.0  # refunded at cage
    # ~2.00M USD, a quarter (2.60M before the arbitrageur released the AI dollars the AI-token
    # pools held to the keepers who need them)
    assert 1_000_000 < present["bad_debt_usd"] < 3_500_000
    assert present["bad_debt_usd"] < 0.6 * out["bad_debt_usd"]
    assert present["zero_bids"] < 0.5 * out["zero_bids"]
    assert present["recap_usd"] > 0 and present["dilution_tokens"] > 0
    assert present["liquidations"] >= out["liquidations"]  # shutdown stops liquidations
    # the report says so per AI dollar: each shut down, and what holders redeemed per AI dollar
    for sym in ("AUSD", "vUSD", "ai16zUSD"):
        assert out[f"shutdown.{sym}"] == 1.0 and out[f"shutdown_at_s.{sym}"] > 0
        shut = np.asarray(run_series[f"shut_down.{sym}"])
        assert shut[0] == 0.0 and shut[-1] == 1.0 and np.all(np.diff(shut) >= 0)
        # the End's 72 h wait outlasts this 2-day horizon: holders have not redeemed yet
        assert math.isnan(out[f"redemption_value.{sym}"])
    # debt-auction winners sold the governance tokens: the dilution reached its market price
    assert present["gov_sold_usd"] > 0 and out["gov_sold_usd"] == 0
