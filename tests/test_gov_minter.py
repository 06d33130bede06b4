"""Minter and rebase distributor: the epoch flip, Aerodrome rebase, team share, claims, tail nudges."""

from __future__ import annotations

import pytest
from support.governance import System, next_epoch

from peglab.errors import InvalidInput, LimitExceeded, NotAuthorized
from peglab.kernel import Chain
from peglab.protocols.governance import (
    MAXTIME,
    WEEK,
    EmissionSchedule,
    Governance,
    epoch_start,
    rebase_aerodrome,
)
from peglab.testing import assert_refused
from peglab.units import WAD


def _flips(chain: Chain) -> list:  # type: ignore[type-arg]
    return [e.event for e in chain.log if e.event.kind == "gov/period-updated"]


def test_update_period__before_next_week__no_flip_then_once_per_epoch(gov_sys: System) -> None:
    c, gov = gov_sys.chain, gov_sys.gov
    assert gov.minter.update_period(sender="k") == epoch_start(c.now)
    assert _flips(c) == []
    next_epoch(c, 0)
    gov.minter.update_period(sender="k")
    gov.minter.update_period(sender="k")
    c.advance(WEEK - 1)
    gov.minter.update_period(sender="k")
    assert len(_flips(c)) == 1
    assert gov.minter.state.weekly == 10_300_000 * WAD


def test_update_period__flip__rebase_team_and_emission_follow_spec_formulas(
    gov_sys: System,
) -> None:
    c, gov = gov_sys.chain, gov_sys.gov
    a = gov.escrow.create_lock(400_000 * WAD, MAXTIME, sender="alice")
    next_epoch(c, 5000)
    t_supply = c.ledger.total_supply("GOV")
    v = gov.escrow.supply_at(epoch_start(c.now) - 1)
    assert (
        v == gov.escrow.power_at(a, epoch_start(c.now) - 1) + 500_000 * WAD
    )  # dave's permanent lock
    gov.minter.update_period(sender="k")
    ev = _flips(c)[-1]
    e = 10_000_000 * WAD
    growth = rebase_aerodrome(e, v, t_supply)
    assert (ev.emission, ev.ve_supply, ev.total_supply, ev.growth) == (e, v, t_supply, growth)
    assert ev.team == 500 * (growth + e) // 10_000
    assert c.ledger.balance_of("GOV", "team") == ev.team
    assert c.ledger.balance_of("GOV", gov.distributor.account) == growth
    assert c.ledger.balance_of("GOV", gov.voter.account) == e
    assert c.ledger.total_supply("GOV") == t_supply + e + growth + ev.team
    assert gov.gov_accounting_errors() == []


def test_rebase_claim__live_lock__compounds_into_lock_and_second_claim_refused(
    gov_sys: System,
) -> None:
    c, gov = gov_sys.chain, gov_sys.gov
    a = gov.escrow.create_lock(400_000 * WAD, MAXTIME, sender="alice")
    next_epoch(c, 0)
    assert_refused(c, InvalidInput, "gov/update-period", gov.distributor.claim, a, sender="anyone")
    gov.minter.update_period(sender="k")
    next_epoch(c, 0)
    gov.minter.update_period(sender="k")
    amount_before = gov.escrow.locked(a)[0]
    due = gov.distributor.claimable(a)
    assert due > 0
    assert gov.distributor.claim(a, sender="anyone") == due
    assert gov.escrow.locked(a)[0] == amount_before + due
    assert_refused(
        c, InvalidInput, "gov/nothing-to-claim", gov.distributor.claim, a, sender="anyone"
    )
    # dave's permanent lock (id 1) claims too; the two never exceed what the distributor received
    due_dave = gov.distributor.claim(1, sender="dave")
    assert due + due_dave <= gov.minter.state.growth_total
    assert gov.gov_accounting_errors() == []


def test_rebase_claim__expired_lock__paid_to_owner(gov_sys: System) -> None:
    c, gov = gov_sys.chain, gov_sys.gov
    a = gov.escrow.create_lock(400_000 * WAD, 2 * WEEK, sender="alice")
    end = gov.escrow.locked(a)[1]
    next_epoch(c, 0)
    gov.minter.update_period(sender="k")
    next_epoch(c, 0)
    gov.minter.update_period(sender="k")
    assert c.now >= end
    before = c.ledger.balance_of("GOV", "alice")
    due = gov.distributor.claim(a, sender="x")
    assert due > 0 and c.ledger.balance_of("GOV", "alice") == before + due
    assert gov.escrow.locked(a)[0] == 400_000 * WAD


def test_schedule__aerodrome_constants__grow_for_14_epochs_then_decay() -> None:
    sched = EmissionSchedule.aerodrome()
    w = sched.initial_weekly
    seq = []
    for k in range(1, 20):
        seq.append(w)
        w = sched.next_weekly(w, k)
    assert seq[1] == 10_300_000 * WAD
    assert seq[14] == seq[13] * 10_300 // 10_000
    assert seq[15] == seq[14] * 9_900 // 10_000
    scaled = EmissionSchedule.aerodrome(1_000_000 * WAD)
    assert scaled.tail_start == 896_915 * WAD


