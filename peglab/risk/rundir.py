"""The run-directory format: what the Monte Carlo driver writes and the report reads.

One module owns it, so the driver (``risk.montecarlo``) and the report (``risk.report``) never
import each other. Files in a run directory:

| File | Content |
|---|---|
| ``summary.json`` | seed, scenario (name, hash, description, sources), peglab version, parameters, metrics with bootstrap CIs; deterministic bytes for a seed |
| ``metrics.json`` | the families of the run: instances, metric specs (unit, loss, headline, total), series specs |
| ``timings.json`` | wall clock, throughput, workers (what varies between identical runs) |
| ``paths.csv`` | ``path`` + one column per scalar metric, rewritten sorted by path at the end |
| ``series/<name>.npy`` | float32 ``(paths, points)`` matrices, each row written in place as its path arrives (:class:`SeriesFile`) |
| ``paths/path-<i>.csv`` | the full series of the first ``keep_paths`` paths |
| ``tiers/plan.json``, ``tiers/exact/paths.csv`` | tiered runs: the selected paths and their exact values (``summary.json`` ``tiers``: the statistics) |
| ``report.html`` | the offline report |

A run into a directory that holds an earlier run first removes that run's entries (these, and
``sensitivity/`` and ``sensitivity.json``: :data:`RUN_ENTRIES`, :func:`clear_run`); other files
there are left alone.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InvalidInput
from ..sim.family import MetricSpec, SeriesSpec, metric_spec
from ..sim.results import PathResult

__all__ = [
    "RUN_ENTRIES",
    "Catalog",
    "SeriesFile",
    "Sink",
    "append_paths_csv",
    "clear_run",
    "load_catalog",
    "load_summary",
    "read_paths_csv",
    "read_paths_table",
    "sort_paths_csv",
    "write_catalog",
    "write_json",
]


class Catalog:
    """The families of a run as recorded in ``metrics.json`` (``sim.family.catalog``)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.families: list[dict[str, Any]] = list(data.get("families", []))
        self.metrics: list[MetricSpec] = []
        self.series: list[SeriesSpec] = []
        for fam in self.families:
            for m in fam.get("metrics", []):
                spec = MetricSpec(**m)
                if all(spec.name != x.name for x in self.metrics):
                    self.metrics.append(spec)
            for s in fam.get("series", []):
                ss = SeriesSpec(**{**s, "guides": tuple(s.get("guides", ()))})
                if all(ss.name != x.name for x in self.series):
                    self.series.append(ss)

    def spec(self, column: str) -> MetricSpec | None:
        """The spec of ``<name>`` or ``<name>.<instance>`` (the longest registered name)."""
        return metric_spec(column, self.metrics)

    def is_loss(self, column: str) -> bool:
        s = self.spec(column)
        return bool(s and s.loss)

    def headline(self) -> list[str]:
        """Total columns shown in the headline table, in registration order."""
        return [m.name for m in self.metrics if m.headline and m.total is not None]


def write_json(path: Path, data: Any) -> None:
    """Deterministic JSON (sorted keys, 2-space indent, no NaN) ending in a newline."""
    text = json.dumps(data, indent=2, sort_keys=True, allow_nan=False) + "\n"
    path.write_text(text, encoding="utf-8")


RUN_ENTRIES = (
    "metrics.json",
    "paths.csv",
    "paths",
    "series",
    "summary.json",
    "timings.json",
    "tiers",
    "sensitivity",
    "sensitivity.json",
    "report.html",
)  # what one Monte Carlo run writes into its directory (nothing else there is touched)


def clear_run(out: Path) -> None:
    """Remove what an earlier run left in ``out`` (:data:`RUN_ENTRIES` only), so a run into an
    existing directory never reads or appends to another run's files (an exact tier appended to
    a stale ``tiers/exact/paths.csv`` once mixed two runs' rows)."""
    for name in RUN_ENTRIES:
        p = out / name
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        elif p.exists() or p.is_symlink():
            p.unlink()


