"""What the two GPU-credit families of the lab share: block fields, the GPU economy, the run, the
measures and the critic's table (docs/usdai.md §9, docs/gaib.md §5).

Gaib (``[[system.gaib]]``) and USD.AI (``[[system.usdai]]``) are one mechanism with two
protocol paths: a block maps onto ``sim.gpu_credit.CreditStress``; the path
(``GaibPath`` or ``UsdaiPath``) is built on the lab world's chain and stablecoin, its peg-token pool
is the scenario's ``[[system.pools]]`` entry pairing the token with the stablecoin, and the agents
of one day run in the ``agents`` phase. Both paths of one scenario face the SAME GPU economy: the
first family to build draws it (``gpu_drivers``) and leaves it on ``world.shared`` under its GPU
parameters; a family whose block has the same GPU parameters reuses it, so Gaib deals and USD.AI
loans see the same rents, utilisation, default variables and collateral values.

``credit_table`` is the report's first table: per design, the highest GPU-index trough of a path
on which it missed its advertised yield, lost principal, or broke its peg, and the medians per
band of troughs.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, Protocol

import numpy as np
from pydantic import Field

from ...units import BPS, DAY
from ..family import FamilyMetrics, MetricSpec, ReportTable, SeriesSpec, VectorBatch, VectorResult
from ..gpu_credit import CreditStress, GaibOutcome, GpuDrivers, PoolLike, gpu_drivers
from ..results import report_grid
from ..scenario import Scenario
from ..scenario.fields import Model, PosDec, Prob
from ..world import World

__all__ = [
    "AGREE_LOSS",
    "AGREE_SHARE",
    "CreditBlock",
    "CreditFamily",
    "CreditOutcome",
    "CreditPath",
    "credit_table",
    "shared_drivers",
    "to_stress",
]


class CreditBlock(Model):
    """The GPU economy and the stress of one credit system (defaults: docs/gaib.md §5)."""

    fund_usd: PosDec = Decimal(10_000_000)
    deals: int = Field(20, ge=1, le=500)
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
    target_apr: Prob  # the advertised yield the critic's table measures against


def to_stress(b: CreditBlock, sc: Scenario, deployed_bps: int = 7_000) -> CreditStress:
    """The engine-level scenario of a block (months from the horizon)."""
    return CreditStress(
        name=sc.name,
        months=sc.n_steps // 30,
        n_deals=b.deals,
        fund_usd=int(b.fund_usd),
        deployed_bps=deployed_bps,
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


def shared_drivers(world: World, sc: CreditStress, rng: np.random.Generator) -> GpuDrivers:
    """The path's GPU economy for ``sc``: drawn once per set of GPU parameters and shared by
    every credit family of the world (module docstring)."""
    key = ("gpu-drivers", sc.months, sc.n_deals, sc.index, sc.collapse_low, sc.util_to, sc.rho,
           sc.h0)  # fmt: skip
    drv = world.shared.get(key)
    if drv is None:
        drv = world.shared[key] = gpu_drivers(sc, rng)
    assert isinstance(drv, GpuDrivers)
    return drv


class CreditPath(Protocol):
    """A credit protocol path as the lab drives it (``GaibPath``, ``UsdaiPath``)."""

    prices: list[float]
    nav_daily: list[float]
    nav_w: list[float]

    def attach_pool(self, pool: PoolLike) -> None: ...

    def step_day(self) -> None: ...

    def outcome(self) -> GaibOutcome: ...

    def fully_backed(self) -> bool: ...


@dataclass(frozen=True)
class CreditOutcome:
    """The path's measures and per-step series (step 0 = the start)."""

    metrics: dict[str, float]
    nav: np.ndarray
    price: np.ndarray


