"""Parameter sweeps with common random numbers (``peglab sweep``; docs/risk-lab.md "Sweeps").

``run_sweep(scenario, {"agents.keepers.max_buy_price": ["1.00", "1.05", "1.10"]}, paths, seed,
out_dir)`` runs the Monte Carlo of every point of the grid (the cartesian product of the
parameters' values, in the order given) and reports each headline metric against each parameter.

* **Common random numbers.** Every grid point runs with the same root seed, so path ``i`` draws
  from the same ``SeedSequence(root, spawn_key=(i,))`` at every point: the fundamental prices
  (drawn first) and every later draw are the same random numbers; only the parameter differs.
  Differences between points are therefore not sampling noise from different paths.
* **Parameters** are scenario paths: dotted field names with ``[i]`` list indices or ``[name]``
  selecting the list element whose ``symbol``, ``ilk``, ``id`` or ``kind`` is ``name``, e.g.
  ``agents.keepers.max_buy_price``, ``system.ai_dollars[vUSD].collaterals[0].mat``,
  ``prices[0].drawdown``. Values are written as in a scenario file and validated like one; an
  unknown path is ``sweep/unknown-param``, a malformed one ``sweep/bad-param``, a bad value
  ``scenario/invalid``; every point is validated before any runs.
* **Engines and backends**: every point runs on the same engine (``exact``, ``vector`` or
  ``tiered``, ``risk.engines``; default as for a stress run, chosen once from the base scenario
  and the paths per point), one point after the other on one backend (the process pool of
  ``workers``, or dask with ``scheduler``), entered once for the whole sweep. A tiered point
  also lists its flagged metrics (``tier_flags``).
* **Outputs** (``out_dir``): ``points/NNN/`` a full run directory per point (``summary.json``
  byte-identical on a re-run); ``sweep.json`` the grid and each point's headline statistics
  (deterministic); ``table.csv`` one row per point; ``sweep.html`` each headline mean (95%
  bootstrap interval) against each parameter.
"""

from __future__ import annotations

import argparse
import csv
import html
import itertools
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import InvalidInput
from ..sim.scenario import Scenario, scenario_hash
from .backends import Backend, Model, lend, make_backend
from .engines import engine_arguments
from .montecarlo import run_monte_carlo, run_tiered
from .params import Param, apply_params, get_param, parse_param
from .rundir import Catalog, load_catalog, write_json
from .tiers import DEFAULT_ROUNDS, DEFAULT_TAIL

__all__ = [
    "Param",
    "apply_params",
    "cmd_sweep",
    "get_param",
    "lend",
    "parse_param",
    "print_sweep",
    "render_sweep",
    "run_sweep",
    "sweep_arguments",
]


def _grid(params: Sequence[Param]) -> list[dict[str, str]]:
    paths = [p.path for p in params]
    if len(set(paths)) != len(paths):
        raise InvalidInput("sweep/bad-param", "a parameter path is given twice")
    return [
        dict(zip(paths, combo, strict=True))
        for combo in itertools.product(*(p.values for p in params))
    ]


def _as_params(params: Sequence[Param] | Mapping[str, Sequence[Any]]) -> list[Param]:
    if isinstance(params, Mapping):
        return [Param(k, tuple(str(v) for v in vs)) for k, vs in params.items()]
    return list(params)


def _point_stats(summary: dict[str, Any], specs: Catalog) -> dict[str, Any]:
    """Each headline metric's mean (with CI) and its tail column (VaR95 for losses, else p95)."""
    out: dict[str, Any] = {}
    for name in specs.headline():
        m = summary["metrics"].get(name)
        if not m or not m.get("n"):
            continue
        tail = "VaR95" if "VaR95" in m else "p95"
        out[name] = {"n": m["n"], "mean": m["mean"]["value"], "ci": m["mean"]["ci"],
                     tail: m[tail]["value"] if tail in m else None}  # fmt: skip
    return out


