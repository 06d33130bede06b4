"""Lagoon-style epoch vault: the fee vector end to end, one price per epoch, settlement order,
closing and synchronous exits, and every refusal with the state unchanged."""

from __future__ import annotations

import pytest

from peglab.errors import InvalidInput, LimitExceeded, NotAuthorized, ShutDown, StalePrice
from peglab.kernel import Chain
from peglab.protocols.yieldvault.epoch_vault import EpochVault
from peglab.testing import assert_refused
from peglab.units import DAY

USDC = 10**6


def make_vault(**kw: object) -> tuple[Chain, EpochVault]:
    chain = Chain()
    chain.ledger.create_token("USDC", 6)
    for who in ("alice", "bob", "carol"):
        chain.ledger.mint("USDC", who, 10_000_000 * USDC)
    v = EpochVault(chain, "USDC", "alUSD", safe="safe", valuation_manager="agent",
                   fee_receiver="curator", **kw)  # type: ignore[arg-type]  # fmt: skip
    return chain, v


def settle(v: EpochVault, value: int) -> None:
    v.propose_valuation(value, sender="agent")
    v.settle_deposits(value, sender="safe")


def test_settlement__spec_vector__fees_and_hwm_exact() -> None:
    chain, v = make_vault()
    v.request_deposit(1_000_000 * USDC, "alice", "alice", sender="alice")
    settle(v, 0)
    v.deposit(v.max_deposit("alice"), sender="alice")
    assert v.balance_of("alice") == 1_000_000 * USDC and v.total_assets() == 1_000_000 * USDC
    chain.advance(30 * DAY)
    chain.ledger.mint("USDC", "safe", 50_000 * USDC)  # the strategy earned 5%
    settle(v, 1_050_000 * USDC)
    assert v.balance_of("curator") == 9_861_886_752
    assert v.balance_of("protocol-fees") == 1_095_765_195
    assert v.epoch.high_water_mark == 1_038_619
    fees = [e.event for e in chain.log if e.event.kind == "vault/fees"][-1]
    assert (fees.management_assets, fees.performance_assets) == (1_726_027_398, 9_654_800_000)


def test_deposit_epoch__several_depositors__one_price_and_dust_kept() -> None:
    chain, v = make_vault()
    v.request_deposit(1_000_000 * USDC, "alice", "alice", sender="alice")
    settle(v, 0)
    chain.advance(DAY)
    amounts = {"alice": 333_333_333, "bob": 777_777_777}
    for who, a in amounts.items():
        assert v.request_deposit(a, who, who, sender=who) == 3
    v.request_deposit(1, "carol", "carol", sender="carol")  # buys no share: must not block
    settle(v, 1_010_000 * USDC + 7)
    assert v.pending_deposit_request(3, "carol") == 1
    assert v.cancel_deposit_request("carol", 3, sender="carol") == 1
    price = v.epoch_price[3]
    for who, a in amounts.items():
        r = v.request("deposit", 3, who)
        assert r is not None and r.claimable_assets == a
        assert r.claimable_shares == v.epoch_shares_for(3, a)  # property 22: one price
    assert price[1] == v.epoch_price[3][1]
    total_minted = sum(v.epoch_shares_for(3, a) for a in amounts.values())
    assert v.totals.dust_shares == v.epoch_shares_for(3, sum(amounts.values())) - total_minted
    assert chain.ledger.balance_of("USDC", "safe") == 1_000_000 * USDC + sum(amounts.values())
    v.propose_valuation(
        1_010_000 * USDC + 7 + sum(amounts.values()), sender="agent"
    )  # no stale epoch


def test_request_after_proposal__goes_to_next_epoch() -> None:
    chain, v = make_vault()
    v.request_deposit(USDC, "alice", "alice", sender="alice")
    v.propose_valuation(0, sender="agent")
    assert v.request_deposit(USDC, "bob", "bob", sender="bob") == 3
    v.settle_deposits(0, sender="safe")
    assert v.claimable_deposit_request(1, "alice") == USDC
    assert v.pending_deposit_request(3, "bob") == USDC


def test_redeem_epoch__safe_short__waits_then_settles() -> None:
    chain, v = make_vault()
    v.request_deposit(1_000 * USDC, "alice", "alice", sender="alice")
    settle(v, 0)
    v.deposit(1_000 * USDC, sender="alice")
    chain.ledger.transfer("USDC", "safe", "strategy", 900 * USDC)  # deployed
    v.request_redeem(500 * USDC, "alice", "alice", sender="alice")
    v.propose_valuation(1_000 * USDC, sender="agent")
    v.settle_redeems(1_000 * USDC, sender="safe")
    assert v.pending_redeem_request(2, "alice") == 500 * USDC  # safe holds 100 < 500
    chain.ledger.transfer("USDC", "strategy", "safe", 900 * USDC)
    v.propose_valuation(1_000 * USDC, sender="agent")
    v.settle_redeems(1_000 * USDC, sender="safe")
    assert v.claimable_redeem_request(2, "alice") == 500 * USDC
    assert v.redeem(500 * USDC, sender="alice") == v.epoch_assets_for(2, 500 * USDC)
    assert chain.ledger.balance_of("USDC", v.account) >= v.totals.reserved_assets


