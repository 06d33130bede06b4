"""Shared helpers for the store/service tests: a real server process, a real PostgreSQL.

``running_server(url, tmp)`` starts ``peglab serve`` as a child process (the real CLI, uvicorn)
and yields a client for it; ``postgres_url(tmp)`` initialises and starts a throwaway PostgreSQL
cluster (as the ``postgres`` user when run as root) and returns its URL, or skips the test with
the reason when PostgreSQL is not installed. No test lives here.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from peglab.service.server import READY

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A ``peglab serve`` child process on a free port."""

    def __init__(self, url: str, tmp: Path, *, env: dict[str, str] | None = None) -> None:
        self.url = url
        self.tmp = tmp
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "PEGLAB_RUNS_DIR": str(tmp / "runs"), **(env or {})}
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 300.0) -> None:
        """Start ``peglab serve`` and block until it prints its ready line (``server.READY``:
        the socket is bound and listening), its exit, or ``timeout_s``: no polling, no sleep.

        A thread copies the server's output to its log file and sets an event on the ready line
        or at the end of the output; the deadline is generous because a loaded machine (load 8
        on 2 cores) can take minutes to import and build the app, and a miss says how long it
        waited, the load average and what the server printed.
        """
        cmd = [
            sys.executable,
            "-m",
            "peglab.cli",
            "serve",
            "--port",
            str(self.port),
            "--database-url",
            self.url,
        ]
        log = self.tmp / f"server-{self.port}.log"
        self.proc = proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=self.env, cwd=ROOT
        )
        ready, ended = threading.Event(), threading.Event()

        def pump() -> None:  # until the server's output ends (it exits), so the pipe never fills
            assert proc.stdout is not None
            with log.open("ab") as out:
                for line in proc.stdout:
                    out.write(line)
                    out.flush()
                    if line.startswith(READY.encode()):
                        ready.set()
            ended.set()
            ready.set()  # wake the waiter: the output ended before or after the ready line

        threading.Thread(target=pump, name=f"server-{self.port}-output", daemon=True).start()
        t0 = time.monotonic()
        if not ready.wait(timeout_s):
            raise RuntimeError(
                f"peglab serve printed no ready line within {timeout_s:.0f} s (load average "
                f"{os.getloadavg()[0]:.1f}); its output:\n{self.output()}"
            )
        if ended.is_set():
            code = proc.wait()
            raise RuntimeError(
                f"peglab serve exited with {code} before it was ready "
                f"({time.monotonic() - t0:.1f} s); its output:\n{self.output()}"
            )
        r = httpx.get(self.base + "/api/systems", timeout=timeout_s)  # listening: one request
        assert r.status_code == 200, f"/api/systems answered {r.status_code}: {r.text[:500]}"

    def output(self) -> str:
        log = self.tmp / f"server-{self.port}.log"
        return log.read_text(errors="replace")[-3000:] if log.is_file() else ""

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


@contextlib.contextmanager
def running_server(url: str, tmp: Path, **kw: Any) -> Iterator[Server]:
    srv = Server(url, tmp, **kw)
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


class Client:
    """A thin JSON client for one account."""

    def __init__(self, base: str, key: str | None = None) -> None:
        self.base = base
        self.http = httpx.Client(base_url=base, timeout=30)
        self.key = key

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"} if self.key else {}

    def post(self, path: str, body: Any = None) -> httpx.Response:
        return self.http.post(path, json=body if body is not None else {}, headers=self.headers())

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.http.get(path, params=params, headers=self.headers())

    def act(self, sandbox: str, action: str, target: str = "", **args: Any) -> httpx.Response:
        family, cls, method = action.split(".")
        return self.post(
            f"/api/sandboxes/{sandbox}/actions/{family}/{cls}/{method}",
            {"target": target, "args": args},
        )


def signup(base: str, name: str) -> Client:
    r = httpx.post(base + "/api/accounts", json={"name": name}, timeout=30)
    assert r.status_code == 201, r.text
    return Client(base, r.json()["api_key"])


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@contextlib.contextmanager
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL cluster for one test; skipped with the reason if it cannot run."""
    pytest.importorskip("psycopg", reason="psycopg is not installed (pip install psycopg[binary])")
    bindir = _pg_bin()
    if bindir is None:
        pytest.skip(
            "PostgreSQL is not installed here (CI installs it: apt-get install -y postgresql)"
        )
    run_as: list[str] = []
    tmp = Path(
        tempfile.mkdtemp(prefix="peglab-pg-")
    )  # outside pytest's 0700 tree: postgres reads it
    data = tmp / "pgdata"
    sock = tmp / "pgsock"
    sock.mkdir(exist_ok=True)
    if os.geteuid() == 0:  # initdb refuses root; use the postgres system user
        try:
            import pwd

            pw = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no postgres user to run PostgreSQL as")
        run_as = ["runuser", "-u", "postgres", "--"]
        os.chmod(tmp, 0o777)
        os.chown(sock, pw.pw_uid, pw.pw_gid)
    port = free_port()
    subprocess.run(
        [
            *run_as,
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-A",
            "trust",
            "-U",
            "peglab",
            "--no-sync",
        ],
        check=True,
        capture_output=True,
    )
    logf = tmp / "pg.log"
    if run_as:
        logf.touch()
        os.chown(logf, pw.pw_uid, pw.pw_gid)
    subprocess.run(
        [
            *run_as,
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(logf),
            "-w",
            "-o",
            f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=on",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        subprocess.run(
            [
                *run_as,
                str(bindir / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "peglab",
                "peglab",
            ],
            check=True,
            capture_output=True,
        )
        yield f"postgresql://peglab@127.0.0.1:{port}/peglab"
    finally:
        subprocess.run(
            [*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(tmp, ignore_errors=True)
