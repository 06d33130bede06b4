"""An ERC-4626 tokenized vault on the kernel ledger (OpenZeppelin ERC4626 semantics).

The vault's assets sit in the ledger account ``vault:<share>``; its shares are a ledger token
``<share>`` with ``asset decimals + offset`` decimals. Conversions are OpenZeppelin's, with a
virtual offset (peglab.math.erc4626); previews round toward the vault; every flow is
``check -> preview -> move``: deposit pulls assets then mints, withdraw/redeem spend the allowance,
burn, then pay. Inflation defences (docs/vaults.md §1.1): the virtual offset, optional dead
shares minted to a dead account on the first deposit (taken from the first depositor, like
sUSDai's ``LOCKED_SHARES``), an optional minimum total supply after every action (sUSDe), and a
refusal of any deposit that mints 0 shares (``vault/zero-shares``).

Extension surface (what a concrete vault overrides; documented in docs/vaults.md §2, "Extension surface"):
``total_assets`` (default: the vault account's asset balance, as OpenZeppelin's
``balanceOf(this)``, so donations count), ``liquid_assets`` (what withdrawals can pay now),
``total_supply``, ``to_shares``/``to_assets`` (custom prices), ``after_deposit``/``before_withdraw``
(move assets to and from strategies, track accounting), and ``check_account`` (blacklists).
"""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import InvalidInput, LimitExceeded, NotAuthorized, ShutDown
from ...kernel import Chain, Record, Table, action, query
from ...math import erc4626 as m
from ...units import MAX_UINT256, check_amount
from .events import SharesApproved, SharesTransferred, VaultDeposit, VaultPaused, VaultWithdraw

__all__ = ["ERC4626Vault", "VaultConfig"]


@dataclass(frozen=True, slots=True)
class VaultConfig:
    """Construction parameters of a vault (immutable, like constructor arguments).

    ``offset``: decimals offset ``o`` of the virtual shares (OpenZeppelin ``_decimalsOffset``).
    ``dead_shares``: shares locked in ``dead_account`` at the first deposit (0 = none).
    ``min_total_shares``: after every action the supply is 0 or at least this (0 = no rule).
    ``deposit_cap_assets``: ``max_deposit`` room under this total-assets cap (None = unlimited).
    ``pauser_role``: role allowed to pause; a paused vault refuses every flow (``vault/paused``).
    """

    offset: int = 0
    dead_shares: int = 0
    dead_account: str = "vault:dead"
    min_total_shares: int = 0
    deposit_cap_assets: int | None = None
    pauser_role: str = "vault/pauser"


class _VaultState(Record):
    __slots__ = ("paused",)
    paused: bool


