"""Where Monte Carlo chunks run: the local process pool (default) or dask.distributed (docs/scale.md).

The driver (``risk.montecarlo``) cuts the path indices ``0..N-1`` into chunks and hands them to a
:class:`Backend`, which runs them somewhere and yields each chunk's results as it completes, with
at most ``in_flight`` chunks submitted and not yet consumed (so memory is bounded by the chunk
size, not by the number of paths). A result depends only on the scenario, the root seed and the
path index (``path_seed``), never on where or in which order it ran, so every backend gives the
same bytes.

* :class:`LocalPool`: ``workers = 1`` runs in-process (full tracebacks); otherwise a
  ``ProcessPoolExecutor`` whose workers receive the job once (initializer). A dead worker
  process breaks the pool and fails the run (the standard library offers no recovery).
* :class:`DaskBackend`: ``"local"`` starts a ``LocalCluster`` (processes, one thread each);
  ``"tcp://host:port"`` connects to a running scheduler. Each chunk is one task with a
  deterministic key. When a worker is lost, the scheduler re-runs the chunks it held on another
  worker; a chunk's result is consumed once, from its single future, so nothing is counted twice
  (``rundir.Sink`` also refuses a repeated path index). A chunk whose workers die more than
  ``distributed.scheduler.allowed-failures`` times fails the run with ``stress/worker-lost``.
"""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from importlib.util import find_spec
from types import TracebackType
from typing import Any, Protocol

import numpy as np

from ..errors import InvalidInput, PeglabError
from ..sim.results import PathResult, RunPath
from ..sim.scenario import Scenario

__all__ = [
    "Backend",
    "Batched",
    "ChunkFn",
    "ChunkJob",
    "ChunkResult",
    "DaskBackend",
    "Job",
    "LocalPool",
    "Model",
    "VariantJob",
    "lend",
    "make_backend",
    "model_name",
    "path_seed",
]

ChunkResult = list[tuple[int, PathResult]]


def path_seed(root: int, index: int) -> np.random.SeedSequence:
    """``SeedSequence(root).spawn(N)[index]`` without spawning the others."""
    return np.random.SeedSequence(root, spawn_key=(index,))


ChunkFn = Callable[[Scenario, Sequence[np.random.SeedSequence]], list[PathResult]]


@dataclass(frozen=True)
class Batched:
    """A model that runs a whole chunk of paths in one call, paths as an array dimension
    (``sim.runner.vector_chunk``): ``fn(scenario, seeds)`` returns one result per seed, in order,
    and a path's result must not depend on the other paths of its chunk."""

    fn: ChunkFn


Model = RunPath | Batched


def model_name(model: Model) -> str:
    """``module:qualname`` of a model's function (recorded in ``summary.json``)."""
    fn: Any = model.fn if isinstance(model, Batched) else model
    return f"{getattr(fn, '__module__', '?')}:{getattr(fn, '__qualname__', repr(fn))}"


@dataclass(frozen=True)
class ChunkJob:
    """What every chunk needs: the model, the scenario and the root seed (picklable).

    A per-path model (``RunPath``) runs the chunk's paths one after the other; a
    :class:`Batched` model gets the whole chunk in ONE call.
    """

    run_path: Model
    scenario: Scenario
    root: int

    def __call__(self, indices: Sequence[int]) -> ChunkResult:
        model = self.run_path
        if isinstance(model, Batched):
            return self._batch(model, indices)
        out = []
        for i in indices:
            try:
                out.append((i, model(self.scenario, i, path_seed(self.root, i))))
            except Exception as e:
                e.add_note(
                    f"while running path {i} (seed {self.root}); rerun it alone with workers=1"
                )
                raise
        return out

    def _batch(self, model: Batched, indices: Sequence[int]) -> ChunkResult:
        idx = list(indices)
        try:
            results = model.fn(self.scenario, [path_seed(self.root, i) for i in idx])
        except PeglabError:
            raise  # a typed refusal (no vectorised model...) reaches the user as itself
        except Exception as e:
            e.add_note(f"while running paths {idx[0]}..{idx[-1]} (seed {self.root}) as one batch")
            raise
        if len(results) != len(idx):
            raise RuntimeError(f"{model_name(model)}: {len(results)} results for {len(idx)} paths")
        return list(zip(idx, results, strict=True))


