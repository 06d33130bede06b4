"""How a protocol family plugs into the lab: one adapter per family (docs/risk-lab.md "Families").

A scenario's ``system`` is a set of family blocks: ``[[system.ai_dollars]]`` is the AI-dollar
family's block, another family adds its own key. Each family supplies ONE adapter object that
satisfies :class:`Family`:

* ``key`` (the block's name under ``system``), ``label`` (what one instance is called in reports),
  ``block_type`` (a pydantic-validatable type, usually ``list[SomeModel]``);
* ``check(block, scenario)``: cross-field checks against the rest of the scenario; returns the
  token symbols the family issues (pools may then pair them);
* ``instances(block)``: the instance names (``AUSD``, ``vUSD``...), unique across families;
* ``build(block, world, rng)``: its part of the exact world on the shared chain; returns a
  :class:`FamilyRun` whose ``step(phase, k)`` runs its agents in the runner's phases and whose
  ``outcome()`` returns the family's typed outcome record;
* ``vector_outcomes(block, scenario, batch)``: the same outcomes for a batch of paths from the
  family's vectorised float64 model (paths as an array dimension, :class:`VectorBatch` in,
  :class:`VectorResult` out), or ``None`` when the family has none;
* ``measure(block, scenario, outcome)``: the :class:`FamilyMetrics` of one path;
* ``metrics`` and ``series``: every metric and series it reports, registered once
  (:class:`MetricSpec`: name, unit, whether it is a loss, headline or not, how instances total);
* optionally ``report_table(families, columns, data)``: a :class:`ReportTable` built from the
  run's per-path columns, shown first in the report (families that share one function, such as
  the two GPU-credit families, get one table over all of them).

The runner (``sim.runner``), the Monte Carlo driver and report (``risk``) and the command line
only ever talk to this interface, so a new family needs no change there: register it with
:func:`register_family` (built-in families are listed in :data:`BUILTIN`).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np
from pydantic import TypeAdapter

if TYPE_CHECKING:
    from .scenario import Scenario
    from .world import World

__all__ = [
    "BUILTIN",
    "PHASES",
    "Family",
    "FamilyMetrics",
    "FamilyRun",
    "MetricSpec",
    "ReportTable",
    "SeriesSpec",
    "VectorBatch",
    "VectorResult",
    "catalog",
    "describe",
    "family_for",
    "metric_spec",
    "register_family",
    "registered_catalog",
    "registered_families",
    "scenario_families",
]

# The runner's step order: after the clock moves and the oracles publish, every family runs each
# phase in turn (families in registration order within a phase).
PHASES: tuple[str, ...] = ("operate", "agents", "market", "settle", "record")

# modules whose import registers a built-in family (imported on first use, never at import time)
BUILTIN: tuple[str, ...] = (
    "peglab.sim.families.ai_dollar",
    "peglab.sim.families.gaib",
    "peglab.sim.families.yield_vault",
    "peglab.sim.families.usdai",
)

Total = Literal["sum", "min", "max"]


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """One scalar metric of a family, reported per instance as ``<name>.<instance>``.

    ``loss``: tail measures (VaR/ES/EVaR) apply; ``headline``: its total appears in the headline
    table; ``total``: how instance values combine into the ``<name>`` column across every family
    (``None``: no total column); ``table``: a column of the per-instance summary table, with its
    ``worst`` path (``"min"``/``"max"``) in brackets; ``hist``: the report draws its per-path
    distribution (instances and total overlaid); ``agree``: ``(abs, rel)``, how far the
    vectorised model's mean over common paths may lie from the exact engine's,
    ``|mean_vec - mean_exact| <= abs + rel * |mean_exact|`` (docs/scale.md "Cross-validation";
    ``None``: not compared).
    """

    name: str
    unit: str
    description: str = ""
    loss: bool = False
    headline: bool = False
    total: Total | None = None
    table: bool = False
    worst: Literal["min", "max"] | None = None
    hist: bool = False
    agree: tuple[float, float] | None = None


@dataclass(frozen=True, slots=True)
class SeriesSpec:
    """One per-step series of a family, stored as ``series/<name>.<instance>.npy``.

    ``chart``: ``"fan"`` (quantile bands over time) or ``"flow"`` (mean per interval and p95);
    ``guides``: horizontal reference lines of a fan chart.
    """

    name: str
    unit: str
    title: str
    chart: Literal["fan", "flow", "none"] = "fan"
    guides: tuple[float, ...] = ()


@dataclass(frozen=True, slots=True)
class FamilyMetrics:
    """A family's measurements on one path.

    ``per_instance[instance][metric]``: scalars; ``family``: family-level scalars (no instance
    suffix); ``series[instance][name]``: series sampled on ``results.report_grid``.
    """

    per_instance: Mapping[str, Mapping[str, float]]
    family: Mapping[str, float] = field(default_factory=dict)
    series: Mapping[str, Mapping[str, np.ndarray]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ReportTable:
    """A family's own table in the report (text cells, first row = the header)."""

    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    note: str = ""


