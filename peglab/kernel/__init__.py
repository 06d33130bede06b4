"""The kernel: one ledger for every balance, atomic transactions, events, clock, roles, state hash."""

from __future__ import annotations

from .chain import (
    Chain,
    Event,
    HasChain,
    LogEntry,
    RoleChanged,
    TokenTransferred,
    action,
    nonreentrant,
    query,
)
from .ledger import Ledger, Token
from .state import UNSET, Journal, Record, Table, encode

__all__ = [
    "UNSET",
    "Chain",
    "Event",
    "HasChain",
    "Journal",
    "Ledger",
    "LogEntry",
    "Record",
    "RoleChanged",
    "Table",
    "Token",
    "TokenTransferred",
    "action",
    "encode",
    "nonreentrant",
    "query",
]
