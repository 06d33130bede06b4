"""Batched chunks and the two-tier Monte Carlo (docs/scale.md "Engines", "Two tiers").

The tier's logic (selection, coverage, exact tail statistics, agreement flags) is tested with two
cheap models of known relation: the vector engine as the fast model and ``Noisy``, the vector
engine with a seeded per-path perturbation, as the "exact" one; a full run of ``Noisy`` is then
the full exact run to compare with. One test runs the real exact engine on a reduced scenario
where both engines are affordable.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from peglab.cli import main
from peglab.errors import InvalidInput
from peglab.risk.backends import Batched, DaskBackend, LocalPool
from peglab.risk.engines import canonical_engine, choose_engine, engine_model
from peglab.risk.montecarlo import chunk_size, run_monte_carlo, run_tiered, vector_cap
from peglab.risk.params import apply_params
from peglab.risk.report import _headline_entry, render_report
from peglab.risk.rundir import Catalog
from peglab.risk.tiers import (
    Plan,
    TierColumn,
    control_sample,
    extend_plan,
    fast_ranks,
    plan_tiers,
    select_worst,
    tail_statistics,
    tier_depth,
)
from peglab.sim.results import PathResult
from peglab.sim.runner import run_path, vector_chunk
from peglab.sim.scenario import Scenario, load_scenario_file

SMALL = Path(__file__).parent / "scenarios" / "small-crash.toml"
VECTOR = Batched(vector_chunk)


@pytest.fixture(scope="module")
def small() -> Scenario:
    return load_scenario_file(SMALL)


@pytest.fixture(scope="module")
def reduced(small: Scenario) -> Scenario:
    """small-crash cut to one day and 12 vaults: the exact engine runs 400 paths in seconds."""
    return apply_params(small, {
        "horizon": "1d", "prices[0].duration": "12h",
        "system.ai_dollars[tUSD].collaterals[0].vaults.count": "12",
    })  # fmt: skip


class Noisy:
    """The vector engine, each path's metrics scaled by ``1 + bias + scale * z`` with ``z`` a
    standard normal drawn from the path's own seed (so a path's value never depends on its
    chunk); used as a second model whose ranking differs from the vector engine's."""

    def __init__(self, scale: float, bias: float = 0.0) -> None:
        self.scale, self.bias = scale, bias
        self.__qualname__ = self.__module__ = f"Noisy({scale}, {bias})"

    def __call__(self, sc: Scenario, seeds: Sequence[np.random.SeedSequence]) -> list[PathResult]:
        out = []
        for seed, res in zip(seeds, vector_chunk(sc, seeds), strict=True):
            key = (*seed.spawn_key, 77)
            z = np.random.default_rng(np.random.SeedSequence(seed.entropy, spawn_key=key))
            f = 1.0 + self.bias + self.scale * float(z.standard_normal())
            out.append(PathResult({k: v * f for k, v in res.metrics.items()}, res.series))
        return out


class Counting:
    """The vector engine, recording the size of every batch it is called with (in-process)."""

    def __init__(self) -> None:
        self.calls: list[int] = []
        self.__qualname__ = self.__module__ = "Counting"

    def __call__(self, sc: Scenario, seeds: Sequence[np.random.SeedSequence]) -> list[PathResult]:
        self.calls.append(len(seeds))
        return vector_chunk(sc, seeds)


def _files(out: Path) -> dict[str, bytes]:
    names = ["summary.json", "paths.csv", "metrics.json"]
    names += [f"series/{p.name}" for p in sorted((out / "series").iterdir())]
    for extra in ("tiers/plan.json", "tiers/exact/paths.csv"):
        if (out / extra).is_file():
            names.append(extra)
    return {n: (out / n).read_bytes() for n in names}


def _same(a: Path, b: Path) -> None:
    fa, fb = _files(a), _files(b)
    assert sorted(fa) == sorted(fb)
    for name in fa:
        assert fa[name] == fb[name], name


def _vector(sc: Scenario, out: Path, **kw: object) -> dict:
    args = dict(paths=13, seed=4, out_dir=out, progress=False, n_resamples=50, engine="vector")
    args.update(kw)
    return run_monte_carlo(sc, VECTOR, **args)  # type: ignore[arg-type]


