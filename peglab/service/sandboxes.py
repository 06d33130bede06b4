"""Live sandboxes: each sandbox's world in memory, one lock per sandbox, durable writes.

``act`` is the only write path: under the sandbox's lock it checks the sender, applies the
operation to the in-memory world (a refusal raises and changes nothing), appends the log row and
commits it, and only then returns. If the commit fails the in-memory world is dropped and
reloaded from the database on next use, so memory never runs ahead of the log. Worlds load
lazily from their newest snapshot plus the log (``Store.load``). One server process per database:
the in-memory worlds are caches of the log that only this process writes.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidInput, NotAuthorized, PeglabError
from ..store import Op, Outcome, SandboxWorld, Store

__all__ = ["Live", "Sandboxes", "StoreUnavailable"]


class StoreUnavailable(PeglabError):
    """The database refused the write; nothing was acknowledged."""

    kind = "unavailable"


@dataclass
class Live:
    """A loaded sandbox: its world, head seq and the accounts reserved by its genesis."""

    name: str
    world: SandboxWorld
    seq: int
    reserved: frozenset[str]
    lock: threading.Lock = field(default_factory=threading.Lock)


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
                live = Live(name, world, seq, reserved)
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
        with live.lock:
            self.store.delete_sandbox(name)
            self._live.pop(name, None)

    def act(self, name: str, op: Op) -> tuple[int, Outcome]:
        """Apply and durably log ``op``; returns ``(seq, outcome)`` once committed."""
        live = self.get(name)
        with live.lock:
            if self._live.get(name) is not live:
                raise InvalidInput("sandbox/unknown", f"sandbox {name!r} was deleted")
            if op.sender in live.reserved:
                raise NotAuthorized(
                    "auth/world-account",
                    f"{op.sender} is an account of {name}'s genesis world; it cannot act there",
                )
            outcome = live.world.apply(op)
            seq = live.seq + 1
            try:
                self.store.append(name, seq, op, outcome)
            except Exception as e:
                self._live.pop(name, None)  # memory ran ahead of the log: reload on next use
                raise StoreUnavailable(
                    "store/write-failed", f"the operation was not recorded ({type(e).__name__})"
                ) from e
            live.seq = seq
            if seq % self.store.snapshot_every == 0:
                try:
                    self.store.snapshot(name, seq, live.world)
                except Exception:  # a snapshot is a cache; the log already holds the truth
                    pass
            return seq, outcome
