"""Cross-validation of the vectorised models against the exact engine (``peglab crossval``;
docs/scale.md "Cross-validation").

``crossval(scenario, paths, seed, out_dir)`` runs the same ``paths`` seeded paths (path ``i`` uses
``SeedSequence(seed, spawn_key=(i,))`` on both, so prices and per-path draws are common) on the
vector engine into ``out_dir/vector`` and on the exact engine into ``out_dir/exact`` (both full run
directories, one backend entered once), then compares every metric column with
``risk.tiers.compare_means``: mean exact, mean vectorised, their difference with a 95% bootstrap
interval of the paired differences, the tolerance from ``MetricSpec.agree`` (or ``tolerances``),
and pass/fail. It writes ``crossval.json`` (every column) and, as the output directory's
``README.md``, the same in short markdown (columns with a tolerance, and the headline totals), and
returns the JSON's content.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import InvalidInput
from ..sim.scenario import Scenario, scenario_hash
from .backends import Backend, Model, lend, make_backend, model_name
from .engines import engine_model
from .montecarlo import check_int, run_monte_carlo
from .rundir import load_catalog, read_paths_csv, write_json
from .tiers import compare_means

__all__ = ["cmd_crossval", "crossval", "crossval_arguments", "parse_agree", "to_markdown"]


def crossval(
    scenario: str | Path | Scenario,
    paths: int,
    seed: int,
    out_dir: str | Path,
    workers: int = 1,
    *,
    scheduler: str | None = None,
    backend: Backend | None = None,
    progress: bool = True,
    chunk: int | None = None,
    n_resamples: int = 1000,
    tolerances: Mapping[str, tuple[float, float]] | None = None,
    vector: Model | None = None,
    exact: Model | None = None,
) -> dict[str, Any]:
    """Run ``paths`` common paths on both engines and compare them (module docstring)."""
    from .library import load_scenario

    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    check_int(paths, "paths", 1, 10_000_000)
    vmodel = vector if vector is not None else engine_model("vector")
    emodel = exact if exact is not None else engine_model("exact")
    out = Path(out_dir)
    be = backend if backend is not None else make_backend(scheduler, workers)
    kw: dict[str, Any] = dict(
        paths=paths, seed=seed, workers=workers, keep_paths=0, progress=progress,
        n_resamples=n_resamples, chunk=chunk,
    )  # fmt: skip
    with be:
        held = lend(be)
        run_monte_carlo(sc, vmodel, out_dir=out / "vector", backend=held, engine="vector", **kw)
        run_monte_carlo(sc, emodel, out_dir=out / "exact", backend=held, engine="exact", **kw)
    cat = load_catalog(out / "exact")
    metrics = compare_means(
        cat, read_paths_csv(out / "vector" / "paths.csv"),
        read_paths_csv(out / "exact" / "paths.csv"), seed, n_resamples=n_resamples,
        tolerances=tolerances,
    )  # fmt: skip
    failed = sorted(k for k, v in metrics.items() if v.get("passed") is False)
    judged = [k for k, v in metrics.items() if v.get("passed") is not None]
    result: dict[str, Any] = {
        "scenario": {"name": sc.name, "hash": scenario_hash(sc)},
        "seed": seed,
        "paths": paths,
        "models": {"vector": model_name(vmodel), "exact": model_name(emodel)},
        "method": "paths 0..N-1 on both engines with the same seeds; difference = mean vector - "
        "mean exact with a 95% percentile bootstrap interval of the paired differences; "
        "pass when |difference| <= abs + rel * |mean exact| (MetricSpec.agree)",
        "headline": cat.headline(),
        "metrics": metrics,
        "judged": len(judged),
        "failed": failed,
        "passed": None if not judged else not failed,
    }
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "crossval.json", result)
    (out / "README.md").write_text(to_markdown(result), encoding="utf-8")
    return result


def _g(x: Any) -> str:
    return "-" if x is None else f"{x:,.6g}" if isinstance(x, float) else str(x)


def _rows(result: dict[str, Any]) -> list[list[str]]:
    """Columns with a stated tolerance, and the headline totals: metric, mean exact, mean vector,
    difference [interval], tolerance, verdict."""
    rows = []
    for name, m in result["metrics"].items():
        if "difference" not in m or (m.get("tolerance") is None and name not in result["headline"]):
            continue
        verdict = {True: "pass", False: "FAIL"}.get(m.get("passed"), "no tolerance")
        rows.append([name, _g(m["mean_exact"]), _g(m["mean_vector"]),
                     f"{_g(m['difference'])} [{_g(m['ci'][0])}, {_g(m['ci'][1])}]",
                     _g(m.get("tolerance")), verdict])  # fmt: skip
    return rows


HEADER = [
    "metric",
    "mean exact",
    "mean vector",
    "difference [95% interval]",
    "tolerance",
    "verdict",
]


def to_markdown(result: dict[str, Any]) -> str:
    """The short report: the verdict and one row per judged or headline metric."""
    sc = result["scenario"]
    verdict = {True: "PASS", False: "FAIL", None: "no metric has a stated tolerance"}[
        result["passed"]
    ]
    lines = [
        f"# Cross-validation: {sc['name']}",
        "",
        f"{result['paths']} common paths, seed {result['seed']}, scenario hash "
        f"`{sc['hash'][:16]}`; vector `{result['models']['vector']}` against exact "
        f"`{result['models']['exact']}`.",
        "",
        f"**{verdict}**: {result['judged']} metric column(s) judged, "
        f"{len(result['failed'])} failed{': ' + ', '.join(result['failed']) if result['failed'] else ''}.",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "---|" * len(HEADER),
    ]
    lines += ["| " + " | ".join(r) + " |" for r in _rows(result)]
    lines += ["", f"Method: {result['method']}. Every column: crossval.json.", ""]
    return "\n".join(lines)


def parse_agree(text: str) -> tuple[str, tuple[float, float]]:
    """``METRIC=ABS,REL`` -> ``(metric, (abs, rel))`` (``crossval/bad-agree`` when malformed)."""
    name, sep, rest = text.partition("=")
    parts = rest.split(",")
    try:
        values = (float(parts[0]), float(parts[1])) if sep and len(parts) == 2 else None
    except ValueError:
        values = None
    if not name.strip() or values is None or min(values) < 0:
        raise InvalidInput(
            "crossval/bad-agree",
            f"--agree must look like METRIC=ABS,REL with ABS, REL >= 0, got {text!r}",
        )
    return name.strip(), values


def crossval_arguments(c: argparse.ArgumentParser) -> None:
    c.add_argument("scenario", help="built-in scenario name or path to a .toml file")
    c.add_argument("--paths", type=int, default=200, help="common paths (default 200)")
    c.add_argument("--seed", type=int, default=1, help="root seed (default 1)")
    c.add_argument("--out", type=Path, default=None,
                   help="output directory (default runs/crossval-<scenario>-s<seed>)")  # fmt: skip
    c.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    c.add_argument("--scheduler", default=None, help="run on dask: 'local' or tcp://host:port")
    c.add_argument("--chunk", type=int, default=None, help="paths per chunk")
    c.add_argument("--agree", action="append", default=[], metavar="METRIC=ABS,REL",
                   help="a tolerance replacing the metric's stated one (repeatable)")  # fmt: skip
    c.add_argument("--no-progress", action="store_true", help="hide the progress bars")


def cmd_crossval(args: argparse.Namespace) -> int:
    """Run, print the table, write the files; exit 1 when a metric fails its tolerance."""
    from rich.console import Console
    from rich.table import Table

    tolerances = dict(parse_agree(t) for t in args.agree)
    out = args.out or Path("runs") / f"crossval-{Path(args.scenario).stem}-s{args.seed}"
    result = crossval(
        args.scenario, args.paths, args.seed, out, args.workers, scheduler=args.scheduler,
        progress=not args.no_progress, chunk=args.chunk, tolerances=tolerances or None,
    )  # fmt: skip
    con = Console(width=max(Console().width, 120))
    table = Table(title=f"cross-validation {result['scenario']['name']}: {result['paths']} "
                        f"common paths, seed {result['seed']}")  # fmt: skip
    for h in HEADER:
        table.add_column(h, justify="left" if h == "metric" else "right")
    for row in _rows(result):
        table.add_row(*row)
    con.print(table)
    if result["failed"]:
        con.print(f"FAILED (beyond tolerance): {', '.join(result['failed'])}")
    print(f"cross-validation: {out / 'README.md'} and {out / 'crossval.json'}")
    return 1 if result["failed"] else 0
