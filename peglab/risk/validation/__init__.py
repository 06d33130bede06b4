"""The validation suite: historical cases with targets and tolerances fixed in advance (docs/validation.md).

``validate(cases=None, reduced=False)`` runs the cases (all by default) and returns a
:class:`ValidationReport`; ``write(report, out_dir)`` writes ``validation.json`` and
``validation.md``. Targets live in ``targets.toml`` beside this file; each case in ``cases/``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...errors import InvalidInput
from .cases import (
    black_thursday_2020,
    crvusd_eth_history,
    crvusd_soft_liquidation,
    gudgeon,
    liquity_2021,
    terra_2022,
    usdc_svb,
)
from .core import CaseResult, RunFn, Target, TargetResult, evaluate, load_targets

__all__ = [
    "CASES",
    "CaseResult",
    "Target",
    "TargetResult",
    "ValidationReport",
    "to_markdown",
    "validate",
    "write",
]

# case name -> its run function (None: listed, not built yet)
CASES: dict[str, RunFn | None] = {
    liquity_2021.NAME: liquity_2021.run,
    terra_2022.NAME: terra_2022.run,
    usdc_svb.NAME: usdc_svb.run,
    gudgeon.NAME: gudgeon.run,
    black_thursday_2020.NAME: black_thursday_2020.run,
    crvusd_soft_liquidation.NAME: crvusd_soft_liquidation.run,
    crvusd_eth_history.NAME: crvusd_eth_history.run,
}


@dataclass
class ValidationReport:
    reduced: bool
    seed: int
    cases: list[CaseResult] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "reduced": self.reduced,
            "seed": self.seed,
            "cases": [c.as_dict() for c in self.cases],
        }


def validate(
    cases: Sequence[str] | None = None, *, reduced: bool = False, seed: int = 0
) -> ValidationReport:
    """Run the named cases (all when None) and judge every target."""
    specs = load_targets()
    names = list(CASES) if cases is None else list(cases)
    for n in names:
        if n not in CASES or n not in specs:
            raise InvalidInput(
                "validate/unknown-case", f"no case {n!r}; known: {', '.join(sorted(CASES))}"
            )
    report = ValidationReport(reduced, seed)
    for n in names:
        report.cases.append(evaluate(n, specs[n], CASES[n], reduced=reduced, seed=seed))
    return report


def _num(x: float | None) -> str:
    if x is None:
        return "-"
    if math.isinf(x):
        return "never" if x > 0 else "-inf"
    return f"{x:,.4g}" if abs(x) < 1e4 else f"{x:,.0f}"


def _verdict(p: bool | None) -> str:
    return "-" if p is None else ("PASS" if p else "FAIL")


def to_markdown(report: ValidationReport) -> str:
    """The report as Markdown tables, one per case."""
    lines = [
        f"# peglab validation ({'reduced' if report.reduced else 'full'}, seed {report.seed})",
        "",
    ]
    for c in report.cases:
        lines += [f"## {c.name}: {c.title}", ""]
        if not c.built:
            lines += [c.note[:1].upper() + c.note[1:], ""]
            continue
        lines += [
            f"{c.draws} draw(s); fitted: {c.fitted}; case verdict: {_verdict(c.passed)}",
            "",
            "| target | history | model | interval | tolerance | verdict | note |",
            "|---|---|---|---|---|---|---|",
        ]
        for t in c.targets:
            iv = "-" if t.interval is None else f"{_num(t.interval[0])} .. {_num(t.interval[1])}"
            verdict = _verdict(t.passed) + (" (fitted)" if t.fitted else "")
            lines.append(
                f"| {t.label} | {t.history} | {_num(t.model)} | {iv} | {t.tolerance} | "
                f"{verdict} | {t.note} |"
            )
        lines.append("")
    return "\n".join(lines)


def write(report: ValidationReport, out_dir: str | Path) -> Path:
    """Write ``validation.json`` and ``validation.md``; returns the directory."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    data = json.dumps(_clean(report.as_dict()), indent=2, sort_keys=True, allow_nan=False)
    (out / "validation.json").write_text(data + "\n", encoding="utf-8")
    (out / "validation.md").write_text(to_markdown(report), encoding="utf-8")
    return out


def _clean(x: Any) -> Any:
    """Non-finite floats as text ("inf", "-inf", "nan"): strict JSON has no such numbers."""
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    return x
