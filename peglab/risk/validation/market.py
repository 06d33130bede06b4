"""Arbitrage against the engine's exact pools, for the validation cases.

``arb_size`` finds, by bisection on the venue's exact quote, the largest amount whose marginal
rate (output per unit of input, in whole tokens) after the trade is still at least ``min_rate``:
the trade that brings the pool's price to the external price. Decisions use floats; the trade
itself is an exact engine transaction.
"""

from __future__ import annotations

from collections.abc import Callable

from ...errors import PeglabError
from ...kernel import Chain
from ...protocols.amm import SwapPool as Venue  # the router's narrow pool interface

__all__ = ["Venue", "arb_size", "best_size", "marginal_rate", "one"]


def one(chain: Chain, token: str) -> int:
    """Base units of one whole token."""
    decimals: int = chain.ledger.token(token).decimals
    return int(10**decimals)


def _quote(v: Venue, tin: str, tout: str, amount: int) -> int:
    if amount <= 0:
        return 0
    try:
        return v.quote_exact_in(tin, amount, tout)
    except PeglabError:
        return -1


def marginal_rate(
    chain: Chain, v: Venue, tin: str, tout: str, at_in: int = 0, probe_tokens: int = 100
) -> float:
    """Output per input (whole tokens) for a ``probe_tokens`` sale after selling ``at_in``."""
    ui, uo = one(chain, tin), one(chain, tout)
    probe = probe_tokens * ui
    a, b = _quote(v, tin, tout, at_in), _quote(v, tin, tout, at_in + probe)
    if a < 0 or b < 0:
        return 0.0
    return (b - a) / uo / probe_tokens


def arb_size(
    chain: Chain,
    v: Venue,
    tin: str,
    tout: str,
    min_rate: float,
    cap_in: int,
    probe_tokens: int = 100,
) -> int:
    """Largest ``dx <= cap_in`` after which the marginal rate is still ``>= min_rate`` (0: none)."""
    if cap_in <= 0 or marginal_rate(chain, v, tin, tout, 0, probe_tokens) < min_rate:
        return 0
    lo, hi = 0, cap_in
    if marginal_rate(chain, v, tin, tout, hi, probe_tokens) >= min_rate:
        return hi
    while hi - lo > max(1, one(chain, tin) // 100):
        mid = (lo + hi) // 2
        if marginal_rate(chain, v, tin, tout, mid, probe_tokens) >= min_rate:
            lo = mid
        else:
            hi = mid
    return lo


def best_size(f: Callable[[int], int], cap: int, probe: int, min_gain: float = 0.0) -> int:
    """Largest ``x <= cap`` with ``f(x + probe) - f(x) >= probe (1 + min_gain)``: the size at which
    one more ``probe`` of input stops paying for itself (``f`` concave: output of a route)."""

    def pays(x: int) -> bool:
        return f(x + probe) - f(x) >= probe * (1.0 + min_gain)

    if cap < probe or not pays(0):
        return 0
    lo, hi = 0, cap
    if pays(hi):
        return hi
    while hi - lo > probe:
        mid = (lo + hi) // 2
        if pays(mid):
            lo = mid
        else:
            hi = mid
    return lo
