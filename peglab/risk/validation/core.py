"""The validation harness: targets from ``targets.toml``, cases that produce model values, verdicts.

A case is a module with ``NAME`` and ``run(draw: int, seed: SeedSequence) -> dict[str, Value]``
(one noise draw of the historical setup; a deterministic case ignores both). The harness runs
``draws`` of them, takes per target the median over draws as the model value and ``[min, max]``
as its interval, and compares the model value with the target's band (docs/validation.md §2).
Bool values count as 1/0: the model value is the share of draws where the statement held and the
target passes when that share is at least one half.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from importlib import resources
from typing import Any

import numpy as np

from ...errors import InvalidInput

__all__ = [
    "CaseResult",
    "Target",
    "TargetResult",
    "Value",
    "evaluate",
    "load_targets",
]

Value = float | bool | None
RunFn = Callable[[int, np.random.SeedSequence], Mapping[str, Value]]


@dataclass(frozen=True)
class Target:
    """A published number, its band and how the reduced form widens it."""

    name: str
    label: str
    history: str
    source: str
    kind: str  # "range", "bool", "reported" or "not-modelled"
    lo: float = -math.inf
    hi: float = math.inf
    center: float | None = None
    reduced_widen: float = 1.0
    fitted: bool = False
    note: str = ""

    def band(self, reduced: bool) -> tuple[float, float]:
        """The tolerance band, widened around ``center`` (or its midpoint) in the reduced form."""
        if not reduced or self.reduced_widen == 1.0:
            return self.lo, self.hi
        c = self.center
        if c is None:
            c = (self.lo + self.hi) / 2 if math.isfinite(self.lo + self.hi) else 0.0
        w = self.reduced_widen
        lo = c - (c - self.lo) * w if math.isfinite(self.lo) else self.lo
        hi = c + (self.hi - c) * w if math.isfinite(self.hi) else self.hi
        return lo, hi


@dataclass
class TargetResult:
    name: str
    label: str
    history: str
    source: str
    model: float | None
    interval: tuple[float, float] | None
    tolerance: str
    passed: bool | None
    fitted: bool
    note: str


@dataclass
class CaseResult:
    name: str
    title: str
    draws: int
    reduced: bool
    built: bool
    fitted: str
    targets: list[TargetResult] = field(default_factory=list)
    note: str = ""

    @property
    def passed(self) -> bool | None:
        """All modelled, non-fitted targets pass (None when the case is not built)."""
        if not self.built:
            return None
        verdicts = [t.passed for t in self.targets if t.passed is not None and not t.fitted]
        return all(verdicts) if verdicts else None

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["passed"] = self.passed
        return d


def load_targets() -> dict[str, dict[str, Any]]:
    """Parse ``targets.toml`` (kept in the package) into ``{case: {title, draws, ..., targets}}``."""
    text = resources.files(__package__).joinpath("targets.toml").read_text(encoding="utf-8")
    raw = tomllib.loads(text)
    out: dict[str, dict[str, Any]] = {}
    for case, spec in raw.items():
        targets = [Target(**t) for t in spec.get("targets", [])]
        out[case] = {**{k: v for k, v in spec.items() if k != "targets"}, "targets": targets}
    return out


def _fmt_band(lo: float, hi: float) -> str:
    if math.isinf(lo) and math.isinf(hi):
        return "any"
    if math.isinf(hi):
        return f">= {lo:,.6g}"
    if math.isinf(lo):
        return f"<= {hi:,.6g}"
    return f"{lo:,.6g} .. {hi:,.6g}"


def evaluate(
    name: str, spec: Mapping[str, Any], run: RunFn | None, *, reduced: bool, seed: int = 0
) -> CaseResult:
    """Run ``run`` over the case's draws and judge every target."""
    title = str(spec.get("title", name))
    fitted = str(spec.get("fitted", "none"))
    if run is None:
        return CaseResult(name, title, 0, reduced, False, fitted, [], str(spec.get("note", "")))
    draws = int(spec["reduced_draws"] if reduced else spec["draws"])
    if draws < 1:
        raise InvalidInput("validate/bad-case", f"{name}: draws must be >= 1")
    root = np.random.SeedSequence(seed)
    samples: list[Mapping[str, Value]] = [
        run(i, np.random.SeedSequence(root.entropy, spawn_key=(i,))) for i in range(draws)
    ]
    result = CaseResult(name, title, draws, reduced, True, fitted, [], str(spec.get("note", "")))
    for t in spec["targets"]:
        result.targets.append(_judge(t, samples, reduced))
    return result


def _judge(t: Target, samples: list[Mapping[str, Value]], reduced: bool) -> TargetResult:
    if t.kind == "not-modelled":
        return TargetResult(
            t.name, t.label, t.history, t.source, None, None, "-", None, t.fitted, t.note
        )
    vals: list[float] = []
    for s in samples:
        v = s.get(t.name)
        if v is None:
            raise InvalidInput("validate/missing-value", f"the case produced no {t.name!r}")
        vals.append(float(v))
    arr = np.asarray(vals)
    interval = (float(arr.min()), float(arr.max()))
    if t.kind == "bool":
        share = float(arr.mean())
        return TargetResult(
            t.name, t.label, t.history, t.source, share, interval,
            "holds in >= 50% of draws", share >= 0.5, t.fitted, t.note,
        )  # fmt: skip
    model = float(np.median(arr))
    if t.kind == "reported":
        return TargetResult(
            t.name, t.label, t.history, t.source, model, interval, "-", None, t.fitted, t.note
        )
    if t.kind != "range":
        raise InvalidInput("validate/bad-target", f"{t.name}: unknown kind {t.kind!r}")
    lo, hi = t.band(reduced)
    return TargetResult(
        t.name, t.label, t.history, t.source, model, interval,
        _fmt_band(lo, hi), bool(lo <= model <= hi), t.fitted, t.note,
    )  # fmt: skip
