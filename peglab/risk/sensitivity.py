"""How a stress run's headlines move with the agent thresholds we chose (docs/risk-lab.md "Sensitivity").

Every agent rule of the lab has thresholds that are ours, not the protocol's or the data's
(``agents.keepers.max_buy_price``, panic and LP triggers, margins, the arbitrageur's search
precision ``agents.arbitrageurs.search_steps``...). A headline that moves
one-for-one with one of them says something about our parameter, not about the system. This
module keeps the **registry** of those thresholds with the low and high value each is varied to
(:func:`chosen_thresholds`; agent modules add theirs with :func:`register_threshold`),
**discovers** threshold-like numeric fields of the scenario's agent models that the registry lacks
(they are varied by ±20% and the report says so), runs each low and high value on the first
``paths`` seeded paths of the run with **common random numbers** (the default point is read from
the run itself: its path ``i`` has the same seed) and writes ``sensitivity.json``, which the report
renders.

**Pinned**: a headline whose change follows the parameter's change with a slope between 0.5 and 2
on both sides of the default (in the parameter's own units, both changes non-zero): the headline
then reads back the threshold rather than the system (the issue's example: the peg maximum equal
to ``max_buy_price``, 1.05 -> 1.057, 1.10 -> 1.124).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel

from ..errors import InvalidInput
from ..sim.scenario import Scenario
from .backends import Backend, Model, lend
from .params import apply_params, get_param
from .rundir import load_catalog, read_paths_csv, write_json

__all__ = [
    "PIN_SLOPE",
    "Threshold",
    "chosen_thresholds",
    "discover_thresholds",
    "pinned",
    "register_threshold",
    "run_sensitivity",
    "threshold_fields",
]

PIN_SLOPE: tuple[float, float] = (0.5, 2.0)
DISCOVERED_SPREAD = Decimal("0.2")
# a field is threshold-like when one of the words of its name is one of these
_THRESHOLD_WORDS = frozenset({"trigger", "threshold", "max", "min", "margin", "drop", "band",
                              "imbalance", "limit", "cap", "floor", "ceiling"})  # fmt: skip


@dataclass(frozen=True)
class Threshold:
    """A parameter we chose for an agent rule: scenario path, what it decides, its low and high."""

    path: str
    what: str
    low: str
    high: str
    source: str = "registry"


_REGISTRY: list[Threshold] = [
    Threshold("agents.keepers.max_buy_price",
              "most a keeper pays on average for an AI dollar on a pool", "1.01", "1.10"),
    Threshold("agents.keepers.margin", "keepers' discount to the exit bid", "0.01", "0.05"),
    Threshold("agents.keepers.dropout_gas", "gas multiple at which keepers may drop out", "2", "6"),
    Threshold("agents.borrowers.band", "distance from target before a borrower acts", "0.05",
              "0.30"),
    Threshold("agents.borrowers.panic_drop", "24 h drop after which borrowers panic-close",
              "0.15", "0.35"),
    Threshold("agents.panic_sellers.trigger_price", "AI-dollar price below which holders dump",
              "0.95", "0.99"),
    Threshold("agents.lps.trigger_price", "AI-dollar price below which LPs withdraw", "0.95",
              "0.99"),
    Threshold("agents.lps.imbalance", "pool imbalance at which LPs withdraw", "0.70", "0.90"),
    Threshold("agents.arbitrageurs.min_profit_usd", "smallest arbitrage worth a trade", "10",
              "500"),
    Threshold("agents.debt_bidders.margin", "debt-auction bidders' discount", "0.02", "0.10"),
    Threshold("agents.keepers.inventory", "share of keepers' capital held in AI dollars", "0.10",
              "0.50"),
    Threshold("agents.holders.peg[1]", "peg below which the most nervous holders run", "0.985",
              "0.999"),
    Threshold("agents.holders.unbacked[0]", "unbacked share of debt that starts a run", "0.02",
              "0.10"),
    Threshold("agents.sellers.trigger", "drawdown at which AI-token treasuries start selling",
              "0.10", "0.35"),
    Threshold("agents.arbitrageurs.search_steps",
              "golden-section steps sizing an arbitrage (its precision)", "10", "24"),
]  # fmt: skip


def register_threshold(t: Threshold) -> None:
    """Add a chosen threshold (replacing one with the same path); call once at import."""
    _REGISTRY[:] = [x for x in _REGISTRY if x.path != t.path] + [t]


def chosen_thresholds() -> tuple[Threshold, ...]:
    return tuple(_REGISTRY)


def threshold_fields(model: BaseModel, prefix: str) -> list[tuple[str, Decimal]]:
    """``(path, value)`` of every threshold-like decimal field of ``model``, recursively."""
    out: list[tuple[str, Decimal]] = []
    for name in type(model).model_fields:
        value = getattr(model, name)
        path = f"{prefix}.{name}"
        if isinstance(value, BaseModel):
            out += threshold_fields(value, path)
        elif isinstance(value, Decimal) and _THRESHOLD_WORDS & set(name.split("_")):
            out.append((path, value))
    return out


def discover_thresholds(sc: Scenario) -> tuple[Threshold, ...]:
    """The registry's thresholds present in ``sc``, then every threshold-like numeric field of
    ``sc.agents`` the registry lacks (varied by ±20%)."""
    known = {t.path for t in _REGISTRY}
    found = [t for t in _REGISTRY if _exists(sc, t.path)]
    for path, value in threshold_fields(sc.agents, "agents"):
        if path not in known and value != 0:
            lo, hi = value * (1 - DISCOVERED_SPREAD), value * (1 + DISCOVERED_SPREAD)
            found.append(Threshold(path, "discovered in the agent model", str(lo), str(hi),
                                   "discovered"))  # fmt: skip
    return tuple(found)


def _exists(sc: Scenario, path: str) -> bool:
    try:
        get_param(sc, path)
    except InvalidInput:
        return False
    return True


def pinned(param: tuple[float, float, float], head: tuple[float, float, float]) -> bool:
    """Whether ``head`` (low, default, high) follows ``param`` one-for-one on both sides."""
    slopes = []
    for a, b in ((0, 1), (1, 2)):
        dp, dh = param[b] - param[a], head[b] - head[a]
        if dp == 0 or dh == 0 or not np.isfinite(dh):
            return False
        slopes.append(dh / dp)
    return all(PIN_SLOPE[0] <= s <= PIN_SLOPE[1] for s in slopes)


def _means(out: Path, names: list[str], k: int) -> dict[str, float]:
    columns, data = read_paths_csv(out / "paths.csv")
    rows = data[np.argsort(data[:, columns.index("path")])][:k] if "path" in columns else data[:k]
    res: dict[str, float] = {}
    for n in names:
        if n in columns:
            col = rows[:, columns.index(n)]
            col = col[np.isfinite(col)]
            res[n] = float(col.mean()) if col.size else float("nan")
    return res


def _num(text: str) -> float:
    try:
        return float(Decimal(text))
    except InvalidOperation:
        return float("nan")


def run_sensitivity(
    out_dir: str | Path,
    scenario: Scenario,
    run_path: Model,
    seed: int,
    paths: int,
    backend: Backend,
    run: Callable[..., list[dict[str, Any]]],
) -> dict[str, Any]:
    """Vary every chosen threshold to its low and high value on the run's first ``paths`` paths
    (same seeds) and write ``sensitivity.json`` next to the run's summary (module docstring).

    ``run`` is ``montecarlo.run_variants`` (passed in: the driver imports this module): every
    variant runs in one stream of chunks on ``backend``, so its workers share them.
    """
    out = Path(out_dir)
    names = load_catalog(out).headline()
    base = _means(out, names, paths)
    found = discover_thresholds(scenario)
    variants: list[tuple[Scenario, Path]] = []
    where: dict[tuple[int, str], Path] = {}
    for j, t in enumerate(found):
        for side, value in (("low", t.low), ("high", t.high)):
            try:
                sc = apply_params(scenario, {t.path: value})
            except InvalidInput:  # a discovered +-20% outside the field's range
                continue
            where[j, side] = out / "sensitivity" / f"{j:02d}-{side}"
            variants.append((sc, where[j, side]))
    with backend:
        run(variants, run_path, paths=paths, seed=seed, backend=lend(backend), n_resamples=200)
    rows: list[dict[str, Any]] = []
    for j, t in enumerate(found):
        default = get_param(scenario, t.path)
        sides = [_means(where[j, s], names, paths) if (j, s) in where else None
                 for s in ("low", "high")]  # fmt: skip
        values = [t.low, default, t.high]
        heads: dict[str, Any] = {}
        for n in names:
            trio = [None if s is None else s.get(n) for s in (sides[0], base, sides[1])]
            ok = all(v is not None for v in trio)
            pv = tuple(_num(v) for v in values)
            heads[n] = {
                "values": [None if v is None or not np.isfinite(v) else round(v, 9)
                           for v in trio],
                "pinned": bool(ok and pinned(pv, tuple(trio))),  # type: ignore[arg-type]
            }  # fmt: skip
        rows.append({"path": t.path, "what": t.what, "source": t.source, "values": values,
                     "headlines": heads})  # fmt: skip
    result = {
        "paths": paths,
        "seed": seed,
        "method": "each threshold at its low and high value on the run's first paths (same "
        "seeds); the default column is the run itself on those paths",
        "pin_slope": list(PIN_SLOPE),
        "thresholds": rows,
    }
    write_json(out / "sensitivity.json", result)
    return result
