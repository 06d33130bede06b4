"""Two-tier Monte Carlo, the statistics (docs/scale.md "Two tiers"): which paths the exact engine
re-runs, the exact tail statistics they give, and the fast-vs-exact difference on common paths.

Design
------
The vector engine has run every path; ``paths.csv`` holds its values. This module is pure (no
I/O); ``risk.montecarlo.run_tiered`` runs the engines and writes the files.

* **Tiered columns**: the headline totals (``Catalog.headline``) with a worst side: ``max`` for a
  loss (``MetricSpec.loss``), the spec's ``worst`` otherwise; a headline without a worst side is
  compared on the control sample only.
* **Depth**, per tiered column: with ``N`` paths and the tail share ``tail`` (default 2.5%:
  ES97.5 and VaR99), ``m`` is the deepest worst-first rank any of **the column's own** statistics
  at a level within ``tail`` reads (a quantile: its rank and its order-statistic interval's ranks;
  ES: the ``ceil((1 - q) N)`` paths it averages), among those with enough exceedances at ``N``
  (``ceil(tail N) + 1`` when none has); so a loss column (VaR95/VaR99/ES97.5) reads 250 of 10,000
  paths and a peg column (p05/p01 or p95/p99 only) about 120. ``margin = max(10, ceil(m / 2))``
  more are added against ranking errors of the fast model, and the column
  selects its ``k = min(N, m + margin)`` worst paths by the fast value (ties: lower path index
  first), **except a tie at the boundary**: when the value at rank ``k`` is shared by a path
  beyond rank ``k``, the fast model cannot say which of the tied paths are worse, so none of that
  tied block is selected (a column whose fast value is the same on every path, as a bad debt of
  zero on every path, selects nothing: picking the lowest path indices would spend exact runs on
  arbitrary paths; the control sample and the other columns' paths are its check). The
  **control sample** is ``min(N, max(50, ceil(N / 100)))`` paths drawn without replacement from
  ``SeedSequence(seed, spawn_key=(0xC7A1, 0))``. The exact engine runs the union.
* **Exact tail statistics** of a column use only exact values, of every path the exact tier ran
  (its own selection, the other columns' and the control sample). A statistic reads the ``r``
  worst paths (VaR/quantile: its rank and the ranks of its order-statistic interval; ES: the
  ``ceil((1 - q) N)`` it averages) and is computed as ``risk.measures`` computes it on all ``N``
  paths (same ranks, same arithmetic), so it equals a full exact run's value whenever the ``r``
  worst exact paths were all run exactly.
* **The assumption** behind that: a path the exact tier did not run is no worse, exactly, than the
  ``r``-th worst exact value ``b`` (the fast model ranks the tail well enough that the margin
  catches what it misorders). **The check**: among the exactly-run paths whose exact value is
  worse than ``b``, the deepest fast rank ``d`` (a tied path's rank: the deepest of its tied
  block, so a path of a boundary block always counts as beyond ``k``) must be at most
  ``k - ceil(margin / 2)`` (half the margin unused). A control path outside the selection that
  is exactly worse than ``b`` has a fast rank beyond ``k`` and so fails the check: the assumption is then seen to be broken. A
  statistic that fails is reported with ``covered = false`` (its value is still the tier's, shown
  as not covered); a statistic reading more than ``m`` paths (VaR95 at the default depth) is
  ``beyond-tier`` (the fast model's value only); EVaR reads every path and is never tiered.
* **Rounds** (opt-in, ``rounds``, default 0): a not-covered statistic records ``needs_m``, the
  deepest fast rank ``d`` of its exactly-worse paths: the fast model's ranking erred that deep.
  Each extension round gives every column with a not-covered statistic ``m' = d`` (the largest
  over its statistics) and, because the ranking has been seen to err, a margin twice that deep,
  ``margin' = max(10, 2 m')``, so ``k' = min(N, 3 m')`` and the check's limit ``k' - ceil(margin'
  / 2)`` leaves a band of ``m'`` ranks beyond ``d`` that must hold no exactly-worse path; it
  re-selects the column's worst ``k'`` paths by the same rule, the exact engine runs the paths
  not yet run, and the statistics are recomputed on every exactly-run path. A column whose ``k'``
  would exceed a quarter of the run (and the run) is not extended: the fast model does not rank
  it, and a full exact run is the remedy. ``Plan.extended`` records each column's ``k`` by round.
  (The check stays a check on the ranking, not a proof: with a margin of ``m' / 2`` after a
  miss, or with ``k'`` cut at the cap, the test's noisy model got a statistic covered while an
  unrun path at a deeper rank was worse, so neither is allowed.)
* **Intervals**: quantiles keep their order-statistic interval (exact values at the interval's
  ranks); ES uses the percentile bootstrap of the summary (the same resamples, seeded by the
  column's position in the exact table) on the exact values of the run paths and the fast
  values, capped at ``b``, of the others (under the assumption they lie below ``b``).
* **Agreement** on common paths (the control sample here, every path in ``peglab crossval``):
  per column the mean of the vector and of the exact values over the paths where both are finite,
  their difference with a 95% percentile-bootstrap interval of the paired mean difference, and
  the tolerance ``abs + rel |mean exact|`` of the metric's ``MetricSpec.agree``; a column whose
  ``|difference|`` exceeds it is **flagged**. Without a stated tolerance it is shown, not judged.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np

from ..errors import InvalidInput
from .measures import (
    BOOTSTRAP_KEY,
    MIN_EXCEEDANCES,
    bootstrap_ci,
    bootstrap_cis,
    exceedances,
    nearest_rank,
    order_statistic_ci,
    paths_needed,
    round_sig,
    tail_count,
)
from .rundir import Catalog

__all__ = [
    "CONTROL_KEY",
    "DEFAULT_ROUNDS",
    "DEFAULT_TAIL",
    "EXTEND_CAP_SHARE",
    "Plan",
    "TierColumn",
    "analyse",
    "compare_means",
    "control_sample",
    "extend_plan",
    "fast_ranks",
    "plan_tiers",
    "select_worst",
    "tail_statistics",
    "tier_columns",
    "tier_depth",
    "worst_order",
]

DEFAULT_TAIL = 0.025
CONTROL_MIN, CONTROL_SHARE = 50, 0.01
DEFAULT_ROUNDS = 0  # extension rounds after the first exact pass (module docstring, "Rounds")
EXTEND_CAP_SHARE = 0.25  # a round never takes a column beyond a quarter of the paths
CONTROL_KEY: tuple[int, int] = (0xC7A1, 0)  # length 2: never a path's key (length 1)
AGREE_KEY: tuple[int, int] = (0xC7A1, 1)

Side = Literal["max", "min"]


@dataclass(frozen=True)
class TierColumn:
    """A column whose worst paths the exact tier re-runs, and which side is worst."""

    name: str
    side: Side
    loss: bool


@dataclass(frozen=True)
class Plan:
    """The exact tier of a run: per column its ``k`` worst paths (worst first), the control
    sample, and the union the exact engine runs (sorted)."""

    n: int
    tail: float
    depth: Mapping[str, tuple[int, int, int]]  # per column: (m, margin, k) of ``tier_depth``
    columns: tuple[TierColumn, ...]
    selected: Mapping[str, tuple[int, ...]]
    control: tuple[int, ...]
    tied: Mapping[str, tuple[float, int]]  # per column: the boundary block's value and size
    extended: Mapping[str, tuple[int, ...]] = field(default_factory=dict)  # per column: k by round

    @property
    def indices(self) -> list[int]:
        union = set(self.control)
        for paths in self.selected.values():
            union.update(paths)
        return sorted(union)

    def depth_dict(self) -> dict[str, dict[str, int]]:
        return {c: {"m": m, "margin": g, "k": k} for c, (m, g, k) in self.depth.items()}

    def as_dict(self) -> dict[str, Any]:
        return {
            "paths": self.n, "tail": self.tail, "depth": self.depth_dict(),
            "columns": [{"name": c.name, "side": c.side, "loss": c.loss} for c in self.columns],
            "selected": {k: list(v) for k, v in self.selected.items()},
            "tied": {k: {"value": v, "paths": c} for k, (v, c) in self.tied.items()},
            "extended": {k: list(v) for k, v in self.extended.items()},
            "control": list(self.control), "exact_paths": len(self.indices),
        }  # fmt: skip


def tier_columns(cat: Catalog, columns: Sequence[str]) -> list[TierColumn]:
    """The headline totals with a worst side, present in ``columns`` (module docstring)."""
    out = []
    for name in cat.headline():
        spec = cat.spec(name)
        if spec is None or name not in columns:
            continue
        side = "max" if spec.loss else spec.worst
        if side is not None:
            out.append(TierColumn(name, side, spec.loss))
    return out


def tier_depth(n: int, tail: float, col: TierColumn) -> tuple[int, int, int]:
    """``(m, margin, k)`` of ``col`` for ``n`` paths and the tail share ``tail`` (module
    docstring): ``m`` is the deepest worst-first rank any of the column's own statistics at a
    level within ``tail`` reads (with its interval); ``ceil(tail n) + 1`` when none has enough
    exceedances at this ``n``."""
    if not 0.0 < tail <= 0.5:
        raise InvalidInput(
            "stress/bad-tail", f"the tier's tail share must be in (0, 0.5], got {tail}"
        )
    deepest = 0
    for _, kind, q in _stat_levels(col):
        if 1.0 - q <= tail + 1e-12 and exceedances(q, n) >= MIN_EXCEEDANCES:
            deepest = max(deepest, _ranks(kind, q, n, col.side)[0])
    m = min(n, deepest or math.ceil(tail * n) + 1)
    margin = max(10, math.ceil(m / 2))
    return m, margin, min(n, m + margin)


def worst_order(values: np.ndarray, side: Side) -> np.ndarray:
    """Positions of ``values`` worst first (ties: lower position first; NaN last)."""
    key = -values if side == "max" else values.copy()
    key = np.where(np.isfinite(key), key, np.inf)
    return np.lexsort((np.arange(len(values)), key))


def select_worst(
    values: np.ndarray, side: Side, k: int
) -> tuple[tuple[int, ...], tuple[float, int] | None]:
    """The ``k`` worst positions (worst first) without a tied block at the boundary (module
    docstring), and that block's ``(value, size)`` when one was left out."""
    order = worst_order(values, side)
    if k >= len(order):
        return tuple(int(i) for i in order), None
    edge = values[order[k - 1]] if k > 0 else np.nan
    if not (k > 0 and np.isfinite(edge) and values[order[k]] == edge):
        return tuple(int(i) for i in order[:k]), None
    tied = values[order] == edge
    kept = order[:k][~tied[:k]]
    return tuple(int(i) for i in kept), (float(edge), int(tied.sum()))


