"""System buffer: bad-debt queue, heal, backstop cover, debt auctions (flop), surplus sinks (flap)."""

from __future__ import annotations

import pytest
from support.cdp import LiqSystem, build

from peglab.errors import InvalidInput, NotAuthorized, ShutDown
from peglab.testing import assert_refused
from peglab.units import RAD, RAY, WAD, wad


@pytest.fixture
def barked() -> tuple[LiqSystem, int, int]:
    """A vault liquidated after a 50% crash; no keeper ever bids."""
    s = build()
    vid = s.vault("alice", 20_000, 10_000)
    s.set_price("0.50")
    s.settle()
    aid = s.d.bark(vid, sender="keeper")
    return s, vid, aid


def test_bark__queues_due_in_buffer__flog_after_wait(barked: tuple[LiqSystem, int, int]) -> None:
    s, _, _ = barked
    vow = s.d.vow
    ev = next(e.event for e in s.chain.log if e.event.kind == "cdp/bark")
    era = s.chain.now
    assert vow.queue[era] == ev.due_rad and vow.state.sin_queued_rad == ev.due_rad
    assert vow.free_debt_rad == ev.coin_rad  # the keeper's incentive is unqueued system debt
    assert_refused(s.chain, InvalidInput, "cdp/wait-not-finished", vow.flog, era, sender="x")
    assert_refused(s.chain, InvalidInput, "cdp/wait-not-finished", vow.flog, era - 1, sender="x")
    s.chain.advance(vow.state.wait_s)
    assert vow.flog(era - 1, sender="x") == 0  # an empty era releases nothing, as dss
    assert vow.flog(era, sender="x") == ev.due_rad
    assert vow.state.sin_queued_rad == 0 and vow.free_debt_rad == ev.due_rad + ev.coin_rad
    assert s.errors() == []


def test_no_keepers__bad_debt_recapitalised_by_backstop_then_flop(
    barked: tuple[LiqSystem, int, int],
) -> None:
    s, _, _ = barked
    vow, ledger = s.d.vow, s.chain.ledger
    s.usdc_to_ausd("project", 1_000)
    vow.fund_backstop(wad(1_000), sender="project")
    s.chain.advance(vow.state.wait_s)
    vow.flog_all(sender="x")
    free0 = vow.free_debt_rad
    surplus0 = vow.dai_rad
    assert free0 > 9_000 * RAD and surplus0 > 0  # fees accrued at the bark
    assert_refused(s.chain, InvalidInput, "cdp/surplus-not-zero", vow.flop, sender="x")
    used = vow.cover(sender="x")  # steps 1-2: surplus, then the backstop
    assert used == wad(1_000) and ledger.balance_of("AUSD", vow.backstop) == 0
    assert vow.free_debt_rad == free0 - surplus0 - used * RAY and vow.dai_rad == 0
    # step 3: debt auction of governance tokens
    assert_refused(s.chain, InvalidInput, "cdp/insufficient-debt", vow.flop, sender="x")
    vow.file("sump", 5_000 * RAD, sender="gov")
    vow.file("dump", wad(50_000), sender="gov")
    fid = vow.flop(sender="x")
    assert vow.state.ash_rad == 5_000 * RAD
    s.usdc_to_ausd("whale", 20_000)
    s.usdc_to_ausd("shark", 20_000)
    free1 = vow.free_debt_rad
    vow.dent(fid, wad(40_000), 5_000 * RAD, sender="whale")
    assert vow.state.ash_rad == 0
    assert_refused(
        s.chain,
        InvalidInput,
        "cdp/insufficient-decrease",
        vow.dent,
        fid,
        wad(39_000),
        5_000 * RAD,
        sender="shark",
    )
    vow.dent(fid, wad(38_000), 5_000 * RAD, sender="shark")  # whale refunded
    assert ledger.balance_of("AUSD", "whale") == wad(20_000)
    assert_refused(s.chain, InvalidInput, "cdp/not-finished", vow.flop_deal, fid, sender="x")
    s.chain.advance(vow.flop_params.ttl_s + 1)
    vow.flop_deal(fid, sender="x")
    assert ledger.balance_of("GOV", "shark") == wad(38_000)
    assert vow.free_debt_rad == free1  # Ash was already healed by the first bid
    assert vow.sin_rad == free1 and s.errors() == []
    status = vow.recap_status()
    assert status.free_debt_rad == free1 and not status.shutdown_advised


