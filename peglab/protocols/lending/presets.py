"""Rate-model presets shaped like the stablecoin markets the vaults allocate to (docs/lending.md).

Aave v3 USDC-like: U_opt 90%, base 0, slope1 4%, slope2 60% (the Ethereum v3 USDC strategy at
launch). Compound USDC-like: base 0, 4% at an 80% kink, jump 109% a year (the cUSDC
JumpRateModelV2 shape), per-second periods. Both are starting points, not current governance values.
"""

from __future__ import annotations

from ...math.rates import AaveRateParams, JumpRateParams
from ...units import RAY, WAD, YEAR

__all__ = ["AAVE_USDC", "COMPOUND_USDC", "aave_params", "jump_params"]


def aave_params(
    optimal_pct: int, base_bps: int, slope1_bps: int, slope2_bps: int
) -> AaveRateParams:
    """Aave strategy from whole percent / basis points."""
    bps = RAY // 10_000
    return AaveRateParams(
        optimal_pct * RAY // 100, base_bps * bps, slope1_bps * bps, slope2_bps * bps
    )


def jump_params(base_bps: int, mult_bps: int, jump_bps: int, kink_pct: int) -> JumpRateParams:
    """Per-second jump-rate model from annual basis points and the kink in whole percent."""
    bps = WAD // 10_000
    return JumpRateParams.from_annual(
        base_bps * bps, mult_bps * bps, jump_bps * bps, kink_pct * WAD // 100, YEAR
    )


AAVE_USDC = aave_params(90, 0, 400, 6000)
COMPOUND_USDC = jump_params(0, 400, 10_900, 80)
