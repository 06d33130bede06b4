"""Fixed-point units (wad, ray, rad, bps) and input validation for integer amounts.

The allowed products, written once:  wad * ray -> rad,  wad * wad // WAD -> wad,
ray * ray // RAY -> ray,  rad // ray -> wad.  Amounts are Python ints in base units; the
reference contracts' 2^256 bound is enforced on every user-supplied amount, and narrower widths
(``check_width``) where the reference stores a field narrower. ``show`` formats any value for an
error message without ever failing (Python refuses to print ints above 4,300 digits).
"""

from __future__ import annotations

from .errors import InvalidInput, Overflow

__all__ = [
    "BPS",
    "DAY",
    "HOUR",
    "MAX_INT256",
    "MAX_UINT256",
    "MIN_INT256",
    "RAD",
    "RAY",
    "WAD",
    "WEEK",
    "YEAR",
    "check_amount",
    "check_int",
    "check_positive",
    "check_width",
    "ray",
    "show",
    "to_wad_decimal",
    "wad",
]

WAD: int = 10**18
RAY: int = 10**27
RAD: int = 10**45
BPS: int = 10_000
MAX_UINT256: int = 2**256 - 1
MAX_INT256: int = 2**255 - 1
MIN_INT256: int = -(2**255)

HOUR: int = 3600
DAY: int = 86_400
WEEK: int = 604_800
YEAR: int = 31_536_000  # 365 days, the convention of dss rate tables


def show(value: object, limit: int = 120) -> str:
    """``repr(value)`` for an error message, shortened; never fails (huge ints, broken reprs)."""
    if type(value) is int and value.bit_length() > 256:
        return f"<an integer of {value.bit_length()} bits>"
    try:
        text = repr(value)
    except Exception:  # a hostile or huge object must not turn a refusal into a crash
        return f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_int(value: object, name: str, code: str = "input/not-integer") -> int:
    """Return ``value`` if it is a plain int (bools refused), else raise InvalidInput."""
    if type(value) is not int:
        raise InvalidInput(code, f"{name} must be an integer in base units, got {show(value)}")
    return value


def check_width(value: int, bits: int, name: str, code: str) -> int:
    """Return ``value`` if it fits an unsigned ``bits``-bit field, else raise ``Overflow``.

    For fields the reference stores narrower than 256 bits (dss Clip's ``uint64 chip``,
    ``uint192 tip``; Uniswap v2's ``uint112`` reserves).
    """
    if not 0 <= value < 1 << bits:
        raise Overflow(
            code, f"{name} must fit {bits} bits (the reference's field), got {show(value)}"
        )
    return value


def check_amount(value: object, name: str = "amount", code: str = "input/bad-amount") -> int:
    """Return ``value`` if it is an int in [0, 2^256), else raise InvalidInput."""
    v = check_int(value, name, code)
    if v < 0:
        raise InvalidInput(code, f"{name} must not be negative, got {show(v)}")
    if v > MAX_UINT256:
        raise InvalidInput(code, f"{name} must be below 2^256, got {show(v)}")
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
