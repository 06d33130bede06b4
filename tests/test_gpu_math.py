"""peglab.math.gpu: residual curves and next-generation steps (integer, floored)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from peglab.math.gpu import (
    MONTH_S,
    THIRD_PARTY_H100,
    USDAI_STRAIGHT_LINE,
    collateral_value_wad,
    launch_factor_wad,
    residual_wad,
    straight_line,
)
from peglab.units import WAD


def test_residual__third_party_knots__midpoints_of_published_ranges() -> None:
    got = [residual_wad(THIRD_PARTY_H100, m * MONTH_S) for m in (0, 12, 24, 36, 48, 60)]
    assert got == [
        WAD,
        625 * WAD // 1000,
        425 * WAD // 1000,
        3 * WAD // 10,
        175 * WAD // 1000,
        175 * WAD // 1000,
    ]


def test_residual__between_knots__linear_floor() -> None:
    assert residual_wad(THIRD_PARTY_H100, 6 * MONTH_S) == (10_000 + 6_250) * WAD // 20_000
    assert residual_wad(straight_line(4), 24 * MONTH_S) == WAD // 2
    assert residual_wad(USDAI_STRAIGHT_LINE, 12 * MONTH_S) == 825 * WAD // 1000


def test_collateral_value__two_launches__steps_compound() -> None:
    assert launch_factor_wad((2_500, 2_000)) == 6 * WAD // 10
    v = collateral_value_wad(30_000 * WAD, THIRD_PARTY_H100, 12 * MONTH_S, (2_500,))
    assert v == 30_000 * WAD * 625 // 1000 * 75 // 100


@given(a=st.integers(0, 80 * MONTH_S), b=st.integers(0, 80 * MONTH_S))
def test_residual__any_ages__monotone_non_increasing(a: int, b: int) -> None:
    lo, hi = sorted((a, b))
    for curve in (THIRD_PARTY_H100, USDAI_STRAIGHT_LINE, straight_line(3)):
        assert residual_wad(curve, hi) <= residual_wad(curve, lo) <= WAD
