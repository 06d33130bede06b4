"""The ARMA-style optimiser over a batch of paths (float64; docs/scale.md "Vectorised models: yield
vaults").

``VecOptimizer`` restates ``ArmaOptimizer.target`` and ``propose`` (docs/yield-vaults.md §4.2)
with the paths as the first dimension and one column per market, in the vault's market order:

* the feasible box of each path: floors ``position − withdrawable``; caps from ``max_ratio``,
  ``max_amount`` and the market-share limit; excluded markets and markets above the utilisation
  limit held at their floor; ``min_allocation`` and then ``min_protocols`` (at the markets of
  best rate for ``min_fraction · C`` or one step) pre-assigned as far as the budget the floors
  leave and the caps allow, in the exact order; the idle buffer off the budget. Floors at or
  above the budget give the floors (nothing placed). Only constraints infeasible whatever the state
  raise, here at construction (``min_protocols`` above the markets not excluded; the rest by
  ``ArmaOptimizer`` and ``Constraints`` themselves);
* the greedy water-filling as the exact max-heap runs it, one heap operation per path and
  iteration: the entry of largest stored gain is popped (ties to the smaller market id, as the
  heap's ``(−gain, id)`` order), its gain recomputed; it is dropped when it has no room or no
  gain, pushed back when another entry's stored gain beats the recomputed one (a stale entry),
  and otherwise given one step ``max(C // steps, min_step)``, cut to its cap and to the budget
  left, and its new gain stored. Every market's marginal gain ``[P, markets]`` is evaluated at
  each iteration; only the heap's entries read it. The fill is re-run without the markets it left
  below ``min_amount``;
* the gate: value ``Σ x·apr(x)`` before and after, the gain over the horizon less the cost of
  moving (gas per transaction, entry and exit fees; the family's markets have no pool sleeve, so
  no slippage), the absolute and relative floors, the hysteresis, the cooldown since the last
  rebalance, the forced move after ``max_interval`` when the drift is large and the gain positive,
  and the exit of excluded or over-utilised markets whatever the gate says.

The rate curves are callables ``curve(delta) -> annual supply rate`` over the paths, frozen at
decision time (``VecLending.supply_curve``, ``VecTerm.supply_curve``): the float image of
``MarketView.apr_after``. Amounts are float64 holding integers (floors, caps, steps and the
budget are floored as the exact optimiser's ints), so the targets are the exact integers wherever
the float rates order the markets as the exact ones do.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from ....errors import InvalidInput
from ....protocols.yieldvault import ArmaOptimizer
from ....units import BPS, WAD
from .vector_markets import rowsum

__all__ = ["Curve", "VecOptimizer"]

F = NDArray[np.float64]
B = NDArray[np.bool_]
Curve = Callable[[F], F]


def _rates(curves: Sequence[Curve], amount: F, pos: F) -> F:
    """Every market's annual rate if the vault held ``amount`` there (``MarketView.apr_at``)."""
    return np.stack([c(amount[:, j] - pos[:, j]) for j, c in enumerate(curves)], axis=1)


