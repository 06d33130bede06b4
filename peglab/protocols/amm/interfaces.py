"""The AMM's narrow interfaces, declared once for every family that swaps through a pool.

``SwapVenue`` is what a caller needs to sell an exact input (quote, then swap with a minimum out);
``SwapPool`` adds the pool's id and coins, which the router needs to check a path. Both pool kinds
(``StableSwapPool``, ``ConstantProductPool``) satisfy both. Other families import these from here
(the one cross-family import the layering test allows), never the pool classes.
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["SwapPool", "SwapVenue"]


class SwapVenue(Protocol):
    """A pool that swaps an exact input."""

    def quote_exact_in(
        self, token_in: str, amount_in: int, token_out: str | None = None
    ) -> int: ...

    def swap_exact_in(
        self,
        token_in: str,
        amount_in: int,
        min_out: int,
        *,
        sender: str,
        token_out: str | None = None,
        receiver: str | None = None,
    ) -> int: ...


class SwapPool(SwapVenue, Protocol):
    """What the router needs of a pool: a venue with an id and its coins."""

    id: str
    coins: tuple[str, ...]
