"""English collateral auctions (dss flip.sol): differential vectors, bad input, Black Thursday, invariants.

The vectors (tests/vectors/dss_flip.json, from tools/gen_dss_flip_vectors.py, which does not
import peglab) are replayed through the whole engine: a vault is opened, crashed and barked, then
every tend/dent/deal/tick of the case runs at its relative time and the auction's state and every
balance movement are compared bit-exactly.
"""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from support.cdp import LiqSystem, build

from peglab.errors import InvalidInput, NotAuthorized, PeglabError
from peglab.protocols.cdp import flip as flip_module
from peglab.protocols.cdp.events import FlipAuctionDealt, LiquidationStarted
from peglab.protocols.cdp.flip import BLACK_THURSDAY_TAU_S, BLACK_THURSDAY_TTL_S
from peglab.testing import assert_refused
from peglab.units import RAD, RAY, WAD, wad

CASES = json.loads((Path(__file__).parent / "vectors" / "dss_flip.json").read_text())["cases"]
BIDDERS = ("b1", "b2", "b3")
ILK = "ATH-A"


def english(**overrides: Any) -> LiqSystem:
    kw: dict[str, Any] = {"auction": "english", "apr": "0"}
    kw.update(overrides)
    return build(**kw)


def net_dai(s: LiqSystem, who: str) -> int:
    """Internal AI dollars plus AI-dollar tokens of ``who`` [rad]."""
    ledger = s.chain.ledger
    return ledger.balance_of(s.d.vat.dai, who) + ledger.balance_of("AUSD", who) * RAY


# -- differential vectors ----------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"tab{c['setup']['tab'][:6]}-{len(c['ops'])}")
def test_flip__dss_vectors__bit_exact_through_the_engine(case: dict[str, Any]) -> None:
    su = {k: int(v) for k, v in case["setup"].items()}
    s = english(
        chop_wad=su["chop"],
        beg_wad=su["beg"],
        ttl_s=su["ttl"],
        flip_tau_s=su["tau"],
        tip_rad=0,
        chip_wad=0,
    )
    d, ledger = s.d, s.chain.ledger
    for b in BIDDERS:
        s.usdc_to_ausd(b, 1_000_000)
    ledger.mint("ATH", "owner", su["ink"])
    vid = d.open_vault(ILK, sender="owner")
    d.deposit(vid, su["ink"], sender="owner")
    d.mint(vid, su["art"], sender="owner")
    s.set_price(su["price"])
    s.settle()
    aid = d.bark(vid, sender="keeper")
    ev = s.chain.log[-1].event
    assert isinstance(ev, LiquidationStarted)
    assert (ev.ink_wad, ev.due_rad, ev.tab_rad) == (su["dink"], su["due"], su["tab"])
    t0 = s.chain.now
    flip = d.flipper(ILK)
    watched = [*BIDDERS, "owner"]
    for op in case["ops"]:
        s.chain.advance(int(op["dt"]))
        who, lot, bid = op["who"], int(op["lot"]), int(op["bid"])
        call: Any = {
            "tend": partial(d.tend, ILK, aid, lot, bid, sender=who),
            "dent": partial(d.dent, ILK, aid, lot, bid, sender=who),
            "deal": partial(d.deal, ILK, aid, sender=who),
            "tick": partial(d.tick, ILK, aid, sender=who),
        }[op["op"]]
        if "error" in op:
            reason = "not-running-auction" if op["error"] == "guy-not-set" else op["error"]
            assert_refused(s.chain, InvalidInput, f"flip/{reason}", call)
            continue
        dai0 = {k: net_dai(s, k) for k in watched} | {"vow": d.vow.dai_rad}
        gem0 = {k: ledger.balance_of("ATH", k) for k in watched}
        dirt0 = d.dog.ilks[ILK].dirt_rad
        call()
        assert s.errors() == []
        if op["closed"]:
            assert aid not in flip.bids
        else:
            b = flip.bids[aid]
            assert (b.bid_rad, b.lot_wad, b.guy) == (int(op["bid"]), int(op["lot"]), op["guy"])
            assert (b.tic - t0 if b.tic else 0, b.end - t0) == (int(op["tic"]), int(op["end"]))
        dai1 = {k: net_dai(s, k) for k in watched} | {"vow": d.vow.dai_rad}
        for k in dai1:
            assert dai1[k] - dai0[k] == int(op["dai_delta"].get(k, "0")), (k, op)
        for k in watched:
            got = ledger.balance_of("ATH", k) - gem0[k]
            assert got == int(op["gem_delta"].get(k, "0")), (k, op)
        assert dirt0 - d.dog.ilks[ILK].dirt_rad == int(op["claw"])


