"""StableSwap invariant math: the legacy Curve 3pool integer functions, and the stableswap-ng variants.

Design. The invariant (Egorov 2019) for ``N`` coins with balances ``x_i`` (18-decimal "D units")

    A n^n Σx_i + D = A D n^n + D^(n+1) / (n^n Π x_i)

has no closed form in ``D`` or in one ``x_j``; both are found by integer Newton iteration exactly
as the reference contracts do it (same operations, same order, same floors), because a different
but "equally good" iteration would land one wei away and break bit-exactness.

* ``get_D``: with ``D_P = D^(n+1) / (n^n Π x)`` built by repeated ``D_P = D_P*D // (x*N)``,
  ``D' = (Ann*S + N*D_P)*D // ((Ann - 1)*D + (N + 1)*D_P)`` from ``D = S``, where ``Ann = A*N``
  (the contract's ``A`` is ``A_whitepaper * N^(N-1)``). Stops when ``|D' - D| <= 1``.
* ``get_y`` / ``get_y_D``: the invariant as a quadratic in ``y = x_j``,
  ``y^2 + (S' + D/Ann - D) y = c`` with ``c = D^(n+1) / (n^n Π' x * Ann * N)``, iterated as
  ``y' = (y^2 + c) // (2y + b - D)`` from ``y = D``.

Legacy functions run at most 255 iterations and return the last value without converging (as
the contract does); ng functions raise ``amm/no-convergence``. A zero balance would divide by
zero in the contract (a revert); here it raises ``InvalidInput("amm/zero-balance")``.

Speed: the loop-invariant products (``x*N``, ``Ann*S``, ``Ann - 1``) are hoisted; the results
are unchanged because each hoisted value is computed by the very same integer expression.
``get_D`` and ``get_y`` are pure functions of their integers, so each keeps its last
``MEMO_SIZE`` results keyed by every argument (emptied when full, ``remember``): every quote of
a pool whose balances did not move since the last one reuses its invariant (``get_y`` needs it
first), and a repeated quote (a price probe) its result. A raised error is not kept.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from math import isqrt
from typing import TypeVar

from ..errors import InvalidInput

__all__ = [
    "A_PRECISION",
    "FEE_DENOMINATOR",
    "MAX_ITERATIONS",
    "MEMO_SIZE",
    "PRECISION",
    "Settle",
    "dynamic_fee_ng",
    "exchange_out",
    "exchange_out_test",
    "get_D",
    "get_D_ng",
    "get_y",
    "get_y_D",
    "get_y_D_ng",
    "get_y_ng",
    "liquidity_fee",
    "remember",
    "xp_from_balances",
    "y_bracket",
    "y_quadratic",
]

PRECISION: int = 10**18
FEE_DENOMINATOR: int = 10**10
A_PRECISION: int = 100  # stableswap-ng stores A * 100
MAX_ITERATIONS: int = 255
MEMO_SIZE: int = 256  # results kept per function (ai-token-crash: 99% of get_D calls repeat one)
K = TypeVar("K")
_D_MEMO: dict[tuple[int, ...], int] = {}
_Y_MEMO: dict[tuple[int, ...], int] = {}


def remember(memo: dict[K, int], key: K, value: int) -> int:
    """Keep ``memo[key] = value`` (emptied when it holds ``MEMO_SIZE``) and return ``value``."""
    if len(memo) >= MEMO_SIZE:
        # all at once, not the oldest entry: one atomic call, so the service's threads (one per
        # request) never evict the same entry twice; as many repeats are found either way
        memo.clear()
    memo[key] = value
    return value


def _zero_balance() -> InvalidInput:
    return InvalidInput(
        "amm/zero-balance", "a pool balance is zero: the invariant is undefined (division by zero)"
    )


def xp_from_balances(balances: Sequence[int], rates: Sequence[int]) -> list[int]:
    """``xp[i] = balances[i] * rates[i] // 1e18`` (floor): balances in 18-decimal D units."""
    return [b * r // PRECISION for b, r in zip(balances, rates)]


def liquidity_fee(fee: int, n_coins: int) -> int:
    """Per-coin imbalance fee rate of add/remove: ``fee * N // (4 * (N - 1))`` (floor)."""
    return fee * n_coins // (4 * (n_coins - 1))


# -- legacy 3pool -------------------------------------------------------------------------------


def get_D(xp: Sequence[int], amp: int) -> int:
    """Legacy invariant ``D`` (``_get_D``), memoised: the value the same integers last gave."""
    key = (amp, *xp)
    d = _D_MEMO.get(key)
    return remember(_D_MEMO, key, _get_D(xp, amp)) if d is None else d


def _get_D(xp: Sequence[int], amp: int) -> int:
    """Legacy invariant ``D`` of balances ``xp`` (D units) at amplification ``amp`` (contract A).

    ``S = Σxp``; 0 if ``S == 0``. From ``D = S`` repeat (≤ 255 times):
    ``D_P = D; for x in xp: D_P = D_P*D // (x*N)``;
    ``D = (Ann*S + D_P*N)*D // ((Ann - 1)*D + (N + 1)*D_P)`` with ``Ann = amp*N``;
    stop when ``|D - D_prev| <= 1``. Returns the last ``D`` even without convergence.
    Raises ``amm/zero-balance`` if some ``xp[i] == 0`` while ``S > 0``.
    """
    s = 0
    for x in xp:
        s += x
    if s == 0:
        return 0
    n = len(xp)
    ann = amp * n
    xn = [x * n for x in xp]
    if 0 in xn:
        raise _zero_balance()
    ann_s = ann * s
    ann_m1 = ann - 1
    n1 = n + 1
    d = s
    if n == 2:
        x0, x1 = xn
        for _ in range(MAX_ITERATIONS):
            d_p = d * d // x0 * d // x1
            d_prev = d
            d = (ann_s + d_p * 2) * d // (ann_m1 * d + 3 * d_p)
            if -1 <= d - d_prev <= 1:
                break
        return d
    if n == 3:
        x0, x1, x2 = xn
        for _ in range(MAX_ITERATIONS):
            d_p = d * d // x0 * d // x1 * d // x2
            d_prev = d
            d = (ann_s + d_p * 3) * d // (ann_m1 * d + 4 * d_p)
            if -1 <= d - d_prev <= 1:
                break
        return d
    for _ in range(MAX_ITERATIONS):
        d_p = d
        for x in xn:
            d_p = d_p * d // x
        d_prev = d
        d = (ann_s + d_p * n) * d // (ann_m1 * d + n1 * d_p)
        if -1 <= d - d_prev <= 1:
            break
    return d


def _solve_y(c: int, b: int, d: int) -> int:
    """Legacy Newton loop for ``y^2 + (b - D) y = c`` from ``y = D`` (≤ 255 steps)."""
    y = d
    b_minus_d = b - d
    try:
        for _ in range(MAX_ITERATIONS):
            y_prev = y
            y = (y * y + c) // (2 * y + b_minus_d)
            if -1 <= y - y_prev <= 1:
                break
    except ZeroDivisionError:
        raise InvalidInput("amm/math-domain", "get_y iteration hit a zero denominator") from None
    return y


def get_y(i: int, j: int, x: int, xp: Sequence[int], amp: int) -> int:
    """Legacy ``get_y`` (``_get_y``), memoised: the value the same integers last gave."""
    key = (i, j, x, amp, *xp)
    y = _Y_MEMO.get(key)
    return remember(_Y_MEMO, key, _get_y(i, j, x, xp, amp)) if y is None else y


def _get_y(i: int, j: int, x: int, xp: Sequence[int], amp: int) -> int:
    """Legacy balance of coin ``j`` after coin ``i``'s balance is set to ``x`` (D units).

    ``D = get_D(xp, amp)``; ``c = D``, ``S' = 0``; for ``k != j`` (``x_k = x`` if ``k == i``
    else ``xp[k]``): ``S' += x_k; c = c*D // (x_k*N)``; then ``c = c*D // (Ann*N)``,
    ``b = S' + D // Ann`` and ``y = (y*y + c) // (2y + b - D)`` from ``y = D`` (≤ 255 steps).
    Raises ``amm/same-coin`` if ``i == j``, ``amm/bad-index`` for an index outside ``[0, N)``.
    """
    d, coefficients = y_quadratic(i, j, xp, amp)
    c, b = coefficients(x)
    return _solve_y(c, b, d)


def y_quadratic(
    i: int, j: int, xp: Sequence[int], amp: int
) -> tuple[int, Callable[[int], tuple[int, int]]]:
    """``(D, coefficients)`` of legacy ``get_y(i, j, x, xp, amp)``: ``coefficients(x)`` is the
    ``(c, b)`` its Newton loop iterates on, for any ``x`` with the other balances of ``xp``
    (the same floors in the same order); raises what ``get_y`` raises before its loop."""
    n = len(xp)
    if i == j:
        raise InvalidInput("amm/same-coin", f"coin indices must differ, got i = j = {i}")
    if not (0 <= i < n and 0 <= j < n):
        raise InvalidInput("amm/bad-index", f"coin index out of range 0..{n - 1}: i={i}, j={j}")
    d = get_D(xp, amp)
    ann = amp * n
    before = [xp[k] * n for k in range(i) if k != j]  # the others, in the contract's order
    after = [xp[k] * n for k in range(i + 1, n) if k != j]
    if 0 in before or 0 in after:
        raise _zero_balance()
    ann_n = ann * n
    s_others = (sum(before) + sum(after)) // n
    d_ann = d // ann
    c0 = d
    for xk in before:
        c0 = c0 * d // xk

    def coefficients(x: int) -> tuple[int, int]:
        if x == 0:
            raise _zero_balance()
        c = c0 * d // (x * n)
        for xk in after:
            c = c * d // xk
        return c * d // ann_n, s_others + x + d_ann

    return d, coefficients


def y_bracket(i: int, j: int, xp: Sequence[int], amp: int) -> Callable[[int], int | None]:
    """``bracket(x)``: ``F`` with ``F <= get_y(i, j, x, xp, amp) <= F + 2``, proven, without the
    Newton loop, or ``None`` when a condition of the proof fails (then call ``get_y``). Raises
    what ``get_y`` raises before its loop (the loop itself cannot raise under the conditions).

    Proof. ``_solve_y`` iterates ``y' = floor(N(y))``, ``N(y) = (y^2 + c) / (2y + B)``, from
    ``y_0 = D``, with ``B = b - D``: Newton's map of ``f(y) = y^2 + B y - c``. Let ``r =
    sqrt(B^2 + 4c)``, ``y* = (r - B) / 2 >= 0`` the larger root, ``F = floor(y*)``; ``f(y) =
    (y - y*)(y - y* + r)``, ``f'(y) = 2y + B = 2(y - y*) + r``, and wherever ``f'(y) > 0``,
    ``N(y) - y* = (y - y*)^2 / f'(y) >= 0`` (*). Conditions: (a) ``D + b > 0``, i.e.
    ``f'(D) > 0``; (b) ``B^2 + 4c >= 16``, i.e. ``r >= 4``; (c) ``D^2 + c < 2^250``, so the first
    iterate ``y_1 = (D^2 + c) // (D + b) <= D^2 + c`` is below ``2^250``.

    0. An iterate ``y`` with ``f'(y) > 0`` has ``N(y) >= y*`` (*), so the next iterate is
       ``>= F``: either ``>= y*`` or exactly ``F < y*``. By (a) this holds for ``y_0 = D``.
    1. An iterate ``y >= y*`` has ``f'(y) >= r > 0`` (no zero division) and ``N(y) - y* = e^2 /
       (2e + r) <= e`` for ``e = y - y*``, so the next iterate is in ``[F, y]`` (and 0 applies).
    2. An iterate ``y = F < y*`` has ``f'(F) > r - 2 >= 2`` and ``N(F) - y* = (y* - F)^2 /
       f'(F) < 1/2``, so the next iterate is ``F`` or ``F + 1``: a step of at most 1, a stop.
    3. The loop stops at iterate ``R`` when ``|y_R - y_(R-1)| <= 1``. If ``y_(R-1) = y* + e``,
       ``e >= 0``: ``y_(R-1) - y_R >= y_(R-1) - N(y_(R-1)) = e (e + r) / (2e + r) >= e / 2``,
       at most 1 by the stop, so ``e <= 2`` and ``F <= y_R <= y_(R-1) <= y* + 2 < F + 3``. If
       ``y_(R-1) < y*``: for ``R >= 2`` it is ``F`` (0, 1) and ``y_R`` is ``F`` or ``F + 1`` (2);
       for ``R = 1``, ``D <= F`` and ``F <= y_1 <= D + 1 <= F + 1``.
    4. The stop comes before the 255-iteration cap: from ``y_1`` on, an iterate ``>= y*`` has
       ``e' <= e^2 / (2e + r) < e / 2``, and ``e_1 <= y_1 < 2^K`` with ``K = y_1.bit_length()
       <= 250``; so by iterate ``K + 1`` one is below ``y* + 1`` (``F`` or ``F + 1``) unless the
       loop stopped, and the next step is at most 1: a stop by iterate ``K + 2 <= 252``.
    ``F = (s - B) // 2`` with ``s = isqrt(B^2 + 4c)``: ``(r - B) / 2`` lies in
    ``[(s - B) / 2, (s + 1 - B) / 2)``, and both ends floor to ``(s - B) // 2``.
    So the result is in ``[F, F + 2]``. Tested against the plain iteration with a canary
    (``tests/test_math_stableswap_bracket.py``).
    """
    d, coefficients = y_quadratic(i, j, xp, amp)

    def bracket(x: int) -> int | None:
        c, b = coefficients(x)
        big_b = b - d
        disc = big_b * big_b + 4 * c
        if d + b <= 0 or disc < 16 or (d * d + c).bit_length() > 250:
            return None
        return (isqrt(disc) - big_b) // 2

    return bracket


def exchange_out(dy: int, fee: int, rate_j: int) -> int:
    """Coin-``j`` units legacy ``exchange`` pays for ``dy = xp[j] - y - 1`` (D units):
    ``(dy - floor(dy fee / 1e10)) * 1e18 // rate_j`` (the contract's order)."""
    return (dy - dy * fee // FEE_DENOMINATOR) * PRECISION // rate_j


Settle = Callable[[int, Callable[[int, int], bool]], bool | None]


def exchange_out_test(
    i: int, j: int, xp: Sequence[int], rates: Sequence[int], amp: int, fee: int
) -> Settle:
    """``settle(dx, passes)``: for ``dx > 0`` coin-``i`` units in and a test ``passes(dx, out)``
    non-decreasing in ``out``, ``passes(dx, out)`` with ``out`` what legacy ``exchange`` pays
    (``exchange_out`` of ``xp[j] - get_y(...) - 1``, ``x = xp[i] + dx rates[i] // 1e18``),
    decided without the Newton loop, or ``None`` when the bounds do not decide it. A decision
    also proves the exact quote raises nothing; this raises what every quote would raise.

    ``y_bracket`` puts ``y`` in ``[F, F + 2]``; the output is non-decreasing in ``dy`` (``dy -
    floor(dy fee / 1e10)`` grows by 0 or 1 a unit for ``0 <= fee <= 1e10``, then a floor by a
    positive rate), so the test passes if it passes at ``y = F + 2`` and fails if it fails at
    ``y = F``; ``dy >= 0`` at ``F + 2`` rules out ``amm/trade-too-small``."""
    bracket = y_bracket(i, j, xp, amp)
    xp_i, rate_i, top, rate_j = xp[i], rates[i], xp[j] - 1, rates[j]
    if not 0 <= fee <= FEE_DENOMINATOR:
        return lambda dx, passes: None

    def settle(dx: int, passes: Callable[[int, int], bool]) -> bool | None:
        f = bracket(xp_i + dx * rate_i // PRECISION)
        if f is None or f + 2 > top:
            return None
        if passes(dx, exchange_out(top - f - 2, fee, rate_j)):
            return True
        return False if not passes(dx, exchange_out(top - f, fee, rate_j)) else None

    return settle


def get_y_D(amp: int, i: int, xp: Sequence[int], D: int) -> int:
    """Legacy balance of coin ``i`` that gives invariant ``D`` with the other balances of ``xp``.

    As ``get_y`` with every ``k != i`` taken from ``xp`` and ``D`` given (no ``get_D`` call).
    Raises ``amm/bad-index`` for ``i`` outside ``[0, N)``.
    """
    n = len(xp)
    if not 0 <= i < n:
        raise InvalidInput("amm/bad-index", f"coin index out of range 0..{n - 1}: {i}")
    ann = amp * n
    c = D
    s_ = 0
    for k in range(n):
        if k == i:
            continue
        x_k = xp[k]
        if x_k == 0:
            raise _zero_balance()
        s_ += x_k
        c = c * D // (x_k * n)
    c = c * D // (ann * n)
    return _solve_y(c, s_ + D // ann, D)


# -- stableswap-ng (separate functions: the two families are different exact functions) --------


def get_D_ng(xp: Sequence[int], amp_precise: int) -> int:
    """stableswap-ng invariant; ``amp_precise = A * 100``. Raises ``amm/no-convergence``.

    ``D_P = D; for x in xp: D_P = D_P*D // x``; ``D_P //= N^N``;
    ``D = ((Ann*S)//100 + D_P*N)*D // (((Ann - 100)*D)//100 + (N + 1)*D_P)``, ``Ann = amp*N``.
    """
    s = 0
    for x in xp:
        s += x
    if s == 0:
        return 0
    if 0 in xp:
        raise _zero_balance()
    n = len(xp)
    n_pow_n: int = n**n
    ann = amp_precise * n
    ann_s = ann * s // A_PRECISION
    ann_m = ann - A_PRECISION
    d = s
    for _ in range(MAX_ITERATIONS):
        d_p = d
        for x in xp:
            d_p = d_p * d // x
        d_p //= n_pow_n
        d_prev = d
        d = (ann_s + d_p * n) * d // (ann_m * d // A_PRECISION + (n + 1) * d_p)
        if -1 <= d - d_prev <= 1:
            return d
    raise InvalidInput("amm/no-convergence", "get_D (ng) did not converge in 255 iterations")


def _solve_y_ng(c: int, b: int, d: int) -> int:
    y = d
    for _ in range(MAX_ITERATIONS):
        y_prev = y
        y = (y * y + c) // (2 * y + b - d)
        if -1 <= y - y_prev <= 1:
            return y
    raise InvalidInput("amm/no-convergence", "get_y (ng) did not converge in 255 iterations")


def _ng_c_b(
    skip: int, xp: Sequence[int], d: int, amp_precise: int, x_i: int, i: int
) -> tuple[int, int]:
    n = len(xp)
    ann = amp_precise * n
    c = d
    s_ = 0
    for k in range(n):
        if k == skip:
            continue
        x_k = x_i if k == i else xp[k]
        if x_k == 0:
            raise _zero_balance()
        s_ += x_k
        c = c * d // (x_k * n)
    c = c * d * A_PRECISION // (ann * n)
    return c, s_ + d * A_PRECISION // ann


def get_y_ng(i: int, j: int, x: int, xp: Sequence[int], amp_precise: int, D: int) -> int:
    """stableswap-ng ``get_y(i, j, x, xp, amp, D)``: ``c = c*D*100 // (Ann*N)``, ``b = S' + D*100 // Ann``."""
    n = len(xp)
    if i == j:
        raise InvalidInput("amm/same-coin", f"coin indices must differ, got i = j = {i}")
    if not (0 <= i < n and 0 <= j < n):
        raise InvalidInput("amm/bad-index", f"coin index out of range 0..{n - 1}: i={i}, j={j}")
    c, b = _ng_c_b(j, xp, D, amp_precise, x, i)
    return _solve_y_ng(c, b, D)


def get_y_D_ng(amp_precise: int, i: int, xp: Sequence[int], D: int) -> int:
    """stableswap-ng ``get_y_D``: balance of ``i`` giving invariant ``D``."""
    n = len(xp)
    if not 0 <= i < n:
        raise InvalidInput("amm/bad-index", f"coin index out of range 0..{n - 1}: {i}")
    c, b = _ng_c_b(i, xp, D, amp_precise, xp[i], -1)
    return _solve_y_ng(c, b, D)


def dynamic_fee_ng(xpi: int, xpj: int, fee: int, offpeg_multiplier: int) -> int:
    """stableswap-ng dynamic fee: ``fee`` if ``offpeg <= 1e10`` else
    ``offpeg*fee // ((offpeg - 1e10)*4*xpi*xpj // (xpi + xpj)^2 + 1e10)``."""
    if offpeg_multiplier <= FEE_DENOMINATOR:
        return fee
    xps = xpi + xpj
    xps2 = xps * xps
    return (
        offpeg_multiplier
        * fee
        // ((offpeg_multiplier - FEE_DENOMINATOR) * 4 * xpi * xpj // xps2 + FEE_DENOMINATOR)
    )
