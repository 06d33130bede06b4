"""The float64 StableSwap invariant over a batch of paths, shared by every vectorised model.

The legacy invariant of docs/amm-spec.md (``Ann = A n``, as the contract and
``peglab.math.stableswap`` write it) with one entry per path: each balance is a ``[P]`` vector
in whole tokens (after the rate multipliers), ``D`` a ``[P]`` vector. The vectorised AI-dollar
pools (``families.ai_dollar.vector_pools.VecPool``) and the GPU-credit peg pools
(``families.credit_vector.VecPool``) both call these functions, so there is one float
implementation of the curve (docs/scale.md "Vectorised models").

* :func:`get_d`: the contract's Newton iteration for ``D``, a fixed number of steps from a start
  value (the sum of the balances, or the last ``D`` after a trade: a warm start). A fixed count
  keeps every path's arithmetic independent of the others (no path waits on another's
  convergence).
* :func:`get_y`: the balance of the remaining coin when the others are given, at fixed ``D``. The
  contract's ``get_y`` iterates ``y <- (y^2 + c) / (2 y + b - D)`` to the positive root of
  ``y^2 + (b - D) y = c`` with ``b = S' + D / Ann`` and ``c = D^(n+1) / (n^n prod' x Ann n)``;
  here the root is taken in closed form, in the cancellation-free form ``2 c / (b' + sqrt(b'^2 +
  4 c))`` when ``b' = b - D > 0`` and ``(sqrt(b'^2 + 4 c) - b') / 2`` otherwise.
* :func:`fold` and :func:`solve`: the same quadratic for one traded pair with the other coins
  folded into two numbers per path (``b_rest``, ``k``), so a trade of any size on that pair is
  solved from ``x`` alone, with its slope ``dy/dx_i`` at fixed ``D`` by implicit differentiation:
  ``dy/dx_i = -(y + c / x_i) / (2 y + b')`` (``2 y + b'`` is the discriminant's root, positive);
  :func:`get_y_and_slope`, :func:`solve_descent` (the slope's sign turned, for a Newton search)
  and :func:`price_folded` (the marginal price from the folded ``k``) build on them.
* :func:`price`: the marginal price of coin ``i`` in coin ``j`` at the current ``D`` (before
  fees): ``(Ann + D_P / x_i) / (Ann + D_P / x_j)`` with ``D_P = D^(n+1) / (n^n prod x)``.

No function keeps state; all are float64 and elementwise over the paths, so a path's result does
not depend on the batch it runs in.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "d_p", "fold", "get_d", "get_y", "get_y_and_slope", "price", "price_folded", "solve",
    "solve_bulk", "solve_descent", "solve_y",
]  # fmt: skip

F = NDArray[np.float64]
TINY = 1e-300  # divisor floor: an empty balance gives a huge ratio, not a division error


def d_p(xs: Sequence[F], d: F) -> F:
    """``D^(n+1) / (n^n prod x)``, accumulated one coin at a time as the contract does."""
    n = len(xs)
    out = d
    for x in xs:
        out = out * d / np.maximum(x * n, TINY)
    return out


def get_d(xs: Sequence[F], ann: float, d0: F, iters: int) -> F:
    """``D`` of the balances ``xs`` (``[P]`` each) by ``iters`` Newton steps from ``d0``; 0 on a
    path where a balance is empty (the contract returns 0 for an empty pool)."""
    n = len(xs)
    s = xs[0]
    ok = xs[0] > 0
    for x in xs[1:]:
        s = s + x
        ok = ok & (x > 0)
    # the loop-invariant parts of the iteration (the same values as recomputed each step)
    den = [np.maximum(np.where(ok, x, 1.0) * n, TINY) for x in xs]  # d_p's divisors
    ann_s = ann * s
    d = np.maximum(d0, 1e-12)
    for _ in range(iters):
        dp = d
        for x in den:
            dp = dp * d / x
        d = (ann_s + dp * n) * d / ((ann - 1.0) * d + (n + 1) * dp)
    return np.asarray(np.where(ok, d, 0.0), dtype=np.float64)


def fold(rest: Sequence[F], d: F, ann: float, n: int) -> tuple[F, F]:
    """``(b_rest, k)``: the coins that neither trade in nor out (``rest``, ``n - 2`` of them)
    folded into the quadratic of the traded pair: with the traded-in balance ``x``, the
    remaining coin's ``y`` solves ``y^2 + (b_rest + x) y = k / x``, where
    ``b_rest = S_rest + D / Ann - D`` and ``k = D^(n+1) / (n^n Ann prod_rest)``."""
    s = np.zeros_like(d)
    k = d
    for x in rest:
        s = s + x
        k = k * d / np.maximum(x * n, TINY)
    k = k * d / (ann * n) * d / n
    return s + d / ann - d, k


def _root(x: F, b_rest: F, k: F) -> tuple[F, F, F, F]:
    """``(y, c, x floored, discriminant's root)`` of :func:`solve` (no warnings silenced)."""
    xs = np.maximum(x, TINY)
    c = k / xs
    b = b_rest + x
    root = np.sqrt(b * b + 4.0 * c)
    y = np.where(b > 0, 2.0 * c / (b + root), (root - b) / 2.0)
    return y, c, xs, root


def solve(x: F, b_rest: F, k: F) -> tuple[F, F]:
    """``(y, dy/dx)`` of the folded quadratic (:func:`fold`) at traded-in balance ``x``: the
    positive root, in the cancellation-free form, and its slope ``-(y + c / x) / sqrt(b'^2 + 4
    c)`` with ``c = k / x``, ``b' = b_rest + x`` (the discriminant's root is ``2 y + b' > 0``)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return solve_bulk(x, b_rest, k)


def solve_bulk(x: F, b_rest: F, k: F) -> tuple[F, F]:
    """:func:`solve` for callers that evaluate it in bulk (a Newton search): they silence the
    untaken branch's float warnings themselves (one ``np.errstate`` around the whole search)."""
    y, c, xs, root = _root(x, b_rest, k)
    slope = -(y + c / xs) / root
    return np.asarray(y, dtype=np.float64), np.asarray(slope, dtype=np.float64)


def solve_descent(x: F, b_rest: F, k: F) -> tuple[F, F]:
    """``(y, -dy/dx)``: :func:`solve_bulk` with the slope's sign turned (``(y + c / x) /
    sqrt(b'^2 + 4 c)``, the same magnitude: a float negation is exact) for a Newton search on
    the output, which rises as ``y`` falls (the caller silences warnings)."""
    y, c, xs, root = _root(x, b_rest, k)
    return np.asarray(y, dtype=np.float64), np.asarray((y + c / xs) / root, dtype=np.float64)


def solve_y(x: F, b_rest: F, k: F) -> F:
    """The ``y`` of :func:`solve_bulk` without its slope (the caller silences warnings)."""
    return np.asarray(_root(x, b_rest, k)[0], dtype=np.float64)


def get_y(others: Sequence[F], d: F, ann: float) -> F:
    """The remaining coin's balance when the other ``n - 1`` balances are ``others`` (``[P]``
    each) at invariant ``d`` (module docstring)."""
    b_rest, k = fold(others[1:], d, ann, len(others) + 1)
    return solve(others[0], b_rest, k)[0]


def get_y_and_slope(x_i: F, others: Sequence[F], d: F, ann: float) -> tuple[F, F]:
    """``(y, dy/dx_i)`` at fixed ``d``, where ``x_i`` is the traded-in balance and ``others``
    the other balances except the remaining coin's."""
    b_rest, k = fold(others, d, ann, len(others) + 2)
    return solve(x_i, b_rest, k)


def price_folded(x_i: F, x_j: F, k: F) -> F:
    """Marginal price of coin ``i`` in coin ``j`` before fees from the folded ``k``
    (:func:`fold`): ``D_P = k Ann / (x_i x_j)`` gives ``(1 + k / (x_i^2 x_j)) / (1 + k / (x_i
    x_j^2))``."""
    xi, xj = np.maximum(x_i, TINY), np.maximum(x_j, TINY)
    return np.asarray((1.0 + k / (xi * xi * xj)) / (1.0 + k / (xi * xj * xj)), dtype=np.float64)


def price(x_i: F, x_j: F, xs: Sequence[F], d: F, ann: float) -> F:
    """Marginal price of coin ``i`` in coin ``j`` (balances ``x_i``, ``x_j`` among all ``xs``)
    at invariant ``d``, before fees."""
    dp = d_p(xs, d)
    return np.asarray(
        (ann + dp / np.maximum(x_i, TINY)) / (ann + dp / np.maximum(x_j, TINY)), dtype=np.float64
    )
