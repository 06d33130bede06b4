"""Emergency shutdown: settle every vault and auction at frozen prices; holders redeem exactly pro rata."""

from __future__ import annotations

from typing import Any

import pytest
from support.cdp import LiqSystem, build

from peglab.errors import InvalidInput, LimitExceeded, NotAuthorized, ShutDown
from peglab.math import rmul
from peglab.testing import assert_refused
from peglab.units import RAY, WAD, wad

HOLDERS = ("alice", "bob", "h1", "h2")


def live_system() -> tuple[LiqSystem, dict[str, int], int]:
    s = build()
    d = s.d
    vaults = {
        "alice": s.vault("alice", 20_000, 8_000),
        "bob": s.vault("bob", 30_000, 5_000),
        "carol": s.vault("carol", 20_000, 9_000),
    }
    s.usdc_to_ausd("h1", 5_000)
    s.usdc_to_ausd("h2", 5_000)
    s.usdc_to_ausd("keeper", 10_000)
    s.chain.advance(30 * 86_400)
    s.set_price("0.70")  # carol: 14000 / 1.75 = 8000 < 9000 (plus fees): unsafe
    s.settle()
    aid = d.bark(vaults["carol"], sender="keeper")
    s.chain.advance(300)
    st = d.auction("ATH-A", aid)
    d.take("ATH-A", aid, st.lot_wad // 3, st.price_ray, sender="keeper")
    return s, vaults, aid


@pytest.fixture
def caged() -> tuple[LiqSystem, dict[str, int], int]:
    s, vaults, aid = live_system()
    s.d.shutdown(sender="gov")
    return s, vaults, aid


def settle_all(s: LiqSystem, aid: int) -> None:
    d, end = s.d, s.d.end
    assert d.psm is not None
    for ilk in ("ATH-A", d.psm.ilk):
        end.cage_ilk(ilk, sender="k")
    end.snip("ATH-A", aid, sender="k")
    for vid, v in sorted(d.vat.vaults.items()):
        if v.art_wad:
            end.skim(vid, sender="k")
    s.chain.advance(end.state.wait_s)
    end.thaw(sender="k")
    for ilk in ("ATH-A", d.psm.ilk):
        end.flow(ilk, sender="k")


def test_shutdown__full_settlement__holders_paid_exactly_pro_rata(
    caged: tuple[LiqSystem, dict[str, int], int],
) -> None:
    s, vaults, aid = caged
    d, end, ledger = s.d, s.d.end, s.chain.ledger
    assert d.psm is not None
    ink0 = d.vat.vaults[vaults["alice"]].ink_wad
    art0 = d.vat.vaults[vaults["alice"]].art_wad
    rate = d.vat.ilks["ATH-A"].rate_ray
    settle_all(s, aid)
    assert s.errors() == []
    # vault owners keep collateral above their debt at the frozen price
    tag = end.tag["ATH-A"]
    got = end.free(vaults["alice"], sender="alice")
    assert got == ink0 - rmul(rmul(art0, rate), tag)  # debt settled at the frozen price
    assert ledger.balance_of("ATH", "alice") == got
    # every holder packs everything and cashes both baskets
    paid: dict[str, dict[str, int]] = {}
    for h in HOLDERS:
        bag = ledger.balance_of("AUSD", h)
        end.pack(bag, sender=h)
        paid[h] = {ilk: end.cash(ilk, bag, sender=h) for ilk in ("ATH-A", d.psm.ilk)}
        for ilk, amount in paid[h].items():
            assert amount == rmul(bag, end.fix[ilk])  # exactly the fixed rate per AI dollar
    # pro rata: payouts proportional to bags (up to one wei of floor)
    for ilk in ("ATH-A", d.psm.ilk):
        for h in HOLDERS:
            bag = end.bag[h]
            assert abs(paid[h][ilk] * end.bag["h1"] - paid["h1"][ilk] * bag) <= max(
                bag, end.bag["h1"]
            )
    # total redemptions never exceed the collateral held
    for ilk in ("ATH-A", d.psm.ilk):
        assert end.paid[ilk] <= end.held[ilk]
    assert ledger.balance_of("USDC", "h1") == paid["h1"][d.psm.ilk] // 10**12
    assert s.errors() == []
    assert tag == WAD * RAY // wad("0.70")


def test_shutdown__nothing_mintable_or_liquidatable__refused_unchanged(
    caged: tuple[LiqSystem, dict[str, int], int],
) -> None:
    s, vaults, aid = caged
    d, c = s.d, s.chain
    c.ledger.mint("ATH", "alice", wad(10))
    c.ledger.mint("USDC", "alice", 10**6)
    vid = vaults["alice"]
    calls: list[tuple[Any, ...]] = [
        (ShutDown, "cdp/not-live", d.mint, vid, wad(1)),
        (ShutDown, "cdp/not-live", d.deposit, vid, wad(1)),
        (ShutDown, "cdp/not-live", d.repay, vid, wad(1)),
        (ShutDown, "cdp/not-live", d.bark, vaults["bob"]),
        (ShutDown, "cdp/stopped", d.take, "ATH-A", aid, WAD, 10**30),
        (ShutDown, "cdp/stopped", d.redo, "ATH-A", aid),
        (ShutDown, "cdp/not-live", d.drip, "ATH-A"),
        (ShutDown, "cdp/psm-stopped", d.sell_gem, 10**6),
        (ShutDown, "cdp/not-live", d.vow.flop),
        (ShutDown, "cdp/not-live", d.file, "dust", 1),
        (ShutDown, "cdp/not-live", d.shutdown),
    ]
    for err, code, fn, *args in calls:
        sender = "gov" if fn in (d.file, d.shutdown) else "alice"
        kw: dict[str, Any] = {"ilk": "ATH-A"} if fn == d.file else {}
        assert_refused(c, err, code, fn, *args, sender=sender, **kw)


def test_end_steps__out_of_order__typed_errors_unchanged() -> None:
    s, vaults, aid = live_system()
    d, end, c = s.d, s.d.end, s.chain
    assert_refused(c, InvalidInput, "end/still-live", end.cage_ilk, "ATH-A", sender="k")
    assert_refused(c, NotAuthorized, "end/not-governance", end.cage, sender="mallory")
    d.shutdown(sender="gov")
    assert_refused(c, InvalidInput, "end/tag-ilk-not-defined", end.skim, vaults["bob"], sender="k")
    end.cage_ilk("ATH-A", sender="k")
    assert_refused(
        c, InvalidInput, "end/tag-ilk-already-defined", end.cage_ilk, "ATH-A", sender="k"
    )
    assert_refused(c, InvalidInput, "end/art-not-zero", end.free, vaults["bob"], sender="bob")
    end.skim(vaults["bob"], sender="k")
    assert_refused(c, NotAuthorized, "cdp/not-allowed-u", end.free, vaults["bob"], sender="eve")
    assert_refused(c, InvalidInput, "end/nothing-to-skim", end.skim, vaults["bob"], sender="k")
    assert_refused(c, InvalidInput, "end/wait-not-finished", end.thaw, sender="k")
    c.advance(end.state.wait_s)
    assert_refused(c, InvalidInput, "end/auctions-running", end.thaw, sender="k")
    assert_refused(c, InvalidInput, "end/debt-zero", end.flow, "ATH-A", sender="k")
    assert_refused(c, InvalidInput, "end/debt-zero", end.pack, wad(1), sender="alice")
    end.snip("ATH-A", aid, sender="k")
    end.thaw(sender="k")
    assert_refused(c, InvalidInput, "end/debt-not-zero", end.thaw, sender="k")
    assert_refused(c, InvalidInput, "end/not-skimmed", end.flow, "ATH-A", sender="k")
    for vid, v in sorted(d.vat.vaults.items()):
        if v.art_wad and v.ilk == "ATH-A":
            end.skim(vid, sender="k")
    end.flow("ATH-A", sender="k")
    assert_refused(c, InvalidInput, "end/fix-ilk-already-defined", end.flow, "ATH-A", sender="k")
    end.pack(wad(100), sender="alice")
    assert_refused(
        c, InvalidInput, "end/fix-ilk-not-defined", end.cash, "PSM-USDC", wad(1), sender="alice"
    )
    end.cash("ATH-A", wad(60), sender="alice")
    assert_refused(
        c, LimitExceeded, "end/insufficient-bag", end.cash, "ATH-A", wad(41), sender="alice"
    )
    assert_refused(c, InvalidInput, "input/bad-amount", end.pack, 0, sender="alice")
    assert s.errors() == []


def test_snip__collateral_type_without_auctions__invalid_input(
    caged: tuple[LiqSystem, dict[str, int], int],
) -> None:
    s, _, _ = caged
    end = s.d.end
    end.cage_ilk("PSM-USDC", sender="k")
    assert_refused(s.chain, InvalidInput, "cdp/unknown-ilk", end.snip, "PSM-USDC", 1, sender="k")
    assert_refused(s.chain, InvalidInput, "cdp/unknown-ilk", end.cage_ilk, "NOPE", sender="k")
