"""The credit vaults' realised yield is capital-weighted (peglab.sim.gpu_credit.realised_yield,
docs/gaib.md §5 "Realised yield"): a vault drained to dust whose NAV per share explodes cannot
blow it up, and with constant shares it is the NAV growth annualised."""

from __future__ import annotations

import numpy as np
import pytest

from peglab.sim.gpu_credit import YEAR_DAYS, realised_yield

DAYS = 360


def _steady(g: float, days: int = DAYS) -> np.ndarray:
    return (1.0 + g) ** np.arange(days + 1)


def test_realised_yield__constant_shares_steady_return__nav_growth_annualised() -> None:
    nav = _steady(0.0003, 2 * DAYS)
    shares = np.full(nav.size, 1e7)
    y = float(realised_yield(nav, shares))
    assert y == pytest.approx(1.0003**YEAR_DAYS - 1.0, rel=1e-9)
    assert y == pytest.approx(nav[-1] ** (1 / 2) - 1.0, rel=1e-9)  # the per-share definition


def _drained() -> tuple[np.ndarray, np.ndarray]:
    """90 days of 10M shares at 0.03%/day; on day 91 all but 10 shares exit at that day's exit
    price (fills come after the day's income, as in both designs), then $100k of income a
    month keeps arriving: the dust's NAV per share explodes."""
    nav = list(_steady(0.0003, 90))
    shares = [1e7] * 91
    nav.append(nav[-1])
    shares.append(10.0)
    for _ in range(92, DAYS + 1):
        nav.append(nav[-1] + 100_000.0 / 30 / 10.0)
        shares.append(10.0)
    return np.array(nav), np.array(shares)


def test_realised_yield__vault_drained_to_dust__stays_bounded() -> None:
    nav, shares = _drained()
    per_share = nav[-1] ** (YEAR_DAYS / DAYS) - 1.0
    assert per_share > 1_000  # the canary: the NAV-growth yield explodes on these paths
    y = float(realised_yield(nav, shares))
    # the holders' income ($272k on 10M in 90 days, then $900k to the dust) over their capital
    # summed over the days (1,043M dollar-days: ~913M before the exit, the dust's after it):
    # r = 1.12e-3 a day, (1 + r)^360 - 1 = 49.8%
    assert y == pytest.approx(0.4976, abs=1e-3)


def test_realised_yield__loss_on_capital_then_recovery_on_dust__negative() -> None:
    nav = np.concatenate([np.linspace(1.0, 0.6, 91), [0.6], np.linspace(0.6, 1.5, DAYS - 90)[1:]])
    shares = np.concatenate([np.full(91, 1e7), np.full(DAYS - 90, 100.0)])  # exit on day 91
    assert nav[-1] > 1.0  # one share held throughout gained 50%
    assert float(realised_yield(nav, shares)) < -0.3  # the holders' capital lost 40%


def test_realised_yield__batch__each_row_as_alone() -> None:
    rows = [_drained(), (_steady(0.0001), np.full(DAYS + 1, 5.0))]
    both = realised_yield(np.stack([r[0] for r in rows]), np.stack([r[1] for r in rows]))
    assert both.shape == (2,)
    for k, (nav, shares) in enumerate(rows):
        assert both[k] == float(realised_yield(nav, shares))


def test_realised_yield__no_capital__zero() -> None:
    assert float(realised_yield(np.ones(10), np.zeros(10))) == 0.0
