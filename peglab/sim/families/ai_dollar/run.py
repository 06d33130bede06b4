"""The AI-dollar family on one exact path: its agents in the runner's phases, and its outcome.

Per step (after the runner moved the clock and the oracles published):

* ``operate``: the operator pokes every OSM whose hop has passed, refreshes spots, drips fees;
* ``agents``: borrowers act per vault book; keepers bark, restart and take (takes in time order
  across books; a keeper whose bid an earlier sale moved retries at the new crossing); auctions
  that closed are booked;
* ``market``: AI-token treasuries sell into a falling market (``sim.agents.sellers``); panic
  sellers and holders who run (``sim.agents.holders``) on each AI dollar; the greedy arbitrageur across every pool, the
  external market and the PSMs (``sim.agents.arbitrage``); LPs on each peg pool;
* ``settle``: each buffer heals what it can;
* ``record``: collateral ratio, PSM inventory and AI dollars in pools per AI dollar.

Every amount is read from the engine's integer state and converted to float only here.
"""

from __future__ import annotations

import heapq

import numpy as np

from ....units import RAD, RAY, WAD
from ...agents import arbitrage, borrowers, dealer, holders, keepers, pools, recap, sellers
from ...world import HOLDERS, MARKET, OPERATOR, World
from .build import build_dollars, peg_pools
from .metrics import AiDollarOutcome, dollar_outcome
from .schema import AiDollar
from .state import DollarPath

__all__ = ["AiDollarRun"]


