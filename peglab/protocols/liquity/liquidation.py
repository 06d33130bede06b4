"""Liquity v1 liquidations: normal mode, recovery mode, Stability Pool offset and redistribution.

Per trove (collateral ``c``, debt ``d`` with pending rewards applied, ratio ``ICR``):

* the liquidator gets ``c / 200`` collateral (floor) and the trove's 200 LUSD reserve;
* normal mode, ``ICR < MCR``: the pool absorbs ``min(d, pool)`` debt with the same share of the
  remaining collateral; the rest of debt and collateral is redistributed to active troves;
* recovery mode (``TCR < CCR``):
  ``ICR <= 100%``: everything is redistributed (the pool never takes a loss-making trove);
  ``100% < ICR < MCR``: as normal mode;
  ``MCR <= ICR < TCR`` and ``d <= pool``: the pool absorbs all the debt for collateral worth
  ``d * MCR`` (capped: ``d * MCR / price``, floor), of which 1/200 goes to the liquidator; the
  surplus stays claimable by the owner (the borrower loses at most 10%);
  otherwise the trove is left alone.
* A batch (``liquidate_troves``) walks troves from the lowest ICR, recomputing the system totals
  after each liquidation: once the system is back above CCR it continues under normal-mode
  rules. The pool offset and the redistribution are applied once for the batch, after all troves
  are closed, as in the reference (so troves closed in the batch do not receive its rewards).
* The last trove of the system is never liquidated.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ...errors import InvalidInput, LimitExceeded
from ...units import WAD
from .events import LiquidationBatch
from .interfaces import TroveSystem as Liquity

__all__ = ["BatchTotals", "batch_liquidate"]


@dataclass
class BatchTotals:
    owners: list[str] = field(default_factory=list)
    recovery: list[bool] = field(default_factory=list)
    debt_offset: int = 0
    coll_to_sp: int = 0
    debt_redist: int = 0
    coll_redist: int = 0
    coll_surplus: int = 0
    coll_gas: int = 0


def _split(debt: int, coll: int, pool: int) -> tuple[int, int, int, int]:
    """(debt to offset, coll to pool, debt to redistribute, coll to redistribute)."""
    if pool <= 0:
        return 0, 0, debt, coll
    off = min(debt, pool)
    to_sp = coll * off // debt  # floor: the pool never receives more than its share
    return off, to_sp, debt - off, coll - to_sp


def _liquidate_one(
    sys: Liquity, owner: str, pool: int, tcr: int | None, tot: BatchTotals
) -> tuple[int, int, int]:
    """Liquidate one trove under normal rules (``tcr is None``) or recovery rules.

    Returns (debt offset, system debt removed, system coll removed); (0, 0, 0) when left alone.
    """
    p, price = sys.params, sys.state.price_wad
    if len(sys.troves) <= 1:
        return 0, 0, 0
    trove = sys.apply_pending(owner)
    coll, debt = trove.coll_wad, trove.debt_wad
    icr = coll * price // debt
    surplus = 0
    if tcr is not None and icr <= WAD:
        gas = coll // p.percent_divisor
        off, to_sp, rd, rc = 0, 0, debt, coll - gas
    elif icr < p.mcr_wad:
        gas = coll // p.percent_divisor
        off, to_sp, rd, rc = _split(debt, coll - gas, pool)
    elif tcr is not None and icr < tcr and debt <= pool:
        capped = debt * p.mcr_wad // price
        gas = capped // p.percent_divisor
        off, to_sp, rd, rc = debt, capped - gas, 0, 0
        surplus = coll - capped
    else:
        return 0, 0, 0
    tot.owners.append(owner)
    tot.recovery.append(tcr is not None)
    tot.debt_offset += off
    tot.coll_to_sp += to_sp
    tot.debt_redist += rd
    tot.coll_redist += rc
    tot.coll_gas += gas
    if surplus:
        tot.coll_surplus += surplus
        sys.surplus[owner] = sys.surplus.get(owner, 0) + surplus
    sys.remove_trove(owner)
    return off, off, to_sp + gas + surplus


def batch_liquidate(sys: Liquity, owners: list[str] | None, limit: int, liquidator: str) -> int:
    """Liquidate ``owners`` (in the given order) or up to ``limit`` troves from the lowest ICR.

    Returns how many troves were liquidated; refuses with ``liquity/nothing-to-liquidate``.
    """
    p, st = sys.params, sys.state
    price = st.price_wad
    if owners is not None:
        for o in owners:
            if o not in sys.troves:
                raise InvalidInput("liquity/no-trove", f"{o} has no active trove")
        sequence = list(dict.fromkeys(owners))
    else:
        sequence = sys.sorted_owners()
    pool = sys.sp.state.total_deposits_wad
    sys_coll, sys_debt = sys.entire_system()
    recovery = sys_coll * price // sys_debt < p.ccr_wad if sys_debt else False
    tot = BatchTotals()
    for owner in sequence:
        if len(tot.owners) >= limit:
            break
        if recovery:
            if sys.icr(owner) >= p.mcr_wad and pool == 0 and owners is None:
                break
            tcr = sys_coll * price // sys_debt
            off, d_out, c_out = _liquidate_one(sys, owner, pool, tcr, tot)
            sys_debt -= d_out
            sys_coll -= c_out
            recovery = sys_debt > 0 and sys_coll * price // sys_debt < p.ccr_wad
        elif sys.icr(owner) < p.mcr_wad:
            off, _, _ = _liquidate_one(sys, owner, pool, None, tot)
        elif owners is None:
            break
        else:
            continue
        pool -= off
    if not tot.owners:
        raise LimitExceeded("liquity/nothing-to-liquidate", "no trove can be liquidated now")
    _settle(sys, tot, liquidator)
    return len(tot.owners)


def _settle(sys: Liquity, tot: BatchTotals, liquidator: str) -> None:
    """Offset against the pool, redistribute, move surplus and pay the liquidator."""
    st, led, coll, stable = sys.state, sys.chain.ledger, sys.coll, sys.stable
    if tot.debt_offset:
        sys.sp.offset(tot.debt_offset, tot.coll_to_sp)
        led.burn(stable, sys.sp.account, tot.debt_offset)
        st.active_debt_wad -= tot.debt_offset
        led.transfer(coll, sys.active_pool, sys.sp.account, tot.coll_to_sp)
    if tot.debt_redist or tot.coll_redist:
        _redistribute(sys, tot.debt_redist, tot.coll_redist)
    if tot.coll_surplus:
        led.transfer(coll, sys.active_pool, sys.surplus_pool, tot.coll_surplus)
    # snapshots for new stakes, excluding the gas compensation still in the active pool
    active = led.balance_of(coll, sys.active_pool)
    st.total_stakes_snapshot_wad = st.total_stakes_wad
    st.total_coll_snapshot_wad = active - tot.coll_gas + led.balance_of(coll, sys.default_pool)
    reserve = sys.params.gas_comp_wad * len(tot.owners)
    sys.chain.emit(
        LiquidationBatch(
            tuple(tot.owners),
            tuple(tot.recovery),
            tot.debt_offset,
            tot.coll_to_sp,
            tot.debt_redist,
            tot.coll_redist,
            tot.coll_surplus,
            tot.coll_gas,
            reserve,
        )
    )
    led.transfer(stable, sys.gas_pool, liquidator, reserve)
    led.transfer(coll, sys.active_pool, liquidator, tot.coll_gas)


def _redistribute(sys: Liquity, debt: int, coll: int) -> None:
    """Spread ``debt`` and ``coll`` over active stakes through ``L`` (floors, carried errors)."""
    st = sys.state
    stakes = st.total_stakes_wad
    if stakes <= 0:
        raise LimitExceeded("liquity/no-stakes", "no active stake to redistribute to")
    coll_num = coll * WAD + st.last_coll_error_wad
    debt_num = debt * WAD + st.last_debt_error_wad
    coll_per = coll_num // stakes
    debt_per = debt_num // stakes
    st.last_coll_error_wad = coll_num - coll_per * stakes
    st.last_debt_error_wad = debt_num - debt_per * stakes
    st.l_coll_wad += coll_per
    st.l_debt_wad += debt_per
    st.active_debt_wad -= debt
    st.default_debt_wad += debt
    sys.chain.ledger.transfer(sys.coll, sys.active_pool, sys.default_pool, coll)