def fast_ranks(values: np.ndarray, side: Side) -> np.ndarray:
    """Worst-first rank (1-based) of every position; tied values share the deepest rank of their
    block, NaN rank after every finite value (in position order)."""
    order = worst_order(values, side)
    ordered = values[order]
    rank = np.arange(1, len(order) + 1)
    # the last position of each run of equal finite values gives the run its rank
    same_next = np.zeros(len(order), dtype=bool)
    same_next[:-1] = np.isfinite(ordered[:-1]) & (ordered[:-1] == ordered[1:])
    ends = np.where(same_next, len(order) + 1, rank)  # a run ends where the next differs
    deepest = np.minimum.accumulate(ends[::-1])[::-1]
    out = np.empty(len(order), dtype=np.int64)
    out[order] = deepest
    return out


def control_sample(n: int, seed: int, size: int | None = None) -> tuple[int, ...]:
    """The control paths: ``size`` (default ``min(n, max(50, ceil(n/100)))``) of ``0..n-1``."""
    want = min(n, max(CONTROL_MIN, math.ceil(CONTROL_SHARE * n))) if size is None else size
    if not 0 <= want <= n:
        raise InvalidInput("stress/bad-control", f"control sample must be in [0, {n}], got {want}")
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=CONTROL_KEY)))
    return tuple(int(i) for i in np.sort(rng.choice(n, size=want, replace=False)))


