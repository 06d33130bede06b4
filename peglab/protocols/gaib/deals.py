"""The Gaib deal book: GPU financing deals (debt, equity, hybrid), each in its own segregated portfolio.

Design (docs/gaib.md §4). A deal is funded by the fund account (the sAID vault) and lives in a
segregated portfolio account ``gaib:sp:<id>`` that holds only that deal's cash reserve; nothing
in the book ever moves value between two portfolios, so one deal's loss never touches another.

Origination (value flows)::

    fund -> borrower            principal
    borrower -> treasury        tokenisation fee = ceil(max(0.25%, 1% * months / 12) * principal)
    borrower -> portfolio       cash reserve = ceil(reserve_bps * principal)   (first loss)
    collateral (GPUs, off-ledger) = principal / advance rate ; its excess is the OC (second loss)

Monthly settlement by the servicer, on each due date, with the month's reported GPU revenue and
operating cost (the simulation credits and debits the borrower's account with them)::

    interest   = ceil(P * coupon / 12)                       (debt, hybrid; equity pays none)
    amort      = annuity: payment - interest on the schedule ; bullet: all at the end ;
                 equity: straight-line capital recovery original / term
    due        = overdue interest + interest + (P - schedule balance after this month)
    owed       = debt: due ; equity: share * max(rev - opex, 0) ; hybrid: due + share_h * max(rev - opex - scheduled, 0)
    pulled     = min(borrower balance, owed)  -> portfolio ; the reserve covers what stays short of due
    applied    = to overdue and current interest first, then principal
    income     = interest paid + upside ; protocol fee = min(income, floor(0.25% * P / 12)) -> stakers ;
                 performance fee = floor(15% * (income - protocol fee)) -> treasury ; the rest -> fund
    DSCR       = (rev - opex) / scheduled debt service of the month

States: performing -> delinquent (arrears, or DSCR < 1 in the month) -> default (arrears 90 days
old) -> recovery (re-hosted with a new operator) or sold; back to performing once arrears are
cured. Withdrawal NAV write-downs: 30% of principal when arrears are 60 days old, 60% at 90 days,
then ``P - expected recovery`` once the servicer marks it (rounded up: never over-valued).
A sale pays its cost first, then the portfolio's reserve (first loss) and then the collateral
proceeds (second loss) meet the claim; any excess goes back to the borrower.

Rounding: what borrowers owe rounds up; fees the fund pays round down.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Protocol

from ...errors import InvalidInput, LimitExceeded
from ...kernel import Chain, Record, Table, action, query
from ...math.loan_rates import staged_writedown
from ...units import BPS, DAY, WAD, check_amount, check_positive, show
from .aid import MANAGER_ROLE
from .events import CollateralSold, DealOriginated, DealRehosted, DealSettled, RecoveryMarked

__all__ = [
    "DAYS_TO_DEFAULT",
    "KINDS",
    "MONTH_S",
    "Deal",
    "DealBook",
    "DealTerms",
    "FundLike",
    "annuity_payment",
    "tokenisation_fee",
]

MONTH_S = 30 * DAY
KINDS = ("debt", "equity", "hybrid")
DAYS_TO_DEFAULT = 90
DSCR_CAP_WAD = 100 * WAD
OPEN = ("performing", "delinquent", "default", "recovery")


def tokenisation_fee(principal_wad: int, term_months: int) -> int:
    """``ceil(max(0.25%, 1.00% * term_years) * principal)``: borrower -> treasury, upfront."""
    bps_num = max(25 * 12, 100 * term_months)  # bps * 12
    return -((-principal_wad * bps_num) // (BPS * 12))


def annuity_payment(principal_wad: int, coupon_bps: int, months: int) -> int:
    """Level monthly payment ``ceil(P r / (1 - (1 + r)^-n))`` with ``r = coupon / 12`` (exact)."""
    if coupon_bps == 0:
        return -((-principal_wad) // months)
    r = Fraction(coupon_bps, 12 * BPS)
    g = (1 + r) ** months
    exact = principal_wad * r * g / (g - 1)
    return -((-exact.numerator) // exact.denominator)


class FundLike(Protocol):
    """What the book asks the fund before lending: its cash not promised to anyone else."""

    def free_assets(self) -> int: ...


@dataclass(frozen=True, slots=True)
class DealTerms:
    """What an originator proposes. Shares and coupons in bps; amounts in the fund's asset (wad)."""

    kind: str
    borrower: str
    principal_wad: int
    term_months: int
    coupon_bps: int = 0  # debt and hybrid
    share_bps: int = 0  # equity: share of net GPU revenue; hybrid: share of the excess
    amortising: bool = True  # annuity; False = bullet (interest only, principal at the end)
    reserve_bps: int = 660  # cash reserve: $5M on $75M (docs/gaib.md §4)
    advance_bps: int = 7500  # principal / collateral value: $75M tokens on $100M loans
    sale_cost_bps: int = 1000
    gpus: int = 0
    generation: str = "H100"


