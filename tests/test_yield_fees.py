"""Lagoon-style fee take: the worked vector of docs/yield-vaults.md §2 and EVM vectors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from peglab.errors import InvalidInput
from peglab.math.lagoon import lagoon_fees

CASES = json.loads((Path(__file__).parent / "vectors" / "lagoon_fees.json").read_text())["cases"]
DAY = 86_400


def test_lagoon_fees__spec_vector__exact() -> None:
    f = lagoon_fees(1_050_000 * 10**6, 1_000_000 * 10**6, 10**6, 30 * DAY, 200, 2000, 1000, 6)
    assert f.management_assets == 1_726_027_398
    assert f.price_after_mgmt == 1_048_274
    assert f.performance_assets == 9_654_800_000
    assert f.manager_shares + f.protocol_shares == 10_957_651_947
    assert (f.protocol_shares, f.manager_shares) == (1_095_765_195, 9_861_886_752)
    assert f.high_water_mark == 1_038_619


def test_lagoon_fees__evm_vectors__bit_exact() -> None:
    assert len(CASES) > 300
    for c in CASES:
        f = lagoon_fees(*c["args"])
        got = [
            f.management_assets,
            f.performance_assets,
            f.price_after_mgmt,
            f.manager_shares,
            f.protocol_shares,
            f.high_water_mark,
        ]
        assert got == c["out"], c


@settings(max_examples=200, deadline=None)
@given(
    st.integers(10**6, 10**15),
    st.integers(10**6, 10**15),
    st.integers(0, 400 * DAY),
    st.integers(0, 1000),
    st.integers(0, 5000),
)
def test_lagoon_fees__any_valuation__fees_bounded_and_hwm_monotone(
    assets: int, supply: int, dt: int, mg: int, pf: int
) -> None:
    hwm = 10**6
    f = lagoon_fees(assets, supply, hwm, dt, mg, pf, 1000, 6)
    assert f.high_water_mark >= hwm
    assert f.protocol_shares <= f.manager_shares + f.protocol_shares
    if f.price_after_mgmt <= hwm:
        assert f.performance_assets == 0  # property 22: performance only above the mark
    # the fee shares are worth (about) the fees: the dilution is exactly compensated
    minted = f.manager_shares + f.protocol_shares
    worth = minted * (assets + 1) // (supply + minted + 1)
    fees = f.management_assets + f.performance_assets
    assert fees <= worth + 2 or f.manager_shares == 0
    year = 365 * DAY
    assert f.management_assets <= assets * mg * dt // (10_000 * year) + dt // year + 2


def test_lagoon_fees__rates_above_caps__refused() -> None:
    with pytest.raises(InvalidInput, match="vault/fee-above-max"):
        lagoon_fees(10**6, 10**6, 10**6, DAY, 1001, 0, 0, 6)
    with pytest.raises(InvalidInput, match="vault/fee-above-max"):
        lagoon_fees(10**6, 10**6, 10**6, DAY, 0, 5001, 0, 6)
    capped = lagoon_fees(2 * 10**6, 10**6, 10**6, DAY, 0, 2000, 9999, 6)
    assert capped.protocol_shares == -(
        -(capped.manager_shares + capped.protocol_shares) * 3000 // 10_000
    )
