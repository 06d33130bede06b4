"""Prices: feeds, median, OSM delay and staleness, the jump guard, spot, derivative valuation."""

from __future__ import annotations

import pytest

from peglab.errors import InvalidInput, NotAuthorized, StalePrice
from peglab.examples.systems import DemoSystem, two_ai_dollars
from peglab.kernel import Chain
from peglab.protocols.cdp import OSM, Median, PriceFeed
from peglab.testing import assert_refused
from peglab.units import RAY, WAD, wad

HOP = 3600


def fresh_osm(price: str = "1.0", **kw: int) -> tuple[Chain, PriceFeed, OSM]:
    c = Chain(start_time=100 * HOP)
    f = PriceFeed(c, "T", wad(price))
    c.grant(f.role, "oracle", sender="gov")
    osm = OSM(c, "T", f, hop_s=HOP, **kw)
    osm.seed()
    return c, f, osm


def test_osm__new_price__used_one_hop_later() -> None:
    c, f, osm = fresh_osm()
    f.set_price(wad("1.2"), sender="oracle")
    c.advance(HOP)
    osm.poke(sender="k")
    assert osm.peek() == (wad("1"), True) and osm.peep() == (wad("1.2"), True)
    c.advance(HOP)
    osm.poke(sender="k")
    assert osm.peek() == (wad("1.2"), True)


def test_osm__poke_before_hop__refused_state_unchanged() -> None:
    c, _, osm = fresh_osm()
    c.advance(HOP - 1)
    assert_refused(c, StalePrice, "cdp/osm-not-passed", osm.poke, sender="k")


def test_osm__no_poke_past_max_age__stale() -> None:
    c, _, osm = fresh_osm()
    c.advance(3 * HOP)
    assert osm.peek()[1]
    c.advance(1)
    assert osm.peek() == (wad("1"), False)


def test_osm__source_outage__value_kept_until_stale() -> None:
    c, f, osm = fresh_osm()
    f.set_price(0, ok=False, sender="oracle")
    c.advance(HOP)
    assert osm.poke(sender="k") is False
    assert osm.peek()[1]
    c.advance(3 * HOP)
    assert not osm.peek()[1]


def test_osm__one_hop_manipulation__never_used() -> None:
    """S5(b): a +50% print for one hop, then correct: the OSM never exposes it."""
    c, f, osm = fresh_osm()
    f.set_price(wad("1.5"), sender="oracle")
    c.advance(HOP)
    osm.poke(sender="k")
    assert osm.peep() == (wad("1"), True) and any(
        e.event.kind == "cdp/price-jump-held" for e in c.log
    )
    f.set_price(wad("1.0"), sender="oracle")
    for _ in range(3):
        c.advance(HOP)
        osm.poke(sender="k")
        assert osm.peek()[0] == wad("1") and osm.peep()[0] == wad("1")


def test_osm__genuine_crash__accepted_one_hop_later() -> None:
    c, f, osm = fresh_osm()
    f.set_price(wad("0.5"), sender="oracle")
    c.advance(HOP)
    osm.poke(sender="k")
    assert osm.peep()[0] == wad("1")  # held
    f.set_price(wad("0.495"), sender="oracle")  # confirmed within 2%
    c.advance(HOP)
    osm.poke(sender="k")
    assert osm.peep()[0] == wad("0.495")
    c.advance(HOP)
    osm.poke(sender="k")
    assert osm.peek()[0] == wad("0.495")


def test_osm__void__stopped() -> None:
    c, _, osm = fresh_osm()
    osm.void()
    assert osm.peek() == (0, False)
    c.advance(HOP)
    with pytest.raises(Exception, match="stopped"):
        osm.poke(sender="k")


def test_feed__unauthorised_or_bad__refused_state_unchanged() -> None:
    c, f, _ = fresh_osm()
    assert_refused(c, NotAuthorized, "oracle/not-poker", f.set_price, wad(1), sender="eve")
    assert_refused(c, InvalidInput, "oracle/zero-price", f.set_price, 0, sender="oracle")
    assert_refused(c, InvalidInput, "input/bad-amount", f.set_price, -1, sender="oracle")


