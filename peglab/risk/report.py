"""Stress-run reports: an offline report.html with plotly charts and a rich terminal summary.

``render_report(out_dir)`` reads what the Monte Carlo driver wrote (``summary.json``,
``paths.csv``, ``series/*.npy``) and writes ``report.html``: plotly.js is embedded inline once
(no CDN; the file works offline). Charts: peg fan chart (quantiles over time per AI dollar),
bad-debt distribution with VaR markers, liquidations over time (mean and p95 per interval),
collateral-ratio distribution at the horizon, and a table of the headline measures with CIs.
Series are read in column blocks from the disk-backed matrices, so memory stays bounded.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InvalidInput

__all__ = ["HEADLINE", "load_summary", "print_summary", "render_report"]

FAN_QUANTILES: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95)
HEADLINE: tuple[str, ...] = (
    "bad_debt_usd",
    "bad_debt_final_usd",
    "recap_usd",
    "liquidated_usd",
    "borrower_loss_usd",
    "keeper_profit_usd",
    "zero_bids",
    "peg_min",
)
_LABELS = {
    "VaR99": 'VaR99 ("EVaR" in Chaos Labs\' terms)',
    "EVaR95": "EVaR95 (entropic)",
}


def load_summary(out_dir: str | Path) -> dict[str, Any]:
    """``summary.json`` of a run directory, or ``report/missing`` naming what is absent."""
    path = Path(out_dir) / "summary.json"
    if not path.is_file():
        raise InvalidInput(
            "report/missing", f"no summary.json in {out_dir}; run a stress test there first"
        )
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise InvalidInput(
            "report/invalid", f"{path}: not valid JSON ({e.msg}, line {e.lineno})"
        ) from None
    return data


def _series_quantiles(path: Path, qs: tuple[float, ...], block: int = 32) -> np.ndarray:
    """Per-column quantiles ``(len(qs), n_points)`` of a ``(N, n_points)`` .npy, read in blocks."""
    mat = np.load(path, mmap_mode="r")
    out = np.empty((len(qs), mat.shape[1]))
    for start in range(0, mat.shape[1], block):
        cols = np.asarray(mat[:, start : start + block], dtype=np.float64)
        with np.errstate(all="ignore"):
            out[:, start : start + block] = np.nanquantile(cols, qs, axis=0)
    return out


def _columns(out: Path) -> tuple[list[str], np.ndarray]:
    from .montecarlo import read_paths_csv

    path = out / "paths.csv"
    if not path.is_file():
        raise InvalidInput("report/missing", f"no paths.csv in {out}")
    return read_paths_csv(path)


def _dollars(columns: list[str], prefix: str) -> list[str]:
    return sorted(c.split(".", 1)[1] for c in columns if c.startswith(prefix + ".") and "." in c)


def _fig_html(fig: Any, first: bool) -> str:
    return str(
        fig.to_html(full_html=False, include_plotlyjs=bool(first), config={"displaylogo": False})
    )


def render_report(out_dir: str | Path) -> Path:
    """Write ``report.html`` in ``out_dir`` from its summary, per-path table and series files."""
    import plotly.graph_objects as go

    out = Path(out_dir)
    summary = load_summary(out)
    columns, data = _columns(out)
    times_h = np.asarray(summary["parameters"].get("series_times_s", []), dtype=float) / 3600.0
    figs: list[Any] = []

    # peg fan chart
    for sym in sorted(p.stem.split(".", 1)[1] for p in (out / "series").glob("peg.*.npy")):
        q = _series_quantiles(out / "series" / f"peg.{sym}.npy", FAN_QUANTILES)
        x = times_h if len(times_h) == q.shape[1] else np.arange(q.shape[1])
        fig = go.Figure()
        fig.add_trace(
            go.Scatter(x=x, y=q[4], line={"width": 0}, showlegend=False, hoverinfo="skip")
        )
        fig.add_trace(
            go.Scatter(
                x=x,
                y=q[0],
                fill="tonexty",
                line={"width": 0},
                name="5-95%",
                fillcolor="rgba(31,119,180,0.15)",
            )
        )
        fig.add_trace(
            go.Scatter(x=x, y=q[3], line={"width": 0}, showlegend=False, hoverinfo="skip")
        )
        fig.add_trace(
            go.Scatter(
                x=x,
                y=q[1],
                fill="tonexty",
                line={"width": 0},
                name="25-75%",
                fillcolor="rgba(31,119,180,0.35)",
            )
        )
        fig.add_trace(go.Scatter(x=x, y=q[2], name="median", line={"color": "#1f77b4"}))
        for level, dash in ((0.99, "dot"), (0.95, "dash")):
            fig.add_hline(y=level, line_dash=dash, line_color="#d62728", annotation_text=f"{level}")
        fig.update_layout(
            title=f"{sym} price: fan chart over {summary['paths']} paths",
            xaxis_title="hours",
            yaxis_title="USD",
        )
        figs.append(fig)

    # bad-debt distribution
    if "bad_debt_usd" in columns:
        fig = go.Figure()
        for sym in _dollars(columns, "bad_debt_usd"):
            fig.add_trace(
                go.Histogram(x=data[:, columns.index(f"bad_debt_usd.{sym}")], name=sym, opacity=0.6)
            )
        fig.add_trace(
            go.Histogram(x=data[:, columns.index("bad_debt_usd")], name="total", opacity=0.6)
        )
        m = summary["metrics"].get("bad_debt_usd", {})
        for key, dash in (("VaR95", "dash"), ("VaR99", "dot")):
            if key in m and m[key]["value"] is not None:
                fig.add_vline(x=m[key]["value"], line_dash=dash, annotation_text=key)
        fig.update_layout(
            barmode="overlay",
            title="Bad debt per path (after the surplus buffer)",
            xaxis_title="USD",
            yaxis_title="paths",
        )
        figs.append(fig)

    # liquidations over time
    liq_files = sorted((out / "series").glob("liquidated_usd.*.npy"))
    if liq_files:
        fig = go.Figure()
        for path in liq_files:
            sym = path.stem.split(".", 1)[1]
            mat = np.load(path, mmap_mode="r")
            mean = np.zeros(mat.shape[1])
            for start in range(0, mat.shape[0], 256):
                mean += np.asarray(mat[start : start + 256], dtype=np.float64).sum(axis=0)
            mean /= max(1, mat.shape[0])
            p95 = _series_quantiles(path, (0.95,))[0]
            x = times_h if len(times_h) == mat.shape[1] else np.arange(mat.shape[1])
            fig.add_trace(go.Bar(x=x, y=mean, name=f"{sym} mean"))
            fig.add_trace(go.Scatter(x=x, y=p95, name=f"{sym} p95", mode="lines"))
        fig.update_layout(
            barmode="stack",
            title="Collateral sent to auction per interval (USD at market)",
            xaxis_title="hours",
            yaxis_title="USD",
        )
        figs.append(fig)

    # collateral-ratio distribution
    crs = _dollars(columns, "cr_end")
    if crs:
        fig = go.Figure()
        for sym in crs:
            col = data[:, columns.index(f"cr_end.{sym}")]
            fig.add_trace(
                go.Histogram(x=col[np.isfinite(col)], name=f"{sym} at horizon", opacity=0.6)
            )
            key = f"cr_min.{sym}"
            if key in columns:
                cm = data[:, columns.index(key)]
                fig.add_trace(
                    go.Histogram(x=cm[np.isfinite(cm)], name=f"{sym} minimum", opacity=0.4)
                )
        fig.update_layout(
            barmode="overlay",
            title="System collateral ratio per path (surviving vaults)",
            xaxis_title="collateral value / debt",
            yaxis_title="paths",
        )
        figs.append(fig)

    parts = [_fig_html(f, i == 0) for i, f in enumerate(figs)]
    if not figs:
        parts.append("<p>No series or loss columns to chart.</p>")
    page = _page(summary, parts)
    target = out / "report.html"
    target.write_text(page, encoding="utf-8")
    return target


def _fmt(x: Any) -> str:
    if x is None:  # an interval bound beyond the sample (order-statistic CI)
        return "beyond sample"
    if isinstance(x, (int, float)):
        if x != x:
            return "n/a"
        return f"{x:,.4g}" if abs(x) < 1e4 else f"{x:,.0f}"
    return html.escape(str(x))


def _rows(summary: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    metrics = summary.get("metrics", {})
    return [(k, metrics[k]) for k in HEADLINE if k in metrics and metrics[k].get("n")]


def _page(summary: dict[str, Any], parts: list[str]) -> str:
    sc = summary["scenario"]
    header = ["metric", "n", "mean", "VaR95", "VaR99", "ES97.5", "EVaR95"]
    rows = []
    for name, m in _rows(summary):
        cells = [html.escape(name), _fmt(m["n"])]
        for key in header[2:]:
            if key in m and m[key]["value"] is None:  # honest tail rule (measures.py)
                cells.append(f"<small>{html.escape(m[key].get('note', 'n too small'))}</small>")
            elif key in m:
                lo, hi = m[key]["ci"]
                cells.append(f"{_fmt(m[key]['value'])}<br><small>[{_fmt(lo)}, {_fmt(hi)}]</small>")
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
</style></head><body>
<h1>Stress report: {html.escape(sc["name"])}</h1>
<p>{html.escape(sc.get("description", ""))}</p>
<p>paths {summary["paths"]} &middot; seed {summary["seed"]} &middot; scenario hash <code>{html.escape(sc["hash"][:16])}</code>
&middot; peglab {html.escape(summary["peglab_version"])} &middot; model <code>{html.escape(summary["parameters"].get("run_path", ""))}</code></p>
<h2>Headline measures (95% intervals; each conditional on this scenario's stress)</h2>
<table><tr>{head}</tr>{"".join(rows)}</table>
<p><small>VaR by nearest rank with order-statistic intervals (a bound of "n too small" lies beyond
the sample); ES = mean of the worst (1-q)N paths; EVaR is the entropic measure (Ahmadi-Javid);
mean, ES and EVaR with bootstrap intervals. A quantile is shown only with at least 10 paths beyond
it. Every number is conditional on this scenario's shocks, not an unconditional probability.
Definitions: docs/risk-lab.md, docs/validation.md.</small></p>
{"".join(f'<div class="chart">{p}</div>' for p in parts)}
<h2>Calibration sources</h2><ul>{sources}</ul>
</body></html>
"""