class AiDollarRun:
    """The family's :class:`~peglab.sim.family.FamilyRun` (module docstring for the phases)."""

    def __init__(self, block: list[AiDollar], world: World, rng: np.random.Generator) -> None:
        dollars, books = build_dollars(block, world, rng)
        self.s = DollarPath(block, world, dollars, books, rng)
        self.arb: arbitrage.Arbitrageur | None = None
        # per book: where its vat holds the collateral locked in vaults (``_record``), which is
        # the book's ink because a book holds every vault of its ilk (no agent opens another)
        self.locked = [(b, b.dollar.vat.gem(b.ilk), b.dollar.vat.locked) for b in books]
        for b in books:
            if sum(v.ilk == b.ilk for v in b.dollar.vat.vaults.values()) != len(b.ids):
                raise RuntimeError(f"{b.ilk}: the vat holds vaults outside the book")

    def start(self) -> None:
        """Find the peg pools; fund borrower budgets (docs/risk-spec.md §4) and keeper capital in USDC."""
        s = self.s
        w, ledger = s.w, s.w.chain.ledger
        s.peg_pool = peg_pools(w, s.dollars)
        frac = float(s.sc.agents.borrowers.budget)
        for d in s.dollars.values():  # the opportunist of English auctions needs dust to bid with
            if d.flippers and ledger.balance_of(d.symbol, HOLDERS) >= WAD:
                w.chain.transfer(d.symbol, "zero-bidder", WAD, sender=HOLDERS)
        for b in s.books:
            p = float(s.prices[0, b.asset]) * b.er
            for i, vid in enumerate(b.ids):
                v = b.dollar.vat.vaults[vid]
                usd = frac * v.ink_wad / WAD * p
                s.budget[b.ilk][i] = usd
                if w.stable:
                    ledger.transfer(w.stable, MARKET, b.owners[i], w.stable_units(usd))
            # keepers hold their capital in USDC and buy a working inventory of AI dollars from
            # holders at par (OTC); the rest they buy when they need it (PSM, pool)
            if w.stable:
                ledger.transfer(w.stable, MARKET, b.keeper, w.stable_units(b.capital_usd))
                inventory = b.capital_usd * float(s.sc.agents.keepers.inventory)
                dealer.otc_buy(s, b.dollar.symbol, b.keeper, inventory)
        s.capital_free = {b.ilk: b.capital_usd for b in s.books}
        recap.fund(s)
        holders.start(s)
        sellers.start(s)
        self.arb = arbitrage.Arbitrageur(s)
        arb = s.sc.agents.arbitrageurs
        if arb.enabled and w.stable:
            ledger.transfer(w.stable, MARKET, arbitrage.ARB, w.stable_units(float(arb.capital_usd)))

    def step(self, phase: str, k: int) -> None:
        s = self.s
        s.k = k
        if phase == "operate":
            for d in s.dollars.values():
                if not s.live(d.symbol):
                    continue
                d.poke_prices(sender=OPERATOR)
                for ilk in d.collaterals:  # the PSM's own ilk is not a collateral type here
                    d.drip(ilk, sender=OPERATOR)
        elif phase == "agents":
            for b in s.books:
                if s.live(b.dollar.symbol):
                    borrowers.act(s, b, k)
            self._keepers(k)
        elif phase == "market":
            sellers.act(s, k)
            for d_i, sym in enumerate(s.sym):
                pools.panic(s, sym, k)
                holders.act(s, d_i, sym, k)
            if self.arb is not None:
                self.arb.run(k)
            for d_i, sym in enumerate(s.sym):
                pools.settle(s, d_i, sym, k)
        elif phase == "settle":
            recap.settle(s, k)
        elif phase == "record":
            self._record(k)

    def _keepers(self, k: int) -> None:
        s = self.s
        s.pending = []
        s.sold = {}
        s.short = set()
        for b in s.books:
            if s.live(b.dollar.symbol):
                keepers.act(s, b, k)
        heapq.heapify(s.pending)
        while s.pending:  # takes in time order; a keeper whose bid moved retries later
            when, ilk, aid = heapq.heappop(s.pending)
            if when > s.w.chain.now:
                s.w.chain.warp(when)
            if keepers.take(s, ilk, aid) == "later":
                b = s.book[ilk]
                again = keepers.crossing(s, b, b.dollar.clippers[ilk], aid, k)
                if again is not None and again > s.w.chain.now:
                    heapq.heappush(s.pending, (again, ilk, aid))
        keepers.settle_closed(s, k)

    def _record(self, k: int) -> None:
        s = self.s
        coll = dict.fromkeys(s.sym, 0.0)
        debt = dict.fromkeys(s.sym, 0.0)
        ledger = s.w.chain.ledger
        for b, gem, locked in self.locked:
            p = s.coll_price(b, k)
            ilk = b.dollar.vat.ilks[b.ilk]
            # the book holds every vault of its ilk: the vat's invariants give the sums of their
            # ink (the collateral it has locked) and art (``Art``)
            ink, art = ledger.balance_of(gem, locked), ilk.art_total_wad
            coll[b.dollar.symbol] += ink / WAD * p
            debt[b.dollar.symbol] += art * ilk.rate_ray / (WAD * RAY)
        for d_i, sym in enumerate(s.sym):
            s.cr[d_i, k] = coll[sym] / debt[sym] if debt[sym] > 0 else np.nan
            psm = s.dollars[sym].psm
            if psm is not None:
                s.psm_usd[d_i, k] = psm.gem_held / 10**s.w.stable_decimals
            s.pooled[d_i, k] = (
                sum(ledger.balance_of(sym, pool.account) for pool in s.w.pools.values()) / WAD
            )

    def outcome(self) -> AiDollarOutcome:
        """The engine's waterfall per AI dollar; open auctions valued at the exit bid less margin."""
        s = self.s
        for d in s.dollars.values():
            errs = d.invariant_errors()
            if errs:
                raise AssertionError(f"{d.symbol}: engine invariants broken in a run: {errs}")
        out = []
        for d_i, sym in enumerate(s.sym):
            d, r, st = s.dollars[sym], s.recap[sym], s.stats[sym]
            if r.shut_k >= 0:
                final = r.deficit_at_shut  # after cage the buffer holds every vault's debt
            else:
                final = recap.deficit_usd(s, d, s.n)
            committed = sum(
                b.lot_wad for b in d.vow.flops.values() if b.guy == recap.BIDDER
            )  # won lots not yet dealt
            backstop = r.backstop_wad / WAD
            raised = r.raised_rad / RAD
            out.append(
                dollar_outcome(
                    sym,
                    (final, backstop, raised, (r.minted_wad + committed) / WAD),
                    r.shut_k,
                    s.dt,
                    r.redemption,
                    st,
                    {
                        "peg": s.peg[d_i],
                        "cr": s.cr[d_i],
                        "liquidated": s.liq_step[d_i],
                        "run": s.run_usd[d_i],
                        "psm": s.psm_usd[d_i],
                        "pooled": s.pooled[d_i],
                    },
                    refused=st["refused"],
                )
            )
        return AiDollarOutcome(
            dollars=tuple(out),
            treasury_sold_usd=float(s.treasury_sold.sum()),
            gov_sold_usd=s.gov_sold_usd,
        )
