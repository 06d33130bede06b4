"""peglab.math.gpu: residual curves and next-generation steps (integer, floored)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from peglab.math.gpu import (
    MONTH,
    THIRD_PARTY_H100,
    USDAI_OPTIMISTIC,
    ResidualCurve,
    collateral_value,
    float_knots,
    recovery,
    residual_wad,
)
from peglab.units import WAD, YEAR


def test_residual__third_party_knots__midpoints_of_published_ranges() -> None:
    got = [residual_wad(THIRD_PARTY_H100, m * MONTH) for m in (0, 12, 24, 36, 48, 60)]
    assert got == [
        WAD,
        625 * WAD // 1000,
        425 * WAD // 1000,
        3 * WAD // 10,
        175 * WAD // 1000,
        175 * WAD // 1000,
    ]


def test_residual__between_knots__linear_floor() -> None:
    assert residual_wad(THIRD_PARTY_H100, 6 * MONTH) == (WAD + 625 * WAD // 1000) // 2
    assert residual_wad(USDAI_OPTIMISTIC, YEAR) == 825 * WAD // 1000


def test_collateral_value__two_launches__steps_compound_and_recovery_net_of_cost() -> None:
    v = collateral_value(30_000 * WAD, 12 * MONTH, THIRD_PARTY_H100, (2_500, 2_000))
    assert v == 30_000 * WAD * 625 // 1000 * 75 // 100 * 80 // 100
    assert recovery(20_000 * WAD, v, 1_000) == v * 9 // 10
    assert recovery(1 * WAD, v, 1_000, 5) == WAD + 5


def test_curve__bad_knots__refused() -> None:
    with pytest.raises(ValueError, match="knots"):
        ResidualCurve("x", ((1, WAD),))
    with pytest.raises(ValueError, match="residuals"):
        ResidualCurve("x", ((0, WAD), (MONTH, WAD + 1)))
    assert float_knots(THIRD_PARTY_H100)[1][1] == 0.625


@given(a=st.integers(0, 80 * MONTH), b=st.integers(0, 80 * MONTH))
def test_residual__any_ages__monotone_non_increasing(a: int, b: int) -> None:
    lo, hi = sorted((a, b))
    for curve in (THIRD_PARTY_H100, USDAI_OPTIMISTIC):
        assert residual_wad(curve, hi) <= residual_wad(curve, lo) <= WAD
