"""LLAMMA's pure integer math: the band grid, the band invariant, and the two transcendental helpers.

Restated in our own words from Curve's crvUSD AMM and Controller (curve-stablecoin, the
Vyper 0.3.9 contracts of November 2023; docs/llamma.md §2). Everything is in 1e18 fixed point
("wad"); every division floors on non-negative operands like the EVM's ``div``, and where the
contract divides a signed number the division truncates toward zero (``div_trunc``).

**The grid.** Band ``n`` covers oracle prices from ``p_oracle_up(n) = base · ((A-1)/A)^n``
down to ``p_oracle_down(n) = p_oracle_up(n+1)``: each band is ``1/A`` of its upper edge wide,
band 0 starts at the base price and higher band numbers sit at lower prices. The power is
computed as ``exp(-n · ln(A/(A-1)))`` with ``ln(A/(A-1))`` given once (``log_a_ratio_wad``).

**The band invariant.** Inside band ``n`` with ``x`` stablecoin and ``y`` collateral, and the
oracle at ``p_o``, the AMM keeps ``(f + x)(g + y) = Inv`` with ``f = A y0 p_o² / p_up`` and
``g = (A-1) y0 p_up / p_o``, where ``y0`` is the collateral the band would hold at rest at its
upper edge. Solving the invariant for ``y0`` given ``(x, y)`` is a quadratic (``get_y0``). The
AMM price is ``(f + x)/(g + y)``; it runs from ``p_o³/p_up²`` (band all collateral) to
``p_o³/p_down²`` (all stablecoin), so a falling oracle moves the AMM price three times as fast
and arbitrageurs sell the band's collateral for stablecoin: that is soft liquidation.

**exp** (``wad_exp``): the contract's exponential, which is Remco Bloemen's published method
("Exp and Ln", 2021, also solmate's ``expWad``): write ``x = k·ln 2 + r`` with ``|r| <= ln2/2``
in 2^96 fixed point, approximate ``e^r`` by a (6, 7) rational function ``p(r)/q(r)`` and scale
by ``2^k``. The polynomial coefficients below are those of the published approximation; the
contract divides by ``2^96`` with truncation toward zero, which we reproduce.

**log2** (``log2_wad``): the Controller's base-2 logarithm: the integer part by halving with
``2^128, 2^64, ..., 2^1``, then 34 fractional bits by repeated squaring (a square above 2 is
one bit). It truncates every step, so it is a slight under-estimate, exactly like the contract.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from decimal import Decimal, localcontext
from math import isqrt
from typing import ParamSpec, TypeVar

from ...errors import InvalidInput, Overflow
from ...math.fixedpoint import div_trunc

__all__ = [
    "DEAD_SHARES",
    "MAX_SKIP_TICKS",
    "MAX_TICKS",
    "WAD",
    "get_p",
    "get_y0",
    "log2_wad",
    "log_a_ratio_wad",
    "max_oracle_dn_pow",
    "p_current_band",
    "p_oracle_up",
    "reverts",
    "sqrt_band_ratio_wad",
    "wad_exp",
]

WAD = 10**18
MAX_TICKS = 50  # most bands a loan may span (and a trade may touch with liquidity)
MAX_SKIP_TICKS = 1024  # most empty bands a trade or a deposit may skip
DEAD_SHARES = 1000  # virtual shares per band that make the first depositor's shares honest
_U256 = 1 << 256

# e^r ≈ p(r)/q(r) on |r| <= ln2/2, every number in 2^96 fixed point (Bloemen's coefficients)
_LN2_Q96 = 54916777467707473351141471128  # ln 2 · 2^96
_Q96 = 1 << 96
_P_COEFFS = (
    1346386616545796478920950773328,
    57155421227552351082224309758442,
    94201549194550492254356042504812,
    28719021644029726153956944680412240,
    4385272521454847904659076985693276,
)
_Q_COEFFS = (
    2855989394907223263936484059900,
    50020603652535783019961831881945,
    533845033583426703283633433725380,
    3604857256930695427073651918091429,
    14423608567350463180887372962807573,
    26449188498355588339934803723976023,
)
_EXP_SCALE = 3822833074963236453042738258902158003155416615667  # rescales p/q to 1e18·2^195
_EXP_MIN, _EXP_MAX = -42139678854452767551, 135305999368893231589  # exclusive bounds on power


_P = ParamSpec("_P")
_R = TypeVar("_R")


def reverts(fn: Callable[_P, _R]) -> Callable[_P, _R]:
    """Turn a division by zero inside ``fn`` into the typed refusal ``llamma/division-by-zero``.

    The contracts divide by values that state can drive to zero (an empty band's ``g``, an
    oracle limited to nothing); the EVM then reverts. Applied to the entry points of the band
    math, so a refusal is typed and the transaction rolls back.
    """

    @functools.wraps(fn)
    def wrapper(*args: _P.args, **kw: _P.kwargs) -> _R:
        try:
            return fn(*args, **kw)
        except ZeroDivisionError:
            raise InvalidInput(
                "llamma/division-by-zero",
                f"{fn.__name__}: a division by zero (the contract reverts)",
            ) from None

    return wrapper


def _t(a: int, b: int) -> int:
    return div_trunc(a, b)


def wad_exp(power: int) -> int:
    """``e^(power/1e18)`` in wad, as the contract computes it (see the module docstring).

    Refuses powers outside the contract's range (``llamma/price-out-of-range``): the band is
    then more than ~thousands of bands from the base price.
    """
    if not _EXP_MIN < power < _EXP_MAX:
        raise InvalidInput("llamma/price-out-of-range", f"band power {power} is out of range")
    x = _t(power * _Q96, WAD)
    k = _t(_t(x * _Q96, _LN2_Q96) + (1 << 95), _Q96)
    x -= k * _LN2_Q96
    # numerator: a degree-6 polynomial evaluated as (y + x)·y·x... in Horner-like steps
    y = x + _P_COEFFS[0]
    y = _t(y * x, _Q96) + _P_COEFFS[1]
    p = y + x - _P_COEFFS[2]
    p = _t(p * y, _Q96) + _P_COEFFS[3]
    p = p * x + _P_COEFFS[4] * _Q96
    # denominator: a monic degree-7 polynomial, Horner with alternating signs
    q = x - _Q_COEFFS[0]
    q = _t(q * x, _Q96) + _Q_COEFFS[1]
    q = _t(q * x, _Q96) - _Q_COEFFS[2]
    q = _t(q * x, _Q96) + _Q_COEFFS[3]
    q = _t(q * x, _Q96) - _Q_COEFFS[4]
    q = _t(q * x, _Q96) + _Q_COEFFS[5]
    r = (_t(p, q) * _EXP_SCALE) % _U256  # uint256 product, as the contract's unsafe_mul
    shift = k - 195
    return r << shift if shift >= 0 else r >> -shift


def log2_wad(x_wad: int) -> int:
    """``1e18 · log2(x_wad / 1e18)`` (signed), truncating like the Controller (see above)."""
    if x_wad <= 0:
        raise InvalidInput("llamma/amount-too-low", "log2 of a non-positive number")
    if x_wad >= _U256:  # the contract's argument is a uint256
        raise Overflow("llamma/overflow", "log2 of a number beyond 256 bits")
    inverse = x_wad < WAD
    x = WAD * WAD // x_wad if inverse else x_wad
    res = 0
    t = 128
    for _ in range(8):  # integer part: divide out 2^128, 2^64, ..., 2^1 while possible
        p = 1 << t
        if x >= p * WAD:
            x //= p
            res += t * WAD
        t //= 2
    d = WAD
    for _ in range(34):  # fractional bits: square, and a square of at least 2 is a 1 bit
        if x >= 2 * WAD:
            res += d
            x //= 2
        x = x * x // WAD
        d //= 2
    return -res if inverse else res


def log_a_ratio_wad(a: int) -> int:
    """``floor(1e18 · ln(A/(A-1)))``, the constructor argument the deployers precompute."""
    with localcontext() as ctx:
        ctx.prec = 60
        return int((Decimal(a) / Decimal(a - 1)).ln() * WAD)


def sqrt_band_ratio_wad(a: int) -> int:
    """``floor(1e18 · sqrt(A/(A-1)))`` (the Controller's ``isqrt(1e36·A/(A-1))``)."""
    return isqrt(10**36 * a // (a - 1))


def max_oracle_dn_pow(a: int) -> int:
    """``(A/(A-1))^50`` in wad: a trade stops when the oracle is ~50 bands from its band."""
    r25 = a**25 * WAD // (a - 1) ** 25
    return (r25 * r25 % _U256) // WAD


def p_oracle_up(n: int, base_price_wad: int, log_a_ratio: int) -> int:
    """Upper oracle edge of band ``n``: ``base · e^(-n ln(A/(A-1)))`` (floor)."""
    e = wad_exp(-n * log_a_ratio)
    if e <= 1000:
        raise InvalidInput("llamma/price-out-of-range", f"band {n} is too far below the base")
    return base_price_wad * e // WAD


@reverts
def p_current_band(p_o: int, p_base: int) -> int:
    """The AMM price at the upper edge of a band whose oracle edge is ``p_base``: ``p_o³/p_base²``."""
    return (p_o * p_o // p_base * p_o) // p_base


def get_y0(x: int, y: int, p_o: int, p_o_up: int, a: int) -> int:
    """The band's rest collateral ``y0`` from its holdings (the invariant's quadratic, floor).

    ``p_o A y0² - y0 (p_up/p_o (A-1) x + p_o²/p_up A y) - x y = 0``, positive root.
    """
    if p_o == 0:
        raise InvalidInput("llamma/bad-price", "the oracle price is zero")
    b = 0
    if x != 0:
        b = p_o_up * (a - 1) * x // p_o
    if y != 0:
        b += a * p_o * p_o // p_o_up * y // WAD
    if x > 0 and y > 0:
        disc = b * b + (4 * a * p_o * y // WAD) * x
        return (b + isqrt(disc)) * WAD // (2 * a * p_o)
    return b * WAD // (a * p_o)


@reverts
def get_p(x: int, y: int, p_o: int, p_o_up: int, a: int) -> int:
    """The AMM's price inside a band with ``(x, y)`` at oracle ``p_o`` (floor).

    An empty band reports its middle; a band of only collateral its lowest price, a band of
    only stablecoin its highest (``p_o³ / p_down²``).
    """
    if p_o_up == 0:
        raise InvalidInput("llamma/price-out-of-range", "band edge is zero")
    if x == 0:
        low = p_current_band(p_o, p_o_up)
        return low * a // (a - 1) if y == 0 else low
    if y == 0:
        p_o_down = p_o_up * (a - 1) // a
        return (p_o * p_o // p_o_down * p_o) // p_o_down
    y0 = get_y0(x, y, p_o, p_o_up, a)
    f = a * y0 * p_o // p_o_up * p_o
    g = (a - 1) * y0 * p_o_up // p_o
    return (f + x * WAD) // (g + y)


def invariant_parts(x: int, y: int, p_o: int, p_o_up: int, a: int) -> tuple[int, int, int]:
    """``(f, g, Inv)`` of a band as a trade sees them (``f`` divided by 1e18 once more)."""
    y0 = get_y0(x, y, p_o, p_o_up, a)
    f = a * y0 * p_o // p_o_up * p_o // WAD
    g = (a - 1) * y0 * p_o_up // p_o
    return f, g, (f + x) * (g + y)


def check_band_order(n1: int, n2: int) -> None:
    """A loan's bands: ``n1 <= n2`` within int128 and at most ``MAX_TICKS`` of them."""
    if not (-(2**127) < n1 <= n2 < 2**127) or n2 - n1 + 1 > MAX_TICKS:
        raise InvalidInput("llamma/bad-bands", f"bands {n1}..{n2} are not a valid range")
