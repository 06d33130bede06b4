"""StableSwap pools as allocation targets (docs/yield-vaults.md §3.1): the sleeve's quotes equal the
pool's actions exactly, the curator moves the safe in and out, and the ARMA optimiser with pool
sleeves keeps every constraint, is deterministic and never moves when the gain after gas, fees
and the pool's slippage is below its gate."""

from __future__ import annotations

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st
from test_yield_allocators import check_optimizer, constraints, view

from peglab.errors import InvalidInput
from peglab.kernel import Chain
from peglab.protocols.amm import AmmFactory
from peglab.protocols.amm.stableswap import StableSwapPool
from peglab.protocols.lending import aave_params
from peglab.protocols.yieldvault import ArmaOptimizer, Curator
from peglab.protocols.yieldvault.policy import AllocationState, MarketView
from peglab.protocols.yieldvault.pool_sleeve import PoolSleeve, quote_add_one, quote_remove_one
from peglab.testing import assert_refused
from peglab.units import DAY, RAY, WAD

USDC = 10**6


def pool_world(
    usdc: int, dai: int, A: int = 200, fee: int = 4_000_000
) -> tuple[Chain, StableSwapPool]:
    chain = Chain()
    chain.ledger.create_token("USDC", 6)
    chain.ledger.create_token("DAI", 18)
    chain.ledger.mint("USDC", "lp", usdc * USDC)
    chain.ledger.mint("DAI", "lp", dai * WAD)
    pool = AmmFactory(chain).deploy_stableswap(
        ["USDC", "DAI"], A, fee=fee, pool_id="USDC-DAI", sender=chain.root
    )
    pool.add_liquidity([usdc * USDC, dai * WAD], 0, sender="lp")
    return chain, pool


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1_000, 50_000_000),
    st.integers(1_000, 50_000_000),
    st.integers(1, 10_000_000),
    st.integers(10, 2000),
)
def test_quotes__random_pools__equal_the_pools_own_actions(
    usdc: int, dai: int, x: int, A: int
) -> None:
    chain, pool = pool_world(usdc, dai, A)
    chain.ledger.mint("USDC", "safe", x * USDC)
    mint, d, supply = quote_add_one(pool, 0, x * USDC)
    assert pool.add_liquidity([x * USDC, 0], 0, sender="safe") == mint
    assert pool.get_D() == d and pool.lp_supply() == supply
    take = min(x * USDC // 2, pool.balances[0] // 2)
    if take <= 0:
        return
    burn, d, supply = quote_remove_one(pool, 0, take)
    if burn <= mint:
        assert pool.remove_liquidity_imbalance([take, 0], mint, sender="safe") == burn
        assert pool.get_D() == d and pool.lp_supply() == supply


def test_sleeve__balanced_pool__small_slippage_rate_diluted_by_own_deposit() -> None:
    chain, pool = pool_world(10_000_000, 10_000_000)
    s = PoolSleeve(pool, "USDC", chain.ledger, 5 * RAY // 100)
    assert s.total_supplied() == 20_000_000 * USDC
    assert s.rates_ray()[0] == 5 * RAY // 100
    assert s.rates_ray(20_000_000 * USDC)[0] == 5 * RAY // 200  # twice the liquidity, half the APR
    small, big = s.slippage(10_000 * USDC), s.slippage(5_000_000 * USDC)
    assert 0 <= small < 10 * USDC  # a balanced pool charges little for a small one-sided deposit
    assert big * 10_000 > small * 500 * 10  # slippage grows faster than the size
    assert s.slippage(0) == 0 and s.slippage(-10_000 * USDC) >= 0


def test_curator__pool_sleeve__in_and_out_marked_at_exit_value() -> None:
    chain, pool = pool_world(10_000_000, 10_000_000)
    sleeve = PoolSleeve(pool, "USDC", chain.ledger, 5 * RAY // 100)
    cur = Curator(chain, "USDC", "safe", [sleeve], agent="agent", max_market_share_bps=5000)
    chain.ledger.mint("USDC", "safe", 2_000_000 * USDC)
    cur.allocate({"USDC-DAI": 1_000_000 * USDC}, sender="agent")
    pos = sleeve.supply_balance("safe")
    assert 999_000 * USDC < pos < 1_000_000 * USDC  # the exit value: fees and impact taken off
    assert cur.nav() == cur.idle() + pos
    view_ = cur.state().market("USDC-DAI")
    assert view_.slippage is not None and view_.slippage(100_000 * USDC) > 0
    cur.allocate({"USDC-DAI": 400_000 * USDC}, sender="agent")  # exact partial exit
    assert abs(sleeve.supply_balance("safe") - 400_000 * USDC) < 200 * USDC
    cur.allocate({"USDC-DAI": 0}, sender="agent")  # full exit: every LP token
    assert sleeve.lp_of("safe") == 0 and cur.idle() > 1_998_000 * USDC
    assert_refused(chain, InvalidInput, "yield/bad-pool", sleeve.withdraw, 10**15, sender="safe")


def _pool_view(draw: st.DrawFn, k: int) -> tuple[MarketView, PoolSleeve]:
    usdc = draw(st.integers(100_000, 50_000_000))
    dai = draw(st.integers(100_000, 50_000_000))
    chain, pool = pool_world(usdc, dai, draw(st.integers(20, 1000)))
    pos = draw(st.sampled_from([0, draw(st.integers(1, 2_000_000))]))
    sleeve = PoolSleeve(pool, "USDC", chain.ledger, draw(st.integers(0, 2000)) * RAY // 10_000)
    if pos:
        chain.ledger.mint("USDC", "safe", pos * USDC)
        sleeve.supply(pos * USDC, sender="safe")
    cur = Curator(chain, "USDC", "safe", [sleeve], agent="agent")
    v = dataclasses.replace(
        cur.state().market("USDC-DAI"), id=f"pool{k}", protocol=f"pool{k}",
        gas_per_tx=draw(st.integers(0, 50)) * USDC,
    )  # fmt: skip
    return v, sleeve


@st.composite
def mixed_states(draw: st.DrawFn) -> AllocationState:
    markets: list[MarketView] = []
    for k in range(draw(st.integers(1, 3))):
        supply = draw(st.integers(1_000_000, 500_000_000)) * USDC
        debt = supply * draw(st.integers(0, 99)) // 100
        pos = min(draw(st.sampled_from([0, draw(st.integers(0, 2_000_000)) * USDC])), supply)
        model = aave_params(draw(st.integers(50, 92)), 0, draw(st.integers(100, 1000)), 6000)
        markets.append(view(f"m{k}", supply - debt, debt, pos, model=model,
                            gas_per_tx=draw(st.integers(0, 50)) * USDC))  # fmt: skip
    for k in range(draw(st.integers(1, 2))):
        markets.append(_pool_view(draw, k)[0])
    return AllocationState(
        now=draw(st.integers(30 * DAY, 60 * DAY)),
        idle=draw(st.integers(0, 5_000_000)) * USDC,
        markets=tuple(markets),
        last_rebalance=draw(st.integers(0, 30 * DAY)),
    )


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_optimizer__with_pool_sleeves__constraints_determinism_and_gate_after_slippage(
    data: st.DataObject,
) -> None:
    s = data.draw(mixed_states())
    assert any(m.slippage is not None for m in s.markets)
    check_optimizer(s, data.draw(constraints(s)), 100)


def test_optimizer__pool_gain_eaten_by_slippage__holds() -> None:
    chain, pool = pool_world(2_000_000, 2_000_000, A=10)  # a shallow, low-A pool
    sleeve = PoolSleeve(pool, "USDC", chain.ledger, 8 * RAY // 100)
    cur = Curator(chain, "USDC", "safe", [sleeve], agent="agent", max_market_share_bps=9000)
    chain.ledger.mint("USDC", "safe", 3_000_000 * USDC)
    s = cur.state()
    opt = ArmaOptimizer(max_market_share=0.9, horizon_days=3.0)
    p = opt.propose(s)
    assert not p.rebalance and p.reason == "gain below the gate"
    assert p.cost > 1000 * USDC  # the slippage of entering, from the pool's own quote
    assert ArmaOptimizer(max_market_share=0.9, horizon_days=365.0).propose(s).rebalance
