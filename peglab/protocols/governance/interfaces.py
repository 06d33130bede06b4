"""Narrow interfaces governance depends on (dss ``VatLike`` style): a pool that yields trading fees."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

__all__ = ["FeeSource"]


@runtime_checkable
class FeeSource(Protocol):
    """What a pool gauge needs from an AMM pool.

    ``claim_fees`` moves the protocol's accrued trading fees to ``fee_receiver`` and returns the
    amounts per token symbol; ``file("fee_receiver", account, sender=...)`` points them at the
    gauge's fee reward contract.
    """

    @property
    def id(self) -> str: ...

    @property
    def coins(self) -> Sequence[str]: ...

    @property
    def lp_token(self) -> str: ...

    @property
    def fee_receiver(self) -> str: ...

    def file(self, what: str, value: Any, *, sender: str) -> None: ...

    def claim_fees(self, *, sender: str) -> dict[str, int]: ...
