"""USDai (mint and burn against the T-bill dollar, swaps through a pool, cap, bridge) and the
queued depositor (FIFO queues, receipts, minimums, pro-rata service)."""

from __future__ import annotations

import pytest

from peglab.errors import InvalidInput, LimitExceeded, NotAuthorized, Slippage
from peglab.kernel import Chain
from peglab.protocols.amm import StableSwapPool
from peglab.protocols.usdai import ARBITRUM_GENESIS, USDaiSystem, build_usdai
from peglab.testing import assert_refused, boundary_code

USD = 10**18
U6 = 10**6


def make(cap: int = 10**9 * USD) -> USDaiSystem:
    chain = Chain(start_time=ARBITRUM_GENESIS)
    s = build_usdai(chain, cap=cap)
    chain.ledger.create_token("USDC", 6)
    pool = StableSwapPool(chain, "usdc-wm", ["USDC", "wM"], 200, fee=1_000_000, admin_fee=0)
    for who in ("lp", "alice", "bob", "carol"):
        chain.ledger.mint("USDC", who, 10**7 * U6)
        chain.ledger.mint("wM", who, 10**7 * U6)
    pool.add_liquidity([5 * 10**6 * U6, 5 * 10**6 * U6], 0, sender="lp")
    s.usdai.set_venue("USDC", pool)
    return s


def test_deposit__base_token__mints_scaled_one_to_one_and_backs() -> None:
    s = make()
    got = s.usdai.deposit("wM", 1_000 * U6, 1_000 * USD, sender="alice")
    assert got == 1_000 * USD == s.chain.ledger.balance_of("USDai", "alice")
    assert s.usdai.reserve_balance() == 1_000 * U6 and s.usdai.backing_gap() == 0


def test_deposit__other_token__swaps_through_venue_with_min_out() -> None:
    s = make()
    pool = s.usdai._venues["USDC"]
    quote = pool.quote_exact_in("USDC", 1_000 * U6, "wM")
    got = s.usdai.deposit("USDC", 1_000 * U6, 990 * USD, sender="alice")
    assert got == quote * 10**12 and s.usdai.backing_gap() == 0
    assert_refused(
        s.chain,
        Slippage,
        "amm/slippage",
        s.usdai.deposit,
        "USDC",
        1_000 * U6,
        1_000 * USD,
        sender="alice",
    )
    assert_refused(
        s.chain,
        InvalidInput,
        "usdai/unsupported-token",
        s.usdai.deposit,
        "ATH",
        1,
        0,
        sender="alice",
    )


def test_withdraw__burns_first_floors_dust_and_swaps_out() -> None:
    s = make()
    s.usdai.deposit("wM", 1_000 * U6, 0, sender="alice")
    before = s.chain.ledger.balance_of("wM", "alice")
    assert s.usdai.withdraw("wM", 10 * USD + 999, 0, sender="alice") == 10 * U6  # dust floored
    assert s.chain.ledger.balance_of("wM", "alice") == before + 10 * U6
    assert s.usdai.backing_gap() == 999  # the burned dust stays as backing
    out = s.usdai.withdraw("USDC", 100 * USD, 99 * U6, sender="alice")
    assert 99 * U6 <= out < 100 * U6
    assert_refused(
        s.chain, InvalidInput, "usdai/zero-out", s.usdai.withdraw, "wM", 10**11, 0, sender="alice"
    )
    assert_refused(
        s.chain, Slippage, "usdai/slippage", s.usdai.withdraw, "wM", USD, 2 * U6, sender="alice"
    )


def test_cap__exceeded__refused_unless_deposit_admin() -> None:
    s = make(cap=1_000 * USD)
    s.usdai.deposit("wM", 900 * U6, 0, sender="alice")
    assert_refused(
        s.chain,
        LimitExceeded,
        "credit/supply-cap-exceeded",
        s.usdai.deposit,
        "wM",
        101 * U6,
        0,
        sender="bob",
    )
    s.chain.grant(s.usdai.deposit_admin_role, "bob", sender="gov")
    s.usdai.deposit("wM", 500 * U6, 0, sender="bob")
    assert s.usdai.total_supply() == 1_400 * USD
    assert_refused(s.chain, NotAuthorized, "usdai/not-admin", s.usdai.set_cap, 5, sender="bob")
    s.usdai.set_cap(2_000 * USD, sender="gov")
    s.usdai.deposit("wM", 100 * U6, 0, sender="carol")


def test_bridge__out_and_in__counts_against_cap_and_backing() -> None:
    s = make(cap=1_000 * USD)
    s.usdai.deposit("wM", 600 * U6, 0, sender="alice")
    s.usdai.bridge_out("alice", 200 * USD, sender="gov")
    assert s.usdai.supply.bridged == 200 * USD and s.usdai.backing_gap() == 0
    assert_refused(
        s.chain,
        LimitExceeded,
        "credit/supply-cap-exceeded",
        s.usdai.deposit,
        "wM",
        401 * U6,
        0,
        sender="bob",
    )
    assert_refused(
        s.chain,
        LimitExceeded,
        "usdai/exceeds-bridged",
        s.usdai.bridge_in,
        "bob",
        201 * USD,
        sender="gov",
    )
    s.usdai.bridge_in("bob", 200 * USD, sender="gov")
    assert s.chain.ledger.balance_of("USDai", "bob") == 200 * USD
    assert_refused(
        s.chain, NotAuthorized, "usdai/not-bridge", s.usdai.bridge_out, "bob", 1, sender="bob"
    )


