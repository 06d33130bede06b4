"""Fixed-point units (wad, ray, rad, bps) and input validation for integer amounts.

The allowed products, written once:  wad * ray -> rad,  wad * wad // WAD -> wad,
ray * ray // RAY -> ray,  rad // ray -> wad.  Amounts are Python ints in base units; the
reference contracts' 2^256 bound is enforced on every user-supplied amount.
"""

from __future__ import annotations

from .errors import InvalidInput

__all__ = [
    "BPS",
    "DAY",
    "HOUR",
    "MAX_UINT256",
    "RAD",
    "RAY",
    "WAD",
    "WEEK",
    "YEAR",
    "check_amount",
    "check_int",
    "check_positive",
    "ray",
    "to_wad_decimal",
    "wad",
]

WAD: int = 10**18
RAY: int = 10**27
RAD: int = 10**45
BPS: int = 10_000
MAX_UINT256: int = 2**256 - 1

HOUR: int = 3600
DAY: int = 86_400
WEEK: int = 604_800
YEAR: int = 31_536_000  # 365 days, the convention of dss rate tables


def check_int(value: object, name: str, code: str = "input/not-integer") -> int:
    """Return ``value`` if it is a plain int (bools refused), else raise InvalidInput."""
    if type(value) is not int:
        raise InvalidInput(code, f"{name} must be an integer in base units, got {value!r}")
    return value


def check_amount(value: object, name: str = "amount", code: str = "input/bad-amount") -> int:
    """Return ``value`` if it is an int in [0, 2^256), else raise InvalidInput."""
    v = check_int(value, name, code)
    if v < 0:
        raise InvalidInput(code, f"{name} must not be negative, got {v}")
    if v > MAX_UINT256:
        raise InvalidInput(code, f"{name} must be below 2^256, got {v}")
    return v


def check_positive(value: object, name: str = "amount", code: str = "input/bad-amount") -> int:
    """Return ``value`` if it is an int in (0, 2^256), else raise InvalidInput."""
    v = check_amount(value, name, code)
    if v == 0:
        raise InvalidInput(code, f"{name} must be positive")
    return v


def _scaled(text: str | int, scale: int, name: str) -> int:
    """Exact decimal text (or int) times ``scale``; refuses digits below the unit."""
    from decimal import Decimal, InvalidOperation

    try:
        d = Decimal(str(text)) * scale
    except InvalidOperation:
        raise InvalidInput("input/bad-number", f"{name}: {text!r} is not a number") from None
    if d != d.to_integral_value():
        raise InvalidInput("input/too-precise", f"{name}: {text!r} has more digits than the unit")
    return int(d)


def wad(text: str | int) -> int:
    """Exact wad from decimal text: ``wad("1.5") == 15 * 10**17``. Floats are refused on purpose."""
    return _scaled(text, WAD, "wad")


def ray(text: str | int) -> int:
    """Exact ray from decimal text: ``ray("1.75") == 175 * 10**25``."""
    return _scaled(text, RAY, "ray")


def to_wad_decimal(amount: int, decimals: int = 18) -> str:
    """Human-readable decimal text of a base-unit amount, exact (no float)."""
    sign = "-" if amount < 0 else ""
    a = abs(amount)
    if decimals == 0:
        return f"{sign}{a}"
    whole, frac = divmod(a, 10**decimals)
    frac_s = str(frac).rjust(decimals, "0").rstrip("0")
    return f"{sign}{whole}.{frac_s}" if frac_s else f"{sign}{whole}"
