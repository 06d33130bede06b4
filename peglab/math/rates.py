"""Lending interest-rate models and index accrual: Aave v3's kinked model and Compound's jump rate.

Aave v3 (``DefaultReserveInterestRateStrategy`` of aave-v3-core, variable debt only; rates are
annual, in ray). With ``WadRayMath`` rounding half up (``ray_mul``, ``ray_div``) and
``PercentageMath.percentMul`` half up::

    U        = ray_div(debt, available + debt)                      (0 if debt == 0)
    borrow   = base + ray_div(ray_mul(s1, U), U_opt)                 if U <= U_opt
             = base + s1 + ray_mul(s2, ray_div(U - U_opt, RAY - U_opt))  otherwise
    overall  = ray_div(ray_mul(debt * 1e9, borrow), debt * 1e9)     (debt-weighted; = borrow ± 1)
    supply   = percent_mul(ray_mul(overall, U), BPS - reserve_factor_bps)

Indexes (``ReserveLogic._updateIndexes``, ``MathUtils``), ``dt`` seconds, ``YEAR = 365 d``::

    linear(r, dt)      = RAY + r * dt // YEAR                          (supply side, floor)
    compounded(r, dt)  = RAY + r*dt//YEAR + dt(dt-1)·b2//2 + dt(dt-1)(dt-2)·b3//6
                         b2 = ray_mul(r, r) // YEAR² ;  b3 = ray_mul(b2, r) // YEAR
    liquidity_index'   = ray_mul(linear(supply, dt), liquidity_index)   (only if supply rate > 0)
    borrow_index'      = ray_mul(compounded(borrow, dt), borrow_index)  (only if debt exists)
    to_treasury        = percent_mul(debt·idx' - debt·idx, reserve_factor_bps)  (scaled: ray_div by liquidity_index')

Compound (``BaseJumpRateModelV2`` and ``CToken.accrueInterest``; rates per period, wad; one
period is a block or, as on per-second forks, a second)::

    U       = borrows * 1e18 // (cash + borrows - reserves)            (0 if borrows == 0)
    borrow  = U * mult // 1e18 + base                                   if U <= kink
            = kink * mult // 1e18 + base + (U - kink) * jump // 1e18    otherwise
    supply  = U * (borrow * (1e18 - reserve_factor) // 1e18) // 1e18
    per-period parameters from annual ones: base = base_y // n ; mult = mult_y * 1e18 // (n * kink) ;
                                            jump = jump_y // n          (n = periods per year)
    accrue: f = borrow * dt ; interest = f * borrows // 1e18 ; borrows += interest ;
            reserves += reserve_factor * interest // 1e18 ; index += f * index // 1e18

All results are the reference contracts' integers (differential tests against vectors produced by
an EVM run of a Solidity restatement: tools/gen_rate_vectors.py). The reference reverts where
these raise ``InvalidInput``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InvalidInput
from ..units import BPS, RAY, WAD, YEAR

__all__ = [
    "HALF_RAY",
    "SECONDS_PER_YEAR",
    "AaveRateParams",
    "JumpRateParams",
    "aave_accrue_to_treasury",
    "aave_compounded_interest",
    "aave_interest_rates",
    "aave_linear_interest",
    "aave_usage_ratio",
    "compound_accrue",
    "compound_borrow_rate",
    "compound_supply_rate",
    "compound_utilization",
    "percent_mul",
    "ray_div",
    "ray_mul",
]

SECONDS_PER_YEAR: int = YEAR
HALF_RAY: int = RAY // 2
_HALF_BPS = BPS // 2
_WAD_RAY_RATIO = RAY // WAD


# -- Aave WadRayMath / PercentageMath (half up, as the library) --------------------------------------
def ray_mul(a: int, b: int) -> int:
    """``(a * b + RAY/2) // RAY``: Aave ``rayMul``, half up."""
    return (a * b + HALF_RAY) // RAY


