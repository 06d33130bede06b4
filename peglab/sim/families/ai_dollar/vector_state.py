"""State of the vectorised AI-dollar model: every quantity of the exact runner as a path-indexed array.

Built by :func:`build_state` from the scenario block and a :class:`~peglab.sim.family.VectorBatch`.
Per-path setup is drawn from the path's own generator in the exact build's order (per AI dollar,
per collateral type: ``schema.draw_book``: the vaults, keeper latencies, keeper capital), so path ``p`` of both
engines has the same vault book and keepers. The t0 ledger is the exact runner's, in floats: each
vault's debt is ``max(debt, 1.01 dust)`` and its collateral scaled with it; the AI dollars the
vaults mint and the PSM's seeded inventory go to the holders, who seed half of each pool's depth
of their AI dollar; keepers buy a working inventory of AI dollars from them at par; the project
posts the backstop through the PSM outside the flow cap; holders split what they then hold into
cohorts; borrowers hold their budget, keepers and the arbitrageur their capital, in the
reference stablecoin.

Per-step randomness (borrowers' attendance, choice and deleveraging, panic closes after a drop,
keepers' gas drop-outs) comes from a copy of each path's generator taken after the setup draws,
consumed in the exact runner's order and amounts (``vector_model.Draws``): while the two
engines agree on which collateral types are live and which have just crashed, path ``p`` of
both draws the same numbers for the same vaults. The copy leaves the batch's generators to
the other families, and a path's stream depends on its seed only.
"""

from __future__ import annotations

import copy
import math

import numpy as np
from numpy.typing import NDArray

from ....errors import InvalidInput
from ....protocols.cdp.params import CollateralParams
from ...conditions import Conditions
from ...family import VectorBatch
from ...results import PoolReserves
from ...scenario import Scenario
from .schema import AiDollar, BookDraws, Collateral, collateral_params, draw_book
from .vector_pools import VecPool, VecVenue

__all__ = [
    "FLOPS", "FLOW_KEYS", "Dol", "Ilk", "VState", "Window", "build_state", "otc_buy", "path_sum",
    "where2",
]  # fmt: skip

F = NDArray[np.float64]
I = NDArray[np.int64]  # noqa: E741
B = NDArray[np.bool_]
RAYF = 1e27
FLOPS = 48  # debt-auction slots per AI dollar and path (recap limit / sump is 10-20 here)
FLOW_KEYS = ("ink0", "topup", "out", "barked", "sold", "back", "snipped")


