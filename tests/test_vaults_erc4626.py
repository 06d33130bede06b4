"""ERC-4626 vault actions: value flows, events, inflation defences, allowances, pause, bad input."""

from __future__ import annotations

from typing import Any

import pytest

from peglab.errors import InvalidInput, LimitExceeded, NotAuthorized, ShutDown
from peglab.kernel import Chain
from peglab.protocols.vaults import ERC4626Vault, VaultConfig, VaultDeposit, VaultWithdraw
from peglab.testing import assert_refused, boundary_code
from peglab.units import MAX_UINT256

USDC = 10**6


def make(decimals: int = 6, **cfg: Any) -> tuple[Chain, ERC4626Vault]:
    chain = Chain()
    chain.ledger.create_token("USDC", decimals)
    v = ERC4626Vault(chain, "USDC", "vUSDC", config=VaultConfig(**cfg))
    for u in ("alice", "bob", "eve"):
        chain.ledger.mint("USDC", u, 1_000_000 * 10**decimals)
    return chain, v


def test_deposit__empty_vault__mints_offset_scaled_shares_and_emits() -> None:
    chain, v = make(offset=6)
    shares = v.deposit(100 * USDC, sender="alice")
    assert shares == 100 * USDC * 10**6
    assert v.balance_of("alice") == shares
    assert chain.ledger.balance_of("USDC", v.account) == 100 * USDC
    assert chain.ledger.token("vUSDC").decimals == 12
    ev = chain.log[-1].event
    assert isinstance(ev, VaultDeposit) and (ev.caller, ev.owner, ev.assets, ev.shares) == (
        "alice", "alice", 100 * USDC, shares)  # fmt: skip


def test_flows__after_yield__previews_equal_actions_and_round_toward_vault() -> None:
    chain, v = make(offset=0)
    v.deposit(1_000 * USDC, sender="alice")
    chain.ledger.transfer("USDC", "bob", v.account, 333 * USDC + 7)  # yield arrives
    for fn, pv, x in [
        (v.deposit, v.preview_deposit, 10 * USDC + 3),
        (v.mint, v.preview_mint, 10 * USDC + 3),
        (v.withdraw, v.preview_withdraw, 5 * USDC + 1),
        (v.redeem, v.preview_redeem, 5 * USDC + 1),
    ]:
        want = pv(x)
        assert fn(x, sender="bob") == want
    ev = chain.log[-1].event
    assert isinstance(ev, VaultWithdraw) and ev.receiver == "bob" and ev.owner == "bob"
    chain.check_conservation()


def test_withdraw__third_party_without_allowance__refused() -> None:
    chain, v = make()
    v.deposit(100 * USDC, sender="alice")
    assert_refused(
        chain,
        NotAuthorized,
        "vault/insufficient-allowance",
        v.withdraw,
        USDC,
        "eve",
        "alice",
        sender="eve",
    )
    assert_refused(
        chain,
        NotAuthorized,
        "vault/insufficient-allowance",
        v.redeem,
        USDC,
        "eve",
        "alice",
        sender="eve",
    )


def test_redeem__third_party_with_allowance__spends_it_and_keeps_infinite() -> None:
    chain, v = make()
    v.deposit(100 * USDC, sender="alice")
    v.approve("bob", 30 * USDC, sender="alice")
    v.redeem(10 * USDC, "bob", "alice", sender="bob")
    assert v.allowance("alice", "bob") == 20 * USDC
    v.approve("bob", MAX_UINT256, sender="alice")
    v.withdraw(10 * USDC, "bob", "alice", sender="bob")
    assert v.allowance("alice", "bob") == MAX_UINT256


def test_deposit__dust_buys_zero_shares__refused() -> None:
    chain, v = make(offset=0)
    v.deposit(1, sender="alice")
    chain.ledger.transfer("USDC", "alice", v.account, 10_000 * USDC)  # donation attack
    assert_refused(chain, InvalidInput, "vault/zero-shares", v.deposit, 5_000 * USDC, sender="bob")


@pytest.mark.parametrize(
    ("offset", "victim_shares", "victim_loss"), [(0, 1, 3_333_333_333), (6, 1_999_999, 2_499)]
)
def test_inflation_attack__on_the_vault__matches_table(
    offset: int, victim_shares: int, victim_loss: int
) -> None:
    chain, v = make(offset=offset)
    start = chain.ledger.balance_of("USDC", "eve")
    a_sh = v.deposit(1, sender="eve")
    chain.ledger.transfer("USDC", "eve", v.account, 10_000 * USDC)
    assert v.deposit(10_000 * USDC, sender="alice") == victim_shares
    v.redeem(a_sh, sender="eve")
    got = v.redeem(victim_shares, sender="alice")
    assert 10_000 * USDC - got == victim_loss
    assert chain.ledger.balance_of("USDC", "eve") < start  # the attacker lost money


def test_dead_shares__first_deposit__locked_and_previewed() -> None:
    chain, v = make(decimals=18, dead_shares=10**6)
    assert v.preview_deposit(10**18) == 10**18 - 10**6
    assert v.deposit(10**18, sender="alice") == 10**18 - 10**6
    assert v.balance_of("vault:dead") == 10**6
    assert v.deposit(10**18, sender="bob") == 10**18  # later depositors pay nothing extra
    chain2, v2 = make(decimals=18, dead_shares=10**6)
    assert_refused(chain2, InvalidInput, "vault/zero-shares", v2.deposit, 10**6, sender="alice")
    assert v2.mint(5, sender="alice") == 10**6 + 5  # mint pays for the dead shares too


