"""The AI-dollar family's block: ``[[system.ai_dollars]]`` (cdp.md §3, §9, §10, §12).

USD amounts end in ``_usd``; ``apr`` is per year. ``exact_collateral_params`` converts a
collateral's decimals to the engine's ints once; ``draw_vaults`` samples its vault population.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any, Literal

import numpy as np
from pydantic import Field

from ....errors import InvalidInput
from ...scenario.fields import (
    Duration,
    Model,
    NonNegDec,
    OpenFrac,
    PosDec,
    Prob,
    Ratio,
    Symbol,
)

__all__ = [
    "AiDollar",
    "Collateral",
    "Psm",
    "VaultPopulation",
    "draw_vaults",
    "exact_collateral_params",
]


class VaultPopulation(Model):
    """Vaults of one ilk: total ``debt_usd`` split lognormally; target ratio ``mat + scale * chi2(df)``
    (Liquity's ABM uses ``1.1 + 0.03 chi2_16``, risk.md §4)."""

    count: int = Field(default=200, ge=1, le=100_000)
    debt_usd: PosDec
    size_sigma: NonNegDec = Decimal(1)
    target_extra_scale: NonNegDec = Decimal("0.03")
    target_extra_df: int = Field(default=16, ge=1, le=1000)


class Collateral(Model):
    """One collateral type (ilk); defaults are cdp.md §12 for a native AI token."""

    ilk: Symbol
    asset: Symbol
    mat: Ratio = Decimal("1.75")
    chop: Ratio = Decimal("1.13")
    apr: NonNegDec = Decimal("0.10")
    line_usd: PosDec
    dust: NonNegDec = Decimal(500)
    hole_usd: PosDec | None = None
    buf: Ratio = Decimal("1.20")
    calc: Literal["linear", "stairstep", "exponential"] = "stairstep"
    step: Duration = 60
    cut: OpenFrac = Decimal("0.99")
    tau: Duration = 3600
    cusp: OpenFrac = Decimal("0.40")
    tail: Duration = 5600
    chip: NonNegDec = Decimal("0.001")
    tip: NonNegDec = Decimal(20)
    hop: Duration = 3600
    max_age: Duration = 10_800
    auction: Literal["dutch", "english"] = "dutch"
    haircut: Prob = Decimal(0)
    vaults: VaultPopulation


class Psm(Model):
    """Peg stability module (cdp.md §10): fees ``tin``/``tout`` as fractions, initial gem inventory."""

    gem: Symbol = "USDC"
    line_usd: PosDec
    tin: Prob = Decimal("0.001")
    tout: Prob = Decimal("0.001")
    inventory_usd: NonNegDec = Decimal(0)


class AiDollar(Model):
    """One AI-dollar instance; buffer sizes as fractions (cdp.md §9: hump 2% of debt, backstop 5% of
    Line, recapitalisation limit 10% of debt)."""

    symbol: Symbol
    ecosystem: str
    line_usd: PosDec
    collaterals: list[Collateral] = Field(min_length=1)
    surplus_buffer: Prob = Decimal("0.02")
    backstop: Prob = Decimal("0.05")
    recap_limit: Prob = Decimal("0.10")
    psm: Psm | None = None


# --- exact parameters for the engine ---------------------------------------------------------


def exact_collateral_params(c: Collateral) -> dict[str, Any]:
    """The collateral's parameters as exact engine ints, named like the CDP's ``CollateralParams``.

    Ratios and multipliers become ray/wad via ``peglab.units`` (exact decimal conversion); USD
    amounts become rad. ``apr`` is passed through as decimal text (the engine's ``apr_to_duty``
    takes text); ``hole_rad`` is ``None`` when the file leaves it to the runner (``0.5 * D10``).
    """
    from ....units import ray, wad

    def rad(x: Decimal) -> int:
        return wad(str(x)) * 10**27

    return {
        "mat_ray": ray(str(c.mat)),
        "chop_wad": wad(str(c.chop)),
        "apr": str(c.apr),
        "line_rad": rad(c.line_usd),
        "dust_rad": rad(c.dust),
        "hole_rad": None if c.hole_usd is None else rad(c.hole_usd),
        "buf_ray": ray(str(c.buf)),
        "calc": c.calc,
        "step_s": c.step,
        "cut_ray": ray(str(c.cut)),
        "tau_s": c.tau,
        "cusp_ray": ray(str(c.cusp)),
        "tail_s": c.tail,
        "chip_wad": wad(str(c.chip)),
        "tip_rad": rad(c.tip),
        "hop_s": c.hop,
        "max_age_s": c.max_age,
    }


def draw_vaults(
    c: Collateral, price0: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vault population of one ilk: ``(debt_usd, ink, target_ratio)`` arrays of length ``count``.

    Debt shares are lognormal(0, size_sigma) normalised to ``debt_usd``; the target ratio is
    ``mat + target_extra_scale * chi2(target_extra_df)``; ``ink = debt * target / price0``.
    """
    v = c.vaults
    w = rng.lognormal(0.0, float(v.size_sigma), size=v.count)
    debt = float(v.debt_usd) * w / w.sum()
    target = float(c.mat) + float(v.target_extra_scale) * rng.chisquare(
        v.target_extra_df, size=v.count
    )
    ink = debt * target / price0
    if not math.isfinite(float(ink.sum())):
        raise InvalidInput("scenario/invalid", f"{c.ilk}: vault sizes overflow")
    return debt, ink, target
