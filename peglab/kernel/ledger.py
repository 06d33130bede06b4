"""The ledger: every balance of every token, and each token's total supply, in one place.

Tokens are ERC-20-like (symbol, decimals) or internal accounting units (the CDP engine's internal
AI-dollar balance in rad, its bad debt, its joined collateral). Three primitives move value:
``mint`` (supply and a balance grow), ``burn`` (both shrink) and ``transfer``. Invariant, checked
by ``check_conservation``: per token, the sum of balances equals the supply. A zero balance is
stored as absent, so the state encoding is canonical.

Primitives trust their caller (a protocol) on authorisation; they refuse non-integer or negative
amounts and overdrafts with ``InvalidInput`` so a bug or bad input can never create value, and a
supply beyond 2^256 - 1 with ``Overflow`` (``ledger/overflow``), as an ERC-20 or the dss Vat
reverts. Every balance is at most its supply, so no balance passes 2^256 either. Who may call
the primitives with which accounts is the authorization model of docs/architecture.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InvalidInput, Overflow
from ..units import MAX_UINT256, show
from .state import Journal, Table

__all__ = ["Ledger", "Token"]


@dataclass(frozen=True, slots=True)
class Token:
    """A token known to the ledger. ``internal`` tokens are accounting units, not ERC-20s."""

    symbol: str
    decimals: int = 18
    name: str = ""
    internal: bool = False


class Ledger:
    """Balances and supplies of every token, journaled through the chain's journal."""

    __slots__ = ("_journal", "balances", "supply", "tokens")

    def __init__(self, journal: Journal) -> None:
        self._journal = journal
        self.tokens: Table[str, Token] = Table(journal)
        self.balances: Table[str, Table[str, int]] = Table(journal)
        self.supply: Table[str, int] = Table(journal)

    # -- tokens -------------------------------------------------------------------------------
    def create_token(
        self, symbol: str, decimals: int = 18, name: str = "", *, internal: bool = False
    ) -> Token:
        """Register a new token; symbols are unique."""
        if not isinstance(symbol, str) or not symbol:
            raise InvalidInput(
                "ledger/bad-symbol", f"token symbol must be a non-empty string, got {show(symbol)}"
            )
        if symbol in self.tokens:
            raise InvalidInput("ledger/token-exists", f"token {symbol} already exists")
        if type(decimals) is not int or not 0 <= decimals <= 45:
            raise InvalidInput(
                "ledger/bad-decimals", f"decimals must be an int in [0, 45], got {show(decimals)}"
            )
        token = Token(symbol, decimals, name or symbol, internal)
        self.tokens[symbol] = token
        self.balances[symbol] = Table(self._journal)
        self.supply[symbol] = 0
        return token

    def token(self, symbol: str) -> Token:
        """The token with this symbol, or ``InvalidInput ledger/unknown-token``."""
        try:
            return self.tokens[symbol]
        except (KeyError, TypeError):
            raise InvalidInput(
                "ledger/unknown-token",
                f"unknown token {show(symbol)}; known: {', '.join(sorted(self.tokens))}",
            ) from None

    def _book(self, symbol: str) -> Table[str, int]:
        book = self.balances.get(symbol)
        if book is None:
            self.token(symbol)  # raises the readable error
        assert book is not None
        return book

    # -- reads --------------------------------------------------------------------------------
    def balance_of(self, symbol: str, account: str) -> int:
        """Balance of ``account`` in base units (0 if none)."""
        book = self.balances.get(symbol)  # ``_book`` inlined: the most frequent read
        return self._book(symbol).get(account, 0) if book is None else book.get(account, 0)

    def total_supply(self, symbol: str) -> int:
        """Total supply in base units."""
        self._book(symbol)
        return self.supply[symbol]

    # -- primitives ---------------------------------------------------------------------------
    def mint(self, symbol: str, to: str, amount: int) -> None:
        """Create ``amount`` of ``symbol`` in ``to``'s balance."""
        _check(amount)
        book = self._book(symbol)
        if amount:
            supply = self.supply[symbol] + amount
            if supply > MAX_UINT256:
                raise Overflow("ledger/overflow", f"{symbol} supply would pass 2^256 - 1")
            book[to] = book.get(to, 0) + amount
            self.supply[symbol] = supply

    def burn(self, symbol: str, frm: str, amount: int) -> None:
        """Destroy ``amount`` of ``symbol`` from ``frm``'s balance."""
        _check(amount)
        book = self._book(symbol)
        if amount:
            _debit(book, symbol, frm, amount)
            self.supply[symbol] -= amount

    def transfer(self, symbol: str, frm: str, to: str, amount: int) -> None:
        """Move ``amount`` of ``symbol`` from ``frm`` to ``to``."""
        if type(amount) is not int or amount < 0:
            _check(amount)  # raises
        book = self.balances.get(symbol)  # ``_book`` inlined: the most frequent write
        if book is None:
            book = self._book(symbol)  # raises the readable error
        if amount and frm != to:
            _debit(book, symbol, frm, amount)
            book[to] = book.get(to, 0) + amount
        elif amount and book.get(frm, 0) < amount:
            _debit(book, symbol, frm, amount)  # raises: self-transfer still needs the balance

    # -- invariants ---------------------------------------------------------------------------
    def conservation_errors(self) -> dict[str, tuple[int, int]]:
        """Tokens whose balances do not sum to their supply: ``{symbol: (sum, supply)}``."""
        bad: dict[str, tuple[int, int]] = {}
        for symbol, book in self.balances.items():
            total = sum(book.values())
            if total != self.supply[symbol] or any(v < 0 for v in book.values()):
                bad[symbol] = (total, self.supply[symbol])
        return bad


def _check(amount: int) -> None:
    if type(amount) is not int or amount < 0:
        raise InvalidInput(
            "ledger/bad-amount", f"amount must be a non-negative integer, got {show(amount)}"
        )


def _debit(book: Table[str, int], symbol: str, frm: str, amount: int) -> None:
    bal = book.get(frm, 0)
    if bal < amount:
        raise InvalidInput(
            "ledger/insufficient-balance", f"{frm} holds {bal} {symbol} base units, needs {amount}"
        )
    if bal == amount:
        del book[frm]
    else:
        book[frm] = bal - amount
