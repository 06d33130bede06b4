"""What the buffer's two auctions share (flop.py, flap.py): parameters, bids, wiring to the buffer."""

from __future__ import annotations

from typing import ClassVar, Generic, TypeVar

from ...errors import InvalidInput, ShutDown
from ...kernel import Chain, Record, Table, query
from .accounts import InstanceAccounts
from .interfaces import BufferLike, JoinsLike, VatLike

__all__ = ["AuctionParams", "BufferAuctions"]

B = TypeVar("B", bound=Record)


class AuctionParams(Record):
    """Bid increment ``beg`` [wad], lot growth ``pad`` [wad], bid life ``ttl``, auction life ``tau``."""

    __slots__ = ("beg_wad", "kicks", "pad_wad", "tau_s", "ttl_s")
    beg_wad: int
    pad_wad: int
    ttl_s: int
    tau_s: int
    kicks: int


class BufferAuctions(Generic[B]):
    """Auctions the system buffer starts: ``kind`` names them in errors and registered state
    (``cdp/<SYM>/vow/<kind>-params`` and ``cdp/<SYM>/vow/<kind>s``)."""

    kind: ClassVar[str] = ""  # "flop" or "flap"
    noun: ClassVar[str] = ""  # "debt auction" or "surplus auction"
    defaults: ClassVar[dict[str, int]] = {}  # beg_wad, pad_wad, ttl_s, tau_s at launch

    def __init__(
        self,
        chain: Chain,
        accounts: InstanceAccounts,
        vat: VatLike,
        joins: JoinsLike,
        gov_token: str = "GOV",
    ) -> None:
        if gov_token not in chain.ledger.tokens:
            chain.ledger.create_token(gov_token, 18, "governance token")
        params = AuctionParams(chain.journal, kicks=0, **self.defaults)
        self.chain = chain
        self.accounts = accounts
        self.symbol = accounts.symbol
        self.vat = vat
        self.joins = joins
        self.gov_token = gov_token
        self.vow: BufferLike | None = None  # set by ``set_vow``
        self.params = params
        self.bids: Table[int, B] = Table(chain.journal)
        chain.register(f"cdp/{self.symbol}/vow/{self.kind}-params", params)
        chain.register(f"cdp/{self.symbol}/vow/{self.kind}s", self.bids)

    def set_vow(self, vow: BufferLike) -> None:
        """Wire the buffer that starts these auctions and is told of their results."""
        self.vow = vow

    def _buffer(self) -> BufferLike:
        """The wired buffer, refusing every action once it is shut down."""
        if self.vow is None or not self.vow.live:
            raise ShutDown("cdp/not-live", f"{self.symbol} is shut down")
        return self.vow

    @query
    def bid(self, fid: int) -> B:
        b = self.bids.get(fid) if type(fid) is int else None
        if b is None:
            raise InvalidInput("cdp/unknown-auction", f"no {self.noun} {fid!r}")
        return b

    def _next_id(self) -> int:
        self.params.kicks += 1
        return self.params.kicks