class VecOptimizer:
    """``ArmaOptimizer`` on every path (module docstring). ``ids`` are the market ids in column
    order; gas per transaction and the entry and exit fees are per market, as the curator's views
    show them (zero in the yield-vault family)."""

    def __init__(
        self,
        opt: ArmaOptimizer,
        ids: Sequence[str],
        gas_per_tx: Sequence[float] | None = None,
        entry_fee_bps: Sequence[float] | None = None,
        exit_fee_bps: Sequence[float] | None = None,
    ) -> None:
        c = opt.constraints
        unknown = sorted(set(c.min_allocation) - set(ids))
        if unknown:
            raise InvalidInput("yield/unknown-market", f"min allocation for unknown {unknown[0]!r}")
        n = len(ids)
        eligible = n - sum(1 for mid in ids if mid in c.exclude)
        if c.min_protocols > eligible:
            raise InvalidInput(
                "yield/infeasible-constraints",
                f"{c.min_protocols} protocols required, {eligible} not excluded",
            )
        self.o, self.ids, self.n = opt, list(ids), n
        rank = {mid: i for i, mid in enumerate(sorted(ids))}
        self.rank = np.array([rank[mid] for mid in ids], dtype=float)
        self.exclude = np.array([mid in c.exclude for mid in ids], dtype=bool)
        self.max_ratio = np.array([c.max_ratio.get(mid, np.nan) for mid in ids], dtype=float)
        self.max_amount = np.array([float(c.max_amount.get(mid, np.inf)) for mid in ids])
        self.min_alloc = [
            (self.ids.index(mid), float(a)) for mid, a in sorted(c.min_allocation.items())
        ]
        self.gas = np.zeros(n) if gas_per_tx is None else np.asarray(gas_per_tx, float)
        self.entry = np.zeros(n) if entry_fee_bps is None else np.asarray(entry_fee_bps, float)
        self.exit = np.zeros(n) if exit_fee_bps is None else np.asarray(exit_fee_bps, float)

    # -- the fill ------------------------------------------------------------------------------
    def target(self, capital: F, pos: F, wd: F, supply: F, util: F, curves: Sequence[Curve]) -> F:
        """``ArmaOptimizer.target`` per path: the optimal book under the constraints."""
        o, c = self.o, self.o.constraints
        P, n = pos.shape
        rows = np.arange(P)
        budget = capital - np.floor(capital * o.idle_buffer_bps / BPS)
        floor = np.maximum(0.0, pos - wd)
        held = self.exclude[None, :] | (util > o.max_utilisation_wad / WAD)
        cap = np.repeat(capital[:, None], n, axis=1)
        ratio = np.floor(self.max_ratio[None, :] * capital[:, None])
        cap = np.where(np.isnan(ratio), cap, np.minimum(cap, ratio))
        cap = np.minimum(cap, self.max_amount[None, :])
        if o.max_market_share < 1:
            others = np.maximum(0.0, supply - pos)
            share = o.max_market_share
            cap = np.minimum(cap, np.floor(others * share / (1 - share)))
        cap = np.where(held, floor, np.maximum(cap, floor))
        open_ = ~held
        x = floor.copy()
        left = np.maximum(0.0, budget - rowsum(x))  # what the floors leave, as the exact one

        def assign(col: NDArray[np.intp], amount: F, ok: B) -> None:
            want = np.maximum(0.0, np.minimum(amount, cap[rows, col]) - x[rows, col])
            add = np.where(ok, np.minimum(want, left), 0.0)
            x[rows, col] += add
            left[:] -= add

        for j, amount in self.min_alloc:
            assign(np.full(P, j), np.full(P, amount), np.ones(P, dtype=bool))
        step = np.maximum(np.floor(capital / o.steps), float(o.min_step))
        if c.min_protocols:
            if c.min_fraction:
                each = np.floor(c.min_fraction * capital)
            else:
                each = np.maximum(step, float(c.min_amount))
            apr = _rates(curves, np.repeat(each[:, None], n, axis=1), pos)
            key = np.where(open_, -apr, np.inf)
            order = np.lexsort((np.broadcast_to(self.rank, key.shape), key), axis=1)
            for r in range(c.min_protocols):  # a path with fewer eligible markets takes them all
                col = order[:, r]
                assign(col, each, open_[rows, col])
        closed = np.zeros((P, n), dtype=bool)
        done = np.zeros(P, dtype=bool)
        out = x.copy()
        for _ in range(n + 1):
            fill = self._fill(x, open_ & ~closed, cap, budget, step, pos, curves, ~done)
            out = np.where(done[:, None], out, fill)
            small = open_ & ~closed & (fill > 0) & (fill < c.min_amount) & (fill > x)
            small &= ~done[:, None]
            done |= ~small.any(axis=1)
            closed |= small
            if done.all():
                break
        return out

    def _fill(
        self,
        x0: F,
        allowed: B,
        cap: F,
        budget: F,
        step: F,
        pos: F,
        curves: Sequence[Curve],
        active: B,
    ) -> F:
        """``ArmaOptimizer._water_fill`` on the ``active`` paths (module docstring)."""
        x = x0.copy()
        P, n = x.shape
        rows = np.arange(P)
        remaining = budget - rowsum(x)
        income = x * _rates(curves, x, pos)  # cur · apr(cur), kept for the heap's entries
        stored = np.full((P, n), -np.inf)  # the heap: a stored gain, -inf for no entry
        fresh = allowed & active[:, None]  # entries (re)computed at the next evaluation
        while True:
            d = np.minimum(np.minimum(step[:, None], cap - x), remaining[:, None])
            room = d > 0
            up = x + np.where(room, d, 0.0)
            inc_up = up * _rates(curves, up, pos)
            g = np.where(room, (inc_up - income) / np.where(room, d, 1.0), 0.0)
            stored = np.where(fresh, np.where(room & (g > 0), g, -np.inf), stored)
            best = stored.max(axis=1)
            live = active & (best > -np.inf) & (remaining > 0)
            if not live.any():
                return x
            cand = np.argmin(np.where(stored == best[:, None], self.rank, np.inf), axis=1)
            gc, dc = g[rows, cand], d[rows, cand]
            rest = stored.copy()
            rest[rows, cand] = -np.inf
            drop = live & ((dc <= 0) | (gc <= 0))
            stale = live & ~drop & (rest.max(axis=1) > gc)
            take = live & ~drop & ~stale
            stored[rows, cand] = np.where(drop, -np.inf, np.where(stale, gc, stored[rows, cand]))
            fresh = np.zeros((P, n), dtype=bool)
            fresh[rows, cand] = take
            x[rows, cand] += np.where(take, dc, 0.0)
            income[rows, cand] = np.where(take, inc_up[rows, cand], income[rows, cand])
            remaining = remaining - np.where(take, dc, 0.0)

    # -- the gate ------------------------------------------------------------------------------
    def propose(
        self,
        now: float,
        last: F,
        capital: F,
        pos: F,
        wd: F,
        supply: F,
        util: F,
        curves: Sequence[Curve],
    ) -> tuple[F, B]:
        """``ArmaOptimizer.propose`` per path: ``(targets, move)``; a path that does not move
        keeps its positions as targets. ``last`` is each path's last rebalance [s]."""
        o = self.o
        new = self.target(capital, pos, wd, supply, util, curves)
        v_old = rowsum(pos * _rates(curves, pos, pos))
        v_new = rowsum(new * _rates(curves, new, pos))
        delta = new - pos
        fee = np.where(delta > 0, self.entry, self.exit)
        cost = rowsum(np.where(delta != 0, self.gas + np.abs(delta) * fee / BPS, 0.0))
        gain = (v_new - v_old) * o.horizon_days / 365 - cost
        live = capital > 0
        per = np.where(live, capital, 1.0)
        apr_old = np.where(live, v_old / per, 0.0)
        apr_new = np.where(live, v_new / per, 0.0)
        drift = rowsum(np.abs(delta)) / 2
        same = (delta == 0).all(axis=1)
        over = self.exclude[None, :] | (util > o.max_utilisation_wad / WAD)
        must_exit = (over & (pos > 0) & (wd > 0)).any(axis=1)
        wait = now - last
        gate = np.maximum(o.min_gain_abs, o.min_gain_rel * capital)
        passes = (gain > gate) & ((apr_new - apr_old) * BPS >= o.hysteresis_bps)
        stale = wait >= o.max_interval_s
        forced = stale & (drift > o.drift_frac * capital) & (gain > 0)
        move = ~same & (must_exit | ((wait >= o.cooldown_s) & (passes | forced)))
        return np.where(move[:, None], new, pos), np.asarray(move)
