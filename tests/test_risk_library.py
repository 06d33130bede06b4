"""The built-in scenario library: every file validates; unknown names list the valid ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from peglab.errors import InvalidInput
from peglab.risk.library import LIBRARY_DIR, list_scenarios, load_scenario
from peglab.sim.scenario import CrashPrices, scenario_hash

REQUIRED = {
    "ai-token-crash",
    "flash-crash",
    "liquidity-crunch",
    "oracle-failure",
    "contagion",
    "keeper-failure",
    "calm",
}


def test_list_scenarios__library__has_required_and_no_partials() -> None:
    names = list_scenarios()
    assert set(names) >= REQUIRED
    assert not any(n.startswith("_") for n in names)


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_load_scenario__each_builtin__validates_with_three_ai_dollars(name: str) -> None:
    sc = load_scenario(name)
    assert sc.name == name
    assert [d.symbol for d in sc.system.ai_dollars] == ["AUSD", "vUSD", "ai16zUSD"]
    assert sc.sources, "every scenario cites its calibration sources"
    assert scenario_hash(sc) == scenario_hash(load_scenario(LIBRARY_DIR / f"{name}.toml"))


def test_load_scenario__ai_token_crash__minus_80_percent_in_7_days() -> None:
    sc = load_scenario("ai-token-crash")
    bridge = next(b for b in sc.prices if isinstance(b, CrashPrices))  # the median crash
    assert float(bridge.drawdown) == 0.8 and bridge.duration == 7 * 86400
    assert set(bridge.assets) == {"ATH", "VIRTUAL", "AI16Z"} and bridge.regime == "stressed"


def test_load_scenario__unknown_name__lists_valid_names() -> None:
    with pytest.raises(InvalidInput) as info:
        load_scenario("black-swan")
    assert info.value.code == "scenario/unknown"
    for name in REQUIRED:
        assert name in str(info.value)
    with pytest.raises(InvalidInput) as info:
        load_scenario("missing/file.toml")
    assert info.value.code == "scenario/unknown"


def test_load_scenario__path__loads_a_copy(tmp_path: Path) -> None:
    text = (LIBRARY_DIR / "flash-crash.toml").read_text()
    copy = tmp_path / "mine.toml"
    copy.write_text(
        text.replace('base = "default-system"', f'base = "{LIBRARY_DIR}/_default-system.toml"')
    )
    assert scenario_hash(load_scenario(copy)) == scenario_hash(load_scenario("flash-crash"))


def test_ausd_year__library__calm_year_cut_to_one_ai_dollar() -> None:
    sc, year = load_scenario("ausd-year"), load_scenario("calm-year")
    assert sc.step == 3600 and sc.n_steps == 8760 and not sc.shocks
    assert sc.prices == year.prices and sc.assets == year.assets  # the same price paths
    (ausd,) = sc.system.ai_dollars
    full = next(d for d in year.system.ai_dollars if d.symbol == "AUSD")
    assert ausd.psm == full.psm and ausd.collaterals == full.collaterals[:1]  # ATH-A, 200 vaults
    assert [p.id for p in sc.system.pools] == ["AUSD-USDC", "ATH-AUSD"]
