"""The T-bill dollar under USDai (wrapped M): a 6-decimal token whose holders accrue yield.

Model (docs/usdai.md §1): an earning account accrues ``floor(balance * apr * dt / (YEAR * 1e18))``
over each interval in which its balance is constant; ``settle`` mints it to the account's claim
recipient (M lets an earner name one; USDai names sUSDai) and restarts the interval. Whoever
changes an earner's balance settles it first (USDai does for its reserve, sUSDai for its own
holdings; ``claim_yield`` settles a distinct earning recipient before paying it), so the accrual
is exact. M's own
index, earner approval and T+1 redemption against the Treasury SPVs sit below this model. Supply
enters by setup minting (a T-bill purchase off-chain).
"""

from __future__ import annotations

from ...errors import InvalidInput
from ...kernel import Chain, Record, Table, action, query
from ...units import WAD, YEAR, check_amount
from .events import BaseYieldClaimed, ParameterSet

__all__ = ["TBillDollar"]


class _State(Record):
    __slots__ = ("apr_wad",)
    apr_wad: int


class TBillDollar:
    """A yield-bearing T-bill dollar (``wM``-like), 6 decimals by default."""

    def __init__(
        self,
        chain: Chain,
        symbol: str = "wM",
        *,
        decimals: int = 6,
        apr_wad: int = 415 * WAD // 10_000,
        rate_role: str = "usdai/base-rate-admin",
    ) -> None:
        check_amount(apr_wad, "apr_wad", "usdai/bad-config")
        chain.ledger.create_token(symbol, decimals, "T-bill dollar")
        self.chain = chain
        self.symbol = symbol
        self.rate_role = rate_role
        self.state = _State(chain.journal, apr_wad=apr_wad)
        self.last_claim: Table[str, int] = Table(chain.journal)
        self.recipients: Table[str, str] = Table(chain.journal)
        chain.register(f"usdai/base/{symbol}", self.state)
        chain.register(f"usdai/base/{symbol}/last-claim", self.last_claim)
        chain.register(f"usdai/base/{symbol}/recipients", self.recipients)

    @query
    def accrued_yield_of(self, account: str) -> int:
        """Unclaimed yield of ``account`` (floor)."""
        since = self.last_claim.get(account)
        if since is None:
            return 0
        bal = self.chain.ledger.balance_of(self.symbol, account)
        return bal * self.state.apr_wad * (self.chain.now - since) // (YEAR * WAD)

    def start_earning(self, account: str, recipient: str | None = None) -> None:
        """Setup (outside actions or inside one): ``account`` earns from now, paid to ``recipient``."""
        if account not in self.last_claim:
            self.last_claim[account] = self.chain.now
        self.recipients[account] = recipient or account

    def settle(self, account: str) -> int:
        """Inside an action (or setup): pay ``account``'s accrued yield and restart its interval."""
        since = self.last_claim.get(account)
        if since is None or since == self.chain.now:
            return 0
        to = self.recipients[account]
        if to != account and to in self.last_claim:
            self.settle(to)  # its balance is about to change
        amount = self.accrued_yield_of(account)
        self.last_claim[account] = self.chain.now
        if amount:
            self.chain.ledger.mint(self.symbol, to, amount)
            self.chain.emit(BaseYieldClaimed(self.symbol, account, to, amount))
        return amount

    @action
    def claim_yield(self, account: str, *, sender: str) -> int:
        """Anyone: mint ``account``'s accrued yield to its claim recipient."""
        if account not in self.last_claim:
            raise InvalidInput("usdai/not-earning", f"{account!r} does not earn yield")
        since = self.last_claim[account]
        amount = self.settle(account)
        if amount == 0 and self.last_claim[account] != since:  # the interval restarted empty
            self.chain.emit(BaseYieldClaimed(self.symbol, account, self.recipients[account], 0))
        return amount

    @action
    def set_apr(self, apr_wad: int, *, sender: str) -> None:
        """Rate admin (the T-bill rate moved): settle every earner at the old rate, then switch,
        so no interval accrues at a rate it did not earn."""
        self.chain.require_role(self.rate_role, sender, "usdai/not-admin")
        apr_wad = check_amount(apr_wad, "apr_wad", "usdai/bad-amount")
        for account in list(self.last_claim):
            self.settle(account)
        self.state.apr_wad = apr_wad
        self.chain.emit(ParameterSet("base", "apr_wad", str(apr_wad)))
