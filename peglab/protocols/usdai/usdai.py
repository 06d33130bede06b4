"""USDai: the USD.AI peg token, minted 1:1 against a 6-decimal T-bill dollar (docs/usdai.md §2).

Restated from USD.AI's ``USDai.sol``::

    deposit(token, amount, min_usdai, recipient):
        base_in = amount                       if token is the base token
                = swap(token -> base, min_out = ceil(min_usdai / scale))   otherwise (a venue)
        usdai = base_in * scale                (scale = 10**(18 - base decimals) = 1e12)
        unless the sender holds the deposit-admin role: usdai + supply + bridged <= cap
        mint usdai to recipient
    withdraw(token, usdai, min_out, recipient):
        burn usdai first; base = usdai // scale (floor: the dust stays as backing)
        pay base, or swap it to ``token`` through its venue with ``min_out``

No mint or redeem fee; the cost is the venue's fee and slippage. USDai earns nothing; the base
token's yield is claimed by sUSDai. Bridging burns here and mints elsewhere (``bridged`` keeps
the count, the backing stays here). Invariant: ``reserve * scale >= supply + bridged``.
"""

from __future__ import annotations

from collections.abc import Callable

from ...errors import InvalidInput, LimitExceeded, Slippage
from ...kernel import Chain, Record, action
from ...math.fixedpoint import ceil_div
from ...units import MAX_UINT256, check_amount, check_positive
from .events import Bridged, SupplyCapSet, USDaiDeposited, USDaiWithdrawn
from .interfaces import SwapVenue

__all__ = ["USDai"]


class _Supply(Record):
    __slots__ = ("bridged", "cap")
    cap: int
    bridged: int


