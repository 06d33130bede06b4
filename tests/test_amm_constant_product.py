"""Constant-product (Uniswap v2) math and pool: spec vectors, K check, fees, refusals, properties."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from peglab.errors import InvalidInput, LimitExceeded, NotAuthorized, PeglabError, Slippage
from peglab.kernel import Chain
from peglab.math.uniswap_v2 import MINIMUM_LIQUIDITY, get_amount_in, get_amount_out, isqrt, quote
from peglab.protocols.amm import ConstantProductPool
from peglab.testing import assert_refused

E18 = 10**18


@pytest.mark.parametrize(
    ("a_in", "r_in", "r_out", "out"),
    [
        (1, 5, 10, 1662497915624478906),
        (1, 10, 5, 453305446940074565),
        (2, 5, 10, 2851015155847869602),
        (2, 10, 5, 831248957812239453),
        (1, 10, 10, 906610893880149131),
        (1, 100, 100, 987158034397061298),
        (1, 1000, 1000, 996006981039903216),
    ],
)
def test_get_amount_out__uniswap_v2_swap_cases__spec_l5(
    a_in: int, r_in: int, r_out: int, out: int
) -> None:
    assert get_amount_out(a_in * E18, r_in * E18, r_out * E18) == out


def test_get_amount_in__inverse_of_spec_case__spec_l5() -> None:
    assert get_amount_out(1000 * E18, 10**24, 2 * 10**24) == 1992013962079806432986
    assert get_amount_in(1992013962079806432986, 10**24, 2 * 10**24) == 1000 * E18


def test_get_amount_out__fee_30_bps__equals_997_over_1000_form() -> None:
    for a, r_in, r_out in [(1, 1, 1), (10**20, 3 * 10**21, 7 * 10**22), (12345, 999, 10**9)]:
        v2 = a * 997 * r_out // (r_in * 1000 + a * 997)
        assert get_amount_out(a, r_in, r_out) == v2


@pytest.mark.parametrize(
    ("fn", "args", "code"),
    [
        (get_amount_out, (0, 10, 10), "amm/insufficient-input"),
        (get_amount_out, (1, 0, 10), "amm/insufficient-liquidity"),
        (get_amount_in, (0, 10, 10), "amm/insufficient-output"),
        (get_amount_in, (10, 10, 10), "amm/insufficient-liquidity"),
        (quote, (0, 1, 1), "amm/insufficient-amount"),
    ],
)
def test_v2_math__bad_input__refused(fn, args, code) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as e:
        fn(*args)
    assert e.value.code == code


amounts = st.integers(min_value=1, max_value=10**30)


@settings(max_examples=200, deadline=None)
@given(amounts, amounts, amounts)
def test_get_amount_in__then_out__covers_requested_output(out: int, r_in: int, r_out: int) -> None:
    if out >= r_out:
        return
    a_in = get_amount_in(out, r_in, r_out)
    assert get_amount_out(a_in, r_in, r_out) >= out


@settings(max_examples=200, deadline=None)
@given(amounts, amounts, amounts)
def test_get_amount_out__then_in__never_above_input_plus_one(
    a_in: int, r_in: int, r_out: int
) -> None:
    out = get_amount_out(a_in, r_in, r_out)
    if out == 0:
        return
    assert get_amount_in(out, r_in, r_out) <= a_in + 1


# -- the pool ------------------------------------------------------------------------------------


def setup(protocol_fee_on: bool = False) -> tuple[Chain, ConstantProductPool]:
    chain = Chain()
    chain.ledger.create_token("ATH")
    chain.ledger.create_token("AUSD")
    for who in ("alice", "bob"):
        chain.ledger.mint("ATH", who, 10**30)
        chain.ledger.mint("AUSD", who, 10**30)
    pool = ConstantProductPool(chain, "ath", "AUSD", "ATH", protocol_fee_on=protocol_fee_on)
    pool.mint(10**24, 4 * 10**24, sender="alice")  # token0 = ATH (sorted), 1 ATH = 4 AUSD
    return chain, pool


def test_mint__first_deposit__locks_minimum_liquidity() -> None:
    chain, pool = setup()
    assert pool.coins == ("ATH", "AUSD")
    assert chain.ledger.balance_of(pool.lp_token, "alice") == isqrt(4 * 10**48) - MINIMUM_LIQUIDITY
    assert chain.ledger.balance_of(pool.lp_token, pool.locked_account) == MINIMUM_LIQUIDITY
    assert pool.get_reserves()[:2] == (10**24, 4 * 10**24)


def test_mint__second_deposit__min_of_ratios_excess_donated() -> None:
    chain, pool = setup()
    s = pool.lp_supply()
    lp = pool.mint(10**21, 5 * 10**21, sender="bob")
    assert lp == min(10**21 * s // 10**24, 5 * 10**21 * s // (4 * 10**24))


def test_swap_exact_in__ath_for_ausd__pays_get_amount_out_and_k_grows() -> None:
    chain, pool = setup()
    r0, r1, _ = pool.get_reserves()
    expect = get_amount_out(10**22, r0, r1)
    assert pool.quote_exact_in("ATH", 10**22) == expect
    assert pool.swap_exact_in("ATH", 10**22, expect, sender="bob") == expect
    n0, n1, _ = pool.get_reserves()
    assert (n0, n1) == (r0 + 10**22, r1 - expect)
    assert n0 * n1 > r0 * r1
    chain.check_conservation()


def test_swap_exact_out__buys_exact_amount__pays_get_amount_in() -> None:
    chain, pool = setup()
    r0, r1, _ = pool.get_reserves()
    cost = get_amount_in(10**21, r1, r0)
    before = chain.ledger.balance_of("ATH", "bob")
    assert pool.swap_exact_out("AUSD", 10**21, cost, sender="bob") == cost
    assert chain.ledger.balance_of("ATH", "bob") - before == 10**21


def test_swap__optimistic_transfer_then_core_swap__k_checked() -> None:
    chain, pool = setup()
    r0, r1, _ = pool.get_reserves()
    chain.transfer("ATH", pool.account, 10**21, sender="bob")
    fair = get_amount_out(10**21, r0, r1)
    assert_refused(chain, InvalidInput, "amm/k", pool.swap, 0, fair + 1, sender="bob")
    pool.swap(0, fair, sender="bob")
    assert pool.get_reserves()[1] == r1 - fair


def test_burn__all_of_alice__returns_pro_rata_and_keeps_locked() -> None:
    chain, pool = setup()
    lp = chain.ledger.balance_of(pool.lp_token, "alice")
    s = pool.lp_supply()
    a0, a1 = pool.burn(lp, sender="alice")
    assert (a0, a1) == (lp * 10**24 // s, lp * 4 * 10**24 // s)
    assert pool.lp_supply() == MINIMUM_LIQUIDITY


def test_claim_fees__protocol_fee_on__mints_one_sixth_of_growth() -> None:
    chain, pool = setup(protocol_fee_on=True)
    pool.file("fee_receiver", "voting-rewards", sender="gov")
    pool.mint(10**18, 4 * 10**18, sender="alice")  # sets k_last
    for _ in range(20):
        pool.swap_exact_in("ATH", 10**22, 0, sender="bob")
        pool.swap_exact_in("AUSD", 4 * 10**22, 0, sender="bob")
    expected = pool.pending_protocol_fee()
    assert expected > 0
    moved = pool.claim_fees(sender="anyone")
    assert moved == {pool.lp_token: expected}
    assert chain.ledger.balance_of(pool.lp_token, "voting-rewards") == expected
    assert pool.claim_fees(sender="anyone") == {pool.lp_token: 0}


def test_claim_fees__protocol_fee_off__nothing() -> None:
    chain, pool = setup()
    pool.swap_exact_in("ATH", 10**22, 0, sender="bob")
    assert pool.claim_fees(sender="x") == {pool.lp_token: 0}


def test_sync_skim__donation__skimmed_to_receiver() -> None:
    chain, pool = setup()
    chain.transfer("AUSD", pool.account, 777, sender="bob")
    assert pool.skim(sender="carol") == (0, 777)
    assert chain.ledger.balance_of("AUSD", "carol") == 777
    chain.transfer("AUSD", pool.account, 5, sender="bob")
    pool.sync(sender="carol")
    assert pool.get_reserves()[1] == 4 * 10**24 + 5


def test_update__time_passes__twap_accumulates_uq112() -> None:
    chain, pool = setup()
    chain.advance(100)
    pool.swap_exact_in("ATH", 10**18, 0, sender="bob")
    st_ = pool.state
    assert st_.price0_cumulative_last == ((4 * 10**24) << 112) // 10**24 * 100
    assert st_.price1_cumulative_last == (10**24 << 112) // (4 * 10**24) * 100


def test_sync__reserve_above_uint112__overflow_refused() -> None:
    chain, pool = setup()
    chain.ledger.mint("ATH", pool.account, 2**112)
    assert_refused(chain, LimitExceeded, "amm/overflow", pool.sync, sender="anyone")


@pytest.mark.parametrize(
    ("method", "args", "kw", "error", "code"),
    [
        ("swap_exact_in", ("DAI", E18, 0), {}, InvalidInput, "amm/unknown-token"),
        ("swap_exact_in", ("ATH", 0, 0), {}, InvalidInput, "amm/zero-amount"),
        ("swap_exact_in", ("ATH", E18, 0), {"token_out": "ATH"}, InvalidInput, "amm/same-coin"),
        ("swap_exact_in", ("ATH", E18, 10**30), {}, Slippage, "amm/slippage"),
        ("swap_exact_in", ("ATH", -1, 0), {}, InvalidInput, "amm/bad-amount"),
        ("swap_exact_out", ("ATH", 10**22, 1), {}, Slippage, "amm/slippage"),
        (
            "swap_exact_out",
            ("ATH", 4 * 10**24, 2**200),
            {},
            InvalidInput,
            "amm/insufficient-liquidity",
        ),
        ("swap", (0, 0), {}, InvalidInput, "amm/insufficient-output"),
        ("swap", (0, E18), {}, InvalidInput, "amm/insufficient-input"),
        ("swap", (10**24, 0), {}, InvalidInput, "amm/insufficient-liquidity"),
        ("mint", (0, 0), {}, InvalidInput, "amm/insufficient-liquidity-minted"),
        ("mint", (E18, 4 * E18, 10**30), {}, Slippage, "amm/slippage"),
        ("burn", (0,), {}, InvalidInput, "amm/zero-amount"),
        ("burn", (10**40,), {}, InvalidInput, "amm/exceeds-supply"),
        ("burn", (10**18, 10**30, 0), {}, Slippage, "amm/slippage"),
        ("file", ("fee_bps", 1), {}, InvalidInput, "amm/unknown-param"),
        ("file", ("protocol_fee_on", 1), {}, InvalidInput, "amm/bad-param"),
    ],
)
def test_action__bad_input__refused_state_hash_unchanged(method, args, kw, error, code) -> None:  # type: ignore[no-untyped-def]
    chain, pool = setup()
    sender = "gov" if method == "file" else "alice"
    assert_refused(chain, error, code, getattr(pool, method), *args, sender=sender, **kw)


def test_file__stranger__not_authorized() -> None:
    chain, pool = setup()
    assert_refused(
        chain, NotAuthorized, "amm/not-owner", pool.file, "protocol_fee_on", True, sender="bob"
    )


def test_pool__bad_configuration__refused() -> None:
    chain = Chain()
    chain.ledger.create_token("X")
    with pytest.raises(InvalidInput):
        ConstantProductPool(chain, "xx", "X", "X")
    with pytest.raises(InvalidInput):
        ConstantProductPool(chain, "xy", "X", "Y")
    chain.ledger.create_token("Y")
    with pytest.raises(InvalidInput):
        ConstantProductPool(chain, "xy", "X", "Y", fee_bps=5000)


# -- stateful: K never falls, no round-trip profit -------------------------------------------------


def check_k(before: int, after: int) -> None:
    """Invariant: reserve0 * reserve1 never falls across swaps."""
    assert after >= before, f"k fell {before} -> {after}"


def check_no_profit(put_in: int, got_back: int) -> None:
    """Invariant: a swap round trip never returns more than was put in."""
    assert got_back <= put_in, f"round trip extracted value: in {put_in}, back {got_back}"


class ConstantProductMachine(RuleBasedStateMachine):
    @initialize(r0=st.integers(10**6, 10**30), r1=st.integers(10**6, 10**30), fee_on=st.booleans())
    def setup(self, r0: int, r1: int, fee_on: bool) -> None:
        self.chain = Chain()
        for t in ("A", "B"):
            self.chain.ledger.create_token(t)
            for who in ("lp", "trader"):
                self.chain.ledger.mint(t, who, 10**33)
        self.pool = ConstantProductPool(self.chain, "ab", "A", "B", protocol_fee_on=fee_on)
        self.pool.mint(r0, r1, sender="lp")
        self.k = r0 * r1

    def _attempt(self, fn, *args, **kw):  # type: ignore[no-untyped-def]
        before = self.chain.state_hash()
        try:
            return fn(*args, **kw)
        except PeglabError:
            assert self.chain.state_hash() == before
            return None

    @rule(zero_in=st.booleans(), ppm=st.integers(1, 3 * 10**6))
    def swap_round_trip(self, zero_in: bool, ppm: int) -> None:
        t_in, t_out = ("A", "B") if zero_in else ("B", "A")
        r = self.pool.get_reserves()[0 if zero_in else 1]
        a = max(1, r * ppm // 10**6)
        k0 = self._k()
        out = self._attempt(self.pool.swap_exact_in, t_in, a, 0, sender="trader")
        if out:
            check_k(k0, self._k())
            back = self._attempt(self.pool.swap_exact_in, t_out, out, 0, sender="trader")
            if back is not None:
                check_no_profit(a, back)

    @rule(ppm=st.integers(1, 10**6))
    def mint(self, ppm: int) -> None:
        r0, r1, _ = self.pool.get_reserves()
        self._attempt(self.pool.mint, r0 * ppm // 10**6, r1 * ppm // 10**6, sender="lp")

    @rule(ppm=st.integers(1, 10**6))
    def burn(self, ppm: int) -> None:
        lp = self.chain.ledger.balance_of(self.pool.lp_token, "lp") * ppm // 10**6
        if lp:
            self._attempt(self.pool.burn, lp, sender="lp")

    @rule()
    def claim(self) -> None:
        self.pool.claim_fees(sender="keeper")

    def _k(self) -> int:
        r0, r1, _ = self.pool.get_reserves()
        return r0 * r1

    @invariant()
    def consistent(self) -> None:
        if not hasattr(self, "pool"):
            return
        self.chain.check_conservation()
        r0, r1, _ = self.pool.get_reserves()
        led = self.chain.ledger
        assert (led.balance_of("A", self.pool.account), led.balance_of("B", self.pool.account)) == (
            r0,
            r1,
        )
        # LP value per share (sqrt k / supply) never falls: fees only add (with the protocol fee
        # on, the fee receiver's LP mint dilutes it by design, so the check applies when off)
        s = self.pool.lp_supply()
        root = isqrt(r0 * r1)
        if hasattr(self, "share") and s and not self.pool.state.protocol_fee_on:
            prev_root, prev_s = self.share
            assert root * prev_s >= prev_root * s - prev_s * 2 - s * 2
        self.share = (root, s)


ConstantProductMachine.TestCase.settings = settings(
    max_examples=100,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestConstantProductMachine = ConstantProductMachine.TestCase


def test_canary__k_check_removed__k_invariant_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    import peglab.protocols.amm.constant_product as cp

    chain, pool = setup()
    monkeypatch.setattr(cp, "get_amount_out", lambda a, r_in, r_out, fee: a * r_out // r_in * 2)
    monkeypatch.setattr(pool, "fee_bps", -(10**30))  # disables the K check's effect
    k0 = pool.get_reserves()[0] * pool.get_reserves()[1]
    pool.swap_exact_in("ATH", 10**22, 0, sender="bob")
    with pytest.raises(AssertionError, match="k fell"):
        check_k(k0, pool.get_reserves()[0] * pool.get_reserves()[1])


def test_canary__overpaying_quote__core_k_check_refuses(monkeypatch: pytest.MonkeyPatch) -> None:
    import peglab.protocols.amm.constant_product as cp

    chain, pool = setup()
    monkeypatch.setattr(cp, "get_amount_out", lambda a, r_in, r_out, fee: a * r_out // r_in)
    assert_refused(chain, InvalidInput, "amm/k", pool.swap_exact_in, "ATH", 10**22, 0, sender="bob")


def test_canary__no_profit_check__fails_on_profit() -> None:
    with pytest.raises(AssertionError, match="extracted"):
        check_no_profit(100, 101)
