"""The ``peglab`` command line: a thin shell over the library (scenarios, stress runs, reports).

Every failure prints one line (``peglab: error: <code>: <message>``) on stderr and exits 2; no
traceback reaches the user (``PEGLAB_DEBUG=1`` re-raises). Built on the standard library's
argparse: usage errors are turned into the same single line, which typer (whose click is now
private) would not let us do without depending on its internals.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from . import __version__
from .errors import InvalidInput, PeglabError

__all__ = ["COMMANDS", "Command", "build_parser", "main"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise InvalidInput("cli/usage", f"{message} (see `{self.prog} --help`)")


@dataclass(frozen=True)
class Command:
    """One subcommand: ``run`` and ``arguments`` are callables or lazy ``"module:function"`` text.

    ``run(args)`` does the work; ``arguments(parser)`` declares the options (optional). Adding a
    subcommand is one line in :data:`COMMANDS`, pointing at functions that live with the feature.
    """

    name: str
    help: str
    run: str | Callable[[argparse.Namespace], int | None]  # an int is the exit code
    arguments: str | Callable[[argparse.ArgumentParser], None] | None = None


def _resolve(target: Any) -> Any:
    if isinstance(target, str):
        module, _, attr = target.partition(":")
        return getattr(importlib.import_module(module), attr)
    return target


def cmd_scenarios(args: argparse.Namespace) -> None:
    from .risk.library import list_scenarios, load_scenario

    for name in list_scenarios():
        print(f"{name:<18} {load_scenario(name).description}")


def stress_arguments(s: argparse.ArgumentParser) -> None:
    s.add_argument("scenario", help="built-in scenario name or path to a .toml file")
    s.add_argument("--paths", type=_positive_int, default=64, help="Monte Carlo paths (default 64)")
    s.add_argument("--seed", type=_non_negative_int, default=1, help="root seed (default 1)")
    s.add_argument(
        "--out", type=Path, default=None, help="output directory (default runs/<scenario>-s<seed>)"
    )
    s.add_argument("--workers", type=_positive_int, default=2, help="worker processes (default 2)")
    from .risk.engines import engine_arguments

    engine_arguments(s)
    s.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    s.add_argument(
        "--sensitivity-paths",
        type=_non_negative_int,
        default=4,
        help="paths per chosen agent threshold in the report's sensitivity section (0: none)",
    )


def cmd_stress(args: argparse.Namespace) -> None:
    from .risk.library import load_scenario
    from .risk.montecarlo import run_stress
    from .risk.report import print_summary
    from .risk.rundir import load_catalog

    load_scenario(args.scenario)  # a bad name or file fails here, in one line, before any work
    out_dir = args.out or Path("runs") / f"{Path(args.scenario).stem}-s{args.seed}"
    summary = run_stress(
        args.scenario,
        args.paths,
        args.seed,
        out_dir,
        args.workers,
        progress=not args.no_progress,
        scheduler=args.scheduler,
        sensitivity_paths=min(args.sensitivity_paths, args.paths),
        engine=args.engine,
        chunk=args.chunk,
        tail=args.tier_tail,
        control=args.control_paths,
        rounds=args.tier_rounds,
    )
    print_summary(summary, specs=load_catalog(out_dir))
    print(f"report: {out_dir / 'report.html'}")


def report_arguments(r: argparse.ArgumentParser) -> None:
    r.add_argument("out", type=Path, help="a directory written by `peglab stress`")


def cmd_report(args: argparse.Namespace) -> None:
    from .risk.report import print_summary, render_report
    from .risk.rundir import load_catalog, load_summary

    out: Path = args.out
    if not (out / "summary.json").is_file():
        raise InvalidInput("cli/no-run", f"{out} has no summary.json; run `peglab stress` first")
    render_report(out)
    print_summary(load_summary(out), specs=load_catalog(out))
    print(f"report: {out / 'report.html'}")


def demo_arguments(d: argparse.ArgumentParser) -> None:
    d.add_argument("system", nargs="?", default="ai-dollars", choices=("ai-dollars", "usdai"),
                   help="ai-dollars (default) or usdai (USDai, sUSDai, GPU loans, a default)")  # fmt: skip


def cmd_demo(args: argparse.Namespace) -> None:
    if args.system == "usdai":
        from .examples.usdai import main as demo_main
    else:
        from .examples.two_ai_dollars import main as demo_main
    demo_main()


# The subcommands, in the order `peglab --help` lists them (one line each).
COMMANDS: tuple[Command, ...] = (
    Command("scenarios", "list the built-in stress scenarios", cmd_scenarios),
    Command("stress", "run a scenario over many paths; write summary, paths and report",
            cmd_stress, stress_arguments),
    Command("questions", "the main job: the critic's question set, one report",
            "peglab.risk.questions:cmd_questions", "peglab.risk.questions:questions_arguments"),
    Command("sweep", "run a scenario over a parameter grid with common random numbers",
            "peglab.risk.sweep:cmd_sweep", "peglab.risk.sweep:sweep_arguments"),
    Command("crossval", "vectorised models against the exact engine on common paths",
            "peglab.risk.crossval:cmd_crossval", "peglab.risk.crossval:crossval_arguments"),
    Command("report", "render report.html again from a run directory", cmd_report,
            report_arguments),
    Command("demo", "a walk-through: two AI dollars, or `demo usdai`", cmd_demo, demo_arguments),
    Command("validate", "run the historical validation cases against their targets",
            "peglab.risk.validation.commands:cmd_validate",
            "peglab.risk.validation.commands:validate_arguments"),
    Command("calibrate", "fit the AI-token price process on the daily series in data/prices",
            "peglab.risk.validation.commands:cmd_calibrate",
            "peglab.risk.validation.commands:calibrate_arguments"),
    Command("backtest", "compare yield allocators on the same lending-market paths",
            "peglab.examples.yield_backtest:cmd_backtest",
            "peglab.examples.yield_backtest:backtest_arguments"),
    Command("serve", "run the sandbox service and dashboard (HTTP)",
            "peglab.service.server:cmd_serve", "peglab.service.server:serve_arguments"),
)  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="peglab", description="Exact engine and risk lab for AI stablecoins.")
    p.add_argument("--version", action="version", version=f"peglab {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for c in COMMANDS:
        sp = sub.add_parser(c.name, help=c.help)
        if c.arguments is not None:
            _resolve(c.arguments)(sp)
        sp.set_defaults(fn=c.run)
    return p


def _positive_int(text: str) -> int:
    v = _int(text)
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {v}")
    return v


def _non_negative_int(text: str) -> int:
    v = _int(text)
    if v < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {v}")
    return v


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: run one command; every error becomes one line on stderr and exit code 2."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if getattr(args, "fn", None) is None:
            parser.print_help()
            return 2
        rc = _resolve(args.fn)(args)
    except PeglabError as e:
        if os.environ.get("PEGLAB_DEBUG"):
            raise
        print(f"peglab: error: {e.code}: {e.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("peglab: interrupted", file=sys.stderr)
        return 130
    except OSError as e:
        if os.environ.get("PEGLAB_DEBUG"):
            raise
        where = f": {e.filename}" if e.filename else ""
        print(f"peglab: error: {e.strerror or e}{where}", file=sys.stderr)
        return 2
    except Exception as e:  # a bug: still one line, with a way to see the traceback
        if os.environ.get("PEGLAB_DEBUG"):
            raise
        print(
            f"peglab: internal error: {type(e).__name__}: {e} (PEGLAB_DEBUG=1 shows the traceback)",
            file=sys.stderr,
        )
        return 3
    return rc if isinstance(rc, int) else 0


if __name__ == "__main__":
    sys.exit(main())
