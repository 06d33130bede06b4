"""Isolation of the governance gauges from the pools they call (issue 17, item 5).

A permissionless pool's ``claim_fees`` is outside code. While it runs, the voter and every
gauge and reward contract of the voter are locked (one lock domain): a pool that calls back
into them gets ``kernel/reentered``, so it cannot have the same arrival booked twice or change
another gauge's or the voter's state under a running fee claim.
"""

from __future__ import annotations

from typing import Any

import pytest

from peglab.errors import Reentered
from peglab.kernel import Chain, Record, action
from peglab.protocols.amm import StableSwapPool
from peglab.protocols.governance import MAXTIME, Governance, epoch_next
from peglab.units import WAD

FEE = 10**24  # above WEEK wei: booked at once (rewards.py add_fees)


class _PoolState(Record):
    __slots__ = ("fee_receiver",)


class HostilePool:
    """Pays ``FEE`` USDC per claim; inside its claim it calls ``inner`` (once) and may lie."""

    def __init__(self, chain: Chain, pool_id: str, inner: Any, report: int, fail: bool) -> None:
        self.chain, self.id, self.coins = chain, pool_id, ("AUSD", "USDC")
        self.lp_token = f"LP-{pool_id}"
        self.account = f"pool-{pool_id}"
        chain.ledger.create_token(self.lp_token)
        chain.ledger.mint("USDC", self.account, 10**30)
        self.state = _PoolState(chain.journal, fee_receiver="")
        self.inner, self.report, self.fail, self.depth = inner, report, fail, 0
        self.seen: list[str] = []

    @property
    def fee_receiver(self) -> str:
        return str(self.state.fee_receiver)

    @action
    def file(self, what: str, value: Any, *, sender: str) -> None:
        self.state.fee_receiver = value

    @action
    def claim_fees(self, *, sender: str) -> dict[str, int]:
        self.chain.ledger.transfer("USDC", self.account, self.fee_receiver, FEE)
        if self.depth == 0:
            self.depth += 1
            try:
                self.inner(sender)
            except Reentered as e:
                self.seen.append(e.code)
            finally:
                self.depth -= 1
        if self.fail:
            raise RuntimeError("the pool's own failure")
        return {"USDC": self.report}


def world(inner_kind: str, report: int = FEE, fail: bool = False) -> tuple[Any, ...]:
    chain = Chain()
    gov = Governance.deploy(chain)
    for sym in ("AUSD", "USDC"):
        chain.ledger.create_token(sym)
        chain.ledger.mint(sym, "lp", 10**30)
    gov.voter.whitelist_token("AUSD", True, sender="gov")
    gov.voter.whitelist_token("USDC", True, sender="gov")
    gov.minter.initialize(liquid=[("alice", 1000 * WAD)], sender="gov")
    good = StableSwapPool(chain, "good", ["AUSD", "USDC"], 200)
    good.add_liquidity([10**24, 10**24], 0, sender="lp")

    def inner(sender: str) -> None:
        if inner_kind == "own-claim":  # book the same arrival once more
            gov.voter.gauge("evil").claim_fees(sender=sender)
        elif inner_kind == "distribute":
            gov.voter.distribute(sender=sender)
        elif inner_kind == "other-gauge":  # touch another gauge's state
            chain.ledger.mint(good.lp_token, sender, 10**18)
            gov.voter.gauge("good").deposit(10**18, sender=sender)

    evil = HostilePool(chain, "evil", inner, report, fail)
    gov.voter.create_gauge(good, sender="gov")
    gov.voter.create_gauge(evil, sender="eve")
    lock = gov.escrow.create_lock(1000 * WAD, MAXTIME, sender="alice")
    gov.voter.vote(lock, ["good", "evil"], [1, 1], sender="alice")
    return chain, gov, evil


def booked_usdc(gov: Any, pool: str) -> int:
    st = gov.voter.fees_reward(pool).state
    return st.pending_fees.get("USDC", 0) + sum(
        v for (tok, _), v in st.rewards_per_epoch.items() if tok == "USDC"
    )


@pytest.mark.parametrize("inner", ["own-claim", "distribute"])
def test_claim_fees__pool_reenters_voter_domain__refused_and_booked_once(inner: str) -> None:
    chain, gov, evil = world(inner, report=2 * FEE)  # it also claims twice what it paid
    gov.voter.gauge("evil").claim_fees(sender="bob")
    arrived = chain.ledger.balance_of("USDC", gov.voter.fees_reward("evil").account)
    assert evil.seen == ["kernel/reentered"]
    assert booked_usdc(gov, "evil") == arrived == FEE
    assert gov.gov_accounting_errors() == []


def test_claim_fees__failing_pool_touched_another_gauge__everything_rolled_back() -> None:
    chain, gov, evil = world("other-gauge", fail=True)
    assert gov.voter.gauge("evil").claim_fees(sender="bob") == {}
    assert booked_usdc(gov, "evil") == 0
    assert gov.voter.gauge("good").state.staked.get("bob", 0) == 0  # the inner deposit is undone
    assert chain.ledger.balance_of("USDC", "pool-evil") == 10**30  # and the payment


def test_distribute__failing_reentrant_pool__other_gauge_paid_voter_consistent() -> None:
    chain, gov, evil = world("own-claim", fail=True)
    chain.warp(epoch_next(chain.now) + 3600)
    paid = gov.voter.distribute(sender="keeper")
    assert paid["good"] > 0 and paid["evil"] > 0  # emissions reach both gauges
    assert booked_usdc(gov, "evil") == 0  # the failed claim booked nothing
    assert gov.gov_accounting_errors() == [] and chain.ledger.conservation_errors() == {}
