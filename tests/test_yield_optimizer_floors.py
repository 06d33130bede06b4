"""The ARMA optimiser when what cannot leave crowds the budget (docs/yield-vaults.md §4.2): the
floors are never an error (the target is the floors when they reach the budget, and the gate
decides as for any target), minimums are met as far as the budget and the caps allow in a fixed
order, and only constraints infeasible on any capital raise ``yield/infeasible-constraints``.
The strategies here reach those states at random (``tests/test_sim_vector_yield_optimizer.py``
checks the vectorised optimiser against the exact one on them)."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st
from test_yield_allocators import cap_of, check_constraints, constraints, states, view

from peglab.errors import InvalidInput
from peglab.protocols.yieldvault.curves import FlatCurve
from peglab.protocols.yieldvault.optimizer import ArmaOptimizer, Constraints
from peglab.protocols.yieldvault.policy import AllocationState, MarketView, check_proposal
from peglab.units import BPS, DAY, RAY

USDC = 10**6
M = 1_000_000 * USDC


def floors(s: AllocationState) -> int:
    return sum(max(0, m.position - m.withdrawable) for m in s.markets)


def budget(opt: ArmaOptimizer, s: AllocationState) -> int:
    return s.capital - s.capital * opt.idle_buffer_bps // BPS


# -- hand-built states -----------------------------------------------------------------------------
def locked_book(
    locked: int, liquid: int, idle: int, debt_a: int = 100 * M, last: int = 0
) -> AllocationState:
    """A 30-day term deposit ``t`` at 6% holding ``locked`` (none withdrawable), a lending market
    ``a`` holding ``liquid`` (all withdrawable unless over-utilised), an empty market ``b``."""
    term = MarketView(
        "t", "t", locked, 0, 10_000 * M, 0, FlatCurve(6 * RAY // 100), lock_s=30 * DAY
    )
    return AllocationState(
        now=60 * DAY,
        idle=idle,
        markets=(
            term,
            view("a", 1000 * M - debt_a, debt_a, liquid),
            view("b", 600 * M, 400 * M),
        ),
        last_rebalance=last,
    )


def test_optimizer__floors_above_the_budget__target_is_the_floors_and_the_gate_decides() -> None:
    opt = ArmaOptimizer(idle_buffer_bps=1000)
    # 95 locked + 3 liquid + 2 idle: the floors (95) exceed the budget (90)
    s = locked_book(95 * M, 3 * M, 2 * M)
    assert floors(s) > budget(opt, s)
    assert opt.target(s) == {"t": 95 * M, "a": 0, "b": 0}  # every movable unit to idle
    p = opt.propose(s)
    check_proposal(s, p)
    # moving the liquid 3 to idle loses income: the gate holds, as for any target
    assert not p.rebalance and p.reason == "gain below the gate" and p.gain < 0
    # floors exactly at the budget: the same
    s90 = locked_book(90 * M, 8 * M, 2 * M)
    assert floors(s90) == budget(opt, s90) and opt.target(s90) == {"t": 90 * M, "a": 0, "b": 0}
    # one unit of budget beyond the floors is placed
    s1 = locked_book(90 * M - 1, 8 * M, 2 * M + 1)
    assert sum(opt.target(s1).values()) == budget(opt, s1)
    # the market over-utilised: its exit is not gated, the move goes to the floors
    hot = locked_book(95 * M, 3 * M, 2 * M, debt_a=990 * M)
    p = opt.propose(hot)
    check_proposal(hot, p)
    assert p.rebalance and p.reason.startswith("exit") and p.targets == opt.target(hot)
    assert p.targets == {"t": 95 * M, "a": 0, "b": 0}


def test_optimizer__minimums_beyond_the_budget__met_in_order_as_far_as_it_allows() -> None:
    # budget 90, floors 80: 10 left for minimums of 6 on "a" and 6 on "b", in market-id order
    opt = ArmaOptimizer(
        idle_buffer_bps=1000, constraints=Constraints(min_allocation={"b": 6 * M, "a": 6 * M})
    )
    s = locked_book(80 * M, 0, 20 * M)
    assert opt.target(s) == {"t": 80 * M, "a": 6 * M, "b": 4 * M}
    # a market's cap (10% of its supply) below its minimum: as far as the cap allows
    capped = ArmaOptimizer(constraints=Constraints(min_allocation={"a": 500 * M}))
    s2 = locked_book(0, 0, 1000 * M)
    cap_a = (1000 * M) * 10 // 90
    t = capped.target(s2)
    assert cap_a - 1 <= t["a"] <= cap_a and sum(t.values()) <= s2.capital
    # min_protocols = 3 with "a" over-utilised (held at its floor, state): the two eligible take
    # their share; with the floors at the budget nothing is placed
    k3 = ArmaOptimizer(
        idle_buffer_bps=1000, constraints=Constraints(min_protocols=3, min_fraction=0.05)
    )
    t = k3.target(locked_book(0, 0, 100 * M, debt_a=990 * M))
    assert t["a"] == 0 and t["t"] >= 5 * M and t["b"] >= 5 * M
    assert k3.target(locked_book(95 * M, 0, 5 * M)) == {"t": 95 * M, "a": 0, "b": 0}


def test_optimizer__constraints_infeasible_on_any_capital__typed_error_at_construction() -> None:
    for kw in (
        {"min_allocation": {"a": 1}, "exclude": frozenset({"a"})},
        {"min_allocation": {"a": 2 * M}, "max_amount": {"a": M}},
        {"min_allocation": {"a": 1}, "max_ratio": {"a": 0.0}},
    ):
        with pytest.raises(InvalidInput) as e:
            Constraints(**kw)  # type: ignore[arg-type]
        assert e.value.code == "yield/infeasible-constraints"
    with pytest.raises(InvalidInput, match="yield/bad-constraint"):
        Constraints(min_allocation={"a": -1})
    # three protocols at 31% each do not fit in 90% of any capital; at 30% they do
    c = Constraints(min_protocols=3, min_fraction=0.31)
    with pytest.raises(InvalidInput) as e:
        ArmaOptimizer(idle_buffer_bps=1000, constraints=c)
    assert e.value.code == "yield/infeasible-constraints"
    ArmaOptimizer(idle_buffer_bps=1000, constraints=dataclasses.replace(c, min_fraction=0.30))
    ArmaOptimizer(constraints=c)  # no buffer: 93% fits
    # the fraction as written: 9 x 0.1 fit in 90% (the float 0.1 is a hair above a tenth)
    ArmaOptimizer(idle_buffer_bps=1000, constraints=Constraints(min_protocols=9, min_fraction=0.1))
    # more protocols than markets not excluded: the vault's market list, not its state
    s = locked_book(0, 0, 100 * M)
    for c in (Constraints(min_protocols=4), Constraints(min_protocols=3, exclude=frozenset("t"))):
        with pytest.raises(InvalidInput) as e:
            ArmaOptimizer(constraints=c).target(s)
        assert e.value.code == "yield/infeasible-constraints"


# -- random states that crowd the budget ---------------------------------------------------------
@st.composite
def crowded_states(draw: st.DrawFn) -> AllocationState:
    """``states()`` with some positions wholly locked and the idle cash often small, so that the
    floors often reach the budget."""
    s = draw(states())
    markets = tuple(
        dataclasses.replace(m, withdrawable=0) if draw(st.booleans()) else m for m in s.markets
    )
    idle = draw(st.sampled_from([s.idle, 0, draw(st.integers(0, 200_000)) * USDC]))
    return dataclasses.replace(s, markets=markets, idle=idle)


@st.composite
def wide_constraints(draw: st.DrawFn, s: AllocationState) -> Constraints:
    """``constraints(s)`` with ``min_allocation`` (off the excluded markets, within
    ``max_amount``) and ``min_fraction``; ``min_protocols`` within the markets not excluded."""
    c = draw(constraints(s))
    ids = [m.id for m in s.markets if m.id not in c.exclude]
    mins = {
        k: min(draw(st.integers(1, 3_000_000)) * USDC, c.max_amount.get(k, 10**18))
        for k in draw(st.sets(st.sampled_from(ids), max_size=3))
        if c.max_ratio.get(k, 1.0) > 0
    }
    k = min(c.min_protocols, len(ids))
    frac = draw(st.sampled_from([None, 0.01, 0.2])) if k else None
    return dataclasses.replace(c, min_allocation=mins, min_protocols=k, min_fraction=frac)


def optimizers(c: Constraints) -> st.SearchStrategy[ArmaOptimizer]:
    return st.builds(
        ArmaOptimizer,
        constraints=st.just(c),
        steps=st.sampled_from([50, 200]),
        idle_buffer_bps=st.sampled_from([0, 1000, 3000]),
    )


def check_crowded(s: AllocationState, opt: ArmaOptimizer) -> dict[str, int]:
    """What §4.2 promises on one state: no error, the floors kept, every constraint the budget
    allows, the floors alone when they reach the budget, else the budget never exceeded, and
    each minimum met unless the budget left by the floors ran out first."""
    c = opt.constraints
    x = opt.target(s)
    check_constraints(s, c, opt, x)
    p = opt.propose(s)
    check_proposal(s, p)
    fl, b = floors(s), budget(opt, s)
    if fl >= b:
        assert x == {m.id: max(0, m.position - m.withdrawable) for m in s.markets}
    else:
        assert sum(x.values()) <= b
        by_id = {m.id: m for m in s.markets}
        for k, a in c.min_allocation.items():  # short of its amount: out of budget or capped
            assert x[k] >= a or sum(x.values()) == b or x[k] >= cap_of(s, opt, by_id[k])
    return x


@st.composite
def crowded_cases(draw: st.DrawFn) -> tuple[AllocationState, ArmaOptimizer]:
    s = draw(crowded_states())
    return s, draw(optimizers(draw(wide_constraints(s))))


@settings(max_examples=150, deadline=None)
@given(crowded_cases())
def test_optimizer__random_crowded_states__floors_never_an_error(
    case: tuple[AllocationState, ArmaOptimizer],
) -> None:
    check_crowded(*case)


def crowded_example() -> tuple[AllocationState, ArmaOptimizer]:
    """A random state whose floors exceed the budget with something movable, minimums set."""
    return find(
        crowded_cases(),
        lambda so: (
            floors(so[0]) > budget(so[1], so[0])
            and any(m.withdrawable > 0 for m in so[0].markets)
            and bool(so[1].constraints.min_allocation)
        ),
        settings=settings(
            max_examples=2000, database=None, phases=[Phase.generate], derandomize=True
        ),
    )


def test_crowded_states__reach_the_floors_branch_and_the_check_can_fail() -> None:
    """The strategies reach the branch; there, a target that keeps the movable positions (instead
    of sending them idle) fails ``check_crowded`` (the canary)."""
    s, opt = crowded_example()
    check_crowded(s, opt)
    keep = {m.id: m.position for m in s.markets}
    wrong = dataclasses.replace(opt, name="canary")
    object.__setattr__(wrong, "target", lambda _s: keep)
    with pytest.raises(AssertionError):
        check_crowded(s, wrong)
