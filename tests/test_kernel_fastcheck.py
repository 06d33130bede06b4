"""The boundary's compiled argument test (``validate._fast_path``) against the plain checker.

Every ``@action`` and ``@query`` of every protocol is called with plausible calls mutated into
hostile ones (a bad value, too few or too many arguments, by name, twice, an unknown name, no
sender); the compiled checker must accept exactly what the plain one accepts and raise the same
typed error, code and message.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import random
from collections.abc import Callable
from typing import Any

import pytest

import peglab.protocols
from peglab.errors import PeglabError
from peglab.kernel import Chain
from peglab.kernel import validate as v
from peglab.units import MAX_UINT256, MIN_INT256

VALUES: list[Any] = [0, 1, -1, MAX_UINT256, MAX_UINT256 + 1, MIN_INT256 - 1, True, False, None,
                     "alice", "", 1.5, b"x", [1], [], (1,), ("a", "b"), (), {}, object()]  # fmt: skip
PLAUSIBLE = {"int": 10**18, "str": "tUSD", "bool": True, "str | None": None, "int | None": 7}
Call = tuple[tuple[Any, ...], dict[str, Any]]


def _boundary_functions() -> list[tuple[str, Callable[..., Any]]]:
    found: dict[str, Callable[..., Any]] = {
        "Chain.transfer": Chain.transfer.__wrapped__,  # type: ignore[attr-defined]
    }
    for mod in pkgutil.walk_packages(peglab.protocols.__path__, "peglab.protocols."):
        for _, cls in inspect.getmembers(importlib.import_module(mod.name), inspect.isclass):
            for name, fn in vars(cls).items():
                if getattr(fn, "__peglab_action__", False) or getattr(
                    fn, "__peglab_query__", False
                ):
                    found[f"{cls.__qualname__}.{name}"] = fn.__wrapped__
    return sorted(found.items())


def _outcome(check: Callable[..., None], args: tuple[Any, ...], kw: dict[str, Any]) -> object:
    try:
        check(args, kw)
    except PeglabError as e:
        return (type(e).__name__, e.code, str(e))
    return "accepted"


def _calls(fn: Callable[..., Any], rng: random.Random) -> list[Call]:
    """A plausible call (each parameter a value of its annotation) and mutations of it."""
    params = list(inspect.signature(fn).parameters.values())[1:]
    params = [p for p in params if p.name != "sender"]
    names = [p.name for p in params] + ["no_such_name"]
    good = [PLAUSIBLE.get(str(p.annotation), rng.choice(VALUES)) for p in params]
    n_pos = sum(p.kind is not p.KEYWORD_ONLY for p in params)
    out = []
    for _ in range(40):
        n = rng.randint(0, n_pos + 1) if rng.random() < 0.5 else n_pos
        args = [good[k] if k < n_pos else 0 for k in range(n)]
        kw: dict[str, Any] = {p.name: good[k] for k, p in enumerate(params) if k >= n}
        if args and rng.random() < 0.5:
            args[rng.randrange(len(args))] = rng.choice(VALUES)
        if rng.random() < 0.9:
            kw["sender"] = "alice"
        for _ in range(rng.choice((0, 0, 0, 1, 2))):
            kw[rng.choice(names)] = rng.choice(VALUES)
        if kw and rng.random() < 0.2:
            del kw[rng.choice(list(kw))]
        out.append((tuple(args), kw))
    return out


def _mismatches(outcomes: list[object] | None = None) -> list[str]:
    rng = random.Random(7)
    bad = []
    for label, fn in _boundary_functions():
        plain = v.build_call_checker(fn, compiled=False)
        fast = v.build_call_checker(fn)
        for args, kw in _calls(fn, rng):
            a, b = _outcome(plain, args, kw), _outcome(fast, args, kw)
            if a != b:
                bad.append(f"{label}{args!r:.60} {kw!r:.60}: {a} != {b}")
            if outcomes is not None:
                outcomes.append(a if isinstance(a, str) else a[1])  # type: ignore[index]
    return bad


def test_compiled_checker__every_protocol_boundary__same_refusals_as_plain() -> None:
    assert len(_boundary_functions()) > 150  # every family's actions and reads
    outcomes: list[object] = []
    assert _mismatches(outcomes) == []
    kinds = {o: outcomes.count(o) for o in set(outcomes)}  # both sides exercised
    assert kinds["accepted"] > 1000, kinds
    for code in ("input/bad-type", "input/out-of-range", "input/bad-arguments"):
        assert kinds[code] > 100, kinds


def test_compiled_checker__canary__int_condition_taking_bools__found(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(v._INLINE, v._check_int, "type({v}) in (int, bool)")
    assert any("input/bad-type" in m for m in _mismatches())
