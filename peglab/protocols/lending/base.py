"""What every lending market shares: parameters, caps, collateral, the health check and the actions.

A market lends one asset (USDC-like). Suppliers receive a supply token held in the ledger; borrowers
post one collateral token valued by the market's oracle price and borrow up to ``ltv_bps`` of its
value. The subclasses (Aave-style scaled balances, Compound-style cTokens) own the interest
accounting through six hooks (``_accrue``, ``_supply``, ``_withdraw``, ``_borrow``, ``_repay``
and the reads); this class owns validation, caps and the order of every action:

    accrue interest to now -> validate input and authorisation -> move value -> check the caps

Guards, each a named check (docs/lending.md §2.3):
- withdrawals and borrows are limited by cash (``lending/insufficient-cash``);
- a borrow may not raise utilisation above ``max_utilisation_bps`` (``lending/utilisation-cap``)
  nor total debt above ``borrow_cap`` (``lending/borrow-cap``); supply stops at ``supply_cap``;
- a borrower is healthy iff ``debt <= collateral value × ltv`` (``lending/unhealthy``), checked
  after every borrow and every collateral withdrawal.
Liquidations are not modelled here (the AI-dollar CDP engine has them): a market whose collateral
price falls simply reports unhealthy positions.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from ...errors import InvalidInput, LimitExceeded, ShutDown, Unsafe
from ...kernel import Chain, Record, Table, action, query
from ...units import BPS, MAX_UINT256, RAY, WAD, check_amount, check_positive
from .events import (
    Borrowed,
    CollateralDeposited,
    CollateralPriceSet,
    CollateralWithdrawn,
    InterestAccrued,
    MarketParameterChanged,
    Repaid,
    Supplied,
    Withdrawn,
)

__all__ = ["LendingMarket", "MarketParams", "annual_ray_from_period_wad"]

_FILEABLE = {
    "reserve_factor_bps": (0, BPS - 1),
    "supply_cap": (0, MAX_UINT256),
    "borrow_cap": (0, MAX_UINT256),
    "max_utilisation_bps": (0, BPS),
    "ltv_bps": (0, BPS - 1),
    "paused": (0, 1),
}


class MarketParams(Record):
    """Risk parameters; changed only through ``file`` (keys above), the price through the oracle."""

    __slots__ = (
        "borrow_cap",
        "collateral_price_wad",
        "ltv_bps",
        "max_utilisation_bps",
        "paused",
        "reserve_factor_bps",
        "supply_cap",
    )
    reserve_factor_bps: int
    supply_cap: int
    borrow_cap: int
    max_utilisation_bps: int
    ltv_bps: int
    collateral_price_wad: int
    paused: int


class LendingMarket(ABC):
    """Base of the Aave-style and Compound-style markets (see the module docstring)."""

    style = "base"

    def __init__(
        self,
        chain: Chain,
        market_id: str,
        asset: str,
        collateral: str,
        *,
        reserve_factor_bps: int = 1000,
        supply_cap: int = MAX_UINT256,
        borrow_cap: int = MAX_UINT256,
        max_utilisation_bps: int = BPS,
        ltv_bps: int = 7500,
        collateral_price_wad: int = WAD,
    ) -> None:
        if not isinstance(market_id, str) or not market_id or market_id != market_id.strip():
            raise InvalidInput(
                "lending/bad-id", f"a market id is a non-empty string: {market_id!r}"
            )
        self.chain = chain
        self.id = market_id
        self.asset = chain.ledger.token(asset).symbol
        self.collateral = chain.ledger.token(collateral).symbol
        if self.asset == self.collateral:
            raise InvalidInput("lending/bad-collateral", "collateral must differ from the asset")
        self.asset_decimals = chain.ledger.token(asset).decimals
        self.asset_scale: int = 10**self.asset_decimals
        self.collateral_scale: int = 10 ** chain.ledger.token(collateral).decimals
        self.account = f"lending:{market_id}"
        chain.protect_namespace("lending", "lending markets")  # engine accounts: never a sender
        self.admin_role = f"lending/admin:{market_id}"
        self.oracle_role = f"lending/oracle:{market_id}"
        self.params = MarketParams(
            chain.journal,
            reserve_factor_bps=0,
            supply_cap=0,
            borrow_cap=0,
            max_utilisation_bps=0,
            ltv_bps=0,
            collateral_price_wad=check_amount(collateral_price_wad, "collateral_price_wad"),
            paused=0,
        )
        for key, value in (
            ("reserve_factor_bps", reserve_factor_bps),
            ("supply_cap", supply_cap),
            ("borrow_cap", borrow_cap),
            ("max_utilisation_bps", max_utilisation_bps),
            ("ltv_bps", ltv_bps),
        ):
            setattr(self.params, key, _check_param(key, value))
        self.collateral_of: Table[str, int] = Table(chain.journal)
        chain.register(f"lending/{market_id}/params", self.params)
        chain.register(f"lending/{market_id}/collateral", self.collateral_of)

    # -- hooks the accounting styles implement ---------------------------------------------------
    @abstractmethod
    def _accrue(self) -> int:
        """Bring indexes to ``chain.now``; return the interest added to total debt."""
        ...

    @abstractmethod
    def _supply(self, on_behalf: str, amount: int) -> int: ...

    @abstractmethod
    def _withdraw(self, owner: str, amount: int) -> int: ...

    @abstractmethod
    def _borrow(self, borrower: str, amount: int) -> None: ...

    @abstractmethod
    def _repay(self, borrower: str, amount: int) -> None: ...

    @abstractmethod
    def _update_rates(self) -> None: ...

    @abstractmethod
    @query
    def supply_balance(self, account: str) -> int:
        """Asset units ``account`` could withdraw given unlimited cash (rounded down)."""
        ...

    @abstractmethod
    @query
    def debt_of(self, account: str) -> int:
        """Asset units ``account`` owes now (rounded up)."""
        ...

    @abstractmethod
    def total_debt(self) -> int:
        """Total debt of all borrowers in asset units (as of the last accrual)."""
        ...

    @abstractmethod
    def total_supplied(self) -> int:
        """What suppliers (and the treasury) are owed in total, in asset units, rounded down."""
        ...

    @abstractmethod
    @query
    def rates_ray(self, supply_delta: int = 0, debt_delta: int = 0) -> tuple[int, int]:
        """Annual ``(supply_rate_ray, borrow_rate_ray)`` if cash moved by the deltas (own impact)."""
        ...

    # -- reads -----------------------------------------------------------------------------------
    def cash(self) -> int:
        """Asset units held by the market: the most anyone can withdraw or borrow now."""
        return self.chain.ledger.balance_of(self.asset, self.account)

    def utilisation_wad(self) -> int:
        """``debt / (cash + debt)`` [wad], floored; 0 without debt."""
        debt = self.total_debt()
        return debt * WAD // (self.cash() + debt) if debt else 0

    @query
    def max_withdraw(self, account: str) -> int:
        """What ``account`` can withdraw now: its balance, limited by cash."""
        return min(self.supply_balance(account), self.cash())

    @query
    def collateral_value(self, account: str) -> int:
        """Collateral of ``account`` valued in asset units at the oracle price (rounded down)."""
        coll = self.collateral_of.get(account, 0)
        price = self.params.collateral_price_wad
        return coll * price * self.asset_scale // (WAD * self.collateral_scale)

    @query
    def borrow_limit(self, account: str) -> int:
        """Most ``account`` may owe: ``collateral value × ltv`` (rounded down)."""
        return self.collateral_value(account) * self.params.ltv_bps // BPS

    @query
    def is_healthy(self, account: str) -> bool:
        return self.debt_of(account) <= self.borrow_limit(account)

    # -- guards ----------------------------------------------------------------------------------
    def _require_live(self) -> None:
        if self.params.paused:
            raise ShutDown("lending/paused", f"market {self.id} is paused")

    def _require_cash(self, amount: int) -> None:
        cash = self.cash()
        if amount > cash:
            raise LimitExceeded(
                "lending/insufficient-cash",
                f"market {self.id} holds {cash} {self.asset} base units, asked {amount}",
            )

    def _require_healthy(self, account: str) -> None:
        debt, limit = self.debt_of(account), self.borrow_limit(account)
        if debt > limit:
            raise Unsafe(
                "lending/unhealthy",
                f"{account} would owe {debt} against a limit of {limit}; add collateral",
            )

    def _check_account(self, account: object, name: str) -> str:
        if not isinstance(account, str) or not account or account == self.account:
            raise InvalidInput(
                "lending/bad-account", f"{name} must be an account name: {account!r}"
            )
        return account

    # -- actions ---------------------------------------------------------------------------------
    @action
    def accrue(self, *, sender: str) -> int:
        """Bring interest up to now (anyone); returns the interest added to debt."""
        interest = self._accrue()
        self._update_rates()
        s, b = self.rates_ray()
        self.chain.emit(InterestAccrued(self.id, interest, s, b))
        return interest

    @action
    def supply(self, amount: int, *, sender: str, on_behalf: str | None = None) -> int:
        """Lend ``amount`` of the asset; returns the supply-token units minted to ``on_behalf``."""
        amount = check_positive(amount, "amount", "lending/bad-amount")
        to = self._check_account(sender if on_behalf is None else on_behalf, "on_behalf")
        self._require_live()
        self._accrue()
        cap = self.params.supply_cap
        if self.total_supplied() + amount > cap:
            raise LimitExceeded("lending/supply-cap", f"supply would exceed the cap {cap}")
        units = self._supply(to, amount)  # prices the units on the state before the cash arrives
        self.chain.ledger.transfer(self.asset, sender, self.account, amount)
        self._update_rates()
        self.chain.emit(Supplied(self.id, sender, to, amount, units))
        return units

    @action
    def withdraw(self, amount: int, *, sender: str, to: str | None = None) -> int:
        """Take back ``amount`` of the asset, limited by balance and cash; returns units burned."""
        amount = check_positive(amount, "amount", "lending/bad-amount")
        dest = self._check_account(sender if to is None else to, "to")
        self._accrue()
        bal = self.supply_balance(sender)
        if amount > bal:
            raise InvalidInput(
                "lending/exceeds-balance", f"{sender} can withdraw at most {bal}, asked {amount}"
            )
        self._require_cash(amount)
        units = self._withdraw(sender, amount)
        self.chain.ledger.transfer(self.asset, self.account, dest, amount)
        self._update_rates()
        self.chain.emit(Withdrawn(self.id, sender, dest, amount, units))
        return units

    @action
    def deposit_collateral(self, amount: int, *, sender: str) -> None:
        """Post ``amount`` of the collateral token."""
        amount = check_positive(amount, "amount", "lending/bad-amount")
        self._require_live()
        self.chain.ledger.transfer(self.collateral, sender, self.account, amount)
        self.collateral_of[sender] = self.collateral_of.get(sender, 0) + amount
        self.chain.emit(CollateralDeposited(self.id, sender, amount))

    @action
    def withdraw_collateral(self, amount: int, *, sender: str) -> None:
        """Take back collateral; the position must stay healthy."""
        amount = check_positive(amount, "amount", "lending/bad-amount")
        self._accrue()
        held = self.collateral_of.get(sender, 0)
        if amount > held:
            raise InvalidInput(
                "lending/exceeds-collateral", f"{sender} posted {held}, asked {amount}"
            )
        if held == amount:
            del self.collateral_of[sender]
        else:
            self.collateral_of[sender] = held - amount
        self._require_healthy(sender)
        self.chain.ledger.transfer(self.collateral, self.account, sender, amount)
        self.chain.emit(CollateralWithdrawn(self.id, sender, amount))

    @action
    def borrow(self, amount: int, *, sender: str) -> None:
        """Borrow ``amount`` against posted collateral, within cash and the caps."""
        amount = check_positive(amount, "amount", "lending/bad-amount")
        self._require_live()
        self._accrue()
        self._require_cash(amount)
        self._borrow(sender, amount)
        p = self.params
        debt = self.total_debt()
        if debt > p.borrow_cap:
            raise LimitExceeded("lending/borrow-cap", f"total debt would exceed {p.borrow_cap}")
        cash_after = self.cash() - amount
        if debt * BPS > p.max_utilisation_bps * (cash_after + debt):
            raise LimitExceeded(
                "lending/utilisation-cap",
                f"utilisation would exceed {p.max_utilisation_bps} bps in market {self.id}",
            )
        self._require_healthy(sender)
        self.chain.ledger.transfer(self.asset, self.account, sender, amount)
        self._update_rates()
        self.chain.emit(Borrowed(self.id, sender, amount))

    @action
    def repay(self, amount: int, *, sender: str, on_behalf: str | None = None) -> int:
        """Repay up to ``amount`` of ``on_behalf``'s debt; returns what was actually repaid."""
        amount = check_positive(amount, "amount", "lending/bad-amount")
        who = self._check_account(sender if on_behalf is None else on_behalf, "on_behalf")
        self._accrue()
        owed = self.debt_of(who)
        if owed == 0:
            raise InvalidInput("lending/no-debt", f"{who} owes nothing in market {self.id}")
        paid = min(amount, owed)
        self.chain.ledger.transfer(self.asset, sender, self.account, paid)
        self._repay(who, paid)
        self._update_rates()
        self.chain.emit(Repaid(self.id, sender, who, paid))
        return paid

    @action
    def file(self, what: str, value: int, *, sender: str) -> None:
        """Set a risk parameter (keys: reserve_factor_bps, supply_cap, borrow_cap,
        max_utilisation_bps, ltv_bps, paused); interest accrues at the old values first."""
        self.chain.require_role(self.admin_role, sender, "lending/not-admin")
        if what not in _FILEABLE:
            raise InvalidInput(
                "lending/unknown-param", f"unknown parameter {what!r}; known: {sorted(_FILEABLE)}"
            )
        self._accrue()
        setattr(self.params, what, _check_param(what, value))
        self._update_rates()
        self.chain.emit(MarketParameterChanged(self.id, what, value))

    @action
    def set_collateral_price(self, price_wad: int, *, sender: str) -> None:
        """The oracle reports the collateral price [wad, asset per collateral unit]."""
        self.chain.require_role(self.oracle_role, sender, "lending/not-oracle")
        self.params.collateral_price_wad = check_positive(
            price_wad, "price_wad", "lending/bad-price"
        )
        self.chain.emit(CollateralPriceSet(self.id, price_wad))


def _check_param(key: str, value: object) -> int:
    lo, hi = _FILEABLE[key]
    v = check_amount(value, key, "lending/bad-param")
    if not lo <= v <= hi:
        raise InvalidInput("lending/bad-param", f"{key} must lie in [{lo}, {hi}], got {v}")
    return v


def annual_ray_from_period_wad(rate_wad: int, periods_per_year: int) -> int:
    """A per-period wad rate as an annual simple rate in ray (exact: ×1e9 × periods)."""
    return rate_wad * (RAY // WAD) * periods_per_year
