"""Stateful test of both lending styles: random supply, withdraw, borrow, repay, collateral and time;
after every step: conservation, solvency (cash + debt covers every claim), monotone indexes,
utilisation at most the cap, and refusals that leave the state hash unchanged. Canaries prove
the solvency and monotonicity checks can fail."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from support.lending import USDC, check_indexes_monotone, check_solvent, make_market

from peglab.errors import PeglabError
from peglab.kernel import Chain
from peglab.protocols.lending import AaveMarket, LendingMarket
from peglab.units import BPS, WAD

SUPPLIERS = ("alice", "bob")
BORROWERS = ("carol", "dave")


class LendingMachine(RuleBasedStateMachine):
    chain: Chain
    m: LendingMarket

    @initialize(style=st.sampled_from(["aave", "compound"]), cap=st.sampled_from([BPS, 9_500]))
    def setup(self, style: str, cap: int) -> None:
        self.chain, self.m = make_market(style, max_utilisation_bps=cap)
        self.last = [0, 0]
        for b in BORROWERS:
            self.m.deposit_collateral(1_000 * WAD, sender=b)

    def _try(self, fn: object, *args: object, **kw: object) -> None:
        before = self.chain.state_hash()
        try:
            fn(*args, **kw)  # type: ignore[operator]
        except PeglabError:
            assert self.chain.state_hash() == before, "a refused action changed state"

    @rule(who=st.sampled_from(SUPPLIERS), amount=st.integers(1, 3_000_000 * USDC))
    def supply(self, who: str, amount: int) -> None:
        self._try(self.m.supply, amount, sender=who)

    @rule(who=st.sampled_from(SUPPLIERS), frac=st.integers(1, 100))
    def withdraw(self, who: str, frac: int) -> None:
        amount = self.m.max_withdraw(who) * frac // 100
        self._try(self.m.withdraw, amount, sender=who)

    @rule(who=st.sampled_from(BORROWERS), amount=st.integers(1, 2_000_000 * USDC))
    def borrow(self, who: str, amount: int) -> None:
        self._try(self.m.borrow, amount, sender=who)

    @rule(who=st.sampled_from(BORROWERS), frac=st.integers(1, 110))
    def repay(self, who: str, frac: int) -> None:
        amount = self.m.debt_of(who) * frac // 100
        self._try(self.m.repay, amount, sender=who)

    @rule(who=st.sampled_from(BORROWERS), amount=st.integers(1, 500 * WAD))
    def withdraw_collateral(self, who: str, amount: int) -> None:
        self._try(self.m.withdraw_collateral, amount, sender=who)

    @rule(seconds=st.sampled_from([1, 13, 3600, 86_400, 30 * 86_400]))
    def advance(self, seconds: int) -> None:
        self.chain.advance(seconds)

    @rule()
    def treasury(self) -> None:
        if isinstance(self.m, AaveMarket):
            self.m.mint_to_treasury(sender="keeper")

    @invariant()
    def conserved(self) -> None:
        self.chain.check_conservation()

    @invariant()
    def solvent(self) -> None:
        check_solvent(self.m)

    @invariant()
    def indexes_monotone(self) -> None:
        self.last = check_indexes_monotone(self.m, self.last)

    @invariant()
    def utilisation_bounded(self) -> None:
        assert self.m.utilisation_wad() <= WAD


LendingMachine.TestCase.settings = settings(
    max_examples=40,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestLendingMachine = LendingMachine.TestCase


def test_canary__supply_minting_extra_units__solvency_check_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = AaveMarket._supply

    def generous(self: AaveMarket, on_behalf: str, amount: int) -> int:
        units = real(self, on_behalf, amount)
        self.chain.ledger.mint(self.supply_token, on_behalf, units // 1000)
        return units

    monkeypatch.setattr(AaveMarket, "_supply", generous)
    _, m = make_market("aave")
    m.supply(1_000 * USDC, sender="alice")
    with pytest.raises(AssertionError, match="insolvent"):
        check_solvent(m)


def test_canary__index_moved_backwards__monotone_check_fails() -> None:
    _, m = make_market("aave")
    assert isinstance(m, AaveMarket)
    last = check_indexes_monotone(m, [0, 0])
    m.reserve.liquidity_index -= 1
    with pytest.raises(AssertionError, match="index fell"):
        check_indexes_monotone(m, last)
