"""The queued depositor: FIFO queues of deposits waiting for USDai supply-cap room (docs/usdai.md §3).

Restated from USD.AI's ``USDaiQueuedDepositor.sol``. Per (queue type, token), a FIFO list of
items ``{depositor, recipient, pending}`` with a head index. Depositing pulls the token and mints
a 1:1 receipt (``qUSDai`` for the deposit queue, ``qsUSDai`` for deposit-and-stake), scaled to 18
decimals, to the recipient. ``service(count)`` by the queue admin takes the first ``count`` items
from the head (optionally clamped to ``max_service``), converts their total in one USDai deposit
(minimum ``scale * (total - total * slippage)``), stakes it for the deposit-and-stake queue, and
pays each item ``serviced * converted // total_serviced`` (floor; the dust stays in the queue
account) while burning the same receipts; a partly serviced head item stays at the head.
"""

from __future__ import annotations

from typing import Literal

from ...errors import InvalidInput, LimitExceeded, Slippage
from ...kernel import Chain, Record, Table, action, query
from ...units import WAD, check_amount, check_positive
from .events import QueueDeposited, QueueServiced, QueueTokenSet
from .interfaces import StakedLike, USDaiLike

__all__ = ["QueueItem", "QueueType", "QueuedDepositor"]

QueueType = Literal["deposit", "deposit-and-stake"]
QUEUE_TYPES: tuple[QueueType, ...] = ("deposit", "deposit-and-stake")


class QueueItem(Record):
    __slots__ = ("depositor", "pending", "recipient")
    depositor: str
    recipient: str
    pending: int


class _Queue(Record):
    __slots__ = ("head", "length", "pending")
    head: int
    length: int
    pending: int


