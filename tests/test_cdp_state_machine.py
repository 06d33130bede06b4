"""Stateful test: random vault actions, price moves and time jumps against the CDP invariants.

After every step: per-token conservation; debt == vice + sum(Art * rate) and Art == sum(art)
per ilk; the AI-dollar supply matches the join. After every successful user action: the vault
it touched ends safe (judged from the OSM price, independently of ``spot``) or less risky.
After every refused action: the state hash and the event log are unchanged. Each check is a
named function with a canary below proving it can fail.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from peglab.errors import PeglabError
from peglab.examples.systems import DemoSystem, two_ai_dollars
from peglab.kernel import Journal
from peglab.protocols.cdp import AIDollar
from peglab.units import RAY, wad

USERS = ("alice", "bob", "carol")
ILKS = (("AUSD", "ATH-A"), ("AUSD", "stATH-A"), ("vUSD", "VIRTUAL-A"))


def check_engine(system: DemoSystem) -> None:
    """Conservation and the engine identities hold."""
    system.chain.check_conservation()
    for d in system.dollars.values():
        errs = d.invariant_errors()
        assert not errs, errs


def is_safe_by_oracle(d: AIDollar, vid: int) -> bool:
    """Safety judged from the delayed price itself, not from the stored spot."""
    v = d.vat.vaults[vid]
    if v.art_wad == 0:
        return True
    val, ok = d.spotter.value(v.ilk)
    mat = d.spotter.ilks[v.ilk].mat_ray
    return ok and v.art_wad * d.vat.ilks[v.ilk].rate_ray * mat <= v.ink_wad * val * 10**9 * RAY


def check_touched(d: AIDollar, vid: int, before: tuple[int, int]) -> None:
    """A touched vault ends safe, or no riskier than before (no more debt, no less collateral)."""
    v = d.vat.vaults[vid]
    ink0, art0 = before
    riskier = v.art_wad > art0 or v.ink_wad < ink0
    assert not riskier or is_safe_by_oracle(d, vid), f"vault {vid} made riskier and unsafe"


def check_refused(system: DemoSystem, fn: Callable[[], Any]) -> bool:
    """Run ``fn``; if refused, the state hash and log are unchanged. Returns success."""
    h, n = system.chain.state_hash(), len(system.chain.log)
    try:
        fn()
    except PeglabError:
        assert system.chain.state_hash() == h, "a refused action changed state"
        assert len(system.chain.log) == n, "a refused action published events"
        return False
    return True


class CdpMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.s = two_ai_dollars(keep_log=True)
        c = self.s.chain
        for u in USERS:
            c.ledger.mint("ATH", u, wad(3_000_000))
            c.ledger.mint("VIRTUAL", u, wad(200_000))
            self.s.staking["stATH"].stake(wad(1_000_000), sender=u)
        self.vaults: list[tuple[str, int]] = []
        self.prices = {"ATH": wad("0.05"), "VIRTUAL": wad("1.5")}

    @initialize()
    def start(self) -> None:
        check_engine(self.s)

    def act(self, sym: str, vid: int, fn: Callable[[], Any]) -> None:
        d = self.s.dollars[sym]
        v = d.vat.vaults[vid]
        before = (v.ink_wad, v.art_wad)
        ok = check_refused(self.s, fn)
        if ok:
            check_touched(d, vid, before)
        event("accepted" if ok else "refused")

    @rule(ilk=st.sampled_from(ILKS), owner=st.sampled_from(USERS))
    def open_vault(self, ilk: tuple[str, str], owner: str) -> None:
        sym, name = ilk
        vid = self.s.dollars[sym].open_vault(name, sender=owner)
        self.vaults.append((sym, vid))

    @precondition(lambda self: self.vaults)
    @rule(data=st.data(), amount=st.integers(1, 10**6), sender=st.sampled_from(USERS))
    def deposit(self, data: st.DataObject, amount: int, sender: str) -> None:
        sym, vid = data.draw(st.sampled_from(self.vaults))
        d = self.s.dollars[sym]
        self.act(sym, vid, lambda: d.deposit(vid, amount * 10**17, sender=sender))

    @precondition(lambda self: self.vaults)
    @rule(data=st.data(), amount=st.integers(1, 10**6), sender=st.sampled_from(USERS))
    def withdraw(self, data: st.DataObject, amount: int, sender: str) -> None:
        sym, vid = data.draw(st.sampled_from(self.vaults))
        d = self.s.dollars[sym]
        self.act(sym, vid, lambda: d.withdraw(vid, amount * 10**17, sender=sender))

    @precondition(lambda self: self.vaults)
    @rule(data=st.data(), amount=st.integers(1, 60_000), sender=st.sampled_from(USERS))
    def mint(self, data: st.DataObject, amount: int, sender: str) -> None:
        sym, vid = data.draw(st.sampled_from(self.vaults))
        d = self.s.dollars[sym]
        self.act(sym, vid, lambda: d.mint(vid, wad(amount), sender=sender))

    @precondition(lambda self: self.vaults)
    @rule(data=st.data(), amount=st.integers(1, 60_000), sender=st.sampled_from(USERS))
    def repay(self, data: st.DataObject, amount: int, sender: str) -> None:
        sym, vid = data.draw(st.sampled_from(self.vaults))
        d = self.s.dollars[sym]
        self.act(sym, vid, lambda: d.repay(vid, wad(amount), sender=sender))

    @precondition(lambda self: self.vaults)
    @rule(data=st.data(), sender=st.sampled_from(USERS))
    def close(self, data: st.DataObject, sender: str) -> None:
        sym, vid = data.draw(st.sampled_from(self.vaults))
        d = self.s.dollars[sym]
        self.act(sym, vid, lambda: d.close(vid, sender=sender))

    @precondition(lambda self: self.vaults)
    @rule(
        data=st.data(),
        sender=st.sampled_from(USERS),
        other=st.sampled_from(USERS),
        give=st.booleans(),
    )
    def give_or_allow(self, data: st.DataObject, sender: str, other: str, give: bool) -> None:
        sym, vid = data.draw(st.sampled_from(self.vaults))
        d = self.s.dollars[sym]
        fn = (
            (lambda: d.give(vid, other, sender=sender))
            if give
            else (lambda: d.allow(vid, other, sender=sender))
        )
        self.act(sym, vid, fn)

    @rule(token=st.sampled_from(("ATH", "VIRTUAL")), move_pct=st.integers(-60, 60))
    def price_move(self, token: str, move_pct: int) -> None:
        self.prices[token] = max(self.prices[token] * (100 + move_pct) // 100, 10**9)
        self.s.set_price(token, self.prices[token])

    @rule(
        seconds=st.sampled_from([1, 600, 3600, 3 * 3600, 86_400, 30 * 86_400]), poke=st.booleans()
    )
    def time_passes(self, seconds: int, poke: bool) -> None:
        self.s.chain.advance(seconds)
        if poke:
            self.s.poke_all()

    @rule(ilk=st.sampled_from(ILKS))
    def drip(self, ilk: tuple[str, str]) -> None:
        self.s.dollars[ilk[0]].drip(ilk[1], sender="keeper")

    @invariant()
    def engine_holds(self) -> None:
        check_engine(self.s)


TestCdpMachine = CdpMachine.TestCase
TestCdpMachine.settings = settings(max_examples=80, stateful_step_count=50, deadline=None)


# -- canaries: each check above can fail -------------------------------------------------------
@pytest.fixture
def funded() -> tuple[DemoSystem, AIDollar, int]:
    s = two_ai_dollars()
    s.chain.ledger.mint("ATH", "alice", wad(1_000_000))
    d = s.dollars["AUSD"]
    vid = d.open_vault("ATH-A", sender="alice")
    d.deposit(vid, wad(1_000_000), sender="alice")
    d.mint(vid, wad(10_000), sender="alice")
    return s, d, vid


def test_canary__fold_skips_dai__debt_identity_fails(
    funded: tuple[DemoSystem, AIDollar, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    s, d, _ = funded

    def broken_fold(ilk: str, u: str, drate: int) -> int:
        d.vat.ilks[ilk].rate_ray += drate  # forgets to credit Art * drate to the vow
        return 0

    monkeypatch.setattr(d.vat, "fold", broken_fold)
    s.chain.advance(86_400)
    d.drip("ATH-A", sender="k")
    with pytest.raises(AssertionError, match="debt"):
        check_engine(s)


def test_canary__bypassed_ledger__conservation_fails(
    funded: tuple[DemoSystem, AIDollar, int],
) -> None:
    s, _, _ = funded
    s.chain.ledger.balances["AUSD"]["alice"] += 1
    with pytest.raises(AssertionError, match="conservation"):
        check_engine(s)


def test_canary__inflated_spot__touched_vault_check_fails(
    funded: tuple[DemoSystem, AIDollar, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    s, d, vid = funded
    monkeypatch.setattr(d.spotter, "spot_of", lambda val, has, ilk: 10**40)  # a broken spotter
    before = (d.vat.vaults[vid].ink_wad, d.vat.vaults[vid].art_wad)
    d.mint(vid, wad(30_000), sender="alice")  # far beyond the real limit of 28,571
    with pytest.raises(AssertionError, match="riskier and unsafe"):
        check_touched(d, vid, before)


def test_canary__no_rollback__refused_check_fails(
    funded: tuple[DemoSystem, AIDollar, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    s, d, vid = funded
    monkeypatch.setattr(Journal, "rollback", lambda self, mark: None)
    with pytest.raises(AssertionError, match="changed state"):
        check_refused(s, lambda: d.repay(vid, wad(9_600), sender="alice"))  # joins, then dust
