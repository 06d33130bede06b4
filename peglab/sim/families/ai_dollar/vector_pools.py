"""Pools and the external venue of the vectorised AI-dollar model: one float64 entry per path.

Every pool of the scenario's ``system.pools`` is a :class:`VecPool` whose reserves are a
``(paths, coins)`` array in whole tokens (a reference stablecoin and an AI dollar both count one
per unit, as the engine's ``xp`` does after its rate multipliers):

* StableSwap (the legacy invariant of docs/amm-spec.md, ``Ann = A n``, through the shared
  ``sim.vector_stableswap``): ``D`` by a fixed number of Newton steps from the sum
  (warm-started from the last ``D`` after a trade), and the balance ``y`` after a trade in closed
  form: for fixed ``D`` the invariant is the quadratic
  ``y^2 + (S' + D/Ann - D) y = D^(n+1) / (n^n prod' x Ann n)`` that the contract's ``get_y``
  iterates, solved here by the quadratic formula. A swap keeps the contract's order: ``dy`` out
  of the curve less one unit of rounding guard, the fee ``fee/1e10`` of it, half the fee (the
  admin part) leaving the accounted balances.
* constant product (Uniswap v2): ``out = r_out x (1 - fee) / (r_in + x (1 - fee))``.

:class:`VecVenue` is ``sim.venue.Venue`` over a batch: the impact ``I`` is ``(paths, assets)``;
selling ``q`` units of fundamental notional ``x`` fetches ``F e^-I (1 - e^-kx) / k`` and raises
``I`` by ``kx``; the book refills by ``2^(-dt/h)`` between steps; the static model leaves no trace
(collateral sales then fetch the exit bid ``p (1 - eta (q p / V)^delta)``, :meth:`exit_bid`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from ...scenario import Scenario
from ...vector_stableswap import fold, get_d, get_y, price, solve_bulk, solve_descent, solve_y
from ...venue import VenueConstants

__all__ = ["NEWTON_STEPS", "Curve", "VecPool", "VecVenue"]

F = NDArray[np.float64]
Quote = Callable[[F], F]
NEWTON_STEPS = 6  # Newton steps for D per recomputation (warm start: converged to ~1e-12)


class Curve:
    """One StableSwap pair ``i -> j`` on some rows with the pool's other coins folded
    (``sim.vector_stableswap.fold``): quotes of those rows at any size, and of any subset of
    them (:meth:`take`: the same elementwise values)."""

    def __init__(self, xi: F, xj: F, b_rest: F, k: F, keep: float) -> None:
        self.xi, self.xj, self.b_rest, self.k, self.keep = xi, xj, b_rest, k, keep

    def take(self, sub: NDArray[np.intp]) -> Curve:
        """The curve of the entries ``sub`` only."""
        return Curve(self.xi[sub], self.xj[sub], self.b_rest[sub], self.k[sub], self.keep)

    def quote(self, dx: F) -> F:
        """Coin ``j`` out for ``dx`` of coin ``i`` in (``VecPool.quote``; 0 for ``dx <= 0``)."""
        dx = np.maximum(dx, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            y = solve_y(self.xi + dx, self.b_rest, self.k)
        dy = np.maximum(self.xj - y - 1e-18, 0.0)
        return np.asarray(np.where(dx > 0, dy * self.keep, 0.0), dtype=np.float64)

    def quote_slope(self, dx: F) -> tuple[F, F]:
        """``(out, d out / d dx)``: the slope of the curve at fixed ``D`` less the fee, for a
        Newton search (which silences the float warnings: ``sim.vector_stableswap.solve_bulk``)."""
        y, dy_dx = solve_bulk(self.xi + np.maximum(dx, 0.0), self.b_rest, self.k)
        return np.maximum(self.xj - y - 1e-18, 0.0) * self.keep, -dy_dx * self.keep

    def cap_root(self, x: F, cap: float, steps: int) -> F:
        """``steps`` Newton steps on ``h(x) = cap out(x) - x`` from ``x`` (each entry at least
        0; an entry stays where ``h' >= 0``, a step lands in ``[0, x]``): the values of
        :meth:`quote_slope` (the input needs no floor at 0; the slope's two sign changes are
        exact) with fewer array operations. The caller silences the float warnings."""
        xi, xj, b_rest, k, keep = self.xi, self.xj, self.b_rest, self.k, self.keep
        for _ in range(steps):
            y, slope = solve_descent(xi + x, b_rest, k)
            h = cap * (np.maximum(xj - y - 1e-18, 0.0) * keep) - x
            dh = cap * (slope * keep) - 1.0
            x = np.where(dh < 0, np.clip(x - h / dh, 0.0, x), x)
        return x


class VecPool:
    """One pool over the batch (module docstring); ``bal[:, i]`` is coin ``i``'s reserve."""

    def __init__(
        self, pid: str, kind: str, coins: tuple[str, ...], bal: F, amp: int, fee: float
    ) -> None:
        self.id, self.kind, self.coins = pid, kind, coins
        self.n = len(coins)
        self.bal = bal
        self.ann = float(amp) * self.n
        self.fee = fee  # fraction (StableSwap fee / 1e10; constant product fee_bps / 1e4)
        self.stable = kind == "stableswap"
        self.supply = bal.sum(axis=1)  # LP tokens: the t0 deposit's value (D at balance)
        self.d = bal.sum(axis=1)
        if self.stable:
            self.d = self._get_d(bal, self.d)

    def index(self, coin: str) -> int:
        return self.coins.index(coin)

    # -- StableSwap (the shared float invariant: ``sim.vector_stableswap``) ---------------------
    def _cols(self, xp: F) -> list[F]:
        return [xp[:, k] for k in range(self.n)]

    def _get_d(self, xp: F, d0: F) -> F:
        return get_d(self._cols(xp), self.ann, d0, NEWTON_STEPS)

    def y(self, i: int, j: int, x: F, rows: NDArray[np.intp] | slice) -> F:
        """Balance of coin ``j`` with coin ``i`` at ``x`` at the rows' ``D`` (closed form)."""
        xp = self.bal[rows]
        others = [x if k == i else xp[:, k] for k in range(self.n) if k != j]
        return get_y(others, self.d[rows], self.ann)

    def quoter(self, i: int, j: int, rows: NDArray[np.intp] | slice = slice(None)) -> Quote:
        """:meth:`quote` of the rows with the pool's state folded once (``sim.vector_stableswap
        .fold``): for repeated quotes of the same rows at several sizes (a bisection)."""
        if not self.stable:
            bal = self.bal[rows]
            xi, xj, keep = bal[:, i], bal[:, j], 1.0 - self.fee

            def cp(dx: F) -> F:
                x = np.maximum(dx, 0.0) * keep
                return np.asarray(xj * x / np.maximum(xi + x, 1e-300), dtype=np.float64)

            return cp
        return self.curve(i, j, rows).quote

    def curve(self, i: int, j: int, rows: NDArray[np.intp] | slice = slice(None)) -> Curve:
        """The StableSwap pair ``i -> j`` of the rows, folded once (:class:`Curve`)."""
        bal = self.bal[rows]
        rest = [bal[:, m] for m in range(self.n) if m not in (i, j)]
        b_rest, k = fold(rest, self.d[rows], self.ann, self.n)
        return Curve(bal[:, i], bal[:, j], b_rest, k, 1.0 - self.fee)

    def quote(self, i: int, j: int, dx: F, rows: NDArray[np.intp] | slice = slice(None)) -> F:
        """Coin ``j`` out for ``dx`` of coin ``i`` in, per row (0 for ``dx <= 0``)."""
        return self.quoter(i, j, rows)(dx)

    def swap(self, i: int, j: int, dx: F, rows: NDArray[np.intp] | None = None) -> F:
        """Trade ``dx`` (a full-batch vector, 0 where a path does not trade; or one entry per
        path of the distinct ``rows``, the other paths untouched); returns coin ``j`` out per
        entry. A StableSwap pool quotes only the trading rows (the others get 0 either way)."""
        if self.stable:
            on = np.flatnonzero(dx > 0)
            if on.size == dx.size and rows is None:
                out = self.quote(i, j, dx)
            else:
                out = np.zeros(dx.size)
                if on.size:
                    out[on] = self.curve(i, j, on if rows is None else rows[on]).quote(dx[on])
        else:
            out = self.quote(i, j, dx, slice(None) if rows is None else rows)
        self.book(i, j, dx, out, rows)
        return out

    def book(self, i: int, j: int, dx: F, out: F, rows: NDArray[np.intp] | None = None) -> None:
        """The balances after a trade of ``dx`` for ``out`` of coin ``j`` (:meth:`swap`'s quote
        on this state: a caller that quoted it already passes it on), ``D`` refreshed."""
        admin = out / max(1.0 - self.fee, 1e-12) * self.fee * 0.5 if self.stable else 0.0
        at = slice(None) if rows is None else rows
        self.bal[at, i] += np.maximum(dx, 0.0)
        self.bal[at, j] -= out + admin
        if rows is None:
            self._refresh(dx > 0)
        elif self.stable:
            self._refresh_rows(rows[dx > 0])

    def _refresh(self, moved: NDArray[np.bool_]) -> None:
        """Recompute ``D`` on the rows whose balances moved (warm start from the last ``D``; rows
        that did not trade keep theirs, so a path's ``D`` never depends on the other paths).
        Only those rows are computed (``get_d`` is elementwise: the same values), into a new
        array (a caller may hold the old ``D``, as :meth:`add` does)."""
        if not self.stable or not moved.any():
            return
        if moved.all():
            self.d = self._get_d(self.bal, self.d)
            return
        self._refresh_rows(np.flatnonzero(moved))

    def _refresh_rows(self, rows: NDArray[np.intp]) -> None:
        """:meth:`_refresh` of the paths ``rows`` (a StableSwap pool)."""
        if rows.size == 0:
            return
        d = self.d.copy()
        d[rows] = self._get_d(self.bal[rows], self.d[rows])
        self.d = d

    def price(self, i: int, j: int, bal: F | None = None) -> F:
        """Marginal price of coin ``i`` in coin ``j`` before the fee (the invariant's slope at the
        current ``D``; ``bal``: other balances, same ``D``)."""
        xp = self.bal if bal is None else bal
        if not self.stable:
            return np.asarray(xp[:, j] / np.maximum(xp[:, i], 1e-300), dtype=np.float64)
        return price(xp[:, i], xp[:, j], self._cols(xp), self.d, self.ann)

    def remove(self, lp: F) -> F:
        """Burn ``lp`` LP tokens per path: proportional coins out ``(paths, coins)``."""
        share = np.clip(lp / np.maximum(self.supply, 1e-300), 0.0, 1.0)
        out = self.bal * share[:, None]
        self.bal -= out
        self.supply = self.supply - lp
        self._refresh(lp > 0)
        return np.asarray(out, dtype=np.float64)

    def add(self, amounts: F) -> F:
        """Deposit ``(paths, coins)`` amounts; LP tokens minted ``supply (D1 - D0) / D0``
        (the imbalance fee of a lopsided deposit is not charged: returning LPs add their own
        withdrawal back, which is close to proportional)."""
        if self.stable:
            d0 = self.d
            self.bal += amounts
            self._refresh(amounts.sum(axis=1) > 0)
            minted = self.supply * (self.d - d0) / np.maximum(d0, 1e-300)
        else:
            share = amounts[:, 0] / np.maximum(self.bal[:, 0], 1e-300)
            self.bal += amounts
            minted = self.supply * share
        self.supply = self.supply + minted
        return np.asarray(minted, dtype=np.float64)


class VecVenue:
    """The external market of every asset over a batch (module docstring; ``sim.venue.Venue``)."""

    def __init__(self, sc: Scenario, fundamental: F, dd: F, ext_factor: F) -> None:
        liq = sc.liquidity
        self.transient = liq.model == "transient"
        self.f = fundamental  # (P, n + 1, A)
        self.realised = fundamental.copy()
        self.dd, self.ext = dd, ext_factor  # (P, n + 1, A), (P, n + 1)
        self.eta, self.delta, self.kappa = float(liq.impact), float(liq.delta), float(liq.kappa)
        n_a = fundamental.shape[2]
        const = VenueConstants(sc, n_a)
        self.d10, self.k0, self.refill = const.d10, const.k0, const.refill
        self.derivatives = const.derivatives
        self.impact = np.zeros((fundamental.shape[0], n_a))
        self.k = 0
        self._k_cache: dict[int, F] = {}
        self._f_cache: dict[int, F] = {}
        self._r_cache: dict[tuple[int, int], F] = {}

    def begin_step(self, k: int) -> None:
        self.k = k
        self._k_cache.clear()
        self._f_cache.clear()
        self._r_cache.clear()
        if self.transient:
            self.impact *= self.refill
            self.realised[:, k] = self.f[:, k] * np.exp(-self.impact)
            for d, u in self.derivatives:
                self.realised[:, k, d] = self.f[:, k, d] * np.exp(-self.impact[:, u])

    def f_now(self, a: int) -> F:
        """The fundamental price of asset ``a`` now per path, a contiguous copy cached per step
        (the column of ``f`` is strided by a whole path's history)."""
        known = self._f_cache.get(a)
        if known is None:
            known = self._f_cache[a] = np.ascontiguousarray(self.f[:, self.k, a])
        return known

    def realised_at(self, k: int, a: int) -> F:
        """``realised[:, k, a]`` as a contiguous copy, cached until the next step begins (a
        step's start prices are only written by :meth:`begin_step`)."""
        known = self._r_cache.get((k, a))
        if known is None:
            known = self._r_cache[(k, a)] = np.ascontiguousarray(self.realised[:, k, a])
        return known

    def price(self, a: int) -> F:
        return np.asarray(self.f_now(a) * np.exp(-self.impact[:, a]), dtype=np.float64)

    def k_of(self, a: int) -> F:
        """Impact per USD of notional now (``k0`` over the depth multiplier), cached per step."""
        known = self._k_cache.get(a)
        if known is None:
            m = np.exp(-self.kappa * self.dd[:, self.k, a]) * self.ext[:, self.k]
            with np.errstate(divide="ignore"):
                known = np.asarray(np.where(m > 0, self.k0[a] / m, np.inf), dtype=np.float64)
            self._k_cache[a] = known
        return known

    def depth(self, a: int) -> F:
        return np.asarray(
            self.d10[a] * np.exp(-self.kappa * self.dd[:, self.k, a]) * self.ext[:, self.k],
            dtype=np.float64,
        )

    def _on(
        self, amount: F, rows: NDArray[np.intp] | slice
    ) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
        """The entries of ``amount`` that trade (not ``<= 0``: a NaN is quoted, as in full) and
        their paths among ``rows``: a quote is 0 on the others, so only these are computed."""
        on = np.flatnonzero(~(amount <= 0))
        paths = np.arange(self.f.shape[0])[rows] if isinstance(rows, slice) else rows
        return on, paths[on]

    def quote_sell(self, a: int, units: F, rows: NDArray[np.intp] | slice = slice(None)) -> F:
        """USD that ``units`` of asset ``a`` fetch now, per path of ``rows`` (no state change)."""
        on, at = self._on(units, rows)
        if on.size == units.size:
            return self._quote_sell(a, units, rows)
        out = np.zeros(units.size)
        if on.size:
            out[on] = self._quote_sell(a, units[on], at)
        return out

    def _quote_sell(self, a: int, units: F, rows: NDArray[np.intp] | slice) -> F:
        units = np.maximum(units, 0.0)
        f = self.f_now(a)[rows]
        k = self.k_of(a)[rows]
        x = f * units
        p = f * np.exp(-self.impact[rows, a])
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            out = np.where(k > 0, p * -np.expm1(-k * x) / (k * f), x * p / np.maximum(f, 1e-300))
        return np.asarray(np.where(np.isinf(k) | (units <= 0), 0.0, out), dtype=np.float64)

    def sell(self, a: int, units: F, rows: NDArray[np.intp] | slice = slice(None)) -> F:
        """Sell ``units`` of asset ``a`` per path of ``rows`` (distinct); USD raised."""
        got = self.quote_sell(a, units, rows)
        self._move(a, np.maximum(units, 0.0), rows)
        return got

    def quote_buy(self, a: int, usd: F, rows: NDArray[np.intp] | slice = slice(None)) -> F:
        """Units of asset ``a`` that ``usd`` buys now, per path of ``rows``."""
        on, at = self._on(usd, rows)
        if on.size == usd.size:
            return self._quote_buy(a, usd, rows)
        out = np.zeros(usd.size)
        if on.size:
            out[on] = self._quote_buy(a, usd[on], at)
        return out

    def _quote_buy(self, a: int, usd: F, rows: NDArray[np.intp] | slice) -> F:
        usd = np.maximum(usd, 0.0)
        f = self.f_now(a)[rows]
        p = f * np.exp(-self.impact[rows, a])
        k = self.k_of(a)[rows]
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(k > 0, np.log1p(usd * k * f / np.maximum(p, 1e-300)) / (k * f), usd / p)
        return np.asarray(np.where(np.isinf(k) | (p <= 0) | (usd <= 0), 0.0, out), dtype=np.float64)

    def exit_bid(self, a: int, units: F, price: F) -> F:
        """The static model's average price per unit for ``units`` (``liquidity.exit_bid``)."""
        v = self.depth(a)
        with np.errstate(divide="ignore", invalid="ignore"):
            imp = np.where(
                v > 0, self.eta * (np.maximum(units, 0.0) * price / v) ** self.delta, np.inf
            )
        return np.asarray(
            price * np.clip(np.where(units > 0, 1.0 - imp, 1.0), 0.0, 1.0), dtype=np.float64
        )

    def buy(self, a: int, units: F, rows: NDArray[np.intp] | slice = slice(None)) -> None:
        """Buy ``units`` of asset ``a`` per path of ``rows`` (distinct)."""
        self._move(a, -np.maximum(units, 0.0), rows)

    def _move(self, a: int, units: F, rows: NDArray[np.intp] | slice) -> None:
        if self.transient:
            k = self.k_of(a)[rows]
            self.impact[rows, a] += np.where(np.isinf(k), 0.0, k * self.f_now(a)[rows] * units)
