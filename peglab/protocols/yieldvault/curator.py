"""The curator of an alUSD-style vault: the safe's allocation across lending markets, with guards.

The safe (an account) holds the vault's invested assets. An allocator agent holds a *scoped
delegated key* (Giza's model): it may only move the safe's assets between idle cash and the
approved markets, never elsewhere. ``allocate(targets)`` executes a policy's target positions,
withdrawals first, under the guards of docs/yield-vaults.md §3:

* no supply into a market above ``max_utilisation_wad`` (95%: exit risk) — ``yield/over-utilised``;
* no position above ``max_market_share_bps`` (10%) of a market's supply — ``yield/market-share``;
* idle cash stays at least ``idle_buffer_bps`` (5%) of NAV to meet settlements — ``yield/idle-buffer``;
* withdrawals are limited by each market's cash (the market refuses: ``lending/insufficient-cash``).

``nav()`` marks every position at its supply balance (``scaled × index``, floored) plus idle cash;
it is what the agent proposes as the vault's valuation. Fees are not deducted here: the epoch
vault takes them as shares at settlement (Lagoon's way of charging "accrued fees").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar, Protocol

from ...errors import InvalidInput, LimitExceeded, NotAuthorized
from ...kernel import Chain, Event, action, query
from ...units import BPS, WAD
from .curves import curve_of
from .policy import AllocationState, MarketView

__all__ = ["Allocated", "Curator", "MarketLike"]


class MarketLike(Protocol):
    """What the curator needs from a lending market (peglab.protocols.lending satisfies it)."""

    @property
    def id(self) -> str: ...
    @property
    def style(self) -> str: ...
    def supply_balance(self, account: str) -> int: ...
    def max_withdraw(self, account: str) -> int: ...
    def total_supplied(self) -> int: ...
    def utilisation_wad(self) -> int: ...
    def rates_ray(self, supply_delta: int = 0, debt_delta: int = 0) -> tuple[int, int]: ...
    def supply(self, amount: int, *, sender: str, on_behalf: str | None = None) -> int: ...
    def withdraw(self, amount: int, *, sender: str, to: str | None = None) -> int: ...


@dataclass(frozen=True, slots=True)
class Allocated(Event):
    """One allocation: ``moves`` as (market, signed amount) in execution order; NAV after."""

    kind: ClassVar[str] = "yield/allocate"
    safe: str
    moves: tuple[tuple[str, int], ...]
    nav: int


class Curator:
    """Allocates the safe's assets across approved markets for an agent with a scoped key."""

    def __init__(
        self,
        chain: Chain,
        asset: str,
        safe: str,
        markets: Sequence[MarketLike],
        *,
        agent: str,
        max_market_share_bps: int = 1000,
        max_utilisation_wad: int = 95 * WAD // 100,
        idle_buffer_bps: int = 500,
        gas_per_tx: int = 0,
    ) -> None:
        ids = [m.id for m in markets]
        if len(set(ids)) != len(ids) or not ids:
            raise InvalidInput("yield/bad-markets", f"market ids must be distinct, got {ids}")
        self.chain = chain
        self.asset = chain.ledger.token(asset).symbol
        self.safe = safe
        self.agent = agent
        self.markets = {m.id: m for m in markets}
        self.max_market_share_bps = max_market_share_bps
        self.max_utilisation_wad = max_utilisation_wad
        self.idle_buffer_bps = idle_buffer_bps
        self.gas_per_tx = gas_per_tx

    # -- reads -----------------------------------------------------------------------------------
    def idle(self) -> int:
        return self.chain.ledger.balance_of(self.asset, self.safe)

    def nav(self) -> int:
        """Idle cash plus every position at its supply balance (floored)."""
        return self.idle() + sum(m.supply_balance(self.safe) for m in self.markets.values())

    @query
    def state(
        self,
        last_rebalance: int = 0,
        outflow_p95_7d: int = 0,
        apr_history: Mapping[str, tuple[int, ...]] | None = None,
        tvl_24h_ago: Mapping[str, int] | None = None,
    ) -> AllocationState:
        """What an allocator sees (live curves: read it at decision time). A market with a
        ``lock_s`` attribute (a ``TermSleeve``) is shown as locked, one with ``slippage`` (a
        ``PoolSleeve``) passes its exact move cost on; ``apr_history`` (daily supply
        rates, ray) and ``tvl_24h_ago`` are the caller's records, by market id."""
        hist = apr_history or {}
        tvl = tvl_24h_ago or {}
        views = tuple(
            MarketView(
                id=m.id, protocol=m.style + ":" + m.id, position=m.supply_balance(self.safe),
                withdrawable=m.max_withdraw(self.safe), market_supply=m.total_supplied(),
                utilisation_wad=m.utilisation_wad(), apr_after=curve_of(m),
                gas_per_tx=self.gas_per_tx, lock_s=int(getattr(m, "lock_s", 0)),
                slippage=getattr(m, "slippage", None),
                apr_history_ray=hist.get(m.id, ()), tvl_24h_ago=tvl.get(m.id, 0),
            )
            for m in self.markets.values()
        )  # fmt: skip
        return AllocationState(self.chain.now, self.idle(), views, last_rebalance, outflow_p95_7d)

    # -- the scoped action -------------------------------------------------------------------------
    @action
    def allocate(self, targets: Mapping[str, int], *, sender: str) -> tuple[tuple[str, int], ...]:
        """Move to ``targets`` (market -> position); withdrawals first. Returns the moves made."""
        if sender not in (self.agent, self.safe):
            raise NotAuthorized("yield/not-agent", f"{sender} holds no key for safe {self.safe}")
        if not isinstance(targets, Mapping):
            raise InvalidInput(
                "yield/bad-targets", f"targets must map market ids to amounts: {targets!r}"
            )
        for mid, t in targets.items():
            if mid not in self.markets:
                raise NotAuthorized(
                    "yield/market-not-approved", f"{mid!r} is not an approved market"
                )
            if type(t) is not int or t < 0:
                raise InvalidInput(
                    "yield/bad-targets", f"target for {mid} must be an int >= 0: {t!r}"
                )
        deltas = sorted(
            ((t - self.markets[k].supply_balance(self.safe), k) for k, t in targets.items()),
            key=lambda d: (d[0] > 0, d[0] if d[0] < 0 else -d[0], d[1]),
        )
        moves: list[tuple[str, int]] = []
        nav = self.nav()
        for d, mid in deltas:
            m = self.markets[mid]
            if d < 0:
                m.withdraw(-d, sender=self.safe)
            elif d > 0:
                self._guard_supply(m, d, nav)
                m.supply(d, sender=self.safe)
            else:
                continue
            moves.append((mid, d))
        self.chain.emit(Allocated(self.safe, tuple(moves), self.nav()))
        return tuple(moves)

    def _guard_supply(self, m: MarketLike, amount: int, nav: int) -> None:
        if m.utilisation_wad() > self.max_utilisation_wad:
            raise LimitExceeded("yield/over-utilised", f"{m.id} is above the utilisation limit")
        pos = m.supply_balance(self.safe) + amount
        supply_after = m.total_supplied() + amount
        if pos * BPS > self.max_market_share_bps * supply_after:
            raise LimitExceeded(
                "yield/market-share",
                f"{pos} would exceed {self.max_market_share_bps} bps of {m.id}",
            )
        if (self.idle() - amount) * BPS < self.idle_buffer_bps * nav:
            raise LimitExceeded(
                "yield/idle-buffer", f"idle cash would fall below the buffer of NAV {nav}"
            )
