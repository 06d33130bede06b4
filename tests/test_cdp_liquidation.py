"""Liquidations 2.0: bark/take differential vectors, the spec's worked vector, keeper flows, bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support.cdp import LiqSystem, build

from peglab.errors import (
    InvalidInput,
    LimitExceeded,
    NotAuthorized,
    PeglabError,
    ShutDown,
    Slippage,
    StalePrice,
    Unsafe,
)
from peglab.kernel import Chain
from peglab.protocols.cdp import (
    AIDollarSpec,
    CollateralSpec,
    Launchpad,
    PriceFeed,
    native_ai_token,
    replace,
)
from peglab.protocols.cdp.clip import keeper_coin, take_amounts
from peglab.protocols.cdp.dog import bark_amounts
from peglab.testing import assert_refused
from peglab.units import MAX_UINT256, RAD, RAY, WAD, wad

VEC = Path(__file__).parent / "vectors"
BARK = json.loads((VEC / "dss_liquidation_bark.json").read_text())["cases"]
TAKE = json.loads((VEC / "dss_liquidation_take.json").read_text())["cases"]


def _i(case: dict[str, str], k: str) -> int:
    return int(case[k])


# -- differential vectors ----------------------------------------------------------------------
@pytest.mark.parametrize("case", BARK, ids=lambda c: c.get("error", "ok"))
def test_bark_amounts__dss_vectors__bit_exact(case: dict[str, str]) -> None:
    args = (
        _i(case, "ink"),
        _i(case, "art"),
        _i(case, "rate"),
        _i(case, "spot"),
        _i(case, "chop"),
        _i(case, "dust"),
        (_i(case, "hole"), _i(case, "dirt"), _i(case, "Hole"), _i(case, "Dirt")),
    )
    if "error" in case:
        with pytest.raises(PeglabError) as e:
            bark_amounts(*args)
        assert e.value.code == f"cdp/{case['error']}"
        return
    dart, dink, due, tab = bark_amounts(*args)
    assert (dart, dink, due, tab) == (
        _i(case, "dart"),
        _i(case, "dink"),
        _i(case, "due"),
        _i(case, "tab"),
    )
    assert keeper_coin(_i(case, "tip"), _i(case, "chip"), tab) == _i(case, "coin")


@pytest.mark.parametrize("case", TAKE, ids=lambda c: c.get("error", "ok"))
def test_take_amounts__dss_vectors__bit_exact(case: dict[str, str]) -> None:
    args = (_i(case, "lot"), _i(case, "tab"), _i(case, "amt"), _i(case, "price"), _i(case, "chost"))
    if "error" in case:
        with pytest.raises(InvalidInput) as e:
            take_amounts(*args)
        assert e.value.code == f"cdp/{case['error']}"
        return
    slice_wad, owe = take_amounts(*args)
    assert (slice_wad, owe) == (_i(case, "slice"), _i(case, "owe"))
    assert _i(case, "tab") - owe == _i(case, "tab_left")
    assert owe <= _i(case, "tab")  # docs/cdp-spec.md §13 item 7: a take never raises more than tab


# -- the worked vector of docs/cdp-spec.md §8.5 through the whole engine -------------------------
def worked_system() -> tuple[Chain, Any, PriceFeed, int]:
    chain = Chain()
    chain.ledger.create_token("ATH", 18)
    chain.ledger.create_token("USDC", 6)
    feed = PriceFeed(chain, "ATH", wad("0.60"))
    chain.grant(feed.role, "oracle", sender="gov")
    p = replace(
        native_ai_token(10_000_000),
        duty_ray=RAY,
        hole_rad=20_000 * RAD,
        tip_rad=100 * RAD,
        chip_wad=WAD // 1000,
        step_s=90,
        cut_ray=99 * RAY // 100,
        buf_ray=12 * RAY // 10,
    )
    d = Launchpad(chain).create_ai_usd(
        AIDollarSpec("AUSD", "aethir", 50_000_000, (CollateralSpec("ATH-A", "ATH", p, feed),)),
        sender="gov",
    )
    d.dog.file("Hole", 10_000_000 * RAD, sender="gov")
    d.vat.ilks["ATH-A"].rate_ray = 105 * RAY // 100  # setup: rate 1.05 before any debt exists
    chain.ledger.mint("ATH", "alice", wad(100_000))
    vid = d.open_vault("ATH-A", sender="alice")
    d.deposit(vid, wad(100_000), sender="alice")
    d.mint(vid, wad(31_500), sender="alice")  # art = 31_500 / 1.05 = 30_000 exactly
    feed.set_price(wad("0.45"), sender="oracle")
    for _ in range(2):
        chain.advance(3600)
        d.poke_prices(sender="poker")
    return chain, d, feed, vid


def test_bark_take__spec_worked_vector__exact_numbers() -> None:
    chain, d, _, vid = worked_system()
    assert d.vat.vaults[vid].art_wad == 30_000 * WAD
    assert d.vat.ilks["ATH-A"].spot_ray == 257142857142857142857142857
    aid = d.bark(vid, sender="keeper")
    ev = chain.log[-1].event
    assert ev.art_wad == 16856300042140750105351
    assert ev.ink_wad == 56187666807135833684503
    assert ev.tab_rad == 19999999999999999999998961500000000000000000000000
    assert ev.coin_rad == 100 * RAD + ev.tab_rad // 1000  # 119.99... AI USD
    assert chain.ledger.balance_of("AUSD", "keeper") == ev.coin_rad // RAY
    sale = d.clippers["ATH-A"].sales[aid]
    assert sale.top_ray == 54 * RAY // 100
    chain.advance(1200)
    st = d.auction("ATH-A", aid)
    assert st.price_ray == 473861352419442713440195014
    # a buyer pays with AI dollars obtained by minting elsewhere
    chain.ledger.mint("ATH", "bob", wad(200_000))
    bvid = d.open_vault("ATH-A", sender="bob")
    d.deposit(bvid, wad(200_000), sender="bob")
    d.mint(bvid, wad(25_000), sender="bob")
    slice_wad, owe = d.take("ATH-A", aid, sale.lot_wad, st.price_ray, sender="bob")
    assert owe == ev.tab_rad
    assert slice_wad == 42206438440028797571291
    assert chain.ledger.balance_of("ATH", "bob") == slice_wad
    assert chain.ledger.balance_of("ATH", "alice") == 13981228367107036113212  # returned
    v = d.vat.vaults[vid]
    assert v.ink_wad == 100_000 * WAD - ev.ink_wad and v.art_wad == 30_000 * WAD - ev.art_wad
    assert not d.clippers["ATH-A"].sales
    assert d.invariant_errors() == [] and d.liquidation_invariant_errors() == []
    # same ratio, still unsafe: barkable again
    d.bark(vid, sender="keeper")


# -- keeper flows ----------------------------------------------------------------------------
@pytest.fixture
def crashed() -> tuple[LiqSystem, int, int]:
    s = build()
    s.usdc_to_ausd("keeper", 100_000)
    vid = s.vault("alice", 20_000, 10_000)  # ratio 2.0 at $1
    s.set_price("0.80")  # ratio 1.6 < 1.75: unsafe
    s.settle()
    aid = s.d.bark(vid, sender="keeper")
    return s, vid, aid


def test_take__partial_then_rest__closes_and_returns_leftover(
    crashed: tuple[LiqSystem, int, int],
) -> None:
    s, vid, aid = crashed
    d = s.d
    sale = d.clippers["ATH-A"].sales[aid]
    tab0, lot0 = sale.tab_rad, sale.lot_wad
    s.chain.advance(600)
    price = d.auction("ATH-A", aid).price_ray
    part, owe = d.take("ATH-A", aid, lot0 // 4, price, sender="keeper")
    assert part == lot0 // 4 and owe == part * price
    assert sale.tab_rad == tab0 - owe and sale.lot_wad == lot0 - part
    assert s.errors() == []
    rest, owe2 = d.take("ATH-A", aid, sale.lot_wad, price, sender="keeper")
    assert owe + owe2 == tab0  # the tab is covered exactly, never more
    assert aid not in d.clippers["ATH-A"].sales
    returned = lot0 - part - rest
    assert returned > 0 and s.chain.ledger.balance_of("ATH", "alice") == returned
    assert d.dog.ilks["ATH-A"].dirt_rad == 0 and s.errors() == []


def test_take__leaving_less_than_chost__takes_tab_minus_chost(
    crashed: tuple[LiqSystem, int, int],
) -> None:
    s, _, aid = crashed
    d = s.d
    sale = d.clippers["ATH-A"].sales[aid]
    price = d.auction("ATH-A", aid).price_ray
    chost = d.clippers["ATH-A"].chost_rad
    want = (sale.tab_rad - chost // 2) // price  # would leave half a chost
    tab0 = sale.tab_rad
    _, owe = d.take("ATH-A", aid, want, price, sender="keeper")
    assert owe == tab0 - chost and sale.tab_rad == chost


def test_take__callback_sells_into_market__keeper_needs_no_capital(
    crashed: tuple[LiqSystem, int, int],
) -> None:
    s, _, aid = crashed
    d, ledger = s.d, s.chain.ledger
    s.usdc_to_ausd("amm", 200_000)  # a market that buys ATH at $0.80 for AI dollars
    s.chain.advance(1800)
    st = d.auction("ATH-A", aid)
    assert st.price_ray < 8 * RAY // 10

    def sell_into_amm(sender: str, owe_rad: int, slice_wad: int, data: Any) -> None:
        assert data == "route:ATH/AUSD"
        proceeds = slice_wad * 8 // 10
        ledger.transfer("ATH", "flash", "amm", slice_wad)
        ledger.transfer("AUSD", "amm", sender, proceeds)

    assert ledger.balance_of("AUSD", "flash") == 0
    _, owe = d.take(
        "ATH-A",
        aid,
        st.lot_wad,
        st.price_ray,
        "flash",
        sell_into_amm,
        "route:ATH/AUSD",
        sender="flash",
    )
    profit = ledger.balance_of("AUSD", "flash")
    assert profit > 0 and ledger.balance_of("ATH", "amm") > 0
    assert s.errors() == []


def test_take__callback_raises__whole_take_rolled_back(
    crashed: tuple[LiqSystem, int, int],
) -> None:
    s, _, aid = crashed

    def broke(sender: str, owe: int, slice_wad: int, data: Any) -> None:
        raise InvalidInput("amm/slippage", "pool moved")

    price = s.d.auction("ATH-A", aid).price_ray
    assert_refused(
        s.chain,
        InvalidInput,
        "amm/slippage",
        s.d.take,
        "ATH-A",
        aid,
        WAD,
        price,
        "",
        broke,
        sender="keeper",
    )


def test_take__buyer_cannot_pay__refused_and_unchanged(crashed: tuple[LiqSystem, int, int]) -> None:
    s, _, aid = crashed
    price = s.d.auction("ATH-A", aid).price_ray
    assert_refused(
        s.chain,
        InvalidInput,
        "ledger/insufficient-balance",
        s.d.take,
        "ATH-A",
        aid,
        wad(1000),
        price,
        sender="pauper",
    )


def test_redo__after_tail__new_top_and_keeper_paid(crashed: tuple[LiqSystem, int, int]) -> None:
    s, _, aid = crashed
    d = s.d
    s.chain.advance(d.clippers["ATH-A"].params.tail_s + 1)
    st = d.auction("ATH-A", aid)
    assert st.needs_redo
    assert_refused(
        s.chain,
        InvalidInput,
        "cdp/needs-reset",
        d.take,
        "ATH-A",
        aid,
        WAD,
        st.price_ray,
        sender="keeper",
    )
    s.d.poke_prices(sender="poker")
    before = s.chain.ledger.balance_of("AUSD", "k2")
    top = d.redo("ATH-A", aid, sender="k2")
    assert top == d.clippers["ATH-A"].sales[aid].top_ray == 8 * RAY // 10 * 12 // 10
    assert s.chain.ledger.balance_of("AUSD", "k2") > before
    assert not d.auction("ATH-A", aid).needs_redo and s.errors() == []


def test_redo__below_cusp__allowed() -> None:
    s = build(tail_s=10**7)
    s.usdc_to_ausd("keeper", 10_000)
    vid = s.vault("alice", 20_000, 10_000)
    s.set_price("0.80")
    s.settle()
    aid = s.d.bark(vid, sender="keeper")
    s.chain.advance(60 * 95)  # 0.99^95 = 0.385 < cusp 0.40
    assert s.d.auction("ATH-A", aid).needs_redo
    s.d.poke_prices(sender="poker")
    s.d.redo("ATH-A", aid, sender="keeper")


# -- bad input: typed errors, state unchanged ------------------------------------------------
def test_bark__safe_vault__refused_unchanged(liq: LiqSystem) -> None:
    vid = liq.vault("alice", 20_000, 10_000)
    assert_refused(liq.chain, InvalidInput, "cdp/not-unsafe", liq.d.bark, vid, sender="keeper")


def test_bark__unknown_or_closed_vault__refused(liq: LiqSystem) -> None:
    assert_refused(liq.chain, InvalidInput, "cdp/unknown-vault", liq.d.bark, 999, sender="keeper")
    assert_refused(liq.chain, InvalidInput, "input/bad-type", liq.d.bark, "1", sender="keeper")


def test_bark__stale_price__refused(liq: LiqSystem) -> None:
    vid = liq.vault("alice", 20_000, 10_000)
    liq.chain.advance(5 * 3600)  # no pokes: the OSM is stale
    assert_refused(liq.chain, StalePrice, "cdp/invalid-price", liq.d.bark, vid, sender="keeper")


def test_take__more_than_lot__clamped_to_lot_like_dss(crashed: tuple[LiqSystem, int, int]) -> None:
    """dss takes ``min(lot, amt)``: keepers pass uint256.max to buy whatever is left."""
    s, _, aid = crashed
    st = s.d.auction("ATH-A", aid)
    sale = s.d.clippers["ATH-A"].sales[aid]
    expect = take_amounts(sale.lot_wad, sale.tab_rad, sale.lot_wad, st.price_ray, 0)
    got = s.d.take("ATH-A", aid, MAX_UINT256, st.price_ray, sender="keeper")
    assert got == expect
    assert s.errors() == []


def test_take__above_max_price__refused_unchanged(crashed: tuple[LiqSystem, int, int]) -> None:
    s, _, aid = crashed
    st = s.d.auction("ATH-A", aid)
    assert_refused(
        s.chain,
        Slippage,
        "cdp/too-expensive",
        s.d.take,
        "ATH-A",
        aid,
        WAD,
        st.price_ray - 1,
        sender="keeper",
    )


@pytest.mark.parametrize(
    "args, code",
    [
        (("ATH-A", 99, WAD, 10**30), "cdp/not-running-auction"),
        (("ATH-A", 1, 0, 10**30), "input/bad-amount"),
        (("ATH-A", 1, -5, 10**30), "input/bad-amount"),
        (("ATH-A", 1, 1.5, 10**30), "input/bad-type"),
        (("NOPE", 1, WAD, 10**30), "cdp/unknown-ilk"),
        (("ATH-A", 1, WAD, 10**30, "AUSD:vow"), "cdp/bad-recipient"),
    ],
)
def test_take__bad_arguments__refused_unchanged(
    crashed: tuple[LiqSystem, int, int], args: tuple[Any, ...], code: str
) -> None:
    s, _, _ = crashed
    assert_refused(s.chain, InvalidInput, code, s.d.take, *args, sender="keeper")


def test_redo__live_auction__refused_unchanged(crashed: tuple[LiqSystem, int, int]) -> None:
    s, _, aid = crashed
    assert_refused(
        s.chain, InvalidInput, "cdp/cannot-reset", s.d.redo, "ATH-A", aid, sender="keeper"
    )


def test_bark__limit_hit__limit_exceeded_unchanged() -> None:
    s = build(hole=11_000)
    a = s.vault("alice", 20_000, 10_000)
    b = s.vault("bob", 20_000, 10_000)
    s.set_price("0.80")
    s.settle()
    s.d.bark(a, sender="keeper")  # the dust rule takes all: dirt overshoots hole, within bound
    milk = s.d.dog.ilks["ATH-A"]
    assert milk.hole_rad < milk.dirt_rad <= milk.hole_rad + 500 * RAD * 113 // 100
    assert s.d.vat.vaults[a].art_wad == 0 and s.errors() == []
    assert_refused(
        s.chain, LimitExceeded, "cdp/liquidation-limit-hit", s.d.bark, b, sender="keeper"
    )


def test_bark__partial_below_dust__unsafe_unchanged() -> None:
    s = build(hole=5_000)
    s.d.file("dust", 8_000 * RAD, ilk="ATH-A", sender="gov")
    vid = s.vault("alice", 40_000, 20_000)
    s.set_price("0.80")
    s.settle()
    assert_refused(
        s.chain,
        Unsafe,
        "cdp/dusty-auction-from-partial-liquidation",
        s.d.bark,
        vid,
        sender="keeper",
    )


def test_clipper_stopped__levels_block_kick_redo_take(crashed: tuple[LiqSystem, int, int]) -> None:
    s, _, aid = crashed
    d = s.d
    other = s.vault("bob", 30_000, 10_000)
    s.set_price("0.50")
    s.settle()
    clip = d.clippers["ATH-A"]
    clip.file("stopped", 1, sender="gov")
    assert_refused(s.chain, ShutDown, "cdp/stopped", d.bark, other, sender="keeper")
    clip.file("stopped", 3, sender="gov")
    st = d.auction("ATH-A", aid)
    assert_refused(
        s.chain, ShutDown, "cdp/stopped", d.take, "ATH-A", aid, WAD, st.price_ray, sender="keeper"
    )
    assert_refused(s.chain, InvalidInput, "cdp/unknown-param", clip.file, "nope", 1, sender="gov")
    assert_refused(
        s.chain, NotAuthorized, "cdp/not-admin", clip.file, "stopped", 0, sender="mallory"
    )


def test_dog_file__guardrails__refused_unchanged(liq: LiqSystem) -> None:
    dog = liq.d.dog
    assert_refused(liq.chain, InvalidInput, "cdp/unknown-param", dog.file, "Dirt", 1, sender="gov")
    assert_refused(
        liq.chain,
        InvalidInput,
        "cdp/guardrail",
        dog.file,
        "chop",
        WAD - 1,
        ilk="ATH-A",
        sender="gov",
    )
    assert_refused(
        liq.chain, InvalidInput, "cdp/unknown-ilk", dog.file, "hole", 1, ilk="X", sender="gov"
    )
    dog.file("hole", 7 * RAD, ilk="ATH-A", sender="gov")
    assert dog.ilks["ATH-A"].hole_rad == 7 * RAD


def test_redo__bad_keeper__refused_unchanged(crashed: tuple[LiqSystem, int, int]) -> None:
    s, _, aid = crashed
    s.chain.advance(s.d.clippers["ATH-A"].params.tail_s + 1)
    s.d.poke_prices(sender="poker")
    assert_refused(
        s.chain, InvalidInput, "input/bad-type", s.d.redo, "ATH-A", aid, 5, sender="keeper"
    )
