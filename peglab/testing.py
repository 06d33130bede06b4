"""Helpers for tests of peglab and of protocols built on it (like ``numpy.testing``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .errors import PeglabError
from .kernel import Chain

__all__ = ["assert_refused"]


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
