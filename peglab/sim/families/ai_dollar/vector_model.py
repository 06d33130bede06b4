"""The vectorised AI-dollar model: a batch of paths through every agent of the exact runner at once.

Step order (``sim.runner`` and ``run.AiDollarRun``): the venue's book refills and records the
market price; ``operate`` (publish, OSM pokes, spot, drip); ``agents`` (borrowers per collateral
type, then keepers per collateral type); ``market`` (treasuries, then per AI dollar panic
sellers and holders who run, the arbitrageur, then LPs and the peg record); ``settle`` (the
waterfall and shutdown); ``record`` (also every pool's reserves on the report grid). Each
function works on every path at once (``vector_state``, ``vector_pools``, ``vector_dealer``,
``vector_agents``, ``vector_keepers``, ``vector_arb``, ``vector_recap``); what is approximated
is in docs/scale.md "Vectorised models: AI dollars".
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ...family import VectorBatch, VectorResult
from ...scenario import Scenario
from .metrics import AiDollarOutcome, dollar_outcome
from .schema import AiDollar
from .vector_agents import borrowers, holders, lps, operate, panic, peg_price, sellers
from .vector_arb import Arbitrage
from .vector_keepers import keepers
from .vector_recap import deficit, settle, signals
from .vector_state import VState, Window, build_state

__all__ = ["STEP_BLOCK", "Draws", "run_batch", "vector_outcomes"]

F = NDArray[np.float64]
STEP_BLOCK = 8  # steps' worth of per-step uniforms drawn per path at once (memory: paths x this)


class Draws:
    """Per-step uniforms of every path, in the exact runner's order (module docstring of
    ``vector_state``): each path reads its own stream through a cursor, refilled
    :data:`STEP_BLOCK` steps' worth at a time (``Generator.random(n)`` yields the same doubles
    as ``n`` single draws, so chunking changes nothing), so a path's draws never depend on the
    other paths of the batch."""

    def __init__(self, s: VState) -> None:
        self.s = s
        self.width = sum(5 * il.art.shape[1] + il.lat.shape[1] for il in s.ilks) * STEP_BLOCK
        self.buf = np.stack([g.random(self.width) for g in s.step_rngs])
        self.at = np.zeros(s.P, np.int64)

    def take(self, n: int, who: NDArray[np.bool_]) -> Window:
        """The paths' next ``n`` uniforms as a :class:`Window`; only the paths in ``who``
        consume them (the other rows read whatever their cursor points at and must not be used)."""
        s = self.s
        short = who & (self.at + n > self.buf.shape[1])
        for p in np.flatnonzero(short):  # the unread rest to the front, fresh draws after it
            row, left = self.buf[p], self.width - int(self.at[p])
            row[:left] = row[self.width - left :]
            s.step_rngs[p].random(out=row[left:])
            self.at[p] = 0
        out = Window(self.buf, self.at.copy())
        self.at += np.where(who, n, 0)
        return out


def _record(s: VState, k: int) -> None:
    coll = {d.sym: np.zeros(s.P) for d in s.dols}
    debt = {d.sym: np.zeros(s.P) for d in s.dols}
    for il in s.ilks:
        sym = s.dols[il.d].sym
        coll[sym] += il.ink.sum(axis=1) * s.coll_price(il, k)
        il.art_start = il.art.sum(axis=1)  # the next step begins with these vaults
        debt[sym] += il.art_start * il.rate
    for d in s.dols:
        with np.errstate(divide="ignore", invalid="ignore"):
            d.cr[:, k] = np.where(debt[d.sym] > 0, coll[d.sym] / debt[d.sym], np.nan)
        d.psm_usd[:, k] = d.gem
        d.pooled[:, k] = sum(
            (pool.bal[:, pool.index(d.sym)] for pool in s.pools.values() if d.sym in pool.coins),
            np.zeros(s.P),
        )
    for pool in s.pools.values():  # every pool's reserves, on the report grid
        s.reserves.sample(k, pool.id, pool.coins, [pool.bal[:, i] for i in range(pool.n)])


def run_batch(block: list[AiDollar], sc: Scenario, batch: VectorBatch) -> VState:
    """Every step of the batch (module docstring); returns the final state."""
    s = build_state(block, sc, batch)
    arb = Arbitrage(s)
    draws = Draws(s)
    _record(s, 0)
    for k in range(1, s.n + 1):
        s.k = k
        s.venue.begin_step(k)
        operate(s, k)
        for il in s.ilks:
            borrowers(s, il, k, draws.take)
        for il in s.ilks:
            n_k = il.lat.shape[1]
            u = draws.take(n_k, s.dols[il.d].live()).cols(0, n_k) if n_k else np.zeros((s.P, 0))
            keepers(s, il, k, u)
        if sc.agents.sellers.enabled:
            sellers(s, k)
        for d in s.dols:
            panic(s, d, k)
            if sc.agents.holders.enabled and d.live().any():
                holders(s, d, k, signals(s, d, k, peg_price(s, d)))
        arb.run(k)
        usd = s.prices[:, k, s.stable_a] if s.stable_a is not None else np.ones(s.P)
        for d in s.dols:
            lps(s, d, k)
            d.peg[:, k] = peg_price(s, d) * usd if d.peg_pool is not None else usd
        settle(s, k)
        _record(s, k)
    return s


def vector_outcomes(block: list[AiDollar], sc: Scenario, batch: VectorBatch) -> VectorResult:
    """One :class:`AiDollarOutcome` per path of ``batch``, the realised market prices and the
    reserves of the pools the model owns (``sim.runner``: all but other families' pools)."""
    s = run_batch(block, sc, batch)
    n = s.n
    finals = []
    for d in s.dols:
        shut = d.shut_k >= 0
        finals.append(np.where(shut, d.deficit_at_shut, deficit(s, d, n)))
    out = []
    for p in range(s.P):
        dollars = []
        for d, final_all in zip(s.dols, finals, strict=True):
            st = {key: float(v[p]) for key, v in d.stats.items()}
            final = float(final_all[p])
            backstop, raised = float(d.backstop_used[p]), float(d.raised[p])
            committed = float(np.where(d.fl_on[p] & d.fl_won[p], d.fl_lot[p], 0.0).sum())
            shut_k = int(d.shut_k[p])
            series = {
                "peg": d.peg[p].copy(),
                "cr": d.cr[p].copy(),
                "liquidated": d.liq_step[p].copy(),
                "run": d.run[p].copy(),
                "psm": d.psm_usd[p].copy(),
                "pooled": d.pooled[p].copy(),
            }
            waterfall = (final, backstop, raised, float(d.minted[p]) + committed)
            dollars.append(
                dollar_outcome(d.sym, waterfall, shut_k, s.dt, float(d.redemption[p]), st, series)
            )
        out.append(
            AiDollarOutcome(
                dollars=tuple(dollars),
                treasury_sold_usd=float(s.treasury_sold[p]),
                gov_sold_usd=float(s.gov_sold[p]),
            )
        )
    return VectorResult(out, s.venue.realised, s.reserves.series)
