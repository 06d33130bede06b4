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
returns the JSON's content. With ``reuse_exact`` an exact run directory already in
``out_dir/exact`` for the same scenario hash, seed, paths and exact model is read, not re-run
(the exact engine is the expensive side; a fix to a vectorised model re-runs only that side).

``crossval_library`` runs it on every library scenario (``peglab crossval --all``), one
subdirectory each, and writes one table of every judged column (``README.md``) with the seed,
paths, commit and load; ``LIBRARY_REDUCED`` states the scenarios run on a prefix.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import InvalidInput
from ..sim.scenario import Scenario, scenario_hash
from .backends import Backend, Model, lend, make_backend, model_name
from .engines import engine_model
from .montecarlo import check_int, run_monte_carlo
from .rundir import load_catalog, load_summary, read_paths_csv, write_json
from .tiers import compare_means

__all__ = [
    "LIBRARY_REDUCED",
    "cmd_crossval",
    "crossval",
    "crossval_arguments",
    "crossval_library",
    "library_entries",
    "parse_agree",
    "to_markdown",
]


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
    reuse_exact: bool = False,
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
    reused = reuse_exact and _same_run(out / "exact", sc, seed, paths, emodel)
    exact_commit = _previous_exact_commit(out) if reused else None
    load_start = os.getloadavg()[0]
    with be:
        held = lend(be)
        run_monte_carlo(sc, vmodel, out_dir=out / "vector", backend=held, engine="vector", **kw)
        if not reused:
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
        "run": {
            "commit": (commit := source_commit()),
            "exact_commit": exact_commit if reused else commit,
            "load_start": round(load_start, 2),
            "load_end": round(os.getloadavg()[0], 2),
            "wall_s": {side: _wall(out / side) for side in ("vector", "exact")},
            "exact_reused": reused,
        },
    }
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "crossval.json", result)
    (out / "README.md").write_text(to_markdown(result), encoding="utf-8")
    return result


def _same_run(exact_dir: Path, sc: Scenario, seed: int, paths: int, model: Model) -> bool:
    """Whether ``exact_dir`` holds a finished exact run of this scenario, seed, paths and model."""
    if not (exact_dir / "paths.csv").is_file():
        return False
    try:
        s = load_summary(exact_dir)
    except InvalidInput:
        return False
    return (
        s.get("scenario", {}).get("hash") == scenario_hash(sc)
        and s.get("seed") == seed
        and s.get("paths") == paths
        and s.get("parameters", {}).get("run_path") == model_name(model)
    )


def _previous_exact_commit(out: Path) -> str:
    """The commit that ran the reused exact side, from the earlier ``crossval.json`` (``unknown``
    when it does not say)."""
    try:
        run = json.loads((out / "crossval.json").read_text(encoding="utf-8"))["run"]
        return str(run.get("exact_commit") or run["commit"])
    except (OSError, KeyError, ValueError, TypeError):
        return "unknown"


def _wall(run_dir: Path) -> float | None:
    """The run's wall clock seconds from its ``timings.json`` (None when absent)."""
    try:
        return float(json.loads((run_dir / "timings.json").read_text(encoding="utf-8"))["wall_s"])
    except (OSError, KeyError, ValueError, TypeError):
        return None


def source_commit() -> str:
    """The git commit of the running peglab source (``-dirty`` with uncommitted changes under
    ``peglab/``), or ``unknown`` outside a git checkout."""
    root = str(Path(__file__).resolve().parents[2])

    def git(*args: str) -> str:
        run = subprocess.run(["git", "-C", root, *args], capture_output=True, text=True,
                             timeout=10, check=True)  # fmt: skip
        return run.stdout.strip()

    try:
        head, dirty = git("rev-parse", "--short", "HEAD"), git("status", "--porcelain", "peglab")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + ("-dirty" if dirty else "")


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


LIBRARY_REDUCED: dict[str, tuple[dict[str, str], str]] = {
    "calm-year": (
        {"horizon": "30d"},
        "first 30 days (720 of 8,760 hourly steps): 200 exact paths of the full year would take "
        "hours on 2 cores",
    ),
}
"""Library scenarios the library cross-validation runs on a stated prefix: name -> (the
``risk.params`` settings applied, why)."""


