"""Legacy StableSwap math against curvesim vectors, the published 3pool cases, and properties."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from peglab.errors import InvalidInput
from peglab.math import stableswap as ss
from peglab.math.stableswap import get_D, get_D_ng, get_y, get_y_D, xp_from_balances

VECTORS = json.loads((Path(__file__).parent / "vectors" / "stableswap_math.json").read_text())

L1_BALANCES = [295949605740077243186725223, 284320067518878, 288200854907854]
L1_SUPPLY = 849743149250065202008212976
L1_RATES = [10**18, 10**30, 10**30]


def test_get_D__curvesim_vectors__bit_exact() -> None:
    cases = VECTORS["get_D"]
    assert len(cases) >= 300
    for c in cases:
        assert get_D(c["xp"], c["amp"]) == c["D"], c


def test_get_D__vectors_cover_2_to_8_coins_and_non_convergence() -> None:
    sizes = {len(c["xp"]) for c in VECTORS["get_D"]}
    assert sizes == {2, 3, 4, 5, 8}
    assert any(c["ref"] == "script-255-cap" for c in VECTORS["get_D"])


def test_get_y__curvesim_vectors__bit_exact() -> None:
    cases = VECTORS["get_y"]
    assert len(cases) >= 300
    for c in cases:
        assert get_y(c["i"], c["j"], c["x"], c["xp"], c["amp"]) == c["y"], c


def test_get_y_D__curvesim_vectors__bit_exact() -> None:
    cases = VECTORS["get_y_D"]
    assert len(cases) >= 300
    for c in cases:
        assert get_y_D(c["amp"], c["i"], c["xp"], c["D"]) == c["y"], c


def test_get_D__3pool_snapshot__published_virtual_price() -> None:
    xp = xp_from_balances(L1_BALANCES, L1_RATES)
    d = get_D(xp, 2000)
    assert d == 868470467876941593674366120
    assert d * 10**18 // L1_SUPPLY == 1022038799187029697


def test_get_y__3pool_1m_dai_to_usdc__spec_l2() -> None:
    xp = xp_from_balances(L1_BALANCES, L1_RATES)
    y = get_y(0, 1, xp[0] + 10**24, xp, 2000)
    assert y == 283320089245394409243137469
    assert xp[1] - y - 1 == 999978273483590756862530


def test_get_D__legacy_vs_ng__differ_by_one_wei_l3() -> None:
    xp = [7740578 * 10**18, 5613980 * 10**18, 6843727 * 10**18]
    assert get_D(xp, 200) == 20197406695117235327423735
    assert get_D_ng(xp, 200 * ss.A_PRECISION) == 20197406695117235327423734


def test_get_D__empty_pool__zero() -> None:
    assert get_D([0, 0, 0], 100) == 0


def test_get_D__one_zero_balance__zero_balance_error() -> None:
    with pytest.raises(InvalidInput) as e:
        get_D([10**18, 0], 100)
    assert e.value.code == "amm/zero-balance"


def test_get_y__same_index__refused() -> None:
    with pytest.raises(InvalidInput) as e:
        get_y(1, 1, 10**18, [10**18, 10**18], 100)
    assert e.value.code == "amm/same-coin"


@pytest.mark.parametrize(("i", "j"), [(-1, 0), (0, 2), (3, 1)])
def test_get_y__index_out_of_range__refused(i: int, j: int) -> None:
    with pytest.raises(InvalidInput) as e:
        get_y(i, j, 10**18, [10**18, 10**18], 100)
    assert e.value.code == "amm/bad-index"


def test_get_y_D__bad_index__refused() -> None:
    with pytest.raises(InvalidInput) as e:
        get_y_D(100, 2, [10**18, 10**18], 2 * 10**18)
    assert e.value.code == "amm/bad-index"


def test_get_D__non_converging_state__returns_255th_iterate() -> None:
    case = next(c for c in VECTORS["get_D"] if c["ref"] == "script-255-cap")
    assert get_D(case["xp"], case["amp"]) == case["D"]
    assert _naive_get_D(case["xp"], case["amp"]) == case["D"]


def _naive_get_D(xp: list[int], amp: int) -> int:
    """The contract loop without hoisting or unrolling: guards the fast paths."""
    s = sum(xp)
    if s == 0:
        return 0
    n = len(xp)
    d = s
    ann = amp * n
    for _ in range(255):
        d_p = d
        for x in xp:
            d_p = d_p * d // (x * n)
        prev = d
        d = (ann * s + d_p * n) * d // ((ann - 1) * d + (n + 1) * d_p)
        if abs(d - prev) <= 1:
            break
    return d


balances = st.integers(min_value=10**6, max_value=10**33)


@settings(max_examples=150, deadline=None)
@given(st.lists(balances, min_size=2, max_size=8), st.integers(min_value=1, max_value=10**6 - 1))
def test_get_D__random_states__equals_unoptimised_loop(xp: list[int], amp: int) -> None:
    assert get_D(xp, amp) == _naive_get_D(xp, amp)


@settings(max_examples=150, deadline=None)
@given(
    st.integers(min_value=10**18, max_value=10**30),
    st.lists(st.integers(min_value=1, max_value=100), min_size=2, max_size=5),
    st.integers(min_value=10, max_value=5000),
    st.integers(min_value=10**12, max_value=10**32),
)
def test_get_y__non_dust_swap_in__output_balance_falls(
    unit: int, weights: list[int], amp: int, dx: int
) -> None:
    # (dust trades can leave y a few units above xp[j] through the floors; the contract's -1
    # and its underflow revert, the pool's amm/trade-too-small, handle those)
    xp = [unit * w for w in weights]
    y = get_y(0, 1, xp[0] + dx, xp, amp)
    assert 0 <= y < xp[1]
    assert get_y(0, 1, xp[0] + 2 * dx, xp, amp) <= y


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.integers(min_value=10**18, max_value=10**30), min_size=2, max_size=5),
    st.integers(1, 5000),
)
def test_get_y_D__at_current_D__recovers_balance_within_rounding(xp: list[int], amp: int) -> None:
    d = get_D(xp, amp)
    y = get_y_D(amp, 0, xp, d)
    assert abs(y - xp[0]) <= max(2, xp[0] // 10**12)


def test_liquidity_fee__3pool__three_eighths_of_fee() -> None:
    # fee * N / (4 (N - 1)): 3/8 of the swap fee for N = 3 (docs/amm.md: the original spec's
    # "0.75 * fee" comment is off)
    assert ss.liquidity_fee(4_000_000, 3) == 1_500_000
    assert ss.liquidity_fee(4_000_000, 2) == 2_000_000


def test_dynamic_fee_ng__balanced__base_fee_and_imbalanced_higher() -> None:
    assert ss.dynamic_fee_ng(10**24, 10**24, 4_000_000, 2 * 10**10) == 4_000_000
    assert ss.dynamic_fee_ng(10**24, 10**22, 4_000_000, 2 * 10**10) > 4_000_000
    assert ss.dynamic_fee_ng(10**24, 10**22, 4_000_000, 10**10) == 4_000_000


# -- the memos of get_D and get_y: the value the same integers last gave, never a stale one -----

Fn = Callable[[list[int], int], int]


def _y_of(get: Callable[..., int]) -> Fn:
    return lambda xp, amp: get(0, 1, xp[0] + 10**21, xp, amp)  # a trade of coin 0 for coin 1


def _memo_mismatches(fn: Fn, plain: Fn) -> list[tuple[list[int], int]]:
    """States one pool goes through between steps, each asked twice, against the plain iteration:
    a trade (balances move), an A ramp (same balances, new A), a list changed in place, a return
    to an earlier state, and more distinct states than the memo holds, then the first again."""
    xp = [10**24, 2 * 10**24, 3 * 10**24]
    states: list[tuple[list[int], int]] = [(list(xp), 200)]
    xp[0] += 10**21  # a trade
    states.append((list(xp), 200))
    states.append((list(xp), 210))  # the ramp moved A
    states.append(([10**24, 2 * 10**24, 3 * 10**24], 200))  # back to the first state
    states += [([10**24 + k, 10**24, 10**24], 100) for k in range(ss.MEMO_SIZE + 2)]
    states.append(states[0])
    bad = []
    for xs, amp in states:
        for _ in range(2):
            if fn(xs, amp) != plain(xs, amp):
                bad.append((xs, amp))
    in_place = [5 * 10**23, 10**24]
    first = fn(in_place, 100)
    in_place[0] *= 2  # the same list object, other balances
    if first != plain([5 * 10**23, 10**24], 100) or fn(in_place, 100) != plain(in_place, 100):
        bad.append((in_place, 100))
    return bad


def test_memos__state_changes__always_the_plain_value() -> None:
    ss._D_MEMO.clear()
    ss._Y_MEMO.clear()
    assert _memo_mismatches(get_D, ss._get_D) == []
    assert _memo_mismatches(_y_of(get_y), _y_of(ss._get_y)) == []
    assert 0 < len(ss._D_MEMO) <= ss.MEMO_SIZE and 0 < len(ss._Y_MEMO) <= ss.MEMO_SIZE


def test_memos__canary__stale_keys__found() -> None:
    stale: dict[tuple[int, ...], int] = {}

    def d_keyed_on_balances(xp: list[int], amp: int) -> int:  # forgets A: stale after a ramp
        return stale.setdefault(tuple(xp), ss._get_D(xp, amp))

    ramped = [10**24 + 10**21, 2 * 10**24, 3 * 10**24]
    assert _memo_mismatches(d_keyed_on_balances, ss._get_D) == [(ramped, 210)] * 2
    stale.clear()

    def y_keyed_on_amp(xp: list[int], amp: int) -> int:  # forgets the balances
        return stale.setdefault((amp,), ss._get_y(0, 1, xp[0] + 10**21, xp, amp))

    assert (ramped, 200) in _memo_mismatches(y_keyed_on_amp, _y_of(ss._get_y))  # the trade


def test_memos__refused_input__refused_every_time() -> None:
    for _ in range(2):  # an error is not remembered as a value
        with pytest.raises(InvalidInput) as e:
            get_D([10**18, 0], 100)
        assert e.value.code == "amm/zero-balance"
        with pytest.raises(InvalidInput) as e:
            get_y(1, 1, 10**18, [10**18, 10**18], 100)
        assert e.value.code == "amm/same-coin"
