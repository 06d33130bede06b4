"""The Gaib GPU-credit family of the lab: ``[[system.gaib]]`` runs AID, sAID and the deal book.

One block (one AID per scenario) maps onto ``sim.gpu_credit.CreditStress``; the path is
``sim.gpu_credit.GaibPath`` built on the lab world's chain and stablecoin, its AID pool being the
scenario's ``[[system.pools]]`` entry that pairs AID with the stablecoin. Steps are one day: the
agents of one day run in the ``agents`` phase (docs/gaib.md §5); ``record`` stores the sAID
withdrawal NAV and the AID pool price. What it shares with the USD.AI family (block fields, the
GPU economy of the path, the run, the common measures, the critic's table) is in
``sim.families.credit``. Scenario files: ``peglab/risk/library/gpu-rental-collapse.toml``,
``default-wave``, ``redemption-run``, ``tbill-yield-drop``, ``regulatory-freeze``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

import numpy as np

from ..family import MetricSpec, register_family
from ..gpu_credit import CreditStress, GaibPath, GpuDrivers
from ..scenario import Scenario
from ..scenario.fields import Prob
from ..world import World
from .credit import AGREE_LOSS, AGREE_SHARE, CreditBlock, CreditFamily, CreditOutcome, to_stress
from .gaib_vector import run_gaib_batch

__all__ = ["FAMILY", "GaibBlock", "GaibFamily", "GaibFamilyOutcome"]

GaibFamilyOutcome = CreditOutcome


class GaibBlock(CreditBlock):
    """One Gaib system (defaults: docs/gaib.md §5); the advertised sAID yield is ~40%."""

    symbol: Literal["AID"] = "AID"
    deployed: Prob = Decimal("0.7")
    target_apr: Prob = Decimal("0.40")


class GaibFamily(CreditFamily):
    key = "gaib"
    label = "Gaib AID/sAID"
    symbol = "AID"
    vault = "said"
    exit_price = "sAID withdrawal NAV"
    block_type: Any = list[GaibBlock]
    reserved = ("sAID",)
    extra = (
        ("loss_fund", MetricSpec("deal_fund_loss", "fraction",
            "losses and write-downs borne by the fund / deployed capital", loss=True, table=True,
            worst="max", agree=AGREE_LOSS)),
        ("loss_first_reserve", MetricSpec("deal_reserve_used", "fraction",
            "cash reserves drawn (first loss) / deployed capital", agree=AGREE_LOSS)),
        ("loss_second_oc", MetricSpec("deal_oc_used", "fraction",
            "collateral proceeds used (second loss) / deployed capital", agree=AGREE_LOSS)),
        ("loss_max_portfolio", MetricSpec("deal_worst_portfolio_loss", "fraction",
            "largest realised loss of one segregated portfolio / its principal", agree=AGREE_LOSS)),
        ("default_rate", MetricSpec("deal_default_rate", "fraction", "deals that defaulted",
            table=True, worst="max", agree=AGREE_SHARE)),
        ("unfilled_after_30d", MetricSpec("said_unfilled_30d", "fraction",
            "share of requested shares still pending 30 days after the request",
            agree=AGREE_SHARE)),
        ("exit_haircut_vs_stayers", MetricSpec("said_exit_haircut", "fraction",
            "1 - exit NAV / stayers' NAV a month later (share-weighted)", agree=(0.0005, 0.05))),
    )  # fmt: skip

    def stress(self, b: GaibBlock, sc: Scenario) -> CreditStress:
        return to_stress(b, sc, int(b.deployed * 10_000))

    def run_batch(
        self, b: GaibBlock, sc: CreditStress, rngs: tuple[np.random.Generator, ...], pool: Any
    ) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        return run_gaib_batch(sc, rngs, pool)

    def make_path(self, b: GaibBlock, sc: CreditStress, drv: GpuDrivers, world: World) -> GaibPath:
        return GaibPath(sc, drv, world.chain, world.stable)


FAMILY = register_family(GaibFamily())
