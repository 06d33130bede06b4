"""sUSDai: NAV prices, locked shares, 30-day windows or timelocks, FIFO servicing limited by the
idle balance, claims, pause, blacklist, base-yield harvest, bridging, bad input."""

from __future__ import annotations

from typing import Any

import pytest

from peglab.errors import InvalidInput, LimitExceeded, NotAuthorized, ShutDown
from peglab.kernel import Chain
from peglab.math.loan_rates import apr_to_rate
from peglab.protocols.usdai import (
    ARBITRUM_GENESIS,
    LOCKED_SHARES,
    LoanTerms,
    StakedConfig,
    Tranche,
    USDaiSystem,
    build_usdai,
    next_window,
)
from peglab.testing import assert_refused, boundary_code
from peglab.units import DAY, WAD

USD = 10**18
U6 = 10**6
G = ARBITRUM_GENESIS


def make(start: int = G + 10, apr_wad: int = 0, **cfg: Any) -> USDaiSystem:
    """A system whose T-bill yield is 0 unless asked (so prices move only with loans)."""
    chain = Chain(start_time=start)
    s = build_usdai(chain, tbill_apr_wad=apr_wad, staked=StakedConfig(**cfg))
    for who in ("alice", "bob", "carol", "borrower"):
        chain.ledger.mint("wM", who, 10**9 * U6)
        s.usdai.deposit("wM", 10**8 * U6, 0, sender=who)
    return s


def test_windows__spec_examples() -> None:
    assert next_window(G + 10, G) == 1_770_184_800  # 2026-02-04 06:00 UTC
    assert next_window(G + 45 * DAY, G) == next_window(G + 30 * DAY, G) == 1_772_776_800
    assert next_window(G - 5, G) == G


def test_prices__spec_vector__1_068368_and_1_063157() -> None:
    # the NAV components of docs/usdai.md §4.1 set directly (a formula vector): T-bills 80M held,
    # loans 20M outstanding, 0.5M accrued, loan admin fee 1%, 1M idle, 95M shares
    s = make(base_fee_bps=0, loan_fee_bps=100)
    v, led = s.staked, s.chain.ledger
    led.mint("wM", v.account, 80_000_000 * U6)
    led.mint("USDai", v.account, 1_000_000 * USD)
    v.st.deposits_balance = 1_000_000 * USD
    v.positions.book.pending = 20_000_000 * USD
    v.positions.book.accrued = 500_000 * USD * WAD
    v.positions.book.accrual_time = s.chain.now
    led.mint("sUSDai", "holders", 95_000_000 * USD)
    assert str(v.deposit_price()).startswith("1068368")
    assert str(v.redemption_price()).startswith("1063157")
    assert v.deposit_price() == 101_495_000 * USD * WAD // (95_000_000 * USD)
    assert v.redemption_price() == 101_000_000 * USD * WAD // (95_000_000 * USD)


def test_first_deposit__locked_shares_to_dead__later_deposits_at_deposit_price() -> None:
    s = make()
    v = s.staked
    assert v.deposit(1_000 * USD, sender="alice") == 1_000 * USD - LOCKED_SHARES
    assert v.balance_of("0xdead") == LOCKED_SHARES
    assert v.deposit(500 * USD, sender="bob") == 500 * USD
    assert v.mint(10 * USD, sender="carol") == 10 * USD
    assert v.st.deposits_balance == 1_510 * USD


def fund_loan(s: USDaiSystem, amount: int, rate: int, months: int = 12) -> str:
    t = LoanTerms(borrower="borrower", currency="USDai", collateral=f"GPU{amount}", expiration=s.chain.now + DAY,
                  duration_s=months * 30 * DAY, interval_s=30 * DAY, model="amortised",
                  tranches=(Tranche(s.staked.account, amount, rate),))  # fmt: skip
    s.chain.ledger.create_token(t.collateral, 0)
    s.chain.ledger.mint(t.collateral, "borrower", 1)
    s.staked.positions.deposit_loan_timelock(t.loan_id(), amount, t.expiration, sender="gov")
    return s.router.borrow(t, sender="borrower")


