"""Lagoon-style ERC-7540 epoch vault (alUSD's likely chassis), built on ``AsyncVault``.

Design (docs/yield-vaults.md §1). Deposits and redemptions are requests, grouped in epochs:
deposit epochs are odd (1, 3, 5, ...) and redeem epochs even (2, 4, ...), as Lagoon's ids. A
request's id is the open epoch of its direction. The *valuation manager* proposes the vault's new
total assets; the proposal closes the open epochs that hold requests (later requests go to the
next ones) and records the proposal time. The *safe* (the curator's account, which holds the
invested assets) accepts it by settling:

    settle_deposit(new_total_assets)   1 total_assets = new (must equal the proposal, not stale)
                                       2 take fees: management + performance over the HWM, minted
                                         as shares (peglab.math.lagoon)
                                       3 settle the closed deposit epoch at ONE price: every
                                         controller's shares = floor(a · (S + 10^o) / (A + 1)) with
                                         the (A, S) of that moment; the epoch's whole share amount
                                         floor(Σa · ...) is minted (the rounding dust stays in
                                         escrow, as Lagoon keeps it in the vault); assets go to the safe
                                       4 settle the closed redeem epoch if the safe holds enough:
                                         assets = floor(Σs · (A + 1) / (S + 10^o)) move safe -> vault,
                                         each controller's floor share is reserved for its claim
    settle_redeem(new_total_assets)    steps 1, 2, 4
    initiate_closing() [owner], close(new_total_assets) [safe]: final valuation, fees, both
    settlements, then the safe returns every remaining asset to the vault; afterwards ``redeem``
    and ``withdraw`` without a claimable request are synchronous at ``convert_to_assets``.

``total_assets`` is the tracked valuation (Lagoon's ``totalAssets``), not a balance: the safe's
positions move only through valuations. Claims use the base's bucket rounding (floor paid,
ceiling charged). Decisions where Lagoon and the spec leave room, and departures (no whitelist,
several open requests per controller allowed, fee clock starting at deployment), are listed in
docs/yield-vaults.md §1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ...errors import InvalidInput, LimitExceeded, NotAuthorized, ShutDown, StalePrice
from ...kernel import Chain, Event, Record, Table, action, query
from ...math import erc4626 as share_math
from ...math.lagoon import MAX_MANAGEMENT_BPS, MAX_PERFORMANCE_BPS, lagoon_fees
from ...units import DAY, check_amount
from ..vaults.interfaces import AsyncConfig, AsyncVault, Direction, VaultConfig, VaultWithdraw

__all__ = [
    "EpochVault",
    "EpochVaultState",
    "FeesTaken",
    "RatesUpdated",
    "Settled",
    "ValuationProposed",
    "VaultClosed",
]

OPEN, CLOSING, CLOSED = "open", "closing", "closed"


@dataclass(frozen=True, slots=True)
class ValuationProposed(Event):
    kind: ClassVar[str] = "vault/valuation-proposed"
    vault: str
    total_assets: int
    deposit_epoch: int
    redeem_epoch: int


@dataclass(frozen=True, slots=True)
class Settled(Event):
    """One settlement: the valuation, fee shares, and what each direction settled (0 if none)."""

    kind: ClassVar[str] = "vault/settle"
    vault: str
    total_assets: int
    deposit_epoch: int
    deposit_assets: int
    deposit_shares: int
    redeem_epoch: int
    redeem_shares: int
    redeem_assets: int


@dataclass(frozen=True, slots=True)
class FeesTaken(Event):
    kind: ClassVar[str] = "vault/fees"
    vault: str
    management_assets: int
    performance_assets: int
    price_after_management: int
    manager_shares: int
    protocol_shares: int
    high_water_mark: int


@dataclass(frozen=True, slots=True)
class RatesUpdated(Event):
    kind: ClassVar[str] = "vault/rates"
    vault: str
    management_bps: int
    performance_bps: int
    effective_at: int


@dataclass(frozen=True, slots=True)
class VaultClosed(Event):
    kind: ClassVar[str] = "vault/closed"
    vault: str
    state: str


class EpochVaultState(Record):
    """The Lagoon storage peglab keeps (ints and strings only)."""

    __slots__ = (
        "closing_state",
        "deposit_epoch",
        "high_water_mark",
        "last_fee_time",
        "mgmt_bps",
        "old_mgmt_bps",
        "old_perf_bps",
        "perf_bps",
        "proposed_assets",
        "proposed_at",
        "rates_effective_at",
        "redeem_epoch",
        "settle_deposit_epoch",
        "settle_redeem_epoch",
        "tracked_assets",
    )
    tracked_assets: int
    proposed_assets: int  # -1: no proposal outstanding
    proposed_at: int
    deposit_epoch: int
    redeem_epoch: int
    settle_deposit_epoch: int  # closed epoch awaiting settlement, 0 if none
    settle_redeem_epoch: int
    high_water_mark: int
    last_fee_time: int
    mgmt_bps: int
    perf_bps: int
    old_mgmt_bps: int
    old_perf_bps: int
    rates_effective_at: int
    closing_state: str


class EpochVault(AsyncVault):
    """A Lagoon-style epoch vault of ``asset`` issuing ``share`` (module docstring)."""

    def __init__(
        self,
        chain: Chain,
        asset: str,
        share: str,
        *,
        safe: str,
        owner: str | None = None,
        valuation_manager: str | None = None,
        fee_receiver: str | None = None,
        protocol_fee_receiver: str = "protocol-fees",
        management_bps: int = 200,
        performance_bps: int = 2000,
        protocol_bps: int = 1000,
        rate_cooldown_s: int = DAY,
        max_valuation_age_s: int = DAY,
        offset: int = 0,
    ) -> None:
        _check_rates(management_bps, performance_bps)
        if type(protocol_bps) is not int or not 0 <= protocol_bps <= 10_000:
            raise InvalidInput(
                "vault/bad-config", f"protocol_bps must be in [0, 10000]: {protocol_bps!r}"
            )
        super().__init__(
            chain, asset, share,
            config=VaultConfig(offset=offset),
            async_config=AsyncConfig(cancellable="deposit"),
        )  # fmt: skip
        owner = chain.root if owner is None else owner
        self.safe = safe
        self.owner = owner
        self.valuation_manager = owner if valuation_manager is None else valuation_manager
        self.fee_receiver = owner if fee_receiver is None else fee_receiver
        self.protocol_fee_receiver = protocol_fee_receiver
        self.protocol_bps = protocol_bps
        self.rate_cooldown_s = rate_cooldown_s
        self.max_valuation_age_s = max_valuation_age_s
        self.share_decimals = chain.ledger.token(share).decimals
        self.epoch = EpochVaultState(
            chain.journal,
            tracked_assets=0,
            proposed_assets=-1,
            proposed_at=0,
            deposit_epoch=1,
            redeem_epoch=2,
            settle_deposit_epoch=0,
            settle_redeem_epoch=0,
            high_water_mark=10**self.share_decimals,
            last_fee_time=chain.now,
            mgmt_bps=management_bps,
            perf_bps=performance_bps,
            old_mgmt_bps=management_bps,
            old_perf_bps=performance_bps,
            rates_effective_at=chain.now,
            closing_state=OPEN,
        )
        # (direction, epoch) -> controllers with a request in it, in arrival order
        self.epoch_controllers: Table[tuple[str, int], tuple[str, ...]] = Table(chain.journal)
        # epoch -> (total assets, total supply) the epoch was priced at
        self.epoch_price: Table[int, tuple[int, int]] = Table(chain.journal)
        chain.register(f"vault/{share}/epoch", self.epoch)
        chain.register(f"vault/{share}/epoch-controllers", self.epoch_controllers)
        chain.register(f"vault/{share}/epoch-price", self.epoch_price)

    # -- extension surface of the base ----------------------------------------------------------
    def total_assets(self) -> int:
        """The last accepted valuation, net of settled flows (Lagoon ``totalAssets``)."""
        return self.epoch.tracked_assets

    def liquid_assets(self) -> int:
        return self.free_assets() if self.closed else 0

    def request_id_for(self, direction: Direction) -> int:
        return self.epoch.deposit_epoch if direction == "deposit" else self.epoch.redeem_epoch

    # -- views -------------------------------------------------------------------------------------
    @property
    def closed(self) -> bool:
        return self.epoch.closing_state == CLOSED

    def fee_rates(self) -> tuple[int, int]:
        """``(management_bps, performance_bps)`` in force now (new rates after the cooldown)."""
        e = self.epoch
        if self.chain.now >= e.rates_effective_at:
            return e.mgmt_bps, e.perf_bps
        return e.old_mgmt_bps, e.old_perf_bps

    @property
    def asset_decimals(self) -> int:
        return self.chain.ledger.token(self.asset).decimals

    def last_settlement(self) -> int:
        """Time of the last accepted valuation (the fee clock restarts there)."""
        return self.epoch.last_fee_time

    def price_per_share(self) -> int:
        """``convert_to_assets(10^d)``: assets per whole share, floored."""
        return self.convert_to_assets(10**self.share_decimals)

    @query
    def epoch_shares_for(self, epoch: int, assets: int) -> int:
        """Shares ``assets`` of a settled deposit epoch convert to (floor, the epoch's price)."""
        a, s = self.epoch_price[epoch]
        return share_math.to_shares(assets, s, a, self.offset, False)

    @query
    def epoch_assets_for(self, epoch: int, shares: int) -> int:
        """Assets ``shares`` of a settled redeem epoch convert to (floor, the epoch's price)."""
        a, s = self.epoch_price[epoch]
        return share_math.to_assets(shares, s, a, self.offset, False)

    @query
    def pending_total(self, direction: Direction, controller: str) -> int:
        """Pending assets (deposit) or shares (redeem) of ``controller`` over its open requests."""
        book = self.request_book
        return sum(
            r.pending
            for rid in book.open_ids.get((direction, controller), ())
            if (r := book.get(direction, rid, controller)) is not None
        )

    @query
    def claimable_redeem_shares(self, controller: str) -> int:
        """Shares of settled redemptions ``controller`` can claim (all epochs)."""
        return super().max_redeem(controller)

    @query
    def max_redeem(self, owner: str) -> int:
        claim = super().max_redeem(owner)
        if claim == 0 and self.closed and not self.paused:
            return self.balance_of(owner)
        return claim

    @query
    def max_withdraw(self, owner: str) -> int:
        claim = super().max_withdraw(owner)
        if claim == 0 and self.closed and not self.paused:
            return min(self.convert_to_assets(self.balance_of(owner)), self.free_assets())
        return claim

    # -- requests: the base's, plus the epoch's controller list ------------------------------------
    def _note(self, direction: Direction, rid: int, controller: str) -> None:
        key = (direction, rid)
        have = self.epoch_controllers.get(key, ())
        if controller not in have:
            self.epoch_controllers[key] = (*have, controller)

    @action
    def request_deposit(self, assets: int, controller: str, owner: str, *, sender: str) -> int:
        """Queue ``assets`` for the open deposit epoch (refused once the vault is closing)."""
        if self.epoch.closing_state != OPEN:
            raise ShutDown("vault/closing", f"vault {self.share} is {self.epoch.closing_state}")
        rid = super().request_deposit(assets, controller, owner, sender=sender)
        self._note("deposit", rid, controller)
        return rid

    @action
    def request_redeem(self, shares: int, controller: str, owner: str, *, sender: str) -> int:
        """Queue ``shares`` for the open redeem epoch (after closing: use ``redeem``)."""
        if self.closed:
            raise ShutDown("vault/closed", "the vault is closed: redeem synchronously")
        rid = super().request_redeem(shares, controller, owner, sender=sender)
        self._note("redeem", rid, controller)
        return rid

    # -- valuation and settlement --------------------------------------------------------------------
    @action
    def propose_valuation(self, new_total_assets: int, *, sender: str) -> None:
        """Valuation manager: propose total assets; closes the open epochs that hold requests."""
        if sender != self.valuation_manager:
            raise NotAuthorized("vault/not-valuation-manager", f"{sender} may not value the vault")
        if self.closed:
            raise ShutDown("vault/closed", "a closed vault takes no valuation")
        self._propose(check_amount(new_total_assets, "new_total_assets", "vault/bad-amount"))

    def _propose(self, value: int) -> None:
        e = self.epoch
        t = self.totals
        if t.pending_deposit_assets and not e.settle_deposit_epoch:
            e.settle_deposit_epoch = e.deposit_epoch
            e.deposit_epoch += 2
        if t.pending_redeem_shares and not e.settle_redeem_epoch:
            e.settle_redeem_epoch = e.redeem_epoch
            e.redeem_epoch += 2
        e.proposed_assets = value
        e.proposed_at = self.chain.now
        self.chain.emit(
            ValuationProposed(self.share, value, e.settle_deposit_epoch, e.settle_redeem_epoch)
        )

    def _accept(self, new_total_assets: int, sender: str) -> None:
        if sender != self.safe:
            raise NotAuthorized("vault/not-safe", f"only the safe {self.safe} settles")
        value = check_amount(new_total_assets, "new_total_assets", "vault/bad-amount")
        e = self.epoch
        if e.proposed_assets < 0:
            raise InvalidInput("vault/no-valuation", "no valuation has been proposed")
        if value != e.proposed_assets:
            raise InvalidInput(
                "vault/wrong-valuation", f"settling at {value}, proposed {e.proposed_assets}"
            )
        age = self.chain.now - e.proposed_at
        if age > self.max_valuation_age_s:
            raise StalePrice(
                "vault/stale-valuation", f"the valuation is {age} s old; propose again"
            )
        e.tracked_assets = value
        e.proposed_assets = -1
        self._take_fees()

    def _take_fees(self) -> None:
        e = self.epoch
        mgmt, perf = self.fee_rates()
        f = lagoon_fees(
            e.tracked_assets, self.total_supply(), e.high_water_mark,
            self.chain.now - e.last_fee_time, mgmt, perf, self.protocol_bps,
            self.share_decimals, self.offset,
        )  # fmt: skip
        if f.manager_shares:
            self.mint_shares(self.fee_receiver, f.manager_shares)
            if f.protocol_shares:
                self.mint_shares(self.protocol_fee_receiver, f.protocol_shares)
        e.high_water_mark = f.high_water_mark
        e.last_fee_time = self.chain.now
        self.chain.emit(
            FeesTaken(self.share, f.management_assets, f.performance_assets, f.price_after_mgmt,
                      f.manager_shares, f.protocol_shares, f.high_water_mark)
        )  # fmt: skip

    def _settle_deposits(self) -> tuple[int, int, int]:
        e = self.epoch
        rid = e.settle_deposit_epoch
        if not rid:
            return 0, 0, 0
        a, s = e.tracked_assets, self.total_supply()
        controllers = self.epoch_controllers.get(("deposit", rid), ())
        # a request too small to buy one share stays pending (its owner may cancel it), so one
        # dust request cannot block the epoch
        amounts = [
            (c, x)
            for c in controllers
            if (x := self.pending_deposit_request(rid, c))
            and share_math.to_shares(x, s, a, self.offset, False)
        ]
        total = sum(x for _, x in amounts)
        epoch_shares = share_math.to_shares(total, s, a, self.offset, False)
        self.epoch_price[rid] = (a, s)
        minted = 0
        for c, x in amounts:
            sh = share_math.to_shares(x, s, a, self.offset, False)
            self.settle_deposit(rid, c, x, sh)
            minted += sh
        dust = epoch_shares - minted
        if dust:
            self.mint_shares(self.escrow, dust)  # the epoch's rounding dust, as Lagoon keeps it
            self.totals.dust_shares += dust
        self.chain.ledger.transfer(self.asset, self.account, self.safe, total)
        e.tracked_assets = a + total
        e.settle_deposit_epoch = 0
        return rid, total, epoch_shares

    def _settle_redeems(self) -> tuple[int, int, int]:
        e = self.epoch
        rid = e.settle_redeem_epoch
        if not rid:
            return 0, 0, 0
        a, s = e.tracked_assets, self.total_supply()
        controllers = self.epoch_controllers.get(("redeem", rid), ())
        # a request worth less than one asset unit stays pending (worthless dust), so it can
        # neither block the epoch nor the closing
        amounts = [
            (c, x)
            for c in controllers
            if (x := self.pending_redeem_request(rid, c))
            and share_math.to_assets(x, s, a, self.offset, False)
        ]
        if not amounts:
            e.settle_redeem_epoch = 0
            return 0, 0, 0
        shares = sum(x for _, x in amounts)
        assets = share_math.to_assets(shares, s, a, self.offset, False)
        if assets > self.chain.ledger.balance_of(self.asset, self.safe):
            return 0, 0, 0  # Lagoon: wait for the safe to hold enough
        self.epoch_price[rid] = (a, s)
        self.chain.ledger.transfer(self.asset, self.safe, self.account, assets)
        for c, x in amounts:
            if x:
                self.settle_redeem(rid, c, x, share_math.to_assets(x, s, a, self.offset, False))
        e.tracked_assets = a - assets
        e.settle_redeem_epoch = 0
        return rid, shares, assets

    def _emit_settled(self, dep: tuple[int, int, int], red: tuple[int, int, int]) -> None:
        self.chain.emit(
            Settled(self.share, self.epoch.tracked_assets, dep[0], dep[1], dep[2], red[0],
                    red[1], red[2])
        )  # fmt: skip

    @action
    def settle_deposits(self, new_total_assets: int, *, sender: str) -> None:
        """Safe: accept the valuation, take fees, settle deposits, then redemptions if possible."""
        if self.epoch.closing_state != OPEN:
            raise ShutDown("vault/closing", "a closing vault settles through close")
        self._accept(new_total_assets, sender)
        dep = self._settle_deposits()
        self._emit_settled(dep, self._settle_redeems())

    @action
    def settle_redeems(self, new_total_assets: int, *, sender: str) -> None:
        """Safe: accept the valuation, take fees, settle redemptions if the safe holds enough."""
        if self.epoch.closing_state != OPEN:
            raise ShutDown("vault/closing", "a closing vault settles through close")
        self._accept(new_total_assets, sender)
        self._emit_settled((0, 0, 0), self._settle_redeems())

    @action
    def initiate_closing(self, *, sender: str) -> None:
        """Owner: start closing; an outstanding proposal is re-issued so no request is stranded."""
        self._require_owner(sender)
        e = self.epoch
        if e.closing_state != OPEN:
            raise ShutDown("vault/closing", f"vault is already {e.closing_state}")
        if e.proposed_assets >= 0:
            self._propose(e.proposed_assets)
        e.closing_state = CLOSING
        self.chain.emit(VaultClosed(self.share, CLOSING))

    @action
    def close(self, new_total_assets: int, *, sender: str) -> None:
        """Safe: final valuation, fees, both settlements; every remaining asset returns to the vault."""
        if self.epoch.closing_state != CLOSING:
            raise ShutDown("vault/not-closing", "initiate_closing first")
        self._accept(new_total_assets, sender)
        dep = self._settle_deposits()
        red = self._settle_redeems()
        if self.epoch.settle_redeem_epoch:
            raise LimitExceeded(
                "vault/insufficient-liquidity", "the safe cannot pay the redemptions"
            )
        rest = self.epoch.tracked_assets
        have = self.chain.ledger.balance_of(self.asset, self.safe)
        if have < rest:
            raise LimitExceeded("vault/insufficient-liquidity", f"the safe holds {have} of {rest}")
        self.chain.ledger.transfer(self.asset, self.safe, self.account, rest)
        self.epoch.closing_state = CLOSED
        self._emit_settled(dep, red)
        self.chain.emit(VaultClosed(self.share, CLOSED))

    # -- synchronous exits once closed ----------------------------------------------------------------
    @action
    def redeem(
        self, shares: int, receiver: str | None = None, owner: str | None = None, *, sender: str
    ) -> int:
        """Claim a settled redemption, or (closed, nothing claimable) redeem at convert_to_assets."""
        who = sender if owner is None else owner
        if not (self.closed and isinstance(who, str) and super().max_redeem(who) == 0):
            return super().redeem(shares, receiver, owner, sender=sender)
        shares = _amount(shares, "shares")
        receiver, owner = _account(receiver, sender, "receiver"), _account(who, who, "owner")
        self._require_unpaused()
        if shares > self.balance_of(owner):
            raise LimitExceeded("vault/exceeds-max-redeem", f"{owner} holds fewer than {shares}")
        assets = self.convert_to_assets(shares)
        if assets == 0:
            raise InvalidInput("vault/zero-assets", f"{shares} shares redeem for no assets")
        self._sync_exit(sender, receiver, owner, assets, shares)
        return assets

    @action
    def withdraw(
        self, assets: int, receiver: str | None = None, owner: str | None = None, *, sender: str
    ) -> int:
        """Claim a settled redemption by assets, or (closed) withdraw burning ceil-priced shares."""
        who = sender if owner is None else owner
        if not (self.closed and isinstance(who, str) and super().max_withdraw(who) == 0):
            return super().withdraw(assets, receiver, owner, sender=sender)
        assets = _amount(assets, "assets")
        receiver, owner = _account(receiver, sender, "receiver"), _account(who, who, "owner")
        self._require_unpaused()
        if assets == 0:
            raise InvalidInput("vault/zero-assets", "withdraw needs assets > 0")
        shares = self.to_shares(assets, True)
        if shares > self.balance_of(owner) or assets > self.free_assets():
            raise LimitExceeded("vault/exceeds-max-withdraw", f"withdraw {assets} exceeds the max")
        self._sync_exit(sender, receiver, owner, assets, shares)
        return shares

    def _require_unpaused(self) -> None:
        if self.paused:
            raise ShutDown("vault/paused", f"vault {self.share} is paused")

    def _sync_exit(self, sender: str, receiver: str, owner: str, assets: int, shares: int) -> None:
        if not self.is_operator(owner, sender):
            self.spend_allowance(owner, sender, shares)
        self.epoch.tracked_assets -= assets
        self.chain.ledger.burn(self.share, owner, shares)
        self.chain.ledger.transfer(self.asset, self.account, receiver, assets)
        self.chain.emit(VaultWithdraw(self.share, sender, receiver, owner, assets, shares))

    # -- owner --------------------------------------------------------------------------------------
    def _require_owner(self, sender: str) -> None:
        if sender != self.owner:
            raise NotAuthorized("vault/not-owner", f"{sender} is not the owner of {self.share}")

    @action
    def update_rates(self, management_bps: int, performance_bps: int, *, sender: str) -> None:
        """Owner: new fee rates, in force after the cooldown (the old ones until then)."""
        self._require_owner(sender)
        _check_rates(management_bps, performance_bps)
        e = self.epoch
        e.old_mgmt_bps, e.old_perf_bps = self.fee_rates()
        e.mgmt_bps, e.perf_bps = management_bps, performance_bps
        e.rates_effective_at = self.chain.now + self.rate_cooldown_s
        self.chain.emit(
            RatesUpdated(self.share, management_bps, performance_bps, e.rates_effective_at)
        )


def _check_rates(mgmt: object, perf: object) -> None:
    for v, cap, name in (
        (mgmt, MAX_MANAGEMENT_BPS, "management"),
        (perf, MAX_PERFORMANCE_BPS, "performance"),
    ):
        if type(v) is not int or not 0 <= v <= cap:
            raise InvalidInput(
                "vault/fee-above-max", f"{name} fee must be an int in [0, {cap}] bps: {v!r}"
            )


def _amount(value: object, name: str) -> int:
    return check_amount(value, name, "vault/bad-amount")


def _account(value: object, default: str, name: str) -> str:
    v = default if value is None else value
    if not isinstance(v, str) or not v:
        raise InvalidInput("vault/bad-account", f"{name} must be a non-empty string, got {v!r}")
    return v
