"""A sandbox world: its genesis, the operations that change it, and its snapshot encoding.

Genesis. A sandbox starts from a *library system* (a public builder in
``peglab.examples.systems``, such as ``two_ai_dollars``) or from a *scenario* of the stress library
at a seed (the exact runner's t0 world: tokens, feeds, AI dollars, the scenario's vaults and
pools). The builders are deterministic, so the genesis record (kind, name, seed, owner) rebuilds
the same state hash. The owner is granted the chain's ``root`` role at genesis, so they hold every
role of their sandbox (oracle prices, parameters, the faucet, the clock); nobody else does unless
the owner grants it through ``kernel.Chain.grant``.

Operations. An ``Op`` is one logged step: an action of the registry on a target (``<family>.<Class>.
<method>`` on a path such as ``dollars[AUSD]``), or a clock move (``clock.advance``,
``clock.warp``: the kernel moves time outside transactions; holders of the ``clock`` role may), or
``sandbox.admit`` (the store grants ``root`` to the owner of a fork; no request can send it).
``SandboxWorld.apply`` runs it and returns the result, the events it published (captured by a
chain subscriber) and the state hash after. A refused operation raises a typed error and leaves
the world as it was; an untyped exception from the engine (a bug; the kernel has already rolled
the transaction back, as it does for any exception) becomes ``InvalidInput engine/untyped-error``
naming the exception, so a client sees a refusal and the world is unchanged.

Snapshots. ``dump_world``/``load_world`` pickle the world with a pickler that rebuilds the
kernel's journaled containers without journaling (their ``__setitem__``/``__setattr__`` need the
journal, which plain pickle restores last). A snapshot is only a cache: the log from genesis is
the truth, and a snapshot's stored hash is checked when it is loaded. Pickles are code: only
the service writes them, into its own database, and nobody else should be able to write there.
"""

from __future__ import annotations

import inspect
import io
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from ..errors import InvalidInput, PeglabError
from ..kernel import Chain, Event, LogEntry, Record, Table, action
from ..units import check_positive
from .codec import encode, encode_event
from .registry import ActionSpec, Param, Registry, build_registry, walk_targets

__all__ = [
    "CLOCK_OPS",
    "Faucet",
    "FaucetMinted",
    "Op",
    "Outcome",
    "SandboxWorld",
    "ScenarioSystem",
    "dump_world",
    "library_systems",
    "load_world",
    "registry",
]

CLOCK_OPS = ("clock.advance", "clock.warp")


@dataclass(frozen=True, slots=True)
class FaucetMinted(Event):
    """The sandbox faucet created ``amount`` base units of ``token`` for ``to``."""

    kind: ClassVar[str] = "sandbox/faucet-mint"
    token: str
    to: str
    amount: int


class Faucet:
    """Sandbox tool: mints the world's external tokens (those with a price feed) to any account.

    Needs the ``faucet`` role (the sandbox owner holds every role through ``root``). Tokens the
    protocols issue themselves (AI dollars, LP and staking shares, internal units) are refused,
    so every protocol invariant still holds.
    """

    def __init__(self, chain: Chain, tokens: tuple[str, ...]) -> None:
        self.chain = chain
        self.tokens = tokens

    @action
    def mint(self, token: str, to: str, amount: int, *, sender: str) -> None:
        """Create ``amount`` base units of an external ``token`` for ``to`` (faucet role)."""
        self.chain.require_role("faucet", sender, "sandbox/not-faucet")
        if token not in self.tokens:
            raise InvalidInput(
                "sandbox/not-faucet-token",
                f"the faucet mints only {', '.join(self.tokens)}; got {token!r}",
            )
        if not isinstance(to, str) or not to:
            raise InvalidInput("sandbox/bad-account", f"bad recipient {to!r}")
        check_positive(amount)
        self.chain.ledger.mint(token, to, amount)
        self.chain.emit(FaucetMinted(token, to, amount))


_REGISTRY: Registry | None = None


def registry() -> Registry:
    """The process-wide action registry (every protocol family, the kernel and the faucet)."""
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = build_registry(extra=(Faucet,))
    return _REGISTRY


