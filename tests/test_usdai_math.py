"""Loan-router rate models, the liquidation waterfall and the allocation policy: the vectors of
docs/usdai.md §5 and §6, and properties."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from peglab.errors import InvalidInput
from peglab.math.loan_rates import apr_to_rate, pow_int, repayment, waterfall
from peglab.protocols.usdai import AllocationPolicy
from peglab.units import DAY, WAD, YEAR

USD = WAD
R15 = apr_to_rate(15 * WAD // 100)


def schedule(model: str, principal: int, rate: int, interval: int, n: int) -> list[tuple[int, int]]:
    """Pay every interval on time from origination 0: [(principal, interest), ...]."""
    out = []
    b, deadline, maturity = principal, interval, n * interval
    while b:
        r = repayment(model, [principal], [rate], interval, 0, 0, b, deadline, maturity, deadline)  # type: ignore[arg-type]
        out.append((r.principal, r.interest))
        b -= r.principal
        deadline += r.intervals * interval
    return out


def test_amortised__10k_at_15pct_12_payments__902_58() -> None:
    pays = schedule("amortised", 10_000 * USD, R15, YEAR // 12, 12)
    assert len(pays) == 12
    assert round((pays[0][0] + pays[0][1]) / USD, 2) == 902.58
    assert all(abs(p + i - (pays[0][0] + pays[0][1])) < USD // 100 for p, i in pays[:-1])
    pays30 = schedule("amortised", 10_000 * USD, R15, 30 * DAY, 12)
    assert round((pays30[0][0] + pays30[0][1]) / USD, 2) == 901.61


def test_simple__rates_note_table__fixed_principal_falling_interest() -> None:
    pays = schedule("simple", 10_000 * USD, R15, YEAR // 12, 12)
    got = [round((p + i) / USD, 2) for p, i in pays]
    assert got[:3] == [958.33, 947.92, 937.50] and got[-1] == 843.75
    assert round(pays[0][1] / USD, 2) == 125.00


@pytest.mark.parametrize(("apr_pct", "payment_pct"), [(12, "3.31"), (15, "3.46"), (18, "3.60")])
def test_amortised__36_months__3_to_4_pct_of_principal(apr_pct: int, payment_pct: str) -> None:
    pays = schedule(
        "amortised", 100_000 * USD, apr_to_rate(apr_pct * WAD // 100), 30 * DAY, 36
    )  # D = 30 d
    assert f"{(pays[0][0] + pays[0][1]) / (1_000 * USD):.2f}" == payment_pct


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(["simple", "amortised"]),
    st.integers(10**6, 10**26),
    st.integers(1, 3 * 10**9),  # up to ~9.5% per year... x ~10 below
    st.integers(1, 48),
)
def test_schedule__paid_on_time__ends_at_zero_on_maturity(
    model: str, principal: int, rate: int, n: int
) -> None:
    pays = schedule(model, principal, rate * 10, 30 * DAY, n)
    assert len(pays) == n
    assert sum(p for p, _ in pays) == principal


def test_tranche_split__pari_passu__sums_exact_remainder_to_tranche_0() -> None:
    amounts, rates = (
        [420_000 * USD + 1, 210_000 * USD, 70_000 * USD + 7],
        [apr_to_rate(WAD // 10), apr_to_rate(14 * WAD // 100), apr_to_rate(WAD // 5)],
    )
    r = repayment(
        "amortised", amounts, rates, 30 * DAY, 0, 0, sum(amounts), 30 * DAY, 36 * 30 * DAY, 30 * DAY
    )
    assert sum(r.tranche_principals) == r.principal and sum(r.tranche_interests) == r.interest
    w = [a * x for a, x in zip(amounts, rates)]
    for k in (1, 2):
        assert r.tranche_interests[k] == r.interest * w[k] // sum(w)
        assert r.tranche_principals[k] == r.principal * amounts[k] // sum(amounts)


def test_repayment__late__due_intervals_and_grace_on_balance() -> None:
    d = 30 * DAY
    g = apr_to_rate(WAD // 20)
    on_time = repayment("simple", [USD * 1200], [R15], d, g, 10 * DAY, USD * 1200, d, 12 * d, d)
    late = repayment(
        "simple", [USD * 1200], [R15], d, g, 10 * DAY, USD * 1200, d, 12 * d, d + d + 5
    )
    assert (on_time.intervals, late.intervals) == (1, 2)
    assert late.principal == 2 * on_time.principal
    grace = USD * 1200 * g * (10 * DAY) // WAD  # capped at the grace duration
    assert (
        late.interest
        == on_time.interest + (USD * 1200 - on_time.principal) * R15 * d // WAD + grace
    )
    very_late = repayment(
        "simple", [USD * 1200], [R15], d, g, 10 * DAY, USD * 1200, d, 12 * d, 100 * d
    )
    assert very_late.intervals == 12 and very_late.principal == USD * 1200


def test_pow_int__iterated_floor_products() -> None:
    assert pow_int(2 * WAD, 10) == 1024 * WAD and pow_int(0, 3) == 0 and pow_int(5, 0) == WAD
    x = WAD + WAD // 3
    assert pow_int(x, 3) == (x * x // WAD) * x // WAD


def test_waterfall__spec_examples() -> None:
    owed_p = [420_000 * USD, 210_000 * USD, 70_000 * USD]
    owed_i = [3_452 * USD, 2_416 * USD, 1_151 * USD]
    w = waterfall(650_000 * USD, owed_p, owed_i, 500)
    assert (w.fee, w.principals, w.interests, w.surplus) == (
        32_500 * USD, (420_000 * USD, 197_500 * USD, 0), (0, 0, 0), 0)  # fmt: skip
    w = waterfall(760_000 * USD, owed_p, owed_i, 500)
    assert w.fee == 38_000 * USD and sum(w.principals) == 700_000 * USD
    assert sum(w.interests) == 7_019 * USD and w.surplus == 14_981 * USD


@settings(max_examples=200)
@given(
    st.integers(0, 10**24),
    st.lists(st.tuples(st.integers(0, 10**23), st.integers(0, 10**21)), min_size=1, max_size=32),
    st.integers(0, 10_000),
)
def test_waterfall__any_proceeds__seniority_and_conservation(
    proceeds: int, claims: list[tuple[int, int]], fee_bps: int
) -> None:
    p, i = [c[0] for c in claims], [c[1] for c in claims]
    w = waterfall(proceeds, p, i, fee_bps)
    assert w.fee + w.to_lenders + w.surplus == proceeds
    for k in range(len(p)):  # a junior tranche is paid only once every senior one is whole
        if w.principals[k] and k:
            assert all(w.principals[j] == p[j] for j in range(k))
        if w.interests[k]:
            assert w.principals == tuple(p) and all(w.interests[j] == i[j] for j in range(k))
    if w.surplus:
        assert w.principals == tuple(p) and w.interests == tuple(i)


def test_allocation__unity_stage__cap_and_liquidity_floor() -> None:
    p = AllocationPolicy(stage="unity")
    nav = 100_000_000 * USD
    assert p.max_new_loan(nav, 0, 100_000_000 * USD, 0) == 30_000_000 * USD  # u_max binds
    assert p.max_new_loan(nav, 25_000_000 * USD, 75_000_000 * USD, 0) == 5_000_000 * USD
    assert p.max_new_loan(nav, 0, 55_000_000 * USD, 0) == 5_000_000 * USD  # floor 50% binds
    assert (
        p.max_new_loan(nav, 0, 70_000_000 * USD, 68_000_000 * USD) == 2_000_000 * USD
    )  # redemptions
    assert AllocationPolicy(stage="genesis").max_new_loan(nav, 0, nav, 0) == 0
    assert (p.onboarding_delay(0), p.onboarding_delay(WAD)) == (14 * DAY, 60 * DAY)
    with pytest.raises(InvalidInput, match="usdai/bad-draw"):
        p.onboarding_delay(WAD + 1)
    with pytest.raises(InvalidInput, match="usdai/bad-stage"):
        AllocationPolicy(stage="moon")  # type: ignore[arg-type]


def test_apr_to_rate__floor_per_second() -> None:
    assert apr_to_rate(15 * WAD // 100) == 15 * WAD // 100 // YEAR
    assert Fraction(apr_to_rate(WAD), 1) * YEAR <= WAD