def plan_tiers(
    cat: Catalog,
    columns: Sequence[str],
    data: np.ndarray,
    seed: int,
    tail: float = DEFAULT_TAIL,
    control: int | None = None,
) -> Plan:
    """The exact tier of a vector run whose ``paths.csv`` (row ``i`` = path ``i``) is
    ``columns``/``data`` (module docstring)."""
    n = int(data.shape[0])
    cols = tuple(tier_columns(cat, columns))
    depth = {c.name: tier_depth(n, tail, c) for c in cols}
    selected: dict[str, tuple[int, ...]] = {}
    tied: dict[str, tuple[float, int]] = {}
    for c in cols:
        k = depth[c.name][2]
        selected[c.name], block = select_worst(data[:, columns.index(c.name)], c.side, k)
        if block is not None:
            tied[c.name] = block
    return Plan(n, tail, depth, cols, selected, control_sample(n, seed, control), tied)


def _stat_levels(col: TierColumn) -> list[tuple[str, str, float]]:
    """``(name, kind, q)`` of the tail statistics of a column, as the summary names them; ``q``
    is the level on the worst side (a ``min`` column's p01 is ``q = 0.99`` of its worst side)."""
    if col.loss:
        return [("VaR95", "quantile", 0.95), ("VaR99", "quantile", 0.99), ("ES97.5", "es", 0.975)]
    if col.side == "max":
        return [("p95", "quantile", 0.95), ("p99", "quantile", 0.99)]
    return [("p05", "quantile", 0.95), ("p01", "quantile", 0.99)]


