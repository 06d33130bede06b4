"""Findings of the long fuzz campaign (``make fuzz``), one test each; every one failed before its fix."""

from __future__ import annotations

from typing import Any

import pytest
from support.fuzz_credit import credit_world

from peglab.errors import InvalidInput, NotAuthorized, PeglabError
from peglab.examples.systems import ORACLE, DemoSystem, two_ai_dollars
from peglab.kernel import Chain, RoleChanged
from peglab.protocols.amm import StableSwapPool
from peglab.protocols.cdp import AIDollar, PriceFeed
from peglab.protocols.cdp.events import PriceReported, SpotUpdated
from peglab.protocols.cdp.psm import PsmSpec
from peglab.protocols.usdai.events import BaseYieldClaimed
from peglab.testing import assert_refused, discover_actions
from peglab.units import RAD, WAD, wad

ILK = "ATH-A"


def crashed() -> tuple[DemoSystem, AIDollar, int]:
    """AUSD with one Dutch auction past its age limit (it needs a reset) and keeper rewards on."""
    s = two_ai_dollars()
    d, ledger = s.dollars["AUSD"], s.chain.ledger
    clip = d.clippers[ILK]
    clip.file("tip", 100 * RAD, sender="gov")
    clip.file("chip", wad("0.01"), sender="gov")
    ledger.mint("ATH", "alice", wad(1_000_000))
    vid = d.open_vault(ILK, sender="alice")
    d.deposit(vid, wad(1_000_000), sender="alice")
    d.mint(vid, wad(20_000), sender="alice")  # 2.5x at $0.05
    s.set_price("ATH", "0.03")
    for _ in range(3):
        s.chain.advance(3600)
        s.poke_all()
    aid = d.bark(vid, sender="keeper")
    s.chain.advance(clip.params.tail_s + 1)
    return s, d, aid


@pytest.mark.parametrize("engine", ["AUSD:join", "AUSD:vow", "AUSD:join:ATH-A"])
def test_redo__keeper_is_engine_account__refused(engine: str) -> None:
    s, d, aid = crashed()
    clip = d.clippers[ILK]
    assert_refused(s.chain, InvalidInput, "cdp/bad-recipient", clip.redo, aid, engine, sender="bob")
    clip.redo(aid, "bob", sender="bob")  # an ordinary keeper is paid
    assert d.invariant_errors() == [] and d.liquidation_invariant_errors() == []


def test_bark__keeper_is_engine_account__refused() -> None:
    s = two_ai_dollars()
    d, ledger = s.dollars["AUSD"], s.chain.ledger
    d.clippers[ILK].file("tip", 100 * RAD, sender="gov")
    ledger.mint("ATH", "alice", wad(1_000_000))
    vid = d.open_vault(ILK, sender="alice")
    d.deposit(vid, wad(1_000_000), sender="alice")
    d.mint(vid, wad(20_000), sender="alice")
    s.set_price("ATH", "0.03")
    for _ in range(3):
        s.chain.advance(3600)
        s.poke_all()
    assert_refused(
        s.chain, InvalidInput, "cdp/bad-recipient", d.bark, vid, "AUSD:join", sender="bob"
    )
    d.bark(vid, "bob", sender="bob")
    assert d.invariant_errors() == [] and d.liquidation_invariant_errors() == []


def test_set_price__report__emits_one_typed_event() -> None:
    s = two_ai_dollars()
    feed, log = s.feeds["ATH"], s.chain.log
    n = len(log)
    feed.set_price(wad("0.07"), sender=ORACLE)
    feed.set_price(0, ok=False, sender=ORACLE)
    assert [e.event for e in log[n:]] == [
        PriceReported("ATH", wad("0.07"), True),
        PriceReported("ATH", 0, False),
    ]


def test_grant_revoke__role_change__emits_one_typed_event() -> None:
    chain = Chain()
    chain.grant("oracle/X", "bob", sender="gov")
    chain.revoke("oracle/X", "bob", sender="gov")
    assert [e.event for e in chain.log] == [
        RoleChanged("oracle/X", "bob", True),
        RoleChanged("oracle/X", "bob", False),
    ]


def test_poke__derivative_guard_advances_spot_unchanged__emits_spot_event() -> None:
    s = two_ai_dollars()
    d = s.dollars["AUSD"]
    d.poke("stATH-A", sender="bob")
    s.chain.advance(60)
    n, before = len(s.chain.log), d.vat.ilks["stATH-A"].spot_ray
    d.poke("stATH-A", sender="bob")  # the exchange-rate guard's clock moves: state changed
    assert d.vat.ilks["stATH-A"].spot_ray == before
    assert [type(e.event) for e in s.chain.log[n:]] == [SpotUpdated]


