"""Risk layer: risk measures, the scenario library, the Monte Carlo driver and reports (docs/risk-spec.md §6-7).

Entry points for a command line: ``list_scenarios()``, ``load_scenario(name_or_path)``,
``run_stress(name_or_file, paths, seed, out_dir, workers, run_path)``,
``run_sweep(name_or_file, {path: values}, paths, seed, out_dir)``, ``render_report(out_dir)``
and ``print_summary(summary)``. ``rundir`` owns the run-directory format.
"""

from __future__ import annotations

from . import measures
from .library import list_scenarios, load_scenario
from .montecarlo import PathResult, RunPath, run_monte_carlo, run_stress
from .report import print_summary, render_report
from .rundir import load_summary
from .sweep import run_sweep

__all__ = [
    "PathResult",
    "RunPath",
    "list_scenarios",
    "load_scenario",
    "load_summary",
    "measures",
    "print_summary",
    "render_report",
    "run_monte_carlo",
    "run_stress",
    "run_sweep",
]
