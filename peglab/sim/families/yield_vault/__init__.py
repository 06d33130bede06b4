"""The yield-vault family of the lab: ``[[system.yield_vaults]]`` runs an alUSD-style vault, an AI
dollar that lends against its shares, and loopers (docs/yield-vaults.md §8).

One block (one vault per scenario) maps onto ``YieldParams``; the path is ``YieldPath`` on the
lab world's chain and reference stablecoin, its AI dollar's pool being the scenario's
``[[system.pools]]`` entry that pairs the AI dollar with the stablecoin. Steps are one day. Every
agent threshold is a field of the block (defaults: docs/yield-vaults.md §8.2). Scenario files:
``peglab/risk/library/rate-spike.toml`` and ``vault-run.toml``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

import numpy as np
from pydantic import Field

from ....units import DAY
from ...agents.looping import LoopParams
from ...family import (
    FamilyMetrics,
    MetricSpec,
    SeriesSpec,
    VectorBatch,
    VectorResult,
    register_family,
)
from ...results import report_grid
from ...scenario import Scenario
from ...scenario.fields import Duration, Model, NonNegDec, PosDec, Prob, Ratio, Symbol
from ...world import World
from .path import YieldParams, YieldPath
from .vector import run_yield_batch

__all__ = ["FAMILY", "YieldVaultBlock", "YieldVaultFamily", "YieldVaultOutcome"]


class Markets(Model):
    """The lending markets and term deposits under the vault."""

    count: int = Field(default=4, ge=1, le=20)
    size_usd: tuple[PosDec, PosDec] = (Decimal(200_000_000), Decimal(600_000_000))
    utilisation: tuple[Prob, Prob] = (Decimal("0.72"), Decimal("0.86"))
    borrow_vol: NonNegDec = Decimal("0.03")
    supply_vol: NonNegDec = Decimal("0.02")
    elasticity: NonNegDec = Decimal(1)
    terms: int = Field(default=1, ge=0, le=5)
    term_apr: Prob = Decimal("0.09")
    term_lock: Duration = 30 * DAY


class Dollar(Model):
    """The AI dollar that lends against the vault's shares (its ``<share>-A`` collateral)."""

    mat: Ratio = Decimal("1.08")
    chop: Ratio = Decimal("1.05")
    fee_apr: Prob = Decimal("0.02")
    line_usd: PosDec = Decimal(1_000_000_000)
    base_debt_usd: NonNegDec = Decimal(20_000_000)
    psm_line_usd: PosDec = Decimal(100_000_000)
    psm_inventory_usd: NonNegDec = Decimal(40_000_000)
    psm_fee_bps: int = Field(default=10, ge=0, le=1000)
    arb_budget_usd: NonNegDec = Decimal(5_000_000)


class Loopers(Model):
    """The looping agents and their thresholds (``sim.agents.looping.LoopParams``)."""

    count: int = Field(default=10, ge=0, le=200)
    capital_usd: PosDec = Decimal(1_000_000)
    target_leverage: Ratio = Field(default=Decimal(5), le=50)
    min_spread: Decimal = Decimal(0)
    nav_drop: PosDec = Decimal("0.01")
    health_buffer: NonNegDec = Decimal("0.03")
    relever_gap: NonNegDec = Decimal("0.005")
    max_slippage_bps: int = Field(default=30, ge=0, le=10_000)
    max_unwind_premium_bps: int = Field(default=300, ge=0, le=10_000)
    apy_lookback: Duration = 7 * DAY


class Keeper(Model):
    """The liquidation keeper of the share collateral."""

    margin: Prob = Decimal("0.02")
    wait_cost_apr: NonNegDec = Decimal("0.5")
    inventory_usd: NonNegDec = Decimal(10_000_000)


