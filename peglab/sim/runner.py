"""The exact runner: one scenario path through the integer engine, every agent action a transaction.

``run_path(scenario, path_index, seed_seq)`` is the Monte Carlo driver's per-path function
(``peglab.risk.montecarlo.RunPath``). It draws the path's market prices exactly as the float model
does (``simulate_prices`` first, from the same seed), builds the world (``sim.world``), then at
every step, in this order:

1. the clock advances one step; reporters publish the market price to the feeds, unless an oracle
   shock freezes (no update), stales (an outage) or manipulates (``price * (1 + size)``) them;
   scheduled slashing hits staking pools;
2. the operator pokes every OSM whose hop has passed, refreshes every spot and drips every fee;
3. borrowers who attend (``p_attend`` per day) and sit below ``target - band`` top up (buying
   collateral on the external market) or repay (buying AI dollars on the pool); on a drop of
   ``panic_drop`` within ``panic_window`` some close their vault;
4. keepers (after their latency, minus those who drop out when gas spikes) bark unsafe vaults,
   restart stale auctions, and take when the auction price is below what the collateral fetches on
   the external market (risk.md §5 exit bid) less their margin and gas; each take runs the buyer
   callback: sell the slice to the market, buy the AI dollars owed (PSM or pool, whichever is
   cheaper), and pay, all inside the take's atomic transaction;
5. panic sellers dump AI dollars into the pool while it trades below their trigger; arbitrageurs
   close the gap between the pool and the PSM; LPs leave stressed pools and return after calm;
6. the system buffer heals what it can.

Metrics have the names of the float model (``risk.montecarlo``) so the two can be compared path
by path; every amount is read from the engine's integer state and converted to float only here.
"""

from __future__ import annotations

import heapq
import math
from typing import Any

import numpy as np

from ..errors import PeglabError
from ..math import ceil_div
from ..protocols.cdp.clip import auction_price
from ..units import RAY, WAD
from .processes import exit_bid_one as _bid
from .processes import gas_multiplier, rng_from, running_drawdown
from .results import PathResult, assemble_result
from .scenario import Scenario, oracle_modes, shock_factor, simulate_prices
from .world import HOLDERS, LP, MARKET, OPERATOR, ORACLE, VaultBook, World, build_world, to_wad

__all__ = ["ExactRun", "run_path"]

_YEAR_S = 31_536_000
_ARB_CHUNKS = 24  # trades per arbitrage per step, each a fraction of the pool
MAX_BUY_PRICE = 1.05  # [O] nobody buys AI dollars on the pool above this average price
LP_FLOOR = 0.05  # [O] LPs keep at least this share of their t0 position (as the float model)


def run_path(sc: Scenario, path_index: int, seed_seq: np.random.SeedSequence) -> PathResult:
    """One path of ``sc`` on the exact engine; returns a ``PathResult``."""
    rng = rng_from(seed_seq)
    prices = simulate_prices(sc, rng)
    world = build_world(sc, prices[0], rng)
    return ExactRun(world, prices, rng).run()


