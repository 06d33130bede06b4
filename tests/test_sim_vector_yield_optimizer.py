"""The vectorised ARMA optimiser (``yield_vault.vector_optimizer``; docs/scale.md "Vectorised
models: yield vaults"): on hand-built and random allocation states it proposes the exact
optimiser's targets and decisions (fed the exact rate curves), a batch of states gives each state's
answer, and on common paths of reduced ``rate-spike`` and ``vault-run`` with ``allocator =
"optimizer"`` the engines' means agree within the stated tolerances, move capital on the same
days, and a perturbed optimiser on the vectorised side fails the check."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_sim_vector_yield import disagreements, reduced, same, seeds
from test_yield_allocators import constraints, states, view
from test_yield_optimizer_floors import M, crowded_cases, crowded_example, locked_book

from peglab.errors import InvalidInput
from peglab.protocols.yieldvault import ArmaOptimizer
from peglab.protocols.yieldvault.curves import FlatCurve
from peglab.protocols.yieldvault.optimizer import Constraints
from peglab.protocols.yieldvault.policy import AllocationState, MarketView
from peglab.sim.families.yield_vault import vector as vector_module
from peglab.sim.families.yield_vault.vector_optimizer import VecOptimizer
from peglab.sim.runner import run_path, vector_chunk
from peglab.sim.scenario import Scenario
from peglab.units import BPS, DAY, RAY, WAD

USDC = 10**6
F = np.ndarray


def _curve(views: Sequence[MarketView]) -> Callable[[F], F]:
    """Market ``j`` on every path: the exact curve of path ``p``'s view, as a fraction."""
    return lambda delta: np.array([v.apr_after(int(d)) / RAY for v, d in zip(views, delta)])


def _vec_inputs(
    opt: ArmaOptimizer, batch: Sequence[AllocationState]
) -> tuple[VecOptimizer, F, F, F, F, F, F, list[Callable[[F], F]]]:
    """The vectorised optimiser and its inputs for ``batch`` (one path per state, the same
    market ids): optimiser, last rebalance (``now`` = 0), capital, positions, withdrawable,
    supply, utilisation, curves."""
    ids = [m.id for m in batch[0].markets]
    n = len(ids)
    cols = [[s.markets[j] for s in batch] for j in range(n)]

    def arr(f: Callable[[MarketView], int]) -> F:
        return np.array([[float(f(m)) for m in s.markets] for s in batch])

    m0 = batch[0].markets
    vo = VecOptimizer(
        opt,
        ids,
        gas_per_tx=[m.gas_per_tx for m in m0],
        entry_fee_bps=[m.entry_fee_bps for m in m0],
        exit_fee_bps=[m.exit_fee_bps for m in m0],
    )
    return (
        vo,
        np.array([float(s.last_rebalance - s.now) for s in batch]),
        np.array([float(s.capital) for s in batch]),
        arr(lambda m: m.position),
        arr(lambda m: m.withdrawable),
        arr(lambda m: m.market_supply),
        arr(lambda m: m.utilisation_wad) / WAD,
        [_curve(c) for c in cols],
    )


def vec_propose(opt: ArmaOptimizer, batch: Sequence[AllocationState]) -> tuple[F, F]:
    """The vectorised optimiser's ``(targets, move)`` on ``batch``."""
    vo, last, *rest = _vec_inputs(opt, batch)
    return vo.propose(0.0, last, *rest)


def vec_target(opt: ArmaOptimizer, batch: Sequence[AllocationState]) -> F:
    """The vectorised optimiser's target (no gate) on ``batch``."""
    vo, _, *rest = _vec_inputs(opt, batch)
    return vo.target(*rest)


def exact_answer(opt: ArmaOptimizer, s: AllocationState) -> tuple[list[int], bool]:
    p = opt.propose(s)
    return [p.targets[m.id] for m in s.markets], p.rebalance


