"""The USD.AI family in the risk lab: both credit designs side by side on one GPU path, through
the lab's runner; the report's critic table; bad blocks refused with one located message."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from peglab.errors import InvalidInput
from peglab.risk.library import load_scenario
from peglab.sim.families.credit import credit_table
from peglab.sim.family import registered_families
from peglab.sim.runner import run_path
from peglab.sim.scenario import load_scenario_file

CREDIT = ("gpu-rental-collapse", "default-wave", "redemption-run", "tbill-yield-drop",
          "regulatory-freeze")  # fmt: skip

GAIB = """
[[system.gaib]]
index = "collapse"
utilisation_to = "0.55"
deals = 6
"""
USDAI = """
[[system.usdai]]
index = "collapse"
utilisation_to = "0.55"
deals = 6
junior_share = "{junior}"
"""
POOL = """
[[system.pools]]
id = "{sym}-USDC"
coins = ["{sym}", "USDC"]
depth_usd = "4000000"
A = 200
"""
HEAD = """
name = "credit-short"
horizon = "{horizon}"
step = "1d"

[[assets]]
symbol = "USDC"
kind = "stable"
price = "1"
"""


def write(tmp_path: Path, gaib: bool = True, usdai: bool = True, junior: str = "0.2",
          horizon: str = "420d", extra: str = "") -> Path:  # fmt: skip
    text = HEAD.format(horizon=horizon) + extra
    if gaib:
        text += GAIB + POOL.format(sym="AID")
    if usdai:
        text += USDAI.format(junior=junior) + POOL.format(sym="USDai")
    p = tmp_path / "s.toml"
    p.write_text(text)
    return p


def run(path: Path, seed: int = 4) -> dict[str, float]:
    sc = load_scenario_file(path)
    return dict(run_path(sc, 0, np.random.SeedSequence(seed, spawn_key=(0,))).metrics)


def test_library__credit_scenarios__run_both_designs() -> None:
    fams = registered_families()
    assert "usdai" in fams and list(fams).index("gaib") < list(fams).index("usdai")
    for name in CREDIT:
        blocks = load_scenario(name).system.blocks()
        assert {"gaib", "usdai"} <= set(blocks)


def test_run_path__both_designs__same_gpu_path_and_every_metric(tmp_path: Path) -> None:
    m = run(write(tmp_path))
    assert m["gpu_low.AID"] == m["gpu_low.USDai"]  # one GPU economy for both designs
    assert m["usdai_fully_backed.USDai"] == 1 and m["usdai_price_min.USDai"] > 0.99
    assert m["loan_default_rate.USDai"] > 0 and m["susdai_realised_yield.USDai"] > 0
    gap = m["susdai_yield_gap.USDai"]
    assert gap == pytest.approx(0.15 - m["susdai_realised_yield.USDai"])
    # principal is paid in tranche order: the junior tranche loses first
    assert m["loan_loss_junior.USDai"] >= m["loan_loss_senior.USDai"]
    assert run(write(tmp_path)) == m  # same seed, same path


def test_run_path__usdai_added__gaib_path_unchanged(tmp_path: Path) -> None:
    both = run(write(tmp_path))
    alone = run(write(tmp_path, usdai=False))
    gaib = {k: v for k, v in both.items() if k.endswith(".AID")}
    assert gaib == {k: v for k, v in alone.items() if k.endswith(".AID")}


def test_run_path__usdai_alone__runs_and_draws_its_own_gpu_path(tmp_path: Path) -> None:
    m = run(write(tmp_path, gaib=False, junior="0"))
    assert m["loan_loss_junior.USDai"] == 0 and m["usdai_fully_backed"] == 1
    assert "gpu_low.AID" not in m


@pytest.mark.parametrize(
    ("kw", "fragment"),
    [
        ({"junior": "0.95"}, "junior_share above 0.9"),
        ({"horizon": "45d"}, "whole 30-day months"),
        ({"extra": '[[assets]]\nsymbol = "wM"\nkind = "stable"\nprice = "1"\n'}, "not an asset"),
    ],
)
def test_scenario__bad_usdai_block__one_line_refusal(
    tmp_path: Path, kw: dict[str, str], fragment: str
) -> None:
    with pytest.raises(InvalidInput, match=fragment):
        load_scenario_file(write(tmp_path, gaib=False, **kw))  # type: ignore[arg-type]


def test_scenario__no_usdai_pool__refused(tmp_path: Path) -> None:
    p = tmp_path / "s.toml"
    p.write_text(HEAD.format(horizon="60d") + USDAI.format(junior="0"))
    with pytest.raises(InvalidInput, match="pool pairing USDai"):
        load_scenario_file(p)


def test_credit_table__thresholds__highest_trough_of_each_event() -> None:
    fam = registered_families()["usdai"]
    names = ["gpu_low", "susdai_realised_yield", "susdai_yield_gap", "susdai_principal_loss",
             "usdai_price_min", "usdai_fully_backed"]  # fmt: skip
    columns = [f"{n}.USDai" for n in names]
    low = [2.3, 1.9, 1.5, 1.1, 0.9, 0.7]
    y = [0.16, 0.14, 0.10, 0.05, 0.02, -0.01]
    loss = [0, 0, 0, 0, 0.01, 0.05]
    peg = [1.0, 1.0, 1.0, 1.0, 1.0, 0.98]
    data = np.array([[lo, yy, 0.15 - yy, ls, pg, 1.0]
                     for lo, yy, ls, pg in zip(low, y, loss, peg)])  # fmt: skip
    t = credit_table([(fam, ["USDai"])], columns, data)
    assert t is not None and len(t.header) == 9
    first = t.rows[0]
    assert first[2] == "6" and first[3:6] == ("$1.90", "$0.90", "$0.70")
    assert first[6] == "7.5% / 15%"  # median of the six yields
    assert sum(int(r[2]) for r in t.rows[1:]) == 6  # the bands cover every path once
    assert credit_table([(fam, ["USDai"])], columns[:2], data[:, :2]) is None  # columns missing


def test_run_stress__both_designs__report_opens_with_the_critic_table(tmp_path: Path) -> None:
    from peglab.risk.montecarlo import run_stress

    out = tmp_path / "run"
    run_stress(str(write(tmp_path, horizon="120d")), 3, 2, out, workers=1, progress=False,
               n_resamples=50)  # fmt: skip
    page = (out / "report.html").read_text(encoding="utf-8")
    table = page.index("At which GPU price path does each design stop paying its target")
    assert table < page.index("Headline measures")
    assert "Gaib AID/sAID (AID)" in page and "USD.AI USDai/sUSDai (USDai)" in page


def test_sandbox__credit_scenario__snapshot_round_trip_same_state_hash() -> None:
    from peglab.store.world import SandboxWorld, dump_world, load_world

    w = SandboxWorld.create({"kind": "scenario", "name": "gpu-rental-collapse", "seed": 1,
                             "owner": "alice"})  # fmt: skip
    again = load_world(dump_world(w))
    assert again.chain.state_hash() == w.chain.state_hash()
    assert any(isinstance(o, type(w.system.families["usdai"].path.s.router))
               for o in again.targets().values())  # fmt: skip
