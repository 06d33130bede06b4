"""Loopers on random thresholds and shocks: after every day the ledger conserves, the AI dollar's
balance sheet balances, and a levering looper never stands above its target leverage unless a
loss moved it there; a canary looper that mints all the CDP allows breaks the last check."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from peglab.sim.agents.looping import Looper, LoopParams
from peglab.sim.families.yield_vault.path import YieldParams, YieldPath, standalone


def check_day(path: YieldPath, loss_seen: bool) -> None:
    path.chain.check_conservation()
    assert path.dollar.balance_sheet().balanced
    assert not path.dollar.invariant_errors()
    for lp in path.loopers:
        if lp.mode == "lever" and not loss_seen and lp.position()[1]:
            assert lp.leverage() <= lp.params.target_leverage * 1.02, (lp.account, lp.leverage())


@settings(max_examples=8, deadline=None)
@given(
    target=st.floats(1.5, 9.0),
    nav_drop=st.floats(0.002, 0.05),
    health=st.floats(0.0, 0.05),
    slippage=st.integers(5, 100),
    fee=st.sampled_from(["0.01", "0.02", "0.08"]),
    loss=st.sampled_from([None, 0.03, 0.12]),
    seed=st.integers(0, 1000),
)
def test_loopers__random_thresholds_and_shocks__invariants_every_day(
    target: float, nav_drop: float, health: float, slippage: int, fee: str,
    loss: float | None, seed: int,
) -> None:  # fmt: skip
    loop = LoopParams(target_leverage=target, nav_drop=nav_drop, health_buffer=health,
                      max_slippage_bps=slippage)  # fmt: skip
    p = YieldParams(loopers=3, loop=loop, fee_apr=fee, capital_usd=20_000_000,
                    loss_day=None if loss is None else 10, loss_frac=loss or 0.0)  # fmt: skip
    path = standalone(p, 18, seed, pool_depth_usd=10_000_000)
    for k in range(1, 19):
        path.step_day(k)
        check_day(path, loss is not None and k >= 10)


class _GreedyLooper(Looper):
    """Canary: mints everything the CDP allows, whatever its target."""

    def _mint_room(self) -> int:
        v = self.dollar.vault(self.cdp)
        return max(0, int((v.collateral_value_wad * 10**27 // self.dollar.ilk(self.ilk).mat_ray
                           - v.debt_wad) * 0.999))  # fmt: skip

    def _lever(self) -> None:
        p = self.params
        self.params = replace(p, target_leverage=50.0)
        try:
            super()._lever()
        finally:
            self.params = p


def test_canary__looper_that_ignores_its_target__fails_the_leverage_check() -> None:
    path = standalone(YieldParams(loopers=2, loop=LoopParams(target_leverage=3.0)), 12, 1)
    path.loopers = [_GreedyLooper(lp.account, lp.vault, lp.dollar, lp.ilk, lp.pool, lp.params)
                    for lp in path.loopers]  # fmt: skip
    with pytest.raises(AssertionError, match="looper"):  # the leverage check, not another
        for k in range(1, 13):
            path.step_day(k)
            check_day(path, False)
