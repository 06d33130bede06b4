"""The launchpad: governance creates an isolated AI dollar per AI ecosystem and adds its collateral.

Instances share nothing but the chain (and later the governance token used for
recapitalisation): each has its own token, vault engine, fee module, prices and ceilings, so bad
debt never crosses instances. Guardrails (docs/cdp-spec.md §3) bind the project admin; governance (``gov``)
may override the ratio and ceiling floors but never the hop floor, which protects the OSM delay.
"""

from __future__ import annotations

from ...errors import InvalidInput, NotAuthorized
from ...kernel import Chain, Table, action
from ...units import RAY, check_positive
from .events import AIDollarLaunched, CollateralAdded
from .instance import AIDollar
from .interfaces import PoolDeployer, PoolLike
from .params import GUARDRAILS, AIDollarSpec, CollateralSpec, Guardrails
from .psm import PsmSpec

__all__ = ["Launchpad"]


class Launchpad:
    """Factory and registry of AI-dollar instances on one chain."""

    def __init__(
        self, chain: Chain, guardrails: Guardrails = GUARDRAILS, amm: PoolDeployer | None = None
    ) -> None:
        self.chain = chain
        self.guardrails = guardrails
        self.instances: Table[str, AIDollar] = Table(chain.journal)
        self.amm = amm  # where launch pools are deployed (docs/amm-spec.md §4); None: no pools

    @action
    def create_pool(
        self,
        symbol: str,
        other: str,
        *,
        sender: str,
        A: int = 200,
        fee: int = 4_000_000,
        admin_fee: int = 5_000_000_000,
    ) -> PoolLike:
        """Deploy a StableSwap pool of an AI dollar against ``other`` (the reference stablecoin or
        another AI dollar of this launchpad); its admin or governance. Returns the empty pool.

        Defaults follow docs/amm-spec.md §4 for AI USD/USDC pools (A 200, 4 bps, 50% admin fee); use a
        lower ``A`` (<= 100) for AI USD/AI USD pools, whose pegs can part.
        """
        inst = self[symbol]
        self.chain.require_role(inst.admin_role, sender, "cdp/not-admin")
        if self.amm is None:
            raise InvalidInput("cdp/no-amm", "this launchpad was created without an AMM factory")
        self.chain.ledger.token(other)
        if other == symbol:
            raise InvalidInput(
                "cdp/same-token", f"a pool needs two different tokens, got {symbol} twice"
            )
        if other in self.instances and not self.chain.has_role(self[other].admin_role, sender):
            raise NotAuthorized("cdp/not-admin", f"{sender} may not list {other}: not its admin")
        pool = self.amm.deploy_stableswap(
            [symbol, other], A, fee=fee, admin_fee=admin_fee, sender=self.chain.root,
            pool_id=f"ss:{symbol}/{other}",
        )  # fmt: skip
        inst.pools[other] = pool.id
        return pool

    def __getitem__(self, symbol: str) -> AIDollar:
        try:
            return self.instances[symbol]
        except (KeyError, TypeError):
            raise InvalidInput(
                "cdp/unknown-instance",
                f"no AI dollar {symbol!r}; known: {', '.join(self.instances)}",
            ) from None

    @action
    def create_ai_usd(self, spec: AIDollarSpec, *, sender: str) -> AIDollar:
        """Launch the AI dollar described by ``spec`` (governance only) with its collateral types."""
        self.chain.require_role("gov", sender, "cdp/not-governance")
        if not isinstance(spec, AIDollarSpec):
            raise InvalidInput(
                "cdp/bad-spec", f"expected an AIDollarSpec, got {type(spec).__name__}"
            )
        if not spec.symbol.isidentifier() or spec.symbol in self.instances:
            raise InvalidInput(
                "cdp/bad-symbol", f"symbol {spec.symbol!r} is taken or not a plain name"
            )
        if any(i.ecosystem == spec.ecosystem for i in self.instances.values()):
            raise InvalidInput(
                "cdp/ecosystem-taken", f"ecosystem {spec.ecosystem!r} already has an AI dollar"
            )
        check_positive(spec.line, "line")
        line_rad = spec.line * RAY * 10**18
        if line_rad > self.guardrails.max_line_rad:
            raise InvalidInput("cdp/guardrail", f"Line {spec.line} exceeds the ecosystem cap")
        inst = AIDollar(
            self.chain, spec.symbol, spec.ecosystem, line_rad, spec.admin, self.guardrails
        )
        self.instances[spec.symbol] = inst
        self.chain.emit(AIDollarLaunched(spec.symbol, spec.ecosystem, line_rad))
        for c in spec.collaterals:
            self._add(inst, c, sender)
        if spec.psm is not None:
            self._add_psm(inst, spec.psm, line_rad)
        return inst

    def _add_psm(self, inst: AIDollar, spec: PsmSpec, line_rad: int) -> None:
        """Attach the peg stability module; its ceiling is at most 25% of ``Line`` (docs/cdp-spec.md §3)."""
        if not isinstance(spec, PsmSpec):
            raise InvalidInput("cdp/bad-spec", f"expected a PsmSpec, got {type(spec).__name__}")
        check_positive(spec.line, "psm line")
        if spec.line * RAY * 10**18 * 4 > line_rad:
            raise InvalidInput("cdp/guardrail", "PSM line must be at most 25% of the instance Line")
        inst.attach_psm(spec)

    @action
    def add_collateral(self, symbol: str, spec: CollateralSpec, *, sender: str) -> None:
        """Add a collateral type to an instance (its admin, within guardrails, or governance)."""
        inst = self[symbol]
        self.chain.require_role(inst.admin_role, sender, "cdp/not-admin")
        self._add(inst, spec, sender)

    def _add(self, inst: AIDollar, spec: CollateralSpec, sender: str) -> None:
        chain, g, p = self.chain, self.guardrails, spec.params
        if not isinstance(spec, CollateralSpec):
            raise InvalidInput(
                "cdp/bad-spec", f"expected a CollateralSpec, got {type(spec).__name__}"
            )
        token = chain.ledger.token(spec.token)
        if spec.ilk in inst.collaterals:
            raise InvalidInput("cdp/ilk-exists", f"{inst.symbol} already has {spec.ilk}")
        if spec.kind not in ("native", "derivative"):
            raise InvalidInput(
                "cdp/bad-kind", f"kind must be native or derivative, got {spec.kind!r}"
            )
        if spec.kind == "derivative" and (spec.valuation is None or not spec.underlying):
            raise InvalidInput(
                "cdp/bad-spec", f"derivative {spec.ilk} needs an underlying and a valuation"
            )
        if token.decimals > 18:
            raise InvalidInput(
                "cdp/bad-decimals", f"{spec.token} has {token.decimals} decimals; at most 18"
            )
        gov = chain.has_role("gov", sender)
        floor = g.min_mat_derivative_ray if spec.kind == "derivative" else g.min_mat_native_ray
        if p.mat_ray < RAY or (p.mat_ray < floor and not gov):
            raise InvalidInput(
                "cdp/guardrail", f"{spec.ilk}: mat {p.mat_ray} below the {spec.kind} floor {floor}"
            )
        if p.chop_wad > g.max_chop_wad and not gov:
            raise InvalidInput("cdp/guardrail", f"{spec.ilk}: liquidation penalty above the cap")
        if p.hop_s < g.min_hop_s:
            raise InvalidInput(
                "cdp/guardrail", f"{spec.ilk}: OSM hop {p.hop_s}s below {g.min_hop_s}s"
            )
        if p.duty_ray < RAY:
            raise InvalidInput("cdp/bad-value", f"{spec.ilk}: duty below RAY (negative rate)")
        if p.auction not in ("dutch", "english"):
            raise InvalidInput(
                "cdp/bad-auction",
                f"{spec.ilk}: auction must be dutch or english, got {p.auction!r}",
            )

        inst.wire_collateral(spec, token.decimals)
        chain.emit(CollateralAdded(inst.symbol, spec.ilk, spec.token, spec.kind))
