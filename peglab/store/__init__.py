"""Persistence: an append-only action log with snapshots (SQLite or PostgreSQL), and replay.

See docs/service.md. ``Store`` is the entry point; ``SandboxWorld`` is a sandbox's live world;
``registry()`` lists every action of every protocol family.
"""

from __future__ import annotations

from .codec import Ref, decode, encode, plain, plain_events
from .db import database_url, open_engine
from .registry import ActionSpec, Param, Registry, build_registry, walk_targets
from .store import LogEntryView, SandboxInfo, Store
from .world import CLOCK_OPS, Faucet, Op, Outcome, SandboxWorld, library_systems, registry

__all__ = [
    "CLOCK_OPS",
    "ActionSpec",
    "Faucet",
    "LogEntryView",
    "Op",
    "Outcome",
    "Param",
    "Ref",
    "Registry",
    "SandboxInfo",
    "SandboxWorld",
    "Store",
    "build_registry",
    "database_url",
    "decode",
    "encode",
    "library_systems",
    "open_engine",
    "plain",
    "plain_events",
    "registry",
    "walk_targets",
]
