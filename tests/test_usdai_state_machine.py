"""Stateful test of a USD.AI system (the invariants of docs/usdai.md §8): random
deposits, redemptions, servicing, harvests, loans that pay or default, liquidations and auctions;
invariants after every step, each with a canary proving it can fail."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from peglab.errors import PeglabError
from peglab.kernel import Chain
from peglab.math.loan_rates import apr_to_rate
from peglab.protocols.usdai import ARBITRUM_GENESIS, LoanTerms, Tranche, USDaiSystem, build_usdai
from peglab.protocols.usdai.events import LoanLiquidated
from peglab.protocols.vaults import RequestFulfilled
from peglab.units import DAY, WAD

USD = 10**18
U6 = 10**6
USERS = ("alice", "bob", "carol")
user = st.sampled_from(USERS)
ppm = st.integers(1, 10**6)


def check_backing(s: USDaiSystem) -> None:
    """USDai is fully backed: reserve * scale >= supply + bridged, and within its cap."""
    assert s.usdai.backing_gap() >= 0, f"USDai under-backed by {-s.usdai.backing_gap()}"
    assert s.usdai.total_supply() + s.usdai.supply.bridged <= s.usdai.supply.cap


def check_vault_books(s: USDaiSystem) -> None:
    """deposit price >= redemption price; idle >= 0; pending == Σ pending shares; the vault's
    USDai is exactly deposits + repayments + loan admin fee."""
    v = s.staked
    assert v.deposit_price() >= v.redemption_price(), "deposit price below redemption price"
    assert v.st.deposits_balance >= v.totals.reserved_assets, "earmarked more than deposited"
    pending = sum(r.pending for (d, _, _), r in v.requests.items() if d == "redeem")
    assert v.totals.pending_redeem_shares == pending, "pending differs from the sum of requests"
    b = v.positions.book
    cash = s.chain.ledger.balance_of("USDai", v.account)
    assert cash == v.st.deposits_balance + b.repayment + b.admin_fee, "vault cash identity broken"


def check_fifo(s: USDaiSystem) -> None:
    """The head is the oldest request with pending shares; every older one is fully serviced."""
    v = s.staked
    pend = {rid: r.pending for (d, rid, _), r in v.requests.items() if d == "redeem"}
    open_ids = sorted(rid for rid, p in pend.items() if p)
    assert v.st.head == (open_ids[0] if open_ids else 0), "FIFO head is not the oldest pending"
    assert all(pend[rid] == 0 for rid in pend if open_ids and rid < open_ids[0])


def check_serviced_after_maturity(s: USDaiSystem) -> None:
    """A request is serviced only after its redemption time."""
    for e in s.chain.log:
        ev = e.event
        if isinstance(ev, RequestFulfilled) and ev.direction == "redeem":
            assert e.time > s.staked.maturity_of(ev.request_id), (
                f"request {ev.request_id} serviced early"
            )


def check_liquidations(s: USDaiSystem) -> None:
    """No loan is liquidated before its deadline plus grace."""
    for e in s.chain.log:
        if isinstance(e.event, LoanLiquidated):
            loan = e.event.loan
            st_ = s.router.loan(loan)
            assert e.time > st_.deadline + s.router.terms[loan].grace_duration_s, (
                f"{loan} liquidated early"
            )


def check_seniority(owed_principal: list[int], paid: list[int]) -> None:
    """Waterfall seniority: a tranche receives anything only when every more senior tranche got
    at least its whole principal (interest comes after all principal)."""
    owed = owed_principal
    for k in range(1, len(owed)):
        if paid[k]:
            assert all(paid[j] >= owed[j] for j in range(k)), f"tranche {k} paid before a senior"


class USDaiMachine(RuleBasedStateMachine):
    s: USDaiSystem

    @initialize(seed=st.integers(1, 10**6))
    def setup(self, seed: int) -> None:
        chain = Chain(start_time=ARBITRUM_GENESIS + seed)
        self.s = build_usdai(chain)
        for who in (*USERS, "senior", "borrower", "bidder"):
            chain.ledger.mint("wM", who, 10**9 * U6)
            self.s.usdai.deposit("wM", 10**8 * U6, 0, sender=who)
        self.s.staked.deposit(1_000_000 * USD, sender="alice")
        self.loans: list[str] = []
        self.n = 0

    def _try(self, fn: object, *a: object, **kw: object) -> tuple[bool, object]:
        """Run an action that may be refused: (succeeded, result)."""
        try:
            return True, fn(*a, **kw)  # type: ignore[operator]
        except PeglabError:
            return False, None

    @rule(u=user, f=ppm)
    def stake(self, u: str, f: int) -> None:
        self._try(self.s.staked.deposit, 1 + 10**6 * USD * f // 10**6, sender=u)

    @rule(u=user, f=ppm)
    def request(self, u: str, f: int) -> None:
        v = self.s.staked
        self._try(v.request_redeem, max(USD, v.balance_of(u) * f // 10**6), u, u, sender=u)

    @rule(f=ppm)
    def service(self, f: int) -> None:
        v = self.s.staked
        shares = max(1, v.totals.pending_redeem_shares * f // 10**6)
        price = v.redemption_price()
        ok, paid = self._try(v.service_redemptions, shares, sender="gov")
        if ok:  # filled at the redemption price of the moment (floors per request)
            assert (
                isinstance(paid, int)
                and shares * price // WAD - len(v.requests) <= paid <= shares * price // WAD
            )

    @rule(u=user, f=ppm, by_shares=st.booleans())
    def claim(self, u: str, f: int, by_shares: bool) -> None:
        v = self.s.staked
        if by_shares:
            self._try(v.redeem, max(1, v.max_redeem(u) * f // 10**6), sender=u)
        else:
            self._try(v.withdraw, max(1, v.max_withdraw(u) * f // 10**6), sender=u)

    @rule(days=st.integers(1, 40))
    def time_passes(self, days: int) -> None:
        self.s.chain.advance(days * DAY)

    @rule()
    def harvest(self) -> None:
        s = self.s
        s.base.claim_yield(s.usdai.reserve, sender="keeper")
        held = s.chain.ledger.balance_of("wM", s.staked.account)
        if held:
            s.staked.deposit_base_yield(held * s.usdai.scale, sender="gov")

    @rule(f=st.integers(1, 300), senior=st.booleans(), apr=st.integers(5, 30))
    def originate(self, f: int, senior: bool, apr: int) -> None:
        s = self.s
        self.n += 1
        gpu = f"GPU{self.n}"
        s.chain.ledger.create_token(gpu, 0)
        s.chain.ledger.mint(gpu, "borrower", 1)
        amount = f * 1_000 * USD
        tranches = (
            (Tranche("senior", amount // 4, apr_to_rate(WAD * apr // 200)),) if senior else ()
        )
        tranches += (Tranche(s.staked.account, amount, apr_to_rate(WAD * apr // 100)),)
        t = LoanTerms(borrower="borrower", currency="USDai", collateral=gpu, expiration=s.chain.now + DAY,
                      duration_s=6 * 30 * DAY, interval_s=30 * DAY, model="amortised", tranches=tranches,
                      grace_rate=apr_to_rate(WAD // 20), grace_duration_s=5 * DAY)  # fmt: skip
        ok, _ = self._try(
            s.staked.positions.deposit_loan_timelock,
            t.loan_id(),
            amount,
            t.expiration,
            sender="gov",
        )
        if not ok:
            return
        if senior:
            s.router.approve_terms(t, sender="senior")
        s.router.borrow(t, sender="borrower")
        self.loans.append(t.loan_id())

    @rule(k=st.integers(0, 50))
    def repay(self, k: int) -> None:
        if self.loans:
            loan = self.loans[k % len(self.loans)]
            p, i, fee = self.s.router.quote(loan)
            if p + i + fee:
                self._try(self.s.router.repay, loan, p + i + fee, sender="borrower")

    @rule(k=st.integers(0, 50), sell=st.booleans(), f=st.integers(1, 150))
    def liquidate(self, k: int, sell: bool, f: int) -> None:
        if self.loans:
            loan = self.loans[k % len(self.loans)]
            ok, _ = self._try(self.s.router.liquidate, loan, sender="keeper")
            if ok and sell:
                self._sell(loan, f)

    def _lots(self) -> list[str]:
        lots = self.s.auction.lots
        return [
            loan for loan in self.loans if loan in lots and lots[loan].status in ("window", "open")
        ]

    @precondition(lambda self: bool(self._lots()))
    @rule(k=st.integers(0, 50), f=st.integers(1, 150))
    def auction(self, k: int, f: int) -> None:
        lots = self._lots()
        self._sell(lots[k % len(lots)], f)

    def _sell(self, loan: str, f: int) -> None:
        """Bid ``f``% of the principal after the window, settle, check the waterfall's seniority."""
        s = self.s
        lot = s.auction.lot(loan)
        if s.chain.now < lot.window_end:
            s.chain.warp(lot.window_end)
        claim = s.router.claim(loan)
        amount = s.router.terms[loan].principal * f // 100
        ok, _ = self._try(
            s.auction.bid, loan, max(amount, s.auction.min_bid(loan)), sender="bidder"
        )
        if not ok:
            return
        s.chain.warp(s.auction.lot(loan).end)
        n = len(claim.tranche_principals)
        owners = [s.router.owner_of(loan, i) for i in range(n)]
        if len(set(owners)) < n:
            s.auction.settle(loan, sender="keeper")
            return
        before = [s.chain.ledger.balance_of("USDai", o) for o in owners]
        s.auction.settle(loan, sender="keeper")
        after = [s.chain.ledger.balance_of("USDai", o) for o in owners]
        check_seniority(list(claim.tranche_principals), [a - b for a, b in zip(after, before)])

    @rule()
    def move_repayments(self) -> None:
        r = self.s.staked.positions.book.repayment
        if r:
            self.s.staked.positions.deposit_loan_repayment(r, sender="gov")

    @invariant()
    def invariants(self) -> None:
        s = self.s
        check_backing(s)
        check_vault_books(s)
        check_fifo(s)
        check_serviced_after_maturity(s)
        check_liquidations(s)
        s.chain.check_conservation()


