"""Queue-extractable value (QEV): an optional priority auction over sUSDai's redemption queue.

USD.AI designed QEV (holders bid for queue priority; the fees go to the holders who stay) but
has not shipped it; this module is peglab's restatement of the design [O] (docs/usdai.md §4.7):

* a controller attaches a bid in bps to one of its pending sUSDai redemption requests
  (``bid``; 0 means no bid; bids may be changed until the request is filled);
* once per 30-day epoch (sUSDai's redemption windows), after the epoch's window boundary, the
  strategy admin settles (``settle_epoch``): every matured request with pending shares is ranked
  by bid (highest first), then FIFO (request id); requests are filled in that order at the
  current redemption price, rounded down, as far as sUSDai's idle USDai allows (the last one may
  fill partly);
* the clearing bid is the LOWEST bid among the filled requests, and every filled request pays it
  (a uniform price): ``fee = ceil(gross * clearing_bps / 1e4)``, rounded up for the vault; the
  holder's claim is ``gross - fee`` and the fee stays in sUSDai's idle balance, so it raises the
  NAV of the holders who stay;
* what is not filled rolls to the next epoch with its bid and its FIFO place; FIFO servicing
  (``service_redemptions``) still works beside it and skips what QEV filled.

Invariants (tests/test_usdai_qev.py, with canaries): one settlement per epoch; no unfilled
matured request outranks a filled one; every fill pays the clearing bid; the redemption price of
the holders who stay never falls at a settlement.
"""

from __future__ import annotations

from ...errors import InvalidInput, LimitExceeded, NotAuthorized
from ...kernel import Chain, Record, Table, action, query
from ...math.fixedpoint import ceil_div
from ...units import BPS, WAD, check_amount
from .events import QevBid, QevSettled
from .staked import REDEMPTION_WINDOW, StakedUSDai

__all__ = ["MAX_BID_BPS", "QevAuction", "QevFill"]

MAX_BID_BPS = 1_000  # [O] a bid above 10% of the claim is refused as a likely input error


class _QevState(Record):
    __slots__ = ("last_epoch",)
    last_epoch: int  # the last epoch settled (-1: none)


class QevFill(Record):
    """One request's fill at one settlement (kept for the audit trail and the invariants)."""

    __slots__ = ("bid_bps", "clearing_bps", "epoch", "fee", "gross", "shares")
    epoch: int
    shares: int
    gross: int
    fee: int
    bid_bps: int
    clearing_bps: int


class QevAuction:
    """The QEV layer of one sUSDai vault (module docstring)."""

    def __init__(self, chain: Chain, staked: StakedUSDai, *, name: str = "sUSDai") -> None:
        self.chain = chain
        self.staked = staked
        self.state = _QevState(chain.journal, last_epoch=-1)
        self.bids: Table[int, int] = Table(chain.journal)  # request id -> bid bps
        self.fills: Table[tuple[int, int], QevFill] = Table(chain.journal)  # (epoch, id) -> fill
        chain.register(f"usdai/{name}/qev", self.state)
        chain.register(f"usdai/{name}/qev/bids", self.bids)
        chain.register(f"usdai/{name}/qev/fills", self.fills)

    def epoch(self) -> int:
        """The current epoch: whole redemption windows since sUSDai's genesis (-1 before it)."""
        now, g = self.chain.now, self.staked.cfg.genesis
        return -1 if now < g else (now - g) // REDEMPTION_WINDOW

    @query
    def pending_of(self, request_id: int) -> int:
        """Shares of ``request_id`` still pending (0 for an unknown id)."""
        entry = self.staked.maturity.get(request_id)
        if entry is None:
            return 0
        return self.staked.pending_redeem_request(request_id, entry[0])

    def ranking(self) -> list[int]:
        """Matured requests with pending shares, in fill order: bid high to low, then FIFO."""
        st, now = self.staked, self.chain.now
        ids = [r for r, (_, when) in st.maturity.items() if when < now and self.pending_of(r)]
        return sorted(ids, key=lambda r: (-self.bids.get(r, 0), r))

    @action
    def bid(self, request_id: int, bid_bps: int, *, sender: str) -> None:
        """The request's controller (or its operator) sets its priority bid in bps."""
        entry = self.staked.maturity.get(request_id)
        if entry is None or self.pending_of(request_id) == 0:
            raise InvalidInput("usdai/unknown-request", f"no pending redemption {request_id!r}")
        controller = entry[0]
        if sender != controller and not self.staked.is_operator(controller, sender):
            raise NotAuthorized("usdai/not-controller", f"{sender} does not control {request_id}")
        bid_bps = check_amount(bid_bps, "bid_bps", "usdai/bad-bid")
        if bid_bps > MAX_BID_BPS:
            raise InvalidInput("usdai/bad-bid", f"bid {bid_bps} bps > {MAX_BID_BPS}")
        self.bids[request_id] = bid_bps
        self.chain.emit(QevBid(request_id, controller, bid_bps))

    @action
    def settle_epoch(self, *, sender: str) -> int:
        """Strategy admin, once per epoch: fill by rank, charge the clearing bid; returns the
        USDai the filled holders may claim."""
        st = self.staked
        self.chain.require_role(st.cfg.strategy_role, sender, "usdai/not-strategy-admin")
        epoch = self.epoch()
        if epoch <= self.state.last_epoch:
            raise LimitExceeded("usdai/qev-settled", f"epoch {epoch} is already settled")
        price = st.redemption_price()
        left = st.idle_balance()
        plan: list[tuple[int, str, int, int]] = []  # (id, controller, shares, gross)
        for rid in self.ranking() if price else ():
            pending = self.pending_of(rid)
            gross = pending * price // WAD  # down: the vault keeps the dust
            shares = pending
            if gross > left:  # a partial fill: the shares the rest of the liquidity buys
                shares = left * WAD // price
                gross = shares * price // WAD
            if shares == 0:
                break
            plan.append((rid, st.maturity[rid][0], shares, gross))
            left -= gross
            if shares < pending:
                break
        clearing = min((self.bids.get(r, 0) for r, *_ in plan), default=0)
        paid = fees = filled = 0
        for rid, controller, shares, gross in plan:
            fee = ceil_div(gross * clearing, BPS)  # up: the staying holders' side
            st.settle_redeem(rid, controller, shares, gross - fee)
            self.fills[(epoch, rid)] = QevFill(self.chain.journal, epoch=epoch, shares=shares,
                                               gross=gross, fee=fee, bid_bps=self.bids.get(rid, 0),
                                               clearing_bps=clearing)  # fmt: skip
            paid += gross - fee
            fees += fee
            filled += shares
        self.state.last_epoch = epoch
        rolled = len(self.ranking())
        self.chain.emit(QevSettled(epoch, filled, paid, fees, clearing, price, rolled))
        return paid
