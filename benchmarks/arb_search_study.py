"""How the exact engine's tail moves with the arbitrageur's search precision
(``agents.arbitrageurs.search_steps``; docs/risk-lab.md "Arbitrage", docs/scale.md).

The arbitrageur sizes a cycle by doubling from its first-order estimate, then ``search_steps``
golden-section steps on exact quotes (the bracket shrinks by 0.618 a step). This study runs the
exact engine (``sim.runner.run_path``, path ``i`` seeded ``SeedSequence(seed, spawn_key=(i,))``
as the Monte Carlo driver seeds it) on chosen paths of a scenario at several step counts and
prints, per path and step count, ``peg_max``, ``liquidated_usd`` and ``liquidations``, then per
step count the CPU seconds per path and how far the paths are from the finest setting and from
the next setting, so one can see whether the results converge as the search gets finer or keep
flipping between regimes.

The paths (default): those given with ``--paths``, then, from a tiered run directory
(``--run``, its ``tiers/exact/paths.csv`` and ``tiers/plan.json``), the ``--tail`` exact-tier
paths with the highest ``peg_max`` not given already and ``--random`` paths drawn (numpy seed 0)
from the tier's control sample (a random sample of the run). With ``--run``, the default-10
column is checked against the run's own exact tier (the same numbers, or the study says so).
``--vector`` adds the vectorised model's ``peg_max`` on the same paths at each step count;
``--tier`` reruns every exact-tier path of ``--run`` and prints the tier's ``peg_max`` p99 at each
step count against the run's own.

Run (docs/risk-lab.md "Search precision" has the tables):
``nice -n 19 .venv/bin/python benchmarks/arb_search_study.py --run runs/t10k2
--paths 6199,8685,9227,5463 --workers 2 --vector --json runs/arb_search_study.json``
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from peglab.risk.backends import path_seed
from peglab.risk.library import load_scenario
from peglab.risk.measures import nearest_rank, order_statistic_ci
from peglab.risk.params import apply_params
from peglab.sim.runner import run_path, vector_chunk

METRICS = ("peg_max", "liquidated_usd", "liquidations")
PARAM = "agents.arbitrageurs.search_steps"


def choose_paths(run: Path | None, given: list[int], tail: int, n_random: int) -> list[int]:
    """``given``, then the run's exact-tier tail by ``peg_max`` and random control paths."""
    out = list(given)
    if run is None:
        return out
    with open(run / "tiers" / "exact" / "paths.csv") as f:
        rows = [(int(float(r["path"])), float(r["peg_max"])) for r in csv.DictReader(f)]
    rows.sort(key=lambda t: -t[1])
    out += [i for i, _ in rows if i not in out][:tail]
    control = [i for i in json.loads((run / "tiers" / "plan.json").read_text())["control"]
               if i not in out]  # fmt: skip
    out += [int(i) for i in np.random.default_rng(0).choice(control, n_random, replace=False)]
    return out


def exact_tier(run: Path) -> dict[int, float]:
    """``peg_max`` of every path of the run's exact tier (its default search)."""
    with open(run / "tiers" / "exact" / "paths.csv") as f:
        return {int(float(r["path"])): float(r["peg_max"]) for r in csv.DictReader(f)}


def tier_p99(values: dict[int, float], n: int) -> tuple[float, float, float]:
    """``peg_max``'s p99 and its 95% order-statistic interval as the exact tier reads them from
    its paths' exact values (``risk.tiers``: worst-first ranks of a run of ``n`` paths)."""
    desc = sorted(values.values(), reverse=True)
    rho = nearest_rank(0.99, n)
    lo, hi = order_statistic_ci(n, 0.99)
    assert lo is not None and hi is not None
    return desc[n - rho], desc[n - lo], desc[n - hi]


def tier_table(res: dict[str, Any], run: Path) -> str:
    """The run's exact-tier p99 of ``peg_max`` with every exact-tier path re-run at each step
    count (``--tier``), against the run's own (the default 10)."""
    known = exact_tier(run)
    n = int(json.loads((run / "tiers" / "plan.json").read_text())["paths"])
    lines = ["| search_steps | peg_max p99 [95% interval] | paths moved >1% from the run's | "
             "of the run's 100 worst still there |", "|---|---|---|---|"]  # fmt: skip
    v, lo, hi = tier_p99(known, n)
    lines.append(f"| 10 (the run) | {v:.4f} [{lo:.4f}, {hi:.4f}] | - | - |")
    top = set(sorted(known, key=lambda i: -known[i])[:100])
    for steps in res["steps"]:
        new = dict(known)
        for i, r in res["runs"].items():
            new[int(i)] = r[str(steps)]["peg_max"]
        v, lo, hi = tier_p99(new, n)
        moved = sum(_rel(new[i], known[i]) > 0.01 for i in known)
        kept = len(top & set(sorted(new, key=lambda i: -new[i])[:100]))
        lines.append(f"| {steps} | {v:.4f} [{lo:.4f}, {hi:.4f}] | {moved} | {kept} |")
    return "\n".join(lines)


