"""One registry of every user action, found by introspection, and the targets of a sandbox world.

Actions. Every method decorated with ``@action`` (peglab.kernel) on a class defined under
``peglab.protocols`` (any family, present or future) or in the sandbox's own tools
(``store.world.Faucet``), plus the kernel's user actions on ``Chain`` (``transfer``, ``grant``,
``revoke``: they take a keyword-only ``sender`` and run as transactions), is described once as an
``ActionSpec``: a stable name ``<family>.<Class>.<method>``, its parameters (from
``inspect.signature`` of the undecorated function and its resolved annotations) and its return
type. The service generates request/response models and routes from these specs; the store
replays logged actions through them. Nothing is written per action.

Parameter types understood: ``int`` (exact, any size), ``str`` (and ``Literal`` strings), ``bool``,
``Optional`` of those,
sequences of ints or strings, ``Any``/``object``/unions of scalars (a scalar chosen by JSON type),
peglab dataclasses whose fields are of these types (and tuples of them: loan terms with their
tranches), given as JSON objects, and references to objects of the world (a class that is not a
dataclass: given as a target path).
A parameter of another type (a callback, a spec dataclass) is left out when it has a default; an
action with such a parameter and no default is listed in ``unavailable`` with the reason.

Targets. ``walk_targets(root)`` walks the object graph of a world breadth-first (attributes in
declaration order, dict and ``Table`` values in insertion order; never into ``Record`` state or
the chain's ledger) and names every object that has actions by its first path from the root,
``dollars[AUSD].dog``; public attributes are preferred, ``_`` wiring is followed only for objects
no public path reaches (``amm._pools[LP:ATH-AUSD]``). Same world, same names.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
import types
import typing
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, is_dataclass
from typing import Any

from ..kernel import Chain, Record, action

__all__ = [
    "ActionSpec",
    "Param",
    "Registry",
    "build_registry",
    "is_action",
    "walk_targets",
]

_PROBE = action(lambda self, *, sender: None)
_ACTION_CODE = _PROBE.__code__
KERNEL_ACTIONS = ("transfer", "grant", "revoke")
SCALARS = ("int", "str", "bool")


def is_action(fn: object) -> bool:
    """True if ``fn`` is a function produced by the kernel's ``@action`` decorator."""
    code = getattr(fn, "__code__", None)
    return code is _ACTION_CODE or bool(getattr(fn, "__peglab_action__", False))


@dataclass(frozen=True)
class Param:
    """One parameter of an action. ``kind``: int, str, bool, any, ref, list[int], list[str]."""

    name: str
    kind: str
    optional: bool = False  # None is allowed
    required: bool = True
    default: Any = None
    ref_class: type | None = None  # for kind == "ref": the class the object must be
    choices: tuple[str, ...] = ()  # for a ``Literal`` of strings: the allowed values
    fields: tuple[Param, ...] = ()  # for kind object / list[object]: the dataclass's fields


@dataclass(frozen=True)
class ActionSpec:
    """An action kind: ``family.Class.method`` with its parameters and return annotation."""

    name: str
    family: str
    cls: type
    method: str
    params: tuple[Param, ...]
    returns: Any
    doc: str
    skipped: tuple[str, ...] = ()  # parameters left at their default (not settable over HTTP)

    def call(self, target: object, args: dict[str, Any], *, sender: str) -> Any:
        """Run the action on ``target`` with already-typed ``args`` as ``sender``."""
        return getattr(target, self.method)(**args, sender=sender)


@dataclass
class Registry:
    """Every available action by name, and those that cannot be offered with the reason."""

    actions: dict[str, ActionSpec] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)

    def for_class(self, cls: type) -> list[ActionSpec]:
        """Actions callable on an instance of ``cls`` (its own and inherited)."""
        return [a for a in self.actions.values() if issubclass(cls, a.cls)]

    def has_actions(self, obj: object) -> bool:
        return any(isinstance(obj, a.cls) for a in self.actions.values())


def _family(module: str) -> str:
    parts = module.split(".")
    if len(parts) > 2 and parts[1] == "protocols":
        return parts[2]
    if parts[1] == "kernel":
        return "kernel"
    return "sandbox"


def _protocol_modules() -> Iterator[types.ModuleType]:
    pkg = importlib.import_module("peglab.protocols")
    for info in pkgutil.walk_packages(pkg.__path__, prefix="peglab.protocols."):
        yield importlib.import_module(info.name)


