"""ARMA-style optimiser: split capital across markets by water-filling on own-impact APRs, and act
only when the gain over the horizon beats the cost of moving (docs/yield-vaults.md §4.2).

Design. Depositing ``x`` into a market lowers its supply rate (utilisation falls), so the annual
income of a position, ``x · apr(x)``, is concave in ``x``. Allocating the capital in small steps
``δ`` to whichever market adds the most income per unit (a max-heap of marginal gains
``((x+δ)·apr(x+δ) − x·apr(x)) / δ``) is the greedy solution of a concave resource-allocation
problem, optimal up to one step. Constraints shape the feasible box first:

    floor_p = position_p − withdrawable_p           (what cannot leave now stays)
    cap_p   = min(max_ratio_p · C, max_amount_p, share · (supply_p − position_p) / (1 − share))
    minimums are pre-assigned (min_allocation_p, then min_protocols at the best-rate markets);
    after the fill, positions below min_amount are closed and the fill re-run without them.

The floors are a fact of the state, never an error: when they alone reach the budget (capital
less the idle buffer) the target is the floors (nothing new placed, every movable unit idle).
Minimums are met as far as the budget left by the floors and each market's cap allow, in a fixed
order (floors, then min_allocation by market id, then min_protocols by rank), because whether they
fit depends on the capital and the markets' state. Only constraints infeasible whatever the state
raise ``yield/infeasible-constraints`` (docs/yield-vaults.md §4.2): a minimum on an excluded
market, above its max_amount or under a zero max_ratio (at construction); min_protocols ×
min_fraction above the budget's share of capital (at construction); min_protocols above the
markets not excluded (at target, the markets being the state's).

Then the gate (step 5 of the spec): rebalance iff

    (value(x_new) − value(x_old)) · H/365 − cost > max(min_gain_abs, min_gain_rel · C)
    and (value(x_new) − value(x_old)) / C ≥ hysteresis

with ``value(x) = Σ x_p · apr_p(x_p)`` and ``cost = Σ_moved gas + entry/exit fees + slippage``
(a StableSwap sleeve's exact slippage for the move, from the pool's quote); a cooldown
since the last rebalance holds everything; after ``max_interval`` a drift above ``drift_frac · C``
forces the move when its gain after costs is positive at all (a gate so strict that nothing ever
happens is a known failure; a forced move that loses money would be another). Markets that are
excluded or above the utilisation limit are exited as far as cash allows, whatever the gate says.
Floats decide; targets are integers (steps are integers), never above the capital.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from ...errors import InvalidInput
from ...units import BPS, DAY, HOUR, WAD
from .policy import AllocationState, MarketView, Proposal, plan_moves

__all__ = ["ArmaOptimizer", "Constraints"]


@dataclass(frozen=True)
class Constraints:
    """Giza's constraint vocabulary, keyed by market id (amounts in asset base units)."""

    min_protocols: int = 0
    min_fraction: float | None = None
    max_ratio: Mapping[str, float] = field(default_factory=dict)
    max_amount: Mapping[str, int] = field(default_factory=dict)
    min_amount: int = 0
    min_allocation: Mapping[str, int] = field(default_factory=dict)
    exclude: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        bad = [k for k, v in self.max_ratio.items() if not 0 <= v <= 1]
        if bad or self.min_protocols < 0 or self.min_amount < 0:
            raise InvalidInput("yield/bad-constraint", f"constraints out of range: {self}")
        if self.min_fraction is not None and not 0 < self.min_fraction <= 1:
            raise InvalidInput("yield/bad-constraint", f"min_fraction must be in (0, 1]: {self}")
        for mid, amount in self.min_allocation.items():
            if amount < 0:
                raise InvalidInput("yield/bad-constraint", f"negative min allocation for {mid!r}")
            if amount and (
                mid in self.exclude
                or amount > self.max_amount.get(mid, amount)
                or self.max_ratio.get(mid, 1.0) == 0
            ):
                raise InvalidInput(
                    "yield/infeasible-constraints",
                    f"{mid} needs {amount} but is excluded or capped below it on any capital",
                )