class RateSpike(Model):
    """A lending market's utilisation pinned at 100% (exits blocked) for ``duration``."""

    at: Duration
    duration: Duration = 14 * DAY
    market: int | None = Field(default=None, ge=0)  # None: the vault's largest lending position
    fee_apr: Prob | None = None  # the AI dollar's stability fee while the spike lasts


class Run(Model):
    """Holders ask for ``fraction`` of their shares back on one day (new deposits stop)."""

    at: Duration
    fraction: Prob = Decimal("0.3")


class Exploit(Model):
    """A strategy exploit takes ``fraction`` of NAV out of the safe on one day."""

    at: Duration
    fraction: Prob = Decimal("0.05")


class YieldVaultBlock(Model):
    """One yield-vault system (defaults: docs/yield-vaults.md §8.2)."""

    share: Symbol = "alUSD"
    dollar: Symbol = "yUSD"
    capital_usd: PosDec = Decimal(50_000_000)
    allocator: Literal["rules", "optimizer"] = "rules"
    deposit_frac: Prob = Decimal("0.002")
    redeem_frac: Prob = Decimal("0.002")
    management_bps: int = Field(default=100, ge=0, le=1000)
    performance_bps: int = Field(default=1000, ge=0, le=5000)
    markets: Markets = Markets()
    ai_dollar: Dollar = Dollar()
    loopers: Loopers = Loopers()
    keeper: Keeper = Keeper()
    rate_spike: RateSpike | None = None
    run: Run | None = None
    exploit: Exploit | None = None


def _day(seconds: int) -> int:
    return seconds // DAY


def to_params(b: YieldVaultBlock) -> YieldParams:
    """The engine-level parameters of a block (durations in whole days)."""
    m, d, lp, k = b.markets, b.ai_dollar, b.loopers, b.keeper
    loop = LoopParams(
        target_leverage=float(lp.target_leverage), min_spread=float(lp.min_spread),
        nav_drop=float(lp.nav_drop), health_buffer=float(lp.health_buffer),
        relever_gap=float(lp.relever_gap), max_slippage_bps=lp.max_slippage_bps,
        max_unwind_premium_bps=lp.max_unwind_premium_bps,
        apy_lookback_days=max(1, _day(lp.apy_lookback)),
    )  # fmt: skip
    sp, run, ex = b.rate_spike, b.run, b.exploit
    return YieldParams(
        share=b.share, dollar=b.dollar, capital_usd=int(b.capital_usd), n_markets=m.count,
        market_size_usd=(int(m.size_usd[0]), int(m.size_usd[1])),
        util0=(float(m.utilisation[0]), float(m.utilisation[1])),
        borrow_vol=float(m.borrow_vol), supply_vol=float(m.supply_vol),
        elasticity=float(m.elasticity), n_term=m.terms, term_rate=float(m.term_apr),
        term_lock_days=max(1, _day(m.term_lock)), allocator=b.allocator,
        deposit_frac=float(b.deposit_frac), redeem_frac=float(b.redeem_frac),
        management_bps=b.management_bps, performance_bps=b.performance_bps,
        mat=str(d.mat), chop=str(d.chop), fee_apr=str(d.fee_apr), line_usd=int(d.line_usd),
        base_debt_usd=int(d.base_debt_usd), psm_line_usd=int(d.psm_line_usd),
        psm_inventory_usd=int(d.psm_inventory_usd), psm_fee_bps=d.psm_fee_bps,
        arb_budget_usd=int(d.arb_budget_usd), loopers=lp.count,
        looper_capital_usd=int(lp.capital_usd), loop=loop,
        keeper_inventory_usd=int(k.inventory_usd), keeper_margin=float(k.margin),
        keeper_wait_cost_apr=float(k.wait_cost_apr),
        spike_market=None if sp is None else sp.market,
        spike_day=None if sp is None else _day(sp.at),
        spike_days=14 if sp is None else max(1, _day(sp.duration)),
        spike_fee_apr=None if sp is None or sp.fee_apr is None else str(sp.fee_apr),
        run_day=None if run is None else _day(run.at),
        run_frac=0.0 if run is None else float(run.fraction),
        loss_day=None if ex is None else _day(ex.at),
        loss_frac=0.0 if ex is None else float(ex.fraction),
    )  # fmt: skip