class Ilk:
    """One collateral type over the batch: vaults ``(P, V)``, its OSM, keepers and auctions."""

    def __init__(self, c: Collateral, d: int, sc: Scenario, params: CollateralParams) -> None:
        idx = sc.asset_index
        asset = sc.asset(c.asset)
        self.c, self.d, self.ilk = c, d, c.ilk
        self.derivative = asset.kind == "derivative" and asset.underlying is not None
        self.a = idx[asset.underlying] if self.derivative and asset.underlying else idx[c.asset]
        self.er0 = float(asset.exchange_rate) if asset.kind == "derivative" else 1.0
        self.english = params.auction == "english"
        self.mat, self.chop, self.buf = (
            params.mat_ray / RAYF,
            params.chop_wad / 1e18,
            params.buf_ray / RAYF,
        )
        self.cut, self.cusp = params.cut_ray / RAYF, params.cusp_ray / RAYF
        self.calc, self.step_s, self.tau = params.calc, params.step_s, params.tau_s
        self.tail = params.tail_s
        self.chip, self.tip = params.chip_wad / 1e18, params.tip_rad / 1e45
        self.dust, self.hole = params.dust_rad / 1e45, params.hole_rad / 1e45
        self.line = params.line_rad / 1e45
        self.hop, self.max_age = params.hop_s, params.max_age_s
        self.ttl, self.flip_tau, self.beg = params.ttl_s, params.flip_tau_s, params.beg_wad / 1e18
        self.haircut = float(c.haircut) if self.derivative else 0.0
        self.growth = (1.0 + float(c.apr)) ** (sc.step / 31_536_000.0)
        self.d10 = float(asset.d10_usd) if asset.d10_usd is not None else 1e30
        # set by build_state
        self.art: F = np.zeros((0, 0))
        self.ink: F = np.zeros((0, 0))
        self.target: F = np.zeros((0, 0))
        self.budget: F = np.zeros((0, 0))
        self.cash: F = np.zeros((0, 0))
        self.active: B = np.zeros((0, 0), bool)
        self.unsafe_since: I = np.zeros((0, 0), np.int64)
        # flat indices of the vaults the keepers' last bark check found unsafe: every vault
        # whose ``unsafe_since`` is set is among them
        self.unsafe_at: NDArray[np.intp] = np.zeros(0, np.intp)
        self.lat: I = np.zeros((0, 0), np.int64)
        self.rate: F = np.zeros(0)
        # each path's total ``art`` when the step began (summed when the last step was
        # recorded): not below the total until the step's settlement (borrowers repay and
        # barks take debt; none is drawn)
        self.art_start: F = np.zeros(0)
        self.capital: F = np.zeros(0)
        self.free: F = np.zeros(0)
        self.kdol: F = np.zeros(0)
        self.kcash: F = np.zeros(0)
        self.release = np.zeros((0, 0))
        self.er = np.zeros(0)  # exchange rate per step (slashing), (n + 1,)
        # the feed and the OSM (cur, nxt, held per path; zzz is path-independent)
        self.feed_val: F = np.zeros(0)
        self.cur: F = np.zeros(0)
        self.nxt: F = np.zeros(0)
        self.held: F = np.zeros(0)
        self.feed: F = np.zeros(0)
        self.spot: F = np.zeros(0)
        self.feed_ok = True
        self.tag = np.zeros(0)  # the End's frozen price (shutdown)
        # collateral flows per path (tests check that they add up): t0 ink, top-ups, withdrawals
        # and closes, lots barked, sold, handed back (closed auctions, dents), snipped at cage
        self.flow: dict[str, F] = {}
        self.zzz = 0
        # auctions: at most one per vault (a slot per vault, ``on`` while it runs)
        self.on: B = np.zeros((0, 0), bool)
        self.tab: F = np.zeros((0, 0))
        self.lot: F = np.zeros((0, 0))
        self.top: F = np.zeros((0, 0))
        self.tic: F = np.zeros((0, 0))
        self.due: F = np.zeros((0, 0))
        self.given: F = np.zeros((0, 0))
        self.kick: I = np.zeros((0, 0), np.int64)
        self.bid: F = np.zeros((0, 0))  # English auctions
        self.btic: F = np.zeros((0, 0))
        self.end: F = np.zeros((0, 0))
        self.guy: NDArray[np.int8] = np.zeros((0, 0), np.int8)  # 0 none, 1 keeper, 2 zero-bidder


