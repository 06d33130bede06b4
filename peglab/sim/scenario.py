"""The scenario schema of the risk lab: system, price processes, agents, liquidity, shocks (risk.md §2-5).

A scenario is declarative (pydantic v2, frozen, unknown keys refused), loaded from TOML
(``tomllib``) or YAML (only when pyyaml is installed), and identified by ``scenario_hash``: the
sha256 of its canonical JSON (sorted keys, no spaces, decimals as normalised strings).

Numbers in files
----------------
Parameters are written as human-friendly decimals, as strings or TOML numbers: ``mat = "1.75"``,
``vol = 1.2``. They are held as ``decimal.Decimal`` (a TOML float goes through ``str`` first, so
``1.75`` is exactly ``Decimal("1.75")``) and normalised (``"1.750"`` and ``1.75`` hash the same).
The exact runner converts them to the engine's ints with ``peglab.units.wad(str(x))`` /
``ray(str(x))`` (see :func:`exact_collateral_params`); float models use ``float(x)``. Durations are
ints in seconds or strings with a unit: ``"90s"``, ``"5m"``, ``"1h"``, ``"7d"``, ``"2w"``. Rates
(``vol``, ``drift``, ``jump_rate``, ``stress_rate``, ``apr``) are per year (365 days); ``p_attend``
is per day; LP ``withdraw_rate`` is per hour. USD amounts end in ``_usd``.

Composition: a file may say ``base = "default-system"`` (a ``_<name>.toml`` partial in the
built-in library) or ``base = "relative/path.toml"``; the base is loaded first and the file is
deep-merged over it (tables merge key by key, arrays and scalars replace).

Sampling helpers at the end turn a scenario into arrays for one run: :func:`simulate_prices`,
:func:`draw_vaults`, and per-step factor paths of the shocks (:func:`shock_factor`,
:func:`oracle_modes`).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import tomllib
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from ..errors import InvalidInput
from . import processes as pr

__all__ = [
    "Agents",
    "AiDollar",
    "AnchorPrices",
    "Arbitrageurs",
    "Asset",
    "Borrowers",
    "BridgePrices",
    "Collateral",
    "GbmPrices",
    "Keepers",
    "Liquidity",
    "LiquidityProviders",
    "OuPrices",
    "PanicSellers",
    "Pool",
    "Psm",
    "Scenario",
    "System",
    "VaultPopulation",
    "draw_vaults",
    "exact_collateral_params",
    "format_validation_error",
    "load_scenario_file",
    "oracle_modes",
    "parse_duration",
    "parse_scenario",
    "scenario_hash",
    "shock_factor",
    "simulate_prices",
]

# --- field types -----------------------------------------------------------------------------

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}
_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$")


def parse_duration(value: object) -> int:
    """Seconds from an int or a string like ``"90s"``, ``"5m"``, ``"1.5h"``, ``"7d"``, ``"2w"``."""
    if isinstance(value, bool):
        raise ValueError("a duration must be seconds (int) or text like '1h'")
    if isinstance(value, int):
        if value < 0:
            raise ValueError("a duration must not be negative")
        return value
    if isinstance(value, str):
        m = _DURATION_RE.match(value)
        if m:
            secs = Decimal(m.group(1)) * _UNITS[m.group(2) or "s"]
            if secs == secs.to_integral_value():
                return int(secs)
            raise ValueError(f"duration {value!r} is not a whole number of seconds")
    raise ValueError(
        f"{value!r} is not a duration (use seconds or text like '90s', '5m', '1h', '7d')"
    )


def _canon(d: Decimal) -> Decimal:
    if not d.is_finite():
        raise ValueError("must be a finite number")
    n = d.normalize()
    return n.quantize(Decimal(1)) if n == n.to_integral_value() else n


def _no_bool(v: object) -> object:
    if isinstance(v, bool):
        raise ValueError("must be a number, not a boolean")
    return v


def _positive(d: Decimal) -> Decimal:
    if d <= 0:
        raise ValueError("must be positive")
    return d


def _non_negative(d: Decimal) -> Decimal:
    if d < 0:
        raise ValueError("must not be negative")
    return d


def _probability(d: Decimal) -> Decimal:
    if not 0 <= d <= 1:
        raise ValueError("must be a probability in [0, 1]")
    return d


def _open_fraction(d: Decimal) -> Decimal:
    if not 0 < d < 1:
        raise ValueError("must be a fraction strictly between 0 and 1")
    return d


def _correlation(d: Decimal) -> Decimal:
    if not -1 < d <= 1:
        raise ValueError("must be a correlation in (-1, 1]")
    return d


def _at_least_one(d: Decimal) -> Decimal:
    if d < 1:
        raise ValueError("must be at least 1")
    return d


Dec = Annotated[Decimal, BeforeValidator(_no_bool), AfterValidator(_canon)]
PosDec = Annotated[Dec, AfterValidator(_positive)]
NonNegDec = Annotated[Dec, AfterValidator(_non_negative)]
Prob = Annotated[Dec, AfterValidator(_probability)]
OpenFrac = Annotated[Dec, AfterValidator(_open_fraction)]
Corr = Annotated[Dec, AfterValidator(_correlation)]
Ratio = Annotated[Dec, AfterValidator(_at_least_one)]
Duration = Annotated[int, BeforeValidator(parse_duration)]
Symbol = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")]
Name = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


# --- assets and price processes --------------------------------------------------------------


class Asset(_Model):
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


class _Block(_Model):
    """Shared noise parameters of a block of correlated assets (per year)."""

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
        )


class GbmPrices(_Block):
    """Correlated GBM with Merton jumps and regime-switching correlation (risk.md §3.1-3.2)."""

    model: Literal["gbm"]


class BridgePrices(_Block):
    """Brownian bridge to ``S_start (1 - drawdown)`` over ``[start, start + duration]`` (§3.4)."""

    model: Literal["bridge"]
    drawdown: OpenFrac
    drawdowns: dict[Symbol, OpenFrac] = Field(default_factory=dict)
    start: Duration = 0
    duration: Duration
    segment_vol: PosDec | None = None


class Anchor(_Model):
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


class OuPrices(_Model):
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
    GbmPrices | BridgePrices | AnchorPrices | OuPrices, Field(discriminator="model")
]

# --- system ----------------------------------------------------------------------------------


class VaultPopulation(_Model):
    """Vaults of one ilk: total ``debt_usd`` split lognormally; target ratio ``mat + scale * chi2(df)``
    (Liquity's ABM uses ``1.1 + 0.03 chi2_16``, risk.md §4)."""

    count: int = Field(default=200, ge=1, le=100_000)
    debt_usd: PosDec
    size_sigma: NonNegDec = Decimal(1)
    target_extra_scale: NonNegDec = Decimal("0.03")
    target_extra_df: int = Field(default=16, ge=1, le=1000)


class Collateral(_Model):
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


class Psm(_Model):
    """Peg stability module (cdp.md §10): fees ``tin``/``tout`` as fractions, initial gem inventory."""

    gem: Symbol = "USDC"
    line_usd: PosDec
    tin: Prob = Decimal("0.001")
    tout: Prob = Decimal("0.001")
    inventory_usd: NonNegDec = Decimal(0)


class AiDollar(_Model):
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


class Pool(_Model):
    """An on-chain pool (amm.md §4); ``depth_usd`` is its TVL at t0, balanced at initial prices."""

    id: Symbol
    kind: Literal["stableswap", "constant-product"] = "stableswap"
    coins: tuple[Symbol, Symbol]
    depth_usd: PosDec
    A: int = Field(default=100, ge=1, le=100_000)
    fee_bps: NonNegDec = Decimal(4)
    offpeg: Ratio = Decimal(2)


class System(_Model):
    ai_dollars: list[AiDollar] = Field(min_length=1)
    pools: list[Pool] = Field(default_factory=list)
    governance_token: Symbol = "MAITRIX"


# --- agents, liquidity -----------------------------------------------------------------------


class Borrowers(_Model):
    """risk.md §4: act when the ratio leaves ``target +- band`` with ``p_attend`` per day."""

    p_attend: Prob = Decimal("0.5")
    p_topup: Prob = Decimal("0.5")
    p_repay: Prob = Decimal("0.3")
    band: NonNegDec = Decimal("0.15")
    budget: NonNegDec = Decimal("0.2")
    panic_drop: OpenFrac = Decimal("0.25")
    panic_window: Duration = 86_400
    p_panic: Prob = Decimal("0.5")

    @model_validator(mode="after")
    def _shares(self) -> Borrowers:
        if self.p_topup + self.p_repay > 1:
            raise ValueError("p_topup + p_repay must not exceed 1 (the rest stays passive)")
        return self


class Keepers(_Model):
    """Keepers: latency in steps, capital as a fraction of ilk debt, margin, capital recycling,
    gas per take and drop-out when gas exceeds ``dropout_gas`` times baseline."""

    count: int = Field(default=5, ge=0, le=1000)
    latency_steps: tuple[int, int] = (1, 3)
    capital: tuple[NonNegDec, NonNegDec] = (Decimal("0.02"), Decimal("0.20"))
    margin: Prob = Decimal("0.02")
    recycle: Duration = 3600
    gas_usd: NonNegDec = Decimal(20)
    dropout_gas: PosDec = Decimal(4)
    dropout_prob: Prob = Decimal("0.5")

    @model_validator(mode="after")
    def _ranges(self) -> Keepers:
        if not 0 <= self.latency_steps[0] <= self.latency_steps[1]:
            raise ValueError("latency_steps must be [low, high] with 0 <= low <= high")
        if self.capital[0] > self.capital[1]:
            raise ValueError("capital must be [low, high] with low <= high")
        return self


class Arbitrageurs(_Model):
    enabled: bool = True
    capital_usd: NonNegDec = Decimal(5_000_000)
    min_profit_usd: NonNegDec = Decimal(50)


class PanicSellers(_Model):
    """Holders who dump the AI dollar while it trades below ``trigger_price`` (fraction per hour)."""

    enabled: bool = True
    trigger_price: PosDec = Decimal("0.98")
    sell_rate: Prob = Decimal("0.02")


class LiquidityProviders(_Model):
    """risk.md §4 LP rule: withdraw ``withdraw_rate`` per hour when triggered, return after calm."""

    withdraw_rate: Prob = Decimal("0.30")
    trigger_price: PosDec = Decimal("0.98")
    trigger_duration: Duration = 3600
    imbalance: OpenFrac = Decimal("0.80")
    calm_return: Duration = 86_400


class Agents(_Model):
    borrowers: Borrowers = Borrowers()
    keepers: Keepers = Keepers()
    arbitrageurs: Arbitrageurs = Arbitrageurs()
    panic_sellers: PanicSellers = PanicSellers()
    lps: LiquidityProviders = LiquidityProviders()


class Liquidity(_Model):
    """External exit bid ``p (1 - eta (q p / V)^delta)`` with ``V = D10``, ``eta = impact`` (§5)."""

    delta: PosDec = Decimal("0.5")
    impact: OpenFrac = Decimal("0.10")
    kappa: NonNegDec = Decimal(1)
    gas_spike: Ratio = Decimal(6)
    gas_full_at: OpenFrac = Decimal("0.4")


# --- shocks ----------------------------------------------------------------------------------


class _Shock(_Model):
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

# --- the scenario ----------------------------------------------------------------------------


class Scenario(_Model):
    """A complete stress scenario. ``horizon`` must be a whole number of ``step``s."""

    schema_version: Literal[1] = 1
    name: Name
    description: str = ""
    sources: list[str] = Field(default_factory=list)
    horizon: Duration
    step: Duration
    assets: list[Asset] = Field(min_length=1)
    prices: list[PriceBlock] = Field(default_factory=list)
    system: System
    agents: Agents = Agents()
    liquidity: Liquidity = Liquidity()
    shocks: list[Shock] = Field(default_factory=list)

    @property
    def n_steps(self) -> int:
        return self.horizon // self.step

    def asset(self, symbol: str) -> Asset:
        for a in self.assets:
            if a.symbol == symbol:
                return a
        raise KeyError(symbol)

    @property
    def asset_index(self) -> dict[str, int]:
        return {a.symbol: i for i, a in enumerate(self.assets)}

    def step_of(self, seconds: int) -> int:
        """Nearest step index of a time (shocks between steps are applied at the nearest step)."""
        return min(self.n_steps, round(seconds / self.step))

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        if self.step <= 0 or self.horizon <= 0:
            raise ValueError("horizon and step must be positive")
        if self.horizon % self.step:
            raise ValueError(
                f"horizon ({self.horizon} s) is not a multiple of step ({self.step} s)"
            )
        if self.n_steps > 1_000_000:
            raise ValueError("more than 1,000,000 steps; use a coarser step")
        symbols = [a.symbol for a in self.assets]
        _unique(symbols, "asset symbol")
        known = set(symbols)
        for a in self.assets:
            if a.underlying is not None:
                if a.underlying not in known:
                    raise ValueError(f"asset {a.symbol}: unknown underlying {a.underlying!r}")
                if self.asset(a.underlying).kind == "derivative":
                    raise ValueError(f"asset {a.symbol}: the underlying must not be a derivative")
        covered: set[str] = set()
        for i, blk in enumerate(self.prices):
            for s in blk.assets:
                if s not in known:
                    raise ValueError(f"prices[{i}]: unknown asset {s!r} (known: {sorted(known)})")
                if self.asset(s).kind == "derivative":
                    raise ValueError(f"prices[{i}]: {s} is a derivative; it follows its underlying")
                if s in covered:
                    raise ValueError(f"prices[{i}]: asset {s} already has a price process")
                covered.add(s)
            _unique(blk.assets, f"prices[{i}] asset")
            extra = set(getattr(blk, "vols", {})) | set(getattr(blk, "drawdowns", {}))
            if extra - set(blk.assets):
                raise ValueError(
                    f"prices[{i}]: overrides for assets not in the block: {sorted(extra - set(blk.assets))}"
                )
            if isinstance(blk, BridgePrices) and blk.start + blk.duration > self.horizon:
                raise ValueError(f"prices[{i}]: the bridge ends after the horizon")
            if isinstance(blk, BridgePrices) and blk.duration < self.step:
                raise ValueError(f"prices[{i}]: the bridge is shorter than one step")
            if isinstance(blk, AnchorPrices):
                times = [float(a.at) / float(blk.compression) for a in blk.anchors]
                if any(t2 <= t1 for t1, t2 in pairwise(times)):
                    raise ValueError(f"prices[{i}]: anchor times must increase")
                if times[-1] > self.horizon:
                    raise ValueError(f"prices[{i}]: an anchor lies after the horizon")
                if any(
                    round(t / self.step) == 0 and a.ratio != 1
                    for t, a in zip(times, blk.anchors, strict=True)
                ):
                    raise ValueError(f"prices[{i}]: an anchor at t = 0 must have ratio 1")
        dollars = [d.symbol for d in self.system.ai_dollars]
        _unique(dollars, "AI dollar symbol")
        clash = known & set(dollars)
        if clash:
            raise ValueError(f"{sorted(clash)} is both an asset and an AI dollar")
        ilks: list[str] = []
        for d in self.system.ai_dollars:
            for c in d.collaterals:
                ilks.append(c.ilk)
                if c.asset not in known:
                    raise ValueError(f"{d.symbol}/{c.ilk}: unknown collateral asset {c.asset!r}")
            if d.psm is not None and d.psm.gem not in known:
                raise ValueError(f"{d.symbol}: unknown PSM gem {d.psm.gem!r}")
        _unique(ilks, "ilk")
        tokens = known | set(dollars)
        _unique([p.id for p in self.system.pools], "pool id")
        for p in self.system.pools:
            for coin in p.coins:
                if coin not in tokens:
                    raise ValueError(f"pool {p.id}: unknown coin {coin!r}")
            if p.coins[0] == p.coins[1]:
                raise ValueError(f"pool {p.id}: the two coins must differ")
        pool_ids = {p.id for p in self.system.pools}
        for i, sh in enumerate(self.shocks):
            if sh.at > self.horizon:
                raise ValueError(f"shocks[{i}]: 'at' lies after the horizon")
            for s in getattr(sh, "assets", []):
                if s not in known:
                    raise ValueError(f"shocks[{i}]: unknown asset {s!r}")
            if isinstance(sh, SlashShock) and (
                sh.asset not in known or self.asset(sh.asset).kind != "derivative"
            ):
                raise ValueError(f"shocks[{i}]: {sh.asset!r} is not a derivative asset")
            if isinstance(sh, LpShock):
                for pid in sh.pools:
                    if pid not in pool_ids:
                        raise ValueError(f"shocks[{i}]: unknown pool {pid!r}")
        return self


def _unique(items: list[str], what: str) -> None:
    seen: set[str] = set()
    for x in items:
        if x in seen:
            raise ValueError(f"duplicate {what} {x!r}")
        seen.add(x)


# --- loading, errors, hash -------------------------------------------------------------------


def _loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def format_validation_error(err: ValidationError, source: str) -> str:
    """One line: ``<source>: <field.path[i]>: <problem> (got <value>)`` (+ count of other errors)."""
    first = err.errors(include_url=False)[0]
    msg = str(first["msg"]).removeprefix("Value error, ")
    value = first.get("input")
    got = ""
    if isinstance(value, (str, int, float, Decimal)) and not isinstance(value, bool):
        got = f" (got {value!r})"
    more = err.error_count() - 1
    tail = f" (and {more} more error{'s' if more > 1 else ''})" if more else ""
    line = f"{source}: {_loc(tuple(first['loc']))}: {msg}{got}{tail}"
    return " ".join(line.split())


def parse_scenario(data: dict[str, Any], source: str = "<scenario>") -> Scenario:
    """Validate a mapping into a :class:`Scenario`; refusals are one-line ``scenario/invalid``."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        raise InvalidInput("scenario/invalid", format_validation_error(err, source)) from None


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = v
    return out


LIBRARY_DIR = Path(__file__).resolve().parent.parent / "risk" / "library"


def _read_mapping(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise InvalidInput("scenario/unreadable", f"{path}: {e.strerror or e}") from None
    suffix = path.suffix.lower()
    if suffix == ".toml":
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            raise InvalidInput("scenario/invalid", f"{path}: not valid TOML: {e}") from None
    if suffix in (".yaml", ".yml"):
        try:
            import yaml
        except ImportError:
            raise InvalidInput(
                "scenario/yaml-unavailable",
                f"{path}: YAML needs the pyyaml package (pip install pyyaml); TOML works without it",
            ) from None
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as e:
            raise InvalidInput(
                "scenario/invalid", f"{path}: not valid YAML: {' '.join(str(e).split())}"
            ) from None
        if not isinstance(data, dict):
            raise InvalidInput("scenario/invalid", f"{path}: the top level must be a mapping")
        return data
    raise InvalidInput(
        "scenario/invalid", f"{path}: unknown file type {suffix!r} (use .toml or .yaml)"
    )


def _resolve_base(ref: object, here: Path) -> Path:
    if not isinstance(ref, str) or not ref:
        raise InvalidInput("scenario/invalid", f"{here}: base: must be a name or a relative path")
    if "/" not in ref and "." not in ref:
        path = LIBRARY_DIR / f"_{ref}.toml"
        if not path.is_file():
            raise InvalidInput(
                "scenario/invalid", f"{here}: base: no library partial named {ref!r}"
            )
        return path
    return (here.parent / ref).resolve()


def _load_merged(path: Path, depth: int = 0) -> dict[str, Any]:
    if depth > 4:
        raise InvalidInput("scenario/invalid", f"{path}: base: chain of bases is too deep (cycle?)")
    data = _read_mapping(path)
    ref = data.pop("base", None)
    if ref is None:
        return data
    return _deep_merge(_load_merged(_resolve_base(ref, path), depth + 1), data)


def load_scenario_file(path: str | Path) -> Scenario:
    """Load and validate a TOML (or YAML) scenario file, resolving ``base``."""
    p = Path(path)
    return parse_scenario(_load_merged(p), source=str(p))


def canonical_json(scenario: Scenario) -> str:
    """Sorted-key, separator-tight JSON of the scenario (decimals as normalised strings)."""
    return json.dumps(scenario.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))


def scenario_hash(scenario: Scenario) -> str:
    """``sha256`` hex digest of :func:`canonical_json`."""
    return hashlib.sha256(canonical_json(scenario).encode()).hexdigest()


# --- exact parameters for the engine ---------------------------------------------------------


def exact_collateral_params(c: Collateral) -> dict[str, Any]:
    """The collateral's parameters as exact engine ints, named like the CDP's ``CollateralParams``.

    Ratios and multipliers become ray/wad via ``peglab.units`` (exact decimal conversion); USD
    amounts become rad. ``apr`` is passed through as decimal text (the engine's ``apr_to_duty``
    takes text); ``hole_rad`` is ``None`` when the file leaves it to the runner (``0.5 * D10``).
    """
    from ..units import ray, wad

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


# --- sampling one run ------------------------------------------------------------------------


def _window(sc: Scenario, at: int, duration: int | None) -> slice:
    start = sc.step_of(at)
    stop = sc.n_steps + 1 if duration is None else max(start + 1, sc.step_of(at + duration))
    return slice(start, stop)


def shock_factor(
    sc: Scenario, kind: str, attr: str = "factor", target: str | None = None
) -> np.ndarray:
    """Per-step multiplicative factor ``(n_steps + 1,)`` from all shocks of ``kind``.

    ``attr`` is the shock field to multiply in (``factor``, ``capital_factor``,
    ``latency_factor``); for depth shocks ``target`` selects ``external`` or ``pools`` (``both``
    counts for either). Windows run ``[at, at + duration)``, to the horizon when no duration.
    """
    out = np.ones(sc.n_steps + 1)
    for sh in sc.shocks:
        if sh.kind != kind:
            continue
        if target is not None and getattr(sh, "target", target) not in (target, "both"):
            continue
        out[_window(sc, sh.at, sh.duration)] *= float(getattr(sh, attr))
    return out


def oracle_modes(sc: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """Per step and asset: mode code ``(n_steps + 1, n_assets)`` int8 (0 ok, 1 frozen, 2 stale,
    3 manipulated) and the manipulation size (float). Later shocks override earlier ones."""
    codes = {"frozen": 1, "stale": 2, "manipulated": 3}
    idx = sc.asset_index
    mode = np.zeros((sc.n_steps + 1, len(sc.assets)), dtype=np.int8)
    size = np.zeros((sc.n_steps + 1, len(sc.assets)))
    for sh in sc.shocks:
        if isinstance(sh, OracleShock):
            w = _window(sc, sh.at, sh.duration)
            for s in sh.assets:
                mode[w, idx[s]] = codes[sh.mode]
                size[w, idx[s]] = float(sh.size)
    return mode, size


def _vol_scale(sc: Scenario, assets: list[str]) -> np.ndarray | None:
    scale = np.ones((sc.n_steps, len(assets)))
    hit = False
    for sh in sc.shocks:
        if isinstance(sh, VolShock):
            w = _window(sc, sh.at, sh.duration)
            steps = slice(w.start, min(w.stop, sc.n_steps))
            for j, a in enumerate(assets):
                if a in sh.assets:
                    scale[steps, j] *= float(sh.factor)
                    hit = True
    return scale if hit else None


def simulate_prices(sc: Scenario, rng: np.random.Generator) -> np.ndarray:
    """Market prices of one run, ``(n_steps + 1, n_assets)`` in the order of ``sc.assets``.

    Blocks are drawn in file order from ``rng``; assets without a block stay at their initial
    price; scheduled price shocks are overlaid; derivatives are ``underlying * exchange_rate``
    with slash shocks applied to the rate. Volatility shocks scale the free (unpinned) steps of
    GBM, bridge and anchor blocks.
    """
    n, k = sc.n_steps, len(sc.assets)
    idx = sc.asset_index
    out = np.empty((n + 1, k))
    for a in sc.assets:
        out[:, idx[a.symbol]] = float(a.price)
    for blk in sc.prices:
        cols = [idx[s] for s in blk.assets]
        s0 = np.array([float(sc.asset(s).price) for s in blk.assets])
        if isinstance(blk, OuPrices):
            path = pr.ou_path(
                s0,
                blk.half_life,
                float(blk.vol),
                sc.step,
                n,
                rng,
                float(blk.depeg_rate),
                float(blk.depeg_level),
                blk.depeg_half_life,
                float(blk.band),
            )
        elif isinstance(blk, BridgePrices):
            path = pr.bridge_path(
                s0,
                np.array([float(blk.drawdowns.get(a, blk.drawdown)) for a in blk.assets]),
                sc.step_of(blk.start),
                max(sc.step_of(blk.start) + 1, sc.step_of(blk.start + blk.duration)),
                blk.diffusion(),
                sc.step,
                n,
                rng,
                None if blk.segment_vol is None else float(blk.segment_vol),
                _vol_scale(sc, list(blk.assets)),
            )
        elif isinstance(blk, AnchorPrices):
            path = pr.anchor_path(
                s0,
                [a.at for a in blk.anchors],
                [float(a.ratio) for a in blk.anchors],
                blk.diffusion(),
                sc.step,
                n,
                rng,
                None if blk.segment_vol is None else float(blk.segment_vol),
                float(blk.severity),
                float(blk.compression),
                _vol_scale(sc, list(blk.assets)),
            )
        else:
            path = pr.gbm_path(
                s0, blk.diffusion(), sc.step, n, rng, _vol_scale(sc, list(blk.assets))
            )
        out[:, cols] = path
    shocks = [
        (sc.step_of(sh.at), idx[s], float(sh.size))
        for sh in sc.shocks
        if isinstance(sh, PriceShock)
        for s in sh.assets
        if sc.asset(s).kind != "derivative"
    ]
    pr.apply_price_shocks(out, shocks, inplace=True)
    for a in sc.assets:
        if a.kind == "derivative" and a.underlying is not None:
            rate = np.full(n + 1, float(a.exchange_rate))
            for sh in sc.shocks:
                if isinstance(sh, SlashShock) and sh.asset == a.symbol:
                    rate[sc.step_of(sh.at) :] *= 1.0 - float(sh.size)
            out[:, idx[a.symbol]] = out[:, idx[a.underlying]] * rate
    return out


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
