"""Aave v3-style market: scaled balances, a linear liquidity index and a compounded borrow index.

Accounting (docs/lending.md §2.1). Suppliers hold *scaled* units of the internal ledger token
``a:<id>``; their balance is ``scaled × liquidity_index``. Borrowers hold scaled debt; what they
owe is ``scaled × borrow_index``. Every action first brings both indexes to now with the exact
v3 formulas of ``peglab.math.rates`` (linear for the supply side, the three-term compounded
approximation for debt), credits the reserve factor's share of the new interest to the treasury
as scaled units, then recomputes the rates from cash and debt after the action.

Rounding: the indexes, rates and treasury accrual are Aave's integers (half up, as WadRayMath).
The conversions between amounts and scaled units round toward the market (our choice, as later
Aave versions do): scaled supply minted floor, burned ceil; scaled debt added ceil, removed floor;
balances read floor, debts read ceil.
"""

from __future__ import annotations

from ...errors import InvalidInput
from ...kernel import Chain, Record, Table, action, query
from ...math.fixedpoint import ceil_div
from ...math.rates import (
    AaveRateParams,
    aave_accrue_to_treasury,
    aave_compounded_interest,
    aave_interest_rates,
    aave_linear_interest,
    ray_mul,
)
from ...units import RAY
from .base import LendingMarket
from .events import TreasuryMinted

__all__ = ["AaveMarket", "AaveReserve"]


class AaveReserve(Record):
    """Reserve data: indexes [ray], current annual rates [ray], last update, treasury (scaled)."""

    __slots__ = (
        "accrued_to_treasury",
        "borrow_index",
        "borrow_rate",
        "last_update",
        "liquidity_index",
        "liquidity_rate",
        "scaled_debt_total",
    )
    liquidity_index: int
    borrow_index: int
    liquidity_rate: int
    borrow_rate: int
    last_update: int
    accrued_to_treasury: int
    scaled_debt_total: int


