"""sUSDai's loan position manager: funds loans through escrowed timelocks, books repayments and
accrues interest for the optimistic NAV (docs/usdai.md §4.3).

Restated from USD.AI's ``LoanRouterPositionManager`` (single currency: the loans are in USDai).
Book (all USDai base units; the accrual is kept times 1e18)::

    timelock     USDai escrowed for signed loans not yet originated
    pending      principal lent and not yet repaid
    repayment    repaid principal + interest - admin fee, held by sUSDai, not yet idle
    admin_fee    loan admin fee kept for the fee recipient
    accrued      Σ rate_k * amount_k * dt since each loan's last repayment (wad-scaled)
    rate         Σ rate_k * outstanding_k of performing loans
    loans(mode)  = timelock + repayment + pending - writedown + accrued - accrued * fee_bps // 1e4
                   (accrued = 0 in the CONSERVATIVE valuation)

Write-downs [O] (docs/usdai.md §4.6, on by default; ``writedowns=False`` is the contracts'
valuation): a position whose loan is 60 days past its repayment deadline is written down by the
staged schedule (30% of its pending principal at 60 days, 60% at 90, ``pending - expected`` once
the strategy marks an expected recovery; ``peglab.math.loan_rates.staged_writedown``, rounded up)
in both valuations, and its accrued interest leaves the OPTIMISTIC one, so new stakers do not pay
for interest that will not be collected; writing down both keeps deposit >= redemption price.

Hooks (called by the loan router inside its actions): origination releases the loan's timelock
and starts accrual; a repayment books ``principal + interest - fee``, replaces the loan's accrued
interest since its last repayment by what was paid, and re-rates the loan on its new balance; a
liquidation stops accrual (accrued interest stays until the sale); the sale books what was
recovered, writes off the loan's pending principal and its accrued interest.
"""

from __future__ import annotations

from typing import Protocol

from ...errors import InvalidInput, LimitExceeded
from ...kernel import Chain, Record, Table, action, query
from ...math.loan_rates import staged_writedown
from ...units import BPS, DAY, WAD, check_amount, check_positive
from .events import (
    LoanAdminFeeSwept,
    LoanRecoveryMarked,
    LoanRepaymentDeposited,
    LoanTimelockChanged,
)
from .timelock import DepositTimelock

__all__ = ["IdleBalance", "LoanBook", "LoanClock", "LoanPosition", "PositionManager"]


class IdleBalance(Protocol):
    """The vault side the position manager moves USDai from and to."""

    @property
    def account(self) -> str: ...
    def idle_balance(self) -> int: ...
    def move_idle(self, delta: int) -> None: ...


class LoanBook(Record):
    __slots__ = (
        "accrual_rate",
        "accrual_time",
        "accrued",
        "admin_fee",
        "pending",
        "repayment",
        "timelock",
    )
    timelock: int
    pending: int
    repayment: int
    admin_fee: int
    accrued: int
    accrual_rate: int
    accrual_time: int


class LoanPosition(Record):
    __slots__ = ("accrual_rate", "last_repayment", "liquidated_at", "pending", "rate")
    rate: int
    accrual_rate: int
    pending: int
    last_repayment: int
    liquidated_at: int


class LoanClock(Protocol):
    """What the position manager reads from the loan router: a loan's repayment deadline."""

    def deadline_of(self, loan: str) -> int: ...


