"""Pool factory and registry: deploys StableSwap and constant-product pools as atomic actions.

Deployment is permissionless, like Curve's plain-pool factory and Uniswap v2's factory; every
deployed pool is owned by the factory's ``admin`` (governance by default), who sets fees,
ramps and fee receivers. Pool state lives in one journaled table registered with the chain
(``<name>/pools``), so a deployment rolled back by an enclosing action (e.g. a launchpad step
that fails later) leaves neither state nor LP token behind and the state hash is unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence

from ...errors import InvalidInput, NotAuthorized
from ...kernel import Chain, Record, Table, action, query
from ...math.uniswap_v2 import DEFAULT_FEE_BPS
from .common import check_account
from .constant_product import ConstantProductPool
from .events import ParameterChanged, PoolDeployed
from .stableswap import StableSwapPool

__all__ = ["AmmFactory", "FactoryConfig", "Pool"]

Pool = StableSwapPool | ConstantProductPool


class FactoryConfig(Record):
    """Factory parameters: pool owner and default fee receiver of new pools."""

    __slots__ = ("admin", "fee_receiver")
    admin: str
    fee_receiver: str


class AmmFactory:
    """Creates pools and finds them by id or by token pair."""

    def __init__(self, chain: Chain, *, name: str = "amm", admin: str | None = None) -> None:
        self.chain = chain
        self.name = name
        admin = chain.root if admin is None else admin
        self.config = FactoryConfig(chain.journal, admin=admin, fee_receiver=admin)
        self.states: Table[str, Record] = Table(chain.journal)
        self._pools: dict[str, Pool] = {}
        chain.register(f"{name}/factory", self.config)
        chain.register(f"{name}/pools", self.states)

    # -- reads ----------------------------------------------------------------------------------
    @query
    def pool(self, pool_id: str) -> Pool:
        """The pool with this id, or ``amm/unknown-pool``."""
        p = self._pools.get(pool_id) if pool_id in self.states else None
        if p is None:
            raise InvalidInput(
                "amm/unknown-pool", f"no pool {pool_id!r}; known: {sorted(self.states)}"
            )
        return p

    def pools(self) -> list[Pool]:
        """Every live pool, in id order."""
        return [self._pools[k] for k in sorted(self.states)]

    @query
    def find(self, token_a: str, token_b: str) -> list[Pool]:
        """Pools holding both tokens, in id order."""
        return [p for p in self.pools() if token_a in p.coins and token_b in p.coins]

    # -- actions ----------------------------------------------------------------------------------
    @action
    def deploy_stableswap(
        self,
        coins: Sequence[str],
        A: int,
        *,
        sender: str,
        fee: int = 4_000_000,
        admin_fee: int = 5_000_000_000,
        pool_id: str | None = None,
    ) -> StableSwapPool:
        """Deploy a legacy-math StableSwap pool of ``coins`` (id ``ss:<c0>/<c1>/...`` by default)."""
        pid = pool_id if pool_id is not None else "ss:" + "/".join(map(str, coins))
        self._check_free(pid)
        cfg = self.config
        pool = StableSwapPool(
            self.chain, pid, coins, A, fee=fee, admin_fee=admin_fee,
            owner=cfg.admin, fee_receiver=cfg.fee_receiver, registry=self.states,
        )  # fmt: skip
        self._pools[pid] = pool
        self.chain.emit(PoolDeployed(pid, pool.kind, pool.coins, pool.lp_token))
        return pool

    @action
    def deploy_constant_product(
        self,
        token_a: str,
        token_b: str,
        *,
        sender: str,
        fee_bps: int = DEFAULT_FEE_BPS,
        protocol_fee_on: bool = False,
        pool_id: str | None = None,
    ) -> ConstantProductPool:
        """Deploy a Uniswap-v2 pair (id ``cp:<token0>/<token1>`` by default, tokens sorted)."""
        if pool_id is None:
            t0, t1 = sorted((str(token_a), str(token_b)))
            pid = f"cp:{t0}/{t1}"
        else:
            pid = pool_id
        self._check_free(pid)
        cfg = self.config
        pool = ConstantProductPool(
            self.chain, pid, token_a, token_b, fee_bps=fee_bps, protocol_fee_on=protocol_fee_on,
            owner=cfg.admin, fee_receiver=cfg.fee_receiver, registry=self.states,
        )  # fmt: skip
        self._pools[pid] = pool
        self.chain.emit(PoolDeployed(pid, pool.kind, pool.coins, pool.lp_token))
        return pool

    @action
    def file(self, what: str, value: str, *, sender: str) -> None:
        """Admin: set ``admin`` or ``fee_receiver`` (for pools deployed from now on)."""
        if sender != self.config.admin and not self.chain.has_role("root", sender):
            raise NotAuthorized("amm/not-owner", f"{sender} is not the factory admin")
        if what not in ("admin", "fee_receiver"):
            raise InvalidInput(
                "amm/unknown-param", f"unknown parameter {what!r}; known: admin, fee_receiver"
            )
        setattr(self.config, what, check_account(value, "", what))
        self.chain.emit(ParameterChanged(self.name, what, value))

    def _check_free(self, pool_id: str) -> None:
        if pool_id in self.states:
            raise InvalidInput("amm/pool-exists", f"pool {pool_id} already exists")