# -- hand-built states -------------------------------------------------------------------------
def hand_states() -> list[AllocationState]:
    """Four states on the same five markets (three Aave-style, two flat at 2.5%: equal gains, a
    tie the heap breaks by id): idle capital to place; a book to move; the same book within the
    cooldown (held); an over-utilised market to exit within the cooldown, part of it stuck."""
    m = 1_000_000 * USDC

    def markets(pos: tuple[int, ...], debt_c: int, stuck: int = 0) -> tuple[MarketView, ...]:
        flat = FlatCurve(25 * RAY // 1000)
        return (
            view("a", 30 * m, 170 * m, pos[0]),
            view("b", 10 * m, 90 * m, pos[1]),
            view("c", 200 * m - debt_c, debt_c, pos[2], withdrawable=pos[2] - stuck),
            MarketView("d", "d", pos[3], pos[3], 90 * m, 0, flat),
            MarketView("e", "e", pos[4], pos[4], 1000 * m, 0, flat),
        )

    book = (0, 0, 20 * m, 0, 20 * m)
    return [
        AllocationState(30 * DAY, 50 * m, markets((0, 0, 0, 0, 0), 140 * m)),
        AllocationState(30 * DAY, 2 * m, markets(book, 140 * m), last_rebalance=20 * DAY),
        AllocationState(30 * DAY, 2 * m, markets(book, 140 * m), last_rebalance=30 * DAY - 3600),
        AllocationState(
            30 * DAY, 1 * m, markets((10 * m, 10 * m, 4 * m, 0, 0), 195 * m, stuck=1 * m),
            last_rebalance=30 * DAY - 3600,
        ),
    ]  # fmt: skip


def test_vec_optimizer__hand_built_states__exact_targets_and_decisions() -> None:
    opt = ArmaOptimizer(idle_buffer_bps=1000, min_gain_abs=5 * USDC)
    batch = hand_states()
    targets, move = vec_propose(opt, batch)
    reasons = []
    for p, s in enumerate(batch):
        want, moves = exact_answer(opt, s)
        reasons.append(opt.propose(s).reason)
        assert bool(move[p]) == moves
        assert targets[p].tolist() == [float(t) if moves else float(m.position)
                                       for t, m in zip(want, s.markets)]  # fmt: skip
        # alone, the state gives the same answer as in the batch
        t1, m1 = vec_propose(opt, [s])
        assert t1[0].tobytes() == targets[p].tobytes() and bool(m1[0]) == bool(move[p])
    assert [r.split(":")[0] for r in reasons] == [
        "gain after costs above the gate", "forced", "cooldown",
        "exit excluded or over-utilised market",
    ]  # fmt: skip
    m = 1_000_000 * USDC
    # the two equal flat markets: "d" (the smaller id) is filled to its cap before "e" gets a step
    assert targets[0][3] == 10 * m and targets[0][4] > 0 and targets[3][4] == 0 < targets[3][3]
    # the over-utilised market is left as far as cash allows: its stuck part stays
    assert targets[3][2] == 1 * m
    # canary: a coarser step changes the vectorised targets, a stricter gate the decision
    coarse = ArmaOptimizer(idle_buffer_bps=1000, min_gain_abs=5 * USDC, steps=7)
    assert vec_propose(coarse, batch[:1])[0][0].tolist() != targets[0].tolist()
    strict = ArmaOptimizer(idle_buffer_bps=1000, min_gain_abs=10**9 * USDC, drift_frac=1.0)
    assert not vec_propose(strict, batch[1:2])[1][0]


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_vec_optimizer__random_states_and_constraints__as_the_exact_optimiser(
    data: st.DataObject,
) -> None:
    s = data.draw(states())
    c = data.draw(constraints(s))
    opt = ArmaOptimizer(constraints=c, steps=data.draw(st.sampled_from([50, 200, 1000])))
    try:
        want, moves = exact_answer(opt, s)
    except InvalidInput as e:
        with pytest.raises(InvalidInput) as got:
            vec_propose(opt, [s])
        assert got.value.code == e.code
        return
    targets, move = vec_propose(opt, [s])
    assert targets[0].tolist() == [float(t) for t in want]
    assert bool(move[0]) == moves


def same_as_exact(opt: ArmaOptimizer, s: AllocationState) -> None:
    """The vectorised target and decision on ``s`` are the exact ones (AssertionError if not)."""
    want, moves = exact_answer(opt, s)
    assert vec_target(opt, [s])[0].tolist() == [float(t) for t in opt.target(s).values()]
    targets, move = vec_propose(opt, [s])
    assert targets[0].tolist() == [float(t) for t in want] and bool(move[0]) == moves


def test_vec_optimizer__floors_at_or_above_the_budget__exact_targets_and_decisions() -> None:
    """The hand-built states of ``test_yield_optimizer_floors``: the floors above the budget
    (held by the gate), at it, one unit below it, with the liquid market over-utilised (the exit
    moves to the floors); minimums beyond the budget met in id order; ``min_protocols`` with an
    over-utilised market and with the floors at the budget. One batch, and each state alone."""
    batch = [
        locked_book(95 * M, 3 * M, 2 * M),
        locked_book(90 * M, 8 * M, 2 * M),
        locked_book(90 * M - 1, 8 * M, 2 * M + 1),
        locked_book(95 * M, 3 * M, 2 * M, debt_a=990 * M),
        locked_book(80 * M, 0, 20 * M),
        locked_book(0, 0, 100 * M, debt_a=990 * M),
    ]
    opts = [
        ArmaOptimizer(idle_buffer_bps=1000),
        ArmaOptimizer(
            idle_buffer_bps=1000, constraints=Constraints(min_allocation={"b": 6 * M, "a": 6 * M})
        ),
        ArmaOptimizer(
            idle_buffer_bps=1000, constraints=Constraints(min_protocols=3, min_fraction=0.05)
        ),
    ]
    for opt in opts:
        targets = vec_target(opt, batch)
        proposed, move = vec_propose(opt, batch)
        for p, s in enumerate(batch):
            assert targets[p].tolist() == [float(t) for t in opt.target(s).values()]
            want, moves = exact_answer(opt, s)
            assert proposed[p].tolist() == [float(t) for t in want] and bool(move[p]) == moves
            same_as_exact(opt, s)
    assert vec_target(opts[0], batch[:1])[0].tolist() == [95.0 * M, 0.0, 0.0]
    assert vec_target(opts[1], batch[4:5])[0].tolist() == [80.0 * M, 6.0 * M, 4.0 * M]
    assert vec_propose(opts[0], batch[3:4])[1][0]  # the exit moves
    # canary: the minimums in the reverse order give "b" the 6 and "a" the 4
    vo, _, *rest = _vec_inputs(opts[1], batch[4:5])
    vo.min_alloc.reverse()
    assert vo.target(*rest)[0].tolist() == [80.0 * M, 4.0 * M, 6.0 * M]


@settings(max_examples=150, deadline=None)
@given(crowded_cases())
def test_vec_optimizer__random_crowded_states__as_the_exact_optimiser(
    case: tuple[AllocationState, ArmaOptimizer],
) -> None:
    """Random states whose floors often reach the budget (locked positions, little idle cash,
    idle buffers of 0, 10% and 30%) under minimums (``min_allocation``, ``min_protocols`` with
    and without ``min_fraction``): the exact targets to the unit and the exact decisions."""
    same_as_exact(case[1], case[0])


def test_vec_optimizer__crowded_states__the_check_can_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    """Canary: on a random state whose floors exceed the budget with something movable, a
    vectorised optimiser that keeps the movable positions there (instead of the floors) fails
    ``same_as_exact``."""
    s, opt = crowded_example()
    same_as_exact(opt, s)
    target = VecOptimizer.target

    def keeps(self: VecOptimizer, capital: F, pos: F, wd: F, *a: Any) -> F:
        out = target(self, capital, pos, wd, *a)
        budget = capital - np.floor(capital * self.o.idle_buffer_bps / BPS)
        over = np.maximum(0.0, pos - wd).sum(axis=1) >= budget
        return np.where(over[:, None], pos, out)

    monkeypatch.setattr(VecOptimizer, "target", keeps)
    with pytest.raises(AssertionError):
        same_as_exact(opt, s)


def test_vec_optimizer__min_amount__rerun_without_the_small_market() -> None:
    s = hand_states()[0]
    opt = ArmaOptimizer(idle_buffer_bps=1000, constraints=Constraints(min_amount=7_000_000 * USDC))
    want, _ = exact_answer(opt, s)
    plain, _ = exact_answer(ArmaOptimizer(idle_buffer_bps=1000), s)
    assert any(0 < t < 7_000_000 * USDC for t in plain) and want != plain  # the rule bites
    assert vec_propose(opt, [s])[0][0].tolist() == [float(t) for t in want]


# -- the family on both engines -------------------------------------------------------------------
def optimizer_scenario(tmp_path: Path, name: str, terms: bool = False) -> Scenario:
    """The library scenario cut to 30 days with the optimiser, with the library's 30-day term
    deposits (``terms``) or without them."""
    if terms:
        return reduced(tmp_path, name, 'allocator = "optimizer"\n')
    if name == "vault-run":
        return reduced(tmp_path, name, 'allocator = "optimizer"\n', {"terms = 2": "terms = 0"})
    return reduced(tmp_path, name, 'allocator = "optimizer"\nmarkets.terms = 0\n')


@contextmanager
def counting_moves(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, list[Any]]]:
    """Record every decision of both optimisers: the exact one's per call, the vectorised one's
    per day (a row of paths); and whether the floors reached the budget (``crowded``)."""
    from peglab.sim.families.yield_vault import vector_optimizer as vo

    seen: dict[str, list[Any]] = {"exact": [], "vector": [], "crowded": [], "vcrowded": []}
    exact, vec = ArmaOptimizer.propose, vo.VecOptimizer.propose

    def ex(self: ArmaOptimizer, state: AllocationState) -> Any:
        p = exact(self, state)
        seen["exact"].append((state.now, p.reason, p.rebalance))
        budget = state.capital - state.capital * self.idle_buffer_bps // BPS
        floors = sum(max(0, m.position - m.withdrawable) for m in state.markets)
        seen["crowded"].append(floors >= budget)
        return p

    def ve(self: VecOptimizer, now: float, last: F, capital: F, pos: F, wd: F, *a: Any) -> Any:
        t, m = vec(self, now, last, capital, pos, wd, *a)
        seen["vector"].append(m.copy())
        budget = capital - np.floor(capital * self.o.idle_buffer_bps / BPS)
        seen["vcrowded"].append(np.maximum(0.0, pos - wd).sum(axis=1) >= budget)
        return t, m

    monkeypatch.setattr(ArmaOptimizer, "propose", ex)
    monkeypatch.setattr(vo.VecOptimizer, "propose", ve)
    yield seen