# --- batched chunks --------------------------------------------------------------------------


def test_vector_engine__one_call_per_chunk__paths_as_an_array_dimension(
    small: Scenario, tmp_path: Path
) -> None:
    counting = Counting()
    _vector(small, tmp_path, chunk=5)
    run_monte_carlo(small, Batched(counting), paths=13, seed=4, out_dir=tmp_path / "c",
                    progress=False, n_resamples=50, chunk=5)  # fmt: skip
    assert counting.calls == [5, 5, 3]


def test_vector_engine__chunk_size_and_workers__bytes_identical(
    small: Scenario, tmp_path: Path
) -> None:
    _vector(small, tmp_path / "a", chunk=13)
    _vector(small, tmp_path / "b", chunk=1)
    _vector(small, tmp_path / "c", chunk=4, workers=2)
    _vector(small, tmp_path / "d", workers=2)  # the default chunk size
    for other in "bcd":
        _same(tmp_path / "a", tmp_path / other)
    assert json.loads((tmp_path / "a/summary.json").read_text())["engine"] == "vector"


def test_chunk_size__batched__capped_by_paths_and_by_path_steps() -> None:
    vec = Batched(vector_chunk)
    assert vector_cap(768) == 1024  # ai-token-crash: 8 days of 15 minutes
    assert vector_cap(8_760) == 128  # a year hourly: the long-horizon cap
    assert vector_cap(1_500) == 533  # in between: 800,000 path-steps
    assert chunk_size(vec, 10_000, 2, 768) == 1000  # 10 chunks of one size, 5 a worker
    assert chunk_size(vec, 9_000, 2, 768) == 900  # 9 within the cap, 10 for an even split
    assert chunk_size(vec, 2_048, 1, 768) == 1024
    assert chunk_size(vec, 10_000, 2, 8_760) == 125  # 80 chunks within the long-horizon cap
    assert chunk_size(vec, 100, 2, 768) == 25  # n / (2 workers) when that is smaller
    assert chunk_size(vec, 3, 2, 768) == 1
    assert chunk_size(run_path, 10_000, 2, 768) == 16  # a per-path model: PATH_CHUNK
    assert chunk_size(run_path, 100, 2, 768) == 6  # n / (8 workers) when that is smaller


