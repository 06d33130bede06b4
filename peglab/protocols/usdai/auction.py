"""Collateral disposal after a loan liquidation: a borrower redemption window, then an English auction.

Order [O] (docs/usdai.md §5.4): the liquidated GPU receipt first sits in a redemption window
(default 14 days, CALIBER's default process) in which the borrower may repay the lenders' claim in
full and take it back (``LoanRouter.redeem_collateral``); then an English auction (default 7 days):
the first bid needs only to be positive, each next bid at least ``1 + min_increment`` times the
current one (ceil), bids are escrowed and the outbid bidder refunded at once; a bid within the
last ``extension_window`` seconds extends the end by ``extension``. ``settle`` after the end hands
the receipt to the winner and the proceeds to the router, which runs the waterfall. An auction
without bids can be restarted for another ``duration``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import InvalidInput, LimitExceeded, NotAuthorized
from ...kernel import Chain, Record, Table, action, query
from ...math.fixedpoint import mul_div_up
from ...units import BPS, DAY, check_positive
from .events import AuctionBid, AuctionRestarted, AuctionSettled
from .interfaces import LiquidationReceiver

__all__ = ["AuctionParams", "CollateralAuction", "Lot"]


@dataclass(frozen=True, slots=True)
class AuctionParams:
    window_s: int = 14 * DAY
    duration_s: int = 7 * DAY
    min_increment_bps: int = 100
    extension_window_s: int = 600
    extension_s: int = 1200


class Lot(Record):
    """One liquidated collateral: phase ``window`` -> ``open`` (bids) -> ``settled`` | ``redeemed``."""

    __slots__ = (
        "bid",
        "bidder",
        "borrower",
        "collateral",
        "currency",
        "end",
        "status",
        "window_end",
    )
    collateral: str
    currency: str
    borrower: str
    window_end: int
    end: int
    bid: int
    bidder: str
    status: str


class CollateralAuction:
    """Holds liquidated GPU receipts in ``usdai:liquidator`` and auctions them."""

    def __init__(self, chain: Chain, params: AuctionParams | None = None) -> None:
        self.chain = chain
        self.params = params or AuctionParams()
        self.account = "usdai:liquidator"
        self.lots: Table[str, Lot] = Table(chain.journal)
        self._receiver: LiquidationReceiver | None = None
        chain.register("usdai/auction/lots", self.lots)

    def bind(self, receiver: LiquidationReceiver) -> None:
        """Setup: the loan router that receives proceeds."""
        self._receiver = receiver

    @query
    def lot(self, loan: str) -> Lot:
        lot = self.lots.get(loan)
        if lot is None:
            raise InvalidInput("usdai/no-auction", f"no collateral auction for loan {loan!r}")
        return lot

    @query
    def min_bid(self, loan: str) -> int:
        lot = self.lot(loan)
        return 1 if lot.bid == 0 else mul_div_up(lot.bid, BPS + self.params.min_increment_bps, BPS)

    @query
    def in_window(self, loan: str) -> bool:
        lot = self.lots.get(loan)
        return lot is not None and lot.status == "window" and self.chain.now < lot.window_end

    # -- called by the router inside its actions ----------------------------------------------
    def start(
        self, caller: object, loan: str, collateral: str, currency: str, borrower: str
    ) -> None:
        """The router moved ``collateral`` here; open the redemption window."""
        self._check_caller(caller)
        now = self.chain.now
        w = now + self.params.window_s
        self.lots[loan] = Lot(self.chain.journal, collateral=collateral, currency=currency,
                              borrower=borrower, window_end=w, end=w + self.params.duration_s,
                              bid=0, bidder="", status="window")  # fmt: skip

    def release(self, caller: object, loan: str, to: str) -> None:
        """The borrower redeemed in the window: give the collateral back."""
        self._check_caller(caller)
        lot = self.lot(loan)
        if not self.in_window(loan):
            raise LimitExceeded("usdai/window-closed", f"the redemption window of {loan} is closed")
        lot.status = "redeemed"
        self.chain.ledger.transfer(lot.collateral, self.account, to, 1)

    def _check_caller(self, caller: object) -> None:
        if caller is not self._receiver or caller is None:
            raise NotAuthorized("usdai/not-router", "only the bound loan router drives lots")
        if not self.chain.journal.depth:
            raise InvalidInput("usdai/not-in-action", "call inside an action")

    # -- actions ------------------------------------------------------------------------------
    @action
    def bid(self, loan: str, amount: int, *, sender: str) -> None:
        """Bid ``amount`` of the loan currency (escrowed; the previous bidder is refunded)."""
        lot = self.lot(loan)
        amount = check_positive(amount, "amount", "usdai/bad-amount")
        now = self.chain.now
        if lot.status != "window" and lot.status != "open":
            raise LimitExceeded("usdai/auction-closed", f"auction {loan} is {lot.status}")
        if now < lot.window_end:
            raise LimitExceeded("usdai/redemption-window", f"bids open at {lot.window_end}")
        if now >= lot.end:
            raise LimitExceeded("usdai/auction-ended", f"auction {loan} ended at {lot.end}")
        need = self.min_bid(loan)
        if amount < need:
            raise LimitExceeded("usdai/bid-too-low", f"bid {amount} < minimum {need}")
        ledger = self.chain.ledger
        ledger.transfer(lot.currency, sender, self.account, amount)
        if lot.bid:
            ledger.transfer(lot.currency, self.account, lot.bidder, lot.bid)
        lot.status = "open"
        lot.bid, lot.bidder = amount, sender
        if lot.end - now <= self.params.extension_window_s:
            lot.end += self.params.extension_s
        self.chain.emit(AuctionBid(loan, sender, amount, lot.end))

    @action
    def settle(self, loan: str, *, sender: str) -> int:
        """Anyone, after the end: collateral to the winner, proceeds to the router's waterfall."""
        lot = self.lot(loan)
        if lot.status != "open":
            code = "usdai/no-bids" if lot.status == "window" else "usdai/auction-closed"
            raise LimitExceeded(code, f"auction {loan} is {lot.status}")
        if self.chain.now < lot.end:
            raise LimitExceeded("usdai/auction-running", f"auction {loan} ends at {lot.end}")
        receiver = self._receiver
        if receiver is None:
            raise InvalidInput("usdai/not-bound", "the auction has no loan router")
        lot.status = "settled"
        ledger = self.chain.ledger
        ledger.transfer(lot.collateral, self.account, lot.bidder, 1)
        receiver.on_collateral_liquidated(loan, lot.bid, self.account)
        self.chain.emit(AuctionSettled(loan, lot.bidder, lot.bid))
        return lot.bid

    @action
    def restart(self, loan: str, *, sender: str) -> int:
        """Anyone: an auction that ended without bids runs again for ``duration``."""
        lot = self.lot(loan)
        if lot.status != "window" or self.chain.now < lot.end:
            raise LimitExceeded(
                "usdai/auction-running", f"auction {loan} is {lot.status}, ends {lot.end}"
            )
        lot.end = self.chain.now + self.params.duration_s
        self.chain.emit(AuctionRestarted(loan, lot.end))
        return lot.end