@pytest.mark.parametrize(
    ("name", "paths", "terms"),
    [
        ("rate-spike", 7, False),
        ("vault-run", 8, False),
        ("rate-spike", 7, True),
        ("vault-run", 8, True),
    ],
)
def test_cross_validation__optimizer_allocator__means_agree_and_same_moves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, paths: int, terms: bool
) -> None:
    """With the library's term deposit the optimiser puts 90% of NAV in it, and the locked
    tranches reach NAV less the idle buffer once NAV shrinks: the exact optimiser raised there
    (docs/yield-vaults.md §8.1); now both engines run, agree and decide alike on those days."""
    sc = optimizer_scenario(tmp_path, name, terms)
    ss = seeds(paths)
    with counting_moves(monkeypatch) as seen:
        exact = [run_path(sc, i, s) for i, s in enumerate(ss)]
        vec = vector_chunk(sc, ss)
    assert disagreements(sc, exact, vec) == []
    # the optimiser moved capital on every path, by its gate and not only to exit, and the
    # vectorised one on the same days
    days = len(seen["vector"])
    decided = np.array([r for _, _, r in seen["exact"]]).reshape(paths, days).T
    assert (np.array(seen["vector"]) == decided).all()
    gated = sum(1 for _, why, r in seen["exact"] if r and why.startswith("gain after costs"))
    assert decided.sum(axis=0).min() >= 3 and gated >= 3 * paths
    # with the term deposit the floors reach the budget on many days, the same on both engines
    crowded = np.array(seen["crowded"]).reshape(paths, days).T
    assert (np.array(seen["vcrowded"]) == crowded).all()
    assert crowded.sum() >= (5 * paths if terms else 0)

    # canary, on the vectorised side only: a stricter hysteresis (100 bps instead of 25); with
    # the term deposit, where most of the book is locked and the gate matters less, an idle
    # buffer of 5% instead of 10%
    def wrong(unit: int) -> ArmaOptimizer:
        if terms:
            return ArmaOptimizer(idle_buffer_bps=500, min_gain_abs=5 * unit)
        return ArmaOptimizer(idle_buffer_bps=1000, min_gain_abs=5 * unit, hysteresis_bps=100.0)

    monkeypatch.setattr(vector_module, "family_optimizer", wrong)
    assert disagreements(sc, exact, vector_chunk(sc, ss)) != []


