"""Monte Carlo backends: dask.distributed gives the process pool's bytes, survives a lost worker,
and the run directory's Sink refuses a path counted twice (docs/scale.md)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from peglab.cli import main
from peglab.errors import InvalidInput
from peglab.risk.backends import Batched, DaskBackend, LocalPool, check_scheduler
from peglab.risk.montecarlo import run_monte_carlo
from peglab.risk.rundir import Sink, read_paths_csv
from peglab.sim.results import PathResult
from peglab.sim.runner import float_path, vector_chunk
from peglab.sim.scenario import Scenario, load_scenario_file

SMALL = Path(__file__).parent / "scenarios" / "small-crash.toml"
PATHS = 24


@pytest.fixture(scope="module")
def small() -> Scenario:
    return load_scenario_file(SMALL)


class DieOnce:
    """``float_path``, except that the first worker to reach path ``index`` dies on the spot
    (``os._exit``: no exception, no cleanup, like a killed process). A marker file makes the
    re-run of that chunk on another worker succeed, so the run can complete."""

    def __init__(self, marker: Path, index: int) -> None:
        self.marker, self.index = marker, index
        self.__qualname__ = self.__module__ = "DieOnce"  # one run_path name for the summary

    def __call__(self, sc: Scenario, i: int, seed: np.random.SeedSequence) -> PathResult:
        if i == self.index and not self.marker.exists():
            self.marker.touch()
            os._exit(1)
        return float_path(sc, i, seed)


class DieOnceInBatch:
    """The batched vector engine, except that the first worker to get the chunk holding path
    ``index`` dies on the spot (as ``DieOnce``); the re-run chunk succeeds."""

    def __init__(self, marker: Path, index: int) -> None:
        self.marker, self.index = marker, index
        self.__qualname__ = self.__module__ = "DieOnceInBatch"

    def __call__(self, sc: Scenario, seeds: Sequence[np.random.SeedSequence]) -> list[PathResult]:
        if any(s.spawn_key == (self.index,) for s in seeds) and not self.marker.exists():
            self.marker.touch()
            os._exit(1)
        return vector_chunk(sc, seeds)


def _run(sc: Scenario, out: Path, backend: object, run_path: object = float_path) -> None:
    run_monte_carlo(
        sc,
        run_path,  # type: ignore[arg-type]
        paths=PATHS,
        seed=11,
        out_dir=out,
        workers=2,
        keep_paths=2,
        progress=False,
        n_resamples=100,
        backend=backend,  # type: ignore[arg-type]
    )


def _same_run(a: Path, b: Path, paths: int = PATHS) -> None:
    for name in ("summary.json", "paths.csv", "metrics.json"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    series = sorted(p.name for p in (a / "series").iterdir())
    assert series and series == sorted(p.name for p in (b / "series").iterdir())
    for name in series:
        assert (a / "series" / name).read_bytes() == (b / "series" / name).read_bytes(), name
    assert sorted(os.listdir(a / "paths")) == sorted(os.listdir(b / "paths"))
    _, data = read_paths_csv(a / "paths.csv")
    assert data.shape[0] == paths  # every path exactly once


def test_dask_cluster__same_seed__bytes_identical_to_process_pool(
    small: Scenario, cluster: str, tmp_path: Path
) -> None:
    _run(small, tmp_path / "pool", LocalPool(2))
    _run(small, tmp_path / "dask", DaskBackend(cluster, dashboard=False))
    _same_run(tmp_path / "pool", tmp_path / "dask")
    assert f"dask {cluster} x2" in (tmp_path / "dask" / "timings.json").read_text()


def test_dask_cluster__sweep__bytes_identical_to_process_pool(
    small: Scenario, cluster: str, tmp_path: Path
) -> None:
    """``peglab sweep`` schedules its grid points on the same backends (issue 15 item 5)."""
    from peglab.risk.sweep import run_sweep

    grid = {"agents.keepers.max_buy_price": ["1.01", "1.20"]}
    for name, backend in (("pool", LocalPool(2)), ("dask", DaskBackend(cluster, dashboard=False))):
        run_sweep(
            small, grid, 8, 5, tmp_path / name, run_path=float_path, backend=backend,
            progress=False, n_resamples=100, report=False,
        )  # fmt: skip
    for name in ("sweep.json", "table.csv", "points/000/summary.json", "points/001/summary.json"):
        assert (tmp_path / "pool" / name).read_bytes() == (tmp_path / "dask" / name).read_bytes()
    for point in ("000", "001"):
        _same_run(tmp_path / "pool/points" / point, tmp_path / "dask/points" / point, paths=8)


def test_dask_cluster__worker_killed_mid_run__completes_with_identical_bytes(
    small: Scenario, cluster: str, tmp_path: Path
) -> None:
    marker = tmp_path / "died"
    killer = DieOnce(marker, index=PATHS // 2)  # a chunk in the middle of the run
    _run(small, tmp_path / "dask", DaskBackend(cluster, dashboard=False), killer)
    assert marker.exists()  # a worker process really died on that path
    _run(small, tmp_path / "pool", LocalPool(2), killer)  # marker set: nobody dies now
    _same_run(tmp_path / "pool", tmp_path / "dask")


def test_dask_cluster__worker_killed_in_a_batched_chunk__identical_bytes(
    small: Scenario, cluster: str, tmp_path: Path
) -> None:
    """The vector engine's chunks are single batched calls; a worker dying inside one loses the
    whole chunk, which is re-run once and counted once."""
    marker = tmp_path / "died"
    killer = Batched(DieOnceInBatch(marker, index=PATHS // 2))
    _run(small, tmp_path / "dask", DaskBackend(cluster, dashboard=False), killer)
    assert marker.exists()
    _run(small, tmp_path / "pool", LocalPool(2), killer)
    _same_run(tmp_path / "pool", tmp_path / "dask")


def test_cli_stress__scheduler_local__same_bytes_as_process_pool(tmp_path: Path) -> None:
    args = ["stress", str(SMALL), "--paths", "4", "--workers", "1", "--engine", "float"]
    args += ["--no-progress"]
    assert main([*args, "--out", str(tmp_path / "pool")]) == 0
    assert main([*args, "--out", str(tmp_path / "dask"), "--scheduler", "local"]) == 0
    for name in ("summary.json", "paths.csv"):
        assert (tmp_path / "pool" / name).read_bytes() == (tmp_path / "dask" / name).read_bytes()
    assert "dask LocalCluster x1" in (tmp_path / "dask" / "timings.json").read_text()


def _result(v: float, n_points: int) -> PathResult:
    return PathResult(metrics={"x": v}, series={"s": np.full(n_points, v)})


def test_sink__repeated_path_index__refused_and_not_counted(tmp_path: Path) -> None:
    sink = Sink(tmp_path, 3, 4, keep_paths=0)
    sink.add(1, _result(1.0, 4))
    with pytest.raises(InvalidInput) as info:
        sink.add(1, _result(2.0, 4))  # a re-run chunk delivered twice
    assert info.value.code == "stress/duplicate-path"
    sink.add(0, _result(0.5, 4))
    sink.close()
    assert sink.count == 2
    assert (tmp_path / "paths.csv").read_text().splitlines() == ["path,x", "1,1.0", "0,0.5"]
    assert np.load(tmp_path / "series" / "s.npy")[1].tolist() == [1.0] * 4


@pytest.mark.parametrize("index", [-1, 3])
def test_sink__index_outside_run__refused(tmp_path: Path, index: int) -> None:
    sink = Sink(tmp_path, 3, 4, keep_paths=0)
    with pytest.raises(InvalidInput) as info:
        sink.add(index, _result(1.0, 4))
    sink.close()
    assert info.value.code == "stress/bad-path-index" and sink.count == 0


@pytest.mark.parametrize("text", ["", "localhost", "tcp://", "host:8786", "://x:1"])
def test_check_scheduler__not_local_nor_address__refused(text: str) -> None:
    with pytest.raises(InvalidInput) as info:
        check_scheduler(text)
    assert info.value.code == "stress/bad-scheduler"


@pytest.mark.parametrize("text", ["local", "tcp://10.0.0.5:8786", "tls://h:1"])
def test_check_scheduler__local_or_address__accepted(text: str) -> None:
    check_scheduler(text)


def test_dask_backend__no_scheduler_there__one_line_error(tmp_path: Path) -> None:
    with (
        pytest.raises(InvalidInput) as info,
        DaskBackend("tcp://127.0.0.1:9", dashboard=False, connect_timeout_s=1),
    ):
        pass
    assert info.value.code == "stress/no-scheduler"


def test_cli_stress__bad_scheduler__exit_2_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc = main(["stress", str(SMALL), "--paths", "2", "--out", str(tmp_path), "--scheduler", "x"])
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("peglab: error: stress/bad-scheduler:")
    assert len(err.strip().splitlines()) == 1
