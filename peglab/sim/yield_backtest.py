"""Backtest of yield allocators on the exact engine: the same market paths for every allocator.

World (docs/yield-vaults.md §5). ``n_markets`` lending markets on one chain, alternating Aave
v3-style and Compound-style, each with an outside supplier and a rate-responsive borrower, plus
``n_term`` fixed-rate term deposits (the locked sleeve). One vault account holds idle USDC and
positions; holders own integer shares. Every protocol action is an engine transaction; floats
only decide (borrowers, allocators) and measure.

Exogenous paths, drawn once from the seed and shared by all allocators: per market a log random
walk of borrow demand and of outside supply, and the holders' daily deposits and redemption
requests. Each day:

1. the clock moves one day (interest accrues exactly);
2. outside suppliers move toward their path level (withdrawals limited by cash);
3. each borrower's target debt is ``D_t · (r_ref / r_now)^elasticity`` (demand falls as the
   borrow rate rises); it moves a quarter of the way toward it, within cash and a 99% utilisation cap;
   a *rate spike* pins one market's utilisation at 100% for a window (exits blocked);
4. holders deposit (shares at the current price, floored) and request redemptions, which join a
   FIFO queue served from idle cash, then from liquid markets, then from matured term deposits;
   a *vault run* adds a mass request on one day;
5. the allocator proposes; moves execute (withdrawals first, each limited by what the market
   allows), every transaction paying ``gas_usd`` out of idle cash.

Metrics per allocator: net APY of the share price, turnover (moved / mean NAV, annualised),
gas spent, worst drawdown of the share price, exit waits (mean and max days a request waited),
rebalances. ``compare`` runs several allocators plus the equal-weight and best-single-market
baselines on the same paths.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..errors import InvalidInput, PeglabError
from ..kernel import Chain
from ..protocols.lending import AaveMarket, CompoundMarket, LendingMarket, aave_params, jump_params
from ..protocols.lending.term import TermDeposit
from ..protocols.yieldvault import (
    AllocationState,
    ArmaOptimizer,
    Constraints,
    EqualWeight,
    FlatCurve,
    InterstableRules,
    MarketView,
    Policy,
    SingleMarket,
    curve_of,
)
from ..units import DAY, RAY, WAD

__all__ = [
    "AllocatorResult",
    "BacktestConfig",
    "MarketPaths",
    "RateBorrower",
    "compare",
    "draw_paths",
    "make_market",
    "run_backtest",
]

USDC = 10**6
VAULT = "vault"


@dataclass(frozen=True)
class BacktestConfig:
    """A backtest's world; amounts in whole USD."""

    days: int = 120
    n_markets: int = 6
    n_term: int = 1
    capital_usd: int = 10_000_000
    market_size_usd: tuple[int, int] = (20_000_000, 200_000_000)
    borrow_vol: float = 0.04
    supply_vol: float = 0.03
    elasticity: float = 1.0
    gas_usd: int = 5
    flow_frac: float = 0.005
    term_rate: float = 0.07
    term_lock_days: int = 30
    spike: tuple[int, int, int] | None = None  # (market index, first day, days)
    run: tuple[int, float] | None = None  # (day, fraction of shares requested)
    seed: int = 1

    def __post_init__(self) -> None:
        if self.days < 1 or self.n_markets < 1 or self.capital_usd < 1:
            raise InvalidInput(
                "backtest/bad-config", f"days, markets and capital must be >= 1: {self}"
            )
        if self.spike is not None and not 0 <= self.spike[0] < self.n_markets:
            raise InvalidInput("backtest/bad-config", f"spike market out of range: {self.spike}")


@dataclass(frozen=True)
class MarketPaths:
    """The exogenous paths every allocator faces (floats; shape days × markets)."""

    supply0: np.ndarray
    util0: np.ndarray
    borrow_mult: np.ndarray
    supply_mult: np.ndarray
    deposits: np.ndarray
    redeem_frac: np.ndarray


def draw_paths(cfg: BacktestConfig) -> MarketPaths:
    """Draw the exogenous paths from ``cfg.seed`` (numpy SeedSequence; same seed, same paths)."""
    rng = np.random.default_rng(np.random.SeedSequence(cfg.seed))
    n, d = cfg.n_markets, cfg.days
    lo, hi = cfg.market_size_usd
    supply0 = rng.uniform(lo, hi, n)
    util0 = rng.uniform(0.5, 0.78, n)
    b = np.exp(np.cumsum(rng.normal(0, cfg.borrow_vol, (d, n)), axis=0))
    s = np.exp(np.cumsum(rng.normal(0, cfg.supply_vol, (d, n)), axis=0))
    deposits = rng.exponential(cfg.flow_frac * cfg.capital_usd, d)
    redeem = rng.exponential(cfg.flow_frac, d)
    return MarketPaths(supply0, util0, b, s, deposits, redeem)


