"""Argument validation at the boundary: one checker per parameter, built from the annotations.

``@action`` (and ``@query``) build, once per function, a checker for every parameter whose
annotation they understand, and run it on each call before the body sees the arguments:

    int               a plain int (bool refused) in [-2^255, 2^256)     (amounts refine it later)
    str, bool, None   exactly that type;  Literal[...]  one of the values
    X | Y, Optional   any alternative;  tuple[X, ...] / tuple[X, Y]  a tuple of those
    Sequence[X]       a list or tuple (not str) of X;  Callable  anything callable
    a dataclass       an instance whose fields match their own annotations (recursively)
    another class     an instance of it (``runtime_checkable`` protocols included)

``Any``, ``object`` and type variables accept any value except an int beyond 256 bits;
annotations that cannot be resolved at run time (names imported only for type checking) are left
to the body. A mismatch raises ``InvalidInput`` with
code ``input/bad-type`` (``input/out-of-range`` for an int beyond 256 bits) naming the action
and the parameter, so hostile arguments (floats, bytes, unhashable lists, huge ints, ``True``
for an amount) are refused before they can reach a lookup, a division or the state.

Speed: in front of that checker sits a test compiled once per signature (``_fast_path``) that
lets the common valid call through with inline type and range conditions (an argument without
one by its own checker); every other call goes to the checker, so a bad input gets the same
typed error either way (``tests/test_kernel_fastcheck.py`` compares the two on every action and
read of every protocol).
"""

from __future__ import annotations

import collections.abc as cabc
import dataclasses
import inspect
import types
import typing
from collections.abc import Callable
from typing import Any, Literal, Union

from ..errors import InvalidInput
from ..units import MAX_UINT256, MIN_INT256, show

__all__ = ["Checker", "build_call_checker", "checker_for", "resolve_annotation"]

Checker = Callable[[Any, str], None]
CallChecker = Callable[[tuple[Any, ...], dict[str, Any]], None]


#: The accepting condition of a simple checker as an expression in ``{v}`` (``_fast_path``).
_INLINE: dict[Checker, str] = {}


def _bad(where: str, expected: str, value: Any) -> InvalidInput:
    return InvalidInput("input/bad-type", f"{where} must be {expected}, got {show(value)}")


def _check_int(v: Any, where: str) -> None:
    if type(v) is not int:
        raise _bad(where, "an int", v)
    if not MIN_INT256 <= v <= MAX_UINT256:
        raise InvalidInput("input/out-of-range", f"{where} must fit 256 bits, got {show(v)}")


_INLINE[_check_int] = "type({v}) is int and _LO <= {v} <= _HI"


def _exact(t: type, label: str) -> Checker:
    def check(v: Any, where: str) -> None:
        if type(v) is not t:
            raise _bad(where, label, v)

    if t is str or t is bool:
        _INLINE[check] = f"type({{v}}) is {t.__name__}"
    return check


def _check_none(v: Any, where: str) -> None:
    if v is not None:
        raise _bad(where, "None", v)


_INLINE[_check_none] = "{v} is None"


def _check_callable(v: Any, where: str) -> None:
    if not callable(v):
        raise _bad(where, "callable", v)


def _union(alts: list[Checker], label: str) -> Checker:
    if len(alts) == 2 and _check_none in alts:
        other = alts[0] if alts[1] is _check_none else alts[1]

        def optional(v: Any, where: str) -> None:
            if v is not None:
                other(v, where)

        if other in _INLINE:
            _INLINE[optional] = f"({{v}} is None or {_INLINE[other]})"
        return optional

    def check(v: Any, where: str) -> None:
        for alt in alts:
            try:
                alt(v, where)
                return
            except InvalidInput:
                continue
        raise _bad(where, label, v)

    return check


def _literal(values: tuple[Any, ...]) -> Checker:
    def check(v: Any, where: str) -> None:
        if not any(type(v) is type(x) and v == x for x in values):
            raise _bad(where, f"one of {values}", v)

    return check


def _tuple_of(item: Checker | None, fixed: list[Checker | None] | None) -> Checker:
    def check(v: Any, where: str) -> None:
        if type(v) is not tuple:
            raise _bad(where, "a tuple", v)
        if fixed is not None:
            if len(v) != len(fixed):
                raise _bad(where, f"a tuple of {len(fixed)}", v)
            for k, (c, x) in enumerate(zip(fixed, v)):
                if c is not None:
                    c(x, f"{where}[{k}]")
        elif item is not None:
            for k, x in enumerate(v):
                item(x, f"{where}[{k}]")

    return check


def _sequence_of(item: Checker | None) -> Checker:
    def check(v: Any, where: str) -> None:
        if type(v) is not list and type(v) is not tuple:
            raise _bad(where, "a list or tuple", v)
        if item is not None:
            for k, x in enumerate(v):
                item(x, f"{where}[{k}]")

    return check


