"""The waterfall on the engine (item 5 of issue 9): buffer, backstop, debt auctions, shutdown.

The exact runner settles deficits with the engine's own buffer (heal, flog), the project's
backstop fund (cover), governance-token debt auctions with bidders who hold a budget (flop,
dent, deal, tick), and emergency shutdown (End) when the buffer advises it; the metrics read
those amounts. The float model keeps its own waterfall; the cross-check compares them.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from peglab.risk.library import load_scenario
from peglab.sim.runner import float_path, run_path
from peglab.sim.scenario import Scenario

DOLLARS = ("AUSD", "vUSD", "ai16zUSD")


def seq(root: int, i: int) -> np.random.SeedSequence:
    return np.random.SeedSequence(root, spawn_key=(i,))


@pytest.fixture(scope="module")
def failing() -> Scenario:
    return load_scenario("keeper-failure")


@pytest.fixture(scope="module")
def failing_metrics(failing: Scenario) -> dict[str, float]:
    return dict(run_path(failing, 1, seq(3, 1)).metrics)


def test_waterfall__keepers_absent__backstop_used_then_shutdown(
    failing: Scenario, failing_metrics: dict[str, float]
) -> None:
    m = failing_metrics
    for d, dol in zip(DOLLARS, failing.system.block("ai_dollars"), strict=True):
        posted = float(dol.backstop) * float(dol.line_usd) * (1 - float(dol.psm.tin))  # PSM fee
        assert m[f"backstop_used_usd.{d}"] == pytest.approx(posted, rel=1e-6)  # all of it
        assert m[f"shutdown.{d}"] == 1.0 and m[f"shutdown_at_s.{d}"] > 6 * 3600
        # what the backstop did not cover stays, and the waterfall adds up
        assert m[f"bad_debt_final_usd.{d}"] == pytest.approx(
            m[f"bad_debt_usd.{d}"] - m[f"backstop_used_usd.{d}"] - m[f"recap_usd.{d}"]
        )
        assert math.isnan(m[f"redemption_value.{d}"])  # the End's 72 h wait outlasts the run


def test_waterfall__exact_vs_float_model__same_order(
    failing: Scenario, failing_metrics: dict[str, float]
) -> None:
    """Cross-check: the float model's own waterfall against the engine's on the same path."""
    e, f = failing_metrics, float_path(failing, 1, seq(3, 1)).metrics
    assert abs(e["bad_debt_usd"] - f["bad_debt_usd"]) <= 0.15 * f["bad_debt_usd"]
    for d in DOLLARS:
        assert e[f"backstop_used_usd.{d}"] == pytest.approx(f[f"backstop_used_usd.{d}"], rel=0.01)
        assert e[f"shutdown.{d}"] == f[f"shutdown.{d}"] == 1.0


def test_waterfall__keepers_present__debt_auctions_raise_and_mint(failing: Scenario) -> None:
    working = failing.model_copy(
        update={"shocks": [s for s in failing.shocks if s.kind != "keepers"]}
    )
    m = run_path(working, 1, seq(3, 1)).metrics
    raised = [d for d in DOLLARS if m[f"recap_usd.{d}"] > 0]
    assert raised  # some AI dollar was recapitalised by debt auctions
    for d in raised:
        assert m[f"dilution_tokens.{d}"] > 0  # governance tokens minted or committed
        assert m[f"recap_usd.{d}"] % 50_000 == 0  # whole lots of ``sump``


def test_waterfall__no_debt_bidders__auctions_reopen_then_shutdown(failing: Scenario) -> None:
    """Without bidders, debt auctions are re-opened unbid: nothing is raised or minted."""
    agents = failing.agents.model_copy(
        update={"debt_bidders": failing.agents.debt_bidders.model_copy(update={"enabled": False})}
    )
    working = failing.model_copy(
        update={"shocks": [s for s in failing.shocks if s.kind != "keepers"], "agents": agents}
    )
    m = run_path(working, 1, seq(3, 1)).metrics
    assert m["recap_usd"] == 0.0 and m["dilution_tokens"] == 0.0


def test_shutdown__long_horizon__holders_redeem_pro_rata(failing: Scenario) -> None:
    longer = failing.model_copy(update={"horizon": 5 * 86_400})
    m = run_path(longer, 1, seq(3, 1)).metrics  # the runner checks conservation and invariants
    for d in DOLLARS:
        assert m[f"shutdown.{d}"] == 1.0
        assert 0.0 < m[f"redemption_value.{d}"] < 1.5  # collateral per AI dollar, at market


def test_shutdown__governance_off__no_shutdown(failing: Scenario) -> None:
    """Canary: the shutdown comes from the governance rule, not from the run's end."""
    agents = failing.agents.model_copy(
        update={"governance": failing.agents.governance.model_copy(update={"shutdown": False})}
    )
    m = run_path(failing.model_copy(update={"agents": agents}), 1, seq(3, 1)).metrics
    assert m["shutdown"] == 0.0 and m["bad_debt_final_usd"] > 0