@dataclass(frozen=True, slots=True)
class VectorBatch:
    """A batch of paths of one scenario for a vectorised model (docs/scale.md "Vectorised models").

    ``prices[p, k, a]``: path ``p``'s fundamental price of asset ``a`` at step ``k``, as
    ``scenario.simulate_prices`` drew it from the path's generator; ``rngs[p]``: that generator
    in the state ``Family.build`` receives it on the exact engine (so a model that draws its
    per-path setup, such as the vault book, in the exact order gets the exact engine's draws).
    """

    prices: np.ndarray
    rngs: tuple[np.random.Generator, ...]

    @property
    def paths(self) -> int:
        return len(self.rngs)


@dataclass(frozen=True, slots=True)
class VectorResult:
    """What a vectorised model returns for a batch.

    ``outcomes[p]``: path ``p``'s typed outcome, the same type ``FamilyRun.outcome()`` returns,
    so ``Family.measure`` serves both engines; ``realised``: market prices after the model's own
    flows, shape of ``VectorBatch.prices``, or ``None`` when the model moves no market price;
    ``reserves[<pool id>:<coin>]``: the reserves of the pools the model owns, float64
    ``[paths, len(report_grid(n_steps))]`` in tokens, sampled as the exact runner samples them
    (step 0 after seeding, each later grid step after that step's trades;
    ``results.PoolReserves``), or ``None`` when it owns no pool (which model owns a pool:
    ``sim.runner``).
    """

    outcomes: list[Any]
    realised: np.ndarray | None = None
    reserves: Mapping[str, np.ndarray] | None = None


class FamilyRun(Protocol):
    """A family's part of one exact path."""

    def start(self) -> None:
        """After every family is built and the shared pools are seeded: fund agents, find pools."""

    def step(self, phase: str, k: int) -> None:
        """Run the family's actions of ``phase`` (one of :data:`PHASES`) at step ``k``."""

    def outcome(self) -> Any:
        """The family's typed outcome record at the horizon (checks its invariants first)."""


class Family(Protocol):
    """The adapter a protocol family supplies (module docstring)."""

    key: str
    label: str
    block_type: Any
    metrics: tuple[MetricSpec, ...]
    series: tuple[SeriesSpec, ...]

    def check(self, block: Any, scenario: Scenario) -> set[str]: ...

    def instances(self, block: Any) -> list[str]: ...

    def build(self, block: Any, world: World, rng: np.random.Generator) -> FamilyRun: ...

    def vector_outcomes(
        self, block: Any, scenario: Scenario, batch: VectorBatch
    ) -> VectorResult | None: ...

    def measure(self, block: Any, scenario: Scenario, outcome: Any) -> FamilyMetrics: ...


_REGISTRY: dict[str, Family] = {}
_ADAPTERS: dict[str, TypeAdapter[Any]] = {}
_LOADED = False


def register_family(family: Family) -> Family:
    """Make ``family`` known to scenarios, the runner, the driver and the report (idempotent)."""
    _load_builtins()  # built-ins first, so the order of families never depends on import order
    known = _REGISTRY.get(family.key)
    if known is not None and known is not family:
        raise ValueError(f"a family with key {family.key!r} is already registered")
    _REGISTRY[family.key] = family
    _ADAPTERS[family.key] = TypeAdapter(family.block_type)
    return family