def _instance(t: type) -> Checker:
    def check(v: Any, where: str) -> None:
        if not isinstance(v, t):
            raise _bad(where, f"a {t.__name__}", v)

    return check


_DATACLASS_CHECKERS: dict[type, Checker] = {}


def _dataclass(t: type) -> Checker:
    known = _DATACLASS_CHECKERS.get(t)
    if known is not None:
        return known
    field_checks: list[tuple[str, Checker]] = []

    def check(v: Any, where: str) -> None:
        if not isinstance(v, t):
            raise _bad(where, f"a {t.__name__}", v)
        for name, c in field_checks:
            c(getattr(v, name), f"{where}.{name}")

    _DATACLASS_CHECKERS[t] = check  # before the fields: a recursive type refers to itself
    try:
        hints = typing.get_type_hints(t)
    except Exception:  # names only known to the type checker: check the class only
        hints = {}
    for f in dataclasses.fields(t):
        c = checker_for(hints.get(f.name, Any))
        if c is not None:
            field_checks.append((f.name, c))
    return check


def _check_width(v: Any, where: str) -> None:
    """An argument of any type: only an int beyond 256 bits is refused (no contract value is
    that wide, and formatting one in a later error message would itself fail)."""
    if type(v) is int and not MIN_INT256 <= v <= MAX_UINT256:
        raise InvalidInput("input/out-of-range", f"{where} must fit 256 bits, got {show(v)}")


_INLINE[_check_width] = "(type({v}) is not int or _LO <= {v} <= _HI)"


def checker_for(tp: Any) -> Checker | None:
    """A checker for the annotation ``tp``, or None when anything goes (see module docstring)."""
    if tp is Any or tp is object or isinstance(tp, typing.TypeVar):
        return _check_width
    if tp is int:
        return _check_int
    if tp is str:
        return _exact(str, "a str")
    if tp is bool:
        return _exact(bool, "a bool")
    if tp is None or tp is type(None):
        return _check_none
    if tp is float:  # never in protocol signatures; accept ints too as Python does
        return None
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is Union or origin is types.UnionType:
        alts = [checker_for(a) for a in args]
        if any(a is None for a in alts):
            return None
        return _union([a for a in alts if a is not None], " or ".join(map(_name, args)))
    if origin is Literal:
        return _literal(args)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return _tuple_of(checker_for(args[0]), None)
        if args == ((),) or not args:
            return _tuple_of(None, None)
        return _tuple_of(None, [checker_for(a) for a in args])
    if origin in (cabc.Sequence, list, typing.Sequence):
        return _sequence_of(checker_for(args[0]) if args else None)
    if origin is cabc.Callable or tp is cabc.Callable:
        return _check_callable
    if origin is not None:  # other generics (Mapping[...], type[...]): the body decides
        return None
    if isinstance(tp, type):
        if dataclasses.is_dataclass(tp):
            return _dataclass(tp)
        if getattr(tp, "_is_protocol", False) and not getattr(tp, "_is_runtime_protocol", False):
            return None
        return _instance(tp)
    return None


def _name(tp: Any) -> str:
    return "None" if tp is type(None) else getattr(tp, "__name__", str(tp))


def resolve_annotation(fn: Callable[..., Any], ann: Any) -> Any:
    if not isinstance(ann, str):
        return ann
    try:
        return eval(ann, fn.__globals__, {})  # the annotation text, in the function's module
    except Exception:  # imported under TYPE_CHECKING only: leave it to the body
        return Any