class _Run:
    def __init__(self, path: CreditPath, world: World, symbol: str) -> None:
        self.w, self.path, self.symbol = world, path, symbol
        world.issued.add(symbol)

    def start(self) -> None:
        for p in self.w.sc.system.pools:
            if self.symbol in p.coins and self.w.stable in p.coins and p.id in self.w.pools:
                self.path.attach_pool(self.w.pools[p.id])
                return

    def step(self, phase: str, k: int) -> None:
        if phase == "agents" and k > 0:
            self.path.step_day()

    def outcome(self) -> CreditOutcome:
        p = self.path
        assert p.fully_backed(), f"{self.symbol} supply above its reserve"
        res = p.outcome()
        nav = np.array([p.nav_w[0], *p.nav_daily])
        price = np.array([1.0, *p.prices])
        return CreditOutcome(dict(res.metrics), nav, price)


# How far the vectorised model's mean over common paths may lie from the exact engine's,
# (abs, rel): |mean_vec - mean_exact| <= abs + rel * |mean_exact| (docs/scale.md "Vectorised
# models: GPU credit and yield vaults", stated before the cross-validation was measured).
AGREE_LOSS = (0.002, 0.02)  # NAV drawdown, principal and deal/tranche losses (fractions)
AGREE_YIELD = (0.001, 0.01)  # realised yield and yield gap (10 bps a year)
AGREE_WAIT = (1.0, 0.05)  # queue waits (days)
AGREE_PEG = (0.0005, 0.0)  # lowest pool price (USD)
AGREE_SHARE = (0.01, 0.0)  # shares of days, of deals, of paths (fully backed)
AGREE_SAME = (1e-12, 0.0)  # drawn from the same generator: identical

GPU_LOW = MetricSpec(
    "gpu_low", "USD/GPU-h", "lowest monthly GPU rental index of the path", agree=AGREE_SAME
)


def common_metrics(vault: str, token: str, exit_price: str) -> tuple[tuple[str, MetricSpec], ...]:
    """The measures both designs report, named after the family's yield vault and peg token;
    ``exit_price`` names the vault's conservative price (what an exiting holder gets)."""
    V, T = exit_price, token
    return (
        ("nav_drawdown", MetricSpec(f"{vault}_nav_drawdown", "fraction",
            f"largest fall of the {V} from its running peak",
            loss=True, headline=True, total="max", table=True, worst="max", hist=True,
            agree=AGREE_LOSS)),
        ("principal_loss", MetricSpec(f"{vault}_principal_loss", "fraction",
            f"how far the {V} fell below its start", loss=True, headline=True,
            total="max", agree=AGREE_LOSS)),
        ("realised_yield", MetricSpec(f"{vault}_realised_yield", "fraction/yr",
            f"holders' capital-weighted yield at the {V}: total income / time-weighted capital, "
            "compounded daily (gpu_credit.realised_yield)", table=True, worst="min",
            agree=AGREE_YIELD)),
        ("yield_gap", MetricSpec(f"{vault}_yield_gap", "fraction/yr",
            "advertised yield minus the realised yield (> 0: below target)", loss=True,
            table=True, worst="max", agree=AGREE_YIELD)),
        ("queue_wait_p95_days", MetricSpec(f"{vault}_queue_wait_p95", "days",
            "95th percentile of the wait from request to full fill", table=True, worst="max",
            agree=AGREE_WAIT)),
        ("queue_wait_p50_days", MetricSpec(f"{vault}_queue_wait_p50", "days",
            "median wait from request to full fill", agree=AGREE_WAIT)),
        ("peg_min", MetricSpec(f"{T}_price_min", "USD", f"lowest {T} pool price",
            headline=True, total="min", table=True, worst="min", agree=AGREE_PEG)),
        ("peg_time_below_099", MetricSpec(f"{T}_below_0.99", "fraction",
            f"share of days {T} traded below 0.99", agree=AGREE_SHARE)),
        ("aid_fully_backed", MetricSpec(f"{T}_fully_backed", "flag",
            f"1 if {T} supply stayed at or below its reserve every day", total="min",
            agree=AGREE_SHARE)),
        ("gpu_low", GPU_LOW),
    )  # fmt: skip


def _highest(low: np.ndarray, mask: np.ndarray) -> str:
    return f"${low[mask].max():.2f}" if mask.any() else "none"


