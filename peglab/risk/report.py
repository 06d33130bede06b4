"""Stress-run reports: an offline report.html with plotly charts and a rich terminal summary.

``render_report(out_dir)`` reads a run directory (``risk.rundir``: ``summary.json``,
``metrics.json``, ``paths.csv``, ``series/*.npy``) and writes ``report.html``: plotly.js is
embedded inline once (no CDN; the file works offline). What it shows comes from the families'
registered specs, so a new family needs no change here: a table of the headline totals with CIs,
a fan chart (quantile bands over time) per ``fan`` series and instance, a flow chart (mean per
interval and p95) per ``flow`` series, and the per-path distribution of each ``hist`` metric.
Series are read in column blocks from the disk-backed matrices, so memory stays bounded.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InvalidInput
from ..sim.family import registered_catalog, registered_families
from .rundir import Catalog, load_catalog, load_summary, read_paths_csv

__all__ = ["load_summary", "print_summary", "print_tiers", "render_report"]

FAN_QUANTILES: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95)
_LABELS = {
    "VaR99": 'VaR99 ("EVaR" in Chaos Labs\' terms)',
    "EVaR95": "EVaR95 (entropic)",
}


def _series_quantiles(path: Path, qs: tuple[float, ...], block: int = 32) -> np.ndarray:
    """Per-column quantiles ``(len(qs), n_points)`` of a ``(N, n_points)`` .npy, read in blocks,
    NaN left out (``np.nanquantile``). A block without NaN takes ``np.quantile`` of its columns
    as sorted contiguous rows (transposed before the exact widening to float64, the cheaper
    copy): the same order statistics and interpolation, so the same bits, without
    ``nanquantile``'s call per column (2.5 times faster at 10,000 paths)."""
    mat = np.load(path, mmap_mode="r")
    out = np.empty((len(qs), mat.shape[1]))
    for start in range(0, mat.shape[1], block):
        rows = np.asarray(mat[:, start : start + block]).T.astype(np.float64, order="C")
        with np.errstate(all="ignore"):
            if np.isnan(rows).any():
                out[:, start : start + block] = np.nanquantile(rows, qs, axis=1)
            else:
                rows.sort(axis=1)
                out[:, start : start + block] = np.quantile(rows, qs, axis=1)
    return out


def _columns(out: Path) -> tuple[list[str], np.ndarray]:
    path = out / "paths.csv"
    if not path.is_file():
        raise InvalidInput("report/missing", f"no paths.csv in {out}")
    return read_paths_csv(path)


def _fig_html(fig: Any, first: bool) -> str:
    return str(
        fig.to_html(full_html=False, include_plotlyjs=bool(first), config={"displaylogo": False})
    )


def _fan(go: Any, q: np.ndarray, x: np.ndarray, title: str, unit: str, guides: Any) -> Any:
    fig = go.Figure()
    bands = ((4, 0, "5-95%", "rgba(31,119,180,0.15)"), (3, 1, "25-75%", "rgba(31,119,180,0.35)"))
    for hi, lo, name, color in bands:
        fig.add_trace(
            go.Scatter(x=x, y=q[hi], line={"width": 0}, showlegend=False, hoverinfo="skip")
        )
        fig.add_trace(
            go.Scatter(x=x, y=q[lo], fill="tonexty", line={"width": 0}, name=name, fillcolor=color)
        )
    fig.add_trace(go.Scatter(x=x, y=q[2], name="median", line={"color": "#1f77b4"}))
    for level, dash in zip(guides, ("dot", "dash", "dashdot")):
        fig.add_hline(y=level, line_dash=dash, line_color="#d62728", annotation_text=f"{level}")
    fig.update_layout(title=title, xaxis_title="hours", yaxis_title=unit)
    return fig


def _flow(go: Any, files: list[Path], x_of: Any, title: str, unit: str) -> Any:
    fig = go.Figure()
    for path in files:
        inst = path.stem.split(".", 1)[1]
        mat = np.load(path, mmap_mode="r")
        mean = np.zeros(mat.shape[1])
        for start in range(0, mat.shape[0], 256):
            mean += np.asarray(mat[start : start + 256], dtype=np.float64).sum(axis=0)
        mean /= max(1, mat.shape[0])
        p95 = _series_quantiles(path, (0.95,))[0]
        x = x_of(mat.shape[1])
        fig.add_trace(go.Bar(x=x, y=mean, name=f"{inst} mean"))
        fig.add_trace(go.Scatter(x=x, y=p95, name=f"{inst} p95", mode="lines"))
    fig.update_layout(barmode="stack", title=title, xaxis_title="hours", yaxis_title=unit)
    return fig


