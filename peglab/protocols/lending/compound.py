"""Compound v2-style market: cTokens at an exchange rate and the jump-rate model, per second.

Accounting (docs/lending.md §2.2), ``CToken`` semantics with one period = one second:

    accrue: rate = borrow_rate(cash, borrows, reserves) ; (borrows, reserves, index) = compound_accrue(...)
    exchange_rate = (cash + borrows - reserves) * 1e18 // cTokens     (initial rate if none exist)
    supply a  -> mint floor(a * 1e18 / exchange_rate) cTokens          (priced before the cash arrives)
    withdraw a -> burn ceil(a * 1e18 / exchange_rate) cTokens          (v2 floored here; we round up)
    debt      = ceil(principal * index / interest_index)               (v2 floors; we round up)

cTokens are a real (transferable) ledger token ``c:<id>`` with 8 decimals, as Compound's.
Reserves (the reserve factor's share of interest) stay in the market; nothing withdraws them here.
"""

from __future__ import annotations

from ...errors import InvalidInput
from ...kernel import Chain, Record, Table, query
from ...math.fixedpoint import ceil_div
from ...math.rates import (
    JumpRateParams,
    compound_accrue,
    compound_borrow_rate,
    compound_supply_rate,
)
from ...units import WAD, YEAR
from .base import LendingMarket, annual_ray_from_period_wad

__all__ = ["CTOKEN_DECIMALS", "CompoundMarket", "CompoundState"]

CTOKEN_DECIMALS = 8


class CompoundState(Record):
    """Market totals [asset units], the borrow index [wad] and the last accrual time [s]."""

    __slots__ = ("accrual_time", "borrow_index", "total_borrows", "total_reserves")
    total_borrows: int
    total_reserves: int
    borrow_index: int
    accrual_time: int


class CompoundMarket(LendingMarket):
    """A lending market with Compound's jump-rate model (per-second periods) and cTokens."""

    style = "compound-v2"

    def __init__(
        self,
        chain: Chain,
        market_id: str,
        asset: str,
        collateral: str,
        model: JumpRateParams,
        **params: int,
    ) -> None:
        if not isinstance(model, JumpRateParams):
            raise InvalidInput(
                "lending/bad-model", f"a Compound market needs JumpRateParams: {model!r}"
            )
        super().__init__(chain, market_id, asset, collateral, **params)
        self.model = model
        self.supply_token = f"c:{market_id}"
        chain.ledger.create_token(self.supply_token, CTOKEN_DECIMALS, f"cToken of {market_id}")
        # Compound's 0.02 underlying per cToken, scaled by 1e(18 + asset decimals - 8)
        self.initial_exchange_rate: int = 2 * 10 ** (16 + self.asset_decimals - CTOKEN_DECIMALS)
        self.state = CompoundState(
            chain.journal,
            total_borrows=0,
            total_reserves=0,
            borrow_index=WAD,
            accrual_time=chain.now,
        )
        self.borrows: Table[str, tuple[int, int]] = Table(chain.journal)  # (principal, index)
        chain.register(f"lending/{market_id}/state", self.state)
        chain.register(f"lending/{market_id}/borrows", self.borrows)

    # -- accrual ---------------------------------------------------------------------------------------
    def _current(self) -> tuple[int, int, int]:
        """``(total_borrows, total_reserves, borrow_index)`` at ``chain.now`` without writing."""
        s = self.state
        dt = self.chain.now - s.accrual_time
        if dt == 0:
            return s.total_borrows, s.total_reserves, s.borrow_index
        rate = compound_borrow_rate(self.model, self.cash(), s.total_borrows, s.total_reserves)
        return compound_accrue(
            rate,
            dt,
            s.total_borrows,
            s.total_reserves,
            s.borrow_index,
            self.params.reserve_factor_bps * WAD // 10_000,
        )

    def _accrue(self) -> int:
        s = self.state
        if self.chain.now == s.accrual_time:
            return 0
        borrows, reserves, index = self._current()
        interest = borrows - s.total_borrows
        s.total_borrows, s.total_reserves, s.borrow_index = borrows, reserves, index
        s.accrual_time = self.chain.now
        return interest

    def _update_rates(self) -> None:
        """Rates are a function of cash, borrows and reserves: nothing is stored."""

    # -- reads ---------------------------------------------------------------------------------------
    def exchange_rate(self) -> int:
        """Asset units per cToken, wad-scaled (``exchangeRateStored`` at now), floored."""
        supply = self.chain.ledger.total_supply(self.supply_token)
        if supply == 0:
            return self.initial_exchange_rate
        borrows, reserves, _ = self._current()
        return (self.cash() + borrows - reserves) * WAD // supply

    @query
    def supply_balance(self, account: str) -> int:
        return (
            self.chain.ledger.balance_of(self.supply_token, account) * self.exchange_rate() // WAD
        )

    @query
    def debt_of(self, account: str) -> int:
        snap = self.borrows.get(account)
        if snap is None:
            return 0
        principal, at_index = snap
        return ceil_div(principal * self._current()[2], at_index)

    def total_debt(self) -> int:
        return self._current()[0]

    def borrow_index_now(self) -> int:
        """The borrow index [wad] at ``chain.now``."""
        return self._current()[2]

    def total_reserves(self) -> int:
        return self._current()[1]

    def total_supplied(self) -> int:
        return self.chain.ledger.total_supply(self.supply_token) * self.exchange_rate() // WAD

    @query
    def rates_ray(self, supply_delta: int = 0, debt_delta: int = 0) -> tuple[int, int]:
        borrows, reserves, _ = self._current()
        cash = self.cash() + supply_delta - debt_delta
        borrows += debt_delta
        if cash < 0 or borrows < 0:
            raise InvalidInput("lending/bad-delta", f"deltas leave cash {cash}, debt {borrows}")
        rf = self.params.reserve_factor_bps * WAD // 10_000
        supply = compound_supply_rate(self.model, cash, borrows, reserves, rf)
        borrow = compound_borrow_rate(self.model, cash, borrows, reserves)
        return annual_ray_from_period_wad(supply, YEAR), annual_ray_from_period_wad(borrow, YEAR)

    # -- accounting hooks ------------------------------------------------------------------------------
    def _supply(self, on_behalf: str, amount: int) -> int:
        tokens = amount * WAD // self.exchange_rate()
        if tokens == 0:
            raise InvalidInput("lending/zero-units", f"{amount} buys no cTokens; supply more")
        self.chain.ledger.mint(self.supply_token, on_behalf, tokens)
        return tokens

    def _withdraw(self, owner: str, amount: int) -> int:
        tokens = ceil_div(amount * WAD, self.exchange_rate())
        self.chain.ledger.burn(self.supply_token, owner, tokens)
        return tokens

    def _borrow(self, borrower: str, amount: int) -> None:
        s = self.state
        self.borrows[borrower] = (self.debt_of(borrower) + amount, s.borrow_index)
        s.total_borrows += amount

    def _repay(self, borrower: str, amount: int) -> None:
        s = self.state
        left = self.debt_of(borrower) - amount
        if left:
            self.borrows[borrower] = (left, s.borrow_index)
        else:
            del self.borrows[borrower]
        s.total_borrows = max(s.total_borrows - amount, 0)  # per-borrower ceilings may sum above
