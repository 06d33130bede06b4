"""The AI-dollar family's block: ``[[system.ai_dollars]]`` (docs/cdp-spec.md §3, §9, §10, §12).

USD amounts end in ``_usd``; ``apr`` is per year. ``collateral_params`` converts a collateral's
decimals to the engine's ``CollateralParams`` once; ``draw_vaults`` samples its vault population.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import Field

from ....errors import InvalidInput
from ....protocols.cdp.params import DEFAULT_APR, CollateralParams
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
from .vault_book import buffer_fit, collateral_vol

if TYPE_CHECKING:
    from ...scenario import Scenario

__all__ = [
    "AiDollar",
    "BookDraws",
    "Collateral",
    "Psm",
    "VaultPopulation",
    "collateral_params",
    "draw_book",
    "draw_vaults",
]


class VaultPopulation(Model):
    """Vaults of one ilk: total ``debt_usd`` split lognormally. Target ratio: ``ratios = "cdp-data"``
    draws ``mat * exp(B * vol / reference_vol)`` with ``B`` the log buffers of a real CDP book scaled
    to the collateral's volatility (``vault_book``, docs/calibration.md §7); ``"chi2"`` is
    ``mat + scale * chi2(df)`` (Liquity's ABM uses ``1.1 + 0.03 chi2_16``, docs/risk-spec.md §4)."""

    count: int = Field(default=200, ge=1, le=100_000)
    debt_usd: PosDec
    size_sigma: NonNegDec = Decimal(1)
    ratios: Literal["chi2", "cdp-data"] = "chi2"
    target_extra_scale: NonNegDec = Decimal("0.03")
    target_extra_df: int = Field(default=16, ge=1, le=1000)


# The engine's one parameter set (protocols/cdp/params.py) declares the defaults, once.
_UNITS = CollateralParams().units()


def _d(name: str) -> Decimal:
    v = _UNITS[name]
    assert isinstance(v, Decimal), name
    return v


def _s(name: str) -> int:
    v = _UNITS[name]
    assert isinstance(v, int), name
    return v


class Collateral(Model):
    """One collateral type (ilk); defaults are the engine's native AI-token preset
    (``CollateralParams``, docs/cdp.md). For English auctions ``tau`` is the bid duration."""

    ilk: Symbol
    asset: Symbol
    mat: Ratio = _d("mat")
    chop: Ratio = _d("chop")
    apr: NonNegDec = Decimal(DEFAULT_APR)
    line_usd: PosDec
    dust: NonNegDec = _d("dust")
    hole_usd: PosDec | None = None
    buf: Ratio = _d("buf")
    calc: Literal["linear", "stairstep", "exponential"] = CollateralParams().calc
    step: Duration = _s("step")
    cut: OpenFrac = _d("cut")
    tau: Duration = _s("tau")
    cusp: OpenFrac = _d("cusp")
    tail: Duration = _s("tail")
    chip: NonNegDec = _d("chip")
    tip: NonNegDec = _d("tip")
    hop: Duration = _s("hop")
    max_age: Duration = _s("max_age")
    auction: Literal["dutch", "english"] = CollateralParams().auction
    haircut: Prob = Decimal(0)
    vaults: VaultPopulation


class Psm(Model):
    """Peg stability module (docs/cdp-spec.md §10): fees ``tin``/``tout`` as fractions, initial gem inventory."""

    gem: Symbol = "USDC"
    line_usd: PosDec
    tin: Prob = Decimal("0.001")
    tout: Prob = Decimal("0.001")
    inventory_usd: NonNegDec = Decimal(0)


class AiDollar(Model):
    """One AI-dollar instance; buffer sizes as fractions (docs/cdp-spec.md §9: hump 2% of debt, backstop 5% of
    Line, recapitalisation limit 10% of debt)."""

    symbol: Symbol
    ecosystem: str
    line_usd: PosDec
    collaterals: list[Collateral] = Field(min_length=1)
    surplus_buffer: Prob = Decimal("0.02")
    backstop: Prob = Decimal("0.05")
    recap_limit: Prob = Decimal("0.10")
    psm: Psm | None = None


# --- the engine's parameters ----------------------------------------------------------------


def collateral_params(c: Collateral, d10_usd: float) -> CollateralParams:
    """The collateral's parameters as the engine's ``CollateralParams`` (exact conversion).

    Decimals go through ``CollateralParams.from_units`` as text, so ``"1.75"`` is exactly
    ``1.75 ray``; USD amounts are AI dollars (rad). Without ``hole_usd`` the liquidation limit is
    half the collateral's external depth ``0.5 * D10`` [O]. English auctions (legacy Flipper):
    the scenario's ``tau`` is the bid duration (flip ``ttl``; 10 min on Black Thursday) and an
    auction lives at most ``max(6 h, tau)`` (flip ``tau`` then) [docs/risk-spec.md V1].
    """
    if c.hole_usd is not None:
        hole = str(c.hole_usd)
    else:  # as the engine's ints: 0.5 * D10 truncated to wad
        hole = format(Decimal(int(0.5 * d10_usd * 1e18)).scaleb(-18), "f")
    return CollateralParams.from_units(
        mat=str(c.mat), chop=str(c.chop), apr=str(c.apr), line=str(c.line_usd), dust=str(c.dust),
        hole=hole, buf=str(c.buf), calc=c.calc, step=c.step, cut=str(c.cut), tau=c.tau,
        cusp=str(c.cusp), tail=c.tail, chip=str(c.chip), tip=str(c.tip), hop=c.hop,
        max_age=c.max_age, auction=c.auction, ttl=c.tau, flip_tau=max(6 * 3600, c.tau),
    )  # fmt: skip


def draw_vaults(
    c: Collateral, price0: float, rng: np.random.Generator, vol: float | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vault population of one ilk: ``(debt_usd, ink, target_ratio)`` arrays of length ``count``.

    Debt shares are lognormal(0, size_sigma) normalised to ``debt_usd``; the target ratio is
    ``mat * exp(B * vol / reference_vol)`` with ``B ~ Gamma`` of the fitted CDP book
    (``ratios = "cdp-data"``; ``vol`` the collateral's total volatility, ``None``: the reference's)
    or ``mat + target_extra_scale * chi2(target_extra_df)``; ``ink = debt * target / price0``.
    """
    v = c.vaults
    w = rng.lognormal(0.0, float(v.size_sigma), size=v.count)
    debt = float(v.debt_usd) * w / w.sum()
    if v.ratios == "cdp-data":
        fit = buffer_fit()
        widen = 1.0 if vol is None else vol / fit.reference_vol
        target = float(c.mat) * np.exp(widen * rng.gamma(fit.shape, fit.scale, size=v.count))
    else:
        target = float(c.mat) + float(v.target_extra_scale) * rng.chisquare(
            v.target_extra_df, size=v.count
        )
    ink = debt * target / price0
    if not math.isfinite(float(ink.sum())):
        raise InvalidInput("scenario/invalid", f"{c.ilk}: vault sizes overflow")
    return debt, ink, target


@dataclass(frozen=True)
class BookDraws:
    """One collateral type's random setup on a path: the priced asset (the underlying of a
    derivative) and its exchange rate, the vaults (``draw_vaults``), each keeper's latency in
    steps and capital as a fraction of the type's debt."""

    priced: int
    er: float
    debt: np.ndarray
    ink: np.ndarray
    target: np.ndarray
    latencies: np.ndarray
    capital: np.ndarray


def draw_book(
    c: Collateral, sc: Scenario, prices0: np.ndarray, rng: np.random.Generator
) -> BookDraws:
    """Draw ``c``'s vaults and keepers from ``rng`` in the one order both engines use (the
    vaults, then ``keepers.count`` latencies, then as many capital shares), so path ``i`` of
    the exact runner and of the vectorised model has the same book."""
    idx = sc.asset_index
    asset = sc.asset(c.asset)
    derivative = asset.kind == "derivative" and asset.underlying is not None
    priced = idx[asset.underlying] if derivative and asset.underlying else idx[asset.symbol]
    er = float(asset.exchange_rate) if asset.kind == "derivative" else 1.0
    debt, ink, target = draw_vaults(
        c, float(prices0[priced]) * er, rng, collateral_vol(sc, c.asset)
    )
    kp = sc.agents.keepers
    lo, hi = kp.latency_steps
    lat = rng.integers(lo, hi + 1, size=kp.count) if kp.count else np.zeros(0, np.int64)
    caps = rng.uniform(float(kp.capital[0]), float(kp.capital[1]), size=kp.count)
    return BookDraws(priced, er, debt, ink, target, np.asarray(lat, np.int64), caps)