@dataclass
class AllocatorResult:
    """What one allocator did on the paths."""

    name: str
    net_apy: float
    turnover: float
    gas_usd: float
    worst_drawdown: float
    exit_wait_mean_days: float
    exit_wait_max_days: int
    rebalances: int
    share_price: list[float] = field(default_factory=list)


class RateBorrower:
    """A borrower whose target debt falls with the borrow rate (elasticity), a quarter of the
    way per day (damped: a faster move oscillates around the kink)."""

    def __init__(self, m: LendingMarket, account: str, base_debt: int, elasticity: float) -> None:
        self.m, self.account, self.base, self.e = m, account, base_debt, elasticity
        self.r_ref = max(m.rates_ray()[1] / RAY, 1e-4)

    def act(self, mult: float, pin: bool) -> None:
        m, who = self.m, self.account
        owed = m.debt_of(who)
        if pin:
            target = owed + m.cash()
        else:
            r = max(m.rates_ray()[1] / RAY, 1e-4)
            target = int(self.base * mult * (self.r_ref / r) ** self.e)
        step = (target - owed) if pin else (target - owed) // 4
        try:
            if step > 0:
                cash, debt = m.cash(), m.total_debt()
                room = cash if pin else max(0, int((99 * (cash + debt) - 100 * debt) / 100))
                amount = min(step, room)
                if amount > 0:
                    m.borrow(amount, sender=who)
            elif step < 0 and owed:
                m.repay(min(-step, owed), sender=who)
        except PeglabError:
            pass  # a refused borrow (caps, health) leaves demand unmet today


