"""Voter, gauges, fee and bribe rewards: votes, emissions at the flip, streaming, claims."""

from __future__ import annotations

from support.governance import System, next_epoch

from peglab.errors import InvalidInput, NotAuthorized, ShutDown
from peglab.protocols.governance import MAXTIME, WEEK, epoch_next, epoch_start
from peglab.testing import assert_refused
from peglab.units import WAD


def _weights_consistent(gov) -> None:  # type: ignore[no-untyped-def]
    v = gov.voter
    assert v.state.total_weight == sum(v.weights.values()) == sum(v.used_weights.values())


def test_vote__two_pools__power_split_pro_rata_and_reward_balances_match(gov_sys: System) -> None:
    gov, c = gov_sys.gov, gov_sys.chain
    i = gov.escrow.create_lock(1000 * WAD, MAXTIME, sender="alice")
    p = gov.escrow.power(i)
    shares = gov.voter.vote(i, ["ausd-usdc", "ausd-ausd2"], [1, 3], sender="alice")
    assert shares == {"ausd-usdc": p // 4, "ausd-ausd2": 3 * p // 4}
    assert gov.voter.used_weights[i] == sum(shares.values()) <= p
    assert gov.escrow.voted[i] is True
    assert gov.voter.fees_reward("ausd-usdc").state.balance_of[i] == p // 4
    assert gov.voter.bribe_reward("ausd-ausd2").state.total_supply == 3 * p // 4
    assert c.log[-1].event.kind == "gov/vote"
    _weights_consistent(gov)


def test_distribute__at_flip__emissions_follow_weights_and_stream_to_stakers(
    gov_sys: System,
) -> None:
    gov, c = gov_sys.gov, gov_sys.chain
    i = gov.escrow.create_lock(1000 * WAD, MAXTIME, sender="alice")
    gov.voter.vote(i, ["ausd-usdc", "ausd-ausd2"], [1, 3], sender="alice")
    g1, g2 = gov.voter.gauge("ausd-usdc"), gov.voter.gauge("ausd-ausd2")
    g1.deposit(100 * WAD, sender="lp1")
    g2.deposit(100 * WAD, sender="lp1")
    g2.deposit(300 * WAD, sender="lp2")
    next_epoch(c, 0)
    amounts = gov.voter.distribute(sender="keeper")
    e = gov.minter.state.emitted_total
    assert e == 10_000_000 * WAD
    # index rounding: each gauge loses < weight / 1e18 + 1 wei, left as Voter dust
    dust_bound = gov.voter.state.total_weight // WAD + 3
    assert sum(amounts.values()) <= e and e - sum(amounts.values()) <= dust_bound
    assert amounts["ausd-usdc"] * 3 // amounts["ausd-usdc"] == 3
    assert abs(amounts["ausd-ausd2"] - 3 * amounts["ausd-usdc"]) <= 3
    assert amounts["vault:alusd"] == 0
    assert g1.state.reward_rate == amounts["ausd-usdc"] // WEEK
    c.warp(epoch_next(c.now) + 10)  # stream finished
    r1 = g2.get_reward("lp1", sender="lp1")
    r2 = g2.get_reward("lp2", sender="lp2")
    streamed = g2.state.reward_rate * WEEK
    assert r1 + r2 <= streamed <= amounts["ausd-ausd2"]
    assert abs(3 * r1 - r2) <= 3
    assert streamed - (r1 + r2) <= 2
    assert_refused(c, InvalidInput, "gov/nothing-to-claim", g2.get_reward, "lp1", sender="lp1")


def test_gauge__staker_joins_mid_epoch__earns_only_from_then(gov_sys: System) -> None:
    gov, c = gov_sys.gov, gov_sys.chain
    i = gov.escrow.create_lock(1000 * WAD, MAXTIME, sender="alice")
    gov.voter.vote(i, ["ausd-usdc"], [1], sender="alice")
    g = gov.voter.gauge("ausd-usdc")
    g.deposit(100 * WAD, sender="lp1")
    next_epoch(c, 0)
    gov.voter.distribute(sender="keeper")
    c.advance(WEEK // 2)
    g.deposit(100 * WAD, sender="lp2")
    c.warp(epoch_next(c.now))
    e1, e2 = g.earned("lp1"), g.earned("lp2")
    rate = g.state.reward_rate
    assert e1 + e2 <= rate * WEEK
    assert abs(e1 - (rate * (WEEK // 2) + rate * (WEEK // 2) // 2)) <= 2
    assert abs(e2 - rate * (WEEK // 2) // 2) <= 2


def test_votes__persist_across_epochs__second_flip_pays_standing_votes(gov_sys: System) -> None:
    gov, c = gov_sys.gov, gov_sys.chain
    i = gov.escrow.create_lock(1000 * WAD, MAXTIME, sender="alice")
    gov.voter.vote(i, ["ausd-usdc"], [1], sender="alice")
    next_epoch(c)
    gov.voter.distribute(sender="keeper")
    next_epoch(c)
    amounts = gov.voter.distribute(sender="keeper")
    assert gov.minter.state.epoch_count == 2
    assert 0 <= 10_300_000 * WAD - amounts["ausd-usdc"] <= gov.voter.state.total_weight // WAD + 1


def test_poke__after_decay__weight_refreshed_lower_and_reward_balances_follow(
    gov_sys: System,
) -> None:
    gov, c = gov_sys.gov, gov_sys.chain
    i = gov.escrow.create_lock(1000 * WAD, 2 * 365 * 86_400, sender="alice")
    gov.voter.vote(i, ["ausd-usdc", "ausd-ausd2"], [1, 1], sender="alice")
    before = gov.voter.used_weights[i]
    next_epoch(c, 10 * 86_400)
    gov.voter.poke(i, sender="anyone")
    after = gov.voter.used_weights[i]
    assert after < before
    assert abs(after - gov.escrow.power(i)) <= 2
    assert (
        gov.voter.fees_reward("ausd-usdc").state.balance_of[i] == gov.voter.votes[(i, "ausd-usdc")]
    )
    _weights_consistent(gov)


def test_reset__next_epoch__weights_freed_and_withdraw_allowed(gov_sys: System) -> None:
    gov, c = gov_sys.gov, gov_sys.chain
    i = gov.escrow.create_lock(10 * WAD, 2 * WEEK, sender="alice")
    gov.voter.vote(i, ["ausd-usdc"], [1], sender="alice")
    assert_refused(c, InvalidInput, "gov/already-voted", gov.voter.reset, i, sender="alice")
    c.warp(gov.escrow.locked(i)[1] + 2 * 3600)
    assert_refused(c, InvalidInput, "gov/already-voted", gov.escrow.withdraw, i, sender="alice")
    assert gov.voter.reset(i, sender="alice") > 0
    assert gov.voter.state.total_weight == 0 and gov.escrow.voted.get(i) is None
    assert gov.escrow.withdraw(i, sender="alice") == 10 * WAD


def test_vote__last_hour__only_whitelisted_lock_votes(gov_sys: System) -> None:
    gov, c = gov_sys.gov, gov_sys.chain
    a = gov.escrow.create_lock(10 * WAD, MAXTIME, sender="alice")
    b = gov.escrow.create_lock(10 * WAD, MAXTIME, sender="bob")
    c.warp(epoch_next(c.now) - 1800)
    assert_refused(
        c,
        NotAuthorized,
        "gov/not-whitelisted-nft",
        gov.voter.vote,
        a,
        ["ausd-usdc"],
        [1],
        sender="alice",
    )
    gov.voter.whitelist_nft(b, True, sender="gov")
    gov.voter.vote(b, ["ausd-usdc"], [1], sender="bob")


def test_bribe__notified_in_epoch__voters_standing_at_epoch_end_share_pro_rata(
    gov_sys: System,
) -> None:
    gov, c = gov_sys.gov, gov_sys.chain
    a = gov.escrow.create_lock(300 * WAD, MAXTIME, sender="alice")
    b = gov.escrow.create_lock(100 * WAD, MAXTIME, sender="bob")
    gov.voter.vote(a, ["ausd-usdc"], [1], sender="alice")
    bribe = gov.voter.bribe_reward("ausd-usdc")
    bribe.notify_reward_amount("USDC", 1000 * WAD, sender="briber")
    gov.voter.vote(b, ["ausd-usdc"], [1], sender="bob")  # later in the same epoch still counts
    assert bribe.earned("USDC", a) == 0  # the epoch is not over
    next_epoch(c)
    ea, eb = bribe.earned("USDC", a), bribe.earned("USDC", b)
    assert ea + eb <= 1000 * WAD and 1000 * WAD - (ea + eb) <= 2
    assert abs(ea - 3 * eb) <= 4 * WAD // 10**15
    assert bribe.get_reward(a, sender="alice") == {"USDC": ea}
    assert c.ledger.balance_of("USDC", "alice") == ea
    assert_refused(c, InvalidInput, "gov/nothing-to-claim", bribe.get_reward, a, sender="alice")
    epoch = epoch_start(c.now) - WEEK
    assert bribe.state.claimed_per_epoch[("USDC", epoch)] == ea


def test_bribe__voter_reset_before_epoch_end__earns_nothing(gov_sys: System) -> None:
    gov, c = gov_sys.gov, gov_sys.chain
    a = gov.escrow.create_lock(300 * WAD, MAXTIME, sender="alice")
    b = gov.escrow.create_lock(100 * WAD, MAXTIME, sender="bob")
    gov.voter.vote(a, ["ausd-usdc"], [1], sender="alice")
    gov.voter.vote(b, ["ausd-usdc"], [1], sender="bob")
    next_epoch(c)
    bribe = gov.voter.bribe_reward("ausd-usdc")
    bribe.notify_reward_amount("USDC", 800 * WAD, sender="briber")
    gov.voter.vote(b, ["ausd-ausd2"], [1], sender="bob")  # moves away before the epoch ends
    next_epoch(c)
    assert bribe.earned("USDC", b) == 0
    assert 800 * WAD - bribe.earned("USDC", a) <= 1


def test_fees__swap_fees_in_epoch__paid_to_gauge_voters_after_next_flip(gov_sys: System) -> None:
    gov, c = gov_sys.gov, gov_sys.chain
    assert gov_sys.pool.fee_receiver == gov.voter.fees_reward("ausd-usdc").account
    a = gov.escrow.create_lock(300 * WAD, MAXTIME, sender="alice")
    gov.voter.vote(a, ["ausd-usdc"], [1], sender="alice")
    gov_sys.pool.pay_fee("USDC", 1000 * WAD, "trader")
    gov_sys.pool.pay_fee("AUSD", 10, "trader")  # below WEEK wei: held as pending
    next_epoch(c)
    gov.voter.distribute(sender="keeper")  # gauge claims fees, credited to this epoch
    fees = gov.voter.fees_reward("ausd-usdc")
    assert fees.state.pending_fees["AUSD"] == 10
    assert fees.state.rewards_per_epoch[("USDC", epoch_start(c.now))] == 1000 * WAD
    assert fees.earned("USDC", a) == 0
    next_epoch(c)
    assert fees.get_reward(a, sender="alice") == {"USDC": 1000 * WAD}
    assert_refused(
        c, NotAuthorized, "gov/not-gauge", fees.notify_reward_amount, "USDC", WAD, sender="briber"
    )


def test_claim_fees__anyone__moves_pool_fees_without_distribution(gov_sys: System) -> None:
    gov = gov_sys.gov
    gov_sys.pool.pay_fee("USDC", 5 * WAD, "trader")
    assert gov.voter.gauge("ausd-usdc").claim_fees(sender="anyone") == {"USDC": 5 * WAD}
    assert (
        gov_sys.chain.ledger.balance_of("USDC", gov.voter.fees_reward("ausd-usdc").account)
        == 5 * WAD
    )


def test_kill_gauge__emissions_return_to_minter__next_flip_mints_less(gov_sys: System) -> None:
    gov, c = gov_sys.gov, gov_sys.chain
    a = gov.escrow.create_lock(1000 * WAD, MAXTIME, sender="alice")
    gov.voter.vote(a, ["ausd-usdc"], [1], sender="alice")
    next_epoch(c)
    gov.voter.distribute(sender="keeper")
    gov.voter.kill_gauge("ausd-usdc", sender="gov")
    assert not gov.voter.is_alive("ausd-usdc")
    g = gov.voter.gauge("ausd-usdc")
    assert_refused(c, ShutDown, "gov/gauge-killed", g.deposit, WAD, sender="lp1")
    next_epoch(c)
    amounts = gov.voter.distribute(sender="keeper")
    assert amounts["ausd-usdc"] == 0
    returned = gov.voter.state.returned_total
    assert 0 <= 10_300_000 * WAD - returned <= gov.voter.state.total_weight // WAD + 1
    assert c.ledger.balance_of("GOV", gov.minter.account) == returned
    assert_refused(c, ShutDown, "gov/gauge-killed", gov.voter.poke, a, sender="x")
    gov.voter.reset(a, sender="alice")  # voters of a killed gauge can always leave
    minted_before = gov.minter.state.minted_total
    next_epoch(c)
    gov.voter.distribute(sender="keeper")
    ev = [e.event for e in c.log if e.event.kind == "gov/period-updated"][-1]
    assert ev.minted == ev.emission + ev.growth + ev.team - returned
    assert gov.minter.state.minted_total == minted_before + ev.minted
    assert gov_sys.gov.gov_accounting_errors() == []


def test_revive_gauge__after_kill__voting_and_staking_again(gov_sys: System) -> None:
    gov, c = gov_sys.gov, gov_sys.chain
    gov.voter.kill_gauge("ausd-usdc", sender="gov")
    a = gov.escrow.create_lock(10 * WAD, MAXTIME, sender="alice")
    assert_refused(
        c, ShutDown, "gov/gauge-killed", gov.voter.vote, a, ["ausd-usdc"], [1], sender="alice"
    )
    gov.voter.revive_gauge("ausd-usdc", sender="gov")
    gov.voter.vote(a, ["ausd-usdc"], [1], sender="alice")
    gov.voter.gauge("ausd-usdc").deposit(WAD, sender="lp1")


def test_vault_gauge__stakes_vault_shares__earns_emissions(gov_sys: System) -> None:
    gov, c = gov_sys.gov, gov_sys.chain
    a = gov.escrow.create_lock(10 * WAD, MAXTIME, sender="alice")
    gov.voter.vote(a, ["vault:alusd"], [1], sender="alice")
    g = gov.voter.gauge("vault:alusd")
    g.deposit(50 * WAD, sender="lp1")
    next_epoch(c)
    gov.voter.distribute(sender="keeper")
    c.warp(epoch_next(c.now))
    paid = g.get_reward("lp1", sender="lp1")
    assert 0 < paid <= g.state.notified_total
    g.withdraw(50 * WAD, sender="lp1")
    assert c.ledger.balance_of("VSHARE", "lp1") == 1_000 * WAD


def test_transfer__voted_lock__votes_stay_and_new_owner_controls_them(gov_sys: System) -> None:
    gov, c = gov_sys.gov, gov_sys.chain
    a = gov.escrow.create_lock(10 * WAD, MAXTIME, sender="alice")
    gov.voter.vote(a, ["ausd-usdc"], [1], sender="alice")
    gov.escrow.transfer(a, "bob", sender="alice")
    assert gov.voter.votes_of(a) != {}
    next_epoch(c)
    assert_refused(c, NotAuthorized, "gov/not-owner", gov.voter.reset, a, sender="alice")
    gov.voter.vote(a, ["ausd-ausd2"], [1], sender="bob")
    assert list(gov.voter.votes_of(a)) == ["ausd-ausd2"]


def test_vote__just_transferred__flash_guard_gives_zero_weight(gov_sys: System) -> None:
    gov, c = gov_sys.gov, gov_sys.chain
    a = gov.escrow.create_lock(10 * WAD, MAXTIME, sender="alice")
    gov.escrow.transfer(a, "bob", sender="alice")
    assert_refused(
        c, InvalidInput, "gov/zero-weight", gov.voter.vote, a, ["ausd-usdc"], [1], sender="bob"
    )
    c.advance(1)
    gov.voter.vote(a, ["ausd-usdc"], [1], sender="bob")


def test_distribute__pool_fee_receiver_redirected__flip_still_runs_and_fees_not_booked(
    gov_sys: System,
) -> None:
    gov, c = gov_sys.gov, gov_sys.chain
    a = gov.escrow.create_lock(300 * WAD, MAXTIME, sender="alice")
    gov.voter.vote(a, ["ausd-usdc"], [1], sender="alice")
    gov_sys.pool.file("fee_receiver", "elsewhere", sender="gov")
    gov_sys.pool.pay_fee("USDC", 1000 * WAD, "trader")
    next_epoch(c)
    amounts = gov.voter.distribute(sender="keeper")
    assert amounts["ausd-usdc"] > 0
    assert gov_sys.pool.accrued["USDC"] == 1000 * WAD  # left in the pool for its owner to claim
    assert gov.voter.fees_reward("ausd-usdc").state.rewards_per_epoch == {}
