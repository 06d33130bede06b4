"""ERC-7540 request flow: lifecycle, controller/operator rules, previews that refuse, cancels,
claim rounding that leaves dust in the vault, request ids, bad input."""

from __future__ import annotations

from typing import Any

import pytest

from peglab.errors import InvalidInput, LimitExceeded, NotAuthorized, ShutDown
from peglab.kernel import Chain
from peglab.protocols.vaults import AsyncConfig, AsyncVault, Direction, VaultConfig
from peglab.testing import assert_refused, boundary_code

USDC = 10**6


def make(**ac: Any) -> tuple[Chain, AsyncVault]:
    chain = Chain()
    chain.ledger.create_token("USDC", 6)
    v = AsyncVault(
        chain, "USDC", "aUSDC", config=VaultConfig(offset=0), async_config=AsyncConfig(**ac)
    )
    for u in ("alice", "bob", "eve"):
        chain.ledger.mint("USDC", u, 1_000_000 * USDC)
    return chain, v


def conserved(v: AsyncVault, direction: Direction, rid: int, controller: str) -> None:
    r = v.request(direction, rid, controller)
    assert r is not None
    side = r.claimable_assets if direction == "deposit" else r.claimable_shares
    assert r.requested == r.pending + side + r.claimed + r.cancelled


def test_deposit_lifecycle__pending_claimable_claimed() -> None:
    chain, v = make()
    rid = v.request_deposit(100 * USDC, "alice", "alice", sender="alice")
    assert rid == 0
    assert v.pending_deposit_request(0, "alice") == 100 * USDC
    assert v.total_assets() == 0  # pending assets are not the shareholders'
    assert v.max_deposit("alice") == 0
    shares = v.fulfil_deposit("alice", 100 * USDC, sender="gov")
    assert v.pending_deposit_request(0, "alice") == 0
    assert v.claimable_deposit_request(0, "alice") == 100 * USDC
    assert v.max_deposit("alice") == 100 * USDC and v.max_mint("alice") == shares
    assert v.balance_of(v.escrow) == shares
    assert v.deposit(100 * USDC, "alice", "alice", sender="alice") == shares
    assert v.balance_of("alice") == shares and v.balance_of(v.escrow) == 0
    conserved(v, "deposit", 0, "alice")
    chain.check_conservation()


def test_redeem_lifecycle__shares_escrowed_then_burned_assets_reserved() -> None:
    chain, v = make()
    v.request_deposit(100 * USDC, "alice", "alice", sender="alice")
    v.fulfil_deposit("alice", 100 * USDC, sender="gov")
    v.mint(100 * USDC, sender="alice")
    v.request_redeem(40 * USDC, "alice", "alice", sender="alice")
    assert v.balance_of("alice") == 60 * USDC and v.balance_of(v.escrow) == 40 * USDC
    chain.ledger.transfer("USDC", "bob", v.account, 10 * USDC)  # yield while pending: shared
    assets = v.fulfil_redeem("alice", 40 * USDC, sender="gov")
    assert assets == 40 * USDC * (110 * USDC + 1) // (100 * USDC + 1)
    assert v.total_assets() == 110 * USDC - assets
    assert v.max_withdraw("alice") == assets and v.max_redeem("alice") == 40 * USDC
    assert v.redeem(40 * USDC, "alice", "alice", sender="alice") == assets
    conserved(v, "redeem", 0, "alice")
    chain.check_conservation()


def test_previews__async_directions__refuse_and_max_never_raises() -> None:
    chain, v = make()
    for fn in (v.preview_deposit, v.preview_mint, v.preview_withdraw, v.preview_redeem):
        with pytest.raises(InvalidInput, match="vault/async-preview"):
            fn(1)
    assert (v.max_deposit("x"), v.max_mint("x"), v.max_withdraw("x"), v.max_redeem("x")) == (
        0,
        0,
        0,
        0,
    )