def render_report(out_dir: str | Path) -> Path:
    """Write ``report.html`` in ``out_dir`` from its summary, per-path table and series files."""
    import plotly.graph_objects as go

    out = Path(out_dir)
    summary = load_summary(out)
    specs = load_catalog(out)
    columns, data = _columns(out)
    times_h = np.asarray(summary["parameters"].get("series_times_s", []), dtype=float) / 3600.0

    def x_of(n: int) -> np.ndarray:
        return times_h if len(times_h) == n else np.arange(n)

    figs: list[Any] = []
    series_dir = out / "series"
    for ss in specs.series:
        files = sorted(series_dir.glob(f"{ss.name}.*.npy"))
        if ss.chart == "fan":
            for path in files:
                inst = path.stem.split(".", 1)[1]
                q = _series_quantiles(path, FAN_QUANTILES)
                title = f"{inst} {ss.title} over {summary['paths']} paths"
                figs.append(_fan(go, q, x_of(q.shape[1]), title, ss.unit, ss.guides))
        elif ss.chart == "flow" and files:
            figs.append(_flow(go, files, x_of, f"{ss.title} ({ss.unit})", ss.unit))
    for m in specs.metrics:
        if not m.hist:
            continue
        cols = [c for c in columns if c.startswith(m.name + ".") and specs.spec(c) == m]
        if m.name in columns:
            cols.append(m.name)
        if not cols:
            continue
        fig = go.Figure()
        for c in cols:
            col = data[:, columns.index(c)]
            name = c.split(".", 1)[1] if "." in c[len(m.name) :] else "total"
            fig.add_trace(go.Histogram(x=col[np.isfinite(col)], name=name, opacity=0.6))
        stats = summary["metrics"].get(m.name, {})
        for key, dash in (("VaR95", "dash"), ("VaR99", "dot")):
            if key in stats and stats[key]["value"] is not None:
                fig.add_vline(x=stats[key]["value"], line_dash=dash, annotation_text=key)
        fig.update_layout(
            barmode="overlay",
            title=f"{m.name} per path: {m.description}",
            xaxis_title=m.unit,
            yaxis_title="paths",
        )
        figs.append(fig)

    tables = _family_tables(specs, columns, data)
    parts = [_fig_html(f, i == 0) for i, f in enumerate(figs)]
    if not figs:
        parts.append("<p>No series or loss columns to chart.</p>")
    page = _page(
        summary, specs, parts, tables, _tiers_html(summary, specs.headline()) + _sensitivity(out)
    )
    target = out / "report.html"
    target.write_text(page, encoding="utf-8")
    return target


def _family_tables(specs: Catalog, columns: list[str], data: np.ndarray) -> str:
    """Tables the run's families build from the per-path columns (``Family.report_table``); a
    function shared by several families is called once with all of them."""
    live = registered_families()
    groups: dict[Any, list[tuple[Any, list[str]]]] = {}
    for fam in specs.families:
        f = live.get(fam["key"])
        fn = getattr(f, "report_table", None)
        if fn is not None:
            groups.setdefault(fn, []).append((f, list(fam.get("instances", []))))
    out = []
    for fn, fams in groups.items():
        t = fn(fams, columns, data)
        if t is None:
            continue
        head = "".join(f"<th>{html.escape(h)}</th>" for h in t.header)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in t.rows
        )
        out.append(
            f"<h2>{html.escape(t.title)}</h2><table><tr>{head}</tr>{body}</table>"
            f"<p><small>{html.escape(t.note)}</small></p>"
        )
    return "".join(out)


