"""Arguments for the fuzz campaign (fuzz.py), drawn mostly from the live state.

``ArgumentMaker`` builds each call's arguments from the parameter's annotation and name: ids and
names from the tables of the object that owns the action, amounts from the fields of its
records and from what the sender holds, ``what`` from the object's parameter names, tokens from
its own coins, values that succeeded before; and, at a set rate, a hostile value (a float,
bytes, an unhashable list, a 5,000-digit int, an empty name) or a wrong arity. Senders are
mostly users; an action that refused users as unauthorized is tried by its admins more often.
"""

from __future__ import annotations

import collections.abc as cabc
import inspect
import random
import types
import typing
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..kernel import Record, Table
from ..kernel.state import record_fields
from ..kernel.validate import resolve_annotation
from ..units import MAX_UINT256
from .world import Action, FuzzWorld

__all__ = ["EDGES", "HOSTILE", "ArgumentMaker", "Local", "scan_local"]

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


_ID_NAMES = ("id", "fid", "lock", "era", "token_id", "from_id", "to_id")
_SUFFIXES = ("_wad", "_rad", "_ray", "_bps", "_s")
_SCALE = ((1, 1), (1, 1), (1, 1), (1, 2), (1, 10), (99, 100), (101, 100), (2, 1))


@dataclass
class Local:
    """What one object that owns actions holds: its table keys, record fields, tokens, params."""

    int_keys: list[int] = field(default_factory=list)  # its own tables' keys first
    own_ints: int = 0  # how many of ``int_keys`` come from the object's own tables
    str_keys: list[str] = field(default_factory=list)
    owners: dict[int, str] = field(default_factory=dict)  # id -> the user who owns it
    fields: dict[str, list[int]] = field(default_factory=dict)
    params: list[str] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)

    def add_key(self, key: Any) -> None:
        for part in key if type(key) is tuple else (key,):
            if type(part) is int and len(self.int_keys) < 400:
                self.int_keys.append(part)
            elif type(part) is str and len(self.str_keys) < 400:
                self.str_keys.append(part)

    def add_owner(self, key: Any, item: Any, users: cabc.Container[str]) -> None:
        if type(key) is not int:
            return
        if type(item) is str and item in users:
            self.owners[key] = item
        elif isinstance(item, Record):
            for name in ("owner", "guy", "usr", "user", "account"):
                who = getattr(item, name, None)
                if type(who) is str and who in users:
                    self.owners[key] = who
                    return

    def add_record(self, rec: Record, tokens: cabc.Container[str]) -> None:
        for name in record_fields(rec):
            v = getattr(rec, name, None)
            if type(v) is int:
                seen = self.fields.setdefault(name, [])
                if len(seen) < 100:
                    seen.append(v)
            elif type(v) is str and v in tokens:
                self.tokens.append(v)
        self.params.extend(n for n in record_fields(rec) if n not in self.params)


def _attributes(obj: object) -> list[Any]:
    out = list(getattr(obj, "__dict__", {}).values())
    for klass in type(obj).__mro__:
        for slot in getattr(klass, "__slots__", ()):
            if isinstance(slot, str) and hasattr(obj, slot):
                out.append(getattr(obj, slot))
    return out


def scan_local(
    obj: object, tokens: cabc.Container[str], users: cabc.Container[str], depth: int = 1
) -> Local:
    """The ``Local`` of ``obj``: its own Tables and Records, and those of the protocol objects
    it holds (``depth`` levels down, breadth first), so ``take`` finds the clipper's sale ids
    and lots, and ``vote`` the escrow's lock ids with their owners."""
    loc = Local()
    params = getattr(type(obj), "PARAMS", None)
    todo: list[tuple[object, int]] = [(obj, depth)]
    seen: set[int] = set()
    while todo:
        o, d = todo.pop(0)
        if id(o) in seen:
            continue
        seen.add(id(o))
        if o is not obj and not loc.own_ints:
            loc.own_ints = len(loc.int_keys)
        for v in _attributes(o):
            if isinstance(v, Table):
                for k in list(dict.keys(v))[:100]:
                    loc.add_key(k)
                    item = dict.get(v, k)
                    loc.add_owner(k, item, users)
                    if isinstance(item, Record):
                        loc.add_record(item, tokens)
            elif isinstance(v, Record):
                loc.add_record(v, tokens)
            elif type(v) is str and v in tokens:
                loc.tokens.append(v)
            elif type(v) in (tuple, list):
                loc.tokens.extend(x for x in v if type(x) is str and x in tokens)
            elif d and type(v).__module__.startswith("peglab.protocols"):
                todo.append((v, d - 1))
    if isinstance(params, tuple):
        loc.params = [p for p in params if type(p) is str]
    return loc


