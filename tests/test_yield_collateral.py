"""Vault shares as AI-dollar collateral: the epoch vault's NAV per share, read through the CDP's
OSM, prices an alUSD-A collateral; a loss the vault books reaches the AI dollar one settlement
plus one OSM hop later and makes a levered position liquidatable."""

from __future__ import annotations

from peglab.kernel import Chain
from peglab.protocols.cdp import AIDollarSpec, CollateralSpec, Launchpad, native_ai_token
from peglab.protocols.yieldvault.epoch_vault import EpochVault
from peglab.protocols.yieldvault.nav_oracle import VaultSharePrice
from peglab.units import DAY, HOUR, WAD

USDC = 10**6


def world() -> tuple[Chain, EpochVault, VaultSharePrice, object]:
    chain = Chain()
    chain.ledger.create_token("USDC", 6)
    chain.ledger.mint("USDC", "looper", 1_000_000 * USDC)
    v = EpochVault(chain, "USDC", "alUSD", safe="safe", valuation_manager="agent",
                   management_bps=0, performance_bps=0)  # fmt: skip
    feed = VaultSharePrice(v, "alUSD-nav", max_age_s=2 * DAY, clock=chain)
    pad = Launchpad(chain)
    yusd = pad.create_ai_usd(
        AIDollarSpec("yUSD", "yield", 10_000_000,
                     (CollateralSpec("alUSD-A", "alUSD", native_ai_token(5_000_000), feed),),
                     admin="yield-dao"),
        sender=chain.root,
    )  # fmt: skip
    return chain, v, feed, yusd


def settle(v: EpochVault, nav: int) -> None:
    v.propose_valuation(nav, sender="agent")
    v.settle_deposits(nav, sender="safe")


def test_nav_feed__before_and_after_settlement__ok_only_when_fresh() -> None:
    chain, v, feed, _ = world()
    assert feed.read()[1] is False  # no shares yet
    v.request_deposit(1_000_000 * USDC, "looper", "looper", sender="looper")
    settle(v, 0)
    price, ok, at = feed.read()
    assert ok and price == WAD and at == chain.now
    chain.advance(2 * DAY + 1)
    assert feed.read()[1] is False  # stale: no valuation for more than two days


def test_vault_loss__reaches_the_ai_dollar_after_settlement_and_hop__position_unsafe() -> None:
    chain, v, feed, yusd = world()
    v.request_deposit(1_000_000 * USDC, "looper", "looper", sender="looper")
    settle(v, 0)
    v.deposit(v.max_deposit("looper"), sender="looper")
    yusd.poke_prices(sender="keeper")
    chain.advance(HOUR)
    yusd.poke_prices(sender="keeper")  # the OSM's next value becomes current
    vid = yusd.open_vault("alUSD-A", sender="looper")
    yusd.deposit(vid, 1_000_000 * USDC, sender="looper")
    yusd.mint(vid, 450_000 * WAD, sender="looper")  # 45% LTV of a $1.00 share
    assert yusd.vault(vid).safe
    chain.ledger.transfer("USDC", "safe", "bad-borrower", 400_000 * USDC)  # the strategy loses 40%
    chain.advance(HOUR)
    settle(v, 600_000 * USDC)
    assert feed.read()[0] == 6 * WAD // 10
    yusd.poke_prices(sender="keeper")
    assert yusd.vault(vid).safe  # the OSM still shows the old price for one hop
    chain.advance(HOUR)
    yusd.poke_prices(sender="keeper")
    chain.advance(HOUR)
    yusd.poke_prices(sender="keeper")
    assert not yusd.vault(vid).safe  # $0.60 × 1M shares no longer covers 450k at the ratio
