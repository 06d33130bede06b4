"""The CDP's staking pool (stATH) as an instance of the ERC-4626 vault base: both surfaces
(stake/unstake and deposit/mint/withdraw/redeem) share one book, with the pool's own rounding
and tracked assets (docs/cdp.md, docs/vaults.md §2)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from peglab.errors import InvalidInput, NotAuthorized
from peglab.kernel import Chain
from peglab.protocols.cdp import StakingPool
from peglab.protocols.vaults import ERC4626Vault, VaultDeposit
from peglab.testing import assert_refused
from peglab.units import WAD


def make() -> tuple[Chain, StakingPool]:
    chain = Chain(start_time=1_700_000_000)
    chain.ledger.create_token("ATH", 18)
    for who in ("alice", "bob", "rewards", "eve"):
        chain.ledger.mint("ATH", who, 10**12 * WAD)
    return chain, StakingPool(chain, "ATH", "stATH")


def test_pool__is_an_erc4626_vault__receipt_is_the_share() -> None:
    chain, pool = make()
    assert isinstance(pool, ERC4626Vault) and pool.share == pool.receipt == "stATH"
    assert pool.asset == "ATH" and pool.account == "staking:stATH"
    shares = pool.deposit(10 * WAD, sender="alice")
    assert shares == 10 * WAD == pool.balance_of("alice")  # 1:1 when empty, no virtual offset
    assert isinstance(chain.log[-1].event, VaultDeposit)
    assert pool.total_assets() == 10 * WAD == pool.convert_to_assets(shares)


def test_stake_and_deposit__same_inputs__same_shares_and_rate() -> None:
    _, a = make()
    _, b = make()
    for pool, enter in ((a, a.stake), (b, lambda x, sender: b.deposit(x, sender=sender))):
        enter(1_000 * WAD + 3, sender="alice")
        pool.add_rewards(333 * WAD + 1, sender="rewards")
        enter(10**18 + 7, sender="bob")
        pool.slash(WAD // 7, sender="gov")
    assert a.exchange_rate_wad() == b.exchange_rate_wad()
    assert a.balance_of("bob") == b.balance_of("bob") and a.total_assets() == b.total_assets()


def test_donation__to_the_account__moves_neither_rate_nor_previews() -> None:
    chain, pool = make()
    pool.stake(100 * WAD, sender="alice")
    pool.add_rewards(10 * WAD, sender="rewards")
    er, preview = pool.exchange_rate_wad(), pool.preview_deposit(WAD)
    chain.ledger.transfer("ATH", "eve", pool.account, 1_000 * WAD)  # a donation
    assert pool.exchange_rate_wad() == er == 11 * WAD // 10 and pool.preview_deposit(WAD) == preview
    assert pool.max_withdraw("alice") <= pool.total_assets()


def test_withdraw_and_redeem__other_owner__needs_allowance() -> None:
    chain, pool = make()
    pool.stake(100 * WAD, sender="alice")
    assert_refused(chain, NotAuthorized, "vault/insufficient-allowance", pool.redeem, WAD, "bob",
                   "alice", sender="bob")  # fmt: skip
    pool.approve("bob", 5 * WAD, sender="alice")
    assert pool.redeem(5 * WAD, "bob", "alice", sender="bob") == 5 * WAD
    assert pool.total_assets() == 95 * WAD


def test_wiped_out__stake_and_deposit_refused__views_do_not_raise() -> None:
    chain, pool = make()
    pool.stake(5 * WAD, sender="alice")
    pool.slash(WAD, sender="gov")  # 100%
    assert pool.preview_deposit(WAD) == 0 and pool.preview_redeem(5 * WAD) == 0
    assert_refused(chain, InvalidInput, "staking/wiped-out", pool.stake, WAD, sender="alice")
    assert_refused(chain, InvalidInput, "vault/zero-shares", pool.deposit, WAD, sender="alice")
    assert_refused(chain, InvalidInput, "vault/zero-assets", pool.redeem, WAD, sender="alice")
    assert pool.unstake(5 * WAD, sender="alice") == 0  # the pool's exit burns them for nothing


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(1, 10**30),
    rewards=st.integers(0, 10**27),
    slash_ppm=st.integers(0, 999_999),
    assets=st.integers(1, 10**27),
)
def test_round_trip__any_state__previews_equal_actions_and_never_profit(
    seed: int, rewards: int, slash_ppm: int, assets: int
) -> None:
    chain, pool = make()
    pool.stake(seed, sender="alice")
    if rewards:
        pool.add_rewards(rewards, sender="rewards")
    if slash_ppm:
        pool.slash(slash_ppm * 10**12, sender="gov")
    preview = pool.preview_deposit(assets)
    if preview == 0:
        return
    assert pool.deposit(assets, sender="bob") == preview
    back = pool.preview_redeem(preview)
    assert back <= assets  # rounding favours the pool
    if back:
        assert pool.redeem(preview, sender="bob") == back
    assert chain.ledger.balance_of("ATH", pool.account) >= pool.total_assets()


@pytest.mark.parametrize("bad", [0, -1])
def test_mint_and_withdraw__bad_amount__refused_state_unchanged(bad: int) -> None:
    chain, pool = make()
    pool.stake(10 * WAD, sender="alice")
    for fn in (pool.mint, pool.withdraw):
        with pytest.raises(InvalidInput):
            fn(bad, sender="alice")
    assert pool.total_assets() == 10 * WAD
