"""Term deposits (the locked sleeve): simple interest to maturity, locked until then, paid by the
sponsor; refusals leave the state unchanged."""

from __future__ import annotations

import pytest

from peglab.errors import InvalidInput, LimitExceeded
from peglab.kernel import Chain
from peglab.protocols.lending.term import TermDeposit
from peglab.testing import assert_refused, boundary_code
from peglab.units import DAY, RAY, YEAR

USDC = 10**6


def make(sponsor_funds: int = 10**9 * USDC) -> tuple[Chain, TermDeposit]:
    chain = Chain()
    chain.ledger.create_token("USDC", 6)
    chain.ledger.mint("USDC", "vault", 10_000_000 * USDC)
    chain.ledger.mint("USDC", "sponsor", sponsor_funds)
    return chain, TermDeposit(chain, "tbill-30d", "USDC", 7 * RAY // 100, 30 * DAY, "sponsor")


def test_deposit__to_maturity__pays_simple_interest_rounded_down() -> None:
    chain, t = make()
    t.deposit(1_000_000 * USDC, sender="vault")
    chain.advance(10 * DAY)
    assert t.withdrawable("vault") == 0 and t.next_unlock("vault") == chain.now + 20 * DAY
    chain.advance(40 * DAY)  # interest stops at the unlock
    expected = 1_000_000 * USDC + 1_000_000 * USDC * 7 * 30 * DAY // (100 * YEAR)
    assert t.position("vault") == t.withdrawable("vault") == expected
    assert t.redeem(sender="vault") == expected
    assert t.position("vault") == 0 and t.state.total_principal == 0
    chain.check_conservation()


def test_redeem__before_unlock_or_sponsor_short__refused_state_unchanged() -> None:
    chain, t = make(sponsor_funds=0)
    t.deposit(1_000 * USDC, sender="vault")
    assert_refused(chain, InvalidInput, "term/nothing-matured", t.redeem, sender="vault")
    chain.advance(30 * DAY)
    chain.ledger.transfer("USDC", "sponsor", "elsewhere", 1)  # the sponsor spent a unit
    assert_refused(chain, LimitExceeded, "term/sponsor-short", t.redeem, sender="vault")


def test_deposit__bad_input__typed_error_state_unchanged() -> None:
    chain, t = make()
    for bad in (0, -1, 1.5, True, 2**256):
        code = boundary_code(bad, "term/bad-amount")  # the action boundary, then the body
        assert_refused(chain, InvalidInput, code, t.deposit, bad, sender="vault")
    assert_refused(
        chain, InvalidInput, "ledger/insufficient-balance", t.deposit, 10**15, sender="vault"
    )


def test_construction__bad_rate_or_lock__refused() -> None:
    chain, _ = make()
    with pytest.raises(InvalidInput, match="term/bad-rate"):
        TermDeposit(chain, "x", "USDC", RAY + 1, DAY, "s")
    with pytest.raises(InvalidInput, match="term/bad-lock"):
        TermDeposit(chain, "y", "USDC", RAY // 10, 0, "s")
