"""The launchpad creates StableSwap pools for AI dollars: against USDC and between AI dollars."""

from __future__ import annotations

from peglab.errors import InvalidInput, NotAuthorized
from peglab.examples.systems import two_ai_dollars
from peglab.protocols.amm import AmmFactory
from peglab.testing import assert_refused
from peglab.units import wad


def system():  # type: ignore[no-untyped-def]
    s = two_ai_dollars()
    s.launchpad.amm = AmmFactory(s.chain)
    s.chain.ledger.create_token("USDC", 6)
    for who, sym, ilk, tok in (
        ("alice", "AUSD", "ATH-A", "ATH"),
        ("bob", "vUSD", "VIRTUAL-A", "VIRTUAL"),
    ):
        d = s.dollars[sym]
        s.chain.ledger.mint(tok, who, wad(10_000_000))
        vid = d.open_vault(ilk, sender=who)
        d.deposit(vid, wad(10_000_000), sender=who)
        d.mint(vid, wad(100_000), sender=who)
    return s


def test_create_pool__ai_dollar_and_usdc__swaps_at_the_peg() -> None:
    s = system()
    c = s.chain
    pool = s.launchpad.create_pool("AUSD", "USDC", sender="aethir-dao")
    assert pool.coins == ("AUSD", "USDC") and s.dollars["AUSD"].pools["USDC"] == pool.id
    c.ledger.mint("USDC", "alice", 51_000 * 10**6)
    pool.add_liquidity([wad(50_000), 50_000 * 10**6], 0, sender="alice")
    out = pool.exchange(1, 0, 1_000 * 10**6, 0, sender="alice")  # 1,000 USDC for AUSD
    assert wad(999) < out < wad(1_000)  # near par, less the 4 bps fee
    c.check_conservation()


def test_create_pool__two_ai_dollars__governance_lists_both() -> None:
    s = system()
    pool = s.launchpad.create_pool("AUSD", "vUSD", sender="gov", A=100)
    assert pool.A() == 100 and pool.coins == ("AUSD", "vUSD")
    s.chain.transfer("vUSD", "alice", wad(20_000), sender="bob")
    pool.add_liquidity([wad(20_000), wad(20_000)], 0, sender="alice")
    assert s.chain.ledger.balance_of(pool.lp_token, "alice") > 0


def test_create_pool__bad_input__typed_error_and_state_unchanged() -> None:
    s = system()
    pad, c = s.launchpad, s.chain
    assert_refused(
        c, NotAuthorized, "cdp/not-admin", pad.create_pool, "AUSD", "USDC", sender="alice"
    )
    assert_refused(
        c, NotAuthorized, "cdp/not-admin", pad.create_pool, "AUSD", "vUSD", sender="aethir-dao"
    )
    assert_refused(c, InvalidInput, "cdp/same-token", pad.create_pool, "AUSD", "AUSD", sender="gov")
    assert_refused(
        c, InvalidInput, "ledger/unknown-token", pad.create_pool, "AUSD", "NOPE", sender="gov"
    )
    assert_refused(
        c, InvalidInput, "cdp/unknown-instance", pad.create_pool, "xUSD", "USDC", sender="gov"
    )
    pad.create_pool("AUSD", "USDC", sender="gov")
    assert_refused(
        c, InvalidInput, "amm/pool-exists", pad.create_pool, "AUSD", "USDC", sender="gov"
    )
    pad.amm = None
    assert_refused(c, InvalidInput, "cdp/no-amm", pad.create_pool, "vUSD", "USDC", sender="gov")