@pytest.fixture(scope="module")
def no_vector_model(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    """default-wave on constant-product pools: the GPU-credit vectorised models know StableSwap
    peg pools only, so this scenario has a family without a vectorised model."""
    from peglab.risk.library import scenario_path

    p = tmp_path_factory.mktemp("cp") / "cp.toml"
    p.write_text(
        scenario_path("default-wave").read_text().replace("A = 200", 'kind = "constant-product"')
    )
    return load_scenario_file(p)


def test_vector_engine__family_without_model__typed_error_from_the_batch(
    no_vector_model: Scenario, tmp_path: Path
) -> None:
    with pytest.raises(InvalidInput) as info:
        _vector(no_vector_model, tmp_path, paths=2)
    assert info.value.code == "stress/no-float-model"


def test_engines__names_aliases_and_default(small: Scenario, no_vector_model: Scenario) -> None:
    assert canonical_engine("float") == "vector" and canonical_engine("tiered") == "tiered"
    assert engine_model("exact") is run_path and engine_model("float") == VECTOR
    with pytest.raises(InvalidInput) as info:
        canonical_engine("gpu")
    assert info.value.code == "stress/bad-engine"
    assert choose_engine(None, small, 999) == "exact"
    assert choose_engine(None, small, 1000) == "tiered"
    assert choose_engine(None, no_vector_model, 5000) == "exact"


# --- the tier's rule -------------------------------------------------------------------------


LOSS, PEG_MIN, PEG_MAX = (
    TierColumn("liquidated_usd", "max", True),
    TierColumn("peg_min", "min", False),
    TierColumn("peg_max", "max", False),
)


def test_tier_depth__stated_rule__per_column() -> None:
    # 2.5%: a loss column's ES97.5 reads the worst 250 of 10,000 paths (VaR99 and its interval
    # fewer); a peg column reports only p01/p99 within 2.5%, whose interval reaches rank 121
    assert tier_depth(10_000, 0.025, LOSS) == (250, 125, 375)
    assert tier_depth(10_000, 0.025, PEG_MIN) == (121, 61, 182)
    assert tier_depth(10_000, 0.025, PEG_MAX) == (121, 61, 182)
    assert tier_depth(1000, 0.025, LOSS) == (25, 13, 38)
    assert tier_depth(1000, 0.025, PEG_MIN) == (18, 10, 28)
    for col in (LOSS, PEG_MIN, PEG_MAX):  # VaR95/p05/p95 with its interval decides at 5%
        m, margin, k = tier_depth(400, 0.05, col)
        assert m == 30 and k == m + margin
    # nothing the column reports has 10 exceedances: the tail share's paths plus one
    assert tier_depth(20, 0.025, LOSS) == (2, 10, 12)
    assert tier_depth(400, 0.025, PEG_MAX) == (11, 10, 21)  # p99 has 4 exceedances at 400
    with pytest.raises(InvalidInput) as info:
        tier_depth(100, 0.6, LOSS)
    assert info.value.code == "stress/bad-tail"


def test_plan_tiers__each_column_selects_its_own_depth() -> None:
    """At 10,000 paths a loss column re-runs its 375 worst paths (ES97.5 reads 250), a peg column
    its 182 (p01/p99 read 121): the union is smaller than with one depth for every column.
    Canary: a peg column declared a loss (so it reports ES97.5) selects 375."""
    specs = [
        {"name": "liquidated_usd", "unit": "USD", "loss": True, "headline": True, "total": "sum"},
        {"name": "peg_min", "unit": "USD", "headline": True, "total": "min", "worst": "min"},
    ]
    cat = Catalog({"families": [{"metrics": specs}]})
    data = np.random.default_rng(3).random((10_000, 2))
    plan = plan_tiers(cat, ["liquidated_usd", "peg_min"], data, seed=1)
    assert plan.depth == {"liquidated_usd": (250, 125, 375), "peg_min": (121, 61, 182)}
    assert len(plan.selected["liquidated_usd"]) == 375 and len(plan.selected["peg_min"]) == 182
    assert plan.selected["peg_min"] == tuple(int(i) for i in np.argsort(data[:, 1])[:182])
    assert plan.as_dict()["depth"]["peg_min"] == {"m": 121, "margin": 61, "k": 182}
    specs[1] = {**specs[1], "loss": True}
    as_loss = plan_tiers(Catalog({"families": [{"metrics": specs}]}), ["liquidated_usd",
                         "peg_min"], data, seed=1)  # fmt: skip
    assert len(as_loss.selected["peg_min"]) == 375


def test_control_sample__seeded_sorted_distinct() -> None:
    a = control_sample(10_000, 7)
    assert a == control_sample(10_000, 7) and a != control_sample(10_000, 8)
    assert len(a) == 100 and len(set(a)) == 100 and list(a) == sorted(a)
    assert control_sample(30, 7) == tuple(range(30))  # the whole run when it is small


def test_select_worst__tie_at_the_boundary__left_out_and_recorded() -> None:
    v = np.array([0.0, 3.0, 3.0, 1.0, np.nan, 3.0, 0.0, 0.0])
    assert select_worst(v, "max", 3) == ((1, 2, 5), None)  # the tie ends at rank 3
    assert select_worst(v, "max", 4) == ((1, 2, 5, 3), None)
    assert select_worst(v, "max", 2) == ((), (3.0, 3))  # 3.0 at ranks 1-3 straddles k = 2
    assert select_worst(v, "max", 5) == ((1, 2, 5, 3), (0.0, 3))  # the zeros straddle k = 5
    assert select_worst(v, "min", 2) == ((), (0.0, 3))
    assert select_worst(np.zeros(10_000), "max", 377) == ((), (0.0, 10_000))  # all zero: none
    assert select_worst(v, "max", 8) == ((1, 2, 5, 3, 0, 6, 7, 4), None)  # every path: all


def test_fast_ranks__ties_share_the_deepest_rank__nan_last() -> None:
    v = np.array([0.0, 3.0, 3.0, 1.0, np.nan, 3.0, 0.0, 0.0])
    assert fast_ranks(v, "max").tolist() == [7, 3, 3, 4, 8, 3, 7, 7]
    assert fast_ranks(v, "min").tolist() == [3, 7, 7, 4, 8, 7, 3, 3]
    w = np.random.default_rng(1).permutation(50).astype(float)  # no ties: the plain rank
    assert fast_ranks(w, "max").tolist() == (50 - w).astype(int).tolist()


def _plan(n: int, col: TierColumn, selected: tuple[int, ...], control: tuple[int, ...]) -> Plan:
    depth = {col.name: tier_depth(n, 0.05, col)}
    return Plan(n, 0.05, depth, (col,), {col.name: selected}, control, {})


def test_tail_statistics__fast_all_zero__covered_iff_the_exact_paths_agree() -> None:
    """A column the vectorised model puts at zero on every path selects no path; its exact tail
    rests on the paths run for other columns and the control sample. Canary: one exactly-run
    path with a positive exact value makes the zero statistic not covered (its tied fast rank is
    the deepest, beyond the tier)."""
    n, col = 400, TierColumn("bad_debt_usd", "max", True)
    fast = np.zeros(n)
    selected, block = select_worst(fast, "max", tier_depth(n, 0.05, col)[2])
    assert selected == () and block == (0.0, n)
    ran = tuple(range(0, n, 4))  # 100 paths run for other columns and the control
    plan = _plan(n, col, selected, ran)
    seed = np.random.SeedSequence(1)
    ok = tail_statistics(plan, col, fast, {i: 0.0 for i in ran}, boot_seed=seed, n_resamples=50)
    assert ok["VaR95"]["status"] == "ok" and ok["VaR95"]["value"] == 0.0
    exact = {i: 0.0 for i in ran} | {ran[7]: 5.0}
    bad = tail_statistics(plan, col, fast, exact, boot_seed=seed, n_resamples=50)
    assert bad["VaR95"]["status"] == "not-covered" and bad["VaR95"]["deepest_fast_rank"] == n


# --- tiered equals a full exact run ----------------------------------------------------------


N = 400


@pytest.fixture(scope="module")
def noisy_full(reduced: Scenario, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The full run of the "exact" model ``Noisy(0.0005)`` on every path."""
    out = tmp_path_factory.mktemp("full")
    return run_monte_carlo(reduced, Batched(Noisy(0.0005)), paths=N, seed=9, out_dir=out,
                           workers=1, progress=False, n_resamples=200)  # fmt: skip


def _tiered(sc: Scenario, out: Path, exact: object, **kw: object) -> dict:
    args = dict(paths=N, seed=9, out_dir=out, workers=1, progress=False, n_resamples=200,
                tail=0.05, exact=exact)  # fmt: skip
    args.update(kw)
    return run_tiered(sc, **args)  # type: ignore[arg-type]


def _check_equal_where_covered(tiered: dict, full: dict) -> int:
    """Every covered exact tail statistic equals the full run's; returns how many there were."""
    covered = 0
    for col, stats in tiered["tiers"]["tail"].items():
        for name, entry in stats.items():
            if not isinstance(entry, dict) or entry.get("status") != "ok":
                continue
            covered += 1
            ref = full["metrics"][col].get(name)
            if ref is None:  # p01/p99: computed the summary's way at another level
                continue
            assert entry["value"] == ref["value"], (col, name)
            if entry["ci_method"] == "order-statistic":
                assert entry["ci"] == ref["ci"], (col, name)
    return covered


def test_tiered__exact_tail_paths__tail_statistics_identical_to_full_run(
    reduced: Scenario, noisy_full: dict, tmp_path: Path
) -> None:
    t = _tiered(reduced, tmp_path, Batched(Noisy(0.0005)))
    covered = _check_equal_where_covered(t, noisy_full)
    tails = t["tiers"]["tail"]
    assert tails["liquidated_usd"]["VaR95"]["status"] == "ok"  # a non-zero, covered tail
    assert tails["liquidated_usd"]["ES97.5"]["status"] == "ok"
    assert tails["liquidated_usd"]["VaR95"]["value"] > 0
    assert covered >= 10
    # the vector peg extremes hardly vary across paths here, so even 0.05% noise reorders them
    # entirely: the check must report those, and only those, as not covered
    assert {x.split(":")[0] for x in t["tiers"]["not_covered"]} <= {"peg_min", "peg_max"}
    assert t["tiers"]["rule"]["exact_paths"] < N  # the exact tier is a part of the run
    # the headline table shows the covered statistic's exact value, marked exact
    entry, exact = _headline_entry(t, "liquidated_usd", "ES97.5")
    assert exact and entry["value"] == tails["liquidated_usd"]["ES97.5"]["value"]
    assert _headline_entry(t, "liquidated_usd", "EVaR95")[1] is False  # never tiered


def test_tiered__fast_ranking_broken__reported_not_covered(
    reduced: Scenario, noisy_full: dict, tmp_path: Path
) -> None:
    """Canary: an "exact" model whose noise (5%, more than the spread of the tail) scrambles the vector ranking: a path outside the
    selection is in the exact tail, and the coverage check says so."""
    t = _tiered(reduced, tmp_path, Batched(Noisy(0.05)))
    assert "liquidated_usd:VaR95" in t["tiers"]["not_covered"]
    assert t["tiers"]["tail"]["liquidated_usd"]["VaR95"]["covered"] is False


def test_tiered__rounds__extension_covers_and_equals_full_run(
    reduced: Scenario, tmp_path: Path
) -> None:
    """With 0.5% noise and a 2.5% tail (ES97.5 reads the worst 10 of 400 paths; k = 20) the first
    pass leaves the liquidations' ES97.5 not covered: an exactly-worse path ranked 29 by the fast
    value. One extension round takes that column to k = 3 x 29 = 87 paths; the statistic is then
    covered and equals the full run of the same model, value and interval, as every other
    covered statistic does. The run without rounds is the canary (not covered)."""
    model = Batched(Noisy(0.005))
    full = run_monte_carlo(reduced, model, paths=N, seed=9, out_dir=tmp_path / "full",
                           workers=1, progress=False, n_resamples=200)  # fmt: skip
    t0 = _tiered(reduced, tmp_path / "r0", model, tail=0.025)
    t1 = _tiered(reduced, tmp_path / "r1", model, tail=0.025, rounds=1)
    assert t0["tiers"]["not_covered"] == ["liquidated_usd:ES97.5"]  # default: no rounds
    assert t0["tiers"]["rule"]["rounds"] == {"allowed": 0, "paths": [119]}
    needs = t0["tiers"]["tail"]["liquidated_usd"]["ES97.5"]["needs_m"]
    assert t1["tiers"]["not_covered"] == []
    assert _check_equal_where_covered(t1, full) == _check_equal_where_covered(t0, full) + 1
    rule = t1["tiers"]["rule"]
    assert rule["extended"] == {"liquidated_usd": [3 * needs]}
    assert rule["depth"]["liquidated_usd"] == {"m": needs, "margin": 2 * needs, "k": 3 * needs}
    first, more = rule["rounds"]["paths"]
    assert first == 119 and more > 0 and rule["exact_paths"] == first + more
    rows = (tmp_path / "r1/tiers/exact/paths.csv").read_text().splitlines()[1:]
    ids = [int(r.split(",")[0]) for r in rows]
    assert ids == sorted(set(ids)) and len(ids) == rule["exact_paths"]
    plan = json.loads((tmp_path / "r1/tiers/plan.json").read_text())
    assert plan["extended"] == rule["extended"] and plan["exact_paths"] == len(ids)
    assert json.loads((tmp_path / "r1/timings.json").read_text())["exact_tier"]["paths"] == len(ids)
    render_report(tmp_path / "r1")
    assert "1 extension round(s) re-ran" in (tmp_path / "r1/report.html").read_text()


def test_extend_plan__only_not_covered_columns__never_past_a_quarter() -> None:
    col, peg = TierColumn("liquidated_usd", "max", True), TierColumn("peg_max", "max", False)
    n = 1000
    data = np.random.default_rng(5).random((n, 2))
    depth = {c.name: tier_depth(n, 0.025, c) for c in (col, peg)}
    selected = {c.name: select_worst(data[:, i], "max", depth[c.name][2])[0]
                for i, c in enumerate((col, peg))}  # fmt: skip
    plan = Plan(n, 0.025, depth, (col, peg), selected, (), {})
    covered = {"ES97.5": {"status": "ok"}}
    assert extend_plan(plan, [col.name, peg.name], data, {col.name: covered}) is None
    grown = extend_plan(plan, [col.name, peg.name], data,
                        {col.name: {"ES97.5": {"status": "not-covered", "needs_m": 60}}})  # fmt: skip
    assert grown is not None and grown.depth[col.name] == (60, 120, 180)
    assert grown.depth[peg.name] == depth[peg.name] and grown.extended == {col.name: (180,)}
    assert set(selected[col.name]) < set(grown.selected[col.name])
    assert len(grown.selected[col.name]) == 180
    too_deep = {col.name: {"VaR99": {"status": "not-covered", "needs_m": 84}}}  # 3 x 84 > 250
    assert extend_plan(plan, [col.name, peg.name], data, too_deep) is None


def test_tiered__rounds__bytes_identical_whatever_the_workers(
    reduced: Scenario, tmp_path: Path
) -> None:
    kw = dict(exact=Batched(Noisy(0.005)), rounds=2, tail=0.025)
    a = _tiered(reduced, tmp_path / "one", backend=LocalPool(1), **kw)
    _tiered(reduced, tmp_path / "two", backend=LocalPool(2), chunk=7, **kw)
    assert len(a["tiers"]["rule"]["rounds"]["paths"]) == 2  # an extension round ran
    _same(tmp_path / "one", tmp_path / "two")


def test_tiered__into_a_directory_of_an_earlier_run__same_bytes_as_a_fresh_one(
    reduced: Scenario, tmp_path: Path
) -> None:
    """A tiered run into a directory holding another run's files (another seed, more kept
    paths, a stray sensitivity section) writes what it writes into an empty one: before the fix
    its exact tier was appended to the stale ``tiers/exact/paths.csv`` and its rows read by
    position, so the coverage check compared other paths' values."""
    kw = dict(exact=Batched(Noisy(0.0005)), paths=120, n_resamples=50)
    _tiered(reduced, tmp_path / "reused", seed=3, keep_paths=5, **kw)
    (tmp_path / "reused" / "sensitivity" / "00-low").mkdir(parents=True)
    (tmp_path / "reused" / "notes.txt").write_text("mine")
    again = _tiered(reduced, tmp_path / "reused", **kw)
    fresh = _tiered(reduced, tmp_path / "fresh", **kw)
    assert (tmp_path / "reused" / "notes.txt").read_text() == "mine"  # not a run's file: kept
    (tmp_path / "reused" / "notes.txt").unlink()
    _same(tmp_path / "reused", tmp_path / "fresh")
    assert again["tiers"] == fresh["tiers"]


def test_tiered__stale_exact_rows__refused_not_misread(
    reduced: Scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Canary of the test above: without the clearing, a run into an earlier run's directory
    finds that run's rows in its exact tier, and the row check refuses to read them by position."""
    import peglab.risk.montecarlo as mc

    kw = dict(exact=Batched(Noisy(0.0005)), paths=120, n_resamples=50)
    _tiered(reduced, tmp_path, seed=3, **kw)
    monkeypatch.setattr(mc, "clear_run", lambda out: None)
    with pytest.raises(InvalidInput) as info:
        _tiered(reduced, tmp_path, **kw)
    assert info.value.code == "stress/incomplete" and "rows" in str(info.value)


def test_tiered__bias_beyond_tolerance__flagged(reduced: Scenario, tmp_path: Path) -> None:
    biased = Batched(Noisy(0.0, bias=0.05))  # "exact" = vector + 5%: differences of ~5%
    t = _tiered(
        reduced, tmp_path / "a", biased, paths=60, tolerances={"liquidated_usd": (0.0, 0.01)}
    )
    c = t["tiers"]["control"]["liquidated_usd"]
    assert c["status"] == "FLAG" and "liquidated_usd" in t["tiers"]["flagged"]
    assert c["ci"][1] < 0  # vector below exact, the interval excludes 0
    t = _tiered(
        reduced, tmp_path / "b", biased, paths=60, tolerances={"liquidated_usd": (0.0, 0.1)}
    )
    assert t["tiers"]["control"]["liquidated_usd"]["status"] == "pass"
    assert "liquidated_usd" not in t["tiers"]["flagged"]


@pytest.mark.slow
def test_tiered__real_exact_engine__covered_statistics_identical_to_full_exact_run(
    reduced: Scenario, tmp_path: Path
) -> None:
    n = 200  # VaR95 (and p05/p95) have their 10 exceedances: the tier's statistics at 5%
    full = run_monte_carlo(reduced, run_path, paths=n, seed=9, out_dir=tmp_path / "full",
                           workers=2, progress=False, n_resamples=200)  # fmt: skip
    t = run_tiered(reduced, paths=n, seed=9, out_dir=tmp_path / "t", workers=2, progress=False,
                   n_resamples=200, tail=0.05)  # fmt: skip
    assert _check_equal_where_covered(t, full) >= 1
    assert t["tiers"]["models"]["exact"] == "peglab.sim.runner:run_path"
    rows = (tmp_path / "t/tiers/exact/paths.csv").read_text().splitlines()
    assert len(rows) - 1 == t["tiers"]["rule"]["exact_paths"]


# --- same bytes whatever the workers and the backend -----------------------------------------


def test_tiered__workers_chunks_and_dask__bytes_identical(
    reduced: Scenario, cluster: str, tmp_path: Path
) -> None:
    kw = dict(paths=40, control=8, exact=Batched(Noisy(0.0005)))
    _tiered(reduced, tmp_path / "one", backend=LocalPool(1), **kw)
    _tiered(reduced, tmp_path / "two", backend=LocalPool(2), chunk=3, **kw)
    _tiered(reduced, tmp_path / "dask", backend=DaskBackend(cluster, dashboard=False), **kw)
    _same(tmp_path / "one", tmp_path / "two")
    _same(tmp_path / "one", tmp_path / "dask")
    assert (tmp_path / "one" / "tiers/exact/paths.csv").is_file()
    timings = json.loads((tmp_path / "dask/timings.json").read_text())
    assert timings["exact_tier"]["paths"] > 0 and "dask" in timings["backend"]


def test_vector_engine__dask__bytes_identical_to_process_pool(
    small: Scenario, cluster: str, tmp_path: Path
) -> None:
    _vector(small, tmp_path / "pool", workers=2)
    _vector(small, tmp_path / "dask", backend=DaskBackend(cluster, dashboard=False))
    _same(tmp_path / "pool", tmp_path / "dask")


# --- the command line ------------------------------------------------------------------------


def test_cli_stress__tiered__two_tiers_in_summary_and_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    rc = main(["stress", str(SMALL), "--paths", "30", "--engine", "tiered", "--workers", "1",
               "--control-paths", "5", "--tier-rounds", "1", "--no-progress",
               "--sensitivity-paths", "0",
               "--out", str(out)])  # fmt: skip
    assert rc == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["engine"] == "tiered" and summary["tiers"]["rule"]["control"] == 5
    assert summary["tiers"]["rule"]["rounds"]["allowed"] == 1
    report = (out / "report.html").read_text()
    assert "Two tiers" in report and " read + " in report  # each column's depth, stated
    assert set(summary["tiers"]["rule"]["depth"]) == set(summary["tiers"]["rule"]["columns"])
    printed = capsys.readouterr().out
    assert "Two tiers" in printed and "* exact (two tiers" in printed


def test_cli_stress__bad_tier_options__one_line(capsys: pytest.CaptureFixture[str]) -> None:
    for extra in (
        ["--tier-tail", "0.7"],
        ["--tier-tail", "x"],
        ["--control-paths", "-1"],
        ["--tier-rounds", "-1"],
        ["--tier-rounds", "x"],
    ):
        assert main(["stress", str(SMALL), "--engine", "tiered", *extra]) == 2
        err = capsys.readouterr().err
        assert err.startswith("peglab: error: cli/usage:") and len(err.strip().splitlines()) == 1
