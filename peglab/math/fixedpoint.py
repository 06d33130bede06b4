"""Fixed-point products and quotients with the rounding direction in the name.

dss names (``wmul``, ``rmul``, ``wdiv``, ``rdiv``) floor, as the contracts do on non-negative
operands. ``*_up`` variants round toward +infinity; use them where the protocol must not be
short-changed (debt a user owes, shares a user burns). ``div_trunc`` divides signed integers
toward zero like Solidity and Vyper (Python's ``//`` floors).
"""

from __future__ import annotations

from ..units import RAY, WAD

__all__ = [
    "ceil_div",
    "div_trunc",
    "mul_div_down",
    "mul_div_up",
    "rdiv",
    "rdiv_up",
    "rmul",
    "rmul_up",
    "wdiv",
    "wdiv_up",
    "wmul",
    "wmul_up",
]


def ceil_div(a: int, b: int) -> int:
    """ceil(a / b) for a >= 0, b > 0."""
    return -((-a) // b)


def div_trunc(a: int, b: int) -> int:
    """a / b truncated toward zero (Solidity's signed division); b != 0."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def mul_div_down(a: int, b: int, d: int) -> int:
    """floor(a * b / d) for non-negative a, b and positive d."""
    return a * b // d


def mul_div_up(a: int, b: int, d: int) -> int:
    """ceil(a * b / d) for non-negative a, b and positive d."""
    return -((-a * b) // d)


def wmul(x: int, y: int) -> int:
    """x * y // WAD (floor)."""
    return x * y // WAD


def wmul_up(x: int, y: int) -> int:
    """ceil(x * y / WAD)."""
    return -((-x * y) // WAD)


def rmul(x: int, y: int) -> int:
    """x * y // RAY (floor)."""
    return x * y // RAY


def rmul_up(x: int, y: int) -> int:
    """ceil(x * y / RAY)."""
    return -((-x * y) // RAY)


def wdiv(x: int, y: int) -> int:
    """x * WAD // y (floor)."""
    return x * WAD // y


def wdiv_up(x: int, y: int) -> int:
    """ceil(x * WAD / y)."""
    return -((-x * WAD) // y)


def rdiv(x: int, y: int) -> int:
    """x * RAY // y (floor)."""
    return x * RAY // y


def rdiv_up(x: int, y: int) -> int:
    """ceil(x * RAY / y)."""
    return -((-x * RAY) // y)
