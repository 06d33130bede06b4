"""The USD.AI GPU-credit family of the lab: ``[[system.usdai]]`` runs USDai, sUSDai and GPU loans.

One block (one USDai per scenario) maps onto ``sim.gpu_credit.CreditStress``; the path is
``sim.gpu_credit_usdai.UsdaiPath`` built on the lab world's chain, its USDai pool being the
scenario's ``[[system.pools]]`` entry pairing USDai with the stablecoin (docs/usdai.md §9). With a
``[[system.gaib]]`` block of the same GPU parameters in the scenario, both designs run side by
side on the same GPU path (``sim.families.credit``). Its own measures: the loss of each loan
tranche (sUSDai senior, the optional outside junior tranche) and the loan default rate.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

import numpy as np

from ...units import BPS
from ..family import MetricSpec, register_family
from ..gpu_credit import CreditStress, GpuDrivers
from ..gpu_credit_usdai import UsdaiPath
from ..scenario import Scenario
from ..scenario.fields import Prob
from ..world import World
from .credit import AGREE_LOSS, AGREE_SHARE, CreditBlock, CreditFamily
from .usdai_vector import run_usdai_batch

__all__ = ["FAMILY", "UsdaiBlock", "UsdaiFamily"]


class UsdaiBlock(CreditBlock):
    """One USD.AI system (defaults: docs/usdai.md §9); the advertised sUSDai yield is the low end
    of 15-25%. ``junior_share``: the part of each loan an outside junior lender funds."""

    symbol: Literal["USDai"] = "USDai"
    junior_share: Prob = Decimal(0)
    target_apr: Prob = Decimal("0.15")


class UsdaiFamily(CreditFamily):
    key = "usdai"
    label = "USD.AI USDai/sUSDai"
    symbol = "USDai"
    vault = "susdai"
    exit_price = "sUSDai redemption price"
    block_type: Any = list[UsdaiBlock]
    reserved = ("sUSDai", "wM")
    extra = (
        ("loss_senior", MetricSpec("loan_loss_senior", "fraction",
            "principal of the senior (sUSDai) tranche lost in liquidations / its principal",
            loss=True, table=True, worst="max", agree=AGREE_LOSS)),
        ("loss_junior", MetricSpec("loan_loss_junior", "fraction",
            "principal of the junior tranche lost in liquidations / its principal (0 without one)",
            loss=True, table=True, worst="max", agree=AGREE_LOSS)),
        ("default_rate", MetricSpec("loan_default_rate", "fraction", "loans liquidated",
            table=True, worst="max", agree=AGREE_SHARE)),
    )  # fmt: skip

    def check(self, block: list[UsdaiBlock], scenario: Scenario) -> set[str]:
        if any(b.junior_share > Decimal("0.9") for b in block):
            raise ValueError("junior_share above 0.9: sUSDai would fund under 10% of each loan")
        return super().check(block, scenario)

    def run_batch(
        self, b: UsdaiBlock, sc: CreditStress, rngs: tuple[np.random.Generator, ...], pool: Any
    ) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        return run_usdai_batch(sc, rngs, pool, int(b.junior_share * BPS))

    def make_path(
        self, b: UsdaiBlock, sc: CreditStress, drv: GpuDrivers, world: World
    ) -> UsdaiPath:
        return UsdaiPath(sc, drv, world.chain, world.stable, int(b.junior_share * BPS))


FAMILY = register_family(UsdaiFamily())
