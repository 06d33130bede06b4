"""The critic's question set, the lab's main job (``peglab questions``, ``make run``; docs/questions.md).

The critic (docs/risk-spec.md §1) asks whether an AI stablecoin's peg holds when AI tokens crash,
liquidity dries up, GPU rental prices collapse, borrowers default, holders run, a crash spreads
between ecosystems, and whether this is Terra again. Each question is one library scenario run
through the Monte Carlo driver (its own run directory: seed, parameters, scenario hash, data
sources, version, per-path table, series, stress report), and Terra is the validation case
``terra-2022-05`` (UST/LUNA and an AI dollar under the same historical run, reused as it is).

Each answer is
* a **share of paths on which the question's condition held** (e.g. "every AI dollar's lowest
  price >= 0.99 and no bad debt after the waterfall") with a Wilson score interval, and the word
  that follows from it (``yes`` when the interval's lower bound is at least 95%, ``no`` when its
  upper bound is at most 50%, ``partly`` otherwise);
* the **numbers** behind it, each a statistic of one per-path column with its 95% interval, read
  from the run's ``summary.json`` (``risk.measures``: order-statistic intervals for quantiles,
  bootstrap for means). A tail statistic with fewer than 10 paths beyond it is not quoted: the
  answer says "n too small, need N" (docs/validation.md §1);
* what every number is **conditional on** (the scenario, its engine and its path count).

Path counts (docs/questions.md "How many paths"): each question runs ``paths_needed(q)`` paths
for the most extreme tail level ``q`` it quotes (5% tails: 200 paths; 1%: 1,000), so every tail
the answer quotes has at least 10 paths beyond it. ``paths=`` overrides every question (then the
tails it cannot support are withheld, as above).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import InvalidInput
from .backends import Model, make_backend
from .question_set import (
    ENGINES,
    QUESTIONS,
    TERRA_KEY,
    Answer,
    Condition,
    Question,
    Quote,
    answer_run,
    answer_word,
    wilson_interval,
)
from .rundir import write_json

__all__ = [
    "QUESTIONS",
    "Answer",
    "Condition",
    "Question",
    "Quote",
    "answer_run",
    "answer_word",
    "cmd_questions",
    "questions_arguments",
    "run_questions",
    "wilson_interval",
]


def _model(engine: str) -> Model:
    """The model that writes a question's ``paths.csv`` (a tiered run's first tier: vector)."""
    from .engines import engine_model

    if engine not in ENGINES:
        raise InvalidInput("questions/bad-engine", f"engine must be one of {', '.join(ENGINES)}")
    return engine_model("vector" if engine == "tiered" else engine)


def _select(only: Sequence[str] | None) -> list[str]:
    keys = [q.key for q in QUESTIONS] + [TERRA_KEY]
    if only is None:
        return keys
    for k in only:
        if k not in keys:
            raise InvalidInput("questions/unknown", f"no question {k!r}; known: {', '.join(keys)}")
    return [k for k in keys if k in only]


def run_questions(
    out_dir: str | Path,
    *,
    paths: int | None = None,
    seed: int = 1,
    workers: int = 2,
    reduced: bool = False,
    only: Sequence[str] | None = None,
    sensitivity_paths: int = 0,
    scheduler: str | None = None,
    progress: bool = True,
    n_resamples: int = 1000,
    say: Callable[[str], None] | None = None,
) -> list[Answer]:
    """Run the question set (or ``only`` those keys) and write one report in ``out_dir``.

    Every question but Terra is a Monte Carlo run in ``out_dir/<key>/`` (the stress run-directory
    format, with its own report.html); Terra runs the validation case's two models in
    ``out_dir/terra-spiral/``. ``paths`` overrides each question's default path count;
    ``reduced`` shortens the horizons (``Question.reduced``, for tests). ``sensitivity_paths > 0``
    adds the threshold-sensitivity section to the ai-token-crash run (on its first that many
    paths). Writes ``questions.json``, ``questions.md`` and ``questions.html``; returns the answers.
    """
    from .library import load_scenario
    from .montecarlo import run_monte_carlo, run_tiered, run_variants
    from .params import apply_params
    from .question_sweep import sweep_answer
    from .questions_report import write_report
    from .report import render_report

    keys = _select(only)
    if paths is not None and (type(paths) is not int or paths < 1):
        raise InvalidInput(
            "questions/bad-paths", f"paths must be a positive integer, got {paths!r}"
        )
    if type(sensitivity_paths) is not int or sensitivity_paths < 0:
        raise InvalidInput("questions/bad-sensitivity-paths",
                           f"sensitivity_paths must be >= 0, got {sensitivity_paths!r}")  # fmt: skip
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tell = say or (lambda _: None)
    answers: list[Answer] = []
    t_all = time.perf_counter()
    for i, key in enumerate(keys, 1):
        t0 = time.perf_counter()
        if key == TERRA_KEY:
            from .questions_terra import run_terra

            tell(f"[{i}/{len(keys)}] {key}: the Terra run on UST/LUNA and on an AI dollar")
            answers.append(run_terra(out / key))
            answers[-1].seconds = time.perf_counter() - t0
            continue
        q = next(x for x in QUESTIONS if x.key == key)
        n = paths if paths is not None else q.default_paths
        sc = load_scenario(q.scenario)
        if reduced and q.reduced:
            sc = apply_params(sc, dict(q.reduced))
        rp = _model(q.engine)
        tell(f"[{i}/{len(keys)}] {q.ask}  ({q.scenario}, {q.engine} engine, {n} paths)")
        sub = out / key
        common: dict[str, Any] = dict(
            paths=n, seed=seed, out_dir=sub, workers=workers, progress=progress,
            n_resamples=n_resamples, backend=make_backend(scheduler, workers),
        )  # fmt: skip
        if q.engine == "tiered":
            run_tiered(sc, **common)
        else:
            run_monte_carlo(sc, rp, engine=q.engine, **common)
        if sensitivity_paths and key == "ai-token-crash":
            from .sensitivity import run_sensitivity

            k = min(sensitivity_paths, n)
            tell(f"      sensitivity: every chosen threshold low/high on the first {k} paths")
            run_sensitivity(sub, sc, rp, seed, k, make_backend(scheduler, workers),
                            run_variants)  # fmt: skip
        render_report(sub)
        answers.append(answer_run(q, sub, time.perf_counter() - t0))
    sweeps = [sweep_answer(out, a) for a in answers]  # no simulation: the runs' outcomes
    record = {
        "peglab_version": __version__,
        "seed": seed,
        "reduced": reduced,
        "paths_override": paths,
        "sensitivity_paths": sensitivity_paths,
        "path_rule": "each question runs paths_needed(q) paths for the most extreme tail level q "
        "it quotes (>= 10 paths beyond it), unless paths_override is set",
        "questions": [a.as_dict() for a in answers],
        "threshold_sweep": [s.as_dict() for s in sweeps],
    }
    write_json(out / "questions.json", record)
    timings = {"wall_s": round(time.perf_counter() - t_all, 1), "workers": workers,
               "questions": {a.key: round(a.seconds, 1) for a in answers}}  # fmt: skip
    write_json(out / "timings.json", timings)
    write_report(out, answers, record, sweeps)
    return answers


def _count(lo: int) -> Callable[[str], int]:
    """An argparse type: a whole number of at least ``lo`` (a bad one is a one-line usage error)."""

    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if v < lo:
            raise argparse.ArgumentTypeError(f"must be at least {lo}, got {v}")
        return v

    return parse


def questions_arguments(p: Any) -> None:
    """Options of ``peglab questions`` (an ``argparse.ArgumentParser``)."""
    p.add_argument(
        "--paths",
        type=_count(1),
        default=None,
        help="paths per question (default: enough for every tail each one quotes)",
    )
    p.add_argument("--seed", type=_count(0), default=1, help="root seed (default 1)")
    p.add_argument(
        "--out",
        type=Path,
        default=Path("runs/questions"),
        help="output directory (default runs/questions)",
    )
    p.add_argument("--workers", type=_count(1), default=2, help="worker processes (default 2)")
    p.add_argument(
        "--only",
        default=None,
        metavar="KEY,...",
        help="run only these questions: " + ", ".join(q.key for q in QUESTIONS) + f", {TERRA_KEY}",
    )
    p.add_argument(
        "--sensitivity-paths",
        type=_count(0),
        default=0,
        help="ai-token-crash's threshold-sensitivity section on this many paths (0: none)",
    )
    p.add_argument(
        "--reduced",
        action="store_true",
        help="shorter horizons (a quick check of the whole job, not an answer)",
    )
    p.add_argument("--scheduler", default=None, help="run on dask: 'local' or tcp://host:port")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bars")  # fmt: skip


def cmd_questions(args: Any) -> None:
    """``peglab questions``: run the set, print the first table, name the report."""
    from rich.console import Console
    from rich.table import Table

    con = Console(width=max(Console().width, 140))
    only = None if args.only is None else [k.strip() for k in args.only.split(",") if k.strip()]
    if only is not None:
        _select(only)  # an unknown key fails here, before any work
    answers = run_questions(
        args.out, paths=args.paths, seed=args.seed, workers=args.workers, reduced=args.reduced,
        only=only, sensitivity_paths=args.sensitivity_paths, scheduler=args.scheduler,
        progress=not args.no_progress, say=con.print,
    )  # fmt: skip
    table = Table(title="The critic's questions (95% intervals)", show_lines=True)
    table.add_column("question", ratio=1)
    table.add_column("answer", ratio=3)
    table.add_column("conditional on", ratio=2)
    table.add_column("the thresholds we chose, swept", ratio=1)
    record = json.loads((Path(args.out) / "questions.json").read_text(encoding="utf-8"))
    verdicts = {s["key"]: s["verdict"] for s in record["threshold_sweep"]}
    for a in answers:
        table.add_row(a.ask, a.sentence, a.conditional_on, verdicts[a.key])
    con.print(table)
    print(f"report: {Path(args.out) / 'questions.md'} and {Path(args.out) / 'questions.html'}")
