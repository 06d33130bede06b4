"""The system buffer (dss Vow) with its debt auction (dss Flop) and surplus sinks (dss Flap, treasury).

    fess(tab): sin[now] += tab ; Sin += tab              bad debt from a liquidation is queued
    flog(era): require era + wait <= now ; Sin -= sin[era]  after ``wait`` it is free to be healed
    heal(rad): rad <= dai[vow] and rad <= sin[vow] - Sin - Ash ; cancel dai against sin
    free debt = sin[vow] - Sin - Ash ;  surplus = dai[vow]

Recapitalisation waterfall [O] (cdp.md §9), each step a separate action anyone may call:
  1. ``heal`` against the surplus buffer (fees and penalties in ``dai[vow]``);
  2. ``cover``: the project's backstop fund (AI dollars posted with ``fund_backstop``) pays the
     rest of the free debt, then heals;
  3. ``flop``: a reverse auction sells ``dump`` governance tokens for ``sump`` AI dollars; bids
     lower the lot by ``beg``; an un-bid auction is re-opened with the lot times ``pad``; the
     winner is minted the governance token; the first bid's AI dollars heal ``Ash`` (``kiss``);
  4. ``recap_status`` advises shutdown when free debt exceeds ``recap_limit`` or three debt
     auctions went un-bid.
Surplus above ``hump`` (``dai[vow] >= sin[vow] + bump + hump`` and no free debt) leaves in lots
of ``bump`` to the sink chosen at launch: ``buy_and_burn`` (a flap auction: bidders pay rising
governance-token bids for the lot, the tokens are burnt), ``treasury`` or ``fees_to_voters``
(the lot is paid as AI-dollar tokens to ``sink_account``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...errors import InvalidInput, ShutDown
from ...kernel import Record, Table, action
from ...math import ceil_div
from ...units import DAY, HOUR, RAD, RAY, WAD, check_amount, check_positive
from .events import (
    BufferChanged,
    DebtAuctionChanged,
    ParameterChanged,
    SurplusAuctionChanged,
)
from .payments import collect_dai, pay_dai

if TYPE_CHECKING:
    from ...kernel import Chain
    from .instance import AIDollar

__all__ = ["FlapBid", "FlopBid", "RecapStatus", "SystemBuffer", "VowState"]

SINKS = ("buy_and_burn", "treasury", "fees_to_voters")


class VowState(Record):
    """Queued debt ``Sin``, debt on auction ``Ash`` [rad], and the buffer's parameters."""

    __slots__ = (
        "ash_rad",
        "bump_rad",
        "dump_wad",
        "flop_resets",
        "hump_rad",
        "live",
        "recap_limit_rad",
        "sin_queued_rad",
        "sink",
        "sink_account",
        "sump_rad",
        "wait_s",
    )
    sin_queued_rad: int
    ash_rad: int
    wait_s: int
    hump_rad: int
    bump_rad: int
    sump_rad: int
    dump_wad: int
    sink: str
    sink_account: str
    recap_limit_rad: int
    flop_resets: int
    live: bool


class AuctionParams(Record):
    """Bid increment ``beg`` [wad], lot growth ``pad`` [wad], bid life ``ttl``, auction life ``tau``."""

    __slots__ = ("beg_wad", "kicks", "pad_wad", "tau_s", "ttl_s")
    beg_wad: int
    pad_wad: int
    ttl_s: int
    tau_s: int
    kicks: int


class FlopBid(Record):
    """A debt auction: ``bid`` AI dollars [rad] for ``lot`` governance tokens [wad]."""

    __slots__ = ("bid_rad", "end", "guy", "lot_wad", "tic")
    bid_rad: int
    lot_wad: int
    guy: str
    tic: int
    end: int


class FlapBid(Record):
    """A surplus auction: ``lot`` AI dollars [rad] for ``bid`` governance tokens [wad]."""

    __slots__ = ("bid_wad", "end", "guy", "lot_rad", "tic")
    bid_wad: int
    lot_rad: int
    guy: str
    tic: int
    end: int


