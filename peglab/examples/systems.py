"""Ready-made systems for examples, tests and benchmarks: AI dollars on a fresh chain.

``two_ai_dollars()`` launches AUSD (Aethir: ATH and staked ATH) and vUSD (Virtuals: VIRTUAL)
with the docs/cdp-spec.md §12 presets, price feeds the scenario (or a test) moves through the ``oracle``
account, and a staking pool for stATH.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..kernel import Chain
from ..protocols.cdp import (
    AIDollar,
    AIDollarSpec,
    CollateralSpec,
    DerivativeValuation,
    Launchpad,
    PriceFeed,
    StakingPool,
    native_ai_token,
    staked_derivative,
)
from ..units import wad

__all__ = ["ORACLE", "DemoSystem", "two_ai_dollars"]

ORACLE = "oracle"  # the account allowed to report prices in these systems


@dataclass
class DemoSystem:
    """A chain with its launchpad, AI dollars, price feeds and staking pools."""

    chain: Chain
    launchpad: Launchpad
    dollars: dict[str, AIDollar] = field(default_factory=dict)
    feeds: dict[str, PriceFeed] = field(default_factory=dict)
    staking: dict[str, StakingPool] = field(default_factory=dict)

    def set_price(self, token: str, price: str | int) -> None:
        """Report ``price`` (decimal text or wad int) for ``token`` from the oracle account."""
        val = price if isinstance(price, int) else wad(price)
        self.feeds[token].set_price(val, sender=ORACLE)

    def poke_all(self, keeper: str = "keeper") -> None:
        """Poke every OSM whose hop has passed and every spot, in every AI dollar."""
        for d in self.dollars.values():
            d.poke_prices(sender=keeper)


def two_ai_dollars(
    *,
    start_time: int = 1_700_000_000,
    keep_log: bool = True,
    ath_price: str = "0.05",
    virtual_price: str = "1.50",
) -> DemoSystem:
    """AUSD on ATH-A and stATH-A, vUSD on VIRTUAL-A, with the docs/cdp-spec.md §12 presets."""
    chain = Chain(start_time=start_time, keep_log=keep_log)
    ledger = chain.ledger
    for sym in ("ATH", "VIRTUAL"):
        ledger.create_token(sym, 18, f"{sym} AI token")
    feeds = {
        "ATH": PriceFeed(chain, "ATH", wad(ath_price)),
        "VIRTUAL": PriceFeed(chain, "VIRTUAL", wad(virtual_price)),
    }
    for f in feeds.values():
        chain.grant(f.role, ORACLE, sender=chain.root)
    st_ath = StakingPool(chain, "ATH", "stATH")
    pad = Launchpad(chain)
    ausd = pad.create_ai_usd(
        AIDollarSpec(
            "AUSD",
            "aethir",
            50_000_000,
            (
                CollateralSpec(
                    "ATH-A", "ATH", native_ai_token(20_000_000, apr="0.08"), feeds["ATH"]
                ),
                CollateralSpec(
                    "stATH-A",
                    "stATH",
                    staked_derivative(10_000_000, apr="0.06"),
                    feeds["ATH"],
                    kind="derivative",
                    underlying="ATH",
                    valuation=DerivativeValuation(st_ath),
                ),
            ),
            admin="aethir-dao",
        ),
        sender=chain.root,
    )
    vusd = pad.create_ai_usd(
        AIDollarSpec(
            "vUSD",
            "virtuals",
            30_000_000,
            (
                CollateralSpec(
                    "VIRTUAL-A",
                    "VIRTUAL",
                    native_ai_token(20_000_000, apr="0.12"),
                    feeds["VIRTUAL"],
                ),
            ),
            admin="virtuals-dao",
        ),
        sender=chain.root,
    )
    return DemoSystem(chain, pad, {"AUSD": ausd, "vUSD": vusd}, feeds, {"stATH": st_ath})
