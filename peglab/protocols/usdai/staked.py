"""sUSDai: USD.AI's yield token, ERC-4626 deposits and ERC-7540 FIFO redemptions (docs/usdai.md §4).

Restated from USD.AI's ``StakedUSDai.sol`` and ``RedemptionLogic.sol`` on peglab's vault bases
(``AsyncVault`` with synchronous deposits, asynchronous redemptions, no cancels, remainder-exact
claims). NAV, two valuations::

    base        = s + y - (s + y) * base_fee_bps // 1e4     s = base token held, y = its claimable
                                                            yield and USDai's reserve's (scaled)
    loans(mode) = position manager (positions.py)
    idle        = deposits_balance - redemption_balance      (USDai not earmarked for claims)
    assets(mode) = base + loans(mode) + idle
    total_shares = supply + bridged + pending redemption shares   (pending keep bearing P&L)
    deposit_price    = assets(OPTIMISTIC)   * 1e18 // total_shares   (1e18 when no shares)
    redemption_price = assets(CONSERVATIVE) * 1e18 // total_shares

Deposits mint ``assets * 1e18 // deposit_price`` (the first deposit gives ``LOCKED_SHARES = 1e6``
to ``0xdead``); mints cost ``ceil(shares * deposit_price / 1e18)``. A redemption request burns the
shares now, needs at least 1 sUSDai and fewer than 50 open requests per controller, and matures at
the next 30-day window after genesis (or ``now + 30 d`` in TIMELOCK mode). The strategy admin
services the queue from its head, only matured requests, at the *current* redemption price,
limited by the idle balance, which it earmarks; controllers then claim (``redeem``/``withdraw``).
Pause blocks deposits, requests, claims and operator changes; a blacklisted account can neither
hold nor move sUSDai nor act.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from ...errors import InvalidInput, LimitExceeded, NotAuthorized
from ...kernel import Chain, Record, Table, action, query
from ...math.fixedpoint import ceil_div
from ...units import BPS, DAY, WAD, check_positive
from ..vaults.interfaces import AsyncConfig, AsyncVault, VaultConfig
from .events import BaseYieldDeposited, Blacklisted, Bridged, RedemptionsServiced
from .interfaces import USDaiLike
from .positions import PositionManager
from .timelock import DepositTimelock

__all__ = [
    "ARBITRUM_GENESIS",
    "LOCKED_SHARES",
    "REDEMPTION_WINDOW",
    "StakedConfig",
    "StakedUSDai",
    "next_window",
]

LOCKED_SHARES = 10**6
REDEMPTION_WINDOW = 30 * DAY
ARBITRUM_GENESIS = 1_767_592_800  # 2026-01-05 06:00 UTC
MIN_REDEMPTION_SHARES = 10**18
MAX_ACTIVE_REDEMPTIONS = 50


def next_window(t: int, genesis: int) -> int:
    """The first window boundary strictly after ``t``: ``G + (floor((t - G) / 30 d) + 1) * 30 d``."""
    if t < genesis:
        return genesis
    return genesis + ((t - genesis) // REDEMPTION_WINDOW + 1) * REDEMPTION_WINDOW


class BaseYieldLike(Protocol):
    """The T-bill dollar as sUSDai sees it."""

    @property
    def symbol(self) -> str: ...
    def accrued_yield_of(self, account: str) -> int: ...
    def settle(self, account: str) -> int: ...


@dataclass(frozen=True, slots=True)
class StakedConfig:
    """Constructor values. Admin fee rates are unpublished: 10%/10% by default [O]."""

    genesis: int = ARBITRUM_GENESIS
    mode: Literal["window", "timelock"] = "window"
    timelock_s: int = REDEMPTION_WINDOW
    base_fee_bps: int = 1_000
    loan_fee_bps: int = 1_000
    fee_recipient: str = "usdai:fees"
    strategy_role: str = "usdai/strategy-admin"
    blacklist_role: str = "usdai/blacklist-admin"
    bridge_role: str = "usdai/bridge"
    pause_role: str = "usdai/pause-admin"
    writedowns: bool = True  # [O] staged write-downs of late loans (docs/usdai.md §4.6)


class _StakedState(Record):
    __slots__ = ("bridged", "deposits_balance", "head", "index")
    deposits_balance: int
    bridged: int
    index: int
    head: int


class StakedUSDai(AsyncVault):
    """The sUSDai vault over USDai, with its loan position manager (``self.positions``)."""

    def __init__(
        self,
        chain: Chain,
        usdai: USDaiLike,
        base: BaseYieldLike,
        timelock: DepositTimelock,
        *,
        share: str = "sUSDai",
        config: StakedConfig | None = None,
    ) -> None:
        cfg = config or StakedConfig()
        if (
            cfg.mode not in ("window", "timelock")
            or type(cfg.timelock_s) is not int
            or cfg.timelock_s <= 0
        ):
            raise InvalidInput(
                "usdai/bad-config", f"mode {cfg.mode!r}, timelock {cfg.timelock_s!r}"
            )
        if type(cfg.base_fee_bps) is not int or not 0 <= cfg.base_fee_bps <= BPS:
            raise InvalidInput("usdai/bad-config", f"base fee {cfg.base_fee_bps!r} bps")
        super().__init__(
            chain, usdai.symbol, share,
            config=VaultConfig(dead_shares=LOCKED_SHARES, dead_account="0xdead", pauser_role=cfg.pause_role),
            async_config=AsyncConfig(async_deposit=False, async_redeem=True, cancellable="none",
                                     fulfiller_role=cfg.strategy_role, claim_rounding="remainder"),
            name="Staked USDai",
        )  # fmt: skip
        self.usdai = usdai
        self.base_token = base
        self.cfg = cfg
        self.st = _StakedState(chain.journal, deposits_balance=0, bridged=0, index=0, head=0)
        self.maturity: Table[int, tuple[str, int]] = Table(chain.journal)  # id -> (controller, ts)
        self.blacklist: Table[str, bool] = Table(chain.journal)
        chain.register(f"usdai/{share}", self.st)
        chain.register(f"usdai/{share}/maturity", self.maturity)
        chain.register(f"usdai/{share}/blacklist", self.blacklist)
        self.positions = PositionManager(
            chain, self, timelock, usdai.symbol, name=share, loan_fee_bps=cfg.loan_fee_bps,
            fee_recipient=cfg.fee_recipient, strategy_role=cfg.strategy_role,
            writedowns=cfg.writedowns,
        )  # fmt: skip

    # -- NAV ----------------------------------------------------------------------------------
    def idle_balance(self) -> int:
        """USDai deposited and not earmarked for serviced redemptions."""
        return self.st.deposits_balance - self.totals.reserved_assets

    def move_idle(self, delta: int) -> None:
        """Position manager, inside an action: USDai leaves (< 0) or joins (> 0) the idle balance."""
        self.st.deposits_balance += delta

    def base_assets(self) -> int:
        sc = self.usdai.scale
        held = self.chain.ledger.balance_of(self.base_token.symbol, self.account) * sc
        accrued = self.base_token.accrued_yield_of(self.account)
        accrued += self.base_token.accrued_yield_of(self.usdai.reserve)
        y = accrued * sc
        return held + y - (held + y) * self.cfg.base_fee_bps // BPS

    def assets(self, optimistic: bool) -> int:
        return self.base_assets() + self.positions.assets(optimistic) + self.idle_balance()

    def total_shares(self) -> int:
        return (
            self.chain.ledger.supply[self.share]
            + self.st.bridged
            + self.totals.pending_redeem_shares
        )

    def deposit_price(self) -> int:
        ts = self.total_shares()
        return WAD if ts == 0 else self.assets(True) * WAD // ts

    def redemption_price(self) -> int:
        ts = self.total_shares()
        return WAD if ts == 0 else self.assets(False) * WAD // ts

    # -- vault extension surface --------------------------------------------------------------
    def total_supply(self) -> int:
        return self.total_shares()

    def total_assets(self) -> int:
        return self.assets(True)

    def free_assets(self) -> int:
        return self.idle_balance()

    def to_shares(self, assets: int, up: bool) -> int:
        price = self.deposit_price()
        return ceil_div(assets * WAD, price) if up else assets * WAD // price

    def to_assets(self, shares: int, up: bool) -> int:
        price = self.deposit_price()
        return ceil_div(shares * price, WAD) if up else shares * price // WAD

    def after_deposit(self, assets: int, shares: int) -> None:
        self.st.deposits_balance += assets

    def escrow_redeem_shares(self, owner: str, shares: int) -> None:
        self.chain.ledger.burn(self.share, owner, shares)  # burned now; counted as pending

    def release_redeem_shares(self, shares: int) -> None:
        """Shares were burned at request."""

    @query
    def request_id_for(self, direction: str) -> int:
        return self.st.index + 1

    def check_account(self, account: str) -> None:
        if self.blacklist.get(account):
            raise NotAuthorized("credit/blacklisted", f"{account} is blacklisted")

    @query
    def preview_withdraw(self, assets: int) -> int:
        raise InvalidInput("credit/disabled", "sUSDai redemptions are asynchronous: no preview")

    @query
    def preview_redeem(self, shares: int) -> int:
        raise InvalidInput("credit/disabled", "sUSDai redemptions are asynchronous: no preview")

    # -- redemptions --------------------------------------------------------------------------
    @query
    def maturity_of(self, request_id: int) -> int:
        m = self.maturity.get(request_id)
        if m is None:
            raise InvalidInput("usdai/unknown-request", f"no redemption request {request_id}")
        return m[1]

    @action
    def request_redeem(self, shares: int, controller: str, owner: str, *, sender: str) -> int:
        """Burn ``shares`` of ``owner`` now; queue them FIFO until the next window."""
        self.check_account(sender)
        if owner != sender and not (isinstance(owner, str) and self.is_operator(owner, sender)):
            raise NotAuthorized(
                "vault/not-owner-or-operator", f"{sender} may not request for {owner}"
            )
        shares = self._amount(shares, "shares")
        if shares < MIN_REDEMPTION_SHARES:
            raise InvalidInput("credit/min-redemption", f"{shares} < 1 sUSDai minimum")
        if (
            isinstance(controller, str)
            and len(self.open_ids.get(("redeem", controller), ())) >= MAX_ACTIVE_REDEMPTIONS
        ):
            raise LimitExceeded(
                "credit/too-many-requests",
                f"{controller} has {MAX_ACTIVE_REDEMPTIONS} open requests",
            )
        rid = super().request_redeem(shares, controller, owner, sender=sender)
        now = self.chain.now
        when = (
            next_window(now, self.cfg.genesis)
            if self.cfg.mode == "window"
            else now + self.cfg.timelock_s
        )
        self.st.index = rid
        self.maturity[rid] = (controller, when)
        if self.st.head == 0:
            self.st.head = rid
        return rid

    @action
    def service_redemptions(self, shares: int, *, sender: str) -> int:
        """Strategy admin: fill ``shares`` from the queue head at the current redemption price."""
        self.chain.require_role(self.cfg.strategy_role, sender, "usdai/not-strategy-admin")
        shares = check_positive(shares, "shares", "vault/bad-amount")
        pending = self.totals.pending_redeem_shares
        if shares > pending or self.st.head == 0:
            raise LimitExceeded("credit/exceeds-pending", f"service {shares} > pending {pending}")
        price = self.redemption_price()
        now = self.chain.now
        plan: list[tuple[int, str, int, int]] = []
        rid, left, total = self.st.head, shares, 0
        while left:
            controller, when = self.maturity[rid]
            if when >= now:
                raise InvalidInput("credit/not-matured", f"request {rid} matures at {when}")
            req = self.requests[("redeem", rid, controller)]
            fill = min(req.pending, left)
            amount = fill * price // WAD
            if fill:  # a request QEV filled already (qev.py) is skipped
                plan.append((rid, controller, fill, amount))
            total += amount
            left -= fill
            if fill == req.pending:
                rid += 1
        idle = self.idle_balance()
        if total > idle:
            raise LimitExceeded(
                "credit/insufficient-balance", f"servicing needs {total}, idle is {idle}"
            )
        for r, controller, fill, amount in plan:
            self.settle_redeem(r, controller, fill, amount)
        head = rid if rid <= self.st.index else 0
        self.st.head = head
        done = head == 0 or self.maturity[head][1] >= now
        self.chain.emit(RedemptionsServiced(shares, total, price, done))
        return total

    @action
    def redeem(
        self, shares: int, receiver: str | None = None, owner: str | None = None, *, sender: str
    ) -> int:
        """Claim serviced redemptions by shares (``owner`` is the controller)."""
        paid = super().redeem(shares, receiver, owner, sender=sender)
        self.st.deposits_balance -= paid
        return paid

    @action
    def withdraw(
        self, assets: int, receiver: str | None = None, owner: str | None = None, *, sender: str
    ) -> int:
        """Claim serviced redemptions by amount."""
        burned = super().withdraw(assets, receiver, owner, sender=sender)
        self.st.deposits_balance -= assets
        return burned

    @action
    def fulfil_redeem(
        self, controller: str, shares: int, request_id: int = 0, *, sender: str
    ) -> int:
        raise InvalidInput("credit/disabled", "sUSDai fulfils only through service_redemptions")

    # -- strategy, admin, bridge --------------------------------------------------------------
    @action
    def deposit_base_yield(self, usdai_amount: int, *, sender: str) -> int:
        """Strategy admin: convert harvested base token to USDai; the admin fee out, the rest idle."""
        self.chain.require_role(self.cfg.strategy_role, sender, "usdai/not-strategy-admin")
        usdai_amount = check_positive(usdai_amount, "usdai_amount", "vault/bad-amount")
        base_amount = usdai_amount // self.usdai.scale
        self.base_token.settle(self.account)  # its balance is about to change
        held = self.chain.ledger.balance_of(self.base_token.symbol, self.account)
        if base_amount == 0 or base_amount > held:
            raise LimitExceeded(
                "credit/insufficient-balance", f"{base_amount} base units, vault holds {held}"
            )
        with self.chain.engine_call(self.account):  # the vault deposits what it holds
            minted = self.usdai.deposit(
                self.base_token.symbol, base_amount, 0, self.account, sender=self.account
            )
        fee = minted * self.cfg.base_fee_bps // BPS
        self.chain.ledger.transfer(self.asset, self.account, self.cfg.fee_recipient, fee)
        self.st.deposits_balance += minted - fee
        self.chain.emit(BaseYieldDeposited(minted - fee, fee))
        return minted - fee

    @action
    def set_blacklist(self, account: str, blacklisted: bool, *, sender: str) -> None:
        """Blacklist admin: freeze (or release) an account."""
        self.chain.require_role(self.cfg.blacklist_role, sender, "usdai/not-blacklist-admin")
        if not isinstance(account, str) or not account or type(blacklisted) is not bool:
            raise InvalidInput(
                "usdai/bad-account", f"bad blacklist entry {account!r}, {blacklisted!r}"
            )
        if blacklisted:
            self.blacklist[account] = True
        else:
            self.blacklist.discard(account)
        self.chain.emit(Blacklisted(account, blacklisted))

    @action
    def bridge_out(self, account: str, shares: int, *, sender: str) -> None:
        """Bridge: burn shares here (they keep counting in ``total_shares`` as bridged)."""
        self.chain.require_role(self.cfg.bridge_role, sender, "usdai/not-bridge")
        self._not_paused()
        shares = check_positive(shares, "shares", "vault/bad-amount")
        self.chain.ledger.burn(self.share, self._party(account, "account"), shares)
        self.st.bridged += shares
        self.chain.emit(Bridged(self.share, account, -shares))

    @action
    def bridge_in(self, account: str, shares: int, *, sender: str) -> None:
        """Bridge: mint shares bridged back from another chain."""
        self.chain.require_role(self.cfg.bridge_role, sender, "usdai/not-bridge")
        self._not_paused()
        shares = check_positive(shares, "shares", "vault/bad-amount")
        if shares > self.st.bridged:
            raise LimitExceeded("usdai/exceeds-bridged", f"{shares} > bridged {self.st.bridged}")
        self.st.bridged -= shares
        self.chain.ledger.mint(self.share, self._party(account, "account"), shares)
        self.chain.emit(Bridged(self.share, account, shares))
