"""Database URL, engine and schema migrations of the store.

``database_url()``: ``PEGLAB_DATABASE_URL`` if set (``postgresql://user@host/db`` uses psycopg 3),
else a SQLite file ``peglab.db`` in the user's data directory (``platformdirs``; on Linux
``~/.local/share/peglab``). SQLite runs in WAL mode with ``synchronous=FULL``: a commit returns
after the write-ahead log is on disk, so an acknowledged action survives ``kill -9`` and power
loss. ``open_engine`` applies every Alembic migration up to head before anything else runs.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event

from ..errors import InvalidInput

__all__ = ["database_url", "open_engine", "upgrade"]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def database_url() -> str:
    """The configured database URL (see the module docstring)."""
    url = os.environ.get("PEGLAB_DATABASE_URL", "").strip()
    if url:
        return url
    from platformdirs import user_data_dir

    path = Path(user_data_dir("peglab")) / "peglab.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def _normalise(url: str) -> str:
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def open_engine(url: str | None = None) -> Engine:
    """An engine for ``url`` (default ``database_url()``), migrated to the newest schema."""
    raw = _normalise(url or database_url())
    if not (raw.startswith("sqlite") or raw.startswith("postgresql")):
        raise InvalidInput(
            "store/bad-url", f"unsupported database URL {raw!r} (sqlite or postgresql)"
        )
    if raw.startswith("sqlite"):
        engine = create_engine(raw, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

    else:
        engine = create_engine(raw, pool_pre_ping=True, pool_size=8, max_overflow=8)
    upgrade(engine)
    return engine


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run the Alembic migrations on ``engine`` up to ``revision``."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
