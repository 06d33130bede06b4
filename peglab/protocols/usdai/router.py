"""The USD.AI loan router: tranche-aware GPU loans (docs/usdai.md §5).

Restated from USD.AI's ``LoanRouter.sol``. State per loan: status, maturity, repayment deadline
and the balance in 18-decimal *scaled* units (``amount * 10**(18 - currency decimals)``).

* ``borrow``: the borrower's terms, each tranche consented to by its lender (``approve_terms``)
  or funded from the deposit timelock; the GPU receipt moves in, each tranche is funded, its
  position (a transferable claim, ``transfer_position``) goes to the lender, the origination fee
  to the fee recipient and ``principal - fee`` to the borrower; lenders with hooks are told.
* ``repay``: a payment after ``deadline - interval`` is scheduled: the rate model
  (peglab.math.loan_rates) gives the due principal and interest for the due intervals plus grace
  interest; the amount must cover them; any excess is a prepayment (reduces the balance, not the
  schedule); ``deadline += intervals * interval``. Earlier, a payment is a pure prepayment. The
  borrower pays the total unscaled *up*; each tranche is paid its share unscaled *down*
  (principal pro rata to amounts, interest to ``rate * amount``, prepayment to the original
  amounts with the remainder to the last tranche). At zero balance the exit fee is paid and the
  collateral returns.
* ``liquidate``: anyone, once ``now > deadline + grace``; the receipt goes to the collateral
  auction (redemption window, then an English auction) and lenders' hooks stop accrual.
* proceeds: the lenders' claim is the rate model at maturity (all remaining principal and
  scheduled interest; at the last interval, at the sale time); the waterfall pays the liquidation
  fee, then principal in tranche order, then interest in tranche order; the surplus goes to the
  fee recipient, not the borrower. [O] insurance: if the sale fetched less than the loan's
  ``insured_amount`` the insurer tops up the difference (capped by its balance and the unpaid
  claim), paid through the same seniority, no fee.
"""

from __future__ import annotations

from collections.abc import Sequence

from ...errors import InvalidInput, LimitExceeded, NotAuthorized
from ...kernel import Chain, Record, Table, action, query
from ...math.fixedpoint import ceil_div
from ...math.loan_rates import Model, Repayment, repayment, waterfall
from ...units import BPS, check_amount, check_positive
from .auction import CollateralAuction
from .events import (
    CollateralRedeemed,
    LoanBorrowed,
    LoanLiquidated,
    LoanRepaid,
    LoanTermsApproved,
    ParameterSet,
    PositionTransferred,
    WaterfallPaid,
)
from .interfaces import LoanHooks
from .terms import LoanTerms, validate_terms
from .timelock import DepositTimelock

__all__ = ["LoanRouter", "LoanState"]


class LoanState(Record):
    """``status``: active | repaid | liquidated | collateral-liquidated | redeemed."""

    __slots__ = ("balance", "deadline", "maturity", "status")
    status: str
    maturity: int
    deadline: int
    balance: int  # scaled to 18 decimals


class _RouterConfig(Record):
    __slots__ = ("fee_recipient", "insurer", "liquidation_fee_bps")
    fee_recipient: str
    liquidation_fee_bps: int
    insurer: str