def library_entries(names: Sequence[str] | None = None) -> list[tuple[str, Scenario, str]]:
    """``(name, scenario, how it was run)`` for the named scenarios (library names or files),
    default every library scenario; a scenario in :data:`LIBRARY_REDUCED` gets its prefix."""
    from .library import list_scenarios, load_scenario
    from .params import apply_params

    out = []
    for name in names if names else list_scenarios():
        sc = load_scenario(name)
        settings, why = LIBRARY_REDUCED.get(sc.name, ({}, ""))
        if settings:
            sc = apply_params(sc, settings)
        shown = ", ".join(f"{k} = {v}" for k, v in settings.items())
        out.append((sc.name, sc, f"{shown}: {why}" if settings else "as in the library"))
    return out


def crossval_library(
    out_dir: str | Path,
    paths: int,
    seed: int,
    workers: int = 1,
    *,
    entries: Sequence[tuple[str, Scenario, str]] | None = None,
    command: str | None = None,
    **kw: Any,
) -> dict[str, Any]:
    """:func:`crossval` on every entry (default :func:`library_entries`) into
    ``out_dir/<name>``; writes ``library.json`` and the table ``README.md`` in ``out_dir``.

    A scenario whose family has no vectorised model (``stress/no-float-model``) is listed as not
    compared; ``passed`` is true only when every scenario was compared and no column failed.
    ``kw`` goes to :func:`crossval` (``reuse_exact``, ``tolerances``, models, backend options).
    """
    out = Path(out_dir)
    todo = list(entries) if entries is not None else library_entries()
    t0, load_start = time.perf_counter(), os.getloadavg()[0]
    scenarios: list[dict[str, Any]] = []
    for name, sc, how in todo:
        entry: dict[str, Any] = {"name": name, "as_run": how, "hash": scenario_hash(sc)}
        try:
            res = crossval(sc, paths, seed, out / name, workers, **kw)
        except InvalidInput as e:
            if e.code != "stress/no-float-model":
                raise
            entry.update(compared=False, reason=f"{e.code}: {e}")
        else:
            judged = {k: m for k, m in res["metrics"].items() if m.get("passed") is not None}
            entry.update(compared=True, judged=len(judged), failed=res["failed"],
                         passed=res["passed"], run=res["run"], metrics=judged)  # fmt: skip
        scenarios.append(entry)
    failed = [f"{e['name']}:{c}" for e in scenarios if e["compared"] for c in e["failed"]]
    missing = [e["name"] for e in scenarios if not e["compared"]]
    result: dict[str, Any] = {
        "command": command or f"crossval_library(paths={paths}, seed={seed})",
        "paths": paths,
        "seed": seed,
        "commit": source_commit(),
        "load_start": round(load_start, 2),
        "load_end": round(os.getloadavg()[0], 2),
        "wall_s": round(time.perf_counter() - t0, 1),
        "scenarios": scenarios,
        "failed": failed,
        "not_compared": missing,
        "passed": not failed and not missing,
    }
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "library.json", result)
    (out / "README.md").write_text(library_markdown(result), encoding="utf-8")
    return result


def _worst(metrics: Mapping[str, Any]) -> str:
    """The judged column with the largest |difference| / tolerance, as ``name ratio``."""
    ratios = {k: abs(m["difference"]) / m["tolerance"] if m["tolerance"] else
              (0.0 if m["difference"] == 0 else float("inf")) for k, m in metrics.items()}  # fmt: skip
    if not ratios:
        return "-"
    k = max(sorted(ratios), key=lambda n: ratios[n])
    return f"`{k}` {ratios[k]:.2f}"


