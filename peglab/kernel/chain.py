"""The chain: ledger, explicit clock, roles, typed events, atomic transactions and the state hash.

Every user-facing action of every protocol is a method decorated with ``@action``. It runs as
one atomic transaction with an explicit, keyword-only ``sender``: on success its writes stay and
its events are published; on any exception every journaled write since the action began is
undone, its events are dropped, and the exception propagates (the state hash is unchanged).
Actions may call other actions (a keeper's callback inside an auction take): an inner failure
rolls back to the inner savepoint; whatever reaches the outermost action rolls back all.

Nothing reads the wall clock: ``chain.now`` moves only through ``warp``/``advance``.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, ClassVar, Protocol, TypeVar

from ..errors import InvalidInput, NotAuthorized
from .ledger import Ledger
from .state import Journal, Record, Table, encode

__all__ = ["Chain", "Event", "HasChain", "LogEntry", "TokenTransferred", "action"]

R = TypeVar("R")

GENESIS_TIME = 1_700_000_000  # Tue 2023-11-14 22:13:20 UTC; any explicit start time may be given


@dataclass(frozen=True, slots=True)
class Event:
    """Base of every typed event. Subclasses set ``kind`` (``<module>/<event>``) and fields."""

    kind: ClassVar[str] = "event"

    def as_dict(self) -> dict[str, Any]:
        """Fields as a plain dict (ints stay exact)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True, slots=True)
class LogEntry:
    """A published event with its transaction context."""

    seq: int
    tx: int
    time: int
    sender: str
    event: Event


@dataclass(frozen=True, slots=True)
class TokenTransferred(Event):
    """A user transferred tokens through ``Chain.transfer``."""

    kind: ClassVar[str] = "token/transfer"
    token: str
    frm: str
    to: str
    amount: int


