"""The system buffer (dss Vow): the bad-debt queue, the recapitalisation waterfall and the surplus sinks.

    fess(tab): sin[now] += tab ; Sin += tab              bad debt from a liquidation is queued
    flog(era): require era + wait <= now ; Sin -= sin[era]  after ``wait`` it is free to be healed
    heal(rad): rad <= dai[vow] and rad <= sin[vow] - Sin - Ash ; cancel dai against sin
    free debt = sin[vow] - Sin - Ash ;  surplus = dai[vow]

Recapitalisation waterfall [O] (docs/cdp-spec.md §9), each step a separate action anyone may call:
  1. ``heal`` against the surplus buffer (fees and penalties in ``dai[vow]``);
  2. ``cover``: the project's backstop fund (AI dollars posted with ``fund_backstop``) pays the
     rest of the free debt, then heals;
  3. ``flop``: a debt auction (flop.py) sells ``dump`` governance tokens for ``sump`` AI dollars;
     the first bid's AI dollars heal ``Ash`` (``kiss``); an un-bid restart counts toward step 4;
  4. ``recap_status`` advises shutdown when free debt exceeds ``recap_limit`` or three debt
     auctions went un-bid.
Surplus above ``hump`` (``dai[vow] >= sin[vow] + bump + hump`` and no free debt) leaves in lots
of ``bump`` to the sink chosen at launch: ``buy_and_burn`` (a surplus auction, flap.py: bidders
pay rising governance-token bids for the lot, the tokens are burnt), ``treasury`` or
``fees_to_voters`` (the lot is paid as AI-dollar tokens to ``sink_account``). ``SystemBuffer``
also fronts both auctions' actions (``dent``, ``flop_tick``, ``flop_deal``, ``tend``,
``flap_tick``, ``flap_deal``) so users find the whole waterfall on ``AIDollar.vow``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import InvalidInput, ShutDown
from ...kernel import Chain, Record, Table, action
from ...math import ceil_div
from ...units import HOUR, RAD, RAY, WAD, check_amount, check_positive
from .accounts import InstanceAccounts
from .buffer_auctions import AuctionParams
from .events import BufferChanged, ParameterChanged
from .flap import FlapBid, SurplusAuctions
from .flop import DebtAuctions, FlopBid
from .interfaces import JoinsLike, VatLike

__all__ = ["RecapStatus", "SystemBuffer", "VowState"]

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
    """dss Vow for one instance, fronting its Flop and Flap; its balances live in ``account``."""

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

    def __init__(
        self,
        chain: Chain,
        accounts: InstanceAccounts,
        vat: VatLike,
        joins: JoinsLike,
        flopper: DebtAuctions,
        flapper: SurplusAuctions,
        line_rad: int,
    ) -> None:
        self.chain = chain
        self.accounts = accounts
        self.symbol = sym = accounts.symbol
        self.vat = vat
        self.joins = joins
        self.flopper = flopper
        self.flapper = flapper
        self.account = accounts.vow
        self.backstop = accounts.backstop
        self.flap_account = flapper.account
        self.gov_token = flopper.gov_token
        j = chain.journal
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
            sink_account=accounts.treasury,
            recap_limit_rad=line_rad // 10,
            flop_resets=0,
            live=True,
        )
        self.queue: Table[int, int] = Table(j)
        chain.register(f"cdp/{sym}/vow/state", self.state)
        chain.register(f"cdp/{sym}/vow/queue", self.queue)

    # -- the auctions, fronted -----------------------------------------------------------------
    @property
    def flop_params(self) -> AuctionParams:
        return self.flopper.params

    @property
    def flap_params(self) -> AuctionParams:
        return self.flapper.params

    @property
    def flops(self) -> Table[int, FlopBid]:
        return self.flopper.bids

    @property
    def flaps(self) -> Table[int, FlapBid]:
        return self.flapper.bids

    def dent(self, fid: int, lot_wad: int, bid_rad: int, *, sender: str) -> None:
        """Debt auction bid (``DebtAuctions.dent``)."""
        self.flopper.dent(fid, lot_wad, bid_rad, sender=sender)

    def flop_tick(self, fid: int, *, sender: str) -> None:
        """Restart an un-bid debt auction (``DebtAuctions.tick``)."""
        self.flopper.tick(fid, sender=sender)

    def flop_deal(self, fid: int, *, sender: str) -> None:
        """Settle a debt auction (``DebtAuctions.deal``)."""
        self.flopper.deal(fid, sender=sender)

    def tend(self, fid: int, lot_rad: int, bid_wad: int, *, sender: str) -> None:
        """Surplus auction bid (``SurplusAuctions.tend``)."""
        self.flapper.tend(fid, lot_rad, bid_wad, sender=sender)

    def flap_tick(self, fid: int, *, sender: str) -> None:
        """Restart an un-bid surplus auction (``SurplusAuctions.tick``)."""
        self.flapper.tick(fid, sender=sender)

    def flap_deal(self, fid: int, *, sender: str) -> None:
        """Settle a surplus auction (``SurplusAuctions.deal``)."""
        self.flapper.deal(fid, sender=sender)

    # -- reads --------------------------------------------------------------------------------
    @property
    def dai_rad(self) -> int:
        return self.chain.ledger.balance_of(self.vat.dai, self.account)

    @property
    def sin_rad(self) -> int:
        return self.chain.ledger.balance_of(self.vat.sin, self.account)

    @property
    def free_debt_rad(self) -> int:
        """Bad debt neither queued nor on auction: ``sin[vow] - Sin - Ash`` (0 if negative)."""
        return max(self.sin_rad - self.state.sin_queued_rad - self.state.ash_rad, 0)

    def recap_status(self) -> RecapStatus:
        st = self.state
        free = self.free_debt_rad
        backstop = self.chain.ledger.balance_of(self.symbol, self.backstop)
        return RecapStatus(
            self.dai_rad,
            self.sin_rad,
            st.sin_queued_rad,
            st.ash_rad,
            free,
            backstop,
            st.recap_limit_rad,
            st.flop_resets,
            self._advise_shutdown(free),
        )

    @property
    def shutdown_advised(self) -> bool:
        """``recap_status().shutdown_advised`` without the rest of the status."""
        return self._advise_shutdown(self.free_debt_rad)

    def _advise_shutdown(self, free_rad: int) -> bool:
        """Uncovered debt (free debt less the surplus) above the recap limit, or three debt
        auctions reset without a bid."""
        st = self.state
        deficit = max(free_rad - self.dai_rad, 0)
        return deficit > st.recap_limit_rad or st.flop_resets >= 3

    @property
    def live(self) -> bool:
        return self.state.live

    @property
    def ash_rad(self) -> int:
        """Debt on auction (dss ``Ash``)."""
        return self.state.ash_rad

    def _live(self) -> None:
        if not self.state.live:
            raise ShutDown("cdp/not-live", f"{self.symbol} is shut down")

    # -- auth hooks ----------------------------------------------------------------------------
    def fess(self, tab_rad: int) -> None:
        """Queue ``tab`` of bad debt at the current time (called by ``bark``)."""
        now = self.chain.now
        self.queue[now] = self.queue.get(now, 0) + tab_rad
        self.state.sin_queued_rad += tab_rad

    def kiss(self, rad: int) -> None:
        """The debt auction's first bid raised ``rad``: cancel it against debt on auction."""
        self.state.ash_rad -= rad
        self.vat.heal(self.account, rad)

    def flop_restarted(self) -> None:
        """A debt auction ended with no bid and was restarted (counts toward advising shutdown)."""
        self.state.flop_resets += 1

    def flop_settled(self) -> None:
        """A debt auction was settled: the count of un-bid restarts starts again."""
        self.state.flop_resets = 0

    def cage(self) -> None:
        """Shutdown: cancel auctions (refund bidders), forget queues, heal what can be healed."""
        st = self.state
        st.live = False
        self.flopper.cage()
        self.flapper.cage()
        st.sin_queued_rad = 0
        st.ash_rad = 0
        for era in list(self.queue):
            del self.queue[era]
        rad = min(self.dai_rad, self.sin_rad)
        if rad:
            self.vat.heal(self.account, rad)

    # -- waterfall actions (anyone) ------------------------------------------------------------
    @action
    def flog(self, era: int, *, sender: str) -> int:
        """Release the bad debt queued at time ``era`` once ``wait`` has passed; returns it.

        As dss, an era with nothing queued releases 0 (only the wait is checked).
        """
        self._live()
        check_amount(era, "era", "cdp/bad-era")
        if era + self.state.wait_s > self.chain.now:
            raise InvalidInput(
                "cdp/wait-not-finished",
                f"debt queued at {era} is free at {era + self.state.wait_s}",
            )
        rad = self.queue.get(era, 0)
        if rad:
            del self.queue[era]
            self.state.sin_queued_rad -= rad
        self.chain.emit(BufferChanged(self.symbol, "flog", rad, era))
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
        self.chain.emit(BufferChanged(self.symbol, "flog", total, 0))
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
        self.vat.heal(self.account, rad)
        self.chain.emit(BufferChanged(self.symbol, "heal", rad, 0))
        return rad

    @action
    def fund_backstop(self, amount_wad: int, *, sender: str) -> None:
        """Post ``amount_wad`` AI-dollar tokens to the project's first-loss backstop fund."""
        check_positive(amount_wad, "amount_wad")
        self.chain.ledger.transfer(self.symbol, sender, self.backstop, amount_wad)
        self.chain.emit(BufferChanged(self.symbol, "fund-backstop", amount_wad, 0))

    @action
    def cover(self, *, sender: str) -> int:
        """Waterfall steps 1-2: heal from surplus, then from the backstop fund; returns wad used."""
        self._live()
        rad = min(self.dai_rad, self.free_debt_rad)
        if rad:
            self.vat.heal(self.account, rad)
        need = self.free_debt_rad
        have = self.chain.ledger.balance_of(self.symbol, self.backstop)
        used = min(ceil_div(need, RAY), have)
        if need == 0 or used == 0:
            raise InvalidInput("cdp/nothing-to-cover", "no free bad debt, or the backstop is empty")
        self.joins.join_dai(self.backstop, used)
        self.vat.move(self.backstop, self.account, used * RAY, self.backstop)
        self.vat.heal(self.account, min(self.dai_rad, self.free_debt_rad))
        self.chain.emit(BufferChanged(self.symbol, "cover", used, 0))
        return used

    @action
    def flop(self, *, sender: str) -> int:
        """Waterfall step 3: start a debt auction of ``dump`` governance tokens for ``sump``."""
        self._live()
        st = self.state
        if self.dai_rad != 0:
            raise InvalidInput("cdp/surplus-not-zero", "heal the surplus first (cover or heal)")
        if self.chain.ledger.balance_of(self.symbol, self.backstop) != 0:
            raise InvalidInput("cdp/backstop-not-used", "use the backstop fund first (cover)")
        if st.sump_rad > self.free_debt_rad:
            raise InvalidInput(
                "cdp/insufficient-debt",
                f"free bad debt {self.free_debt_rad} rad is below the lot size sump {st.sump_rad}",
            )
        st.ash_rad += st.sump_rad
        fid = self.flopper.kick(self.account, st.dump_wad, st.sump_rad)
        self.chain.emit(BufferChanged(self.symbol, "flop", st.sump_rad, fid))
        return fid

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
        if st.sink != "buy_and_burn":
            self.joins.pay_dai(self.account, st.sink_account, st.bump_rad)
            self.chain.emit(BufferChanged(self.symbol, "release", st.bump_rad, 0))
            return 0
        self.chain.ledger.transfer(self.vat.dai, self.account, self.flap_account, st.bump_rad)
        fid = self.flapper.kick(st.bump_rad)
        self.chain.emit(BufferChanged(self.symbol, "flap", st.bump_rad, fid))
        return fid

    @action
    def file(self, what: str, value: int | str, *, sender: str) -> None:
        """Set one buffer or auction parameter (admin or governance); unknown names are refused."""
        self.accounts.check_file(self.chain, sender, what, self.PARAMS)
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
        self.chain.emit(ParameterChanged(f"{self.symbol}/vow", "", what, shown))