@dataclass(frozen=True)
class ArmaOptimizer:
    """The optimiser's parameters (defaults of docs/yield-vaults.md §4.2 and the §3 guards)."""

    constraints: Constraints = field(default_factory=Constraints)
    horizon_days: float = 14.0
    min_gain_abs: int = 5 * 10**6
    min_gain_rel: float = 0.5 / BPS
    hysteresis_bps: float = 25.0
    cooldown_s: int = 6 * HOUR
    max_interval_s: int = 7 * DAY
    drift_frac: float = 0.10
    max_utilisation_wad: int = 95 * WAD // 100
    max_market_share: float = 0.10
    idle_buffer_bps: int = 0
    steps: int = 1000
    min_step: int = 1
    name: str = "arma-optimizer"

    def __post_init__(self) -> None:
        c = self.constraints
        if not 0 <= self.idle_buffer_bps <= BPS:
            raise InvalidInput("yield/bad-constraint", f"idle buffer out of range: {self}")
        if c.min_protocols and c.min_fraction is not None:
            need = Fraction(repr(c.min_fraction)) * c.min_protocols  # the fraction as written
            if need > Fraction(BPS - self.idle_buffer_bps, BPS):
                raise InvalidInput(
                    "yield/infeasible-constraints",
                    f"{c.min_protocols} x {c.min_fraction} of capital exceed the budget's share "
                    f"({BPS - self.idle_buffer_bps} bps) on any capital",
                )

    # -- the fill ------------------------------------------------------------------------------
    def target(self, state: AllocationState) -> dict[str, int]:
        """The optimal allocation under the constraints, ignoring the gate."""
        c = self.constraints
        capital = state.capital
        budget = capital - capital * self.idle_buffer_bps // BPS
        x: dict[str, int] = {}
        caps: dict[str, int] = {}
        open_: list[MarketView] = []
        for m in state.markets:
            floor = max(0, m.position - m.withdrawable)
            x[m.id] = floor
            if m.id in c.exclude or m.utilisation_wad > self.max_utilisation_wad:
                caps[m.id] = floor
                continue
            cap = capital
            if m.id in c.max_ratio:
                cap = min(cap, int(c.max_ratio[m.id] * capital))
            if m.id in c.max_amount:
                cap = min(cap, c.max_amount[m.id])
            if self.max_market_share < 1:
                others = max(0, m.market_supply - m.position)
                cap = min(cap, int(others * self.max_market_share / (1 - self.max_market_share)))
            caps[m.id] = max(cap, floor)
            open_.append(m)
        excluded = sum(1 for m in state.markets if m.id in c.exclude)
        if c.min_protocols > len(state.markets) - excluded:
            raise InvalidInput(
                "yield/infeasible-constraints",
                f"{c.min_protocols} protocols required, {len(state.markets) - excluded} not excluded",
            )
        left = max(0, budget - sum(x.values()))  # what the floors leave; minimums in a fixed order
        for mid, amount in sorted(c.min_allocation.items()):
            if mid not in caps:
                raise InvalidInput("yield/unknown-market", f"min allocation for unknown {mid!r}")
            add = min(max(0, min(amount, caps[mid]) - x[mid]), left)
            x[mid] += add
            left -= add
        step = max(capital // self.steps, self.min_step)
        if c.min_protocols:
            each = int(c.min_fraction * capital) if c.min_fraction else max(step, c.min_amount)
            ranked = sorted(open_, key=lambda m: (-m.apr_at(each), m.id))
            for m in ranked[: c.min_protocols]:  # fewer when markets are over-utilised (state)
                add = min(max(0, min(each, caps[m.id]) - x[m.id]), left)
                x[m.id] += add
                left -= add
        closed: set[str] = set()
        for _ in range(len(open_) + 1):
            fill = dict(x)
            self._water_fill(fill, [m for m in open_ if m.id not in closed], caps, budget, step)
            small = {
                m.id
                for m in open_
                if m.id not in closed and 0 < fill[m.id] < c.min_amount and fill[m.id] > x[m.id]
            }
            if not small:
                return fill
            closed |= small
        return fill

    @staticmethod
    def _water_fill(
        x: dict[str, int], markets: list[MarketView], caps: dict[str, int], budget: int, step: int
    ) -> None:
        remaining = budget - sum(x.values())
        by_id = {m.id: m for m in markets}

        def gain(m: MarketView) -> tuple[float, int]:
            cur = x[m.id]
            d = min(step, caps[m.id] - cur, remaining)
            if d <= 0:
                return 0.0, 0
            g = (cur + d) * m.apr_at(cur + d) - cur * m.apr_at(cur)
            return g / d, d

        heap: list[tuple[float, str]] = []
        for m in markets:
            g, d = gain(m)
            if d > 0 and g > 0:
                heap.append((-g, m.id))
        heapq.heapify(heap)
        while heap and remaining > 0:
            _, mid = heapq.heappop(heap)
            m = by_id[mid]
            g, d = gain(m)
            if d <= 0 or g <= 0:
                continue
            if heap and -heap[0][0] > g:  # stale entry: its gain fell since it was pushed
                heapq.heappush(heap, (-g, mid))
                continue
            x[mid] += d
            remaining -= d
            g2, d2 = gain(m)
            if d2 > 0 and g2 > 0:
                heapq.heappush(heap, (-g2, mid))

    # -- the gate ------------------------------------------------------------------------------
    @staticmethod
    def value(state: AllocationState, x: Mapping[str, int]) -> float:
        """Annual income ``Σ x_p · apr_p(x_p)`` in asset units (own impact included)."""
        return sum(x[m.id] * m.apr_at(x[m.id]) for m in state.markets)

    @staticmethod
    def cost(state: AllocationState, x: Mapping[str, int]) -> float:
        """Gas per transaction, entry/exit fees on the moved amounts and, for a pool, the exact
        slippage of the move from the pool's own quote, in asset units."""
        total = 0.0
        for m in state.markets:
            d = x[m.id] - m.position
            if d:
                fee = m.entry_fee_bps if d > 0 else m.exit_fee_bps
                total += m.gas_per_tx + abs(d) * fee / BPS
                if m.slippage is not None:
                    total += m.slippage(d)
        return total

    def propose(self, state: AllocationState) -> Proposal:
        """Target positions and whether to move now (module docstring)."""
        capital = state.capital
        old = {m.id: m.position for m in state.markets}
        new = self.target(state)
        v_old, v_new = self.value(state, old), self.value(state, new)
        cost = self.cost(state, new)
        gain = (v_new - v_old) * self.horizon_days / 365 - cost
        apr_old = v_old / capital if capital else 0.0
        apr_new = v_new / capital if capital else 0.0
        drift = sum(abs(new[k] - old[k]) for k in old) / 2

        def out(rebalance: bool, reason: str) -> Proposal:
            targets = new if rebalance else old
            moves = plan_moves(state, targets) if rebalance else ()
            return Proposal(targets, rebalance, reason, apr_old, apr_new, gain, cost, moves)

        if new == old:
            return out(False, "already optimal")
        must_exit = any(
            m.position
            and m.withdrawable
            and (m.id in self.constraints.exclude or m.utilisation_wad > self.max_utilisation_wad)
            for m in state.markets
        )
        if must_exit:
            return out(True, "exit excluded or over-utilised market")
        if state.now - state.last_rebalance < self.cooldown_s:
            return out(False, "cooldown")
        gate = max(self.min_gain_abs, self.min_gain_rel * capital)
        if gain > gate and (apr_new - apr_old) * BPS >= self.hysteresis_bps:
            return out(True, "gain after costs above the gate")
        stale = state.now - state.last_rebalance >= self.max_interval_s
        if stale and drift > self.drift_frac * capital and gain > 0:
            return out(True, "forced: drift after max interval")
        return out(False, "gain below the gate")
