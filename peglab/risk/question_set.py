"""The critic's questions as data, and how a run answers one (docs/questions.md §1-§3).

A :class:`Question` names its scenario, engine, the condition counted as "held" on each path and
the statistics its answer quotes; :func:`answer_run` reads a finished run directory and returns
the :class:`Answer`: the share of paths held with its Wilson interval, the word that follows
from it, the quoted numbers with their intervals (a tail with fewer than 10 paths beyond it
says "n too small, need N"), and what everything is conditional on. ``risk.questions`` runs
the set; ``risk.questions_report`` writes the report.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InvalidInput
from ..sim.calibrate_series import wilson_interval
from .measures import paths_needed
from .rundir import load_summary, read_paths_csv

__all__ = [
    "ENGINES",
    "NO_AT",
    "PEG_LINE",
    "QUESTIONS",
    "TERRA_KEY",
    "TERRA_LINE",
    "YES_AT",
    "Answer",
    "Condition",
    "Question",
    "Quote",
    "answer_run",
    "answer_word",
    "fmt_value",
    "quote_number",
    "wilson_interval",
]

ENGINES = ("exact", "vector", "tiered")  # risk.engines
PEG_LINE = 0.99  # [O] the lowest price still counted as "held" (swept: risk.question_sweep)
YES_AT = 0.95  # [O] "yes" when the share's lower bound is at least this (swept)
NO_AT = 0.5  # [O] "no" when the share's upper bound is at most this (swept)
TERRA_LINE = 0.95  # [O] Terra: the AI dollar "spirals" below this lowest hourly price (swept)


@dataclass(frozen=True)
class Quote:
    """One number of an answer: statistic ``stat`` of the per-path column ``column``.

    ``stat`` is a key of the column's entry in ``summary.json`` (``mean``, ``p50``, ``p05``,
    ``p95``; for loss columns ``VaR95``, ``VaR99``, ``ES97.5``, ``EVaR95``); ``unit`` picks the
    format (``price``, ``usd``, ``pct``, ``days``).
    """

    label: str
    column: str
    stat: str
    unit: str


@dataclass(frozen=True)
class Condition:
    """``column <op> threshold`` on one path (``op`` is ``">="`` or ``"<="``).

    ``peg_line``: the threshold is the peg line we chose (0.99), which the report's threshold
    sweep varies (``risk.question_sweep``, docs/questions.md §2a).
    """

    column: str
    op: str
    threshold: float
    peg_line: bool = False

    def holds(self, values: np.ndarray, threshold: float | None = None) -> np.ndarray:
        t = self.threshold if threshold is None else threshold
        return values >= t if self.op == ">=" else values <= t


@dataclass(frozen=True)
class Question:
    """One question: its scenario, engine, default path count, condition and the numbers quoted.

    ``reduced`` holds scenario parameter overrides (``risk.params`` paths) for the reduced form
    the tests run (shorter horizons).
    """

    key: str
    ask: str
    scenario: str
    engine: str
    holds: str  # the condition in words
    conditions: tuple[Condition, ...]
    quotes: tuple[Quote, ...]
    reduced: Mapping[str, str] = field(default_factory=dict)

    @property
    def tail_level(self) -> float | None:
        """The most extreme quantile level the quotes use (None: no quantile quoted)."""
        levels = [_LEVELS[q.stat] for q in self.quotes if q.stat in _LEVELS]
        return max(levels, key=lambda x: min(x, 1 - x), default=None) if levels else None

    @property
    def default_paths(self) -> int:
        """``paths_needed`` of the most extreme tail quoted (at least 10 paths beyond it)."""
        levels = [_LEVELS[q.stat] for q in self.quotes if q.stat in _LEVELS]
        return max((paths_needed(x) for x in levels), default=20)


_LEVELS = {"p50": 0.5, "p05": 0.05, "p95": 0.95, "VaR95": 0.95, "VaR99": 0.99,
           "ES97.5": 0.975, "EVaR95": 0.95}  # fmt: skip

_PEG = "the peg held (every AI dollar >= 0.99 throughout, no bad debt left after the waterfall)"
_CREDIT = (
    "the peg held (AID and USDai >= 0.99 on their pools throughout, each fully backed: supply "
    "<= reserve every day)"
)
_CREDIT_HOLDS = (
    Condition("aid_price_min", ">=", PEG_LINE, peg_line=True),
    Condition("usdai_price_min", ">=", PEG_LINE, peg_line=True),
    Condition("aid_fully_backed", ">=", 1.0),
    Condition("usdai_fully_backed", ">=", 1.0),
)
_CREDIT_PEG = (
    Quote("lowest AID price, p05", "aid_price_min", "p05", "price"),
    Quote("lowest USDai price, p05", "usdai_price_min", "p05", "price"),
)

QUESTIONS: tuple[Question, ...] = (
    Question(
        "ai-token-crash", "Does the peg hold when AI tokens crash?", "ai-token-crash", "tiered",
        _PEG, (Condition("peg_min", ">=", PEG_LINE, peg_line=True),
               Condition("bad_debt_final_usd", "<=", 0.0)),
        (Quote("lowest AI-dollar price, p05", "peg_min", "p05", "price"),
         Quote("highest AI-dollar price, p95", "peg_max", "p95", "price"),
         Quote("bad debt, mean", "bad_debt_usd", "mean", "usd"),
         Quote("bad debt, VaR99", "bad_debt_usd", "VaR99", "usd"),
         Quote("bad debt, ES97.5", "bad_debt_usd", "ES97.5", "usd"),
         Quote("collateral liquidated, VaR99", "liquidated_usd", "VaR99", "usd")),
        {"horizon": "12h"},
    ),
    Question(
        "liquidity-crunch", "Does the peg hold when liquidity dries up?", "liquidity-crunch",
        "vector", _PEG,
        (Condition("peg_min", ">=", PEG_LINE, peg_line=True),
         Condition("bad_debt_final_usd", "<=", 0.0)),
        (Quote("lowest AI-dollar price, p05", "peg_min", "p05", "price"),
         Quote("bad debt, mean", "bad_debt_usd", "mean", "usd"),
         Quote("bad debt, VaR95", "bad_debt_usd", "VaR95", "usd"),
         Quote("auctions won for nothing, p95", "zero_bids", "p95", "count")),
        {"horizon": "6h"},
    ),
    Question(
        "gpu-rental-collapse", "Do the GPU-credit dollars hold when GPU rental prices collapse?",
        "gpu-rental-collapse", "vector", _CREDIT, _CREDIT_HOLDS,
        (*_CREDIT_PEG,
         Quote("sAID principal loss, mean", "said_principal_loss", "mean", "pct"),
         Quote("sAID principal loss, VaR99", "said_principal_loss", "VaR99", "pct"),
         Quote("sUSDai principal loss, VaR99", "susdai_principal_loss", "VaR99", "pct")),
        {"horizon": "60d"},
    ),
    Question(
        "default-wave", "Do they hold when GPU borrowers default together?", "default-wave",
        "vector", _CREDIT, _CREDIT_HOLDS,
        (*_CREDIT_PEG,
         Quote("sAID principal loss, mean", "said_principal_loss", "mean", "pct"),
         Quote("sAID principal loss, VaR99", "said_principal_loss", "VaR99", "pct"),
         Quote("senior loan loss (sUSDai), VaR99", "loan_loss_senior.USDai", "VaR99", "pct"),
         Quote("junior loan loss, VaR99", "loan_loss_junior.USDai", "VaR99", "pct")),
        {"horizon": "60d"},
    ),
    Question(
        "redemption-run", "Do they hold when holders run?", "redemption-run", "vector",
        _CREDIT, _CREDIT_HOLDS,
        (*_CREDIT_PEG,
         Quote("sAID exits still unfilled after 30 days, p95", "said_unfilled_30d.AID", "p95",
               "pct"),
         Quote("sAID exit haircut, p95", "said_exit_haircut.AID", "p95", "pct"),
         Quote("sAID principal loss, VaR99", "said_principal_loss", "VaR99", "pct")),
        {"horizon": "120d"},
    ),
    Question(
        "contagion", "Does a crash in one AI ecosystem spread to the other AI dollars?",
        "contagion", "vector",
        "it did not spread (AUSD and ai16zUSD, whose tokens only follow, >= 0.99 throughout; "
        "no bad debt left after the waterfall)",
        (Condition("peg_min.AUSD", ">=", PEG_LINE, peg_line=True),
         Condition("peg_min.ai16zUSD", ">=", PEG_LINE, peg_line=True),
         Condition("bad_debt_final_usd", "<=", 0.0)),
        (Quote("lowest vUSD price (the crashing ecosystem), p05", "peg_min.vUSD", "p05", "price"),
         Quote("lowest AUSD price, p05", "peg_min.AUSD", "p05", "price"),
         Quote("lowest ai16zUSD price, p05", "peg_min.ai16zUSD", "p05", "price"),
         Quote("bad debt, VaR95", "bad_debt_usd", "VaR95", "usd")),
        {"horizon": "12h", "prices[0].duration": "6h"},
    ),
)  # fmt: skip

TERRA_KEY = "terra-spiral"


@dataclass
class Answer:
    """One answered question (``as_dict`` is what ``questions.json`` stores)."""

    key: str
    ask: str
    word: str  # "yes", "no", "partly" (or "no spiral" / "spiral" for Terra)
    sentence: str
    holds: str
    share: float | None
    share_ci: tuple[float, float] | None
    numbers: list[dict[str, Any]]
    conditional_on: str
    engine: str
    paths: int
    run_dir: str
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["share_ci"] = None if self.share_ci is None else list(self.share_ci)
        d.pop("seconds")  # wall time varies between identical runs: timings.json only
        return d


def answer_word(ci: tuple[float, float], yes_at: float = YES_AT, no_at: float = NO_AT) -> str:
    """``yes`` when the share's lower bound is >= ``yes_at`` (95%), ``no`` when its upper bound
    is <= ``no_at`` (50%), ``partly`` otherwise."""
    if ci[0] >= yes_at:
        return "yes"
    if ci[1] <= no_at:
        return "no"
    return "partly"


def fmt_value(x: float | None, unit: str) -> str:
    """A number in its unit: prices to 4 decimals, USD in k/M, fractions as percent."""
    if x is None:
        return "beyond sample"
    if unit == "price":
        return f"{x:.4f}"
    if unit == "usd":
        a = abs(x)
        return f"{x / 1e6:.2f}M" if a >= 1e6 else f"{x / 1e3:.1f}k" if a >= 1e3 else f"{x:.0f}"
    if unit == "pct":
        return f"{100 * x:.2f}%"
    return f"{x:,.4g}"


def quote_number(summary: dict[str, Any], q: Quote) -> dict[str, Any]:
    """One quoted statistic with its interval, or "n too small, need N" (docs/validation.md §1).

    On a tiered run (``summary["tiers"]``) a tail statistic the exact tier covers is quoted from
    the exact engine ("exact tier"; "exact tier, not covered" when the coverage check failed);
    every other number is the vector model's.
    """
    m = summary["metrics"].get(q.column)
    if not m or not m.get("n"):
        raise InvalidInput("questions/missing-metric", f"the run has no column {q.column!r}")
    if q.stat not in m:
        raise InvalidInput("questions/bad-stat", f"{q.column} has no statistic {q.stat!r}")
    e = m[q.stat]
    out: dict[str, Any] = {"label": q.label, "column": q.column, "stat": q.stat,
                           "unit": q.unit, "status": e["status"]}  # fmt: skip
    if e["value"] is None:  # the honest tail rule withheld it (measures.py)
        out["text"] = f"{q.label}: n too small, need {e['paths_needed']:,} paths"
        out["note"] = e.get("note", "")
        return out
    value, (lo, hi) = e["value"], e["ci"]
    tier = summary.get("tiers", {}).get("tail", {}).get(q.column, {}).get(q.stat)
    source = ""
    if isinstance(tier, dict) and tier.get("status") in ("ok", "not-covered"):
        value, (lo, hi) = tier["value"], tier["ci"]
        source = " (exact tier)" if tier["status"] == "ok" else " (exact tier, not covered)"
        out["source"] = "exact tier" if tier["status"] == "ok" else "exact tier, not covered"
    out.update(value=value, ci=[lo, hi])
    out["text"] = (f"{q.label} {fmt_value(value, q.unit)} "
                   f"[{fmt_value(lo, q.unit)}, {fmt_value(hi, q.unit)}]{source}")  # fmt: skip
    return out


def answer_run(q: Question, run_dir: Path, seconds: float = 0.0) -> Answer:
    """Read one question's run directory and answer it (share, word, numbers, condition)."""
    summary = load_summary(run_dir)
    columns, data = read_paths_csv(run_dir / "paths.csv")
    ok = np.ones(data.shape[0], dtype=bool)
    for c in q.conditions:
        if c.column not in columns:
            raise InvalidInput("questions/missing-metric", f"the run has no column {c.column!r}")
        ok &= c.holds(data[:, columns.index(c.column)])
    n = int(data.shape[0])
    held = int(ok.sum())
    ci = wilson_interval(held, n)
    word = answer_word(ci)
    numbers = [quote_number(summary, x) for x in q.quotes]
    share = f"{100 * held / n:.1f}% [{100 * ci[0]:.1f}%, {100 * ci[1]:.1f}%] of {n} paths"
    sentence = (f"{word.capitalize()}: {q.holds} on {share}; "
                + "; ".join(x["text"] for x in numbers) + ".")  # fmt: skip
    cond = (
        f"{summary['conditional_on'].rstrip('.')}; {q.engine} engine, {n} paths, "
        f"seed {summary['seed']}"
    )
    return Answer(q.key, q.ask, word, sentence, q.holds, held / n, ci, numbers, cond, q.engine,
                  n, run_dir.name, seconds)  # fmt: skip
