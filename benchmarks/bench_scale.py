"""Benchmark Monte Carlo at scale (docs/scale.md "Measured"): every figure a ratio measured in one run.

1. **Throughput** on ``ai-token-crash`` (768 steps): path-steps per second of the **floor** (numpy
   drawing the same price paths alone: ``simulate_prices`` per path from its seed, stacked, as
   ``vector_chunk`` draws them), of the **vectorised engine** (``vector_chunk`` on chunks of
   ``VECTOR_CHUNK`` paths) and of the **exact runner** (``run_path``, a few paths). Reported:
   vectorised / exact and vectorised wall / floor wall (goal: within 3x of the floor).
2. **Tiered at scale**: wall time of ``N`` paths of ``ai-token-crash`` with the tiered engine
   (vector on every path, exact on the tail and a control sample) on a process pool of 2, with
   the exact tier's paths and time. The goal is 10,000 paths in under 10 minutes; ``N`` defaults
   to 1,000 (10,000 takes hours on 2 shared cores), and the line gives what 10,000 would take at
   the measured vector rate (the vector tier is linear in paths; the exact tier is not
   extrapolated).
3. **Scaling**: the same paths on the vector engine, on a dask LocalCluster of 1 and of 2 worker
   processes (started and warmed before the clock) and on the process pool of 2; the 1 -> 2
   speed-up and pool/dask ratio; the three must give identical ``summary.json`` bytes (checked);
   and the process pool of 2 on per-path calls of the same model (``float_path``), whose wall
   against the batched run is the gain of batching.
4. **Memory**: peak RSS (``ru_maxrss``) of the driver and of its largest pool worker on the
   vector engine, each run in a fresh interpreter, for prefixes of ``calm-year`` (one year of
   hourly steps; a full year of 10,000 paths does not finish in a session on 2 cores): 30 days
   with ``N`` and ``4 N`` paths in chunks of ``MEM_CHUNK`` (flat in paths: a chunk bounds what a
   worker holds, series go to disk-backed ``.npy``), and 90 days with ``N`` paths (how a worker
   grows with steps). The worker's peak is then extrapolated linearly in chunk x steps (its
   arrays are ``(chunk, steps, assets)``) to a full year in chunks of ``VECTOR_CHUNK``, and driver
   + 2 x that worker is compared with 2 GiB.

Run: ``.venv/bin/python benchmarks/bench_scale.py [--parts throughput,tiered,scaling,memory]
[--tiered-paths 1000] [--scaling-paths 64] [--memory-paths 64]`` (tens of minutes on 2 cores;
run it once, not in a loop). Each part prints one line and a JSON record.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from peglab.risk.backends import Batched, DaskBackend, LocalPool, path_seed
from peglab.risk.library import load_scenario
from peglab.risk.montecarlo import VECTOR_CHUNK, run_monte_carlo, run_stress
from peglab.risk.params import apply_params
from peglab.sim.processes import rng_from
from peglab.sim.runner import float_path, run_path, vector_chunk
from peglab.sim.scenario import simulate_prices

CRASH = "ai-token-crash"
YEAR = "calm-year"
GIB = 1024.0  # MiB
MEM_CHUNK = 32
YEAR_STEPS = 8760


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min) / {five:.1f} (5 min) on {os.cpu_count()} cores"


def _emit(part: str, line: str, record: dict[str, Any]) -> None:
    print(f"{part}: {line}")
    print(json.dumps({"part": part, **record, "load": os.getloadavg()[:2]}))
    sys.stdout.flush()


def bench_throughput(vec_paths: int = VECTOR_CHUNK, exact_paths: int = 2) -> None:
    sc = load_scenario(CRASH)
    seeds = [path_seed(1, i) for i in range(vec_paths)]
    t = time.perf_counter()
    np.stack([simulate_prices(sc, rng_from(s)) for s in seeds])
    floor = time.perf_counter() - t
    t = time.perf_counter()
    for start in range(0, vec_paths, VECTOR_CHUNK):
        vector_chunk(sc, seeds[start : start + VECTOR_CHUNK])
    vec = time.perf_counter() - t
    t = time.perf_counter()
    for i in range(exact_paths):
        run_path(sc, i, seeds[i])
    exact = time.perf_counter() - t
    rate = {k: n * sc.n_steps / w for k, n, w in
            (("floor", vec_paths, floor), ("vector", vec_paths, vec), ("exact", exact_paths, exact))}  # fmt: skip
    _emit(
        "throughput",
        f"{CRASH} ({sc.n_steps} steps): floor {rate['floor']:,.0f} path-steps/s, vectorised "
        f"{rate['vector']:,.0f} ({vec_paths} paths, chunks of {VECTOR_CHUNK}), exact "
        f"{rate['exact']:,.0f} ({exact_paths} paths); vectorised/exact {rate['vector'] / rate['exact']:.1f}x, "
        f"vectorised wall / floor wall {vec / floor:.2f}x (goal <= 3); {_load()}",
        {"path_steps_per_s": rate, "vector_over_floor_wall": vec / floor},
    )


def bench_tiered(paths: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        summary = run_stress(CRASH, paths, 1, tmp, 2, engine="tiered", report=False,
                             progress=False, n_resamples=200)  # fmt: skip
        wall = time.perf_counter() - t
        timings = json.loads((Path(tmp) / "timings.json").read_text())
    tier = timings.get("exact_tier", {})
    flagged = summary.get("tiers", {}).get("flagged", [])
    vector_10k = timings["wall_s"] * 10_000 / paths
    _emit(
        "tiered",
        f"{paths:,} paths of {CRASH}, tiered on a process pool of 2: {wall / 60:.1f} min wall "
        f"(vector tier {timings['wall_s']:.0f} s, exact tier {tier.get('paths')} paths in "
        f"{tier.get('wall_s', 0):.0f} s); at this vector rate 10,000 paths' vector tier alone "
        f"takes {vector_10k / 60:.0f} min (goal: all of it < 10 min); flagged "
        f"{flagged or 'none'}; {_load()}",
        {"paths": paths, "wall_s": wall, "timings": timings, "flagged": flagged,
         "vector_tier_10k_s": vector_10k},
    )  # fmt: skip


def _run(
    out: Path, scenario: Any, paths: int, backend: Any, chunk: int | None = None, model: Any = None
) -> float:
    sc = load_scenario(scenario) if isinstance(scenario, str) else scenario
    t = time.perf_counter()
    run_monte_carlo(sc, Batched(vector_chunk) if model is None else model, paths=paths, seed=1,
                    out_dir=out, workers=2,
                    progress=False, n_resamples=200, backend=backend, chunk=chunk)  # fmt: skip
    return time.perf_counter() - t


def bench_scaling(paths: int) -> None:
    from distributed import LocalCluster

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        walls: dict[str, float] = {}
        for n in (1, 2):
            with LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                              dashboard_address=None) as cluster:  # fmt: skip
                backend = DaskBackend(cluster.scheduler_address, dashboard=False)
                _run(root / f"warm{n}", CRASH, 2 * n, backend)  # imports before the clock
                walls[f"dask{n}"] = _run(root / f"dask{n}", CRASH, paths, backend)
        walls["pool2"] = _run(root / "pool2", CRASH, paths, LocalPool(2))
        same = {(root / k / "summary.json").read_bytes() for k in walls}
        assert len(same) == 1, "backends disagree"
        per_path = _run(root / "perpath", CRASH, paths, LocalPool(2), model=float_path)
    _emit(
        "scaling",
        f"{CRASH} vector engine, {paths} paths: dask 1 worker {walls['dask1']:.1f} s, 2 workers "
        f"{walls['dask2']:.1f} s (speed-up {walls['dask1'] / walls['dask2']:.2f}x); process pool 2 "
        f"{walls['pool2']:.1f} s (pool/dask2 {walls['pool2'] / walls['dask2']:.2f}); identical "
        f"summary.json bytes; per-path calls of the same model {per_path:.1f} s (batched/per-path "
        f"wall {walls['pool2'] / per_path:.2f}); {_load()}",
        {"paths": paths, "walls": walls, "per_path_s": per_path},
    )


def measure_rss(days: int, paths: int) -> dict[str, Any]:
    """Peak RSS in MiB of this process (the driver) and of its largest pool worker, one run of
    the first ``days`` days of ``calm-year`` in chunks of ``MEM_CHUNK`` paths."""
    sc = apply_params(load_scenario(YEAR), {"horizon": f"{days}d"})
    with tempfile.TemporaryDirectory() as tmp:
        wall = _run(Path(tmp), sc, paths, LocalPool(2), MEM_CHUNK)
    kib = 1024.0  # ru_maxrss is in KiB on Linux
    return {
        "days": days, "steps": sc.n_steps, "paths": paths, "chunk": MEM_CHUNK,
        "wall_s": round(wall, 1),
        "driver_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / kib,
        "worker_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / kib,
    }  # fmt: skip


def _rss(days: int, paths: int) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, "--rss", str(days), str(paths)],
                         capture_output=True, text=True, check=True)  # fmt: skip
    row: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return row


def bench_memory(paths: int) -> None:
    a, b, d = _rss(30, paths), _rss(30, 4 * paths), _rss(90, paths)
    # worker ~ w0 + slope * chunk * steps: the slope from 30 d -> 90 d at the same chunk
    slope = (d["worker_mib"] - a["worker_mib"]) / (MEM_CHUNK * (d["steps"] - a["steps"]))
    year_worker = a["worker_mib"] + slope * (VECTOR_CHUNK * YEAR_STEPS - MEM_CHUNK * a["steps"])
    driver = max(a["driver_mib"], b["driver_mib"], d["driver_mib"])
    bound = driver + 2 * year_worker
    _emit(
        "memory",
        f"{YEAR} prefixes, vector engine, pool of 2, chunks of {MEM_CHUNK}: 30 d x {a['paths']} "
        f"paths driver {a['driver_mib']:.0f} MiB, largest worker {a['worker_mib']:.0f} MiB "
        f"({a['wall_s']:.0f} s); 30 d x {b['paths']} paths driver {b['driver_mib']:.0f}, worker "
        f"{b['worker_mib']:.0f} ({b['wall_s']:.0f} s): 4x paths -> driver "
        f"{b['driver_mib'] / a['driver_mib']:.2f}x, worker {b['worker_mib'] / a['worker_mib']:.2f}x; "
        f"90 d x {d['paths']} paths worker {d['worker_mib']:.0f} MiB ({d['wall_s']:.0f} s); "
        f"extrapolated to 365 d in chunks of {VECTOR_CHUNK}: worker {year_worker:.0f} MiB, driver "
        f"+ 2 workers {bound:.0f} MiB ({bound / GIB:.2f} GiB, budget 2 GiB; whatever the number "
        f"of paths); {_load()}",
        {"rows": [a, b, d], "slope_mib_per_path_step": slope, "year_worker_mib": year_worker,
         "bound_mib": bound},
    )  # fmt: skip


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--rss":
        print(json.dumps(measure_rss(int(sys.argv[2]), int(sys.argv[3]))))
        sys.exit(0)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parts", default="throughput,tiered,scaling,memory")
    ap.add_argument("--tiered-paths", type=int, default=1_000)
    ap.add_argument("--scaling-paths", type=int, default=64)
    ap.add_argument("--memory-paths", type=int, default=64)
    args = ap.parse_args()
    parts = args.parts.split(",")
    print(f"bench_scale: {_load()}")
    if "throughput" in parts:
        bench_throughput()
    if "tiered" in parts:
        bench_tiered(args.tiered_paths)
    if "scaling" in parts:
        bench_scaling(args.scaling_paths)
    if "memory" in parts:
        bench_memory(args.memory_paths)
