"""The surplus auction (dss Flap): the buffer's surplus sold for governance tokens, which are burnt.

    kick(lot):        ``lot`` AI dollars [rad] leave the buffer for ``<SYM>:flap`` ; bid = 0
    tend(id, lot, bid):  lot == current lot ; bid > current bid ; bid * WAD >= beg * current bid
        the sender refunds the previous bidder's governance tokens and adds the increase
    tick(id):  ended with no bid: end = now + tau
    deal(id):  finished: the lot is paid to the winner as AI-dollar tokens ; the bid is burnt

The buffer (buffer.py) starts auctions from its ``flap`` action when the sink is
``buy_and_burn``; parameters ``beg``, ``ttl``, ``tau`` are set through its ``file``
(``flap_beg``...). Shutdown returns every lot to the buffer and every bid to its bidder (``cage``).
"""

from __future__ import annotations

from typing import ClassVar

from ...errors import InvalidInput
from ...kernel import Record, action
from ...units import DAY, HOUR, WAD, check_amount
from .buffer_auctions import BufferAuctions
from .events import SurplusAuctionChanged

__all__ = ["FlapBid", "SurplusAuctions"]


class FlapBid(Record):
    """A surplus auction: ``lot`` AI dollars [rad] for ``bid`` governance tokens [wad]."""

    __slots__ = ("bid_wad", "end", "guy", "lot_rad", "tic")
    bid_wad: int
    lot_rad: int
    guy: str
    tic: int
    end: int


class SurplusAuctions(BufferAuctions[FlapBid]):
    """dss Flap for one instance; lots and bids sit in the ledger account ``account``."""

    kind = "flap"
    noun = "surplus auction"

    defaults: ClassVar[dict[str, int]] = {
        "beg_wad": WAD * 105 // 100,  # bids rise by at least 5%
        "pad_wad": WAD,  # unused: an un-bid surplus auction restarts unchanged
        "ttl_s": 3 * HOUR,
        "tau_s": 2 * DAY,
    }

    @property
    def account(self) -> str:
        """Where lots and bids sit: ``<SYM>:flap``."""
        return self.accounts.flap

    # -- auth: called by the buffer ------------------------------------------------------------
    def kick(self, lot_rad: int) -> int:
        """Start an auction of ``lot`` (already moved to ``account``); returns its id."""
        fid = self._next_id()
        self.bids[fid] = FlapBid(
            self.chain.journal,
            bid_wad=0,
            lot_rad=lot_rad,
            guy=self.accounts.vow,
            tic=0,
            end=self.chain.now + self.params.tau_s,
        )
        return fid

    def cage(self) -> None:
        """Shutdown: every lot back to the buffer, every bid back to its bidder."""
        ledger = self.chain.ledger
        for fid in sorted(self.bids):
            fb = self.bids[fid]
            ledger.transfer(self.vat.dai, self.account, self.accounts.vow, fb.lot_rad)
            if fb.bid_wad:
                ledger.transfer(self.gov_token, self.account, fb.guy, fb.bid_wad)
            del self.bids[fid]

    # -- actions (anyone) ----------------------------------------------------------------------
    @action
    def tend(self, fid: int, lot_rad: int, bid_wad: int, *, sender: str) -> None:
        """Bid more governance tokens (``bid``) for the fixed surplus ``lot``."""
        self._buffer()
        b = self.bid(fid)
        now = self.chain.now
        check_amount(bid_wad, "bid_wad")
        if b.tic != 0 and b.tic <= now:
            raise InvalidInput("cdp/already-finished-tic", f"surplus auction {fid} bid expired")
        if b.end <= now:
            raise InvalidInput("cdp/already-finished-end", f"surplus auction {fid} has ended")
        if lot_rad != b.lot_rad:
            raise InvalidInput("cdp/lot-not-matching", f"the lot is fixed at {b.lot_rad} rad")
        if bid_wad <= b.bid_wad or bid_wad * WAD < self.params.beg_wad * b.bid_wad:
            raise InvalidInput("cdp/bid-not-higher", "the bid must rise by at least beg")
        ledger = self.chain.ledger
        if sender != b.guy:
            if b.bid_wad:
                ledger.transfer(self.gov_token, sender, b.guy, b.bid_wad)
            b.guy = sender
        ledger.transfer(self.gov_token, sender, self.account, bid_wad - b.bid_wad)
        b.bid_wad = bid_wad
        b.tic = now + self.params.ttl_s
        self.chain.emit(SurplusAuctionChanged(self.symbol, "tend", fid, lot_rad, bid_wad, sender))

    @action
    def tick(self, fid: int, *, sender: str) -> None:
        """Re-open an ended surplus auction nobody bid on."""
        self._buffer()
        b = self.bid(fid)
        if b.end >= self.chain.now:
            raise InvalidInput("cdp/not-finished", f"surplus auction {fid} runs until {b.end}")
        if b.tic != 0:
            raise InvalidInput("cdp/bid-already-placed", f"surplus auction {fid} has a bid")
        b.end = self.chain.now + self.params.tau_s
        self.chain.emit(SurplusAuctionChanged(self.symbol, "tick", fid, b.lot_rad, 0, b.guy))

    @action
    def deal(self, fid: int, *, sender: str) -> None:
        """Settle a surplus auction: the lot to the winner, the governance tokens burnt."""
        self._buffer()
        b = self.bid(fid)
        now = self.chain.now
        if b.tic == 0 or not (b.tic < now or b.end < now):
            raise InvalidInput("cdp/not-finished", f"surplus auction {fid} is not finished")
        self.joins.pay_dai(self.account, b.guy, b.lot_rad)
        self.chain.ledger.burn(self.gov_token, self.account, b.bid_wad)
        del self.bids[fid]
        self.chain.emit(
            SurplusAuctionChanged(self.symbol, "deal", fid, b.lot_rad, b.bid_wad, b.guy)
        )
