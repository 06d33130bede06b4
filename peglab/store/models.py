"""SQLAlchemy 2 tables of the store: accounts, API keys, sandboxes, the action log, snapshots, jobs.

Amounts never appear as numbers: arguments, results and events are exact tagged JSON text
(``store.codec``); sequence numbers and chain times are 64-bit integers (they count, they are
not amounts). The log is append-only: rows are inserted, never updated; deleting a sandbox
deletes its rows. The schema is created and upgraded by the Alembic migrations in
``store/migrations`` (never by ``create_all``), so a database is always at a known revision.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ["Account", "ApiKey", "Base", "Job", "LogRow", "SandboxRow", "Snapshot"]


class Base(DeclarativeBase):
    pass


class Account(Base):
    """A user of the service; acts in every sandbox as the chain account of the same name."""

    __tablename__ = "accounts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]


class ApiKey(Base):
    """An API key of an account: only its SHA-256 is stored, and an 8-character prefix to show."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    key_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]


class SandboxRow(Base):
    """A sandbox: its genesis (exact JSON), owner, head (last seq and hash) and fork origin."""

    __tablename__ = "sandboxes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    genesis: Mapped[str] = mapped_column(Text)
    genesis_hash: Mapped[str] = mapped_column(String(64))
    parent_name: Mapped[str | None] = mapped_column(String(64), nullable=True)
    fork_seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime]


class LogRow(Base):
    """One acknowledged operation of a sandbox, in order (``seq`` from 1, no gaps)."""

    __tablename__ = "action_log"
    sandbox_id: Mapped[int] = mapped_column(
        ForeignKey("sandboxes.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), index=True)
    target: Mapped[str] = mapped_column(String(256))
    args: Mapped[str] = mapped_column(Text)
    sender: Mapped[str] = mapped_column(String(64), index=True)
    wall_time: Mapped[datetime]
    chain_time: Mapped[int] = mapped_column(BigInteger)
    result: Mapped[str] = mapped_column(Text)
    events: Mapped[str] = mapped_column(Text)
    event_kinds: Mapped[str] = mapped_column(Text)  # " kind1 kind2 " for filtering
    state_hash: Mapped[str] = mapped_column(String(64))


class Snapshot(Base):
    """A pickled world after ``seq`` operations, with the state hash it must reproduce."""

    __tablename__ = "snapshots"
    sandbox_id: Mapped[int] = mapped_column(
        ForeignKey("sandboxes.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    state_hash: Mapped[str] = mapped_column(String(64))
    blob: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]


class Job(Base):
    """A stress run started from the service: status, progress and its run directory."""

    __tablename__ = "jobs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    scenario: Mapped[str] = mapped_column(String(128))
    paths: Mapped[int] = mapped_column(Integer)
    seed: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))  # queued, running, done, failed
    done_paths: Mapped[int] = mapped_column(Integer, default=0)
    out_dir: Mapped[str] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None] = mapped_column(nullable=True)
