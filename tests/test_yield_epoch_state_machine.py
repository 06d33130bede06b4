"""Conformance properties of docs/yield-vaults.md §6 on the Lagoon-style epoch vault, as a hypothesis state
machine: random requests, claims, operators, valuations (gains and losses), settlements,
strategy moves of the safe, closing and synchronous exits. After every step the named checks
below run; canaries show each can fail.

Covered: 1/7/15 views and max_* never raise; 2/10 conversions are caller-independent;
13/14 convert_to_assets(S) ≈ A and convert_to_shares(A) ≈ S (within one virtual share);
16 claiming more than max raises; 17 request_redeem above the balance raises; 18 async previews
raise; 19 claiming exactly max succeeds; 20 per-request conservation; 21 only owner/operator
requests, only controller/operator claims; 22 one price per epoch, performance fees only above
the HWM and fee shares within the caps; 23 the vault's cash covers pending deposits and every
claimable redemption; 6 round trips never profit (closed vault, sync redeem after a claim);
conservation of every token.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from peglab.errors import PeglabError
from peglab.kernel import Chain
from peglab.math import erc4626 as share_math
from peglab.protocols.yieldvault.epoch_vault import EpochVault
from peglab.units import DAY

USDC = 10**6
USERS = ("alice", "bob", "carol")


def make(offset: int = 0) -> tuple[Chain, EpochVault]:
    chain = Chain()
    chain.ledger.create_token("USDC", 6)
    for who in USERS:
        chain.ledger.mint("USDC", who, 10_000_000 * USDC)
    chain.ledger.mint("USDC", "market", 10**9 * USDC)
    v = EpochVault(chain, "USDC", "alUSD", safe="safe", valuation_manager="agent",
                   fee_receiver="curator", offset=offset)  # fmt: skip
    return chain, v


# -- the named checks ------------------------------------------------------------------------------
def check_views_never_raise(v: EpochVault) -> None:
    for who in (*USERS, "nobody"):
        for f in (v.max_deposit, v.max_mint, v.max_withdraw, v.max_redeem, v.balance_of):
            assert f(who) >= 0
    v.total_assets(), v.convert_to_assets(10**12), v.convert_to_shares(10**12)


def check_conversion_identity(v: EpochVault) -> None:
    a, s = v.total_assets(), v.total_supply()
    one_share_worth = share_math.to_assets(10**v.offset, s, a, v.offset, True)
    if s:
        assert abs(v.convert_to_assets(s) - a) <= max(1, one_share_worth)
    if a:
        assert abs(v.convert_to_shares(a) - s) <= 10**v.offset + s // max(a, 1) + 1


def check_requests_conserved(v: EpochVault) -> None:
    for r in v.requests.values():
        side = r.claimable_assets if r is not None and _is_deposit(v, r) else r.claimable_shares
        assert r.requested == r.pending + side + r.claimed + r.cancelled, r


def _is_deposit(v: EpochVault, r: object) -> bool:
    for (direction, _, _), x in v.requests.items():
        if x is r:
            return direction == "deposit"
    raise AssertionError("unknown request")


def check_one_price_per_epoch(v: EpochVault) -> None:
    for (direction, rid, _c), r in v.requests.items():
        if (
            direction != "deposit"
            or rid not in v.epoch_price
            or r.claimed
            or not r.claimable_assets
        ):
            continue
        assert r.claimable_shares == v.epoch_shares_for(rid, r.claimable_assets), (rid, r)


def check_cash_covers_claims(v: EpochVault) -> None:
    t = v.totals
    cash = v.chain.ledger.balance_of(v.asset, v.account)
    assert cash >= t.pending_deposit_assets + t.reserved_assets, "claims not covered by cash"
    reserved = sum(r.claimable_assets for (d, _, _), r in v.requests.items() if d == "redeem")
    assert t.reserved_assets == reserved


class EpochMachine(RuleBasedStateMachine):
    chain: Chain
    v: EpochVault

    @initialize(offset=st.sampled_from([0, 6]))
    def setup(self, offset: int) -> None:
        self.chain, self.v = make(offset)
        self.strategy = 0  # assets the safe has lent out (valued at the proposal)
        self.settles = 0

    # -- helpers -------------------------------------------------------------------------------
    def _nav(self) -> int:
        return self.chain.ledger.balance_of("USDC", "safe") + self.strategy

    def _refused(self, fn: object, *a: object, **kw: object) -> None:
        before = self.chain.state_hash()
        with pytest.raises(PeglabError):
            fn(*a, **kw)  # type: ignore[operator]
        assert self.chain.state_hash() == before

    # -- rules ---------------------------------------------------------------------------------
    @precondition(lambda self: not self.v.closed and self.v.epoch.closing_state == "open")
    @rule(who=st.sampled_from(USERS), amount=st.integers(1, 2_000_000 * USDC))
    def request_deposit(self, who: str, amount: int) -> None:
        self.v.request_deposit(amount, who, who, sender=who)

    @precondition(lambda self: not self.v.closed)
    @rule(who=st.sampled_from(USERS), frac=st.integers(1, 100))
    def request_redeem(self, who: str, frac: int) -> None:
        bal = self.v.balance_of(who)
        self._refused(self.v.request_redeem, bal + 1, who, who, sender=who)  # property 17
        if bal * frac // 100:
            self.v.request_redeem(bal * frac // 100, who, who, sender=who)

    @rule(who=st.sampled_from(USERS), other=st.sampled_from(USERS))
    def claim_all(self, who: str, other: str) -> None:
        v = self.v
        if other != who and not v.is_operator(who, other) and v.max_deposit(who):  # property 21
            self._refused(v.deposit, 1, other, who, sender=other)
        m = v.max_deposit(who)
        if m:
            self._refused(v.deposit, m + 1, who, who, sender=who)  # property 16
            try:
                v.deposit(m, who, who, sender=who)  # property 19
            except PeglabError as e:
                assert e.code == "vault/zero-shares"  # dust bucket whose floor is 0
        m = v.max_redeem(who) if not v.closed else 0
        if m:
            self._refused(v.redeem, m + 1, who, who, sender=who)
            v.redeem(m, who, who, sender=who)

    @rule(who=st.sampled_from(USERS), op=st.sampled_from(USERS))
    def operator(self, who: str, op: str) -> None:
        if who != op:
            self.v.set_operator(op, True, sender=who)

    @rule(pct=st.integers(-5, 8), lend=st.integers(0, 100))
    def market_moves(self, pct: int, lend: int) -> None:
        """The safe's strategy earns or loses, and the safe lends some of its cash out."""
        self.chain.advance(DAY)
        gain = self.strategy * pct // 100
        if gain > 0:
            self.chain.ledger.transfer("USDC", "market", "safe", gain)
        self.strategy = max(0, self.strategy + min(gain, 0))
        cash = self.chain.ledger.balance_of("USDC", "safe")
        out = cash * lend // 100
        if out:
            self.chain.ledger.transfer("USDC", "safe", "market", out)
            self.strategy += out
        if lend < 30 and self.strategy:  # recall some
            back = self.strategy // 2
            self.chain.ledger.transfer("USDC", "market", "safe", back)
            self.strategy -= back

    @precondition(lambda self: self.v.epoch.closing_state == "open")
    @rule(redeem_only=st.booleans())
    def settle(self, redeem_only: bool) -> None:
        v = self.v
        self.settles += 1
        nav = self._nav()
        v.propose_valuation(nav, sender="agent")
        hwm = v.epoch.high_water_mark
        fees_before = v.balance_of("curator") + v.balance_of("protocol-fees")
        supply = v.total_supply()
        if redeem_only:
            v.settle_redeems(nav, sender="safe")
        else:
            v.settle_deposits(nav, sender="safe")
        minted = v.balance_of("curator") + v.balance_of("protocol-fees") - fees_before
        fees = [e.event for e in self.chain.log if e.event.kind == "vault/fees"][-1]
        if fees.performance_assets:  # property 22: performance only above the mark
            assert fees.price_after_management > hwm
        assert fees.high_water_mark >= hwm
        mg, pf = v.fee_rates()
        cap = nav * (mg * 2 + pf) // 10_000 + 2  # 2 days at most between settlements here
        if supply and minted:
            assert share_math.to_assets(minted, supply + minted, nav, v.offset, False) <= cap

    @precondition(lambda self: self.v.epoch.closing_state == "open" and self.settles >= 4)
    @rule()
    def close(self) -> None:
        v = self.v
        self.chain.ledger.transfer("USDC", "market", "safe", self.strategy)
        self.strategy = 0
        v.initiate_closing(sender="gov")
        nav = self._nav()
        v.propose_valuation(nav, sender="agent")
        v.close(nav, sender="safe")

    @precondition(lambda self: self.v.closed)
    @rule(who=st.sampled_from(USERS), frac=st.integers(1, 100))
    def sync_exit(self, who: str, frac: int) -> None:
        v = self.v
        claim = v.claimable_redeem_shares(who)
        if claim:  # a redemption settled at closing is claimed at its epoch's price first
            v.redeem(claim, who, who, sender=who)
        s = v.balance_of(who) * frac // 100
        if s and v.convert_to_assets(s):
            worth = v.convert_to_assets(s)
            assert v.redeem(s, who, who, sender=who) == worth  # round trip: floor, never more

    # -- invariants ----------------------------------------------------------------------------
    @invariant()
    def views(self) -> None:
        check_views_never_raise(self.v)
        for f in (self.v.preview_deposit, self.v.preview_mint):  # property 18
            with pytest.raises(PeglabError):
                f(1)

    @invariant()
    def identity(self) -> None:
        check_conversion_identity(self.v)

    @invariant()
    def requests(self) -> None:
        check_requests_conserved(self.v)
        check_one_price_per_epoch(self.v)

    @invariant()
    def cash(self) -> None:
        check_cash_covers_claims(self.v)
        self.chain.check_conservation()


