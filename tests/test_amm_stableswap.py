"""StableSwap pool actions: value flows, admin, ramps, kill, fees, and refusals leaving state unchanged."""

from __future__ import annotations

from typing import Any

import pytest

from peglab.errors import InvalidInput, LimitExceeded, NotAuthorized, ShutDown, Slippage
from peglab.kernel import Chain
from peglab.protocols.amm import StableSwapPool
from peglab.protocols.amm.stableswap import ADMIN_ACTIONS_DELAY, KILL_DEADLINE_DT, MIN_RAMP_TIME
from peglab.testing import assert_refused

DAY = 86_400
COINS = ("AUSD", "USDC", "VUSD")
DECIMALS = (18, 6, 18)


def setup(
    n: int = 3, *, fee: int = 4_000_000, admin_fee: int = 5 * 10**9, seed_units: int = 1_000_000
) -> tuple[Chain, StableSwapPool]:
    chain = Chain()
    coins = COINS[:n]
    for c, d in zip(coins, DECIMALS[:n]):
        chain.ledger.create_token(c, d)
        chain.ledger.mint(c, "alice", 10**9 * 10**d)
        chain.ledger.mint(c, "bob", 10**9 * 10**d)
    pool = StableSwapPool(chain, "ai", coins, 200, fee=fee, admin_fee=admin_fee)
    pool.add_liquidity([seed_units * 10**d for d in DECIMALS[:n]], 0, sender="alice")
    return chain, pool


def test_add_liquidity__first_deposit__mints_D_and_moves_coins_to_pool_account() -> None:
    chain, pool = setup()
    assert pool.lp_supply() == pool.get_D() == 3_000_000 * 10**18
    assert chain.ledger.balance_of(pool.lp_token, "alice") == pool.lp_supply()
    for c, d in zip(pool.coins, DECIMALS):
        assert chain.ledger.balance_of(c, pool.account) == 10**6 * 10**d
    assert pool.get_virtual_price() == 10**18
    chain.check_conservation()


def test_exchange__usdc_to_ausd__pays_quote_and_accrues_admin_fee() -> None:
    chain, pool = setup()
    quote = pool.quote_exact_in("USDC", 1000 * 10**6, "AUSD")
    before = chain.ledger.balance_of("AUSD", "bob")
    out = pool.exchange(1, 0, 1000 * 10**6, quote, sender="bob")
    assert out == quote
    assert chain.ledger.balance_of("AUSD", "bob") - before == out
    assert 999 * 10**18 < out < 1000 * 10**18
    admin = pool.admin_balances()
    assert admin[0] > 0 and admin[1] == admin[2] == 0
    assert chain.log[-1].event.kind == "amm/exchange"
    chain.check_conservation()


def test_get_dy__vs_exchange__at_most_one_unit_apart() -> None:
    chain, pool = setup()
    for dx in (1, 10**6, 12345 * 10**6, 10**11):
        dy = pool.get_dy(1, 0, dx)
        q = pool.quote_exact_in("USDC", dx, "AUSD")
        assert abs(dy - q) <= 1


def test_swap_exact_in__by_symbol__same_as_exchange() -> None:
    chain, pool = setup()
    q = pool.quote_exact_in("AUSD", 10**21, "VUSD")
    assert pool.swap_exact_in("AUSD", 10**21, q, sender="bob", token_out="VUSD") == q