def run_sweep(
    scenario: str | Path | Scenario,
    params: Sequence[Param] | Mapping[str, Sequence[Any]],
    paths: int,
    seed: int,
    out_dir: str | Path,
    workers: int = 1,
    run_path: Model | None = None,
    *,
    scheduler: str | None = None,
    backend: Backend | None = None,
    progress: bool = True,
    n_resamples: int = 1000,
    report: bool = True,
    engine: str | None = None,
    chunk: int | None = None,
    tail: float | None = None,
    control: int | None = None,
    rounds: int | None = None,
) -> dict[str, Any]:
    """Run the grid of ``params`` over ``scenario`` with common random numbers (module docstring).

    ``engine`` names the engine (``run_path`` without ``engine``: that model as is); ``tail``,
    ``control`` and ``rounds`` are the tiered engine's options (``risk.montecarlo.run_tiered``). Returns (and writes as
    ``sweep.json``) the grid with each point's headline statistics.
    """
    from .engines import choose_engine, engine_model
    from .library import load_scenario

    base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    plist = _as_params(params)
    if not plist:
        raise InvalidInput("sweep/bad-param", "give at least one --param PATH=v1,v2,...")
    grid = _grid(plist)
    scenarios = [apply_params(base, point) for point in grid]  # all validated before any runs
    if run_path is not None and engine is None:
        eng, rp = None, run_path
    else:
        eng = choose_engine(engine, base, paths)
        rp = engine_model("vector" if eng == "tiered" else eng)
    out = Path(out_dir)
    be = backend if backend is not None else make_backend(scheduler, workers)
    rows: list[dict[str, Any]] = []
    with be:
        held = lend(be)
        for i, (point, sc) in enumerate(zip(grid, scenarios, strict=True)):
            sub = out / "points" / f"{i:03d}"
            kw: dict[str, Any] = dict(
                paths=paths, seed=seed, out_dir=sub, workers=workers, keep_paths=0,
                progress=progress, n_resamples=n_resamples, backend=held, chunk=chunk,
            )  # fmt: skip
            if eng == "tiered":
                share = DEFAULT_TAIL if tail is None else tail
                more = DEFAULT_ROUNDS if rounds is None else rounds
                summary = run_tiered(sc, tail=share, control=control, rounds=more, **kw)
            else:
                summary = run_monte_carlo(sc, rp, engine=eng, **kw)
            row = {
                "index": i, "values": point, "dir": f"points/{i:03d}",
                "scenario_hash": scenario_hash(sc),
                "metrics": _point_stats(summary, load_catalog(sub)),
            }  # fmt: skip
            if "tiers" in summary:
                row["tier_flags"] = summary["tiers"]["flagged"]
            rows.append(row)
    result = {
        "scenario": {"name": base.name, "hash": scenario_hash(base)},
        "seed": seed,
        "paths": paths,
        **({"engine": eng} if eng else {}),
        "common_random_numbers": "path i uses SeedSequence(seed, spawn_key=(i,)) at every point",
        "params": [{"path": p.path, "values": list(p.values)} for p in plist],
        "points": rows,
    }
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "sweep.json", result)
    _write_table(out / "table.csv", result)
    if report:
        render_sweep(out)
    return result


def _columns(result: dict[str, Any]) -> list[str]:
    names: list[str] = []
    for row in result["points"]:
        for name in row["metrics"]:
            if name not in names:
                names.append(name)
    return names


def _write_table(path: Path, result: dict[str, Any]) -> None:
    params = [p["path"] for p in result["params"]]
    names = _columns(result)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        header = ["point", *params]
        for n in names:
            header += [f"{n}.mean", f"{n}.ci_lo", f"{n}.ci_hi", f"{n}.tail"]
        w.writerow(header)
        for row in result["points"]:
            cells: list[Any] = [row["index"], *(row["values"][p] for p in params)]
            for n in names:
                m = row["metrics"].get(n)
                if m is None:
                    cells += ["", "", "", ""]
                    continue
                tail = next((m[k] for k in ("VaR95", "p95") if k in m), None)
                cells += [m["mean"], m["ci"][0], m["ci"][1], "" if tail is None else tail]
            w.writerow(cells)


def _numeric(values: Sequence[str]) -> list[float] | None:
    try:
        return [float(v) for v in values]
    except ValueError:
        return None


