"""Benchmark a family's vectorised model against the exact engine on common paths (docs/scale.md
"Vectorised models: GPU credit and yield vaults", "Vectorised models: yield vaults").

For a library scenario and ``N`` paths (path ``i`` seeded ``SeedSequence(seed, spawn_key=(i,))``
on both engines): wall time of the exact runner (``run_path``, one path at a time), of the
vectorised models (``vector_chunk`` in chunks of ``CHUNK`` paths) and of the floor (each path's
generator drawing its random inputs alone: ``simulate_prices``, and the GPU economy of a credit
scenario, ``gpu_drivers``, or the markets' and holders' daily draws of a yield-vault scenario,
``yield_vault.vector.path_draws``), as path-steps per second and
ratios measured in the same run; then, per metric with a stated tolerance (``MetricSpec.agree``),
the exact and vectorised means over the common paths, their difference, the tolerance and whether
it holds, the largest per-path difference and the 95th percentile on each engine.

Run: ``.venv/bin/python benchmarks/bench_vector_models.py gpu-rental-collapse 200 [seed]
[exact_paths]`` (also ``rate-spike``, ``vault-run``); ``exact_paths`` (default: all ``N``) runs only the first paths on the exact
engine, for a throughput ratio where exact paths are expensive (``ai-token-crash 64 1 4``: one
chunk of 64 vectorised paths against 4 exact ones); the agreement table then covers those.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from peglab.risk.library import load_scenario
from peglab.sim.families.credit import CreditFamily
from peglab.sim.families.yield_vault import YieldVaultFamily, to_params
from peglab.sim.families.yield_vault.vector import path_draws
from peglab.sim.family import metric_spec, scenario_families
from peglab.sim.gpu_credit import gpu_drivers
from peglab.sim.processes import rng_from
from peglab.sim.runner import run_path, vector_chunk
from peglab.sim.scenario import simulate_prices

CHUNK = 64


def main(name: str, n: int, seed: int, n_exact: int | None = None) -> None:
    sc = load_scenario(name)
    seeds = [np.random.SeedSequence(seed, spawn_key=(i,)) for i in range(n)]
    steps = n * sc.n_steps
    n_exact = n if n_exact is None else min(n, n_exact)

    t = time.perf_counter()
    for s in seeds:
        rng = rng_from(s)
        simulate_prices(sc, rng)
        for fam, block in scenario_families(sc):
            if isinstance(fam, CreditFamily):  # the GPU economy: the credit paths' own draws
                gpu_drivers(fam.stress(block[0], sc), rng)
                break
            if isinstance(fam, YieldVaultFamily):  # the markets' and holders' daily draws
                path_draws(to_params(block[0]), sc.n_steps, (rng,))
    floor = time.perf_counter() - t

    t = time.perf_counter()
    vec = []
    for i in range(0, n, CHUNK):
        vec.extend(vector_chunk(sc, seeds[i : i + CHUNK]))
    tv = time.perf_counter() - t

    t = time.perf_counter()
    exact = [run_path(sc, i, s) for i, s in enumerate(seeds[:n_exact])]
    te = (time.perf_counter() - t) * n / n_exact  # as if every path ran exactly
    vec_common = vec[:n_exact]

    print(
        f"## {name}: {n} paths x {sc.n_steps} steps ({n_exact} exact), seed {seed}, chunks of {CHUNK}\n"
    )
    print("| engine | wall s | path-steps/s | vs exact |")
    print("|---|---|---|---|")
    for label, wall in (("exact", te), ("vectorised", tv), ("floor (random inputs alone)", floor)):
        print(f"| {label} | {wall:.2f} | {steps / wall:,.0f} | {te / wall:.1f}x |")
    print(f"\nvectorised / floor wall: {tv / floor:.1f}x\n")

    specs = [m for fam, _ in scenario_families(sc) for m in fam.metrics]
    print(
        "| metric | exact mean | vectorised mean | diff | tolerance | holds | max path diff "
        "| exact p95 | vectorised p95 |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for col in exact[0].metrics:
        spec = metric_spec(col, specs)
        if "." not in col or spec is None or spec.agree is None:
            continue
        e = np.array([r.metrics[col] for r in exact])
        v = np.array([r.metrics[col] for r in vec_common])
        tol = spec.agree[0] + spec.agree[1] * abs(e.mean())
        diff = abs(v.mean() - e.mean())
        print(
            f"| {col} | {e.mean():.6g} | {v.mean():.6g} | {diff:.2g} | {tol:.2g} | "
            f"{'yes' if diff <= tol else 'NO'} | {np.abs(v - e).max():.2g} | "
            f"{np.percentile(e, 95):.6g} | {np.percentile(v, 95):.6g} |"
        )


if __name__ == "__main__":
    main(
        sys.argv[1],
        int(sys.argv[2]) if len(sys.argv) > 2 else 50,
        int(sys.argv[3]) if len(sys.argv) > 3 else 1,
        int(sys.argv[4]) if len(sys.argv) > 4 else None,
    )
