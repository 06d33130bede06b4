"""A staking pool issuing a liquid receipt (stATH for ATH): the staked-derivative collateral.

An instance of the ERC-4626 vault base (``peglab.protocols.vaults.ERC4626Vault``, docs/vaults.md
§2): the receipt is the vault's share token, ``stake``/``unstake`` are the pool's names for a
deposit to oneself and a redemption, and the ERC-4626 surface (``deposit``, ``mint``,
``withdraw``, ``redeem``, previews, max*, allowances) works on the same books. What differs from
the base [O]:

* **No virtual offset**: shares follow the pool's own ERC-4626 rounding, in its favour, with no
  virtual shares: ``stake`` mints ``floor(assets * shares / total_assets)`` (1:1 when empty) and
  ``unstake`` pays ``floor(shares * total_assets / shares)`` (``math.erc4626.naive_*``). The CDP's
  vectors and the lab's paths were computed so, and the exchange rate ``er`` the spotter reads
  (docs/cdp-spec.md §4) stays ``total_assets * 1e18 // shares`` to the wei.
* **Tracked assets**: ``total_assets`` is a recorded figure (``books.total_assets``), not the
  account's balance, so a donation cannot move the exchange rate; rewards enter only through
  ``add_rewards`` and losses through ``slash`` (governance), which is what the CDP's
  exchange-rate guard watches.

A 100% slash leaves shares backed by nothing: they stay redeemable (for 0 through ``unstake``)
and new stakes are refused (``staking/wiped-out``), since no share price can be derived from zero
assets.
"""

from __future__ import annotations

from ...errors import InvalidInput
from ...kernel import Chain, Record, action, query
from ...math import erc4626 as m
from ...units import WAD, check_positive
from ..vaults.interfaces import ERC4626Vault, VaultConfig
from .events import StakeChanged

__all__ = ["StakingPool"]


class _PoolBooks(Record):
    __slots__ = ("total_assets",)
    total_assets: int


class StakingPool(ERC4626Vault):
    """Stake ``underlying`` for ``receipt`` tokens whose value grows with rewards."""

    def __init__(
        self, chain: Chain, underlying: str, receipt: str, *, slasher_role: str = "gov"
    ) -> None:
        chain.ledger.token(underlying)
        chain.protect_namespace("staking", "staking pools")
        super().__init__(chain, underlying, receipt, config=VaultConfig(),
                         name=f"staked {underlying}")  # fmt: skip
        self.account = f"staking:{receipt}"  # the pool's ledger account, as before the base
        self.underlying = underlying
        self.receipt = receipt
        self.slasher_role = slasher_role
        self.books = _PoolBooks(chain.journal, total_assets=0)
        chain.register(f"staking/{receipt}", self.books)

    # -- the vault's extension surface ----------------------------------------------------------
    def total_assets(self) -> int:
        """The tracked underlying (donations to the account do not count)."""
        return self.books.total_assets

    def liquid_assets(self) -> int:
        return self.books.total_assets

    def to_shares(self, assets: int, up: bool) -> int:
        """Floor (or ceil) ``assets * shares / total_assets``; 1:1 when empty; 0 when wiped out."""
        shares, total = self.total_shares, self.books.total_assets
        if shares and total == 0:
            return 0
        if up and shares:
            return -(-assets * shares // total)
        return m.naive_to_shares(assets, shares, total)

    def to_assets(self, shares: int, up: bool) -> int:
        supply, total = self.total_shares, self.books.total_assets
        if up and supply:
            return -(-shares * total // supply)
        return m.naive_to_assets(shares, supply, total)

    def after_deposit(self, assets: int, shares: int) -> None:
        self.books.total_assets += assets

    def before_withdraw(self, assets: int, shares: int) -> None:
        self.books.total_assets -= assets

    # -- the pool's reads ---------------------------------------------------------------------
    @property
    def total_shares(self) -> int:
        return self.chain.ledger.supply[self.receipt]

    def exchange_rate_wad(self) -> int:
        """Underlying per receipt [wad]; 1.0 before the first stake."""
        shares = self.total_shares
        return WAD if shares == 0 else self.books.total_assets * WAD // shares

    @query
    def preview_stake(self, assets: int) -> int:
        if self.total_shares and self.books.total_assets == 0:
            raise InvalidInput(
                "staking/wiped-out", f"{self.receipt} lost all its assets: no share price"
            )
        return self.to_shares(assets, False)

    # -- the pool's actions -------------------------------------------------------------------
    @action
    def stake(self, assets: int, *, sender: str) -> int:
        """Deposit ``assets`` underlying; returns receipt shares minted (floored)."""
        check_positive(assets, "assets")
        shares = self.preview_stake(assets)
        if shares == 0:
            raise InvalidInput(
                "staking/zero-shares", f"{assets} underlying buys no shares at this rate"
            )
        self.chain.ledger.transfer(self.underlying, sender, self.account, assets)
        self.mint_shares(sender, shares)
        self.after_deposit(assets, shares)
        self.chain.emit(StakeChanged(self.receipt, sender, assets, shares))
        return shares

    @action
    def unstake(self, shares: int, *, sender: str) -> int:
        """Burn ``shares``; returns underlying paid (floored, 0 after a 100% slash)."""
        check_positive(shares, "shares")
        assets = self.to_assets(shares, False) if self.total_shares else 0
        self.before_withdraw(assets, shares)
        self.chain.ledger.burn(self.receipt, sender, shares)
        self.chain.ledger.transfer(self.underlying, self.account, sender, assets)
        self.chain.emit(StakeChanged(self.receipt, sender, -assets, -shares))
        return assets

    @action
    def add_rewards(self, assets: int, *, sender: str) -> None:
        """Anyone may add staking rewards; the exchange rate rises."""
        check_positive(assets, "assets")
        if self.total_shares == 0:
            raise InvalidInput("staking/no-stakers", "rewards need at least one staker")
        self.chain.ledger.transfer(self.underlying, sender, self.account, assets)
        self.books.total_assets += assets
        self.chain.emit(StakeChanged(self.receipt, sender, assets, 0))

    @action
    def slash(self, fraction_wad: int, *, sender: str, sink: str = "staking:slashed") -> int:
        """Governance: remove ``fraction`` of the staked underlying (a slashing event)."""
        self.chain.require_role(self.slasher_role, sender, "staking/not-slasher")
        check_amount_fraction(fraction_wad)
        lost = self.books.total_assets * fraction_wad // WAD
        self.chain.ledger.transfer(self.underlying, self.account, sink, lost)
        self.books.total_assets -= lost
        self.chain.emit(StakeChanged(self.receipt, sink, -lost, 0))
        return lost


def check_amount_fraction(fraction_wad: int) -> None:
    if type(fraction_wad) is not int or not 0 < fraction_wad <= WAD:
        raise InvalidInput(
            "staking/bad-fraction", f"fraction must be in (0, 1] wad, got {fraction_wad!r}"
        )