class Dol:
    """One AI dollar over the batch: PSM, buffer, holders, peg pool, recapitalisation."""

    def __init__(self, dol: AiDollar, p: int, n: int, cohorts: int) -> None:
        self.dol, self.sym = dol, dol.symbol
        psm = dol.psm
        self.has_psm = psm is not None
        self.tin = float(psm.tin) if psm else 0.0
        self.tout = float(psm.tout) if psm else 0.0
        self.psm_line = float(psm.line_usd) if psm else 0.0
        self.flow_cap = self.psm_line / 10
        self.line = float(dol.line_usd)
        z = np.zeros(p)
        self.gem, self.psm_art, self.net = z.copy(), z.copy(), z.copy()
        self.day = np.full(p, -1, np.int64)
        self.holders = z.copy()
        self.cohorts = np.zeros((p, cohorts))
        self.cohort_step = z.copy()
        # buffer (vow), in AI dollars
        self.sin, self.dai, self.ash, self.backstop = z.copy(), z.copy(), z.copy(), z.copy()
        self.queue = np.zeros((p, n + 1))  # debt queued at bark, by step (flog after ``wait``)
        self.queued = z.copy()  # the queue's total per path (kept as columns come and go)
        self.frozen = False  # a released column kept on a shut path (the buffer no longer flogs)
        self.resets = np.zeros(p, np.int64)
        self.recap_limit = 0.0
        self.sump, self.dump0 = 50_000.0, 50_000.0
        self.fl_on = np.zeros((p, FLOPS), bool)
        self.fl_lot, self.fl_bid = np.zeros((p, FLOPS)), np.zeros((p, FLOPS))
        self.fl_tic, self.fl_end = np.zeros((p, FLOPS)), np.zeros((p, FLOPS))
        self.fl_won = np.zeros((p, FLOPS), bool)  # the bidder holds the lot
        # recap outcome
        self.backstop_used, self.raised, self.minted = z.copy(), z.copy(), z.copy()
        self.shut_k = np.full(p, -1, np.int64)
        self.deficit_at_shut = np.full(p, math.nan)
        self.redemption = np.full(p, math.nan)
        self.tag_k = np.full(p, -1, np.int64)
        # LPs of the peg pool
        self.peg_pool: VecPool | None = None
        self.below_since = np.full(p, -1, np.int64)
        self.calm_since = np.zeros(p, np.int64)
        self.lp_stack = np.zeros((p, n + 2))
        self.lp_top = np.zeros(p, np.int64)
        self.stats = {k: z.copy() for k in STAT_KEYS}
        self.peg = np.ones((p, n + 1))
        self.cr = np.full((p, n + 1), np.nan)
        self.liq_step = np.zeros((p, n + 1))
        self.psm_usd = np.zeros((p, n + 1))
        self.pooled = np.zeros((p, n + 1))
        self.run = np.zeros((p, n + 1))

    def live(self) -> B:
        return np.asarray(self.shut_k < 0)


STAT_KEYS = (
    "liquidated", "barks", "given", "cleared_due", "proceeds", "take_value", "keeper",
    "clear_time", "closed", "zero",
)  # fmt: skip


class VState:
    """Everything the vectorised agents read and change (module docstring)."""

    def __init__(self, block: list[AiDollar], sc: Scenario, batch: VectorBatch) -> None:
        self.block, self.sc = block, sc
        self.P = batch.paths
        self.n, self.dt = sc.n_steps, sc.step
        self.dt_h = self.dt / 3600.0
        self.t0 = 1_700_006_400  # sim.world.START_TIME: a whole hour, OSM hops align with steps
        conds = [Conditions.of(sc, batch.prices[p]) for p in range(self.P)]
        self.gas = np.stack([c.gas for c in conds])
        self.dd = np.stack([c.dd for c in conds])
        c0 = conds[0]  # shock factors and oracle modes depend on the scenario only
        self.ext, self.pool_factor = c0.ext_factor, c0.pool_factor
        self.cap_factor, self.lat_factor = c0.cap_factor, c0.lat_factor
        self.modes, self.msize = c0.modes, c0.msize
        self.venue = VecVenue(sc, batch.prices, self.dd, np.broadcast_to(self.ext, self.gas.shape))
        self.prices = self.venue.realised  # market prices at each step's start (P, n + 1, A)
        idx = sc.asset_index
        self.stable = next((a.symbol for a in sc.assets if a.kind == "stable"), None)
        self.stable_a = None if self.stable is None else idx[self.stable]
        gov = next((a.symbol for a in sc.assets if a.kind == "governance"), None)
        self.gov_a = None if gov is None else idx[gov]
        nc = int(sc.agents.holders.cohorts)
        self.dols = [Dol(d, self.P, self.n, nc) for d in block]
        self.dol_of = {d.sym: d for d in self.dols}
        self.ilks: list[Ilk] = []
        self.pools: dict[str, VecPool] = {}
        self.lp0: dict[str, F] = {}
        self.lp_held: dict[str, F] = {}
        self.lp_coins: dict[str, F] = {}
        self.arb_cash = np.zeros(self.P)
        self.bidder_cash = np.zeros(self.P)
        self.treasury: dict[int, F] = {}
        self.highs: dict[int, F] = {}
        self.treasury_sold = np.zeros(self.P)
        self.gov_sold = np.zeros(self.P)
        self.step_rngs: list[np.random.Generator] = []
        self.reserves = PoolReserves(self.n, self.P)  # the pools' reserves on the report grid
        self.k = 0
        self._by_step: dict[int, F] = {}  # recent_high's copies of the prices, filled to
        self._filled: dict[int, int] = {}  # this step (excluded)

    def recent_high(self, a: int, k: int, steps: int) -> F:
        """Each path's highest market price of asset ``a`` over steps ``k - steps .. k`` (from
        0 early on). Read from a copy of the prices with steps as rows, filled up to ``k`` as the
        steps begin (``prices[:, j]`` is final once step ``j`` has begun): a max along
        contiguous rows, the same values as along the strided price array."""
        hist = self._by_step.get(a)
        if hist is None:
            hist = self._by_step[a] = np.empty((self.n + 1, self.P))
        filled = self._filled.get(a, 0)
        if filled <= k:
            hist[filled : k + 1] = self.prices[:, filled : k + 1, a].T
            self._filled[a] = k + 1
        return np.asarray(hist[max(0, k - steps) : k + 1].max(axis=0), dtype=np.float64)

    def now(self, k: int) -> int:
        return self.t0 + k * self.dt

    def coll_price(self, il: Ilk, k: int) -> F:
        """Market price of one unit of the collateral token (derivative: times its rate)."""
        return np.asarray(self.prices[:, k, il.a] * il.er[k], dtype=np.float64)


