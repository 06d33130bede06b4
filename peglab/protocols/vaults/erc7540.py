"""ERC-7540 asynchronous deposits and redemptions on top of the ERC-4626 vault.

Lifecycle of one request, keyed by ``(request_id, controller)``::

    request_*  ->  Pending  --fulfil (vault policy)-->  Claimable  --claim-->  Claimed
                      \\--cancel (if configured)--> Cancelled

Where value sits (docs/vaults.md §2):
- a deposit request pulls the owner's assets into the vault account; they are *pending* and left
  out of ``total_assets`` until fulfilment, which mints the shares into the escrow account
  ``vault-escrow:<share>`` at the vault's price of that moment; a claim moves shares to the receiver;
- a redeem request moves the owner's shares into escrow (they keep bearing profit and loss);
  fulfilment burns them and *reserves* their assets, which leave ``total_assets``; a claim pays.

Claim rounding and the buckets themselves live in ``requests.RequestBook``: by default a partial
claim gives the floor of the pro-rata amount while the bucket is charged the ceiling, so rounding
dust stays with the vault (ERC-7540 reference).

Request ids: ``request_id_for(direction)`` is 0 (requests aggregated per controller) unless a
concrete vault returns its own ids (an epoch vault returns the epoch). Claims walk a controller's
claimable buckets in ascending id order.

A concrete vault supplies its fulfilment policy: either it grants the ``fulfiller_role`` and uses
``fulfil_deposit``/``fulfil_redeem`` (price = the vault's current conversion), or it calls
``settle_deposit``/``settle_redeem`` from its own actions with the amounts its policy computed
(an epoch price, a conservative NAV).
"""

from __future__ import annotations

from ...errors import InvalidInput, LimitExceeded, NotAuthorized
from ...kernel import Chain, Table, action, query
from .erc4626 import ERC4626Vault, VaultConfig
from .events import (
    DepositRequested,
    OperatorSet,
    RedeemRequested,
    RequestCancelled,
    RequestFulfilled,
    VaultDeposit,
    VaultWithdraw,
)
from .requests import AsyncConfig, Direction, Request, RequestBook

__all__ = ["AsyncConfig", "AsyncVault", "Direction", "Request"]


