"""The chain: ledger, explicit clock, roles, typed events, atomic transactions and the state hash.

Every user-facing action of every protocol is a method decorated with ``@action``. It runs as
one atomic transaction with an explicit, keyword-only ``sender``: on success its writes stay and
its events are published; on any exception every journaled write since the action began is
undone, its events are dropped, and the exception propagates (the state hash is unchanged).
Actions may call other actions (a keeper's callback inside an auction take): an inner failure
rolls back to the inner savepoint; whatever reaches the outermost action rolls back all.

The boundary, in order, for every call of an action (docs/architecture.md, "Authorization"):
1. re-entrancy: while a ``@nonreentrant`` action of an object runs (it calls out to user code),
   or ``chain.locked(obj)`` holds it, every action of that object (of its ``lock_domain``) is
   refused with ``Reentered`` (dss ``lock``, Uniswap v2 ``lock``);
2. arguments: names, arity and types are checked against the annotations (``validate.py``);
3. the sender: a non-empty string that is not an engine account (``protect_namespace``).

Nothing reads the wall clock: ``chain.now`` moves only through ``warp``/``advance``.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from typing import Any, ClassVar, Concatenate, ParamSpec, Protocol, TypeVar

from ..errors import InvalidInput, NotAuthorized, Reentered
from ..units import show
from .ledger import Ledger
from .state import Journal, Record, Table, digest, digest_full, encode, track_root
from .validate import CallChecker, build_call_checker

__all__ = [
    "Chain",
    "Event",
    "HasChain",
    "LogEntry",
    "RoleChanged",
    "TokenTransferred",
    "action",
    "lock_key",
    "nonreentrant",
    "query",
]

R = TypeVar("R")
P = ParamSpec("P")
F = TypeVar("F", bound=Callable[..., Any])

#: State names the kernel itself uses in the registry (protocol names must differ).
KERNEL_STATE = (
    "kernel/engine-namespaces",
    "kernel/roles",
    "ledger/balances",
    "ledger/supply",
    "ledger/tokens",
)

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


@dataclass(frozen=True, slots=True)
class RoleChanged(Event):
    """A role was granted (``granted``) or revoked through ``Chain.grant``/``Chain.revoke``."""

    kind: ClassVar[str] = "kernel/role"
    role: str
    account: str
    granted: bool


class HasChain(Protocol):
    """Anything whose actions run on a chain."""

    @property
    def chain(self) -> Chain: ...


S = TypeVar("S", bound=HasChain)


def nonreentrant(fn: F) -> F:
    """Mark an action that calls out to user code (a callback, a caller-supplied object).

    Apply below ``@action``. While it runs, every action of the same object is refused with
    ``Reentered`` (``kernel/reentered``); the outer action then proceeds or fails cleanly.
    """
    if getattr(fn, "__peglab_action__", False):
        raise TypeError("apply @nonreentrant below @action")
    fn.__peglab_nonreentrant__ = True  # type: ignore[attr-defined]
    return fn


def lock_key(obj: object) -> int:
    """The re-entrancy lock ``obj`` shares: its ``lock_domain`` (an object several views share,
    e.g. the voter for every gauge and reward contract it creates) or, by default, itself."""
    domain = getattr(obj, "lock_domain", None)
    return id(obj if domain is None else domain)


def action(fn: Callable[Concatenate[S, P], R]) -> Callable[Concatenate[S, P], R]:
    """Make a protocol method an atomic transaction with a keyword-only ``sender``.

    The signature is kept (``ParamSpec``), so type checkers see the real parameters.
    """
    lock = getattr(fn, "__peglab_nonreentrant__", False)
    # Annotations are strings that may name classes defined later in the module: build on use.
    check: CallChecker | None = None

    @functools.wraps(fn)
    def wrapper(self: S, /, *args: P.args, **kw: P.kwargs) -> R:
        nonlocal check
        chain = self.chain
        locked = chain._locked
        if locked and lock_key(self) in locked:
            raise Reentered(
                "kernel/reentered",
                f"{type(self).__name__}.{fn.__name__}: the object is inside a non-reentrant "
                "action (a callback may not call back into it)",
            )
        if check is None:
            check = build_call_checker(fn)
        check(args, kw)
        # ``chain.transaction(sender)`` inlined (one transaction per action: the hot path)
        sender: str = kw["sender"]  # type: ignore[assignment]
        _check_sender(chain, sender)
        marks = chain._open(sender)
        try:
            if not lock:
                out = fn(self, *args, **kw)
            else:
                key = lock_key(self)
                locked.add(key)
                try:
                    out = fn(self, *args, **kw)
                finally:
                    locked.discard(key)
        except BaseException:
            chain._close(marks)
            raise
        chain._close(None)
        return out

    wrapper.__peglab_action__ = True  # type: ignore[attr-defined]
    return wrapper


def query(fn: Callable[Concatenate[Any, P], R]) -> Callable[Concatenate[Any, P], R]:
    """A read of protocol state: arguments are checked like an action's; nothing is written."""
    check: CallChecker | None = None  # built on first use, as an action's

    @functools.wraps(fn)
    def wrapper(self: Any, /, *args: P.args, **kw: P.kwargs) -> R:
        nonlocal check
        if check is None:
            check = build_call_checker(fn)
        check(args, kw)
        return fn(self, *args, **kw)

    wrapper.__peglab_query__ = True  # type: ignore[attr-defined]
    return wrapper