TestUSDaiMachine = USDaiMachine.TestCase
TestUSDaiMachine.settings = settings(
    max_examples=100, stateful_step_count=40, deadline=None, suppress_health_check=list(HealthCheck)
)


# -- canaries -----------------------------------------------------------------------------------


def small() -> USDaiSystem:
    chain = Chain(start_time=ARBITRUM_GENESIS + 10)
    s = build_usdai(chain)
    chain.ledger.mint("wM", "alice", 10**7 * U6)
    s.usdai.deposit("wM", 10**7 * U6, 0, sender="alice")
    s.staked.deposit(10**6 * USD, sender="alice")
    return s


def test_canary__service_before_window__maturity_check_fails() -> None:
    s = small()
    v = s.staked
    rid = v.request_redeem(10 * USD, "alice", "alice", sender="alice")
    with s.chain.transaction("gov"):  # a buggy servicer that skips the maturity check
        v.settle_redeem(rid, "alice", 10 * USD, 10 * USD)
    with pytest.raises(AssertionError, match="serviced early"):
        check_serviced_after_maturity(s)


def test_canary__unbacked_mint__backing_check_fails() -> None:
    s = small()
    s.chain.ledger.mint("USDai", "eve", 1)
    with pytest.raises(AssertionError, match="under-backed"):
        check_backing(s)