EpochMachine.TestCase.settings = settings(
    max_examples=40, stateful_step_count=50, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)  # fmt: skip
TestEpochMachine = EpochMachine.TestCase


def _settled_vault() -> EpochVault:
    _, v = make()
    v.request_deposit(1_000 * USDC, "alice", "alice", sender="alice")
    v.request_deposit(777, "bob", "bob", sender="bob")
    v.propose_valuation(0, sender="agent")
    v.settle_deposits(0, sender="safe")
    return v


def test_canary__two_prices_in_one_epoch__one_price_check_fails() -> None:
    v = _settled_vault()
    r = v.request("deposit", 1, "bob")
    assert r is not None
    r.claimable_shares += 1  # bob priced differently from alice
    with pytest.raises(AssertionError):
        check_one_price_per_epoch(v)


def test_canary__reserve_not_backed_by_cash__coverage_check_fails() -> None:
    v = _settled_vault()
    v.chain.ledger.transfer(
        "USDC", v.account, "thief", v.chain.ledger.balance_of("USDC", v.account)
    )
    v.totals.reserved_assets += 1
    with pytest.raises(AssertionError):
        check_cash_covers_claims(v)


def test_canary__request_leaks_assets__conservation_check_fails() -> None:
    v = _settled_vault()
    r = v.request("deposit", 1, "alice")
    assert r is not None
    r.claimed += 1
    with pytest.raises(AssertionError):
        check_requests_conserved(v)


def test_canary__price_ignores_escrowed_shares__identity_check_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    v = _settled_vault()  # every share still sits in escrow, claimable
    check_conversion_identity(v)
    a, o = v.total_assets(), v.offset

    def wrong(shares: int) -> int:  # a price that forgets the escrowed (claimable) shares
        free = v.total_supply() - v.balance_of(v.escrow)
        return share_math.to_assets(shares, free, a, o, False)

    monkeypatch.setattr(v, "convert_to_assets", wrong)
    with pytest.raises(AssertionError):
        check_conversion_identity(v)
