"""Liquity v1 liquidations: offset, redistribution, recovery mode (capped at 110%), batches."""

from __future__ import annotations

from test_liquity_troves import ORACLE, borrow, make, supply_matches_debt

from peglab.errors import InvalidInput, LimitExceeded, Unsafe
from peglab.kernel import Chain
from peglab.protocols.liquity import Liquity
from peglab.testing import assert_refused
from peglab.units import WAD


def test_liquidate__normal_mode_full_offset__pool_takes_debt_and_coll() -> None:
    chain, lq = make(2000)
    borrow(chain, lq, "whale", 100, 50000)
    borrow(chain, lq, "alice", 10, 10000)  # debt 10250
    lq.sp.provide(30000 * WAD, sender="whale")
    lq.set_price(1100 * WAD, sender=ORACLE)  # alice ICR 11000/10250 = 1.073
    assert lq.liquidate("alice", sender="keeper") == 1
    led = chain.ledger
    assert led.balance_of("ETH", "keeper") == 10 * WAD // 200  # 0.05 ETH gas compensation
    assert led.balance_of("LUSD", "keeper") == 200 * WAD  # the reserve
    assert lq.sp.state.total_deposits_wad == (30000 - 10250) * WAD
    # the loss per unit is rounded up by one wei per wad of deposit: at most 30,000 wei here
    assert 0 <= (30000 - 10250) * WAD - lq.sp.compounded_deposit("whale") <= 30000
    assert 0 <= 995 * WAD // 100 - lq.sp.eth_gain("whale") <= 30000  # 9.95 ETH, floored
    assert "alice" not in lq.troves and supply_matches_debt(chain, lq)
    chain.check_conservation()


