"""Units, validation and the pure dss math (rpow, fixed point) against independent vectors."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from peglab.errors import InvalidInput, Overflow
from peglab.math import (
    apr_to_duty,
    ceil_div,
    div_trunc,
    mul_div_down,
    mul_div_up,
    rdiv,
    rmul,
    rmul_up,
    rpow,
    wdiv,
    wmul,
    wmul_up,
)
from peglab.units import (
    MAX_UINT256,
    RAY,
    WAD,
    check_amount,
    check_positive,
    ray,
    to_wad_decimal,
    wad,
)

VECTORS = json.loads((Path(__file__).parent / "vectors" / "dss_rpow_drip.json").read_text())
nonneg = st.integers(min_value=0, max_value=2**200)
positive = st.integers(min_value=1, max_value=2**200)


def test_check_amount__bad_values__invalid_input() -> None:
    for bad in (-1, MAX_UINT256 + 1, 1.5, "3", True, None):
        with pytest.raises(InvalidInput):
            check_amount(bad)
    assert check_amount(0) == 0 and check_amount(MAX_UINT256) == MAX_UINT256
    with pytest.raises(InvalidInput, match="positive"):
        check_positive(0)


def test_wad_ray__decimal_text__exact() -> None:
    assert wad("1.5") == 15 * 10**17 and ray("1.75") == 175 * 10**25 and wad(3) == 3 * WAD
    with pytest.raises(InvalidInput):
        wad("0.0000000000000000001")
    with pytest.raises(InvalidInput):
        wad("abc")
    assert to_wad_decimal(wad("12.0345")) == "12.0345" and to_wad_decimal(-wad(2)) == "-2"


@given(nonneg, nonneg, positive)
def test_mul_div__any__floor_and_ceil_bracket_exact(a: int, b: int, d: int) -> None:
    exact = Fraction(a * b, d)
    down, up = mul_div_down(a, b, d), mul_div_up(a, b, d)
    assert down <= exact <= up and up - down <= 1
    assert (up == down) == (exact.denominator == 1)


@given(st.integers(-(2**128), 2**128), st.integers(-(2**64), 2**64).filter(bool))
def test_div_trunc__signed__rounds_toward_zero(a: int, b: int) -> None:
    q = div_trunc(a, b)
    assert q == int(Fraction(a, b))  # int() truncates toward zero
    assert abs(q * b) <= abs(a)


@given(nonneg, nonneg)
def test_wmul_rmul__any__floor_of_exact(x: int, y: int) -> None:
    assert wmul(x, y) == x * y // WAD and wmul_up(x, y) == ceil_div(x * y, WAD)
    assert rmul(x, y) == x * y // RAY and rmul_up(x, y) - rmul(x, y) in (0, 1)


def test_rdiv_wdiv__examples__floor() -> None:
    assert rdiv(1, 3) == RAY // 3 and wdiv(2, 3) == 2 * WAD // 3


@pytest.mark.parametrize("case", VECTORS["rpow"], ids=lambda c: f"{c['x'][:6]}^{c['n']}")
def test_rpow__evm_vectors__bit_exact(case: dict[str, str]) -> None:
    assert rpow(int(case["x"]), int(case["n"]), int(case["b"])) == int(case["z"])


def test_rpow__spec_vector__one_percent_year() -> None:
    duty = 1000000000315522921573372069
    assert rpow(duty, 31_536_000, RAY) == 1009999999999999999986080875


def test_rpow__edge_cases__dss_semantics() -> None:
    assert rpow(0, 0, RAY) == RAY and rpow(0, 7, RAY) == 0 and rpow(5, 0, 100) == 100
    assert rpow(3 * RAY // 2, 1, RAY) == 3 * RAY // 2
    with pytest.raises(InvalidInput):
        rpow(-1, 2, RAY)
    with pytest.raises(Overflow, match="overflow"):
        rpow(2 * RAY, 200, RAY)  # reverts like the EVM: there is no unbounded mode


@settings(max_examples=200)
@given(st.integers(RAY, RAY + 10**19), st.integers(0, 10_000), st.integers(0, 10_000))
def test_rpow__exponent_sum__within_rounding(x: int, m: int, n: int) -> None:
    """x^(m+n) ~ x^m * x^n: half-up rounding keeps them within a few units per step."""
    lhs = rpow(x, m + n, RAY)
    rhs = rmul(rpow(x, m, RAY), rpow(x, n, RAY))
    assert abs(lhs - rhs) <= 64 * (lhs // RAY + 1)


@pytest.mark.parametrize("apr,duty", sorted(VECTORS["duty_for_apr"].items()))
def test_apr_to_duty__table__matches_spec(apr: str, duty: str) -> None:
    assert apr_to_duty(apr) == int(duty)