def print_summary(summary: dict[str, Any], console: Any = None) -> None:
    """Headline measures of a summary as a rich table on the terminal."""
    from rich.console import Console
    from rich.table import Table

    con = console if console is not None else Console(width=max(Console().width, 120))
    sc = summary["scenario"]
    table = Table(title=f"{sc['name']}: {summary['paths']} paths, seed {summary['seed']}")
    for col in ("metric", "mean [95% CI]", "VaR95", "VaR99", "ES97.5", "EVaR95"):
        table.add_column(col, justify="left" if col == "metric" else "right")
    for name, m in _rows(summary):
        mean = m["mean"]
        cells = [name, f"{_fmt(mean['value'])} [{_fmt(mean['ci'][0])}, {_fmt(mean['ci'][1])}]"]
        cells += [
            (
                ""
                if k not in m
                else _fmt(m[k]["value"])
                if m[k]["value"] is not None
                else f"n<{m[k].get('paths_needed', '?')}"
            )  # honest tail rule (measures.py)
            for k in ("VaR95", "VaR99", "ES97.5", "EVaR95")
        ]
        table.add_row(*cells)
    con.print(table)
    con.print(_peg_table(summary))
    con.print(f"scenario hash {sc['hash'][:16]}  model {summary['parameters'].get('run_path', '')}")


