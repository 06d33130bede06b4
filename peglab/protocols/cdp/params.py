"""Launch specifications and the one parameter set of AI-dollar collateral (docs/cdp-spec.md §3, §12).

``CollateralParams`` is the single declaration of a collateral type's risk and auction
parameters and of their defaults: the engine (vault engine, fees, prices, liquidator, clipper,
flipper) reads it at launch, the scenario schema and the world builder of the simulation build
it, and docs/cdp.md's parameter table is this class. Its defaults are docs/cdp-spec.md §12's
preset for a volatile native AI token: a 1.75 liquidation ratio from ``mat >= chop / (1 - q)``
with a 30% 99th-percentile drawdown over the liquidation horizon, rounded up for thin liquidity.

Every field is an exact int in the unit its name says (``_ray``, ``_wad``, ``_rad``, ``_s``).
``PARAMETER_UNITS`` names each field in human units (``mat = 1.75``, ``line = 10_000_000`` AI
dollars, ``step = 60`` s); ``CollateralParams.from_units`` converts such values exactly and
``units`` gives them back, so a scenario file can write ``mat = "1.75"`` and nothing restates the
defaults. ``replace(params, line_rad=...)`` overrides a field of a preset.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from decimal import Decimal
from typing import Literal

from ...errors import InvalidInput
from ...math import apr_to_duty
from ...units import DAY, HOUR, RAD, RAY, WAD, ray, wad
from .oracle import PriceSource
from .psm import PsmSpec
from .spotter import DerivativeValuation

__all__ = [
    "DEFAULT_APR",
    "GUARDRAILS",
    "PARAMETER_UNITS",
    "AIDollarSpec",
    "CollateralParams",
    "CollateralSpec",
    "Guardrails",
    "native_ai_token",
    "replace",
    "staked_derivative",
]

DEFAULT_APR = "0.10"  # stability fee of the presets, per year (``duty_ray`` is its per-second rate)
_LINE = 10_000_000  # AI dollars: the native preset's debt ceiling


@dataclass(frozen=True, slots=True)
class CollateralParams:
    """Risk and auction parameters of one collateral type; defaults: the native AI-token preset."""

    mat_ray: int = ray("1.75")  # liquidation ratio
    chop_wad: int = wad("1.13")  # liquidation penalty (13%)
    duty_ray: int = apr_to_duty(DEFAULT_APR)  # stability fee per second
    line_rad: int = _LINE * RAD  # debt ceiling of the type
    dust_rad: int = 500 * RAD  # smallest vault debt
    hole_rad: int = _LINE * RAD // 2  # most debt in auction at once
    buf_ray: int = ray("1.20")  # Dutch auction start: feed price times buf
    calc: Literal["linear", "stairstep", "exponential"] = "stairstep"  # price curve
    step_s: int = 60  # stair-step length
    cut_ray: int = ray("0.99")  # price kept per step (exponential: per second)
    tau_s: int = 3600  # linear curve: time to reach zero
    cusp_ray: int = ray("0.40")  # reset when price / top falls below cusp
    tail_s: int = 5600  # reset after tail seconds
    chip_wad: int = wad("0.001")  # keeper incentive: share of the tab
    tip_rad: int = 20 * RAD  # keeper incentive: flat
    hop_s: int = 3600  # oracle delay (OSM hop)
    max_age_s: int = 10_800  # a delayed price older than this is stale
    # auction kind: "dutch" (Clipper, the fields above) or "english" (legacy Flipper, flip.py:
    # beg, ttl and flip_tau_s below; dss defaults 5%, 3 h, 2 days; Black Thursday ran 10 min, 6 h)
    auction: Literal["dutch", "english"] = "dutch"
    beg_wad: int = WAD * 105 // 100  # English auction: smallest bid raise / lot cut
    ttl_s: int = 3 * HOUR  # English auction: bid lifetime
    flip_tau_s: int = 2 * DAY  # English auction: auction lifetime

    @classmethod
    def from_units(cls, **values: object) -> CollateralParams:
        """Parameters from human units (``PARAMETER_UNITS``), the rest at their defaults.

        ``CollateralParams.from_units(mat="1.75", line=20_000_000, apr="0.08", calc="linear")``.
        Decimal values are converted exactly (text or ``Decimal``; a float is refused, as it
        may not be what was written); ``apr`` sets ``duty_ray`` through ``apr_to_duty``.
        """
        exact: dict[str, object] = {}
        for name, value in values.items():
            if name == "apr":
                exact["duty_ray"] = apr_to_duty(_decimal_text(name, value))
                continue
            if name not in PARAMETER_UNITS:
                raise InvalidInput(
                    "cdp/unknown-param",
                    f"unknown parameter {name!r}; known: apr, {', '.join(PARAMETER_UNITS)}",
                )
            field, unit = PARAMETER_UNITS[name]
            exact[field] = _to_exact(name, value, unit)
        return replace(cls(), **exact)  # type: ignore[arg-type]

    def units(self) -> dict[str, Decimal | int | str]:
        """Every field but ``duty_ray`` in human units (the inverse of ``from_units``)."""
        scale = {"ray": RAY, "wad": WAD, "rad": RAD}
        out: dict[str, Decimal | int | str] = {}
        for name, (field, unit) in PARAMETER_UNITS.items():
            v = getattr(self, field)
            out[name] = Decimal(v) / scale[unit] if unit in scale else v
        return out


# human name -> (field, unit); units: ray/wad/rad (exact decimals), s (int seconds), text
PARAMETER_UNITS: dict[str, tuple[str, str]] = {
    f.name.rsplit("_", 1)[0] if f.name.endswith(("_ray", "_wad", "_rad", "_s")) else f.name: (
        f.name,
        f.name.rsplit("_", 1)[1] if f.name.endswith(("_ray", "_wad", "_rad", "_s")) else "text",
    )
    for f in fields(CollateralParams)
    if f.name != "duty_ray"
}


def _decimal_text(name: str, value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
        raise InvalidInput("cdp/bad-value", f"{name} must be text, an int or a Decimal: {value!r}")
    return str(value)


def _to_exact(name: str, value: object, unit: str) -> object:
    if unit == "text":
        return value
    if unit == "s":
        if type(value) is not int:
            raise InvalidInput("cdp/bad-value", f"{name} is whole seconds, got {value!r}")
        return value
    text = _decimal_text(name, value)
    return ray(text) if unit == "ray" else wad(text) if unit == "wad" else wad(text) * RAY


def native_ai_token(line: int = _LINE, *, apr: str = DEFAULT_APR) -> CollateralParams:
    """Preset for a native AI token (``ATH-A``, ``VIRTUAL-A``); ``line`` in AI dollars."""
    return CollateralParams(
        duty_ray=apr_to_duty(apr), line_rad=line * RAD, hole_rad=line * RAD // 2
    )


def staked_derivative(line: int = 5_000_000, *, apr: str = DEFAULT_APR) -> CollateralParams:
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
