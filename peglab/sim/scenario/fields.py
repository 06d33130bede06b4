"""Field types of scenario files: decimals, durations, symbols (docs/risk-lab.md "Scenario files").

Parameters are written as human-friendly decimals, as strings or TOML numbers: ``mat = "1.75"``,
``vol = 1.2``. They are held as ``decimal.Decimal`` (a TOML float goes through ``str`` first, so
``1.75`` is exactly ``Decimal("1.75")``) and normalised (``"1.750"`` and ``1.75`` hash the same).
Durations are ints in seconds or strings with a unit: ``"90s"``, ``"5m"``, ``"1h"``, ``"7d"``,
``"2w"``. Every model is frozen and refuses unknown keys (:class:`Model`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

__all__ = [
    "Corr",
    "Dec",
    "Duration",
    "Int",
    "Model",
    "Name",
    "NonNegDec",
    "OpenFrac",
    "PosDec",
    "Prob",
    "Ratio",
    "Symbol",
    "parse_duration",
    "unique",
]

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


def _rule(ok: Callable[[Decimal], bool], message: str) -> AfterValidator:
    """A validator refusing a decimal for which ``ok`` is false, with ``message``."""

    def check(d: Decimal) -> Decimal:
        if not ok(d):
            raise ValueError(message)
        return d

    return AfterValidator(check)


Dec = Annotated[Decimal, BeforeValidator(_no_bool), AfterValidator(_canon)]
PosDec = Annotated[Dec, _rule(lambda d: d > 0, "must be positive")]
NonNegDec = Annotated[Dec, _rule(lambda d: d >= 0, "must not be negative")]
Prob = Annotated[Dec, _rule(lambda d: 0 <= d <= 1, "must be a probability in [0, 1]")]
OpenFrac = Annotated[Dec, _rule(lambda d: 0 < d < 1, "must be a fraction strictly between 0 and 1")]
Corr = Annotated[Dec, _rule(lambda d: -1 < d <= 1, "must be a correlation in (-1, 1]")]
Ratio = Annotated[Dec, _rule(lambda d: d >= 1, "must be at least 1")]
Duration = Annotated[int, BeforeValidator(parse_duration)]
Int = Annotated[int, BeforeValidator(_no_bool)]  # an integer count (``true`` is not 1)
Symbol = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")]
Name = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")]


class Model(BaseModel):
    """Base of every scenario model: frozen, unknown keys refused, defaults validated."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


def unique(items: list[str], what: str) -> None:
    """Refuse a duplicate in ``items`` (``duplicate <what> 'x'``)."""
    seen: set[str] = set()
    for x in items:
        if x in seen:
            raise ValueError(f"duplicate {what} {x!r}")
        seen.add(x)
