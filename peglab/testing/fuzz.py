"""The fuzz campaign: hostile calls to every ``@action`` and ``@query`` of a world, checked after
each call (docs/architecture.md, "The action boundary and the authorization model").

``discover_actions`` finds every object on the chain with actions (a new family is fuzzed as soon
as a world builds it); ``fuzz`` runs the campaign; values.py makes the arguments.
"""

from __future__ import annotations

import gc
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import NotAuthorized, PeglabError
from ..kernel import Chain, Table
from ..kernel.state import UNSET
from ..units import show
from .values import ArgumentMaker
from .world import Action, CallbackFailure, FuzzWorld

__all__ = [
    "Action",
    "CallbackFailure",
    "FuzzReport",
    "FuzzWorld",
    "discover_actions",
    "discover_queries",
    "fuzz",
]


# -- the fuzz campaign ---------------------------------------------------------------------------


@dataclass
class FuzzReport:
    """What a campaign did and found; ``failures`` holds one line per violated check."""

    calls: int = 0
    succeeded: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    by_action: Counter[str] = field(default_factory=Counter)
    ok_by_action: Counter[str] = field(default_factory=Counter)
    refused_by: Counter[tuple[str, str]] = field(default_factory=Counter)  # (label, code)
    labels: set[str] = field(default_factory=set)
    failures: list[str] = field(default_factory=list)
    actions: int = 0
    seconds: float = 0.0
    reads: int = 0  # calls of ``@query`` reads (not counted in ``calls``)
    reads_by_query: Counter[str] = field(default_factory=Counter)
    read_labels: set[str] = field(default_factory=set)

    @property
    def calls_per_s(self) -> float:
        return self.calls / self.seconds if self.seconds else 0.0

    def merge(self, other: FuzzReport) -> None:
        self.calls += other.calls
        self.succeeded += other.succeeded
        self.refused.update(other.refused)
        self.by_action.update(other.by_action)
        self.ok_by_action.update(other.ok_by_action)
        self.refused_by.update(other.refused_by)
        self.labels |= other.labels
        self.failures.extend(other.failures)
        self.reads += other.reads
        self.reads_by_query.update(other.reads_by_query)
        self.read_labels |= other.read_labels
        self.actions = max(self.actions, other.actions)
        self.seconds += other.seconds


_NAMES: dict[tuple[type, str], tuple[str, ...]] = {}  # (class, mark) -> method names


def _marked_names(cls: type, mark: str) -> tuple[str, ...]:
    """Names of the methods of ``cls`` carrying ``mark`` (``@action`` or ``@query``), cached
    per class (built-in classes included: discovery meets every object the collector holds)."""
    key = (cls, mark)
    names = _NAMES.get(key)
    if names is None:
        names = tuple(
            sorted(
                {
                    name
                    for klass in cls.__mro__
                    for name, attr in vars(klass).items()
                    if getattr(attr, mark, False)
                }
            )
        )
        _NAMES[key] = names
    return names


def _action_names(cls: type) -> tuple[str, ...]:
    return _marked_names(cls, "__peglab_action__")


def discover_queries(actions: Sequence[Action]) -> list[Action]:
    """Every ``@query`` read of the objects that carry the discovered ``actions``."""
    out: list[Action] = []
    seen: set[int] = set()
    for _, _, obj in actions:
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        cls = type(obj)
        out.extend(
            (f"{cls.__name__}.{n}", getattr(obj, n), obj)
            for n in _marked_names(cls, "__peglab_query__")
        )
    return sorted(out, key=lambda a: a[0])


def discover_actions(chain: Chain) -> list[Action]:
    """Every ``@action`` of every live object whose ``chain`` is this chain, plus the chain's."""
    out: list[Action] = [
        ("Chain.transfer", chain.transfer, chain),
        ("Chain.grant", chain.grant, chain),
        ("Chain.revoke", chain.revoke, chain),
    ]
    seen: set[int] = set()
    for obj in gc.get_objects():
        cls = type(obj)
        module = getattr(cls, "__module__", None)
        if type(module) is not str or isinstance(obj, type):
            continue
        if module.startswith("peglab.kernel") or id(obj) in seen:
            continue
        try:
            names = _action_names(cls)
            on_chain = bool(names) and obj.chain is chain
        except Exception:  # an object mid-construction or with a failing property
            continue
        if on_chain:
            seen.add(id(obj))
            out.extend((f"{cls.__name__}.{n}", getattr(obj, n), obj) for n in names)
    return sorted(out, key=lambda a: a[0])  # stable: same-named actions keep discovery order