class QueuedDepositor:
    """FIFO deposit queues in front of USDai (and sUSDai for deposit-and-stake)."""

    def __init__(
        self,
        chain: Chain,
        usdai: USDaiLike,
        staked: StakedLike,
        *,
        admin_role: str = "usdai/queue-admin",
    ) -> None:
        self.chain = chain
        self.usdai = usdai
        self.staked = staked
        self.admin_role = admin_role
        self.account = "usdai:queued-depositor"
        self.receipts: dict[QueueType, str] = {"deposit": "qUSDai", "deposit-and-stake": "qsUSDai"}
        for sym in self.receipts.values():
            chain.ledger.create_token(sym, 18, f"queued {sym[1:]}")
        self.min_amounts: Table[str, int] = Table(chain.journal, [(usdai.base, 0)])
        self.queues: Table[tuple[str, str], _Queue] = Table(chain.journal)
        self.items: Table[tuple[str, str, int], QueueItem] = Table(chain.journal)
        chain.register("usdai/queue/tokens", self.min_amounts)
        chain.register("usdai/queue/queues", self.queues)
        chain.register("usdai/queue/items", self.items)

    def _scale(self, token: str) -> int:
        scale: int = 10 ** (18 - self.chain.ledger.token(token).decimals)
        return scale

    def _queue_type(self, value: object) -> QueueType:
        for q in QUEUE_TYPES:
            if value == q:
                return q
        raise InvalidInput(
            "usdai/bad-queue", f"queue type must be deposit|deposit-and-stake, got {value!r}"
        )

    def queue(self, queue_type: QueueType, token: str) -> tuple[int, int, int]:
        """``(head, length, pending)`` of one queue (zeros if it never existed)."""
        q = self.queues.get((queue_type, token))
        return (q.head, q.length, q.pending) if q else (0, 0, 0)

    @query
    def item(self, queue_type: QueueType, token: str, index: int) -> QueueItem | None:
        return self.items.get((queue_type, token, index))

    @action
    def set_token(self, token: str, min_amount: int, *, sender: str) -> None:
        """Admin: accept ``token`` (it needs a USDai venue) with a per-deposit minimum."""
        self.chain.require_role(self.admin_role, sender, "usdai/not-queue-admin")
        self.chain.ledger.token(token)
        self.min_amounts[token] = check_amount(min_amount, "min_amount", "usdai/bad-amount")
        self.chain.emit(QueueTokenSet(token, min_amount))

    @action
    def deposit(
        self,
        queue_type: QueueType,
        token: str,
        amount: int,
        recipient: str | None = None,
        *,
        sender: str,
    ) -> int:
        """Join the queue with ``amount`` of ``token``; returns the item index."""
        qt = self._queue_type(queue_type)
        amount = check_positive(amount, "amount", "usdai/bad-amount")
        minimum = self.min_amounts.get(token)
        if minimum is None:
            raise InvalidInput("usdai/unsupported-token", f"{token!r} is not accepted by the queue")
        if amount < minimum:
            raise LimitExceeded("usdai/below-minimum", f"{amount} < minimum {minimum} for {token}")
        to = sender if recipient is None else recipient
        if not isinstance(to, str) or not to:
            raise InvalidInput("usdai/bad-account", f"bad recipient {recipient!r}")
        self.chain.ledger.transfer(token, sender, self.account, amount)
        q = self.queues.get((qt, token))
        if q is None:
            q = _Queue(self.chain.journal, head=0, length=0, pending=0)
            self.queues[(qt, token)] = q
        index = q.length
        self.items[(qt, token, index)] = QueueItem(
            self.chain.journal, depositor=sender, recipient=to, pending=amount
        )
        q.length += 1
        q.pending += amount
        self.chain.ledger.mint(self.receipts[qt], to, amount * self._scale(token))
        self.chain.emit(QueueDeposited(qt, token, index, sender, to, amount))
        return index

    @action
    def service(
        self,
        queue_type: QueueType,
        token: str,
        count: int,
        max_service: int = 0,
        slippage_wad: int = 0,
        *,
        sender: str,
    ) -> int:
        """Admin: convert the first ``count`` items in one deposit and pay them pro rata."""
        self.chain.require_role(self.admin_role, sender, "usdai/not-queue-admin")
        qt = self._queue_type(queue_type)
        count = check_positive(count, "count", "usdai/bad-amount")
        max_service = check_amount(max_service, "max_service", "usdai/bad-amount")
        slippage_wad = check_amount(slippage_wad, "slippage_wad", "usdai/bad-amount")
        if slippage_wad > WAD:
            raise InvalidInput("usdai/bad-amount", f"slippage {slippage_wad} > 1e18")
        q = self.queues.get((qt, token))
        if q is None or q.pending == 0:
            raise InvalidInput("usdai/empty-queue", f"nothing queued in {qt}/{token}")
        end = min(q.head + count, q.length)
        total = sum(self.items[(qt, token, i)].pending for i in range(q.head, end))
        if max_service:
            total = min(total, max_service)
        scale = self._scale(token)
        min_usdai = scale * (total - total * slippage_wad // WAD)
        with self.chain.engine_call(self.account):  # the depositor converts what it holds
            converted = self.usdai.deposit(
                token, total, min_usdai, self.account, sender=self.account
            )
            if qt == "deposit-and-stake":
                converted = self.staked.deposit(converted, self.account, sender=self.account)
            if converted == 0:
                raise Slippage("usdai/zero-shares", "the staked deposit minted no shares")
        out_token = self.usdai.symbol if qt == "deposit" else self.staked.share
        left = total
        head = q.head
        while left:
            it = self.items[(qt, token, head)]
            serviced = min(it.pending, left)
            pay = serviced * converted // total
            self.chain.ledger.burn(self.receipts[qt], it.recipient, scale * serviced)
            it.pending -= serviced
            left -= serviced
            self.chain.ledger.transfer(out_token, self.account, it.recipient, pay)
            if it.pending == 0:
                head += 1
        q.head = head
        q.pending -= total
        self.chain.emit(QueueServiced(qt, token, total, converted, head))
        return converted