@dataclass(frozen=True, slots=True)
class RecapStatus:
    """Where the instance stands in the recapitalisation waterfall."""

    surplus_rad: int
    sin_rad: int
    queued_rad: int
    on_auction_rad: int
    free_debt_rad: int
    backstop_wad: int
    recap_limit_rad: int
    flop_resets: int
    shutdown_advised: bool


class SystemBuffer:
    """dss Vow + Flop + Flap for one instance; the buffer's balances live in ``inst.vow_account``."""

    PARAMS = (
        "wait",
        "hump",
        "bump",
        "sump",
        "dump",
        "sink",
        "sink_account",
        "recap_limit",
        "flop_beg",
        "flop_pad",
        "flop_ttl",
        "flop_tau",
        "flap_beg",
        "flap_ttl",
        "flap_tau",
    )

    def __init__(self, inst: AIDollar, line_rad: int, gov_token: str = "GOV") -> None:
        self.inst = inst
        self.chain: Chain = inst.chain
        sym = inst.symbol
        self.account = inst.vow_account
        self.backstop = f"{sym}:backstop"
        self.flop_account = f"{sym}:flop"
        self.flap_account = f"{sym}:flap"
        self.gov_token = gov_token
        if gov_token not in self.chain.ledger.tokens:
            self.chain.ledger.create_token(gov_token, 18, "governance token")
        j = self.chain.journal
        self.state = VowState(
            j,
            sin_queued_rad=0,
            ash_rad=0,
            wait_s=4 * HOUR,
            hump_rad=line_rad // 50,
            bump_rad=10_000 * RAD,
            sump_rad=50_000 * RAD,
            dump_wad=50_000 * WAD,
            sink="buy_and_burn",
            sink_account=f"{sym}:treasury",
            recap_limit_rad=line_rad // 10,
            flop_resets=0,
            live=True,
        )
        self.queue: Table[int, int] = Table(j)
        self.flop_params = AuctionParams(
            j,
            beg_wad=WAD * 105 // 100,
            pad_wad=WAD * 150 // 100,
            ttl_s=3 * HOUR,
            tau_s=2 * DAY,
            kicks=0,
        )
        self.flap_params = AuctionParams(
            j, beg_wad=WAD * 105 // 100, pad_wad=WAD, ttl_s=3 * HOUR, tau_s=2 * DAY, kicks=0
        )
        self.flops: Table[int, FlopBid] = Table(j)
        self.flaps: Table[int, FlapBid] = Table(j)
        for name, obj in (
            ("state", self.state),
            ("queue", self.queue),
            ("flop-params", self.flop_params),
            ("flap-params", self.flap_params),
            ("flops", self.flops),
            ("flaps", self.flaps),
        ):
            self.chain.register(f"cdp/{sym}/vow/{name}", obj)

    # -- reads --------------------------------------------------------------------------------
    @property
    def dai_rad(self) -> int:
        return self.chain.ledger.balance_of(self.inst.vat.dai, self.account)

    @property
    def sin_rad(self) -> int:
        return self.chain.ledger.balance_of(self.inst.vat.sin, self.account)

    @property
    def free_debt_rad(self) -> int:
        """Bad debt neither queued nor on auction: ``sin[vow] - Sin - Ash`` (0 if negative)."""
        return max(self.sin_rad - self.state.sin_queued_rad - self.state.ash_rad, 0)

    def recap_status(self) -> RecapStatus:
        st = self.state
        free = self.free_debt_rad
        backstop = self.chain.ledger.balance_of(self.inst.symbol, self.backstop)
        deficit = max(free - self.dai_rad, 0)
        return RecapStatus(
            self.dai_rad,
            self.sin_rad,
            st.sin_queued_rad,
            st.ash_rad,
            free,
            backstop,
            st.recap_limit_rad,
            st.flop_resets,
            deficit > st.recap_limit_rad or st.flop_resets >= 3,
        )

    def _live(self) -> None:
        if not self.state.live:
            raise ShutDown("cdp/not-live", f"{self.inst.symbol} is shut down")

    # -- auth hooks ----------------------------------------------------------------------------
    def fess(self, tab_rad: int) -> None:
        """Queue ``tab`` of bad debt at the current time (called by ``bark``)."""
        now = self.chain.now
        self.queue[now] = self.queue.get(now, 0) + tab_rad
        self.state.sin_queued_rad += tab_rad

    def _kiss(self, rad: int) -> None:
        self.state.ash_rad -= rad
        self.inst.vat.heal(self.account, rad)

    def cage(self) -> None:
        """Shutdown: cancel auctions (refund bidders), forget queues, heal what can be healed."""
        inst = self.inst
        st = self.state
        st.live = False
        for fid in sorted(self.flops):
            b = self.flops[fid]
            if b.guy != self.account:
                inst.vat.suck(self.account, b.guy, b.bid_rad)
                if b.bid_rad // RAY:
                    inst._exit_dai(b.guy, b.bid_rad // RAY)
            del self.flops[fid]
        for fid in sorted(self.flaps):
            fb = self.flaps[fid]
            self.chain.ledger.transfer(inst.vat.dai, self.flap_account, self.account, fb.lot_rad)
            if fb.bid_wad:
                self.chain.ledger.transfer(self.gov_token, self.flap_account, fb.guy, fb.bid_wad)
            del self.flaps[fid]
        st.sin_queued_rad = 0
        st.ash_rad = 0
        for era in list(self.queue):
            del self.queue[era]
        rad = min(self.dai_rad, self.sin_rad)
        if rad:
            inst.vat.heal(self.account, rad)

    # -- waterfall actions (anyone) ------------------------------------------------------------
    @action
    def flog(self, era: int, *, sender: str) -> int:
        """Release the bad debt queued at time ``era`` once ``wait`` has passed; returns it."""
        self._live()
        rad = self.queue.get(era, 0) if type(era) is int else 0
        if rad == 0:
            raise InvalidInput("cdp/nothing-queued", f"no bad debt is queued at {era!r}")
        if era + self.state.wait_s > self.chain.now:
            raise InvalidInput(
                "cdp/wait-not-finished",
                f"debt queued at {era} is free at {era + self.state.wait_s}",
            )
        del self.queue[era]
        self.state.sin_queued_rad -= rad
        self.chain.emit(BufferChanged(self.inst.symbol, "flog", rad, era))
        return rad

    @action
    def flog_all(self, *, sender: str) -> int:
        """Release every queue entry whose ``wait`` has passed; returns the total."""
        self._live()
        total = 0
        horizon = self.chain.now - self.state.wait_s
        for era in sorted(e for e in self.queue if e <= horizon):
            total += self.queue[era]
            del self.queue[era]
        self.state.sin_queued_rad -= total
        self.chain.emit(BufferChanged(self.inst.symbol, "flog", total, 0))
        return total

    @action
    def heal(self, rad: int = 0, *, sender: str) -> int:
        """Cancel ``rad`` (0: as much as possible) of surplus against free bad debt; returns it."""
        check_amount(rad, "rad")
        most = min(self.dai_rad, self.free_debt_rad)
        if rad == 0:
            rad = most
        if rad == 0 or rad > self.dai_rad:
            raise InvalidInput("cdp/insufficient-surplus", f"the buffer holds {self.dai_rad} rad")
        if rad > self.free_debt_rad:
            raise InvalidInput(
                "cdp/insufficient-debt", f"free bad debt is {self.free_debt_rad} rad (flog first)"
            )
        self.inst.vat.heal(self.account, rad)
        self.chain.emit(BufferChanged(self.inst.symbol, "heal", rad, 0))
        return rad

    @action
    def fund_backstop(self, amount_wad: int, *, sender: str) -> None:
        """Post ``amount_wad`` AI-dollar tokens to the project's first-loss backstop fund."""
        check_positive(amount_wad, "amount_wad")
        self.chain.ledger.transfer(self.inst.symbol, sender, self.backstop, amount_wad)
        self.chain.emit(BufferChanged(self.inst.symbol, "fund-backstop", amount_wad, 0))

    @action
    def cover(self, *, sender: str) -> int:
        """Waterfall steps 1-2: heal from surplus, then from the backstop fund; returns wad used."""
        self._live()
        inst = self.inst
        rad = min(self.dai_rad, self.free_debt_rad)
        if rad:
            inst.vat.heal(self.account, rad)
        need = self.free_debt_rad
        have = self.chain.ledger.balance_of(inst.symbol, self.backstop)
        used = min(ceil_div(need, RAY), have)
        if need == 0 or used == 0:
            raise InvalidInput("cdp/nothing-to-cover", "no free bad debt, or the backstop is empty")
        inst._join_dai(self.backstop, used)
        inst.vat.move(self.backstop, self.account, used * RAY, self.backstop)
        inst.vat.heal(self.account, min(self.dai_rad, self.free_debt_rad))
        self.chain.emit(BufferChanged(inst.symbol, "cover", used, 0))
        return used

    @action
    def flop(self, *, sender: str) -> int:
        """Waterfall step 3: start a debt auction of ``dump`` governance tokens for ``sump``."""
        self._live()
        st = self.state
        if self.dai_rad != 0:
            raise InvalidInput("cdp/surplus-not-zero", "heal the surplus first (cover or heal)")
        if self.chain.ledger.balance_of(self.inst.symbol, self.backstop) != 0:
            raise InvalidInput("cdp/backstop-not-used", "use the backstop fund first (cover)")
        if st.sump_rad > self.free_debt_rad:
            raise InvalidInput(
                "cdp/insufficient-debt",
                f"free bad debt {self.free_debt_rad} rad is below the lot size sump {st.sump_rad}",
            )
        st.ash_rad += st.sump_rad
        fp = self.flop_params
        fp.kicks += 1
        fid = fp.kicks
        self.flops[fid] = FlopBid(
            self.chain.journal,
            bid_rad=st.sump_rad,
            lot_wad=st.dump_wad,
            guy=self.account,
            tic=0,
            end=self.chain.now + fp.tau_s,
        )
        self.chain.emit(BufferChanged(self.inst.symbol, "flop", st.sump_rad, fid))
        return fid

    def _flop(self, fid: int) -> FlopBid:
        b = self.flops.get(fid) if type(fid) is int else None
        if b is None:
            raise InvalidInput("cdp/unknown-auction", f"no debt auction {fid!r}")
        return b

    @action
    def dent(self, fid: int, lot_wad: int, bid_rad: int, *, sender: str) -> None:
        """Bid to take fewer governance tokens (``lot``) for the fixed ``bid`` AI dollars."""
        self._live()
        b = self._flop(fid)
        now = self.chain.now
        check_amount(lot_wad, "lot_wad")
        if b.tic != 0 and b.tic <= now:
            raise InvalidInput("cdp/already-finished-tic", f"debt auction {fid} bid has expired")
        if b.end <= now:
            raise InvalidInput("cdp/already-finished-end", f"debt auction {fid} has ended")
        if bid_rad != b.bid_rad:
            raise InvalidInput("cdp/not-matching-bid", f"the bid is fixed at {b.bid_rad} rad")
        if lot_wad >= b.lot_wad:
            raise InvalidInput("cdp/lot-not-lower", f"bid for fewer than {b.lot_wad} wad")
        if self.flop_params.beg_wad * lot_wad > b.lot_wad * WAD:
            raise InvalidInput("cdp/insufficient-decrease", "the lot must fall by at least beg")
        if sender != b.guy:
            first = b.tic == 0
            collect_dai(self.inst, sender, b.bid_rad, b.guy)
            if b.guy != self.account and b.bid_rad // RAY:
                self.inst._exit_dai(b.guy, b.bid_rad // RAY)
            if first:
                self._kiss(min(b.bid_rad, self.state.ash_rad))
            b.guy = sender
        b.lot_wad = lot_wad
        b.tic = now + self.flop_params.ttl_s
        self.chain.emit(DebtAuctionChanged(self.inst.symbol, "dent", fid, lot_wad, bid_rad, sender))

    @action
    def flop_tick(self, fid: int, *, sender: str) -> None:
        """Re-open an ended debt auction nobody bid on, with the lot times ``pad``."""
        self._live()
        b = self._flop(fid)
        if b.end >= self.chain.now:
            raise InvalidInput("cdp/not-finished", f"debt auction {fid} runs until {b.end}")
        if b.tic != 0:
            raise InvalidInput("cdp/bid-already-placed", f"debt auction {fid} has a bid: deal it")
        fp = self.flop_params
        b.lot_wad = fp.pad_wad * b.lot_wad // WAD
        b.end = self.chain.now + fp.tau_s
        self.state.flop_resets += 1
        self.chain.emit(
            DebtAuctionChanged(self.inst.symbol, "tick", fid, b.lot_wad, b.bid_rad, b.guy)
        )

    @action
    def flop_deal(self, fid: int, *, sender: str) -> None:
        """Settle a debt auction: the winner is minted the governance-token lot."""
        self._live()
        b = self._flop(fid)
        now = self.chain.now
        if b.tic == 0 or not (b.tic < now or b.end < now):
            raise InvalidInput("cdp/not-finished", f"debt auction {fid} is not finished")
        self.chain.ledger.mint(self.gov_token, b.guy, b.lot_wad)
        del self.flops[fid]
        self.state.flop_resets = 0
        self.chain.emit(
            DebtAuctionChanged(self.inst.symbol, "deal", fid, b.lot_wad, b.bid_rad, b.guy)
        )

    @action
    def flap(self, *, sender: str) -> int:
        """Release ``bump`` of surplus above ``hump`` to the sink; returns the auction id (or 0)."""
        self._live()
        st = self.state
        if self.dai_rad < self.sin_rad + st.bump_rad + st.hump_rad:
            raise InvalidInput(
                "cdp/insufficient-surplus", "surplus must exceed bad debt + bump + hump"
            )
        if self.sin_rad - st.sin_queued_rad - st.ash_rad != 0:
            raise InvalidInput("cdp/debt-not-zero", "heal the free bad debt first")
        inst = self.inst
        if st.sink != "buy_and_burn":
            pay_dai(inst, self.account, st.sink_account, st.bump_rad)
            self.chain.emit(BufferChanged(inst.symbol, "release", st.bump_rad, 0))
            return 0
        self.chain.ledger.transfer(inst.vat.dai, self.account, self.flap_account, st.bump_rad)
        fp = self.flap_params
        fp.kicks += 1
        fid = fp.kicks
        self.flaps[fid] = FlapBid(
            self.chain.journal,
            bid_wad=0,
            lot_rad=st.bump_rad,
            guy=self.account,
            tic=0,
            end=self.chain.now + fp.tau_s,
        )
        self.chain.emit(BufferChanged(inst.symbol, "flap", st.bump_rad, fid))
        return fid

    def _flap(self, fid: int) -> FlapBid:
        b = self.flaps.get(fid) if type(fid) is int else None
        if b is None:
            raise InvalidInput("cdp/unknown-auction", f"no surplus auction {fid!r}")
        return b

    @action
    def tend(self, fid: int, lot_rad: int, bid_wad: int, *, sender: str) -> None:
        """Bid more governance tokens (``bid``) for the fixed surplus ``lot``."""
        self._live()
        b = self._flap(fid)
        now = self.chain.now
        check_amount(bid_wad, "bid_wad")
        if b.tic != 0 and b.tic <= now:
            raise InvalidInput("cdp/already-finished-tic", f"surplus auction {fid} bid expired")
        if b.end <= now:
            raise InvalidInput("cdp/already-finished-end", f"surplus auction {fid} has ended")
        if lot_rad != b.lot_rad:
            raise InvalidInput("cdp/lot-not-matching", f"the lot is fixed at {b.lot_rad} rad")
        if bid_wad <= b.bid_wad or bid_wad * WAD < self.flap_params.beg_wad * b.bid_wad:
            raise InvalidInput("cdp/bid-not-higher", "the bid must rise by at least beg")
        ledger = self.chain.ledger
        if sender != b.guy:
            if b.bid_wad:
                ledger.transfer(self.gov_token, sender, b.guy, b.bid_wad)
            b.guy = sender
        ledger.transfer(self.gov_token, sender, self.flap_account, bid_wad - b.bid_wad)
        b.bid_wad = bid_wad
        b.tic = now + self.flap_params.ttl_s
        self.chain.emit(
            SurplusAuctionChanged(self.inst.symbol, "tend", fid, lot_rad, bid_wad, sender)
        )

    @action
    def flap_tick(self, fid: int, *, sender: str) -> None:
        """Re-open an ended surplus auction nobody bid on."""
        self._live()
        b = self._flap(fid)
        if b.end >= self.chain.now:
            raise InvalidInput("cdp/not-finished", f"surplus auction {fid} runs until {b.end}")
        if b.tic != 0:
            raise InvalidInput("cdp/bid-already-placed", f"surplus auction {fid} has a bid")
        b.end = self.chain.now + self.flap_params.tau_s
        self.chain.emit(SurplusAuctionChanged(self.inst.symbol, "tick", fid, b.lot_rad, 0, b.guy))

    @action
    def flap_deal(self, fid: int, *, sender: str) -> None:
        """Settle a surplus auction: the lot to the winner, the governance tokens burnt."""
        self._live()
        b = self._flap(fid)
        now = self.chain.now
        if b.tic == 0 or not (b.tic < now or b.end < now):
            raise InvalidInput("cdp/not-finished", f"surplus auction {fid} is not finished")
        pay_dai(self.inst, self.flap_account, b.guy, b.lot_rad)
        self.chain.ledger.burn(self.gov_token, self.flap_account, b.bid_wad)
        del self.flaps[fid]
        self.chain.emit(
            SurplusAuctionChanged(self.inst.symbol, "deal", fid, b.lot_rad, b.bid_wad, b.guy)
        )

    @action
    def file(self, what: str, value: int | str, *, sender: str) -> None:
        """Set one buffer or auction parameter (admin or governance); unknown names are refused."""
        inst = self.inst
        self.chain.require_role(inst.admin_role, sender, "cdp/not-admin")
        if what not in self.PARAMS:
            raise InvalidInput(
                "cdp/unknown-param", f"unknown parameter {what!r}; known: {', '.join(self.PARAMS)}"
            )
        st = self.state
        shown: int
        if what in ("sink", "sink_account"):
            if not isinstance(value, str) or not value or (what == "sink" and value not in SINKS):
                raise InvalidInput("cdp/bad-value", f"{what}: bad value {value!r}; sinks {SINKS}")
            setattr(st, what, value)
            shown = SINKS.index(value) if what == "sink" else 0
        else:
            v = check_amount(value, what, "cdp/bad-value")
            if what in ("sump", "dump", "bump") and v == 0:
                raise InvalidInput("cdp/bad-value", f"{what} must be positive")
            if what in ("flop_beg", "flop_pad", "flap_beg") and v < WAD:
                raise InvalidInput("cdp/bad-value", f"{what} must be >= 1 (WAD)")
            if what.startswith(("flop_", "flap_")):
                prefix, name = what.split("_", 1)
                params = self.flop_params if prefix == "flop" else self.flap_params
                setattr(
                    params,
                    {"beg": "beg_wad", "pad": "pad_wad", "ttl": "ttl_s", "tau": "tau_s"}[name],
                    v,
                )
            else:
                attr = {
                    "wait": "wait_s",
                    "hump": "hump_rad",
                    "bump": "bump_rad",
                    "sump": "sump_rad",
                    "dump": "dump_wad",
                    "recap_limit": "recap_limit_rad",
                }[what]
                setattr(st, attr, v)
            shown = v
        self.chain.emit(ParameterChanged(f"{inst.symbol}/vow", "", what, shown))
