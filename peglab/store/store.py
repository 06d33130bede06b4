"""The store: accounts and API keys, sandboxes, the append-only action log, snapshots, replay.

Write path (``append_rows``): consecutive operations in one database transaction, each a log row
(name, target, exact arguments, sender, wall and chain time, result, events, state hash after),
with any snapshot due among them. The service acknowledges an operation only after the
transaction holding its row has committed, so an acknowledged action is durable; a crash before
the commit leaves none of the rows, a crash after it all of them. ``seq`` numbers a sandbox's
operations from 1 without gaps; the primary key ``(sandbox, seq)`` makes a second writer for the
same position fail instead of forking history.

Read path (``load``): the newest snapshot at or below the head whose pickle loads and whose
state hash matches, then every later log row replayed through the same registry, each row's
state hash checked (``store/replay-diverged`` names the first row that differs). Genesis (seq 0)
always has a snapshot, and a world can always be rebuilt from its genesis record alone.

Snapshots: after every ``snapshot_every`` operations (default 256, ``PEGLAB_SNAPSHOT_EVERY``) and
at genesis; see ``world.dump_world`` for the encoding.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, Table, delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ..errors import InvalidInput, NotAuthorized
from .codec import decode, dumps, encode, loads
from .db import open_engine
from .models import Account, ApiKey, Base, LogRow, SandboxRow, Snapshot
from .world import Op, Outcome, SandboxWorld, dump_world, load_world

__all__ = ["ACCOUNT_RE", "LogEntryView", "PendingRow", "SandboxInfo", "Store", "now_utc"]

ACCOUNT_RE = re.compile(r"^[a-z][a-z0-9_-]{2,31}$")
SANDBOX_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,47}$")
RESERVED = frozenset({"gov", "root", "admin", "system", "service"})
LOG_TABLE: Table = Base.metadata.tables["action_log"]
SNAPSHOT_TABLE: Table = Base.metadata.tables["snapshots"]


def now_utc() -> datetime:
    """Wall-clock time for records (UTC, naive for portable storage). Never enters the engine."""
    return datetime.now(UTC).replace(tzinfo=None)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class SandboxInfo:
    """A sandbox's row as plain data."""

    id: int
    name: str
    owner: str
    genesis: dict[str, Any]
    parent: str | None
    fork_seq: int | None
    created_at: datetime


@dataclass(frozen=True)
class LogEntryView:
    """A log row decoded for reading (args as typed values, the rest as tagged JSON)."""

    seq: int
    name: str
    target: str
    args: dict[str, Any]
    sender: str
    wall_time: datetime
    chain_time: int
    result: Any
    events: list[dict[str, Any]]
    state_hash: str

    @property
    def op(self) -> Op:
        return Op(self.name, self.target, self.args, self.sender)


@dataclass(frozen=True)
class PendingRow:
    """An applied operation waiting for its commit, with the world's snapshot if one is due."""

    seq: int
    op: Op
    outcome: Outcome
    snapshot: bytes | None = None


def _view(row: LogRow) -> LogEntryView:
    return LogEntryView(
        row.seq,
        row.name,
        row.target,
        {k: decode(v) for k, v in loads(row.args).items()},
        row.sender,
        row.wall_time,
        row.chain_time,
        loads(row.result),
        loads(row.events),
        row.state_hash,
    )