def _peg_table(summary: dict[str, Any]) -> Any:
    """Per AI dollar: does the peg hold, and who absorbs the losses (means over paths)."""
    from rich.table import Table

    metrics = summary.get("metrics", {})
    dollars = sorted(k.split(".", 1)[1] for k in metrics if k.startswith("peg_min."))
    table = Table(title="Per AI dollar (mean over paths; worst path in brackets)")
    for col in (
        "AI dollar",
        "peg min",
        "peg max",
        "time < 0.99",
        "bad debt",
        "liquidated",
        "borrower loss",
    ):
        table.add_column(col, justify="left" if col == "AI dollar" else "right")

    def cell(name: str, worst: str = "", pct: bool = False) -> str:
        m = metrics.get(name)
        if not m or not m.get("n"):
            return "-"
        v = m["mean"]["value"]
        text = f"{100 * v:.2f}%" if pct else _fmt(v)
        if worst and worst in m:
            w = m[worst]
            text += f" [{100 * w:.2f}%]" if pct else f" [{_fmt(w)}]"
        return text

    for d in dollars:
        table.add_row(
            d,
            cell(f"peg_min.{d}", "min"),
            cell(f"peg_max.{d}", "max"),
            cell(f"below_0.99.{d}", "max", pct=True),
            cell(f"bad_debt_usd.{d}", "max"),
            cell(f"liquidated_usd.{d}"),
            cell(f"borrower_loss_usd.{d}"),
        )
    return table
