"""Launch specifications and parameter presets for AI-dollar collateral (cdp.md §3, §12).

Presets follow cdp.md §12's table for volatile AI-token collateral: a 1.75 liquidation ratio
for a native token (1.85 for its staked derivative) from ``mat >= chop / (1 - q)`` with a 30%
99th-percentile drawdown over the liquidation horizon, rounded up for thin liquidity. Every
field is an exact int in its unit; ``replace(preset, line_rad=...)`` overrides one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from ...math import apr_to_duty
from ...units import DAY, HOUR, RAD, WAD, ray, wad
from .oracle import PriceSource
from .psm import PsmSpec
from .spotter import DerivativeValuation

__all__ = [
    "GUARDRAILS",
    "AIDollarSpec",
    "CollateralParams",
    "CollateralSpec",
    "Guardrails",
    "native_ai_token",
    "replace",
    "staked_derivative",
]


@dataclass(frozen=True, slots=True)
class CollateralParams:
    """Risk parameters of one collateral type, exact ints in the unit their name says."""

    mat_ray: int
    chop_wad: int
    duty_ray: int
    line_rad: int
    dust_rad: int
    hole_rad: int
    buf_ray: int
    calc: Literal["linear", "stairstep", "exponential"]
    step_s: int
    cut_ray: int
    tau_s: int
    cusp_ray: int
    tail_s: int
    chip_wad: int
    tip_rad: int
    hop_s: int
    max_age_s: int
    # auction kind: "dutch" (Clipper, the fields above) or "english" (legacy Flipper, flip.py:
    # beg, ttl and flip_tau_s below; dss defaults 5%, 3 h, 2 days; Black Thursday ran 10 min, 6 h)
    auction: Literal["dutch", "english"] = "dutch"
    beg_wad: int = WAD * 105 // 100
    ttl_s: int = 3 * HOUR
    flip_tau_s: int = 2 * DAY


def native_ai_token(line: int = 10_000_000, *, apr: str = "0.10") -> CollateralParams:
    """Preset for a native AI token (``ATH-A``, ``VIRTUAL-A``); ``line`` in AI dollars."""
    return CollateralParams(
        mat_ray=ray("1.75"),
        chop_wad=wad("1.13"),
        duty_ray=apr_to_duty(apr),
        line_rad=line * RAD,
        dust_rad=500 * RAD,
        hole_rad=line * RAD // 2,
        buf_ray=ray("1.20"),
        calc="stairstep",
        step_s=60,
        cut_ray=ray("0.99"),
        tau_s=3600,
        cusp_ray=ray("0.40"),
        tail_s=5600,
        chip_wad=wad("0.001"),
        tip_rad=20 * RAD,
        hop_s=3600,
        max_age_s=10_800,
    )


def staked_derivative(line: int = 5_000_000, *, apr: str = "0.10") -> CollateralParams:
    """Preset for a staked derivative (``stATH-A``); ``line`` in AI dollars."""
    return replace(
        native_ai_token(line, apr=apr),
        mat_ray=ray("1.85"),
        chop_wad=wad("1.15"),
        hole_rad=line * RAD // 4,
        step_s=90,
        tail_s=8400,
    )


@dataclass(frozen=True, slots=True)
class CollateralSpec:
    """One collateral type to add to an AI dollar.

    ``price`` is the token's price source (for a derivative, the underlying's). A derivative
    names its ``underlying`` token and its ``valuation`` (staking pool, haircut, growth cap).
    """

    ilk: str
    token: str
    params: CollateralParams
    price: PriceSource
    kind: Literal["native", "derivative"] = "native"
    underlying: str = ""
    valuation: DerivativeValuation | None = None


@dataclass(frozen=True, slots=True)
class AIDollarSpec:
    """An AI dollar to launch: ``line`` is the instance ceiling in AI dollars."""

    symbol: str
    ecosystem: str
    line: int
    collaterals: tuple[CollateralSpec, ...] = ()
    admin: str = ""
    psm: PsmSpec | None = None  # optional peg stability module (docs/liquidations.md)


@dataclass(frozen=True, slots=True)
class Guardrails:
    """Bounds the launchpad enforces on project admins (governance may override)."""

    min_mat_native_ray: int = ray("1.50")
    min_mat_derivative_ray: int = ray("1.60")
    max_chop_wad: int = wad("1.20")
    min_hop_s: int = 900
    max_line_rad: int = 1_000_000_000 * RAD


GUARDRAILS = Guardrails()
