"""LLAMMA and its Controller: bands, soft liquidation both ways, health, hard liquidation, refusals."""

from __future__ import annotations

import pytest

from peglab.errors import InvalidInput, NotAuthorized, Slippage, StalePrice, Unsafe
from peglab.kernel import Chain
from peglab.protocols.llamma import LlammaMarket, create_market
from peglab.protocols.llamma.math import (
    get_p,
    log2_wad,
    log_a_ratio_wad,
    p_oracle_up,
    wad_exp,
)
from peglab.testing import assert_refused
from peglab.units import WAD

ORACLE = "oracle"


def make(price: int = 3000) -> tuple[Chain, LlammaMarket]:
    chain = Chain()
    chain.ledger.create_token("crvUSD", 18, "stablecoin")
    chain.ledger.create_token("ETH", 18, "collateral")
    m = create_market(chain, borrowed="crvUSD", collateral="ETH", price_wad=price * WAD)
    chain.grant(m.oracle.ROLE, ORACLE, sender=chain.root)
    chain.grant(m.controller.ADMIN_ROLE, "admin", sender=chain.root)
    m.oracle.set_price(price * WAD + 10 * WAD, sender=ORACLE)  # just above band 0's top edge
    chain.ledger.mint("crvUSD", "arb", 10**8 * WAD)
    chain.ledger.mint("ETH", "arb", 10**5 * WAD)
    return chain, m


def loan(chain: Chain, m: LlammaMarket, user: str, eth: int, n: int = 10, frac: int = 100) -> int:
    chain.ledger.mint("ETH", user, eth * WAD)
    debt = m.controller.max_borrowable(eth * WAD, n) * frac // 100
    m.controller.create_loan(eth * WAD, debt, n, sender=user)
    return debt


def arbitrage_to(chain: Chain, m: LlammaMarket, price: int, dt: int = 600) -> None:
    """Move the oracle to ``price`` and trade the AMM to it (an arbitrageur with no costs)."""
    chain.advance(dt)
    m.oracle.set_price(price, sender=ORACLE)
    amount, pump = m.amm.get_amount_for_price(price)
    if amount:
        m.amm.exchange(0 if pump else 1, 1 if pump else 0, amount, 0, sender="arb")


def errors(chain: Chain, m: LlammaMarket) -> list[str]:
    chain.check_conservation()
    return m.amm.invariant_errors()


# -- math --------------------------------------------------------------------------------------
def test_wad_exp__grid__exact_at_whole_bands_and_close_to_real_exp() -> None:
    import math

    assert wad_exp(0) == WAD
    la = log_a_ratio_wad(100)
    assert p_oracle_up(1, 3000 * WAD, la) == 2970 * WAD  # 3000 · 0.99
    for n in (-300, -7, 5, 250):
        got = p_oracle_up(n, WAD, la) / WAD
        assert got == pytest.approx(0.99**n, rel=1e-12)
    assert wad_exp(10**18) == pytest.approx(math.e * WAD, rel=1e-15)