def test_min_total_shares__exit_leaving_dust_supply__refused() -> None:
    chain, v = make(decimals=18, min_total_shares=10**18)
    assert_refused(chain, LimitExceeded, "vault/min-shares", v.deposit, 10**17, sender="alice")
    v.deposit(2 * 10**18, sender="alice")
    assert_refused(chain, LimitExceeded, "vault/min-shares", v.redeem, 15 * 10**17, sender="alice")
    v.redeem(2 * 10**18, sender="alice")  # back to zero is allowed
    assert v.total_supply() == 0


def test_deposit_cap__over_room__refused_and_max_reports_room() -> None:
    chain, v = make(deposit_cap_assets=100 * USDC)
    v.deposit(60 * USDC, sender="alice")
    assert v.max_deposit("bob") == 40 * USDC
    assert_refused(
        chain, LimitExceeded, "vault/exceeds-max-deposit", v.deposit, 41 * USDC, sender="bob"
    )
    assert_refused(chain, LimitExceeded, "vault/exceeds-max-mint", v.mint, 41 * USDC, sender="bob")


def test_pause__blocks_flows__max_is_zero_and_views_do_not_raise() -> None:
    chain, v = make()
    v.deposit(10 * USDC, sender="alice")
    assert_refused(chain, NotAuthorized, "vault/not-pauser", v.set_paused, True, sender="eve")
    v.set_paused(True, sender="gov")
    assert (
        v.max_deposit("a"),
        v.max_mint("a"),
        v.max_withdraw("alice"),
        v.max_redeem("alice"),
    ) == (0, 0, 0, 0)
    for fn in (v.deposit, v.mint, v.withdraw, v.redeem):
        assert_refused(chain, ShutDown, "vault/paused", fn, USDC, sender="alice")
    v.set_paused(False, sender="gov")
    assert v.redeem(USDC, sender="alice") == USDC


def test_over_max__withdraw_and_redeem__refused() -> None:
    chain, v = make()
    v.deposit(10 * USDC, sender="alice")
    assert_refused(
        chain,
        LimitExceeded,
        "vault/exceeds-max-withdraw",
        v.withdraw,
        10 * USDC + 1,
        sender="alice",
    )
    assert_refused(
        chain, LimitExceeded, "vault/exceeds-max-redeem", v.redeem, 10 * USDC + 1, sender="alice"
    )


BAD_AMOUNTS = [-1, 1.5, True, "1", None, 2**256]


@pytest.mark.parametrize("bad", BAD_AMOUNTS)
def test_every_action__bad_amount__refused_state_unchanged(bad: object) -> None:
    chain, v = make()
    v.deposit(10 * USDC, sender="alice")
    code = boundary_code(bad, "vault/bad-amount")  # types and widths: the action boundary
    for fn in (v.deposit, v.mint, v.withdraw, v.redeem):
        assert_refused(chain, InvalidInput, code, fn, bad, sender="alice")
    assert_refused(chain, InvalidInput, code, v.approve, "bob", bad, sender="alice")
    assert_refused(chain, InvalidInput, code, v.transfer, "bob", bad, sender="alice")
    assert_refused(chain, InvalidInput, code, v.transfer_from, "alice", "bob", bad, sender="bob")


def test_every_action__bad_account_or_zero__refused_state_unchanged() -> None:
    chain, v = make()
    v.deposit(10 * USDC, sender="alice")
    assert_refused(chain, InvalidInput, "vault/bad-account", v.deposit, USDC, "", sender="alice")
    assert_refused(chain, InvalidInput, "input/bad-type", v.approve, 3, 1, sender="alice")
    assert_refused(chain, InvalidInput, "vault/zero-shares", v.deposit, 0, sender="alice")
    assert_refused(chain, InvalidInput, "vault/zero-shares", v.mint, 0, sender="alice")
    assert_refused(chain, InvalidInput, "vault/zero-assets", v.withdraw, 0, sender="alice")
    assert_refused(chain, InvalidInput, "vault/zero-assets", v.redeem, 0, sender="alice")
    assert_refused(chain, InvalidInput, "vault/bad-amount", v.transfer, "bob", 0, sender="alice")
    assert_refused(
        chain,
        InvalidInput,
        "ledger/insufficient-balance",
        v.transfer,
        "bob",
        11 * USDC,
        sender="alice",
    )
    assert_refused(chain, InvalidInput, "input/bad-type", v.set_paused, 1, sender="gov")
    assert_refused(
        chain, InvalidInput, "ledger/insufficient-balance", v.deposit, 10**13, sender="alice"
    )


def test_config__bad_values__refused() -> None:
    chain = Chain()
    chain.ledger.create_token("USDC", 6)
    with pytest.raises(InvalidInput, match="vault/bad-config"):
        ERC4626Vault(chain, "USDC", "x", config=VaultConfig(offset=19))
    with pytest.raises(InvalidInput, match="vault/bad-config"):
        ERC4626Vault(chain, "USDC", "y", config=VaultConfig(dead_shares=-1))