@pytest.mark.parametrize("bad", [-1, 0, 1.5, True, None, 2**256])
def test_usdai_actions__bad_amount__refused_state_unchanged(bad: object) -> None:
    s = make()
    s.usdai.deposit("wM", 10 * U6, 0, sender="alice")
    for fn, args in ((s.usdai.deposit, ("wM", bad, 0)), (s.usdai.withdraw, ("wM", bad, 0)),
                     (s.usdai.bridge_out, ("alice", bad)), (s.usdai.bridge_in, ("alice", bad))):  # fmt: skip
        code = boundary_code(bad, "usdai/bad-amount")  # the action boundary, then the body
        assert_refused(s.chain, InvalidInput, code, fn, *args, sender="gov")
    if bad != 0:
        code = boundary_code(bad, "usdai/bad-amount")
        assert_refused(s.chain, InvalidInput, code, s.usdai.set_cap, bad, sender="gov")
    assert_refused(
        s.chain, InvalidInput, "usdai/bad-account", s.usdai.deposit, "wM", 1, 0, "", sender="alice"
    )


# -- queued depositor ---------------------------------------------------------------------------


def test_queue__fifo_receipts_and_partial_head() -> None:
    s = make(cap=0)
    q = s.queue
    assert q.deposit("deposit", "wM", 100 * U6, sender="alice") == 0
    assert q.deposit("deposit", "wM", 50 * U6, "carol", sender="bob") == 1
    assert s.chain.ledger.balance_of("qUSDai", "alice") == 100 * USD
    assert s.chain.ledger.balance_of("qUSDai", "carol") == 50 * USD
    assert_refused(
        s.chain,
        LimitExceeded,
        "credit/supply-cap-exceeded",
        q.service,
        "deposit",
        "wM",
        2,
        sender="gov",
    )
    s.usdai.set_cap(120 * USD, sender="gov")
    assert q.service("deposit", "wM", 2, 120 * U6, sender="gov") == 120 * USD
    assert s.chain.ledger.balance_of("USDai", "alice") == 100 * USD
    assert s.chain.ledger.balance_of("USDai", "carol") == 20 * USD
    assert q.queue("deposit", "wM") == (1, 2, 30 * U6)  # bob's item is the partly served head
    assert s.chain.ledger.balance_of("qUSDai", "carol") == 30 * USD
    s.usdai.set_cap(10**9 * USD, sender="gov")
    q.service("deposit", "wM", 5, sender="gov")
    assert q.queue("deposit", "wM") == (2, 2, 0)
    assert s.chain.ledger.supply["qUSDai"] == 0
    assert_refused(
        s.chain, InvalidInput, "usdai/empty-queue", q.service, "deposit", "wM", 1, sender="gov"
    )


def test_queue__swapped_token__paid_pro_rata_of_converted_amount() -> None:
    s = make()
    q = s.queue
    q.set_token("USDC", 10 * U6, sender="gov")
    assert_refused(
        s.chain,
        LimitExceeded,
        "usdai/below-minimum",
        q.deposit,
        "deposit",
        "USDC",
        9 * U6,
        sender="alice",
    )
    q.deposit("deposit", "USDC", 300 * U6, sender="alice")
    q.deposit("deposit", "USDC", 100 * U6, sender="bob")
    converted = q.service("deposit", "USDC", 2, 0, 10**16, sender="gov")  # 1% slippage bound
    assert s.chain.ledger.balance_of("USDai", "alice") == 300 * U6 * converted // (400 * U6)
    assert s.chain.ledger.balance_of("USDai", "bob") == 100 * U6 * converted // (400 * U6)
    assert s.chain.ledger.balance_of("USDai", q.account) <= 1  # rounding dust only


def test_queue__deposit_and_stake__pays_susdai() -> None:
    s = make()
    s.queue.deposit("deposit-and-stake", "wM", 1_000 * U6, sender="alice")
    shares = s.queue.service("deposit-and-stake", "wM", 1, sender="gov")
    assert s.chain.ledger.balance_of("sUSDai", "alice") == shares == 1_000 * USD - 10**6
    assert s.chain.ledger.supply["qsUSDai"] == 0


def test_queue__bad_input__refused_state_unchanged() -> None:
    s = make()
    q = s.queue
    q.deposit("deposit", "wM", 10 * U6, sender="alice")
    assert_refused(
        s.chain, InvalidInput, "input/bad-type", q.deposit, "stake", "wM", 1, sender="alice"
    )
    assert_refused(
        s.chain,
        InvalidInput,
        "usdai/unsupported-token",
        q.deposit,
        "deposit",
        "USDC",
        U6,
        sender="alice",
    )
    for bad in (0, -1, 1.5, None):
        assert_refused(
            s.chain,
            InvalidInput,
            boundary_code(bad, "usdai/bad-amount"),
            q.deposit,
            "deposit",
            "wM",
            bad,
            sender="alice",
        )
        assert_refused(
            s.chain,
            InvalidInput,
            boundary_code(bad, "usdai/bad-amount"),
            q.service,
            "deposit",
            "wM",
            bad,
            sender="gov",
        )
    assert_refused(
        s.chain,
        InvalidInput,
        "usdai/bad-amount",
        q.service,
        "deposit",
        "wM",
        1,
        0,
        2 * 10**18,
        sender="gov",
    )
    assert_refused(
        s.chain,
        NotAuthorized,
        "usdai/not-queue-admin",
        q.service,
        "deposit",
        "wM",
        1,
        sender="alice",
    )
    assert_refused(
        s.chain, NotAuthorized, "usdai/not-queue-admin", q.set_token, "USDC", 1, sender="alice"
    )
    assert_refused(
        s.chain,
        InvalidInput,
        "usdai/bad-account",
        q.deposit,
        "deposit",
        "wM",
        U6,
        "",
        sender="alice",
    )
