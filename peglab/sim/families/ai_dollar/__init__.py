"""The AI-dollar family (docs/cdp-spec.md): its scenario block, exact run, vectorised model, metrics.

``[[system.ai_dollars]]`` blocks describe Maitrix-style AI dollars (collateral types with their
vault populations, buffers, a PSM); :data:`FAMILY` is the family's adapter
(``sim.family.Family``), registered on import.
"""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from pydantic import Field

from ...family import FamilyMetrics, VectorBatch, VectorResult, register_family
from ...scenario import Scenario
from ...scenario.fields import unique
from ...world import World
from .metrics import METRICS, SERIES, AiDollarOutcome, measure
from .run import AiDollarRun
from .schema import AiDollar, Collateral, Psm, VaultPopulation, collateral_params, draw_vaults
from .vector_model import vector_outcomes

__all__ = [
    "FAMILY",
    "AiDollar",
    "AiDollarFamily",
    "Collateral",
    "Psm",
    "VaultPopulation",
    "collateral_params",
    "draw_vaults",
]


class AiDollarFamily:
    """Adapter of the AI-dollar family (see ``sim.family`` for the protocol)."""

    key = "ai_dollars"
    label = "AI dollar"
    block_type: Any = Annotated[list[AiDollar], Field(min_length=1)]
    metrics = METRICS
    series = SERIES

    def check(self, block: list[AiDollar], scenario: Scenario) -> set[str]:
        known = {a.symbol for a in scenario.assets}
        dollars = [d.symbol for d in block]
        unique(dollars, "AI dollar symbol")
        ilks: list[str] = []
        for d in block:
            for c in d.collaterals:
                ilks.append(c.ilk)
                if c.asset not in known:
                    raise ValueError(f"{d.symbol}/{c.ilk}: unknown collateral asset {c.asset!r}")
            if d.psm is not None and d.psm.gem not in known:
                raise ValueError(f"{d.symbol}: unknown PSM gem {d.psm.gem!r}")
        unique(ilks, "ilk")
        return set(dollars)

    def instances(self, block: list[AiDollar]) -> list[str]:
        return [d.symbol for d in block]

    def build(self, block: list[AiDollar], world: World, rng: np.random.Generator) -> AiDollarRun:
        return AiDollarRun(block, world, rng)

    def vector_outcomes(
        self, block: list[AiDollar], scenario: Scenario, batch: VectorBatch
    ) -> VectorResult:
        return vector_outcomes(block, scenario, batch)

    def measure(
        self, block: list[AiDollar], scenario: Scenario, outcome: AiDollarOutcome
    ) -> FamilyMetrics:
        return measure(block, scenario, outcome)


FAMILY = register_family(AiDollarFamily())
