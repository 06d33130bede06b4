"""Bad input: every refused governance action raises a typed error and leaves the state hash unchanged."""

from __future__ import annotations

from typing import Any

import pytest
from support.governance import System, next_epoch

from peglab.errors import InvalidInput, LimitExceeded, NotAuthorized, PeglabError, ShutDown
from peglab.protocols.governance import MAXTIME, WEEK, epoch_next, epoch_start
from peglab.testing import assert_refused
from peglab.units import WAD


@pytest.fixture
def s(gov_sys: System) -> System:
    sy = gov_sys
    gov = sy.gov
    sy.a = gov.escrow.create_lock(1000 * WAD, MAXTIME, sender="alice")  # type: ignore[attr-defined]
    sy.b = gov.escrow.create_lock(1000 * WAD, MAXTIME, sender="bob")  # type: ignore[attr-defined]
    sy.short = gov.escrow.create_lock(10 * WAD, 2 * WEEK, sender="alice")  # type: ignore[attr-defined]
    return sy


# -- the list ------------------------------------------------------------------------
def test_vote__expired_lock__refused(s: Any) -> None:
    s.chain.warp(s.gov.escrow.locked(s.short)[1] + 7200)
    assert_refused(
        s.chain,
        InvalidInput,
        "gov/lock-expired",
        s.gov.voter.vote,
        s.short,
        ["ausd-usdc"],
        [1],
        sender="alice",
    )


def test_vote__someone_elses_lock__refused(s: Any) -> None:
    assert_refused(
        s.chain,
        NotAuthorized,
        "gov/not-owner",
        s.gov.voter.vote,
        s.b,
        ["ausd-usdc"],
        [1],
        sender="alice",
    )


def test_vote__unknown_lock__refused(s: Any) -> None:
    assert_refused(
        s.chain,
        InvalidInput,
        "gov/unknown-lock",
        s.gov.voter.vote,
        999,
        ["ausd-usdc"],
        [1],
        sender="alice",
    )


def test_create_lock__zero__refused(s: Any) -> None:
    assert_refused(
        s.chain,
        InvalidInput,
        "gov/zero-amount",
        s.gov.escrow.create_lock,
        0,
        MAXTIME,
        sender="alice",
    )


def test_create_lock__beyond_four_years__refused(s: Any) -> None:
    c = s.chain
    assert_refused(
        c,
        InvalidInput,
        "gov/lock-too-long",
        s.gov.escrow.create_lock,
        WAD,
        MAXTIME + WEEK,
        sender="alice",
    )


def test_create_lock__ends_before_next_week__refused(s: Any) -> None:
    c = s.chain
    short = epoch_next(c.now) - c.now - 1
    assert_refused(
        c,
        InvalidInput,
        "gov/lock-not-in-future",
        s.gov.escrow.create_lock,
        WAD,
        short,
        sender="alice",
    )


def test_vote__twice_in_epoch__refused(s: Any) -> None:
    s.gov.voter.vote(s.a, ["ausd-usdc"], [1], sender="alice")
    assert_refused(
        s.chain,
        InvalidInput,
        "gov/already-voted",
        s.gov.voter.vote,
        s.a,
        ["ausd-ausd2"],
        [1],
        sender="alice",
    )


def test_vote__first_hour_of_epoch__refused(s: Any) -> None:
    next_epoch(s.chain, 3600)
    assert_refused(
        s.chain,
        InvalidInput,
        "gov/distribute-window",
        s.gov.voter.vote,
        s.a,
        ["ausd-usdc"],
        [1],
        sender="alice",
    )


def test_vote__last_hour_not_whitelisted__refused(s: Any) -> None:
    s.chain.warp(epoch_next(s.chain.now) - 3599)
    assert_refused(
        s.chain,
        NotAuthorized,
        "gov/not-whitelisted-nft",
        s.gov.voter.vote,
        s.a,
        ["ausd-usdc"],
        [1],
        sender="alice",
    )


def test_vote__unknown_gauge__refused(s: Any) -> None:
    assert_refused(
        s.chain,
        InvalidInput,
        "gov/unknown-gauge",
        s.gov.voter.vote,
        s.a,
        ["nope"],
        [1],
        sender="alice",
    )


def test_vote__killed_gauge__refused(s: Any) -> None:
    s.gov.voter.kill_gauge("ausd-usdc", sender="gov")
    assert_refused(
        s.chain,
        ShutDown,
        "gov/gauge-killed",
        s.gov.voter.vote,
        s.a,
        ["ausd-usdc"],
        [1],
        sender="alice",
    )


