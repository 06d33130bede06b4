"""The external venue with transient impact (sim.venue): formulas, recovery, reflexivity."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from peglab.risk.library import load_scenario
from peglab.sim.conditions import Conditions
from peglab.sim.runner import run_path
from peglab.sim.scenario import Scenario
from peglab.sim.venue import Venue, impact_per_usd

SMALL = Path(__file__).parent / "scenarios" / "small-crash.toml"


def transient(sc: Scenario, **liquidity: object) -> Scenario:
    liq = sc.liquidity.model_copy(update={"model": "transient", **liquidity})
    return sc.model_copy(update={"liquidity": liq})


def flat_venue(half_life: int = 3600) -> tuple[Venue, int]:
    sc = transient(load_scenario(SMALL), recovery_half_life=half_life)
    prices = np.full((sc.n_steps + 1, len(sc.assets)), 2.0)
    prices[:, sc.asset_index["USDC"]] = 1.0
    venue = Venue(sc, Conditions.of(sc, prices))
    venue.begin_step(1)
    return venue, sc.asset_index["TOK"]


def test_impact_per_usd__d10_sale__averages_ten_percent_below() -> None:
    k = impact_per_usd(3_000_000)
    u = k * 3_000_000
    assert (1 - math.exp(-u)) / u == pytest.approx(0.9, abs=1e-12)
    assert u == pytest.approx(0.21456, abs=1e-4)


def test_sell__vector__exact_proceeds_and_new_price() -> None:
    venue, tok = flat_venue()
    k, q = impact_per_usd(3_000_000), 250_000.0  # 500k USD of notional at 2.0
    proceeds = venue.sell(tok, q)
    assert proceeds == pytest.approx((1 - math.exp(-k * 2.0 * q)) / k, rel=1e-12)
    assert venue.price(tok) == pytest.approx(2.0 * math.exp(-k * 2.0 * q), rel=1e-12)
    assert venue.quote_sell(tok, 1.0) < 2.0 * 0.999  # the next unit fetches the lower price


def test_buy_after_sell__round_trip__returns_to_price_and_costs_the_spread() -> None:
    venue, tok = flat_venue()
    got = venue.sell(tok, 100_000.0)
    cost = venue.buy(tok, 100_000.0)
    assert venue.price(tok) == pytest.approx(2.0, rel=1e-12)  # linear impact: back where it was
    assert cost == pytest.approx(got, rel=1e-12)  # buying back retraces the same curve


def test_begin_step__book_refills__impact_halves_per_half_life() -> None:
    venue, tok = flat_venue(half_life=3600)  # one step of small-crash is 1 h
    venue.sell(tok, 500_000.0)
    before = float(venue.impact[tok])
    venue.begin_step(2)
    assert float(venue.impact[tok]) == pytest.approx(before / 2, rel=1e-12)
    assert venue.realised[2, tok] == pytest.approx(2.0 * math.exp(-before / 2), rel=1e-12)


def test_no_flows__realised_equals_fundamental() -> None:
    venue, tok = flat_venue()
    for k in range(2, 6):
        venue.begin_step(k)
    np.testing.assert_array_equal(venue.realised, venue.fundamental)


def test_static_model__venue_leaves_no_trace() -> None:
    sc = load_scenario(SMALL)
    prices = np.full((sc.n_steps + 1, len(sc.assets)), 2.0)
    venue = Venue(sc, Conditions.of(sc, prices))
    venue.begin_step(1)
    venue.sell(sc.asset_index["TOK"], 1e6)
    venue.begin_step(2)
    np.testing.assert_array_equal(venue.realised, venue.fundamental)


def test_run_path__transient__liquidation_sales_push_the_market_below_fundamental() -> None:
    sc = transient(load_scenario(SMALL))
    r = run_path(sc, 1, np.random.SeedSequence(7, spawn_key=(1,)))
    ratio = np.asarray(r.series["price.TOK"]) / np.asarray(r.series["fundamental.TOK"])
    assert ratio.min() < 0.995 and ratio[0] == 1.0  # keepers' sales moved the price
    assert ratio[-1] > ratio.min()  # and the book refilled afterwards


def test_reflexivity__bigger_vault_book__lower_market_price() -> None:
    """Same seeds: more debt means more liquidation sales, so a lower realised price."""
    sc = transient(load_scenario(SMALL))
    block = sc.system.block("ai_dollars")
    coll = block[0].collaterals[0]
    vaults = coll.vaults.model_copy(update={"debt_usd": coll.vaults.debt_usd * 2})
    bigger_coll = coll.model_copy(update={"vaults": vaults})
    bigger_dollar = block[0].model_copy(update={"collaterals": [bigger_coll]})
    bigger = sc.model_copy(
        update={"system": sc.system.model_copy(update={"ai_dollars": [bigger_dollar]})}
    )
    seed = np.random.SeedSequence(7, spawn_key=(1,))

    def lowest(s: Scenario) -> float:
        r = run_path(s, 1, seed)
        return float(np.min(np.asarray(r.series["price.TOK"]) / r.series["fundamental.TOK"]))

    assert lowest(bigger) < lowest(sc)
