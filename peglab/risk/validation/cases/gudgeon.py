"""V6: depth limits (Gudgeon et al. 2020) on an exact-integer stylised book (docs/validation.md §6).

One aggregate ETH position at 150% collateralisation; each day the ETH price falls by a constant
fraction ``r`` and the protocol sells at most 30,000 ETH (no impact) to repay debt. The book is
under water on the first day its remaining collateral is worth less than its remaining debt.
``r`` is **fitted on the 400M book** (the smallest whole basis-point daily decline that puts it
under water by day 19); the 100M book and the threshold between them are out of sample.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ....units import BPS, WAD
from ..core import Value

__all__ = ["NAME", "days_to_underwater", "fit_decline_bps", "run"]

NAME = "gudgeon-depth"
P0_WAD = 250 * WAD  # [P] ETH before the 12 March 2020 crash (Black Thursday reports)
SELL_PER_DAY_WAD = 30_000 * WAD  # [P] docs/validation.md §6
COLL_RATIO_BPS = 15_000  # [O] 150%
HORIZON_DAYS = 365
FIT_DEBT, FIT_DAYS = 400_000_000, 19  # [P] the fitted target


def days_to_underwater(debt_usd: int, decline_bps: int, horizon: int = HORIZON_DAYS) -> int | None:
    """First day the book is under water (None: never within ``horizon``); exact wad integers.

    Rounding: the price and the sale proceeds floor (the book is never made to look richer).
    """
    debt = debt_usd * WAD
    coll = debt * COLL_RATIO_BPS // BPS * WAD // P0_WAD  # ETH (wad)
    price = P0_WAD
    for day in range(1, horizon + 1):
        price = price * (BPS - decline_bps) // BPS
        sold = min(SELL_PER_DAY_WAD, coll)
        coll -= sold
        debt -= sold * price // WAD
        if debt <= 0:
            return None  # fully repaid
        if coll * price // WAD < debt:
            return day
    return None


def fit_decline_bps() -> int:
    """Smallest daily decline (whole bps) that puts the 400M book under water by day 19."""
    for bps in range(1, 2000):
        d = days_to_underwater(FIT_DEBT, bps)
        if d is not None and d <= FIT_DAYS:
            return bps
    raise ValueError("no decline under 20%/day reaches the fitted target")


def run(draw: int, seed: np.random.SeedSequence) -> Mapping[str, Value]:
    """The deterministic case (``draw`` and ``seed`` unused)."""
    r = fit_decline_bps()
    big = days_to_underwater(FIT_DEBT, r)
    small = days_to_underwater(100_000_000, r)
    # the smallest book (in 10M steps) that goes under water: the threshold
    threshold = next(
        (d for d in range(10_000_000, 400_000_001, 10_000_000) if days_to_underwater(d, r)),
        None,
    )
    return {
        "decline_bps_fitted": float(r),
        "days_400m": float(big) if big is not None else float("inf"),
        "small_never": small is None,
        "threshold_musd": (threshold or 0) / 1e6,
    }