def _col(columns: list[str], data: np.ndarray, name: str) -> np.ndarray | None:
    return data[:, columns.index(name)] if name in columns else None


def credit_table(
    fams: list[tuple[Any, list[str]]], columns: list[str], data: np.ndarray
) -> ReportTable | None:
    """The critic's question, per design, from the run's paths: at which GPU-index trough does it
    stop paying its advertised yield, start losing principal (exit price below its start), break
    its peg (pool below 0.99 or supply above reserves)? Each threshold is the HIGHEST trough of a
    path on which it happened ("none" when no path did); then medians per band of troughs."""
    rows: list[list[str]] = []
    for fam, instances in fams:
        v, t = fam.vault, fam.symbol.lower()
        for inst in instances:
            cols = {k: _col(columns, data, f"{n}.{inst}") for k, n in (
                ("low", "gpu_low"), ("y", f"{v}_realised_yield"), ("gap", f"{v}_yield_gap"),
                ("loss", f"{v}_principal_loss"), ("peg", f"{t}_price_min"),
                ("backed", f"{t}_fully_backed"))}  # fmt: skip
            if any(c is None for c in cols.values()):
                continue
            c: dict[str, np.ndarray] = {k: x for k, x in cols.items() if x is not None}
            low = c["low"]
            target = float(np.nanmedian(c["y"] + c["gap"]))
            events = (c["gap"] > 0, c["loss"] > 0, (c["peg"] < 0.99) | (c["backed"] < 1))

            rows.append([f"{fam.label} ({inst})", "all", str(len(low)),
                         *(_highest(low, e) for e in events),
                         f"{np.median(c['y']):.1%} / {target:.0%}",
                         f"{np.median(c['loss']):.1%}", f"{c['peg'].min():.4f}"])  # fmt: skip
            edges = np.unique(np.quantile(low, [0.0, 1 / 3, 2 / 3, 1.0]))
            for a, b in itertools.pairwise(edges):
                sel = (low >= a) & ((low < b) | (b == edges[-1]))
                if not sel.any():
                    continue
                rows.append(["", f"${a:.2f}-{b:.2f}", str(int(sel.sum())),
                             f"{(c['gap'][sel] > 0).mean():.0%} of paths",
                             f"{(c['loss'][sel] > 0).mean():.0%} of paths",
                             f"{(events[2][sel]).mean():.0%} of paths",
                             f"{np.median(c['y'][sel]):.1%}", f"{np.median(c['loss'][sel]):.1%}",
                             f"{c['peg'][sel].min():.4f}"])  # fmt: skip
    if not rows:
        return None
    return ReportTable(
        title="At which GPU price path does each design stop paying its target, start losing "
        "principal, break its peg?",
        header=(
            "design",
            "GPU trough $/GPU-h",
            "paths",
            "misses target at trough <=",
            "loses principal at trough <=",
            "breaks peg at trough <=",
            "yield p50 / target",
            "principal loss p50",
            "peg-token pool min",
        ),
        rows=tuple(tuple(r) for r in rows),
        note="Trough: the lowest monthly GPU rental index of the path (H100-equivalent). A "
        "threshold is the highest trough of a path on which the event happened; band rows give "
        "the share of that band's paths. Principal loss: the vault's exit price (sAID withdrawal "
        "NAV, sUSDai redemption price) below its start. Breaks peg: pool price below 0.99 or "
        "supply above reserves.",
    )