def render_sweep(out_dir: str | Path) -> Path:
    """Write ``sweep.html``: each headline mean (95% interval) against each parameter, one line
    per combination of the other parameters' values."""
    import json

    import plotly.graph_objects as go

    out = Path(out_dir)
    result = json.loads((out / "sweep.json").read_text(encoding="utf-8"))
    params = [p["path"] for p in result["params"]]
    figs: list[Any] = []
    for name in _columns(result):
        for p in params:
            others = [q for q in params if q != p]
            fig = go.Figure()
            groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
            for row in result["points"]:
                groups.setdefault(tuple(row["values"][q] for q in others), []).append(row)
            for key, rows in groups.items():
                rows = [r for r in rows if name in r["metrics"]]
                xs = [r["values"][p] for r in rows]
                x: Sequence[Any] = _numeric(xs) or xs
                mean = [r["metrics"][name]["mean"] for r in rows]
                lo = [m - r["metrics"][name]["ci"][0] for m, r in zip(mean, rows, strict=True)]
                hi = [r["metrics"][name]["ci"][1] - m for m, r in zip(mean, rows, strict=True)]
                label = ", ".join(f"{q}={v}" for q, v in zip(others, key, strict=True)) or "mean"
                fig.add_trace(go.Scatter(
                    x=x, y=mean, mode="lines+markers", name=label,
                    error_y={"type": "data", "symmetric": False, "array": hi, "arrayminus": lo},
                ))  # fmt: skip
            fig.update_layout(title=f"{name} against {p} (mean, 95% interval)",
                              xaxis_title=p, yaxis_title=name)  # fmt: skip
            figs.append(fig)
    parts = [
        str(f.to_html(full_html=False, include_plotlyjs=i == 0, config={"displaylogo": False}))
        for i, f in enumerate(figs)
    ]
    sc = result["scenario"]
    grid = "".join(
        f"<li><code>{html.escape(p['path'])}</code>: {html.escape(', '.join(p['values']))}</li>"
        for p in result["params"]
    )
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>peglab sweep: {html.escape(sc["name"])}</title>
<style>body {{ font-family: system-ui, sans-serif; margin: 2em; max-width: 1100px; }}</style>
</head><body><h1>Sweep: {html.escape(sc["name"])}</h1>
<p>{result["paths"]} paths per point, seed {result["seed"]}, common random numbers (the same
seeded paths at every point); scenario hash <code>{html.escape(sc["hash"][:16])}</code>.</p>
<ul>{grid}</ul>
{"".join(f'<div class="chart">{p}</div>' for p in parts) or "<p>No headline metrics.</p>"}
<p><small>Per point: docs/risk-lab.md "Sweeps"; each point's full run is in points/NNN/.</small></p>
</body></html>
"""
    target = out / "sweep.html"
    target.write_text(page, encoding="utf-8")
    return target


def print_sweep(result: dict[str, Any], console: Any = None) -> None:
    """One row per grid point: the parameter values and each headline mean [95% interval]."""
    from rich.console import Console
    from rich.table import Table

    con = console if console is not None else Console(width=max(Console().width, 120))
    params = [p["path"] for p in result["params"]]
    names = _columns(result)
    table = Table(title=f"sweep {result['scenario']['name']}: {result['paths']} paths per point, "
                        f"seed {result['seed']}, common random numbers")  # fmt: skip
    for p in params:
        table.add_column(p.rsplit(".", 1)[-1], justify="right")
    for n in names:
        table.add_column(n, justify="right")
    for row in result["points"]:
        cells = [row["values"][p] for p in params]
        for n in names:
            m = row["metrics"].get(n)
            cells.append("-" if m is None else
                         f"{m['mean']:,.4g} [{m['ci'][0]:,.4g}, {m['ci'][1]:,.4g}]")  # fmt: skip
        table.add_row(*cells)
    con.print(table)


def sweep_arguments(s: argparse.ArgumentParser) -> None:
    s.add_argument("scenario", help="built-in scenario name or path to a .toml file")
    s.add_argument(
        "--param",
        action="append",
        required=True,
        metavar="PATH=v1,v2,...",
        help="a scenario path and its values; repeat for a grid (cartesian product)",
    )
    s.add_argument("--paths", type=int, default=32, help="Monte Carlo paths per point (default 32)")
    s.add_argument("--seed", type=int, default=1, help="root seed, the same at every point")
    s.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output directory (default runs/sweep-<scenario>-s<seed>)",
    )
    s.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    engine_arguments(s)
    s.add_argument("--no-progress", action="store_true", help="hide the progress bars")  # fmt: skip


def cmd_sweep(args: argparse.Namespace) -> None:
    params = [parse_param(t) for t in args.param]
    out = args.out or Path("runs") / f"sweep-{Path(args.scenario).stem}-s{args.seed}"
    result = run_sweep(
        args.scenario, params, args.paths, args.seed, out, args.workers,
        scheduler=args.scheduler, progress=not args.no_progress, engine=args.engine,
        chunk=args.chunk, tail=args.tier_tail, control=args.control_paths,
        rounds=args.tier_rounds,
    )  # fmt: skip
    print_sweep(result)
    print(f"sweep: {out / 'sweep.html'}  table: {out / 'table.csv'}")
