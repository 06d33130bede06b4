"""The question set's one report: ``questions.md`` (tables) and ``questions.html`` (tables and charts).

The first table answers each question in a sentence with its numbers and their 95% intervals and
says what the numbers are conditional on; then one section per question: its run (scenario hash,
engine, paths, seed), each quoted number with its interval method and the paths beyond it, the
run's headline measures (a tail withheld when fewer than 10 paths lie beyond it), and in the HTML
the per-path distribution of the answer's first condition (and, for Terra, the two hourly price
paths side by side). Each question's full stress report is in its own directory.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import numpy as np

from .question_set import QUESTIONS, TERRA_KEY, Answer, fmt_value
from .question_sweep import SWEEP_HOW, Sweep
from .rundir import load_catalog, load_summary, read_paths_csv

__all__ = ["FIRST_HEADER", "first_table_rows", "sweep_rows", "write_report"]

_TAILS = ("mean", "p05", "p50", "p95", "VaR95", "VaR99", "ES97.5", "EVaR95")


def _cell(text: str) -> str:
    return text.replace("|", "/").replace("\n", " ")


FIRST_HEADER = ["question", "answer (95% intervals)", "conditional on", "engine, paths",
                "the thresholds we chose, swept (§ Sensitivity)"]  # fmt: skip


def first_table_rows(answers: list[Answer], sweeps: list[Sweep]) -> list[tuple[str, ...]]:
    """``(question, answer sentence, conditional on, engine and paths, robust or where it
    flips)`` per answer, in order."""
    return [(a.ask, a.sentence, a.conditional_on,
             f"{a.engine}, {a.paths} path{'s' if a.paths != 1 else ''}", s.verdict())
            for a, s in zip(answers, sweeps, strict=True)]  # fmt: skip


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def sweep_rows(s: Sweep) -> tuple[list[str], list[list[str]]]:
    """One question's sweep as a table: per peg line the share held and the word per cut-off."""
    if not s.cuts:
        return (["line (lowest hourly price)", "held", "answer"],
                [[f"{r.line:g}", "yes" if r.held else "no", s.word(r.words[0])]
                 for r in s.rows])  # fmt: skip
    head = ["peg line", "paths held", "share [95%]"]
    head += [f"yes >= {100 * y:g}%, no <= {100 * n:g}%" for y, n in s.cuts]
    rows = []
    for r in s.rows:
        lo, hi = r.ci if r.ci is not None else (0.0, 1.0)
        mark = " (ours)" if r.line == s.base_line else ""
        rows.append([f"{r.line:g}{mark}", f"{r.held} of {r.n}",
                     f"{_pct(r.held / r.n)} [{_pct(lo)}, {_pct(hi)}]", *r.words])  # fmt: skip
    return head, rows


def _sweep_summary(answers: list[Answer], sweeps: list[Sweep]) -> list[list[str]]:
    return [[a.key, s.word(s.base), "robust" if s.robust else "flips", s.verdict()]
            for a, s in zip(answers, sweeps, strict=True)]  # fmt: skip


_SWEEP_HEAD = ["question", "answer at our choices", "robust?", "across the sweep"]


def _headline(sub: Path) -> list[list[str]]:
    """The run's headline totals: ``[metric, n, mean [ci], p05/VaR95..., ...]`` as text."""
    summary = load_summary(sub)
    rows = []
    for name in load_catalog(sub).headline():
        m = summary["metrics"].get(name)
        if not m or not m.get("n"):
            continue
        cells = [name, str(m["n"])]
        for k in _TAILS:
            e = m.get(k)
            if e is None:
                cells.append("")
            elif e["value"] is None:
                cells.append(f"n too small, need {e['paths_needed']:,}")
            else:
                lo, hi = e["ci"]
                cells.append(f"{_g(e['value'])} [{_g(lo)}, {_g(hi)}]")
        rows.append(cells)
    return rows


def _g(x: float | None) -> str:
    if x is None:
        return "beyond sample"
    return f"{x:,.4g}" if abs(x) < 1e4 else f"{x:,.0f}"


