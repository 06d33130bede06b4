"""Bidders in legacy English auctions (flip.py; docs/risk-spec.md V1 Black Thursday).

Expired auctions are dealt and ticked; a funded keeper bids what the lot fetches on the external
market less margin and gas (tend up to the tab, then dent the lot down); with no keeper bid, an
opportunistic bot places the minimum bid (1 wei of internal AI dollar, the "zero bid") and wins
when the bid duration passes unchallenged.
"""

from __future__ import annotations

from ...units import RAY, WAD
from ..families.ai_dollar.build import VaultBook
from ..families.ai_dollar.state import DollarPath
from ..world import MARKET, OPERATOR, to_wad
from . import dealer

__all__ = ["act"]


def act(s: DollarPath, b: VaultBook, k: int, share: float, avail: float) -> None:
    """Legacy English auctions (flip.py): deal, tick, keepers bid, an opportunist bids ~0.

    A funded keeper bids what the lot fetches on the external market less margin and gas
    (tend up to the tab, then dent the lot down); with no keeper bid, an opportunistic bot
    places the minimum bid (1 wei of internal AI dollar, Black Thursday's "zero bid") and wins
    when the bid duration passes unchallenged.
    """
    d, sym = b.dollar, b.dollar.symbol
    flip = d.flippers[b.ilk]
    st = s.stats[sym]
    p = s.coll_price(b, k)
    pay = dealer.payable(s, sym, b.keeper) / WAD if flip.bids and avail > 0 else 0.0
    for aid in flip.active():
        fs = flip.status(aid)
        info = s.open.get((b.ilk, aid))
        if fs.can_deal:
            lot_wad, bid_rad = fs.lot_wad, fs.bid_rad
            if s.attempt(sym, d.deal, b.ilk, aid, sender=OPERATOR) is None:
                continue
            winner = fs.guy
            value = lot_wad / WAD * p
            if winner == b.keeper and lot_wad:  # sell the lot; proceeds recycle later
                units = lot_wad / WAD
                proceeds = s.sell_collateral(b, units, k, s.sold.get(b.ilk, 0.0))
                s.sold[b.ilk] = s.sold.get(b.ilk, 0.0) + units
                ledger = s.w.chain.ledger
                ledger.transfer(b.token, winner, MARKET, lot_wad)
                if s.w.stable:
                    ledger.transfer(s.w.stable, MARKET, winner, s.w.stable_units(proceeds))
                due = k + s.recycle_steps
                b.release[due] = b.release.get(due, 0.0) + proceeds
                st["keeper"] += proceeds - bid_rad / (WAD * RAY)
            if bid_rad * 1000 < fs.tab_rad:
                st["zero"] += 1
            st["proceeds"] += bid_rad / (WAD * RAY)
            st["take_value"] += value
            if info is not None:
                info["given"] += value
            continue
        if fs.needs_tick:
            s.attempt(sym, d.tick, b.ilk, aid, sender=OPERATOR)
            continue
        if not fs.biddable:
            continue
        lot = fs.lot_wad / WAD
        unit = s.threshold(b, lot, k) if share > 0 and pay > 1.0 else 0.0
        worth = to_wad(max(unit, 0.0) * lot) * RAY  # rad the keeper would pay for the lot
        if fs.phase == "tend" and worth >= fs.min_bid_rad and fs.guy != b.keeper:
            bid = min(fs.tab_rad, worth, to_wad(pay) * RAY)
            if (
                bid >= fs.min_bid_rad
                and dealer.hold(s, sym, b.keeper, bid)
                and (
                    s.attempt(sym, d.tend, b.ilk, aid, fs.lot_wad, bid, sender=b.keeper) is not None
                )
            ):
                pay -= bid / (WAD * RAY)
                s.capital_free[b.ilk] -= bid / (WAD * RAY)
                continue
        # dent toward the lot the keeper values (any bidder may dent, its own bid included:
        # the single aggregate keeper stands in for competing keepers) [O]
        if fs.phase == "dent" and unit > 0:
            need = to_wad(
                fs.tab_rad / (WAD * RAY) / unit
            )  # lot that covers the tab at the keeper's price
            own = fs.guy == b.keeper  # denting one's own bid moves no AI dollars
            affordable = 0 < need <= fs.max_lot_wad and (own or pay * WAD * RAY >= fs.tab_rad)
            if (
                affordable
                and (own or dealer.hold(s, sym, b.keeper, fs.tab_rad))
                and (
                    s.attempt(sym, d.dent, b.ilk, aid, need, fs.tab_rad, sender=b.keeper)
                    is not None
                )
            ):
                if not own:
                    pay -= fs.tab_rad / (WAD * RAY)
                continue
        if fs.bid_rad == 0:
            s.attempt(sym, d.tend, b.ilk, aid, fs.lot_wad, fs.min_bid_rad, sender="zero-bidder")
