"""Benchmark Monte Carlo at scale (docs/scale.md "Measured"): every figure a ratio measured in one run.

1. **Throughput** on ``ai-token-crash`` (768 steps): path-steps per second of the **floor** (numpy
   drawing the same price paths alone: ``simulate_prices_each`` on the chunk's generators, as
   ``vector_chunk`` draws them), of the **vectorised engine** (``vector_chunk`` on chunks of
   ``VECTOR_CHUNK`` paths) and of the **exact runner** (``run_path``, a few paths). Reported:
   vectorised / exact and vectorised wall / floor wall (goal: within 3x of the floor), and the
   per-step uniforms the vectorised model reads (the exact engine's streams) drawn alone, every
   path and step, against the floor.
2. **Tiered at scale**: wall time of ``N`` paths of ``ai-token-crash`` with the tiered engine
   (vector on every path, exact on the tail and a control sample) on a process pool of 2, with
   the exact tier's paths and time. The goal is 10,000 paths in under 10 minutes; ``N`` defaults
   to 1,000 (10,000 takes hours on 2 shared cores), and the line gives what 10,000 would take at
   the measured vector rate (the vector tier is linear in paths; the exact tier is not
   extrapolated).
3. **Scaling**: the same paths on the vector engine, on a dask LocalCluster of 1 and of 2 worker
   processes (started and warmed before the clock) and on the process pool of 2; the 1 -> 2
   speed-up and pool/dask ratio; the three must give identical ``summary.json`` bytes (checked);
   and the process pool of 2 on per-path calls of the same model (``float_path``, on at most
   :data:`PER_PATH_PATHS` of the paths, scaled linearly to all), whose wall against the batched
   run is the gain of batching.
4. **Memory**: ``peglab stress SCENARIO --engine vector --paths N --seed 1 --workers 2
   --sensitivity-paths 0`` run as a child process whose whole process tree (the driver and each
   pool worker) is sampled every second from ``/proc/<pid>/status`` (``VmHWM``: each process's
   own peak; ``VmRSS``: the simultaneous sum) into ``OUT.rss.csv`` (:class:`TreeSampler`;
   ``ru_maxrss`` and ``/usr/bin/time -v`` give only the largest process, not the sum). Reported
   per run: the driver's peak, the largest worker's, their sum against 2 GiB, the largest
   simultaneous sum and the run directory's size on disk; with several ``--memory-paths`` the
   driver's and worker's growth between the first and the last. ``--memory-scenario`` (default
   ``ausd-year``), ``--memory-days D`` (its first ``D`` days, through a file extending it),
   ``--memory-chunk``, ``--memory-out`` (keep the runs). Linux only.

5. **Exact CPU** (``--parts exact-cpu``, not in the default set): CPU seconds
   (``time.process_time``) per path of ``run_path`` on the paths of seed 1 listed in
   ``--exact-paths`` (default ``0,1,2,3``; a tiered run's tail paths are heavier) of
   ``--exact-scenario`` (default ``ai-token-crash``) in this process, with a digest of the paths'
   results (pickled), so two trees run with the same command (``PYTHONPATH=<other tree>``)
   compare their speed and show identical results. CPU time, not wall: the machine is shared;
   the load is printed.

6. **Sensitivity** (``--parts sensitivity``, not in the default set): the CPU (this process and
   its finished pool workers, ``getrusage``) of ``risk.sensitivity.run_sensitivity`` on the first
   ``--sensitivity-paths`` (default 4) paths of a vectorised ``ai-token-crash`` run, with every
   variant in one stream of chunks (``montecarlo.run_variants``) against the reference that runs
   the variants one after the other with ``run_monte_carlo``'s default chunks; the two
   ``sensitivity.json`` must be identical (checked).

Run: ``.venv/bin/python benchmarks/bench_scale.py [--parts throughput,tiered,scaling,memory]
[--tiered-paths 1000] [--scaling-paths 64] [--memory-paths 1000]`` (tens of minutes on 2 cores;
run it once, not in a loop). Each part prints one line and a JSON record.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pickle
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

import peglab
from peglab.risk.backends import Batched, DaskBackend, LocalPool, path_seed
from peglab.risk.engines import engine_model
from peglab.risk.library import load_scenario, scenario_path
from peglab.risk.montecarlo import VECTOR_CHUNK, run_monte_carlo, run_stress, run_variants
from peglab.risk.sensitivity import run_sensitivity
from peglab.sim.families.ai_dollar.vector_model import STEP_BLOCK, Draws
from peglab.sim.families.ai_dollar.vector_state import build_state
from peglab.sim.family import VectorBatch, scenario_families
from peglab.sim.processes import rng_from
from peglab.sim.runner import float_path, run_path, vector_chunk
from peglab.sim.scenario import simulate_prices_each

CRASH = "ai-token-crash"
YEAR = "ausd-year"  # one AI dollar, hourly for a year (the library says why)
GIB = 1024.0  # MiB


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
    for start in range(0, vec_paths, VECTOR_CHUNK):
        simulate_prices_each(sc, [rng_from(s) for s in seeds[start : start + VECTOR_CHUNK]])
    floor = time.perf_counter() - t
    draws = _draws_alone(sc, seeds[:VECTOR_CHUNK]) * vec_paths / min(vec_paths, VECTOR_CHUNK)
    t = time.perf_counter()
    for start in range(0, vec_paths, VECTOR_CHUNK):
        vector_chunk(sc, seeds[start : start + VECTOR_CHUNK])
    vec = time.perf_counter() - t
    t = time.perf_counter()
    for i in range(exact_paths):
        run_path(sc, i, seeds[i])
    exact = time.perf_counter() - t
    rate = {k: n * sc.n_steps / w for k, n, w in
            (("floor", vec_paths, floor), ("draws", vec_paths, draws), ("vector", vec_paths, vec),
             ("exact", exact_paths, exact))}  # fmt: skip
    _emit(
        "throughput",
        f"{CRASH} ({sc.n_steps} steps): floor {rate['floor']:,.0f} path-steps/s, vectorised "
        f"{rate['vector']:,.0f} ({vec_paths} paths, chunks of {VECTOR_CHUNK}), exact "
        f"{rate['exact']:,.0f} ({exact_paths} paths); vectorised/exact {rate['vector'] / rate['exact']:.1f}x, "
        f"vectorised wall / floor wall {vec / floor:.2f}x (goal <= 3); the per-step uniforms "
        f"alone {rate['draws']:,.0f} path-steps/s, {draws / floor:.1f}x the floor; {_load()}",
        {
            "path_steps_per_s": rate,
            "vector_over_floor_wall": vec / floor,
            "draws_over_floor_wall": draws / floor,
        },
    )


def _draws_alone(sc: Any, seeds: list[np.random.SeedSequence]) -> float:
    """Wall seconds of the per-step uniforms the vectorised AI-dollar model reads (the exact
    engine's streams), drawn alone for every path and step (the model skips paths that are
    out of the game, so this is what it would read if none were), in its blocks of
    ``STEP_BLOCK`` steps."""
    rngs = tuple(rng_from(s) for s in seeds)
    ai_dollar = next((blk for fam, blk in scenario_families(sc) if fam.key == "ai_dollars"), None)
    if ai_dollar is None:
        raise SystemExit(f"{sc.name}: no AI-dollar family, no per-step uniforms to draw")
    state = build_state(ai_dollar, sc, VectorBatch(simulate_prices_each(sc, rngs), rngs))
    buf = Draws(state).buf[0].copy()
    t = time.perf_counter()
    for g in state.step_rngs:
        for _ in range(sc.n_steps // STEP_BLOCK):
            g.random(out=buf)
    return time.perf_counter() - t


def bench_exact_cpu(scenario: str, paths: list[int]) -> None:
    sc = load_scenario(scenario)
    cpu, digest = [], hashlib.sha256()
    for i in paths:
        t = time.process_time()
        result = run_path(sc, i, path_seed(1, i))
        cpu.append(time.process_time() - t)
        digest.update(pickle.dumps(result))
    _emit(
        "exact-cpu",
        f"{scenario} ({sc.n_steps} steps), exact engine, paths {paths} of seed 1: "
        f"{sum(cpu) / len(cpu):.3f} CPU s per path (each: {', '.join(f'{c:.2f}' for c in cpu)}); "
        f"results sha256 {digest.hexdigest()[:16]}; peglab from {Path(peglab.__file__).parent}; "
        f"{_load()}",
        {"scenario": scenario, "paths": paths, "cpu_s": cpu, "results_sha256": digest.hexdigest()},
    )


def _cpu() -> float:
    own, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _one_after_another(
    runs: list[tuple[Any, Path]], model: Any, *, paths: int, seed: int, backend: Any,
    n_resamples: int,
) -> list[dict[str, Any]]:  # fmt: skip
    """The reference: each variant its own ``run_monte_carlo`` with the default chunks."""
    return [run_monte_carlo(sc, model, paths=paths, seed=seed, out_dir=out, keep_paths=0,
                            progress=False, n_resamples=n_resamples, backend=backend)
            for sc, out in runs]  # fmt: skip


def bench_sensitivity(paths: int) -> None:
    sc, model = load_scenario(CRASH), engine_model("vector")
    cpu, pages = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base"
        run_monte_carlo(sc, model, paths=paths, seed=1, out_dir=base, workers=2, progress=False)
        for name, run in (("reference", _one_after_another), ("variants", run_variants)):
            out = Path(tmp) / name
            shutil.copytree(base, out)
            t = _cpu()
            run_sensitivity(out, sc, model, 1, paths, LocalPool(2), run)
            cpu[name] = _cpu() - t
            pages[name] = (out / "sensitivity.json").read_bytes()
    if pages["reference"] != pages["variants"]:
        raise SystemExit("sensitivity: the two ways wrote different sensitivity.json")
    _emit(
        "sensitivity",
        f"{CRASH}, vectorised, {paths} paths per variant: one stream {cpu['variants']:.1f} CPU s, "
        f"one run after another {cpu['reference']:.1f} CPU s "
        f"({cpu['reference'] / cpu['variants']:.2f}x); sensitivity.json identical; {_load()}",
        {"cpu_s": cpu, "ratio": cpu["reference"] / cpu["variants"]},
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


PER_PATH_PATHS = 64  # the scaling part's per-path comparison runs on at most this many paths


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
        few = min(paths, PER_PATH_PATHS)  # per-path calls cost about a second each
        per_path = _run(root / "perpath", CRASH, few, LocalPool(2), model=float_path) * paths / few
    _emit(
        "scaling",
        f"{CRASH} vector engine, {paths} paths: dask 1 worker {walls['dask1']:.1f} s, 2 workers "
        f"{walls['dask2']:.1f} s (speed-up {walls['dask1'] / walls['dask2']:.2f}x); process pool 2 "
        f"{walls['pool2']:.1f} s (pool/dask2 {walls['pool2'] / walls['dask2']:.2f}); identical "
        f"summary.json bytes; per-path calls of the same model {per_path:.1f} s (on {few} paths, "
        f"scaled to {paths}; batched/per-path wall {walls['pool2'] / per_path:.2f}); {_load()}",
        {"paths": paths, "walls": walls, "per_path_s": per_path, "per_path_measured_on": few},
    )


class TreeSampler(threading.Thread):
    """Every ``interval`` seconds, ``VmHWM`` and ``VmRSS`` (``/proc/<pid>/status``) of a process
    and of every process below it, one CSV row per process and sample into ``log``.

    ``ru_maxrss`` or ``/usr/bin/time -v`` give one number for the driver and its waited children
    together (the largest, not the sum); this keeps each process's own peak (``VmHWM`` is its
    high-water mark, so a peak between two samples is still seen at the next one, unless the
    process exits first) and the largest simultaneous sum of ``VmRSS``. Linux only."""

    def __init__(self, root: int, log: Path, interval: float = 1.0) -> None:
        super().__init__(daemon=True)
        self.root, self.log, self.interval = root, log, interval
        self.hwm_kib: dict[int, int] = {}
        self.parent: dict[int, int] = {}
        self.max_sum_rss_kib = 0
        self.samples = 0
        self._stop_event = threading.Event()

    def tree(self) -> list[int]:
        """``root`` and its descendants, found through ``/proc/<pid>/task/<tid>/children``."""
        out, todo = [], [self.root]
        while todo:
            pid = todo.pop()
            out.append(pid)
            for task in Path(f"/proc/{pid}/task").glob("*/children"):
                try:
                    kids = [int(x) for x in task.read_text().split()]
                except OSError:
                    continue
                for kid in kids:
                    self.parent[kid] = pid
                todo.extend(kids)
        return out

    @staticmethod
    def status_kib(pid: int) -> tuple[int, int] | None:
        """``(VmHWM, VmRSS)`` in KiB, or None when the process is gone (or a zombie)."""
        try:
            text = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            return None
        vals = {}
        for line in text.splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                vals[key] = int(rest.split()[0])
        return (vals["VmHWM"], vals["VmRSS"]) if len(vals) == 2 else None

    def sample(self, fh: Any, t: float) -> None:
        total = 0
        for pid in self.tree():
            kib = self.status_kib(pid)
            if kib is None:
                continue
            hwm, rss = kib
            self.hwm_kib[pid] = max(hwm, self.hwm_kib.get(pid, 0))
            total += rss
            fh.write(f"{t:.1f},{pid},{self.parent.get(pid, 0)},{hwm},{rss}\n")
        self.max_sum_rss_kib = max(self.max_sum_rss_kib, total)
        self.samples += 1

    def run(self) -> None:
        t0 = time.perf_counter()
        with self.log.open("w", encoding="utf-8") as fh:
            fh.write("t_s,pid,ppid,vm_hwm_kib,vm_rss_kib\n")
            while not self._stop_event.is_set():
                self.sample(fh, time.perf_counter() - t0)
                fh.flush()
                self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()

    def peaks_mib(self) -> dict[str, Any]:
        """Driver peak, each worker's peak (children of the driver and below), their sum."""
        kib = 1024.0
        workers = {p: h / kib for p, h in self.hwm_kib.items() if p != self.root}
        driver = self.hwm_kib.get(self.root, 0) / kib
        return {
            "driver_mib": driver,
            "workers_mib": sorted(workers.values(), reverse=True),
            "largest_worker_mib": max(workers.values(), default=0.0),
            "sum_of_peaks_mib": driver + sum(workers.values()),
            "max_simultaneous_rss_mib": self.max_sum_rss_kib / kib,
            "samples": self.samples,
        }


