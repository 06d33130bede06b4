"""Lending markets: accrual against the rate math, caps, cash limits, health, and every refusal."""

from __future__ import annotations

from typing import Any

import pytest
from support.lending import USDC, check_solvent, make_market

from peglab.errors import InvalidInput, LimitExceeded, NotAuthorized, ShutDown, Unsafe
from peglab.math.rates import (
    aave_compounded_interest,
    aave_interest_rates,
    aave_linear_interest,
    compound_accrue,
    compound_borrow_rate,
    ray_mul,
)
from peglab.protocols.lending import AAVE_USDC, COMPOUND_USDC, AaveMarket, CompoundMarket
from peglab.testing import assert_refused, boundary_code
from peglab.units import DAY, RAY, WAD, YEAR

STYLES = ["aave", "compound"]


def _borrowed(style: str, supply: int = 1_000_000, borrow: int = 800_000, **kw: Any) -> Any:
    chain, m = make_market(style, **kw)
    m.supply(supply * USDC, sender="alice")
    m.deposit_collateral(1_000 * WAD, sender="carol")
    m.borrow(borrow * USDC, sender="carol")
    return chain, m


def test_aave_accrue__one_day__indexes_follow_the_v3_formulas() -> None:
    chain, m = _borrowed("aave")
    assert isinstance(m, AaveMarket)
    r = m.reserve
    li0, bi0, lr, br = r.liquidity_index, r.borrow_index, r.liquidity_rate, r.borrow_rate
    assert (lr, br) == aave_interest_rates(AAVE_USDC, 200_000 * USDC, 800_000 * USDC, 1000)
    chain.advance(DAY)
    m.accrue(sender="keeper")
    assert r.liquidity_index == ray_mul(aave_linear_interest(lr, DAY), li0)
    assert r.borrow_index == ray_mul(aave_compounded_interest(br, DAY), bi0)
    assert r.accrued_to_treasury > 0
    check_solvent(m)


def test_compound_accrue__one_day__totals_follow_accrue_interest() -> None:
    chain, m = _borrowed("compound")
    assert isinstance(m, CompoundMarket)
    s = m.state
    rate = compound_borrow_rate(COMPOUND_USDC, m.cash(), s.total_borrows, s.total_reserves)
    expected = compound_accrue(
        rate, DAY, s.total_borrows, s.total_reserves, s.borrow_index, WAD // 10
    )
    chain.advance(DAY)
    m.accrue(sender="keeper")
    assert (s.total_borrows, s.total_reserves, s.borrow_index) == expected
    check_solvent(m)


@pytest.mark.parametrize("style", STYLES)
def test_supply__one_year_at_80pct__earns_about_the_supply_rate(style: str) -> None:
    chain, m = _borrowed(style)
    s_rate, b_rate = m.rates_ray()
    chain.advance(YEAR)
    earned = m.supply_balance("alice") - 1_000_000 * USDC
    assert earned == pytest.approx(1_000_000 * USDC * s_rate / RAY, rel=0.05)
    assert m.debt_of("carol") - 800_000 * USDC == pytest.approx(
        800_000 * USDC * b_rate / RAY, rel=0.08
    )
    m.repay(m.debt_of("carol"), sender="carol")
    assert m.debt_of("carol") == 0
    m.withdraw(m.max_withdraw("alice"), sender="alice")
    check_solvent(m)
    assert m.cash() >= 0


@pytest.mark.parametrize("style", STYLES)
def test_withdraw__above_cash__refused_limited_by_cash(style: str) -> None:
    chain, m = _borrowed(style, borrow=900_000)
    chain.advance(DAY)
    assert m.max_withdraw("alice") == m.cash() < m.supply_balance("alice")
    assert_refused(
        chain, LimitExceeded, "lending/insufficient-cash", m.withdraw, m.cash() + 1, sender="alice"
    )
    m.withdraw(m.cash(), sender="alice")
    assert m.cash() == 0


@pytest.mark.parametrize("style", STYLES)
def test_borrow__above_utilisation_cap__refused(style: str) -> None:
    chain, m = _borrowed(style, borrow=800_000, max_utilisation_bps=9000)
    assert_refused(
        chain, LimitExceeded, "lending/utilisation-cap", m.borrow, 100_001 * USDC, sender="carol"
    )
    m.borrow(99_000 * USDC, sender="carol")


@pytest.mark.parametrize("style", STYLES)
def test_caps__supply_and_borrow_caps__refused(style: str) -> None:
    chain, m = _borrowed(style, supply_cap=1_500_000 * USDC, borrow_cap=850_000 * USDC)
    assert_refused(
        chain, LimitExceeded, "lending/supply-cap", m.supply, 500_001 * USDC, sender="bob"
    )
    assert_refused(
        chain, LimitExceeded, "lending/borrow-cap", m.borrow, 50_001 * USDC, sender="carol"
    )


@pytest.mark.parametrize("style", STYLES)
def test_borrow__beyond_ltv__refused_unhealthy(style: str) -> None:
    chain, m = make_market(style)
    m.supply(5_000_000 * USDC, sender="alice")
    m.deposit_collateral(WAD, sender="carol")  # 2,000 USDC of value, 75% LTV
    assert_refused(chain, Unsafe, "lending/unhealthy", m.borrow, 1_500 * USDC + 1, sender="carol")
    m.borrow(1_500 * USDC, sender="carol")
    assert_refused(chain, Unsafe, "lending/unhealthy", m.withdraw_collateral, 1, sender="carol")
    m.set_collateral_price(1_000 * WAD, sender="gov")
    assert not m.is_healthy("carol")


