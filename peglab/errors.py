"""One exception tree for every refusal in peglab, each error with a short code such as ``cdp/not-safe``.

Callers catch a class (``Unsafe``, ``LimitExceeded``, ...) or read ``.code``. Messages say what
was wrong and, where it helps, what to do. A refused action never changes state: the kernel
rolls its transaction back before the error reaches the caller.
"""

from __future__ import annotations

__all__ = [
    "InvalidInput",
    "LimitExceeded",
    "NotAuthorized",
    "Overflow",
    "PeglabError",
    "Reentered",
    "ShutDown",
    "Slippage",
    "StalePrice",
    "Unsafe",
]


class PeglabError(Exception):
    """Root of every peglab error. ``code`` is ``<module>/<kebab-reason>``."""

    kind = "error"

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    def __reduce__(self) -> tuple[object, ...]:
        """Pickle as ``(code, message)`` plus attributes (notes), so an error raised in a worker
        process reaches the parent as itself, not as a broken pool."""
        return (type(self), (self.code, self.message), dict(self.__dict__))


class InvalidInput(PeglabError):
    """Bad amount, unknown id, malformed configuration or parameter."""

    kind = "invalid-input"


class NotAuthorized(PeglabError):
    """The sender lacks the ownership, approval or role the action needs."""

    kind = "not-authorized"


class Unsafe(PeglabError):
    """The action would leave a position below its collateral ratio or dusty."""

    kind = "unsafe"


class LimitExceeded(PeglabError):
    """A ceiling, cap, queue or liquidation limit would be exceeded."""

    kind = "limit-exceeded"


class StalePrice(PeglabError):
    """A price the action needs is stale, missing or invalid."""

    kind = "stale-price"


class Slippage(PeglabError):
    """The result is worse than the caller's bound (minimum out, maximum price, deadline)."""

    kind = "slippage"


class ShutDown(PeglabError):
    """The system, module or market is paused, killed or shut down."""

    kind = "shut-down"


class Overflow(LimitExceeded):
    """A value would leave the width the reference contract stores it in (uint256 or narrower):
    the contract reverts there, and so does peglab."""

    kind = "overflow"


class Reentered(PeglabError):
    """An action was called on a contract object while one of its non-reentrant actions is
    still running (dss's ``lock``, Uniswap v2's ``LOCKED``): a callback tried to re-enter it."""

    kind = "reentered"