def _sensitivity(out: Path) -> str:
    """The "Sensitivity" section from ``sensitivity.json`` (``risk.sensitivity``), or nothing."""
    path = out / "sensitivity.json"
    if not path.is_file():
        return ""
    import json

    sens = json.loads(path.read_text(encoding="utf-8"))
    rows = sens.get("thresholds", [])
    names: list[str] = []
    for r in rows:
        names += [n for n in r["headlines"] if n not in names]
    head = "".join(f"<th>{html.escape(n)}</th>" for n in names)
    body = []
    flagged = 0
    for r in rows:
        lo, mid, hi = (html.escape(str(v)) for v in r["values"])
        src = "" if r["source"] == "registry" else " <small>(discovered, ±20%)</small>"
        cells = [f"<code>{html.escape(r['path'])}</code>{src}<br><small>{html.escape(r['what'])}"
                 f"</small>", f"{lo} / <b>{mid}</b> / {hi}"]  # fmt: skip
        for n in names:
            h = r["headlines"].get(n)
            if h is None:
                cells.append("")
                continue
            text = " / ".join(_fmt(v) if v is not None else "-" for v in h["values"])
            if h["pinned"]:
                flagged += 1
                text = f'<span class="pinned">{text}<br><b>PINNED</b></span>'
            cells.append(text)
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    lo_s, hi_s = sens.get("pin_slope", [0.5, 2.0])
    verdict = (f"<p><b>{flagged} headline(s) pinned</b> to a threshold we chose: they move with "
               "it one-for-one and say more about that parameter than about the system.</p>"
               if flagged else "<p>No headline is pinned to a chosen threshold.</p>")  # fmt: skip
    return f"""<h2>Sensitivity to the thresholds we chose</h2>
<p>Each agent threshold of the lab set to its low and high value on the run's first
<b>{sens["paths"]} paths</b> with the same seeds (common random numbers); the middle value is the
run itself on those paths. <b>Fewer paths than the headline table</b> (to keep the run short): read
the direction and size of each move, and run <code>peglab sweep</code> with more paths before
quoting a row. A headline is flagged <b>pinned</b> when its change follows the threshold's with a
slope between {lo_s} and {hi_s} on both sides of the default.</p>
{verdict}
<table><tr><th>threshold</th><th>low / <b>default</b> / high</th>{head}</tr>{"".join(body)}</table>
"""


_TIER_STATUS = {
    "ok": "exact",
    "not-covered": "NOT COVERED",
    "beyond-tier": "beyond the tier",
    "n-too-small": "n too small",
    "exact-missing": "exact value missing",
}


def _tier_rows(tiers: dict[str, Any], metrics: dict[str, Any]) -> list[list[str]]:
    """Rows of the exact-tail table: column, statistic, vector value, exact value [interval],
    deepest fast rank of an exact tail path / limit, status."""
    rows = []
    for col, stats in tiers.get("tail", {}).items():
        for name, e in stats.items():
            if not isinstance(e, dict) or e.get("status") in (None, "n-too-small"):
                continue
            fast = metrics.get(col, {}).get(name, {}).get("value")
            exact = "-" if e.get("value") is None else _fmt(e["value"])
            if e.get("ci"):
                exact += f" [{_fmt(e['ci'][0])}, {_fmt(e['ci'][1])}]"
            rank = f"{e['deepest_fast_rank']} / {e['rank_limit']}" if "rank_limit" in e else "-"
            status = _TIER_STATUS.get(e["status"], e["status"])
            rows.append([col, name, "-" if fast is None else _fmt(fast), exact, rank, status])
    return rows


def _control_rows(tiers: dict[str, Any], headline: list[str]) -> list[list[str]]:
    """Rows of the agreement table: columns with a tolerance, and the headline totals."""
    rows = []
    for col, c in tiers.get("control", {}).items():
        if "difference" not in c or (c.get("tolerance") is None and col not in headline):
            continue
        tol = "none stated" if c.get("tolerance") is None else _fmt(c["tolerance"])
        verdict = {"pass": "pass", "FLAG": "FLAG"}.get(c["status"], "-")
        rows.append([col, _fmt(c["mean_vector"]), _fmt(c["mean_exact"]),
                     f"{_fmt(c['difference'])} [{_fmt(c['ci'][0])}, {_fmt(c['ci'][1])}]",
                     tol, verdict])  # fmt: skip
    return rows


