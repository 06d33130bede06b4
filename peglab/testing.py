"""Helpers for tests of peglab and of protocols built on it (like ``numpy.testing``).

``assert_refused`` checks one refusal; ``fuzz`` runs a stateful campaign of hostile calls over
every ``@action`` a world's chain carries and checks the engine's promises after each call
(docs/architecture.md, "The action boundary and the authorization model").
"""

from __future__ import annotations

import collections.abc as cabc
import gc
import inspect
import random
import time
import types
import typing
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import PeglabError
from .kernel import Chain, Table
from .kernel.state import UNSET
from .kernel.validate import resolve_annotation
from .units import MAX_UINT256, MIN_INT256, show

__all__ = [
    "CallbackFailure",
    "FuzzReport",
    "FuzzWorld",
    "assert_refused",
    "boundary_code",
    "discover_actions",
    "discover_queries",
    "fuzz",
]


def boundary_code(value: object, code: str, expected: type = int) -> str:
    """The code an action refuses ``value`` with, for a parameter annotated ``expected``.

    The action boundary (kernel/validate.py) answers first: ``input/bad-type`` for a value of
    another type (``True`` is not an int), ``input/out-of-range`` for an int beyond 256 bits;
    otherwise the action's own check answers with ``code``.
    """
    if type(value) is not expected:
        return "input/bad-type"
    if expected is int and not MIN_INT256 <= value <= MAX_UINT256:  # type: ignore[operator]
        return "input/out-of-range"
    return code


def assert_refused(
    chain: Chain, error: type[PeglabError], code: str, fn: Callable[..., Any], *args: Any, **kw: Any
) -> PeglabError:
    """Call ``fn``; assert it raises ``error`` with ``code`` and leaves the state hash unchanged."""
    before = chain.state_hash()
    log_len = len(chain.log)
    try:
        fn(*args, **kw)
    except PeglabError as e:
        assert isinstance(e, error), f"expected {error.__name__}, got {type(e).__name__}: {e}"
        assert e.code == code, f"expected code {code}, got {e.code}: {e}"
        after = chain.state_hash()
        assert after == before, f"refused action {code} changed the state hash"
        assert len(chain.log) == log_len, "refused action published events"
        assert chain.journal.depth == 0 and not chain.journal.entries, "journal left open"
        return e
    raise AssertionError(f"expected {error.__name__} {code}, but the action succeeded")


# -- the fuzz campaign ---------------------------------------------------------------------------
class CallbackFailure(Exception):
    """Raised on purpose by a fuzz callback: the user's own exception, not an engine bug."""


@dataclass
class FuzzWorld:
    """A chain with protocols built on it, for ``fuzz``.

    Every object on the chain with ``@action`` methods is found (``discover_actions``), so a new
    family is fuzzed as soon as a world builds it. ``users`` are ordinary accounts (senders);
    ``admins`` hold roles; ``invariants`` return error lists (empty: fine); ``consents(owner,
    spender)`` says whether ``owner`` approved ``spender`` (vault operators, allowances...);
    ``moves`` change the environment (a price report) between calls; ``values`` seed arguments.
    """

    chain: Chain
    users: Sequence[str]
    admins: Sequence[str] = ("gov",)
    invariants: Sequence[Callable[[], list[str]]] = ()
    consents: Callable[[str, str], bool] = lambda owner, spender: False
    moves: Sequence[Callable[[random.Random], None]] = ()
    values: Sequence[object] = ()


@dataclass
class FuzzReport:
    """What a campaign did and found; ``failures`` holds one line per violated check."""

    calls: int = 0
    succeeded: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    by_action: Counter[str] = field(default_factory=Counter)
    ok_by_action: Counter[str] = field(default_factory=Counter)
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
        self.labels |= other.labels
        self.failures.extend(other.failures)
        self.reads += other.reads
        self.reads_by_query.update(other.reads_by_query)
        self.read_labels |= other.read_labels
        self.actions = max(self.actions, other.actions)
        self.seconds += other.seconds


Action = tuple[str, Callable[..., Any], object]  # label, bound method, owner object


def _marked_names(cls: type, mark: str) -> tuple[str, ...]:
    """Names of the methods of ``cls`` carrying ``mark`` (``@action`` or ``@query``), cached."""
    cache = f"{mark}names__"
    names = getattr(cls, cache, None)
    if names is None or names[0] is not cls:
        found = sorted(
            {
                name
                for klass in cls.__mro__
                for name, attr in vars(klass).items()
                if getattr(attr, mark, False)
            }
        )
        names = (cls, tuple(found))
        try:
            setattr(cls, cache, names)
        except (AttributeError, TypeError):
            return names[1]
    return names[1]


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