class ERC4626Vault:
    """Synchronous ERC-4626 vault of ``asset`` issuing ``share``."""

    def __init__(
        self,
        chain: Chain,
        asset: str,
        share: str,
        *,
        config: VaultConfig | None = None,
        name: str = "",
    ) -> None:
        cfg = config or VaultConfig()
        if type(cfg.offset) is not int or not 0 <= cfg.offset <= 18:
            raise InvalidInput(
                "vault/bad-config", f"offset must be an int in [0, 18], got {cfg.offset!r}"
            )
        for field_name in ("dead_shares", "min_total_shares"):
            check_amount(getattr(cfg, field_name), field_name, "vault/bad-config")
        if cfg.deposit_cap_assets is not None:
            check_amount(cfg.deposit_cap_assets, "deposit_cap_assets", "vault/bad-config")
        asset_token = chain.ledger.token(asset)
        self.chain = chain
        self.asset = asset
        self.share = share
        self.config = cfg
        self.offset = cfg.offset
        self.account = f"vault:{share}"
        chain.protect_namespace("vault", "tokenized vaults")  # never a user's sender
        chain.ledger.create_token(
            share, asset_token.decimals + cfg.offset, name or f"vault {share}"
        )
        self.state = _VaultState(chain.journal, paused=False)
        self.allowances: Table[tuple[str, str], int] = Table(chain.journal)
        chain.register(f"vault/{share}", self.state)
        chain.register(f"vault/{share}/allowances", self.allowances)

    # -- extension surface (override in concrete vaults) ---------------------------------------
    def total_assets(self) -> int:
        """Assets backing the shares. Default: the vault account's balance (OpenZeppelin)."""
        return self.chain.ledger.balance_of(self.asset, self.account)

    def liquid_assets(self) -> int:
        """Assets the vault can pay out now (caps ``max_withdraw``/``max_redeem``)."""
        return self.chain.ledger.balance_of(self.asset, self.account)

    def total_supply(self) -> int:
        """Shares that share in ``total_assets``. Default: the share token's supply."""
        return self.chain.ledger.supply[self.share]

    def to_shares(self, assets: int, up: bool) -> int:
        """Shares worth ``assets`` at the vault's price, rounded up or down."""
        return m.to_shares(assets, self.total_supply(), self.total_assets(), self.offset, up)

    def to_assets(self, shares: int, up: bool) -> int:
        """Assets worth ``shares`` at the vault's price, rounded up or down."""
        return m.to_assets(shares, self.total_supply(), self.total_assets(), self.offset, up)

    def after_deposit(self, assets: int, shares: int) -> None:
        """Called inside deposit/mint after the assets arrived and the shares were minted."""

    def before_withdraw(self, assets: int, shares: int) -> None:
        """Called inside withdraw/redeem before the shares are burned and the assets paid."""

    def check_account(self, account: str) -> None:
        """Refuse an account that may not hold or move shares (blacklists). Default: any."""

    # -- views (never raise, never mutate) ----------------------------------------------------
    @property
    def paused(self) -> bool:
        return self.state.paused

    @query
    def balance_of(self, account: str) -> int:
        return self.chain.ledger.balance_of(self.share, account)

    @query
    def allowance(self, owner: str, spender: str) -> int:
        return self.allowances.get((owner, spender), 0)

    @query
    def convert_to_shares(self, assets: int) -> int:
        """Informational, floor, caller-independent."""
        return self.to_shares(assets, False)

    @query
    def convert_to_assets(self, shares: int) -> int:
        """Informational, floor, caller-independent."""
        return self.to_assets(shares, False)

    def _dead_on_entry(self) -> int:
        return self.config.dead_shares if self.chain.ledger.supply[self.share] == 0 else 0

    # price_* never raise; preview_* are the EIP-4626 views (an async direction makes them raise)
    def price_deposit(self, assets: int) -> int:
        """Shares the receiver gets for ``assets`` (floor; net of dead shares on the first deposit)."""
        return max(0, self.to_shares(assets, False) - self._dead_on_entry())

    def price_mint(self, shares: int) -> int:
        """Assets pulled to mint ``shares`` to the receiver (ceil; plus dead shares when empty)."""
        return self.to_assets(shares + self._dead_on_entry(), True)

    def price_withdraw(self, assets: int) -> int:
        """Shares burned to pay ``assets`` (ceil)."""
        return self.to_shares(assets, True)

    def price_redeem(self, shares: int) -> int:
        """Assets paid for ``shares`` (floor)."""
        return self.to_assets(shares, False)

    @query
    def preview_deposit(self, assets: int) -> int:
        return self.price_deposit(assets)

    @query
    def preview_mint(self, shares: int) -> int:
        return self.price_mint(shares)

    @query
    def preview_withdraw(self, assets: int) -> int:
        return self.price_withdraw(assets)

    @query
    def preview_redeem(self, shares: int) -> int:
        return self.price_redeem(shares)

    @query
    def max_deposit(self, receiver: str) -> int:
        return m.max_deposit(self.state.paused, self.config.deposit_cap_assets, self.total_assets())

    @query
    def max_mint(self, receiver: str) -> int:
        room = self.max_deposit(receiver)
        return room if room in (0, MAX_UINT256) else self.to_shares(room, False)

    @query
    def max_withdraw(self, owner: str) -> int:
        if self.state.paused:
            return 0
        return min(self.price_redeem(self.balance_of(owner)), self.liquid_assets())

    @query
    def max_redeem(self, owner: str) -> int:
        if self.state.paused:
            return 0
        bal = self.balance_of(owner)
        liquid = self.liquid_assets()
        if self.price_redeem(bal) <= liquid:
            return bal
        s = max(0, min(bal, self.to_shares(liquid + 1, True) - 1))
        while (
            s and self.price_redeem(s) > liquid
        ):  # exact for OpenZeppelin prices; guards overrides
            s -= 1
        return s

    # -- guards -------------------------------------------------------------------------------
    def _amount(self, value: object, name: str) -> int:
        return check_amount(value, name, "vault/bad-amount")

    def _party(self, account: object, name: str) -> str:
        if not isinstance(account, str) or not account:
            raise InvalidInput(
                "vault/bad-account", f"{name} must be a non-empty string, got {account!r}"
            )
        self.check_account(account)
        return account

    def _not_paused(self) -> None:
        if self.state.paused:
            raise ShutDown("vault/paused", f"vault {self.share} is paused")

    def _check_min_supply(self) -> None:
        floor_ = self.config.min_total_shares
        supply = self.chain.ledger.supply[self.share]
        if floor_ and 0 < supply < floor_:
            raise LimitExceeded(
                "vault/min-shares", f"total shares {supply} would be below the minimum {floor_}"
            )

    def spend_allowance(self, owner: str, spender: str, shares: int) -> None:
        """Use ``shares`` of ``spender``'s allowance on ``owner`` (infinite = 2^256-1 is kept)."""
        if owner == spender:
            return
        have = self.allowances.get((owner, spender), 0)
        if have < shares:
            raise NotAuthorized(
                "vault/insufficient-allowance",
                f"{spender} may move {have} of {owner}'s shares, needs {shares}",
            )
        if have != MAX_UINT256:
            if have == shares:
                self.allowances.discard((owner, spender))
            else:
                self.allowances[(owner, spender)] = have - shares

    # -- share moves used by flows (inside an action) -----------------------------------------
    def mint_shares(self, receiver: str, shares: int) -> None:
        """Mint ``shares`` to ``receiver``, first locking the dead shares if the vault is empty."""
        dead = self._dead_on_entry()
        if dead:
            self.chain.ledger.mint(self.share, self.config.dead_account, dead)
        self.chain.ledger.mint(self.share, receiver, shares)

    # -- ERC-4626 flows -----------------------------------------------------------------------
    @action
    def deposit(self, assets: int, receiver: str | None = None, *, sender: str) -> int:
        """Pull ``assets`` from the sender, mint shares (floor) to ``receiver``; returns shares."""
        assets = self._amount(assets, "assets")
        receiver = self._party(sender if receiver is None else receiver, "receiver")
        self._party(sender, "sender")
        self._not_paused()
        cap = self.max_deposit(receiver)
        if assets > cap:
            raise LimitExceeded("vault/exceeds-max-deposit", f"deposit {assets} > max {cap}")
        shares = self.price_deposit(assets)
        if shares == 0:
            raise InvalidInput("vault/zero-shares", f"{assets} assets buy no shares at this price")
        self.chain.ledger.transfer(self.asset, sender, self.account, assets)
        self.mint_shares(receiver, shares)
        self.after_deposit(assets, shares)
        self._check_min_supply()
        self.chain.emit(VaultDeposit(self.share, sender, receiver, assets, shares))
        return shares

    @action
    def mint(self, shares: int, receiver: str | None = None, *, sender: str) -> int:
        """Mint exactly ``shares`` to ``receiver`` for ceil-priced assets; returns assets."""
        shares = self._amount(shares, "shares")
        receiver = self._party(sender if receiver is None else receiver, "receiver")
        self._party(sender, "sender")
        self._not_paused()
        if shares == 0:
            raise InvalidInput("vault/zero-shares", "mint needs shares > 0")
        cap = self.max_mint(receiver)
        if shares > cap:
            raise LimitExceeded("vault/exceeds-max-mint", f"mint {shares} > max {cap}")
        assets = self.price_mint(shares)
        self.chain.ledger.transfer(self.asset, sender, self.account, assets)
        self.mint_shares(receiver, shares)
        self.after_deposit(assets, shares)
        self._check_min_supply()
        self.chain.emit(VaultDeposit(self.share, sender, receiver, assets, shares))
        return assets

    @action
    def withdraw(
        self, assets: int, receiver: str | None = None, owner: str | None = None, *, sender: str
    ) -> int:
        """Pay exactly ``assets`` to ``receiver``, burning ceil-priced shares of ``owner``."""
        assets = self._amount(assets, "assets")
        receiver = self._party(sender if receiver is None else receiver, "receiver")
        owner = self._party(sender if owner is None else owner, "owner")
        self._party(sender, "sender")
        self._not_paused()
        if assets == 0:
            raise InvalidInput("vault/zero-assets", "withdraw needs assets > 0")
        cap = self.max_withdraw(owner)
        if assets > cap:
            raise LimitExceeded("vault/exceeds-max-withdraw", f"withdraw {assets} > max {cap}")
        shares = self.price_withdraw(assets)
        self._exit(sender, receiver, owner, assets, shares)
        return shares

    @action
    def redeem(
        self, shares: int, receiver: str | None = None, owner: str | None = None, *, sender: str
    ) -> int:
        """Burn ``shares`` of ``owner`` and pay floor-priced assets to ``receiver``."""
        shares = self._amount(shares, "shares")
        receiver = self._party(sender if receiver is None else receiver, "receiver")
        owner = self._party(sender if owner is None else owner, "owner")
        self._party(sender, "sender")
        self._not_paused()
        cap = self.max_redeem(owner)
        if shares > cap:
            raise LimitExceeded("vault/exceeds-max-redeem", f"redeem {shares} > max {cap}")
        assets = self.price_redeem(shares)
        if assets == 0:
            raise InvalidInput("vault/zero-assets", f"{shares} shares redeem for no assets")
        self._exit(sender, receiver, owner, assets, shares)
        return assets

    def _exit(self, sender: str, receiver: str, owner: str, assets: int, shares: int) -> None:
        self.spend_allowance(owner, sender, shares)
        self.before_withdraw(assets, shares)
        self.chain.ledger.burn(self.share, owner, shares)
        self.chain.ledger.transfer(self.asset, self.account, receiver, assets)
        self._check_min_supply()
        self.chain.emit(VaultWithdraw(self.share, sender, receiver, owner, assets, shares))

    # -- ERC-20 surface of the share ----------------------------------------------------------
    @action
    def approve(self, spender: str, shares: int, *, sender: str) -> None:
        """Let ``spender`` move up to ``shares`` of the sender's shares (2^256-1 = unlimited)."""
        shares = self._amount(shares, "shares")
        spender = self._party(spender, "spender")
        if shares:
            self.allowances[(sender, spender)] = shares
        else:
            self.allowances.discard((sender, spender))
        self.chain.emit(SharesApproved(self.share, sender, spender, shares))

    @action
    def transfer(self, to: str, shares: int, *, sender: str) -> None:
        """Move the sender's shares to ``to``."""
        self._move(sender, sender, to, shares)

    @action
    def transfer_from(self, owner: str, to: str, shares: int, *, sender: str) -> None:
        """Move ``owner``'s shares to ``to`` using the sender's allowance."""
        self._move(sender, owner, to, shares)

    def _move(self, sender: str, owner: str, to: str, shares: int) -> None:
        shares = self._amount(shares, "shares")
        if shares == 0:
            raise InvalidInput("vault/bad-amount", "transfer needs shares > 0")
        owner = self._party(owner, "owner")
        to = self._party(to, "to")
        self._party(sender, "sender")
        self.spend_allowance(owner, sender, shares)
        self.chain.ledger.transfer(self.share, owner, to, shares)
        self.chain.emit(SharesTransferred(self.share, owner, to, shares))

    @action
    def set_paused(self, paused: bool, *, sender: str) -> None:
        """Pauser: stop (or restart) every flow of the vault."""
        self.chain.require_role(self.config.pauser_role, sender, "vault/not-pauser")
        if type(paused) is not bool:
            raise InvalidInput("vault/bad-flag", f"paused must be a bool, got {paused!r}")
        self.state.paused = paused
        self.chain.emit(VaultPaused(self.share, paused))