def test_log2_wad__powers_and_inverse__signed_truncated() -> None:
    assert log2_wad(2 * WAD) == WAD
    assert log2_wad(WAD) == 0
    assert log2_wad(WAD // 8) == -3 * WAD
    assert log2_wad(3 * WAD) / WAD == pytest.approx(1.5849625007, abs=1e-9)
    with pytest.raises(InvalidInput):
        log2_wad(0)


def test_get_p__band_edges__cube_of_oracle_over_edge_squared() -> None:
    a, p_up, p_o = 100, 3000 * WAD, 2990 * WAD
    low = get_p(0, 5 * WAD, p_o, p_up, a)  # all collateral: p_o^3 / p_up^2
    assert low == (p_o * p_o // p_up * p_o) // p_up
    high = get_p(5000 * WAD, 0, p_o, p_up, a)  # all stablecoin: p_o^3 / p_down^2
    assert high > low and abs(high * 99 * 99 / (low * 100 * 100) - 1) < 1e-12


# -- loans -------------------------------------------------------------------------------------
def test_create_loan__max_borrowable__bands_below_price_value_flows() -> None:
    chain, m = make()
    debt = loan(chain, m, "alice", 10)
    assert 0.85 < debt / (10 * 3000 * WAD) < 0.88  # N = 10 at A = 100 with a 9% discount
    assert m.amm.read_user_tick_numbers("alice") == (0, 9)
    assert chain.ledger.balance_of("crvUSD", "alice") == debt
    assert chain.ledger.balance_of("ETH", m.amm.account) == 10 * WAD
    assert m.amm.get_sum_xy("alice") == (0, 10 * WAD)
    h = m.controller.health("alice")
    assert 0 < h < WAD // 20  # 9% loan discount vs 6% liquidation discount
    assert m.controller.total_debt() == debt
    assert errors(chain, m) == []


def test_create_loan__bad_inputs__refused_state_unchanged() -> None:
    chain, m = make()
    chain.ledger.mint("ETH", "bob", 10 * WAD)
    ctl = m.controller
    assert_refused(
        chain, InvalidInput, "llamma/bad-bands", ctl.create_loan, WAD, WAD, 3, sender="bob"
    )
    assert_refused(
        chain, InvalidInput, "llamma/bad-bands", ctl.create_loan, WAD, WAD, 51, sender="bob"
    )
    assert_refused(
        chain, Unsafe, "llamma/debt-too-high", ctl.create_loan, WAD, 3000 * WAD, 10, sender="bob"
    )
    assert_refused(
        chain, InvalidInput, "llamma/bad-amount", ctl.create_loan, 0, WAD, 10, sender="bob"
    )
    assert_refused(
        chain,
        InvalidInput,
        "ledger/insufficient-balance",
        ctl.create_loan,
        11 * WAD,
        WAD,
        10,
        sender="bob",
    )
    ctl.create_loan(WAD, 1000 * WAD, 10, sender="bob")
    assert_refused(
        chain, InvalidInput, "llamma/loan-exists", ctl.create_loan, WAD, WAD, 10, sender="bob"
    )


def test_exchange__price_falls_then_recovers__soft_liquidation_both_ways() -> None:
    chain, m = make()
    debt = loan(chain, m, "alice", 10)
    x_down0 = m.amm.get_x_down("alice")
    p = 3010 * WAD
    while p > 2850 * WAD:  # 0.2% steps down into the bands
        p = p * 998 // 1000
        arbitrage_to(chain, m, p)
        assert errors(chain, m) == []
    x, y = m.amm.get_sum_xy("alice")
    assert x > 0 and 0 < y < 10 * WAD  # part sold for stablecoin: soft liquidation
    assert m.controller.health("alice") > 0  # still healthy at the bottom
    while p < 3100 * WAD:
        p = p * 1002 // 1000
        arbitrage_to(chain, m, p)
    x, y = m.amm.get_sum_xy("alice")
    assert x < 10**6 and 9.9 * WAD < y < 10.1 * WAD  # bought back (wei of dust left)
    # this arbitrageur trades to the oracle exactly, paying the 0.6% fee into the bands
    assert abs(1 - m.amm.get_x_down("alice") / x_down0) < 0.01
    assert m.controller.debt("alice") == debt


def test_exchange__bad_inputs__refused_state_unchanged() -> None:
    chain, m = make()
    loan(chain, m, "alice", 10)
    chain.advance(600)
    m.oracle.set_price(2950 * WAD, sender=ORACLE)
    amm = m.amm
    assert_refused(
        chain, InvalidInput, "llamma/wrong-index", amm.exchange, 0, 0, WAD, 0, sender="arb"
    )
    assert_refused(
        chain, InvalidInput, "llamma/bad-amount", amm.exchange, 0, 1, -1, 0, sender="arb"
    )
    out = amm.get_dxdy(0, 1, 1000 * WAD)[1]
    assert out > 0
    assert_refused(
        chain, Slippage, "llamma/slippage", amm.exchange, 0, 1, 1000 * WAD, out + 1, sender="arb"
    )
    assert_refused(
        chain,
        InvalidInput,
        "ledger/insufficient-balance",
        amm.exchange,
        0,
        1,
        1000 * WAD,
        0,
        sender="pauper",
    )
    assert amm.exchange(0, 1, 1000 * WAD, out, sender="arb") == (1000 * WAD, out)


def test_oracle__limited_move__dynamic_fee_and_refusals() -> None:
    chain, m = make()
    chain.advance(30)
    m.oracle.set_price(2000 * WAD, sender=ORACLE)  # -33% within the 2-minute window
    p_limited = m.amm.price_oracle()
    # the limiter's memory is the price at creation (3000): at most a 1.25x move from it
    assert p_limited == 3000 * WAD * WAD // (125 * 10**16)
    assert m.amm.dynamic_fee() > m.amm.state.fee_wad
    assert_refused(chain, NotAuthorized, "llamma/not-oracle", m.oracle.set_price, WAD, sender="x")
    assert_refused(chain, StalePrice, "llamma/bad-price", m.oracle.set_price, 0, sender=ORACLE)


def test_liquidate__healthy__refused_then_negative_health__liquidator_repays() -> None:
    chain, m = make()
    debt = loan(chain, m, "alice", 10)
    ctl = m.controller
    assert_refused(chain, Unsafe, "llamma/not-rekt", ctl.liquidate, "alice", 0, WAD, sender="liq")
    for _ in range(40):  # 5% swings inside the bands: each round trip loses to arbitrage
        if ctl.health("alice", True) < 0:
            break
        arbitrage_to(chain, m, 2960 * WAD)
        arbitrage_to(chain, m, 2800 * WAD)
    assert ctl.health("alice", True) < 0
    x, y = m.amm.get_sum_xy("alice")
    assert x < debt  # the bands' stablecoin does not cover the debt: the liquidator adds some
    chain.ledger.mint("crvUSD", "liq", debt)
    assert_refused(
        chain, Slippage, "llamma/slippage", ctl.liquidate, "alice", x + 1, WAD, sender="liq"
    )
    before = chain.ledger.balance_of("crvUSD", "liq")
    ctl.liquidate("alice", x, WAD, sender="liq")
    assert before - chain.ledger.balance_of("crvUSD", "liq") == debt - x
    assert chain.ledger.balance_of("ETH", "liq") == y
    assert not ctl.loan_exists("alice") and ctl.total_debt() == 0
    assert chain.ledger.total_supply("crvUSD") == 10**8 * WAD + debt  # minted debt burnt back
    assert errors(chain, m) == []


def test_repay__full_in_soft_liquidation__owner_gets_bands_coins() -> None:
    chain, m = make()
    debt = loan(chain, m, "alice", 10)
    arbitrage_to(chain, m, 2950 * WAD)
    x, y = m.amm.get_sum_xy("alice")
    assert x > 0 and y > 0
    ctl = m.controller
    chain.ledger.mint("crvUSD", "bob", debt)
    assert_refused(chain, NotAuthorized, "llamma/not-owner", ctl.repay, debt, "alice", sender="bob")
    ctl.repay(2 * debt, "alice", sender="alice")  # more than owed: repays the debt only
    assert chain.ledger.balance_of("crvUSD", "alice") == x
    assert chain.ledger.balance_of("ETH", "alice") == y
    assert not ctl.loan_exists("alice")
    assert errors(chain, m) == []


def test_repay__partial_above_bands__loan_moves_up() -> None:
    chain, m = make()
    debt = loan(chain, m, "alice", 10, frac=90)
    n1, _ = m.amm.read_user_tick_numbers("alice")
    m.controller.repay(debt // 2, "alice", sender="alice")
    assert m.amm.read_user_tick_numbers("alice")[0] > n1  # less debt: bands lower in price
    assert m.controller.debt("alice") == debt - debt // 2
    assert_refused(
        chain, InvalidInput, "llamma/no-loan", m.controller.repay, WAD, "bob", sender="alice"
    )


def test_interest__rate_set__debt_and_base_price_grow() -> None:
    chain, m = make()
    assert_refused(chain, NotAuthorized, "llamma/not-admin", m.controller.set_rate, 1, sender="x")
    rate = 3_170_979_198  # ~10% a year per second, wad
    m.controller.set_rate(rate, sender="admin")  # applied by the next loan action
    assert m.amm.state.rate_wad == 0
    debt = loan(chain, m, "alice", 10, frac=80)
    assert m.amm.state.rate_wad == rate
    base = m.amm.get_base_price()
    chain.advance(365 * 86_400)
    assert m.controller.debt("alice") / debt == pytest.approx(1.1, rel=1e-3)
    assert m.amm.get_base_price() / base == pytest.approx(1.1, rel=1e-3)


def test_add_and_remove_collateral__outside_soft_liquidation__health_moves() -> None:
    chain, m = make()
    loan(chain, m, "alice", 10, frac=90)
    h0 = m.controller.health("alice")
    chain.ledger.mint("ETH", "alice", 5 * WAD)
    m.controller.add_collateral(5 * WAD, "alice", sender="alice")
    assert m.controller.health("alice") > h0
    m.controller.remove_collateral(5 * WAD, sender="alice")
    assert m.controller.health("alice") == pytest.approx(h0, abs=WAD // 10**6)
    assert_refused(
        chain,
        Unsafe,
        "llamma/debt-too-high",
        m.controller.remove_collateral,
        5 * WAD,
        sender="alice",
    )
    assert errors(chain, m) == []


def test_exchange_dy__exact_out__quote_matches_and_max_in_refused() -> None:
    chain, m = make()
    loan(chain, m, "alice", 10)
    chain.advance(600)
    m.oracle.set_price(2950 * WAD, sender=ORACLE)
    amm = m.amm
    out, need = amm.get_dydx(0, 1, WAD // 10)  # buy 0.1 ETH from the bands
    assert out == WAD // 10 and need > 0
    assert_refused(
        chain, Slippage, "llamma/slippage", amm.exchange_dy, 0, 1, WAD // 10, need - 1, sender="arb"
    )
    assert amm.exchange_dy(0, 1, WAD // 10, need, sender="arb") == (need, WAD // 10)
    assert errors(chain, m) == []
