"""``dealer.pool_buy_size``'s bisection decided by proven output bounds against the plain one
(every midpoint quoted exactly), on random StableSwap pools and budgets, with a canary."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from peglab.kernel import Chain
from peglab.protocols.amm import StableSwapPool
from peglab.sim.agents import dealer


def _setup(stable: int, dollar: int, amp: int, fee: int, cap: float) -> tuple[Any, Any]:
    chain = Chain()
    chain.ledger.create_token("USDC", 6)
    chain.ledger.create_token("AUSD", 18)
    chain.ledger.mint("USDC", "lp", stable)
    chain.ledger.mint("AUSD", "lp", dollar)
    pool = StableSwapPool(chain, "peg", ("AUSD", "USDC"), amp, fee=fee)
    pool.add_liquidity([dollar, stable], 0, sender="lp")
    keepers = SimpleNamespace(max_buy_price=cap)
    s = SimpleNamespace(
        w=SimpleNamespace(stable="USDC", stable_decimals=6),
        sc=SimpleNamespace(agents=SimpleNamespace(keepers=keepers)),
        buy_sizes={},
    )
    return s, pool


cases = st.tuples(
    st.integers(10**6, 10**16),  # stablecoin in the pool [base units]: 1 USD to 10 billion
    st.integers(10**18, 10**28),  # AI dollars in the pool [wad]
    st.integers(1, 5000),
    st.sampled_from([0, 1_000_000, 4_000_000, 30_000_000, 10**9]),
    st.sampled_from([0.9, 1.0, 1.01, 1.05, 1.5]),
    st.lists(st.integers(1, 10**15), min_size=1, max_size=6),  # budgets [base units]
)


@settings(max_examples=250, deadline=None)
@given(cases)
def test_pool_buy_size__random_pools__equals_the_plain_bisection(case: tuple[Any, ...]) -> None:
    stable, dollar, amp, fee, cap, budgets = case
    s, pool = _setup(stable, dollar, amp, fee, cap)
    for cash in budgets:
        plain = dealer._buy_size(s, "AUSD", pool, cash, fast=False)
        assert dealer._buy_size(s, "AUSD", pool, cash) == plain, cash
        assert dealer.pool_buy_size(s, "AUSD", pool, cash) == plain


@settings(max_examples=150, deadline=None)
@given(cases, st.lists(st.integers(1, 10**26), min_size=1, max_size=4))
def test_smallest_input__random_pools__equals_the_plain_bisection(
    case: tuple[Any, ...], needs: list[int]
) -> None:
    stable, dollar, amp, fee, cap, budgets = case
    _s, pool = _setup(stable, dollar, amp, fee, cap)
    for cash, short in zip(budgets, needs):
        plain = dealer._smallest_input(pool, "USDC", "AUSD", short, cash, fast=False)
        assert dealer._smallest_input(pool, "USDC", "AUSD", short, cash) == plain


def test_pool_buy_size__bounds_decide_most_midpoints() -> None:
    """Not vacuous: on a scenario-like pool the exact quote runs for the budget and the answer
    only (every midpoint between is decided by the bounds)."""
    s, pool = _setup(5 * 10**12, 4 * 10**24, 20, 4_000_000, 1.05)
    quotes: list[int] = []
    real = pool.quoter

    def counted(src: str, dst: str) -> Any:
        quote, out_test = real(src, dst)

        def counting(x: int) -> int:
            quotes.append(x)
            out: int = quote(x)
            return out

        return counting, out_test

    pool.quoter = counted
    size, out = dealer._buy_size(s, "AUSD", pool, 3 * 10**12)
    assert 0 < size < 3 * 10**12 and out > 0
    assert quotes == [3 * 10**12, size]
    assert (size, out) == dealer._buy_size(s, "AUSD", pool, 3 * 10**12, fast=False)


def test_pool_buy_size__canary__bounds_too_high_are_caught(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The comparison can fail: bounds that claim 1e-6 AI dollar more output than proven change
    the answer on some of these pools."""
    real = StableSwapPool.quoter

    def loose(self: StableSwapPool, src: str, dst: str) -> Any:
        quote, out_test = real(self, src, dst)

        def shifted() -> Any:
            settle = out_test()
            return lambda dx, passes: settle(dx, lambda x, out: passes(x, out + 10**12))

        return quote, shifted

    differ = 0
    for k in range(1, 40):
        s, pool = _setup(10**12 + 7 * 10**9 * k, 10**24 + 3 * 10**21 * k**2, 50 * k, 4_000_000, 1.0)
        cash = 10**11 * k
        plain = dealer._buy_size(s, "AUSD", pool, cash, fast=False)
        monkeypatch.setattr(StableSwapPool, "quoter", loose)
        differ += dealer._buy_size(s, "AUSD", pool, cash) != plain
        monkeypatch.setattr(StableSwapPool, "quoter", real)
    assert differ > 0
