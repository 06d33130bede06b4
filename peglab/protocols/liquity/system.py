"""Liquity v1 on the kernel: troves, borrowing, redistribution rewards, recovery mode, price feed.

Accounting (docs/liquity.md §2). Collateral (``coll``, e.g. ETH) of active troves sits in the
active-pool account; collateral redistributed from liquidated troves waits in the default-pool
account until the receiving trove is touched. LUSD exists only as debt: opening a trove mints the
requested amount to the borrower, the borrowing fee to the fee recipient and the 200 LUSD
liquidation reserve to the gas pool, and the trove owes all three. So, at every moment,

    LUSD supply == active_debt_wad + default_debt_wad        (checked by the tests)

Redistribution (``L`` per unit staked). A liquidation the Stability Pool cannot absorb spreads
the trove's debt and collateral over all active troves pro rata to their *stakes*:
``L_coll += coll * WAD / total_stakes``, ``L_debt += debt * WAD / total_stakes`` (floors, with the
remainder carried to the next redistribution). A trove's pending reward is
``stake * (L - L_snapshot) / WAD`` (floor) and is moved into the trove whenever it is touched.
A new stake is ``coll * total_stakes_snapshot / total_coll_snapshot`` (the snapshots are taken
after each liquidation), so collateral that arrives after a redistribution does not share in
rewards that were earned before it.

Rounding: ICR ``coll * price / debt`` floors (a trove looks slightly riskier, so the protocol
liquidates no later than exact arithmetic would); fees and gas compensation floor as in the
reference; the borrower's repayment on close is exact.
"""

from __future__ import annotations

from ...errors import InvalidInput, LimitExceeded, StalePrice, Unsafe
from ...kernel import Chain, Table, action, query
from ...units import WAD, check_amount, check_positive
from .events import CollateralClaimed, PriceSet, TroveAdjusted, TroveClosed, TroveOpened
from .liquidation import batch_liquidate
from .stability_pool import StabilityPool
from .state import LiquityParams, LiquityState, Trove

__all__ = ["Liquity", "LiquityParams", "LiquityState", "Trove"]