def test_sync_deposit_async_redeem__mixed_vault() -> None:
    chain, v = make(async_deposit=False)
    assert v.preview_deposit(USDC) == USDC
    v.deposit(10 * USDC, sender="alice")
    assert_refused(
        chain,
        InvalidInput,
        "vault/sync-flow",
        v.request_deposit,
        USDC,
        "alice",
        "alice",
        sender="alice",
    )
    with pytest.raises(InvalidInput, match="vault/async-preview"):
        v.preview_redeem(1)
    v.request_redeem(USDC, "alice", "alice", sender="alice")
    assert v.pending_redeem_request(0, "alice") == USDC


def test_operator__may_request_and_claim__allowance_alone_may_not_claim() -> None:
    chain, v = make()
    assert_refused(
        chain,
        NotAuthorized,
        "vault/not-owner-or-operator",
        v.request_deposit,
        USDC,
        "bob",
        "alice",
        sender="bob",
    )
    v.set_operator("bob", True, sender="alice")
    assert v.is_operator("alice", "bob")
    v.request_deposit(10 * USDC, "alice", "alice", sender="bob")
    v.fulfil_deposit("alice", 10 * USDC, sender="gov")
    assert_refused(
        chain,
        NotAuthorized,
        "vault/not-controller-or-operator",
        v.deposit,
        USDC,
        "eve",
        "alice",
        sender="eve",
    )
    v.deposit(10 * USDC, "bob", "alice", sender="bob")
    assert v.balance_of("bob") == 10 * USDC
    # an ERC-20 allowance lets eve request a redemption of bob's shares, never claim it
    v.approve("eve", 5 * USDC, sender="bob")
    v.request_redeem(5 * USDC, "bob", "bob", sender="eve")
    assert v.allowance("bob", "eve") == 0
    v.fulfil_redeem("bob", 5 * USDC, sender="gov")
    assert_refused(
        chain,
        NotAuthorized,
        "vault/not-controller-or-operator",
        v.redeem,
        USDC,
        "eve",
        "bob",
        sender="eve",
    )
    v.set_operator("bob", False, sender="alice")
    assert not v.is_operator("alice", "bob")


def test_claim_rounding__partial_claims__dust_stays_in_vault() -> None:
    chain, v = make()
    v.request_deposit(10 * USDC, "bob", "bob", sender="bob")
    v.fulfil_deposit("bob", 10 * USDC, sender="gov")
    v.mint(10 * USDC, sender="bob")
    chain.ledger.transfer("USDC", "eve", v.account, 3 * USDC + 1)  # price 1.3000001
    v.request_deposit(7, "alice", "alice", sender="alice")
    v.fulfil_deposit("alice", 7, sender="gov")
    r = v.request("deposit", 0, "alice")
    assert r is not None and (r.claimable_assets, r.claimable_shares) == (7, 5)
    assert v.deposit(3, sender="alice") == 2  # floor(3*5/7) = 2, bucket charged ceil = 3
    assert (r.claimable_assets, r.claimable_shares) == (4, 2)
    assert v.deposit(4, sender="alice") == 2
    assert v.balance_of("alice") == 4 and v.balance_of(v.escrow) == 1  # one share of dust
    assert v.totals.dust_shares == 1 and v.request("deposit", 0, "alice") is r and not r.open()
    conserved(v, "deposit", 0, "alice")
    # redeem side: floor paid, ceil reserved released, dust back to the shareholders
    v.request_redeem(3, "alice", "alice", sender="alice")
    paid_total = v.fulfil_redeem("alice", 3, sender="gov")
    first = v.redeem(1, sender="alice")
    rest = v.withdraw(v.max_withdraw("alice"), sender="alice")
    assert rest >= 1 and first <= paid_total
    assert v.totals.reserved_assets == 0
    chain.check_conservation()


