"""Monte Carlo driver: N seeded paths on a process pool, streamed to disk, aggregated (docs/risk-spec.md §2, §6).

Design
------
* Seeds: path ``i`` uses ``SeedSequence(root, spawn_key=(i,))``, which is exactly
  ``SeedSequence(root).spawn(N)[i]``; so a run is reproducible alone and the seed list is never
  materialised. The bootstrap uses ``SeedSequence(root, spawn_key=(0xB007, 0))`` (a key of another
  length, so it never collides with a path).
* Work: the model is a parameter: a per-path function ``run_path(scenario, path_index,
  seed_seq) -> PathResult`` (the exact engine, ``sim.runner.run_path``) or a
  ``risk.backends.Batched`` chunk function that runs a whole chunk of paths in one call (the
  vector engine, ``sim.runner.vector_chunk``; ``risk.engines`` names them). Chunks of path
  indices run on a ``risk.backends.Backend``: the local process pool by default (``workers = 1``
  runs in-process, full tracebacks, R6) or dask.distributed (docs/scale.md), with at most
  ``2 * workers`` chunks in flight (bounded memory). A rich progress bar shows paths done.
* Streaming: each result is written as it completes (``rundir.Sink``): one CSV row and its small
  series into disk-backed ``.npy`` matrices. RAM holds scalars only.
* Output: the run-directory format of ``risk.rundir``. Same seed -> identical ``summary.json``
  bytes for any ``workers``.

Which columns get tail measures (VaR/ES/EVaR) is read from the families' registered metric specs
(``loss``), recorded in ``metrics.json`` next to the summary.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .. import __version__
from ..errors import InvalidInput
from ..sim.family import catalog
from ..sim.results import PathResult, RunPath, report_grid
from ..sim.scenario import Scenario, scenario_hash
from .backends import (
    Backend,
    Batched,
    ChunkJob,
    LocalPool,
    Model,
    VariantJob,
    lend,
    make_backend,
    model_name,
    path_seed,
)
from .engines import choose_engine, engine_model
from .measures import BOOTSTRAP_KEY, risk_summary
from .rundir import (
    Catalog,
    Sink,
    append_paths_csv,
    clear_run,
    load_catalog,
    read_paths_csv,
    read_paths_table,
    sort_paths_csv,
    write_catalog,
    write_json,
)
from .tiers import (
    DEFAULT_ROUNDS,
    DEFAULT_TAIL,
    analyse,
    extend_plan,
    plan_tiers,
)

__all__ = [
    "PathResult",
    "RunPath",
    "aggregate",
    "check_int",
    "chunk_size",
    "conditional_on",
    "make_backend",
    "path_seed",
    "progress_bar",
    "report_grid",
    "run_monte_carlo",
    "run_stress",
    "run_tiered",
    "run_variants",
    "stream_paths",
    "vector_cap",
]

# the most paths one chunk of a batched (vectorised) model holds: memory is bounded by it
VECTOR_CHUNK = 1024
# ... and the most path-steps, unless that leaves fewer than VECTOR_CHUNK_LONG paths: a chunk's
# series grow with paths x steps, so a long horizon gets the smaller cap
VECTOR_PATH_STEPS = 800_000
VECTOR_CHUNK_LONG = 128
PATH_CHUNK = 16  # the most paths one chunk of a per-path model holds (64 before 2026-12-04)
FloatArray = NDArray[np.float64]
AGGREGATE_POOL_PATHS = 500  # from this many paths ``aggregate`` summarises columns on a pool


def _chunks(indices: Sequence[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(indices), size):
        yield list(indices[start : start + size])


def vector_cap(steps: int) -> int:
    """The most paths in one chunk of a batched model for a scenario of ``steps`` steps:
    :data:`VECTOR_CHUNK`, fewer once the chunk would pass :data:`VECTOR_PATH_STEPS`
    path-steps, never fewer than :data:`VECTOR_CHUNK_LONG`."""
    return min(VECTOR_CHUNK, max(VECTOR_CHUNK_LONG, VECTOR_PATH_STEPS // max(steps, 1)))


def chunk_size(model: Model, n: int, workers: int, steps: int = 0) -> int:
    """Paths per chunk: a per-path model 1 on one worker, else ``n / (8 workers)`` capped at
    :data:`PATH_CHUNK` (small chunks balance the load: the last chunk of a worker may be all
    that runs at the end, and an exact tail path costs about a CPU second); a batched model
    ``n / c`` where the count ``c`` is the fewest chunks within :func:`vector_cap` of the
    scenario's ``steps``, at least two a worker and rounded up to a multiple of the workers
    (large chunks feed the arrays: a vectorised step costs less per path the more paths share
    it; chunks of one size, as many on each worker, keep every core busy to the end: 10,000
    paths of 768 steps on 2 workers are 10 chunks of 1,000, not 9 of 1,024 and one of 784).
    A result never depends on it."""
    if isinstance(model, Batched):
        count = max(2 * workers, math.ceil(n / vector_cap(steps)))
        return max(1, math.ceil(n / (math.ceil(count / workers) * workers)))
    return 1 if workers == 1 else max(1, min(PATH_CHUNK, n // (workers * 8)))


def stream_paths(
    backend: Backend,
    job: ChunkJob,
    indices: Sequence[int],
    sink: Sink,
    bar: Any,
    description: str,
    chunk: int | None = None,
) -> None:
    """Run ``indices`` on an entered ``backend`` in chunks and write each result to ``sink`` as
    its chunk completes, advancing a progress task of ``bar``."""
    task = bar.add_task(description, total=len(indices))
    workers = backend.workers
    steps = job.scenario.n_steps
    size = chunk if chunk is not None else chunk_size(job.run_path, len(indices), workers, steps)
    for results in backend.map_chunks(job, _chunks(indices, size), in_flight=2 * workers):
        for idx, res in results:
            sink.add(idx, res)
        bar.advance(task, len(results))


def progress_bar(enabled: bool, total: int, label: str) -> Any:
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
    run_path: Model,
    *,
    paths: int,
    seed: int,
    out_dir: str | Path,
    workers: int = 1,
    keep_paths: int = 3,
    progress: bool = True,
    n_resamples: int = 1000,
    backend: Backend | None = None,
    chunk: int | None = None,
    engine: str | None = None,
) -> dict[str, Any]:
    """Run ``paths`` paths, stream them to ``out_dir``, aggregate, return the summary dict.

    ``run_path``: a per-path model or a ``Batched`` one (module docstring). ``backend`` runs the
    chunks (``risk.backends``); by default a local pool of ``workers``. ``chunk``: paths per chunk
    (default :func:`chunk_size`; the outputs never depend on it). ``engine``: the engine's name,
    recorded in the summary.
    """
    check_int(paths, "paths", 1, 10_000_000)
    if chunk is not None:
        check_int(chunk, "chunk", 1, 1_000_000)
    check_int(seed, "seed", 0, 2**63 - 1)
    check_int(workers, "workers", 1, 1024)
    check_int(keep_paths, "keep_paths", 0, 10_000)
    run = _OpenRun(scenario, out_dir, paths, keep_paths)
    be = backend if backend is not None else LocalPool(workers)
    job = ChunkJob(run_path, scenario, seed)
    t0 = time.perf_counter()
    try:
        with be, progress_bar(progress, paths, scenario.name) as bar:
            if progress:
                bar.console.print(f"running on {be.label}")  # with the dask dashboard link
            n_workers = be.workers
            stream_paths(be, job, range(paths), run.sink, bar, f"{scenario.name} x{paths}", chunk)
            label = be.label
    finally:
        run.sink.close()
    wall = time.perf_counter() - t0
    summary = run.finish(run_path, seed, n_resamples, engine, n_workers)
    timings = {
        "backend": label,
        "workers": n_workers,
        "wall_s": round(wall, 3),
        "paths_per_s": round(paths / wall, 3) if wall > 0 else None,
        "path_steps_per_s": round(paths * scenario.n_steps / wall, 1) if wall > 0 else None,
        "cpu_count": os.cpu_count(),
    }
    write_json(run.out / "timings.json", timings)
    return summary


class _OpenRun:
    """One run directory being written: created and cleared, its catalog written, a
    :class:`Sink` open."""

    def __init__(
        self, scenario: Scenario, out_dir: str | Path, paths: int, keep_paths: int
    ) -> None:
        out = Path(out_dir)
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise InvalidInput(
                "stress/bad-out-dir", f"cannot create {out}: {e.strerror or e}"
            ) from None
        self.scenario, self.out, self.paths = scenario, out, paths
        clear_run(out)
        self.cat = catalog(scenario)
        write_catalog(out, self.cat)
        self.sink = Sink(out, paths, len(report_grid(scenario.n_steps)), keep_paths)

    def finish(
        self, run_path: Model, seed: int, n_resamples: int, engine: str | None, workers: int = 1
    ) -> dict[str, Any]:
        """Check that every path came back once, sort the table, write the summary."""
        if self.sink.count != self.paths:  # every index exactly once (the Sink refuses repeats)
            raise InvalidInput(
                "stress/incomplete", f"{self.sink.count} of {self.paths} paths came back"
            )
        sort_paths_csv(self.out / "paths.csv")
        return aggregate(
            self.out, self.scenario, run_path, Catalog(self.cat), paths=self.paths, seed=seed,
            n_resamples=n_resamples, engine=engine, workers=workers,
        )  # fmt: skip


def run_variants(
    runs: Sequence[tuple[Scenario, str | Path]],
    run_path: Model,
    *,
    paths: int,
    seed: int,
    backend: Backend,
    n_resamples: int = 1000,
) -> list[dict[str, Any]]:
    """Run the same ``paths`` seeded paths of several scenarios (``(scenario, out_dir)`` each)
    on one entered ``backend`` as ONE stream of chunks, so the backend's workers are busy with
    several runs at once (``risk.sensitivity``'s variants of a few paths each would otherwise
    run one after the other, each cut into chunks of a path). Each directory is what
    :func:`run_monte_carlo` with ``keep_paths=0`` writes, without ``timings.json``; returns the
    summaries in order.

    Path ``i`` of run ``v`` travels as index ``v * paths + i`` (``backends.VariantJob``); a chunk
    never spans two runs. A batched model gets each run's paths in one chunk (up to
    :func:`vector_cap`), a per-path model chunks of :func:`chunk_size` over all the paths.
    """
    check_int(paths, "paths", 1, 10_000_000)
    check_int(seed, "seed", 0, 2**63 - 1)
    opened = [_OpenRun(sc, out, paths, 0) for sc, out in runs]
    job = VariantJob(tuple(ChunkJob(run_path, sc, seed) for sc, _ in runs), paths)
    steps = max((sc.n_steps for sc, _ in runs), default=0)
    if isinstance(run_path, Batched):
        size = min(paths, vector_cap(steps))
    else:
        size = min(paths, chunk_size(run_path, paths * len(runs), backend.workers))
    chunks = (
        [v * paths + i for i in part]
        for v in range(len(runs))
        for part in _chunks(range(paths), size)
    )
    try:
        for results in backend.map_chunks(job, chunks, in_flight=2 * backend.workers):
            for idx, res in results:
                opened[idx // paths].sink.add(idx % paths, res)
    finally:
        for run in opened:
            run.sink.close()
    return [run.finish(run_path, seed, n_resamples, None) for run in opened]


def check_int(value: object, name: str, lo: int, hi: int) -> None:
    if type(value) is not int or not lo <= value <= hi:
        raise InvalidInput(
            f"stress/bad-{name.replace('_', '-')}",
            f"{name} must be an integer in [{lo}, {hi}], got {value!r}",
        )


def conditional_on(scenario: Scenario) -> str:
    """What every number of a run is conditional on: the scenario, by name and description."""
    text = f"scenario {scenario.name}"
    return f"{text}: {scenario.description}" if scenario.description else text


def _column_summary(
    job: tuple[FloatArray, np.random.SeedSequence, bool, int, str],
) -> dict[str, Any]:
    finite, seed, tail, n_resamples, condition = job
    if finite.size == 0:
        return {"n": 0}
    return risk_summary(
        finite, seed=seed, tail=tail, n_resamples=n_resamples, conditional_on=condition
    )


def aggregate(
    out: Path,
    scenario: Scenario,
    run_path: Model,
    specs: Catalog,
    *,
    paths: int,
    seed: int,
    n_resamples: int = 1000,
    engine: str | None = None,
    workers: int = 1,
) -> dict[str, Any]:
    """Read ``paths.csv`` and write ``summary.json`` (metrics with bootstrap CIs).

    From :data:`AGGREGATE_POOL_PATHS` paths, the columns are summarised on a process pool of
    ``workers`` (at most this machine's cores): at 10,000 paths the bootstrap of the entropic
    VaR is about a CPU second for a loss column of many values (one of a few values repeats its
    resamples, computed once: ``measures.bootstrap_cis``). A column's summary depends on its
    values and its position only, so the bytes are the same on any number of processes.

    Every column's statistics are conditional on the scenario that generated the paths
    (docs/validation.md §1): its name and description go with each column (``conditional_on``)
    and with the summary, so no number reads as an unconditional probability.
    """
    condition = conditional_on(scenario)
    columns, data = read_paths_csv(out / "paths.csv")
    boot = np.random.SeedSequence(seed, spawn_key=BOOTSTRAP_KEY)
    jobs: list[tuple[FloatArray, np.random.SeedSequence, bool, int, str]] = []
    for j, name in enumerate(columns):
        col = data[:, j]
        child = np.random.SeedSequence(boot.entropy, spawn_key=(*BOOTSTRAP_KEY, j + 1))
        jobs.append((col[np.isfinite(col)], child, specs.is_loss(name), n_resamples, condition))
    procs = min(workers, os.cpu_count() or 1) if paths >= AGGREGATE_POOL_PATHS else 1
    if procs > 1:  # each column alone, seeded by its position: the same bytes on any count
        with ProcessPoolExecutor(max_workers=procs) as pool:
            results = list(pool.map(_column_summary, jobs))
    else:
        results = [_column_summary(job) for job in jobs]
    metrics: dict[str, Any] = dict(zip(columns, results, strict=True))
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
            "run_path": model_name(run_path),
            "bootstrap_resamples": n_resamples,
            "ci_level": 0.95,
            "var_method": "nearest rank",
            "series_times_s": [int(k) * scenario.step for k in grid],
        },
        "metrics": metrics,
    }
    if engine is not None:
        summary["engine"] = engine
    write_json(out / "summary.json", summary)
    return summary


def run_stress(
    name_or_file: str | Path,
    paths: int,
    seed: int,
    out_dir: str | Path,
    workers: int = 1,
    run_path: Model | None = None,
    *,
    report: bool = True,
    progress: bool = True,
    keep_paths: int = 3,
    n_resamples: int = 1000,
    scheduler: str | None = None,
    sensitivity_paths: int = 0,
    engine: str | None = None,
    chunk: int | None = None,
    tail: float | None = None,
    control: int | None = None,
    rounds: int | None = None,
) -> dict[str, Any]:
    """Load a scenario (library name or file), run the Monte Carlo, write outputs and the report.

    ``engine``: ``exact``, ``vector`` (``float``) or ``tiered`` (``risk.engines``); without it, a
    given ``run_path`` model is run as is, else the default engine (``engines.choose_engine``:
    tiered from 1,000 paths when the scenario has vectorised models, exact otherwise).
    ``scheduler`` (``"local"`` or a dask scheduler address) runs the chunks on dask instead of
    the process pool. ``tail``/``control``/``rounds``: the tiered engine's tail share, control
    sample and extension rounds (:func:`run_tiered`). ``sensitivity_paths > 0`` also varies every
    chosen agent threshold on the run's first that many paths (``risk.sensitivity``, on the model
    that wrote ``paths.csv``; the report's "Sensitivity" section). Returns the summary.
    """
    from .library import load_scenario

    scenario = load_scenario(name_or_file)
    check_int(paths, "paths", 1, 10_000_000)
    check_int(sensitivity_paths, "sensitivity_paths", 0, paths)  # before any work
    if run_path is not None and engine is None:
        eng, rp = None, run_path
    else:
        eng = choose_engine(engine, scenario, paths)
        rp = engine_model("vector" if eng == "tiered" else eng)
    backend = None if scheduler is None else make_backend(scheduler, workers)
    common: dict[str, Any] = dict(
        paths=paths, seed=seed, out_dir=out_dir, workers=workers, keep_paths=keep_paths,
        progress=progress, n_resamples=n_resamples, backend=backend, chunk=chunk,
    )  # fmt: skip
    if eng == "tiered":
        tail_share = DEFAULT_TAIL if tail is None else tail
        more = DEFAULT_ROUNDS if rounds is None else rounds
        summary = run_tiered(scenario, tail=tail_share, control=control, rounds=more, **common)
    else:
        summary = run_monte_carlo(scenario, rp, engine=eng, **common)
    if sensitivity_paths:
        from .sensitivity import run_sensitivity

        sens_backend = make_backend(scheduler, workers)
        run_sensitivity(out_dir, scenario, rp, seed, sensitivity_paths, sens_backend, run_variants)
    if report:
        from .report import render_report

        render_report(out_dir)
    return summary


def run_tiered(
    scenario: Scenario,
    *,
    paths: int,
    seed: int,
    out_dir: str | Path,
    workers: int = 1,
    keep_paths: int = 3,
    progress: bool = True,
    n_resamples: int = 1000,
    backend: Backend | None = None,
    chunk: int | None = None,
    tail: float = DEFAULT_TAIL,
    control: int | None = None,
    fast: Model | None = None,
    exact: Model | None = None,
    tolerances: Mapping[str, tuple[float, float]] | None = None,
    rounds: int = DEFAULT_ROUNDS,
) -> dict[str, Any]:
    """Run ``paths`` paths on two tiers (docs/scale.md "Two tiers"); returns the summary.

    1. The vector engine (``fast``) runs every path: the run directory is a complete vector run.
    2. ``risk.tiers.plan_tiers`` picks, per tiered column, the ``k`` worst paths by the vector
       value (none of a tie at the boundary), plus a seeded random control sample; the exact engine re-runs their union on the
       same backend (entered once for both tiers) into ``tiers/exact/paths.csv``.
    3. The exact tail statistics with their coverage, and the vector-vs-exact difference on the
       control sample with its flags, go to ``summary.json`` under ``tiers`` (the plan to
       ``tiers/plan.json``; the exact tier's wall time to ``timings.json``).

    Every choice depends only on the scenario, the root seed and the path values, so the bytes
    are the same whatever the workers, the chunk size or the backend.

    ``tail``: the share of worst paths the exact tier must hold per column (default 2.5%: VaR99
    and ES97.5; 0.05 adds VaR95); ``control``: the control sample's size (default
    ``max(50, N/100)``); ``fast``/``exact``: the two models (default the vector and exact
    engines); ``tolerances``: per metric or column ``(abs, rel)`` replacing ``MetricSpec.agree``;
    ``rounds``: extension rounds for not-covered statistics (``risk.tiers`` "Rounds"; 0: none).
    """
    check_int(paths, "paths", 1, 10_000_000)
    check_int(rounds, "rounds", 0, 100)
    if control is not None:
        check_int(control, "control", 0, paths)
    fast_model = fast if fast is not None else engine_model("vector")
    exact_model = exact if exact is not None else engine_model("exact")
    out = Path(out_dir)
    be = backend if backend is not None else LocalPool(workers)
    with be:
        held = lend(be)
        summary = run_monte_carlo(
            scenario, fast_model, paths=paths, seed=seed, out_dir=out, workers=workers,
            keep_paths=keep_paths, progress=progress, n_resamples=n_resamples, backend=held,
            chunk=chunk, engine="tiered",
        )  # fmt: skip
        cat = load_catalog(out)
        columns, data = read_paths_csv(out / "paths.csv")
        plan = plan_tiers(cat, columns, data, seed, tail, control)
        tier_dir = out / "tiers" / "exact"
        job = ChunkJob(exact_model, scenario, seed)
        ran: list[int] = []
        wall, passes = 0.0, []
        for round_no in range(rounds + 1):
            todo = sorted(set(plan.indices) - set(ran))
            label = "exact tier" if round_no == 0 else f"exact tier, round {round_no}"
            wall += _exact_pass(held, job, tier_dir, paths, todo, progress, label)
            passes.append(len(todo))
            ran = sorted(set(ran) | set(todo))
            ids, ecols, edata = read_paths_table(tier_dir / "paths.csv")
            if ids != ran:  # rows are matched to paths by position in ``analyse``
                raise InvalidInput(
                    "stress/incomplete",
                    f"the exact tier's paths.csv holds {len(ids)} rows, not the {len(ran)} "
                    "paths this run sent to it",
                )
            tiers = analyse(
                plan, cat, (columns, data), (ecols, edata), ran, seed, n_resamples, tolerances
            )
            grown = extend_plan(plan, columns, data, tiers["tail"]) if round_no < rounds else None
            if grown is None:
                break
            plan = grown
    tiers["rule"]["rounds"] = {"allowed": rounds, "paths": passes}
    summary["tiers"] = tiers
    summary["tiers"]["models"] = {
        "vector": model_name(fast_model),
        "exact": model_name(exact_model),
    }
    write_json(out / "summary.json", summary)
    write_json(out / "tiers" / "plan.json", plan.as_dict())
    timings_path = out / "timings.json"
    timings = json.loads(timings_path.read_text(encoding="utf-8"))
    timings["exact_tier"] = {
        "paths": len(ran),
        "wall_s": round(wall, 3),
        "path_steps_per_s": round(len(ran) * scenario.n_steps / wall, 1) if wall > 0 else None,
    }
    write_json(timings_path, timings)
    return summary


def _exact_pass(
    held: Backend,
    job: ChunkJob,
    tier_dir: Path,
    paths: int,
    indices: list[int],
    progress: bool,
    label: str,
) -> float:
    """Run ``indices`` on the exact model into ``tier_dir/paths.csv`` (appended to the rows of
    earlier passes, sorted by path); returns the wall time."""
    tier_dir.mkdir(parents=True, exist_ok=True)
    first = not (tier_dir / "paths.csv").is_file()
    if not indices and not first:
        return 0.0
    dest = tier_dir if first else tier_dir / "next"
    dest.mkdir(exist_ok=True)
    sink = Sink(dest, paths, 0, 0, indices=indices, series=False)
    t0 = time.perf_counter()
    try:
        with progress_bar(progress, len(indices), job.scenario.name) as bar:
            stream_paths(held, job, indices, sink, bar, f"{label} x{len(indices)}")
    finally:
        sink.close()
    wall = time.perf_counter() - t0
    if sink.count != len(indices):
        raise InvalidInput(
            "stress/incomplete", f"{sink.count} of {len(indices)} exact paths came back"
        )
    if not first:
        append_paths_csv(tier_dir / "paths.csv", dest / "paths.csv")
        shutil.rmtree(dest)
    sort_paths_csv(tier_dir / "paths.csv")
    return wall
