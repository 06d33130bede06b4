"""Stateful test: vault actions, price crashes, barks, takes, redos, buffer, PSM, time and shutdown.

After every step: ledger conservation; the vault-engine identities; debt in auction within its
limits and equal to the live tabs (docs/cdp-spec.md §13 item 5); every clipper holding exactly its lots; the
balance-sheet identity (supply + held elsewhere == vault debt + bad debt - surplus); after
shutdown, redemptions never exceed the collateral the End holds (§13.8). A refused action leaves
the state hash and event log unchanged. Each invariant has a canary below.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from support.cdp import LiqSystem, build

from peglab.errors import PeglabError
from peglab.protocols.cdp import dog as dog_module
from peglab.units import RAD, RAY, WAD, wad

USERS = ("alice", "bob", "carol")
KEEPERS = ("k1", "k2")
TRADERS = ("t1", "t2")


def check_all(s: LiqSystem) -> None:
    errs = s.errors()
    assert not errs, errs


def attempt(s: LiqSystem, fn: Callable[[], Any], label: str = "") -> bool:
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


class LiquidationMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.s = build(hole=60_000, keep_log=True)
        for k in KEEPERS:
            self.s.usdc_to_ausd(k, 500_000)
        for u in USERS:
            self.s.chain.ledger.mint("ATH", u, wad(10_000_000))
        self.price = WAD
        self.steps = 0
        self.barks = 0
        self.shut = False

    @property
    def d(self) -> Any:
        return self.s.d

    def vaults(self) -> list[int]:
        return [vid for vid, v in self.d.vat.vaults.items() if v.ilk == "ATH-A"]

    def sales(self) -> list[int]:
        return self.d.clippers["ATH-A"].active()

    # -- live system -------------------------------------------------------------------------
    @precondition(lambda self: not self.shut)
    @rule(owner=st.sampled_from(USERS), ath=st.integers(2_000, 200_000), pct=st.integers(40, 56))
    def open_vault(self, owner: str, ath: int, pct: int) -> None:
        d = self.d
        debt = ath * self.price * pct // 100 // WAD  # pct of collateral value, in AI dollars

        def go() -> None:
            with self.s.chain.transaction(owner):  # one atomic step
                vid = d.open_vault("ATH-A", sender=owner)
                d.deposit(vid, wad(ath), sender=owner)
                d.mint(vid, wad(max(debt, 1)), sender=owner)

        attempt(self.s, go)
        self.steps += 1

    @precondition(lambda self: not self.shut and self.vaults())
    @rule(data=st.data(), amount=st.integers(1, 20_000), sender=st.sampled_from(USERS))
    def repay(self, data: st.DataObject, amount: int, sender: str) -> None:
        vid = data.draw(st.sampled_from(self.vaults()))
        attempt(self.s, lambda: self.d.repay(vid, wad(amount), sender=sender))

    @precondition(lambda self: not self.shut)
    @rule(move_pct=st.integers(-60, 40), settle=st.booleans())
    def price_move(self, move_pct: int, settle: bool) -> None:
        self.price = max(self.price * (100 + move_pct) // 100, 10**12)
        self.s.set_price(self.price)
        if settle:  # let the delayed price reach the engine (two or more hops)
            self.s.settle()

    @rule(seconds=st.sampled_from([1, 60, 300, 600, 1800, 3600, 86_400]), poke=st.booleans())
    def time_passes(self, seconds: int, poke: bool) -> None:
        self.s.chain.advance(seconds)
        if poke:
            self.d.poke_prices(sender="poker")

    @precondition(lambda self: not self.shut and self.vaults())
    @rule(data=st.data(), keeper=st.sampled_from(KEEPERS), aim=st.booleans())
    def bark(self, data: st.DataObject, keeper: str, aim: bool) -> None:
        d = self.d
        pool = self.vaults()
        if aim:  # a keeper aims at vaults unsafe at the stored spot and current rate
            pool = [
                vid
                for vid in pool
                if d.vat.vaults[vid].ink_wad * d.vat.ilks["ATH-A"].spot_ray
                < d.vat.vaults[vid].art_wad * d.jug.rate_after("ATH-A", self.s.chain.now)
            ] or pool
        vid = data.draw(st.sampled_from(pool))
        if attempt(self.s, lambda: d.bark(vid, sender=keeper), "bark"):
            self.barks += 1
        self.steps += 1

    @precondition(lambda self: self.sales())
    @rule(
        data=st.data(),
        keeper=st.sampled_from(KEEPERS),
        frac=st.integers(1, 100),
        cheap=st.booleans(),
    )
    def take(self, data: st.DataObject, keeper: str, frac: int, cheap: bool) -> None:
        aid = data.draw(st.sampled_from(self.sales()))
        d = self.d
        sale = d.clippers["ATH-A"].sales[aid]
        price = d.auction("ATH-A", aid).price_ray
        amt = max(sale.lot_wad * frac // 100, 1)
        max_price = price - 1 if cheap else price
        tab0 = sale.tab_rad
        ok = attempt(self.s, lambda: d.take("ATH-A", aid, amt, max_price, sender=keeper), "take")
        self.steps += 1
        if ok:
            owe = self.s.chain.log[-1].event.owe_rad
            assert owe <= tab0  # §13.7: never raises more than the tab

    @precondition(lambda self: self.sales())
    @rule(data=st.data(), keeper=st.sampled_from(KEEPERS))
    def redo(self, data: st.DataObject, keeper: str) -> None:
        aid = data.draw(st.sampled_from(self.sales()))
        attempt(self.s, lambda: self.d.redo("ATH-A", aid, sender=keeper), "redo")

    @precondition(lambda self: not self.shut)
    @rule()
    def buffer(self) -> None:
        vow = self.d.vow
        attempt(self.s, lambda: vow.flog_all(sender="x"))
        attempt(self.s, lambda: vow.heal(sender="x"))

    @precondition(lambda self: not self.shut)
    @rule(amount=st.integers(1, 50_000), sell=st.booleans(), who=st.sampled_from(TRADERS))
    def psm(self, amount: int, sell: bool, who: str) -> None:
        d = self.d
        if sell:
            self.s.chain.ledger.mint("USDC", who, amount * 10**6)
            attempt(self.s, lambda: d.sell_gem(amount * 10**6, sender=who))
        else:
            attempt(self.s, lambda: d.buy_gem(amount * 10**6, sender=who))

    # -- shutdown ----------------------------------------------------------------------------
    @precondition(lambda self: not self.shut and (self.barks >= 2 or self.steps >= 30))
    @rule()
    def shutdown(self) -> None:
        self.d.shutdown(sender="gov")
        self.shut = True

    @precondition(lambda self: self.shut)
    @rule(data=st.data())
    def settle_step(self, data: st.DataObject) -> None:
        d, end = self.d, self.d.end
        psm_ilk = d.psm.ilk
        choice = data.draw(
            st.sampled_from(["cage_ilk", "snip", "skim", "free", "thaw", "flow", "pack", "cash"])
        )
        ilk = data.draw(st.sampled_from(["ATH-A", psm_ilk]))
        who = data.draw(st.sampled_from(USERS + KEEPERS))
        if choice == "cage_ilk":
            attempt(self.s, lambda: end.cage_ilk(ilk, sender="x"))
        elif choice == "snip" and self.sales():
            aid = data.draw(st.sampled_from(self.sales()))
            attempt(self.s, lambda: end.snip("ATH-A", aid, sender="x"), "snip")
        elif choice in ("skim", "free"):
            vid = data.draw(st.sampled_from(sorted(d.vat.vaults)))
            if choice == "skim":
                attempt(self.s, lambda: end.skim(vid, sender="x"))
            else:
                owner = d.vat.vaults[vid].owner
                attempt(self.s, lambda: end.free(vid, sender=owner))
        elif choice == "thaw":
            self.s.chain.advance(end.state.wait_s)
            attempt(self.s, lambda: end.thaw(sender="x"))
        elif choice == "flow":
            attempt(self.s, lambda: end.flow(ilk, sender="x"), "flow")
        elif choice == "pack":
            bal = self.s.chain.ledger.balance_of("AUSD", who)
            frac = data.draw(st.integers(1, 100))
            attempt(self.s, lambda: end.pack(max(bal * frac // 100, 1), sender=who))
        else:
            left = end.bag.get(who, 0) - end.out.get((ilk, who), 0)
            attempt(self.s, lambda: end.cash(ilk, max(left, 1), sender=who), "cash")

    @precondition(lambda self: self.shut)
    @rule(who=st.sampled_from(USERS + KEEPERS))
    def settle_next(self, who: str) -> None:
        """Run the next step of the shutdown sequence in order; then holders pack and cash."""
        d, end, c = self.d, self.d.end, self.s.chain
        ilks = ["ATH-A", d.psm.ilk]
        for ilk in ilks:
            if ilk not in end.tag:
                attempt(self.s, partial(end.cage_ilk, ilk, sender="x"), "cage_ilk")
        for aid in self.sales():
            attempt(self.s, partial(end.snip, "ATH-A", aid, sender="x"), "snip")
        for vid, v in sorted(d.vat.vaults.items()):
            if v.art_wad:
                attempt(self.s, partial(end.skim, vid, sender="x"), "skim")
        if end.state.debt_rad == 0:
            c.advance(end.state.wait_s)
            attempt(self.s, lambda: end.thaw(sender="x"), "thaw")
        for ilk in ilks:
            if ilk not in end.fix:
                attempt(self.s, partial(end.flow, ilk, sender="x"), "flow")
        bal = c.ledger.balance_of("AUSD", who)
        if bal:
            attempt(self.s, lambda: end.pack(bal, sender=who), "pack")
        for ilk in ilks:
            left = end.bag.get(who, 0) - end.out.get((ilk, who), 0)
            if left:
                attempt(self.s, partial(end.cash, ilk, left, sender=who), "cash")

    @invariant()
    def holds(self) -> None:
        check_all(self.s)


TestLiquidationMachine = LiquidationMachine.TestCase
TestLiquidationMachine.settings = settings(max_examples=150, stateful_step_count=50, deadline=None)


# -- canaries: each invariant can fail -----------------------------------------------------------
@pytest.fixture
def auction() -> tuple[LiqSystem, int]:
    s = build(hole=60_000)
    s.usdc_to_ausd("k", 100_000)
    vid = s.vault("alice", 20_000, 10_000)
    s.set_price("0.80")
    s.settle()
    return s, vid


def test_canary__digs_skipped__dirt_invariant_fails(
    auction: tuple[LiqSystem, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    s, vid = auction
    aid = s.d.bark(vid, sender="k")
    monkeypatch.setattr(s.d.dog, "digs", lambda ilk, rad: None)
    st_ = s.d.auction("ATH-A", aid)
    s.d.take("ATH-A", aid, st_.lot_wad // 2, st_.price_ray, sender="k")
    assert any("dirt" in e for e in s.d.liquidation_invariant_errors())


def test_canary__bark_ignores_room__hole_limit_fails(
    auction: tuple[LiqSystem, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    s, vid = auction
    s.d.dog.file("hole", 1_000 * RAD, ilk="ATH-A", sender="gov")
    real = dog_module.bark_amounts

    def greedy(ink: int, art: int, rate: int, spot: int, chop: int, dust: int, lim: Any) -> Any:
        return real(ink, art, rate, spot, chop, dust, (10**60, 0, 10**60, 0))

    monkeypatch.setattr(dog_module, "bark_amounts", greedy)
    s.d.bark(vid, sender="k")
    assert any("above hole" in e for e in s.d.liquidation_invariant_errors())


def test_canary__reward_minted_without_debt__balance_sheet_fails(
    auction: tuple[LiqSystem, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    s, vid = auction
    clip = s.d.clippers["ATH-A"]
    monkeypatch.setattr(
        clip, "_reward", lambda keeper, coin: s.chain.ledger.mint("AUSD", keeper, coin // RAY)
    )
    s.d.bark(vid, sender="k")
    assert any("balance sheet" in e for e in s.d.liquidation_invariant_errors())


def test_canary__cash_books_without_paying__redemption_invariant_fails(
    liq: LiqSystem,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    vid = liq.vault("alice", 20_000, 8_000)
    d, end = liq.d, liq.d.end
    d.shutdown(sender="gov")
    end.cage_ilk("ATH-A", sender="x")
    end.skim(vid, sender="x")
    liq.chain.advance(end.state.wait_s)
    end.thaw(sender="x")
    end.flow("ATH-A", sender="x")
    end.pack(wad(1_000), sender="alice")
    monkeypatch.setattr(end.joins, "pay_gem", lambda *a: 0)
    end.cash("ATH-A", wad(1_000), sender="alice")
    assert any("paid" in e for e in d.liquidation_invariant_errors())


def test_canary__clipper_lot_leaks__lot_invariant_fails(auction: tuple[LiqSystem, int]) -> None:
    s, vid = auction
    s.d.bark(vid, sender="k")
    s.chain.ledger.transfer("AUSD.gem.ATH-A", "AUSD:clip:ATH-A", "thief", 1)
    assert any("clipper holds" in e for e in s.d.liquidation_invariant_errors())
