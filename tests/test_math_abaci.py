"""Auction price curves (dss abaci): differential vectors, the spec's worked price, properties, bad input."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from peglab.errors import InvalidInput, Overflow
from peglab.math import (
    exponential_decrease,
    linear_decrease,
    rpow,
    stairstep_exponential_decrease,
)
from peglab.math.abaci import abaci_rpow
from peglab.units import RAY

CURVES = json.loads(
    (Path(__file__).parent / "vectors" / "dss_liquidation_curves.json").read_text()
)["cases"]


def price_of(case: dict[str, object]) -> int:
    top, dur = int(str(case["top"])), int(str(case["dur"]))
    if case["calc"] == "linear":
        return linear_decrease(top, int(str(case["tau"])), dur)
    if case["calc"] == "stairstep":
        return stairstep_exponential_decrease(
            top, int(str(case["step"])), int(str(case["cut"])), dur
        )
    return exponential_decrease(top, int(str(case["cut"])), dur)


@pytest.mark.parametrize("case", CURVES, ids=lambda c: f"{c['calc']}-{c['dur']}")
def test_curves__dss_vectors__bit_exact(case: dict[str, object]) -> None:
    assert "error" not in case
    assert price_of(case) == int(str(case["price"]))


def test_stairstep__spec_worked_vector__exact_price() -> None:
    # docs/cdp-spec.md §8.5: top 0.54, cut 0.99, step 90 s, after 1200 s
    assert stairstep_exponential_decrease(54 * RAY // 100, 90, 99 * RAY // 100, 1200) == (
        473861352419442713440195014
    )


def test_linear__at_and_after_tau__zero() -> None:
    assert linear_decrease(RAY, 100, 100) == 0
    assert linear_decrease(RAY, 100, 10**9) == 0
    assert linear_decrease(RAY, 100, 0) == RAY
    assert linear_decrease(RAY, 100, 50) == RAY // 2


def test_abaci_rpow__zero_exponent_before_zero_base__returns_ray() -> None:
    assert abaci_rpow(0, 0, RAY) == RAY
    assert abaci_rpow(0, 5, RAY) == 0
    with pytest.raises(InvalidInput, match="rpow-overflow"):
        abaci_rpow(2**128, 2, RAY, parity=True)


@settings(max_examples=150, deadline=None)
@given(
    top=st.integers(0, 10**30),
    cut=st.integers(0, RAY),
    step=st.integers(1, 1000),
    tau=st.integers(1, 10**5),
    d1=st.integers(0, 10**5),
    d2=st.integers(0, 10**5),
)
def test_curves__any_inputs__never_above_top_and_non_increasing(
    top: int, cut: int, step: int, tau: int, d1: int, d2: int
) -> None:
    lo, hi = min(d1, d2), max(d1, d2)
    for f in (
        lambda d: linear_decrease(top, tau, d),
        lambda d: stairstep_exponential_decrease(top, step, cut, d),
        lambda d: exponential_decrease(top, cut, d),
    ):
        assert 0 <= f(hi) <= f(lo) <= top


@settings(max_examples=100, deadline=None)
@given(x=st.integers(0, 2 * RAY), n=st.integers(0, 5000))
def test_abaci_rpow__matches_jug_rpow__for_non_zero_exponent(x: int, n: int) -> None:
    def run(f: Callable[[int, int, int], int]) -> int | str:
        try:
            return f(x, n, RAY)
        except Overflow:
            return "overflow"  # both revert past 2^256 like the EVM

    assert run(abaci_rpow) == run(rpow)


@pytest.mark.parametrize(
    "call",
    [
        lambda: linear_decrease(RAY, 0, 1),
        lambda: linear_decrease(-1, 10, 1),
        lambda: linear_decrease(RAY, 10, -1),
        lambda: stairstep_exponential_decrease(RAY, 0, RAY, 1),
        lambda: stairstep_exponential_decrease(RAY, 10, RAY + 1, 1),
        lambda: exponential_decrease(RAY, RAY + 1, 1),
        lambda: exponential_decrease(RAY, 1.0, 1),  # type: ignore[arg-type]
    ],
)
def test_curves__bad_input__invalid_input(call: object) -> None:
    with pytest.raises(InvalidInput):
        call()  # type: ignore[operator]
