"""AI-token sellers (sim.agents.sellers, borrowers.top_up/deleverage): every one of them pays or
is paid at the external market's price, and moves it."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from support.market import small_crash, started

from peglab.sim.agents import borrowers, sellers
from peglab.sim.families.ai_dollar.run import AiDollarRun
from peglab.sim.results import PathResult
from peglab.sim.runner import run_path
from peglab.sim.scenario import Scenario
from peglab.sim.world import MARKET

WAD = 10**18


def _scenario(**agents: dict[str, object]) -> Scenario:
    return small_crash(**agents)


def _started(sc: Scenario) -> AiDollarRun:
    world, run = started(sc)
    world.venue.begin_step(1)
    run.s.k = 1
    return run


def test_top_up__buys_on_the_venue__pays_its_cost_and_lifts_its_price() -> None:
    run = _started(_scenario())
    s = run.s
    b = s.books[0]
    ledger = s.w.chain.ledger
    tok = s.sc.asset_index["TOK"]
    owner, vid = b.owners[0], b.ids[0]
    cash0, ink0 = ledger.balance_of("USDC", owner), s.dollars["tUSD"].vat.vaults[vid].ink_wad
    p0 = s.venue.price(tok)
    units = s.venue.quote_buy(tok, 1_000.0)
    assert borrowers.top_up(s, b, 0, 1_000.0) == 1_000.0
    assert cash0 - ledger.balance_of("USDC", owner) == 1_000 * 10**6  # paid, not created
    assert s.dollars["tUSD"].vat.vaults[vid].ink_wad - ink0 == int(units * 1e18)
    assert s.venue.price(tok) > p0  # the purchase moved the market


def test_top_up__no_cash__buys_nothing() -> None:
    """Canary: a borrower without stablecoin gets no collateral (it used to appear from nothing)."""
    run = _started(_scenario())
    s = run.s
    b = s.books[0]
    ledger = s.w.chain.ledger
    ledger.transfer("USDC", b.owners[0], MARKET, ledger.balance_of("USDC", b.owners[0]))
    ink0 = s.dollars["tUSD"].vat.vaults[b.ids[0]].ink_wad
    assert borrowers.top_up(s, b, 0, 1_000.0) == 0.0
    assert s.dollars["tUSD"].vat.vaults[b.ids[0]].ink_wad == ink0


def test_deleverage__sells_collateral__repays_and_lowers_the_price() -> None:
    run = _started(_scenario())
    s = run.s
    b = s.books[0]
    d = s.dollars["tUSD"]
    tok = s.sc.asset_index["TOK"]
    v = d.vat.vaults[b.ids[0]]
    ink0, art0 = v.ink_wad, v.art_wad
    p0 = s.venue.price(tok)
    raised = borrowers.deleverage(s, b, 0, 2_000.0)
    assert raised > 0
    v = d.vat.vaults[b.ids[0]]
    assert v.ink_wad < ink0 and v.art_wad < art0  # less collateral, less debt
    assert s.venue.price(tok) < p0  # the sale moved the market
    ilk = d.vat.ilks[b.ilk]
    assert v.art_wad * ilk.rate_ray <= v.ink_wad * ilk.spot_ray  # still safe


def test_sellers__falling_market__treasury_sells_and_price_falls_further() -> None:
    """Same seed with and without treasuries: their sales lower the realised price."""
    seed = np.random.SeedSequence(7, spawn_key=(1,))
    on = run_path(_scenario(sellers={"inventory_d10": Decimal(1)}), 1, seed)
    off = run_path(_scenario(sellers={"enabled": False}), 1, seed)
    assert on.metrics["treasury_sold_usd"] > 0 and off.metrics["treasury_sold_usd"] == 0

    def ratio(r: PathResult) -> np.ndarray:
        return np.asarray(r.series["price.TOK"]) / np.asarray(r.series["fundamental.TOK"])

    assert ratio(on).mean() < ratio(off).mean()


def test_sellers__start__inventory_is_d10_at_t0_price() -> None:
    run = _started(_scenario())
    s = run.s
    held = s.w.chain.ledger.balance_of("TOK", sellers.holder("TOK"))
    assert held / WAD * float(s.prices[0, s.sc.asset_index["TOK"]]) == pytest.approx(3_000_000)