def _ranks(kind: str, q: float, n: int, side: Side) -> tuple[int, list[int | None]]:
    """``(reads, ranks)``: the worst-first ranks a statistic reads (value, then its interval's
    lower and upper bound; ES: the count it averages) and the deepest of them. ``q`` is the level
    on the worst side."""
    if kind == "es":
        k = tail_count(q, n)
        return k, [k]
    if side == "max":  # the summary's ascending rank j is worst-first rank n - j + 1
        rho = nearest_rank(q, n)
        lo, hi = order_statistic_ci(n, q)
        ranks = [
            n - rho + 1,
            None if lo is None else n - lo + 1,
            None if hi is None else n - hi + 1,
        ]
    else:  # the summary's quantile at 1 - q, ascending = worst first
        ranks = [nearest_rank(1.0 - q, n), *order_statistic_ci(n, 1.0 - q)]
    return max(r for r in ranks if r is not None), ranks


def tail_statistics(
    plan: Plan,
    col: TierColumn,
    fast: np.ndarray,
    exact: Mapping[int, float],
    *,
    boot_seed: np.random.SeedSequence,
    n_resamples: int = 1000,
) -> dict[str, Any]:
    """Exact tail statistics of one tiered column with their coverage (module docstring).

    ``fast``: the vector value of every path (index = path); ``exact``: the exact value of every
    path the exact tier ran; ``boot_seed``: the seed the summary's bootstrap uses for this column.
    """
    n = int(np.isfinite(fast).sum())
    m, margin, k = plan.depth[col.name]
    sign = 1.0 if col.side == "max" else -1.0
    order = worst_order(fast, col.side)
    fast_rank = fast_ranks(fast, col.side)
    known = {i: v for i, v in exact.items() if math.isfinite(v)}
    missing = [i for i in plan.selected[col.name] if i not in known]
    ids = np.array(sorted(known), dtype=np.int64)
    worst = sign * np.array([known[int(i)] for i in ids], dtype=np.float64)  # larger = worse
    by_worst = ids[np.lexsort((ids, -worst))]
    desc = np.array([known[int(i)] for i in by_worst])  # exact values, worst first
    out: dict[str, Any] = {"side": col.side, "n": n, "exact_paths": len(ids)}
    for name, kind, q in _stat_levels(col):
        entry: dict[str, Any] = {"exceedances": exceedances(q, n)}
        out[name] = entry
        if exceedances(q, n) < MIN_EXCEEDANCES:
            entry.update(status="n-too-small", paths_needed=paths_needed(q))
            continue
        reads, ranks = _ranks(kind, q, n, col.side)
        entry["reads"] = reads
        if reads > m:
            entry["status"] = "beyond-tier"
            continue
        if missing or len(desc) < reads:
            entry.update(status="exact-missing", missing=missing[:10])
            continue
        boundary = sign * desc[reads - 1]
        worse = [int(i) for i, w in zip(ids, worst, strict=True) if w > boundary]
        deepest = max((int(fast_rank[i]) for i in worse), default=0)
        limit = k - math.ceil(margin / 2)
        top = {int(i) for i in by_worst[:reads]}
        entry.update(
            deepest_fast_rank=deepest, rank_limit=limit, covered=deepest <= limit,
            status="ok" if deepest <= limit else "not-covered",
            fast_tail_kept=sum(1 for i in order[:reads] if int(i) in top),
        )  # fmt: skip
        if deepest > limit:  # the fast ranking erred to rank ``deepest``: that is the new tail
            entry["needs_m"] = deepest
        if kind == "es":  # loss columns only: larger is worse, sign = 1
            top_asc = np.sort(desc[:reads])  # the full run averages its ascending top k
            entry["value"] = round_sig(float(top_asc[None, :].mean(axis=-1)[0]))
            hybrid = np.where(np.isfinite(fast), np.minimum(fast, boundary), np.nan)
            for i, v in known.items():
                hybrid[i] = v
            hybrid = hybrid[np.isfinite(hybrid)]  # path order, as the summary's bootstrap

            def es(s: np.ndarray, k: int = reads) -> np.ndarray:
                return np.asarray(s[..., -k:].mean(axis=-1))

            ci = bootstrap_cis(hybrid, {"es": es}, n_resamples=n_resamples, seed=boot_seed)["es"]
            entry["ci"] = [round_sig(ci[0]), round_sig(ci[1])]
            entry["ci_method"] = "bootstrap (exact tier; others capped at the boundary)"
        else:
            at = [None if r is None else round_sig(float(desc[r - 1])) for r in ranks]
            entry.update(value=at[0], ci=at[1:], ci_method="order-statistic")
    return out