def disk_mib(path: Path) -> dict[str, float]:
    """Allocated size on disk (``st_blocks``) of each top-level entry of a run directory, MiB."""
    sizes: dict[str, float] = {}
    for entry in sorted(path.iterdir()):
        files = [entry] if entry.is_file() else [f for f in entry.rglob("*") if f.is_file()]
        sizes[entry.name] = sum(f.stat().st_blocks * 512 for f in files) / 2**20
    return sizes


def measure_tree(
    scenario: str,
    paths: int,
    out: Path,
    chunk: int | None = None,
    interval: float = 1.0,
    days: int | None = None,
) -> dict[str, Any]:
    """``peglab stress SCENARIO --engine vector --paths N --seed 1 --workers 2 --out OUT`` as a
    child process, its process tree sampled by :class:`TreeSampler` into ``OUT.rss.csv``.
    ``days``: the scenario's first ``days`` days instead (a file ``OUT.toml`` extending it)."""
    if days is not None:
        prefix = out.with_suffix(".toml")
        prefix.write_text(
            f'base = "{scenario_path(scenario).resolve()}"\nname = "{scenario}-{days}d"\n'
            f'horizon = "{days}d"\n',
            encoding="utf-8",
        )
        scenario = str(prefix)
    cmd = [str(Path(sys.executable).with_name("peglab")), "stress", scenario, "--engine", "vector",
           "--paths", str(paths), "--seed", "1", "--workers", "2", "--out", str(out),
           "--no-progress", "--sensitivity-paths", "0"]  # fmt: skip
    if chunk is not None:
        cmd += ["--chunk", str(chunk)]
    log = out.with_suffix(".rss.csv")
    load0 = os.getloadavg()[:2]
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    sampler = TreeSampler(proc.pid, log, interval)
    sampler.start()
    _, err = proc.communicate()
    wall = time.perf_counter() - t
    sampler.stop()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {err.strip().splitlines()[-1:]}")
    return {
        "command": " ".join(cmd), "scenario": scenario, "steps": load_scenario(scenario).n_steps,
        "paths": paths, "chunk": chunk, "wall_s": round(wall, 1), "load_start": load0,
        "load_end": os.getloadavg()[:2], "samples_csv": str(log),
        # the largest single process over the run, from the kernel (a cross-check of the samples)
        "ru_maxrss_children_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "disk_mib": disk_mib(out), **sampler.peaks_mib(),
    }  # fmt: skip