class Deal(Record):
    """One deal and its segregated portfolio (its reserve sits in the ledger at ``gaib:sp:<id>``)."""

    __slots__ = (
        "advance_bps",
        "amortising",
        "arrears_interest_wad",
        "arrears_since",
        "borrower",
        "collateral_wad",
        "coupon_bps",
        "expected_recovery_wad",
        "generation",
        "gpus",
        "income_wad",
        "kind",
        "last_dscr_wad",
        "loss_wad",
        "months_done",
        "next_due",
        "oc_used_wad",
        "original_wad",
        "payment_wad",
        "principal_wad",
        "reserve_wad",
        "sale_cost_bps",
        "schedule_wad",
        "share_bps",
        "start",
        "status",
        "term_months",
        "writedown_wad",
    )
    kind: str
    borrower: str
    status: str
    original_wad: int
    principal_wad: int
    schedule_wad: int
    payment_wad: int
    coupon_bps: int
    share_bps: int
    amortising: bool
    term_months: int
    months_done: int
    start: int
    next_due: int
    reserve_wad: int
    collateral_wad: int
    advance_bps: int
    sale_cost_bps: int
    oc_used_wad: int
    arrears_interest_wad: int
    arrears_since: int  # due date of the oldest unpaid amount; 0 when current
    writedown_wad: int
    expected_recovery_wad: int  # -1 until the servicer marks it
    last_dscr_wad: int
    income_wad: int
    loss_wad: int
    gpus: int
    generation: str

    @property
    def arrears_wad(self) -> int:
        """Overdue interest plus principal above the schedule."""
        return self.arrears_interest_wad + self.principal_wad - self.schedule_wad


class BookTotals(Record):
    """Aggregates the NAV reads (kept equal to the sums over deals; a state machine checks it)."""

    __slots__ = ("losses_wad", "next_id", "principal_wad", "writedown_wad")
    next_id: int
    principal_wad: int
    writedown_wad: int
    losses_wad: int


@dataclass(frozen=True, slots=True)
class _Month:
    interest: int
    amort: int
    due: int
    scheduled: int


