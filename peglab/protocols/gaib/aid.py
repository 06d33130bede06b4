"""AID: Gaib's T-bill dollar: whitelisted 1:1 mint and redeem over a reserve book of cash and T-bills.

Value flows (docs/gaib.md §2)::

    mint(token, amount):    amount token  sender -> reserve        ; amount * scale AID minted to recipient
    redeem(token, aid):     fee = ceil(aid * redeem_fee_bps / 1e4) AID sender -> treasury ;
                            aid - fee AID burnt ; floor((aid - fee) / scale) token reserve -> recipient
    buy_tbills(token, c):   c token reserve -> T-bill desk ; a lot with face = c + floor(c * r * tenor / yr)
    sell_tbills(lot):       the lot is sold at its mark now and settles T+1 (one day later)
    settle(lot):            at maturity (face) or at the sale's settlement (sale price):
                            the desk pays the reserve; interest above cost enters from outside
    harvest(recipient):     AID minted = floor(reserve value) - supply (the reserve's yield goes to sAID)

Reserve value = cash (each accepted token scaled to wad) + Σ T-bill marks, where a lot's mark
accretes straight-line from cost to face, ``cost + floor((face - cost) * elapsed / tenor)``
(floor: the reserve is never valued above what it will pay) and a lot being sold counts at its
sale price. Invariant, checked by the named guard ``_require_backed`` after every action that
moves supply or reserve: ``AID supply <= reserve value`` (docs/gaib.md §2). Redemptions are paid from cash only; ``redemption_capacity_wad(days)`` is the
cash today and cash plus every T-bill from the next day on (maturing or sold T+1).

Rounding: the mint is exact (``amount * scale``); the redeem fee rounds up and the payout floors,
so the reserve keeps the dust and backing can only improve.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ...errors import InvalidInput, LimitExceeded, NotAuthorized, ShutDown, Unsafe
from ...kernel import Chain, Record, Table, action, query
from ...units import BPS, DAY, YEAR, check_amount, check_positive
from .events import (
    AidMinted,
    AidRedeemed,
    GaibParameterChanged,
    ReserveHarvested,
    TBillBought,
    TBillSaleRequested,
    TBillSettled,
    WhitelistChanged,
)

__all__ = ["ADMIN_ROLE", "MANAGER_ROLE", "Aid", "AidState", "TBillLot"]

ADMIN_ROLE = "gaib/admin"
MANAGER_ROLE = "gaib/manager"
SETTLEMENT_S = DAY  # T+1
MAX_TENOR_S = 366 * DAY  # Treasury bills run up to 52 weeks


@dataclass(frozen=True, slots=True)
class TBillLot:
    """One T-bill position: bought at ``cost`` (token base units), pays ``face`` at ``maturity``."""

    token: str
    cost: int
    face: int
    start: int
    maturity: int
    sale_price: int = 0  # > 0 once sold: the lot then counts at this price
    settles_at: int = 0


class AidState(Record):
    """Parameters and counters of the AID desk (balances live in the ledger)."""

    __slots__ = (
        "daily_cap_wad",
        "day",
        "frozen",
        "next_lot",
        "redeem_fee_bps",
        "redeemed_today_wad",
        "tbill_rate_bps",
    )
    redeem_fee_bps: int
    tbill_rate_bps: int
    daily_cap_wad: int  # 0 = no daily cap on redemptions
    frozen: bool
    next_lot: int
    day: int
    redeemed_today_wad: int


class Aid:
    """The AID token, its whitelisted mint/redeem desk and its reserve book (cash and T-bills)."""

    PARAMS = ("redeem_fee_bps", "tbill_rate_bps", "daily_cap_wad", "frozen")

    def __init__(
        self,
        chain: Chain,
        accepted: tuple[str, ...],
        *,
        symbol: str = "AID",
        tbill_rate_bps: int = 415,
        redeem_fee_bps: int = 0,
        treasury: str = "gaib:treasury",
        desk: str = "tbill:desk",
    ) -> None:
        if not accepted:
            raise InvalidInput(
                "gaib/no-accepted-token", "AID needs at least one accepted stablecoin"
            )
        scales: list[tuple[str, int]] = []
        for tok in accepted:
            dec = chain.ledger.token(tok).decimals
            if dec > 18:
                raise InvalidInput("gaib/bad-decimals", f"{tok} has more than 18 decimals")
            scales.append((tok, 10 ** (18 - dec)))
        _check_bps(tbill_rate_bps, "tbill_rate_bps")
        _check_bps(redeem_fee_bps, "redeem_fee_bps")
        self.chain = chain
        self.symbol = symbol
        self.reserve = f"gaib:{symbol}:reserve"
        chain.protect_namespace("gaib", "Gaib")  # engine accounts: never a sender
        self.treasury = treasury
        self.desk = desk
        chain.ledger.create_token(symbol, 18, "Gaib AI dollar")
        self.scale: Table[str, int] = Table(chain.journal, scales)
        self.whitelist: Table[str, bool] = Table(chain.journal)
        self.lots: Table[int, TBillLot] = Table(chain.journal)
        self.state = AidState(
            chain.journal,
            redeem_fee_bps=redeem_fee_bps,
            tbill_rate_bps=tbill_rate_bps,
            daily_cap_wad=0,
            frozen=False,
            next_lot=1,
            day=chain.now // DAY,
            redeemed_today_wad=0,
        )
        for name, obj in (
            ("state", self.state),
            ("accepted", self.scale),
            ("whitelist", self.whitelist),
            ("lots", self.lots),
        ):
            chain.register(f"gaib/{symbol}/{name}", obj)

    # -- reads --------------------------------------------------------------------------------
    @property
    def supply_wad(self) -> int:
        """AID in circulation."""
        return self.chain.ledger.supply[self.symbol]

    def cash_wad(self) -> int:
        """Accepted stablecoins held by the reserve, scaled to wad."""
        ledger = self.chain.ledger
        return sum(ledger.balance_of(t, self.reserve) * s for t, s in self.scale.items())

    @query
    def lot_mark(self, lot: TBillLot) -> int:
        """A lot's value in its token's base units now (floor; a sold lot counts at its price)."""
        if lot.sale_price:
            return lot.sale_price
        tenor = lot.maturity - lot.start
        elapsed = min(max(self.chain.now - lot.start, 0), tenor)
        return lot.cost + (lot.face - lot.cost) * elapsed // tenor

    def tbills_wad(self) -> int:
        """Marked value of every T-bill lot, in wad."""
        return sum(self.lot_mark(lot) * self.scale[lot.token] for lot in self.lots.values())

    def reserve_value_wad(self) -> int:
        """Cash plus marked T-bills: what backs AID."""
        return self.cash_wad() + self.tbills_wad()

    @query
    def redemption_capacity_wad(self, days: int = 0) -> int:
        """What redemptions can draw on: cash today; cash plus every T-bill from day 1 (T+1)."""
        return self.cash_wad() + (self.tbills_wad() if days >= 1 else 0)

    @query
    def is_whitelisted(self, account: str) -> bool:
        return self.whitelist.get(account, False)

    # -- guards -------------------------------------------------------------------------------
    def _require_backed(self) -> None:
        """Invariant: AID supply <= reserve value (cash + marked T-bills)."""
        supply, value = self.supply_wad, self.reserve_value_wad()
        if supply > value:
            raise Unsafe("gaib/undercollateralised", f"AID supply {supply} > reserve {value}")

    def _require_open(self, sender: str) -> None:
        if self.state.frozen:
            raise ShutDown("gaib/frozen", "whitelisted mint and redeem are frozen; trade on pools")
        if not self.whitelist.get(sender, False):
            raise NotAuthorized(
                "gaib/not-whitelisted", f"{sender} is not whitelisted; buy or sell AID on a pool"
            )

    def _scale_of(self, token: object) -> int:
        if not isinstance(token, str) or token not in self.scale:
            raise InvalidInput(
                "gaib/token-not-accepted",
                f"{token!r} is not accepted; accepted: {', '.join(sorted(self.scale))}",
            )
        return self.scale[token]

    def _lot(self, lot_id: object) -> TBillLot:
        if type(lot_id) is not int or lot_id not in self.lots:
            raise InvalidInput("gaib/unknown-lot", f"no T-bill lot {lot_id!r}")
        return self.lots[lot_id]

    # -- actions: the desk --------------------------------------------------------------------
    @action
    def mint(self, token: str, amount: int, recipient: str = "", *, sender: str) -> int:
        """Deposit ``amount`` (token base units) of an accepted stablecoin; AID 1:1 to the recipient."""
        self._require_open(sender)
        scale = self._scale_of(token)
        check_positive(amount, "amount")
        to = _recipient(recipient, sender)
        aid = amount * scale
        ledger = self.chain.ledger
        ledger.transfer(token, sender, self.reserve, amount)
        ledger.mint(self.symbol, to, aid)
        self._require_backed()
        self.chain.emit(AidMinted(token, to, amount, aid))
        return aid

    @action
    def redeem(self, token: str, aid_wad: int, recipient: str = "", *, sender: str) -> int:
        """Burn ``aid_wad`` AID (less the fee) for an accepted stablecoin from reserve cash."""
        self._require_open(sender)
        scale = self._scale_of(token)
        check_positive(aid_wad, "aid_wad")
        to = _recipient(recipient, sender)
        st = self.state
        fee = -((-aid_wad * st.redeem_fee_bps) // BPS)  # up: the protocol is not short-changed
        out = (aid_wad - fee) // scale  # down: dust stays in the reserve
        if out == 0:
            raise InvalidInput("gaib/dust", f"{aid_wad} AID redeems to zero {token}")
        ledger = self.chain.ledger
        cash = ledger.balance_of(token, self.reserve)
        if out > cash:
            raise LimitExceeded(
                "gaib/insufficient-cash",
                f"reserve holds {cash} {token}; sell T-bills (T+1) or redeem later",
            )
        day = self.chain.now // DAY
        if day != st.day:
            st.day, st.redeemed_today_wad = day, 0
        if st.daily_cap_wad and st.redeemed_today_wad + aid_wad > st.daily_cap_wad:
            raise LimitExceeded(
                "gaib/daily-cap",
                f"today's redemptions would reach {st.redeemed_today_wad + aid_wad}, cap {st.daily_cap_wad}",
            )
        st.redeemed_today_wad += aid_wad
        if fee:
            ledger.transfer(self.symbol, sender, self.treasury, fee)
        ledger.burn(self.symbol, sender, aid_wad - fee)
        ledger.transfer(token, self.reserve, to, out)
        self._require_backed()
        self.chain.emit(AidRedeemed(token, to, aid_wad, fee, out))
        return out

    # -- actions: the reserve book ------------------------------------------------------------
    @action
    def buy_tbills(self, token: str, cost: int, tenor_s: int, *, sender: str) -> int:
        """Manager: put ``cost`` of reserve cash into a T-bill lot maturing after ``tenor_s``."""
        self.chain.require_role(MANAGER_ROLE, sender, "gaib/not-manager")
        self._scale_of(token)
        check_positive(cost, "cost")
        if type(tenor_s) is not int or not DAY <= tenor_s <= MAX_TENOR_S:
            raise InvalidInput(
                "gaib/bad-tenor", f"tenor must be 1 day to 366 days, got {tenor_s!r}"
            )
        st = self.state
        face = cost + cost * st.tbill_rate_bps * tenor_s // (BPS * YEAR)  # floor: conservative
        lot_id = st.next_lot
        st.next_lot = lot_id + 1
        now = self.chain.now
        self.chain.ledger.transfer(token, self.reserve, self.desk, cost)
        self.lots[lot_id] = TBillLot(token, cost, face, now, now + tenor_s)
        self._require_backed()
        self.chain.emit(TBillBought(lot_id, token, cost, face, now + tenor_s))
        return lot_id

    @action
    def sell_tbills(self, lot_id: int, *, sender: str) -> int:
        """Manager: sell a lot at its mark now; the cash arrives T+1 through ``settle``."""
        self.chain.require_role(MANAGER_ROLE, sender, "gaib/not-manager")
        lot = self._lot(lot_id)
        if lot.sale_price:
            raise InvalidInput("gaib/already-sold", f"T-bill lot {lot_id} is already being sold")
        price = self.lot_mark(lot)
        settles = self.chain.now + SETTLEMENT_S
        self.lots[lot_id] = replace(lot, sale_price=price, settles_at=settles)
        self.chain.emit(TBillSaleRequested(lot_id, price, settles))
        return price

    @action
    def settle(self, lot_id: int, *, sender: str) -> int:
        """Anyone: collect a matured lot (face) or a sold lot after T+1 (sale price) into the reserve."""
        lot = self._lot(lot_id)
        now = self.chain.now
        if lot.sale_price and now >= lot.settles_at:
            paid = lot.sale_price
        elif not lot.sale_price and now >= lot.maturity:
            paid = lot.face
        else:
            when = lot.settles_at if lot.sale_price else lot.maturity
            raise LimitExceeded(
                "gaib/not-settled", f"T-bill lot {lot_id} pays at {when}, now {now}"
            )
        ledger = self.chain.ledger
        interest = max(paid - lot.cost, 0)
        if interest:  # T-bill interest enters from outside the system (the Treasury pays it)
            ledger.mint(lot.token, self.desk, interest)
        ledger.transfer(lot.token, self.desk, self.reserve, paid)
        del self.lots[lot_id]
        self._require_backed()
        self.chain.emit(TBillSettled(lot_id, lot.token, paid, interest))
        return paid

    @action
    def harvest(self, recipient: str, *, sender: str) -> int:
        """Manager: mint the reserve's surplus over supply as AID to ``recipient`` (the sAID fund)."""
        self.chain.require_role(MANAGER_ROLE, sender, "gaib/not-manager")
        to = _recipient(recipient, sender)
        surplus = self.reserve_value_wad() - self.supply_wad
        if surplus <= 0:
            raise InvalidInput("gaib/no-surplus", "the reserve holds no yield above AID supply")
        self.chain.ledger.mint(self.symbol, to, surplus)
        self._require_backed()
        self.chain.emit(ReserveHarvested(to, surplus))
        return surplus

    # -- administration -----------------------------------------------------------------------
    @action
    def set_whitelist(self, account: str, allowed: bool, *, sender: str) -> None:
        """Admin: allow or remove a KYC'd account for mint and redeem."""
        self.chain.require_role(ADMIN_ROLE, sender, "gaib/not-admin")
        if not isinstance(account, str) or not account:
            raise InvalidInput(
                "gaib/bad-account", f"an account is a non-empty string, got {account!r}"
            )
        if type(allowed) is not bool:
            raise InvalidInput("gaib/bad-value", f"allowed must be a bool, got {allowed!r}")
        if allowed:
            self.whitelist[account] = True
        else:
            self.whitelist.discard(account)
        self.chain.emit(WhitelistChanged(account, allowed))

    @action
    def file(self, what: str, value: int, *, sender: str) -> None:
        """Admin: set ``redeem_fee_bps``, ``tbill_rate_bps`` (new lots), ``daily_cap_wad``, ``frozen`` (0/1)."""
        self.chain.require_role(ADMIN_ROLE, sender, "gaib/not-admin")
        if what not in self.PARAMS:
            raise InvalidInput(
                "gaib/unknown-param", f"unknown parameter {what!r}; known: {', '.join(self.PARAMS)}"
            )
        v = check_amount(value, what, "gaib/bad-value")
        if what == "frozen":
            if v > 1:
                raise InvalidInput("gaib/bad-value", "frozen is 0 or 1")
            self.state.frozen = bool(v)
        else:
            if what.endswith("_bps"):
                _check_bps(v, what)
            setattr(self.state, what, v)
        self.chain.emit(GaibParameterChanged(self.symbol, what, v))


def _check_bps(value: object, name: str) -> None:
    if type(value) is not int or not 0 <= value <= BPS:
        raise InvalidInput("gaib/bad-value", f"{name} must be an int in [0, 10000], got {value!r}")


def _recipient(recipient: object, sender: str) -> str:
    if recipient == "":
        return sender
    if not isinstance(recipient, str):
        raise InvalidInput("gaib/bad-recipient", f"recipient must be an account, got {recipient!r}")
    return recipient