class USDai:
    """The peg token; its reserve of the base token sits in ``usdai:reserve``."""

    def __init__(
        self,
        chain: Chain,
        base: str,
        *,
        symbol: str = "USDai",
        cap: int = MAX_UINT256,
        admin_role: str = "usdai/admin",
        deposit_admin_role: str = "usdai/deposit-admin",
        bridge_role: str = "usdai/bridge",
    ) -> None:
        base_dec = chain.ledger.token(base).decimals
        if base_dec > 18:
            raise InvalidInput("usdai/bad-config", f"base token has {base_dec} > 18 decimals")
        check_amount(cap, "cap", "usdai/bad-config")
        chain.ledger.create_token(symbol, 18, "USD.AI dollar")
        self.chain = chain
        self.symbol = symbol
        self.base = base
        self.scale: int = 10 ** (18 - base_dec)
        self.reserve = f"usdai:reserve:{symbol}"
        chain.protect_namespace("usdai", "USD.AI")  # engine accounts: never a user's sender
        self.admin_role = admin_role
        self.deposit_admin_role = deposit_admin_role
        self.bridge_role = bridge_role
        self.supply = _Supply(chain.journal, cap=cap, bridged=0)
        self._venues: dict[str, SwapVenue] = {}
        self._before_reserve_change: Callable[[str], object] | None = None
        chain.register(f"usdai/{symbol}", self.supply)

    # -- wiring -------------------------------------------------------------------------------
    def set_venue(self, token: str, venue: SwapVenue) -> None:
        """Setup: route deposits and withdrawals of ``token`` through ``venue`` (token <-> base)."""
        self.chain.ledger.token(token)
        self._venues[token] = venue

    def set_reserve_hook(self, settle: Callable[[str], object]) -> None:
        """Setup: called with the reserve account before its balance changes (yield settlement)."""
        self._before_reserve_change = settle

    def _touch_reserve(self) -> None:
        if self._before_reserve_change is not None:
            self._before_reserve_change(self.reserve)

    def _venue(self, token: str) -> SwapVenue:
        v = self._venues.get(token)
        if v is None:
            raise InvalidInput("usdai/unsupported-token", f"no swap venue for {token!r}")
        return v

    # -- views --------------------------------------------------------------------------------
    def total_supply(self) -> int:
        return self.chain.ledger.supply[self.symbol]

    def reserve_balance(self) -> int:
        """Base token held as backing (base units)."""
        return self.chain.ledger.balance_of(self.base, self.reserve)

    def backing_gap(self) -> int:
        """``reserve * scale - (supply + bridged)``: never negative (full backing)."""
        return self.reserve_balance() * self.scale - self.total_supply() - self.supply.bridged

    # -- actions ------------------------------------------------------------------------------
    @action
    def deposit(
        self, token: str, amount: int, min_usdai: int, recipient: str | None = None, *, sender: str
    ) -> int:
        """Mint USDai for ``amount`` of the base token or of a token with a venue."""
        amount = check_positive(amount, "amount", "usdai/bad-amount")
        min_usdai = check_amount(min_usdai, "min_usdai", "usdai/bad-amount")
        to = sender if recipient is None else _account(recipient)
        self._touch_reserve()
        if token == self.base:
            self.chain.ledger.transfer(self.base, sender, self.reserve, amount)
            base_in = amount
        else:
            venue = self._venue(token)
            base_in = venue.swap_exact_in(
                token, amount, ceil_div(min_usdai, self.scale), sender=sender,
                token_out=self.base, receiver=self.reserve,
            )  # fmt: skip
        usdai = base_in * self.scale
        if usdai < min_usdai:
            raise Slippage("usdai/slippage", f"{usdai} USDai < minimum {min_usdai}")
        if not self.chain.has_role(self.deposit_admin_role, sender):
            after = usdai + self.total_supply() + self.supply.bridged
            if after > self.supply.cap:
                raise LimitExceeded(
                    "credit/supply-cap-exceeded", f"supply would be {after} > cap {self.supply.cap}"
                )
        self.chain.ledger.mint(self.symbol, to, usdai)
        self.chain.emit(USDaiDeposited(token, amount, usdai, to))
        return usdai

    @action
    def withdraw(
        self, token: str, usdai: int, min_out: int, recipient: str | None = None, *, sender: str
    ) -> int:
        """Burn ``usdai`` and pay the base token (floor) or swap it to ``token``."""
        usdai = check_positive(usdai, "usdai", "usdai/bad-amount")
        min_out = check_amount(min_out, "min_out", "usdai/bad-amount")
        to = sender if recipient is None else _account(recipient)
        self.chain.ledger.burn(self.symbol, sender, usdai)
        self._touch_reserve()
        base_out = usdai // self.scale
        if base_out == 0:
            raise InvalidInput("usdai/zero-out", f"{usdai} USDai is below one base unit")
        if token == self.base:
            if base_out < min_out:
                raise Slippage("usdai/slippage", f"{base_out} < minimum {min_out}")
            self.chain.ledger.transfer(self.base, self.reserve, to, base_out)
            out = base_out
        else:
            with self.chain.engine_call(self.reserve):  # the reserve sells its base on the venue
                out = self._venue(token).swap_exact_in(
                    self.base, base_out, min_out, sender=self.reserve, token_out=token, receiver=to
                )
        self.chain.emit(USDaiWithdrawn(token, usdai, out, to))
        return out

    @action
    def set_cap(self, cap: int, *, sender: str) -> None:
        """Admin: the supply cap (deposits beyond it queue in the queued depositor)."""
        self.chain.require_role(self.admin_role, sender, "usdai/not-admin")
        self.supply.cap = check_amount(cap, "cap", "usdai/bad-amount")
        self.chain.emit(SupplyCapSet(cap))

    @action
    def bridge_out(self, account: str, amount: int, *, sender: str) -> None:
        """Bridge: burn here, to be minted on another chain."""
        self.chain.require_role(self.bridge_role, sender, "usdai/not-bridge")
        amount = check_positive(amount, "amount", "usdai/bad-amount")
        self.chain.ledger.burn(self.symbol, _account(account), amount)
        self.supply.bridged += amount
        self.chain.emit(Bridged(self.symbol, account, -amount))

    @action
    def bridge_in(self, account: str, amount: int, *, sender: str) -> None:
        """Bridge: mint here what was burned on another chain."""
        self.chain.require_role(self.bridge_role, sender, "usdai/not-bridge")
        amount = check_positive(amount, "amount", "usdai/bad-amount")
        if amount > self.supply.bridged:
            raise LimitExceeded(
                "usdai/exceeds-bridged", f"{amount} > bridged {self.supply.bridged}"
            )
        self.supply.bridged -= amount
        self.chain.ledger.mint(self.symbol, _account(account), amount)
        self.chain.emit(Bridged(self.symbol, account, amount))


def _account(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidInput("usdai/bad-account", f"an account is a non-empty string, got {value!r}")
    return value
