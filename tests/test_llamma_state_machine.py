"""LLAMMA under random loans, oracle moves, arbitrage, trades, repayments and liquidations.

After every step: every token's balances sum to its supply; the AMM holds at least what its bands
and admin fees account for; no band above the active band holds stablecoin and none below it
collateral; every band's shares equal its owners' shares; the stablecoin's supply is what the
traders were given plus what the controller minted less what it burnt; a refused action leaves
the state hash and the log unchanged. Each check has a canary below proving it can fail.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from peglab.errors import PeglabError
from peglab.kernel import Chain
from peglab.protocols.llamma import LlammaMarket, create_market
from peglab.units import WAD

USERS = ("u0", "u1", "u2", "u3")
GIVEN = 10**9 * WAD  # stablecoin given to the traders at the start


def check_supply(chain: Chain, m: LlammaMarket) -> None:
    st_ = m.controller.state
    supply = chain.ledger.total_supply("crvUSD")
    if supply != GIVEN + st_.minted - st_.redeemed:
        raise AssertionError(f"stablecoin supply {supply} != given + minted - burnt")


def check_amm(chain: Chain, m: LlammaMarket) -> None:
    chain.check_conservation()
    errs = m.amm.invariant_errors()
    if errs:
        raise AssertionError("; ".join(errs))


class LlammaMachine(RuleBasedStateMachine):
    @initialize()
    def setup(self) -> None:
        self.chain = c = Chain()
        c.ledger.create_token("crvUSD", 18, "stablecoin")
        c.ledger.create_token("ETH", 18, "collateral")
        self.m = create_market(c, borrowed="crvUSD", collateral="ETH", price_wad=2000 * WAD)
        c.grant(self.m.oracle.ROLE, "oracle", sender=c.root)
        self.m.oracle.set_price(2010 * WAD, sender="oracle")
        c.ledger.mint("crvUSD", "arb", GIVEN)
        c.ledger.mint("ETH", "arb", 10**6 * WAD)

    def _try(self, fn, *args, **kw):  # type: ignore[no-untyped-def]
        """Call an action; a refusal must leave the hash and the log unchanged."""
        before, log_len = self.chain.state_hash(), len(self.chain.log)
        try:
            return fn(*args, **kw)
        except PeglabError:
            assert self.chain.state_hash() == before and len(self.chain.log) == log_len
            return None

    @rule(
        user=st.sampled_from(USERS),
        eth=st.integers(1, 50),
        n=st.integers(4, 20),
        pct=st.integers(30, 101),
    )
    def create_loan(self, user: str, eth: int, n: int, pct: int) -> None:
        c, ctl = self.chain, self.m.controller
        c.ledger.mint("ETH", user, eth * WAD)
        try:
            debt = ctl.max_borrowable(eth * WAD, n) * pct // 100
        except PeglabError:
            return
        if debt > 0:
            self._try(ctl.create_loan, eth * WAD, debt, n, sender=user)

    @rule(move_bps=st.integers(-400, 400), dt=st.sampled_from([5, 60, 600, 3600]))
    def oracle_and_arbitrage(self, move_bps: int, dt: int) -> None:
        c, m = self.chain, self.m
        c.advance(dt)
        p = max(m.oracle.price() * (10_000 + move_bps) // 10_000, 100 * WAD)
        m.oracle.set_price(p, sender="oracle")
        try:
            amount, pump = m.amm.get_amount_for_price(m.amm.price_oracle())
        except PeglabError:
            return
        if amount:
            self._try(m.amm.exchange, 0 if pump else 1, 1 if pump else 0, amount, 0, sender="arb")

    @rule(pump=st.booleans(), amount=st.integers(1, 10**24))
    def trade(self, pump: bool, amount: int) -> None:
        i = 0 if pump else 1
        self._try(self.m.amm.exchange, i, 1 - i, amount, 0, sender="arb")

    @rule(pump=st.booleans(), amount=st.integers(1, 10**22))
    def trade_exact_out(self, pump: bool, amount: int) -> None:
        i = 0 if pump else 1
        self._try(self.m.amm.exchange_dy, i, 1 - i, amount, 2**255, sender="arb")

    @rule(user=st.sampled_from(USERS), pct=st.integers(1, 120))
    def repay(self, user: str, pct: int) -> None:
        ctl = self.m.controller
        debt = ctl.debt(user)
        if debt:
            amount = max(debt * pct // 100, 1)
            self.chain.transfer("crvUSD", user, amount, sender="arb")
            self._try(ctl.repay, amount, user, sender=user)

    @rule(user=st.sampled_from(USERS), frac_pct=st.integers(1, 100))
    def liquidate(self, user: str, frac_pct: int) -> None:
        ctl = self.m.controller
        if ctl.loan_exists(user):
            self._try(ctl.liquidate, user, 0, frac_pct * WAD // 100, sender="arb")

    @rule(user=st.sampled_from(USERS), eth=st.integers(1, 10))
    def add_collateral(self, user: str, eth: int) -> None:
        if self.m.controller.loan_exists(user):
            self._try(self.m.controller.add_collateral, eth * WAD, user, sender="arb")

    @invariant()
    def books_balance(self) -> None:
        check_amm(self.chain, self.m)
        check_supply(self.chain, self.m)


TestLlammaMachine = LlammaMachine.TestCase
TestLlammaMachine.settings = settings(
    max_examples=25,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@pytest.fixture
def funded() -> LlammaMachine:
    mc = LlammaMachine()
    mc.setup()
    mc.create_loan("u0", 10, 10, 100)
    mc.oracle_and_arbitrage(-300, 600)
    check_amm(mc.chain, mc.m)
    check_supply(mc.chain, mc.m)
    return mc


def test_canary__collateral_leaks_from_amm__holdings_check_fails(funded: LlammaMachine) -> None:
    amm = funded.m.amm
    funded.chain.ledger.transfer("ETH", amm.account, "thief", 10**6)  # bypasses the AMM
    with pytest.raises(AssertionError, match="collateral held"):
        check_amm(funded.chain, funded.m)


def test_canary__band_shares_drift__shares_check_fails(funded: LlammaMachine) -> None:
    amm = funded.m.amm
    n = next(iter(amm.total_shares))
    amm.total_shares[n] += 1
    with pytest.raises(AssertionError, match="total shares"):
        check_amm(funded.chain, funded.m)


def test_canary__stablecoin_minted_outside__supply_check_fails(funded: LlammaMachine) -> None:
    funded.chain.ledger.mint("crvUSD", "printer", 1)
    with pytest.raises(AssertionError, match="supply"):
        check_supply(funded.chain, funded.m)


def test_canary__refusal_that_writes__attempt_check_fails(funded: LlammaMachine) -> None:
    def leaky(*, sender: str) -> None:
        funded.m.amm.state.fee_wad = 7  # a write outside any transaction, then a refusal
        raise PeglabError("llamma/test", "refused after writing")

    with pytest.raises(AssertionError):
        funded._try(leaky, sender="x")