class PositionManager:
    """The lender side of sUSDai at the loan router (it implements ``LoanHooks``)."""

    def __init__(
        self,
        chain: Chain,
        vault: IdleBalance,
        timelock: DepositTimelock,
        currency: str,
        *,
        name: str,
        loan_fee_bps: int,
        fee_recipient: str,
        strategy_role: str,
        writedowns: bool = True,
    ) -> None:
        if type(loan_fee_bps) is not int or not 0 <= loan_fee_bps <= BPS:
            raise InvalidInput("usdai/bad-config", f"loan admin fee {loan_fee_bps!r} bps")
        self.chain = chain
        self.vault = vault
        self.timelock = timelock
        self.currency = currency
        self.loan_fee_bps = loan_fee_bps
        self.fee_recipient = fee_recipient
        self.strategy_role = strategy_role
        self.writedowns = writedowns
        self._clock: LoanClock | None = None
        self.book = LoanBook(chain.journal, timelock=0, pending=0, repayment=0, admin_fee=0,
                             accrued=0, accrual_rate=0, accrual_time=chain.now)  # fmt: skip
        self.escrows: Table[str, int] = Table(chain.journal)
        self.loans: Table[tuple[str, int], LoanPosition] = Table(chain.journal)
        chain.register(f"usdai/{name}/loan-book", self.book)
        chain.register(f"usdai/{name}/escrows", self.escrows)
        chain.register(f"usdai/{name}/loans", self.loans)
        self.marks: Table[tuple[str, int], int] = Table(chain.journal)  # expected recovery
        chain.register(f"usdai/{name}/recovery-marks", self.marks)

    def bind_clock(self, clock: LoanClock) -> None:
        """Setup: the router whose deadlines date a position's lateness."""
        self._clock = clock

    # -- valuation ----------------------------------------------------------------------------
    def accrued_interest(self) -> int:
        """Interest accrued and not yet paid, in USDai (floor)."""
        b = self.book
        return (b.accrued + b.accrual_rate * (self.chain.now - b.accrual_time)) // WAD

    @query
    def late_days(self, loan: str) -> int:
        """Whole days since the loan's repayment deadline (0 while not late)."""
        if self._clock is None:
            return 0
        return max(self.chain.now - self._clock.deadline_of(loan), 0) // DAY

    def writedown(self) -> tuple[int, int]:
        """``(principal written down, accrued interest of written-down positions)`` in USDai."""
        if not self.writedowns:
            return (0, 0)
        principal = interest = 0
        now = self.chain.now
        for key, pos in self.loans.items():
            wd = staged_writedown(pos.pending, self.late_days(key[0]), self.marks.get(key))
            if wd or key in self.marks:
                principal += wd
                end = pos.liquidated_at or now
                interest += pos.accrual_rate * (end - pos.last_repayment) // WAD
        return (principal, interest)

    def assets(self, optimistic: bool) -> int:
        """The loans component of the NAV (see the module docstring)."""
        b = self.book
        wd, late_interest = self.writedown()
        accrued = self.accrued_interest() - late_interest if optimistic else 0
        fee = accrued * self.loan_fee_bps // BPS
        return b.timelock + b.repayment + b.pending - wd + accrued - fee

    @action
    def mark_recovery(self, loan: str, tranche: int, expected: int, *, sender: str) -> None:
        """Strategy admin: mark what a late (60+ days) or liquidated position is expected to
        recover; its write-down becomes ``pending - expected`` until the sale books the loss."""
        self.chain.require_role(self.strategy_role, sender, "usdai/not-strategy-admin")
        expected = check_amount(expected, "expected", "usdai/bad-amount")
        pos = self.loans.get((loan, tranche))
        if pos is None:
            raise InvalidInput("usdai/unknown-position", f"sUSDai holds no {loan!r}/{tranche}")
        if not pos.liquidated_at and self.late_days(loan) < 60:
            raise LimitExceeded(
                "usdai/not-late", f"{loan!r} is neither liquidated nor 60 days late"
            )
        self.marks[(loan, tranche)] = expected
        self.chain.emit(LoanRecoveryMarked(loan, tranche, expected))

    def _accrue(self, old_rate: int = 0, until: int = 0, since: int = 0) -> None:
        # add rate * dt since the last accrual; remove one loan's accrual over [since, until]
        b = self.book
        now = self.chain.now
        b.accrued = b.accrued + b.accrual_rate * (now - b.accrual_time) - old_rate * (until - since)
        b.accrual_time = now

    # -- strategy actions ---------------------------------------------------------------------
    @action
    def deposit_loan_timelock(
        self, loan: str, amount: int, expiration: int, *, sender: str
    ) -> None:
        """Strategy admin: escrow idle USDai for a signed loan until ``expiration``."""
        self.chain.require_role(self.strategy_role, sender, "usdai/not-strategy-admin")
        amount = check_positive(amount, "amount", "usdai/bad-amount")
        idle = self.vault.idle_balance()
        if amount > idle:
            raise LimitExceeded("credit/insufficient-balance", f"escrow {amount} > idle {idle}")
        self.vault.move_idle(-amount)
        self.book.timelock += amount
        self.escrows[loan] = self.escrows.get(loan, 0) + amount
        with self.chain.engine_call(self.vault.account):  # the vault escrows its own USDai
            self.timelock.deposit(
                loan, self.currency, amount, expiration, sender=self.vault.account
            )
        self.chain.emit(LoanTimelockChanged(loan, amount))

    @action
    def cancel_loan_timelock(self, loan: str, *, sender: str) -> int:
        """Strategy admin: after expiration, take an unused escrow back into the idle balance."""
        self.chain.require_role(self.strategy_role, sender, "usdai/not-strategy-admin")
        amount = self.escrows.get(loan, 0)
        if amount == 0:
            raise InvalidInput("usdai/no-timelock", f"no escrow for {loan!r}")
        with self.chain.engine_call(self.vault.account):
            back = self.timelock.cancel(loan, sender=self.vault.account)
        if back != amount:
            raise InvalidInput(
                "usdai/timelock-mismatch", f"escrow returned {back}, booked {amount}"
            )
        self.book.timelock -= amount
        del self.escrows[loan]
        self.vault.move_idle(amount)
        self.chain.emit(LoanTimelockChanged(loan, -amount))
        return amount

    @action
    def deposit_loan_repayment(self, amount: int, *, sender: str) -> None:
        """Strategy admin: move repaid USDai into the idle balance (redeemable, redeployable)."""
        self.chain.require_role(self.strategy_role, sender, "usdai/not-strategy-admin")
        amount = check_positive(amount, "amount", "usdai/bad-amount")
        if amount > self.book.repayment:
            raise LimitExceeded(
                "credit/insufficient-balance", f"{amount} > repayments {self.book.repayment}"
            )
        self.book.repayment -= amount
        self.vault.move_idle(amount)
        self.chain.emit(LoanRepaymentDeposited(amount))

    @action
    def sweep_loan_admin_fee(self, *, sender: str) -> int:
        """Strategy admin: pay the accumulated loan admin fee to the fee recipient."""
        self.chain.require_role(self.strategy_role, sender, "usdai/not-strategy-admin")
        fee = self.book.admin_fee
        self.book.admin_fee = 0
        self.chain.ledger.transfer(self.currency, self.vault.account, self.fee_recipient, fee)
        self.chain.emit(LoanAdminFeeSwept(fee))
        return fee

    # -- LoanHooks (the router calls these inside its actions) --------------------------------
    def _in_action(self) -> None:
        if not self.chain.journal.depth:
            raise InvalidInput("usdai/not-in-action", "loan hooks run inside the router's actions")

    def on_loan_originated(self, loan: str, tranche: int, amount: int, rate: int) -> None:
        self._in_action()
        escrowed = self.escrows.get(loan, 0)
        if escrowed:  # the escrow became this loan's funding
            del self.escrows[loan]
            self.book.timelock -= escrowed
        accrual_rate = rate * amount
        self.loans[(loan, tranche)] = LoanPosition(self.chain.journal, rate=rate, accrual_rate=accrual_rate,
                                                   pending=amount, last_repayment=self.chain.now,
                                                   liquidated_at=0)  # fmt: skip
        self.book.pending += amount
        self._accrue()
        self.book.accrual_rate += accrual_rate

    def on_loan_repayment(
        self, loan: str, tranche: int, balance_after: int, principal: int, interest: int
    ) -> None:
        self._in_action()
        pos = self.loans[(loan, tranche)]
        fee = interest * self.loan_fee_bps // BPS
        # [O] book the cash actually received; the contract books the loan's pending balance at
        # payoff, which can differ from what was paid by rounding dust (and overstate the NAV)
        reduce = pos.pending if balance_after == 0 else min(pos.pending, principal)
        b = self.book
        b.repayment += principal + interest - fee
        b.admin_fee += fee
        b.pending -= reduce
        new_pending = pos.pending - reduce
        new_rate = pos.rate * new_pending
        self._accrue(pos.accrual_rate, self.chain.now, pos.last_repayment)
        b.accrual_rate = b.accrual_rate + new_rate - pos.accrual_rate
        if balance_after == 0:
            del self.loans[(loan, tranche)]
            if (loan, tranche) in self.marks:
                del self.marks[(loan, tranche)]
        else:
            pos.accrual_rate = new_rate
            pos.pending = new_pending
            pos.last_repayment = self.chain.now

    def on_loan_liquidated(self, loan: str, tranche: int) -> None:
        self._in_action()
        pos = self.loans[(loan, tranche)]
        self._accrue()
        self.book.accrual_rate -= pos.accrual_rate
        pos.liquidated_at = self.chain.now

    def on_collateral_liquidated(
        self, loan: str, tranche: int, principal: int, interest: int
    ) -> None:
        self._in_action()
        pos = self.loans[(loan, tranche)]
        fee = interest * self.loan_fee_bps // BPS
        b = self.book
        b.repayment += principal + interest - fee
        b.admin_fee += fee
        b.pending -= pos.pending  # the shortfall is realised here
        self._accrue(pos.accrual_rate, pos.liquidated_at, pos.last_repayment)
        del self.loans[(loan, tranche)]
        if (loan, tranche) in self.marks:
            del self.marks[(loan, tranche)]