@pytest.mark.parametrize("style", STYLES)
def test_rates__own_supply__lowers_the_supply_rate(style: str) -> None:
    _, m = _borrowed(style)
    r0 = m.rates_ray()[0]
    r1 = m.rates_ray(supply_delta=1_000_000 * USDC)[0]
    r2 = m.rates_ray(supply_delta=-100_000 * USDC)[0]
    assert r2 > r0 > r1 > 0


def test_reserve_factor__treasury__receives_its_share() -> None:
    chain, m = _borrowed("aave")
    assert isinstance(m, AaveMarket)
    d0 = m.total_debt()
    chain.advance(30 * DAY)
    interest = m.total_debt() - d0
    scaled = m.mint_to_treasury(sender="anyone")
    assert m.supply_balance("treasury") == pytest.approx(interest * 0.10, rel=1e-6)
    assert scaled > 0 and m.reserve.accrued_to_treasury == 0
    check_solvent(m)


def test_compound_reserve_factor__reserves__grow_by_factor_of_interest() -> None:
    chain, m = _borrowed("compound", reserve_factor_bps=2500)
    assert isinstance(m, CompoundMarket)
    d0 = m.total_debt()
    chain.advance(30 * DAY)
    m.accrue(sender="k")
    assert m.total_reserves() == (m.total_debt() - d0) * 2500 // 10_000


@pytest.mark.parametrize("style", STYLES)
def test_reads__any_time__never_mutate(style: str) -> None:
    chain, m = _borrowed(style)
    chain.advance(DAY)
    h = chain.state_hash()
    m.supply_balance("alice"), m.debt_of("carol"), m.rates_ray(), m.utilisation_wad()
    m.total_supplied(), m.max_withdraw("alice"), m.total_debt()
    assert chain.state_hash() == h


@pytest.mark.parametrize("style", STYLES)
def test_actions__bad_input__typed_error_state_unchanged(style: str) -> None:
    chain, m = _borrowed(style)
    for bad in (0, -1, 1.5, True, "1", 2**256):
        code = boundary_code(bad, "lending/bad-amount")  # the action boundary, then the body
        for fn in (
            m.supply,
            m.withdraw,
            m.borrow,
            m.repay,
            m.deposit_collateral,
            m.withdraw_collateral,
        ):
            assert_refused(chain, InvalidInput, code, fn, bad, sender="carol")
    assert_refused(chain, InvalidInput, "lending/exceeds-balance", m.withdraw, 1, sender="bob")
    assert_refused(chain, InvalidInput, "lending/no-debt", m.repay, 1, sender="bob")
    assert_refused(
        chain, InvalidInput, "lending/exceeds-collateral", m.withdraw_collateral, 1, sender="bob"
    )
    assert_refused(
        chain, InvalidInput, "lending/bad-account", m.supply, 5, sender="a", on_behalf=""
    )
    assert_refused(
        chain, InvalidInput, "lending/bad-account", m.withdraw, 5, sender="alice", to=m.account
    )
    assert_refused(
        chain, InvalidInput, "ledger/insufficient-balance", m.supply, 10**20, sender="bob"
    )
    assert_refused(chain, NotAuthorized, "lending/not-admin", m.file, "ltv_bps", 1, sender="bob")
    assert_refused(chain, InvalidInput, "lending/unknown-param", m.file, "nope", 1, sender="gov")
    assert_refused(
        chain, InvalidInput, "lending/bad-param", m.file, "ltv_bps", 10_000, sender="gov"
    )
    assert_refused(
        chain, NotAuthorized, "lending/not-oracle", m.set_collateral_price, WAD, sender="bob"
    )
    assert_refused(
        chain, InvalidInput, "lending/bad-price", m.set_collateral_price, 0, sender="gov"
    )
    m.file("paused", 1, sender="gov")
    assert_refused(chain, ShutDown, "lending/paused", m.supply, USDC, sender="bob")
    assert_refused(chain, ShutDown, "lending/paused", m.borrow, USDC, sender="carol")
    m.withdraw(USDC, sender="alice")  # exits stay open while paused
    m.repay(USDC, sender="carol")


def test_supply__dust_after_donation__refused_zero_units() -> None:
    chain, m = make_market("compound")
    assert m.supply(1, sender="alice") == 5000  # 0.02 USDC per cToken of 8 decimals
    chain.ledger.transfer("USDC", "bob", m.account, 1_000_000 * USDC)  # donation inflates the rate
    assert_refused(chain, InvalidInput, "lending/zero-units", m.supply, 1, sender="bob")


@pytest.mark.parametrize("style", STYLES)
def test_events__each_action__emits_one_typed_event(style: str) -> None:
    chain, m = _borrowed(style)
    n = len(chain.log)
    m.accrue(sender="k")
    m.repay(USDC, sender="carol")
    m.withdraw(USDC, sender="alice")
    kinds = [e.event.kind for e in chain.log[n:]]
    assert kinds == ["lending/accrue", "lending/repay", "lending/withdraw"]


def test_market__bad_construction__refused() -> None:
    chain, _ = make_market("aave")
    with pytest.raises(InvalidInput, match="lending/bad-collateral"):
        AaveMarket(chain, "x", "USDC", "USDC", AAVE_USDC)
    with pytest.raises(InvalidInput, match="lending/bad-model"):
        AaveMarket(chain, "x", "USDC", "WETH", COMPOUND_USDC)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="lending/bad-model"):
        CompoundMarket(chain, "y", "USDC", "WETH", AAVE_USDC)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="lending/bad-param"):
        AaveMarket(chain, "z", "USDC", "WETH", AAVE_USDC, ltv_bps=10_000)
