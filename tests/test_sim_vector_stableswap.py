"""The shared float StableSwap invariant (``peglab.sim.vector_stableswap``): against the integer
legacy curve of ``peglab.math.stableswap`` on 2 and 3 coins, its slope and price against finite
differences, and a canary (a wrong amplification is caught by the same comparison)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from peglab.math import stableswap as ss
from peglab.sim.vector_stableswap import get_d, get_y, get_y_and_slope, price

WAD = 10**18
balances = st.lists(st.integers(10**3, 10**9), min_size=2, max_size=3)
amps = st.integers(1, 2_000)


def _float_d(xs: list[int], amp: int, iters: int = 64) -> float:
    cols = [np.array([float(x)]) for x in xs]
    n = len(xs)
    return float(get_d(cols, float(amp * n), sum(cols, np.zeros(1)), iters)[0])


@settings(max_examples=60, deadline=None)
@given(balances, amps)
def test_get_d__any_balances__matches_the_integer_curve(xs: list[int], amp: int) -> None:
    exact = ss.get_D([x * WAD for x in xs], amp) / WAD
    assert abs(_float_d(xs, amp) - exact) <= 1e-9 * exact


@settings(max_examples=60, deadline=None)
@given(balances, amps, st.floats(0.001, 0.5))
def test_get_y__a_trade__matches_the_integer_curve(xs: list[int], amp: int, frac: float) -> None:
    n = len(xs)
    x_new = int(xs[0] * (1 + frac))
    exact = ss.get_y(0, n - 1, x_new * WAD, [x * WAD for x in xs], amp) / WAD
    d = np.array([_float_d(xs, amp)])
    others = [np.array([float(x_new)])] + [np.array([float(x)]) for x in xs[1 : n - 1]]
    got = float(get_y(others, d, float(amp * n))[0])
    assert abs(got - exact) <= 1e-9 * exact + 1e-6


def test_get_y_and_slope__balanced_pool__slope_is_the_finite_difference_and_the_price() -> None:
    xs = [np.array([1e6, 3e6]), np.array([2e6, 1e6])]  # two paths: balanced-ish, lopsided
    ann = 200.0 * 2
    d = get_d(xs, ann, xs[0] + xs[1], 64)
    y, slope = get_y_and_slope(xs[0], [], d, ann)
    np.testing.assert_allclose(y, xs[1], rtol=1e-10)  # at the current balances: the other one
    h = xs[0] * 1e-6
    y_up = get_y([xs[0] + h], d, ann)
    np.testing.assert_allclose(slope, (y_up - y) / h, rtol=1e-4)
    # the marginal price of coin 0 in coin 1 is minus the slope
    np.testing.assert_allclose(price(xs[0], xs[1], xs, d, ann), -slope, rtol=1e-9)


def test_get_d__empty_balance__zero() -> None:
    d = get_d([np.array([0.0, 5.0]), np.array([5.0, 5.0])], 20.0, np.array([5.0, 10.0]), 8)
    assert d[0] == 0.0 and d[1] > 0


def test_get_d__canary_a_wrong_amplification_is_caught() -> None:
    xs = [10**6, 4 * 10**6]
    exact = ss.get_D([x * WAD for x in xs], 100) / WAD
    assert abs(_float_d(xs, 50) - exact) > 1e-9 * exact