def _html_table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(
            f'<td class="pinned"><b>{html.escape(c)}</b></td>' if c in ("FLAG", "NOT COVERED")
            else f"<td>{html.escape(c)}</td>" for c in row
        ) + "</tr>" for row in rows
    )  # fmt: skip
    return f"<table><tr>{head}</tr>{body}</table>"


TIER_HEADER = ["metric", "statistic", "vector", "exact [95% interval]", "deepest rank / limit",
               "status"]  # fmt: skip
CONTROL_HEADER = ["metric", "mean vector", "mean exact", "difference [95% interval]",
                  "tolerance", "verdict"]  # fmt: skip


def _tiers_html(summary: dict[str, Any], headline: list[str]) -> str:
    """The "Two tiers" section of a tiered run (``summary["tiers"]``, ``risk.tiers``)."""
    tiers = summary.get("tiers")
    if not tiers:
        return ""
    r = tiers["rule"]
    flagged = tiers.get("flagged", [])
    verdict = (f"<p><b>{len(flagged)} metric(s) FLAGGED</b>: the vectorised model's mean differs "
               f"from the exact engine's by more than the stated tolerance: "
               f"{html.escape(', '.join(flagged))}.</p>" if flagged else
               "<p>No metric differs beyond its stated tolerance.</p>")  # fmt: skip
    return f"""<h2>Two tiers</h2>
<p>The vectorised model ran all {summary["paths"]} paths (the table and charts above); the exact
engine re-ran <b>{r["exact_paths"]} paths</b>: for each of {len(r["columns"])} headline metrics
its worst paths by the vectorised value, as many as its own statistics at tail share
{r["tail"]} read plus a margin ({html.escape(_depth_text(r))}), and a random control sample of
{r["control"]} paths.{_rounds_html(r)}{_tied_html(r)} An exact tail statistic uses exact values only and equals a full exact run's
when the tail paths were all re-run; it is marked NOT COVERED when an exactly-run path worse than
its boundary ranked deeper than the limit by the vectorised value. Rule and checks:
docs/scale.md "Two tiers".</p>
{_html_table(TIER_HEADER, _tier_rows(tiers, summary.get("metrics", {})))}
<h3>Vectorised against exact on the control sample</h3>
{verdict}
{_html_table(CONTROL_HEADER, _control_rows(tiers, headline))}
"""


def _depth_groups(rule: dict[str, Any]) -> list[tuple[tuple[int, int, int], list[str]]]:
    """The tiered columns grouped by their ``(m, margin, k)``, deepest first."""
    groups: dict[tuple[int, int, int], list[str]] = {}
    for col, d in rule.get("depth", {}).items():
        groups.setdefault((d["m"], d["margin"], d["k"]), []).append(col)
    return sorted(groups.items(), key=lambda g: (-g[0][2], g[1]))


def _depth_text(rule: dict[str, Any]) -> str:
    """``"liquidated_usd, ...: 375 = 250 read + 125 margin; peg_min, ...: 180 = ..."``."""
    return "; ".join(f"{', '.join(cols)}: {k} = {m} read + {g} margin"
                     for (m, g, k), cols in _depth_groups(rule))  # fmt: skip


def _rounds_html(rule: dict[str, Any]) -> str:
    passes = (rule.get("rounds") or {}).get("paths", [])
    if len(passes) < 2:
        return ""
    grown = ", ".join(f"{html.escape(c)} to {ks[-1]}"
                      for c, ks in sorted((rule.get("extended") or {}).items()))  # fmt: skip
    return (f" A first pass of {passes[0]} paths left statistics not covered, so "
            f"{len(passes) - 1} extension round(s) re-ran {sum(passes[1:])} more paths deeper "
            f"({grown} worst paths).")  # fmt: skip


def _tied_html(rule: dict[str, Any]) -> str:
    tied = rule.get("tied") or {}
    if not tied:
        return ""
    parts = ", ".join(f"{html.escape(c)} ({_fmt(t['value'])} on {t['paths']} paths)"
                      for c, t in sorted(tied.items()))  # fmt: skip
    return (f" The vectorised model ties the paths at the boundary of {len(tied)} metric(s), so "
            f"none of those tied paths was selected for them (their check is the other paths and "
            f"the control sample): {parts}.")  # fmt: skip