def _roots(system: Any) -> dict[str, Any]:
    if isinstance(system, ScenarioSystem):
        return system.roots()
    return {k: v for k, v in vars(system).items() if not k.startswith("_")}


def library_systems() -> dict[str, Callable[..., Any]]:
    """Public system builders of ``peglab.examples.systems`` by name (``two-ai-dollars``)."""
    from ..examples import systems

    out: dict[str, Callable[..., Any]] = {}
    for name in getattr(systems, "__all__", ()):
        fn = getattr(systems, name)
        if inspect.isfunction(fn) and "keep_log" in inspect.signature(fn).parameters:
            out[name.replace("_", "-")] = fn
    return out


def _build_genesis(genesis: dict[str, Any]) -> tuple[Any, Chain, tuple[str, ...]]:
    kind, name = genesis.get("kind"), genesis.get("name")
    if kind == "system":
        systems = library_systems()
        if name not in systems:
            raise InvalidInput(
                "sandbox/unknown-system", f"unknown system {name!r}; known: {', '.join(systems)}"
            )
        system = systems[name](keep_log=False)
        chain = system.chain
    elif kind == "scenario":
        system, chain = _scenario_world(str(name), genesis.get("seed", 1))
    else:
        raise InvalidInput(
            "sandbox/bad-genesis", f"genesis kind must be system or scenario: {kind!r}"
        )
    tokens = tuple(sorted(t for t in _roots(system).get("feeds", {}) if t in chain.ledger.tokens))
    return system, chain, tokens


@dataclass
class ScenarioSystem:
    """A scenario's t0 world: the shared ``World`` and each family's run, by family key."""

    world: Any
    families: dict[str, Any]

    @property
    def chain(self) -> Chain:
        chain: Chain = self.world.chain
        return chain

    def roots(self) -> dict[str, object]:
        """The world's public parts (feeds, pools, amm, ...) and each family run by its key."""
        out = {k: v for k, v in vars(self.world).items() if not k.startswith("_")}
        out.update(self.families)
        return out


def _scenario_world(name: str, seed: object) -> tuple[Any, Chain]:
    """The exact runner's world of ``name`` at t0 for ``seed``: what ``run_path`` builds before
    its first step (shared world, every family built, pools seeded, agents funded)."""
    import numpy as np

    from ..risk.library import load_scenario
    from ..sim.conditions import Conditions
    from ..sim.family import scenario_families
    from ..sim.processes import rng_from
    from ..sim.scenario import simulate_prices
    from ..sim.world import build_world

    if type(seed) is not int or not 0 <= seed < 2**63:
        raise InvalidInput("sandbox/bad-seed", f"seed must be an int in [0, 2^63), got {seed!r}")
    sc = load_scenario(name)
    rng = rng_from(np.random.SeedSequence(seed))
    prices = simulate_prices(sc, rng)
    world = build_world(sc, Conditions.of(sc, prices))
    runs = {fam.key: fam.build(block, world, rng) for fam, block in scenario_families(sc)}
    world.seed_pools()
    for run in runs.values():
        run.start()
    system = ScenarioSystem(world, runs)
    return system, system.chain


@dataclass(frozen=True)
class Op:
    """One logged step: ``name`` (an action name or a clock op), its target, typed args, sender."""

    name: str
    target: str
    args: dict[str, Any]
    sender: str


@dataclass(frozen=True)
class Outcome:
    """What an applied op produced: encoded result and events, time and state hash after."""

    result: Any
    events: list[dict[str, Any]]
    time: int
    state_hash: str


