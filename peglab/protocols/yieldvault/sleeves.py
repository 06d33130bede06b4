"""A term deposit seen by the curator as a market: the locked sleeve of docs/yield-vaults.md §3.1.

``TermSleeve(term, capacity)`` satisfies the curator's ``MarketLike``: its balance is the safe's
position (principal plus interest earned, floored), what it can withdraw is the value of its
matured tranches, its rate is the deposit's fixed rate whatever the size (no own impact), its
utilisation is 0, and ``capacity`` stands for the size of the market (the 10% market-share guard
reads it). ``withdraw(amount)`` redeems *every* matured tranche (a term deposit cannot pay part of
a tranche), so it may return more than asked; the rest stays idle in the safe. ``lock_s`` tells
allocators the sleeve is locked (the rules' locked-sleeve cap).
"""

from __future__ import annotations

from typing import Protocol

from ...errors import InvalidInput

__all__ = ["TermLike", "TermSleeve"]


class TermLike(Protocol):
    """What the sleeve needs from a term deposit (``peglab.protocols.lending.TermDeposit``)."""

    @property
    def id(self) -> str: ...
    @property
    def lock_s(self) -> int: ...
    @property
    def rate_ray(self) -> int: ...
    def position(self, owner: str) -> int: ...
    def withdrawable(self, owner: str) -> int: ...
    def deposit(self, amount: int, *, sender: str) -> int: ...
    def redeem(self, *, sender: str) -> int: ...


class TermSleeve:
    """A term deposit behind the curator's market interface (module docstring)."""

    style = "term"

    def __init__(self, term: TermLike, capacity: int) -> None:
        if type(capacity) is not int or capacity <= 0:
            raise InvalidInput(
                "yield/bad-markets", f"capacity must be a positive int: {capacity!r}"
            )
        self.term = term
        self.capacity = capacity

    @property
    def id(self) -> str:
        return self.term.id

    @property
    def lock_s(self) -> int:
        return self.term.lock_s

    def supply_balance(self, account: str) -> int:
        return self.term.position(account)

    def max_withdraw(self, account: str) -> int:
        return self.term.withdrawable(account)

    def total_supplied(self) -> int:
        return self.capacity

    def utilisation_wad(self) -> int:
        return 0

    def rates_ray(self, supply_delta: int = 0, debt_delta: int = 0) -> tuple[int, int]:
        return self.term.rate_ray, 0

    def supply(self, amount: int, *, sender: str, on_behalf: str | None = None) -> int:
        return self.term.deposit(amount, sender=sender)

    def withdraw(self, amount: int, *, sender: str, to: str | None = None) -> int:
        return self.term.redeem(sender=sender)
