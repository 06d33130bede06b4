"""The LLAMMA Controller: loans whose collateral sits in AMM bands, their health, hard liquidation.

Restated from Curve's crvUSD ``Controller.vy`` (docs/llamma.md §4). A loan of ``debt`` against
``collateral`` spread over ``N`` bands (4 to 50) is placed as high in price as the debt allows:
``y_effective`` is the stablecoin the collateral would fetch if sold slowly down its bands (per
unit of the top band's price, discounted by ``loan_discount``), and the top band ``n1`` is the
one whose upper price makes ``y_effective · p_up(n1)`` cover the debt (a base-2 logarithm and a
division by ``log2(A/(A-1))``, truncated toward zero like the contract). It must lie below the
oracle price.

Health is ``x_down · (1 - liquidation_discount) / debt - 1`` where ``x_down`` is the stablecoin
the loan would end with after a slow fall through its bands; "full" health adds the value of
the collateral between the oracle and the loan's top band while the loan is not yet in soft
liquidation. Anyone may hard-liquidate a loan whose full health is negative (with the loan's own
discount); the owner may close it at any time with discount 0. The liquidator repays the debt
(less the stablecoin the loan's bands already hold) and takes the loan's collateral.

Value flows (ledger): the controller mints the stablecoin it lends and burns what is repaid (the
contract lends from a pre-minted balance; minting here keeps conservation checkable without a
debt-ceiling reserve). Collateral moves between the user and the AMM's account; the AMM's
stablecoin paid for sold collateral is burnt on repayment or paid to the liquidator.
"""

from __future__ import annotations

from ...errors import InvalidInput, NotAuthorized, Slippage, Unsafe
from ...kernel import Chain, Record, Table, action, query
from ...math.fixedpoint import div_trunc
from ...units import check_amount, check_positive
from .amm import Llamma
from .events import FeeSet, LoanChanged, LoanCreated, LoanLiquidated, LoanRepaid, RateSet
from .math import DEAD_SHARES, MAX_SKIP_TICKS, MAX_TICKS, WAD, log2_wad, reverts

__all__ = ["Controller", "ControllerState"]

MIN_TICKS = 4
MAX_P_BASE_BANDS = 5
MAX_RATE = 43959106799  # per second: 400% a year
MAX_LOAN_DISCOUNT = 5 * 10**17
MIN_LIQUIDATION_DISCOUNT = 10**16
MAX_FEE = 10**17


class ControllerState(Record):
    __slots__ = (
        "liquidation_discount_wad",
        "loan_discount_wad",
        "minted",
        "policy_rate_wad",
        "redeemed",
        "total_initial_debt",
        "total_rate_mul_wad",
    )
    total_initial_debt: int
    total_rate_mul_wad: int
    minted: int
    redeemed: int
    loan_discount_wad: int
    liquidation_discount_wad: int
    policy_rate_wad: int


