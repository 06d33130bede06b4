"""Liquity v1 troves: borrowing, adjusting, closing, recovery-mode rules and value flows."""

from __future__ import annotations

import pytest

from peglab.errors import InvalidInput, LimitExceeded, NotAuthorized, StalePrice, Unsafe
from peglab.kernel import Chain
from peglab.protocols.liquity import Liquity
from peglab.testing import assert_refused
from peglab.units import WAD

ORACLE = "oracle"


def make(price: int = 2000) -> tuple[Chain, Liquity]:
    chain = Chain()
    chain.ledger.create_token("ETH")
    lq = Liquity(chain, price_wad=price * WAD)
    chain.grant(Liquity.ORACLE_ROLE, ORACLE, sender=chain.root)
    return chain, lq


def borrow(chain: Chain, lq: Liquity, owner: str, coll: int, lusd: int) -> int:
    chain.ledger.mint("ETH", owner, coll * WAD)
    return lq.open_trove(coll * WAD, lusd * WAD, sender=owner)


def supply_matches_debt(chain: Chain, lq: Liquity) -> bool:
    st = lq.state
    return chain.ledger.total_supply("LUSD") == st.active_debt_wad + st.default_debt_wad


def test_open_trove__normal_mode__fee_reserve_and_debt() -> None:
    chain, lq = make()
    debt = borrow(chain, lq, "alice", 10, 5000)
    # debt = 5000 + 0.5% fee (25) + 200 reserve
    assert debt == 5225 * WAD
    led = chain.ledger
    assert led.balance_of("LUSD", "alice") == 5000 * WAD
    assert led.balance_of("LUSD", lq.fee_recipient) == 25 * WAD
    assert led.balance_of("LUSD", lq.gas_pool) == 200 * WAD
    assert led.balance_of("ETH", lq.active_pool) == 10 * WAD
    assert lq.icr("alice") == 10 * 2000 * WAD // 5225
    assert lq.troves["alice"].stake_wad == 10 * WAD  # first stake = collateral
    assert supply_matches_debt(chain, lq)
    chain.check_conservation()


def test_open_trove__bad_inputs__refused_state_unchanged() -> None:
    chain, lq = make()
    chain.ledger.mint("ETH", "bob", 100 * WAD)
    assert_refused(
        chain,
        LimitExceeded,
        "liquity/min-net-debt",
        lq.open_trove,
        10 * WAD,
        1000 * WAD,
        sender="bob",
    )
    # 1.1 * 5225 = 5747.5 USD of ETH needed; 2.8 ETH = 5600 is not enough
    assert_refused(
        chain,
        Unsafe,
        "liquity/icr-below-mcr",
        lq.open_trove,
        28 * WAD // 10,
        5000 * WAD,
        sender="bob",
    )
    assert_refused(
        chain, InvalidInput, "liquity/bad-amount", lq.open_trove, 0, 5000 * WAD, sender="bob"
    )
    assert_refused(  # a float is refused at the action boundary (kernel/validate.py)
        chain, InvalidInput, "input/bad-type", lq.open_trove, 1.5, 5000 * WAD, sender="bob"
    )
    # the first trove at 120% would leave TCR below 150%
    assert_refused(
        chain,
        Unsafe,
        "liquity/tcr-below-ccr",
        lq.open_trove,
        32 * WAD // 10,
        5000 * WAD,
        sender="bob",
    )
    borrow(chain, lq, "bob", 10, 5000)
    assert_refused(
        chain,
        InvalidInput,
        "liquity/trove-exists",
        lq.open_trove,
        10 * WAD,
        5000 * WAD,
        sender="bob",
    )
    assert_refused(
        chain,
        InvalidInput,
        "ledger/insufficient-balance",
        lq.open_trove,
        1000 * WAD,
        5000 * WAD,
        sender="carol",
    )


def test_set_price__not_oracle_or_bad__refused() -> None:
    chain, lq = make()
    assert_refused(chain, NotAuthorized, "liquity/not-oracle", lq.set_price, WAD, sender="eve")
    assert_refused(chain, StalePrice, "liquity/bad-price", lq.set_price, 0, sender=ORACLE)
    lq.set_price(1500 * WAD, sender=ORACLE)
    assert lq.state.price_wad == 1500 * WAD


