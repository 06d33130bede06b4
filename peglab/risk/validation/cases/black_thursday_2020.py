"""V1: MakerDAO Black Thursday, 12-13 March 2020 (docs/validation.md §7). Nothing fitted.

The setup is a scenario file beside this module (``black_thursday_2020.toml``), run on the exact
engine (``sim.runner.run_path``) with the AI-dollar family's own agents:

* **English** (the day's setup): the legacy Flipper (10-minute bids, 6-hour auctions), the OSM's
  one-hour delay, gas x6 from the first fall to the recovery, and keepers who bite but place no
  bids while gas is x6 (their capital shocked to zero); an opportunist places the minimum bid on
  auctions nobody else bids on (``sim.agents.english``).
* **Clipper** (the counterfactual): the same file with Dutch auctions (the engine's Clipper at its
  default curve) and keepers who keep their capital through the spike, taking at the second the curve crosses
  what the lot fetches on the external market (``sim.agents.keepers``) and buying the DAI they
  owe in sizes the pool's marginal price allows (``sim.agents.dealer``).

Both variants of a draw use the same seed, so they see the same ETH path (prices are drawn first)
and the same vault book (drawn next). The deficit is the buffer's uncovered debt at the horizon
before any MKR debt auction (the family's ``bad_debt_usd``); the zero-bid share is the number of
English auctions dealt for less than a thousandth of their tab over the number of liquidations
(barks), as the published 36% counts "all liquidations".
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

from ....sim.runner import run_path
from ....sim.scenario import Scenario, parse_scenario
from ..core import Value

__all__ = ["NAME", "SYMBOL", "run", "scenario"]

NAME = "black-thursday-2020-03"
SYMBOL = "DAI"
_FILE = "black_thursday_2020.toml"


@cache
def _data() -> dict[str, Any]:
    text = resources.files(__package__).joinpath(_FILE).read_text(encoding="utf-8")
    return tomllib.loads(text)


def scenario(variant: str = "english", vaults: int | None = None) -> Scenario:
    """The case's scenario: ``"english"`` as in the file, or ``"clipper"`` (Dutch auctions and
    keepers who do not drop out). ``vaults`` overrides the book's vault count (same total debt)."""
    data = copy.deepcopy(_data())
    coll = data["system"]["ai_dollars"][0]["collaterals"][0]
    if variant == "clipper":
        coll["auction"] = "dutch"
        coll.pop("tau")  # the Clipper's own defaults (docs/cdp.md)
        data["shocks"] = [sh for sh in data["shocks"] if sh["kind"] != "keepers"]
        data["name"] = f"{NAME}-clipper"
    elif variant != "english":
        raise ValueError(f"unknown variant {variant!r}")
    if vaults is not None:
        coll["vaults"]["count"] = vaults
    return parse_scenario(data, source=f"{_FILE} ({variant})")


def _metrics(sc: Scenario, seed: np.random.SeedSequence) -> dict[str, float]:
    m = run_path(sc, 0, seed).metrics
    return {
        "deficit": m[f"bad_debt_usd.{SYMBOL}"],
        "zero": m[f"zero_bids.{SYMBOL}"],
        "liquidations": m[f"liquidations.{SYMBOL}"],
        "peg_max": m[f"peg_max.{SYMBOL}"],
        "peg_min": m[f"peg_min.{SYMBOL}"],
        "liquidated_usd": m[f"liquidated_usd.{SYMBOL}"],
    }


def run(draw: int, seed: np.random.SeedSequence) -> Mapping[str, Value]:
    """One noise draw of the ETH path: both auction designs on it."""
    eng = _metrics(scenario("english"), seed)
    clip = _metrics(scenario("clipper"), seed)
    n = eng["liquidations"]
    cut = 1.0 - clip["deficit"] / eng["deficit"] if eng["deficit"] > 0 else 0.0
    return {
        "zero_bid_share": eng["zero"] / n if n else 0.0,
        "deficit_musd": eng["deficit"] / 1e6,
        "dai_above_peg": eng["peg_max"],
        "dai_peg_max_range": eng["peg_max"],
        "liquidations": n,
        "liquidated_musd": eng["liquidated_usd"] / 1e6,
        "clipper_deficit_cut": cut,
        "clipper_deficit_musd": clip["deficit"] / 1e6,
        "clipper_peg_max": clip["peg_max"],
    }
