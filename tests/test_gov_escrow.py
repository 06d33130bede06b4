"""Voting escrow: locks, power decay, permanent locks, merge/split, transfers, history queries."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from peglab.errors import InvalidInput, LimitExceeded, NotAuthorized
from peglab.kernel import Chain
from peglab.protocols.governance import MAXTIME, WEEK, Governance
from peglab.testing import assert_refused
from peglab.units import WAD

YEAR = 365 * 86_400


def _gov(**balances: int) -> tuple[Chain, Governance]:
    chain = Chain()
    gov = Governance.deploy(chain)
    gov.minter.initialize(liquid=sorted(balances.items()), sender="gov")
    return chain, gov


def test_create_lock__one_year__end_rounded_down_to_thursday_and_gov_moved() -> None:
    chain, gov = _gov(alice=10 * WAD)
    i = gov.escrow.create_lock(4 * WAD, YEAR, sender="alice")
    amount, end, permanent = gov.escrow.locked(i)
    assert (amount, permanent) == (4 * WAD, False)
    assert end == (chain.now + YEAR) // WEEK * WEEK and end % WEEK == 0
    assert datetime.fromtimestamp(end, tz=UTC).strftime("%a %H:%M:%S") == "Thu 00:00:00"
    assert chain.ledger.balance_of("GOV", "alice") == 6 * WAD
    assert chain.ledger.balance_of("GOV", gov.escrow.account) == 4 * WAD == gov.escrow.state.supply
    assert gov.escrow.owner(i) == "alice"
    assert gov.escrow.power(i) == (4 * WAD // MAXTIME) * (end - chain.now)
    assert chain.log[-1].event.kind == "gov/lock-created"


def test_create_lock__for_another_owner__recipient_owns() -> None:
    _, gov = _gov(alice=10 * WAD)
    i = gov.escrow.create_lock(WAD, YEAR, sender="alice", to="bob")
    assert gov.escrow.owner(i) == "bob" and gov.escrow.locks_of("bob") == [i]


def test_power__decays_linearly__zero_at_end_and_after() -> None:
    chain, gov = _gov(alice=10 * WAD)
    i = gov.escrow.create_lock(10 * WAD, 2 * YEAR, sender="alice")
    _, end, _ = gov.escrow.locked(i)
    slope = 10 * WAD // MAXTIME
    p0 = gov.escrow.power(i)
    chain.advance(1000)
    assert gov.escrow.power(i) == p0 - slope * 1000
    chain.warp(end - 1)
    assert gov.escrow.power(i) == slope
    chain.warp(end)
    assert gov.escrow.power(i) == 0 == gov.escrow.total_power()
    chain.advance(10 * WEEK)
    assert gov.escrow.power(i) == 0 == gov.escrow.total_power()


def test_increase_amount__keeps_end__slope_grows() -> None:
    chain, gov = _gov(alice=10 * WAD)
    i = gov.escrow.create_lock(WAD, YEAR, sender="alice")
    end = gov.escrow.locked(i)[1]
    chain.advance(WEEK)
    gov.escrow.increase_amount(i, 2 * WAD, sender="alice")
    assert gov.escrow.locked(i) == (3 * WAD, end, False)
    assert gov.escrow.power(i) == (3 * WAD // MAXTIME) * (end - chain.now)


def test_deposit_for__third_party__adds_its_own_gov() -> None:
    chain, gov = _gov(alice=10 * WAD, bob=5 * WAD)
    i = gov.escrow.create_lock(WAD, YEAR, sender="alice")
    gov.escrow.deposit_for(i, 2 * WAD, sender="bob")
    assert gov.escrow.locked(i)[0] == 3 * WAD
    assert chain.ledger.balance_of("GOV", "bob") == 3 * WAD


def test_increase_unlock_time__longer__end_moves_and_power_rises() -> None:
    chain, gov = _gov(alice=10 * WAD)
    i = gov.escrow.create_lock(WAD, YEAR, sender="alice")
    before = gov.escrow.power(i)
    gov.escrow.increase_unlock_time(i, MAXTIME, sender="alice")
    assert gov.escrow.locked(i)[1] == (chain.now + MAXTIME) // WEEK * WEEK
    assert gov.escrow.power(i) > before


def test_withdraw__after_expiry__burns_and_returns_gov() -> None:
    chain, gov = _gov(alice=10 * WAD)
    i = gov.escrow.create_lock(3 * WAD, WEEK * 2, sender="alice")
    chain.warp(gov.escrow.locked(i)[1])
    assert gov.escrow.withdraw(i, sender="alice") == 3 * WAD
    assert chain.ledger.balance_of("GOV", "alice") == 10 * WAD
    assert gov.escrow.locked(i) == (0, 0, False)
    assert gov.escrow.state.supply == 0
    assert_refused(chain, InvalidInput, "gov/unknown-lock", gov.escrow.withdraw, i, sender="alice")


def test_lock_permanent__no_decay__unlock_restarts_maxtime() -> None:
    chain, gov = _gov(alice=10 * WAD)
    i = gov.escrow.create_lock(5 * WAD, YEAR, sender="alice")
    gov.escrow.lock_permanent(i, sender="alice")
    assert gov.escrow.locked(i) == (5 * WAD, 0, True)
    assert gov.escrow.permanent_total == 5 * WAD
    chain.advance(3 * YEAR)
    assert gov.escrow.power(i) == 5 * WAD == gov.escrow.total_power()
    gov.escrow.increase_amount(i, WAD, sender="alice")
    assert gov.escrow.power(i) == 6 * WAD == gov.escrow.permanent_total
    gov.escrow.unlock_permanent(i, sender="alice")
    assert gov.escrow.locked(i) == (6 * WAD, (chain.now + MAXTIME) // WEEK * WEEK, False)
    assert gov.escrow.permanent_total == 0
    assert gov.escrow.total_power() == gov.escrow.power(i) < 6 * WAD


def test_merge__two_locks__amounts_add_later_end_kept_from_burned() -> None:
    chain, gov = _gov(alice=10 * WAD)
    a = gov.escrow.create_lock(2 * WAD, YEAR, sender="alice")
    b = gov.escrow.create_lock(3 * WAD, 2 * YEAR, sender="alice")
    end_b = gov.escrow.locked(b)[1]
    gov.escrow.merge(a, b, sender="alice")
    assert gov.escrow.locked(b) == (5 * WAD, end_b, False)
    assert gov.escrow.locks_of("alice") == [b]
    assert gov.escrow.power_at(a, chain.now) == 0
    assert gov.escrow.total_power() == gov.escrow.power(b)


def test_merge__into_permanent__stays_permanent() -> None:
    _, gov = _gov(alice=10 * WAD)
    a = gov.escrow.create_lock(2 * WAD, YEAR, sender="alice")
    b = gov.escrow.create_lock(3 * WAD, YEAR, sender="alice")
    gov.escrow.lock_permanent(b, sender="alice")
    gov.escrow.merge(a, b, sender="alice")
    assert gov.escrow.locked(b) == (5 * WAD, 0, True) and gov.escrow.permanent_total == 5 * WAD


def test_split__allowed__two_locks_same_end_total_power_kept() -> None:
    chain, gov = _gov(alice=10 * WAD)
    i = gov.escrow.create_lock(10 * WAD, YEAR, sender="alice")
    end = gov.escrow.locked(i)[1]
    assert_refused(
        chain, NotAuthorized, "gov/split-not-allowed", gov.escrow.split, i, WAD, sender="alice"
    )
    gov.escrow.toggle_split("alice", True, sender="gov")
    kept, part = gov.escrow.split(i, 4 * WAD, sender="alice")
    assert gov.escrow.locked(kept) == (6 * WAD, end, False)
    assert gov.escrow.locked(part) == (4 * WAD, end, False)
    assert gov.escrow.total_power() == gov.escrow.power(kept) + gov.escrow.power(part)


def test_transfer__new_owner__flash_guard_zero_power_in_same_second() -> None:
    chain, gov = _gov(alice=10 * WAD)
    i = gov.escrow.create_lock(WAD, YEAR, sender="alice")
    gov.escrow.transfer(i, "bob", sender="alice")
    assert gov.escrow.owner(i) == "bob"
    assert gov.escrow.power(i) == 0
    assert gov.escrow.power_at(i, chain.now) > 0  # history is not guarded
    chain.advance(1)
    assert gov.escrow.power(i) > 0
    assert_refused(
        chain, NotAuthorized, "gov/not-owner", gov.escrow.increase_amount, i, 1, sender="alice"
    )


def test_approve_and_operator__act_for_owner__allowed_then_cleared_by_transfer() -> None:
    chain, gov = _gov(alice=10 * WAD)
    i = gov.escrow.create_lock(WAD, YEAR, sender="alice")
    gov.escrow.approve(i, "op", sender="alice")
    gov.escrow.increase_unlock_time(i, 2 * YEAR, sender="op")
    gov.escrow.transfer(i, "bob", sender="op")
    assert_refused(chain, NotAuthorized, "gov/not-owner", gov.escrow.transfer, i, "op", sender="op")
    gov.escrow.set_approval_for_all("op2", True, sender="bob")
    gov.escrow.transfer(i, "carol", sender="op2")
    assert gov.escrow.owner(i) == "carol"


def test_power_at__many_checkpoints__history_binary_search_matches_each_point() -> None:
    chain, gov = _gov(alice=100 * WAD)
    created = chain.now
    i = gov.escrow.create_lock(WAD, YEAR, sender="alice")
    expected = []
    for k in range(12):
        chain.advance(3 * 86_400 + k)
        gov.escrow.increase_amount(i, WAD, sender="alice")
        expected.append((chain.now, gov.escrow.power(i)))
    chain.advance(WEEK)
    for t, p in expected:
        assert gov.escrow.power_at(i, t) == p
        assert gov.escrow.supply_at(t) == p
    assert gov.escrow.power_at(i, created - 1) == 0 < gov.escrow.power_at(i, created)
    assert gov.escrow.power_at(i, 0) == 0 and gov.escrow.supply_at(0) == 0


def test_checkpoint__gap_over_255_weeks__refused_until_global_checkpoint_catches_up() -> None:
    chain, gov = _gov(alice=10 * WAD)
    i = gov.escrow.create_lock(WAD, WEEK * 3, sender="alice")
    chain.advance(300 * WEEK)
    assert_refused(
        chain, LimitExceeded, "gov/checkpoint-gap", gov.escrow.withdraw, i, sender="alice"
    )
    gov.escrow.checkpoint(sender="keeper")  # 255 weeks
    gov.escrow.checkpoint(sender="keeper")  # the rest
    assert gov.escrow.withdraw(i, sender="alice") == WAD


@settings(max_examples=60, deadline=None)
@given(
    ops=st.lists(
        st.tuples(
            st.integers(0, 3),  # which user
            st.integers(1, 10**6),  # amount in wad
            st.integers(WEEK, MAXTIME),  # duration
            st.integers(0, 20 * 86_400),  # time step
            st.booleans(),  # permanent?
        ),
        min_size=1,
        max_size=12,
    )
)
def test_supply_at__random_locks__equals_sum_of_power_and_power_non_increasing(
    ops: list[tuple[int, int, int, int, bool]],
) -> None:
    chain = Chain()
    gov = Governance.deploy(chain)
    users = [f"u{k}" for k in range(4)]
    gov.minter.initialize(liquid=[(u, 10**7 * WAD) for u in users], sender="gov")
    ids: list[int] = []
    for who, amount, duration, step, permanent in ops:
        chain.advance(step)
        if (chain.now + duration) // WEEK * WEEK <= chain.now:
            continue
        i = gov.escrow.create_lock(amount * WAD, duration, sender=users[who])
        if permanent:
            gov.escrow.lock_permanent(i, sender=users[who])
        ids.append(i)
    start = chain.now
    for t in (start, start + 1, start + WEEK, start + 100 * WEEK, start + 209 * WEEK):
        assert gov.escrow.supply_at(t) == sum(gov.escrow.power_at(i, t) for i in ids)
    for i in ids:
        powers = [gov.escrow.power_at(i, start + k * 13 * WEEK) for k in range(17)]
        assert all(p >= 0 for p in powers)
        assert powers == sorted(powers, reverse=True)
