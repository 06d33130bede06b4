"""The recapitalisation waterfall run on the engine, and emergency shutdown (docs/cdp-spec.md §9, §13).

Each step, for each live AI dollar, the operator works the engine's own buffer
(docs/liquidations.md "Buffer parameters"):

1. ``heal`` the free bad debt against the surplus (fees and penalties earned in the run); release
   queued debt whose ``wait`` has passed (``flog_all``) and heal again;
2. ``cover`` the rest from the project's backstop fund (AI dollars posted at t0);
3. kick debt auctions (``flop``: ``sump`` AI dollars for ``dump`` governance tokens) while free
   debt of at least ``sump`` remains and the recapitalisation limit is not reached;
   debt-auction bidders (``agents.debt_bidders``) dent each lot down to what the tokens fetch on
   the external market (the venue's sale price for that lot) less their margin, buying the AI
   dollars they pay on the PSM or the pool; ended auctions are dealt (tokens minted to the
   winner, who sells them on the venue, so the dilution moves the token's price) or ticked
   (re-opened with a larger lot);
4. governance triggers emergency shutdown (``End.cage``) when the buffer advises it
   (``SystemBuffer.shutdown_advised``: uncovered debt above the limit, or three debt auctions
   re-opened without a bid) and ``agents.governance.shutdown`` is on.

After shutdown the operator settles the End (``shutdown.settle``); the AI dollar's other agents
stop. Amounts are recorded for the metrics as the engine reports them.
"""

from __future__ import annotations

from ...errors import PeglabError
from ...protocols.cdp import AIDollar
from ...units import RAD, RAY, WAD
from ..families.ai_dollar.state import DollarPath, Recap
from ..world import MARKET, OPERATOR, to_wad
from . import dealer, shutdown

__all__ = ["BIDDER", "deficit_usd", "fund", "open_recovery", "settle"]

BIDDER = "debt-bidder"


def fund(s: DollarPath) -> None:
    """t0: post each AI dollar's backstop fund (the project sells USDC into the PSM for it, or
    buys from holders at par without a PSM) and give debt bidders their capital."""
    w, ledger, chain = s.w, s.w.chain.ledger, s.w.chain
    for dol in s.block:
        d = s.dollars[dol.symbol]
        s.recap[dol.symbol] = Recap()
        debt0 = sum(float(c.vaults.debt_usd) for c in dol.collaterals)
        d.vow.file("recap_limit", to_wad(float(dol.recap_limit) * debt0) * RAY, sender=chain.root)
        gov = s.gov_asset
        if gov is not None:  # first lots at half the token's t0 price; bidders dent them down
            p0 = float(s.prices[0, gov])
            d.vow.file("dump", to_wad(2 * (d.vow.state.sump_rad / RAD) / p0), sender=chain.root)
        amount = to_wad(float(dol.backstop) * float(dol.line_usd))
        project = f"project:{dol.symbol}"
        if amount <= 0 or not w.stable:
            continue
        ledger.transfer(w.stable, MARKET, project, w.stable_units(amount / WAD) + 1)
        if d.psm is not None:
            module, cap = d.psm, d.psm.state.flow_cap_wad
            module.file("flow_cap", 2**255, sender=chain.root)  # posted before t0, outside the cap
            s.attempt(dol.symbol, d.sell_gem, w.stable_units(amount / WAD), sender=project)
            module.file("flow_cap", cap, sender=chain.root)
            module.state.net_in_wad = 0
        else:
            dealer.otc_buy(s, dol.symbol, project, amount / WAD)
        have = ledger.balance_of(dol.symbol, project)
        if have:
            d.vow.fund_backstop(min(have, amount), sender=project)
    bidders = s.sc.agents.debt_bidders
    if bidders.enabled and w.stable:
        ledger.transfer(w.stable, MARKET, BIDDER, w.stable_units(float(bidders.capital_usd)))


def open_recovery(s: DollarPath, d: AIDollar, k: int) -> float:
    """USD the open collateral auctions of ``d`` are still expected to pay into the buffer.

    The buffer's ``sin`` already holds each open auction's debt (``due``, queued at ``bark``) and
    ``dai`` every payment so far. A Dutch auction will still raise ``min(tab, lot x exit bid x
    (1 - margin))``; an English auction's bids are paid in as they are placed, so it adds nothing.
    """
    margin = float(s.sc.agents.keepers.margin)
    total = 0.0
    for b in s.books:
        if b.dollar is not d or b.ilk in d.flippers:
            continue
        for sale in (d.clippers[b.ilk].sales[a] for a in d.clippers[b.ilk].active()):
            lot, tab = sale.lot_wad / WAD, sale.tab_rad / (WAD * RAY)
            total += min(tab, lot * s.unit_bid(b, lot, k) * (1 - margin))
    return total


def deficit_usd(s: DollarPath, d: AIDollar, k: int) -> float:
    """The buffer's uncovered debt [USD]: ``sin - dai`` less what open auctions will still raise."""
    owed = (int(d.vow.sin_rad) - int(d.vow.dai_rad)) / RAD
    if owed <= 0:
        return 0.0  # nothing owed: no need to value the open auctions
    return max(0.0, owed - open_recovery(s, d, k))


def settle(s: DollarPath, k: int) -> None:
    """The settle phase for every AI dollar (module docstring)."""
    for sym, d in s.dollars.items():
        r = s.recap[sym]
        if r.shut_k >= 0:
            shutdown.settle(s, d, r, k)
            continue
        realised = _waterfall(s, sym, d, r, k)
        if realised and s.sc.agents.governance.shutdown and d.vow.shutdown_advised:
            # cage refunds debt-auction bidders with new AI dollars: that recapitalisation is undone
            refund = sum(b.bid_rad for b in d.vow.flops.values() if b.guy != d.vow.account)
            deficit = deficit_usd(s, d, k)
            s.attempt(sym, d.shutdown, sender=s.w.chain.root)
            if not d.end.state.live:
                r.shut_k = k
                r.raised_rad -= refund
                r.deficit_at_shut = deficit + refund / RAD
                shutdown.settle(s, d, r, k)