class SandboxWorld:
    """The in-memory world of one sandbox (see the module docstring)."""

    def __init__(self, genesis: dict[str, Any], system: Any, faucet: Faucet) -> None:
        self.genesis = genesis
        self.system = system
        self.faucet = faucet
        self.chain: Chain = faucet.chain
        self._targets: dict[str, object] = {}
        self._paths: dict[int, str] = {}

    @classmethod
    def create(cls, genesis: dict[str, Any]) -> SandboxWorld:
        """Build the world of ``genesis`` (deterministic) and give its owner the root role."""
        owner = genesis.get("owner")
        if not isinstance(owner, str) or not owner:
            raise InvalidInput("sandbox/bad-genesis", "genesis needs an owner account")
        system, chain, tokens = _build_genesis(genesis)
        chain.grant("root", owner, sender=chain.root)
        return cls(genesis, system, Faucet(chain, tokens))

    # -- targets ------------------------------------------------------------------------------
    def roots(self) -> dict[str, Any]:
        """Named entry points of the world: ``chain``, ``faucet`` and the system's public parts."""
        roots: dict[str, Any] = {"chain": self.chain, "faucet": self.faucet}
        for name, value in _roots(self.system).items():
            roots.setdefault(name, value)
        return roots

    @property
    def feeds(self) -> dict[str, Any]:
        """The world's price feeds by token (empty if it has none)."""
        feeds: dict[str, Any] = self.roots().get("feeds") or {}
        return feeds

    def targets(self, refresh: bool = True) -> dict[str, object]:
        """``{path: object}`` of every object with actions (re-walked unless ``refresh=False``)."""
        if refresh or not self._targets:
            self._targets = walk_targets(self.roots(), registry())
            self._paths = {id(o): p for p, o in self._targets.items()}
        return self._targets

    def resolve(self, path: str) -> object:
        """The object at a target path, or ``sandbox/unknown-target``."""
        obj = self.targets(refresh=False).get(path)
        if obj is None:
            obj = self.targets().get(path)
        if obj is None:
            raise InvalidInput("sandbox/unknown-target", f"no object with actions at {path!r}")
        return obj

    def path_of(self, obj: object) -> str | None:
        if id(obj) not in self._paths:
            self.targets()
        return self._paths.get(id(obj))

    # -- operations ---------------------------------------------------------------------------
    def apply(self, op: Op) -> Outcome:
        """Run ``op``; return its outcome, or raise a typed error with nothing changed."""
        chain = self.chain
        if op.name in CLOCK_OPS:
            return self._clock(op)
        if op.name == "sandbox.admit":  # written by the store on a fork, never by a request
            chain.grant("root", str(op.args["owner"]), sender=chain.root)
            return Outcome(None, [], chain.now, chain.state_hash())
        spec = registry().actions.get(op.name)
        if spec is None:
            raise InvalidInput("sandbox/unknown-action", f"no action named {op.name!r}")
        target = self.resolve(op.target)
        if not isinstance(target, spec.cls):
            raise InvalidInput(
                "sandbox/bad-target",
                f"{op.target} is a {type(target).__name__}, not a {spec.cls.__name__}",
            )
        args = self._args(spec, op.args)
        captured: list[LogEntry] = []
        chain.subscribers.append(captured.append)
        try:
            try:
                result = spec.call(target, args, sender=op.sender)
            except PeglabError:
                raise
            except Exception as e:  # an engine bug: the kernel rolled the transaction back
                raise InvalidInput(
                    "engine/untyped-error", f"the engine raised {type(e).__name__}: {e}"
                ) from e
        finally:
            chain.subscribers.remove(captured.append)
        events = [{**encode_event(e.event, self.path_of), "sender": e.sender} for e in captured]
        return Outcome(encode(result, self.path_of), events, chain.now, chain.state_hash())

    def _args(self, spec: ActionSpec, args: dict[str, Any]) -> dict[str, Any]:
        """Logged (JSON-shaped) arguments as the engine takes them: references resolved to
        objects, objects built as their dataclasses, sequences as lists (as HTTP gives them)."""
        known = {p.name: p for p in spec.params}
        out: dict[str, Any] = {}
        for k, v in args.items():
            p = known.get(k)
            if p is None:
                raise InvalidInput("sandbox/unknown-argument", f"{spec.name} takes no {k!r}")
            out[k] = self._value(p, v)
            if isinstance(out[k], tuple):
                out[k] = list(out[k])
        return out

    def _value(self, p: Param, v: Any) -> Any:
        if v is None:
            return None
        if p.kind == "ref":
            obj = self.resolve(str(v))
            if p.ref_class is not None and not isinstance(obj, p.ref_class):
                raise InvalidInput(
                    "sandbox/bad-reference",
                    f"{p.name}: {v} is a {type(obj).__name__}, not a {p.ref_class.__name__}",
                )
            return obj
        if p.kind == "object" and p.ref_class is not None:
            return self._object(p, v)
        if p.kind == "list[object]":
            return tuple(self._object(p, x) for x in v)
        if isinstance(v, list):
            return tuple(v)
        return v

    def _object(self, p: Param, v: Any) -> Any:
        if not isinstance(v, dict) or p.ref_class is None:
            raise InvalidInput("sandbox/bad-object", f"{p.name}: expected an object, got {v!r}")
        known = {f.name: f for f in p.fields}
        unknown = set(v) - set(known)
        if unknown:
            raise InvalidInput("sandbox/bad-object", f"{p.name}: unknown fields {sorted(unknown)}")
        return p.ref_class(**{k: self._value(known[k], x) for k, x in v.items()})

    def _clock(self, op: Op) -> Outcome:
        chain = self.chain
        chain.require_role("clock", op.sender, "sandbox/not-clock")
        value = op.args.get("seconds" if op.name == "clock.advance" else "time")
        if set(op.args) - {"seconds", "time"} or type(value) is not int:
            raise InvalidInput("sandbox/bad-clock", f"{op.name} takes one integer, got {op.args!r}")
        if value > 10 * 366 * 86_400 + (chain.now if op.name == "clock.warp" else 0):
            raise InvalidInput("sandbox/bad-clock", "the clock moves at most ten years at once")
        if op.name == "clock.advance":
            chain.advance(value)
        else:
            chain.warp(value)
        return Outcome(encode(chain.now), [], chain.now, chain.state_hash())


