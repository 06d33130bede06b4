"""Stateful StableSwap test: random actions, invariants after every step, and canaries."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from peglab.errors import PeglabError
from peglab.kernel import Chain
from peglab.protocols.amm import StableSwapPool

COINS = ("AUSD", "USDC", "VUSD")
DECIMALS = (18, 6, 18)
# floors in get_D can move the virtual price down by a wei or two on withdrawals
# (docs/amm-spec.md §6, property 2)
VP_TOLERANCE_WEI = 2

frac = st.integers(min_value=1, max_value=10**6)  # parts per million
coin = st.integers(min_value=0, max_value=2)


def check_virtual_price(before: int, after: int) -> None:
    """Invariant: the virtual price never falls (beyond floor rounding) through trades or liquidity moves."""
    assert after >= before - VP_TOLERANCE_WEI, f"virtual price fell {before} -> {after}"


def check_round_trip(put_in: int, got_back: int) -> None:
    """Invariant: a round trip in the same coin never returns more than was put in."""
    assert got_back <= put_in, f"round trip extracted value: in {put_in}, back {got_back}"


def check_admin_balances(pool: StableSwapPool) -> None:
    """Invariant: admin fees (token balance - accounted balance) are never negative."""
    assert all(a >= 0 for a in pool.admin_balances()), pool.admin_balances()


def make_pool(a: int, fee: int, admin_fee: int, weights: list[int]) -> tuple[Chain, StableSwapPool]:
    chain = Chain()
    for c, d in zip(COINS, DECIMALS):
        chain.ledger.create_token(c, d)
        for who in ("alice", "bob"):
            chain.ledger.mint(c, who, 10**12 * 10**d)
    pool = StableSwapPool(chain, "sm", COINS, a, fee=fee, admin_fee=admin_fee)
    pool.add_liquidity([w * 10**4 * 10**d for w, d in zip(weights, DECIMALS)], 0, sender="alice")
    return chain, pool


class StableSwapMachine(RuleBasedStateMachine):
    chain: Chain
    pool: StableSwapPool

    @initialize(
        a=st.sampled_from([10, 100, 200, 2000]),
        fee=st.sampled_from([0, 1_000_000, 4_000_000, 40_000_000]),
        admin_fee=st.sampled_from([0, 5 * 10**9, 10**10]),
        weights=st.lists(st.integers(min_value=1, max_value=1000), min_size=3, max_size=3),
    )
    def setup(self, a: int, fee: int, admin_fee: int, weights: list[int]) -> None:
        self.chain, self.pool = make_pool(a, fee, admin_fee, weights)
        self.vp = self.pool.get_virtual_price()

    def _amount(self, k: int, ppm: int) -> int:
        return max(1, self.pool.balances[k] * ppm // 10**6)

    def _attempt(self, fn, *args, **kw):  # type: ignore[no-untyped-def]
        """Run an action; a refusal must leave the state hash unchanged."""
        before = self.chain.state_hash()
        try:
            return fn(*args, **kw)
        except PeglabError:
            assert self.chain.state_hash() == before
            return None

    @rule(i=coin, j=coin, ppm=frac)
    def exchange(self, i: int, j: int, ppm: int) -> None:
        self._attempt(self.pool.exchange, i, j, self._amount(i, ppm), 0, sender="bob")

    @rule(i=coin, j=coin, ppm=frac)
    def exchange_round_trip(self, i: int, j: int, ppm: int) -> None:
        if i == j:
            return
        dx = self._amount(i, ppm)
        out = self._attempt(self.pool.exchange, i, j, dx, 0, sender="bob")
        if out:
            back = self._attempt(self.pool.exchange, j, i, out, 0, sender="bob")
            if back is not None:
                check_round_trip(dx, back)

    @rule(p0=frac, p1=frac, p2=frac, mask=st.integers(min_value=1, max_value=7))
    def add_liquidity(self, p0: int, p1: int, p2: int, mask: int) -> None:
        amounts = [self._amount(k, p) if mask >> k & 1 else 0 for k, p in enumerate((p0, p1, p2))]
        self._attempt(self.pool.add_liquidity, amounts, 0, sender="alice")

    @rule(k=coin, ppm=frac)
    def add_one_then_withdraw_one(self, k: int, ppm: int) -> None:
        amounts = [0, 0, 0]
        amounts[k] = self._amount(k, ppm)
        lp = self._attempt(self.pool.add_liquidity, amounts, 0, sender="bob")
        if lp:
            back = self._attempt(self.pool.remove_liquidity_one_coin, lp, k, 0, sender="bob")
            if back is not None:
                check_round_trip(amounts[k], back)

    @rule(p0=frac, p1=frac, p2=frac)
    def add_then_withdraw_same_amounts(self, p0: int, p1: int, p2: int) -> None:
        amounts = [self._amount(k, p) for k, p in enumerate((p0, p1, p2))]
        lp = self._attempt(self.pool.add_liquidity, amounts, 0, sender="bob")
        if lp:
            burned = self._attempt(
                self.pool.remove_liquidity_imbalance, amounts, 2**255, sender="bob"
            )
            if burned is not None:
                check_round_trip(burned, lp)  # cannot take the same coins back for less LP

    @rule(ppm=frac)
    def remove_liquidity(self, ppm: int) -> None:
        lp = self.chain.ledger.balance_of(self.pool.lp_token, "alice") * ppm // 10**6 // 2
        if lp:
            self._attempt(self.pool.remove_liquidity, lp, [0, 0, 0], sender="alice")

    @rule(k=coin, ppm=frac)
    def remove_one_coin(self, k: int, ppm: int) -> None:
        lp = self.chain.ledger.balance_of(self.pool.lp_token, "alice") * ppm // 10**6 // 4
        if lp:
            self._attempt(self.pool.remove_liquidity_one_coin, lp, k, 0, sender="alice")

    @rule(p0=frac, p1=frac, p2=frac)
    def remove_imbalance(self, p0: int, p1: int, p2: int) -> None:
        amounts = [self._amount(k, p // 4) for k, p in enumerate((p0, p1, p2))]
        self._attempt(self.pool.remove_liquidity_imbalance, amounts, 2**255, sender="alice")

    @rule()
    def claim_fees(self) -> None:
        self.pool.claim_fees(sender="keeper")

    @invariant()
    def invariants(self) -> None:
        if not hasattr(self, "pool"):
            return
        self.chain.check_conservation()
        check_admin_balances(self.pool)
        vp = self.pool.get_virtual_price()
        check_virtual_price(self.vp, vp)
        self.vp = vp


StableSwapMachine.TestCase.settings = settings(
    max_examples=40,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestStableSwapMachine = StableSwapMachine.TestCase


# -- canaries: each invariant check fails on a deliberately broken pool -------------------------


def test_canary__overpaying_exchange__round_trip_check_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    chain, pool = make_pool(200, 4_000_000, 5 * 10**9, [100, 100, 100])
    real = StableSwapPool._exchange_result

    def overpay(self: StableSwapPool, i: int, j: int, dx: int) -> tuple[int, int]:
        out, admin = real(self, i, j, dx)
        return out * 1001 // 1000, admin

    monkeypatch.setattr(StableSwapPool, "_exchange_result", overpay)
    dx = 10**24
    out = pool.exchange(0, 2, dx, 0, sender="bob")
    back = pool.exchange(2, 0, out, 0, sender="bob")
    with pytest.raises(AssertionError, match="extracted"):
        check_round_trip(dx, back)


def test_canary__fee_paid_from_lp_balances__virtual_price_check_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    chain, pool = make_pool(200, 4_000_000, 5 * 10**9, [100, 100, 100])
    vp = pool.get_virtual_price()
    real = StableSwapPool._exchange_result

    def leak(self: StableSwapPool, i: int, j: int, dx: int) -> tuple[int, int]:
        out, admin = real(self, i, j, dx)
        return out, admin + dx // 10**3  # removes LP value from the accounted balances

    monkeypatch.setattr(StableSwapPool, "_exchange_result", leak)
    pool.exchange(0, 2, 10**24, 0, sender="bob")
    with pytest.raises(AssertionError, match="virtual price fell"):
        check_virtual_price(vp, pool.get_virtual_price())


def test_canary__accounted_above_tokens__admin_check_fails() -> None:
    chain, pool = make_pool(200, 4_000_000, 5 * 10**9, [100, 100, 100])
    pool.state.balances = (pool.balances[0] + 1, *pool.balances[1:])
    with pytest.raises(AssertionError):
        check_admin_balances(pool)
