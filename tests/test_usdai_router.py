"""The loan router: terms, origination, scheduled and late repayment, prepayment, payoff,
liquidation, the redemption window, the English auction, the waterfall, insurance, positions."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from peglab.errors import InvalidInput, LimitExceeded, NotAuthorized
from peglab.kernel import Chain
from peglab.math.loan_rates import apr_to_rate, repayment, waterfall
from peglab.protocols.usdai import ARBITRUM_GENESIS, LoanTerms, Tranche, USDaiSystem, build_usdai
from peglab.testing import assert_refused, boundary_code
from peglab.units import DAY, WAD

U6 = 10**6
SC = 10**12
M = 30 * DAY
R10, R14, R20 = apr_to_rate(WAD // 10), apr_to_rate(14 * WAD // 100), apr_to_rate(WAD // 5)


def make(insurer: str = "") -> USDaiSystem:
    chain = Chain(start_time=ARBITRUM_GENESIS)
    s = build_usdai(chain, tbill_apr_wad=0, insurer=insurer)
    chain.ledger.create_token("USDC", 6)
    for who in ("L0", "L1", "L2", "borrower", "bidder", "bidder2", "insurer"):
        chain.ledger.mint("USDC", who, 10**9 * U6)
    chain.ledger.create_token("GPU", 0)
    chain.ledger.mint("GPU", "borrower", 1)
    return s


def terms(s: USDaiSystem, **kw: Any) -> LoanTerms:
    base = dict(
        borrower="borrower", currency="USDC", collateral="GPU", expiration=s.chain.now + DAY,
        duration_s=12 * M, interval_s=M, model="amortised",
        tranches=(Tranche("L0", 420_000 * U6, R10), Tranche("L1", 210_000 * U6, R14), Tranche("L2", 70_000 * U6, R20)),
        grace_rate=apr_to_rate(WAD // 20), grace_duration_s=10 * DAY, origination_fee=7_000 * U6, exit_fee=1_000 * U6,
    )  # fmt: skip
    base.update(kw)
    return LoanTerms(**base)  # type: ignore[arg-type]


def originate(s: USDaiSystem, t: LoanTerms) -> str:
    for tr in t.tranches:
        s.router.approve_terms(t, sender=tr.lender)
    return s.router.borrow(t, sender="borrower")


def bal(s: USDaiSystem, who: str, token: str = "USDC") -> int:
    return s.chain.ledger.balance_of(token, who)


def test_validate__each_rule__refused() -> None:
    s = make()
    r = s.router
    bad = [
        dict(expiration=s.chain.now - 1), dict(duration_s=0), dict(interval_s=0), dict(interval_s=13 * M),
        dict(interval_s=7 * DAY), dict(grace_duration_s=M + 1), dict(model="balloon"), dict(tranches=()),
        dict(tranches=(Tranche("L0", 0, R10),)), dict(tranches=(Tranche("L0", 1, 0),)), dict(tranches=(Tranche("", 1, 1),)),
        dict(tranches=tuple(Tranche(f"L{i}", U6, R10) for i in range(33))), dict(origination_fee=10**12 * U6),
        dict(exit_fee=-1), dict(borrower=""),
    ]  # fmt: skip
    for kw in bad:
        assert_refused(
            s.chain, InvalidInput, "usdai/bad-terms", r.approve_terms, terms(s, **kw), sender="L0"
        )
    assert_refused(  # a float field: the action boundary checks dataclass fields (kernel/validate.py)
        s.chain,
        InvalidInput,
        "input/bad-type",
        r.approve_terms,
        terms(s, grace_rate=1.5),
        sender="L0",
    )
    ok = terms(s, tranches=tuple(Tranche("L0", U6, R10 + i) for i in range(32)), origination_fee=0)
    assert r.approve_terms(ok, sender="L0") == ok.loan_id()
    assert_refused(
        s.chain, InvalidInput, "input/bad-type", r.borrow, "not terms", sender="borrower"
    )


def test_borrow__consent_fees_positions_and_collateral() -> None:
    s = make()
    t = terms(s)
    s.router.approve_terms(t, sender="L0")
    s.router.approve_terms(t, sender="L1")
    assert_refused(
        s.chain, NotAuthorized, "usdai/not-approved", s.router.borrow, t, sender="borrower"
    )
    s.router.approve_terms(t, sender="L2")
    assert_refused(s.chain, NotAuthorized, "usdai/not-borrower", s.router.borrow, t, sender="L0")
    assert_refused(
        s.chain, NotAuthorized, "usdai/not-lender", s.router.approve_terms, t, sender="bidder"
    )
    before = bal(s, "borrower")
    loan = s.router.borrow(t, sender="borrower")
    assert bal(s, "borrower") == before + 700_000 * U6 - 7_000 * U6
    assert bal(s, "usdai:fees") == 7_000 * U6
    assert bal(s, s.router.account, "GPU") == 1 and bal(s, "borrower", "GPU") == 0
    assert [s.router.owner_of(loan, i) for i in range(3)] == ["L0", "L1", "L2"]
    st = s.router.loan(loan)
    assert (st.status, st.balance, st.deadline, st.maturity) == (
        "active",
        700_000 * U6 * SC,
        s.chain.now + M,
        s.chain.now + 12 * M,
    )
    assert_refused(
        s.chain, InvalidInput, "usdai/loan-exists", s.router.borrow, t, sender="borrower"
    )


def test_repay__monthly_schedule__matches_rate_model_and_ends_repaid() -> None:
    s = make()
    t = terms(s)
    loan = originate(s, t)
    assert_refused(
        s.chain, LimitExceeded, "usdai/same-block", s.router.repay, loan, U6, sender="borrower"
    )
    amounts = [x.amount * SC for x in t.tranches]
    rates = [x.rate for x in t.tranches]
    lenders0 = [bal(s, f"L{i}") for i in range(3)]
    paid_by_lender = [0, 0, 0]
    for k in range(12):
        s.chain.warp(s.router.loan(loan).deadline)
        st = s.router.loan(loan)
        want = repayment(
            "amortised",
            amounts,
            rates,
            M,
            t.grace_rate,
            t.grace_duration_s,
            st.balance,
            st.deadline,
            st.maturity,
            s.chain.now,
        )
        p, i, fee = s.router.quote(loan)
        assert (p, i) == (-(-want.principal // SC), -(-want.interest // SC))
        assert_refused(
            s.chain,
            LimitExceeded,
            "usdai/payment-short",
            s.router.repay,
            loan,
            -(-(want.principal + want.interest) // SC) - 1,
            sender="borrower",
        )
        balance_before = st.balance
        pay = -(-(want.principal + want.interest) // SC)  # the total rounded up once
        taken = s.router.repay(loan, pay + fee, sender="borrower")
        assert taken == pay + fee and fee == (1_000 * U6 if k == 11 else 0)
        prepay = min(balance_before - want.principal, pay * SC - want.principal - want.interest)
        left = prepay
        for j in range(3):  # sub-unit dust of the rounding is a prepayment, split by amount
            share = left if j == 2 else prepay * amounts[j] // sum(amounts)
            left -= share
            paid_by_lender[j] += (
                want.tranche_principals[j] + share
            ) // SC + want.tranche_interests[j] // SC
    assert [bal(s, f"L{j}") - lenders0[j] for j in range(3)] == paid_by_lender
    st = s.router.loan(loan)
    assert (st.status, st.balance) == ("repaid", 0)
    assert bal(s, "borrower", "GPU") == 1 and bal(s, "usdai:fees") == 8_000 * U6


def test_projected_schedule__paid_on_time__matches_quotes_and_repays_the_balance() -> None:
    s = make()
    loan = originate(s, terms(s))
    plan = s.router.projected_schedule(loan)
    assert len(plan) == 12 and plan[0][0] == s.router.loan(loan).deadline
    balance = s.router.loan(loan).balance
    assert balance <= sum(p for _, p, _ in plan) * SC <= balance + 12 * SC  # up per payment
    for due, p, i in plan[:3]:  # the projection is what the router asks when the day comes,
        s.chain.warp(due - 1)  # but for the dust the rounded-up payments prepay (1 unit each)
        quoted = s.router.quote(loan)
        assert abs(quoted[0] - p) <= 1 and abs(quoted[1] - i) <= 1
        s.router.repay(loan, sum(quoted), sender="borrower")
    rest = s.router.projected_schedule(loan)
    assert [d for d, _, _ in rest] == [d for d, _, _ in plan[3:]]


def test_repay__early_is_prepayment__late_pays_due_intervals_and_grace() -> None:
    s = make()
    t = terms(s, model="simple")
    loan = originate(s, t)
    s.chain.advance(DAY)
    p0, i0, _ = s.router.quote(loan)  # the first window opens at origination
    s.router.repay(loan, p0 + i0, sender="borrower")
    st = s.router.loan(loan)
    b0 = st.balance
    assert st.deadline == ARBITRUM_GENESIS + 2 * M  # paid ahead: now < deadline - interval
    s.router.repay(loan, 70_000 * U6, sender="borrower")  # so this is a pure prepayment
    assert st.balance == b0 - 70_000 * U6 * SC and st.deadline == ARBITRUM_GENESIS + 2 * M
    s.chain.warp(st.deadline + M + 5 * DAY)  # two intervals due, 5 days of grace
    p, i, _ = s.router.quote(loan)
    due = repayment("simple", [x.amount * SC for x in t.tranches], [x.rate for x in t.tranches], M, t.grace_rate,
                    t.grace_duration_s, st.balance, st.deadline, st.maturity, s.chain.now)  # fmt: skip
    assert due.intervals == 2 and p == -(-due.principal // SC)
    grace = st.balance * t.grace_rate * 5 * DAY // WAD
    assert i == -(-due.interest // SC) and due.interest > grace
    d1, b1 = st.deadline, st.balance  # (st is the live record)
    s.router.repay(loan, p + i + 1_000 * U6, sender="borrower")  # the excess is a prepayment
    assert st.deadline == d1 + 2 * M
    assert st.balance == b1 - (p + i + 1_000 * U6) * SC + due.interest


def test_liquidate__not_before_deadline_plus_grace() -> None:
    s = make()
    loan = originate(s, terms(s))
    st = s.router.loan(loan)
    s.chain.warp(st.deadline + 10 * DAY)
    assert_refused(
        s.chain, LimitExceeded, "usdai/not-liquidatable", s.router.liquidate, loan, sender="keeper"
    )
    s.chain.advance(1)
    s.router.liquidate(loan, sender="keeper")
    assert s.router.loan(loan).status == "liquidated" and bal(s, s.auction.account, "GPU") == 1
    assert_refused(
        s.chain, LimitExceeded, "usdai/not-active", s.router.repay, loan, U6, sender="borrower"
    )
    assert_refused(
        s.chain, LimitExceeded, "usdai/not-active", s.router.liquidate, loan, sender="keeper"
    )


def liquidated(s: USDaiSystem, t: LoanTerms) -> str:
    loan = originate(s, t)
    s.chain.warp(s.router.loan(loan).deadline + t.grace_duration_s + 1)
    s.router.liquidate(loan, sender="keeper")
    return loan


def test_redemption_window__borrower_repays_claim_and_takes_gpu_back() -> None:
    s = make()
    loan = liquidated(s, terms(s))
    claim = s.router.claim(loan)
    amount = s.router.redemption_amount(loan)
    assert amount == -(-(claim.principal + claim.interest) // SC)
    lenders0 = [bal(s, f"L{i}") for i in range(3)]
    assert_refused(
        s.chain, LimitExceeded, "usdai/redemption-window", s.auction.bid, loan, U6, sender="bidder"
    )
    assert s.router.redeem_collateral(loan, sender="borrower") == amount
    assert bal(s, "borrower", "GPU") == 1
    for i in range(3):  # every tranche whole (no liquidation fee on a redemption)
        owed = (claim.tranche_principals[i] + claim.tranche_interests[i]) // SC
        assert bal(s, f"L{i}") - lenders0[i] == owed
    assert s.router.loan(loan).status == "redeemed"
    assert_refused(
        s.chain, LimitExceeded, "usdai/auction-closed", s.auction.bid, loan, U6, sender="bidder"
    )


def test_auction__increments_extension_restart_and_settle() -> None:
    s = make()
    loan = liquidated(s, terms(s))
    lot = s.auction.lot(loan)
    s.chain.warp(lot.window_end)
    assert_refused(
        s.chain,
        LimitExceeded,
        "usdai/window-closed",
        s.router.redeem_collateral,
        loan,
        sender="borrower",
    )
    assert_refused(s.chain, LimitExceeded, "usdai/no-bids", s.auction.settle, loan, sender="keeper")
    s.chain.warp(lot.end)
    assert_refused(
        s.chain, LimitExceeded, "usdai/auction-ended", s.auction.bid, loan, U6, sender="bidder"
    )
    end = s.auction.restart(loan, sender="keeper")
    assert end == s.chain.now + 7 * DAY
    s.auction.bid(loan, 100_000 * U6, sender="bidder")
    assert s.auction.min_bid(loan) == 101_000 * U6
    assert_refused(
        s.chain,
        LimitExceeded,
        "usdai/bid-too-low",
        s.auction.bid,
        loan,
        101_000 * U6 - 1,
        sender="bidder2",
    )
    s.chain.warp(end - 300)
    before = bal(s, "bidder")
    s.auction.bid(loan, 101_000 * U6, sender="bidder2")
    assert bal(s, "bidder") == before + 100_000 * U6  # outbid: refunded at once
    assert s.auction.lot(loan).end == end + 1200  # bid in the last 10 minutes: +20 minutes
    s.chain.warp(end)
    assert_refused(
        s.chain, LimitExceeded, "usdai/auction-running", s.auction.settle, loan, sender="keeper"
    )
    s.chain.warp(end + 1200)
    assert s.auction.settle(loan, sender="keeper") == 101_000 * U6
    assert bal(s, "bidder2", "GPU") == 1 and s.router.loan(loan).status == "collateral-liquidated"


@pytest.mark.parametrize("price", [650_000, 760_000, 2_000_000])
def test_waterfall__auction_proceeds__fee_seniority_surplus_to_protocol(price: int) -> None:
    s = make()
    t = terms(s)
    loan = liquidated(s, t)
    claim = s.router.claim(loan)
    lot = s.auction.lot(loan)
    s.chain.warp(lot.window_end)
    s.auction.bid(loan, price * U6, sender="bidder")
    s.chain.warp(s.auction.lot(loan).end)
    lenders0 = [bal(s, f"L{i}") for i in range(3)]
    fees0 = bal(s, "usdai:fees")
    s.auction.settle(loan, sender="keeper")
    w = waterfall(price * U6 * SC, claim.tranche_principals, claim.tranche_interests, 500)
    got = [bal(s, f"L{i}") - lenders0[i] for i in range(3)]
    assert got == [(w.principals[i] + w.interests[i]) // SC for i in range(3)]
    assert bal(s, "usdai:fees") - fees0 == w.fee // SC + w.surplus // SC
    if price == 650_000:  # senior whole, middle short, junior nothing
        assert got[0] == 420_000 * U6 and 0 < got[1] < 210_000 * U6 and got[2] == 0
    if price == 2_000_000:
        assert w.surplus > 0 and got == [
            (p + i) // SC for p, i in zip(claim.tranche_principals, claim.tranche_interests)
        ]
    assert bal(s, "borrower") >= 0 and s.router.loan(loan).balance == 0
    s.chain.check_conservation()


def test_insurance__sale_below_insured_amount__insurer_tops_up_in_seniority() -> None:
    s = make(insurer="insurer")
    t = terms(s, insured_amount=600_000 * U6)
    loan = liquidated(s, t)
    s.chain.warp(s.auction.lot(loan).window_end)
    s.auction.bid(loan, 400_000 * U6, sender="bidder")
    s.chain.warp(s.auction.lot(loan).end)
    ins0, l1 = bal(s, "insurer"), bal(s, "L1")
    s.auction.settle(loan, sender="keeper")
    assert ins0 - bal(s, "insurer") == 200_000 * U6
    ev = s.chain.log[-2].event
    assert ev.kind == "usdai/waterfall" and ev.insurance == 200_000 * U6  # type: ignore[attr-defined]
    assert bal(s, "L1") - l1 > 0  # the top-up reached the next tranche in line


def test_transfer_position__payments_follow_the_owner() -> None:
    s = make()
    loan = originate(s, terms(s))
    assert_refused(
        s.chain,
        NotAuthorized,
        "usdai/not-position-owner",
        s.router.transfer_position,
        loan,
        0,
        "x",
        sender="L1",
    )
    assert_refused(
        s.chain,
        InvalidInput,
        "usdai/unknown-position",
        s.router.transfer_position,
        loan,
        9,
        "x",
        sender="L0",
    )
    s.router.transfer_position(loan, 0, "buyer", sender="L0")
    s.chain.warp(s.router.loan(loan).deadline)
    p, i, _ = s.router.quote(loan)
    s.router.repay(loan, p + i, sender="borrower")
    assert bal(s, "buyer") > 0


def test_timelock__funds_tranche_refunds_excess_and_expires() -> None:
    s = make()
    t = terms(s, tranches=(Tranche("L0", 100 * U6, R10),), origination_fee=0)
    loan = t.loan_id()
    s.timelock.deposit(loan, "USDC", 150 * U6, t.expiration, sender="L0")
    before = bal(s, "L0")
    s.router.borrow(t, sender="borrower")
    assert bal(s, "L0") == before + 50 * U6 and s.timelock.deposit_of("L0", loan) is None
    t2 = dataclasses.replace(t, salt=1)
    s.timelock.deposit(t2.loan_id(), "USDC", 100 * U6, s.chain.now + 10, sender="L1")
    assert_refused(
        s.chain,
        InvalidInput,
        "usdai/timelock-exists",
        s.timelock.deposit,
        t2.loan_id(),
        "USDC",
        1,
        s.chain.now + 10,
        sender="L1",
    )
    s.chain.advance(11)
    assert_refused(
        s.chain,
        NotAuthorized,
        "usdai/not-router",
        s.timelock.withdraw,
        object(),
        t2.loan_id(),
        "L1",
        1,
        "x",
    )
    assert s.timelock.cancel(t2.loan_id(), sender="L1") == 100 * U6


@pytest.mark.parametrize("bad", [-1, 0, 1.5, True, None])
def test_router_actions__bad_amount__refused_state_unchanged(bad: object) -> None:
    s = make()
    loan = originate(s, terms(s))
    s.chain.advance(DAY)
    assert_refused(
        s.chain,
        InvalidInput,
        boundary_code(bad, "usdai/bad-amount"),  # the action boundary, then the body
        s.router.repay,
        loan,
        bad,
        sender="borrower",
    )
    assert_refused(
        s.chain,
        InvalidInput,
        boundary_code(bad, "usdai/bad-amount"),
        s.timelock.deposit,
        "x",
        "USDC",
        bad,
        s.chain.now + 5,
        sender="L0",
    )
    s.chain.ledger.create_token("GPU2", 0)
    s.chain.ledger.mint("GPU2", "borrower", 1)
    liq = liquidated(s, terms(s, collateral="GPU2", expiration=s.chain.now + DAY))
    s.chain.warp(s.auction.lot(liq).window_end)
    assert_refused(
        s.chain,
        InvalidInput,
        boundary_code(bad, "usdai/bad-amount"),
        s.auction.bid,
        liq,
        bad,
        sender="bidder",
    )
    assert_refused(
        s.chain, InvalidInput, "usdai/unknown-loan", s.router.repay, "nope", 1, sender="borrower"
    )
    assert_refused(
        s.chain, InvalidInput, "usdai/no-auction", s.auction.bid, "nope", 1, sender="bidder"
    )
    assert_refused(
        s.chain, NotAuthorized, "usdai/not-admin", s.router.set_insurer, "x", sender="bidder"
    )
    assert_refused(
        s.chain,
        InvalidInput,
        "usdai/bad-amount",
        s.router.set_liquidation_fee,
        10_001,
        sender="gov",
    )
