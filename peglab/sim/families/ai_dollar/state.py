"""The AI-dollar family's state on one exact path, shared by its agents (``sim.agents``).

Holds the engine objects (AI dollars, vault books, peg pools), the agents' mutable state
(borrower budgets, keeper capital, open auctions, this step's sales) and the recorded series;
the helpers here are the quantities several agents read: the collateral's market price, the
external depth, and the highest auction price a keeper pays.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ....errors import PeglabError
from ....protocols.cdp import AIDollar
from ....units import WAD
from ...liquidity import exit_bid_one
from ...world import World
from .build import VaultBook
from .schema import AiDollar

__all__ = ["STAT_KEYS", "DollarPath", "Recap"]

STAT_KEYS: tuple[str, ...] = (
    "liquidated",
    "barks",
    "given",
    "cleared_due",
    "proceeds",
    "take_value",
    "keeper",
    "clear_time",
    "closed",
    "zero",
    "refused",
)


@dataclass
class Recap:
    """What the recapitalisation waterfall did to one AI dollar on a path (engine amounts)."""

    backstop_wad: int = 0  # backstop AI dollars used by ``cover``
    raised_rad: int = 0  # AI dollars raised by debt auctions (healed at their first bid)
    minted_wad: int = 0  # governance tokens minted to debt-auction winners
    shut_k: int = -1  # step of emergency shutdown (-1: none)
    deficit_at_shut: float = math.nan  # uncovered debt [USD] just before shutdown
    redemption: float = math.nan  # market value of collateral paid per AI dollar redeemed


class DollarPath:
    """Everything the AI-dollar agents read and change on one path."""

    def __init__(
        self,
        block: list[AiDollar],
        world: World,
        dollars: dict[str, AIDollar],
        books: list[VaultBook],
        rng: np.random.Generator,
    ) -> None:
        self.w = world
        self.block = block
        sc = self.sc = world.sc
        gov = next((a.symbol for a in sc.assets if a.kind == "governance"), None)
        self.asset_index = sc.asset_index  # symbol -> column (the property builds a dict per read)
        self.gov_asset = None if gov is None else self.asset_index[gov]
        self.recap: dict[str, Recap] = {}
        self.cond = world.cond
        self.venue = world.venue
        self.prices = world.venue.realised  # market prices at each step's start
        self.dollars = dollars
        self.books = books
        self.book = {b.ilk: b for b in books}
        # ilk -> its book's vault records in book order (the vat creates each once and writes
        # its fields in place, so a record read here stays the vault's)
        self.vault_of = {b.ilk: [b.dollar.vat.vaults[vid] for vid in b.ids] for b in books}
        self.rng = rng
        self.n, self.dt = sc.n_steps, sc.step
        liq = sc.liquidity
        self.eta, self.delta = float(liq.impact), float(liq.delta)
        self.dt_h = self.dt / 3600.0
        self.recycle_steps = max(1, round(sc.agents.keepers.recycle / self.dt))
        self.sym = list(dollars)
        nd = len(self.sym)
        self.peg = np.ones((nd, self.n + 1))
        self.cr = np.full((nd, self.n + 1), np.nan)
        self.liq_step = np.zeros((nd, self.n + 1))
        self.psm_usd = np.zeros((nd, self.n + 1))  # reference stablecoin held by the PSM
        self.pooled = np.zeros((nd, self.n + 1))  # AI dollars held by every pool
        self.stats = {s: dict.fromkeys(STAT_KEYS, 0.0) for s in self.sym}
        self.open: dict[tuple[str, int], dict[str, float]] = {}
        self.budget = {b.ilk: np.zeros(len(b.ids)) for b in books}
        self.capital_free: dict[str, float] = {}
        self.peg_pool: dict[str, Any] = {}
        # (pool id, symbol) -> ((balances, fee, A), price): agents.pools.pool_price's memo
        self.price_memo: dict[tuple[str, str], tuple[tuple[Any, ...], float]] = {}
        self.t0 = world.chain.now
        self.k = 0
        # this step's keeper bookkeeping
        self.ctx: dict[str, tuple[float, int]] = {}
        self.pending: list[tuple[int, str, int]] = []
        self.sold: dict[str, float] = {}
        self.short: set[str] = set()
        self.pay: dict[str, float] = {}
        # (pool id, balances, cash) -> sized purchase; valid while the pool's balances are those
        self.buy_sizes: dict[tuple[Any, ...], tuple[int, int]] = {}  # dealer.pool_buy_size
        # holders who run (``sim.agents.holders``): AI dollars [wad] per cohort, exit per step
        self.cohorts: dict[str, list[int]] = {}
        self.cohort_step: dict[str, int] = {}
        self.run_usd = np.zeros((nd, self.n + 1))  # USD received by running holders per step
        self.treasury_sold = np.zeros(self.n + 1)  # USD AI-token treasuries sold per step
        self.highs: dict[int, float] = {}  # asset -> highest step price so far (sellers)
        self.gov_sold_usd = 0.0  # governance tokens debt-auction winners sold on the venue
        # LP state per AI dollar
        self.lp_out: dict[str, list[int]] = {}
        self.below_since = dict.fromkeys(self.sym, -1)
        self.calm_since = dict.fromkeys(self.sym, 0)

    def attempt(self, sym: str, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        """Run an agent's action; a refusal is counted, not fatal (agents act on stale beliefs)."""
        try:
            return fn(*args, **kw)
        except PeglabError:
            self.stats[sym]["refused"] += 1
            return None

    def live(self, sym: str) -> bool:
        """The AI dollar is not shut down."""
        return self.recap[sym].shut_k < 0

    def t_step(self, k: int) -> int:
        return self.t0 + k * self.dt

    def coll_price(self, b: VaultBook, k: int) -> float:
        """Market price of one unit of the book's collateral token."""
        er = b.er
        if b.token in self.w.staking:
            er = self.w.staking[b.token].exchange_rate_wad() / WAD
        return float(self.prices[k, b.asset]) * er

    def depth(self, b: VaultBook, k: int) -> float:
        """External depth (USD) of the book's collateral at step ``k`` (docs/risk-spec.md §5)."""
        kappa = float(self.sc.liquidity.kappa)
        return (
            b.d10_usd
            * math.exp(-kappa * float(self.cond.dd[k, b.asset]))
            * float(self.cond.ext_factor[k])
        )

    def exit_bid(self, q: float, p: float, depth: float) -> float:
        """Average price per unit for selling ``q`` units on the static external market."""
        return exit_bid_one(q, p, depth, self.eta, self.delta)

    def unit_bid(self, b: VaultBook, lot: float, k: int, sold: float = 0.0) -> float:
        """What one unit of a ``lot`` of the book's collateral fetches on the venue now.

        Static model: the exit bid for ``sold + lot`` (``sold``: this step's earlier sales);
        transient model: the venue's quote, whose impact already holds the earlier sales.
        """
        if not self.venue.transient:
            return self.exit_bid(sold + lot, self.coll_price(b, k), self.depth(b, k))
        if lot <= 0:
            return self.coll_price(b, k)
        units = lot * self.coll_price(b, k) / max(float(self.prices[k, b.asset]), 1e-300)
        return self.venue.quote_sell(b.asset, units) / lot

    def sell_collateral(self, b: VaultBook, units: float, k: int, sold: float = 0.0) -> float:
        """Sell ``units`` of the book's collateral on the venue; returns the USD proceeds."""
        if not self.venue.transient:
            return units * self.exit_bid(sold + units, self.coll_price(b, k), self.depth(b, k))
        asset_units = units * self.coll_price(b, k) / max(float(self.prices[k, b.asset]), 1e-300)
        return self.venue.sell(b.asset, asset_units)

    def threshold(self, b: VaultBook, lot: float, k: int) -> float:
        """Highest auction price [USD per unit] a keeper pays for ``lot`` units now (docs/risk-spec.md §4)."""
        kp = self.sc.agents.keepers
        unit = self.unit_bid(b, lot, k, self.sold.get(b.ilk, 0.0))
        gas_usd = float(kp.gas_usd) * float(self.cond.gas[k])
        return unit * (1.0 - float(kp.margin)) - gas_usd / max(lot, 1e-18)
