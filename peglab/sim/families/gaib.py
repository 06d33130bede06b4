"""The Gaib GPU-credit family of the lab: ``[[system.gaib]]`` runs AID, sAID and the deal book.

One block (one AID per scenario) maps onto ``sim.gpu_credit.CreditStress``; the path is
``sim.gpu_credit.GaibPath`` built on the lab world's chain and stablecoin, its AID pool being the
scenario's ``[[system.pools]]`` entry that pairs AID with the stablecoin. Steps are one day: the
agents of one day run in the ``agents`` phase (docs/gaib.md §5); ``record`` stores the sAID
withdrawal NAV and the AID pool price. Scenario files: ``peglab/risk/library/gpu-*.toml``,
``default-wave``, ``redemption-run``, ``tbill-yield-drop``, ``regulatory-freeze``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

import numpy as np
from pydantic import Field

from ...units import BPS, DAY
from ..family import FamilyMetrics, MetricSpec, SeriesSpec, register_family
from ..gpu_credit import CreditStress, GaibPath
from ..results import report_grid
from ..scenario import Scenario
from ..scenario.fields import Model, PosDec, Prob
from ..world import World

__all__ = ["FAMILY", "GaibBlock", "GaibFamily", "GaibFamilyOutcome"]

SYMBOL = "AID"


class GaibBlock(Model):
    """One Gaib system (defaults: docs/gaib.md §5)."""

    symbol: Literal["AID"] = "AID"
    fund_usd: PosDec = Decimal(10_000_000)
    deals: int = Field(20, ge=1, le=500)
    deployed: Prob = Decimal("0.7")
    index: Literal["free", "collapse"] = "free"
    collapse_low_usd: tuple[PosDec, PosDec] = (Decimal("1.50"), Decimal("1.70"))
    utilisation_to: Prob | None = None
    rho: Prob = Decimal("0.3")
    hazard_per_month: Prob = Decimal("0.0025")
    tbill_apr: Prob = Decimal("0.0415")
    tbill_drop_apr: Prob | None = None
    run_month: int | None = Field(None, ge=1)
    freeze_day: int | None = Field(None, ge=1)
    float_panic: bool = False


def to_stress(b: GaibBlock, sc: Scenario) -> CreditStress:
    """The engine-level scenario of a block (months from the horizon)."""
    return CreditStress(
        name=sc.name,
        months=sc.n_steps // 30,
        n_deals=b.deals,
        fund_usd=int(b.fund_usd),
        deployed_bps=int(b.deployed * BPS),
        index=b.index,
        collapse_low=(float(b.collapse_low_usd[0]), float(b.collapse_low_usd[1])),
        util_to=None if b.utilisation_to is None else float(b.utilisation_to),
        rho=float(b.rho),
        h0=float(b.hazard_per_month),
        tbill_bps=int(b.tbill_apr * BPS),
        tbill_drop_bps=None if b.tbill_drop_apr is None else int(b.tbill_drop_apr * BPS),
        run_month=b.run_month,
        freeze_day=b.freeze_day,
        float_panic=b.float_panic,
    )


@dataclass(frozen=True)
class GaibFamilyOutcome:
    """The path's measures and per-step series (step 0 = the start)."""

    metrics: dict[str, float]
    nav: np.ndarray
    price: np.ndarray


class _Run:
    def __init__(self, block: GaibBlock, world: World, rng: np.random.Generator) -> None:
        assert world.stable is not None  # checked by GaibFamily.check
        self.w = world
        self.path = GaibPath(to_stress(block, world.sc), rng, world.chain, world.stable)
        world.issued.add(SYMBOL)

    def start(self) -> None:
        for p in self.w.sc.system.pools:
            if SYMBOL in p.coins and self.w.stable in p.coins and p.id in self.w.pools:
                self.path.attach_pool(self.w.pools[p.id])
                return

    def step(self, phase: str, k: int) -> None:
        if phase == "agents" and k > 0:
            self.path.step_day()

    def outcome(self) -> GaibFamilyOutcome:
        p = self.path
        assert p.aid.supply_wad <= p.aid.reserve_value_wad(), "AID supply above its reserve"
        res = p.outcome()
        nav = np.array([p.nav_w[0], *p.nav_daily])
        price = np.array([1.0, *p.prices])
        return GaibFamilyOutcome(dict(res.metrics), nav, price)


