"""Run the service: ``peglab serve`` (uvicorn, one process: the live worlds are in its memory)."""

from __future__ import annotations

import argparse
import os
import socket
from pathlib import Path

from fastapi import FastAPI

from ..store import Store, database_url
from .app import Service, create_app

__all__ = ["READY", "build_app", "cmd_serve", "serve", "serve_arguments"]


def _runs_dir(url: str) -> Path:
    env = os.environ.get("PEGLAB_RUNS_DIR")
    if env:
        return Path(env)
    if url.startswith("sqlite:///"):
        return Path(url.removeprefix("sqlite:///")).parent / "runs"
    from platformdirs import user_data_dir

    return Path(user_data_dir("peglab")) / "runs"


def build_app(url: str | None = None, runs_dir: Path | None = None) -> FastAPI:
    """The app on the database at ``url`` (default: ``PEGLAB_DATABASE_URL`` or the SQLite file)."""
    url = url or database_url()
    store = Store(url)
    return create_app(Service(store, runs_dir or _runs_dir(url)))


READY = "peglab service ready: listening on"  # the line that says the socket accepts requests


def serve(host: str = "127.0.0.1", port: int = 8000, url: str | None = None) -> None:
    """Start uvicorn on ``host:port``; logs the database in use, then one line (``READY``) once
    the socket is bound and listening, the moment a client may send requests."""
    import uvicorn

    class _Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if not self.should_exit:  # a failed bind sets should_exit and never listens
                print(f"{READY} http://{host}:{port}", flush=True)

    url = url or database_url()
    app = build_app(url)
    shown = url.split("@")[-1] if "@" in url else url
    print(
        f"peglab service on http://{host}:{port}  (database: {shown}; dashboard at /, API at /docs)",
        flush=True,
    )
    _Server(uvicorn.Config(app, host=host, port=port, log_level="warning")).run()


def serve_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``peglab serve``."""
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument(
        "--database-url",
        default=None,
        help="SQLAlchemy URL (default: PEGLAB_DATABASE_URL, else a SQLite file in the data dir)",
    )


def cmd_serve(args: argparse.Namespace) -> None:
    """``peglab serve``: run until interrupted."""
    if not 0 < args.port < 65536:
        from ..errors import InvalidInput

        raise InvalidInput("cli/bad-port", f"port must be in 1-65535, got {args.port}")
    serve(args.host, args.port, args.database_url)
