"""sAID: the NAV vault over AID that carries Gaib's GPU deals, with 30-day withdrawal cycles.

Built on the ERC-4626/ERC-7540 base of ``peglab.protocols.vaults`` (public extension surface
only): deposits are synchronous at the **deposit NAV**; redemptions are asynchronous requests
whose request id is the cycle they were made in, filled at the cycle's one **withdrawal NAV**.

    deposit assets    = free AID + Σ deal principal + Σ accrued deal income net of fees - Σ write-downs
    withdrawal assets = free AID + Σ deal principal - Σ write-downs      (income only when received)
    withdrawal NAV    = floor(withdrawal assets * 1e18 / total shares)   (escrowed shares included)

``free AID`` is the vault account's AID less what is reserved for processed but unclaimed
redemptions (the base's ``free_assets``). Write-downs also lower the deposit NAV (decision in
docs/gaib.md §3: new depositors never buy impaired principal at par).

Cycles: cycle ``c`` runs ``[G + 30 d * c, G + 30 d * (c + 1))`` from the vault's genesis ``G``;
requests are taken in its first 7 days only. ``process_cycle`` (anyone, once the cycle has ended,
cycles in order) fixes the withdrawal NAV once, takes the liquidity ``L = free AID - floor``
where the floor is ``ceil(10% of withdrawal assets)`` (the Treasury buffer), and fills pending
requests with ``cycles.allocate`` (older cycles first; pro-rata or FIFO). Filled shares are burnt
and their AID reserved for the owner's claim (ERC-7540 ``redeem``/``withdraw``); unfilled shares
stay pending with their cycle, so the next cycle serves them first.

The liquidity sources of the published order (undeployed cash, maturing deals, new deposits, cash
interest, the Treasury buffer) all arrive as AID in the vault account (deal repayments and
interest through the deal book, deposits, the reserve's T-bill yield through ``Aid.harvest``);
the floor keeps the buffer.
"""

from __future__ import annotations

from typing import Literal

from ...errors import InvalidInput, LimitExceeded
from ...kernel import Chain, Record, Table, action, query
from ...units import BPS, DAY, WAD
from ..vaults.interfaces import AsyncConfig, AsyncVault, VaultConfig
from .cycles import MODES, PRO_RATA, Pending, allocate
from .deals import DealBook
from .events import CycleProcessed

__all__ = ["CYCLE_S", "WINDOW_S", "SaidVault"]

CYCLE_S = 30 * DAY
WINDOW_S = 7 * DAY


class SaidState(Record):
    """Cycle bookkeeping of the vault."""

    __slots__ = ("buffer_floor_bps", "genesis", "mode", "next_cycle", "next_seq")
    genesis: int
    next_cycle: int  # the oldest cycle not processed yet
    next_seq: int
    mode: str
    buffer_floor_bps: int


