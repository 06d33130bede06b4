"""The deal book: spec vectors (fees, annuity, write-down schedule), lifecycle, sale waterfall, bad input."""

from __future__ import annotations

from dataclasses import replace

import pytest

from peglab.errors import InvalidInput, LimitExceeded, NotAuthorized
from peglab.kernel import Chain
from peglab.protocols.gaib import MONTH_S, DealBook, DealTerms, annuity_payment, tokenisation_fee
from peglab.testing import assert_refused
from peglab.units import WAD, wad


def build(fund_wad: int = 10_000 * WAD) -> tuple[Chain, DealBook]:
    chain = Chain()
    chain.ledger.create_token("AID", 18)
    chain.ledger.mint("AID", "fund", fund_wad)
    return chain, DealBook(chain, "AID", "fund")


DEBT = DealTerms("debt", "gpuco", wad(1_000), 12, coupon_bps=1500, gpus=8)


def spend(chain: Chain, who: str) -> None:
    """The borrower spends its proceeds on GPUs (off the book)."""
    bal = chain.ledger.balance_of("AID", who)
    if bal:
        chain.transfer("AID", "gpu-vendor", bal, sender=who)


@pytest.mark.parametrize(
    ("months", "bps"), [(1, 25), (2, 25), (3, 25), (6, 50), (12, 100), (18, 150), (36, 300)]
)
def test_tokenisation_fee__spec_table__matches(months: int, bps: int) -> None:
    assert tokenisation_fee(wad(1_000_000), months) == wad(1_000_000) * bps // 10_000


def test_tokenisation_fee__odd_term__rounds_up() -> None:
    assert tokenisation_fee(7, 7) == 1  # 7 * 58.33 bps = 0.04 -> 1 wei (borrower pays)


def test_annuity__usdai_rates_vector__902_58() -> None:
    assert annuity_payment(wad(10_000), 1500, 12) // 10**16 == 90258  # $902.58
    assert annuity_payment(wad(1_200), 0, 12) == wad(100)


def test_debt_deal__paid_monthly__repaid_reserve_back_fees_routed() -> None:
    chain, book = build()
    did = book.originate(DEBT, sender="gov")
    ledger = chain.ledger
    fee, reserve = wad(10), wad("66")
    assert ledger.balance_of("AID", "gaib:treasury") == fee
    assert ledger.balance_of("AID", book.portfolio(did)) == reserve
    spend(chain, "gpuco")
    pay = annuity_payment(wad(1_000), 1500, 12)
    total_protocol = total_perf = 0
    for _ in range(12):
        chain.advance(MONTH_S)
        ledger.mint("AID", "gpuco", pay)  # the month's net revenue
        ev = book.settle_month(did, wad(2_000), wad(500), sender="gov")
        assert ev.status in ("performing", "repaid") and ev.reserve_draw_wad == 0
        assert ev.protocol_fee_wad == min(
            ev.income_wad, (ev.principal_paid_wad + book.deal(did).principal_wad) * 25 // 120_000
        )
        assert ev.performance_fee_wad == (ev.income_wad - ev.protocol_fee_wad) * 1500 // 10_000
        total_protocol += ev.protocol_fee_wad
        total_perf += ev.performance_fee_wad
        spend(chain, "gpuco")
    d = book.deal(did)
    assert d.status == "repaid" and d.principal_wad == 0 and book.principal_wad() == 0
    assert ledger.balance_of("AID", book.portfolio(did)) == 0
    assert ledger.balance_of("AID", "gaib:stakers") == total_protocol
    assert ledger.balance_of("AID", "gaib:treasury") == fee + total_perf
    # the fund got back principal plus interest net of fees (the last payment is at most the annuity)
    assert ledger.balance_of("AID", "fund") > wad(10_000) - wad(1_000) + wad(1_000)
    chain.check_conservation()


