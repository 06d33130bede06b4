"""Auction price curves of dss Liquidations 2.0 (``abaci.sol``): pure functions of top price and age.

    linear_decrease(top, tau, dur)               = 0 if dur >= tau else rmul(top, ((tau - dur) * RAY) // tau)
    stairstep_exponential_decrease(top, step, cut, dur) = rmul(top, rpow(cut, dur // step, RAY))
    exponential_decrease(top, cut, dur)          = rmul(top, rpow(cut, dur, RAY))

``top`` and the result are ray prices, ``cut <= RAY`` is the per-step (per-second) multiplier,
``dur`` the auction's age in seconds. Every division floors, so the price never rounds in the
bidder's favour by more than one ray-unit. ``rpow`` is the abaci variant: ``n == 0`` gives
``RAY`` before ``x == 0`` is looked at, half-up rounding at each product, and (with
``parity=True``) a base ``x >= 2^128`` is refused as the contract reverts.
"""

from __future__ import annotations

from ..errors import InvalidInput
from ..units import RAY
from .dss import rpow

__all__ = [
    "abaci_rpow",
    "exponential_decrease",
    "linear_decrease",
    "stairstep_exponential_decrease",
]

_X_LIMIT = 2**128


def abaci_rpow(x: int, n: int, base: int = RAY, *, parity: bool = False) -> int:
    """x^n at scale ``base`` with dss-abaci semantics (see the module docstring)."""
    if n == 0:
        return base
    if parity and x >= _X_LIMIT and n > 1:
        raise InvalidInput("math/rpow-overflow", "abaci rpow base must be below 2^128")
    return rpow(x, n, base)


def _check(name: str, value: int, *, positive: bool = False) -> None:
    if type(value) is not int or value < 0 or (positive and value == 0):
        need = "a positive" if positive else "a non-negative"
        raise InvalidInput("math/bad-curve-input", f"{name} must be {need} int, got {value!r}")


def linear_decrease(top_ray: int, tau_s: int, elapsed_s: int) -> int:
    """Price falling linearly from ``top`` to 0 over ``tau`` seconds (floor)."""
    _check("top_ray", top_ray)
    _check("tau_s", tau_s, positive=True)
    _check("elapsed_s", elapsed_s)
    if elapsed_s >= tau_s:
        return 0
    return top_ray * (((tau_s - elapsed_s) * RAY) // tau_s) // RAY


def stairstep_exponential_decrease(top_ray: int, step_s: int, cut_ray: int, elapsed_s: int) -> int:
    """Price multiplied by ``cut`` once every ``step`` seconds (floor)."""
    _check("top_ray", top_ray)
    _check("step_s", step_s, positive=True)
    _check("cut_ray", cut_ray)
    _check("elapsed_s", elapsed_s)
    if cut_ray > RAY:
        raise InvalidInput("math/bad-curve-input", f"cut must be <= RAY, got {cut_ray}")
    return top_ray * abaci_rpow(cut_ray, elapsed_s // step_s, RAY) // RAY


def exponential_decrease(top_ray: int, cut_ray: int, elapsed_s: int) -> int:
    """Price multiplied by ``cut`` every second (floor)."""
    _check("top_ray", top_ray)
    _check("cut_ray", cut_ray)
    _check("elapsed_s", elapsed_s)
    if cut_ray > RAY:
        raise InvalidInput("math/bad-curve-input", f"cut must be <= RAY, got {cut_ray}")
    return top_ray * abaci_rpow(cut_ray, elapsed_s, RAY) // RAY