class AsyncVault(ERC4626Vault):
    """ERC-4626 vault whose deposits and/or redemptions go through ERC-7540 requests."""

    def __init__(
        self,
        chain: Chain,
        asset: str,
        share: str,
        *,
        config: VaultConfig | None = None,
        async_config: AsyncConfig | None = None,
        name: str = "",
    ) -> None:
        super().__init__(chain, asset, share, config=config, name=name)
        ac = async_config or AsyncConfig()
        if ac.claim_rounding not in ("vault", "remainder"):
            raise InvalidInput(
                "vault/bad-config",
                f"claim_rounding must be vault|remainder, got {ac.claim_rounding!r}",
            )
        if ac.cancellable not in ("none", "deposit", "both"):
            raise InvalidInput(
                "vault/bad-config", f"cancellable must be none|deposit|both, got {ac.cancellable!r}"
            )
        self.async_config = ac
        self.escrow = f"vault-escrow:{share}"
        chain.protect_namespace(
            "vault-escrow", "tokenized vaults"
        )  # engine accounts: never a sender
        self.request_book = RequestBook(chain.journal, ac.claim_rounding)
        self.totals = self.request_book.totals
        self.requests = self.request_book.requests
        self.open_ids = self.request_book.open_ids
        self.operators: Table[tuple[str, str], bool] = Table(chain.journal)
        chain.register(f"vault/{share}/async", self.totals)
        chain.register(f"vault/{share}/requests", self.requests)
        chain.register(f"vault/{share}/open-ids", self.open_ids)
        chain.register(f"vault/{share}/operators", self.operators)

    # -- accounting: pending deposits and reserved redemptions are not the shareholders' -------
    def free_assets(self) -> int:
        """Vault cash minus pending deposit assets and assets reserved for claims."""
        t = self.totals
        bal = self.chain.ledger.balance_of(self.asset, self.account)
        return bal - t.pending_deposit_assets - t.reserved_assets

    def total_assets(self) -> int:
        return self.free_assets()

    def liquid_assets(self) -> int:
        return self.free_assets()

    @query
    def request_id_for(self, direction: Direction) -> int:
        """Id of a new request (0: aggregated per controller). Epoch vaults return the epoch."""
        return 0

    # -- views --------------------------------------------------------------------------------
    @query
    def is_operator(self, controller: str, operator: str) -> bool:
        return self.operators.get((controller, operator), False)

    @query
    def request(self, direction: Direction, request_id: int, controller: str) -> Request | None:
        return self.request_book.get(direction, request_id, controller)

    @query
    def pending_deposit_request(self, request_id: int, controller: str) -> int:
        r = self.request("deposit", request_id, controller)
        return r.pending if r else 0

    @query
    def claimable_deposit_request(self, request_id: int, controller: str) -> int:
        r = self.request("deposit", request_id, controller)
        return r.claimable_assets if r else 0

    @query
    def pending_redeem_request(self, request_id: int, controller: str) -> int:
        r = self.request("redeem", request_id, controller)
        return r.pending if r else 0

    @query
    def claimable_redeem_request(self, request_id: int, controller: str) -> int:
        r = self.request("redeem", request_id, controller)
        return r.claimable_shares if r else 0

    @query
    def max_deposit(self, receiver: str) -> int:
        if not self.async_config.async_deposit:
            return super().max_deposit(receiver)
        if self.state.paused:
            return 0
        return sum(r.claimable_assets for _, r in self.request_book.claimable("deposit", receiver))

    @query
    def max_mint(self, receiver: str) -> int:
        if not self.async_config.async_deposit:
            return super().max_mint(receiver)
        if self.state.paused:
            return 0
        return sum(r.claimable_shares for _, r in self.request_book.claimable("deposit", receiver))

    @query
    def max_withdraw(self, owner: str) -> int:
        if not self.async_config.async_redeem:
            return super().max_withdraw(owner)
        if self.state.paused:
            return 0
        return sum(r.claimable_assets for _, r in self.request_book.claimable("redeem", owner))

    @query
    def max_redeem(self, owner: str) -> int:
        if not self.async_config.async_redeem:
            return super().max_redeem(owner)
        if self.state.paused:
            return 0
        return sum(r.claimable_shares for _, r in self.request_book.claimable("redeem", owner))

    def _async_preview(self, direction: str) -> None:
        raise InvalidInput(
            "vault/async-preview", f"{direction} is asynchronous: preview is not defined"
        )

    @query
    def preview_deposit(self, assets: int) -> int:
        if self.async_config.async_deposit:
            self._async_preview("deposit")
        return super().preview_deposit(assets)

    @query
    def preview_mint(self, shares: int) -> int:
        if self.async_config.async_deposit:
            self._async_preview("deposit")
        return super().preview_mint(shares)

    @query
    def preview_withdraw(self, assets: int) -> int:
        if self.async_config.async_redeem:
            self._async_preview("redeem")
        return super().preview_withdraw(assets)

    @query
    def preview_redeem(self, shares: int) -> int:
        if self.async_config.async_redeem:
            self._async_preview("redeem")
        return super().preview_redeem(shares)

    # -- guards and bookkeeping ---------------------------------------------------------------
    def _require_owner_or_operator(self, owner: str, sender: str) -> None:
        if owner != sender and not self.is_operator(owner, sender):
            raise NotAuthorized(
                "vault/not-owner-or-operator", f"{sender} may not request for {owner}"
            )

    def _require_controller(self, controller: str, sender: str) -> None:
        if controller != sender and not self.is_operator(controller, sender):
            raise NotAuthorized(
                "vault/not-controller-or-operator", f"{sender} may not claim for {controller}"
            )

    def _request_id(self, value: object) -> int:
        if type(value) is not int or value < 0:
            raise InvalidInput(
                "vault/bad-request-id", f"request id must be an int >= 0, got {value!r}"
            )
        return value

    # -- operators ----------------------------------------------------------------------------
    @action
    def set_operator(self, operator: str, approved: bool, *, sender: str) -> bool:
        """Let ``operator`` request and claim on the sender's behalf (or stop it)."""
        operator = self._party(operator, "operator")
        self._not_paused()
        if type(approved) is not bool:
            raise InvalidInput("vault/bad-flag", f"approved must be a bool, got {approved!r}")
        if operator == sender:
            raise InvalidInput("vault/self-operator", "an account cannot be its own operator")
        if approved:
            self.operators[(sender, operator)] = True
        else:
            self.operators.discard((sender, operator))
        self.chain.emit(OperatorSet(self.share, sender, operator, approved))
        return True

    # -- requests -----------------------------------------------------------------------------
    @action
    def request_deposit(self, assets: int, controller: str, owner: str, *, sender: str) -> int:
        """Pull ``assets`` from ``owner`` into a pending deposit for ``controller``; returns the id."""
        if not self.async_config.async_deposit:
            raise InvalidInput("vault/sync-flow", "deposits are synchronous: call deposit")
        assets = self._amount(assets, "assets")
        controller = self._party(controller, "controller")
        owner = self._party(owner, "owner")
        self._not_paused()
        self._require_owner_or_operator(owner, sender)
        if assets == 0:
            raise InvalidInput("vault/zero-assets", "request_deposit needs assets > 0")
        rid = self.request_id_for("deposit")
        self.chain.ledger.transfer(self.asset, owner, self.account, assets)
        r = self.request_book.bucket("deposit", rid, controller)
        r.requested += assets
        r.pending += assets
        self.totals.pending_deposit_assets += assets
        self.chain.emit(DepositRequested(self.share, controller, owner, rid, assets))
        return rid

    @action
    def request_redeem(self, shares: int, controller: str, owner: str, *, sender: str) -> int:
        """Escrow ``shares`` of ``owner`` in a pending redemption for ``controller``."""
        if not self.async_config.async_redeem:
            raise InvalidInput("vault/sync-flow", "redemptions are synchronous: call redeem")
        shares = self._amount(shares, "shares")
        controller = self._party(controller, "controller")
        owner = self._party(owner, "owner")
        self._not_paused()
        if shares == 0:
            raise InvalidInput("vault/zero-shares", "request_redeem needs shares > 0")
        if owner != sender and not self.is_operator(owner, sender):
            self.spend_allowance(owner, sender, shares)
        bal = self.balance_of(owner)
        if bal < shares:
            raise LimitExceeded(
                "vault/insufficient-shares", f"{owner} holds {bal} shares, asked {shares}"
            )
        rid = self.request_id_for("redeem")
        self.escrow_redeem_shares(owner, shares)
        r = self.request_book.bucket("redeem", rid, controller)
        r.requested += shares
        r.pending += shares
        self.totals.pending_redeem_shares += shares
        self.chain.emit(RedeemRequested(self.share, controller, owner, rid, shares))
        return rid

    def escrow_redeem_shares(self, owner: str, shares: int) -> None:
        """Take requested shares from ``owner`` (default: into escrow; a vault may burn them)."""
        self.chain.ledger.transfer(self.share, owner, self.escrow, shares)

    def release_redeem_shares(self, shares: int) -> None:
        """Fulfilment of escrowed shares: burn them (pairs with ``escrow_redeem_shares``)."""
        self.chain.ledger.burn(self.share, self.escrow, shares)

    def refund_redeem_shares(self, receiver: str, shares: int) -> None:
        """Cancellation: give escrowed shares back (pairs with ``escrow_redeem_shares``)."""
        self.chain.ledger.transfer(self.share, self.escrow, receiver, shares)

    # -- fulfilment (policy) ------------------------------------------------------------------
    def _require_in_action(self) -> None:
        if not self.chain.journal.depth:
            raise InvalidInput("vault/not-in-action", "settle_* must be called inside an action")

    def settle_deposit(self, request_id: int, controller: str, assets: int, shares: int) -> None:
        """Pending -> claimable: ``assets`` of the request become ``shares`` (minted to escrow).

        Call inside the concrete vault's own action, with ``shares`` priced by its policy.
        """
        self._require_in_action()
        r = self.request("deposit", request_id, controller)
        if r is None or assets <= 0 or assets > r.pending:
            have = r.pending if r else 0
            raise LimitExceeded(
                "vault/exceeds-pending", f"fulfil {assets} of {have} pending assets"
            )
        if shares <= 0:
            raise InvalidInput("vault/zero-shares", f"{assets} assets fulfil to no shares")
        r.pending -= assets
        self.totals.pending_deposit_assets -= assets  # the assets now back shares
        self.mint_shares(self.escrow, shares)
        r.claimable_assets += assets
        r.claimable_shares += shares
        self._check_min_supply()
        self.chain.emit(
            RequestFulfilled(self.share, "deposit", controller, request_id, assets, shares)
        )

    def settle_redeem(self, request_id: int, controller: str, shares: int, assets: int) -> None:
        """Pending -> claimable: escrowed ``shares`` are burned and ``assets`` reserved for them."""
        self._require_in_action()
        r = self.request("redeem", request_id, controller)
        if r is None or shares <= 0 or shares > r.pending:
            have = r.pending if r else 0
            raise LimitExceeded(
                "vault/exceeds-pending", f"fulfil {shares} of {have} pending shares"
            )
        if assets < 0:
            raise InvalidInput("vault/bad-amount", f"negative assets {assets}")
        free = self.free_assets()
        if assets > free:
            raise LimitExceeded(
                "vault/insufficient-liquidity", f"need {assets} free assets, vault has {free}"
            )
        r.pending -= shares
        self.totals.pending_redeem_shares -= shares
        self.release_redeem_shares(shares)
        self.totals.reserved_assets += assets
        r.claimable_shares += shares
        r.claimable_assets += assets
        self._check_min_supply()
        self.chain.emit(
            RequestFulfilled(self.share, "redeem", controller, request_id, assets, shares)
        )

    @action
    def fulfil_deposit(
        self, controller: str, assets: int, request_id: int = 0, *, sender: str
    ) -> int:
        """Fulfiller: fulfil ``assets`` of a pending deposit at the current price (floor)."""
        self.chain.require_role(self.async_config.fulfiller_role, sender, "vault/not-fulfiller")
        assets = self._amount(assets, "assets")
        rid = self._request_id(request_id)
        shares = self.price_deposit(assets)
        self.settle_deposit(rid, self._party(controller, "controller"), assets, shares)
        return shares

    @action
    def fulfil_redeem(
        self, controller: str, shares: int, request_id: int = 0, *, sender: str
    ) -> int:
        """Fulfiller: fulfil ``shares`` of a pending redemption at the current price (floor)."""
        self.chain.require_role(self.async_config.fulfiller_role, sender, "vault/not-fulfiller")
        shares = self._amount(shares, "shares")
        rid = self._request_id(request_id)
        assets = self.price_redeem(shares)
        if assets == 0:
            raise InvalidInput("vault/zero-assets", f"{shares} shares fulfil to no assets")
        self.settle_redeem(rid, self._party(controller, "controller"), shares, assets)
        return assets

    # -- cancels ------------------------------------------------------------------------------
    @action
    def cancel_deposit_request(
        self, controller: str, request_id: int = 0, receiver: str | None = None, *, sender: str
    ) -> int:
        """Return the whole pending part of a deposit request (if the vault allows it)."""
        if self.async_config.cancellable == "none":
            raise NotAuthorized(
                "vault/not-cancellable", "this vault does not cancel deposit requests"
            )
        return self._cancel("deposit", controller, request_id, receiver, sender)

    @action
    def cancel_redeem_request(
        self, controller: str, request_id: int = 0, receiver: str | None = None, *, sender: str
    ) -> int:
        """Return the pending shares of a redeem request (only when ``cancellable == 'both'``)."""
        if self.async_config.cancellable != "both":
            raise NotAuthorized(
                "vault/not-cancellable", "this vault does not cancel redeem requests"
            )
        return self._cancel("redeem", controller, request_id, receiver, sender)

    def _cancel(self, direction: Direction, controller: str, request_id: int,
                receiver: str | None, sender: str) -> int:  # fmt: skip
        controller = self._party(controller, "controller")
        receiver = self._party(controller if receiver is None else receiver, "receiver")
        rid = self._request_id(request_id)
        self._not_paused()
        self._require_controller(controller, sender)
        r = self.request(direction, rid, controller)
        if r is None or r.pending == 0:
            raise InvalidInput(
                "vault/nothing-pending", f"no pending {direction} request {rid} for {controller}"
            )
        amount = r.pending
        r.pending = 0
        r.cancelled += amount
        if direction == "deposit":
            self.totals.pending_deposit_assets -= amount
            self.chain.ledger.transfer(self.asset, self.account, receiver, amount)
        else:
            self.totals.pending_redeem_shares -= amount
            self.refund_redeem_shares(receiver, amount)
        self.request_book.close_if_done(direction, rid, controller, r)
        self.chain.emit(RequestCancelled(self.share, direction, controller, receiver, rid, amount))
        return amount

    # -- claims (ERC-7540 overloads of the ERC-4626 flows) ------------------------------------
    def _claim_args(
        self, receiver: str | None, controller: str | None, sender: str
    ) -> tuple[str, str]:
        controller = self._party(sender if controller is None else controller, "controller")
        receiver = self._party(sender if receiver is None else receiver, "receiver")
        self._not_paused()
        self._require_controller(controller, sender)
        return receiver, controller

    @action
    def deposit(
        self,
        assets: int,
        receiver: str | None = None,
        controller: str | None = None,
        *,
        sender: str,
    ) -> int:
        """Claim ``assets`` of claimable deposits as shares (floor; bucket charged the ceiling)."""
        if not self.async_config.async_deposit:
            return super().deposit(assets, receiver, sender=sender)
        assets = self._amount(assets, "assets")
        receiver, controller = self._claim_args(receiver, controller, sender)
        self._limit("exceeds-max-deposit", assets, self.max_deposit(controller))
        out = self.request_book.claim_deposit_assets(controller, assets)
        if out == 0:
            raise InvalidInput("vault/zero-shares", f"claiming {assets} assets gives no shares")
        self.chain.ledger.transfer(self.share, self.escrow, receiver, out)
        self.chain.emit(VaultDeposit(self.share, sender, receiver, assets, out))
        return out

    @action
    def mint(
        self,
        shares: int,
        receiver: str | None = None,
        controller: str | None = None,
        *,
        sender: str,
    ) -> int:
        """Claim exactly ``shares`` of claimable deposits; returns the assets charged (ceil)."""
        if not self.async_config.async_deposit:
            return super().mint(shares, receiver, sender=sender)
        shares = self._amount(shares, "shares")
        receiver, controller = self._claim_args(receiver, controller, sender)
        if shares == 0:
            raise InvalidInput("vault/zero-shares", "mint needs shares > 0")
        self._limit("exceeds-max-mint", shares, self.max_mint(controller))
        charged = self.request_book.claim_deposit_shares(controller, shares)
        self.chain.ledger.transfer(self.share, self.escrow, receiver, shares)
        self.chain.emit(VaultDeposit(self.share, sender, receiver, charged, shares))
        return charged

    @action
    def redeem(
        self, shares: int, receiver: str | None = None, owner: str | None = None, *, sender: str
    ) -> int:
        """Claim ``shares`` of claimable redemptions (``owner`` is the controller); pays floor."""
        if not self.async_config.async_redeem:
            return super().redeem(shares, receiver, owner, sender=sender)
        shares = self._amount(shares, "shares")
        receiver, controller = self._claim_args(receiver, owner, sender)
        if shares == 0:
            raise InvalidInput("vault/zero-shares", "redeem needs shares > 0")
        self._limit("exceeds-max-redeem", shares, self.max_redeem(controller))
        paid = self.request_book.claim_redeem_shares(controller, shares)
        if paid == 0:
            raise InvalidInput("vault/zero-assets", f"claiming {shares} shares pays no assets")
        self.chain.ledger.transfer(self.asset, self.account, receiver, paid)
        self.chain.emit(VaultWithdraw(self.share, sender, receiver, controller, paid, shares))
        return paid

    @action
    def withdraw(
        self, assets: int, receiver: str | None = None, owner: str | None = None, *, sender: str
    ) -> int:
        """Claim exactly ``assets`` of claimable redemptions; returns the shares charged (ceil)."""
        if not self.async_config.async_redeem:
            return super().withdraw(assets, receiver, owner, sender=sender)
        assets = self._amount(assets, "assets")
        receiver, controller = self._claim_args(receiver, owner, sender)
        if assets == 0:
            raise InvalidInput("vault/zero-assets", "withdraw needs assets > 0")
        self._limit("exceeds-max-withdraw", assets, self.max_withdraw(controller))
        charged = self.request_book.claim_redeem_assets(controller, assets)
        self.chain.ledger.transfer(self.asset, self.account, receiver, assets)
        self.chain.emit(VaultWithdraw(self.share, sender, receiver, controller, assets, charged))
        return charged

    def _limit(self, reason: str, amount: int, cap: int) -> None:
        if amount > cap:
            raise LimitExceeded(f"vault/{reason}", f"{amount} > claimable {cap}")
