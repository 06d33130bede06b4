"""The Monte Carlo engines by name (docs/scale.md "Engines"): exact, vector and tiered.

* ``exact``: the integer engine, one path at a time (``sim.runner.run_path``).
* ``vector``: the families' vectorised float64 models, a whole chunk of paths per call
  (``sim.runner.vector_chunk`` as a :class:`~peglab.risk.backends.Batched` model). ``float`` is
  accepted as its old name.
* ``tiered``: the vector engine on every path, then the exact engine on the tail paths and a
  random control sample (``risk.montecarlo.run_tiered``).

With no engine named, a run of at least :data:`TIERED_FROM_PATHS` paths is tiered when every
family of its scenario has a vectorised model (probed on one path), and exact otherwise.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from ..errors import InvalidInput
from ..sim.scenario import Scenario
from .backends import Batched, Model, path_seed

__all__ = [
    "ALIASES",
    "ENGINES",
    "TIERED_FROM_PATHS",
    "canonical_engine",
    "choose_engine",
    "engine_arguments",
    "engine_model",
    "has_vector_model",
]

ENGINES: tuple[str, ...] = ("exact", "vector", "tiered")
ALIASES: dict[str, str] = {"float": "vector"}
# VaR99 is reported from 1,000 paths on (docs/validation.md §1): from there on a run is tiered
TIERED_FROM_PATHS = 1000


def canonical_engine(name: str) -> str:
    """``exact``, ``vector`` or ``tiered`` (``float`` -> ``vector``); else ``stress/bad-engine``."""
    engine = ALIASES.get(name, name)
    if engine not in ENGINES:
        choices = ", ".join([*ENGINES, *ALIASES])
        raise InvalidInput("stress/bad-engine", f"engine must be one of {choices}, got {name!r}")
    return engine


def engine_model(name: str) -> Model:
    """The per-path or batched model of the ``exact`` or ``vector`` engine (a tiered run uses
    both, ``risk.montecarlo.run_tiered``)."""
    from ..sim.runner import run_path, vector_chunk

    engine = canonical_engine(name)
    if engine == "tiered":
        raise InvalidInput("stress/bad-engine", "the tiered engine runs two models: use run_tiered")
    return run_path if engine == "exact" else Batched(vector_chunk)


def has_vector_model(scenario: Scenario) -> bool:
    """Whether every family of ``scenario`` has a vectorised model (runs one path to find out)."""
    from ..sim.runner import vector_chunk

    try:
        vector_chunk(scenario, [path_seed(0, 0)])
    except InvalidInput as e:
        if e.code == "stress/no-float-model":
            return False
        raise
    return True


def choose_engine(requested: str | None, scenario: Scenario, paths: int) -> str:
    """The engine named, or the default: ``tiered`` from :data:`TIERED_FROM_PATHS` paths when the
    scenario's families all have vectorised models, ``exact`` otherwise."""
    if requested is not None:
        return canonical_engine(requested)
    if paths >= TIERED_FROM_PATHS and has_vector_model(scenario):
        return "tiered"
    return "exact"


def _at_least(lo: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if v < lo:
            raise argparse.ArgumentTypeError(f"must be at least {lo}, got {v}")
        return v

    return parse


def _share(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 < v <= 0.5:
        raise argparse.ArgumentTypeError(f"must be in (0, 0.5], got {v}")
    return v


def engine_arguments(s: argparse.ArgumentParser) -> None:
    """``--engine``, ``--scheduler``, ``--chunk`` and the tiered engine's options (the ``stress``
    and ``sweep`` commands share them)."""
    s.add_argument(
        "--engine",
        choices=(*ENGINES, *ALIASES),
        default=None,
        help="exact integer engine; vector: the vectorised models (float is its old name); "
        "tiered: vector on every path, exact on the tail and a control sample (default: tiered "
        f"from {TIERED_FROM_PATHS} paths when the scenario has vectorised models, else exact)",
    )
    s.add_argument(
        "--scheduler",
        default=None,
        help="run on dask: 'local' (a LocalCluster of --workers) or tcp://host:port",
    )
    s.add_argument("--chunk", type=_at_least(1), default=None,
                   help="paths per chunk (default: sized to the workers; results never depend on it)")  # fmt: skip
    s.add_argument("--tier-tail", type=_share, default=None,
                   help="tiered: share of worst paths re-run exactly per metric (default 0.025)")  # fmt: skip
    s.add_argument("--tier-rounds", type=_at_least(0), default=None,
                   help="tiered: rounds that re-run deeper where a tail statistic is not covered "
                        "(default 1; 0: none)")  # fmt: skip
    s.add_argument("--control-paths", type=_at_least(0), default=None,
                   help="tiered: size of the random control sample (default max(50, paths/100))")  # fmt: skip
