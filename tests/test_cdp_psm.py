"""Peg stability module: 6-decimal gem swaps with fees, ceiling, daily flow cap, off-peg halt."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.cdp import LiqSystem, build

from peglab.errors import InvalidInput, LimitExceeded, ShutDown
from peglab.kernel import Chain
from peglab.protocols.cdp import AIDollarSpec, Launchpad
from peglab.protocols.cdp.psm import HALTED, PsmSpec
from peglab.testing import assert_refused
from peglab.units import DAY, RAD, RAY, WAD, wad

USDC = 10**6


def test_sell_then_buy__fees_to_buffer__one_to_one() -> None:
    s = build(tin=WAD // 1000, tout=2 * WAD // 1000)
    d, ledger = s.d, s.chain.ledger
    ledger.mint("USDC", "alice", 1_000 * USDC)
    out = d.sell_gem(1_000 * USDC, sender="alice")
    assert out == wad("999") and ledger.balance_of("AUSD", "alice") == wad("999")
    assert d.vow.dai_rad == wad(1) * RAY
    assert d.psm is not None and d.psm.gem_held == 1_000 * USDC
    paid = d.buy_gem(500 * USDC, sender="alice")
    assert paid == wad("501") and ledger.balance_of("USDC", "alice") == 500 * USDC
    assert d.vow.dai_rad == wad(2) * RAY
    assert d.vat.vaults[d.psm.vault].art_wad == wad(500)
    assert s.errors() == []


@settings(max_examples=60, deadline=None)
@given(
    amounts=st.lists(st.integers(1, 5_000 * USDC), min_size=1, max_size=6),
    tin=st.integers(0, WAD // 100),
)
def test_sell_gem__any_amounts__vault_stays_one_to_one(amounts: list[int], tin: int) -> None:
    s = build(tin=tin, keep_log=False)
    d, ledger = s.d, s.chain.ledger
    for a in amounts:
        ledger.mint("USDC", "u", a)
        out = d.sell_gem(a, sender="u")
        assert out == a * 10**12 - a * 10**12 * tin // WAD
    assert d.psm is not None
    v = d.vat.vaults[d.psm.vault]
    assert v.ink_wad == v.art_wad == sum(amounts) * 10**12
    assert s.errors() == []


def test_sell_gem__past_ceiling__limit_exceeded_unchanged() -> None:
    s = build(psm_line=1_000, flow_cap=10_000)
    s.chain.ledger.mint("USDC", "alice", 2_000 * USDC)
    s.d.sell_gem(100 * USDC, sender="alice")
    assert_refused(
        s.chain, LimitExceeded, "cdp/ceiling-exceeded", s.d.sell_gem, 901 * USDC, sender="alice"
    )


def test_sell_gem__daily_flow_cap__resets_next_day() -> None:
    s = build(flow_cap=1_000)
    s.chain.ledger.mint("USDC", "alice", 5_000 * USDC)
    s.d.sell_gem(1_000 * USDC, sender="alice")
    assert_refused(s.chain, LimitExceeded, "psm/flow-cap", s.d.sell_gem, 1 * USDC, sender="alice")
    s.d.buy_gem(400 * USDC, sender="alice")  # redemptions lower the day's net
    s.d.sell_gem(400 * USDC, sender="alice")
    s.chain.advance(DAY)
    s.d.sell_gem(1_000 * USDC, sender="alice")


def test_sell_gem__gem_off_peg__halted_unchanged(liq: LiqSystem) -> None:
    liq.chain.ledger.mint("USDC", "alice", 100 * USDC)
    liq.usdc_feed.set_price(wad("0.97"), sender="oracle")
    assert_refused(
        liq.chain, ShutDown, "psm/gem-off-peg", liq.d.sell_gem, 100 * USDC, sender="alice"
    )
    liq.usdc_feed.set_price(wad("0.985"), sender="oracle")
    liq.d.sell_gem(100 * USDC, sender="alice")


def test_buy_gem__more_than_inventory__refused_unchanged(liq: LiqSystem) -> None:
    liq.usdc_to_ausd("alice", 100)
    assert_refused(
        liq.chain, LimitExceeded, "psm/insufficient-gem", liq.d.buy_gem, 101 * USDC, sender="alice"
    )


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        (0, "input/bad-amount"),
        (-1, "input/bad-amount"),
        (1.5, "input/bad-type"),  # types and widths: the action boundary (kernel/validate.py)
        (2**256, "input/out-of-range"),
        ("10", "input/bad-type"),
    ],
)
def test_swaps__bad_amount__refused_unchanged(liq: LiqSystem, amount: object, code: str) -> None:
    liq.usdc_to_ausd("alice", 100)
    assert_refused(liq.chain, InvalidInput, code, liq.d.sell_gem, amount, sender="alice")
    assert_refused(liq.chain, InvalidInput, code, liq.d.buy_gem, amount, sender="alice")


def test_psm_file__halted_direction__refused(liq: LiqSystem) -> None:
    liq.usdc_to_ausd("alice", 100)
    assert liq.d.psm is not None
    liq.d.psm.file("tout", HALTED, sender="gov")
    assert_refused(liq.chain, ShutDown, "psm/buy-halted", liq.d.buy_gem, USDC, sender="alice")
    assert_refused(
        liq.chain, InvalidInput, "cdp/bad-value", liq.d.psm.file, "tin", WAD + 1, sender="gov"
    )
    assert_refused(
        liq.chain, InvalidInput, "cdp/unknown-param", liq.d.psm.file, "line", 1, sender="gov"
    )


def test_psm__after_shutdown__refused_unchanged(liq: LiqSystem) -> None:
    liq.usdc_to_ausd("alice", 100)
    liq.d.shutdown(sender="gov")
    liq.chain.ledger.mint("USDC", "alice", 100 * USDC)
    assert_refused(liq.chain, ShutDown, "cdp/psm-stopped", liq.d.sell_gem, USDC, sender="alice")
    assert_refused(liq.chain, ShutDown, "cdp/psm-stopped", liq.d.buy_gem, USDC, sender="alice")


def test_launch__psm_line_above_quarter_of_line__guardrail() -> None:
    chain = Chain()
    chain.ledger.create_token("USDC", 6)
    pad = Launchpad(chain)
    spec = AIDollarSpec("AUSD", "aethir", 1_000_000, psm=PsmSpec("USDC", 250_001))
    assert_refused(chain, InvalidInput, "cdp/guardrail", pad.create_ai_usd, spec, sender="gov")
    d = pad.create_ai_usd(
        AIDollarSpec("AUSD", "aethir", 1_000_000, psm=PsmSpec("USDC", 250_000)), sender="gov"
    )
    assert d.psm is not None and d.vat.ilks[d.psm.ilk].line_rad == 250_000 * RAD


def test_no_psm__swap__invalid_input() -> None:
    chain = Chain()
    d = Launchpad(chain).create_ai_usd(AIDollarSpec("AUSD", "aethir", 1_000), sender="gov")
    assert_refused(chain, InvalidInput, "cdp/no-psm", d.sell_gem, 1, sender="alice")


def test_swaps__bad_recipient__refused_unchanged(liq: LiqSystem) -> None:
    liq.usdc_to_ausd("alice", 100)
    assert_refused(
        liq.chain, InvalidInput, "input/bad-type", liq.d.sell_gem, USDC, 7, sender="alice"
    )
    assert_refused(
        liq.chain, InvalidInput, "input/bad-type", liq.d.buy_gem, USDC, None, sender="alice"
    )