def _one(job: tuple[str, int, int, int]) -> tuple[int, int, dict[str, float], float]:
    name, seed, i, steps = job
    sc = apply_params(load_scenario(name), {PARAM: str(steps)})
    t = time.process_time()
    m = run_path(sc, i, path_seed(seed, i)).metrics
    return i, steps, {k: float(m[k]) for k in METRICS}, time.process_time() - t


def study(name: str, seed: int, paths: list[int], steps: list[int], workers: int) -> dict[str, Any]:
    """Every path at every step count on the exact engine: metrics and CPU seconds."""
    jobs = [(name, seed, i, n) for i in paths for n in steps]
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            done = list(pool.map(_one, jobs))
    else:
        done = [_one(j) for j in jobs]
    res: dict[str, Any] = {"scenario": name, "seed": seed, "paths": paths, "steps": steps,
                           "runs": {}, "cpu_s": {}}  # fmt: skip
    for i, n, m, cpu in done:
        res["runs"].setdefault(str(i), {})[str(n)] = m
        res["cpu_s"].setdefault(str(n), []).append(cpu)
    return res


def vector_study(name: str, seed: int, paths: list[int], steps: list[int]) -> dict[str, Any]:
    """``peg_max`` of the same paths on the vectorised model (one batch per step count, which
    its arbitrageur takes as the exact one does) and its CPU seconds per path."""
    runs: dict[str, dict[str, float]] = {str(i): {} for i in paths}
    cpu = {}
    for n in steps:
        sc = apply_params(load_scenario(name), {PARAM: str(n)})
        t = time.process_time()
        out = vector_chunk(sc, [path_seed(seed, i) for i in paths])
        cpu[str(n)] = (time.process_time() - t) / len(paths)
        for i, r in zip(paths, out, strict=True):
            runs[str(i)][str(n)] = float(r.metrics["peg_max"])
    return {"runs": runs, "cpu_s": cpu}


def vector_table(res: dict[str, Any]) -> str:
    steps, vec = res["steps"], res["vector"]
    lines = ["\nvectorised peg_max by search_steps (exact at the finest in the last column)\n",
             "| path | " + " | ".join(str(n) for n in steps) + " | exact |",
             "|---" * (len(steps) + 2) + "|"]  # fmt: skip
    for i in res["paths"]:
        r = vec["runs"][str(i)]
        cells = [f"{r[str(n)]:.4f}" for n in steps]
        cells.append(f"{res['runs'][str(i)][str(steps[-1])]['peg_max']:.4f}")
        lines.append(f"| {i} | " + " | ".join(cells) + " |")
    lines.append("\n| steps | CPU s / path | peg_max >1% from finest | >1% from exact finest |")
    lines.append("|---|---|---|---|")
    fin = str(steps[-1])
    for n in steps:
        rows = [(vec["runs"][str(i)], res["runs"][str(i)]) for i in res["paths"]]
        own = sum(_rel(v[str(n)], v[fin]) > 0.01 for v, _ in rows)
        ex = sum(_rel(v[str(n)], e[fin]["peg_max"]) > 0.01 for v, e in rows)
        lines.append(f"| {n} | {vec['cpu_s'][str(n)]:.3f} | {own} | {ex} |")
    return "\n".join(lines)


def _rel(a: float, b: float) -> float:
    return abs(a - b) / max(abs(b), 1e-12)


def summary(res: dict[str, Any]) -> list[dict[str, Any]]:
    """Per step count: CPU s per path; against the finest setting and the next coarser-to-finer
    one, the paths whose ``peg_max`` differs by more than 1% (and the median relative gap), whose
    ``liquidated_usd`` differs by more than 1% and whose liquidation count differs."""
    steps = res["steps"]
    finest = str(steps[-1])
    out = []
    for j, n in enumerate(steps):
        row: dict[str, Any] = {"steps": n, "cpu_s": float(np.mean(res["cpu_s"][str(n)]))}
        for label, ref in (("finest", finest), ("next", str(steps[min(j + 1, len(steps) - 1)]))):
            if ref == str(n):
                continue
            runs = list(res["runs"].values())
            peg = [_rel(r[str(n)]["peg_max"], r[ref]["peg_max"]) for r in runs]
            liq = [_rel(r[str(n)]["liquidated_usd"], r[ref]["liquidated_usd"]) for r in runs]
            cnt = [r[str(n)]["liquidations"] != r[ref]["liquidations"] for r in runs]
            row[label] = {"ref": int(ref), "peg_over_1pct": int(sum(p > 0.01 for p in peg)),
                          "peg_median_rel": float(np.median(peg)), "peg_max_rel": float(max(peg)),
                          "liq_usd_over_1pct": int(sum(x > 0.01 for x in liq)),
                          "liq_count_differs": int(sum(cnt))}  # fmt: skip
        out.append(row)
    return out


