"""The greedy arbitrageur (sim.agents.arbitrage): exact legs, cycles, and no stranded pool."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from support.market import small_crash, started

from peglab.sim.agents.arbitrage import ARB, Arbitrageur, Leg, _stableswap_margin
from peglab.sim.agents.dealer import pool_buy_size
from peglab.sim.conditions import Conditions
from peglab.sim.families.ai_dollar.run import AiDollarRun
from peglab.sim.family import PHASES
from peglab.sim.scenario import Scenario
from peglab.sim.venue import Venue
from peglab.sim.world import MARKET, World


def _scenario(**arb: object) -> Scenario:
    return small_crash(arbitrageurs=arb)


def _started(sc: Scenario, seed: int = 5) -> tuple[World, AiDollarRun]:
    world, run = started(sc, seed)
    run.step("record", 0)
    return world, run


def _step(world: World, run: AiDollarRun, k: int) -> None:
    world.chain.warp(run.s.t0 + k * world.sc.step)
    world.venue.begin_step(k)
    world.publish_prices(k)
    for phase in PHASES:
        run.step(phase, k)


def _gap(world: World, run: AiDollarRun) -> float:
    """Relative gap between TOK's price on its constant-product pool (in USDC through the peg
    pool) and on the external market."""
    cp = world.pools["TOK-tUSD"]
    r0, r1, _ = cp.get_reserves()
    tok_in_tusd = r1 / r0 if cp.coins[0] == "TOK" else r0 / r1
    peg = float(run.s.peg[0, run.s.k])
    venue = world.venue.price(world.sc.asset_index["TOK"])
    return tok_in_tusd * peg / venue - 1.0


def test_cycles__small_system__start_and_end_in_stablecoin_without_repeats() -> None:
    world, run = _started(_scenario())
    assert run.arb is not None
    cycles = run.arb.cycles
    assert cycles
    for cyc in cycles:
        assert cyc[0].src == "USDC" and cyc[-1].dst == "USDC"
        assert all(a.dst == b.src for a, b in itertools.pairwise(cyc))
        inner = [leg.dst for leg in cyc[:-1]]
        assert len(set(inner)) == len(inner) and "USDC" not in inner
    route = (
        Leg("venue", "TOK", "USDC", "TOK"),
        Leg("pool", "TOK-tUSD", "TOK", "tUSD"),
        Leg("psm", "tUSD", "tUSD", "USDC"),
    )
    assert route in cycles  # buy outside, sell on the pool, redeem at the PSM


@pytest.mark.parametrize(
    ("pool_id", "src", "dst", "amount"),
    [("TOK-tUSD", "TOK", "tUSD", 5_000 * 10**18), ("tUSD-USDC", "USDC", "tUSD", 40_000 * 10**6)],
)
def test_execute__pool_leg__receives_the_pools_exact_output(
    pool_id: str, src: str, dst: str, amount: int
) -> None:
    world, run = _started(_scenario())
    arb = run.arb
    assert arb is not None
    ledger = world.chain.ledger
    leg = Leg("pool", pool_id, src, dst)
    pool = world.pools[pool_id]
    expected = pool.quote_exact_in(src, amount, dst)
    if src != "USDC":
        ledger.mint(src, ARB, amount)
    before_pool = ledger.balance_of(dst, pool.account)
    before = ledger.balance_of(dst, ARB)
    assert arb.quote(leg, amount) == expected
    assert arb.execute(leg, amount) == expected
    assert ledger.balance_of(dst, ARB) - before == expected
    assert before_pool - ledger.balance_of(dst, pool.account) == expected  # the pool paid it


def test_execute__venue_legs__move_its_price_by_its_formula() -> None:
    world, run = _started(_scenario())
    arb = run.arb
    assert arb is not None
    world.venue.begin_step(1)
    tok = world.sc.asset_index["TOK"]
    p0 = world.venue.price(tok)
    buy = Leg("venue", "TOK", "USDC", "TOK")
    expected = int(world.venue.quote_buy(tok, 100_000.0) * 10**18)
    got = arb.execute(buy, 100_000 * 10**6)
    assert got == expected == arb.quote(Leg("venue", "TOK", "TOK", "USDC"), 0) + expected
    assert world.venue.price(tok) > p0  # buying lifted the price
    sell = Leg("venue", "TOK", "TOK", "USDC")
    back = arb.execute(sell, got)
    assert world.venue.price(tok) == pytest.approx(p0, rel=1e-9)  # linear impact: retraced
    assert back == pytest.approx(100_000 * 10**6, rel=1e-9)  # at the cost it was bought


def test_quote_buy__inverse_of_buy_cost() -> None:
    sc = _scenario()
    prices = np.full((sc.n_steps + 1, len(sc.assets)), 2.0)
    venue = Venue(sc, Conditions.of(sc, prices))
    venue.begin_step(1)
    tok = sc.asset_index["TOK"]
    venue.sell(tok, 200_000.0)  # some impact outstanding
    units = venue.quote_buy(tok, 250_000.0)
    assert venue.buy(tok, units) == pytest.approx(250_000.0, rel=1e-12)


def test_run__crash__pool_tracks_the_venue_within_the_fee_band() -> None:
    """No stranded pool: with free gas and a 1-cent threshold, after every step of a 60% crash the
    pool's price of TOK (through the peg) is within its fees of the external market's. (The gain
    of closing a gap ``g`` beyond the fees is second order, about ``R g^2 / 2`` on a pool of
    input scale ``R``: 1 USD leaves ~0.5% on this 400k pool, 1 cent ~0.05%.)"""
    world, run = _started(_scenario(gas_usd=0, min_profit_usd=Decimal("0.01")))
    band = 0.0030 + 0.0010 + 0.0015  # CP pool fee, PSM or peg-pool fee, what 1 cent leaves
    worst = 0.0
    for k in range(1, world.sc.n_steps + 1):
        _step(world, run, k)
        worst = max(worst, abs(_gap(world, run)))
    assert worst < band
    fund = world.venue.fundamental[-1, world.sc.asset_index["TOK"]]
    assert fund < 0.5 * world.venue.fundamental[0, world.sc.asset_index["TOK"]]  # it did crash


def test_run__no_arbitrageur__pool_is_stranded() -> None:
    """The canary of the test above: without the arbitrageur the pool keeps its t0 price."""
    world, run = _started(_scenario(enabled=False))
    for k in range(1, world.sc.n_steps + 1):
        _step(world, run, k)
    assert _gap(world, run) > 0.5


def test_run__arbitrageur__never_loses_and_ends_in_stablecoin() -> None:
    world, run = _started(_scenario(gas_usd=0, min_profit_usd=1))
    ledger = world.chain.ledger
    cash = [ledger.balance_of("USDC", ARB)]
    for k in range(1, world.sc.n_steps + 1):
        _step(world, run, k)
        cash.append(ledger.balance_of("USDC", ARB))
    assert run.arb is not None and run.arb.trades > 0
    assert all(b >= a for a, b in itertools.pairwise(cash))  # every trade gained
    assert ledger.balance_of("TOK", ARB) == 0  # nothing stranded mid-cycle
    assert ledger.balance_of("tUSD", ARB) < 10**15  # at most dust of a PSM redemption
    world.chain.check_conservation()
    assert ledger.balance_of("TOK", MARKET) >= 0


def test_run__threshold__fewer_trades_when_higher() -> None:
    counts = []
    for floor in (1, 5_000):
        world, run = _started(_scenario(gas_usd=0, min_profit_usd=floor))
        for k in range(1, world.sc.n_steps + 1):
            _step(world, run, k)
        assert isinstance(run.arb, Arbitrageur)
        counts.append(run.arb.trades)
    assert counts[1] < counts[0]


@pytest.mark.parametrize("dump", [0, 150_000])
def test_margin__stableswap__matches_a_small_exact_quote(dump: int) -> None:
    """The invariant's marginal rate equals the pool's exact quote of a small trade."""
    world, run = _started(_scenario())
    assert run.arb is not None
    pool = world.pools["tUSD-USDC"]
    if dump:
        world.chain.transfer("tUSD", "whale", dump * 10**18, sender="holders")
        pool.swap_exact_in("tUSD", dump * 10**18, 0, sender="whale")
    for src, dst, uin, uout in (("tUSD", "USDC", 10**18, 10**6), ("USDC", "tUSD", 10**6, 10**18)):
        rate, scale = run.arb.margin(Leg("pool", "tUSD-USDC", src, dst))
        quoted = pool.quote_exact_in(src, 10 * uin, dst) / uout / 10
        assert rate == pytest.approx(quoted, rel=1e-5)
        assert 0 < scale <= 300_000 + dump  # at most the smaller balance


def _stale_margins(world: World, run: AiDollarRun) -> list[str]:
    """Between steps the peg pool stays as it is, trades, ramps A and changes its fee; after each
    (the kept margin reused when nothing changed) the arbitrageur's margin of both of its legs
    must be the one computed afresh. Returns the changes after which it was not."""
    arb, pool, chain = run.arb, world.pools["tUSD-USDC"], world.chain
    assert arb is not None
    legs = [Leg("pool", pool.id, "tUSD", "USDC"), Leg("pool", pool.id, "USDC", "tUSD")]
    day = 86_400

    def trade() -> None:
        chain.transfer("tUSD", "whale", 50_000 * 10**18, sender="holders")
        pool.swap_exact_in("tUSD", 50_000 * 10**18, 0, sender="whale")

    def ramp() -> None:
        pool.ramp_A(pool.A() * 2, chain.now + 2 * day, sender=pool.owner)
        chain.warp(chain.now + day)  # halfway: A moved, the balances did not

    def fee() -> None:
        pool.commit_new_fee(pool.fee * 2, pool.admin_fee, sender=pool.owner)
        chain.warp(chain.now + 4 * day)  # past the ramp's end: A steady again
        pool.apply_new_fee(sender=pool.owner)

    bad = []
    for name, change in (("none", lambda: None), ("trade", trade), ("ramp", ramp), ("fee", fee)):
        change()
        for leg in legs:
            if arb.margin(leg) != _stableswap_margin(pool, leg.src, leg.dst):
                bad.append(name)
    return bad


def test_margin__kept_across_steps__fresh_after_trade_ramp_and_fee() -> None:
    world, run = _started(_scenario())
    assert _stale_margins(world, run) == []


def test_margin__canary__kept_by_balances_only__stale_after_ramp_and_fee(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world, run = _started(_scenario())
    kept: dict[tuple[Leg, tuple[int, ...]], tuple[float, float]] = {}
    real = Arbitrageur.margin

    def by_balances(self: Arbitrageur, leg: Leg) -> tuple[float, float]:
        if leg.kind != "pool" or leg.key != "tUSD-USDC":
            return real(self, leg)
        key = (leg, world.pools[leg.key].balances)
        if key not in kept:
            kept[key] = real(self, leg)
        return kept[key]

    monkeypatch.setattr(Arbitrageur, "margin", by_balances)
    assert _stale_margins(world, run) == ["ramp", "ramp", "fee", "fee"]


def _stale_buy_sizes(world: World, run: AiDollarRun, sized: Any) -> list[str]:
    """``sized`` (``dealer.pool_buy_size`` or a canary) keeps its answers per path; after a trade,
    an A ramp and a fee change on the peg pool each kept answer must equal the one computed afresh
    (the real function with nothing kept). Returns the changes after which it did not."""
    s, pool, chain = run.s, world.pools["tUSD-USDC"], world.chain
    cash = 200_000 * 10**6
    day = 86_400

    def trade() -> None:
        chain.transfer("tUSD", "whale", 50_000 * 10**18, sender="holders")
        pool.swap_exact_in("tUSD", 50_000 * 10**18, 0, sender="whale")

    def ramp() -> None:
        pool.ramp_A(pool.A() // 10, chain.now + 2 * day, sender=pool.owner)
        chain.warp(chain.now + 2 * day)

    def fee() -> None:
        pool.commit_new_fee(pool.fee * 4, pool.admin_fee, sender=pool.owner)
        chain.warp(chain.now + 4 * day)
        pool.apply_new_fee(sender=pool.owner)

    bad = []
    for name, change in (("none", lambda: None), ("trade", trade), ("ramp", ramp), ("fee", fee)):
        sized(s, "tUSD", pool, cash)  # kept now, then the pool changes
        change()
        kept = sized(s, "tUSD", pool, cash)
        saved = dict(s.buy_sizes)
        s.buy_sizes.clear()
        fresh = pool_buy_size(s, "tUSD", pool, cash)
        s.buy_sizes.clear()
        s.buy_sizes.update(saved)
        if kept != fresh:
            bad.append(name)
    return bad


def test_pool_buy_size__kept__fresh_after_trade_ramp_and_fee() -> None:
    world, run = _started(_scenario())
    assert _stale_buy_sizes(world, run, pool_buy_size) == []


def test_pool_buy_size__canary__kept_by_balances_only__stale_after_ramp_and_fee() -> None:
    """The key before 2026-12-04 (pool, balances, cash) misses an A ramp and a fee change."""
    world, run = _started(_scenario())
    kept: dict[tuple[object, ...], tuple[int, int]] = {}

    def by_balances(s: Any, sym: str, pool: Any, cash: int) -> tuple[int, int]:
        key = (pool.id, pool.balances, cash)
        if key not in kept:
            s.buy_sizes.clear()
            kept[key] = pool_buy_size(s, sym, pool, cash)
        return kept[key]

    assert _stale_buy_sizes(world, run, by_balances) == ["ramp", "fee"]


def test_quote__after_a_sandbox_snapshot__same_exact_quotes() -> None:
    """The StableSwap legs quote through the pools' ``quoter`` closures, which cannot be
    pickled: the arbitrageur drops them from its pickled state (a sandbox's world is pickled,
    ``store.world.dump_world``) and makes them again on the next quote, against the restored
    pools."""
    from peglab.store.world import SandboxWorld, dump_world, load_world

    world = SandboxWorld.create({"owner": "olivia", "kind": "scenario", "name": "calm", "seed": 2})
    arb = world.system.families["ai_dollars"].arb
    leg = next(g for g in arb.legs if g.kind == "pool")
    amount = 1_000 * arb.unit[leg.src]
    pool = world.system.world.pools[leg.key]
    want = pool.quote_exact_in(leg.src, amount, leg.dst)
    assert want > 0 and arb.quote(leg, amount) == want  # the closures are made now
    copy = load_world(dump_world(world)).system.families["ai_dollars"].arb
    assert copy.quote(leg, amount) == want
    copy.s.w.pools[leg.key].state.balances = (0,) * len(pool.coins)  # the copy's pool only
    assert arb.quote(leg, amount) == want and copy.quote(leg, amount) == 0
