"""Stateful test of the whole ve(3,3) system, with one canary per invariant.

Invariants (checked after every step):
  1. GOV conservation: ``total_supply == initial_supply + minted`` (the initial supply is the
     minter's ``initialize`` allocation) and ``minted == emissions + rebase + team share -
     returned by killed gauges + minter balance``; ledger balances sum to supplies.
  2. Emissions paid out never exceed emissions minted: per gauge ``paid <= notified``;
     ``Σ notified == distributed`` and ``distributed + Σ claimable + returned <= received ==
     emitted``; the Voter holds exactly ``received - distributed - returned`` (>= ``Σ
     claimable``, the rest is index dust) and each gauge exactly ``notified - paid``.
  3. Fees and bribes claimed per (token, epoch) never exceed what was deposited for it.
  4. No lock casts two votes in one epoch.
  5. Voting power is never negative, is zero after expiry unless permanent (then it equals the
     amount), and ``supply_at(now) == Σ power_at(id, now)``.
  6. docs/governance-spec.md §8, invariant 1: ``total_weight == Σ weights == Σ used_weights``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from support.governance import System, next_epoch

from peglab.errors import PeglabError
from peglab.kernel import Chain
from peglab.protocols.governance import MAXTIME, WEEK, Governance, epoch_start
from peglab.protocols.governance.checkpoints import PointHistory
from peglab.protocols.governance.escrow import VotingEscrow
from peglab.protocols.governance.rewards import VotingReward
from peglab.protocols.governance.voter import Voter
from peglab.units import WAD

POOLS = ["ausd-usdc", "ausd-ausd2", "vault:alusd"]
USERS = ["alice", "bob", "carol"]
LPS = ["lp1", "lp2"]


# -- invariant checks (raise AssertionError) -------------------------------------------------
def check_gov_conservation(gov: Governance) -> None:
    errors = gov.gov_accounting_errors()
    assert not errors, errors
    assert gov.chain.ledger.conservation_errors() == {}


def check_emissions_bounded(gov: Governance) -> None:
    v = gov.voter
    gauges = list(v.gauges.values())
    for g in gauges:
        assert 0 <= g.paid_total <= g.notified_total, (g.paid_total, g.notified_total)
    claimable = sum(g.claimable for g in gauges)
    assert sum(g.notified_total for g in gauges) == v.state.distributed_total
    assert v.state.received_total == gov.minter.state.emitted_total
    assert v.state.distributed_total + claimable + v.state.returned_total <= v.state.received_total
    ledger = gov.chain.ledger
    voter_balance = ledger.balance_of(gov.token, v.account)
    assert voter_balance >= claimable
    # docs/governance-spec.md §8, invariant 3: what the Voter received and has not passed on
    # is still in its account
    assert (
        voter_balance == v.state.received_total - v.state.distributed_total - v.state.returned_total
    )
    for pool, g in v.gauges.items():
        held = ledger.balance_of(gov.token, f"gauge-emissions:{gov.voter.name}:{pool}")
        assert held == g.notified_total - g.paid_total, pool


def check_rewards_bounded(gov: Governance) -> None:
    for table in (gov.voter.fees, gov.voter.bribes):
        for pool, rs in table.items():
            for key, claimed in rs.claimed_per_epoch.items():
                assert claimed <= rs.rewards_per_epoch.get(key, 0), (pool, key, claimed)


def check_no_double_vote(chain: Chain) -> None:
    seen: set[tuple[int, int]] = set()
    for entry in chain.log:
        if entry.event.kind == "gov/vote":
            key = (entry.event.token_id, epoch_start(entry.time))  # type: ignore[attr-defined]
            assert key not in seen, f"lock {key[0]} voted twice in epoch {key[1]}"
            seen.add(key)


def check_power(gov: Governance) -> None:
    ve = gov.escrow
    now = gov.chain.now
    for i, (amount, end, permanent) in ve.locks.items():
        p = ve.power_at(i, now)
        assert p >= 0, (i, p)
        if permanent:
            assert p == amount
        elif end <= now:
            assert p == 0, (i, p)
    ids = list(ve.history.user_point_epoch)
    assert ve.supply_at(now) == sum(ve.power_at(i, now) for i in ids)


def check_vote_weights(gov: Governance) -> None:
    v = gov.voter
    assert v.state.total_weight == sum(v.weights.values()) == sum(v.used_weights.values())


def check_all(system: System) -> None:
    gov = system.gov
    check_gov_conservation(gov)
    check_emissions_bounded(gov)
    check_rewards_bounded(gov)
    check_no_double_vote(system.chain)
    check_power(gov)
    check_vote_weights(gov)


# -- the machine -----------------------------------------------------------------------------
class GovernanceMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.s = System()
        self.gov = self.s.gov
        self.c = self.s.chain
        self.c.grant("amm/admin", "gov", sender="gov")

    def attempt(self, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        """Call an action; a refusal must be typed and leave the state hash unchanged."""
        before = self.c.state_hash()
        try:
            return fn(*args, **kw)
        except PeglabError:
            assert self.c.state_hash() == before
            return None

    def lock_ids(self) -> list[int]:
        return sorted(self.gov.escrow.owner_of)

    def pick(self, k: int) -> int:
        ids = self.lock_ids()
        return ids[k % len(ids)] if ids else 999

    @rule(user=st.sampled_from(USERS), amount=st.integers(1, 50_000), weeks=st.integers(1, 208))
    def create_lock(self, user: str, amount: int, weeks: int) -> None:
        self.attempt(
            self.gov.escrow.create_lock, amount * WAD, min(weeks * WEEK, MAXTIME), sender=user
        )

    @rule(k=st.integers(0, 50), amount=st.integers(1, 10_000))
    def increase(self, k: int, amount: int) -> None:
        i = self.pick(k)
        owner = self.gov.escrow.owner_of.get(i, "alice")
        self.attempt(self.gov.escrow.increase_amount, i, amount * WAD, sender=owner)

    @rule(k=st.integers(0, 50), weeks=st.integers(1, 208))
    def extend(self, k: int, weeks: int) -> None:
        i = self.pick(k)
        owner = self.gov.escrow.owner_of.get(i, "alice")
        self.attempt(
            self.gov.escrow.increase_unlock_time, i, min(weeks * WEEK, MAXTIME), sender=owner
        )

    @rule(k=st.integers(0, 50), permanent=st.booleans())
    def permanence(self, k: int, permanent: bool) -> None:
        i = self.pick(k)
        owner = self.gov.escrow.owner_of.get(i, "alice")
        fn = self.gov.escrow.lock_permanent if permanent else self.gov.escrow.unlock_permanent
        self.attempt(fn, i, sender=owner)

    @rule(k=st.integers(0, 50))
    def withdraw(self, k: int) -> None:
        i = self.pick(k)
        owner = self.gov.escrow.owner_of.get(i, "alice")
        self.attempt(self.gov.voter.reset, i, sender=owner)
        self.attempt(self.gov.escrow.withdraw, i, sender=owner)

    @rule(k=st.integers(0, 50), to=st.sampled_from(USERS))
    def transfer(self, k: int, to: str) -> None:
        i = self.pick(k)
        owner = self.gov.escrow.owner_of.get(i, "alice")
        self.attempt(self.gov.escrow.transfer, i, to, sender=owner)

    @rule(
        k=st.integers(0, 50),
        pools=st.lists(st.sampled_from(POOLS), min_size=1, max_size=3, unique=True),
        weights=st.lists(st.integers(1, 100), min_size=3, max_size=3),
        as_owner=st.sampled_from([True, True, True, False]),
    )
    def vote(self, k: int, pools: list[str], weights: list[int], as_owner: bool) -> None:
        i = self.pick(k)
        sender = self.gov.escrow.owner_of.get(i, "alice") if as_owner else "mallory"
        self.attempt(self.gov.voter.vote, i, pools, weights[: len(pools)], sender=sender)

    @rule(k=st.integers(0, 50), poke=st.booleans())
    def reset_or_poke(self, k: int, poke: bool) -> None:
        i = self.pick(k)
        owner = self.gov.escrow.owner_of.get(i, "alice")
        if poke:
            self.attempt(self.gov.voter.poke, i, sender="keeper")
        else:
            self.attempt(self.gov.voter.reset, i, sender=owner)

    @rule(
        lp=st.sampled_from(LPS),
        pool=st.sampled_from(POOLS),
        amount=st.integers(1, 300),
        stake=st.booleans(),
    )
    def stake(self, lp: str, pool: str, amount: int, stake: bool) -> None:
        g = self.gov.voter.gauge(pool)
        fn = g.deposit if stake else g.withdraw
        self.attempt(fn, amount * WAD, sender=lp)

    @rule(lp=st.sampled_from(LPS), pool=st.sampled_from(POOLS))
    def claim_emissions(self, lp: str, pool: str) -> None:
        self.attempt(self.gov.voter.gauge(pool).get_reward, lp, sender=lp)

    @rule(
        pool=st.sampled_from(POOLS),
        token=st.sampled_from(["USDC", "AUSD", "GOV"]),
        amount=st.integers(1, 10**22),
    )
    def bribe(self, pool: str, token: str, amount: int) -> None:
        sender = "bob" if token == "GOV" else "briber"
        self.attempt(
            self.gov.voter.bribe_reward(pool).notify_reward_amount, token, amount, sender=sender
        )

    @rule(
        which=st.integers(0, 1),
        token=st.sampled_from(["USDC", "AUSD"]),
        amount=st.integers(1, 10**22),
    )
    def swap_fee(self, which: int, token: str, amount: int) -> None:
        pool = (self.s.pool, self.s.pool2)[which]
        pool.pay_fee(token, amount, "trader")

    @rule(k=st.integers(0, 50), pool=st.sampled_from(POOLS), fees=st.booleans())
    def claim_voting_reward(self, k: int, pool: str, fees: bool) -> None:
        i = self.pick(k)
        owner = self.gov.escrow.owner_of.get(i, "alice")
        r = self.gov.voter.fees_reward(pool) if fees else self.gov.voter.bribe_reward(pool)
        self.attempt(r.get_reward, i, sender=owner)

    @rule(k=st.integers(0, 50))
    def claim_rebase(self, k: int) -> None:
        self.attempt(self.gov.distributor.claim, self.pick(k), sender="keeper")

    @rule(seconds=st.sampled_from([60, 3600, 86_400, 3 * 86_400, WEEK]))
    def advance(self, seconds: int) -> None:
        self.c.advance(seconds)

    @rule(offset=st.sampled_from([0, 1, 3601, 7200]))
    def flip(self, offset: int) -> None:
        next_epoch(self.c, offset)
        self.attempt(self.gov.voter.distribute, sender="keeper")

    @rule(pool=st.sampled_from(POOLS), kill=st.booleans())
    def kill_or_revive(self, pool: str, kill: bool) -> None:
        fn = self.gov.voter.kill_gauge if kill else self.gov.voter.revive_gauge
        self.attempt(fn, pool, sender="gov")

    @invariant()
    def all_invariants_hold(self) -> None:
        check_all(self.s)


GovernanceMachine.TestCase.settings = settings(
    max_examples=60, stateful_step_count=50, deadline=None
)
test_governance_state_machine = GovernanceMachine.TestCase


def test_state_machine__long_scripted_run__invariants_hold_and_money_moves() -> None:
    """A deterministic run through several epochs, so the invariants see real flows."""
    m = GovernanceMachine()
    m.create_lock("alice", 40_000, 208)
    m.create_lock("bob", 20_000, 30)
    m.vote(0, ["ausd-usdc", "vault:alusd"], [1, 2, 3], True)
    m.vote(1, ["ausd-usdc"], [1, 1, 1], True)
    m.vote(2, ["ausd-ausd2"], [1, 1, 1], True)
    m.stake("lp1", "ausd-usdc", 100, True)
    m.stake("lp2", "vault:alusd", 100, True)
    m.bribe("ausd-usdc", "USDC", 10**21)
    m.swap_fee(0, "USDC", 10**21)
    for _ in range(3):
        m.flip(7200)
        m.all_invariants_hold()
        m.claim_emissions("lp1", "ausd-usdc")
        m.claim_voting_reward(1, "ausd-usdc", False)
        m.claim_voting_reward(1, "ausd-usdc", True)
        m.claim_rebase(0)
        m.reset_or_poke(0, True)
        m.all_invariants_hold()
    gov = m.gov
    assert gov.voter.state.distributed_total > 0
    assert sum(g.paid_total for g in gov.voter.gauges.values()) > 0
    assert any(rs.claimed_per_epoch for rs in gov.voter.bribes.values())
    assert any(rs.claimed_per_epoch for rs in gov.voter.fees.values())
    assert gov.distributor.state.claimed_total > 0


# -- canaries: each invariant check fails on a deliberately broken implementation ------------
def _voting_system() -> tuple[System, int]:
    s = System()
    i = s.gov.escrow.create_lock(1000 * WAD, MAXTIME, sender="alice")
    return s, i


def test_canary__conservation__lock_minted_from_thin_air_detected(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken_deposit_for(
        self: VotingEscrow, token_id: int, value: int, unlock: int, old: Any, *, payer: str
    ) -> None:
        self.state.supply += value
        new = (old[0] + value, unlock or old[1], old[2])
        self.locks[token_id] = new
        self.history.checkpoint(token_id, old, new, self.chain.now)
        self.chain.ledger.mint(self.token, self.account, value)  # bug: mints instead of pulling

    s = System()
    check_gov_conservation(s.gov)
    monkeypatch.setattr(VotingEscrow, "_deposit_for", broken_deposit_for)
    s.gov.escrow.create_lock(WAD, MAXTIME, sender="alice")
    with pytest.raises(AssertionError):
        check_gov_conservation(s.gov)


def test_canary__emissions_bounded__distribute_that_keeps_claimable_detected(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken_distribute(self: Voter, pool: str) -> int:
        self._update_for(pool)
        gs = self.gauges[pool]
        if gs.claimable > WEEK:
            from peglab.protocols.governance.gauge import Gauge

            Gauge(self, pool, gs).notify_reward_amount(gs.claimable)  # bug: claimable not zeroed
            self.state.distributed_total += gs.claimable
            return gs.claimable
        return 0

    s, i = _voting_system()
    s.gov.voter.vote(i, ["ausd-usdc"], [1], sender="alice")
    next_epoch(s.chain)
    s.gov.voter.distribute(sender="k")
    s.gov.voter.distribute(sender="k")
    check_emissions_bounded(s.gov)
    monkeypatch.setattr(Voter, "_distribute", broken_distribute)
    next_epoch(s.chain)
    s.gov.voter.distribute(sender="k")
    with pytest.raises(AssertionError):
        check_emissions_bounded(s.gov)


def test_canary__rewards_bounded__earned_without_floor_detected(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    original = VotingReward.earned_by_epoch

    def broken_earned(self: VotingReward, token: str, token_id: int) -> list[tuple[int, int]]:
        return [
            (e, a + 1) for e, a in original(self, token, token_id)
        ]  # bug: rounds up past the pot

    s, a = _voting_system()
    gov, c = s.gov, s.chain
    gov.voter.vote(a, ["ausd-usdc"], [1], sender="alice")
    bribe = gov.voter.bribe_reward("ausd-usdc")
    bribe.notify_reward_amount("USDC", 100, sender="briber")
    next_epoch(c)
    b = gov.escrow.create_lock(9000 * WAD, MAXTIME, sender="bob")
    gov.voter.vote(b, ["ausd-usdc"], [1], sender="bob")
    bribe.notify_reward_amount("USDC", 1000, sender="briber")
    next_epoch(c)
    check_rewards_bounded(gov)
    monkeypatch.setattr(VotingReward, "earned_by_epoch", broken_earned)
    bribe.get_reward(a, sender="alice")
    with pytest.raises(AssertionError):
        check_rewards_bounded(gov)


def test_canary__no_double_vote__missing_epoch_guard_detected(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    s, i = _voting_system()
    s.gov.voter.vote(i, ["ausd-usdc"], [1], sender="alice")
    check_no_double_vote(s.chain)
    monkeypatch.setattr(Voter, "_require_new_epoch", lambda self, token_id: None)
    s.gov.voter.vote(i, ["ausd-ausd2"], [1], sender="alice")
    with pytest.raises(AssertionError):
        check_no_double_vote(s.chain)


def test_canary__power__unclamped_decay_detected(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_power_at(self: PointHistory, token_id: int, t: int) -> int:
        idx = self.past_user_index(token_id, t)
        if idx == 0:
            return 0
        bias, slope, ts, permanent = self.user_points[(token_id, idx)]
        return permanent or bias - slope * (t - ts)  # bug: no clamp at zero

    s = System()
    i = s.gov.escrow.create_lock(WAD * 1000, 2 * WEEK, sender="alice")
    s.chain.warp(s.gov.escrow.locked(i)[1] + WEEK)
    check_power(s.gov)
    monkeypatch.setattr(PointHistory, "power_at", broken_power_at)
    with pytest.raises(AssertionError):
        check_power(s.gov)


def test_canary__vote_weights__vote_without_reset_detected(monkeypatch: pytest.MonkeyPatch) -> None:
    s, i = _voting_system()
    s.gov.voter.vote(i, ["ausd-usdc"], [1], sender="alice")
    next_epoch(s.chain)
    check_vote_weights(s.gov)
    monkeypatch.setattr(Voter, "_reset", lambda self, token_id: 0)
    s.gov.voter.vote(i, ["ausd-ausd2"], [1], sender="alice")
    with pytest.raises(AssertionError):
        check_vote_weights(s.gov)
