"""The question set's own thresholds, swept (docs/questions.md §2a).

Each answer rests on three numbers we chose [O]: the **peg line** (a path "held" when every
dollar's lowest price is at least 0.99), and the **cut-offs** that turn the share held into a
word (*yes* when the share's Wilson lower bound is at least 95%, *no* when its upper bound is at
most 50%). The project's rule is that a number which moves with a threshold we chose is a
parameter, not a finding, so the report sweeps them: peg lines 0.97, 0.98, 0.99, 0.995, 0.999
and cut-offs yes at 90/95/99%, no at 25/50/75%, 45 settings per question, and states which
answers are robust (the same word at every setting) and which flip, and where.

Nothing is simulated again: the per-path lowest prices (and the other conditions' columns) are
in each run's ``paths.csv``, so each setting re-evaluates the condition on the paths already
run. Only the conditions marked ``peg_line`` move with the peg line; the others (no bad debt
left, fully backed) keep their thresholds. Terra (one deterministic path) has no share and no
cut-off: its own line (0.95, the AI dollar's lowest hourly price) is swept over 0.90-0.99.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..sim.calibrate_series import wilson_interval
from .question_set import (
    NO_AT,
    PEG_LINE,
    QUESTIONS,
    TERRA_KEY,
    TERRA_LINE,
    YES_AT,
    Answer,
    Question,
    answer_word,
)
from .questions_terra import AI_BACKED, AI_LOW
from .rundir import read_paths_csv

__all__ = [
    "NO_CUTS",
    "PEG_LINES",
    "SWEEP_HOW",
    "TERRA_LINE",
    "TERRA_LINES",
    "YES_CUTS",
    "LineRow",
    "Sweep",
    "sweep_answer",
    "sweep_outcomes",
    "sweep_terra",
]

PEG_LINES = (0.97, 0.98, PEG_LINE, 0.995, 0.999)
YES_CUTS = (0.90, YES_AT, 0.99)
NO_CUTS = (0.25, NO_AT, 0.75)
TERRA_LINES = (0.90, 0.93, TERRA_LINE, 0.97, 0.99)

Cut = tuple[float, float]  # (yes_at, no_at)

SWEEP_HOW = (
    f"Each answer rests on thresholds we chose [O]: the peg line (a path held when every "
    f"dollar's lowest price is at least {PEG_LINE}; Terra: the AI dollar's lowest hourly price "
    f"at least {TERRA_LINE} and backed) and the cut-offs (yes when the share's Wilson lower "
    f"bound is at least {100 * YES_AT:g}%, no when its upper bound is at most {100 * NO_AT:g}%). They are "
    "swept here over the outcomes already computed (each run's per-path table: nothing is "
    "simulated again); only the peg-line conditions move, the others (no bad debt left, fully "
    "backed) keep their thresholds. An answer is robust when it says the same word at every "
    "setting; otherwise the table says where it flips. Definitions: docs/questions.md §2a."
)


@dataclass(frozen=True)
class LineRow:
    """One peg line: paths held, the share's Wilson interval, the word at each cut-off pair.

    Terra's row has ``n = 1`` and no interval (one deterministic path).
    """

    line: float
    held: int
    n: int
    ci: tuple[float, float] | None
    words: tuple[str, ...]  # aligned with Sweep.cuts


@dataclass(frozen=True)
class Sweep:
    """One question's answer over every setting of the thresholds we chose."""

    key: str
    base_line: float
    base: str  # the word at our choices (the answer's word)
    cuts: tuple[Cut, ...]  # () for Terra: no cut-off, one path
    rows: tuple[LineRow, ...]

    @property
    def settings(self) -> int:
        return len(self.rows) * max(1, len(self.cuts))

    def flips(self) -> list[tuple[float, Cut | None, str]]:
        """Every setting whose word differs from the answer's: ``(line, cut or None, word)``."""
        out: list[tuple[float, Cut | None, str]] = []
        for r in self.rows:
            cuts: tuple[Cut | None, ...] = self.cuts or (None,)
            out += [(r.line, c, w) for c, w in zip(cuts, r.words, strict=True) if w != self.base]
        return out

    def word(self, w: str) -> str:
        """The word as the answer says it (Terra's yes/no is "spiral"/"no spiral")."""
        return ("spiral" if w == "yes" else "no spiral") if self.key == TERRA_KEY else w

    @property
    def robust(self) -> bool:
        return not self.flips()

    def verdict(self) -> str:
        """``robust: yes at all 45 settings`` or ``flips at k of 45 settings: <where>``."""
        flips = self.flips()
        if not flips:
            return f"robust: {self.word(self.base)} at all {self.settings} settings"
        return f"flips at {len(flips)} of {self.settings} settings: {self._where(flips)}"

    def _where(self, flips: list[tuple[float, Cut | None, str]]) -> str:
        """The flips in few words: a whole peg line, a yes cut-off at every line, a yes cut-off
        on one line (whatever the no cut-off), or single settings."""
        left = list(flips)
        parts: list[str] = []
        if not self.cuts:
            return "; ".join(f"line {x:g}: {self.word(w)}" for x, _, w in left)
        for r in self.rows:  # a peg line on which every cut-off gives the same other word
            mine = [f for f in left if f[0] == r.line]
            if len(mine) == len(self.cuts) and len({f[2] for f in mine}) == 1:
                parts.append(f"peg line {r.line:g}: {mine[0][2]}")
                left = [f for f in left if f[0] != r.line]
        for y in dict.fromkeys(c[0] for c in self.cuts):  # a yes cut-off at every line left
            lines = {f[0] for f in left}
            mine = [f for f in left if f[1] is not None and f[1][0] == y]
            per_line = sum(1 for c in self.cuts if c[0] == y)
            if (lines and {f[0] for f in mine} == lines and len(mine) == per_line * len(lines)
                    and len({f[2] for f in mine}) == 1):  # fmt: skip
                at = "every other peg line" if parts else "every peg line"
                parts.append(f"yes cut-off {100 * y:g}% at {at}: {mine[0][2]}")
                left = [f for f in left if f not in mine]
        for x, y in dict.fromkeys((f[0], f[1][0]) for f in left if f[1] is not None):
            mine = [f for f in left if f[0] == x and f[1] is not None and f[1][0] == y]
            if (
                len(mine) == sum(1 for c in self.cuts if c[0] == y)
                and len({f[2] for f in mine}) == 1
            ):
                parts.append(f"peg line {x:g}, yes cut-off {100 * y:g}%: {mine[0][2]}")
            else:  # the no cut-off matters: each setting
                parts += [f"peg line {x:g}, yes {100 * c[0]:g}% / no {100 * c[1]:g}%: {w}"
                          for x, c, w in mine if c is not None]  # fmt: skip
        return "; ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key, "base_line": self.base_line, "base": self.base,
            "cuts": [list(c) for c in self.cuts], "robust": self.robust,
            "verdict": self.verdict(),
            "rows": [{"line": r.line, "held": r.held, "n": r.n,
                      "ci": None if r.ci is None else list(r.ci), "words": list(r.words)}
                     for r in self.rows],
        }  # fmt: skip


