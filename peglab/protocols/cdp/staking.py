"""A staking pool issuing a liquid receipt (stATH for ATH): the staked-derivative collateral.

Shares follow ERC-4626 rounding in the pool's favour: ``stake`` mints
``floor(assets * shares / total_assets)`` and ``unstake`` pays ``floor(shares * total_assets /
shares)``. ``total_assets`` is tracked, not read from the token balance, so a donation cannot
move the exchange rate; rewards enter only through ``add_rewards`` and losses through ``slash``
(governance), which is what the CDP's exchange-rate guard watches (docs/cdp-spec.md §4).

A 100% slash leaves shares backed by nothing: they stay redeemable (for 0) and new stakes are
refused (``staking/wiped-out``), since no share price can be derived from zero assets.
"""

from __future__ import annotations

from ...errors import InvalidInput
from ...kernel import Chain, Record, action, query
from ...units import WAD, check_positive
from .events import StakeChanged

__all__ = ["StakingPool"]


class _PoolState(Record):
    __slots__ = ("total_assets",)
    total_assets: int


class StakingPool:
    """Stake ``underlying`` for ``receipt`` tokens whose value grows with rewards."""

    def __init__(
        self, chain: Chain, underlying: str, receipt: str, *, slasher_role: str = "gov"
    ) -> None:
        chain.ledger.token(underlying)
        self.chain = chain
        self.underlying = underlying
        self.receipt = receipt
        self.account = f"staking:{receipt}"
        chain.protect_namespace("staking", "staking pools")
        self.slasher_role = slasher_role
        decimals = chain.ledger.token(underlying).decimals
        chain.ledger.create_token(receipt, decimals, f"staked {underlying}")
        self.state = _PoolState(chain.journal, total_assets=0)
        chain.register(f"staking/{receipt}", self.state)

    @property
    def total_shares(self) -> int:
        return self.chain.ledger.supply[self.receipt]

    def exchange_rate_wad(self) -> int:
        """Underlying per receipt [wad]; 1.0 before the first stake."""
        shares = self.total_shares
        return WAD if shares == 0 else self.state.total_assets * WAD // shares

    @query
    def preview_stake(self, assets: int) -> int:
        shares = self.total_shares
        if shares and self.state.total_assets == 0:
            raise InvalidInput(
                "staking/wiped-out", f"{self.receipt} lost all its assets: no share price"
            )
        return assets if shares == 0 else assets * shares // self.state.total_assets

    @action
    def stake(self, assets: int, *, sender: str) -> int:
        """Deposit ``assets`` underlying; returns receipt shares minted (floored)."""
        check_positive(assets, "assets")
        shares = self.preview_stake(assets)
        if shares == 0:
            raise InvalidInput(
                "staking/zero-shares", f"{assets} underlying buys no shares at this rate"
            )
        ledger = self.chain.ledger
        ledger.transfer(self.underlying, sender, self.account, assets)
        ledger.mint(self.receipt, sender, shares)
        self.state.total_assets += assets
        self.chain.emit(StakeChanged(self.receipt, sender, assets, shares))
        return shares

    @action
    def unstake(self, shares: int, *, sender: str) -> int:
        """Burn ``shares``; returns underlying paid (floored)."""
        check_positive(shares, "shares")
        assets = shares * self.state.total_assets // self.total_shares if self.total_shares else 0
        ledger = self.chain.ledger
        ledger.burn(self.receipt, sender, shares)
        ledger.transfer(self.underlying, self.account, sender, assets)
        self.state.total_assets -= assets
        self.chain.emit(StakeChanged(self.receipt, sender, -assets, -shares))
        return assets

    @action
    def add_rewards(self, assets: int, *, sender: str) -> None:
        """Anyone may add staking rewards; the exchange rate rises."""
        check_positive(assets, "assets")
        if self.total_shares == 0:
            raise InvalidInput("staking/no-stakers", "rewards need at least one staker")
        self.chain.ledger.transfer(self.underlying, sender, self.account, assets)
        self.state.total_assets += assets
        self.chain.emit(StakeChanged(self.receipt, sender, assets, 0))

    @action
    def slash(self, fraction_wad: int, *, sender: str, sink: str = "staking:slashed") -> int:
        """Governance: remove ``fraction`` of the staked underlying (a slashing event)."""
        self.chain.require_role(self.slasher_role, sender, "staking/not-slasher")
        check_amount_fraction(fraction_wad)
        lost = self.state.total_assets * fraction_wad // WAD
        self.chain.ledger.transfer(self.underlying, self.account, sink, lost)
        self.state.total_assets -= lost
        self.chain.emit(StakeChanged(self.receipt, sink, -lost, 0))
        return lost


def check_amount_fraction(fraction_wad: int) -> None:
    if type(fraction_wad) is not int or not 0 < fraction_wad <= WAD:
        raise InvalidInput(
            "staking/bad-fraction", f"fraction must be in (0, 1] wad, got {fraction_wad!r}"
        )