def test_flop__no_bids__tick_grows_lot_and_advises_shutdown_after_three(
    barked: tuple[LiqSystem, int, int],
) -> None:
    s, _, _ = barked
    vow = s.d.vow
    s.chain.advance(vow.state.wait_s)
    vow.flog_all(sender="x")
    vow.heal(sender="x")
    vow.file("sump", 1_000 * RAD, sender="gov")
    fid = vow.flop(sender="x")
    lot = vow.flops[fid].lot_wad
    assert_refused(s.chain, InvalidInput, "cdp/not-finished", vow.flop_tick, fid, sender="x")
    for _i in range(3):
        s.chain.advance(vow.flop_params.tau_s + 1)
        vow.flop_tick(fid, sender="x")
        lot = lot * 3 // 2
        assert vow.flops[fid].lot_wad == lot
    assert vow.recap_status().shutdown_advised


def test_heal__bad_amounts__refused_unchanged(barked: tuple[LiqSystem, int, int]) -> None:
    s, _, _ = barked
    vow = s.d.vow
    assert_refused(s.chain, InvalidInput, "cdp/insufficient-surplus", vow.heal, 10**60, sender="x")
    assert_refused(s.chain, InvalidInput, "input/bad-amount", vow.heal, -1, sender="x")
    assert_refused(s.chain, InvalidInput, "cdp/nothing-to-cover", vow.cover, sender="x")


@pytest.fixture
def surplus() -> LiqSystem:
    s = build(tin=WAD // 100)  # 1% PSM fee: the buffer earns surplus
    s.usdc_to_ausd("minter", 20_000)  # 200 AUSD of fees
    s.d.vow.file("hump", 0, sender="gov")
    s.d.vow.file("bump", 100 * RAD, sender="gov")
    return s


def test_flap__buy_and_burn__gov_burnt_winner_paid(surplus: LiqSystem) -> None:
    s = surplus
    vow, ledger = s.d.vow, s.chain.ledger
    fid = vow.flap(sender="x")
    ledger.mint("GOV", "alice", wad(100))
    ledger.mint("GOV", "bob", wad(100))
    supply0 = ledger.total_supply("GOV")
    vow.tend(fid, 100 * RAD, wad(10), sender="alice")
    assert_refused(
        s.chain,
        InvalidInput,
        "cdp/bid-not-higher",
        vow.tend,
        fid,
        100 * RAD,
        wad("10.4"),
        sender="bob",
    )
    vow.tend(fid, 100 * RAD, wad(11), sender="bob")
    assert ledger.balance_of("GOV", "alice") == wad(100)  # refunded
    s.chain.advance(vow.flap_params.ttl_s + 1)
    vow.flap_deal(fid, sender="x")
    assert ledger.balance_of("AUSD", "bob") == wad(100)
    assert ledger.total_supply("GOV") == supply0 - wad(11)
    assert s.errors() == []


def test_flap__treasury_sink__pays_tokens(surplus: LiqSystem) -> None:
    s = surplus
    vow = s.d.vow
    vow.file("sink", "treasury", sender="gov")
    assert vow.flap(sender="x") == 0
    assert s.chain.ledger.balance_of("AUSD", vow.state.sink_account) == wad(100)
    vow.flap(sender="x")
    assert_refused(s.chain, InvalidInput, "cdp/insufficient-surplus", vow.flap, sender="x")
    assert s.errors() == []


def test_vow_file__bad_input__refused_unchanged(surplus: LiqSystem) -> None:
    s = surplus
    vow = s.d.vow
    assert_refused(s.chain, InvalidInput, "cdp/unknown-param", vow.file, "Sin", 1, sender="gov")
    assert_refused(s.chain, InvalidInput, "cdp/bad-value", vow.file, "sink", "moon", sender="gov")
    assert_refused(s.chain, InvalidInput, "cdp/bad-value", vow.file, "flop_pad", 1, sender="gov")
    assert_refused(s.chain, NotAuthorized, "cdp/not-admin", vow.file, "wait", 1, sender="eve")


def test_vow__after_shutdown__auctions_refused(surplus: LiqSystem) -> None:
    s = surplus
    vow = s.d.vow
    fid = vow.flap(sender="x")
    s.chain.ledger.mint("GOV", "alice", wad(5))
    vow.tend(fid, 100 * RAD, wad(5), sender="alice")
    s.d.shutdown(sender="gov")
    assert s.chain.ledger.balance_of("GOV", "alice") == wad(5)  # refunded by the cage
    assert not vow.flaps
    assert_refused(s.chain, ShutDown, "cdp/not-live", vow.flap, sender="x")
    assert_refused(s.chain, ShutDown, "cdp/not-live", vow.flop, sender="x")
    assert s.errors() == []