def _resolve(fn: Callable[..., Any]) -> dict[str, Any]:
    """Annotations of ``fn`` evaluated one by one; an unresolvable one maps to ``None``."""
    raw = dict(getattr(fn, "__annotations__", {}))
    ns = dict(vars(typing))
    ns.update(getattr(inspect.getmodule(fn), "__dict__", {}))
    out: dict[str, Any] = {}
    for name, ann in raw.items():
        if isinstance(ann, str):
            try:
                ann = eval(ann, ns)  # the module's own annotation text, in its own namespace
            except Exception:
                ann = None
        out[name] = ann
    return out


def _choices(ann: Any) -> tuple[str, ...]:
    """The values of a ``Literal`` of strings (also inside ``Optional``), else ``()``."""
    if typing.get_origin(ann) in (typing.Union, types.UnionType):
        for a in typing.get_args(ann):
            if a is not type(None):
                return _choices(a)
    if typing.get_origin(ann) is typing.Literal:
        return tuple(str(v) for v in typing.get_args(ann))
    return ()


def _kind(ann: Any) -> tuple[str | None, bool, type | None]:
    """(kind, optional, ref class) for an annotation; kind None when unsupported."""
    if ann is None:
        return None, False, None
    if typing.get_origin(ann) is typing.Literal:
        values = typing.get_args(ann)
        return ("str" if all(isinstance(v, str) for v in values) else None), False, None
    if ann is Any or ann is object:
        return "any", True, None
    if ann in (int, str, bool):
        return ann.__name__, False, None
    origin = typing.get_origin(ann)
    args = typing.get_args(ann)
    if origin in (typing.Union, types.UnionType):
        optional = type(None) in args
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1:
            kind, _, ref = _kind(rest[0])
            return kind, optional, ref
        if all(a in (int, str, bool) for a in rest):
            return "any", optional, None
        return None, False, None
    if origin in (list, tuple, Sequence, typing.Sequence) or (
        origin is not None and inspect.isclass(origin) and issubclass(origin, Sequence)
    ):
        inner = [a for a in args if a is not Ellipsis]
        if len(set(inner)) == 1 and inner[0] in (int, str):
            return f"list[{inner[0].__name__}]", False, None
        if len(set(inner)) == 1 and _object_fields(inner[0]) is not None:
            return "list[object]", False, inner[0]
        return None, False, None
    if _object_fields(ann) is not None:
        return "object", False, ann
    if inspect.isclass(ann) and not is_dataclass(ann) and ann.__module__.startswith("peglab."):
        return "ref", False, ann
    return None, False, None


def _object_fields(cls: Any) -> tuple[Param, ...] | None:
    """The fields of a peglab dataclass as parameters, if every one has a carried type."""
    if not (inspect.isclass(cls) and is_dataclass(cls) and cls.__module__.startswith("peglab.")):
        return None
    hints = _resolve_class(cls)
    out: list[Param] = []
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        kind, optional, ref = _kind(hints.get(f.name))
        if kind is None or kind == "ref":
            return None
        has_default = (
            f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
        )
        default = f.default if f.default is not dataclasses.MISSING else None
        sub = _object_fields(ref) if kind in ("object", "list[object]") else ()
        out.append(
            Param(
                f.name,
                kind,
                optional,
                not has_default,
                default,
                ref,
                _choices(hints.get(f.name)),
                sub or (),
            )
        )
    return tuple(out)


def _resolve_class(cls: type) -> dict[str, Any]:
    ns = dict(vars(typing))
    ns.update(vars(importlib.import_module(cls.__module__)))
    out: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        for name, ann in getattr(klass, "__annotations__", {}).items():
            if isinstance(ann, str):
                try:
                    ann = eval(ann, ns)  # the module's own annotation text, in its own namespace
                except Exception:
                    ann = None
            out[name] = ann
    return out