class AaveMarket(LendingMarket):
    """A lending market with Aave v3's kinked rate model and index accounting."""

    style = "aave-v3"

    def __init__(
        self,
        chain: Chain,
        market_id: str,
        asset: str,
        collateral: str,
        model: AaveRateParams,
        *,
        treasury: str = "treasury",
        **params: int,
    ) -> None:
        if not isinstance(model, AaveRateParams):
            raise InvalidInput(
                "lending/bad-model", f"an Aave market needs AaveRateParams: {model!r}"
            )
        super().__init__(chain, market_id, asset, collateral, **params)
        self.model = model
        self.treasury = treasury
        self.supply_token = f"a:{market_id}"
        chain.ledger.create_token(
            self.supply_token, 27, f"scaled supply of {market_id}", internal=True
        )
        self.reserve = AaveReserve(
            chain.journal,
            liquidity_index=RAY,
            borrow_index=RAY,
            liquidity_rate=0,
            borrow_rate=model.base_rate_ray,
            last_update=chain.now,
            accrued_to_treasury=0,
            scaled_debt_total=0,
        )
        self.scaled_debt: Table[str, int] = Table(chain.journal)
        chain.register(f"lending/{market_id}/reserve", self.reserve)
        chain.register(f"lending/{market_id}/debt", self.scaled_debt)

    # -- indexes -----------------------------------------------------------------------------------
    def indexes_now(self) -> tuple[int, int]:
        """``(liquidity_index, borrow_index)`` at ``chain.now`` without writing (v3 ``getNormalized*``)."""
        r = self.reserve
        dt = self.chain.now - r.last_update
        li, bi = r.liquidity_index, r.borrow_index
        if dt == 0:
            return li, bi
        if r.liquidity_rate:
            li = ray_mul(aave_linear_interest(r.liquidity_rate, dt), li)
        if r.scaled_debt_total:
            bi = ray_mul(aave_compounded_interest(r.borrow_rate, dt), bi)
        return li, bi

    def _accrue(self) -> int:
        r = self.reserve
        if self.chain.now == r.last_update:
            return 0
        li, bi = self.indexes_now()
        scaled = r.scaled_debt_total
        interest = 0
        if scaled:
            interest = ray_mul(scaled, bi) - ray_mul(scaled, r.borrow_index)
            r.accrued_to_treasury += aave_accrue_to_treasury(
                scaled, r.borrow_index, bi, li, self.params.reserve_factor_bps
            )
        r.liquidity_index, r.borrow_index, r.last_update = li, bi, self.chain.now
        return interest

    def _update_rates(self) -> None:
        r = self.reserve
        r.liquidity_rate, r.borrow_rate = aave_interest_rates(
            self.model, self.cash(), self.total_debt(), self.params.reserve_factor_bps
        )

    # -- reads ---------------------------------------------------------------------------------------
    @query
    def scaled_balance(self, account: str) -> int:
        return self.chain.ledger.balance_of(self.supply_token, account)

    @query
    def supply_balance(self, account: str) -> int:
        return self.scaled_balance(account) * self.indexes_now()[0] // RAY

    @query
    def debt_of(self, account: str) -> int:
        return ceil_div(self.scaled_debt.get(account, 0) * self.indexes_now()[1], RAY)

    def total_debt(self) -> int:
        """``ray_mul(scaled debt, borrow index now)``, half up: the rate model's input in v3."""
        return ray_mul(self.reserve.scaled_debt_total, self.indexes_now()[1])

    def total_supplied(self) -> int:
        scaled = (
            self.chain.ledger.total_supply(self.supply_token) + self.reserve.accrued_to_treasury
        )
        return scaled * self.indexes_now()[0] // RAY

    @query
    def rates_ray(self, supply_delta: int = 0, debt_delta: int = 0) -> tuple[int, int]:
        cash = self.cash() + supply_delta - debt_delta
        debt = self.total_debt() + debt_delta
        if cash < 0 or debt < 0:
            raise InvalidInput("lending/bad-delta", f"deltas leave cash {cash}, debt {debt}")
        return aave_interest_rates(self.model, cash, debt, self.params.reserve_factor_bps)

    # -- accounting hooks ------------------------------------------------------------------------------
    def _supply(self, on_behalf: str, amount: int) -> int:
        scaled = amount * RAY // self.reserve.liquidity_index  # floor: the market keeps the dust
        if scaled == 0:
            raise InvalidInput("lending/zero-units", f"{amount} buys no scaled units; supply more")
        self.chain.ledger.mint(self.supply_token, on_behalf, scaled)
        return scaled

    def _withdraw(self, owner: str, amount: int) -> int:
        held = self.scaled_balance(owner)
        if amount == self.supply_balance(owner):
            scaled = held
        else:
            scaled = ceil_div(amount * RAY, self.reserve.liquidity_index)  # ceil: owner pays dust
        self.chain.ledger.burn(self.supply_token, owner, scaled)
        return scaled

    def _borrow(self, borrower: str, amount: int) -> None:
        scaled = ceil_div(amount * RAY, self.reserve.borrow_index)  # ceil: the debt covers the loan
        self.scaled_debt[borrower] = self.scaled_debt.get(borrower, 0) + scaled
        self.reserve.scaled_debt_total += scaled

    def _repay(self, borrower: str, amount: int) -> None:
        held = self.scaled_debt[borrower]
        if amount == self.debt_of(borrower):
            scaled = held
        else:
            scaled = amount * RAY // self.reserve.borrow_index  # floor: never wipe more than paid
        if scaled == held:
            del self.scaled_debt[borrower]
        else:
            self.scaled_debt[borrower] = held - scaled
        self.reserve.scaled_debt_total -= scaled

    # -- treasury ------------------------------------------------------------------------------------
    @action
    def mint_to_treasury(self, *, sender: str) -> int:
        """Mint the accrued reserve share to the treasury as supply (anyone); returns scaled units."""
        self._accrue()
        scaled = self.reserve.accrued_to_treasury
        if scaled:
            self.reserve.accrued_to_treasury = 0
            self.chain.ledger.mint(self.supply_token, self.treasury, scaled)
        self.chain.emit(TreasuryMinted(self.id, scaled))
        return scaled