def test_family__optimizer_spiked_market_above_the_budget__runs_on_both_engines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without term deposits, path 7 of 12 of the reduced ``rate-spike`` has the pinned market
    (the vault's largest position) above NAV less the idle buffer for days: it raised
    ``yield/infeasible-constraints`` before; now both engines run it, on the floors those days."""
    sc = optimizer_scenario(tmp_path, "rate-spike")
    s7 = seeds(12)[7]
    with counting_moves(monkeypatch) as seen:
        exact = run_path(sc, 7, s7)
        vec = vector_chunk(sc, [s7])[0]
    assert sum(seen["crowded"]) >= 5 and sum(bool(v[0]) for v in seen["vcrowded"]) >= 5
    assert exact.metrics.keys() == vec.metrics.keys()


def test_vector_chunk__optimizer__batch_of_four_equals_four_batches_of_one(tmp_path: Path) -> None:
    """Paths that stop filling early wait, masked, for the others: a path's targets do not
    depend on its batch; the same seed gives the same bytes."""
    sc = optimizer_scenario(tmp_path, "rate-spike")
    ss = seeds(4)
    batch = vector_chunk(sc, ss)
    assert all(same(a, vector_chunk(sc, [s])[0]) for a, s in zip(batch, ss, strict=True))
    assert all(same(a, b) for a, b in zip(batch, vector_chunk(sc, ss), strict=True))
    assert len({r.metrics["vault_realised_apy.alUSD"] for r in batch}) == 4  # paths differ