HOSTILE: tuple[Callable[[], object], ...] = (
    lambda: 1.5,
    lambda: b"x",
    lambda: [1],
    lambda: {},
    lambda: None,
    lambda: True,
    lambda: object(),
    lambda: 10**5000,
    lambda: -(2**300),
    lambda: float("nan"),
    lambda: "",
    lambda: " x ",
    lambda: "x" * 500,
)
EDGES = (0, 1, 2, 3, -1, 2**64, 2**112, 2**128, 2**192, 2**255, MAX_UINT256, MAX_UINT256 + 1)
_TIME_HINTS = ("_s", "time", "deadline", "era", "until", "end", "expiry", "duration", "timestamp")


class _Fuzzer:
    def __init__(self, world: FuzzWorld, rng: random.Random) -> None:
        self.w = world
        self.chain = world.chain
        self.rng = rng
        self.actions = discover_actions(self.chain)
        self.queries = discover_queries(self.actions)
        self.report = FuzzReport(
            actions=len(self.actions),
            labels={a[0] for a in self.actions},
            read_labels={q[0] for q in self.queries},
        )
        self.hints: dict[Callable[..., Any], list[tuple[str, Any, bool]]] = {}
        self.sender = ""
        self.depth = 0
        self.broken = False
        self.learned: dict[str, list[Any]] = {}  # argument values of successful calls, by name
        self.harvest()

    # -- values -----------------------------------------------------------------------------
    def harvest(self) -> None:
        ints: set[int] = set()
        strs: set[str] = set(self.w.users) | set(self.w.admins) | set(self.chain.ledger.tokens)
        amounts: list[int] = []
        self.books: dict[int, str] = {}
        for sym, book in self.chain.ledger.balances.items():
            self.books[id(book)] = sym
            strs.update(book)
            amounts.extend(book.values())
        self.keyed: dict[str, list[Any]] = {}  # "ilks" table keys serve a parameter "ilk"
        for reg, c in self.chain.registered():
            if isinstance(c, Table):
                tail = reg.replace(":", "/").rsplit("/", 1)[-1]
                keys = [k for k in list(c)[:200] if type(k) in (int, str)]
                if keys:
                    self.keyed.setdefault(tail, []).extend(keys)
                for k in list(c)[:200]:
                    for part in k if type(k) is tuple else (k,):
                        if type(part) is int:
                            ints.add(part)
                        elif type(part) is str:
                            strs.add(part)
        for _, _, obj in self.actions:
            for attr in ("PARAMS", "ilk", "id", "symbol", "name", "token", "account"):
                v = getattr(obj, attr, None)
                if type(v) is str:
                    strs.add(v)
                elif isinstance(v, tuple):
                    strs.update(x for x in v if type(x) is str)
        self.ints = sorted(ints)[:500] or [1]
        self.strs = sorted(strs)
        self.amounts = sorted(set(amounts))[-300:] or [10**18]
        self.engine = [s for s in self.strs if ":" in s and self.chain.is_engine_account(s)]

    def gen_int(self, name: str) -> int:
        r, rng = self.rng.random(), self.rng
        if (name == "id" or name.endswith("_id") or name in ("fid", "lock", "era")) and r < 0.7:
            return rng.choice(self.ints)
        if name.startswith("max") and r < 0.5:  # slippage bounds: mostly permissive
            return rng.choice((MAX_UINT256, 10**30, 10**40))
        if name.startswith("min") and r < 0.5:
            return 0
        if name in ("i", "j", "k", "index", "coin") and r < 0.8:
            return rng.randint(0, 2)
        if (name.endswith("_s") or "duration" in name) and r < 0.7:
            return rng.choice((0, 1, 3600, 86_400, 7 * 86_400, 365 * 86_400, 4 * 365 * 86_400))
        if any(h in name for h in _TIME_HINTS) and r < 0.6:
            return self.chain.now + rng.choice(
                (-1, 0, 1, 3600, 86_400, 7 * 86_400, 4 * 365 * 86_400)
            )
        if r < 0.25:
            own = self.own_balances()
            if own:
                return rng.choice(own) // rng.choice((1, 2, 10, 1000, 10**6))
        if r < 0.35:
            return rng.choice(self.amounts) // rng.choice((1, 1, 2, 10, 1000, 10**9))
        if r < 0.5:
            return rng.choice(self.ints)
        if r < 0.65:
            return rng.randint(0, 3)
        if r < 0.8:
            return rng.choice((10**18, 10**27, 10**45, 10**6)) * rng.randint(1, 10**6)
        if r < 0.9:
            return rng.choice(EDGES)
        return rng.randint(0, 10 ** rng.randint(1, 60))

    def gen_str(self, name: str) -> str:
        rng = self.rng
        if "token" in name or name in ("gem", "coin", "asset", "symbol"):
            return rng.choice(list(self.chain.ledger.tokens))
        if rng.random() < 0.05:
            return rng.choice(("", "nobody", "x:y"))
        if self.engine and rng.random() < 0.05:
            return rng.choice(self.engine)
        if name in ("to", "who", "usr", "owner", "receiver", "spender", "operator", "keeper"):
            return rng.choice(list(self.w.users))
        return rng.choice(self.strs)

    def gen(self, tp: Any, name: str) -> Any:
        rng = self.rng
        known = self.learned.get(name)
        if known and rng.random() < 0.5:
            return rng.choice(known)
        stem = name.removesuffix("_id")
        if tp in (int, str) and rng.random() < 0.5:
            keys = [k for t, ks in self.keyed.items() if t.startswith(stem) for k in ks]
            keys = [k for k in keys if type(k) is tp]
            if keys:
                return rng.choice(keys)
        if tp is int:
            return self.gen_int(name)
        if tp is str:
            return self.gen_str(name)
        if tp is bool:
            return rng.random() < 0.5
        if tp is None or tp is type(None):
            return None
        origin, args = typing.get_origin(tp), typing.get_args(tp)
        if origin in (typing.Union, types.UnionType):
            return self.gen(rng.choice(args), name)
        if origin is typing.Literal:
            return rng.choice(args)
        if origin is tuple:
            if len(args) == 2 and args[1] is Ellipsis:
                return tuple(self.gen(args[0], name) for _ in range(rng.randint(0, 3)))
            return tuple(self.gen(a, name) for a in args)
        if origin in (list, cabc.Sequence):
            item = args[0] if args else Any
            return [self.gen(item, name) for _ in range(rng.randint(0, 3))]
        if origin is cabc.Callable or tp is cabc.Callable:
            return self.callback()
        if isinstance(tp, type) and tp is not Any and tp is not object:
            fits = [v for v in self.w.values if isinstance(v, tp)]
            fits += [o for _, _, o in self.actions if isinstance(o, tp)]
            if fits:
                return rng.choice(fits)
        return rng.choice((*self.w.values, *self.strs[:50], *self.ints[:50], None))

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

    def arguments(
        self, fn: Callable[..., Any], hostile: float = 0.12
    ) -> tuple[list[Any], dict[str, Any]]:
        params = self.hints.get(fn)
        if params is None:
            params = []
            for p in list(inspect.signature(fn).parameters.values()):
                if p.name == "sender" or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                    continue
                tp = resolve_annotation(getattr(fn, "__wrapped__", fn), p.annotation)
                params.append((p.name, tp, p.kind is p.KEYWORD_ONLY or p.default is not p.empty))
            self.hints[fn] = params
        args: list[Any] = []
        kw: dict[str, Any] = {}
        rng = self.rng
        for name, tp, optional in params:
            if optional and rng.random() < 0.5:
                continue
            value = self.gen(tp, name)
            if not optional and not kw:
                args.append(value)
            else:
                kw[name] = value
        r = rng.random()
        if r < hostile and (args or kw):
            k = rng.randrange(len(args) + len(kw))
            bad = rng.choice(HOSTILE)()
            if k < len(args):
                args[k] = bad
            else:
                kw[list(kw)[k - len(args)]] = bad
        elif r < hostile + 0.02:
            kw["unexpected"] = 1
        elif r < hostile + 0.04 and args:
            args.pop()
        return args, kw

    def own_balances(self) -> list[int]:
        sender = self.sender
        if type(sender) is not str:
            return []
        return [b for book in self.chain.ledger.balances.values() if (b := book.get(sender, 0))]

    def names(self, fn: Callable[..., Any]) -> list[str]:
        return [name for name, _, _ in self.hints.get(fn, ())]

    def learn(self, name: str, value: Any) -> None:
        if type(value) in (int, str, bool):
            seen = self.learned.setdefault(name, [])
            if value not in seen:
                seen.append(value)
                if len(seen) > 50:
                    del seen[0]

    def pick_sender(self) -> Any:
        r, rng = self.rng.random(), self.rng
        if r < 0.78:
            return rng.choice(list(self.w.users))
        if r < 0.88:
            return rng.choice(list(self.w.admins))
        if r < 0.95 and self.engine:
            return rng.choice(self.engine)
        return rng.choice(("stranger", "", None, 7))

    # -- one call and its checks -------------------------------------------------------------
    def call(self, act: Action, nested: bool = False) -> None:
        label, fn, _ = act
        sender = self.sender if nested else self.pick_sender()
        self.sender = sender
        args, kw = self.arguments(fn)
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
            rep.refused[getattr(e, "code", "callback")] += 1
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
            self.check_success(sender, where)

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

    def check_success(self, sender: str, where: str) -> None:
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
        for (sym, account), old in first.items():
            new = ledger.balances[sym].get(account, 0) if sym in ledger.balances else 0
            if (
                new < old
                and account != sender
                and not chain.is_engine_account(account)
                and not self.w.consents(account, sender)
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
        label, fn, _ = query
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
        self.call(rng.choice(self.actions))


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
        f.step()
        if (i + 1) % 200 == 0:
            f.harvest()
        if full_hash_every and (i + 1) % full_hash_every == 0:
            f.compare_full_hash(i)
        if len(f.report.failures) >= stop_after or f.broken:
            break
    f.report.seconds = time.perf_counter() - t0
    return f.report
