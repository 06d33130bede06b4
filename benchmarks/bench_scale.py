"""Benchmark the Monte Carlo backends (docs/scale.md): dask scaling, pool vs dask, peak memory.

1. Scaling: the same ``PATHS`` paths of ``ai-token-crash`` on the vector engine (batched chunks:
   one ``vector_chunk`` call per chunk), on a dask
   LocalCluster of 1 and of 2 worker processes (cluster started before the clock starts) and on
   the process pool of 2 (its start-up is inside its time, as in a real run; the dask workers are
   warmed by a 2-path run first, so cluster start and imports are outside); reported: wall times, the 1 -> 2 worker speed-up and pool/dask ratio.
   The three runs must give identical ``summary.json`` bytes (checked). Also the process pool
   of 2 on the per-path float function (``float_path``: the same model one path per call), whose
   wall against the batched run is the gain of batching.
2. Memory: peak RSS (``ru_maxrss``) of the driver process and of its pool workers for ``N`` and
   ``4 N`` paths, each run in a fresh interpreter; the ratio shows whether memory grows with the
   number of paths (it should not: chunks are bounded, series go to disk-backed ``.npy``).

Run: ``.venv/bin/python benchmarks/bench_scale.py [paths]`` (a few minutes on 2 cores).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from peglab.risk.backends import DaskBackend, LocalPool
from peglab.risk.engines import engine_model
from peglab.risk.library import load_scenario
from peglab.risk.montecarlo import run_monte_carlo
from peglab.sim.runner import float_path

SCENARIO = "ai-token-crash"


def _run(out: Path, paths: int, backend: object, model: object = None) -> float:
    t = time.perf_counter()
    run_monte_carlo(
        load_scenario(SCENARIO),
        engine_model("vector") if model is None else model,  # type: ignore[arg-type]
        paths=paths,
        seed=1,
        out_dir=out,
        workers=2,
        progress=False,
        n_resamples=200,
        backend=backend,  # type: ignore[arg-type]
    )
    return time.perf_counter() - t


def bench_scaling(paths: int) -> None:
    from distributed import LocalCluster

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        walls: dict[str, float] = {}
        for n in (1, 2):
            with LocalCluster(
                n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster:
                backend = DaskBackend(cluster.scheduler_address, dashboard=False)
                _run(root / f"warm{n}", 2 * n, backend)  # workers import peglab before the clock
                walls[f"dask{n}"] = _run(root / f"dask{n}", paths, backend)
        walls["pool2"] = _run(root / "pool2", paths, LocalPool(2))
        same = {(root / k / "summary.json").read_bytes() for k in walls}  # one set element
        assert len(same) == 1, "backends disagree"
        per_path = _run(root / "perpath", paths, LocalPool(2), float_path)
    print(
        f"{SCENARIO} vector engine, {paths} paths: dask 1 worker {walls['dask1']:.1f} s, "
        f"2 workers {walls['dask2']:.1f} s (speed-up {walls['dask1'] / walls['dask2']:.2f}x); "
        f"process pool 2 {walls['pool2']:.1f} s (pool/dask2 wall = "
        f"{walls['pool2'] / walls['dask2']:.2f}); identical summary.json bytes; per-path calls "
        f"{per_path:.1f} s (batched/per-path wall = {walls['pool2'] / per_path:.2f})"
    )


def measure_rss(paths: int) -> dict[str, float]:
    """Peak RSS in MiB of this process and of its (finished) pool workers, for one run."""
    with tempfile.TemporaryDirectory() as tmp:
        wall = _run(Path(tmp), paths, LocalPool(2))
    kib = 1024  # ru_maxrss is in KiB on Linux
    return {
        "paths": paths,
        "wall_s": round(wall, 1),
        "driver_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / kib,
        "worker_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / kib,
    }


def bench_memory(paths: int) -> None:
    rows = []
    for n in (paths, 4 * paths):
        out = subprocess.run(
            [sys.executable, __file__, "--rss", str(n)], capture_output=True, text=True, check=True
        )
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    a, b = rows
    print(
        f"peak RSS, process pool of 2: {a['paths']} paths driver {a['driver_mib']:.0f} MiB, "
        f"worker {a['worker_mib']:.0f} MiB; {b['paths']} paths driver {b['driver_mib']:.0f} MiB, "
        f"worker {b['worker_mib']:.0f} MiB; ratio {b['paths'] // a['paths']}x paths -> "
        f"driver {b['driver_mib'] / a['driver_mib']:.2f}x, worker "
        f"{b['worker_mib'] / a['worker_mib']:.2f}x"
    )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--rss":
        print(json.dumps(measure_rss(int(sys.argv[2]))))
    else:
        n_paths = int(sys.argv[1]) if len(sys.argv) > 1 else 16
        bench_scaling(n_paths)
        bench_memory(n_paths)