def ray_div(a: int, b: int) -> int:
    """``(a * RAY + b/2) // b``: Aave ``rayDiv``, half up; ``b`` must be positive."""
    if b <= 0:
        raise InvalidInput("math/division-by-zero", "ray_div by zero (the contract reverts)")
    return (a * RAY + b // 2) // b


def percent_mul(value: int, pct_bps: int) -> int:
    """``(value * pct + 5000) // 10000``: Aave ``percentMul``, half up."""
    return (value * pct_bps + _HALF_BPS) // BPS


@dataclass(frozen=True, slots=True)
class AaveRateParams:
    """Parameters of Aave v3's default strategy (annual rates and the kink, all ray)."""

    optimal_usage_ray: int
    base_rate_ray: int
    slope1_ray: int
    slope2_ray: int

    def __post_init__(self) -> None:
        for name in ("optimal_usage_ray", "base_rate_ray", "slope1_ray", "slope2_ray"):
            v = getattr(self, name)
            if type(v) is not int or v < 0:
                raise InvalidInput("rates/bad-param", f"{name} must be an int >= 0, got {v!r}")
        if not 0 < self.optimal_usage_ray < RAY:
            raise InvalidInput(
                "rates/bad-param",
                f"optimal usage must lie in (0, 1) ray, got {self.optimal_usage_ray}",
            )


def aave_usage_ratio(available: int, debt: int) -> int:
    """Borrow usage ratio ``ray_div(debt, available + debt)`` [ray]; 0 without debt."""
    if debt == 0:
        return 0
    return ray_div(debt, available + debt)


def aave_interest_rates(
    p: AaveRateParams, available: int, debt: int, reserve_factor_bps: int
) -> tuple[int, int]:
    """``(liquidity_rate_ray, variable_borrow_rate_ray)``, annual, as ``calculateInterestRates``."""
    u = aave_usage_ratio(available, debt)
    opt = p.optimal_usage_ray
    if u > opt:
        excess = ray_div(u - opt, RAY - opt)
        borrow = p.base_rate_ray + p.slope1_ray + ray_mul(p.slope2_ray, excess)
    else:
        borrow = p.base_rate_ray + ray_div(ray_mul(p.slope1_ray, u), opt)
    if debt == 0:
        return 0, borrow
    debt_ray = debt * _WAD_RAY_RATIO
    overall = ray_div(ray_mul(debt_ray, borrow), debt_ray)
    liquidity = percent_mul(ray_mul(overall, u), BPS - reserve_factor_bps)
    return liquidity, borrow


def aave_linear_interest(rate_ray: int, dt: int) -> int:
    """``RAY + rate * dt // YEAR``: the supply-side growth factor over ``dt`` seconds [ray]."""
    return RAY + rate_ray * dt // SECONDS_PER_YEAR


def aave_compounded_interest(rate_ray: int, dt: int) -> int:
    """Three-term binomial approximation of ``(1 + rate/YEAR)^dt`` (``MathUtils``), floors [ray]."""
    if dt == 0:
        return RAY
    dt_m1 = dt - 1
    dt_m2 = dt - 2 if dt > 2 else 0
    b2 = ray_mul(rate_ray, rate_ray) // (SECONDS_PER_YEAR * SECONDS_PER_YEAR)
    b3 = ray_mul(b2, rate_ray) // SECONDS_PER_YEAR
    second = dt * dt_m1 * b2 // 2
    third = dt * dt_m1 * dt_m2 * b3 // 6
    return RAY + rate_ray * dt // SECONDS_PER_YEAR + second + third


def aave_accrue_to_treasury(
    scaled_debt: int,
    borrow_index_old: int,
    borrow_index_new: int,
    liquidity_index_new: int,
    reserve_factor_bps: int,
) -> int:
    """Scaled aTokens owed to the treasury for the interest of one index update (``_accrueToTreasury``)."""
    accrued = ray_mul(scaled_debt, borrow_index_new) - ray_mul(scaled_debt, borrow_index_old)
    amount = percent_mul(accrued, reserve_factor_bps)
    if amount == 0:
        return 0
    return ray_div(amount, liquidity_index_new)


# -- Compound JumpRateModelV2 / CToken --------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class JumpRateParams:
    """Per-period parameters of Compound's jump-rate model (wad); build with ``from_annual``."""

    base_rate_wad: int
    multiplier_wad: int
    jump_multiplier_wad: int
    kink_wad: int

    def __post_init__(self) -> None:
        for name in ("base_rate_wad", "multiplier_wad", "jump_multiplier_wad", "kink_wad"):
            v = getattr(self, name)
            if type(v) is not int or v < 0:
                raise InvalidInput("rates/bad-param", f"{name} must be an int >= 0, got {v!r}")
        if self.kink_wad == 0:
            raise InvalidInput("rates/bad-param", "kink must be positive")

    @classmethod
    def from_annual(
        cls,
        base_per_year_wad: int,
        multiplier_per_year_wad: int,
        jump_per_year_wad: int,
        kink_wad: int,
        periods_per_year: int,
    ) -> JumpRateParams:
        """``updateJumpRateModelInternal``: floors, and the multiplier is divided by the kink."""
        if type(periods_per_year) is not int or periods_per_year <= 0:
            raise InvalidInput(
                "rates/bad-param", f"periods per year must be > 0: {periods_per_year!r}"
            )
        if type(kink_wad) is not int or kink_wad <= 0:
            raise InvalidInput("rates/bad-param", f"kink must be a positive int, got {kink_wad!r}")
        n = periods_per_year
        return cls(
            base_per_year_wad // n,
            multiplier_per_year_wad * WAD // (n * kink_wad),
            jump_per_year_wad // n,
            kink_wad,
        )


def compound_utilization(cash: int, borrows: int, reserves: int) -> int:
    """``borrows * 1e18 // (cash + borrows - reserves)`` [wad]; 0 without borrows."""
    if borrows == 0:
        return 0
    denom = cash + borrows - reserves
    if denom <= 0:
        raise InvalidInput("math/division-by-zero", "reserves exceed cash + borrows (reverts)")
    return borrows * WAD // denom


def compound_borrow_rate(p: JumpRateParams, cash: int, borrows: int, reserves: int) -> int:
    """Borrow rate per period [wad] (``getBorrowRate``)."""
    u = compound_utilization(cash, borrows, reserves)
    if u <= p.kink_wad:
        return u * p.multiplier_wad // WAD + p.base_rate_wad
    normal = p.kink_wad * p.multiplier_wad // WAD + p.base_rate_wad
    return (u - p.kink_wad) * p.jump_multiplier_wad // WAD + normal


def compound_supply_rate(
    p: JumpRateParams, cash: int, borrows: int, reserves: int, reserve_factor_wad: int
) -> int:
    """Supply rate per period [wad] (``getSupplyRate``)."""
    u = compound_utilization(cash, borrows, reserves)
    borrow = compound_borrow_rate(p, cash, borrows, reserves)
    to_pool = borrow * (WAD - reserve_factor_wad) // WAD
    return u * to_pool // WAD


def compound_accrue(
    borrow_rate_wad: int,
    dt: int,
    borrows: int,
    reserves: int,
    borrow_index: int,
    reserve_factor_wad: int,
) -> tuple[int, int, int]:
    """``(borrows', reserves', borrow_index')`` after ``dt`` periods of simple interest (floors)."""
    factor = borrow_rate_wad * dt
    interest = factor * borrows // WAD
    return (
        borrows + interest,
        reserves + reserve_factor_wad * interest // WAD,
        borrow_index + factor * borrow_index // WAD,
    )