class _Fuzzer(ArgumentMaker):
    def __init__(self, world: FuzzWorld, rng: random.Random) -> None:
        super().__init__(world, rng, discover_actions(world.chain))
        self.queries = discover_queries(self.actions)
        self.report = FuzzReport(
            actions=len(self.actions),
            labels={a[0] for a in self.actions},
            read_labels={q[0] for q in self.queries},
        )
        self.depth = 0
        self.broken = False
        self.late = False  # the second half of the run: terminal actions may be called
        self.terminal = set(world.terminal)

    def callback(self) -> Callable[..., Any]:
        kind = self.rng.choice(("benign", "reenter", "reenter", "raise"))

        def benign(*a: Any, **k: Any) -> None:
            return None

        def reenter(*a: Any, **k: Any) -> None:
            if self.depth >= 2:
                return
            self.depth += 1
            try:
                self.call(self.rng.choice(self.actions), nested=True)
            finally:
                self.depth -= 1

        def fail(*a: Any, **k: Any) -> None:
            raise CallbackFailure("the callback's own error")

        return {"benign": benign, "reenter": reenter, "raise": fail}[kind]

    # -- one call and its checks -------------------------------------------------------------
    def call(self, act: Action, nested: bool = False) -> None:
        label, fn, owner = act
        sender = self.sender if nested else self.pick_sender(label)
        self.sender, self.owner = sender, owner
        args, kw = self.arguments(fn)
        if not nested and sender in self.w.users and self.rng.random() < 0.5:
            sender = self.owner_of(args, kw) or sender  # mostly the owner acts on its own id
            self.sender = sender
        if nested:
            try:
                fn(*args, sender=sender, **kw)
            except PeglabError:
                if self.rng.random() < 0.5:
                    raise
            return
        self.sender = sender
        chain = self.chain
        before = self.safe_hash(f"the call before {label}")
        if self.broken:
            return
        log_len, tx = len(chain.log), chain.tx_count
        rep = self.report
        rep.calls += 1
        rep.by_action[label] += 1
        where = f"{label}({_show_args(args, kw)}, sender={show(sender, 40)})"
        try:
            fn(*args, sender=sender, **kw)
        except (PeglabError, CallbackFailure) as e:
            code = getattr(e, "code", "callback")
            rep.refused[code] += 1
            rep.refused_by[label, code] += 1
            if isinstance(e, NotAuthorized) and sender in self.w.users:
                self.unauthorized[label] += 1
            self.check_refusal(before, log_len, where)
            return
        except Exception as e:  # the one thing an action may never do
            rep.failures.append(f"untyped {type(e).__name__}: {show(str(e), 80)} in {where}")
            return
        finally:
            if chain.journal.depth or chain.locks_held:
                rep.failures.append(f"transaction or lock left open after {where}")
        rep.succeeded += 1
        rep.ok_by_action[label] += 1
        for name, value in zip(self.names(fn), args):
            self.learn(name, value)
        for name, value in kw.items():
            self.learn(name, value)
        if chain.tx_count != tx:
            if chain.keep_log and len(chain.log) == log_len and _changed(chain.last_writes):
                rep.failures.append(f"state changed without an event in {where}")
            self.check_success(sender, where, label)

    def check_refusal(self, before: str, log_len: int, where: str) -> None:
        chain = self.chain
        if self.safe_hash(where) != before:
            self.report.failures.append(f"refusal changed the state hash in {where}")
        if len(chain.log) != log_len:
            self.report.failures.append(f"refusal published events in {where}")

    def safe_hash(self, where: str) -> str:
        try:
            return self.chain.state_hash()
        except Exception as e:
            self.report.failures.append(f"state does not hash ({type(e).__name__}) after {where}")
            self.broken = True  # nothing further can be checked
            return ""

    def compare_full_hash(self, i: int) -> None:
        incremental = self.safe_hash("a periodic check")
        try:
            full = self.chain.state_hash_full()
        except Exception as e:
            self.report.failures.append(f"state does not hash ({type(e).__name__}) at call {i}")
            self.broken = True
            return
        if incremental != full:
            self.report.failures.append(f"incremental hash differs from the full one at call {i}")

    def check_success(self, sender: str, where: str, label: str = "") -> None:
        chain, fails = self.chain, self.report.failures
        ledger = chain.ledger
        touched: set[str] = set()
        first: dict[tuple[str, str], int] = {}
        for container, key, old in chain.last_writes:
            sym = self.books.get(id(container))
            if sym is None:
                if container is ledger.supply:
                    touched.add(key)
                continue
            touched.add(sym)
            first.setdefault((sym, key), 0 if old is UNSET else old)
        for sym in touched:
            book = ledger.balances.get(sym)
            if book is None:
                continue
            if id(book) not in self.books:
                self.books[id(book)] = sym
            if sum(book.values()) != ledger.supply[sym] or any(v < 0 for v in book.values()):
                fails.append(f"conservation or a negative balance of {sym} after {where}")
        role = self.w.privileged.get(label)
        exempt = role is not None and chain.has_role(role, sender)
        for (sym, account), old in first.items():
            new = ledger.balances[sym].get(account, 0) if sym in ledger.balances else 0
            if (
                new < old
                and not exempt
                and account != sender
                and not chain.is_engine_account(account)
                and not account.startswith(tuple(self.w.custody))
                and not self.w.consents(account, sender, sym)
            ):
                fails.append(f"{account} lost {old - new} {sym} in {where} without consent")
        for check in self.w.invariants:
            errs = check()
            if errs:
                fails.append(f"invariant broken after {where}: {show(errs, 160)}")
                self.broken = True  # every later call would report the same broken state

    def read(self, query: Action) -> None:
        """Call a ``@query`` with (often hostile) arguments: a typed error or a value, and the
        state hash, the log and the transaction count unchanged (reads never mutate)."""
        label, fn, self.owner = query
        args, kw = self.arguments(fn, hostile=0.3)
        chain, rep = self.chain, self.report
        before = self.safe_hash(f"the read before {label}")
        if self.broken:
            return
        log_len, tx = len(chain.log), chain.tx_count
        rep.reads += 1
        rep.reads_by_query[label] += 1
        where = f"read {label}({_show_args(args, kw)})"
        try:
            fn(*args, **kw)
        except PeglabError:
            pass
        except Exception as e:
            rep.failures.append(f"untyped {type(e).__name__}: {show(str(e), 80)} in {where}")
        if self.safe_hash(where) != before or len(chain.log) != log_len or chain.tx_count != tx:
            rep.failures.append(f"a read changed the state, the log or the tx count: {where}")
        if chain.journal.depth or chain.journal.entries:
            rep.failures.append(f"a read left the journal open: {where}")

    def step(self) -> None:
        rng = self.rng
        if self.queries and rng.random() < 0.15:
            self.read(rng.choice(self.queries))
            return
        r = rng.random()
        if r < 0.06:
            self.chain.advance(
                rng.choice(
                    (1, 60, 600, 3600, 4 * 3600, 86_400, 7 * 86_400, 30 * 86_400, 365 * 86_400)
                )
            )
        elif r < 0.1 and self.w.moves:
            try:
                rng.choice(list(self.w.moves))(rng)
            except PeglabError:
                pass
        act = rng.choice(self.actions)
        while act[0] in self.terminal and not self.late:
            act = rng.choice(self.actions)
        self.call(act)


