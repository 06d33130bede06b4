"""Settling an AI dollar after emergency shutdown (dss End; docs/liquidations.md "Shutdown").

From the step of ``cage`` on, the operator freezes every collateral's price (``cage_ilk``; a
stale feed is retried next step), cancels running auctions (``snip``; English auctions past
their tend phase are dealt first) and settles every vault at the frozen price (``skim``). Once
the End's ``wait`` has passed it fixes the debt (``thaw``) and each collateral's payout per AI
dollar (``flow``); then holders redeem pro rata: they lock their AI dollars (``pack``) and take
their share of every collateral (``cash``). The market value of what they receive per AI dollar
is the ``redemption_value`` metric.
"""

from __future__ import annotations

from ...errors import PeglabError
from ...protocols.cdp import AIDollar
from ...units import WAD
from ..families.ai_dollar.state import DollarPath, Recap
from ..world import HOLDERS, OPERATOR

__all__ = ["settle"]


def _ilks(d: AIDollar) -> list[str]:
    ilks = list(d.collaterals)
    if d.psm is not None:
        ilks.append(d.psm.ilk)
    return ilks


def settle(s: DollarPath, d: AIDollar, r: Recap, k: int) -> None:
    """One step of End settlement for ``d`` (module docstring)."""
    end, sym = d.end, d.symbol
    if end.state.debt_rad == 0:
        for ilk in _ilks(d):
            if not end.tag.get(ilk, 0):
                s.attempt(sym, end.cage_ilk, ilk, sender=OPERATOR)
        for ilk, clip in d.clippers.items():
            if end.tag.get(ilk, 0):
                for aid in list(clip.sales):
                    s.attempt(sym, end.snip, ilk, aid, sender=OPERATOR)
        for ilk, flip in d.flippers.items():
            if not end.tag.get(ilk, 0):
                continue
            for aid in list(flip.bids):
                if flip.status(aid).can_deal:
                    s.attempt(sym, d.deal, ilk, aid, sender=OPERATOR)
                elif flip.status(aid).phase == "tend":
                    s.attempt(sym, end.snip, ilk, aid, sender=OPERATOR)
        for vid, v in list(d.vat.vaults.items()):
            if v.art_wad and end.tag.get(v.ilk, 0):
                s.attempt(sym, end.skim, vid, sender=OPERATOR)
        if s.w.chain.now < end.state.when + end.state.wait_s:
            return
        if s.attempt(sym, end.thaw, sender=OPERATOR) is None:
            return
    if r.redemption == r.redemption:  # already redeemed
        return
    for ilk in _ilks(d):
        if ilk not in end.fix and s.attempt(sym, end.flow, ilk, sender=OPERATOR) is None:
            return
    _redeem(s, d, r, k)


def _redeem(s: DollarPath, d: AIDollar, r: Recap, k: int) -> None:
    """Holders pack their AI dollars and cash them for every collateral; value at market."""
    ledger, sym = s.w.chain.ledger, d.symbol
    amount = ledger.balance_of(sym, HOLDERS)
    if amount <= 0:
        return
    try:
        d.end.pack(amount, sender=HOLDERS)
    except PeglabError:
        s.stats[sym]["refused"] += 1
        return
    value = 0.0
    for ilk in _ilks(d):
        paid = s.attempt(sym, d.end.cash, ilk, amount, sender=HOLDERS) or 0
        value += paid / WAD * _price(s, d, ilk, k)  # cash pays joined (wad) units
    r.redemption = value / (amount / WAD)


def _price(s: DollarPath, d: AIDollar, ilk: str, k: int) -> float:
    if d.psm is not None and ilk == d.psm.ilk:
        idx = s.sc.asset_index
        return float(s.prices[k, idx[s.w.stable]]) if s.w.stable else 1.0
    return s.coll_price(s.book[ilk], k)
