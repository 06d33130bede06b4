"""``y_bracket`` (the proven bracket of legacy ``get_y`` without its Newton loop) and
``y_quadratic`` against the contract's iteration, with canaries."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from peglab.errors import InvalidInput
from peglab.math import stableswap as ss


def _newton(i: int, j: int, x: int, xp: list[int], amp: int) -> int:
    """The contract's ``get_y`` written out plainly (no memo, no shared coefficients)."""
    n = len(xp)
    d = ss._get_D(xp, amp)
    ann = amp * n
    c, s_ = d, 0
    for k in range(n):
        if k == j:
            continue
        x_k = x if k == i else xp[k]
        s_ += x_k
        c = c * d // (x_k * n)
    c = c * d // (ann * n)
    b = s_ + d // ann
    y = d
    for _ in range(255):
        y_prev = y
        y = (y * y + c) // (2 * y + b - d)
        if abs(y - y_prev) <= 1:
            break
    return y


pools = st.integers(2, 4).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(10**6, 10**33), min_size=n, max_size=n),
        st.integers(1, 10**6),
        st.permutations(range(n)).map(lambda p: (p[0], p[1])),
        st.integers(1, 10**34),
    )
)


@settings(max_examples=600, deadline=None)
@given(pools)
def test_y_bracket__random_pools__get_y_within_F_to_F_plus_2(case: tuple[Any, ...]) -> None:
    xp, amp, (i, j), x = case
    y = _newton(i, j, x, xp, amp)
    assert ss._get_y(i, j, x, xp, amp) == y  # the shared coefficients change nothing
    f = ss.y_bracket(i, j, xp, amp)(x)
    if f is not None:
        assert f <= y <= f + 2, (f, y)


def test_y_bracket__decides_realistic_pools() -> None:
    """Not vacuous: on pools like the scenarios' (1e5 to 1e9 USD, A 10 to 2000) it brackets."""
    seen = 0
    for bal in (10**23, 10**25, 10**27):
        for ratio in (1, 3, 50):
            for amp in (10, 200, 2000):
                xp = [bal, bal * ratio]
                for x in (bal // 1000, bal, bal * 7):
                    for i, j in ((0, 1), (1, 0)):
                        f = ss.y_bracket(i, j, xp, amp)(xp[i] + x)
                        assert f is not None
                        assert f <= _newton(i, j, xp[i] + x, xp, amp) <= f + 2
                        seen += 1
    assert seen == 162


def test_y_bracket__canary__a_bracket_one_off_is_caught() -> None:
    """The property can fail: the same check on a bracket one unit too high (``ceil`` for
    ``floor`` in the root, say) fails on these pools (the loop in fact lands on ``F`` itself)."""
    misses = 0
    for k in range(1, 200):
        xp = [10**24 + 7919 * k**5, 3 * 10**24 + 104_729 * k**3]
        x = xp[0] + 10**21 * k
        f = ss.y_bracket(0, 1, xp, 100 + k)(x)
        assert f is not None
        y = _newton(0, 1, x, xp, 100 + k)
        assert f <= y <= f + 2
        misses += not f + 1 <= y <= f + 3
    assert misses > 0


def test_y_bracket__errors_as_get_y() -> None:
    with pytest.raises(InvalidInput, match="amm/same-coin"):
        ss.y_bracket(0, 0, [10**18, 10**18], 100)
    with pytest.raises(InvalidInput, match="amm/zero-balance"):
        ss.y_bracket(0, 2, [10**18, 0, 10**18], 100)
    with pytest.raises(InvalidInput, match="amm/zero-balance"):
        ss.y_bracket(0, 1, [10**18, 10**18], 100)(0)


def test_y_bracket__unproven_cases__none() -> None:
    assert ss.y_bracket(0, 1, [2**251, 2**251], 100)(2**251) is None  # D too large