def print_tiers(
    summary: dict[str, Any], console: Any = None, headline: list[str] | None = None
) -> None:
    """The "Two tiers" tables of a tiered run on the terminal (nothing for other runs)."""
    from rich.console import Console
    from rich.table import Table

    tiers = summary.get("tiers")
    if not tiers:
        return
    con = console if console is not None else Console(width=max(Console().width, 120))
    r = tiers["rule"]
    table = Table(title=f"Two tiers: exact tail on {r['exact_paths']} re-run paths "
                        f"({'/'.join(str(k) for (_, _, k), _ in _depth_groups(r))} worst per "
                        f"metric + {r['control']} control)")  # fmt: skip
    for h in TIER_HEADER:
        table.add_column(h, justify="left" if h in ("metric", "statistic") else "right")
    for row in _tier_rows(tiers, summary.get("metrics", {})):
        table.add_row(*row)
    con.print(table)
    ctrl = Table(title="Two tiers: vectorised against exact on the control sample")
    for h in CONTROL_HEADER:
        ctrl.add_column(h, justify="left" if h == "metric" else "right")
    for row in _control_rows(tiers, headline or []):
        ctrl.add_row(*row)
    con.print(ctrl)
    if tiers.get("flagged"):
        con.print(f"FLAGGED (beyond tolerance): {', '.join(tiers['flagged'])}")


def _fmt(x: Any) -> str:
    if x is None:  # an interval bound beyond the sample (order-statistic CI)
        return "beyond sample"
    if isinstance(x, (int, float)):
        if x != x:
            return "n/a"
        return f"{x:,.4g}" if abs(x) < 1e4 else f"{x:,.0f}"
    return html.escape(str(x))


def _rows(summary: dict[str, Any], specs: Catalog) -> list[tuple[str, dict[str, Any]]]:
    metrics = summary.get("metrics", {})
    return [(k, metrics[k]) for k in specs.headline() if k in metrics and metrics[k].get("n")]


def _headline_entry(summary: dict[str, Any], name: str, key: str) -> tuple[Any, bool]:
    """A headline cell's statistic: the exact tier's when a tiered run covers it (and True),
    else the summary's (the vectorised model's on a tiered run)."""
    tier = summary.get("tiers", {}).get("tail", {}).get(name, {}).get(key)
    if isinstance(tier, dict) and tier.get("status") == "ok":
        return tier, True
    return summary["metrics"][name].get(key), False


def _page(
    summary: dict[str, Any], specs: Catalog, parts: list[str], tables: str = "", extra: str = ""
) -> str:
    sc = summary["scenario"]
    header = ["metric", "n", "mean", "VaR95", "VaR99", "ES97.5", "EVaR95"]
    rows = []
    for name, m in _rows(summary, specs):
        cells = [html.escape(name), _fmt(m["n"])]
        for key in header[2:]:
            entry, exact = _headline_entry(summary, name, key)
            if entry is not None and entry["value"] is None:  # honest tail rule (measures.py)
                cells.append(f"<small>{html.escape(entry.get('note', 'n too small'))}</small>")
            elif entry is not None:
                lo, hi = entry["ci"]
                mark = " <small><b>exact</b></small>" if exact else ""
                cells.append(
                    f"{_fmt(entry['value'])}{mark}<br><small>[{_fmt(lo)}, {_fmt(hi)}]</small>"
                )
            else:
                cells.append("")
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    head = "".join(f"<th>{html.escape(_LABELS.get(h, h))}</th>" for h in header)
    sources = "".join(f"<li>{html.escape(s)}</li>" for s in sc.get("sources", []))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>peglab stress report: {html.escape(sc["name"])}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; max-width: 1100px; }}
