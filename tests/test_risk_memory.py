"""The Monte Carlo driver's memory does not grow with steps, nor with paths through its series
(docs/scale.md "Memory").

The driver keeps each path's scalars and streams its series to disk (``rundir.Sink``); the
model's per-step arrays live in the workers, one chunk at a time. Measured with tracemalloc in
the driver on a pool of 2 (the workers are other processes): four times the steps of a scenario
must add less than half of what holding every path's report series would add. A driver that
keeps every result in memory (the canary) adds all of it and fails the same check.
"""

from __future__ import annotations

import os
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from peglab.risk import montecarlo
from peglab.risk.backends import Batched
from peglab.risk.params import apply_params
from peglab.risk.rundir import SeriesFile, Sink
from peglab.sim.results import PathResult, report_grid
from peglab.sim.runner import vector_chunk
from peglab.sim.scenario import Scenario, load_scenario_file

SMALL = Path(__file__).parent / "scenarios" / "small-crash.toml"
PATHS = 48
CHUNK = 1  # 2 workers x 2 chunks in flight: at most 4 of the 48 paths held at once

# the pool's workers are forked from the driver: they must not trace (slow, and not measured)
os.register_at_fork(after_in_child=tracemalloc.stop)


def _scenario(step: str) -> Scenario:
    return apply_params(load_scenario_file(SMALL), {"step": step})


def _driver_peak(sc: Scenario, out: Path, paths: int = PATHS) -> int:
    """Peak bytes allocated in this process (the driver) during a run of ``paths`` paths."""
    tracemalloc.start()
    try:
        montecarlo.run_monte_carlo(
            sc, Batched(vector_chunk), paths=paths, seed=3, out_dir=out, workers=2,
            progress=False, n_resamples=20, chunk=CHUNK,
        )  # fmt: skip
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _series_bytes(sc: Scenario, n_series: int) -> int:
    """What one path's report series take as float64: the least a driver holding them needs."""
    return n_series * len(report_grid(sc.n_steps)) * 8


def check_steps_do_not_grow_driver(tmp: Path) -> dict[str, Any]:
    """Run two days in 12 and in 48 steps (report series of 13 and 49 points, below the grid's
    cap) and compare the driver's peaks; raises AssertionError when the driver grows with steps."""
    short, long = _scenario("4h"), _scenario("1h")
    _driver_peak(short, tmp / "warm", 4)  # imports and caches before measuring
    peaks = [_driver_peak(sc, tmp / f"h{sc.n_steps}") for sc in (short, long)]
    n_series = len(list((tmp / "h12" / "series").glob("*.npy")))
    assert n_series > 0
    all_paths = PATHS * (_series_bytes(long, n_series) - _series_bytes(short, n_series))
    growth = peaks[1] - peaks[0]
    assert growth < all_paths / 2, (
        f"4x the steps added {growth:,} bytes to the driver; holding every path's series "
        f"adds {all_paths:,}"
    )
    return {"peaks": peaks, "growth": growth, "all_paths": all_paths}


def test_driver_memory__four_times_the_steps__does_not_grow(tmp_path: Path) -> None:
    got = check_steps_do_not_grow_driver(tmp_path)
    assert got["growth"] < got["all_paths"] / 4  # in practice a few chunks' worth at most


class KeepingSink(Sink):
    """A driver that keeps every path's result in memory besides writing it (the canary)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kept: list[PathResult] = []

    def add(self, index: int, res: PathResult) -> None:
        super().add(index, res)
        self.kept.append(res)


def test_driver_memory__results_kept_in_memory__canary_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(montecarlo, "Sink", KeepingSink)
    with pytest.raises(AssertionError, match="4x the steps added"):
        check_steps_do_not_grow_driver(tmp_path)


# --- the series matrices: rows written in place, not kept mapped ------------------------------

MATRIX = (4000, 193)  # paths x report points
N_SERIES = 8


def _rss_file_kib() -> int:
    """Resident file-backed pages of this process (``RssFile`` of ``/proc/self/status``)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("RssFile:"):
            return int(line.split()[1])
    pytest.skip("no RssFile in /proc/self/status")


def check_rows_not_resident(write_rows: Any) -> None:
    """``write_rows(row)`` writes row ``row`` of ``N_SERIES`` matrices; after every row of
    ``MATRIX`` the process's resident file pages must have grown by less than a quarter of the
    matrices' bytes."""
    before = _rss_file_kib()
    for row in range(MATRIX[0]):
        write_rows(row)
    grown = (_rss_file_kib() - before) * 1024
    total = N_SERIES * MATRIX[0] * MATRIX[1] * 4
    assert grown < total / 4, f"{grown:,} bytes of {total:,} written stay resident"


def test_sink__4000_paths__series_rows_not_resident(tmp_path: Path) -> None:
    sink = Sink(tmp_path, MATRIX[0], MATRIX[1], keep_paths=0)
    values = np.linspace(0.0, 1.0, MATRIX[1])
    series = {f"s{j}": values + j for j in range(N_SERIES)}
    try:
        check_rows_not_resident(lambda i: sink.add(i, PathResult({"m": float(i)}, series)))
    finally:
        sink.close()
    got = np.load(tmp_path / "series" / "s3.npy")
    assert got.shape == MATRIX and np.array_equal(got[-1], (values + 3).astype(np.float32))


def test_rows_not_resident__memory_mapped_matrices__canary_fails(tmp_path: Path) -> None:
    maps = [np.lib.format.open_memmap(tmp_path / f"{j}.npy", mode="w+", dtype=np.float32,
                                      shape=MATRIX) for j in range(N_SERIES)]  # fmt: skip
    row = np.linspace(0.0, 1.0, MATRIX[1])

    def write(i: int) -> None:
        for m in maps:
            m[i] = row

    with pytest.raises(AssertionError, match="stay resident"):
        check_rows_not_resident(write)


def test_series_file__rows__bytes_of_a_memory_mapped_matrix(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    rows = rng.normal(size=(5, 7))  # float64, rounded to float32 by both
    ref = np.lib.format.open_memmap(tmp_path / "ref.npy", mode="w+", dtype=np.float32, shape=(6, 7))
    mine = SeriesFile(tmp_path / "mine.npy", 6, 7)
    for r in (4, 0, 2, 1, 3):  # any order; row 5 never written
        ref[r] = rows[r]
        mine.write_row(r, rows[r])
    ref.flush()
    del ref
    mine.close()
    assert (tmp_path / "mine.npy").read_bytes() == (tmp_path / "ref.npy").read_bytes()
