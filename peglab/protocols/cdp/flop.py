"""The debt auction (dss Flop): governance tokens sold for AI dollars to cover the buffer's bad debt.

    kick(gal, lot, bid):  a new auction of ``lot`` governance tokens [wad] for ``bid`` AI dollars [rad]
    dent(id, lot, bid):   bid == current bid ; lot < current lot ; beg * lot <= current lot * WAD
        the sender pays ``bid`` to the previous bidder (the buffer, or a refund) ; guy = sender ;
        on the first bid the buffer cancels ``min(bid, Ash)`` of its debt on auction (``kiss``)
    tick(id):  ended with no bid: lot *= pad ; end = now + tau   (the buffer counts the restart)
    deal(id):  finished: the governance-token lot is minted to the winner

The buffer (buffer.py) starts auctions from its ``flop`` action after the waterfall's earlier
steps; bids follow dss flop.sol's inequalities. Parameters ``beg``, ``pad``, ``ttl``, ``tau`` are
set through the buffer's ``file`` (``flop_beg``...). Shutdown refunds the live bid as new AI
dollars against the buffer's debt (``cage``).
"""

from __future__ import annotations

from typing import ClassVar

from ...errors import InvalidInput
from ...kernel import Record, action
from ...units import DAY, HOUR, RAY, WAD, check_amount
from .buffer_auctions import BufferAuctions
from .events import DebtAuctionChanged

__all__ = ["DebtAuctions", "FlopBid"]


class FlopBid(Record):
    """A debt auction: ``bid`` AI dollars [rad] for ``lot`` governance tokens [wad]."""

    __slots__ = ("bid_rad", "end", "guy", "lot_wad", "tic")
    bid_rad: int
    lot_wad: int
    guy: str
    tic: int
    end: int


class DebtAuctions(BufferAuctions[FlopBid]):
    """dss Flop for one instance; the winner is minted ``gov_token``."""

    kind = "flop"
    noun = "debt auction"

    defaults: ClassVar[dict[str, int]] = {
        "beg_wad": WAD * 105 // 100,  # bids lower the lot by at least 5%
        "pad_wad": WAD * 150 // 100,  # an un-bid auction restarts with 50% more tokens
        "ttl_s": 3 * HOUR,
        "tau_s": 2 * DAY,
    }

    # -- auth: called by the buffer ------------------------------------------------------------
    def kick(self, gal: str, lot_wad: int, bid_rad: int) -> int:
        """Start an auction of ``lot`` for ``bid`` on behalf of ``gal``; returns its id."""
        fid = self._next_id()
        self.bids[fid] = FlopBid(
            self.chain.journal,
            bid_rad=bid_rad,
            lot_wad=lot_wad,
            guy=gal,
            tic=0,
            end=self.chain.now + self.params.tau_s,
        )
        return fid

    def cage(self) -> None:
        """Shutdown: cancel every auction, refunding the live bidder as new AI dollars."""
        gal = self.accounts.vow
        for fid in sorted(self.bids):
            b = self.bids[fid]
            if b.guy != gal:
                self.joins.pay_unbacked(b.guy, b.bid_rad)
            del self.bids[fid]

    # -- actions (anyone) ----------------------------------------------------------------------
    @action
    def dent(self, fid: int, lot_wad: int, bid_rad: int, *, sender: str) -> None:
        """Bid to take fewer governance tokens (``lot``) for the fixed ``bid`` AI dollars."""
        vow = self._buffer()
        b = self.bid(fid)
        now = self.chain.now
        check_amount(lot_wad, "lot_wad")
        if b.tic != 0 and b.tic <= now:
            raise InvalidInput("cdp/already-finished-tic", f"debt auction {fid} bid has expired")
        if b.end <= now:
            raise InvalidInput("cdp/already-finished-end", f"debt auction {fid} has ended")
        if bid_rad != b.bid_rad:
            raise InvalidInput("cdp/not-matching-bid", f"the bid is fixed at {b.bid_rad} rad")
        if lot_wad >= b.lot_wad:
            raise InvalidInput("cdp/lot-not-lower", f"bid for fewer than {b.lot_wad} wad")
        if self.params.beg_wad * lot_wad > b.lot_wad * WAD:
            raise InvalidInput("cdp/insufficient-decrease", "the lot must fall by at least beg")
        if sender != b.guy:
            first = b.tic == 0
            self.joins.collect_dai(sender, b.bid_rad, b.guy)
            if b.guy != self.accounts.vow and b.bid_rad // RAY:
                self.joins.exit_dai(b.guy, b.bid_rad // RAY)
            if first:
                vow.kiss(min(b.bid_rad, vow.ash_rad))
            b.guy = sender
        b.lot_wad = lot_wad
        b.tic = now + self.params.ttl_s
        self.chain.emit(DebtAuctionChanged(self.symbol, "dent", fid, lot_wad, bid_rad, sender))

    @action
    def tick(self, fid: int, *, sender: str) -> None:
        """Re-open an ended debt auction nobody bid on, with the lot times ``pad``."""
        vow = self._buffer()
        b = self.bid(fid)
        if b.end >= self.chain.now:
            raise InvalidInput("cdp/not-finished", f"debt auction {fid} runs until {b.end}")
        if b.tic != 0:
            raise InvalidInput("cdp/bid-already-placed", f"debt auction {fid} has a bid: deal it")
        p = self.params
        b.lot_wad = p.pad_wad * b.lot_wad // WAD
        b.end = self.chain.now + p.tau_s
        vow.flop_restarted()
        self.chain.emit(DebtAuctionChanged(self.symbol, "tick", fid, b.lot_wad, b.bid_rad, b.guy))

    @action
    def deal(self, fid: int, *, sender: str) -> None:
        """Settle a debt auction: the winner is minted the governance-token lot."""
        vow = self._buffer()
        b = self.bid(fid)
        now = self.chain.now
        if b.tic == 0 or not (b.tic < now or b.end < now):
            raise InvalidInput("cdp/not-finished", f"debt auction {fid} is not finished")
        self.chain.ledger.mint(self.gov_token, b.guy, b.lot_wad)
        del self.bids[fid]
        vow.flop_settled()
        self.chain.emit(DebtAuctionChanged(self.symbol, "deal", fid, b.lot_wad, b.bid_rad, b.guy))
