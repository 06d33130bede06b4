"""A tiny but real protocol family for tests: a token that holders sell into its pool.

``[[system.sell_tokens]]`` blocks each issue a token (18 decimals) to ``holders``; the scenario's
shared ``[[system.pools]]`` pairs it with the reference stablecoin. Each step, while the token
trades below ``trigger``, holders sell ``sell_rate`` of what they hold (per hour) into the pool,
an exact StableSwap trade on the engine. Metrics: lowest price, amount sold, and holders' loss
against par. It exists to prove that a new family plugs into the runner, the Monte Carlo driver,
the report and the command line without changing any of them (docs/risk-lab.md "Families").
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np

from peglab.errors import PeglabError
from peglab.sim.family import FamilyMetrics, MetricSpec, SeriesSpec, register_family
from peglab.sim.results import report_grid
from peglab.sim.scenario import Scenario
from peglab.sim.scenario.fields import Model, PosDec, Prob, Symbol, unique
from peglab.sim.world import HOLDERS, World

WAD = 10**18


class SellToken(Model):
    symbol: Symbol
    supply_usd: PosDec
    trigger: PosDec = Decimal("1.01")
    sell_rate: Prob = Decimal("0.05")


@dataclass(frozen=True)
class TokenOutcome:
    symbol: str
    sold: float
    received_usd: float
    price: np.ndarray


class _Run:
    def __init__(self, block: list[SellToken], world: World) -> None:
        self.block, self.w = block, world
        for t in block:
            world.chain.ledger.create_token(t.symbol, 18)
            world.chain.ledger.mint(t.symbol, HOLDERS, int(t.supply_usd) * WAD)
            world.issued.add(t.symbol)
        n = world.sc.n_steps
        self.price = {t.symbol: np.ones(n + 1) for t in block}
        self.sold = dict.fromkeys(self.price, 0.0)
        self.received = dict.fromkeys(self.price, 0.0)
        self.pool: dict[str, Any] = {}

    def start(self) -> None:
        for p in self.w.sc.system.pools:
            for t in self.block:
                if t.symbol in p.coins and p.id in self.w.pools:
                    self.pool.setdefault(t.symbol, self.w.pools[p.id])

    def _price(self, sym: str) -> float:
        pool = self.pool[sym]
        out = pool.quote_exact_in(sym, WAD, self.w.stable)
        return float(out) / 10**self.w.stable_decimals

    def step(self, phase: str, k: int) -> None:
        ledger = self.w.chain.ledger
        for t in self.block:
            if t.symbol not in self.pool:
                continue
            if phase == "market" and self._price(t.symbol) < float(t.trigger):
                rate = min(1.0, float(t.sell_rate) * self.w.sc.step / 3600.0)
                amount = int(ledger.balance_of(t.symbol, HOLDERS) * rate)
                before = ledger.balance_of(self.w.stable, HOLDERS) if self.w.stable else 0
                try:
                    self.pool[t.symbol].swap_exact_in(t.symbol, amount, 0, sender=HOLDERS)
                except PeglabError:
                    continue
                after = ledger.balance_of(self.w.stable, HOLDERS) if self.w.stable else 0
                self.sold[t.symbol] += amount / WAD
                self.received[t.symbol] += (after - before) / 10**self.w.stable_decimals
            elif phase == "record":
                self.price[t.symbol][k] = self._price(t.symbol)

    def outcome(self) -> list[TokenOutcome]:
        return [
            TokenOutcome(
                t.symbol, self.sold[t.symbol], self.received[t.symbol], self.price[t.symbol]
            )
            for t in self.block
        ]


class SellTokenFamily:
    key = "sell_tokens"
    label = "sell token"
    block_type: Any = list[SellToken]
    metrics = (
        MetricSpec("token_price_min", "USD", "lowest pool price", headline=True, total="min",
                   table=True, worst="min"),
        MetricSpec("token_sold", "tokens", "tokens holders sold", total="sum", table=True),
        MetricSpec("holder_loss_usd", "USD", "par value sold minus USD received", loss=True,
                   headline=True, total="sum", hist=True),
    )  # fmt: skip
    series = (SeriesSpec("token_price", "USD", "pool price: fan chart", guides=(1.0,)),)

    def check(self, block: list[SellToken], scenario: Scenario) -> set[str]:
        unique([t.symbol for t in block], "sell token")
        return {t.symbol for t in block}

    def instances(self, block: list[SellToken]) -> list[str]:
        return [t.symbol for t in block]

    def build(self, block: list[SellToken], world: World, rng: np.random.Generator) -> _Run:
        return _Run(block, world)

    def vector_outcomes(self, block: Any, scenario: Scenario, batch: Any) -> None:
        return None

    def measure(
        self, block: list[SellToken], scenario: Scenario, outcome: list[TokenOutcome]
    ) -> FamilyMetrics:
        grid = report_grid(scenario.n_steps)
        return FamilyMetrics(
            per_instance={
                o.symbol: {
                    "token_price_min": float(o.price.min()),
                    "token_sold": o.sold,
                    "holder_loss_usd": o.sold - o.received_usd,
                }
                for o in outcome
            },
            series={o.symbol: {"token_price": o.price[grid]} for o in outcome},
        )


FAMILY = register_family(SellTokenFamily())

SCENARIO = """
name = "sell-off"
description = "Test family: holders sell a token into its pool below 1.01."
horizon = "6h"
step = "30m"

[[assets]]
symbol = "USDC"
kind = "stable"
price = "1"

[[system.sell_tokens]]
symbol = "SELL"
supply_usd = "1000000"

[[system.pools]]
id = "SELL-USDC"
coins = ["SELL", "USDC"]
depth_usd = "400000"
A = 50
"""
