"""Two-tier Monte Carlo, the driver (``--engine tiered``; docs/scale.md "Two tiers").

1. The vector engine runs every path (``run_monte_carlo`` with the batched model): the run
   directory is a complete vector run (``summary.json``, ``paths.csv``, series, report charts).
2. ``risk.tiers.plan_tiers`` picks, per tiered column, the ``k`` worst paths by the vector value,
   plus a seeded random control sample; the exact engine re-runs their union on the same backend
   (entered once for both tiers) and streams it to ``tiers/exact/paths.csv``.
3. The exact tail statistics with their coverage, and the vector-vs-exact difference on the
   control sample with its flags, go to ``summary.json`` under ``tiers`` (the plan to
   ``tiers/plan.json``; the tiers' wall times to ``timings.json``).

Every choice depends only on the scenario, the root seed and the path values, so the bytes are the
same whatever the workers, the chunk size or the backend.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InvalidInput
from ..sim.scenario import Scenario
from .backends import Backend, ChunkJob, LocalPool, Model, lend, model_name
from .engines import engine_model
from .montecarlo import check_int, progress_bar, run_monte_carlo, stream_paths
from .rundir import Sink, load_catalog, read_paths_csv, sort_paths_csv, write_json
from .tiers import BOOTSTRAP_KEY, DEFAULT_TAIL, compare_means, plan_tiers, tail_statistics

__all__ = ["DEFAULT_TAIL", "run_tiered"]


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
) -> dict[str, Any]:
    """Run ``paths`` paths on two tiers (module docstring); returns the summary.

    ``tail``: the share of worst paths the exact tier must hold per column (default 2.5%: VaR99
    and ES97.5; 0.05 adds VaR95); ``control``: the control sample's size (default
    ``max(50, N/100)``); ``fast``/``exact``: the two models (default the vector and exact
    engines); ``tolerances``: per metric or column ``(abs, rel)`` replacing ``MetricSpec.agree``.
    """
    check_int(paths, "paths", 1, 10_000_000)
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
        tier_dir.mkdir(parents=True, exist_ok=True)
        indices = plan.indices
        sink = Sink(tier_dir, paths, 0, 0, indices=indices, series=False)
        t0 = time.perf_counter()
        try:
            with progress_bar(progress, len(indices), scenario.name) as bar:
                what = f"exact tier x{len(indices)}"
                stream_paths(held, ChunkJob(exact_model, scenario, seed), indices, sink, bar, what)
        finally:
            sink.close()
        wall = time.perf_counter() - t0
    if sink.count != len(indices):
        raise InvalidInput(
            "stress/incomplete", f"{sink.count} of {len(indices)} exact paths came back"
        )
    sort_paths_csv(tier_dir / "paths.csv")
    ecols, edata = read_paths_csv(tier_dir / "paths.csv")
    summary["tiers"] = _analyse(
        plan, cat, (columns, data), (ecols, edata), indices, seed, n_resamples, tolerances
    )
    summary["tiers"]["models"] = {
        "vector": model_name(fast_model),
        "exact": model_name(exact_model),
    }
    write_json(out / "summary.json", summary)
    write_json(out / "tiers" / "plan.json", plan.as_dict())
    timings_path = out / "timings.json"
    timings = json.loads(timings_path.read_text(encoding="utf-8"))
    timings["exact_tier"] = {
        "paths": len(indices),
        "wall_s": round(wall, 3),
        "path_steps_per_s": round(len(indices) * scenario.n_steps / wall, 1) if wall > 0 else None,
    }
    write_json(timings_path, timings)
    return summary


def _analyse(
    plan: Any,
    cat: Any,
    vector: tuple[list[str], np.ndarray],
    exact: tuple[list[str], np.ndarray],
    indices: list[int],
    seed: int,
    n_resamples: int,
    tolerances: Mapping[str, tuple[float, float]] | None,
) -> dict[str, Any]:
    vcols, vdata = vector
    ecols, edata = exact
    row = {p: r for r, p in enumerate(indices)}  # exact table rows follow the sorted indices
    tails: dict[str, Any] = {}
    for col in plan.columns:
        if col.name not in ecols:
            tails[col.name] = {"status": "only-vector"}
            continue
        j = ecols.index(col.name)
        values = {p: float(edata[row[p], j]) for p in indices}
        boot = np.random.SeedSequence(seed, spawn_key=(*BOOTSTRAP_KEY, j + 1))
        tails[col.name] = tail_statistics(
            plan, col, vdata[:, vcols.index(col.name)], values, boot_seed=boot,
            n_resamples=n_resamples,
        )  # fmt: skip
    ctrl = [row[p] for p in plan.control]
    agreement = compare_means(
        cat, (vcols, vdata[list(plan.control)]), (ecols, edata[ctrl]), seed,
        n_resamples=n_resamples, tolerances=tolerances,
    )  # fmt: skip
    flagged = sorted(k for k, v in agreement.items() if v.get("passed") is False)
    uncovered = sorted(
        f"{c}:{s}" for c, t in tails.items() for s, e in t.items()
        if isinstance(e, dict) and e.get("status") == "not-covered"
    )  # fmt: skip
    return {
        "rule": {
            "tail": plan.tail, "m": plan.m, "margin": plan.margin, "k": plan.k,
            "control": len(plan.control), "exact_paths": len(indices),
            "columns": [c.name for c in plan.columns],
        },
        "tail": tails,
        "control": agreement,
        "flagged": flagged,
        "not_covered": uncovered,
    }  # fmt: skip