def test_claim_bribe__twice__refused(s: Any) -> None:
    gov, c = s.gov, s.chain
    gov.voter.vote(s.a, ["ausd-usdc"], [1], sender="alice")
    gov.voter.bribe_reward("ausd-usdc").notify_reward_amount("USDC", 100 * WAD, sender="briber")
    next_epoch(c)
    gov.voter.bribe_reward("ausd-usdc").get_reward(s.a, sender="alice")
    assert_refused(
        c,
        InvalidInput,
        "gov/nothing-to-claim",
        gov.voter.bribe_reward("ausd-usdc").get_reward,
        s.a,
        sender="alice",
    )


def test_claim_fees_reward__nothing_due__refused(s: Any) -> None:
    r = s.gov.voter.fees_reward("ausd-usdc")
    assert_refused(s.chain, InvalidInput, "gov/nothing-to-claim", r.get_reward, s.a, sender="alice")


def test_claim_rebase__twice__refused(s: Any) -> None:
    c, gov = s.chain, s.gov
    next_epoch(c, 0)
    gov.minter.update_period(sender="k")
    next_epoch(c, 0)
    gov.minter.update_period(sender="k")
    gov.distributor.claim(s.a, sender="x")
    assert_refused(c, InvalidInput, "gov/nothing-to-claim", gov.distributor.claim, s.a, sender="x")


def test_claim_gauge_emissions__twice__refused(s: Any) -> None:
    c, gov = s.chain, s.gov
    gov.voter.vote(s.a, ["ausd-usdc"], [1], sender="alice")
    g = gov.voter.gauge("ausd-usdc")
    g.deposit(WAD, sender="lp1")
    next_epoch(c)
    gov.voter.distribute(sender="k")
    c.advance(3600)
    g.get_reward("lp1", sender="lp1")
    assert_refused(c, InvalidInput, "gov/nothing-to-claim", g.get_reward, "lp1", sender="lp1")
    assert_refused(c, NotAuthorized, "gov/not-account", g.get_reward, "lp1", sender="lp2")


# -- amounts and types -----------------------------------------------------------------------
# Types and 256-bit widths are checked at the action boundary (kernel/validate.py); the sign by the body.
@pytest.mark.parametrize(
    ("value", "code"),
    [
        (-1, "gov/bad-amount"),
        (2**256, "input/out-of-range"),
        (1.5, "input/bad-type"),
        (True, "input/bad-type"),
        ("1", "input/bad-type"),
        (None, "input/bad-type"),
    ],
)
def test_create_lock__malformed_amount__refused(s: Any, value: object, code: str) -> None:
    assert_refused(
        s.chain,
        InvalidInput,
        code,
        s.gov.escrow.create_lock,
        value,
        MAXTIME,
        sender="alice",
    )


@pytest.mark.parametrize(
    ("duration", "code"),
    [
        (-1, "gov/bad-duration"),
        (2**256, "input/out-of-range"),
        (1.0, "input/bad-type"),
        (None, "input/bad-type"),
    ],
)
def test_create_lock__malformed_duration__refused(s: Any, duration: object, code: str) -> None:
    assert_refused(
        s.chain,
        InvalidInput,
        code,
        s.gov.escrow.create_lock,
        WAD,
        duration,
        sender="alice",
    )


def test_create_lock__more_than_balance__refused(s: Any) -> None:
    assert_refused(
        s.chain,
        InvalidInput,
        "ledger/insufficient-balance",
        s.gov.escrow.create_lock,
        10**30,
        MAXTIME,
        sender="carol",
    )


# -- escrow rules ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "args", "error", "code"),
    [
        ("increase_amount", ("a", 0), InvalidInput, "gov/zero-amount"),
        ("increase_amount", ("b", WAD), NotAuthorized, "gov/not-owner"),
        ("increase_amount", ("x", WAD), InvalidInput, "gov/unknown-lock"),
        ("deposit_for", ("a", -5), InvalidInput, "gov/bad-amount"),
        ("increase_unlock_time", ("a", 365 * 86_400), InvalidInput, "gov/lock-not-in-future"),
        ("increase_unlock_time", ("short", MAXTIME + WEEK), InvalidInput, "gov/lock-too-long"),
        ("withdraw", ("a",), InvalidInput, "gov/lock-not-expired"),
        ("unlock_permanent", ("a",), InvalidInput, "gov/not-permanent-lock"),
        ("merge", ("a", "a"), InvalidInput, "gov/same-nft"),
        ("merge", ("a", "b"), NotAuthorized, "gov/not-owner"),
        ("transfer", ("b", "eve"), NotAuthorized, "gov/not-owner"),
        ("transfer", ("a", ""), InvalidInput, "gov/bad-account"),
        ("approve", ("b", "eve"), NotAuthorized, "gov/not-owner"),
        ("toggle_split", ("*", True), NotAuthorized, "gov/not-governor"),
    ],
)
def test_escrow_action__bad_input__refused(
    s: Any, name: str, args: tuple, error: type[PeglabError], code: str
) -> None:  # type: ignore[type-arg]
    ids = {"a": s.a, "b": s.b, "short": s.short, "x": 12345}
    real = tuple(ids.get(x, x) if isinstance(x, str) and x in ids else x for x in args)
    if name == "transfer" and real[1] == "eve":
        real = (s.b, "eve")
    assert_refused(s.chain, error, code, getattr(s.gov.escrow, name), *real, sender="alice")