def bench_memory(
    scenario: str,
    sizes: list[int],
    out_root: Path | None,
    chunk: int | None,
    interval: float,
    days: int | None = None,
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = out_root if out_root is not None else Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        tag = scenario if days is None else f"{scenario}-{days}d"
        rows = [measure_tree(scenario, n, root / f"{tag}-{n}", chunk, interval, days)
                for n in sizes]  # fmt: skip
    for r in rows:
        total = sum(r["disk_mib"].values())
        _emit(
            "memory",
            f"{r['paths']:,} paths of {tag} ({r['steps']:,} steps), vector engine, pool of 2"
            f"{'' if chunk is None else f', chunks of {chunk}'}: {r['wall_s'] / 60:.1f} min; "
            f"driver peak {r['driver_mib']:.0f} MiB, largest worker {r['largest_worker_mib']:.0f} "
            f"MiB, sum of the peaks {r['sum_of_peaks_mib']:.0f} MiB "
            f"({r['sum_of_peaks_mib'] / GIB:.2f} GiB, budget 2 GiB; largest simultaneous sum "
            f"{r['max_simultaneous_rss_mib']:.0f} MiB over {r['samples']} samples); outputs "
            f"{total:.0f} MiB on disk; load {r['load_start'][0]:.1f} -> {r['load_end'][0]:.1f}",
            r,
        )
    if len(rows) > 1:
        a, b = rows[0], rows[-1]
        _emit(
            "memory-growth",
            f"{b['paths'] / a['paths']:.0f}x paths: driver {b['driver_mib'] / a['driver_mib']:.2f}x, "
            f"largest worker {b['largest_worker_mib'] / a['largest_worker_mib']:.2f}x",
            {"paths": [a["paths"], b["paths"]],
             "driver_ratio": b["driver_mib"] / a["driver_mib"],
             "worker_ratio": b["largest_worker_mib"] / a["largest_worker_mib"]},
        )  # fmt: skip


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parts", default="throughput,tiered,scaling,memory")
    ap.add_argument("--tiered-paths", type=int, default=1_000)
    ap.add_argument("--scaling-paths", type=int, default=64)
    ap.add_argument(
        "--memory-paths",
        default="1000",
        help="comma-separated path counts, each one run (10000: the issue's goal)",
    )
    ap.add_argument("--memory-scenario", default=YEAR)
    ap.add_argument("--memory-days", type=int, default=None, help="the scenario's first days")
    ap.add_argument("--memory-chunk", type=int, default=None, help="default: the driver's")
    ap.add_argument("--memory-out", type=Path, default=None, help="keep the run directories")
    ap.add_argument("--sample-s", type=float, default=1.0)
    ap.add_argument("--exact-scenario", default=CRASH)
    ap.add_argument("--exact-paths", default="0,1,2,3", help="comma-separated path indices")
    ap.add_argument("--sensitivity-paths", type=int, default=4)
    args = ap.parse_args()
    parts = args.parts.split(",")
    print(f"bench_scale: {_load()}")
    if "exact-cpu" in parts:
        bench_exact_cpu(args.exact_scenario, [int(x) for x in args.exact_paths.split(",")])
    if "sensitivity" in parts:
        bench_sensitivity(args.sensitivity_paths)
    if "throughput" in parts:
        bench_throughput()
    if "tiered" in parts:
        bench_tiered(args.tiered_paths)
    if "scaling" in parts:
        bench_scaling(args.scaling_paths)
    if "memory" in parts:
        sizes = [int(x) for x in args.memory_paths.split(",")]
        bench_memory(args.memory_scenario, sizes, args.memory_out, args.memory_chunk,
                     args.sample_s, args.memory_days)  # fmt: skip
