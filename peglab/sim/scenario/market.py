"""The market part of a scenario: assets, price processes, pools, liquidity, shocks (docs/risk-spec.md §3, §5).

Rates (``vol``, ``drift``, ``jump_rate``, ``stress_rate``) are per year (365 days). Shocks are
applied at the nearest step; a shock without ``duration`` lasts to the horizon.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

import numpy as np
from pydantic import Field, model_validator

from .. import processes as pr
from ..crash import Crash
from .fields import Corr, Dec, Duration, Model, NonNegDec, OpenFrac, PosDec, Prob, Ratio, Symbol

__all__ = [
    "Anchor",
    "AnchorPrices",
    "Asset",
    "BridgePrices",
    "CrashPrices",
    "DepthShock",
    "GasShock",
    "GbmPrices",
    "KeeperShock",
    "Liquidity",
    "LpShock",
    "OracleShock",
    "OuPrices",
    "Pool",
    "PriceBlock",
    "PriceShock",
    "Shock",
    "SlashShock",
    "VolShock",
]

# --- assets and price processes --------------------------------------------------------------


class Asset(Model):
    """A priced token. ``d10_usd``: external-market USD notional sellable at <= 10% impact."""

    symbol: Symbol
    price: PosDec
    kind: Literal["ai-token", "major", "stable", "derivative", "governance"] = "ai-token"
    underlying: Symbol | None = None
    exchange_rate: PosDec = Decimal(1)
    d10_usd: PosDec | None = None

    @model_validator(mode="after")
    def _derivative_fields(self) -> Asset:
        if self.kind == "derivative" and self.underlying is None:
            raise ValueError("a derivative needs 'underlying' (the staked token)")
        if self.kind != "derivative" and self.underlying is not None:
            raise ValueError("only kind = 'derivative' takes 'underlying'")
        return self


class _Block(Model):
    """Shared noise parameters of a block of correlated assets (per year).

    ``jump_rate`` is each asset's jump intensity; ``jump_common`` the share of it that is a sector
    jump shared by the whole block (docs/risk-lab.md "Price processes"); ``compensate_jumps``
    (default on) takes the jumps' expected loss ``jump_rate (E[e^J] - 1)`` out of the drift, so a
    block with ``drift = 0`` has no expected drift (``E[S_t] = S_0``).
    """

    assets: list[Symbol] = Field(min_length=1)
    vol: NonNegDec = Decimal("1.2")
    vols: dict[Symbol, NonNegDec] = Field(default_factory=dict)
    drift: Dec = Decimal(0)
    corr_normal: Corr = Decimal("0.6")
    corr_stressed: Corr = Decimal("0.85")
    regime: Literal["normal", "stressed", "switching"] = "normal"
    stress_rate: NonNegDec = Decimal(0)
    calm_rate: NonNegDec = Decimal(0)
    jump_rate: NonNegDec = Decimal(0)
    jump_mean: Dec = Decimal(0)
    jump_std: NonNegDec = Decimal(0)
    jump_common: Prob = Decimal(0)
    compensate_jumps: bool = True

    def diffusion(self) -> pr.Diffusion:
        sigma = [float(self.vols.get(a, self.vol)) for a in self.assets]
        switching = self.regime == "switching"
        return pr.Diffusion(
            sigma=np.array(sigma),
            mu=float(self.drift),
            corr_normal=float(self.corr_normal),
            corr_stressed=float(self.corr_stressed),
            stress_rate=float(self.stress_rate) if switching else 0.0,
            calm_rate=float(self.calm_rate) if switching else 0.0,
            initial_regime=1 if self.regime == "stressed" else 0,
            jump_rate=float(self.jump_rate),
            jump_mean=float(self.jump_mean),
            jump_std=float(self.jump_std),
            jump_common=float(self.jump_common),
            compensate=self.compensate_jumps,
        )


class GbmPrices(_Block):
    """Correlated GBM with Merton jumps and regime-switching correlation (docs/risk-spec.md §3.1-3.2)."""

    model: Literal["gbm"]


class BridgePrices(_Block):
    """Brownian bridge to ``S_start (1 - drawdown)`` over ``[start, start + duration]`` (§3.4)."""

    model: Literal["bridge"]
    drawdown: OpenFrac
    drawdowns: dict[Symbol, OpenFrac] = Field(default_factory=dict)
    start: Duration = 0
    duration: Duration
    segment_vol: PosDec | None = None


# Spreads of the crash distribution, calibrated in docs/calibration.md §6 from the published
# AI-token drawdowns of docs/risk-spec.md §8.1 (log sizes and window lengths).
CRASH_SIZE_STD = Decimal("0.35")
CRASH_IDIO_STD = Decimal("0.2")
CRASH_DURATION_LOG_STD = Decimal("0.5")


class CrashPrices(_Block):
    """A sector crash drawn per path (``sim.crash``): median size ``drawdown`` (per asset in
    ``drawdowns``), log-size spread ``size_std`` shared by the block plus ``idio_std`` per asset,
    start uniform in ``[start, start + start_spread]``, duration ``duration`` times a lognormal of
    ``duration_log_std``; the crash may run past the horizon. Defaults: docs/calibration.md §6."""

    model: Literal["crash"]
    drawdown: OpenFrac
    drawdowns: dict[Symbol, OpenFrac] = Field(default_factory=dict)
    start: Duration = 0
    start_spread: Duration = 0
    duration: Duration
    size_std: NonNegDec = CRASH_SIZE_STD
    idio_std: NonNegDec = CRASH_IDIO_STD
    duration_log_std: NonNegDec = CRASH_DURATION_LOG_STD
    max_drawdown: OpenFrac = Decimal("0.99")
    segment_vol: PosDec | None = None

    def crash(self) -> Crash:
        return Crash(
            drawdown=np.array([float(self.drawdowns.get(a, self.drawdown)) for a in self.assets]),
            duration_s=float(self.duration),
            start_s=float(self.start),
            spread_s=float(self.start_spread),
            size_std=float(self.size_std),
            idio_std=float(self.idio_std),
            duration_log_std=float(self.duration_log_std),
            max_drawdown=float(self.max_drawdown),
        )


class Anchor(Model):
    at: Duration
    ratio: PosDec


class AnchorPrices(_Block):
    """Piecewise path through published anchors ``(at, ratio to the initial price)`` (§3.5)."""

    model: Literal["anchors"]
    anchors: list[Anchor] = Field(min_length=1)
    segment_vol: PosDec | None = None
    severity: PosDec = Decimal(1)
    compression: PosDec = Decimal(1)
    source: str = ""


class OuPrices(Model):
    """Mean-reverting stable price with depeg jumps (§3.3); ``vol`` in price units per sqrt(year)."""

    model: Literal["ou"]
    assets: list[Symbol] = Field(min_length=1)
    half_life: Duration = 86_400
    vol: NonNegDec = Decimal("0.02")
    depeg_rate: NonNegDec = Decimal(0)
    depeg_level: PosDec = Decimal("0.8774")
    depeg_half_life: Duration = 3 * 86_400
    band: NonNegDec = Decimal("0.005")


PriceBlock = Annotated[
    GbmPrices | BridgePrices | CrashPrices | AnchorPrices | OuPrices, Field(discriminator="model")
]


class Pool(Model):
    """An on-chain pool (docs/amm-spec.md §4); ``depth_usd`` is its TVL at t0, balanced at initial prices."""

    id: Symbol
    kind: Literal["stableswap", "constant-product"] = "stableswap"
    coins: tuple[Symbol, Symbol]
    depth_usd: PosDec
    A: int = Field(default=100, ge=1, le=100_000)
    fee_bps: NonNegDec = Decimal(4)
    offpeg: Ratio = Decimal(2)


class Liquidity(Model):
    """The external venue (``sim.venue``): ``model = "static"`` is the exit bid
    ``p (1 - eta (q p / V)^delta)`` with ``V = D10``, ``eta = impact`` (§5); ``"transient"`` moves
    the market price with every flow (a sale of ``D10`` at once averages ``impact`` below the
    price) and the book refills with half-life ``recovery_half_life``."""

    model: Literal["static", "transient"] = "static"
    recovery_half_life: Duration = 3600
    delta: PosDec = Decimal("0.5")
    impact: OpenFrac = Decimal("0.10")
    kappa: NonNegDec = Decimal(1)
    gas_spike: Ratio = Decimal(6)
    gas_full_at: OpenFrac = Decimal("0.4")


# --- shocks ----------------------------------------------------------------------------------


class _Shock(Model):
    at: Duration = 0
    duration: Duration | None = None  # None: until the horizon


class PriceShock(_Shock):
    """A jump of ``size`` (e.g. -0.5) at ``at`` on each listed asset, permanent."""

    kind: Literal["price"]
    assets: list[Symbol] = Field(min_length=1)
    size: Dec

    @model_validator(mode="after")
    def _size(self) -> PriceShock:
        if self.size <= -1:
            raise ValueError("size must be > -1 (a price cannot reach zero)")
        return self


class VolShock(_Shock):
    kind: Literal["vol"]
    assets: list[Symbol] = Field(min_length=1)
    factor: PosDec


class DepthShock(_Shock):
    """Multiply external depth (``target = external``), pool depth, or both by ``factor``."""

    kind: Literal["depth"]
    factor: NonNegDec
    target: Literal["external", "pools", "both"] = "external"


class GasShock(_Shock):
    kind: Literal["gas"]
    factor: PosDec


class OracleShock(_Shock):
    """``frozen``: the feed repeats its last value; ``stale``: no valid price (liquidations stop);
    ``manipulated``: the feed reads ``price * (1 + size)``."""

    kind: Literal["oracle"]
    assets: list[Symbol] = Field(min_length=1)
    mode: Literal["frozen", "stale", "manipulated"]
    size: Dec = Decimal(0)


class KeeperShock(_Shock):
    """Keeper capital times ``capital_factor`` (0 = no bids) and latency times ``latency_factor``."""

    kind: Literal["keepers"]
    capital_factor: NonNegDec = Decimal(0)
    latency_factor: Ratio = Decimal(1)


class LpShock(_Shock):
    """LPs withdraw ``fraction`` of the listed pools (all when empty) spread over ``duration``."""

    kind: Literal["lp-withdraw"]
    pools: list[Symbol] = Field(default_factory=list)
    fraction: Prob


class SlashShock(_Shock):
    """A derivative's exchange rate falls by ``size`` (e.g. 0.10) at ``at``."""

    kind: Literal["slash"]
    asset: Symbol
    size: OpenFrac


Shock = Annotated[
    PriceShock
    | VolShock
    | DepthShock
    | GasShock
    | OracleShock
    | KeeperShock
    | LpShock
    | SlashShock,
    Field(discriminator="kind"),
]
