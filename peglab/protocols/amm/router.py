"""Stateless router: quotes and multi-hop swaps across StableSwap and constant-product pools.

Like Uniswap v2's periphery it holds no state and adds only ergonomics and guards: a path of
hops ``(pool, token_in, token_out)``, a deadline (``chain.now > deadline`` refuses with
``Slippage("amm/expired")``) and a minimum output (``amm/slippage``) or maximum input checked on
the whole route. Intermediate amounts pass through the sender's ledger account inside one atomic
transaction, so a failed hop or a missed bound rolls back every hop.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from ...errors import InvalidInput, Slippage
from ...kernel import Chain, action, query
from ...units import check_amount
from .common import check_in_amount
from .constant_product import ConstantProductPool
from .events import RouterSwapped
from .interfaces import SwapPool

__all__ = ["MAX_HOPS", "Hop", "Router", "SwapPool"]

MAX_HOPS = 8


class Hop(NamedTuple):
    """One leg of a route: sell ``token_in`` for ``token_out`` in ``pool``."""

    pool: SwapPool
    token_in: str
    token_out: str


class Router:
    """Quotes and routed swaps on one chain (no state of its own)."""

    def __init__(self, chain: Chain) -> None:
        self.chain = chain

    @staticmethod
    def check_path(path: Sequence[Hop | tuple[SwapPool, str, str]]) -> list[Hop]:
        """Validate a route: 1..MAX_HOPS hops, each pool holds its tokens, hops chain up."""
        if (
            isinstance(path, str)
            or not isinstance(path, Sequence)
            or not 1 <= len(path) <= MAX_HOPS
        ):
            raise InvalidInput(
                "amm/bad-path", f"a path is a sequence of 1 to {MAX_HOPS} hops, got {path!r}"
            )
        hops: list[Hop] = []
        prev_out: str | None = None
        for k, raw in enumerate(path):
            if not isinstance(raw, tuple) or len(raw) != 3:
                raise InvalidInput(
                    "amm/bad-path", f"hop {k} must be (pool, token_in, token_out), got {raw!r}"
                )
            hop = Hop(*raw)
            coins = getattr(hop.pool, "coins", None)
            if not isinstance(coins, tuple) or not hasattr(hop.pool, "swap_exact_in"):
                raise InvalidInput("amm/bad-path", f"hop {k}: {hop.pool!r} is not a pool")
            if hop.token_in not in coins or hop.token_out not in coins:
                raise InvalidInput(
                    "amm/unknown-token",
                    f"hop {k}: pool {hop.pool.id} does not hold {hop.token_in}/{hop.token_out}",
                )
            if hop.token_in == hop.token_out:
                raise InvalidInput("amm/same-coin", f"hop {k} sells and buys {hop.token_in}")
            if prev_out is not None and hop.token_in != prev_out:
                raise InvalidInput(
                    "amm/bad-path", f"hop {k} sells {hop.token_in} but hop {k - 1} buys {prev_out}"
                )
            prev_out = hop.token_out
            hops.append(hop)
        return hops

    @query
    def quote_amounts_out(
        self, path: Sequence[Hop | tuple[SwapPool, str, str]], amount_in: int
    ) -> list[int]:
        """Amounts after each hop for an exact input (a read: pools are not touched)."""
        hops = self.check_path(path)
        amount = check_in_amount(amount_in, "amount_in")
        amounts = [amount]
        for hop in hops:
            amount = hop.pool.quote_exact_in(hop.token_in, amount, hop.token_out)
            if amount == 0:
                raise InvalidInput("amm/insufficient-output", f"pool {hop.pool.id} returns nothing")
            amounts.append(amount)
        return amounts

    @query
    def quote_exact_in(
        self, path: Sequence[Hop | tuple[SwapPool, str, str]], amount_in: int
    ) -> int:
        """Final output of an exact-input route at current state."""
        return self.quote_amounts_out(path, amount_in)[-1]

    @query
    def quote_amounts_in(
        self, path: Sequence[Hop | tuple[SwapPool, str, str]], amount_out: int
    ) -> list[int]:
        """Inputs needed before each hop for an exact output; constant-product hops only."""
        hops = self.check_path(path)
        amount = check_in_amount(amount_out, "amount_out")
        amounts = [amount]
        for hop in reversed(hops):
            if not isinstance(hop.pool, ConstantProductPool):
                raise InvalidInput(
                    "amm/exact-out-unsupported",
                    f"pool {hop.pool.id}: exact output needs constant-product hops",
                )
            amount = hop.pool.quote_exact_out(hop.token_in, amount, hop.token_out)
            amounts.append(amount)
        amounts.reverse()
        return amounts

    def _check_deadline(self, deadline: object) -> None:
        deadline = check_amount(deadline, "deadline", "amm/bad-deadline")
        if self.chain.now > deadline:
            raise Slippage("amm/expired", f"deadline {deadline} has passed (now {self.chain.now})")

    @action
    def swap_exact_in(
        self,
        path: Sequence[Hop | tuple[SwapPool, str, str]],
        amount_in: int,
        min_out: int,
        deadline: int,
        *,
        sender: str,
        receiver: str | None = None,
    ) -> int:
        """Sell exactly ``amount_in`` along ``path``; the final output must reach ``min_out``."""
        self._check_deadline(deadline)
        hops = self.check_path(path)
        amount = check_in_amount(amount_in, "amount_in")
        min_out = check_amount(min_out, "min_out", "amm/bad-amount")
        to = sender if receiver is None else receiver
        last = len(hops) - 1
        for k, hop in enumerate(hops):
            amount = hop.pool.swap_exact_in(
                hop.token_in,
                amount,
                0,
                sender=sender,
                token_out=hop.token_out,
                receiver=to if k == last else sender,
            )
            if amount == 0:
                raise InvalidInput("amm/insufficient-output", f"pool {hop.pool.id} returns nothing")
        if amount < min_out:
            raise Slippage("amm/slippage", f"route pays {amount}, below min_out {min_out}")
        self.chain.emit(
            RouterSwapped(
                sender,
                tuple(h.pool.id for h in hops),
                (hops[0].token_in, *(h.token_out for h in hops)),
                amount_in,
                amount,
                to,
            )
        )
        return amount

    @action
    def swap_exact_out(
        self,
        path: Sequence[Hop | tuple[SwapPool, str, str]],
        amount_out: int,
        max_in: int,
        deadline: int,
        *,
        sender: str,
        receiver: str | None = None,
    ) -> int:
        """Buy exactly ``amount_out`` along a constant-product ``path``; the input must stay ≤ ``max_in``."""
        self._check_deadline(deadline)
        max_in = check_amount(max_in, "max_in", "amm/bad-amount")
        amounts = self.quote_amounts_in(path, amount_out)
        hops = self.check_path(path)
        if amounts[0] > max_in:
            raise Slippage("amm/slippage", f"route costs {amounts[0]}, above max_in {max_in}")
        to = sender if receiver is None else receiver
        last = len(hops) - 1
        for k, hop in enumerate(hops):
            pool = hop.pool
            assert isinstance(pool, ConstantProductPool)  # checked by quote_amounts_in
            pool.swap_exact_out(
                hop.token_in,
                amounts[k + 1],
                amounts[k],
                sender=sender,
                token_out=hop.token_out,
                receiver=to if k == last else sender,
            )
        self.chain.emit(
            RouterSwapped(
                sender,
                tuple(h.pool.id for h in hops),
                (hops[0].token_in, *(h.token_out for h in hops)),
                amounts[0],
                amount_out,
                to,
            )
        )
        return amounts[0]