@dataclass(frozen=True)
class YieldVaultOutcome:
    """The path's measures and per-step series (step 0 = the start)."""

    metrics: dict[str, float]
    pps: np.ndarray
    peg: np.ndarray
    leverage: np.ndarray


class _Run:
    def __init__(self, block: YieldVaultBlock, world: World, rng: np.random.Generator) -> None:
        assert world.stable is not None  # checked by YieldVaultFamily.check
        self.w = world
        self.block = block
        self.path = YieldPath(to_params(block), world.chain, world.stable, world.sc.n_steps, rng)
        world.issued.update({block.share, block.dollar})

    def start(self) -> None:
        b, w = self.block, self.w
        for p in w.sc.system.pools:
            if set(p.coins) == {b.dollar, w.stable} and p.id in w.pools:
                self.path.attach_pool(w.pools[p.id])
                return
        raise AssertionError(f"no seeded pool pairs {b.dollar} with {w.stable}")

    def step(self, phase: str, k: int) -> None:
        if k == 0:
            return
        p = self.path
        if phase == "operate":
            p.operate(k)
        elif phase == "agents":
            p.agents(k)
        elif phase == "market":
            p.market(k)
        elif phase == "record":
            p.record(k)

    def outcome(self) -> YieldVaultOutcome:
        p = self.path
        errs = p.dollar.invariant_errors()
        assert not errs, f"{p.p.dollar}: engine invariants broken in a run: {errs}"
        assert p.dollar.balance_sheet().balanced, f"{p.p.dollar}: balance sheet does not balance"
        return YieldVaultOutcome(
            p.measures(), np.array(p.pps), np.array(p.peg), np.array(p.leverage)
        )


# ``agree``: how far the vectorised model's mean over common paths may lie from the exact
# engine's (docs/scale.md "Vectorised models: yield vaults", stated before any cross-validation)
_METRICS: tuple[MetricSpec, ...] = (
    MetricSpec("vault_nav_drawdown", "fraction",
        "largest fall of the vault's price per share from its running peak",
        loss=True, headline=True, total="max", table=True, worst="max", hist=True,
        agree=(0.001, 0.02)),
    MetricSpec("vault_realised_apy", "fraction/yr", "annualised growth of the price per share",
        table=True, worst="min", agree=(0.002, 0.05)),
    MetricSpec("vault_exit_wait_max", "days",
        "longest wait from a redemption request to its settlement (open ones to the horizon)",
        loss=True, headline=True, total="max", table=True, worst="max", agree=(0.5, 0.1)),
    MetricSpec("vault_exit_wait_p95", "days",
        "95th percentile (share-weighted) of redemption waits", agree=(0.5, 0.1)),
    MetricSpec("vault_unserved", "fraction",
        "share of requested shares not settled at the horizon", loss=True,
        agree=(0.002, 0.1)),
    MetricSpec("dollar_bad_debt", "USD",
        "debt liquidations did not recover (running auctions' lots at NAV)",
        loss=True, headline=True, total="sum", table=True, worst="max", hist=True,
        agree=(50_000.0, 0.25)),
    MetricSpec("dollar_price_min", "USD", "lowest pool price of the AI dollar",
        headline=True, total="min", table=True, worst="min", agree=(0.001, 0.0)),
    MetricSpec("dollar_peg_dev_max", "fraction", "largest |pool price − 1| of the AI dollar",
        loss=True, agree=(0.002, 0.1)),
    MetricSpec("loopers_liquidated", "fraction", "loopers whose CDP vault was liquidated",
        loss=True, table=True, worst="max", agree=(0.05, 0.1)),
    MetricSpec("loopers_unwound", "fraction", "loopers that started to unwind", agree=(0.05, 0.1)),
    MetricSpec("loop_leverage_max", "x", "highest mean leverage of the loopers", agree=(0.05, 0.02)),
    MetricSpec("looper_return", "fraction", "loopers' equity at the horizon / capital − 1",
        table=True, worst="min", agree=(0.005, 0.05)),
)  # fmt: skip


