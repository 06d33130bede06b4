"""Allocators: the optimiser keeps every constraint on random inputs, is deterministic, and never
rebalances below its gate; the interstable rules and the baselines keep their limits."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from peglab.errors import InvalidInput
from peglab.protocols.lending import aave_params
from peglab.protocols.yieldvault.curves import AaveCurve, FlatCurve
from peglab.protocols.yieldvault.optimizer import ArmaOptimizer, Constraints
from peglab.protocols.yieldvault.policy import AllocationState, MarketView, check_proposal
from peglab.protocols.yieldvault.rules import EqualWeight, InterstableRules, SingleMarket
from peglab.units import BPS, DAY, RAY, WAD

USDC = 10**6


def view(mid: str, cash: int, debt: int, position: int = 0, **kw: Any) -> MarketView:
    model = kw.pop("model", aave_params(90, 0, 400, 6000))
    kw.setdefault("withdrawable", min(position, cash))
    return MarketView(
        id=mid,
        protocol=kw.pop("protocol", mid),
        position=position,
        market_supply=cash + debt,
        utilisation_wad=debt * WAD // (cash + debt) if debt else 0,
        apr_after=AaveCurve(model, cash, debt, 1000),
        **kw,
    )


@st.composite
def states(draw: st.DrawFn) -> AllocationState:
    n = draw(st.integers(2, 8))
    markets = []
    for k in range(n):
        supply = draw(st.integers(1_000_000, 500_000_000)) * USDC
        u = draw(st.integers(0, 99))
        debt = supply * u // 100
        pos = draw(st.sampled_from([0, 0, draw(st.integers(0, 2_000_000)) * USDC]))
        pos = min(pos, supply)
        stuck = draw(st.sampled_from([0, 0, pos // 2]))
        model = aave_params(
            draw(st.integers(50, 92)),
            draw(st.integers(0, 100)),
            draw(st.integers(100, 1000)),
            draw(st.integers(1000, 20000)),
        )
        markets.append(
            view(
                f"m{k}",
                supply - debt,
                debt,
                pos,
                model=model,
                withdrawable=pos - stuck,
                gas_per_tx=draw(st.integers(0, 50)) * USDC,
                exit_fee_bps=draw(st.sampled_from([0, 0, 5])),
            )
        )
    idle = draw(st.integers(0, 5_000_000)) * USDC
    return AllocationState(
        now=draw(st.integers(30 * DAY, 60 * DAY)),
        idle=idle,
        markets=tuple(markets),
        last_rebalance=draw(st.integers(0, 30 * DAY)),
    )


@st.composite
def constraints(draw: st.DrawFn, s: AllocationState) -> Constraints:
    ids = [m.id for m in s.markets]
    return Constraints(
        min_protocols=draw(st.integers(0, 2)),
        max_ratio={k: draw(st.floats(0.2, 1.0)) for k in draw(st.sets(st.sampled_from(ids)))},
        max_amount={
            k: draw(st.integers(1, 10_000_000)) * USDC for k in draw(st.sets(st.sampled_from(ids)))
        },
        min_amount=draw(st.sampled_from([0, 1000 * USDC, 100_000 * USDC])),
        exclude=frozenset(draw(st.sets(st.sampled_from(ids), max_size=1))),
    )


def cap_of(s: AllocationState, opt: ArmaOptimizer, m: MarketView) -> int:
    """The most ``m`` may hold: its floor when excluded or over-utilised, else the least of the
    capital, ``max_ratio``, ``max_amount`` and the market-share limit (never below the floor)."""
    c, cap, floor = opt.constraints, s.capital, max(0, m.position - m.withdrawable)
    if m.id in c.exclude or m.utilisation_wad > opt.max_utilisation_wad:
        return floor
    if m.id in c.max_ratio:
        cap = min(cap, int(c.max_ratio[m.id] * s.capital))
    cap = min(cap, c.max_amount.get(m.id, cap))
    share = opt.max_market_share
    if share < 1:
        cap = min(cap, int(max(0, m.market_supply - m.position) * share / (1 - share)))
    return max(cap, floor)


def check_constraints(
    s: AllocationState, c: Constraints, opt: ArmaOptimizer, x: dict[str, int]
) -> None:
    cap = s.capital
    for m in s.markets:
        floor = max(0, m.position - m.withdrawable)
        t = x[m.id]
        assert t >= floor
        if m.id in c.exclude or m.utilisation_wad > opt.max_utilisation_wad:
            assert t == floor, f"{m.id} excluded or over-utilised but given {t}"
            continue
        if t > floor:
            if m.id in c.max_ratio:
                assert t <= c.max_ratio[m.id] * cap + 1
            if m.id in c.max_amount:
                assert t <= c.max_amount[m.id]
            others = max(0, m.market_supply - m.position)
            assert t <= others * opt.max_market_share / (1 - opt.max_market_share) + 1
            # the minimums are pre-assigned, and a minimum the budget cut may be below min_amount
            exempt = m.id in c.min_allocation or c.min_protocols > 0
            assert t >= c.min_amount or t == floor or exempt
    assert sum(x.values()) <= cap
    if c.min_protocols:  # held whenever the budget the floors leave and the caps allow it
        budget = cap - cap * opt.idle_buffer_bps // BPS
        step = max(cap // opt.steps, opt.min_step)
        each = int(c.min_fraction * cap) if c.min_fraction else max(step, c.min_amount)
        need = sum(max(0, m.position - m.withdrawable) for m in s.markets)
        need += sum(c.min_allocation.values()) + c.min_protocols * each
        eligible = [
            m
            for m in s.markets
            if m.id not in c.exclude and m.utilisation_wad <= opt.max_utilisation_wad
        ]
        roomy = all(cap_of(s, opt, m) >= each for m in eligible)
        if each > 0 and need <= budget and roomy and len(eligible) >= c.min_protocols:
            assert sum(1 for v in x.values() if v > 0) >= c.min_protocols


def check_optimizer(s: AllocationState, c: Constraints, steps: int) -> None:
    """Property 24 on one state: every constraint, determinism, order independence, and no move
    below the gate (whose cost includes each pool's exact slippage) but exits and forced moves."""
    opt = ArmaOptimizer(constraints=c, steps=steps)
    try:
        x = opt.target(s)
    except InvalidInput as e:  # only a contradiction on any capital (docs/yield-vaults.md §4.2)
        assert e.code == "yield/infeasible-constraints"
        assert c.min_protocols > sum(1 for m in s.markets if m.id not in c.exclude)
        return
    check_constraints(s, c, opt, x)
    p = opt.propose(s)
    check_proposal(s, p)
    assert opt.propose(s) == p  # identical inputs, identical outputs
    shuffled = dataclasses.replace(s, markets=tuple(reversed(s.markets)))
    assert opt.target(shuffled) == x  # market order does not matter
    slip = sum(m.slippage(x[m.id] - m.position) for m in s.markets if m.slippage is not None)
    assert p.cost >= slip
    gate = max(opt.min_gain_abs, opt.min_gain_rel * s.capital)
    if p.rebalance and p.reason == "gain after costs above the gate":
        assert p.gain > gate
        v_new, v_old = opt.value(s, x), opt.value(s, {m.id: m.position for m in s.markets})
        assert (v_new - v_old) * opt.horizon_days / 365 - p.cost > gate
    if not p.rebalance:
        assert dict(p.targets) == {m.id: m.position for m in s.markets}
    if p.gain <= gate and p.rebalance:
        assert p.reason.startswith(("exit", "forced"))


@settings(max_examples=120, deadline=None)
@given(st.data())
def test_optimizer__random_inputs__every_constraint_holds_and_deterministic(
    data: st.DataObject,
) -> None:
    s = data.draw(states())
    check_optimizer(s, data.draw(constraints(s)), 200)


def _two_markets(pos_a: int, pos_b: int, idle: int = 0) -> AllocationState:
    return AllocationState(
        now=100 * DAY,
        idle=idle,
        markets=(
            view("a", 50_000_000 * USDC, 50_000_000 * USDC, pos_a, gas_per_tx=20 * USDC),
            view("b", 20_000_000 * USDC, 80_000_000 * USDC, pos_b, gas_per_tx=20 * USDC),
        ),
        last_rebalance=90 * DAY,
    )


def test_optimizer__capital_idle__moves_to_the_better_market_first() -> None:
    p = ArmaOptimizer().propose(_two_markets(0, 0, idle=1_000_000 * USDC))
    assert p.rebalance and p.targets["b"] > p.targets["a"]
    assert p.moves[0].amount > 0 and sum(p.targets.values()) <= 1_000_000 * USDC


def test_optimizer__gain_below_gate__never_rebalances() -> None:
    opt = ArmaOptimizer()
    target = opt.target(_two_markets(0, 0, idle=1_000_000 * USDC))
    near = _two_markets(target["a"] + 1_000 * USDC, target["b"] - 1_000 * USDC)
    p = opt.propose(near)
    assert not p.rebalance and p.reason == "gain below the gate"
    assert p.gain <= opt.min_gain_abs


def test_optimizer__max_interval_and_drift__forces_the_move() -> None:
    opt = ArmaOptimizer(min_gain_abs=10**15)  # a gate nothing passes
    s = dataclasses.replace(_two_markets(1_000_000 * USDC, 0), last_rebalance=0)
    p = opt.propose(s)
    assert p.rebalance and p.reason == "forced: drift after max interval"


def test_optimizer__cooldown__holds() -> None:
    s = dataclasses.replace(_two_markets(0, 0, idle=10**12), last_rebalance=100 * DAY - 60)
    assert ArmaOptimizer().propose(s).reason == "cooldown"


def test_optimizer__over_utilised_market__exited_as_far_as_cash_allows() -> None:
    hot = view("hot", 1_000 * USDC, 99_000_000 * USDC, 500_000 * USDC, withdrawable=1_000 * USDC)
    cold = view("cold", 50_000_000 * USDC, 10_000_000 * USDC)
    s = AllocationState(now=DAY, idle=0, markets=(hot, cold), last_rebalance=DAY)
    p = ArmaOptimizer().propose(s)
    assert p.rebalance and p.targets["hot"] == 499_000 * USDC
    assert p.reason.startswith("exit")


def test_optimizer__infeasible_constraints__typed_error() -> None:
    s = _two_markets(0, 0, idle=1_000 * USDC)
    for c in (
        Constraints(min_protocols=3),
        Constraints(min_allocation={"zzz": 1}),
    ):
        with pytest.raises(InvalidInput) as e:
            ArmaOptimizer(constraints=c).target(s)
        assert e.value.code in ("yield/infeasible-constraints", "yield/unknown-market")
    # a minimum above the capital is a state, not an error: met as far as the capital allows
    t = ArmaOptimizer(constraints=Constraints(min_allocation={"a": 2_000 * USDC})).target(s)
    assert t == {"a": 1_000 * USDC, "b": 0}
    with pytest.raises(InvalidInput, match="yield/bad-constraint"):
        Constraints(max_ratio={"a": 1.5})


def _hist_view(mid: str, apr_pct: float, pos: int, days: int = 8, **kw: Any) -> MarketView:
    r = int(apr_pct * RAY) // 100
    return MarketView(
        id=mid,
        protocol=kw.pop("protocol", mid),
        position=pos,
        withdrawable=kw.pop("withdrawable", pos),
        market_supply=kw.pop("supply", 100_000_000 * USDC),
        utilisation_wad=WAD // 2,
        apr_after=FlatCurve(r),
        apr_history_ray=(r,) * days,
        **kw,
    )


def test_rules__caps_and_sleeves__respected() -> None:
    s = AllocationState(
        now=DAY,
        idle=10_000_000 * USDC,
        markets=(
            _hist_view("a", 8, 0),
            _hist_view("b", 6, 0),
            _hist_view("c", 5, 0),
            _hist_view("d", 4, 0),
            _hist_view("lock", 12, 0, lock_s=30 * DAY),
        ),
    )
    p = InterstableRules().propose(s)
    check_proposal(s, p)
    assert p.rebalance
    t = p.targets
    assert t["lock"] == 3_000_000 * USDC and t["a"] == 3_000_000 * USDC  # 30% cap each
    assert s.capital - sum(t.values()) >= 1_000_000 * USDC  # liquid sleeve >= 10%


def test_rules__small_gain__hold_until_sustained_7_days() -> None:
    base = (
        _hist_view("a", 5.0, 3_000_000 * USDC),
        _hist_view("b", 5.3, 3_000_000 * USDC),
        _hist_view("c", 5.0, 3_000_000 * USDC),
        _hist_view("d", 5.2, 0),
    )
    s = AllocationState(now=DAY, idle=1_000_000 * USDC, markets=base)
    p = InterstableRules().propose(s)
    assert not p.rebalance  # moving 3M from a to d gains 0.2% on 30% of NAV: 6 bps < 50 bps


def test_rules__tvl_crash__exits_the_protocol() -> None:
    crashed = _hist_view(
        "a", 9.0, 3_000_000 * USDC, supply=60 * 10**6 * USDC, tvl_24h_ago=100 * 10**6 * USDC
    )
    s = AllocationState(
        now=DAY,
        idle=1_000_000 * USDC,
        markets=(
            crashed,
            _hist_view("b", 5, 3_000_000 * USDC),
            _hist_view("c", 5, 3_000_000 * USDC),
            _hist_view("d", 4, 0),
        ),
    )
    p = InterstableRules().propose(s)
    assert p.rebalance and "TVL crash" in p.reason and p.targets["a"] == 0


def test_rules__locked_position__never_pulled_before_unlock() -> None:
    lock = _hist_view("lock", 12, 6_000_000 * USDC, withdrawable=0, lock_s=30 * DAY)
    s = AllocationState(
        now=DAY,
        idle=1_000_000 * USDC,
        markets=(lock, _hist_view("a", 5, 0), _hist_view("b", 5, 0), _hist_view("c", 5, 0)),
    )
    p = InterstableRules().propose(s)
    check_proposal(s, p)
    assert p.targets["lock"] == 6_000_000 * USDC


def test_baselines__equal_and_single__split_as_named() -> None:
    s = _two_markets(0, 0, idle=1_000_000 * USDC)
    eq = EqualWeight().propose(s)
    assert eq.targets == {"a": 475_000 * USDC, "b": 475_000 * USDC}
    one = SingleMarket("b").propose(s)
    assert one.targets == {"a": 0, "b": 950_000 * USDC}
    for p in (eq, one):
        check_proposal(s, p)
        assert p.weights_bps(s.capital)["b"] in (4750, 9500)