def _number_rows(a: Answer) -> list[list[str]]:
    rows = []
    for x in a.numbers:
        if x.get("unit") == "flag":
            rows.append([x["label"], "yes" if x["value"] else "no", "-", "-"])
        elif x.get("status") == "n-too-small":
            rows.append([x["label"], "n too small", x.get("note", ""), "-"])
        elif "ci" in x:
            lo, hi = x["ci"]
            method = "bootstrap" if x["stat"] == "mean" else "order statistics"
            rows.append([x["label"], fmt_value(x["value"], x["unit"]),
                         f"[{fmt_value(lo, x['unit'])}, {fmt_value(hi, x['unit'])}]", method])  # fmt: skip
        else:
            rows.append([x["label"], x["text"].removeprefix(x["label"]).strip(), "-", "-"])
    return rows


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(_cell(c) for c in r) + " |" for r in rows]
    return out


def _section_meta(out: Path, a: Answer) -> str:
    if a.key == TERRA_KEY:
        return (f"Validation case `terra-2022-05`, both models as they are; hourly prices and "
                f"parameters in `{a.run_dir}/terra.json`.")  # fmt: skip
    s = load_summary(out / a.run_dir)
    sc = s["scenario"]
    return (f"Scenario `{sc['name']}` (hash `{sc['hash'][:16]}`), {a.engine} engine "
            f"(`{s['parameters']['run_path']}`), {s['paths']} paths, seed {s['seed']}, "
            f"{s['parameters']['n_steps']} steps of {s['parameters']['step_s']} s; sources: "
            f"{'; '.join(sc.get('sources', []))}. Full stress report: `{a.run_dir}/report.html`.")  # fmt: skip


_HEAD = ["metric", "n", *_TAILS]
_HOW = (
    "How to read it: the share is the fraction of paths on which the question's condition held, "
    "with a Wilson 95% interval; the answer is yes when that interval lies at or above 95%, no "
    "when it lies at or below 50%, partly otherwise. Each number is a statistic over paths with "
    "its 95% interval (quantiles: order-statistic intervals, distribution-free; means: "
    "bootstrap). A quantile is quoted only with at least 10 paths beyond it, otherwise "
    '"n too small, need N". Every number is conditional on its scenario (the shock it imposes), '
    "its engine and its path count: not an unconditional probability. Definitions: "
    "docs/questions.md, docs/validation.md §1."
)


def write_report(
    out: Path, answers: list[Answer], record: dict[str, Any], sweeps: list[Sweep]
) -> None:
    """Write ``questions.md`` and ``questions.html`` in ``out`` from the answers and sweeps."""
    md = [f"# The critic's questions (peglab {record['peglab_version']}, seed {record['seed']}"
          f"{', reduced' if record['reduced'] else ''})", ""]  # fmt: skip
    md += _md_table(FIRST_HEADER, [list(r) for r in first_table_rows(answers, sweeps)])
    md += ["", _HOW, "", "## Sensitivity to the thresholds we chose", "", SWEEP_HOW, ""]
    md += _md_table(_SWEEP_HEAD, _sweep_summary(answers, sweeps))
    for a, sw in zip(answers, sweeps, strict=True):
        md += ["", f"**{a.key}** ({sw.verdict()}):", ""]
        md += _md_table(*sweep_rows(sw))
    md.append("")
    for i, a in enumerate(answers, 1):
        md += [f"## {i}. {a.ask}", "", a.sentence, "", _section_meta(out, a), ""]
        md += _md_table(["number", "value", "95% interval", "interval"], _number_rows(a))
        if a.key != TERRA_KEY:
            md += ["", "Headline measures of the run:", ""]
            md += _md_table(_HEAD, _headline(out / a.run_dir))
            if (out / a.run_dir / "sensitivity.json").is_file():
                md += ["", f"Sensitivity to the thresholds we chose: `{a.run_dir}/report.html` "
                       "(section \"Sensitivity\")."]  # fmt: skip
        md.append("")
    (out / "questions.md").write_text("\n".join(md), encoding="utf-8")
    (out / "questions.html").write_text(_html(out, answers, record, sweeps), encoding="utf-8")


def _html_table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>"
                   for r in rows)  # fmt: skip
    return f"<table><tr>{head}</tr>{body}</table>"