class ArgumentMaker:
    """The value side of a fuzzer: ``harvest`` the state, then ``arguments`` for a call."""

    def __init__(self, world: FuzzWorld, rng: random.Random, actions: list[Action]) -> None:
        self.w = world
        self.chain = world.chain
        self.rng = rng
        self.actions = actions
        self.hints: dict[Callable[..., Any], list[tuple[str, Any, bool]]] = {}
        self.sender: Any = ""
        self.learned: dict[str, list[Any]] = {}  # argument values of successful calls, by name
        self.owner: object = None  # the object whose action or read is being called
        self.local: dict[int, Local] = {}
        self.harvests = 0
        self.unauthorized: Counter[str] = Counter()  # refusals of users as not authorized
        self.harvest()

    def callback(self) -> Callable[..., Any]:
        raise NotImplementedError  # the fuzzer's: callbacks call back into actions

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
        tokens = self.chain.ledger.tokens
        owners = {id(o): o for _, _, o in self.actions}
        users = set(self.w.users)
        if self.harvests % 3 == 0:  # the owners' state scan: every third harvest
            self.local = {k: scan_local(o, tokens, users) for k, o in owners.items()}
        self.harvests += 1
        self.accounts = sorted(
            {a for o in owners.values() if type(a := getattr(o, "account", None)) is str}
        )

    def from_state(self, tp: Any, name: str) -> Any:
        """A value for ``name`` from the owner's own state, or None (then drawn otherwise)."""
        loc = self.local.get(id(self.owner))
        if loc is None:
            return None
        rng = self.rng
        r = rng.random()
        if tp is str:
            if name == "what" and loc.params and r < 0.8:
                return rng.choice(loc.params)
            if loc.tokens and r < 0.7 and ("token" in name or name in ("gem", "coin", "asset")):
                return rng.choice(loc.tokens)
            if loc.str_keys and r < 0.35:
                return rng.choice(loc.str_keys)
        elif tp is int:
            if loc.int_keys and r < 0.7 and (name in _ID_NAMES or name.endswith("_id")):
                own = loc.int_keys[: loc.own_ints]
                return rng.choice(own if own and r < 0.5 else loc.int_keys)
            pool = list(loc.fields.get(name, ()))
            suffix = next((x for x in _SUFFIXES if name.endswith(x)), None)
            if suffix and r < 0.5:  # a bid in rad may be drawn from a tab in rad
                pool += [v for f, vs in loc.fields.items() if f.endswith(suffix) for v in vs]
            if pool and r < 0.5:
                num, den = rng.choice(_SCALE)
                return rng.choice(pool) * num // den
        return None

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
            if self.accounts and rng.random() < 0.05:  # a donation to a pool, a vault...
                return rng.choice(self.accounts)
            return rng.choice(list(self.w.users))
        return rng.choice(self.strs)

    def gen(self, tp: Any, name: str) -> Any:
        rng = self.rng
        known = self.learned.get(name)
        if known and rng.random() < 0.5:
            return rng.choice(known)
        if tp in (int, str):
            drawn = self.from_state(tp, name)
            if drawn is not None:
                return drawn
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
            return [self.gen(item, name) for _ in range(rng.randint(0, 3) or 1)]
        if origin is cabc.Callable or tp is cabc.Callable:
            return self.callback()
        if isinstance(tp, type) and tp is not Any and tp is not object:
            fits = [v for v in self.w.values if isinstance(v, tp)]
            fits += [o for _, _, o in self.actions if isinstance(o, tp)]
            if fits:
                return rng.choice(fits)
        return rng.choice((*self.w.values, *self.strs[:50], *self.ints[:50], None))

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

    def owner_of(self, args: Sequence[Any], kw: dict[str, Any]) -> str | None:
        """The user who owns an id among the arguments (a vault, a lock, a bid), if any."""
        loc = self.local.get(id(self.owner))
        if loc is None or not loc.owners:
            return None
        for v in (*args, *kw.values()):
            if type(v) is int and v in loc.owners:
                return loc.owners[v]
        return None

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

    def pick_sender(self, label: str = "") -> Any:
        r, rng = self.rng.random(), self.rng
        if self.unauthorized[label] >= 3 and r < 0.5:  # users were refused: try its admins
            return self.w.admins[0] if r < 0.3 else rng.choice(list(self.w.admins))
        if r < 0.78:
            return rng.choice(list(self.w.users))
        if r < 0.88:
            return rng.choice(list(self.w.admins))
        if r < 0.95 and self.engine:
            return rng.choice(self.engine)
        return rng.choice(("stranger", "", None, 7))
