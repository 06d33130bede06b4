"""Uniswap v2 constant-product integer formulas (UniswapV2Library), with the fee in basis points.

With ``fee_bps = 30`` every formula equals Uniswap v2's ``997/1000`` form exactly: scaling the
numerator and the denominator of a floored quotient by the same factor (10) leaves it unchanged.
"""

from __future__ import annotations

from math import isqrt as _isqrt

from ..errors import InvalidInput

__all__ = [
    "BPS_DENOMINATOR",
    "DEFAULT_FEE_BPS",
    "MINIMUM_LIQUIDITY",
    "get_amount_in",
    "get_amount_out",
    "isqrt",
    "quote",
]

BPS_DENOMINATOR: int = 10_000
DEFAULT_FEE_BPS: int = 30
MINIMUM_LIQUIDITY: int = 1000


def isqrt(y: int) -> int:
    """floor(sqrt(y)) for y >= 0 (v2's Babylonian ``Math.sqrt`` returns the same floor)."""
    return _isqrt(y)


def get_amount_out(
    amount_in: int, reserve_in: int, reserve_out: int, fee_bps: int = DEFAULT_FEE_BPS
) -> int:
    """Output for an exact input (floor, so the pool keeps the remainder).

    ``a = amount_in * (10000 - fee_bps)``; ``out = a * reserve_out // (reserve_in * 10000 + a)``.
    Raises ``amm/insufficient-input`` if ``amount_in == 0`` and ``amm/insufficient-liquidity``
    if a reserve is zero.
    """
    if amount_in <= 0:
        raise InvalidInput("amm/insufficient-input", f"amount in must be positive, got {amount_in}")
    if reserve_in <= 0 or reserve_out <= 0:
        raise InvalidInput("amm/insufficient-liquidity", "the pool has no liquidity")
    a_fee = amount_in * (BPS_DENOMINATOR - fee_bps)
    return a_fee * reserve_out // (reserve_in * BPS_DENOMINATOR + a_fee)


def get_amount_in(
    amount_out: int, reserve_in: int, reserve_out: int, fee_bps: int = DEFAULT_FEE_BPS
) -> int:
    """Input needed for an exact output (rounded up by the ``+ 1``, in the pool's favour).

    ``in = reserve_in * amount_out * 10000 // ((reserve_out - amount_out) * (10000 - fee_bps)) + 1``.
    Raises ``amm/insufficient-output`` if ``amount_out == 0`` and ``amm/insufficient-liquidity``
    unless ``reserve_out > amount_out`` and ``reserve_in > 0``.
    """
    if amount_out <= 0:
        raise InvalidInput(
            "amm/insufficient-output", f"amount out must be positive, got {amount_out}"
        )
    if reserve_in <= 0 or reserve_out <= amount_out:
        raise InvalidInput(
            "amm/insufficient-liquidity",
            f"the pool holds {reserve_out} of the output token, asked {amount_out}",
        )
    num = reserve_in * amount_out * BPS_DENOMINATOR
    den = (reserve_out - amount_out) * (BPS_DENOMINATOR - fee_bps)
    return num // den + 1


def quote(amount_a: int, reserve_a: int, reserve_b: int) -> int:
    """Amount of B worth ``amount_a`` of A at the reserve ratio, no fee: ``a * r_b // r_a``."""
    if amount_a <= 0:
        raise InvalidInput("amm/insufficient-amount", f"amount must be positive, got {amount_a}")
    if reserve_a <= 0 or reserve_b <= 0:
        raise InvalidInput("amm/insufficient-liquidity", "the pool has no liquidity")
    return amount_a * reserve_b // reserve_a
