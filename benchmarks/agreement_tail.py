"""Per-path agreement of the vectorised model with the exact engine on a tiered run's exact tier.

A tiered run (``peglab stress NAME --engine tiered``) keeps the exact engine's results of its
tail and control paths in ``RUN/tiers/exact/paths.csv`` (column ``path``: the path's index). This
script re-runs **only the vectorised model** at the current source on those paths' seeds
(``vector_chunk(scenario, [path_seed(seed, i) for i in idx])``, in chunks, the scenario and seed
read from ``RUN/summary.json``) and reports, per metric, over the paths where the exact value is
non-zero: the median, 95th percentile and maximum of ``|vector - exact| / |exact|``, the number
of paths within 1%, and Spearman's rank correlation of the two columns over all the paths (ranks
with ties averaged). The exact side is read, never recomputed: valid while the exact engine is
unchanged since the run.

Run: ``nice -n 19 .venv/bin/python benchmarks/agreement_tail.py RUN [--metrics peg_max,...]
[--chunk 256] [--limit N] [--save FILE.csv] [--json]`` (``--limit``: the first ``N`` exact paths
only; ``--save``: the vectorised values per path, to compare two trees). CPU seconds of the
vectorised runs are printed.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

import numpy as np

from peglab.risk.backends import path_seed
from peglab.risk.library import load_scenario
from peglab.sim.runner import vector_chunk

METRICS = ("peg_max", "liquidated_usd", "borrower_loss_usd")


def read_exact(run: Path) -> tuple[list[int], dict[str, np.ndarray]]:
    """The exact tier's path indices and every metric column (floats; blank is NaN)."""
    with (run / "tiers" / "exact" / "paths.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    idx = [int(r["path"]) for r in rows]
    cols = {k: np.array([float(r[k] or "nan") for r in rows]) for k in rows[0] if k != "path"}
    return idx, cols


def ranks(x: np.ndarray) -> np.ndarray:
    """Ranks 1..n of ``x``, ties given their average rank."""
    order = np.argsort(x, kind="mergesort")
    r = np.empty(x.size)
    xs = x[order]
    i = 0
    while i < x.size:
        j = i
        while j + 1 < x.size and xs[j + 1] == xs[i]:
            j += 1
        r[order[i : j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    return r


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rank correlation (NaN when either column is constant)."""
    ra, rb = ranks(a), ranks(b)
    if ra.std() == 0 or rb.std() == 0:
        return float("nan")
    return float(np.corrcoef(ra, rb)[0, 1])


def agreement(exact: np.ndarray, vector: np.ndarray) -> dict[str, float]:
    """Relative gaps over the paths with a non-zero exact value, and the rank correlation."""
    ok = np.isfinite(exact) & np.isfinite(vector)
    nz = ok & (exact != 0)
    rel = np.abs(vector[nz] - exact[nz]) / np.abs(exact[nz])
    out: dict[str, float] = {"paths": int(ok.sum()), "nonzero": int(nz.sum())}
    if rel.size:
        out.update(
            median=float(np.median(rel)),
            p95=float(np.quantile(rel, 0.95)),
            max=float(rel.max()),
            within_1pct=int((rel <= 0.01).sum()),
        )
    out["spearman"] = spearman(exact[ok], vector[ok])
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", type=Path)
    ap.add_argument("--metrics", default=",".join(METRICS))
    ap.add_argument("--chunk", type=int, default=256)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--save", type=Path)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    summary = json.loads((a.run / "summary.json").read_text())
    sc = load_scenario(summary["scenario"]["name"])
    seed = int(summary["seed"])
    idx, exact = read_exact(a.run)
    if a.limit:
        idx = idx[: a.limit]
        exact = {k: v[: a.limit] for k, v in exact.items()}
    names = [m for m in a.metrics.split(",") if m]
    vec: dict[str, list[float]] = {m: [] for m in names}
    t0 = time.process_time()
    for lo in range(0, len(idx), a.chunk):
        for res in vector_chunk(sc, [path_seed(seed, i) for i in idx[lo : lo + a.chunk]]):
            for m in names:
                vec[m].append(float(res.metrics.get(m, float("nan"))))
    cpu = time.process_time() - t0
    table = {m: agreement(exact[m], np.array(vec[m])) for m in names}
    report = {"run": str(a.run), "paths": len(idx), "cpu_s": round(cpu, 1), "metrics": table}
    if a.save:
        with a.save.open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["path", *names])
            for n, i in enumerate(idx):
                w.writerow([i, *(repr(vec[m][n]) for m in names)])
    if a.json:
        json.dump(report, sys.stdout, indent=2)
        print()
        return 0
    print(f"{a.run}: {len(idx)} exact paths, vectorised re-run {cpu:.1f} CPU s")
    print("| metric | paths (exact != 0) | median | p95 | max | within 1% | Spearman |")
    print("|---|---|---|---|---|---|---|")
    for m, r in table.items():
        if "median" not in r:
            print(f"| `{m}` | {r['paths']:.0f} (0) | - | - | - | - | {r['spearman']:.4f} |")
            continue
        print(
            f"| `{m}` | {r['paths']:.0f} ({r['nonzero']:.0f}) | {r['median']:.2%} | "
            f"{r['p95']:.2%} | {r['max']:.2%} | {r['within_1pct']:.0f} | {r['spearman']:.4f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
