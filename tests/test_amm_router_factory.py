"""Router (quotes, multi-hop swaps, deadline and min-out guards) and the pool factory/registry."""

from __future__ import annotations

import pytest

from peglab.errors import InvalidInput, NotAuthorized, Slippage
from peglab.kernel import Chain
from peglab.protocols.amm import AmmFactory, Router
from peglab.testing import assert_refused


@pytest.fixture
def world() -> tuple[Chain, AmmFactory, Router]:
    chain = Chain()
    for sym, dec in (("USDC", 6), ("AUSD", 18), ("VUSD", 18), ("ATH", 18), ("VIRTUAL", 18)):
        chain.ledger.create_token(sym, dec)
        for who in ("lp", "trader"):
            chain.ledger.mint(sym, who, 10**12 * 10**dec)
    factory = AmmFactory(chain)
    ss = factory.deploy_stableswap(["AUSD", "USDC"], 200, sender="launchpad")
    ss.add_liquidity([10**7 * 10**18, 10**7 * 10**6], 0, sender="lp")
    ss2 = factory.deploy_stableswap(["AUSD", "VUSD"], 100, sender="launchpad")
    ss2.add_liquidity([10**7 * 10**18, 10**7 * 10**18], 0, sender="lp")
    cp = factory.deploy_constant_product("ATH", "AUSD", sender="anyone")
    cp.mint(10**6 * 10**18, 4 * 10**6 * 10**18, sender="lp")
    cp2 = factory.deploy_constant_product("VIRTUAL", "VUSD", sender="anyone")
    cp2.mint(10**6 * 10**18, 2 * 10**6 * 10**18, sender="lp")
    return chain, factory, Router(chain)


def test_factory__deploys__registered_by_id_and_pair(
    world: tuple[Chain, AmmFactory, Router],
) -> None:
    chain, factory, _ = world
    ss = factory.pool("ss:AUSD/USDC")
    assert (
        ss.coins == ("AUSD", "USDC")
        and ss.account == "amm:ss:AUSD/USDC"
        and ss.lp_token == "LP:ss:AUSD/USDC"
    )
    assert ss.owner == "gov" and ss.fee_receiver == "gov"
    assert [p.id for p in factory.find("ATH", "AUSD")] == ["cp:ATH/AUSD"]
    assert len(factory.pools()) == 4
    assert_refused(
        chain,
        InvalidInput,
        "amm/pool-exists",
        factory.deploy_stableswap,
        ["AUSD", "USDC"],
        200,
        sender="x",
    )
    assert_refused(chain, InvalidInput, "amm/unknown-pool", factory.pool, "nope")


def test_factory__bad_params__refused_state_unchanged(
    world: tuple[Chain, AmmFactory, Router],
) -> None:
    chain, factory, _ = world
    assert_refused(
        chain, InvalidInput, "amm/bad-A", factory.deploy_stableswap, ["VUSD", "USDC"], 0, sender="x"
    )
    assert_refused(
        chain,
        InvalidInput,
        "ledger/unknown-token",
        factory.deploy_constant_product,
        "ATH",
        "NOPE",
        sender="x",
    )
    assert_refused(chain, NotAuthorized, "amm/not-owner", factory.file, "admin", "me", sender="x")
    assert_refused(chain, InvalidInput, "amm/unknown-param", factory.file, "fee", "1", sender="gov")


def test_factory__deploy_inside_failing_outer_action__leaves_no_trace(
    world: tuple[Chain, AmmFactory, Router],
) -> None:
    chain, factory, _ = world
    before = chain.state_hash()
    with pytest.raises(InvalidInput), chain.transaction("launchpad"):
        factory.deploy_stableswap(["VUSD", "USDC"], 100, sender="launchpad")
        raise InvalidInput("test/later-step-failed", "the launchpad's next step failed")
    assert chain.state_hash() == before
    assert "LP:ss:VUSD/USDC" not in chain.ledger.tokens
    assert_refused(chain, InvalidInput, "amm/unknown-pool", factory.pool, "ss:VUSD/USDC")
    # and the same pool can then be deployed for real
    pool = factory.deploy_stableswap(["VUSD", "USDC"], 100, sender="launchpad")
    assert factory.pool("ss:VUSD/USDC") is pool


def test_factory__fee_receiver_filed__new_pools_use_it(
    world: tuple[Chain, AmmFactory, Router],
) -> None:
    chain, factory, _ = world
    factory.file("fee_receiver", "voting-rewards", sender="gov")
    pool = factory.deploy_stableswap(["VUSD", "USDC"], 100, sender="x")
    assert pool.fee_receiver == "voting-rewards"


def test_router__ath_to_usdc_via_cp_and_stableswap__quote_equals_swap(
    world: tuple[Chain, AmmFactory, Router],
) -> None:
    chain, factory, router = world
    path = [
        (factory.pool("cp:ATH/AUSD"), "ATH", "AUSD"),
        (factory.pool("ss:AUSD/USDC"), "AUSD", "USDC"),
    ]
    amounts = router.quote_amounts_out(path, 10**21)
    assert len(amounts) == 3
    before = chain.ledger.balance_of("USDC", "trader")
    out = router.swap_exact_in(path, 10**21, amounts[-1], chain.now, sender="trader")
    assert out == amounts[-1]
    assert chain.ledger.balance_of("USDC", "trader") - before == out
    assert chain.log[-1].event.kind == "amm/router-swap"
    chain.check_conservation()


