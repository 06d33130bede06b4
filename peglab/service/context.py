"""What a running server holds: the store, the live sandboxes, the jobs, the runs directory."""

from __future__ import annotations

from pathlib import Path

from ..store import Store
from .jobs import Jobs
from .sandboxes import Sandboxes

__all__ = ["Service"]


class Service:
    """Everything a running server holds: the store, live sandboxes, jobs, the runs directory."""

    def __init__(self, store: Store, runs_dir: Path, *, job_workers: int = 1) -> None:
        self.store = store
        self.sandboxes = Sandboxes(store)
        self.runs_dir = runs_dir
        self.jobs = Jobs(store, runs_dir, workers=job_workers)
