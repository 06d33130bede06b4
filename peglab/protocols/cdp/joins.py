"""The joins of one AI dollar: tokens in and out of the engine's internal balances (dss GemJoin, DaiJoin).

    join_gem(ilk, usr, amount):  amount tokens -> <SYM>:join:<ilk> ; gem[usr] += amount * to18      [wad]
    exit_gem(ilk, usr, gem):     amount = gem // to18 ; gem[usr] -= amount * to18 ; tokens -> usr
    join_dai(usr, wad):          burn wad AI-dollar tokens of usr ; dai: join -> usr, wad * RAY    [rad]
    exit_dai(usr, wad):          dai: usr -> join, wad * RAY ; mint wad AI-dollar tokens to usr

Auctions, the buffer, the PSM and shutdown pay users in tokens and collect from them in tokens,
using internal balances first (``collect_dai``, ``pay_dai``, ``pay_gem``). Rounding favours the
engine: collections join ``ceil(rad / RAY)`` wad; payouts exit ``floor`` and leave the sub-wad
(or sub-unit, for a 6-decimal token) remainder as the user's internal balance.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import InvalidInput
from ...kernel import Chain, Table
from ...math import ceil_div
from ...units import RAY
from .accounts import InstanceAccounts
from .interfaces import VatLike

__all__ = ["GemJoin", "Joins"]


@dataclass(frozen=True, slots=True)
class GemJoin:
    """A collateral token joined for one collateral type; ``to18 = 10^(18 - decimals)``."""

    token: str
    to18: int


class Joins:
    """Every join of one instance: the AI-dollar join and one gem join per collateral type."""

    def __init__(self, chain: Chain, vat: VatLike, accounts: InstanceAccounts) -> None:
        self.chain = chain
        self.vat = vat
        self.accounts = accounts
        self.symbol = accounts.symbol
        self.gems: Table[str, GemJoin] = Table(chain.journal)  # wiring, journaled with launches

    def add_gem(self, ilk: str, token: str, to18: int) -> None:
        """Open the gem join of ``ilk`` (collateral types and the PSM's gem)."""
        self.gems[ilk] = GemJoin(token, to18)

    def gem_token(self, ilk: str) -> GemJoin:
        """The token and precision multiplier joined for ``ilk``."""
        g = self.gems.get(ilk)
        if g is None:
            raise InvalidInput("cdp/unknown-ilk", f"{self.symbol} has no collateral type {ilk!r}")
        return g

    # -- the joins -----------------------------------------------------------------------------
    def join_gem(self, ilk: str, usr: str, amount: int) -> int:
        """Take ``amount`` tokens from ``usr`` and credit the joined collateral; returns it [wad]."""
        g = self.gems[ilk]
        self.chain.ledger.transfer(g.token, usr, self.accounts.gem_join(ilk), amount)
        gem = amount * g.to18
        self.vat.slip(ilk, usr, gem)
        return gem

    def exit_gem(self, ilk: str, usr: str, gem_wad: int) -> int:
        """Pay ``gem_wad`` joined collateral of ``usr`` out as tokens (floored); returns tokens."""
        g = self.gems[ilk]
        amount = gem_wad // g.to18
        self.vat.slip(ilk, usr, -amount * g.to18)
        self.chain.ledger.transfer(g.token, self.accounts.gem_join(ilk), usr, amount)
        return amount

    def join_dai(self, usr: str, wad: int) -> None:
        """Burn ``wad`` AI-dollar tokens of ``usr`` for the same internal AI dollars."""
        self.chain.ledger.burn(self.symbol, usr, wad)
        self.chain.ledger.transfer(self.vat.dai, self.accounts.join, usr, wad * RAY)

    def exit_dai(self, usr: str, wad: int) -> None:
        """Turn ``wad`` internal AI dollars of ``usr`` into AI-dollar tokens."""
        self.vat.move(usr, self.accounts.join, wad * RAY, usr)
        self.chain.ledger.mint(self.symbol, usr, wad)

    # -- payments ------------------------------------------------------------------------------
    def collect_dai(self, payer: str, rad: int, to: str) -> None:
        """Move ``rad`` internal AI dollars from ``payer`` to ``to``, joining payer's tokens if short."""
        have = self.chain.ledger.balance_of(self.vat.dai, payer)
        if have < rad:
            self.join_dai(payer, ceil_div(rad - have, RAY))
        self.vat.move(payer, to, rad, payer)

    def pay_dai(self, frm: str, usr: str, rad: int) -> None:
        """Move ``rad`` internal AI dollars from ``frm`` to ``usr`` and exit the whole wads as tokens."""
        self.chain.ledger.transfer(self.vat.dai, frm, usr, rad)
        wad = rad // RAY
        if wad:
            self.exit_dai(usr, wad)

    def pay_unbacked(self, usr: str, rad: int) -> None:
        """Pay ``rad`` of new AI dollars to ``usr`` against the buffer's system debt (``suck``),
        exiting the whole wads as tokens: keeper incentives and refunds at shutdown.

        ``usr`` may not be an engine account: internal AI dollars sent to the join or the buffer
        would unbalance the join identity and the balance sheet (found by the fuzz campaign).
        """
        if self.chain.is_engine_account(usr):
            raise InvalidInput("cdp/bad-recipient", f"AI dollars cannot be paid to {usr!r}")
        self.vat.suck(self.accounts.vow, usr, rad)
        if rad // RAY:
            self.exit_dai(usr, rad // RAY)

    def pay_gem(self, ilk: str, frm: str, usr: str, wad: int) -> int:
        """Move ``wad`` joined collateral from ``frm`` to ``usr`` and exit it as tokens; returns tokens."""
        ledger = self.chain.ledger
        gem = self.vat.gem(ilk)
        ledger.transfer(gem, frm, usr, wad)
        g = self.gem_token(ilk)
        amount = wad // g.to18
        if amount:
            ledger.burn(gem, usr, amount * g.to18)
            ledger.transfer(g.token, self.accounts.gem_join(ilk), usr, amount)
        return amount