def check_default(res: dict[str, Any], run: Path) -> list[int]:
    """Paths whose default-10 ``peg_max`` differs from the run's exact tier (should be none)."""
    if "10" not in res["cpu_s"]:
        return []
    with open(run / "tiers" / "exact" / "paths.csv") as f:
        known = {int(float(r["path"])): float(r["peg_max"]) for r in csv.DictReader(f)}
    return [int(i) for i, r in res["runs"].items()
            if int(i) in known and r["10"]["peg_max"] != known[int(i)]]  # fmt: skip


def markdown(res: dict[str, Any], groups: dict[int, str]) -> str:
    steps = res["steps"]
    lines = []
    for metric, fmt in (("peg_max", "{:.4f}"), ("liquidated_usd", "{:,.0f}"),
                        ("liquidations", "{:.0f}")):  # fmt: skip
        lines += [f"\n{metric} by search_steps\n",
                  "| path | " + " | ".join(str(n) for n in steps) + " |",
                  "|---" * (len(steps) + 1) + "|"]  # fmt: skip
        for i in res["paths"]:
            r = res["runs"][str(i)]
            cells = [fmt.format(r[str(n)][metric]) for n in steps]
            lines.append(f"| {i} ({groups.get(i, '')}) | " + " | ".join(cells) + " |")
    lines += ["\n| steps | CPU s / path | peg_max >1% from finest (median rel) | liq. USD >1% "
              "from finest | liq. count differs from finest | peg_max >1% from next |",
              "|---|---|---|---|---|---|"]  # fmt: skip
    for row in summary(res):
        f, nx = row.get("finest"), row.get("next")
        a = "-" if f is None else (f"{f['peg_over_1pct']} ({f['peg_median_rel']:.2%})")
        b = "-" if f is None else str(f["liq_usd_over_1pct"])
        c = "-" if f is None else str(f["liq_count_differs"])
        d = "-" if nx is None else f"{nx['peg_over_1pct']} (vs {nx['ref']})"
        lines.append(f"| {row['steps']} | {row['cpu_s']:.2f} | {a} | {b} | {c} | {d} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenario", default="ai-token-crash")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--run", type=Path, default=None, help="a tiered run directory")
    ap.add_argument("--paths", default="", help="comma-separated path indices")
    ap.add_argument("--tail", type=int, default=8)
    ap.add_argument("--random", type=int, default=8)
    ap.add_argument("--steps", default="8,10,11,12,14,16,20,24,32")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--json", type=Path, default=None, help="write the results here")
    ap.add_argument("--vector", action="store_true",
                    help="also the vectorised model's peg_max on the same paths")  # fmt: skip
    ap.add_argument("--tier", action="store_true",
                    help="every exact-tier path of --run: its peg_max p99 at each step count")  # fmt: skip
    a = ap.parse_args()
    given = [int(x) for x in a.paths.split(",") if x.strip()]
    if a.tier:
        if a.run is None:
            ap.error("--tier needs --run")
        given, a.tail, a.random = sorted(exact_tier(a.run)), 0, 0
    paths = choose_paths(a.run, given, a.tail, a.random)
    groups = {i: "given" for i in given}
    for j, i in enumerate(paths[len(given) :]):
        groups[i] = "tail" if j < a.tail else "random"
    steps = sorted(int(x) for x in a.steps.split(","))
    t = time.perf_counter()
    res = study(a.scenario, a.seed, paths, steps, a.workers)
    res["groups"] = {str(i): g for i, g in groups.items()}
    res["summary"] = summary(res)
    if a.run is not None:
        res["default_differs_from_run"] = check_default(res, a.run)
    if a.vector:
        res["vector"] = vector_study(a.scenario, a.seed, paths, steps)
    print(tier_table(res, a.run) if a.tier and a.run is not None else markdown(res, groups))
    if a.vector:
        print(vector_table(res))
    print(f"\n{len(paths)} paths x {len(steps)} settings in {time.perf_counter() - t:.0f} s wall")
    if a.run is not None:
        print(f"default-10 peg_max differing from {a.run}: {res['default_differs_from_run']}")
    if a.json is not None:
        a.json.parent.mkdir(parents=True, exist_ok=True)
        a.json.write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
