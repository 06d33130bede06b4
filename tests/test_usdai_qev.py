"""QEV, the optional priority auction over sUSDai's redemption queue (docs/usdai.md §4.7): a
worked epoch, refusals, coexistence with FIFO servicing, and a state machine with canaries."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from peglab.errors import InvalidInput, LimitExceeded, NotAuthorized, PeglabError
from peglab.kernel import Chain
from peglab.protocols.usdai import ARBITRUM_GENESIS, MAX_BID_BPS, QevAuction, build_usdai
from peglab.protocols.usdai.events import QevSettled
from peglab.testing import assert_refused, boundary_code
from peglab.units import BPS, DAY

USD = 10**18
U6 = 10**6
G = ARBITRUM_GENESIS
USERS = ("alice", "bob", "carol")


def make(qev_cls: type[QevAuction] = QevAuction) -> Any:
    chain = Chain(start_time=G + 10)
    s = build_usdai(chain, tbill_apr_wad=0)
    s.qev = qev_cls(chain, s.staked)
    for who in (*USERS, "dave"):
        chain.ledger.mint("wM", who, 10**9 * U6)
        s.usdai.deposit("wM", 10**8 * U6, 0, sender=who)
    return s


def escrow(s: Any, amount: int, name: str) -> None:
    """Lend ``amount`` of idle USDai out (escrowed for a signed loan: still in the NAV)."""
    s.staked.positions.deposit_loan_timelock(name, amount, s.chain.now + DAY, sender="gov")


def release(s: Any, name: str) -> None:
    """The loan was not drawn: after its expiration the escrow comes back to the idle balance."""
    s.staked.positions.cancel_loan_timelock(name, sender="gov")


def up(x: int, bps: int) -> int:
    return -(-x * bps // BPS)


def test_settle_epoch__bids_rank_then_fifo__uniform_clearing_fees_to_stayers() -> None:
    s = make()
    v, q = s.staked, s.qev
    for who in USERS:
        v.deposit(1_000 * USD, sender=who)
    v.deposit(10_000 * USD, sender="dave")
    ids = {who: v.request_redeem(400 * USD, who, who, sender=who) for who in USERS}
    q.bid(ids["bob"], 50, sender="bob")
    q.bid(ids["carol"], 20, sender="carol")
    # lend out all but 600 USDai of the idle balance: liquidity for bob and half of carol
    escrow(s, v.idle_balance() - 600 * USD, "loan-1")
    s.chain.warp(v.maturity_of(ids["alice"]) + 1)
    assert q.ranking() == [ids["bob"], ids["carol"], ids["alice"]]
    price_before = v.redemption_price()
    paid = q.settle_epoch(sender="gov")
    bob, carol = q.fills[(q.epoch(), ids["bob"])], q.fills[(q.epoch(), ids["carol"])]
    assert bob.shares == 400 * USD and 0 < carol.shares < 400 * USD
    assert bob.clearing_bps == carol.clearing_bps == 20  # the lowest winning bid, for both
    assert bob.fee == up(bob.gross, 20) and carol.fee == up(carol.gross, 20)
    assert paid == bob.gross + carol.gross - bob.fee - carol.fee
    assert (q.epoch(), ids["alice"]) not in q.fills and q.pending_of(ids["alice"]) == 400 * USD
    assert v.redemption_price() >= price_before  # the fees stay with the holders who stay
    assert v.max_redeem("bob") == 400 * USD
    assert_refused(s.chain, LimitExceeded, "usdai/qev-settled", q.settle_epoch, sender="gov")
    # the next epoch: alice (no bid) and the rest of carol roll and fill, carol first (her bid)
    s.chain.warp(s.chain.now + 30 * DAY)
    release(s, "loan-1")
    assert q.ranking() == [ids["carol"], ids["alice"]]
    q.settle_epoch(sender="gov")
    assert q.pending_of(ids["alice"]) == q.pending_of(ids["carol"]) == 0
    last = s.chain.log[-1].event
    assert isinstance(last, QevSettled) and last.clearing_bps == 0 and last.fees == 0


def test_service_redemptions__after_qev_filled_the_head__fifo_skips_it() -> None:
    s = make()
    v, q = s.staked, s.qev
    v.deposit(1_000 * USD, sender="alice")
    v.deposit(1_000 * USD, sender="bob")
    a = v.request_redeem(100 * USD, "alice", "alice", sender="alice")  # the FIFO head
    b = v.request_redeem(100 * USD, "bob", "bob", sender="bob")
    q.bid(a, 10, sender="alice")
    escrow(s, v.idle_balance() - 150 * USD, "loan-1")  # liquidity for one request and a half
    s.chain.warp(v.maturity_of(a) + 1)
    q.settle_epoch(sender="gov")
    assert q.pending_of(a) == 0 and 0 < q.pending_of(b) < 100 * USD  # a whole, b in part
    release(s, "loan-1")
    v.service_redemptions(q.pending_of(b), sender="gov")  # from the head a: skipped
    assert q.pending_of(b) == 0 and v.st.head == 0


def test_bid_and_settle__bad_input__refused_state_unchanged() -> None:
    s = make()
    v, q = s.staked, s.qev
    v.deposit(1_000 * USD, sender="alice")
    rid = v.request_redeem(100 * USD, "alice", "alice", sender="alice")
    assert_refused(
        s.chain, InvalidInput, "usdai/unknown-request", q.bid, rid + 1, 5, sender="alice"
    )
    assert_refused(s.chain, NotAuthorized, "usdai/not-controller", q.bid, rid, 5, sender="bob")
    assert_refused(s.chain, InvalidInput, "usdai/bad-bid", q.bid, rid, MAX_BID_BPS + 1,
                   sender="alice")  # fmt: skip
    code = boundary_code(-1, "usdai/bad-bid")
    assert_refused(s.chain, InvalidInput, code, q.bid, rid, -1, sender="alice")
    assert_refused(s.chain, NotAuthorized, "usdai/not-strategy-admin", q.settle_epoch,
                   sender="alice")  # fmt: skip


def settle_recorded(s: Any) -> dict[str, Any] | None:
    """Settle the epoch; what the checks need: each ranked request's key before, the fills, the
    stayers' price before and after (None when the settlement was refused)."""
    q, v = s.qev, s.staked
    keys = {r: (-q.bids.get(r, 0), r) for r in q.ranking()}
    before, epoch = v.redemption_price(), q.epoch()
    try:
        q.settle_epoch(sender="gov")
    except PeglabError:
        return None
    fills = {r: f for (e, r), f in q.fills.items() if e == epoch}
    left = {r for r in keys if q.pending_of(r)}
    return {"keys": keys, "fills": fills, "left": left, "before": before,
            "after": v.redemption_price()}  # fmt: skip


