"""Scenario schema: loading, one-line errors, canonical hash, sampling helpers (docs/risk-spec.md §2)."""

from __future__ import annotations

import importlib.util
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from peglab.errors import InvalidInput
from peglab.protocols.cdp.params import CollateralParams
from peglab.risk.library import list_scenarios, load_scenario
from peglab.sim.families.ai_dollar import collateral_params, draw_vaults
from peglab.sim.processes import ou_paths, ou_paths_each, rng_from
from peglab.sim.scenario import (
    load_scenario_file,
    oracle_modes,
    parse_duration,
    scenario_hash,
    shock_factor,
    simulate_prices,
    simulate_prices_each,
)
from peglab.units import RAD, ray, wad

MINIMAL = """
name = "tiny"
horizon = "2h"
step = "10m"

[[assets]]
symbol = "TOK"
price = "2"
d10_usd = "1000000"

[[assets]]
symbol = "USDC"
kind = "stable"
price = "1"

[[prices]]
model = "gbm"
assets = ["TOK"]
vol = 1.2

[[system.ai_dollars]]
symbol = "TUSD"
ecosystem = "tok"
line_usd = "1000000"

[[system.ai_dollars.collaterals]]
ilk = "TOK-A"
asset = "TOK"
mat = "{mat}"
line_usd = "1000000"
[system.ai_dollars.collaterals.vaults]
count = 10
debt_usd = "100000"
"""