def build_state(block: list[AiDollar], sc: Scenario, batch: VectorBatch) -> VState:
    """The batch's state at t0 (module docstring), drawing each path's setup in the exact order."""
    s = VState(block, sc, batch)
    P, n = s.P, s.n
    per_path: list[list[BookDraws]] = []
    for p, rng in enumerate(batch.rngs):
        draws = [
            draw_book(c, sc, batch.prices[p, 0], rng) for dol in block for c in dol.collaterals
        ]
        per_path.append(draws)
        s.step_rngs.append(copy.deepcopy(rng))
    j = 0
    for d_i, dol in enumerate(block):
        for c in dol.collaterals:
            asset = sc.asset(c.asset)
            d10 = float(asset.d10_usd) if asset.d10_usd is not None else 1e30
            il = Ilk(c, d_i, sc, collateral_params(c, d10))
            debt = np.stack([per_path[p][j].debt for p in range(P)])
            ink = np.stack([per_path[p][j].ink for p in range(P)])
            il.target = np.stack([per_path[p][j].target for p in range(P)])
            il.lat = np.stack([per_path[p][j].latencies for p in range(P)])
            caps = np.stack([per_path[p][j].capital for p in range(P)])
            debt_w = np.maximum(debt, il.dust * 1.01)
            il.ink = ink * np.maximum(1.0, debt_w / debt)
            il.art, il.rate = debt_w.copy(), np.ones(P)
            il.active = np.ones(debt.shape, bool)
            il.unsafe_since = np.full(debt.shape, -1, np.int64)
            il.capital = caps.sum(axis=1) * float(c.vaults.debt_usd)
            il.release = np.zeros((P, n + 2))
            il.er = np.full(n + 1, il.er0)
            shape = debt.shape
            il.on = np.zeros(shape, bool)
            il.tab, il.lot, il.top, il.tic = [np.zeros(shape) for _ in range(4)]
            il.due, il.given, il.bid, il.btic, il.end = [np.zeros(shape) for _ in range(5)]
            il.kick = np.zeros(shape, np.int64)
            il.guy = np.zeros(shape, np.int8)
            p0 = batch.prices[:, 0, il.a].copy()
            il.feed_val, il.cur, il.nxt, il.held = p0, p0.copy(), p0.copy(), np.zeros(P)
            il.zzz = s.t0 - s.t0 % il.hop
            il.feed = il.cur * il.er0 * (1.0 - il.haircut)
            il.spot = il.feed / il.mat
            il.tag = np.zeros(P)
            il.flow = {key: np.zeros(P) for key in FLOW_KEYS}
            il.flow["ink0"] = il.ink.sum(axis=1)
            for sh in sc.shocks:
                if sh.kind == "slash" and sh.asset == c.asset:
                    il.er[sc.step_of(sh.at) :] *= 1.0 - float(sh.size)
            s.dols[d_i].holders += debt_w.sum(axis=1)
            s.ilks.append(il)
            j += 1
    _seed(s, sc)
    return s


