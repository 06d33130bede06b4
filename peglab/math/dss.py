"""Pure integer functions of MakerDAO dss: ``rpow`` (jug/pot) and the stability-fee conversion.

``rpow(x, n, base)``: x^n in fixed point with scale ``base`` by square-and-multiply, each product
rounded half up, exactly as dss ``jug.sol``/``pot.sol`` (assembly ``rpow``):

    rpow(x, 0, b) = b ;  rpow(0, n, b) = 0 for n > 0
    z = x if n odd else b ; while n //= 2: x = (x*x + b//2) // b ; if n odd: z = (z*x + b//2) // b

The EVM version reverts on any intermediate at or above 2^256, and so does this one (``Overflow``
``math/rpow-overflow``): there is no unbounded mode. That bounds the work too: at most
``2 * log2(n)`` products of numbers below 2^256, so no argument makes ``rpow`` slow (an exact
``rpow(2 * RAY, 3 * 10**8)`` would need hundreds of megabytes).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext
from functools import lru_cache

from ..errors import InvalidInput, Overflow
from ..units import MAX_UINT256, RAY, YEAR, show

__all__ = ["apr_to_duty", "rpow"]

_U256 = 2**256


@lru_cache(maxsize=4096, typed=True)
def rpow(x: int, n: int, base: int) -> int:
    """x^n at fixed-point scale ``base``, half-up rounding at each step (dss semantics).

    Pure, so memoised: a simulation drips with the same per-second rate over the same step."""
    if not (0 <= x <= MAX_UINT256 and 0 <= n <= MAX_UINT256 and 0 < base <= MAX_UINT256):
        raise InvalidInput(
            "math/rpow-domain",
            f"rpow needs uint256 x, n and base > 0; got {show(x)}, {show(n)}, {show(base)}",
        )
    if n == 0:
        return base
    if x == 0:
        return 0
    half = base // 2
    z = x if n & 1 else base
    n >>= 1
    while n:
        xx = x * x
        if xx + half >= _U256:
            raise Overflow("math/rpow-overflow", "rpow intermediate exceeds 2^256")
        x = (xx + half) // base
        if n & 1:
            zx = z * x
            if zx + half >= _U256:
                raise Overflow("math/rpow-overflow", "rpow intermediate exceeds 2^256")
            z = (zx + half) // base
        n >>= 1
    return z


def apr_to_duty(apr: str | Decimal, seconds_per_year: int = YEAR) -> int:
    """Per-second ray rate that compounds to ``1 + apr`` over a year, rounded half up.

    ``apr_to_duty("0.01") == 1000000000315522921573372069`` (dss-add-ilk-spell's 1% value).
    Computed with 60 significant digits so the 27th decimal is exact.
    """
    with localcontext() as ctx:
        ctx.prec = 60
        a = Decimal(apr)
        if a < 0:
            raise InvalidInput("math/negative-apr", f"APR must be >= 0, got {apr}")
        per_second = (Decimal(1) + a) ** (Decimal(1) / Decimal(seconds_per_year))
        return int((per_second * RAY).quantize(Decimal(1), rounding=ROUND_HALF_UP))