def test_adjust_trove__borrow_repay_and_collateral__value_flows() -> None:
    chain, lq = make()
    borrow(chain, lq, "alice", 10, 5000)
    lq.adjust_trove(0, 1000 * WAD, sender="alice")  # +1000 and a 5 LUSD fee
    assert lq.troves["alice"].debt_wad == 6230 * WAD
    assert chain.ledger.balance_of("LUSD", lq.fee_recipient) == 30 * WAD
    lq.adjust_trove(-2 * WAD, -500 * WAD, sender="alice")
    t = lq.troves["alice"]
    assert (t.coll_wad, t.debt_wad) == (8 * WAD, 5730 * WAD)
    assert chain.ledger.balance_of("ETH", "alice") == 2 * WAD
    assert supply_matches_debt(chain, lq)
    assert_refused(
        chain, InvalidInput, "liquity/zero-adjustment", lq.adjust_trove, 0, 0, sender="alice"
    )
    assert_refused(
        chain, Unsafe, "liquity/icr-below-mcr", lq.adjust_trove, -5 * WAD, 0, sender="alice"
    )
    assert_refused(
        chain,
        LimitExceeded,
        "liquity/min-net-debt",
        lq.adjust_trove,
        0,
        -4000 * WAD,
        sender="alice",
    )
    assert_refused(
        chain, InvalidInput, "liquity/no-trove", lq.adjust_trove, WAD, 0, sender="nobody"
    )


def test_recovery_mode__user_actions__restricted() -> None:
    chain, lq = make()
    borrow(chain, lq, "alice", 10, 10000)  # ICR 1.97
    borrow(chain, lq, "bob", 10, 10000)
    lq.set_price(1400 * WAD, sender=ORACLE)  # TCR ~1.38 < 1.5
    assert lq.recovery_mode()
    assert_refused(
        chain, Unsafe, "liquity/recovery-withdrawal", lq.adjust_trove, -WAD, 0, sender="alice"
    )
    assert_refused(
        chain, Unsafe, "liquity/icr-below-ccr", lq.adjust_trove, 0, 100 * WAD, sender="alice"
    )
    assert_refused(chain, Unsafe, "liquity/recovery-close", lq.close_trove, sender="alice")
    chain.ledger.mint("ETH", "carol", 20 * WAD)
    assert_refused(
        chain, Unsafe, "liquity/icr-below-ccr", lq.open_trove, 10 * WAD, 10000 * WAD, sender="carol"
    )
    # a trove opened at >= 150% in recovery mode pays no borrowing fee
    assert lq.open_trove(20 * WAD, 10000 * WAD, sender="carol") == 10200 * WAD
    chain.ledger.mint("ETH", "alice", 5 * WAD)
    lq.adjust_trove(5 * WAD, 0, sender="alice")  # topping up is allowed


def test_close_trove__repays_and_returns_collateral() -> None:
    chain, lq = make()
    borrow(chain, lq, "alice", 10, 5000)
    borrow(chain, lq, "bob", 10, 5000)
    assert_refused(
        chain, InvalidInput, "ledger/insufficient-balance", lq.close_trove, sender="alice"
    )
    chain.transfer("LUSD", "alice", 25 * WAD, sender="bob")  # alice needs debt - 200 = 5025
    assert lq.close_trove(sender="alice") == 10 * WAD
    assert "alice" not in lq.troves and chain.ledger.balance_of("ETH", "alice") == 10 * WAD
    assert chain.ledger.balance_of("LUSD", lq.gas_pool) == 200 * WAD
    assert supply_matches_debt(chain, lq)
    chain.ledger.mint("LUSD", "bob", 0)
    assert_refused(chain, LimitExceeded, "liquity/last-trove", lq.close_trove, sender="bob")
    chain.check_conservation()


def test_liquity__bad_construction__typed_errors() -> None:
    chain = Chain()
    with pytest.raises(InvalidInput):
        Liquity(chain, coll="NOPE", price_wad=WAD)
    chain.ledger.create_token("ETH")
    with pytest.raises(InvalidInput):
        Liquity(chain, price_wad=0)
