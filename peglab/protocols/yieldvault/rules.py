"""Interstable-style rule engine (v1) and the baseline allocators, behind the same ``propose``.

Rules v1 (docs/yield-vaults.md §4.1), applied in this order:

1. exit any protocol whose TVL fell more than 30% in 24 hours (as far as cash allows);
2. the liquid sleeve (idle cash) is kept at ``max(10% NAV, 7-day p95 outflow)``;
3. the locked sleeve (markets with a lock) never exceeds 50% of NAV;
4. at most 30% of NAV per protocol, at least 3 protocols (otherwise the rest stays idle);
5. the desired book fills the best markets by their *sustained* APR (the minimum of the last
   7 daily readings and now), within those limits;
6. move to it only when a rule above is broken (idle cash more than 5% of NAV above the liquid
   target counts: new deposits are invested), or when its APR beat the current book's by more
   than 50 bps on each of the last 7 days. Otherwise hold.

Baselines: ``EqualWeight`` (equal split over eligible markets, rebalanced when a weight drifts by
more than ``drift_bps``) and ``SingleMarket`` (everything in one market; the backtest reports the
best of them in hindsight).
"""

from __future__ import annotations

from dataclasses import dataclass

from ...units import BPS, RAY
from .policy import AllocationState, MarketView, Proposal, hold, plan_moves

__all__ = ["EqualWeight", "InterstableRules", "SingleMarket"]


def _floor(m: MarketView) -> int:
    return max(0, m.position - m.withdrawable)


@dataclass(frozen=True)
class InterstableRules:
    """The v1 rule set; every threshold is a parameter."""

    liquid_min_frac: float = 0.10
    locked_max_frac: float = 0.50
    protocol_cap_frac: float = 0.30
    min_protocols: int = 3
    gain_bps: float = 50.0
    sustain_days: int = 7
    tvl_drop_frac: float = 0.30
    idle_excess_frac: float = 0.05
    name: str = "interstable-rules"

    def crashed(self, m: MarketView) -> bool:
        return m.tvl_24h_ago > 0 and m.market_supply < (1 - self.tvl_drop_frac) * m.tvl_24h_ago

    def sustained_apr(self, m: MarketView) -> float:
        hist = m.apr_history_ray[-self.sustain_days :]
        return min((*hist, m.apr_ray())) / RAY

    def desired(self, state: AllocationState) -> dict[str, int]:
        """The book the rules would hold now (steps 1-5)."""
        capital = state.capital
        liquid = max(int(capital * self.liquid_min_frac), state.outflow_p95_7d)
        budget = max(0, capital - liquid)
        locked_left = int(capital * self.locked_max_frac)
        cap = int(capital * self.protocol_cap_frac)
        x = {m.id: _floor(m) for m in state.markets}
        used_by_protocol: dict[str, int] = {}
        for m in state.markets:
            used_by_protocol[m.protocol] = used_by_protocol.get(m.protocol, 0) + x[m.id]
            if m.lock_s:
                locked_left -= x[m.id]
        budget -= sum(x.values())
        eligible = [m for m in state.markets if not self.crashed(m)]
        if len({m.protocol for m in eligible}) < self.min_protocols:
            return x  # too few protocols: nothing new is placed
        for m in sorted(eligible, key=lambda m: (-self.sustained_apr(m), m.id)):
            room = min(cap - used_by_protocol.get(m.protocol, 0), budget)
            if m.lock_s:
                room = min(room, locked_left)
            if room <= 0:
                continue
            x[m.id] += room
            budget -= room
            used_by_protocol[m.protocol] = used_by_protocol.get(m.protocol, 0) + room
            if m.lock_s:
                locked_left -= room
        return x

    def violations(self, state: AllocationState) -> list[str]:
        """Rules the current book breaks (only those a move could repair)."""
        capital = state.capital
        out = []
        if any(self.crashed(m) and m.position and m.withdrawable for m in state.markets):
            out.append("TVL crash")
        liquid = max(int(capital * self.liquid_min_frac), state.outflow_p95_7d)
        movable = sum(min(m.position, m.withdrawable) for m in state.markets)
        if state.idle < liquid and movable:
            out.append("liquid sleeve short")
        if state.idle > liquid + capital * self.idle_excess_frac:
            out.append("idle above the liquid target")
        if sum(m.position for m in state.markets if m.lock_s) > capital * self.locked_max_frac:
            out.append("locked sleeve above cap")
        per: dict[str, int] = {}
        for m in state.markets:
            per[m.protocol] = per.get(m.protocol, 0) + m.position
        if any(v > capital * self.protocol_cap_frac + 1 for v in per.values()):
            out.append("protocol cap")
        return out

    def propose(self, state: AllocationState) -> Proposal:
        new = self.desired(state)
        old = {m.id: m.position for m in state.markets}
        if new == old:
            return hold(state, "at the desired book")
        broken = self.violations(state)
        if broken:
            return Proposal(new, True, "rule: " + ", ".join(broken), moves=plan_moves(state, new))
        capital = state.capital or 1
        days = self.sustain_days
        if not state.markets or min(len(m.apr_history_ray) for m in state.markets) < days:
            return hold(state, "not enough history")
        for d in range(1, days + 1):
            spread = sum((new[m.id] - old[m.id]) * m.apr_history_ray[-d] for m in state.markets) / (
                RAY * capital
            )
            if spread * BPS <= self.gain_bps:
                return hold(state, f"gain not above {self.gain_bps} bps for {days} days")
        return Proposal(
            new,
            True,
            f"gain above {self.gain_bps} bps for {days} days",
            moves=plan_moves(state, new),
        )


@dataclass(frozen=True)
class EqualWeight:
    """Equal split of ``(1 - idle) × NAV`` over all markets; rebalance on drift."""

    idle_frac: float = 0.05
    drift_bps: int = 200
    name: str = "equal-weight"

    def propose(self, state: AllocationState) -> Proposal:
        capital = state.capital
        n = len(state.markets)
        if n == 0:
            return hold(state, "no markets")
        each = int(capital * (1 - self.idle_frac)) // n
        new = {m.id: max(each, _floor(m)) for m in state.markets}
        if sum(new.values()) > capital:
            return hold(state, "stuck positions")
        drift = max(abs(new[m.id] - m.position) for m in state.markets)
        if drift * BPS <= self.drift_bps * capital:
            return hold(state, "within drift")
        return Proposal(new, True, "rebalance to equal weights", moves=plan_moves(state, new))


@dataclass(frozen=True)
class SingleMarket:
    """Everything (less an idle fraction) in one market."""

    market: str
    idle_frac: float = 0.05
    name: str = "single"

    def propose(self, state: AllocationState) -> Proposal:
        capital = state.capital
        new = {m.id: _floor(m) for m in state.markets}
        new[self.market] = 0
        new[self.market] = max(0, int(capital * (1 - self.idle_frac)) - sum(new.values()))
        new[self.market] = max(new[self.market], _floor(state.market(self.market)))
        old = {m.id: m.position for m in state.markets}
        if new == old or abs(new[self.market] - old[self.market]) * BPS <= 100 * capital:
            return hold(state, "in place")
        return Proposal(new, True, f"all in {self.market}", moves=plan_moves(state, new))
