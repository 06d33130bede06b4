"""The AUSD test system of the liquidation, buffer, PSM and shutdown tests (fixture ``liq``).

AUSD on ``ATH-A`` (18-decimal AI token) with a PSM on a 6-decimal ``USDC``; keepers obtain AI
dollars honestly, by selling USDC into the PSM. Prices move through ``set_price`` and reach the
engine through the OSM one hop later (``settle``).
"""

from __future__ import annotations

from dataclasses import dataclass

from peglab.kernel import Chain
from peglab.protocols.cdp import (
    AIDollar,
    AIDollarSpec,
    CollateralSpec,
    Launchpad,
    PriceFeed,
    native_ai_token,
    replace,
)
from peglab.protocols.cdp.psm import PsmSpec
from peglab.units import RAD, wad

__all__ = ["LiqSystem", "build"]

ORACLE = "oracle"


@dataclass
class LiqSystem:
    chain: Chain
    pad: Launchpad
    d: AIDollar
    feed: PriceFeed
    usdc_feed: PriceFeed

    def set_price(self, price: str | int) -> None:
        self.feed.set_price(price if isinstance(price, int) else wad(price), sender=ORACLE)

    def settle(self) -> None:
        """Advance hops and poke until the OSM's current value is the feed's value."""
        target = self.feed.state.val_wad
        osm = self.d.osms["ATH"]
        for _ in range(4):
            self.chain.advance(3600)
            self.d.poke_prices(sender="poker")
            if osm.state.cur_wad == target:
                return
        raise AssertionError("price did not settle")

    def usdc_to_ausd(self, who: str, amount: int) -> None:
        """``who`` sells ``amount`` whole USDC to the PSM for AI dollars."""
        self.chain.ledger.mint("USDC", who, amount * 10**6)
        self.d.sell_gem(amount * 10**6, sender=who)

    def vault(self, owner: str, ath: int, debt: int) -> int:
        self.chain.ledger.mint("ATH", owner, wad(ath))
        vid = self.d.open_vault("ATH-A", sender=owner)
        self.d.deposit(vid, wad(ath), sender=owner)
        self.d.mint(vid, wad(debt), sender=owner)
        return vid

    def errors(self) -> list[str]:
        self.chain.check_conservation()
        return self.d.invariant_errors() + self.d.liquidation_invariant_errors()


def build(
    *,
    price: str = "1.00",
    apr: str = "0.05",
    hole: int = 5_000_000,
    psm_line: int = 10_000_000,
    tin: int = 0,
    tout: int = 0,
    flow_cap: int | None = 10_000_000,
    keep_log: bool = True,
    **overrides: int | str,
) -> LiqSystem:
    chain = Chain(keep_log=keep_log)
    chain.ledger.create_token("ATH", 18, "Aethir")
    chain.ledger.create_token("USDC", 6, "USD Coin")
    feed = PriceFeed(chain, "ATH", wad(price))
    usdc_feed = PriceFeed(chain, "USDC", wad(1))
    chain.grant(feed.role, ORACLE, sender="gov")
    chain.grant(usdc_feed.role, ORACLE, sender="gov")
    params = replace(native_ai_token(20_000_000, apr=apr), hole_rad=hole * RAD, **overrides)  # type: ignore[arg-type]
    pad = Launchpad(chain)
    d = pad.create_ai_usd(
        AIDollarSpec(
            "AUSD",
            "aethir",
            50_000_000,
            (CollateralSpec("ATH-A", "ATH", params, feed),),
            psm=PsmSpec(
                "USDC",
                psm_line,
                tin_wad=tin,
                tout_wad=tout,
                price=usdc_feed,
                flow_cap=flow_cap,
            ),
        ),
        sender="gov",
    )
    return LiqSystem(chain, pad, d, feed, usdc_feed)