table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #ccc; padding: 4px 8px; text-align: right; }}
td:first-child, th:first-child {{ text-align: left; }} small {{ color: #666; }}
.pinned {{ color: #b00; }}
</style></head><body>
<h1>Stress report: {html.escape(sc["name"])}</h1>
<p>{html.escape(sc.get("description", ""))}</p>
<p>paths {summary["paths"]} &middot; seed {summary["seed"]} &middot; scenario hash <code>{html.escape(sc["hash"][:16])}</code>
&middot; peglab {html.escape(summary["peglab_version"])} &middot; model <code>{html.escape(summary["parameters"].get("run_path", ""))}</code></p>
{tables}
<h2>Headline measures (95% intervals; each conditional on this scenario's stress)</h2>
<p>Conditional on: {html.escape(summary.get("conditional_on", sc["name"]))}</p>
<table><tr>{head}</tr>{"".join(rows)}</table>
<p><small>VaR by nearest rank with order-statistic intervals (a bound shown as "beyond sample" lies beyond
the sample); ES = mean of the worst (1-q)N paths; EVaR is the entropic measure (Ahmadi-Javid);
mean, ES and EVaR with bootstrap intervals. A quantile is shown only with at least 10 paths beyond
it. Every number is conditional on this scenario's shocks, not an unconditional probability.
Definitions: docs/risk-lab.md, docs/validation.md.</small></p>
{extra}
{"".join(f'<div class="chart">{p}</div>' for p in parts)}
<h2>Calibration sources</h2><ul>{sources}</ul>
</body></html>
"""


def print_summary(
    summary: dict[str, Any], console: Any = None, specs: Catalog | None = None
) -> None:
    """Headline measures of a summary as rich tables on the terminal.

    ``specs``: the run's ``metrics.json`` (``rundir.load_catalog``); without it, every registered
    family's specs are used and instances are read from the metric names.
    """
    from rich.console import Console
    from rich.table import Table

    cat = specs if specs is not None and specs.families else Catalog(registered_catalog())
    con = console if console is not None else Console(width=max(Console().width, 120))
    sc = summary["scenario"]
    table = Table(title=f"{sc['name']}: {summary['paths']} paths, seed {summary['seed']}")
    for col in ("metric", "mean [95% CI]", "VaR95", "VaR99", "ES97.5", "EVaR95"):
        table.add_column(col, justify="left" if col == "metric" else "right")
    for name, m in _rows(summary, cat):
        mean = m["mean"]
        cells = [name, f"{_fmt(mean['value'])} [{_fmt(mean['ci'][0])}, {_fmt(mean['ci'][1])}]"]
        for k in ("VaR95", "VaR99", "ES97.5", "EVaR95"):
            entry, exact = _headline_entry(summary, name, k)
            if entry is None:
                cells.append("")
            elif entry["value"] is None:  # honest tail rule (measures.py)
                cells.append(f"n<{entry.get('paths_needed', '?')}")
            else:
                cells.append(_fmt(entry["value"]) + (" *" if exact else ""))
        table.add_row(*cells)
    con.print(table)
    if "tiers" in summary:
        con.print("* exact (two tiers: re-run on the exact engine); other cells: vectorised model")
    for fam in cat.families:
        t = _instance_table(summary, fam)
        if t is not None:
            con.print(t)
    con.print(f"scenario hash {sc['hash'][:16]}  model {summary['parameters'].get('run_path', '')}")
    print_tiers(summary, con, cat.headline())


def _instance_table(summary: dict[str, Any], fam: dict[str, Any]) -> Any:
    """Per instance of one family: its ``table`` metrics (means over paths; worst in brackets)."""
    from rich.table import Table

    metrics = summary.get("metrics", {})
    cols = [m for m in fam["metrics"] if m.get("table")]
    if not cols:
        return None
    first = cols[0]["name"] + "."
    instances = list(fam.get("instances") or []) or sorted(
        k[len(first) :] for k in metrics if k.startswith(first)
    )
    if not instances:
        return None
    table = Table(title=f"Per {fam['label']} (mean over paths; worst path in brackets)")
    table.add_column(fam["label"], justify="left")
    for c in cols:
        table.add_column(c["name"], justify="right")

    def cell(name: str, worst: str | None, pct: bool) -> str:
        m = metrics.get(name)
        if not m or not m.get("n"):
            return "-"
        v = m["mean"]["value"]
        text = f"{100 * v:.2f}%" if pct else _fmt(v)
        if worst and worst in m:
            w = m[worst]
            text += f" [{100 * w:.2f}%]" if pct else f" [{_fmt(w)}]"
        return text

    for inst in instances:
        table.add_row(
            inst,
            *(cell(f"{c['name']}.{inst}", c.get("worst"), c["unit"] == "fraction") for c in cols),
        )
    return table
