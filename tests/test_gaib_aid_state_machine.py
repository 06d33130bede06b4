"""Stateful test of AID: random mints, redemptions, T-bill trades, settlements, harvests, freezes
and time, against the reserve invariants after every step.

Invariants: conservation; ``AID supply <= cash + marked T-bills`` (full backing); the reserve's
T-bill marks never exceed their face; a refused action leaves the state hash and the log
unchanged. Each check has a canary below proving it can fail.
"""

from __future__ import annotations

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from peglab.errors import PeglabError
from peglab.kernel import Chain
from peglab.protocols.gaib import Aid
from peglab.units import DAY, WAD

USDC = 10**6
USERS = ("alice", "bob")


def check_backing(aid: Aid) -> None:
    """AID supply never exceeds the reserve's value."""
    supply, value = aid.supply_wad, aid.reserve_value_wad()
    assert supply <= value, f"AID supply {supply} above reserve {value}"


def check_marks(aid: Aid) -> None:
    """A T-bill lot is never valued above what it pays at maturity."""
    for lot_id, lot in aid.lots.items():
        assert aid.lot_mark(lot) <= lot.face, f"lot {lot_id} marked above its face"


def attempt(chain: Chain, fn: object, *args: object, **kw: object) -> bool:
    """Run an action; a refusal must leave the state hash and the log unchanged."""
    h, n = chain.state_hash(), len(chain.log)
    try:
        fn(*args, **kw)  # type: ignore[operator]
    except PeglabError:
        assert chain.state_hash() == h and len(chain.log) == n, "a refused action changed state"
        return False
    return True


class AidMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.chain = Chain()
        self.chain.ledger.create_token("USDC", 6)
        self.chain.ledger.create_token("USDT", 6)
        self.aid = Aid(self.chain, ("USDC", "USDT"), redeem_fee_bps=5)
        for u in USERS:
            self.aid.set_whitelist(u, True, sender="gov")
            self.chain.ledger.mint("USDC", u, 10**7 * USDC)
            self.chain.ledger.mint("USDT", u, 10**7 * USDC)

    @rule(
        who=st.sampled_from(USERS),
        token=st.sampled_from(["USDC", "USDT"]),
        amount=st.integers(1, 10**12),
    )
    def mint(self, who: str, token: str, amount: int) -> None:
        attempt(self.chain, self.aid.mint, token, amount, sender=who)

    @rule(
        who=st.sampled_from([*USERS, "stranger"]),
        token=st.sampled_from(["USDC", "USDT"]),
        amount=st.integers(1, 10**24),
    )
    def redeem(self, who: str, token: str, amount: int) -> None:
        attempt(self.chain, self.aid.redeem, token, amount, sender=who)

    @rule(
        token=st.sampled_from(["USDC", "USDT"]),
        amount=st.integers(1, 10**12),
        days=st.integers(0, 400),
    )
    def buy_bill(self, token: str, amount: int, days: int) -> None:
        attempt(self.chain, self.aid.buy_tbills, token, amount, days * DAY, sender="gov")

    @precondition(lambda self: bool(self.aid.lots))
    @rule(i=st.integers(0, 20), sell=st.booleans())
    def bill_exit(self, i: int, sell: bool) -> None:
        lot = sorted(self.aid.lots)[i % len(self.aid.lots)]
        fn = self.aid.sell_tbills if sell else self.aid.settle
        attempt(self.chain, fn, lot, sender="gov")

    @rule()
    def harvest(self) -> None:
        attempt(self.chain, self.aid.harvest, "fund", sender="gov")

    @rule(frozen=st.integers(0, 1), rate=st.integers(0, 2_000))
    def admin(self, frozen: int, rate: int) -> None:
        attempt(self.chain, self.aid.file, "frozen", frozen, sender="gov")
        attempt(self.chain, self.aid.file, "tbill_rate_bps", rate, sender="gov")

    @rule(seconds=st.integers(0, 120 * DAY))
    def wait(self, seconds: int) -> None:
        self.chain.advance(seconds)

    @invariant()
    def invariants(self) -> None:
        self.chain.check_conservation()
        check_backing(self.aid)
        check_marks(self.aid)


TestAidMachine = AidMachine.TestCase
TestAidMachine.settings = settings(max_examples=40, stateful_step_count=40, deadline=None)


@pytest.fixture
def funded() -> AidMachine:
    m = AidMachine()
    m.mint("alice", "USDC", 1_000 * USDC)
    m.buy_bill("USDC", 500 * USDC, 91)
    return m


def test_canary__reserve_cash_leaks__backing_check_fails(funded: AidMachine) -> None:
    funded.chain.ledger.transfer("USDC", funded.aid.reserve, "thief", 1)  # bypasses the desk
    with pytest.raises(AssertionError, match="above reserve"):
        check_backing(funded.aid)


def test_canary__lot_marked_above_face__marks_check_fails(funded: AidMachine) -> None:
    from dataclasses import replace

    (lot_id,) = funded.aid.lots
    funded.aid.lots[lot_id] = replace(funded.aid.lots[lot_id], sale_price=10**20)
    with pytest.raises(AssertionError, match="above its face"):
        check_marks(funded.aid)


def test_canary__refusal_that_writes__attempt_check_fails(funded: AidMachine) -> None:
    def leaky(*, sender: str) -> None:
        funded.aid.state.redeem_fee_bps = 7  # a write outside any transaction, then a refusal
        raise PeglabError("gaib/test", "refused after writing")

    with pytest.raises(AssertionError, match="changed state"):
        attempt(funded.chain, leaky, sender="x")


def test_harvest__after_bills_mature__only_yield_is_minted(funded: AidMachine) -> None:
    funded.wait(91 * DAY)
    (lot_id,) = funded.aid.lots
    funded.aid.settle(lot_id, sender="gov")
    minted = funded.aid.harvest("fund", sender="gov")
    assert minted == (funded.aid.reserve_value_wad() - 1_000 * WAD)
    assert funded.aid.supply_wad == funded.aid.reserve_value_wad()