@dataclass(frozen=True)
class VariantJob:
    """Several runs' chunks as one stream (``montecarlo.run_variants``): path ``i`` of run ``v``
    travels as index ``v * stride + i``, and a chunk never spans two runs."""

    jobs: tuple[ChunkJob, ...]
    stride: int

    def __call__(self, indices: Sequence[int]) -> ChunkResult:
        v = indices[0] // self.stride
        base = v * self.stride
        if indices[-1] // self.stride != v:
            raise ValueError(f"chunk {indices[0]}..{indices[-1]} spans two runs")
        return [(base + i, r) for i, r in self.jobs[v]([i - base for i in indices])]


Job = ChunkJob | VariantJob


class Backend(Protocol):
    """Runs chunks of path indices somewhere and yields each chunk's results as it completes.

    Used as a context manager (``__enter__`` starts or connects, ``__exit__`` releases).
    ``workers`` (valid once entered) sizes the chunks; ``label`` is one line for the terminal
    and ``timings.json``.
    """

    @property
    def workers(self) -> int: ...

    @property
    def label(self) -> str: ...

    def __enter__(self) -> Backend: ...

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    def map_chunks(
        self, job: Job, chunks: Iterator[list[int]], in_flight: int
    ) -> Iterator[ChunkResult]: ...


# --- the local process pool ------------------------------------------------------------------

_WORKER: dict[str, Job] = {}


def _init_worker(job: Job) -> None:
    _WORKER["job"] = job


def _run_chunk(indices: list[int]) -> ChunkResult:
    return _WORKER["job"](indices)


class LocalPool:
    """``workers`` processes on this machine (``workers = 1``: in this process)."""

    def __init__(self, workers: int) -> None:
        self._workers = workers

    @property
    def workers(self) -> int:
        return self._workers

    @property
    def label(self) -> str:
        return f"process pool x{self._workers}"

    def __enter__(self) -> LocalPool:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None

    def map_chunks(
        self, job: Job, chunks: Iterator[list[int]], in_flight: int
    ) -> Iterator[ChunkResult]:
        if self._workers == 1:
            for c in chunks:
                yield job(c)
            return
        with ProcessPoolExecutor(
            max_workers=self._workers, initializer=_init_worker, initargs=(job,)
        ) as pool:
            pending: set[Future[ChunkResult]] = set()
            for c in chunks:
                pending.add(pool.submit(_run_chunk, c))
                if len(pending) >= in_flight:
                    break
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    yield fut.result()
                    nxt = next(chunks, None)
                    if nxt is not None:
                        pending.add(pool.submit(_run_chunk, nxt))


# --- dask.distributed ------------------------------------------------------------------------


def _dask_chunk(job: Job, indices: list[int]) -> ChunkResult:
    return job(indices)


