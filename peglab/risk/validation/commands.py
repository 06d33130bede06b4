"""The ``peglab validate`` and ``peglab calibrate`` subcommands (wired in ``peglab.cli.COMMANDS``)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

__all__ = ["calibrate_arguments", "cmd_calibrate", "cmd_validate", "validate_arguments"]


def _non_negative(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {v}")
    return v


def _positive(text: str) -> int:
    v = _non_negative(text)
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {v}")
    return v


def validate_arguments(v: argparse.ArgumentParser) -> None:
    v.add_argument("--case", action="append", help="a case name (repeatable; default all)")
    v.add_argument("--reduced", action="store_true", help="the reduced form run by make test")
    v.add_argument("--seed", type=_non_negative, default=0, help="root seed (default 0)")
    v.add_argument("--out", type=Path, default=Path("runs/validation"), help="output directory")


def cmd_validate(args: argparse.Namespace) -> int:
    """Run the cases, print the tables, write the report; exit 1 if any case fails."""
    from . import to_markdown, validate, write

    report = validate(args.case or None, reduced=args.reduced, seed=args.seed)
    out = write(report, args.out)
    print(to_markdown(report))
    print(f"report: {out / 'validation.md'} and {out / 'validation.json'}")
    failed = [c.name for c in report.cases if c.passed is False]
    if failed:
        print(f"failing cases: {', '.join(failed)} (reasons: docs/validation.md §8)")
    return 1 if failed else 0


def calibrate_arguments(c: argparse.ArgumentParser) -> None:
    c.add_argument("--paths", type=_positive, default=20_000, help="paths for the band check")
    c.add_argument("--seed", type=_non_negative, default=7, help="seed (default 7)")
    c.add_argument(
        "--out", type=Path, default=Path("runs/calibration.json"), help="output JSON file"
    )


def cmd_calibrate(args: argparse.Namespace) -> None:
    """Fit, backtest, print and write ``calibration.json``."""
    from ...sim.calibrate import calibrate

    result = calibrate(n_paths=args.paths, seed=args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result.as_dict(), indent=2, sort_keys=True) + "\n")
    for name, p in result.parameters.items():
        ci = p.get("ci95")
        extra = f"  95% {ci[0]:.3g}-{ci[1]:.3g}" if ci else ""
        print(f"{name:<14} {p['value']:>9.4g}  {p['tag']:<4} {p['source']}{extra}")
    for name, b in result.backtests.items():
        k = b.get("pooled", b)
        keys = ("p_value", "breaches", "expected", "inside", "percentile", "lambda_L_q05")
        line = ", ".join(f"{x}={k[x]:.4g}" for x in keys if x in k)
        if name == "heldout_correlation":
            line = ", ".join(f"{pair} {v['corr']:.3g} (n {v['n']})" for pair, v in b.items())
        if name == "jump_threshold_sensitivity":
            line = ", ".join(f"{r['threshold']:g} sd: p={r['p_value']:.3g}" for r in b["rows"])
        print(f"{name:<26} {line}")
    cc = result.cross_check
    print(
        f"cross-check (published moves): sigma_total {cc['sigma_total']:.3g}, "
        f"jumps {cc['jump_rate_per_year']:.3g}/yr of mean {cc['jump_mean']:.3g}"
    )
    for what, why in result.not_fitted.items():
        print(f"not fitted: {what}: {why}")
    print(f"written: {args.out}")
