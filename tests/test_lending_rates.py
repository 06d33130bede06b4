"""Rate models against EVM vectors (tools/gen_rate_vectors.py) and their mathematical properties."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from peglab.errors import InvalidInput
from peglab.math.rates import (
    AaveRateParams,
    JumpRateParams,
    aave_accrue_to_treasury,
    aave_compounded_interest,
    aave_interest_rates,
    aave_linear_interest,
    compound_accrue,
    compound_borrow_rate,
    compound_supply_rate,
    compound_utilization,
)
from peglab.units import RAY, WAD, YEAR

VEC: dict[str, Any] = json.loads(
    (Path(__file__).parent / "vectors" / "lending_rates.json").read_text()
)


def test_vectors__file__covers_every_function() -> None:
    for key in ("aave_rates", "aave_interest", "aave_treasury", "jump_params", "compound_rates"):
        assert len(VEC[key]) >= 200, key
    assert any(c["debt"] == 0 for c in VEC["aave_rates"])
    assert any(c["available"] == 0 and c["debt"] > 0 for c in VEC["aave_rates"])


def test_aave_interest_rates__evm_vectors__bit_exact() -> None:
    for c in VEC["aave_rates"]:
        p = AaveRateParams(*c["params"])
        got = aave_interest_rates(p, c["available"], c["debt"], c["reserve_factor_bps"])
        assert got == (c["liquidity_rate"], c["borrow_rate"]), c


def test_aave_interest_factors__evm_vectors__bit_exact() -> None:
    for c in VEC["aave_interest"]:
        assert aave_linear_interest(c["rate"], c["dt"]) == c["linear"], c
        assert aave_compounded_interest(c["rate"], c["dt"]) == c["compounded"], c


def test_aave_accrue_to_treasury__evm_vectors__bit_exact() -> None:
    for c in VEC["aave_treasury"]:
        got = aave_accrue_to_treasury(
            c["scaled_debt"],
            c["borrow_index_old"],
            c["borrow_index_new"],
            c["liquidity_index_new"],
            c["reserve_factor_bps"],
        )
        assert got == c["out"], c


def test_jump_params__evm_vectors__bit_exact() -> None:
    for c in VEC["jump_params"]:
        p = JumpRateParams.from_annual(*c["annual"])
        assert [p.base_rate_wad, p.multiplier_wad, p.jump_multiplier_wad] == c["out"], c


def test_compound_rates__evm_vectors__bit_exact() -> None:
    for c in VEC["compound_rates"]:
        p = JumpRateParams(*c["params"])
        args = (c["cash"], c["borrows"], c["reserves"])
        assert compound_borrow_rate(p, *args) == c["borrow_rate"], c
        assert compound_supply_rate(p, *args, c["reserve_factor"]) == c["supply_rate"], c


def test_compound_accrue__evm_vectors__bit_exact() -> None:
    for c in VEC["compound_accrue"]:
        got = compound_accrue(
            c["borrow_rate"],
            c["dt"],
            c["borrows"],
            c["reserves"],
            c["borrow_index"],
            c["reserve_factor"],
        )
        assert list(got) == c["out"], c


USDC = AaveRateParams(90 * RAY // 100, 0, 4 * RAY // 100, 60 * RAY // 100)


def test_aave_rates__at_kink__borrow_is_base_plus_slope1() -> None:
    liq, borrow = aave_interest_rates(USDC, 10 * 10**6, 90 * 10**6, 0)
    assert borrow == 4 * RAY // 100
    assert liq == pytest.approx(borrow * 0.9, rel=1e-9)


def test_aave_rates__full_usage__borrow_is_base_plus_both_slopes() -> None:
    _, borrow = aave_interest_rates(USDC, 0, 10**6, 1000)
    assert borrow == 64 * RAY // 100


def test_aave_rates__no_debt__supply_rate_zero_borrow_base() -> None:
    assert aave_interest_rates(USDC, 10**9, 0, 1000) == (0, 0)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 10**30), st.integers(0, 10**30), st.integers(0, 9_999))
def test_aave_rates__any_state__matches_exact_fraction_within_rounding(
    avail: int, debt: int, rf: int
) -> None:
    """Against the unrounded formula of docs/lending.md: within a few units of the last place,
    plus the contract's debt-weighting step, which loses ``RAY / (2 * debt * 1e9)`` on tiny debts."""
    liq, borrow = aave_interest_rates(USDC, avail, debt, rf)
    u = Fraction(debt, avail + debt)
    opt = Fraction(USDC.optimal_usage_ray, RAY)
    if u <= opt:
        b = Fraction(USDC.slope1_ray, RAY) * u / opt
    else:
        b = Fraction(USDC.slope1_ray + USDC.slope2_ray * (u - opt) / (1 - opt), RAY)
    s = b * u * Fraction(10_000 - rf, 10_000)
    assert abs(borrow - b * RAY) <= 4
    assert abs(liq - s * RAY) <= 4 + (RAY // (debt * 10**9) if debt else 0)
    assert liq <= borrow


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 3 * RAY), st.integers(0, YEAR))
def test_compounded_interest__any_rate__between_linear_and_exp(rate: int, dt: int) -> None:
    lin = aave_linear_interest(rate, dt)
    comp = aave_compounded_interest(rate, dt)
    assert lin <= comp
    # the truncated series never exceeds the true compound factor (1 + r/YEAR)^dt by more than flooring
    exact = (1 + Fraction(rate, RAY * YEAR)) ** min(dt, 3)
    if dt <= 3:
        assert abs(comp - exact * RAY) <= 3


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10**30), st.integers(0, 10**30), st.integers(0, 10**29))
def test_compound_rates__kink_model__monotone_in_utilisation(
    cash: int, borrows: int, res: int
) -> None:
    p = JumpRateParams.from_annual(2 * WAD // 100, WAD // 10, 3 * WAD, 8 * WAD // 10, YEAR)
    res = min(res, cash)
    u = compound_utilization(cash, borrows, res)
    b = compound_borrow_rate(p, cash, borrows, res)
    b_more = compound_borrow_rate(p, cash, borrows + 10**18, res)
    assert b_more >= b
    assert compound_supply_rate(p, cash, borrows, res, WAD // 10) <= b * u // WAD + 1


def test_compound_utilisation__reserves_exceed_pool__refused() -> None:
    with pytest.raises(InvalidInput) as e:
        compound_utilization(0, 5, 5)
    assert e.value.code == "math/division-by-zero"


def test_rate_params__bad_values__refused() -> None:
    for bad in (dict(optimal_usage_ray=0), dict(optimal_usage_ray=RAY), dict(slope1_ray=-1)):
        kw = dict(optimal_usage_ray=RAY // 2, base_rate_ray=0, slope1_ray=1, slope2_ray=1) | bad
        with pytest.raises(InvalidInput, match="rates/bad-param"):
            AaveRateParams(**kw)
    with pytest.raises(InvalidInput, match="rates/bad-param"):
        JumpRateParams.from_annual(0, 0, 0, 0, YEAR)
    with pytest.raises(InvalidInput, match="rates/bad-param"):
        JumpRateParams.from_annual(0, 0, 0, WAD, 0)