class YieldVaultFamily:
    key = "yield_vaults"
    label = "yield vault"
    block_type: Any = list[YieldVaultBlock]
    metrics: tuple[MetricSpec, ...] = _METRICS
    series: tuple[SeriesSpec, ...] = (
        SeriesSpec("vault_pps", "asset/share", "vault price per share: fan chart"),
        SeriesSpec("dollar_price", "USD", "AI dollar pool price: fan chart", guides=(1.0, 0.99)),
        SeriesSpec("loop_leverage", "x", "loopers' mean leverage: fan chart"),
    )

    def check(self, block: list[YieldVaultBlock], scenario: Scenario) -> set[str]:
        if len(block) != 1:
            raise ValueError("one [[system.yield_vaults]] block per scenario")
        b = block[0]
        if scenario.step != DAY:
            raise ValueError(
                f"the yield_vaults family steps one day at a time: step must be 1d, not {scenario.step}s"
            )
        if b.share == b.dollar:
            raise ValueError("the vault share and the AI dollar need different symbols")
        stables = [a.symbol for a in scenario.assets if a.kind == "stable"]
        if not stables:
            raise ValueError("the yield_vaults family needs a stable asset (the vault's asset)")
        pooled = any(set(p.coins) == {b.dollar, stables[0]} for p in scenario.system.pools)
        if not pooled:
            raise ValueError(
                f"the yield_vaults family needs a pool pairing {b.dollar} with {stables[0]}"
            )
        for name, shock in (("rate_spike", b.rate_spike), ("run", b.run), ("exploit", b.exploit)):
            if shock is not None and not DAY <= shock.at < scenario.horizon:
                raise ValueError(f"{name}.at must lie within the horizon, after day 0")
        if (
            b.rate_spike
            and b.rate_spike.market is not None
            and b.rate_spike.market >= b.markets.count
        ):
            raise ValueError("rate_spike.market must index one of the markets")
        return {b.share, b.dollar}

    def instances(self, block: list[YieldVaultBlock]) -> list[str]:
        return [block[0].share]

    def build(self, block: list[YieldVaultBlock], world: World, rng: np.random.Generator) -> _Run:
        return _Run(block[0], world, rng)

    def vector_outcomes(
        self, block: list[YieldVaultBlock], scenario: Scenario, batch: VectorBatch
    ) -> VectorResult | None:
        """The batch on the vectorised model (``vector.run_yield_batch``; docs/scale.md
        "Vectorised models: yield vaults"), with either allocator."""
        b = block[0]
        res = run_yield_batch(to_params(b), scenario, batch)
        outcomes = [
            YieldVaultOutcome(
                {k: float(v[p]) for k, v in res.metrics.items()},
                res.pps[p].copy(), res.peg[p].copy(), res.lev[p].copy(),
            )
            for p in range(batch.paths)
        ]  # fmt: skip
        return VectorResult(outcomes, reserves=res.reserves.series)

    def measure(
        self, block: list[YieldVaultBlock], scenario: Scenario, outcome: YieldVaultOutcome
    ) -> FamilyMetrics:
        grid = report_grid(scenario.n_steps)
        inst = block[0].share
        m = outcome.metrics
        return FamilyMetrics(
            per_instance={inst: {spec.name: m[spec.name] for spec in _METRICS}},
            series={
                inst: {
                    "vault_pps": outcome.pps[grid],
                    "dollar_price": outcome.peg[grid],
                    "loop_leverage": outcome.leverage[grid],
                }
            },
        )


FAMILY = register_family(YieldVaultFamily())