class DaskBackend:
    """Chunks as dask tasks on a ``LocalCluster`` (``"local"``) or a running scheduler."""

    def __init__(
        self,
        scheduler: str,
        workers: int = 2,
        *,
        dashboard: bool = True,
        connect_timeout_s: float = 10.0,
    ) -> None:
        check_scheduler(scheduler)
        self.scheduler, self._n_local, self._dashboard = scheduler, workers, dashboard
        self.connect_timeout_s = connect_timeout_s
        self._client: Any = None
        self._cluster: Any = None

    @property
    def workers(self) -> int:
        if self._client is None:
            return self._n_local
        return max(1, int(sum(self._client.nthreads().values())))

    @property
    def dashboard_link(self) -> str | None:
        if self._client is None or not self._dashboard or find_spec("bokeh") is None:
            return None  # without bokeh the scheduler serves no dashboard
        link = self._client.dashboard_link
        return str(link) if link else None

    @property
    def label(self) -> str:
        where = "LocalCluster" if self.scheduler == "local" else self.scheduler
        text = f"dask {where} x{self.workers}"
        link = self.dashboard_link
        return f"{text}, dashboard {link}" if link else text

    def __enter__(self) -> DaskBackend:
        dd = _distributed()
        try:
            if self.scheduler == "local":
                self._cluster = dd.LocalCluster(
                    n_workers=self._n_local,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":0" if self._dashboard else None,
                    silence_logs=40,  # logging.ERROR: a lost worker is handled, not shouted
                )
                self._client = dd.Client(self._cluster)
            else:
                self._client = dd.Client(self.scheduler, timeout=f"{self.connect_timeout_s}s")
        except OSError as e:
            self.__exit__(None, None, None)
            raise InvalidInput(
                "stress/no-scheduler", f"cannot reach dask scheduler {self.scheduler}: {e}"
            ) from None
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def map_chunks(
        self, job: Job, chunks: Iterator[list[int]], in_flight: int
    ) -> Iterator[ChunkResult]:
        dd = _distributed()
        client = self._client
        run_id = uuid.uuid4().hex[:12]  # a pickled job is a few kB: it travels with each task

        def submit(c: list[int]) -> Any:
            key = f"peglab-chunk-{run_id}-{c[0]}-{c[-1]}"
            return client.submit(_dask_chunk, job, c, key=key, pure=False)

        pending = dd.as_completed()
        for n, c in enumerate(chunks, start=1):
            pending.add(submit(c))
            if n >= in_flight:
                break
        try:
            for fut in pending:
                res: ChunkResult = fut.result()
                fut.release()
                yield res
                nxt = next(chunks, None)
                if nxt is not None:
                    pending.add(submit(nxt))
        except dd.KilledWorker as e:
            raise InvalidInput(
                "stress/worker-lost", f"a chunk's workers died too often, giving up: {e}"
            ) from None


def _distributed() -> Any:
    """The ``distributed`` module (an optional dependency, untyped: used as ``Any``)."""
    try:
        return importlib.import_module("distributed")
    except ImportError:
        raise InvalidInput(
            "stress/no-dask",
            "the dask backend needs dask.distributed: pip install 'peglab[cluster]'",
        ) from None


def check_scheduler(scheduler: str) -> None:
    """``"local"`` or ``<protocol>://host:port``; anything else is ``stress/bad-scheduler``."""
    proto, sep, rest = scheduler.partition("://")
    if scheduler == "local" or (sep and proto.isalnum() and rest):
        return
    raise InvalidInput(
        "stress/bad-scheduler",
        f"--scheduler must be 'local' or an address like tcp://host:8786, got {scheduler!r}",
    )


def make_backend(scheduler: str | None, workers: int) -> Backend:
    """The process pool when ``scheduler`` is None, else dask (``"local"`` or an address)."""
    if scheduler is None:
        return LocalPool(workers)
    return DaskBackend(scheduler, workers)


class _Lent:
    """A backend entered once by its owner, lent to each run (enter and exit do nothing)."""

    def __init__(self, inner: Backend) -> None:
        self.inner = inner

    @property
    def workers(self) -> int:
        return self.inner.workers

    @property
    def label(self) -> str:
        return self.inner.label

    def __enter__(self) -> _Lent:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None

    def map_chunks(
        self, job: Job, chunks: Iterator[list[int]], in_flight: int
    ) -> Iterator[ChunkResult]:
        return self.inner.map_chunks(job, chunks, in_flight)


def lend(backend: Backend) -> Backend:
    """``backend`` (already entered) for ``run_monte_carlo`` calls that must not close it."""
    return _Lent(backend)