# engine metric -> (lab metric name, spec)
_METRICS: tuple[tuple[str, MetricSpec], ...] = (
    ("nav_drawdown", MetricSpec("said_nav_drawdown", "fraction",
        "largest fall of the sAID withdrawal NAV from its running peak",
        loss=True, headline=True, total="max", table=True, worst="max", hist=True)),
    ("principal_loss", MetricSpec("said_principal_loss", "fraction",
        "how far the withdrawal NAV fell below its start", loss=True, headline=True, total="max")),
    ("realised_yield", MetricSpec("said_realised_yield", "fraction/yr",
        "annualised growth of the withdrawal NAV", table=True, worst="min")),
    ("loss_fund", MetricSpec("deal_fund_loss", "fraction",
        "losses and write-downs borne by the fund / deployed capital", loss=True, table=True,
        worst="max")),
    ("loss_first_reserve", MetricSpec("deal_reserve_used", "fraction",
        "cash reserves drawn (first loss) / deployed capital")),
    ("loss_second_oc", MetricSpec("deal_oc_used", "fraction",
        "collateral proceeds used (second loss) / deployed capital")),
    ("loss_max_portfolio", MetricSpec("deal_worst_portfolio_loss", "fraction",
        "largest realised loss of one segregated portfolio / its principal")),
    ("default_rate", MetricSpec("deal_default_rate", "fraction", "deals that defaulted",
        table=True, worst="max")),
    ("queue_wait_p95_days", MetricSpec("said_queue_wait_p95", "days",
        "95th percentile of the wait from request to full fill", table=True, worst="max")),
    ("unfilled_after_30d", MetricSpec("said_unfilled_30d", "fraction",
        "share of requested shares still pending 30 days after the request")),
    ("exit_haircut_vs_stayers", MetricSpec("said_exit_haircut", "fraction",
        "1 - exit NAV / stayers' NAV a month later (share-weighted)")),
    ("peg_min", MetricSpec("aid_price_min", "USD", "lowest AID pool price",
        headline=True, total="min", table=True, worst="min")),
    ("peg_time_below_099", MetricSpec("aid_below_0.99", "fraction",
        "share of days AID traded below 0.99")),
    ("aid_fully_backed", MetricSpec("aid_fully_backed", "flag",
        "1 if AID supply stayed at or below its reserve every day", total="min")),
)  # fmt: skip


class GaibFamily:
    key = "gaib"
    label = "Gaib AID/sAID"
    block_type: Any = list[GaibBlock]
    metrics: tuple[MetricSpec, ...] = tuple(spec for _, spec in _METRICS)
    series: tuple[SeriesSpec, ...] = (
        SeriesSpec("said_nav", "AID/sAID", "sAID withdrawal NAV: fan chart", guides=(1.0,)),
        SeriesSpec("aid_price", "USD", "AID pool price: fan chart", guides=(1.0, 0.99)),
    )

    def check(self, block: list[GaibBlock], scenario: Scenario) -> set[str]:
        if len(block) != 1:
            raise ValueError("one [[system.gaib]] block per scenario (AID is one token)")
        if scenario.step != DAY:
            raise ValueError(
                f"the gaib family steps one day at a time: step must be 1d, not {scenario.step}s"
            )
        if scenario.n_steps < 60 or scenario.n_steps % 30:
            raise ValueError("the gaib horizon must be whole 30-day months, at least 2")
        stables = [a.symbol for a in scenario.assets if a.kind == "stable"]
        pooled = any(
            SYMBOL in p.coins and set(p.coins) & set(stables) for p in scenario.system.pools
        )
        if not stables or not pooled:
            raise ValueError("the gaib family needs a stable asset and a pool pairing AID with it")
        return {SYMBOL}

    def instances(self, block: list[GaibBlock]) -> list[str]:
        return [SYMBOL]

    def build(self, block: list[GaibBlock], world: World, rng: np.random.Generator) -> _Run:
        return _Run(block[0], world, rng)

    def float_outcome(self, block: Any, scenario: Scenario, prices: Any, rng: Any) -> None:
        return None

    def measure(
        self, block: list[GaibBlock], scenario: Scenario, outcome: GaibFamilyOutcome
    ) -> FamilyMetrics:
        grid = report_grid(scenario.n_steps)
        m = outcome.metrics
        return FamilyMetrics(
            per_instance={SYMBOL: {spec.name: m[key] for key, spec in _METRICS}},
            series={SYMBOL: {"said_nav": outcome.nav[grid], "aid_price": outcome.price[grid]}},
        )


FAMILY = register_family(GaibFamily())
