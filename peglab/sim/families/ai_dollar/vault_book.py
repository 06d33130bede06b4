"""Collateral ratios of a vault book that fits its collateral (docs/calibration.md §7).

A borrower keeps a log buffer ``B = ln(ratio / mat)`` above the liquidation ratio. The buffers of
a comparable CDP book (Liquity v1 on 19 May 2021, ``data/cdp_books.toml``) are fitted as a
``Gamma(k, theta)``; a borrower of a more volatile collateral keeps a proportionally wider buffer
(the same distance to liquidation in standard deviations), so the target ratio of a vault is

    target = mat * exp(B * vol / reference_vol),    B ~ Gamma(k, theta)

with ``vol`` the collateral's total annual volatility in the scenario (diffusion and jumps:
``sqrt(sigma^2 + lambda (mu_J^2 + sigma_J^2))``) and ``reference_vol`` the volatility the
reference borrowers priced. ``ratios = "chi2"`` keeps the earlier ``mat + 0.03 chi2_16``
(Liquity's agent model, docs/risk-spec.md §4), far tighter than Liquity's real book.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

from ...scenario.market import OuPrices

if TYPE_CHECKING:
    from ...scenario import Scenario

__all__ = ["BufferFit", "buffer_fit", "collateral_vol"]


@dataclass(frozen=True)
class BufferFit:
    """The fitted buffer law and what it was fitted to (``data/cdp_books.toml``)."""

    shape: float
    scale: float
    reference_vol: float
    share_below: float  # P(B < ln(below_ratio)) the fit reproduces
    below_ratio: float  # mcr / price_ratio over mcr: 2.08 / 1.10
    total_ratio: float  # E[e^B] * mcr

    def mean_exp(self) -> float:
        """``E[e^B] = (1 - theta)^-k`` (the book's total ratio over the minimum)."""
        return float((1.0 - self.scale) ** -self.shape)


@cache
def buffer_fit() -> BufferFit:
    text = resources.files("peglab.sim.data").joinpath("cdp_books.toml").read_text()
    data = tomllib.loads(text)
    liq, buf = data["liquity_2021_05_19"], data["buffer"]
    return BufferFit(
        shape=float(buf["gamma_shape"]),
        scale=float(buf["gamma_scale"]),
        reference_vol=float(buf["reference_vol"]),
        share_below=float(buf["fit_share_below"]),
        below_ratio=float(liq["mcr"]) / float(liq["price_ratio"]) / float(liq["mcr"]),
        total_ratio=float(buf["fit_total_ratio"]),
    )


def collateral_vol(sc: Scenario, symbol: str) -> float | None:
    """Total annual volatility of ``symbol``'s price process (a derivative: its underlying's);
    ``None`` when no volatile block covers it (the buffer then keeps the reference width)."""
    asset = sc.asset(symbol)
    priced = asset.underlying if asset.kind == "derivative" and asset.underlying else symbol
    for blk in sc.prices:
        if priced in blk.assets and not isinstance(blk, OuPrices):
            sigma = float(blk.vols.get(priced, blk.vol))
            jumps = float(blk.jump_rate) * (float(blk.jump_mean) ** 2 + float(blk.jump_std) ** 2)
            return math.sqrt(sigma**2 + jumps)
    return None