def test_router__three_hops_to_receiver__intermediates_net_zero(
    world: tuple[Chain, AmmFactory, Router],
) -> None:
    chain, factory, router = world
    path = [
        (factory.pool("cp:ATH/AUSD"), "ATH", "AUSD"),
        (factory.pool("ss:AUSD/VUSD"), "AUSD", "VUSD"),
        (factory.pool("cp:VIRTUAL/VUSD"), "VUSD", "VIRTUAL"),
    ]
    ausd, vusd = (chain.ledger.balance_of(t, "trader") for t in ("AUSD", "VUSD"))
    q = router.quote_exact_in(path, 10**20)
    out = router.swap_exact_in(path, 10**20, q, chain.now + 60, sender="trader", receiver="vault")
    assert out == q == chain.ledger.balance_of("VIRTUAL", "vault")
    assert (
        chain.ledger.balance_of("AUSD", "trader"),
        chain.ledger.balance_of("VUSD", "trader"),
    ) == (ausd, vusd)


def test_router__exact_out_constant_product__pays_quoted_input(
    world: tuple[Chain, AmmFactory, Router],
) -> None:
    chain, factory, router = world
    path = [(factory.pool("cp:ATH/AUSD"), "ATH", "AUSD")]
    need = router.quote_amounts_in(path, 10**21)[0]
    before = chain.ledger.balance_of("AUSD", "trader")
    assert router.swap_exact_out(path, 10**21, need, chain.now, sender="trader") == need
    assert chain.ledger.balance_of("AUSD", "trader") - before == 10**21


def test_router__refusals__state_hash_unchanged(world: tuple[Chain, AmmFactory, Router]) -> None:
    chain, factory, router = world
    cp = factory.pool("cp:ATH/AUSD")
    ss = factory.pool("ss:AUSD/USDC")
    good = [(cp, "ATH", "AUSD"), (ss, "AUSD", "USDC")]
    q = router.quote_exact_in(good, 10**21)
    now = chain.now
    assert_refused(
        chain,
        Slippage,
        "amm/slippage",
        router.swap_exact_in,
        good,
        10**21,
        q + 1,
        now,
        sender="trader",
    )
    chain.advance(10)
    assert_refused(
        chain, Slippage, "amm/expired", router.swap_exact_in, good, 10**21, 0, now, sender="trader"
    )
    now = chain.now
    assert_refused(
        chain, InvalidInput, "amm/bad-path", router.swap_exact_in, [], 1, 0, now, sender="trader"
    )
    assert_refused(
        chain,
        InvalidInput,
        "amm/bad-path",
        router.swap_exact_in,
        [(cp, "ATH", "AUSD"), (cp, "ATH", "AUSD")],
        10,
        0,
        now,
        sender="trader",
    )
    assert_refused(
        chain,
        InvalidInput,
        "amm/unknown-token",
        router.swap_exact_in,
        [(ss, "ATH", "USDC")],
        10,
        0,
        now,
        sender="trader",
    )
    assert_refused(
        chain,
        InvalidInput,
        "amm/same-coin",
        router.swap_exact_in,
        [(ss, "USDC", "USDC")],
        10,
        0,
        now,
        sender="trader",
    )
    assert_refused(
        chain,
        InvalidInput,
        "amm/zero-amount",
        router.swap_exact_in,
        good,
        0,
        0,
        now,
        sender="trader",
    )
    assert_refused(
        chain,
        InvalidInput,
        "ledger/insufficient-balance",
        router.swap_exact_in,
        good,
        10**21,
        0,
        now,
        sender="pauper",
    )
    assert_refused(
        chain,
        InvalidInput,
        "amm/exact-out-unsupported",
        router.swap_exact_out,
        good,
        10**6,
        2**200,
        now,
        sender="trader",
    )
    need = router.quote_amounts_in([(cp, "ATH", "AUSD")], 10**21)[0]
    assert_refused(
        chain,
        Slippage,
        "amm/slippage",
        router.swap_exact_out,
        [(cp, "ATH", "AUSD")],
        10**21,
        need - 1,
        now,
        sender="trader",
    )


def test_router__second_hop_fails__first_hop_rolled_back(
    world: tuple[Chain, AmmFactory, Router],
) -> None:
    chain, factory, router = world
    ss = factory.pool("ss:AUSD/USDC")
    ss.kill_me(sender="gov")
    path = [(factory.pool("cp:ATH/AUSD"), "ATH", "AUSD"), (ss, "AUSD", "USDC")]
    from peglab.errors import ShutDown

    assert_refused(
        chain,
        ShutDown,
        "amm/killed",
        router.swap_exact_in,
        path,
        10**21,
        0,
        chain.now,
        sender="trader",
    )
