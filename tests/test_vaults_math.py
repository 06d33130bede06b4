"""ERC-4626 share math: the formulas against a Fraction restatement, preview directions, max
rules, and the inflation-attack table of docs/vaults.md §1.1."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from peglab.math import erc4626 as m
from peglab.units import MAX_UINT256

amounts = st.integers(0, 10**30)
offsets = st.integers(0, 9)


@settings(max_examples=300)
@given(amounts, amounts, amounts, offsets, st.booleans())
def test_to_shares__any_input__is_rounded_exact_ratio(
    a: int, s: int, t: int, o: int, up: bool
) -> None:
    exact = Fraction(a * (s + 10**o), t + 1)
    assert m.to_shares(a, s, t, o, up) == (math.ceil(exact) if up else math.floor(exact))
    exact_a = Fraction(a * (t + 1), s + 10**o)
    assert m.to_assets(a, s, t, o, up) == (math.ceil(exact_a) if up else math.floor(exact_a))


@settings(max_examples=300)
@given(amounts, amounts, amounts, offsets)
def test_previews__any_state__round_toward_vault(x: int, s: int, t: int, o: int) -> None:
    assert (
        m.preview_deposit(x, s, t, o)
        <= Fraction(x * (s + 10**o), t + 1)
        <= m.preview_withdraw(x, s, t, o)
    )
    assert (
        m.preview_redeem(x, s, t, o)
        <= Fraction(x * (t + 1), s + 10**o)
        <= m.preview_mint(x, s, t, o)
    )


@settings(max_examples=300)
@given(amounts, amounts, amounts, offsets)
def test_round_trip__deposit_then_redeem__never_profits(a: int, s: int, t: int, o: int) -> None:
    sh = m.preview_deposit(a, s, t, o)
    assert m.preview_redeem(sh, s + sh, t + a, o) <= a
    cost = m.preview_mint(a, s, t, o)  # mint a shares, then redeem them
    assert m.preview_redeem(a, s + a, t + cost, o) <= cost


@settings(max_examples=300)
@given(amounts, amounts, amounts, offsets, amounts)
def test_max_redeem__limited_liquidity__largest_payable(
    b: int, s: int, t: int, o: int, liq: int
) -> None:
    r = m.max_redeem(b, s, t, o, liq)
    assert 0 <= r <= b
    assert m.preview_redeem(r, s, t, o) <= liq
    if r < b:
        assert m.preview_redeem(r + 1, s, t, o) > liq
    assert m.max_withdraw(b, s, t, o, liq) == min(m.preview_redeem(b, s, t, o), liq)


def test_max_deposit__paused_capped_open() -> None:
    assert m.max_deposit(True, None, 5) == 0
    assert m.max_deposit(False, None, 5) == MAX_UINT256
    assert m.max_deposit(False, 100, 30) == 70
    assert m.max_deposit(False, 100, 130) == 0


USDC = 10**6


@pytest.mark.parametrize(
    ("offset", "victim_shares", "attacker_pnl", "victim_loss"),
    [
        (None, 0, 10_000 * USDC, 10_000 * USDC),  # naive a*S/A: the victim loses everything
        (0, 1, -3_333_333_334, 3_333_333_333),  # virtual offset 0: the attack loses money
        (6, 1_999_999, -4_999_998_751, 2_499),  # offset 6: victim loses 0.002499 USDC
    ],
)
def test_inflation_attack__table__matches_spec(
    offset: int | None, victim_shares: int, attacker_pnl: int, victim_loss: int
) -> None:
    out = m.inflation_attack(1, 10_000 * USDC, 10_000 * USDC, offset)
    assert (out.victim_shares, out.attacker_pnl, out.victim_loss) == (
        victim_shares,
        attacker_pnl,
        victim_loss,
    )


@settings(max_examples=300)
@given(st.integers(1, 10**12), st.integers(1, 10**12), st.integers(0, 6))
def test_inflation_attack__virtual_offset__attacker_never_profits(d: int, v: int, o: int) -> None:
    out = m.inflation_attack(1, d, v, o)
    assert out.attacker_pnl <= 0
    # a victim who gets shares (peglab refuses a zero-share deposit) loses at most about one
    # share's worth to rounding: the more virtual shares, the smaller that share
    if out.victim_shares:
        assert out.victim_loss <= v // out.victim_shares + 1
