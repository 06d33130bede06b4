"""Scenarios: a 50% crash cleared by keepers selling into a market; with no keepers, bad debt lands in
the buffer and is recapitalised by a governance-token debt auction."""

from __future__ import annotations

from typing import Any

from support.cdp import LiqSystem

from peglab.units import RAD, RAY, WAD, wad

MARKET_PRICE = wad("0.50")


def crash_book(s: LiqSystem, n: int = 30) -> dict[int, str]:
    """``n`` vaults with collateral ratios 2.4 .. 4.0 at $1 (debt 1000 .. 3900 AI dollars)."""
    owners: dict[int, str] = {}
    for i in range(n):
        debt = 1_000 + 100 * i
        ratio_pct = 240 + (160 * i) // (n - 1)
        vid = s.vault(f"u{i}", debt * ratio_pct // 100, debt)
        owners[vid] = f"u{i}"
    return owners


def unsafe(s: LiqSystem, vid: int) -> bool:
    v = s.d.vat.vaults[vid]
    i = s.d.vat.ilks[v.ilk]
    return v.ink_wad * i.spot_ray < v.art_wad * s.d.jug.rate_after(v.ilk, s.chain.now)


def test_crash_50pct__keepers_bark_and_take__auctions_clear_without_bad_debt(
    liq: LiqSystem,
) -> None:
    d, ledger = liq.d, liq.chain.ledger
    owners = crash_book(liq)
    liq.usdc_to_ausd("amm", 500_000)  # a market that buys ATH at $0.50
    liq.set_price("0.50")
    liq.settle()
    doomed = [vid for vid in owners if unsafe(liq, vid)]
    assert 0 < len(doomed) < len(owners)  # ratio below 3.5 at $1 is unsafe at $0.50
    auctions = [d.bark(vid, sender="keeper") for vid in doomed]
    assert all(not unsafe(liq, vid) for vid in owners)
    assert liq.errors() == []

    def sell(sender: str, owe: int, slice_wad: int, data: Any) -> None:
        ledger.transfer("ATH", "keeper", "amm", slice_wad)
        ledger.transfer("AUSD", "amm", "keeper", slice_wad * MARKET_PRICE // WAD)

    takes = 0
    while d.clippers["ATH-A"].sales:
        liq.chain.advance(60)
        for aid in d.auctions("ATH-A"):
            st = d.auction("ATH-A", aid)
            if st.needs_redo:
                d.redo("ATH-A", aid, sender="keeper")
            elif st.price_ray * 100 <= MARKET_PRICE * 10**9 * 98:  # 2% below market: profit
                d.take(
                    "ATH-A", aid, st.lot_wad, st.price_ray, "keeper", sell, None, sender="keeper"
                )
                takes += 1
        assert liq.errors() == []
    assert takes == len(auctions)
    assert ledger.balance_of("AUSD", "keeper") > 0  # keepers earned, with no capital of their own
    for vid in doomed:
        v = d.vat.vaults[vid]
        assert v.art_wad == 0 and v.ink_wad == 0
        assert ledger.balance_of("ATH", owners[vid]) > 0  # leftover collateral came back
    liq.chain.advance(d.vow.state.wait_s)
    d.vow.flog_all(sender="keeper")
    d.vow.heal(sender="keeper")
    assert d.vow.free_debt_rad == 0 and d.vow.dai_rad > 0  # penalties paid for the incentives
    assert d.dog.state.dirt_total_rad == 0 and liq.errors() == []


def test_crash_50pct__no_keepers__bad_debt_in_buffer_recapitalised_by_flop(liq: LiqSystem) -> None:
    d, vow, ledger = liq.d, liq.d.vow, liq.chain.ledger
    owners = crash_book(liq, 10)
    liq.set_price("0.50")
    liq.settle()
    doomed = [vid for vid in owners if unsafe(liq, vid)]
    for vid in doomed:
        d.bark(vid, sender="keeper")
    liq.chain.advance(d.clippers["ATH-A"].params.tail_s + 1)  # nobody bids: every auction stalls
    assert all(d.auction("ATH-A", a).needs_redo for a in d.auctions("ATH-A"))
    liq.chain.advance(vow.state.wait_s)
    vow.flog_all(sender="x")
    vow.heal(sender="x")
    deficit = vow.free_debt_rad
    assert deficit > 5_000 * RAD and vow.dai_rad == 0
    vow.file("sump", 5_000 * RAD, sender="gov")
    vow.file("dump", wad(1_000_000), sender="gov")
    liq.usdc_to_ausd("recap", 10_000)
    fid = vow.flop(sender="x")
    vow.dent(fid, wad(900_000), 5_000 * RAD, sender="recap")
    liq.chain.advance(vow.flop_params.ttl_s + 1)
    vow.flop_deal(fid, sender="x")
    assert vow.free_debt_rad == deficit - 5_000 * RAD  # 5,000 AI dollars of bad debt retired
    assert ledger.balance_of("GOV", "recap") == wad(900_000)
    assert (
        ledger.total_supply("AUSD") * RAY
        + sum(v for k, v in ledger.balances[d.vat.dai].items() if k not in (d.join, d.vow_account))
        == d.balance_sheet().vault_debt_rad + vow.sin_rad - vow.dai_rad
    )
    assert liq.errors() == []