def check_priority(rec: dict[str, Any]) -> None:
    """No request left (wholly or partly) unfilled outranks another that got a fill (bid, then
    FIFO)."""
    keys = rec["keys"]
    for r in rec["left"]:
        for f in rec["fills"]:
            assert f == r or keys[f] < keys[r], "priority broken"


def check_uniform(rec: dict[str, Any]) -> None:
    """Every fill pays the lowest winning bid, rounded up."""
    fills = rec["fills"].values()
    if fills:
        clearing = min(f.bid_bps for f in fills)
        for f in fills:
            assert f.clearing_bps == clearing and f.fee == up(f.gross, clearing), "not uniform"


def check_stayers(rec: dict[str, Any]) -> None:
    assert rec["after"] >= rec["before"], "the stayers' price fell"


class QevMachine(RuleBasedStateMachine):
    """Random stakes, requests, bids, time, liquidity moves, QEV settlements and FIFO servicing;
    the invariants of qev.py after every step."""

    qev_cls: type[QevAuction] = QevAuction

    @initialize()
    def setup(self) -> None:
        self.s = make(self.qev_cls)
        for who in USERS:
            self.s.staked.deposit(10_000 * USD, sender=who)
        self.n = 0
        self.last: dict[str, Any] | None = None

    @rule(who=st.sampled_from(USERS), ppm=st.integers(1, 300_000))
    def request(self, who: str, ppm: int) -> None:
        v = self.s.staked
        shares = v.balance_of(who) * ppm // 10**6
        try:
            v.request_redeem(shares, who, who, sender=who)
        except PeglabError:
            pass

    @rule(k=st.integers(0, 40), bps=st.integers(0, MAX_BID_BPS))
    def bid(self, k: int, bps: int) -> None:
        ids = list(self.s.staked.maturity)
        if ids:
            rid = ids[k % len(ids)]
            try:
                self.s.qev.bid(rid, bps, sender=self.s.staked.maturity[rid][0])
            except PeglabError:
                pass

    @rule(days=st.integers(1, 40))
    def advance(self, days: int) -> None:
        self.s.chain.advance(days * DAY)

    @rule(ppm=st.integers(1, 10**6))
    def lend(self, ppm: int) -> None:
        """Idle liquidity leaves for a loan escrow (so settlements fill partly) ..."""
        amount = self.s.staked.idle_balance() * ppm // 10**6
        if amount:
            self.n += 1
            escrow(self.s, amount, f"loan-{self.n}")

    @rule()
    def unlend(self) -> None:
        """... and comes back once the escrow expires undrawn."""
        for name in list(self.s.staked.positions.escrows):
            try:
                release(self.s, name)
            except PeglabError:
                pass

    @rule()
    def settle(self) -> None:
        rec = settle_recorded(self.s)
        if rec is not None:
            self.last = rec

    @rule(shares=st.integers(1, 10**4))
    def fifo(self, shares: int) -> None:
        try:
            self.s.staked.service_redemptions(shares * USD, sender="gov")
        except PeglabError:
            pass

    @rule(who=st.sampled_from(USERS))
    def claim(self, who: str) -> None:
        v = self.s.staked
        if v.max_redeem(who):
            v.redeem(v.max_redeem(who), sender=who)

    @invariant()
    def one_settlement_per_epoch(self) -> None:
        epochs = [e.event.epoch for e in self.s.chain.log if isinstance(e.event, QevSettled)]
        assert epochs == sorted(set(epochs)), "an epoch was settled twice"

    @invariant()
    def settlement_rules(self) -> None:
        if self.last is not None:
            check_priority(self.last)
            check_uniform(self.last)
            check_stayers(self.last)

    @invariant()
    def books(self) -> None:
        v = self.s.staked
        pending = sum(r.pending for (d, _, _), r in v.requests.items() if d == "redeem")
        assert v.totals.pending_redeem_shares == pending
        assert v.st.deposits_balance >= v.totals.reserved_assets
        self.s.chain.check_conservation()


