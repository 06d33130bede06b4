"""Monte Carlo driver: N seeded paths on a process pool, streamed to disk, aggregated (docs/risk-spec.md §2, §6).

Design
------
* Seeds: path ``i`` uses ``SeedSequence(root, spawn_key=(i,))``, which is exactly
  ``SeedSequence(root).spawn(N)[i]``; so a run is reproducible alone and the seed list is never
  materialised. The bootstrap uses ``SeedSequence(root, spawn_key=(0xB007, 0))`` (a key of another
  length, so it never collides with a path).
* Work: ``run_path(scenario, path_index, seed_seq) -> PathResult`` is a parameter (the exact
  engine, ``sim.runner.run_path``, by default; ``sim.runner.float_path`` for the float models).
  Chunks of path indices run on a ``risk.backends.Backend``: the local process pool by default
  (``workers = 1`` runs in-process, full tracebacks, R6) or dask.distributed (docs/scale.md), with
  at most ``2 * workers`` chunks in flight (bounded memory). A rich progress bar shows paths done.
* Streaming: each result is written as it completes (``rundir.Sink``): one CSV row and its small
  series into disk-backed ``.npy`` matrices. RAM holds scalars only.
* Output: the run-directory format of ``risk.rundir``. Same seed -> identical ``summary.json``
  bytes for any ``workers``.

Which columns get tail measures (VaR/ES/EVaR) is read from the families' registered metric specs
(``loss``), recorded in ``metrics.json`` next to the summary.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__
from ..errors import InvalidInput
from ..sim.family import catalog
from ..sim.results import PathResult, RunPath, report_grid
from ..sim.scenario import Scenario, scenario_hash
from .backends import Backend, ChunkJob, LocalPool, make_backend, path_seed
from .measures import risk_summary
from .rundir import Catalog, Sink, read_paths_csv, sort_paths_csv, write_catalog, write_json

__all__ = [
    "PathResult",
    "RunPath",
    "aggregate",
    "conditional_on",
    "make_backend",
    "path_seed",
    "report_grid",
    "run_monte_carlo",
    "run_stress",
]

BOOTSTRAP_KEY: tuple[int, int] = (0xB007, 0)


def _chunks(n: int, size: int) -> Iterator[list[int]]:
    for start in range(0, n, size):
        yield list(range(start, min(n, start + size)))


def _progress(enabled: bool, total: int, label: str) -> Any:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        disable=not enabled,
        transient=False,
    )


def run_monte_carlo(
    scenario: Scenario,
    run_path: RunPath,
    *,
    paths: int,
    seed: int,
    out_dir: str | Path,
    workers: int = 1,
    keep_paths: int = 3,
    progress: bool = True,
    n_resamples: int = 1000,
    backend: Backend | None = None,
) -> dict[str, Any]:
    """Run ``paths`` paths, stream them to ``out_dir``, aggregate, return the summary dict.

    ``backend`` runs the chunks (``risk.backends``); by default a local pool of ``workers``.
    """
    _check_int(paths, "paths", 1, 10_000_000)
    _check_int(seed, "seed", 0, 2**63 - 1)
    _check_int(workers, "workers", 1, 1024)
    _check_int(keep_paths, "keep_paths", 0, 10_000)
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InvalidInput(
            "stress/bad-out-dir", f"cannot create {out}: {e.strerror or e}"
        ) from None
    grid = report_grid(scenario.n_steps)
    cat = catalog(scenario)
    write_catalog(out, cat)
    sink = Sink(out, paths, len(grid), keep_paths)
    be = backend if backend is not None else LocalPool(workers)
    job = ChunkJob(run_path, scenario, seed)
    t0 = time.perf_counter()
    try:
        with be, _progress(progress, paths, scenario.name) as bar:
            if progress:
                bar.console.print(f"running on {be.label}")  # with the dask dashboard link
            task = bar.add_task(f"{scenario.name} x{paths}", total=paths)
            n_workers = be.workers
            chunk = 1 if n_workers == 1 else max(1, min(64, paths // (n_workers * 8)))
            for results in be.map_chunks(job, _chunks(paths, chunk), in_flight=2 * n_workers):
                for idx, res in results:
                    sink.add(idx, res)
                bar.advance(task, len(results))
            label = be.label
    finally:
        sink.close()
    if sink.count != paths:  # every index exactly once (the Sink refuses repeats)
        raise InvalidInput("stress/incomplete", f"{sink.count} of {paths} paths came back")
    wall = time.perf_counter() - t0
    sort_paths_csv(out / "paths.csv")
    summary = aggregate(
        out, scenario, run_path, Catalog(cat), paths=paths, seed=seed, n_resamples=n_resamples
    )
    timings = {
        "backend": label,
        "workers": n_workers,
        "wall_s": round(wall, 3),
        "paths_per_s": round(paths / wall, 3) if wall > 0 else None,
        "path_steps_per_s": round(paths * scenario.n_steps / wall, 1) if wall > 0 else None,
        "cpu_count": os.cpu_count(),
    }
    write_json(out / "timings.json", timings)
    return summary


def _check_int(value: object, name: str, lo: int, hi: int) -> None:
    if type(value) is not int or not lo <= value <= hi:
        raise InvalidInput(
            f"stress/bad-{name.replace('_', '-')}",
            f"{name} must be an integer in [{lo}, {hi}], got {value!r}",
        )


def conditional_on(scenario: Scenario) -> str:
    """What every number of a run is conditional on: the scenario, by name and description."""
    text = f"scenario {scenario.name}"
    return f"{text}: {scenario.description}" if scenario.description else text


def aggregate(
    out: Path,
    scenario: Scenario,
    run_path: RunPath,
    specs: Catalog,
    *,
    paths: int,
    seed: int,
    n_resamples: int = 1000,
) -> dict[str, Any]:
    """Read ``paths.csv`` and write ``summary.json`` (metrics with bootstrap CIs).

    Every column's statistics are conditional on the scenario that generated the paths
    (docs/validation.md §1): its name and description go with each column (``conditional_on``)
    and with the summary, so no number reads as an unconditional probability.
    """
    condition = conditional_on(scenario)
    columns, data = read_paths_csv(out / "paths.csv")
    boot = np.random.SeedSequence(seed, spawn_key=BOOTSTRAP_KEY)
    metrics: dict[str, Any] = {}
    for j, name in enumerate(columns):
        col = data[:, j]
        finite = col[np.isfinite(col)]
        if finite.size == 0:
            metrics[name] = {"n": 0}
            continue
        child = np.random.SeedSequence(boot.entropy, spawn_key=(*BOOTSTRAP_KEY, j + 1))
        metrics[name] = risk_summary(
            finite,
            seed=child,
            tail=specs.is_loss(name),
            n_resamples=n_resamples,
            conditional_on=condition,
        )
    grid = report_grid(scenario.n_steps)
    summary: dict[str, Any] = {
        "peglab_version": __version__,
        "scenario": {
            "name": scenario.name,
            "hash": scenario_hash(scenario),
            "description": scenario.description,
            "sources": list(scenario.sources),
        },
        "seed": seed,
        "paths": paths,
        "conditional_on": condition,
        "parameters": {
            "horizon_s": scenario.horizon,
            "step_s": scenario.step,
            "n_steps": scenario.n_steps,
            "run_path": f"{getattr(run_path, '__module__', '?')}:{getattr(run_path, '__qualname__', repr(run_path))}",
            "bootstrap_resamples": n_resamples,
            "ci_level": 0.95,
            "var_method": "nearest rank",
            "series_times_s": [int(k) * scenario.step for k in grid],
        },
        "metrics": metrics,
    }
    write_json(out / "summary.json", summary)
    return summary


def run_stress(
    name_or_file: str | Path,
    paths: int,
    seed: int,
    out_dir: str | Path,
    workers: int = 1,
    run_path: RunPath | None = None,
    *,
    report: bool = True,
    progress: bool = True,
    keep_paths: int = 3,
    n_resamples: int = 1000,
    scheduler: str | None = None,
    sensitivity_paths: int = 0,
) -> dict[str, Any]:
    """Load a scenario (library name or file), run the Monte Carlo, write outputs and the report.

    ``run_path`` defaults to the exact engine (``peglab.sim.runner.run_path``); pass
    ``peglab.sim.runner.float_path`` for the float models. ``scheduler`` (``"local"`` or a dask
    scheduler address) runs the chunks on dask instead of the process pool.
    ``sensitivity_paths > 0`` also varies every chosen agent threshold on the run's first that
    many paths (``risk.sensitivity``; the report's "Sensitivity" section). Returns the summary.
    """
    from .library import load_scenario

    scenario = load_scenario(name_or_file)
    _check_int(paths, "paths", 1, 10_000_000)
    _check_int(sensitivity_paths, "sensitivity_paths", 0, paths)  # before any work
    if run_path is None:  # the exact integer engine is the default model
        from ..sim.runner import run_path as exact_run_path

        rp: RunPath = exact_run_path
    else:
        rp = run_path
    summary = run_monte_carlo(
        scenario,
        rp,
        paths=paths,
        seed=seed,
        out_dir=out_dir,
        workers=workers,
        keep_paths=keep_paths,
        progress=progress,
        n_resamples=n_resamples,
        backend=None if scheduler is None else make_backend(scheduler, workers),
    )
    if sensitivity_paths:
        from .sensitivity import run_sensitivity

        backend = make_backend(scheduler, workers)
        run_sensitivity(out_dir, scenario, rp, seed, sensitivity_paths, backend, run_monte_carlo)
    if report:
        from .report import render_report

        render_report(out_dir)
    return summary
