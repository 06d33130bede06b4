"""Wire a USD.AI system on a chain: base token, USDai, sUSDai with its position manager, the
deposit timelock, the loan router, the collateral auction and the queued depositor."""

from __future__ import annotations

from dataclasses import dataclass

from ...kernel import Chain
from ...units import MAX_UINT256, WAD
from .auction import AuctionParams, CollateralAuction
from .base_token import TBillDollar
from .qev import QevAuction
from .queued import QueuedDepositor
from .router import LoanRouter
from .staked import StakedConfig, StakedUSDai
from .timelock import DepositTimelock
from .usdai import USDai

__all__ = ["USDaiSystem", "build_usdai"]


@dataclass(slots=True)
class USDaiSystem:
    chain: Chain
    base: TBillDollar
    usdai: USDai
    staked: StakedUSDai
    timelock: DepositTimelock
    auction: CollateralAuction
    router: LoanRouter
    queue: QueuedDepositor
    qev: QevAuction | None = None


def build_usdai(
    chain: Chain,
    *,
    tbill_apr_wad: int = 415 * WAD // 10_000,
    cap: int = MAX_UINT256,
    staked: StakedConfig | None = None,
    auction: AuctionParams | None = None,
    liquidation_fee_bps: int = 500,
    insurer: str = "",
    qev: bool = False,
) -> USDaiSystem:
    """A complete system; the chain root holds every admin role. sUSDai earns the base yield of
    its own holdings and of USDai's reserve, and may deposit over the USDai cap (as the contracts'
    strategy does); the queued depositor may not (it waits for cap room). ``qev``: add the optional
    QEV priority auction over sUSDai's redemption queue (qev.py)."""
    base = TBillDollar(chain, "wM", apr_wad=tbill_apr_wad)
    usdai = USDai(chain, base.symbol, cap=cap)
    timelock = DepositTimelock(chain)
    s = StakedUSDai(chain, usdai, base, timelock, config=staked)
    house = CollateralAuction(chain, auction)
    router = LoanRouter(
        chain, timelock, house, liquidation_fee_bps=liquidation_fee_bps, insurer=insurer
    )
    router.set_hooks(s.account, s.positions)
    s.positions.bind_clock(router)
    queue = QueuedDepositor(chain, usdai, s)
    base.start_earning(usdai.reserve, s.account)
    base.start_earning(s.account, s.account)
    usdai.set_reserve_hook(base.settle)
    chain.roles[(usdai.deposit_admin_role, s.account)] = True
    auction_qev = QevAuction(chain, s) if qev else None
    return USDaiSystem(chain, base, usdai, s, timelock, house, router, queue, auction_qev)