def _heal(s: DollarPath, sym: str, d: AIDollar) -> None:
    vow = d.vow
    amount = min(vow.dai_rad, vow.free_debt_rad)
    if amount > 0:
        s.attempt(sym, vow.heal, amount, sender=OPERATOR)


def _running(d: AIDollar) -> bool:
    return any(c.sales for c in d.clippers.values()) or any(f.bids for f in d.flippers.values())


def _waterfall(s: DollarPath, sym: str, d: AIDollar, r: Recap, k: int) -> bool:
    """One step of the waterfall; returns whether the bad debt is realised (no auction running)."""
    vow, ledger, now = d.vow, s.w.chain.ledger, s.w.chain.now
    _heal(s, sym, d)
    if vow.state.sin_queued_rad and any(e + vow.state.wait_s <= now for e in vow.queue):
        s.attempt(sym, vow.flog_all, sender=OPERATOR)
        _heal(s, sym, d)
    _bid(s, sym, d, r, k)
    _close_flops(s, sym, d, r)
    if _running(d):
        return (
            False  # bad debt is what remains after the collateral auctions (docs/risk-spec.md §6)
        )
    if vow.free_debt_rad > vow.dai_rad and ledger.balance_of(sym, vow.backstop) > 0:
        used = s.attempt(sym, vow.cover, sender=OPERATOR)
        r.backstop_wad += used or 0
    st = vow.state
    while (
        vow.dai_rad == 0
        and ledger.balance_of(sym, vow.backstop) == 0
        and vow.free_debt_rad >= st.sump_rad
        and r.raised_rad + st.ash_rad + st.sump_rad <= st.recap_limit_rad
    ):
        if s.attempt(sym, vow.flop, sender=OPERATOR) is None:
            break
    _bid(s, sym, d, r, k)
    return True


def _close_flops(s: DollarPath, sym: str, d: AIDollar, r: Recap) -> None:
    """Deal debt auctions that ended with a bid; re-open those that ended without one."""
    vow, now = d.vow, s.w.chain.now
    for fid in sorted(vow.flops):
        b = vow.flops[fid]
        if b.tic != 0 and (b.tic < now or b.end < now):
            lot, winner = b.lot_wad, b.guy
            s.attempt(sym, vow.flop_deal, fid, sender=OPERATOR)
            if fid not in vow.flops:
                r.minted_wad += lot
                if winner == BIDDER:
                    _sell_won(s, vow.gov_token, lot)
        elif b.tic == 0 and b.end < now:
            s.attempt(sym, vow.flop_tick, fid, sender=OPERATOR)


def _sell_won(s: DollarPath, gov_token: str, lot: int) -> None:
    """The bidder sells a won lot of governance tokens on the external market (the dilution
    reaches the token's price through the venue's impact); the proceeds refill its capital."""
    w, ledger, a = s.w, s.w.chain.ledger, s.gov_asset
    if a is None or lot <= 0 or ledger.balance_of(gov_token, BIDDER) < lot:
        return
    usd = s.venue.sell(a, lot / WAD)
    ledger.transfer(gov_token, BIDDER, MARKET, lot)
    if w.stable:
        ledger.transfer(w.stable, MARKET, BIDDER, w.stable_units(usd))
    s.gov_sold_usd += usd


def _lot_for(s: DollarPath, bid_usd: float, margin: float) -> float:
    """Governance tokens worth ``bid_usd`` when sold on the venue, less ``margin``: the lot at
    which the average sale price of the lot itself pays the bid (two fixed-point steps from the
    market price; the venue's sale price falls with the size)."""
    assert s.gov_asset is not None
    price = s.venue.price(s.gov_asset)
    lot = 0.0
    for _ in range(2):
        if price <= 0:
            return 0.0
        lot = bid_usd / (price * (1.0 - margin))
        price = s.venue.quote_sell(s.gov_asset, lot) / lot
    return bid_usd / (price * (1.0 - margin)) if price > 0 else 0.0


def _bid(s: DollarPath, sym: str, d: AIDollar, r: Recap, k: int) -> None:
    """Debt-auction bidders dent every open lot down to what it fetches on the external market
    (the venue's sale price for the lot) less their margin."""
    bidders = s.sc.agents.debt_bidders
    if not bidders.enabled or s.gov_asset is None:
        return
    vow, now = d.vow, s.w.chain.now
    margin = float(bidders.margin)
    if s.venue.price(s.gov_asset) <= 0:
        return
    beg = vow.flop_params.beg_wad
    for fid in sorted(vow.flops):
        b = vow.flops[fid]
        if b.guy == BIDDER or b.end <= now or (b.tic != 0 and b.tic <= now):
            continue
        lot = to_wad(_lot_for(s, b.bid_rad / RAD, margin))
        if lot <= 0 or beg * lot > b.lot_wad * WAD:
            continue  # the tokens are not worth the bid yet (the lot grows when re-opened)
        if not dealer.hold(s, sym, BIDDER, b.bid_rad):
            return  # out of capital
        first = b.tic == 0
        try:
            vow.dent(fid, lot, b.bid_rad, sender=BIDDER)
        except PeglabError:
            s.stats[sym]["refused"] += 1
            continue
        if first:
            r.raised_rad += b.bid_rad
