"""Term deposits: fixed-rate loans to a sponsor, locked until maturity (the vaults' locked sleeve).

A deposit of ``a`` opens a tranche ``(principal, start, unlock = start + lock_s)``; the asset goes
to the sponsor (an RWA borrower, a fixed-term strategy). A tranche's value is
``principal + floor(principal × rate × elapsed / (RAY × YEAR))`` with ``elapsed`` capped at the
lock (simple interest, rounded down: the depositor never gets more than earned). After the
unlock the owner redeems every matured tranche at once; the sponsor pays principal and
interest, and a sponsor who cannot pay makes the redemption fail (``term/sponsor-short``), so
exits wait, as in a real locked strategy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ...errors import InvalidInput, LimitExceeded
from ...kernel import Chain, Event, Record, Table, action, query
from ...units import RAY, YEAR, check_positive

__all__ = ["TermDeposit", "TermDeposited", "TermRedeemed"]


@dataclass(frozen=True, slots=True)
class TermDeposited(Event):
    kind: ClassVar[str] = "term/deposit"
    market: str
    owner: str
    amount: int
    unlock: int


@dataclass(frozen=True, slots=True)
class TermRedeemed(Event):
    kind: ClassVar[str] = "term/redeem"
    market: str
    owner: str
    principal: int
    paid: int


class _TermState(Record):
    __slots__ = ("next_id", "total_principal")
    next_id: int
    total_principal: int


class TermDeposit:
    """Fixed annual ``rate_ray`` (simple), locked ``lock_s`` seconds, paid by ``sponsor``."""

    style = "term"

    def __init__(
        self, chain: Chain, market_id: str, asset: str, rate_ray: int, lock_s: int, sponsor: str
    ) -> None:
        if type(rate_ray) is not int or not 0 <= rate_ray <= RAY:
            raise InvalidInput("term/bad-rate", f"rate must be an int ray in [0, 1]: {rate_ray!r}")
        if type(lock_s) is not int or lock_s <= 0:
            raise InvalidInput(
                "term/bad-lock", f"lock must be a positive int of seconds: {lock_s!r}"
            )
        self.chain = chain
        self.id = market_id
        self.asset = chain.ledger.token(asset).symbol
        self.rate_ray = rate_ray
        self.lock_s = lock_s
        self.sponsor = sponsor
        self.state = _TermState(chain.journal, next_id=0, total_principal=0)
        # (owner, tranche id) -> (principal, start, unlock)
        self.tranches: Table[tuple[str, int], tuple[int, int, int]] = Table(chain.journal)
        chain.register(f"term/{market_id}", self.state)
        chain.register(f"term/{market_id}/tranches", self.tranches)

    def _value(self, principal: int, start: int, unlock: int) -> int:
        elapsed = min(self.chain.now, unlock) - start
        return principal + principal * self.rate_ray * elapsed // (RAY * YEAR)

    def _owned(self, owner: str) -> list[tuple[tuple[str, int], tuple[int, int, int]]]:
        return sorted((k, v) for k, v in self.tranches.items() if k[0] == owner)

    @query
    def position(self, owner: str) -> int:
        """Principal plus interest earned so far, rounded down."""
        return sum(self._value(*v) for _, v in self._owned(owner))

    @query
    def withdrawable(self, owner: str) -> int:
        """Value of the matured tranches (what ``redeem`` would pay now)."""
        now = self.chain.now
        return sum(self._value(*v) for _, v in self._owned(owner) if v[2] <= now)

    @query
    def next_unlock(self, owner: str) -> int | None:
        """Earliest unlock time of a tranche still locked, if any."""
        now = self.chain.now
        times = [v[2] for _, v in self._owned(owner) if v[2] > now]
        return min(times) if times else None

    @action
    def deposit(self, amount: int, *, sender: str) -> int:
        """Lock ``amount`` until ``now + lock_s``; returns the tranche id."""
        amount = check_positive(amount, "amount", "term/bad-amount")
        s = self.state
        tid = s.next_id
        unlock = self.chain.now + self.lock_s
        self.chain.ledger.transfer(self.asset, sender, self.sponsor, amount)
        self.tranches[(sender, tid)] = (amount, self.chain.now, unlock)
        s.next_id = tid + 1
        s.total_principal += amount
        self.chain.emit(TermDeposited(self.id, sender, amount, unlock))
        return tid

    @action
    def redeem(self, *, sender: str) -> int:
        """Redeem every matured tranche of the sender; returns what was paid."""
        now = self.chain.now
        due = [(k, v) for k, v in self._owned(sender) if v[2] <= now]
        if not due:
            raise InvalidInput(
                "term/nothing-matured", f"{sender} has no matured tranche in {self.id}"
            )
        paid = sum(self._value(*v) for _, v in due)
        have = self.chain.ledger.balance_of(self.asset, self.sponsor)
        if have < paid:
            raise LimitExceeded("term/sponsor-short", f"sponsor holds {have}, owes {paid}")
        principal = sum(v[0] for _, v in due)
        for k, _ in due:
            del self.tranches[k]
        self.state.total_principal -= principal
        self.chain.ledger.transfer(self.asset, self.sponsor, sender, paid)
        self.chain.emit(TermRedeemed(self.id, sender, principal, paid))
        return paid