def test_debt_deal__no_revenue__reserve_then_staged_writedowns_then_default() -> None:
    chain, book = build()
    did = book.originate(DEBT, sender="gov")
    spend(chain, "gpuco")
    seen = []
    for _ in range(4):
        chain.advance(MONTH_S)
        ev = book.settle_month(did, 0, wad(100), sender="gov")
        d = book.deal(did)
        seen.append((ev.status, ev.reserve_draw_wad, d.writedown_wad))
    p = book.deal(did).principal_wad
    assert seen[0][:2] == ("delinquent", wad(66))  # the reserve is the first loss
    assert seen[1] == ("delinquent", 0, 0)  # 30 days late: no write-down yet
    assert seen[2][0] == "delinquent" and seen[2][2] == -((-p * 3000) // 10_000)  # 60 days: 30%
    assert seen[3][0] == "default" and seen[3][2] == -((-p * 6000) // 10_000)  # 90 days: 60%
    assert book.writedown_wad() == seen[3][2]
    assert book.mark_recovery(did, wad(500), sender="gov") == p - wad(500)
    assert book.writedown_wad() == p - wad(500)


def test_sale__after_default__reserve_first_then_collateral_excess_to_borrower() -> None:
    chain, book = build()
    terms = replace(DEBT, borrower="gpuco")
    did = book.originate(terms, sender="gov")
    spend(chain, "gpuco")
    for _ in range(4):
        chain.advance(MONTH_S)
        book.settle_month(did, 0, 0, sender="gov")
    d = book.deal(did)
    claim = d.principal_wad + d.arrears_interest_wad
    chain.ledger.mint("AID", "buyer", wad(2_000))
    fund_before = chain.ledger.balance_of("AID", "fund")
    loss = book.sell_collateral(did, wad(1_500), "buyer", sender="gov")
    ev = chain.log[-1].event
    assert loss == 0 and ev.sale_cost_wad == wad(150) and ev.from_reserve_wad == 0
    assert ev.from_collateral_wad == claim and ev.to_borrower_wad == wad(1_350) - claim
    assert chain.ledger.balance_of("AID", "fund") == fund_before + claim
    assert book.deal(did).status == "sold" and book.principal_wad() == 0 == book.writedown_wad()


def test_sale__below_claim__loss_realised_in_this_portfolio_only() -> None:
    chain, book = build()
    a = book.originate(DEBT, sender="gov")
    b = book.originate(replace(DEBT, borrower="other"), sender="gov")
    spend(chain, "gpuco")
    for _ in range(4):
        chain.advance(MONTH_S)
        chain.ledger.mint("AID", "other", wad(100))
        book.settle_month(a, 0, 0, sender="gov")
        book.settle_month(b, wad(1_000), 0, sender="gov")
    before_b = book.deal(b).as_dict()
    sp_b = chain.ledger.balance_of("AID", book.portfolio(b))
    chain.ledger.mint("AID", "buyer", wad(300))
    p = book.deal(a).principal_wad
    loss = book.sell_collateral(a, wad(300), "buyer", sender="gov")
    assert loss == p - wad(270)
    assert book.deal(b).as_dict() == before_b  # segregation: b is untouched
    assert chain.ledger.balance_of("AID", book.portfolio(b)) == sp_b == wad(66)
    assert book.totals.losses_wad == loss


def test_equity_deal__revenue_share__capital_then_income() -> None:
    chain, book = build()
    terms = DealTerms("equity", "gpuco", wad(1_200), 12, share_bps=7000)
    did = book.originate(terms, sender="gov")
    spend(chain, "gpuco")
    chain.advance(MONTH_S)
    chain.ledger.mint("AID", "gpuco", wad(500))
    ev = book.settle_month(did, wad(800), wad(100), sender="gov")
    assert ev.pulled_wad == wad(490)  # 70% of net revenue 700
    assert ev.principal_paid_wad == wad(100) and ev.income_wad == wad(390)
    assert ev.status == "performing"


def test_hybrid_deal__upside_share_on_excess() -> None:
    chain, book = build()
    terms = DealTerms("hybrid", "gpuco", wad(1_000), 12, coupon_bps=1200, share_bps=2000)
    did = book.originate(terms, sender="gov")
    spend(chain, "gpuco")
    chain.advance(MONTH_S)
    chain.ledger.mint("AID", "gpuco", wad(1_000))
    due = annuity_payment(wad(1_000), 1200, 12)
    ev = book.settle_month(did, wad(600), wad(100), sender="gov")
    assert ev.pulled_wad == due + (wad(500) - due) * 2000 // 10_000


def test_rehost__cures_arrears__back_to_performing() -> None:
    chain, book = build()
    did = book.originate(DEBT, sender="gov")
    spend(chain, "gpuco")
    for _ in range(4):
        chain.advance(MONTH_S)
        book.settle_month(did, 0, 0, sender="gov")
    book.rehost(did, "newco", sender="gov")
    assert book.deal(did).status == "recovery"
    chain.advance(MONTH_S)
    chain.ledger.mint("AID", "newco", wad(2_000))
    ev = book.settle_month(did, wad(3_000), 0, sender="gov")
    assert ev.status == "performing" and ev.arrears_wad == 0 and ev.writedown_wad == 0


def test_actions__bad_input__typed_errors_unchanged() -> None:
    chain, book = build()
    did = book.originate(DEBT, sender="gov")
    spend(chain, "gpuco")
    bad_terms = [
        replace(DEBT, kind="loan"),
        replace(DEBT, borrower=""),
        replace(DEBT, term_months=0),
        replace(DEBT, term_months=61),
        replace(DEBT, coupon_bps=0),
        replace(DEBT, coupon_bps=10_001),
        replace(DEBT, advance_bps=0),
        replace(DEBT, reserve_bps=9_900),
        replace(DEBT, gpus=-1),
        DealTerms("equity", "x", wad(1), 12),
    ]
    for t in bad_terms:
        err = assert_refused(chain, InvalidInput, chain_code(t), book.originate, t, sender="gov")
        assert err.code.startswith("gaib/")
    assert_refused(
        chain,
        InvalidInput,
        "input/bad-amount",
        book.originate,
        replace(DEBT, principal_wad=0),
        sender="gov",
    )
    assert_refused(chain, InvalidInput, "input/bad-type", book.originate, "terms", sender="gov")
    assert_refused(
        chain,
        LimitExceeded,
        "gaib/insufficient-liquidity",
        book.originate,
        replace(DEBT, principal_wad=wad(10**6)),
        sender="gov",
    )
    assert_refused(chain, NotAuthorized, "gaib/not-manager", book.originate, DEBT, sender="alice")
    assert_refused(chain, LimitExceeded, "gaib/not-due", book.settle_month, did, 0, 0, sender="gov")
    assert_refused(
        chain, InvalidInput, "gaib/unknown-deal", book.settle_month, 9, 0, 0, sender="gov"
    )
    assert_refused(
        chain, InvalidInput, "input/bad-type", book.settle_month, "1", 0, 0, sender="gov"
    )
    chain.advance(MONTH_S)
    assert_refused(
        chain, InvalidInput, "input/bad-amount", book.settle_month, did, -1, 0, sender="gov"
    )
    assert_refused(
        chain, InvalidInput, "input/bad-type", book.settle_month, did, 0, 1.0, sender="gov"
    )
    assert_refused(
        chain, NotAuthorized, "gaib/not-manager", book.settle_month, did, 0, 0, sender="x"
    )
    assert_refused(
        chain, InvalidInput, "gaib/not-defaulted", book.mark_recovery, did, 0, sender="gov"
    )
    assert_refused(chain, InvalidInput, "gaib/not-defaulted", book.rehost, did, "n", sender="gov")
    assert_refused(
        chain, InvalidInput, "gaib/not-defaulted", book.sell_collateral, did, 1, "b", sender="gov"
    )
    for _ in range(4):
        book.settle_month(did, 0, 0, sender="gov")
        chain.advance(MONTH_S)
    assert_refused(
        chain, InvalidInput, "input/bad-amount", book.mark_recovery, did, -5, sender="gov"
    )
    assert_refused(chain, InvalidInput, "gaib/bad-account", book.rehost, did, "gpuco", sender="gov")
    assert_refused(
        chain, InvalidInput, "gaib/bad-account", book.sell_collateral, did, 1, "", sender="gov"
    )
    assert_refused(
        chain,
        InvalidInput,
        "ledger/insufficient-balance",
        book.sell_collateral,
        did,
        wad(5),
        "nobody",
        sender="gov",
    )
    chain.ledger.mint("AID", "b", wad(1))
    book.sell_collateral(did, wad(1), "b", sender="gov")
    assert_refused(
        chain, InvalidInput, "gaib/deal-closed", book.settle_month, did, 0, 0, sender="gov"
    )


def chain_code(t: DealTerms) -> str:
    return (
        "gaib/bad-kind"
        if t.kind not in ("debt", "equity", "hybrid")
        else ("gaib/bad-account" if not t.borrower else "gaib/bad-terms")
    )
