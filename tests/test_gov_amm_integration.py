"""Integration: real AMM pools' trading fees reach the voters of their gauges."""

from __future__ import annotations

from support.governance import next_epoch

from peglab.kernel import Chain
from peglab.protocols.amm import ConstantProductPool, StableSwapPool
from peglab.protocols.governance import MAXTIME, FeeSource, Governance, epoch_start
from peglab.units import WAD


def _chain_with_tokens() -> tuple[Chain, Governance]:
    chain = Chain()
    gov = Governance.deploy(chain)
    for sym in ("AUSD", "USDC"):
        chain.ledger.create_token(sym)
        for user in ("lp", "trader"):
            chain.ledger.mint(sym, user, 10_000_000 * WAD)
    gov.minter.initialize(liquid=[("alice", 1000 * WAD), ("bob", 3000 * WAD)], sender="gov")
    return chain, gov


def test_stableswap_pool__swap_fees_in_epoch__claimed_by_voters_two_flips_later() -> None:
    chain, gov = _chain_with_tokens()
    pool = StableSwapPool(chain, "ausd-usdc", ["AUSD", "USDC"], 200)
    assert isinstance(pool, FeeSource)
    pool.add_liquidity([1_000_000 * WAD, 1_000_000 * WAD], 0, sender="lp")
    gauge = gov.voter.create_gauge(pool, sender="gov")
    fees = gov.voter.fees_reward(pool.id)
    assert pool.fee_receiver == fees.account
    assert gauge.state.stake_token == pool.lp_token
    gauge.deposit(chain.ledger.balance_of(pool.lp_token, "lp") // 2, sender="lp")
    a = gov.escrow.create_lock(1000 * WAD, MAXTIME, sender="alice")
    b = gov.escrow.create_lock(3000 * WAD, MAXTIME, sender="bob")
    gov.voter.vote(a, [pool.id], [1], sender="alice")
    gov.voter.vote(b, [pool.id], [1], sender="bob")
    for k in range(10):
        pool.exchange(k % 2, 1 - k % 2, 50_000 * WAD, 0, sender="trader")
    admin = dict(zip(pool.coins, pool.admin_balances()))
    assert all(v > 0 for v in admin.values())

    next_epoch(chain)
    gov.voter.distribute(sender="keeper")  # gauge takes emissions and claims the pool's fees
    assert pool.admin_balances() == (0, 0)
    epoch = epoch_start(chain.now)
    for token, amount in admin.items():
        assert fees.state.rewards_per_epoch[(token, epoch)] == amount
        assert chain.ledger.balance_of(token, fees.account) == amount
    assert gauge.state.notified_total > 0

    next_epoch(chain)
    got_a = fees.get_reward(a, sender="alice")
    got_b = fees.get_reward(b, sender="bob")
    for token, amount in admin.items():
        assert got_a[token] + got_b[token] <= amount
        assert amount - (got_a[token] + got_b[token]) <= 2
        assert got_b[token] > 2 * got_a[token]  # bob's vote is ~3x alice's
    assert gov.gov_accounting_errors() == [] and chain.ledger.conservation_errors() == {}


def test_constant_product_pool__protocol_fee_lp__paid_to_voters() -> None:
    chain, gov = _chain_with_tokens()
    pool = ConstantProductPool(chain, "ausd-usdc-v2", "AUSD", "USDC", protocol_fee_on=True)
    pool.mint(1_000_000 * WAD, 1_000_000 * WAD, sender="lp")
    gov.voter.create_gauge(pool, sender="gov")
    fees = gov.voter.fees_reward(pool.id)
    a = gov.escrow.create_lock(1000 * WAD, MAXTIME, sender="alice")
    gov.voter.vote(a, [pool.id], [1], sender="alice")
    for k in range(10):
        token = ("AUSD", "USDC")[k % 2]
        pool.swap_exact_in(token, 50_000 * WAD, 0, sender="trader")
    pending = pool.pending_protocol_fee()
    assert pending > 0
    next_epoch(chain)
    gov.voter.distribute(sender="keeper")
    next_epoch(chain)
    got = fees.get_reward(a, sender="alice")
    assert got == {pool.lp_token: pending}  # sole voter: the whole protocol fee, as LP tokens
    assert chain.ledger.balance_of(pool.lp_token, "alice") == pending