SETTINGS = settings(max_examples=25, stateful_step_count=30, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
TestQevMachine = QevMachine.TestCase
TestQevMachine.settings = SETTINGS


class FifoOnlyQev(QevAuction):
    """Canary: ranks by request id alone, ignoring bids."""

    def ranking(self) -> list[int]:
        return sorted(super().ranking())


def contested(qev_cls: type[QevAuction] = QevAuction) -> dict[str, Any]:
    """Alice (no bid) asks first, Bob bids 50 bps; liquidity for one request only."""
    s = make(qev_cls)
    v = s.staked
    for who in ("alice", "bob", "dave"):
        v.deposit(1_000 * USD, sender=who)
    a = v.request_redeem(400 * USD, "alice", "alice", sender="alice")
    b = v.request_redeem(400 * USD, "bob", "bob", sender="bob")
    s.qev.bid(b, 50, sender="bob")
    escrow(s, v.idle_balance() - 500 * USD, "loan-1")
    s.chain.warp(v.maturity_of(a) + 1)
    rec = settle_recorded(s)
    assert rec is not None
    return rec


def test_checks__honest_settlement__pass() -> None:
    rec = contested()
    check_priority(rec), check_uniform(rec), check_stayers(rec)
    assert len(rec["fills"]) == 2  # bob whole, alice in part


def test_canary__bids_ignored__priority_check_fails() -> None:
    with pytest.raises(AssertionError, match="priority broken"):
        check_priority(contested(FifoOnlyQev))


def test_canary__fee_tampered__uniform_check_fails() -> None:
    rec = contested()
    next(iter(rec["fills"].values())).fee += 1
    with pytest.raises(AssertionError, match="not uniform"):
        check_uniform(rec)


def test_canary__price_fell__stayers_check_fails() -> None:
    rec = contested()
    rec["after"] = rec["before"] - 1
    with pytest.raises(AssertionError, match="stayers"):
        check_stayers(rec)