class Liquity:
    """One Liquity v1 system: collateral ``coll`` (must exist on the ledger), stablecoin ``stable``."""

    ORACLE_ROLE = "liquity/oracle"

    def __init__(
        self,
        chain: Chain,
        *,
        coll: str = "ETH",
        stable: str = "LUSD",
        price_wad: int,
        params: LiquityParams | None = None,
        name: str = "liquity",
    ) -> None:
        chain.ledger.token(coll)
        check_positive(price_wad, "price_wad", "liquity/bad-price")
        self.chain, self.coll, self.stable = chain, coll, stable
        self.params = params or LiquityParams()
        chain.ledger.create_token(stable, 18, f"{stable} (Liquity)")
        self.active_pool = f"{name}:active-pool"
        self.default_pool = f"{name}:default-pool"
        self.gas_pool = f"{name}:gas-pool"
        self.surplus_pool = f"{name}:coll-surplus"
        self.fee_recipient = f"{name}:fee-recipient"
        j = chain.journal
        self.state = LiquityState(
            j,
            active_debt_wad=0,
            default_debt_wad=0,
            total_stakes_wad=0,
            total_stakes_snapshot_wad=0,
            total_coll_snapshot_wad=0,
            l_coll_wad=0,
            l_debt_wad=0,
            last_coll_error_wad=0,
            last_debt_error_wad=0,
            price_wad=price_wad,
        )
        self.troves: Table[str, Trove] = Table(j)
        self.surplus: Table[str, int] = Table(j)
        chain.register(name, self.state)
        chain.register(f"{name}/troves", self.troves)
        chain.register(f"{name}/surplus", self.surplus)
        self.sp = StabilityPool(
            chain,
            stable=stable,
            coll=coll,
            account=f"{name}:stability-pool",
            withdraw_guard=self._require_no_undercollateralized,
            name=name,
        )

    # -- reads --------------------------------------------------------------------------------
    @query
    def pending_rewards(self, owner: str) -> tuple[int, int]:
        """(collateral, debt) redistributed to ``owner``'s trove and not yet applied. Floors."""
        t = self.troves[owner]
        st = self.state
        coll = t.stake_wad * (st.l_coll_wad - t.l_coll_snapshot_wad) // WAD
        debt = t.stake_wad * (st.l_debt_wad - t.l_debt_snapshot_wad) // WAD
        return coll, debt

    @query
    def entire_trove(self, owner: str) -> tuple[int, int]:
        """(collateral, debt) of a trove including pending redistribution rewards."""
        if owner not in self.troves:
            raise InvalidInput("liquity/no-trove", f"{owner} has no active trove")
        t = self.troves[owner]
        pc, pd = self.pending_rewards(owner)
        return t.coll_wad + pc, t.debt_wad + pd

    @query
    def icr(self, owner: str, price_wad: int | None = None) -> int:
        """Individual collateral ratio (wad) at ``price_wad`` (default the system price). Floors."""
        coll, debt = self.entire_trove(owner)
        return _cr(coll, debt, self.state.price_wad if price_wad is None else price_wad)

    def entire_system(self) -> tuple[int, int]:
        """(collateral, debt) of the whole system: active plus default pools."""
        led, st = self.chain.ledger, self.state
        coll = led.balance_of(self.coll, self.active_pool) + led.balance_of(
            self.coll, self.default_pool
        )
        return coll, st.active_debt_wad + st.default_debt_wad

    @query
    def tcr(self, price_wad: int | None = None) -> int:
        """Total collateral ratio (wad)."""
        coll, debt = self.entire_system()
        return _cr(coll, debt, self.state.price_wad if price_wad is None else price_wad)

    def recovery_mode(self) -> bool:
        """True while TCR < CCR."""
        return self.tcr() < self.params.ccr_wad

    def sorted_owners(self) -> list[str]:
        """Active troves from the lowest ICR up (ties by owner), as Liquity's sorted list."""
        price = self.state.price_wad
        return sorted(self.troves, key=lambda o: (self.icr(o, price), o))

    # -- oracle -------------------------------------------------------------------------------
    @action
    def set_price(self, price_wad: int, *, sender: str) -> None:
        """Report the collateral price (the Chainlink feed's role)."""
        self.chain.require_role(self.ORACLE_ROLE, sender, "liquity/not-oracle")
        if type(price_wad) is not int or price_wad <= 0:
            raise StalePrice(
                "liquity/bad-price", f"price must be a positive int, got {price_wad!r}"
            )
        self.state.price_wad = price_wad
        self.chain.emit(PriceSet(price_wad))

    # -- borrower operations ------------------------------------------------------------------
    def _fee(self, amount: int) -> int:
        return 0 if self.recovery_mode() else amount * self.params.borrowing_fee_wad // WAD

    @action
    def open_trove(self, coll_wad: int, lusd_wad: int, *, sender: str) -> int:
        """Lock ``coll_wad`` and borrow ``lusd_wad`` LUSD; returns the trove's total debt."""
        p, st, led = self.params, self.state, self.chain.ledger
        check_positive(coll_wad, "coll_wad", "liquity/bad-amount")
        check_positive(lusd_wad, "lusd_wad", "liquity/bad-amount")
        if sender in self.troves:
            raise InvalidInput("liquity/trove-exists", f"{sender} already has an active trove")
        recovery = self.recovery_mode()
        fee = self._fee(lusd_wad)
        net = lusd_wad + fee
        if net < p.min_net_debt_wad:
            raise LimitExceeded(
                "liquity/min-net-debt", f"net debt {net} wad is below {p.min_net_debt_wad}"
            )
        debt = net + p.gas_comp_wad
        icr = _cr(coll_wad, debt, st.price_wad)
        if recovery:
            self._require(icr >= p.ccr_wad, "liquity/icr-below-ccr", "ICR must be >= CCR", icr)
        else:
            self._require(icr >= p.mcr_wad, "liquity/icr-below-mcr", "ICR must be >= MCR", icr)
            sc, sd = self.entire_system()
            new_tcr = _cr(sc + coll_wad, sd + debt, st.price_wad)
            self._require(new_tcr >= p.ccr_wad, "liquity/tcr-below-ccr", "TCR would fall", new_tcr)
        led.transfer(self.coll, sender, self.active_pool, coll_wad)
        led.mint(self.stable, sender, lusd_wad)
        led.mint(self.stable, self.fee_recipient, fee)
        led.mint(self.stable, self.gas_pool, p.gas_comp_wad)
        st.active_debt_wad += debt
        trove = Trove(
            self.chain.journal,
            coll_wad=coll_wad,
            debt_wad=debt,
            stake_wad=0,
            l_coll_snapshot_wad=st.l_coll_wad,
            l_debt_snapshot_wad=st.l_debt_wad,
        )
        self.troves[sender] = trove
        self._update_stake(trove)
        self.chain.emit(TroveOpened(sender, coll_wad, debt, fee, trove.stake_wad))
        return debt

    @action
    def adjust_trove(self, coll_delta_wad: int, debt_delta_wad: int, *, sender: str) -> None:
        """Add (+) or withdraw (-) collateral and borrow (+) or repay (-) LUSD in one step.

        Normal mode: the new ICR must be >= MCR and the new TCR >= CCR. Recovery mode: no
        collateral withdrawal, and the new ICR must be >= CCR if debt grows, else not lower.
        """
        p, st, led = self.params, self.state, self.chain.ledger
        if type(coll_delta_wad) is not int or type(debt_delta_wad) is not int:
            raise InvalidInput("liquity/bad-amount", "deltas must be ints (wad)")
        if coll_delta_wad == 0 and debt_delta_wad == 0:
            raise InvalidInput("liquity/zero-adjustment", "nothing to adjust")
        check_amount(abs(coll_delta_wad), "coll_delta_wad", "liquity/bad-amount")
        check_amount(abs(debt_delta_wad), "debt_delta_wad", "liquity/bad-amount")
        trove = self.apply_pending(sender)
        recovery = self.recovery_mode()
        old_icr = _cr(trove.coll_wad, trove.debt_wad, st.price_wad)
        fee = self._fee(debt_delta_wad) if debt_delta_wad > 0 else 0
        new_coll = trove.coll_wad + coll_delta_wad
        new_debt = trove.debt_wad + debt_delta_wad + fee
        if new_coll < 0:
            raise InvalidInput("liquity/insufficient-coll", f"the trove holds {trove.coll_wad}")
        if new_debt - p.gas_comp_wad < p.min_net_debt_wad:
            raise LimitExceeded("liquity/min-net-debt", "net debt would fall below the minimum")
        icr = _cr(new_coll, new_debt, st.price_wad)
        if recovery:
            if coll_delta_wad < 0:
                raise Unsafe("liquity/recovery-withdrawal", "no collateral withdrawal in recovery")
            if debt_delta_wad > 0:
                self._require(icr >= p.ccr_wad, "liquity/icr-below-ccr", "ICR must be >= CCR", icr)
            else:
                self._require(icr >= old_icr, "liquity/icr-decreased", "ICR must not fall", icr)
        else:
            self._require(icr >= p.mcr_wad, "liquity/icr-below-mcr", "ICR must be >= MCR", icr)
            sc, sd = self.entire_system()
            new_tcr = _cr(sc + coll_delta_wad, sd + debt_delta_wad + fee, st.price_wad)
            self._require(new_tcr >= p.ccr_wad, "liquity/tcr-below-ccr", "TCR would fall", new_tcr)
        if coll_delta_wad > 0:
            led.transfer(self.coll, sender, self.active_pool, coll_delta_wad)
        elif coll_delta_wad < 0:
            led.transfer(self.coll, self.active_pool, sender, -coll_delta_wad)
        if debt_delta_wad > 0:
            led.mint(self.stable, sender, debt_delta_wad)
            led.mint(self.stable, self.fee_recipient, fee)
        elif debt_delta_wad < 0:
            led.burn(self.stable, sender, -debt_delta_wad)
        st.active_debt_wad += debt_delta_wad + fee
        trove.coll_wad, trove.debt_wad = new_coll, new_debt
        self._update_stake(trove)
        self.chain.emit(
            TroveAdjusted(sender, coll_delta_wad, debt_delta_wad, fee, new_coll, new_debt)
        )

    @action
    def close_trove(self, *, sender: str) -> int:
        """Repay the trove's debt (less the reserve, which the gas pool returns) and take the coll."""
        p, st, led = self.params, self.state, self.chain.ledger
        if self.recovery_mode():
            raise Unsafe("liquity/recovery-close", "troves cannot be closed in recovery mode")
        if len(self.troves) <= 1:
            raise LimitExceeded("liquity/last-trove", "the last trove cannot be closed")
        trove = self.apply_pending(sender)
        sc, sd = self.entire_system()
        new_tcr = _cr(sc - trove.coll_wad, sd - trove.debt_wad, st.price_wad)
        self._require(new_tcr >= p.ccr_wad, "liquity/tcr-below-ccr", "TCR would fall", new_tcr)
        repay = trove.debt_wad - p.gas_comp_wad
        led.burn(self.stable, sender, repay)
        led.burn(self.stable, self.gas_pool, p.gas_comp_wad)
        led.transfer(self.coll, self.active_pool, sender, trove.coll_wad)
        st.active_debt_wad -= trove.debt_wad
        coll = trove.coll_wad
        self.remove_trove(sender)
        self.chain.emit(TroveClosed(sender, coll, repay))
        return coll

    @action
    def claim_collateral(self, *, sender: str) -> int:
        """Take the collateral left over from a trove liquidated in recovery mode at 110%."""
        amount = self.surplus.get(sender, 0)
        if amount == 0:
            raise InvalidInput("liquity/no-surplus", f"{sender} has no collateral to claim")
        del self.surplus[sender]
        self.chain.ledger.transfer(self.coll, self.surplus_pool, sender, amount)
        self.chain.emit(CollateralClaimed(sender, amount))
        return amount

    # -- liquidations (liquidation.py) ----------------------------------------------------------
    @action
    def liquidate(self, owner: str, *, sender: str) -> int:
        """Liquidate one trove if the current mode's rules allow it; returns 1."""
        return batch_liquidate(self, [owner], 1, sender)

    @action
    def liquidate_troves(self, n: int, *, sender: str) -> int:
        """Liquidate up to ``n`` troves from the lowest ICR; returns how many were liquidated."""
        check_positive(n, "n", "liquity/bad-amount")
        return batch_liquidate(self, None, n, sender)

    @action
    def batch_liquidate_troves(self, owners: list[str], *, sender: str) -> int:
        """Liquidate the listed troves that the rules allow, in the given order."""
        if not isinstance(owners, list) or not owners:
            raise InvalidInput("liquity/bad-list", "give a non-empty list of trove owners")
        return batch_liquidate(self, owners, len(owners), sender)

    # -- internals shared with liquidation ----------------------------------------------------
    def _require(self, ok: bool, code: str, what: str, value: int) -> None:
        if not ok:
            raise Unsafe(code, f"{what} (ratio {value / WAD:.4f})")

    def _require_no_undercollateralized(self) -> None:
        owners = self.sorted_owners()
        if owners and self.icr(owners[0]) < self.params.mcr_wad:
            raise Unsafe(
                "liquity/undercollateralized-troves",
                "liquidate troves below 110% before withdrawing from the Stability Pool",
            )

    def apply_pending(self, owner: str) -> Trove:
        """Move ``owner``'s pending redistribution rewards from the default pool into the trove."""
        if owner not in self.troves:
            raise InvalidInput("liquity/no-trove", f"{owner} has no active trove")
        trove = self.troves[owner]
        coll, debt = self.pending_rewards(owner)
        st = self.state
        if coll or debt:
            self.chain.ledger.transfer(self.coll, self.default_pool, self.active_pool, coll)
            st.default_debt_wad -= debt
            st.active_debt_wad += debt
            trove.coll_wad += coll
            trove.debt_wad += debt
        trove.l_coll_snapshot_wad, trove.l_debt_snapshot_wad = st.l_coll_wad, st.l_debt_wad
        return trove

    def _update_stake(self, trove: Trove) -> None:
        st = self.state
        if st.total_coll_snapshot_wad == 0:
            new = trove.coll_wad
        else:
            new = trove.coll_wad * st.total_stakes_snapshot_wad // st.total_coll_snapshot_wad
        st.total_stakes_wad += new - trove.stake_wad
        trove.stake_wad = new

    def remove_trove(self, owner: str) -> None:
        self.state.total_stakes_wad -= self.troves[owner].stake_wad
        del self.troves[owner]


def _cr(coll_wad: int, debt_wad: int, price_wad: int) -> int:
    """``coll * price / debt`` in wad (floor); an empty debt is an infinite ratio (2^256 - 1)."""
    if debt_wad <= 0:
        return 2**256 - 1
    return coll_wad * price_wad // debt_wad
