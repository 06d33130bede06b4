"""One exact path of the yield-vault family: an alUSD-style vault, an AI dollar lending against its
shares, loopers, keepers, an arbitrageur, and the lending markets underneath (docs/yield-vaults.md §8).

World (built at t0 on a given chain, in the vault's asset, e.g. USDC):

* ``n_markets`` lending markets (``make_market``: Aave- and Compound-style alternately, outside
  suppliers and rate-responsive borrowers) and ``n_term`` term deposits (the locked sleeve, as
  ``TermSleeve``); exogenous daily paths of borrow demand and outside supply from the rng;
* the epoch vault (``EpochVault``), its safe and curator (``Curator``, the scoped agent key), and
  an allocator (interstable rules or the ARMA optimiser) whose targets the agent clamps to the
  curator's guards; outside holders deposit ``capital_usd`` at t0;
* the AI dollar (``Launchpad``): one collateral type ``<share>-A`` priced by the vault's NAV per
  share (``VaultSharePrice``) through an OSM with a one-day hop, a PSM on the asset, and a
  StableSwap pool against the asset (the scenario's pool, or one deployed here when standalone);
  passive borrowers mint ``base_debt_usd`` at a 200% ratio and hand it to the holders (the pool
  is seeded from it);
* ``loopers`` (``sim.agents.looping.Looper``), a ``ShareKeeper`` and a ``PegArbitrageur``.

Each day: ``operate`` — markets move (a *rate spike* pins one market's utilisation at 100%), the
*exploit* shock takes its share of NAV, the agent frees cash for pending redemptions, values the
safe and settles, then rebalances; the AI dollar drips fees and pokes its oracle (a *fee spike*
sets the stability fee while the rate spike lasts); ``agents`` — holders deposit and request
redemptions (a *run* requests a fraction of their shares on one day), loopers act, the keeper
barks, takes, redeems and refills; ``market`` — the arbitrageur; ``record`` — NAV per share,
peg, leverage.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from ....errors import PeglabError
from ....kernel import Chain
from ....math import apr_to_duty
from ....protocols.amm.stableswap import StableSwapPool
from ....protocols.cdp import (
    AIDollar,
    AIDollarSpec,
    CollateralParams,
    CollateralSpec,
    Launchpad,
    PsmSpec,
)
from ....protocols.lending import LendingMarket
from ....protocols.lending.term import TermDeposit
from ....protocols.yieldvault import (
    ArmaOptimizer,
    Curator,
    EpochVault,
    InterstableRules,
    Policy,
    TermSleeve,
    VaultSharePrice,
)
from ....units import BPS, DAY, RAD, RAY, WAD, wad
from ...agents.looping import Looper, LoopParams
from ...yield_backtest import RateBorrower, make_market
from .agents import PegArbitrageur, ShareKeeper, pool_price

__all__ = ["YieldParams", "YieldPath", "family_optimizer", "standalone"]

FUND = "market"  # the world's external market: pays for holders' deposits and agents' capital


@dataclass(frozen=True)
class YieldParams:
    """One yield-vault system (defaults: docs/yield-vaults.md §8.2). Amounts in whole USD."""

    share: str = "alUSD"
    dollar: str = "yUSD"
    capital_usd: int = 50_000_000
    n_markets: int = 4
    market_size_usd: tuple[int, int] = (200_000_000, 600_000_000)
    util0: tuple[float, float] = (0.72, 0.86)
    borrow_vol: float = 0.03
    supply_vol: float = 0.02
    elasticity: float = 1.0
    n_term: int = 1
    term_rate: float = 0.09
    term_lock_days: int = 30
    allocator: Literal["rules", "optimizer"] = "rules"
    deposit_frac: float = 0.002
    redeem_frac: float = 0.002
    management_bps: int = 100
    performance_bps: int = 1000
    nav_max_age_days: int = 3
    mat: str = "1.08"
    chop: str = "1.05"
    fee_apr: str = "0.02"
    buf: str = "1.02"
    cut: str = "0.9999"
    tail_s: int = 2 * DAY
    cusp: str = "0.7"
    line_usd: int = 1_000_000_000
    base_debt_usd: int = 20_000_000
    psm_line_usd: int = 100_000_000
    psm_inventory_usd: int = 40_000_000
    psm_fee_bps: int = 10
    arb_budget_usd: int = 5_000_000
    loopers: int = 10
    looper_capital_usd: int = 1_000_000
    loop: LoopParams = field(default_factory=LoopParams)
    keeper_inventory_usd: int = 10_000_000
    keeper_margin: float = 0.02
    keeper_wait_cost_apr: float = 0.5
    spike_market: int | None = None
    spike_day: int | None = None
    spike_days: int = 14
    spike_fee_apr: str | None = None
    run_day: int | None = None
    run_frac: float = 0.3
    loss_day: int | None = None
    loss_frac: float = 0.0


def family_optimizer(unit: int) -> ArmaOptimizer:
    """The family's ARMA optimiser (``allocator = "optimizer"``): a 10% idle buffer and a gain
    floor of 5 whole units of the asset, the other parameters at their defaults."""
    return ArmaOptimizer(idle_buffer_bps=1000, min_gain_abs=5 * unit)


class YieldPath:
    """The family's world on one path (module docstring). ``step_day(k)`` runs day ``k``."""

    def __init__(
        self, p: YieldParams, chain: Chain, asset: str, days: int, rng: np.random.Generator
    ) -> None:
        self.p, self.chain, self.asset, self.days = p, chain, asset, days
        ledger = chain.ledger
        self.dec = ledger.token(asset).decimals
        self.unit = 10**self.dec
        n = p.n_markets
        lo, hi = p.market_size_usd
        supply0 = rng.uniform(lo, hi, n)
        util0 = rng.uniform(p.util0[0], p.util0[1], n)
        self.borrow_mult = np.exp(np.cumsum(rng.normal(0, p.borrow_vol, (days + 1, n)), axis=0))
        self.supply_mult = np.exp(np.cumsum(rng.normal(0, p.supply_vol, (days + 1, n)), axis=0))
        self.deposits = rng.exponential(p.deposit_frac, days + 1)
        self.redeems = rng.exponential(p.redeem_frac, days + 1)
        self.markets: list[LendingMarket] = []
        self.borrowers: list[RateBorrower] = []
        self.outside: list[int] = []
        for k in range(n):
            m, b = make_market(
                chain, k, asset, int(supply0[k]) * self.unit, float(util0[k]), p.elasticity
            )
            self.markets.append(m)
            self.borrowers.append(b)
            self.outside.append(int(supply0[k]) * self.unit)
        sleeves: list[TermSleeve] = []
        for j in range(p.n_term):
            sponsor = f"term-sponsor{j}"
            rate = int(p.term_rate * BPS) * RAY // BPS + j * RAY // 200
            td = TermDeposit(chain, f"term{j}", asset, rate, p.term_lock_days * DAY, sponsor)
            ledger.transfer(asset, FUND, sponsor, p.capital_usd * self.unit)  # interest reserve
            sleeves.append(TermSleeve(td, 10 * p.capital_usd * self.unit))
        self.safe, self.agent = f"safe:{p.share}", f"agent:{p.share}"
        self.vault = EpochVault(
            chain, asset, p.share, safe=self.safe, valuation_manager=self.agent,
            management_bps=p.management_bps, performance_bps=p.performance_bps,
            max_valuation_age_s=DAY,
        )  # fmt: skip
        self.curator = Curator(chain, asset, self.safe, [*self.markets, *sleeves], agent=self.agent)
        self.policy: Policy = (
            InterstableRules() if p.allocator == "rules" else family_optimizer(self.unit)
        )
        self.holders = f"holders:{p.share}"
        ledger.transfer(asset, FUND, self.holders, p.capital_usd * self.unit)
        self.vault.request_deposit(
            p.capital_usd * self.unit, self.holders, self.holders, sender=self.holders
        )
        self._settle()
        self._claim_holders()
        self.feed = VaultSharePrice(
            self.vault, f"{p.share}-nav", max_age_s=p.nav_max_age_days * DAY, clock=chain
        )
        self.ilk = f"{p.share}-A"
        params = CollateralParams.from_units(
            mat=p.mat, chop=p.chop, apr=p.fee_apr, buf=p.buf, cut=p.cut, cusp=p.cusp,
            line=p.line_usd, hole=p.line_usd // 2, calc="exponential", hop=DAY,
            max_age=3 * DAY, tail=p.tail_s,
        )  # fmt: skip
        self.pad = Launchpad(chain)
        self.dollar: AIDollar = self.pad.create_ai_usd(
            AIDollarSpec(
                p.dollar, f"yield:{p.share}", p.line_usd,
                (CollateralSpec(self.ilk, p.share, params, self.feed),), admin=f"{p.dollar}-dao",
                psm=PsmSpec(asset, p.psm_line_usd, wad(str(p.psm_fee_bps / BPS)),
                            wad(str(p.psm_fee_bps / BPS)), flow_cap=p.psm_line_usd),
            ),
            sender=chain.root,
        )  # fmt: skip
        self.dollar.poke_prices(sender="operator")
        self._base_borrowers()
        self.pool: StableSwapPool | None = None
        self.loopers: list[Looper] = []
        self.keeper: ShareKeeper | None = None
        self.arb: PegArbitrageur | None = None
        # records
        self.last_rebalance = chain.now
        self.apr_hist: dict[str, tuple[int, ...]] = {}
        self.tvl_prev: dict[str, int] = {}
        self.requests: list[tuple[int, int, int]] = []  # (day, epoch id, shares), everyone's
        self.noted: dict[tuple[int, str], int] = {}  # (epoch id, controller) -> shares recorded
        self.settled_at: dict[int, int] = {}
        self.spiked: int | None = None
        self.pps = [self.vault.price_per_share() / self.unit]
        self.peg: list[float] = [1.0]
        self.leverage: list[float] = [1.0]
        self.refused = 0
        self.exploited = 0
        self.t0 = chain.now

    # -- t0 ----------------------------------------------------------------------------------------
    def _base_borrowers(self) -> None:
        """Passive borrowers: shares at a 200% ratio, their AI dollars to the holders' account.
        They take at most half of the holders' shares, so the debt is capped at a quarter of the
        vault's capital."""
        p, ledger, a = self.p, self.chain.ledger, "passive-borrower"
        if p.base_debt_usd <= 0:
            return
        shares = min(2 * p.base_debt_usd * self.unit, self.vault.balance_of(self.holders) // 2)
        ledger.transfer(self.vault.share, self.holders, a, shares)
        debt = min(
            p.base_debt_usd * WAD, self.vault.convert_to_assets(shares) * WAD // (2 * self.unit)
        )
        vid = self.dollar.open_vault(self.ilk, sender=a)
        self.dollar.deposit(vid, shares, sender=a)
        self.dollar.mint(vid, debt, sender=a)
        self.chain.transfer(p.dollar, "holders", debt, sender=a)

    def attach_pool(self, pool: StableSwapPool) -> None:
        """The AI dollar's pool against the asset (seeded); then fund the agents."""
        p, ledger = self.p, self.chain.ledger
        self.pool = pool
        d = self.dollar
        ledger.transfer(self.asset, FUND, "psm-seed", p.psm_inventory_usd * self.unit)
        d.sell_gem(p.psm_inventory_usd * self.unit, sender="psm-seed")
        for i in range(p.loopers):
            acct = f"looper{i}:{p.share}"
            ledger.transfer(self.asset, FUND, acct, p.looper_capital_usd * self.unit)
            lp = Looper(acct, self.vault, d, self.ilk, pool, p.loop)
            self.vault.request_deposit(p.looper_capital_usd * self.unit, acct, acct, sender=acct)
            self.loopers.append(lp)
        keeper = f"keeper:{p.share}"
        ledger.transfer(self.asset, FUND, keeper, p.keeper_inventory_usd * self.unit)
        d.sell_gem(p.keeper_inventory_usd * self.unit, sender=keeper)
        self.keeper = ShareKeeper(
            keeper, d, self.ilk, self.vault, pool, p.keeper_margin, p.keeper_wait_cost_apr,
            inventory_wad=p.keeper_inventory_usd * WAD // 2,
        )  # fmt: skip
        self.arb = PegArbitrageur(
            f"arb:{p.share}", d, pool, self.asset, self.dec, float(p.arb_budget_usd), FUND
        )

    # -- the vault's day ------------------------------------------------------------------------
    def _settle(self) -> None:
        v, c = self.vault, self.curator
        need = v.convert_to_assets(v.totals.pending_redeem_shares)
        short = need - c.idle()
        if short > 0:
            targets = {}
            for m in sorted(c.markets.values(), key=lambda m: (-m.max_withdraw(self.safe), m.id)):
                take = min(short, m.max_withdraw(self.safe))
                if take > 0:
                    targets[m.id] = m.supply_balance(self.safe) - take
                    short -= take
            if targets:
                self._allocate(targets)
        nav = c.nav()
        v.propose_valuation(nav, sender=self.agent)
        v.settle_deposits(nav, sender=self.safe)

    def _allocate(self, targets: dict[str, int]) -> None:
        try:
            self.curator.allocate(targets, sender=self.agent)
            self.last_rebalance = self.chain.now
        except PeglabError:
            self.refused += 1

    def _rebalance(self) -> None:
        c = self.curator
        state = c.state(self.last_rebalance, 0, self.apr_hist, self.tvl_prev)
        prop = self.policy.propose(state)
        if not prop.rebalance:
            return
        nav = c.nav()
        targets = {}
        for mid, t in prop.targets.items():
            m = c.markets[mid]
            pos = m.supply_balance(self.safe)
            if t > pos:  # clamp supplies to the curator's guards (utilisation, market share)
                if m.utilisation_wad() > c.max_utilisation_wad:
                    t = pos
                supply = m.total_supplied() - pos
                share = c.max_market_share_bps
                t = min(t, share * supply // (BPS - share))
            targets[mid] = max(t, pos - m.max_withdraw(self.safe))
        buffer = c.idle_buffer_bps * nav // BPS
        spend = sum(max(0, t - c.markets[k].supply_balance(self.safe)) for k, t in targets.items())
        free = c.idle() + sum(
            max(0, c.markets[k].supply_balance(self.safe) - t) for k, t in targets.items()
        )
        if spend > free - buffer:  # scale supplies down to keep the idle buffer
            room = max(0, free - buffer)
            for k, t in targets.items():
                pos = c.markets[k].supply_balance(self.safe)
                if t > pos:
                    targets[k] = pos + (t - pos) * room // spend
        for k, t in targets.items():  # dust: a supply under one whole asset unit is dropped
            pos = c.markets[k].supply_balance(self.safe)
            if 0 < t - pos < self.unit:
                targets[k] = pos
        self._allocate(targets)

    def _claim_holders(self) -> None:
        v, h = self.vault, self.holders
        try:
            if v.max_mint(h):
                v.mint(v.max_mint(h), h, h, sender=h)
            if v.claimable_redeem_shares(h):
                v.redeem(v.claimable_redeem_shares(h), h, h, sender=h)
        except PeglabError:
            self.refused += 1

    # -- one day -------------------------------------------------------------------------------
    def operate(self, k: int) -> None:
        p = self.p
        self._markets(k)
        if p.loss_day is not None and k == p.loss_day and p.loss_frac > 0:
            self._exploit()
        self._settle()
        for rid in range(2, self.vault.epoch.redeem_epoch, 2):
            if rid not in self.settled_at and rid in self.vault.epoch_price:
                self.settled_at[rid] = k
        self._rebalance()
        for m in self.markets:
            self.apr_hist[m.id] = (*self.apr_hist.get(m.id, ())[-6:], m.rates_ray()[0])
            self.tvl_prev[m.id] = m.total_supplied()
        d = self.dollar
        if p.spike_fee_apr is not None and p.spike_day is not None:
            fee = p.spike_fee_apr if p.spike_day <= k < p.spike_day + p.spike_days else p.fee_apr
            duty = apr_to_duty(fee)
            if d.ilk(self.ilk).duty_ray != duty:
                d.drip(self.ilk, sender="operator")
                d.file("duty", duty, ilk=self.ilk, sender=f"{p.dollar}-dao")
        d.poke_prices(sender="operator")
        d.drip(self.ilk, sender="operator")

    def _markets(self, k: int) -> None:
        p = self.p
        if p.spike_day is not None and k == p.spike_day and self.spiked is None:
            if p.spike_market is not None:
                self.spiked = p.spike_market
            else:  # the vault's largest lending position
                self.spiked = max(
                    range(len(self.markets)),
                    key=lambda i: (self.markets[i].supply_balance(self.safe), -i),
                )
        for i, m in enumerate(self.markets):
            lp = f"lp{i}"
            level = int(self.outside[i] * self.supply_mult[k, i])
            have = m.supply_balance(lp)
            try:
                if level > have:
                    m.supply(level - have, sender=lp)
                elif have > level and m.max_withdraw(lp) > 0:
                    m.withdraw(min(have - level, m.max_withdraw(lp)), sender=lp)
            except PeglabError:
                pass
            pin = (
                self.spiked == i
                and p.spike_day is not None
                and p.spike_day <= k < p.spike_day + p.spike_days
            )
            self.borrowers[i].act(float(self.borrow_mult[k, i]), pin)

    def _exploit(self) -> None:
        """The exploit shock: ``loss_frac`` of NAV leaves the safe, idle cash first, then
        whatever the markets let it withdraw."""
        ledger, safe = self.chain.ledger, self.safe
        left = int(self.curator.nav() * self.p.loss_frac)
        take = min(left, ledger.balance_of(self.asset, safe))
        if take:
            ledger.transfer(self.asset, safe, "exploiter", take)
            left -= take
        for m in self.markets:
            if left <= 0:
                break
            out = min(left, m.max_withdraw(safe))
            if out > 0:
                m.withdraw(out, sender=safe, to="exploiter")
                left -= out
        self.exploited = ledger.balance_of(self.asset, "exploiter")

    def agents(self, k: int) -> None:
        p, v, h = self.p, self.vault, self.holders
        ledger = self.chain.ledger
        self._claim_holders()
        nav = v.total_assets()
        dep = int(float(self.deposits[k]) * nav)
        if dep > 0 and not self.running(k):
            ledger.transfer(self.asset, FUND, h, dep)
            self._try(v.request_deposit, dep, h, h, sender=h)
        held = v.balance_of(h)
        req = int(held * float(self.redeems[k]))
        if p.run_day is not None and k == p.run_day:
            req += int((held - req) * p.run_frac)
        if req > 0:
            self._try(v.request_redeem, req, h, h, sender=h)
        for lp in self.loopers:
            lp.act()
        kp = self.keeper
        if kp is not None:
            kp.bark_all([vid for lp in self.loopers if (vid := lp.cdp)])
            kp.take_all(self.wait_days(k), self.t0 + (k + 1) * DAY)
            kp.redeem_and_refill(self.dollar.psm is not None)
        self._note_requests(k)

    def _note_requests(self, k: int) -> None:
        """Record today's redemption requests of every controller (holders, loopers, keeper)."""
        v = self.vault
        rid = v.epoch.redeem_epoch
        who = [self.holders, *(lp.account for lp in self.loopers)]
        if self.keeper is not None:
            who.append(self.keeper.account)
        for c in who:
            x = v.pending_redeem_request(rid, c)
            new = x - self.noted.get((rid, c), 0)
            if new > 0:
                self.requests.append((k, rid, new))
                self.noted[(rid, c)] = x

    def running(self, k: int) -> bool:
        """Whether holders are in a run (new deposits stop from the run day)."""
        return self.p.run_day is not None and k >= self.p.run_day

    def wait_days(self, k: int) -> float:
        """How long the oldest unsettled redemption request has waited."""
        for day, rid, _ in self.requests:
            if rid not in self.settled_at:
                return float(k - day)
        return 0.0

    def market(self, k: int) -> None:
        if self.arb is not None:
            self.arb.act()

    def record(self, k: int) -> None:
        self.pps.append(self.vault.price_per_share() / self.unit)
        pool = self.pool
        self.peg.append(pool_price(pool, self.p.dollar, self.asset, self.dec) if pool else 1.0)
        levs = [x for lp in self.loopers if lp.cdp and np.isfinite(x := lp.leverage())]
        self.leverage.append(float(np.mean(levs)) if levs else 1.0)  # wiped-out loopers left out

    def _try(self, fn: Callable[..., object], *args: object, **kwargs: object) -> object | None:
        try:
            return fn(*args, **kwargs)
        except PeglabError:
            self.refused += 1
            return None

    def step_day(self, k: int) -> None:
        """Move the clock one day and run every phase of day ``k`` (callers without the runner)."""
        self.chain.advance(DAY)
        self.operate(k)
        self.agents(k)
        self.market(k)
        self.record(k)

    # -- measures ---------------------------------------------------------------------------------
    def bad_debt_usd(self) -> float:
        """Debt liquidations have not recovered (running auctions' lots valued at NAV)."""
        kp = self.keeper
        if kp is None:
            return 0.0
        nav_ray = self.vault.price_per_share() * RAY // self.unit
        return kp.shortfall_rad(nav_ray) / RAD

    def exit_waits(self, k: int) -> tuple[np.ndarray, np.ndarray, float]:
        """Redemption waits in days at day ``k`` (open ones counted to ``k``), their
        share weights, and the share of requested shares still unsettled."""
        waits, weights, open_ = [], [], 0
        for day, rid, shares in self.requests:
            done = self.settled_at.get(rid)
            waits.append((done if done is not None else k) - day)
            weights.append(shares)
            if done is None:
                open_ += shares
        total = sum(weights)
        return np.array(waits, float), np.array(weights, float), open_ / total if total else 0.0

    def measures(self) -> dict[str, float]:
        """The family's metrics at the horizon (docs/yield-vaults.md §8.3)."""
        pps = np.array(self.pps)
        peak = np.maximum.accumulate(pps)
        waits, weights, unserved = self.exit_waits(self.days)
        if len(waits):
            order = np.argsort(waits, kind="stable")
            cum = np.cumsum(weights[order]) / weights.sum()
            p95 = float(waits[order][min(int(np.searchsorted(cum, 0.95)), len(waits) - 1)])
        else:
            p95 = 0.0
        peg = np.array(self.peg)
        kp = self.keeper
        n = len(self.loopers)
        liquidated = sum(1 for lp in self.loopers if kp and lp.cdp in kp.liquidated_vaults)
        capital = self.p.looper_capital_usd
        ret = [lp.equity_usd() / capital - 1.0 for lp in self.loopers]
        return {
            "vault_nav_drawdown": float(np.max(1.0 - pps / peak)),
            "vault_realised_apy": float((pps[-1] / pps[0]) ** (365.0 / self.days) - 1.0),
            "vault_exit_wait_max": float(waits.max()) if len(waits) else 0.0,
            "vault_exit_wait_p95": p95,
            "vault_unserved": unserved,
            "dollar_bad_debt": self.bad_debt_usd(),
            "dollar_price_min": float(peg.min()),
            "dollar_peg_dev_max": float(np.max(np.abs(peg - 1.0))),
            "loopers_liquidated": liquidated / n if n else 0.0,
            "loopers_unwound": sum(1 for lp in self.loopers if lp.unwinds) / n if n else 0.0,
            "loop_leverage_max": float(np.max(self.leverage)),
            "looper_return": float(np.mean(ret)) if ret else 0.0,
        }


def standalone(
    p: YieldParams, days: int, seed: int, *, pool_depth_usd: int = 40_000_000, A: int = 200
) -> YieldPath:
    """A path on its own chain (USDC, 6 dp), with its AI dollar's pool deployed and seeded here:
    half of ``pool_depth_usd`` in each coin, the AI dollars from the passive borrowers."""
    from ....protocols.amm import AmmFactory

    chain = Chain(keep_log=False)
    chain.ledger.create_token("USDC", 6)
    chain.ledger.mint("USDC", FUND, 10**15 * 10**6)
    path = YieldPath(p, chain, "USDC", days, np.random.default_rng(np.random.SeedSequence(seed)))
    half = pool_depth_usd // 2
    dollars = min(half * WAD, chain.ledger.balance_of(p.dollar, "holders"))
    chain.transfer(p.dollar, "lp", dollars, sender="holders")
    chain.ledger.transfer("USDC", FUND, "lp", half * 10**6)
    pool = AmmFactory(chain).deploy_stableswap(
        [p.dollar, "USDC"], A, fee=4_000_000, pool_id=f"{p.dollar}-USDC", sender=chain.root
    )
    pool.add_liquidity([dollars, half * 10**6], 0, sender="lp")
    path.attach_pool(pool)
    return path