def test_escrow__permanent_lock_rules__refused(s: Any) -> None:
    gov, c = s.gov, s.chain
    gov.escrow.lock_permanent(s.a, sender="alice")
    assert_refused(
        c,
        InvalidInput,
        "gov/permanent-lock",
        gov.escrow.increase_unlock_time,
        s.a,
        MAXTIME,
        sender="alice",
    )
    assert_refused(
        c, InvalidInput, "gov/permanent-lock", gov.escrow.lock_permanent, s.a, sender="alice"
    )
    assert_refused(c, InvalidInput, "gov/permanent-lock", gov.escrow.withdraw, s.a, sender="alice")
    assert_refused(
        c, InvalidInput, "gov/permanent-lock", gov.escrow.merge, s.a, s.short, sender="alice"
    )


def test_escrow__voted_lock__withdraw_merge_split_unlock_refused(s: Any) -> None:
    gov, c = s.gov, s.chain
    gov.escrow.toggle_split("*", True, sender="gov")
    gov.voter.vote(s.short, ["ausd-usdc"], [1], sender="alice")
    c.warp(gov.escrow.locked(s.short)[1] + 10)
    assert_refused(
        c, InvalidInput, "gov/already-voted", gov.escrow.withdraw, s.short, sender="alice"
    )
    assert_refused(
        c, InvalidInput, "gov/already-voted", gov.escrow.merge, s.short, s.a, sender="alice"
    )
    assert_refused(
        c, InvalidInput, "gov/already-voted", gov.escrow.split, s.short, WAD, sender="alice"
    )


def test_escrow__expired_lock__increase_extend_merge_into_refused(s: Any) -> None:
    gov, c = s.gov, s.chain
    c.warp(gov.escrow.locked(s.short)[1])
    assert_refused(
        c,
        InvalidInput,
        "gov/lock-expired",
        gov.escrow.increase_amount,
        s.short,
        WAD,
        sender="alice",
    )
    assert_refused(
        c,
        InvalidInput,
        "gov/lock-expired",
        gov.escrow.increase_unlock_time,
        s.short,
        MAXTIME,
        sender="alice",
    )
    assert_refused(
        c, InvalidInput, "gov/lock-expired", gov.escrow.lock_permanent, s.short, sender="alice"
    )
    assert_refused(
        c, InvalidInput, "gov/lock-expired", gov.escrow.merge, s.a, s.short, sender="alice"
    )


def test_split__bad_amounts__refused(s: Any) -> None:
    gov, c = s.gov, s.chain
    gov.escrow.toggle_split("*", True, sender="gov")
    assert_refused(c, InvalidInput, "gov/zero-amount", gov.escrow.split, s.a, 0, sender="alice")
    assert_refused(
        c, InvalidInput, "gov/amount-too-big", gov.escrow.split, s.a, 1000 * WAD, sender="alice"
    )


# -- voter rules -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("pools", "weights", "error", "code"),
    [
        (["ausd-usdc"], [1, 2], InvalidInput, "gov/unequal-lengths"),
        (["ausd-usdc"] * 31, [1] * 31, LimitExceeded, "gov/too-many-pools"),
        (["ausd-usdc"], [0], InvalidInput, "gov/zero-weight"),
        (["ausd-usdc", "ausd-ausd2"], [10**30, 1], InvalidInput, "gov/zero-weight"),
        (["ausd-usdc", "ausd-usdc"], [1, 1], InvalidInput, "gov/duplicate-pool"),
        (["ausd-usdc"], [-1], InvalidInput, "gov/bad-amount"),
        ("ausd-usdc", [1], InvalidInput, "input/bad-type"),
        ([7], [1], InvalidInput, "input/bad-type"),
    ],
)
def test_vote__malformed__refused(
    s: Any, pools: Any, weights: Any, error: type[PeglabError], code: str
) -> None:
    assert_refused(s.chain, error, code, s.gov.voter.vote, s.a, pools, weights, sender="alice")