class DealBook:
    """Every deal of one fund; the servicer (``gaib/manager``) originates, settles, marks and sells."""

    def __init__(
        self,
        chain: Chain,
        asset: str,
        fund: str,
        *,
        name: str = "gaib",
        treasury: str = "gaib:treasury",
        stakers: str = "gaib:stakers",
        sale_sink: str = "gaib:sale-costs",
        protocol_fee_bps: int = 25,
        performance_fee_bps: int = 1500,
    ) -> None:
        chain.ledger.token(asset)
        for v, what in (
            (protocol_fee_bps, "protocol fee"),
            (performance_fee_bps, "performance fee"),
        ):
            if type(v) is not int or not 0 <= v <= BPS:
                raise InvalidInput("gaib/bad-value", f"{what} must be in [0, 10000] bps, got {v!r}")
        self.chain = chain
        self.asset = asset
        self.fund = fund
        chain.protect_namespace("gaib", "Gaib")  # engine accounts: never a sender
        self.treasury = treasury
        self.stakers = stakers
        self.sale_sink = sale_sink
        self.protocol_fee_bps = protocol_fee_bps
        self.performance_fee_bps = performance_fee_bps
        self.fund_view: FundLike | None = None
        self.deals: Table[int, Deal] = Table(chain.journal)
        self.totals = BookTotals(
            chain.journal, next_id=1, principal_wad=0, writedown_wad=0, losses_wad=0
        )
        chain.register(f"{name}/deals", self.deals)
        chain.register(f"{name}/deal-totals", self.totals)

    def bind_fund(self, fund: FundLike) -> None:
        """Setup: lend only the fund's free cash (a vault's AID reserved for claims is not)."""
        self.fund_view = fund

    # -- reads --------------------------------------------------------------------------------
    @staticmethod
    def portfolio(deal_id: int) -> str:
        """The segregated portfolio account of a deal."""
        return f"gaib:sp:{deal_id}"

    @query
    def deal(self, deal_id: object) -> Deal:
        """The deal, or ``InvalidInput gaib/unknown-deal``."""
        if type(deal_id) is not int or deal_id not in self.deals:
            raise InvalidInput("gaib/unknown-deal", f"no deal {show(deal_id)}")
        return self.deals[deal_id]

    def principal_wad(self) -> int:
        """Outstanding principal of every open deal."""
        return self.totals.principal_wad

    def writedown_wad(self) -> int:
        """Write-downs applied in the withdrawal NAV."""
        return self.totals.writedown_wad

    def accrued_income_net_wad(self) -> int:
        """Interest accrued since the last due date on performing interest-bearing deals, net of
        the protocol and performance fees it will pay (each term floored)."""
        now, total = self.chain.now, 0
        for d in self.deals.values():
            if d.status == "performing" and d.coupon_bps and d.principal_wad:
                elapsed = min(max(now - (d.next_due - MONTH_S), 0), MONTH_S)
                den = 12 * BPS * MONTH_S
                gross = d.principal_wad * d.coupon_bps * elapsed // den
                fee = min(gross, d.principal_wad * self.protocol_fee_bps * elapsed // den)
                total += gross - fee - (gross - fee) * self.performance_fee_bps // BPS
        return total

    def _month(self, d: Deal) -> _Month:
        """The scheduled amounts of the deal's next due date."""
        last = d.months_done + 1 >= d.term_months
        interest = 0
        if d.kind != "equity" and d.principal_wad:
            interest = -((-d.principal_wad * d.coupon_bps) // (12 * BPS))
        if d.months_done >= d.term_months:
            amort = 0  # past maturity: only arrears remain
        elif last:
            amort = d.schedule_wad
        elif d.kind == "equity":
            amort = min(d.schedule_wad, -((-d.original_wad) // d.term_months))
        elif d.amortising:
            sched_int = -((-d.schedule_wad * d.coupon_bps) // (12 * BPS))
            amort = min(d.schedule_wad, max(d.payment_wad - sched_int, 0))
        else:
            amort = 0
        after = d.schedule_wad - amort
        due = d.arrears_interest_wad + interest + d.principal_wad - after
        return _Month(interest, amort, due, interest + amort)

    # -- actions ------------------------------------------------------------------------------
    @action
    def originate(self, terms: DealTerms, *, sender: str) -> int:
        """Servicer: fund a deal from the fund account; the borrower pays the fee and the reserve."""
        self.chain.require_role(MANAGER_ROLE, sender, "gaib/not-manager")
        t = _validate(terms)
        fee = tokenisation_fee(t.principal_wad, t.term_months)
        reserve = -((-t.principal_wad * t.reserve_bps) // BPS)
        if fee + reserve >= t.principal_wad:
            raise InvalidInput(
                "gaib/bad-terms", "fee and reserve would consume the whole principal"
            )
        ledger = self.chain.ledger
        cash = ledger.balance_of(self.asset, self.fund)
        if self.fund_view is not None:
            cash = min(cash, self.fund_view.free_assets())
        if cash < t.principal_wad:
            raise LimitExceeded(
                "gaib/insufficient-liquidity",
                f"the fund has {cash} free to lend, the deal needs {t.principal_wad}",
            )
        deal_id = self.totals.next_id
        self.totals.next_id = deal_id + 1
        payment = 0
        if t.kind != "equity" and t.amortising:
            payment = annuity_payment(t.principal_wad, t.coupon_bps, t.term_months)
        now = self.chain.now
        self.deals[deal_id] = Deal(
            self.chain.journal,
            kind=t.kind,
            borrower=t.borrower,
            status="performing",
            original_wad=t.principal_wad,
            principal_wad=t.principal_wad,
            schedule_wad=t.principal_wad,
            payment_wad=payment,
            coupon_bps=t.coupon_bps,
            share_bps=t.share_bps,
            amortising=t.amortising,
            term_months=t.term_months,
            months_done=0,
            start=now,
            next_due=now + MONTH_S,
            reserve_wad=reserve,
            collateral_wad=t.principal_wad * BPS // t.advance_bps,
            advance_bps=t.advance_bps,
            sale_cost_bps=t.sale_cost_bps,
            oc_used_wad=0,
            arrears_interest_wad=0,
            arrears_since=0,
            writedown_wad=0,
            expected_recovery_wad=-1,
            last_dscr_wad=DSCR_CAP_WAD,
            income_wad=0,
            loss_wad=0,
            gpus=t.gpus,
            generation=t.generation,
        )
        ledger.transfer(self.asset, self.fund, t.borrower, t.principal_wad)
        ledger.transfer(self.asset, t.borrower, self.treasury, fee)
        ledger.transfer(self.asset, t.borrower, self.portfolio(deal_id), reserve)
        self.totals.principal_wad += t.principal_wad
        self.chain.emit(DealOriginated(deal_id, t.kind, t.borrower, t.principal_wad, reserve, fee))
        return deal_id

    @action
    def settle_month(
        self, deal_id: int, revenue_wad: int, opex_wad: int, *, sender: str
    ) -> DealSettled:
        """Servicer: settle the deal's due date with the month's reported revenue and opex."""
        self.chain.require_role(MANAGER_ROLE, sender, "gaib/not-manager")
        d = self.deal(deal_id)
        check_amount(revenue_wad, "revenue_wad")
        check_amount(opex_wad, "opex_wad")
        if d.status not in OPEN:
            raise InvalidInput("gaib/deal-closed", f"deal {deal_id} is {d.status}")
        if self.chain.now < d.next_due:
            raise LimitExceeded("gaib/not-due", f"deal {deal_id} is due at {d.next_due}")
        m = self._month(d)
        net = revenue_wad - opex_wad
        owed = m.due
        if d.kind == "equity":
            owed = max(net, 0) * d.share_bps // BPS
        elif d.kind == "hybrid":
            owed += max(net - m.scheduled, 0) * d.share_bps // BPS
        ledger, sp = self.chain.ledger, self.portfolio(deal_id)
        pulled = min(ledger.balance_of(self.asset, d.borrower), owed)
        ledger.transfer(self.asset, d.borrower, sp, pulled)
        applied = min(pulled, m.due)
        upside = pulled - applied
        draw = min(d.reserve_wad, m.due - applied)  # the reserve is the first loss
        d.reserve_wad -= draw
        received = applied + draw
        interest_due = d.arrears_interest_wad + m.interest
        int_paid = min(received, interest_due)
        prin_paid = received - int_paid
        d.arrears_interest_wad = interest_due - int_paid
        d.principal_wad -= prin_paid
        d.schedule_wad -= m.amort
        income = int_paid + upside
        protocol_fee = min(
            income, prin_base_fee(d.principal_wad + prin_paid, self.protocol_fee_bps)
        )
        perf_fee = (income - protocol_fee) * self.performance_fee_bps // BPS
        ledger.transfer(self.asset, sp, self.stakers, protocol_fee)
        ledger.transfer(self.asset, sp, self.treasury, perf_fee)
        ledger.transfer(self.asset, sp, self.fund, received + upside - protocol_fee - perf_fee)
        d.income_wad += income - protocol_fee - perf_fee
        d.last_dscr_wad = (
            DSCR_CAP_WAD
            if m.scheduled == 0
            else max(min(net * WAD // m.scheduled, DSCR_CAP_WAD), -DSCR_CAP_WAD)
        )
        self.totals.principal_wad -= prin_paid
        if d.arrears_wad:
            if not d.arrears_since:
                d.arrears_since = d.next_due
        else:
            d.arrears_since = 0
        d.months_done += 1
        d.next_due += MONTH_S
        self._restage(d, sp)
        ev = DealSettled(
            deal_id,
            d.status,
            pulled,
            draw,
            prin_paid,
            income,
            protocol_fee,
            perf_fee,
            d.arrears_wad,
            d.writedown_wad,
        )
        self.chain.emit(ev)
        return ev

    def _restage(self, d: Deal, sp: str) -> None:
        """Status and write-down from the arrears' age and the month's DSCR; close repaid deals."""
        late_days = (self.chain.now - d.arrears_since) // DAY if d.arrears_since else 0
        if d.principal_wad == 0 and d.arrears_wad == 0 and d.months_done >= d.term_months:
            d.status = "repaid"
            self.chain.ledger.transfer(self.asset, sp, d.borrower, d.reserve_wad)
            d.reserve_wad = 0
        elif late_days >= DAYS_TO_DEFAULT:
            d.status = "default" if d.status != "recovery" else "recovery"
        elif d.arrears_wad or d.last_dscr_wad < WAD:
            d.status = "delinquent" if d.status != "recovery" else "recovery"
        else:
            d.status = "performing"
            d.expected_recovery_wad = -1
        self._set_writedown(d, late_days)

    def _set_writedown(self, d: Deal, late_days: int) -> None:
        marked = d.status in ("default", "recovery") and d.expected_recovery_wad >= 0
        wd = staged_writedown(
            d.principal_wad, late_days, d.expected_recovery_wad if marked else None
        )
        self.totals.writedown_wad += wd - d.writedown_wad
        d.writedown_wad = wd

    @action
    def mark_recovery(self, deal_id: int, expected_wad: int, *, sender: str) -> int:
        """Servicer: mark a defaulted deal to its expected recovery; returns the new write-down."""
        self.chain.require_role(MANAGER_ROLE, sender, "gaib/not-manager")
        d = self.deal(deal_id)
        check_amount(expected_wad, "expected_wad")
        if d.status not in ("default", "recovery"):
            raise InvalidInput(
                "gaib/not-defaulted", f"deal {deal_id} is {d.status}, not in default"
            )
        d.expected_recovery_wad = expected_wad
        self._set_writedown(d, 0)
        self.chain.emit(RecoveryMarked(deal_id, expected_wad, d.writedown_wad))
        return d.writedown_wad

    @action
    def rehost(self, deal_id: int, new_borrower: str, *, sender: str) -> None:
        """Servicer: move the true-sold GPUs of a defaulted deal to a new operator (keeps earning)."""
        self.chain.require_role(MANAGER_ROLE, sender, "gaib/not-manager")
        d = self.deal(deal_id)
        if d.status != "default":
            raise InvalidInput(
                "gaib/not-defaulted", f"deal {deal_id} is {d.status}, not in default"
            )
        if not isinstance(new_borrower, str) or not new_borrower or new_borrower == d.borrower:
            raise InvalidInput("gaib/bad-account", f"bad new operator {new_borrower!r}")
        old = d.borrower
        d.borrower, d.status = new_borrower, "recovery"
        self.chain.emit(DealRehosted(deal_id, old, new_borrower))

    @action
    def sell_collateral(self, deal_id: int, price_wad: int, buyer: str, *, sender: str) -> int:
        """Servicer: sell a defaulted deal's GPUs to ``buyer``; returns the fund's realised loss."""
        self.chain.require_role(MANAGER_ROLE, sender, "gaib/not-manager")
        d = self.deal(deal_id)
        check_amount(price_wad, "price_wad")
        if d.status not in ("default", "recovery"):
            raise InvalidInput(
                "gaib/not-defaulted", f"deal {deal_id} is {d.status}, not in default"
            )
        if not isinstance(buyer, str) or not buyer:
            raise InvalidInput("gaib/bad-account", f"bad buyer {buyer!r}")
        ledger, sp = self.chain.ledger, self.portfolio(deal_id)
        ledger.transfer(self.asset, buyer, sp, price_wad)
        cost = -((-price_wad * d.sale_cost_bps) // BPS)  # up: sale costs are paid in full
        net = price_wad - cost
        claim = d.principal_wad + d.arrears_interest_wad
        from_reserve = min(d.reserve_wad, claim)  # first loss
        from_collateral = min(net, claim - from_reserve)  # second loss: the OC
        recovered = from_reserve + from_collateral
        loss = max(d.principal_wad - recovered, 0)
        to_borrower = d.reserve_wad - from_reserve + net - from_collateral
        ledger.transfer(self.asset, sp, self.sale_sink, cost)
        ledger.transfer(self.asset, sp, self.fund, recovered)
        ledger.transfer(self.asset, sp, d.borrower, to_borrower)
        t = self.totals
        t.principal_wad -= d.principal_wad
        t.writedown_wad -= d.writedown_wad
        t.losses_wad += loss
        d.oc_used_wad, d.reserve_wad = from_collateral, 0
        d.loss_wad, d.principal_wad, d.schedule_wad = loss, 0, 0
        d.arrears_interest_wad, d.writedown_wad, d.arrears_since = 0, 0, 0
        d.status = "sold"
        self.chain.emit(
            CollateralSold(
                deal_id, price_wad, cost, from_reserve, from_collateral, to_borrower, loss
            )
        )
        return loss


def prin_base_fee(principal_wad: int, fee_bps: int) -> int:
    """One month of the annual protocol fee on principal: ``floor(P * fee / 12)`` (the fund pays)."""
    return principal_wad * fee_bps // (12 * BPS)


def _validate(t: object) -> DealTerms:
    if not isinstance(t, DealTerms):
        raise InvalidInput("gaib/bad-terms", f"terms must be DealTerms, got {type(t).__name__}")
    if t.kind not in KINDS:
        raise InvalidInput("gaib/bad-kind", f"deal kind must be one of {KINDS}, got {t.kind!r}")
    if not isinstance(t.borrower, str) or not t.borrower:
        raise InvalidInput("gaib/bad-account", f"bad borrower {t.borrower!r}")
    check_positive(t.principal_wad, "principal_wad")
    if type(t.term_months) is not int or not 1 <= t.term_months <= 60:
        raise InvalidInput("gaib/bad-terms", f"term must be 1-60 months, got {t.term_months!r}")
    for name in ("coupon_bps", "share_bps", "reserve_bps", "sale_cost_bps"):
        v = getattr(t, name)
        if type(v) is not int or not 0 <= v <= BPS:
            raise InvalidInput("gaib/bad-terms", f"{name} must be in [0, 10000], got {v!r}")
    if type(t.advance_bps) is not int or not 0 < t.advance_bps <= BPS:
        raise InvalidInput(
            "gaib/bad-terms", f"advance must be in (0, 10000], got {t.advance_bps!r}"
        )
    if type(t.amortising) is not bool or type(t.gpus) is not int or t.gpus < 0:
        raise InvalidInput("gaib/bad-terms", "amortising is a bool and gpus a non-negative int")
    if t.kind in ("debt", "hybrid") and t.coupon_bps == 0:
        raise InvalidInput("gaib/bad-terms", f"a {t.kind} deal needs a coupon")
    if t.kind in ("equity", "hybrid") and t.share_bps == 0:
        raise InvalidInput("gaib/bad-terms", f"an {t.kind} deal needs a revenue share")
    return t