class ExactRun:
    """State of one running path (see the module docstring for the order of events per step)."""

    def __init__(self, world: World, prices: np.ndarray, rng: np.random.Generator) -> None:
        self.w = world
        sc = self.sc = world.sc
        self.prices = prices
        self.rng = rng
        self.n, self.dt = sc.n_steps, sc.step
        self.idx = sc.asset_index
        liq = sc.liquidity
        self.eta, self.delta = float(liq.impact), float(liq.delta)
        dd = running_drawdown(prices)
        self.dd = dd
        volatile = [self.idx[a.symbol] for a in sc.assets if a.kind in ("ai-token", "major")]
        dd_sys = dd[:, volatile].max(axis=1) if volatile else np.zeros(self.n + 1)
        self.gas = np.maximum(
            gas_multiplier(dd_sys, float(liq.gas_spike), float(liq.gas_full_at)),
            shock_factor(sc, "gas"),
        )
        self.ext_factor = shock_factor(sc, "depth", target="external")
        self.pool_factor = shock_factor(sc, "depth", target="pools")
        self.cap_factor = shock_factor(sc, "keepers", "capital_factor")
        self.lat_factor = shock_factor(sc, "keepers", "latency_factor")
        self.modes, self.msize = oracle_modes(sc)
        self.slashes = {sc.step_of(sh.at): sh for sh in sc.shocks if sh.kind == "slash"}
        bw = sc.agents.borrowers
        day = self.dt / 86_400.0
        self.p_act = 1.0 - (1.0 - float(bw.p_attend)) ** day
        self.p_panic = 1.0 - (1.0 - float(bw.p_panic)) ** day
        self.panic_steps = max(1, round(bw.panic_window / self.dt))
        self.recycle_steps = max(1, round(sc.agents.keepers.recycle / self.dt))
        self.dt_h = self.dt / 3600.0
        nd = len(sc.system.ai_dollars)
        self.sym = [d.symbol for d in sc.system.ai_dollars]
        self.peg = np.ones((nd, self.n + 1))
        self.cr = np.full((nd, self.n + 1), np.nan)
        self.liq_step = np.zeros((nd, self.n + 1))
        self.stats = {
            s: dict.fromkeys(
                (
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
                ),
                0.0,
            )
            for s in self.sym
        }
        self.open: dict[tuple[str, int], dict[str, float]] = {}
        self.budget = {b.ilk: np.zeros(len(b.ids)) for b in world.books}
        self.lp_out: dict[str, list[int]] = {}
        self.t0 = world.chain.now
        self._book = {b.ilk: b for b in world.books}
        self._ctx: dict[str, tuple[float, int]] = {}
        self._pending: list[tuple[int, str, int]] = []
        self._sold: dict[str, float] = {}
        self._short: set[str] = set()
        self._pay: dict[str, float] = {}
        self.below_since = dict.fromkeys(self.sym, -1)
        self.calm_since = dict.fromkeys(self.sym, 0)
        self._fund_agents()

    # -- setup --------------------------------------------------------------------------------
    def _fund_agents(self) -> None:
        """Borrower budgets (risk.md §4) and keeper capital, in the reference stablecoin."""
        w, ledger = self.w, self.w.chain.ledger
        frac = float(self.sc.agents.borrowers.budget)
        for d in w.dollars.values():  # the opportunist of English auctions needs dust to bid with
            if d.flippers and ledger.balance_of(d.symbol, HOLDERS) >= WAD:
                w.chain.transfer(d.symbol, "zero-bidder", WAD, sender=HOLDERS)
        for b in w.books:
            p = float(self.prices[0, b.asset]) * b.er
            for i, vid in enumerate(b.ids):
                v = b.dollar.vat.vaults[vid]
                usd = frac * v.ink_wad / WAD * p
                self.budget[b.ilk][i] = usd
                if w.stable:
                    ledger.transfer(w.stable, MARKET, b.owners[i], self._stable_units(usd))
            # keepers hold their capital in USDC and buy AI dollars from holders at par (OTC)
            if w.stable:
                ledger.transfer(w.stable, MARKET, b.keeper, self._stable_units(b.capital_usd))
                self._otc_buy(b.dollar.symbol, b.keeper, b.capital_usd)
        self.capital_free = {b.ilk: b.capital_usd for b in w.books}

    def _stable_units(self, usd: float) -> int:
        return int(max(usd, 0.0) * 10**self.w.stable_decimals)

    # -- the loop -----------------------------------------------------------------------------
    def run(self) -> PathResult:
        self.k = 0
        self._record(0)
        for k in range(1, self.n + 1):
            self.k = k
            self.w.chain.warp(self.t_step(k))
            self._oracles(k)
            self._operator()
            for b in self.w.books:
                self._borrowers(b, k)
            self._pending = []
            self._sold = {}
            self._short = set()
            for b in self.w.books:
                self._keepers(b, k)
            heapq.heapify(self._pending)
            while self._pending:  # takes in time order; a keeper whose bid moved retries later
                when, ilk, aid = heapq.heappop(self._pending)
                if when > self.w.chain.now:
                    self.w.chain.warp(when)
                if self._take(ilk, aid) == "later":
                    b = self._book[ilk]
                    again = self._crossing(b, b.dollar.clippers[ilk], aid, k)
                    if again is not None and again > self.w.chain.now:
                        heapq.heappush(self._pending, (again, ilk, aid))
            self._settle_closed(k)
            for d_i, sym in enumerate(self.sym):
                self._market(d_i, sym, k)
            self._heal()
            self._record(k)
        return self._result()

    def _try(self, sym: str, fn: Any, *args: Any, **kw: Any) -> Any:
        """Run an agent's action; a refusal is counted, not fatal (agents act on stale beliefs)."""
        try:
            return fn(*args, **kw)
        except PeglabError:
            self.stats[sym]["refused"] += 1
            return None

    def _oracles(self, k: int) -> None:
        for sym, feed in self.w.feeds.items():
            a = self.idx[sym]
            mode = self.modes[k, a]
            p = float(self.prices[k, a])
            if mode == 1:
                continue  # frozen: the reporters stop updating
            if mode == 2:
                feed.set_price(0, ok=False, sender=ORACLE)
            else:
                if mode == 3:
                    p *= 1.0 + float(self.msize[k, a])
                feed.set_price(max(to_wad(p), 1), sender=ORACLE)
        sh = self.slashes.get(k)
        if sh is not None:
            self.w.staking[sh.asset].slash(to_wad(float(sh.size)), sender=self.w.chain.root)

    def _operator(self) -> None:
        for d in self.w.dollars.values():
            d.poke_prices(sender=OPERATOR)
            for ilk in d.collaterals:  # the PSM's own ilk is not a collateral type here
                d.drip(ilk, sender=OPERATOR)

    def _heal(self) -> None:
        for d in self.w.dollars.values():
            vow = d.vow
            amount = min(vow.dai_rad, vow.free_debt_rad)
            if amount > 0:
                self._try(d.symbol, vow.heal, amount, sender=OPERATOR)

    # -- agents -------------------------------------------------------------------------------
    def _coll_price(self, b: VaultBook, k: int) -> float:
        """Market price of one unit of the book's collateral token."""
        er = b.er
        if b.token in self.w.staking:
            er = self.w.staking[b.token].exchange_rate_wad() / WAD
        return float(self.prices[k, b.asset]) * er

    def _borrowers(self, b: VaultBook, k: int) -> None:
        bw, vat = self.sc.agents.borrowers, b.dollar.vat
        p = self._coll_price(b, k)
        n = len(b.ids)
        attend = b.active & (self.rng.random(n) < self.p_act)
        choice = self.rng.random(n)
        rate = vat.ilks[b.ilk].rate_ray
        budget = self.budget[b.ilk]
        for i in map(int, np.flatnonzero(attend)):
            v = vat.vaults[b.ids[i]]
            debt = v.art_wad * rate / (WAD * RAY)
            if debt <= 0 or not v.is_open:
                continue
            ratio = v.ink_wad / WAD * p / debt
            if ratio >= b.target[i] - float(bw.band):
                continue
            if choice[i] < float(bw.p_topup):
                usd = min(max(debt * b.target[i] - v.ink_wad / WAD * p, 0.0), budget[i])
                if usd > 1.0 and self._top_up(b, i, usd / p):
                    budget[i] -= usd
            elif choice[i] < float(bw.p_topup) + float(bw.p_repay):
                usd = min(max(debt - v.ink_wad / WAD * p / b.target[i], 0.0), budget[i])
                if usd > 1.0:
                    budget[i] -= self._repay(b, i, usd)
        a = b.asset
        window_max = float(self.prices[max(0, k - self.panic_steps) : k + 1, a].max())
        if float(self.prices[k, a]) < (1.0 - float(bw.panic_drop)) * window_max:
            panic = b.active & (self.rng.random(n) < self.p_panic)
            for i in map(int, np.flatnonzero(panic)):
                v = vat.vaults[b.ids[i]]
                debt = ceil_div(v.art_wad * rate, RAY) / WAD
                if v.is_open and budget[i] >= debt * 1.02:
                    spent = self._repay(b, i, debt * 1.02, close=True)
                    budget[i] -= spent

    def _top_up(self, b: VaultBook, i: int, units: float) -> bool:
        """Buy ``units`` of collateral on the external market and deposit them."""
        w, owner, ledger = self.w, b.owners[i], self.w.chain.ledger
        amount = to_wad(units)
        if amount <= 0:
            return False
        if b.token in w.staking:
            pool = w.staking[b.token]
            ledger.mint(pool.underlying, owner, amount * pool.exchange_rate_wad() // WAD + 1)
            shares = self._try(
                b.dollar.symbol, pool.stake, ledger.balance_of(pool.underlying, owner), sender=owner
            )
            amount = shares or 0
        else:
            ledger.mint(
                b.token, owner, amount
            )  # bought from the market; the market's stock is not modelled
        if w.stable:
            ledger.transfer(
                w.stable,
                owner,
                MARKET,
                min(
                    ledger.balance_of(w.stable, owner),
                    self._stable_units(units * self._coll_price(b, self.k)),
                ),
            )
        return (
            amount > 0
            and self._try(b.dollar.symbol, b.dollar.deposit, b.ids[i], amount, sender=owner)
            is not None
        )

    def _repay(self, b: VaultBook, i: int, usd: float, *, close: bool = False) -> float:
        """Buy AI dollars for ``usd`` and repay (or close); returns the USD spent."""
        d, owner = b.dollar, b.owners[i]
        got = self._buy_dollars(d.symbol, owner, usd)
        if got <= 0:
            return 0.0
        if close:
            res = self._try(d.symbol, d.close, b.ids[i], sender=owner)
            if res is not None:
                b.active[i] = False
        else:
            self._try(d.symbol, d.repay, b.ids[i], got, sender=owner)
        return usd

    def _otc_buy(self, sym: str, who: str, usd: float) -> int:
        """``who`` buys AI dollars from their holders at par, paying stablecoin [O]; returns wad."""
        w, ledger = self.w, self.w.chain.ledger
        if not w.stable:
            return 0
        to18 = 10 ** (18 - w.stable_decimals)
        units = min(
            self._stable_units(usd),
            ledger.balance_of(w.stable, who),
            ledger.balance_of(sym, HOLDERS) // to18,
        )
        if units <= 0:
            return 0
        ledger.transfer(w.stable, who, HOLDERS, units)
        w.chain.transfer(sym, who, units * to18, sender=HOLDERS)
        return int(units * to18)

    def _psm_room(self, sym: str) -> int:
        """AI dollars [wad] the PSM can still mint today (flow cap, its ceiling, the instance's)."""
        d = self.w.dollars[sym]
        psm = d.psm
        if psm is None or not psm.state.live:
            return 0
        st = psm.state
        today = 0 if st.day != self.w.chain.now // 86_400 else st.net_in_wad
        ilk = d.vat.ilks[psm.ilk]
        room_ilk = (ilk.line_rad - ilk.art_total_wad * ilk.rate_ray) // RAY
        room_all = (d.vat.state.line_rad - d.vat.debt_rad) // RAY
        return max(0, min(st.flow_cap_wad - today, room_ilk, room_all))

    def _payable(self, sym: str, who: str) -> int:
        """AI dollars [wad] ``who`` holds plus what its cash buys now (PSM room, then the pool)."""
        w, ledger = self.w, self.w.chain.ledger
        have = ledger.balance_of(sym, who) + ledger.balance_of(w.dollars[sym].vat.dai, who) // RAY
        if not w.stable:
            return have
        cash = ledger.balance_of(w.stable, who)
        via_psm, cash_left = self._psm_quote(sym, cash)
        pool = w.peg_pool.get(sym)
        via_pool = 0
        if pool is not None and cash_left > 0:
            via_pool = self._pool_buy_quote(sym, pool, cash_left)
        return have + via_psm + via_pool

    def _pool_buy_quote(self, sym: str, pool: Any, cash: int) -> int:
        """AI dollars [wad] ``cash`` buys on the pool, or 0 if the average price tops MAX_BUY_PRICE."""
        to18 = 10 ** (18 - self.w.stable_decimals)
        try:
            out = pool.quote_exact_in(self.w.stable, cash, sym)
        except PeglabError:
            return 0
        return out if out > 0 and cash * to18 <= MAX_BUY_PRICE * out else 0

    def _psm_quote(self, sym: str, cash: int) -> tuple[int, int]:
        """(AI dollars the PSM pays for up to ``cash`` stablecoin units within its room, cash left)."""
        d, w = self.w.dollars[sym], self.w
        if d.psm is None or d.psm.state.tin_wad > WAD:
            return 0, cash
        to18 = 10 ** (18 - w.stable_decimals)
        room = self._psm_room(sym)
        gem = min(cash, room // to18)
        out = gem * to18 - gem * to18 * d.psm.state.tin_wad // WAD
        return out, cash - gem

    def _buy_dollars(self, sym: str, who: str, usd: float) -> int:
        """Spend up to ``usd`` of stablecoin on AI dollars (cheaper of PSM and pool); returns wad."""
        w, ledger = self.w, self.w.chain.ledger
        if not w.stable or usd <= 0:
            return 0
        dx = min(self._stable_units(usd), ledger.balance_of(w.stable, who))
        if dx <= 0:
            return 0
        d = w.dollars[sym]
        pool = w.peg_pool.get(sym)
        before = ledger.balance_of(sym, who)
        via_psm, left = self._psm_quote(sym, dx)
        via_pool = self._pool_buy_quote(sym, pool, dx) if pool is not None else 0
        if left == 0 and via_psm >= via_pool and via_psm > 0:
            self._try(sym, d.sell_gem, dx, sender=who)
        elif pool is not None and via_pool > 0:
            self._try(sym, pool.swap_exact_in, w.stable, dx, 0, sender=who)
        return ledger.balance_of(sym, who) - before

    def _buy_exact(self, sym: str, who: str, need: int) -> None:
        """Acquire at least ``need`` AI dollars [wad] more: PSM within its room, then the pool."""
        w, ledger, d = self.w, self.w.chain.ledger, self.w.dollars[sym]
        if not w.stable or need <= 0:
            return
        target = ledger.balance_of(sym, who) + need
        to18 = 10 ** (18 - w.stable_decimals)
        if d.psm is not None and d.psm.state.tin_wad < WAD:
            gem = ceil_div(need * WAD, (WAD - d.psm.state.tin_wad) * to18) + 1
            gem = min(gem, self._psm_room(sym) // to18, ledger.balance_of(w.stable, who))
            if gem > 0:
                self._try(sym, d.sell_gem, gem, sender=who)
        short = target - ledger.balance_of(sym, who)
        pool = w.peg_pool.get(sym)
        if short <= 0 or pool is None:
            return
        cash = ledger.balance_of(w.stable, who)
        lo, hi = 0, cash
        try:
            if pool.quote_exact_in(w.stable, cash, sym) < short:
                return
            while hi - lo > max(1, hi // 10**7):  # smallest input that buys ``short`` (bisection)
                mid = (lo + hi) // 2
                if mid and pool.quote_exact_in(w.stable, mid, sym) >= short:
                    hi = mid
                else:
                    lo = mid
        except PeglabError:
            return
        if hi * to18 > MAX_BUY_PRICE * short:
            return  # too expensive: the keeper waits for the auction price or for supply
        self._try(sym, pool.swap_exact_in, w.stable, hi, short, sender=who)

    def _keepers(self, b: VaultBook, k: int) -> None:
        kp, d, sym = self.sc.agents.keepers, b.dollar, b.dollar.symbol
        st = self.stats[sym]
        n_k = len(b.latencies)
        if n_k == 0:
            return
        dropped = (self.gas[k] > float(kp.dropout_gas)) & (
            self.rng.random(n_k) < float(kp.dropout_prob)
        )
        share = float((~dropped).sum()) / n_k
        min_lat = float(b.latencies.min()) * self.lat_factor[k]
        released = b.release.pop(k, 0.0)
        if released:
            self.capital_free[b.ilk] += released
            self._otc_buy(sym, b.keeper, released)  # sale proceeds back into AI dollars
        avail = self.capital_free[b.ilk] * share * self.cap_factor[k]
        vat = d.vat
        ilk = vat.ilks[b.ilk]
        p = self._coll_price(b, k)
        # barks: every vault unsafe for at least the keepers' latency
        if ilk.spot_ray > 0 and share > 0:
            rate, spot = ilk.rate_ray, ilk.spot_ray
            for i in np.flatnonzero(b.active):
                vid = b.ids[i]
                v = vat.vaults[vid]
                if v.art_wad * rate <= v.ink_wad * spot:
                    b.unsafe_since.pop(vid, None)
                    continue
                since = b.unsafe_since.setdefault(vid, k)
                if k - since < min_lat:
                    continue
                art0, ink0 = v.art_wad, v.ink_wad
                aid = self._try(sym, d.bark, vid, b.keeper, sender=b.keeper)
                if aid is None:
                    break  # liquidation limit reached (or price gone): try next step
                due = (art0 - v.art_wad) * rate / (WAD * RAY)
                lot = (ink0 - v.ink_wad) / WAD
                st["barks"] += 1
                st["liquidated"] += lot * p
                self.liq_step[self.sym.index(sym), k] += lot * p
                self.open[(b.ilk, aid)] = {"kick": k, "due": due, "given": 0.0}
                if v.art_wad == 0:
                    b.active[i] = False
                    b.unsafe_since.pop(vid, None)
        if b.ilk in d.flippers:
            self._english(b, k, share, avail)
            return
        # restarts now; takes at the second the curve crosses each keeper's bid (this step)
        clip = d.clippers[b.ilk]
        self._ctx[b.ilk] = (share, k)
        pay = self._payable(sym, b.keeper) / WAD if clip.sales else 0.0
        self._pay[b.ilk] = pay
        if pay < 1.0:
            avail = 0.0  # no AI dollars to bid with: only restarts
        for aid in clip.active():
            s = clip.status(aid)
            if s.needs_redo:
                if share > 0:
                    self._try(sym, d.redo, b.ilk, aid, b.keeper, sender=b.keeper)
                continue
            if avail <= 0:
                continue
            when = self._crossing(b, clip, aid, k)
            if when is not None:
                self._pending.append((when, b.ilk, aid))

    def _english(self, b: VaultBook, k: int, share: float, avail: float) -> None:
        """Legacy English auctions (flip.py): deal, tick, keepers bid, an opportunist bids ~0.

        A funded keeper bids what the lot fetches on the external market less margin and gas
        (tend up to the tab, then dent the lot down); with no keeper bid, an opportunistic bot
        places the minimum bid (1 wei of internal AI dollar, Black Thursday's "zero bid") and wins
        when the bid duration passes unchallenged.
        """
        d, sym = b.dollar, b.dollar.symbol
        flip = d.flippers[b.ilk]
        st = self.stats[sym]
        p = self._coll_price(b, k)
        pay = self._payable(sym, b.keeper) / WAD if flip.bids and avail > 0 else 0.0
        for aid in flip.active():
            fs = flip.status(aid)
            info = self.open.get((b.ilk, aid))
            if fs.can_deal:
                lot_wad, bid_rad = fs.lot_wad, fs.bid_rad
                if self._try(sym, d.deal, b.ilk, aid, sender=OPERATOR) is None:
                    continue
                winner = fs.guy
                value = lot_wad / WAD * p
                if winner == b.keeper and lot_wad:  # sell the lot; proceeds recycle later
                    units = lot_wad / WAD
                    proceeds = units * _bid(
                        self._sold.get(b.ilk, 0.0) + units,
                        p,
                        self._depth(b, k),
                        self.eta,
                        self.delta,
                    )
                    self._sold[b.ilk] = self._sold.get(b.ilk, 0.0) + units
                    ledger = self.w.chain.ledger
                    ledger.transfer(b.token, winner, MARKET, lot_wad)
                    if self.w.stable:
                        ledger.transfer(self.w.stable, MARKET, winner, self._stable_units(proceeds))
                    due = k + self.recycle_steps
                    b.release[due] = b.release.get(due, 0.0) + proceeds
                    st["keeper"] += proceeds - bid_rad / (WAD * RAY)
                if bid_rad * 1000 < fs.tab_rad:
                    st["zero"] += 1
                st["proceeds"] += bid_rad / (WAD * RAY)
                st["take_value"] += value
                if info is not None:
                    info["given"] += value
                continue
            if fs.needs_tick:
                self._try(sym, d.tick, b.ilk, aid, sender=OPERATOR)
                continue
            if not fs.biddable:
                continue
            lot = fs.lot_wad / WAD
            unit = self._threshold(b, lot, k) if share > 0 and pay > 1.0 else 0.0
            worth = to_wad(max(unit, 0.0) * lot) * RAY  # rad the keeper would pay for the lot
            if fs.phase == "tend" and worth >= fs.min_bid_rad and fs.guy != b.keeper:
                bid = min(fs.tab_rad, worth, to_wad(pay) * RAY)
                if (
                    bid >= fs.min_bid_rad
                    and self._hold(sym, b.keeper, bid)
                    and (
                        self._try(sym, d.tend, b.ilk, aid, fs.lot_wad, bid, sender=b.keeper)
                        is not None
                    )
                ):
                    pay -= bid / (WAD * RAY)
                    self.capital_free[b.ilk] -= bid / (WAD * RAY)
                    continue
            # dent toward the lot the keeper values (any bidder may dent, its own bid included:
            # the single aggregate keeper stands in for competing keepers) [O]
            if fs.phase == "dent" and unit > 0:
                need = to_wad(
                    fs.tab_rad / (WAD * RAY) / unit
                )  # lot that covers the tab at the keeper's price
                own = fs.guy == b.keeper  # denting one's own bid moves no AI dollars
                affordable = 0 < need <= fs.max_lot_wad and (own or pay * WAD * RAY >= fs.tab_rad)
                if (
                    affordable
                    and (own or self._hold(sym, b.keeper, fs.tab_rad))
                    and (
                        self._try(sym, d.dent, b.ilk, aid, need, fs.tab_rad, sender=b.keeper)
                        is not None
                    )
                ):
                    if not own:
                        pay -= fs.tab_rad / (WAD * RAY)
                    continue
            if fs.bid_rad == 0:
                self._try(sym, d.tend, b.ilk, aid, fs.lot_wad, fs.min_bid_rad, sender="zero-bidder")

    def _hold(self, sym: str, who: str, rad: int) -> bool:
        """Make sure ``who`` holds ``rad`` of AI dollars (tokens plus internal), buying the rest."""
        ledger = self.w.chain.ledger
        have = ledger.balance_of(sym, who) * RAY + ledger.balance_of(
            self.w.dollars[sym].vat.dai, who
        )
        if have < rad:
            self._buy_exact(sym, who, ceil_div(rad - have, RAY))
            have = ledger.balance_of(sym, who) * RAY + ledger.balance_of(
                self.w.dollars[sym].vat.dai, who
            )
        return have >= rad

    def _threshold(self, b: VaultBook, lot: float, k: int) -> float:
        """Highest auction price [USD per unit] a keeper pays for ``lot`` units now (risk.md §4)."""
        kp = self.sc.agents.keepers
        p = self._coll_price(b, k)
        depth = self._depth(b, k)
        unit = _bid(self._sold.get(b.ilk, 0.0) + lot, p, depth, self.eta, self.delta)
        gas_usd = float(kp.gas_usd) * float(self.gas[k])
        return unit * (1.0 - float(kp.margin)) - gas_usd / max(lot, 1e-18)

    def _depth(self, b: VaultBook, k: int) -> float:
        kappa = float(self.sc.liquidity.kappa)
        return b.d10_usd * math.exp(-kappa * float(self.dd[k, b.asset])) * float(self.ext_factor[k])

    def _crossing(self, b: VaultBook, clip: Any, aid: int, k: int) -> int | None:
        """First time in [now, next step) when the auction price is at most the keeper's bid."""
        sale = clip.sales[aid]
        thr = self._threshold(b, sale.lot_wad / WAD, k)
        if thr <= 0:
            return None
        thr_ray = int(thr * 1e27)
        prm = clip.params
        now = self.w.chain.now
        end = self.t_step(k) + self.dt
        grain = prm.step_s if prm.calc == "stairstep" else max(1, self.dt // 120)
        age = now - sale.tic
        if prm.calc == "stairstep" and sale.top_ray > thr_ray and prm.cut_ray < RAY:
            # jump near the crossing: steps n with top * cut^n <= thr; the exact curve decides below
            n_est = math.log(thr_ray / sale.top_ray) / math.log(prm.cut_ray / RAY)
            age = max(age, (max(int(n_est) - 1, 0)) * grain)
        while True:
            price = auction_price(prm, sale.top_ray, age)
            if age > prm.tail_s or price == 0 or price * RAY < prm.cusp_ray * sale.top_ray:
                return None  # the auction needs a restart before any keeper would bid
            if price <= thr_ray:
                return int(sale.tic + age)
            nxt = (age // grain + 1) * grain
            if sale.tic + nxt >= end:
                return None
            age = nxt

    def t_step(self, k: int) -> int:
        return self.t0 + k * self.dt

    def _take(self, ilk: str, aid: int) -> str:
        """A keeper takes auction ``aid`` now, as much as its capital allows.

        Returns ``"later"`` when the price is still above the keeper's bid (which an earlier sale
        this step may have lowered), else ``"done"``.
        """
        b = self._book[ilk]
        d, sym = b.dollar, b.dollar.symbol
        share, k = self._ctx[ilk]
        if ilk in self._short:
            return "done"
        clip = d.clippers[ilk]
        if aid not in clip.sales:
            return "done"
        s = clip.status(aid)
        avail = self.capital_free[ilk] * share * self.cap_factor[k]
        if s.needs_redo or s.price_ray == 0 or avail <= 0:
            return "done"
        lot, price = s.lot_wad / WAD, s.price_ray / RAY
        if price > self._threshold(b, lot, k):
            return "later"
        payable = self._pay.get(ilk, 0.0) * 0.995
        amount = min(s.lot_wad, to_wad(min(avail, payable) / price))
        if amount <= 0:
            return "done"
        p = self._coll_price(b, k)
        ctx = {
            "p": p,
            "depth": self._depth(b, k),
            "sold": self._sold.get(ilk, 0.0),
            "proceeds": 0.0,
            "spent": 0.0,
        }
        res = self._try(
            sym,
            d.take,
            ilk,
            aid,
            amount,
            s.price_ray,
            b.keeper,
            self._flash_sale(b, sym, ctx),
            None,
            sender=b.keeper,
        )
        if res is None:
            self._short.add(ilk)  # out of buying power for this step
            return "done"
        slice_wad, owe_rad = res
        owe = owe_rad / (WAD * RAY)
        st = self.stats[sym]
        kp = self.sc.agents.keepers
        self._sold[ilk] = self._sold.get(ilk, 0.0) + slice_wad / WAD
        self._pay[ilk] = self._pay.get(ilk, 0.0) - owe
        self.capital_free[ilk] -= owe
        due = k + self.recycle_steps
        b.release[due] = b.release.get(due, 0.0) + ctx["proceeds"]
        st["keeper"] += ctx["proceeds"] - owe - float(kp.gas_usd) * float(self.gas[k])
        st["proceeds"] += owe
        st["take_value"] += slice_wad / WAD * p
        self.open[(ilk, aid)]["given"] += slice_wad / WAD * p
        return "done"

    def _settle_closed(self, k: int) -> None:
        """Book auctions that closed this step (fully sold, or covered with the rest returned)."""
        for key in list(self.open):
            ilk, aid = key
            b = self._book[ilk]
            house = (
                b.dollar.flippers[ilk].bids
                if ilk in b.dollar.flippers
                else b.dollar.clippers[ilk].sales
            )
            if aid in house:
                continue
            info = self.open.pop(key)
            st = self.stats[b.dollar.symbol]
            st["given"] += info["given"]
            st["cleared_due"] += info["due"]
            st["clear_time"] += (k - info["kick"]) * self.dt
            st["closed"] += 1

    def _flash_sale(self, b: VaultBook, sym: str, ctx: dict[str, float]) -> Any:
        """The take callback: sell the slice on the external market, buy the AI dollars owed."""
        w, ledger = self.w, self.w.chain.ledger

        def callback(sender: str, owe_rad: int, slice_wad: int, data: Any) -> None:
            units = slice_wad / WAD
            proceeds = units * _bid(
                ctx["sold"] + units, ctx["p"], ctx["depth"], self.eta, self.delta
            )
            ledger.transfer(b.token, sender, MARKET, slice_wad)
            if w.stable:
                ledger.transfer(w.stable, MARKET, sender, self._stable_units(proceeds))
            ctx["proceeds"] = proceeds
            need = ceil_div(owe_rad, RAY) - ledger.balance_of(sym, sender)
            if need > 0:
                before = ledger.balance_of(w.stable, sender) if w.stable else 0
                self._buy_exact(sym, sender, need)
                spent = before - (ledger.balance_of(w.stable, sender) if w.stable else 0)
                ctx["spent"] = spent / 10**w.stable_decimals
                if ledger.balance_of(sym, sender) < need:
                    from ..errors import LimitExceeded

                    raise LimitExceeded(
                        "sim/keeper-short", "keeper could not buy the AI dollars it owes"
                    )

        return callback

    def _market(self, d_i: int, sym: str, k: int) -> None:
        w = self.w
        pool = w.peg_pool.get(sym)
        usd = float(self.prices[k, self.idx[w.stable]]) if w.stable else 1.0
        if pool is None:
            self.peg[d_i, k] = usd
            return
        sc = self.sc
        self._lp_shocks(pool, k)
        price = self._pool_price(pool, sym)
        ps = sc.agents.panic_sellers
        ledger = w.chain.ledger
        if ps.enabled and price < float(ps.trigger_price):
            amount = int(
                ledger.balance_of(sym, HOLDERS) * min(1.0, float(ps.sell_rate) * self.dt_h)
            )
            if amount > 0:
                self._try(sym, pool.swap_exact_in, sym, amount, 0, sender=HOLDERS)
        self._arbitrage(sym, pool)
        price = self._pool_price(pool, sym)
        self._lps(sym, pool, price, k)
        self.peg[d_i, k] = self._pool_price(pool, sym) * usd

    def _pool_price(self, pool: Any, sym: str) -> float:
        """Marginal price of the AI dollar in reference stablecoin (a small exact quote)."""
        w = self.w
        bal = pool.balances[pool.coin_index(sym)]
        probe = max(bal // 100_000, WAD)
        try:
            out = pool.quote_exact_in(sym, probe, w.stable)
        except PeglabError:
            return 0.0
        return float(out / 10**w.stable_decimals / (probe / WAD) / (1.0 - pool.fee / 1e10))

    def _arbitrage(self, sym: str, pool: Any) -> None:
        """Trade the pool toward the PSM's band [1 - tout, 1 + tin] in chunks (risk.md §4)."""
        w, d = self.w, self.w.dollars[sym]
        arb = self.sc.agents.arbitrageurs
        if not arb.enabled or d.psm is None or not w.stable:
            return
        ledger = w.chain.ledger
        tin = d.psm.state.tin_wad / WAD
        tout = d.psm.state.tout_wad / WAD
        fee = pool.fee / 1e10
        chunk_usd = max(pool.balances[pool.coin_index(sym)] / WAD / 200.0, 1.0)
        budget = float(arb.capital_usd)
        for _ in range(_ARB_CHUNKS):
            price = self._pool_price(pool, sym)
            if (
                price > (1 + tin) / (1 - fee)
                and budget > chunk_usd
                and self._psm_room(sym) > to_wad(chunk_usd)
            ):
                ledger.transfer(w.stable, MARKET, "arb", self._stable_units(chunk_usd))
                minted = self._try(sym, d.sell_gem, self._stable_units(chunk_usd), sender="arb")
                if not minted:
                    break
                self._try(
                    sym, pool.swap_exact_in, sym, ledger.balance_of(sym, "arb"), 0, sender="arb"
                )
            elif price < (1 - tout) * (1 - fee) and budget > chunk_usd and d.psm.gem_held > 0:
                ledger.transfer(w.stable, MARKET, "arb", self._stable_units(chunk_usd))
                self._try(
                    sym,
                    pool.swap_exact_in,
                    w.stable,
                    self._stable_units(chunk_usd),
                    0,
                    sender="arb",
                )
                got = ledger.balance_of(sym, "arb")
                gem = min(
                    got * 10**w.stable_decimals * WAD // ((WAD + d.psm.state.tout_wad) * WAD),
                    d.psm.gem_held,
                )
                if gem <= 0 or self._try(sym, d.buy_gem, gem, sender="arb") is None:
                    break
            else:
                break
            budget -= chunk_usd
            bal = ledger.balance_of(w.stable, "arb")
            if bal:
                ledger.transfer(w.stable, "arb", MARKET, bal)

    def _lps(self, sym: str, pool: Any, price: float, k: int) -> None:
        lps = self.sc.agents.lps
        ledger = self.w.chain.ledger
        if price < float(lps.trigger_price):
            if self.below_since[sym] < 0:
                self.below_since[sym] = k
        else:
            self.below_since[sym] = -1
        bals = pool.balances
        share = bals[pool.coin_index(sym)] / max(
            sum(
                bals[i] * (10 ** (18 - self.w.stable_decimals) if c == self.w.stable else 1)
                for i, c in enumerate(pool.coins)
            ),
            1,
        )
        stressed = (
            self.below_since[sym] >= 0
            and (k - self.below_since[sym]) * self.dt >= lps.trigger_duration
        ) or not (1 - float(lps.imbalance) <= share <= float(lps.imbalance))
        held = ledger.balance_of(pool.lp_token, LP)
        floor = int(self.w.lp_tokens0.get(pool.id, 0) * LP_FLOOR)
        if stressed:
            out = min(
                int(held * min(1.0, float(lps.withdraw_rate) * self.dt_h)), max(held - floor, 0)
            )
            if out > 0 and self._try(
                sym, pool.remove_liquidity, out, [0] * pool.n_coins, sender=LP
            ):
                self.lp_out.setdefault(pool.id, []).append(out)
            self.calm_since[sym] = k
        elif (k - self.calm_since[sym]) * self.dt >= lps.calm_return and self.lp_out.get(pool.id):
            returning = self.lp_out[pool.id].pop()  # LP tokens burned at the last withdrawal
            supply = max(pool.lp_supply(), 1)
            amounts = [
                min(ledger.balance_of(c, LP), b * returning // supply)
                for c, b in zip(pool.coins, bals)
            ]
            if min(amounts) > 0:
                self._try(sym, pool.add_liquidity, amounts, 0, sender=LP)

    def _lp_shocks(self, pool: Any, k: int) -> None:
        """Scheduled LP withdrawals and pool-depth shocks: LPs hold ``factor`` of their t0 tokens."""
        target = self.pool_factor[k]
        for sh in self.sc.shocks:
            if sh.kind == "lp-withdraw" and (not sh.pools or pool.id in sh.pools):
                dur = sh.duration or (self.sc.horizon - sh.at) or self.dt
                start, stop = self.sc.step_of(sh.at), self.sc.step_of(sh.at + dur)
                if k > start:
                    done = min(1.0, (k - start) / max(stop - start, 1))
                    target *= 1.0 - float(sh.fraction) * done
        want = int(self.w.lp_tokens0.get(pool.id, 0) * target)
        held = self.w.chain.ledger.balance_of(pool.lp_token, LP)
        if held > want and target < 1.0:
            self._try(
                pool.coins[0], pool.remove_liquidity, held - want, [0] * pool.n_coins, sender=LP
            )

    # -- metrics ------------------------------------------------------------------------------
    def _record(self, k: int) -> None:
        coll = dict.fromkeys(self.sym, 0.0)
        debt = dict.fromkeys(self.sym, 0.0)
        for b in self.w.books:
            p = self._coll_price(b, k)
            vat = b.dollar.vat
            rate = vat.ilks[b.ilk].rate_ray
            ink = art = 0
            for vid in b.ids:
                v = vat.vaults[vid]
                ink += v.ink_wad
                art += v.art_wad
            coll[b.dollar.symbol] += ink / WAD * p
            debt[b.dollar.symbol] += art * rate / (WAD * RAY)
        for d_i, sym in enumerate(self.sym):
            self.cr[d_i, k] = coll[sym] / debt[sym] if debt[sym] > 0 else np.nan

    def _result(self) -> PathResult:
        deficits, outcomes, extra = [], [], []
        for sym in self.sym:
            d = self.w.dollars[sym]
            open_cover = 0.0  # tab of open auctions their lots would not cover at the exit bid
            for b in self.w.books:
                if b.dollar is not d:
                    continue
                p, depth = self._coll_price(b, self.n), self._depth(b, self.n)
                if b.ilk in d.flippers:
                    for fb in (d.flippers[b.ilk].bids[a] for a in d.flippers[b.ilk].active()):
                        open_cover += max(fb.tab_rad - fb.bid_rad, 0) / (WAD * RAY)
                    continue
                for s in (d.clippers[b.ilk].sales[a] for a in d.clippers[b.ilk].active()):
                    lot, tab = s.lot_wad / WAD, s.tab_rad / (WAD * RAY)
                    value = (
                        lot
                        * _bid(lot, p, depth, self.eta, self.delta)
                        * (1 - float(self.sc.agents.keepers.margin))
                    )
                    open_cover += tab - min(tab, value)
            deficits.append(max(0.0, (d.vow.sin_rad - d.vow.dai_rad) / (WAD * RAY) + open_cover))
            st = self.stats[sym]
            outcomes.append(st)
            extra.append({"refused_actions": st["refused"]})
        gov = next((a.symbol for a in self.sc.assets if a.kind == "governance"), None)
        gov_price = float(self.prices[-1, self.idx[gov]]) if gov is not None else math.nan
        self.w.chain.check_conservation()
        for d in self.w.dollars.values():
            errs = d.invariant_errors()
            if errs:
                raise AssertionError(f"{d.symbol}: engine invariants broken in a run: {errs}")
        return assemble_result(
            self.sc, deficits, outcomes, self.peg, self.cr, self.liq_step, gov_price, extra
        )
