"""Live sandboxes: each sandbox's world in memory, one lock per sandbox, durable group commits.

``act`` is the only write path. Under the sandbox's lock it checks the sender, applies the
operation to the in-memory world (a refusal raises and changes nothing), numbers it and queues
its log row (and, every ``snapshot_every`` operations, a snapshot of the world at that point).
It then takes the sandbox's commit lock: if an earlier request's commit already covered this row,
it returns; otherwise it commits every queued row in one database transaction (group commit: one
fsync for all the requests that arrived meanwhile) and returns. Nothing is acknowledged before
its row is committed. If a commit fails, every queued operation is refused, the in-memory world
(now ahead of the log) is dropped, and the sandbox reloads from the database on next use.

Reads take the sandbox's lock too, so they see whole operations, including ones whose commit is
still in flight (for milliseconds); only acknowledged operations are durable. Worlds load lazily
from their newest snapshot plus the log (``Store.load``). One server process per database: the
in-memory worlds are caches of the log that only this process writes.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidInput, NotAuthorized, PeglabError
from ..store import Op, Outcome, SandboxWorld, Store
from ..store.store import PendingRow
from ..store.world import dump_world

__all__ = ["Live", "Sandboxes", "StoreUnavailable"]


class StoreUnavailable(PeglabError):
    """The database refused the write; nothing was acknowledged."""

    kind = "unavailable"


@dataclass
class Live:
    """A loaded sandbox: its world, head seq and the accounts reserved by its genesis."""

    name: str
    world: SandboxWorld
    seq: int  # last applied operation
    reserved: frozenset[str]
    committed: int = 0  # last durable operation
    pending: list[PendingRow] = field(default_factory=list)
    broken: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)
    commit_lock: threading.Lock = field(default_factory=threading.Lock)


class Sandboxes:
    """The live sandboxes of one server (see the module docstring)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._live: dict[str, Live] = {}
        self._guard = threading.Lock()
        self._loading: dict[str, threading.Lock] = {}

    def get(self, name: str) -> Live:
        """The live sandbox ``name``, loading it if needed (``sandbox/unknown`` if absent)."""
        live = self._live.get(name)
        if live is not None:
            return live
        with self._guard:
            lock = self._loading.setdefault(name, threading.Lock())
        with lock:
            live = self._live.get(name)
            if live is None:
                info = self.store.sandbox(name)
                world = self.store.load(name)
                seq = self.store.head(name)[0]
                reserved = frozenset(info.genesis.get("reserved", ()))
                live = Live(name, world, seq, reserved, committed=seq)
                self._live[name] = live
            return live

    def create(self, name: str, owner: str, genesis: dict[str, Any]) -> Live:
        world = self.store.create_sandbox(name, owner, genesis)
        live = Live(name, world, 0, frozenset(world.genesis.get("reserved", ())))
        self._live[name] = live
        return live

    def fork(self, parent: str, seq: int | None, name: str, owner: str) -> Live:
        src = self.get(parent)
        with src.lock:  # a consistent fork point while writes to the parent wait
            self.store.fork(parent, seq, name, owner)
        return self.get(name)

    def delete(self, name: str) -> None:
        live = self.get(name)
        with live.commit_lock, live.lock:
            self.store.delete_sandbox(name)
            self._live.pop(name, None)

    def act(self, name: str, op: Op) -> tuple[int, Outcome]:
        """Apply ``op`` and return ``(seq, outcome)`` once its log row is committed."""
        live = self.get(name)
        with live.lock:
            if live.broken or self._live.get(name) is not live:
                raise (
                    _unavailable()
                    if live.broken
                    else InvalidInput("sandbox/unknown", f"sandbox {name!r} was deleted")
                )
            if op.sender in live.reserved:
                raise NotAuthorized(
                    "auth/world-account",
                    f"{op.sender} is an account of {name}'s genesis world; it cannot act there",
                )
            outcome = live.world.apply(op)
            live.seq = seq = live.seq + 1
            snapshot = None
            if seq % self.store.snapshot_every == 0:
                try:
                    snapshot = dump_world(live.world)
                except Exception:  # a snapshot is a cache; the log is the truth
                    snapshot = None
            live.pending.append(PendingRow(seq, op, outcome, snapshot))
        with live.commit_lock:
            if live.committed >= seq:
                return seq, outcome  # an earlier request committed this row with its own
            if live.broken:
                raise _unavailable()
            with live.lock:
                batch, live.pending = live.pending, []
            try:
                self.store.append_rows(name, batch)
            except Exception as e:
                live.broken = True
                with self._guard:
                    if self._live.get(name) is live:
                        del self._live[name]  # memory ran ahead of the log: reload on next use
                raise _unavailable() from e
            live.committed = batch[-1].seq
        return seq, outcome


def _unavailable() -> StoreUnavailable:
    return StoreUnavailable(
        "store/write-failed", "the operation was not recorded (the database refused the write)"
    )