def write_catalog(out: Path, catalog: dict[str, Any]) -> None:
    write_json(out / "metrics.json", catalog)


def load_catalog(out: str | Path) -> Catalog:
    """``metrics.json`` of a run directory (an empty catalog when absent)."""
    path = Path(out) / "metrics.json"
    if not path.is_file():
        return Catalog({})
    return Catalog(_read_json(path))


def load_summary(out_dir: str | Path) -> dict[str, Any]:
    """``summary.json`` of a run directory, or ``report/missing`` naming what is absent."""
    path = Path(out_dir) / "summary.json"
    if not path.is_file():
        raise InvalidInput(
            "report/missing", f"no summary.json in {out_dir}; run a stress test there first"
        )
    return _read_json(path)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise InvalidInput(
            "report/invalid", f"{path}: not valid JSON ({e.msg}, line {e.lineno})"
        ) from None
    return data


class SeriesFile:
    """A float32 ``(rows, points)`` ``.npy`` matrix written one row at a time in place.

    The header is the one ``np.lib.format.open_memmap`` writes and the file has its full size
    from the start (unwritten rows read as zeros), so the bytes are those of a memory-mapped
    matrix; but each row goes to the file with a positioned write instead of through a mapping,
    so rows already written do not stay resident in the driver (docs/scale.md "Memory"): its
    memory does not grow with the number of paths while it streams.
    """

    def __init__(self, path: Path, rows: int, points: int) -> None:
        self.points = points
        self._fh = path.open("w+b")
        header = {"descr": "<f4", "fortran_order": False, "shape": (rows, points)}
        np.lib.format.write_array_header_1_0(self._fh, header)
        self._fh.flush()
        self.offset = self._fh.tell()
        self._fh.truncate(self.offset + rows * points * 4)

    def write_row(self, row: int, values: np.ndarray) -> None:
        """Row ``row`` := ``values`` rounded to float32 (as an assignment into the matrix would)."""
        data = np.ascontiguousarray(values, dtype="<f4").tobytes()
        os.pwrite(self._fh.fileno(), data, self.offset + row * self.points * 4)

    def close(self) -> None:
        self._fh.close()