def _spec(cls: type, method: str, fn: Callable[..., Any]) -> tuple[ActionSpec | None, str]:
    inner = inspect.unwrap(fn)
    sig = inspect.signature(inner)
    hints = _resolve(inner)
    params: list[Param] = []
    skipped: list[str] = []
    names = list(sig.parameters)
    if not names or names[0] != "self" or "sender" not in sig.parameters:
        return None, "no self/sender"
    if sig.parameters["sender"].kind is not inspect.Parameter.KEYWORD_ONLY:
        return None, "sender is not keyword-only"
    for p in list(sig.parameters.values())[1:]:
        if p.name == "sender":
            continue
        if p.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            return None, f"parameter *{p.name} cannot be given over HTTP"
        kind, optional, ref = _kind(hints.get(p.name))
        has_default = p.default is not inspect.Parameter.empty
        if kind is None:
            if has_default:
                skipped.append(p.name)
                continue
            return (
                None,
                f"parameter {p.name!r} has a type the API cannot carry ({hints.get(p.name)!r})",
            )
        if has_default and p.default is None:
            optional = True
        params.append(
            Param(
                p.name,
                kind,
                optional,
                not has_default,
                p.default if has_default else None,
                ref,
                _choices(hints.get(p.name)),
                (_object_fields(ref) or ()) if kind in ("object", "list[object]") else (),
            )
        )
    family = _family(cls.__module__)
    doc = inspect.getdoc(inner) or ""
    return (
        ActionSpec(
            f"{family}.{cls.__name__}.{method}",
            family,
            cls,
            method,
            tuple(params),
            hints.get("return"),
            doc.split("\n\n")[0].replace("\n", " "),
            tuple(skipped),
        ),
        "",
    )


def _classes(extra: Sequence[type]) -> list[type]:
    seen: list[type] = []
    for mod in _protocol_modules():
        for obj in vars(mod).values():
            if inspect.isclass(obj) and obj.__module__ == mod.__name__ and obj not in seen:
                seen.append(obj)
    seen.extend(c for c in extra if c not in seen)
    return seen


def build_registry(extra: Sequence[type] = ()) -> Registry:
    """Introspect every protocol family (and ``extra`` classes, and the kernel's Chain)."""
    reg = Registry()
    for cls in [Chain, *_classes(extra)]:
        for name in sorted(dir(cls)):
            if name.startswith("_"):
                continue
            fn = inspect.getattr_static(cls, name, None)
            if not (is_action(fn) or (cls is Chain and name in KERNEL_ACTIONS)):
                continue
            # define each action once, on the class that declares it
            owner = next(k for k in cls.__mro__ if name in vars(k))
            if (
                owner is not cls
                and owner.__module__.startswith("peglab.")
                and (_family(owner.__module__) != "sandbox" or owner in extra)
            ):
                continue
            spec, why = _spec(cls, name, fn)
            key = f"{_family(cls.__module__)}.{cls.__name__}.{name}"
            if spec is None:
                reg.unavailable[key] = why
            else:
                reg.actions[spec.name] = spec
    return reg


_LEAF = (int, str, bool, float, bytes, type(None), Record, Chain)


def walk_targets(roots: dict[str, object], registry: Registry) -> dict[str, object]:
    """``{path: object}`` for every object with actions reachable from ``roots`` (see module doc).

    Two passes: public attributes only, then also ``_`` wiring (a factory's ``_pools``), so an
    object gets a public path whenever it has one, and private wiring still finds the rest.
    """
    found: dict[str, object] = {}
    ids: set[int] = set()
    for private in (False, True):
        for path, obj in _walk(roots, private):
            if id(obj) not in ids and registry.has_actions(obj):
                ids.add(id(obj))
                found[path] = obj
    for name, obj in roots.items():  # roots keep their given names even without a walk
        if id(obj) not in ids and registry.has_actions(obj):
            found[name] = obj
    return found


def _walk(roots: dict[str, object], private: bool) -> Iterator[tuple[str, object]]:
    seen: set[int] = set()
    queue: list[tuple[str, object]] = list(roots.items())
    while queue:
        nxt: list[tuple[str, object]] = []
        for path, obj in queue:
            if id(obj) in seen or isinstance(obj, _LEAF) or inspect.isroutine(obj):
                continue
            if inspect.isclass(obj) or isinstance(obj, types.ModuleType):
                continue
            seen.add(id(obj))
            yield path, obj
            for key, child in _children(obj, private):
                nxt.append((f"{path}[{key}]" if key[0] != "." else f"{path}{key}", child))
        queue = nxt


def _children(obj: object, private: bool) -> Iterator[tuple[str, object]]:
    if isinstance(obj, dict):  # dict and Table
        for k, v in dict.items(obj):
            if not isinstance(v, _LEAF) and isinstance(k, (str, int)):
                yield str(k), v
        return
    if isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            if not isinstance(v, _LEAF):
                yield str(i), v
        return
    if not type(obj).__module__.startswith("peglab."):
        return
    attrs: dict[str, object] = {}
    for klass in type(obj).__mro__:
        for s in getattr(klass, "__slots__", ()):
            if hasattr(obj, s):
                attrs.setdefault(s, getattr(obj, s))
    attrs.update(getattr(obj, "__dict__", {}))
    for name, v in attrs.items():
        if (private or not name.startswith("_")) and not isinstance(v, _LEAF):
            yield f".{name}", v