class Chain:
    """One simulated chain: the ledger, the clock, roles, the event log and registered state."""

    def __init__(
        self, *, start_time: int = GENESIS_TIME, root: str = "gov", keep_log: bool = True
    ) -> None:
        if type(start_time) is not int or start_time < 0:
            raise InvalidInput(
                "chain/bad-time", f"start time must be a non-negative int, got {start_time!r}"
            )
        self.journal = Journal()
        self.ledger = Ledger(self.journal)
        self.now: int = start_time
        self.roles: Table[tuple[str, str], bool] = Table(self.journal)
        self.roles[("root", root)] = True
        self.root = root
        self.keep_log = keep_log
        self.log: list[LogEntry] = []
        self.subscribers: list[Callable[[LogEntry], None]] = []
        self._pending: list[tuple[str, Event]] = []
        self._tx_sender: list[str] = []
        self._tx_count = 0
        self._seq = 0
        self._state: Table[str, Record | Table[Any, Any]] = Table(
            self.journal
        )  # registry; rolls back too

    # -- clock --------------------------------------------------------------------------------
    def warp(self, t: int) -> None:
        """Set the clock to ``t`` (never backwards, never inside a transaction)."""
        if type(t) is not int or t < self.now:
            raise InvalidInput(
                "chain/time-backwards", f"time moves forward only: now {self.now}, asked {t!r}"
            )
        if self.journal.depth:
            raise InvalidInput("chain/warp-in-tx", "the clock cannot move inside a transaction")
        self.now = t

    def advance(self, seconds: int) -> int:
        """Move the clock forward by ``seconds``; returns the new time."""
        if type(seconds) is not int or seconds < 0:
            raise InvalidInput(
                "chain/time-backwards", f"advance needs seconds >= 0, got {seconds!r}"
            )
        self.warp(self.now + seconds)
        return self.now

    # -- roles --------------------------------------------------------------------------------
    def has_role(self, role: str, account: str) -> bool:
        """True if ``account`` holds ``role`` (root holds every role)."""
        roles = self.roles
        return roles.get((role, account), False) or roles.get(("root", account), False)

    def require_role(self, role: str, sender: str, code: str = "auth/not-authorized") -> None:
        """Raise NotAuthorized unless ``sender`` holds ``role``."""
        if not self.has_role(role, sender):
            raise NotAuthorized(code, f"{sender} lacks role {role!r}")

    def grant(self, role: str, account: str, *, sender: str) -> None:
        """Give ``role`` to ``account``; the sender must hold the role (dss ``rely``) or root."""
        with self.transaction(sender):
            self.require_role(role, sender)
            _check_account(account)
            self.roles[(role, account)] = True

    def revoke(self, role: str, account: str, *, sender: str) -> None:
        """Take ``role`` from ``account`` (dss ``deny``)."""
        with self.transaction(sender):
            self.require_role(role, sender)
            self.roles.discard((role, account))

    # -- state registry and hash --------------------------------------------------------------
    def register(self, name: str, state: Record | Table[Any, Any]) -> None:
        """Include a protocol's Record or Table in the state hash under a unique name."""
        if name in self._state:
            raise InvalidInput("chain/name-taken", f"state name {name!r} is already registered")
        self._state[name] = state

    def state_hash(self) -> str:
        """SHA-256 of the canonical encoding of the clock, ledger, roles and registered state."""
        h = hashlib.sha256()
        h.update(encode(self.now))
        h.update(encode(self.ledger.tokens))
        h.update(encode(self.ledger.balances))
        h.update(encode(self.ledger.supply))
        h.update(encode(self.roles))
        for name in sorted(self._state):
            h.update(encode(name))
            h.update(encode(self._state[name]))
        return h.hexdigest()

    def check_conservation(self) -> None:
        """Raise AssertionError naming every token whose balances do not sum to its supply."""
        bad = self.ledger.conservation_errors()
        if bad:
            raise AssertionError(f"conservation broken: {bad}")

    # -- transactions and events --------------------------------------------------------------
    @property
    def sender(self) -> str:
        """The sender of the outermost open transaction."""
        if not self._tx_sender:
            raise InvalidInput("chain/no-transaction", "no transaction is open")
        return self._tx_sender[0]

    def transaction(self, sender: str) -> _Tx:
        """Context manager for one atomic transaction (savepoint if nested)."""
        return _Tx(self, sender)

    def emit(self, event: Event) -> None:
        """Record an event of the current transaction; published on commit, dropped on rollback."""
        self._pending.append((self._tx_sender[-1] if self._tx_sender else "", event))

    def _publish(self) -> None:
        self._tx_count += 1
        self.journal.entries.clear()
        pending, self._pending = self._pending, []
        if not (self.keep_log or self.subscribers):
            self._seq += len(pending)
            return
        for sender, ev in pending:
            self._seq += 1
            entry = LogEntry(self._seq, self._tx_count, self.now, sender, ev)
            if self.keep_log:
                self.log.append(entry)
            for fn in self.subscribers:
                fn(entry)

    # -- a user action: plain token transfer ---------------------------------------------------
    def transfer(self, token: str, to: str, amount: int, *, sender: str) -> None:
        """Send ``amount`` base units of ``token`` from the sender to ``to``."""
        from ..units import check_positive

        with self.transaction(sender):
            check_positive(amount, "amount")
            _check_account(to)
            self.ledger.transfer(token, sender, to, amount)
            self.emit(TokenTransferred(token, sender, to, amount))


class _Tx:
    __slots__ = ("chain", "ev_mark", "mark", "sender")

    def __init__(self, chain: Chain, sender: str) -> None:
        _check_account(sender)
        self.chain = chain
        self.sender = sender

    def __enter__(self) -> _Tx:
        c = self.chain
        self.mark = len(c.journal.entries)
        self.ev_mark = len(c._pending)
        c.journal.depth += 1
        c._tx_sender.append(self.sender)
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        c = self.chain
        j = c.journal
        if exc_type is not None:
            j.rollback(self.mark)
            del c._pending[self.ev_mark :]
        j.depth -= 1
        c._tx_sender.pop()
        if j.depth == 0:
            if exc_type is None:
                c._publish()
            else:
                j.entries.clear()


def _check_account(account: object) -> None:
    if not isinstance(account, str) or not account:
        raise InvalidInput(
            "chain/bad-account", f"an account is a non-empty string, got {account!r}"
        )


class HasChain(Protocol):
    """Anything whose actions run on a chain."""

    @property
    def chain(self) -> Chain: ...


def action(fn: Callable[..., R]) -> Callable[..., R]:
    """Make a protocol method an atomic transaction with a keyword-only ``sender``."""

    @functools.wraps(fn)
    def wrapper(self: HasChain, *args: Any, sender: str, **kw: Any) -> R:
        with self.chain.transaction(sender):
            return fn(self, *args, sender=sender, **kw)

    return wrapper
