"""Reflexivity on the same seeds (issue 10's validation): more debt or thinner depth gives a lower
realised AI-token price and more bad debt; without borrowing or sellers the market price is the
fundamental one, bit for bit."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from peglab.risk.library import load_scenario
from peglab.sim.results import PathResult
from peglab.sim.runner import run_path
from peglab.sim.scenario import Scenario

SMALL = Path(__file__).parent / "scenarios" / "small-crash.toml"


def _harsh(debt: float = 1.0, depth: float = 1.0, **agents: dict[str, Any]) -> Scenario:
    """small-crash with the transient venue, -85% in 6 h and thin keeper capital (1-3% of debt),
    so auctions leave bad debt; ``debt`` scales the vault book (and the ceilings with it),
    ``depth`` the external market's D10."""
    sc = load_scenario(SMALL)
    dol = sc.system.block("ai_dollars")[0]
    coll = dol.collaterals[0]
    m = Decimal(str(debt))
    coll = coll.model_copy(
        update={
            "vaults": coll.vaults.model_copy(update={"debt_usd": coll.vaults.debt_usd * m}),
            "line_usd": coll.line_usd * max(m, Decimal(1)),
            "hole_usd": coll.hole_usd * max(m, Decimal(1)),
        }
    )
    dol = dol.model_copy(
        update={"collaterals": [coll], "line_usd": dol.line_usd * max(m, Decimal(1))}
    )
    assets = [
        a.model_copy(update={"d10_usd": a.d10_usd * Decimal(str(depth))}) if a.d10_usd else a
        for a in sc.assets
    ]
    crash = sc.prices[0].model_copy(update={"drawdown": Decimal("0.85"), "duration": 6 * 3600})
    upd: dict[str, Any] = {
        "keepers": sc.agents.keepers.model_copy(
            update={"capital": (Decimal("0.01"), Decimal("0.03"))}
        )
    }
    for k, v in agents.items():
        upd[k] = getattr(sc.agents, k).model_copy(update=v)
    return sc.model_copy(
        update={
            "liquidity": sc.liquidity.model_copy(update={"model": "transient"}),
            "assets": assets,
            "prices": [crash, *sc.prices[1:]],
            "system": sc.system.model_copy(update={"ai_dollars": [dol]}),
            "agents": sc.agents.model_copy(update=upd),
        }
    )


def _run(sc: Scenario) -> PathResult:
    return run_path(sc, 1, np.random.SeedSequence(7, spawn_key=(1,)))


def _ratio(r: PathResult) -> np.ndarray:
    return np.asarray(r.series["price.TOK"]) / np.asarray(r.series["fundamental.TOK"])


@pytest.fixture(scope="module")
def base() -> PathResult:
    return _run(_harsh())


def test_reflexivity__bigger_vault_book__lower_price_and_more_bad_debt(base: PathResult) -> None:
    bigger = _run(_harsh(debt=2.0))
    assert _ratio(bigger).min() < _ratio(base).min()
    assert bigger.metrics["bad_debt_usd"] > base.metrics["bad_debt_usd"] > 0


def test_reflexivity__thinner_depth__lower_price_and_more_bad_debt(base: PathResult) -> None:
    thinner = _run(_harsh(depth=0.5))
    assert _ratio(thinner).min() < _ratio(base).min()
    assert thinner.metrics["bad_debt_usd"] > base.metrics["bad_debt_usd"]


def _quiet(**agents: dict[str, Any]) -> Scenario:
    """No borrowing to speak of (one dust-sized vault nobody liquidates), no borrower, treasury or
    arbitrage flows: nothing trades on the external market."""
    quiet: dict[str, dict[str, Any]] = {
        "keepers": {"count": 0},
        "borrowers": {"p_attend": Decimal(0), "p_panic": Decimal(0)},
        "sellers": {"enabled": False},
        "arbitrageurs": {"enabled": False},
    }
    sc = _harsh(**{**quiet, **agents})
    dol = sc.system.block("ai_dollars")[0]
    coll = dol.collaterals[0]
    vaults = coll.vaults.model_copy(update={"count": 1, "debt_usd": Decimal(600)})
    dol = dol.model_copy(update={"collaterals": [coll.model_copy(update={"vaults": vaults})]})
    return sc.model_copy(update={"system": sc.system.model_copy(update={"ai_dollars": [dol]})})


def test_no_borrowing_no_sellers__realised_equals_fundamental() -> None:
    r = _run(_quiet())
    np.testing.assert_array_equal(
        np.asarray(r.series["price.TOK"]), np.asarray(r.series["fundamental.TOK"])
    )


def test_no_borrowing__treasury_sellers_alone__move_the_price() -> None:
    """Canary of the test above: the treasuries' sales alone already push the market down."""
    r = _run(_quiet(sellers={"enabled": True}))
    assert _ratio(r).min() < 0.999 and r.metrics["treasury_sold_usd"] > 0