def _write(tmp_path: Path, text: str, name: str = "s.toml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def _refusal(path: Path) -> InvalidInput:
    with pytest.raises(InvalidInput) as info:
        load_scenario_file(path)
    assert "\n" not in str(info.value)
    return info.value


def test_load_scenario_file__minimal__decimals_exact_and_durations_parsed(tmp_path: Path) -> None:
    sc = load_scenario_file(_write(tmp_path, MINIMAL.format(mat="1.75")))
    assert sc.n_steps == 12 and sc.step == 600
    c = sc.system.ai_dollars[0].collaterals[0]
    assert c.mat == Decimal("1.75") and sc.prices[0].vol == Decimal("1.2")  # type: ignore[union-attr]
    assert sc.agents.keepers.count == 5  # defaults from docs/risk-spec.md §4


def test_load_scenario_file__bad_mat__one_line_naming_the_field(tmp_path: Path) -> None:
    err = _refusal(_write(tmp_path, MINIMAL.format(mat="0.9")))
    assert err.code == "scenario/invalid"
    assert "system.ai_dollars[0].collaterals[0].mat: must be at least 1 (got '0.9')" in str(err)


def test_load_scenario_file__unknown_key__names_it(tmp_path: Path) -> None:
    text = MINIMAL.format(mat="1.75").replace("vol = 1.2", "vol = 1.2\nvolatility = 3")
    err = _refusal(_write(tmp_path, text))
    assert "prices[0].gbm.volatility: Extra inputs are not permitted" in str(err)


def test_load_scenario_file__bad_duration_and_cross_field__explained(tmp_path: Path) -> None:
    err = _refusal(_write(tmp_path, MINIMAL.format(mat="1.75").replace('"2h"', '"2x"')))
    assert "horizon:" in str(err) and "is not a duration" in str(err)
    err = _refusal(_write(tmp_path, MINIMAL.format(mat="1.75").replace('"2h"', '"25m"')))
    assert "not a multiple of step" in str(err)
    err = _refusal(
        _write(tmp_path, MINIMAL.format(mat="1.75").replace('asset = "TOK"', 'asset = "NOPE"'))
    )
    assert "unknown collateral asset 'NOPE'" in str(err)


def test_load_scenario_file__broken_toml_or_missing_file__scenario_errors(tmp_path: Path) -> None:
    err = _refusal(_write(tmp_path, "name = \n"))
    assert err.code == "scenario/invalid" and "not valid TOML" in str(err)
    with pytest.raises(InvalidInput) as info:
        load_scenario_file(tmp_path / "absent.toml")
    assert info.value.code == "scenario/unreadable"


def test_load_scenario_file__yaml__needs_pyyaml_or_loads(tmp_path: Path) -> None:
    p = _write(tmp_path, "name: tiny\n", "s.yaml")
    with pytest.raises(InvalidInput) as info:
        load_scenario_file(p)
    if importlib.util.find_spec("yaml") is None:
        assert info.value.code == "scenario/yaml-unavailable"
    else:
        assert info.value.code == "scenario/invalid"


def test_scenario_hash__same_content_any_spelling__equal_and_changes_with_content(
    tmp_path: Path,
) -> None:
    a = load_scenario_file(_write(tmp_path, MINIMAL.format(mat="1.75"), "a.toml"))
    b = load_scenario_file(_write(tmp_path, MINIMAL.format(mat="1.750"), "b.toml"))
    c = load_scenario_file(_write(tmp_path, MINIMAL.format(mat="1.8"), "c.toml"))
    assert scenario_hash(a) == scenario_hash(b) != scenario_hash(c)
    assert len(scenario_hash(a)) == 64


def test_load_scenario_file__base__merges_library_partial(tmp_path: Path) -> None:
    text = 'base = "default-system"\nname = "mine"\nhorizon = "1d"\nstep = "1h"\n'
    sc = load_scenario_file(_write(tmp_path, text))
    assert [d.symbol for d in sc.system.ai_dollars] == ["AUSD", "vUSD", "ai16zUSD"]
    err = _refusal(_write(tmp_path, 'base = "no-such-partial"\nname = "x"\n'))
    assert "no library partial named 'no-such-partial'" in str(err)


def test_collateral_params__library_ilk__engine_parameter_type() -> None:
    sc = load_scenario("calm")
    native, derivative = sc.system.ai_dollars[0].collaterals
    p = collateral_params(native, 8_000_000.0)
    assert isinstance(p, CollateralParams)
    assert p.mat_ray == ray("1.75") and p.chop_wad == wad("1.13")
    assert p.hole_rad == 4_000_000 * RAD and p.tip_rad == 20 * RAD
    assert p.step_s == 60 and p.tail_s == 5600 and p.duty_ray == CollateralParams().duty_ray
    assert collateral_params(derivative, 3_000_000.0).mat_ray == ray("1.85")
    # defaults are the engine's, declared once: an ilk that sets nothing is the native preset
    bare = native.model_copy(update={"hole_usd": None})
    assert collateral_params(bare, 1e7).hole_rad == int(0.5 * 1e7 * 1e18) * RAD // 10**18  # 0.5 D10
    assert type(native).model_fields["cusp"].default == CollateralParams().units()["cusp"]


def test_parse_duration__forms__seconds() -> None:
    assert [parse_duration(x) for x in (90, "90s", "5m", "1.5h", "7d", "2w")] == [
        90,
        90,
        300,
        5400,
        604_800,
        1_209_600,
    ]
    for bad in ("1.5s", "-1h", True, "soon"):
        with pytest.raises(ValueError):
            parse_duration(bad)


@pytest.mark.parametrize("name", list_scenarios())
def test_simulate_prices_each__library__rows_equal_one_path_each_bit_for_bit(name: str) -> None:
    """The batch draws each row from its own generator in the one-path order: every row equals
    the one-path draw, and every generator is left where the one-path draw leaves it."""
    sc = load_scenario(name)
    each_rngs = [rng_from(s) for s in (5, 6, 7)]
    each = simulate_prices_each(sc, each_rngs)
    one_rngs = [rng_from(s) for s in (5, 6, 7)]
    one = np.stack([simulate_prices(sc, r) for r in one_rngs])
    assert each.tobytes() == one.tobytes()
    assert [g.random() for g in each_rngs] == [g.random() for g in one_rngs]
    assert simulate_prices_each(sc, []).shape == (0, sc.n_steps + 1, len(sc.assets))


def test_ou_paths_each__depeg__rows_equal_ou_paths_of_each_generator() -> None:
    args = ([1.0, 0.99], 86400.0, [0.02, 0.05], 3600, 500)
    kw = {"depeg_rate": 30.0, "depeg_half_life_s": 2 * 86400}
    each = ou_paths_each(*args, [rng_from(s) for s in (1, 2)], **kw)
    one = np.concatenate([ou_paths(*args, rng_from(s), 1, **kw) for s in (1, 2)])
    assert each.tobytes() == one.tobytes()
    assert (each < 0.9).any()  # a depeg happened, so the uniforms were read


def test_simulate_prices__library__reproducible_with_derivative_and_slash() -> None:
    sc = load_scenario("oracle-failure")
    a = simulate_prices(sc, rng_from(3))
    assert np.array_equal(a, simulate_prices(sc, rng_from(3)))
    assert not np.array_equal(a, simulate_prices(sc, rng_from(4)))
    idx = sc.asset_index
    ratio = a[:, idx["stATH"]] / a[:, idx["ATH"]]
    slash = sc.step_of(16 * 3600)
    assert np.allclose(ratio[:slash], 1.05) and np.allclose(ratio[slash:], 1.05 * 0.9)
    bridge_end = sc.step_of(8 * 3600)
    assert a[bridge_end, idx["ATH"]] / a[sc.step_of(2 * 3600), idx["ATH"]] == pytest.approx(0.7)


def test_simulate_prices__price_shock__overlays_jump(tmp_path: Path) -> None:
    text = (
        MINIMAL.format(mat="1.75")
        + '\n[[shocks]]\nkind = "price"\nat = "1h"\nassets = ["TOK"]\nsize = "-0.5"\n'
    )
    sc = load_scenario_file(_write(tmp_path, text))
    plain = load_scenario_file(_write(tmp_path, MINIMAL.format(mat="1.75"), "p.toml"))
    shocked, base = simulate_prices(sc, rng_from(1)), simulate_prices(plain, rng_from(1))
    assert np.allclose(shocked[:6, 0], base[:6, 0]) and np.allclose(shocked[6:, 0], base[6:, 0] / 2)


def test_shock_factor_and_oracle_modes__windows__cover_their_steps() -> None:
    sc = load_scenario("liquidity-crunch")
    ext = shock_factor(sc, "depth", target="external")
    assert (
        ext[0] == 1.0
        and ext[sc.step_of(3600)] == pytest.approx(0.2)
        and ext[-1] == pytest.approx(0.2)
    )
    assert shock_factor(sc, "depth", target="pools").max() == 1.0
    cap = shock_factor(sc, "keepers", "capital_factor")
    assert cap[-1] == pytest.approx(0.5)
    of = load_scenario("oracle-failure")
    mode, size = oracle_modes(of)
    v = of.asset_index["VIRTUAL"]
    assert mode[of.step_of(6 * 3600), v] == 3 and size[of.step_of(6 * 3600), v] == 0.5
    assert mode[of.step_of(7 * 3600), v] == 0


def test_draw_vaults__population__sums_to_debt_above_mat() -> None:
    c = load_scenario("calm").system.ai_dollars[0].collaterals[0]
    debt, ink, target = draw_vaults(c, 0.045, rng_from(1))
    assert len(debt) == 200 and debt.sum() == pytest.approx(4_000_000)
    assert np.all(target >= 1.75) and np.allclose(ink * 0.045 / debt, target)


def test_simulate_prices__vol_shock_after_bridge__scales_free_steps() -> None:
    sc = load_scenario("flash-crash")
    calm_sc = sc.model_copy(update={"shocks": [s for s in sc.shocks if s.kind != "vol"]})
    a = simulate_prices(sc, rng_from(5))
    b = simulate_prices(calm_sc, rng_from(5))
    i = sc.asset_index["ATH"]
    w = slice(sc.step_of(3 * 3600) + 1, sc.step_of(9 * 3600))
    ra, rb = np.diff(np.log(a[:, i]))[w], np.diff(np.log(b[:, i]))[w]
    assert np.allclose(a[: sc.step_of(3 * 3600) + 1, i], b[: sc.step_of(3 * 3600) + 1, i])
    assert ra.std() / rb.std() == pytest.approx(2.5, rel=0.05)


def test_calm__compensated_jumps__no_expected_drift() -> None:
    # stated before running: over 20,000 paths of calm's AI-token block (one week, hourly, jumps
    # 12/yr N(-0.12, 0.08^2), 60% sector-wide), |mean(S_T / S_0) - 1| < 0.006 for every token
    # (about 4 standard errors of a 0.18 std); uncompensated it was about -2.5% a week
    sc = load_scenario("calm")
    blk = sc.prices[0]
    assert blk.model == "gbm" and blk.compensate_jumps and float(blk.jump_common) == 0.6
    from peglab.sim.processes import gbm_paths

    s0 = [float(sc.asset(a).price) for a in blk.assets]
    p = gbm_paths(s0, blk.diffusion(), sc.step, sc.n_steps, rng_from(17), n_paths=20_000)
    ratio = p[:, -1, :] / p[:, 0, :]
    assert np.all(np.abs(ratio.mean(axis=0) - 1.0) < 0.006)


def test_simulate_prices__crash_block__sizes_and_times_vary_per_path() -> None:
    sc = load_scenario("ai-token-crash")
    blk = sc.prices[0]
    assert blk.model == "crash" and float(blk.drawdown) == 0.8 and blk.duration == 7 * 86400
    v = sc.asset_index["VIRTUAL"]
    lows = [simulate_prices(sc, rng_from(i))[:, v].min() / 1.5 for i in range(12)]
    assert 0.05 < float(np.median(lows)) < 0.45 and np.std(np.log(lows)) > 0.15
    bad = sc.model_dump(mode="json")
    bad["prices"][0]["start"] = "9d"
    with pytest.raises(ValueError, match="crash starts after the horizon"):
        type(sc).model_validate(bad)