def build_call_checker(
    fn: Callable[..., Any], skip_first: bool = True, compiled: bool = True
) -> CallChecker:
    """One checker for the arguments of ``fn`` (without ``self``): names, arity and types.

    ``compiled``: behind a test built for this signature that lets the common valid call
    through without the general loops (``_fast_path``); the same refusals either way."""
    sig = inspect.signature(fn)
    params = list(sig.parameters.values())[1 if skip_first else 0 :]
    positional: list[tuple[str, Checker | None]] = []
    by_name: dict[str, Checker | None] = {}
    required: list[tuple[int, str]] = []  # (position or -1 if keyword-only, name)
    label = fn.__qualname__
    open_kw = any(p.kind is p.VAR_KEYWORD for p in params)
    open_pos = any(p.kind is p.VAR_POSITIONAL for p in params)
    for p in params:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        c = None
        if p.name != "sender" and p.annotation is not p.empty:
            c = checker_for(resolve_annotation(fn, p.annotation))
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            positional.append((p.name, c))
        if p.kind is not p.POSITIONAL_ONLY:
            by_name[p.name] = c
        if p.default is p.empty:
            pos = len(positional) - 1 if p.kind is not p.KEYWORD_ONLY else -1
            required.append((pos, p.name))
    n_pos = len(positional)
    pos_index = {name: k for k, (name, _) in enumerate(positional)}
    pos_checks = [(c, f"{label}: {name}") for name, c in positional]
    wheres = {name: f"{label}: {name}" for name in by_name}
    # the required positional parameters are the first ones (Python's rule): with at least that
    # many positional arguments, only the required keyword-only ones are left to look up
    n_req = sum(1 for pos, _ in required if pos >= 0)
    req_kw = [name for pos, name in required if pos < 0]
    prefix = [pos for pos, _ in required if pos >= 0] == list(range(n_req))

    def slow(args: tuple[Any, ...], kw: dict[str, Any]) -> None:
        n = len(args)
        if n > n_pos and not open_pos:
            raise InvalidInput(
                "input/bad-arguments",
                f"{label} takes {n_pos} positional arguments, got {n}",
            )
        for (c, where), v in zip(pos_checks, args):
            if c is not None:
                c(v, where)
        for name, v in kw.items():
            k = pos_index.get(name)
            if k is not None and k < n:
                raise InvalidInput("input/bad-arguments", f"{label} got {name!r} twice")
            if name in by_name:
                c = by_name[name]
                if c is not None:
                    c(v, wheres[name])
            elif not open_kw:
                raise InvalidInput(
                    "input/bad-arguments", f"{label} has no parameter {show(name, 40)}"
                )
        if n >= n_req and prefix:
            for name in req_kw:
                if name not in kw:
                    raise InvalidInput("input/bad-arguments", f"{label} needs argument {name!r}")
            return
        for pos, name in required:
            if not (0 <= pos < n) and name not in kw:
                raise InvalidInput("input/bad-arguments", f"{label} needs argument {name!r}")

    if open_pos or open_kw or not prefix or not compiled:
        return slow
    kw_only = {name: c for name, c in by_name.items() if name not in pos_index}
    return _fast_path(positional, kw_only, n_req, req_kw, wheres, slow)


def _fast_path(
    positional: list[tuple[str, Checker | None]],
    kw_only: dict[str, Checker | None],
    n_req: int,
    req_kw: list[str],
    wheres: dict[str, str],
    slow: CallChecker,
) -> CallChecker:
    """``slow`` (``build_call_checker``'s checker) behind a test compiled for this signature.

    The test accepts a call only when ``slow`` would: between the required and all positional
    arguments, each passing its checker's condition (``_INLINE``, or the checker itself),
    keyword arguments named after parameters not given by position, passing theirs, and every
    required keyword present. Anything else goes to ``slow``, which raises exactly what it
    raises: the same typed error for the same bad input, found in the same order."""
    ns: dict[str, Any] = {"_slow": slow, "_LO": MIN_INT256, "_HI": MAX_UINT256}

    def cond(c: Checker | None, var: str, where: str) -> str | None:
        if c is None:
            return None
        form = _INLINE.get(c)
        if form is not None:
            return "(" + form.format(v=var) + ")"
        ok = f"_ok{len(ns)}"
        ns[ok] = _accepts(c, where)
        return f"{ok}({var})"

    lines = ["def check(args, kw):", "    n = len(args)"]
    for n in range(n_req, len(positional) + 1):
        lines.append(f"    {'if' if n == n_req else 'elif'} n == {n}:")
        names = [f"a{k}" for k in range(n)]
        if names:
            lines.append(f"        {', '.join(names)}, = args")
        conds = [
            cond(c, f"a{k}", wheres.get(name, name)) for k, (name, c) in enumerate(positional[:n])
        ]
        test = " and ".join(x for x in conds if x is not None)
        lines.append(f"        if not ({test}):" if test else "        pass")
        if test:
            lines.append("            return _slow(args, kw)")
    lines += ["    else:", "        return _slow(args, kw)", "    for name, v in kw.items():"]
    by_kw: list[tuple[str, Checker | None, int | None]] = [
        (name, c, None) for name, c in kw_only.items()
    ]
    by_kw += [
        (name, c, k) for k, (name, c) in enumerate(positional) if k >= n_req and name in wheres
    ]
    for name, c, k in by_kw:
        kw_test = cond(c, "v", wheres.get(name, name))
        if k is not None:  # a positional parameter by name: only after the given positionals
            kw_test = f"n <= {k}" + ("" if kw_test is None else f" and {kw_test}")
        lines.append(f"        if name == {name!r}:")
        if kw_test is not None:
            lines.append(f"            if not ({kw_test}):")
            lines.append("                return _slow(args, kw)")
        lines.append("            continue")
    lines.append("        return _slow(args, kw)")
    for name in req_kw:
        lines.append(f"    if {name!r} not in kw:")
        lines.append("        return _slow(args, kw)")
    exec("\n".join(lines), ns)  # the source: built above from the parameters' names
    fast: CallChecker = ns["check"]
    return fast


def _accepts(c: Checker, where: str) -> Callable[[Any], bool]:
    def ok(v: Any) -> bool:
        try:
            c(v, where)
        except InvalidInput:
            return False
        return True

    return ok
