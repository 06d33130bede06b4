"""Narrow interfaces between the modules of one AI dollar, as dss declares ``VatLike``, ``DogLike``.

Each module's constructor receives the few objects it calls, typed by the protocols below, never
the whole ``AIDollar``; ``AIDollar`` builds the modules, wires them together and fronts their
actions. A protocol lists only what some other module calls: the vault engine's auth primitives
(``grab``, ``suck``, ``heal``, ``fold``, ``slip``), the liquidator's bookkeeping (``digs``), the
buffer's queue (``fess``, ``kiss``), an auction house's ``kick``/``yank``, and the joins that move
value between internal balances and tokens. The concrete classes are ``VaultEngine`` (vat.py),
``StabilityFees`` (jug.py), ``Spotter`` (spotter.py), ``Liquidator`` (dog.py), ``SystemBuffer``
(buffer.py), ``Clipper`` (clip.py), ``Flipper`` (flip.py), ``Joins`` (joins.py) and
``PegStabilityModule`` (psm.py). The launchpad deploys launch pools through ``PoolDeployer``,
which the AMM family's factory satisfies, so the CDP family never imports the AMM family.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ...kernel import Table
    from .vat import Ilk, VatState, Vault

__all__ = [
    "AuctionHouse",
    "BufferLike",
    "FeesLike",
    "JoinsLike",
    "LiquidatorLike",
    "PoolDeployer",
    "PoolLike",
    "PsmLike",
    "SpotterLike",
    "VatLike",
]


class VatLike(Protocol):
    """The vault engine: internal balances, collateral types, vaults and the auth primitives."""

    @property
    def symbol(self) -> str: ...
    @property
    def dai(self) -> str: ...
    @property
    def sin(self) -> str: ...
    @property
    def locked(self) -> str: ...
    @property
    def state(self) -> VatState: ...
    @property
    def ilks(self) -> Table[str, Ilk]: ...
    @property
    def vaults(self) -> Table[int, Vault]: ...
    @property
    def debt_rad(self) -> int: ...

    def gem(self, ilk: str) -> str: ...
    def ilk(self, name: str) -> Ilk: ...
    def vault(self, vault_id: int) -> Vault: ...
    def open_vault(self, vault_id: int) -> Vault: ...
    def may_operate(self, vault_id: int, sender: str) -> bool: ...
    def init_ilk(self, name: str) -> Ilk: ...
    def new_vault(self, ilk: str, owner: str) -> int: ...
    def frob(self, vault_id: int, v: str, w: str, dink: int, dart: int, sender: str) -> None: ...
    def grab(self, vault_id: int, v: str, w: str, dink: int, dart: int) -> None: ...
    def suck(self, u: str, v: str, rad: int) -> None: ...
    def heal(self, u: str, rad: int) -> None: ...
    def fold(self, ilk_name: str, u: str, drate_ray: int) -> int: ...
    def slip(self, ilk_name: str, usr: str, wad: int) -> None: ...
    def move(self, src: str, dst: str, rad: int, sender: str) -> None: ...
    def cage(self) -> None: ...


class FeesLike(Protocol):
    """Stability fees: accrue a collateral type to now (dss ``drip``)."""

    def accrue(self, ilk: str) -> int: ...


class SpotterLike(Protocol):
    """Prices: the delayed price of a collateral type, and ``spot`` written from it."""

    @property
    def par_ray(self) -> int: ...

    def value(self, ilk: str) -> tuple[int, bool]: ...
    def poke(self, ilk: str) -> int: ...


class LiquidatorLike(Protocol):
    """The liquidator as its auction houses see it (dss ``DogLike``)."""

    def chop_wad(self, ilk: str) -> int: ...
    def digs(self, ilk: str, rad: int) -> None: ...
    def cage(self) -> None: ...


class AuctionHouse(Protocol):
    """Where the liquidator sends seized collateral: a Dutch clipper or an English flipper."""

    @property
    def account(self) -> str: ...

    def kick(self, tab_rad: int, lot_wad: int, vault: int, keeper: str) -> tuple[int, int]: ...


class BufferLike(Protocol):
    """The system buffer as the liquidator, the debt auction and shutdown see it (dss ``VowLike``)."""

    @property
    def live(self) -> bool: ...
    @property
    def ash_rad(self) -> int: ...

    def fess(self, tab_rad: int) -> None: ...
    def kiss(self, rad: int) -> None: ...
    def flop_restarted(self) -> None: ...
    def flop_settled(self) -> None: ...
    def cage(self) -> None: ...


class JoinsLike(Protocol):
    """Token joins: AI dollars and collateral between internal balances and tokens."""

    def join_dai(self, usr: str, wad: int) -> None: ...
    def exit_dai(self, usr: str, wad: int) -> None: ...
    def collect_dai(self, payer: str, rad: int, to: str) -> None: ...
    def pay_dai(self, frm: str, usr: str, rad: int) -> None: ...
    def pay_gem(self, ilk: str, frm: str, usr: str, wad: int) -> int: ...


class PsmLike(Protocol):
    """The peg stability module as shutdown sees it."""

    @property
    def ilk(self) -> str: ...

    def cage(self) -> None: ...


class PoolLike(Protocol):
    """A deployed launch pool, as the launchpad records it."""

    @property
    def id(self) -> str: ...


class PoolDeployer(Protocol):
    """An AMM factory that deploys StableSwap pools (the AMM family's ``AmmFactory``)."""

    def deploy_stableswap(
        self,
        coins: Sequence[str],
        A: int,
        *,
        sender: str,
        fee: int = ...,
        admin_fee: int = ...,
        pool_id: str | None = ...,
    ) -> PoolLike: ...