def test_canary__negative_accrual__price_order_check_fails() -> None:
    s = small()
    s.staked.positions.book.accrued = -(10**6) * USD * WAD
    with pytest.raises(AssertionError, match="deposit price below"):
        check_vault_books(s)


def test_canary__pending_drift__books_check_fails() -> None:
    s = small()
    s.staked.request_redeem(10 * USD, "alice", "alice", sender="alice")
    s.staked.totals.pending_redeem_shares += 1
    with pytest.raises(AssertionError, match="pending differs"):
        check_vault_books(s)


def test_canary__head_skips_a_request__fifo_check_fails() -> None:
    s = small()
    s.staked.request_redeem(10 * USD, "alice", "alice", sender="alice")
    s.staked.request_redeem(10 * USD, "alice", "alice", sender="alice")
    s.staked.st.head = 2
    with pytest.raises(AssertionError, match="FIFO"):
        check_fifo(s)


def test_canary__early_liquidation__check_fails() -> None:
    s = small()
    s.chain.ledger.create_token("G", 0)
    s.chain.ledger.mint("G", "b", 1)
    t = LoanTerms(borrower="b", currency="USDai", collateral="G", expiration=s.chain.now + DAY, duration_s=60 * DAY,
                  interval_s=30 * DAY, model="simple", tranches=(Tranche(s.staked.account, 10 * USD, 10**9),))  # fmt: skip
    s.staked.positions.deposit_loan_timelock(t.loan_id(), 10 * USD, t.expiration, sender="gov")
    loan = s.router.borrow(t, sender="b")
    s.chain.advance(31 * DAY)
    s.router.liquidate(loan, sender="keeper")
    s.router.loan(loan).deadline += 10 * DAY  # as if it had been liquidated before its deadline
    with pytest.raises(AssertionError, match="liquidated early"):
        check_liquidations(s)


def test_canary__junior_paid_first__seniority_check_fails() -> None:
    with pytest.raises(AssertionError, match="paid before a senior"):
        check_seniority([100, 100], [50, 10])
