"""Narrow interfaces the USD.AI modules depend on (dss-style ``...Like`` declarations)."""

from __future__ import annotations

from typing import Protocol

from ...kernel import Chain
from ..amm.interfaces import SwapVenue

__all__ = ["LiquidationReceiver", "LoanHooks", "StakedLike", "SwapVenue", "USDaiLike"]


class USDaiLike(Protocol):
    """What sUSDai and the queued depositor call on USDai."""

    @property
    def chain(self) -> Chain: ...
    @property
    def symbol(self) -> str: ...
    @property
    def base(self) -> str: ...
    @property
    def scale(self) -> int: ...
    @property
    def reserve(self) -> str: ...
    def deposit(
        self, token: str, amount: int, min_usdai: int, recipient: str | None = None, *, sender: str
    ) -> int: ...


class LoanHooks(Protocol):
    """Lender-side callbacks of the loan router (``ILoanRouterHooks``); called inside its actions.

    Amounts are in the loan currency's base units. ``principal`` includes any prepayment.
    """

    def on_loan_originated(self, loan: str, tranche: int, amount: int, rate: int) -> None: ...

    def on_loan_repayment(
        self, loan: str, tranche: int, balance_after: int, principal: int, interest: int
    ) -> None: ...

    def on_loan_liquidated(self, loan: str, tranche: int) -> None: ...

    def on_collateral_liquidated(
        self, loan: str, tranche: int, principal: int, interest: int
    ) -> None: ...


class LiquidationReceiver(Protocol):
    """Who the collateral auction reports to (the loan router)."""

    def on_collateral_liquidated(self, loan: str, proceeds: int, payer: str) -> None: ...


class StakedLike(Protocol):
    """What the queued depositor's deposit-and-stake queue calls on sUSDai."""

    @property
    def share(self) -> str: ...
    def deposit(self, assets: int, receiver: str | None = None, *, sender: str) -> int: ...