def registered_families() -> dict[str, Family]:
    """Every registered family by key: built-ins in :data:`BUILTIN` order, then the others in
    registration order (so the order never depends on which module was imported first)."""
    _load_builtins()

    def rank(item: tuple[int, Family]) -> int:
        i, fam = item
        module = type(fam).__module__
        for j, builtin in enumerate(BUILTIN):
            if module == builtin or module.startswith(builtin + "."):
                return j
        return len(BUILTIN) + i

    ordered = sorted(enumerate(_REGISTRY.values()), key=rank)
    return {fam.key: fam for _, fam in ordered}


def _load_builtins() -> None:
    global _LOADED
    if not _LOADED:
        _LOADED = True
        for module in BUILTIN:
            importlib.import_module(module)


def family_for(key: str) -> tuple[Family, TypeAdapter[Any]] | None:
    """The family registered under ``key`` and its block validator, if any."""
    fam = registered_families().get(key)
    return None if fam is None else (fam, _ADAPTERS[key])


def scenario_families(sc: Scenario) -> list[tuple[Family, Any]]:
    """``(family, block)`` for each family block of ``sc``, in registration order."""
    blocks = sc.system.blocks()
    return [(f, blocks[key]) for key, f in registered_families().items() if key in blocks]


def metric_spec(column: str, specs: Sequence[MetricSpec]) -> MetricSpec | None:
    """The spec of a column ``<name>`` or ``<name>.<instance>`` (the longest matching name)."""
    best: MetricSpec | None = None
    for s in specs:
        if (column == s.name or column.startswith(s.name + ".")) and (
            best is None or len(s.name) > len(best.name)
        ):
            best = s
    return best


def describe(fam: Family, instances: list[str]) -> dict[str, Any]:
    """JSON-ready description of a family: key, label, instances, metric and series specs."""
    return {
        "key": fam.key,
        "label": fam.label,
        "instances": list(instances),
        "metrics": [_asdict(m) for m in fam.metrics],
        "series": [_asdict(s) for s in fam.series],
    }


def market_assets(sc: Scenario) -> list[str]:
    """Assets traded on the external venue (those with a ``d10_usd`` depth)."""
    return [a.symbol for a in sc.assets if a.d10_usd is not None]


MARKET_SERIES: tuple[SeriesSpec, ...] = (
    SeriesSpec("price", "USD", "market price: fan chart"),
    SeriesSpec("fundamental", "USD", "fundamental price: fan chart"),
)

# every on-chain pool's reserve of each coin over time (in tokens), ``reserve.<pool>:<coin>``
POOL_SERIES: tuple[SeriesSpec, ...] = (
    SeriesSpec("reserve", "tokens", "pool reserve of one coin", chart="none"),
)


def pool_coins(sc: Scenario) -> list[str]:
    """The instances of the pool series: ``<pool id>:<coin>`` for every coin of every pool."""
    return [f"{p.id}:{c}" for p in sc.system.pools for c in p.coins]


def catalog(sc: Scenario) -> dict[str, Any]:
    """The families of ``sc`` with their instances (what ``metrics.json`` of a run holds), and
    the market's price series per asset traded on the external venue, and every pool's reserves."""
    market = {
        "key": "market",
        "label": "asset",
        "instances": market_assets(sc),
        "metrics": [],
        "series": [_asdict(s) for s in MARKET_SERIES],
    }
    pools = {
        "key": "pools",
        "label": "pool coin",
        "instances": pool_coins(sc),
        "metrics": [],
        "series": [_asdict(s) for s in POOL_SERIES],
    }
    fams = [describe(f, f.instances(b)) for f, b in scenario_families(sc)]
    return {"families": [*fams, market, pools]}


def registered_catalog() -> dict[str, Any]:
    """Every registered family, without instances (for a summary read without its run)."""
    return {"families": [describe(f, []) for f in registered_families().values()]}


def _asdict(obj: MetricSpec | SeriesSpec) -> dict[str, Any]:
    return {
        name: (list(v) if isinstance(v, tuple) else v)
        for name in obj.__dataclass_fields__
        for v in (getattr(obj, name),)
    }