class Store:
    """All persistence of the service (see the module docstring)."""

    def __init__(self, url: str | None = None, *, snapshot_every: int | None = None) -> None:
        self.engine: Engine = open_engine(url)
        self.session = sessionmaker(self.engine, expire_on_commit=False)
        every = snapshot_every or int(os.environ.get("PEGLAB_SNAPSHOT_EVERY", "256"))
        self.snapshot_every = max(1, every)
        self._ids: dict[str, int] = {}  # sandbox name -> row id (names are unique)

    def close(self) -> None:
        self.engine.dispose()

    # -- accounts -----------------------------------------------------------------------------
    def create_account(self, name: str) -> str:
        """Register ``name``; returns its first API key (shown once, stored as SHA-256)."""
        if not isinstance(name, str) or not ACCOUNT_RE.match(name) or name in RESERVED:
            raise InvalidInput(
                "account/bad-name",
                f"account names are 3-32 characters a-z, 0-9, '-', '_' starting with a letter, "
                f"and not {', '.join(sorted(RESERVED))}; got {name!r}",
            )
        with self.session.begin() as s:
            if s.scalar(select(Account.id).where(Account.name == name)) is not None:
                raise InvalidInput("account/taken", f"account {name!r} already exists")
            acc = Account(name=name, created_at=now_utc())
            s.add(acc)
            s.flush()
            return self._new_key(s, acc.id)

    def add_key(self, account: str) -> str:
        """A further API key for ``account``."""
        with self.session.begin() as s:
            acc_id = s.scalar(select(Account.id).where(Account.name == account))
            if acc_id is None:
                raise InvalidInput("account/unknown", f"no account {account!r}")
            return self._new_key(s, acc_id)

    def _new_key(self, s: Session, account_id: int) -> str:
        key = "pgl_" + secrets.token_urlsafe(24)
        s.add(
            ApiKey(
                account_id=account_id,
                key_sha256=_sha(key),
                prefix=key[:8],
                created_at=now_utc(),
            )
        )
        return key

    def authenticate(self, key: str) -> str:
        """The account of an API key, or ``auth/bad-key``."""
        with self.session() as s:
            name = s.scalar(
                select(Account.name)
                .join(ApiKey, ApiKey.account_id == Account.id)
                .where(ApiKey.key_sha256 == _sha(key))
            )
        if name is None:
            raise NotAuthorized("auth/bad-key", "unknown API key")
        return name

    def accounts(self) -> list[str]:
        with self.session() as s:
            return list(s.scalars(select(Account.name).order_by(Account.id)))

    # -- sandboxes ----------------------------------------------------------------------------
    def create_sandbox(self, name: str, owner: str, genesis: dict[str, Any]) -> SandboxWorld:
        """Build the genesis world, record it and its seq-0 snapshot; returns the world."""
        self._check_name(name)
        genesis = {**genesis, "owner": owner}
        world = SandboxWorld.create(genesis)
        world.genesis["reserved"] = sorted(_world_accounts(world) - {owner})
        return self._insert(name, owner, world)

    def fork(self, parent: str, seq: int | None, name: str, owner: str) -> SandboxWorld:
        """A new sandbox with the parent's history up to ``seq`` (default: its head).

        The log rows are copied (the child does not depend on the parent afterwards); if the
        new owner is not the parent's, a ``sandbox.admit`` operation then grants them ``root``.
        """
        self._check_name(name)
        head = self.head(parent)[0]
        upto = head if seq is None else seq
        if type(upto) is not int or not 0 <= upto <= head:
            raise InvalidInput("sandbox/bad-seq", f"fork point must be in [0, {head}], got {seq!r}")
        world = self.load(parent, upto=upto)
        self._insert(name, owner, world, parent, upto)
        if owner != world.genesis["owner"]:
            op = Op("sandbox.admit", "", {"owner": owner}, world.chain.root)
            self.append(name, upto + 1, op, world.apply(op))
        return world

    def _check_name(self, name: str) -> None:
        if not isinstance(name, str) or not SANDBOX_RE.match(name):
            raise InvalidInput(
                "sandbox/bad-name",
                f"sandbox names are 1-48 characters a-z, 0-9, '-', '_': {name!r}",
            )

    def _insert(
        self,
        name: str,
        owner: str,
        world: SandboxWorld,
        parent: str | None = None,
        fork_seq: int | None = None,
    ) -> SandboxWorld:
        state_hash = world.chain.state_hash()
        with self.session.begin() as s:
            owner_id = s.scalar(select(Account.id).where(Account.name == owner))
            if owner_id is None:
                raise InvalidInput("account/unknown", f"no account {owner!r}")
            if s.scalar(select(SandboxRow.id).where(SandboxRow.name == name)) is not None:
                raise InvalidInput("sandbox/taken", f"sandbox {name!r} already exists")
            genesis_hash = state_hash
            if parent is not None:
                pid = self._id(s, parent)
                genesis_hash = (
                    s.scalar(select(SandboxRow.genesis_hash).where(SandboxRow.id == pid)) or ""
                )
            row = SandboxRow(
                name=name,
                owner_id=owner_id,
                genesis=dumps(world.genesis),
                genesis_hash=genesis_hash,
                parent_name=parent,
                fork_seq=fork_seq,
                created_at=now_utc(),
            )
            s.add(row)
            s.flush()
            if parent is not None:
                rows = s.scalars(
                    select(LogRow).where(LogRow.sandbox_id == pid, LogRow.seq <= (fork_seq or 0))
                ).all()
                for e in rows:
                    s.add(_copy_row(e, row.id))
            s.add(
                Snapshot(
                    sandbox_id=row.id,
                    seq=fork_seq or 0,
                    state_hash=state_hash,
                    blob=dump_world(world),
                    created_at=now_utc(),
                )
            )
        return world

    def sandboxes(self) -> list[SandboxInfo]:
        with self.session() as s:
            rows = s.execute(
                select(SandboxRow, Account.name)
                .join(Account, Account.id == SandboxRow.owner_id)
                .order_by(SandboxRow.id)
            ).all()
            return [_info(r, owner) for r, owner in rows]

    def sandbox(self, name: str) -> SandboxInfo:
        with self.session() as s:
            r = s.execute(
                select(SandboxRow, Account.name)
                .join(Account, Account.id == SandboxRow.owner_id)
                .where(SandboxRow.name == name)
            ).first()
        if r is None:
            raise InvalidInput("sandbox/unknown", f"no sandbox {name!r}")
        return _info(r[0], r[1])

    def delete_sandbox(self, name: str) -> None:
        with self.session.begin() as s:
            sid = self._id(s, name)
            for table in (LogRow, Snapshot):
                s.execute(delete(table).where(table.sandbox_id == sid))
            s.execute(delete(SandboxRow).where(SandboxRow.id == sid))
        self._ids.pop(name, None)

    def _id(self, s: Session, name: str) -> int:
        sid = self._ids.get(name)
        if sid is None:
            sid = s.scalar(select(SandboxRow.id).where(SandboxRow.name == name))
            if sid is None:
                raise InvalidInput("sandbox/unknown", f"no sandbox {name!r}")
            self._ids[name] = sid
        return sid

    def head(self, name: str) -> tuple[int, str]:
        """``(last seq, state hash after it)``; seq 0 is genesis."""
        with self.session() as s:
            sid = self._id(s, name)
            row = s.execute(
                select(LogRow.seq, LogRow.state_hash)
                .where(LogRow.sandbox_id == sid)
                .order_by(LogRow.seq.desc())
                .limit(1)
            ).first()
            if row is not None:
                return int(row[0]), str(row[1])
            snap = s.scalar(
                select(Snapshot.state_hash).where(Snapshot.sandbox_id == sid, Snapshot.seq == 0)
            )
            return 0, str(snap or "")

    # -- the log ------------------------------------------------------------------------------
    def append(self, name: str, seq: int, op: Op, outcome: Outcome) -> None:
        """Durably record operation ``seq`` (committed when this returns)."""
        self.append_rows(name, [PendingRow(seq, op, outcome)])

    def append_rows(self, name: str, rows: list[PendingRow]) -> None:
        """Record consecutive operations (and their due snapshots) in one transaction."""
        with self.session() as s:
            sid = self._id(s, name)
        wall = now_utc()
        with self.engine.begin() as conn:  # Core: one statement per table, no ORM bookkeeping
            log = [
                {
                    "sandbox_id": sid,
                    "seq": r.seq,
                    "name": r.op.name,
                    "target": r.op.target,
                    "args": dumps({k: encode(v) for k, v in r.op.args.items()}),
                    "sender": r.op.sender,
                    "wall_time": wall,
                    "chain_time": r.outcome.time,
                    "result": dumps(r.outcome.result),
                    "events": dumps(r.outcome.events),
                    "event_kinds": " "
                    + " ".join(sorted({e["kind"] for e in r.outcome.events}))
                    + " ",
                    "state_hash": r.outcome.state_hash,
                }
                for r in rows
            ]
            conn.execute(insert(LOG_TABLE), log)
            snaps = [
                {
                    "sandbox_id": sid,
                    "seq": r.seq,
                    "state_hash": r.outcome.state_hash,
                    "blob": r.snapshot,
                    "created_at": wall,
                }
                for r in rows
                if r.snapshot is not None
            ]
            if snaps:
                conn.execute(insert(SNAPSHOT_TABLE), snaps)

    def snapshot(self, name: str, seq: int, world: SandboxWorld) -> None:
        """Store a snapshot of ``world`` as it is after operation ``seq``."""
        blob = dump_world(world)
        try:
            with self.session.begin() as s:
                s.add(
                    Snapshot(
                        sandbox_id=self._id(s, name),
                        seq=seq,
                        state_hash=world.chain.state_hash(),
                        blob=blob,
                        created_at=now_utc(),
                    )
                )
        except IntegrityError:
            pass  # a snapshot at this seq exists already: equal by construction

    def entries(
        self,
        name: str,
        *,
        after: int = 0,
        upto: int | None = None,
        kind: str | None = None,
        sender: str | None = None,
        action: str | None = None,
        newest_first: bool = False,
        limit: int | None = None,
    ) -> Iterator[LogEntryView]:
        """Log rows in order, optionally filtered by event kind, sender or action name prefix."""
        with self.session() as s:
            q = select(LogRow).where(LogRow.sandbox_id == self._id(s, name), LogRow.seq > after)
            if upto is not None:
                q = q.where(LogRow.seq <= upto)
            if kind:
                q = q.where(LogRow.event_kinds.contains(f" {kind}"))
            if sender:
                q = q.where(LogRow.sender == sender)
            if action:
                q = q.where(LogRow.name.startswith(action, autoescape=True))
            q = q.order_by(LogRow.seq.desc() if newest_first else LogRow.seq)
            if limit is not None:
                q = q.limit(limit)
            for row in s.scalars(q).yield_per(500):
                yield _view(row)

    def count(self, name: str) -> int:
        with self.session() as s:
            return int(
                s.scalar(select(func.count()).where(LogRow.sandbox_id == self._id(s, name))) or 0
            )

    # -- replay -------------------------------------------------------------------------------
    def snapshot_seqs(self, name: str) -> list[int]:
        with self.session() as s:
            sid = self._id(s, name)
            return list(
                s.scalars(
                    select(Snapshot.seq).where(Snapshot.sandbox_id == sid).order_by(Snapshot.seq)
                )
            )

    def world_at_snapshot(self, name: str, seq: int) -> SandboxWorld:
        """The world of the snapshot at ``seq``, its stored state hash checked."""
        with self.session() as s:
            snap = s.scalar(
                select(Snapshot).where(
                    Snapshot.sandbox_id == self._id(s, name), Snapshot.seq == seq
                )
            )
        if snap is None:
            raise InvalidInput("store/no-snapshot", f"{name} has no snapshot at seq {seq}")
        world = load_world(snap.blob)
        if world.chain.state_hash() != snap.state_hash:
            raise InvalidInput(
                "store/bad-snapshot", f"snapshot {name}@{seq} does not reproduce its state hash"
            )
        return world

    def replay(
        self, name: str, world: SandboxWorld, *, after: int, upto: int | None = None
    ) -> Iterator[tuple[LogEntryView, Outcome]]:
        """Apply the log rows after ``after`` to ``world``; every state hash is checked."""
        for entry in self.entries(name, after=after, upto=upto):
            outcome = world.apply(entry.op)
            if outcome.state_hash != entry.state_hash:
                raise InvalidInput(
                    "store/replay-diverged",
                    f"{name}: replaying seq {entry.seq} ({entry.name}) gave state hash "
                    f"{outcome.state_hash[:16]}, the log says {entry.state_hash[:16]}",
                )
            yield entry, outcome

    def load(self, name: str, *, upto: int | None = None) -> SandboxWorld:
        """The world after ``upto`` operations (default: the head), from the best snapshot."""
        seqs = [q for q in self.snapshot_seqs(name) if upto is None or q <= upto]
        world: SandboxWorld | None = None
        start = 0
        for seq in reversed(seqs):
            try:
                world = self.world_at_snapshot(name, seq)
                start = seq
                break
            except Exception:  # an unreadable or stale snapshot is only a lost cache
                continue
        if world is None:
            info = self.sandbox(name)
            world = SandboxWorld.create(dict(info.genesis))
        for _ in self.replay(name, world, after=start, upto=upto):
            pass
        return world


def _copy_row(e: LogRow, sandbox_id: int) -> LogRow:
    return LogRow(
        sandbox_id=sandbox_id,
        seq=e.seq,
        name=e.name,
        target=e.target,
        args=e.args,
        sender=e.sender,
        wall_time=e.wall_time,
        chain_time=e.chain_time,
        result=e.result,
        events=e.events,
        event_kinds=e.event_kinds,
        state_hash=e.state_hash,
    )


def _info(r: SandboxRow, owner: str) -> SandboxInfo:
    return SandboxInfo(
        r.id, r.name, owner, loads(r.genesis), r.parent_name, r.fork_seq, r.created_at
    )


def _world_accounts(world: SandboxWorld) -> set[str]:
    """Plain-named accounts that hold a balance or a role at genesis (service users may not)."""
    chain = world.chain
    names: set[str] = {acct for (_, acct) in chain.roles}
    for book in chain.ledger.balances.values():
        names.update(book)
    return {n for n in names if ACCOUNT_RE.match(n)}
