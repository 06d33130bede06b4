"""AI-token sellers: treasury and ecosystem holders who sell into a falling market.

Each AI token (``kind = "ai-token"`` with an external ``D10``) has a treasury/ecosystem holder
(foundation, team, early backers, ecosystem funds) that holds ``agents.sellers.inventory_d10``
times the token's ``D10`` of tokens at t0 prices. While the token's market price is more than
``trigger`` below its highest market price so far, the holder sells ``rate`` of its remaining
inventory per hour on the external market (``Venue.sell``), so the sale lowers the price the
oracles read and the keepers sell into. The tokens are minted to the holder's account at the
start; a sale moves them to the market, which pays reference stablecoin.
"""

from __future__ import annotations

from ..families.ai_dollar.state import DollarPath
from ..world import MARKET, to_wad

__all__ = ["act", "holder", "start"]


def holder(symbol: str) -> str:
    """The account of ``symbol``'s treasury and ecosystem holders."""
    return f"treasury:{symbol}"


def start(s: DollarPath) -> None:
    """Give every AI token's treasury its inventory (``inventory_d10 x D10`` at t0 prices)."""
    p = s.sc.agents.sellers
    ledger = s.w.chain.ledger
    if not p.enabled:
        return
    for a in s.sc.assets:
        if a.kind != "ai-token" or a.d10_usd is None:
            continue
        price0 = float(s.prices[0, s.asset_index[a.symbol]])
        s.highs[s.asset_index[a.symbol]] = price0
        units = to_wad(float(p.inventory_d10) * float(a.d10_usd) / price0)
        if units > 0:
            ledger.mint(a.symbol, holder(a.symbol), units)


def act(s: DollarPath, k: int) -> None:
    """Treasuries whose token trades more than ``trigger`` below its high sell ``rate`` per hour."""
    p = s.sc.agents.sellers
    if not p.enabled:
        return
    w, ledger = s.w, s.w.chain.ledger
    share = min(1.0, float(p.rate) * s.dt_h)
    for a in s.sc.assets:
        if a.kind != "ai-token" or a.d10_usd is None:
            continue
        i = s.asset_index[a.symbol]
        high = max(s.highs.get(i, 0.0), float(s.prices[k, i]))  # running high of step prices
        s.highs[i] = high
        if s.venue.price(i) >= (1.0 - float(p.trigger)) * high:
            continue
        acct = holder(a.symbol)
        units = int(ledger.balance_of(a.symbol, acct) * share)
        if units <= 0:
            continue
        usd = s.venue.sell(i, units / 1e18)
        ledger.transfer(a.symbol, acct, MARKET, units)
        if w.stable:
            ledger.transfer(w.stable, MARKET, acct, w.stable_units(usd))
        s.treasury_sold[k] += usd