# -- snapshots ------------------------------------------------------------------------------------


def _slots(cls: type) -> list[str]:
    out: list[str] = []
    for k in cls.__mro__:
        for s in getattr(k, "__slots__", ()):
            if s not in out:
                out.append(s)
    return out


def _new(cls: Any) -> Any:
    """An empty instance: pickle memoizes it before its state, so cycles (parent links) work."""
    return cls.__new__(cls)


def _set_table(t: Table[Any, Any], state: tuple[list[tuple[str, Any]], list[Any]]) -> None:
    slots, items = state
    for k, v in slots:
        object.__setattr__(t, k, v)
    for k, v in items:
        dict.__setitem__(t, k, v)


def _set_record(r: Record, state: list[tuple[str, Any]]) -> None:
    for k, v in state:
        object.__setattr__(r, k, v)


class _Pickler(pickle.Pickler):
    """Journaled containers are rebuilt without journaling (their writes need the journal).

    Each container is created empty first and filled by a state setter, so the containers'
    parent links and the journal they share (a cycle) are restored by pickle's memo.
    """

    def __init__(self, buf: io.BytesIO) -> None:
        super().__init__(buf, protocol=5)

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, Table):
            slots = [(s, getattr(obj, s)) for s in _slots(type(obj)) if hasattr(obj, s)]
            return _new, (type(obj),), (slots, list(dict.items(obj))), None, None, _set_table
        if isinstance(obj, Record):
            state = [(s, getattr(obj, s)) for s in _slots(type(obj)) if hasattr(obj, s)]
            return _new, (type(obj),), state, None, None, _set_record
        return NotImplemented


def dump_world(world: SandboxWorld) -> bytes:
    """Pickle of the world (system and faucet); the chain must have no transaction open."""
    if world.chain.journal.depth or world.chain.subscribers:
        raise InvalidInput("store/busy-world", "cannot snapshot inside a transaction")
    buf = io.BytesIO()
    _Pickler(buf).dump((world.genesis, world.system, world.faucet))
    return buf.getvalue()


def load_world(blob: bytes) -> SandboxWorld:
    """Inverse of ``dump_world``."""
    genesis, system, faucet = pickle.loads(blob)
    return SandboxWorld(genesis, system, faucet)
