"""Stress runs as background jobs: one child process per job, progress counted on disk.

A job runs ``peglab.risk.montecarlo.run_stress`` (the exact engine) in a child process
(``python -m peglab.service.jobs``), so a long run never blocks the server and a crashed run
never takes it down. Progress: the child wraps the runner so every finished path leaves a marker
file in ``<run dir>/.progress/``; the server counts them. The wrapper reports the runner's own
module and name, so ``summary.json`` is the same as ``peglab stress`` would write. Jobs run one at
a time (the machine's cores belong to the job). A job still queued or running when the server
stops is marked failed at the next start, unless its run finished (then it is done).
"""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ..errors import InvalidInput
from ..store import Store
from ..store.models import Account, Job
from ..store.store import now_utc

__all__ = ["Jobs", "main"]

PROGRESS = ".progress"


class Jobs:
    """Start, track and list stress jobs (see the module docstring)."""

    def __init__(self, store: Store, runs_dir: Path, *, workers: int = 1) -> None:
        self.store = store
        self.runs_dir = runs_dir
        self.workers = workers
        self._one_at_a_time = threading.Semaphore(1)
        self._procs: dict[int, subprocess.Popen[bytes]] = {}
        self._recover()

    def _recover(self) -> None:
        with self.store.session.begin() as s:
            for job in s.scalars(select(Job).where(Job.status.in_(("queued", "running")))):
                done = (Path(job.out_dir) / "report.html").is_file()
                job.status = "done" if done else "failed"
                job.error = None if done else "interrupted: the server stopped during the run"
                job.finished_at = now_utc()

    def start(self, account: str, scenario: str, paths: int, seed: int) -> dict[str, Any]:
        """Queue a run of ``scenario``; returns the job."""
        from ..risk.library import load_scenario

        load_scenario(scenario)  # a bad name is refused now, in one line
        with self.store.session.begin() as s:
            acc = s.scalar(select(Account.id).where(Account.name == account))
            if acc is None:
                raise InvalidInput("account/unknown", f"no account {account!r}")
            job = Job(
                account_id=acc,
                scenario=scenario,
                paths=paths,
                seed=seed,
                status="queued",
                done_paths=0,
                out_dir="",
                created_at=now_utc(),
            )
            s.add(job)
            s.flush()
            job.out_dir = str(self.runs_dir / f"job-{job.id}")
            job_id = job.id
        threading.Thread(target=self._run, args=(job_id,), daemon=True).start()
        return self.get(job_id)

    def _run(self, job_id: int) -> None:
        with self._one_at_a_time:
            job = self._set(job_id, status="running")
            cmd = [
                sys.executable,
                "-m",
                "peglab.service.jobs",
                job.scenario,
                str(job.paths),
                str(job.seed),
                job.out_dir,
                str(self.workers),
            ]
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            self._procs[job_id] = proc
            _, err = proc.communicate()
            self._procs.pop(job_id, None)
            if proc.returncode == 0:
                self._set(job_id, status="done", done_paths=job.paths, finished_at=now_utc())
            else:
                last = (err.decode(errors="replace").strip().splitlines() or ["no output"])[-1]
                self._set(
                    job_id,
                    status="failed",
                    error=f"exit {proc.returncode}: {last[:500]}",
                    finished_at=now_utc(),
                )

    def _set(self, job_id: int, **values: Any) -> Job:
        with self.store.session.begin() as s:
            job = s.get(Job, job_id)
            assert job is not None
            for k, v in values.items():
                setattr(job, k, v)
            return job

    def get(self, job_id: int) -> dict[str, Any]:
        with self.store.session() as s:
            row = s.execute(
                select(Job, Account.name)
                .join(Account, Account.id == Job.account_id)
                .where(Job.id == job_id)
            ).first()
        if row is None:
            raise InvalidInput("job/unknown", f"no job {job_id}")
        return self._json(row[0], row[1])

    def list(self) -> list[dict[str, Any]]:
        with self.store.session() as s:
            rows = s.execute(
                select(Job, Account.name)
                .join(Account, Account.id == Job.account_id)
                .order_by(Job.id.desc())
            ).all()
        return [self._json(j, a) for j, a in rows]

    def _json(self, job: Job, account: str) -> dict[str, Any]:
        done = job.done_paths
        if job.status == "running":
            marks = Path(job.out_dir) / PROGRESS
            done = len(list(marks.iterdir())) if marks.is_dir() else 0
        report = Path(job.out_dir) / "report.html"
        return {
            "id": job.id,
            "account": account,
            "scenario": job.scenario,
            "paths": job.paths,
            "seed": job.seed,
            "status": job.status,
            "done_paths": done,
            "error": job.error,
            "run_dir": job.out_dir,
            "report": f"/runs/job-{job.id}/report.html" if report.is_file() else None,
            "created_at": job.created_at.isoformat() + "Z",
            "finished_at": job.finished_at.isoformat() + "Z" if job.finished_at else None,
        }


class _Counting:
    """The exact runner, leaving one marker file per finished path (picklable for workers)."""

    def __init__(self, run_path: Any, marks: Path) -> None:
        self.run_path = run_path
        self.marks = marks
        self.__module__ = run_path.__module__
        self.__qualname__ = run_path.__qualname__

    def __call__(self, sc: Any, index: int, seed_seq: Any) -> Any:
        res = self.run_path(sc, index, seed_seq)
        (self.marks / str(index)).touch()
        return res


def main(argv: list[str] | None = None) -> int:
    """Child process: ``python -m peglab.service.jobs SCENARIO PATHS SEED OUT_DIR WORKERS``."""
    from ..risk.montecarlo import run_stress
    from ..sim.runner import run_path

    scenario, paths, seed, out_dir, workers = argv if argv is not None else sys.argv[1:]
    marks = Path(out_dir) / PROGRESS
    marks.mkdir(parents=True, exist_ok=True)
    run_stress(
        scenario,
        int(paths),
        int(seed),
        out_dir,
        int(workers),
        _Counting(run_path, marks),
        progress=False,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
