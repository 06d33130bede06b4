"""The USD.AI side of the credit stress scenarios: USDai, sUSDai and GPU loans under the GPU economy.

Built on the USD.AI family's public API (``protocols.usdai.build_usdai``), on the same GPU-economy
draws as the Gaib path of the same seed (``sim.gpu_credit.gpu_drivers``), so the two designs face
the same rents, utilisation and default draws (docs/gaib.md §5.2). Daily steps; every move is an
engine action:

* holders buy the T-bill dollar (wM), mint USDai 1:1 and stake it; ``loan_share`` (30%, USD.AI's
  stage-2 cap) of the fund is lent in 36-month amortising GPU loans at 15% from sUSDai through
  escrowed timelocks; each borrower keeps three months of payments as its debt-service reserve;
* each month a borrower's net GPU revenue arrives as USDai; it repays the router's quote while it
  can (reserve first), walks away with the same hazard as a Gaib borrower; after deadline + grace
  a keeper liquidates, nobody redeems in the 14-day window, the GPU receipt sells at ``V(t)`` in
  the 7-day auction, and the waterfall books the proceeds into sUSDai;
* the strategy harvests the T-bill yield and books repayments; sUSDai holders request exits in
  the first 7 days of each 30-day block as the Gaib holders do; the strategy services matured
  requests from the queue head as far as idle USDai allows; holders claim and sell USDai on the
  USDai/wM pool (retail) or burn it for wM (anyone may: USDai has no whitelist);
* not applicable here: the regulatory freeze (USDai mint and burn are permissionless) and the
  T-bill yield drop (the USD.AI base token has no rate setter; its yield stays at the start rate).
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import PeglabError
from ..kernel import Chain
from ..math.loan_rates import apr_to_rate
from ..protocols.amm import AmmFactory
from ..protocols.usdai import ARBITRUM_GENESIS, LoanTerms, StakedConfig, Tranche, build_usdai
from ..units import DAY, WAD
from .gpu_credit import (
    SAID_HOLDERS,
    SCENARIOS,
    CreditStress,
    GaibOutcome,
    gpu_drivers,
    run_gaib_path,
    with_low,
)

__all__ = ["UsdaiPath", "run_usdai_path", "side_by_side"]

MONTH_S = 30 * DAY
STRATEGY = "strategist"
LOAN_SHARE_BPS = 3_000


class UsdaiPath:
    """The world and agents of one USD.AI path."""

    def __init__(self, sc: CreditStress, rng: np.random.Generator) -> None:
        self.sc = sc
        self.g = gpu_drivers(sc, rng)
        c = self.chain = Chain(start_time=ARBITRUM_GENESIS + DAY, keep_log=False)
        s = self.s = build_usdai(
            c,
            tbill_apr_wad=sc.tbill_bps * WAD // 10_000,
            staked=StakedConfig(fee_recipient="usdai:fees"),
        )
        c.grant(s.staked.cfg.strategy_role, STRATEGY, sender=c.root)
        for who, share, _ in SAID_HOLDERS:
            self.buy_usdai(who, int(sc.fund_usd * share) * WAD)
            s.staked.deposit(c.ledger.balance_of("USDai", who), sender=who)
        pool_usd = sc.fund_usd // 5
        self.buy_usdai("lp", 2 * pool_usd * WAD)
        c.transfer("USDai", "float", pool_usd * WAD, sender="lp")
        c.ledger.mint("wM", "lp", pool_usd * 10**6)
        c.ledger.mint("wM", "arb", pool_usd * 10**6)
        self.pool = AmmFactory(c, name="usdai-amm").deploy_stableswap(
            ("USDai", "wM"), 200, sender=c.root
        )
        self.pool.add_liquidity([pool_usd * WAD, pool_usd * 10**6], 0, sender="lp")
        each = sc.fund_usd * LOAN_SHARE_BPS // 10_000 // sc.n_deals
        self.loans: list[str] = []
        self.gpus: list[int] = []
        self.walked: list[bool] = []
        self.liquidated: dict[int, int] = {}  # loan index -> principal outstanding at liquidation
        self.sold: set[int] = set()
        for k in range(sc.n_deals):
            b, gpu = f"b{k}", f"GPU#{k}"
            c.ledger.create_token(gpu, 0, f"CALIBER receipt {k}")
            c.ledger.mint(gpu, b, 1)
            t = LoanTerms(
                borrower=b, currency="USDai", collateral=gpu, expiration=c.now + 7 * DAY,
                duration_s=36 * MONTH_S, interval_s=MONTH_S, model="amortised",
                tranches=(Tranche(s.staked.account, each * WAD, apr_to_rate(15 * WAD // 100)),),
                grace_rate=apr_to_rate(WAD // 20), grace_duration_s=10 * DAY,
                origination_fee=each * WAD // 100, salt=k,
            )  # fmt: skip
            loan = t.loan_id()
            s.staked.positions.deposit_loan_timelock(
                loan, each * WAD, t.expiration, sender=STRATEGY
            )
            s.router.borrow(t, sender=b)
            p, it, fee = s.router.quote(loan, c.now + MONTH_S)
            keep = 3 * (p + it + fee)  # the debt-service reserve, three months of payments
            c.transfer("USDai", "gpu-vendor", c.ledger.balance_of("USDai", b) - keep, sender=b)
            self.loans.append(loan)
            self.gpus.append(max(1, each // 22_500))
            self.walked.append(False)
        self.deployed = each * sc.n_deals
        self.requested: dict[int, tuple[int, int]] = {}  # request id -> (day, shares)
        self.filled_day: dict[int, int] = {}
        self.prices: list[float] = []
        self.nav_w = [s.staked.redemption_price() / WAD]
        self.nav_d = [s.staked.deposit_price() / WAD]
        self.backed_min = math.inf
        self.reserve_used = 0
        self.day = 0

    # -- helpers --------------------------------------------------------------------------------
    def buy_usdai(self, who: str, amount_wad: int, to: str | None = None) -> None:
        units = amount_wad // 10**12
        if units:
            self.chain.ledger.mint("wM", who, units)
            self.s.usdai.deposit("wM", units, 0, to, sender=who)

    def pool_price(self) -> float:
        out: int = self.pool.get_dy(0, 1, WAD)
        return out / 10**6

    def _try(self, fn: object, *args: object, **kw: object) -> bool:
        try:
            fn(*args, **kw)  # type: ignore[operator]
        except PeglabError:
            return False
        return True

    # -- agents ---------------------------------------------------------------------------------
    def month(self, m: int) -> None:
        s, g, c = self.s, self.g, self.chain
        p, u = float(g.idx.price[0, m]), float(g.util[m])
        for k, loan in enumerate(self.loans):
            if k in self.liquidated:
                continue
            b = f"b{k}"
            st = s.router.loan(loan)
            if st.balance == 0:
                continue
            pay = sum(s.router.quote(loan))
            rev = self.gpus[k] * p * u * 730.0
            opex = self.gpus[k] * g.bp.opex_per_gpu_hour * 730.0
            net = rev - opex
            held = c.ledger.balance_of("USDai", b)
            spent = held < pay  # the reserve cannot cover a month on its own
            if not self.walked[k]:
                dscr = net / (pay / WAD) if pay else 9.0
                h = g.bp.h0 * math.exp(g.bp.beta * max(0.0, 1.0 - dscr)) if spent else g.bp.h0
                if g.latent[m - 1, k] < float(_ppf(min(h, 1.0))):
                    self.walked[k] = True
            if self.walked[k]:
                continue
            if net > 0:
                self.buy_usdai("payer", int(net * 1e6) * 10**12, b)
            held2 = c.ledger.balance_of("USDai", b)
            if held2 >= pay:
                self.reserve_used += max(0, pay - max(held2 - held, 0))
                s.router.repay(loan, pay, sender=b)
        repaid = s.staked.positions.book.repayment
        if repaid:
            s.staked.positions.deposit_loan_repayment(repaid, sender=STRATEGY)
        s.base.claim_yield(s.usdai.reserve, sender="keeper")
        s.base.claim_yield(s.staked.account, sender="keeper")
        held_m = c.ledger.balance_of("wM", s.staked.account)
        if held_m:
            s.staked.deposit_base_yield(held_m * s.usdai.scale, sender=STRATEGY)

    def workouts(self) -> None:
        s, c, g = self.s, self.chain, self.g
        for k, loan in enumerate(self.loans):
            st = s.router.loan(loan)
            t = s.router.terms[loan]
            if k not in self.liquidated and st.balance and c.now > st.deadline + t.grace_duration_s:
                self.liquidated[k] = st.balance
                s.router.liquidate(loan, sender="keeper")
            elif k in self.liquidated and k not in self.sold:
                lot = s.auction.lot(loan)
                if lot.status == "window" and c.now >= lot.window_end:
                    m = min(self.day // 30, self.sc.months)
                    v = int(t.principal / 0.75 * float(g.value[m])) // 10**12 * 10**12
                    if v >= WAD:
                        self.buy_usdai("gpu-buyer", v)
                        self._try(s.auction.bid, loan, v, sender="gpu-buyer")
                elif lot.status == "open" and c.now >= lot.end:
                    s.auction.settle(loan, sender="keeper")
                    self.sold.add(k)
                    rep = s.staked.positions.book.repayment
                    if rep:
                        s.staked.positions.deposit_loan_repayment(rep, sender=STRATEGY)

    def requests_window(self, day_in: int, block: int) -> None:
        s, sc = self.s, self.sc
        peak = max(self.nav_w)
        dd = max(0.0, 1.0 - self.nav_w[-1] / peak) if peak else 0.0
        frac = min(0.001 + 5.0 * dd / 7.0, 0.5)
        run_left = 0
        if sc.run_month is not None and block == sc.run_month and day_in < 2:
            run_left = s.staked.total_supply() // 10
        for h, _, _ in sorted(SAID_HOLDERS, key=lambda x: -s.staked.balance_of(x[0])):
            bal = s.staked.balance_of(h)
            shares = int(bal * frac)
            if run_left:
                extra = min(bal - shares, run_left)
                shares, run_left = shares + extra, run_left - extra
            if shares >= WAD:
                try:
                    rid = s.staked.request_redeem(shares, h, h, sender=h)
                except PeglabError:
                    continue
                self.requested[rid] = (self.day, shares)

    def service(self) -> None:
        s, now = self.s, self.chain.now
        st = s.staked
        pending, rid, price = 0, st.st.head, st.redemption_price()
        while rid and rid <= st.st.index and st.maturity_of(rid) < now:
            who = st.maturity[rid][0]
            pending += st.pending_redeem_request(rid, who)
            rid += 1
        can = min(pending, st.idle_balance() * WAD // max(price, 1))
        if can >= WAD:
            self._try(st.service_redemptions, can, sender=STRATEGY)
        for h, _, wl in SAID_HOLDERS:
            if st.max_redeem(h):
                st.redeem(st.max_redeem(h), sender=h)
                bal = self.chain.ledger.balance_of("USDai", h)
                if not wl and bal >= WAD:
                    self.pool.exchange(0, 1, bal, 0, sender=h)
                elif bal >= 10**12:
                    s.usdai.withdraw("wM", bal, 0, sender=h)
        for r in self.requested:
            if r not in self.filled_day:
                who = st.maturity[r][0]
                if st.pending_redeem_request(r, who) == 0:
                    self.filled_day[r] = self.day

    def step_day(self) -> None:
        self.chain.advance(DAY)
        self.day += 1
        c, s = self.chain, self.s
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
            bal = c.ledger.balance_of("USDai", who)
            if bal >= 10**12:
                s.usdai.withdraw("wM", bal, 0, sender=who)
        price = self.pool_price()
        flt = c.ledger.balance_of("USDai", "float")
        sell = int(flt * min(max(0.0, (1.0 - price) * 100 * 0.05), 0.5))
        if sell >= WAD:
            self.pool.exchange(0, 1, sell, 0, sender="float")
        chunk = self.sc.fund_usd // 200 * 10**6
        while self.pool_price() < 0.999 and c.ledger.balance_of("wM", "arb") >= chunk:
            self.pool.exchange(1, 0, chunk, 0, sender="arb")
        bal = c.ledger.balance_of("USDai", "arb")
        if bal >= 10**12:
            s.usdai.withdraw("wM", bal, 0, sender="arb")
        self.prices.append(self.pool_price())
        self.backed_min = min(self.backed_min, s.usdai.backing_gap() / WAD)

    def run(self) -> GaibOutcome:
        for _ in range(self.sc.months * 30):
            self.step_day()
        self.chain.check_conservation()
        navs = np.array(self.nav_w)
        peak = np.maximum.accumulate(navs)
        prices = np.array(self.prices)
        years = self.sc.months / 12
        waits = [self.filled_day.get(r, self.day) - d0 for r, (d0, _) in self.requested.items()]
        metrics = {
            "nav_end": float(navs[-1]),
            "nav_drawdown": float(np.max(1.0 - navs / peak)),
            "realised_yield": float(navs[-1] ** (1.0 / years) - 1.0),
            "principal_loss": float(max(0.0, 1.0 - navs.min())),
            "default_rate": len(self.liquidated) / len(self.loans),
            "queue_wait_p50_days": float(np.percentile(waits, 50)) if waits else 0.0,
            "queue_wait_p95_days": float(np.percentile(waits, 95)) if waits else 0.0,
            "peg_min": float(prices.min()),
            "peg_time_below_099": float((prices < 0.99).mean()),
            "aid_fully_backed": float(self.backed_min >= 0.0),
        }
        return GaibOutcome(tuple(self.nav_w), tuple(self.nav_d), metrics)


def _ppf(q: float) -> float:
    from .gpu import norm_ppf

    return float(norm_ppf(q))


def run_usdai_path(sc: CreditStress, seed: np.random.SeedSequence | int) -> GaibOutcome:
    """One exact USD.AI path of ``sc``; the same seed gives the Gaib path the same GPU draws."""
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    return UsdaiPath(sc, np.random.default_rng(ss)).run()


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
