"""GPU-credit stress scenarios on the exact engine: Gaib's AID, sAID and deal book under the GPU economy.

One path (``run_gaib_path``) builds a Gaib system on a fresh chain and steps it one day at a time
for ``months * 30`` days; every protocol move is an engine action (docs/gaib.md §5 lists the
agents and their rules):

* the **GPU economy** (``sim.gpu``) gives the month's rental index, utilisation, the borrowers'
  default draws (one common factor) and the collateral value; each borrower's net revenue arrives
  as USDC that it turns into AID at the desk, then the servicer settles the deal;
* a borrower **walks away** with the monthly hazard ``h0`` while its reserve lasts and
  ``h0 e^{beta (1 - DSCR)}`` after; the engine's arrears then run to default; the servicer marks the
  expected recovery and either **re-hosts** the GPUs (when the index still pays the debt service at
  80% of the prior utilisation; revenue restarts two months later) or **sells** them at ``V(t)``;
* the AID **reserve manager** keeps 10-30% of supply in cash, the rest in 91-day bills, sells
  bills T+1 when cash runs short and harvests the reserve's yield into sAID each month;
* **sAID holders** request exits in each cycle's 7-day window (a base rate plus a fear term on the
  NAV drawdown, largest holders first; a run adds 20% of NAV in 48 hours); at each cycle end the
  keeper processes the cycle, holders claim, whitelisted holders redeem their AID at the desk and
  the others sell it on the AID/USDC pool;
* a **float holder** sells AID on the pool when it trades at a discount (and panics in the freeze
  scenario); a whitelisted **arbitrageur** buys AID below 0.999 on the pool and redeems it 1:1.

The per-path measures (``GaibOutcome``) are the ones the issue asks for: NAV path and drawdown,
realised yield, losses by layer (reserve, over-collateralisation, fund) and the largest loss of
one portfolio, queue waits and unfilled shares, the haircut at exit, the AID pool price and
whether AID stayed fully backed. The lab runs it through the Gaib family
(``sim.families.gaib``: ``peglab stress gpu-rental-collapse``). Not integrated: the USD.AI side
of the side-by-side comparison (docs/gaib.md §5.2).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from ..kernel import Chain
from ..protocols.amm import AmmFactory
from ..protocols.amm.interfaces import SwapVenue as PoolLike
from ..protocols.gaib import Aid, DealBook, DealTerms, SaidVault
from ..units import DAY, WAD
from .gpu import (
    BorrowerParams,
    IndexParams,
    IndexPaths,
    collapse_index_paths,
    default_draws,
    ex_launch_curve,
    norm_ppf,
    rental_index_paths,
    utilisation_paths,
    value_fraction_paths,
)
from .world import HOLDERS as LAB_HOLDERS

__all__ = [
    "SAID_HOLDERS",
    "SCENARIOS",
    "YEAR_DAYS",
    "CreditStress",
    "GaibOutcome",
    "GaibPath",
    "GpuDrivers",
    "PoolLike",
    "critic_table",
    "gpu_drivers",
    "realised_yield",
    "run_gaib_path",
    "run_scenario",
    "summarise",
    "with_low",
]

HOURS = 730
YEAR_DAYS = 360  # the model's year: 12 months of 30 days


def realised_yield(nav: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """The vault holders' capital-weighted yield a year (docs/gaib.md §5, "realised yield").

    ``nav`` and ``shares`` are ``[..., days + 1]``: the exit price per share and the shares
    outstanding (escrowed requests included) at the start and after each day. The holders'
    income of day ``t`` is ``S[t-1] (N[t] - N[t-1])`` and their capital ``S[t-1] N[t-1]``; the
    total income over the summed capital is the capital-weighted mean daily return ``r``, and the
    yield is ``(1 + r)^360 - 1``. A day on which a drained vault's last dust of shares owns the
    income weighs by that dust's capital, so NAV per share exploding on dust cannot blow the
    yield up (the NAV-growth yield it replaces rose to thousands of percent there); with shares
    constant and a steady return it equals the NAV growth annualised.
    """
    gain = (shares[..., :-1] * np.diff(nav, axis=-1)).sum(axis=-1)
    capital = (shares[..., :-1] * nav[..., :-1]).sum(axis=-1)
    r = np.where(capital > 0, gain / np.where(capital > 0, capital, 1.0), 0.0)
    return np.asarray((1.0 + r) ** YEAR_DAYS - 1.0, dtype=np.float64)


def _wad(usd: float) -> int:
    """A float dollar amount as wad, truncated to whole micro-dollars."""
    return int(max(usd, 0.0) * 1e6) * 10**12


@dataclass(frozen=True, slots=True)
class CreditStress:
    """One credit stress scenario (defaults [O]; the stress cases of docs/gaib.md §5)."""

    name: str
    description: str = ""
    months: int = 24
    n_deals: int = 20
    fund_usd: int = 10_000_000
    deployed_bps: int = 7_000  # ~30% of the fund stays as the Treasury buffer [P 22]
    index: str = "free"  # "free" (docs/gpu-economy.md §1) or "collapse" (S2)
    collapse_low: tuple[float, float] = (1.50, 1.70)
    util_to: float | None = None  # S2: utilisation pinned from 85% to this over the fall
    rho: float = 0.3
    h0: float = 0.0025
    tbill_bps: int = 415
    tbill_drop_bps: int | None = None  # new T-bill rate from month 1
    run_month: int | None = None  # a run: 20% of NAV requested in the first 48 h of that cycle
    freeze_day: int | None = None  # whitelisted mint/redeem frozen for 14 days
    float_panic: bool = False  # the AID float sells 10%/day for two days at the freeze


SCENARIOS: dict[str, CreditStress] = {
    s.name: s
    for s in (
        CreditStress("credit-base", "GPU index from its free process, no shock (reference)"),
        CreditStress(
            "gpu-rental-collapse",
            "index $2.35 -> $1.50-1.70 in 6 months, held 12; one -25% launch; utilisation 85% -> 55%",
            index="collapse",
            util_to=0.55,
        ),
        CreditStress(
            "default-wave",
            "one-factor correlated defaults: rho 0.6, 12-month PD 25% (h0 2.37%/month)",
            rho=0.6,
            h0=1.0 - 0.75 ** (1.0 / 12.0),
        ),
        CreditStress(
            "redemption-run",
            "the rental collapse plus a run: 20% of sAID NAV requested in 48 h in month 3",
            index="collapse",
            util_to=0.55,
            run_month=3,
        ),
        CreditStress(
            "tbill-yield-drop", "T-bill yield 4.15% -> 0.50% from month 1", tbill_drop_bps=50
        ),
        CreditStress(
            "regulatory-freeze",
            "whitelisted mint/redeem frozen 14 days from day 45; the AID float panics",
            freeze_day=45,
            float_panic=True,
        ),
    )
}


@dataclass(frozen=True, slots=True)
class GpuDrivers:
    """One path of the GPU economy, monthly: what both credit designs face on that path."""

    bp: BorrowerParams
    idx: IndexPaths
    util: np.ndarray
    latent: np.ndarray  # (months, deals): the one-factor default variable
    value: np.ndarray  # V(t) / V0 of GPUs new at month 0


def gpu_drivers(sc: CreditStress, rng: np.random.Generator) -> GpuDrivers:
    """Draw the path's index, utilisation, default variables and collateral values (in that order,
    so the Gaib and USD.AI paths of one seed see the same GPU economy)."""
    m = sc.months
    if sc.index == "collapse":
        idx = collapse_index_paths(rng, 1, m, low=sc.collapse_low)
    else:
        idx = rental_index_paths(rng, 1, m, IndexParams())
    util = utilisation_paths(rng, idx.regime)[0]
    if sc.util_to is not None:
        util = np.maximum(0.85 + (sc.util_to - 0.85) * np.clip(np.arange(m + 1) / 6, 0, 1), 0.05)
    latent = default_draws(rng, 1, m, sc.n_deals, sc.rho)[0]
    value = value_fraction_paths(idx, ex_launch_curve())[0]
    return GpuDrivers(BorrowerParams(rho=sc.rho, h0=sc.h0), idx, util, latent, value)


@dataclass(frozen=True, slots=True)
class GaibOutcome:
    """One path's measures (floats: reporting only)."""

    nav_withdrawal: tuple[float, ...]  # per month, AID per sAID
    nav_deposit: tuple[float, ...]
    metrics: dict[str, float] = field(default_factory=dict)


