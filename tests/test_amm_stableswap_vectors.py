"""StableSwap pool actions replayed against curvesim scenarios: outputs and state bit for bit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from peglab.kernel import Chain
from peglab.protocols.amm import StableSwapPool

DATA = json.loads((Path(__file__).parent / "vectors" / "stableswap_pools.json").read_text())
SCENARIOS: list[dict[str, Any]] = DATA["scenarios"]
TRADER = "trader"
LP_HOLDER = "lp-holder"


def build(sc: dict[str, Any]) -> tuple[Chain, StableSwapPool]:
    """A pool in the scenario's initial state (balances, LP supply held by ``lp-holder``)."""
    chain = Chain()
    coins = [f"C{k}" for k in range(len(sc["decimals"]))]
    for c, d in zip(coins, sc["decimals"]):
        chain.ledger.create_token(c, d)
    pool = StableSwapPool(chain, "p", coins, sc["A"], fee=sc["fee"], admin_fee=sc["admin_fee"])
    init = sc["initial"]
    for c, b in zip(coins, init["balances"]):
        chain.ledger.mint(c, pool.account, b)
    pool.state.balances = tuple(init["balances"])
    chain.ledger.mint(pool.lp_token, LP_HOLDER, init["supply"])
    if sc["ramp"]:
        r = sc["ramp"]
        pool.ramp_A(r["future_A"], chain.now + r["duration_s"], sender="gov")
    return chain, pool


def fund(chain: Chain, pool: StableSwapPool, amounts: list[int]) -> None:
    for c, a in zip(pool.coins, amounts):
        if a:
            chain.ledger.mint(c, TRADER, a)


def run_op(chain: Chain, pool: StableSwapPool, op: dict[str, Any]) -> Any:
    kind = op["op"]
    n = pool.n_coins
    if kind == "exchange":
        amounts = [0] * n
        amounts[op["i"]] = op["dx"]
        fund(chain, pool, amounts)
        return pool.exchange(op["i"], op["j"], op["dx"], 0, sender=TRADER)
    if kind == "get_dy":
        return pool.get_dy(op["i"], op["j"], op["dx"])
    if kind == "add_liquidity":
        fund(chain, pool, op["amounts"])
        return pool.add_liquidity(op["amounts"], 0, sender=TRADER, receiver=LP_HOLDER)
    if kind == "remove_liquidity":
        return pool.remove_liquidity(op["lp"], [0] * n, sender=LP_HOLDER)
    if kind == "remove_liquidity_imbalance":
        return pool.remove_liquidity_imbalance(op["amounts"], 2**256 - 1, sender=LP_HOLDER)
    if kind == "remove_liquidity_one_coin":
        fee = pool.calc_withdraw_one_coin_detail(op["lp"], op["i"])[1]
        assert fee == op["fee"]
        return pool.remove_liquidity_one_coin(op["lp"], op["i"], 0, sender=LP_HOLDER)
    if kind == "calc_withdraw_one_coin":
        dy, fee = pool.calc_withdraw_one_coin_detail(op["lp"], op["i"])
        assert fee == op["fee"]
        assert pool.calc_withdraw_one_coin(op["lp"], op["i"]) == dy
        return dy
    if kind == "calc_token_amount":
        return pool.calc_token_amount(op["amounts"], op["is_deposit"])
    if kind == "virtual_price":
        return pool.get_virtual_price()
    raise AssertionError(f"unknown op {kind}")


def test_vectors__cover_every_action_sizes_decimals_and_ramps() -> None:
    kinds = {op["op"] for sc in SCENARIOS for op in sc["ops"]}
    assert kinds >= {
        "exchange",
        "get_dy",
        "add_liquidity",
        "remove_liquidity",
        "remove_liquidity_imbalance",
        "remove_liquidity_one_coin",
        "calc_withdraw_one_coin",
        "calc_token_amount",
        "virtual_price",
    }
    assert {len(sc["decimals"]) for sc in SCENARIOS} >= {2, 3, 4}
    assert any(len(set(sc["decimals"])) > 1 for sc in SCENARIOS)
    assert any(sc["ramp"] and sc["ramp"]["future_A"] > sc["A"] for sc in SCENARIOS)
    assert any(sc["ramp"] and sc["ramp"]["future_A"] < sc["A"] for sc in SCENARIOS)
    assert any("extreme" in sc["name"] for sc in SCENARIOS)
    assert sum(len(sc["ops"]) for sc in SCENARIOS) >= 500


@pytest.mark.parametrize("sc", SCENARIOS, ids=[s["name"] for s in SCENARIOS])
def test_scenario__replayed__bit_exact_with_curvesim(sc: dict[str, Any]) -> None:
    chain, pool = build(sc)
    for step, op in enumerate(sc["ops"]):
        if op["dt"]:
            chain.advance(op["dt"])
        assert pool.A() == op["A"], (step, op)
        got = run_op(chain, pool, op)
        assert got == op["out"], (step, op)
        assert list(pool.balances) == op["balances"], (step, op)
        assert list(pool.admin_balances()) == op["admin"], (step, op)
        assert pool.lp_supply() == op["supply"], (step, op)
        assert pool.get_virtual_price() == op["virtual_price"], (step, op)
    chain.check_conservation()


def test_3pool_snapshot__published_numbers() -> None:
    sc = next(s for s in SCENARIOS if s["name"] == "3pool-exchange-fee4000000")
    chain, pool = build(sc)
    assert pool.get_virtual_price() == 1022038799187029697
    chain.ledger.mint("C0", TRADER, 10**24)
    assert pool.get_dy(0, 1, 10**24) == 999578282174
    assert pool.exchange(0, 1, 10**24, 999578282174, sender=TRADER) == 999578282174
    assert pool.admin_balances() == (0, 199995654, 0)
    assert pool.get_virtual_price() == 1022039034549697504


def test_3pool_snapshot__add_and_one_coin__published_numbers() -> None:
    sc = next(s for s in SCENARIOS if s["name"] == "3pool-add-fee4000000")
    chain, pool = build(sc)
    assert pool.calc_withdraw_one_coin_detail(10**24, 1) == (1021822723481, 206230001)
    chain.ledger.mint("C0", TRADER, 10**24)
    pool.add_liquidity([10**24, 0, 0], 0, sender=TRADER)
    ev = chain.log[-1].event
    assert ev.lp_minted == 978231649606958936332475  # type: ignore[attr-defined]
    assert ev.fees == (98884929803277392789, 49106469, 49776741)  # type: ignore[attr-defined]


def test_3pool_snapshot__1bp_fee__published_output() -> None:
    sc = next(s for s in SCENARIOS if s["name"] == "3pool-exchange-fee1000000")
    chain, pool = build(sc)
    chain.ledger.mint("C0", TRADER, 10**24)
    assert pool.exchange(0, 1, 10**24, 0, sender=TRADER) == 999878275656