def test_liquidate__empty_pool__redistributes_to_active_troves_by_stake() -> None:
    chain, lq = make(2000)
    borrow(chain, lq, "a", 30, 20000)
    borrow(chain, lq, "b", 10, 5000)
    borrow(chain, lq, "alice", 10, 10000)
    lq.set_price(1100 * WAD, sender=ORACLE)
    lq.liquidate("alice", sender="keeper")
    # 9.95 ETH and 10250 LUSD debt go to stakes 30 : 10
    pc, pd = lq.pending_rewards("a")
    assert abs(pc - 995 * WAD * 3 // 400) <= 1 and abs(pd - 10250 * WAD * 3 // 4) <= 1
    assert lq.state.default_debt_wad == 10250 * WAD
    ca, da = lq.entire_trove("a")
    assert ca == 30 * WAD + pc and da == lq.troves["a"].debt_wad + pd
    chain.ledger.mint("ETH", "a", WAD)
    lq.adjust_trove(WAD, 0, sender="a")  # touching the trove applies its rewards
    assert lq.pending_rewards("a") == (0, 0) and lq.troves["a"].coll_wad == 31 * WAD + pc
    assert supply_matches_debt(chain, lq)
    chain.check_conservation()


def test_liquidate__partial_pool__offsets_then_redistributes() -> None:
    chain, lq = make(2000)
    borrow(chain, lq, "whale", 100, 50000)
    borrow(chain, lq, "alice", 10, 10000)
    lq.sp.provide(4100 * WAD, sender="whale")
    lq.set_price(1100 * WAD, sender=ORACLE)
    lq.liquidate("alice", sender="keeper")
    ev = chain.log[-1].event
    assert ev.debt_offset_wad == 4100 * WAD and ev.debt_redistributed_wad == 6150 * WAD
    assert ev.coll_to_sp_wad == 995 * WAD // 100 * 4100 // 10250  # 40% of 9.95 ETH, floor
    assert ev.coll_redistributed_wad == 995 * WAD // 100 - ev.coll_to_sp_wad
    assert lq.sp.state.total_deposits_wad == 0 and lq.sp.state.current_epoch == 1


def test_liquidate__healthy_or_last_trove__refused() -> None:
    chain, lq = make(2000)
    borrow(chain, lq, "a", 30, 20000)
    borrow(chain, lq, "b", 10, 5000)
    assert_refused(
        chain, LimitExceeded, "liquity/nothing-to-liquidate", lq.liquidate, "b", sender="k"
    )
    assert_refused(chain, InvalidInput, "liquity/no-trove", lq.liquidate, "zed", sender="k")
    assert_refused(
        chain, LimitExceeded, "liquity/nothing-to-liquidate", lq.liquidate_troves, 5, sender="k"
    )
    assert_refused(chain, InvalidInput, "liquity/bad-amount", lq.liquidate_troves, 0, sender="k")
    assert_refused(
        chain, InvalidInput, "liquity/bad-list", lq.batch_liquidate_troves, [], sender="k"
    )
    lq.set_price(500 * WAD, sender=ORACLE)  # both under water: one is liquidated, never the last
    assert lq.liquidate_troves(5, sender="k") == 1 and len(lq.troves) == 1


def test_recovery_mode__icr_between_mcr_and_tcr__capped_at_110_with_claimable_surplus() -> None:
    chain, lq = make(2000)
    borrow(chain, lq, "whale", 30, 30000)  # ICR ~1.96
    borrow(chain, lq, "alice", 10, 12000)  # debt 12260, ICR ~1.63
    lq.sp.provide(20000 * WAD, sender="whale")
    lq.set_price(1500 * WAD, sender=ORACLE)
    tcr, icr = lq.tcr(), lq.icr("alice")
    assert lq.recovery_mode() and 11 * WAD // 10 <= icr < tcr
    lq.liquidate("alice", sender="keeper")
    debt = 12260 * WAD
    capped = debt * (11 * WAD // 10) // (1500 * WAD)
    ev = chain.log[-1].event
    assert ev.recovery_flags == (True,) and ev.debt_offset_wad == debt
    assert ev.coll_gas_comp_wad == capped // 200 and ev.coll_to_sp_wad == capped - capped // 200
    assert lq.surplus["alice"] == 10 * WAD - capped
    assert lq.claim_collateral(sender="alice") == 10 * WAD - capped
    assert_refused(chain, InvalidInput, "liquity/no-surplus", lq.claim_collateral, sender="alice")
    chain.check_conservation()


def test_recovery_mode__icr_below_100__pool_untouched_all_redistributed() -> None:
    chain, lq = make(2000)
    borrow(chain, lq, "whale", 60, 50000)
    borrow(chain, lq, "alice", 10, 15000)
    lq.sp.provide(20000 * WAD, sender="whale")
    lq.set_price(1400 * WAD, sender=ORACLE)  # alice ICR ~0.91, TCR ~1.39
    assert lq.recovery_mode() and lq.icr("alice") < WAD
    lq.liquidate("alice", sender="keeper")
    ev = chain.log[-1].event
    assert ev.debt_offset_wad == 0 and ev.debt_redistributed_wad == 15275 * WAD
    assert lq.sp.state.total_deposits_wad == 20000 * WAD


def test_liquidate_troves__recovery_batch__lowest_first_capped_until_pool_short() -> None:
    chain, lq = make(2000)
    borrow(chain, lq, "whale", 40, 40000)
    for i in range(6):
        borrow(chain, lq, f"t{i}", 10, 8000 + 1000 * i)
    lq.sp.provide(40000 * WAD, sender="whale")
    lq.sp.provide(8000 * WAD, sender="t0")
    lq.set_price(1400 * WAD, sender=ORACLE)
    assert lq.recovery_mode()
    n = lq.liquidate_troves(50, sender="keeper")
    ev = chain.log[-1].event
    # t5 (ICR 1.055 < MCR) offset; t4, t3, t2 (MCR <= ICR < TCR) capped at 110%
    assert ev.owners == ("t5", "t4", "t3", "t2") and n == 4
    assert ev.recovery_flags == (True, True, True, True) and ev.debt_redistributed_wad == 0
    assert ev.coll_surplus_wad > 0  # some were liquidated above 110%, capped
    # still in recovery: the whale (MCR <= ICR < TCR) owes more than the 970 LUSD left in the pool
    assert lq.recovery_mode() and "whale" in lq.troves
    assert lq.sp.state.total_deposits_wad == 970 * WAD
    assert all(lq.icr(o) >= 11 * WAD // 10 for o in lq.troves)
    assert supply_matches_debt(chain, lq)
    chain.check_conservation()


def test_stability_withdraw__undercollateralized_trove__refused() -> None:
    chain, lq = make(2000)
    borrow(chain, lq, "whale", 100, 50000)
    borrow(chain, lq, "alice", 10, 10000)
    lq.sp.provide(30000 * WAD, sender="whale")
    lq.set_price(1100 * WAD, sender=ORACLE)
    assert_refused(
        chain, Unsafe, "liquity/undercollateralized-troves", lq.sp.withdraw, WAD, sender="whale"
    )
    assert_refused(chain, InvalidInput, "liquity/no-deposit", lq.sp.withdraw, WAD, sender="alice")


def test_liquidation_event__one_per_action() -> None:
    chain = Chain()
    chain.ledger.create_token("ETH")
    lq = Liquity(chain, price_wad=2000 * WAD)
    chain.grant(Liquity.ORACLE_ROLE, ORACLE, sender=chain.root)
    borrow(chain, lq, "a", 30, 20000)
    borrow(chain, lq, "b", 10, 10000)
    borrow(chain, lq, "c", 10, 10000)
    lq.set_price(1100 * WAD, sender=ORACLE)
    before = len(chain.log)
    lq.batch_liquidate_troves(["b", "c", "a"], sender="k")
    assert len(chain.log) == before + 1 and chain.log[-1].event.owners == ("b", "c")