def _changed(writes: Sequence[tuple[Any, Any, Any]]) -> bool:
    """True if a transaction's undo entries show a value that differs from before it."""
    first: dict[tuple[int, Any], tuple[Any, Any, Any]] = {}
    for w in writes:
        first.setdefault((id(w[0]), w[1]), w)
    for container, key, old in first.values():
        if isinstance(container, Table):
            new = dict.get(container, key, UNSET)
        else:
            new = getattr(container, key, UNSET)
        if new is not old and (type(new) is not type(old) or new != old):
            return True
    return False


def _show_args(args: Sequence[Any], kw: dict[str, Any]) -> str:
    parts = [show(a, 40) for a in args] + [f"{k}={show(v, 40)}" for k, v in kw.items()]
    return ", ".join(parts)


def fuzz(
    world: FuzzWorld,
    calls: int,
    *,
    seed: int = 0,
    full_hash_every: int = 500,
    stop_after: int = 20,
) -> FuzzReport:
    """Call random discovered actions with hostile arguments and check after every call.

    Checks: the outcome is success or a typed ``PeglabError``; a refusal leaves the state hash
    and the log unchanged; no transaction or lock is left open; the state still hashes; after a
    success, each token written sums to its supply with no negative balance, no ordinary
    account other than the sender lost funds without consent, and the world's invariants hold;
    every ``full_hash_every`` calls the incremental hash equals the full recomputation.
    """
    rng = random.Random(seed)
    f = _Fuzzer(world, rng)
    t0 = time.perf_counter()
    for i in range(calls):
        f.late = i >= calls // 2
        f.step()
        if (i + 1) % 200 == 0:
            f.harvest()
        if full_hash_every and (i + 1) % full_hash_every == 0:
            f.compare_full_hash(i)
        if len(f.report.failures) >= stop_after or f.broken:
            break
    f.report.seconds = time.perf_counter() - t0
    return f.report