def _seed(s: VState, sc: Scenario) -> None:
    """PSM inventory, pools, budgets, keepers, backstop, cohorts, treasuries (module docstring)."""
    P, idx = s.P, sc.asset_index
    for d in s.dols:
        if d.has_psm and s.stable is not None and d.dol.psm is not None:
            inv = float(d.dol.psm.inventory_usd)
            d.gem += inv
            d.psm_art += inv
            d.holders += inv * (1.0 - d.tin)
            d.dai += inv * d.tin
    prices0 = s.venue.f[:, 0, :]
    for pl in sc.system.pools:
        if any(t not in s.dol_of and t != s.stable and t not in idx for t in pl.coins):
            continue  # another family's token: that family's model owns the pool (sim.runner)
        half = float(pl.depth_usd) / 2
        amounts = []
        for t in pl.coins:
            if t in s.dol_of:
                amounts.append(np.minimum(half, s.dol_of[t].holders))
            elif t == s.stable:
                amounts.append(np.full(P, half))
            else:
                amounts.append(half / prices0[:, idx[t]])
        bal = np.stack(amounts, axis=1)
        seeded = bal.min(axis=1) > 0
        if not seeded.any():
            continue  # as the exact engine: a pool without a coin to seed is not deployed
        if not seeded.all():
            raise InvalidInput(
                "stress/no-float-model",
                f"pool {pl.id} can be seeded on some paths of the batch only (the vectorised "
                "model deploys a pool on every path or none); use the exact engine",
            )
        for t, a in zip(pl.coins, amounts, strict=True):
            if t in s.dol_of:
                s.dol_of[t].holders -= a
        if pl.kind == "stableswap":
            pool = VecPool(pl.id, "stableswap", tuple(pl.coins), bal, pl.A, float(pl.fee_bps) / 1e4)
        else:
            pool = VecPool(pl.id, "cp", tuple(pl.coins), bal, 0, float(pl.fee_bps) / 1e4)
        s.pools[pl.id] = pool
        s.lp0[pl.id] = pool.supply.copy()
        s.lp_held[pl.id] = pool.supply.copy()
        s.lp_coins[pl.id] = np.zeros_like(bal)
    for d in s.dols:  # each AI dollar's first StableSwap pool against the reference stablecoin
        for pl in sc.system.pools:
            found = s.pools.get(pl.id)
            if found is not None and found.stable and s.stable in pl.coins and d.sym in pl.coins:
                d.peg_pool = found
                break
    ag = sc.agents
    frac, inv_share = float(ag.borrowers.budget), float(ag.keepers.inventory)
    for il in s.ilks:
        d = s.dols[il.d]
        if il.english and s.stable is not None:
            d.holders -= np.where(d.holders >= 1.0, 1.0, 0.0)  # the zero-bidder's dust
        p0 = s.prices[:, 0, il.a] * il.er0
        il.budget = frac * il.ink * p0[:, None] if s.stable else np.zeros_like(il.ink)
        il.cash = il.budget.copy()
        il.free = il.capital.copy()
        il.kcash = il.capital.copy() if s.stable else np.zeros(P)
        il.kdol = np.zeros(P)
        if s.stable:
            otc_buy(d, il, il.capital * inv_share)
    for d in s.dols:
        debt0 = sum(float(c.vaults.debt_usd) for c in d.dol.collaterals)
        d.recap_limit = float(d.dol.recap_limit) * debt0
        if s.gov_a is not None:
            d.dump0 = 2.0 * d.sump / float(s.venue.f[0, 0, s.gov_a])
        amount = float(d.dol.backstop) * float(d.dol.line_usd)
        if amount <= 0 or not s.stable:
            continue
        if d.has_psm:  # posted before t0 through the PSM, outside the day's cap
            d.gem += amount
            d.psm_art += amount
            d.dai += amount * d.tin
            d.backstop += amount * (1.0 - d.tin)
        else:
            got = np.minimum(amount, d.holders)
            d.holders -= got
            d.backstop += got
    if ag.debt_bidders.enabled and s.stable:
        s.bidder_cash += float(ag.debt_bidders.capital_usd)
    h = ag.holders
    nc = int(h.cohorts)
    for d in s.dols:
        d.cohorts[:] = (d.holders / nc)[:, None]
        d.cohort_step = np.maximum(1e-18, d.holders / nc * float(h.rate) * s.dt_h)
    if ag.sellers.enabled:
        for asset in sc.assets:
            if asset.kind == "ai-token" and asset.d10_usd is not None:
                i = idx[asset.symbol]
                s.highs[i] = s.prices[:, 0, i].copy()
                s.treasury[i] = (
                    float(ag.sellers.inventory_d10) * float(asset.d10_usd) / s.prices[:, 0, i]
                )
    if ag.arbitrageurs.enabled and s.stable:
        s.arb_cash += float(ag.arbitrageurs.capital_usd)