def make_market(
    chain: Chain, k: int, asset: str, supply: int, util: float, elasticity: float
) -> tuple[LendingMarket, RateBorrower]:
    """Market ``k`` of a synthetic book (even: Aave v3-style ``aave<k>``, odd: Compound-style
    ``comp<k>``, rate parameters varied by ``k``), seeded with ``supply`` asset units by
    ``lp<k>`` (who holds 10x that) and a debt of ``util × supply`` by ``borrower<k>``, whose
    collateral token ``WETH`` (created if missing) is worth 2,000 times the debt."""
    if "WETH" not in chain.ledger.tokens:
        chain.ledger.create_token("WETH", 18)
    scale = 10 ** chain.ledger.token(asset).decimals
    if k % 2 == 0:
        model = aave_params(80 + 2 * (k % 6), 0, 300 + 50 * k % 400, 6000)
        m: LendingMarket = AaveMarket(
            chain, f"aave{k}", asset, "WETH", model, collateral_price_wad=2_000 * WAD
        )
    else:
        jm = jump_params(0, 350 + 40 * k % 300, 10_900, 80)
        m = CompoundMarket(chain, f"comp{k}", asset, "WETH", jm, collateral_price_wad=2_000 * WAD)
    lp, br = f"lp{k}", f"borrower{k}"
    chain.ledger.mint(asset, lp, 10 * supply)
    chain.ledger.mint("WETH", br, supply * WAD // scale)
    m.supply(supply, sender=lp)
    m.deposit_collateral(supply * WAD // scale, sender=br)
    debt = int(supply * util)
    m.borrow(debt, sender=br)
    return m, RateBorrower(m, br, debt, elasticity)


class _World:
    def __init__(self, cfg: BacktestConfig, paths: MarketPaths) -> None:
        self.cfg = cfg
        chain = Chain(keep_log=False)
        self.chain = chain
        chain.ledger.create_token("USDC", 6)
        self.markets: list[LendingMarket] = []
        self.borrowers: list[RateBorrower] = []
        self.outside: list[int] = []
        for k in range(cfg.n_markets):
            supply = int(paths.supply0[k]) * USDC
            m, borrower = make_market(
                chain, k, "USDC", supply, float(paths.util0[k]), cfg.elasticity
            )
            self.markets.append(m)
            self.borrowers.append(borrower)
            self.outside.append(supply)
        self.terms: list[TermDeposit] = []
        for j in range(cfg.n_term):
            rate = int(cfg.term_rate * 10_000) * RAY // 10_000 + j * RAY // 200
            td = TermDeposit(
                chain, f"term{j}", "USDC", rate, cfg.term_lock_days * DAY, f"sponsor{j}"
            )
            chain.ledger.mint("USDC", f"sponsor{j}", 10 * cfg.capital_usd * USDC)
            self.terms.append(td)
        chain.ledger.mint("USDC", VAULT, cfg.capital_usd * USDC)
        chain.ledger.mint("USDC", "holders", 10**9 * USDC)
        self.apr_hist: dict[str, deque[int]] = {}
        self.tvl_prev: dict[str, int] = {}

    def nav(self) -> int:
        v = self.chain.ledger.balance_of("USDC", VAULT)
        v += sum(m.supply_balance(VAULT) for m in self.markets)
        return v + sum(t.position(VAULT) for t in self.terms)

    def state(self, last_rebalance: int, outflow: int) -> AllocationState:
        gas = self.cfg.gas_usd * USDC
        views = []
        for m in self.markets:
            tvl = m.total_supplied()
            views.append(
                MarketView(
                    id=m.id,
                    protocol=m.style + m.id,
                    position=m.supply_balance(VAULT),
                    withdrawable=m.max_withdraw(VAULT),
                    market_supply=tvl,
                    utilisation_wad=m.utilisation_wad(),
                    apr_after=curve_of(m),
                    gas_per_tx=gas,
                    apr_history_ray=tuple(self.apr_hist.get(m.id, ())),
                    tvl_24h_ago=self.tvl_prev.get(m.id, 0),
                )
            )
        for t in self.terms:
            views.append(
                MarketView(
                    id=t.id,
                    protocol="term" + t.id,
                    position=t.position(VAULT),
                    withdrawable=t.withdrawable(VAULT),
                    market_supply=20 * self.cfg.capital_usd * USDC,
                    utilisation_wad=0,
                    apr_after=FlatCurve(t.rate_ray),
                    gas_per_tx=gas,
                    lock_s=t.lock_s,
                    apr_history_ray=(t.rate_ray,) * 7,
                )
            )
        idle = self.chain.ledger.balance_of("USDC", VAULT)
        return AllocationState(self.chain.now, idle, tuple(views), last_rebalance, outflow)

    def record_market_history(self) -> None:
        for m in self.markets:
            h = self.apr_hist.setdefault(m.id, deque(maxlen=7))
            h.append(m.rates_ray()[0])
            self.tvl_prev[m.id] = m.total_supplied()


def _pay_gas(world: _World) -> int:
    gas = world.cfg.gas_usd * USDC
    paid = min(gas, world.chain.ledger.balance_of("USDC", VAULT))
    if paid:
        world.chain.ledger.transfer("USDC", VAULT, "gas", paid)
    return paid


def _withdraw(world: _World, market_id: str, amount: int) -> int:
    """Take up to ``amount`` out of a market or term deposit; returns what came out."""
    for m in world.markets:
        if m.id == market_id:
            take = min(amount, m.max_withdraw(VAULT))
            if take > 0:
                m.withdraw(take, sender=VAULT)
            return take
    for t in world.terms:
        if t.id == market_id and t.withdrawable(VAULT):
            return t.redeem(sender=VAULT)
    return 0


def _supply(world: _World, market_id: str, amount: int) -> int:
    amount = min(amount, world.chain.ledger.balance_of("USDC", VAULT))
    if amount <= 0:
        return 0
    target: LendingMarket | TermDeposit | None = None
    for m in world.markets:
        if m.id == market_id:
            target = m
    for t in world.terms:
        if t.id == market_id:
            target = t
    if target is None:
        return 0
    try:
        if isinstance(target, TermDeposit):
            target.deposit(amount, sender=VAULT)
        else:
            target.supply(amount, sender=VAULT)
    except PeglabError:
        return 0
    return amount


def run_backtest(
    cfg: BacktestConfig, policy: Policy, paths: MarketPaths | None = None
) -> AllocatorResult:
    """Run one allocator on the paths (drawn from ``cfg.seed`` if not given)."""
    paths = draw_paths(cfg) if paths is None else paths
    w = _World(cfg, paths)
    chain = w.chain
    shares = cfg.capital_usd * USDC  # 1 share per USDC at the start
    queue: deque[list[int]] = deque()  # [day requested, shares left]
    waits: list[int] = []
    outflows: deque[int] = deque(maxlen=7)
    pps0 = w.nav() / shares
    prices = [pps0]
    nav_sum = 0.0
    moved = 0
    gas = 0
    rebalances = 0
    last_rebalance = chain.now
    w.record_market_history()
    for day in range(cfg.days):
        chain.advance(DAY)
        for k, m in enumerate(w.markets):
            level = int(w.outside[k] * paths.supply_mult[day, k])
            have = m.supply_balance(f"lp{k}")
            try:
                if level > have:
                    m.supply(level - have, sender=f"lp{k}")
                elif have - level > 0 and m.max_withdraw(f"lp{k}") > 0:
                    m.withdraw(min(have - level, m.max_withdraw(f"lp{k}")), sender=f"lp{k}")
            except PeglabError:
                pass
            pin = (
                cfg.spike is not None
                and cfg.spike[0] == k
                and (cfg.spike[1] <= day < cfg.spike[1] + cfg.spike[2])
            )
            w.borrowers[k].act(float(paths.borrow_mult[day, k]), pin)
        nav = w.nav()
        # holders: deposits at the current price, redemption requests into the FIFO queue
        dep = int(paths.deposits[day]) * USDC
        if dep and nav:
            chain.ledger.transfer("USDC", "holders", VAULT, dep)
            shares += dep * shares // nav
            nav += dep
        req = int(shares * float(paths.redeem_frac[day]))
        if cfg.run is not None and cfg.run[0] == day:
            req += int(shares * cfg.run[1])
        if req:
            queue.append([day, req])
        # serve the queue FIFO: idle first, then liquid markets, then matured term deposits
        need = sum(r[1] for r in queue) * nav // shares if shares else 0
        idle = chain.ledger.balance_of("USDC", VAULT)
        if need > idle:
            for v in sorted(
                w.state(last_rebalance, 0).markets, key=lambda v: (-v.withdrawable, v.id)
            ):
                if idle >= need:
                    break
                got = _withdraw(w, v.id, need - idle)
                if got:
                    idle += got
                    moved += got
                    gas += _pay_gas(w)
        nav = w.nav()
        served = 0
        while queue and nav and shares:
            want = queue[0][1]
            pay_cap = chain.ledger.balance_of("USDC", VAULT)
            assets = want * nav // shares
            if assets <= pay_cap:
                chain.ledger.transfer("USDC", VAULT, "holders", assets)
                shares -= want
                nav -= assets
                served += assets
                waits.append(day - queue[0][0])
                queue.popleft()
            else:
                part = pay_cap * shares // nav
                if part:
                    paid = part * nav // shares
                    chain.ledger.transfer("USDC", VAULT, "holders", paid)
                    shares -= part
                    nav -= paid
                    served += paid
                    queue[0][1] -= part
                break
        outflows.append(served)
        p95 = int(np.percentile(list(outflows), 95)) if outflows else 0
        # the allocator
        proposal = policy.propose(w.state(last_rebalance, p95))
        if proposal.rebalance:
            rebalances += 1
            last_rebalance = chain.now
            for mv in proposal.moves:
                got = (
                    _withdraw(w, mv.market, -mv.amount)
                    if mv.amount < 0
                    else _supply(w, mv.market, mv.amount)
                )
                if got:
                    moved += got
                    gas += _pay_gas(w)
        w.record_market_history()
        nav = w.nav()
        nav_sum += nav
        prices.append(nav / shares if shares else prices[-1])
    chain.check_conservation()  # every token's balances still sum to its supply
    years = cfg.days / 365
    apy = (prices[-1] / prices[0]) ** (1 / years) - 1
    peak, worst = prices[0], 0.0
    for p in prices:
        peak = max(peak, p)
        worst = max(worst, 1 - p / peak)
    waits_all = waits + [cfg.days - r[0] for r in queue]
    return AllocatorResult(
        name=policy.name,
        net_apy=apy,
        turnover=moved / (nav_sum / cfg.days) / years if nav_sum else 0.0,
        gas_usd=gas / USDC,
        worst_drawdown=worst,
        exit_wait_mean_days=float(np.mean(waits_all)) if waits_all else 0.0,
        exit_wait_max_days=max(waits_all) if waits_all else 0,
        rebalances=rebalances,
        share_price=prices,
    )


def default_allocators(cfg: BacktestConfig) -> list[Policy]:
    """The ARMA-style optimiser (5% idle buffer, term deposits capped at 30%) and the rules."""
    terms = {f"term{j}": 0.3 for j in range(cfg.n_term)}
    opt = ArmaOptimizer(
        constraints=Constraints(max_ratio=terms),
        idle_buffer_bps=500,
        min_gain_abs=5 * USDC,
        steps=200,
    )
    return [opt, InterstableRules()]


def compare(
    cfg: BacktestConfig,
    allocators: Sequence[Policy] | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[AllocatorResult]:
    """Every allocator, equal weight and the best single lending market, on the same paths.

    The best single market is chosen in hindsight (highest net APY among all-in-one runs).
    """
    paths = draw_paths(cfg)
    policies = list(default_allocators(cfg) if allocators is None else allocators)
    out = []
    runs: list[Policy] = [*policies, EqualWeight()]
    for p in runs:
        if progress:
            progress(p.name)
        out.append(run_backtest(cfg, p, paths))
    singles = []
    for k in range(cfg.n_markets):
        mid = f"aave{k}" if k % 2 == 0 else f"comp{k}"
        r = run_backtest(cfg, SingleMarket(mid), paths)
        r.name = f"best-single ({mid})"
        singles.append(r)
    out.append(max(singles, key=lambda r: (r.net_apy, r.name)))
    for r in out:
        if not math.isfinite(r.net_apy):
            raise InvalidInput("backtest/non-finite", f"{r.name}: net APY is not finite")
    return out
