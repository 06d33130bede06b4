"""The deposit timelock: lenders escrow funds for one loan before it is originated (docs/usdai.md §5).

Restated from USD.AI's ``DepositTimelock.sol``: a deposit is keyed by (depositor, loan id), made
before its ``expiration``; the loan router withdraws it when the loan is originated (at or before
expiration; any excess goes back to the depositor); after expiration the depositor may cancel and
take the funds back. Withdrawals are the router's only (``usdai/not-router``).
"""

from __future__ import annotations

from ...errors import InvalidInput, NotAuthorized
from ...kernel import Chain, Table, action, query
from ...units import check_amount, check_positive
from .events import TimelockChanged

__all__ = ["DepositTimelock"]


class DepositTimelock:
    """Escrow of lender funds per (depositor, loan id); the funds sit in ``usdai:deposit-timelock``."""

    def __init__(self, chain: Chain) -> None:
        self.chain = chain
        self.account = "usdai:deposit-timelock"
        # (depositor, loan) -> (token, amount, expiration)
        self.deposits: Table[tuple[str, str], tuple[str, int, int]] = Table(chain.journal)
        self._router: object | None = None
        chain.register("usdai/deposit-timelock", self.deposits)

    def bind_router(self, router: object) -> None:
        """Setup: the only object allowed to ``withdraw``."""
        self._router = router

    @query
    def deposit_of(self, depositor: str, loan: str) -> tuple[str, int, int] | None:
        return self.deposits.get((depositor, loan))

    @action
    def deposit(self, loan: str, token: str, amount: int, expiration: int, *, sender: str) -> None:
        """Escrow ``amount`` of ``token`` for ``loan`` until ``expiration`` (one deposit per loan)."""
        amount = check_positive(amount, "amount", "usdai/bad-amount")
        expiration = check_amount(expiration, "expiration", "usdai/bad-time")
        if not isinstance(loan, str) or not loan:
            raise InvalidInput(
                "usdai/bad-loan", f"loan id must be a non-empty string, got {loan!r}"
            )
        if (sender, loan) in self.deposits:
            raise InvalidInput("usdai/timelock-exists", f"{sender} already escrowed for {loan}")
        if self.chain.now >= expiration:
            raise InvalidInput(
                "usdai/bad-time", f"expiration {expiration} is not after now {self.chain.now}"
            )
        self.chain.ledger.transfer(token, sender, self.account, amount)
        self.deposits[(sender, loan)] = (token, amount, expiration)
        self.chain.emit(TimelockChanged(loan, sender, token, amount, expiration))

    @action
    def cancel(self, loan: str, *, sender: str) -> int:
        """After expiration: take the escrowed funds back."""
        dep = self.deposits.get((sender, loan))
        if dep is None:
            raise InvalidInput("usdai/no-timelock", f"{sender} has no escrow for {loan!r}")
        token, amount, expiration = dep
        if self.chain.now <= expiration:
            raise InvalidInput(
                "usdai/timelock-active", f"escrow for {loan} runs until {expiration}"
            )
        del self.deposits[(sender, loan)]
        self.chain.ledger.transfer(token, self.account, sender, amount)
        self.chain.emit(TimelockChanged(loan, sender, token, -amount, expiration))
        return amount

    def withdraw(self, router: object, loan: str, depositor: str, amount: int, to: str) -> None:
        """Router, inside its action: move ``amount`` of an escrow to ``to``; refund the rest."""
        if router is not self._router or router is None:
            raise NotAuthorized("usdai/not-router", "only the bound loan router withdraws escrows")
        dep = self.deposits.get((depositor, loan))
        if dep is None:
            raise InvalidInput("usdai/no-timelock", f"{depositor} has no escrow for {loan!r}")
        token, escrowed, expiration = dep
        if self.chain.now > expiration:
            raise InvalidInput(
                "usdai/timelock-expired", f"escrow for {loan} expired at {expiration}"
            )
        if amount > escrowed:
            raise InvalidInput("usdai/timelock-short", f"escrow {escrowed} < tranche {amount}")
        del self.deposits[(depositor, loan)]
        self.chain.ledger.transfer(token, self.account, to, amount)
        if escrowed > amount:
            self.chain.ledger.transfer(token, self.account, depositor, escrowed - amount)
        self.chain.emit(TimelockChanged(loan, depositor, token, -escrowed, expiration))
