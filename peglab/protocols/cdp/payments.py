"""Moving AI dollars and collateral between the engine's internal balances and users' tokens.

Auctions, the buffer, the PSM and shutdown pay users in tokens (AI dollars, collateral) and
collect from them in tokens, using internal balances first. Rounding favours the engine:
collections join ``ceil(rad / RAY)`` wad; payouts exit ``floor`` and leave the sub-wad (or
sub-unit, for a 6-decimal token) remainder as the user's internal balance.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...errors import InvalidInput
from ...math import ceil_div
from ...units import RAY

if TYPE_CHECKING:
    from .instance import AIDollar

__all__ = ["collect_dai", "gem_token", "pay_dai", "pay_gem"]


def collect_dai(inst: AIDollar, payer: str, rad: int, to: str) -> None:
    """Move ``rad`` internal AI dollars from ``payer`` to ``to``, joining payer's tokens if short."""
    have = inst.chain.ledger.balance_of(inst.vat.dai, payer)
    if have < rad:
        inst._join_dai(payer, ceil_div(rad - have, RAY))
    inst.vat.move(payer, to, rad, payer)


def pay_dai(inst: AIDollar, frm: str, usr: str, rad: int) -> None:
    """Move ``rad`` internal AI dollars from ``frm`` to ``usr`` and exit the whole wads as tokens."""
    inst.chain.ledger.transfer(inst.vat.dai, frm, usr, rad)
    wad = rad // RAY
    if wad:
        inst._exit_dai(usr, wad)


def gem_token(inst: AIDollar, ilk: str) -> tuple[str, int]:
    """``(token, to18)`` of a collateral type or of the PSM's gem."""
    c = inst.collaterals.get(ilk)
    if c is not None:
        return c.token, c.to18
    psm = getattr(inst, "psm", None)
    if psm is not None and psm.ilk == ilk:
        return psm.token, psm.to18
    raise InvalidInput("cdp/unknown-ilk", f"{inst.symbol} has no collateral type {ilk!r}")


def pay_gem(inst: AIDollar, ilk: str, frm: str, usr: str, wad: int) -> int:
    """Move ``wad`` joined collateral from ``frm`` to ``usr`` and exit it as tokens; returns tokens."""
    ledger = inst.chain.ledger
    gem = inst.vat.gem(ilk)
    ledger.transfer(gem, frm, usr, wad)
    token, to18 = gem_token(inst, ilk)
    amount = wad // to18
    if amount:
        ledger.burn(gem, usr, amount * to18)
        ledger.transfer(token, f"{inst.symbol}:join:{ilk}", usr, amount)
    return amount