class Sink:
    """Writes results as they arrive: CSV rows, memmapped series, full series of kept paths.

    Each path index is accepted once: a repeated index (a backend delivering a re-run chunk
    twice) is refused with ``stress/duplicate-path`` before anything is written, and an index
    outside the run with ``stress/bad-path-index``; so no path is ever counted twice.

    ``indices``: the path indices this sink takes when they are not ``0..n_paths-1`` (the exact
    tier of a tiered run: series rows then follow the sorted indices); ``series=False`` writes
    the scalar table only.
    """

    def __init__(
        self,
        out: Path,
        n_paths: int,
        n_points: int,
        keep_paths: int,
        *,
        indices: Sequence[int] | None = None,
        series: bool = True,
    ) -> None:
        self.out, self.n_paths, self.n_points, self.keep = out, n_paths, n_points, keep_paths
        self._row: dict[int, int] | None = None
        if indices is not None:
            self._row = {i: r for r, i in enumerate(sorted(set(indices)))}
            self.n_paths = len(self._row)
        self._series = series
        self.columns: list[str] | None = None
        self.series_names: list[str] | None = None
        self.files: dict[str, SeriesFile] = {}
        if series:
            (out / "series").mkdir(parents=True, exist_ok=True)
            (out / "paths").mkdir(exist_ok=True)
        self._fh = (out / "paths.csv").open("w", newline="", encoding="utf-8")
        self._csv = csv.writer(self._fh)
        self.count = 0
        self._seen = np.zeros(self.n_paths, dtype=np.bool_)

    def _position(self, index: int) -> int:
        if self._row is None:
            if 0 <= index < self.n_paths:
                return index
            where = f"outside [0, {self.n_paths})"
        else:
            row = self._row.get(index)
            if row is not None:
                return row
            where = "not one of this run's paths"
        raise InvalidInput("stress/bad-path-index", f"path {index} is {where}")

    def add(self, index: int, res: PathResult) -> None:
        row = self._position(index)
        if self._seen[row]:
            raise InvalidInput("stress/duplicate-path", f"path {index} was already written")
        metrics = {k: float(v) for k, v in res.metrics.items()}
        if self.columns is None:
            self.columns = sorted(metrics)
            self._csv.writerow(["path", *self.columns])
            self.series_names = sorted(res.series) if self._series else []
            for name in self.series_names:
                path = self.out / "series" / f"{name}.npy"
                self.files[name] = SeriesFile(path, self.n_paths, self.n_points)
        if sorted(metrics) != self.columns:
            raise InvalidInput(
                "stress/inconsistent-metrics",
                f"path {index} returned metrics {sorted(metrics)}, expected {self.columns}",
            )
        self._csv.writerow([index, *(repr(metrics[c]) for c in self.columns)])
        assert self.series_names is not None
        for name in self.series_names:
            arr = np.asarray(res.series[name], dtype=np.float64)
            if arr.shape != (self.n_points,):
                raise InvalidInput(
                    "stress/bad-series",
                    f"path {index}: series {name!r} has shape {arr.shape}, expected ({self.n_points},)",
                )
            self.files[name].write_row(row, arr)
        if index < self.keep and self.series_names:
            with (self.out / "paths" / f"path-{index:05d}.csv").open("w", newline="") as fh:
                w = csv.writer(fh)
                w.writerow(["point", *self.series_names])
                for j in range(self.n_points):
                    w.writerow([j, *(repr(float(res.series[n][j])) for n in self.series_names)])
        self._seen[row] = True
        self.count += 1
        if self.count % 64 == 0:
            self._fh.flush()

    def close(self) -> None:
        self._fh.close()
        for f in self.files.values():
            f.close()
        self.files.clear()


def sort_paths_csv(path: Path) -> None:
    """Rewrite ``paths.csv`` sorted by path (bytes independent of completion order)."""
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    if not rows:
        return
    header, body = rows[0], rows[1:]
    body.sort(key=lambda r: int(r[0]))
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(body)
    tmp.replace(path)


def append_paths_csv(path: Path, more: Path) -> None:
    """Append the rows of ``more`` (a ``paths.csv`` with the same header) to ``path``."""
    with more.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    if not rows:
        return
    with path.open(newline="", encoding="utf-8") as fh:
        header = next(csv.reader(fh), None)
    if header is not None and header != rows[0]:
        raise InvalidInput("stress/paths-columns", f"{more} has other columns than {path}")
    with path.open("a", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        if header is None:
            w.writerow(rows[0])
        w.writerows(rows[1:])


def read_paths_csv(path: Path) -> tuple[list[str], np.ndarray]:
    """Columns (without ``path``) and the float matrix ``(N, columns)`` of a paths.csv."""
    _, columns, data = read_paths_table(path)
    return columns, data


def read_paths_table(path: Path) -> tuple[list[int], list[str], np.ndarray]:
    """The path indices (the ``path`` column), the other columns and their float matrix.

    The rows are parsed by ``np.loadtxt``, whose floats are Python's (``PyOS_string_to_double``,
    correctly rounded, as ``float``): the same bits, 3.8 times faster at 10,000 paths than a
    ``float`` per cell."""
    with path.open(encoding="utf-8") as fh:
        header = next(csv.reader([fh.readline()]))
        start = fh.tell()
        if not fh.readline():
            return [], header[1:], np.empty((0, len(header) - 1))
        fh.seek(start)
        table = np.loadtxt(fh, delimiter=",", dtype=np.float64, comments=None, ndmin=2)
    if table.shape[1] != len(header):
        raise ValueError(f"{path}: {table.shape[1]} values a row under {len(header)} columns")
    return [int(i) for i in table[:, 0]], header[1:], np.ascontiguousarray(table[:, 1:])
