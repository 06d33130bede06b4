"""The USD.AI side of the credit stress scenarios: USDai, sUSDai and GPU loans under the GPU economy.

Built on the USD.AI family's public API (``protocols.usdai.build_usdai``), on the same GPU-economy
draws as the Gaib path of the same seed (``sim.gpu_credit.gpu_drivers``), so the two designs face
the same rents, utilisation and default draws (docs/usdai.md §9). Daily steps; every move is an
engine action:

* holders buy the T-bill dollar (wM), mint USDai 1:1 and stake it; ``loan_share`` (30%, USD.AI's
  stage-2 cap) of the fund is lent in 36-month amortising GPU loans at 15% from sUSDai through
  escrowed timelocks, optionally beside a junior tranche from an outside lender (``junior_bps`` of
  each loan, paid after sUSDai in the liquidation waterfall); each borrower keeps three months of
  payments as its debt-service reserve;
* each month a borrower's net GPU revenue arrives as USDai; it repays the router's quote while it
  can (reserve first), walks away with the same hazard as a Gaib borrower; after deadline + grace
  a keeper liquidates, nobody redeems in the 14-day window, the GPU receipt sells at ``V(t)`` in
  the 7-day auction, and the waterfall books the proceeds into sUSDai (loss by tranche: each
  tranche's claimed principal less what the waterfall paid it);
* the strategy harvests the T-bill yield and books repayments; sUSDai holders request exits in
  the first 7 days of each 30-day block as the Gaib holders do; the strategy services matured
  requests from the queue head as far as idle USDai allows; holders claim and sell USDai on the
  USDai pool (retail) or burn it for wM (anyone may: USDai has no whitelist);
* the T-bill yield drop is the base token's rate falling (``TBillDollar.set_apr``); the regulatory
  freeze halts nothing here (USDai mint and burn are permissionless) but the market panic is the
  same: the USDai float sells 10% a day for two days.

Standalone (``run_usdai_path``) the path has its own chain and a USDai/wM pool; in the risk lab
(``sim.families.usdai``) it is built on the lab world's chain, its pool is the scenario's pool
pairing USDai with the stablecoin, and its agents' accounts carry the ``usdai/`` prefix.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import PeglabError
from ..kernel import Chain
from ..math.loan_rates import apr_to_rate, waterfall
from ..protocols.amm import AmmFactory
from ..protocols.usdai import ARBITRUM_GENESIS, LoanTerms, StakedConfig, Tranche, build_usdai
from ..units import BPS, DAY, WAD
from .gpu import norm_ppf
from .gpu_credit import (
    SAID_HOLDERS,
    SCENARIOS,
    CreditStress,
    GaibOutcome,
    GpuDrivers,
    PoolLike,
    gpu_drivers,
    realised_yield,
    run_gaib_path,
    with_low,
)
from .world import HOLDERS as LAB_HOLDERS
from .world import MARKET

__all__ = ["UsdaiPath", "run_usdai_path", "side_by_side"]

MONTH_S = 30 * DAY
LOAN_SHARE_BPS = 3_000
LOAN_APR_WAD = 15 * WAD // 100


class UsdaiPath:
    """The world and agents of one USD.AI path (module docstring)."""

    def __init__(
        self,
        sc: CreditStress,
        drv: GpuDrivers,
        chain: Chain | None = None,
        stable: str | None = None,
        junior_bps: int = 0,
    ) -> None:
        """Build on ``chain`` (a lab world's, whose ``stable`` token exists and whose pool is
        attached later by ``attach_pool``), or on a fresh chain with a USDai/wM pool."""
        self.sc = sc
        self.g = drv
        own = chain is None
        self.prefix = "" if own else "usdai/"
        a = self.a
        c = Chain(start_time=ARBITRUM_GENESIS + DAY, keep_log=False) if chain is None else chain
        self.chain = c
        s = self.s = build_usdai(
            c,
            tbill_apr_wad=sc.tbill_bps * WAD // BPS,
            staked=StakedConfig(fee_recipient="usdai:fees", genesis=c.now - DAY),
        )
        self.strategy = a("strategist")
        c.grant(s.staked.cfg.strategy_role, self.strategy, sender=c.root)
        st = self.stable = s.base.symbol if stable is None else stable
        self.to18: int = 10 ** (18 - c.ledger.token(st).decimals)
        self.holders = tuple((a(h), share, wl) for h, share, wl in SAID_HOLDERS)
        for who, share, _ in self.holders:
            self.buy_usdai(who, int(sc.fund_usd * share) * WAD)
            s.staked.deposit(c.ledger.balance_of("USDai", who), sender=who)
        pool_usd = sc.fund_usd // 5
        lp = a("lp")
        self.buy_usdai(lp, 2 * pool_usd * WAD)
        c.transfer("USDai", a("float"), pool_usd * WAD, sender=lp)
        c.ledger.mint(st, a("arb"), pool_usd * WAD // self.to18)
        self.pool: PoolLike | None = None
        if own:
            c.ledger.mint(st, lp, pool_usd * WAD // self.to18)
            pool = AmmFactory(c, name="usdai-amm").deploy_stableswap(
                ("USDai", st), 200, sender=c.root
            )
            pool.add_liquidity([pool_usd * WAD, pool_usd * WAD // self.to18], 0, sender=lp)
            self.pool = pool
        else:  # the lab world seeds its pool from its holders
            c.transfer("USDai", LAB_HOLDERS, pool_usd * WAD, sender=lp)
        each = sc.fund_usd * LOAN_SHARE_BPS // BPS // sc.n_deals
        junior = each * junior_bps // (BPS - junior_bps)
        self.junior = a("junior-lender")
        if junior:
            self.buy_usdai(self.junior, junior * sc.n_deals * WAD)
        rate = apr_to_rate(LOAN_APR_WAD)
        self.loans: list[str] = []
        self.gpus: list[int] = []
        self.walked: list[bool] = []
        self.liquidated: dict[int, int] = {}  # loan index -> principal outstanding at liquidation
        self.sold: set[int] = set()
        for k in range(sc.n_deals):
            b, gpu = a(f"b{k}"), f"GPU#{k}"
            c.ledger.create_token(gpu, 0, f"CALIBER receipt {k}")
            c.ledger.mint(gpu, b, 1)
            tranches: tuple[Tranche, ...] = (Tranche(s.staked.account, each * WAD, rate),)
            if junior:
                tranches += (Tranche(self.junior, junior * WAD, rate),)
            t = LoanTerms(
                borrower=b, currency="USDai", collateral=gpu, expiration=c.now + 7 * DAY,
                duration_s=36 * MONTH_S, interval_s=MONTH_S, model="amortised",
                tranches=tranches, grace_rate=apr_to_rate(WAD // 20), grace_duration_s=10 * DAY,
                origination_fee=(each + junior) * WAD // 100, salt=k,
            )  # fmt: skip
            loan = t.loan_id()
            s.staked.positions.deposit_loan_timelock(
                loan, each * WAD, t.expiration, sender=self.strategy
            )
            if junior:
                s.router.approve_terms(t, sender=self.junior)
            s.router.borrow(t, sender=b)
            p, it, fee = s.router.quote(loan, c.now + MONTH_S)
            keep = 3 * (p + it + fee)  # the debt-service reserve, three months of payments
            c.transfer("USDai", a("gpu-vendor"), c.ledger.balance_of("USDai", b) - keep, sender=b)
            self.loans.append(loan)
            self.gpus.append(max(1, (each + junior) // 22_500))
            self.walked.append(False)
        self.lent = (each * sc.n_deals, junior * sc.n_deals)  # whole dollars per tranche
        self.tranche_loss = [0, 0]  # wad: claimed principal the waterfall did not pay
        self.requested: dict[int, tuple[int, int]] = {}  # request id -> (day, shares)
        self.filled_day: dict[int, int] = {}
        self.prices: list[float] = []
        self.nav_w = [s.staked.redemption_price() / WAD]
        self.nav_d = [s.staked.deposit_price() / WAD]
        self.nav_daily: list[float] = []
        self.shares_daily = [s.staked.total_supply() / WAD]  # the start, then after each day
        self.backed_min = math.inf
        self.day = 0

    def attach_pool(self, pool: PoolLike) -> None:
        """Use ``pool`` (USDai against the stablecoin) for the peg, sellers and the arbitrageur."""
        self.pool = pool

    def fully_backed(self) -> bool:
        """USDai supply at or below its wM reserve now."""
        return self.s.usdai.backing_gap() >= 0

    # -- helpers --------------------------------------------------------------------------------
    def a(self, name: str) -> str:
        """An agent's account (prefixed on a shared chain; a method, so the path pickles)."""
        return self.prefix + name

    def buy_usdai(self, who: str, amount_wad: int, to: str | None = None) -> None:
        """Outside dollars enter as wM (a T-bill purchase) and become USDai 1:1."""
        units = amount_wad // self.s.usdai.scale
        if units:
            self.chain.ledger.mint("wM", who, units)
            self.s.usdai.deposit("wM", units, 0, to, sender=who)

    def pool_price(self) -> float:
        if self.pool is None:
            return 1.0
        out: int = self.pool.quote_exact_in("USDai", WAD, self.stable)
        return out * self.to18 / WAD

    def sell_on_pool(self, who: str, amount_wad: int) -> None:
        if amount_wad >= WAD and self.pool is not None:
            self.pool.swap_exact_in("USDai", amount_wad, 0, sender=who, token_out=self.stable)

    def burn(self, who: str) -> None:
        bal = self.chain.ledger.balance_of("USDai", who)
        if bal >= self.s.usdai.scale:
            self.s.usdai.withdraw("wM", bal, 0, sender=who)

    # -- agents ---------------------------------------------------------------------------------
    def month(self, m: int) -> None:
        s, g, c, a = self.s, self.g, self.chain, self.a
        if m == 1 and self.sc.tbill_drop_bps is not None:
            s.base.set_apr(self.sc.tbill_drop_bps * WAD // BPS, sender=c.root)
        p, u = float(g.idx.price[0, m]), float(g.util[m])
        for k, loan in enumerate(self.loans):
            if k in self.liquidated:
                continue
            b = a(f"b{k}")
            st = s.router.loan(loan)
            if st.balance == 0:
                continue
            pay = sum(s.router.quote(loan))
            rev = self.gpus[k] * p * u * 730.0
            net = rev - self.gpus[k] * g.bp.opex_per_gpu_hour * 730.0
            held = c.ledger.balance_of("USDai", b)
            spent = held < pay  # the reserve cannot cover a month on its own
            if not self.walked[k]:
                dscr = net / (pay / WAD) if pay else 9.0
                h = g.bp.h0 * math.exp(g.bp.beta * max(0.0, 1.0 - dscr)) if spent else g.bp.h0
                if g.latent[m - 1, k] < float(norm_ppf(min(h, 1.0))):
                    self.walked[k] = True
            if self.walked[k]:
                continue
            if net > 0:
                self.buy_usdai(a("payer"), int(net * 1e6) * 10**12, b)
            if c.ledger.balance_of("USDai", b) >= pay:
                s.router.repay(loan, pay, sender=b)
        self.book_repayments()
        s.base.claim_yield(s.usdai.reserve, sender=a("keeper"))
        s.base.claim_yield(s.staked.account, sender=a("keeper"))
        held_m = c.ledger.balance_of("wM", s.staked.account)
        if held_m:
            s.staked.deposit_base_yield(held_m * s.usdai.scale, sender=self.strategy)

    def book_repayments(self) -> None:
        repaid = self.s.staked.positions.book.repayment
        if repaid:
            self.s.staked.positions.deposit_loan_repayment(repaid, sender=self.strategy)

    def workouts(self) -> None:
        s, c, g, a = self.s, self.chain, self.g, self.a
        for k, loan in enumerate(self.loans):
            st = s.router.loan(loan)
            t = s.router.terms[loan]
            if k not in self.liquidated and st.balance and c.now > st.deadline + t.grace_duration_s:
                self.liquidated[k] = st.balance
                s.router.liquidate(loan, sender=a("keeper"))
            elif k in self.liquidated and k not in self.sold:
                lot = s.auction.lot(loan)
                if lot.status == "window" and c.now >= lot.window_end:
                    m = min(self.day // 30, self.sc.months)
                    v = int(t.principal / 0.75 * float(g.value[m])) // 10**12 * 10**12
                    if v >= WAD:
                        self.buy_usdai(a("gpu-buyer"), v)
                        try:
                            s.auction.bid(loan, v, sender=a("gpu-buyer"))
                        except PeglabError:
                            pass  # below the reserve price: the lot waits
                elif lot.status == "open" and c.now >= lot.end:
                    claim = s.router.claim(loan)
                    fee_bps = s.router.config.liquidation_fee_bps
                    paid = waterfall(lot.bid, claim.tranche_principals, claim.tranche_interests,
                                     fee_bps).principals  # fmt: skip
                    s.auction.settle(loan, sender=a("keeper"))
                    self.sold.add(k)
                    for i, (owed, got) in enumerate(zip(claim.tranche_principals, paid)):
                        self.tranche_loss[i] += owed - got
                    self.book_repayments()

    def requests_window(self, day_in: int, block: int) -> None:
        s, sc = self.s, self.sc
        peak = max(self.nav_w)
        dd = max(0.0, 1.0 - self.nav_w[-1] / peak) if peak else 0.0
        frac = min(0.001 + 5.0 * dd / 7.0, 0.5)
        run_left = 0
        if sc.run_month is not None and block == sc.run_month and day_in < 2:
            run_left = s.staked.total_supply() // 10
        for h, _, _ in sorted(self.holders, key=lambda x: -s.staked.balance_of(x[0])):
            bal = s.staked.balance_of(h)
            shares = int(bal * frac)
            if run_left:
                extra = min(bal - shares, run_left)
                shares, run_left = shares + extra, run_left - extra
            if shares >= WAD:
                try:
                    rid = s.staked.request_redeem(shares, h, h, sender=h)
                except PeglabError:
                    continue  # e.g. the per-account limit of active requests
                self.requested[rid] = (self.day, shares)

    def service(self) -> None:
        st, now = self.s.staked, self.chain.now
        pending, rid, price = 0, st.st.head, st.redemption_price()
        while rid and rid <= st.st.index and st.maturity_of(rid) < now:
            pending += st.pending_redeem_request(rid, st.maturity[rid][0])
            rid += 1
        can = min(pending, st.idle_balance() * WAD // max(price, 1))
        if can >= WAD:
            try:
                st.service_redemptions(can, sender=self.strategy)
            except PeglabError:
                pass  # nothing serviceable at this price yet
        for h, _, wl in self.holders:
            if st.max_redeem(h):
                st.redeem(st.max_redeem(h), sender=h)
                bal = self.chain.ledger.balance_of("USDai", h)
                if not wl and bal >= WAD:
                    self.sell_on_pool(h, bal)
                else:
                    self.burn(h)
        for r in self.requested:
            if r not in self.filled_day and st.pending_redeem_request(r, st.maturity[r][0]) == 0:
                self.filled_day[r] = self.day

    def arbitrage(self) -> None:
        c, arb = self.chain, self.a("arb")
        chunk = self.sc.fund_usd // 200 * WAD // self.to18
        while (
            self.pool is not None
            and self.pool_price() < 0.999
            and c.ledger.balance_of(self.stable, arb) >= chunk
        ):
            self.pool.swap_exact_in(self.stable, chunk, 0, sender=arb, token_out="USDai")
        self.burn(arb)
        wm = c.ledger.balance_of("wM", arb)
        if self.stable != "wM" and wm:  # in the lab: the external market buys wM at par
            c.ledger.transfer("wM", arb, MARKET, wm)
            c.ledger.transfer(self.stable, MARKET, arb, wm * self.s.usdai.scale // self.to18)

    def step_day(self) -> None:
        """One day's agents (the clock has moved)."""
        self.day += 1
        c, s, sc, a = self.chain, self.s, self.sc, self.a
        if self.day % 30 == 0:
            self.month(self.day // 30)
            self.nav_w.append(s.staked.redemption_price() / WAD)
            self.nav_d.append(s.staked.deposit_price() / WAD)
        self.workouts()
        block, day_in = divmod(self.day, 30)
        if day_in < 7:
            self.requests_window(day_in, block)
        self.service()
        for who in ("gpu-vendor", "gpu-operators"):
            self.burn(a(who))
        price = self.pool_price()
        flt = c.ledger.balance_of("USDai", a("float"))
        sell = int(flt * min(max(0.0, (1.0 - price) * 100 * 0.05), 0.5))
        if sc.float_panic and sc.freeze_day is not None and 0 <= self.day - sc.freeze_day < 2:
            sell = max(sell, flt // 10)
        self.sell_on_pool(a("float"), sell)
        self.arbitrage()
        self.prices.append(self.pool_price())
        self.nav_daily.append(s.staked.redemption_price() / WAD)
        self.shares_daily.append(s.staked.total_supply() / WAD)
        self.backed_min = min(self.backed_min, s.usdai.backing_gap() / WAD)

    def run(self) -> GaibOutcome:
        for _ in range(self.sc.months * 30):
            self.chain.advance(DAY)
            self.step_day()
        self.chain.check_conservation()
        return self.outcome()

    def outcome(self) -> GaibOutcome:
        navs = np.array(self.nav_w)
        peak = np.maximum.accumulate(navs)
        prices = np.array(self.prices) if self.prices else np.ones(1)
        waits = [self.filled_day.get(r, self.day) - d0 for r, (d0, _) in self.requested.items()]
        senior, junior = self.lent
        metrics = {
            "nav_end": float(navs[-1]),
            "nav_drawdown": float(np.max(1.0 - navs / peak)),
            "realised_yield": float(
                realised_yield(np.array([navs[0], *self.nav_daily]), np.array(self.shares_daily))
            ),
            "principal_loss": float(max(0.0, 1.0 - navs.min())),
            "default_rate": len(self.liquidated) / len(self.loans),
            "loss_senior": self.tranche_loss[0] / WAD / senior,
            "loss_junior": self.tranche_loss[1] / WAD / junior if junior else 0.0,
            "queue_wait_p50_days": float(np.percentile(waits, 50)) if waits else 0.0,
            "queue_wait_p95_days": float(np.percentile(waits, 95)) if waits else 0.0,
            "peg_min": float(prices.min()),
            "peg_time_below_099": float((prices < 0.99).mean()),
            "aid_fully_backed": float(self.backed_min >= 0.0),
            "gpu_low": float(self.g.idx.price[0].min()),
        }
        return GaibOutcome(tuple(self.nav_w), tuple(self.nav_d), metrics)


def run_usdai_path(sc: CreditStress, seed: np.random.SeedSequence | int) -> GaibOutcome:
    """One exact USD.AI path of ``sc``; the same seed gives the Gaib path the same GPU draws."""
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    return UsdaiPath(sc, gpu_drivers(sc, np.random.default_rng(ss))).run()


def side_by_side(
    lows: tuple[float, ...] = (2.35, 2.0, 1.8, 1.65, 1.5, 1.3, 1.1, 0.9),
    n_paths: int = 8,
    seed: int = 7,
    targets: tuple[float, float] = (0.40, 0.15),
) -> list[dict[str, float]]:
    """The critic's table for both designs on the same GPU paths: per trough price of the S2
    collapse, each design's median realised yield (against its advertised target: Gaib ~40%,
    USD.AI the low end of 15-25%), median principal loss at its exit price, and the worst peg-token
    pool price and backing (docs/gaib.md §5.2)."""
    rows = []
    for low in lows:
        sc = with_low(SCENARIOS["gpu-rental-collapse"], low)
        seeds = np.random.SeedSequence(seed).spawn(n_paths)
        row: dict[str, float] = {"low_usd_per_gpu_hour": low}
        for tag, runner, target in (
            ("gaib", run_gaib_path, targets[0]),
            ("usdai", run_usdai_path, targets[1]),
        ):
            outs = [runner(sc, ss) for ss in seeds]
            ys = float(np.median([o.metrics["realised_yield"] for o in outs]))
            row[f"{tag}_yield_p50"] = ys
            row[f"{tag}_pays_target"] = float(ys >= target)
            row[f"{tag}_principal_loss_p50"] = float(
                np.median([o.metrics["principal_loss"] for o in outs])
            )
            row[f"{tag}_peg_min"] = min(o.metrics["peg_min"] for o in outs)
            row[f"{tag}_backed"] = min(o.metrics["aid_fully_backed"] for o in outs)
        rows.append(row)
    return rows