def otc_buy(d: Dol, il: Ilk, usd: F) -> None:
    """The keeper buys AI dollars from holders at par with its stablecoin."""
    amt = np.maximum(np.minimum(np.minimum(usd, il.kcash), d.holders), 0.0)
    il.kcash -= amt
    d.holders -= amt
    il.kdol += amt


def where2(mask: B) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """``np.nonzero`` of a C-contiguous ``(P, V)`` mask (the same row-major order, the same
    dtype), through the flat indices: several times faster than the two-dimensional search."""
    r, c = np.divmod(np.flatnonzero(mask), mask.shape[1])
    return r, c


def path_sum(rows: NDArray[np.intp], values: F, paths: int) -> F:
    """Per-path totals of entries whose paths are ``rows`` (``[paths]``; 0 for a path without
    one). Each path adds its own entries in their order, so a total never depends on the others."""
    return np.asarray(np.bincount(rows, values, paths), dtype=np.float64)


class Window:
    """``n`` uniforms per path from each path's cursor ``start``: :meth:`cols` reads a block of
    them for every path, :meth:`block` for some, :meth:`pick` single ones for some (the rest
    is never copied)."""

    def __init__(self, buf: F, start: NDArray[np.int64]) -> None:
        self.buf, self.start = buf, start
        first = int(start[0])
        self.common = first if (start == first).all() else -1  # paths in step: views

    def cols(self, lo: int, hi: int) -> F:
        """``(P, hi - lo)``: each path's uniforms ``lo .. hi`` of the window."""
        width, end = hi - lo, self.buf.shape[1]
        if self.common >= 0:
            out = self.buf[:, self.common + lo : self.common + hi]
            if out.shape[1] < width:  # rows outside ``who`` near the end of the buffer
                out = np.pad(out, ((0, 0), (0, width - out.shape[1])))
            return out
        at = np.minimum(self.start + lo, end - width)
        view = np.lib.stride_tricks.sliding_window_view(self.buf, width, axis=1)
        return np.asarray(view[np.arange(self.buf.shape[0]), at], dtype=np.float64)

    def block(self, rows: NDArray[np.intp], lo: int, hi: int) -> F:
        """``(rows.size, hi - lo)``: the uniforms ``lo .. hi`` of the window of each path of
        ``rows`` (paths that consume the window; ``cols`` of those rows, the others not copied)."""
        if rows.size == self.buf.shape[0]:
            return self.cols(lo, hi)
        view = np.lib.stride_tricks.sliding_window_view(self.buf, hi - lo, axis=1)
        return np.asarray(view[rows, self.start[rows] + lo], dtype=np.float64)

    def pick(self, rows: NDArray[np.intp], pos: NDArray[np.intp]) -> F:
        """The uniform at position ``pos`` of the window of each path of ``rows``."""
        return np.asarray(self.buf[rows, self.start[rows] + pos], dtype=np.float64)