def _charts(out: Path, answers: list[Answer]) -> dict[str, Any]:
    import plotly.graph_objects as go

    figs: dict[str, Any] = {}
    shares = [a for a in answers if a.share is not None and a.share_ci is not None]
    if shares:
        fig = go.Figure(go.Bar(
            x=[a.key for a in shares], y=[100 * (a.share or 0.0) for a in shares],
            error_y={"type": "data", "symmetric": False,
                     "array": [100 * (a.share_ci[1] - (a.share or 0.0)) for a in shares if a.share_ci],
                     "arrayminus": [100 * ((a.share or 0.0) - a.share_ci[0]) for a in shares if a.share_ci]},
        ))  # fmt: skip
        fig.update_layout(title="Share of paths on which the condition held (Wilson 95%)",
                          yaxis_title="% of paths", yaxis_range=[0, 105])  # fmt: skip
        figs["_shares"] = fig
    for a in answers:
        if a.key == TERRA_KEY:
            data = json.loads((out / a.run_dir / "terra.json").read_text(encoding="utf-8"))
            fig = go.Figure()
            fig.add_trace(go.Scatter(x=data["series_hours"], y=data["ust_price"], name="UST"))
            fig.add_trace(go.Scatter(x=data["series_hours"], y=data["ai_dollar_price"],
                                     name="AI dollar (CDP)"))  # fmt: skip
            fig.update_layout(title="The Terra run, 7-13 May 2022: UST and an AI dollar",
                              xaxis_title="hours from 7 May", yaxis_title="USD")  # fmt: skip
            figs[a.key] = fig
            continue
        q = next(x for x in QUESTIONS if x.key == a.key)
        cols, data_ = read_paths_csv(out / a.run_dir / "paths.csv")
        c = q.conditions[0]
        v = data_[:, cols.index(c.column)]
        fig = go.Figure(go.Histogram(x=v[np.isfinite(v)], name=c.column))
        fig.add_vline(x=c.threshold, line_dash="dash", line_color="#d62728",
                      annotation_text=f"{c.op} {c.threshold:g}")  # fmt: skip
        fig.update_layout(title=f"{a.key}: {c.column} per path ({a.paths} paths)",
                          xaxis_title=c.column, yaxis_title="paths")  # fmt: skip
        figs[a.key] = fig
    return figs


def _html(out: Path, answers: list[Answer], record: dict[str, Any], sweeps: list[Sweep]) -> str:
    figs = _charts(out, answers)
    first = [True]

    def chart(key: str) -> str:
        fig = figs.get(key)
        if fig is None:
            return ""
        text = fig.to_html(full_html=False, include_plotlyjs=first[0],
                           config={"displaylogo": False})  # fmt: skip
        first[0] = False
        return f'<div class="chart">{text}</div>'

    top = _html_table(FIRST_HEADER, [list(r) for r in first_table_rows(answers, sweeps)])
    parts = [f"<h1>The critic's questions</h1><p>peglab {html.escape(record['peglab_version'])}"
             f" &middot; seed {record['seed']}{' &middot; reduced' if record['reduced'] else ''}"
             f"</p>{top}<p><small>{html.escape(_HOW)}</small></p>", chart("_shares")]  # fmt: skip
    parts.append("<h2>Sensitivity to the thresholds we chose</h2>"
                 f"<p><small>{html.escape(SWEEP_HOW)}</small></p>"
                 + _html_table(_SWEEP_HEAD, _sweep_summary(answers, sweeps)))  # fmt: skip
    for a, sw in zip(answers, sweeps, strict=True):
        parts.append(f"<h3>{html.escape(a.key)}</h3><p>{html.escape(sw.verdict())}</p>"
                     + _html_table(*sweep_rows(sw)))  # fmt: skip
    for i, a in enumerate(answers, 1):
        link = f'<a href="{html.escape(a.run_dir)}/report.html">full stress report</a>'
        parts.append(f"<h2>{i}. {html.escape(a.ask)}</h2><p>{html.escape(a.sentence)}</p>"
                     f"<p><small>{html.escape(_section_meta(out, a))}</small>"
                     f"{'' if a.key == TERRA_KEY else ' ' + link}</p>"
                     + _html_table(["number", "value", "95% interval", "interval"],
                                   _number_rows(a)))  # fmt: skip
        if a.key != TERRA_KEY:
            parts.append("<h3>Headline measures of the run</h3>"
                         + _html_table(_HEAD, _headline(out / a.run_dir)))  # fmt: skip
        parts.append(chart(a.key))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>peglab: the critic's questions</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; max-width: 1200px; }}
table {{ border-collapse: collapse; margin: 0.5em 0; }}
td, th {{ border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }}
small {{ color: #555; }}
</style></head><body>
{"".join(parts)}
</body></html>
"""
