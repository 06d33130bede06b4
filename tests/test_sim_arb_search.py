"""The arbitrageur's search precision as a scenario parameter (``agents.arbitrageurs.search_steps``):
refused when bad, read by the exact and the vectorised arbitrageur, swept by the sensitivity check."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from support.market import small_crash, started

from peglab.cli import main
from peglab.errors import InvalidInput
from peglab.risk.params import apply_params, get_param
from peglab.risk.sensitivity import chosen_thresholds
from peglab.sim.agents.arbitrage import Arbitrageur
from peglab.sim.family import PHASES
from peglab.sim.runner import vector_chunk
from peglab.sim.scenario import Scenario, load_scenario_file

SMALL = Path(__file__).parent / "scenarios" / "small-crash.toml"
PARAM = "agents.arbitrageurs.search_steps"


@pytest.fixture(scope="module")
def small() -> Scenario:
    return load_scenario_file(SMALL)


def test_search_steps__default__sixteen_and_valid_values_accepted(small: Scenario) -> None:
    assert small.agents.arbitrageurs.search_steps == 16
    assert get_param(small, PARAM) == "16"
    for v in ("1", "14", "60"):
        assert apply_params(small, {PARAM: v}).agents.arbitrageurs.search_steps == int(v)


@pytest.mark.parametrize("bad", ["0", "-3", "61", "8.5", "many", True])
def test_search_steps__bad_value__refused_naming_the_field(small: Scenario, bad: object) -> None:
    before = small.model_dump(mode="json")
    with pytest.raises(InvalidInput) as info:
        apply_params(small, {PARAM: bad})  # type: ignore[dict-item]
    assert info.value.code == "scenario/invalid"
    assert "agents.arbitrageurs.search_steps" in str(info.value)
    assert "\n" not in str(info.value)
    assert small.model_dump(mode="json") == before  # the scenario is unchanged


def test_search_steps__bad_in_a_scenario_file__refused(tmp_path: Path) -> None:
    f = tmp_path / "s.toml"
    f.write_text(SMALL.read_text() + "\n[agents.arbitrageurs]\nsearch_steps = true\n")
    with pytest.raises(InvalidInput) as info:
        load_scenario_file(f)
    assert info.value.code == "scenario/invalid" and "search_steps" in str(info.value)
    f.write_text(SMALL.read_text() + "\n[agents.arbitrageurs]\nsearch_steps = 12\n")
    assert load_scenario_file(f).agents.arbitrageurs.search_steps == 12


def test_cli_stress__bad_search_steps__one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "s.toml"
    f.write_text(SMALL.read_text() + "\n[agents.arbitrageurs]\nsearch_steps = 0\n")
    rc = main(["stress", str(f), "--paths", "2", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("peglab: error: scenario/invalid:") and err.count("\n") == 1
    assert "search_steps" in err and not (tmp_path / "out").exists()


def _mispriced(steps: int) -> tuple[Arbitrageur, tuple[object, ...], int, int]:
    """An arbitrageur reading ``search_steps = steps`` after 6 steps of the small crash with no
    arbitrage (the token's pool stranded above the market), its best screened cycle, cash and
    first-order guess."""
    sc = small_crash(arbitrageurs={"enabled": False, "search_steps": steps})
    world, run = started(sc)
    run.step("record", 0)
    for k in range(1, 7):
        world.chain.warp(run.s.t0 + k * world.sc.step)
        world.venue.begin_step(k)
        world.publish_prices(k)
        for phase in PHASES:
            run.step(phase, k)
    arb = Arbitrageur(run.s)
    unit = arb.unit["USDC"]
    margins = {leg: arb.margin(leg) for leg in arb.legs}
    best = max(arb.cycles, key=lambda c: arb.estimate(c, margins)[1])
    m, _est, at = arb.estimate(best, margins)
    assert m > 1.01  # the crash left a gap worth sizing
    return arb, best, 5_000_000 * unit, int(at * unit)


def test_size__search_steps__read_and_finer_gains_at_least_as_much() -> None:
    """The exact arbitrageur's trade size follows ``search_steps``: 1, 10 and 30 steps on the same
    state size the same cycle differently (equal sizes would mean the parameter is ignored), and
    each finer search gains at least what a coarser one does (its evaluations extend the
    coarser's, and it keeps the best point)."""
    sized = []
    for steps in (1, 10, 30):
        arb, cyc, cash, guess = _mispriced(steps)
        assert arb.steps == steps
        sized.append(arb.size(cyc, cash, guess))  # type: ignore[arg-type]
    (x1, g1), (x10, g10), (x30, g30) = sized
    assert len({x1, x10, x30}) == 3
    assert 0 < g1 <= g10 <= g30
    assert abs(x30 - x10) < abs(x30 - x1)  # converging on the optimum


def test_vector_arb__search_steps__read(small: Scenario) -> None:
    """The vectorised arbitrageur searches as the exact one, with the same steps."""
    seeds = [np.random.SeedSequence(3, spawn_key=(i,)) for i in range(2)]

    def metrics(sc: Scenario) -> list[str]:  # NaN-safe, exact comparison
        return [repr(sorted(r.metrics.items())) for r in vector_chunk(sc, seeds)]

    base = metrics(small)
    assert metrics(apply_params(small, {PARAM: "16"})) == base  # the default, written or not
    # the model reads it (canary: were it ignored, these would be equal)
    assert metrics(apply_params(small, {PARAM: "1"})) != base


def test_sensitivity__search_steps__registered_with_the_studys_range(small: Scenario) -> None:
    rows = {t.path: t for t in chosen_thresholds()}
    t = rows[PARAM]
    assert (t.low, t.high) == ("10", "24") and t.source == "registry"
    for v in (t.low, t.high):  # both sides are valid scenarios
        assert apply_params(small, {PARAM: v}).agents.arbitrageurs.search_steps == int(v)