def _cuts() -> tuple[Cut, ...]:
    return tuple((y, n) for y in YES_CUTS for n in NO_CUTS)


def sweep_outcomes(q: Question, columns: list[str], data: np.ndarray) -> Sweep:
    """Sweep peg line and cut-offs over one question's per-path outcomes (``paths.csv``)."""
    cuts = _cuts()
    rows = []
    for line in PEG_LINES:
        ok = np.ones(data.shape[0], dtype=bool)
        for c in q.conditions:
            ok &= c.holds(data[:, columns.index(c.column)], line if c.peg_line else None)
        held, n = int(ok.sum()), int(data.shape[0])
        ci = wilson_interval(held, n)
        rows.append(LineRow(line, held, n, ci, tuple(answer_word(ci, y, m) for y, m in cuts)))
    base = next(r for r in rows if r.line == PEG_LINE).words[cuts.index((YES_AT, NO_AT))]
    return Sweep(q.key, PEG_LINE, base, cuts, tuple(rows))


def sweep_terra(ai_low: float, backed: bool) -> Sweep:
    """Terra's line swept: "yes" (a spiral) when not backed or the lowest price is below it."""
    rows = tuple(LineRow(x, int(backed and ai_low >= x), 1, None,
                         ("no" if backed and ai_low >= x else "yes",))
                 for x in TERRA_LINES)  # fmt: skip
    base = next(r for r in rows if r.line == TERRA_LINE).words[0]
    return Sweep(TERRA_KEY, TERRA_LINE, base, (), rows)


def sweep_answer(out: Path, a: Answer) -> Sweep:
    """The sweep of one answered question from its run directory (no simulation)."""
    if a.key == TERRA_KEY:
        data = json.loads((out / a.run_dir / "terra.json").read_text(encoding="utf-8"))
        nums = {x["label"]: x["value"] for x in data["numbers"]}
        return sweep_terra(float(nums[AI_LOW]), bool(nums[AI_BACKED]))
    q = next(x for x in QUESTIONS if x.key == a.key)
    columns, data_ = read_paths_csv(out / a.run_dir / "paths.csv")
    return sweep_outcomes(q, columns, data_)
