"""Ledger accounts and roles of one AI dollar, named once (every module asks here, none builds names)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...errors import InvalidInput

if TYPE_CHECKING:
    from ...kernel import Chain

__all__ = ["InstanceAccounts"]


@dataclass(frozen=True, slots=True)
class InstanceAccounts:
    """The ledger accounts of the instance ``symbol``: where the engine holds value."""

    symbol: str

    @property
    def admin_role(self) -> str:
        """The project admin's role (held to the launchpad guardrails)."""
        return f"{self.symbol}/admin"

    @property
    def vow(self) -> str:
        """The system buffer: surplus (internal AI dollars) and bad debt (sin)."""
        return f"{self.symbol}:vow"

    @property
    def join(self) -> str:
        """The AI-dollar join: internal AI dollars backing every AI-dollar token."""
        return f"{self.symbol}:join"

    @property
    def locked(self) -> str:
        """Collateral locked in vaults (the vault engine's ``ink``)."""
        return f"{self.symbol}:vat"

    @property
    def end(self) -> str:
        """Collateral held by emergency shutdown for redemptions."""
        return f"{self.symbol}:end"

    @property
    def backstop(self) -> str:
        """The project's first-loss backstop fund (AI-dollar tokens)."""
        return f"{self.symbol}:backstop"

    @property
    def flap(self) -> str:
        """Surplus on auction and the governance-token bids for it."""
        return f"{self.symbol}:flap"

    @property
    def treasury(self) -> str:
        """Default sink of released surplus when the sink is not buy-and-burn."""
        return f"{self.symbol}:treasury"

    @property
    def psm(self) -> str:
        return f"{self.symbol}:psm"

    def gem_join(self, ilk: str) -> str:
        """Collateral tokens joined for ``ilk`` (one join per collateral type)."""
        return f"{self.symbol}:join:{ilk}"

    def clip(self, ilk: str) -> str:
        """Lots of the Dutch auctions of ``ilk``."""
        return f"{self.symbol}:clip:{ilk}"

    def flip(self, ilk: str) -> str:
        """Lots of the English auctions of ``ilk``."""
        return f"{self.symbol}:flip:{ilk}"

    def check_file(self, chain: Chain, sender: str, what: str, known: Sequence[str]) -> None:
        """The guard every module's ``file`` starts with: the sender is the instance admin (or
        governance, which holds every role) and ``what`` is one of the module's parameters."""
        chain.require_role(self.admin_role, sender, "cdp/not-admin")
        if what not in known:
            raise InvalidInput(
                "cdp/unknown-param", f"unknown parameter {what!r}; known: {', '.join(known)}"
            )

    def engine(self) -> frozenset[str]:
        """Accounts that must never receive auction collateral or place bids."""
        return frozenset((self.locked, self.vow, self.join, self.end))