def extend_plan(
    plan: Plan,
    columns: Sequence[str],
    data: np.ndarray,
    tails: Mapping[str, Any],
    cap_share: float = EXTEND_CAP_SHARE,
) -> Plan | None:
    """The plan of the next round (module docstring, "Rounds"), or ``None`` when no column can
    grow: each column with a not-covered statistic (``tails``: ``tail_statistics`` per column)
    takes its deepest ``needs_m`` as its new ``m``, with the margin rule on it, and re-selects its
    worst ``min(k', max(k, ceil(cap_share N)))`` paths by the fast value."""
    cap = math.ceil(cap_share * plan.n)
    depth, selected = dict(plan.depth), dict(plan.selected)
    tied, extended = dict(plan.tied), dict(plan.extended)
    for c in plan.columns:
        m, margin, k = plan.depth[c.name]
        stats = tails.get(c.name, {}).values()
        need = max((int(e["needs_m"]) for e in stats if isinstance(e, dict) and "needs_m" in e),
                   default=0)  # fmt: skip
        if not need:
            continue  # every statistic of the column covered
        m_new = max(m, min(plan.n, need))
        margin_new = max(10, 2 * m_new)  # after a miss: a quiet band as deep as the new tail
        k_new = min(plan.n, m_new + margin_new)
        if k_new <= k or k_new > max(k, cap):
            continue  # no deeper, or deeper than the cap: the fast model does not rank it
        m, margin = m_new, margin_new
        selected[c.name], block = select_worst(data[:, columns.index(c.name)], c.side, k_new)
        tied.pop(c.name, None)
        if block is not None:
            tied[c.name] = block
        depth[c.name] = (m, margin, k_new)
        extended[c.name] = (*plan.extended.get(c.name, ()), k_new)
    if extended == dict(plan.extended):
        return None
    return replace(plan, depth=depth, selected=selected, tied=tied, extended=extended)


def _tolerance(
    column: str, cat: Catalog, overrides: Mapping[str, tuple[float, float]] | None
) -> tuple[float, float] | None:
    if overrides:
        if column in overrides:
            return overrides[column]
        spec = cat.spec(column)
        if spec is not None and spec.name in overrides:
            return overrides[spec.name]
    spec = cat.spec(column)
    return None if spec is None else spec.agree


