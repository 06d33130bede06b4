"""The flipper (dss flip.sol): a legacy two-phase English auction per liquidation, per collateral type.

Design. Before Liquidations 2.0, dss sold seized collateral in an English auction; on Black
Thursday (12 March 2020, ``ttl`` 10 min, ``tau`` 6 h) keepers were absent and single bidders won
lots with bids of 1 wei. peglab keeps this mechanism as a per-collateral alternative to the
Dutch clipper (``CollateralParams.auction = "english"``) so the risk lab can replay it.

    kick(tab, lot, vault, keeper):  bid = 0 ; guy = "" ; tic = 0 ; end = now + tau ; keeper coin as Clipper
    tend(id, lot, bid)  phase 1, the bid rises toward tab, the lot is fixed:
        live: (tic > now or tic == 0) and end > now ; lot == current lot
        bid <= tab ; bid > current bid ; bid * WAD >= beg * current bid  or  bid == tab
        the sender refunds the previous bidder's bid (unless it is them) and pays bid - current bid
        to the buffer ; guy = sender ; tic = now + ttl
    dent(id, lot, bid)  phase 2, once bid == tab, the lot falls:
        live as above ; bid == current bid == tab ; lot < current lot ; beg * lot <= current lot * WAD
        the sender refunds the previous bidder's tab (unless it is them) ; the freed
        current lot - lot goes back to the vault owner ; guy = sender ; tic = now + ttl
    deal(id):  tic != 0 and (tic < now or end < now): lot -> guy ; digs(tab) ; close
    tick(id):  end < now and tic == 0: end = now + tau            (restart an un-bid auction)
    yank(id, to) (shutdown):  bid < tab ; digs(tab) ; lot -> to ; guy refunded bid (suck) ; close

Any bid above the current one wins the first round: with a current bid of 0 the beg test
``bid * WAD >= beg * 0`` always passes, so 1 wei (1 rad unit) is a valid winning bid. Nothing
special-cases it. ``deal`` digs the whole tab whatever was raised: the unraised part stays as
bad debt in the buffer (it was booked there by ``bark``). Ledger accounts: lots sit in
``<SYM>:flip:<ilk>``; bids are paid straight into the buffer (dss ``gal``); collateral leaves
as collateral tokens, AI dollars as AI-dollar tokens (whole wads, sub-wad remainders stay
internal), as the clipper does. Comparisons mirror flip.sol's strict and non-strict
inequalities exactly (at ``now == end`` nothing but ``tick``/``deal`` checks apply).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...errors import InvalidInput
from ...kernel import Record, Table, action, query
from ...math import ceil_div
from ...units import HOUR, RAY, WAD, check_amount
from .accounts import InstanceAccounts
from .clip import keeper_coin
from .events import FlipAuctionDealt, FlipAuctionRestarted, FlipBidPlaced, ParameterChanged
from .interfaces import JoinsLike, LiquidatorLike, VatLike

if TYPE_CHECKING:
    from ...kernel import Chain
    from .params import CollateralParams

__all__ = [
    "BLACK_THURSDAY_TAU_S",
    "BLACK_THURSDAY_TTL_S",
    "FlipBid",
    "FlipParams",
    "FlipStatus",
    "Flipper",
    "check_dent",
    "check_tend",
]

# defaults (beg 5%, ttl 3 h, tau 2 days, as dss) are CollateralParams' (params.py)
BLACK_THURSDAY_TTL_S = 10 * 60  # ETH-A flipper on 12 March 2020
BLACK_THURSDAY_TAU_S = 6 * HOUR


class FlipParams(Record):
    """Bid increment ``beg`` [wad], bid life ``ttl``, auction life ``tau``, keeper coin, counter."""

    __slots__ = ("beg_wad", "chip_wad", "kicks", "tau_s", "tip_rad", "ttl_s")
    beg_wad: int
    ttl_s: int
    tau_s: int
    chip_wad: int
    tip_rad: int
    kicks: int


class FlipBid(Record):
    """A running auction: ``bid`` [rad] by ``guy`` for ``lot`` [wad]; raise up to ``tab`` [rad]."""

    __slots__ = ("bid_rad", "end", "guy", "lot_wad", "tab_rad", "tic", "vault")
    bid_rad: int
    lot_wad: int
    guy: str  # "" until the first bid (dss: the liquidator)
    tic: int  # bid expiry, 0 before the first bid
    end: int  # auction expiry
    vault: int  # whose collateral: freed collateral returns to its owner
    tab_rad: int


@dataclass(frozen=True, slots=True)
class FlipStatus:
    """What a bidder reads: phase ``"tend"`` (bid rising) or ``"dent"`` (lot falling)."""

    auction: int
    phase: str
    bid_rad: int
    lot_wad: int
    tab_rad: int
    guy: str
    tic: int
    end: int
    vault: int
    biddable: bool  # tend/dent may be called now
    can_deal: bool  # deal may be called now
    needs_tick: bool  # ended with no bid: tick restarts it
    min_bid_rad: int  # smallest accepted tend now (tab in the dent phase)
    max_lot_wad: int  # largest accepted dent lot now (the lot in the tend phase)


def _live(b: FlipBid, now: int) -> None:
    if not (b.tic > now or b.tic == 0):
        raise InvalidInput("flip/already-finished-tic", f"the last bid expired at {b.tic}")
    if not b.end > now:
        raise InvalidInput("flip/already-finished-end", f"the auction ended at {b.end}")


def check_tend(b: FlipBid, lot_wad: int, bid_rad: int, beg_wad: int, now: int) -> None:
    """flip.sol ``tend`` guards, in its order; raises ``InvalidInput`` with the dss reason."""
    _live(b, now)
    if lot_wad != b.lot_wad:
        raise InvalidInput("flip/lot-not-matching", f"a tend bids for the whole lot {b.lot_wad}")
    if bid_rad > b.tab_rad:
        raise InvalidInput("flip/higher-than-tab", f"bid {bid_rad} rad above the tab {b.tab_rad}")
    if bid_rad <= b.bid_rad:
        raise InvalidInput("flip/bid-not-higher", f"bid must exceed the current {b.bid_rad} rad")
    if bid_rad * WAD < beg_wad * b.bid_rad and bid_rad != b.tab_rad:
        raise InvalidInput(
            "flip/insufficient-increase",
            f"bid must be >= {ceil_div(beg_wad * b.bid_rad, WAD)} rad (beg) or the whole tab",
        )


def check_dent(b: FlipBid, lot_wad: int, bid_rad: int, beg_wad: int, now: int) -> None:
    """flip.sol ``dent`` guards, in its order; raises ``InvalidInput`` with the dss reason."""
    _live(b, now)
    if bid_rad != b.bid_rad:
        raise InvalidInput("flip/not-matching-bid", f"a dent keeps the bid at {b.bid_rad} rad")
    if bid_rad != b.tab_rad:
        raise InvalidInput("flip/tend-not-finished", f"the bid has not reached the tab {b.tab_rad}")
    if lot_wad >= b.lot_wad:
        raise InvalidInput("flip/lot-not-lower", f"bid for less than {b.lot_wad} wad")
    if beg_wad * lot_wad > b.lot_wad * WAD:
        raise InvalidInput(
            "flip/insufficient-decrease", f"lot must be <= {b.lot_wad * WAD // beg_wad} wad (beg)"
        )


class Flipper:
    """dss Flipper for one collateral type of one instance; lots sit in the ledger account ``account``."""

    PARAMS = ("beg", "ttl", "tau", "chip", "tip")

    def __init__(
        self,
        chain: Chain,
        accounts: InstanceAccounts,
        ilk: str,
        p: CollateralParams,
        vat: VatLike,
        dog: LiquidatorLike,
        joins: JoinsLike,
    ) -> None:
        if p.beg_wad < WAD or p.ttl_s <= 0 or p.flip_tau_s <= 0:
            raise InvalidInput(
                "cdp/bad-value", f"{ilk}: English auctions need beg >= WAD, ttl and tau > 0"
            )
        self.chain = chain
        self.accounts = accounts
        self.symbol = accounts.symbol
        self.vat = vat
        self.dog = dog
        self.joins = joins
        self.ilk = ilk
        self.account = accounts.flip(ilk)
        j = chain.journal
        self.params = FlipParams(
            j,
            beg_wad=p.beg_wad,
            ttl_s=p.ttl_s,
            tau_s=p.flip_tau_s,
            chip_wad=p.chip_wad,
            tip_rad=p.tip_rad,
            kicks=0,
        )
        self.bids: Table[int, FlipBid] = Table(j)
        chain.register(f"cdp/{self.symbol}/flip/{ilk}/params", self.params)
        chain.register(f"cdp/{self.symbol}/flip/{ilk}/bids", self.bids)

    # -- reads --------------------------------------------------------------------------------
    @query
    def bid(self, auction_id: int) -> FlipBid:
        b = self.bids.get(auction_id) if type(auction_id) is int else None
        if b is None:
            raise InvalidInput(
                "flip/not-running-auction", f"{self.ilk} has no running auction {auction_id!r}"
            )
        return b

    def active(self) -> list[int]:
        """Ids of the running auctions, oldest first."""
        return sorted(self.bids)

    @query
    def status(self, auction_id: int) -> FlipStatus:
        """The auction's phase and what may be done with it now (a pure read)."""
        b = self.bid(auction_id)
        now, beg = self.chain.now, self.params.beg_wad
        biddable = (b.tic > now or b.tic == 0) and b.end > now
        dent = b.bid_rad == b.tab_rad
        if dent:
            min_bid = b.tab_rad
        elif b.bid_rad == 0:
            min_bid = 1
        else:
            min_bid = min(max(ceil_div(beg * b.bid_rad, WAD), b.bid_rad + 1), b.tab_rad)
        return FlipStatus(
            auction_id,
            "dent" if dent else "tend",
            b.bid_rad,
            b.lot_wad,
            b.tab_rad,
            b.guy,
            b.tic,
            b.end,
            b.vault,
            biddable,
            b.tic != 0 and (b.tic < now or b.end < now),
            b.end < now and b.tic == 0,
            min_bid,
            max(min(b.lot_wad * WAD // beg, b.lot_wad - 1), 0) if dent else b.lot_wad,
        )

    def invariant_errors(self) -> list[str]:
        """Bids never above the tab; the account holds exactly the lots; only bid auctions have a guy."""
        errs: list[str] = []
        for aid, b in self.bids.items():
            if not 0 <= b.bid_rad <= b.tab_rad or b.tab_rad <= 0:
                errs.append(f"{self.ilk}: flip {aid} bid {b.bid_rad} outside [0, tab {b.tab_rad}]")
            if (b.tic == 0) != (b.bid_rad == 0):
                errs.append(f"{self.ilk}: flip {aid} has tic {b.tic} with bid {b.bid_rad}")
        held = self.chain.ledger.balance_of(self.vat.gem(self.ilk), self.account)
        lots = sum(b.lot_wad for b in self.bids.values())
        if held != lots:
            errs.append(f"{self.ilk}: flipper holds {held} wad for lots of {lots}")
        return errs

    # -- auth: called by the liquidator and shutdown -------------------------------------------
    def kick(self, tab_rad: int, lot_wad: int, vault: int, keeper: str) -> tuple[int, int]:
        """Start an auction (called inside ``bark``, the lot already in ``account``); ``(id, coin)``."""
        if tab_rad <= 0 or lot_wad <= 0:
            raise InvalidInput("cdp/zero-auction", "an auction needs a positive tab and lot")
        p = self.params
        p.kicks += 1
        auction = p.kicks
        self.bids[auction] = FlipBid(
            self.chain.journal,
            bid_rad=0,
            lot_wad=lot_wad,
            guy="",
            tic=0,
            end=self.chain.now + p.tau_s,
            vault=vault,
            tab_rad=tab_rad,
        )
        coin = keeper_coin(p.tip_rad, p.chip_wad, tab_rad)
        if coin:
            self.joins.pay_unbacked(keeper, coin)
        return auction, coin

    def yank(self, auction_id: int, to: str) -> FlipBid:
        """Cancel an auction still in the tend phase (shutdown): tab leaves ``dirt``, lot to ``to``.

        The current bidder is refunded the bid as new AI dollars against the buffer's debt (dss
        End ``skip``: ``suck`` then ``yank``'s move).
        """
        b = self.bid(auction_id)
        if b.bid_rad >= b.tab_rad:
            raise InvalidInput(
                "flip/already-dent-phase", f"auction {auction_id} raised its tab: deal it"
            )
        self.dog.digs(self.ilk, b.tab_rad)
        self.chain.ledger.transfer(self.vat.gem(self.ilk), self.account, to, b.lot_wad)
        if b.bid_rad:
            self.joins.pay_unbacked(b.guy, b.bid_rad)
        del self.bids[auction_id]
        return b

    # -- payments -----------------------------------------------------------------------------
    def _check_bidder(self, sender: str) -> None:
        engine = self.accounts.engine() | {self.account}
        if not isinstance(sender, str) or not sender or sender in engine:
            raise InvalidInput("flip/bad-bidder", f"{sender!r} cannot bid")

    def _pay(self, sender: str, moves: list[tuple[str, int]]) -> None:
        """Sender pays each ``(to, rad)``: internal AI dollars first, then tokens joined (rounded up).

        Payments to a bidder (refunds) exit their whole wads as AI-dollar tokens.
        """
        total = sum(rad for _, rad in moves)
        have = self.chain.ledger.balance_of(self.vat.dai, sender)
        if have < total:
            self.joins.join_dai(sender, ceil_div(total - have, RAY))
        for to, rad in moves:
            if rad:
                self.vat.move(sender, to, rad, sender)
                if to != self.accounts.vow and rad // RAY:
                    self.joins.exit_dai(to, rad // RAY)

    # -- actions ------------------------------------------------------------------------------
    @action
    def tend(self, auction_id: int, lot_wad: int, bid_rad: int, *, sender: str) -> None:
        """Phase 1: bid ``bid_rad`` AI dollars for the whole ``lot_wad`` (anyone)."""
        check_amount(lot_wad, "lot_wad")
        check_amount(bid_rad, "bid_rad")
        self._check_bidder(sender)
        b = self.bid(auction_id)
        check_tend(b, lot_wad, bid_rad, self.params.beg_wad, self.chain.now)
        moves: list[tuple[str, int]] = []
        if sender != b.guy:
            moves.append((b.guy, b.bid_rad))
        moves.append((self.accounts.vow, bid_rad - b.bid_rad))
        self._pay(sender, [(to, rad) for to, rad in moves if to])
        b.guy = sender
        b.bid_rad = bid_rad
        b.tic = self.chain.now + self.params.ttl_s
        self._emit_bid("tend", auction_id, b, 0)

    @action
    def dent(self, auction_id: int, lot_wad: int, bid_rad: int, *, sender: str) -> None:
        """Phase 2: pay the whole tab for only ``lot_wad`` collateral (anyone); the rest goes home."""
        check_amount(lot_wad, "lot_wad")
        check_amount(bid_rad, "bid_rad")
        self._check_bidder(sender)
        b = self.bid(auction_id)
        check_dent(b, lot_wad, bid_rad, self.params.beg_wad, self.chain.now)
        if sender != b.guy:
            self._pay(sender, [(b.guy, bid_rad)])
        freed = b.lot_wad - lot_wad
        owner = self.vat.vaults[b.vault].owner
        self.joins.pay_gem(self.ilk, self.account, owner, freed)
        b.guy = sender
        b.lot_wad = lot_wad
        b.tic = self.chain.now + self.params.ttl_s
        self._emit_bid("dent", auction_id, b, freed)

    def _emit_bid(self, op: str, aid: int, b: FlipBid, freed_wad: int) -> None:
        self.chain.emit(
            FlipBidPlaced(
                self.symbol,
                self.ilk,
                op,
                aid,
                b.bid_rad,
                b.lot_wad,
                b.tab_rad,
                b.guy,
                b.tic,
                b.end,
                freed_wad,
            )
        )

    @action
    def deal(self, auction_id: int, *, sender: str) -> tuple[int, int]:
        """Close an auction whose last bid or whose life has expired (anyone); ``(lot, bid)``.

        The lot goes to the winner as collateral tokens; the whole tab leaves ``dirt``; whatever
        of the tab the bids did not raise stays as bad debt in the buffer.
        """
        b = self.bid(auction_id)
        now = self.chain.now
        if not (b.tic != 0 and (b.tic < now or b.end < now)):
            raise InvalidInput(
                "flip/not-finished",
                f"auction {auction_id} is open until {b.tic or b.end}"
                + (" and has no bid (tick it after it ends)" if b.tic == 0 else ""),
            )
        paid = self.joins.pay_gem(self.ilk, self.account, b.guy, b.lot_wad)
        self.dog.digs(self.ilk, b.tab_rad)
        del self.bids[auction_id]
        self.chain.emit(
            FlipAuctionDealt(
                self.symbol,
                self.ilk,
                auction_id,
                b.guy,
                b.lot_wad,
                paid,
                b.bid_rad,
                b.tab_rad,
                b.tab_rad - b.bid_rad,
            )
        )
        return b.lot_wad, b.bid_rad

    @action
    def tick(self, auction_id: int, *, sender: str) -> int:
        """Restart an auction that ended without a bid (anyone): ``end = now + tau``; returns it."""
        b = self.bid(auction_id)
        now = self.chain.now
        if not b.end < now:
            raise InvalidInput("flip/not-finished", f"auction {auction_id} runs until {b.end}")
        if b.tic != 0:
            raise InvalidInput("flip/bid-already-placed", f"auction {auction_id} has a bid: deal")
        b.end = now + self.params.tau_s
        self.chain.emit(FlipAuctionRestarted(self.symbol, self.ilk, auction_id, b.end))
        return b.end

    @action
    def file(self, what: str, value: int, *, sender: str) -> None:
        """Set ``beg`` [wad], ``ttl``/``tau`` [s], ``chip`` [wad] or ``tip`` [rad] (admin or governance)."""
        self.accounts.check_file(self.chain, sender, what, self.PARAMS)
        v = check_amount(value, what, "cdp/bad-value")
        if what == "beg" and v < WAD:
            raise InvalidInput("cdp/bad-value", "beg must be >= WAD (bids may not fall)")
        if what in ("ttl", "tau") and v == 0:
            raise InvalidInput("cdp/bad-value", f"{what} must be positive")
        attr = {
            "beg": "beg_wad",
            "ttl": "ttl_s",
            "tau": "tau_s",
            "chip": "chip_wad",
            "tip": "tip_rad",
        }[what]
        setattr(self.params, attr, v)
        self.chain.emit(ParameterChanged(f"{self.symbol}/flip", self.ilk, what, v))
