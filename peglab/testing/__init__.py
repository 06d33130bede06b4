"""Helpers for tests of peglab and of protocols built on it (like ``numpy.testing``).

``assert_refused`` checks one refusal; ``fuzz`` (fuzz.py) runs a stateful campaign of hostile
calls over every ``@action`` and ``@query`` a world's chain carries and checks the engine's
promises after each call (docs/architecture.md, "The action boundary and the authorization
model"); values.py draws its arguments from the live state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import PeglabError
from ..kernel import Chain
from ..units import MAX_UINT256, MIN_INT256
from .fuzz import (
    CallbackFailure,
    FuzzReport,
    FuzzWorld,
    discover_actions,
    discover_queries,
    fuzz,
)

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
