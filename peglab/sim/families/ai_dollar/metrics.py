"""The AI-dollar family's outcome record, its metrics (registered once) and how a path is measured.

Both models (the exact runner and the float model) return an :class:`AiDollarOutcome`;
:func:`measure` turns it into metrics and series with the same names, so the two can be compared
path by path (docs/risk-lab.md "Per-path metrics").
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ...family import FamilyMetrics, MetricSpec, SeriesSpec
from ...results import peg_metrics, report_grid
from ...scenario import Scenario
from .schema import AiDollar

__all__ = ["METRICS", "SERIES", "AiDollarOutcome", "DollarOutcome", "dollar_outcome", "measure"]


@dataclass(frozen=True, slots=True)
class DollarOutcome:
    """One AI dollar at the horizon of one path (amounts in USD at market).

    The waterfall (docs/cdp-spec.md §9): ``bad_debt_usd`` is the deficit left after the surplus, before the
    backstop and governance-token recapitalisation; ``backstop_used_usd`` and ``recap_usd`` are
    what those paid; ``bad_debt_final_usd`` what remains (open auctions valued at the exit bid;
    at shutdown, the deficit just before it); ``dilution_tokens`` the governance tokens issued;
    ``shutdown`` 1.0 if emergency shutdown fired (``shutdown_at_s`` after t0) and
    ``redemption_value`` the market value of collateral holders redeemed per AI dollar (NaN when
    none). ``recovered_usd``: auction payments received; ``take_value_usd``: market value of the
    collateral sold; ``given_usd``/``cleared_due_usd``: collateral taken from / debt cleared for
    borrowers in closed auctions; ``clear_time_s``: summed kick-to-close times of ``closed``
    auctions; ``refused_actions``: agent actions the engine refused (exact runner only);
    ``peg``, ``cr``, ``liquidated_step``: per-step series ``(n_steps + 1,)``; ``run`` (exact
    runner only): USD received by holders who ran, per step; ``psm``: reference stablecoin the
    PSM holds; ``pooled``: AI dollars held by every pool (both at each step's end); ``shut``: 1
    from the step of emergency shutdown on, else 0.
    """

    symbol: str
    bad_debt_usd: float
    backstop_used_usd: float
    recap_usd: float
    bad_debt_final_usd: float
    dilution_tokens: float
    shutdown: float
    shutdown_at_s: float
    redemption_value: float
    liquidated_usd: float
    liquidations: float
    zero_bids: float
    recovered_usd: float
    take_value_usd: float
    clear_time_s: float
    closed: float
    given_usd: float
    cleared_due_usd: float
    keeper_profit_usd: float
    peg: np.ndarray
    cr: np.ndarray
    liquidated_step: np.ndarray
    refused_actions: float | None = None
    run: np.ndarray | None = None
    psm: np.ndarray | None = None
    pooled: np.ndarray | None = None
    shut: np.ndarray | None = None


def dollar_outcome(
    symbol: str,
    waterfall: tuple[float, float, float, float],
    shut_k: int,
    dt: int,
    redemption: float,
    stats: Mapping[str, float],
    series: Mapping[str, np.ndarray],
    refused: float | None = None,
) -> DollarOutcome:
    """A :class:`DollarOutcome` from what both engines record: ``waterfall`` is ``(deficit
    left, backstop used, recapitalised, governance tokens issued)``; ``shut_k`` the step of
    shutdown (-1: none); ``stats`` the auction and keeper totals (``run.STAT_KEYS``);
    ``series``: ``peg``, ``cr``, ``liquidated``, ``run``, ``psm``, ``pooled`` per step."""
    final, backstop, raised, dilution = waterfall
    n1 = len(series["peg"])
    return DollarOutcome(
        symbol=symbol,
        bad_debt_usd=final + backstop + raised,
        backstop_used_usd=backstop,
        recap_usd=raised,
        bad_debt_final_usd=final,
        dilution_tokens=dilution,
        shutdown=1.0 if shut_k >= 0 else 0.0,
        shutdown_at_s=float(shut_k * dt) if shut_k >= 0 else math.nan,
        redemption_value=redemption,
        liquidated_usd=stats["liquidated"],
        liquidations=stats["barks"],
        zero_bids=stats["zero"],
        recovered_usd=stats["proceeds"],
        take_value_usd=stats["take_value"],
        clear_time_s=stats["clear_time"],
        closed=stats["closed"],
        given_usd=stats["given"],
        cleared_due_usd=stats["cleared_due"],
        keeper_profit_usd=stats["keeper"],
        peg=series["peg"],
        cr=series["cr"],
        liquidated_step=series["liquidated"],
        refused_actions=refused,
        run=series["run"],
        psm=series["psm"],
        pooled=series["pooled"],
        shut=(np.arange(n1) >= shut_k).astype(float) if shut_k >= 0 else np.zeros(n1),
    )


@dataclass(frozen=True, slots=True)
class AiDollarOutcome:
    """Every AI dollar of a path; ``treasury_sold_usd`` (exact runner only): AI tokens the
    treasuries sold on the external market; ``gov_sold_usd``: governance tokens debt-auction
    winners sold there."""

    dollars: tuple[DollarOutcome, ...]
    treasury_sold_usd: float | None = None
    gov_sold_usd: float | None = None


METRICS: tuple[MetricSpec, ...] = (
    MetricSpec("bad_debt_usd", "USD", "deficit after the surplus buffer, before backstop and recap",
               loss=True, headline=True, total="sum", table=True, worst="max", hist=True,
               agree=(50_000.0, 0.25)),
    MetricSpec("bad_debt_final_usd", "USD", "deficit left after the whole waterfall",
               loss=True, headline=True, total="sum", agree=(50_000.0, 0.25)),
    MetricSpec("backstop_used_usd", "USD", "part of bad debt covered by the project backstop",
               loss=True),
    MetricSpec("recap_usd", "USD", "part covered by governance-token recapitalisation",
               loss=True, headline=True, total="sum"),
    MetricSpec("liquidated_usd", "USD", "collateral value sent to auction (LaR in the tail)",
               loss=True, headline=True, total="sum", table=True, agree=(50_000.0, 0.10)),
    MetricSpec("liquidations", "count", "vaults barked", total="sum", agree=(2.0, 0.10)),
    MetricSpec("zero_bids", "count", "auctions won for (almost) nothing",
               headline=True, total="sum"),
    MetricSpec("clear_ratio", "ratio", "auction proceeds / market value of collateral sold"),
    MetricSpec("time_to_clear_s", "s", "mean time from kick to an auction's close"),
    MetricSpec("borrower_loss_usd", "USD", "collateral value taken minus debt it cleared",
               loss=True, headline=True, total="sum", table=True),
    MetricSpec("keeper_profit_usd", "USD", "exit-market proceeds - auction payments - gas",
               headline=True, total="sum"),
    MetricSpec("peg_min", "USD", "lowest price of the AI dollar",
               headline=True, total="min", table=True, worst="min", agree=(0.005, 0.0)),
    MetricSpec("peg_max", "USD", "highest price of the AI dollar",
               headline=True, total="max", table=True, worst="max", agree=(0.01, 0.0)),
    MetricSpec("below_0.99", "fraction", "share of instants below 0.99", table=True, worst="max",
               agree=(0.02, 0.25)),
    MetricSpec("below_0.95", "fraction", "share of instants below 0.95", agree=(0.01, 0.25)),
    MetricSpec("time_to_recover_s", "s", "length of the worst excursion outside +-50 bps"),
    MetricSpec("cr_end", "ratio", "system collateral ratio of surviving vaults at the horizon",
               hist=True),
    MetricSpec("cr_min", "ratio", "minimum of that ratio over the path"),
    MetricSpec("refused_actions", "count", "agent actions the engine refused (exact runner)"),
    MetricSpec("dilution_tokens", "tokens", "governance tokens issued to recapitalise",
               total="sum"),
    MetricSpec("run_usd", "USD", "AI dollars redeemed or sold by holders who ran",
               headline=True, total="sum"),
    MetricSpec("treasury_sold_usd", "USD", "AI tokens treasuries sold into the falling market"),
    MetricSpec("gov_sold_usd", "USD", "governance tokens debt-auction winners sold on the venue"),
    MetricSpec("shutdown", "count", "emergency shutdown fired (1) or not (0)", headline=True,
               total="sum", table=True, worst="max"),
    MetricSpec("shutdown_at_s", "s", "time of emergency shutdown after t0"),
    MetricSpec("redemption_value", "USD", "market value redeemed per AI dollar after shutdown",
               table=True, worst="min"),
)  # fmt: skip

SERIES: tuple[SeriesSpec, ...] = (
    SeriesSpec("peg", "USD", "price: fan chart", guides=(0.99, 0.95)),
    SeriesSpec("liquidated_usd", "USD", "collateral sent to auction per interval", chart="flow"),
    SeriesSpec("cr", "ratio", "system collateral ratio", chart="none"),
    SeriesSpec("run_usd", "USD", "redeemed or sold by holders who ran, per interval", chart="flow"),
    SeriesSpec("psm_usd", "USD", "reference stablecoin held by the PSM"),
    SeriesSpec("pooled", "AI dollars", "AI dollars held in pools"),
    SeriesSpec("shut_down", "fraction", "shut down by then (mean: share of paths)", chart="flow"),
)


def measure(block: list[AiDollar], sc: Scenario, outcome: AiDollarOutcome) -> FamilyMetrics:
    """Metrics and series of one path from the outcome record (each model did its waterfall)."""
    grid = report_grid(sc.n_steps)
    per: dict[str, dict[str, float]] = {}
    series: dict[str, dict[str, np.ndarray]] = {}
    for o in outcome.dollars:
        pm = peg_metrics(o.peg, sc.step)
        finite = np.isfinite(o.cr)
        m = {
            "bad_debt_usd": o.bad_debt_usd,
            "bad_debt_final_usd": o.bad_debt_final_usd,
            "backstop_used_usd": o.backstop_used_usd,
            "recap_usd": o.recap_usd,
            "dilution_tokens": o.dilution_tokens,
            "shutdown": o.shutdown,
            "shutdown_at_s": o.shutdown_at_s,
            "redemption_value": o.redemption_value,
            "liquidated_usd": o.liquidated_usd,
            "liquidations": o.liquidations,
            "zero_bids": o.zero_bids,
            "clear_ratio": o.recovered_usd / o.take_value_usd if o.take_value_usd > 0 else math.nan,
            "time_to_clear_s": o.clear_time_s / o.closed if o.closed else math.nan,
            "borrower_loss_usd": o.given_usd - o.cleared_due_usd,
            "keeper_profit_usd": o.keeper_profit_usd,
            "peg_min": pm["min_price"],
            "peg_max": pm["max_price"],
            "below_0.99": pm["below_0.99"],
            "below_0.95": pm["below_0.95"],
            "time_to_recover_s": pm["time_to_recover_s"],
            "cr_end": float(o.cr[-1]),
            "cr_min": float(np.nanmin(o.cr)) if finite.any() else math.nan,
        }
        if o.refused_actions is not None:
            m["refused_actions"] = o.refused_actions
        if o.run is not None:
            m["run_usd"] = float(o.run.sum())
        per[o.symbol] = {k: float(v) for k, v in m.items()}
        series[o.symbol] = {
            "peg": o.peg[grid],
            "liquidated_usd": _per_interval(o.liquidated_step, grid),
            "cr": o.cr[grid],
        }
        if o.run is not None:
            series[o.symbol]["run_usd"] = _per_interval(o.run, grid)
        if o.psm is not None:
            series[o.symbol]["psm_usd"] = o.psm[grid]
        if o.pooled is not None:
            series[o.symbol]["pooled"] = o.pooled[grid]
        if o.shut is not None:
            series[o.symbol]["shut_down"] = o.shut[grid]
    family = {}
    if outcome.treasury_sold_usd is not None:
        family["treasury_sold_usd"] = outcome.treasury_sold_usd
    if outcome.gov_sold_usd is not None:
        family["gov_sold_usd"] = outcome.gov_sold_usd
    return FamilyMetrics(per_instance=per, family=family, series=series)


def _per_interval(per_step: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """A per-step flow summed over each interval of the report grid (0 at the first point)."""
    cum = np.concatenate([[0.0], np.cumsum(per_step[1:])])[grid]
    return np.diff(cum, prepend=0.0)