def test_vectors__cover_every_rule() -> None:
    outcomes = {op.get("error", "ok " + op["op"]) for c in CASES for op in c["ops"]}
    for needed in (
        "ok tend",
        "ok dent",
        "ok deal",
        "ok tick",
        "higher-than-tab",
        "bid-not-higher",
        "insufficient-increase",
        "tend-not-finished",
        "insufficient-decrease",
        "already-finished-tic",
        "already-finished-end",
        "not-finished",
        "bid-already-placed",
    ):
        assert needed in outcomes


# -- one auction, by hand -------------------------------------------------------------------------
@pytest.fixture
def auction() -> tuple[LiqSystem, int]:
    """A 10,000 AI-dollar vault on 20,000 ATH crashed to $0.80 and barked: tab 11,300."""
    s = english(hole=60_000)
    for b in BIDDERS:
        s.usdc_to_ausd(b, 100_000)
    vid = s.vault("alice", 20_000, 10_000)
    s.set_price("0.80")
    s.settle()
    aid = s.d.bark(vid, sender="keeper")
    return s, aid


def test_launch__english_collateral__flipper_wired_and_no_clipper(
    auction: tuple[LiqSystem, int],
) -> None:
    s, aid = auction
    d = s.d
    assert ILK in d.flippers and ILK not in d.clippers
    st_ = d.flip_status(ILK, aid)
    assert st_.phase == "tend" and st_.bid_rad == 0 and st_.guy == "" and st_.tic == 0
    assert st_.tab_rad == 11_300 * RAD and st_.lot_wad == wad(20_000)
    assert st_.end == s.chain.now + 2 * 86_400  # default tau: 2 days
    assert d.flip_auctions(ILK) == [aid]
    p = d.flipper(ILK).params
    assert (p.beg_wad, p.ttl_s, p.tau_s) == (WAD * 105 // 100, 3 * 3600, 2 * 86_400)
    # the keeper incentive is unchanged: tip 20 + 0.1% of the tab
    assert s.chain.ledger.balance_of("AUSD", "keeper") == wad("31.3")


def test_tend_dent_deal__full_auction__value_flows(auction: tuple[LiqSystem, int]) -> None:
    s, aid = auction
    d, ledger = s.d, s.chain.ledger
    tab, lot = 11_300 * RAD, wad(20_000)
    vow0 = d.vow.dai_rad
    b1_0, b2_0 = net_dai(s, "b1"), net_dai(s, "b2")
    d.tend(ILK, aid, lot, 5_000 * RAD, sender="b1")
    assert d.vow.dai_rad - vow0 == 5_000 * RAD and net_dai(s, "b1") == b1_0 - 5_000 * RAD
    d.tend(ILK, aid, lot, tab, sender="b2")  # the whole tab, beg or not
    assert net_dai(s, "b1") == b1_0  # refunded
    assert d.vow.dai_rad - vow0 == tab and net_dai(s, "b2") == b2_0 - tab
    assert d.flip_status(ILK, aid).phase == "dent"
    alice0 = ledger.balance_of("ATH", "alice")
    d.dent(ILK, aid, wad(15_000), tab, sender="b1")
    assert ledger.balance_of("ATH", "alice") - alice0 == wad(5_000)  # freed collateral home
    assert net_dai(s, "b2") == b2_0 and net_dai(s, "b1") == b1_0 - tab
    assert_refused(s.chain, InvalidInput, "flip/not-finished", d.deal, ILK, aid, sender="x")
    s.chain.advance(3 * 3600 + 1)
    assert d.deal(ILK, aid, sender="anyone") == (wad(15_000), tab)
    assert ledger.balance_of("ATH", "b1") == wad(15_000)
    assert d.dog.ilks[ILK].dirt_rad == 0 and d.flip_auctions(ILK) == []
    ev = s.chain.log[-1].event
    assert isinstance(ev, FlipAuctionDealt) and ev.shortfall_rad == 0
    assert s.errors() == []


def test_tend__one_wei_bid__wins_the_lot_and_leaves_the_debt_bad(
    auction: tuple[LiqSystem, int],
) -> None:
    s, aid = auction
    d, ledger = s.d, s.chain.ledger
    d.tend(ILK, aid, wad(20_000), 1, sender="b1")  # 1 rad-wei beats the initial 0: no special case
    s.chain.advance(3 * 3600 + 1)
    d.deal(ILK, aid, sender="b1")
    assert ledger.balance_of("ATH", "b1") == wad(20_000)
    ev = s.chain.log[-1].event
    assert isinstance(ev, FlipAuctionDealt) and ev.shortfall_rad == 11_300 * RAD - 1
    s.chain.advance(d.vow.state.wait_s)
    d.vow.flog_all(sender="x")
    d.vow.heal(sender="x")
    # the 10,000 of debt and the 31.3 of keeper coin are bad; the 1-wei bid healed 1 rad of it
    assert d.vow.free_debt_rad == wad("10031.3") * RAY - 1
    assert s.errors() == []


def test_tick__no_bid_after_end__restarts(auction: tuple[LiqSystem, int]) -> None:
    s, aid = auction
    d = s.d
    end0 = d.flip_status(ILK, aid).end
    s.chain.warp(end0)  # at end exactly: neither a bid nor a tick (flip.sol's strict inequalities)
    assert_refused(s.chain, InvalidInput, "flip/already-finished-end", d.tend, ILK, aid, wad(20_000), 1, sender="b1")  # fmt: skip
    assert_refused(s.chain, InvalidInput, "flip/not-finished", d.tick, ILK, aid, sender="b1")
    s.chain.advance(1)
    assert d.flip_status(ILK, aid).needs_tick
    assert d.tick(ILK, aid, sender="b1") == s.chain.now + 2 * 86_400
    d.tend(ILK, aid, wad(20_000), 1, sender="b1")
    s.chain.advance(2 * 86_400 + 1)  # ended, but with a bid: deal, not tick
    assert_refused(s.chain, InvalidInput, "flip/bid-already-placed", d.tick, ILK, aid, sender="b1")
    d.deal(ILK, aid, sender="b1")


# -- bad input: typed error, state hash and event log unchanged ---------------------------------
def test_bad_input__each_kind__refused_without_state_change(auction: tuple[LiqSystem, int]) -> None:
    s, aid = auction
    d, c = s.d, s.chain
    tab, lot = 11_300 * RAD, wad(20_000)
    assert_refused(c, InvalidInput, "flip/higher-than-tab", d.tend, ILK, aid, lot, tab + 1, sender="b1")  # fmt: skip
    assert_refused(c, InvalidInput, "flip/not-running-auction", d.tend, ILK, 99, lot, 1, sender="b1")  # fmt: skip
    assert_refused(c, InvalidInput, "input/bad-type", d.deal, ILK, "1", sender="b1")
    assert_refused(c, InvalidInput, "flip/lot-not-matching", d.tend, ILK, aid, lot - 1, 1, sender="b1")  # fmt: skip
    assert_refused(c, InvalidInput, "flip/tend-not-finished", d.dent, ILK, aid, lot - 1, 0, sender="b1")  # fmt: skip
    assert_refused(c, InvalidInput, "flip/not-finished", d.deal, ILK, aid, sender="b1")  # no bid
    assert_refused(c, InvalidInput, "flip/not-finished", d.tick, ILK, aid, sender="b1")  # not ended
    assert_refused(c, InvalidInput, "input/bad-amount", d.tend, ILK, aid, lot, -1, sender="b1")
    assert_refused(
        c, InvalidInput, "input/out-of-range", d.tend, ILK, aid, lot, 2**256, sender="b1"
    )
    assert_refused(c, NotAuthorized, "auth/engine-account", d.tend, ILK, aid, lot, 1, sender="AUSD:vow")  # fmt: skip
    assert_refused(c, InvalidInput, "cdp/unknown-ilk", d.tend, "NOPE", aid, lot, 1, sender="b1")
    d.tend(ILK, aid, lot, 1_000 * RAD, sender="b1")
    assert_refused(c, InvalidInput, "flip/bid-not-higher", d.tend, ILK, aid, lot, 1_000 * RAD, sender="b2")  # fmt: skip
    assert_refused(c, InvalidInput, "flip/insufficient-increase", d.tend, ILK, aid, lot, 1_049 * RAD, sender="b2")  # fmt: skip
    assert_refused(c, InvalidInput, "flip/not-finished", d.deal, ILK, aid, sender="b1")  # tic ahead
    d.tend(ILK, aid, lot, 1_050 * RAD, sender="b2")  # exactly beg: accepted
    d.tend(ILK, aid, lot, tab, sender="b3")  # the tab: the dent phase
    assert_refused(c, InvalidInput, "flip/higher-than-tab", d.tend, ILK, aid, lot, tab + 1, sender="b1")  # fmt: skip
    assert_refused(c, InvalidInput, "flip/bid-not-higher", d.tend, ILK, aid, lot, tab, sender="b1")  # fmt: skip
    assert_refused(c, InvalidInput, "flip/not-matching-bid", d.dent, ILK, aid, lot // 2, tab - 1, sender="b1")  # fmt: skip
    assert_refused(c, InvalidInput, "flip/lot-not-lower", d.dent, ILK, aid, lot, tab, sender="b1")  # fmt: skip
    assert_refused(c, InvalidInput, "flip/insufficient-decrease", d.dent, ILK, aid, lot * 100 // 104, tab, sender="b1")  # fmt: skip
    c.advance(3 * 3600)  # tic == now: the bid has expired
    assert_refused(c, InvalidInput, "flip/already-finished-tic", d.dent, ILK, aid, lot // 2, tab, sender="b1")  # fmt: skip
    assert_refused(
        c, InvalidInput, "flip/not-finished", d.deal, ILK, aid, sender="b1"
    )  # tic == now
    # shutdown cannot cancel an auction that raised its tab: it must be dealt (dss End.skip)
    d.poke_prices(sender="poker")
    d.shutdown(sender="gov")
    d.end.cage_ilk(ILK, sender="x")
    assert_refused(c, InvalidInput, "flip/already-dent-phase", d.end.snip, ILK, aid, sender="x")
    f = d.flipper(ILK)
    assert_refused(c, InvalidInput, "cdp/unknown-param", f.file, "buf", 1, sender="gov")
    assert_refused(c, InvalidInput, "cdp/bad-value", f.file, "beg", WAD - 1, sender="gov")
    assert_refused(c, NotAuthorized, "cdp/not-admin", f.file, "ttl", 600, sender="b1")
    assert s.errors() == []


def test_launch__unknown_auction_kind__refused() -> None:
    with pytest.raises(InvalidInput) as e:
        english(auction="japanese")
    assert e.value.code == "input/bad-type"  # a Literal field of the spec, checked at the boundary


def test_shutdown__tend_phase_auction__snipped_bidder_refunded(
    auction: tuple[LiqSystem, int],
) -> None:
    s, aid = auction
    d, end = s.d, s.d.end
    b1 = net_dai(s, "b1")
    d.tend(ILK, aid, wad(20_000), 3_000 * RAD, sender="b1")
    d.shutdown(sender="gov")
    end.cage_ilk(ILK, sender="x")
    end.snip(ILK, aid, sender="x")
    assert net_dai(s, "b1") == b1 and d.flip_auctions(ILK) == []
    vid = d.vaults_of("alice")[0]
    assert d.vat.vaults[vid].ink_wad == wad(20_000)  # the lot went back to the vault
    assert s.errors() == []


# -- Black Thursday -----------------------------------------------------------------------------
def crash_book(s: LiqSystem, n: int = 20) -> list[int]:
    """``n`` vaults with collateral ratios 2.0 .. 3.5 at $1 (debt 1,000 .. 2,900 AI dollars)."""
    out = []
    for i in range(n):
        debt = 1_000 + 100 * i
        out.append(s.vault(f"u{i}", debt * (200 + 150 * i // (n - 1)) // 100, debt))
    return out


def black_thursday(competitive: bool) -> tuple[int, int, int]:
    """Crash 65% (to $0.35), bark everything, then auctions with ttl 10 min / tau 6 h.

    Returns ``(debt seized, bad debt left after healing, auctions won for 1 wei)`` [rad, rad, n].
    """
    s = english(ttl_s=BLACK_THURSDAY_TTL_S, flip_tau_s=BLACK_THURSDAY_TAU_S)
    d, vow = s.d, s.d.vow
    price = wad("0.35")
    for k in ("k1", "k2", "whale"):
        s.usdc_to_ausd(k, 200_000)
    vids = crash_book(s)
    s.set_price(price)
    s.settle()
    aids = [d.bark(v, sender="keeper") for v in vids]
    seized = sum(e.event.due_rad for e in s.chain.log if isinstance(e.event, LiquidationStarted))
    one_wei = 0
    for aid in aids:
        if not competitive:  # keepers absent (gas spike): one bidder, 1 wei each
            d.tend(ILK, aid, d.flip_status(ILK, aid).lot_wad, 1, sender="whale")
            one_wei += 1
            continue
        bidders = ("k1", "k2")
        st_ = d.flip_status(ILK, aid)
        d.tend(ILK, aid, st_.lot_wad, st_.lot_wad * price // 10 * RAY // WAD, sender="k1")
        turn = 1
        while True:  # each keeper outbids while the lot is worth more than the bid at market
            st_ = d.flip_status(ILK, aid)
            who = bidders[turn % 2]
            if st_.phase == "tend" and st_.min_bid_rad <= st_.lot_wad * price * RAY // WAD:
                d.tend(ILK, aid, st_.lot_wad, st_.min_bid_rad, sender=who)
            elif st_.phase == "dent" and st_.max_lot_wad * price * RAY // WAD >= st_.tab_rad:
                d.dent(ILK, aid, st_.max_lot_wad, st_.tab_rad, sender=who)
            else:
                break
            turn += 1
    s.chain.advance(BLACK_THURSDAY_TTL_S + 1)
    for aid in aids:
        d.deal(ILK, aid, sender="keeper")
    assert s.errors() == []
    s.chain.advance(vow.state.wait_s)
    vow.flog_all(sender="x")
    if min(vow.dai_rad, vow.free_debt_rad):
        vow.heal(sender="x")
    return seized, vow.free_debt_rad, one_wei


def test_black_thursday__single_one_wei_bidder__almost_all_debt_bad() -> None:
    seized, bad, one_wei = black_thursday(competitive=False)
    assert one_wei == 20
    # 39,000 AI dollars of debt seized; all of it, plus the keepers' 20 tips of 20 and chips of
    # 0.1% of each tab (44.07), is bad debt, less the 20 bids of 1 wei
    assert seized == 39_000 * RAD
    assert (
        bad
        == 39_000 * RAD
        + 20 * 20 * RAD
        + sum((1_000 + 100 * i) * 113 * RAD // 100_000 for i in range(20))
        - 20
    )
    assert bad * 100 > seized * 99


def test_black_thursday__competitive_bidders__far_less_bad_debt() -> None:
    seized, bad, _ = black_thursday(competitive=False)
    seized_c, bad_c, _ = black_thursday(competitive=True)
    assert seized_c == seized
    # competitive keepers bid up to the collateral's market value: only the vaults that were
    # under water at $0.35 leave bad debt, and the penalties paid by the others heal part of it
    assert bad_c * 10 < bad
    # both numbers, in AI dollars: 39,444.07 of bad debt with 1-wei bids, 971.02 with two keepers
    assert bad == 39_444_070_000_000_000_000_000 * RAD // WAD - 20
    assert bad_c == 971_024_348_998_114_123_722_934_878_330_517_299_536_783_817_937


# -- stateful: invariants after every step --------------------------------------------------------
def check_all(s: LiqSystem) -> None:
    errs = s.errors()
    assert not errs, errs


def attempt(s: LiqSystem, fn: Any, label: str = "") -> bool:
    h, n = s.chain.state_hash(), len(s.chain.log)
    try:
        fn()
        if label:
            event(f"ok {label}")
    except PeglabError as e:
        assert s.chain.state_hash() == h, f"refused {e.code} changed state"
        assert len(s.chain.log) == n, "a refused action published events"
        event(f"refused {e.code}")
        return False
    return True


class FlipMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.s = english(hole=40_000, ttl_s=600, flip_tau_s=6 * 3600)
        for b in BIDDERS:
            self.s.usdc_to_ausd(b, 300_000)
        for u in ("alice", "bob"):
            self.s.chain.ledger.mint("ATH", u, wad(1_000_000))
        self.price = WAD
        self.shut = False
        self.steps = 0

    @property
    def d(self) -> Any:
        return self.s.d

    def auctions(self) -> list[int]:
        return list(self.d.flip_auctions(ILK))

    @precondition(lambda self: not self.shut)
    @rule(owner=st.sampled_from(["alice", "bob"]), ath=st.integers(2_000, 40_000))
    def open_vault(self, owner: str, ath: int) -> None:
        d = self.d

        def go() -> None:
            with self.s.chain.transaction(owner):
                vid = d.open_vault(ILK, sender=owner)
                d.deposit(vid, wad(ath), sender=owner)
                d.mint(vid, wad(max(ath * self.price // WAD * 53 // 100, 600)), sender=owner)

        attempt(self.s, go)

    @precondition(lambda self: not self.shut)
    @rule(pct=st.integers(-35, 30))
    def price_move(self, pct: int) -> None:
        self.price = max(self.price * (100 + pct) // 100, 10**15)
        self.s.set_price(self.price)
        self.s.settle()

    def vaults(self) -> list[int]:
        return sorted(vid for vid, v in self.d.vat.vaults.items() if v.ilk == ILK)

    @precondition(lambda self: not self.shut and bool(self.vaults()))
    @rule(data=st.data())
    def bark(self, data: st.DataObject) -> None:
        vid = data.draw(st.sampled_from(self.vaults()))
        attempt(self.s, lambda: self.d.bark(vid, sender="keeper"), "bark")
        self.steps += 1

    @precondition(lambda self: bool(self.auctions()))
    @rule(
        data=st.data(),
        who=st.sampled_from(BIDDERS),
        how=st.sampled_from(["min", "one", "tab", "over", "half"]),
    )
    def tend(self, data: st.DataObject, who: str, how: str) -> None:
        aid = data.draw(st.sampled_from(self.auctions()))
        f = self.d.flipper(ILK)
        st_ = f.status(aid)
        bid = {
            "min": st_.min_bid_rad,
            "one": 1,
            "tab": st_.tab_rad,
            "over": st_.tab_rad + 1,
            "half": (st_.bid_rad + st_.tab_rad) // 2,
        }[how]
        attempt(self.s, lambda: self.d.tend(ILK, aid, st_.lot_wad, bid, sender=who), "tend")
        assert f.bids[aid].bid_rad <= f.bids[aid].tab_rad if aid in f.bids else True

    @precondition(lambda self: bool(self.auctions()))
    @rule(data=st.data(), who=st.sampled_from(BIDDERS), cut=st.integers(0, 60))
    def dent(self, data: st.DataObject, who: str, cut: int) -> None:
        aid = data.draw(st.sampled_from(self.auctions()))
        st_ = self.d.flip_status(ILK, aid)
        lot = st_.lot_wad * (100 - cut) // 100
        attempt(self.s, lambda: self.d.dent(ILK, aid, lot, st_.bid_rad, sender=who), "dent")

    @precondition(lambda self: bool(self.auctions()))
    @rule(data=st.data(), tick=st.booleans())
    def close(self, data: st.DataObject, tick: bool) -> None:
        aid = data.draw(st.sampled_from(self.auctions()))
        fn = self.d.tick if tick else self.d.deal
        attempt(self.s, lambda: fn(ILK, aid, sender="keeper"), "tick" if tick else "deal")

    @rule(seconds=st.sampled_from([1, 60, 599, 600, 601, 3600, 6 * 3600 + 1]))
    def time_passes(self, seconds: int) -> None:
        self.s.chain.advance(seconds)
        self.d.poke_prices(sender="poker")

    @precondition(lambda self: not self.shut)
    @rule()
    def buffer(self) -> None:
        attempt(self.s, lambda: self.d.vow.flog_all(sender="x"))
        attempt(self.s, lambda: self.d.vow.heal(sender="x"))

    @precondition(lambda self: not self.shut and bool(self.auctions()) and self.steps >= 4)
    @rule()
    def shutdown_and_snip(self) -> None:
        d = self.d
        d.shutdown(sender="gov")
        self.shut = True
        attempt(self.s, lambda: d.end.cage_ilk(ILK, sender="x"))
        for aid in self.auctions():
            attempt(self.s, partial(d.end.snip, ILK, aid, sender="x"), "snip")

    @invariant()
    def holds(self) -> None:
        check_all(self.s)


TestFlipMachine = FlipMachine.TestCase
TestFlipMachine.settings = settings(max_examples=80, stateful_step_count=50, deadline=None)


# -- canaries: each invariant can fail ------------------------------------------------------------
def test_canary__bid_guard_removed__bid_above_tab_invariant_fails(
    auction: tuple[LiqSystem, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    s, aid = auction
    monkeypatch.setattr(flip_module, "check_tend", lambda *a: None)
    s.d.tend(ILK, aid, wad(20_000), 11_300 * RAD + 1, sender="b1")
    assert any("outside [0, tab" in e for e in s.d.liquidation_invariant_errors())


def test_canary__deal_skips_digs__dirt_invariant_fails(
    auction: tuple[LiqSystem, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    s, aid = auction
    s.d.tend(ILK, aid, wad(20_000), 1, sender="b1")
    s.chain.advance(3 * 3600 + 1)
    monkeypatch.setattr(s.d.dog, "digs", lambda ilk, rad: None)
    s.d.deal(ILK, aid, sender="b1")
    assert any("dirt" in e for e in s.d.liquidation_invariant_errors())


def test_canary__bid_paid_from_nowhere__balance_sheet_fails(
    auction: tuple[LiqSystem, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    s, aid = auction
    f = s.d.flipper(ILK)
    dai = s.d.vat.dai

    def free_money(sender: str, moves: list[tuple[str, int]]) -> None:
        for to, rad in moves:
            s.chain.ledger.mint(dai, to, rad)

    monkeypatch.setattr(f, "_pay", free_money)
    s.d.tend(ILK, aid, wad(20_000), 100 * RAD, sender="b1")
    assert any("balance sheet" in e for e in s.d.liquidation_invariant_errors())


def test_canary__refund_without_system_debt__vat_invariant_fails(
    auction: tuple[LiqSystem, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    s, aid = auction
    d = s.d
    d.tend(ILK, aid, wad(20_000), 3_000 * RAD, sender="b1")
    d.shutdown(sender="gov")
    d.end.cage_ilk(ILK, sender="x")
    real = d.vat.suck
    monkeypatch.setattr(
        d.vat,
        "suck",
        lambda u, v, rad: s.chain.ledger.mint(d.vat.dai, v, rad) if v == "b1" else real(u, v, rad),
    )
    d.end.snip(ILK, aid, sender="x")
    assert any("vice" in e for e in d.invariant_errors())


def test_canary__lot_leaks__flipper_holdings_and_conservation_fail(
    auction: tuple[LiqSystem, int],
) -> None:
    s, _ = auction
    s.chain.ledger.transfer("AUSD.gem.ATH-A", "AUSD:flip:ATH-A", "thief", 1)
    assert any("flipper holds" in e for e in s.d.liquidation_invariant_errors())
    s.chain.ledger.balances["AUSD.gem.ATH-A"]["thief"] += 1  # a balance from nowhere
    with pytest.raises(AssertionError, match="conservation"):
        s.chain.check_conservation()
