"""A price source for vault shares: the NAV per share an epoch vault published at its last
settlement, so an AI dollar can accept the shares as collateral (docs/yield-vaults.md §7).

``read() -> (price_wad, ok, observed_at)`` satisfies the CDP's ``PriceSource`` protocol:

    price_wad   = price_per_share (asset units per whole share, floored) × 10^(18 − asset decimals)
                  × asset_price_wad / 1e18                      (the asset is valued at a fixed price)
    observed_at = the time of the vault's last accepted valuation
    ok          = a valuation exists and is at most ``max_age_s`` old

The NAV only moves at settlements, and the CDP's OSM adds its own hop on top: a loss the vault
books reaches the AI dollar's spot one settlement plus one hop later — the oracle delay the
looping question turns on.
"""

from __future__ import annotations

from typing import Protocol

from ...errors import InvalidInput
from ...units import DAY, WAD

__all__ = ["SettledVaultLike", "VaultSharePrice"]


class SettledVaultLike(Protocol):
    """What the price source reads from a vault (``EpochVault`` satisfies it)."""

    @property
    def asset_decimals(self) -> int: ...
    def price_per_share(self) -> int: ...
    def last_settlement(self) -> int: ...
    def total_supply(self) -> int: ...


class VaultSharePrice:
    """The NAV-per-share price source of one vault (module docstring)."""

    def __init__(
        self,
        vault: SettledVaultLike,
        name: str,
        *,
        max_age_s: int = 2 * DAY,
        asset_price_wad: int = WAD,
        clock: ClockLike,
    ) -> None:
        if type(max_age_s) is not int or max_age_s <= 0:
            raise InvalidInput(
                "yield/bad-oracle", f"max_age_s must be a positive int: {max_age_s!r}"
            )
        if type(asset_price_wad) is not int or asset_price_wad <= 0:
            raise InvalidInput(
                "yield/bad-oracle", f"asset price must be a positive wad: {asset_price_wad!r}"
            )
        if vault.asset_decimals > 18:
            raise InvalidInput(
                "yield/bad-oracle", "assets with more than 18 decimals are not priced"
            )
        self.vault = vault
        self.name = name
        self.max_age_s = max_age_s
        self.asset_price_wad = asset_price_wad
        self.clock = clock

    def read(self) -> tuple[int, bool, int]:
        v = self.vault
        at = v.last_settlement()
        pps = v.price_per_share()
        price = pps * 10 ** (18 - v.asset_decimals) * self.asset_price_wad // WAD
        ok = v.total_supply() > 0 and price > 0 and self.clock.now - at <= self.max_age_s
        return price, ok, at


class ClockLike(Protocol):
    """Anything with the chain's time (the ``Chain``)."""

    @property
    def now(self) -> int: ...
