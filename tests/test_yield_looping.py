"""Leverage loops on vault shares (docs/yield-vaults.md §7.2): a looper levers to its target on
the exact engine, unwinds when the AI dollar's rate passes the vault's yield, and a strategy loss
at high leverage ends in liquidations the share keeper takes."""

from __future__ import annotations

import numpy as np
import pytest

from peglab.math import apr_to_duty
from peglab.sim.agents.looping import LoopParams, borrow_apr
from peglab.sim.families.yield_vault.path import YieldParams, YieldPath, standalone
from peglab.units import RAY, WAD


def run(p: YieldParams, days: int, seed: int = 1, horizon: int = 40) -> YieldPath:
    path = standalone(p, horizon, seed)
    for k in range(1, days + 1):
        path.step_day(k)
    return path


def test_looper__calm_market__reaches_target_leverage_above_its_health_trigger() -> None:
    path = run(YieldParams(loopers=4), 12)
    mat = path.dollar.ilk(path.ilk).mat_ray / RAY
    for lp in path.loopers:
        assert lp.mode == "lever"
        assert lp.leverage() == pytest.approx(5.0, rel=0.02)
        ratio = path.dollar.vault(lp.cdp).ratio_wad
        assert ratio is not None and ratio / WAD >= mat * 1.03
    path.chain.check_conservation()
    assert path.dollar.balance_sheet().balanced


def test_looper__borrow_rate_above_vault_yield__unwinds_and_repays() -> None:
    path = run(YieldParams(loopers=4), 12)
    debt0 = sum(lp.position()[1] for lp in path.loopers)
    d = path.dollar
    d.drip(path.ilk, sender="operator")
    d.file("duty", apr_to_duty("0.30"), ilk=path.ilk, sender="yUSD-dao")
    assert borrow_apr(d, path.ilk) == pytest.approx(0.30, abs=1e-6)
    for k in range(13, 33):
        path.step_day(k)
    assert all(lp.mode == "unwind" and lp.unwinds == 1 for lp in path.loopers)
    debt = sum(lp.position()[1] for lp in path.loopers)
    assert debt < debt0 // 5  # exits paced by the vault's settlements, most of the loop is gone
    assert all(lp.leverage() < 2.0 for lp in path.loopers)


def test_looper__strategy_loss_at_high_leverage__liquidated_by_the_share_keeper() -> None:
    loop = LoopParams(target_leverage=9.0, health_buffer=0.01)
    path = run(YieldParams(loopers=4, loop=loop, loss_day=14, loss_frac=0.06), 20)
    kp = path.keeper
    assert kp is not None and kp.barks >= 1 and kp.takes >= 1
    assert any("nav" in lp.triggers() or lp.mode == "unwind" for lp in path.loopers)
    assert path.pps[15] < path.pps[13] * 0.95  # the loss booked at the next settlement
    assert path.bad_debt_usd() >= 0.0
    path.chain.check_conservation()
    assert path.dollar.balance_sheet().balanced


def test_strategy_loss_beyond_the_keepers_bid__leaves_the_ai_dollar_bad_debt() -> None:
    loop = LoopParams(target_leverage=8.0)
    small = run(YieldParams(loopers=4, loop=loop, loss_day=14, loss_frac=0.06), 24)
    big = run(YieldParams(loopers=4, loop=loop, loss_day=14, loss_frac=0.15), 24)
    assert small.bad_debt_usd() == 0.0  # ratio 8/7 x 0.94 x (1 - 2%) still covers the debt
    assert big.bad_debt_usd() > 100_000.0  # 8/7 x 0.85 x 0.98 < 1: the lots fall short
    m = big.measures()
    assert m["loopers_liquidated"] == 1.0 and m["looper_return"] == pytest.approx(-1.0, abs=0.02)
    assert all(np.isfinite(big.leverage))
    big.chain.check_conservation()
    assert big.dollar.balance_sheet().balanced


def test_looper__same_seed__same_state_hash() -> None:
    a = run(YieldParams(loopers=3), 6, seed=7)
    b = run(YieldParams(loopers=3), 6, seed=7)
    assert a.chain.state_hash() == b.chain.state_hash()
    assert a.peg == b.peg and a.leverage == b.leverage


def test_loop_params__leverage_below_one__refused() -> None:
    with pytest.raises(ValueError):
        LoopParams(target_leverage=0.5)
    with pytest.raises(ValueError):
        LoopParams(nav_drop=0.0)
