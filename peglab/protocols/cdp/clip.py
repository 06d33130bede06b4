"""The clipper (dss Clip): a Dutch auction per liquidation, price falling from ``top`` along a curve.

    kick(tab, lot, vault, keeper):  top = rmul(feed, buf) ; tic = now ; coin = tip + wmul(tab, chip) -> keeper
    price = calc(top, now - tic) ;  needs_redo = now - tic > tail  or  rdiv(price, top) < cusp
    take(amt, max):  slice = min(lot, amt) ; owe = slice * price                       [wad * ray = rad]
                     (any amt up to 2^256 - 1 is clamped to the lot, as dss: keepers pass uint256.max)
        owe > tab                               ->  owe = tab ; slice = owe // price
        owe < tab, slice < lot, tab - owe < chost ->  require tab > chost ; owe = tab - chost ; slice = owe // price
        tab -= owe ; lot -= slice ; slice -> who ; callback(sender, owe, slice, data) ; sender pays owe -> buffer
        lot == 0: close (tab left uncovered stays bad debt) ; tab == 0: lot -> vault owner, close
    redo: top = rmul(feed, buf) ; tic = now ; coin paid only if tab >= chost and lot * feed >= chost

``chost = wmul(dust, chop)`` is the smallest tab a partial take may leave; it is computed from
the current dust and penalty at each take (as if ``upchost`` ran every time) [O]. ``slice``
floors (the buyer gets the sub-wei less), so a take never raises more than ``tab`` and never
pays more collateral than ``owe / price``. ``stopped``: 1 blocks kick, 2 also redo, 3 also take.
A buyer callback is a Python callable run inside the take's transaction after the collateral
reached ``who`` and before payment is collected, so a keeper can sell the slice (into an AMM)
and pay from the proceeds; if anything fails, the whole take is undone. ``take`` is
``@nonreentrant`` (dss ``lock``): while it runs, the callback cannot call any action of this
clipper (a second take of the same auction would be paid twice); such a call raises
``Reentered``. ``chip`` and ``tip`` keep dss's widths (``uint64``, ``uint192``): larger values
are refused with ``Overflow`` where dss would silently truncate them (docs/liquidations.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from ...errors import InvalidInput, ShutDown, Slippage, StalePrice
from ...kernel import Record, Table, action, nonreentrant, query
from ...math import (
    exponential_decrease,
    linear_decrease,
    rdiv,
    rmul,
    stairstep_exponential_decrease,
    wmul,
)
from ...math.stableswap import remember
from ...units import RAY, check_amount, check_positive, check_width
from .accounts import InstanceAccounts
from .events import AuctionReset, AuctionTaken, ParameterChanged
from .interfaces import JoinsLike, LiquidatorLike, SpotterLike, VatLike
from .params import PARAMETER_UNITS, CollateralParams

if TYPE_CHECKING:
    from ...kernel import Chain

__all__ = [
    "AuctionStatus",
    "ClipParams",
    "Clipper",
    "Sale",
    "TakeCallback",
    "auction_price",
    "keeper_coin",
    "take_amounts",
]

TakeCallback = Callable[[str, int, int, Any], None]
CALCS = ("linear", "stairstep", "exponential")


class ClipParams(Record):
    """The live auction parameters of one collateral type (set at launch from its
    ``CollateralParams``, fields of the same names, then by ``file``) and the auction counter."""

    __slots__ = (
        "buf_ray",
        "calc",
        "chip_wad",
        "cusp_ray",
        "cut_ray",
        "kicks",
        "step_s",
        "stopped",
        "tail_s",
        "tau_s",
        "tip_rad",
    )
    buf_ray: int
    calc: str
    step_s: int
    cut_ray: int
    tau_s: int
    cusp_ray: int
    tail_s: int
    chip_wad: int
    tip_rad: int
    stopped: int
    kicks: int


class Sale(Record):
    """A running auction: debt to raise ``tab`` [rad], collateral ``lot`` [wad], start ``tic``, ``top``."""

    __slots__ = ("lot_wad", "tab_rad", "tic", "top_ray", "vault")
    tab_rad: int
    lot_wad: int
    vault: int
    tic: int
    top_ray: int


@dataclass(frozen=True, slots=True)
class AuctionStatus:
    """What a keeper reads before bidding."""

    auction: int
    needs_redo: bool
    price_ray: int
    lot_wad: int
    tab_rad: int
    top_ray: int
    age_s: int


_PRICES: dict[tuple[Any, ...], int] = {}


def auction_price(p: ClipParams, top_ray: int, age_s: int) -> int:
    """The curve ``calc`` at age ``age_s`` [ray]: a pure function of the curve's parameters,
    ``top`` and the age, so int arguments keep their last ``MEMO_SIZE`` results (emptied when
    full; keepers ask an auction's price at the same age again: 86% of the calls on two tail
    paths of ``ai-token-crash``). A refused argument is not kept."""
    if type(top_ray) is not int or type(age_s) is not int:
        return _curve(p, top_ray, age_s)
    key = (p.calc, p.tau_s, p.step_s, p.cut_ray, top_ray, age_s)
    price = _PRICES.get(key)
    return remember(_PRICES, key, _curve(p, top_ray, age_s)) if price is None else price


def _curve(p: ClipParams, top_ray: int, age_s: int) -> int:
    if p.calc == "linear":
        return linear_decrease(top_ray, p.tau_s, age_s)
    if p.calc == "exponential":
        return exponential_decrease(top_ray, p.cut_ray, age_s)
    return stairstep_exponential_decrease(top_ray, p.step_s, p.cut_ray, age_s)


def keeper_coin(tip_rad: int, chip_wad: int, tab_rad: int) -> int:
    """``tip + wmul(tab, chip)`` [rad], or 0 when both incentives are off."""
    if tip_rad > 0 or chip_wad > 0:
        return tip_rad + wmul(tab_rad, chip_wad)
    return 0


def take_amounts(
    lot_wad: int, tab_rad: int, amt_wad: int, price_ray: int, chost_rad: int
) -> tuple[int, int]:
    """``(slice, owe)`` of a take with the remainder rule (module docstring); ``price > 0``."""
    slice_wad = min(lot_wad, amt_wad)
    owe = slice_wad * price_ray
    if owe > tab_rad:
        owe = tab_rad
        slice_wad = owe // price_ray
    elif owe < tab_rad and slice_wad < lot_wad and tab_rad - owe < chost_rad:
        if tab_rad <= chost_rad:
            raise InvalidInput(
                "cdp/no-partial-purchase",
                f"the tab {tab_rad} rad is at most chost {chost_rad} rad: take the whole lot",
            )
        owe = tab_rad - chost_rad
        slice_wad = owe // price_ray
    return slice_wad, owe


class Clipper:
    """dss Clip for one collateral type of one instance; lots sit in the ledger account ``account``."""

    PARAMS = ("buf", "tail", "cusp", "chip", "tip", "stopped", "calc", "step", "cut", "tau")
    WIDTHS: ClassVar[dict[str, int]] = {"chip": 64, "tip": 192}  # dss: uint64 chip, uint192 tip

    def __init__(
        self,
        chain: Chain,
        accounts: InstanceAccounts,
        ilk: str,
        p: CollateralParams,
        vat: VatLike,
        dog: LiquidatorLike,
        spotter: SpotterLike,
        joins: JoinsLike,
    ) -> None:
        if (
            p.calc not in CALCS
            or p.buf_ray < RAY
            or p.cusp_ray > RAY
            or p.cut_ray > RAY
            or p.step_s <= 0
            or p.tau_s <= 0
        ):
            raise InvalidInput(
                "cdp/bad-value",
                f"{ilk}: auction needs calc in {CALCS}, buf >= RAY, cusp and cut <= RAY, step, tau > 0",
            )
        check_width(p.chip_wad, self.WIDTHS["chip"], "chip", "cdp/overflow")
        check_width(p.tip_rad, self.WIDTHS["tip"], "tip", "cdp/overflow")
        self.chain = chain
        self.accounts = accounts
        self.symbol = accounts.symbol
        self.vat = vat
        self.dog = dog
        self.spotter = spotter
        self.joins = joins
        self.ilk = ilk
        self.account = accounts.clip(ilk)
        j = chain.journal
        launch = {f: getattr(p, f) for f in ClipParams.__slots__ if f not in ("stopped", "kicks")}
        self.params = ClipParams(j, stopped=0, kicks=0, **launch)
        self.sales: Table[int, Sale] = Table(j)
        chain.register(f"cdp/{self.symbol}/clip/{ilk}/params", self.params)
        chain.register(f"cdp/{self.symbol}/clip/{ilk}/sales", self.sales)

    # -- reads --------------------------------------------------------------------------------
    @query
    def sale(self, auction_id: int) -> Sale:
        s = self.sales.get(auction_id) if type(auction_id) is int else None
        if s is None:
            raise InvalidInput(
                "cdp/not-running-auction", f"{self.ilk} has no running auction {auction_id!r}"
            )
        return s

    def active(self) -> list[int]:
        """Ids of the running auctions, oldest first."""
        return sorted(self.sales)

    @property
    def chost_rad(self) -> int:
        """``wmul(dust, chop)``: the smallest tab a partial take may leave."""
        return wmul(self.vat.ilks[self.ilk].dust_rad, self.dog.chop_wad(self.ilk))

    @query
    def status(self, auction_id: int) -> AuctionStatus:
        """Price now and whether the auction needs a ``redo`` (a pure read)."""
        s = self.sale(auction_id)
        age = self.chain.now - s.tic
        price = auction_price(self.params, s.top_ray, age)
        needs = age > self.params.tail_s or rdiv(price, s.top_ray) < self.params.cusp_ray
        return AuctionStatus(
            auction_id, needs or price == 0, price, s.lot_wad, s.tab_rad, s.top_ray, age
        )

    def feed_price_ray(self) -> int:
        """``rdiv(val * 1e9, par)`` from the collateral's delayed price; refuses an invalid one."""
        val, has = self.spotter.value(self.ilk)
        feed = rdiv(val * 10**9, self.spotter.par_ray) if has else 0
        if feed == 0:
            raise StalePrice("cdp/invalid-price", f"no valid price for {self.ilk}: cannot start")
        return feed

    # -- auth: called by the liquidator and shutdown -------------------------------------------
    def kick(self, tab_rad: int, lot_wad: int, vault: int, keeper: str) -> tuple[int, int]:
        """Start an auction; returns ``(id, keeper coin)``. Called inside ``bark``."""
        p = self.params
        if p.stopped >= 1:
            raise ShutDown("cdp/stopped", f"{self.ilk} auctions are stopped (level {p.stopped})")
        if tab_rad <= 0 or lot_wad <= 0:
            raise InvalidInput("cdp/zero-auction", "an auction needs a positive tab and lot")
        top = rmul(self.feed_price_ray(), p.buf_ray)
        if top <= 0:
            raise StalePrice("cdp/zero-top-price", f"{self.ilk}: starting price rounds to zero")
        p.kicks += 1
        auction = p.kicks
        self.sales[auction] = Sale(
            self.chain.journal,
            tab_rad=tab_rad,
            lot_wad=lot_wad,
            vault=vault,
            tic=self.chain.now,
            top_ray=top,
        )
        coin = keeper_coin(p.tip_rad, p.chip_wad, tab_rad)
        self._reward(keeper, coin)
        return auction, coin

    def _reward(self, keeper: str, coin: int) -> None:
        if coin:
            self.joins.pay_unbacked(keeper, coin)

    def yank(self, auction_id: int, to: str) -> Sale:
        """Cancel an auction (shutdown): its tab leaves ``dirt``, its lot goes to ``to``."""
        s = self.sale(auction_id)
        self.dog.digs(self.ilk, s.tab_rad)
        self.chain.ledger.transfer(self.vat.gem(self.ilk), self.account, to, s.lot_wad)
        del self.sales[auction_id]
        return s

    # -- actions ------------------------------------------------------------------------------
    @action
    def redo(self, auction_id: int, keeper: str = "", *, sender: str) -> int:
        """Restart an auction that is too old or too cheap at ``buf`` times the feed (anyone)."""
        p = self.params
        if p.stopped >= 2:
            raise ShutDown("cdp/stopped", f"{self.ilk} auction resets are stopped")
        st = self.status(auction_id)
        if not st.needs_redo:
            raise InvalidInput(
                "cdp/cannot-reset", f"auction {auction_id} is live: price {st.price_ray} ray"
            )
        keeper = keeper or sender
        s = self.sales[auction_id]
        feed = self.feed_price_ray()
        top = rmul(feed, p.buf_ray)
        if top <= 0:
            raise StalePrice("cdp/zero-top-price", f"{self.ilk}: starting price rounds to zero")
        s.tic, s.top_ray = self.chain.now, top
        coin = 0
        chost = self.chost_rad
        if s.tab_rad >= chost and s.lot_wad * feed >= chost:
            coin = keeper_coin(p.tip_rad, p.chip_wad, s.tab_rad)
            self._reward(keeper, coin)
        self.chain.emit(AuctionReset(self.symbol, self.ilk, auction_id, top, coin, keeper))
        return top

    @action
    @nonreentrant
    def take(
        self,
        auction_id: int,
        amount_wad: int,
        max_price_ray: int,
        who: str = "",
        callback: TakeCallback | None = None,
        data: Any = None,
        *,
        sender: str,
    ) -> tuple[int, int]:
        """Buy up to ``amount_wad`` collateral at no more than ``max_price_ray``; returns (slice, owe).

        The collateral goes to ``who`` (default the sender) as tokens; ``callback(sender, owe_rad,
        slice_wad, data)`` then runs; the sender pays ``owe`` AI dollars (internal balance first,
        then tokens, rounded up).
        """
        p = self.params
        if p.stopped >= 3:
            raise ShutDown("cdp/stopped", f"{self.ilk} auctions are stopped")
        check_positive(amount_wad, "amount_wad")
        check_amount(max_price_ray, "max_price_ray")
        who = who or sender
        if who in self._engine_accounts():
            raise InvalidInput("cdp/bad-recipient", f"collateral cannot be sent to {who!r}")
        st = self.status(auction_id)
        if st.needs_redo:
            raise InvalidInput("cdp/needs-reset", f"auction {auction_id} must be reset (redo)")
        price = st.price_ray
        if max_price_ray < price:
            raise Slippage(
                "cdp/too-expensive", f"price {price} ray is above your maximum {max_price_ray}"
            )
        s = self.sales[auction_id]
        slice_wad, owe = take_amounts(s.lot_wad, s.tab_rad, amount_wad, price, self.chost_rad)
        tab, lot = s.tab_rad - owe, s.lot_wad - slice_wad
        self.joins.pay_gem(self.ilk, self.account, who, slice_wad)
        if callback is not None:
            callback(sender, owe, slice_wad, data)
        self.joins.collect_dai(sender, owe, self.accounts.vow)
        self.dog.digs(self.ilk, tab + owe if lot == 0 else owe)
        returned = 0
        if lot == 0:
            del self.sales[auction_id]
        elif tab == 0:
            owner = self.vat.vaults[s.vault].owner
            self.joins.pay_gem(self.ilk, self.account, owner, lot)
            returned = lot
            del self.sales[auction_id]
        else:
            s.tab_rad, s.lot_wad = tab, lot
        self.chain.emit(
            AuctionTaken(
                self.symbol,
                self.ilk,
                auction_id,
                slice_wad,
                owe,
                price,
                tab,
                0 if tab == 0 else lot,
                returned,
                who,
            )
        )
        return slice_wad, owe

    def _engine_accounts(self) -> frozenset[str]:
        return self.accounts.engine() | {self.account}

    @action
    def file(self, what: str, value: int | str, *, sender: str) -> None:
        """Set one auction parameter (admin or governance); unknown names are refused."""
        self.accounts.check_file(self.chain, sender, what, self.PARAMS)
        p = self.params
        if what == "calc":
            if value not in CALCS:
                raise InvalidInput("cdp/bad-value", f"calc must be one of {CALCS}")
            p.calc = str(value)
            shown = CALCS.index(str(value))
        else:
            v = check_amount(value, what, "cdp/bad-value")
            if what in ("cusp", "cut") and v > RAY:
                raise InvalidInput("cdp/bad-value", f"{what} must be <= RAY")
            if what in ("step", "tau") and v == 0:
                raise InvalidInput("cdp/bad-value", f"{what} must be positive")
            if what == "buf" and v < RAY:
                raise InvalidInput(
                    "cdp/bad-value", "buf must be >= RAY (auctions start above feed)"
                )
            if what == "stopped" and v > 3:
                raise InvalidInput("cdp/bad-value", "stopped is 0, 1, 2 or 3")
            if what in self.WIDTHS:
                check_width(v, self.WIDTHS[what], what, "cdp/overflow")
            setattr(p, "stopped" if what == "stopped" else PARAMETER_UNITS[what][0], v)
            shown = v
        self.chain.emit(ParameterChanged(f"{self.symbol}/clip", self.ilk, what, shown))