SAID_HOLDERS = (("inst-a", 0.30, True), ("inst-b", 0.20, True), ("retail-a", 0.20, False),
           ("retail-b", 0.15, False), ("retail-c", 0.15, False))  # fmt: skip


class GaibPath:
    """The world and agents of one path (see module docstring)."""

    def __init__(
        self,
        sc: CreditStress,
        drv: GpuDrivers,
        chain: Chain | None = None,
        stable: str | None = None,
    ) -> None:
        """Build on ``chain`` (a lab world's, whose ``stable`` token exists and whose pool is
        attached later by ``attach_pool``), or on a fresh chain with its own USDC and pool; the
        path faces the GPU economy ``drv`` (``gpu_drivers``)."""
        self.sc = sc
        self.bp, self.idx, self.util = drv.bp, drv.idx, drv.util
        self.latent, self.value = drv.latent, drv.value
        own = chain is None
        c = self.chain = Chain(keep_log=False) if chain is None else chain
        if own:
            c.ledger.create_token("USDC", 6)
        st = self.stable = "USDC" if stable is None else stable
        self.to18: int = 10 ** (18 - c.ledger.token(st).decimals)
        g = self.gov = c.root
        self.aid = Aid(c, (st,), tbill_rate_bps=sc.tbill_bps)
        self.vault = SaidVault(c)
        self.book = DealBook(c, "AID", self.vault.account)
        self.vault.attach(self.book)
        pool_usd = sc.fund_usd // 5
        self.whitelist("lp", "arb", "payer", "buyer", "gpu-vendor", "gpu-operators")
        self.whitelist(*(h for h, _, w in SAID_HOLDERS if w))
        for h, share, _ in SAID_HOLDERS:
            self.mint_aid("payer", int(sc.fund_usd * share) * WAD, h)
            self.vault.deposit(c.ledger.balance_of("AID", h), sender=h)
        self.mint_aid("lp", 2 * pool_usd * WAD)
        c.transfer("AID", "float", pool_usd * WAD, sender="lp")
        c.ledger.mint(st, "arb", pool_usd * WAD // self.to18)
        self.pool: PoolLike | None = None
        if own:
            c.ledger.mint(st, "lp", pool_usd * WAD // self.to18)
            pool = AmmFactory(c, name="gaib-amm").deploy_stableswap(("AID", st), 200, sender=g)
            pool.add_liquidity([pool_usd * WAD, pool_usd * WAD // self.to18], 0, sender="lp")
            self.pool = pool
        else:
            c.transfer(
                "AID", LAB_HOLDERS, pool_usd * WAD, sender="lp"
            )  # the lab world seeds its pool
        cash = c.ledger.balance_of(st, self.aid.reserve)
        for tenor in (30, 60, 90):  # 80% of the reserve in a ladder of bills
            self.aid.buy_tbills(st, cash * 8 // 30, tenor * DAY, sender=g)
        self.gpus: dict[int, int] = {}
        self.walked: dict[int, bool] = {}
        self.restart: dict[int, int] = {}
        self.marked: set[int] = set()
        deployed = sc.fund_usd * sc.deployed_bps // 10_000
        each = deployed // sc.n_deals
        for k in range(sc.n_deals):
            kind = "debt" if k % 20 < 12 else ("hybrid" if k % 20 < 17 else "equity")
            per_gpu = 13_600 if kind == "equity" else 22_500  # docs/gaib.md §5
            b = f"b{k}"
            self.whitelist(b)
            terms = DealTerms(
                kind, b, each * WAD, 36,
                coupon_bps=0 if kind == "equity" else (1500 if kind == "debt" else 1200),
                share_bps={"debt": 0, "hybrid": 2000, "equity": 7000}[kind],
                gpus=max(1, each // per_gpu),
            )  # fmt: skip
            did = self.book.originate(terms, sender=g)
            c.transfer("AID", "gpu-vendor", c.ledger.balance_of("AID", b), sender=b)
            self.gpus[did] = terms.gpus
            self.walked[did] = False
        self.requests: dict[tuple[int, str], tuple[int, int]] = {}  # -> (day, shares)
        self.filled_day: dict[tuple[int, str], int] = {}
        self.unfilled: dict[int, list[float]] = {30: [], 60: [], 90: []}
        self.exits: list[tuple[int, float, float]] = []  # (month index, exit NAV, shares)
        self.prices: list[float] = []
        self.nav_daily: list[float] = []
        self.shares_daily = [self.vault.total_supply() / WAD]  # the start, then after each day
        self.backed_min = math.inf
        self.nav_w = [self.vault.withdrawal_nav_wad() / WAD]
        self.nav_d = [self.vault.deposit_nav_wad() / WAD]
        self.first_loss = 0
        self.day = 0

    def attach_pool(self, pool: PoolLike) -> None:
        """Use ``pool`` (AID against the stablecoin) for the peg, sellers and the arbitrageur."""
        self.pool = pool

    def fully_backed(self) -> bool:
        """AID supply at or below the reserve's value now."""
        return self.aid.supply_wad <= self.aid.reserve_value_wad()

    # -- helpers --------------------------------------------------------------------------------
    def whitelist(self, *who: str) -> None:
        for w in who:
            self.aid.set_whitelist(w, True, sender=self.gov)

    def mint_aid(self, who: str, amount_wad: int, to: str = "") -> None:
        """Outside dollars enter as the stablecoin and become AID at the desk (``who`` whitelisted)."""
        units = amount_wad // self.to18
        if units:
            self.chain.ledger.mint(self.stable, who, units)
            self.aid.mint(self.stable, units, to, sender=who)

    def pool_price(self) -> float:
        if self.pool is None:
            return 1.0
        out: int = self.pool.quote_exact_in("AID", WAD, self.stable)
        return out * self.to18 / WAD

    # -- agents ---------------------------------------------------------------------------------
    def reserve_ops(self) -> None:
        aid, now = self.aid, self.chain.now
        for lot_id, lot in list(aid.lots.items()):
            if (lot.sale_price and now >= lot.settles_at) or (
                not lot.sale_price and now >= lot.maturity
            ):
                aid.settle(lot_id, sender=self.gov)
        supply, cash = aid.supply_wad, aid.cash_wad()
        if cash < supply // 10:
            unsold = sorted((lot.maturity, i) for i, lot in aid.lots.items() if not lot.sale_price)
            if unsold:
                aid.sell_tbills(unsold[0][1], sender=self.gov)
        elif cash > supply * 3 // 10:
            aid.buy_tbills(
                self.stable, (cash - supply // 5) // self.to18, 91 * DAY, sender=self.gov
            )

    def try_redeem(self, who: str) -> None:
        bal = self.chain.ledger.balance_of("AID", who)
        room = min(bal, self.aid.cash_wad())
        if room >= WAD and not self.aid.state.frozen:
            self.aid.redeem(self.stable, room, sender=who)

    def sell_on_pool(self, who: str, amount_wad: int) -> None:
        if amount_wad >= WAD and self.pool is not None:
            self.pool.swap_exact_in("AID", amount_wad, 0, sender=who, token_out=self.stable)

    def arbitrage(self) -> None:
        budget = self.chain.ledger.balance_of(self.stable, "arb")
        chunk = self.sc.fund_usd // 200 * WAD // self.to18
        pool = self.pool
        while (
            pool is not None
            and self.pool_price() < 0.999
            and budget >= chunk
            and not self.aid.state.frozen
        ):
            pool.swap_exact_in(self.stable, chunk, 0, sender="arb", token_out="AID")
            budget -= chunk
        self.try_redeem("arb")

    def month(self, m: int) -> None:
        sc, bp, book, ledger = self.sc, self.bp, self.book, self.chain.ledger
        if m == 1 and sc.tbill_drop_bps is not None:
            self.aid.file("tbill_rate_bps", sc.tbill_drop_bps, sender=self.gov)
        p, u = float(self.idx.price[0, m]), float(self.util[m])
        for k, did in enumerate(sorted(self.gpus)):
            d = book.deal(did)
            if d.status in ("repaid", "sold"):
                continue
            if not self.walked[did] and d.status != "recovery":
                dscr = d.last_dscr_wad / WAD
                h = (
                    bp.h0 * math.exp(bp.beta * max(0.0, 1.0 - dscr))
                    if d.reserve_wad == 0
                    else bp.h0
                )
                if self.latent[m - 1, k] < float(norm_ppf(min(h, 1.0))):
                    self.walked[did] = True
            gpus = self.gpus[did]
            util = u if did not in self.restart else 0.8 * u
            earning = not self.walked[did] and m >= self.restart.get(did, 0)
            rev = gpus * p * util * HOURS if earning else 0.0
            opex = gpus * bp.opex_per_gpu_hour * HOURS if earning else 0.0
            if rev > opex:
                self.mint_aid("payer", _wad(rev - opex), d.borrower)
            before = d.reserve_wad
            book.settle_month(did, _wad(rev), _wad(opex), sender=self.gov)
            self.first_loss += before - d.reserve_wad
            if d.status == "default":
                self.workout(did, m, p, u)
            leftover = ledger.balance_of("AID", d.borrower)
            if leftover:  # the operator keeps its margin (it leaves the system)
                self.chain.transfer("AID", "gpu-operators", leftover, sender=d.borrower)
        if self.aid.reserve_value_wad() > self.aid.supply_wad + WAD:
            self.aid.harvest(self.vault.account, sender=self.gov)

    def workout(self, did: int, m: int, p: float, u: float) -> None:
        d, book = self.book.deal(did), self.book
        v = int(d.collateral_wad * float(self.value[m])) // self.to18 * self.to18  # whole units
        net = v - v * d.sale_cost_bps // 10_000
        if did not in self.marked:
            book.mark_recovery(did, min(d.principal_wad, net + d.reserve_wad), sender=self.gov)
            self.marked.add(did)
        service = (d.payment_wad or d.original_wad // d.term_months) / WAD
        margin = self.gpus[did] * (p * 0.8 * u - self.bp.opex_per_gpu_hour) * HOURS
        if self.walked[did] and margin >= service and did not in self.restart:
            book.rehost(did, f"re{did}", sender=self.gov)
            self.whitelist(f"re{did}")
            self.walked[did] = False
            self.restart[did] = m + 2
        else:
            self.mint_aid("buyer", v)
            book.sell_collateral(did, v, "buyer", sender=self.gov)

    def requests_window(self, cycle: int, day_in: int) -> None:
        v, sc = self.vault, self.sc
        peak = max(self.nav_w)
        dd = max(0.0, 1.0 - self.nav_w[-1] / peak) if peak else 0.0
        frac = min(0.001 + 5.0 * dd / 7.0, 0.5)
        order = sorted(SAID_HOLDERS, key=lambda h: -v.balance_of(h[0]))
        run_left = 0
        if sc.run_month is not None and cycle == sc.run_month and day_in < 2:
            run_left = v.total_supply() // 10  # 10% of shares a day for two days
        for h, _, _ in order:
            bal = v.balance_of(h)
            shares = int(bal * frac)
            if run_left:
                extra = min(bal - shares, run_left)
                shares += extra
                run_left -= extra
            if shares >= WAD:
                v.request_redeem(shares, h, h, sender=h)
                self.requests.setdefault((cycle, h), (self.day, 0))
                d0, s0 = self.requests[(cycle, h)]
                self.requests[(cycle, h)] = (d0, s0 + shares)

    def process(self) -> None:
        v = self.vault
        ev = v.process_cycle(sender="keeper")
        if ev.filled_shares:
            self.exits.append((len(self.nav_w), ev.nav_wad / WAD, ev.filled_shares / WAD))
        for key, (d0, shares) in self.requests.items():
            pend = v.pending_redeem_request(*key)
            age = self.day - d0
            if pend == 0 and key not in self.filled_day:
                self.filled_day[key] = self.day
            for hz, acc in self.unfilled.items():
                if hz <= age < hz + 30:
                    acc.append(pend / shares)
        for h, _, wl in SAID_HOLDERS:
            if v.max_redeem(h):
                v.redeem(v.max_redeem(h), sender=h)
                if not wl:
                    self.sell_on_pool(h, self.chain.ledger.balance_of("AID", h))

    def step_day(self) -> None:
        sc, c = self.sc, self.chain
        self.day += 1
        day = self.day
        if sc.freeze_day is not None and day in (sc.freeze_day, sc.freeze_day + 14):
            self.aid.file("frozen", int(day == sc.freeze_day), sender=self.gov)
        self.reserve_ops()
        if day % 30 == 0:
            m = day // 30
            self.month(m)
            self.process()
            self.nav_w.append(self.vault.withdrawal_nav_wad() / WAD)
            self.nav_d.append(self.vault.deposit_nav_wad() / WAD)
        cycle, day_in = divmod(day, 30)
        if day_in < 7:
            self.requests_window(cycle, day_in)
        for h in ("gpu-vendor", "gpu-operators", *(h for h, _, wl in SAID_HOLDERS if wl)):
            self.try_redeem(h)  # vendors and operators want dollars, not AID
        price = self.pool_price()
        flt = c.ledger.balance_of("AID", "float")
        sell = flt * min(max(0.0, (1.0 - price) * 100 * 0.05), 0.5)
        if sc.float_panic and sc.freeze_day is not None and 0 <= day - sc.freeze_day < 2:
            sell = max(sell, flt * 0.10)
        self.sell_on_pool("float", int(sell))
        self.arbitrage()
        self.prices.append(self.pool_price())
        self.nav_daily.append(self.vault.withdrawal_nav_wad() / WAD)
        self.shares_daily.append(self.vault.total_supply() / WAD)
        self.backed_min = min(
            self.backed_min, (self.aid.reserve_value_wad() - self.aid.supply_wad) / WAD
        )

    def run(self) -> GaibOutcome:
        for _ in range(self.sc.months * 30):
            self.chain.advance(DAY)
            self.step_day()
        self.chain.check_conservation()
        return self.outcome()

    def exit_haircut(self, navs: np.ndarray) -> float:
        """Share-weighted ``1 - exit NAV / stayers' NAV one month later`` (> 0: the exit cost more
        than the month of income it forgoes, about 1% in the base case)."""
        num = den = 0.0
        for k, nav, shares in self.exits:
            ref = float(navs[min(k + 1, len(navs) - 1)])
            num += shares * (1.0 - nav / ref)
            den += shares
        return num / den if den else 0.0

    def outcome(self) -> GaibOutcome:
        sc, book = self.sc, self.book
        deployed = sc.fund_usd * sc.deployed_bps / 10_000
        navs = np.array(self.nav_w)
        peak = np.maximum.accumulate(navs)
        deals = list(book.deals.values())
        losses = [d.loss_wad / WAD for d in deals]
        waits = [self.filled_day.get(k, self.day) - d0 for k, (d0, _) in self.requests.items()]
        prices = np.array(self.prices)
        metrics = {
            "nav_end": float(navs[-1]),
            "nav_drawdown": float(np.max(1.0 - navs / peak)),
            "realised_yield": float(
                realised_yield(np.array([navs[0], *self.nav_daily]), np.array(self.shares_daily))
            ),
            "principal_loss": float(max(0.0, 1.0 - navs.min())),
            "default_rate": sum(d.status in ("default", "sold", "recovery") for d in deals)
            / len(deals),
            "loss_first_reserve": self.first_loss / WAD / deployed,
            "loss_second_oc": sum(d.oc_used_wad for d in deals) / WAD / deployed,
            "loss_fund": (sum(losses) + book.writedown_wad() / WAD) / deployed,
            "loss_max_portfolio": max(losses) / (deployed / sc.n_deals),
            "queue_wait_p50_days": float(np.percentile(waits, 50)) if waits else 0.0,
            "queue_wait_p95_days": float(np.percentile(waits, 95)) if waits else 0.0,
            "exit_haircut_vs_stayers": self.exit_haircut(navs),
            "peg_min": float(prices.min()),
            "peg_time_below_099": float((prices < 0.99).mean()),
            "aid_fully_backed": float(self.backed_min >= 0.0),
            "gpu_low": float(self.idx.price[0].min()),
        }
        for hz, acc in self.unfilled.items():
            metrics[f"unfilled_after_{hz}d"] = float(np.mean(acc)) if acc else 0.0
        return GaibOutcome(tuple(self.nav_w), tuple(self.nav_d), metrics)


def run_gaib_path(sc: CreditStress, seed: np.random.SeedSequence | int) -> GaibOutcome:
    """One exact path of ``sc`` (same seed, same outcome bit for bit)."""
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    return GaibPath(sc, gpu_drivers(sc, np.random.default_rng(ss))).run()


def summarise(outcomes: list[GaibOutcome]) -> dict[str, tuple[float, float, float]]:
    """Per metric: (5%, median, 95%) over paths."""
    keys = outcomes[0].metrics.keys()
    out = {}
    for k in keys:
        xs = np.array([o.metrics[k] for o in outcomes])
        out[k] = tuple(float(q) for q in np.percentile(xs, [5, 50, 95]))
    return out  # type: ignore[return-value]


def with_low(sc: CreditStress, low: float) -> CreditStress:
    """The collapse scenario with its trough pinned at ``low`` $/GPU-hour."""
    return replace(sc, index="collapse", collapse_low=(low, low), name=f"{sc.name}@{low:.2f}")


def run_scenario(sc: CreditStress, n_paths: int, seed: int) -> list[GaibOutcome]:
    """``n_paths`` exact paths, path ``i`` seeded by ``SeedSequence(seed).spawn(n)[i]``."""
    return [run_gaib_path(sc, ss) for ss in np.random.SeedSequence(seed).spawn(n_paths)]


def critic_table(
    lows: tuple[float, ...] = (2.35, 2.0, 1.8, 1.65, 1.5, 1.3, 1.1, 0.9),
    n_paths: int = 8,
    seed: int = 7,
    target_yield: float = 0.40,
) -> list[dict[str, float]]:
    """One row per trough price of the S2 collapse: median realised yield, whether it meets the
    advertised target, median principal loss at the withdrawal NAV, and the worst AID peg and
    backing over the paths (docs/gaib.md §5.2)."""
    rows = []
    for low in lows:
        outs = run_scenario(with_low(SCENARIOS["gpu-rental-collapse"], low), n_paths, seed)
        ys = np.array([o.metrics["realised_yield"] for o in outs])
        loss = np.array([o.metrics["principal_loss"] for o in outs])
        rows.append(
            {
                "low_usd_per_gpu_hour": low,
                "realised_yield_p50": float(np.median(ys)),
                "pays_target": float(np.median(ys) >= target_yield),
                "principal_loss_p50": float(np.median(loss)),
                "fund_loss_p50": float(np.median([o.metrics["loss_fund"] for o in outs])),
                "peg_min": float(min(o.metrics["peg_min"] for o in outs)),
                "aid_fully_backed": float(min(o.metrics["aid_fully_backed"] for o in outs)),
            }
        )
    return rows