def test_prices__loan_accrues__deposit_above_redemption_until_repaid() -> None:
    s = make(loan_fee_bps=1_000)
    v = s.staked
    v.deposit(1_000_000 * USD, sender="alice")
    loan = fund_loan(s, 500_000 * USD, apr_to_rate(WAD // 5))
    assert v.deposit_price() == v.redemption_price() == WAD  # no time, no accrual
    s.chain.advance(30 * DAY)
    accrued = v.positions.accrued_interest()
    assert accrued == 500_000 * USD * apr_to_rate(WAD // 5) * 30 * DAY // WAD
    assert v.deposit_price() > v.redemption_price()
    p, i, _ = s.router.quote(loan)
    s.router.repay(loan, p + i, sender="borrower")
    assert v.positions.accrued_interest() == 0
    assert v.positions.book.repayment == p + i - i * 1_000 // 10_000
    assert v.deposit_price() == v.redemption_price() > WAD


def test_prices__delinquent_loan__staged_writedown_in_both_prices_interest_out() -> None:
    s = make(loan_fee_bps=1_000)
    v, pm = s.staked, s.staked.positions
    v.deposit(1_000_000 * USD, sender="alice")
    loan = fund_loan(s, 500_000 * USD, apr_to_rate(WAD // 5))
    deadline = s.router.deadline_of(loan)
    s.chain.warp(deadline + 59 * DAY)  # never paid: 59 days late
    assert pm.writedown() == (0, 0) and v.deposit_price() > v.redemption_price()
    assert_refused(s.chain, LimitExceeded, "usdai/not-late", pm.mark_recovery, loan, 0, 0,
                   sender="gov")  # fmt: skip
    rp59 = v.redemption_price()
    s.chain.warp(deadline + 60 * DAY)
    pending = pm.loans[(loan, 0)].pending
    wd, interest = pm.writedown()
    assert wd == -(-pending * 3_000 // 10_000) and interest == pm.accrued_interest() > 0
    # the uncollected interest leaves the deposit price; 30% of principal leaves both
    assert v.deposit_price() == v.redemption_price() < rp59
    assert v.assets(False) == v.assets(True) == 1_000_000 * USD - wd
    s.chain.warp(deadline + 90 * DAY)
    assert pm.writedown()[0] == -(-pending * 6_000 // 10_000)
    pm.mark_recovery(loan, 0, 350_000 * USD, sender="gov")
    assert pm.writedown()[0] == pending - 350_000 * USD
    assert v.deposit_price() == v.redemption_price()


def test_prices__writedowns_off__contract_valuation_keeps_accruing() -> None:
    s = make(writedowns=False)
    v = s.staked
    v.deposit(1_000_000 * USD, sender="alice")
    loan = fund_loan(s, 500_000 * USD, apr_to_rate(WAD // 5))
    s.chain.warp(s.router.deadline_of(loan) + 120 * DAY)
    assert v.positions.writedown() == (0, 0)
    assert v.deposit_price() > v.redemption_price() == WAD


def test_mark_recovery__bad_input__refused_state_unchanged() -> None:
    s = make()
    pm = s.staked.positions
    s.staked.deposit(1_000_000 * USD, sender="alice")
    loan = fund_loan(s, 100_000 * USD, apr_to_rate(WAD // 5))
    s.chain.warp(s.router.deadline_of(loan) + 60 * DAY)
    assert_refused(s.chain, NotAuthorized, "usdai/not-strategy-admin", pm.mark_recovery, loan, 0,
                   1, sender="bob")  # fmt: skip
    assert_refused(s.chain, InvalidInput, "usdai/unknown-position", pm.mark_recovery, loan, 1, 1,
                   sender="gov")  # fmt: skip
    code = boundary_code(-1, "usdai/bad-amount")
    assert_refused(s.chain, InvalidInput, code, pm.mark_recovery, loan, 0, -1, sender="gov")


def test_request_redeem__burns_now_counts_pending_and_matures_at_window() -> None:
    s = make()
    v = s.staked
    v.deposit(100 * USD, sender="alice")
    price = v.deposit_price()
    rid = v.request_redeem(10 * USD, "alice", "alice", sender="alice")
    assert rid == 1 and v.maturity_of(rid) == 1_770_184_800
    assert v.balance_of("alice") == 90 * USD - LOCKED_SHARES
    assert v.totals.pending_redeem_shares == 10 * USD and v.deposit_price() == price
    assert v.pending_redeem_request(rid, "alice") == 10 * USD
    assert_refused(
        s.chain,
        InvalidInput,
        "credit/min-redemption",
        v.request_redeem,
        USD - 1,
        "alice",
        "alice",
        sender="alice",
    )
    assert_refused(
        s.chain,
        NotAuthorized,
        "vault/not-owner-or-operator",
        v.request_redeem,
        USD,
        "bob",
        "alice",
        sender="bob",
    )


def test_request_redeem__timelock_mode__matures_30_days_later() -> None:
    s = make(mode="timelock")
    s.staked.deposit(100 * USD, sender="alice")
    rid = s.staked.request_redeem(5 * USD, "alice", "alice", sender="alice")
    assert s.staked.maturity_of(rid) == G + 10 + 30 * DAY


def test_request_redeem__fifty_open__fifty_first_refused() -> None:
    s = make()
    s.staked.deposit(1_000 * USD, sender="alice")
    for _ in range(50):
        s.staked.request_redeem(USD, "alice", "alice", sender="alice")
    assert_refused(
        s.chain,
        LimitExceeded,
        "credit/too-many-requests",
        s.staked.request_redeem,
        USD,
        "alice",
        "alice",
        sender="alice",
    )


def test_service__fifo_at_current_price_after_maturity_limited_by_idle() -> None:
    s = make()
    v = s.staked
    v.deposit(1_000 * USD, sender="alice")
    v.deposit(1_000 * USD, sender="bob")
    a = v.request_redeem(300 * USD, "alice", "alice", sender="alice")
    b = v.request_redeem(200 * USD, "bob", "bob", sender="bob")
    assert_refused(
        s.chain, InvalidInput, "credit/not-matured", v.service_redemptions, USD, sender="gov"
    )
    s.chain.warp(v.maturity_of(a))
    assert_refused(
        s.chain, InvalidInput, "credit/not-matured", v.service_redemptions, USD, sender="gov"
    )  # == ts
    s.chain.advance(1)
    fund_loan(s, 1_600 * USD, apr_to_rate(WAD // 10))  # idle 400 left
    assert_refused(
        s.chain,
        LimitExceeded,
        "credit/insufficient-balance",
        v.service_redemptions,
        400 * USD + 1,
        sender="gov",
    )
    assert_refused(
        s.chain,
        LimitExceeded,
        "credit/exceeds-pending",
        v.service_redemptions,
        501 * USD,
        sender="gov",
    )
    price = v.redemption_price()
    got = v.service_redemptions(400 * USD, sender="gov")  # alice in full, bob 100 of 200
    assert got == 300 * USD * price // WAD + 100 * USD * price // WAD
    assert v.st.head == b and v.pending_redeem_request(b, "bob") == 100 * USD
    assert v.max_redeem("alice") == 300 * USD and v.max_withdraw("bob") == 100 * USD * price // WAD
    assert v.totals.reserved_assets == got and v.idle_balance() == 400 * USD - got


def test_claims__remainder_exact__pro_rata_and_last_claim_takes_the_rest() -> None:
    s = make()
    v = s.staked
    v.deposit(1_000 * USD, sender="alice")
    rid = v.request_redeem(3 * USD, "alice", "alice", sender="alice")
    s.chain.warp(v.maturity_of(rid) + 1)
    v.service_redemptions(3 * USD, sender="gov")
    total = v.max_withdraw("alice")
    before = s.chain.ledger.balance_of("USDai", "alice")
    assert v.redeem(USD, "alice", "alice", sender="alice") == total // 3
    assert v.withdraw(v.max_withdraw("alice"), sender="alice") == 2 * USD
    assert s.chain.ledger.balance_of("USDai", "alice") == before + total
    assert v.max_redeem("alice") == v.max_withdraw("alice") == 0
    assert v.st.deposits_balance == 1_000 * USD - total and v.totals.reserved_assets == 0
    with pytest.raises(InvalidInput, match="credit/disabled"):
        v.preview_redeem(1)
    with pytest.raises(InvalidInput, match="credit/disabled"):
        v.preview_withdraw(1)
    assert_refused(
        s.chain, InvalidInput, "credit/disabled", v.fulfil_redeem, "alice", 1, sender="gov"
    )


def test_pause__blocks_deposit_request_claim_operator() -> None:
    s = make()
    v = s.staked
    v.deposit(100 * USD, sender="alice")
    assert_refused(s.chain, NotAuthorized, "vault/not-pauser", v.set_paused, True, sender="alice")
    v.set_paused(True, sender="gov")
    assert_refused(s.chain, ShutDown, "vault/paused", v.deposit, USD, sender="alice")
    assert_refused(
        s.chain, ShutDown, "vault/paused", v.request_redeem, USD, "alice", "alice", sender="alice"
    )
    assert_refused(s.chain, ShutDown, "vault/paused", v.redeem, USD, sender="alice")
    assert_refused(s.chain, ShutDown, "vault/paused", v.set_operator, "bob", True, sender="alice")
    assert_refused(s.chain, ShutDown, "vault/paused", v.bridge_out, "alice", USD, sender="gov")


def test_blacklist__blocks_holding_moving_and_acting() -> None:
    s = make()
    v = s.staked
    v.deposit(100 * USD, sender="alice")
    assert_refused(
        s.chain,
        NotAuthorized,
        "usdai/not-blacklist-admin",
        v.set_blacklist,
        "alice",
        True,
        sender="bob",
    )
    v.set_blacklist("alice", True, sender="gov")
    assert_refused(
        s.chain, NotAuthorized, "credit/blacklisted", v.transfer, "bob", USD, sender="alice"
    )
    assert_refused(s.chain, NotAuthorized, "credit/blacklisted", v.deposit, USD, sender="alice")
    assert_refused(
        s.chain, NotAuthorized, "credit/blacklisted", v.deposit, USD, "alice", sender="bob"
    )
    assert_refused(
        s.chain,
        NotAuthorized,
        "credit/blacklisted",
        v.request_redeem,
        USD,
        "alice",
        "alice",
        sender="alice",
    )
    v.set_blacklist("alice", False, sender="gov")
    v.transfer("bob", USD, sender="alice")


def test_harvest__base_yield_claimed_and_deposited_minus_fee() -> None:
    s = make(apr_wad=415 * WAD // 10_000, base_fee_bps=1_000)
    v = s.staked
    v.deposit(1_000_000 * USD, sender="alice")
    s.chain.advance(365 * DAY)
    reserve = s.usdai.reserve_balance()
    y = s.base.accrued_yield_of(s.usdai.reserve)
    assert y == reserve * s.base.state.apr_wad // WAD  # 4.15% of the whole reserve
    nav_before = v.assets(True)
    s.base.claim_yield(s.usdai.reserve, sender="keeper")
    assert v.assets(True) == nav_before  # claimable already counted (net of fee)
    net = v.deposit_base_yield(y * s.usdai.scale, sender="gov")
    assert net == y * s.usdai.scale * 9 // 10
    assert s.chain.ledger.balance_of("USDai", "usdai:fees") == y * s.usdai.scale - net
    assert v.assets(True) == nav_before and s.usdai.backing_gap() == 0
    assert_refused(
        s.chain,
        LimitExceeded,
        "credit/insufficient-balance",
        v.deposit_base_yield,
        USD,
        sender="gov",
    )


def test_set_apr__rate_falls__earners_settled_at_the_old_rate_first() -> None:
    s = make(apr_wad=415 * WAD // 10_000)
    s.staked.deposit(1_000_000 * USD, sender="alice")
    reserve = s.usdai.reserve
    s.chain.advance(182 * DAY)
    old = s.base.accrued_yield_of(reserve)
    assert old > 0
    s.base.set_apr(5 * WAD // 1_000, sender="gov")
    assert s.base.accrued_yield_of(reserve) == 0  # paid at 4.15% up to the change
    assert s.chain.ledger.balance_of("wM", s.staked.account) >= old
    bal = s.chain.ledger.balance_of("wM", reserve)
    s.chain.advance(365 * DAY)
    assert s.base.accrued_yield_of(reserve) == bal * 5 // 1_000  # 0.5% from now on
    assert_refused(s.chain, NotAuthorized, "usdai/not-admin", s.base.set_apr, 0, sender="bob")
    code = boundary_code(-1, "usdai/bad-amount")
    assert_refused(s.chain, InvalidInput, code, s.base.set_apr, -1, sender="gov")


def test_bridge__shares_count_in_total_shares() -> None:
    s = make()
    v = s.staked
    v.deposit(100 * USD, sender="alice")
    ts = v.total_shares()
    v.bridge_out("alice", 10 * USD, sender="gov")
    assert v.total_shares() == ts and v.st.bridged == 10 * USD
    assert_refused(
        s.chain, LimitExceeded, "usdai/exceeds-bridged", v.bridge_in, "bob", 11 * USD, sender="gov"
    )
    v.bridge_in("bob", 10 * USD, sender="gov")
    assert v.balance_of("bob") == 10 * USD


@pytest.mark.parametrize("bad", [-1, 1.5, True, None, 2**256])
def test_every_staked_action__bad_amount__refused_state_unchanged(bad: object) -> None:
    s = make()
    v = s.staked
    v.deposit(100 * USD, sender="alice")
    for fn, args in ((v.deposit, (bad,)), (v.mint, (bad,)), (v.redeem, (bad,)), (v.withdraw, (bad,)),
                     (v.request_redeem, (bad, "alice", "alice")), (v.transfer, ("bob", bad)),
                     (v.approve, ("bob", bad))):  # fmt: skip
        code = boundary_code(bad, "vault/bad-amount")  # the action boundary, then the body
        assert_refused(s.chain, InvalidInput, code, fn, *args, sender="alice")
    for fn, args in ((v.service_redemptions, (bad,)), (v.deposit_base_yield, (bad,)),
                     (v.bridge_out, ("alice", bad)), (v.bridge_in, ("alice", bad))):  # fmt: skip
        code = boundary_code(bad, "vault/bad-amount")
        assert_refused(s.chain, InvalidInput, code, fn, *args, sender="gov")
    pm = v.positions
    assert_refused(
        s.chain,
        InvalidInput,
        boundary_code(bad, "usdai/bad-amount"),
        pm.deposit_loan_timelock,
        "x",
        bad,
        G + DAY,
        sender="gov",
    )
    assert_refused(
        s.chain,
        InvalidInput,
        boundary_code(bad, "usdai/bad-amount"),
        pm.deposit_loan_repayment,
        bad,
        sender="gov",
    )


def test_strategy_actions__wrong_role_or_state__refused() -> None:
    s = make()
    v, pm = s.staked, s.staked.positions
    v.deposit(100 * USD, sender="alice")
    for fn, args in ((v.service_redemptions, (USD,)), (v.deposit_base_yield, (USD,)),
                     (pm.deposit_loan_timelock, ("x", USD, G + DAY)), (pm.cancel_loan_timelock, ("x",)),
                     (pm.deposit_loan_repayment, (USD,)), (pm.sweep_loan_admin_fee, ())):  # fmt: skip
        assert_refused(
            s.chain, NotAuthorized, "usdai/not-strategy-admin", fn, *args, sender="alice"
        )
    assert_refused(
        s.chain,
        LimitExceeded,
        "credit/insufficient-balance",
        pm.deposit_loan_timelock,
        "x",
        101 * USD,
        G + DAY,
        sender="gov",
    )
    assert_refused(
        s.chain,
        LimitExceeded,
        "credit/insufficient-balance",
        pm.deposit_loan_repayment,
        1,
        sender="gov",
    )
    assert_refused(
        s.chain, InvalidInput, "usdai/no-timelock", pm.cancel_loan_timelock, "x", sender="gov"
    )
    pm.deposit_loan_timelock("x", 10 * USD, s.chain.now + DAY, sender="gov")
    assert_refused(
        s.chain, InvalidInput, "usdai/timelock-active", pm.cancel_loan_timelock, "x", sender="gov"
    )
    s.chain.advance(DAY + 1)
    assert pm.cancel_loan_timelock("x", sender="gov") == 10 * USD
    assert v.idle_balance() == 100 * USD