class LoanRouter:
    """Originates, services and liquidates loans; funds sit in ``usdai:loan-router``."""

    def __init__(
        self,
        chain: Chain,
        timelock: DepositTimelock,
        auction: CollateralAuction,
        *,
        fee_recipient: str = "usdai:fees",
        liquidation_fee_bps: int = 500,
        insurer: str = "",
        admin_role: str = "usdai/router-admin",
    ) -> None:
        if type(liquidation_fee_bps) is not int or not 0 <= liquidation_fee_bps <= BPS:
            raise InvalidInput("usdai/bad-config", f"liquidation fee {liquidation_fee_bps!r} bps")
        self.chain = chain
        self.account = "usdai:loan-router"
        self.admin_role = admin_role
        self.timelock = timelock
        self.auction = auction
        timelock.bind_router(self)
        auction.bind(self)
        self.config = _RouterConfig(chain.journal, fee_recipient=fee_recipient,
                                    liquidation_fee_bps=liquidation_fee_bps, insurer=insurer)  # fmt: skip
        self.loans: Table[str, LoanState] = Table(chain.journal)
        self.terms: Table[str, LoanTerms] = Table(chain.journal)
        self.approvals: Table[tuple[str, str], bool] = Table(chain.journal)
        self.positions: Table[tuple[str, int], str] = Table(chain.journal)
        self._hooks: dict[str, LoanHooks] = {}
        chain.register("usdai/router", self.config)
        chain.register("usdai/router/loans", self.loans)
        chain.register("usdai/router/terms", self.terms)
        chain.register("usdai/router/approvals", self.approvals)
        chain.register("usdai/router/positions", self.positions)

    def set_hooks(self, account: str, hooks: LoanHooks) -> None:
        """Setup: ``account`` (a lender such as sUSDai) receives lender callbacks."""
        self._hooks[account] = hooks

    # -- views --------------------------------------------------------------------------------
    def _scale(self, currency: str) -> int:
        scale: int = 10 ** (18 - self.chain.ledger.token(currency).decimals)
        return scale

    @query
    def loan(self, loan: str) -> LoanState:
        st = self.loans.get(loan)
        if st is None:
            raise InvalidInput("usdai/unknown-loan", f"no loan {loan!r}")
        return st

    @query
    def deadline_of(self, loan: str) -> int:
        """The loan's repayment deadline (the end of the interval now due)."""
        return self.loan(loan).deadline

    @query
    def owner_of(self, loan: str, tranche: int) -> str:
        owner = self.positions.get((loan, tranche))
        if owner is None:
            raise InvalidInput("usdai/unknown-position", f"no tranche {tranche} of loan {loan!r}")
        return owner

    def _due(self, t: LoanTerms, st: LoanState, timestamp: int) -> Repayment:
        return repayment(
            _model(t.model), [x.amount for x in t.tranches], [x.rate for x in t.tranches],
            t.interval_s, t.grace_rate, t.grace_duration_s, st.balance, st.deadline, st.maturity,
            timestamp,
        )  # fmt: skip

    @query
    def quote(self, loan: str, timestamp: int | None = None) -> tuple[int, int, int]:
        """``(principal, interest, exit_fee)`` due at ``timestamp`` (currency units, rounded up);
        zeros before the payment window or when the loan is not active."""
        st = self.loans.get(loan)
        if st is None or st.status != "active":
            return (0, 0, 0)
        t = self.terms[loan]
        ts = self.chain.now if timestamp is None else timestamp
        if ts < st.deadline - t.interval_s:
            return (0, 0, 0)
        due = self._due(t, st, ts)
        sc = self._scale(t.currency)
        fee = t.exit_fee if st.balance == due.principal else 0
        return (ceil_div(due.principal, sc), ceil_div(due.interest, sc), fee)

    def projected_schedule(self, loan: str, limit: int = 48) -> list[tuple[int, int, int]]:
        """``(due time, principal, interest)`` of the remaining payments if each came on time
        (currency units, rounded up as ``quote``); empty unless the loan is active. A read."""
        st = self.loan(loan)
        t = self.terms[loan]
        sc = self._scale(t.currency)
        out: list[tuple[int, int, int]] = []
        balance, deadline = st.balance, st.deadline
        while (
            st.status == "active" and balance > 0 and deadline <= st.maturity and len(out) < limit
        ):
            due = repayment(_model(t.model), [x.amount for x in t.tranches],
                            [x.rate for x in t.tranches], t.interval_s, t.grace_rate,
                            t.grace_duration_s, balance, deadline, st.maturity, deadline - 1)  # fmt: skip
            out.append((deadline, ceil_div(due.principal, sc), ceil_div(due.interest, sc)))
            balance -= due.principal
            deadline += t.interval_s
        return out

    def claim(self, loan: str) -> Repayment:
        """The lenders' claim on a liquidated loan (scaled): the rate model at maturity."""
        st = self.loan(loan)
        t = self.terms[loan]
        ts = self.chain.now if st.maturity == st.deadline else st.maturity
        return self._due(t, st, ts)

    @query
    def redemption_amount(self, loan: str) -> int:
        """What the borrower pays to take the collateral back in the window (currency, up)."""
        c = self.claim(loan)
        return ceil_div(c.principal + c.interest, self._scale(self.terms[loan].currency))

    # -- origination --------------------------------------------------------------------------
    @action
    def approve_terms(self, terms: LoanTerms, *, sender: str) -> str:
        """A tranche lender consents to ``terms`` (stands for its EIP-712 signature)."""
        validate_terms(terms, self.chain.now)
        if all(tr.lender != sender for tr in terms.tranches):
            raise NotAuthorized("usdai/not-lender", f"{sender} is no lender of these terms")
        loan = terms.loan_id()
        self.approvals[(loan, sender)] = True
        self.chain.emit(LoanTermsApproved(loan, sender))
        return loan

    @action
    def borrow(self, terms: LoanTerms, *, sender: str) -> str:
        """The borrower originates ``terms``; returns the loan id."""
        validate_terms(terms, self.chain.now)
        if sender != terms.borrower:
            raise NotAuthorized("usdai/not-borrower", f"{sender} is not the borrower")
        loan = terms.loan_id()
        if loan in self.loans:
            raise InvalidInput("usdai/loan-exists", f"loan {loan} was already originated")
        now = self.chain.now
        ledger = self.chain.ledger
        ledger.token(terms.currency)
        principal = terms.principal
        self.terms[loan] = terms
        self.loans[loan] = LoanState(self.chain.journal, status="active", maturity=now + terms.duration_s,
                                     deadline=now + terms.interval_s,
                                     balance=principal * self._scale(terms.currency))  # fmt: skip
        ledger.transfer(terms.collateral, sender, self.account, 1)
        for i, tr in enumerate(terms.tranches):
            if self.timelock.deposit_of(tr.lender, loan) is not None:
                self.timelock.withdraw(self, loan, tr.lender, tr.amount, self.account)
            elif self.approvals.get((loan, tr.lender)):
                ledger.transfer(terms.currency, tr.lender, self.account, tr.amount)
            else:
                raise NotAuthorized(
                    "usdai/not-approved", f"tranche {i} lender {tr.lender} did not consent"
                )
            self.positions[(loan, i)] = tr.lender
        for i, tr in enumerate(terms.tranches):
            hooks = self._hooks.get(tr.lender)
            if hooks is not None:
                hooks.on_loan_originated(loan, i, tr.amount, tr.rate)
        fee = terms.origination_fee
        ledger.transfer(terms.currency, self.account, self.config.fee_recipient, fee)
        ledger.transfer(terms.currency, self.account, sender, principal - fee)
        self.chain.emit(LoanBorrowed(loan, sender, principal, fee))
        return loan

    # -- servicing ----------------------------------------------------------------------------
    @action
    def repay(self, loan: str, amount: int, *, sender: str) -> int:
        """The borrower pays ``amount`` (currency units); returns what was taken (incl. exit fee)."""
        st = self.loan(loan)
        t = self.terms[loan]
        amount = check_positive(amount, "amount", "usdai/bad-amount")
        if sender != t.borrower:
            raise NotAuthorized("usdai/not-borrower", f"{sender} is not the borrower")
        if st.status != "active":
            raise LimitExceeded("usdai/not-active", f"loan {loan} is {st.status}")
        now = self.chain.now
        if st.maturity - t.duration_s == now:
            raise LimitExceeded(
                "usdai/same-block", "a loan cannot be repaid in its origination block"
            )
        sc = self._scale(t.currency)
        scaled = amount * sc
        n = len(t.tranches)
        if now > st.deadline - t.interval_s:  # a scheduled payment
            due = self._due(t, st, now)
            owed = due.principal + due.interest
            if scaled < owed:
                raise LimitExceeded("usdai/payment-short", f"{amount} < due {ceil_div(owed, sc)}")
            prepay = min(st.balance - due.principal, scaled - owed)
            st.balance -= due.principal + prepay
            st.deadline += due.intervals * t.interval_s
            principals, interests = due.tranche_principals, due.tranche_interests
            p_total, i_total = due.principal, due.interest
        else:
            prepay = min(st.balance, scaled)
            st.balance -= prepay
            principals, interests = (0,) * n, (0,) * n
            p_total = i_total = 0
        done = st.balance == 0
        exit_fee = t.exit_fee if done else 0
        if scaled < p_total + i_total + prepay + exit_fee * sc:
            raise LimitExceeded(
                "usdai/payment-short", f"{amount} does not cover the exit fee {exit_fee}"
            )
        pulled = ceil_div(p_total + i_total + prepay, sc)  # the borrower pays the rounding
        ledger = self.chain.ledger
        ledger.transfer(t.currency, sender, self.account, pulled + exit_fee)
        if done:
            st.status = "repaid"
            ledger.transfer(t.currency, self.account, self.config.fee_recipient, exit_fee)
            ledger.transfer(t.collateral, self.account, t.borrower, 1)
        self._pay_lenders(loan, t, st.balance // sc, principals, interests, prepay)
        self.chain.emit(
            LoanRepaid(loan, p_total // sc, i_total // sc, prepay // sc, exit_fee, done)
        )
        return pulled + exit_fee

    def _pay_lenders(self, loan: str, t: LoanTerms, balance_after: int, principals: Sequence[int],
                     interests: Sequence[int], prepay: int) -> None:  # fmt: skip
        sc = self._scale(t.currency)
        original = t.principal
        left = prepay
        n = len(t.tranches)
        for i, tr in enumerate(t.tranches):
            share = left if i == n - 1 else prepay * tr.amount // original
            left -= share
            p, it = (principals[i] + share) // sc, interests[i] // sc
            owner = self.positions[(loan, i)]
            self.chain.ledger.transfer(t.currency, self.account, owner, p + it)
            hooks = self._hooks.get(owner)
            if hooks is not None:
                hooks.on_loan_repayment(loan, i, balance_after, p, it)

    @action
    def transfer_position(self, loan: str, tranche: int, to: str, *, sender: str) -> None:
        """The owner of a tranche position transfers it (future payments follow the owner)."""
        owner = self.positions.get((loan, tranche)) if type(tranche) is int else None
        if owner is None:
            raise InvalidInput("usdai/unknown-position", f"no position {loan!r}/{tranche!r}")
        if owner != sender:
            raise NotAuthorized(
                "usdai/not-position-owner", f"{sender} does not own {loan}/{tranche}"
            )
        if not isinstance(to, str) or not to:
            raise InvalidInput("usdai/bad-account", f"bad recipient {to!r}")
        self.positions[(loan, tranche)] = to
        self.chain.emit(PositionTransferred(loan, tranche, sender, to))

    # -- default ------------------------------------------------------------------------------
    @action
    def liquidate(self, loan: str, *, sender: str) -> None:
        """Anyone, after ``deadline + grace``: the collateral goes to the auction."""
        st = self.loan(loan)
        t = self.terms[loan]
        if st.status != "active":
            raise LimitExceeded("usdai/not-active", f"loan {loan} is {st.status}")
        if self.chain.now <= st.deadline + t.grace_duration_s:
            raise LimitExceeded(
                "usdai/not-liquidatable",
                f"loan {loan} is current until {st.deadline + t.grace_duration_s}",
            )
        st.status = "liquidated"
        self.chain.ledger.transfer(t.collateral, self.account, self.auction.account, 1)
        self.auction.start(self, loan, t.collateral, t.currency, t.borrower)
        for i in range(len(t.tranches)):
            hooks = self._hooks.get(self.positions[(loan, i)])
            if hooks is not None:
                hooks.on_loan_liquidated(loan, i)
        self.chain.emit(LoanLiquidated(loan, sender))

    @action
    def redeem_collateral(self, loan: str, *, sender: str) -> int:
        """The borrower, in the redemption window: pay the lenders' claim in full, take the GPUs back."""
        st = self.loan(loan)
        t = self.terms[loan]
        if sender != t.borrower:
            raise NotAuthorized("usdai/not-borrower", f"{sender} is not the borrower")
        if st.status != "liquidated" or not self.auction.in_window(loan):
            raise LimitExceeded("usdai/window-closed", f"loan {loan} cannot be redeemed now")
        amount = self.redemption_amount(loan)
        self.chain.ledger.transfer(t.currency, sender, self.account, amount)
        self.auction.release(self, loan, sender)
        self._distribute(loan, t, st, amount, fee_bps=0, insured=False)
        st.status = "redeemed"
        self.chain.emit(CollateralRedeemed(loan, amount))
        return amount

    def on_collateral_liquidated(self, loan: str, proceeds: int, payer: str) -> None:
        """Auction settlement (inside its action): pull the proceeds and run the waterfall."""
        st = self.loan(loan)
        if st.status != "liquidated":
            raise LimitExceeded("usdai/not-liquidated", f"loan {loan} is {st.status}")
        t = self.terms[loan]
        self.chain.ledger.transfer(t.currency, payer, self.account, proceeds)
        self._distribute(loan, t, st, proceeds, self.config.liquidation_fee_bps, insured=True)
        st.status = "collateral-liquidated"

    def _distribute(self, loan: str, t: LoanTerms, st: LoanState, proceeds: int, fee_bps: int,
                    insured: bool) -> None:  # fmt: skip
        sc = self._scale(t.currency)
        c = self.claim(loan)
        w = waterfall(proceeds * sc, c.tranche_principals, c.tranche_interests, fee_bps)
        paid_p, paid_i = list(w.principals), list(w.interests)
        top_up = 0
        insurer = self.config.insurer
        if insured and insurer and t.insured_amount > proceeds:
            unpaid = sum(c.tranche_principals) + sum(c.tranche_interests) - w.to_lenders
            have = self.chain.ledger.balance_of(t.currency, insurer)
            top_up = min(t.insured_amount - proceeds, ceil_div(unpaid, sc), have)
            if top_up:
                self.chain.ledger.transfer(t.currency, insurer, self.account, top_up)
                rest_p = [o - p for o, p in zip(c.tranche_principals, paid_p)]
                rest_i = [o - p for o, p in zip(c.tranche_interests, paid_i)]
                extra = waterfall(top_up * sc, rest_p, rest_i, 0)
                paid_p = [a + b for a, b in zip(paid_p, extra.principals)]
                paid_i = [a + b for a, b in zip(paid_i, extra.interests)]
                w = type(w)(w.fee, tuple(paid_p), tuple(paid_i), w.surplus + extra.surplus)
        ledger = self.chain.ledger
        to_lenders = 0
        for i in range(len(t.tranches)):
            p, it = paid_p[i] // sc, paid_i[i] // sc
            to_lenders += p + it
            owner = self.positions[(loan, i)]
            ledger.transfer(t.currency, self.account, owner, p + it)
            hooks = self._hooks.get(owner)
            if hooks is not None:
                hooks.on_collateral_liquidated(loan, i, p, it)
        fee, surplus = w.fee // sc, w.surplus // sc
        ledger.transfer(t.currency, self.account, self.config.fee_recipient, fee + surplus)
        st.balance = 0
        self.chain.emit(WaterfallPaid(loan, proceeds, fee, to_lenders, surplus, top_up))

    @action
    def set_insurer(self, insurer: str, *, sender: str) -> None:
        """Admin: the account that tops up insured shortfalls ("" = none)."""
        self.chain.require_role(self.admin_role, sender, "usdai/not-admin")
        if not isinstance(insurer, str):
            raise InvalidInput("usdai/bad-account", f"bad insurer {insurer!r}")
        self.config.insurer = insurer
        self.chain.emit(ParameterSet("router", "insurer", insurer))

    @action
    def set_liquidation_fee(self, fee_bps: int, *, sender: str) -> None:
        """Admin: the liquidation fee on auction proceeds."""
        self.chain.require_role(self.admin_role, sender, "usdai/not-admin")
        fee_bps = check_amount(fee_bps, "fee_bps", "usdai/bad-amount")
        if fee_bps > BPS:
            raise InvalidInput("usdai/bad-amount", f"fee {fee_bps} bps > 100%")
        self.config.liquidation_fee_bps = fee_bps
        self.chain.emit(ParameterSet("router", "liquidation_fee_bps", str(fee_bps)))


def _model(name: str) -> Model:
    return "simple" if name == "simple" else "amortised"