def test_vault_read__psm_vault__typed_error() -> None:
    s = two_ai_dollars()
    d = s.dollars["AUSD"]
    s.chain.ledger.create_token("USDC", 6)
    psm = d.attach_psm(PsmSpec("USDC", 1_000_000, price=PriceFeed(s.chain, "USDC", WAD)))
    before = s.chain.state_hash()
    with pytest.raises(InvalidInput) as e:
        d.vault(psm.vault)
    assert e.value.code == "cdp/psm-vault" and s.chain.state_hash() == before


def test_coin_index__huge_int__typed_error_message_formats() -> None:
    chain = Chain()
    for sym in ("A", "B"):
        chain.ledger.create_token(sym)
    pool = StableSwapPool(chain, "ab", ["A", "B"], 100)
    with pytest.raises(InvalidInput) as e:
        pool.coin_index(10**5000)
    assert e.value.code in ("amm/unknown-token", "input/bad-type", "input/out-of-range")
    assert "bits" in str(e.value) or "int" in str(e.value)


@pytest.mark.parametrize(
    "account",
    [
        "lending:aave-usdc",
        "gaib:AID:reserve",
        "gaib:sp:1",
    ],
)
def test_credit_families__protocol_account_as_sender__refused(account: str) -> None:
    """Lending and Gaib reserve their namespaces like the CDP, AMM and governance families (found
    by the fuzz campaign's second world: protocol funds moved by naming their account)."""
    w = credit_world(0)
    holdings = [t for t, book in w.chain.ledger.balances.items() if book.get(account, 0) > 0]
    assert holdings and w.chain.is_engine_account(account)
    for token in holdings:
        assert_refused(
            w.chain, NotAuthorized, "auth/engine-account", w.chain.transfer, token, "eve", 1,
            sender=account,
        )  # fmt: skip


def _credit_objects() -> tuple[Chain, dict[str, object]]:
    w = credit_world(0)
    return w.chain, {type(o).__name__: o for _, _, o in discover_actions(w.chain)}


@pytest.mark.parametrize(
    ("cls", "read", "args", "kw", "code"),
    [
        ("StakedUSDai", "maturity_of", (999,), {}, "usdai/unknown-request"),
        ("LoanRouter", "owner_of", ("no-loan", 0), {}, "usdai/unknown-position"),
        ("CompoundMarket", "rates_ray", (), {"unexpected": 1}, "input/bad-arguments"),
        ("CompoundMarket", "debt_of", ({},), {}, "input/bad-type"),
        ("CompoundMarket", "supply_balance", (["alice"],), {}, "input/bad-type"),
    ],
)
def test_credit_reads__unknown_or_mistyped__typed_error_state_unchanged(
    cls: str, read: str, args: tuple[object, ...], kw: dict[str, object], code: str
) -> None:
    chain, objs = _credit_objects()
    before = chain.state_hash()
    with pytest.raises(PeglabError) as e:
        getattr(objs[cls], read)(*args, **kw)
    assert e.value.code == code and chain.state_hash() == before


def test_claim_yield__nothing_accrued_interval_restarts__emits_event() -> None:
    chain, objs = _credit_objects()
    base: Any = objs["TBillDollar"]
    base.set_apr(0, sender="gov")
    chain.advance(60)
    account = "usdai:reserve:USDai"
    n = len(chain.log)
    assert base.claim_yield(account, sender="bob") == 0
    assert [e.event for e in chain.log[n:]] == [
        BaseYieldClaimed(base.symbol, account, base.recipients[account], 0)
    ]


def test_deal_read__huge_int__typed_error_message_formats() -> None:
    _, objs = _credit_objects()
    book: Any = objs["DealBook"]
    with pytest.raises(InvalidInput) as e:
        book.deal(10**5000)
    assert e.value.code in ("gaib/unknown-deal", "input/out-of-range") and "bits" in str(e.value)


def test_file__object_parameter_with_a_huge_int__typed_refusal_state_unchanged() -> None:
    """Long-fuzz finding (world 174): ``ConstantProductPool.file('fee_receiver', <16,610-bit
    int>)`` raised an untyped ValueError while formatting the refusal. Parameters typed ``object``
    now refuse ints beyond 256 bits at the boundary, for every action."""
    from peglab.errors import InvalidInput
    from peglab.kernel import Chain
    from peglab.protocols.amm import AmmFactory
    from peglab.testing import assert_refused

    chain = Chain()
    for t in ("A", "B"):
        chain.ledger.create_token(t, 18)
    pool = AmmFactory(chain).deploy_constant_product("A", "B", sender="gov")
    for value in (2**16609, -(2**300)):
        assert_refused(
            chain, InvalidInput, "input/out-of-range", pool.file, "fee_receiver", value,
            sender="gov",
        )  # fmt: skip
    pool.file("fee_receiver", "treasury", sender="gov")  # an ordinary value still goes through