def library_markdown(result: dict[str, Any]) -> str:
    """One summary row per scenario, then one row per scenario and judged column."""
    verdict = "PASS" if result["passed"] else "FAIL"
    lines = [
        "# Cross-validation of the library",
        "",
        f"`{result['command']}`: {result['paths']} common paths, seed {result['seed']}, commit "
        f"`{result['commit']}`, load average {result['load_start']} at the start and "
        f"{result['load_end']} at the end, {result['wall_s']:,.0f} s wall.",
        "",
        f"**{verdict}**: {len(result['failed'])} judged column(s) beyond tolerance"
        f"{': ' + ', '.join(result['failed']) if result['failed'] else ''}; not compared: "
        f"{', '.join(result['not_compared']) or 'none'}.",
        "",
        "| scenario | as run | judged | failed | largest abs(difference) / tolerance "
        "| wall s vector / exact | verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    for e in result["scenarios"]:
        if not e["compared"]:
            lines.append(f"| {e['name']} | {e['as_run']} | - | - | - | - | "
                         f"not compared ({e['reason']}) |")  # fmt: skip
            continue
        run = e["run"]
        walls = " / ".join("-" if w is None else f"{w:,.0f}"
                           for w in (run["wall_s"]["vector"], run["wall_s"]["exact"]))  # fmt: skip
        walls += " (exact reused)" if run["exact_reused"] else ""
        v = {True: "PASS", False: "FAIL", None: "nothing judged"}[e["passed"]]
        lines.append(f"| {e['name']} | {e['as_run']} | {e['judged']} | {len(e['failed'])} | "
                     f"{_worst(e['metrics'])} | {walls} | {v} |")  # fmt: skip
    lines += ["", "| scenario | column | " + " | ".join(HEADER[1:]) + " |", "|---" * 7 + "|"]
    for e in result["scenarios"]:
        if e["compared"]:
            rows = _rows({"metrics": e["metrics"], "headline": []})
            lines += [f"| {e['name']} | " + " | ".join(r) + " |" for r in rows]
    lines += ["", "Per scenario: `<name>/README.md`, `<name>/crossval.json`.", ""]
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
    c.add_argument("scenario", nargs="?", default=None,
                   help="built-in scenario name or path to a .toml file (or --all)")  # fmt: skip
    c.add_argument("--all", action="store_true",
                   help="every library scenario (calm-year on a prefix), one table")  # fmt: skip
    c.add_argument("--only", action="append", default=[], metavar="SCENARIO",
                   help="with --all: only these scenarios (names or files; repeatable)")  # fmt: skip
    c.add_argument("--reuse-exact", action="store_true",
                   help="read an exact run already in the output directory for the same "
                        "scenario, seed, paths and model instead of re-running it")  # fmt: skip
    c.add_argument("--paths", type=int, default=200, help="common paths (default 200)")
    c.add_argument("--seed", type=int, default=1, help="root seed (default 1)")
    c.add_argument("--out", type=Path, default=None,
                   help="output directory (default runs/crossval-<scenario or library>-s<seed>)")  # fmt: skip
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
    if args.all == (args.scenario is not None):
        raise InvalidInput("crossval/scenario", "give one scenario or --all, not both or neither")
    if args.only and not args.all:
        raise InvalidInput("crossval/scenario", "--only selects scenarios of --all")
    kw: dict[str, Any] = dict(
        scheduler=args.scheduler, progress=not args.no_progress, chunk=args.chunk,
        tolerances=tolerances or None, reuse_exact=args.reuse_exact,
    )  # fmt: skip
    if args.all:
        return _cmd_library(args, kw)
    out = args.out or Path("runs") / f"crossval-{Path(args.scenario).stem}-s{args.seed}"
    result = crossval(args.scenario, args.paths, args.seed, out, args.workers, **kw)
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


def _cmd_library(args: argparse.Namespace, kw: dict[str, Any]) -> int:
    out = args.out or Path("runs") / f"crossval-library-s{args.seed}"
    entries = library_entries(args.only or None)  # every scenario loads before any run
    command = "peglab " + " ".join(sys.argv[1:]) if sys.argv[1:2] == ["crossval"] else None
    result = crossval_library(out, args.paths, args.seed, args.workers, entries=entries,
                              command=command, **kw)  # fmt: skip
    for e in result["scenarios"]:
        if not e["compared"]:
            print(f"{e['name']}: not compared ({e['reason']})")
        else:
            state = "PASS" if e["passed"] else "FAIL " + ", ".join(e["failed"])
            print(f"{e['name']}: {e['judged']} judged column(s), {state}")
    print(f"cross-validation of the library: {out / 'README.md'} and {out / 'library.json'}")
    return 0 if result["passed"] else 1