def test_claims__max_is_always_claimable_in_one_call() -> None:
    chain, v = make()
    v.request_deposit(10 * USDC, "bob", "bob", sender="bob")
    v.fulfil_deposit("bob", 10 * USDC, sender="gov")
    v.mint(10 * USDC, sender="bob")
    chain.ledger.transfer("USDC", "eve", v.account, USDC // 3)
    v.request_deposit(1_000, "alice", "alice", sender="alice")
    v.fulfil_deposit("alice", 999, sender="gov")
    v.deposit(500, sender="alice")
    assert v.deposit(v.max_deposit("alice"), sender="alice") > 0
    assert v.max_deposit("alice") == 0 and v.pending_deposit_request(0, "alice") == 1
    conserved(v, "deposit", 0, "alice")


def test_claim__more_than_max__refused() -> None:
    chain, v = make()
    v.request_deposit(10, "alice", "alice", sender="alice")
    v.fulfil_deposit("alice", 10, sender="gov")
    assert_refused(chain, LimitExceeded, "vault/exceeds-max-deposit", v.deposit, 11, sender="alice")
    assert_refused(chain, LimitExceeded, "vault/exceeds-max-mint", v.mint, 11, sender="alice")
    assert_refused(chain, LimitExceeded, "vault/exceeds-max-redeem", v.redeem, 1, sender="alice")
    assert_refused(
        chain, LimitExceeded, "vault/exceeds-max-withdraw", v.withdraw, 1, sender="alice"
    )


def test_cancel__configurable_per_direction() -> None:
    chain, v = make()  # default: deposits cancellable, redemptions not
    v.request_deposit(10 * USDC, "alice", "alice", sender="alice")
    v.fulfil_deposit("alice", 4 * USDC, sender="gov")
    before = chain.ledger.balance_of("USDC", "alice")
    assert v.cancel_deposit_request("alice", sender="alice") == 6 * USDC
    assert chain.ledger.balance_of("USDC", "alice") == before + 6 * USDC
    assert v.claimable_deposit_request(0, "alice") == 4 * USDC  # claimable part stays
    conserved(v, "deposit", 0, "alice")
    assert_refused(
        chain,
        InvalidInput,
        "vault/nothing-pending",
        v.cancel_deposit_request,
        "alice",
        sender="alice",
    )
    v.deposit(4 * USDC, sender="alice")
    v.request_redeem(USDC, "alice", "alice", sender="alice")
    assert_refused(
        chain,
        NotAuthorized,
        "vault/not-cancellable",
        v.cancel_redeem_request,
        "alice",
        sender="alice",
    )
    chain2, v2 = make(cancellable="both")
    v2.request_deposit(10, "alice", "alice", sender="alice")
    v2.fulfil_deposit("alice", 10, sender="gov")
    v2.deposit(10, sender="alice")
    v2.request_redeem(4, "alice", "alice", sender="alice")
    assert v2.cancel_redeem_request("alice", sender="alice") == 4 and v2.balance_of("alice") == 10
    chain3, v3 = make(cancellable="none")
    v3.request_deposit(10, "alice", "alice", sender="alice")
    assert_refused(
        chain3,
        NotAuthorized,
        "vault/not-cancellable",
        v3.cancel_deposit_request,
        "alice",
        sender="alice",
    )


class EpochVault(AsyncVault):
    """A vault that numbers requests by epoch (as an epoch vault would), for the id tests."""

    epoch = 1

    def request_id_for(self, direction: Direction) -> int:
        return self.epoch


def test_request_ids__per_epoch__claims_walk_ascending() -> None:
    chain = Chain()
    chain.ledger.create_token("USDC", 6)
    chain.ledger.mint("USDC", "alice", 100)
    v = EpochVault(chain, "USDC", "eUSDC")
    assert v.request_deposit(10, "alice", "alice", sender="alice") == 1
    v.epoch = 2
    assert v.request_deposit(20, "alice", "alice", sender="alice") == 2
    v.fulfil_deposit("alice", 10, 1, sender="gov")
    v.fulfil_deposit("alice", 20, 2, sender="gov")
    assert v.max_deposit("alice") == 30
    v.deposit(15, sender="alice")  # epoch 1 fully, then 5 of epoch 2
    assert (
        v.claimable_deposit_request(1, "alice") == 0
        and v.claimable_deposit_request(2, "alice") == 15
    )
    assert_refused(
        chain, LimitExceeded, "vault/exceeds-pending", v.fulfil_deposit, "alice", 1, 3, sender="gov"
    )


def test_fulfil__policy_hooks__need_role_pending_and_liquidity() -> None:
    chain, v = make()
    v.request_deposit(10, "alice", "alice", sender="alice")
    assert_refused(
        chain, NotAuthorized, "vault/not-fulfiller", v.fulfil_deposit, "alice", 10, sender="eve"
    )
    assert_refused(
        chain, LimitExceeded, "vault/exceeds-pending", v.fulfil_deposit, "alice", 11, sender="gov"
    )
    with pytest.raises(InvalidInput, match="vault/not-in-action"):
        v.settle_deposit(0, "alice", 10, 10)
    v.fulfil_deposit("alice", 10, sender="gov")
    v.deposit(10, sender="alice")
    v.request_redeem(10, "alice", "alice", sender="alice")
    chain.ledger.burn("USDC", v.account, 5)  # a loss the vault cannot cover in full
    assert v.fulfil_redeem("alice", 10, sender="gov") == 5


BAD = [-1, 1.5, True, None, 2**256]


@pytest.mark.parametrize("bad", BAD)
def test_every_async_action__bad_amount_or_id__refused_state_unchanged(bad: object) -> None:
    chain, v = make(cancellable="both")
    v.request_deposit(10, "alice", "alice", sender="alice")
    code = boundary_code(bad, "vault/bad-amount")  # types and widths: the action boundary
    assert_refused(
        chain, InvalidInput, code, v.request_deposit, bad, "alice", "alice", sender="alice"
    )
    assert_refused(
        chain, InvalidInput, code, v.request_redeem, bad, "alice", "alice", sender="alice"
    )
    assert_refused(chain, InvalidInput, code, v.fulfil_deposit, "alice", bad, sender="gov")
    assert_refused(chain, InvalidInput, code, v.fulfil_redeem, "alice", bad, sender="gov")
    for fn in (v.deposit, v.mint, v.withdraw, v.redeem):
        assert_refused(chain, InvalidInput, code, fn, bad, sender="alice")
    if bad != 2**256:
        assert_refused(
            chain,
            InvalidInput,
            boundary_code(bad, "vault/bad-request-id"),
            v.cancel_deposit_request,
            "alice",
            bad,
            sender="alice",
        )
        assert_refused(
            chain,
            InvalidInput,
            boundary_code(bad, "vault/bad-request-id"),
            v.fulfil_deposit,
            "alice",
            1,
            bad,
            sender="gov",
        )


def test_every_async_action__bad_parties_zero_pause__refused_state_unchanged() -> None:
    chain, v = make()
    v.request_deposit(10, "alice", "alice", sender="alice")
    assert_refused(
        chain, InvalidInput, "vault/bad-account", v.request_deposit, 1, "", "alice", sender="alice"
    )
    assert_refused(
        chain, InvalidInput, "vault/bad-account", v.set_operator, "", True, sender="alice"
    )
    assert_refused(
        chain, InvalidInput, "vault/self-operator", v.set_operator, "alice", True, sender="alice"
    )
    assert_refused(chain, InvalidInput, "input/bad-type", v.set_operator, "bob", 1, sender="alice")
    assert_refused(
        chain,
        InvalidInput,
        "vault/zero-assets",
        v.request_deposit,
        0,
        "alice",
        "alice",
        sender="alice",
    )
    assert_refused(
        chain,
        InvalidInput,
        "vault/zero-shares",
        v.request_redeem,
        0,
        "alice",
        "alice",
        sender="alice",
    )
    assert_refused(
        chain,
        LimitExceeded,
        "vault/insufficient-shares",
        v.request_redeem,
        1,
        "alice",
        "alice",
        sender="alice",
    )
    v.set_paused(True, sender="gov")
    assert_refused(
        chain, ShutDown, "vault/paused", v.request_deposit, 1, "alice", "alice", sender="alice"
    )
    assert_refused(chain, ShutDown, "vault/paused", v.set_operator, "bob", True, sender="alice")
    assert_refused(
        chain, ShutDown, "vault/paused", v.cancel_deposit_request, "alice", sender="alice"
    )