def test_median__quorum__median_or_invalid() -> None:
    c = Chain()
    feeds = [PriceFeed(c, f"F{i}", wad(p)) for i, p in enumerate(["1.0", "1.2", "0.9", "5.0"])]
    m = Median("M", list(feeds), quorum=3)
    assert m.read()[:2] == ((wad("1.0") + wad("1.2")) // 2, True)
    c.grant(feeds[0].role, "o", sender="gov")
    c.grant(feeds[1].role, "o", sender="gov")
    feeds[0].set_price(0, ok=False, sender="o")
    assert m.read()[:2] == (wad("1.2"), True)
    feeds[1].set_price(0, ok=False, sender="o")
    assert m.read()[1] is False
    with pytest.raises(InvalidInput):
        Median("bad", list(feeds), quorum=5)


def test_spot__formula__price_over_mat() -> None:
    s = two_ai_dollars()
    spot = s.dollars["AUSD"].vat.ilks["ATH-A"].spot_ray
    assert spot == wad("0.05") * 10**9 * RAY // (RAY * 175 // 100)


def derivative_system() -> tuple[DemoSystem, int]:
    s = two_ai_dollars()
    c = s.chain
    c.ledger.mint("ATH", "alice", wad(1_000_000))
    s.staking["stATH"].stake(wad(1_000_000), sender="alice")
    c.ledger.mint("ATH", "rewards", wad(1_000_000))
    return s, wad("0.05")


def test_derivative__valued_through_rate_with_haircut() -> None:
    s, p = derivative_system()
    ausd = s.dollars["AUSD"]
    ausd.poke("stATH-A", sender="k")
    val, ok = ausd.spotter.value("stATH-A")
    assert ok and val == p * 98 // 100  # er = 1, haircut 2%


def test_derivative__rate_jump__growth_capped_per_day() -> None:
    s, p = derivative_system()
    ausd, pool, c = s.dollars["AUSD"], s.staking["stATH"], s.chain
    ausd.poke("stATH-A", sender="k")
    pool.add_rewards(wad(100_000), sender="rewards")  # er jumps to 1.1 at once
    c.advance(86_400)
    s.poke_all()
    er_eff = ausd.spotter.ilks["stATH-A"].er_prev_wad
    assert er_eff == WAD + WAD // 1000  # +0.1% after one day, not +10%
    assert pool.exchange_rate_wad() == wad("1.1")


def test_derivative__slashing__passes_through_and_pauses_debt() -> None:
    s, _ = derivative_system()
    ausd, pool, c = s.dollars["AUSD"], s.staking["stATH"], s.chain
    vid = ausd.open_vault("stATH-A", sender="alice")
    ausd.deposit(vid, wad(500_000), sender="alice")
    ausd.mint(vid, wad(5_000), sender="alice")
    pool.slash(wad("0.10"), sender="gov")
    ausd.poke("stATH-A", sender="k")
    assert ausd.spotter.ilks["stATH-A"].er_prev_wad == wad("0.9")
    assert ausd.vat.ilks["stATH-A"].paused
    assert any(e.event.kind == "cdp/slash-event" for e in c.log)
    with pytest.raises(Exception, match="paused"):
        ausd.mint(vid, wad(1), sender="alice")


def test_staking__bad_input__refused() -> None:
    s, _ = derivative_system()
    pool, c = s.staking["stATH"], s.chain
    assert_refused(c, InvalidInput, "input/bad-amount", pool.stake, 0, sender="alice")
    assert_refused(c, NotAuthorized, "staking/not-slasher", pool.slash, wad("0.1"), sender="alice")
    assert_refused(c, InvalidInput, "staking/bad-fraction", pool.slash, wad(2), sender="gov")
    assert_refused(
        c, InvalidInput, "ledger/insufficient-balance", pool.unstake, wad(2_000_000), sender="alice"
    )


def test_staking__round_trip__never_returns_more() -> None:
    s, _ = derivative_system()
    pool, c = s.staking["stATH"], s.chain
    pool.add_rewards(wad(333_333), sender="rewards")
    c.ledger.mint("ATH", "bob", 10**18 + 7)
    shares = pool.stake(10**18 + 7, sender="bob")
    assert pool.unstake(shares, sender="bob") <= 10**18 + 7
