"""The yield-vault family in the risk lab: the rate-spike and vault-run library scenarios run
through the lab's runner, with loopers, the AI dollar lending against the shares and its keeper;
bad blocks are refused with one located message."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from peglab.errors import InvalidInput
from peglab.risk.library import list_scenarios, load_scenario
from peglab.sim.families.yield_vault import YieldVaultBlock, to_params
from peglab.sim.family import registered_families
from peglab.sim.runner import run_path
from peglab.sim.scenario import load_scenario_file

SHORT = """
name = "yield-short"
horizon = "{horizon}"
step = "{step}"

[[system.yield_vaults]]
capital_usd = "30000000"
[system.yield_vaults.loopers]
count = 4
target_leverage = "{leverage}"
{shock}

[[assets]]
symbol = "USDC"
kind = "stable"
price = "1"

[[system.pools]]
id = "yUSD-USDC"
coins = ["{coin}", "USDC"]
depth_usd = "20000000"
A = 200
"""

SPIKE = '[system.yield_vaults.rate_spike]\nat = "14d"\nduration = "7d"\nfee_apr = "0.3"'
EXPLOIT = '[system.yield_vaults.exploit]\nat = "14d"\nfraction = "0.07"'


def write(tmp_path: Path, *, horizon: str = "28d", step: str = "1d", leverage: str = "5",
          shock: str = SPIKE, coin: str = "yUSD") -> Path:  # fmt: skip
    p = tmp_path / "s.toml"
    p.write_text(
        SHORT.format(horizon=horizon, step=step, leverage=leverage, shock=shock, coin=coin)
    )
    return p


def test_library__yield_scenarios__listed_loadable_and_registered() -> None:
    assert {"rate-spike", "vault-run"} <= set(list_scenarios())
    assert "yield_vaults" in registered_families()
    spike = load_scenario("rate-spike").system.block("yield_vaults")[0]
    assert spike.rate_spike is not None and spike.rate_spike.duration == 14 * 86400
    run = load_scenario("vault-run").system.block("yield_vaults")[0]
    assert run.run is not None and run.exploit is not None and run.markets.terms == 2
    assert to_params(run).loop.target_leverage == 8.0


def test_block__defaults__every_threshold_documented_in_the_params() -> None:
    p = to_params(YieldVaultBlock())
    assert p.loop.nav_drop == 0.01 and p.loop.health_buffer == 0.03 and p.keeper_margin == 0.02
    assert p.mat == "1.08" and p.fee_apr == "0.02" and p.spike_day is None


def test_run_path__rate_spike__loopers_unwind_and_metrics_through_the_runner(
    tmp_path: Path,
) -> None:
    sc = load_scenario_file(write(tmp_path))
    r = run_path(sc, 0, np.random.SeedSequence(3, spawn_key=(0,)))
    m = r.metrics
    assert m["loopers_unwound.alUSD"] == 1.0  # a 30% fee beats the vault's yield
    assert 3.5 < m["loop_leverage_max.alUSD"] <= 5.05  # levering toward 5x, never past it
    assert m["dollar_bad_debt.alUSD"] == 0.0 and m["loopers_liquidated.alUSD"] == 0.0
    assert 0.95 < m["dollar_price_min.alUSD"] <= 1.0
    assert m["vault_realised_apy.alUSD"] > 0 and m["vault_nav_drawdown.alUSD"] < 1e-3
    assert m["dollar_bad_debt"] == m["dollar_bad_debt.alUSD"]
    again = run_path(sc, 0, np.random.SeedSequence(3, spawn_key=(0,)))
    assert again.metrics == m  # same seed, same path


def test_run_path__exploit_at_high_leverage__liquidations_and_a_nav_drawdown(
    tmp_path: Path,
) -> None:
    sc = load_scenario_file(write(tmp_path, leverage="8", shock=EXPLOIT))
    m = run_path(sc, 0, np.random.SeedSequence(3, spawn_key=(0,))).metrics
    assert m["vault_nav_drawdown.alUSD"] > 0.06
    assert m["loopers_liquidated.alUSD"] > 0 and m["looper_return.alUSD"] < -0.2
    assert m["dollar_bad_debt.alUSD"] >= 0.0


@pytest.mark.parametrize(
    ("kw", "fragment"),
    [
        ({"step": "1h", "horizon": "28d"}, "step must be 1d"),
        ({"coin": "AUSDX"}, "needs a pool pairing yUSD"),
        ({"horizon": "10d"}, "within the horizon"),
        ({"leverage": "0.5"}, "target_leverage: must be at least 1"),
        ({"leverage": "60"}, "target_leverage"),
    ],
)
def test_scenario__bad_yield_block__one_line_refusal(
    tmp_path: Path, kw: dict[str, str], fragment: str
) -> None:
    with pytest.raises(InvalidInput, match=fragment):
        load_scenario_file(write(tmp_path, **kw))