def test_close__then_redeem_synchronously_at_convert_to_assets() -> None:
    chain, v = make_vault(management_bps=0, performance_bps=0)
    v.request_deposit(1_000 * USDC, "alice", "alice", sender="alice")
    v.request_deposit(3_000 * USDC, "bob", "bob", sender="bob")
    settle(v, 0)
    v.deposit(1_000 * USDC, sender="alice")
    v.deposit(3_000 * USDC, sender="bob")
    chain.ledger.mint("USDC", "safe", 400 * USDC)
    v.initiate_closing(sender="gov")
    assert_refused(
        chain, ShutDown, "vault/closing", v.request_deposit, 1, "bob", "bob", sender="bob"
    )
    v.propose_valuation(4_400 * USDC, sender="agent")
    v.close(4_400 * USDC, sender="safe")
    assert v.closed and v.max_redeem("alice") == 1_000 * USDC
    expected = v.convert_to_assets(1_000 * USDC)
    assert expected == 1_100 * USDC - 1  # 4,400 USDC over 4,000 shares, floored at the last unit
    assert v.redeem(1_000 * USDC, sender="alice") == expected
    burn = v.to_shares(1_000 * USDC, True)
    assert v.withdraw(1_000 * USDC, sender="bob") == burn
    assert v.balance_of("bob") == 3_000 * USDC - burn
    assert chain.ledger.balance_of("USDC", v.account) >= v.total_assets()
    chain.check_conservation()


def test_update_rates__cooldown__old_rates_until_then() -> None:
    chain, v = make_vault()
    v.update_rates(100, 1000, sender="gov")
    assert v.fee_rates() == (200, 2000)
    chain.advance(DAY)
    assert v.fee_rates() == (100, 1000)
    assert_refused(
        chain, InvalidInput, "vault/fee-above-max", v.update_rates, 1001, 0, sender="gov"
    )
    assert_refused(chain, NotAuthorized, "vault/not-owner", v.update_rates, 0, 0, sender="bob")


def test_actions__bad_input__typed_error_state_unchanged() -> None:
    chain, v = make_vault()
    v.request_deposit(1_000 * USDC, "alice", "alice", sender="alice")
    r = assert_refused
    r(chain, NotAuthorized, "vault/not-valuation-manager", v.propose_valuation, 0, sender="bob")
    r(chain, InvalidInput, "vault/bad-amount", v.propose_valuation, -1, sender="agent")
    r(chain, InvalidInput, "vault/no-valuation", v.settle_deposits, 0, sender="safe")
    v.propose_valuation(0, sender="agent")
    r(chain, NotAuthorized, "vault/not-safe", v.settle_deposits, 0, sender="agent")
    r(chain, InvalidInput, "vault/wrong-valuation", v.settle_deposits, 1, sender="safe")
    r(chain, InvalidInput, "input/bad-type", v.settle_redeems, 1.0, sender="safe")
    chain.advance(DAY + 1)
    r(chain, StalePrice, "vault/stale-valuation", v.settle_deposits, 0, sender="safe")
    v.propose_valuation(0, sender="agent")
    v.settle_deposits(0, sender="safe")
    r(chain, InvalidInput, "input/bad-type", v.request_deposit, 0.5, "bob", "bob", sender="bob")
    r(chain, InvalidInput, "vault/zero-assets", v.request_deposit, 0, "bob", "bob", sender="bob")
    r(chain, NotAuthorized, "vault/not-owner-or-operator", v.request_deposit, 5, "bob", "alice",
      sender="bob")  # fmt: skip
    r(
        chain,
        LimitExceeded,
        "vault/exceeds-max-deposit",
        v.deposit,
        1_000 * USDC + 1,
        sender="alice",
    )
    r(
        chain,
        LimitExceeded,
        "vault/insufficient-shares",
        v.request_redeem,
        1,
        "bob",
        "bob",
        sender="bob",
    )
    r(chain, InvalidInput, "vault/async-preview", v.preview_redeem, 1)
    r(chain, ShutDown, "vault/not-closing", v.close, 0, sender="safe")
    r(chain, NotAuthorized, "vault/not-owner", v.initiate_closing, sender="bob")
    r(chain, NotAuthorized, "vault/not-controller-or-operator", v.deposit, 1, "bob", "alice",
      sender="bob")  # fmt: skip


def test_construction__fees_above_caps__refused() -> None:
    chain = Chain()
    chain.ledger.create_token("USDC", 6)
    with pytest.raises(InvalidInput, match="vault/fee-above-max"):
        EpochVault(chain, "USDC", "x", safe="s", performance_bps=5001)


def test_redeem_epoch__only_dust__does_not_block_closing() -> None:
    chain, v = make_vault(management_bps=0, performance_bps=0, offset=6)
    v.request_deposit(1, "alice", "alice", sender="alice")
    settle(v, 0)
    v.deposit(1, sender="alice")
    v.request_redeem(10_000, "alice", "alice", sender="alice")  # worth 0 units of USDC
    settle(v, 1)
    assert v.epoch.settle_redeem_epoch == 0 and v.pending_redeem_request(2, "alice") == 10_000
    v.initiate_closing(sender="gov")
    v.propose_valuation(1, sender="agent")
    v.close(1, sender="safe")
    assert v.closed