def test_remove_liquidity__half__proportional_and_price_unchanged() -> None:
    chain, pool = setup()
    pool.exchange(0, 1, 10**23, 0, sender="bob")
    vp = pool.get_virtual_price()
    supply = pool.lp_supply()
    bal = pool.balances
    out = pool.remove_liquidity(supply // 2, [0, 0, 0], sender="alice")
    assert out == [b * (supply // 2) // supply for b in bal]
    assert pool.get_virtual_price() >= vp


def test_remove_liquidity_one_coin__matches_calc_withdraw_one_coin() -> None:
    chain, pool = setup()
    lp = 10**22
    expected = pool.calc_withdraw_one_coin(lp, 1)
    before = chain.ledger.balance_of("USDC", "alice")
    assert pool.remove_liquidity_one_coin(lp, 1, expected, sender="alice") == expected
    assert chain.ledger.balance_of("USDC", "alice") - before == expected


def test_remove_liquidity_imbalance__burns_at_least_calc_token_amount() -> None:
    chain, pool = setup()
    amounts = [10**21, 0, 5 * 10**20]
    est = pool.calc_token_amount(amounts, False)
    burned = pool.remove_liquidity_imbalance(amounts, est * 2, sender="alice")
    assert burned > est  # fees and the +1 make the real burn larger than the fee-less estimate


def test_claim_fees__after_trades__moves_admin_fees_to_receiver() -> None:
    chain, pool = setup()
    pool.file("fee_receiver", "voting-rewards", sender="gov")
    pool.exchange(1, 0, 10**11, 0, sender="bob")
    pool.exchange(0, 2, 10**23, 0, sender="bob")
    admin = pool.admin_balances()
    vp = pool.get_virtual_price()
    moved = pool.claim_fees(sender="anyone")
    assert moved == dict(zip(pool.coins, admin))
    for c, a in zip(pool.coins, admin):
        assert chain.ledger.balance_of(c, "voting-rewards") == a
    assert pool.admin_balances() == (0, 0, 0)
    assert pool.get_virtual_price() == vp  # admin fees were never part of the LPs' balances
    assert pool.claim_fees(sender="anyone") == {c: 0 for c in pool.coins}


def test_donate_admin_fees__owner__raises_virtual_price() -> None:
    chain, pool = setup()
    pool.exchange(1, 0, 10**11, 0, sender="bob")
    vp = pool.get_virtual_price()
    pool.donate_admin_fees(sender="gov")
    assert pool.admin_balances() == (0, 0, 0)
    assert pool.get_virtual_price() > vp


def test_commit_apply_new_fee__after_delay__applied() -> None:
    chain, pool = setup()
    pool.commit_new_fee(10_000_000, 10**10, sender="gov")
    assert_refused(chain, LimitExceeded, "amm/too-early", pool.apply_new_fee, sender="gov")
    assert_refused(
        chain, InvalidInput, "amm/action-pending", pool.commit_new_fee, 1, 1, sender="gov"
    )
    chain.advance(ADMIN_ACTIONS_DELAY)
    pool.apply_new_fee(sender="gov")
    assert (pool.fee, pool.admin_fee) == (10_000_000, 10**10)
    assert_refused(chain, InvalidInput, "amm/no-pending-action", pool.apply_new_fee, sender="gov")


def test_revert_new_parameters__pending__cancelled() -> None:
    chain, pool = setup()
    pool.commit_new_fee(10_000_000, 0, sender="gov")
    pool.revert_new_parameters(sender="gov")
    chain.advance(ADMIN_ACTIONS_DELAY)
    assert_refused(chain, InvalidInput, "amm/no-pending-action", pool.apply_new_fee, sender="gov")
    assert pool.fee == 4_000_000


def test_ramp_A__up_over_a_day__linear_with_floor() -> None:
    chain, pool = setup()
    t0 = chain.now
    pool.ramp_A(2000, t0 + 2 * DAY, sender="gov")
    chain.advance(DAY // 3)
    assert pool.A() == 200 + 1800 * (DAY // 3) // (2 * DAY)
    chain.advance(2 * DAY)
    assert pool.A() == 2000


def test_ramp_A__down__linear_and_stop_freezes() -> None:
    chain, pool = setup()
    t0 = chain.now
    pool.ramp_A(20, t0 + DAY, sender="gov")
    chain.advance(DAY // 2)
    a_mid = pool.A()
    assert a_mid == 200 - 180 * (DAY // 2) // DAY
    pool.stop_ramp_A(sender="gov")
    chain.advance(DAY)
    assert pool.A() == a_mid


def test_ramp_A__limits__refused_state_unchanged() -> None:
    chain, pool = setup()
    now = chain.now
    assert_refused(
        chain, LimitExceeded, "amm/ramp-too-fast", pool.ramp_A, 300, now + DAY - 1, sender="gov"
    )
    assert_refused(
        chain, LimitExceeded, "amm/A-change-too-large", pool.ramp_A, 2001, now + DAY, sender="gov"
    )
    assert_refused(
        chain, LimitExceeded, "amm/A-change-too-large", pool.ramp_A, 19, now + DAY, sender="gov"
    )
    assert_refused(chain, InvalidInput, "amm/bad-A", pool.ramp_A, 0, now + DAY, sender="gov")
    assert_refused(chain, NotAuthorized, "amm/not-owner", pool.ramp_A, 300, now + DAY, sender="bob")
    pool.ramp_A(300, now + DAY, sender="gov")
    chain.advance(MIN_RAMP_TIME - 1)
    assert_refused(
        chain, LimitExceeded, "amm/ramp-too-soon", pool.ramp_A, 400, chain.now + DAY, sender="gov"
    )


def test_kill_me__killed_pool__only_remove_liquidity_allowed() -> None:
    chain, pool = setup()
    pool.kill_me(sender="gov")
    assert_refused(chain, ShutDown, "amm/killed", pool.exchange, 0, 1, 10**18, 0, sender="bob")
    assert_refused(
        chain, ShutDown, "amm/killed", pool.add_liquidity, [10**18, 0, 0], 0, sender="bob"
    )
    assert_refused(
        chain, ShutDown, "amm/killed", pool.remove_liquidity_one_coin, 10**18, 0, 0, sender="alice"
    )
    assert_refused(
        chain,
        ShutDown,
        "amm/killed",
        pool.remove_liquidity_imbalance,
        [10**18, 0, 0],
        10**30,
        sender="alice",
    )
    pool.remove_liquidity(10**18, [0, 0, 0], sender="alice")
    pool.unkill_me(sender="gov")
    pool.exchange(0, 1, 10**18, 0, sender="bob")


def test_kill_me__after_deadline__refused() -> None:
    chain, pool = setup()
    chain.advance(KILL_DEADLINE_DT)
    assert_refused(chain, LimitExceeded, "amm/kill-deadline-passed", pool.kill_me, sender="gov")


def test_file__unknown_key_or_stranger__refused() -> None:
    chain, pool = setup()
    assert_refused(chain, InvalidInput, "amm/unknown-param", pool.file, "fee", "x", sender="gov")
    assert_refused(
        chain, NotAuthorized, "amm/not-owner", pool.file, "fee_receiver", "x", sender="bob"
    )
    assert_refused(
        chain,
        InvalidInput,
        "amm/bad-account",
        pool.file,
        "fee_receiver",
        pool.account,
        sender="gov",
    )
    pool.file("owner", "dao", sender="gov")
    pool.commit_new_fee(1, 1, sender="dao")


BAD_INPUTS: list[tuple[str, type, str, str, tuple[Any, ...], dict[str, Any]]] = [
    ("unknown index", InvalidInput, "amm/bad-index", "exchange", (0, 3, 10**18, 0), {}),
    ("negative index", InvalidInput, "amm/bad-index", "exchange", (-1, 0, 10**18, 0), {}),
    ("same coin", InvalidInput, "amm/same-coin", "exchange", (1, 1, 10**6, 0), {}),
    ("zero dx", InvalidInput, "amm/zero-amount", "exchange", (0, 1, 0, 0), {}),
    ("negative dx", InvalidInput, "amm/bad-amount", "exchange", (0, 1, -5, 0), {}),
    ("float dx", InvalidInput, "input/bad-type", "exchange", (0, 1, 1.5, 0), {}),
    ("huge dx", InvalidInput, "input/out-of-range", "exchange", (0, 1, 2**256, 0), {}),
    ("slippage", Slippage, "amm/slippage", "exchange", (0, 1, 10**18, 10**7), {}),
    ("unfunded", InvalidInput, "ledger/insufficient-balance", "exchange", (0, 1, 10**30, 0), {}),
    (
        "unknown token",
        InvalidInput,
        "amm/unknown-token",
        "swap_exact_in",
        ("DAI", 10**18, 0),
        {"token_out": "USDC"},
    ),
    (
        "token out same",
        InvalidInput,
        "amm/same-coin",
        "swap_exact_in",
        ("USDC", 10**6, 0),
        {"token_out": "USDC"},
    ),
    ("add all zero", InvalidInput, "amm/zero-amount", "add_liquidity", ([0, 0, 0], 0), {}),
    ("add wrong length", InvalidInput, "amm/bad-amounts", "add_liquidity", ([1, 2], 0), {}),
    ("add slippage", Slippage, "amm/slippage", "add_liquidity", ([10**18, 0, 0], 10**19), {}),
    ("remove zero", InvalidInput, "amm/zero-amount", "remove_liquidity", (0, [0, 0, 0]), {}),
    ("remove slippage", Slippage, "amm/slippage", "remove_liquidity", (10**18, [10**18, 0, 0]), {}),
    (
        "remove > supply",
        InvalidInput,
        "amm/exceeds-supply",
        "remove_liquidity",
        (10**40, [0, 0, 0]),
        {},
    ),
    (
        "one coin bad index",
        InvalidInput,
        "amm/bad-index",
        "remove_liquidity_one_coin",
        (10**18, 5, 0),
        {},
    ),
    ("one coin zero", InvalidInput, "amm/zero-amount", "remove_liquidity_one_coin", (0, 0, 0), {}),
    (
        "one coin slippage",
        Slippage,
        "amm/slippage",
        "remove_liquidity_one_coin",
        (10**18, 0, 10**19),
        {},
    ),
    (
        "imbalance zero",
        InvalidInput,
        "amm/zero-amount",
        "remove_liquidity_imbalance",
        ([0, 0, 0], 10**30),
        {},
    ),
    (
        "imbalance too much",
        InvalidInput,
        "amm/insufficient-liquidity",
        "remove_liquidity_imbalance",
        ([10**30, 0, 0], 2**255),
        {},
    ),
    (
        "imbalance slippage",
        Slippage,
        "amm/slippage",
        "remove_liquidity_imbalance",
        ([10**20, 0, 0], 10),
        {},
    ),
    ("bob not owner", NotAuthorized, "amm/not-owner", "kill_me", (), {}),
]


@pytest.mark.parametrize(
    ("label", "error", "code", "method", "args", "kw"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS]
)
def test_action__bad_input__refused_state_hash_unchanged(
    label: str, error: type, code: str, method: str, args: tuple[Any, ...], kw: dict[str, Any]
) -> None:
    chain, pool = setup()
    sender = "alice" if "remove" in method else "bob"
    if label == "unfunded":
        sender = "carol"
    assert_refused(chain, error, code, getattr(pool, method), *args, sender=sender, **kw)


def test_add_liquidity__first_deposit_missing_coin__refused() -> None:
    chain = Chain()
    for c in ("A", "B"):
        chain.ledger.create_token(c)
        chain.ledger.mint(c, "alice", 10**24)
    pool = StableSwapPool(chain, "ab", ("A", "B"), 100)
    assert_refused(
        chain,
        InvalidInput,
        "amm/initial-deposit-all-coins",
        pool.add_liquidity,
        [10**18, 0],
        0,
        sender="alice",
    )
    assert_refused(
        chain,
        InvalidInput,
        "amm/no-liquidity",
        pool.remove_liquidity_imbalance,
        [1, 0],
        10,
        sender="alice",
    )


def test_exchange__dust_into_unbalanced_pool__trade_too_small_refused() -> None:
    # a state where Newton's floors put y ten units above xp[j]: the contract's "xp[j] - y - 1"
    # underflows and reverts; the engine refuses with a typed error
    chain = Chain()
    coins = ("A", "B", "C")
    balances = [519637991379918911, 519637991379918901, 1000000000000002]
    for c, b in zip(coins, balances):
        chain.ledger.create_token(c)
        chain.ledger.mint(c, "alice", b + 10**18)
    pool = StableSwapPool(chain, "abc", coins, 1)
    pool.add_liquidity(balances, 0, sender="alice")
    assert_refused(
        chain, InvalidInput, "amm/trade-too-small", pool.exchange, 0, 1, 1, 0, sender="alice"
    )
    assert_refused(chain, InvalidInput, "amm/trade-too-small", pool.quote_exact_in, "A", 1, "B")


@pytest.mark.parametrize(
    ("coins", "a", "fee", "code"),
    [
        (("AUSD",), 100, 0, "amm/bad-coins"),
        (("AUSD", "AUSD"), 100, 0, "amm/bad-coins"),
        (("AUSD", "USDC"), 0, 0, "amm/bad-A"),
        (("AUSD", "USDC"), 10**6, 0, "amm/bad-A"),
        (("AUSD", "USDC"), 100, 5 * 10**9 + 1, "amm/bad-fee"),
        (("AUSD", "NOPE"), 100, 0, "ledger/unknown-token"),
    ],
)
def test_pool__bad_configuration__refused(
    coins: tuple[str, ...], a: int, fee: int, code: str
) -> None:
    chain = Chain()
    chain.ledger.create_token("AUSD")
    chain.ledger.create_token("USDC", 6)
    with pytest.raises(InvalidInput) as e:
        StableSwapPool(chain, "x", coins, a, fee=fee)
    assert e.value.code == code


def test_pool__eight_coins_mixed_decimals__round_trip_loses_value() -> None:
    chain = Chain()
    coins = [f"S{k}" for k in range(8)]
    decs = [18, 6, 8, 2, 18, 12, 6, 18]
    for c, d in zip(coins, decs):
        chain.ledger.create_token(c, d)
        chain.ledger.mint(c, "alice", 10**12 * 10**d)
    pool = StableSwapPool(chain, "eight", coins, 500)
    pool.add_liquidity([10**7 * 10**d for d in decs], 0, sender="alice")
    out = pool.exchange(0, 3, 10**24, 0, sender="alice")
    back = pool.exchange(3, 0, out, 0, sender="alice")
    assert back < 10**24
    chain.check_conservation()
