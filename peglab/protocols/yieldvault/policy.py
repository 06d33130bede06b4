"""The allocator interface: ``propose(state) -> Proposal`` (target amounts, hence target weights).

Every allocator (interstable-style rules, the ARMA-style optimiser, the baselines) reads one
immutable ``AllocationState`` and returns a ``Proposal``. Allocators are stateless: the same
state gives the same proposal (docs/yield-vaults.md §4), so anything they remember (last rebalance time,
APR history) is part of the state. Allocators may use floats to *decide*; the amounts they
propose are integers in asset base units, rounded down, and never exceed the capital.

A market is seen through a ``MarketView``: its exact supply-rate curve with own impact
(``apr_after(delta)``: the annual supply rate in ray if the vault's position changed by
``delta``), the vault's position, what it can withdraw now, the market's size and utilisation,
lock terms (locked sleeve), costs of moving (gas per transaction, entry/exit fee and, for a pool,
``slippage(delta)``: the asset units a move loses to the pool, from its own quote), and the
recent history the rules need (daily APRs, TVL a day ago).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from ...errors import InvalidInput
from ...units import BPS, RAY

__all__ = [
    "AllocationState",
    "MarketView",
    "Move",
    "Policy",
    "Proposal",
    "check_proposal",
    "hold",
    "plan_moves",
]


@dataclass(frozen=True, slots=True)
class MarketView:
    """One market as an allocator sees it (asset base units, ray rates, seconds)."""

    id: str
    protocol: str
    position: int
    withdrawable: int
    market_supply: int
    utilisation_wad: int
    apr_after: Callable[[int], int]
    gas_per_tx: int = 0
    entry_fee_bps: int = 0
    exit_fee_bps: int = 0
    lock_s: int = 0
    apr_history_ray: tuple[int, ...] = ()
    tvl_24h_ago: int = 0
    slippage: Callable[[int], int] | None = None

    def apr_ray(self) -> int:
        """The supply rate now (no move)."""
        return self.apr_after(0)

    def apr_at(self, amount: int) -> float:
        """Annual supply rate (fraction) if the vault held ``amount`` here: own impact included."""
        return self.apr_after(amount - self.position) / RAY


@dataclass(frozen=True, slots=True)
class AllocationState:
    """Everything an allocator may look at. ``idle`` is the vault's uninvested cash."""

    now: int
    idle: int
    markets: tuple[MarketView, ...]
    last_rebalance: int = 0
    outflow_p95_7d: int = 0

    @property
    def capital(self) -> int:
        return self.idle + sum(m.position for m in self.markets)

    def market(self, market_id: str) -> MarketView:
        for m in self.markets:
            if m.id == market_id:
                return m
        raise InvalidInput("yield/unknown-market", f"no market {market_id!r} in the state")


@dataclass(frozen=True, slots=True)
class Move:
    """One transaction of a plan: ``amount`` > 0 supplies, < 0 withdraws."""

    market: str
    amount: int


@dataclass(frozen=True, slots=True)
class Proposal:
    """An allocator's answer. ``targets`` maps every market to its target position."""

    targets: Mapping[str, int]
    rebalance: bool
    reason: str
    apr_before: float = 0.0
    apr_after: float = 0.0
    gain: float = 0.0
    cost: float = 0.0
    moves: tuple[Move, ...] = field(default=())

    def weights_bps(self, capital: int) -> dict[str, int]:
        """Target weights in basis points of ``capital`` (floored); the rest is idle."""
        if capital <= 0:
            return {k: 0 for k in self.targets}
        return {k: v * BPS // capital for k, v in self.targets.items()}


class Policy(Protocol):
    """An allocator: stateless, deterministic."""

    @property
    def name(self) -> str: ...

    def propose(self, state: AllocationState) -> Proposal: ...


def plan_moves(state: AllocationState, targets: Mapping[str, int]) -> tuple[Move, ...]:
    """Withdrawals first (largest first), then supplies (largest first): the cash to supply
    comes from idle plus what the withdrawals free. Ties break on the market id."""
    deltas = [(targets.get(m.id, m.position) - m.position, m.id) for m in state.markets]
    outs = sorted((d, k) for d, k in deltas if d < 0)
    ins = sorted(((d, k) for d, k in deltas if d > 0), key=lambda t: (-t[0], t[1]))
    return tuple(Move(k, d) for d, k in outs + ins)


def hold(state: AllocationState, reason: str) -> Proposal:
    """A proposal that keeps every position."""
    return Proposal({m.id: m.position for m in state.markets}, False, reason)


def check_proposal(state: AllocationState, p: Proposal) -> None:
    """The invariants every allocator's proposal keeps (raises AssertionError otherwise):
    one integer target per known market, none negative, none below what cannot be withdrawn,
    and the total within the capital."""
    ids = {m.id for m in state.markets}
    assert set(p.targets) == ids, f"targets {sorted(p.targets)} != markets {sorted(ids)}"
    for m in state.markets:
        t = p.targets[m.id]
        assert type(t) is int and t >= 0, f"{m.id}: bad target {t!r}"
        assert t >= m.position - m.withdrawable, f"{m.id}: target {t} needs more than withdrawable"
    assert sum(p.targets.values()) <= state.capital, "targets exceed the capital"