def test_poke_and_reset__first_hour__refused(s: Any) -> None:
    next_epoch(s.chain, 100)
    assert_refused(
        s.chain, InvalidInput, "gov/distribute-window", s.gov.voter.poke, s.a, sender="x"
    )
    assert_refused(
        s.chain, InvalidInput, "gov/distribute-window", s.gov.voter.reset, s.a, sender="alice"
    )


def test_gauge_admin__bad_input__refused(s: Any) -> None:
    gov, c = s.gov, s.chain
    v = gov.voter
    assert_refused(
        c, NotAuthorized, "gov/not-emergency-council", v.kill_gauge, "ausd-usdc", sender="eve"
    )
    v.kill_gauge("ausd-usdc", sender="gov")
    assert_refused(
        c, InvalidInput, "gov/gauge-already-killed", v.kill_gauge, "ausd-usdc", sender="gov"
    )
    assert_refused(c, InvalidInput, "gov/gauge-alive", v.revive_gauge, "ausd-ausd2", sender="gov")
    assert_refused(c, InvalidInput, "gov/unknown-gauge", v.revive_gauge, "nope", sender="gov")
    assert_refused(c, InvalidInput, "gov/gauge-exists", v.create_gauge, s.pool, sender="gov")
    assert_refused(c, InvalidInput, "input/bad-type", v.create_gauge, object(), sender="gov")
    assert_refused(
        c, NotAuthorized, "gov/not-governor", v.create_vault_gauge, "v2", "VSHARE", sender="eve"
    )
    assert_refused(
        c, InvalidInput, "ledger/unknown-token", v.create_vault_gauge, "v2", "NOPE", sender="gov"
    )
    assert_refused(c, InvalidInput, "gov/unknown-param", v.file, "max_votes", 40, sender="gov")
    assert_refused(c, InvalidInput, "gov/bad-value", v.file, "max_voting_num", 9, sender="gov")
    assert_refused(
        c, NotAuthorized, "gov/not-governor", v.whitelist_token, "BRIBE", True, sender="eve"
    )
    assert_refused(c, InvalidInput, "gov/unknown-lock", v.whitelist_nft, 999, True, sender="gov")
    assert_refused(c, InvalidInput, "gov/unknown-gauge", v.distribute, ["nope"], sender="k")


def test_bribe__bad_input__refused(s: Any) -> None:
    c = s.chain
    bribe = s.gov.voter.bribe_reward("ausd-usdc")
    assert_refused(
        c,
        InvalidInput,
        "gov/token-not-whitelisted",
        bribe.notify_reward_amount,
        "BRIBE",
        WAD,
        sender="briber",
    )
    assert_refused(
        c, InvalidInput, "gov/zero-amount", bribe.notify_reward_amount, "USDC", 0, sender="briber"
    )
    assert_refused(
        c,
        InvalidInput,
        "ledger/unknown-token",
        bribe.notify_reward_amount,
        "NOPE",
        WAD,
        sender="briber",
    )
    assert_refused(
        c,
        InvalidInput,
        "ledger/insufficient-balance",
        bribe.notify_reward_amount,
        "USDC",
        WAD,
        sender="nobody",
    )
    assert_refused(c, NotAuthorized, "gov/not-owner", bribe.get_reward, s.a, sender="bob")


def test_gauge__bad_stake_input__refused(s: Any) -> None:
    c = s.chain
    g = s.gov.voter.gauge("ausd-usdc")
    assert_refused(c, InvalidInput, "gov/zero-amount", g.deposit, 0, sender="lp1")
    assert_refused(c, InvalidInput, "gov/bad-amount", g.deposit, -1, sender="lp1")
    assert_refused(c, InvalidInput, "ledger/insufficient-balance", g.deposit, 10**30, sender="lp1")
    assert_refused(c, InvalidInput, "gov/insufficient-stake", g.withdraw, WAD, sender="lp1")


def test_minter_and_distributor__bad_input__refused(s: Any) -> None:
    c, gov = s.chain, s.gov
    next_epoch(c)
    assert_refused(c, InvalidInput, "gov/update-period", gov.distributor.claim, s.a, sender="x")
    gov.minter.update_period(sender="k")
    assert_refused(c, InvalidInput, "gov/unknown-lock", gov.distributor.claim, 999, sender="x")
    assert epoch_start(c.now) == gov.minter.state.active_period