def test_nudge__in_tail__one_bp_per_epoch_within_bounds() -> None:
    chain = Chain()
    sched = EmissionSchedule(
        WAD, 10_000, 0, 9_900, 2 * WAD, 2, tail_rate_min_bps=1, tail_rate_max_bps=3
    )
    gov = Governance.deploy(chain, schedule=sched)
    chain.grant("gov/epoch-governor", "eg", sender="gov")
    assert_refused(
        chain, NotAuthorized, "gov/not-epoch-governor", gov.minter.nudge, True, sender="eve"
    )
    assert gov.minter.nudge(True, sender="eg") == 3
    assert_refused(chain, LimitExceeded, "gov/already-nudged", gov.minter.nudge, True, sender="eg")
    next_epoch(chain)
    gov.minter.update_period(sender="k")
    assert gov.minter.nudge(True, sender="eg") == 3  # capped at the maximum
    for _ in range(3):
        next_epoch(chain)
        gov.minter.update_period(sender="k")
        gov.minter.nudge(False, sender="eg")
    assert gov.minter.state.tail_rate_bps == 1


def test_nudge__not_in_tail__refused(gov_sys: System) -> None:
    assert_refused(
        gov_sys.chain,
        InvalidInput,
        "gov/tail-inactive",
        gov_sys.gov.minter.nudge,
        True,
        sender="gov",
    )


def test_tail__emission_is_share_of_supply() -> None:
    chain = Chain()
    sched = EmissionSchedule(WAD, 10_000, 0, 9_900, 2 * WAD, 67)
    gov = Governance.deploy(chain, schedule=sched)
    gov.minter.initialize(liquid=[("a", 1_000_000 * WAD)], sender="gov")
    next_epoch(chain)
    gov.minter.update_period(sender="k")
    ev = _flips(chain)[-1]
    assert ev.tail and ev.emission == 1_000_000 * WAD * 67 // 10_000


def test_file__team_rate_and_team__changed_and_bounded(gov_sys: System) -> None:
    c, gov = gov_sys.chain, gov_sys.gov
    gov.minter.file("team_rate_bps", 100, sender="gov")
    gov.minter.file("team", "treasury", sender="gov")
    assert_refused(
        c, InvalidInput, "gov/bad-value", gov.minter.file, "team_rate_bps", 501, sender="gov"
    )
    assert_refused(c, InvalidInput, "gov/unknown-param", gov.minter.file, "weekly", 1, sender="gov")
    assert_refused(
        c, NotAuthorized, "gov/not-governor", gov.minter.file, "team_rate_bps", 1, sender="eve"
    )
    next_epoch(c)
    gov.minter.update_period(sender="k")
    ev = _flips(c)[-1]
    assert (
        ev.team
        == 100 * (ev.growth + ev.emission) // 10_000
        == c.ledger.balance_of("GOV", "treasury")
    )


def test_initialize__twice__refused_and_locked_allocations_are_permanent(gov_sys: System) -> None:
    assert gov_sys.gov.escrow.locked(1) == (500_000 * WAD, 0, True)
    assert gov_sys.gov.minter.state.initial_supply == 2_000_100 * WAD + 500_000 * WAD
    assert_refused(
        gov_sys.chain,
        InvalidInput,
        "gov/already-initialized",
        gov_sys.gov.minter.initialize,
        sender="gov",
    )


def test_set_minter__already_wired__refused_and_wiring_kept(gov_sys: System) -> None:
    gov = gov_sys.gov
    for part in (gov.voter, gov.distributor):
        with pytest.raises(InvalidInput) as e:
            part.set_minter(gov.minter)
        assert e.value.code == "gov/already-wired"
    assert gov.voter.minter is gov.minter


def test_update_period__gov_sent_to_the_minter__mints_that_much_less_and_accounting_holds(
    gov_sys: System,
) -> None:
    """Anyone may send GOV to the minter (receiving is open, as for Aerodrome's Minter); it mints
    only the shortfall of the epoch's needs over its balance, so a donation lowers minting by
    exactly its amount. Found by the long fuzz: the accounting check called the donation a
    broken invariant."""
    c, gov = gov_sys.chain, gov_sys.gov
    c.transfer("GOV", gov.minter.account, 7, sender="alice")
    assert gov.gov_accounting_errors() == []
    next_epoch(c, 0)
    supply = c.ledger.total_supply("GOV")
    gov.minter.update_period(sender="k")
    ev = _flips(c)[-1]
    assert c.ledger.total_supply("GOV") == supply + ev.emission + ev.growth + ev.team - 7
    assert gov.gov_accounting_errors() == []