class Chain:
    """One simulated chain: the ledger, the clock, roles, the event log and registered state."""

    def __init__(
        self, *, start_time: int = GENESIS_TIME, root: str = "gov", keep_log: bool = True
    ) -> None:
        if type(start_time) is not int or start_time < 0:
            raise InvalidInput(
                "chain/bad-time", f"start time must be a non-negative int, got {start_time!r}"
            )
        _check_account(root)
        self.journal = Journal()
        # the registry of hashed state: a tracked root (state.py), so the hash is incremental
        self._state: Table[str, Record | Table[Any, Any]] = Table(self.journal)
        track_root(self._state)
        self.ledger = Ledger(self.journal)
        self.now: int = start_time
        self.roles: Table[tuple[str, str], bool] = Table(self.journal)
        self.roles[("root", root)] = True
        self.root = root
        self.engine_namespaces: Table[str, str] = Table(self.journal)
        kernel_state: tuple[Table[Any, Any], ...] = (
            self.engine_namespaces,
            self.roles,
            self.ledger.balances,
            self.ledger.supply,
            self.ledger.tokens,
        )
        for name, obj in zip(KERNEL_STATE, kernel_state):
            self._state[name] = obj
        self._locked: set[int] = set()  # ids of objects inside a @nonreentrant action
        self._engine_senders: list[str] = []  # engine accounts a protocol acts as (engine_call)
        self.last_writes: list[tuple[Any, Any, Any]] = []  # (container, key, old) of the last tx
        self.keep_log = keep_log
        self.log: list[LogEntry] = []
        self.subscribers: list[Callable[[LogEntry], None]] = []
        self._pending: list[tuple[str, Event]] = []
        self._tx_sender: list[str] = []
        self._tx_count = 0
        self._seq = 0

    @property
    def chain(self) -> Chain:
        """The chain itself, so its own actions (``transfer``, ``grant``) use ``@action``."""
        return self

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
        _check_name(role, "role")
        _check_name(account, "account")
        roles = self.roles
        return roles.get((role, account), False) or roles.get(("root", account), False)

    def require_role(self, role: str, sender: str, code: str = "auth/not-authorized") -> None:
        """Raise NotAuthorized unless ``sender`` holds ``role``."""
        if not self.has_role(role, sender):
            raise NotAuthorized(code, f"{sender} lacks role {role!r}")

    @action
    def grant(self, role: str, account: str, *, sender: str) -> None:
        """Give ``role`` to ``account``; the sender must hold the role (dss ``rely``) or root."""
        self.require_role(role, sender)
        _check_account(account)
        self.roles[(role, account)] = True
        self.emit(RoleChanged(role, account, True))

    @action
    def revoke(self, role: str, account: str, *, sender: str) -> None:
        """Take ``role`` from ``account`` (dss ``deny``)."""
        self.require_role(role, sender)
        _check_account(account)
        self.roles.discard((role, account))
        self.emit(RoleChanged(role, account, False))

    # -- engine accounts ----------------------------------------------------------------------
    def protect_namespace(self, namespace: str, owner: str) -> None:
        """Reserve every account ``<namespace>:...`` for the engine of ``owner`` (a protocol).

        Engine accounts hold protocol funds and move only through the protocol's own code (the
        ledger primitives); no transaction may have one as its sender. Idempotent per owner.
        """
        _check_name(namespace, "namespace")
        if ":" in namespace:
            raise InvalidInput("chain/bad-namespace", f"a namespace has no ':', got {namespace!r}")
        known = self.engine_namespaces.get(namespace)
        if known is not None and known != owner:
            raise InvalidInput(
                "chain/namespace-taken", f"namespace {namespace!r} belongs to {known}"
            )
        if known is None:
            self.engine_namespaces[namespace] = owner

    @contextmanager
    def locked(self, obj: object) -> Iterator[None]:
        """Lock ``obj``'s domain (``lock_key``) while outside code runs inside a protocol's
        internal step (a pool's fee claim under a gauge), as ``@nonreentrant`` does for an
        action: every action of the domain is refused with ``Reentered`` meanwhile."""
        key = lock_key(obj)
        if key in self._locked:  # already held by an enclosing action: it releases it
            yield
            return
        self._locked.add(key)
        try:
            yield
        finally:
            self._locked.discard(key)

    @contextmanager
    def engine_call(self, account: str) -> Iterator[None]:
        """Let a protocol's own code call an action with its engine ``account`` as the sender
        (USD.AI's queued depositor depositing what it holds): only inside this block, which
        the protocol opens around that one call; no user transaction can open it."""
        if not self.is_engine_account(account):
            raise InvalidInput("chain/not-engine-account", f"{account!r} is not an engine account")
        self._engine_senders.append(account)
        try:
            yield
        finally:
            self._engine_senders.pop()

    def is_engine_account(self, account: str) -> bool:
        """True if ``account`` lies in a protected namespace (``<ns>:...``)."""
        i = account.find(":")
        return i > 0 and account[:i] in self.engine_namespaces

    # -- state registry and hash --------------------------------------------------------------
    def register(self, name: str, state: Record | Table[Any, Any]) -> None:
        """Include a protocol's Record or Table in the state hash under a unique name.

        From now on only canonical values may be written into it (state.py).
        """
        _check_name(name, "state name")
        if name in self._state:
            raise InvalidInput("chain/name-taken", f"state name {name!r} is already registered")
        if not isinstance(state, Record | Table):
            raise InvalidInput("chain/bad-state", f"register a Record or Table, not {show(state)}")
        self._state[name] = state

    def state_hash(self) -> str:
        """SHA-256 over the clock and the digest of all registered state (ledger, roles included).

        Incremental: only containers written since the last call are re-hashed (state.py).
        """
        return hashlib.sha256(encode(self.now) + digest(self._state)).hexdigest()

    @property
    def tx_count(self) -> int:
        """Committed outermost transactions so far."""
        return self._tx_count

    @property
    def locks_held(self) -> int:
        """Objects currently inside a ``@nonreentrant`` action (0 between transactions)."""
        return len(self._locked)

    def registered(self) -> list[tuple[str, Record | Table[Any, Any]]]:
        """Every registered container with its name, the kernel's own included (sorted)."""
        return sorted(self._state.items(), key=lambda item: item[0])

    def state_hash_full(self) -> str:
        """The same value as ``state_hash``, recomputed from scratch (the reference for tests)."""
        return hashlib.sha256(encode(self.now) + digest_full(self._state)).hexdigest()

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

    def _open(self, sender: str) -> tuple[int, int]:
        """Open a transaction (a savepoint if nested) of a checked ``sender``; returns the marks
        (journal entries, pending events) a rollback returns to."""
        j = self.journal
        marks = len(j.entries), len(self._pending)
        j.depth += 1
        self._tx_sender.append(sender)
        return marks

    def _close(self, rollback: tuple[int, int] | None) -> None:
        """Close the innermost open transaction: commit it (``None``), or undo its writes and
        drop its events back to the marks ``_open`` returned; the outermost one publishes its
        events on commit and forgets its undo entries either way."""
        j = self.journal
        if rollback is not None:
            j.rollback(rollback[0])
            del self._pending[rollback[1] :]
        j.depth -= 1
        self._tx_sender.pop()
        if j.depth == 0:
            if rollback is None:
                self._publish()
            else:
                j.entries.clear()

    def emit(self, event: Event) -> None:
        """Record an event of the current transaction; published on commit, dropped on rollback."""
        self._pending.append((self._tx_sender[-1] if self._tx_sender else "", event))

    def _publish(self) -> None:
        self._tx_count += 1
        # keep the committed transaction's undo entries (its writes, with old values) for
        # checkers such as the fuzz campaign's authorization check; nothing is copied
        self.last_writes = self.journal.entries
        self.journal.entries = []
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
    @action
    def transfer(self, token: str, to: str, amount: int, *, sender: str) -> None:
        """Send ``amount`` base units of ``token`` from the sender to ``to``."""
        from ..units import check_positive

        check_positive(amount, "amount")
        _check_account(to)
        if self.ledger.token(token).internal:
            raise NotAuthorized(
                "chain/internal-token",
                f"{token} is an internal accounting unit; only its protocol moves it",
            )
        self.ledger.transfer(token, sender, to, amount)
        self.emit(TokenTransferred(token, sender, to, amount))


class _Tx:
    __slots__ = ("chain", "marks", "sender")

    def __init__(self, chain: Chain, sender: str) -> None:
        _check_sender(chain, sender)
        self.chain = chain
        self.sender = sender

    def __enter__(self) -> _Tx:
        self.marks = self.chain._open(self.sender)
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self.chain._close(None if exc_type is None else self.marks)


def _check_sender(chain: Chain, sender: str) -> None:
    """Refuse a sender that is not an account, or an engine account outside ``engine_call``."""
    if type(sender) is not str or not sender:
        _check_account(sender)  # raises
    if chain.is_engine_account(sender) and sender not in chain._engine_senders:
        raise NotAuthorized(
            "auth/engine-account",
            f"{sender} is an engine account of {chain.engine_namespaces[sender.split(':')[0]]}; "
            "it moves only through its protocol",
        )


def _check_account(account: object) -> None:
    if type(account) is not str or not account:
        raise InvalidInput(
            "chain/bad-account", f"an account is a non-empty string, got {show(account)}"
        )


def _check_name(value: object, what: str) -> None:
    if type(value) is not str or not value:
        raise InvalidInput("chain/bad-name", f"a {what} is a non-empty string, got {show(value)}")