class SaidVault(AsyncVault):
    """sAID over AID; ``book`` is the deal book whose fund account is this vault's account."""

    def __init__(
        self,
        chain: Chain,
        asset: str = "AID",
        share: str = "sAID",
        *,
        mode: str = PRO_RATA,
        buffer_floor_bps: int = 1000,
    ) -> None:
        if mode not in MODES:
            raise InvalidInput("gaib/bad-mode", f"mode must be one of {MODES}, got {mode!r}")
        if type(buffer_floor_bps) is not int or not 0 <= buffer_floor_bps <= BPS:
            raise InvalidInput("gaib/bad-value", "buffer floor must be in [0, 10000] bps")
        super().__init__(
            chain,
            asset,
            share,
            config=VaultConfig(),
            async_config=AsyncConfig(async_deposit=False, async_redeem=True, cancellable="none"),
            name="staked AI dollar",
        )
        self.deal_book: DealBook | None = None
        self.said = SaidState(
            chain.journal,
            genesis=chain.now,
            next_cycle=0,
            next_seq=1,
            mode=mode,
            buffer_floor_bps=buffer_floor_bps,
        )
        # (cycle, controller) -> arrival sequence of its first request (FIFO order)
        self.arrivals: Table[tuple[int, str], int] = Table(chain.journal)
        self.cycle_nav: Table[int, int] = Table(chain.journal)
        chain.register(f"gaib/{share}/cycles", self.said)
        chain.register(f"gaib/{share}/arrivals", self.arrivals)
        chain.register(f"gaib/{share}/cycle-nav", self.cycle_nav)

    def attach(self, book: DealBook) -> None:
        """Wire the deal book (setup, once): its fund account must be this vault's account."""
        if book.fund != self.account or book.asset != self.asset or self.deal_book is not None:
            raise InvalidInput("gaib/bad-book", "the deal book must fund from this vault, once")
        self.deal_book = book
        book.bind_fund(self)  # the book lends free AID only, never AID reserved for claims

    # -- NAV ----------------------------------------------------------------------------------
    def withdrawal_assets(self) -> int:
        """Free AID plus deal principal after write-downs (no unreceived income)."""
        b = self.deal_book
        deals = 0 if b is None else b.principal_wad() - b.writedown_wad()
        return self.free_assets() + deals

    def total_assets(self) -> int:
        """Deposit-side assets: withdrawal assets plus accrued deal income net of fees."""
        b = self.deal_book
        return self.withdrawal_assets() + (0 if b is None else b.accrued_income_net_wad())

    def withdrawal_nav_wad(self) -> int:
        """AID per share at the withdrawal NAV (floor: the holders who stay are not diluted)."""
        supply = self.total_supply()
        return WAD if supply == 0 else self.withdrawal_assets() * WAD // supply

    def deposit_nav_wad(self) -> int:
        """AID per share at the deposit NAV (informational; deposits use the ERC-4626 price)."""
        supply = self.total_supply()
        return WAD if supply == 0 else self.total_assets() * WAD // supply

    # -- cycles -------------------------------------------------------------------------------
    @query
    def cycle_of(self, t: int) -> int:
        return (t - self.said.genesis) // CYCLE_S

    @query
    def cycle_end(self, cycle: int) -> int:
        return self.said.genesis + (cycle + 1) * CYCLE_S

    @query
    def request_id_for(self, direction: Literal["deposit", "redeem"]) -> int:
        """A redemption's id is its cycle; requests are refused outside the 7-day window."""
        now = self.chain.now
        cycle = self.cycle_of(now)
        opens = self.said.genesis + cycle * CYCLE_S
        if now - opens >= WINDOW_S:
            raise LimitExceeded(
                "gaib/window-closed",
                f"requests are taken in the first 7 days of a cycle; next window opens at {opens + CYCLE_S}",
            )
        return cycle

    @action
    def request_redeem(self, shares: int, controller: str, owner: str, *, sender: str) -> int:
        """Escrow ``shares`` for the current cycle (ERC-7540); FIFO order is the first arrival."""
        rid: int = super().request_redeem(shares, controller, owner, sender=sender)
        key = (rid, controller)
        if key not in self.arrivals:
            self.arrivals[key] = self.said.next_seq
            self.said.next_seq += 1
        return rid

    def pending_requests(self) -> list[tuple[int, str, int]]:
        """``(cycle, controller, pending shares)`` of every open request, by priority."""
        out = []
        for (cycle, controller), _ in sorted(
            self.arrivals.items(), key=lambda kv: (kv[0][0], kv[1])
        ):
            p = self.pending_redeem_request(cycle, controller)
            if p:
                out.append((cycle, controller, p))
        return out

    def liquidity_wad(self) -> int:
        """Free AID above the buffer floor (ceil of ``buffer_floor_bps`` of withdrawal assets)."""
        floor_ = -((-self.withdrawal_assets() * self.said.buffer_floor_bps) // BPS)
        return max(self.free_assets() - floor_, 0)

    @action
    def process_cycle(self, *, sender: str) -> CycleProcessed:
        """Anyone, after the oldest unprocessed cycle has ended: fill its requests at one NAV."""
        st = self.said
        cycle = st.next_cycle
        if self.chain.now < self.cycle_end(cycle):
            raise LimitExceeded(
                "gaib/cycle-open",
                f"cycle {cycle} ends at {self.cycle_end(cycle)}, now {self.chain.now}",
            )
        nav = self.withdrawal_nav_wad()
        liquidity = self.liquidity_wad()
        seq = {k: v for k, v in self.arrivals.items() if k[0] <= cycle}
        pending = [
            Pending(s, c, self.pending_redeem_request(c, who))
            for (c, who), s in seq.items()
            if self.pending_redeem_request(c, who)
        ]
        by_seq = {s: k for k, s in seq.items()}
        filled = paid = 0
        for f in allocate(pending, liquidity, nav, st.mode):
            if f.paid_wad == 0:
                continue  # a fill worth no AID stays pending
            c, who = by_seq[f.request]
            self.settle_redeem(c, who, f.shares, f.paid_wad)
            filled += f.shares
            paid += f.paid_wad
        for k in [k for k in seq if not self.pending_redeem_request(*k)]:
            del self.arrivals[k]  # fully filled: no longer queued
        rolled = sum(p.shares for p in pending) - filled
        self.cycle_nav[cycle] = nav
        st.next_cycle = cycle + 1
        ev = CycleProcessed(cycle, nav, liquidity, filled, paid, rolled)
        self.chain.emit(ev)
        return ev
