"""The scenario: a declarative, hashable stress test (docs/risk-spec.md §2; docs/risk-lab.md "Scenario files").

``Scenario`` holds the market (assets, price processes, liquidity, shocks), the agents' parameters
and a ``System``: one block per protocol family (``sim.family``; ``ai_dollars`` is the AI-dollar
family's) plus the pools and governance token the families share. Family blocks are validated by
the family's own ``block_type`` and checked against the rest of the scenario by its ``check``.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any, Literal

from pydantic import ConfigDict, Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails

from ..family import family_for, registered_families, scenario_families
from .agents import Agents
from .fields import Duration, Model, Name, Symbol, unique
from .market import (
    AnchorPrices,
    Asset,
    BridgePrices,
    CrashPrices,
    Liquidity,
    LpShock,
    Pool,
    PriceBlock,
    Shock,
    SlashShock,
)

__all__ = ["Scenario", "System"]


class System(Model):
    """The protocols of a scenario: family blocks by key, and the pools they share (docs/amm-spec.md §4)."""

    model_config = ConfigDict(extra="allow", frozen=True, validate_default=True)

    pools: list[Pool] = Field(default_factory=list)
    governance_token: Symbol = "MAITRIX"

    @model_validator(mode="before")
    @classmethod
    def _family_blocks(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        out: dict[str, Any] = {}
        errors: list[InitErrorDetails] = []
        families = registered_families()
        for key, value in data.items():
            if key in cls.model_fields:
                out[key] = value
                continue
            found = family_for(key)
            if found is None:
                known = ", ".join([*cls.model_fields, *families])
                raise ValueError(f"unknown system block {key!r} (known: {known})")
            try:
                out[key] = found[1].validate_python(value)
            except ValidationError as e:
                errors += [
                    InitErrorDetails(
                        type=d["type"],
                        loc=(key, *d["loc"]),
                        input=d["input"],
                        ctx=d.get("ctx", {}),
                    )
                    for d in e.errors()
                ]
        if errors:
            raise ValidationError.from_exception_data("System", errors)
        if not any(k in families for k in out):
            raise ValueError(f"a system needs at least one family block ({', '.join(families)})")
        return out

    def blocks(self) -> dict[str, Any]:
        """The family blocks by key (the extra fields of the model)."""
        return dict(self.__pydantic_extra__ or {})

    def block(self, key: str) -> Any:
        """The block of family ``key`` (``KeyError`` when the scenario has none)."""
        return self.blocks()[key]


class Scenario(Model):
    """A complete stress scenario. ``horizon`` must be a whole number of ``step``s."""

    schema_version: Literal[1] = 1
    name: Name
    description: str = ""
    sources: list[str] = Field(default_factory=list)
    horizon: Duration
    step: Duration
    assets: list[Asset] = Field(min_length=1)
    prices: list[PriceBlock] = Field(default_factory=list)
    system: System
    agents: Agents = Agents()
    liquidity: Liquidity = Liquidity()
    shocks: list[Shock] = Field(default_factory=list)

    @property
    def n_steps(self) -> int:
        return self.horizon // self.step

    def asset(self, symbol: str) -> Asset:
        for a in self.assets:
            if a.symbol == symbol:
                return a
        raise KeyError(symbol)

    @property
    def asset_index(self) -> dict[str, int]:
        return {a.symbol: i for i, a in enumerate(self.assets)}

    def step_of(self, seconds: int) -> int:
        """Nearest step index of a time (shocks between steps are applied at the nearest step)."""
        return min(self.n_steps, round(seconds / self.step))

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        if self.step <= 0 or self.horizon <= 0:
            raise ValueError("horizon and step must be positive")
        if self.horizon % self.step:
            raise ValueError(
                f"horizon ({self.horizon} s) is not a multiple of step ({self.step} s)"
            )
        if self.n_steps > 1_000_000:
            raise ValueError("more than 1,000,000 steps; use a coarser step")
        symbols = [a.symbol for a in self.assets]
        unique(symbols, "asset symbol")
        known = set(symbols)
        for a in self.assets:
            if a.underlying is not None:
                if a.underlying not in known:
                    raise ValueError(f"asset {a.symbol}: unknown underlying {a.underlying!r}")
                if self.asset(a.underlying).kind == "derivative":
                    raise ValueError(f"asset {a.symbol}: the underlying must not be a derivative")
        covered: set[str] = set()
        for i, blk in enumerate(self.prices):
            for s in blk.assets:
                if s not in known:
                    raise ValueError(f"prices[{i}]: unknown asset {s!r} (known: {sorted(known)})")
                if self.asset(s).kind == "derivative":
                    raise ValueError(f"prices[{i}]: {s} is a derivative; it follows its underlying")
                if s in covered:
                    raise ValueError(f"prices[{i}]: asset {s} already has a price process")
                covered.add(s)
            unique(blk.assets, f"prices[{i}] asset")
            extra = set(getattr(blk, "vols", {})) | set(getattr(blk, "drawdowns", {}))
            if extra - set(blk.assets):
                raise ValueError(
                    f"prices[{i}]: overrides for assets not in the block: {sorted(extra - set(blk.assets))}"
                )
            if isinstance(blk, BridgePrices) and blk.start + blk.duration > self.horizon:
                raise ValueError(f"prices[{i}]: the bridge ends after the horizon")
            if isinstance(blk, BridgePrices) and blk.duration < self.step:
                raise ValueError(f"prices[{i}]: the bridge is shorter than one step")
            if isinstance(blk, CrashPrices) and blk.start > self.horizon:
                raise ValueError(f"prices[{i}]: the crash starts after the horizon")
            if isinstance(blk, CrashPrices) and blk.duration < self.step:
                raise ValueError(f"prices[{i}]: the crash is shorter than one step")
            if isinstance(blk, AnchorPrices):
                times = [float(a.at) / float(blk.compression) for a in blk.anchors]
                if any(t2 <= t1 for t1, t2 in pairwise(times)):
                    raise ValueError(f"prices[{i}]: anchor times must increase")
                if times[-1] > self.horizon:
                    raise ValueError(f"prices[{i}]: an anchor lies after the horizon")
                if any(
                    round(t / self.step) == 0 and a.ratio != 1
                    for t, a in zip(times, blk.anchors, strict=True)
                ):
                    raise ValueError(f"prices[{i}]: an anchor at t = 0 must have ratio 1")
        tokens = set(known)
        instances: list[str] = []
        for fam, block in scenario_families(self):
            issued = fam.check(block, self)
            clash = known & issued
            if clash:
                raise ValueError(f"{sorted(clash)} is both an asset and issued by {fam.key}")
            tokens |= issued
            instances += fam.instances(block)
        unique(instances, "instance name")
        unique([p.id for p in self.system.pools], "pool id")
        for p in self.system.pools:
            for coin in p.coins:
                if coin not in tokens:
                    raise ValueError(f"pool {p.id}: unknown coin {coin!r}")
            if p.coins[0] == p.coins[1]:
                raise ValueError(f"pool {p.id}: the two coins must differ")
        pool_ids = {p.id for p in self.system.pools}
        for i, sh in enumerate(self.shocks):
            if sh.at > self.horizon:
                raise ValueError(f"shocks[{i}]: 'at' lies after the horizon")
            for s in getattr(sh, "assets", []):
                if s not in known:
                    raise ValueError(f"shocks[{i}]: unknown asset {s!r}")
            if isinstance(sh, SlashShock) and (
                sh.asset not in known or self.asset(sh.asset).kind != "derivative"
            ):
                raise ValueError(f"shocks[{i}]: {sh.asset!r} is not a derivative asset")
            if isinstance(sh, LpShock):
                for pid in sh.pools:
                    if pid not in pool_ids:
                        raise ValueError(f"shocks[{i}]: unknown pool {pid!r}")
        return self
