"""V5 (docs/validation.md §11) in its reduced form, and the case's pieces on hand-made paths."""

from __future__ import annotations

import numpy as np
import pytest

from peglab.risk.validation import validate
from peglab.risk.validation.cases import crvusd_soft_liquidation as v5


@pytest.fixture(scope="module")
def reduced():  # type: ignore[no-untyped-def]
    return validate([v5.NAME], reduced=True).cases[0]  # one draw of two windows (~10 s)


def test_validate__crvusd__reduced_targets_pass_none_fitted(reduced) -> None:  # type: ignore[no-untyped-def]
    by = {t.name: t for t in reduced.targets}
    assert reduced.fitted.startswith("none")
    for name in ("llamma_loss_n22", "llamma_loss_n5", "clipper_loss_of_debt", "clipper_vs_llamma"):
        assert by[name].passed is True, name
    assert by["crv_june_2024_bad_debt"].passed is None  # listed, not modelled
    assert reduced.passed is True


def test_dip_paths__seeded__low_in_the_bin_and_reproducible() -> None:
    a = v5.dip_paths(np.random.default_rng(5), 3)
    b = v5.dip_paths(np.random.default_rng(5), 3)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    for p in a:
        assert len(p) == v5.MINUTES + 1 and p[0] == v5.P0
        assert 0.89 <= p.min() / p[0] <= 0.91


def test_llamma_window__price_stays_above_the_bands__loses_nothing() -> None:
    flat = np.full(6 * 60 + 1, v5.P0 * 1.02)
    flat[0] = v5.P0
    w = v5.llamma_window(flat, 22)
    assert w["loss"] == pytest.approx(0.0, abs=1e-9) and w["hard"] == 0.0


def test_llamma_window__narrow_range_swings__loses_more_than_wide() -> None:
    t = np.arange(12 * 60 + 1)
    swing = v5.P0 * (0.955 + 0.04 * np.cos(2 * np.pi * t / 240))  # in and out of the bands
    swing[0] = v5.P0
    wide, narrow = v5.llamma_window(swing, 22), v5.llamma_window(swing, 5)
    assert 0 < wide["loss"] < narrow["loss"]


def test_clipper_window__dip_below_the_threshold__penalty_plus_discount() -> None:
    path = np.linspace(v5.P0, v5.P0 * 0.9, 4 * 60 + 1)
    c = v5.clipper_window(path)
    assert c["liquidated"] == 1.0
    assert 0.13 < c["loss_of_debt"] < 0.13 + 0.06  # the keeper's 2% margin and the 1% steps


def test_clipper_window__price_only_rises__no_liquidation() -> None:
    path = np.linspace(v5.P0, v5.P0 * 1.1, 3 * 60 + 1)
    assert v5.clipper_window(path)["liquidated"] == 0.0


def test_eth_windows__daily_history__72_dips_in_the_bin_over_consecutive_days() -> None:
    from peglab.risk.validation.cases import crvusd_eth_history as h

    w = h.eth_windows()
    assert len(w) == 72 and w[0][0] == "2017-11-28"
    for _, daily in w:
        assert len(daily) == 4 and 0.89 <= min(daily[1:]) / daily[0] <= 0.91
    assert 0.8 < h.daily_sigma() < 1.0  # ETH's daily-return volatility, per year


def test_bridge__minute_path__pinned_at_every_daily_price() -> None:
    from peglab.risk.validation.cases import crvusd_eth_history as h

    daily = (100.0, 95.0, 90.0, 97.0)
    p = h.bridge(daily, np.random.default_rng(1))
    assert len(p) == 3 * 1440 + 1
    for k, d in enumerate(daily):
        assert p[k * 1440] == pytest.approx(d / daily[0] * v5.P0, rel=1e-12)


def test_validate__crvusd_eth_history__reduced_targets_pass() -> None:
    c = validate(["crvusd-soft-liquidation-eth"], reduced=True).cases[0]  # 4 windows (~10 s)
    by = {t.name: t for t in c.targets}
    for name in ("llamma_loss_n22", "llamma_loss_n5", "clipper_loss_of_debt", "clipper_vs_llamma"):
        assert by[name].passed is True, name
    assert c.passed is True


def test_sensitivity__short_swing__every_variant_measured_and_raw_oracle_differs() -> None:
    t = np.arange(4 * 60 + 1)
    swing = v5.P0 * (0.96 + 0.03 * np.cos(2 * np.pi * t / 120))
    swing[0] = v5.P0
    table = v5.sensitivity([swing])
    assert list(table) == list(v5.SENSITIVITY)
    base = table["the case (1-minute trades, EMA 600 s, fee 0.6%)"]
    assert all(0 < w < n for w, n in table.values())  # the narrow range loses more each time
    assert table["oracle = market (no EMA)"] != base