def compare_means(
    cat: Catalog,
    vector: tuple[Sequence[str], np.ndarray],
    exact: tuple[Sequence[str], np.ndarray],
    seed: int,
    *,
    n_resamples: int = 1000,
    tolerances: Mapping[str, tuple[float, float]] | None = None,
) -> dict[str, dict[str, Any]]:
    """Per column, vector and exact means on common paths, their difference with a 95% bootstrap
    interval, the tolerance and the verdict (module docstring). ``vector`` and ``exact`` are
    ``(columns, rows)`` over the SAME paths in the same order."""
    vcols, vdata = vector
    ecols, edata = exact
    if vdata.shape[0] != edata.shape[0]:
        raise ValueError("vector and exact rows must be the same paths")
    out: dict[str, dict[str, Any]] = {}
    for j, name in enumerate(sorted(set(vcols) | set(ecols))):
        if name not in vcols or name not in ecols:
            out[name] = {"status": "only-exact" if name in ecols else "only-vector"}
            continue
        v, e = vdata[:, list(vcols).index(name)], edata[:, list(ecols).index(name)]
        both = np.isfinite(v) & np.isfinite(e)
        entry: dict[str, Any] = {"n": int(both.sum())}
        out[name] = entry
        if not both.any():
            entry["status"] = "no-common-values"
            continue
        d = v[both] - e[both]
        mean_e, mean_v = float(e[both].mean()), float(v[both].mean())
        diff = float(d.mean())
        child = np.random.SeedSequence(seed, spawn_key=(*AGREE_KEY, j))
        lo, hi = bootstrap_ci(
            d, lambda s: np.asarray(s.mean(axis=-1)), n_resamples=n_resamples, seed=child
        )
        entry.update(
            mean_exact=round_sig(mean_e), mean_vector=round_sig(mean_v),
            difference=round_sig(diff), ci=[round_sig(lo), round_sig(hi)],
        )  # fmt: skip
        tol = _tolerance(name, cat, tolerances)
        if tol is None:
            entry.update(status="no-tolerance", tolerance=None, passed=None)
            continue
        bound = tol[0] + tol[1] * abs(mean_e)
        passed = abs(diff) <= bound
        entry.update(
            agree=list(tol), tolerance=round_sig(bound), passed=passed,
            status="pass" if passed else "FLAG",
        )  # fmt: skip
    return out


def analyse(
    plan: Plan,
    cat: Catalog,
    vector: tuple[list[str], np.ndarray],
    exact: tuple[list[str], np.ndarray],
    indices: list[int],
    seed: int,
    n_resamples: int,
    tolerances: Mapping[str, tuple[float, float]] | None,
) -> dict[str, Any]:
    """The tiered run's statistics (module docstring): each tiered column's exact tail statistics
    from the exact values of ``indices`` (rows of ``exact`` in that sorted order), and the
    agreement of the two tiers on the control sample; ``summary.json``'s ``tiers``."""
    vcols, vdata = vector
    ecols, edata = exact
    row = {p: r for r, p in enumerate(indices)}  # exact table rows follow the sorted indices
    tails: dict[str, Any] = {}
    for col in plan.columns:
        if col.name not in ecols:
            tails[col.name] = {"status": "only-vector"}
            continue
        j = ecols.index(col.name)
        values = {p: float(edata[row[p], j]) for p in indices}
        boot = np.random.SeedSequence(seed, spawn_key=(*BOOTSTRAP_KEY, j + 1))
        tails[col.name] = tail_statistics(
            plan, col, vdata[:, vcols.index(col.name)], values, boot_seed=boot,
            n_resamples=n_resamples,
        )  # fmt: skip
    ctrl = [row[p] for p in plan.control]
    agreement = compare_means(
        cat, (vcols, vdata[list(plan.control)]), (ecols, edata[ctrl]), seed,
        n_resamples=n_resamples, tolerances=tolerances,
    )  # fmt: skip
    flagged = sorted(k for k, v in agreement.items() if v.get("passed") is False)
    uncovered = sorted(
        f"{c}:{s}" for c, t in tails.items() for s, e in t.items()
        if isinstance(e, dict) and e.get("status") == "not-covered"
    )  # fmt: skip
    return {
        "rule": {
            "tail": plan.tail, "depth": plan.depth_dict(),
            "control": len(plan.control), "exact_paths": len(indices),
            "columns": [c.name for c in plan.columns],
            "tied": {c: {"value": v, "paths": k} for c, (v, k) in plan.tied.items()},
            "extended": {c: list(ks) for c, ks in plan.extended.items()},
        },
        "tail": tails,
        "control": agreement,
        "flagged": flagged,
        "not_covered": uncovered,
    }  # fmt: skip
