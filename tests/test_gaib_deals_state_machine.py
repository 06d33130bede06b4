"""Stateful test of the deal book: random originations, months, defaults, re-hosts, marks and sales.

After every step: conservation; each portfolio account holds exactly its deal's reserve
(segregation of cash); the book's totals equal the sums over deals; arrears only exist once the
deal's reserve is spent and a sale touches the collateral only after the whole reserve (reserve
before OC); a step on one deal leaves every other deal's record unchanged (segregation of
losses). Each check has a canary below proving it can fail.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from peglab.errors import PeglabError
from peglab.kernel import Chain
from peglab.protocols.gaib import DealBook, DealTerms
from peglab.protocols.gaib.events import CollateralSold
from peglab.units import WAD, wad


def check_segregation_cash(chain: Chain, book: DealBook) -> None:
    """Each segregated portfolio holds exactly its own deal's reserve."""
    for did, d in book.deals.items():
        held = chain.ledger.balance_of(book.asset, book.portfolio(did))
        assert held == d.reserve_wad, (
            f"portfolio {did} holds {held}, its reserve is {d.reserve_wad}"
        )


def check_totals(book: DealBook) -> None:
    """The NAV aggregates equal the sums over deals."""
    p = sum(d.principal_wad for d in book.deals.values())
    w = sum(d.writedown_wad for d in book.deals.values())
    loss = sum(d.loss_wad for d in book.deals.values())
    t = book.totals
    assert (t.principal_wad, t.writedown_wad, t.losses_wad) == (p, w, loss), "totals drifted"


def check_reserve_first(book: DealBook) -> None:
    """Arrears (a loss in the making) only once the reserve is spent."""
    for did, d in book.deals.items():
        assert d.arrears_wad == 0 or d.reserve_wad == 0, f"deal {did} in arrears with reserve left"


def check_sale_order(ev: CollateralSold, reserve_before: int) -> None:
    """A sale uses the collateral only after the whole reserve (reserve before OC)."""
    assert ev.from_collateral_wad == 0 or ev.from_reserve_wad == reserve_before, "OC before reserve"


def check_others_untouched(before: dict[int, dict[str, Any]], book: DealBook, touched: int) -> None:
    """A step on one deal leaves every other deal unchanged."""
    for did, rec in before.items():
        if did != touched:
            assert book.deals[did].as_dict() == rec, f"deal {did} changed by a step on {touched}"


class DealMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.chain = Chain(keep_log=True)
        self.chain.ledger.create_token("AID", 18)
        self.chain.ledger.mint("AID", "fund", wad(1_000_000))
        self.book = DealBook(self.chain, "AID", "fund")

    def _snapshot(self) -> dict[int, dict[str, Any]]:
        return {k: d.as_dict() for k, d in self.book.deals.items()}

    def _pick(self, i: int) -> int:
        ids = sorted(self.book.deals)
        return ids[i % len(ids)]

    @rule(
        kind=st.sampled_from(["debt", "equity", "hybrid"]),
        principal=st.integers(1, 50_000),
        term=st.integers(1, 36),
        amortising=st.booleans(),
    )
    def originate(self, kind: str, principal: int, term: int, amortising: bool) -> None:
        n = self.book.totals.next_id
        terms = DealTerms(
            kind,
            f"b{n}",
            principal * WAD,
            term,
            coupon_bps=0 if kind == "equity" else 1500,
            share_bps=0 if kind == "debt" else 5000,
            amortising=amortising,
        )
        before = self._snapshot()
        did = self.book.originate(terms, sender="gov")
        check_others_untouched(before, self.book, did)
        bal = self.chain.ledger.balance_of("AID", f"b{n}")
        self.chain.transfer("AID", "vendor", bal, sender=f"b{n}")

    @precondition(lambda self: self.book.deals)
    @rule(
        i=st.integers(0, 99),
        revenue=st.integers(0, 5_000),
        opex=st.integers(0, 2_000),
        cash=st.integers(0, 3_000),
    )
    def month(self, i: int, revenue: int, opex: int, cash: int) -> None:
        did = self._pick(i)
        d = self.book.deals[did]
        if self.chain.now < d.next_due:
            self.chain.warp(d.next_due)
        if cash:
            self.chain.ledger.mint("AID", d.borrower, cash * WAD)
        before = self._snapshot()
        try:
            self.book.settle_month(did, revenue * WAD, opex * WAD, sender="gov")
        except PeglabError:
            return
        check_others_untouched(before, self.book, did)

    @precondition(lambda self: self.book.deals)
    @rule(i=st.integers(0, 99), months=st.integers(1, 4))
    def starve(self, i: int, months: int) -> None:
        """The borrower earns nothing for a few months (drives deals into default)."""
        for _ in range(months):
            self.month(i, 0, 100, 0)

    @precondition(lambda self: self.book.deals)
    @rule(
        i=st.integers(0, 99),
        pct=st.integers(0, 150),
        action=st.sampled_from(["mark", "rehost", "sell", "sell"]),
    )
    def workout(self, i: int, pct: int, action: str) -> None:
        did = self._pick(i)
        d = self.book.deals[did]
        if d.status not in ("default", "recovery"):
            return
        event(f"workout: {action}")
        before = self._snapshot()
        value = d.collateral_wad * pct // 100
        if action == "mark":
            self.book.mark_recovery(did, value, sender="gov")
        elif action == "rehost" and d.status == "default":
            self.book.rehost(did, f"re{did}", sender="gov")
        elif action == "sell":
            self.chain.ledger.mint("AID", "buyer", value)
            reserve_before = d.reserve_wad
            self.book.sell_collateral(did, value, "buyer", sender="gov")
            ev = self.chain.log[-1].event
            assert isinstance(ev, CollateralSold)
            check_sale_order(ev, reserve_before)
        check_others_untouched(before, self.book, did)

    @invariant()
    def invariants(self) -> None:
        self.chain.check_conservation()
        check_segregation_cash(self.chain, self.book)
        check_totals(self.book)
        check_reserve_first(self.book)


TestDealMachine = DealMachine.TestCase
TestDealMachine.settings = settings(max_examples=40, stateful_step_count=40, deadline=None)


@pytest.fixture
def defaulted() -> tuple[Chain, DealBook, int, int]:
    m = DealMachine()
    m.originate("debt", 1_000, 12, True)
    m.originate("debt", 1_000, 12, True)
    for _ in range(4):
        m.month(0, 0, 0, 0)
    return m.chain, m.book, 1, 2


def test_canary__reserve_moved_between_portfolios__segregation_fails(defaulted: Any) -> None:
    chain, book, _, b = defaulted
    chain.ledger.transfer("AID", book.portfolio(b), book.portfolio(1), WAD)
    with pytest.raises(AssertionError, match="portfolio"):
        check_segregation_cash(chain, book)


def test_canary__loss_spread_to_another_deal__untouched_check_fails(defaulted: Any) -> None:
    _, book, a, b = defaulted
    before = {k: d.as_dict() for k, d in book.deals.items()}
    book.deals[b].writedown_wad += 1
    with pytest.raises(AssertionError, match="changed by a step"):
        check_others_untouched(before, book, a)


def test_canary__arrears_with_reserve__reserve_first_fails(defaulted: Any) -> None:
    _, book, a, _ = defaulted
    book.deals[a].reserve_wad = 1
    with pytest.raises(AssertionError, match="reserve left"):
        check_reserve_first(book)


def test_canary__collateral_before_reserve__sale_order_fails() -> None:
    ev = CollateralSold(1, wad(10), wad(1), 0, wad(5), 0, 0)
    with pytest.raises(AssertionError, match="OC before reserve"):
        check_sale_order(ev, wad(3))


def test_canary__totals_not_updated__totals_check_fails(defaulted: Any) -> None:
    _, book, _, _ = defaulted
    book.totals.principal_wad += 1
    with pytest.raises(AssertionError, match="totals"):
        check_totals(book)