class CreditFamily:
    """The adapter both credit families share; a subclass names its block, token, vault prefix,
    extra metrics and path (``make_path``)."""

    key: str
    label: str
    symbol: str
    vault: str  # metric prefix of the yield vault ("said", "susdai")
    exit_price: str  # what the vault's exit price is called ("sAID withdrawal NAV")
    block_type: Any
    extra: tuple[tuple[str, MetricSpec], ...] = ()
    reserved: tuple[str, ...] = ()  # tokens the family creates (no scenario asset may use them)

    def __init__(self) -> None:
        self._metrics = common_metrics(self.vault, self.symbol.lower(), self.exit_price)
        self._metrics += self.extra
        self.metrics: tuple[MetricSpec, ...] = tuple(spec for _, spec in self._metrics)
        self.series: tuple[SeriesSpec, ...] = (
            SeriesSpec(f"{self.vault}_nav", f"{self.symbol}/share",
                       f"{self.exit_price}: fan chart", guides=(1.0,)),
            SeriesSpec(f"{self.symbol.lower()}_price", "USD",
                       f"{self.symbol} pool price: fan chart", guides=(1.0, 0.99)),
        )  # fmt: skip

    report_table = staticmethod(credit_table)  # one function for both: the report shows it once

    def make_path(self, b: Any, sc: CreditStress, drv: GpuDrivers, world: World) -> CreditPath:
        raise NotImplementedError

    def stress(self, b: Any, sc: Scenario) -> CreditStress:
        return to_stress(b, sc)

    def check(self, block: list[Any], scenario: Scenario) -> set[str]:
        sym = self.symbol
        if len(block) != 1:
            raise ValueError(f"one [[system.{self.key}]] block per scenario ({sym} is one token)")
        if scenario.step != DAY:
            raise ValueError(
                f"the {self.key} family steps one day at a time: step must be 1d, "
                f"not {scenario.step}s"
            )
        if scenario.n_steps < 60 or scenario.n_steps % 30:
            raise ValueError(f"the {self.key} horizon must be whole 30-day months, at least 2")
        taken = {a.symbol for a in scenario.assets} & {sym, *self.reserved}
        if taken:
            raise ValueError(f"the {self.key} family creates {sorted(taken)}: not an asset")
        stables = [a.symbol for a in scenario.assets if a.kind == "stable"]
        pooled = any(sym in p.coins and set(p.coins) & set(stables) for p in scenario.system.pools)
        if not stables or not pooled:
            raise ValueError(
                f"the {self.key} family needs a stable asset and a pool pairing {sym} with it"
            )
        return {sym}

    def instances(self, block: list[Any]) -> list[str]:
        return [self.symbol]

    def build(self, block: list[Any], world: World, rng: np.random.Generator) -> _Run:
        assert world.stable is not None  # checked by check()
        sc = self.stress(block[0], world.sc)
        path = self.make_path(block[0], sc, shared_drivers(world, sc, rng), world)
        return _Run(path, world, self.symbol)

    def vector_outcomes(
        self, block: list[Any], scenario: Scenario, batch: VectorBatch
    ) -> VectorResult | None:
        """Every path of ``batch`` on the family's vectorised model (``run_batch``); ``None``
        when the scenario's pool for the token is not a StableSwap (the model has only that)."""
        pool = next(
            (p for p in scenario.system.pools if self.symbol in p.coins
             and set(p.coins) & {a.symbol for a in scenario.assets if a.kind == "stable"}),
            None,
        )  # fmt: skip
        if pool is None or pool.kind != "stableswap":
            return None
        sc = self.stress(block[0], scenario)
        metrics, nav, price, reserves = self.run_batch(block[0], sc, batch.rngs, pool)
        return VectorResult(
            [
                CreditOutcome({k: float(v[p]) for k, v in metrics.items()}, nav[p], price[p])
                for p in range(batch.paths)
            ],
            reserves=reserves,
        )

    def run_batch(
        self, b: Any, sc: CreditStress, rngs: tuple[np.random.Generator, ...], pool: Any
    ) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        raise NotImplementedError

    def measure(
        self, block: list[Any], scenario: Scenario, outcome: CreditOutcome
    ) -> FamilyMetrics:
        grid = report_grid(scenario.n_steps)
        m = dict(outcome.metrics)
        m["yield_gap"] = float(block[0].target_apr) - m["realised_yield"]
        low = self.symbol.lower()
        return FamilyMetrics(
            per_instance={self.symbol: {spec.name: m[key] for key, spec in self._metrics}},
            series={
                self.symbol: {f"{self.vault}_nav": outcome.nav[grid],
                              f"{low}_price": outcome.price[grid]}
            },
        )  # fmt: skip