class Controller:
    """Loans of ``amm.borrowed`` against ``amm.collateral``; the admin sets rate, fee, discounts."""

    ADMIN_ROLE = "llamma/admin"

    def __init__(
        self,
        chain: Chain,
        amm: Llamma,
        *,
        loan_discount_wad: int,
        liquidation_discount_wad: int,
        name: str,
    ) -> None:
        _check_discounts(loan_discount_wad, liquidation_discount_wad)
        self.chain, self.amm = chain, amm
        self.log2_a_ratio = log2_wad(amm.a * WAD // (amm.a - 1))
        self.account = f"{name}:controller"
        j = chain.journal
        self.state = ControllerState(
            j,
            total_initial_debt=0,
            total_rate_mul_wad=WAD,
            minted=0,
            redeemed=0,
            loan_discount_wad=loan_discount_wad,
            liquidation_discount_wad=liquidation_discount_wad,
            policy_rate_wad=0,
        )
        self.loans: Table[str, tuple[int, int]] = Table(j)  # user -> (initial debt, rate_mul)
        self.liquidation_discounts: Table[str, int] = Table(j)
        chain.register(f"{name}/controller", self.state)
        chain.register(f"{name}/loans", self.loans)
        chain.register(f"{name}/liquidation-discounts", self.liquidation_discounts)

    # -- reads --------------------------------------------------------------------------------
    def _debt(self, user: str) -> tuple[int, int]:
        rate_mul = self.amm.rate_mul()
        loan = self.loans.get(user)
        return (0, rate_mul) if loan is None else (loan[0] * rate_mul // loan[1], rate_mul)

    @query
    def debt(self, user: str) -> int:
        """The loan's debt now, interest included (floor)."""
        return self._debt(user)[0]

    @query
    def loan_exists(self, user: str) -> bool:
        return user in self.loans

    @query
    def total_debt(self) -> int:
        st = self.state
        return st.total_initial_debt * self.amm.rate_mul() // st.total_rate_mul_wad

    def y_effective(self, collateral18: int, n_bands: int, discount_wad: int) -> int:
        """Collateral (18 dec.) per unit of the top band's price, sold slowly down ``N`` bands,
        less ``discount`` and a dead-shares margin (floor at each band)."""
        amm = self.amm
        margin = DEAD_SHARES * WAD // max(collateral18 // n_bands, DEAD_SHARES)
        kept = WAD - min(discount_wad + margin, WAD)
        d = collateral18 * kept // (amm.sqrt_band_ratio * n_bands)
        total = d
        for _ in range(1, min(n_bands, MAX_TICKS)):  # the contract's loop stops at 50 bands
            d = d * (amm.a - 1) // amm.a
            total += d
        return total

    @query
    def calculate_debt_n1(self, collateral: int, debt: int, n_bands: int) -> int:
        """The top band for a loan (refused ``llamma/debt-too-high`` if it would sit at or above
        the oracle price or below liquidity that cannot be skipped)."""
        if debt <= 0:
            raise InvalidInput("llamma/no-loan", "debt must be positive")
        _check_n(n_bands)
        amm = self.amm
        n0 = amm.active_band
        p_base = amm.p_oracle_up(n0)
        y_eff = self.y_effective(
            collateral * amm.collateral_precision, n_bands, self.state.loan_discount_wad
        )
        ratio = y_eff * p_base // (debt + 1)
        if ratio <= 0:
            raise InvalidInput("llamma/amount-too-low", "collateral too small for this debt")
        n1 = log2_wad(ratio)
        if n1 < 0:
            n1 -= self.log2_a_ratio - 1
        n1 = div_trunc(n1, self.log2_a_ratio)
        n1 = min(n1, 1024 - n_bands) + n0
        if n1 <= n0 and not amm.can_skip_bands(n1 - 1):
            raise Unsafe("llamma/debt-too-high", "the loan would sit in bands with liquidity")
        if amm.p_oracle_up(n1) >= amm.price_oracle():
            raise Unsafe("llamma/debt-too-high", "the loan's top band would be above the price")
        return n1

    @reverts
    def _max_p_base(self) -> int:
        amm = self.amm
        p_oracle = amm.price_oracle()
        ratio = amm.get_base_price() * WAD // p_oracle
        n1 = div_trunc(log2_wad(ratio), self.log2_a_ratio) + MAX_P_BASE_BANDS
        n_min = amm.active_band_with_skip()
        n1 = max(n1, n_min + 1)
        p_base = amm.p_oracle_up(n1)
        for _ in range(MAX_SKIP_TICKS + 1):
            n1 -= 1
            if n1 <= n_min:
                break
            prev, p_base = p_base, p_base * amm.a // (amm.a - 1)
            if p_base > p_oracle:
                return prev
        return p_base

    @query
    def max_borrowable(self, collateral: int, n_bands: int) -> int:
        """The largest debt ``create_loan(collateral, ·, N)`` accepts now (a hair below it)."""
        _check_n(n_bands)
        amm = self.amm
        y_eff = self.y_effective(
            collateral * amm.collateral_precision, n_bands, self.state.loan_discount_wad
        )
        x = max(y_eff * self._max_p_base() // WAD, 1) - 1
        return x * (WAD - 10**14) // WAD

    def _health(self, user: str, debt: int, full: bool, discount_wad: int) -> int:
        amm = self.amm
        h = div_trunc(amm.get_x_down(user) * (WAD - discount_wad), debt) - WAD
        if full:
            ns0 = amm.read_user_tick_numbers(user)[0]
            if ns0 > amm.active_band:  # not yet in soft liquidation
                p, p_up = amm.price_oracle(), amm.p_oracle_up(ns0)
                if p > p_up:
                    y = amm.get_sum_xy(user)[1] * amm.collateral_precision
                    h += div_trunc((p - p_up) * y, debt)
        return h

    @query
    def health(self, user: str, full: bool = False) -> int:
        """The loan's health in wad (negative: hard liquidation allowed)."""
        debt = self._debt(user)[0]
        if debt <= 0:
            raise InvalidInput("llamma/no-loan", f"{user} has no loan")
        return self._health(user, debt, full, self.liquidation_discounts.get(user, 0))

    @query
    def users_to_liquidate(self) -> list[tuple[str, int]]:
        """Loans whose full health is negative: (user, health), in user order."""
        out: list[tuple[str, int]] = []
        for user in sorted(self.loans):
            debt = self._debt(user)[0]
            h = self._health(user, debt, True, self.liquidation_discounts.get(user, 0))
            if h < 0:
                out.append((user, h))
        return out

    @query
    def user_state(self, user: str) -> tuple[int, int, int, int]:
        """(collateral, stablecoin, debt, N) of the loan now."""
        x, y = self.amm.get_sum_xy(user)
        n1, n2 = self.amm.read_user_tick_numbers(user)
        n = n2 - n1 + 1 if user in self.loans else 0
        return y, x, self._debt(user)[0], n

    # -- loans --------------------------------------------------------------------------------
    def _save_rate(self) -> None:
        self.amm.set_rate(min(self.state.policy_rate_wad, MAX_RATE))

    def _add_total(self, d_debt: int, rate_mul: int) -> None:
        st = self.state
        st.total_initial_debt = st.total_initial_debt * rate_mul // st.total_rate_mul_wad + d_debt
        st.total_rate_mul_wad = rate_mul

    def _sub_total(self, d_debt: int, rate_mul: int) -> None:
        st = self.state
        total = st.total_initial_debt * rate_mul // st.total_rate_mul_wad
        st.total_initial_debt = max(total, d_debt) - d_debt
        st.total_rate_mul_wad = rate_mul

    @action
    def create_loan(self, collateral: int, debt: int, n_bands: int, *, sender: str) -> None:
        """Deposit ``collateral`` over ``n_bands`` bands and borrow ``debt`` (minted to the sender).

        Refused: ``llamma/loan-exists``, ``llamma/bad-bands`` (N outside 4..50),
        ``llamma/debt-too-high``, ``llamma/amount-too-low``, ``ledger/insufficient-balance``.
        """
        check_positive(collateral, "collateral", "llamma/bad-amount")
        check_positive(debt, "debt", "llamma/bad-amount")
        if sender in self.loans:
            raise InvalidInput("llamma/loan-exists", f"{sender} already has a loan")
        _check_n(n_bands)
        amm = self.amm
        n1 = self.calculate_debt_n1(collateral, debt, n_bands)
        n2 = n1 + n_bands - 1
        rate_mul = amm.rate_mul()
        self.loans[sender] = (debt, rate_mul)
        ld = self.state.liquidation_discount_wad
        self.liquidation_discounts[sender] = ld
        self._add_total(debt, rate_mul)
        amm.deposit_range(sender, collateral, n1, n2)
        self.state.minted += debt
        led = self.chain.ledger
        led.transfer(amm.collateral, sender, amm.account, collateral)
        led.mint(amm.borrowed, sender, debt)
        self._save_rate()
        self.chain.emit(LoanCreated(sender, collateral, debt, n1, n2, ld))

    def _change(self, user: str, d_coll: int, d_debt: int, sender: str) -> None:
        """Re-deposit ``user``'s loan with collateral ``+d_coll`` and debt ``+d_debt``."""
        debt, rate_mul = self._debt(user)
        if debt <= 0:
            raise InvalidInput("llamma/no-loan", f"{user} has no loan")
        amm = self.amm
        debt += d_debt
        n1_old, n2_old = amm.read_user_tick_numbers(user)
        x, y = amm.withdraw(user, WAD)
        if x != 0:
            raise Unsafe("llamma/in-soft-liquidation", "the loan holds stablecoin: repay instead")
        if y + d_coll <= 0:
            raise InvalidInput("llamma/bad-amount", "cannot remove more collateral than held")
        y += d_coll
        n1 = self.calculate_debt_n1(y, debt, n2_old - n1_old + 1)
        n2 = n1 + n2_old - n1_old
        amm.deposit_range(user, y, n1, n2)
        self.loans[user] = (debt, rate_mul)
        if user == sender:
            self.liquidation_discounts[user] = self.state.liquidation_discount_wad
        if d_debt:
            self._add_total(d_debt, rate_mul)
        self._save_rate()
        self.chain.emit(LoanChanged(user, d_coll, d_debt, y, debt, n1, n2))

    @action
    def add_collateral(self, collateral: int, user: str, *, sender: str) -> None:
        """Add collateral to ``user``'s loan (not in soft liquidation); the loan moves up in bands."""
        check_positive(collateral, "collateral", "llamma/bad-amount")
        self._change(user, collateral, 0, sender)
        self.chain.ledger.transfer(self.amm.collateral, sender, self.amm.account, collateral)

    @action
    def remove_collateral(self, collateral: int, *, sender: str) -> None:
        """Take collateral out of the sender's loan (refused if the debt then sits too high)."""
        check_positive(collateral, "collateral", "llamma/bad-amount")
        self._change(sender, -collateral, 0, sender)
        self.chain.ledger.transfer(self.amm.collateral, self.amm.account, sender, collateral)

    @action
    def borrow_more(self, collateral: int, debt: int, *, sender: str) -> None:
        """Add ``collateral`` (may be 0) and borrow ``debt`` more."""
        check_amount(collateral, "collateral", "llamma/bad-amount")
        check_positive(debt, "debt", "llamma/bad-amount")
        self._change(sender, collateral, debt, sender)
        self.state.minted += debt
        led = self.chain.ledger
        if collateral:
            led.transfer(self.amm.collateral, sender, self.amm.account, collateral)
        led.mint(self.amm.borrowed, sender, debt)

    @action
    def repay(self, amount: int, user: str, *, sender: str) -> None:
        """Repay up to ``amount`` of ``user``'s debt from the sender's stablecoin (burnt).

        All of it: the loan closes and its bands' coins go to ``user`` (stablecoin only if the
        sender is the user). Part of it, outside soft liquidation: the loan moves to new bands.
        Inside soft liquidation the bands stay. Someone else's partial repayment must leave the
        loan healthy (``llamma/unhealthy``).
        """
        check_positive(amount, "amount", "llamma/bad-amount")
        debt, rate_mul = self._debt(user)
        if debt <= 0:
            raise InvalidInput("llamma/no-loan", f"{user} has no loan")
        amm, led = self.amm, self.chain.ledger
        d_debt = min(debt, amount)
        debt -= d_debt
        xy = (0, 0)
        if debt == 0:
            xy = amm.withdraw(user, WAD)
            if xy[0] > 0:
                if user != sender:
                    raise NotAuthorized(
                        "llamma/not-owner", "only the owner may close a loan in soft liquidation"
                    )
                led.transfer(amm.borrowed, amm.account, user, xy[0])
            if xy[1] > 0:
                led.transfer(amm.collateral, amm.account, user, xy[1])
            del self.loans[user]
            self.liquidation_discounts.discard(user)
        else:
            ns0, ns1 = amm.read_user_tick_numbers(user)
            ld = self.liquidation_discounts.get(user, 0)
            if ns0 > amm.active_band_with_skip():  # not in soft liquidation: move the bands
                _, y = amm.withdraw(user, WAD)
                n1 = self.calculate_debt_n1(y, debt, ns1 - ns0 + 1)
                amm.deposit_range(user, y, n1, n1 + ns1 - ns0)
                if user == sender:
                    ld = self.state.liquidation_discount_wad
                    self.liquidation_discounts[user] = ld
            if user != sender and self._health(user, debt, False, ld) <= 0:
                raise Unsafe("llamma/unhealthy", "this repayment would leave the loan unhealthy")
            self.loans[user] = (debt, rate_mul)
        led.burn(amm.borrowed, sender, d_debt)
        self.state.redeemed += d_debt
        self._sub_total(d_debt, rate_mul)
        self._save_rate()
        self.chain.emit(LoanRepaid(user, sender, d_debt, debt, xy[1], xy[0]))

    @action
    def liquidate(self, user: str, min_x: int, frac_wad: int, *, sender: str) -> None:
        """Hard-liquidate ``frac_wad`` of ``user``'s loan (the owner: any time, no discount).

        The liquidator repays that share of the debt less the stablecoin the withdrawn bands
        hold (burnt) and receives the withdrawn collateral, plus any stablecoin above the debt.
        Refused: ``llamma/not-rekt`` (health not negative), ``llamma/slippage`` (the bands hold
        less stablecoin than ``min_x``), ``llamma/no-loan``, ``llamma/bad-amount``.
        """
        check_amount(min_x, "min_x", "llamma/bad-amount")
        check_positive(frac_wad, "frac_wad", "llamma/bad-amount")
        frac = min(frac_wad, WAD)
        debt, rate_mul = self._debt(user)
        if debt <= 0:
            raise InvalidInput("llamma/no-loan", f"{user} has no loan")
        limit = 0 if user == sender else self.liquidation_discounts.get(user, 0)
        if limit != 0 and self._health(user, debt, True, limit) >= 0:
            raise Unsafe("llamma/not-rekt", f"{user}'s loan is healthy")
        part = debt * frac // WAD
        if part <= 0:
            raise InvalidInput("llamma/bad-amount", "the fraction repays nothing")
        final = debt - part
        amm, led = self.amm, self.chain.ledger
        x, y = amm.withdraw(user, _f_remove(frac, limit))
        if x < min_x:
            raise Slippage("llamma/slippage", f"bands hold {x} stablecoin, asked {min_x}")
        burn_amm = min(x, part)
        if burn_amm:
            led.burn(amm.borrowed, amm.account, burn_amm)
        if y:
            led.transfer(amm.collateral, amm.account, sender, y)
        if part > x:
            led.burn(amm.borrowed, sender, part - x)
        elif x > part:
            led.transfer(amm.borrowed, amm.account, sender, x - part)
        self.state.redeemed += part
        if final == 0:
            del self.loans[user]
            self.liquidation_discounts.discard(user)
        else:
            self.loans[user] = (final, rate_mul)
        self._sub_total(part, rate_mul)
        self._save_rate()
        self.chain.emit(LoanLiquidated(sender, user, y, x, part, final))

    # -- administration -----------------------------------------------------------------------
    @action
    def set_rate(self, rate_wad: int, *, sender: str) -> None:
        """The monetary policy's rate per second (wad), capped at 400% a year when applied.

        As in the contract, where the policy is a contract read by every loan action, the AMM
        starts charging it at the next loan action (create, repay, change, liquidate).
        """
        self.chain.require_role(self.ADMIN_ROLE, sender, "llamma/not-admin")
        check_amount(rate_wad, "rate_wad", "llamma/bad-rate")
        self.state.policy_rate_wad = rate_wad
        self.chain.emit(RateSet(min(rate_wad, MAX_RATE), self.amm.rate_mul()))

    @action
    def set_amm_fee(self, fee_wad: int, admin_fee_wad: int, *, sender: str) -> None:
        """The AMM's fee (1e-12 .. 10%) and the admin's share of it (0 .. 100%)."""
        self.chain.require_role(self.ADMIN_ROLE, sender, "llamma/not-admin")
        if not 10**6 <= fee_wad <= MAX_FEE or not 0 <= admin_fee_wad <= WAD:
            raise InvalidInput("llamma/bad-fee", "fee in [1e6, 1e17], admin fee in [0, 1e18]")
        st = self.amm.state
        st.fee_wad, st.admin_fee_wad = fee_wad, admin_fee_wad
        self.chain.emit(FeeSet(fee_wad, admin_fee_wad))


def _f_remove(frac: int, health_limit: int) -> int:
    """Share of the bands a partial liquidation withdraws: ``((1 + h/2)/(1 + h)(1 - f) + f) f``,
    between the plain fraction and the fraction with the full discount (floor)."""
    if frac >= WAD:
        return WAD
    f = (WAD + health_limit // 2) * (WAD - frac) // (WAD + health_limit)
    return (f + frac) * frac // WAD


def _check_n(n_bands: int) -> None:
    if not MIN_TICKS <= n_bands <= MAX_TICKS:
        raise InvalidInput("llamma/bad-bands", f"N must lie in {MIN_TICKS}..{MAX_TICKS}")


def _check_discounts(loan: int, liquidation: int) -> None:
    if not (MIN_LIQUIDATION_DISCOUNT <= liquidation < loan <= MAX_LOAN_DISCOUNT):
        raise InvalidInput(
            "llamma/bad-params", "need 1% <= liquidation discount < loan discount <= 50%"
        )
