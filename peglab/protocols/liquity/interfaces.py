"""What the liquidation module needs of the Liquity system (a narrow interface, no import circle)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ...kernel import Chain, Table
    from .stability_pool import StabilityPool
    from .state import LiquityParams, LiquityState, Trove

__all__ = ["TroveSystem"]


class TroveSystem(Protocol):
    """Troves, totals, accounts and the two trove primitives liquidations use."""

    chain: Chain
    coll: str
    stable: str
    params: LiquityParams
    state: LiquityState
    troves: Table[str, Trove]
    surplus: Table[str, int]
    sp: StabilityPool
    active_pool: str
    default_pool: str
    gas_pool: str
    surplus_pool: str

    def entire_system(self) -> tuple[int, int]: ...

    def icr(self, owner: str, price_wad: int | None = None) -> int: ...

    def sorted_owners(self) -> list[str]: ...

    def apply_pending(self, owner: str) -> Trove: ...

    def remove_trove(self, owner: str) -> None: ...
